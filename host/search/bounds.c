/* The admissible lower bound of search.h: for each remaining intermediate v,
 * cut_in(v) * cut_out(v), the sizes of minimum vertex separators between
 * the inputs and v and between v and the outputs in the current graph.
 *
 * Tensor graphs: only certainly-costly edges (game.h costly_preds/succs:
 * types whose every pair costs >= 1 and whose products and merges stay
 * such) are sure to cost when v is eliminated; an edge of another type may
 * cost nothing. So cut_in(v) separates the inputs from v's costly
 * predecessors (paths may use any edges, but must enter v by a costly
 * edge), cut_out(v) likewise towards the outputs: when v is eliminated, each
 * path that enters v by a costly edge gives v a costly predecessor (the
 * path's last vertex still there; its edge to v is costly since a costly
 * edge is on the way), so v's costly predecessors then are such a
 * separator. Every costly pred x costly succ pair costs at least
 * w(s) = min(s1, s2), the smaller dim of the successor's shape (every
 * contraction mask of two costly types selects s1 or s2; checked on the
 * tables by tests/test_tensor_game.cc), so cut_out(v) is a vertex-weighted
 * separator, weights w (a unit-weight one on scalar graphs). The costly
 * marks depend only on the set eliminated, and the cuts never shrink, as on
 * scalar graphs, where every edge is costly and this is the bound above.
 *
 * A minimum vertex separator is a maximum set of paths that share no vertex
 * but v (Menger), found as a max flow on the split graph: every live node x
 * becomes in(x) -> out(x) with capacity 1 (cut_out: w(x)), so inputs and
 * outputs can be cut too, every edge u -> w becomes out(u) -> in(w) (capacity
 * 1; cut_out: unbounded).
 *   cut_in(v):  source S -> in(i) for every input i, sink in(v);
 *   cut_out(v): source out(v), sink T <- out(o) for every output o.
 * Flows are tiny (at most |P(v)| or |S(v)|), so plain BFS augmenting paths
 * (Edmonds-Karp) are enough. */
#include <stdlib.h>
#include <string.h>

#include "game/cost.h"
#include "graph/real_partials.h"
#include "search/search.h"

struct ccx_bound_ws {
    int n_nodes, words, n_inputs;
    int n_split;          /* 2 * n_nodes + 2 (S, T) */
    int max_edges;
    int n_edges;
    int *head;            /* [n_split + 1] CSR offsets */
    int *adj;             /* [max_edges] edge ids by tail, CSR order */
    int *tail, *to;       /* [max_edges] */
    int32_t *cap;         /* [max_edges] residual capacity */
    int32_t *wcap;        /* [max_edges] capacity in weighted (cut_out) flows */
    uint8_t *costly;      /* [max_edges] the edge is certainly costly (tensor graphs) */
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
    ws->cap = malloc((size_t)ws->max_edges * sizeof(int32_t));
    ws->wcap = malloc((size_t)ws->max_edges * sizeof(int32_t));
    ws->costly = malloc((size_t)ws->max_edges);
    ws->queue = malloc((size_t)ws->n_split * sizeof(int));
    ws->prev_edge = malloc((size_t)ws->n_split * sizeof(int));
    ws->deg = malloc((size_t)(ws->n_split + 1) * sizeof(int));
    ws->reach = malloc((size_t)ws->words * sizeof(uint32_t));
    ws->frontier = malloc((size_t)ws->words * sizeof(uint32_t));
    if (!ws->head || !ws->adj || !ws->tail || !ws->to || !ws->cap || !ws->wcap || !ws->costly ||
        !ws->queue ||
        !ws->prev_edge || !ws->deg || !ws->reach || !ws->frontier) {
        ccx_bound_ws_free(ws);
        return NULL;
    }
    return ws;
}

void ccx_bound_ws_free(ccx_bound_ws *ws) {
    if (!ws) return;
    free(ws->head); free(ws->adj); free(ws->tail); free(ws->to); free(ws->cap); free(ws->wcap); free(ws->costly);
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
static inline const uint32_t *cprow(const ccx_game *g, int node) {
    return g->costly_preds + (size_t)node * g->words;
}
static inline const uint32_t *csrow(const ccx_game *g, int node) {
    return g->costly_succs + (size_t)node * g->words;
}
static int popcount_row(const uint32_t *r, int words) {
    int c = 0;
    for (int w = 0; w < words; w++) c += __builtin_popcount(r[w]);
    return c;
}

#define FLOW_INF (1 << 30)

/* w(x): the least a costly pair with successor x costs (1 on scalar graphs) */
static inline int32_t weight(const ccx_game *g, int x) {
    if (!g->tensor) return 1;
    int32_t a = g->shape[2 * x], b = g->shape[2 * x + 1];
    return a < b ? a : b;
}

static int add_edge(ccx_bound_ws *ws, int u, int v, int costly, int32_t wcap) {
    if (ws->n_edges + 2 > ws->max_edges) {
        int m = ws->max_edges * 2;
        int *adj = realloc(ws->adj, (size_t)m * sizeof(int));
        if (adj) ws->adj = adj;
        int *tail = realloc(ws->tail, (size_t)m * sizeof(int));
        if (tail) ws->tail = tail;
        int *to = realloc(ws->to, (size_t)m * sizeof(int));
        if (to) ws->to = to;
        int32_t *cap = realloc(ws->cap, (size_t)m * sizeof(int32_t));
        if (cap) ws->cap = cap;
        int32_t *wc = realloc(ws->wcap, (size_t)m * sizeof(int32_t));
        if (wc) ws->wcap = wc;
        uint8_t *cst = realloc(ws->costly, (size_t)m);
        if (cst) ws->costly = cst;
        if (!adj || !tail || !to || !cap || !wc || !cst) return -1;
        ws->max_edges = m;
    }
    int e = ws->n_edges;
    ws->tail[e] = u; ws->to[e] = v; ws->cap[e] = 1; ws->costly[e] = (uint8_t)costly;
    ws->tail[e + 1] = v; ws->to[e + 1] = u; ws->cap[e + 1] = 0; ws->costly[e + 1] = (uint8_t)costly;
    ws->wcap[e] = wcap;
    ws->wcap[e + 1] = 0;
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
        if (add_edge(ws, 2 * x, 2 * x + 1, 1, weight(g, x))) return -1;
        if (k == CCX_KIND_INPUT && add_edge(ws, S, 2 * x, 1, FLOW_INF)) return -1;
        if (k == CCX_KIND_OUTPUT && add_edge(ws, 2 * x + 1, T, 1, FLOW_INF)) return -1;
        const uint32_t *r = srow(g, x), *c = csrow(g, x);
        for (int w = 0; w < ws->words; w++)
            for (uint32_t bits = r[w]; bits; bits &= bits - 1) {
                int y = w * 32 + __builtin_ctz(bits);
                if (add_edge(ws, 2 * x + 1, 2 * y, (int)(c[w] >> (y & 31) & 1), FLOW_INF)) return -1;
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

/* Max flow source -> sink, stopping once it reaches `limit`; unit
 * capacities, or the weighted ones (wcap). Edges into the sink or out of
 * the source count only when certainly costly (node edges, S and T edges are
 * always marked costly). */
static int64_t max_flow(ccx_bound_ws *ws, int source, int sink, int64_t limit, int weighted) {
    for (int e = 0; e < ws->n_edges; e++) ws->cap[e] = (e & 1) ? 0 : weighted ? ws->wcap[e] : 1;
    int64_t flow = 0;
    while (flow < limit) {
        for (int u = 0; u < ws->n_split; u++) ws->prev_edge[u] = -1;
        int qh = 0, qt = 0;
        ws->queue[qt++] = source;
        ws->prev_edge[source] = -2;
        while (qh < qt && ws->prev_edge[sink] == -1) {
            int u = ws->queue[qh++];
            for (int a = ws->head[u]; a < ws->head[u + 1]; a++) {
                int e = ws->adj[a], v = ws->to[e];
                if (!ws->costly[e] && (v == sink || u == source)) continue;
                if (ws->cap[e] && ws->prev_edge[v] == -1) {
                    ws->prev_edge[v] = e;
                    ws->queue[qt++] = v;
                }
            }
        }
        if (ws->prev_edge[sink] == -1) break;
        int64_t push = limit - flow;
        for (int v = sink; v != source; v = ws->tail[ws->prev_edge[v]])
            if (ws->cap[ws->prev_edge[v]] < push) push = ws->cap[ws->prev_edge[v]];
        for (int v = sink; v != source;) {
            int e = ws->prev_edge[v];
            ws->cap[e] -= (int32_t)push;
            ws->cap[e ^ 1] += (int32_t)push;
            v = ws->tail[e];
        }
        flow += push;
    }
    return flow;
}

/* Upper bounds of the cuts: the costly predecessors themselves, and the
 * weight of the costly successors. */
static int64_t in_limit(const ccx_game *g, int node) {
    return popcount_row(cprow(g, node), g->words);
}
static int64_t out_limit(const ccx_game *g, int node) {
    const uint32_t *r = csrow(g, node);
    int64_t sum = 0;
    for (int w = 0; w < g->words; w++)
        for (uint32_t bits = r[w]; bits; bits &= bits - 1) sum += weight(g, w * 32 + __builtin_ctz(bits));
    return sum;
}

static int cut_in_of(ccx_bound_ws *ws, const ccx_game *g, int node) {
    int64_t lim = in_limit(g, node);
    if (lim == 0) return 0;
    return (int)max_flow(ws, 2 * ws->n_nodes, 2 * node, lim, 0);
}

static int cut_out_of(ccx_bound_ws *ws, const ccx_game *g, int node) {
    int64_t lim = out_limit(g, node);
    if (lim == 0) return 0;
    return (int)max_flow(ws, 2 * node + 1, 2 * ws->n_nodes + 1, lim, 1);
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
            total += ccx_scalar_pair_cost(a, b);
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
                int64_t lim = dir == 0 ? in_limit(g, node) : out_limit(g, node);
                if (*c >= lim) continue;
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

/* The real model's bound. A vertex whose original in- and out-edges all
 * carry data (no constant partial) has only data edges when it is
 * eliminated, if no edge of the graph is zero: every edge into it is then a
 * sum of products whose last factor is one of its original in-edges (data)
 * and whose other factors are never zero, and data times anything non-zero
 * is data (game/real_cost.h); likewise out of it. Each of its pairs then
 * costs at least 1, and there are |P(v)| * |S(v)| >= cut_in(v) * cut_out(v)
 * of them (the cuts of the per-vertex bound above, over every edge: a
 * real-model game keeps no AlphaGrad records, so all its edges count). Any other
 * vertex may cost nothing (a +-1 partial), so it adds 0. */
int64_t ccx_bound_real(const ccx_graph *gr, int64_t *per_vertex, ccx_error *err) {
    const int nv = gr->n_vertices, nin = gr->n_inputs;
    ccx_lax *part = malloc((size_t)(gr->n_edges + 1) * sizeof(ccx_lax));
    int32_t *cin = malloc((size_t)(nv + 1) * sizeof(int32_t));
    int32_t *cout = malloc((size_t)(nv + 1) * sizeof(int32_t));
    uint8_t *all_data = malloc((size_t)(nv + 1));
    int64_t total = -1;
    if (!part || !cin || !cout || !all_data) {
        ccx_error_set(err, "out of memory computing the lower bound");
        goto done;
    }
    if (ccx_real_partials(gr, part, err)) goto done;
    memset(all_data, 1, (size_t)nv);
    int any_zero = 0;
    for (int e = 0; e < gr->n_edges; e++) {
        const ccx_edge *ed = &gr->edges[e];
        any_zero |= part[e].kind == CCX_LAX_ZERO;
        if (part[e].kind != CCX_LAX_DATA) {
            all_data[ed->dst - nin] = 0;
            if (ed->src >= nin) all_data[ed->src - nin] = 0;
        }
    }
    {
        ccx_game game;
        if (ccx_game_init_model(&game, gr, CCX_COST_REAL, err)) goto done;
        ccx_bound_ws *ws = ccx_bound_ws_new(&game);
        int64_t b = ws ? ccx_bound_compute(ws, &game, cin, cout) : -1;
        ccx_bound_ws_free(ws);
        ccx_game_free(&game);
        if (b < 0) {
            ccx_error_set(err, "out of memory computing the lower bound");
            goto done;
        }
    }
    total = 0;
    for (int k = 0; k < nv; k++) {
        int64_t t = !any_zero && all_data[k] && !gr->vertices[k].is_output
                        ? (int64_t)cin[k] * cout[k] : 0;
        total += t;
    }
    if (per_vertex) *per_vertex = total; /* no pair term under real */
done:
    free(part);
    free(cin);
    free(cout);
    free(all_data);
    return total;
}

int64_t ccx_bound_graph_pairs(const ccx_graph *gr, int64_t *per_vertex, ccx_error *err) {
    if (gr->cost_model == CCX_COST_REAL) return ccx_bound_real(gr, per_vertex, err);
    ccx_game game;
    if (ccx_game_init(&game, gr, err)) return -1;
    ccx_bound_ws *ws = ccx_bound_ws_new(&game);
    int64_t b = ws ? ccx_bound_pairs(ws, &game, per_vertex) : -1;
    if (b < 0) ccx_error_set(err, "out of memory computing the lower bound");
    ccx_bound_ws_free(ws);
    ccx_game_free(&game);
    return b;
}
