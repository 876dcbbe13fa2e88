/* PPO for the elimination game, read top to bottom (CleanRL's ppo.py is
 * the model). One iteration = one update:
 *
 *   1. rollout   every env plays one whole episode from the start of its
 *                graph (episodes have a fixed length: the graph's number of
 *                intermediates; a graph shorter than the longest in a mixed
 *                batch sits out the last steps, its actions are -1 = skip).
 *                Per step: observe -> network -> sample an action from the
 *                masked softmax -> step. Kept per (step t, env b) in backend
 *                memory: action, log-probability, value, cost.
 *   2. returns   on the host: reward r = -cost / reward_scale(graph), GAE
 *                with gamma and lambda (value 0 after the last step, the
 *                episode ends there), returns = advantages + values,
 *                advantages normalised over the update.
 *   3. learn     epochs x minibatches. A minibatch is a set of envs (B/M
 *                of them, the same number of each graph); it is replayed
 *                step by step on a second env batch from the recorded
 *                actions, so no observation is ever stored: at each step the
 *                network runs on the replayed states, the clipped PPO loss
 *                (rl_ops.h) gives the gradients of the logits and values,
 *                and the backward pass accumulates them; one AdamW step per
 *                minibatch. (The states after the same actions are the same,
 *                so this is exactly PPO on the rollout's samples.)
 *
 * Every random draw derives from (run.seed, update): the sampling streams
 * and the minibatch shuffles, so a resumed run repeats an uninterrupted one.
 * A seconds budget is polled between steps: spent in the rollout, the
 * update is dropped; spent while learning, the minibatch under way is
 * abandoned and the update ends with the minibatches done (trainer.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rl/rl_ops.h"
#include "train/trainer.h"
#include "util/rng.h"

typedef struct {
    int B, T, M, mb;            /* envs, steps, minibatches, envs per minibatch */
    ccx_env *replay;            /* mb envs: slot i plays task i % n_tasks */
    ccx_rl *rl;                 /* rl ops on the replay env's stream */
    /* rollout storage [T][B] in backend memory */
    int32_t *act;
    float *logp, *val, *adv, *ret;
    int64_t *cost;
    uint8_t *valid;
    /* minibatch scratch (backend memory) */
    int32_t *ids_dev, *act_mb;
    float *dlogits, *dvalue;
    /* host copies [T][B] */
    int32_t *h_act;
    float *h_logp, *h_val, *h_adv, *h_ret;
    int64_t *h_cost;
    uint8_t *h_valid;
    int32_t *h_ids, *order;
    int *perm;                  /* [B] envs grouped by task, shuffled */
} ppo_state;

static int ppo_init(ccx_trainer *t, void **out, ccx_error *err) {
    ppo_state *s = calloc(1, sizeof *s);
    if (!s) return ccx_error_set(err, "ppo: out of memory");
    *out = s;
    s->B = t->cfg.n_envs;
    s->T = t->max_steps;
    s->M = t->cfg.minibatches;
    s->mb = s->B / s->M;
    size_t TB = (size_t)s->T * s->B;

    const ccx_graph *graphs[CCX_CONFIG_MAX_TASKS];
    for (int k = 0; k < t->n_tasks; k++) graphs[k] = t->task[k].graph;
    s->replay = ccx_env_create(t->backend, s->mb, graphs, t->n_tasks, NULL, t->n_pad, err);
    if (!s->replay) return -1;
    s->rl = ccx_rl_create(s->replay, s->mb, t->n_pad, err);
    if (!s->rl) return -1;

    CCX_TRAINER_DEV_ALLOC(s->act, TB);
    CCX_TRAINER_DEV_ALLOC(s->logp, TB);
    CCX_TRAINER_DEV_ALLOC(s->val, TB);
    CCX_TRAINER_DEV_ALLOC(s->adv, TB);
    CCX_TRAINER_DEV_ALLOC(s->ret, TB);
    CCX_TRAINER_DEV_ALLOC(s->cost, TB);
    CCX_TRAINER_DEV_ALLOC(s->valid, TB);
    CCX_TRAINER_DEV_ALLOC(s->ids_dev, s->mb);
    CCX_TRAINER_DEV_ALLOC(s->act_mb, s->mb);
    CCX_TRAINER_DEV_ALLOC(s->dlogits, (size_t)s->mb * t->n_pad);
    CCX_TRAINER_DEV_ALLOC(s->dvalue, s->mb);
    CCX_TRAINER_HOST_ALLOC(s->h_act, TB);
    CCX_TRAINER_HOST_ALLOC(s->h_logp, TB);
    CCX_TRAINER_HOST_ALLOC(s->h_val, TB);
    CCX_TRAINER_HOST_ALLOC(s->h_adv, TB);
    CCX_TRAINER_HOST_ALLOC(s->h_ret, TB);
    CCX_TRAINER_HOST_ALLOC(s->h_cost, TB);
    CCX_TRAINER_HOST_ALLOC(s->h_valid, TB);
    CCX_TRAINER_HOST_ALLOC(s->h_ids, s->mb);
    CCX_TRAINER_HOST_ALLOC(s->order, s->T);
    CCX_TRAINER_HOST_ALLOC(s->perm, s->B);
    return 0;
}

static void ppo_destroy(ccx_trainer *t, void *state) {
    ppo_state *s = state;
    if (!s) return;
    if (t && t->env) {
        void *dev[] = {s->act, s->logp, s->val, s->adv, s->ret, s->cost, s->valid,
                       s->ids_dev, s->act_mb, s->dlogits, s->dvalue};
        for (size_t i = 0; i < sizeof dev / sizeof dev[0]; i++)
            if (dev[i]) ccx_env_buf_free(t->env, dev[i]);
    }
    ccx_rl_free(s->rl);
    ccx_env_destroy(s->replay);
    free(s->h_act);
    free(s->h_logp);
    free(s->h_val);
    free(s->h_adv);
    free(s->h_ret);
    free(s->h_cost);
    free(s->h_valid);
    free(s->h_ids);
    free(s->order);
    free(s->perm);
    free(s);
}

/* ---- 1. rollout -------------------------------------------------------- */
static int rollout(ccx_trainer *t, ppo_state *s, ccx_iter_stats *st, ccx_error *err) {
    const int B = s->B, N = t->n_pad;
    if (ccx_env_reset(t->env, NULL, err)) return -1;
    uint64_t seed = ccx_trainer_update_seed(t, 1);
    for (int step = 0; step < s->T; step++) {
        size_t row = (size_t)step * B;
        if (ccx_trainer_should_drop(t)) { /* Ctrl-C or the clock: drop this update */
            st->cut = CCX_ITER_DROPPED;
            return ccx_env_sync(t->env, err);
        }
        if (ccx_trainer_forward(t, t->env, err)) return -1;
        /* actions [B] (-1 where the env's episode is over), their log p */
        if (ccx_rl_sample(t->rl, ccx_nn_logits_native(t->nn), B, N, 1.0f, seed, (uint64_t)step * B,
                          0, s->act + row, s->logp + row, err))
            return -1;
        if (ccx_rl_gather(t->rl, s->val + row, ccx_nn_value_native(t->nn), t->identity, B,
                          sizeof(float), err))
            return -1;
        if (ccx_env_step(t->env, s->act + row, s->cost + row, NULL,
                         CCX_ENV_NODE_ACTIONS | CCX_ENV_DEFER, err))
            return -1;
    }
    if (ccx_env_sync(t->env, err)) return -1;
    size_t TB = (size_t)s->T * B;
    if (ccx_env_download(t->env, s->h_act, s->act, TB * sizeof(int32_t), err) ||
        ccx_env_download(t->env, s->h_logp, s->logp, TB * sizeof(float), err) ||
        ccx_env_download(t->env, s->h_val, s->val, TB * sizeof(float), err) ||
        ccx_env_download(t->env, s->h_cost, s->cost, TB * sizeof(int64_t), err))
        return -1;
    return 0;
}

/* Offer every env's episode to the trainer's best-order tracking and
 * gather the per-task cost statistics. */
static void record_episodes(ccx_trainer *t, ppo_state *s, ccx_iter_stats *st) {
    for (int b = 0; b < s->B; b++) {
        int k = b % t->n_tasks, n = t->task[k].n_intermediates;
        int n_inputs = t->task[k].graph->n_inputs;
        int64_t total = 0;
        for (int step = 0; step < n; step++) {
            size_t i = (size_t)step * s->B + b;
            total += s->h_cost[i];
            s->order[step] = s->h_act[i] - n_inputs + 1; /* node id -> vertex number */
        }
        st->cost_sum[k] += (double)total;
        st->cost_count[k]++;
        if (total < st->cost_best[k]) st->cost_best[k] = total;
        ccx_trainer_offer_order(t, k, s->order, total, "rollout");
    }
}

/* ---- 2. returns: GAE ---------------------------------------------------- */
static double compute_advantages(ccx_trainer *t, ppo_state *s) {
    const int B = s->B;
    const double gamma = t->cfg.gamma, lambda = t->cfg.gae_lambda;
    double sum = 0, sum2 = 0, n = 0;
    for (int b = 0; b < B; b++) {
        int k = b % t->n_tasks, len = t->task[k].n_intermediates;
        double scale = ccx_trainer_reward_scale(t, k), gae = 0;
        for (int step = s->T - 1; step >= 0; step--) {
            size_t i = (size_t)step * B + b;
            s->h_valid[i] = step < len;
            if (step >= len) {
                s->h_adv[i] = s->h_ret[i] = 0;
                continue;
            }
            double reward = -(double)s->h_cost[i] / scale;
            double next_value = step + 1 < len ? s->h_val[i + B] : 0.0; /* terminal after len */
            double delta = reward + gamma * next_value - s->h_val[i];
            gae = delta + gamma * lambda * gae;
            s->h_adv[i] = (float)gae;
            s->h_ret[i] = (float)(gae + s->h_val[i]);
            sum += gae;
            sum2 += gae * gae;
            n++;
        }
    }
    /* explained variance of the values as predictors of the returns */
    double rs = 0, rs2 = 0, es = 0, es2 = 0;
    for (size_t i = 0; i < (size_t)s->T * B; i++) {
        if (!s->h_valid[i]) continue;
        double r = s->h_ret[i], e = r - s->h_val[i];
        rs += r, rs2 += r * r, es += e, es2 += e * e;
    }
    double var_r = rs2 / n - (rs / n) * (rs / n), var_e = es2 / n - (es / n) * (es / n);
    double explained = var_r > 0 ? 1.0 - var_e / var_r : NAN;
    if (t->cfg.norm_adv && n > 1) {
        double mean = sum / n, sd = sqrt(fmax(sum2 / n - mean * mean, 0.0)) + 1e-8;
        for (size_t i = 0; i < (size_t)s->T * B; i++)
            if (s->h_valid[i]) s->h_adv[i] = (float)((s->h_adv[i] - mean) / sd);
    }
    return explained;
}

/* ---- 3. learn ------------------------------------------------------------ */

/* perm = every env, grouped by task (envs of task k are k, k+G, ...), each
 * group shuffled; minibatch m slot i takes group i % G, entry m*mb/G + i/G. */
static void shuffle_envs(ccx_trainer *t, ppo_state *s, ccx_rng *rng) {
    const int G = t->n_tasks, per = s->B / G;
    for (int k = 0; k < G; k++) {
        int *grp = s->perm + (size_t)k * per;
        for (int j = 0; j < per; j++) grp[j] = k + j * G;
        for (int j = per - 1; j > 0; j--) {
            int r = (int)ccx_rng_below(rng, (uint64_t)j + 1), tmp = grp[j];
            grp[j] = grp[r];
            grp[r] = tmp;
        }
    }
}

/* One minibatch: replay, loss, backward, AdamW. Returns 1 (no AdamW step,
 * nothing added to *ls) when the seconds budget ran out half way. */
static int learn_minibatch(ccx_trainer *t, ppo_state *s, int m, const ccx_nn_adamw *hp,
                           ccx_ppo_loss_stats *ls, double *grad_norm, ccx_error *err) {
    const int G = t->n_tasks, per = s->B / G, N = t->n_pad, mb = s->mb;
    long valid_rows = 0;
    int last_step = 0;
    for (int i = 0; i < mb; i++) {
        int k = i % G;
        s->h_ids[i] = s->perm[(size_t)k * per + (size_t)m * (mb / G) + i / G];
        valid_rows += t->task[k].n_intermediates;
        if (t->task[k].n_intermediates > last_step) last_step = t->task[k].n_intermediates;
    }
    if (ccx_env_upload(s->replay, s->ids_dev, s->h_ids, sizeof(int32_t) * mb, err)) return -1;
    if (ccx_env_reset(s->replay, NULL, err) || ccx_nn_zero_grad(t->nn, err)) return -1;
    ccx_ppo_loss_params lp = {(float)t->cfg.clip, (float)t->cfg.vf_coef, (float)t->cfg.ent_coef,
                              (float)(1.0 / (double)valid_rows)};
    ccx_ppo_loss_stats mls = {0}; /* added to *ls when the minibatch is whole */
    for (int step = 0; step < last_step; step++) {
        size_t row = (size_t)step * s->B;
        if (ccx_trainer_time_up(t)) return ccx_env_sync(s->replay, err) ? -1 : 1; /* no step */
        if (ccx_trainer_forward(t, s->replay, err)) return -1;
        if (ccx_rl_ppo_loss(s->rl, &lp, ccx_nn_logits_native(t->nn), ccx_nn_value_native(t->nn),
                            mb, N, s->ids_dev, s->act + row, s->logp + row, s->adv + row,
                            s->ret + row, s->valid + row, s->dlogits, s->dvalue, &mls, err))
            return -1;
        if (ccx_nn_backward_native(t->nn, s->dlogits, s->dvalue, err)) return -1;
        /* replay the recorded actions (-1 = skip past the episode's end) */
        if (ccx_rl_gather(s->rl, s->act_mb, s->act + row, s->ids_dev, mb, sizeof(int32_t), err))
            return -1;
        if (ccx_env_step(s->replay, s->act_mb, NULL, NULL, CCX_ENV_NODE_ACTIONS | CCX_ENV_DEFER,
                         err))
            return -1;
    }
    if (ccx_env_sync(s->replay, err)) return -1;
    float gn = 0;
    if (ccx_nn_adamw_step(t->nn, hp, &gn, err)) return -1;
    *grad_norm = gn;
    ccx_ppo_loss_stats_add(ls, &mls);
    return 0;
}

static int ppo_iterate(ccx_trainer *t, void *state, ccx_iter_stats *st, ccx_error *err) {
    ppo_state *s = state;
    size_t TB = (size_t)s->T * s->B;

    if (rollout(t, s, st, err)) return -1;
    if (st->cut == CCX_ITER_DROPPED) return 0;
    record_episodes(t, s, st);
    for (int k = 0; k < t->n_tasks; k++)
        st->env_steps += (long)(s->B / t->n_tasks) * t->task[k].n_intermediates;

    st->explained_var = compute_advantages(t, s);
    if (ccx_env_upload(t->env, s->adv, s->h_adv, TB * sizeof(float), err) ||
        ccx_env_upload(t->env, s->ret, s->h_ret, TB * sizeof(float), err) ||
        ccx_env_upload(t->env, s->valid, s->h_valid, TB, err))
        return -1;

    ccx_nn_adamw hp = {(float)ccx_trainer_lr(t), (float)t->cfg.beta1, (float)t->cfg.beta2,
                       (float)t->cfg.eps, (float)t->cfg.weight_decay,
                       (float)t->cfg.max_grad_norm};
    ccx_rng rng;
    ccx_rng_seed(&rng, ccx_trainer_update_seed(t, 2));
    ccx_ppo_loss_stats total = {0};
    double grad_norm_sum = 0;
    int steps_taken = 0;
    for (int epoch = 0; epoch < t->cfg.epochs; epoch++) {
        shuffle_envs(t, s, &rng);
        ccx_ppo_loss_stats ep = {0};
        for (int m = 0; m < s->M; m++) {
            double gn = 0;
            int rc = learn_minibatch(t, s, m, &hp, &ep, &gn, err);
            if (rc < 0) return -1;
            if (rc > 0) { /* time up: this minibatch's gradient is never applied (the
                           * rollout's episodes still count) */
                st->cut = CCX_ITER_CUT;
                break;
            }
            grad_norm_sum += gn;
            steps_taken++;
        }
        ccx_ppo_loss_stats_add(&total, &ep);
        if (st->cut != CCX_ITER_WHOLE) break;
        /* early stop when the policy moved too far from the rollout's */
        if (t->cfg.target_kl > 0 && ep.rows > 0 && ep.approx_kl / ep.rows > t->cfg.target_kl)
            break;
    }
    if (total.rows == 0) return 0; /* cut before learning: the losses stay NaN */
    double n = total.rows;
    st->policy_loss = total.policy_loss / n;
    st->value_loss = total.value_loss / n;
    st->entropy = total.entropy / n;
    st->approx_kl = total.approx_kl / n;
    st->clip_frac = total.clip_frac / n;
    st->grad_norm = steps_taken ? grad_norm_sum / steps_taken : NAN;
    return 0;
}

const ccx_algo ccx_algo_ppo = {"ppo", ppo_init, ppo_iterate, NULL, NULL, ppo_destroy};
