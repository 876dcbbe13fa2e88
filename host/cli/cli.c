/* Helpers shared by the subcommands. */
#include "cli/cli.h"

#include <getopt.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "game/game.h"
#include "lang/task.h"

void ccx_cli_print_error(const ccx_error *err) {
    char buf[1024];
    fprintf(stderr, "ccx: error: %s\n", ccx_error_format(err, buf, sizeof buf));
}

int ccx_cli_usage_error(const char *cmd, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "ccx %s: error: %s\n(run 'ccx %s --help' for usage)\n", cmd, msg, cmd);
    return CCX_EXIT_USAGE;
}

int ccx_cli_option_error(const char *cmd, int c, char *const argv[], const char *shortopts) {
    /* with opterr = 0, getopt_long leaves optopt 0 for an unknown long option,
     * the character for an unknown short one, and the option's character or
     * val when a known one is missing its value */
    const char *arg = argv[optind - 1];
    int is_long = arg[0] == '-' && arg[1] == '-';
    int known = c == ':' || (optopt > 0 && (is_long || (optopt < 256 && strchr(shortopts, optopt))));
    if (known) return ccx_cli_usage_error(cmd, "option '%s' needs a value", arg);
    return ccx_cli_usage_error(cmd, "unknown option '%s'", arg);
}

ccx_graph *ccx_cli_load_task(const char *arg) {
    ccx_error err;
    char path[4096];
    ccx_error_clear(&err);
    if (ccx_task_resolve(arg, path, sizeof path, &err)) {
        ccx_cli_print_error(&err);
        return NULL;
    }
    ccx_graph *g = ccx_task_load(path, &err);
    if (!g) ccx_cli_print_error(&err);
    return g;
}

ccx_graph *ccx_cli_load_evaluable_task(const char *arg, const char *what) {
    ccx_graph *g = ccx_cli_load_task(arg);
    ccx_error err;
    if (g && ccx_graph_require_evaluable(g, what, &err)) {
        ccx_cli_print_error(&err);
        ccx_graph_free(g);
        return NULL;
    }
    return g;
}

int ccx_cli_is_help(const char *s) {
    return strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0;
}

int ccx_cli_parse_long(const char *s, long lo, long hi, long *out) {
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int ccx_cli_parse_double(const char *s, double lo, double hi, double *out) {
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int is_file(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int ccx_cli_cost_option(const char *cmd, const char *arg, int *model) {
    ccx_cost_model m;
    if (ccx_cost_model_parse(arg, &m))
        return ccx_cli_usage_error(cmd, "--cost must be alphagrad (AlphaGrad's multiplication "
                                        "model) or real (the work ccx's Jacobian code does), "
                                        "got '%s'", arg);
    *model = (int)m;
    return 0;
}

int ccx_cli_load_order(const ccx_graph *g, const char *arg, ccx_order_file *out, int64_t *cost,
                       ccx_error *err) {
    return ccx_cli_load_order_priced(g, arg, 0, out, cost, err);
}

int ccx_cli_load_order_priced(const ccx_graph *g, const char *arg, int reprice,
                              ccx_order_file *out, int64_t *cost, ccx_error *err) {
    memset(out, 0, sizeof *out);
    out->cost_model = -1;
    int rc = -1, baseline = 0;
    for (int b = 0; b < CCX_N_BASELINES && !baseline; b++) {
        if (strcmp(arg, ccx_baseline_name((ccx_baseline)b)) != 0) continue;
        baseline = 1;
        int n = ccx_graph_n_intermediates(g);
        out->order = malloc((size_t)(n ? n : 1) * sizeof(int32_t));
        out->method = strdup(arg);
        out->n_order = n;
        out->n_vertices = -1;
        out->cost = -1;
        if (!out->order || !out->method) ccx_error_set(err, "out of memory");
        else rc = ccx_baseline_order(g, (ccx_baseline)b, out->order, err) < 0 ? -1 : 0;
    }
    if (!baseline) {
        if (is_file(arg) || strcmp(arg, "-") == 0)
            rc = ccx_order_read(arg, out, err);
        else if (strspn(arg, "0123456789-+,[] \t\n") != strlen(arg) || !strpbrk(arg, "0123456789"))
            rc = ccx_error_set(err, "--order '%s' is neither a file, a list of vertex numbers nor "
                                    "forward/reverse/markowitz/greedy", arg);
        else
            rc = ccx_order_parse(arg, out, err);
    }
    if (rc == 0 && reprice) ccx_order_forget_price(out);
    if (rc == 0) rc = ccx_order_check(g, out, cost, err);
    if (rc) ccx_order_file_free(out);
    return rc;
}
