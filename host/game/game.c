/* The elimination game on a dense padded bitset adjacency, plus the record
 * matrix of tensor graphs. The scalar rule (cost and fill-in) is defined
 * once, in game/eliminate.h, which the batched environments (env/) share;
 * the tensor rule is game/records.h (shared likewise), driven by
 * tensor_eliminate below, which also keeps the certainly-costly marks of the
 * lower bounds. */
#include "game/game.h"
#include "game/eliminate.h"
#include "game/records.h"
#include "graph/real_partials.h"
#include "graph/sparsity.h"

#include <stdlib.h>
#include <string.h>

static inline uint32_t *row(uint32_t *m, const ccx_game *g, int node) {
    return m + (size_t)node * g->words;
}
static inline const uint32_t *crow(const uint32_t *m, const ccx_game *g, int node) {
    return m + (size_t)node * g->words;
}
static inline void set_bit(uint32_t *r, int i) { r[i >> 5] |= 1u << (i & 31); }
static inline int get_bit(const uint32_t *r, int i) { return (int)(r[i >> 5] >> (i & 31) & 1); }


/* Per-graph tables and the initial records of a tensor graph. */
static int init_records(ccx_game *game, const ccx_graph *g, ccx_error *err) {
    const int N = game->n_pad, nn = game->n_nodes;
    size_t cells = (size_t)N * N, bits = (size_t)N * game->words;
    game->rec = calloc(cells, sizeof(ccx_rec));
    game->init_rec = calloc(cells, sizeof(ccx_rec));
    game->shape = calloc((size_t)N * 2, sizeof(int32_t));
    game->pvar_off = calloc((size_t)N + 1, sizeof(int32_t));
    game->pdims = malloc((size_t)(g->n_edges + 1) * 2 * sizeof(int32_t));
    game->costly_preds = calloc(bits, sizeof(uint32_t));
    game->costly_succs = calloc(bits, sizeof(uint32_t));
    game->init_costly_preds = calloc(bits, sizeof(uint32_t));
    game->init_costly_succs = calloc(bits, sizeof(uint32_t));
    int *count = calloc((size_t)N + 1, sizeof(int));
    if (!game->rec || !game->init_rec || !game->shape ||
        !game->pvar_off || !game->pdims || !game->costly_preds || !game->costly_succs ||
        !game->init_costly_preds || !game->init_costly_succs || !count) {
        free(count);
        return ccx_error_set(err, "out of memory creating the game for %s", g->task_name);
    }
    for (int x = 0; x < nn; x++) ccx_shape_record_dims(ccx_graph_node_shape(g, x), game->shape + 2 * x);
    for (int x = nn; x < N; x++) game->shape[2 * x] = game->shape[2 * x + 1] = 1;
    /* primal-dim variants: the distinct primal dims of each source's edges,
     * grouped by source (edges are sorted by dst, so two passes) */
    for (int i = 0; i < g->n_edges; i++) count[g->edges[i].src + 1]++;
    for (int x = 0; x < N; x++) count[x + 1] += count[x];
    int *fill = malloc((size_t)N * sizeof(int));
    if (!fill) { free(count); return ccx_error_set(err, "out of memory"); }
    int32_t *var_of_edge = malloc((size_t)(g->n_edges + 1) * sizeof(int32_t));
    if (!var_of_edge) { free(count); free(fill); return ccx_error_set(err, "out of memory"); }
    /* per source: its variants are appended in first-seen edge order */
    int total = 0;
    for (int x = 0; x < N; x++) fill[x] = 0;
    int *src_list = malloc((size_t)(g->n_edges + 1) * sizeof(int));
    if (!src_list) {
        free(count); free(fill); free(var_of_edge);
        return ccx_error_set(err, "out of memory");
    }
    for (int i = 0; i < g->n_edges; i++) src_list[count[g->edges[i].src] + fill[g->edges[i].src]++] = i;
    int rc = 0;
    for (int x = 0; x < N && rc == 0; x++) {
        game->pvar_off[x] = total;
        int nv = 0;
        for (int k = count[x]; k < count[x + 1]; k++) {
            const ccx_edge *e = &g->edges[src_list[k]];
            int v = 0;
            while (v < nv && (game->pdims[2 * (total + v)] != e->primal_d[0] ||
                              game->pdims[2 * (total + v) + 1] != e->primal_d[1]))
                v++;
            if (v == nv) {
                if (nv == 255) {
                    char lb[32];
                    rc = ccx_error_set(err, "%s: node %s has more than 255 distinct primal-dim "
                                            "records", g->task_name,
                                       ccx_graph_node_label(g, x, lb, sizeof lb));
                    break;
                }
                game->pdims[2 * (total + nv)] = e->primal_d[0];
                game->pdims[2 * (total + nv) + 1] = e->primal_d[1];
                nv++;
            }
            var_of_edge[src_list[k]] = v;
        }
        total += nv;
    }
    game->pvar_off[N] = total;
    if (rc == 0) {
        for (int i = 0; i < g->n_edges; i++) {
            const ccx_edge *e = &g->edges[i];
            size_t c = (size_t)e->src * N + e->dst;
            game->init_rec[c].type = e->type;
            game->init_rec[c].var = (uint8_t)var_of_edge[i];
            if (ccx_sp_costly(e->type)) {
                set_bit(row(game->init_costly_succs, game, e->src), e->dst);
                set_bit(row(game->init_costly_preds, game, e->dst), e->src);
            }
        }
    }
    free(count); free(fill); free(var_of_edge); free(src_list);
    return rc;
}

const char *ccx_cost_model_name(int model) {
    return model == CCX_COST_REAL ? "real" : model == CCX_COST_ALPHAGRAD ? "alphagrad" : "?";
}

int ccx_cost_model_parse(const char *s, ccx_cost_model *out) {
    for (int m = 0; m < CCX_N_COST_MODELS; m++)
        if (s && strcmp(s, ccx_cost_model_name(m)) == 0) {
            *out = (ccx_cost_model)m;
            return 0;
        }
    return -1;
}

/* The real model's node shapes and initial edges (graph/real_partials.h). */
static int init_real(ccx_game *game, const ccx_graph *g, ccx_error *err) {
    const int N = game->n_pad;
    game->lax = calloc((size_t)N * N, sizeof(ccx_lax));
    game->init_lax = malloc((size_t)(g->n_edges + 1) * sizeof(ccx_lax));
    game->init_cell = malloc((size_t)(g->n_edges + 1) * sizeof(size_t));
    game->lshape = calloc((size_t)N, sizeof(ccx_lax_shape));
    if (!game->lax || !game->init_lax || !game->init_cell || !game->lshape)
        return ccx_error_set(err, "out of memory creating the game for %s", g->task_name);
    for (int x = 0; x < N; x++) {
        ccx_lax_shape one = {0, {1, 1}};
        game->lshape[x] = x < game->n_nodes ? ccx_lax_shape_of(g, x) : one;
    }
    if (ccx_real_partials(g, game->init_lax, err)) return -1;
    for (int i = 0; i < g->n_edges; i++)
        game->init_cell[i] = (size_t)g->edges[i].src * N + g->edges[i].dst;
    game->n_init_lax = g->n_edges;
    return 0;
}

/* Back to the initial edges: clear every edge the bitsets hold now, then
 * write the initial ones (O(edges), not O(n_pad^2)). */
static void reset_real(ccx_game *game) {
    const int N = game->n_pad, W = game->words;
    const ccx_lax none = ccx_lax_make(CCX_LAX_NONE, 0, 0, 0.0);
    for (int r = 0; r < game->n_nodes; r++)
        for (int w = 0; w < W; w++)
            for (uint32_t b = game->succs[(size_t)r * W + w]; b; b &= b - 1)
                game->lax[(size_t)r * N + w * 32 + __builtin_ctz(b)] = none;
    for (int i = 0; i < game->n_init_lax; i++) game->lax[game->init_cell[i]] = game->init_lax[i];
}

int ccx_game_init_model(ccx_game *game, const ccx_graph *g, int model, ccx_error *err) {
    memset(game, 0, sizeof *game);
    int n_nodes = ccx_graph_n_nodes(g);
    if (n_nodes > CCX_GAME_MAX_NODES)
        return ccx_error_set(err, "graph %s has %d nodes; the dense game holds at most %d",
                             g->task_name, n_nodes, CCX_GAME_MAX_NODES);
    game->graph = g;
    game->n_inputs = g->n_inputs;
    game->n_vertices = g->n_vertices;
    game->n_nodes = n_nodes;
    game->n_pad = n_nodes < 32 ? 32 : (n_nodes + 31) / 32 * 32;
    game->words = game->n_pad / 32;
    game->model = model == CCX_COST_REAL ? CCX_COST_REAL : CCX_COST_ALPHAGRAD;
    /* AlphaGrad's records are its model's state; the real model has its own */
    game->tensor = g->tensor && game->model == CCX_COST_ALPHAGRAD;
    size_t cells = (size_t)game->n_pad * game->words;
    game->preds = calloc(cells, sizeof(uint32_t));
    game->succs = calloc(cells, sizeof(uint32_t));
    game->init_preds = calloc(cells, sizeof(uint32_t));
    game->init_succs = calloc(cells, sizeof(uint32_t));
    game->kind = calloc((size_t)game->n_pad, 1);
    if (!game->preds || !game->succs || !game->init_preds || !game->init_succs || !game->kind) {
        ccx_game_free(game);
        return ccx_error_set(err, "out of memory creating the game for %s", g->task_name);
    }
    for (int i = 0; i < g->n_edges; i++) {
        set_bit(row(game->init_succs, game, g->edges[i].src), g->edges[i].dst);
        set_bit(row(game->init_preds, game, g->edges[i].dst), g->edges[i].src);
    }
    if (game->tensor) {
        if (init_records(game, g, err)) {
            ccx_game_free(game);
            return -1;
        }
    } else {
        game->costly_preds = game->preds; /* every scalar edge costs 1 */
        game->costly_succs = game->succs;
    }
    game->order_dependent = game->tensor || game->model == CCX_COST_REAL;
    if (game->model == CCX_COST_REAL && init_real(game, g, err)) {
        ccx_game_free(game);
        return -1;
    }
    ccx_game_reset(game);
    return 0;
}

int ccx_game_init(ccx_game *game, const ccx_graph *g, ccx_error *err) {
    return ccx_game_init_model(game, g, g->cost_model, err);
}

void ccx_game_free(ccx_game *game) {
    free(game->preds);
    free(game->succs);
    free(game->init_preds);
    free(game->init_succs);
    free(game->kind);
    if (game->tensor) {
        free(game->costly_preds);
        free(game->costly_succs);
    }
    free(game->rec);
    free(game->shape);
    free(game->pvar_off);
    free(game->pdims);
    free(game->init_rec);
    free(game->init_costly_preds);
    free(game->init_costly_succs);
    free(game->lax);
    free(game->init_lax);
    free(game->init_cell);
    free(game->lshape);
    memset(game, 0, sizeof *game);
}

void ccx_game_reset(ccx_game *game) {
    size_t bytes = (size_t)game->n_pad * game->words * sizeof(uint32_t);
    if (game->lax) reset_real(game); /* reads the bitsets of now */
    memcpy(game->preds, game->init_preds, bytes);
    memcpy(game->succs, game->init_succs, bytes);
    if (game->tensor) {
        size_t cells = (size_t)game->n_pad * game->n_pad;
        memcpy(game->rec, game->init_rec, cells * sizeof(ccx_rec));
        memcpy(game->costly_preds, game->init_costly_preds, bytes);
        memcpy(game->costly_succs, game->init_costly_succs, bytes);
    }
    const ccx_graph *g = game->graph;
    memset(game->kind, CCX_KIND_PADDING, (size_t)game->n_pad);
    memset(game->kind, CCX_KIND_INPUT, (size_t)g->n_inputs);
    for (int k = 0; k < g->n_vertices; k++)
        game->kind[g->n_inputs + k] =
            g->vertices[k].is_output ? CCX_KIND_OUTPUT : CCX_KIND_INTERMEDIATE;
    game->remaining = ccx_graph_n_intermediates(g);
    game->cost = 0;
}

int ccx_game_is_legal(const ccx_game *game, int vertex) {
    if (vertex < 1 || vertex > game->n_vertices) return 0;
    return game->kind[game->n_inputs + vertex - 1] == CCX_KIND_INTERMEDIATE;
}

void ccx_game_legal_mask(const ccx_game *game, uint8_t *mask) {
    for (int k = 1; k <= game->n_vertices; k++) mask[k - 1] = (uint8_t)ccx_game_is_legal(game, k);
}

int ccx_game_in_degree(const ccx_game *game, int vertex) {
    return ccx_popcount_row(crow(game->preds, game, game->n_inputs + vertex - 1), game->words);
}

int ccx_game_out_degree(const ccx_game *game, int vertex) {
    return ccx_popcount_row(crow(game->succs, game, game->n_inputs + vertex - 1), game->words);
}

static inline ccx_rec_tables tables_of(const ccx_game *g) {
    ccx_rec_tables t = {g->shape, g->pvar_off, g->pdims};
    return t;
}

/* The primal dims edge r -> c carries. */
static inline const int32_t *edge_pdims(const ccx_game *g, int r, int c) {
    ccx_rec_tables t = tables_of(g);
    return ccx_rec_pdims(&t, g->rec, g->n_pad, r, c);
}

/* The pairs of eliminating node j of a tensor graph (game/records.h): the
 * sum of their costs, and with `apply` the fill-in records. Called with a
 * constant `apply`, so each caller gets its own copy of the loop. */
static inline __attribute__((always_inline)) int64_t tensor_pairs(ccx_game *g, int j, int apply) {
    ccx_rec_tables t = tables_of(g);
    return ccx_rec_pairs(crow(g->preds, g, j), crow(g->succs, g, j), g->words, g->rec, g->n_pad,
                         &t, j, apply);
}

/* Eliminate node j of a tensor graph: price the pairs and write the fill-in
 * records, mark certainly-costly fill-in and clear j's records in the same
 * pass over P(j) and S(j) (what ccx_rec_clear does; a second pass cost the
 * single game ~10%), then update the bitsets (ccx_eliminate_rows). */
static int64_t tensor_eliminate(ccx_game *g, int j) {
    const int W = g->words, N = g->n_pad;
    uint32_t *pj = row(g->preds, g, j), *sj = row(g->succs, g, j);
    int64_t cost = tensor_pairs(g, j, 1);
    /* certainly-costly fill-in: costly(p->s) |= costly(p->j) | costly(j->s) */
    uint32_t cp[CCX_GAME_MAX_NODES / 32], cs[CCX_GAME_MAX_NODES / 32];
    memcpy(cp, row(g->costly_preds, g, j), (size_t)W * sizeof(uint32_t));
    memcpy(cs, row(g->costly_succs, g, j), (size_t)W * sizeof(uint32_t));
    const uint32_t jmask = ~(1u << (j & 31));
    const int jw = j >> 5;
    for (int w = 0; w < W; w++) {
        for (uint32_t bits = pj[w]; bits; bits &= bits - 1) {
            int p = w * 32 + __builtin_ctz(bits);
            uint32_t *r = row(g->costly_succs, g, p);
            const uint32_t *add = get_bit(r, j) ? sj : cs;
            for (int u = 0; u < W; u++) r[u] |= add[u];
            r[jw] &= jmask;
            g->rec[(size_t)p * N + j] = (ccx_rec){0, 0};
        }
        for (uint32_t bits = sj[w]; bits; bits &= bits - 1) {
            int s = w * 32 + __builtin_ctz(bits);
            uint32_t *r = row(g->costly_preds, g, s);
            const uint32_t *add = get_bit(r, j) ? pj : cp;
            for (int u = 0; u < W; u++) r[u] |= add[u];
            r[jw] &= jmask;
            g->rec[(size_t)j * N + s] = (ccx_rec){0, 0};
        }
    }
    memset(row(g->costly_preds, g, j), 0, (size_t)W * sizeof(uint32_t));
    memset(row(g->costly_succs, g, j), 0, (size_t)W * sizeof(uint32_t));
    ccx_eliminate_rows(g->preds, g->succs, W, j);
    return cost;
}

/* The real model's pairs of eliminating node j (game/real_cost.h). */
static inline int64_t real_pairs(ccx_game *g, int j, int apply) {
    return ccx_lax_pairs(crow(g->preds, g, j), crow(g->succs, g, j), g->words, g->lax, g->n_pad,
                         g->lshape, j, apply);
}

int64_t ccx_game_elim_cost(const ccx_game *game, int vertex) {
    int j = game->n_inputs + vertex - 1;
    if (game->lax) return real_pairs((ccx_game *)game, j, 0); /* reads only */
    if (game->tensor) return tensor_pairs((ccx_game *)game, j, 0); /* reads only */
    return ccx_scalar_pair_cost(ccx_game_in_degree(game, vertex), ccx_game_out_degree(game, vertex));
}

int ccx_game_elim_pairs(const ccx_game *game, int vertex,
                        int (*pair)(void *ctx, int32_t p, int32_t s), void *ctx) {
    const int W = game->words, j = game->n_inputs + vertex - 1;
    const uint32_t *pj = crow(game->preds, game, j), *sj = crow(game->succs, game, j);
    for (int wp = 0; wp < W; wp++)
        for (uint32_t bp = pj[wp]; bp; bp &= bp - 1)
            for (int ws = 0; ws < W; ws++)
                for (uint32_t bs = sj[ws]; bs; bs &= bs - 1) {
                    int rc = pair(ctx, wp * 32 + __builtin_ctz(bp), ws * 32 + __builtin_ctz(bs));
                    if (rc) return rc;
                }
    return 0;
}

int64_t ccx_game_alphagrad_degree(const ccx_game *game, int vertex) {
    if (!game->tensor)
        return (int64_t)ccx_game_in_degree(game, vertex) * ccx_game_out_degree(game, vertex);
    const int W = game->words, N = game->n_pad, j = game->n_inputs + vertex - 1;
    const uint32_t *pj = crow(game->preds, game, j), *sj = crow(game->succs, game, j);
    const int32_t *vs = game->shape + 2 * j;
    int64_t out = 0, in = 0;
    for (int w = 0; w < W; w++) {
        for (uint32_t bits = sj[w]; bits; bits &= bits - 1) {
            int s = w * 32 + __builtin_ctz(bits);
            const int32_t *pd = edge_pdims(game, j, s);
            out += ccx_sp_markowitz_count(game->rec[(size_t)j * N + s].type, (int64_t)pd[0] * pd[1],
                                          game->shape + 2 * s);
        }
        for (uint32_t bits = pj[w]; bits; bits &= bits - 1) {
            int p = w * 32 + __builtin_ctz(bits);
            in += ccx_sp_markowitz_count(game->rec[(size_t)p * N + j].type, (int64_t)vs[0] * vs[1], vs);
        }
    }
    return out * in;
}

int64_t ccx_game_step(ccx_game *game, int vertex) {
    if (!ccx_game_is_legal(game, vertex)) return -1;
    int j = game->n_inputs + vertex - 1;
    /* under real the products are priced and summed first (they read the
     * bitsets); AlphaGrad's records follow along so its degrees stay known */
    const int64_t real = game->lax ? real_pairs(game, j, 1) : 0;
    /* scalar: the rule itself (cost |P|*|S|, fill-in, removal) is in eliminate.h */
    int64_t cost = game->tensor ? tensor_eliminate(game, j)
                                : ccx_eliminate_rows(game->preds, game->succs, game->words, j);
    if (game->lax) cost = real;
    game->kind[j] = CCX_KIND_ELIMINATED;
    game->remaining--;
    game->cost = ccx_rec_cost_add(game->cost, cost);
    return cost;
}

/* ---- orders ---- */

const char *ccx_baseline_name(ccx_baseline b) {
    switch (b) {
    case CCX_BASELINE_FORWARD: return "forward";
    case CCX_BASELINE_REVERSE: return "reverse";
    case CCX_BASELINE_MARKOWITZ: return "markowitz";
    case CCX_BASELINE_GREEDY: return "greedy";
    }
    return "?";
}

const char *ccx_baseline_description(ccx_baseline b, int tensor) {
    switch (b) {
    case CCX_BASELINE_FORWARD: return "forward mode: vertices in increasing number";
    case CCX_BASELINE_REVERSE: return "reverse mode: vertices in decreasing number";
    case CCX_BASELINE_MARKOWITZ:
        return tensor ? "AlphaGrad's minimal Markowitz: least in x out edge count first, a "
                        "tensor-blind degree heuristic (docs/tensor_model.md section 4)"
                      : "minimal Markowitz: least |P|*|S| first, ties to the smallest number";
    case CCX_BASELINE_GREEDY:
        return tensor ? "tensor-aware greedy: the vertex cheapest to eliminate now under the "
                        "record cost model (AlphaGrad's) first, ties to the smallest number"
                      : "greedy on the cost model: on a scalar graph the same as minimal Markowitz";
    }
    return "?";
}

int64_t ccx_baselines_best(const ccx_baselines *b) {
    int64_t m = b->forward;
    if (b->reverse < m) m = b->reverse;
    if (b->markowitz < m) m = b->markowitz;
    if (b->greedy < m) m = b->greedy;
    return m;
}

/* Eliminate the legal vertex of least key (ties: the smallest number); returns it. */
static int least_key(ccx_game *game, int64_t (*key)(const ccx_game *, int)) {
    int best = 0;
    int64_t best_key = 0;
    for (int k = 1; k <= game->n_vertices; k++) {
        if (!ccx_game_is_legal(game, k)) continue;
        int64_t d = key(game, k);
        if (!best || d < best_key) { best = k; best_key = d; }
    }
    ccx_game_step(game, best);
    return best;
}

int64_t ccx_baseline_order(const ccx_graph *g, ccx_baseline which, int32_t *order,
                           ccx_error *err) {
    if (which == CCX_BASELINE_MARKOWITZ && g->cost_model == CCX_COST_REAL && g->tensor) {
        /* AlphaGrad's degrees read its records: its order, priced under real */
        ccx_game ag;
        if (ccx_game_init_model(&ag, g, CCX_COST_ALPHAGRAD, err)) return -1;
        int m = 0;
        while (!ccx_game_done(&ag)) order[m++] = least_key(&ag, ccx_game_alphagrad_degree);
        ccx_game_free(&ag);
        int64_t cost = 0;
        return ccx_order_cost(g, order, m, &cost, err) ? -1 : cost;
    }
    ccx_game game;
    if (ccx_game_init(&game, g, err)) return -1;
    int n = 0;
    if (which == CCX_BASELINE_FORWARD || which == CCX_BASELINE_REVERSE) {
        for (int i = 0; i < g->n_vertices; i++) {
            int k = which == CCX_BASELINE_FORWARD ? i + 1 : g->n_vertices - i;
            if (!g->vertices[k - 1].is_output) {
                order[n++] = k;
                ccx_game_step(&game, k);
            }
        }
    } else {
        /* greedy on a key: the least key now, ties to the smallest number */
        int64_t (*key)(const ccx_game *, int) =
            which == CCX_BASELINE_MARKOWITZ ? ccx_game_alphagrad_degree : ccx_game_elim_cost;
        while (!ccx_game_done(&game)) order[n++] = least_key(&game, key);
    }
    int64_t cost = game.cost;
    ccx_game_free(&game);
    return cost;
}

int ccx_baselines_compute(const ccx_graph *g, ccx_baselines *out, ccx_error *err) {
    int n = ccx_graph_n_intermediates(g);
    int32_t *order = malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    if (!order) return ccx_error_set(err, "out of memory");
    int64_t c[CCX_N_BASELINES];
    for (int b = 0; b < CCX_N_BASELINES; b++) {
        /* on scalar graphs greedy is markowitz's order: no second run */
        if (b == CCX_BASELINE_GREEDY && !g->tensor && g->cost_model != CCX_COST_REAL) { c[b] = c[CCX_BASELINE_MARKOWITZ]; continue; }
        c[b] = ccx_baseline_order(g, (ccx_baseline)b, order, err);
        if (c[b] < 0) { free(order); return -1; }
    }
    free(order);
    out->forward = c[0];
    out->reverse = c[1];
    out->markowitz = c[2];
    out->greedy = c[3];
    return 0;
}

int ccx_order_validate(const ccx_graph *g, const int32_t *order, int n, ccx_error *err) {
    int *first_at = calloc((size_t)g->n_vertices + 1, sizeof(int));
    if (!first_at) return ccx_error_set(err, "out of memory");
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        int32_t v = order[i];
        if (v < 1 || v > g->n_vertices) {
            rc = ccx_error_set(err,
                               "order entry %d: %d is not a vertex of %s (vertices are "
                               "numbered 1..%d; inputs are never part of an order)",
                               i + 1, v, g->task_name, g->n_vertices);
        } else if (g->vertices[v - 1].is_output) {
            rc = ccx_error_set(err, "order entry %d: vertex %d is an output of %s; outputs "
                                    "are never eliminated", i + 1, v, g->task_name);
        } else if (first_at[v]) {
            rc = ccx_error_set(err, "order entry %d: vertex %d appears again (first at entry %d)",
                               i + 1, v, first_at[v]);
        } else {
            first_at[v] = i + 1;
        }
    }
    if (rc == 0 && n != ccx_graph_n_intermediates(g)) {
        /* every entry was valid and distinct, so some intermediates are missing */
        char list[256] = "";
        int missing = ccx_graph_n_intermediates(g) - n, shown = 0;
        size_t len = 0;
        for (int k = 1; k <= g->n_vertices && shown < 8; k++) {
            if (g->vertices[k - 1].is_output || first_at[k]) continue;
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%d", shown ? ", " : "", k);
            shown++;
        }
        rc = ccx_error_set(err, "order has %d entries but %s has %d intermediate vertices; "
                                "missing: %s%s", n, g->task_name, ccx_graph_n_intermediates(g),
                           list, missing > shown ? ", ..." : "");
    }
    free(first_at);
    return rc;
}

int ccx_order_cost(const ccx_graph *g, const int32_t *order, int n, int64_t *cost,
                   ccx_error *err) {
    if (ccx_order_validate(g, order, n, err)) return -1;
    ccx_game game;
    if (ccx_game_init(&game, g, err)) return -1;
    for (int i = 0; i < n; i++) ccx_game_step(&game, order[i]);
    *cost = game.cost;
    ccx_game_free(&game);
    return 0;
}
