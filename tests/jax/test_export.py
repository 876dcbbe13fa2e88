"""Tests of the JAX exporter (scripts/jax_export.py), run by scripts/test.sh in
a virtual environment with the current JAX (scripts/requirements-jax.txt) and
in one with JAX 0.4.26 (scripts/requirements-jax0426.txt), the version that
built AlphaGrad's graphs:

    CCX_BIN=build/ccx build/venv-jax/bin/python -m unittest discover -s tests/jax -v

Every graph is checked by ccx itself (it refuses an invalid file), and the
figures come from `ccx baselines`. Kept out of the C test suite on purpose:
the C program never needs Python.
"""
import importlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, os.path.join(ROOT, "configs", "tasks"))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import export_tasks  # noqa: E402
import jax_export  # noqa: E402

CCX = os.environ.get("CCX_BIN", os.path.join(ROOT, "build", "ccx"))
OLD_JAX = jax.__version__ == "0.4.26"
DATA = os.path.join(ROOT, "tests", "data", "alphagrad")

# `ccx baselines` of each paper function's export: (eliminable, forward,
# reverse, markowitz). Under JAX 0.4.26 these are AlphaGrad's figures; newer
# JAX adds a `max` vertex to each softmax (Encoder has three, Perceptron one:
# forward mode prices them, reverse and Markowitz do not change).
FIGURES_0426 = {
    "RoeFlux_1d": (98, 620, 364, 407), "RobotArm_6DOF": (108, 397, 301, 288),
    "HumanHeartDipole": (78, 240, 172, 194), "PropaneCombustion": (51, 151, 90, 111),
    "RoeFlux_3d": (143, 1556, 979, 956), "BlackScholes_Jacobian": (129, 545, 572, 350),
    "Encoder": (90, 135010, 4688, 51896), "Perceptron": (38, 10930, 392, 4796),
    "f": (75, 17728, 9333, 12257), "g": (85, 632, 566, 451),
}
FIGURES_NEW = dict(FIGURES_0426, Encoder=(93, 135956, 4688, 51896), Perceptron=(39, 11012, 392, 4796))


def ccx(*args, check=True):
    r = subprocess.run([CCX, *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError("ccx %s: exit %d\n%s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r


def graph_hash(path):
    out = ccx("graph", path).stdout
    return re.search(r"^graph_sha256\s+([0-9a-f]{64})", out, re.M).group(1)


def baselines(path):
    """(eliminable, forward, reverse, markowitz) from `ccx baselines --json`."""
    d = json.loads(ccx("baselines", path, "--json").stdout)[0]
    return (d["intermediates"], d["forward"], d["reverse"], d["markowitz"])


class Tmp(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def write_export(self, graph, name="g.graph.json"):
        p = self.path(name)
        jax_export.write(graph, p)
        return p


class Rules(unittest.TestCase):
    """The Python rules equal AlphaGrad's builder on every case of the ten
    graphs, as the C rules do (tests/test_prim_rules.cc)."""

    def test_every_case_of_the_paper_graphs(self):
        line_re = re.compile(r"^(\S+)\s+(.*?)\s*arg(\d+) in=(\([^)]*\))\s+other=(.*?)\s+out=(\([^)]*\))\s+"
                             r"->\s+rec=\[(-?\d+), (\d+), (\d+), (\d+), (\d+)\]")
        shape = lambda t: tuple(int(x) for x in re.findall(r"\d+", t))  # noqa: E731
        checked = 0
        with open(os.path.join(DATA, "prim_edge_examples.txt")) as fh:
            lines = fh.readlines()
        for line in lines:
            if line.startswith("#") or not line.strip():
                continue
            m = line_re.search(line)
            self.assertIsNotNone(m, line)
            prim, params, arg = m.group(1), m.group(2), int(m.group(3))
            want = [int(m.group(7 + i)) for i in range(5)]
            if want[0] == 0 and prim != "stop_gradient":
                continue  # BlackScholes `_` equations: not a rule's output
            others = re.findall(r"lit\(\)|\([^)]*\)", m.group(5))
            ops = others[:arg] + [m.group(4)] + others[arg:]
            lit = [o == "lit()" for o in ops]
            shapes = [() if o == "lit()" else shape(o) for o in ops]
            p = {}
            dn = re.search(r"\(\(\((\d),\), \((\d),\)\)", params)
            if dn:
                p["dimension_numbers"] = (((int(dn.group(1)),), (int(dn.group(2)),)), ((), ()))
            ax = re.match(r"\((\d),", params)
            if ax:
                p["axes"] = (int(ax.group(1)),)
            rec = jax_export.records(prim, shapes, lit, shape(m.group(6)), p)[arg]
            self.assertEqual(rec or [0, 0, 0, 0, 0], want, line)
            checked += 1
        self.assertGreater(checked, 250)


class PaperFunctions(Tmp):
    """The ten paper functions (configs/tasks/TASK.py)."""

    def export(self, task, quirks=True):
        mod = export_tasks.load(task)
        g = jax_export.export(getattr(mod, task), *mod.example_args(), task=task, alphagrad_quirks=quirks)
        return self.write_export(g, task + ".graph.json")

    def test_exports_load_and_give_the_figures(self):
        figures = FIGURES_0426 if OLD_JAX else FIGURES_NEW
        for task in export_tasks.TASKS:
            with self.subTest(task=task):
                self.assertEqual(baselines(self.export(task)), figures[task])

    @unittest.skipUnless(OLD_JAX, "AlphaGrad's graphs come from JAX 0.4.26")
    def test_jax_0426_gives_alphagrads_graphs_record_for_record(self):
        for task in export_tasks.TASKS:
            with self.subTest(task=task):
                self.assertEqual(graph_hash(self.export(task)), graph_hash(os.path.join(DATA, task + ".json")))

    @unittest.skipUnless(OLD_JAX, "the committed files are the JAX 0.4.26 export")
    def test_committed_graph_files_are_the_export(self):
        self.assertEqual(export_tasks.main(["--check"]), 0)

    def test_scalar_functions_equal_their_task_files(self):
        for task in sorted(export_tasks.SCALAR):
            with self.subTest(task=task):
                self.assertEqual(graph_hash(self.export(task)), graph_hash(task))

    def test_without_quirks_dead_equations_keep_their_edges(self):
        p = self.export("BlackScholes_Jacobian", quirks=False)
        self.assertEqual(baselines(p), (129, 582, 501, 350))

    def test_blackscholes_jacobian_is_jacrev_of_blackscholes(self):
        m = export_tasks.load("BlackScholes_Jacobian")
        x = [np.array([v], np.float32) for v in (100.0, 95.0, 0.05, 0.2, 0.75)]
        got = m.BlackScholes_Jacobian(*x)
        want = jax.jacrev(lambda *a: m.BlackScholes(*a)[0], argnums=(0, 1, 2, 3, 4))(*x)
        for g, w in zip(got, want):
            np.testing.assert_allclose(np.asarray(g).ravel(), np.asarray(w).ravel(), rtol=2e-4, atol=1e-6)


# ---------------------------------------------------------- random programs --

def random_program(seed):
    """A random JAX function of vector/matrix arguments (shapes from 1..4) and
    its example arguments: elementwise ops with broadcasting, dot_general,
    reductions, broadcasts, reshapes, slices, concatenation, transposes."""
    rnd = random.Random(seed)
    n_in = rnd.randint(2, 4)
    dims = lambda: rnd.randint(2, 4)  # noqa: E731
    shapes = []
    for _ in range(n_in):
        r = rnd.random()
        shapes.append(() if r < 0.15 else (dims(),) if r < 0.5 else (dims(), dims()))
    n_ops = rnd.randint(8, 24)
    plan = [rnd.random() for _ in range(4 * n_ops)]

    def f(*args):
        vals = list(args)
        it = iter(plan)
        nxt = lambda: next(it)  # noqa: E731
        pick = lambda pred=lambda v: True: [v for v in vals if pred(v)]  # noqa: E731
        for _ in range(n_ops):
            x = vals[int(nxt() * len(vals))]
            r = nxt()
            if r < 0.2:
                y = [jnp.sin, jnp.exp, jnp.tanh, jnp.square, jax.nn.sigmoid, jnp.cos][int(nxt() * 6)](x)
            elif r < 0.45:
                same = pick(lambda v: v.shape == x.shape) + pick(lambda v: v.ndim == 0)
                if x.ndim == 2:
                    same += pick(lambda v: v.shape in ((x.shape[1],), (1, x.shape[1]), (x.shape[0], 1)))
                z = same[int(nxt() * len(same))]
                y = [jnp.add, jnp.subtract, jnp.multiply][int(nxt() * 3)](x, z)
            elif r < 0.6:
                if x.ndim == 2:
                    c = pick(lambda v: v.ndim >= 1 and v.shape[0] == x.shape[1])
                    y = x @ c[int(nxt() * len(c))] if c else x.T
                elif x.ndim == 1:
                    c = pick(lambda v: v.ndim >= 1 and v.shape[0] == x.shape[0])
                    y = jnp.dot(x, c[int(nxt() * len(c))])
                else:
                    y = x * 2.0
            elif r < 0.72:
                if x.ndim == 0:
                    y = jnp.broadcast_to(x, (3,))
                else:
                    ax = int(nxt() * x.ndim)
                    y = jnp.sum(x, axis=ax) if nxt() < 0.7 else jnp.max(x, axis=ax)
            elif r < 0.8:
                y = x.reshape(-1) if x.ndim == 2 else x.reshape((1, -1)) if x.ndim == 1 else x.reshape((1,))
            elif r < 0.87:
                y = x[1:] if x.ndim >= 1 and x.shape[0] > 1 else x + 1.0
            elif r < 0.94:
                c = pick(lambda v: v.ndim == x.ndim and v.ndim >= 1 and v.shape[1:] == x.shape[1:])
                y = jnp.concatenate([x, c[int(nxt() * len(c))]]) if x.ndim >= 1 else x - 1.0
            else:
                y = jnp.where(x > 0, x, 0.5 * x)
            vals.append(y)
        return vals[-1], vals[-2]

    args = [np.ones(s, np.float32) + 0.1 * i for i, s in enumerate(shapes)]
    return f, args


class RandomPrograms(Tmp):
    def test_fifty_random_programs_export_load_and_price(self):
        prims = set()
        for seed in range(50):
            with self.subTest(seed=seed):
                f, args = random_program(seed)
                g = jax_export.export(f, *args, task="random%d" % seed)
                prims.update(v["prim"] for v in g["vertices"])
                p = self.write_export(g)
                el, fw, rv, mk = baselines(p)
                self.assertGreaterEqual(fw, 0)
                n_eq = len(jax.make_jaxpr(f)(*args).jaxpr.eqns)
                self.assertGreaterEqual(len(g["vertices"]), n_eq - 2)  # inlined calls may add
        for p in ("dot_general", "reduce_sum", "reduce_max", "broadcast_in_dim", "reshape",
                  "slice", "concatenate", "add", "mul", "sin", "select_n"):
            self.assertIn(p, prims)


# ------------------------------------------------------------------ errors --

USER = '''import jax.numpy as jnp
import jax.lax as lax


def cum(x):
    y = jnp.sin(x)
    return y[jnp.array([2, 0, 1, 3])]


def rank3(x):
    return jnp.sin(x.reshape((2, 2, 1)))


def fine(x, W):
    return jnp.tanh(W @ x), x


def feeds(a, b):
    y1 = a * b
    t = jnp.sin(y1)
    y2 = t + a * a
    y3 = y2 * y1 / b
    return y3, y1, y2


def ints(n, k):
    return (n * k + 1).astype(jnp.float32)


def stopped(x):
    return lax.stop_gradient(jnp.sin(x)) * 2.0


def scaled(x, n):
    return jnp.sin(x) * n


def with_index(x):
    return jnp.sin(x), jnp.argmax(x)
'''

USER_LINE = {name: k + 1 for k, text in enumerate(USER.splitlines())
             for name in ("ints", "stopped", "with_index") if text.startswith("def %s(" % name)}

FEEDS_CCX = '''input a, b
y1 = a * b
t = sin(y1)
y2 = t + a * a
y3 = y2 * y1 / b
output y3, y1, y2
'''


class LinalgCalls(unittest.TestCase):
    def test_only_a_real_inverse_or_solve_becomes_one_vertex(self):
        import jax.numpy as jnp
        A, b = np.eye(3) * 2.0 + 0.1, np.ones(3)
        prims = lambda f, *a: [v["prim"] for v in jax_export.export(f, *a)["vertices"]]  # noqa: E731
        self.assertEqual(prims(lambda A: jnp.linalg.inv(A), A), ["inv"])
        self.assertEqual(prims(lambda A, b: jnp.linalg.solve(A, b), A, b), ["solve"])

        @jax.jit
        def inv(A):  # a jit named inv that is no inverse: inlined like any call
            return A * 2.0

        self.assertEqual(prims(inv, A), ["mul"])


class CommandLine(Tmp):
    def setUp(self):
        super().setUp()
        with open(self.path("user_mod.py"), "w") as fh:
            fh.write(USER)

    def run_export(self, *args):
        return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "jax_export.py"), *args],
                              capture_output=True, text=True, cwd=self.dir.name)

    def test_export_a_user_function(self):
        r = self.run_export("user_mod:fine", "--arg", "f32[4]", "--arg", "f32[4,4]", "-o", "fine.graph.json")
        self.assertEqual(r.returncode, 0, r.stderr)
        p = self.path("fine.graph.json")
        out = ccx("graph", p, "--vertices").stdout
        self.assertIn("user_mod.py:15", out)  # the user's source line
        self.assertIn("copy", out)  # the output that is an input gets a copy
        self.assertEqual(baselines(p)[0], 1)  # the dot; tanh and the copy are outputs

    def test_unknown_primitive_names_it_and_the_line(self):
        r = self.run_export("user_mod:cum", "--arg", "f32[4]", "-o", "x.json")
        self.assertEqual(r.returncode, 2)
        self.assertIn("gather", r.stderr)
        self.assertIn("one-hot", r.stderr)  # what to write instead
        self.assertIn("user_mod.py:7", r.stderr)
        self.assertFalse(os.path.exists(self.path("x.json")))

    def test_rank_three_arrays_are_refused_with_the_line(self):
        r = self.run_export("user_mod:rank3", "--arg", "f32[4]")
        self.assertEqual(r.returncode, 2)
        self.assertIn("rank 3", r.stderr)
        self.assertIn("rank 2 or less", r.stderr)  # what to write instead
        self.assertIn("user_mod.py:11", r.stderr)

    def test_no_differentiable_path_is_refused_with_the_def_line(self):
        # integer inputs and outputs, or a stop_gradient on the only path: the
        # Jacobian is zero, so there is no game to play (jax.jacrev refuses too)
        for fn, args, line in (("ints", ["--arg", "i32[]", "--arg", "i32[]"], USER_LINE["ints"]),
                               ("stopped", ["--arg", "f32[3]"], USER_LINE["stopped"])):
            r = self.run_export("user_mod:" + fn, *args, "-o", fn + ".json")
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("no differentiable path from an input to an output", r.stderr)
            self.assertIn("user_mod.py:%d" % line, r.stderr)
            self.assertFalse(os.path.exists(self.path(fn + ".json")))
        # one float path is enough: an integer input beside it is no error
        r = self.run_export("user_mod:scaled", "--arg", "f32[3]", "--arg", "i32[]", "-o", "ok.json")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_integer_outputs_are_refused_with_the_def_line(self):
        r = self.run_export("user_mod:with_index", "--arg", "f32[4]", "-o", "w.json")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("output 2 is int32", r.stderr)
        self.assertIn("user_mod.py:%d" % USER_LINE["with_index"], r.stderr)
        self.assertFalse(os.path.exists(self.path("w.json")))

    def test_integer_inputs_carry_their_dtype_and_code_generators_refuse_them(self):
        r = self.run_export("user_mod:scaled", "--arg", "f32[3]", "--arg", "i32[]", "-o", "s.json")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.path("s.json")) as fh:
            ins = json.load(fh)["inputs"]
        self.assertNotIn("dtype", ins[0])  # floats carry no mark
        self.assertEqual(ins[1]["dtype"], "int32")
        self.assertEqual(baselines(self.path("s.json"))[0], 2)  # sin and the convert of n: a game as before
        # the JAX module of the vector graph, the C code of a scalar one
        r = self.run_export("user_mod:scaled", "--arg", "f32[]", "--arg", "i32[]", "-o", "s0.json")
        self.assertEqual(r.returncode, 0, r.stderr)
        for graph, lang in (("s.json", "jax"), ("s0.json", "c")):
            g = ccx("codegen", self.path(graph), "--order", "reverse", "--lang", lang, "-o",
                    self.path("s_jac"), check=False)
            self.assertEqual(g.returncode, 2, g.stdout + g.stderr)
            self.assertIn("input x2 (n) is int32", g.stderr)

    def test_bad_arguments(self):
        self.assertEqual(self.run_export("user_mod:fine", "--arg", "f32[4").returncode, 2)
        self.assertEqual(self.run_export("user_mod:fine", "--arg", "f32[4]").returncode, 2)  # too few
        self.assertEqual(self.run_export("nosuchmodule:f").returncode, 2)
        self.assertEqual(self.run_export("user_mod:nosuch").returncode, 2)
        self.assertEqual(self.run_export("no_colon").returncode, 2)

    def test_outputs_feeding_outputs_equal_the_task_language(self):
        """The same function written in the task language and exported from
        JAX: the same graph (copy vertices for y1 and y2) and figures."""
        r = self.run_export("user_mod:feeds", "--arg", "f32[]", "--arg", "f32[]", "-o", "feeds.graph.json")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.path("feeds.ccx"), "w") as fh:
            fh.write(FEEDS_CCX)
        a, b = self.path("feeds.graph.json"), self.path("feeds.ccx")
        self.assertEqual(graph_hash(a), graph_hash(b))
        self.assertEqual(baselines(a), baselines(b))
        self.assertIn("copy", ccx("graph", a, "--vertices").stdout)
        # and the Jacobian of the exported graph is right (it is evaluable)
        self.assertIn("dual reference", ccx("jacobian", a, "--order", "reverse").stdout)


if __name__ == "__main__":
    unittest.main()
