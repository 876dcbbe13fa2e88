// The CPU policy/value network (host/nn): every layer's forward against a
// double-precision reference (tests/nn_ref.h) and its backward against
// central finite differences of that reference; the whole network likewise
// for the policy and the value output; permutation equivariance; masking;
// AdamW against a hand-computed step; safetensors checkpoints (round trip,
// truncated, bit-flipped, wrong shape, wrong dtype, wrong config).
//
// Tolerances: errors are measured as max |analytic - reference| over a
// tensor divided by max |reference| over it ("relative error"). The float
// library against the double reference: forward <= 1e-5, gradients <= 1e-4
// (float rounding in the backward, ~1e-6 typical, and O(h^2) of the FD step).
#include <gtest/gtest.h>

#include <algorithm>

#include <cjson/cJSON.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <unistd.h>
#include <string>
#include <vector>

#include "nn_ref.h"
#include "test_util.h"

extern "C" {
#include "env/env.h"
#include "nn/checkpoint.h"
#include "nn/model.h"
#include "nn/nn.h"
#include "nn/nn_cpu.h"
#include "util/rng.h"
#include "util/threads.h"
}

namespace {

using nnref::Vec;

constexpr double kFwdTol = 1e-5;
constexpr double kGradTol = 1e-4;
constexpr double kStep = 1e-5; // central-difference step (double)

std::vector<float> randv(size_t n, ccx_rng *r, double scale = 1.0) {
    std::vector<float> v(n);
    for (float &x : v) x = (float)(scale * (2.0 * ccx_rng_unit(r) - 1.0));
    return v;
}

Vec to_d(const std::vector<float> &v) { return Vec(v.begin(), v.end()); }

// max |a - b| / max |b|
double rel_err(const float *a, const double *b, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num = std::max(num, std::fabs((double)a[i] - b[i]));
        den = std::max(den, std::fabs(b[i]));
    }
    return den > 0 ? num / den : num;
}

// Central differences of f (a scalar function of the double vector x) at x.
Vec fd_grad(Vec x, const std::function<double(const Vec &)> &f) {
    Vec g(x.size());
    for (size_t i = 0; i < x.size(); i++) {
        double x0 = x[i];
        x[i] = x0 + kStep;
        double fp = f(x);
        x[i] = x0 - kStep;
        double fm = f(x);
        x[i] = x0;
        g[i] = (fp - fm) / (2 * kStep);
    }
    return g;
}

double dot(const Vec &a, const std::vector<float> &w) {
    double s = 0;
    for (size_t i = 0; i < a.size(); i++) s += a[i] * w[i];
    return s;
}

ccx_nn_config small_config() {
    ccx_nn_config c = ccx_nn_config_default();
    c.n_features = 5;
    c.op_feature = 4;
    c.n_op_codes = 3;
    c.n_pad = 9;
    c.dim = 8;
    c.n_layers = 2;
    c.n_heads = 2;
    c.mlp_dim = 12;
    c.value_dim = 6;
    return c;
}

struct CpuNet {
    ccx_nn_cpu nn;
    CpuNet(const ccx_nn_config &c, int max_batch, uint64_t seed) {
        ccx_error err;
        int rc = ccx_nn_cpu_init(&nn, &c, max_batch, seed, &err);
        EXPECT_EQ(rc, 0) << err.msg;
    }
    ~CpuNet() { ccx_nn_cpu_free(&nn); }
};

} // namespace

// ------------------------------------------------------------------ config --
TEST(NnConfig, DefaultIsValidAndMatchesTheEnvironment) {
    ccx_nn_config c = ccx_nn_config_default();
    ccx_error err;
    EXPECT_EQ(ccx_nn_config_validate(&c, &err), 0) << err.msg;
    EXPECT_EQ(c.n_features, 18); // CCX_OBS_FEATURES
    EXPECT_EQ(c.op_feature, CCX_OBS_F_OP);
    EXPECT_EQ(CCX_OBS_F_OP, 9);
}

TEST(NnConfig, ErrorsNameTheField) {
    struct Case {
        void (*mut)(ccx_nn_config *);
        const char *field;
    } cases[] = {
        {[](ccx_nn_config *c) { c->n_features = 0; }, "n_features"},
        {[](ccx_nn_config *c) { c->n_pad = 5000; }, "n_pad"},
        {[](ccx_nn_config *c) { c->dim = 0; }, "dim"},
        {[](ccx_nn_config *c) { c->n_layers = -1; }, "n_layers"},
        {[](ccx_nn_config *c) { c->n_heads = 0; }, "n_heads"},
        {[](ccx_nn_config *c) { c->mlp_dim = 0; }, "mlp_dim"},
        {[](ccx_nn_config *c) { c->value_dim = -3; }, "value_dim"},
        {[](ccx_nn_config *c) { c->op_feature = 18; }, "op_feature"},
        {[](ccx_nn_config *c) { c->n_op_codes = 0; }, "n_op_codes"},
        {[](ccx_nn_config *c) { c->n_heads = 3; }, "n_heads"},
    };
    for (const Case &k : cases) {
        ccx_nn_config c = ccx_nn_config_default();
        k.mut(&c);
        ccx_error err;
        EXPECT_EQ(ccx_nn_config_validate(&c, &err), -1) << k.field;
        EXPECT_NE(std::string(err.msg).find(k.field), std::string::npos) << err.msg;
    }
}

TEST(NnConfig, LayoutIsContiguousAndCountsParameters) {
    ccx_nn_config c = ccx_nn_config_default();
    ccx_nn_layout lay;
    ccx_nn_layout_init(&lay, &c);
    size_t G = 18 + 30, D = 128, L = 4, H = 4, M = 512, V = 128;
    size_t T = CCX_NN_EDGE_GROUPS;
    size_t want = 3 * G * D + D + L * (2 * D + D * 3 * D + 3 * D + 2 * T * H + D * D + D + 2 * D + D * M + M +
                                       M * D + D) +
                  2 * D + D + 1 + D * V + V + V + 1;
    EXPECT_EQ(lay.n_params, want);
    size_t off = 0;
    for (int t = 0; t < CCX_NN_N_TENSORS; t++) {
        EXPECT_EQ(lay.offset[t], off) << ccx_nn_tensor_name(t);
        off += lay.size[t];
    }
    double fwd, fb;
    ccx_nn_flops(&c, 128, &fwd, &fb);
    double emb = 2.0 * 128 * 3 * G * D;
    EXPECT_DOUBLE_EQ(fb, 3 * fwd - emb);
}

// ------------------------------------------------------------------ layers --
TEST(NnLayers, MatmulForwardBackward) {
    ccx_rng r;
    ccx_rng_seed(&r, 1);
    const int R = 5, C = 4, OC = 3;
    auto inp = randv(R * C, &r), w = randv(C * OC, &r), b = randv(OC, &r), dout = randv(R * OC, &r);
    std::vector<float> out(R * OC);
    ccx_nn_matmul_forward(out.data(), inp.data(), w.data(), b.data(), R, C, OC);
    Vec ref(R * OC);
    Vec di = to_d(inp), dw = to_d(w), db = to_d(b);
    nnref::matmul(ref.data(), di.data(), dw.data(), db.data(), R, C, OC);
    EXPECT_LT(rel_err(out.data(), ref.data(), ref.size()), kFwdTol);
    std::vector<float> ginp(R * C, 0), gw(C * OC, 0), gb(OC, 0);
    ccx_nn_matmul_backward(ginp.data(), gw.data(), gb.data(), dout.data(), inp.data(), w.data(), R, C, OC);
    auto loss = [&](const Vec &i, const Vec &ww, const Vec &bb) {
        Vec o(R * OC);
        nnref::matmul(o.data(), i.data(), ww.data(), bb.data(), R, C, OC);
        return dot(o, dout);
    };
    EXPECT_LT(rel_err(ginp.data(), fd_grad(di, [&](const Vec &x) { return loss(x, dw, db); }).data(), ginp.size()), kGradTol);
    EXPECT_LT(rel_err(gw.data(), fd_grad(dw, [&](const Vec &x) { return loss(di, x, db); }).data(), gw.size()), kGradTol);
    EXPECT_LT(rel_err(gb.data(), fd_grad(db, [&](const Vec &x) { return loss(di, dw, x); }).data(), gb.size()), kGradTol);
}

TEST(NnLayers, LayerNormForwardBackward) {
    ccx_rng r;
    ccx_rng_seed(&r, 2);
    const int R = 6, C = 7;
    auto x = randv(R * C, &r, 2.0), g = randv(C, &r), b = randv(C, &r), dout = randv(R * C, &r);
    for (float &v : g) v += 1.0f;
    std::vector<float> out(R * C), mean(R), rstd(R);
    ccx_nn_layernorm_forward(out.data(), mean.data(), rstd.data(), x.data(), g.data(), b.data(), R, C);
    Vec dx = to_d(x), dg = to_d(g), dbb = to_d(b), ref(R * C);
    nnref::layernorm(ref.data(), dx.data(), dg.data(), dbb.data(), R, C);
    EXPECT_LT(rel_err(out.data(), ref.data(), ref.size()), kFwdTol);
    std::vector<float> gx(R * C, 0), gg(C, 0), gb(C, 0);
    ccx_nn_layernorm_backward(gx.data(), gg.data(), gb.data(), dout.data(), x.data(), g.data(),
                              mean.data(), rstd.data(), R, C);
    auto loss = [&](const Vec &xx, const Vec &gg2, const Vec &bb) {
        Vec o(R * C);
        nnref::layernorm(o.data(), xx.data(), gg2.data(), bb.data(), R, C);
        return dot(o, dout);
    };
    EXPECT_LT(rel_err(gx.data(), fd_grad(dx, [&](const Vec &v) { return loss(v, dg, dbb); }).data(), gx.size()), kGradTol);
    EXPECT_LT(rel_err(gg.data(), fd_grad(dg, [&](const Vec &v) { return loss(dx, v, dbb); }).data(), gg.size()), kGradTol);
    EXPECT_LT(rel_err(gb.data(), fd_grad(dbb, [&](const Vec &v) { return loss(dx, dg, v); }).data(), gb.size()), kGradTol);
}

TEST(NnLayers, GeluMlpForwardBackward) {
    // ln -> fc1 -> GELU -> fc2: the layer's MLP branch
    ccx_rng r;
    ccx_rng_seed(&r, 3);
    const int R = 4, D = 5, M = 7;
    auto x = randv(R * D, &r, 2.0), w1 = randv(D * M, &r), b1 = randv(M, &r), w2 = randv(M * D, &r),
         b2 = randv(D, &r), dout = randv(R * D, &r);
    std::vector<float> h(R * M), a(R * M), y(R * D);
    ccx_nn_matmul_forward(h.data(), x.data(), w1.data(), b1.data(), R, D, M);
    ccx_nn_gelu_forward(a.data(), h.data(), a.size());
    ccx_nn_matmul_forward(y.data(), a.data(), w2.data(), b2.data(), R, M, D);
    Vec dx = to_d(x), dw1 = to_d(w1), db1 = to_d(b1), dw2 = to_d(w2), db2 = to_d(b2);
    auto fwd = [&](const Vec &xx, const Vec &ww1, const Vec &ww2) {
        Vec hh(R * M), yy(R * D);
        nnref::matmul(hh.data(), xx.data(), ww1.data(), db1.data(), R, D, M);
        for (double &v : hh) v = nnref::gelu(v);
        nnref::matmul(yy.data(), hh.data(), ww2.data(), db2.data(), R, M, D);
        return yy;
    };
    Vec ref = fwd(dx, dw1, dw2);
    EXPECT_LT(rel_err(y.data(), ref.data(), ref.size()), kFwdTol);
    std::vector<float> ga(R * M, 0), gw2(M * D, 0), gb2(D, 0), gx(R * D, 0), gw1(D * M, 0), gb1(M, 0);
    ccx_nn_matmul_backward(ga.data(), gw2.data(), gb2.data(), dout.data(), a.data(), w2.data(), R, M, D);
    ccx_nn_gelu_backward(ga.data(), h.data(), ga.data(), ga.size());
    ccx_nn_matmul_backward(gx.data(), gw1.data(), gb1.data(), ga.data(), x.data(), w1.data(), R, D, M);
    EXPECT_LT(rel_err(gx.data(), fd_grad(dx, [&](const Vec &v) { return dot(fwd(v, dw1, dw2), dout); }).data(), gx.size()), kGradTol);
    EXPECT_LT(rel_err(gw1.data(), fd_grad(dw1, [&](const Vec &v) { return dot(fwd(dx, v, dw2), dout); }).data(), gw1.size()), kGradTol);
    EXPECT_LT(rel_err(gw2.data(), fd_grad(dw2, [&](const Vec &v) { return dot(fwd(dx, dw1, v), dout); }).data(), gw2.size()), kGradTol);
}

TEST(NnLayers, EmbeddingInputsAreNeighbourMeans) {
    ccx_nn_config c = small_config();
    nnref::Obs o = nnref::random_obs(c, 3, 7, {7, 4, 1}, 11);
    int G = c.n_features + c.n_op_codes;
    std::vector<float> E((size_t)o.B * o.N * 3 * G);
    ccx_nn_embed_inputs(E.data(), nullptr, nullptr, o.features.data(), o.adj.data(), o.live.data(),
                        o.B, o.N, c.n_features, c.op_feature, c.n_op_codes);
    Vec ref(E.size());
    nnref::embed(ref.data(), o.features.data(), o.adj.data(), o.live.data(), o.B, o.N, c.n_features,
                 c.op_feature, c.n_op_codes);
    EXPECT_LT(rel_err(E.data(), ref.data(), ref.size()), kFwdTol);
    std::vector<uint8_t> live(o.live.size());
    ccx_nn_live_from_features(live.data(), o.features.data(), o.B * o.N, c.n_features);
    EXPECT_EQ(live, o.live);
}

// The embedding's one-hot columns as sparse rows of W: the listed columns are
// exactly E's nonzero one-hot entries, and the products equal one dense
// matmul (forward, dW, dbias).
TEST(NnLayers, EmbeddingMatmulTakesTheOneHotsAsSparseRows) {
    ccx_nn_config c = small_config();
    ASSERT_GT(c.n_op_codes, 0);
    nnref::Obs o = nnref::random_obs(c, 3, 7, {7, 4, 1}, 12);
    const int F = c.n_features, K = c.n_op_codes, G = F + K, R = o.B * o.N, D = 5;
    std::vector<float> E((size_t)R * 3 * G);
    std::vector<uint16_t> hot((size_t)R * 3 * K), hot_n(R);
    ccx_nn_embed_inputs(E.data(), hot.data(), hot_n.data(), o.features.data(), o.adj.data(),
                        o.live.data(), o.B, o.N, F, c.op_feature, K);
    int listed = 0;
    for (int r = 0; r < R; r++) {
        std::vector<int> want, got(hot.begin() + (size_t)r * 3 * K,
                                   hot.begin() + (size_t)r * 3 * K + hot_n[r]);
        for (int t = 0; t < 3; t++)
            for (int k = 0; k < K; k++)
                if (E[(size_t)r * 3 * G + t * G + F + k] != 0.0f) want.push_back(t * K + k);
        std::sort(got.begin(), got.end());
        EXPECT_EQ(got, want) << "row " << r;
        listed += hot_n[r];
    }
    EXPECT_GT(listed, R);  // the neighbour means have one-hot entries too
    ccx_rng rng;
    ccx_rng_seed(&rng, 5);
    auto W = randv(3 * G * D, &rng), b = randv(D, &rng), dX = randv(R * D, &rng);
    std::vector<float> X(R * D), Xref(R * D);
    ccx_nn_embed_matmul_forward(X.data(), E.data(), hot.data(), hot_n.data(), W.data(), b.data(),
                                R, F, K, D);
    ccx_nn_matmul_forward(Xref.data(), E.data(), W.data(), b.data(), R, 3 * G, D);
    Vec xr(Xref.begin(), Xref.end());
    EXPECT_LT(rel_err(X.data(), xr.data(), xr.size()), kFwdTol);
    std::vector<float> gW(3 * G * D, 0), gb(D, 0), gWref(3 * G * D, 0), gbref(D, 0);
    ccx_nn_embed_matmul_backward(gW.data(), gb.data(), dX.data(), E.data(), hot.data(),
                                 hot_n.data(), R, F, K, D);
    ccx_nn_matmul_backward(nullptr, gWref.data(), gbref.data(), dX.data(), E.data(), W.data(), R,
                           3 * G, D);
    Vec wr(gWref.begin(), gWref.end()), br(gbref.begin(), gbref.end());
    EXPECT_LT(rel_err(gW.data(), wr.data(), wr.size()), kFwdTol);
    EXPECT_LT(rel_err(gb.data(), br.data(), br.size()), kFwdTol);
}

static_assert(CCX_NN_EDGE_GROUPS == CCX_REC_GROUPS,
              "the attention has one edge bias per record type group of the observation");

TEST(NnLayers, AttentionForwardBackward) {
    ccx_nn_config c = small_config();
    const int B = 3, N = 6, D = 8, H = 2;
    // graph 2 has no live vertex at all: its rows must come out 0
    nnref::Obs o = nnref::random_obs(c, B, N, {6, 4, 0}, 12);
    ccx_rng r;
    ccx_rng_seed(&r, 4);
    const int T = CCX_NN_EDGE_GROUPS;  // edges of every group (random_obs), one bias each
    auto qkv = randv((size_t)B * N * 3 * D, &r, 1.5), edge = randv(2 * T * H, &r),
         dout = randv((size_t)B * N * D, &r);
    std::vector<uint8_t> code((size_t)B * N * N);
    ccx_nn_edge_codes(code.data(), o.adj.data(), o.live.data(), B, N);
    std::vector<float> out((size_t)B * N * D), att((size_t)B * H * N * N);
    ccx_nn_attention_forward(out.data(), att.data(), qkv.data(), code.data(), edge.data(), B, N, D, H);
    Vec dq = to_d(qkv), de = to_d(edge);
    auto fwd = [&](const Vec &q, const Vec &e) {
        Vec y((size_t)B * N * D);
        nnref::attention(y.data(), q.data(), o.adj.data(), o.live.data(), e.data(), B, N, D, H);
        return y;
    };
    Vec ref = fwd(dq, de);
    EXPECT_LT(rel_err(out.data(), ref.data(), ref.size()), kFwdTol);
    for (int b = 0; b < B; b++) // padding keys get probability exactly 0
        for (int h = 0; h < H; h++)
            for (int i = 0; i < N; i++)
                for (int j = 0; j < N; j++)
                    if (!o.live[(size_t)b * N + j])
                        EXPECT_EQ(att[(((size_t)b * H + h) * N + i) * N + j], 0.0f);
    std::vector<float> gq(qkv.size(), 7.0f), ge(2 * T * H, 0), scratch((size_t)B * H * N * N);
    ccx_nn_attention_backward(gq.data(), ge.data(), scratch.data(), dout.data(), qkv.data(), att.data(),
                              code.data(), B, N, D, H);
    Vec fq = fd_grad(dq, [&](const Vec &v) { return dot(fwd(v, de), dout); });
    Vec fe = fd_grad(de, [&](const Vec &v) { return dot(fwd(dq, v), dout); });
    EXPECT_LT(rel_err(gq.data(), fq.data(), gq.size()), kGradTol);
    EXPECT_LT(rel_err(ge.data(), fe.data(), ge.size()), kGradTol);
    for (int k = 0; k < 2 * T; k++) {  // every (direction, group) bias moves the output
        double mag = 0;
        for (int h = 0; h < H; h++) mag += std::fabs(fe[(size_t)k * H + h]);
        EXPECT_GT(mag, 1e-6) << (k < T ? "out" : "in") << " group " << k % T;
    }
}

TEST(NnLayers, PolicyHeadMasksAndPoolIsMasked) {
    ccx_rng r;
    ccx_rng_seed(&r, 5);
    const int B = 2, N = 5, D = 4, R = B * N;
    auto z = randv(R * D, &r), w = randv(D, &r), b = randv(1, &r), dl = randv(R, &r), dp = randv(B * D, &r);
    std::vector<uint8_t> legal = {1, 0, 1, 0, 0, 0, 1, 1, 0, 1}, live = {1, 1, 1, 0, 0, 1, 1, 1, 1, 1};
    std::vector<float> logits(R), gz(R * D), gw(D, 0), gb(1, 0);
    ccx_nn_policy_forward(logits.data(), z.data(), w.data(), b.data(), legal.data(), R, D);
    for (int i = 0; i < R; i++) {
        if (!legal[i]) {
            EXPECT_EQ(logits[i], CCX_NN_MASKED_LOGIT);
            continue;
        }
        double s = b[0];
        for (int d = 0; d < D; d++) s += (double)z[i * D + d] * w[d];
        EXPECT_NEAR(logits[i], s, 1e-6);
    }
    ccx_nn_policy_backward(gz.data(), gw.data(), gb.data(), dl.data(), z.data(), w.data(), legal.data(), R, D);
    double sb = 0;
    for (int i = 0; i < R; i++) {
        for (int d = 0; d < D; d++)
            EXPECT_FLOAT_EQ(gz[i * D + d], legal[i] ? dl[i] * w[d] : 0.0f) << "row " << i;
        if (legal[i]) sb += dl[i];
    }
    EXPECT_NEAR(gb[0], sb, 1e-6);
    std::vector<float> pooled(B * D), gzp(R * D, 0);
    ccx_nn_pool_forward(pooled.data(), z.data(), live.data(), B, N, D);
    ccx_nn_pool_backward(gzp.data(), dp.data(), live.data(), B, N, D);
    for (int bb = 0; bb < B; bb++) {
        int cnt = 0;
        for (int i = 0; i < N; i++) cnt += live[bb * N + i];
        for (int d = 0; d < D; d++) {
            double s = 0;
            for (int i = 0; i < N; i++)
                if (live[bb * N + i]) s += z[(bb * N + i) * D + d];
            EXPECT_NEAR(pooled[bb * D + d], s / cnt, 1e-6);
            for (int i = 0; i < N; i++)
                EXPECT_FLOAT_EQ(gzp[(bb * N + i) * D + d], live[bb * N + i] ? dp[bb * D + d] / cnt : 0.0f);
        }
    }
}

// -------------------------------------------------------------- the network --
namespace {

Vec params_d(const ccx_nn_cpu &nn) { return Vec(nn.params, nn.params + nn.lay.n_params); }

// Make LayerNorm gains and biases non-trivial so their gradients are tested.
void perturb_params(ccx_nn_cpu &nn, uint64_t seed) {
    ccx_rng r;
    ccx_rng_seed(&r, seed);
    for (size_t i = 0; i < nn.lay.n_params; i++) nn.params[i] += (float)(0.2 * (2 * ccx_rng_unit(&r) - 1));
    for (int t : {CCX_NN_POL_W, CCX_NN_VAL2_W})
        for (size_t i = 0; i < nn.lay.size[t]; i++) nn.params[nn.lay.offset[t] + i] *= 10.0f;
}

void check_network_grads(bool policy) {
    ccx_nn_config c = small_config();
    CpuNet net(c, 4, 21);
    perturb_params(net.nn, 22);
    // batch: a full graph, one with padding, one with a single live vertex;
    // obs N = 7 < n_pad = 9 (a smaller N than the preallocation)
    nnref::Obs o = nnref::random_obs(c, 3, 7, {7, 5, 1}, 23);
    ccx_rng r;
    ccx_rng_seed(&r, 24);
    // weights on every entry, illegal ones included: those must get no gradient
    auto wl = randv((size_t)o.B * o.N, &r), wv = randv((size_t)o.B, &r);
    ccx_error err;
    ccx_nn_obs ov = o.view();
    ASSERT_EQ(ccx_nn_cpu_forward(&net.nn, &ov, &err), 0) << err.msg;
    Vec rl, rv;
    Vec p = params_d(net.nn);
    nnref::forward(c, p, o, &rl, &rv);
    EXPECT_LT(rel_err(net.nn.act[CCX_NN_A_LOGITS], rl.data(), rl.size()), kFwdTol);
    EXPECT_LT(rel_err(net.nn.act[CCX_NN_A_VALUE], rv.data(), rv.size()), kFwdTol);
    ccx_nn_cpu_zero_grad(&net.nn);
    ASSERT_EQ(ccx_nn_cpu_backward(&net.nn, policy ? wl.data() : nullptr, policy ? nullptr : wv.data(), &err), 0);
    auto loss = [&](const Vec &pp) {
        Vec l, v;
        nnref::forward(c, pp, o, policy ? &l : nullptr, policy ? nullptr : &v);
        double s = 0;
        if (policy) {
            for (size_t i = 0; i < l.size(); i++)
                if (o.legal[i]) s += l[i] * wl[i];
        } else
            s = dot(v, wv);
        return s;
    };
    Vec fd = fd_grad(p, loss);
    double worst = 0;
    for (int t = 0; t < CCX_NN_N_TENSORS; t++) {
        size_t o0 = net.nn.lay.offset[t], n = net.nn.lay.size[t];
        double e = rel_err(net.nn.grads + o0, fd.data() + o0, n);
        double mx = 0;
        for (size_t i = 0; i < n; i++) mx = std::max(mx, std::fabs(fd[o0 + i]));
        if (mx < 1e-9) { // no dependence (e.g. the other head): gradient must be exactly 0
            for (size_t i = 0; i < n; i++) EXPECT_EQ(net.nn.grads[o0 + i], 0.0f) << ccx_nn_tensor_name(t);
            continue;
        }
        worst = std::max(worst, e);
        EXPECT_LT(e, kGradTol) << "tensor " << ccx_nn_tensor_name(t) << (policy ? " (policy)" : " (value)");
    }
    ::testing::Test::RecordProperty("worst_rel_err", std::to_string(worst));
    printf("  worst relative gradient error (%s): %.3g\n", policy ? "policy" : "value", worst);
}

} // namespace

TEST(NnNetwork, PolicyGradientsMatchFiniteDifferences) { check_network_grads(true); }
TEST(NnNetwork, ValueGradientsMatchFiniteDifferences) { check_network_grads(false); }

TEST(NnNetwork, PermutingVerticesPermutesLogitsAndKeepsValue) {
    ccx_nn_config c = ccx_nn_config_default();
    c.n_pad = 24;
    c.dim = 32;
    c.n_layers = 2;
    c.mlp_dim = 64;
    c.value_dim = 16;
    CpuNet net(c, 2, 31);
    perturb_params(net.nn, 32);
    nnref::Obs o = nnref::random_obs(c, 2, 24, {20, 13}, 33);
    ccx_rng r;
    ccx_rng_seed(&r, 34);
    for (int trial = 0; trial < 3; trial++) {
        std::vector<int> perm(o.N); // new slot perm[i] holds old vertex i
        for (int i = 0; i < o.N; i++) perm[i] = i;
        for (int i = o.N - 1; i > 0; i--) std::swap(perm[i], perm[ccx_rng_below(&r, (uint64_t)i + 1)]);
        nnref::Obs q = o;
        int N = o.N, F = o.F;
        for (int b = 0; b < o.B; b++)
            for (int i = 0; i < N; i++) {
                int pi = perm[i];
                for (int k = 0; k < F; k++)
                    q.features[((size_t)b * N + pi) * F + k] = o.features[((size_t)b * N + i) * F + k];
                q.live[(size_t)b * N + pi] = o.live[(size_t)b * N + i];
                q.legal[(size_t)b * N + pi] = o.legal[(size_t)b * N + i];
                for (int j = 0; j < N; j++) // rows AND columns
                    q.adj[((size_t)b * N + pi) * N + perm[j]] = o.adj[((size_t)b * N + i) * N + j];
            }
        std::vector<float> l0(o.B * N), v0(o.B), l1(o.B * N), v1(o.B);
        ccx_error err;
        // live from the features (env.h layout) on one side, explicit on the other
        ccx_nn_obs a = o.view(false), b = q.view(true);
        ASSERT_EQ(ccx_nn_cpu_forward(&net.nn, &a, &err), 0) << err.msg;
        std::copy(net.nn.act[CCX_NN_A_LOGITS], net.nn.act[CCX_NN_A_LOGITS] + o.B * N, l0.begin());
        std::copy(net.nn.act[CCX_NN_A_VALUE], net.nn.act[CCX_NN_A_VALUE] + o.B, v0.begin());
        ASSERT_EQ(ccx_nn_cpu_forward(&net.nn, &b, &err), 0) << err.msg;
        std::copy(net.nn.act[CCX_NN_A_LOGITS], net.nn.act[CCX_NN_A_LOGITS] + o.B * N, l1.begin());
        std::copy(net.nn.act[CCX_NN_A_VALUE], net.nn.act[CCX_NN_A_VALUE] + o.B, v1.begin());
        for (int bb = 0; bb < o.B; bb++) {
            EXPECT_NEAR(v0[bb], v1[bb], 1e-5 * std::max(1.0f, std::fabs(v0[bb])));
            for (int i = 0; i < N; i++) {
                float x = l0[(size_t)bb * N + i], y = l1[(size_t)bb * N + perm[i]];
                EXPECT_NEAR(x, y, 1e-5 * std::max(1.0f, std::fabs(x))) << "graph " << bb << " vertex " << i;
            }
        }
    }
}

// The batch runs in chunks on OpenMP threads; the chunks depend on the batch
// only, so 1 thread and 3 threads give the same bits (logits, value, grads).
TEST(NnNetwork, FloatsDoNotDependOnTheThreadCount) {
    ccx_nn_config c = small_config();
    ASSERT_GT(c.n_layers, 0);
    const int B = 11, N = 9;
    CpuNet net(c, B, 51);
    perturb_params(net.nn, 52);
    std::vector<int> n_live;
    for (int b = 0; b < B; b++) n_live.push_back(1 + b % N);
    nnref::Obs o = nnref::random_obs(c, B, N, n_live, 53);
    ccx_rng r;
    ccx_rng_seed(&r, 54);
    auto dl = randv(B * N, &r), dv = randv(B, &r);
    size_t P = net.nn.lay.n_params;
    auto run = [&](int threads, std::vector<float> &out) {
        ccx_threads_set(threads);
        ccx_error err;
        ccx_nn_obs ov = o.view();
        ASSERT_EQ(ccx_nn_cpu_forward(&net.nn, &ov, &err), 0);
        out.assign(net.nn.act[CCX_NN_A_LOGITS], net.nn.act[CCX_NN_A_LOGITS] + B * N);
        out.insert(out.end(), net.nn.act[CCX_NN_A_VALUE], net.nn.act[CCX_NN_A_VALUE] + B);
        ccx_nn_cpu_zero_grad(&net.nn);
        ASSERT_EQ(ccx_nn_cpu_backward(&net.nn, dl.data(), dv.data(), &err), 0);
        out.insert(out.end(), net.nn.grads, net.nn.grads + P);
    };
    std::vector<float> one, three;
    run(1, one);
    run(3, three);
    bool threaded = ccx_threads_max() == 3;
    ccx_threads_set(ccx_threads_cores());
    if (!threaded) GTEST_SKIP() << "built without OpenMP: one thread";
    ASSERT_EQ(one.size(), three.size());
    EXPECT_EQ(0, std::memcmp(one.data(), three.data(), one.size() * sizeof(float)));
    EXPECT_EQ(net.nn.n_chunks, std::min(B, CCX_NN_CPU_CHUNKS));
}

TEST(NnNetwork, MaskedActionsGetZeroProbabilityAndZeroGradient) {
    ccx_nn_config c = small_config();
    CpuNet net(c, 3, 41);
    perturb_params(net.nn, 42);
    nnref::Obs o = nnref::random_obs(c, 3, 9, {9, 6, 3}, 43);
    ccx_error err;
    ccx_nn_obs ov = o.view();
    ASSERT_EQ(ccx_nn_cpu_forward(&net.nn, &ov, &err), 0);
    const float *logits = net.nn.act[CCX_NN_A_LOGITS];
    int R = o.B * o.N;
    for (int b = 0; b < o.B; b++) {
        // the plain softmax of the raw logits gives exactly 0 on masked slots
        float mx = -INFINITY;
        for (int j = 0; j < o.N; j++) mx = std::max(mx, logits[b * o.N + j]);
        for (int i = 0; i < o.N; i++)
            if (!o.legal[(size_t)b * o.N + i]) EXPECT_EQ(std::exp(logits[b * o.N + i] - mx), 0.0f);
    }
    // Gradient through masked logits: dlogits with garbage on illegal entries
    // gives exactly the gradients of dlogits zeroed there.
    ccx_rng r;
    ccx_rng_seed(&r, 44);
    auto dl = randv(R, &r), dz = dl;
    for (int i = 0; i < R; i++)
        if (!o.legal[i]) {
            dl[i] = 1e6f * (i % 2 ? 1 : -1);
            dz[i] = 0;
        }
    size_t P = net.nn.lay.n_params;
    ccx_nn_cpu_zero_grad(&net.nn);
    ASSERT_EQ(ccx_nn_cpu_backward(&net.nn, dl.data(), nullptr, &err), 0);
    std::vector<float> g1(net.nn.grads, net.nn.grads + P);
    ccx_nn_cpu_zero_grad(&net.nn);
    ASSERT_EQ(ccx_nn_cpu_backward(&net.nn, dz.data(), nullptr, &err), 0);
    EXPECT_EQ(0, std::memcmp(g1.data(), net.nn.grads, P * sizeof(float)));
}

TEST(NnNetwork, BadObservationsAreRefused) {
    ccx_nn_config c = small_config();
    CpuNet net(c, 2, 1);
    nnref::Obs o = nnref::random_obs(c, 2, 9, {9}, 2);
    ccx_error err;
    ccx_nn_obs ov = o.view();
    ov.batch = 3;
    EXPECT_EQ(ccx_nn_cpu_forward(&net.nn, &ov, &err), -1);
    EXPECT_NE(std::string(err.msg).find("batch"), std::string::npos);
    ov = o.view();
    ov.n_pad = 10;
    EXPECT_EQ(ccx_nn_cpu_forward(&net.nn, &ov, &err), -1);
    EXPECT_NE(std::string(err.msg).find("n_pad"), std::string::npos);
    CpuNet fresh(c, 2, 1);
    EXPECT_EQ(ccx_nn_cpu_backward(&fresh.nn, nullptr, nullptr, &err), -1);
}

TEST(NnNetwork, BackendInterfaceMatchesTheCpuModel) {
    ccx_nn_config c = small_config();
    ccx_error err;
    ccx_nn *nn = ccx_nn_create(&c, CCX_BACKEND_CPU, 2, 7, 0, &err);
    ASSERT_NE(nn, nullptr) << err.msg;
    CpuNet ref(c, 2, 7);
    nnref::Obs o = nnref::random_obs(c, 2, 9, {8, 5}, 3);
    ccx_nn_obs ov = o.view();
    std::vector<float> l(18), v(2);
    ASSERT_EQ(ccx_nn_forward(nn, &ov, l.data(), v.data(), &err), 0);
    ASSERT_EQ(ccx_nn_cpu_forward(&ref.nn, &ov, &err), 0);
    EXPECT_EQ(0, std::memcmp(l.data(), ref.nn.act[CCX_NN_A_LOGITS], l.size() * sizeof(float)));
    EXPECT_EQ(0, std::memcmp(v.data(), ref.nn.act[CCX_NN_A_VALUE], v.size() * sizeof(float)));
    ccx_backend be;
    EXPECT_EQ(ccx_backend_parse("gpu", &be, nullptr, 0, &err), -1);
    ccx_nn_free(nn);
}

// ------------------------------------------------------------------- AdamW --
TEST(NnAdamW, MatchesAHandComputedStep) {
    ccx_nn_config c = small_config();
    CpuNet net(c, 1, 1);
    ccx_nn_cpu &nn = net.nn;
    size_t P = nn.lay.n_params;
    std::fill(nn.params, nn.params + P, 1.0f);
    std::fill(nn.grads, nn.grads + P, 0.0f);
    size_t w = nn.lay.offset[CCX_NN_EMB_W], b = nn.lay.offset[CCX_NN_EMB_B];
    nn.grads[w] = 0.5f; // emb.w decays
    nn.grads[b] = 0.5f; // emb.b does not
    ccx_nn_adamw hp = {0.1f, 0.9f, 0.999f, 1e-8f, 0.01f, 0.0f};
    float norm = 0;
    ccx_error err;
    ASSERT_EQ(ccx_nn_cpu_adamw_step(&nn, &hp, &norm, &err), 0) << err.msg;
    EXPECT_NEAR(norm, std::sqrt(0.5), 1e-6);
    // t = 1: m = 0.1 g = 0.05, v = 0.001 g^2 = 0.00025, mhat = 0.5, vhat = 0.25,
    // step = mhat / (sqrt(vhat) + eps) = 0.5 / 0.50000001 = 0.99999998
    EXPECT_NEAR(nn.m[w], 0.05, 1e-7);
    EXPECT_NEAR(nn.v[w], 0.00025, 1e-8); // (1 - 0.999f) is 0.00099998713 in float
    EXPECT_NEAR(nn.params[w], 1.0 - 0.1 * (0.99999998 + 0.01 * 1.0), 1e-6); // 0.899
    EXPECT_NEAR(nn.params[b], 1.0 - 0.1 * 0.99999998, 1e-6);                // 0.9
    // a parameter with zero gradient only decays (if its tensor decays)
    EXPECT_NEAR(nn.params[w + 1], 1.0 - 0.1 * 0.01, 1e-7);
    EXPECT_EQ(nn.params[b + 1], 1.0f);
    EXPECT_EQ(nn.step, 1);

    // clipping: gradient (3, 4), norm 5, clipped to 1 -> (0.6, 0.8) (up to 1e-6)
    CpuNet net2(c, 1, 1);
    ccx_nn_cpu &n2 = net2.nn;
    std::fill(n2.params, n2.params + P, 0.0f);
    hp = {0.1f, 0.9f, 0.999f, 1e-8f, 0.0f, 1.0f};
    for (int t = 1; t <= 2; t++) {
        std::fill(n2.grads, n2.grads + P, 0.0f);
        n2.grads[b] = 3.0f;
        n2.grads[b + 1] = 4.0f;
        ASSERT_EQ(ccx_nn_cpu_adamw_step(&n2, &hp, &norm, &err), 0);
        EXPECT_NEAR(norm, 5.0, 1e-6);
    }
    // t = 1: m = 0.06, v = 0.00036; t = 2: m = 0.9*0.06 + 0.1*0.6 = 0.114,
    // v = 0.999*0.00036 + 0.001*0.36 = 0.00071964; mhat = 0.114/0.19 = 0.6,
    // vhat = 0.00071964/0.001999 = 0.36: each step moves by lr * 1
    EXPECT_NEAR(n2.m[b], 0.114, 1e-6);
    EXPECT_NEAR(n2.m[b + 1], 0.152, 1e-6);
    EXPECT_NEAR(n2.v[b], 0.00071964, 1e-8);
    EXPECT_NEAR(n2.params[b], -0.2, 1e-5);
    EXPECT_NEAR(n2.params[b + 1], -0.2, 1e-5);

    ccx_nn_adamw bad = hp;
    bad.beta2 = 1.0f;
    EXPECT_EQ(ccx_nn_cpu_adamw_step(&n2, &bad, nullptr, &err), -1);
    EXPECT_NE(std::string(err.msg).find("beta2"), std::string::npos);
}

// ------------------------------------------------------------- checkpoints --
namespace {

ccx_nn_config tiny_config() {
    ccx_nn_config c = ccx_nn_config_default();
    c.n_features = 3;
    c.op_feature = 2;
    c.n_op_codes = 2;
    c.n_pad = 4;
    c.dim = 4;
    c.n_layers = 1;
    c.n_heads = 2;
    c.mlp_dim = 4;
    c.value_dim = 2;
    return c;
}

struct State {
    ccx_nn_config cfg;
    std::vector<float> p, m, v;
};

State random_state(const ccx_nn_config &c, uint64_t seed) {
    ccx_nn_layout lay;
    ccx_nn_layout_init(&lay, &c);
    ccx_rng r;
    ccx_rng_seed(&r, seed);
    return State{c, randv(lay.n_params, &r), randv(lay.n_params, &r), randv(lay.n_params, &r, 0.01)};
}

std::vector<unsigned char> serialize(const State &s, long step = 42) {
    const char *keys[] = {"rng_state", "run"}, *vals[] = {"0123456789abcdef", "{\"lr\": 0.001}"};
    unsigned char *buf;
    size_t len;
    ccx_error err;
    EXPECT_EQ(ccx_nn_checkpoint_serialize(&s.cfg, step, s.p.data(), s.m.data(), s.v.data(), 2, keys,
                                          vals, &buf, &len, &err), 0) << err.msg;
    std::vector<unsigned char> out(buf, buf + len);
    free(buf);
    return out;
}

std::string refusal(const std::vector<unsigned char> &buf, const ccx_nn_config *expect) {
    ccx_nn_checkpoint ck;
    ccx_error err;
    if (ccx_nn_checkpoint_parse(buf.data(), buf.size(), "ck.safetensors", expect, &ck, &err) == 0) {
        ccx_nn_checkpoint_free(&ck);
        return "";
    }
    return err.msg;
}

// Rebuild a file with the header JSON edited by f.
std::vector<unsigned char> edit_header(const std::vector<unsigned char> &buf,
                                       const std::function<void(cJSON *)> &f) {
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)buf[i] << (8 * i);
    cJSON *root = cJSON_ParseWithLength((const char *)buf.data() + 8, hlen);
    f(root);
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    std::string h(s);
    free(s);
    while (h.size() % 8) h += ' ';
    std::vector<unsigned char> out(8);
    for (int i = 0; i < 8; i++) out[i] = (unsigned char)((uint64_t)h.size() >> (8 * i));
    out.insert(out.end(), h.begin(), h.end());
    out.insert(out.end(), buf.begin() + 8 + (long)hlen, buf.end());
    return out;
}

} // namespace

// A checkpoint from before the edge type groups (edge [L, 2, H]) loads with
// its one bias copied to every group and every other tensor in place; on a
// scalar-style observation (all edges of the first group) the network is
// the one it was.
TEST(NnCheckpoint, UngroupedEdgeBiasesServeEveryGroup) {
    ccx_nn_config c = tiny_config();
    ASSERT_GT(c.n_layers, 0);
    ccx_nn_layout old_lay, lay;
    ccx_nn_layout_init_ungrouped_edges(&old_lay, &c);
    ccx_nn_layout_init(&lay, &c);
    ASSERT_EQ(old_lay.size[CCX_NN_EDGE] * CCX_NN_EDGE_GROUPS, lay.size[CCX_NN_EDGE]);
    ccx_rng r;
    ccx_rng_seed(&r, 77);
    auto old_p = randv(old_lay.n_params, &r);
    unsigned char *buf = nullptr;
    size_t len = 0;
    ccx_error err;
    ASSERT_EQ(ccx_nn_checkpoint_serialize_ungrouped_edges(&c, old_p.data(), &buf, &len, &err), 0)
        << err.msg;
    ccx_nn_checkpoint ck;
    ASSERT_EQ(ccx_nn_checkpoint_parse(buf, len, "old.safetensors", &c, &ck, &err), 0) << err.msg;
    free(buf);
    size_t L = c.n_layers, H = c.n_heads;
    for (int t = 0; t < CCX_NN_N_TENSORS; t++) {
        if (t == CCX_NN_EDGE) continue;
        EXPECT_EQ(0, std::memcmp(ck.params + lay.offset[t], old_p.data() + old_lay.offset[t],
                                 lay.size[t] * sizeof(float)))
            << ccx_nn_tensor_name(t);
    }
    for (size_t l = 0; l < L; l++)
        for (size_t w = 0; w < 2; w++)
            for (size_t g = 0; g < CCX_NN_EDGE_GROUPS; g++)
                for (size_t h = 0; h < H; h++)
                    EXPECT_EQ(ck.params[lay.offset[CCX_NN_EDGE] + ((l * 2 + w) * CCX_NN_EDGE_GROUPS + g) * H + h],
                              old_p[old_lay.offset[CCX_NN_EDGE] + (l * 2 + w) * H + h]);
    ccx_nn_checkpoint_free(&ck);
}

TEST(NnCheckpoint, RoundTripIsBitExact) {
    ccx_nn_config c = tiny_config();
    State s = random_state(c, 1);
    char path[] = "/tmp/ccx_nn_ckpt_XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    const char *keys[] = {"rng_state"}, *vals[] = {"deadbeef"};
    ccx_error err;
    ASSERT_EQ(ccx_nn_checkpoint_save(path, &c, 42, s.p.data(), s.m.data(), s.v.data(), 1, keys, vals, &err), 0)
        << err.msg;
    ccx_nn_checkpoint ck;
    ASSERT_EQ(ccx_nn_checkpoint_load(path, &c, &ck, &err), 0) << err.msg;
    size_t n = s.p.size() * sizeof(float);
    EXPECT_EQ(0, std::memcmp(ck.params, s.p.data(), n));
    EXPECT_EQ(0, std::memcmp(ck.m, s.m.data(), n));
    EXPECT_EQ(0, std::memcmp(ck.v, s.v.data(), n));
    EXPECT_EQ(ck.step, 42);
    EXPECT_EQ(0, std::memcmp(&ck.cfg, &c, sizeof c));
    ASSERT_NE(ccx_nn_checkpoint_meta(&ck, "rng_state"), nullptr);
    EXPECT_STREQ(ccx_nn_checkpoint_meta(&ck, "rng_state"), "deadbeef");
    ccx_nn_checkpoint_free(&ck);

    // through the backend interface: a model saved and loaded into another
    ccx_nn *a = ccx_nn_create(&c, CCX_BACKEND_CPU, 1, 5, 0, &err);
    ccx_nn *b = ccx_nn_create(&c, CCX_BACKEND_CPU, 1, 6, 0, &err);
    ASSERT_TRUE(a && b);
    ASSERT_EQ(ccx_nn_set_state(a, s.p.data(), s.m.data(), s.v.data(), 7, &err), 0);
    ASSERT_EQ(ccx_nn_save(a, path, 0, nullptr, nullptr, &err), 0) << err.msg;
    ASSERT_EQ(ccx_nn_load(b, path, &err), 0) << err.msg;
    std::vector<float> p2(s.p.size()), m2(s.p.size()), v2(s.p.size());
    long step = 0;
    ASSERT_EQ(ccx_nn_get_state(b, p2.data(), nullptr, m2.data(), v2.data(), &step, &err), 0);
    EXPECT_EQ(p2, s.p);
    EXPECT_EQ(m2, s.m);
    EXPECT_EQ(v2, s.v);
    EXPECT_EQ(step, 7);
    ccx_nn_free(a);
    ccx_nn_free(b);
    remove(path);
    // the serialized form is stable: same state -> same bytes
    EXPECT_EQ(serialize(s), serialize(s));
}

TEST(NnCheckpoint, HeaderIsSafetensors) {
    ccx_nn_config c = tiny_config();
    auto buf = serialize(random_state(c, 2));
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)buf[i] << (8 * i);
    EXPECT_EQ(hlen % 8, 0u);
    EXPECT_EQ(buf[8], '{');
    cJSON *root = cJSON_ParseWithLength((const char *)buf.data() + 8, hlen);
    ASSERT_NE(root, nullptr);
    cJSON *md = cJSON_GetObjectItemCaseSensitive(root, "__metadata__");
    ASSERT_TRUE(cJSON_IsObject(md));
    for (cJSON *e = md->child; e; e = e->next) EXPECT_TRUE(cJSON_IsString(e)) << e->string;
    EXPECT_STREQ(cJSON_GetObjectItemCaseSensitive(md, "dim")->valuestring, "4");
    EXPECT_STREQ(cJSON_GetObjectItemCaseSensitive(md, "step")->valuestring, "42");
    cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "adam_v.layers.qkv.w");
    ASSERT_NE(t, nullptr);
    EXPECT_STREQ(cJSON_GetObjectItemCaseSensitive(t, "dtype")->valuestring, "F32");
    cJSON *sh = cJSON_GetObjectItemCaseSensitive(t, "shape");
    ASSERT_EQ(cJSON_GetArraySize(sh), 3);
    EXPECT_EQ(cJSON_GetArrayItem(sh, 2)->valueint, 12);
    cJSON_Delete(root);
}

TEST(NnCheckpoint, TruncatedFilesAreRefused) {
    ccx_nn_config c = tiny_config();
    auto buf = serialize(random_state(c, 3));
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)buf[i] << (8 * i);
    for (size_t len : {(size_t)0, (size_t)5, (size_t)8, (size_t)9, (size_t)(8 + hlen / 2), (size_t)(8 + hlen),
                       (size_t)(8 + hlen + 1), buf.size() - 4, buf.size() - 1}) {
        std::vector<unsigned char> t(buf.begin(), buf.begin() + (long)len);
        std::string msg = refusal(t, &c);
        EXPECT_NE(msg, "") << "length " << len;
        EXPECT_NE(msg.find("truncated"), std::string::npos) << "length " << len << ": " << msg;
    }
    // and an extended one
    auto longer = buf;
    longer.push_back(0);
    EXPECT_NE(refusal(longer, &c), "");
}

TEST(NnCheckpoint, BitFlipsAnywhereAreRefused) {
    ccx_nn_config c = tiny_config();
    auto buf = serialize(random_state(c, 4));
    ASSERT_EQ(refusal(buf, &c), "");
    ccx_rng r;
    ccx_rng_seed(&r, 5);
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)buf[i] << (8 * i);
    size_t flips = 0;
    // all 8 bits of each byte of the length field; one random bit of every
    // fifth header byte (at a random phase); about 200 random bits of the data
    size_t phase = ccx_rng_below(&r, 5);
    for (size_t pos = 0; pos < buf.size(); pos++) {
        bool header = pos < 8 + hlen;
        if (header && pos >= 8 && pos % 5 != phase) continue;
        if (!header && ccx_rng_below(&r, buf.size() - 8 - hlen) >= 200) continue;
        for (int bit = 0; bit < 8; bit++) {
            if (pos >= 8 && bit != (int)ccx_rng_below(&r, 8)) continue;
            auto t = buf;
            t[pos] ^= (unsigned char)(1u << bit);
            std::string msg = refusal(t, &c);
            flips++;
            EXPECT_NE(msg, "") << "flip of bit " << bit << " at byte " << pos << " was accepted";
            if (!header) EXPECT_NE(msg.find("checksum"), std::string::npos) << msg;
            if (msg.empty()) return; // one report is enough
        }
    }
    EXPECT_GT(flips, 300u);
}

TEST(NnCheckpoint, WrongShapeDtypeNameOrConfigIsRefused) {
    ccx_nn_config c = tiny_config();
    auto buf = serialize(random_state(c, 6));
    // a tensor with the same number of elements in another shape
    auto shape = edit_header(buf, [](cJSON *root) {
        cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "emb.b");
        cJSON_ReplaceItemInObjectCaseSensitive(t, "shape", cJSON_Parse("[2, 2]"));
    });
    std::string msg = refusal(shape, &c);
    EXPECT_NE(msg.find("tensor 'emb.b' has shape [2, 2], expected [4]"), std::string::npos) << msg;
    // a dtype other than F32
    auto dtype = edit_header(buf, [](cJSON *root) {
        cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "adam_m.val1.w");
        cJSON_ReplaceItemInObjectCaseSensitive(t, "dtype", cJSON_CreateString("F16"));
    });
    msg = refusal(dtype, &c);
    EXPECT_NE(msg.find("tensor 'adam_m.val1.w' has dtype F16, expected F32"), std::string::npos) << msg;
    // a missing tensor, an unexpected one
    auto missing = edit_header(buf, [](cJSON *root) { cJSON_DeleteItemFromObjectCaseSensitive(root, "pol.b"); });
    msg = refusal(missing, &c);
    EXPECT_NE(msg.find("missing tensor 'pol.b'"), std::string::npos) << msg;
    auto renamed = edit_header(buf, [](cJSON *root) {
        cJSON *t = cJSON_DetachItemFromObjectCaseSensitive(root, "pol.b");
        cJSON_AddItemToObject(root, "pol.bias", t);
    });
    msg = refusal(renamed, &c);
    EXPECT_NE(msg.find("pol"), std::string::npos) << msg;
    // the same file loaded into a network of another shape
    ccx_nn_config other = c;
    other.dim = 8;
    msg = refusal(buf, &other);
    EXPECT_NE(msg.find("config mismatch"), std::string::npos) << msg;
    EXPECT_NE(msg.find("dim = 4"), std::string::npos) << msg;
    // n_pad may differ: no weight depends on it
    other = c;
    other.n_pad = 64;
    EXPECT_EQ(refusal(buf, &other), "");
    // a metadata value changed (step) is caught by the checksum
    auto step = edit_header(buf, [](cJSON *root) {
        cJSON *md = cJSON_GetObjectItemCaseSensitive(root, "__metadata__");
        cJSON_ReplaceItemInObjectCaseSensitive(md, "step", cJSON_CreateString("43"));
    });
    msg = refusal(step, &c);
    EXPECT_NE(msg.find("checksum"), std::string::npos) << msg;
    // re-serialized with other spacing and tensor order: still accepted
    auto reordered = edit_header(buf, [](cJSON *root) {
        cJSON *t = cJSON_DetachItemFromObjectCaseSensitive(root, "emb.w");
        cJSON_AddItemToObject(root, "emb.w", t);
    });
    EXPECT_EQ(refusal(reordered, &c), "");
    // a file that is not a checkpoint at all
    std::vector<unsigned char> junk(64, 'x');
    EXPECT_NE(refusal(junk, &c), "");
    ccx_nn_checkpoint ck;
    ccx_error err;
    EXPECT_EQ(ccx_nn_checkpoint_load("/nonexistent/ck.safetensors", &c, &ck, &err), -1);
    EXPECT_NE(std::string(err.msg).find("cannot open"), std::string::npos);
}

// ------------------------------------------------- the environment contract --
// The network consumes host/env/env.h observations as they are: features
// [B, n_pad, CCX_OBS_FEATURES] (live derived from the padding one-hot),
// adjacency [B, n_pad, n_pad], legal mask [B, n_pad].
TEST(NnNetwork, ConsumesEnvironmentObservations) {
    GraphPtr g = load_task("RoeFlux_1d");
    ASSERT_TRUE(g);
    const ccx_graph *graphs[] = {g.get()};
    ccx_error err;
    ccx_env *env = ccx_env_create(CCX_BACKEND_CPU, 2, graphs, 1, nullptr, 0, &err);
    ASSERT_NE(env, nullptr) << err.msg;
    const ccx_env_layout *L = ccx_env_get_layout(env);
    int B = 2, N = L->n_pad;
    // play a few eliminations in env 1 so the two observations differ
    std::vector<int32_t> actions = {CCX_ENV_SKIP, 8};
    ASSERT_EQ(ccx_env_step(env, actions.data(), nullptr, nullptr, 0, &err), 0) << err.msg;
    std::vector<float> features((size_t)B * N * CCX_OBS_FEATURES);
    std::vector<uint8_t> adj((size_t)B * N * N), legal((size_t)B * N);
    ASSERT_EQ(ccx_env_observe(env, nullptr, B, features.data(), adj.data(), 0, &err), 0) << err.msg;
    ASSERT_EQ(ccx_env_legal_mask(env, nullptr, B, legal.data(), 0, &err), 0) << err.msg;
    ccx_env_destroy(env);

    ccx_nn_config c = ccx_nn_config_default();
    c.n_pad = N;
    c.dim = 16;
    c.n_layers = 1;
    c.n_heads = 2;
    c.mlp_dim = 32;
    c.value_dim = 8;
    CpuNet net(c, B, 3);
    ccx_nn_obs obs = {B, N, features.data(), adj.data(), nullptr, legal.data()};
    ASSERT_EQ(ccx_nn_cpu_forward(&net.nn, &obs, &err), 0) << err.msg;
    int n_nodes = 6 + 101; // RoeFlux_1d: 6 inputs, 101 vertices
    for (int b = 0; b < B; b++) {
        int live = 0, n_legal = 0;
        for (int i = 0; i < N; i++) {
            live += net.nn.live[(size_t)b * N + i];
            float l = net.nn.act[CCX_NN_A_LOGITS][(size_t)b * N + i];
            if (legal[(size_t)b * N + i]) {
                n_legal++;
                EXPECT_TRUE(std::isfinite(l) && l > -1e20f);
            } else
                EXPECT_EQ(l, CCX_NN_MASKED_LOGIT);
        }
        EXPECT_EQ(live, n_nodes) << "graph " << b;
        EXPECT_EQ(n_legal, b == 0 ? 98 : 97) << "graph " << b;
        EXPECT_TRUE(std::isfinite(net.nn.act[CCX_NN_A_VALUE][b]));
    }
}
