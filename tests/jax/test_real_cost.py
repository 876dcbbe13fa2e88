"""The real-work cost model (host/game/real_cost.h) against the JAX code ccx
writes: `ccx cost GRAPH --order ORDER --cost real` must equal the generated
module's multiplications() (the products it performs, counted while JAX
traces them) exactly, for

  - the six tensor paper tasks in forward, reverse, Markowitz and greedy
    order, AlphaGrad's best published order, ccx's best order
    (results/orders/TASK_sa.json) and random orders;
  - the functions of tests/jax/user_functions.py (split, pad, cumsum, rev,
    inv, select_n, ...) and random exported programs, in random orders;
  - random programs of `ccx gen --tensor`, in random orders.

Run by scripts/test.sh with the rest of tests/jax (CCX_REAL_RANDOM_ORDERS
random orders per graph, CCX_JAX_RANDOM_PROGRAMS programs of each kind)."""
import json
import os
import random
import subprocess
import sys
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import jax_export  # noqa: E402
import user_functions as uf  # noqa: E402
from test_export import random_program  # noqa: E402
from test_jacobian import CCX, TENSOR, Generated, ccx  # noqa: E402

N_RANDOM = int(os.environ.get("CCX_REAL_RANDOM_ORDERS", "4"))
N_PROGRAMS = int(os.environ.get("CCX_JAX_RANDOM_PROGRAMS", "20"))


def random_orders(graph, n, seed):
    verts = json.loads(ccx("cost", graph, "--order", "forward", "--json"))["order"]
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        rnd.shuffle(verts)
        out.append(",".join(map(str, verts)))
    return out


class RealCost(Generated):

    def check(self, graph, order, label):
        with self.subTest(graph=os.path.basename(graph), order=label):
            # a baseline name is resolved under real first (greedy differs by model)
            rec = json.loads(ccx("cost", graph, "--order", order, "--cost", "real", "--reprice",
                                 "--json"))
            want = self.codegen(graph, ",".join(map(str, rec["order"]))).multiplications()
            self.assertEqual(rec["cost"], want)
            self.assertEqual(rec["cost_model"], "real")

    def test_tensor_tasks(self):
        for task in TENSOR:
            orders = [(o, o) for o in ("forward", "reverse", "markowitz", "greedy")]
            with open(os.path.join(ROOT, "tests", "data", "alphagrad", task + ".json")) as fh:
                orders.append((",".join(map(str, json.load(fh)["best_published_order"])),
                               "alphagrad"))
            best = os.path.join(ROOT, "results", "orders", task + "_sa.json")
            if os.path.exists(best):
                orders.append((best, "ccx best"))
            orders += [(o, "random") for o in random_orders(task, N_RANDOM, 1)]
            for order, label in orders:
                self.check(task, order, label)

    def test_user_functions(self):
        for k, (name, shapes) in enumerate(sorted(uf.ARGS.items())):
            if name in uf.REFUSED:
                continue
            args = [np.random.default_rng(k).uniform(0.5, 1.5, s) for s in shapes]
            path = os.path.join(self.dir.name, name + ".graph.json")
            jax_export.write(jax_export.export(getattr(uf, name), *args), path)
            for order in ["forward", "reverse"] + random_orders(path, N_RANDOM, k):
                self.check(path, order, order if "," not in order else "random")

    def test_exported_random_programs(self):
        for seed in range(N_PROGRAMS):
            f, args = random_program(seed)
            path = os.path.join(self.dir.name, "random%d.graph.json" % seed)
            jax_export.write(jax_export.export(f, *args, task="random%d" % seed), path)
            for order in random_orders(path, N_RANDOM, seed):
                self.check(path, order, "random")

    def test_generated_tensor_programs(self):
        used = 0
        for seed in range(2 * N_PROGRAMS):
            if used == N_PROGRAMS:
                break
            path = os.path.join(self.dir.name, "gen%d.graph.json" % seed)
            ccx("gen", "--tensor", "--seed", str(seed), "--intermediates", str(8 + seed % 20),
                "-o", path)
            # the JAX code generator takes outputs that feed nothing (the exporter
            # copies them; the generator does not)
            r = subprocess.run([CCX, "codegen", path, "--order", "forward", "--lang", "jax",
                                "-o", os.devnull], capture_output=True, text=True)
            if "feeds other vertices" in r.stderr:
                continue
            used += 1
            for order in random_orders(path, N_RANDOM, seed):
                self.check(path, order, "random")
        self.assertGreaterEqual(used, N_PROGRAMS // 2)


if __name__ == "__main__":
    unittest.main()
