#!/usr/bin/env python3
"""Peer benchmark for `ccx bench jacobian`: JAX's own Jacobians of the same
functions, and ccx's elimination orders run as jnp code.

For each TASK the script asks ccx for a JAX transcription of the function
(`ccx codegen TASK --lang jax`, which emits f(x) and jacobian(x)), then times,
in double precision, over the same kind of points ccx uses (uniform in
[0.5, 1.5] per input, kept only where the Jacobian is finite):

  jacfwd       jax.jit(jax.vmap(jax.jacfwd(f)))
  jacrev       jax.jit(jax.vmap(jax.jacrev(f)))
  ccx:ORDER    jax.jit(jacobian) generated for each --orders entry (the
               elimination in that order as straight-line jnp, vectorised over
               the batch axis)

Each method is compiled and run once (warm-up), then timed REPS times over
POINTS points in calls of BATCH points (the same device buffer each call);
best and median ns/point are printed. JAX results are checked against each
other (max abs difference).

    scripts/bench_jacobian_jax.py RoeFlux_1d RobotArm_6DOF --points 1000000
    scripts/bench_jacobian_jax.py --ccx build/ccx --orders forward,reverse,markowitz,best.json TASK

Needs jax (pip install jax; jax[cuda12] on a GPU machine). JAX picks its
default backend (GPU when present); --platform cpu forces the CPU.
"""
import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time


def find_ccx(arg):
    if arg:
        return arg
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (os.path.join(here, "..", "build", "ccx"), shutil.which("ccx")):
        if cand and os.path.exists(cand):
            return cand
    sys.exit("bench_jacobian_jax: no ccx binary; build it (scripts/run.sh) or pass --ccx PATH")


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tasks", nargs="+", help="task names or .ccx files")
    ap.add_argument("--ccx", help="path to the ccx binary (default: build/ccx or ccx on PATH)")
    ap.add_argument("--orders", default="forward,reverse,markowitz",
                    help="ccx orders to run as jnp code (comma-separated: forward, reverse, "
                         "markowitz or order files; empty: none)")
    ap.add_argument("--points", type=int, default=1_000_000, help="points per timed pass")
    ap.add_argument("--batch", type=int, default=65536, help="points per call")
    ap.add_argument("--reps", type=int, default=5, help="timed passes per method")
    ap.add_argument("--platform", choices=["cpu", "gpu"], help="force a JAX platform")
    ap.add_argument("--out", help="also append the table to this file")
    args = ap.parse_args()
    if args.points < 1 or args.batch < 1 or args.reps < 1:
        sys.exit("bench_jacobian_jax: --points, --batch and --reps must be >= 1")
    if args.platform:
        os.environ["JAX_PLATFORMS"] = "cuda" if args.platform == "gpu" else "cpu"

    import jax
    import jax.numpy as jnp
    import numpy as np
    jax.config.update("jax_enable_x64", True)

    ccx = find_ccx(args.ccx)
    orders = [o for o in args.orders.split(",") if o]
    batch = min(args.batch, args.points)
    calls = -(-args.points // batch)
    total = calls * batch
    dev = jax.devices()[0]
    lines = [f"bench jacobian (JAX peer)  jax={jax.__version__} device={dev.platform}:"
             f"{getattr(dev, 'device_kind', '?')} points/pass={total} (batch {batch} x {calls} "
             f"calls) passes={args.reps} best (median), float64"]
    tmp = tempfile.mkdtemp(prefix="ccx-jaxbench-")
    try:
        for task in args.tasks:
            mods = {}
            for i, order in enumerate(orders or ["reverse"]):
                path = os.path.join(tmp, f"m{len(mods)}_{i}.py")
                subprocess.run([ccx, "codegen", task, "--order", order, "--lang", "jax",
                                "-o", path], check=True, stderr=subprocess.DEVNULL)
                mods[order] = load_module(path, f"ccx_jax_{i}")
            m0 = next(iter(mods.values()))
            n_in = m0.N_INPUTS
            # points inside the domain, tiled to one batch
            rng = np.random.default_rng(1)
            cand = rng.uniform(0.5, 1.5, size=(4 * 256, n_in))
            jf = jax.jit(jax.vmap(jax.jacfwd(m0.f)))
            ok = np.all(np.isfinite(np.asarray(jf(jnp.asarray(cand)))), axis=(1, 2))
            good = cand[ok][:256]
            if len(good) == 0:
                sys.exit(f"bench_jacobian_jax: no point in [0.5, 1.5]^{n_in} where {task} is defined")
            X = jnp.asarray(np.resize(good, (batch, n_in)))     # [batch, n_in]
            XT = jnp.asarray(np.asarray(X).T.copy())             # [n_in, batch]

            methods = [("jacfwd", "-", jax.jit(jax.vmap(jax.jacfwd(m0.f))), X),
                       ("jacrev", "-", jax.jit(jax.vmap(jax.jacrev(m0.f))), X)]
            for order in orders:
                methods.append(("ccx:" + os.path.basename(order), str(mods[order].COST),
                                jax.jit(mods[order].jacobian), XT))
            ref = None
            lines.append(f"{m0.TASK}: inputs={n_in} outputs={m0.N_OUTPUTS}")
            lines.append(f"  {'method':<28} {'cost':>6} {'ns/point':>10} {'(median)':>10} "
                         f"{'max|dJ|':>9}")
            for label, cost, fn, arg in methods:
                out = fn(arg)
                Jm = out[1] if isinstance(out, tuple) else out
                Jm = np.asarray(jax.block_until_ready(Jm))
                if Jm.shape[0] != batch:               # ccx layout [out, in, batch]
                    Jm = np.moveaxis(Jm, -1, 0)
                if ref is None:
                    ref = Jm
                diff = float(np.max(np.abs(Jm - ref)))
                times = []
                for _ in range(args.reps):
                    t0 = time.perf_counter()
                    for _ in range(calls):
                        r = fn(arg)
                    jax.block_until_ready(r)
                    times.append(time.perf_counter() - t0)
                times.sort()
                best = times[0] * 1e9 / total
                med = times[len(times) // 2] * 1e9 / total
                lines.append(f"  {label:<28} {cost:>6} {best:>10.2f} {med:>10.2f} {diff:>9.1e}")
                print(lines[-1], file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "a") as f:
            f.write(text + "\n\n")


if __name__ == "__main__":
    main()
