#!/usr/bin/env python3
"""The ten paper tasks under the real-work cost model (`--cost real`):
forward, reverse, Markowitz, the cheapest-first greedy, AlphaGrad's best
published order, ccx's best AlphaGrad-model order (results/orders/), two
annealing runs that optimise real work itself (one from its own start, one
from that best order) and the lower bound; written as a Markdown table.

    scripts/real_cost_table.py [--time S] [--jobs N] [--out results/real_cost/README.md]

Every figure comes from `ccx cost|baselines|search --cost real` of the build
at build/ccx (CCX_BIN overrides). The orders annealing finds are written to
results/orders/real/TASK_sa.json (their files name the real model). The
lower bound is `ccx bounds --cost real`."""
import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CCX = os.environ.get("CCX_BIN", os.path.join(ROOT, "build", "ccx"))
TASKS = ["RoeFlux_1d", "RobotArm_6DOF", "HumanHeartDipole", "PropaneCombustion", "RoeFlux_3d",
         "BlackScholes_Jacobian", "Encoder", "Perceptron", "f", "g"]


def ccx(*args):
    r = subprocess.run([CCX, *args], capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        sys.exit("ccx %s: exit %d\n%s" % (" ".join(args), r.returncode, r.stderr))
    return r.stdout


def priced(task, order, model):
    return json.loads(ccx("cost", task, "--order", order, "--cost", model, "--reprice",
                          "--json"))["cost"]


def best_alphagrad_file(task):
    for kind in ("exact", "sa"):
        p = os.path.join(ROOT, "results", "orders", "%s_%s.json" % (task, kind))
        if os.path.exists(p):
            return p
    return None


def row(task, seconds):
    b = json.loads(ccx("baselines", task, "--cost", "real", "--json"))[0]
    with open(os.path.join(ROOT, "tests", "data", "alphagrad", task + ".json")) as fh:
        published = ",".join(map(str, json.load(fh)["best_published_order"]))
    best = best_alphagrad_file(task)
    out = os.path.join(ROOT, "results", "orders", "real", task + "_sa.json")
    ccx("search", task, "--cost", "real", "--method", "sa", "--time", str(seconds), "--seed", "0",
        "--quiet", "-o", out)
    with open(out) as fh:
        sa = json.load(fh)["cost"]
    # the same search started from the best AlphaGrad-model order (re-priced)
    out2 = os.path.join(ROOT, "results", "orders", "real", task + "_sa_from_ag.json")
    sa2 = None
    if best:
        ccx("search", task, "--cost", "real", "--method", "sa", "--time", str(seconds / 2),
            "--seed", "0", "--quiet", "--start", best, "-o", out2)
        with open(out2) as fh:
            sa2 = json.load(fh)["cost"]
    lb = json.loads(ccx("bounds", task, "--cost", "real", "--json"))[0]["lower_bound"]
    return {
        "task": task, "forward": b["forward"], "reverse": b["reverse"],
        "markowitz": b["markowitz"], "greedy": b["greedy"],
        "alphagrad": priced(task, published, "real"),
        "alphagrad_model": priced(task, published, "alphagrad"),
        "best_ag": priced(task, best, "real") if best else None,
        "best_ag_model": priced(task, best, "alphagrad") if best else None,
        "sa": sa, "sa_ag_model": priced(task, out, "alphagrad"), "sa2": sa2, "lb": lb,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--time", type=float, default=60, help="annealing seconds per task (one thread)")
    ap.add_argument("--jobs", type=int, default=2, help="tasks annealed at once")
    ap.add_argument("--out", default=os.path.join(ROOT, "results", "real_cost", "README.md"))
    a = ap.parse_args()
    os.makedirs(os.path.join(ROOT, "results", "orders", "real"), exist_ok=True)
    with ThreadPoolExecutor(a.jobs) as ex:
        rows = list(ex.map(lambda t: row(t, a.time), TASKS))
    lines = [
        "# The ten paper tasks under the real-work cost model",
        "",
        "Multiplications ccx's Jacobian code performs (`--cost real`, docs/tensor_model.md "
        "\"Cost models in ccx\"); in brackets, the same order under AlphaGrad's model. "
        "`best AG-model order`: ccx's cheapest order under AlphaGrad's model "
        "(results/orders/TASK_{exact,sa}.json); `SA real`: simulated annealing on the real "
        "model itself, %g s on one thread, seed 0; `SA real from AG`: the same for %g s started "
        "from the best AG-model order (orders in results/orders/real/); `lower bound`: "
        "`ccx bounds --cost real`, proven but weak on tensor graphs (a vertex adds its cuts only "
        "when all its edges carry data; none when an edge is zero, as BlackScholes_Jacobian's "
        "stop_gradient)." % (a.time, a.time / 2),
        "",
        "Written by `scripts/real_cost_table.py --time %g --jobs %d`." % (a.time, a.jobs),
        "",
        "| task | forward | reverse | Markowitz | greedy | AlphaGrad's order | best AG-model order "
        "| SA real | SA real from AG | lower bound |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        best = "%d (%d)" % (r["best_ag"], r["best_ag_model"]) if r["best_ag"] is not None else "-"
        lines.append("| %s | %d | %d | %d | %d | %d (%d) | %s | %d (%d) | %s | %d |" % (
            r["task"], r["forward"], r["reverse"], r["markowitz"], r["greedy"], r["alphagrad"],
            r["alphagrad_model"], best, r["sa"], r["sa_ag_model"],
            "-" if r["sa2"] is None else str(r["sa2"]), r["lb"]))
    base = lambda r: min(r["forward"], r["reverse"], r["markowitz"], r["greedy"])  # noqa: E731
    found = lambda r: min(r["sa"], r["sa2"] if r["sa2"] is not None else r["sa"])  # noqa: E731
    at_most = sum(found(r) <= base(r) for r in rows)
    below = [r["task"] for r in rows if r["best_ag"] is not None and found(r) < r["best_ag"]]
    equal = [r["task"] for r in rows if r["best_ag"] is not None and found(r) == r["best_ag"]]
    lines += ["", "The better of the two real searches is at most every baseline on %d of %d "
              "tasks, below the real count of the best AlphaGrad-model order on %d (%s) and "
              "equal to it on %d (%s)." % (at_most, len(rows), len(below), ", ".join(below) or "none",
                                           len(equal), ", ".join(equal) or "none"), ""]
    text = "\n".join(lines)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as fh:
        fh.write(text)
    print(text)


if __name__ == "__main__":
    main()
