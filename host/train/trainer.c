/* `ccx train`: the orchestrator of train/trainer.h. Setup (tasks, backend,
 * envs, network, run directory or resume), the loop, evaluation, best
 * orders, checkpoints, progress and the final report. The algorithms live
 * in rl/ppo.c and az/. */
#define _GNU_SOURCE
#include "train/trainer.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/order_file.h"
#include "lang/task.h"
#include "nn/checkpoint.h"
#include "util/clock.h"
#include "util/rng.h"
#include "util/threads.h"

enum { N_METRIC_COLS = CCX_METRICS_N_COMMON + CCX_METRICS_N_PER_TASK * CCX_CONFIG_MAX_TASKS + 1 };

/* ------------------------------------------------------------ helpers -- */

static double trainer_now(const ccx_trainer *t) {
    return t->clock ? t->clock(t->clock_ctx) : ccx_now_s();
}

double ccx_trainer_wall(const ccx_trainer *t) { return t->wall_s + (trainer_now(t) - t->t0); }

double ccx_trainer_schedule_fraction(const ccx_trainer *t) {
    const ccx_train_config *c = &t->cfg;
    double f = 0;
    if (c->budget_updates > 0) f = fmax(f, (double)t->update / (double)c->budget_updates);
    if (c->budget_env_steps > 0) f = fmax(f, (double)t->env_steps / (double)c->budget_env_steps);
    if (c->budget_updates == 0 && c->budget_env_steps == 0 && c->budget_seconds > 0)
        f = ccx_trainer_wall(t) / c->budget_seconds; /* = steps / estimated total steps */
    return fmin(f, 1.0);
}

double ccx_trainer_budget_fraction(const ccx_trainer *t) {
    double f = ccx_trainer_schedule_fraction(t);
    if (t->cfg.budget_seconds > 0) f = fmax(f, ccx_trainer_wall(t) / t->cfg.budget_seconds);
    return fmin(f, 1.0);
}

int ccx_trainer_time_up(const ccx_trainer *t) {
    return t->cfg.budget_seconds > 0 && ccx_trainer_wall(t) >= t->cfg.budget_seconds;
}

int ccx_trainer_should_drop(const ccx_trainer *t) {
    return ccx_signal_received() || ccx_trainer_time_up(t);
}

static int budget_spent(const ccx_trainer *t) {
    const ccx_train_config *c = &t->cfg;
    return (c->budget_updates > 0 && t->update >= c->budget_updates) ||
           (c->budget_env_steps > 0 && t->env_steps >= c->budget_env_steps) ||
           ccx_trainer_time_up(t);
}

uint64_t ccx_trainer_update_seed(const ccx_trainer *t, uint64_t stream) {
    uint64_t x = t->cfg.seed * 0x9E3779B97F4A7C15ull ^ ((uint64_t)t->update + 1) << 20 ^ stream;
    return ccx_splitmix64(&x);
}

double ccx_trainer_lr(const ccx_trainer *t) {
    const ccx_train_config *c = &t->cfg;
    double f = ccx_trainer_schedule_fraction(t), lo = c->lr_final;
    if (strcmp(c->lr_schedule, "linear") == 0) return c->lr * (lo + (1 - lo) * (1 - f));
    if (strcmp(c->lr_schedule, "cosine") == 0)
        return c->lr * (lo + (1 - lo) * 0.5 * (1 + cos(M_PI * f)));
    return c->lr;
}

int ccx_trainer_forward(ccx_trainer *t, ccx_env *env, ccx_error *err) {
    int n = ccx_env_get_layout(env)->n_envs;
    if (n > t->nn_max_batch)
        return ccx_error_set(err, "internal: %d envs but observation buffers for %d", n,
                             t->nn_max_batch);
    /* the env and the network run on their own streams: observe, wait,
     * run the network, wait (its outputs feed the env's stream next) */
    if (ccx_env_observe(env, NULL, 0, t->obs_features, t->obs_adj, CCX_ENV_DEFER, err) ||
        ccx_env_legal_mask(env, NULL, 0, t->obs_legal, CCX_ENV_DEFER, err) ||
        ccx_env_sync(env, err))
        return -1;
    ccx_nn_obs obs = {n, t->n_pad, t->obs_features, t->obs_adj, NULL, t->obs_legal};
    if (ccx_nn_forward_native(t->nn, &obs, err) || ccx_nn_sync(t->nn, err)) return -1;
    return 0;
}

void ccx_trainer_offer_order(ccx_trainer *t, int k, const int32_t *order, int64_t cost,
                             const char *how) {
    ccx_train_task *tk = &t->task[k];
    if (cost >= tk->best_cost) return;
    tk->best_cost = cost;
    memcpy(tk->best_order, order, sizeof(int32_t) * (size_t)tk->n_intermediates);
    snprintf(tk->best_how, sizeof tk->best_how, "%s", how);
    tk->best_update = t->update + 1; /* found during the update in progress */
    tk->best_env_steps = t->env_steps;
    tk->best_wall_s = ccx_trainer_wall(t);
    tk->best_dirty = 1;
}

/* ------------------------------------------------------------- evaluation -- */

int ccx_policy_eval(ccx_nn *nn, ccx_backend backend, const ccx_graph *g, int k, uint64_t seed,
                    int64_t *greedy_cost, int32_t *greedy_order, int64_t *sampled_best,
                    int32_t *sampled_order, ccx_error *err) {
    const ccx_nn_config *nc = ccx_nn_config_of(nn);
    int n_int = ccx_graph_n_intermediates(g), rc = -1;
    int rows = 1 + (k > 0 ? k : 0), N = nc->n_pad;
    *greedy_cost = -1;
    if (sampled_best) *sampled_best = -1;
    ccx_env *env = ccx_env_create(backend, rows, &g, 1, NULL, N, err);
    if (!env) return -1;
    ccx_rl *rl = ccx_rl_create(env, rows, N, err);
    float *feat = ccx_env_buf_alloc(env, sizeof(float) * (size_t)rows * N * CCX_OBS_FEATURES, err);
    uint8_t *adj = ccx_env_buf_alloc(env, (size_t)rows * N * N, err);
    uint8_t *legal = ccx_env_buf_alloc(env, (size_t)rows * N, err);
    int32_t *act = ccx_env_buf_alloc(env, sizeof(int32_t) * (size_t)rows * n_int, err);
    int64_t *cost = ccx_env_buf_alloc(env, sizeof(int64_t) * (size_t)rows * n_int, err);
    int32_t *h_act = malloc(sizeof(int32_t) * (size_t)rows * n_int);
    int64_t *h_cost = malloc(sizeof(int64_t) * (size_t)rows * n_int);
    if (!rl || !feat || !adj || !legal || !act || !cost || !h_act || !h_cost) {
        if (h_act && h_cost) goto done; /* err set by the failing alloc */
        ccx_error_set(err, "eval: out of memory");
        goto done;
    }
    ccx_nn_obs obs = {rows, N, feat, adj, NULL, legal};
    for (int step = 0; step < n_int; step++) {
        int32_t *a = act + (size_t)step * rows;
        if (ccx_env_observe(env, NULL, 0, feat, adj, CCX_ENV_DEFER, err) ||
            ccx_env_legal_mask(env, NULL, 0, legal, CCX_ENV_DEFER, err) ||
            ccx_env_sync(env, err) || ccx_nn_forward_native(nn, &obs, err) ||
            ccx_nn_sync(nn, err))
            goto done;
        const float *logits = ccx_nn_logits_native(nn);
        /* row 0 greedy, rows 1..k sampled */
        if (ccx_rl_sample(rl, logits, 1, N, 1.0f, 0, 0, 1, a, NULL, err)) goto done;
        if (k > 0 && ccx_rl_sample(rl, logits + N, k, N, 1.0f, seed, (uint64_t)step * k, 0, a + 1,
                                   NULL, err))
            goto done;
        if (ccx_env_step(env, a, cost + (size_t)step * rows, NULL,
                         CCX_ENV_NODE_ACTIONS | CCX_ENV_DEFER, err))
            goto done;
    }
    if (ccx_env_sync(env, err) ||
        ccx_env_download(env, h_act, act, sizeof(int32_t) * (size_t)rows * n_int, err) ||
        ccx_env_download(env, h_cost, cost, sizeof(int64_t) * (size_t)rows * n_int, err))
        goto done;
    for (int r = 0; r < rows; r++) {
        int64_t total = 0;
        for (int step = 0; step < n_int; step++) total += h_cost[(size_t)step * rows + r];
        int32_t *dst = r == 0 ? greedy_order : sampled_order;
        int better = r == 0 || (sampled_best && (*sampled_best < 0 || total < *sampled_best));
        if (!better) continue;
        if (r == 0) *greedy_cost = total;
        else if (sampled_best) *sampled_best = total;
        if (dst)
            for (int step = 0; step < n_int; step++)
                dst[step] = h_act[(size_t)step * rows + r] - g->n_inputs + 1;
    }
    rc = 0;
done:
    free(h_act);
    free(h_cost);
    if (feat) ccx_env_buf_free(env, feat);
    if (adj) ccx_env_buf_free(env, adj);
    if (legal) ccx_env_buf_free(env, legal);
    if (act) ccx_env_buf_free(env, act);
    if (cost) ccx_env_buf_free(env, cost);
    ccx_rl_free(rl);
    ccx_env_destroy(env);
    return rc;
}

static int evaluate(ccx_trainer *t, ccx_error *err) {
    for (int k = 0; k < t->n_tasks; k++) {
        ccx_train_task *tk = &t->task[k];
        int n = tk->n_intermediates;
        int32_t *go = malloc(sizeof(int32_t) * n), *so = malloc(sizeof(int32_t) * n);
        if (!go || !so) {
            free(go);
            free(so);
            return ccx_error_set(err, "eval: out of memory");
        }
        uint64_t seed = t->cfg.seed * 0x2545F4914F6CDD1Dull + (uint64_t)t->update * 977 + k;
        int rc = ccx_policy_eval(t->nn, t->backend, tk->graph, t->cfg.eval_samples, seed,
                                 &tk->greedy_cost, go, &tk->sampled_best, so, err);
        if (rc == 0) {
            tk->policy_cost = tk->greedy_cost;
            ccx_trainer_offer_order(t, k, go, tk->greedy_cost, "greedy");
            if (tk->sampled_best >= 0) ccx_trainer_offer_order(t, k, so, tk->sampled_best, "sampled");
        }
        free(go);
        free(so);
        if (rc) return -1;
    }
    return 0;
}

/* -------------------------------------------------------- best orders -- */

static void best_order_path(const ccx_trainer *t, int k, char *buf, size_t size) {
    if (t->n_tasks == 1) snprintf(buf, size, "%s/best_order.json", t->dir);
    else snprintf(buf, size, "%s/best_order.%s.json", t->dir, t->task[k].name);
}

/* Write improved best orders; the cost is recomputed through the game
 * (ccx_order_make) and must equal the environments' figure. */
static int write_best_orders(ccx_trainer *t, ccx_error *err) {
    for (int k = 0; k < t->n_tasks; k++) {
        ccx_train_task *tk = &t->task[k];
        if (!tk->best_dirty || tk->best_cost == INT64_MAX) continue;
        ccx_order_file of;
        char method[128], path[1100];
        snprintf(method, sizeof method, "ccx train %s (%s, update %ld)", t->cfg.algo, tk->best_how,
                 tk->best_update);
        if (ccx_order_make(tk->graph, tk->best_order, tk->n_intermediates, method, &of, err))
            return -1;
        if (of.cost != tk->best_cost) {
            ccx_error_set(err,
                          "%s: the environments said the best order costs %" PRId64
                          " but the game recomputes %" PRId64 " (an environment bug)",
                          tk->name, tk->best_cost, of.cost);
            ccx_order_file_free(&of);
            return -1;
        }
        best_order_path(t, k, path, sizeof path);
        int rc = ccx_order_write(path, &of, err);
        ccx_order_file_free(&of);
        if (rc) return -1;
        tk->best_dirty = 0;
    }
    return 0;
}

/* ------------------------------------------------------------ checkpoints -- */

static char *best_json(const ccx_trainer *t) {
    cJSON *arr = cJSON_CreateArray();
    for (int k = 0; k < t->n_tasks; k++) {
        const ccx_train_task *tk = &t->task[k];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "task", tk->name);
        cJSON_AddNumberToObject(o, "cost", tk->best_cost == INT64_MAX ? -1.0 : (double)tk->best_cost);
        cJSON_AddStringToObject(o, "how", tk->best_how);
        cJSON_AddNumberToObject(o, "update", (double)tk->best_update);
        cJSON_AddNumberToObject(o, "env_steps", (double)tk->best_env_steps);
        cJSON_AddNumberToObject(o, "wall_s", tk->best_wall_s);
        cJSON *ord = cJSON_AddArrayToObject(o, "order");
        if (tk->best_cost != INT64_MAX)
            for (int i = 0; i < tk->n_intermediates; i++)
                cJSON_AddItemToArray(ord, cJSON_CreateNumber(tk->best_order[i]));
        cJSON_AddItemToArray(arr, o);
    }
    char *s = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    return s;
}

static int parse_best_json(ccx_trainer *t, const char *text, ccx_error *err) {
    cJSON *arr = cJSON_Parse(text);
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != t->n_tasks) {
        cJSON_Delete(arr);
        return ccx_error_set(err, "checkpoint: bad 'ccx.best' metadata");
    }
    for (int k = 0; k < t->n_tasks; k++) {
        ccx_train_task *tk = &t->task[k];
        cJSON *o = cJSON_GetArrayItem(arr, k), *ord = cJSON_GetObjectItem(o, "order");
        double cost = cJSON_GetNumberValue(cJSON_GetObjectItem(o, "cost"));
        if (cost < 0) continue;
        if (!cJSON_IsArray(ord) || cJSON_GetArraySize(ord) != tk->n_intermediates) {
            cJSON_Delete(arr);
            return ccx_error_set(err, "checkpoint: best order of %s has the wrong length", tk->name);
        }
        for (int i = 0; i < tk->n_intermediates; i++)
            tk->best_order[i] = (int32_t)cJSON_GetNumberValue(cJSON_GetArrayItem(ord, i));
        tk->best_cost = (int64_t)cost;
        const char *how = cJSON_GetStringValue(cJSON_GetObjectItem(o, "how"));
        snprintf(tk->best_how, sizeof tk->best_how, "%s", how ? how : "");
        tk->best_update = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "update"));
        tk->best_env_steps = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "env_steps"));
        tk->best_wall_s = cJSON_GetNumberValue(cJSON_GetObjectItem(o, "wall_s"));
        /* the order must still be what the checkpoint says it is */
        int64_t check;
        if (ccx_order_cost(tk->graph, tk->best_order, tk->n_intermediates, &check, err) ||
            check != tk->best_cost) {
            cJSON_Delete(arr);
            return ccx_error_set(err, "checkpoint: best order of %s does not cost %" PRId64,
                                 tk->name, tk->best_cost);
        }
    }
    cJSON_Delete(arr);
    return 0;
}

int ccx_train_checkpoint_model(const ccx_nn_checkpoint *ck) {
    ccx_cost_model m;
    const char *v = ccx_nn_checkpoint_meta(ck, "ccx.cost_model");
    return v && ccx_cost_model_parse(v, &m) == 0 ? (int)m : CCX_COST_ALPHAGRAD;
}

static int save_checkpoint(ccx_trainer *t, const ccx_algo *algo, void *state, ccx_error *err) {
    char path[1100], latest[1100], num[4][64];
    char *best = best_json(t);
    snprintf(num[0], sizeof num[0], "%ld", t->update);
    snprintf(num[1], sizeof num[1], "%ld", t->env_steps);
    snprintf(num[2], sizeof num[2], "%.17g", ccx_trainer_wall(t));
    const char *keys[] = {"ccx.update", "ccx.env_steps", "ccx.wall_s", "ccx.algo", "ccx.best",
                          "ccx.cost_model"};
    const char *vals[] = {num[0], num[1], num[2], t->cfg.algo, best ? best : "[]", t->cfg.cost_model};
    snprintf(path, sizeof path, "%s/checkpoints/ckpt-%06ld.safetensors", t->dir, t->update);
    snprintf(latest, sizeof latest, "%s/checkpoints/latest.safetensors", t->dir);
    int rc = ccx_nn_save(t->nn, path, 6, keys, vals, err);
    if (rc == 0) rc = ccx_nn_save(t->nn, latest, 6, keys, vals, err);
    free(best);
    if (rc == 0 && algo->save) {
        snprintf(path, sizeof path, "%s/checkpoints/latest", t->dir);
        rc = algo->save(t, state, path, err);
    }
    return rc;
}

static int load_checkpoint(ccx_trainer *t, const ccx_algo *algo, void *state, ccx_error *err) {
    char path[1100];
    snprintf(path, sizeof path, "%s/checkpoints/latest.safetensors", t->dir);
    ccx_nn_checkpoint ck;
    if (ccx_nn_checkpoint_load(path, &t->nn_cfg, &ck, err)) return -1;
    int rc = ccx_nn_set_state(t->nn, ck.params, ck.m, ck.v, ck.step, err);
    const char *u = ccx_nn_checkpoint_meta(&ck, "ccx.update"),
               *e = ccx_nn_checkpoint_meta(&ck, "ccx.env_steps"),
               *w = ccx_nn_checkpoint_meta(&ck, "ccx.wall_s"),
               *a = ccx_nn_checkpoint_meta(&ck, "ccx.algo"),
               *b = ccx_nn_checkpoint_meta(&ck, "ccx.best");
    if (rc == 0 && (!u || !e || !w || !a || !b))
        rc = ccx_error_set(err, "%s: not a training checkpoint (no ccx.update metadata)", path);
    if (rc == 0 && strcmp(a, t->cfg.algo) != 0)
        rc = ccx_error_set(err, "%s: written by run.algo=%s, the config says %s", path, a,
                           t->cfg.algo);
    if (rc == 0) {
        t->update = strtol(u, NULL, 10);
        t->env_steps = strtol(e, NULL, 10);
        t->wall_s = strtod(w, NULL);
        rc = parse_best_json(t, b, err);
    }
    ccx_nn_checkpoint_free(&ck);
    if (rc == 0 && algo->load) {
        snprintf(path, sizeof path, "%s/checkpoints/latest", t->dir);
        rc = algo->load(t, state, path, err);
    }
    return rc;
}

/* ------------------------------------------------------------------ setup -- */

static int load_tasks(ccx_trainer *t, ccx_run_task_info *info, ccx_error *err) {
    ccx_cost_model model;
    if (ccx_cost_model_parse(t->cfg.cost_model, &model))
        return ccx_error_set(err, "env.cost_model: '%s' is not a cost model (alphagrad or real)",
                             t->cfg.cost_model);
    t->n_tasks = t->cfg.n_tasks;
    t->max_steps = 0;
    int max_nodes = 1;
    for (int k = 0; k < t->n_tasks; k++) {
        ccx_train_task *tk = &t->task[k];
        char path[1024];
        if (ccx_task_resolve(t->cfg.tasks[k], path, sizeof path, err)) return -1;
        tk->graph = ccx_task_load(path, err);
        if (!tk->graph) return -1;
        tk->graph->cost_model = model; /* rewards, baselines and best orders follow it */
        snprintf(tk->name, sizeof tk->name, "%s", tk->graph->task_name);
        for (int j = 0; j < k; j++)
            if (strcmp(t->task[j].name, tk->name) == 0)
                return ccx_error_set(err, "run.tasks: %s is listed twice", tk->name);
        tk->n_intermediates = ccx_graph_n_intermediates(tk->graph);
        if (tk->n_intermediates < 1)
            return ccx_error_set(err, "run.tasks: %s has no intermediate vertex to eliminate",
                                 tk->name);
        if (ccx_baselines_compute(tk->graph, &tk->base, err)) return -1;
        /* AlphaGrad's figures are in its model's units: none to compare under real */
        tk->published = ccx_published_for(model == CCX_COST_ALPHAGRAD ? tk->name : NULL);
        int64_t best = ccx_baselines_best(&tk->base);
        /* auto: returns of about -1 (the best classic order's cost is one
         * unit), so the value head starts within reach of its targets */
        tk->reward_scale = t->cfg.reward_scale > 0 ? t->cfg.reward_scale : (double)best;
        tk->best_cost = INT64_MAX;
        tk->best_order = calloc((size_t)tk->n_intermediates, sizeof(int32_t));
        if (!tk->best_order) return ccx_error_set(err, "out of memory");
        tk->greedy_cost = tk->sampled_best = tk->policy_cost = -1;
        if (tk->n_intermediates > t->max_steps) t->max_steps = tk->n_intermediates;
        int nodes = tk->graph->n_inputs + tk->graph->n_vertices;
        if (nodes > max_nodes) max_nodes = nodes;

        ccx_run_task_info *in = &info[k];
        memset(in, 0, sizeof *in);
        snprintf(in->name, sizeof in->name, "%s", tk->name);
        char abs[PATH_MAX]; /* tasks.json must work from any directory */
        snprintf(in->path, sizeof in->path, "%.511s", realpath(path, abs) ? abs : path);
        ccx_graph_sha256(tk->graph, in->hash);
        in->n_intermediates = tk->n_intermediates;
        in->forward = tk->base.forward;
        in->reverse = tk->base.reverse;
        in->markowitz = tk->base.markowitz;
        in->greedy = tk->base.greedy;
        in->published = tk->published;
        snprintf(in->cost_model, sizeof in->cost_model, "%s", ccx_cost_model_name(model));
    }
    t->n_pad = (max_nodes + 31) / 32 * 32;
    return 0;
}

static int setup_compute(ccx_trainer *t, ccx_error *err) {
    if (t->cfg.threads > 0) ccx_threads_set(t->cfg.threads);
    const ccx_graph *graphs[CCX_CONFIG_MAX_TASKS];
    for (int k = 0; k < t->n_tasks; k++) graphs[k] = t->task[k].graph;
    t->env = ccx_env_create(t->backend, t->cfg.n_envs, graphs, t->n_tasks, NULL, t->n_pad, err);
    if (!t->env) return -1;

    t->nn_cfg = ccx_nn_config_default();
    t->nn_cfg.n_pad = t->n_pad;
    t->nn_cfg.dim = t->cfg.dim;
    t->nn_cfg.n_layers = t->cfg.layers;
    t->nn_cfg.n_heads = t->cfg.heads;
    t->nn_cfg.mlp_dim = t->cfg.mlp_dim;
    t->nn_cfg.value_dim = t->cfg.value_dim;
    if (ccx_nn_config_validate(&t->nn_cfg, err)) return -1;
    t->nn_max_batch = t->cfg.n_envs;
    if (1 + t->cfg.eval_samples > t->nn_max_batch) t->nn_max_batch = 1 + t->cfg.eval_samples;
    if (t->cfg.az_batch_size > t->nn_max_batch && strcmp(t->cfg.algo, "alphazero") == 0)
        t->nn_max_batch = t->cfg.az_batch_size;
    t->nn = ccx_nn_create(&t->nn_cfg, t->backend, t->nn_max_batch, t->cfg.seed,
                          t->cfg.tf32, err);
    if (!t->nn) return -1;
    t->rl = ccx_rl_create(t->env, t->nn_max_batch, t->n_pad, err);
    if (!t->rl) return -1;
    size_t rows = (size_t)t->nn_max_batch, N = (size_t)t->n_pad;
    t->obs_features = ccx_env_buf_alloc(t->env, sizeof(float) * rows * N * CCX_OBS_FEATURES, err);
    t->obs_adj = ccx_env_buf_alloc(t->env, rows * N * N, err);
    t->obs_legal = ccx_env_buf_alloc(t->env, rows * N, err);
    t->identity = ccx_env_buf_alloc(t->env, sizeof(int32_t) * rows, err);
    if (!t->obs_features || !t->obs_adj || !t->obs_legal || !t->identity) return -1;
    int32_t *id = malloc(sizeof(int32_t) * rows);
    if (!id) return ccx_error_set(err, "out of memory");
    for (size_t i = 0; i < rows; i++) id[i] = (int32_t)i;
    int rc = ccx_env_upload(t->env, t->identity, id, sizeof(int32_t) * rows, err);
    free(id);
    return rc;
}

static void trainer_free(ccx_trainer *t) {
    if (t->env) {
        if (t->obs_features) ccx_env_buf_free(t->env, t->obs_features);
        if (t->obs_adj) ccx_env_buf_free(t->env, t->obs_adj);
        if (t->obs_legal) ccx_env_buf_free(t->env, t->obs_legal);
        if (t->identity) ccx_env_buf_free(t->env, t->identity);
    }
    ccx_rl_free(t->rl);
    ccx_nn_free(t->nn);
    ccx_env_destroy(t->env);
    for (int k = 0; k < t->n_tasks; k++) {
        ccx_graph_free(t->task[k].graph);
        free(t->task[k].best_order);
    }
}

/* ---------------------------------------------------------------- report -- */

static void progress_text(const ccx_trainer *t, char *buf, size_t size) {
    size_t n = 0;
    buf[0] = 0;
    for (int k = 0; k < t->n_tasks && n + 1 < size; k++) {
        const ccx_train_task *tk = &t->task[k];
        char best[32];
        if (tk->best_cost == INT64_MAX) snprintf(best, sizeof best, "-");
        else snprintf(best, sizeof best, "%" PRId64, tk->best_cost);
        n += (size_t)snprintf(buf + n, size - n, "%s%s best %s (fwd %" PRId64 " rev %" PRId64
                              " mkw %" PRId64 ")",
                              k ? " | " : "", tk->name, best, tk->base.forward, tk->base.reverse,
                              tk->base.markowitz);
    }
}

static void print_summary(const ccx_trainer *t, FILE *out) {
    fprintf(out, "\ncosts under the %s cost model (env.cost_model)", t->cfg.cost_model);
    fprintf(out, "\n%-20s %8s %8s %9s %8s %8s %8s %10s %12s %9s\n", "task", "forward", "reverse",
            "markowitz", "greedy", "best", "policy", "alphagrad", "found at", "time");
    for (int k = 0; k < t->n_tasks; k++) {
        const ccx_train_task *tk = &t->task[k];
        char best[32] = "-", greedy[32] = "-", pub[32] = "-", at[32] = "-", when[32] = "-";
        if (tk->best_cost != INT64_MAX) {
            snprintf(best, sizeof best, "%" PRId64, tk->best_cost);
            snprintf(at, sizeof at, "%.3g steps", (double)tk->best_env_steps);
            snprintf(when, sizeof when, "%.1fs", tk->best_wall_s);
        }
        if (tk->policy_cost >= 0) snprintf(greedy, sizeof greedy, "%" PRId64, tk->policy_cost);
        if (tk->published.ppo >= 0)
            snprintf(pub, sizeof pub, "%ld/%ld", tk->published.ppo, tk->published.best);
        fprintf(out, "%-20s %8" PRId64 " %8" PRId64 " %9" PRId64 " %8" PRId64 " %8s %8s %10s %12s %9s\n",
                tk->name, tk->base.forward, tk->base.reverse, tk->base.markowitz, tk->base.greedy,
                best, greedy, pub, at, when);
    }
    fprintf(out, "(greedy: the cheapest-first baseline; policy: the greedy policy at the last evaluation; "
                 "alphagrad: the paper's PPO figure / the best result AlphaGrad logged%s)\n",
            strcmp(t->cfg.cost_model, "alphagrad") ? ", in its own model: not shown under real" : "");
}

/* ------------------------------------------------------------------ main -- */

static const ccx_algo *algo_by_name(const char *name) {
    if (strcmp(name, "ppo") == 0) return &ccx_algo_ppo;
    if (strcmp(name, "alphazero") == 0) return &ccx_algo_alphazero;
    return NULL;
}

/* ccx train --task: the tasks named on the command line replace run.tasks.
 * A file is kept by its absolute path, so the run (which lands under
 * run.out_dir, not here) resumes and exports from any directory. */
static int set_tasks(ccx_train_config *c, int n, const char *const *tasks, ccx_error *err) {
    if (n > CCX_CONFIG_MAX_TASKS)
        return ccx_error_set(err, "--task: at most %d tasks, got %d", CCX_CONFIG_MAX_TASKS, n);
    for (int i = 0; i < n; i++) {
        char *abs = realpath(tasks[i], NULL);
        const char *keep = abs ? abs : tasks[i]; /* not a file: a task name */
        if (strlen(keep) >= sizeof c->tasks[i]) {
            ccx_error_set(err, "--task '%s': longer than %zu characters", keep, sizeof c->tasks[i] - 1);
            free(abs);
            return -1;
        }
        snprintf(c->tasks[i], sizeof c->tasks[i], "%s", keep);
        free(abs);
    }
    c->n_tasks = n;
    return 0;
}

int ccx_train_main(const ccx_train_options *opt) {
    ccx_trainer *t = calloc(1, sizeof *t);
    ccx_error err;
    ccx_error_clear(&err);
    int rc = 2;
    void *state = NULL;
    const ccx_algo *algo = NULL;
    ccx_metrics *metrics = NULL;
    ccx_progress *progress = NULL;
    char msg[1024];
    if (!t) {
        fprintf(stderr, "ccx train: error: out of memory\n");
        return 1;
    }
    t->quiet = opt->quiet;
    t->clock = opt->clock;
    t->clock_ctx = opt->clock_ctx;

    /* ---- config: file (or the run's config.yaml), overrides, checks */
    ccx_train_config_default(&t->cfg);
    char cfg_path[1100];
    if (opt->resume_dir) snprintf(cfg_path, sizeof cfg_path, "%s/config.yaml", opt->resume_dir);
    else snprintf(cfg_path, sizeof cfg_path, "%s", opt->config_path);
    if (ccx_train_config_load(&t->cfg, cfg_path, &err)) goto fail;
    char run_model[sizeof t->cfg.cost_model];
    snprintf(run_model, sizeof run_model, "%s", t->cfg.cost_model);
    for (int i = 0; i < opt->n_sets; i++)
        if (ccx_train_config_set(&t->cfg, opt->sets[i], &err)) goto fail;
    if (opt->cost_model) snprintf(t->cfg.cost_model, sizeof t->cfg.cost_model, "%s", opt->cost_model);
    if (opt->resume_dir && strcmp(run_model, t->cfg.cost_model) != 0) {
        /* its best costs, returns and value head are in the run's model */
        ccx_error_set(&err, "env.cost_model: %s was trained under the %s cost model; a resumed run "
                            "keeps it (start a new run for %s)",
                      opt->resume_dir, run_model, t->cfg.cost_model);
        goto fail;
    }
    if (opt->backend) snprintf(t->cfg.backend, sizeof t->cfg.backend, "%s", opt->backend);
    if (opt->n_tasks > 0 && set_tasks(&t->cfg, opt->n_tasks, opt->tasks, &err)) goto fail;
    if (!t->cfg.out_dir[0]) ccx_run_default_out_dir(t->cfg.out_dir, sizeof t->cfg.out_dir);
    if (ccx_train_config_validate(&t->cfg, &err)) goto fail;
    algo = algo_by_name(t->cfg.algo);
    if (!algo) {
        ccx_error_set(&err, "run.algo: '%s' is not available in this build", t->cfg.algo);
        goto fail;
    }

    /* ---- tasks, backend, envs, network */
    ccx_run_task_info info[CCX_CONFIG_MAX_TASKS];
    if (load_tasks(t, info, &err)) goto fail;
    /* the search adds rewards of every tree in one unit */
    for (int k = 1; k < t->n_tasks && strcmp(t->cfg.algo, "alphazero") == 0; k++)
        if (t->task[k].reward_scale != t->task[0].reward_scale) {
            ccx_error_set(&err, "reward.scale: alphazero over several tasks needs one reward "
                                "scale, and the automatic ones differ (%s %g, %s %g): set it",
                          t->task[0].name, t->task[0].reward_scale, t->task[k].name,
                          t->task[k].reward_scale);
            goto fail;
        }
    rc = 1;
    if (ccx_backend_parse(t->cfg.backend, &t->backend, t->backend_note, sizeof t->backend_note,
                          &err))
        goto fail;
    if (setup_compute(t, &err)) goto fail;
    if (algo->init(t, &state, &err)) goto fail;

    /* ---- run directory */
    if (opt->resume_dir) {
        snprintf(t->dir, sizeof t->dir, "%s", opt->resume_dir);
        if (load_checkpoint(t, algo, state, &err)) goto fail;
    } else {
        char base[512];
        /* unnamed runs are named after the config, or the task --task gave */
        snprintf(base, sizeof base, "%s", opt->n_tasks > 0 ? opt->tasks[0] : opt->config_path);
        char *b = basename(base), *dot = opt->n_tasks > 0 ? strchr(b, '.') : strrchr(b, '.');
        if (dot && dot != b) *dot = 0;
        if (ccx_run_dir_create(t->cfg.out_dir, t->cfg.name, b, t->dir, sizeof t->dir, &err))
            goto fail;
    }
    {
        char path[1100];
        snprintf(path, sizeof path, "%s/config.yaml", t->dir);
        if (ccx_train_config_write(&t->cfg, path, &err)) goto fail;
        if (ccx_run_write_tasks_json(t->dir, t->n_tasks, info, &err)) goto fail;
    }
    if (!opt->silent) printf("run directory: %s\n", t->dir);
    fflush(stdout);
    if (!t->quiet)
        fprintf(stderr, "ccx train: %s, %s, %d envs, %zu parameters%s%s\n", t->cfg.algo,
                t->backend_note[0] ? t->backend_note : ccx_backend_name(t->backend), t->cfg.n_envs,
                ccx_nn_layout_of(t->nn)->n_params, opt->resume_dir ? ", resuming after update " : "",
                opt->resume_dir ? (snprintf(msg, sizeof msg, "%ld", t->update), msg) : "");

    /* ---- metrics.csv */
    const char *common[] = {CCX_METRICS_COMMON};
    const char *stems[] = {CCX_METRICS_PER_TASK};
    char colbuf[N_METRIC_COLS][96];
    const char *cols[N_METRIC_COLS];
    int n_cols = 0;
    for (int i = 0; i < CCX_METRICS_N_COMMON; i++) cols[n_cols++] = common[i];
    for (int k = 0; k < t->n_tasks; k++)
        for (int i = 0; i < CCX_METRICS_N_PER_TASK; i++) {
            snprintf(colbuf[n_cols], sizeof colbuf[n_cols], "%s.%s", stems[i], t->task[k].name);
            cols[n_cols] = colbuf[n_cols];
            n_cols++;
        }
    /* runs under the real model say so in every row (absent: AlphaGrad's,
     * so the runs before the column resume unchanged) */
    const int real_model = strcmp(t->cfg.cost_model, "real") == 0;
    if (real_model) cols[n_cols++] = "cost_model";
    {
        char path[1100];
        snprintf(path, sizeof path, "%s/metrics.csv", t->dir);
        metrics = ccx_metrics_open(path, n_cols, cols, opt->resume_dir ? t->update : -1, &err);
        if (!metrics) goto fail;
    }

    /* ---- the loop */
    ccx_signals_install();
    progress = ccx_progress_create(stderr, 10.0);
    t->t0 = trainer_now(t);
    double last_ckpt = t->t0, last_rate_t = t->t0;
    long last_rate_steps = t->env_steps;
    int interrupted = 0;
    while (!budget_spent(t)) {
        if (ccx_signal_received()) {
            interrupted = 1;
            break;
        }
        ccx_iter_stats st;
        memset(&st, 0, sizeof st);
        st.policy_loss = st.value_loss = st.entropy = st.approx_kl = st.clip_frac = NAN;
        st.explained_var = st.grad_norm = NAN;
        for (int k = 0; k < t->n_tasks; k++) st.cost_best[k] = INT64_MAX;
        double lr = ccx_trainer_lr(t);
        if (algo->iterate(t, state, &st, &err)) goto fail;
        if (st.cut == CCX_ITER_DROPPED) { /* a signal or the clock, inside the rollout */
            interrupted = ccx_signal_received() != 0;
            break;
        }
        t->update++;
        t->env_steps += st.env_steps;
        /* on schedule only (not at the budget's end), so a run resumed
         * from a checkpoint evaluates exactly where an uninterrupted one does */
        int eval_now = ((t->cfg.eval_every > 0 && t->update % t->cfg.eval_every == 0) ||
                        t->update == 1) &&
                       !ccx_trainer_time_up(t); /* the budget's end is not delayed by one */
        for (int k = 0; k < t->n_tasks; k++) t->task[k].greedy_cost = t->task[k].sampled_best = -1;
        if (eval_now && evaluate(t, &err)) goto fail;
        if (write_best_orders(t, &err)) goto fail;

        double now = trainer_now(t);
        double rate = (double)(t->env_steps - last_rate_steps) / fmax(now - last_rate_t, 1e-9);
        last_rate_steps = t->env_steps;
        last_rate_t = now;
        double row[N_METRIC_COLS];
        int c = 0;
        row[c++] = (double)t->update;
        row[c++] = (double)t->env_steps;
        row[c++] = ccx_trainer_wall(t);
        row[c++] = rate;
        row[c++] = lr;
        row[c++] = st.policy_loss;
        row[c++] = st.value_loss;
        row[c++] = st.entropy;
        row[c++] = st.approx_kl;
        row[c++] = st.clip_frac;
        row[c++] = st.explained_var;
        row[c++] = st.grad_norm;
        for (int k = 0; k < t->n_tasks; k++) {
            const ccx_train_task *tk = &t->task[k];
            row[c++] = st.cost_count[k] ? st.cost_sum[k] / (double)st.cost_count[k] : NAN;
            row[c++] = st.cost_best[k] == INT64_MAX ? NAN : (double)st.cost_best[k];
            row[c++] = tk->best_cost == INT64_MAX ? NAN : (double)tk->best_cost;
            row[c++] = tk->greedy_cost >= 0 ? (double)tk->greedy_cost : NAN;
            row[c++] = tk->sampled_best >= 0 ? (double)tk->sampled_best : NAN;
        }
        if (real_model) row[c++] = (double)CCX_COST_REAL;
        if (ccx_metrics_append(metrics, row, &err)) goto fail;

        if (!t->quiet) {
            char text[1024];
            progress_text(t, text, sizeof text);
            char line[1200];
            snprintf(line, sizeof line, "update %ld | %s", t->update, text);
            ccx_progress_update(progress, ccx_trainer_budget_fraction(t), rate, line);
        }
        int ckpt_due = (t->cfg.ckpt_every > 0 && t->update % t->cfg.ckpt_every == 0) ||
                       (t->cfg.ckpt_seconds > 0 && trainer_now(t) - last_ckpt >= t->cfg.ckpt_seconds);
        if (ckpt_due) {
            if (save_checkpoint(t, algo, state, &err)) goto fail;
            last_ckpt = trainer_now(t);
        }
    }

    /* ---- the end: checkpoint, plot, report */
    if (save_checkpoint(t, algo, state, &err)) goto fail;
    if (!t->quiet) {
        char text[1024];
        progress_text(t, text, sizeof text);
        ccx_progress_finish(progress, text);
    }
    if (!opt->silent) {
        const char *dirs[] = {t->dir};
        ccx_error perr;
        ccx_error_clear(&perr);
        if (ccx_plot_runs(1, dirs, NULL, &perr))
            fprintf(stderr, "ccx train: warning: no plot: %s\n", ccx_error_format(&perr, msg, sizeof msg));
    }
    if (!opt->silent) print_summary(t, stdout);
    for (int k = 0; k < t->n_tasks && !opt->silent; k++) {
        char path[1100];
        best_order_path(t, k, path, sizeof path);
        if (t->task[k].best_cost != INT64_MAX) printf("best order: %s\n", path);
    }
    if (interrupted) {
        fprintf(stderr, "ccx train: interrupted (signal %d) after update %ld; checkpoint saved. "
                        "Continue with: ccx train --resume %s\n",
                ccx_signal_received(), t->update, t->dir);
        rc = 130;
    } else {
        rc = 0;
    }
    goto cleanup;

fail:
    fprintf(stderr, "ccx train: error: %s\n", ccx_error_format(&err, msg, sizeof msg));
cleanup:
    ccx_progress_free(progress);
    ccx_metrics_close(metrics);
    if (algo && algo->destroy) algo->destroy(t, state);
    trainer_free(t);
    free(t);
    return rc;
}
