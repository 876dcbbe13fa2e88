/* Code generation for C, CUDA and JAX from an elimination schedule. */
#include "jac/codegen.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "game/game.h"
#include "graph/real_partials.h"
#include "util/version.h"

/* Expressions are built with snprintf into EXPR-sized buffers from operands of
 * at most 63 characters (a node label or a %.17g literal); the longest
 * template (min/max partials) stays far below EXPR, so GCC's worst-case
 * truncation analysis does not apply. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

int ccx_codegen_lang_parse(const char *s, ccx_codegen_lang *out) {
    if (strcmp(s, "c") == 0) *out = CCX_LANG_C;
    else if (strcmp(s, "cuda") == 0) *out = CCX_LANG_CUDA;
    else if (strcmp(s, "jax") == 0) *out = CCX_LANG_JAX;
    else return -1;
    return 0;
}

const char *ccx_codegen_lang_name(ccx_codegen_lang lang) {
    return lang == CCX_LANG_C ? "c" : lang == CCX_LANG_CUDA ? "cuda" : "jax";
}

const char *ccx_codegen_suffix(ccx_codegen_lang lang) {
    return lang == CCX_LANG_C ? ".c" : lang == CCX_LANG_CUDA ? ".cu" : ".py";
}

void ccx_codegen_default_name(const ccx_graph *g, char *buf, size_t size) {
    const char *t = g->task_name && g->task_name[0] ? g->task_name : "task";
    size_t n = 0;
    if (isdigit((unsigned char)t[0])) n = (size_t)snprintf(buf, size, "ccx_");
    for (; *t && n + 1 < size; t++) buf[n++] = isalnum((unsigned char)*t) ? *t : '_';
    if (size) buf[n < size ? n : size - 1] = '\0';
}

static int is_identifier(const char *s) {
    if (!s || !(isalpha((unsigned char)*s) || *s == '_')) return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_')) return 0;
    return 1;
}

/* ------------------------------------------------------- expressions -- */

typedef struct {
    FILE *out;
    const ccx_jac_plan *plan;
    const ccx_graph *g;
    ccx_codegen_lang lang;
    const char *ind;     /* indentation of the body */
    int failed;          /* a write error happened */
} emitter;

static void put(emitter *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(emitter *e, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (vfprintf(e->out, fmt, ap) < 0) e->failed = 1;
    va_end(ap);
}

static int jax(const emitter *e) { return e->lang == CCX_LANG_JAX; }

/* A double literal that reads back exactly, parenthesized if negative. */
static const char *literal(const emitter *e, double c, char *buf, size_t size) {
    if (isnan(c)) snprintf(buf, size, jax(e) ? "float('nan')" : "NAN");
    else if (isinf(c)) snprintf(buf, size, jax(e) ? "float('%sinf')" : "(%sINFINITY)", c < 0 ? "-" : "");
    else {
        char t[40];
        snprintf(t, sizeof t, "%.17g", c);
        if (!strpbrk(t, ".eEn")) strcat(t, ".0");
        snprintf(buf, size, c < 0 || (c == 0 && signbit(c)) ? "(%s)" : "%s", t);
    }
    return buf;
}

/* Name of operand i of vertex v: x<i>, v<k> or a literal. */
static const char *operand(const emitter *e, const ccx_vertex *v, int i, char *buf, size_t size) {
    if (i >= v->n_args) return "0.0";
    if (v->args[i].node >= 0) return ccx_graph_node_label(e->g, v->args[i].node, buf, size);
    return literal(e, v->args[i].constant, buf, size);
}

/* A math function's name: C spelling or jnp spelling. */
static const char *fn(const emitter *e, const char *c) {
    if (!jax(e)) return c;
    static const struct { const char *c, *j; } MAP[] = {
        {"fabs", "jnp.abs"}, {"sqrt", "jnp.sqrt"}, {"exp", "jnp.exp"}, {"log", "jnp.log"},
        {"log1p", "jnp.log1p"}, {"sin", "jnp.sin"}, {"cos", "jnp.cos"}, {"tan", "jnp.tan"},
        {"asin", "jnp.arcsin"}, {"acos", "jnp.arccos"}, {"atan", "jnp.arctan"},
        {"sinh", "jnp.sinh"}, {"cosh", "jnp.cosh"}, {"tanh", "jnp.tanh"},
        {"asinh", "jnp.arcsinh"}, {"acosh", "jnp.arccosh"}, {"atanh", "jnp.arctanh"},
        {"erf", "_erf"}, {"pow", "jnp.power"}, {"atan2", "jnp.arctan2"},
        {"fmin", "jnp.minimum"}, {"fmax", "jnp.maximum"},
    };
    for (size_t i = 0; i < sizeof MAP / sizeof MAP[0]; i++)
        if (strcmp(MAP[i].c, c) == 0) return MAP[i].j;
    return c;
}

/* cond ? a : b */
static void sel(const emitter *e, char *buf, size_t size, const char *cond, const char *a,
                const char *b) {
    if (jax(e)) snprintf(buf, size, "jnp.where(%s, %s, %s)", cond, a, b);
    else snprintf(buf, size, "(%s ? %s : %s)", cond, a, b);
}

#define EXPR 1024

/* Largest |k| for which x**k is emitted as an inline product; beyond it the
 * ccx_ipow helper (a loop) is called. */
#define IPOW_INLINE 8

/* x**k as the exact sequence of products ops.c's integer_pow performs
 * (repeated squaring; 1.0 * b is written b, which is exact), so the code
 * stays straight-line and rounds like the interpreter. |k| <= IPOW_INLINE. */
static void ipow_inline(const char *A, long k, char *buf) {
    int neg = k < 0;
    unsigned long n = neg ? -(unsigned long)k : (unsigned long)k;
    char acc[EXPR] = "1.0", base[EXPR], t[EXPR];
    int acc_one = 1;
    snprintf(base, sizeof base, "%s", A);
    while (n) {
        if (n & 1) {
            if (acc_one) snprintf(acc, sizeof acc, "%s", base);
            else {
                snprintf(t, sizeof t, "(%s * %s)", acc, base);
                snprintf(acc, sizeof acc, "%s", t);
            }
            acc_one = 0;
        }
        n >>= 1;
        if (n) {
            snprintf(t, sizeof t, "(%s * %s)", base, base);
            snprintf(base, sizeof base, "%s", t);
        }
    }
    if (neg) snprintf(buf, EXPR, "(1.0 / %s)", acc);
    else snprintf(buf, EXPR, "%s", acc);
}

/* x**k in C: inline product or the helper. */
static void ipow_c(const char *A, long k, char *buf) {
    if (k >= -IPOW_INLINE && k <= IPOW_INLINE) ipow_inline(A, k, buf);
    else snprintf(buf, EXPR, "ccx_ipow(%s, %ld)", A, k);
}

/* The value of vertex v (the formulas of ccx_op_value). */
static void value_expr(const emitter *e, const ccx_vertex *v, char *buf) {
    char A[64], B[64];
    operand(e, v, 0, A, sizeof A);
    operand(e, v, 1, B, sizeof B);
    const char *un = NULL;
    switch (v->op) {
    case CCX_OP_NEG: snprintf(buf, EXPR, "-%s", A); return;
    case CCX_OP_ABS: un = "fabs"; break;
    case CCX_OP_SQRT: un = "sqrt"; break;
    case CCX_OP_EXP: un = "exp"; break;
    case CCX_OP_LOG: un = "log"; break;
    case CCX_OP_LOG1P: un = "log1p"; break;
    case CCX_OP_SIN: un = "sin"; break;
    case CCX_OP_COS: un = "cos"; break;
    case CCX_OP_TAN: un = "tan"; break;
    case CCX_OP_ASIN: un = "asin"; break;
    case CCX_OP_ACOS: un = "acos"; break;
    case CCX_OP_ATAN: un = "atan"; break;
    case CCX_OP_SINH: un = "sinh"; break;
    case CCX_OP_COSH: un = "cosh"; break;
    case CCX_OP_TANH: un = "tanh"; break;
    case CCX_OP_ASINH: un = "asinh"; break;
    case CCX_OP_ACOSH: un = "acosh"; break;
    case CCX_OP_ATANH: un = "atanh"; break;
    case CCX_OP_LOGISTIC: un = "ccx_logistic"; break;
    case CCX_OP_ERF: un = "erf"; break;
    case CCX_OP_INTEGER_POW:
        if (jax(e)) snprintf(buf, EXPR, "%s ** %ld", A, (long)v->param);
        else ipow_c(A, (long)v->param, buf);
        return;
    case CCX_OP_ADD: snprintf(buf, EXPR, "%s + %s", A, B); return;
    case CCX_OP_SUB: snprintf(buf, EXPR, "%s - %s", A, B); return;
    case CCX_OP_MUL: snprintf(buf, EXPR, "%s * %s", A, B); return;
    case CCX_OP_DIV: snprintf(buf, EXPR, "%s / %s", A, B); return;
    case CCX_OP_POW: snprintf(buf, EXPR, "%s(%s, %s)", fn(e, "pow"), A, B); return;
    case CCX_OP_ATAN2: snprintf(buf, EXPR, "%s(%s, %s)", fn(e, "atan2"), A, B); return;
    case CCX_OP_MIN: snprintf(buf, EXPR, "%s(%s, %s)", fn(e, "fmin"), A, B); return;
    case CCX_OP_MAX: snprintf(buf, EXPR, "%s(%s, %s)", fn(e, "fmax"), A, B); return;
    case CCX_OP_COPY: snprintf(buf, EXPR, "%s", A); return;
    case CCX_OP_NONE:
    case CCX_OP_COUNT: break;
    }
    if (un) snprintf(buf, EXPR, "%s(%s)", fn(e, un), A);
    else snprintf(buf, EXPR, "0.0");
}

/* Local partial of vertex v (named V) with respect to operand `which`: the
 * formulas of ccx_op_partials, reusing the vertex value where ops.c's
 * formula recomputes exactly that value (sqrt, exp, tan, tanh, logistic,
 * pow). */
static void partial_expr(const emitter *e, const ccx_vertex *v, const char *V, int which,
                         char *buf) {
    char A[64], B[64], t[EXPR], u[EXPR];
    operand(e, v, 0, A, sizeof A);
    operand(e, v, 1, B, sizeof B);
    const char *sq = fn(e, "sqrt");
    switch (v->op) {
    case CCX_OP_NEG: snprintf(buf, EXPR, "-1.0"); return;
    case CCX_OP_ABS:
        /* sign(a), 0 at 0 and NaN; in C branch-free (exact) so loops vectorize */
        if (!jax(e)) {
            snprintf(buf, EXPR, "((double)(%s > 0) - (double)(%s < 0))", A, A);
            return;
        }
        snprintf(t, sizeof t, "%s < 0", A);
        sel(e, u, sizeof u, t, "-1.0", "0.0");
        snprintf(t, sizeof t, "%s > 0", A);
        sel(e, buf, EXPR, t, "1.0", u);
        return;
    case CCX_OP_SQRT: snprintf(buf, EXPR, "0.5 / %s", V); return;
    case CCX_OP_EXP: snprintf(buf, EXPR, "%s", V); return;
    case CCX_OP_LOG: snprintf(buf, EXPR, "1.0 / %s", A); return;
    case CCX_OP_LOG1P: snprintf(buf, EXPR, "1.0 / (1.0 + %s)", A); return;
    case CCX_OP_SIN: snprintf(buf, EXPR, "%s(%s)", fn(e, "cos"), A); return;
    case CCX_OP_COS: snprintf(buf, EXPR, "-%s(%s)", fn(e, "sin"), A); return;
    case CCX_OP_TAN: snprintf(buf, EXPR, "1.0 + %s * %s", V, V); return;
    case CCX_OP_ASIN: snprintf(buf, EXPR, "1.0 / %s(1.0 - %s * %s)", sq, A, A); return;
    case CCX_OP_ACOS: snprintf(buf, EXPR, "-1.0 / %s(1.0 - %s * %s)", sq, A, A); return;
    case CCX_OP_ATAN: snprintf(buf, EXPR, "1.0 / (1.0 + %s * %s)", A, A); return;
    case CCX_OP_SINH: snprintf(buf, EXPR, "%s(%s)", fn(e, "cosh"), A); return;
    case CCX_OP_COSH: snprintf(buf, EXPR, "%s(%s)", fn(e, "sinh"), A); return;
    case CCX_OP_TANH: snprintf(buf, EXPR, "1.0 - %s * %s", V, V); return;
    case CCX_OP_ASINH: snprintf(buf, EXPR, "1.0 / %s(%s * %s + 1.0)", sq, A, A); return;
    case CCX_OP_ACOSH: snprintf(buf, EXPR, "1.0 / %s(%s * %s - 1.0)", sq, A, A); return;
    case CCX_OP_ATANH: snprintf(buf, EXPR, "1.0 / (1.0 - %s * %s)", A, A); return;
    case CCX_OP_LOGISTIC: snprintf(buf, EXPR, "%s * (1.0 - %s)", V, V); return;
    case CCX_OP_ERF:
        snprintf(buf, EXPR, "1.1283791670955126 * %s(-%s * %s)", fn(e, "exp"), A, A);
        return;
    case CCX_OP_INTEGER_POW: {
        long k = (long)v->param;
        if (k == 0) snprintf(buf, EXPR, "0.0");
        else if (jax(e)) snprintf(buf, EXPR, "%ld.0 * %s ** (%ld)", k, A, k - 1);
        else {
            ipow_c(A, k - 1, t);
            snprintf(buf, EXPR, "%ld.0 * %s", k, t);
        }
        return;
    }
    case CCX_OP_COPY:
    case CCX_OP_ADD: snprintf(buf, EXPR, "1.0"); return;
    case CCX_OP_SUB: snprintf(buf, EXPR, which ? "-1.0" : "1.0"); return;
    case CCX_OP_MUL: snprintf(buf, EXPR, "%s", which ? A : B); return;
    case CCX_OP_DIV:
        if (which) snprintf(buf, EXPR, "-%s / (%s * %s)", A, B, B);
        else snprintf(buf, EXPR, "1.0 / %s", B);
        return;
    case CCX_OP_POW:
        if (which) {
            snprintf(t, sizeof t, "%s * %s(%s)", V, fn(e, "log"), A);
            snprintf(u, sizeof u, "%s == 0.0", A);
        } else {
            snprintf(t, sizeof t, "%s * %s(%s, %s - 1.0)", B, fn(e, "pow"), A, B);
            snprintf(u, sizeof u, "%s == 0.0", B);
        }
        sel(e, buf, EXPR, u, "0.0", t);
        return;
    case CCX_OP_ATAN2:
        snprintf(buf, EXPR, "%s%s / (%s * %s + %s * %s)", which ? "-" : "", which ? A : B, A, A,
                 B, B);
        return;
    case CCX_OP_MIN: case CCX_OP_MAX: {
        const char *lt = v->op == CCX_OP_MIN ? "<" : ">";
        char c1[160], c2[160];
        if (!jax(e)) { /* 1, 0.5 on a tie, else 0: branch-free and exact */
            snprintf(t, sizeof t, "((double)(%s %s %s) + 0.5 * (double)(%s == %s))", A, lt, B, A,
                     B);
            if (which) snprintf(buf, EXPR, "1.0 - %s", t);
            else snprintf(buf, EXPR, "%s", t);
            return;
        }
        snprintf(c1, sizeof c1, "%s == %s", A, B);
        sel(e, u, sizeof u, c1, "0.5", "0.0");
        snprintf(c2, sizeof c2, "%s %s %s", A, lt, B);
        sel(e, t, sizeof t, c2, "1.0", u);
        if (which) snprintf(buf, EXPR, "1.0 - %s", t);
        else snprintf(buf, EXPR, "%s", t);
        return;
    }
    case CCX_OP_NONE:
    case CCX_OP_COUNT: break;
    }
    snprintf(buf, EXPR, "0.0");
}

/* Variable holding edge slot k: d_<dst>_<src>. */
static const char *slot_name(const emitter *e, int32_t k, char *buf, size_t size) {
    char a[32], b[32];
    snprintf(buf, size, "d_%s_%s",
             ccx_graph_node_label(e->g, e->plan->slot_dst[k], a, sizeof a),
             ccx_graph_node_label(e->g, e->plan->slot_src[k], b, sizeof b));
    return buf;
}

/* ------------------------------------------------------------- body -- */

static void emit_inputs_values(emitter *e) {
    const ccx_graph *g = e->g;
    const char *cd = jax(e) ? "" : "const double ", *semi = jax(e) ? "" : ";";
    const char *cm = jax(e) ? "#" : "//";
    char buf[EXPR];
    put(e, "%s%s inputs\n", e->ind, cm);
    for (int i = 0; i < g->n_inputs; i++) {
        if (jax(e)) put(e, "%sx%d = x[%d]\n", e->ind, i + 1, i);
        else put(e, "%sconst double x%d = x[%d * n + p];\n", e->ind, i + 1, i);
    }
    put(e, "%s%s values\n", e->ind, cm);
    for (int k = 1; k <= g->n_vertices; k++) {
        value_expr(e, &g->vertices[k - 1], buf);
        put(e, "%s%sv%d = %s%s\n", e->ind, cd, k, buf, semi);
    }
}

static int64_t emit_steps(emitter *e, const ccx_jac_step *steps, int64_t n) {
    const char *semi = jax(e) ? "" : ";";
    char d[80], a[80], b[80];
    for (int64_t t = 0; t < n; t++) {
        const ccx_jac_step *s = &steps[t];
        slot_name(e, s->dst, d, sizeof d);
        slot_name(e, s->a, a, sizeof a);
        slot_name(e, s->b, b, sizeof b);
        if (s->fill) put(e, "%s%s%s = %s * %s%s\n", e->ind, jax(e) ? "" : "double ", d, a, b, semi);
        else if (jax(e)) put(e, "%s%s = %s + %s * %s\n", e->ind, d, d, a, b);
        else put(e, "%s%s += %s * %s;\n", e->ind, d, a, b);
    }
    return n;
}

/* Accumulation multiplications a compiler cannot fold away: those with no
 * factor equal to the compile-time constant +-1 and not both factors
 * constant (x*1.0 and x*-1.0 are exact, so -O2 drops them; constant*constant
 * is folded). Constants are tracked through fill-ins and sums. */
static int64_t nonconstant_mults(const ccx_jac_plan *pl) {
    const ccx_graph *g = pl->graph;
    uint8_t *known = calloc((size_t)(pl->n_slots ? pl->n_slots : 1), 1);
    double *val = calloc((size_t)(pl->n_slots ? pl->n_slots : 1), sizeof(double));
    if (!known || !val) {
        free(known);
        free(val);
        return -1;
    }
    for (int e = 0; e < g->n_edges; e++) {
        int k = ccx_vertex_of_node(g, g->edges[e].dst);
        known[e] = (uint8_t)ccx_scalar_partial_constant(&g->vertices[k - 1], g->edges[e].src, &val[e]);
    }
    int64_t n = 0;
    for (int64_t t = 0; t < pl->n_steps; t++) {
        const ccx_jac_step *s = &pl->steps[t];
        int ka = known[s->a], kb = known[s->b];
        int prod_known = ka && kb;
        double prod = prod_known ? val[s->a] * val[s->b] : 0;
        if (!prod_known && !(ka && fabs(val[s->a]) == 1.0) && !(kb && fabs(val[s->b]) == 1.0)) n++;
        if (s->fill) {
            known[s->dst] = (uint8_t)prod_known;
            val[s->dst] = prod;
        } else if (known[s->dst] && prod_known) {
            val[s->dst] += prod;
        } else {
            known[s->dst] = 0;
        }
    }
    free(known);
    free(val);
    return n;
}

static int emit_body(emitter *e, ccx_codegen_stats *st, ccx_error *err) {
    const ccx_graph *g = e->g;
    const ccx_jac_plan *pl = e->plan;
    const char *semi = jax(e) ? "" : ";", *cm = jax(e) ? "#" : "//";
    char buf[EXPR], name[80], V[32];
    emit_inputs_values(e);

    put(e, "%s%s local partials d_<vertex>_<operand>\n", e->ind, cm);
    int ei = 0;
    for (int k = 0; k < g->n_vertices; k++) {
        const ccx_vertex *v = &g->vertices[k];
        int32_t node = g->n_inputs + k;
        snprintf(V, sizeof V, "v%d", k + 1);
        for (; ei < g->n_edges && g->edges[ei].dst == node; ei++) {
            char parts[2][EXPR];
            int np = 0;
            for (int i = 0; i < v->n_args; i++)
                if (v->args[i].node == g->edges[ei].src) partial_expr(e, v, V, i, parts[np++]);
            if (np == 2) snprintf(buf, sizeof buf, "(%s) + (%s)", parts[0], parts[1]);
            else snprintf(buf, sizeof buf, "%s", np ? parts[0] : "0.0");
            put(e, "%s%s%s = %s%s\n", e->ind, jax(e) ? "" : "double ",
                slot_name(e, ei, name, sizeof name), buf, semi);
        }
    }

    put(e, "%s%s %s (one line per multiplication: %lld)\n", e->ind, cm, CCX_CODEGEN_BEGIN_ACC,
        (long long)pl->cost);
    int64_t acc = 0;
    for (int k = 0; k < pl->n_order; k++) {
        int64_t b0 = pl->elim_begin[k], b1 = pl->elim_begin[k + 1];
        put(e, "%s%s eliminate v%d (%lld)\n", e->ind, cm, pl->order[k], (long long)(b1 - b0));
        acc += emit_steps(e, pl->steps + b0, b1 - b0);
    }
    put(e, "%s%s %s\n", e->ind, cm, CCX_CODEGEN_END_ACC);
    int64_t back = 0;
    if (pl->n_back) {
        put(e, "%s%s %s (output -> output edges; not part of the order's cost: %lld)\n", e->ind,
            cm, CCX_CODEGEN_BEGIN_BACK, (long long)pl->n_back);
        back = emit_steps(e, pl->back, pl->n_back);
        put(e, "%s%s %s\n", e->ind, cm, CCX_CODEGEN_END_BACK);
    }
    if (acc != pl->cost)
        return ccx_error_set(err, "internal error: emitted %lld multiplications, the order "
                                  "costs %lld", (long long)acc, (long long)pl->cost);
    if (st) {
        st->acc_mults = acc;
        st->back_mults = back;
        st->acc_nonconstant = nonconstant_mults(pl);
    }

    put(e, "%s%s outputs and Jacobian\n", e->ind, cm);
    int n_in = g->n_inputs;
    if (jax(e)) {
        put(e, "%s_z = jnp.zeros_like(x[0])\n", e->ind);
        put(e, "%sy = jnp.stack([", e->ind);
        for (int o = 0; o < g->n_outputs; o++) put(e, "%sv%d + _z", o ? ", " : "", g->outputs[o]);
        put(e, "])\n%sJ = jnp.stack([\n", e->ind);
        for (int o = 0; o < g->n_outputs; o++) {
            put(e, "%s    jnp.stack([", e->ind);
            for (int i = 0; i < n_in; i++) {
                int32_t s = pl->jac_slot[(size_t)o * n_in + i];
                if (s >= 0) put(e, "%s%s + _z", i ? ", " : "", slot_name(e, s, name, sizeof name));
                else put(e, "%s_z", i ? ", " : "");
            }
            put(e, "]),\n");
        }
        put(e, "%s])\n%sreturn y, J\n", e->ind, e->ind);
    } else {
        for (int o = 0; o < g->n_outputs; o++)
            put(e, "%sy[%d * n + p] = v%d;\n", e->ind, o, g->outputs[o]);
        for (int o = 0; o < g->n_outputs; o++)
            for (int i = 0; i < n_in; i++) {
                int32_t s = pl->jac_slot[(size_t)o * n_in + i];
                put(e, "%sJ[%d * n + p] = %s; %s d %s / d %s\n", e->ind, o * n_in + i,
                    s >= 0 ? slot_name(e, s, name, sizeof name) : "0.0", cm, g->output_names[o],
                    g->input_names[i]);
            }
    }
    return 0;
}

/* -------------------------------------------------------------- file -- */

static void emit_header(emitter *e, const char *name, const char *method,
                        const ccx_baselines *bl) {
    const ccx_graph *g = e->g;
    const ccx_jac_plan *pl = e->plan;
    char hex[65];
    ccx_graph_sha256(g, hex);
    const char *l = jax(e) ? "" : " * ";
    put(e, "%s", jax(e) ? "\"\"\"" : "/* ");
    put(e, "Generated by ccx %s (ccx codegen --lang %s). Do not edit.\n", CCX_VERSION,
        ccx_codegen_lang_name(e->lang));
    put(e, "%s\n", jax(e) ? "" : " *");
    put(e, "%stask          %s%s%s%s\n", l, g->task_name, g->source_path[0] ? " (" : "",
        g->source_path, g->source_path[0] ? ")" : "");
    put(e, "%sgraph_sha256  %s\n", l, hex);
    put(e, "%sorder         %s (%d eliminations):", l, method, pl->n_order);
    for (int k = 0; k < pl->n_order; k++)
        put(e, "%s%s%d", k ? "," : "", k % 20 == 0 ? (jax(e) ? "\n    " : "\n *     ") : " ",
            pl->order[k]);
    put(e, "\n%scost          %lld multiplications in the accumulation", l, (long long)pl->cost);
    if (bl)
        put(e, " (forward %lld, reverse %lld, markowitz %lld)", (long long)bl->forward,
            (long long)bl->reverse, (long long)bl->markowitz);
    put(e, "\n");
    if (pl->n_back)
        put(e, "%s              + %lld for output -> output edges (back-substitution)\n", l,
            (long long)pl->n_back);
    put(e, "%s\n", jax(e) ? "" : " *");
    put(e, "%sinputs  (i):  ", l);
    for (int i = 0; i < g->n_inputs; i++)
        put(e, "%s%d %s", i ? ", " : "", i, g->input_names[i]);
    put(e, "\n%soutputs (o):  ", l);
    for (int o = 0; o < g->n_outputs; o++)
        put(e, "%s%d %s (v%d)", o ? ", " : "", o, g->output_names[o], g->outputs[o]);
    put(e, "\n%s\n", jax(e) ? "" : " *");
    char jrow[64];
    snprintf(jrow, sizeof jrow, "J[(o*%d + i)*n + p]", g->n_inputs);
    if (e->lang == CCX_LANG_C) {
        put(e, " * ABI (structure of arrays, double precision, n points):\n"
               " *   void %s_jacobian(long n, const double *x, double *y, double *J);\n"
               " *   x[i*n + p]                    input i of point p\n"
               " *   y[o*n + p]                    output o\n"
               " *   %-30sd y_o / d x_i\n"
               " * x, y and J must not overlap. No domain checks: at a bad point NaN/inf\n"
               " * propagate (diagnose a point with `ccx jacobian TASK --at ...`).\n"
               " * GCC -O3 vectorizes the loop over points when the body calls no libm\n"
               " * function other than sqrt, and sqrt only with -fno-math-errno. */\n",
            name, jrow);
    } else if (e->lang == CCX_LANG_CUDA) {
        put(e, " * ABI (structure of arrays, double precision, n points, device pointers):\n"
               " *   extern \"C\" __global__ void %s_jacobian_kernel(long n, const double *x,\n"
               " *                                             double *y, double *J);\n"
               " *   extern \"C\" int %s_jacobian_cuda(long n, const double *x, double *y,\n"
               " *                                 double *J, cudaStream_t stream);\n"
               " *     one thread per point, 128 threads per block; returns the launch's\n"
               " *     cudaError_t\n"
               " *   x[i*n + p]                    input i of point p\n"
               " *   y[o*n + p]                    output o\n"
               " *   %-30sd y_o / d x_i\n"
               " * No domain checks: at a bad point NaN/inf propagate. */\n",
            name, name, jrow);
    } else {
        put(e, "f(x):         x[N_INPUTS] -> y[N_OUTPUTS]; differentiate it with jax.jacfwd /\n"
               "              jax.jacrev (the peer of ccx's code).\n"
               "jacobian(x):  x[N_INPUTS, ...] -> (y[N_OUTPUTS, ...], J[N_OUTPUTS, N_INPUTS, ...]),\n"
               "              the elimination above as straight-line jnp code, elementwise\n"
               "              over the trailing (batch) axes.\n"
               "Double precision needs jax.config.update('jax_enable_x64', True).\n\"\"\"\n");
    }
}

static void emit_c_prelude(emitter *e, const char *name, int cuda) {
    const char *q = cuda ? "static __device__ __forceinline__" : "static inline";
    put(e, "\n#include <math.h>\n");
    if (cuda) put(e, "#include <cuda_runtime.h>\n");
    int uses_ipow = 0, uses_logistic = 0;
    for (int k = 0; k < e->g->n_vertices; k++) {
        long p = (long)e->g->vertices[k].param;
        uses_ipow |= e->g->vertices[k].op == CCX_OP_INTEGER_POW &&
                     (p > IPOW_INLINE || p - 1 < -IPOW_INLINE);
        uses_logistic |= e->g->vertices[k].op == CCX_OP_LOGISTIC;
    }
    put(e, "\n");
    if (uses_ipow)
        put(e, "/* x**k by repeated squaring, as graph/ops.c (and XLA) compute integer_pow */\n"
           "%s double ccx_ipow(double x, long k) {\n"
           "    int neg = k < 0;\n"
           "    unsigned long m = neg ? -(unsigned long)k : (unsigned long)k;\n"
           "    double acc = 1.0, base = x;\n"
           "    while (m) {\n"
           "        if (m & 1) acc *= base;\n"
           "        base *= base;\n"
           "        m >>= 1;\n"
           "    }\n"
           "    return neg ? 1.0 / acc : acc;\n"
           "}\n", q);
    if (uses_logistic)
        put(e, "%s double ccx_logistic(double x) { return 1.0 / (1.0 + exp(-x)); }\n", q);
    put(e, "\n");
    const char *ext = cuda ? "extern \"C\" " : "";
    put(e, "%sconst int %s_n_inputs = %d;\n", ext, name, e->g->n_inputs);
    put(e, "%sconst int %s_n_outputs = %d;\n", ext, name, e->g->n_outputs);
    put(e, "%sconst long %s_cost = %lld;\n\n", ext, name, (long long)e->plan->cost);
}

int ccx_codegen_write(const ccx_jac_plan *plan, const ccx_codegen_opts *opts, FILE *out,
                      ccx_codegen_stats *stats, ccx_error *err) {
    const ccx_graph *g = plan->graph;
    char name[256];
    if (opts->name) {
        if (!is_identifier(opts->name) || strlen(opts->name) > 200)
            return ccx_error_set(err, "--name '%s' is not a C identifier", opts->name);
        snprintf(name, sizeof name, "%s", opts->name);
    } else {
        ccx_codegen_default_name(g, name, sizeof name);
    }
    ccx_baselines bl;
    ccx_error berr;
    int have_bl = ccx_baselines_compute(g, &bl, &berr) == 0;
    emitter e = {.out = out, .plan = plan, .g = g, .lang = opts->lang};
    emit_header(&e, name, opts->method ? opts->method : "imported", have_bl ? &bl : NULL);
    int rc = 0;
    switch (opts->lang) {
    case CCX_LANG_C:
        emit_c_prelude(&e, name, 0);
        put(&e, "#ifdef __cplusplus\n#define CCX_RESTRICT __restrict\nextern \"C\"\n#else\n"
                "#define CCX_RESTRICT restrict\n#endif\n");
        put(&e, "void %s_jacobian(long n, const double *CCX_RESTRICT x, double *CCX_RESTRICT y,\n"
                "        double *CCX_RESTRICT J) {\n"
                "    /* iterations are independent: the rows of x, y and J (k*n + p) never\n"
                "     * overlap, which lets the compiler vectorize across points */\n"
                "#if defined(__GNUC__) && !defined(__clang__)\n"
                "#pragma GCC ivdep\n"
                "#endif\n"
                "    for (long p = 0; p < n; p++) {\n", name);
        e.ind = "        ";
        rc = emit_body(&e, stats, err);
        put(&e, "    }\n}\n");
        break;
    case CCX_LANG_CUDA:
        emit_c_prelude(&e, name, 1);
        put(&e, "extern \"C\" __global__ void %s_jacobian_kernel(long n, const double *__restrict__ x,\n"
                "        double *__restrict__ y, double *__restrict__ J) {\n"
                "    const long p = (long)blockIdx.x * blockDim.x + threadIdx.x;\n"
                "    if (p >= n) return;\n", name);
        e.ind = "    ";
        rc = emit_body(&e, stats, err);
        put(&e, "}\n\n"
                "extern \"C\" int %s_jacobian_cuda(long n, const double *x, double *y, double *J,\n"
                "                                 cudaStream_t stream) {\n"
                "    if (n <= 0) return 0;\n"
                "    const int threads = 128;\n"
                "    const long blocks = (n + threads - 1) / threads;\n"
                "    %s_jacobian_kernel<<<(unsigned)blocks, threads, 0, stream>>>(n, x, y, J);\n"
                "    return (int)cudaGetLastError();\n"
                "}\n", name, name);
        break;
    case CCX_LANG_JAX: {
        put(&e, "import jax\nimport jax.numpy as jnp\nfrom jax.scipy.special import erf as _erf\n\n");
        put(&e, "TASK = \"%s\"\nN_INPUTS = %d\nN_OUTPUTS = %d\nCOST = %lld\n", g->task_name,
            g->n_inputs, g->n_outputs, (long long)plan->cost);
        put(&e, "INPUT_NAMES = [");
        for (int i = 0; i < g->n_inputs; i++) put(&e, "%s\"%s\"", i ? ", " : "", g->input_names[i]);
        put(&e, "]\nOUTPUT_NAMES = [");
        for (int o = 0; o < g->n_outputs; o++) put(&e, "%s\"%s\"", o ? ", " : "", g->output_names[o]);
        put(&e, "]\n\n\ndef ccx_logistic(x):\n    return 1.0 / (1.0 + jnp.exp(-x))\n\n\n");
        put(&e, "def f(x):\n");
        e.ind = "    ";
        emit_inputs_values(&e);
        put(&e, "    return jnp.stack([");
        for (int o = 0; o < g->n_outputs; o++) put(&e, "%sv%d", o ? ", " : "", g->outputs[o]);
        put(&e, "])\n\n\ndef jacobian(x):\n");
        rc = emit_body(&e, stats, err);
        break;
    }
    }
    if (rc == 0 && (e.failed || ferror(out)))
        rc = ccx_error_set(err, "write error while generating code");
    return rc;
}

/* The CUDA harness appended to the generated kernel: reads CHUNK points
 * (SoA), tiles them over a device chunk, times passes with cudaEvents,
 * prints "ccx-bench best_ns=... median_ns=...", writes J of the CHUNK points. */
int ccx_codegen_write_cuda_harness(FILE *f, const char *name, int n_in, int n_out) {
    int r = fprintf(f,
            "\n// ---- benchmark harness (ccx bench jacobian --lang cuda) ----\n"
            "#include <stdio.h>\n#include <stdlib.h>\n"
            "#define CK(x) do { cudaError_t e_ = (cudaError_t)(x); if (e_ != cudaSuccess) { "
            "fprintf(stderr, \"%%s: %%s\\n\", #x, cudaGetErrorString(e_)); return 1; } } while (0)\n"
            "static int cmpd(const void *a, const void *b) { double x = *(const double *)a, y = "
            "*(const double *)b; return x < y ? -1 : x > y; }\n"
            "int main(int argc, char **argv) {\n"
            "    if (argc != 6) { fprintf(stderr, \"usage: POINTS K TOTAL REPS JOUT\\n\"); return 2; }\n"
            "    const int ni = %d, no = %d;\n"
            "    long K = atol(argv[2]), total = atol(argv[3]); int reps = atoi(argv[4]);\n"
            "    double *pts = (double *)malloc(sizeof(double) * ni * K);\n"
            "    FILE *pf = fopen(argv[1], \"rb\");\n"
            "    if (!pts || !pf || fread(pts, sizeof(double), (size_t)(ni * K), pf) != (size_t)(ni * K)) "
            "{ fprintf(stderr, \"cannot read points\\n\"); return 1; }\n"
            "    fclose(pf);\n"
            "    long C = total < (1L << 20) ? total : (1L << 20);\n"
            "    if (C < K) C = K;\n"
            "    long calls = (total + C - 1) / C;\n"
            "    double *hx = (double *)malloc(sizeof(double) * ni * C);\n"
            "    for (int i = 0; i < ni; i++) for (long p = 0; p < C; p++) hx[i * C + p] = pts[i * K + p %% K];\n"
            "    double *dx, *dy, *dJ;\n"
            "    CK(cudaMalloc(&dx, sizeof(double) * ni * C));\n"
            "    CK(cudaMalloc(&dy, sizeof(double) * no * C));\n"
            "    CK(cudaMalloc(&dJ, sizeof(double) * no * ni * C));\n"
            "    CK(cudaMemcpy(dx, hx, sizeof(double) * ni * C, cudaMemcpyHostToDevice));\n"
            "    for (long c = 0; c < calls; c++) CK(%s_jacobian_cuda(C, dx, dy, dJ, 0));\n"
            "    CK(cudaDeviceSynchronize());\n"
            "    cudaEvent_t a, b; CK(cudaEventCreate(&a)); CK(cudaEventCreate(&b));\n"
            "    double *t = (double *)malloc(sizeof(double) * reps);\n"
            "    for (int r = 0; r < reps; r++) {\n"
            "        CK(cudaEventRecord(a, 0));\n"
            "        for (long c = 0; c < calls; c++) CK(%s_jacobian_cuda(C, dx, dy, dJ, 0));\n"
            "        CK(cudaEventRecord(b, 0)); CK(cudaEventSynchronize(b));\n"
            "        float ms; CK(cudaEventElapsedTime(&ms, a, b));\n"
            "        t[r] = ms * 1e6 / ((double)calls * C);\n"
            "    }\n"
            "    qsort(t, reps, sizeof(double), cmpd);\n"
            "    printf(\"ccx-bench best_ns=%%.6g median_ns=%%.6g points=%%ld\\n\", t[0], t[reps / 2], calls * C);\n"
            "    double *hJ = (double *)malloc(sizeof(double) * no * ni * K);\n"
            "    for (long r = 0; r < (long)no * ni; r++)\n"
            "        CK(cudaMemcpy(hJ + r * K, dJ + r * C, sizeof(double) * K, cudaMemcpyDeviceToHost));\n"
            "    FILE *jf = fopen(argv[5], \"wb\");\n"
            "    if (!jf || fwrite(hJ, sizeof(double), (size_t)(no * ni * K), jf) != (size_t)(no * ni * K)) return 1;\n"
            "    fclose(jf);\n"
            "    return 0;\n"
            "}\n",
            n_in, n_out, name, name);
    return r < 0 ? -1 : 0;
}
