#!/usr/bin/env python3
"""The ten paper tasks under the real-work cost model (`--cost real`):
forward, reverse, Markowitz, the cheapest-first greedy, AlphaGrad's best
published order, ccx's best AlphaGrad-model order (results/orders/), and an
annealing run that optimises real work itself; written as a Markdown table.

    scripts/real_cost_table.py [--time S] [--jobs N] [--out results/real_cost/README.md]

Every figure comes from `ccx cost|baselines|search --cost real` of the build
at build/ccx (CCX_BIN overrides). The orders annealing finds are written to
results/orders/real/TASK_sa.json (their files name the real model). The
lower bound is 0 under real so far (docs/tensor_model.md), so it is not a
column."""
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
    return {
        "task": task, "forward": b["forward"], "reverse": b["reverse"],
        "markowitz": b["markowitz"], "greedy": b["greedy"],
        "alphagrad": priced(task, published, "real"),
        "alphagrad_model": priced(task, published, "alphagrad"),
        "best_ag": priced(task, best, "real") if best else None,
        "best_ag_model": priced(task, best, "alphagrad") if best else None,
        "sa": sa, "sa_ag_model": priced(task, out, "alphagrad"),
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
        "model itself, %g s on one thread, seed 0 (orders in results/orders/real/)." % a.time,
        "",
        "Written by `scripts/real_cost_table.py --time %g --jobs %d`." % (a.time, a.jobs),
        "",
        "| task | forward | reverse | Markowitz | greedy | AlphaGrad's order | best AG-model order "
        "| SA real |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        best = "%d (%d)" % (r["best_ag"], r["best_ag_model"]) if r["best_ag"] is not None else "-"
        lines.append("| %s | %d | %d | %d | %d | %d (%d) | %s | %d (%d) |" % (
            r["task"], r["forward"], r["reverse"], r["markowitz"], r["greedy"], r["alphagrad"],
            r["alphagrad_model"], best, r["sa"], r["sa_ag_model"]))
    base = lambda r: min(r["forward"], r["reverse"], r["markowitz"], r["greedy"])  # noqa: E731
    at_most = sum(r["sa"] <= base(r) for r in rows)
    below = [r["task"] for r in rows if r["best_ag"] is not None and r["sa"] < r["best_ag"]]
    lines += ["", "SA real is at most every baseline on %d of %d tasks and below the real count "
              "of the best AlphaGrad-model order on %d (%s)." % (at_most, len(rows), len(below),
                                                               ", ".join(below) or "none"), ""]
    text = "\n".join(lines)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as fh:
        fh.write(text)
    print(text)


if __name__ == "__main__":
    main()
