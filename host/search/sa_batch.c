/* Batched annealing: many chains evaluated at once by the batched
 * environments (env/env.h) — the GPU-parallel search of `--backend cuda`.
 *
 * B chains form a parallel-tempering ladder: chain levels 0..B-1 carry
 * temperatures T_l = T_lo (T_hi / T_lo)^(l / (B - 1)). Every iteration each
 * chain proposes one move (insert, swap or insert next to a graph neighbour,
 * as in sa.c) on the host; the B candidate orders are uploaded and played in
 * one fused call (ccx_env_reset + ccx_env_play_orders: one warp per env on
 * cuda), their costs come back (ccx_env_get_info), and the host accepts each
 * by the Metropolis rule at its chain's temperature. Every SWAP_EVERY
 * iterations neighbouring levels exchange temperatures with the
 * replica-exchange probability min(1, exp((1/T_a - 1/T_b)(E_a - E_b))).
 * The best order seen is finished by exact window re-ordering (polish.c).
 *
 * Candidate rows of the upload buffer differ from the chains' current orders
 * only inside the proposed segment, so proposing, accepting and rejecting
 * cost O(segment) per chain, not O(n).
 *
 * Chain b draws from its own generator (seed, b); costs are exact integers
 * on every backend, so a fixed seed, chain count and iteration budget give
 * the same order on cpu and cuda. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "env/env.h"
#include "search/search.h"

#define SWAP_EVERY 8
#define T_LO 0.2
#define T_HI 8.0

typedef struct {
    ccx_rng rng;
    int64_t cost;
    int level;
    int lo, hi;  /* proposed segment; lo < 0: no proposal */
} bchain;

int ccx_search_sa_batch(const ccx_graph *g, const ccx_search_params *p, ccx_backend backend,
                        ccx_search_result *out, ccx_error *err) {
    memset(out, 0, sizeof *out);
    out->start_cost = -1;
    const int n = ccx_graph_n_intermediates(g), nv = g->n_vertices;
    const int B = p->chains > 0 ? p->chains : (backend == CCX_BACKEND_CUDA ? 4096 : 64);
    const double t0 = ccx_search_now();
    const double deadline = p->time_limit > 0 ? t0 + p->time_limit : 0;
    if (p->time_limit <= 0 && p->iters <= 0)
        return ccx_error_set(err, "batched annealing needs a time limit or an iteration budget");
    if (B < 2 || B > CCX_ENV_MAX_ENVS) return ccx_error_set(err, "chains must be in 2..%d", CCX_ENV_MAX_ENVS);

    /* start: the best randomized-Markowitz order for every chain */
    ccx_search_result start;
    memset(&start, 0, sizeof start);
    {
        ccx_search_params q = *p;
        q.time_limit = 0;
        q.progress = NULL;
        q.iters = 256;
        q.threads = 1;
        if (ccx_search_rmk(g, &q, &start, err)) return -1;
    }
    if (n < 2) {
        int rc = ccx_search_result_set(g, out, start.order, n, err);
        ccx_search_result_free(&start);
        out->unit = "moves";
        return rc;
    }

    const ccx_graph *graphs[1] = {g};
    ccx_env *env = ccx_env_create(backend, B, graphs, 1, NULL, 0, err);
    if (!env) { ccx_search_result_free(&start); return -1; }
    const int n_pad = ccx_env_get_layout(env)->n_pad;

    int rc = 0;
    bchain *ch = calloc((size_t)B, sizeof *ch);
    int32_t *cur = malloc((size_t)B * n * sizeof(int32_t));          /* [B][n] */
    int32_t *pos = malloc((size_t)B * (nv + 1) * sizeof(int32_t));   /* [B][nv+1] */
    int32_t *cand = calloc((size_t)B * n_pad, sizeof(int32_t));      /* [B][n_pad] upload rows */
    int64_t *costs = malloc((size_t)B * sizeof(int64_t));
    int *chain_at = malloc((size_t)B * sizeof(int));
    double *temp = malloc((size_t)B * sizeof(double));
    int32_t *best = malloc((size_t)n * sizeof(int32_t));
    int32_t *nb = NULL;
    int *nb_head = calloc((size_t)nv + 1, sizeof(int));
    void *d_orders = ccx_env_buf_alloc(env, (size_t)B * n_pad * sizeof(int32_t), err);
    void *d_costs = d_orders ? ccx_env_buf_alloc(env, (size_t)B * sizeof(int64_t), err) : NULL;
    if (!ch || !cur || !pos || !cand || !costs || !chain_at || !temp || !best || !nb_head) {
        rc = ccx_error_set(err, "out of memory in batched annealing");
        goto done;
    }
    if (!d_orders || !d_costs) { rc = -1; goto done; }
    /* neighbour lists of the original graph (vertex numbers) */
    nb = malloc((size_t)(2 * g->n_edges + 1) * sizeof(int32_t));
    if (!nb) { rc = ccx_error_set(err, "out of memory"); goto done; }
    {
        int *fill = calloc((size_t)nv + 1, sizeof(int));
        if (!fill) { rc = ccx_error_set(err, "out of memory"); goto done; }
        for (int e = 0; e < g->n_edges; e++) {
            int a = ccx_vertex_of_node(g, g->edges[e].src), b = ccx_vertex_of_node(g, g->edges[e].dst);
            if (a && b) { nb_head[a]++; nb_head[b]++; }
        }
        for (int k = 1; k <= nv; k++) nb_head[k] += nb_head[k - 1];
        for (int e = 0; e < g->n_edges; e++) {
            int a = ccx_vertex_of_node(g, g->edges[e].src), b = ccx_vertex_of_node(g, g->edges[e].dst);
            if (a && b) {
                nb[nb_head[a - 1] + fill[a]++] = b;
                nb[nb_head[b - 1] + fill[b]++] = a;
            }
        }
        free(fill);
    }
    int64_t best_cost = start.cost;
    memcpy(best, start.order, (size_t)n * sizeof(int32_t));
    for (int b = 0; b < B; b++) {
        ccx_rng_seed(&ch[b].rng, p->seed * 0x9E3779B97F4A7C15ull ^ (uint64_t)b * 0xD1B54A32D192ED03ull);
        ch[b].cost = start.cost;
        ch[b].level = b;
        ch[b].lo = -1;
        chain_at[b] = b;
        temp[b] = T_LO * pow(T_HI / T_LO, (double)b / (double)(B - 1));
        memcpy(cur + (size_t)b * n, start.order, (size_t)n * sizeof(int32_t));
        memcpy(cand + (size_t)b * n_pad, start.order, (size_t)n * sizeof(int32_t));
        int32_t *pb = pos + (size_t)b * (nv + 1);
        for (int k = 0; k <= nv; k++) pb[k] = -1;
        for (int i = 0; i < n; i++) pb[start.order[i]] = i;
    }

    ccx_rng swap_rng;
    ccx_rng_seed(&swap_rng, p->seed ^ 0x5A5A5A5A5A5A5A5Aull);
    uint64_t moves = 0;
    double last_print = t0;
    const int64_t lower_bound = ccx_bound_graph_pairs(g, NULL, err);
    if (lower_bound < 0) { rc = -1; goto done; }
    for (int64_t it = 0;; it++) {
        if (best_cost <= lower_bound) break; /* proven optimal */
        if (p->iters > 0 && it >= p->iters) break;
        if (deadline > 0 && ccx_search_now() >= deadline) break;
        /* propose: rewrite segment lo..hi of each chain's candidate row */
        for (int b = 0; b < B; b++) {
            bchain *c = &ch[b];
            int32_t *o = cur + (size_t)b * n, *row = cand + (size_t)b * n_pad;
            int32_t *pb = pos + (size_t)b * (nv + 1);
            c->lo = -1;
            int i = (int)ccx_rng_below(&c->rng, (uint64_t)n), j;
            uint64_t r = ccx_rng_next(&c->rng);
            int kind = (int)(r & 3);
            if (kind == 3) {
                int v = o[i], deg = nb_head[v] - nb_head[v - 1];
                if (deg == 0) continue;
                int u = nb[nb_head[v - 1] + (int)((r >> 8) % (uint64_t)deg)];
                j = pb[u];
                if (j < 0) continue;
                if ((r >> 40) & 1) j += (j < i) ? 1 : 0;
                else j -= (j > i) ? 1 : 0;
                if (j == i) continue;
            } else {
                int d = (r >> 2) % 4 != 0 ? 1 + (int)((r >> 8) % (uint64_t)(n - 1 < 8 ? n - 1 : 8))
                                          : 1 + (int)((r >> 8) % (uint64_t)(n - 1));
                j = ((r >> 40) & 1) ? i + d : i - d;
                if (j < 0 || j >= n) j = ((r >> 40) & 1) ? i - d : i + d;
                if (j < 0 || j >= n) continue;
            }
            int lo = i < j ? i : j, hi = i < j ? j : i;
            if (kind == 2) {
                row[lo] = o[hi];
                row[hi] = o[lo];
            } else if (i < j) {
                memcpy(row + i, o + i + 1, (size_t)(j - i) * sizeof(int32_t));
                row[j] = o[i];
            } else {
                row[j] = o[i];
                memcpy(row + j + 1, o + j, (size_t)(i - j) * sizeof(int32_t));
            }
            c->lo = lo;
            c->hi = hi;
        }
        /* evaluate all B candidates at once */
        if (ccx_env_upload(env, d_orders, cand, (size_t)B * n_pad * sizeof(int32_t), err) ||
            ccx_env_reset(env, NULL, err) ||
            ccx_env_play_orders(env, NULL, d_orders, CCX_ENV_DEFER, err) ||
            ccx_env_get_info(env, d_costs, NULL, NULL, err) ||
            ccx_env_download(env, costs, d_costs, (size_t)B * sizeof(int64_t), err)) {
            rc = -1;
            break;
        }
        /* accept or reject */
        for (int b = 0; b < B; b++) {
            bchain *c = &ch[b];
            if (c->lo < 0) continue;
            int32_t *o = cur + (size_t)b * n, *row = cand + (size_t)b * n_pad;
            int64_t delta = costs[b] - c->cost;
            int accept = delta <= 0;
            if (!accept) {
                double u = ccx_rng_unit(&c->rng);
                accept = u < exp(-(double)delta / temp[c->level]);
            }
            size_t len = (size_t)(c->hi - c->lo + 1);
            if (accept) {
                memcpy(o + c->lo, row + c->lo, len * sizeof(int32_t));
                int32_t *pb = pos + (size_t)b * (nv + 1);
                for (int q = c->lo; q <= c->hi; q++) pb[o[q]] = q;
                c->cost = costs[b];
                if (c->cost < best_cost) {
                    best_cost = c->cost;
                    memcpy(best, o, (size_t)n * sizeof(int32_t));
                }
            } else {
                memcpy(row + c->lo, o + c->lo, len * sizeof(int32_t));
            }
            c->lo = -1;
        }
        moves += (uint64_t)B;
        /* replica exchange between neighbouring temperatures */
        if (it % SWAP_EVERY == SWAP_EVERY - 1) {
            ccx_rng *r = &swap_rng;
            for (int l = (int)((it / SWAP_EVERY) & 1); l + 1 < B; l += 2) {
                int a = chain_at[l], b = chain_at[l + 1];
                double x = (1.0 / temp[l] - 1.0 / temp[l + 1]) * (double)(ch[a].cost - ch[b].cost);
                if (x >= 0 || ccx_rng_unit(r) < exp(x)) {
                    chain_at[l] = b;
                    chain_at[l + 1] = a;
                    ch[a].level = l + 1;
                    ch[b].level = l;
                }
            }
        }
        if (p->progress) {
            double now = ccx_search_now();
            if (now - last_print >= p->progress_every) {
                ccx_search_progress(p->progress, backend == CCX_BACKEND_CUDA ? "sa/cuda" : "sa/env",
                                    now - t0, best_cost, moves, "moves");
                last_print = now;
            }
        }
    }
    if (rc == 0 && ccx_env_sync(env, err)) rc = -1;
    if (rc == 0) {
        int64_t gain = ccx_search_window_dp(g, best, n, 10, 0, NULL);
        if (gain < 0) rc = ccx_error_set(err, "out of memory polishing");
    }
    if (rc == 0) rc = ccx_search_result_set(g, out, best, n, err);
    out->work = moves;
    out->unit = "moves";
    out->start_cost = start.cost;
done:
    if (d_orders) ccx_env_buf_free(env, d_orders);
    if (d_costs) ccx_env_buf_free(env, d_costs);
    ccx_env_destroy(env);
    ccx_search_result_free(&start);
    free(ch); free(cur); free(pos); free(cand); free(costs); free(chain_at); free(temp);
    free(best); free(nb); free(nb_head);
    return rc ? -1 : 0;
}
