/* The computational graph of one task.
 *
 * Numbering (DESIGN.md): inputs are numbered 1..n_inputs in declaration
 * order; vertices (every op with a non-constant operand) 1..n_vertices in
 * evaluation order. Orders speak of vertex numbers. Internally every node has
 * one id: inputs 0..n_inputs-1, then vertex k at n_inputs + k - 1; edges and
 * operands use node ids.
 *
 * Edges are records, not bits: each carries the shape and sparsity kind of
 * its local Jacobian so that vector- and matrix-valued vertices can come
 * later. Today every edge is CCX_JAC_SCALAR with shape 1x1. */
#ifndef CCX_GRAPH_GRAPH_H
#define CCX_GRAPH_GRAPH_H

#include <stdint.h>
#include <stdio.h>

#include "graph/ops.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CCX_JAC_SCALAR = 0, /* 1x1 local partial */
    /* reserved: CCX_JAC_DIAGONAL, CCX_JAC_IDENTITY, CCX_JAC_DENSE */
} ccx_jac_kind;

typedef struct {
    int32_t src, dst;  /* node ids */
    uint8_t kind;      /* ccx_jac_kind */
    int32_t rows, cols; /* shape of the local Jacobian d dst / d src */
} ccx_edge;

typedef struct {
    int32_t node;    /* node id, or -1 for a constant */
    double constant; /* value when node == -1 */
} ccx_operand;

typedef struct {
    ccx_op op;
    int n_args;            /* 1 or 2 */
    ccx_operand args[2];
    double param;          /* k for integer_pow, else 0 */
    int is_output;
    int line, col;         /* where in the task file it was created */
    char *name;            /* variable it was first assigned to, or NULL */
} ccx_vertex;

typedef struct {
    char *task_name;    /* file stem, e.g. "RoeFlux_1d" */
    char *source_path;  /* path it was loaded from ("" for in-memory text) */
    int n_inputs;
    char **input_names;
    int n_vertices;
    ccx_vertex *vertices;   /* vertex k at vertices[k - 1] */
    int n_outputs;
    int32_t *outputs;       /* vertex numbers, in `output` order */
    char **output_names;
    int n_edges;
    ccx_edge *edges;        /* sorted by (dst, src); one per distinct operand */
} ccx_graph;

static inline int ccx_graph_n_nodes(const ccx_graph *g) { return g->n_inputs + g->n_vertices; }
static inline int ccx_graph_n_intermediates(const ccx_graph *g) { return g->n_vertices - g->n_outputs; }
static inline int32_t ccx_node_of_vertex(const ccx_graph *g, int vertex) { return g->n_inputs + vertex - 1; }
/* Vertex number of a node id, or 0 for an input. */
static inline int ccx_vertex_of_node(const ccx_graph *g, int32_t node) {
    return node < g->n_inputs ? 0 : node - g->n_inputs + 1;
}

/* ---- building (used by the task tracer and by tests) ---- */
typedef struct ccx_graph_builder ccx_graph_builder;

ccx_graph_builder *ccx_graph_builder_new(void);
void ccx_graph_builder_free(ccx_graph_builder *b);
/* Each returns the new node id, or -1 on allocation failure / limit. */
int32_t ccx_graph_builder_input(ccx_graph_builder *b, const char *name);
int32_t ccx_graph_builder_vertex(ccx_graph_builder *b, ccx_op op, int n_args,
                                 const ccx_operand *args, double param,
                                 int line, int col);
int ccx_graph_builder_n_vertices(const ccx_graph_builder *b);
/* Name a vertex after the variable it was assigned to (first name wins). */
void ccx_graph_builder_name(ccx_graph_builder *b, int32_t node, const char *name);
/* Mark a vertex node as an output (in order). -1 if not a vertex or repeated. */
int ccx_graph_builder_output(ccx_graph_builder *b, int32_t node, const char *name);
/* Finish: computes the edge list; consumes the builder. NULL on failure. */
ccx_graph *ccx_graph_builder_finish(ccx_graph_builder *b, const char *task_name,
                                    const char *source_path, ccx_error *err);

void ccx_graph_free(ccx_graph *g);

/* ---- queries ---- */
/* SHA-256 (hex, 64 chars + NUL) of the structure that decides elimination
 * costs: counts, output vertex numbers and the edge list with kinds and
 * shapes. Stable across runs and platforms; op kinds and constants are not
 * part of it. */
void ccx_graph_sha256(const ccx_graph *g, char hex[65]);
/* Evaluate every node at the given input point: values[n_nodes]. Returns 0,
 * or -1 and the first vertex whose value is not finite in *bad_vertex. */
int ccx_graph_eval(const ccx_graph *g, const double *inputs, double *values,
                   int *bad_vertex);
/* Human summary (counts, degrees, op histogram) and Graphviz DOT. */
void ccx_graph_write_summary(const ccx_graph *g, FILE *out);
void ccx_graph_write_dot(const ccx_graph *g, FILE *out);
/* One line per vertex: number, op, operands (x<i> inputs, v<k> vertices,
 * constants), variable name, output mark, task-file location. */
void ccx_graph_write_vertices(const ccx_graph *g, FILE *out);
/* "x3" for input 3, "v12" for vertex 12: how every listing names a node. */
const char *ccx_graph_node_label(const ccx_graph *g, int32_t node, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
