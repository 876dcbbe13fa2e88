/* The elimination game, CPU reference (DESIGN.md "The elimination game").
 *
 * State is a dense padded adjacency over all nodes (inputs, then vertices),
 * n_pad = n_nodes rounded up to a multiple of 32, stored as bitset rows of
 * n_pad/32 32-bit words: preds[node] and succs[node]. This is the layout the
 * batched CPU and CUDA environments use (env/env.h); the rule below is
 * defined once, in game/eliminate.h (ccx_eliminate_rows), which this game and
 * the batched CPU environments share:
 *
 *     cost(j) = |P(j)| * |S(j)|, fill-in p->s for all p in P(j), s in S(j),
 *     then every edge into and out of j is removed.
 *
 * Vertices are addressed by their 1-based vertex number. */
#ifndef CCX_GAME_GAME_H
#define CCX_GAME_GAME_H

#include <stddef.h>
#include <stdint.h>

#include "graph/graph.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest graph the dense game accepts (nodes = inputs + vertices). */
#define CCX_GAME_MAX_NODES 8192

typedef enum {
    CCX_KIND_PADDING = 0,
    CCX_KIND_INPUT = 1,
    CCX_KIND_INTERMEDIATE = 2,
    CCX_KIND_OUTPUT = 3,
    CCX_KIND_ELIMINATED = 4,
} ccx_node_kind;

typedef struct {
    const ccx_graph *graph;
    int n_inputs, n_vertices, n_nodes;
    int n_pad;            /* multiple of 32, >= n_nodes */
    int words;            /* n_pad / 32 */
    uint32_t *preds;      /* [n_pad][words]: bit p of row v set iff p -> v */
    uint32_t *succs;      /* [n_pad][words]: bit s of row v set iff v -> s */
    uint8_t *kind;        /* [n_pad] ccx_node_kind */
    uint32_t *init_preds, *init_succs; /* reset template */
    int remaining;        /* intermediates not yet eliminated */
    int64_t cost;         /* accumulated cost of this episode */
} ccx_game;

int ccx_game_init(ccx_game *game, const ccx_graph *g, ccx_error *err);
void ccx_game_free(ccx_game *game);
void ccx_game_reset(ccx_game *game);
/* 1 iff vertex is an intermediate not yet eliminated. Out-of-range -> 0. */
int ccx_game_is_legal(const ccx_game *game, int vertex);
/* mask[k-1] = legality of vertex k, for k = 1..n_vertices. */
void ccx_game_legal_mask(const ccx_game *game, uint8_t *mask);
/* |P(v)| * |S(v)| in the current state. */
int64_t ccx_game_markowitz(const ccx_game *game, int vertex);
int ccx_game_in_degree(const ccx_game *game, int vertex);
int ccx_game_out_degree(const ccx_game *game, int vertex);
/* Eliminate a legal vertex; returns its cost (>= 0), or -1 if illegal. */
int64_t ccx_game_step(ccx_game *game, int vertex);
static inline int ccx_game_done(const ccx_game *game) { return game->remaining == 0; }

/* ---- snapshots (game/snapshot.c; searches: prefix caches, beam states) ----
 * The mutable state (adjacency, kinds, remaining, cost) as a flat buffer of
 * ccx_game_state_size() bytes; load restores exactly what save stored (into
 * a game initialised for the same graph). */
size_t ccx_game_state_size(const ccx_game *game);
void ccx_game_save(const ccx_game *game, void *buf);
void ccx_game_load(ccx_game *game, const void *buf);
/* Reset, then eliminate every vertex k with eliminated[k-1] != 0, in
 * increasing number. The graph after a set of eliminations depends only on
 * the set (p->s is an edge iff the original graph has a path p->..->s whose
 * interior lies in the set), so this is the state any order of the set
 * reaches; only the accumulated cost depends on the order. Returns the cost
 * of this replay, or -1 (state reset) if the set names a non-intermediate. */
int64_t ccx_game_set_eliminated(ccx_game *game, const uint8_t *eliminated);

/* ---- orders ---- */
typedef enum {
    CCX_BASELINE_FORWARD = 0,
    CCX_BASELINE_REVERSE = 1,
    CCX_BASELINE_MARKOWITZ = 2,
} ccx_baseline;

typedef struct {
    int64_t forward, reverse, markowitz;
} ccx_baselines;

const char *ccx_baseline_name(ccx_baseline b);
/* Fill order[n_intermediates]; returns its cost, or -1 on failure. */
int64_t ccx_baseline_order(const ccx_graph *g, ccx_baseline which, int32_t *order,
                           ccx_error *err);
int ccx_baselines_compute(const ccx_graph *g, ccx_baselines *out, ccx_error *err);

/* Check that order[n] names every intermediate exactly once. On failure the
 * message names the first offending entry (1-based position and value). */
int ccx_order_validate(const ccx_graph *g, const int32_t *order, int n, ccx_error *err);
/* Validate, then play the order; *cost = total. 0 on success. */
int ccx_order_cost(const ccx_graph *g, const int32_t *order, int n, int64_t *cost,
                   ccx_error *err);

#ifdef __cplusplus
}
#endif
#endif
