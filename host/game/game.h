/* The elimination game, CPU reference (docs/design.md "The elimination game",
 * docs/tensor_model.md §2-4): the one place an elimination is priced.
 *
 * State is a dense padded adjacency over all nodes (inputs, then vertices),
 * n_pad = n_nodes rounded up to a multiple of 32, stored as bitset rows of
 * n_pad/32 32-bit words: preds[node] and succs[node]. Two cost models:
 *
 *   scalar graphs (every record dense 1x1): the bitsets are the whole state
 *   and the rule is game/eliminate.h (ccx_eliminate_rows), shared with the
 *   batched CPU environments:
 *       cost(j) = |P(j)| * |S(j)|, fill-in p->s for all p in P(j), s in S(j),
 *       then every edge into and out of j is removed.
 *
 *   tensor graphs: a dense padded record matrix beside the bitsets, row =
 *   source, column = target (game/records.h): type (the sparsity type) and var (which of
 *   the source's primal dims the record carries). A record's out dims are
 *   always its target's shape (fill-in copies them from an edge into the
 *   same target), and its primal dims one of the few its source's original
 *   out-edges carry (fill-in copies them from an edge out of the same
 *   source), so these two bytes and two per-graph tables hold the full
 *   [type, o1, o2, p1, p2] record. Eliminating j costs the sum over
 *   p in P(j), s in S(j) of the pair cost of (p->j, j->s) and writes
 *   p->s = ADD[old p->s][MUL[p->j][j->s]] with p->j's primal dims
 *   (graph/sparsity.h has the tables).
 *
 * On scalar graphs the state after a set of eliminations depends only on
 * the set; on tensor graphs the records also depend on the order (types
 * merge differently), which the searches take into account.
 *
 * Vertices are addressed by their 1-based vertex number. */
#ifndef CCX_GAME_GAME_H
#define CCX_GAME_GAME_H

#include <stddef.h>
#include <stdint.h>

#include "game/real_cost.h"
#include "game/records.h"
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

/* Costs saturate at CCX_COST_MAX (game/records.h). */

/* What an elimination costs (docs/tensor_model.md "Cost models in ccx"):
 * AlphaGrad's multiplication model (the paper's figures), or the real work
 * of ccx's Jacobian code (game/real_cost.h). A game plays its graph's
 * g->cost_model. */
typedef enum { CCX_COST_ALPHAGRAD = 0, CCX_COST_REAL = 1 } ccx_cost_model;
#define CCX_N_COST_MODELS 2
const char *ccx_cost_model_name(int model);
/* 0 and *out for "alphagrad" or "real"; -1 otherwise. */
int ccx_cost_model_parse(const char *s, ccx_cost_model *out);

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
    /* ---- the record path (tensor graphs; NULL / 0 on scalar graphs) ---- */
    int tensor;
    ccx_rec *rec;         /* [n_pad][n_pad] edge r -> c (row r = source): type (0 = none)
                             and primal-dim variant var of r (game/records.h) */
    int32_t *shape;       /* [n_pad][2] record dims of each node (its in-edges' out dims) */
    int32_t *pvar_off;    /* [n_pad + 1] node r's primal-dim variants: pdims[pvar_off[r]..] */
    int32_t *pdims;       /* [variants][2] */
    /* certainly-costly edges (ccx_sp_costly), for the lower bounds: p -> s is
     * marked iff a path p -> .. -> s through eliminated vertices has an
     * original costly record, so the edge's type is costly whatever the
     * order (set-determined). On scalar graphs these alias preds/succs. */
    uint32_t *costly_preds, *costly_succs;
    ccx_rec *init_rec;
    uint32_t *init_costly_preds, *init_costly_succs;
    /* ---- the real-work model (model == CCX_COST_REAL; NULL otherwise) ---- */
    int model;            /* ccx_cost_model: which rule game->cost and every price follow */
    int order_dependent;  /* the state after a set of eliminations depends on their order
                             (tensor records, real-model edges): searches must compare states */
    ccx_lax *lax;         /* [n_pad][n_pad] edge r -> c (row r = source), game/real_cost.h;
                             CCX_LAX_NONE exactly where the bitsets have no edge */
    ccx_lax *init_lax;    /* [n_init_lax] the initial edges, at cells init_cell[] */
    size_t *init_cell;
    int n_init_lax;
    ccx_lax_shape *lshape; /* [n_pad] each node's shape */
} ccx_game;

int ccx_game_init(ccx_game *game, const ccx_graph *g, ccx_error *err);
/* A game of g under another model than g->cost_model. */
int ccx_game_init_model(ccx_game *game, const ccx_graph *g, int model, ccx_error *err);
void ccx_game_free(ccx_game *game);
void ccx_game_reset(ccx_game *game);
/* 1 iff vertex is an intermediate not yet eliminated. Out-of-range -> 0. */
int ccx_game_is_legal(const ccx_game *game, int vertex);
/* mask[k-1] = legality of vertex k, for k = 1..n_vertices. */
void ccx_game_legal_mask(const ccx_game *game, uint8_t *mask);
/* What eliminating vertex now would cost under the game's model: AlphaGrad's
 * |P(v)| * |S(v)| on scalar graphs, the sum of the pair costs on tensor
 * graphs; under real the multiplications of the products (game/real_cost.h). */
int64_t ccx_game_elim_cost(const ccx_game *game, int vertex);
/* AlphaGrad's minimal-Markowitz degree of vertex now (docs/tensor_model.md §4;
 * it reads AlphaGrad's records, which a real-model game of a tensor graph
 * does not keep: the Markowitz baseline under real is AlphaGrad's order):
 * (its out-edges' counts) * (its in-edges' counts), a tensor-blind degree;
 * |P(v)| * |S(v)| on scalar graphs. */
int64_t ccx_game_alphagrad_degree(const ccx_game *game, int vertex);
/* Calls pair(ctx, p, s) for every predecessor x successor pair the
 * elimination of vertex multiplies now (node ids; the product p -> vertex ->
 * s, the fill-in p -> s), predecessors outer, each in increasing node id: the
 * pairs ccx_game_elim_cost prices, for the code that carries them out (the
 * Jacobian interpreter, code generators). Stops at the first nonzero return
 * of pair and returns it; 0 when all were visited. */
int ccx_game_elim_pairs(const ccx_game *game, int vertex,
                        int (*pair)(void *ctx, int32_t p, int32_t s), void *ctx);
int ccx_game_in_degree(const ccx_game *game, int vertex);
int ccx_game_out_degree(const ccx_game *game, int vertex);
/* Eliminate a legal vertex; returns its cost (>= 0), or -1 if illegal. */
int64_t ccx_game_step(ccx_game *game, int vertex);
static inline int ccx_game_done(const ccx_game *game) { return game->remaining == 0; }

/* ---- snapshots (game/snapshot.c; searches: prefix caches, beam states) ----
 * The mutable state (adjacency, kinds, records, remaining, cost) as a flat
 * buffer of ccx_game_state_size() bytes; load restores exactly what save
 * stored (into a game initialised for the same graph). */
size_t ccx_game_state_size(const ccx_game *game);
void ccx_game_save(const ccx_game *game, void *buf);
void ccx_game_load(ccx_game *game, const void *buf);
/* 1 iff the game's graph (edges, records, kinds) equals the one saved in
 * buf; the accumulated cost is not compared. */
int ccx_game_same_graph(const ccx_game *game, const void *buf);
/* 64-bit hash of the game's graph (what ccx_game_same_graph compares). */
uint64_t ccx_game_graph_hash(const ccx_game *game);
/* Reset, then eliminate every vertex k with eliminated[k-1] != 0, in
 * increasing number. On scalar graphs the graph after a set of
 * eliminations depends only on the set (p->s is an edge iff the original
 * graph has a path p->..->s whose interior lies in the set), so this is the
 * state any order of the set reaches; only the accumulated cost depends on
 * the order. On tensor graphs the edges and costly marks are those, but the
 * record types are the increasing order's. Returns the cost of this replay,
 * or -1 (state reset) if the set names a non-intermediate. */
int64_t ccx_game_set_eliminated(ccx_game *game, const uint8_t *eliminated);

/* ---- orders ---- */
/* forward: increasing vertex number; reverse: decreasing; markowitz:
 * AlphaGrad's minimal Markowitz (least ccx_game_alphagrad_degree first, ties
 * to the smallest number; on scalar graphs the classic minimal Markowitz);
 * greedy: the tensor-aware greedy (least ccx_game_elim_cost first, ties to
 * the smallest number; on scalar graphs the same order as markowitz). */
typedef enum {
    CCX_BASELINE_FORWARD = 0,
    CCX_BASELINE_REVERSE = 1,
    CCX_BASELINE_MARKOWITZ = 2,
    CCX_BASELINE_GREEDY = 3,
} ccx_baseline;
#define CCX_N_BASELINES 4

typedef struct {
    int64_t forward, reverse, markowitz, greedy;
} ccx_baselines;

const char *ccx_baseline_name(ccx_baseline b);
/* One line saying what the baseline is (for listings and --help). */
const char *ccx_baseline_description(ccx_baseline b, int tensor);
/* The least of the four. */
int64_t ccx_baselines_best(const ccx_baselines *b);
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
