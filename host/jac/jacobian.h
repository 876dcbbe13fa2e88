/* The Jacobian interpreter: vertex elimination on numbers.
 *
 * At a point x every vertex value and every local partial is computed
 * (ccx_graph_eval + ccx_op_partials) and put on the edges: the edge i -> j
 * carries c_ji = d v_j / d v_i (for x*x, one edge, the partial is the sum of
 * both operands' partials). Then the intermediates are eliminated in the
 * given order, exactly as the elimination game (game/game.h) does it: for
 * vertex j, for every p in P(j) (ascending node id) and s in S(j)
 * (ascending),
 *
 *     c_sp += c_sj * c_jp        (a fill-in edge p -> s starts at 0),
 *
 * then every edge into and out of j is dropped. That is |P(j)|*|S(j)|
 * multiplications, so the multiplications performed equal ccx_order_cost of
 * the order; the interpreter counts them and fails (as an internal error) if
 * they differ.
 *
 * Outputs are never eliminated. When every intermediate is gone the graph is
 * bipartite except for output -> output edges (an output that feeds another
 * output, directly or through intermediates). The Jacobian row of such an
 * output o then needs the rows of the outputs q that feed it:
 *
 *     J[o] = c(inputs -> o) + sum over q -> o of c_oq * J[q],
 *
 * done for outputs in increasing vertex number (a topological order) after the
 * elimination. These "back-substitution" multiplications are not part of the
 * game's cost and are counted separately (they are 0 for the paper tasks and
 * for graphs from ccx gen, whose outputs have no successors).
 *
 * The schedule of multiply-adds depends only on the graph and the order, so
 * it is computed once (ccx_jac_plan) and shared by the interpreter and the
 * code generator (jac/codegen.h): emitted code and interpreter perform the
 * same operations in the same sequence.
 *
 * Bad points (a non-finite input, value or local partial: sqrt of a negative,
 * log of 0, division by 0, ...) are errors that name the vertex, its op, the
 * operand values and the task-file line; they are never hidden. */
#ifndef CCX_JAC_JACOBIAN_H
#define CCX_JAC_JACOBIAN_H

#include <stddef.h>
#include <stdint.h>

#include "graph/graph.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One multiply-add on edge slots: dst = a * b (fill: a new edge) or
 * dst += a * b. */
typedef struct {
    int32_t dst, a, b;
    uint8_t fill;
} ccx_jac_step;

typedef struct {
    const ccx_graph *graph;
    int n_order;
    int32_t *order;        /* copy of the order (vertex numbers) */
    int64_t cost;          /* ccx_order_cost of the order */
    /* Edge slots: every edge that ever exists. Slot k holds d node slot_dst[k]
     * / d node slot_src[k] (node ids). Slots 0..n_edges-1 are g->edges in
     * order; fill-in edges follow in the order they appear. */
    int32_t n_slots;
    int32_t *slot_src, *slot_dst;
    /* Elimination: steps[elim_begin[k] .. elim_begin[k+1]) eliminate order[k];
     * n_steps == cost. */
    int64_t n_steps;
    ccx_jac_step *steps;
    int64_t *elim_begin;   /* [n_order + 1] */
    /* Output -> output back-substitution (not part of the game cost). */
    int64_t n_back;
    ccx_jac_step *back;
    /* jac_slot[o * n_inputs + i]: slot holding J[o][i] at the end, or -1
     * where the entry is structurally zero. o indexes g->outputs. */
    int32_t *jac_slot;
} ccx_jac_plan;

/* Validate the order (ccx_order_validate's messages) and build the schedule
 * by playing it through the game. 0 on success; plan is empty on failure. */
int ccx_jac_plan_build(const ccx_graph *g, const int32_t *order, int n, ccx_jac_plan *plan,
                       ccx_error *err);
void ccx_jac_plan_free(ccx_jac_plan *plan);

/* Values of every node (values[n_nodes]) and local partials of every edge
 * (partials[g->n_edges], in g->edges order) at input point x[n_inputs].
 * Fails on the first non-finite input, value or partial, naming it. */
int ccx_jac_local(const ccx_graph *g, const double *x, double *values, double *partials,
                  ccx_error *err);

typedef struct {
    int64_t mults;       /* elimination multiplications performed (== plan->cost) */
    int64_t back_mults;  /* output -> output back-substitution multiplications */
} ccx_jac_counts;

/* The interpreter. y[n_outputs] (may be NULL) and J[n_outputs * n_inputs]
 * (row-major: J[o * n_inputs + i] = d y_o / d x_i). counts may be NULL. */
int ccx_jac_eval(const ccx_jac_plan *plan, const double *x, double *y, double *J,
                 ccx_jac_counts *counts, ccx_error *err);

/* Forward-mode dual-number reference (a tangent vector over all inputs per
 * node, propagated vertex by vertex); independent of any elimination. Same
 * layout and error reporting as ccx_jac_eval. */
int ccx_jac_dual(const ccx_graph *g, const double *x, double *y, double *J, ccx_error *err);

/* The scale of each Jacobian entry for comparing orders: the same forward
 * propagation as ccx_jac_dual with every local partial replaced by its
 * absolute value, i.e. S[o][i] = sum over all paths i -> o of the product of
 * |partials| along the path. Any elimination order computes J[o][i] as a
 * rearranged sum of exactly these path products, so its rounding error is
 * bounded by a small multiple of eps * S[o][i], whereas |J[o][i]| itself can
 * be far smaller after cancellation. S[n_outputs * n_inputs]. */
int ccx_jac_abs_scale(const ccx_graph *g, const double *x, double *S, ccx_error *err);

/* Largest absolute difference and largest relative difference between a[n]
 * and ref[n]. Without scale (NULL) the relative difference of an entry is
 * |a - r| / max(|a|, |r|) (0 where both are 0); with scale (ccx_jac_abs_scale)
 * it is |a - r| / scale (0 where the difference is 0). */
void ccx_jac_compare(const double *a, const double *ref, const double *scale, size_t n,
                     double *max_abs, double *max_rel);

/* Default point: the first point of the pseudo-random sequence seeded with
 * seed, uniform in [lo, hi]^n_inputs, at which every value, local partial
 * and Jacobian entry is finite (up to max_tries draws). x[n_inputs]. 0 on
 * success; otherwise an error carrying the last failure. *tries (may be NULL)
 * gets the number of draws used. */
int ccx_jac_find_point(const ccx_graph *g, uint64_t seed, double lo, double hi, int max_tries,
                       double *x, int *tries, ccx_error *err);

/* The CLI's default: seed 1, [0.5, 1.5], 1000 draws. */
#define CCX_JAC_DEFAULT_SEED 1
#define CCX_JAC_DEFAULT_LO 0.5
#define CCX_JAC_DEFAULT_HI 1.5
#define CCX_JAC_DEFAULT_TRIES 1000

#ifdef __cplusplus
}
#endif
#endif
