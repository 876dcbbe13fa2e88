/* Classical searches for cheap elimination orders (issue 7).
 *
 * Every method plays the one elimination game of game/game.h (the cost rule
 * lives there, once) and returns a full valid order of all intermediates:
 *
 *   rmk     randomized minimal Markowitz: the greedy with random tie-breaks
 *           and a random tolerance, many samples           (rmk.c)
 *   beam    beam search over eliminated sets: states reached by different
 *           orders of the same set are merged (the cheaper kept); children
 *           are ranked by prefix cost + Markowitz-greedy completion; the
 *           width doubles until the time is up                (beam.c)
 *   sa      simulated annealing over orders (insert and swap moves) with
 *           incremental cost: the graph after a prefix depends only on the
 *           set eliminated, so checkpoints of the game every K positions
 *           are kept and a move replays only its own segment (sa.c)
 *   exact   A* over eliminated sets with the admissible bounds of bounds.c;
 *           proves the optimum when it finishes, else reports the proven
 *           lower bound (min f over the open list)            (exact.c)
 *   polish  local search from a given order: exact re-ordering of sliding
 *           windows (DP over the window's subsets) and low-temperature
 *           annealing; never returns worse than its input     (polish.c)
 *
 * Lower bound (bounds.c): for each remaining intermediate v,
 *     cut_in(v) * cut_out(v)
 * where cut_in(v) is the least number of vertices (inputs included, v
 * excluded) meeting every path inputs -> v in the current graph, and
 * cut_out(v) the same towards the outputs. When v is eliminated later, its
 * predecessors P(v) then form such a separator in the current graph
 * (eliminating a vertex on a path leaves a path through the remaining
 * vertices of it), so |P(v)| >= cut_in(v), likewise |S(v)| >= cut_out(v),
 * and the sum over the remaining vertices bounds the cost still to pay.
 * Eliminations only merge paths, so cuts never shrink: this per-vertex
 * bound is also consistent (h(s) <= cost(s, v) + h(s + v)). The pair bound
 * (ccx_bound_pairs) adds what eliminating one vertex of a pair forces on the
 * other's cuts; `ccx bounds` and every search report it.
 *
 * Determinism: for a fixed seed, thread count and work budget (iters, with
 * no time limit) every method returns the same order. A time limit stops a
 * run at a point that depends on the machine's speed. */
#ifndef CCX_SEARCH_SEARCH_H
#define CCX_SEARCH_SEARCH_H

#include <stdint.h>
#include <stdio.h>

#include "game/game.h"
#include "graph/graph.h"
#include "util/backend.h"
#include "util/error.h"
#include "util/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CCX_SEARCH_RMK = 0,
    CCX_SEARCH_BEAM = 1,
    CCX_SEARCH_SA = 2,
    CCX_SEARCH_EXACT = 3,
    CCX_SEARCH_POLISH = 4,
} ccx_search_method;

const char *ccx_search_method_name(ccx_search_method m);
/* 0 and *out on success, -1 for an unknown name. */
int ccx_search_method_parse(const char *name, ccx_search_method *out);

typedef struct {
    double time_limit;      /* wall seconds; <= 0: none (then iters must bound the run) */
    uint64_t seed;
    int threads;            /* rmk, sa, polish: worker threads (>= 1) */
    int width;              /* beam: first width (0: 8); exact: unused */
    int64_t iters;          /* work budget, 0 = until the time limit (method's default
                             * when there is no time limit either):
                             *   rmk: samples in all; sa/polish: moves per thread;
                             *   beam: largest width; exact: expanded states */
    double mem_limit_mb;    /* exact: memory for the search (0: 2048) */
    const int32_t *start;   /* sa/polish: start order (NULL: best rmk sample); polish needs it */
    int n_start;
    ccx_backend backend;    /* sa: CPU = cpu threads (sa.c); CUDA = batched chains on the
                             * GPU environments (sa_batch.c) */
    int chains;             /* batched sa: chains (0: 4096 on cuda, 64 on cpu envs) */
    FILE *progress;         /* progress lines ("a line every few seconds"), NULL: silent */
    double progress_every;  /* seconds between progress lines (0: 5) */
} ccx_search_params;

void ccx_search_params_default(ccx_search_params *p);

typedef struct {
    int32_t *order;         /* [n] best order found (malloc'd) */
    int n;
    int64_t cost;
    int64_t lower_bound;    /* proven lower bound on the optimum */
    int optimal;            /* lower_bound == cost: the order is optimal */
    int complete;           /* exact: the search finished (optimal proven) */
    double seconds;
    uint64_t work;          /* units of work done (see unit) */
    const char *unit;       /* "samples", "moves", "states", "windows" */
    int64_t start_cost;     /* polish/sa: cost of the start order; else -1 */
} ccx_search_result;

void ccx_search_result_free(ccx_search_result *r);

/* Run one method on g. 0 on success; -1 with err set (bad parameters, out of
 * memory). The result always holds a valid order on success. */
int ccx_search_run(const ccx_graph *g, ccx_search_method method, const ccx_search_params *p,
                   ccx_search_result *out, ccx_error *err);

int ccx_search_rmk(const ccx_graph *g, const ccx_search_params *p, ccx_search_result *out,
                   ccx_error *err);
int ccx_search_beam(const ccx_graph *g, const ccx_search_params *p, ccx_search_result *out,
                    ccx_error *err);
int ccx_search_sa(const ccx_graph *g, const ccx_search_params *p, ccx_search_result *out,
                  ccx_error *err);
int ccx_search_exact(const ccx_graph *g, const ccx_search_params *p, ccx_search_result *out,
                     ccx_error *err);
int ccx_search_polish(const ccx_graph *g, const ccx_search_params *p, ccx_search_result *out,
                      ccx_error *err);

/* Batched annealing (sa_batch.c): p->chains chains in a parallel-tempering
 * ladder, every move of every chain evaluated at once by the batched
 * environments of env/env.h on `backend`.
 * Needs a time limit or iters (iterations: one move per chain each). */
int ccx_search_sa_batch(const ccx_graph *g, const ccx_search_params *p, ccx_backend backend,
                        ccx_search_result *out, ccx_error *err);

/* ---- lower bound (bounds.c) ---- */
typedef struct ccx_bound_ws ccx_bound_ws;

ccx_bound_ws *ccx_bound_ws_new(const ccx_game *game);
void ccx_bound_ws_free(ccx_bound_ws *ws);
/* Lower bound on the cost of eliminating every remaining intermediate from
 * the game's current state. cut_in/cut_out ([n_vertices], by vertex - 1;
 * may be NULL) receive the per-vertex cuts (0 for vertices not remaining). */
int64_t ccx_bound_compute(ccx_bound_ws *ws, const ccx_game *game, int32_t *cut_in,
                          int32_t *cut_out);
/* The same after one more elimination, from the cuts before it: `game` is
 * the state after eliminating `vertex`, whose predecessors and successors
 * just before were the node bitsets pred_row/succ_row (game->words words).
 * Only cuts that can have changed are recomputed. cut_in/cut_out are
 * updated in place (the caller passes copies of the parent's). */
int64_t ccx_bound_update(ccx_bound_ws *ws, const ccx_game *game, int vertex,
                         const uint32_t *pred_row, const uint32_t *succ_row, int32_t *cut_in,
                         int32_t *cut_out);
/* Bound of the whole graph from the start (the root of every search). */
int64_t ccx_bound_graph(const ccx_graph *g, int32_t *cut_in, int32_t *cut_out, ccx_error *err);
/* The stronger pair bound: the per-vertex bound plus, over a matching of
 * pairs (u, v) of remaining intermediates, what eliminating either first
 * forces on the other's cuts:
 *     cost(u) + cost(v) >= min(t(u) + t_{+u}(v), t(v) + t_{+v}(u)),
 * t(x) = cut_in(x) * cut_out(x) now, t_{+y}(x) after eliminating y (whatever
 * goes second is eliminated in a state containing the first, and cuts never
 * shrink). Admissible, not consistent. The game is stepped and restored;
 * *per_vertex (may be NULL) receives ccx_bound_compute's value. Graphs over
 * 2048 vertices get the per-vertex bound only. O(n) eliminations and
 * incremental bounds, plus O(n^2) per matched pair. */
int64_t ccx_bound_pairs(ccx_bound_ws *ws, ccx_game *game, int64_t *per_vertex);
/* The bound under g's model: the pair bound above under AlphaGrad's, the
 * real model's (ccx_bound_real) under real. */
int64_t ccx_bound_graph_pairs(const ccx_graph *g, int64_t *per_vertex, ccx_error *err);
/* A lower bound on every order's real-model cost (bounds.c says why it
 * holds): the sum of cut_in(v) * cut_out(v) over the intermediates whose
 * original edges all carry data, when no edge is zero; *per_vertex (may be
 * NULL) receives the same (there is no pair term). -1 on failure. */
int64_t ccx_bound_real(const ccx_graph *g, int64_t *per_vertex, ccx_error *err);

/* ---- pieces shared by the methods (search.c) ---- */
double ccx_search_now(void);

/* Greedy completion from the game's current state: repeatedly eliminate a
 * remaining intermediate of least Markowitz degree. rng == NULL: ties go to
 * the smallest vertex number (from the start state this is exactly the
 * minimal-Markowitz baseline). Otherwise the vertex is drawn uniformly among
 * those with degree <= min + floor(min * tol). Appends the eliminated
 * vertices to out (room for game->remaining entries) and returns the cost
 * of the completion. mk and cand are scratch of game->n_vertices entries. */
int64_t ccx_search_greedy(ccx_game *game, ccx_rng *rng, double tol, int32_t *out, int64_t *mk,
                          int32_t *cand);

/* Exact re-ordering of windows (polish.c): for lo = 0, step, ... reorder
 * order[lo .. lo+w) optimally given the vertices before it (dynamic
 * programming over the window's subsets); repeated until a sweep finds no
 * gain or the deadline (<= 0: none) passes. Returns the total gain (>= 0)
 * or -1 on out of memory; order is improved in place. w <= 16; windows
 * counts the windows solved (may be NULL). */
int64_t ccx_search_window_dp(const ccx_graph *g, int32_t *order, int n, int w, double deadline,
                             uint64_t *windows);

/* Internal: the annealer behind sa (temperatures temp0 -> temp1 each round)
 * and polish (p->start required there). */
int ccx_search_anneal(const ccx_graph *g, const ccx_search_params *p, double temp0, double temp1,
                      const char *label, ccx_search_result *out, ccx_error *err);
/* Internal: one progress line "ccx search: METHOD  T s  best C  R UNIT/s". */
void ccx_search_progress(FILE *f, const char *method, double elapsed, int64_t best,
                         uint64_t work, const char *unit);
/* Internal: fill *out with a copy of order and its cost (recomputed). */
int ccx_search_result_set(const ccx_graph *g, ccx_search_result *out, const int32_t *order,
                          int n, ccx_error *err);

#ifdef __cplusplus
}
#endif
#endif
