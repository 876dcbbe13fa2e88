/* ccx graph TASK [--dot | --vertices] */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx graph TASK [--dot | --vertices]\n\n"
            "Parse TASK (a .ccx file or a name in configs/tasks) and print a summary of\n"
            "its computational graph: inputs, vertices (eliminable + outputs), edges,\n"
            "degrees, op counts and the graph_sha256 that order files carry.\n\n"
            "  --dot        print Graphviz DOT instead (ccx graph T --dot | dot -Tpng -o g.png)\n"
            "  --vertices   list every vertex: number, op, operands, variable, location\n"
            "  -h, --help   this help\n");
}

int ccx_cmd_graph(int argc, char **argv) {
    static const struct option opts[] = {
        {"dot", no_argument, 0, 'd'}, {"vertices", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int mode = 0;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
        switch (c) {
        case 'd': mode = 'd'; break;
        case 'v': mode = 'v'; break;
        case 'h': usage(stdout); return CCX_EXIT_OK;
        default: return ccx_cli_usage_error("graph", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return ccx_cli_usage_error("graph", "expected exactly one TASK, got %d", argc - optind);
    ccx_graph *g = ccx_cli_load_task(argv[optind]);
    if (!g) return CCX_EXIT_USAGE;
    if (mode == 'd') ccx_graph_write_dot(g, stdout);
    else if (mode == 'v') ccx_graph_write_vertices(g, stdout);
    else ccx_graph_write_summary(g, stdout);
    ccx_graph_free(g);
    return CCX_EXIT_OK;
}
