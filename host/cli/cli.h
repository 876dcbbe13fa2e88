/* Shared pieces of the ccx command line: every subcommand is
 * `int ccx_cmd_NAME(int argc, char **argv)` with argv[0] = the subcommand
 * name, returning the process exit status:
 *   0 success, 1 runtime failure (I/O, out of memory), 2 bad input
 *   (bad flag, bad task file, bad order). */
#ifndef CCX_CLI_CLI_H
#define CCX_CLI_CLI_H

#include "graph/graph.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CCX_EXIT_OK = 0, CCX_EXIT_FAILURE = 1, CCX_EXIT_USAGE = 2 };

/* Print "ccx: error: <formatted err>" to stderr. */
void ccx_cli_print_error(const ccx_error *err);
/* printf-style "ccx CMD: error: ..." to stderr plus a hint to run --help;
 * returns CCX_EXIT_USAGE. */
int ccx_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Resolve and load a task argument (path or name); prints the error and
 * returns NULL on failure. */
ccx_graph *ccx_cli_load_task(const char *arg);
/* 1 if s is "-h" or "--help". */
int ccx_cli_is_help(const char *s);
/* Parse a whole decimal integer / double with range check; 0 on success. */
int ccx_cli_parse_long(const char *s, long lo, long hi, long *out);
int ccx_cli_parse_double(const char *s, double lo, double hi, double *out);

int ccx_cmd_graph(int argc, char **argv);
int ccx_cmd_baselines(int argc, char **argv);
int ccx_cmd_cost(int argc, char **argv);
int ccx_cmd_gen(int argc, char **argv);
int ccx_cmd_bench(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
