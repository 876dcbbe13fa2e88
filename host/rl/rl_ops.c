/* rl_ops.h: argument checks, the backend choice (the env's), the wording of
 * refusals and the stats bookkeeping; the work is in rl_ops_cpu.c and
 * cuda/rl_kernels.cu. */
#include "rl/rl_ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rl/rl_ops_internal.h"

struct ccx_rl {
    ccx_backend backend;
    int max_rows, n_pad;
    ccx_rl_row_stats *rows; /* cpu: host [max_rows] */
#ifdef CCX_HAVE_CUDA
    ccx_rl_cuda *cuda;      /* cuda: device scratch, the env's stream */
#endif
};

ccx_rl *ccx_rl_create(const ccx_env *env, int max_rows, int n_pad, ccx_error *err) {
    if (!env) {
        ccx_error_set(err, "rl: no env given");
        return NULL;
    }
    if (max_rows < 1 || n_pad < 1) {
        ccx_error_set(err, "rl: max_rows %d and n_pad %d must be >= 1", max_rows, n_pad);
        return NULL;
    }
    if ((size_t)max_rows * (size_t)n_pad > ((size_t)1 << 31)) {
        ccx_error_set(err, "rl: max_rows %d x n_pad %d is too large", max_rows, n_pad);
        return NULL;
    }
    ccx_rl *rl = calloc(1, sizeof *rl);
    if (!rl) {
        ccx_error_set(err, "out of memory");
        return NULL;
    }
    rl->backend = ccx_env_get_backend(env);
    rl->max_rows = max_rows;
    rl->n_pad = n_pad;
    if (rl->backend == CCX_BACKEND_CPU) {
        rl->rows = calloc((size_t)max_rows, sizeof *rl->rows);
        if (!rl->rows) {
            free(rl);
            ccx_error_set(err, "out of memory (rl scratch for %d rows)", max_rows);
            return NULL;
        }
        return rl;
    }
#ifdef CCX_HAVE_CUDA
    rl->cuda = ccx_rl_cuda_create(ccx_env_stream(env), max_rows, n_pad, err);
    if (rl->cuda) return rl;
#else
    ccx_error_set(err, "rl: backend cuda: this ccx was built without CUDA");
#endif
    free(rl);
    return NULL;
}

void ccx_rl_free(ccx_rl *rl) {
    if (!rl) return;
#ifdef CCX_HAVE_CUDA
    ccx_rl_cuda_free(rl->cuda);
#endif
    free(rl->rows);
    free(rl);
}

static int check_shape(const ccx_rl *rl, const char *op, int n, int N, ccx_error *err) {
    if (!rl) return ccx_error_set(err, "%s: rl is NULL", op);
    if (n < 0 || n > rl->max_rows)
        return ccx_error_set(err, "%s: %d rows; this rl holds 0..%d", op, n, rl->max_rows);
    if (N < 1 || N > rl->n_pad)
        return ccx_error_set(err, "%s: %d slots per row; this rl holds 1..%d", op, N, rl->n_pad);
    return 0;
}

#define NEED(p, op, name) \
    if (!(p)) return ccx_error_set(err, "%s: %s is NULL", op, name)

int ccx_rl_sample(ccx_rl *rl, const float *logits, int n, int N, float temperature,
                  uint64_t seed, uint64_t stream_offset, int greedy, int32_t *actions,
                  float *logp, ccx_error *err) {
    if (check_shape(rl, "sample", n, N, err)) return -1;
    if (!greedy && !(temperature > 0.0f && isfinite(temperature)))
        return ccx_error_set(err, "sample: temperature %g must be positive and finite",
                             (double)temperature);
    if (greedy && !(temperature > 0.0f && isfinite(temperature))) temperature = 1.0f;
    if (n == 0) return 0;
    NEED(logits, "sample", "logits");
    NEED(actions, "sample", "actions");
    if (rl->backend == CCX_BACKEND_CPU) {
        ccx_rl_cpu_sample(logits, n, N, temperature, seed, stream_offset, greedy, actions, logp);
        return 0;
    }
#ifdef CCX_HAVE_CUDA
    return ccx_rl_cuda_sample(rl->cuda, logits, n, N, temperature, seed, stream_offset, greedy,
                              actions, logp, err);
#else
    return ccx_error_set(err, "sample: built without CUDA");
#endif
}

static void add_stats(ccx_ppo_loss_stats *stats, const ccx_rl_sums *s) {
    if (!stats) return;
    stats->policy_loss += s->v[0];
    stats->value_loss += s->v[1];
    stats->entropy += s->v[2];
    stats->approx_kl += s->v[3];
    stats->clip_frac += s->v[4];
    stats->rows += s->v[5];
}

int ccx_rl_ppo_loss(ccx_rl *rl, const ccx_ppo_loss_params *hp, const float *logits,
                    const float *values, int n, int N, const int32_t *idx,
                    const int32_t *actions, const float *old_logp, const float *adv,
                    const float *returns, const uint8_t *valid, float *dlogits, float *dvalue,
                    ccx_ppo_loss_stats *stats, ccx_error *err) {
    const char *op = "ppo_loss";
    if (check_shape(rl, op, n, N, err)) return -1;
    NEED(hp, op, "hp");
    if (!(hp->clip >= 0.0f) || !isfinite(hp->clip) || !isfinite(hp->vf_coef) ||
        !isfinite(hp->ent_coef) || !isfinite(hp->weight))
        return ccx_error_set(err, "%s: clip %g must be >= 0 and vf_coef %g, ent_coef %g, weight "
                                  "%g finite", op, (double)hp->clip, (double)hp->vf_coef,
                             (double)hp->ent_coef, (double)hp->weight);
    if (n == 0) return 0;
    NEED(logits, op, "logits");
    NEED(values, op, "values");
    NEED(actions, op, "actions");
    NEED(old_logp, op, "old_logp");
    NEED(adv, op, "adv");
    NEED(returns, op, "returns");
    NEED(dlogits, op, "dlogits");
    NEED(dvalue, op, "dvalue");
    ccx_rl_sums sums;
    if (rl->backend == CCX_BACKEND_CPU) {
        ccx_rl_cpu_ppo_loss(hp, logits, values, n, N, idx, actions, old_logp, adv, returns, valid,
                            dlogits, dvalue, rl->rows, &sums);
    } else {
#ifdef CCX_HAVE_CUDA
        if (ccx_rl_cuda_ppo_loss(rl->cuda, hp, logits, values, n, N, idx, actions, old_logp, adv,
                                 returns, valid, dlogits, dvalue, &sums, err))
            return -1;
#else
        return ccx_error_set(err, "%s: built without CUDA", op);
#endif
    }
    if (sums.bad_row >= 0)
        return ccx_error_set(err, "%s: row %d: action %d is not an unmasked slot of its logits "
                                  "(0..%d)", op, sums.bad_row, sums.bad_val, N - 1);
    add_stats(stats, &sums);
    return 0;
}

int ccx_rl_az_loss(ccx_rl *rl, const float *logits, const float *values, int n, int N,
                   const int32_t *idx, const float *target_pi, const float *target_v,
                   float value_weight, float weight, float *dlogits, float *dvalue,
                   ccx_ppo_loss_stats *stats, ccx_error *err) {
    const char *op = "az_loss";
    if (check_shape(rl, op, n, N, err)) return -1;
    if (!isfinite(value_weight) || !isfinite(weight))
        return ccx_error_set(err, "%s: value_weight %g and weight %g must be finite", op,
                             (double)value_weight, (double)weight);
    if (n == 0) return 0;
    NEED(logits, op, "logits");
    NEED(values, op, "values");
    NEED(target_pi, op, "target_pi");
    NEED(target_v, op, "target_v");
    NEED(dlogits, op, "dlogits");
    NEED(dvalue, op, "dvalue");
    ccx_rl_sums sums;
    if (rl->backend == CCX_BACKEND_CPU) {
        ccx_rl_cpu_az_loss(logits, values, n, N, idx, target_pi, target_v, value_weight, weight,
                           dlogits, dvalue, rl->rows, &sums);
    } else {
#ifdef CCX_HAVE_CUDA
        if (ccx_rl_cuda_az_loss(rl->cuda, logits, values, n, N, idx, target_pi, target_v,
                                value_weight, weight, dlogits, dvalue, &sums, err))
            return -1;
#else
        return ccx_error_set(err, "%s: built without CUDA", op);
#endif
    }
    if (sums.bad_row >= 0)
        return ccx_error_set(err, "%s: row %d: target_pi is nonzero at masked slot %d (a target "
                                  "policy puts mass on unmasked slots only)", op, sums.bad_row,
                             sums.bad_val);
    add_stats(stats, &sums);
    return 0;
}

int ccx_rl_gather(ccx_rl *rl, void *dst, const void *src, const int32_t *idx, int n,
                  size_t row_bytes, ccx_error *err) {
    const char *op = "gather";
    if (!rl) return ccx_error_set(err, "%s: rl is NULL", op);
    if (n < 0) return ccx_error_set(err, "%s: negative count %d", op, n);
    if (row_bytes % 4) return ccx_error_set(err, "%s: row_bytes %zu is not a multiple of 4", op,
                                            row_bytes);
    if (n == 0 || row_bytes == 0) return 0;
    NEED(dst, op, "dst");
    NEED(src, op, "src");
    NEED(idx, op, "idx");
    if (rl->backend == CCX_BACKEND_CPU) {
        ccx_rl_cpu_gather(dst, src, idx, n, row_bytes);
        return 0;
    }
#ifdef CCX_HAVE_CUDA
    return ccx_rl_cuda_gather(rl->cuda, dst, src, idx, n, row_bytes, err);
#else
    return ccx_error_set(err, "%s: built without CUDA", op);
#endif
}
