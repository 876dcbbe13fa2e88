/* ccx eval CHECKPOINT --task T [--samples K] [--seed S] [--backend B] [--cost M] [-o FILE] */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "nn/checkpoint.h"
#include "nn/nn.h"
#include "train/run.h"
#include "train/trainer.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx eval CHECKPOINT --task TASK [--samples K] [--seed S]\n"
            "                [--backend auto|cpu|cuda] [--cost alphagrad|real] [-o FILE]\n\n"
            "Play a trained network (a checkpoint written by ccx train) on TASK: one\n"
            "greedy rollout (the most probable vertex at every step) and K sampled\n"
            "rollouts, and print their costs beside the forward, reverse and Markowitz\n"
            "costs and AlphaGrad's published figures (under AlphaGrad's model).\n\n"
            "  --task TASK     task or graph file, or a task name (required)\n"
            "  --samples K     sampled rollouts (default 64; 0 = greedy only)\n"
            "  --seed S        seed of the sampled rollouts (default 0)\n"
            "  --backend B     auto (default), cpu or cuda\n"
            "  --cost MODEL    alphagrad or real: the cost model the rollouts are priced and\n"
            "                  observed under (default: the one the checkpoint was trained\n"
            "                  under, its ccx.cost_model)\n"
            "  -o FILE         write the better of the greedy and best sampled orders\n"
            "  -h, --help      this help\n");
}

int ccx_cmd_eval(int argc, char **argv) {
    static const struct option opts[] = {{"task", required_argument, 0, 't'},
                                         {"samples", required_argument, 0, 'k'},
                                         {"seed", required_argument, 0, 's'},
                                         {"backend", required_argument, 0, 'b'},
                                         {"output", required_argument, 0, 'o'},
                                         {"cost", required_argument, 0, 'c'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *task_arg = NULL, *backend_arg = "auto", *out_path = NULL;
    long samples = 64, seed = 0;
    int model = -1;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1;) {
        switch (c) {
        case 't': task_arg = optarg; break;
        case 'k':
            if (ccx_cli_parse_long(optarg, 0, 1 << 16, &samples))
                return ccx_cli_usage_error("eval", "--samples must be an integer in [0, 65536]");
            break;
        case 's':
            if (ccx_cli_parse_long(optarg, 0, INT64_MAX, &seed))
                return ccx_cli_usage_error("eval", "--seed must be a non-negative integer");
            break;
        case 'b': backend_arg = optarg; break;
        case 'o': out_path = optarg; break;
        case 'c':
            if (ccx_cli_cost_option("eval", optarg, &model)) return CCX_EXIT_USAGE;
            break;
        case 'h': usage(stdout); return CCX_EXIT_OK;
        default:
            return ccx_cli_option_error("eval", c, argv, "ho:");
        }
    }
    if (optind != argc - 1)
        return ccx_cli_usage_error("eval", "expected exactly one CHECKPOINT, got %d", argc - optind);
    if (!task_arg) return ccx_cli_usage_error("eval", "--task is required");
    const char *ckpt_path = argv[optind];

    ccx_error err;
    ccx_error_clear(&err);
    ccx_backend backend;
    char note[256] = "";
    if (ccx_backend_parse(backend_arg, &backend, note, sizeof note, &err)) {
        ccx_cli_print_error(&err);
        return CCX_EXIT_USAGE;
    }
    ccx_graph *g = ccx_cli_load_task(task_arg);
    if (!g) return CCX_EXIT_USAGE;
    int rc = CCX_EXIT_FAILURE, n_int = ccx_graph_n_intermediates(g);
    ccx_nn *nn = NULL;
    int32_t *greedy_order = calloc((size_t)n_int + 1, sizeof(int32_t));
    int32_t *sampled_order = calloc((size_t)n_int + 1, sizeof(int32_t));
    ccx_nn_checkpoint ck;
    memset(&ck, 0, sizeof ck);
    if (!greedy_order || !sampled_order) goto done;
    if (ccx_nn_checkpoint_load(ckpt_path, NULL, &ck, &err)) {
        rc = CCX_EXIT_USAGE;
        goto done;
    }
    g->cost_model = model >= 0 ? model : ccx_train_checkpoint_model(&ck);
    /* no weight depends on n_pad: widen it to fit the task */
    ccx_nn_config cfg = ck.cfg;
    int nodes = g->n_inputs + g->n_vertices, need = (nodes + 31) / 32 * 32;
    if (cfg.n_pad < need) cfg.n_pad = need;
    nn = ccx_nn_create(&cfg, backend, (int)samples + 1, 0, 1, &err);
    if (!nn || ccx_nn_set_state(nn, ck.params, ck.m, ck.v, ck.step, &err)) goto done;

    int64_t greedy = -1, best = -1;
    if (ccx_policy_eval(nn, backend, g, (int)samples, (uint64_t)seed, &greedy, greedy_order,
                        samples > 0 ? &best : NULL, sampled_order, &err))
        goto done;
    ccx_baselines base;
    if (ccx_baselines_compute(g, &base, &err)) goto done;
    /* AlphaGrad's figures are in its model's units */
    ccx_published pub = ccx_published_for(g->cost_model == CCX_COST_ALPHAGRAD ? g->task_name : NULL);
    printf("%s  (checkpoint %s, %s, %s cost model)\n", g->task_name, ckpt_path,
           ccx_backend_name(backend), ccx_cost_model_name(g->cost_model));
    printf("  %-22s %8" PRId64 "\n", "forward", base.forward);
    printf("  %-22s %8" PRId64 "\n", "reverse", base.reverse);
    printf("  %-22s %8" PRId64 "\n", "markowitz", base.markowitz);
    printf("  %-22s %8" PRId64 "\n", "greedy policy", greedy);
    if (samples > 0) {
        char label[64];
        snprintf(label, sizeof label, "best of %ld sampled", samples);
        printf("  %-22s %8" PRId64 "\n", label, best);
    }
    if (pub.ppo >= 0) printf("  %-22s %8ld\n", "alphagrad ppo", pub.ppo);
    if (pub.best >= 0) printf("  %-22s %8ld\n", "alphagrad best", pub.best);
    rc = CCX_EXIT_OK;
    if (out_path) {
        int use_sampled = samples > 0 && best >= 0 && best < greedy;
        ccx_order_file of;
        if (ccx_order_make(g, use_sampled ? sampled_order : greedy_order, n_int,
                           use_sampled ? "ccx eval (sampled)" : "ccx eval (greedy)", &of, &err) ||
            ccx_order_write(out_path, &of, &err))
            rc = CCX_EXIT_FAILURE;
        else
            ccx_order_file_free(&of);
    }
done:
    if (rc != CCX_EXIT_OK) ccx_cli_print_error(&err);
    ccx_nn_checkpoint_free(&ck);
    ccx_nn_free(nn);
    free(greedy_order);
    free(sampled_order);
    ccx_graph_free(g);
    return rc;
}
