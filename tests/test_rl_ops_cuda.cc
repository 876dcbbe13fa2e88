// host/rl/rl_ops.h, cuda backend against the cpu backend on the same
// inputs: sampling picks the same slots (bit for bit: both draw with Philox
// and scan the same float weights), log-probabilities, losses, gradients
// and stats agree to float rounding (1e-5 relative), gathers exactly, and
// refusals read the same. Every test skips without a device.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "rl_test_util.h"

extern "C" {
#include "util/cuda_info.h"
}

namespace {

// The same rl on both backends.
struct Twin {
    RlRunner cpu, gpu;
    Twin(int max_rows, int n_pad)
        : cpu(CCX_BACKEND_CPU, max_rows, n_pad), gpu(CCX_BACKEND_CUDA, max_rows, n_pad) {}
    bool ok() const { return cpu.rl && gpu.rl; }
    std::string msg() const { return cpu.msg + " / " + gpu.msg; }
};

#define MAKE_TWIN(t, rows, npad) \
    REQUIRE_CUDA_DEVICE("rl cuda parity");            \
    Twin t(rows, npad);          \
    ASSERT_TRUE(t.ok()) << t.msg()

// |a - b| <= rel * (|b| + floor): per element relative, with a floor for
// values that are the small difference of larger terms
void expect_close(const std::vector<float> &a, const std::vector<float> &b, double rel,
                  double floor, const char *what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    int shown = 0;
    for (size_t t = 0; t < a.size(); t++) {
        double tol = rel * (std::fabs((double)b[t]) + floor);
        if (!(std::fabs((double)a[t] - (double)b[t]) <= tol) && shown++ < 10)
            ADD_FAILURE() << what << "[" << t << "]: cuda " << a[t] << ", cpu " << b[t];
    }
}

double max_abs(const std::vector<float> &v) {
    double m = 0;
    for (float x : v) m = std::max(m, (double)std::fabs(x));
    return m;
}

// sums relative to themselves, with a floor of one unit per row
// (policy_loss sums terms of both signs)
void expect_stats_close(const ccx_ppo_loss_stats &a, const ccx_ppo_loss_stats &b, double rel) {
    const double f = b.rows + 1e-3;
    EXPECT_NEAR(a.policy_loss, b.policy_loss, rel * (std::fabs(b.policy_loss) + f));
    EXPECT_NEAR(a.value_loss, b.value_loss, rel * (std::fabs(b.value_loss) + f));
    EXPECT_NEAR(a.entropy, b.entropy, rel * (std::fabs(b.entropy) + f));
    EXPECT_NEAR(a.approx_kl, b.approx_kl, rel * (std::fabs(b.approx_kl) + f));
    EXPECT_EQ(a.clip_frac, b.clip_frac);
    EXPECT_EQ(a.rows, b.rows);
}

TEST(RlOpsCuda, SampleMatchesCpu) {
    MAKE_TWIN(t, 1024, 4096);
    std::mt19937 rng(31);
    struct Case { int n, N; double p_mask, scale; };
    for (Case c : {Case{1024, 7, 0.3, 1.0}, Case{1000, 64, 0.5, 3.0}, Case{700, 300, 0.1, 0.5},
                   Case{64, 4096, 0.6, 2.0}, Case{200, 33, 0.97, 1.0}}) {
        std::vector<float> l = random_logits(c.n, c.N, c.p_mask, c.scale, rng);
        // a few rows with every slot masked, a few with ties
        for (int j = 0; j < c.N; j++) l[j] = kMask;
        if (c.N > 3) l[(size_t)c.N + 1] = l[(size_t)c.N + 3] = 50.0f;
        for (float T : {1.0f, 0.7f, 3.0f}) {
            for (int greedy : {0, 1}) {
                SCOPED_TRACE(testing::Message() << "n " << c.n << " N " << c.N << " T " << T
                                                << " greedy " << greedy);
                SampleOut a = run_sample(t.gpu, l, c.n, c.N, T, 0xfeedull, 12345, greedy);
                SampleOut b = run_sample(t.cpu, l, c.n, c.N, T, 0xfeedull, 12345, greedy);
                ASSERT_EQ(a.rc, 0) << a.msg;
                ASSERT_EQ(b.rc, 0) << b.msg;
                EXPECT_EQ(a.actions, b.actions);
                expect_close(a.logp, b.logp, 1e-5, 1.0, "logp");  // 1e-5 absolute near 0
            }
        }
    }
}

// Many subsequences of one row: identical picks over a long stream.
TEST(RlOpsCuda, SampleManyOffsetsMatchCpu) {
    const int n = 1024, N = 40;
    MAKE_TWIN(t, n, N);
    std::mt19937 rng(32);
    std::vector<float> row = random_logits(1, N, 0.25, 1.0, rng), l;
    for (int i = 0; i < n; i++) l.insert(l.end(), row.begin(), row.end());
    for (uint64_t c = 0; c < 8; c++) {
        SampleOut a = run_sample(t.gpu, l, n, N, 1.0f, 7, c * n, 0);
        SampleOut b = run_sample(t.cpu, l, n, N, 1.0f, 7, c * n, 0);
        ASSERT_EQ(a.rc, 0) << a.msg;
        EXPECT_EQ(a.actions, b.actions) << "call " << c;
    }
}

TEST(RlOpsCuda, PpoLossMatchesCpu) {
    MAKE_TWIN(t, 512, 4096);
    std::mt19937 rng(33);
    struct Case { int n, N, M; bool idx; };
    for (Case c : {Case{512, 17, 512, false}, Case{300, 256, 900, true}, Case{16, 4096, 40, true}}) {
        SCOPED_TRACE(testing::Message() << "n " << c.n << " N " << c.N);
        PpoIn in = random_ppo(c.n, c.N, c.M, c.idx, rng);
        in.hp = {0.2f, 0.5f, 0.01f, 1.0f / c.n};
        const int M = c.idx ? c.M : c.n;
        in.valid.assign(M, 1);
        for (int i = 0; i < c.n; i += 7) in.valid[c.idx ? in.idx[i] : i] = 0;
        for (int j = 0; j < c.N; j++) in.logits[(size_t)(c.n - 1) * c.N + j] = kMask;
        LossOut a = run_ppo(t.gpu, in), b = run_ppo(t.cpu, in);
        ASSERT_EQ(a.rc, 0) << a.msg;
        ASSERT_EQ(b.rc, 0) << b.msg;
        expect_close(a.dlogits, b.dlogits, 1e-5, 0.1 * max_abs(b.dlogits), "dlogits");
        expect_close(a.dvalue, b.dvalue, 1e-5, 1e-3 * max_abs(b.dvalue), "dvalue");
        for (size_t q = 0; q < b.dlogits.size(); q++)
            if (b.dlogits[q] == 0.0f) ASSERT_EQ(a.dlogits[q], 0.0f) << q;  // masked, invalid
        expect_stats_close(a.stats, b.stats, 1e-5);
    }
}

TEST(RlOpsCuda, AzLossMatchesCpu) {
    MAKE_TWIN(t, 512, 4096);
    std::mt19937 rng(34);
    struct Case { int n, N, M; bool idx; };
    for (Case c : {Case{512, 23, 512, false}, Case{200, 500, 800, true}, Case{8, 4096, 8, false}}) {
        SCOPED_TRACE(testing::Message() << "n " << c.n << " N " << c.N);
        AzIn in = random_az(c.n, c.N, c.M, c.idx, rng);
        in.value_weight = 0.5f;
        in.weight = 1.0f / c.n;
        LossOut a = run_az(t.gpu, in), b = run_az(t.cpu, in);
        ASSERT_EQ(a.rc, 0) << a.msg;
        ASSERT_EQ(b.rc, 0) << b.msg;
        expect_close(a.dlogits, b.dlogits, 1e-5, 0.1 * max_abs(b.dlogits), "dlogits");
        expect_close(a.dvalue, b.dvalue, 1e-5, 1e-3 * max_abs(b.dvalue), "dvalue");
        expect_stats_close(a.stats, b.stats, 1e-5);
    }
}

TEST(RlOpsCuda, GatherMatchesCpu) {
    MAKE_TWIN(t, 4, 4);
    std::mt19937 rng(35);
    const int M = 300, n = 257;
    std::vector<int32_t> idx(n);
    for (int &k : idx) k = (int)(rng() % M);
    for (int W : {1, 3, 4, 40}) {  // 4-byte and 16-byte paths
        std::vector<int32_t> src((size_t)M * W);
        for (auto &x : src) x = (int32_t)rng();
        std::vector<int32_t> out[2];
        RlRunner *rs[2] = {&t.gpu, &t.cpu};
        for (int b = 0; b < 2; b++) {
            int32_t *dst = rs[b]->alloc<int32_t>((size_t)n * W);
            ccx_error err;
            ASSERT_EQ(ccx_rl_gather(rs[b]->rl, dst, rs[b]->up(src), rs[b]->up(idx), n,
                                    (size_t)W * 4, &err), 0) << err.msg;
            out[b] = rs[b]->down(dst, (size_t)n * W);
        }
        EXPECT_EQ(out[0], out[1]) << "W " << W;
    }
}

TEST(RlOpsCuda, RefusalsMatchCpu) {
    MAKE_TWIN(t, 16, 16);
    std::mt19937 rng(36);
    PpoIn in = random_ppo(9, 16, 9, false, rng);
    in.logits[(size_t)6 * 16 + 2] = kMask;
    in.actions[6] = 2;
    in.actions[8] = 99;
    LossOut a = run_ppo(t.gpu, in), b = run_ppo(t.cpu, in);
    EXPECT_EQ(a.rc, -1);
    EXPECT_EQ(b.rc, -1);
    EXPECT_EQ(a.msg, b.msg);
    EXPECT_NE(a.msg.find("row 6"), std::string::npos) << a.msg;

    AzIn az = random_az(5, 16, 5, false, rng);
    int j = -1;
    for (int s = 0; s < 16 && j < 0; s++)
        if (az.logits[(size_t)3 * 16 + s] <= CCX_RL_MASK_THRESHOLD) j = s;
    ASSERT_GE(j, 0);
    az.pi[(size_t)3 * 16 + j] = 0.25f;
    LossOut c = run_az(t.gpu, az), d = run_az(t.cpu, az);
    EXPECT_EQ(c.rc, -1);
    EXPECT_EQ(c.msg, d.msg);

    // host memory handed to the cuda backend is refused, not faulted on
    std::vector<float> l(16, 0.0f);
    std::vector<int32_t> act(1);
    ccx_error err;
    EXPECT_EQ(ccx_rl_sample(t.gpu.rl, l.data(), 1, 16, 1.0f, 1, 0, 0, act.data(), nullptr, &err), -1);
    EXPECT_NE(std::string(err.msg).find("host memory"), std::string::npos) << err.msg;
}

}  // namespace
