// host/rl/rl_ops.h on the cpu backend: sampling (greedy, the Philox rule,
// frequencies against the softmax at several temperatures, the stream
// offset), the PPO and AlphaZero losses (gradients against central finite
// differences of double references, stats, masked slots, invalid rows, idx
// indirection, refusals), gathers, and argument checks.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "rl_test_util.h"

extern "C" {
#include "rl/rl_ops_internal.h"
#include "util/philox.h"
}

namespace {

#define MAKE_RUNNER(r, rows, npad)                 \
    RlRunner r(CCX_BACKEND_CPU, rows, npad);       \
    ASSERT_NE(r.rl, nullptr) << r.msg

// ---------------------------------------------------------------- sample --

TEST(RlOps, SampleExpIsAccurate) {
    EXPECT_EQ(ccx_rl_sample_exp(0.0f), 1.0f);
    EXPECT_EQ(ccx_rl_sample_exp(-90.0f), 0.0f);
    EXPECT_EQ(ccx_rl_sample_exp(NAN), 0.0f);
    double worst = 0;
    for (int t = 0; t <= 100000; t++) {
        float x = -86.0f * (float)t / 100000.0f;
        double ref = std::exp((double)x);
        worst = std::max(worst, std::fabs(ccx_rl_sample_exp(x) - ref) / ref);
    }
    EXPECT_LT(worst, 3e-7);
}

TEST(RlOps, SampleGreedyIsArgmaxLowestIndexOnTies) {
    MAKE_RUNNER(r, 4, 6);
    std::vector<float> l = {
        0.5f, 2.0f, kMask, 2.0f, -1.0f, 0.0f,     // tie: slot 1
        kMask, kMask, kMask, -3.0f, kMask, -4.0f,  // only masked and low: slot 3
        kMask, kMask, kMask, kMask, kMask, kMask,  // none: -1
        1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f,        // all tied: 0
    };
    for (float T : {1.0f, 0.3f}) {
        SampleOut o = run_sample(r, l, 4, 6, T, 99, 0, 1);
        ASSERT_EQ(o.rc, 0) << o.msg;
        EXPECT_EQ(o.actions, (std::vector<int32_t>{1, 3, -1, 0}));
        EXPECT_NEAR(o.logp[0], std::log(1.0 / (std::exp((0.5 - 2) / T) + 2 + std::exp(-3 / T) +
                                                std::exp(-2 / T))),
                    1e-6);
        EXPECT_NEAR(o.logp[1], -std::log(1 + std::exp(-1 / T)), 1e-6);
        EXPECT_EQ(o.logp[2], 0.0f);
        EXPECT_NEAR(o.logp[3], -std::log(6.0), 1e-6);
    }
    // greedy needs no valid temperature
    EXPECT_EQ(run_sample(r, l, 4, 6, 0.0f, 1, 0, 1).rc, 0);
}

TEST(RlOps, SampleRowWithNoUnmaskedSlot) {
    MAKE_RUNNER(r, 2, 5);
    std::vector<float> l = {kMask, kMask, kMask, kMask, kMask, kMask, -1e29f, kMask, 3.0f, kMask};
    SampleOut o = run_sample(r, l, 2, 5, 1.0f, 5, 0, 0);
    ASSERT_EQ(o.rc, 0) << o.msg;
    EXPECT_EQ(o.actions[0], -1);
    EXPECT_EQ(o.logp[0], 0.0f);
    EXPECT_EQ(o.actions[1], 3);  // -1e29 is at the threshold: masked
    EXPECT_EQ(o.logp[1], 0.0f);
}

// The rule of rl_ops.h, recomputed in double: u = (r + 0.5) / 2^32 from the
// first draw of Philox(seed, offset + i, 0), the first slot whose cumulative
// weight exceeds u * total.
TEST(RlOps, SampleFollowsThePhiloxRule) {
    const int n = 600, N = 37;
    MAKE_RUNNER(r, n, N);
    std::mt19937 rng(3);
    std::vector<float> l = random_logits(n, N, 0.4, 2.0, rng);
    const float T = 0.7f;
    const uint64_t seed = 0x1234567890abcdefull, off = 1000;
    SampleOut o = run_sample(r, l, n, N, T, seed, off, 0);
    ASSERT_EQ(o.rc, 0) << o.msg;
    for (int i = 0; i < n; i++) {
        const float *row = l.data() + (size_t)i * N;
        double m = -INFINITY;
        for (int j = 0; j < N; j++)
            if (row[j] > CCX_RL_MASK_THRESHOLD) m = std::max(m, (double)row[j]);
        std::vector<double> c(N);
        double s = 0;
        for (int j = 0; j < N; j++) {
            if (row[j] > CCX_RL_MASK_THRESHOLD) s += std::exp((row[j] - m) / T);
            c[j] = s;
        }
        ccx_philox ph;
        ccx_philox_init(&ph, seed, off + i, 0);
        const double u = ((double)ccx_philox_next(&ph) + 0.5) / 4294967296.0;
        int a = -1;
        for (int j = 0; j < N && a < 0; j++)
            if (c[j] > u * s) a = j;
        ASSERT_EQ(o.actions[i], a) << "row " << i;
        EXPECT_NEAR(o.logp[i], (row[a] - m) / T - std::log(s), 2e-6) << "row " << i;
    }
}

// Row i draws from subsequence stream_offset + i: shifting the rows by one
// and the offset by one gives the same picks.
TEST(RlOps, SampleStreamOffsetIsTheSubsequence) {
    const int n = 64, N = 20;
    MAKE_RUNNER(r, n, N);
    std::mt19937 rng(4);
    std::vector<float> l = random_logits(n, N, 0.2, 1.0, rng);
    SampleOut a = run_sample(r, l, n, N, 1.0f, 77, 10, 0);
    std::vector<float> l1(l.begin() + N, l.end());
    SampleOut b = run_sample(r, l1, n - 1, N, 1.0f, 77, 11, 0);
    ASSERT_EQ(a.rc, 0);
    ASSERT_EQ(b.rc, 0);
    for (int i = 0; i + 1 < n; i++) EXPECT_EQ(b.actions[i], a.actions[i + 1]) << i;
    SampleOut c = run_sample(r, l, n, N, 1.0f, 77, 10, 0);
    EXPECT_EQ(c.actions, a.actions);  // deterministic
    SampleOut d = run_sample(r, l, n, N, 1.0f, 78, 10, 0);
    EXPECT_NE(d.actions, a.actions);  // another seed, other picks
}

// Empirical frequencies over many subsequences against softmax(l / T):
// Pearson chi-square with 5 degrees of freedom (fixed seeds: no flakes; the
// bound is far above the 99.9% quantile, 20.5).
TEST(RlOps, SampleFrequenciesMatchSoftmax) {
    const int n = 4000, N = 8, calls = 5;
    MAKE_RUNNER(r, n, N);
    const std::vector<float> row = {0.5f, kMask, -1.0f, 1.2f, 0.0f, kMask, 2.0f, -0.3f};
    std::vector<float> l;
    for (int i = 0; i < n; i++) l.insert(l.end(), row.begin(), row.end());
    const std::vector<double> rowd(row.begin(), row.end());
    for (float T : {1.0f, 0.5f, 2.0f}) {
        std::vector<double> lp = log_softmax(rowd.data(), N, T);
        std::vector<long> count(N, 0);
        for (int c = 0; c < calls; c++) {
            SampleOut o = run_sample(r, l, n, N, T, 2024, (uint64_t)c * n, 0);
            ASSERT_EQ(o.rc, 0) << o.msg;
            for (int i = 0; i < n; i++) {
                int a = o.actions[i];
                ASSERT_TRUE(a >= 0 && a < N && row[a] > CCX_RL_MASK_THRESHOLD) << a;
                count[a]++;
                ASSERT_NEAR(o.logp[i], lp[a], 2e-6);
            }
        }
        double chi2 = 0;
        const double total = (double)n * calls;
        for (int j = 0; j < N; j++) {
            if (row[j] <= CCX_RL_MASK_THRESHOLD) {
                EXPECT_EQ(count[j], 0);
                continue;
            }
            double e = total * std::exp(lp[j]);
            chi2 += (count[j] - e) * (count[j] - e) / e;
        }
        EXPECT_LT(chi2, 30.0) << "T = " << T;
    }
}

// ------------------------------------------------------------- PPO loss --

// d total / d x by central differences of f in double
template <class F> double central(F f, std::vector<double> &x, size_t i, double h) {
    const double x0 = x[i];
    x[i] = x0 + h;
    const double fp = f();
    x[i] = x0 - h;
    const double fm = f();
    x[i] = x0;
    return (fp - fm) / (2 * h);
}

void expect_stats_near(const ccx_ppo_loss_stats &a, const ccx_ppo_loss_stats &b, double rel) {
    // relative to the sum, with a floor of one unit per row (policy_loss
    // sums terms of both signs)
    const double floor = b.rows + 1e-3;
    auto near = [rel, floor](double x, double y) {
        return std::fabs(x - y) <= rel * (std::fabs(y) + floor);
    };
    EXPECT_PRED2(near, a.policy_loss, b.policy_loss);
    EXPECT_PRED2(near, a.value_loss, b.value_loss);
    EXPECT_PRED2(near, a.entropy, b.entropy);
    EXPECT_PRED2(near, a.approx_kl, b.approx_kl);
    EXPECT_EQ(a.clip_frac, b.clip_frac);
    EXPECT_EQ(a.rows, b.rows);
}

// Gradients w.r.t. logits and values against finite differences of the
// double reference, over rows whose ratios sit inside the clip range, above
// and below it, with positive and negative advantages; masked slots get
// exactly 0.
TEST(RlOps, PpoGradientMatchesFiniteDifferences) {
    const int n = 20, N = 13;
    MAKE_RUNNER(r, n, N);
    std::mt19937 rng(11);
    PpoIn in = random_ppo(n, N, n, false, rng);
    in.hp = {0.2f, 0.5f, 0.05f, 1.0f / n};
    LossOut o = run_ppo(r, in);
    ASSERT_EQ(o.rc, 0) << o.msg;
    std::vector<double> L = to_double(in.logits), V = to_double(in.values);
    auto f = [&]() { return ppo_ref(in, L, V, nullptr); };
    int clipped_rows = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < N; j++) {
            const size_t t = (size_t)i * N + j;
            if (in.logits[t] <= CCX_RL_MASK_THRESHOLD) {
                EXPECT_EQ(o.dlogits[t], 0.0f) << "masked slot " << i << "," << j;
                continue;
            }
            double fd = central(f, L, t, 1e-5);
            EXPECT_NEAR(o.dlogits[t], fd, 2e-6 + 1e-4 * std::fabs(fd)) << "row " << i << " slot " << j;
        }
        double fd = central(f, V, (size_t)i, 1e-5);
        EXPECT_NEAR(o.dvalue[i], fd, 2e-6 + 1e-4 * std::fabs(fd)) << "value " << i;
        // rows whose clipped term is the min: ratio 1.5 with adv > 0, 0.5 with adv < 0
        std::vector<double> lp = log_softmax(L.data() + (size_t)i * N, N);
        double ratio = std::exp(lp[in.actions[i]] - in.old_logp[i]);
        clipped_rows += (ratio > 1.2 && in.adv[i] > 0) || (ratio < 0.8 && in.adv[i] < 0);
    }
    EXPECT_GE(clipped_rows, 4);  // the cases are all there
    ccx_ppo_loss_stats ref;
    ppo_ref(in, L, V, &ref);
    expect_stats_near(o.stats, ref, 1e-5);
    EXPECT_EQ(o.stats.clip_frac, 8);  // ratios 0.5 and 1.5 of 20 rows
    EXPECT_EQ(o.stats.rows, n);
}

// When the clipped term is strictly the min, the policy term has no
// gradient: with ent_coef 0 the whole row's dlogits are exactly 0.
TEST(RlOps, PpoClippedBranchHasNoPolicyGradient) {
    const int n = 4, N = 6;
    MAKE_RUNNER(r, n, N);
    std::mt19937 rng(12);
    // rows: (1.5, +), (0.5, -) clipped; (1.5, -), (0.5, +) not
    PpoIn in = random_ppo(n, N, n, false, rng, {1.5, 0.5});
    in.hp = {0.2f, 0.5f, 0.0f, 0.25f};
    ASSERT_GT(in.adv[0], 0);
    ASSERT_LT(in.adv[2], 0);
    LossOut o = run_ppo(r, in);
    ASSERT_EQ(o.rc, 0) << o.msg;
    for (int i = 0; i < n; i++) {
        double mx = 0;
        for (int j = 0; j < N; j++) mx = std::max(mx, (double)std::fabs(o.dlogits[(size_t)i * N + j]));
        if (i == 0 || i == 3) EXPECT_EQ(mx, 0.0) << "row " << i;  // (1.5, +), (0.5, -)
        else EXPECT_GT(mx, 1e-3) << "row " << i;
    }
    EXPECT_EQ(o.stats.clip_frac, 4);
}

// valid = 0 rows and rows with no unmasked slot (even with valid = 1)
// contribute nothing: zero grads, no stats; the other rows are unchanged.
TEST(RlOps, PpoInvalidRowsContributeNothing) {
    const int n = 12, N = 9;
    MAKE_RUNNER(r, n, N);
    std::mt19937 rng(13);
    PpoIn in = random_ppo(n, N, n, false, rng);
    in.valid.assign(n, 1);
    in.valid[2] = in.valid[7] = 0;
    in.actions[7] = -1;  // an invalid row's action is not looked at
    for (int j = 0; j < N; j++) in.logits[(size_t)5 * N + j] = kMask;  // no unmasked slot
    in.actions[5] = -1;
    LossOut o = run_ppo(r, in);
    ASSERT_EQ(o.rc, 0) << o.msg;
    for (int i : {2, 5, 7}) {
        for (int j = 0; j < N; j++) EXPECT_EQ(o.dlogits[(size_t)i * N + j], 0.0f) << i;
        EXPECT_EQ(o.dvalue[i], 0.0f) << i;
    }
    ccx_ppo_loss_stats ref;
    ppo_ref(in, to_double(in.logits), to_double(in.values), &ref);
    expect_stats_near(o.stats, ref, 1e-5);
    EXPECT_EQ(o.stats.rows, n - 3);
    // the same call without those rows: the other rows' outputs, bit for bit
    PpoIn sub = in;
    sub.valid.clear();
    sub.logits.clear();
    sub.values.clear();
    sub.actions.clear();
    sub.old_logp.clear();
    sub.adv.clear();
    sub.returns.clear();
    std::vector<int> keep;
    for (int i = 0; i < n; i++) {
        if (i == 2 || i == 5 || i == 7) continue;
        keep.push_back(i);
        sub.logits.insert(sub.logits.end(), in.logits.begin() + (size_t)i * N,
                          in.logits.begin() + (size_t)(i + 1) * N);
        sub.values.push_back(in.values[i]);
        sub.actions.push_back(in.actions[i]);
        sub.old_logp.push_back(in.old_logp[i]);
        sub.adv.push_back(in.adv[i]);
        sub.returns.push_back(in.returns[i]);
    }
    sub.n = (int)keep.size();
    LossOut s = run_ppo(r, sub);
    ASSERT_EQ(s.rc, 0) << s.msg;
    for (size_t q = 0; q < keep.size(); q++) {
        for (int j = 0; j < N; j++)
            EXPECT_EQ(s.dlogits[q * N + j], o.dlogits[(size_t)keep[q] * N + j]);
        EXPECT_EQ(s.dvalue[q], o.dvalue[keep[q]]);
    }
    EXPECT_EQ(s.stats.policy_loss, o.stats.policy_loss);
    EXPECT_EQ(s.stats.rows, o.stats.rows);
}

// Reading the rollout arrays through idx equals gathering them first; the
// stats are added to what the caller passes in.
TEST(RlOps, PpoIdxEqualsPreGatheredAndStatsAddUp) {
    const int n = 10, N = 11, M = 30;
    MAKE_RUNNER(r, n, N);
    std::mt19937 rng(14);
    PpoIn in = random_ppo(n, N, M, true, rng);
    in.valid.assign(M, 1);
    in.valid[in.idx[3]] = 0;
    PpoIn g = in;
    g.idx.clear();
    g.actions.clear();
    g.old_logp.clear();
    g.adv.clear();
    g.returns.clear();
    g.valid.clear();
    for (int i = 0; i < n; i++) {
        int k = in.idx[i];
        g.actions.push_back(in.actions[k]);
        g.old_logp.push_back(in.old_logp[k]);
        g.adv.push_back(in.adv[k]);
        g.returns.push_back(in.returns[k]);
        g.valid.push_back(in.valid[k]);
    }
    LossOut a = run_ppo(r, in), b = run_ppo(r, g);
    ASSERT_EQ(a.rc, 0) << a.msg;
    ASSERT_EQ(b.rc, 0) << b.msg;
    EXPECT_EQ(a.dlogits, b.dlogits);
    EXPECT_EQ(a.dvalue, b.dvalue);
    EXPECT_EQ(a.stats.policy_loss, b.stats.policy_loss);
    EXPECT_EQ(a.stats.rows, n - 1);
    LossOut c = run_ppo(r, in, &a.stats);  // added to
    EXPECT_DOUBLE_EQ(c.stats.policy_loss, 2 * a.stats.policy_loss);
    EXPECT_DOUBLE_EQ(c.stats.entropy, 2 * a.stats.entropy);
    EXPECT_EQ(c.stats.rows, 2 * a.stats.rows);
}

TEST(RlOps, PpoRefusesAnActionThatIsNoUnmaskedSlot) {
    const int n = 5, N = 7;
    MAKE_RUNNER(r, n, N);
    std::mt19937 rng(15);
    PpoIn in = random_ppo(n, N, n, false, rng);
    in.logits[(size_t)3 * N + 4] = kMask;
    in.actions[3] = 4;
    ccx_ppo_loss_stats start = {1, 2, 3, 4, 5, 6};
    LossOut o = run_ppo(r, in, &start);
    EXPECT_EQ(o.rc, -1);
    EXPECT_NE(o.msg.find("row 3: action 4 is not an unmasked slot"), std::string::npos) << o.msg;
    EXPECT_EQ(o.stats.rows, 6);  // stats untouched on a refusal
    in.logits[(size_t)3 * N + 4] = 0.5f;
    in.actions[3] = N;  // out of range
    o = run_ppo(r, in);
    EXPECT_NE(o.msg.find("row 3: action 7"), std::string::npos) << o.msg;
}

// --------------------------------------------------------------- AZ loss --

TEST(RlOps, AzGradientMatchesFiniteDifferences) {
    const int n = 8, N = 10;
    MAKE_RUNNER(r, n, N);
    std::mt19937 rng(21);
    AzIn in = random_az(n, N, n, false, rng);
    in.value_weight = 0.7f;
    in.weight = 1.0f / n;
    // row 1: a target that sums to 0.6 (the exact gradient is p * sum(pi) - pi)
    for (int j = 0; j < N; j++) in.pi[(size_t)1 * N + j] *= 0.6f;
    // row 4: no unmasked slot (value loss only)
    for (int j = 0; j < N; j++) {
        in.logits[(size_t)4 * N + j] = kMask;
        in.pi[(size_t)4 * N + j] = 0.0f;
    }
    LossOut o = run_az(r, in);
    ASSERT_EQ(o.rc, 0) << o.msg;
    std::vector<double> L = to_double(in.logits), V = to_double(in.values);
    auto f = [&]() { return az_ref(in, L, V, nullptr); };
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < N; j++) {
            const size_t t = (size_t)i * N + j;
            if (in.logits[t] <= CCX_RL_MASK_THRESHOLD) {
                EXPECT_EQ(o.dlogits[t], 0.0f);
                continue;
            }
            double fd = central(f, L, t, 1e-5);
            EXPECT_NEAR(o.dlogits[t], fd, 2e-6 + 1e-4 * std::fabs(fd)) << i << "," << j;
        }
        double fd = central(f, V, (size_t)i, 1e-5);
        EXPECT_NEAR(o.dvalue[i], fd, 2e-6 + 1e-4 * std::fabs(fd)) << "value " << i;
    }
    ccx_ppo_loss_stats ref;
    az_ref(in, L, V, &ref);
    expect_stats_near(o.stats, ref, 1e-5);
    EXPECT_EQ(o.stats.rows, n);
}

TEST(RlOps, AzIdxEqualsPreGatheredAndRefusesMassOnMaskedSlots) {
    const int n = 6, N = 9, M = 20;
    MAKE_RUNNER(r, n, N);
    std::mt19937 rng(22);
    AzIn in = random_az(n, N, M, true, rng);
    AzIn g = in;
    g.idx.clear();
    g.pi.clear();
    g.z.clear();
    for (int i = 0; i < n; i++) {
        int k = in.idx[i];
        g.pi.insert(g.pi.end(), in.pi.begin() + (size_t)k * N, in.pi.begin() + (size_t)(k + 1) * N);
        g.z.push_back(in.z[k]);
    }
    LossOut a = run_az(r, in), b = run_az(r, g);
    ASSERT_EQ(a.rc, 0) << a.msg;
    ASSERT_EQ(b.rc, 0) << b.msg;
    EXPECT_EQ(a.dlogits, b.dlogits);
    EXPECT_EQ(a.dvalue, b.dvalue);
    EXPECT_EQ(a.stats.policy_loss, b.stats.policy_loss);
    EXPECT_EQ(a.stats.approx_kl, b.stats.approx_kl);
    // mass on a masked slot
    int i = 2, j = -1;
    for (int s = 0; s < N && j < 0; s++)
        if (g.logits[(size_t)i * N + s] <= CCX_RL_MASK_THRESHOLD) j = s;
    ASSERT_GE(j, 0);
    g.pi[(size_t)i * N + j] = 0.1f;
    LossOut c = run_az(r, g);
    EXPECT_EQ(c.rc, -1);
    EXPECT_NE(c.msg.find("row 2: target_pi is nonzero at masked slot " + std::to_string(j)),
              std::string::npos) << c.msg;
}

// ---------------------------------------------------------------- gathers --

TEST(RlOps, Gather) {
    MAKE_RUNNER(r, 4, 4);
    const int M = 7, n = 5;
    for (int W : {3, 8}) {  // 12- and 32-byte rows
        std::vector<int32_t> src((size_t)M * W);
        for (size_t t = 0; t < src.size(); t++) src[t] = (int32_t)(t * 7 + 1);
        std::vector<int32_t> idx = {6, 0, 3, 3, 1};
        int32_t *dst = r.alloc<int32_t>((size_t)n * W);
        ccx_error err;
        ASSERT_EQ(ccx_rl_gather(r.rl, dst, r.up(src), r.up(idx), n, (size_t)W * 4, &err), 0)
            << err.msg;
        std::vector<int32_t> got = r.down(dst, (size_t)n * W);
        for (int i = 0; i < n; i++)
            for (int w = 0; w < W; w++)
                EXPECT_EQ(got[(size_t)i * W + w], src[(size_t)idx[i] * W + w]);
    }
}

TEST(RlOps, ArgumentChecks) {
    MAKE_RUNNER(r, 4, 8);
    std::vector<float> l(5 * 9, 0.0f);
    ccx_error err;
    SampleOut o = run_sample(r, l, 5, 8, 1.0f, 1, 0, 0);
    EXPECT_EQ(o.rc, -1);
    EXPECT_NE(o.msg.find("5 rows"), std::string::npos) << o.msg;
    o = run_sample(r, l, 4, 9, 1.0f, 1, 0, 0);
    EXPECT_EQ(o.rc, -1);
    EXPECT_NE(o.msg.find("9 slots"), std::string::npos) << o.msg;
    o = run_sample(r, l, 4, 8, 0.0f, 1, 0, 0);
    EXPECT_EQ(o.rc, -1);
    EXPECT_NE(o.msg.find("temperature"), std::string::npos) << o.msg;
    EXPECT_EQ(ccx_rl_gather(r.rl, l.data(), l.data(), nullptr, 1, 6, &err), -1);
    EXPECT_NE(std::string(err.msg).find("multiple of 4"), std::string::npos) << err.msg;
    RlRunner bad(CCX_BACKEND_CPU, 0, 8);
    EXPECT_EQ(bad.rl, nullptr);
    EXPECT_NE(bad.msg.find("max_rows"), std::string::npos) << bad.msg;
}

}  // namespace
