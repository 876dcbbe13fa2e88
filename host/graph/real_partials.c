/* The structured local Jacobians of the real-work cost model (real_partials.h):
 * the C twin of _partial in host/jac/jax_tensor_runtime.py. */
#include "graph/real_partials.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

int ccx_scalar_partial_constant(const ccx_vertex *v, int32_t src, double *c) {
    double sum = 0;
    for (int i = 0; i < v->n_args; i++) {
        if (v->args[i].node != src) continue;
        const ccx_operand *other = &v->args[1 - i];
        double d;
        switch (v->op) {
        case CCX_OP_NEG: d = -1.0; break;
        case CCX_OP_COPY:
        case CCX_OP_ADD: d = 1.0; break;
        case CCX_OP_SUB: d = i ? -1.0 : 1.0; break;
        case CCX_OP_MUL:
            if (other->node >= 0) return 0;
            d = other->constant;
            break;
        case CCX_OP_DIV:
            if (i != 0 || other->node >= 0) return 0;
            d = 1.0 / other->constant;
            break;
        case CCX_OP_INTEGER_POW:
            if (v->param != 0 && v->param != 1) return 0;
            d = v->param;
            break;
        default: return 0;
        }
        sum += d;
    }
    *c = sum;
    return 1;
}

ccx_lax_shape ccx_lax_shape_of(const ccx_graph *g, int32_t node) {
    const ccx_shape *s = ccx_graph_node_shape(g, node);
    ccx_lax_shape o = {s->rank, {s->rank >= 1 ? s->dims[0] : 1, s->rank == 2 ? s->dims[1] : 1}};
    return o;
}

/* ---- parameters: Python literals as the exporter writes them ("(1, 0)",
 * "(((1,), (0,)), ((), ()))", "None", 0) ---- */

#define MAX_LEAVES 8
#define MAX_LEAF 8

typedef struct {
    int n;                    /* leaves found */
    int len[MAX_LEAVES];
    int val[MAX_LEAVES][MAX_LEAF];
    int none;                 /* the value is None */
} leaves;

/* The innermost tuples of params[key], in order (a bare number is one leaf
 * of one value). 0 on success; -1 when the key is missing or unreadable. */
static int param_leaves(const char *params, const char *key, leaves *out) {
    memset(out, 0, sizeof *out);
    cJSON *root = params ? cJSON_Parse(params) : NULL;
    const cJSON *item = root ? cJSON_GetObjectItemCaseSensitive(root, key) : NULL;
    char *text = NULL;
    if (cJSON_IsString(item)) text = strdup(item->valuestring);
    else if (item) text = cJSON_PrintUnformatted(item);
    cJSON_Delete(root);
    if (!text) return -1;
    int rc = 0;
    if (strcmp(text, "None") == 0 || strcmp(text, "null") == 0) {
        out->none = 1;
    } else if (!strpbrk(text, "([")) {
        char *end;
        long x = strtol(text, &end, 10);
        if (end == text) rc = -1;
        else { out->n = 1; out->len[0] = 1; out->val[0][0] = (int)x; }
    } else {
        const char *open = NULL;
        for (const char *p = text; *p && rc == 0; p++) {
            if (*p == '(' || *p == '[') open = p;
            else if ((*p == ')' || *p == ']') && open) {
                if (out->n == MAX_LEAVES) { rc = -1; break; }
                int *dst = out->val[out->n], k = 0;
                for (const char *q = open + 1; q < p;) {
                    char *end;
                    long x = strtol(q, &end, 10);
                    if (end == q) { q++; continue; }
                    if (k == MAX_LEAF) { rc = -1; break; }
                    dst[k++] = (int)x;
                    q = end;
                }
                out->len[out->n++] = k;
                open = NULL;
            }
        }
    }
    free(text);
    return rc;
}

/* ---- the forms ---- */

static const char *const ELEMENTWISE[] = {
    "neg", "abs", "exp", "log", "log1p", "sin", "cos", "tan", "asin", "acos", "atan", "sinh",
    "cosh", "tanh", "asinh", "acosh", "atanh", "sqrt", "rsqrt", "logistic", "erf", "erfc",
    "erf_inv", "expm1", "cbrt", "exp2", "square", "stop_gradient", "floor", "ceil", "sign",
    "is_finite", "not", "copy", "copy_p", "add", "add_any", "sub", "mul", "div", "pow", "atan2",
    "max", "min", "rem", "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "xor", "integer_pow",
    "select_n", "convert_element_type", "clamp"};

static int is(const char *p, const char *name) { return strcmp(p, name) == 0; }

static int elementwise_prim(const char *p) {
    for (size_t i = 0; i < sizeof ELEMENTWISE / sizeof ELEMENTWISE[0]; i++)
        if (is(p, ELEMENTWISE[i])) return 1;
    return 0;
}

static uint8_t pair_bits(int m, int i) { return (uint8_t)((i + 1) << (2 * m)); }
static uint8_t all_s(const ccx_lax_shape *S) { return (uint8_t)((1u << S->rank) - 1); }

/* An elementwise primitive's partial in an operand of shape P (rank <= rank
 * S, size-1 axes broadcast): axis m pairs with S axis off + m when the dims
 * agree; the values (data) over S, or the constant c. */
static ccx_lax elementwise(const ccx_lax_shape *S, const ccx_lax_shape *P, int data, double c) {
    uint8_t pair = 0;
    int off = S->rank - P->rank;
    for (int m = 0; m < P->rank; m++)
        if (P->d[m] == S->d[off + m]) pair |= pair_bits(m, off + m);
    return ccx_lax_make(data ? CCX_LAX_DATA : CCX_LAX_CONST, pair, all_s(S), c);
}

/* Only moves entries: 1.0 on the pairs (S axis si[t], P axis pm[t]) whose
 * dims agree. */
static ccx_lax structural(const ccx_lax_shape *S, const ccx_lax_shape *P, int n, const int *si,
                          const int *pm) {
    uint8_t pair = 0;
    for (int t = 0; t < n; t++)
        if (si[t] < S->rank && pm[t] < P->rank && S->d[si[t]] == P->d[pm[t]])
            pair |= pair_bits(pm[t], si[t]);
    return ccx_lax_make(CCX_LAX_CONST, pair, 0, 1.0);
}

static ccx_lax dense(const ccx_lax_shape *S, const ccx_lax_shape *P) {
    return ccx_lax_make(CCX_LAX_DATA, 0, (uint8_t)(all_s(S) | (((1u << P->rank) - 1) << 2)), 0.0);
}

typedef struct {
    const ccx_graph *g;
    int k;          /* vertex index (0-based) */
    ccx_error *err;
} where;

static int need(const where *w, const char *what) {
    const ccx_vertex *v = &w->g->vertices[w->k];
    return ccx_error_set(w->err, "%s: vertex v%d (%s%s%s) %s; the real cost model needs it to "
                                 "know the structure of its Jacobian (export the function with "
                                 "scripts/jax_export.py, which writes it)",
                         w->g->task_name, w->k + 1, ccx_vertex_prim(v), v->source ? " at " : "",
                         v->source ? v->source : "", what);
}

static ccx_lax_shape operand_shape(const ccx_graph *g, const ccx_operand *o) {
    if (o->node >= 0) return ccx_lax_shape_of(g, o->node);
    ccx_lax_shape s = {0, {1, 1}};
    return s;
}

/* dot_general's partial in operand k: the other operand's values, its
 * batch and free axes on the result's, its contracting axes on ours. */
static int dot_partial(const where *w, int k, const ccx_lax_shape *S, const ccx_lax_shape *P,
                       ccx_lax *out) {
    const ccx_vertex *v = &w->g->vertices[w->k];
    leaves dn;
    if (param_leaves(v->params, "dimension_numbers", &dn) || dn.n != 4)
        return need(w, "has no readable 'dimension_numbers' parameter");
    const ccx_operand *o = ccx_vertex_operand(v, 1 - k);
    const ccx_lax_shape Po = operand_shape(w->g, o);
    const int *c_me = dn.val[k], *c_ot = dn.val[1 - k], *b_me = dn.val[2 + k], *b_ot = dn.val[3 - k];
    const int nc = dn.len[k], nb = dn.len[2 + k];
    int free_me[2], nfm = 0, nfo = 0;
    for (int d = 0; d < P->rank; d++) {
        int used = 0;
        for (int t = 0; t < nc; t++) used |= c_me[t] == d;
        for (int t = 0; t < nb; t++) used |= b_me[t] == d;
        if (!used) free_me[nfm++] = d;
    }
    for (int d = 0; d < Po.rank; d++) {
        int used = 0;
        for (int t = 0; t < dn.len[1 - k]; t++) used |= c_ot[t] == d;
        for (int t = 0; t < dn.len[3 - k]; t++) used |= b_ot[t] == d;
        nfo += !used;
    }
    if (nb + nfm + nfo != S->rank) return need(w, "has dimension_numbers that do not match its shapes");
    const int me0 = k == 0 ? nb : nb + nfo, ot0 = k == 0 ? nb + nfm : nb;
    uint8_t pair = 0, vmask = 0;
    for (int t = 0; t < nb; t++) {
        pair |= pair_bits(b_me[t], t);
        vmask |= (uint8_t)(1u << t);
    }
    for (int q = 0; q < nfm; q++) pair |= pair_bits(free_me[q], me0 + q);
    for (int q = 0; q < nfo; q++) vmask |= (uint8_t)(1u << (ot0 + q));
    for (int t = 0; t < nc; t++) vmask |= (uint8_t)(1u << (2 + c_me[t]));
    *out = o->node >= 0 || o->node == CCX_OPERAND_ARRAY_CONST
               ? ccx_lax_make(CCX_LAX_DATA, pair, vmask, 0.0)
               : ccx_lax_make(CCX_LAX_CONST, pair, 0, o->constant);
    return 0;
}

/* d v / d operand k of a graph-file vertex (_partial). */
static int prim_partial(const where *w, int k, ccx_lax *out) {
    const ccx_vertex *v = &w->g->vertices[w->k];
    const char *p = ccx_vertex_prim(v);
    const ccx_lax_shape S = ccx_lax_shape_of(w->g, w->g->n_inputs + w->k);
    const ccx_lax_shape P = operand_shape(w->g, ccx_vertex_operand(v, k));
    if (is(p, "add") || is(p, "add_any") || (is(p, "sub") && k == 0) || is(p, "copy") ||
        is(p, "copy_p") || is(p, "convert_element_type")) {
        *out = elementwise(&S, &P, 0, 1.0);
        return 0;
    }
    if (is(p, "neg") || (is(p, "sub") && k == 1)) {
        *out = elementwise(&S, &P, 0, -1.0);
        return 0;
    }
    if (is(p, "stop_gradient") || is(p, "floor") || is(p, "ceil") || is(p, "round") ||
        is(p, "sign")) {
        *out = ccx_lax_make(CCX_LAX_ZERO, 0, 0, 0.0);
        return 0;
    }
    if (is(p, "dot_general")) return dot_partial(w, k, &S, &P, out);
    int si[2], pm[2], n = 0;
    leaves L;
    if (is(p, "reduce_sum")) {
        if (param_leaves(v->params, "axes", &L) || L.n != 1) return need(w, "has no readable 'axes' parameter");
        for (int d = 0; d < P.rank; d++) {
            int reduced = 0;
            for (int t = 0; t < L.len[0]; t++) reduced |= L.val[0][t] == d;
            if (!reduced) { si[n] = n; pm[n] = d; n++; }
        }
        *out = structural(&S, &P, n, si, pm);
        return 0;
    }
    if (is(p, "broadcast_in_dim")) {
        if (param_leaves(v->params, "broadcast_dimensions", &L) || L.n != 1 || L.len[0] != P.rank)
            return need(w, "has no readable 'broadcast_dimensions' parameter");
        for (int m = 0; m < P.rank; m++) { si[n] = L.val[0][m]; pm[n] = m; n++; }
        *out = structural(&S, &P, n, si, pm);
        return 0;
    }
    if (is(p, "transpose")) {
        if (param_leaves(v->params, "permutation", &L) || L.n != 1 || L.len[0] != S.rank)
            return need(w, "has no readable 'permutation' parameter");
        for (int i = 0; i < S.rank; i++) { si[n] = i; pm[n] = L.val[0][i]; n++; }
        *out = structural(&S, &P, n, si, pm);
        return 0;
    }
    if (is(p, "squeeze") || is(p, "reshape")) {
        /* a reshape that only adds or drops size-1 axes moves entries */
        int sa[2], pa[2], ns = 0, np = 0, same = 1;
        for (int i = 0; i < S.rank; i++) if (S.d[i] != 1) sa[ns++] = i;
        for (int m = 0; m < P.rank; m++) if (P.d[m] != 1) pa[np++] = m;
        if (ns != np) same = 0;
        for (int t = 0; t < ns && same; t++) same = S.d[sa[t]] == P.d[pa[t]];
        if (same) {
            *out = structural(&S, &P, ns, sa, pa);
            return 0;
        }
        *out = dense(&S, &P);
        return 0;
    }
    if (is(p, "slice") || is(p, "concatenate")) {
        int start[2] = {0, 0}, stride[2] = {1, 1};
        if (is(p, "slice")) {
            if (param_leaves(v->params, "start_indices", &L) || L.n != 1 || L.len[0] != P.rank)
                return need(w, "has no readable 'start_indices' parameter");
            for (int m = 0; m < P.rank; m++) start[m] = L.val[0][m];
            leaves St;
            if (param_leaves(v->params, "strides", &St) == 0 && !St.none) {
                if (St.n != 1 || St.len[0] != P.rank) return need(w, "has unreadable 'strides'");
                for (int m = 0; m < P.rank; m++) stride[m] = St.val[0][m];
            }
        } else {
            if (param_leaves(v->params, "dimension", &L) || L.n != 1 || L.len[0] != 1 ||
                L.val[0][0] < 0 || L.val[0][0] >= P.rank)
                return need(w, "has no readable 'dimension' parameter");
            const int d = L.val[0][0];
            for (int i = 0; i < k; i++) start[d] -= operand_shape(w->g, ccx_vertex_operand(v, i)).d[d];
        }
        uint8_t pair = 0, vmask = 0;
        for (int m = 0; m < P.rank; m++) {
            if (start[m] == 0 && stride[m] == 1 && S.d[m] == P.d[m]) pair |= pair_bits(m, m);
            else vmask |= (uint8_t)((1u << m) | (1u << (2 + m))); /* a selection */
        }
        *out = vmask ? ccx_lax_make(CCX_LAX_DATA, pair, vmask, 0.0)
                     : ccx_lax_make(CCX_LAX_CONST, pair, 0, 1.0);
        return 0;
    }
    if (elementwise_prim(p) && P.rank <= S.rank) {
        int fits = 1;
        for (int m = 0; m < P.rank; m++)
            fits &= P.d[m] == 1 || P.d[m] == S.d[S.rank - P.rank + m];
        if (fits) {
            *out = elementwise(&S, &P, 1, 0.0);
            return 0;
        }
    }
    *out = dense(&S, &P);
    return 0;
}

int ccx_real_partials(const ccx_graph *g, ccx_lax *out, ccx_error *err) {
    for (int e = 0; e < g->n_edges; e++) {
        const ccx_edge *ed = &g->edges[e];
        const int k = ed->dst - g->n_inputs;
        const ccx_vertex *v = &g->vertices[k];
        const where w = {g, k, err};
        if (!v->prim) { /* a task-language op: the scalar code generator's partial */
            double c;
            out[e] = ccx_scalar_partial_constant(v, ed->src, &c)
                         ? ccx_lax_make(CCX_LAX_CONST, 0, 0, c)
                         : ccx_lax_make(CCX_LAX_DATA, 0, 0, 0.0);
            continue;
        }
        if (!v->operands && v->n_args == 0) return need(&w, "lists no operands");
        const int rp = ccx_lax_shape_of(g, ed->src).rank;
        ccx_lax acc = ccx_lax_make(CCX_LAX_NONE, 0, 0, 0.0);
        int uses = 0;
        for (int i = 0, n = ccx_vertex_n_operands(v); i < n; i++) {
            if (ccx_vertex_operand(v, i)->node != ed->src) continue;
            ccx_lax part;
            if (prim_partial(&w, i, &part)) return -1;
            acc = uses++ ? ccx_lax_acc(&acc, &part, rp) : part;
        }
        /* a record without an operand (AlphaGrad's `_` column): no dependence */
        out[e] = uses ? acc : ccx_lax_make(CCX_LAX_ZERO, 0, 0, 0.0);
    }
    return 0;
}
