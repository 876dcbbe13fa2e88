/* ccx bench train CONFIG [--updates N] [--backend B] [--set KEY=VALUE]... [--out FILE]
 * Training throughput: N updates of CONFIG (no evaluation, no checkpoint)
 * into a temporary run directory, then env steps/s and seconds per update
 * from its metrics.csv, leaving the first update out (warm-up). */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "train/run.h"
#include "train/trainer.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx bench train CONFIG [--updates N] [--backend auto|cpu|cuda]\n"
            "                       [--set KEY=VALUE]... [--out FILE]\n\n"
            "Run N training updates of CONFIG (PPO or AlphaZero; no evaluation, no\n"
            "checkpoint, in a temporary run directory) and print env steps/s and\n"
            "seconds per update, measured after the first (warm-up) update.\n\n"
            "  --updates N      updates to run, >= 2 (default 5)\n"
            "  --backend B      auto (default: the config's run.backend), cpu or cuda\n"
            "  --set KEY=VALUE  config overrides, as for ccx train\n"
            "  --out FILE       also append the result line to FILE (e.g. results/bench/train_cpu.txt)\n"
            "  -h, --help       this help\n");
}

int ccx_bench_train(int argc, char **argv) {
    static const struct option opts[] = {{"updates", required_argument, 0, 'u'},
                                         {"backend", required_argument, 0, 'b'},
                                         {"set", required_argument, 0, 's'},
                                         {"out", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    long updates = 5;
    const char *backend = NULL, *out_path = NULL;
    enum { FIXED = 9 };
    const char **sets = calloc((size_t)argc + FIXED, sizeof *sets);
    if (!sets) return CCX_EXIT_FAILURE;
    int n_sets = 0, rc = CCX_EXIT_USAGE;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
        switch (c) {
        case 'u':
            if (ccx_cli_parse_long(optarg, 2, 1000000, &updates)) {
                free(sets);
                return ccx_cli_usage_error("bench", "--updates must be an integer >= 2, got '%s'", optarg);
            }
            break;
        case 'b': backend = optarg; break;
        case 's': sets[n_sets++] = optarg; break;
        case 'o': out_path = optarg; break;
        case 'h': usage(stdout); free(sets); return CCX_EXIT_OK;
        default:
            free(sets);
            return ccx_cli_option_error("bench", c, argv, "h");
        }
    }
    if (optind != argc - 1) {
        free(sets);
        return ccx_cli_usage_error("bench", "expected exactly one CONFIG, got %d", argc - optind);
    }
    char tmpl[] = "/tmp/ccx_bench_train_XXXXXX", fixed[FIXED][1200];
    if (!mkdtemp(tmpl)) {
        free(sets);
        fprintf(stderr, "ccx bench: error: cannot create a temporary directory\n");
        return CCX_EXIT_FAILURE;
    }
    snprintf(fixed[0], sizeof fixed[0], "run.out_dir=%s", tmpl);
    snprintf(fixed[1], sizeof fixed[1], "run.name=bench");
    snprintf(fixed[2], sizeof fixed[2], "budget.updates=%ld", updates);
    snprintf(fixed[3], sizeof fixed[3], "budget.seconds=0");
    snprintf(fixed[4], sizeof fixed[4], "budget.env_steps=0");
    snprintf(fixed[5], sizeof fixed[5], "eval.every=0");
    snprintf(fixed[6], sizeof fixed[6], "checkpoint.every=0");
    snprintf(fixed[7], sizeof fixed[7], "checkpoint.seconds=0");
    snprintf(fixed[8], sizeof fixed[8], "eval.samples=0");
    for (int i = 0; i < FIXED; i++) sets[n_sets++] = fixed[i];
    ccx_train_options opt = {.config_path = argv[optind], .n_sets = n_sets, .sets = sets,
                             .backend = backend, .quiet = 1, .silent = 1};
    int train_rc = ccx_train_main(&opt);
    char metrics[1300];
    snprintf(metrics, sizeof metrics, "%s/bench/metrics.csv", tmpl);
    ccx_metrics_table t = {0};
    ccx_error err;
    ccx_error_clear(&err);
    if (train_rc != 0) {
        rc = train_rc == 2 ? CCX_EXIT_USAGE : CCX_EXIT_FAILURE;
    } else if (ccx_metrics_read(metrics, &t, &err) || t.n_rows < 2) {
        ccx_cli_print_error(&err);
        rc = CCX_EXIT_FAILURE;
    } else {
        int cs = ccx_metrics_col(&t, "env_steps"), cw = ccx_metrics_col(&t, "wall_s");
        const double *first = t.values, *last = t.values + (size_t)(t.n_rows - 1) * t.n_cols;
        double steps = last[cs] - first[cs], secs = last[cw] - first[cw];
        char line[1600];
        snprintf(line, sizeof line,
                 "bench train  config=%s backend=%s updates=%d env_steps/s=%.4g s/update=%.3g "
                 "(updates 2..%d, %.0f env steps in %.2f s)",
                 argv[optind], backend ? backend : "config", t.n_rows, steps / secs,
                 secs / (t.n_rows - 1), t.n_rows, steps, secs);
        for (int i = 0; i < n_sets - FIXED; i++)
            snprintf(line + strlen(line), sizeof line - strlen(line), " --set %s", sets[i]);
        printf("%s\n", line);
        rc = CCX_EXIT_OK;
        if (out_path) {
            FILE *f = fopen(out_path, "a");
            if (!f || fprintf(f, "%s\n", line) < 0 || fclose(f)) {
                fprintf(stderr, "ccx bench: error: cannot append to %s\n", out_path);
                rc = CCX_EXIT_FAILURE;
            }
        }
    }
    ccx_metrics_table_free(&t);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    if (system(cmd) != 0) fprintf(stderr, "ccx bench: warning: could not remove %s\n", tmpl);
    free(sets);
    return rc;
}
