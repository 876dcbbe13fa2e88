#!/usr/bin/env python3
"""Check that a ccx network checkpoint is a plain safetensors file.

    python3 scripts/check_safetensors.py FILE
    python3 scripts/check_safetensors.py FILE --ccx build/ccx   # write FILE first

Loads FILE with Python's `safetensors` library (numpy backend) as any other
safetensors file, then checks what host/nn/checkpoint.h promises: every
tensor float32; the parameter tensors, "adam_m.*" and "adam_v.*" all
present with the shapes the config in __metadata__ implies; and the
"ccx_sha256" checksum recomputed here from the documented canonical form.
Needs `pip install safetensors numpy`; the C test suite does not.
Exit status 0 if everything holds, 1 otherwise.
"""
import argparse
import hashlib
import subprocess
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

# host/nn/model.c NAMES, in buffer order
NAMES = ["emb.w", "emb.b", "layers.ln1.g", "layers.ln1.b", "layers.qkv.w", "layers.qkv.b",
         "layers.edge", "layers.attn.w", "layers.attn.b", "layers.ln2.g", "layers.ln2.b",
         "layers.fc1.w", "layers.fc1.b", "layers.fc2.w", "layers.fc2.b", "lnf.g", "lnf.b",
         "pol.w", "pol.b", "val1.w", "val1.b", "val2.w", "val2.b"]
PREFIXES = ["", "adam_m.", "adam_v."]


def shapes(cfg):
    F, K, D, L = cfg["n_features"], cfg["n_op_codes"], cfg["dim"], cfg["n_layers"]
    H, M, V = cfg["n_heads"], cfg["mlp_dim"], cfg["value_dim"]
    G = F + K
    return {
        "emb.w": (3 * G, D), "emb.b": (D,), "layers.ln1.g": (L, D), "layers.ln1.b": (L, D),
        "layers.qkv.w": (L, D, 3 * D), "layers.qkv.b": (L, 3 * D), "layers.edge": (L, 2, H),
        "layers.attn.w": (L, D, D), "layers.attn.b": (L, D), "layers.ln2.g": (L, D),
        "layers.ln2.b": (L, D), "layers.fc1.w": (L, D, M), "layers.fc1.b": (L, M),
        "layers.fc2.w": (L, M, D), "layers.fc2.b": (L, D), "lnf.g": (D,), "lnf.b": (D,),
        "pol.w": (D,), "pol.b": (1,), "val1.w": (D, V), "val1.b": (V,), "val2.w": (V,),
        "val2.b": (1,),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--ccx", help="ccx binary: first write FILE with `ccx bench nn --save`")
    args = ap.parse_args()
    if args.ccx:
        subprocess.run([args.ccx, "bench", "nn", "--backend", "cpu", "--batch", "2", "--vertices", "16",
                        "--layers", "2", "--dim", "16", "--heads", "2", "--seconds", "0.05",
                        "--save", args.file], check=True)

    tensors = load_file(args.file)  # the library's own parser and validation
    with safe_open(args.file, framework="numpy") as f:
        meta = f.metadata()
    problems = []
    if meta.get("format") != "ccx-nn-1":
        problems.append(f"__metadata__ format is {meta.get('format')!r}")
    cfg = {k: int(meta[k]) for k in ["n_features", "op_feature", "n_op_codes", "n_pad", "dim",
                                     "n_layers", "n_heads", "mlp_dim", "value_dim"]}
    want = shapes(cfg)
    expected = [p + n for p in PREFIXES for n in NAMES]
    if sorted(tensors) != sorted(expected):
        problems.append(f"tensor names differ: extra {sorted(set(tensors) - set(expected))}, "
                        f"missing {sorted(set(expected) - set(tensors))}")
    for p in PREFIXES:
        for n in NAMES:
            t = tensors.get(p + n)
            if t is None:
                continue
            if t.dtype != np.float32:
                problems.append(f"{p + n}: dtype {t.dtype}")
            if tuple(t.shape) != want[n]:
                problems.append(f"{p + n}: shape {t.shape}, expected {want[n]}")
    if not problems:
        h = hashlib.sha256()
        for p in PREFIXES:
            for n in NAMES:
                shape = ", ".join(str(d) for d in want[n])
                h.update(f"{p + n}\tF32\t[{shape}]\n".encode())
        for k in sorted(meta):
            if k != "ccx_sha256":
                h.update(f"{k}={meta[k]}\n".encode())
        for p in PREFIXES:
            for n in NAMES:
                h.update(np.ascontiguousarray(tensors[p + n], dtype="<f4").tobytes())
        if h.hexdigest() != meta.get("ccx_sha256"):
            problems.append(f"checksum: computed {h.hexdigest()}, file says {meta.get('ccx_sha256')}")
    n_params = sum(tensors[n].size for n in NAMES if n in tensors)
    print(f"{args.file}: {len(tensors)} tensors, {n_params} parameters, step {meta.get('step')}, "
          f"config {cfg}")
    for p in problems:
        print(f"  PROBLEM: {p}")
    print("safetensors check: " + ("OK" if not problems else "FAILED"))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
