/* Shared pieces of the ccx command line: every subcommand is
 * `int ccx_cmd_NAME(int argc, char **argv)` with argv[0] = the subcommand
 * name, returning the process exit status:
 *   0 success, 1 runtime failure (I/O, out of memory), 2 bad input
 *   (bad flag, bad task file, bad order). */
#ifndef CCX_CLI_CLI_H
#define CCX_CLI_CLI_H

#include "graph/graph.h"
#include "io/order_file.h"
#include "search/search.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CCX_EXIT_OK = 0, CCX_EXIT_FAILURE = 1, CCX_EXIT_USAGE = 2 };

/* Print "ccx: error: <formatted err>" to stderr. */
void ccx_cli_print_error(const ccx_error *err);
/* printf-style "ccx CMD: error: ..." to stderr plus a hint to run --help;
 * returns CCX_EXIT_USAGE. */
/* The sentence every command taking a TASK prints in its --help. */
#define CCX_CLI_TASK_HELP                                                                       \
    "TASK is a paper task name (configs/tasks), a task file (.ccx) or a graph file\n"           \
    "(.graph.json, e.g. written by scripts/jax_export.py from a JAX function).\n\n"

int ccx_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The usage error for what getopt_long returned as `c` ('?' or ':', with
 * opterr = 0) for argv[optind - 1]: "option 'X' needs a value" for a known
 * option (a long one, or one of shortopts) given without its value, else
 * "unknown option 'X'". Returns CCX_EXIT_USAGE. */
int ccx_cli_option_error(const char *cmd, int c, char *const argv[], const char *shortopts);
/* Resolve and load a task argument (path or name); prints the error and
 * returns NULL on failure. */
ccx_graph *ccx_cli_load_task(const char *arg);
/* The same, refusing (with the message) a graph the Jacobian interpreter and
 * code generation cannot run: a tensor graph, or a graph file whose vertices
 * are not scalar ccx ops. `what` names the command in the message. */
ccx_graph *ccx_cli_load_evaluable_task(const char *arg, const char *what);
/* 1 if s is "-h" or "--help". */
int ccx_cli_is_help(const char *s);
/* Parse a whole decimal integer / double with range check; 0 on success. */
int ccx_cli_parse_long(const char *s, long lo, long hi, long *out);
int ccx_cli_parse_double(const char *s, double lo, double hi, double *out);
/* Load the --order argument for graph g: an order file (JSON or bare list;
 * "-" = stdin), a LIST of vertex numbers ("8,82,27" or "[8, 82, 27]"), or
 * forward | reverse | markowitz | greedy (then out->method is that name). The order is
 * checked against g (ccx_order_check: hash, size, stated cost, validity) and
 * its cost stored in *cost. 0 on success; on failure err says why and *out is
 * empty. Free *out with ccx_order_file_free. */
int ccx_cli_load_order(const ccx_graph *g, const char *arg, ccx_order_file *out, int64_t *cost,
                       ccx_error *err);
/* The same; with reprice, what an order file says of its price (cost,
 * baselines, cost model) is dropped first, so its order is priced afresh
 * under g's model. */
int ccx_cli_load_order_priced(const ccx_graph *g, const char *arg, int reprice,
                              ccx_order_file *out, int64_t *cost, ccx_error *err);
/* --cost MODEL: *model = the ccx_cost_model; else an error naming the
 * choices (exit code returned). */
int ccx_cli_cost_option(const char *cmd, const char *arg, int *model);
/* The --help lines of --cost. */
#define CCX_CLI_COST_HELP                                                                     \
    "  --cost MODEL    the cost model: alphagrad (AlphaGrad's multiplication model,\n"        \
    "                  the paper's figures; default) or real (the multiplications\n"         \
    "                  ccx's Jacobian code performs: products with +-1 free, tensor\n"       \
    "                  products by their structure; docs/tensor_model.md)\n"

int ccx_cmd_graph(int argc, char **argv);
int ccx_cmd_baselines(int argc, char **argv);
int ccx_cmd_cost(int argc, char **argv);
int ccx_cmd_gen(int argc, char **argv);
int ccx_cmd_bench(int argc, char **argv);
int ccx_cmd_search(int argc, char **argv);
/* --time, --seed, --threads, --iters, --quiet for search and polish
 * (cmd_search.c): 0 applied, CCX_EXIT_USAGE bad value, -1 not one of them. */
int ccx_cli_search_option(const char *cmd, int c, const char *arg, ccx_search_params *p);
int ccx_cmd_polish(int argc, char **argv);
int ccx_cmd_bounds(int argc, char **argv);
/* Write a search result as an order file (out_path, or stdout when NULL) and
 * print its summary (cost, lower bound and gap, baselines) to stdout when
 * out_path is set, else to stderr (cmd_search.c). Returns the exit status.
 */
int ccx_cli_search_report(const ccx_graph *g, const ccx_search_result *r, const char *method,
                          const char *how, const char *out_path);
int ccx_cmd_jacobian(int argc, char **argv);
int ccx_cmd_train(int argc, char **argv);
int ccx_cmd_eval(int argc, char **argv);
int ccx_cmd_export(int argc, char **argv);
int ccx_cmd_search_play(int argc, char **argv);
int ccx_cmd_codegen(int argc, char **argv);
/* `ccx bench jacobian` (bench_jacobian.c); argv[0] = "jacobian" */
int ccx_bench_jacobian(int argc, char **argv);
/* `ccx bench env` (bench_env.c); argv[0] = "env" */
int ccx_bench_env(int argc, char **argv);
/* `ccx bench nn` (bench_nn.c); argv[0] = "nn" */
int ccx_bench_nn(int argc, char **argv);
/* `ccx bench train` (bench_train.c); argv[0] = "train" */
int ccx_bench_train(int argc, char **argv);
/* `ccx plot RUN_DIR... [--out FILE.png]` (cmd_plot.c) */
int ccx_cmd_plot(int argc, char **argv);
/* `ccx sweep-plan SWEEP.yaml`: one line per sweep point, for scripts/sweep.sh */
int ccx_cmd_sweep_plan(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
