/* Random tensor programs (tensor_gen.h). Each step draws a primary operand
 * (mostly a value nothing uses yet, so few vertices are dead ends), then a
 * primitive that fits its shape, then whatever other operand the primitive
 * needs among the values of a fitting shape (a literal scalar where none
 * fits); records come from AlphaGrad's rules (graph/prim_rules.h). */
#include "lang/tensor_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/sparsity.h"
#include "graph/prim_rules.h"
#include "util/rng.h"

typedef struct {
    int32_t node;
    ccx_shape shape;
    int uses;
} value;

typedef struct {
    ccx_graph_builder *b;
    ccx_rng rng;
    value *vals;
    int n_vals;
    int max_dim;
    ccx_error *err;
} gen;

static ccx_shape S0(void) { return (ccx_shape){0, {1, 1}}; }
static ccx_shape S1(int n) { return (ccx_shape){1, {n, 1}}; }
static ccx_shape S2(int n, int m) { return (ccx_shape){2, {n, m}}; }

static int dim(gen *G) { return 2 + (int)ccx_rng_below(&G->rng, (uint64_t)(G->max_dim - 1)); }
static int chance(gen *G, double p) { return ccx_rng_unit(&G->rng) < p; }

static int same_shape(const ccx_shape *a, const ccx_shape *b) {
    if (a->rank != b->rank) return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return 0;
    return 1;
}

/* A value of exactly this shape other than `not` (-1: any), preferring
 * unused ones; -1 if none. */
static int pick_shaped(gen *G, const ccx_shape *s, int not) {
    int n = 0, unused = 0;
    for (int i = 0; i < G->n_vals; i++)
        if (i != not && same_shape(&G->vals[i].shape, s)) {
            n++;
            unused += G->vals[i].uses == 0;
        }
    if (!n) return -1;
    int want_unused = unused && chance(G, 0.7);
    int k = (int)ccx_rng_below(&G->rng, (uint64_t)(want_unused ? unused : n));
    for (int i = 0; i < G->n_vals; i++)
        if (i != not && same_shape(&G->vals[i].shape, s) && (!want_unused || G->vals[i].uses == 0) &&
            k-- == 0)
            return i;
    return -1;
}

/* Any value matching pred (a rank and, when >= 1, a dim constraint). */
static int pick_where(gen *G, int rank, int d0, int d1, int not) {
    int n = 0;
    for (int pass = 0; pass < 2; pass++) {
        int k = pass ? (int)ccx_rng_below(&G->rng, (uint64_t)n) : 0;
        for (int i = 0; i < G->n_vals; i++) {
            const ccx_shape *s = &G->vals[i].shape;
            if (i == not || s->rank != rank) continue;
            if (d0 > 0 && s->dims[0] != d0) continue;
            if (d1 > 0 && rank == 2 && s->dims[1] != d1) continue;
            if (!pass) n++;
            else if (k-- == 0) return i;
        }
        if (!n) return -1;
    }
    return -1;
}

/* Emit prim over operand values (index into vals, or -1 for a literal
 * scalar 1.0) with result shape out. */
static int emit(gen *G, const char *prim, int n, const int *opv, ccx_shape out, int cl, int cr,
                int axis, const char *params) {
    ccx_prim_call call;
    memset(&call, 0, sizeof call);
    call.prim = prim;
    call.n_operands = n;
    call.out = out;
    call.contract_lhs = cl;
    call.contract_rhs = cr;
    call.axis0 = axis;
    ccx_operand ops[CCX_PRIM_MAX_OPERANDS];
    for (int i = 0; i < n; i++) {
        int lit = opv[i] < 0;
        call.literal[i] = lit;
        call.operand[i] = lit ? S0() : G->vals[opv[i]].shape;
        call.node[i] = lit ? -1 : G->vals[opv[i]].node;
        ops[i] = lit ? (ccx_operand){-1, 1.0} : (ccx_operand){G->vals[opv[i]].node, 0.0};
    }
    ccx_edge rec[CCX_PRIM_MAX_OPERANDS];
    if (ccx_prim_records(&call, rec, G->err)) return -1;
    int32_t id = ccx_graph_builder_prim_vertex(G->b, prim, &out, n, ops, params, NULL);
    if (id < 0) return ccx_error_set(G->err, "out of memory generating a tensor program");
    for (int i = 0; i < n; i++) {
        if (opv[i] >= 0) G->vals[opv[i]].uses++;
        if (!rec[i].type) continue;
        rec[i].src = call.node[i];
        rec[i].dst = id;
        if (ccx_graph_builder_edge(G->b, &rec[i]))
            return ccx_error_set(G->err, "out of memory generating a tensor program");
    }
    G->vals[G->n_vals++] = (value){id, out, 0};
    return 0;
}

static int elementwise_unary(gen *G, int x) {
    static const char *const U[] = {"sin", "cos", "exp", "tanh", "log", "neg", "integer_pow",
                                    "sqrt", "logistic"};
    const char *p = U[ccx_rng_below(&G->rng, sizeof U / sizeof U[0])];
    return emit(G, p, 1, &x, G->vals[x].shape, 0, 0, 0,
                strcmp(p, "integer_pow") == 0 ? "{\"y\":2}" : NULL);
}

static int elementwise_binary(gen *G, int x) {
    static const char *const B[] = {"add", "sub", "mul", "div"};
    const char *p = B[ccx_rng_below(&G->rng, 4)];
    const ccx_shape *s = &G->vals[x].shape;
    int y = -1;
    double r = ccx_rng_unit(&G->rng);
    if (r < 0.5) y = pick_shaped(G, s, x);
    else if (r < 0.7) y = pick_where(G, 0, 0, 0, x);                      /* a scalar */
    else if (s->rank == 2) {                                              /* row / column */
        ccx_shape rc = chance(G, 0.5) ? S2(1, s->dims[1]) : S2(s->dims[0], 1);
        y = pick_shaped(G, &rc, x);
    }
    int ops[2] = {x, y};
    if (chance(G, 0.5)) { ops[0] = y; ops[1] = x; }
    return emit(G, p, 2, ops, *s, 0, 0, 0, NULL);
}

static int dot(gen *G, int x) {
    const ccx_shape *s = &G->vals[x].shape;
    char params[96];
    int ops[2] = {x, -1}, cl = 1, cr = 0, y = -1;
    ccx_shape out;
    if (s->rank == 2) {
        int n = s->dims[0], k = s->dims[1], form = (int)ccx_rng_below(&G->rng, 4);
        if (form == 0 && (y = pick_where(G, 2, k, 0, x)) >= 0) {
            out = S2(n, G->vals[y].shape.dims[1]);                 /* A @ B */
        } else if (form == 1 && (y = pick_where(G, 1, k, 0, x)) >= 0) {
            out = S1(n);                                           /* A @ v */
        } else if (form == 2 && (y = pick_where(G, 2, n, 0, x)) >= 0) {
            cl = 0; cr = 0;
            out = S2(k, G->vals[y].shape.dims[1]);                 /* A^T B */
        } else if ((y = pick_where(G, 2, 0, k, x)) >= 0) {
            cl = 1; cr = 1;
            out = S2(n, G->vals[y].shape.dims[0]);                 /* A B^T */
        } else {
            return elementwise_unary(G, x);
        }
    } else if (s->rank == 1) {
        int k = s->dims[0];
        cl = 0; cr = 0;
        if (chance(G, 0.5) && (y = pick_where(G, 1, k, 0, x)) >= 0) out = S0(); /* v . w */
        else if ((y = pick_where(G, 2, k, 0, x)) >= 0) out = S1(G->vals[y].shape.dims[1]); /* v @ B */
        else return elementwise_unary(G, x);
    } else {
        return elementwise_binary(G, x);
    }
    ops[1] = y;
    snprintf(params, sizeof params, "{\"dimension_numbers\":\"(((%d,), (%d,)), ((), ()))\"}", cl, cr);
    return emit(G, "dot_general", 2, ops, out, cl, cr, 0, params);
}

static int reduce(gen *G, int x) {
    const ccx_shape *s = &G->vals[x].shape;
    const char *p = chance(G, 0.7) ? "reduce_sum" : "reduce_max";
    if (s->rank == 0) return elementwise_unary(G, x);
    char params[48];
    int axis = s->rank == 2 ? (int)ccx_rng_below(&G->rng, 2) : 0;
    ccx_shape out = S0();
    if (s->rank == 2 && chance(G, 0.8)) {
        out = S1(s->dims[1 - axis]);
        snprintf(params, sizeof params, "{\"axes\":\"(%d,)\"}", axis);
    } else {
        snprintf(params, sizeof params, "{\"axes\":\"%s\"}", s->rank == 2 ? "(0, 1)" : "(0,)");
        axis = 0;
    }
    return emit(G, p, 1, &x, out, 0, 0, axis, params);
}

static int structural(gen *G, int x) {
    const ccx_shape *s = &G->vals[x].shape;
    int kind = (int)ccx_rng_below(&G->rng, 6);
    if (kind == 0 && s->rank == 2)
        return emit(G, "transpose", 1, &x, S2(s->dims[1], s->dims[0]), 0, 0, 0,
                    "{\"permutation\":\"(1, 0)\"}");
    if (kind == 1 && s->rank < 2) {
        int n = s->rank == 1 ? s->dims[0] : dim(G);
        ccx_shape out;
        const char *bd = "()"; /* which out axis the operand's axis becomes */
        if (s->rank == 0) out = chance(G, 0.5) ? S1(n) : S2(n, dim(G));
        else if (chance(G, 0.5)) { out = S2(n, 1); bd = "(0,)"; }
        else if (chance(G, 0.5)) { out = S2(1, n); bd = "(1,)"; }
        else { out = S2(n, dim(G)); bd = "(0,)"; }
        /* params as JAX writes them (the JAX runtime and the real model read them) */
        char params[128], shp[48];
        if (out.rank == 1) snprintf(shp, sizeof shp, "(%d,)", out.dims[0]);
        else snprintf(shp, sizeof shp, "(%d, %d)", out.dims[0], out.dims[1]);
        snprintf(params, sizeof params, "{\"shape\":\"%s\",\"broadcast_dimensions\":\"%s\"}", shp, bd);
        return emit(G, "broadcast_in_dim", 1, &x, out, 0, 0, 0, params);
    }
    if (kind == 2 && s->rank >= 1) {
        ccx_shape out = s->rank == 1 ? (chance(G, 0.5) ? S2(s->dims[0], 1) : S2(1, s->dims[0]))
                                     : S1(s->dims[0] * s->dims[1]);
        char params[96];
        if (out.rank == 1) snprintf(params, sizeof params, "{\"new_sizes\":\"(%d,)\",\"dimensions\":\"None\"}", out.dims[0]);
        else snprintf(params, sizeof params, "{\"new_sizes\":\"(%d, %d)\",\"dimensions\":\"None\"}", out.dims[0], out.dims[1]);
        return emit(G, "reshape", 1, &x, out, 0, 0, 0, params);
    }
    if (kind == 3 && s->rank >= 1) {
        ccx_shape out = s->rank == 1 ? S1(1 + (int)ccx_rng_below(&G->rng, (uint64_t)s->dims[0]))
                                     : S2(1 + (int)ccx_rng_below(&G->rng, (uint64_t)s->dims[0]),
                                          1 + (int)ccx_rng_below(&G->rng, (uint64_t)s->dims[1]));
        char params[128];
        if (out.rank == 1)
            snprintf(params, sizeof params, "{\"start_indices\":\"(0,)\",\"limit_indices\":\"(%d,)\",\"strides\":\"None\"}", out.dims[0]);
        else
            snprintf(params, sizeof params, "{\"start_indices\":\"(0, 0)\",\"limit_indices\":\"(%d, %d)\",\"strides\":\"None\"}", out.dims[0], out.dims[1]);
        return emit(G, "slice", 1, &x, out, 0, 0, 0, params);
    }
    if (kind == 4 && s->rank == 1) {
        int y = pick_where(G, 1, 0, 0, x);
        if (y >= 0 && s->dims[0] + G->vals[y].shape.dims[0] <= CCX_SHAPE_MAX_ELEMENTS) {
            int ops[2] = {x, y};
            return emit(G, "concatenate", 2, ops, S1(s->dims[0] + G->vals[y].shape.dims[0]), 0, 0,
                        0, "{\"dimension\":0}");
        }
    }
    if (kind == 5 && chance(G, 0.2)) return emit(G, "stop_gradient", 1, &x, *s, 0, 0, 0, NULL);
    return emit(G, "convert_element_type", 1, &x, *s, 0, 0, 0,
                "{\"new_dtype\":\"float32\",\"weak_type\":\"False\"}");
}

void ccx_tensor_gen_defaults(ccx_tensor_gen_params *p) {
    memset(p, 0, sizeof *p);
    p->n_inputs = 3;
    p->n_intermediates = 20;
    p->n_outputs = 2;
    p->max_dim = 4;
}

ccx_graph *ccx_tensor_gen(const ccx_tensor_gen_params *p, ccx_error *err) {
    if (p->n_inputs < 1 || p->n_intermediates < 0 || p->n_outputs < 1 || p->max_dim < 2 ||
        p->max_dim > 1024 || p->n_intermediates + p->n_outputs > 200000) {
        ccx_error_set(err, "tensor generator: need inputs >= 1, intermediates >= 0, outputs >= 1, "
                           "max_dim in 2..1024");
        return NULL;
    }
    gen G;
    memset(&G, 0, sizeof G);
    G.err = err;
    G.max_dim = p->max_dim;
    ccx_rng_seed(&G.rng, p->seed * 0x9E3779B97F4A7C15ull + 0x7e45);
    int total = p->n_inputs + p->n_intermediates + p->n_outputs;
    G.vals = malloc((size_t)total * sizeof(value));
    G.b = ccx_graph_builder_new();
    if (!G.vals || !G.b) {
        free(G.vals);
        ccx_graph_builder_free(G.b);
        ccx_error_set(err, "out of memory generating a tensor program");
        return NULL;
    }
    ccx_graph_builder_records_given(G.b);
    int rc = 0;
    for (int i = 0; i < p->n_inputs && rc == 0; i++) {
        double r = ccx_rng_unit(&G.rng);
        ccx_shape s = r < 0.2 ? S0() : r < 0.55 ? S1(dim(&G)) : S2(dim(&G), dim(&G));
        char name[32];
        snprintf(name, sizeof name, "in%d", i + 1);
        int32_t id = ccx_graph_builder_input_shaped(G.b, name, &s);
        if (id < 0) rc = ccx_error_set(err, "out of memory generating a tensor program");
        else G.vals[G.n_vals++] = (value){id, s, 0};
    }
    int n_v = p->n_intermediates + p->n_outputs;
    for (int k = 0; k < n_v && rc == 0; k++) {
        /* the primary operand: mostly one nothing uses yet */
        int unused = 0;
        for (int i = 0; i < G.n_vals; i++) unused += G.vals[i].uses == 0;
        int x;
        if (unused && chance(&G, 0.75)) {
            int j = (int)ccx_rng_below(&G.rng, (uint64_t)unused);
            for (x = 0; x < G.n_vals; x++)
                if (G.vals[x].uses == 0 && j-- == 0) break;
        } else {
            x = (int)ccx_rng_below(&G.rng, (uint64_t)G.n_vals);
        }
        double r = ccx_rng_unit(&G.rng);
        if (r < 0.25) rc = elementwise_unary(&G, x);
        else if (r < 0.55) rc = elementwise_binary(&G, x);
        else if (r < 0.72) rc = dot(&G, x);
        else if (r < 0.82) rc = reduce(&G, x);
        else rc = structural(&G, x);
    }
    for (int k = 0; k < p->n_outputs && rc == 0; k++) {
        char name[32];
        snprintf(name, sizeof name, "y%d", k + 1);
        if (ccx_graph_builder_output(G.b, G.vals[p->n_inputs + p->n_intermediates + k].node, name))
            rc = ccx_error_set(err, "out of memory generating a tensor program");
    }
    free(G.vals);
    if (rc) {
        ccx_graph_builder_free(G.b);
        return NULL;
    }
    char name[48];
    snprintf(name, sizeof name, "gen%llu", (unsigned long long)p->seed);
    return ccx_graph_builder_finish(G.b, name, "", err);
}
