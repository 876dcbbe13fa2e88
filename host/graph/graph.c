/* Graph construction and checking, hashing, evaluation and printing. */
#include "graph/graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph/sparsity.h"
#include "util/sha256.h"

struct ccx_graph_builder {
    int n_inputs, cap_inputs;
    char **input_names;
    ccx_shape *input_shapes;
    char **input_dtypes; /* NULL until an input is marked; then [cap_inputs] */
    int n_vertices, cap_vertices;
    ccx_vertex *vertices;
    int n_outputs, cap_outputs;
    int32_t *outputs;
    char **output_names;
    int n_edges, cap_edges;  /* explicit records (graph files) */
    ccx_edge *edges;
    int failed;              /* an allocation failed: finish reports it */
    int records_given;       /* use the explicit records, even none */
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

const char *ccx_shape_format(const ccx_shape *s, char *buf, size_t size) {
    if (s->rank == 0) snprintf(buf, size, "[]");
    else if (s->rank == 1) snprintf(buf, size, "[%d]", s->dims[0]);
    else snprintf(buf, size, "[%d,%d]", s->dims[0], s->dims[1]);
    return buf;
}

const char *ccx_vertex_prim(const ccx_vertex *v) {
    if (v->prim) return v->prim;
    const ccx_op_info *info = ccx_op_get(v->op);
    return info ? info->name : "?";
}

static void vertex_free(ccx_vertex *v) {
    free(v->name);
    free(v->prim);
    free(v->operands);
    free(v->params);
    free(v->source);
}

ccx_graph_builder *ccx_graph_builder_new(void) {
    return calloc(1, sizeof(ccx_graph_builder));
}

void ccx_graph_builder_free(ccx_graph_builder *b) {
    if (!b) return;
    for (int i = 0; i < b->n_inputs; i++) free(b->input_names[i]);
    for (int i = 0; i < b->n_inputs && b->input_dtypes; i++) free(b->input_dtypes[i]);
    for (int i = 0; i < b->n_vertices; i++) vertex_free(&b->vertices[i]);
    for (int i = 0; i < b->n_outputs; i++) free(b->output_names[i]);
    free(b->input_names);
    free(b->input_shapes);
    free(b->input_dtypes);
    free(b->vertices);
    free(b->outputs);
    free(b->output_names);
    free(b->edges);
    free(b);
}

static int shape_ok(const ccx_shape *s) {
    if (s->rank < 0 || s->rank > 2) return 0;
    for (int i = 0; i < s->rank; i++)
        if (s->dims[i] < 1 || s->dims[i] > CCX_SHAPE_MAX_ELEMENTS) return 0;
    return ccx_shape_elements(s) <= CCX_SHAPE_MAX_ELEMENTS;
}

int32_t ccx_graph_builder_input_shaped(ccx_graph_builder *b, const char *name,
                                       const ccx_shape *shape) {
    if (b->n_vertices > 0) return -1; /* inputs come first: node ids depend on it */
    if (shape && !shape_ok(shape)) return -1;
    int cap = b->cap_inputs;
    if (grow((void **)&b->input_names, &cap, b->n_inputs + 1, sizeof(char *))) return -1;
    cap = b->cap_inputs;
    if (grow((void **)&b->input_shapes, &cap, b->n_inputs + 1, sizeof(ccx_shape))) return -1;
    if (b->input_dtypes && cap > b->cap_inputs) {
        char **d = realloc(b->input_dtypes, (size_t)cap * sizeof(char *));
        if (!d) return -1;
        memset(d + b->cap_inputs, 0, (size_t)(cap - b->cap_inputs) * sizeof(char *));
        b->input_dtypes = d;
    }
    b->cap_inputs = cap;
    char *n = strdup(name ? name : "");
    if (!n) return -1;
    b->input_names[b->n_inputs] = n;
    b->input_shapes[b->n_inputs] = shape ? *shape : (ccx_shape){0, {1, 1}};
    return b->n_inputs++;
}

int ccx_graph_builder_input_dtype(ccx_graph_builder *b, int32_t id, const char *dtype) {
    if (id < 0 || id >= b->n_inputs || !dtype) return -1;
    if (!b->input_dtypes) {
        b->input_dtypes = calloc((size_t)b->cap_inputs, sizeof(char *));
        if (!b->input_dtypes) return -1;
    }
    char *copy = strdup(dtype);
    if (!copy) return -1;
    free(b->input_dtypes[id]);
    b->input_dtypes[id] = copy;
    return 0;
}

int32_t ccx_graph_builder_input(ccx_graph_builder *b, const char *name) {
    return ccx_graph_builder_input_shaped(b, name, NULL);
}

static ccx_vertex *new_vertex(ccx_graph_builder *b) {
    if (grow((void **)&b->vertices, &b->cap_vertices, b->n_vertices + 1, sizeof(ccx_vertex)))
        return NULL;
    ccx_vertex *v = &b->vertices[b->n_vertices++];
    memset(v, 0, sizeof *v);
    v->shape = (ccx_shape){0, {1, 1}};
    return v;
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
    ccx_vertex *v = new_vertex(b);
    if (!v) return -1;
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

static char *dup_or_null(const char *s, int *failed) {
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) *failed = 1;
    return d;
}

int32_t ccx_graph_builder_prim_vertex(ccx_graph_builder *b, const char *prim,
                                      const ccx_shape *shape, int n_operands,
                                      const ccx_operand *operands, const char *params,
                                      const char *source) {
    int32_t id = b->n_inputs + b->n_vertices;
    if (n_operands < 0 || (shape && !shape_ok(shape))) return -1;
    for (int i = 0; i < n_operands; i++)
        if (operands[i].node < CCX_OPERAND_ARRAY_CONST || operands[i].node >= id) return -1;
    ccx_vertex *v = new_vertex(b);
    if (!v) return -1;
    int failed = 0;
    v->op = CCX_OP_NONE;
    v->prim = dup_or_null(prim ? prim : "?", &failed);
    v->params = dup_or_null(params, &failed);
    v->source = dup_or_null(source, &failed);
    if (shape) v->shape = *shape;
    v->n_operands = n_operands;
    v->operands = malloc((size_t)(n_operands ? n_operands : 1) * sizeof(ccx_operand));
    if (!v->operands) failed = 1;
    else if (n_operands) memcpy(v->operands, operands, (size_t)n_operands * sizeof(ccx_operand));
    if (failed) {
        vertex_free(v);
        b->n_vertices--;
        return -1;
    }
    return id;
}

int ccx_graph_builder_edge(ccx_graph_builder *b, const ccx_edge *e) {
    if (grow((void **)&b->edges, &b->cap_edges, b->n_edges + 1, sizeof(ccx_edge))) {
        b->failed = 1;
        return -1;
    }
    b->edges[b->n_edges++] = *e;
    b->records_given = 1;
    return 0;
}

void ccx_graph_builder_records_given(ccx_graph_builder *b) { b->records_given = 1; }

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

/* ---- finishing: edges, checks, flags ---- */

/* The dense 1x1 records of a scalar vertex's distinct node operands, src
 * ascending. Returns how many (0..2). */
static int operand_edges(const ccx_vertex *v, int32_t dst, ccx_edge out[2]) {
    int32_t srcs[2];
    int n = 0;
    for (int i = 0; i < v->n_args; i++) {
        int32_t s = v->args[i].node;
        if (s < 0 || (n == 1 && srcs[0] == s)) continue; /* x*x: one edge */
        srcs[n++] = s;
    }
    if (n == 2 && srcs[1] < srcs[0]) { int32_t t = srcs[0]; srcs[0] = srcs[1]; srcs[1] = t; }
    for (int i = 0; i < n; i++)
        out[i] = (ccx_edge){.src = srcs[i], .dst = dst, .type = CCX_SP_DENSE,
                            .out_d = {1, 1}, .primal_d = {1, 1}};
    return n;
}

/* An output that other vertices use becomes an ordinary vertex, and a copy
 * of it, appended after every vertex, becomes the output (README "Outputs
 * that feed other vertices"): its one edge is a dense 1x1 record like every
 * scalar edge, so eliminating the original prices the copy too and the
 * game's cost counts every multiplication the Jacobian needs. The JAX
 * exporter (scripts/jax_export.py) does the same. 0, or -1 when out of
 * memory. */
static int copy_fed_outputs(ccx_graph_builder *b) {
    int n = b->n_vertices;
    uint8_t *used = calloc((size_t)(b->n_inputs + n) + 1, 1);
    if (!used) return -1;
    for (int k = 0; k < n; k++)
        for (int i = 0; i < b->vertices[k].n_args; i++)
            if (b->vertices[k].args[i].node >= 0) used[b->vertices[k].args[i].node] = 1;
    int rc = 0;
    for (int o = 0; o < b->n_outputs && rc == 0; o++) {
        int k = b->outputs[o] - 1;
        if (!used[b->n_inputs + k]) continue;
        ccx_operand arg = {b->n_inputs + k, 0.0};
        int line = b->vertices[k].line, col = b->vertices[k].col;
        int32_t id = ccx_graph_builder_vertex(b, CCX_OP_COPY, 1, &arg, 0.0, line, col);
        if (id < 0) { rc = -1; break; }
        b->vertices[k].is_output = 0;
        b->vertices[id - b->n_inputs].is_output = 1;
        b->outputs[o] = id - b->n_inputs + 1;
    }
    free(used);
    return rc;
}

static int cmp_edge(const void *a, const void *b) {
    const ccx_edge *x = a, *y = b;
    if (x->dst != y->dst) return x->dst < y->dst ? -1 : 1;
    return x->src < y->src ? -1 : x->src > y->src;
}

static int is_unit(const ccx_edge *e) {
    return e->type == CCX_SP_DENSE && e->out_d[0] == 1 && e->out_d[1] == 1 &&
           e->primal_d[0] == 1 && e->primal_d[1] == 1;
}

static const char *label(int n_inputs, int32_t node, char *buf, size_t size) {
    if (node < n_inputs) snprintf(buf, size, "x%d", node + 1);
    else snprintf(buf, size, "v%d", node - n_inputs + 1);
    return buf;
}

/* Check one explicit record against the nodes; 0 or -1 with err. */
static int check_edge(const ccx_graph_builder *b, const ccx_edge *e, ccx_error *err) {
    int n_nodes = b->n_inputs + b->n_vertices;
    char ls[32], ld[32];
    if (e->src < 0 || e->src >= n_nodes)
        return ccx_error_set(err, "edge source %d is not a node (inputs x1..x%d, vertices v1..v%d)",
                             e->src, b->n_inputs, b->n_vertices);
    if (e->dst < 0 || e->dst >= n_nodes)
        return ccx_error_set(err, "edge target %d is not a node (inputs x1..x%d, vertices v1..v%d)",
                             e->dst, b->n_inputs, b->n_vertices);
    label(b->n_inputs, e->src, ls, sizeof ls);
    label(b->n_inputs, e->dst, ld, sizeof ld);
    if (e->dst < b->n_inputs)
        return ccx_error_set(err, "edge %s -> %s points into an input", ls, ld);
    if (e->src == e->dst) return ccx_error_set(err, "edge %s -> %s is a self-loop (a cycle)", ls, ld);
    if (!ccx_sp_valid(e->type))
        return ccx_error_set(err, "edge %s -> %s: unknown sparsity type %d (types are -10..11, "
                                  "0 meaning no edge)", ls, ld, e->type);
    const int32_t *d[2] = {e->out_d, e->primal_d};
    static const char *const which[2] = {"out", "primal"};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 2; i++)
            if (d[k][i] < 1 || d[k][i] > CCX_SHAPE_MAX_ELEMENTS)
                return ccx_error_set(err, "edge %s -> %s: %s dim %d is %d (dims are 1..%d)", ls,
                                     ld, which[k], i + 1, d[k][i], CCX_SHAPE_MAX_ELEMENTS);
    const ccx_shape *ss = e->src < b->n_inputs ? &b->input_shapes[e->src]
                                               : &b->vertices[e->src - b->n_inputs].shape;
    const ccx_shape *sd = &b->vertices[e->dst - b->n_inputs].shape;
    int32_t ns[2], nd[2];
    ccx_shape_record_dims(ss, ns);
    ccx_shape_record_dims(sd, nd);
    if (e->out_d[0] != nd[0] || e->out_d[1] != nd[1])
        return ccx_error_set(err, "edge %s -> %s: out dims (%d, %d) disagree with %s's shape "
                                  "(%d, %d as a record)", ls, ld, e->out_d[0], e->out_d[1], ld,
                             nd[0], nd[1]);
    /* reshape-like records keep AlphaGrad's concatenate quirk: every operand's
     * record carries the first operand's shape (docs/tensor_model.md 7.10) */
    if (e->type != CCX_SP_RESHAPE && (e->primal_d[0] != ns[0] || e->primal_d[1] != ns[1]))
        return ccx_error_set(err, "edge %s -> %s: primal dims (%d, %d) disagree with %s's shape "
                                  "(%d, %d as a record)", ls, ld, e->primal_d[0], e->primal_d[1],
                             ls, ns[0], ns[1]);
    return 0;
}

/* Kahn's algorithm over the records; on a cycle returns the index (in
 * `edges`) of an edge on it, else -1. */
static int find_cycle(int n_nodes, const ccx_edge *edges, int n_edges) {
    int *indeg = calloc((size_t)n_nodes + 1, sizeof(int));
    int *head = calloc((size_t)n_nodes + 2, sizeof(int));
    int *adj = malloc((size_t)(n_edges + 1) * sizeof(int));
    int *queue = malloc((size_t)(n_nodes + 1) * sizeof(int));
    int bad = -2;
    if (!indeg || !head || !adj || !queue) goto done;
    for (int e = 0; e < n_edges; e++) {
        indeg[edges[e].dst]++;
        head[edges[e].src + 1]++;
    }
    for (int u = 0; u < n_nodes; u++) head[u + 1] += head[u];
    {
        int *fill = queue; /* reuse as a cursor array before the queue is needed */
        for (int u = 0; u < n_nodes; u++) fill[u] = head[u];
        for (int e = 0; e < n_edges; e++) adj[fill[edges[e].src]++] = e;
    }
    int qh = 0, qt = 0;
    for (int u = 0; u < n_nodes; u++)
        if (indeg[u] == 0) queue[qt++] = u;
    while (qh < qt) {
        int u = queue[qh++];
        for (int a = head[u]; a < head[u + 1]; a++)
            if (--indeg[edges[adj[a]].dst] == 0) queue[qt++] = edges[adj[a]].dst;
    }
    bad = -1;
    if (qt < n_nodes) /* some edge between two nodes left on a cycle */
        for (int e = 0; e < n_edges; e++)
            if (indeg[edges[e].dst] > 0 && indeg[edges[e].src] > 0) { bad = e; break; }
done:
    free(indeg); free(head); free(adj); free(queue);
    return bad;
}

ccx_graph *ccx_graph_builder_finish(ccx_graph_builder *b, const char *task_name,
                                    const char *source_path, ccx_error *err) {
    return ccx_graph_builder_finish_at(b, task_name, source_path, NULL, err);
}

ccx_graph *ccx_graph_builder_finish_at(ccx_graph_builder *b, const char *task_name,
                                       const char *source_path, int *bad_edge, ccx_error *err) {
    if (bad_edge) *bad_edge = -1;
    ccx_graph *g = calloc(1, sizeof *g);
    int explicit_edges = b->n_edges > 0 || b->records_given;
    if (!explicit_edges && copy_fed_outputs(b)) b->failed = 1;
    size_t max_edges = explicit_edges ? (size_t)b->n_edges : 2 * (size_t)b->n_vertices;
    ccx_edge *edges = malloc((max_edges ? max_edges : 1) * sizeof(ccx_edge));
    char *tn = strdup(task_name ? task_name : "");
    char *sp = strdup(source_path ? source_path : "");
    if (b->n_inputs == 0 && !b->input_shapes) b->input_shapes = malloc(sizeof(ccx_shape));
    if (!g || !edges || !tn || !sp || b->failed || !b->input_shapes) {
        free(g); free(edges); free(tn); free(sp);
        ccx_graph_builder_free(b);
        ccx_error_set(err, "out of memory building the graph");
        return NULL;
    }
    int n_edges = 0, rc = 0, n_nodes = b->n_inputs + b->n_vertices;
    if (explicit_edges) {
        for (int i = 0; i < b->n_edges && rc == 0; i++) {
            rc = check_edge(b, &b->edges[i], err);
            if (rc && bad_edge) *bad_edge = i;
        }
        if (rc == 0) {
            int c = find_cycle(n_nodes, b->edges, b->n_edges);
            if (c == -2) rc = ccx_error_set(err, "out of memory checking the graph");
            else if (c >= 0) {
                char ls[32], ld[32];
                rc = ccx_error_set(err, "edge %s -> %s lies on a cycle (a graph's edges must form "
                                        "a DAG)", label(b->n_inputs, b->edges[c].src, ls, sizeof ls),
                                   label(b->n_inputs, b->edges[c].dst, ld, sizeof ld));
                if (bad_edge) *bad_edge = c;
            }
        }
        if (rc == 0) {
            /* sort a copy, keeping insertion indices to name a duplicate */
            if (b->n_edges > 0) { /* no edges: b->edges may be NULL */
                memcpy(edges, b->edges, (size_t)b->n_edges * sizeof(ccx_edge));
                qsort(edges, (size_t)b->n_edges, sizeof(ccx_edge), cmp_edge);
            }
            n_edges = b->n_edges;
            for (int i = 1; i < n_edges && rc == 0; i++) {
                if (edges[i].src != edges[i - 1].src || edges[i].dst != edges[i - 1].dst) continue;
                char ls[32], ld[32];
                rc = ccx_error_set(err, "edge %s -> %s appears twice (one record per pair)",
                                   label(b->n_inputs, edges[i].src, ls, sizeof ls),
                                   label(b->n_inputs, edges[i].dst, ld, sizeof ld));
                if (bad_edge) /* the second occurrence in the file */
                    for (int k = 0, seen = 0; k < b->n_edges; k++)
                        if (b->edges[k].src == edges[i].src && b->edges[k].dst == edges[i].dst &&
                            seen++) { *bad_edge = k; break; }
            }
        }
    } else {
        for (int k = 0; k < b->n_vertices; k++)
            n_edges += operand_edges(&b->vertices[k], b->n_inputs + k, edges + n_edges);
    }
    if (rc) {
        free(g); free(edges); free(tn); free(sp);
        ccx_graph_builder_free(b);
        return NULL;
    }
    g->task_name = tn;
    g->source_path = sp;
    g->n_inputs = b->n_inputs;
    g->input_names = b->input_names;
    g->input_shapes = b->input_shapes;
    g->input_dtypes = b->input_dtypes;
    g->n_vertices = b->n_vertices;
    g->vertices = b->vertices;
    g->n_outputs = b->n_outputs;
    g->outputs = b->outputs;
    g->output_names = b->output_names;
    g->n_edges = n_edges;
    g->edges = edges;
    g->tensor = 0;
    for (int i = 0; i < n_edges; i++) g->tensor |= !is_unit(&edges[i]);
    /* evaluable: scalar, every vertex a ccx op, and the records exactly the
     * operands' (graph files may say otherwise, e.g. AlphaGrad's `_` column) */
    g->evaluable = !g->tensor;
    for (int i = 0; i < g->n_inputs && g->input_dtypes; i++)
        if (g->input_dtypes[i]) g->evaluable = 0;
    int at = 0;
    for (int k = 0; k < g->n_vertices && g->evaluable; k++) {
        const ccx_vertex *v = &g->vertices[k];
        ccx_edge want[2];
        if (v->op == CCX_OP_NONE) { g->evaluable = 0; break; }
        int n = operand_edges(v, g->n_inputs + k, want);
        for (int i = 0; i < n && g->evaluable; i++, at++)
            g->evaluable = at < n_edges && edges[at].src == want[i].src && edges[at].dst == want[i].dst;
    }
    if (at != n_edges) g->evaluable = 0;
    free(b->edges);
    free(b); /* arrays now belong to g */
    return g;
}

void ccx_graph_free(ccx_graph *g) {
    if (!g) return;
    for (int i = 0; i < g->n_inputs; i++) free(g->input_names[i]);
    for (int i = 0; i < g->n_inputs && g->input_dtypes; i++) free(g->input_dtypes[i]);
    for (int i = 0; i < g->n_vertices; i++) vertex_free(&g->vertices[i]);
    for (int i = 0; i < g->n_outputs; i++) free(g->output_names[i]);
    free(g->input_names);
    free(g->input_shapes);
    free(g->input_dtypes);
    free(g->vertices);
    free(g->outputs);
    free(g->output_names);
    free(g->edges);
    free(g->task_name);
    free(g->source_path);
    free(g->origin);
    free(g);
}

void ccx_graph_sha256(const ccx_graph *g, char hex[65]) {
    /* A canonical text form, versioned so the hash can evolve deliberately. */
    ccx_sha256 s;
    char line[160];
    ccx_sha256_init(&s);
    int n = snprintf(line, sizeof line, "%s\ninputs %d\nvertices %d\noutputs",
                     g->tensor ? "ccx-graph-v2" : "ccx-graph-v1", g->n_inputs, g->n_vertices);
    ccx_sha256_update(&s, line, (size_t)n);
    for (int i = 0; i < g->n_outputs; i++) {
        n = snprintf(line, sizeof line, " %d", g->outputs[i]);
        ccx_sha256_update(&s, line, (size_t)n);
    }
    ccx_sha256_update(&s, "\n", 1);
    for (int i = 0; i < g->n_edges; i++) {
        const ccx_edge *e = &g->edges[i];
        if (g->tensor)
            n = snprintf(line, sizeof line, "e %d %d %d %d %d %d %d\n", e->src, e->dst, e->type,
                         e->out_d[0], e->out_d[1], e->primal_d[0], e->primal_d[1]);
        else /* v1: "e src dst kind rows cols" with the unit kind 0 and a 1x1 shape */
            n = snprintf(line, sizeof line, "e %d %d 0 1 1\n", e->src, e->dst);
        ccx_sha256_update(&s, line, (size_t)n);
    }
    uint8_t digest[32];
    ccx_sha256_final(&s, digest);
    ccx_sha256_hex(digest, hex);
}

int ccx_graph_require_float_inputs(const ccx_graph *g, const char *what, ccx_error *err) {
    for (int i = 0; i < g->n_inputs && g->input_dtypes; i++)
        if (g->input_dtypes[i])
            return ccx_error_set(err, "%s: input x%d (%s) is %s; %s evaluates the function at "
                                      "floating-point points only, and would feed it floats. Pass "
                                      "it as a float, or close over it (make it a constant of the "
                                      "function) before exporting",
                                 g->task_name, i + 1, g->input_names[i], g->input_dtypes[i], what);
    return 0;
}

int ccx_graph_require_evaluable(const ccx_graph *g, const char *what, ccx_error *err) {
    if (g->evaluable) return 0;
    if (ccx_graph_require_float_inputs(g, what, err)) return -1;
    if (g->tensor)
        return ccx_error_set(err, "%s is a tensor graph (vector and matrix vertices); %s works on "
                                  "scalar graphs only until Jacobians of tensor graphs land",
                             g->task_name, what);
    for (int k = 0; k < g->n_vertices; k++)
        if (g->vertices[k].op == CCX_OP_NONE)
            return ccx_error_set(err, "%s: vertex v%d (%s) is not a scalar ccx operation; %s needs "
                                      "every vertex to be one (a task file, or a graph file of "
                                      "such operations)", g->task_name, k + 1,
                                 ccx_vertex_prim(&g->vertices[k]), what);
    return ccx_error_set(err, "%s: its edge records are not those of its vertices' operands "
                              "(a graph file that says otherwise); %s needs them to be",
                         g->task_name, what);
}

int ccx_graph_eval(const ccx_graph *g, const double *inputs, double *values,
                   int *bad_vertex) {
    if (!g->evaluable) {
        if (bad_vertex) *bad_vertex = 0;
        return -1;
    }
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
    return label(g->n_inputs, node, buf, size);
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

/* "op:count" histogram of primitive names, in first-seen order */
static void write_prim_histogram(const ccx_graph *g, FILE *out) {
    const char **names = malloc((size_t)(g->n_vertices ? g->n_vertices : 1) * sizeof(char *));
    int *counts = calloc((size_t)(g->n_vertices ? g->n_vertices : 1), sizeof(int));
    if (!names || !counts) { free(names); free(counts); return; }
    int m = 0;
    for (int k = 0; k < g->n_vertices; k++) {
        const char *p = ccx_vertex_prim(&g->vertices[k]);
        int i = 0;
        while (i < m && strcmp(names[i], p) != 0) i++;
        if (i == m) names[m++] = p;
        counts[i]++;
    }
    for (int i = 0; i < m; i++) fprintf(out, " %s:%d", names[i], counts[i]);
    free(names);
    free(counts);
}

void ccx_graph_write_summary(const ccx_graph *g, FILE *out) {
    int n = ccx_graph_n_nodes(g);
    int *in_deg = malloc((size_t)(n ? n : 1) * sizeof(int));
    int *out_deg = malloc((size_t)(n ? n : 1) * sizeof(int));
    if (!in_deg || !out_deg) { free(in_deg); free(out_deg); return; }
    degrees(g, in_deg, out_deg);
    char hex[65], sb[32];
    ccx_graph_sha256(g, hex);
    fprintf(out, "task           %s\n", g->task_name);
    if (g->source_path[0]) fprintf(out, "source         %s\n", g->source_path);
    if (g->origin) fprintf(out, "origin         %s\n", g->origin);
    fprintf(out, "model          %s\n",
            g->tensor ? "tensor (edge records priced by the sparse-tensor tables)"
                      : "scalar (unit cost |P|*|S|)");
    fprintf(out, "inputs         %d\n", g->n_inputs);
    fprintf(out, "vertices       %d (%d eliminable + %d outputs)\n", g->n_vertices,
            ccx_graph_n_intermediates(g), g->n_outputs);
    fprintf(out, "edges          %d\n", g->n_edges);
    int max_in = 0, max_out = 0, dead = 0, sourceless = 0, unused_inputs = 0;
    for (int i = 0; i < n; i++) {
        if (in_deg[i] > max_in) max_in = in_deg[i];
        if (out_deg[i] > max_out) max_out = out_deg[i];
        if (i < g->n_inputs && out_deg[i] == 0) unused_inputs++;
        if (i >= g->n_inputs && !g->vertices[i - g->n_inputs].is_output) {
            dead += out_deg[i] == 0;
            sourceless += in_deg[i] == 0;
        }
    }
    fprintf(out, "max in/out deg %d / %d\n", max_in, max_out);
    if (dead) fprintf(out, "dead vertices  %d (intermediates no output depends on)\n", dead);
    if (sourceless)
        fprintf(out, "no in-edges    %d (intermediates that depend on no input)\n", sourceless);
    if (unused_inputs) fprintf(out, "unused inputs  %d\n", unused_inputs);
    fprintf(out, "graph_sha256   %s\n", hex);
    if (g->tensor) {
        int hist[CCX_SP_COUNT] = {0};
        for (int i = 0; i < g->n_edges; i++) hist[g->edges[i].type + CCX_SP_OFFSET]++;
        fprintf(out, "edge types    ");
        for (int t = CCX_SP_MIN; t <= CCX_SP_MAX; t++)
            if (hist[t + CCX_SP_OFFSET])
                fprintf(out, " %d(%s):%d", t, ccx_sparsity_name(t), hist[t + CCX_SP_OFFSET]);
        fprintf(out, "\n");
    }
    fprintf(out, "ops           ");
    write_prim_histogram(g, out);
    fprintf(out, "\ninput names   ");
    for (int i = 0; i < g->n_inputs; i++) {
        fprintf(out, " x%d=%s", i + 1, g->input_names[i]);
        if (g->input_shapes[i].rank)
            fprintf(out, "%s", ccx_shape_format(&g->input_shapes[i], sb, sizeof sb));
        if (g->input_dtypes && g->input_dtypes[i]) fprintf(out, ":%s", g->input_dtypes[i]);
    }
    fprintf(out, "\noutputs       ");
    for (int i = 0; i < g->n_outputs; i++) {
        fprintf(out, " %s=v%d", g->output_names[i], g->outputs[i]);
        const ccx_shape *s = &g->vertices[g->outputs[i] - 1].shape;
        if (s->rank) fprintf(out, "%s", ccx_shape_format(s, sb, sizeof sb));
    }
    fprintf(out, "\n");
    free(in_deg);
    free(out_deg);
}

static void write_operand(const ccx_graph *g, const ccx_operand *a, FILE *out) {
    char buf[32];
    if (a->node >= 0) fputs(ccx_graph_node_label(g, a->node, buf, sizeof buf), out);
    else if (a->node == CCX_OPERAND_ARRAY_CONST) fputs("const", out);
    else fprintf(out, "%.17g", a->constant);
}

void ccx_graph_write_vertices(const ccx_graph *g, FILE *out) {
    char sb[32];
    for (int i = 0; i < g->n_inputs; i++) {
        fprintf(out, "x%-5d input        %s", i + 1, g->input_names[i]);
        if (g->input_shapes[i].rank)
            fprintf(out, "  %s", ccx_shape_format(&g->input_shapes[i], sb, sizeof sb));
        fputc('\n', out);
    }
    for (int k = 0; k < g->n_vertices; k++) {
        const ccx_vertex *v = &g->vertices[k];
        fprintf(out, "v%-5d %-12s ", k + 1, ccx_vertex_prim(v));
        for (int i = 0, n = ccx_vertex_n_operands(v); i < n; i++) {
            if (i) fputs(", ", out);
            write_operand(g, ccx_vertex_operand(v, i), out);
        }
        if (v->op == CCX_OP_INTEGER_POW && !v->prim) fprintf(out, ", k=%ld", (long)v->param);
        if (v->params && strcmp(v->params, "{}") != 0) fprintf(out, "  %s", v->params);
        if (v->prim) fprintf(out, "  %s", ccx_shape_format(&v->shape, sb, sizeof sb));
        fprintf(out, "  %s%s", v->name ? v->name : "-", v->is_output ? " [output]" : "");
        if (v->source) fprintf(out, "  @%s", v->source);
        else if (v->line) fprintf(out, "  @%d:%d", v->line, v->col);
        fputc('\n', out);
    }
}

void ccx_graph_write_dot(const ccx_graph *g, FILE *out) {
    char a[32], b[32], sb[32];
    fprintf(out, "digraph \"%s\" {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n",
            g->task_name);
    if (g->tensor) fprintf(out, "  edge [fontname=\"Helvetica\", fontsize=9];\n");
    for (int i = 0; i < g->n_inputs; i++) {
        fprintf(out, "  x%d [shape=box, label=\"x%d\\n%s", i + 1, i + 1, g->input_names[i]);
        if (g->input_shapes[i].rank)
            fprintf(out, " %s", ccx_shape_format(&g->input_shapes[i], sb, sizeof sb));
        fprintf(out, "\"];\n");
    }
    for (int k = 0; k < g->n_vertices; k++) {
        const ccx_vertex *v = &g->vertices[k];
        fprintf(out, "  v%d [shape=%s, label=\"%d: %s", k + 1,
                v->is_output ? "doublecircle" : "ellipse", k + 1, ccx_vertex_prim(v));
        if (v->prim && v->shape.rank) fprintf(out, " %s", ccx_shape_format(&v->shape, sb, sizeof sb));
        fprintf(out, "%s%s\"];\n", v->name ? "\\n" : "", v->name ? v->name : "");
    }
    for (int i = 0; i < g->n_edges; i++) {
        const ccx_edge *e = &g->edges[i];
        fprintf(out, "  %s -> %s", ccx_graph_node_label(g, e->src, a, sizeof a),
                ccx_graph_node_label(g, e->dst, b, sizeof b));
        /* label: type and the record's dims, out <- primal */
        if (g->tensor)
            fprintf(out, " [label=\"%d %s\\n%dx%d<-%dx%d\"]", e->type, ccx_sparsity_name(e->type),
                    e->out_d[0], e->out_d[1], e->primal_d[0], e->primal_d[1]);
        fprintf(out, ";\n");
    }
    fprintf(out, "}\n");
}

int ccx_graph_builder_set_op(ccx_graph_builder *b, int32_t node, ccx_op op, double param) {
    int k = node - b->n_inputs;
    const ccx_op_info *info = ccx_op_get(op);
    if (k < 0 || k >= b->n_vertices || !info) return -1;
    ccx_vertex *v = &b->vertices[k];
    if (!v->operands || v->n_operands != info->arity) return -1;
    int any_node = 0;
    for (int i = 0; i < info->arity; i++) {
        v->args[i] = v->operands[i];
        any_node |= v->operands[i].node >= 0;
    }
    if (!any_node) return -1;
    v->n_args = info->arity;
    v->op = op;
    v->param = param;
    return 0;
}
