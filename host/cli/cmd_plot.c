/* ccx plot RUN_DIR... [--out FILE.png] */
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "train/run.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx plot RUN_DIR... [--out FILE.png]\n\n"
            "Plot training runs (directories written by `ccx train`): one panel per task,\n"
            "best-so-far cost (solid) and mean episode cost (dotted) against env steps for\n"
            "every run, overlaid and labelled by the run directory's name; forward,\n"
            "reverse and Markowitz costs and AlphaGrad's published figures as horizontal\n"
            "lines. Needs gnuplot (Debian: gnuplot-nox).\n\n"
            "  -o, --out FILE.png   where to write the plot (default: RUN_DIR/plot.png of\n"
            "                       the first run)\n"
            "  -h, --help           this help\n");
}

int ccx_cmd_plot(int argc, char **argv) {
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *out = NULL;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1;) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'h': usage(stdout); return CCX_EXIT_OK;
        default: return ccx_cli_option_error("plot", c, argv, ":ho:");
        }
    }
    int n = argc - optind;
    if (n < 1) return ccx_cli_usage_error("plot", "expected at least one RUN_DIR");
    const char *const *dirs = (const char *const *)(argv + optind);
    for (int i = 0; i < n; i++) {
        struct stat st;
        char path[4200];
        if (stat(dirs[i], &st) != 0 || !S_ISDIR(st.st_mode))
            return ccx_cli_usage_error("plot", "'%s' is not a directory", dirs[i]);
        snprintf(path, sizeof path, "%s/metrics.csv", dirs[i]);
        if (stat(path, &st) != 0)
            return ccx_cli_usage_error("plot", "'%s' has no metrics.csv (not a run directory?)", dirs[i]);
    }
    ccx_error err;
    ccx_error_clear(&err);
    if (ccx_plot_runs(n, dirs, out, &err)) {
        ccx_cli_print_error(&err);
        return CCX_EXIT_FAILURE;
    }
    if (out) printf("wrote %s\n", out);
    else printf("wrote %s/plot.png\n", dirs[0]);
    return CCX_EXIT_OK;
}
