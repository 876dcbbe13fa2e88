/* Graph files: computational graphs as JSON, with tensor-valued vertices.
 *
 * Two formats are read; one is written.
 *
 * ccx graph file ("format": "ccx-graph", "version": 1):
 *
 *   {"format": "ccx-graph", "version": 1, "task": "RoeFlux_3d",
 *    "origin": "free text: where the graph came from",          (optional)
 *    "inputs":   [{"name": "ul0", "shape": [1, 1]}, ...],
 *    "vertices": [{"prim": "dot_general", "shape": [4, 4],
 *                  "operands": ["x3", "v2", 0.5],                 (x<i> input, v<k> vertex,
 *                                                                  a number = a literal)
 *                  "params": {...}, "source": "roe.py:42",      (optional)
 *                  "name": "du0"}, ...],                          (optional)
 *    "outputs":  [{"vertex": "v142", "name": "phi0"}, ...],     (or just "v142")
 *    "edges":    [["x3", "v1", -2, 4, 4, 4, 4], ...]}           ([src, dst, type,
 *                                                                  out_d1, out_d2,
 *                                                                  primal_d1, primal_d2])
 *
 * Vertex k is the k-th entry of "vertices" (a "v": k field, if present, must
 * say so). Shapes are JAX shapes of rank 0..2 ([], [n], [n, m]); every edge is
 * a record of docs/tensor_model.md §1 whose out dims are its target's shape and
 * whose primal dims are its source's shape, both normalised, except that a
 * reshape-like (type 11) record may carry another operand's primal dims, as
 * AlphaGrad's concatenate records do. A vertex whose primitive is a scalar
 * ccx op (ops.h names: add, mul, sin, integer_pow with params.y, ...) with
 * that many operands makes, if every vertex does and the edges are exactly
 * the operands', an evaluable graph (jacobian, codegen work on it).
 *
 * AlphaGrad's raw graph JSON (the files AlphaGrad's make_graph produced,
 * tests/data/alphagrad/NAME.json): an "edges" tensor [5][1 + n_in + n_v][n_v]
 * (header row, then one row per input and per vertex as source, one column
 * per vertex as target; docs/tensor_model.md §1). Its masks must describe an
 * initial graph (only outputs masked). Optional keys are used when present:
 * "task", "outputs" (the output order), "input_shapes" and "vertices"
 * (prim, out_shape, ins, params), else shapes come from the records.
 *
 * Every error names the file and the JSON path of the offending entry
 * ("f.json: $.edges[12][2]: unknown sparsity type 13 ..."), or the line and
 * column of a JSON syntax error; a bad file never yields a graph. */
#ifndef CCX_IO_GRAPH_FILE_H
#define CCX_IO_GRAPH_FILE_H

#include <stddef.h>

#include "graph/graph.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CCX_GRAPH_FILE_MAX_BYTES ((size_t)256 << 20)

/* 1 if text looks like JSON (its first non-blank character is '{'). */
int ccx_graph_file_is_json(const char *text, size_t len);
/* Parse either format from text; path names the file in messages and the
 * task (its stem, less .graph.json / .json) unless the file has "task". */
ccx_graph *ccx_graph_file_parse(const char *text, size_t len, const char *path, ccx_error *err);
/* The ccx graph file of g (malloc'd JSON text, caller frees); NULL if out
 * of memory. Task-language graphs get prims, literal operands, params (y of
 * integer_pow) and sources ("file.ccx:line:col"). */
char *ccx_graph_file_to_json(const ccx_graph *g);
/* Write ccx_graph_file_to_json atomically ("-" = stdout). */
int ccx_graph_file_write(const char *path, const ccx_graph *g, ccx_error *err);

#ifdef __cplusplus
}
#endif
#endif
