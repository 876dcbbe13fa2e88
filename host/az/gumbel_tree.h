/* The per-tree logic of the Gumbel MuZero search (host/az/gumbel.h): root
 * initialisation, selection, expansion + backup and the outputs, as inline
 * functions compiled into both the cpu loop (host/az/gumbel_cpu.c) and the
 * cuda kernels (cuda/gumbel_kernels.cu, one thread per tree), so the twins
 * agree by construction (the pattern of env/env.h).
 *
 * Bit-exactness between the two: every multiplication and division goes
 * through ccx_gz_mul / ccx_gz_div (__fmul_rn / __fdiv_rn on the device:
 * never contracted into a fused multiply-add; the x86-64 host has no FMA
 * unless built with -mfma), and exp / log are the polynomials below rather
 * than libm's or CUDA's (which differ in the last bits). Sums run in slot
 * order. Internal to host/az and cuda/; C and C++ (nvcc) alike. */
#ifndef CCX_AZ_GUMBEL_TREE_H
#define CCX_AZ_GUMBEL_TREE_H

#include <stdint.h>
#include <string.h>

#include "nn/model.h"
#include "util/hd.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CCX_GZ_FLT_MIN 0x1p-126f        /* mctx: jnp.finfo(float32).tiny */
#define CCX_GZ_EPS 1e-8f               /* mctx: rescale epsilon */
#define CCX_GZ_LOW_LOGIT (-1e9f)       /* mctx seq_halving low_logit */

/* The B trees: every array in the backend's memory, tree-major. */
typedef struct {
    int32_t B, S, M, N, W, K; /* trees, simulations, nodes per tree (S+1), slots, N/32, k */
    float gumbel_scale, value_scale, maxvisit_init, reward_scale;
    int32_t rescale_values;
    /* per node [B][M] */
    int32_t *visits, *parent, *action, *depth, *terminal;
    float *value_sum, *raw_value, *reward;
    /* per node and slot */
    int32_t *children; /* [B][M][N], -1 = unexpanded */
    float *logits;     /* [B][M][N], masked */
    uint32_t *legal;   /* [B][M][W] legal bits */
    /* per tree */
    float *gumbel;     /* [B][N] */
    float *work;       /* [B][2N] scratch: completed q, probabilities */
    int32_t *n_considered, *active; /* [B] */
    int32_t *sel_parent, *sel_action, *sel_leaf; /* [B] this simulation's selection */
    const int32_t *table; /* [K+1][S] considered visits (mctx table) */
} ccx_gz_trees;

/* ---- exact float helpers ---- */
CCX_HD float ccx_gz_mul(float a, float b) {
#if defined(__CUDA_ARCH__)
    return __fmul_rn(a, b);
#else
    return a * b;
#endif
}
CCX_HD float ccx_gz_div(float a, float b) {
#if defined(__CUDA_ARCH__)
    return __fdiv_rn(a, b);
#else
    return a / b;
#endif
}
CCX_HD uint32_t ccx_gz_f2u(float f) {
#if defined(__CUDA_ARCH__)
    return __float_as_uint(f);
#else
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
#endif
}
CCX_HD float ccx_gz_u2f(uint32_t u) {
#if defined(__CUDA_ARCH__)
    return __uint_as_float(u);
#else
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
#endif
}

/* exp(x), relative error ~1e-7; 0 for x <= -87 (and NaN), x clamped at 88.
 * Cody-Waite reduction x = k ln2 + r, |r| <= ln2/2, degree-7 Taylor. */
CCX_HD float ccx_gz_exp(float x) {
    if (!(x > -87.0f)) return 0.0f;
    if (x > 88.0f) x = 88.0f;
    float t = ccx_gz_mul(x, 0x1.715476p+0f); /* log2(e) */
    int k = (int)(t >= 0.0f ? t + 0.5f : t - 0.5f);
    float kf = (float)k;
    float r = x - ccx_gz_mul(kf, 0x1.62e4p-1f); /* ln2 hi (0.693145751953125): exact product */
    r = r - ccx_gz_mul(kf, 0x1.7f7d1cp-20f);    /* ln2 lo (1.4286068e-6) */
    /* 1/7!, 1/6!, ..., as hex literals: the same bits in every compiler */
    float p = 0x1.a01a02p-13f;
    p = ccx_gz_mul(p, r) + 0x1.6c16c2p-10f;
    p = ccx_gz_mul(p, r) + 0x1.111112p-7f;
    p = ccx_gz_mul(p, r) + 0x1.555556p-5f;
    p = ccx_gz_mul(p, r) + 0x1.555556p-3f;
    p = ccx_gz_mul(p, r) + 0.5f;
    p = ccx_gz_mul(p, r) + 1.0f;
    p = ccx_gz_mul(p, r) + 1.0f;
    return ccx_gz_mul(p, ccx_gz_u2f((uint32_t)(k + 127) << 23));
}

/* log(x) for a positive normal x, absolute error ~1e-7:
 * x = m 2^e, m in [sqrt(1/2), sqrt(2)), log m = 2 atanh((m-1)/(m+1)). */
CCX_HD float ccx_gz_log(float x) {
    uint32_t u = ccx_gz_f2u(x);
    int e = (int)((u >> 23) & 0xffu) - 127;
    float m = ccx_gz_u2f((u & 0x7fffffu) | 0x3f800000u);
    if (m > 0x1.6a09e6p+0f) { /* sqrt(2) */
        m = ccx_gz_mul(m, 0.5f);
        e += 1;
    }
    float f = m - 1.0f;
    float s = ccx_gz_div(f, 2.0f + f);
    float s2 = ccx_gz_mul(s, s);
    float p = 0x1.745d18p-4f;                 /* 1/11 */
    p = ccx_gz_mul(p, s2) + 0x1.c71c72p-4f;   /* 1/9 */
    p = ccx_gz_mul(p, s2) + 0x1.24924ap-3f;   /* 1/7 */
    p = ccx_gz_mul(p, s2) + 0x1.99999ap-3f;   /* 1/5 */
    p = ccx_gz_mul(p, s2) + 0x1.555556p-2f;   /* 1/3 */
    p = ccx_gz_mul(p, s2) + 1.0f;
    float lm = ccx_gz_mul(ccx_gz_mul(2.0f, s), p);
    float ef = (float)e;
    return ccx_gz_mul(ef, 0x1.62e4p-1f) + (ccx_gz_mul(ef, 0x1.7f7d1cp-20f) + lm);
}

/* Standard Gumbel from one 32-bit draw: u = (2 (r >> 9) + 1) / 2^24 in (0, 1)
 * (exact in float), g = -log(-log u). */
CCX_HD float ccx_gz_gumbel(uint32_t r) {
    float u = ccx_gz_mul((float)(2u * (r >> 9) + 1u), 0x1p-24f);
    return -ccx_gz_log(-ccx_gz_log(u));
}

/* ---- per-tree indexing ---- */
CCX_HD size_t ccx_gz_node(const ccx_gz_trees *T, int b, int x) {
    return (size_t)b * (size_t)T->M + (size_t)x;
}
CCX_HD int ccx_gz_is_legal(const ccx_gz_trees *T, int b, int x, int a) {
    return (int)((T->legal[ccx_gz_node(T, b, x) * (size_t)T->W + (size_t)(a >> 5)] >> (a & 31)) & 1u);
}

/* Fill node x's prior logits (masked), legal bits and children from the
 * evaluator's row and the legal mask row; returns the number of legal slots. */
CCX_HD int ccx_gz_fill_node(const ccx_gz_trees *T, int b, int x, const float *logit_row,
                                   const uint8_t *legal_row) {
    size_t n = ccx_gz_node(T, b, x);
    float *lg = T->logits + n * (size_t)T->N;
    int32_t *ch = T->children + n * (size_t)T->N;
    uint32_t *lb = T->legal + n * (size_t)T->W;
    int count = 0;
    for (int w = 0; w < T->W; w++) lb[w] = 0;
    for (int a = 0; a < T->N; a++) {
        ch[a] = -1;
        if (legal_row[a]) {
            lb[a >> 5] |= 1u << (a & 31);
            lg[a] = logit_row[a];
            count++;
        } else {
            lg[a] = CCX_NN_MASKED_LOGIT;
        }
    }
    return count;
}

/* Root of tree b from the roots' evaluation (the caller has written
 * T->gumbel row b). */
CCX_HD void ccx_gz_root_init(const ccx_gz_trees *T, int b, const float *logit_row,
                                    float value, const uint8_t *legal_row) {
    size_t r = ccx_gz_node(T, b, 0);
    int count = ccx_gz_fill_node(T, b, 0, logit_row, legal_row);
    T->parent[r] = -1;
    T->action[r] = -1;
    T->depth[r] = 0;
    T->reward[r] = 0.0f;
    T->visits[r] = 1;
    T->terminal[r] = count == 0;
    T->active[b] = count > 0;
    T->raw_value[r] = count > 0 ? value : 0.0f;
    T->value_sum[r] = T->raw_value[r];
    T->n_considered[b] = count < T->K ? count : T->K;
    T->sel_parent[b] = 0;
    T->sel_action[b] = -1;
    T->sel_leaf[b] = -1;
}

/* Visit count of child a of node x (0 if unexpanded). */
CCX_HD int ccx_gz_child_visits(const ccx_gz_trees *T, int b, int x, int a) {
    int c = T->children[ccx_gz_node(T, b, x) * (size_t)T->N + (size_t)a];
    return c < 0 ? 0 : T->visits[ccx_gz_node(T, b, c)];
}

/* Completed, transformed Q-values of node x (mctx
 * qtransform_completed_by_mix_value): cq[a] for the legal slots a; prob[a]
 * = prior probabilities (softmax of the logits over the legal slots).
 * *sum_n, *max_n: sum and max of the children's visit counts. */
CCX_HD void ccx_gz_completed_q(const ccx_gz_trees *T, int b, int x, float *cq, float *prob,
                                      int *sum_n, int *max_n) {
    size_t n = ccx_gz_node(T, b, x);
    const float *lg = T->logits + n * (size_t)T->N;
    const int32_t *ch = T->children + n * (size_t)T->N;
    float mx = CCX_NN_MASKED_LOGIT;
    int sn = 0, mn = 0;
    for (int a = 0; a < T->N; a++) {
        if (!ccx_gz_is_legal(T, b, x, a)) continue;
        if (lg[a] > mx) mx = lg[a];
        int c = ch[a];
        int v = c < 0 ? 0 : T->visits[ccx_gz_node(T, b, c)];
        sn += v;
        if (v > mn) mn = v;
    }
    float z = 0.0f;
    for (int a = 0; a < T->N; a++) {
        if (!ccx_gz_is_legal(T, b, x, a)) continue;
        prob[a] = ccx_gz_exp(lg[a] - mx);
        z += prob[a];
    }
    float sum_p = 0.0f;
    for (int a = 0; a < T->N; a++) {
        if (!ccx_gz_is_legal(T, b, x, a)) continue;
        float p = ccx_gz_div(prob[a], z);
        if (p < CCX_GZ_FLT_MIN) p = CCX_GZ_FLT_MIN;
        prob[a] = p;
        int c = ch[a];
        if (c >= 0 && T->visits[ccx_gz_node(T, b, c)] > 0) {
            size_t cn = ccx_gz_node(T, b, c);
            cq[a] = T->reward[cn] + ccx_gz_div(T->value_sum[cn], (float)T->visits[cn]);
            sum_p += p;
        }
    }
    float wq = 0.0f;
    for (int a = 0; a < T->N; a++) {
        if (!ccx_gz_is_legal(T, b, x, a)) continue;
        if (ccx_gz_child_visits(T, b, x, a) > 0) wq += ccx_gz_div(ccx_gz_mul(prob[a], cq[a]), sum_p);
    }
    float vmix = ccx_gz_div(T->raw_value[n] + ccx_gz_mul((float)sn, wq), (float)sn + 1.0f);
    float lo = vmix, hi = vmix;
    for (int a = 0; a < T->N; a++) {
        if (!ccx_gz_is_legal(T, b, x, a)) continue;
        if (ccx_gz_child_visits(T, b, x, a) == 0) cq[a] = vmix;
        if (cq[a] < lo) lo = cq[a];
        if (cq[a] > hi) hi = cq[a];
    }
    float den = hi - lo;
    if (den < CCX_GZ_EPS) den = CCX_GZ_EPS;
    float scale = ccx_gz_mul(T->maxvisit_init + (float)mn, T->value_scale);
    for (int a = 0; a < T->N; a++) {
        if (!ccx_gz_is_legal(T, b, x, a)) continue;
        float q = T->rescale_values ? ccx_gz_div(cq[a] - lo, den) : cq[a];
        cq[a] = ccx_gz_mul(scale, q);
    }
    *sum_n = sn;
    *max_n = mn;
}

/* prob[a] = softmax(logits + cq) over the legal slots of node x (pi'). */
CCX_HD void ccx_gz_improved_policy(const ccx_gz_trees *T, int b, int x, const float *cq,
                                          float *prob) {
    const float *lg = T->logits + ccx_gz_node(T, b, x) * (size_t)T->N;
    float mx = -3.0e38f;
    for (int a = 0; a < T->N; a++)
        if (ccx_gz_is_legal(T, b, x, a) && lg[a] + cq[a] > mx) mx = lg[a] + cq[a];
    float z = 0.0f;
    for (int a = 0; a < T->N; a++) {
        if (!ccx_gz_is_legal(T, b, x, a)) continue;
        prob[a] = ccx_gz_exp((lg[a] + cq[a]) - mx);
        z += prob[a];
    }
    for (int a = 0; a < T->N; a++)
        if (ccx_gz_is_legal(T, b, x, a)) prob[a] = ccx_gz_div(prob[a], z);
}

/* The root score of sequential halving (mctx score_considered) among the
 * legal actions whose visit count is `considered`; -1 if none has it. */
CCX_HD int ccx_gz_root_argmax(const ccx_gz_trees *T, int b, const float *cq, int considered) {
    const float *lg = T->logits + ccx_gz_node(T, b, 0) * (size_t)T->N;
    const float *g = T->gumbel + (size_t)b * (size_t)T->N;
    float mx = CCX_NN_MASKED_LOGIT;
    for (int a = 0; a < T->N; a++)
        if (ccx_gz_is_legal(T, b, 0, a) && lg[a] > mx) mx = lg[a];
    int best = -1;
    float best_s = 0.0f;
    for (int a = 0; a < T->N; a++) {
        if (!ccx_gz_is_legal(T, b, 0, a)) continue;
        if (considered >= 0 && ccx_gz_child_visits(T, b, 0, a) != considered) continue;
        float s = g[a] + (lg[a] - mx) + cq[a];
        if (s < CCX_GZ_LOW_LOGIT) s = CCX_GZ_LOW_LOGIT;
        if (best < 0 || s > best_s) {
            best = a;
            best_s = s;
        }
    }
    return best;
}

/* One simulation's selection in tree b: sel_parent / sel_action (node id,
 * -1: nothing to expand) / sel_leaf (the node the backup starts from: sim +
 * 1 for an expansion, a terminal node reached again, -1 if inactive). */
CCX_HD void ccx_gz_select(const ccx_gz_trees *T, int b, int sim) {
    T->sel_parent[b] = 0;
    T->sel_action[b] = -1;
    T->sel_leaf[b] = -1;
    if (!T->active[b]) return;
    float *cq = T->work + (size_t)b * 2 * (size_t)T->N;
    float *prob = cq + T->N;
    int x = 0;
    for (;;) {
        int sn, mn, a;
        ccx_gz_completed_q(T, b, x, cq, prob, &sn, &mn);
        if (x == 0) {
            int m = T->n_considered[b];
            int considered = T->table[(size_t)m * (size_t)T->S + (size_t)sn];
            a = ccx_gz_root_argmax(T, b, cq, considered);
            if (a < 0) a = ccx_gz_root_argmax(T, b, cq, -1);
        } else {
            ccx_gz_improved_policy(T, b, x, cq, prob);
            float den = 1.0f + (float)sn, best_s = 0.0f;
            a = -1;
            for (int s = 0; s < T->N; s++) {
                if (!ccx_gz_is_legal(T, b, x, s)) continue;
                float v = prob[s] - ccx_gz_div((float)ccx_gz_child_visits(T, b, x, s), den);
                if (a < 0 || v > best_s) {
                    a = s;
                    best_s = v;
                }
            }
        }
        int c = T->children[ccx_gz_node(T, b, x) * (size_t)T->N + (size_t)a];
        if (c < 0) {
            T->sel_parent[b] = x;
            T->sel_action[b] = a;
            T->sel_leaf[b] = sim + 1;
            return;
        }
        if (T->terminal[ccx_gz_node(T, b, c)]) {
            T->sel_parent[b] = c;
            T->sel_leaf[b] = c;
            return;
        }
        x = c;
    }
}

/* The node slab the scratch env of tree b is restored from this simulation:
 * the parent of the expansion, the terminal node reached, or the root. */
CCX_HD int ccx_gz_restore_node(const ccx_gz_trees *T, int b) {
    return T->sel_parent[b];
}

/* Expand (if the selection asked for it) and back up in tree b: cost =
 * the step's cost, logit_row / value / legal_row = the evaluation of the
 * stepped scratch env of tree b. */
CCX_HD void ccx_gz_expand_backup(const ccx_gz_trees *T, int b, int sim, int64_t cost,
                                        const float *logit_row, float value,
                                        const uint8_t *legal_row) {
    int leaf = T->sel_leaf[b], fresh = sim + 1;
    if (leaf != fresh) { /* slot sim + 1 stays unused in this tree */
        size_t u = ccx_gz_node(T, b, fresh);
        T->visits[u] = 0;
        T->parent[u] = -1;
        T->action[u] = -1;
        T->depth[u] = 0;
        T->terminal[u] = 0;
        T->value_sum[u] = 0.0f;
        T->raw_value[u] = 0.0f;
        T->reward[u] = 0.0f;
    }
    if (leaf < 0) return;
    float lv;
    size_t ln = ccx_gz_node(T, b, leaf);
    if (leaf == fresh) {
        int p = T->sel_parent[b], a = T->sel_action[b];
        size_t pn = ccx_gz_node(T, b, p);
        T->children[pn * (size_t)T->N + (size_t)a] = leaf;
        T->parent[ln] = p;
        T->action[ln] = a;
        T->depth[ln] = T->depth[pn] + 1;
        T->reward[ln] = ccx_gz_mul(-(float)cost, T->reward_scale);
        int count = ccx_gz_fill_node(T, b, leaf, logit_row, legal_row);
        T->terminal[ln] = count == 0;
        T->raw_value[ln] = count == 0 ? 0.0f : value;
        T->visits[ln] = 1;
        T->value_sum[ln] = T->raw_value[ln];
        lv = T->raw_value[ln];
    } else { /* a terminal node reached again: its value is 0 */
        T->visits[ln] += 1;
        lv = 0.0f;
    }
    for (int x = leaf; T->parent[ccx_gz_node(T, b, x)] >= 0;) {
        size_t xn = ccx_gz_node(T, b, x);
        lv = T->reward[xn] + lv;
        x = T->parent[xn];
        size_t pn = ccx_gz_node(T, b, x);
        T->visits[pn] += 1;
        T->value_sum[pn] += lv;
    }
}

/* Outputs of tree b (mctx gumbel_muzero_policy): action, target_pi [N],
 * root value, root children's visits [N]. */
CCX_HD void ccx_gz_outputs(const ccx_gz_trees *T, int b, int32_t *action, float *pi,
                                  float *root_value, int32_t *visits) {
    size_t r = ccx_gz_node(T, b, 0);
    float *cq = T->work + (size_t)b * 2 * (size_t)T->N;
    float *prob = cq + T->N;
    for (int a = 0; a < T->N; a++) {
        pi[a] = 0.0f;
        visits[a] = 0;
    }
    if (!T->active[b]) {
        *action = -1;
        *root_value = 0.0f;
        return;
    }
    int sn, mn;
    ccx_gz_completed_q(T, b, 0, cq, prob, &sn, &mn);
    int a = ccx_gz_root_argmax(T, b, cq, mn);
    if (a < 0) a = ccx_gz_root_argmax(T, b, cq, -1);
    *action = a;
    ccx_gz_improved_policy(T, b, 0, cq, prob);
    for (int s = 0; s < T->N; s++) {
        if (!ccx_gz_is_legal(T, b, 0, s)) continue;
        pi[s] = prob[s];
        visits[s] = ccx_gz_child_visits(T, b, 0, s);
    }
    *root_value = ccx_gz_div(T->value_sum[r], (float)T->visits[r]);
}

#ifdef __cplusplus
}
#endif
#endif
