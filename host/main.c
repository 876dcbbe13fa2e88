/* ccx: find cheap exact Jacobians. Entry point: dispatch to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/cuda_info.h"
#include "util/version.h"

static const struct {
    const char *name;
    int (*run)(int, char **);
    const char *summary;
} COMMANDS[] = {
    {"graph", ccx_cmd_graph, "summary, vertex list or Graphviz DOT of a task's graph"},
    {"baselines", ccx_cmd_baselines, "forward, reverse and minimal-Markowitz costs of tasks"},
    {"cost", ccx_cmd_cost, "validate an elimination order and print its cost"},
    {"gen", ccx_cmd_gen, "write a random task file"},
    {"jacobian", ccx_cmd_jacobian, "evaluate a Jacobian by vertex elimination in a given order"},
    {"codegen", ccx_cmd_codegen, "emit C, CUDA or JAX code for a Jacobian in a given order"},
    {"search", ccx_cmd_search, "search for a cheap order (sa, beam, rmk, exact)"},
    {"polish", ccx_cmd_polish, "improve a given order by local search"},
    {"bounds", ccx_cmd_bounds, "proven lower bound on the cost of any order"},
    {"bench", ccx_cmd_bench, "benchmarks: game, env, nn, jacobian, train"},
    {"plot", ccx_cmd_plot, "plot training runs (best and mean cost vs env steps)"},
    {"sweep-plan", ccx_cmd_sweep_plan, "expand a sweep file into runs (for scripts/sweep.sh)"},
    {"train", ccx_cmd_train, "train an agent (PPO or Gumbel AlphaZero) from a YAML config"},
    {"eval", ccx_cmd_eval, "play a trained checkpoint on a task (greedy and sampled)"},
    {"search-play", ccx_cmd_search_play, "play a task with a trained network guiding Gumbel search"},
    {"export", ccx_cmd_export, "print or write the best order of a training run"},
};
#define N_COMMANDS (int)(sizeof COMMANDS / sizeof COMMANDS[0])

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx COMMAND [ARGS...]\n"
            "       ccx COMMAND --help\n"
            "       ccx --version\n\n"
            "ccx finds cheap cross-country elimination orders for exact Jacobians.\n\n"
            "commands:\n");
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-12s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out,
            "\nTASK is a task file (.ccx), a graph file (.json: ccx's, AlphaGrad's or one\n"
            "written by scripts/jax_export.py) or a task name from configs/tasks\n"
            "(e.g. RoeFlux_1d: NAME.ccx or NAME.graph.json, looked up in $CCX_TASKS first).\n"
            "Exit status: 0 success, 1 runtime failure, 2 bad input.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return CCX_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (ccx_cli_is_help(cmd) || strcmp(cmd, "help") == 0) {
        if (argc > 2 && strcmp(cmd, "help") == 0) {
            for (int i = 0; i < N_COMMANDS; i++)
                if (strcmp(argv[2], COMMANDS[i].name) == 0) {
                    char *help_argv[] = {argv[2], "--help", NULL};
                    return COMMANDS[i].run(2, help_argv);
                }
            fprintf(stderr, "ccx: error: unknown command '%s'\n", argv[2]);
            return CCX_EXIT_USAGE;
        }
        usage(stdout);
        return CCX_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        char dev[256];
        int n = ccx_cuda_device_info(dev, sizeof dev);
        printf("ccx %s\ncuda: %s%s\n", CCX_VERSION, n > 0 ? "" : "no device: ", dev);
        return CCX_EXIT_OK;
    }
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(cmd, COMMANDS[i].name) == 0) return COMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "ccx: error: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return CCX_EXIT_USAGE;
}
