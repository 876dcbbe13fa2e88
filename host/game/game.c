/* The elimination game on a dense padded bitset adjacency. The cost and the
 * fill-in of an elimination are defined once, in game/eliminate.h, which the
 * batched environments (env/) share. */
#include "game/game.h"
#include "game/eliminate.h"

#include <stdlib.h>
#include <string.h>

static inline uint32_t *row(uint32_t *m, const ccx_game *g, int node) {
    return m + (size_t)node * g->words;
}
static inline const uint32_t *crow(const uint32_t *m, const ccx_game *g, int node) {
    return m + (size_t)node * g->words;
}
static inline void set_bit(uint32_t *r, int i) { r[i >> 5] |= 1u << (i & 31); }

int ccx_game_init(ccx_game *game, const ccx_graph *g, ccx_error *err) {
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
    ccx_game_reset(game);
    return 0;
}

void ccx_game_free(ccx_game *game) {
    free(game->preds);
    free(game->succs);
    free(game->init_preds);
    free(game->init_succs);
    free(game->kind);
    memset(game, 0, sizeof *game);
}

void ccx_game_reset(ccx_game *game) {
    size_t bytes = (size_t)game->n_pad * game->words * sizeof(uint32_t);
    memcpy(game->preds, game->init_preds, bytes);
    memcpy(game->succs, game->init_succs, bytes);
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

int64_t ccx_game_markowitz(const ccx_game *game, int vertex) {
    return (int64_t)ccx_game_in_degree(game, vertex) * ccx_game_out_degree(game, vertex);
}

int64_t ccx_game_step(ccx_game *game, int vertex) {
    if (!ccx_game_is_legal(game, vertex)) return -1;
    int j = game->n_inputs + vertex - 1;
    /* the rule itself (cost |P|*|S|, fill-in, removal) is in eliminate.h */
    int64_t cost = ccx_eliminate_rows(game->preds, game->succs, game->words, j);
    game->kind[j] = CCX_KIND_ELIMINATED;
    game->remaining--;
    game->cost += cost;
    return cost;
}

/* ---- orders ---- */

const char *ccx_baseline_name(ccx_baseline b) {
    switch (b) {
    case CCX_BASELINE_FORWARD: return "forward";
    case CCX_BASELINE_REVERSE: return "reverse";
    case CCX_BASELINE_MARKOWITZ: return "markowitz";
    }
    return "?";
}

int64_t ccx_baseline_order(const ccx_graph *g, ccx_baseline which, int32_t *order,
                           ccx_error *err) {
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
        /* minimal Markowitz: smallest current |P|*|S|, ties to the smallest number */
        while (!ccx_game_done(&game)) {
            int best = 0;
            int64_t best_deg = 0;
            for (int k = 1; k <= g->n_vertices; k++) {
                if (!ccx_game_is_legal(&game, k)) continue;
                int64_t d = ccx_game_markowitz(&game, k);
                if (!best || d < best_deg) { best = k; best_deg = d; }
            }
            order[n++] = best;
            ccx_game_step(&game, best);
        }
    }
    int64_t cost = game.cost;
    ccx_game_free(&game);
    return cost;
}

int ccx_baselines_compute(const ccx_graph *g, ccx_baselines *out, ccx_error *err) {
    int n = ccx_graph_n_intermediates(g);
    int32_t *order = malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    if (!order) return ccx_error_set(err, "out of memory");
    int64_t c[3];
    for (int b = 0; b < 3; b++) {
        c[b] = ccx_baseline_order(g, (ccx_baseline)b, order, err);
        if (c[b] < 0) { free(order); return -1; }
    }
    free(order);
    out->forward = c[0];
    out->reverse = c[1];
    out->markowitz = c[2];
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
