/* Graph construction, hashing, evaluation and printing. */
#include "graph/graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/sha256.h"

struct ccx_graph_builder {
    int n_inputs, cap_inputs;
    char **input_names;
    int n_vertices, cap_vertices;
    ccx_vertex *vertices;
    int n_outputs, cap_outputs;
    int32_t *outputs;
    char **output_names;
};

/* Grow *arr (elements of size elem) to hold at least need; 0 on success. */
static int grow(void **arr, int *cap, int need, size_t elem) {
    if (need <= *cap) return 0;
    int c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *p = realloc(*arr, (size_t)c * elem);
    if (!p) return -1;
    *arr = p;
    *cap = c;
    return 0;
}

ccx_graph_builder *ccx_graph_builder_new(void) {
    return calloc(1, sizeof(ccx_graph_builder));
}

void ccx_graph_builder_free(ccx_graph_builder *b) {
    if (!b) return;
    for (int i = 0; i < b->n_inputs; i++) free(b->input_names[i]);
    for (int i = 0; i < b->n_vertices; i++) free(b->vertices[i].name);
    for (int i = 0; i < b->n_outputs; i++) free(b->output_names[i]);
    free(b->input_names);
    free(b->vertices);
    free(b->outputs);
    free(b->output_names);
    free(b);
}

int32_t ccx_graph_builder_input(ccx_graph_builder *b, const char *name) {
    if (b->n_vertices > 0) return -1; /* inputs come first: node ids depend on it */
    if (grow((void **)&b->input_names, &b->cap_inputs, b->n_inputs + 1, sizeof(char *)))
        return -1;
    char *n = strdup(name ? name : "");
    if (!n) return -1;
    b->input_names[b->n_inputs] = n;
    return b->n_inputs++;
}

int32_t ccx_graph_builder_vertex(ccx_graph_builder *b, ccx_op op, int n_args,
                                 const ccx_operand *args, double param, int line,
                                 int col) {
    const ccx_op_info *info = ccx_op_get(op);
    if (!info || n_args != info->arity) return -1;
    int32_t id = b->n_inputs + b->n_vertices;
    int any_node = 0;
    for (int i = 0; i < n_args; i++) {
        if (args[i].node >= id || args[i].node < -1) return -1;
        any_node |= args[i].node >= 0;
    }
    if (!any_node) return -1; /* all-constant ops are folded, never vertices */
    if (grow((void **)&b->vertices, &b->cap_vertices, b->n_vertices + 1, sizeof(ccx_vertex)))
        return -1;
    ccx_vertex *v = &b->vertices[b->n_vertices++];
    memset(v, 0, sizeof *v);
    v->op = op;
    v->n_args = n_args;
    for (int i = 0; i < n_args; i++) {
        v->args[i] = args[i];
        if (args[i].node >= 0) v->args[i].constant = 0.0;
    }
    v->param = param;
    v->line = line;
    v->col = col;
    return id;
}

int ccx_graph_builder_n_vertices(const ccx_graph_builder *b) { return b->n_vertices; }

void ccx_graph_builder_name(ccx_graph_builder *b, int32_t node, const char *name) {
    int k = node - b->n_inputs;
    if (k < 0 || k >= b->n_vertices || b->vertices[k].name || !name) return;
    b->vertices[k].name = strdup(name);
}

int ccx_graph_builder_output(ccx_graph_builder *b, int32_t node, const char *name) {
    int k = node - b->n_inputs;
    if (k < 0 || k >= b->n_vertices || b->vertices[k].is_output) return -1;
    if (grow((void **)&b->outputs, &b->cap_outputs, b->n_outputs + 1, sizeof(int32_t)))
        return -1;
    int cap = b->cap_outputs; /* output_names grows in step with outputs */
    char **names = realloc(b->output_names, (size_t)cap * sizeof(char *));
    if (!names) return -1;
    b->output_names = names;
    char *n = strdup(name ? name : "");
    if (!n) return -1;
    b->vertices[k].is_output = 1;
    b->outputs[b->n_outputs] = k + 1;
    b->output_names[b->n_outputs] = n;
    b->n_outputs++;
    return 0;
}

ccx_graph *ccx_graph_builder_finish(ccx_graph_builder *b, const char *task_name,
                                    const char *source_path, ccx_error *err) {
    ccx_graph *g = calloc(1, sizeof *g);
    size_t max_edges = 2 * (size_t)b->n_vertices;
    ccx_edge *edges = malloc((max_edges ? max_edges : 1) * sizeof(ccx_edge));
    char *tn = strdup(task_name ? task_name : "");
    char *sp = strdup(source_path ? source_path : "");
    if (!g || !edges || !tn || !sp) {
        free(g); free(edges); free(tn); free(sp);
        ccx_graph_builder_free(b);
        ccx_error_set(err, "out of memory building the graph");
        return NULL;
    }
    int n_edges = 0;
    for (int k = 0; k < b->n_vertices; k++) {
        const ccx_vertex *v = &b->vertices[k];
        int32_t dst = b->n_inputs + k;
        int32_t srcs[2];
        int n = 0;
        for (int i = 0; i < v->n_args; i++) {
            int32_t s = v->args[i].node;
            if (s < 0 || (n == 1 && srcs[0] == s)) continue; /* x*x: one edge */
            srcs[n++] = s;
        }
        if (n == 2 && srcs[1] < srcs[0]) { int32_t t = srcs[0]; srcs[0] = srcs[1]; srcs[1] = t; }
        for (int i = 0; i < n; i++)
            edges[n_edges++] = (ccx_edge){.src = srcs[i], .dst = dst,
                                          .kind = CCX_JAC_SCALAR, .rows = 1, .cols = 1};
    }
    g->task_name = tn;
    g->source_path = sp;
    g->n_inputs = b->n_inputs;
    g->input_names = b->input_names;
    g->n_vertices = b->n_vertices;
    g->vertices = b->vertices;
    g->n_outputs = b->n_outputs;
    g->outputs = b->outputs;
    g->output_names = b->output_names;
    g->n_edges = n_edges;
    g->edges = edges;
    free(b); /* arrays now belong to g */
    return g;
}

void ccx_graph_free(ccx_graph *g) {
    if (!g) return;
    for (int i = 0; i < g->n_inputs; i++) free(g->input_names[i]);
    for (int i = 0; i < g->n_vertices; i++) free(g->vertices[i].name);
    for (int i = 0; i < g->n_outputs; i++) free(g->output_names[i]);
    free(g->input_names);
    free(g->vertices);
    free(g->outputs);
    free(g->output_names);
    free(g->edges);
    free(g->task_name);
    free(g->source_path);
    free(g);
}

void ccx_graph_sha256(const ccx_graph *g, char hex[65]) {
    /* A canonical text form, versioned so the hash can evolve deliberately. */
    ccx_sha256 s;
    char line[128];
    ccx_sha256_init(&s);
    int n = snprintf(line, sizeof line, "ccx-graph-v1\ninputs %d\nvertices %d\noutputs",
                     g->n_inputs, g->n_vertices);
    ccx_sha256_update(&s, line, (size_t)n);
    for (int i = 0; i < g->n_outputs; i++) {
        n = snprintf(line, sizeof line, " %d", g->outputs[i]);
        ccx_sha256_update(&s, line, (size_t)n);
    }
    ccx_sha256_update(&s, "\n", 1);
    for (int i = 0; i < g->n_edges; i++) {
        const ccx_edge *e = &g->edges[i];
        n = snprintf(line, sizeof line, "e %d %d %d %d %d\n", e->src, e->dst, e->kind,
                     e->rows, e->cols);
        ccx_sha256_update(&s, line, (size_t)n);
    }
    uint8_t digest[32];
    ccx_sha256_final(&s, digest);
    ccx_sha256_hex(digest, hex);
}

int ccx_graph_eval(const ccx_graph *g, const double *inputs, double *values,
                   int *bad_vertex) {
    int bad = 0;
    for (int i = 0; i < g->n_inputs; i++) values[i] = inputs[i];
    for (int k = 0; k < g->n_vertices; k++) {
        const ccx_vertex *v = &g->vertices[k];
        double a[2] = {0.0, 0.0};
        for (int i = 0; i < v->n_args; i++)
            a[i] = v->args[i].node >= 0 ? values[v->args[i].node] : v->args[i].constant;
        double y = ccx_op_value(v->op, a[0], a[1], v->param);
        values[g->n_inputs + k] = y;
        if (!bad && !isfinite(y)) bad = k + 1;
    }
    if (bad_vertex) *bad_vertex = bad;
    return bad ? -1 : 0;
}

const char *ccx_graph_node_label(const ccx_graph *g, int32_t node, char *buf, size_t size) {
    if (node < g->n_inputs) snprintf(buf, size, "x%d", node + 1);
    else snprintf(buf, size, "v%d", node - g->n_inputs + 1);
    return buf;
}

/* in/out degree of every node in the original graph */
static void degrees(const ccx_graph *g, int *in_deg, int *out_deg) {
    int n = ccx_graph_n_nodes(g);
    memset(in_deg, 0, (size_t)n * sizeof(int));
    memset(out_deg, 0, (size_t)n * sizeof(int));
    for (int i = 0; i < g->n_edges; i++) {
        in_deg[g->edges[i].dst]++;
        out_deg[g->edges[i].src]++;
    }
}

void ccx_graph_write_summary(const ccx_graph *g, FILE *out) {
    int n = ccx_graph_n_nodes(g);
    int *in_deg = malloc((size_t)(n ? n : 1) * sizeof(int));
    int *out_deg = malloc((size_t)(n ? n : 1) * sizeof(int));
    if (!in_deg || !out_deg) { free(in_deg); free(out_deg); return; }
    degrees(g, in_deg, out_deg);
    char hex[65];
    ccx_graph_sha256(g, hex);
    fprintf(out, "task           %s\n", g->task_name);
    if (g->source_path[0]) fprintf(out, "source         %s\n", g->source_path);
    fprintf(out, "inputs         %d\n", g->n_inputs);
    fprintf(out, "vertices       %d (%d eliminable + %d outputs)\n", g->n_vertices,
            ccx_graph_n_intermediates(g), g->n_outputs);
    fprintf(out, "edges          %d\n", g->n_edges);
    int max_in = 0, max_out = 0, dead = 0, unused_inputs = 0;
    for (int i = 0; i < n; i++) {
        if (in_deg[i] > max_in) max_in = in_deg[i];
        if (out_deg[i] > max_out) max_out = out_deg[i];
        if (i < g->n_inputs && out_deg[i] == 0) unused_inputs++;
        if (i >= g->n_inputs && out_deg[i] == 0 && !g->vertices[i - g->n_inputs].is_output)
            dead++;
    }
    fprintf(out, "max in/out deg %d / %d\n", max_in, max_out);
    if (dead) fprintf(out, "dead vertices  %d (intermediates no output depends on)\n", dead);
    if (unused_inputs) fprintf(out, "unused inputs  %d\n", unused_inputs);
    fprintf(out, "graph_sha256   %s\n", hex);
    int hist[CCX_OP_COUNT] = {0};
    for (int k = 0; k < g->n_vertices; k++) hist[g->vertices[k].op]++;
    fprintf(out, "ops           ");
    for (int i = 0; i < CCX_OP_COUNT; i++)
        if (hist[i]) fprintf(out, " %s:%d", ccx_op_get((ccx_op)i)->name, hist[i]);
    fprintf(out, "\ninput names   ");
    for (int i = 0; i < g->n_inputs; i++) fprintf(out, " x%d=%s", i + 1, g->input_names[i]);
    fprintf(out, "\noutputs       ");
    for (int i = 0; i < g->n_outputs; i++)
        fprintf(out, " %s=v%d", g->output_names[i], g->outputs[i]);
    fprintf(out, "\n");
    free(in_deg);
    free(out_deg);
}

static void write_operand(const ccx_graph *g, const ccx_operand *a, FILE *out) {
    char buf[32];
    if (a->node >= 0) fputs(ccx_graph_node_label(g, a->node, buf, sizeof buf), out);
    else fprintf(out, "%.17g", a->constant);
}

void ccx_graph_write_vertices(const ccx_graph *g, FILE *out) {
    for (int i = 0; i < g->n_inputs; i++)
        fprintf(out, "x%-5d input        %s\n", i + 1, g->input_names[i]);
    for (int k = 0; k < g->n_vertices; k++) {
        const ccx_vertex *v = &g->vertices[k];
        fprintf(out, "v%-5d %-12s ", k + 1, ccx_op_get(v->op)->name);
        for (int i = 0; i < v->n_args; i++) {
            if (i) fputs(", ", out);
            write_operand(g, &v->args[i], out);
        }
        if (v->op == CCX_OP_INTEGER_POW) fprintf(out, ", k=%ld", (long)v->param);
        fprintf(out, "  %s%s  @%d:%d\n", v->name ? v->name : "-",
                v->is_output ? " [output]" : "", v->line, v->col);
    }
}

void ccx_graph_write_dot(const ccx_graph *g, FILE *out) {
    char a[32], b[32];
    fprintf(out, "digraph \"%s\" {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n",
            g->task_name);
    for (int i = 0; i < g->n_inputs; i++)
        fprintf(out, "  x%d [shape=box, label=\"x%d\\n%s\"];\n", i + 1, i + 1,
                g->input_names[i]);
    for (int k = 0; k < g->n_vertices; k++) {
        const ccx_vertex *v = &g->vertices[k];
        fprintf(out, "  v%d [shape=%s, label=\"%d: %s%s%s\"];\n", k + 1,
                v->is_output ? "doublecircle" : "ellipse", k + 1, ccx_op_get(v->op)->name,
                v->name ? "\\n" : "", v->name ? v->name : "");
    }
    for (int i = 0; i < g->n_edges; i++)
        fprintf(out, "  %s -> %s;\n", ccx_graph_node_label(g, g->edges[i].src, a, sizeof a),
                ccx_graph_node_label(g, g->edges[i].dst, b, sizeof b));
    fprintf(out, "}\n");
}
