/* The cpu backend of rl_ops.h: the reference cuda/rl_kernels.cu is tested
 * against (tests/test_rl_ops_cuda.cc). Plain C, one row at a time; loops
 * over rows run on OpenMP threads when the build has OpenMP (every row is
 * independent and the sums over rows are taken afterwards in row order, so
 * results do not depend on the thread count). Arguments were checked by
 * rl_ops.c. Shapes: logits/dlogits [n][N], per-sample arrays [n] or, read
 * through idx, [>= max idx + 1]. */
#include <math.h>
#include <string.h>

#include "rl/rl_ops_internal.h"
#include "util/philox.h"

#ifdef _OPENMP
#define CCX_PRAGMA(x) _Pragma(#x)
#define CCX_PAR_FOR(n) CCX_PRAGMA(omp parallel for schedule(static) if ((n) >= 64))
#else
#define CCX_PAR_FOR(n)
#endif

/* max over unmasked slots of row l [N]; -INFINITY if none */
static float row_max(const float *l, int N) {
    float m = -INFINITY;
    for (int j = 0; j < N; j++)
        if (ccx_rl_unmasked(l[j])) m = fmaxf(m, l[j]);
    return m;
}

/* log sum_j exp(l_j - m) over unmasked slots (sums over a row are kept in
 * double here: the device's tree sums are about as accurate, a float serial
 * sum over thousands of slots would not be) */
static float row_logsum(const float *l, int N, float m) {
    double s = 0.0;
    for (int j = 0; j < N; j++)
        if (ccx_rl_unmasked(l[j])) s += (double)expf(l[j] - m);
    return logf((float)s);
}

/* ---------------------------------------------------------------- sample --
 * logits [n][N] -> actions [n], logp [n] (may be NULL). Row i draws the first
 * number of Philox(seed, subsequence = stream_offset + i, offset = 0). */
void ccx_rl_cpu_sample(const float *logits, int n, int N, float temperature, uint64_t seed,
                       uint64_t stream_offset, int greedy, int32_t *actions, float *logp) {
    CCX_PAR_FOR(n)
    for (int i = 0; i < n; i++) {
        const float *l = logits + (size_t)i * (size_t)N;
        float m = -INFINITY;
        int arg = -1, last = -1;
        for (int j = 0; j < N; j++) {
            if (!ccx_rl_unmasked(l[j])) continue;
            if (arg < 0 || l[j] > m) { /* strict: lowest index on ties */
                m = l[j];
                arg = j;
            }
            last = j;
        }
        if (arg < 0) {
            actions[i] = -1;
            if (logp) logp[i] = 0.0f;
            continue;
        }
        /* weights w_j = exp((l_j - m) / T), summed in float in slot order
         * (greedy: only for logp, in double) */
        float total = 0.0f;
        double total_d = 0.0;
        for (int j = 0; j < N; j++) {
            if (!ccx_rl_unmasked(l[j])) continue;
            float w = ccx_rl_sample_exp((l[j] - m) / temperature);
            total += w;
            total_d += (double)w;
        }
        int a = arg;
        if (greedy) {
            total = (float)total_d;
        } else {
            ccx_philox ph;
            ccx_philox_init(&ph, seed, stream_offset + (uint64_t)i, 0);
            float thr = CCX_RL_MUL(ccx_rl_uniform(ccx_philox_next(&ph)), total);
            float c = 0.0f;
            a = last; /* if rounding leaves no crossing */
            for (int j = 0; j < N; j++) {
                if (ccx_rl_unmasked(l[j])) c += ccx_rl_sample_exp((l[j] - m) / temperature);
                if (c > thr) {
                    a = j;
                    break;
                }
            }
        }
        actions[i] = a;
        if (logp) logp[i] = (l[a] - m) / temperature - logf(total);
    }
}

/* Sum the per-row statistics in row order; the first refused row. */
static void sum_rows(const ccx_rl_row_stats *rows, int n, ccx_rl_sums *sums) {
    memset(sums, 0, sizeof *sums);
    sums->bad_row = -1;
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < 6; k++) sums->v[k] += (double)rows[i].v[k];
        if (rows[i].bad && sums->bad_row < 0) {
            sums->bad_row = i;
            sums->bad_val = rows[i].val;
        }
    }
}

/* -------------------------------------------------------------- PPO loss --
 * See rl_ops.h. A row contributes (grads, stats) iff valid and it has an
 * unmasked slot and its action is one; a valid row with an unmasked slot
 * whose action is not one is refused (bad). */
void ccx_rl_cpu_ppo_loss(const ccx_ppo_loss_params *hp, const float *logits, const float *values,
                         int n, int N, const int32_t *idx, const int32_t *actions,
                         const float *old_logp, const float *adv, const float *returns,
                         const uint8_t *valid, float *dlogits, float *dvalue,
                         ccx_rl_row_stats *rows, ccx_rl_sums *sums) {
    const float w = hp->weight;
    CCX_PAR_FOR(n)
    for (int i = 0; i < n; i++) {
        const float *l = logits + (size_t)i * (size_t)N;
        float *dl = dlogits + (size_t)i * (size_t)N;
        ccx_rl_row_stats *st = &rows[i];
        memset(st, 0, sizeof *st);
        const int k = idx ? idx[i] : i;
        int ok = !valid || valid[k];
        float m = ok ? row_max(l, N) : -INFINITY;
        if (!ccx_rl_unmasked(m)) ok = 0; /* no unmasked slot: the row is invalid */
        int a = -1;
        if (ok) {
            a = actions[k];
            if (a < 0 || a >= N || !ccx_rl_unmasked(l[a])) {
                st->bad = 1;
                st->val = a;
                ok = 0;
            }
        }
        if (!ok) {
            memset(dl, 0, (size_t)N * sizeof *dl);
            dvalue[i] = 0.0f;
            continue;
        }
        const float logs = row_logsum(l, N, m);
        double plp = 0.0; /* sum p lp */
        for (int j = 0; j < N; j++) {
            if (!ccx_rl_unmasked(l[j])) continue;
            float lp = (l[j] - m) - logs;
            plp += (double)(expf(lp) * lp);
        }
        const float ent = (float)-plp;
        ccx_rl_ppo_row r;
        ccx_rl_ppo_scalar(hp->clip, (l[a] - m) - logs, old_logp[k], adv[k], values[i],
                          returns[k], &r);
        for (int j = 0; j < N; j++) {
            if (!ccx_rl_unmasked(l[j])) {
                dl[j] = 0.0f;
                continue;
            }
            float lp = (l[j] - m) - logs;
            dl[j] = w * ccx_rl_ppo_dlogit(r.g_lp, hp->ent_coef, expf(lp), lp, ent, j == a);
        }
        dvalue[i] = w * (hp->vf_coef * r.dv);
        st->v[0] = r.pg;
        st->v[1] = r.vloss;
        st->v[2] = ent;
        st->v[3] = r.kl;
        st->v[4] = r.clipped;
        st->v[5] = 1.0f;
    }
    sum_rows(rows, n, sums);
}

/* --------------------------------------------------------------- AZ loss --
 * See rl_ops.h. dlogits = weight * (p * sum(pi) - pi), the exact gradient of
 * the cross-entropy (= weight * (p - pi) for a distribution pi). A row with
 * no unmasked slot has no policy terms (0 grads) but keeps its value loss.
 * A nonzero target_pi at a masked slot is refused (bad, val = the slot). */
void ccx_rl_cpu_az_loss(const float *logits, const float *values, int n, int N,
                        const int32_t *idx, const float *target_pi, const float *target_v,
                        float value_weight, float weight, float *dlogits, float *dvalue,
                        ccx_rl_row_stats *rows, ccx_rl_sums *sums) {
    CCX_PAR_FOR(n)
    for (int i = 0; i < n; i++) {
        const float *l = logits + (size_t)i * (size_t)N;
        float *dl = dlogits + (size_t)i * (size_t)N;
        const int k = idx ? idx[i] : i;
        const float *pi = target_pi + (size_t)k * (size_t)N;
        ccx_rl_row_stats *st = &rows[i];
        memset(st, 0, sizeof *st);
        for (int j = 0; j < N; j++)
            if (!ccx_rl_unmasked(l[j]) && pi[j] != 0.0f) {
                st->bad = 1;
                st->val = j;
                break;
            }
        const float m = row_max(l, N);
        double ce = 0.0, plp = 0.0, kl = 0.0, spi_d = 0.0;
        if (ccx_rl_unmasked(m) && !st->bad) {
            const float logs = row_logsum(l, N, m);
            for (int j = 0; j < N; j++) {
                if (!ccx_rl_unmasked(l[j])) continue;
                float lp = (l[j] - m) - logs;
                ce -= (double)(pi[j] * lp);
                plp += (double)(expf(lp) * lp);
                spi_d += (double)pi[j];
                if (pi[j] > 0.0f) kl += (double)(pi[j] * (logf(pi[j]) - lp));
            }
            const float spi = (float)spi_d;
            for (int j = 0; j < N; j++) {
                if (!ccx_rl_unmasked(l[j])) {
                    dl[j] = 0.0f;
                    continue;
                }
                float p = expf((l[j] - m) - logs);
                dl[j] = weight * (p * spi - pi[j]);
            }
        } else {
            memset(dl, 0, (size_t)N * sizeof *dl);
        }
        const float dv = values[i] - target_v[k];
        dvalue[i] = weight * (value_weight * dv);
        st->v[0] = (float)ce;
        st->v[1] = 0.5f * (dv * dv);
        st->v[2] = (float)-plp;
        st->v[3] = (float)kl;
        st->v[4] = 0.0f;
        st->v[5] = 1.0f;
    }
    sum_rows(rows, n, sums);
}

/* ---------------------------------------------------------------- gathers */
void ccx_rl_cpu_gather(void *dst, const void *src, const int32_t *idx, int n, size_t row_bytes) {
    CCX_PAR_FOR(n)
    for (int i = 0; i < n; i++)
        memcpy((char *)dst + (size_t)i * row_bytes,
               (const char *)src + (size_t)idx[i] * row_bytes, row_bytes);
}
