/* ccx cost TASK --order FILE|LIST|forward|reverse|markowitz|greedy [--cost alphagrad|real]
 *          [--reprice] [--json] [-o FILE] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "game/game.h"
#include "io/order_file.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx cost TASK --order ORDER [--cost alphagrad|real] [--reprice] [--json]\n"
            "                [-o FILE]\n\n"
            CCX_CLI_TASK_HELP
            "Validate an elimination order for TASK and print its cost (multiplications)\n"
            "beside the forward, reverse, minimal-Markowitz and greedy costs (ccx baselines\n"
            "--help says what each is).\n\n"
            "ORDER is one of\n"
            "  FILE                 an order file (JSON as written by ccx, or a bare list)\n"
            "  LIST                 vertex numbers, e.g. 8,82,27,... or \"[8, 82, 27]\"\n"
            "  forward | reverse | markowitz | greedy   a baseline order\n\n"
            "An order must name every intermediate vertex exactly once; the first\n"
            "offending entry is reported. An order file's graph_sha256, n_vertices and\n"
            "cost, when present, must match the task, and a file priced under the other\n"
            "cost model is refused (its \"cost_model\"; files without one are AlphaGrad's).\n\n"
            CCX_CLI_COST_HELP
            "  --reprice    price an order file's order afresh under --cost, ignoring the\n"
            "               cost, baselines and model the file states\n"
            "  --json       print the order record as JSON\n"
            "  -o FILE      also write the order record (JSON) to FILE\n"
            "  -h, --help   this help\n");
}

static void print_vs(const char *name, int64_t base, int64_t cost) {
    double pct = base > 0 ? 100.0 * (double)(base - cost) / (double)base : 0.0;
    printf("%-10s %8lld   (order is %.1f%% %s)\n", name, (long long)base, pct < 0 ? -pct : pct,
           pct >= 0 ? "cheaper" : "dearer");
}

int ccx_cmd_cost(int argc, char **argv) {
    static const struct option opts[] = {
        {"order", required_argument, 0, 'r'}, {"json", no_argument, 0, 'j'},
        {"output", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'},
        {"cost", required_argument, 0, 'c'}, {"reprice", no_argument, 0, 'p'}, {0, 0, 0, 0}};
    const char *order_arg = NULL, *out_path = NULL;
    int json = 0, model = CCX_COST_ALPHAGRAD, reprice = 0;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1;) {
        switch (c) {
        case 'r': order_arg = optarg; break;
        case 'j': json = 1; break;
        case 'o': out_path = optarg; break;
        case 'c':
            if (ccx_cli_cost_option("cost", optarg, &model)) return CCX_EXIT_USAGE;
            break;
        case 'p': reprice = 1; break;
        case 'h': usage(stdout); return CCX_EXIT_OK;
        default:
            return ccx_cli_option_error("cost", c, argv, "ho:");
        }
    }
    if (optind != argc - 1)
        return ccx_cli_usage_error("cost", "expected exactly one TASK, got %d", argc - optind);
    if (!order_arg) return ccx_cli_usage_error("cost", "--order is required");
    ccx_graph *g = ccx_cli_load_task(argv[optind]);
    if (!g) return CCX_EXIT_USAGE;
    g->cost_model = model;

    ccx_error err;
    ccx_order_file in = {0}, rec = {0};
    int64_t cost = 0;
    int rc = CCX_EXIT_OK;
    if (ccx_cli_load_order_priced(g, order_arg, reprice, &in, &cost, &err)) {
        ccx_cli_print_error(&err);
        rc = CCX_EXIT_USAGE;
    } else if (ccx_order_make(g, in.order, in.n_order, in.method ? in.method : "imported", &rec,
                              &err)) {
        ccx_cli_print_error(&err);
        rc = CCX_EXIT_USAGE;
    }
    if (rc == CCX_EXIT_OK) {
        if (json) {
            char *text = ccx_order_to_json(&rec);
            if (text) fputs(text, stdout);
            free(text);
        } else {
            printf("task       %s\n", g->task_name);
            printf("order      %d vertices, valid (%s)\n", rec.n_order, rec.method);
            printf("cost       %8lld   (%s cost model)\n", (long long)rec.cost,
                   ccx_cost_model_name(model));
            print_vs("forward", rec.baselines.forward, rec.cost);
            print_vs("reverse", rec.baselines.reverse, rec.cost);
            print_vs("markowitz", rec.baselines.markowitz, rec.cost);
            print_vs("greedy", rec.baselines.greedy, rec.cost);
        }
        if (out_path && ccx_order_write(out_path, &rec, &err)) {
            ccx_cli_print_error(&err);
            rc = CCX_EXIT_FAILURE;
        }
    }
    ccx_order_file_free(&in);
    ccx_order_file_free(&rec);
    ccx_graph_free(g);
    return rc;
}
