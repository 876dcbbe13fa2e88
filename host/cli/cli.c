/* Helpers shared by the subcommands. */
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
