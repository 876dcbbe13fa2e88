/* Randomized minimal Markowitz: many greedy episodes, each drawing among the
 * vertices whose degree is within a tolerance of the least one.
 *
 * Sample i uses its own generator (seed, i) and tolerance TOLS[i % N]; sample
 * 0 is the plain minimal-Markowitz baseline, so rmk is never worse than it.
 * Thread t runs samples t, t + T, t + 2T, ...; the best is the least
 * (cost, sample index), so a fixed budget gives the same order for any
 * timing. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "search/search.h"

static const double TOLS[] = {0.0, 0.0, 0.1, 0.2, 0.0, 0.35, 0.5, 0.1};
#define N_TOLS (int)(sizeof TOLS / sizeof TOLS[0])

typedef struct rmk_job {
    const ccx_graph *g;
    const ccx_search_params *p;
    int tid, n;
    double deadline, t0;
    int64_t budget;        /* samples in all, <= 0: until the deadline */
    int32_t *best_order;   /* [n] */
    int64_t best_cost;     /* -1: none */
    int64_t best_index;
    _Atomic int64_t done;  /* samples done by this thread */
    _Atomic int64_t shown_best;
    int failed;
    struct rmk_job *all;   /* every thread's job (thread 0 prints progress) */
    int n_threads;
} rmk_job;

static void *rmk_thread(void *arg) {
    rmk_job *job = arg;
    const ccx_graph *g = job->g;
    rmk_job *all = job->all;
    ccx_game game;
    ccx_error err;
    int n = job->n, nv = g->n_vertices;
    int32_t *order = malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    int32_t *cand = malloc((size_t)nv * sizeof(int32_t));
    int64_t *mk = malloc((size_t)nv * sizeof(int64_t));
    if (!order || !cand || !mk || ccx_game_init(&game, g, &err)) {
        free(order); free(cand); free(mk);
        job->failed = 1;
        return NULL;
    }
    double last_print = job->t0;
    for (int64_t i = job->tid;; i += job->n_threads) {
        if (job->budget > 0 && i >= job->budget) break;
        if (job->budget <= 0 && job->deadline <= 0 && i >= 1000) break;
        if ((i / job->n_threads) % 16 == 0 && job->deadline > 0 && i > 0) {
            double now = ccx_search_now();
            if (now >= job->deadline) break;
            if (job->tid == 0 && job->p->progress && now - last_print >= job->p->progress_every) {
                int64_t best = -1;
                uint64_t work = 0;
                for (int t = 0; t < job->n_threads; t++) {
                    int64_t b = atomic_load(&all[t].shown_best);
                    if (b >= 0 && (best < 0 || b < best)) best = b;
                    work += (uint64_t)atomic_load(&all[t].done);
                }
                ccx_search_progress(job->p->progress, "rmk", now - job->t0, best, work, "samples");
                last_print = now;
            }
        }
        ccx_game_reset(&game);
        int64_t cost;
        if (i == 0) {
            cost = ccx_search_greedy(&game, NULL, 0.0, order, mk, cand);
        } else {
            ccx_rng rng;
            ccx_rng_seed(&rng, job->p->seed * 0x9E3779B97F4A7C15ull + (uint64_t)i);
            cost = ccx_search_greedy(&game, &rng, TOLS[i % N_TOLS], order, mk, cand);
        }
        if (job->best_cost < 0 || cost < job->best_cost) {
            job->best_cost = cost;
            job->best_index = i;
            memcpy(job->best_order, order, (size_t)n * sizeof(int32_t));
            atomic_store(&job->shown_best, cost);
        }
        atomic_fetch_add(&job->done, 1);
    }
    ccx_game_free(&game);
    free(order); free(cand); free(mk);
    return NULL;
}

int ccx_search_rmk(const ccx_graph *g, const ccx_search_params *p, ccx_search_result *out,
                   ccx_error *err) {
    memset(out, 0, sizeof *out);
    out->start_cost = -1;
    int n = ccx_graph_n_intermediates(g), T = p->threads < 1 ? 1 : p->threads;
    double t0 = ccx_search_now();
    rmk_job *jobs = calloc((size_t)T, sizeof *jobs);
    pthread_t *th = calloc((size_t)T, sizeof *th);
    if (!jobs || !th) { free(jobs); free(th); return ccx_error_set(err, "out of memory"); }
    int rc = 0;
    for (int t = 0; t < T; t++) {
        rmk_job *j = &jobs[t];
        j->g = g; j->p = p; j->tid = t; j->n = n; j->n_threads = T; j->t0 = t0;
        j->deadline = p->time_limit > 0 ? t0 + p->time_limit : 0;
        j->budget = p->iters;
        j->best_cost = -1;
        atomic_init(&j->done, 0);
        atomic_init(&j->shown_best, -1);
        j->all = jobs;
        j->best_order = malloc((size_t)(n ? n : 1) * sizeof(int32_t));
        if (!j->best_order) rc = -1;
    }
    int started = 0;
    if (rc == 0) {
        for (; started < T; started++)
            if (pthread_create(&th[started], NULL, rmk_thread, &jobs[started])) break;
        if (started == 0) rmk_thread(&jobs[0]), started = -1;
        for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
    }
    int best = -1;
    uint64_t work = 0;
    for (int t = 0; t < T; t++) {
        rmk_job *j = &jobs[t];
        work += (uint64_t)atomic_load(&j->done);
        if (j->failed) rc = -1;
        if (j->best_cost < 0) continue;
        if (best < 0 || j->best_cost < jobs[best].best_cost ||
            (j->best_cost == jobs[best].best_cost && j->best_index < jobs[best].best_index))
            best = t;
    }
    if (rc == 0 && best < 0) rc = -1;
    if (rc == 0) rc = ccx_search_result_set(g, out, jobs[best].best_order, n, err);
    else ccx_error_set(err, "out of memory in rmk search");
    out->work = work;
    out->unit = "samples";
    out->start_cost = -1;
    for (int t = 0; t < T; t++) free(jobs[t].best_order);
    free(jobs);
    free(th);
    return rc;
}
