#!/usr/bin/env python3
"""The ten paper tasks under the real-work cost model (`--cost real`):
forward, reverse, Markowitz, the cheapest-first greedy, AlphaGrad's best
published order, ccx's best AlphaGrad-model order (results/orders/), two
annealing runs that optimise real work itself (one from its own start, one
from that best order), PPO trained on the real model (one CPU thread) and
the lower bound; written as a Markdown table.

    scripts/real_cost_table.py [--time S] [--ppo S] [--jobs N] [--keep-sa] [--keep-ppo]
                               [--out results/real_cost/README.md]

Every figure comes from `ccx cost|baselines|search --cost real` of the build
at build/ccx (CCX_BIN overrides). The orders annealing finds are written to
results/orders/real/TASK_sa.json (their files name the real model); --keep-sa
reads those files instead of annealing again. Beam search (width 2000, --time
seconds, results/orders/real/TASK_beam.json) is the third search. PPO is `ccx train
configs/train/user_cpu.yaml --task TASK --cost real` for --ppo seconds on one
thread (runs under results/real_cost/runs/, checkpoints removed; best orders
copied to results/orders/real/TASK_ppo.json; --keep-ppo reads those runs
instead of training again). The lower bound is `ccx bounds
--cost real`."""
import argparse
import json
import os
import shutil
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


def ppo(task, seconds, keep):
    """PPO on the real model for `seconds` on one thread: (best cost, wall s it was first reached)."""
    runs = os.path.join(ROOT, "results", "real_cost", "runs")
    run = os.path.join(runs, "ppo_" + task)
    if keep:
        return ppo_best(run, task)
    shutil.rmtree(run, ignore_errors=True)
    ccx("train", os.path.join(ROOT, "configs", "train", "user_cpu.yaml"), "--task", task,
        "--cost", "real", "--quiet", "--set", "budget.seconds=%g" % seconds,
        "--set", "run.threads=1", "--set", "run.seed=0", "--set", "run.out_dir=" + runs,
        "--set", "run.name=ppo_" + task)
    shutil.rmtree(os.path.join(run, "checkpoints"), ignore_errors=True)
    shutil.copy(os.path.join(run, "best_order.json"),
                os.path.join(ROOT, "results", "orders", "real", task + "_ppo.json"))
    return ppo_best(run, task)


def ppo_best(run, task):
    import csv
    rows = list(csv.DictReader(open(os.path.join(run, "metrics.csv"))))
    vals = [(float(r["best_so_far." + task]), float(r["wall_s"])) for r in rows
            if r.get("best_so_far." + task)]
    best = min(v for v, _ in vals)
    return int(best), next(w for v, w in vals if v == best)


def row(task, seconds, ppo_seconds, keep_sa, keep_ppo):
    b = json.loads(ccx("baselines", task, "--cost", "real", "--json"))[0]
    with open(os.path.join(ROOT, "tests", "data", "alphagrad", task + ".json")) as fh:
        published = ",".join(map(str, json.load(fh)["best_published_order"]))
    best = best_alphagrad_file(task)
    out = os.path.join(ROOT, "results", "orders", "real", task + "_sa.json")
    if not keep_sa:
        ccx("search", task, "--cost", "real", "--method", "sa", "--time", str(seconds), "--seed",
            "0", "--quiet", "-o", out)
    with open(out) as fh:
        sa = json.load(fh)["cost"]
    # the same search started from the best AlphaGrad-model order (re-priced)
    out2 = os.path.join(ROOT, "results", "orders", "real", task + "_sa_from_ag.json")
    sa2 = None
    if best:
        if not keep_sa:
            ccx("search", task, "--cost", "real", "--method", "sa", "--time", str(seconds / 2),
                "--seed", "0", "--quiet", "--start", best, "-o", out2)
        with open(out2) as fh:
            sa2 = json.load(fh)["cost"]
    out3 = os.path.join(ROOT, "results", "orders", "real", task + "_beam.json")
    ccx("search", task, "--cost", "real", "--method", "beam", "--width", "2000", "--time",
        str(seconds), "--quiet", "-o", out3)
    with open(out3) as fh:
        beam = json.load(fh)["cost"]
    lb = json.loads(ccx("bounds", task, "--cost", "real", "--json"))[0]["lower_bound"]
    p = ppo(task, ppo_seconds, keep_ppo) if ppo_seconds > 0 else None
    return {
        "task": task, "forward": b["forward"], "reverse": b["reverse"],
        "markowitz": b["markowitz"], "greedy": b["greedy"],
        "alphagrad": priced(task, published, "real"),
        "alphagrad_model": priced(task, published, "alphagrad"),
        "best_ag": priced(task, best, "real") if best else None,
        "best_ag_model": priced(task, best, "alphagrad") if best else None,
        "sa": sa, "sa_ag_model": priced(task, out, "alphagrad"), "sa2": sa2, "lb": lb,
        "ppo": p, "beam": beam,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--time", type=float, default=60, help="annealing seconds per task (one thread)")
    ap.add_argument("--ppo", type=float, default=150, help="PPO seconds per task (one thread; 0: none)")
    ap.add_argument("--keep-sa", action="store_true",
                    help="read the annealing results in results/orders/real/ instead of annealing")
    ap.add_argument("--keep-ppo", action="store_true",
                    help="read the PPO runs in results/real_cost/runs/ instead of training")
    ap.add_argument("--jobs", type=int, default=2, help="tasks run at once")
    ap.add_argument("--out", default=os.path.join(ROOT, "results", "real_cost", "README.md"))
    a = ap.parse_args()
    os.makedirs(os.path.join(ROOT, "results", "orders", "real"), exist_ok=True)
    with ThreadPoolExecutor(a.jobs) as ex:
        rows = list(ex.map(lambda t: row(t, a.time, a.ppo, a.keep_sa, a.keep_ppo), TASKS))
    lines = [
        "# The ten paper tasks under the real-work cost model",
        "",
        "Multiplications ccx's Jacobian code performs (`--cost real`, docs/tensor_model.md "
        "\"Cost models in ccx\"); in brackets, the same order under AlphaGrad's model. "
        "`best AG-model order`: ccx's cheapest order under AlphaGrad's model "
        "(results/orders/TASK_{exact,sa}.json); `SA real`: simulated annealing on the real "
        "model itself, %g s on one thread, seed 0; `SA real from AG`: the same for %g s started "
        "from the best AG-model order (orders in results/orders/real/); `beam real`: beam "
        "search on the real model, width 2000, %g s; `PPO`: `ccx train "
        "configs/train/user_cpu.yaml --task TASK --cost real`, %g s on one thread, seed 0, its "
        "best order (at the wall second it was found; results/orders/real/TASK_ppo.json); "
        "`lower bound`: "
        "`ccx bounds --cost real`, proven but weak on tensor graphs (a vertex adds its cuts only "
        "when all its edges carry data; none when an edge is zero, as BlackScholes_Jacobian's "
        "stop_gradient)." % (a.time, a.time / 2, a.time, a.ppo),
        "",
        "Written by `scripts/real_cost_table.py --time %g --ppo %g --jobs %d%s%s`." % (
            a.time, a.ppo, a.jobs, " --keep-sa" if a.keep_sa else "",
            " --keep-ppo" if a.keep_ppo else ""),
        "",
        "| task | forward | reverse | Markowitz | greedy | AlphaGrad's order | best AG-model order "
        "| SA real | SA real from AG | beam real | PPO real | lower bound |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        best = "%d (%d)" % (r["best_ag"], r["best_ag_model"]) if r["best_ag"] is not None else "-"
        ppo_cell = "%d (%.0f s)" % r["ppo"] if r["ppo"] else "-"
        lines.append("| %s | %d | %d | %d | %d | %d (%d) | %s | %d (%d) | %s | %d | %s | %d |" % (
            r["task"], r["forward"], r["reverse"], r["markowitz"], r["greedy"], r["alphagrad"],
            r["alphagrad_model"], best, r["sa"], r["sa_ag_model"],
            "-" if r["sa2"] is None else str(r["sa2"]), r["beam"], ppo_cell, r["lb"]))
    base = lambda r: min(r["forward"], r["reverse"], r["markowitz"], r["greedy"])  # noqa: E731
    found = lambda r: min(r["sa"], r["beam"], r["sa2"] if r["sa2"] is not None else r["sa"])  # noqa: E731
    at_most = sum(found(r) <= base(r) for r in rows)
    below = [r["task"] for r in rows if r["best_ag"] is not None and found(r) < r["best_ag"]]
    equal = [r["task"] for r in rows if r["best_ag"] is not None and found(r) == r["best_ag"]]
    lines += ["", "The best of the three real searches is at most every baseline on %d of %d "
              "tasks, below the real count of the best AlphaGrad-model order on %d (%s) and "
              "equal to it on %d (%s)." % (at_most, len(rows), len(below), ", ".join(below) or "none",
                                           len(equal), ", ".join(equal) or "none")]
    if any(r["ppo"] for r in rows):
        ppo_base = [r["task"] for r in rows if r["ppo"] and r["ppo"][0] <= base(r)]
        ppo_sa = [r["task"] for r in rows if r["ppo"] and r["ppo"][0] <= found(r)]
        lines += ["PPO on the real model is at most every baseline on %d of %d tasks (%s) and "
                  "matches the annealer on %d (%s)." % (
                      len(ppo_base), len(rows), ", ".join(ppo_base) or "none", len(ppo_sa),
                      ", ".join(ppo_sa) or "none")]
    lines += [""]
    text = "\n".join(lines)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as fh:
        fh.write(text)
    print(text)


if __name__ == "__main__":
    main()
