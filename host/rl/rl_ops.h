/* The small per-sample kernels of the RL algorithms, one API, two backends
 * (cpu: host/rl/rl_ops_cpu.c, cuda: cuda/rl_kernels.cu): action sampling
 * from masked logits, the PPO loss with its gradient, the AlphaZero loss
 * with its gradient, and row gathers. As in env.h, every array argument
 * lives in the backend's memory (host for cpu, device for cuda: allocate
 * with ccx_env_buf_alloc of an env of the same backend), and the cuda calls
 * run on the given stream (the env's, so they order with env and network
 * calls). Both backends compile the same per-row formulas
 * (rl_ops_internal.h): sampling picks the same slot for the same logits
 * (a correctly rounded exp, sums in slot order); the losses sum a row in
 * double on the cpu and by a float warp tree on cuda, so they agree to
 * about 1e-6 relative (tests/test_rl_ops*.cc).
 *
 * Shapes: n rows (samples), N = n_pad logit slots per row, logits [n][N]
 * with CCX_NN_MASKED_LOGIT (nn/model.h) at illegal slots. Softmax over a
 * row uses only slots whose logit > CCX_RL_MASK_THRESHOLD (-1e29); masked
 * slots get probability exactly 0 and gradient exactly 0.
 *
 * Optional index arrays ("idx", may be NULL): per-sample inputs are read at
 * arr[idx[i]] instead of arr[i] (so a minibatch can read the rollout's
 * [T][B] arrays of one step for a subset of envs without a gather). */
#ifndef CCX_RL_RL_OPS_H
#define CCX_RL_RL_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "env/env.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CCX_RL_MASK_THRESHOLD (-1.0e29f)

typedef struct ccx_rl ccx_rl;

/* Scratch for up to max_rows rows of up to n_pad slots on the env's backend
 * and stream. NULL with err set on failure. */
ccx_rl *ccx_rl_create(const ccx_env *env, int max_rows, int n_pad, ccx_error *err);
void ccx_rl_free(ccx_rl *rl);

/* ---- sampling ----
 * Row i: p = softmax(logits[i] / temperature) over unmasked slots. The
 * uniform u is the first 32-bit draw of Philox4x32-10 (util/philox.h, the
 * same as cuRAND's curand_init(seed, subsequence = stream_offset + i,
 * offset = 0)) mapped to (u + 0.5) / 2^32; the action is the first slot j
 * (increasing j) with cumsum_{k<=j} p_k > u * sum_k p_k (sums in float, in
 * slot order), the last unmasked slot if rounding leaves none. greedy != 0:
 * argmax (lowest index on ties), no draw. actions [n] out: slot (node id)
 * or -1 if the row has no unmasked slot; logp [n] out (may be NULL): log p
 * of the chosen slot (0 for -1 rows). */
int ccx_rl_sample(ccx_rl *rl, const float *logits, int n, int N, float temperature,
                  uint64_t seed, uint64_t stream_offset, int greedy, int32_t *actions,
                  float *logp, ccx_error *err);

/* ---- PPO loss ----
 * Per valid row i (valid[i] != 0; valid NULL = all), with lp = log softmax
 * of logits[i], a = actions[i]:
 *   ratio   = exp(lp[a] - old_logp[i])
 *   pg      = -min(ratio * adv[i], clamp(ratio, 1-clip, 1+clip) * adv[i])
 *   vloss   = 0.5 * (values[i] - returns[i])^2
 *   ent     = -sum_j p_j lp_j
 *   loss_i  = pg + vf_coef * vloss - ent_coef * ent
 * total = weight * sum_i loss_i (weight = 1 / valid rows of the whole
 * minibatch, so calls for several steps add up to its mean). Outputs:
 * dlogits [n][N] = d total / d logits (0 at masked slots and invalid rows),
 * dvalue [n] likewise. stats (host, ADDED to, not overwritten; sums over
 * valid rows, unweighted): policy_loss = sum pg, value_loss = sum vloss,
 * entropy = sum ent, approx_kl = sum ((ratio - 1) - log ratio),
 * clip_frac = count(|ratio - 1| > clip), rows = count. On cuda the stats are
 * reduced on the device and copied back (one sync per call). */
typedef struct {
    float clip, vf_coef, ent_coef, weight;
} ccx_ppo_loss_params;

typedef struct {
    double policy_loss, value_loss, entropy, approx_kl, clip_frac, rows;
} ccx_ppo_loss_stats;

/* acc += s, field by field. */
static inline void ccx_ppo_loss_stats_add(ccx_ppo_loss_stats *acc, const ccx_ppo_loss_stats *s) {
    acc->policy_loss += s->policy_loss;
    acc->value_loss += s->value_loss;
    acc->entropy += s->entropy;
    acc->approx_kl += s->approx_kl;
    acc->clip_frac += s->clip_frac;
    acc->rows += s->rows;
}

int ccx_rl_ppo_loss(ccx_rl *rl, const ccx_ppo_loss_params *hp, const float *logits,
                    const float *values, int n, int N, const int32_t *idx,
                    const int32_t *actions, const float *old_logp, const float *adv,
                    const float *returns, const uint8_t *valid, float *dlogits, float *dvalue,
                    ccx_ppo_loss_stats *stats, ccx_error *err);

/* ---- AlphaZero loss ----
 * Per row i with target policy pi [n][N] (a distribution over unmasked
 * slots; masked slots must be 0) and target value z[i]:
 *   ce     = -sum_j pi_j lp_j              (policy cross-entropy)
 *   vloss  = 0.5 * (values[i] - z[i])^2
 *   loss_i = ce + value_weight * vloss
 * total = weight * sum_i loss_i; dlogits = weight * (p - pi) at unmasked
 * slots, dvalue = weight * value_weight * (values - z). stats (host, added
 * to): policy_loss = sum ce, value_loss = sum vloss, entropy = sum of the
 * network's entropy, approx_kl = sum KL(pi || p), rows = n. (The L2 term is
 * AdamW weight decay, not part of this loss.) */
int ccx_rl_az_loss(ccx_rl *rl, const float *logits, const float *values, int n, int N,
                   const int32_t *idx, const float *target_pi, const float *target_v,
                   float value_weight, float weight, float *dlogits, float *dvalue,
                   ccx_ppo_loss_stats *stats, ccx_error *err);

/* ---- gathers ----
 * dst row i <- src row idx[i] (rows of row_bytes bytes, a multiple of 4);
 * idx lives in backend memory. */
int ccx_rl_gather(ccx_rl *rl, void *dst, const void *src, const int32_t *idx, int n,
                  size_t row_bytes, ccx_error *err);

#ifdef __cplusplus
}
#endif
#endif
