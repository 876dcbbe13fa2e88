/* Beam search over eliminated sets.
 *
 * Level d holds at most W states, each a set of d eliminated vertices with
 * the cheapest known cost g of reaching it and its game snapshot. A state's
 * children eliminate one of its KC least-degree vertices (the others are
 * rarely right and would multiply the work). Children with the same set
 * are the same state (the graph depends only on the set): they are merged,
 * keeping the cheaper g (ties: the first parent, least vertex). Each child
 * is scored by g + the cost of the Markowitz-greedy completion from it (a
 * real order: the best completion seen is the running answer); the W best
 * scores form the next level.
 *
 * Anytime: widths W0, 2 W0, 4 W0, ... until the time limit (or up to the
 * largest width `iters`); every width's best order counts. */
#include <stdlib.h>
#include <string.h>

#include "search/search.h"

#define KC 8

typedef struct {
    int32_t parent, vertex;
    int64_t g, score;
    uint32_t hash;
} child;

typedef struct {
    const ccx_graph *g;
    ccx_game game;
    int n, nv, kw;
    size_t ss;
    double deadline;
    /* best complete order */
    int32_t *best;
    int64_t best_cost;
    /* scratch */
    int32_t *tmp_order, *cand;
    int64_t *mk;
} beam_ctx;

static uint32_t hash_key(const uint64_t *k, int kw) {
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < kw; i++) {
        h ^= k[i];
        h *= 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    return (uint32_t)(h ^ (h >> 32));
}

/* prefix of state `idx` at level `d` (d vertices) from the per-level history */
static void prefix_of(int32_t *const *hist_parent, int32_t *const *hist_vertex, int d, int idx,
                      int32_t *out) {
    for (int l = d; l >= 1; l--) {
        out[l - 1] = hist_vertex[l][idx];
        idx = hist_parent[l][idx];
    }
}

static int cmp_child(const void *a, const void *b) {
    const child *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? -1 : 1;
    if (x->g != y->g) return x->g < y->g ? -1 : 1;
    if (x->parent != y->parent) return x->parent < y->parent ? -1 : 1;
    return x->vertex < y->vertex ? -1 : x->vertex > y->vertex;
}

/* One beam run of width W. Returns 0, 1 when the deadline passed, -1 on
 * out of memory. */
static int beam_run(beam_ctx *bc, int W) {
    const int n = bc->n, kw = bc->kw, nv = bc->nv;
    const size_t ss = bc->ss;
    int rc = 0;
    size_t maxc = (size_t)W * KC;
    unsigned char *snap = malloc((size_t)W * ss), *snap_next = malloc((size_t)W * ss);
    uint64_t *keys = calloc((size_t)W * kw, sizeof(uint64_t));
    uint64_t *keys_next = calloc((size_t)W * kw, sizeof(uint64_t));
    uint64_t *ckeys = malloc(maxc * kw * sizeof(uint64_t));
    int64_t *gs = malloc((size_t)W * sizeof(int64_t)), *gs_next = malloc((size_t)W * sizeof(int64_t));
    child *ch = malloc(maxc * sizeof(child));
    size_t tcap = 16;
    while (tcap < 2 * maxc) tcap <<= 1;
    int32_t *table = malloc(tcap * sizeof(int32_t));
    int32_t **hp = calloc((size_t)n + 1, sizeof(int32_t *)), **hv = calloc((size_t)n + 1, sizeof(int32_t *));
    int32_t *prefix = malloc((size_t)(n + 1) * sizeof(int32_t));
    int32_t *order_k = malloc((size_t)nv * sizeof(int32_t));
    int64_t *deg_k = malloc((size_t)nv * sizeof(int64_t));
    if (!snap || !snap_next || !keys || !keys_next || !ckeys || !gs || !gs_next || !ch || !table ||
        !hp || !hv || !prefix || !order_k || !deg_k) {
        rc = -1;
        goto done;
    }
    ccx_game_reset(&bc->game);
    ccx_game_save(&bc->game, snap);
    gs[0] = 0;
    int count = 1;
    for (int d = 0; d < n && rc == 0; d++) {
        /* expand: children of every state, merged by set */
        for (size_t t = 0; t < tcap; t++) table[t] = -1;
        size_t nc = 0;
        for (int i = 0; i < count; i++) {
            ccx_game_load(&bc->game, snap + (size_t)i * ss);
            /* the KC least-degree remaining vertices (ties: least number) */
            int m = 0;
            for (int k = 1; k <= nv; k++) {
                if (!ccx_game_is_legal(&bc->game, k)) continue;
                int64_t dk = ccx_game_elim_cost(&bc->game, k);
                int at;
                if (m < KC) at = m++;
                else if (dk >= deg_k[KC - 1]) continue;
                else at = KC - 1;
                while (at > 0 && deg_k[at - 1] > dk) {
                    deg_k[at] = deg_k[at - 1];
                    order_k[at] = order_k[at - 1];
                    at--;
                }
                deg_k[at] = dk;
                order_k[at] = k;
            }
            for (int c = 0; c < m; c++) {
                int v = order_k[c];
                uint64_t *key = ckeys + nc * kw;
                memcpy(key, keys + (size_t)i * kw, (size_t)kw * sizeof(uint64_t));
                key[(v - 1) >> 6] |= 1ull << ((v - 1) & 63);
                uint32_t h = hash_key(key, kw);
                int64_t gch = gs[i] + deg_k[c];
                size_t slot = h & (tcap - 1);
                int found = -1;
                while (table[slot] >= 0) {
                    int o = table[slot];
                    if (ch[o].hash == h && memcmp(ckeys + (size_t)o * kw, key, (size_t)kw * 8) == 0) {
                        found = o;
                        break;
                    }
                    slot = (slot + 1) & (tcap - 1);
                }
                if (found >= 0) {
                    if (gch < ch[found].g) {
                        ch[found].g = gch;
                        ch[found].parent = i;
                        ch[found].vertex = v;
                    }
                    continue;
                }
                table[slot] = (int32_t)nc;
                ch[nc].parent = i;
                ch[nc].vertex = v;
                ch[nc].g = gch;
                ch[nc].hash = h;
                nc++;
            }
        }
        /* score: g + Markowitz-greedy completion */
        for (size_t c = 0; c < nc; c++) {
            if ((c & 15) == 0 && bc->deadline > 0 && ccx_search_now() >= bc->deadline) {
                rc = 1;
                break;
            }
            ccx_game_load(&bc->game, snap + (size_t)ch[c].parent * ss);
            ccx_game_step(&bc->game, ch[c].vertex);
            int64_t rest = ccx_search_greedy(&bc->game, NULL, 0, bc->tmp_order, bc->mk, bc->cand);
            ch[c].score = ch[c].g + rest;
            if (ch[c].score < bc->best_cost) {
                bc->best_cost = ch[c].score;
                prefix_of(hp, hv, d, ch[c].parent, prefix);
                memcpy(bc->best, prefix, (size_t)d * sizeof(int32_t));
                bc->best[d] = ch[c].vertex;
                memcpy(bc->best + d + 1, bc->tmp_order, (size_t)(n - d - 1) * sizeof(int32_t));
            }
        }
        if (rc) break;
        qsort(ch, nc, sizeof(child), cmp_child);
        int keep = nc < (size_t)W ? (int)nc : W;
        hp[d + 1] = malloc((size_t)keep * sizeof(int32_t));
        hv[d + 1] = malloc((size_t)keep * sizeof(int32_t));
        if (!hp[d + 1] || !hv[d + 1]) { rc = -1; break; }
        for (int c = 0; c < keep; c++) {
            hp[d + 1][c] = ch[c].parent;
            hv[d + 1][c] = ch[c].vertex;
            ccx_game_load(&bc->game, snap + (size_t)ch[c].parent * ss);
            ccx_game_step(&bc->game, ch[c].vertex);
            ccx_game_save(&bc->game, snap_next + (size_t)c * ss);
            memcpy(keys_next + (size_t)c * kw, keys + (size_t)ch[c].parent * kw, (size_t)kw * 8);
            keys_next[(size_t)c * kw + ((ch[c].vertex - 1) >> 6)] |= 1ull << ((ch[c].vertex - 1) & 63);
            gs_next[c] = ch[c].g;
        }
        unsigned char *ts = snap; snap = snap_next; snap_next = ts;
        uint64_t *tk = keys; keys = keys_next; keys_next = tk;
        int64_t *tg = gs; gs = gs_next; gs_next = tg;
        count = keep;
    }
    if (rc == 0) {
        /* the last level holds complete orders: the least g is exact */
        int bi = 0;
        for (int i = 1; i < count; i++)
            if (gs[i] < gs[bi]) bi = i;
        if (count > 0 && n > 0 && gs[bi] < bc->best_cost) {
            bc->best_cost = gs[bi];
            prefix_of(hp, hv, n, bi, bc->best);
        }
    }
done:
    if (hp) for (int l = 0; l <= n; l++) free(hp[l]);
    if (hv) for (int l = 0; l <= n; l++) free(hv[l]);
    free(hp); free(hv);
    free(snap); free(snap_next); free(keys); free(keys_next); free(ckeys); free(gs); free(gs_next);
    free(ch); free(table); free(prefix); free(order_k); free(deg_k);
    return rc;
}

int ccx_search_beam(const ccx_graph *g, const ccx_search_params *p, ccx_search_result *out,
                    ccx_error *err) {
    memset(out, 0, sizeof *out);
    out->start_cost = -1;
    beam_ctx bc;
    memset(&bc, 0, sizeof bc);
    bc.g = g;
    if (ccx_game_init(&bc.game, g, err)) return -1;
    bc.n = ccx_graph_n_intermediates(g);
    bc.nv = g->n_vertices;
    bc.kw = (bc.nv + 63) / 64;
    bc.ss = ccx_game_state_size(&bc.game);
    double t0 = ccx_search_now();
    bc.deadline = p->time_limit > 0 ? t0 + p->time_limit : 0;
    bc.best = malloc((size_t)(bc.n + 1) * sizeof(int32_t));
    bc.tmp_order = malloc((size_t)(bc.n + 1) * sizeof(int32_t));
    bc.cand = malloc((size_t)bc.nv * sizeof(int32_t));
    bc.mk = malloc((size_t)bc.nv * sizeof(int64_t));
    int rc = 0;
    if (!bc.best || !bc.tmp_order || !bc.cand || !bc.mk) rc = -1;
    if (rc == 0) {
        /* the answer before any beam: minimal Markowitz */
        bc.best_cost = ccx_search_greedy(&bc.game, NULL, 0, bc.best, bc.mk, bc.cand);
        int W = p->width > 0 ? p->width : 8;
        int64_t max_w = p->iters > 0 ? p->iters : (p->time_limit > 0 ? (int64_t)1 << 30 : W);
        uint64_t widths = 0;
        double last_print = t0;
        while (W <= max_w) {
            int r = beam_run(&bc, W);
            if (r < 0) { rc = -1; break; }
            widths++;
            double now = ccx_search_now();
            if (p->progress && now - last_print >= p->progress_every) {
                fprintf(p->progress, "ccx search: beam   %7.1f s  best %lld  width %d done\n",
                        now - t0, (long long)bc.best_cost, W);
                fflush(p->progress);
                last_print = now;
            }
            if (r == 1 || (bc.deadline > 0 && now >= bc.deadline)) break;
            if (W > (1 << 24)) break;
            W *= 2;
        }
        out->work = widths;
        out->unit = "widths";
    }
    if (rc == 0) rc = ccx_search_result_set(g, out, bc.best, bc.n, err);
    else ccx_error_set(err, "out of memory in beam search (width too large?)");
    free(bc.best); free(bc.tmp_order); free(bc.cand); free(bc.mk);
    ccx_game_free(&bc.game);
    out->start_cost = -1;
    return rc;
}
