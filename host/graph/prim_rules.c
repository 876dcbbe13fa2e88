/* AlphaGrad's primitive -> edge-record rules (docs/tensor_model.md §5.2). S(x) is
 * the normalised record shape of §1; Rw(x) the "raw" shape dot_general and
 * reduce_* look at: () and one-element 2-D shapes give (0,0), (n,) gives
 * (n,0) (so (1,) gives (1,0)), other (n,m) stay. */
#include "graph/prim_rules.h"

#include <string.h>

#include "graph/sparsity.h"

static const char *const UNARY[] = {
    "neg",  "abs",  "exp",   "log",   "log1p", "sin",   "cos",         "tan",
    "asin", "acos", "atan",  "sinh",  "cosh",  "tanh",  "asinh",       "acosh",
    "atanh", "integer_pow", "sqrt", "rsqrt", "logistic", "erf", "custom_jvp_call",
    /* not in AlphaGrad's table: emitted by newer JAX or by common functions, elementwise
     * like the rest (scripts/jax_export.py exports them) */
    "square", "exp2", "expm1", "cbrt", "erf_inv", "erfc"};
static const char *const BINARY[] = {"add", "sub", "mul", "div", "pow", "atan2", "add_any", "eq",
                                     "max", "min", "rem" /* rem: not in AlphaGrad's table */};
/* convert_element_type and, beyond AlphaGrad's table, the copies newer JAX emits */
static const char *const COPY_LIKE[] = {"convert_element_type", "copy", "copy_p"};
static const char *const RESHAPE_LIKE[] = {"reshape", "slice", "dynamic_slice",
                                           "dynamic_update_slice",
                                           /* beyond AlphaGrad's table: x[::-1], entries move */
                                           "rev"};
/* no edge: a zero derivative (and, beyond AlphaGrad's table, the piecewise-constant
 * floor, ceil, round and sign, as JAX has them) */
static const char *const NO_EDGE[] = {"stop_gradient", "iota", "floor", "ceil", "round", "sign"};
/* beyond AlphaGrad's table: a Jacobian in the (first) operand with no structure the
 * records can name (a running sum or product, a sort's permutation): one dense record */
static const char *const DENSE[] = {"cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp",
                                    "sort", /* jnp.linalg.inv and solve, one vertex each */
                                    "inv", "solve"};

static int in_list(const char *p, const char *const *list, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(p, list[i]) == 0) return 1;
    return 0;
}
#define IN(p, list) in_list(p, list, sizeof list / sizeof list[0])

int ccx_prim_known(const char *p) {
    return IN(p, UNARY) || IN(p, BINARY) || IN(p, RESHAPE_LIKE) || IN(p, COPY_LIKE) ||
           IN(p, DENSE) || strcmp(p, "clamp") == 0 || strcmp(p, "pad") == 0 ||
           strcmp(p, "select_n") == 0 || strcmp(p, "dot_general") == 0 ||
           strcmp(p, "reduce_sum") == 0 || strcmp(p, "reduce_max") == 0 ||
           strcmp(p, "reduce_min") == 0 || strcmp(p, "transpose") == 0 ||
           strcmp(p, "broadcast_in_dim") == 0 || strcmp(p, "squeeze") == 0 ||
           strcmp(p, "concatenate") == 0 || IN(p, NO_EDGE);
}

static void S(const ccx_shape *s, int32_t d[2]) { ccx_shape_record_dims(s, d); }

static void Rw(const ccx_shape *s, int32_t d[2]) {
    if (s->rank == 0 || (s->rank == 2 && s->dims[0] == 1 && s->dims[1] == 1)) {
        d[0] = d[1] = 0;
    } else if (s->rank == 1) {
        d[0] = s->dims[0];
        d[1] = 0;
    } else {
        d[0] = s->dims[0];
        d[1] = s->dims[1];
    }
}

static int is_one(const int32_t d[2]) { return d[0] == 1 && d[1] == 1; }

/* [type, S(out), S(x)] */
static void set(ccx_edge *r, int type, const ccx_shape *out, const ccx_shape *x) {
    r->type = (int8_t)type;
    S(out, r->out_d);
    S(x, r->primal_d);
}

static int binary_type(const ccx_shape *x, const ccx_shape *o, const ccx_shape *out) {
    int32_t sx[2], so[2], su[2];
    S(x, sx);
    S(o, so);
    S(out, su);
    if (is_one(sx)) return CCX_SP_DENSE;
    if (sx[0] > 1 && sx[1] == 1) { /* column */
        if (su[1] == 1) return is_one(so) ? CCX_SP_K13 : CCX_SP_D13;
        return CCX_SP_D13;
    }
    if (sx[0] == 1 && sx[1] > 1) { /* row */
        if (su[0] == 1) return is_one(so) ? CCX_SP_K24 : CCX_SP_D24;
        return CCX_SP_D24;
    }
    /* matrix; a scalar other was meant to give 10 (docs/tensor_model.md 7.1) */
    if (so[1] == 1) return CCX_SP_D13K24;
    if (so[0] == 1) return CCX_SP_K13D24;
    return CCX_SP_D13D24;
}

/* (lhs, rhs) types of dot_general from the first contracting pair */
static void dot_types(const ccx_prim_call *c, int *tl, int *tr) {
    int32_t l[2], r[2];
    Rw(&c->operand[0], l);
    Rw(&c->operand[1], r);
    int ld = c->contract_lhs, rd = c->contract_rhs;
    int l1d = l[0] > 0 && l[1] == 0, r1d = r[0] > 0 && r[1] == 0, r2d = r[0] > 0 && r[1] > 0;
    if (l1d) {
        if (r1d) { *tl = 1; *tr = 1; }
        else if (r[0] == 1 && r[1] > 0) {
            if (ld == 0 && rd == 1) { *tl = -3; *tr = -2; }
            else if (ld == 1 && rd == 0) { *tl = -2; *tr = -3; }
            else { *tl = 1; *tr = 1; }
        } else { *tl = -4; *tr = -3; }
    } else if (r1d) {
        *tl = -2; *tr = 1;
    } else if (r2d) {
        if (ld == 1 && rd == 0) { *tl = -2; *tr = -3; }
        else if (ld == 1 && rd == 1) { *tl = -2; *tr = -5; }
        else if (ld == 0 && rd == 0) { *tl = -4; *tr = -3; }
        else { *tl = -4; *tr = -5; }
    } else {
        *tl = 1; *tr = 1;
    }
}

int ccx_prim_records(const ccx_prim_call *c, ccx_edge rec[], ccx_error *err) {
    const char *p = c->prim;
    int n = c->n_operands;
    if (n < 0 || n > CCX_PRIM_MAX_OPERANDS)
        return ccx_error_set(err, "%s: %d operands (at most %d)", p, n, CCX_PRIM_MAX_OPERANDS);
    for (int i = 0; i < n; i++) memset(&rec[i], 0, sizeof rec[i]);
    int first_var = -1;
    for (int i = 0; i < n && first_var < 0; i++)
        if (!c->literal[i]) first_var = i;
    if (IN(p, UNARY)) {
        if (n < 1) return ccx_error_set(err, "%s needs an operand", p);
        if (c->literal[0]) return 0;
        int32_t s[2];
        S(&c->operand[0], s);
        /* unary records swap the shapes: [type, S(in), S(out)] (7.11) */
        rec[0].type = (int8_t)(is_one(s) ? CCX_SP_DENSE : CCX_SP_D13D24);
        S(&c->operand[0], rec[0].out_d);
        S(&c->out, rec[0].primal_d);
    } else if (IN(p, BINARY)) {
        if (n != 2) return ccx_error_set(err, "%s needs two operands", p);
        for (int i = 0; i < 2; i++)
            if (!c->literal[i])
                set(&rec[i], binary_type(&c->operand[i], &c->operand[1 - i], &c->out), &c->out,
                    &c->operand[i]);
    } else if (strcmp(p, "select_n") == 0) {
        /* select_n(predicate, case0, case1, ...), not in AlphaGrad's table: each case is a
         * binary operand against the first other case (itself when alone); the predicate
         * never gets an edge */
        if (n < 2) return ccx_error_set(err, "select_n needs a predicate and a case");
        for (int i = 1; i < n; i++) {
            if (c->literal[i]) continue;
            int o = i == 1 ? (n > 2 ? 2 : 1) : 1;
            set(&rec[i], binary_type(&c->operand[i], &c->operand[o], &c->out), &c->out,
                &c->operand[i]);
        }
    } else if (strcmp(p, "clamp") == 0) {
        /* clamp(lo, x, hi), not in AlphaGrad's table: elementwise like max and min, x
         * against lo (or hi when lo is a literal), lo and hi against x */
        if (n != 3) return ccx_error_set(err, "clamp needs three operands (lo, x, hi)");
        for (int i = 0; i < 3; i++) {
            if (c->literal[i]) continue;
            int o = i != 1 ? 1 : (!c->literal[0] || c->literal[2]) ? 0 : 2;
            set(&rec[i], binary_type(&c->operand[i], &c->operand[o], &c->out), &c->out,
                &c->operand[i]);
        }
    } else if (strcmp(p, "pad") == 0) {
        /* pad(x, value), not in AlphaGrad's table: x's entries move (a 0/1 selection,
         * reshape-like as slice and concatenate are); a variable padding value reaches
         * every padded entry: dense */
        if (n >= 1 && !c->literal[0]) set(&rec[0], CCX_SP_RESHAPE, &c->out, &c->operand[0]);
        if (n >= 2 && !c->literal[1]) set(&rec[1], CCX_SP_DENSE, &c->out, &c->operand[1]);
    } else if (IN(p, DENSE)) {
        for (int i = 0; i < n; i++)
            if (!c->literal[i]) set(&rec[i], CCX_SP_DENSE, &c->out, &c->operand[i]);
    } else if (strcmp(p, "dot_general") == 0) {
        if (n != 2) return ccx_error_set(err, "dot_general needs two operands");
        int t[2];
        dot_types(c, &t[0], &t[1]);
        for (int i = 0; i < 2; i++)
            if (!c->literal[i]) set(&rec[i], t[i], &c->out, &c->operand[i]);
    } else if (strcmp(p, "reduce_sum") == 0 || strcmp(p, "reduce_max") == 0 ||
               strcmp(p, "reduce_min") == 0) {
        if (n < 1 || first_var < 0) return 0;
        int32_t in[2], out[2];
        Rw(&c->operand[first_var], in);
        Rw(&c->out, out);
        int sum = strcmp(p, "reduce_sum") == 0, type = CCX_SP_DENSE;
        if (in[0] > 0 && in[1] > 0) {
            if (out[0] == 0 && out[1] == 0) type = CCX_SP_DENSE;
            else if (out[1] == 0) type = sum ? (c->axis0 == 0 ? CCX_SP_K14 : CCX_SP_K13) : CCX_SP_D13;
            else if (out[0] == 1) type = sum ? CCX_SP_K24 : CCX_SP_D24;
        }
        set(&rec[first_var], type, &c->out, &c->operand[first_var]);
    } else if (strcmp(p, "transpose") == 0) {
        if (n < 1 || first_var < 0) return 0;
        int32_t s[2];
        S(&c->operand[first_var], s);
        int type = is_one(s) ? CCX_SP_DENSE
                   : s[1] == 1 ? CCX_SP_K14
                   : s[0] == 1 ? CCX_SP_K23
                               : CCX_SP_TRANSPOSE;
        set(&rec[first_var], type, &c->out, &c->operand[first_var]);
    } else if (strcmp(p, "broadcast_in_dim") == 0 || strcmp(p, "squeeze") == 0) {
        if (n < 1 || first_var < 0) return 0;
        int32_t si[2], so[2];
        S(&c->operand[first_var], si);
        S(&c->out, so);
        set(&rec[first_var], si[0] == so[0] && si[1] == so[1] ? CCX_SP_IDENTITY : CCX_SP_TRANSPOSE,
            &c->out, &c->operand[first_var]);
    } else if (IN(p, RESHAPE_LIKE)) {
        if (first_var >= 0) set(&rec[first_var], CCX_SP_RESHAPE, &c->out, &c->operand[first_var]);
    } else if (strcmp(p, "concatenate") == 0) {
        /* every Var operand's record carries the first Var operand's shape (7.10) */
        for (int i = 0; i < n; i++)
            if (!c->literal[i]) set(&rec[i], CCX_SP_RESHAPE, &c->out, &c->operand[first_var]);
    } else if (IN(p, COPY_LIKE)) {
        if (first_var >= 0) set(&rec[first_var], CCX_SP_COPY, &c->out, &c->operand[first_var]);
    } else if (IN(p, NO_EDGE)) {
        return 0; /* no edge */
    } else {
        return ccx_error_set(err, "AlphaGrad's graph builder has no rule for the primitive '%s'", p);
    }
    /* a repeated Var: one edge, the last occurrence's record */
    for (int i = 0; i < n; i++) {
        if (c->literal[i] || !rec[i].type) continue;
        for (int k = i + 1; k < n; k++)
            if (!c->literal[k] && c->node[k] == c->node[i] && rec[k].type) {
                rec[i].type = 0;
                break;
            }
    }
    return 0;
}
