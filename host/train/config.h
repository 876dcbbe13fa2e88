/* Training configuration: one struct for every algorithm (PPO, Gumbel
 * AlphaZero), read from YAML (libyaml) and `--set key=value` overrides.
 *
 * Keys are "section.name" (the YAML nesting: `ppo: {clip: 0.2}` is
 * ppo.clip). Every key has a default (ccx_train_config_default); unknown
 * keys, wrong types and out-of-range values are errors that name the key
 * and, for a file, file:line:column. The table of keys (name, type,
 * default, range, one-line help) lives in config.c and is printed by
 * `ccx train --help-config`; ccx_train_config_write emits the effective
 * config as YAML that reads back to the same struct.
 *
 * Reference (defaults in brackets):
 *   run.name          [""]      run directory name under run.out_dir ("" = config
 *                               file's basename, then "-2", "-3"... if taken)
 *   run.out_dir       ["results/runs"]
 *   run.tasks         [required] task file(s) or names; a list = mixed batch
 *   run.seed          [0]
 *   run.backend       [auto]    auto | cpu | cuda
 *   run.algo          [ppo]     ppo | alphazero
 *   run.threads       [0]       CPU threads (0 = all cores)
 *   env.n_envs        [256]     parallel environments (rollout batch)
 *   env.cost_model    [alphagrad] alphagrad | real: the cost every reward,
 *                               observation, baseline and best order follows
 *   network.dim/layers/heads/mlp_dim/value_dim [64/2/4/128/64]
 *   network.tf32      [true]    TF32 tensor cores on cuda
 *   optim.lr          [3e-4]    optim.lr_schedule [constant] constant|linear|cosine
 *   optim.lr_final    [0.1]     final lr as a fraction of lr (linear, cosine)
 *   optim.beta1/beta2/eps [0.9/0.999/1e-8]  optim.weight_decay [0]
 *   optim.max_grad_norm   [0.5] (0 = no clipping)
 *   ppo.clip [0.2] ppo.gae_lambda [0.95] ppo.gamma [1.0] ppo.epochs [4]
 *   ppo.minibatches [4] ppo.ent_coef [0.01] ppo.vf_coef [0.5]
 *   ppo.norm_adv [true] ppo.target_kl [0 = off]
 *   reward.scale      [0]       reward per step = -cost / scale; 0 = auto (per
 *                               graph: its best classic baseline cost, so returns are ~ -1)
 *   eval.every        [10]      updates between evaluations, also at update 1 (0: only then)
 *   eval.samples      [16]      K sampled orders per graph at each evaluation
 *   checkpoint.every  [50]      updates between checkpoints (0 = only at the end)
 *   checkpoint.seconds [300]    also checkpoint when this much wall time passed
 *   budget.updates    [0]       stop after this many updates (0 = no limit)
 *   budget.env_steps  [0]       ... env steps (eliminations) (0 = no limit)
 *   budget.seconds    [0]       ... wall seconds (0 = no limit), checked between
 *                               env steps and minibatches, not only updates
 *                               at least one budget must be non-zero; the lr
 *                               schedule follows updates / env steps when either
 *                               is set (runs repeat), the clock only when not
 *   alphazero.*                 see the struct below (issue 6)
 */
#ifndef CCX_TRAIN_CONFIG_H
#define CCX_TRAIN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CCX_CONFIG_MAX_TASKS 16
#define CCX_CONFIG_STR 512

typedef struct {
    /* run */
    char name[CCX_CONFIG_STR];
    char out_dir[CCX_CONFIG_STR];
    int n_tasks;
    char tasks[CCX_CONFIG_MAX_TASKS][CCX_CONFIG_STR];
    uint64_t seed;
    char backend[16]; /* auto | cpu | cuda */
    char algo[16];    /* ppo | alphazero */
    int threads;
    /* env */
    int n_envs;
    char cost_model[16]; /* alphagrad | real (game.h ccx_cost_model) */
    /* network (the rest of ccx_nn_config comes from the tasks) */
    int dim, layers, heads, mlp_dim, value_dim;
    int tf32;
    /* optim */
    double lr;
    char lr_schedule[16]; /* constant | linear | cosine */
    double lr_final;
    double beta1, beta2, eps, weight_decay, max_grad_norm;
    /* ppo */
    double clip, gae_lambda, gamma;
    int epochs, minibatches;
    double ent_coef, vf_coef;
    int norm_adv;
    double target_kl;
    /* reward */
    double reward_scale;
    /* eval */
    int eval_every, eval_samples;
    /* checkpoint */
    int ckpt_every;
    double ckpt_seconds;
    /* budget */
    long budget_updates;
    long budget_env_steps;
    double budget_seconds;
    /* alphazero (issue 6; names follow AlphaGrad / mctx) */
    int az_num_simulations;       /* [32]   simulations per move */
    int az_num_considered;        /* [8]    num_considered_actions at the root */
    double az_gumbel_scale;       /* [1.0] */
    double az_value_scale;        /* [0.1]  sigma(q) = (maxvisit_init + max N) * value_scale * q */
    double az_maxvisit_init;      /* [50] */
    int az_rescale_values;        /* [true] min-max normalise completed Q per tree */
    char az_value_transform[16];  /* [none] none | log | sqrt: transform of -remaining cost */
    long az_replay_size;          /* [100000] replay ring entries */
    int az_batch_size;            /* [256]  training minibatch */
    int az_updates_per_iter;      /* [4]    gradient steps per self-play iteration */
    double az_value_weight;       /* [1.0] */
    double az_l2_weight;          /* [1e-4] per-step shrink of decayed weights (AdamW) */
} ccx_train_config;

/* Every key at its default (run.tasks empty: a config must set it). */
void ccx_train_config_default(ccx_train_config *c);
/* Read a YAML file over the current contents of *c (call _default first).
 * Errors: "FILE:LINE:COL: unknown key 'ppo.clp' (did you mean 'ppo.clip'?)",
 * "FILE:LINE:COL: ppo.clip: expected a number, got 'abc'", ... */
int ccx_train_config_load(ccx_train_config *c, const char *path, ccx_error *err);
/* Apply one "key=value" override (value in YAML flow syntax: 0.1, true,
 * [a, b], name). Errors name the key: "--set ppo.clip=2: ppo.clip must be in
 * [0, 1]". */
int ccx_train_config_set(ccx_train_config *c, const char *assignment, ccx_error *err);
/* Cross-key checks after loading and overrides: tasks set, a budget set,
 * n_envs a multiple of n_tasks * minibatches (PPO), dim % heads == 0, ... */
int ccx_train_config_validate(const ccx_train_config *c, ccx_error *err);
/* The effective config as YAML (every key, grouped by section, with the
 * help text as comments); reads back to the same struct. Writes atomically. */
int ccx_train_config_write(const ccx_train_config *c, const char *path, ccx_error *err);
/* The same text into a malloc'd string (caller frees). */
char *ccx_train_config_to_yaml(const ccx_train_config *c);
/* Print the key table (key, type, default, range, help) to stdout. */
void ccx_train_config_print_keys(void);
/* Look up one key's value as text ("0.2", "true", "[a, b]"); 0 or -1 if
 * the key is unknown. For sweeps and summaries. */
int ccx_train_config_get(const ccx_train_config *c, const char *key, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
