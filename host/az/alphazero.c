/* Gumbel AlphaZero for the elimination game, read top to bottom (the
 * training side of AlphaGrad's best results). One iteration:
 *
 *   1. self-play  every env plays one whole episode; before each move the
 *                 B trees are searched at once (az/gumbel.h: Gumbel-top-k
 *                 and sequential halving at the root, real environment
 *                 transitions, one batched network evaluation per
 *                 simulation) and the env plays the search's action. Kept
 *                 per (step, env): the state as its eliminated set, the
 *                 search's policy target softmax(logits + sigma(completed
 *                 Q)), and the step's cost.
 *   2. targets    value target of a state = -(cost of the rest of the
 *                 episode from it) / reward_scale, optionally transformed
 *                 (alphazero.value_transform); every (graph, eliminated
 *                 set, policy target, value target) goes into the replay
 *                 ring (az/replay.h).
 *   3. learn      alphazero.updates_per_iter minibatches of
 *                 alphazero.batch_size samples drawn uniformly from the
 *                 ring: states rebuilt from their eliminated sets (tensor
 *                 graphs: by replaying the episode's order), network
 *                 forward, policy cross-entropy + value_weight * value
 *                 loss (rl_ops.h), backward, AdamW (the L2 term is AdamW's
 *                 decoupled weight decay: every step shrinks the decayed
 *                 weights by the fraction alphazero.l2_weight, whatever the lr).
 *
 * Draws derive from (run.seed, update) as in PPO; the replay ring is saved
 * beside each checkpoint, so a resumed run continues with its buffer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "az/gumbel.h"
#include "az/replay.h"
#include "rl/rl_ops.h"
#include "train/trainer.h"
#include "util/rng.h"

enum { VT_NONE, VT_LOG, VT_SQRT };

typedef struct {
    int B, T, N, words, batch, transform;
    ccx_gumbel *search;
    ccx_replay *replay;
    ccx_env *train_env;         /* batch envs, slot i plays task i % n_tasks */
    ccx_rl *rl;                 /* on train_env's stream */
    ccx_trainer *t;
    /* self-play (host) */
    int32_t *action;            /* [B] */
    float *pi;                  /* [T][B][N] */
    uint32_t *sets;             /* [T][B][words] */
    int64_t *cost;              /* [T][B] */
    int32_t *graph;             /* [T*B] the samples of an iteration, packed */
    float *value;               /* [T*B] */
    uint32_t *rp_sets;          /* [T*B][words] */
    float *rp_pi;               /* [T*B][N] */
    uint16_t *rp_orders;        /* [T*B][N] each sample's episode order (tensor states) */
    int32_t *order;             /* [T] */
    /* self-play (backend) */
    int32_t *act_dev;
    int64_t *cost_dev;
    uint32_t *sets_dev;
    /* learning */
    int32_t *mb_graph;
    uint32_t *mb_sets;
    uint16_t *mb_orders;
    size_t *mb_idx;
    float *mb_pi, *mb_z;        /* host */
    float *pi_dev, *z_dev, *dlogits, *dvalue;
    /* value transform for the search (backend memory) */
    float *value_host, *value_dev;
} az_state;

/* ---- value transform h(z), z = -remaining / scale <= 0 ---------------- */
static double vt_forward(int tr, double z) {
    if (tr == VT_LOG) return -log1p(-z);
    if (tr == VT_SQRT) return -sqrt(-z);
    return z;
}
static double vt_inverse(int tr, double h) {
    if (h > 0) h = 0;
    if (tr == VT_LOG) return -expm1(-h);
    if (tr == VT_SQRT) return -h * h;
    return h;
}

/* The network as the search's evaluator; with a value transform the raw
 * output h is mapped back to z = h^-1(h) so the search adds it to rewards
 * in the same units. */
static int az_eval(void *ctx, const ccx_nn_obs *obs, const float **logits, const float **value,
                   ccx_error *err) {
    az_state *s = ctx;
    ccx_trainer *t = s->t;
    if (ccx_nn_forward_native(t->nn, obs, err) || ccx_nn_sync(t->nn, err)) return -1;
    *logits = ccx_nn_logits_native(t->nn);
    *value = ccx_nn_value_native(t->nn);
    if (s->transform == VT_NONE) return 0;
    size_t bytes = sizeof(float) * (size_t)obs->batch;
    if (ccx_env_download(t->env, s->value_host, *value, bytes, err)) return -1;
    for (int i = 0; i < obs->batch; i++)
        s->value_host[i] = (float)vt_inverse(s->transform, s->value_host[i]);
    if (ccx_env_upload(t->env, s->value_dev, s->value_host, bytes, err)) return -1;
    *value = s->value_dev;
    return 0;
}

static int az_init(ccx_trainer *t, void **out, ccx_error *err) {
    az_state *s = calloc(1, sizeof *s);
    if (!s) return ccx_error_set(err, "alphazero: out of memory");
    *out = s;
    const ccx_train_config *c = &t->cfg;
    s->t = t;
    s->B = c->n_envs;
    s->T = t->max_steps;
    s->N = t->n_pad;
    s->words = t->n_pad / 32;
    s->batch = c->az_batch_size;
    s->transform = strcmp(c->az_value_transform, "log") == 0    ? VT_LOG
                   : strcmp(c->az_value_transform, "sqrt") == 0 ? VT_SQRT
                                                                : VT_NONE;
    /* one reward scale for all tasks: the trainer checks it (train_main) */
    ccx_gumbel_params gp;
    ccx_gumbel_params_default(&gp);
    gp.num_simulations = c->az_num_simulations;
    gp.num_considered = c->az_num_considered;
    gp.gumbel_scale = (float)c->az_gumbel_scale;
    gp.value_scale = (float)c->az_value_scale;
    gp.maxvisit_init = (float)c->az_maxvisit_init;
    gp.rescale_values = c->az_rescale_values;
    gp.reward_scale = (float)(1.0 / t->task[0].reward_scale);
    if (ccx_gumbel_params_validate(&gp, err)) return -1;
    const ccx_graph *graphs[CCX_CONFIG_MAX_TASKS];
    for (int k = 0; k < t->n_tasks; k++) graphs[k] = t->task[k].graph;
    ccx_gumbel_evaluator ev = {az_eval, s};
    s->search = ccx_gumbel_create(t->backend, graphs, t->n_tasks, t->n_pad, s->B, &gp, ev, err);
    if (!s->search) return -1;
    s->replay = ccx_replay_create((size_t)c->az_replay_size, t->n_pad, err);
    if (!s->replay) return -1;
    s->train_env = ccx_env_create(t->backend, s->batch, graphs, t->n_tasks, NULL, t->n_pad, err);
    if (!s->train_env) return -1;
    s->rl = ccx_rl_create(s->train_env, s->batch, t->n_pad, err);
    if (!s->rl) return -1;

    size_t TB = (size_t)s->T * s->B;
    CCX_TRAINER_HOST_ALLOC(s->action, s->B);
    CCX_TRAINER_HOST_ALLOC(s->pi, TB * s->N);
    CCX_TRAINER_HOST_ALLOC(s->sets, TB * s->words);
    CCX_TRAINER_HOST_ALLOC(s->cost, TB);
    CCX_TRAINER_HOST_ALLOC(s->graph, TB);
    CCX_TRAINER_HOST_ALLOC(s->rp_sets, TB * s->words);
    CCX_TRAINER_HOST_ALLOC(s->rp_pi, TB * s->N);
    CCX_TRAINER_HOST_ALLOC(s->rp_orders, TB * s->N);
    CCX_TRAINER_HOST_ALLOC(s->value, TB);
    CCX_TRAINER_HOST_ALLOC(s->order, s->T);
    CCX_TRAINER_HOST_ALLOC(s->mb_graph, s->batch);
    CCX_TRAINER_HOST_ALLOC(s->mb_sets, (size_t)s->batch * s->words);
    CCX_TRAINER_HOST_ALLOC(s->mb_orders, (size_t)s->batch * s->N);
    CCX_TRAINER_HOST_ALLOC(s->mb_idx, s->batch);
    CCX_TRAINER_HOST_ALLOC(s->mb_pi, (size_t)s->batch * s->N);
    CCX_TRAINER_HOST_ALLOC(s->mb_z, s->batch);
    CCX_TRAINER_HOST_ALLOC(s->value_host, t->nn_max_batch);
    CCX_TRAINER_DEV_ALLOC(s->act_dev, s->B);
    CCX_TRAINER_DEV_ALLOC(s->cost_dev, s->B);
    CCX_TRAINER_DEV_ALLOC(s->sets_dev, (size_t)s->B * s->words);
    CCX_TRAINER_DEV_ALLOC(s->pi_dev, (size_t)s->batch * s->N);
    CCX_TRAINER_DEV_ALLOC(s->z_dev, s->batch);
    CCX_TRAINER_DEV_ALLOC(s->dlogits, (size_t)s->batch * s->N);
    CCX_TRAINER_DEV_ALLOC(s->dvalue, s->batch);
    CCX_TRAINER_DEV_ALLOC(s->value_dev, t->nn_max_batch);
    return 0;
}

static void az_destroy(ccx_trainer *t, void *state) {
    az_state *s = state;
    if (!s) return;
    if (t && t->env) {
        void *dev[] = {s->act_dev, s->cost_dev, s->sets_dev, s->pi_dev,
                       s->z_dev,   s->dlogits,  s->dvalue,   s->value_dev};
        for (size_t i = 0; i < sizeof dev / sizeof dev[0]; i++)
            if (dev[i]) ccx_env_buf_free(t->env, dev[i]);
    }
    ccx_gumbel_destroy(s->search);
    ccx_replay_free(s->replay);
    ccx_rl_free(s->rl);
    ccx_env_destroy(s->train_env);
    void *host[] = {s->action, s->pi,      s->sets,    s->cost,  s->graph, s->value, s->rp_sets,
                    s->rp_pi,  s->order,   s->mb_graph, s->mb_sets, s->mb_pi, s->mb_z, s->value_host,
                    s->rp_orders, s->mb_orders, s->mb_idx};
    for (size_t i = 0; i < sizeof host / sizeof host[0]; i++) free(host[i]);
    free(s);
}

/* ---- 1. self-play ---------------------------------------------------- */
static int self_play(ccx_trainer *t, az_state *s, ccx_iter_stats *st, ccx_error *err) {
    const int B = s->B;
    if (ccx_env_reset(t->env, NULL, err)) return -1;
    uint64_t seed = ccx_trainer_update_seed(t, 3);
    for (int step = 0; step < s->T; step++) {
        size_t row = (size_t)step * B;
        if (ccx_trainer_should_drop(t)) { /* Ctrl-C or the clock: drop this update */
            st->cut = CCX_ITER_DROPPED;
            return 0;
        }
        if (ccx_env_get_eliminated_set(t->env, NULL, B, s->sets_dev, 0, err) ||
            ccx_env_download(t->env, s->sets + row * s->words, s->sets_dev,
                             sizeof(uint32_t) * (size_t)B * s->words, err))
            return -1;
        if (ccx_gumbel_search(s->search, t->env, seed, (uint64_t)step, s->action,
                              s->pi + row * s->N, NULL, NULL, err))
            return -1;
        if (ccx_env_upload(t->env, s->act_dev, s->action, sizeof(int32_t) * B, err) ||
            ccx_env_step(t->env, s->act_dev, s->cost_dev, NULL, CCX_ENV_NODE_ACTIONS, err) ||
            ccx_env_download(t->env, s->cost + row, s->cost_dev, sizeof(int64_t) * B, err))
            return -1;
    }
    return 0;
}

/* ---- 2. targets, best orders, replay ---------------------------------- */
static int record(ccx_trainer *t, az_state *s, ccx_iter_stats *st, ccx_error *err) {
    const int B = s->B;
    int n = 0;
    for (int b = 0; b < B; b++) {
        int k = b % t->n_tasks, len = t->task[k].n_intermediates;
        double scale = ccx_trainer_reward_scale(t, k), rest = 0;
        int64_t total = 0;
        for (int step = 0; step < len; step++) total += s->cost[(size_t)step * B + b];
        /* the order: the vertex added between consecutive eliminated sets */
        for (int step = 0; step < len; step++) {
            const uint32_t *cur = s->sets + ((size_t)step * B + b) * s->words;
            const uint32_t *next = step + 1 < len ? s->sets + ((size_t)(step + 1) * B + b) * s->words
                                                  : NULL;
            int vertex = -1;
            if (next) {
                for (int w = 0; w < s->words && vertex < 0; w++) {
                    uint32_t diff = next[w] & ~cur[w];
                    if (diff) vertex = w * 32 + __builtin_ctz(diff) + 1;
                }
            } else { /* the last: the one intermediate not in cur */
                const ccx_graph *g = t->task[k].graph;
                for (int v = 1; v <= g->n_vertices && vertex < 0; v++)
                    if (!g->vertices[v - 1].is_output &&
                        !(cur[(v - 1) / 32] >> ((v - 1) % 32) & 1u))
                        vertex = v;
            }
            s->order[step] = vertex;
        }
        st->cost_sum[k] += (double)total;
        st->cost_count[k]++;
        if (total < st->cost_best[k]) st->cost_best[k] = total;
        ccx_trainer_offer_order(t, k, s->order, total, "self-play");
        for (int step = len - 1; step >= 0; step--) {
            size_t i = (size_t)step * B + b;
            rest += (double)s->cost[i];
            s->graph[n] = k;
            s->value[n] = (float)vt_forward(s->transform, -rest / scale);
            memcpy(s->rp_sets + (size_t)n * s->words, s->sets + i * s->words,
                   sizeof(uint32_t) * s->words);
            memcpy(s->rp_pi + (size_t)n * s->N, s->pi + i * s->N, sizeof(float) * s->N);
            uint16_t *ro = s->rp_orders + (size_t)n * s->N;
            for (int q = 0; q < s->N; q++) ro[q] = q < len ? (uint16_t)s->order[q] : 0;
            n++;
        }
    }
    return ccx_replay_add_ordered(s->replay, n, s->graph, s->rp_sets, s->rp_orders, s->rp_pi,
                                  s->value, err);
}

/* ---- 3. learn ---------------------------------------------------------- */
static int learn(ccx_trainer *t, az_state *s, ccx_iter_stats *st, ccx_error *err) {
    const ccx_train_config *c = &t->cfg;
    ccx_nn_adamw hp = {(float)ccx_trainer_lr(t), (float)c->beta1, (float)c->beta2, (float)c->eps,
                       (float)(c->az_l2_weight > 0 ? c->az_l2_weight / ccx_trainer_lr(t) : 0),
                       (float)c->max_grad_norm};
    ccx_rng rng;
    ccx_rng_seed(&rng, ccx_trainer_update_seed(t, 4));
    ccx_ppo_loss_stats ls = {0};
    double gn_sum = 0;
    int n = s->batch, u = 0;
    for (; u < c->az_updates_per_iter; u++) {
        if (ccx_trainer_time_up(t)) { /* the samples stay in the replay ring */
            st->cut = CCX_ITER_CUT;
            break;
        }
        if (ccx_replay_sample(s->replay, &rng, n, s->mb_graph, s->mb_sets, s->mb_pi, s->mb_z,
                              s->mb_idx, err))
            return -1;
        for (int i = 0; i < n; i++)
            if (ccx_replay_get_order(s->replay, s->mb_idx[i], s->mb_orders + (size_t)i * s->N, err))
                return -1;
        if (ccx_replay_set_states_ordered(s->train_env, n, s->mb_graph, s->mb_sets, s->mb_orders,
                                          err) ||
            ccx_env_upload(s->train_env, s->pi_dev, s->mb_pi, sizeof(float) * (size_t)n * s->N,
                           err) ||
            ccx_env_upload(s->train_env, s->z_dev, s->mb_z, sizeof(float) * n, err))
            return -1;
        if (ccx_nn_zero_grad(t->nn, err) || ccx_trainer_forward(t, s->train_env, err)) return -1;
        if (ccx_rl_az_loss(s->rl, ccx_nn_logits_native(t->nn), ccx_nn_value_native(t->nn), n, s->N,
                           NULL, s->pi_dev, s->z_dev, (float)c->az_value_weight, 1.0f / (float)n,
                           s->dlogits, s->dvalue, &ls, err))
            return -1;
        float gn = 0;
        if (ccx_nn_backward_native(t->nn, s->dlogits, s->dvalue, err) ||
            ccx_nn_adamw_step(t->nn, &hp, &gn, err))
            return -1;
        gn_sum += gn;
    }
    if (ls.rows == 0) return 0; /* cut before learning: the losses stay NaN */
    double rows = ls.rows;
    st->policy_loss = ls.policy_loss / rows;
    st->value_loss = ls.value_loss / rows;
    st->entropy = ls.entropy / rows;
    st->approx_kl = ls.approx_kl / rows;
    st->grad_norm = u ? gn_sum / u : NAN;
    return 0;
}

static int az_iterate(ccx_trainer *t, void *state, ccx_iter_stats *st, ccx_error *err) {
    az_state *s = state;
    if (self_play(t, s, st, err)) return -1;
    if (st->cut == CCX_ITER_DROPPED) return 0;
    if (record(t, s, st, err)) return -1;
    for (int k = 0; k < t->n_tasks; k++)
        st->env_steps += (long)(s->B / t->n_tasks) * t->task[k].n_intermediates;
    return learn(t, s, st, err);
}

/* ---- the replay ring beside the checkpoint ---------------------------- */
static int az_save(ccx_trainer *t, void *state, const char *prefix, ccx_error *err) {
    (void)t;
    az_state *s = state;
    char path[1200];
    snprintf(path, sizeof path, "%s.replay", prefix);
    return ccx_replay_save(s->replay, path, err);
}

static int az_load(ccx_trainer *t, void *state, const char *prefix, ccx_error *err) {
    (void)t;
    az_state *s = state;
    char path[1200];
    snprintf(path, sizeof path, "%s.replay", prefix);
    return ccx_replay_load(s->replay, path, err);
}

const ccx_algo ccx_algo_alphazero = {"alphazero", az_init, az_iterate, az_save, az_load, az_destroy};
