/* ccx train CONFIG.yaml [--task T]... [--set key=value]... [--backend B] [--cost M] [--resume RUN_DIR] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "train/config.h"
#include "train/trainer.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx train CONFIG.yaml [--task T]... [--set KEY=VALUE]... [--backend auto|cpu|cuda]\n"
            "                             [--cost alphagrad|real] [--quiet]\n"
            "       ccx train --resume RUN_DIR [--set KEY=VALUE]...\n"
            "       ccx train --help-config\n\n"
            "Train an agent (run.algo: ppo) to play the elimination game on the config's\n"
            "tasks. Writes a run directory (NAME under run.out_dir, by default results/runs\n"
            "of the ccx source tree wherever ccx runs; its path is the first line on stdout)\n"
            "with config.yaml, tasks.json, metrics.csv, checkpoints/,\n"
            "best_order.json and plot.png, shows progress on stderr, and prints the best\n"
            "orders beside the forward, reverse and Markowitz costs at the end.\n\n"
            "  --task T          train on T instead of run.tasks (repeatable: one agent, a mixed\n"
            "                    batch); a task file, a graph file (e.g. from jax_export.py) or a\n"
            "                    name; the run is named after the first T unless run.name is set.\n"
            "                    configs/train/user_cpu.yaml (user_gpu.yaml on a GPU) is sized\n"
            "                    for a graph of your own: ccx train configs/train/user_cpu.yaml\n"
            "                    --task my.graph.json\n"
            "  --set KEY=VALUE   override a config key (repeatable), e.g. --set ppo.clip=0.1\n"
            "  --backend B       auto (cuda when a GPU answers), cpu or cuda; overrides run.backend\n"
            "  --cost MODEL      what an elimination costs, overrides env.cost_model: alphagrad\n"
            "                    (AlphaGrad's multiplication model, the paper's figures; the\n"
            "                    default) or real (the multiplications ccx's Jacobian code\n"
            "                    performs: train for this on a function of your own)\n"
            "  --resume RUN_DIR  continue a run from its latest checkpoint (its config.yaml is\n"
            "                    used; --set can extend the budget)\n"
            "  --quiet           no progress line\n"
            "  --help-config     list every config key with its type, default and range\n"
            "  -h, --help        this help\n\n"
            "Ctrl-C (SIGINT) or SIGTERM: an update still playing its episodes is dropped (one\n"
            "already learning finishes), the last finished update is checkpointed, and the\n"
            "exit status is 130; --resume continues from there, replaying the dropped update.\n"
            "On the cpu backend a resumed run reproduces the uninterrupted run's metrics\n"
            "exactly.\n");
}

int ccx_cmd_train(int argc, char **argv) {
    static const struct option opts[] = {{"set", required_argument, 0, 's'},
                                         {"task", required_argument, 0, 't'},
                                         {"backend", required_argument, 0, 'b'},
                                         {"cost", required_argument, 0, 'c'},
                                         {"resume", required_argument, 0, 'r'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help-config", no_argument, 0, 'K'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    ccx_train_options opt;
    memset(&opt, 0, sizeof opt);
    /* sets[0..argc) then tasks[0..argc): each is at most argc entries */
    const char **sets = calloc(2 * (size_t)argc + 1, sizeof *sets);
    if (!sets) return CCX_EXIT_FAILURE;
    const char **tasks = sets + argc;
    int n_sets = 0, n_tasks = 0, rc;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
        switch (c) {
        case 's':
            if (!strchr(optarg, '=')) {
                free(sets);
                return ccx_cli_usage_error("train", "--set needs KEY=VALUE, got '%s'", optarg);
            }
            sets[n_sets++] = optarg;
            break;
        case 't': tasks[n_tasks++] = optarg; break;
        case 'b': opt.backend = optarg; break;
        case 'c': {
            int model;
            if (ccx_cli_cost_option("train", optarg, &model)) {
                free(sets);
                return CCX_EXIT_USAGE;
            }
            opt.cost_model = ccx_cost_model_name(model);
            break;
        }
        case 'r': opt.resume_dir = optarg; break;
        case 'q': opt.quiet = 1; break;
        case 'K': ccx_train_config_print_keys(); free(sets); return CCX_EXIT_OK;
        case 'h': usage(stdout); free(sets); return CCX_EXIT_OK;
        default:
            free(sets);
            return ccx_cli_option_error("train", c, argv, "h");
        }
    }
    if (opt.backend && strcmp(opt.backend, "auto") && strcmp(opt.backend, "cpu") &&
        strcmp(opt.backend, "cuda")) {
        free(sets);
        return ccx_cli_usage_error("train", "--backend must be auto, cpu or cuda, got '%s'",
                                   opt.backend);
    }
    if (opt.resume_dir && n_tasks) {
        free(sets);
        return ccx_cli_usage_error("train", "--resume continues the run's own tasks; drop --task");
    }
    if (opt.resume_dir) {
        if (optind != argc) {
            free(sets);
            return ccx_cli_usage_error("train", "--resume takes the run directory only, not a CONFIG");
        }
    } else {
        if (optind != argc - 1) {
            free(sets);
            return ccx_cli_usage_error("train", "expected exactly one CONFIG.yaml, got %d",
                                       argc - optind);
        }
        opt.config_path = argv[optind];
    }
    opt.n_sets = n_sets;
    opt.sets = sets;
    opt.n_tasks = n_tasks;
    opt.tasks = tasks;
    rc = ccx_train_main(&opt);
    free(sets);
    return rc;
}
