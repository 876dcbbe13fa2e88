/* ccx bounds TASK... [--cost alphagrad|real] [--verbose] [--json] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "game/game.h"
#include "search/search.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx bounds TASK... [--cost alphagrad|real] [--verbose] [--json]\n\n"
            CCX_CLI_TASK_HELP
            "Print a proven lower bound on the cost of every elimination order of TASK.\n"
            "per_vertex is the sum over the intermediates v of cut_in(v) * cut_out(v), the\n"
            "sizes of the smallest vertex sets separating v from the inputs and from the\n"
            "outputs: when v is eliminated its predecessors and successors are such sets.\n"
            "lower_bound adds, over a matching of pairs (u, v), what eliminating either\n"
            "one first forces on the other's cuts. No order costs less than lower_bound.\n"
            "On tensor graphs only edges of certainly-costly types count, and cut_out(v)\n"
            "weighs each vertex by its shape's smaller dim (the least a pair costs).\n"
            "Under --cost real a product with a +-1 partial is free: only intermediates\n"
            "whose edges all carry data add cut_in * cut_out (each of their pairs costs at\n"
            "least 1), over every edge, and none when some edge is zero (no pair bound).\n\n"
            CCX_CLI_COST_HELP
            "  --verbose    also list every intermediate: cut_in, cut_out, their product,\n"
            "               and |P|, |S| in the original graph\n"
            "  --json       print a JSON array instead\n"
            "  -h, --help   this help\n");
}

int ccx_cmd_bounds(int argc, char **argv) {
    static const struct option opts[] = {{"verbose", no_argument, 0, 'v'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {"cost", required_argument, 0, 'c'},
                                         {0, 0, 0, 0}};
    int verbose = 0, json = 0, model = CCX_COST_ALPHAGRAD;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "hv", opts, NULL)) != -1;) {
        switch (c) {
        case 'v': verbose = 1; break;
        case 'j': json = 1; break;
        case 'c':
            if (ccx_cli_cost_option("bounds", optarg, &model)) return CCX_EXIT_USAGE;
            break;
        case 'h': usage(stdout); return CCX_EXIT_OK;
        default: return ccx_cli_option_error("bounds", c, argv, "hv");
        }
    }
    int n = argc - optind;
    if (n < 1) return ccx_cli_usage_error("bounds", "expected at least one TASK");
    int rc = CCX_EXIT_OK;
    if (json) printf("[\n");
    else
        printf("%-22s %11s %10s %8s %8s %10s %8s\n", "task", "lower_bound", "per_vertex", "forward",
               "reverse", "markowitz", "greedy");
    for (int t = 0; t < n && rc == CCX_EXIT_OK; t++) {
        ccx_graph *g = ccx_cli_load_task(argv[optind + t]);
        if (!g) { rc = CCX_EXIT_USAGE; break; }
        g->cost_model = model;
        ccx_error err;
        ccx_baselines b;
        int32_t *cin = malloc((size_t)g->n_vertices * sizeof(int32_t) + 1);
        int32_t *cout = malloc((size_t)g->n_vertices * sizeof(int32_t) + 1);
        int64_t lb = -1, pv = -1;
        if (!cin || !cout) ccx_error_set(&err, "out of memory");
        else if (ccx_baselines_compute(g, &b, &err) == 0 && ccx_bound_graph(g, cin, cout, &err) >= 0)
            lb = ccx_bound_graph_pairs(g, &pv, &err);
        if (lb < 0) {
            ccx_cli_print_error(&err);
            rc = CCX_EXIT_FAILURE;
        } else if (json) {
            printf("  {\"task\": \"%s\", \"lower_bound\": %lld, \"per_vertex\": %lld, "
                   "\"forward\": %lld, \"reverse\": %lld, \"markowitz\": %lld, \"greedy\": %lld, "
                   "\"cost_model\": \"%s\"",
                   g->task_name, (long long)lb, (long long)pv, (long long)b.forward,
                   (long long)b.reverse, (long long)b.markowitz, (long long)b.greedy,
                   ccx_cost_model_name(model));
            if (verbose) {
                printf(", \"terms\": [");
                int first = 1;
                for (int k = 1; k <= g->n_vertices; k++) {
                    if (g->vertices[k - 1].is_output) continue;
                    printf("%s{\"vertex\": %d, \"cut_in\": %d, \"cut_out\": %d}", first ? "" : ", ", k,
                           cin[k - 1], cout[k - 1]);
                    first = 0;
                }
                printf("]");
            }
            printf("}%s\n", t + 1 < n ? "," : "");
        } else {
            printf("%-22s %11lld %10lld %8lld %8lld %10lld %8lld\n", g->task_name, (long long)lb,
                   (long long)pv, (long long)b.forward, (long long)b.reverse, (long long)b.markowitz,
                   (long long)b.greedy);
            if (verbose) {
                ccx_game game;
                if (ccx_game_init(&game, g, &err) == 0) {
                    printf("  %6s %7s %7s %6s %4s %4s\n", "vertex", "cut_in", "cut_out", "term", "|P|", "|S|");
                    for (int k = 1; k <= g->n_vertices; k++) {
                        if (g->vertices[k - 1].is_output) continue;
                        printf("  %6d %7d %7d %6lld %4d %4d\n", k, cin[k - 1], cout[k - 1],
                               (long long)cin[k - 1] * cout[k - 1], ccx_game_in_degree(&game, k),
                               ccx_game_out_degree(&game, k));
                    }
                    ccx_game_free(&game);
                }
            }
        }
        free(cin);
        free(cout);
        ccx_graph_free(g);
    }
    if (json) printf("]\n");
    else if (rc == CCX_EXIT_OK) printf("(costs under the %s cost model, --cost)\n", ccx_cost_model_name(model));
    return rc;
}
