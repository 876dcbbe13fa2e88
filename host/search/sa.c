/* Simulated annealing over elimination orders.
 *
 * Every permutation of the intermediates is a legal order (an elimination
 * never makes another vertex illegal), so the search space is plain
 * permutations and the moves are
 *   insert: take the vertex at position i and put it at position j;
 *   swap:   exchange the vertices at positions i and j.
 * Both change only positions lo..hi = min(i,j)..max(i,j). On a scalar graph
 * the graph before lo and the graph after hi depend only on the sets
 * eliminated, which the move leaves alone, so the cost changes only in the
 * segment:
 *   delta = cost(new segment from the state before lo) - cost(old segment).
 * On a tensor graph the records after hi may differ (types merge in order),
 * so the old order after hi is replayed too, up to the first checkpoint
 * whose state the new order reaches unchanged (usually the next one), and
 * the delta covers that stretch; an accepted move's cost is always exact.
 * The early give-up below then judges on a partial delta, which only makes
 * the annealer refuse a few moves it might have taken.
 * A chain keeps a checkpoint (game snapshot) every K positions and the cost
 * of every step; a move loads the checkpoint at or before lo, replays up to
 * lo, then plays the new segment, giving up as soon as its cost passes the
 * acceptance threshold (drawn before the move: accept iff delta <= -T ln u,
 * the Metropolis rule). An accepted move rewrites the steps and checkpoints
 * inside the segment only.
 *
 * Schedule: rounds. In each round every thread runs one chain of L = 20000 n
 * moves, cooling geometrically from T0 to T1, from the best order so far
 * (round 0: thread 0 from the best of a randomized-Markowitz batch, the
 * others from the best of 64 more samples each, or all from the given start
 * order); between rounds the best order is polished by exact window
 * re-ordering (polish.c) and shared. A chain that reaches the graph's lower
 * bound stops (nothing cheaper exists). Thread t of round r draws from the
 * generator (seed, r, t) and the best of a round is the least (cost,
 * thread), so a run with a fixed budget is deterministic for a given seed
 * and thread count. */
#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "search/search.h"

typedef struct {
    ccx_game game;
    int n, K, n_ck;
    size_t ss;
    unsigned char *ck;   /* [n_ck][ss]: ck[c] = state before position c*K */
    int32_t *order;      /* [n] */
    int64_t *step;       /* [n] cost of each step */
    int64_t cost;
    int32_t *seg;        /* [n] scratch: the proposed segment */
    const int32_t *nb;   /* neighbour lists (vertex numbers) of the original graph */
    const int *nb_head;  /* [n_vertices + 1] */
    int32_t *pos;        /* [n_vertices + 1] position of each vertex */
    int end;             /* tensor graphs: the last chain_eval replayed up to end - 1 */
    uint64_t commits;
} chain;

static void chain_free(chain *c) {
    ccx_game_free(&c->game);
    free(c->ck); free(c->order); free(c->step); free(c->seg); free(c->pos);
    memset(c, 0, sizeof *c);
}

static int chain_init(chain *c, const ccx_graph *g, int K) {
    memset(c, 0, sizeof *c);
    ccx_error err;
    if (ccx_game_init(&c->game, g, &err)) return -1;
    c->n = ccx_graph_n_intermediates(g);
    c->K = K;
    c->n_ck = c->n / K + 1;
    c->ss = ccx_game_state_size(&c->game);
    c->ck = malloc((size_t)c->n_ck * c->ss);
    c->order = malloc((size_t)(c->n + 1) * sizeof(int32_t));
    c->step = malloc((size_t)(c->n + 1) * sizeof(int64_t));
    c->seg = malloc((size_t)(c->n + 1) * sizeof(int32_t));
    c->pos = malloc((size_t)(g->n_vertices + 1) * sizeof(int32_t));
    if (!c->ck || !c->order || !c->step || !c->seg || !c->pos) {
        chain_free(c);
        return -1;
    }
    for (int k = 0; k <= g->n_vertices; k++) c->pos[k] = -1; /* outputs stay -1 */
    return 0;
}

/* Replay positions from..n-1 (from a checkpoint), refreshing steps and
 * checkpoints at positions p with lo < p <= hi (all of them when lo < 0). */
static void chain_replay(chain *c, int lo, int hi) {
    int start = lo < 0 ? 0 : lo / c->K * c->K;
    if (start == 0) ccx_game_reset(&c->game);
    else ccx_game_load(&c->game, c->ck + (size_t)(start / c->K) * c->ss);
    if (lo < 0) ccx_game_save(&c->game, c->ck);
    for (int p = start; p <= hi; p++) {
        if (p % c->K == 0 && (lo < 0 || p > lo)) ccx_game_save(&c->game, c->ck + (size_t)(p / c->K) * c->ss);
        c->step[p] = ccx_game_step(&c->game, c->order[p]);
    }
}

static void chain_set(chain *c, const int32_t *order) {
    memcpy(c->order, order, (size_t)c->n * sizeof(int32_t));
    for (int p = 0; p < c->n; p++) c->pos[order[p]] = p;
    if (c->n == 0) { c->cost = 0; return; }
    chain_replay(c, -1, c->n - 1);
    c->cost = 0;
    for (int p = 0; p < c->n; p++) c->cost += c->step[p];
}

/* Cost change of replacing positions lo..hi by seg[0..hi-lo]; returns
 * INT64_MAX once it exceeds `limit`. */
static int64_t chain_eval(chain *c, int lo, int hi, int64_t limit) {
    int cidx = lo / c->K;
    ccx_game_load(&c->game, c->ck + (size_t)cidx * c->ss);
    for (int p = cidx * c->K; p < lo; p++) ccx_game_step(&c->game, c->order[p]);
    int64_t old = 0;
    for (int p = lo; p <= hi; p++) old += c->step[p];
    int64_t cap = old + limit, fresh = 0;
    for (int t = 0, len = hi - lo + 1; t < len; t++) {
        fresh += ccx_game_step(&c->game, c->seg[t]);
        if (fresh > cap) return INT64_MAX;
    }
    c->end = hi + 1;
    if (!c->game.order_dependent) return fresh - old;
    /* tensor graphs: replay the old order on until a checkpoint's state is
     * reached unchanged (the rest then costs what it did) */
    int p = hi + 1;
    while (p < c->n) {
        if (p % c->K == 0 && ccx_game_same_graph(&c->game, c->ck + (size_t)(p / c->K) * c->ss)) break;
        fresh += ccx_game_step(&c->game, c->order[p]);
        old += c->step[p];
        p++;
        if (fresh - old > limit) return INT64_MAX;
    }
    c->end = p;
    return fresh - old;
}

/* Apply the move chain_eval just priced (its segment is in seg). */
static void chain_commit(chain *c, int lo, int hi, int64_t delta) {
    memcpy(c->order + lo, c->seg, (size_t)(hi - lo + 1) * sizeof(int32_t));
    for (int p = lo; p <= hi; p++) c->pos[c->order[p]] = p;
    chain_replay(c, lo, c->end - 1);
    c->cost += delta;
#ifndef NDEBUG
    /* debug builds (the sanitizer tests): the incremental cost must be what
     * a full replay gives, on scalar and tensor graphs alike */
    if (++c->commits % 256 == 0) {
        ccx_game_reset(&c->game);
        for (int p = 0; p < c->n; p++) ccx_game_step(&c->game, c->order[p]);
        assert(c->game.cost == c->cost);
    }
#endif
}

/* ---- one annealing run per thread per round ---- */

typedef struct sa_shared {
    const ccx_graph *g;
    const ccx_search_params *p;
    const char *label;
    int n, T;
    double t0, deadline;
    double temp0, temp1;
    int64_t moves_per_round;
    int64_t lower_bound;         /* a chain reaching it stops: proven optimal */
    int32_t *nb;
    int *nb_head;
    _Atomic int64_t moves;       /* all threads, all rounds */
    _Atomic int64_t best_seen;   /* for progress lines */
    _Atomic int stop;
    double last_print;
} sa_shared;

typedef struct {
    sa_shared *sh;
    int tid, round;
    const int32_t *start;
    int32_t *best;      /* [n] this thread's best in this round */
    int64_t best_cost;
    chain c;
    int ok;
} sa_job;

static void progress(sa_shared *sh, double now) {
    if (!sh->p->progress || now - sh->last_print < sh->p->progress_every) return;
    sh->last_print = now;
    ccx_search_progress(sh->p->progress, sh->label, now - sh->t0, atomic_load(&sh->best_seen),
                        (uint64_t)atomic_load(&sh->moves), "moves");
}

static void note_best(sa_shared *sh, int64_t cost) {
    int64_t cur = atomic_load(&sh->best_seen);
    while ((cur < 0 || cost < cur) && !atomic_compare_exchange_weak(&sh->best_seen, &cur, cost)) {
    }
}

static void *sa_thread(void *arg) {
    sa_job *job = arg;
    sa_shared *sh = job->sh;
    chain *c = &job->c;
    int n = sh->n;
    chain_set(c, job->start);
    job->best_cost = c->cost;
    memcpy(job->best, c->order, (size_t)n * sizeof(int32_t));
    if (n < 2) return NULL;
    ccx_rng rng;
    ccx_rng_seed(&rng, sh->p->seed * 0x9E3779B97F4A7C15ull ^
                           ((uint64_t)job->round << 32 | (uint64_t)job->tid) * 0xD1B54A32D192ED03ull);
    const int64_t L = sh->moves_per_round;
    const double lratio = log(sh->temp1 / sh->temp0);
    double temp = sh->temp0;
    for (int64_t it = 0; it < L; it++) {
        if ((it & 1023) == 0) {
            temp = sh->temp0 * exp(lratio * (double)it / (double)L);
            if (it) atomic_fetch_add(&sh->moves, 1024);
            if (atomic_load(&sh->stop)) break;
            if ((it & 16383) == 0 && sh->deadline > 0) {
                double now = ccx_search_now();
                if (now >= sh->deadline) { atomic_store(&sh->stop, 1); break; }
                if (job->tid == 0) progress(sh, now);
            }
        }
        /* propose */
        int i = (int)ccx_rng_below(&rng, (uint64_t)n), j;
        uint64_t r = ccx_rng_next(&rng);
        int kind = (int)(r & 3);          /* 0,1: insert; 2: swap; 3: insert next to a neighbour */
        if (kind == 3) {
            int v = c->order[i];
            int deg = sh->nb_head[v] - sh->nb_head[v - 1];
            if (deg == 0) continue;
            int u = sh->nb[sh->nb_head[v - 1] + (int)((r >> 8) % (uint64_t)deg)];
            j = c->pos[u];
            if (j < 0) continue; /* an output */
            /* land just before or just after u */
            if ((r >> 40) & 1) j += (j < i) ? 1 : 0;
            else j -= (j > i) ? 1 : 0;
            if (j == i) continue;
        } else {
            int d;
            if ((r >> 2) % 4 != 0) d = 1 + (int)((r >> 8) % (uint64_t)(n - 1 < 8 ? n - 1 : 8));
            else d = 1 + (int)((r >> 8) % (uint64_t)(n - 1));
            j = ((r >> 40) & 1) ? i + d : i - d;
            if (j < 0 || j >= n) j = ((r >> 40) & 1) ? i - d : i + d;
            if (j < 0 || j >= n) continue;
        }
        int lo = i < j ? i : j, hi = i < j ? j : i;
        if (kind == 2) {
            memcpy(c->seg, c->order + lo, (size_t)(hi - lo + 1) * sizeof(int32_t));
            c->seg[0] = c->order[hi];
            c->seg[hi - lo] = c->order[lo];
        } else if (i < j) {
            memcpy(c->seg, c->order + i + 1, (size_t)(j - i) * sizeof(int32_t));
            c->seg[j - i] = c->order[i];
        } else {
            c->seg[0] = c->order[i];
            memcpy(c->seg + 1, c->order + j, (size_t)(i - j) * sizeof(int32_t));
        }
        double u = ccx_rng_unit(&rng);
        double lim = -temp * log(1.0 - u);
        int64_t limit = lim > 1e15 ? (int64_t)1e15 : (int64_t)lim;
        int64_t delta = chain_eval(c, lo, hi, limit);
        if (delta == INT64_MAX) continue;
        chain_commit(c, lo, hi, delta);
        if (c->cost < job->best_cost) {
            job->best_cost = c->cost;
            memcpy(job->best, c->order, (size_t)n * sizeof(int32_t));
            note_best(sh, c->cost);
            if (c->cost <= sh->lower_bound) break; /* optimal: nothing left to find */
        }
    }
    return NULL;
}

/* Neighbour lists of the original graph (vertex numbers, inputs left out). */
static int build_neighbours(const ccx_graph *g, int32_t **nb_out, int **head_out) {
    int nv = g->n_vertices;
    int *head = calloc((size_t)nv + 1, sizeof(int));
    int32_t *nb = malloc((size_t)(2 * g->n_edges + 1) * sizeof(int32_t));
    int *fill = calloc((size_t)nv + 1, sizeof(int));
    if (!head || !nb || !fill) { free(head); free(nb); free(fill); return -1; }
    for (int e = 0; e < g->n_edges; e++) {
        int a = ccx_vertex_of_node(g, g->edges[e].src), b = ccx_vertex_of_node(g, g->edges[e].dst);
        if (a && b) { head[a]++; head[b]++; }
    }
    for (int k = 1; k <= nv; k++) head[k] += head[k - 1];
    for (int e = 0; e < g->n_edges; e++) {
        int a = ccx_vertex_of_node(g, g->edges[e].src), b = ccx_vertex_of_node(g, g->edges[e].dst);
        if (a && b) {
            nb[head[a - 1] + fill[a]++] = b;
            nb[head[b - 1] + fill[b]++] = a;
        }
    }
    free(fill);
    *nb_out = nb;
    *head_out = head;
    return 0;
}

int ccx_search_anneal(const ccx_graph *g, const ccx_search_params *p, double temp0, double temp1,
                      const char *label, ccx_search_result *out, ccx_error *err) {
    memset(out, 0, sizeof *out);
    out->start_cost = -1;
    const int n = ccx_graph_n_intermediates(g), T = p->threads < 1 ? 1 : p->threads;
    const double t0 = ccx_search_now();
    sa_shared sh;
    memset(&sh, 0, sizeof sh);
    sh.g = g; sh.p = p; sh.label = label; sh.n = n; sh.T = T; sh.t0 = t0;
    sh.deadline = p->time_limit > 0 ? t0 + p->time_limit : 0;
    sh.temp0 = temp0; sh.temp1 = temp1;
    sh.last_print = t0;
    atomic_init(&sh.moves, 0);
    atomic_init(&sh.best_seen, -1);
    atomic_init(&sh.stop, 0);
    /* a round: long enough to cool properly, short enough to share often */
    int64_t L = (int64_t)20000 * (n > 10 ? n : 10);
    int rounds_cap = 0; /* 0: until the deadline */
    if (p->iters > 0) {
        rounds_cap = p->iters >= 4 * L ? (int)(p->iters / L) : 4;
        if (p->iters < 4 * L) L = p->iters / 4 > 1 ? p->iters / 4 : 1;
    }
    sh.moves_per_round = L;
    sh.lower_bound = ccx_bound_graph_pairs(g, NULL, err);
    if (sh.lower_bound < 0) return -1;

    int rc = 0;
    sa_job *jobs = calloc((size_t)T, sizeof *jobs);
    pthread_t *th = calloc((size_t)T, sizeof *th);
    int32_t *best = malloc((size_t)(n + 1) * sizeof(int32_t));
    int32_t **starts = calloc((size_t)T, sizeof *starts);
    if (!jobs || !th || !best || !starts || build_neighbours(g, &sh.nb, &sh.nb_head)) {
        free(jobs); free(th); free(best); free(starts);
        return ccx_error_set(err, "out of memory in %s", label);
    }
    for (int t = 0; t < T && rc == 0; t++) {
        jobs[t].sh = &sh;
        jobs[t].tid = t;
        jobs[t].best = malloc((size_t)(n + 1) * sizeof(int32_t));
        starts[t] = malloc((size_t)(n + 1) * sizeof(int32_t));
        if (!jobs[t].best || !starts[t] || chain_init(&jobs[t].c, g, 4)) rc = -1;
        else { jobs[t].c.nb = sh.nb; jobs[t].c.nb_head = sh.nb_head; }
    }
    int64_t best_cost = -1;
    if (rc == 0) {
        /* start orders */
        if (p->start) {
            if (ccx_order_validate(g, p->start, p->n_start, err)) rc = -2;
            else {
                for (int t = 0; t < T; t++) memcpy(starts[t], p->start, (size_t)n * sizeof(int32_t));
                memcpy(best, p->start, (size_t)n * sizeof(int32_t));
                ccx_order_cost(g, best, n, &best_cost, err);
            }
        } else {
            /* thread 0 starts from the best of a randomized-Markowitz batch, the
             * others from the best of 64 more samples each (diversity) */
            ccx_search_params q = *p;
            q.time_limit = 0;
            q.progress = NULL;
            q.start = NULL;
            ccx_search_result rs;
            memset(&rs, 0, sizeof rs);
            q.iters = 64 * T + 256;
            if (ccx_search_rmk(g, &q, &rs, err)) rc = -2;
            else {
                memcpy(best, rs.order, (size_t)n * sizeof(int32_t));
                best_cost = rs.cost;
                for (int t = 0; t < T; t++) memcpy(starts[t], rs.order, (size_t)n * sizeof(int32_t));
                /* other threads: different greedy samples for diversity */
                ccx_game game;
                int32_t *cand = malloc((size_t)g->n_vertices * sizeof(int32_t));
                int64_t *mk = malloc((size_t)g->n_vertices * sizeof(int64_t));
                if (cand && mk && ccx_game_init(&game, g, err) == 0) {
                    for (int t = 1; t < T; t++) {
                        ccx_rng rng;
                        ccx_rng_seed(&rng, p->seed * 31 + (uint64_t)t);
                        int64_t bc = -1;
                        for (int s = 0; s < 64; s++) {
                            ccx_game_reset(&game);
                            int64_t cst = ccx_search_greedy(&game, &rng, 0.2, jobs[t].best, mk, cand);
                            if (bc < 0 || cst < bc) {
                                bc = cst;
                                memcpy(starts[t], jobs[t].best, (size_t)n * sizeof(int32_t));
                            }
                        }
                    }
                    ccx_game_free(&game);
                }
                free(cand);
                free(mk);
                ccx_search_result_free(&rs);
            }
        }
    }
    if (rc == 0) out->start_cost = best_cost;
    if (rc == 0) note_best(&sh, best_cost);
    int round = 0;
    uint64_t windows = 0;
    while (rc == 0) {
        if (rounds_cap > 0 && round >= rounds_cap) break;
        if (sh.deadline > 0 && ccx_search_now() >= sh.deadline) break;
        if (rounds_cap == 0 && sh.deadline <= 0) break;
        if (best_cost <= sh.lower_bound) break; /* proven optimal */
        for (int t = 0; t < T; t++) {
            jobs[t].round = round;
            jobs[t].start = starts[t];
        }
        int started = 0;
        for (; started < T; started++)
            if (pthread_create(&th[started], NULL, sa_thread, &jobs[started])) break;
        if (started == 0) { sa_thread(&jobs[0]); }
        for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
        int bt = -1;
        for (int t = 0; t < (started ? started : 1); t++)
            if (bt < 0 || jobs[t].best_cost < jobs[bt].best_cost) bt = t;
        if (jobs[bt].best_cost < best_cost) {
            best_cost = jobs[bt].best_cost;
            memcpy(best, jobs[bt].best, (size_t)n * sizeof(int32_t));
        }
        /* exact re-ordering of windows of the best, then every thread restarts from it */
        int64_t gain = ccx_search_window_dp(g, best, n, 8, 0, &windows);
        if (gain < 0) { rc = -1; break; }
        best_cost -= gain;
        note_best(&sh, best_cost);
        for (int t = 0; t < T; t++) memcpy(starts[t], best, (size_t)n * sizeof(int32_t));
        round++;
        if (atomic_load(&sh.stop)) break;
    }
    if (rc == 0 && best_cost >= 0) {
        int64_t gain = ccx_search_window_dp(g, best, n, 10, sh.deadline > 0 ? sh.deadline + 1.0 : 0,
                                            &windows);
        if (gain < 0) rc = -1;
    }
    if (rc == 0) rc = ccx_search_result_set(g, out, best, n, err);
    else if (rc == -1) ccx_error_set(err, "out of memory in %s", label);
    out->work = (uint64_t)atomic_load(&sh.moves);
    out->unit = "moves";
    for (int t = 0; t < T; t++) {
        chain_free(&jobs[t].c);
        free(jobs[t].best);
        if (starts) free(starts[t]);
    }
    free(jobs); free(th); free(best); free(starts); free(sh.nb); free(sh.nb_head);
    return rc ? -1 : 0;
}

int ccx_search_sa(const ccx_graph *g, const ccx_search_params *p, ccx_search_result *out,
                  ccx_error *err) {
    return ccx_search_anneal(g, p, 4.0, 0.3, "sa", out, err);
}
