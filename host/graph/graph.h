/* The computational graph of one task.
 *
 * Numbering (docs/task_language.md): inputs are numbered 1..n_inputs in declaration
 * order; vertices (every op with a non-constant operand, or every jaxpr
 * equation of a graph file) 1..n_vertices in evaluation order. Orders speak
 * of vertex numbers. Internally every node has one id: inputs
 * 0..n_inputs-1, then vertex k at n_inputs + k - 1; edges and operands use
 * node ids.
 *
 * Edges are records (docs/tensor_model.md §1): the sparsity type of the edge's
 * Jacobian (graph/sparsity.h) and the shapes of its target ("out" dims) and
 * of its source ("primal" dims), each normalised to two dims. A *scalar*
 * graph has only dense 1x1 records: the elimination game prices it with the
 * unit model |P|*|S| on bitsets. Any other record makes a *tensor* graph,
 * priced by the record path. Task-language graphs are scalar; graph files
 * (io/graph_file.h) may be either. */
#ifndef CCX_GRAPH_GRAPH_H
#define CCX_GRAPH_GRAPH_H

#include <stdint.h>
#include <stdio.h>

#include "graph/ops.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest dim and element count a shape may have: keeps every pair cost
 * (at most |s|*|v|*|p| elements) inside int64. */
#define CCX_SHAPE_MAX_ELEMENTS (1 << 20)

/* A value's shape as JAX has it: rank 0 (scalar), 1 (n,) or 2 (n, m). */
typedef struct {
    int8_t rank;
    int32_t dims[2];
} ccx_shape;

/* docs/tensor_model.md §1 normalisation: one element -> (1,1), (n,) -> (n,1),
 * (n,m) stays. */
static inline void ccx_shape_record_dims(const ccx_shape *s, int32_t out[2]) {
    int64_t n = s->rank == 0 ? 1 : s->rank == 1 ? s->dims[0] : (int64_t)s->dims[0] * s->dims[1];
    if (n == 1) { out[0] = out[1] = 1; return; }
    out[0] = s->rank >= 1 ? s->dims[0] : 1;
    out[1] = s->rank == 2 ? s->dims[1] : 1;
}
static inline int64_t ccx_shape_elements(const ccx_shape *s) {
    return s->rank == 0 ? 1 : s->rank == 1 ? s->dims[0] : (int64_t)s->dims[0] * s->dims[1];
}
/* "[]", "[4]", "[4,3]" into buf. */
const char *ccx_shape_format(const ccx_shape *s, char *buf, size_t size);

typedef struct {
    int32_t src, dst;    /* node ids */
    int8_t type;         /* sparsity type (graph/sparsity.h); CCX_SP_DENSE on scalar graphs */
    int32_t out_d[2];    /* the record's out dims: dst's shape */
    int32_t primal_d[2]; /* the record's primal dims: src's shape (AlphaGrad's concatenate
                          * records may carry another operand's; docs/tensor_model.md 7.10) */
} ccx_edge;

/* An operand's node when it is no node: a literal number (NaN and inf
 * included), or an array constant whose values a graph file leaves out
 * ("const"; constant is then NaN, and code that needs the values refuses). */
enum { CCX_OPERAND_LITERAL = -1, CCX_OPERAND_ARRAY_CONST = -2 };

typedef struct {
    int32_t node;    /* node id, or CCX_OPERAND_LITERAL / CCX_OPERAND_ARRAY_CONST */
    double constant; /* value when node == CCX_OPERAND_LITERAL */
} ccx_operand;

typedef struct {
    ccx_op op;             /* CCX_OP_NONE when the primitive has no ccx op */
    int n_args;            /* 1 or 2 (scalar ops) */
    ccx_operand args[2];
    double param;          /* k for integer_pow, else 0 */
    int is_output;
    int line, col;         /* where in the task file it was created (0: unknown) */
    char *name;            /* variable it was first assigned to, or NULL */
    /* graph files only (NULL / 0 for task-language vertices): */
    char *prim;            /* primitive name as the file gives it ("dot_general") */
    ccx_shape shape;       /* the value's shape (rank 0 for task-language vertices) */
    int n_operands;        /* operands when the file lists them (any number) */
    ccx_operand *operands;
    char *params;          /* the primitive's parameters as JSON object text, or NULL */
    char *source;          /* the user's source location ("roe.py:42"), or NULL */
} ccx_vertex;

/* The primitive's name: prim, else the op's canonical name. */
const char *ccx_vertex_prim(const ccx_vertex *v);
/* Operands in order (graph-file operands when present, else args). */
static inline int ccx_vertex_n_operands(const ccx_vertex *v) {
    return v->operands ? v->n_operands : v->n_args;
}
static inline const ccx_operand *ccx_vertex_operand(const ccx_vertex *v, int i) {
    return v->operands ? &v->operands[i] : &v->args[i];
}

typedef struct {
    char *task_name;    /* file stem, e.g. "RoeFlux_1d" */
    char *source_path;  /* path it was loaded from ("" for in-memory text) */
    char *origin;       /* where the graph came from (graph files), or NULL */
    int n_inputs;
    char **input_names;
    ccx_shape *input_shapes; /* [n_inputs] (rank 0 for task-language inputs) */
    char **input_dtypes;     /* [n_inputs]: NULL for floating point, else the dtype of an input
                              * that carries no derivative ("int32", "bool"); graph files only */
    int n_vertices;
    ccx_vertex *vertices;   /* vertex k at vertices[k - 1] */
    int n_outputs;
    int32_t *outputs;       /* vertex numbers, in `output` order */
    char **output_names;
    int n_edges;
    ccx_edge *edges;        /* sorted by (dst, src); at most one per (src, dst) */
    int tensor;             /* some record is not dense 1x1: the record path prices it */
    int evaluable;          /* every vertex is a scalar ccx op whose operands are exactly
                             * its in-edges: ccx_graph_eval, jacobian and codegen work */
    int cost_model;         /* the cost model every game of this graph plays (ccx_cost_model,
                             * game/game.h): CCX_COST_ALPHAGRAD unless a command's --cost
                             * says otherwise */
} ccx_graph;

static inline int ccx_graph_n_nodes(const ccx_graph *g) { return g->n_inputs + g->n_vertices; }
static inline int ccx_graph_n_intermediates(const ccx_graph *g) { return g->n_vertices - g->n_outputs; }
static inline int32_t ccx_node_of_vertex(const ccx_graph *g, int vertex) { return g->n_inputs + vertex - 1; }
/* Vertex number of a node id, or 0 for an input. */
static inline int ccx_vertex_of_node(const ccx_graph *g, int32_t node) {
    return node < g->n_inputs ? 0 : node - g->n_inputs + 1;
}
/* The shape of a node (input or vertex). */
static inline const ccx_shape *ccx_graph_node_shape(const ccx_graph *g, int32_t node) {
    return node < g->n_inputs ? &g->input_shapes[node] : &g->vertices[node - g->n_inputs].shape;
}

/* ---- building (used by the task tracer, the graph-file reader, the
 * random generators and tests) ---- */
typedef struct ccx_graph_builder ccx_graph_builder;

ccx_graph_builder *ccx_graph_builder_new(void);
void ccx_graph_builder_free(ccx_graph_builder *b);
/* Each returns the new node id, or -1 on allocation failure / limit. */
int32_t ccx_graph_builder_input(ccx_graph_builder *b, const char *name);
int32_t ccx_graph_builder_input_shaped(ccx_graph_builder *b, const char *name,
                                       const ccx_shape *shape);
/* Mark input `id` as not floating point (dtype "int32", "bool", ...): it
 * has no derivative, and code that evaluates the function refuses the
 * graph (ccx_graph_require_evaluable) rather than feed it floats. */
int ccx_graph_builder_input_dtype(ccx_graph_builder *b, int32_t id, const char *dtype);
/* A scalar op vertex of the task language; its edges are derived from its
 * operands (one dense 1x1 record per distinct node operand). When the edges
 * are derived, an output that other vertices use gets a copy vertex at
 * finish: the original becomes an ordinary vertex and the copy (op copy,
 * appended after every vertex, a dense 1x1 edge from the original) becomes
 * the output, so no output feeds another vertex and the game's cost counts
 * every multiplication of the Jacobian. */
int32_t ccx_graph_builder_vertex(ccx_graph_builder *b, ccx_op op, int n_args,
                                 const ccx_operand *args, double param,
                                 int line, int col);
/* A vertex of a graph file: any primitive, shape and operand list; prim,
 * params (JSON object text) and source may be NULL. The strings and operands
 * are copied. Its edges come from ccx_graph_builder_edge. */
int32_t ccx_graph_builder_prim_vertex(ccx_graph_builder *b, const char *prim,
                                      const ccx_shape *shape, int n_operands,
                                      const ccx_operand *operands, const char *params,
                                      const char *source);
/* An explicit edge record (graph files). A builder with explicit edges uses
 * only those; one without derives scalar records from the operands. */
int ccx_graph_builder_edge(ccx_graph_builder *b, const ccx_edge *e);
/* The edges are given explicitly even if none follow (a graph file whose
 * edge list is empty has no edges). */
void ccx_graph_builder_records_given(ccx_graph_builder *b);
int ccx_graph_builder_n_vertices(const ccx_graph_builder *b);
/* Name a vertex after the variable it was assigned to (first name wins). */
void ccx_graph_builder_name(ccx_graph_builder *b, int32_t node, const char *name);
/* Mark a vertex node as an output (in order). -1 if not a vertex or repeated. */
int ccx_graph_builder_output(ccx_graph_builder *b, int32_t node, const char *name);
/* Finish: sorts and checks the edges (endpoints, one record per pair, valid
 * types, dims in 1..CCX_SHAPE_MAX_ELEMENTS, out dims = the target's shape,
 * primal dims = the source's shape except on reshape-like records, no edge
 * into an input, no cycle), decides scalar/tensor and evaluable; consumes
 * the builder. NULL on failure (err says which edge). */
ccx_graph *ccx_graph_builder_finish(ccx_graph_builder *b, const char *task_name,
                                    const char *source_path, ccx_error *err);
/* The same, also reporting the insertion index of an offending explicit edge
 * in *bad_edge (-1 when the failure is not about one edge), so a file reader
 * can name the entry. */
ccx_graph *ccx_graph_builder_finish_at(ccx_graph_builder *b, const char *task_name,
                                       const char *source_path, int *bad_edge, ccx_error *err);
/* Make a graph-file vertex evaluable: the scalar op it performs (its operands
 * become the op's arguments; their count must be the op's arity) and its
 * parameter (integer_pow's k). -1 if it does not fit. */
int ccx_graph_builder_set_op(ccx_graph_builder *b, int32_t node, ccx_op op, double param);

void ccx_graph_free(ccx_graph *g);

/* ---- queries ---- */
/* SHA-256 (hex, 64 chars + NUL) of the structure that decides elimination
 * costs: counts, output vertex numbers and the edge records. Scalar graphs
 * hash as they always have ("ccx-graph-v1", records written as the unit
 * kind), so order files written before tensor graphs still match; tensor
 * graphs hash every record field ("ccx-graph-v2"). Op kinds, names, shapes
 * beyond the records and constants are not part of it. */
void ccx_graph_sha256(const ccx_graph *g, char hex[65]);
/* Evaluate every node at the given input point: values[n_nodes]. Returns 0,
 * or -1 and the first vertex whose value is not finite in *bad_vertex.
 * Needs an evaluable graph (returns -1, *bad_vertex = 0, otherwise). */
int ccx_graph_eval(const ccx_graph *g, const double *inputs, double *values,
                   int *bad_vertex);
/* 0 if g->evaluable; else -1 with a message naming what (jacobian,
 * codegen, ...) cannot run on g and why. */
int ccx_graph_require_evaluable(const ccx_graph *g, const char *what, ccx_error *err);
/* 0, or -1 naming the first input that is not floating point (input_dtypes):
 * the code generators and the interpreter evaluate at float points only. */
int ccx_graph_require_float_inputs(const ccx_graph *g, const char *what, ccx_error *err);
/* Human summary (counts, degrees, op histogram; shapes and edge types on
 * tensor graphs) and Graphviz DOT (tensor edges labelled type and dims). */
void ccx_graph_write_summary(const ccx_graph *g, FILE *out);
void ccx_graph_write_dot(const ccx_graph *g, FILE *out);
/* One line per vertex: number, op, operands (x<i> inputs, v<k> vertices,
 * constants), variable name, output mark, task-file location; shapes and
 * source lines on graph files. */
void ccx_graph_write_vertices(const ccx_graph *g, FILE *out);
/* "x3" for input 3, "v12" for vertex 12: how every listing names a node. */
const char *ccx_graph_node_label(const ccx_graph *g, int32_t node, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
