// Gumbel search, cuda backend against the cpu backend: given the same
// evaluator outputs and seed, the two agree exactly (Gumbel noise, actions,
// visits, every node of every tree; targets and values bit for bit, checked
// to 1e-5 as the contract states). Every test skips without a device.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "gumbel_test_util.h"

extern "C" {
#include "nn/nn.h"
#include "util/cuda_info.h"
}

namespace {

std::vector<GraphPtr> Graphs(int n, int lo, int hi, uint64_t seed) {
    std::vector<GraphPtr> v;
    for (int i = 0; i < n; i++)
        v.push_back(gen_graph(2 + i % 3, lo + (int)((seed + 5 * i) % (uint64_t)(hi - lo + 1)),
                              1 + i % 2, seed * 1000 + i));
    return v;
}

std::vector<const ccx_graph *> Raw(const std::vector<GraphPtr> &v) {
    std::vector<const ccx_graph *> r;
    for (auto &g : v) r.push_back(g.get());
    return r;
}

void ExpectSameOutputs(const SearchOut &c, const SearchOut &g, const std::string &where) {
    EXPECT_EQ(c.action, g.action) << where;
    EXPECT_EQ(c.visits, g.visits) << where;
    ASSERT_EQ(c.pi.size(), g.pi.size());
    for (size_t i = 0; i < c.pi.size(); i++) ASSERT_NEAR(c.pi[i], g.pi[i], 1e-5) << where << " pi " << i;
    for (size_t i = 0; i < c.value.size(); i++)
        EXPECT_NEAR(c.value[i], g.value[i], 1e-5 * (1 + std::fabs(c.value[i]))) << where << " value " << i;
}

void ExpectSameTrees(ccx_gumbel *c, ccx_gumbel *g, int B, const std::string &where) {
    for (int b = 0; b < B; b++) {
        ccx_gumbel_tree x, y;
        ccx_error err;
        ASSERT_EQ(ccx_gumbel_get_tree(c, b, &x, &err), 0) << err.msg;
        ASSERT_EQ(ccx_gumbel_get_tree(g, b, &y, &err), 0) << err.msg;
        const int M = x.n_nodes, N = x.n_pad;
        EXPECT_EQ(x.active, y.active);
        EXPECT_EQ(x.n_considered, y.n_considered);
        EXPECT_EQ(0, memcmp(x.gumbel, y.gumbel, (size_t)N * 4)) << where << " tree " << b << ": noise";
        for (int n = 0; n < M; n++) {
            ASSERT_EQ(x.visits[n], y.visits[n]) << where << " tree " << b << " node " << n;
            if (!x.visits[n]) continue;
            EXPECT_EQ(x.parent[n], y.parent[n]);
            EXPECT_EQ(x.action[n], y.action[n]);
            EXPECT_EQ(x.terminal[n], y.terminal[n]);
            EXPECT_EQ(x.reward[n], y.reward[n]);
            EXPECT_EQ(x.value_sum[n], y.value_sum[n]) << where << " tree " << b << " node " << n;
            EXPECT_EQ(0, memcmp(x.children + (size_t)n * N, y.children + (size_t)n * N, (size_t)N * 4));
        }
        ccx_gumbel_tree_free(&x);
        ccx_gumbel_tree_free(&y);
    }
}

// Both backends play the same graphs from the same states, searching before
// every move with the same evaluator, to the end of every episode.
void PlayBoth(bool host_eval, const ccx_gumbel_params &p, int n_graphs, int lo, int hi) {
    auto gs = Graphs(n_graphs, lo, hi, 17);
    auto graphs = Raw(gs);
    const int B = n_graphs + 1;  // the extra env starts done
    std::vector<int32_t> goe;
    for (int b = 0; b < B; b++) goe.push_back(b % n_graphs);
    EnvRunner cpu(CCX_BACKEND_CPU, graphs, B, goe), gpu(CCX_BACKEND_CUDA, graphs, B, goe);
    ASSERT_NE(gpu.env, nullptr) << gpu.msg;
    const int N = cpu.L().n_pad;
    std::vector<uint8_t> last(B, 0);
    last[B - 1] = 1;
    ASSERT_EQ(cpu.play_random(3, nullptr, last), 0);
    ASSERT_EQ(gpu.play_random(3, nullptr, last), 0);
    ASSERT_EQ(cpu.state(), gpu.state());
    HostEval hc(cpu.env, B, N), hg(gpu.env, B, N);
    GumbelPtr gc(CCX_BACKEND_CPU, graphs, B, p, host_eval ? hc.evaluator() : ccx_gumbel_evaluator{});
    GumbelPtr gg(CCX_BACKEND_CUDA, graphs, B, p, host_eval ? hg.evaluator() : ccx_gumbel_evaluator{});
    ASSERT_NE(gc.g, nullptr) << gc.msg;
    ASSERT_NE(gg.g, nullptr) << gg.msg;
    for (int move = 0;; move++) {
        std::string where = "move " + std::to_string(move), msg;
        SearchOut oc, og;
        ASSERT_EQ(run_search(gc.g, cpu.env, 77, move, &oc, &msg), 0) << msg;
        ASSERT_EQ(run_search(gg.g, gpu.env, 77, move, &og, &msg), 0) << msg;
        ExpectSameOutputs(oc, og, where);
        ExpectSameTrees(gc.g, gg.g, B, where);
        if (::testing::Test::HasFailure()) return;
        bool any = false;
        std::vector<int32_t> acts(B);
        for (int b = 0; b < B; b++) {
            acts[b] = oc.action[b] >= 0 ? oc.action[b] : CCX_ENV_SKIP;
            any |= oc.action[b] >= 0;
        }
        if (!any) break;
        ASSERT_EQ(cpu.step(acts, nullptr, nullptr, CCX_ENV_NODE_ACTIONS), 0) << cpu.msg;
        ASSERT_EQ(gpu.step(acts, nullptr, nullptr, CCX_ENV_NODE_ACTIONS), 0) << gpu.msg;
    }
    std::vector<int64_t> c1, c2;
    cpu.info(&c1);
    gpu.info(&c2);
    EXPECT_EQ(c1, c2);
}

ccx_gumbel_params Params(int sims, int considered, float gumbel) {
    ccx_gumbel_params p;
    ccx_gumbel_params_default(&p);
    p.num_simulations = sims;
    p.num_considered = considered;
    p.gumbel_scale = gumbel;
    return p;
}

TEST(GumbelCuda, UniformPriorSameAsCpu) {
    REQUIRE_CUDA_DEVICE("gumbel parity");
    PlayBoth(false, Params(64, 16, 1.0f), 5, 4, 9);
}

TEST(GumbelCuda, HostEvaluatorSameAsCpu) {
    REQUIRE_CUDA_DEVICE("gumbel parity");
    ccx_gumbel_params p = Params(48, 4, 1.0f);
    p.reward_scale = 0.125f;
    PlayBoth(true, p, 6, 5, 12);
}

TEST(GumbelCuda, NoRescaleNoNoiseSameAsCpu) {
    REQUIRE_CUDA_DEVICE("gumbel parity");
    ccx_gumbel_params p = Params(40, 2, 0.0f);
    p.rescale_values = 0;
    p.reward_scale = 0.03f;
    PlayBoth(true, p, 4, 6, 10);
}

// Larger batch and n_pad 64 (two legal words per node).
TEST(GumbelCuda, WideGraphsSameAsCpu) {
    REQUIRE_CUDA_DEVICE("gumbel parity");
    std::vector<GraphPtr> gs;
    gs.push_back(gen_graph(4, 40, 3, 5));
    gs.push_back(gen_graph(3, 20, 2, 6));
    auto graphs = Raw(gs);
    const int B = 37;
    EnvRunner cpu(CCX_BACKEND_CPU, graphs, B), gpu(CCX_BACKEND_CUDA, graphs, B);
    ASSERT_NE(gpu.env, nullptr) << gpu.msg;
    const int N = cpu.L().n_pad;
    ASSERT_EQ(N, 64);
    HostEval hc(cpu.env, B, N), hg(gpu.env, B, N);
    ccx_gumbel_params p = Params(32, 16, 1.0f);
    GumbelPtr gc(CCX_BACKEND_CPU, graphs, B, p, hc.evaluator());
    GumbelPtr gg(CCX_BACKEND_CUDA, graphs, B, p, hg.evaluator());
    SearchOut oc, og;
    std::string msg;
    ASSERT_EQ(run_search(gc.g, cpu.env, 5, 9, &oc, &msg), 0) << msg;
    ASSERT_EQ(run_search(gg.g, gpu.env, 5, 9, &og, &msg), 0) << msg;
    ExpectSameOutputs(oc, og, "wide");
    ExpectSameTrees(gc.g, gg.g, B, "wide");
}

// The network on the device as the evaluator: runs, and its targets are
// distributions over the legal slots (the cpu network differs in rounding,
// so no exact comparison here).
TEST(GumbelCuda, NetworkEvaluatorRuns) {
    REQUIRE_CUDA_DEVICE("gumbel parity");
    auto gs = Graphs(3, 6, 9, 23);
    auto graphs = Raw(gs);
    const int B = 3;
    EnvRunner gpu(CCX_BACKEND_CUDA, graphs, B);
    ASSERT_NE(gpu.env, nullptr) << gpu.msg;
    const int N = gpu.L().n_pad;
    ccx_nn_config c = tiny_net_config(N);
    ccx_error err;
    ccx_nn *nn = ccx_nn_create(&c, CCX_BACKEND_CUDA, B, 3, 0, &err);
    ASSERT_NE(nn, nullptr) << err.msg;
    {
        GumbelPtr g(CCX_BACKEND_CUDA, graphs, B, Params(16, 4, 1.0f), ccx_gumbel_nn_evaluator(nn));
        ASSERT_NE(g.g, nullptr) << g.msg;
        SearchOut out;
        std::string msg;
        ASSERT_EQ(run_search(g.g, gpu.env, 1, 0, &out, &msg), 0) << msg;
        std::vector<uint8_t> m;
        ASSERT_EQ(gpu.legal_mask(&m), 0);
        for (int b = 0; b < B; b++) {
            double s = 0;
            int sv = 0;
            for (int a = 0; a < N; a++) {
                if (!m[(size_t)b * N + a]) EXPECT_EQ(out.pi[(size_t)b * N + a], 0.0f);
                s += out.pi[(size_t)b * N + a];
                sv += out.visits[(size_t)b * N + a];
            }
            EXPECT_NEAR(s, 1.0, 1e-5);
            EXPECT_EQ(sv, 16);
            ASSERT_GE(out.action[b], 0);
            EXPECT_TRUE(m[(size_t)b * N + out.action[b]]);
        }
    }
    ccx_nn_free(nn);
}

}  // namespace
