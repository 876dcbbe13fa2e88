/* ccx bench game TASK... [--seconds S] [--seed N] [--cost alphagrad|real] [--out FILE]
 * Eliminations per second of the CPU reference game over random legal
 * orders: the bitset path on scalar graphs, the record path on tensor
 * graphs. The other benchmarks (env, nn, jacobian, train) are bench_*.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "util/clock.h"
#include "game/game.h"
#include "util/rng.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx bench game TASK... [--seconds S] [--seed N] [--cost alphagrad|real]\n"
            "                      [--out FILE]\n\n"
            "Play random legal elimination orders on each TASK with the CPU reference game\n"
            "for S seconds (default 3) and print eliminations/s and episodes/s, one line\n"
            "per task; path=bitset on scalar graphs (unit cost on bitsets), path=record on\n"
            "tensor graphs (the padded record matrix and the sparsity tables); under --cost\n"
            "real path=real (the real model's edges beside them, game/real_cost.h).\n\n"
            "  --seconds S   how long to run each task (0.1 .. 3600)\n"
            "  --seed N      random seed (default 0)\n"
            CCX_CLI_COST_HELP
            "  --out FILE    also append the result line to FILE (e.g. results/bench/game_cpu.txt)\n"
            "  -h, --help    this help\n");
}

static int bench_one(const char *task, double seconds, long seed, int model, const char *out_path);

static int bench_game(int argc, char **argv) {
    static const struct option opts[] = {
        {"seconds", required_argument, 0, 's'}, {"seed", required_argument, 0, 'r'},
        {"out", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'},
        {"cost", required_argument, 0, 'c'}, {0, 0, 0, 0}};
    double seconds = 3.0;
    long seed = 0;
    int model = CCX_COST_ALPHAGRAD;
    const char *out_path = NULL;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
        switch (c) {
        case 's':
            if (ccx_cli_parse_double(optarg, 0.1, 3600, &seconds))
                return ccx_cli_usage_error("bench", "--seconds must be a number in 0.1..3600, got '%s'", optarg);
            break;
        case 'r':
            if (ccx_cli_parse_long(optarg, 0, 0x7fffffffL, &seed))
                return ccx_cli_usage_error("bench", "--seed must be an integer >= 0, got '%s'", optarg);
            break;
        case 'o': out_path = optarg; break;
        case 'c':
            if (ccx_cli_cost_option("bench", optarg, &model)) return CCX_EXIT_USAGE;
            break;
        case 'h': usage(stdout); return CCX_EXIT_OK;
        default:
            return ccx_cli_option_error("bench", c, argv, "h");
        }
    }
    if (optind >= argc) return ccx_cli_usage_error("bench", "expected at least one TASK");
    int rc = CCX_EXIT_OK;
    for (int t = optind; t < argc && rc == CCX_EXIT_OK; t++)
        rc = bench_one(argv[t], seconds, seed, model, out_path);
    return rc;
}

static int bench_one(const char *task, double seconds, long seed, int model, const char *out_path) {
    ccx_graph *g = ccx_cli_load_task(task);
    if (!g) return CCX_EXIT_USAGE;
    g->cost_model = model;
    ccx_game game;
    ccx_error err;
    if (ccx_game_init(&game, g, &err)) {
        ccx_cli_print_error(&err);
        ccx_graph_free(g);
        return CCX_EXIT_USAGE;
    }
    int n = ccx_graph_n_intermediates(g);
    int32_t *legal = malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    if (!legal) { ccx_game_free(&game); ccx_graph_free(g); return CCX_EXIT_FAILURE; }
    ccx_rng rng;
    ccx_rng_seed(&rng, (uint64_t)seed);
    long long episodes = 0, eliminations = 0;
    int64_t best = -1;
    double sum_cost = 0;
    double t0 = ccx_now_s(), t = t0;
    while (t - t0 < seconds) {
        for (int rep = 0; rep < 16; rep++) { /* check the clock every 16 episodes */
            ccx_game_reset(&game);
            int m = 0;
            for (int k = 1; k <= g->n_vertices; k++)
                if (!g->vertices[k - 1].is_output) legal[m++] = k;
            while (m > 0) {
                int i = (int)ccx_rng_below(&rng, (uint64_t)m);
                ccx_game_step(&game, legal[i]);
                legal[i] = legal[--m];
            }
            eliminations += n;
            episodes++;
            sum_cost += (double)game.cost;
            if (best < 0 || game.cost < best) best = game.cost;
        }
        t = ccx_now_s();
    }
    double dt = t - t0;
    char line[512];
    snprintf(line, sizeof line,
             "bench game  task=%s backend=cpu path=%s n_pad=%d seconds=%.2f episodes=%lld "
             "eliminations/s=%.4g episodes/s=%.4g mean_cost=%.1f best_cost=%lld",
             g->task_name, game.lax ? "real" : game.tensor ? "record" : "bitset", game.n_pad, dt, episodes,
             (double)eliminations / dt,
             (double)episodes / dt, sum_cost / (double)(episodes ? episodes : 1), (long long)best);
    printf("%s\n", line);
    int rc = CCX_EXIT_OK;
    if (out_path) {
        FILE *f = fopen(out_path, "a");
        if (!f || fprintf(f, "%s\n", line) < 0 || fclose(f)) {
            fprintf(stderr, "ccx bench: error: cannot append to %s\n", out_path);
            rc = CCX_EXIT_FAILURE;
        }
    }
    free(legal);
    ccx_game_free(&game);
    ccx_graph_free(g);
    return rc;
}

static void usage_all(FILE *out) {
    fprintf(out,
            "usage: ccx bench BENCHMARK [ARGS...]      (ccx bench BENCHMARK --help for each)\n\n"
            "  game TASK...       eliminations/s of the CPU reference game (bitset or record path)\n"
            "  env                batched environments (--backend cpu|cuda, --sweep)\n"
            "  nn                 policy/value network forward and backward samples/s\n"
            "  jacobian TASK      ns/point of generated Jacobian code for given orders\n"
            "  train CONFIG       training throughput: env steps/s and seconds per update\n\n"
            "Results go to stdout; --out FILE appends them (results/bench/ by convention).\n");
}

int ccx_cmd_bench(int argc, char **argv) {
    if (argc < 2 || ccx_cli_is_help(argv[1])) {
        usage_all(argc < 2 ? stderr : stdout);
        return argc < 2 ? CCX_EXIT_USAGE : CCX_EXIT_OK;
    }
    /* one entry per benchmark; each is its own function (bench_*.c) */
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } BENCHES[] = {
        {"game", bench_game},
        {"jacobian", ccx_bench_jacobian},
        {"env", ccx_bench_env},
        {"nn", ccx_bench_nn},
        {"train", ccx_bench_train},
    };
    size_t n = sizeof BENCHES / sizeof BENCHES[0];
    for (size_t i = 0; i < n; i++)
        if (strcmp(argv[1], BENCHES[i].name) == 0) return BENCHES[i].run(argc - 1, argv + 1);
    char names[256] = "";
    for (size_t i = 0; i < n; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", BENCHES[i].name);
    return ccx_cli_usage_error("bench", "unknown benchmark '%s' (available: %s)", argv[1], names);
}
