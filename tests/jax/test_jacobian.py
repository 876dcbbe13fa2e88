"""Tests of the JAX code ccx writes for a Jacobian (`ccx codegen TASK --order
ORDER --lang jax`), run by scripts/test.sh in the exporter's virtual
environments (float64 on the CPU):

    CCX_BIN=build/ccx build/venv-jax/bin/python -m unittest tests/jax/test_jacobian.py -v

For the ten paper tasks and for random programs, in forward, reverse,
Markowitz and random orders, the generated jacobian() equals jax.jacrev of
the function to 1e-10 relative (the largest entry of each block sets the
scale). The six tensor tasks and random programs get the structured module
(jacobian(*inputs) nested like jacrev(argnums=all)); the four scalar tasks
(task files) the straight-line one (jacobian(x) -> (y, J[out, in])).

Points where the function is undefined: the generated code gives NaN where
a path of partials from the input to the output meets a NaN, which is where
JAX's forward mode differentiating in that one input does (g, NaN somewhere
at every point: equal NaN for NaN). jax.jacrev and jax.jacfwd over all
inputs give NaN in more entries, wherever a NaN partial meets a zero
(co)tangent (0 * NaN): jacrev of g is NaN in every entry. Elsewhere (f out of
arccos's domain, RoeFlux_3d with an imaginary speed of sound) ccx's NaNs are
among jacrev's and the entries both give agree.
"""
import importlib.util
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
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import export_tasks  # noqa: E402
import jax_export  # noqa: E402
from test_export import random_program  # noqa: E402

CCX = os.environ.get("CCX_BIN", os.path.join(ROOT, "build", "ccx"))
RTOL = 1e-10
TENSOR = ["RoeFlux_3d", "BlackScholes_Jacobian", "Encoder", "Perceptron", "f", "g"]
SCALAR = ["RoeFlux_1d", "RobotArm_6DOF", "HumanHeartDipole", "PropaneCombustion"]
# CCX_JAX_ORDERS trims the orders (scripts/test.sh: the JAX 0.4.26 venv runs
# reverse and random only; the generated code is the same under both)
ORDERS = os.environ.get("CCX_JAX_ORDERS", "forward,reverse,markowitz,random").split(",")


def ccx(*args):
    r = subprocess.run([CCX, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError("ccx %s: exit %d\n%s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r.stdout


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def order_arg(task, order, seed=0):
    """ORDER for ccx codegen: a baseline name, or a random permutation of the
    eliminable vertices (as a LIST)."""
    if order != "random":
        return order
    verts = json.loads(ccx("cost", task, "--order", "forward", "--json"))["order"]
    random.Random(seed).shuffle(verts)
    return ",".join(map(str, verts))


def max_rel_err(ref, got):
    """max |ref - got| over the entries finite in ref, relative to the largest
    of them (a block that is zero in exact arithmetic holds rounding noise
    that no order reproduces: Encoder's d out / d WQ2 is ~1e-14 everywhere)."""
    worst, scale = 0.0, 1e-300
    for r, g in zip(ref, got):
        r, g = np.asarray(r), np.asarray(g)
        assert r.shape == g.shape, (r.shape, g.shape)
        ok = np.isfinite(r)
        if ok.any():
            scale = max(scale, float(np.max(np.abs(r[ok]))))
            worst = max(worst, float(np.max(np.abs(r[ok] - g[ok]))))
    return worst / scale


def leaves(tree):
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(tree)]


_N = [0]  # generated modules so far (unique module names)


class Generated(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        # float64 for these tests only (the exporter's tests trace in float32)
        cls.x64 = jax.config.jax_enable_x64
        jax.config.update("jax_enable_x64", True)

    @classmethod
    def tearDownClass(cls):
        jax.config.update("jax_enable_x64", cls.x64)
        cls.dir.cleanup()

    def codegen(self, task, order):
        _N[0] += 1
        path = os.path.join(self.dir.name, "m%d.py" % _N[0])
        ccx("codegen", task, "--order", order, "--lang", "jax", "-o", path)
        return load_module(path, "ccx_generated_%d" % _N[0])

    def check_tensor(self, task, order, args, jac_ref, nan_ok=False):
        """jit(jacobian)(*args) against jac_ref; returns the module."""
        m = self.codegen(task, order)
        got = jax.jit(m.jacobian)(*args)
        ref, out = leaves(jac_ref), leaves(got)
        self.assertEqual(len(ref), len(out))
        for r, g in zip(ref, out):
            self.assertEqual(r.shape, g.shape)
            if not nan_ok:
                self.assertFalse(np.isnan(r).any(), "JAX's Jacobian has NaN: move DOMAIN")
            # never a NaN JAX does not give
            self.assertFalse((np.isnan(g) & ~np.isnan(r)).any())
        self.assertLess(max_rel_err(ref, out), RTOL)
        return m


class TensorTasks(Generated):
    """The six tensor tasks: every order, against jacrev of the function the
    graph file records (its outputs(): the graphs were traced in float32, so
    literals such as sqrt(2) are float32 roundings; outputs() equals the
    paper's function to that precision)."""

    def graph_function(self, task, args):
        """outputs() of the task's graph, checked against the paper's function."""
        fn = getattr(export_tasks.load(task), task)
        argn = tuple(range(len(args)))
        graph_fn = self.codegen(task, "reverse").outputs
        if not np.isnan(np.concatenate([x.ravel() for x in leaves(fn(*args))])).any():
            self.assertLess(max_rel_err(leaves(fn(*args)), leaves(graph_fn(*args))), 1e-6)
            self.assertLess(max_rel_err(leaves(jax.jit(jax.jacrev(fn, argnums=argn))(*args)),
                                        leaves(jax.jit(jax.jacrev(graph_fn, argnums=argn))(*args))),
                            1e-6)
        return graph_fn

    def run_task(self, task):
        args = export_tasks.sample_args(export_tasks.load(task), np.random.default_rng(0))
        graph_fn = self.graph_function(task, args)
        ref = jax.jit(jax.jacrev(graph_fn, argnums=tuple(range(len(args)))))(*args)
        for order in ORDERS:
            with self.subTest(task=task, order=order):
                m = self.check_tensor(task, order_arg(task, order), args, ref)
                self.assertGreater(m.multiplications(), 0)

    def test_roeflux_3d(self):
        self.run_task("RoeFlux_3d")

    def test_blackscholes_jacobian(self):
        self.run_task("BlackScholes_Jacobian")

    def test_encoder(self):
        self.run_task("Encoder")

    def test_perceptron(self):
        self.run_task("Perceptron")

    def test_f(self):
        self.run_task("f")

    def test_g_nan_where_a_path_meets_a_nan(self):
        """g is NaN somewhere at every point (DOMAIN in configs/tasks/g.py).
        ccx's Jacobian equals JAX's forward mode taken one input at a time,
        NaN for NaN; jacrev and jacfwd over all inputs give more NaNs (every
        entry, and ~60%), each a NaN partial times a zero (co)tangent."""
        args = export_tasks.sample_args(export_tasks.load("g"), np.random.default_rng(0))
        g_fn = self.graph_function("g", args)
        n_in = len(args)
        per_input = []  # d out_o / d in_i, JAX forward mode with only in_i varying
        for i in range(n_in):
            def g_i(xi, i=i):
                return g_fn(*(args[:i] + [xi] + args[i + 1:]))
            per_input.append(leaves(jax.jacfwd(g_i)(args[i])))
        ref = [per_input[i][o] for o in range(len(per_input[0])) for i in range(n_in)]
        n_nan = sum(int(np.isnan(r).sum()) for r in ref)
        self.assertTrue(0 < n_nan < len(ref))
        argn = tuple(range(n_in))
        rev = leaves(jax.jit(jax.jacrev(g_fn, argnums=argn))(*args))
        fwd = leaves(jax.jit(jax.jacfwd(g_fn, argnums=argn))(*args))
        n_rev, n_fwd = (sum(int(np.isnan(r).sum()) for r in x) for x in (rev, fwd))
        self.assertGreater(n_rev, n_nan)
        print("\n  g: NaN entries of %d: forward mode one input at a time %d (ccx must match), "
              "jacfwd %d, jacrev %d" % (len(ref), n_nan, n_fwd, n_rev), file=sys.stderr)
        for order in ORDERS:
            with self.subTest(order=order):
                m = self.codegen("g", order_arg("g", order))
                got = leaves(jax.jit(m.jacobian)(*args))
                for r, g in zip(ref, got):
                    np.testing.assert_array_equal(np.isnan(g), np.isnan(r))
                self.assertLess(max_rel_err(ref, got), RTOL)

    def test_nan_points_give_nan_where_jax_does(self):
        """f outside arccos's domain, RoeFlux_3d with an imaginary speed of sound."""
        for task, scale in (("f", 8.0), ("RoeFlux_3d", None)):
            args = export_tasks.sample_args(export_tasks.load(task), np.random.default_rng(0))
            if scale:
                args = [a * scale for a in args]
            else:  # energies far above the kinetic energy: a2 < 0
                args[2] = args[2] + 50.0
                args[5] = args[5] + 50.0
            fn = self.graph_function(task, args)
            ref = jax.jit(jax.jacrev(fn, argnums=tuple(range(len(args)))))(*args)
            n_nan = sum(int(np.isnan(x).sum()) for x in leaves(ref))
            self.assertGreater(n_nan, 0)
            for order in ("forward", "reverse"):
                with self.subTest(task=task, order=order):
                    m = self.check_tensor(task, order, args, ref, nan_ok=True)
                    got = leaves(jax.jit(m.jacobian)(*args))
                    self.assertGreater(sum(int(np.isnan(x).sum()) for x in got), 0)

    def test_published_alphagrad_orders(self):
        """AlphaGrad's best published order of each tensor task gives jacrev too."""
        for task in TENSOR:
            with open(os.path.join(ROOT, "tests", "data", "alphagrad", task + ".json")) as fh:
                order = ",".join(map(str, json.load(fh)["best_published_order"]))
            args = export_tasks.sample_args(export_tasks.load(task), np.random.default_rng(1))
            fn = self.graph_function(task, args)
            nan_ok = task == "g"
            ref = (jax.jacfwd if nan_ok else jax.jacrev)(fn, argnums=tuple(range(len(args))))(*args)
            with self.subTest(task=task):
                self.check_tensor(task, order, args, ref, nan_ok=nan_ok)


class ScalarTasks(Generated):
    """The four scalar tasks (task files): the straight-line module's J[out, in]."""

    def test_scalar_tasks(self):
        for task in SCALAR:
            mod = export_tasks.load(task)
            fn = getattr(mod, task)
            args = export_tasks.sample_args(mod, np.random.default_rng(0))
            ref = jax.jacrev(fn, argnums=tuple(range(len(args))))(*args)
            want = np.array([[float(np.ravel(b)[0]) for b in row] for row in ref])
            x = jnp.asarray([float(np.ravel(a)[0]) for a in args])
            for order in ORDERS:
                with self.subTest(task=task, order=order):
                    m = self.codegen(task, order_arg(task, order))
                    y, J = jax.jit(m.jacobian)(x)
                    self.assertEqual(J.shape, want.shape)
                    self.assertLess(max_rel_err([want], [np.asarray(J)]), RTOL)


def variance_scaled(x):
    # jnp.var guards its divisor with a NaN literal (JAX 0.5 and later), which
    # must stay a number through the graph file, not become an array constant
    return jnp.var(x) * x


def clipped_below(x):
    return jnp.maximum(jnp.sin(x), -jnp.inf) * jnp.minimum(x, jnp.inf)


class NonFiniteLiterals(Generated):
    def test_nan_and_inf_literals_reach_the_generated_code(self):
        for k, f in enumerate((variance_scaled, clipped_below)):
            with self.subTest(f=f.__name__):
                x = np.linspace(0.6, 1.4, 4)
                g = jax_export.export(f, x, task=f.__name__)
                path = os.path.join(self.dir.name, "%s.graph.json" % f.__name__)
                jax_export.write(g, path)
                # the file keeps every literal: a round trip through ccx changes nothing
                again = os.path.join(self.dir.name, "%s.again.json" % f.__name__)
                ccx("graph", path, "-o", again)
                lits = lambda p: sorted(o for v in json.load(open(p))["vertices"]  # noqa: E731
                                        for o in v["operands"] if isinstance(o, str) and o[:4] == "lit:")
                self.assertEqual(lits(path), lits(again))
                ref = jax.jacrev(f)(x)
                for order in ORDERS:
                    self.check_tensor(path, order_arg(path, order, k), [x], (ref,))


def seir_split(y, beta):
    # an SEIR right-hand side with its state packed in one vector
    s, e, i, r = jnp.split(y, 4)
    ds = -beta * s * i / (s + e + i + r)
    return jnp.concatenate([ds, -ds - 0.2 * e, 0.2 * e - 0.1 * i, 0.1 * i])


def seir_slices(y, beta):
    # the same with the four slices written out (what JAX 0.4.26 traces split to)
    n = y.shape[0] // 4
    s, e, i, r = (jax.lax.slice(y, (k * n,), ((k + 1) * n,)) for k in range(4))
    ds = -beta * s * i / (s + e + i + r)
    return jnp.concatenate([ds, -ds - 0.2 * e, 0.2 * e - 0.1 * i, 0.1 * i])


class Split(Generated):
    def test_split_is_its_slices_and_gives_jacrev(self):
        args = (np.linspace(0.6, 1.4, 8), 0.3)
        paths = []
        for f in (seir_split, seir_slices):
            path = os.path.join(self.dir.name, "%s.graph.json" % f.__name__)
            jax_export.write(jax_export.export(f, *args, task="seir"), path)
            paths.append(path)
        hash_of = lambda p: re.search(r"graph_sha256\s+(\w+)", ccx("graph", p)).group(1)  # noqa: E731
        self.assertEqual(hash_of(paths[0]), hash_of(paths[1]))
        ref = jax.jacrev(seir_split, argnums=(0, 1))(*args)
        for order in ORDERS:
            self.check_tensor(paths[0], order_arg(paths[0], order, 3), list(args), ref)


def running(x, W):
    # the primitives with a dense record (cumulative ops, sort) and clamp
    c = jnp.cumsum(jnp.sin(x))
    p = jnp.cumprod(x * 0.5 + 0.7)
    s = jnp.sort(W @ x)
    k = jax.lax.clamp(0.8, x, 1.2)
    m = jax.lax.cummax(x * c, axis=0)
    lse = jax.lax.cumlogsumexp(x, reverse=True)
    return jnp.sum(c * p) + s * k + m + lse, jnp.clip(W, 0.9, 1.1) @ jax.lax.cummin(c, reverse=True)


class DenseRecordPrimitives(Generated):
    def test_cumulative_sort_and_clamp_give_jacrev(self):
        args = (np.array([0.7, 1.3, 0.9, 1.1]), np.linspace(0.5, 1.5, 16).reshape(4, 4))
        path = os.path.join(self.dir.name, "running.graph.json")
        g = jax_export.export(running, *args)
        prims = {v["prim"] for v in g["vertices"]}
        for p in ("cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp", "sort", "clamp"):
            self.assertIn(p, prims)
        jax_export.write(g, path)
        ref = jax.jacrev(running, argnums=(0, 1))(*args)
        for order in ORDERS:
            self.check_tensor(path, order_arg(path, order, 5), list(args), ref)


def binned(x):
    # piecewise-constant primitives (no edge: a zero derivative, as in JAX) and
    # an integer argmax whose one-hot scales a path: the primal stays exact
    hot = (jnp.arange(4) == jnp.argmax(x)).astype(x.dtype)
    return jnp.sin(x) * jnp.sign(x - 1.0) + jnp.floor(x * 3.0) * x + jnp.round(x) * hot * jnp.ceil(x)


class PiecewiseConstant(Generated):
    def test_floor_ceil_round_sign_and_argmax_give_jacrev(self):
        x = np.array([0.7, 1.3, 0.9, 1.6])
        path = os.path.join(self.dir.name, "binned.graph.json")
        g = jax_export.export(binned, x)
        prims = {v["prim"] for v in g["vertices"]}
        for p in ("floor", "ceil", "round", "sign", "argmax"):
            self.assertIn(p, prims)
        jax_export.write(g, path)
        ref = jax.jacrev(binned)(x)
        for order in ORDERS:
            m = self.check_tensor(path, order_arg(path, order, 7), [x], (ref,))
            self.assertTrue(np.allclose(m.outputs(x), binned(x), rtol=1e-12))


class RandomPrograms(Generated):
    """Random vector/matrix programs (tests/jax/test_export.py's generator):
    exported, then every order against jacrev."""

    def test_random_programs(self):
        for seed in range(int(os.environ.get("CCX_JAX_RANDOM_PROGRAMS", "20"))):
            f, args = random_program(seed)
            g = jax_export.export(f, *args, task="random%d" % seed)
            path = os.path.join(self.dir.name, "random%d.graph.json" % seed)
            with open(path, "w") as fh:
                json.dump(g, fh)
            rng = np.random.default_rng(seed)
            pts = [rng.uniform(0.5, 1.5, np.shape(a)) for a in args]
            ref = jax.jacrev(f, argnums=tuple(range(len(pts))))(*pts)
            for order in ORDERS:
                with self.subTest(seed=seed, order=order):
                    self.check_tensor(path, order_arg(path, order, seed), pts, ref)


if __name__ == "__main__":
    unittest.main()
