// Batched environments, cuda backend against the cpu backend, bit for bit:
// states (every word of every slab), masks, costs, done flags, observations,
// snapshots, eliminated sets, fused random and given-order episodes, and the
// wording of refusals. Every test that needs a device skips without one.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "env_test_util.h"

extern "C" {
#include "util/cuda_info.h"
#include "util/philox.h"
}

#ifdef CCX_HAVE_CUDA
#include <curand.h>
#endif

namespace {

#ifdef CCX_HAVE_CUDA
// The cpu twin of cuRAND's Philox (util/philox.h) against cuRAND itself: the
// host generator (no device needed) hands out subsequence s's first block as
// outputs 4s..4s+3, which is curand_init(seed, s, 0) + 4 x curand().
TEST(EnvCuda, PhiloxTwinMatchesCurand) {
    curandGenerator_t gen;
    if (curandCreateGeneratorHost(&gen, CURAND_RNG_PSEUDO_PHILOX4_32_10) != CURAND_STATUS_SUCCESS)
        GTEST_SKIP() << "cuRAND host generator unavailable";
    ASSERT_EQ(curandSetPseudoRandomGeneratorSeed(gen, 1234), CURAND_STATUS_SUCCESS);
    std::vector<unsigned> v(4 * 64);
    ASSERT_EQ(curandGenerate(gen, v.data(), v.size()), CURAND_STATUS_SUCCESS);
    curandDestroyGenerator(gen);
    for (int s = 0; s < 64; s++) {
        ccx_philox p;
        ccx_philox_init(&p, 1234, (uint64_t)s, 0);
        for (int i = 0; i < 4; i++) EXPECT_EQ(ccx_philox_next(&p), v[4 * s + i]) << s << " " << i;
    }
}
#else
TEST(EnvCuda, BuiltWithoutCudaRefusesTheBackend) {
    GraphPtr g = load_task("PropaneCombustion");
    EnvRunner r(CCX_BACKEND_CUDA, {g.get()}, 4);
    EXPECT_EQ(r.env, nullptr);
    EXPECT_NE(r.msg.find("built without CUDA"), std::string::npos) << r.msg;
}
#endif

bool same_bytes(const void *a, const void *b, size_t n) { return n == 0 || memcmp(a, b, n) == 0; }

// The same batch on both backends.
struct Twin {
    EnvRunner cpu, gpu;
    Twin(const std::vector<const ccx_graph *> &graphs, int B, const std::vector<int32_t> &goe,
         int n_pad = 0)
        : cpu(CCX_BACKEND_CPU, graphs, B, goe, n_pad), gpu(CCX_BACKEND_CUDA, graphs, B, goe, n_pad) {}
    int B() const { return cpu.B(); }
    const ccx_env_layout &L() const { return cpu.L(); }
    void same_state(const std::string &where) {
        std::vector<uint32_t> a = cpu.state(), b = gpu.state();
        ASSERT_EQ(a.size(), b.size());
        if (a == b) return;
        size_t i = 0;
        while (a[i] == b[i]) i++;
        FAIL() << where << ": states differ first at env " << i / L().slab_words << " word "
               << i % L().slab_words << " (cpu " << a[i] << ", cuda " << b[i] << ")";
    }
};

// Random legal actions from a legal mask [B][n_pad]; some skips; vertex
// numbers or node ids.
std::vector<int32_t> pick(const std::vector<uint8_t> &mask, const std::vector<int32_t> &n_inputs,
                          int n_pad, bool nodes, std::mt19937 &rng) {
    int B = (int)n_inputs.size();
    std::vector<int32_t> a(B, CCX_ENV_SKIP);
    for (int b = 0; b < B; b++) {
        std::vector<int> legal;
        for (int v = 0; v < n_pad; v++)
            if (mask[(size_t)b * n_pad + v]) legal.push_back(v);
        if (legal.empty() || rng() % 10 == 0) continue;
        int v = legal[rng() % legal.size()];
        a[b] = nodes ? v : v - n_inputs[b] + 1;
    }
    return a;
}

void exercise(Twin &t, uint64_t seed) {
    ASSERT_TRUE(t.cpu.env) << t.cpu.msg;
    ASSERT_TRUE(t.gpu.env) << t.gpu.msg;
    const int B = t.B(), NP = t.L().n_pad, W = t.L().words;
    std::mt19937 rng((unsigned)seed);
    t.same_state("after create");
    std::vector<int32_t> graph;
    t.cpu.info(nullptr, nullptr, &graph);
    std::vector<int32_t> n_in(B);
    for (int b = 0; b < B; b++) n_in[b] = ccx_env_graph(t.cpu.env, graph[b])->n_inputs;
    int longest = 0;
    for (int g = 0; g < t.L().n_graphs; g++)
        longest = std::max(longest, ccx_env_graph(t.cpu.env, g)->n_intermediates);

    // stepping, across episode ends (auto-reset most of the time)
    for (int s = 0; s < 2 * longest + 5; s++) {
        std::vector<uint8_t> mc, mg;
        ASSERT_EQ(t.cpu.legal_mask(&mc), 0) << t.cpu.msg;
        ASSERT_EQ(t.gpu.legal_mask(&mg), 0) << t.gpu.msg;
        ASSERT_EQ(mc, mg) << "legal mask, step " << s;
        bool nodes = s % 3 == 1;
        unsigned flags = (nodes ? CCX_ENV_NODE_ACTIONS : 0) | (s % 5 ? CCX_ENV_AUTO_RESET : 0) |
                         (s % 2 ? CCX_ENV_DEFER : 0);
        std::vector<int32_t> a = pick(mc, n_in, NP, nodes, rng);
        std::vector<int64_t> cc, cg;
        std::vector<uint8_t> dc, dg;
        ASSERT_EQ(t.cpu.step(a, &cc, &dc, flags), 0) << t.cpu.msg;
        ASSERT_EQ(t.gpu.step(a, &cg, &dg, flags), 0) << t.gpu.msg;
        ASSERT_EQ(cc, cg) << "costs, step " << s;
        ASSERT_EQ(dc, dg) << "done, step " << s;
        t.same_state("step " + std::to_string(s));
        if (s % 7 == 3) {
            std::vector<float> fc, fg;
            std::vector<uint8_t> ac, ag;
            ASSERT_EQ(t.cpu.observe(&fc, &ac), 0) << t.cpu.msg;
            ASSERT_EQ(t.gpu.observe(&fg, &ag), 0) << t.gpu.msg;
            ASSERT_EQ(fc.size(), fg.size());
            EXPECT_TRUE(same_bytes(fc.data(), fg.data(), fc.size() * sizeof(float))) << "features, step " << s;
            EXPECT_EQ(ac, ag) << "adjacency, step " << s;
            std::vector<int32_t> ids = {B - 1, 0, (int32_t)(rng() % B), B - 1};
            ASSERT_EQ(t.cpu.observe(&fc, nullptr, &ids), 0);
            ASSERT_EQ(t.gpu.observe(&fg, nullptr, &ids), 0);
            EXPECT_TRUE(same_bytes(fc.data(), fg.data(), fc.size() * sizeof(float))) << "features of ids";
            ASSERT_EQ(t.cpu.observe(nullptr, &ac, &ids), 0);
            ASSERT_EQ(t.gpu.observe(nullptr, &ag, &ids), 0);
            EXPECT_EQ(ac, ag);
            ASSERT_EQ(t.cpu.legal_mask(&mc, &ids), 0);
            ASSERT_EQ(t.gpu.legal_mask(&mg, &ids), 0);
            EXPECT_EQ(mc, mg);
        }
        if (s % 11 == 5) {
            std::vector<int64_t> c1, c2;
            std::vector<int32_t> r1, r2, g1, g2;
            t.cpu.info(&c1, &r1, &g1);
            t.gpu.info(&c2, &r2, &g2);
            EXPECT_EQ(c1, c2);
            EXPECT_EQ(r1, r2);
            EXPECT_EQ(g1, g2);
            std::vector<int32_t> ids = {(int32_t)(rng() % B), 0, (int32_t)(rng() % B)};
            std::vector<uint32_t> s1, s2;
            ASSERT_EQ(t.cpu.snapshot(ids, &s1), 0);
            ASSERT_EQ(t.gpu.snapshot(ids, &s2), 0);
            EXPECT_EQ(s1, s2) << "snapshot";
            ASSERT_EQ(t.cpu.get_eliminated(ids, &s1), 0);
            ASSERT_EQ(t.gpu.get_eliminated(ids, &s2), 0);
            EXPECT_EQ(s1, s2) << "eliminated sets";
        }
    }
    ASSERT_EQ(t.cpu.sync(), 0);
    ASSERT_EQ(t.gpu.sync(), 0);

    // snapshots restored in a shuffled order; eliminated sets with costs
    std::vector<int32_t> all(B), perm(B);
    for (int b = 0; b < B; b++) all[b] = perm[b] = b;
    std::shuffle(perm.begin(), perm.end(), rng);
    std::vector<uint32_t> snap, sets;
    ASSERT_EQ(t.cpu.snapshot(perm, &snap), 0);
    ASSERT_EQ(t.cpu.get_eliminated(all, &sets), 0);
    std::vector<int64_t> costs;
    t.cpu.info(&costs);
    ASSERT_EQ(t.cpu.reset(), 0);
    ASSERT_EQ(t.gpu.reset(), 0);
    t.same_state("reset");
    std::vector<int32_t> rev(perm.rbegin(), perm.rend());
    std::vector<uint32_t> rows(snap.size());
    size_t sw = t.L().slab_words;
    for (int i = 0; i < B; i++)  // row for rev[i] is snap row B-1-i
        std::copy(snap.begin() + (B - 1 - i) * sw, snap.begin() + (B - i) * sw, rows.begin() + i * sw);
    ASSERT_EQ(t.cpu.restore(rev, rows), 0) << t.cpu.msg;
    ASSERT_EQ(t.gpu.restore(rev, rows), 0) << t.gpu.msg;
    t.same_state("restore");
    std::vector<uint32_t> restored = t.cpu.state();
    ASSERT_EQ(t.cpu.reset(), 0);
    ASSERT_EQ(t.gpu.reset(), 0);
    ASSERT_EQ(t.cpu.set_eliminated(all, sets, costs), 0) << t.cpu.msg;
    ASSERT_EQ(t.gpu.set_eliminated(all, sets, costs), 0) << t.gpu.msg;
    t.same_state("set_state_from_eliminated_set");
    EXPECT_EQ(t.gpu.state(), restored);  // the set rebuilds what the snapshot holds

    // fused random episodes from mid-game, masked, then from the start
    std::vector<uint8_t> mask(B);
    for (int b = 0; b < B; b++) mask[b] = (uint8_t)(rng() % 3 != 0);
    std::vector<int32_t> ac, ag;
    ASSERT_EQ(t.cpu.play_random(seed + 1, &ac, mask), 0);
    ASSERT_EQ(t.gpu.play_random(seed + 1, &ag, mask), 0);
    for (int b = 0; b < B; b++)
        if (mask[b])
            EXPECT_TRUE(std::equal(ac.begin() + (size_t)b * NP, ac.begin() + (size_t)(b + 1) * NP,
                                   ag.begin() + (size_t)b * NP)) << "random actions, env " << b;
    t.same_state("play_random (masked)");
    ASSERT_EQ(t.cpu.reset(), 0);
    ASSERT_EQ(t.gpu.reset(), 0);
    ASSERT_EQ(t.cpu.play_random(seed + 2, &ac), 0);
    ASSERT_EQ(t.gpu.play_random(seed + 2, &ag), 0);
    EXPECT_EQ(ac, ag) << "random actions";
    t.same_state("play_random");

    // fused given orders (the random episodes just played, as node ids too)
    ASSERT_EQ(t.cpu.reset(), 0);
    ASSERT_EQ(t.gpu.reset(), 0);
    ASSERT_EQ(t.cpu.play_orders(ac), 0) << t.cpu.msg;
    ASSERT_EQ(t.gpu.play_orders(ac), 0) << t.gpu.msg;
    t.same_state("play_orders");
    std::vector<int32_t> nodes = ac;
    for (int b = 0; b < B; b++)
        for (int k = 0; k < NP; k++)
            if (nodes[(size_t)b * NP + k]) nodes[(size_t)b * NP + k] += n_in[b] - 1;
    std::vector<uint8_t> half(B);
    for (int b = 0; b < B; b++) half[b] = (uint8_t)(b % 2);
    ASSERT_EQ(t.cpu.reset(), 0);
    ASSERT_EQ(t.gpu.reset(), 0);
    ASSERT_EQ(t.cpu.play_orders(nodes, CCX_ENV_NODE_ACTIONS, half), 0) << t.cpu.msg;
    ASSERT_EQ(t.gpu.play_orders(nodes, CCX_ENV_NODE_ACTIONS, half), 0) << t.gpu.msg;
    t.same_state("play_orders (node ids, masked)");

    // refusals: the same code, the same words, nothing changed
    ASSERT_EQ(t.cpu.reset(), 0);
    ASSERT_EQ(t.gpu.reset(), 0);
    std::vector<uint32_t> before = t.cpu.state();
    std::vector<int32_t> a(B, CCX_ENV_SKIP);
    a[B / 2] = 0;
    a[B - 1] = NP + 5;
    EXPECT_EQ(t.cpu.step(a), -1);
    EXPECT_EQ(t.gpu.step(a), -1);
    EXPECT_EQ(t.cpu.msg, t.gpu.msg);
    a[B / 2] = CCX_ENV_SKIP;
    EXPECT_EQ(t.cpu.step(a, nullptr, nullptr, CCX_ENV_DEFER), 0);
    EXPECT_EQ(t.gpu.step(a, nullptr, nullptr, CCX_ENV_DEFER), 0);
    EXPECT_EQ(t.cpu.restore({0}, std::vector<uint32_t>(sw, 0), CCX_ENV_DEFER), 0);
    EXPECT_EQ(t.gpu.restore({0}, std::vector<uint32_t>(sw, 0), CCX_ENV_DEFER), 0);
    EXPECT_EQ(t.cpu.sync(), -1);
    EXPECT_EQ(t.gpu.sync(), -1);
    EXPECT_EQ(t.cpu.msg, t.gpu.msg);
    EXPECT_EQ(t.cpu.restore({0, 0}, std::vector<uint32_t>(2 * sw, 0)), -1);
    EXPECT_EQ(t.gpu.restore({0, 0}, std::vector<uint32_t>(2 * sw, 0)), -1);
    EXPECT_EQ(t.cpu.msg, t.gpu.msg);
    EXPECT_EQ(t.cpu.restore({1}, std::vector<uint32_t>(sw, 0)), -1);  // not a state
    EXPECT_EQ(t.gpu.restore({1}, std::vector<uint32_t>(sw, 0)), -1);
    EXPECT_EQ(t.cpu.msg, t.gpu.msg);
    std::vector<uint32_t> bad(W, 0xffffffffu);
    EXPECT_EQ(t.cpu.set_eliminated({B - 1}, bad), -1);
    EXPECT_EQ(t.gpu.set_eliminated({B - 1}, bad), -1);
    EXPECT_EQ(t.cpu.msg, t.gpu.msg);
    std::vector<int32_t> dup = ac;
    for (int b = 0; b < B; b++)
        if (dup[(size_t)b * NP] && dup[(size_t)b * NP + 1]) {
            dup[(size_t)b * NP + 1] = dup[(size_t)b * NP];
            break;
        }
    if (dup != ac) {
        EXPECT_EQ(t.cpu.play_orders(dup), -1);
        EXPECT_EQ(t.gpu.play_orders(dup), -1);
        EXPECT_EQ(t.cpu.msg, t.gpu.msg);
    }
    std::vector<uint32_t> s1;
    EXPECT_EQ(t.cpu.snapshot({B}, &s1), -1);
    EXPECT_EQ(t.gpu.snapshot({B}, &s1), -1);
    EXPECT_EQ(t.cpu.msg, t.gpu.msg);
    EXPECT_EQ(t.cpu.state(), before);
    t.same_state("after refusals");
}

// Fused random episodes, then the same orders as given orders, on both
// backends: the same actions and states.
void fused_episodes_match(Twin &t, uint64_t seed, const std::string &what) {
    std::vector<int32_t> ac, ag;
    ASSERT_EQ(t.cpu.play_random(seed, &ac), 0) << t.cpu.msg;
    ASSERT_EQ(t.gpu.play_random(seed, &ag), 0) << t.gpu.msg;
    EXPECT_EQ(ac, ag);
    t.same_state("play_random" + what);
    ASSERT_EQ(t.cpu.reset(), 0);
    ASSERT_EQ(t.gpu.reset(), 0);
    ASSERT_EQ(t.cpu.play_orders(ac), 0);
    ASSERT_EQ(t.gpu.play_orders(ag), 0);
    t.same_state("play_orders" + what);
}

TEST(EnvCuda, MatchesCpuOnMixedBatch) {
    REQUIRE_CUDA_DEVICE("cuda parity");
    Graphs gs;
    for (const char *t : {"RoeFlux_1d", "RobotArm_6DOF", "HumanHeartDipole", "PropaneCombustion"})
        gs.add(load_task(t));
    for (int mid : {0, 1, 27, 60, 200}) gs.add(gen_graph(3, mid, 2, (uint64_t)mid + 5));
    std::vector<int32_t> goe(97);
    for (int b = 0; b < 97; b++) goe[b] = (b * 7) % (int)gs.ptrs.size();
    Twin t(gs.ptrs, 97, goe);  // n_pad 224: rows of 7 words
    exercise(t, 1);
}

// Tensor graphs (the record path) and mixed batches: the ten paper tasks and
// random tensor programs, states (records included) bit for bit.
TEST(EnvCuda, TensorGraphsMatchCpu) {
    REQUIRE_CUDA_DEVICE("cuda parity");
    Graphs gs;
    for (const char *t : kTenTasks) gs.add(named_task(t));
    for (int mid : {5, 40, 120}) gs.add(gen_tensor_graph(mid, (uint64_t)mid + 9));
    std::vector<int32_t> goe(61);
    for (int b = 0; b < 61; b++) goe[b] = (b * 5) % (int)gs.ptrs.size();
    Twin t(gs.ptrs, 61, goe);
    ASSERT_EQ(t.L().records, 1);
    exercise(t, 3);
}

// The real-work model (game/real_cost.h): the ten paper tasks and random
// scalar and tensor programs, states (the ccx_lax matrices included) bit for
// bit; then a batch too big to stage in shared memory plays fused episodes.
TEST(EnvCuda, RealModelMatchesCpu) {
    REQUIRE_CUDA_DEVICE("cuda parity");
    Graphs gs;
    auto real = [](GraphPtr g) {
        if (g) g->cost_model = CCX_COST_REAL;
        return g;
    };
    for (const char *t : kTenTasks) gs.add(real(named_task(t)));
    for (int mid : {5, 40, 120}) gs.add(real(gen_tensor_graph(mid, (uint64_t)mid + 19)));
    gs.add(real(gen_graph(3, 60, 2, 65)));
    std::vector<int32_t> goe(59);
    for (int b = 0; b < 59; b++) goe[b] = (b * 5) % (int)gs.ptrs.size();
    Twin t(gs.ptrs, 59, goe);
    ASSERT_EQ(t.L().lax, 1);
    exercise(t, 5);
    GraphPtr roe = real(named_task("RoeFlux_3d"));
    ASSERT_TRUE(roe);
    Twin big({roe.get()}, 700, {});
    fused_episodes_match(big, 78, " (real)");
}

// A big tensor batch: fused episodes with slabs too large for shared memory
// in groups (RoeFlux_3d: 58 KB each).
TEST(EnvCuda, LargeTensorBatchFusedEpisodesMatchCpu) {
    REQUIRE_CUDA_DEVICE("cuda parity");
    GraphPtr roe = named_task("RoeFlux_3d");
    ASSERT_TRUE(roe);
    const int B = 1500;
    Twin t({roe.get()}, B, {});
    fused_episodes_match(t, 77, "");
}

TEST(EnvCuda, MatchesCpuForEveryRowLength) {
    REQUIRE_CUDA_DEVICE("cuda parity");
    GraphPtr roe = load_task("RoeFlux_1d");
    ASSERT_TRUE(roe);
    // n_pad 32, 64, 96, 128, 192, 256 (compile-time row lengths), 320 (long rows)
    struct Cfg { int in, mid, out; int n_pad; int B; };
    const Cfg cfgs[] = {{2, 20, 2, 0, 33}, {3, 50, 3, 0, 40}, {4, 80, 4, 0, 41},
                        {0, 0, 0, 0, 130}, {5, 170, 5, 0, 29}, {0, 0, 0, 256, 36},
                        {4, 300, 3, 0, 37}};
    for (const Cfg &c : cfgs) {
        Graphs gs;
        if (c.in == 0) gs.ptrs.push_back(roe.get());
        else gs.add(gen_graph(c.in, c.mid, c.out, (uint64_t)c.mid));
        Twin t(gs.ptrs, c.B, {}, c.n_pad);
        SCOPED_TRACE("n_pad " + std::to_string(t.L().n_pad));
        exercise(t, (uint64_t)c.mid + 7);
    }
}

TEST(EnvCuda, LargeBatchFusedEpisodesMatchCpu) {
    REQUIRE_CUDA_DEVICE("cuda parity");
    GraphPtr roe = load_task("RoeFlux_1d");
    Twin t({roe.get()}, 8192, {});
    ASSERT_TRUE(t.gpu.env) << t.gpu.msg;
    std::vector<int32_t> ac, ag;
    ASSERT_EQ(t.cpu.play_random(99, &ac), 0);
    ASSERT_EQ(t.gpu.play_random(99, &ag), 0);
    EXPECT_EQ(ac, ag);
    t.same_state("play_random, 8192 envs");
    std::vector<int64_t> cc, cg;
    t.cpu.info(&cc);
    t.gpu.info(&cg);
    EXPECT_EQ(cc, cg);
}

TEST(EnvCuda, HostPointersAreRefused) {
    REQUIRE_CUDA_DEVICE("cuda parity");
    GraphPtr g = load_task("PropaneCombustion");
    EnvRunner r(CCX_BACKEND_CUDA, {g.get()}, 4);
    ASSERT_TRUE(r.env) << r.msg;
    int32_t actions[4] = {1, 1, 1, 1};
    ccx_error err;
    EXPECT_EQ(ccx_env_step(r.env, actions, nullptr, nullptr, 0, &err), -1);
    EXPECT_NE(std::string(err.msg).find("step actions is host memory"), std::string::npos) << err.msg;
    EXPECT_NE(ccx_env_stream(r.env), nullptr);
    char desc[256];
    EXPECT_GT(ccx_env_peak_bandwidth(r.env, desc, sizeof desc), 1e9) << desc;
}

}  // namespace
