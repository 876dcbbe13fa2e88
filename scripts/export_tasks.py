#!/usr/bin/env python3
"""Export the ten paper functions (configs/tasks/TASK.py) with jax_export.

    python3 scripts/export_tasks.py [--write] [--check] [TASK...]

Each configs/tasks/TASK.py defines TASK (the function) and example_args()
(the arguments AlphaGrad traced it with). With --write the graph files of the
six tensor tasks, configs/tasks/TASK.graph.json, are rewritten from the
export (run it from the repository root under JAX 0.4.26: the committed
files are that export, AlphaGrad's graphs record for record); the four
scalar tasks keep their task files (TASK.ccx). With --check the export must
equal the committed file byte for byte. Without either, the exports go to
stdout. --alphagrad-quirks is always on here (the `_` column of
BlackScholes_Jacobian).
"""
import argparse
import importlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import jax_export  # noqa: E402

TASKS = ["RoeFlux_1d", "RobotArm_6DOF", "HumanHeartDipole", "PropaneCombustion", "RoeFlux_3d",
         "BlackScholes_Jacobian", "Encoder", "Perceptron", "f", "g"]
SCALAR = {"RoeFlux_1d", "RobotArm_6DOF", "HumanHeartDipole", "PropaneCombustion"}


def load(task):
    """The task's module (configs/tasks/TASK.py)."""
    tasks_dir = os.path.join(ROOT, "configs", "tasks")
    if tasks_dir not in sys.path:
        sys.path.insert(0, tasks_dir)
    return importlib.import_module(task)


def sample_args(mod, rng):
    """Random float64 arguments for the task module mod inside its DOMAIN (one
    (low, high) box for all arguments, or one per argument), shaped like
    example_args(); a Python float argument stays a float."""
    import numpy as np
    ex = mod.example_args()
    dom = mod.DOMAIN if isinstance(mod.DOMAIN, list) else [mod.DOMAIN] * len(ex)
    return [float(rng.uniform(*box)) if isinstance(a, float) else rng.uniform(*box, np.shape(a))
            for a, box in zip(ex, dom)]


def export(task):
    """The graph (dict) of configs/tasks/TASK.py, as the committed files have it."""
    import jax
    mod = load(task)
    return jax_export.export(getattr(mod, task), *mod.example_args(), task=task,
                             alphagrad_quirks=True,
                             origin="exported from configs/tasks/%s.py by scripts/jax_export.py "
                                    "(--alphagrad-quirks) with jax %s" % (task, jax.__version__))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tasks", nargs="*", metavar="TASK")
    ap.add_argument("--write", action="store_true", help="rewrite configs/tasks/TASK.graph.json")
    ap.add_argument("--check", action="store_true", help="compare with configs/tasks/TASK.graph.json")
    a = ap.parse_args(argv)
    os.chdir(ROOT)  # source lines relative to the repository root
    bad = 0
    for task in a.tasks or TASKS:
        text = jax_export.dumps(export(task))
        path = os.path.join("configs", "tasks", task + ".graph.json")
        if a.check and task not in SCALAR:
            with open(path) as fh:
                same = fh.read() == text
            print("%-22s %s" % (task, "same as " + path if same else "DIFFERS from " + path))
            bad += not same
        elif a.write and task not in SCALAR:
            with open(path, "w") as fh:
                fh.write(text)
            print("wrote", path)
        elif not a.write and not a.check:
            sys.stdout.write(text)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
