/* The admissible lower bound of search.h: for each remaining intermediate v,
 * cut_in(v) * cut_out(v), the sizes of minimum vertex separators between
 * the inputs and v and between v and the outputs in the current graph.
 *
 * A minimum vertex separator is a maximum set of paths that share no vertex
 * but v (Menger), found as a unit-capacity max flow on the split graph:
 * every live node x becomes in(x) -> out(x) with capacity 1 (so inputs and
 * outputs can be cut too), every edge u -> w becomes out(u) -> in(w).
 *   cut_in(v):  source S -> in(i) for every input i, sink in(v);
 *   cut_out(v): source out(v), sink T <- out(o) for every output o.
 * Flows are tiny (at most |P(v)| or |S(v)|), so plain BFS augmenting paths
 * (Edmonds-Karp) are enough. */
#include <stdlib.h>
#include <string.h>

#include "search/search.h"

struct ccx_bound_ws {
    int n_nodes, words, n_inputs;
    int n_split;          /* 2 * n_nodes + 2 (S, T) */
    int max_edges;
    int n_edges;
    int *head;            /* [n_split + 1] CSR offsets */
    int *adj;             /* [max_edges] edge ids by tail, CSR order */
    int *tail, *to;       /* [max_edges] */
    uint8_t *cap;         /* [max_edges] residual capacity */
    int *queue, *prev_edge; /* [n_split] */
    int *deg;             /* [n_split] scratch for CSR build */
    uint32_t *reach;      /* [words] */
    uint32_t *frontier;   /* [words] */
    int built;            /* CSR describes the current game */
    /* pair bound scratch (allocated on first use) */
    unsigned char *snap;
    int32_t *pcin, *pcout, *ta, *tb;
    int64_t *after;       /* [nv][nv]: after[x][y] = term of y once x is eliminated */
    uint32_t *prow, *srow;
};

ccx_bound_ws *ccx_bound_ws_new(const ccx_game *game) {
    ccx_bound_ws *ws = calloc(1, sizeof *ws);
    if (!ws) return NULL;
    ws->n_nodes = game->n_nodes;
    ws->words = game->words;
    ws->n_inputs = game->n_inputs;
    ws->n_split = 2 * game->n_nodes + 2;
    /* grown on demand in build() */
    ws->max_edges = 4 * ws->n_split + 64;
    ws->head = malloc((size_t)(ws->n_split + 1) * sizeof(int));
    ws->adj = malloc((size_t)ws->max_edges * sizeof(int));
    ws->tail = malloc((size_t)ws->max_edges * sizeof(int));
    ws->to = malloc((size_t)ws->max_edges * sizeof(int));
    ws->cap = malloc((size_t)ws->max_edges);
    ws->queue = malloc((size_t)ws->n_split * sizeof(int));
    ws->prev_edge = malloc((size_t)ws->n_split * sizeof(int));
    ws->deg = malloc((size_t)(ws->n_split + 1) * sizeof(int));
    ws->reach = malloc((size_t)ws->words * sizeof(uint32_t));
    ws->frontier = malloc((size_t)ws->words * sizeof(uint32_t));
    if (!ws->head || !ws->adj || !ws->tail || !ws->to || !ws->cap || !ws->queue ||
        !ws->prev_edge || !ws->deg || !ws->reach || !ws->frontier) {
        ccx_bound_ws_free(ws);
        return NULL;
    }
    return ws;
}

void ccx_bound_ws_free(ccx_bound_ws *ws) {
    if (!ws) return;
    free(ws->head); free(ws->adj); free(ws->tail); free(ws->to); free(ws->cap);
    free(ws->queue); free(ws->prev_edge); free(ws->deg); free(ws->reach); free(ws->frontier);
    free(ws->snap); free(ws->pcin); free(ws->pcout); free(ws->ta); free(ws->tb); free(ws->after);
    free(ws->prow); free(ws->srow);
    free(ws);
}

static inline const uint32_t *prow(const ccx_game *g, int node) {
    return g->preds + (size_t)node * g->words;
}
static inline const uint32_t *srow(const ccx_game *g, int node) {
    return g->succs + (size_t)node * g->words;
}
static int popcount_row(const uint32_t *r, int words) {
    int c = 0;
    for (int w = 0; w < words; w++) c += __builtin_popcount(r[w]);
    return c;
}

static int add_edge(ccx_bound_ws *ws, int u, int v) {
    if (ws->n_edges + 2 > ws->max_edges) {
        int m = ws->max_edges * 2;
        int *adj = realloc(ws->adj, (size_t)m * sizeof(int));
        if (adj) ws->adj = adj;
        int *tail = realloc(ws->tail, (size_t)m * sizeof(int));
        if (tail) ws->tail = tail;
        int *to = realloc(ws->to, (size_t)m * sizeof(int));
        if (to) ws->to = to;
        uint8_t *cap = realloc(ws->cap, (size_t)m);
        if (cap) ws->cap = cap;
        if (!adj || !tail || !to || !cap) return -1;
        ws->max_edges = m;
    }
    int e = ws->n_edges;
    ws->tail[e] = u; ws->to[e] = v; ws->cap[e] = 1;
    ws->tail[e + 1] = v; ws->to[e + 1] = u; ws->cap[e + 1] = 0;
    ws->n_edges += 2;
    return 0;
}

/* Split graph of the game's current state, as CSR. */
static int build(ccx_bound_ws *ws, const ccx_game *g) {
    const int N = ws->n_nodes, S = 2 * N, T = 2 * N + 1;
    ws->n_edges = 0;
    for (int x = 0; x < N; x++) {
        uint8_t k = g->kind[x];
        if (k == CCX_KIND_ELIMINATED || k == CCX_KIND_PADDING) continue;
        if (add_edge(ws, 2 * x, 2 * x + 1)) return -1;
        if (k == CCX_KIND_INPUT && add_edge(ws, S, 2 * x)) return -1;
        if (k == CCX_KIND_OUTPUT && add_edge(ws, 2 * x + 1, T)) return -1;
        const uint32_t *r = srow(g, x);
        for (int w = 0; w < ws->words; w++)
            for (uint32_t bits = r[w]; bits; bits &= bits - 1) {
                int y = w * 32 + __builtin_ctz(bits);
                if (add_edge(ws, 2 * x + 1, 2 * y)) return -1;
            }
    }
    memset(ws->deg, 0, (size_t)(ws->n_split + 1) * sizeof(int));
    for (int e = 0; e < ws->n_edges; e++) ws->deg[ws->tail[e] + 1]++;
    ws->head[0] = 0;
    for (int u = 0; u < ws->n_split; u++) ws->head[u + 1] = ws->head[u] + ws->deg[u + 1];
    memcpy(ws->deg, ws->head, (size_t)ws->n_split * sizeof(int));
    for (int e = 0; e < ws->n_edges; e++) ws->adj[ws->deg[ws->tail[e]]++] = e;
    ws->built = 1;
    return 0;
}

/* Max flow source -> sink, stopping once it reaches `limit`. */
static int max_flow(ccx_bound_ws *ws, int source, int sink, int limit) {
    for (int e = 0; e < ws->n_edges; e++) ws->cap[e] = (e & 1) ? 0 : 1;
    int flow = 0;
    while (flow < limit) {
        for (int u = 0; u < ws->n_split; u++) ws->prev_edge[u] = -1;
        int qh = 0, qt = 0;
        ws->queue[qt++] = source;
        ws->prev_edge[source] = -2;
        while (qh < qt && ws->prev_edge[sink] == -1) {
            int u = ws->queue[qh++];
            for (int a = ws->head[u]; a < ws->head[u + 1]; a++) {
                int e = ws->adj[a], v = ws->to[e];
                if (ws->cap[e] && ws->prev_edge[v] == -1) {
                    ws->prev_edge[v] = e;
                    ws->queue[qt++] = v;
                }
            }
        }
        if (ws->prev_edge[sink] == -1) break;
        for (int v = sink; v != source;) {
            int e = ws->prev_edge[v];
            ws->cap[e]--;
            ws->cap[e ^ 1]++;
            v = ws->tail[e];
        }
        flow++;
    }
    return flow;
}

static int cut_in_of(ccx_bound_ws *ws, const ccx_game *g, int node) {
    int deg = popcount_row(prow(g, node), ws->words);
    if (deg == 0) return 0;
    return max_flow(ws, 2 * ws->n_nodes, 2 * node, deg);
}

static int cut_out_of(ccx_bound_ws *ws, const ccx_game *g, int node) {
    int deg = popcount_row(srow(g, node), ws->words);
    if (deg == 0) return 0;
    return max_flow(ws, 2 * node + 1, 2 * ws->n_nodes + 1, deg);
}

int64_t ccx_bound_compute(ccx_bound_ws *ws, const ccx_game *g, int32_t *cut_in,
                          int32_t *cut_out) {
    if (build(ws, g)) return -1;
    int64_t total = 0;
    for (int k = 1; k <= g->n_vertices; k++) {
        int node = g->n_inputs + k - 1;
        int a = 0, b = 0;
        if (g->kind[node] == CCX_KIND_INTERMEDIATE) {
            a = cut_in_of(ws, g, node);
            b = cut_out_of(ws, g, node);
            total += (int64_t)a * b;
        }
        if (cut_in) cut_in[k - 1] = a;
        if (cut_out) cut_out[k - 1] = b;
    }
    return total;
}

/* reach = every node reachable from seed (seed included) along rows m. */
static void closure(ccx_bound_ws *ws, const ccx_game *g, const uint32_t *seed, int forward) {
    const int W = ws->words;
    memcpy(ws->reach, seed, (size_t)W * sizeof(uint32_t));
    memcpy(ws->frontier, seed, (size_t)W * sizeof(uint32_t));
    for (;;) {
        int any = 0;
        for (int w = 0; w < W; w++) {
            uint32_t bits = ws->frontier[w];
            ws->frontier[w] = 0;
            for (; bits; bits &= bits - 1) {
                int x = w * 32 + __builtin_ctz(bits);
                const uint32_t *r = forward ? srow(g, x) : prow(g, x);
                for (int u = 0; u < W; u++) {
                    uint32_t fresh = r[u] & ~ws->reach[u];
                    if (fresh) {
                        ws->reach[u] |= fresh;
                        ws->frontier[u] |= fresh;
                        any = 1;
                    }
                }
            }
        }
        if (!any) break;
    }
}

int64_t ccx_bound_update(ccx_bound_ws *ws, const ccx_game *g, int vertex,
                         const uint32_t *pred_row, const uint32_t *succ_row, int32_t *cut_in,
                         int32_t *cut_out) {
    const int W = ws->words, nin = g->n_inputs;
    cut_in[vertex - 1] = cut_out[vertex - 1] = 0;
    ws->built = 0;
    /* cut_in(v) can change only for descendants of the eliminated vertex
     * (only their ancestor graphs changed), and only while it is below
     * |P(v)|, its upper bound; likewise cut_out for ancestors */
    for (int dir = 0; dir < 2; dir++) {
        closure(ws, g, dir == 0 ? succ_row : pred_row, dir == 0);
        for (int w = 0; w < W; w++)
            for (uint32_t bits = ws->reach[w]; bits; bits &= bits - 1) {
                int node = w * 32 + __builtin_ctz(bits);
                if (node < nin || g->kind[node] != CCX_KIND_INTERMEDIATE) continue;
                int k = node - nin + 1;
                int32_t *c = dir == 0 ? &cut_in[k - 1] : &cut_out[k - 1];
                int deg = popcount_row(dir == 0 ? prow(g, node) : srow(g, node), W);
                if (*c >= deg) continue;
                if (!ws->built && build(ws, g)) return -1;
                int fresh = dir == 0 ? cut_in_of(ws, g, node) : cut_out_of(ws, g, node);
                if (fresh > *c) *c = fresh;
            }
    }
    int64_t total = 0;
    for (int k = 1; k <= g->n_vertices; k++) total += (int64_t)cut_in[k - 1] * cut_out[k - 1];
    return total;
}

/* ---- pairs ----
 * For two remaining intermediates u and v, whichever goes first, the other
 * is eliminated later in a state that contains the first one's elimination,
 * where its cuts are at least those of the state "now + first eliminated"
 * (cuts never shrink). So
 *     cost(u) + cost(v) >= min(t(u) + t_{+u}(v), t(v) + t_{+v}(u))
 * with t(x) = cut_in(x) * cut_out(x) now and t_{+y}(x) the same after y.
 * The excess over t(u) + t(v) of the pairs of a matching (pairs sharing no
 * vertex) adds to the per-vertex bound. The matching is greedy (largest
 * excess first, ties to the smallest pair): any matching is admissible. */

#define PAIR_MAX_VERTICES 2048

typedef struct {
    int64_t d;
    int u, v;
} pair_gain;

static int cmp_pair(const void *a, const void *b) {
    const pair_gain *x = a, *y = b;
    if (x->d != y->d) return x->d > y->d ? -1 : 1;
    if (x->u != y->u) return x->u < y->u ? -1 : 1;
    return x->v < y->v ? -1 : x->v > y->v;
}

int64_t ccx_bound_pairs(ccx_bound_ws *ws, ccx_game *g, int64_t *per_vertex) {
    const int nv = g->n_vertices, nin = g->n_inputs, W = ws->words;
    if (!ws->pcin) {
        ws->snap = malloc(ccx_game_state_size(g));
        ws->pcin = malloc((size_t)nv * sizeof(int32_t) + 4);
        ws->pcout = malloc((size_t)nv * sizeof(int32_t) + 4);
        ws->ta = malloc((size_t)nv * sizeof(int32_t) + 4);
        ws->tb = malloc((size_t)nv * sizeof(int32_t) + 4);
        ws->prow = malloc((size_t)W * sizeof(uint32_t));
        ws->srow = malloc((size_t)W * sizeof(uint32_t));
        if (nv <= PAIR_MAX_VERTICES) ws->after = malloc((size_t)nv * nv * sizeof(int64_t) + 8);
        if (!ws->snap || !ws->pcin || !ws->pcout || !ws->ta || !ws->tb || !ws->prow || !ws->srow ||
            (nv <= PAIR_MAX_VERTICES && !ws->after)) {
            free(ws->pcin);
            ws->pcin = NULL;
            return -1;
        }
    }
    int64_t base = ccx_bound_compute(ws, g, ws->pcin, ws->pcout);
    if (per_vertex) *per_vertex = base;
    if (base < 0 || nv > PAIR_MAX_VERTICES) return base;
    ccx_game_save(g, ws->snap);
    for (int x = 1; x <= nv; x++) {
        int node = nin + x - 1;
        if (g->kind[node] != CCX_KIND_INTERMEDIATE) continue;
        ccx_game_load(g, ws->snap);
        memcpy(ws->prow, prow(g, node), (size_t)W * sizeof(uint32_t));
        memcpy(ws->srow, srow(g, node), (size_t)W * sizeof(uint32_t));
        ccx_game_step(g, x);
        memcpy(ws->ta, ws->pcin, (size_t)nv * sizeof(int32_t));
        memcpy(ws->tb, ws->pcout, (size_t)nv * sizeof(int32_t));
        if (ccx_bound_update(ws, g, x, ws->prow, ws->srow, ws->ta, ws->tb) < 0) {
            ccx_game_load(g, ws->snap);
            return -1;
        }
        int64_t *row = ws->after + (size_t)(x - 1) * nv;
        for (int y = 0; y < nv; y++) row[y] = (int64_t)ws->ta[y] * ws->tb[y];
    }
    ccx_game_load(g, ws->snap);
    /* greedy matching over the pairs with a positive excess */
    size_t np = 0, cap = 64;
    pair_gain *ps = malloc(cap * sizeof *ps);
    uint8_t *used = calloc((size_t)nv + 1, 1);
    if (!ps || !used) { free(ps); free(used); return -1; }
    for (int u = 1; u <= nv; u++) {
        if (g->kind[nin + u - 1] != CCX_KIND_INTERMEDIATE) continue;
        int64_t tu = (int64_t)ws->pcin[u - 1] * ws->pcout[u - 1];
        for (int v = u + 1; v <= nv; v++) {
            if (g->kind[nin + v - 1] != CCX_KIND_INTERMEDIATE) continue;
            int64_t tv = (int64_t)ws->pcin[v - 1] * ws->pcout[v - 1];
            int64_t d1 = ws->after[(size_t)(u - 1) * nv + v - 1] - tv;
            int64_t d2 = ws->after[(size_t)(v - 1) * nv + u - 1] - tu;
            int64_t d = d1 < d2 ? d1 : d2;
            if (d <= 0) continue;
            if (np == cap) {
                pair_gain *q = realloc(ps, 2 * cap * sizeof *ps);
                if (!q) { free(ps); free(used); return -1; }
                ps = q;
                cap *= 2;
            }
            ps[np++] = (pair_gain){d, u, v};
        }
    }
    qsort(ps, np, sizeof *ps, cmp_pair);
    int64_t gain = 0;
    for (size_t i = 0; i < np; i++) {
        if (used[ps[i].u] || used[ps[i].v]) continue;
        used[ps[i].u] = used[ps[i].v] = 1;
        gain += ps[i].d;
    }
    free(ps);
    free(used);
    return base + gain;
}

int64_t ccx_bound_graph(const ccx_graph *gr, int32_t *cut_in, int32_t *cut_out, ccx_error *err) {
    ccx_game game;
    if (ccx_game_init(&game, gr, err)) return -1;
    ccx_bound_ws *ws = ccx_bound_ws_new(&game);
    int64_t b = ws ? ccx_bound_compute(ws, &game, cut_in, cut_out) : -1;
    if (b < 0) ccx_error_set(err, "out of memory computing the lower bound");
    ccx_bound_ws_free(ws);
    ccx_game_free(&game);
    return b;
}

int64_t ccx_bound_graph_pairs(const ccx_graph *gr, int64_t *per_vertex, ccx_error *err) {
    ccx_game game;
    if (ccx_game_init(&game, gr, err)) return -1;
    ccx_bound_ws *ws = ccx_bound_ws_new(&game);
    int64_t b = ws ? ccx_bound_pairs(ws, &game, per_vertex) : -1;
    if (b < 0) ccx_error_set(err, "out of memory computing the lower bound");
    ccx_bound_ws_free(ws);
    ccx_game_free(&game);
    return b;
}
