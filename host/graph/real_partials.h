/* The local Jacobian of every edge of a graph in the structured form of the
 * real-work cost model (game/real_cost.h): what ccx's Jacobian code holds
 * for it before any elimination.
 *
 * Graph-file vertices (a primitive and its operands) get the form the JAX
 * runtime's _partial builds (host/jac/jax_tensor_runtime.py; C twin here,
 * tested equal through multiplications()): +-1 for add, sub, neg, copy and
 * float conversions; 1.0 with pairs for broadcast_in_dim, reduce_sum,
 * transpose and size-1 reshapes; the other operand for dot_general; 0/1
 * selections for slice and concatenate; the derivative over the result for
 * elementwise primitives; dense otherwise; zero for stop_gradient, floor,
 * ceil, round, sign and for a record no operand explains.
 *
 * Task-language vertices (scalar ops) get what the scalar code generator
 * writes (jac/codegen.c): a constant when the partial is a compile-time
 * constant there (ccx_scalar_partial_constant), data otherwise. */
#ifndef CCX_GRAPH_REAL_PARTIALS_H
#define CCX_GRAPH_REAL_PARTIALS_H

#include "game/real_cost.h"
#include "graph/graph.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 and *c = d v / d node(src) when the scalar code generator writes it as a
 * compile-time constant (neg, add, sub, copy, a product or quotient with a
 * literal, x**0, x**1; summed when src is both operands); 0 otherwise. */
int ccx_scalar_partial_constant(const ccx_vertex *v, int32_t src, double *c);

/* The shape of node as the real model reads it. */
ccx_lax_shape ccx_lax_shape_of(const ccx_graph *g, int32_t node);

/* out[e] = the structured local Jacobian of g->edges[e], for every edge. -1
 * with err naming the vertex, its primitive and source line when a vertex
 * lacks what the form needs (operands, a parameter). */
int ccx_real_partials(const ccx_graph *g, ccx_lax *out, ccx_error *err);

#ifdef __cplusplus
}
#endif
#endif
