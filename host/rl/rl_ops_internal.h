/* What rl_ops.c and the two backends of rl_ops.h (rl_ops_cpu.c,
 * cuda/rl_kernels.cu) share: the per-row formulas (compiled into both, so
 * the two compute the same expressions in the same order), the per-row
 * statistics record and the backend entry points. Not for callers outside
 * host/rl and cuda/. C and C++ (nvcc) alike.
 *
 * ---- The sampling exp ----
 * Both backends must pick the same slot for the same logits, so the weights
 * of the sampling scan, w_j = ccx_rl_sample_exp((l_j - max) / T), come from
 * one exp built of correctly rounded operations only (fmaf, float multiply,
 * rintf, a power-of-two scale): glibc's expf and CUDA's expf differ in the
 * last bit now and then, this one does not. The scan then sums w_j in float
 * in slot order (one thread on the device), so cumsums, total and the
 * threshold u * total are the same bits on both. (Host code must not
 * contract a*b+c into an FMA of its own: true on x86-64 without -mfma, the
 * default here; every multiply-add of the device side is written out.) The
 * weights are the unnormalised p of rl_ops.h (p_j = w_j / total); the pick
 * "first j with cumsum_{k<=j} w_k > u * total" is the header's rule.
 * Weights below exp(-86) are 0 (no denormals on either side).
 *
 * ---- Losses ----
 * logsumexp, entropy and the gradients use the platform expf/logf (the
 * device's differ from glibc's by an ulp or two), and sums over a row's
 * slots run in a different order (cpu: serially, accumulated in double;
 * cuda: per lane, then a warp tree, in float): the backends agree to float
 * rounding there (tested to 1e-5 relative), not bit for bit. The per-row
 * scalar formulas below are shared. */
#ifndef CCX_RL_RL_OPS_INTERNAL_H
#define CCX_RL_RL_OPS_INTERNAL_H

#include <math.h>
#include <stdint.h>

#include "rl/rl_ops.h"
#include "util/hd.h"

#ifdef __cplusplus
extern "C" {
#endif

/* a * b rounded once, never fused with a neighbouring add */
#if defined(__CUDA_ARCH__)
#define CCX_RL_MUL(a, b) __fmul_rn((a), (b))
#else
#define CCX_RL_MUL(a, b) ((a) * (b))
#endif

CCX_HD int ccx_rl_unmasked(float logit) { return logit > CCX_RL_MASK_THRESHOLD; }

/* exp(x) for x <= 0 (x = (logit - max) / T), about 1 ulp, the same bits on
 * host and device. x < -86 (or NaN) -> 0. */
CCX_HD float ccx_rl_sample_exp(float x) {
    if (!(x >= -86.0f)) return 0.0f;
    if (x > 0.0f) x = 0.0f;
    float k = rintf(CCX_RL_MUL(x, 1.44269502162933349609375f)); /* x / ln 2, -125..0 */
    /* r = x - k ln2 (Cody-Waite: ln2_hi has 16 significant bits, k*ln2_hi is exact) */
    float r = fmaf(k, -0.693145751953125f, x);
    r = fmaf(k, -1.428606765330187045e-06f, r);
    /* exp(r), |r| <= 0.347: Taylor to degree 7 (truncation < 1e-8 relative) */
    float p = 1.0f / 5040.0f;
    p = fmaf(p, r, 1.0f / 720.0f);
    p = fmaf(p, r, 1.0f / 120.0f);
    p = fmaf(p, r, 1.0f / 24.0f);
    p = fmaf(p, r, 1.0f / 6.0f);
    p = fmaf(p, r, 0.5f);
    p = fmaf(p, r, 1.0f);
    p = fmaf(p, r, 1.0f);
    uint32_t bits = (uint32_t)((int32_t)k + 127) << 23; /* 2^k, a normal float */
    float scale;
#if defined(__CUDA_ARCH__)
    scale = __uint_as_float(bits);
#else
    union { uint32_t u; float f; } cv;
    cv.u = bits;
    scale = cv.f;
#endif
    return CCX_RL_MUL(p, scale);
}

/* The uniform of rl_ops.h: u = (r + 0.5) / 2^32 in float, r the first
 * Philox draw. (float)r is rounded to nearest, so u may round to 1.0f; then
 * no cumsum exceeds u * total and the last unmasked slot is taken. */
CCX_HD float ccx_rl_uniform(uint32_t r) {
    return CCX_RL_MUL((float)r, 2.3283064365386962890625e-10f) + 1.16415321826934814453125e-10f;
}

/* Per-row statistics of a loss call, summed by the backend in double (rows
 * in order on cpu, a fixed tree on cuda). v: the six fields of
 * ccx_ppo_loss_stats in order; bad != 0 marks a row the call refuses
 * (val: the offending action or slot). */
typedef struct {
    float v[6];
    int32_t bad;
    int32_t val;
} ccx_rl_row_stats;

/* What a loss call hands back to rl_ops.c: the sums, and the first refused
 * row (-1: none) with its value. */
typedef struct {
    double v[6];
    int32_t bad_row;
    int32_t bad_val;
} ccx_rl_sums;

/* The scalar part of one PPO row. lp_a: log p of the action. */
typedef struct {
    float g_lp;    /* d pg / d lp_a */
    float pg, vloss, kl, clipped, dv; /* dv = value - return */
} ccx_rl_ppo_row;

CCX_HD void ccx_rl_ppo_scalar(float clip, float lp_a, float old_logp, float adv,
                                     float value, float ret, ccx_rl_ppo_row *o) {
    float logr = lp_a - old_logp;
    float ratio = expf(logr);
    float rc = fminf(fmaxf(ratio, 1.0f - clip), 1.0f + clip);
    float u1 = CCX_RL_MUL(ratio, adv), u2 = CCX_RL_MUL(rc, adv);
    /* pg = -min(u1, u2); the gradient flows through the unclipped branch
     * when it is the min (ties included: then ratio is inside the range,
     * where clamp' = 1 and both branches agree). When u2 < u1 strictly,
     * ratio lies outside [1-clip, 1+clip], clamp' = 0: no gradient. */
    o->pg = -(u1 <= u2 ? u1 : u2);
    o->g_lp = u1 <= u2 ? -u1 : 0.0f; /* d(-ratio*adv)/d lp_a = -ratio*adv */
    o->dv = value - ret;
    o->vloss = CCX_RL_MUL(0.5f, CCX_RL_MUL(o->dv, o->dv));
    o->kl = (ratio - 1.0f) - logr;
    o->clipped = fabsf(ratio - 1.0f) > clip ? 1.0f : 0.0f;
}

/* d loss_i / d l_j at an unmasked slot j (before the weight):
 * pg part g_lp * (delta_aj - p_j), entropy part -ent_coef * d ent / d l_j
 * = ent_coef * p_j * (lp_j + ent). */
CCX_HD float ccx_rl_ppo_dlogit(float g_lp, float ent_coef, float p, float lp, float ent,
                                      int is_action) {
    float d_pg = CCX_RL_MUL(g_lp, (is_action ? 1.0f : 0.0f) - p);
    float d_ent = CCX_RL_MUL(ent_coef, CCX_RL_MUL(p, lp + ent));
    return d_pg + d_ent;
}

/* ---- cpu backend (rl_ops_cpu.c); rows: scratch [n] ---- */
void ccx_rl_cpu_sample(const float *logits, int n, int N, float temperature, uint64_t seed,
                       uint64_t stream_offset, int greedy, int32_t *actions, float *logp);
void ccx_rl_cpu_ppo_loss(const ccx_ppo_loss_params *hp, const float *logits, const float *values,
                         int n, int N, const int32_t *idx, const int32_t *actions,
                         const float *old_logp, const float *adv, const float *returns,
                         const uint8_t *valid, float *dlogits, float *dvalue,
                         ccx_rl_row_stats *rows, ccx_rl_sums *sums);
void ccx_rl_cpu_az_loss(const float *logits, const float *values, int n, int N,
                        const int32_t *idx, const float *target_pi, const float *target_v,
                        float value_weight, float weight, float *dlogits, float *dvalue,
                        ccx_rl_row_stats *rows, ccx_rl_sums *sums);
void ccx_rl_cpu_gather(void *dst, const void *src, const int32_t *idx, int n, size_t row_bytes);

/* ---- cuda backend (cuda/rl_kernels.cu; only in builds with CCX_HAVE_CUDA) ----
 * Device scratch for max_rows x n_pad on the given cudaStream_t. Every call
 * queues its kernels on that stream; the loss calls end with one copy of the
 * sums to the host and a stream sync. Errors: -1 with err set. */
typedef struct ccx_rl_cuda ccx_rl_cuda;

ccx_rl_cuda *ccx_rl_cuda_create(void *stream, int max_rows, int n_pad, ccx_error *err);
void ccx_rl_cuda_free(ccx_rl_cuda *c);
int ccx_rl_cuda_sample(ccx_rl_cuda *c, const float *logits, int n, int N, float temperature,
                       uint64_t seed, uint64_t stream_offset, int greedy, int32_t *actions,
                       float *logp, ccx_error *err);
int ccx_rl_cuda_ppo_loss(ccx_rl_cuda *c, const ccx_ppo_loss_params *hp, const float *logits,
                         const float *values, int n, int N, const int32_t *idx,
                         const int32_t *actions, const float *old_logp, const float *adv,
                         const float *returns, const uint8_t *valid, float *dlogits,
                         float *dvalue, ccx_rl_sums *sums, ccx_error *err);
int ccx_rl_cuda_az_loss(ccx_rl_cuda *c, const float *logits, const float *values, int n, int N,
                        const int32_t *idx, const float *target_pi, const float *target_v,
                        float value_weight, float weight, float *dlogits, float *dvalue,
                        ccx_rl_sums *sums, ccx_error *err);
int ccx_rl_cuda_gather(ccx_rl_cuda *c, void *dst, const void *src, const int32_t *idx, int n,
                       size_t row_bytes, ccx_error *err);

#ifdef __cplusplus
}
#endif
#endif
