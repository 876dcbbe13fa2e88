#!/usr/bin/env python3
"""Export a JAX function to a ccx graph file.

    python3 scripts/jax_export.py MODULE:FUNCTION --arg f32[4] --arg f64[2,3] \
        --arg f32[] ... -o f.graph.json

or, from Python,

    from jax_export import export
    export(f, x, W, path="f.graph.json")

The function is traced with jax.make_jaxpr; calls (pjit, closed_call,
custom_jvp_call, custom_vjp_call, remat) are inlined, so every vertex is one
primitive equation, numbered in program order as AlphaGrad and graphax number
them (an order ccx finds is an order for graphax's jacve). Each equation's
edges are the records AlphaGrad's graph builder gives it
(docs/tensor_model.md §5; the same rules as ccx's host/graph/prim_rules.c),
and the file records the primitive, shape, params and the user's source line
of every vertex, so `ccx graph F --vertices` shows where each came from.

Semantics settled here (the task language does the same):
- An output that also feeds other equations, an output that is an input, and
  an output listed twice get a copy vertex each, appended after the
  equations: the original becomes an ordinary (eliminable) vertex and the
  copy, the output, has the one edge original -> copy. That edge is an
  identity record (type -6: free) for a vector or matrix, and a dense 1x1
  record for a scalar, as every scalar edge of the unit model (one
  multiplication by 1 per predecessor, as AlphaGrad prices its copies of
  scalars). So the game's cost counts every multiplication the Jacobian needs:
  nothing is left to complete after the elimination.
- Values that are not floating point (booleans, integers) carry no
  derivative: their vertices have no in-edges, and they give no edges. So a
  comparison (gt, lt, ...) or any other primitive with such a result is a
  vertex without edges, whatever the primitive.
- stop_gradient, iota, floor, ceil, round and sign give no edges (their
  vertices have no in-edges: their derivative is zero, as in JAX).

Beyond AlphaGrad's rules: split (one slice per piece) and stack (a
broadcast_in_dim per operand, then a concatenate), as JAX 0.4.26 traced
them; clamp (elementwise),
one dense record each for cumsum, cumprod, cummax, cummin, cumlogsumexp,
a one-operand sort and a jnp.linalg.inv or solve call (one vertex for the
call), pad and rev (reshape-like), and no edge for floor, ceil, round and sign.

Unsupported: primitives without a rule (gather, scatter, argsort,
while, scan, cond, ...), equations with several outputs, and arrays of rank
3 or more; each is an error naming the primitive and the user's file:line
(exit 2 on the command line), never a wrong graph. So is a function none of
whose outputs depends differentiably on an input (integer or boolean values
only, a stop_gradient on every path): its Jacobian is zero, and the error
names the function's def line.

alphagrad_quirks=True (--alphagrad-quirks) reproduces one more quirk of
AlphaGrad's builder, for the reference graphs only: every equation whose
result nothing uses (a `_` in JAX 0.4.26's jaxpr) writes its in-edges into
the first such equation's column, leaving the later ones isolated
(docs/tensor_model.md 7.7). It changes costs: those in-edges now point at an early
dead end, which forward mode eliminates before their sources
(BlackScholes_Jacobian: forward/reverse 545/572 with it, 582/501 without).
Without it each dead equation keeps its own in-edges.
"""

import argparse
import importlib
import inspect
import json
import os
import re
import sys
import types

__version__ = "1"

# ---------------------------------------------------------------- rules --
# AlphaGrad's primitive -> record rules (docs/tensor_model.md §5.2), the Python
# twin of host/graph/prim_rules.c. tests/jax/test_export.py checks both against
# every case of the ten paper graphs; beyond those, rule_cases() enumerates
# cases for every primitive of KNOWN into tests/data/alphagrad/prim_rule_cases.txt
# (python3 scripts/jax_export.py --rule-cases > that file), which
# tests/jax/test_prim_rules.py keeps equal to this rule and
# tests/test_prim_rules.cc checks the C rule against: the two agree on every
# primitive.

# record types: the names of the C enum (host/graph/sparsity.h, CCX_SP_*)
SP_DENSE = 1
SP_COPY = -1         # convert_element_type, copy
SP_D13, SP_D24 = 2, 3
SP_D13D24 = 6        # elementwise
SP_K13D24 = 8
SP_K13, SP_K24, SP_K14, SP_K23 = -2, -3, -4, -5
SP_IDENTITY, SP_TRANSPOSE = -6, -7
SP_D13K24 = -8
SP_RESHAPE = 11      # reshape, slice, concatenate ("TBD" in AlphaGrad)

UNARY = {"neg", "abs", "exp", "log", "log1p", "sin", "cos", "tan", "asin", "acos",
         "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "integer_pow",
         "sqrt", "rsqrt", "logistic", "erf",
         # emitted by newer JAX or used by common functions; elementwise like the rest
         "square", "exp2", "expm1", "cbrt", "erf_inv", "erfc"}
BINARY = {"add", "sub", "mul", "div", "pow", "atan2", "add_any", "eq", "max", "min", "rem"}
RESHAPE_LIKE = {"reshape", "slice", "dynamic_slice", "dynamic_update_slice",
                "rev"}  # rev (x[::-1]), beyond AlphaGrad's table: entries move, as in a slice
# no edge: the derivative is zero (stop_gradient; and, beyond AlphaGrad's
# table, the piecewise-constant floor, ceil, round and sign, as JAX has it)
NO_EDGE = {"stop_gradient", "iota", "floor", "ceil", "round", "sign"}
# beyond AlphaGrad's table: primitives whose Jacobian in their (first)
# operand has no structure the records can name (a running sum or product,
# a sort's permutation): one dense record, d out / d x in full
DENSE = {"cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp", "sort",
         # jnp.linalg.inv and solve: one vertex each for the whole call (its
         # lu has three results, its pivots gather), dense in every operand
         "inv", "solve"}
KNOWN = (UNARY | BINARY | RESHAPE_LIKE | NO_EDGE | DENSE | {"clamp", "pad"} |
         {"dot_general", "reduce_sum", "reduce_max", "reduce_min", "transpose",
          "broadcast_in_dim", "squeeze", "concatenate", "convert_element_type",
          "select_n", "copy", "copy_p"})
CALLS = {"pjit": "jaxpr", "jit": "jaxpr", "closed_call": "call_jaxpr", "core_call": "call_jaxpr",
         "custom_jvp_call": "call_jaxpr", "custom_vjp_call": "call_jaxpr",
         "custom_vjp_call_jaxpr": "fun_jaxpr", "remat": "jaxpr", "checkpoint": "jaxpr",
         "remat2": "jaxpr", "custom_lin": None}


def _n(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def S(shape):
    """The normalised record shape (§1): one element -> (1,1), (n,) -> (n,1)."""
    if _n(shape) == 1:
        return (1, 1)
    if len(shape) == 1:
        return (shape[0], 1)
    return (shape[0], shape[1])


def Rw(shape):
    """The raw shape dot_general and reduce_* look at."""
    if len(shape) == 0 or (len(shape) == 2 and shape[0] == 1 and shape[1] == 1):
        return (0, 0)
    if len(shape) == 1:
        return (shape[0], 0)
    return (shape[0], shape[1])


def _binary_type(x, o, out):
    sx, so, su = S(x), S(o), S(out)
    if sx == (1, 1):
        return SP_DENSE
    if sx[0] > 1 and sx[1] == 1:                       # column
        if su[1] == 1:
            return SP_K13 if so == (1, 1) else SP_D13
        return SP_D13
    if sx[0] == 1 and sx[1] > 1:                       # row
        if su[0] == 1:
            return SP_K24 if so == (1, 1) else SP_D24
        return SP_D24
    if so[1] == 1:                                     # matrix; scalar other: -8 (7.1)
        return SP_D13K24
    if so[0] == 1:
        return SP_K13D24
    return SP_D13D24


def _dot_types(lhs, rhs, ld, rd):
    l, r = Rw(lhs), Rw(rhs)
    l1d = l[0] > 0 and l[1] == 0
    r1d = r[0] > 0 and r[1] == 0
    r2d = r[0] > 0 and r[1] > 0
    if l1d:
        if r1d:
            return SP_DENSE, SP_DENSE
        if r[0] == 1 and r[1] > 0:
            return {(0, 1): (SP_K24, SP_K13),
                    (1, 0): (SP_K13, SP_K24)}.get((ld, rd), (SP_DENSE, SP_DENSE))
        return SP_K14, SP_K24
    if r1d:
        return SP_K13, SP_DENSE
    if r2d:
        return {(1, 0): (SP_K13, SP_K24), (1, 1): (SP_K13, SP_K23),
                (0, 0): (SP_K14, SP_K24)}.get((ld, rd), (SP_K14, SP_K23))
    return SP_DENSE, SP_DENSE


def records(prim, shapes, literal, out, params):
    """Records for each operand of one equation: a list of
    [type, o1, o2, p1, p2] or None (no edge). shapes: operand shapes
    (tuples); literal: which operands are literals (no edge)."""
    n = len(shapes)
    rec = [None] * n
    var = [i for i in range(n) if not literal[i]]
    first = var[0] if var else None

    def r(t, i, pshape=None):
        return [t, *S(out), *S(shapes[i] if pshape is None else pshape)]

    if prim in UNARY:
        if n and not literal[0]:
            s = S(shapes[0])
            # unary records swap the shapes: [type, S(in), S(out)] (7.11)
            rec[0] = [SP_DENSE if s == (1, 1) else SP_D13D24, *S(shapes[0]), *S(out)]
    elif prim == "clamp":
        # clamp(lo, x, hi), beyond AlphaGrad's table: elementwise like max and
        # min, x against lo (or hi when lo is a literal), lo and hi against x
        for i in range(n):
            if literal[i]:
                continue
            o = shapes[1] if i != 1 else shapes[0] if not literal[0] or literal[2] else shapes[2]
            rec[i] = r(_binary_type(shapes[i], o, out), i)
    elif prim in DENSE:
        for i in var:
            rec[i] = r(SP_DENSE, i)
    elif prim == "pad":
        # pad(x, value), beyond AlphaGrad's table: x's entries move (a 0/1
        # selection, reshape-like as slice and concatenate are); the padding
        # value, when it is a variable, reaches every padded entry: dense
        if not literal[0]:
            rec[0] = r(SP_RESHAPE, 0)
        if n > 1 and not literal[1]:
            rec[1] = r(SP_DENSE, 1)
    elif prim in BINARY or prim == "select_n":
        ops = range(1, n) if prim == "select_n" else range(n)   # select_n: not the predicate
        for i in ops:
            if literal[i]:
                continue
            other = [k for k in ops if k != i]
            o = shapes[other[0]] if other else shapes[i]
            rec[i] = r(_binary_type(shapes[i], o, out), i)
    elif prim == "dot_general":
        (lc, rc), _ = params["dimension_numbers"]
        ld = lc[0] if len(lc) else 0
        rd = rc[0] if len(rc) else 0
        tl, tr = _dot_types(shapes[0], shapes[1], ld, rd)
        if not literal[0]:
            rec[0] = r(tl, 0)
        if not literal[1]:
            rec[1] = r(tr, 1)
    elif prim in ("reduce_sum", "reduce_max", "reduce_min"):
        if first is not None:
            i, o = Rw(shapes[first]), Rw(out)
            t = SP_DENSE
            axes = tuple(params.get("axes", (0,)))
            if i[0] > 0 and i[1] > 0:
                if o == (0, 0):
                    t = SP_DENSE
                elif o[1] == 0:
                    t = (SP_K14 if axes[0] == 0 else SP_K13) if prim == "reduce_sum" else SP_D13
                elif o[0] == 1:
                    t = SP_K24 if prim == "reduce_sum" else SP_D24
            rec[first] = r(t, first)
    elif prim == "transpose":
        if first is not None:
            s = S(shapes[first])
            t = (SP_DENSE if s == (1, 1) else SP_K14 if s[1] == 1 else SP_K23 if s[0] == 1
                 else SP_TRANSPOSE)
            rec[first] = r(t, first)
    elif prim in ("broadcast_in_dim", "squeeze"):
        if first is not None:
            rec[first] = r(SP_IDENTITY if S(shapes[first]) == S(out) else SP_TRANSPOSE, first)
    elif prim in RESHAPE_LIKE:
        if first is not None:
            rec[first] = r(SP_RESHAPE, first)
    elif prim == "concatenate":
        # every operand's record carries the first operand's shape (7.10)
        for i in var:
            rec[i] = r(SP_RESHAPE, i, shapes[first])
    elif prim in ("convert_element_type", "copy", "copy_p"):
        if first is not None:
            rec[first] = r(SP_COPY, first)
    elif prim in NO_EDGE:
        pass
    else:
        raise KeyError(prim)
    # a repeated Var gets one edge: AlphaGrad's sequential writes keep the last
    return rec


# ---------------------------------------------------------- rule cases --
# Cases of every primitive in KNOWN for the cross-check with the C rule
# (tests/data/alphagrad/prim_rule_cases.txt, in the line format of
# prim_edge_examples.txt): a deterministic sweep of operand shapes, literal
# operands and params over every branch of records().

_SHAPES = [(), (1,), (4,), (1, 1), (4, 1), (1, 4), (3, 4), (4, 4)]


def _broadcast(a, b):
    """numpy's broadcast shape of a and b, or None."""
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(reversed(out))


def _rule_calls():
    """(prim, operand shapes, literal flags, out shape, params) of every case."""
    L = None  # a literal operand (a scalar)
    calls = []

    def call(prim, ops, out, params=None):
        calls.append((prim, [() if o is L else tuple(o) for o in ops], [o is L for o in ops],
                      tuple(out), params or {}))

    for prim in sorted(UNARY | {"convert_element_type", "copy", "copy_p"} | (NO_EDGE - {"iota"})):
        for x in _SHAPES:
            call(prim, [x], x)
    for prim in sorted(BINARY):
        for x in _SHAPES:
            for o in _SHAPES + [L]:
                out = _broadcast(x, () if o is L else o)
                if out is not None and len(out) <= 2:
                    call(prim, [x, o], out)
                    call(prim, [o, x], out)
    for x in _SHAPES:
        for p in [(), x]:
            call("select_n", [p, x, x], x)              # the predicate is a Var here
            call("select_n", [L, x, x], x)
            call("select_n", [p, x, L], x)
            call("select_n", [p, L, x], x)
            call("select_n", [p, x], x)
    for lhs in _SHAPES:
        for rhs in _SHAPES:
            for lc in [None] + list(range(len(lhs))):
                for rc in [None] + list(range(len(rhs))):
                    if (lc is None) != (rc is None) or (lc is not None and lhs[lc] != rhs[rc]):
                        continue
                    out = tuple(d for k, d in enumerate(lhs) if k != lc) + \
                        tuple(d for k, d in enumerate(rhs) if k != rc)
                    if len(out) > 2:
                        continue
                    dn = ((() if lc is None else (lc,), () if rc is None else (rc,)), ((), ()))
                    call("dot_general", [lhs, rhs], out, {"dimension_numbers": dn})
                    call("dot_general", [L, rhs] if len(lhs) == 0 else [lhs, L], out,
                         {"dimension_numbers": dn})
    for prim in ("reduce_sum", "reduce_max", "reduce_min"):
        for x in _SHAPES:
            for axes in [(0,), (1,), (0, 1)]:
                if axes[-1] >= len(x):
                    continue
                call(prim, [x], tuple(d for k, d in enumerate(x) if k not in axes), {"axes": axes})
    for x in _SHAPES:
        call("transpose", [x], tuple(reversed(x)))
        for out in _SHAPES:
            if _broadcast(x, out) == out:
                call("broadcast_in_dim", [x], out)
                if _n(out) == _n(x):
                    call("reshape", [x], out)
            if len(out) < len(x) and _n(out) == _n(x) and [d for d in x if d != 1] == list(out):
                call("squeeze", [x], out)
            if len(out) == len(x) and all(a <= b for a, b in zip(out, x)):
                call("slice", [x], out)
                if out == x:
                    call("rev", [x], out)
                call("dynamic_slice", [x] + [L] * len(x), out)
                call("dynamic_update_slice", [x, out] + [L] * len(x), x)
                call("dynamic_update_slice", [L, out] + [L] * len(x), x)
    for parts in [[(1,), (1,)], [(4,), (1,), (3,)], [(1, 1), (1, 1), (1, 1)], [(4, 1), (4, 4)],
                  [(1, 4), (3, 4)]]:
        axis = 0 if len(parts[0]) == 1 or parts[0][1] == parts[1][1] else 1
        out = list(parts[0])
        out[axis] = sum(p[axis] for p in parts)
        for lit in range(-1, len(parts)):                # no literal, or part `lit` a literal
            call("concatenate", [L if k == lit else p for k, p in enumerate(parts)], out)
    for x in _SHAPES:
        call("iota", [()], x)  # iota has no operands; one Var shows it still gives no edge
    for prim in sorted(DENSE - {"solve"}):
        for x in _SHAPES:
            call(prim, [x], x)
    for x, out in [((4,), (6,)), ((4,), (4,)), ((1,), (3,)), ((3, 4), (5, 4)), ((4, 4), (4, 7))]:
        call("pad", [x, L], out)
        call("pad", [x, ()], out)
        call("pad", [L, ()], out)
    for A in [(1, 1), (4, 4)]:
        for b in [(A[0],), (A[0], 1), (A[0], 4)]:
            call("solve", [A, b], b)
            call("solve", [L, b], b)
            call("solve", [A, L], b)
    for x in _SHAPES:
        for lo in ([(), x] if x else [()]):
            for hi in ([(), x] if x else [()]):
                call("clamp", [lo, x, hi], x)
                call("clamp", [L, x, L], x)
                call("clamp", [L, x, hi], x)
                call("clamp", [lo, x, L], x)
                call("clamp", [lo, L, hi], x)
    return calls


def _param_line(params):
    if "dimension_numbers" in params:
        return str(params["dimension_numbers"])
    if "axes" in params:
        return str(tuple(params["axes"]))
    return ""


def rule_cases():
    """The case lines: per Var operand of every case, its record by records()
    ([0, 0, 0, 0, 0]: no edge), deduplicated and sorted."""
    lines = set()
    for prim, shapes, literal, out, params in _rule_calls():
        rec = records(prim, shapes, literal, out, params)
        for i in range(len(shapes)):
            if literal[i]:
                continue
            other = ",".join("lit()" if literal[k] else str(shapes[k])
                             for k in range(len(shapes)) if k != i)
            lines.add("%-22s %-28s arg%d in=%-10s other=%-28s out=%-10s -> rec=%s" % (
                prim, _param_line(params), i, str(shapes[i]), other, str(out),
                str(rec[i] or [0, 0, 0, 0, 0])))
    return sorted(lines)


def rule_cases_text():
    return ("# Generated by `python3 scripts/jax_export.py --rule-cases`: the exporter's\n"
            "# primitive -> record rule (records()) on a sweep of cases of every primitive it\n"
            "# knows; tests/test_prim_rules.cc checks host/graph/prim_rules.c gives the same\n"
            "# records, tests/jax/test_prim_rules.py that this file is the rule's output.\n"
            "# rec=[0, 0, 0, 0, 0]: the operand gets no edge.\n" +
            "".join(line + "\n" for line in rule_cases()))


# -------------------------------------------------------------- tracing --

# What to write instead, for the refusals a user meets most (the error says it)
HINTS = {
    "gather": "index with static slices (x[2:5], x[0]) or multiply by a one-hot matrix "
              "(jnp.eye(n)[idx] @ x) instead of an array of indices",
    "scatter": "build the result from slices with jnp.concatenate, or add a one-hot product",
    "scatter-add": "build the result from slices with jnp.concatenate, or add a one-hot product",
    "scatter_add": "build the result from slices with jnp.concatenate, or add a one-hot product",
    "while": "unroll a loop with a fixed trip count as a Python for loop",
    "scan": "unroll lax.scan / fori_loop over a fixed count as a Python for loop",
    "cond": "compute both branches and pick with jnp.where",
    "sort": "jnp.sort of one array is taken; argsort (sort with indices) is not",
    "lu": "jnp.linalg.inv and jnp.linalg.solve are taken whole; other factorisations are not",
    "cholesky": "jnp.linalg.solve(A, b) is taken whole; solve with it instead of factorising",
    "triangular_solve": "jnp.linalg.solve(A, b) is taken whole; solve with it instead",
}
RANK_HINT = ("keep every array at rank 2 or less: e.g. pairwise differences per coordinate, "
             "X[:, k][:, None] - X[:, k][None, :], instead of X[:, None, :] - X[None, :, :]")


def _hint(prim):
    return "; instead: %s" % HINTS[prim] if prim in HINTS else ""


class ExportError(Exception):
    """A function ccx cannot represent: the message names the primitive and
    the user's source line."""


def _jax():
    import jax
    from jax._src import core as jcore
    from jax._src import source_info_util
    return jax, jcore, source_info_util


def _where(eqn):
    """The user's file:line of an equation ('' if unknown)."""
    _, _, siu = _jax()
    frame = None
    # newer JAX takes the traceback, 0.4.26 the source info itself
    for arg in (getattr(eqn.source_info, "traceback", None), eqn.source_info):
        try:
            frame = siu.user_frame(arg)
        except Exception:
            frame = None
        if frame is not None:
            break
    if frame is None:
        return ""
    return "%s:%d" % (_rel(frame.file_name), frame.start_line)


def _rel(path):
    """path relative to the current folder when inside it (stable in committed files)."""
    if not os.path.isabs(path):
        return path
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def _is_float(aval):
    import numpy as np
    return np.issubdtype(aval.dtype, np.inexact)


def _param_text(v):
    if isinstance(v, (bool, int, float, str)):
        return str(v)
    if isinstance(v, (tuple, list)):
        return str(tuple(v))
    return str(v)


class _Piece:
    """A value of the exporter's own, when it writes one equation as several
    (stack's broadcasts): what vertex() reads of a jaxpr variable."""
    def __init__(self, shape, dtype):
        self.aval = types.SimpleNamespace(shape=tuple(shape), dtype=dtype)


class _Flat:
    """The equations of a jaxpr with every call inlined, and the graph."""

    def __init__(self, alphagrad_quirks):
        self.quirks = alphagrad_quirks
        self.vertices = []      # dicts for the file
        self.shapes = []        # node -> shape (inputs first)
        self.floats = []        # node -> carries derivatives
        self.edges = {}         # (src, dst) -> record
        self.edge_order = []
        self.n_inputs = 0
        self.call_where = ""    # the inlined call's line, for equations without their own

    # an atom of the flat program: ("node", id) or ("lit", value, shape)
    def operand_json(self, atom):
        if atom[0] == "node":
            n = atom[1]
            return "x%d" % (n + 1) if n < self.n_inputs else "v%d" % (n - self.n_inputs + 1)
        val = atom[1]
        if len(atom[2]) > 0 and getattr(val, "size", 1) != 1:
            return "const"
        try:
            x = float(val)
        except (TypeError, ValueError):
            return "const"
        # JSON has no inf or nan: those go as "lit:-inf" strings
        return x if x == x and abs(x) != float("inf") else "lit:%s" % x

    def add_edge(self, src, dst, rec):
        key = (src, dst)
        if key not in self.edges:
            self.edge_order.append(key)
        self.edges[key] = rec

    def eqn(self, eqn, env):
        jax, jcore, _ = _jax()
        prim = eqn.primitive.name
        where = _where(eqn) or self.call_where
        if prim in CALLS and self.linalg_call(eqn, env, where):
            return
        if prim in CALLS:
            key = CALLS[prim]
            inner = eqn.params.get(key) if key else None
            if inner is None:
                for k in ("jaxpr", "call_jaxpr", "fun_jaxpr"):
                    if k in eqn.params:
                        inner = eqn.params[k]
                        break
            if inner is None:
                raise ExportError("primitive '%s' at %s: no inner jaxpr to inline" % (prim, where or "an unknown line"))
            atoms = [self.atom(v, env) for v in eqn.invars]
            closed = inner if hasattr(inner, "jaxpr") else None
            jaxpr = closed.jaxpr if closed is not None else inner
            consts = list(closed.consts) if closed is not None else []
            inner_env = {}
            for cv, c in zip(jaxpr.constvars, consts):
                inner_env[cv] = ("lit", c, tuple(getattr(c, "shape", ())))
            # custom_jvp/vjp calls may pass consts first: the inner invars
            # take the last len(invars) operands
            for iv, a in zip(jaxpr.invars, atoms[len(atoms) - len(jaxpr.invars):]):
                inner_env[iv] = a
            outer, self.call_where = self.call_where, where
            self.run(jaxpr, inner_env)
            self.call_where = outer
            for ov, iv in zip(eqn.outvars, jaxpr.outvars):
                if not isinstance(ov, jcore.DropVar):
                    env[ov] = self.atom(iv, inner_env)
            return
        out_float = all(_is_float(v.aval) for v in eqn.outvars)
        if prim == "split":
            self.split(eqn, env, where)
            return
        if prim == "stack":
            self.stack(eqn, env, where)
            return
        if prim not in KNOWN and out_float:
            raise ExportError("primitive '%s' at %s: ccx has no edge rule for it%s (supported: %s)"
                              % (prim, where or "an unknown line", _hint(prim), ", ".join(sorted(KNOWN))))
        if len(eqn.outvars) != 1:
            raise ExportError("primitive '%s' at %s has %d results; a vertex has one%s"
                              % (prim, where or "an unknown line", len(eqn.outvars), _hint(prim)))
        self.vertex(prim, eqn.params, eqn.invars, eqn.outvars[0], env, where)

    def split(self, eqn, env, where):
        """jnp.split's one equation of k results (JAX 0.5 and later) as the k
        slice equations JAX 0.4.26 traced it to: one slice vertex per piece,
        with the slice records, so the cost is the same; the vertices after
        it are numbered counting each piece."""
        x = eqn.invars[0]
        axis, dims = int(eqn.params["axis"]), tuple(x.aval.shape)
        start = 0
        for out, size in zip(eqn.outvars, eqn.params["sizes"]):
            starts, limits = [0] * len(dims), list(dims)
            starts[axis], limits[axis] = start, start + int(size)
            params = {"start_indices": tuple(starts), "limit_indices": tuple(limits), "strides": None}
            self.vertex("slice", params, [x], out, env, where)
            start += int(size)

    def linalg_call(self, eqn, env, where):
        """A jit call of jnp.linalg.inv or solve as one vertex 'inv' / 'solve'
        (their lu has three results and pivots that gather): True when eqn is
        one, which its name, its shapes and its values at a random
        well-conditioned point must all say."""
        import numpy as np
        _, jcore, _ = _jax()
        name = eqn.params.get("name")
        closed = eqn.params.get("jaxpr")
        if name not in ("inv", "solve") or closed is None or len(eqn.outvars) != 1:
            return False
        shapes = [tuple(v.aval.shape) for v in eqn.invars]
        out = tuple(eqn.outvars[0].aval.shape)
        if not (len(shapes) == (1 if name == "inv" else 2) and len(shapes[0]) == 2 and
                shapes[0][0] == shapes[0][1] and
                (name == "inv" and out == shapes[0] or
                 name == "solve" and 1 <= len(shapes[1]) <= 2 and shapes[1][0] == shapes[0][0] and
                 out == shapes[1])):
            return False
        rng = np.random.default_rng(0)
        n = shapes[0][0]
        vals = [np.eye(n) * n + rng.uniform(-0.5, 0.5, (n, n))] + [rng.uniform(-1, 1, s) for s in shapes[1:]]
        vals = [np.asarray(v, dtype=iv.aval.dtype) for v, iv in zip(vals, eqn.invars)]
        got = np.asarray(jcore.eval_jaxpr(closed.jaxpr, closed.consts, *vals)[0])
        want = np.linalg.inv(vals[0]) if name == "inv" else np.linalg.solve(vals[0], vals[1])
        if not np.allclose(got, want, rtol=1e-4, atol=1e-5):
            return False
        self.vertex(name, {}, eqn.invars, eqn.outvars[0], env, where)
        return True

    def stack(self, eqn, env, where):
        """jnp.stack's one equation (JAX 0.5 and later) as what JAX 0.4.26
        traced it to: a broadcast_in_dim of each operand adding the stacked
        axis, then one concatenate along it; the same records and cost."""
        axis = int(eqn.params["axis"])
        pieces = []
        for v in eqn.invars:
            dims = tuple(v.aval.shape)
            shape = dims[:axis] + (1,) + dims[axis:]
            params = {"shape": shape, "broadcast_dimensions": tuple(k for k in range(len(shape)) if k != axis),
                      "sharding": None}
            pieces.append(_Piece(shape, v.aval.dtype))
            self.vertex("broadcast_in_dim", params, [v], pieces[-1], env, where)
        self.vertex("concatenate", {"dimension": axis}, pieces, eqn.outvars[0], env, where)

    def vertex(self, prim, eqn_params, invars, out, env, where):
        """One vertex for one result: its shape, operands, params, source and edges."""
        _, jcore, _ = _jax()
        shape = tuple(out.aval.shape)
        atoms = [self.atom(v, env) for v in invars]
        for a in atoms:
            if len(a[2]) > 2:
                raise ExportError("primitive '%s' at %s: an operand of rank %d %s; ccx records "
                                  "hold two dims (docs/tensor_model.md 1); %s"
                                  % (prim, where or "an unknown line", len(a[2]), a[2], RANK_HINT))
        if len(shape) > 2:
            raise ExportError("primitive '%s' at %s: a result of rank %d %s; ccx records hold two "
                              "dims (docs/tensor_model.md 1); %s"
                              % (prim, where or "an unknown line", len(shape), shape, RANK_HINT))
        node = len(self.shapes)
        self.shapes.append(shape)
        self.floats.append(_is_float(out.aval))
        params = {}
        for k, v in eqn_params.items():
            if k in ("jaxpr", "call_jaxpr", "fun_jaxpr") or callable(v):
                continue
            params[k] = _param_text(v)
        vert = {"prim": prim, "shape": list(shape),
                "operands": [self.operand_json(a) for a in atoms], "params": params}
        if where:
            vert["source"] = where
        self.vertices.append(vert)
        if not isinstance(out, jcore.DropVar):
            env[out] = ("node", node, shape)
        # edges: Var operands that carry derivatives, into a value that does
        literal = [a[0] != "node" or not self.floats[a[1]] for a in atoms]
        if not self.floats[node]:
            return
        rec = records(prim, [a[2] for a in atoms], literal, shape, eqn_params)
        for a, r in zip(atoms, rec):
            if r is not None:
                self.add_edge(a[1], node, r)

    def drop_quirk(self, outputs):
        """AlphaGrad's `_` column (docs/tensor_model.md 7.7): its builder files the
        result of every equation nothing uses (JAX 0.4.26 makes those DropVars,
        printed `_`) under one name, so each such equation writes its in-edges
        into the first one's column (a later write replaces an earlier one),
        and the later ones are left without in-edges."""
        used = set(outputs)
        for vert in self.vertices:
            for o in vert["operands"]:
                if isinstance(o, str) and o[:1] in "xv" and o[1:].isdigit():
                    used.add(o)
        dropped = [self.n_inputs + k for k in range(len(self.vertices))
                   if "v%d" % (k + 1) not in used]
        if len(dropped) < 2:
            return
        first = dropped[0]
        moved = {}
        for key in list(self.edge_order):
            if key[1] in dropped[1:]:
                moved[key] = self.edges.pop(key)
        self.edge_order = [k for k in self.edge_order if k not in moved]
        for d in dropped[1:]:  # in equation order: a later write replaces an earlier one
            for (src, dst), rec in moved.items():
                if dst == d:
                    self.add_edge(src, first, rec)

    def atom(self, v, env):
        _, jcore, _ = _jax()
        if isinstance(v, jcore.Literal):
            return ("lit", v.val, tuple(getattr(v.aval, "shape", ())))
        if v in env:
            return env[v]
        raise ExportError("internal: variable %s used before it is defined" % v)

    def run(self, jaxpr, env):
        for e in jaxpr.eqns:
            self.eqn(e, env)


def graph_from_jaxpr(closed, task="f", input_names=None, origin=None, alphagrad_quirks=False):
    """The ccx graph file (a dict) of a ClosedJaxpr."""
    jax, jcore, _ = _jax()
    jaxpr = closed.jaxpr
    fl = _Flat(alphagrad_quirks)
    env = {}
    inputs = []
    for i, v in enumerate(jaxpr.invars):
        shape = tuple(v.aval.shape)
        if len(shape) > 2:
            raise ExportError("input %d has rank %d %s; ccx records hold two dims "
                              "(docs/tensor_model.md 1); %s" % (i + 1, len(shape), shape, RANK_HINT))
        name = input_names[i] if input_names and i < len(input_names) else "in%d" % (i + 1)
        entry = {"name": name, "shape": list(shape)}
        if not _is_float(v.aval):  # no derivative; code generators refuse to feed it floats
            entry["dtype"] = str(v.aval.dtype)
        inputs.append(entry)
        env[v] = ("node", i, shape)
        fl.shapes.append(shape)
        fl.floats.append(_is_float(v.aval))
    fl.n_inputs = len(inputs)
    for cv, c in zip(jaxpr.constvars, closed.consts):
        env[cv] = ("lit", c, tuple(getattr(c, "shape", ())))
    fl.run(jaxpr, env)
    # outputs: a vertex nothing else uses is the output itself; anything else
    # (used by other equations, an input, listed twice, a literal) gets a copy
    used = set(src for (src, dst) in fl.edges)
    uses = {}
    for vert in fl.vertices:
        for o in vert["operands"]:
            if isinstance(o, str) and o[:1] in "xv":
                uses[o] = uses.get(o, 0) + 1
    outputs, taken = [], set()
    for k, ov in enumerate(jaxpr.outvars):
        name = "out%d" % (k + 1)
        a = fl.atom(ov, env)
        if a[0] == "node" and a[1] >= fl.n_inputs and a[1] not in taken:
            label = fl.operand_json(a)
            if not uses.get(label) and a[1] not in used:
                taken.add(a[1])
                outputs.append({"vertex": label, "name": name})
                continue
        # a copy vertex
        shape = tuple(a[2])
        node = len(fl.shapes)
        fl.shapes.append(shape)
        fl.floats.append(True)
        fl.vertices.append({"prim": "copy", "shape": list(shape),
                            "operands": [fl.operand_json(a)], "params": {}})
        if a[0] == "node" and fl.floats[a[1]]:
            rec = [SP_DENSE if S(shape) == (1, 1) else SP_IDENTITY, *S(shape), *S(shape)]
            fl.add_edge(a[1], node, rec)
        outputs.append({"vertex": "v%d" % (node - fl.n_inputs + 1), "name": name})
    if alphagrad_quirks:
        fl.drop_quirk([o["vertex"] for o in outputs])
    _require_a_derivative(fl, inputs, outputs, jaxpr)

    def label(n):
        return "x%d" % (n + 1) if n < fl.n_inputs else "v%d" % (n - fl.n_inputs + 1)
    edges = [[label(s), label(d), *fl.edges[(s, d)]] for (s, d) in fl.edge_order]
    graph = {"format": "ccx-graph", "version": 1, "task": task}
    graph["origin"] = origin or ("exported by scripts/jax_export.py with jax %s" % jax.__version__)
    graph.update({"inputs": inputs, "vertices": fl.vertices, "outputs": outputs, "edges": edges})
    return graph


class NoDerivativeError(ExportError):
    """No output depends differentiably on an input (export() adds where f is)."""


def _require_a_derivative(fl, inputs, outputs, jaxpr):
    """Refuse a function none of whose outputs depends differentiably on an
    input (integer or boolean inputs or outputs, stop_gradient, constants):
    its Jacobian is zero, every order would cost 0 and be 'optimal', and
    jax.jacrev refuses such a function too."""
    for k, v in enumerate(jaxpr.outvars):
        aval = getattr(v, "aval", None)
        if aval is not None and not _is_float(aval):
            raise NoDerivativeError(
                "output %d is %s%s, which has no derivative (jax.jacrev refuses such outputs "
                "too); return floats only, e.g. drop it or return y.astype(jnp.float32)"
                % (k + 1, aval.dtype, list(aval.shape)))
    succ = {}
    for (s, d) in fl.edges:
        succ.setdefault(s, []).append(d)
    seen, todo = set(), [i for i in range(fl.n_inputs) if fl.floats[i]]
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(succ.get(n, []))
    out_nodes = [fl.n_inputs + int(o["vertex"][1:]) - 1 for o in outputs]
    if any(n in seen for n in out_nodes):
        return

    def dtypes(avals):
        return ", ".join("%s %s%s" % (name, a.dtype, list(a.shape)) for name, a in avals)
    ins = dtypes((i["name"], v.aval) for i, v in zip(inputs, jaxpr.invars))
    outs = dtypes(("out%d" % (k + 1), getattr(v, "aval", None) or v) for k, v in enumerate(jaxpr.outvars))
    raise NoDerivativeError(
        "no differentiable path from an input to an output, so the Jacobian is zero and there "
        "is nothing to eliminate (inputs: %s; outputs: %s). Derivatives flow only through "
        "floating-point values: make the inputs you differentiate by and the outputs floats "
        "(e.g. x.astype(jnp.float32)), and keep stop_gradient off the path" % (ins, outs))


def _def_site(f):
    """file:line of f's def."""
    try:
        return "%s:%d" % (_rel(inspect.getsourcefile(f)), inspect.getsourcelines(f)[1])
    except (TypeError, OSError):
        return "source unknown"


def export(f, *example_args, path=None, task=None, alphagrad_quirks=False, origin=None):
    """Trace f at the example arguments (arrays, jax.ShapeDtypeStruct or Python
    scalars) and return its ccx graph file as a dict; with path, also write it."""
    jax, _, _ = _jax()
    closed = jax.make_jaxpr(f)(*example_args)
    try:
        names = [p for p in inspect.signature(f).parameters]
    except (TypeError, ValueError):
        names = None
    try:
        graph = graph_from_jaxpr(closed, task=task or getattr(f, "__name__", "f"), input_names=names,
                                 origin=origin, alphagrad_quirks=alphagrad_quirks)
    except NoDerivativeError as e:
        raise NoDerivativeError("%s (%s): %s" % (getattr(f, "__name__", "f"), _def_site(f), e)) from None
    if path:
        write(graph, path)
    return graph


def dumps(graph):
    """The file text: one input, vertex, output and edge per line."""
    head = {k: v for k, v in graph.items() if k not in ("inputs", "vertices", "outputs", "edges")}
    lines = ["{"]
    for k, v in head.items():
        lines.append("%s: %s," % (json.dumps(k), json.dumps(v)))
    keys = ["inputs", "vertices", "outputs", "edges"]
    for i, k in enumerate(keys):
        items = graph[k]
        lines.append("%s: [" % json.dumps(k))
        for j, it in enumerate(items):
            lines.append("  %s%s" % (json.dumps(it, separators=(",", ":")), "," if j + 1 < len(items) else ""))
        lines.append("]%s" % ("," if i + 1 < len(keys) else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def write(graph, path):
    """Write atomically (temporary file, fsync, rename); '-' = stdout."""
    text = dumps(graph)
    if path == "-":
        sys.stdout.write(text)
        return
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, ".%s.tmp%d" % (os.path.basename(path), os.getpid()))
    with open(tmp, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# ----------------------------------------------------------- the command --

_DTYPES = {"f16": "float16", "bf16": "bfloat16", "f32": "float32", "f64": "float64",
           "i32": "int32", "i64": "int64", "bool": "bool"}


def parse_arg(spec):
    """'f32[4]', 'f64[2,3]', 'f32[]' -> jax.ShapeDtypeStruct."""
    jax, _, _ = _jax()
    m = re.fullmatch(r"\s*([a-z0-9]+)\[([0-9,\s]*)\]\s*", spec)
    if not m or m.group(1) not in _DTYPES:
        raise ValueError("--arg %r: expected DTYPE[DIMS] with DTYPE one of %s, e.g. f32[4], "
                         "f64[2,3], f32[]" % (spec, ", ".join(_DTYPES)))
    dims = [d.strip() for d in m.group(2).split(",") if d.strip()]
    shape = tuple(int(d) for d in dims)
    if any(d < 1 for d in shape):
        raise ValueError("--arg %r: dims must be >= 1" % spec)
    if _DTYPES[m.group(1)] == "float64":
        jax.config.update("jax_enable_x64", True)
    return jax.ShapeDtypeStruct(shape, _DTYPES[m.group(1)])


def main(argv=None):
    if (sys.argv[1:] if argv is None else list(argv)) == ["--rule-cases"]:
        sys.stdout.write(rule_cases_text())  # tests/data/alphagrad/prim_rule_cases.txt
        return 0
    ap = argparse.ArgumentParser(
        prog="jax_export.py",
        description="Export a JAX function to a ccx graph file (README: 'From a JAX function').")
    ap.add_argument("function", metavar="MODULE:FUNCTION",
                    help="the function, MODULE importable from PYTHONPATH or the current folder")
    ap.add_argument("--arg", action="append", default=[], metavar="DTYPE[DIMS]",
                    help="one per positional argument: dtype and shape, e.g. f32[4], f64[2,3], f32[]")
    ap.add_argument("-o", "--output", default="-", metavar="FILE",
                    help="the graph file to write (default: stdout)")
    ap.add_argument("--task", help="task name in the file (default: the function's name)")
    ap.add_argument("--alphagrad-quirks", action="store_true",
                    help="reproduce AlphaGrad's dropped-output (`_`) column quirk (reference graphs)")
    a = ap.parse_args(argv)
    if ":" not in a.function:
        ap.error("expected MODULE:FUNCTION, got %r" % a.function)
    mod_name, fn_name = a.function.rsplit(":", 1)
    sys.path.insert(0, os.getcwd())
    try:
        mod = importlib.import_module(mod_name)
    except Exception as e:  # the user's module failed to import
        print("jax_export: error: cannot import %s: %s" % (mod_name, e), file=sys.stderr)
        return 2
    f = getattr(mod, fn_name, None)
    if not callable(f):
        print("jax_export: error: %s has no function %s" % (mod_name, fn_name), file=sys.stderr)
        return 2
    try:
        args = [parse_arg(s) for s in a.arg]
    except ValueError as e:
        print("jax_export: error: %s" % e, file=sys.stderr)
        return 2
    try:
        n_params = len([p for p in inspect.signature(f).parameters.values()
                        if p.default is inspect.Parameter.empty and p.kind in
                        (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)])
        if len(args) != n_params:
            print("jax_export: error: %s takes %d positional arguments, got %d --arg" %
                  (fn_name, n_params, len(args)), file=sys.stderr)
            return 2
    except (TypeError, ValueError):
        pass
    try:
        graph = export(f, *args, task=a.task or fn_name, alphagrad_quirks=a.alphagrad_quirks,
                       origin="exported from %s by scripts/jax_export.py" % a.function)
    except ExportError as e:
        print("jax_export: error: %s" % e, file=sys.stderr)
        return 2
    except Exception as e:  # tracing failed in the user's code
        print("jax_export: error: tracing %s failed: %s: %s" % (a.function, type(e).__name__, e),
              file=sys.stderr)
        return 2
    write(graph, a.output)
    if a.output != "-":
        print("jax_export: wrote %s (%d inputs, %d vertices, %d edges)" %
              (a.output, len(graph["inputs"]), len(graph["vertices"]), len(graph["edges"])),
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
