// Double-precision reference of the policy/value network (host/nn/model.h),
// written independently of host/nn/nn_cpu.c with plain loops: the forward
// of every layer and of the whole network. Tests compare the float library
// against it, and differentiate it by central finite differences to check
// the library's backward passes. Shared by test_nn.cc and test_nn_cuda.cc.
#ifndef CCX_TEST_NN_REF_H
#define CCX_TEST_NN_REF_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

extern "C" {
#include "nn/model.h"
#include "util/rng.h"
}

namespace nnref {

using Vec = std::vector<double>;

// out [R, OC] = inp [R, C] @ w [C, OC] + bias [OC] (bias may be null)
inline void matmul(double *out, const double *inp, const double *w, const double *bias, int R, int C,
                   int OC) {
    for (int r = 0; r < R; r++)
        for (int o = 0; o < OC; o++) {
            double s = bias ? bias[o] : 0.0;
            for (int c = 0; c < C; c++) s += inp[(size_t)r * C + c] * w[(size_t)c * OC + o];
            out[(size_t)r * OC + o] = s;
        }
}

inline void layernorm(double *out, const double *x, const double *g, const double *b, int R, int C) {
    for (int r = 0; r < R; r++) {
        const double *xr = x + (size_t)r * C;
        double m = 0, v = 0;
        for (int c = 0; c < C; c++) m += xr[c];
        m /= C;
        for (int c = 0; c < C; c++) v += (xr[c] - m) * (xr[c] - m);
        v /= C;
        double s = 1.0 / std::sqrt(v + (double)CCX_NN_LN_EPS);
        for (int c = 0; c < C; c++) out[(size_t)r * C + c] = (xr[c] - m) * s * g[c] + b[c];
    }
}

inline double gelu(double x) {
    const double k = std::sqrt(2.0 / M_PI);
    return 0.5 * x * (1.0 + std::tanh(k * (x + 0.044715 * x * x * x)));
}

// E [B, N, 3G]: g_i = [f_i, onehot_K(f_i[op])], then means over live
// predecessors (adj[j][i]) and live successors (adj[i][j]).
inline void embed(double *E, const float *features, const uint8_t *adj, const uint8_t *live, int B,
                  int N, int F, int op, int K) {
    int G = F + K;
    std::vector<double> g((size_t)N * G);
    for (int b = 0; b < B; b++) {
        for (int i = 0; i < N; i++) {
            const float *f = features + ((size_t)b * N + i) * F;
            for (int k = 0; k < G; k++) g[(size_t)i * G + k] = k < F ? f[k] : 0.0;
            if (K) {
                double code = f[op];
                if (code >= 0 && code < K && code == std::floor(code)) g[(size_t)i * G + F + (int)code] = 1;
            }
        }
        for (int i = 0; i < N; i++) {
            double *e = E + ((size_t)b * N + i) * 3 * G;
            std::fill(e, e + 3 * G, 0.0);
            int nin = 0, nout = 0;
            for (int k = 0; k < G; k++) e[k] = g[(size_t)i * G + k];
            for (int j = 0; j < N; j++) {
                if (!live[(size_t)b * N + j]) continue;
                if (adj[((size_t)b * N + j) * N + i]) {
                    nin++;
                    for (int k = 0; k < G; k++) e[G + k] += g[(size_t)j * G + k];
                }
                if (adj[((size_t)b * N + i) * N + j]) {
                    nout++;
                    for (int k = 0; k < G; k++) e[2 * G + k] += g[(size_t)j * G + k];
                }
            }
            for (int k = 0; k < G; k++) {
                if (nin) e[G + k] /= nin;
                if (nout) e[2 * G + k] /= nout;
            }
        }
    }
}

// out [B, N, D] from qkv [B, N, 3D]; edge [2, T, H] (T type groups); keys
// masked to live.
inline void attention(double *out, const double *qkv, const uint8_t *adj, const uint8_t *live,
                      const double *edge, int B, int N, int D, int H) {
    int dh = D / H;
    double scale = 1.0 / std::sqrt((double)dh);
    std::vector<double> s(N);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < N; i++) {
                const double *q = qkv + ((size_t)b * N + i) * 3 * D + h * dh;
                double mx = -INFINITY;
                for (int j = 0; j < N; j++) {
                    if (!live[(size_t)b * N + j]) continue;
                    const double *k = qkv + ((size_t)b * N + j) * 3 * D + D + h * dh;
                    double d = 0;
                    for (int c = 0; c < dh; c++) d += q[c] * k[c];
                    d *= scale;
                    // the edge's type group: adj - 1, past the last counts as the last
                    int out = adj[((size_t)b * N + i) * N + j], in = adj[((size_t)b * N + j) * N + i];
                    const int T = CCX_NN_EDGE_GROUPS;
                    if (out) d += edge[(size_t)std::min(out - 1, T - 1) * H + h];
                    if (in) d += edge[(size_t)(T + std::min(in - 1, T - 1)) * H + h];
                    s[j] = d;
                    mx = std::max(mx, d);
                }
                double sum = 0;
                for (int j = 0; j < N; j++)
                    if (live[(size_t)b * N + j]) sum += (s[j] = std::exp(s[j] - mx));
                double *o = out + ((size_t)b * N + i) * D + h * dh;
                for (int c = 0; c < dh; c++) o[c] = 0;
                if (sum == 0) continue;
                for (int j = 0; j < N; j++) {
                    if (!live[(size_t)b * N + j]) continue;
                    const double *v = qkv + ((size_t)b * N + j) * 3 * D + 2 * D + h * dh;
                    for (int c = 0; c < dh; c++) o[c] += s[j] / sum * v[c];
                }
            }
}

struct Obs {
    int B = 0, N = 0, F = 0;
    std::vector<float> features;
    std::vector<uint8_t> adj, live, legal;
    ccx_nn_obs view(bool with_live = true) const {
        ccx_nn_obs o;
        o.batch = B;
        o.n_pad = N;
        o.features = features.data();
        o.adj = adj.data();
        o.live = with_live ? live.data() : nullptr;
        o.legal = legal.data();
        return o;
    }
};

// A random batch: graph b has n_live[b] live slots scattered among N (the
// rest padding), random DAG edges of random type groups among live
// vertices, env.h-like features
// (index 0 = 1 for padding, op code at cfg.op_feature), legal a random
// subset of live vertices (at least one when any is live).
inline Obs random_obs(const ccx_nn_config &cfg, int B, int N, const std::vector<int> &n_live,
                      uint64_t seed) {
    ccx_rng r;
    ccx_rng_seed(&r, seed);
    Obs o;
    o.B = B;
    o.N = N;
    o.F = cfg.n_features;
    int F = cfg.n_features;
    o.features.assign((size_t)B * N * F, 0.0f);
    o.adj.assign((size_t)B * N * N, 0);
    o.live.assign((size_t)B * N, 0);
    o.legal.assign((size_t)B * N, 0);
    for (int b = 0; b < B; b++) {
        std::vector<int> slots(N);
        for (int i = 0; i < N; i++) slots[i] = i;
        for (int i = N - 1; i > 0; i--) std::swap(slots[i], slots[ccx_rng_below(&r, (uint64_t)i + 1)]);
        int nl = n_live[(size_t)b % n_live.size()];
        std::vector<int> order(slots.begin(), slots.begin() + nl); // topological order of live
        for (int a = 0; a < nl; a++) {
            int i = order[a];
            o.live[(size_t)b * N + i] = 1;
            for (int c = a + 1; c < nl; c++)
                if (ccx_rng_unit(&r) < 0.35) // 1 + a type group, now and then past the last
                    o.adj[((size_t)b * N + i) * N + order[c]] = (uint8_t)(1 + ccx_rng_below(&r, 4));
        }
        bool any = false;
        for (int i = 0; i < N; i++) {
            float *f = &o.features[((size_t)b * N + i) * F];
            if (!o.live[(size_t)b * N + i]) {
                f[CCX_NN_PADDING_FEATURE] = 1.0f;
                continue;
            }
            for (int k = 1; k < F; k++) f[k] = (float)(2.0 * ccx_rng_unit(&r) - 1.0);
            if (cfg.op_feature >= 0) // an op code, sometimes out of range (one-hot all 0)
                f[cfg.op_feature] = (float)ccx_rng_below(&r, (uint64_t)cfg.n_op_codes + 1);
            if (ccx_rng_unit(&r) < 0.5) {
                o.legal[(size_t)b * N + i] = 1;
                any = true;
            }
        }
        if (!any && nl > 0) o.legal[(size_t)b * N + order[0]] = 1;
    }
    return o;
}

// Whole-network forward in double. params in the layout of cfg.
inline void forward(const ccx_nn_config &cfg, const Vec &p, const Obs &o, Vec *logits, Vec *value) {
    ccx_nn_layout lay;
    ccx_nn_layout_init(&lay, &cfg);
    auto P = [&](int t) { return p.data() + lay.offset[t]; };
    int B = o.B, N = o.N, R = B * N, F = cfg.n_features, G = F + cfg.n_op_codes, D = cfg.dim;
    int H = cfg.n_heads, M = cfg.mlp_dim, V = cfg.value_dim;
    Vec E((size_t)R * 3 * G), x((size_t)R * D), a((size_t)R * D), qkv((size_t)R * 3 * D);
    Vec att((size_t)R * D), t((size_t)R * D), h1((size_t)R * M);
    embed(E.data(), o.features.data(), o.adj.data(), o.live.data(), B, N, F, cfg.op_feature,
          cfg.n_op_codes);
    matmul(x.data(), E.data(), P(CCX_NN_EMB_W), P(CCX_NN_EMB_B), R, 3 * G, D);
    for (int l = 0; l < cfg.n_layers; l++) {
        size_t lD = (size_t)l * D;
        layernorm(a.data(), x.data(), P(CCX_NN_LN1_G) + lD, P(CCX_NN_LN1_B) + lD, R, D);
        matmul(qkv.data(), a.data(), P(CCX_NN_QKV_W) + lD * 3 * D, P(CCX_NN_QKV_B) + 3 * lD, R, D, 3 * D);
        attention(att.data(), qkv.data(), o.adj.data(), o.live.data(), P(CCX_NN_EDGE) + (size_t)l * 2 * CCX_NN_EDGE_GROUPS * H,
                  B, N, D, H);
        matmul(t.data(), att.data(), P(CCX_NN_ATTN_W) + lD * D, P(CCX_NN_ATTN_B) + lD, R, D, D);
        for (size_t i = 0; i < x.size(); i++) x[i] += t[i];
        layernorm(a.data(), x.data(), P(CCX_NN_LN2_G) + lD, P(CCX_NN_LN2_B) + lD, R, D);
        matmul(h1.data(), a.data(), P(CCX_NN_FC1_W) + lD * M, P(CCX_NN_FC1_B) + (size_t)l * M, R, D, M);
        for (double &v : h1) v = gelu(v);
        matmul(t.data(), h1.data(), P(CCX_NN_FC2_W) + (size_t)l * M * D, P(CCX_NN_FC2_B) + lD, R, M, D);
        for (size_t i = 0; i < x.size(); i++) x[i] += t[i];
    }
    layernorm(a.data(), x.data(), P(CCX_NN_LNF_G), P(CCX_NN_LNF_B), R, D);
    if (logits) {
        logits->assign((size_t)R, 0.0);
        for (int r = 0; r < R; r++) {
            if (!o.legal[r]) {
                (*logits)[r] = CCX_NN_MASKED_LOGIT;
                continue;
            }
            double s = P(CCX_NN_POL_B)[0];
            for (int d = 0; d < D; d++) s += a[(size_t)r * D + d] * P(CCX_NN_POL_W)[d];
            (*logits)[r] = s;
        }
    }
    if (value) {
        value->assign((size_t)B, 0.0);
        Vec pooled(D), hv(V);
        for (int b = 0; b < B; b++) {
            int cnt = 0;
            std::fill(pooled.begin(), pooled.end(), 0.0);
            for (int i = 0; i < N; i++)
                if (o.live[(size_t)b * N + i]) {
                    cnt++;
                    for (int d = 0; d < D; d++) pooled[d] += a[((size_t)b * N + i) * D + d];
                }
            if (cnt)
                for (double &v : pooled) v /= cnt;
            matmul(hv.data(), pooled.data(), P(CCX_NN_VAL1_W), P(CCX_NN_VAL1_B), 1, D, V);
            double s = P(CCX_NN_VAL2_B)[0];
            for (int k = 0; k < V; k++) s += gelu(hv[k]) * P(CCX_NN_VAL2_W)[k];
            (*value)[b] = s;
        }
    }
}

} // namespace nnref

#endif
