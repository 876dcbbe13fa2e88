# ---- ccx tensor-Jacobian runtime -------------------------------------------
# Inlined by `ccx codegen --lang jax` into every module it writes for a tensor
# graph (source: host/jac/jax_tensor_runtime.py). It gives the primal of each
# primitive (_prim), the local Jacobian of a primitive in one operand in a
# structured form (_partial), the product of the Jacobians along p -> j -> s
# (_mul) and the sum of two Jacobians of one edge (_acc).
#
# A Jacobian d s / d p (shapes S x P) is one form, _T: a value array over
# labels, each axis of S and P labelled, an S axis and a P axis sharing a
# label where the Jacobian is diagonal in them, and the array lacking the
# labels it is constant along (graphax's sparse tensors, in einsum terms):
#   elementwise  the derivative over S, every axis paired (a diagonal)
#   add, neg     the constant +-1, paired (nothing stored, products free)
#   broadcast, reduce_sum, transpose, reshape to/from size 1: 1.0, paired
#   dot_general  the other operand itself, its axes labelled
#   slice, concatenate: 0/1 selection matrices on the cut axes only
#   anything else (cumsum, sort, a general reshape, ...): dense (jax.jacfwd)
# A product is one einsum of two value arrays, the J axes' labels unified;
# it costs the product of the sizes of all their labels, which it adds to
# _COUNT while the module is traced (multiplications() reports the sum,
# steps() the count of each elimination beside the model's).
# Local derivatives are JAX's own (jax.jvp / jacfwd of the primitive, or the
# operand of a dot_general), so special points (x**y at 0, max at ties,
# NaN domains) behave as in JAX.
import json as _json
import math as _math

import jax
import jax.numpy as jnp
import numpy as _np
from jax import lax

_COUNT = [0]
_STEPS = []  # (vertex, primitive, model cost, _COUNT before it) per elimination, while tracing


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _lit(text):
    """A parameter as the file stores it (a Python literal, or a name)."""
    import ast
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _params(text):
    return {k: _lit(v) if isinstance(v, str) else v for k, v in _json.loads(text).items()}


_UNARY = {
    "neg": lax.neg, "abs": lax.abs, "exp": lax.exp, "log": lax.log, "log1p": lax.log1p,
    "sin": lax.sin, "cos": lax.cos, "tan": lax.tan, "asin": lax.asin, "acos": lax.acos,
    "atan": lax.atan, "sinh": lax.sinh, "cosh": lax.cosh, "tanh": lax.tanh,
    "asinh": lax.asinh, "acosh": lax.acosh, "atanh": lax.atanh, "sqrt": lax.sqrt,
    "rsqrt": lax.rsqrt, "logistic": lax.logistic, "erf": lax.erf, "erfc": lax.erfc,
    "erf_inv": lax.erf_inv, "expm1": lax.expm1, "cbrt": lax.cbrt,
    "exp2": lambda x: lax.exp(x * _math.log(2.0)),
    "square": lambda x: lax.integer_pow(x, 2),
    "stop_gradient": lax.stop_gradient, "floor": lax.floor, "ceil": lax.ceil, "sign": lax.sign,
    # boolean results (no derivative; the exporter gives them no edges)
    "is_finite": lax.is_finite, "not": lax.bitwise_not,
    "copy": lambda x: x, "copy_p": lambda x: x,
}
_BINARY = {
    "add": jnp.add, "add_any": jnp.add, "sub": jnp.subtract, "mul": jnp.multiply,
    "div": jnp.divide, "pow": jnp.power, "atan2": jnp.arctan2, "max": jnp.maximum,
    "min": jnp.minimum, "rem": jnp.fmod, "eq": jnp.equal, "ne": jnp.not_equal,
    "lt": jnp.less, "le": jnp.less_equal, "gt": jnp.greater, "ge": jnp.greater_equal,
    "and": lax.bitwise_and, "or": lax.bitwise_or, "xor": lax.bitwise_xor,
}
_ELEMENTWISE = set(_UNARY) | set(_BINARY) | {"integer_pow", "select_n", "convert_element_type", "clamp"}
_CUMULATIVE = {"cumsum": lax.cumsum, "cumprod": lax.cumprod, "cummax": lax.cummax,
               "cummin": lax.cummin, "cumlogsumexp": lax.cumlogsumexp}


def _prim(name, ops, p):
    """The value of primitive `name` at operands ops (params p)."""
    if name in _UNARY:
        return _UNARY[name](ops[0])
    if name in _BINARY:
        return _BINARY[name](ops[0], ops[1])
    if name == "integer_pow":
        return lax.integer_pow(ops[0], int(p["y"]))
    if name == "dot_general":
        return lax.dot_general(ops[0], ops[1], p["dimension_numbers"])
    if name in ("reduce_sum", "reduce_max", "reduce_min"):
        f = {"reduce_sum": jnp.sum, "reduce_max": jnp.max, "reduce_min": jnp.min}[name]
        return f(ops[0], axis=tuple(p["axes"]))
    if name == "transpose":
        return jnp.transpose(ops[0], tuple(p["permutation"]))
    if name == "broadcast_in_dim":
        return lax.broadcast_in_dim(jnp.asarray(ops[0]), tuple(p["shape"]),
                                    tuple(p["broadcast_dimensions"]))
    if name == "squeeze":
        return lax.squeeze(ops[0], tuple(p["dimensions"]))
    if name == "reshape":
        return jnp.reshape(ops[0], tuple(p["new_sizes"]))
    if name == "slice":
        strides = p.get("strides")
        return lax.slice(ops[0], tuple(p["start_indices"]), tuple(p["limit_indices"]),
                         None if strides in (None, "None") else tuple(strides))
    if name == "dynamic_slice":
        return lax.dynamic_slice(ops[0], ops[1:], tuple(p["slice_sizes"]))
    if name == "dynamic_update_slice":
        return lax.dynamic_update_slice(ops[0], ops[1], ops[2:])
    if name == "concatenate":
        return lax.concatenate([jnp.asarray(o) for o in ops], int(p["dimension"]))
    if name == "convert_element_type":
        x = jnp.asarray(ops[0])
        new = jnp.dtype(p["new_dtype"])
        # floats keep their precision (the Jacobian is computed as the caller's dtype)
        if jnp.issubdtype(new, jnp.floating) and jnp.issubdtype(x.dtype, jnp.floating):
            return x
        return lax.convert_element_type(x, new)
    if name == "select_n":
        return lax.select_n(*ops)
    if name == "clamp":
        return lax.clamp(*ops)
    if name == "rev":
        return lax.rev(ops[0], tuple(p["dimensions"]))
    if name == "pad":
        return lax.pad(jnp.asarray(ops[0]), jnp.asarray(ops[1], jnp.result_type(ops[0])),
                       tuple(tuple(c) for c in p["padding_config"]))
    if name == "inv":  # jnp.linalg.inv as one vertex (scripts/jax_export.py)
        return jnp.linalg.inv(ops[0])
    if name == "solve":
        return jnp.linalg.solve(ops[0], ops[1])
    if name == "round":
        return lax.round(ops[0], lax.RoundingMethod(int(p.get("rounding_method", 0))))
    if name in ("argmax", "argmin"):  # an integer result: no derivative, the value exact
        f = lax.argmax if name == "argmax" else lax.argmin
        return f(ops[0], int(p["axes"][0]), jnp.dtype(p["index_dtype"]))
    if name in _CUMULATIVE:
        return _CUMULATIVE[name](ops[0], axis=int(p["axis"]), reverse=bool(p["reverse"]))
    if name == "sort":  # one operand (jnp.sort); argsort's two are refused by the exporter
        return lax.sort(ops[0], dimension=int(p["dimension"]), is_stable=bool(p["is_stable"]))
    if name == "iota":
        return lax.broadcasted_iota(jnp.dtype(p["dtype"]), tuple(p["shape"]), int(p["dimension"]))
    raise NotImplementedError("ccx codegen: no primal for primitive %r" % name)


# ---- the structured Jacobian d s / d p (shapes S x P) ----

class _Zero:
    def __init__(self, S, P):
        self.S, self.P = tuple(S), tuple(P)


_LABELS = [0]


def _fresh():
    _LABELS[0] += 1
    return _LABELS[0]


class _T:
    """J[s, p] = val[vl] * prod of delta(s_i, p_j) over the labels shared by an
    S axis i and a P axis j (graphax's sparse tensor, in einsum terms).

    sl, pl  a label per axis of S and of P (distinct within each); a label on
            both sides is a diagonal pair: J is zero off it
    vl      the labels val has axes for; J is constant along any other
    val     an array of shape [size[l] for l in vl], or a Python float
            (vl empty: a constant, e.g. 1.0 for a reshape, -1.0 for neg)
    An elementwise Jacobian is val over S with every axis paired, a broadcast
    or reduce_sum one is 1.0 with pairs, a dot_general one is the other
    operand with its axes labelled: nothing is ever stored twice."""

    def __init__(self, S, P, sl, pl, vl, val):
        self.S, self.P, self.sl, self.pl, self.vl, self.val = tuple(S), tuple(P), list(sl), list(pl), list(vl), val
        self.size = dict(zip(self.sl, self.S))
        self.size.update(zip(self.pl, self.P))


def _letters(labels):
    """einsum letters for labels, in first-seen order"""
    out = {}
    for lab in labels:
        if lab not in out:
            out[lab] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[len(out)]
    return out


def _restructure(X, ts, tp, vl, size):
    """X's values over the target labels vl, for a target that labels X's S
    axes ts and P axes tp and keeps only pairs X has: a pair of X the target
    breaks becomes an identity factor (a constant 0/1 mask), a label X is
    constant along a broadcast. One transpose, broadcast and multiply by a
    constant: no multiplication is counted."""
    pos = {}
    for i, lab in enumerate(X.sl):
        pos.setdefault(lab, []).append(ts[i])
    for j, lab in enumerate(X.pl):
        pos.setdefault(lab, []).append(tp[j])
    vl = list(vl)
    if not vl:
        return X.val
    shape = tuple(size[t] for t in vl)
    mask = None
    for lab, targets in pos.items():
        if len(targets) == 2 and targets[0] != targets[1]:
            where = [1] * len(vl)
            where[vl.index(targets[0])] = where[vl.index(targets[1])] = X.size[lab]
            eye = _np.eye(X.size[lab]).reshape(where)
            mask = eye if mask is None else mask * eye
    if isinstance(X.val, float):
        if mask is None:
            return jnp.full(shape, X.val)
        return jnp.asarray(_np.broadcast_to(mask * X.val, shape))
    # the value axes, in the order of their target labels, then broadcast
    dest = [vl.index(pos[lab][0]) for lab in X.vl]
    perm = sorted(range(len(dest)), key=lambda a: dest[a])
    v = jnp.transpose(X.val, perm) if perm != list(range(len(perm))) else X.val
    where = [1] * len(vl)
    for a in range(len(dest)):
        where[dest[a]] = X.size[X.vl[a]]
    v = jnp.broadcast_to(jnp.reshape(v, where), shape)
    return v if mask is None else v * mask


def _full(A):
    """A as a dense array S + P."""
    if isinstance(A, _Zero):
        return jnp.zeros(A.S + A.P)
    ts = [_fresh() for _ in A.S]
    tp = [_fresh() for _ in A.P]
    size = dict(zip(ts, A.S))
    size.update(zip(tp, A.P))
    return jnp.broadcast_to(_restructure(A, ts, tp, ts + tp, size), A.S + A.P)


def _shape(x):
    return tuple(jnp.shape(x))


def _elementwise(S, P, val):
    """d out / d x of an elementwise primitive whose operand x (shape P, rank
    <= rank S, size-1 axes broadcast) maps entry for entry: val over S."""
    sl = [_fresh() for _ in S]
    off = len(S) - len(P)
    pl = [sl[off + j] if P[j] == S[off + j] else _fresh() for j in range(len(P))]
    return _T(S, P, sl, pl, [] if isinstance(val, float) else sl, val)


def _structural(S, P, pairs):
    """A Jacobian that only moves entries: 1 on the pairs (out axis, operand axis)."""
    sl = [_fresh() for _ in S]
    pl = [_fresh() for _ in P]
    for i, j in pairs:
        if S[i] == P[j]:
            pl[j] = sl[i]
    return _T(S, P, sl, pl, [], 1.0)


def _selection(n_out, n_in, offset, stride=1):
    """E[s, p] = 1 where p = offset + s * stride (a slice along one axis): a
    constant (numpy), multiplied like any value array, which the model does
    not price (it takes slices and concatenations as free)."""
    s = _np.arange(n_out)[:, None]
    p = _np.arange(n_in)[None, :]
    return _np.where(p == offset + s * stride, 1.0, 0.0)


def _squeeze_pairs(S, P):
    """The pairs of a reshape that only adds or drops size-1 axes, else None."""
    si = [i for i, d in enumerate(S) if d != 1]
    pj = [j for j, d in enumerate(P) if d != 1]
    if [S[i] for i in si] != [P[j] for j in pj]:
        return None
    return list(zip(si, pj))


def _partial(name, k, ops, out, p):
    """d out / d ops[k]: the local Jacobian of one primitive in one operand."""
    x = ops[k]
    S, P = _shape(out), _shape(x)
    if name in ("add", "add_any") or (name == "sub" and k == 0) or name in (
            "copy", "copy_p", "convert_element_type"):
        return _elementwise(S, P, 1.0)
    if name == "neg" or (name == "sub" and k == 1):
        return _elementwise(S, P, -1.0)
    if name in ("stop_gradient", "floor", "ceil", "round", "sign"):
        return _Zero(S, P)
    if name == "dot_general":
        (lc, rc), (lb, rb) = p["dimension_numbers"]
        mine, other = (lc, lb), (rc, rb)
        if k == 1:
            mine, other = other, mine
        (c_me, b_me), (c_ot, b_ot) = mine, other
        o = ops[1 - k]
        Po = _shape(o)
        # out axes: batch, lhs free, rhs free
        free_me = [d for d in range(len(P)) if d not in c_me and d not in b_me]
        free_ot = [d for d in range(len(Po)) if d not in c_ot and d not in b_ot]
        pl = [None] * len(P)
        ol = [None] * len(Po)  # labels of the other operand's axes (val)
        sl = []
        for t in range(len(b_me)):
            lab = _fresh()
            sl.append(lab)
            pl[b_me[t]] = lab
            ol[b_ot[t]] = lab
        mine_free = [_fresh() for _ in free_me]
        other_free = [_fresh() for _ in free_ot]
        for d, lab in zip(free_me, mine_free):
            pl[d] = lab
        for d, lab in zip(free_ot, other_free):
            ol[d] = lab
        sl += (mine_free + other_free) if k == 0 else (other_free + mine_free)
        for t in range(len(c_me)):
            lab = _fresh()
            pl[c_me[t]] = lab
            ol[c_ot[t]] = lab
        if isinstance(o, float):
            return _T(S, P, sl, pl, [], o)
        return _T(S, P, sl, pl, ol, jnp.asarray(o))
    if name == "reduce_sum":
        kept = [j for j in range(len(P)) if j not in p["axes"]]
        return _structural(S, P, list(enumerate(kept)))
    if name == "broadcast_in_dim":
        return _structural(S, P, [(i, j) for j, i in enumerate(p["broadcast_dimensions"])])
    if name == "transpose":
        return _structural(S, P, [(i, j) for i, j in enumerate(p["permutation"])])
    if name in ("squeeze", "reshape") and _squeeze_pairs(S, P) is not None:
        return _structural(S, P, _squeeze_pairs(S, P))
    if name in ("slice", "concatenate"):
        if name == "slice":
            strides = p.get("strides")
            strides = [1] * len(P) if strides in (None, "None") else list(strides)
            starts = list(p["start_indices"])
        else:
            d = int(p["dimension"])
            starts = [0] * len(P)
            starts[d] = -sum(_shape(o)[d] for o in ops[:k])
            strides = [1] * len(P)
        T = _structural(S, P, [(i, i) for i in range(len(P))
                               if starts[i] == 0 and strides[i] == 1 and S[i] == P[i]])
        factors = []
        for i in range(len(P)):
            if T.sl[i] != T.pl[i]:
                # slice: p = start + s * stride; concatenate: p = s - offset
                factors.append(_selection(S[i], P[i], starts[i], strides[i]))
                T.vl += [T.sl[i], T.pl[i]]
        if factors:
            let = _letters(T.vl)
            subs = [let[T.vl[2 * f]] + let[T.vl[2 * f + 1]] for f in range(len(factors))]
            T.val = _np.einsum(",".join(subs) + "->" + "".join(let[lab] for lab in T.vl), *factors)
        return T

    def f(z):
        return _prim(name, list(ops[:k]) + [z] + list(ops[k + 1:]), p)

    x = jnp.asarray(x)
    if name in _ELEMENTWISE and len(P) <= len(S) and all(
            d == 1 or d == S[len(S) - len(P) + j] for j, d in enumerate(P)):
        return _elementwise(S, P, jax.jvp(f, (x,), (jnp.ones_like(x),))[1])
    # anything else (reduce_max, a general reshape, dynamic slices): dense
    J = jax.jacfwd(f)(x)
    sl = [_fresh() for _ in S]
    pl = [_fresh() for _ in P]
    return _T(S, P, sl, pl, sl + pl, jnp.reshape(J, S + P))


def _mul(A, B):
    """The Jacobian along p -> j -> s: A = d s / d j, B = d j / d p, as one
    einsum of the two value arrays over their labels, the J axes unified
    (a diagonal pair meeting a dense axis picks its diagonal, two pairs make
    a pair). Counts the multiplications: the product of the sizes of all the
    labels of both arrays; none when one factor is a constant +-1."""
    if isinstance(A, _Zero) or isinstance(B, _Zero):
        return _Zero(A.S, B.P)
    parent = {}

    def find(x):
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in zip(A.pl, B.sl):  # unify the labels of each J axis
        parent[("b", b)] = find(("a", a))
    la = lambda lab: find(("a", lab))  # noqa: E731
    lb = lambda lab: find(("b", lab))  # noqa: E731
    sl = [la(lab) for lab in A.sl]
    pl = [lb(lab) for lab in B.pl]
    size = {la(lab): n for lab, n in A.size.items()}
    size.update({lb(lab): n for lab, n in B.size.items()})
    va = [la(lab) for lab in A.vl]
    vb = [lb(lab) for lab in B.vl]
    out = set(sl) | set(pl)
    # a J axis constant in both factors and in neither side of the result: a sum of equal terms
    factor = 1.0
    for a in A.pl:
        lab = la(a)
        if lab not in out and lab not in va and lab not in vb:
            factor *= size[lab]
    vl = []
    for lab in va + vb:
        if lab in out and lab not in vl:
            vl.append(lab)
    fa, fb = isinstance(A.val, float), isinstance(B.val, float)
    if fa and fb:
        val = A.val * B.val * factor
    else:
        let = _letters(va + vb + vl)
        ops, subs = [], []
        if not fa:
            ops.append(A.val)
            subs.append("".join(let[lab] for lab in va))
        if not fb:
            ops.append(B.val)
            subs.append("".join(let[lab] for lab in vb))
        val = jnp.einsum(",".join(subs) + "->" + "".join(let[lab] for lab in vl), *ops)
        scale = (A.val if fa else 1.0) * (B.val if fb else 1.0) * factor
        if not fa and not fb:
            n = 1
            for lab in set(va) | set(vb):
                n *= size[lab]
            _COUNT[0] += n
        if scale != 1.0:
            val = val * scale
            if scale != -1.0:
                _COUNT[0] += _size(_shape(val))
    # relabel with fresh labels (the union-find keys are local)
    ren = {}
    for lab in sl + pl:
        if lab not in ren:
            ren[lab] = _fresh()
    return _T(A.S, B.P, [ren[x] for x in sl], [ren[x] for x in pl], [ren[x] for x in vl], val)


def _acc(old, new, *more):
    """Jacobians of the same edge, summed (additions are not counted): in the
    structure both share (the pairs both have), as one array."""
    if more:
        return _acc(_acc(old, new), *more)
    if old is None or isinstance(old, _Zero):
        return new
    if isinstance(new, _Zero):
        return old
    S, P = old.S, old.P

    def pairs(X):
        return {(i, j) for i, a in enumerate(X.sl) for j, b in enumerate(X.pl) if a == b}

    keep = pairs(old) & pairs(new)
    ts = [_fresh() for _ in S]
    tp = [_fresh() for _ in P]
    for i, j in keep:
        tp[j] = ts[i]
    size = dict(zip(ts, S))
    size.update(zip(tp, P))
    vl = []

    def need(X):
        tl = {}
        for i, lab in enumerate(X.sl):
            tl.setdefault(lab, ts[i])
        for j, lab in enumerate(X.pl):
            tl.setdefault(lab, tp[j])
        want = [tl[lab] for lab in X.vl]
        for (i, j) in pairs(X) - keep:
            want += [ts[i], tp[j]]
        for t in want:
            if t not in vl:
                vl.append(t)

    need(old)
    need(new)
    val = _restructure(old, ts, tp, vl, size) + _restructure(new, ts, tp, vl, size)
    return _T(S, P, ts, tp, vl, val)


def _block(A, S, P):
    """The Jacobian block d out / d in, shaped as jax.jacrev gives it."""
    if A is None:
        return jnp.zeros(tuple(S) + tuple(P))
    return jnp.reshape(_full(A), tuple(S) + tuple(P))
def _step(vertex, prim, model_cost):
    """Marks the start of vertex's elimination in jacobian()."""
    _STEPS.append((vertex, prim, model_cost, _COUNT[0]))


def _trace():
    """Traces jacobian() afresh (never cached), counting its multiplications."""
    _COUNT[0] = 0
    del _STEPS[:]
    dtype = jnp.float64 if jax.config.jax_enable_x64 else jnp.float32
    jax.make_jaxpr(lambda *a: jacobian(*a))(*[jax.ShapeDtypeStruct(s, dtype) for _, s in INPUTS])


def multiplications():
    """Scalar multiplications of jacobian()'s products."""
    _trace()
    return _COUNT[0]


def steps():
    """[(vertex, primitive, model cost, multiplications)] of each elimination, in order."""
    _trace()
    ends = [step[3] for step in _STEPS[1:]] + [_COUNT[0]]
    return [(v, prim, cost, end - start) for (v, prim, cost, start), end in zip(_STEPS, ends)]
# ---- end of the runtime ----------------------------------------------------
