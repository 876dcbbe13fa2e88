// The CUDA network against its CPU twin (host/nn): forward, backward,
// AdamW and checkpoints. Skipped (GTEST_SKIP) when no CUDA device answers,
// which includes every build without CUDA.
//
// Tolerances (relative error = max |gpu - cpu| / max |cpu| per tensor):
//   FP32 (TF32 off): 1e-3 for logits, values and every gradient tensor;
//   TF32 on (10-bit mantissa inputs to the tensor-core products, FP32
//   accumulation): 3e-2.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "nn_ref.h"

extern "C" {
#include "nn/checkpoint.h"
#include "nn/nn.h"
#include "nn/nn_cpu.h"
#include "util/cuda_info.h"
}

namespace {

constexpr double kFp32Tol = 1e-3;
constexpr double kTf32Tol = 3e-2;

#define REQUIRE_GPU()                                                        \
    do {                                                                     \
        char dev_[256];                                                      \
        if (ccx_cuda_device_info(dev_, sizeof dev_) <= 0)                    \
            GTEST_SKIP() << "no CUDA device answers (" << dev_ << ")";       \
    } while (0)

double rel_err(const float *a, const float *b, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num = std::max(num, std::fabs((double)a[i] - (double)b[i]));
        den = std::max(den, std::fabs((double)b[i]));
    }
    return den > 0 ? num / den : num;
}

std::vector<float> randv(size_t n, uint64_t seed) {
    ccx_rng r;
    ccx_rng_seed(&r, seed);
    std::vector<float> v(n);
    for (float &x : v) x = (float)(2.0 * ccx_rng_unit(&r) - 1.0);
    return v;
}

ccx_nn_config gpu_config(int n_pad) {
    ccx_nn_config c = ccx_nn_config_default(); // env.h features: F 10, one-hot op codes
    c.n_pad = n_pad;
    c.dim = 32;
    c.n_layers = 2;
    c.n_heads = 4;
    c.mlp_dim = 64;
    c.value_dim = 16;
    return c;
}

struct Nets {
    ccx_nn *cpu = nullptr, *gpu = nullptr;
    ~Nets() {
        ccx_nn_free(cpu);
        ccx_nn_free(gpu);
    }
};

// Both backends from the same seed, perturbed identically so LayerNorm and
// head parameters are not at their trivial initial values.
void make(Nets &n, const ccx_nn_config &c, int max_batch, int tf32) {
    ccx_error err;
    n.cpu = ccx_nn_create(&c, CCX_BACKEND_CPU, max_batch, 9, 0, &err);
    ASSERT_NE(n.cpu, nullptr) << err.msg;
    n.gpu = ccx_nn_create(&c, CCX_BACKEND_CUDA, max_batch, 9, tf32, &err);
    ASSERT_NE(n.gpu, nullptr) << err.msg;
    size_t P = ccx_nn_layout_of(n.cpu)->n_params;
    std::vector<float> p(P);
    ASSERT_EQ(ccx_nn_get_state(n.cpu, p.data(), nullptr, nullptr, nullptr, nullptr, &err), 0);
    std::vector<float> q(P);
    ASSERT_EQ(ccx_nn_get_state(n.gpu, q.data(), nullptr, nullptr, nullptr, nullptr, &err), 0) << err.msg;
    EXPECT_EQ(p, q); // same initial parameters
    auto noise = randv(P, 77);
    for (size_t i = 0; i < P; i++) p[i] += 0.1f * noise[i];
    ASSERT_EQ(ccx_nn_set_state(n.cpu, p.data(), nullptr, nullptr, 0, &err), 0);
    ASSERT_EQ(ccx_nn_set_state(n.gpu, p.data(), nullptr, nullptr, 0, &err), 0) << err.msg;
}

void compare(const ccx_nn_config &c, int B, int N, std::vector<int> n_live, int tf32, bool derive_live,
             double tol) {
    Nets n;
    make(n, c, B, tf32);
    if (::testing::Test::HasFatalFailure()) return;
    nnref::Obs o = nnref::random_obs(c, B, N, n_live, 5);
    ccx_nn_obs ov = o.view(!derive_live);
    ccx_error err;
    std::vector<float> lc((size_t)B * N), vc(B), lg((size_t)B * N), vg(B);
    ASSERT_EQ(ccx_nn_forward(n.cpu, &ov, lc.data(), vc.data(), &err), 0) << err.msg;
    ASSERT_EQ(ccx_nn_forward(n.gpu, &ov, lg.data(), vg.data(), &err), 0) << err.msg;
    for (size_t i = 0; i < lc.size(); i++) {
        if (!o.legal[i]) {
            EXPECT_EQ(lg[i], CCX_NN_MASKED_LOGIT) << i;
            lc[i] = lg[i] = 0; // leave the sentinel out of the error scale
        }
    }
    EXPECT_LT(rel_err(lg.data(), lc.data(), lc.size()), tol) << "logits";
    EXPECT_LT(rel_err(vg.data(), vc.data(), vc.size()), tol) << "values";

    auto dl = randv((size_t)B * N, 6), dv = randv(B, 7);
    ASSERT_EQ(ccx_nn_zero_grad(n.cpu, &err), 0);
    ASSERT_EQ(ccx_nn_zero_grad(n.gpu, &err), 0) << err.msg;
    ASSERT_EQ(ccx_nn_backward(n.cpu, dl.data(), dv.data(), &err), 0) << err.msg;
    ASSERT_EQ(ccx_nn_backward(n.gpu, dl.data(), dv.data(), &err), 0) << err.msg;
    const ccx_nn_layout *lay = ccx_nn_layout_of(n.cpu);
    std::vector<float> gc(lay->n_params), gg(lay->n_params);
    ASSERT_EQ(ccx_nn_get_state(n.cpu, nullptr, gc.data(), nullptr, nullptr, nullptr, &err), 0);
    ASSERT_EQ(ccx_nn_get_state(n.gpu, nullptr, gg.data(), nullptr, nullptr, nullptr, &err), 0) << err.msg;
    double worst = 0;
    for (int t = 0; t < CCX_NN_N_TENSORS; t++) {
        double e = rel_err(gg.data() + lay->offset[t], gc.data() + lay->offset[t], lay->size[t]);
        worst = std::max(worst, e);
        EXPECT_LT(e, tol) << "gradient of " << ccx_nn_tensor_name(t);
    }
    printf("  gpu vs cpu (tf32 %s, N %d): worst relative gradient error %.3g\n", tf32 ? "on" : "off", N, worst);
}

} // namespace

TEST(NnCuda, ForwardBackwardMatchCpuFp32) {
    REQUIRE_GPU();
    // padding, a graph with one live vertex, one with none; N < n_pad
    compare(gpu_config(48), 5, 40, {40, 31, 1, 0, 17}, 0, false, kFp32Tol);
}

TEST(NnCuda, ForwardBackwardMatchCpuLiveFromFeatures) {
    REQUIRE_GPU();
    compare(gpu_config(64), 3, 64, {64, 50, 9}, 0, true, kFp32Tol);
}

TEST(NnCuda, ForwardBackwardMatchCpuTf32) {
    REQUIRE_GPU();
    compare(gpu_config(64), 4, 64, {64, 40}, 1, false, kTf32Tol);
}

TEST(NnCuda, LargeGraphsN1024) {
    REQUIRE_GPU();
    ccx_nn_config c = gpu_config(1024);
    c.n_layers = 1;
    compare(c, 2, 1024, {1000, 700}, 0, false, kFp32Tol);
}

TEST(NnCuda, AdamWMatchesCpuUpdate) {
    REQUIRE_GPU();
    ccx_nn_config c = gpu_config(32);
    Nets n;
    make(n, c, 2, 0);
    if (::testing::Test::HasFatalFailure()) return;
    nnref::Obs o = nnref::random_obs(c, 2, 32, {30, 20}, 8);
    ccx_nn_obs ov = o.view();
    ccx_error err;
    auto dl = randv(64, 9), dv = randv(2, 10);
    const ccx_nn_layout *lay = ccx_nn_layout_of(n.gpu);
    size_t P = lay->n_params;
    ccx_nn_adamw hp = ccx_nn_adamw_default();
    hp.lr = 1e-2f;
    hp.max_grad_norm = 0.5f; // clipping active
    std::vector<float> p(P), g(P), m(P), v(P), p1(P), m1(P), v1(P);
    for (int step = 1; step <= 3; step++) {
        ASSERT_EQ(ccx_nn_forward(n.gpu, &ov, nullptr, nullptr, &err), 0) << err.msg;
        ASSERT_EQ(ccx_nn_zero_grad(n.gpu, &err), 0);
        ASSERT_EQ(ccx_nn_backward(n.gpu, dl.data(), dv.data(), &err), 0) << err.msg;
        long t = 0;
        ASSERT_EQ(ccx_nn_get_state(n.gpu, p.data(), g.data(), m.data(), v.data(), &t, &err), 0);
        EXPECT_EQ(t, step - 1);
        float norm = 0;
        ASSERT_EQ(ccx_nn_adamw_step(n.gpu, &hp, &norm, &err), 0) << err.msg;
        double want = ccx_nn_grad_norm(g.data(), P);
        EXPECT_NEAR(norm, want, 1e-5 * want);
        // the CPU update applied to the GPU's own gradients
        ccx_nn_adamw_update(p.data(), g.data(), m.data(), v.data(), lay, &hp, step,
                            ccx_nn_clip_scale(want, hp.max_grad_norm));
        ASSERT_EQ(ccx_nn_get_state(n.gpu, p1.data(), nullptr, m1.data(), v1.data(), nullptr, &err), 0);
        for (size_t i = 0; i < P; i++) {
            ASSERT_NEAR(p1[i], p[i], 1e-6 + 1e-5 * std::fabs(p[i])) << "param " << i << " step " << step;
            ASSERT_NEAR(m1[i], m[i], 1e-7 + 1e-5 * std::fabs(m[i])) << "m " << i;
            ASSERT_NEAR(v1[i], v[i], 1e-9 + 1e-5 * std::fabs(v[i])) << "v " << i;
        }
    }
}

TEST(NnCuda, CheckpointFromGpuLoadsIntoCpuBitExact) {
    REQUIRE_GPU();
    ccx_nn_config c = gpu_config(32);
    Nets n;
    make(n, c, 2, 0);
    if (::testing::Test::HasFatalFailure()) return;
    ccx_error err;
    nnref::Obs o = nnref::random_obs(c, 2, 32, {30, 20}, 8);
    ccx_nn_obs ov = o.view();
    auto dl = randv(64, 9);
    ccx_nn_adamw hp = ccx_nn_adamw_default();
    ASSERT_EQ(ccx_nn_forward(n.gpu, &ov, nullptr, nullptr, &err), 0);
    ASSERT_EQ(ccx_nn_zero_grad(n.gpu, &err), 0);
    ASSERT_EQ(ccx_nn_backward(n.gpu, dl.data(), nullptr, &err), 0);
    ASSERT_EQ(ccx_nn_adamw_step(n.gpu, &hp, nullptr, &err), 0) << err.msg;
    std::string path = std::string(::testing::TempDir()) + "ccx_nn_gpu.safetensors";
    ASSERT_EQ(ccx_nn_save(n.gpu, path.c_str(), 0, nullptr, nullptr, &err), 0) << err.msg;
    ASSERT_EQ(ccx_nn_load(n.cpu, path.c_str(), &err), 0) << err.msg;
    size_t P = ccx_nn_layout_of(n.cpu)->n_params;
    std::vector<float> a(P), b(P), am(P), bm(P), av(P), bv(P);
    long sa = 0, sb = 0;
    ASSERT_EQ(ccx_nn_get_state(n.gpu, a.data(), nullptr, am.data(), av.data(), &sa, &err), 0);
    ASSERT_EQ(ccx_nn_get_state(n.cpu, b.data(), nullptr, bm.data(), bv.data(), &sb, &err), 0);
    EXPECT_EQ(a, b);
    EXPECT_EQ(am, bm);
    EXPECT_EQ(av, bv);
    EXPECT_EQ(sa, 1);
    EXPECT_EQ(sb, 1);
    std::remove(path.c_str());
}

TEST(NnCuda, BadCallsAreRefused) {
    REQUIRE_GPU();
    ccx_nn_config c = gpu_config(32);
    ccx_error err;
    ccx_nn *nn = ccx_nn_create(&c, CCX_BACKEND_CUDA, 2, 1, 0, &err);
    ASSERT_NE(nn, nullptr) << err.msg;
    EXPECT_EQ(ccx_nn_backward(nn, nullptr, nullptr, &err), -1);
    nnref::Obs o = nnref::random_obs(c, 3, 32, {30}, 8);
    ccx_nn_obs ov = o.view();
    EXPECT_EQ(ccx_nn_forward(nn, &ov, nullptr, nullptr, &err), -1);
    EXPECT_NE(std::string(err.msg).find("batch"), std::string::npos) << err.msg;
    ccx_nn_free(nn);
}

TEST(NnCuda, UnavailableWithoutDeviceSaysSo) {
    char dev[256];
    if (ccx_cuda_device_info(dev, sizeof dev) > 0) GTEST_SKIP() << "a device answers";
    ccx_nn_config c = gpu_config(32);
    ccx_error err;
    ccx_nn *nn = ccx_nn_create(&c, CCX_BACKEND_CUDA, 2, 1, 0, &err);
    EXPECT_EQ(nn, nullptr);
    EXPECT_NE(std::string(err.msg), "");
    ccx_nn_free(nn);
}
