/* Code generation for C, CUDA and JAX from an elimination schedule. */
#include "jac/codegen.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "game/game.h"
#include "graph/real_partials.h"
#include "jac/codegen_loops.h"
#include "util/version.h"

/* Expressions are built with snprintf into EXPR-sized buffers from operands of
 * at most 63 characters (a node label or a %.17g literal); the longest
 * template (min/max partials) stays far below EXPR, so GCC's worst-case
 * truncation analysis does not apply. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

int ccx_codegen_layout_parse(const char *s, ccx_codegen_layout *out) {
    if (strcmp(s, "sparse") == 0) *out = CCX_LAYOUT_SPARSE;
    else if (strcmp(s, "dense") == 0) *out = CCX_LAYOUT_DENSE;
    else return -1;
    return 0;
}

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
    /* C and CUDA fold constants as the code is written: known[k] says edge
     * slot k holds the compile-time constant val[k] and has no variable */
    int fold;
    uint8_t *known;
    double *val;
    int blocked;         /* C: the body runs over a block of points (xb, yb, Jb) */
    int dense;           /* J written densely (n_outputs x n_inputs), else its nonzeros */
    int32_t *nz_of;      /* [n_outputs * n_inputs]: index of the entry among the nonzeros, or -1 */
    int32_t nnz;
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
        else if (e->blocked) put(e, "%sconst double x%d = xb[%d][q];\n", e->ind, i + 1, i);
        else put(e, "%sconst double x%d = x[%d * n + p];\n", e->ind, i + 1, i);
    }
    put(e, "%s%s values\n", e->ind, cm);
    for (int k = 1; k <= g->n_vertices; k++) {
        value_expr(e, &g->vertices[k - 1], buf);
        put(e, "%s%sv%d = %s%s\n", e->ind, cd, k, buf, semi);
    }
}

/* Slot k as an operand: its variable, or its literal when folded. */
static const char *slot_ref(const emitter *e, int32_t k, char *buf, size_t size) {
    if (e->fold && e->known[k]) return literal(e, e->val[k], buf, size);
    return slot_name(e, k, buf, size);
}

/* The product of slots a and b as the folded code writes it: a literal
 * (both constant: *is_const, *c), the other factor or its negation (a
 * constant +-1), "c * other" or "a * b". Returns the multiplications the
 * expression performs (0 or 1). */
static int folded_product(const emitter *e, int32_t a, int32_t b, char *expr, size_t size,
                          int *is_const, double *c) {
    char x[80], y[80];
    int ka = e->known[a], kb = e->known[b];
    *is_const = ka && kb;
    if (*is_const) {
        *c = e->val[a] * e->val[b];
        return 0;
    }
    if (ka || kb) {
        double k = ka ? e->val[a] : e->val[b];
        slot_name(e, ka ? b : a, x, sizeof x);
        if (k == 1.0) snprintf(expr, size, "%s", x);
        else if (k == -1.0) snprintf(expr, size, "-%s", x);
        else {
            snprintf(expr, size, "%s * %s", literal(e, k, y, sizeof y), x);
            return 1;
        }
        return 0;
    }
    snprintf(expr, size, "%s * %s", slot_name(e, a, x, sizeof x), slot_name(e, b, y, sizeof y));
    return 1;
}

/* The steps with constants folded (C, CUDA): a product with a constant +-1
 * is a copy or a negation, constant x constant and constant sums are done
 * here, so the code multiplies exactly as often as the real-work model
 * prices the order (ccx_order_cost under CCX_COST_REAL; tested equal).
 * Returns the multiplications written. */
static int64_t emit_steps_folded(emitter *e, const ccx_jac_step *steps, int64_t n) {
    char d[80], expr[256], lit[64];
    int64_t mults = 0;
    for (int64_t t = 0; t < n; t++) {
        const ccx_jac_step *s = &steps[t];
        int is_const;
        double c = 0;
        int m = folded_product(e, s->a, s->b, expr, sizeof expr, &is_const, &c);
        slot_name(e, s->dst, d, sizeof d);
        if (s->fill || e->known[s->dst]) {
            double base = s->fill ? 0.0 : e->val[s->dst];
            if (is_const) {
                e->known[s->dst] = 1;
                e->val[s->dst] = base + c;
                continue;
            }
            if (s->fill || base == 0.0) put(e, "%sdouble %s = %s;\n", e->ind, d, expr);
            else put(e, "%sdouble %s = %s + %s;\n", e->ind, d, literal(e, base, lit, sizeof lit), expr);
            e->known[s->dst] = 0;
        } else if (is_const) {
            put(e, "%s%s += %s;\n", e->ind, d, literal(e, c, lit, sizeof lit));
        } else if (expr[0] == '-') {
            put(e, "%s%s -= %s;\n", e->ind, d, expr + 1);
        } else {
            put(e, "%s%s += %s;\n", e->ind, d, expr);
        }
        mults += m;
    }
    return mults;
}

/* The steps as written (JAX): one line, one multiplication per step. */
static int64_t emit_steps(emitter *e, const ccx_jac_step *steps, int64_t n) {
    if (e->fold) return emit_steps_folded(e, steps, n);
    char d[80], a[80], b[80];
    for (int64_t t = 0; t < n; t++) {
        const ccx_jac_step *s = &steps[t];
        slot_name(e, s->dst, d, sizeof d);
        slot_name(e, s->a, a, sizeof a);
        slot_name(e, s->b, b, sizeof b);
        if (s->fill) put(e, "%s%s = %s * %s\n", e->ind, d, a, b);
        else put(e, "%s%s = %s + %s * %s\n", e->ind, d, d, a, b);
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

    put(e, "%s%s local partials d_<vertex>_<operand>%s\n", e->ind, cm,
        e->fold ? " (compile-time constants are folded into the products below)" : "");
    int ei = 0;
    for (int k = 0; k < g->n_vertices; k++) {
        const ccx_vertex *v = &g->vertices[k];
        int32_t node = g->n_inputs + k;
        snprintf(V, sizeof V, "v%d", k + 1);
        for (; ei < g->n_edges && g->edges[ei].dst == node; ei++) {
            if (e->fold && ccx_scalar_partial_constant(v, g->edges[ei].src, &e->val[ei])) {
                e->known[ei] = 1;
                continue;
            }
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

    int64_t real = nonconstant_mults(pl);
    if (real < 0) return ccx_error_set(err, "out of memory");
    int64_t expect = e->fold ? real : pl->cost;
    put(e, "%s%s %s (multiplications: %lld)\n", e->ind, cm, CCX_CODEGEN_BEGIN_ACC,
        (long long)expect);
    int64_t acc = 0;
    for (int k = 0; k < pl->n_order; k++) {
        int64_t b0 = pl->elim_begin[k], b1 = pl->elim_begin[k + 1];
        put(e, "%s%s eliminate v%d (%lld products)\n", e->ind, cm, pl->order[k],
            (long long)(b1 - b0));
        acc += emit_steps(e, pl->steps + b0, b1 - b0);
    }
    put(e, "%s%s %s\n", e->ind, cm, CCX_CODEGEN_END_ACC);
    int64_t back = 0;
    if (pl->n_back) {
        put(e, "%s%s %s (output -> output edges; not part of the order's cost: %lld products)\n",
            e->ind, cm, CCX_CODEGEN_BEGIN_BACK, (long long)pl->n_back);
        back = emit_steps(e, pl->back, pl->n_back);
        put(e, "%s%s %s\n", e->ind, cm, CCX_CODEGEN_END_BACK);
    }
    if (acc != expect)
        return ccx_error_set(err, "internal error: emitted %lld multiplications, the order "
                                  "costs %lld", (long long)acc, (long long)expect);
    if (st) {
        st->acc_mults = acc;
        st->back_mults = back;
        st->acc_nonconstant = real;
        st->acc_products = pl->cost;
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
        return 0;
    }
    for (int o = 0; o < g->n_outputs; o++) {
        if (e->blocked) put(e, "%syb[%d][q] = v%d;\n", e->ind, o, g->outputs[o]);
        else put(e, "%sy[%d * n + p] = v%d;\n", e->ind, o, g->outputs[o]);
    }
    for (int o = 0; o < g->n_outputs; o++)
        for (int i = 0; i < n_in; i++) {
            int32_t s = pl->jac_slot[(size_t)o * n_in + i];
            int32_t r = e->dense ? o * n_in + i : e->nz_of[o * n_in + i];
            if (r < 0 || (e->blocked && s < 0)) continue; /* a structural zero */
            const char *v = s >= 0 ? slot_ref(e, s, name, sizeof name) : "0.0";
            if (e->blocked) put(e, "%sJb[%d][q] = %s; %s d %s / d %s\n", e->ind,
                                e->nz_of[o * n_in + i], v, cm, g->output_names[o], g->input_names[i]);
            else put(e, "%sJ[%d * n + p] = %s; %s d %s / d %s\n", e->ind, r, v, cm,
                     g->output_names[o], g->input_names[i]);
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
    if (e->fold)
        put(e, "\n%scost          %lld multiplications in the accumulation (constants folded as\n"
               "%s              written: the real-work model); AlphaGrad's model: %lld", l, (long long)nonconstant_mults(pl), l,
            (long long)pl->cost);
    else
        put(e, "\n%scost          %lld multiplications in the accumulation", l,
            (long long)pl->cost);
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
    if (e->dense) snprintf(jrow, sizeof jrow, "J[(o*%d + i)*n + p]", g->n_inputs);
    else snprintf(jrow, sizeof jrow, "J[k*n + p]");
    const char *jdesc = e->dense ? "d y_o / d x_i (dense)"
                                 : "nonzero k (below): d y_row[k] / d x_col[k]";
    if (e->lang == CCX_LANG_C || e->lang == CCX_LANG_CUDA) {
        int cuda = e->lang == CCX_LANG_CUDA;
        if (cuda)
            put(e, " * ABI (structure of arrays, double precision, n points, device pointers):\n"
                   " *   extern \"C\" __global__ void %s_jacobian_kernel(long n, const double *x,\n"
                   " *                                             double *y, double *J);\n"
                   " *   extern \"C\" int %s_jacobian_cuda(long n, const double *x, double *y,\n"
                   " *                                 double *J, cudaStream_t stream);\n"
                   " *     one thread per point, 128 threads per block; returns the launch's\n"
                   " *     cudaError_t\n", name, name);
        else
            put(e, " * ABI (structure of arrays, double precision, n points):\n"
                   " *   void %s_jacobian(long n, const double *x, double *y, double *J);\n",
                name);
        put(e, " *   x[i*n + p]                    input i of point p\n"
               " *   y[o*n + p]                    output o\n"
               " *   %-30s%s\n"
               " * J has %d rows of n (%s of the %d x %d entries%s).\n",
            jrow, jdesc, e->dense ? g->n_outputs * g->n_inputs : e->nnz,
            e->dense ? "all" : "the structural nonzeros", g->n_outputs, g->n_inputs,
            e->dense ? "" : "; the others are zero at every point");
        if (!e->dense) {
            put(e, " * The nonzeros, row-major (also in %s_jac_row[], %s_jac_col[]):\n *  ", name,
                name);
            int k = 0, col = 3;
            for (int o = 0; o < g->n_outputs; o++)
                for (int i = 0; i < g->n_inputs; i++) {
                    if (e->nz_of[o * g->n_inputs + i] < 0) continue;
                    char item[64];
                    int len = snprintf(item, sizeof item, " %d:(%d,%d)", k++, o, i);
                    if (col + len > 78) {
                        put(e, "\n *  ");
                        col = 3;
                    }
                    put(e, "%s", item);
                    col += len;
                }
            put(e, "\n");
        }
        put(e, " * x, y and J must not overlap. No domain checks: at a bad point NaN/inf\n"
               " * propagate (diagnose a point with `ccx jacobian TASK --at ...`).\n");
        if (!cuda)
            put(e, " * GCC -O3 vectorizes the loop over points when the body calls no libm\n"
                   " * function other than sqrt, and sqrt only with -fno-math-errno. */\n");
        else
            put(e, " */\n");
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
    put(e, "%sconst long %s_cost = %lld;\n", ext, name, (long long)nonconstant_mults(e->plan));
    int n_in = e->g->n_inputs, n_out = e->g->n_outputs;
    put(e, "%sconst int %s_jac_nnz = %d;\n", ext, name, e->nnz);
    for (int pass = 0; pass < 2; pass++) {
        put(e, "%sconst int %s_jac_%s[%d] = {", ext, name, pass ? "col" : "row",
            e->nnz ? e->nnz : 1);
        int k = 0;
        for (int r = 0; r < n_out * n_in; r++)
            if (e->nz_of[r] >= 0) {
                put(e, "%s%s%d", k ? "," : "", k && k % 24 == 0 ? "\n    " : "",
                    pass ? r % n_in : r / n_in);
                k++;
            }
        put(e, "%s};\n", e->nnz ? "" : "-1");
    }
    put(e, "\n");
}

/* Points per block of the C body: as many as keep its local rows (inputs,
 * outputs, nonzeros) within 16 KiB, a multiple of 8 (AVX-512 lanes), 8..64. */
static int block_points(const emitter *e) {
    long rows = (long)e->g->n_inputs + e->g->n_outputs + e->nnz;
    int b = 64;
    while (b > 8 && rows * b * 8 > 16384) b /= 2;
    return b;
}

/* The C function: the body over blocks of points. Each block copies its
 * inputs into local rows, runs the body point by point (vectorized across
 * points), and copies the local output and nonzero rows out; so the body
 * touches contiguous local rows, whatever n is. */
static int emit_c_function(emitter *e, const char *name, ccx_codegen_stats *st, ccx_error *err) {
    const ccx_graph *g = e->g;
    int B = block_points(e), n_in = g->n_inputs, n_out = g->n_outputs;
    int nz_rows = e->nnz ? e->nnz : 1;
    if (e->dense) {
        put(e, "/* dense row r = o*n_inputs + i -> its nonzero, or -1 */\n"
               "static const int %s_jac_dense_nz[%d] = {", name, n_out * n_in);
        for (int r = 0; r < n_out * n_in; r++)
            put(e, "%s%s%d", r ? "," : "", r % 24 == 23 ? "\n    " : "", e->nz_of[r]);
        put(e, "};\n\n");
    }
    put(e, "#ifdef __cplusplus\n#define CCX_RESTRICT __restrict\nextern \"C\" {\n#else\n"
           "#define CCX_RESTRICT restrict\n#endif\n");
    put(e, "/* A row stride for n points that keeps the rows of x, y and J off each other's\n"
           " * cache sets: n rounded up to whole 64-byte lines, plus a line when that is a\n"
           " * multiple of 8 lines (a power-of-two n). */\n"
           "long %s_padded_ld(long n) {\n"
           "    long ld = (n + 7) / 8 * 8;\n"
           "    return ld / 8 %% 8 == 0 ? ld + 8 : ld;\n"
           "}\n\n", name);
    put(e, "void %s_jacobian_ld(long n, long ld, const double *CCX_RESTRICT x,\n"
           "        double *CCX_RESTRICT y, double *CCX_RESTRICT J) {\n"
           "    /* blocks of %d points in local rows, so the body touches contiguous memory\n"
           "     * whatever n and ld are */\n"
           "    for (long p0 = 0; p0 < n; p0 += %d) {\n"
           "        const long m = n - p0 < %d ? n - p0 : %d;\n"
           "        double xb[%d][%d], yb[%d][%d], Jb[%d][%d];\n"
           "        for (int i = 0; i < %d; i++)\n"
           "            for (long q = 0; q < m; q++) xb[i][q] = x[i * ld + p0 + q];\n",
        name, B, B, B, B, n_in, B, n_out, B, nz_rows, B, n_in);
    /* the body, cut into loops at the calls that stay scalar (codegen_loops.h) */
    char *body = NULL;
    size_t body_len = 0;
    FILE *out = e->out, *mem = open_memstream(&body, &body_len);
    if (!mem) return ccx_error_set(err, "out of memory");
    e->out = mem;
    e->ind = "";
    int rc = emit_body(e, st, err);
    e->out = out;
    if (fclose(mem) && rc == 0) rc = ccx_error_set(err, "out of memory");
    if (rc == 0) rc = ccx_codegen_write_block_loops(out, body, B, "        ", err);
    free(body);
    put(e, "        for (int o = 0; o < %d; o++)\n"
           "            for (long q = 0; q < m; q++) y[o * ld + p0 + q] = yb[o][q];\n", n_out);
    if (e->dense)
        put(e, "        for (int r = 0; r < %d; r++) {\n"
               "            const int k = %s_jac_dense_nz[r];\n"
               "            double *Jr = J + r * ld + p0;\n"
               "            if (k < 0)\n"
               "                for (long q = 0; q < m; q++) Jr[q] = 0.0;\n"
               "            else\n"
               "                for (long q = 0; q < m; q++) Jr[q] = Jb[k][q];\n"
               "        }\n", n_out * n_in, name);
    else
        put(e, "        for (int k = 0; k < %d; k++)\n"
               "            for (long q = 0; q < m; q++) J[k * ld + p0 + q] = Jb[k][q];\n",
            e->nnz);
    put(e, "    }\n}\n\n");
    put(e, "void %s_jacobian(long n, const double *CCX_RESTRICT x, double *CCX_RESTRICT y,\n"
           "        double *CCX_RESTRICT J) {\n"
           "    %s_jacobian_ld(n, n, x, y, J);\n"
           "}\n#ifdef __cplusplus\n}\n#endif\n", name, name);
    return rc;
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
    e.fold = opts->lang != CCX_LANG_JAX;
    e.blocked = opts->lang == CCX_LANG_C;
    e.dense = opts->layout == CCX_LAYOUT_DENSE;
    size_t ns = (size_t)(plan->n_slots ? plan->n_slots : 1), nj = (size_t)g->n_outputs * g->n_inputs;
    e.known = calloc(ns, 1);
    e.val = calloc(ns, sizeof(double));
    e.nz_of = malloc((nj ? nj : 1) * sizeof(int32_t));
    if (!e.known || !e.val || !e.nz_of) {
        free(e.known);
        free(e.val);
        free(e.nz_of);
        return ccx_error_set(err, "out of memory");
    }
    for (size_t r = 0; r < nj; r++) e.nz_of[r] = plan->jac_slot[r] >= 0 ? e.nnz++ : -1;
    emit_header(&e, name, opts->method ? opts->method : "imported", have_bl ? &bl : NULL);
    int rc = 0;
    switch (opts->lang) {
    case CCX_LANG_C:
        emit_c_prelude(&e, name, 0);
        rc = emit_c_function(&e, name, stats, err);
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
    free(e.known);
    free(e.val);
    free(e.nz_of);
    if (rc == 0 && (e.failed || ferror(out)))
        rc = ccx_error_set(err, "write error while generating code");
    return rc;
}

/* The CUDA harness appended to the generated kernel: reads CHUNK points
 * (SoA), tiles them over a device chunk, times passes with cudaEvents,
 * prints "ccx-bench best_ns=... median_ns=...", writes J of the CHUNK points. */
int ccx_codegen_write_cuda_harness(FILE *f, const char *name, int n_in, int n_out, int n_jrows) {
    int r = fprintf(f,
            "\n// ---- benchmark harness (ccx bench jacobian --lang cuda) ----\n"
            "#include <stdio.h>\n#include <stdlib.h>\n"
            "#define CK(x) do { cudaError_t e_ = (cudaError_t)(x); if (e_ != cudaSuccess) { "
            "fprintf(stderr, \"%%s: %%s\\n\", #x, cudaGetErrorString(e_)); return 1; } } while (0)\n"
            "static int cmpd(const void *a, const void *b) { double x = *(const double *)a, y = "
            "*(const double *)b; return x < y ? -1 : x > y; }\n"
            "int main(int argc, char **argv) {\n"
            "    if (argc != 6) { fprintf(stderr, \"usage: POINTS K TOTAL REPS JOUT\\n\"); return 2; }\n"
            "    const int ni = %d, no = %d, nj = %d;\n"
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
            "    CK(cudaMalloc(&dJ, sizeof(double) * nj * C));\n"
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
            "    double *hJ = (double *)malloc(sizeof(double) * nj * K);\n"
            "    for (long r = 0; r < (long)nj; r++)\n"
            "        CK(cudaMemcpy(hJ + r * K, dJ + r * C, sizeof(double) * K, cudaMemcpyDeviceToHost));\n"
            "    FILE *jf = fopen(argv[5], \"wb\");\n"
            "    if (!jf || fwrite(hJ, sizeof(double), (size_t)(nj * K), jf) != (size_t)(nj * K)) return 1;\n"
            "    fclose(jf);\n"
            "    return 0;\n"
            "}\n",
            n_in, n_out, n_jrows, name, name);
    return r < 0 ? -1 : 0;
}
