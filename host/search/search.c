/* Shared pieces of the searches: parameters, results, the clock, the
 * Markowitz-greedy completion, and the dispatch that adds the graph's lower
 * bound to every result. */
#include "search/search.h"
#include "util/clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const METHOD_NAMES[] = {"rmk", "beam", "sa", "exact", "polish"};

const char *ccx_search_method_name(ccx_search_method m) {
    return (unsigned)m < sizeof METHOD_NAMES / sizeof METHOD_NAMES[0] ? METHOD_NAMES[m] : "?";
}

int ccx_search_method_parse(const char *name, ccx_search_method *out) {
    for (int i = 0; i < (int)(sizeof METHOD_NAMES / sizeof METHOD_NAMES[0]); i++)
        if (strcmp(name, METHOD_NAMES[i]) == 0) {
            *out = (ccx_search_method)i;
            return 0;
        }
    return -1;
}

void ccx_search_params_default(ccx_search_params *p) {
    memset(p, 0, sizeof *p);
    p->time_limit = 10.0;
    p->threads = 1;
    p->progress_every = 5.0;
}

void ccx_search_result_free(ccx_search_result *r) {
    free(r->order);
    memset(r, 0, sizeof *r);
}

double ccx_search_now(void) { return ccx_now_s(); }

void ccx_search_progress(FILE *f, const char *method, double elapsed, int64_t best,
                         uint64_t work, const char *unit) {
    if (!f) return;
    double rate = elapsed > 0 ? (double)work / elapsed : 0;
    fprintf(f, "ccx search: %-6s %7.1f s  best %lld  %.3g %s/s\n", method, elapsed,
            (long long)best, rate, unit);
    fflush(f);
}

int ccx_search_result_set(const ccx_graph *g, ccx_search_result *out, const int32_t *order,
                          int n, ccx_error *err) {
    int64_t cost;
    if (ccx_order_cost(g, order, n, &cost, err)) return -1;
    int32_t *copy = malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    if (!copy) return ccx_error_set(err, "out of memory");
    memcpy(copy, order, (size_t)n * sizeof(int32_t));
    free(out->order);
    out->order = copy;
    out->n = n;
    out->cost = cost;
    return 0;
}

int64_t ccx_search_greedy(ccx_game *game, ccx_rng *rng, double tol, int32_t *out, int64_t *mk,
                          int32_t *cand) {
    const int nv = game->n_vertices, nin = game->n_inputs, words = game->words;
    /* cand holds the remaining intermediates in increasing number; mk[k-1]
     * their current degree, refreshed only for the neighbours of each
     * eliminated vertex (nobody else's |P|*|S| changes) */
    int m = 0;
    for (int k = 1; k <= nv; k++)
        if (ccx_game_is_legal(game, k)) {
            cand[m++] = k;
            mk[k - 1] = ccx_game_elim_cost(game, k);
        }
    int64_t total = 0;
    int n_out = 0;
    uint32_t nb[CCX_GAME_MAX_NODES / 32];
    while (m > 0) {
        int64_t lo = mk[cand[0] - 1];
        int at = 0;
        for (int i = 1; i < m; i++)
            if (mk[cand[i] - 1] < lo) { lo = mk[cand[i] - 1]; at = i; }
        if (rng) {
            int64_t thr = lo + (int64_t)((double)lo * tol);
            int count = 0;
            for (int i = 0; i < m; i++) count += mk[cand[i] - 1] <= thr;
            if (count > 1) {
                int pick = (int)ccx_rng_below(rng, (uint64_t)count);
                for (int i = 0; i < m; i++)
                    if (mk[cand[i] - 1] <= thr && pick-- == 0) { at = i; break; }
            }
        }
        int v = cand[at];
        memmove(cand + at, cand + at + 1, (size_t)(m - at - 1) * sizeof(int32_t));
        m--;
        int j = nin + v - 1;
        const uint32_t *pj = game->preds + (size_t)j * words, *sj = game->succs + (size_t)j * words;
        for (int w = 0; w < words; w++) nb[w] = pj[w] | sj[w];
        total += ccx_game_step(game, v);
        out[n_out++] = v;
        for (int w = 0; w < words; w++)
            for (uint32_t bits = nb[w]; bits; bits &= bits - 1) {
                int node = w * 32 + __builtin_ctz(bits);
                if (node >= nin && game->kind[node] == CCX_KIND_INTERMEDIATE)
                    mk[node - nin] = ccx_game_elim_cost(game, node - nin + 1);
            }
    }
    return total;
}

int ccx_search_run(const ccx_graph *g, ccx_search_method method, const ccx_search_params *p,
                   ccx_search_result *out, ccx_error *err) {
    memset(out, 0, sizeof *out);
    out->start_cost = -1;
    if (p->threads < 1 || p->threads > 256)
        return ccx_error_set(err, "threads must be in 1..256 (got %d)", p->threads);
    if (p->time_limit <= 0 && p->iters <= 0 && method == CCX_SEARCH_SA)
        return ccx_error_set(err, "%s needs a time limit or an iteration budget",
                             ccx_search_method_name(method));
    if (g->cost_model == CCX_COST_REAL && method == CCX_SEARCH_EXACT)
        return ccx_error_set(err, "exact search is not built for the real cost model yet (it "
                                  "needs a lower bound on real work); use --method sa, beam or "
                                  "rmk, or --cost alphagrad");
    double t0 = ccx_search_now();
    int rc;
    switch (method) {
    case CCX_SEARCH_RMK: rc = ccx_search_rmk(g, p, out, err); break;
    case CCX_SEARCH_BEAM: rc = ccx_search_beam(g, p, out, err); break;
    case CCX_SEARCH_SA:
        rc = p->backend == CCX_BACKEND_CUDA ? ccx_search_sa_batch(g, p, p->backend, out, err) : ccx_search_sa(g, p, out, err);
        break;
    case CCX_SEARCH_EXACT: rc = ccx_search_exact(g, p, out, err); break;
    case CCX_SEARCH_POLISH: rc = ccx_search_polish(g, p, out, err); break;
    default: return ccx_error_set(err, "unknown search method %d", (int)method);
    }
    if (rc) {
        ccx_search_result_free(out);
        return -1;
    }
    if (method != CCX_SEARCH_EXACT) {
        int64_t lb = ccx_bound_graph_pairs(g, NULL, err);
        if (lb < 0) {
            ccx_search_result_free(out);
            return -1;
        }
        out->lower_bound = lb;
    }
    out->optimal = out->lower_bound == out->cost;
    out->seconds = ccx_search_now() - t0;
    return 0;
}
