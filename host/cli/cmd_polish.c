/* ccx polish TASK --order ORDER [--time S] [--seed N] [--threads N] [--iters N]
 *            [-o FILE] [--quiet] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "io/order_file.h"
#include "search/search.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx polish TASK --order ORDER [--time S] [--seed N] [--threads N]\n"
            "                  [--iters N] [--cost alphagrad|real] [-o FILE] [--quiet]\n\n"
            CCX_CLI_TASK_HELP
            "Local search from a given order of TASK (for example one a trained agent\n"
            "exported): exact re-ordering of sliding windows, then low-temperature\n"
            "annealing. The result is never worse than the input. It is written as an\n"
            "order file (JSON) to FILE or stdout, with a summary like 'ccx search'.\n\n"
            "  --order ORDER   start order: an order file (JSON or bare list), a LIST of\n"
            "                  vertex numbers, or forward | reverse | markowitz (required)\n"
            "  --time S        wall-clock seconds (default 10; 0 = windows only, or --iters)\n"
            "  --seed N        random seed (default 0)\n"
            "  --threads N     annealing threads (default 1)\n"
            "  --iters N       annealing moves per thread (with --time 0: deterministic)\n"
            "  -o FILE         write the order file to FILE instead of stdout\n"
            CCX_CLI_COST_HELP
            "               (a start order is priced afresh under it)\n"
            "  --quiet         no progress lines\n"
            "  -h, --help      this help\n");
}

int ccx_cmd_polish(int argc, char **argv) {
    static const struct option opts[] = {
        {"order", required_argument, 0, 'r'}, {"time", required_argument, 0, 't'},
        {"seed", required_argument, 0, 's'},  {"threads", required_argument, 0, 'j'},
        {"iters", required_argument, 0, 'i'}, {"output", required_argument, 0, 'o'},
        {"quiet", no_argument, 0, 'q'},       {"cost", required_argument, 0, 'c'},       {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    ccx_search_params p;
    ccx_search_params_default(&p);
    p.progress = stderr;
    const char *order_arg = NULL, *out_path = NULL;
    int model = CCX_COST_ALPHAGRAD;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1;) {
        switch (c) {
        case 'r': order_arg = optarg; break;
        case 'o': out_path = optarg; break;
        case 'c':
            if (ccx_cli_cost_option("polish", optarg, &model)) return CCX_EXIT_USAGE;
            break;
        case 'h': usage(stdout); return CCX_EXIT_OK;
        default: {
            int rc = ccx_cli_search_option("polish", c, optarg, &p);
            if (rc == 0) break;
            if (rc > 0) return rc;
            return ccx_cli_option_error("polish", c, argv, ":ho:");
        }
        }
    }
    if (optind != argc - 1)
        return ccx_cli_usage_error("polish", "expected exactly one TASK, got %d", argc - optind);
    if (!order_arg) return ccx_cli_usage_error("polish", "--order is required");
    ccx_graph *g = ccx_cli_load_task(argv[optind]);
    if (!g) return CCX_EXIT_USAGE;
    g->cost_model = model;
    ccx_error err;
    ccx_order_file in = {0};
    int64_t cost;
    if (ccx_cli_load_order_priced(g, order_arg, 1, &in, &cost, &err)) {
        ccx_cli_print_error(&err);
        ccx_graph_free(g);
        return CCX_EXIT_USAGE;
    }
    p.start = in.order;
    p.n_start = in.n_order;
    ccx_search_result r;
    int rc;
    if (ccx_search_run(g, CCX_SEARCH_POLISH, &p, &r, &err)) {
        ccx_cli_print_error(&err);
        rc = CCX_EXIT_FAILURE;
    } else {
        char how[128];
        snprintf(how, sizeof how, "seed %llu, %d thread%s", (unsigned long long)p.seed, p.threads,
                 p.threads == 1 ? "" : "s");
        rc = ccx_cli_search_report(g, &r, "polish", how, out_path);
        ccx_search_result_free(&r);
    }
    ccx_order_file_free(&in);
    ccx_graph_free(g);
    return rc;
}
