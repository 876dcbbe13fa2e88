/* ccx search-play CHECKPOINT --task T [--simulations S] [--considered K]
 *                 [--trees R] [--seed N] [--backend B] [--cost M] [-o FILE] */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "az/gumbel.h"
#include "cli/cli.h"
#include "nn/checkpoint.h"
#include "nn/nn.h"
#include "train/trainer.h"
#include "train/run.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx search-play CHECKPOINT --task TASK [--simulations S] [--considered K]\n"
            "                       [--trees R] [--seed N] [--backend auto|cpu|cuda]\n"
            "                       [--cost alphagrad|real] [-o FILE]\n\n"
            "Play TASK with a trained network (a ccx train checkpoint) guiding Gumbel\n"
            "MuZero search at every move, and print the order's cost beside the forward,\n"
            "reverse and Markowitz costs. With --trees 1 (default) the search has no\n"
            "Gumbel noise and the result is deterministic; with R > 1, R noisy searches\n"
            "play side by side and the cheapest episode wins.\n\n"
            "  --task TASK        task or graph file, or a task name (required)\n"
            "  --simulations S    simulations per move (default 64)\n"
            "  --considered K     root actions considered (default 16)\n"
            "  --trees R          episodes played at once (default 1)\n"
            "  --seed N           noise seed (default 0)\n"
            "  --backend B        auto (default), cpu or cuda\n"
            "  --cost MODEL       alphagrad or real: the cost model the search plays (default:\n"
            "                     the one the checkpoint was trained under, ccx.cost_model)\n"
            "  -o FILE            write the best order (JSON order file)\n"
            "  -h, --help         this help\n");
}

int ccx_cmd_search_play(int argc, char **argv) {
    static const struct option opts[] = {
        {"task", required_argument, 0, 't'},     {"simulations", required_argument, 0, 'S'},
        {"considered", required_argument, 0, 'k'}, {"trees", required_argument, 0, 'r'},
        {"seed", required_argument, 0, 's'},     {"backend", required_argument, 0, 'b'},
        {"output", required_argument, 0, 'o'},   {"help", no_argument, 0, 'h'},
        {"cost", required_argument, 0, 'c'},
        {0, 0, 0, 0}};
    const char *task_arg = NULL, *backend_arg = "auto", *out_path = NULL;
    long sims = 64, considered = 16, trees = 1, seed = 0;
    int model = -1;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1;) {
        switch (c) {
        case 't': task_arg = optarg; break;
        case 'S':
            if (ccx_cli_parse_long(optarg, 1, 65536, &sims))
                return ccx_cli_usage_error("search-play", "--simulations must be an integer in [1, 65536]");
            break;
        case 'k':
            if (ccx_cli_parse_long(optarg, 1, 4096, &considered))
                return ccx_cli_usage_error("search-play", "--considered must be an integer in [1, 4096]");
            break;
        case 'r':
            if (ccx_cli_parse_long(optarg, 1, 65536, &trees))
                return ccx_cli_usage_error("search-play", "--trees must be an integer in [1, 65536]");
            break;
        case 's':
            if (ccx_cli_parse_long(optarg, 0, INT64_MAX, &seed))
                return ccx_cli_usage_error("search-play", "--seed must be a non-negative integer");
            break;
        case 'b': backend_arg = optarg; break;
        case 'o': out_path = optarg; break;
        case 'c':
            if (ccx_cli_cost_option("search-play", optarg, &model)) return CCX_EXIT_USAGE;
            break;
        case 'h': usage(stdout); return CCX_EXIT_OK;
        default:
            return ccx_cli_option_error("search-play", c, argv, "ho:");
        }
    }
    if (optind != argc - 1)
        return ccx_cli_usage_error("search-play", "expected exactly one CHECKPOINT, got %d", argc - optind);
    if (!task_arg) return ccx_cli_usage_error("search-play", "--task is required");

    ccx_error err;
    ccx_error_clear(&err);
    ccx_backend backend;
    if (ccx_backend_parse(backend_arg, &backend, NULL, 0, &err)) {
        ccx_cli_print_error(&err);
        return CCX_EXIT_USAGE;
    }
    ccx_graph *g = ccx_cli_load_task(task_arg);
    if (!g) return CCX_EXIT_USAGE;
    int rc = CCX_EXIT_FAILURE, B = (int)trees, n_int = ccx_graph_n_intermediates(g);
    int nodes = g->n_inputs + g->n_vertices, N = (nodes + 31) / 32 * 32;
    ccx_nn *nn = NULL;
    ccx_env *env = NULL;
    ccx_gumbel *search = NULL;
    ccx_nn_checkpoint ck;
    memset(&ck, 0, sizeof ck);
    int32_t *action = malloc(sizeof(int32_t) * B), *act_dev = NULL;
    int32_t *orders = calloc((size_t)B * (n_int + 1), sizeof(int32_t));
    int64_t *cost = calloc((size_t)B, sizeof(int64_t));
    if (!action || !orders || !cost) goto done;
    if (ccx_nn_checkpoint_load(argv[optind], NULL, &ck, &err)) {
        rc = CCX_EXIT_USAGE;
        goto done;
    }
    g->cost_model = model >= 0 ? model : ccx_train_checkpoint_model(&ck);
    ccx_nn_config cfg = ck.cfg;
    if (cfg.n_pad < N) cfg.n_pad = N;
    nn = ccx_nn_create(&cfg, backend, B, 0, 1, &err);
    if (!nn || ccx_nn_set_state(nn, ck.params, ck.m, ck.v, ck.step, &err)) goto done;
    ccx_baselines base;
    if (ccx_baselines_compute(g, &base, &err)) goto done;
    int64_t best_base = ccx_baselines_best(&base);
    ccx_gumbel_params gp;
    ccx_gumbel_params_default(&gp);
    gp.num_simulations = (int)sims;
    gp.num_considered = (int)considered;
    gp.gumbel_scale = B > 1 ? 1.0f : 0.0f;
    /* the trainer's automatic reward scale (reward.scale 0); a run with
     * another reward.scale still plays, with values in other units */
    gp.reward_scale = (float)(1.0 / (double)best_base);
    if (ccx_gumbel_params_validate(&gp, &err)) goto done;
    env = ccx_env_create(backend, B, (const ccx_graph *const *)&g, 1, NULL, cfg.n_pad, &err);
    if (!env) goto done;
    search = ccx_gumbel_create(backend, (const ccx_graph *const *)&g, 1, cfg.n_pad, B, &gp,
                               ccx_gumbel_nn_evaluator(nn), &err);
    act_dev = ccx_env_buf_alloc(env, sizeof(int32_t) * B, &err);
    int64_t *cost_dev = ccx_env_buf_alloc(env, sizeof(int64_t) * B, &err);
    int64_t *step_cost = malloc(sizeof(int64_t) * B);
    if (!search || !act_dev || !cost_dev || !step_cost) {
        free(step_cost);
        goto done;
    }
    int tty = isatty(STDERR_FILENO); /* a progress counter only where someone watches */
    for (int step = 0; step < n_int; step++) {
        if (ccx_gumbel_search(search, env, (uint64_t)seed, (uint64_t)step, action, NULL, NULL,
                              NULL, &err) ||
            ccx_env_upload(env, act_dev, action, sizeof(int32_t) * B, &err) ||
            ccx_env_step(env, act_dev, cost_dev, NULL, CCX_ENV_NODE_ACTIONS, &err) ||
            ccx_env_download(env, step_cost, cost_dev, sizeof(int64_t) * B, &err)) {
            free(step_cost);
            goto done;
        }
        for (int b = 0; b < B; b++) {
            orders[(size_t)b * (n_int + 1) + step] = action[b] - g->n_inputs + 1;
            cost[b] += step_cost[b];
        }
        if (tty) fprintf(stderr, "\rccx search-play: move %d/%d", step + 1, n_int);
    }
    if (tty) fprintf(stderr, "\n");
    free(step_cost);
    ccx_env_buf_free(env, cost_dev);
    int best = 0;
    for (int b = 1; b < B; b++)
        if (cost[b] < cost[best]) best = b;
    ccx_order_file of;
    if (ccx_order_make(g, orders + (size_t)best * (n_int + 1), n_int, "ccx search-play", &of, &err))
        goto done;
    if (of.cost != cost[best]) {
        ccx_error_set(&err, "internal: the search's episode cost %" PRId64 " != the game's %" PRId64,
                      cost[best], of.cost);
        ccx_order_file_free(&of);
        goto done;
    }
    /* AlphaGrad's figures are in its model's units */
    ccx_published pub = ccx_published_for(g->cost_model == CCX_COST_ALPHAGRAD ? g->task_name : NULL);
    printf("%s  (checkpoint %s, %ld simulations, %d tree%s, %s, %s cost model)\n", g->task_name,
           argv[optind], sims, B, B > 1 ? "s" : "", ccx_backend_name(backend),
           ccx_cost_model_name(g->cost_model));
    printf("  %-16s %8" PRId64 "\n  %-16s %8" PRId64 "\n  %-16s %8" PRId64 "\n", "forward",
           base.forward, "reverse", base.reverse, "markowitz", base.markowitz);
    printf("  %-16s %8" PRId64 "\n", "search-play", of.cost);
    if (pub.best >= 0) printf("  %-16s %8ld\n", "alphagrad best", pub.best);
    rc = CCX_EXIT_OK;
    if (out_path && ccx_order_write(out_path, &of, &err)) rc = CCX_EXIT_FAILURE;
    ccx_order_file_free(&of);
done:
    if (rc != CCX_EXIT_OK) ccx_cli_print_error(&err);
    if (act_dev) ccx_env_buf_free(env, act_dev);
    ccx_gumbel_destroy(search);
    ccx_env_destroy(env);
    ccx_nn_free(nn);
    ccx_nn_checkpoint_free(&ck);
    free(action);
    free(orders);
    free(cost);
    ccx_graph_free(g);
    return rc;
}
