/* JAX code for the Jacobian of a tensor graph in a given elimination order
 * (codegen.h, ccx_codegen_tensor_jax). The module is the runtime of
 * host/jac/jax_tensor_runtime.py (embedded at build time) followed by
 * straight-line code written from the graph:
 *
 *     outputs(x1, ...)   the primal, from each vertex's primitive and params
 *     jacobian(x1, ...)  the primal, the local Jacobian of every edge in its
 *                        structured form (_partial), then one product per
 *                        predecessor x successor pair of each elimination in
 *                        the order (_acc(e_s_p, _mul(e_s_j, e_j_p))), the
 *                        same pairs the game prices; returns the blocks
 *                        d output_o / d input_i as jax.jacrev(outputs,
 *                        argnums=all) nests them
 *     multiplications()  the scalar multiplications those products perform
 *                        (counted while tracing), beside COST, the model's;
 *                        steps() the same per elimination (the runtime's)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "game/game.h"
#include "jac/codegen.h"
#include "jac/jax_tensor_runtime.h"
#include "util/sha256.h"
#include "util/version.h"

/* Primitives the runtime evaluates (its _prim). */
static const char *const KNOWN[] = {
    "neg", "abs", "exp", "log", "log1p", "sin", "cos", "tan", "asin", "acos", "atan", "sinh",
    "cosh", "tanh", "asinh", "acosh", "atanh", "sqrt", "rsqrt", "logistic", "erf", "erfc",
    "erf_inv", "expm1", "cbrt", "exp2", "square", "stop_gradient", "copy", "copy_p", "add",
    "add_any", "sub", "mul", "div", "pow", "atan2", "max", "min", "rem", "eq", "ne", "lt", "le",
    "gt", "ge", "integer_pow", "dot_general", "reduce_sum", "reduce_max", "reduce_min",
    "transpose", "broadcast_in_dim", "squeeze", "reshape", "slice", "dynamic_slice",
    "dynamic_update_slice", "concatenate", "convert_element_type", "select_n", "iota", "clamp",
    "cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp", "sort", "floor", "ceil", "round",
    "sign", "argmax", "argmin", "is_finite", "not", "and", "or", "xor", "inv", "solve", "pad",
    "rev"};

static int known(const char *p) {
    for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++)
        if (strcmp(KNOWN[i], p) == 0) return 1;
    return 0;
}

/* "x3" or "v12" */
static const char *nm(const ccx_graph *g, int32_t node, char *buf, size_t size) {
    return ccx_graph_node_label(g, node, buf, size);
}

/* the node's JAX shape as a Python tuple: "()", "(4,)", "(4, 4)" */
static const char *tuple_of(const ccx_shape *s, char *buf, size_t size) {
    if (s->rank == 0) snprintf(buf, size, "()");
    else if (s->rank == 1) snprintf(buf, size, "(%d,)", s->dims[0]);
    else snprintf(buf, size, "(%d, %d)", s->dims[0], s->dims[1]);
    return buf;
}

static void operand(FILE *f, const ccx_graph *g, const ccx_operand *a) {
    char b[32];
    if (a->node >= 0) fputs(nm(g, a->node, b, sizeof b), f);
    else if (isnan(a->constant)) fputs("float('nan')", f);
    else if (isinf(a->constant)) fputs(a->constant > 0 ? "float('inf')" : "float('-inf')", f);
    else {
        /* a float literal (Python's int 0 would make an integer array) */
        char num[64];
        snprintf(num, sizeof num, "%.17g", a->constant);
        fprintf(f, "%s%s", num, strpbrk(num, ".e") ? "" : ".0");
    }
}

static void operand_list(FILE *f, const ccx_graph *g, const ccx_vertex *v) {
    fputc('[', f);
    for (int i = 0, n = ccx_vertex_n_operands(v); i < n; i++) {
        if (i) fputs(", ", f);
        operand(f, g, ccx_vertex_operand(v, i));
    }
    fputc(']', f);
}

/* v = _prim("name", [operands], _params(r'''{...}''')) */
static void primal_line(FILE *f, const ccx_graph *g, int k) {
    const ccx_vertex *v = &g->vertices[k];
    fprintf(f, "    v%d = _prim(\"%s\", ", k + 1, ccx_vertex_prim(v));
    operand_list(f, g, v);
    fprintf(f, ", _params(r'''%s'''))\n", v->params ? v->params : "{}");
}

int ccx_codegen_tensor_check(const ccx_graph *g, ccx_error *err) {
    if (ccx_graph_require_float_inputs(g, "the JAX code generator", err)) return -1;
    for (int k = 0; k < g->n_vertices; k++) {
        const ccx_vertex *v = &g->vertices[k];
        const char *p = ccx_vertex_prim(v);
        if (!known(p))
            return ccx_error_set(err, "%s: vertex v%d is a '%s', which the JAX code generator cannot "
                                      "evaluate", g->task_name, k + 1, p);
        if (v->prim && !v->operands && v->n_args == 0 && strcmp(p, "iota") != 0)
            return ccx_error_set(err, "%s: vertex v%d (%s) lists no operands; the generated code "
                                      "evaluates the primal from them", g->task_name, k + 1, p);
        for (int i = 0, n = ccx_vertex_n_operands(v); i < n; i++)
            if (ccx_vertex_operand(v, i)->node == CCX_OPERAND_ARRAY_CONST)
                return ccx_error_set(err, "%s: vertex v%d (%s%s%s) uses an array constant whose "
                                          "values the graph file does not hold (the exporter "
                                          "keeps scalar literals only)",
                                     g->task_name, k + 1, p, v->source ? " at " : "",
                                     v->source ? v->source : "");
        if (v->is_output)
            for (int e = 0; e < g->n_edges; e++)
                if (g->edges[e].src == g->n_inputs + k)
                    return ccx_error_set(err, "%s: output v%d feeds other vertices; the JAX code "
                                              "generator needs outputs that feed nothing (export "
                                              "with scripts/jax_export.py, which copies them)",
                                         g->task_name, k + 1);
    }
    return 0;
}

typedef struct {
    FILE *f;
    const ccx_graph *g;
    const ccx_game *game;
    int j; /* the node being eliminated */
} product_ctx;

/* ccx_game_elim_pairs' callback: e_s_p = [_acc(e_s_p, ]_mul(e_s_j, e_j_p)[)] */
static int product_line(void *ctx, int32_t p, int32_t s) {
    const product_ctx *c = ctx;
    const int W = c->game->words;
    char sn[32], pn[32], jn[32];
    nm(c->g, s, sn, sizeof sn);
    nm(c->g, p, pn, sizeof pn);
    nm(c->g, c->j, jn, sizeof jn);
    if ((c->game->succs[(size_t)p * W + (s >> 5)] >> (s & 31)) & 1) /* p -> s exists: sum */
        fprintf(c->f, "    e_%s_%s = _acc(e_%s_%s, _mul(e_%s_%s, e_%s_%s))\n", sn, pn, sn, pn, sn,
                jn, jn, pn);
    else
        fprintf(c->f, "    e_%s_%s = _mul(e_%s_%s, e_%s_%s)\n", sn, pn, sn, jn, jn, pn);
    return 0;
}

int ccx_codegen_tensor_jax(const ccx_graph *g, const int32_t *order, int n, const char *method,
                           FILE *f, ccx_error *err) {
    if (ccx_codegen_tensor_check(g, err)) return -1;
    int64_t cost = 0;
    if (ccx_order_cost(g, order, n, &cost, err)) return -1;
    ccx_game game;
    if (ccx_game_init(&game, g, err)) return -1;
    const int nin = g->n_inputs, W = game.words;
    char hex[65], a[32], b[32], sb[64], pb[64];
    ccx_graph_sha256(g, hex);

    fprintf(f, "\"\"\"Jacobian of %s by vertex elimination: ccx %s codegen --lang jax.\n\n",
            g->task_name, CCX_VERSION);
    fprintf(f, "task          %s\ngraph_sha256  %s\norder         %s (%d eliminations)\n",
            g->task_name, hex, method ? method : "imported", n);
    fprintf(f, "model cost    %lld multiplications (AlphaGrad's sparse-tensor model)\n\n",
            (long long)cost);
    fprintf(f, "outputs(*inputs) evaluates the function; jacobian(*inputs) returns d output_o /\n"
               "d input_i, nested as jax.jacrev(outputs, argnums=all) nests them, for one point\n"
               "(batch with jax.vmap; jax.jit compiles it); multiplications() counts the scalar\n"
               "multiplications of its products, COST is the model's figure for them; steps()\n"
               "gives both for each elimination.\n\"\"\"\n");
    fwrite(ccx_jax_tensor_runtime, 1, ccx_jax_tensor_runtime_len, f);
    fprintf(f, "\nTASK = \"%s\"\nGRAPH_SHA256 = \"%s\"\nCOST = %lld\nORDER = [", g->task_name, hex,
            (long long)cost);
    for (int i = 0; i < n; i++) fprintf(f, "%s%d", i ? ", " : "", order[i]);
    fprintf(f, "]\nINPUTS = [");
    for (int i = 0; i < nin; i++)
        fprintf(f, "%s(\"%s\", %s)", i ? ", " : "", g->input_names[i],
                tuple_of(&g->input_shapes[i], sb, sizeof sb));
    fprintf(f, "]\nOUTPUTS = [");
    for (int o = 0; o < g->n_outputs; o++)
        fprintf(f, "%s(\"%s\", %s)", o ? ", " : "", g->output_names[o],
                tuple_of(&g->vertices[g->outputs[o] - 1].shape, sb, sizeof sb));
    fprintf(f, "]\n\n");

    /* the signature */
    char sig[65536];
    size_t len = 0;
    for (int i = 0; i < nin && len < sizeof sig - 32; i++)
        len += (size_t)snprintf(sig + len, sizeof sig - len, "%s%s", i ? ", " : "", nm(g, i, a, sizeof a));

    /* outputs() */
    fprintf(f, "\ndef outputs(%s):\n", sig);
    for (int k = 0; k < g->n_vertices; k++) primal_line(f, g, k);
    fprintf(f, "    return ");
    if (g->n_outputs != 1) fputc('(', f);
    for (int o = 0; o < g->n_outputs; o++) fprintf(f, "%sv%d", o ? ", " : "", g->outputs[o]);
    fprintf(f, "%s\n\n", g->n_outputs != 1 ? ")" : "");

    /* jacobian(): primal, local partials, elimination, blocks */
    fprintf(f, "\ndef jacobian(%s):\n    # the primal\n", sig);
    for (int k = 0; k < g->n_vertices; k++) primal_line(f, g, k);
    fprintf(f, "    # the local Jacobian of every edge, structured (_T: labelled value arrays)\n");
    for (int e = 0; e < g->n_edges; e++) {
        const ccx_edge *ed = &g->edges[e];
        const ccx_vertex *v = &g->vertices[ed->dst - nin];
        int first = 1;
        fprintf(f, "    e_%s_%s = ", nm(g, ed->dst, a, sizeof a), nm(g, ed->src, b, sizeof b));
        int uses = 0;
        for (int i = 0, m = ccx_vertex_n_operands(v); i < m; i++)
            uses += ccx_vertex_operand(v, i)->node == ed->src;
        for (int i = 0, m = ccx_vertex_n_operands(v); i < m; i++) {
            if (ccx_vertex_operand(v, i)->node != ed->src) continue;
            if (!first) fputs(", ", f);
            if (uses > 1 && first) fputs("_acc(", f);
            fprintf(f, "_partial(\"%s\", %d, ", ccx_vertex_prim(v), i);
            operand_list(f, g, v);
            fprintf(f, ", v%d, _params(r'''%s'''))", ed->dst - nin + 1, v->params ? v->params : "{}");
            first = 0;
        }
        if (uses > 1) fputc(')', f);
        if (uses == 0) /* a record without an operand (AlphaGrad's `_` column): no dependence */
            fprintf(f, "_Zero(%s, %s)",
                    tuple_of(ccx_graph_node_shape(g, ed->dst), sb, sizeof sb),
                    tuple_of(ccx_graph_node_shape(g, ed->src), pb, sizeof pb));
        fputc('\n', f);
    }
    fprintf(f, "    # elimination: one product per predecessor x successor pair\n");
    for (int t = 0; t < n; t++) {
        int j = nin + order[t] - 1;
        fprintf(f, "    _step(%d, \"%s\", %lld)  # elimination %d\n", order[t],
                ccx_vertex_prim(&g->vertices[order[t] - 1]),
                (long long)ccx_game_elim_cost(&game, order[t]), t + 1);
        product_ctx pc = {f, g, &game, j};
        ccx_game_elim_pairs(&game, order[t], product_line, &pc);
        ccx_game_step(&game, order[t]);
    }
    /* the blocks d out / d in */
    fprintf(f, "    return ");
    if (g->n_outputs != 1) fputc('(', f);
    for (int o = 0; o < g->n_outputs; o++) {
        int on = nin + g->outputs[o] - 1;
        fprintf(f, "%s(", o ? ",\n            " : "");
        for (int i = 0; i < nin; i++) {
            int has = (game.preds[(size_t)on * W + (i >> 5)] >> (i & 31)) & 1;
            tuple_of(&g->vertices[g->outputs[o] - 1].shape, sb, sizeof sb);
            tuple_of(&g->input_shapes[i], pb, sizeof pb);
            if (has)
                fprintf(f, "%s_block(e_%s_%s, %s, %s)", i ? ", " : "", nm(g, on, a, sizeof a),
                        nm(g, i, b, sizeof b), sb, pb);
            else
                fprintf(f, "%s_block(None, %s, %s)", i ? ", " : "", sb, pb);
        }
        fprintf(f, "%s)", nin == 1 ? "," : "");
    }
    fprintf(f, "%s\n\n", g->n_outputs != 1 ? ")" : "");

    ccx_game_free(&game);
    if (ferror(f)) return ccx_error_set(err, "write error");
    return 0;
}
