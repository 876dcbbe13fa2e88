/* ccx baselines TASK... [--cost alphagrad|real] [--json] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "game/game.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx baselines TASK... [--cost alphagrad|real] [--json]\n\n"
            "Print the cost (multiplications) of the classic elimination orders for each\n"
            "TASK (a task file, a graph file or a name in configs/tasks), as a table:\n"
            "  forward     vertices in increasing number (forward mode)\n"
            "  reverse     vertices in decreasing number (reverse mode)\n"
            "  markowitz   minimal Markowitz; on tensor graphs AlphaGrad's version of it,\n"
            "              a tensor-blind degree heuristic (docs/tensor_model.md section 4)\n"
            "  greedy      the vertex cheapest to eliminate now under the cost model first\n"
            "              (the tensor-aware greedy; under alphagrad = markowitz on scalar\n"
            "              graphs)\n"
            "Every order is priced under the cost model of --cost.\n\n"
            CCX_CLI_COST_HELP
            "  --json       print a JSON array instead\n"
            "  -h, --help   this help\n");
}

int ccx_cmd_baselines(int argc, char **argv) {
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'}, {"cost", required_argument, 0, 'c'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int json = 0, model = CCX_COST_ALPHAGRAD;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        switch (c) {
        case 'j': json = 1; break;
        case 'c':
            if (ccx_cli_cost_option("baselines", optarg, &model)) return CCX_EXIT_USAGE;
            break;
        case 'h': usage(stdout); return CCX_EXIT_OK;
        default: return ccx_cli_option_error("baselines", c, argv, ":h");
        }
    }
    int n = argc - optind;
    if (n < 1) return ccx_cli_usage_error("baselines", "expected at least one TASK");
    /* load and compute everything first: a bad task prints nothing partial */
    ccx_graph **graphs = calloc((size_t)n, sizeof *graphs);
    ccx_baselines *b = calloc((size_t)n, sizeof *b);
    if (!graphs || !b) { free(graphs); free(b); fprintf(stderr, "ccx: out of memory\n"); return CCX_EXIT_FAILURE; }
    int rc = CCX_EXIT_OK;
    for (int i = 0; i < n && rc == CCX_EXIT_OK; i++) {
        graphs[i] = ccx_cli_load_task(argv[optind + i]);
        ccx_error err;
        if (!graphs[i]) {
            rc = CCX_EXIT_USAGE;
            break;
        }
        graphs[i]->cost_model = model;
        if (ccx_baselines_compute(graphs[i], &b[i], &err)) { ccx_cli_print_error(&err); rc = CCX_EXIT_USAGE; }
    }
    if (rc == CCX_EXIT_OK && json) {
        printf("[\n");
        for (int i = 0; i < n; i++) {
            const ccx_graph *g = graphs[i];
            char hex[65];
            ccx_graph_sha256(g, hex);
            printf("  {\"task\": \"%s\", \"model\": \"%s\", \"inputs\": %d, \"vertices\": %d, "
                   "\"intermediates\": %d, \"outputs\": %d, \"forward\": %lld, \"reverse\": %lld, "
                   "\"markowitz\": %lld, \"greedy\": %lld, \"cost_model\": \"%s\", \"graph_sha256\": \"%s\"}%s\n",
                   g->task_name, g->tensor ? "tensor" : "scalar", g->n_inputs, g->n_vertices,
                   ccx_graph_n_intermediates(g), g->n_outputs, (long long)b[i].forward,
                   (long long)b[i].reverse, (long long)b[i].markowitz, (long long)b[i].greedy,
                   ccx_cost_model_name(g->cost_model), hex,
                   i + 1 < n ? "," : "");
        }
        printf("]\n");
    } else if (rc == CCX_EXIT_OK) {
        int any_tensor = 0;
        printf("%-22s %6s %9s %12s %8s %8s %10s %8s  %s\n", "task", "inputs", "vertices",
               "(elim + out)", "forward", "reverse", "markowitz", "greedy", "model");
        for (int i = 0; i < n; i++) {
            const ccx_graph *g = graphs[i];
            char split[32];
            snprintf(split, sizeof split, "(%d + %d)", ccx_graph_n_intermediates(g), g->n_outputs);
            printf("%-22s %6d %9d %12s %8lld %8lld %10lld %8lld  %s\n", g->task_name, g->n_inputs,
                   g->n_vertices, split, (long long)b[i].forward, (long long)b[i].reverse,
                   (long long)b[i].markowitz, (long long)b[i].greedy,
                   g->tensor ? "tensor" : "scalar");
            any_tensor |= g->tensor;
        }
        printf("(costs under the %s cost model, --cost)\n", ccx_cost_model_name(model));
        if (any_tensor)
            printf("(tensor graphs: markowitz is AlphaGrad's tensor-blind degree heuristic, greedy "
                   "the tensor-aware one)\n");
    }
    for (int i = 0; i < n; i++) ccx_graph_free(graphs[i]);
    free(graphs);
    free(b);
    return rc;
}
