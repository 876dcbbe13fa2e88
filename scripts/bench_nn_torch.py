#!/usr/bin/env python3
"""The ccx policy/value network (host/nn/model.h) in PyTorch, timed like
`ccx bench nn`, so the two can be compared in one run on the device.

    python3 scripts/bench_nn_torch.py --batch 1024 --vertices 128 --dim 128 --layers 4 [--tf32 on]

Same architecture, sizes and inputs as `ccx bench nn`: env.h features
(F = 10, op code one-hot K = 30), neighbour-mean embedding, L pre-LN layers
with per-head edge biases and a key mask, tanh-GELU MLP, policy logit per
vertex masked to legal actions, masked-mean-pool value MLP. Timing: the
observations are on the device before timing; 2 warm-up iterations, then
iterations until --seconds have passed, each ending with
torch.cuda.synchronize(); "forward" runs under torch.no_grad(),
"forward+backward" is forward, zero_grad and backward of
sum(dlogits*logits) + sum(dvalue*value). FLOPs: the same analytic count as
ccx_nn_flops (matrix products only, 2 per multiply-add). Eager mode;
--attention sdpa uses F.scaled_dot_product_attention with a float mask
instead of the explicit softmax (the same math). Runs on CPU too (--device cpu).
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as Fn

MASKED_LOGIT = -1.0e30
N_FEATURES, OP_FEATURE, N_OP_CODES = 10, 9, 30  # env.h CCX_OBS_FEATURES; 1 + CCX_OP_COUNT


class Layer(nn.Module):
    def __init__(self, D, H, M, attention):
        super().__init__()
        self.H, self.attention = H, attention
        self.ln1, self.ln2 = nn.LayerNorm(D, eps=1e-5), nn.LayerNorm(D, eps=1e-5)
        self.qkv, self.proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.edge = nn.Parameter(torch.zeros(2, H))  # bias for edges i->j, j->i
        self.fc1, self.fc2 = nn.Linear(D, M), nn.Linear(M, D)

    def forward(self, x, adj, adjT, key_live):
        B, N, D = x.shape
        H, dh = self.H, D // self.H
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=-1)
        q, k, v = (t.view(B, N, H, dh).transpose(1, 2) for t in (q, k, v))  # [B, H, N, dh]
        bias = self.edge[0].view(1, H, 1, 1) * adj[:, None] + self.edge[1].view(1, H, 1, 1) * adjT[:, None]
        bias = bias.masked_fill(~key_live[:, None, None, :], float("-inf"))
        if self.attention == "sdpa":
            o = Fn.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        else:
            s = (q @ k.transpose(-1, -2)) * (1.0 / dh ** 0.5) + bias
            o = torch.softmax(s, dim=-1) @ v
        o = torch.nan_to_num(o)  # a graph with no live vertex: 0, as in ccx
        x = x + self.proj(o.transpose(1, 2).reshape(B, N, D))
        return x + self.fc2(Fn.gelu(self.fc1(self.ln2(x)), approximate="tanh"))


class Net(nn.Module):
    def __init__(self, D, L, H, M, V, attention="manual"):
        super().__init__()
        G = N_FEATURES + N_OP_CODES
        self.emb = nn.Linear(3 * G, D)
        self.layers = nn.ModuleList(Layer(D, H, M, attention) for _ in range(L))
        self.lnf = nn.LayerNorm(D, eps=1e-5)
        self.pol = nn.Linear(D, 1)
        self.val1, self.val2 = nn.Linear(D, V), nn.Linear(V, 1)

    def forward(self, features, adj, live, legal):
        # features [B, N, F] float; adj [B, N, N] uint8 (i -> j); live, legal [B, N] bool
        codes = features[..., OP_FEATURE]
        valid = (codes >= 0) & (codes < N_OP_CODES) & (codes == codes.floor())
        onehot = Fn.one_hot(codes.clamp(0, N_OP_CODES - 1).long(), N_OP_CODES).to(features.dtype)
        g = torch.cat([features, onehot * valid[..., None]], dim=-1)  # [B, N, G]
        a = adj.to(features.dtype)
        aT = a.transpose(1, 2)
        lv = live.to(features.dtype)[:, None, :]
        a_in, a_out = aT * lv, a * lv  # [b, i, j]: j -> i (predecessor), i -> j (successor), j live
        g_in = (a_in @ g) / a_in.sum(-1, keepdim=True).clamp(min=1)
        g_out = (a_out @ g) / a_out.sum(-1, keepdim=True).clamp(min=1)
        x = self.emb(torch.cat([g, g_in, g_out], dim=-1))
        for layer in self.layers:
            x = layer(x, a, aT, live)
        z = self.lnf(x)
        logits = self.pol(z).squeeze(-1).masked_fill(~legal, MASKED_LOGIT)
        cnt = live.sum(1, keepdim=True).clamp(min=1).to(z.dtype)
        pooled = (z * live[..., None]).sum(1) / cnt
        value = self.val2(Fn.gelu(self.val1(pooled), approximate="tanh")).squeeze(-1)
        return logits, value


def flops(N, D, L, M, V):
    """ccx_nn_flops (host/nn/model.c): forward, forward+backward per sample."""
    G = N_FEATURES + N_OP_CODES
    emb = 2 * N * 3 * G * D
    layer = 2 * N * D * 3 * D + 2 * N * N * D + 2 * N * N * D + 2 * N * D * D + 2 * N * D * M + 2 * N * M * D
    fwd = emb + L * layer + 2 * N * D + 2 * D * V + 2 * V
    return fwd, 3 * fwd - emb


def random_obs(B, N, seed, device):
    """Random graphs like `ccx bench nn` (not the same draws): every slot
    live, edges i -> j (i < j) with probability 3/N, env.h-like features."""
    g = torch.Generator().manual_seed(seed)
    adj = (torch.rand(B, N, N, generator=g) < 3.0 / N).triu(1).to(torch.uint8)
    f = torch.zeros(B, N, N_FEATURES)
    f[..., 2] = 1.0
    f[..., 5] = torch.randint(0, 4, (B, N), generator=g) / 16.0
    f[..., 6] = torch.randint(0, 4, (B, N), generator=g) / 16.0
    f[..., 7] = f[..., 5] * f[..., 6]
    f[..., 8] = (torch.arange(N) + 1.0) / N
    f[..., 9] = torch.randint(1, N_OP_CODES, (B, N), generator=g).float()
    live = torch.ones(B, N, dtype=torch.bool)
    legal = torch.rand(B, N, generator=g) < 0.7
    return [t.to(device) for t in (f, adj, live, legal)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--vertices", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--mlp", type=int, default=0, help="default 4*dim")
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--tf32", choices=["on", "off"], default="on")
    ap.add_argument("--attention", choices=["manual", "sdpa"], default="manual")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="also append the result line to this file")
    a = ap.parse_args()
    M = a.mlp or 4 * a.dim
    V = a.dim
    torch.backends.cuda.matmul.allow_tf32 = a.tf32 == "on"
    torch.manual_seed(a.seed)
    dev = torch.device(a.device)
    net = Net(a.dim, a.layers, a.heads, M, V, a.attention).to(dev)
    obs = random_obs(a.batch, a.vertices, a.seed, dev)
    dl = torch.rand(a.batch, a.vertices, device=dev) - 0.5
    dv = torch.rand(a.batch, device=dev) - 0.5
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)

    def fwd():
        with torch.no_grad():
            net(*obs)
        sync()

    def fwd_bwd():
        logits, value = net(*obs)
        net.zero_grad(set_to_none=False)
        # masked logits are constants: their entries of dl get no gradient
        ((logits * dl).sum() + (value * dv).sum()).backward()
        sync()

    def measure(f):
        for _ in range(2):
            f()
        n, t0 = 0, time.perf_counter()
        t = t0
        while t - t0 < a.seconds or n < 3:
            f()
            n += 1
            t = time.perf_counter()
        return n / (t - t0)

    fwd_s, fb_s = measure(fwd), measure(fwd_bwd)
    ff, fb = flops(a.vertices, a.dim, a.layers, M, V)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"cpu, {torch.get_num_threads()} threads"
    params = sum(p.numel() for p in net.parameters())
    line = (f"bench nn torch  device=\"{name}\" torch={torch.__version__} attention={a.attention} "
            f"batch={a.batch} vertices={a.vertices} dim={a.dim} layers={a.layers} heads={a.heads} mlp={M} "
            f"params={params} tf32={a.tf32 if dev.type == 'cuda' else 'n/a'} "
            f"gflop/sample fwd={ff / 1e9:.4g} fwd+bwd={fb / 1e9:.4g} | "
            f"forward: {fwd_s * a.batch:.4g} samples/s {fwd_s * a.batch * ff / 1e12:.4g} TFLOP/s | "
            f"forward+backward: {fb_s * a.batch:.4g} samples/s {fb_s * a.batch * fb / 1e12:.4g} TFLOP/s")
    print(line)
    if a.out:
        with open(a.out, "a") as fh:
            fh.write(line + "\n")


if __name__ == "__main__":
    main()
