/* ccx graph TASK [--dot | --vertices] [-o FILE.graph.json] */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "io/graph_file.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx graph TASK [--dot | --vertices] [-o FILE.graph.json]\n\n"
            "Load TASK (a .ccx task file, a graph file, AlphaGrad's raw graph JSON, or a\n"
            "name in configs/tasks) and print a summary of its computational graph:\n"
            "cost model (scalar or tensor), inputs, vertices (eliminable + outputs),\n"
            "edges, degrees, edge types, ops and the graph_sha256 that order files carry.\n\n"
            "  --dot        print Graphviz DOT instead (ccx graph T --dot | dot -Tpng -o g.png);\n"
            "               tensor edges are labelled with their type and dims (out <- primal)\n"
            "  --vertices   list every vertex: number, op, operands, shape, name, source\n"
            "  -o FILE      write the graph as a ccx graph file (JSON; README \"Graph files\"),\n"
            "               e.g. to convert a task file or an AlphaGrad graph\n"
            "  -h, --help   this help\n");
}

int ccx_cmd_graph(int argc, char **argv) {
    static const struct option opts[] = {
        {"dot", no_argument, 0, 'd'}, {"vertices", no_argument, 0, 'v'},
        {"output", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int mode = 0;
    const char *out_path = NULL;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1;) {
        switch (c) {
        case 'd': mode = 'd'; break;
        case 'v': mode = 'v'; break;
        case 'o': out_path = optarg; break;
        case 'h': usage(stdout); return CCX_EXIT_OK;
        default:
            if (optopt == 'o') return ccx_cli_usage_error("graph", "option '-o' needs a FILE");
            return ccx_cli_usage_error("graph", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return ccx_cli_usage_error("graph", "expected exactly one TASK, got %d", argc - optind);
    ccx_graph *g = ccx_cli_load_task(argv[optind]);
    if (!g) return CCX_EXIT_USAGE;
    int rc = CCX_EXIT_OK;
    if (out_path) {
        ccx_error err;
        if (ccx_graph_file_write(out_path, g, &err)) {
            ccx_cli_print_error(&err);
            rc = CCX_EXIT_FAILURE;
        } else if (out_path[0] != '-' || out_path[1]) {
            fprintf(stderr, "ccx graph: wrote %s (%d inputs, %d vertices, %d edges, %s)\n", out_path,
                    g->n_inputs, g->n_vertices, g->n_edges, g->tensor ? "tensor" : "scalar");
        }
    } else if (mode == 'd') ccx_graph_write_dot(g, stdout);
    else if (mode == 'v') ccx_graph_write_vertices(g, stdout);
    else ccx_graph_write_summary(g, stdout);
    ccx_graph_free(g);
    return rc;
}
