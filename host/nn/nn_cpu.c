/* CPU backend of the policy/value network (see model.h for the math and
 * nn_cpu.h for the conventions). Matrix products go through cblas_sgemm;
 * everything else is plain loops. Each layer's forward and backward sit side
 * by side, with the tensor shapes at the top; the CUDA kernels in
 * cuda/nn_kernels.cu compute the same things. */
#include "nn/nn_cpu.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void openblas_set_num_threads(int n); /* OpenBLAS's; not in every cblas.h */

/* ------------------------------------------------------------- matmul -- */
/* out [R, OC] = inp [R, C] @ w [C, OC] + bias [OC] */
void ccx_nn_matmul_forward(float *out, const float *inp, const float *w, const float *bias,
                           int R, int C, int OC) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, OC, C, 1.0f, inp, C, w, OC, 0.0f,
                out, OC);
    if (bias)
        for (int r = 0; r < R; r++) {
            float *o = out + (size_t)r * OC;
            for (int c = 0; c < OC; c++) o[c] += bias[c];
        }
}

/* dout [R, OC], inp [R, C], w [C, OC] -> dinp [R, C] +=, dw [C, OC] +=, dbias [OC] += */
void ccx_nn_matmul_backward(float *dinp, float *dw, float *dbias, const float *dout,
                            const float *inp, const float *w, int R, int C, int OC) {
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, R, C, OC, 1.0f, dout, OC, w, OC,
                    1.0f, dinp, C);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, C, OC, R, 1.0f, inp, C, dout, OC, 1.0f,
                dw, OC);
    if (dbias)
        for (int r = 0; r < R; r++) {
            const float *d = dout + (size_t)r * OC;
            for (int c = 0; c < OC; c++) dbias[c] += d[c];
        }
}

/* ---------------------------------------------------------- layernorm -- */
/* inp [R, C], g [C], b [C] -> out [R, C], mean [R], rstd [R]
 * The row sums are `omp simd` reductions: vector partial sums (an order
 * the compiler picks, the same on every run of one build), not one serial
 * chain, which made the layer norms a quarter of a quick-start update. */
void ccx_nn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                              const float *g, const float *b, int R, int C) {
    for (int r = 0; r < R; r++) {
        const float *x = inp + (size_t)r * C;
        float m = 0;
#pragma omp simd reduction(+ : m)
        for (int c = 0; c < C; c++) m += x[c];
        m /= (float)C;
        float var = 0;
#pragma omp simd reduction(+ : var)
        for (int c = 0; c < C; c++) {
            float d = x[c] - m;
            var += d * d;
        }
        var /= (float)C;
        float s = 1.0f / sqrtf(var + CCX_NN_LN_EPS);
        float *o = out + (size_t)r * C;
#pragma omp simd
        for (int c = 0; c < C; c++) o[c] = (x[c] - m) * s * g[c] + b[c];
        mean[r] = m;
        rstd[r] = s;
    }
}

/* dout [R, C], inp [R, C], g [C], mean [R], rstd [R] -> dinp [R, C] +=, dg [C] +=, db [C] += */
void ccx_nn_layernorm_backward(float *dinp, float *dg, float *db, const float *dout,
                               const float *inp, const float *g, const float *mean,
                               const float *rstd, int R, int C) {
    for (int r = 0; r < R; r++) {
        const float *d = dout + (size_t)r * C, *x = inp + (size_t)r * C;
        float m = mean[r], s = rstd[r];
        float dnorm_mean = 0, dnorm_norm_mean = 0;
#pragma omp simd reduction(+ : dnorm_mean, dnorm_norm_mean)
        for (int c = 0; c < C; c++) {
            float norm = (x[c] - m) * s;
            float dnorm = g[c] * d[c];
            dnorm_mean += dnorm;
            dnorm_norm_mean += dnorm * norm;
        }
        dnorm_mean /= (float)C;
        dnorm_norm_mean /= (float)C;
        float *dx = dinp + (size_t)r * C;
#pragma omp simd
        for (int c = 0; c < C; c++) {
            float norm = (x[c] - m) * s;
            float dnorm = g[c] * d[c];
            db[c] += d[c];
            dg[c] += norm * d[c];
            dx[c] += (dnorm - dnorm_mean - norm * dnorm_norm_mean) * s;
        }
    }
}

/* --------------------------------------------------------------- GELU -- */
#define GELU_K 0.7978845608028654f /* sqrt(2/pi) */
#define GELU_C 0.044715f

/* tanh(u) = 1 - 2/(exp(2u) + 1): about twice as fast as glibc's tanhf, with
 * an absolute error below 1e-7, which is what GELU needs (it uses 1 + t and
 * 1 - t^2); saturates correctly (exp overflow gives 1, underflow -1). */
static inline float tanh_fast(float u) { return 1.0f - 2.0f / (expf(2.0f * u) + 1.0f); }

/* inp [n] -> out [n] */
void ccx_nn_gelu_forward(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = 0.5f * x * (1.0f + tanh_fast(GELU_K * (x + GELU_C * x * x * x)));
    }
}

/* inp [n], dout [n] -> dinp [n] = (may alias dout) */
void ccx_nn_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float t = tanh_fast(GELU_K * (x + GELU_C * x * x * x));
        float dt = GELU_K * (1.0f + 3.0f * GELU_C * x * x);
        dinp[i] = dout[i] * (0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * dt);
    }
}

/* ---------------------------------------------------- graph structure -- */
/* adj [B, N, N], live [B, N] -> code [B, N, N] (model.h: ccx_nn_edge_code) */
void ccx_nn_edge_codes(uint8_t *code, const uint8_t *adj, const uint8_t *live, int B, int N) {
    for (int b = 0; b < B; b++) {
        const uint8_t *a = adj + (size_t)b * N * N;
        uint8_t *c = code + (size_t)b * N * N;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                c[(size_t)i * N + j] = ccx_nn_edge_code(a[(size_t)i * N + j], a[(size_t)j * N + i],
                                                        live[(size_t)b * N + j]);
    }
}

/* The largest N a forward takes (model.h: config n_pad <= 4096). */
#define CCX_NN_MAX_EMBED_N 4096

/* features [B, N, F], adj [B, N, N], live [B, N] -> E [B, N, 3G], G = F + K
 * (no gradient: these are inputs) */
void ccx_nn_embed_inputs(float *E, uint16_t *hot, uint16_t *hot_n, const float *features,
                         const uint8_t *adj, const uint8_t *live, int B, int N, int F,
                         int op_feature, int K) {
    int G = F + K;
    /* a row's nonzero one-hot columns (j = third * K + code), each once */
#define HOT_ADD(row, j)                                                                        \
    do {                                                                                       \
        size_t row_ = (size_t)b * N + (size_t)(row);                                           \
        if (hot) hot[row_ * 3 * K + hot_n[row_]++] = (uint16_t)(j);                            \
    } while (0)
    int code[CCX_NN_MAX_EMBED_N];
    for (int b = 0; b < B; b++) {
        float *Eb = E + (size_t)b * N * 3 * G;
        if (hot) memset(hot_n + (size_t)b * N, 0, sizeof(uint16_t) * (size_t)N);
        /* g_i first, for every i: the means below read the neighbours' g */
        for (int i = 0; i < N; i++) {
            float *g = Eb + (size_t)i * 3 * G;
            const float *f = features + ((size_t)b * N + i) * F;
            memcpy(g, f, (size_t)F * sizeof(float));
            code[i] = -1;
            if (K) {
                memset(g + F, 0, (size_t)K * sizeof(float));
                float v = f[op_feature];
                if (v >= 0.0f && v < (float)K && (float)(int)v == v) {
                    code[i] = (int)v;
                    g[F + code[i]] = 1.0f;
                    HOT_ADD(i, code[i]);
                }
            }
        }
        const uint8_t *a = adj + (size_t)b * N * N, *lv = live + (size_t)b * N;
        /* one pass over the adjacency rows (contiguous): edge r -> c adds g_c
         * to r's out-sum and g_r to c's in-sum. Each sum still runs over its
         * neighbours in increasing order, so the floats are those of the
         * column-by-column definition. A one-hot adds a single 1 (adding
         * its zeros changes no float). */
        int nin[CCX_NN_MAX_EMBED_N], nout[CCX_NN_MAX_EMBED_N];
        for (int i = 0; i < N; i++) {
            memset(Eb + (size_t)i * 3 * G + G, 0, 2 * (size_t)G * sizeof(float));
            nin[i] = nout[i] = 0;
        }
        for (int r = 0; r < N; r++) {
            const uint8_t *row = a + (size_t)r * N;
            float *eout_r = Eb + (size_t)r * 3 * G + 2 * G;
            const float *gr = Eb + (size_t)r * 3 * G;
            for (int c = 0; c < N; c++) {
                if ((c & 7) == 0 && c + 8 <= N) { /* sparse rows: skip 8 empty columns at once */
                    uint64_t eight;
                    memcpy(&eight, row + c, 8);
                    if (!eight) {
                        c += 7;
                        continue;
                    }
                }
                if (!row[c]) continue;
                if (lv[c]) {
                    const float *gc = Eb + (size_t)c * 3 * G;
                    nout[r]++;
                    for (int k = 0; k < F; k++) eout_r[k] += gc[k];
                    if (code[c] >= 0) {
                        if (eout_r[F + code[c]] == 0.0f) HOT_ADD(r, 2 * K + code[c]);
                        eout_r[F + code[c]] += 1.0f;
                    }
                }
                if (lv[r]) {
                    float *ein_c = Eb + (size_t)c * 3 * G + G;
                    nin[c]++;
                    for (int k = 0; k < F; k++) ein_c[k] += gr[k];
                    if (code[r] >= 0) {
                        if (ein_c[F + code[r]] == 0.0f) HOT_ADD(c, K + code[r]);
                        ein_c[F + code[r]] += 1.0f;
                    }
                }
            }
        }
        for (int i = 0; i < N; i++) {
            float *ein = Eb + (size_t)i * 3 * G + G, *eout = ein + G;
            float sin = nin[i] ? 1.0f / (float)nin[i] : 0.0f, sout = nout[i] ? 1.0f / (float)nout[i] : 0.0f;
            for (int k = 0; k < G; k++) {
                ein[k] *= sin;
                eout[k] *= sout;
            }
        }
    }
#undef HOT_ADD
}

/* The column of E (= row of W) of listed one-hot column col = third * K + code. */
static inline size_t hot_row(int col, int F, int K) {
    int third = col / K;
    return (size_t)third * (F + K) + F + (size_t)(col - third * K);
}

/* The embedding's matmul, X [R, D] = E [R, 3G] @ W [3G, D] + bias, with E's
 * one-hot columns (K of each G: mostly zeros, 62% of the products for the
 * scalar op set) as sparse rows of W: three BLAS products over the F dense
 * columns of each third, then X[r] += E[r, col] W[col] for the row's
 * nonzero one-hot columns that ccx_nn_embed_inputs listed in hot (at most
 * 1 + the vertex's degree). The same sum as one sgemm, in another order. */
void ccx_nn_embed_matmul_forward(float *X, const float *E, const uint16_t *hot,
                                 const uint16_t *hot_n, const float *W, const float *bias, int R,
                                 int F, int K, int D) {
    int G = F + K;
    if (K == 0 || F == 0) {
        ccx_nn_matmul_forward(X, E, W, bias, R, 3 * G, D);
        return;
    }
    for (int s = 0; s < 3; s++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, D, F, 1.0f, E + (size_t)s * G,
                    3 * G, W + (size_t)s * G * D, D, s ? 1.0f : 0.0f, X, D);
    for (int r = 0; r < R; r++) {
        float *x = X + (size_t)r * D;
        const float *e = E + (size_t)r * 3 * G;
        if (bias)
            for (int d = 0; d < D; d++) x[d] += bias[d];
        for (int j = 0; j < hot_n[r]; j++) {
            size_t wrow = hot_row(hot[(size_t)r * 3 * K + j], F, K);
            float v = e[wrow];
            const float *w = W + wrow * D;
            for (int d = 0; d < D; d++) x[d] += v * w[d];
        }
    }
}

/* dX [R, D], E [R, 3G] -> dW [3G, D] +=, dbias [D] += (E is an input: no dE) */
void ccx_nn_embed_matmul_backward(float *dW, float *dbias, const float *dX, const float *E,
                                  const uint16_t *hot, const uint16_t *hot_n, int R, int F, int K,
                                  int D) {
    int G = F + K;
    if (K == 0 || F == 0) {
        ccx_nn_matmul_backward(NULL, dW, dbias, dX, E, NULL, R, 3 * G, D);
        return;
    }
    for (int s = 0; s < 3; s++)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, F, D, R, 1.0f, E + (size_t)s * G,
                    3 * G, dX, D, 1.0f, dW + (size_t)s * G * D, D);
    for (int r = 0; r < R; r++) {
        const float *dx = dX + (size_t)r * D, *e = E + (size_t)r * 3 * G;
        if (dbias)
            for (int d = 0; d < D; d++) dbias[d] += dx[d];
        for (int j = 0; j < hot_n[r]; j++) {
            size_t wrow = hot_row(hot[(size_t)r * 3 * K + j], F, K);
            float v = e[wrow];
            float *dw = dW + wrow * D;
            for (int d = 0; d < D; d++) dw[d] += v * dx[d];
        }
    }
}

void ccx_nn_live_from_features(uint8_t *live, const float *features, int R, int F) {
    for (int r = 0; r < R; r++) live[r] = features[(size_t)r * F + CCX_NN_PADDING_FEATURE] == 0.0f;
}

/* ---------------------------------------------------------- attention -- */
/* One row of the masked softmax, in place: s [N] raw scaled scores, c [N]
 * edge codes of query row i, edge the layer's biases [2, T, H] at head h
 * (stride H) -> p [N]. */
static void masked_softmax_row(float *s, const uint8_t *c, const float *edge, int H, int N) {
    float mx = -INFINITY;
    for (int j = 0; j < N; j++)
        if (c[j] & 4) {
            float v = s[j] + ccx_nn_edge_bias(c[j], edge, H);
            s[j] = v;
            if (v > mx) mx = v;
        }
    if (mx == -INFINITY) { /* no live key */
        memset(s, 0, (size_t)N * sizeof(float));
        return;
    }
    float sum = 0;
    for (int j = 0; j < N; j++) {
        float e = (c[j] & 4) ? expf(s[j] - mx) : 0.0f;
        s[j] = e;
        sum += e;
    }
    float inv = 1.0f / sum;
    for (int j = 0; j < N; j++) s[j] *= inv;
}

/* qkv [B, N, 3D], code [B, N, N], edge [2, T, H] -> att [B, H, N, N], out [B, N, D] */
void ccx_nn_attention_forward(float *out, float *att, const float *qkv, const uint8_t *code,
                              const float *edge, int B, int N, int D, int H) {
    int dh = D / H;
    float scale = 1.0f / sqrtf((float)dh);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            const float *q = qkv + (size_t)b * N * 3 * D + (size_t)h * dh;
            const float *k = q + D, *v = q + 2 * D;
            float *p = att + ((size_t)b * H + h) * N * N;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, N, dh, scale, q, 3 * D, k,
                        3 * D, 0.0f, p, N);
            for (int i = 0; i < N; i++)
                masked_softmax_row(p + (size_t)i * N, code + ((size_t)b * N + i) * N, edge + h, H,
                                   N);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, dh, N, 1.0f, p, N, v, 3 * D,
                        0.0f, out + (size_t)b * N * D + (size_t)h * dh, D);
        }
}

/* dout [B, N, D], qkv [B, N, 3D], att [B, H, N, N], code [B, N, N]
 * -> dqkv [B, N, 3D] =, dedge [2, T, H] +=, datt [B, H, N, N] scratch */
void ccx_nn_attention_backward(float *dqkv, float *dedge, float *datt, const float *dout,
                               const float *qkv, const float *att, const uint8_t *code,
                               int B, int N, int D, int H) {
    int dh = D / H;
    float scale = 1.0f / sqrtf((float)dh);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            size_t base = (size_t)b * N * 3 * D + (size_t)h * dh;
            const float *q = qkv + base, *k = q + D, *v = q + 2 * D;
            float *dq = dqkv + base, *dk = dq + D, *dv = dq + 2 * D;
            const float *p = att + ((size_t)b * H + h) * N * N;
            float *dp = datt + ((size_t)b * H + h) * N * N;
            const float *dO = dout + (size_t)b * N * D + (size_t)h * dh;
            /* dP = dO v^T ; dv = P^T dO */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, N, dh, 1.0f, dO, D, v, 3 * D,
                        0.0f, dp, N);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, dh, N, 1.0f, p, N, dO, D, 0.0f,
                        dv, 3 * D);
            /* softmax backward: dS = P (dP - sum_j P dP), in place; edge-bias grads */
            float ge[2 * CCX_NN_EDGE_GROUPS] = {0}; /* [which, group] */
            for (int i = 0; i < N; i++) {
                const float *pi = p + (size_t)i * N;
                float *di = dp + (size_t)i * N;
                const uint8_t *c = code + ((size_t)b * N + i) * N;
                float dot = 0;
                for (int j = 0; j < N; j++) dot += pi[j] * di[j];
                float r[2 * CCX_NN_EDGE_GROUPS] = {0};
                for (int j = 0; j < N; j++) {
                    float ds = pi[j] * (di[j] - dot);
                    di[j] = ds;
                    if (c[j] & 1) r[ccx_nn_code_out_group(c[j])] += ds;
                    if (c[j] & 2) r[CCX_NN_EDGE_GROUPS + ccx_nn_code_in_group(c[j])] += ds;
                }
                for (int k = 0; k < 2 * CCX_NN_EDGE_GROUPS; k++) ge[k] += r[k];
            }
            for (int k = 0; k < 2 * CCX_NN_EDGE_GROUPS; k++) dedge[(size_t)k * H + h] += ge[k];
            /* dq = scale dS k ; dk = scale dS^T q */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, dh, N, scale, dp, N, k,
                        3 * D, 0.0f, dq, 3 * D);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, dh, N, scale, dp, N, q, 3 * D,
                        0.0f, dk, 3 * D);
        }
}

/* --------------------------------------------------------------- pool -- */
/* z [B, N, D], live [B, N] -> pooled [B, D] */
void ccx_nn_pool_forward(float *pooled, const float *z, const uint8_t *live, int B, int N, int D) {
    for (int b = 0; b < B; b++) {
        float *o = pooled + (size_t)b * D;
        memset(o, 0, (size_t)D * sizeof(float));
        int cnt = 0;
        for (int i = 0; i < N; i++) {
            if (!live[(size_t)b * N + i]) continue;
            cnt++;
            const float *zi = z + ((size_t)b * N + i) * D;
            for (int d = 0; d < D; d++) o[d] += zi[d];
        }
        float s = cnt ? 1.0f / (float)cnt : 0.0f;
        for (int d = 0; d < D; d++) o[d] *= s;
    }
}

/* dpooled [B, D], live [B, N] -> dz [B, N, D] += */
void ccx_nn_pool_backward(float *dz, const float *dpooled, const uint8_t *live, int B, int N, int D) {
    for (int b = 0; b < B; b++) {
        int cnt = 0;
        for (int i = 0; i < N; i++) cnt += live[(size_t)b * N + i] != 0;
        if (!cnt) continue;
        float s = 1.0f / (float)cnt;
        for (int i = 0; i < N; i++) {
            if (!live[(size_t)b * N + i]) continue;
            float *d = dz + ((size_t)b * N + i) * D;
            for (int k = 0; k < D; k++) d[k] += dpooled[(size_t)b * D + k] * s;
        }
    }
}

/* ------------------------------------------------------- policy head -- */
/* z [R, D], w [D], b [1], legal [R] -> logits [R] */
void ccx_nn_policy_forward(float *logits, const float *z, const float *w, const float *b,
                           const uint8_t *legal, int R, int D) {
    for (int r = 0; r < R; r++) {
        if (!legal[r]) {
            logits[r] = CCX_NN_MASKED_LOGIT;
            continue;
        }
        const float *zr = z + (size_t)r * D;
        float s = 0;
#pragma omp simd reduction(+ : s)
        for (int d = 0; d < D; d++) s += zr[d] * w[d];
        logits[r] = s + b[0];
    }
}

/* dlogits [R], z [R, D], w [D], legal [R] -> dz [R, D] =, dw [D] +=, db [1] += */
void ccx_nn_policy_backward(float *dz, float *dw, float *db, const float *dlogits,
                            const float *z, const float *w, const uint8_t *legal, int R, int D) {
    for (int r = 0; r < R; r++) {
        float g = legal[r] ? dlogits[r] : 0.0f;
        float *d = dz + (size_t)r * D;
        const float *zr = z + (size_t)r * D;
        for (int k = 0; k < D; k++) d[k] = g * w[k];
        if (g != 0.0f) {
            for (int k = 0; k < D; k++) dw[k] += g * zr[k];
            db[0] += g;
        }
    }
}

/* -------------------------------------------------------------- model -- */
int ccx_nn_cpu_init(ccx_nn_cpu *nn, const ccx_nn_config *cfg, int max_batch, uint64_t seed,
                    ccx_error *err) {
    memset(nn, 0, sizeof *nn);
    if (ccx_nn_config_validate(cfg, err)) return -1;
    if (max_batch < 1 || max_batch > (1 << 24))
        return ccx_error_set(err, "network: max_batch = %d is out of range (1..16777216)", max_batch);
    if ((long long)max_batch * cfg->n_pad * (cfg->mlp_dim > 3 * cfg->dim ? cfg->mlp_dim : 3 * cfg->dim) > 0x7fffffffLL)
        return ccx_error_set(err, "network: batch %d x n_pad %d is too large (the row count times the widest layer must stay below 2^31)",
                             max_batch, cfg->n_pad);
    nn->cfg = *cfg;
    nn->max_batch = max_batch;
    ccx_nn_layout_init(&nn->lay, cfg);
    size_t P = nn->lay.n_params;
    size_t sizes[CCX_NN_N_ACTS];
    size_t total = ccx_nn_act_sizes(cfg, max_batch, cfg->n_pad, sizes);
    size_t B = (size_t)max_batch, N = (size_t)cfg->n_pad;
    size_t bytes = ccx_nn_activation_bytes(cfg, max_batch);
    if (!total || !bytes)
        return ccx_error_set(err, "network: activations for batch %d at n_pad %d do not fit in memory",
                             max_batch, cfg->n_pad);
    nn->params = calloc(P, sizeof(float));
    nn->grads = calloc(P, sizeof(float));
    nn->m = calloc(P, sizeof(float));
    nn->v = calloc(P, sizeof(float));
    nn->acts = malloc(total * sizeof(float));
    nn->code = malloc(B * N * N);
    nn->live = malloc(B * N);
    nn->legal = malloc(B * N);
    nn->hot = malloc(sizeof(uint16_t) * (B * N * 3 * (size_t)cfg->n_op_codes + 1));
    nn->hot_n = malloc(sizeof(uint16_t) * B * N);
    nn->logits = malloc(sizeof(float) * B * N);
    nn->value = malloc(sizeof(float) * B);
    nn->chunk_grads = malloc(sizeof(float) * P * (B < CCX_NN_CPU_CHUNKS ? B : CCX_NN_CPU_CHUNKS));
    if (!nn->hot || !nn->hot_n || !nn->logits || !nn->value || !nn->chunk_grads || !nn->params || !nn->grads || !nn->m || !nn->v || !nn->acts || !nn->code || !nn->live ||
        !nn->legal) {
        ccx_nn_cpu_free(nn);
        return ccx_error_set(err, "network: out of memory (%.1f MiB of activations for batch %d at n_pad %d)",
                             (double)bytes / 1048576.0, max_batch, cfg->n_pad);
    }
    ccx_nn_init_params(nn->params, &nn->lay, cfg, seed);
    /* the chunks run on OpenMP threads; BLAS runs on the thread that calls
     * it (its own threads inside ours would only oversubscribe the cores) */
    openblas_set_num_threads(1);
    return 0;
}

void ccx_nn_cpu_free(ccx_nn_cpu *nn) {
    if (!nn) return;
    free(nn->params);
    free(nn->grads);
    free(nn->m);
    free(nn->v);
    free(nn->acts);
    free(nn->code);
    free(nn->live);
    free(nn->legal);
    free(nn->hot);
    free(nn->hot_n);
    free(nn->logits);
    free(nn->value);
    free(nn->chunk_grads);
    memset(nn, 0, sizeof *nn);
}

/* Split batch B at N into chunks of envs (their number depends on B only,
 * never on the thread count, so every run of a config computes the same
 * floats) and point each chunk's act[] into its own region of the
 * preallocation: the chunks' regions add up to the whole batch's, every
 * activation being linear in B. A chunk's logits and value are written
 * straight into the whole batch's outputs. */
static void place_chunks(ccx_nn_cpu *nn, int B, int N) {
    int C = B < CCX_NN_CPU_CHUNKS ? B : CCX_NN_CPU_CHUNKS;
    float *p = nn->acts;
    nn->n_chunks = C;
    for (int k = 0; k < C; k++) {
        ccx_nn_cpu_chunk *ch = &nn->chunk[k];
        ch->b0 = (int)((long)B * k / C);
        ch->batch = (int)((long)B * (k + 1) / C) - ch->b0;
        size_t s[CCX_NN_N_ACTS], b0 = (size_t)ch->b0, n = (size_t)N;
        ccx_nn_act_sizes(&nn->cfg, ch->batch, N, s);
        for (int a = 0; a < CCX_NN_N_ACTS; a++) {
            ch->act[a] = p;
            p += s[a];
        }
        ch->act[CCX_NN_A_LOGITS] = nn->logits + b0 * n;
        ch->act[CCX_NN_A_VALUE] = nn->value + b0;
        float *ones = ch->act[CCX_NN_A_ONES];
        for (size_t i = 0; i < s[CCX_NN_A_ONES]; i++) ones[i] = 1.0f;
        ch->code = nn->code + b0 * n * n;
        ch->live = nn->live + b0 * n;
        ch->legal = nn->legal + b0 * n;
        ch->hot = nn->hot + b0 * n * 3 * (size_t)nn->cfg.n_op_codes;
        ch->hot_n = nn->hot_n + b0 * n;
        ch->grads = nn->chunk_grads + (size_t)k * nn->lay.n_params;
    }
    nn->act[CCX_NN_A_LOGITS] = nn->logits;
    nn->act[CCX_NN_A_VALUE] = nn->value;
}

#define PARAM(t) (nn->params + nn->lay.offset[t])
#define GRAD(t) (ch->grads + nn->lay.offset[t])

/* The forward pass of one chunk: envs [b0, b0 + batch) of obs. */
static void forward_chunk(ccx_nn_cpu *nn, ccx_nn_cpu_chunk *ch, const ccx_nn_obs *obs) {
    const ccx_nn_config *c = &nn->cfg;
    int B = ch->batch, N = obs->n_pad, R = B * N;
    int F = c->n_features, D = c->dim, L = c->n_layers, H = c->n_heads;
    int M = c->mlp_dim, V = c->value_dim;
    size_t b0 = (size_t)ch->b0;
    const float *features = obs->features + b0 * N * F;
    const uint8_t *adj = obs->adj + b0 * N * N;
    if (obs->live) memcpy(ch->live, obs->live + b0 * N, (size_t)R);
    else ccx_nn_live_from_features(ch->live, features, R, F);
    memcpy(ch->legal, obs->legal + b0 * N, (size_t)R);
    if (L > 0) ccx_nn_edge_codes(ch->code, adj, ch->live, B, N); /* attention only */
    float **A = ch->act;
    size_t RD = (size_t)R * D, RM = (size_t)R * M;

    ccx_nn_embed_inputs(A[CCX_NN_A_EMB], ch->hot, ch->hot_n, features, adj, ch->live, B, N, F,
                        c->op_feature, c->n_op_codes);
    ccx_nn_embed_matmul_forward(A[CCX_NN_A_X], A[CCX_NN_A_EMB], ch->hot, ch->hot_n,
                                PARAM(CCX_NN_EMB_W), PARAM(CCX_NN_EMB_B), R, F, c->n_op_codes, D);
    for (int l = 0; l < L; l++) {
        const ccx_nn_layer_acts a = ccx_nn_layer_acts_of(A, l, B, N, D, M, H);
        float *tmp = A[CCX_NN_A_TMP];
        size_t lD = (size_t)l * D;
        ccx_nn_layernorm_forward(a.ln1, a.m1, a.r1, a.x, PARAM(CCX_NN_LN1_G) + lD, PARAM(CCX_NN_LN1_B) + lD, R, D);
        ccx_nn_matmul_forward(a.qkv, a.ln1, PARAM(CCX_NN_QKV_W) + lD * 3 * D,
                              PARAM(CCX_NN_QKV_B) + 3 * lD, R, D, 3 * D);
        ccx_nn_attention_forward(a.atto, a.att, a.qkv, ch->code, PARAM(CCX_NN_EDGE) + (size_t)l * 2 * CCX_NN_EDGE_GROUPS * H,
                                 B, N, D, H);
        ccx_nn_matmul_forward(tmp, a.atto, PARAM(CCX_NN_ATTN_W) + lD * D, PARAM(CCX_NN_ATTN_B) + lD,
                              R, D, D);
        for (size_t i = 0; i < RD; i++) a.xmid[i] = a.x[i] + tmp[i];
        ccx_nn_layernorm_forward(a.ln2, a.m2, a.r2, a.xmid, PARAM(CCX_NN_LN2_G) + lD, PARAM(CCX_NN_LN2_B) + lD, R, D);
        ccx_nn_matmul_forward(a.fc1, a.ln2, PARAM(CCX_NN_FC1_W) + lD * M,
                              PARAM(CCX_NN_FC1_B) + (size_t)l * M, R, D, M);
        ccx_nn_gelu_forward(a.gel, a.fc1, RM);
        ccx_nn_matmul_forward(tmp, a.gel, PARAM(CCX_NN_FC2_W) + (size_t)l * M * D,
                              PARAM(CCX_NN_FC2_B) + lD, R, M, D);
        for (size_t i = 0; i < RD; i++) a.xnext[i] = a.xmid[i] + tmp[i];
    }
    float *z = A[CCX_NN_A_LNF];
    ccx_nn_layernorm_forward(z, A[CCX_NN_A_LNF_MEAN], A[CCX_NN_A_LNF_RSTD], A[CCX_NN_A_X] + L * RD,
                             PARAM(CCX_NN_LNF_G), PARAM(CCX_NN_LNF_B), R, D);
    ccx_nn_policy_forward(A[CCX_NN_A_LOGITS], z, PARAM(CCX_NN_POL_W), PARAM(CCX_NN_POL_B),
                          ch->legal, R, D);
    ccx_nn_pool_forward(A[CCX_NN_A_POOLED], z, ch->live, B, N, D);
    ccx_nn_matmul_forward(A[CCX_NN_A_VPRE], A[CCX_NN_A_POOLED], PARAM(CCX_NN_VAL1_W),
                          PARAM(CCX_NN_VAL1_B), B, D, V);
    ccx_nn_gelu_forward(A[CCX_NN_A_VACT], A[CCX_NN_A_VPRE], (size_t)B * V);
    ccx_nn_matmul_forward(A[CCX_NN_A_VALUE], A[CCX_NN_A_VACT], PARAM(CCX_NN_VAL2_W),
                          PARAM(CCX_NN_VAL2_B), B, V, 1);
}

int ccx_nn_cpu_forward(ccx_nn_cpu *nn, const ccx_nn_obs *obs, ccx_error *err) {
    const ccx_nn_config *c = &nn->cfg;
    if (!obs || !obs->features || !obs->adj || !obs->legal)
        return ccx_error_set(err, "network forward: missing observation array");
    if (obs->batch < 1 || obs->batch > nn->max_batch)
        return ccx_error_set(err, "network forward: batch %d is out of range (1..%d)", obs->batch,
                             nn->max_batch);
    if (obs->n_pad < 1 || obs->n_pad > c->n_pad)
        return ccx_error_set(err, "network forward: n_pad %d is out of range (1..%d)", obs->n_pad,
                             c->n_pad);
    place_chunks(nn, obs->batch, obs->n_pad);
    nn->batch = obs->batch;
    nn->n = obs->n_pad;
#pragma omp parallel for schedule(static)
    for (int k = 0; k < nn->n_chunks; k++) forward_chunk(nn, &nn->chunk[k], obs);
    return 0;
}

void ccx_nn_cpu_zero_grad(ccx_nn_cpu *nn) {
    memset(nn->grads, 0, nn->lay.n_params * sizeof(float));
}

/* The backward pass of one chunk into its own gradient buffer (=, not +=). */
static void backward_chunk(ccx_nn_cpu *nn, ccx_nn_cpu_chunk *ch, const float *dlogits,
                           const float *dvalue) {
    const ccx_nn_config *c = &nn->cfg;
    int B = ch->batch, N = nn->n, R = B * N;
    int D = c->dim, L = c->n_layers, H = c->n_heads, M = c->mlp_dim;
    int V = c->value_dim;
    float **A = ch->act;
    size_t RD = (size_t)R * D, RM = (size_t)R * M;
    float *dx = A[CCX_NN_A_DX], *dln = A[CCX_NN_A_DLN], *z = A[CCX_NN_A_LNF];
    memset(ch->grads, 0, nn->lay.n_params * sizeof(float));
    if (dlogits) dlogits += (size_t)ch->b0 * N;
    if (dvalue) dvalue += ch->b0;

    /* heads -> dz (in dln) */
    if (dlogits)
        ccx_nn_policy_backward(dln, GRAD(CCX_NN_POL_W), GRAD(CCX_NN_POL_B), dlogits, z,
                               PARAM(CCX_NN_POL_W), ch->legal, R, D);
    else
        memset(dln, 0, RD * sizeof(float));
    if (dvalue) {
        float *dv = A[CCX_NN_A_DVPRE], *dp = A[CCX_NN_A_DPOOLED];
        memset(dv, 0, (size_t)B * V * sizeof(float));
        ccx_nn_matmul_backward(dv, GRAD(CCX_NN_VAL2_W), GRAD(CCX_NN_VAL2_B), dvalue,
                               A[CCX_NN_A_VACT], PARAM(CCX_NN_VAL2_W), B, V, 1);
        ccx_nn_gelu_backward(dv, A[CCX_NN_A_VPRE], dv, (size_t)B * V);
        memset(dp, 0, (size_t)B * D * sizeof(float));
        ccx_nn_matmul_backward(dp, GRAD(CCX_NN_VAL1_W), GRAD(CCX_NN_VAL1_B), dv,
                               A[CCX_NN_A_POOLED], PARAM(CCX_NN_VAL1_W), B, D, V);
        ccx_nn_pool_backward(dln, dp, ch->live, B, N, D);
    }
    memset(dx, 0, RD * sizeof(float));
    ccx_nn_layernorm_backward(dx, GRAD(CCX_NN_LNF_G), GRAD(CCX_NN_LNF_B), dln,
                              A[CCX_NN_A_X] + L * RD, PARAM(CCX_NN_LNF_G), A[CCX_NN_A_LNF_MEAN],
                              A[CCX_NN_A_LNF_RSTD], R, D);
    for (int l = L - 1; l >= 0; l--) {
        const ccx_nn_layer_acts a = ccx_nn_layer_acts_of(A, l, B, N, D, M, H);
        float *dfc1 = A[CCX_NN_A_DFC1], *datto = A[CCX_NN_A_DATTO], *dqkv = A[CCX_NN_A_DQKV];
        size_t lD = (size_t)l * D;
        /* x_{l+1} = a.xmid + fc2(gelu(a.fc1(a.ln2(a.xmid)))): dx holds d x_{l+1} */
        memset(dfc1, 0, RM * sizeof(float));
        ccx_nn_matmul_backward(dfc1, GRAD(CCX_NN_FC2_W) + (size_t)l * M * D, GRAD(CCX_NN_FC2_B) + lD,
                               dx, a.gel, PARAM(CCX_NN_FC2_W) + (size_t)l * M * D, R, M, D);
        ccx_nn_gelu_backward(dfc1, a.fc1, dfc1, RM);
        memset(dln, 0, RD * sizeof(float));
        ccx_nn_matmul_backward(dln, GRAD(CCX_NN_FC1_W) + lD * M, GRAD(CCX_NN_FC1_B) + (size_t)l * M,
                               dfc1, a.ln2, PARAM(CCX_NN_FC1_W) + lD * M, R, D, M);
        ccx_nn_layernorm_backward(dx, GRAD(CCX_NN_LN2_G) + lD, GRAD(CCX_NN_LN2_B) + lD, dln, a.xmid,
                                  PARAM(CCX_NN_LN2_G) + lD, a.m2, a.r2, R, D);
        /* a.xmid = a.x + attn(a.ln1(a.x)): dx now holds d a.xmid */
        memset(datto, 0, RD * sizeof(float));
        ccx_nn_matmul_backward(datto, GRAD(CCX_NN_ATTN_W) + lD * D, GRAD(CCX_NN_ATTN_B) + lD, dx,
                               a.atto, PARAM(CCX_NN_ATTN_W) + lD * D, R, D, D);
        ccx_nn_attention_backward(dqkv, GRAD(CCX_NN_EDGE) + (size_t)l * 2 * CCX_NN_EDGE_GROUPS * H, A[CCX_NN_A_DATT],
                                  datto, a.qkv, a.att, ch->code, B, N, D, H);
        memset(dln, 0, RD * sizeof(float));
        ccx_nn_matmul_backward(dln, GRAD(CCX_NN_QKV_W) + lD * 3 * D, GRAD(CCX_NN_QKV_B) + 3 * lD,
                               dqkv, a.ln1, PARAM(CCX_NN_QKV_W) + lD * 3 * D, R, D, 3 * D);
        ccx_nn_layernorm_backward(dx, GRAD(CCX_NN_LN1_G) + lD, GRAD(CCX_NN_LN1_B) + lD, dln, a.x,
                                  PARAM(CCX_NN_LN1_G) + lD, a.m1, a.r1, R, D);
    }
    ccx_nn_embed_matmul_backward(GRAD(CCX_NN_EMB_W), GRAD(CCX_NN_EMB_B), dx, A[CCX_NN_A_EMB],
                                 ch->hot, ch->hot_n, R, c->n_features, c->n_op_codes, D);
}

int ccx_nn_cpu_backward(ccx_nn_cpu *nn, const float *dlogits, const float *dvalue, ccx_error *err) {
    if (nn->batch < 1) return ccx_error_set(err, "network backward: no forward pass to differentiate");
#pragma omp parallel for schedule(static)
    for (int k = 0; k < nn->n_chunks; k++) backward_chunk(nn, &nn->chunk[k], dlogits, dvalue);
    /* grads += chunk 0 + chunk 1 + ..., in that order for every parameter */
    size_t P = nn->lay.n_params;
    int C = nn->n_chunks;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < P; i++) {
        float g = nn->grads[i];
        for (int k = 0; k < C; k++) g += nn->chunk_grads[(size_t)k * P + i];
        nn->grads[i] = g;
    }
    return 0;
}

/* --------------------------------------------------------------- AdamW -- */
double ccx_nn_grad_norm(const float *g, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)g[i] * (double)g[i];
    return sqrt(s);
}

float ccx_nn_clip_scale(double norm, float max_norm) {
    if (max_norm <= 0) return 1.0f;
    double s = (double)max_norm / (norm + 1e-6);
    return s < 1.0 ? (float)s : 1.0f;
}

void ccx_nn_adamw_update(float *params, const float *grads, float *m, float *v,
                         const ccx_nn_layout *lay, const ccx_nn_adamw *hp, long t, float grad_scale) {
    float bc1 = 1.0f - powf(hp->beta1, (float)t), bc2 = 1.0f - powf(hp->beta2, (float)t);
    for (int k = 0; k < CCX_NN_N_TENSORS; k++) {
        float wd = ccx_nn_tensor_decays(k) ? hp->weight_decay : 0.0f;
        size_t o = lay->offset[k];
        for (size_t i = o; i < o + lay->size[k]; i++) {
            float g = grads[i] * grad_scale;
            float mi = hp->beta1 * m[i] + (1.0f - hp->beta1) * g;
            float vi = hp->beta2 * v[i] + (1.0f - hp->beta2) * g * g;
            m[i] = mi;
            v[i] = vi;
            float mhat = mi / bc1, vhat = vi / bc2;
            params[i] -= hp->lr * (mhat / (sqrtf(vhat) + hp->eps) + wd * params[i]);
        }
    }
}

int ccx_nn_cpu_adamw_step(ccx_nn_cpu *nn, const ccx_nn_adamw *hp, float *norm_out, ccx_error *err) {
    if (ccx_nn_adamw_validate(hp, err)) return -1;
    double norm = ccx_nn_grad_norm(nn->grads, nn->lay.n_params);
    if (!isfinite(norm))
        return ccx_error_set(err, "adamw: the gradient norm is not finite (%g); step skipped", norm);
    if (norm_out) *norm_out = (float)norm;
    nn->step++;
    ccx_nn_adamw_update(nn->params, nn->grads, nn->m, nn->v, &nn->lay, hp, nn->step,
                        ccx_nn_clip_scale(norm, hp->max_grad_norm));
    return 0;
}
