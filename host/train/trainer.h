/* The training orchestrator shared by every algorithm: it loads the tasks,
 * builds the environments and the network on the chosen backend, owns the
 * run directory (train/run.h), and runs the loop
 *
 *     repeat: algorithm iteration -> record episodes -> evaluate (greedy +
 *             K sampled orders) -> metrics row -> best orders -> progress
 *             -> checkpoint      until the budget is spent or a signal came
 *
 * An algorithm (rl/ppo.c, az/alphazero.c) is a ccx_algo: it only collects
 * experience and updates the network, offering every complete episode it
 * plays to ccx_trainer_offer_order. Checkpoints hold the network, the AdamW
 * state and the trainer's counters and best orders (safetensors metadata);
 * an algorithm may add files of its own (save/load hooks). Every random
 * draw of an update derives from (run.seed, update number), so a run
 * resumed from a checkpoint continues exactly as an uninterrupted one on
 * the CPU backend. */
#ifndef CCX_TRAIN_TRAINER_H
#define CCX_TRAIN_TRAINER_H

#include <stdint.h>

#include "env/env.h"
#include "game/game.h"
#include "graph/graph.h"
#include "nn/nn.h"
#include "nn/checkpoint.h"
#include "rl/rl_ops.h"
#include "train/config.h"
#include "train/run.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What one iteration reports for metrics.csv (NaN where not applicable). */
typedef struct {
    long env_steps;   /* eliminations played by this iteration (all envs) */
    double policy_loss, value_loss, entropy, approx_kl, clip_frac, explained_var, grad_norm;
    /* per task: sum and count of complete episode costs, best of them */
    double cost_sum[CCX_CONFIG_MAX_TASKS];
    long cost_count[CCX_CONFIG_MAX_TASKS];
    int64_t cost_best[CCX_CONFIG_MAX_TASKS];
    int cut;          /* CCX_ITER_*: whether the update ran to its end */
} ccx_iter_stats;

/* How an update ended. A dropped update changed nothing the next one sees
 * (it stopped inside its rollout / self-play; envs are reset at the start of
 * every update) and does not count; a cut one stopped learning after a
 * minibatch because the seconds budget was spent, and counts. */
enum { CCX_ITER_WHOLE = 0, CCX_ITER_DROPPED = 1, CCX_ITER_CUT = 2 };

typedef struct ccx_trainer ccx_trainer;

typedef struct {
    const char *name;
    /* Allocate the algorithm's state (after the trainer built env/nn). */
    int (*init)(ccx_trainer *t, void **state, ccx_error *err);
    /* One update. t->update is the number of this update (1-based). */
    int (*iterate)(ccx_trainer *t, void *state, ccx_iter_stats *st, ccx_error *err);
    /* Optional: extra state next to the checkpoint (path prefix given). */
    int (*save)(ccx_trainer *t, void *state, const char *prefix, ccx_error *err);
    int (*load)(ccx_trainer *t, void *state, const char *prefix, ccx_error *err);
    void (*destroy)(ccx_trainer *t, void *state);
} ccx_algo;

typedef struct {
    char name[64];
    ccx_graph *graph;
    int n_intermediates;
    ccx_baselines base;
    ccx_published published;
    double reward_scale;   /* cost units per reward unit */
    int64_t best_cost;     /* best complete order seen, INT64_MAX if none */
    int32_t *best_order;   /* vertex numbers [n_intermediates] */
    char best_how[64];     /* "rollout", "greedy", "sampled" (+ update) */
    long best_update;
    long best_env_steps;
    double best_wall_s;
    int best_dirty;        /* improved since best_order.json was written */
    int64_t greedy_cost, sampled_best; /* this update's evaluation (metrics), -1 if none */
    int64_t policy_cost;   /* the greedy policy's cost at the last evaluation, -1 before */
} ccx_train_task;

struct ccx_trainer {
    ccx_train_config cfg;
    char dir[1024];             /* run directory */
    int n_tasks;
    ccx_train_task task[CCX_CONFIG_MAX_TASKS];
    int max_steps;              /* largest n_intermediates: episode length */
    ccx_backend backend;
    char backend_note[256];
    int n_pad;
    ccx_env *env;               /* cfg.n_envs rollout envs; env b plays task b % n_tasks */
    ccx_nn *nn;
    ccx_nn_config nn_cfg;
    int nn_max_batch;
    ccx_rl *rl;                 /* for env */
    /* observation buffers in backend memory, for up to nn_max_batch rows */
    float *obs_features;        /* [max_batch][n_pad][F] */
    uint8_t *obs_adj;           /* [max_batch][n_pad][n_pad] */
    uint8_t *obs_legal;         /* [max_batch][n_pad] */
    int32_t *identity;          /* [max_batch] 0..max_batch-1 (backend memory) */
    /* counters (saved in checkpoints) */
    long update;                /* updates completed */
    long env_steps;
    double wall_s;              /* training wall time before this process + */
    double t0;                  /* the clock when this process started the loop */
    /* The trainer's clock (t0, ccx_trainer_wall: wall_s, the seconds budget,
     * checkpoint seconds, the rate): NULL = ccx_now_s; tests pass a fake one
     * through ccx_train_options. */
    double (*clock)(void *ctx);
    void *clock_ctx;
    int quiet;
};

/* Observe every env of `env` (at most nn_max_batch of them) into the
 * trainer's observation buffers and run the network on them; the outputs
 * are in backend memory (ccx_nn_logits_native / ccx_nn_value_native) and
 * complete when this returns. */
int ccx_trainer_forward(ccx_trainer *t, ccx_env *env, ccx_error *err);
/* Offer a complete episode of task k: order = vertex numbers, cost its
 * total. Keeps the best (ties keep the earlier). */
void ccx_trainer_offer_order(ccx_trainer *t, int task, const int32_t *order, int64_t cost,
                             const char *how);
/* Learning rate at the current point of the schedule. */
double ccx_trainer_lr(const ccx_trainer *t);
/* Where the schedules are, 0..1. They follow the update count or env steps
 * (the larger fraction of those budgets that are set), never the clock, so
 * two runs with the same seed and an updates or env-steps budget are
 * identical. Only with a seconds budget alone is the run's length unknown:
 * its env steps are estimated from the rate so far (steps / (steps + rate
 * * seconds left)), which is the fraction of the seconds spent. */
double ccx_trainer_schedule_fraction(const ccx_trainer *t);
/* Fraction of the budget used, 0..1, the clock included (progress bar). */
double ccx_trainer_budget_fraction(const ccx_trainer *t);
/* Polled between the steps of a rollout or self-play: a signal arrived or
 * the seconds budget is spent, so the update should stop and be dropped
 * (st->cut = CCX_ITER_DROPPED). Ctrl-C and the budget act within one step,
 * not one update. */
int ccx_trainer_should_drop(const ccx_trainer *t);
/* Polled between learning minibatches: the seconds budget is spent, stop
 * learning (st->cut = CCX_ITER_CUT). A signal does not cut learning short,
 * so a run interrupted there and resumed repeats an uninterrupted one. */
int ccx_trainer_time_up(const ccx_trainer *t);
/* Wall seconds of training so far (all processes of this run). */
double ccx_trainer_wall(const ccx_trainer *t);
/* A seed for draw stream `stream` of the update in progress: every random
 * draw of an algorithm derives from (run.seed, update, stream), which is
 * what makes a resumed run repeat an uninterrupted one. */
uint64_t ccx_trainer_update_seed(const ccx_trainer *t, uint64_t stream);

/* In an algorithm's init(t, ..., err): allocate count elements of *ptr in
 * the backend's memory (freed with ccx_env_buf_free(t->env, ptr)) or on the
 * host (calloc), returning -1 from the caller on failure. */
#define CCX_TRAINER_DEV_ALLOC(ptr, count)                                                      \
    do {                                                                                       \
        (ptr) = ccx_env_buf_alloc(t->env, sizeof(*(ptr)) * (size_t)(count), err);            \
        if (!(ptr)) return -1;                                                                 \
    } while (0)
#define CCX_TRAINER_HOST_ALLOC(ptr, count)                                                     \
    do {                                                                                       \
        (ptr) = calloc((size_t)(count), sizeof(*(ptr)));                                       \
        if (!(ptr)) return ccx_error_set(err, "%s: out of memory", t->cfg.algo);              \
    } while (0)

/* Reward scale of task k (cost units per unit of reward). */
static inline double ccx_trainer_reward_scale(const ccx_trainer *t, int k) {
    return t->task[k].reward_scale;
}

/* Options of `ccx train` beyond the config. */
typedef struct {
    const char *config_path;    /* NULL with resume_dir: the run's config.yaml */
    const char *resume_dir;     /* NULL: a new run */
    int n_sets;
    const char *const *sets;    /* "key=value" overrides */
    const char *backend;        /* NULL: the config's run.backend */
    const char *cost_model;     /* NULL: the config's env.cost_model (ccx train --cost) */
    int n_tasks;                /* > 0: these tasks replace run.tasks (ccx train --task) */
    const char *const *tasks;
    int quiet;                  /* no progress line */
    int silent;                 /* also nothing on stdout and no plot (ccx bench train) */
    double (*clock)(void *ctx); /* NULL (ccx_now_s) but in tests: the trainer's clock */
    void *clock_ctx;
} ccx_train_options;

/* The cost model a training checkpoint was trained under (its
 * "ccx.cost_model" metadata; checkpoints without it: AlphaGrad's). */
int ccx_train_checkpoint_model(const ccx_nn_checkpoint *ck);

/* The whole `ccx train`: returns a CLI exit status (0 done, 1 runtime
 * failure, 2 bad input, 130 interrupted after a checkpoint). */
int ccx_train_main(const ccx_train_options *opt);

/* Play the greedy policy and k sampled rollouts of a network on one graph
 * (`ccx eval`, and the trainer's evaluation). Outputs the greedy order's
 * cost (and order if greedy_order is non-NULL: [n_intermediates]) and the
 * best sampled cost and order. */
int ccx_policy_eval(ccx_nn *nn, ccx_backend backend, const ccx_graph *g, int k, uint64_t seed,
                    int64_t *greedy_cost, int32_t *greedy_order, int64_t *sampled_best,
                    int32_t *sampled_order, ccx_error *err);

extern const ccx_algo ccx_algo_ppo;
extern const ccx_algo ccx_algo_alphazero;

#ifdef __cplusplus
}
#endif
#endif
