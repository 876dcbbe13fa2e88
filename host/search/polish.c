/* Polishing a given order: exact re-ordering of sliding windows, then
 * low-temperature annealing (sa.c) from the result. Never worse than the
 * input: every step keeps the best order seen, and the input is one.
 *
 * Window DP. Fix the vertices before position lo and after lo+w-1; on a
 * scalar graph the cost of the positions after the window does not depend
 * on how the window is ordered (the graph after it depends only on the set),
 * so the best order of the window's w vertices is a shortest path over their
 * subsets:
 *   best[S + v] = min(best[S] + cost(v in state(prefix + S)))
 * with state(prefix + S) built from the state of S's best predecessor by a
 * single elimination. 2^w game snapshots; w <= 16 (and less when the
 * snapshots would pass 64 MiB).
 *
 * On a tensor graph the records depend on the order, not only on the set:
 * the DP is then a heuristic over the best paths' states, and a reordering
 * is kept only if replaying the window and everything after it from the
 * prefix costs less than before. Either way the returned gain is exact. */
#include <stdlib.h>
#include <string.h>

#include "search/search.h"

int64_t ccx_search_window_dp(const ccx_graph *g, int32_t *order, int n, int w, double deadline,
                             uint64_t *windows) {
    if (n < 2 || w < 2) return 0;
    if (w > 16) w = 16;
    if (w > n) w = n;
    ccx_game game;
    ccx_error err;
    if (ccx_game_init(&game, g, &err)) return -1;
    size_t ss = ccx_game_state_size(&game);
    while (w > 2 && ((size_t)1 << w) * ss > ((size_t)64 << 20)) w--;
    size_t n_sub = (size_t)1 << w;
    unsigned char *snap = malloc(n_sub * ss);
    int64_t *best = malloc(n_sub * sizeof(int64_t));
    int8_t *last = malloc(n_sub);
    int32_t *win = malloc((size_t)w * sizeof(int32_t));
    if (!snap || !best || !last || !win) {
        free(snap); free(best); free(last); free(win);
        ccx_game_free(&game);
        return -1;
    }
    int64_t gain = 0;
    int step = w / 2 > 0 ? w / 2 : 1;
    for (;;) {
        int64_t sweep_gain = 0;
        ccx_game_reset(&game);
        ccx_game_save(&game, snap); /* state before lo = 0 */
        for (int lo = 0;;) {
            memcpy(win, order + lo, (size_t)w * sizeof(int32_t));
            /* the window's cost as it stands */
            int64_t old = 0;
            for (int t = 0; t < w; t++) old += ccx_game_step(&game, win[t]);
            best[0] = 0;
            for (size_t S = 1; S < n_sub; S++) best[S] = INT64_MAX;
            for (size_t S = 0; S + 1 < n_sub; S++) {
                if (S) {
                    /* the state along S's best path (any path on scalar graphs) */
                    int b = last[S];
                    ccx_game_load(&game, snap + (S & ~((size_t)1 << b)) * ss);
                    ccx_game_step(&game, win[b]);
                    ccx_game_save(&game, snap + S * ss);
                } else {
                    ccx_game_load(&game, snap);
                }
                for (int v = 0; v < w; v++) {
                    if (S >> v & 1) continue;
                    int64_t c = best[S] + ccx_game_elim_cost(&game, win[v]);
                    size_t T = S | (size_t)1 << v;
                    if (c < best[T]) { best[T] = c; last[T] = (int8_t)v; }
                }
            }
            if (windows) (*windows)++;
            if (best[n_sub - 1] < old) {
                size_t S = n_sub - 1;
                for (int t = w - 1; t >= 0; t--) {
                    order[lo + t] = win[(int)last[S]];
                    S &= ~((size_t)1 << last[S]);
                }
                if (!game.order_dependent) {
                    sweep_gain += old - best[n_sub - 1];
                } else {
                    /* keep it only if the window and the rest now cost less */
                    int64_t before = 0, after = 0;
                    ccx_game_load(&game, snap);
                    for (int t = 0; t < w; t++) before += ccx_game_step(&game, win[t]);
                    for (int t = lo + w; t < n; t++) before += ccx_game_step(&game, order[t]);
                    ccx_game_load(&game, snap);
                    for (int t = lo; t < n; t++) after += ccx_game_step(&game, order[t]);
                    if (after < before) sweep_gain += before - after;
                    else memcpy(order + lo, win, (size_t)w * sizeof(int32_t));
                }
            }
            if (lo + w >= n) break;
            /* advance the prefix state to the next window (the last one ends at n) */
            int next = lo + step + w > n ? n - w : lo + step;
            ccx_game_load(&game, snap);
            for (int t = lo; t < next; t++) ccx_game_step(&game, order[t]);
            ccx_game_save(&game, snap);
            lo = next;
        }
        gain += sweep_gain;
        if (sweep_gain == 0 || (deadline > 0 && ccx_search_now() >= deadline)) break;
    }
    free(snap); free(best); free(last); free(win);
    ccx_game_free(&game);
    return gain;
}

int ccx_search_polish(const ccx_graph *g, const ccx_search_params *p, ccx_search_result *out,
                      ccx_error *err) {
    memset(out, 0, sizeof *out);
    out->start_cost = -1;
    if (!p->start) return ccx_error_set(err, "polish needs a start order");
    int n = ccx_graph_n_intermediates(g);
    int64_t start_cost;
    if (ccx_order_cost(g, p->start, p->n_start, &start_cost, err)) return -1;
    int32_t *order = malloc((size_t)(n + 1) * sizeof(int32_t));
    if (!order) return ccx_error_set(err, "out of memory");
    memcpy(order, p->start, (size_t)n * sizeof(int32_t));
    double t0 = ccx_search_now();
    uint64_t windows = 0;
    int64_t gain = ccx_search_window_dp(g, order, n, 10, 0, &windows);
    if (gain < 0) { free(order); return ccx_error_set(err, "out of memory in polish"); }
    int rc;
    ccx_search_params q = *p;
    q.start = order;
    q.n_start = n;
    if (q.time_limit > 0) {
        q.time_limit -= ccx_search_now() - t0;
        if (q.time_limit <= 0) q.time_limit = -1; /* used up by the windows */
    }
    if (q.time_limit < 0 || (q.time_limit == 0 && q.iters <= 0)) {
        rc = ccx_search_result_set(g, out, order, n, err);
        out->work = windows;
        out->unit = "windows";
    } else {
        rc = ccx_search_anneal(g, &q, 1.5, 0.2, "polish", out, err);
    }
    free(order);
    out->start_cost = start_cost;
    return rc;
}
