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

A graph file (the six tensor tasks, g, any export) gets the structured
module (outputs(*inputs), jacobian(*inputs)) instead, and for each size in
--batches (default 1,64,1024) the script times jax.jit(jax.vmap(...)) of
jacfwd and jacrev of outputs() and of each order's jacobian() on that many
points from the task's DOMAIN (configs/tasks/TASK.py), POINTS points per
pass (default 16384: 16384 calls of one point, 16 of 1024). Its rows also
give the order's model cost, the multiplications the module performs and
XLA's own flop estimate per point; --profile adds each method's three most
expensive XLA operations, --count-only prints only cost and multiplications
(with --steps, every elimination where the two differ).
Order names `alphagrad` (AlphaGrad's best published order of a paper task)
and `best` (results/orders/TASK_sa.json) are understood.

    scripts/bench_jacobian_jax.py RoeFlux_1d RobotArm_6DOF --points 1000000
    scripts/bench_jacobian_jax.py --ccx build/ccx --orders forward,reverse,markowitz,best.json TASK
    scripts/bench_jacobian_jax.py --platform cpu --orders forward,reverse,markowitz,alphagrad,best f
    scripts/bench_jacobian_jax.py --count-only --steps --orders reverse,best Perceptron

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


TENSOR_TASKS = {"RoeFlux_3d", "BlackScholes_Jacobian", "Encoder", "Perceptron", "f", "g"}


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


def order_spec(task, order):
    """ORDER for ccx codegen: `alphagrad` is AlphaGrad's best published order
    of a paper task (tests/data/alphagrad/TASK.json), `best` ccx's committed
    search result (results/orders/TASK_sa.json); anything else as given."""
    import json
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    name = os.path.basename(task).split(".")[0]
    if order == "alphagrad":
        path = os.path.join(root, "tests", "data", "alphagrad", f"{name}.json")
        if not os.path.exists(path):
            sys.exit(f"bench_jacobian_jax: order 'alphagrad' is AlphaGrad's published order of a "
                     f"paper task; {task} has none ({path} is not there): give an order file")
        with open(path) as f:
            return ",".join(map(str, json.load(f)["best_published_order"]))
    if order == "best":
        path = os.path.join(root, "results", "orders", f"{name}_sa.json")
        if not os.path.exists(path):
            sys.exit(f"bench_jacobian_jax: order 'best' is ccx's committed search result for a "
                     f"paper task; {task} has none ({path} is not there): run ccx search "
                     f"{task} -o best.json and give best.json")
        return path
    return order


def tensor_points(task, mod, n, rng):
    """n points (a list of arrays [n, *shape] per input) inside the task's
    DOMAIN (configs/tasks/TASK.py) or [0.5, 1.5], kept where jacrev is finite."""
    import numpy as np
    import jax
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import export_tasks
    tmod = None
    if task.isidentifier():  # a paper task (configs/tasks/TASK.py), not a path
        try:
            tmod = export_tasks.load(task)
        except ImportError:
            pass
    if tmod is not None and hasattr(tmod, "DOMAIN"):
        draw = lambda: export_tasks.sample_args(tmod, rng)  # noqa: E731
    else:
        draw = lambda: [rng.uniform(0.5, 1.5, s) for _, s in mod.INPUTS]  # noqa: E731
    jr = jax.jit(jax.jacrev(mod.outputs, argnums=tuple(range(len(mod.INPUTS)))))
    pts = []
    for _ in range(20 * n):
        x = [np.asarray(a, np.float64) for a in draw()]
        if all(np.isfinite(np.asarray(b)).all() for b in jax.tree_util.tree_leaves(jr(*x))):
            pts.append(x)
            if len(pts) == n:
                break
    if not pts:
        sys.exit(f"bench_jacobian_jax: no point where {task}'s Jacobian is finite")
    pts = [pts[k % len(pts)] for k in range(n)]
    return [np.stack([p[i] for p in pts]) for i in range(len(mod.INPUTS))]


def bench_tensor(task, mods, args):
    """ns/point of jit(vmap(jacfwd)), jit(vmap(jacrev)) of the graph's function
    and jit(vmap(jacobian)) of each order's module, at each batch size."""
    import numpy as np
    import jax
    m0 = next(iter(mods.values()))
    if args.count_only:
        out = [f"{task}: model cost vs the module's multiplications"]
        for order, m in mods.items():
            c, n = m.COST, m.multiplications()
            out.append(f"  {os.path.basename(order):<22} cost {c:>7} mults {n:>7} "
                       f"ratio {n / c if c else float('nan'):6.2f}")
            if args.steps:  # the eliminations where the two differ
                for v, prim, model, real in m.steps():
                    if model != real:
                        out.append(f"      v{v:<5} {prim:<20} model {model:>6} real {real:>6}")
        return out
    argn = tuple(range(len(m0.INPUTS)))
    batches = [int(b) for b in args.batches.split(",")]
    X = tensor_points(task, m0, max(batches), np.random.default_rng(1))
    methods = [("jacfwd", "-", "-", jax.jit(jax.vmap(jax.jacfwd(m0.outputs, argnums=argn)))),
               ("jacrev", "-", "-", jax.jit(jax.vmap(jax.jacrev(m0.outputs, argnums=argn))))]
    for order, m in mods.items():
        methods.append(("ccx:" + os.path.basename(order), str(m.COST), str(m.multiplications()),
                        jax.jit(jax.vmap(m.jacobian))))
    out = [f"{task}: inputs={len(m0.INPUTS)} outputs={len(m0.OUTPUTS)} (graph file; cost = the "
           f"model's multiplications, mults = the module's) points/pass={args.points} in calls "
           f"of b points",
           f"  {'method':<22} {'cost':>7} {'mults':>7} " +
           " ".join(f"{'b=' + str(b):>10} {'(med)':>9}" for b in batches) +
           f" {'max|dJ|':>9} {'xla flop/pt':>11}"]
    ref, profiles = None, []
    for label, cost, mults, fn in methods:
        cells, diff = [], 0.0
        for b in batches:
            xb = [x[:b] for x in X]
            t0 = time.perf_counter()
            J = jax.block_until_ready(fn(*xb))         # compile + first run
            compile_s = time.perf_counter() - t0
            leaves = [np.asarray(l) for l in jax.tree_util.tree_leaves(J)]
            if b == max(batches):
                if ref is None:
                    ref = leaves
                diff = max(float(np.max(np.abs(a - r))) for a, r in zip(leaves, ref))
                xla = fn.lower(*xb).compile().cost_analysis()  # XLA's own estimate
                xla = xla[0] if isinstance(xla, list) else xla
                flops = float(xla.get("flops", float("nan"))) / b
                if args.profile:
                    profiles.append(f"    {label}: " + profile_top(fn, xb, 10))
            calls = max(1, args.points // b)
            times = []
            for _ in range(args.reps):
                t0 = time.perf_counter()
                for _ in range(calls):
                    r = fn(*xb)
                jax.block_until_ready(r)
                times.append(time.perf_counter() - t0)
            times.sort()
            cells.append((times[0] * 1e9 / (calls * b), times[len(times) // 2] * 1e9 / (calls * b)))
            print(f"  {task} {label} batch {b}: compile {compile_s:.1f} s, "
                  f"{cells[-1][1]:.0f} ns/point", file=sys.stderr, flush=True)
        out.append(f"  {label:<22} {cost:>7} {mults:>7} " +
                   " ".join(f"{c[0]:>10.0f} {c[1]:>9.0f}" for c in cells) +
                   f" {diff:>9.1e} {flops:>11.0f}")
    if profiles:
        out.append(f"  XLA ops taking the most time at b={max(batches)} (us per call, jax.profiler):")
        out += profiles
    return out


def profile_top(fn, xb, calls, n=3):
    """The n XLA operations of fn that take the most time over `calls` calls
    (jax.profiler trace of the CPU thunks), as 'name us/call' pairs."""
    import collections
    import jax
    try:
        from jax.profiler import ProfileData
    except ImportError:
        return "(this JAX has no jax.profiler.ProfileData)"
    d = tempfile.mkdtemp(prefix="ccx-jaxprof-")
    try:
        with jax.profiler.trace(d):
            for _ in range(calls):
                r = fn(*xb)
            jax.block_until_ready(r)
        total = collections.Counter()
        for root, _, files in os.walk(d):
            for name in files:
                if name.endswith(".xplane.pb"):
                    for plane in ProfileData.from_file(os.path.join(root, name)).planes:
                        for line in plane.lines:
                            if "XLAEigen" not in line.name:  # the threads that run XLA ops
                                continue
                            for ev in line.events:
                                if not ev.name.startswith("ThunkExecutor"):
                                    total[ev.name] += ev.duration_ns
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return ", ".join(f"{k} {v / 1e3 / calls:.0f}" for k, v in total.most_common(n))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tasks", nargs="+", help="task names, task files (.ccx) or graph files (.json)")
    ap.add_argument("--ccx", help="path to the ccx binary (default: build/ccx or ccx on PATH)")
    ap.add_argument("--orders", default="forward,reverse,markowitz",
                    help="ccx orders to run as jnp code (comma-separated: forward, reverse, "
                         "markowitz or order files; empty: none)")
    ap.add_argument("--order", action="append", default=[],
                    help="add one order (may repeat; as `ccx bench jacobian --order`)")
    ap.add_argument("--points", type=int, default=1_000_000,
                    help="points per timed pass (tensor graphs: default 16384)")
    ap.add_argument("--batches", default="1,64,1024",
                    help="tensor graphs: batch sizes to time (comma-separated)")
    ap.add_argument("--batch", type=int, default=65536, help="points per call")
    ap.add_argument("--reps", type=int, default=5, help="timed passes per method")
    ap.add_argument("--count-only", action="store_true",
                    help="graph files: print each order's model cost and the multiplications "
                         "its module performs, without timing anything")
    ap.add_argument("--steps", action="store_true",
                    help="with --count-only: also list each elimination whose model cost and "
                         "real multiplications differ (vertex, primitive, both)")
    ap.add_argument("--profile", action="store_true",
                    help="graph files: also list each method's three most expensive XLA "
                         "operations at the largest batch (jax.profiler)")
    ap.add_argument("--platform", choices=["cpu", "gpu"], help="force a JAX platform")
    ap.add_argument("--out", help="also append the table to this file")
    args = ap.parse_args()
    if "--points" not in sys.argv and all(t.endswith(".json") or t in TENSOR_TASKS for t in args.tasks):
        args.points = 16384
    if args.points < 1 or args.batch < 1 or args.reps < 1:
        sys.exit("bench_jacobian_jax: --points, --batch and --reps must be >= 1")
    if args.platform:
        os.environ["JAX_PLATFORMS"] = "cuda" if args.platform == "gpu" else "cpu"

    try:
        import jax
        import jax.numpy as jnp
        import numpy as np
    except ImportError as e:
        sys.stderr.write(f"ccx bench jacobian --lang jax: {sys.executable} cannot import {e.name} "
                         "(pip install jax, or set CCX_PYTHON to a Python that has it)\n")
        sys.exit(2)
    jax.config.update("jax_enable_x64", True)

    ccx = find_ccx(args.ccx)
    orders = [o for o in args.orders.split(",") if o] + args.order
    batch = min(args.batch, args.points)
    calls = -(-args.points // batch)
    total = calls * batch
    dev = jax.devices()[0]
    lines = [f"bench jacobian (JAX peer)  jax={jax.__version__} device={dev.platform}:"
             f"{getattr(dev, 'device_kind', '?')} passes={args.reps} best (median) ns/point, "
             f"float64"]
    tmp = tempfile.mkdtemp(prefix="ccx-jaxbench-")
    try:
        for task in args.tasks:
            mods = {}
            for i, order in enumerate(orders or ["reverse"]):
                path = os.path.join(tmp, f"m{len(mods)}_{i}.py")
                subprocess.run([ccx, "codegen", task, "--order", order_spec(task, order),
                                "--lang", "jax", "-o", path], check=True, stderr=subprocess.DEVNULL)
                mods[order] = load_module(path, f"ccx_jax_{i}")
            m0 = next(iter(mods.values()))
            if hasattr(m0, "outputs"):  # a graph file: the structured module
                lines += bench_tensor(task, mods, args)
                continue
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
            lines.append(f"{m0.TASK}: inputs={n_in} outputs={m0.N_OUTPUTS} points/pass={total} "
                         f"(batch {batch} x {calls} calls)")
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
