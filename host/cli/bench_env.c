/* ccx bench env: throughput of the batched environments (host/env/env.h),
 * cpu or cuda, in three modes:
 *
 *   step    ccx_env_step in lockstep over pre-drawn random orders (two sets
 *           of B orders, alternating episodes), CCX_ENV_AUTO_RESET |
 *           CCX_ENV_DEFER, so the loop is what a rollout does minus the policy
 *   random  ccx_env_reset + ccx_env_play_random (fused random policy)
 *   orders  ccx_env_reset + ccx_env_play_orders (fused given orders)
 *
 * and a model of the memory traffic per elimination, so that the rate can be
 * read as a fraction of the memory bandwidth (see usage()). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "util/threads.h"
#include "util/clock.h"
#include "env/env.h"
#include "game/game.h"
#include "util/rng.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx bench env --task TASK [--backend cpu|cuda|auto] [--batch B | --sweep]\n"
            "                     [--mode step|random|orders|all] [--seconds S] [--threads N]\n"
            "                     [--seed N] [--cost alphagrad|real] [--out FILE]\n\n"
            "Eliminations per second of B batched environments playing TASK.\n\n"
            "  --task TASK     a task or graph file, or a name from configs/tasks/ (required)\n"
            "  --backend B     cpu, cuda, or auto (cuda iff a device answers; default auto)\n"
            "  --batch B       environments (1 .. 1048576, default 4096)\n"
            "  --sweep         B = 256, 1024, 4096, 16384, 65536 instead of --batch\n"
            "  --mode M        step: ccx_env_step over pre-drawn random orders with auto-reset;\n"
            "                  random: reset + fused random policy (cuRAND Philox);\n"
            "                  orders: reset + fused given orders; all (default): the three\n"
            "  --seconds S     time per measurement (0.05 .. 600, default 1)\n"
            "  --threads N     OpenMP threads for the cpu backend (default 1: one core)\n"
            "  --seed N        random seed (default 0)\n"
            "  --cost MODEL    alphagrad (default) or real: the cost model the envs play\n"
            "  --out FILE      also append every line to FILE (e.g. results/bench/env_cpu.txt)\n"
            "  -h, --help      this help\n\n"
            "Each line gives eliminations/s (cpu: also per CPU-second of the process,\n"
            "the stable figure on a shared machine), env-steps/s (every env step eliminates one\n"
            "vertex, so the two agree), batched calls/s, episodes/s, a model of the bytes\n"
            "moved per elimination and the achieved fraction of memory bandwidth:\n"
            "  step:   4*words*(4 + 2*(|P|+|S|)) + 14 + 2*slab/n   (rows P(j), S(j) read and\n"
            "          cleared; each member row read and written; action, cost, done, kind;\n"
            "          the auto-reset's template read and slab write spread over n steps)\n"
            "  random: 4*slab/n   (reset: template read + slab write; play: the slab read\n"
            "          once and written once, the episode runs in shared memory / cache)\n"
            "  orders: 4*slab/n + 4   (as random, plus the order entry)\n"
            "  tensor graphs (record path) add to step 4*(|P|+|S|) + 4*|P|*|S|: the records\n"
            "          p->j, j->s read and cleared, p->s read and written (2 bytes a cell)\n"
            "  the real model (--cost real, every graph) adds 32*(|P|+|S|) + 32*|P|*|S|:\n"
            "          the same cells at 16 bytes (game/real_cost.h ccx_lax)\n"
            "with words = n_pad/32, slab = bytes per env state, n = eliminations per\n"
            "episode, |P|+|S| the mean degree sum of an eliminated vertex under random\n"
            "orders (measured with the reference game). Bandwidth: cuda from the device\n"
            "attributes (2 x memory clock x bus width); cpu from a timed 64 MiB memcpy\n"
            "(read + write), measured once per run.\n");
}

/* CPU time of the process (all threads): on a shared machine the cpu
 * backend's rate per CPU-second is the stable figure */
static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* memcpy bandwidth (bytes read + written per second), best of 5 */
static double measure_memcpy(void) {
    size_t bytes = (size_t)64 << 20;
    char *a = malloc(bytes), *b = malloc(bytes);
    if (!a || !b) {
        free(a);
        free(b);
        return 0;
    }
    memset(a, 1, bytes);
    memset(b, 2, bytes);
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = ccx_now_s();
        memcpy(rep & 1 ? a : b, rep & 1 ? b : a, bytes);
        double t = ccx_now_s() - t0;
        if (t < best) best = t;
    }
    volatile char sink = a[bytes / 2] + b[bytes / 3];
    (void)sink;
    free(a);
    free(b);
    return 2.0 * (double)bytes / best;
}

/* mean |P(j)| + |S(j)| of the vertex eliminated, over random orders, and
 * in *pairs the mean |P(j)| * |S(j)| (the record path's pair count) */
static double mean_degree_sum(const ccx_graph *g, uint64_t seed, double *pairs) {
    *pairs = 0;
    ccx_game game;
    ccx_error err;
    int n = ccx_graph_n_intermediates(g);
    if (n == 0 || ccx_game_init(&game, g, &err)) return 0;
    int32_t *legal = malloc((size_t)n * sizeof(int32_t));
    if (!legal) {
        ccx_game_free(&game);
        return 0;
    }
    ccx_rng rng;
    ccx_rng_seed(&rng, seed);
    double sum = 0, prod = 0;
    long count = 0;
    for (int ep = 0; ep < 200; ep++) {
        ccx_game_reset(&game);
        int m = 0;
        for (int k = 1; k <= g->n_vertices; k++)
            if (!g->vertices[k - 1].is_output) legal[m++] = k;
        while (m > 0) {
            int i = (int)ccx_rng_below(&rng, (uint64_t)m);
            int in = ccx_game_in_degree(&game, legal[i]), out = ccx_game_out_degree(&game, legal[i]);
            sum += in + out;
            prod += (double)in * out;
            count++;
            ccx_game_step(&game, legal[i]);
            legal[i] = legal[--m];
        }
    }
    free(legal);
    ccx_game_free(&game);
    *pairs = prod / (double)count;
    return sum / (double)count;
}

/* random permutation of the intermediates of g into out[n] */
static void random_order(const ccx_graph *g, ccx_rng *rng, int32_t *out) {
    int m = 0;
    for (int k = 1; k <= g->n_vertices; k++)
        if (!g->vertices[k - 1].is_output) out[m++] = k;
    for (int i = m - 1; i > 0; i--) {
        int j = (int)ccx_rng_below(rng, (uint64_t)i + 1);
        int32_t t = out[i];
        out[i] = out[j];
        out[j] = t;
    }
}

typedef struct {
    const ccx_graph *g;
    ccx_backend backend;
    double seconds;
    uint64_t seed;
    int threads;
    double peak;          /* bytes/s */
    double degree_sum;    /* mean |P|+|S| */
    double pairs;         /* mean |P|*|S| (tensor graphs: record cells written) */
    FILE *out;
} bench_cfg;

static void emit(const bench_cfg *c, const char *line) {
    printf("%s\n", line);
    fflush(stdout);
    if (c->out) fprintf(c->out, "%s\n", line);
}

/* One measurement; 0, or -1 with err set. */
static int run_one(const bench_cfg *c, int B, const char *mode, ccx_error *err) {
    const ccx_graph *g = c->g;
    int n = ccx_graph_n_intermediates(g);
    ccx_env *env = ccx_env_create(c->backend, B, &g, 1, NULL, 0, err);
    if (!env) return -1;
    const ccx_env_layout *L = ccx_env_get_layout(env);
    int rc = -1;
    void *pool = NULL, *cost = NULL, *done = NULL;
    int32_t *host = NULL;
    ccx_rng rng;
    ccx_rng_seed(&rng, c->seed);
    int is_step = strcmp(mode, "step") == 0, is_orders = strcmp(mode, "orders") == 0;
    /* step: pool[v][t][b], 2 variants; orders: pool[v][b][n_pad] */
    size_t per_variant = is_step ? (size_t)n * B : (size_t)B * L->n_pad;
    if (is_step || is_orders) {
        host = calloc(2 * per_variant, sizeof(int32_t));
        int32_t *order = malloc((size_t)(n ? n : 1) * sizeof(int32_t));
        if (!host || !order) {
            free(order);
            ccx_error_set(err, "out of memory for the order pool");
            goto out;
        }
        for (int v = 0; v < 2; v++)
            for (int b = 0; b < B; b++) {
                random_order(g, &rng, order);
                for (int t = 0; t < n; t++) {
                    if (is_step) host[v * per_variant + (size_t)t * B + b] = order[t];
                    else host[v * per_variant + (size_t)b * L->n_pad + t] = order[t];
                }
            }
        free(order);
        pool = ccx_env_buf_alloc(env, 2 * per_variant * sizeof(int32_t), err);
        if (!pool || ccx_env_upload(env, pool, host, 2 * per_variant * sizeof(int32_t), err)) goto out;
    }
    cost = ccx_env_buf_alloc(env, (size_t)B * sizeof(int64_t), err);
    done = ccx_env_buf_alloc(env, (size_t)B, err);
    if (!cost || !done) goto out;

    const unsigned flags = CCX_ENV_AUTO_RESET | CCX_ENV_DEFER;
    long long episodes = 0, calls = 0;
    uint64_t seed = c->seed;
    double t0 = 0, t = 0, c0 = 0;
    for (int timed = 0; timed < 2; timed++) { /* one untimed warm-up episode, then the run */
        if (timed) {
            if (ccx_env_sync(env, err)) goto out;
            t0 = t = ccx_now_s();
            c0 = cpu_s();
            episodes = calls = 0;
        }
        do {
            int v = (int)(episodes & 1);
            if (is_step) {
                const int32_t *base = (const int32_t *)pool + v * per_variant;
                for (int s = 0; s < n; s++) {
                    if (ccx_env_step(env, base + (size_t)s * B, cost, done, flags, err)) goto out;
                    calls++;
                }
            } else {
                if (ccx_env_reset(env, NULL, err)) goto out;
                if (is_orders) {
                    if (ccx_env_play_orders(env, NULL, (const int32_t *)pool + v * per_variant,
                                            CCX_ENV_DEFER, err))
                        goto out;
                } else if (ccx_env_play_random(env, NULL, seed++, NULL, err)) {
                    goto out;
                }
                calls += 2;
            }
            episodes++;
            if (ccx_env_sync(env, err)) goto out; /* also reports a latched refusal */
            t = ccx_now_s();
        } while (timed && t - t0 < c->seconds);
    }
    double dt = t - t0, dcpu = cpu_s() - c0;
    double elims = (double)episodes * n * B;
    double slab = (double)L->slab_words * 4.0;
    double bytes = is_step ? 4.0 * L->words * (4.0 + 2.0 * c->degree_sum) + 14.0 + 2.0 * slab / n
                           : 4.0 * slab / n + (is_orders ? 4.0 : 0.0);
    /* tensor graphs' records (2 bytes a cell) in the step: p->j and j->s read
     * and cleared, p->s read and written */
    if (is_step && L->records) bytes += 4.0 * c->degree_sum + 4.0 * c->pairs;
    if (is_step && L->lax) bytes += 32.0 * c->degree_sum + 32.0 * c->pairs;
    double gbs = bytes * elims / dt / 1e9;
    char line[640], per_cpu[64] = "";
    if (c->backend == CCX_BACKEND_CPU && dcpu > 0)
        snprintf(per_cpu, sizeof per_cpu, " eliminations/cpu-s=%.4g", elims / dcpu);
    snprintf(line, sizeof line,
             "bench env  backend=%s task=%s cost=%s n_pad=%d batch=%d mode=%s threads=%d seconds=%.2f "
             "eliminations/s=%.4g%s env-steps/s=%.4g calls/s=%.4g episodes/s=%.4g "
             "bytes/elim=%.0f GB/s=%.3g bw_fraction=%.3g",
             ccx_backend_name(c->backend), g->task_name, ccx_cost_model_name(g->cost_model), L->n_pad, B, mode,
             c->backend == CCX_BACKEND_CPU ? c->threads : 0, dt, elims / dt, per_cpu, elims / dt,
             (double)calls / dt, (double)episodes * B / dt, bytes, gbs,
             c->peak > 0 ? gbs * 1e9 / c->peak : 0.0);
    emit(c, line);
    rc = 0;
out:
    free(host);
    ccx_env_buf_free(env, pool);
    ccx_env_buf_free(env, cost);
    ccx_env_buf_free(env, done);
    ccx_env_destroy(env);
    return rc;
}

int ccx_bench_env(int argc, char **argv) {
    static const struct option opts[] = {
        {"task", required_argument, 0, 't'},    {"backend", required_argument, 0, 'b'},
        {"batch", required_argument, 0, 'B'},   {"sweep", no_argument, 0, 'w'},
        {"mode", required_argument, 0, 'm'},    {"seconds", required_argument, 0, 's'},
        {"threads", required_argument, 0, 'j'}, {"seed", required_argument, 0, 'r'},
        {"out", required_argument, 0, 'o'},     {"help", no_argument, 0, 'h'},
        {"cost", required_argument, 0, 'c'},    {0, 0, 0, 0}};
    const char *task = NULL, *backend_name = "auto", *mode = "all", *out_path = NULL;
    int model = CCX_COST_ALPHAGRAD;
    long batch = 4096, threads = 1, seed = 0;
    double seconds = 1.0;
    int sweep = 0;
    opterr = 0;
    optind = 1;
    for (int ch; (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
        switch (ch) {
        case 't': task = optarg; break;
        case 'b': backend_name = optarg; break;
        case 'c':
            if (ccx_cli_cost_option("bench env", optarg, &model)) return CCX_EXIT_USAGE;
            break;
        case 'B':
            if (ccx_cli_parse_long(optarg, 1, 1L << 20, &batch))
                return ccx_cli_usage_error("bench env", "--batch must be an integer in 1..1048576, got '%s'", optarg);
            break;
        case 'w': sweep = 1; break;
        case 'm':
            if (strcmp(optarg, "step") && strcmp(optarg, "random") && strcmp(optarg, "orders") &&
                strcmp(optarg, "all"))
                return ccx_cli_usage_error("bench env", "--mode must be step, random, orders or all, got '%s'", optarg);
            mode = optarg;
            break;
        case 's':
            if (ccx_cli_parse_double(optarg, 0.05, 600, &seconds))
                return ccx_cli_usage_error("bench env", "--seconds must be a number in 0.05..600, got '%s'", optarg);
            break;
        case 'j':
            if (ccx_cli_parse_long(optarg, 1, 1024, &threads))
                return ccx_cli_usage_error("bench env", "--threads must be an integer in 1..1024, got '%s'", optarg);
            break;
        case 'r':
            if (ccx_cli_parse_long(optarg, 0, 0x7fffffffL, &seed))
                return ccx_cli_usage_error("bench env", "--seed must be an integer >= 0, got '%s'", optarg);
            break;
        case 'o': out_path = optarg; break;
        case 'h': usage(stdout); return CCX_EXIT_OK;
        default:
            return ccx_cli_option_error("bench env", ch, argv, "h");
        }
    }
    if (optind != argc)
        return ccx_cli_usage_error("bench env", "unexpected argument '%s' (the task goes after --task)", argv[optind]);
    if (!task) return ccx_cli_usage_error("bench env", "--task TASK is required");
    ccx_backend backend;
    char note[320];
    ccx_error err;
    ccx_error_clear(&err);
    if (ccx_backend_parse(backend_name, &backend, note, sizeof note, &err))
        return ccx_cli_usage_error("bench env", "%s", err.msg);
    if (note[0]) fprintf(stderr, "%s\n", note);
    ccx_graph *g = ccx_cli_load_task(task);
    if (!g) return CCX_EXIT_USAGE;
    g->cost_model = model;
    if (ccx_graph_n_intermediates(g) == 0) {
        fprintf(stderr, "ccx bench env: error: %s has no intermediate vertices to eliminate\n", g->task_name);
        ccx_graph_free(g);
        return CCX_EXIT_USAGE;
    }
    ccx_threads_set((int)threads);
    threads = ccx_threads_max();
    bench_cfg c = {g, backend, seconds, (uint64_t)seed, (int)threads, 0, 0, 0, NULL};
    int rc = CCX_EXIT_OK;
    if (out_path && !(c.out = fopen(out_path, "a"))) {
        fprintf(stderr, "ccx bench env: error: cannot open %s for appending\n", out_path);
        ccx_graph_free(g);
        return CCX_EXIT_FAILURE;
    }
    /* the bandwidth reference and the traffic model's degree sum */
    char desc[256] = "";
    if (backend == CCX_BACKEND_CPU) {
        c.peak = measure_memcpy();
        snprintf(desc, sizeof desc, "cpu: timed 64 MiB memcpy, read + write = %.1f GB/s", c.peak / 1e9);
    } else {
        ccx_env *probe = ccx_env_create(backend, 1, (const ccx_graph *const *)&g, 1, NULL, 0, &err);
        if (!probe) {
            ccx_cli_print_error(&err);
            if (c.out) fclose(c.out);
            ccx_graph_free(g);
            return CCX_EXIT_FAILURE;
        }
        c.peak = ccx_env_peak_bandwidth(probe, desc, sizeof desc);
        ccx_env_destroy(probe);
    }
    c.degree_sum = mean_degree_sum(g, (uint64_t)seed, &c.pairs);
    char head[640], pairs_note[96] = "";
    if (model == CCX_COST_REAL)
        snprintf(pairs_note, sizeof pairs_note, ", |P|*|S| %.2f (real model: 16-byte edge cells)", c.pairs);
    else if (g->tensor)
        snprintf(pairs_note, sizeof pairs_note, ", |P|*|S| %.2f (tensor graph: record path)", c.pairs);
    time_t now = time(NULL);
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now));
    snprintf(head, sizeof head, "# ccx bench env %s: task %s, backend %s, bandwidth reference %s; "
                                "mean |P|+|S| per elimination %.2f%s",
             date, g->task_name, ccx_backend_name(backend), desc, c.degree_sum, pairs_note);
    emit(&c, head);
    static const long SWEEP[] = {256, 1024, 4096, 16384, 65536};
    static const char *const MODES[] = {"step", "random", "orders"};
    int n_b = sweep ? (int)(sizeof SWEEP / sizeof SWEEP[0]) : 1;
    for (int m = 0; m < 3 && rc == CCX_EXIT_OK; m++) {
        if (strcmp(mode, "all") && strcmp(mode, MODES[m])) continue;
        for (int i = 0; i < n_b; i++) {
            if (run_one(&c, (int)(sweep ? SWEEP[i] : batch), MODES[m], &err)) {
                ccx_cli_print_error(&err);
                rc = CCX_EXIT_FAILURE;
                break;
            }
        }
    }
    if (c.out && fclose(c.out)) {
        fprintf(stderr, "ccx bench env: error: cannot write %s\n", out_path);
        rc = CCX_EXIT_FAILURE;
    }
    ccx_graph_free(g);
    return rc;
}
