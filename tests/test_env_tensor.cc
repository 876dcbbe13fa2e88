// Batched environments on tensor graphs (the record path, game/records.h):
// the cpu backend against the single-game reference (game/game.c) on the
// ten paper tasks, in mixed scalar/tensor batches and on random tensor
// programs: every step's cost, the episode costs, the published baseline
// figures, the observation features, snapshots, eliminated sets, auto-reset
// and the fused episodes. (cuda against cpu: test_env_cuda.cc.)
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "env_test_util.h"

namespace {

// Features 10-17 (CCX_OBS_F_LOG2_COST .. the out-edge groups) of node v of an env against the single game in the same
// state: the cost now, the shape, and the edge groups summing to the degrees.
void check_features(const float *f, const ccx_game &game, int v, const std::string &where) {
    int vertex = v - game.n_inputs + 1;
    bool legal = v >= game.n_inputs && v < game.n_nodes && ccx_game_is_legal(&game, vertex);
    int64_t cost = legal ? ccx_game_elim_cost(&game, vertex) : 0;
    EXPECT_EQ(f[CCX_OBS_F_LOG2_COST], ccx_env_log2_feature(1 + cost)) << where << " node " << v;
    if (v < game.n_nodes && game.tensor) {
        int64_t el = (int64_t)game.shape[2 * v] * game.shape[2 * v + 1];
        EXPECT_EQ(f[CCX_OBS_F_LOG2_ELEMENTS], ccx_env_log2_feature(el)) << where << " node " << v;
    }
    const float *in = f + CCX_OBS_F_IN_GROUP, *out = f + CCX_OBS_F_OUT_GROUP;
    EXPECT_EQ(in[0] + in[1] + in[2], f[CCX_OBS_F_IN_DEGREE]) << where << " node " << v;
    EXPECT_EQ(out[0] + out[1] + out[2], f[CCX_OBS_F_OUT_DEGREE]) << where << " node " << v;
}

// A mixed batch of the ten tasks (two envs each, the scalar four on the
// bitset rule, the six tensor ones on records) steps random orders exactly
// as ten single games do.
TEST(EnvTensor, StepsMatchTheSingleGameOnTheTenTasks) {
    Graphs gs;
    for (const char *t : kTenTasks) gs.add(named_task(t));
    const int B = 20;
    EnvRunner r(CCX_BACKEND_CPU, gs.ptrs, B);
    ASSERT_TRUE(r.env) << r.msg;
    EXPECT_EQ(r.L().records, 1);
    std::mt19937 rng(7);
    std::vector<std::unique_ptr<Game>> games;
    std::vector<std::vector<int32_t>> orders;
    for (int b = 0; b < B; b++) {
        games.push_back(std::make_unique<Game>(gs.ptrs[b % 10]));
        orders.push_back(random_order(gs.ptrs[b % 10], rng));
    }
    const int NP = r.L().n_pad;
    for (size_t t = 0;; t++) {
        std::vector<int32_t> a(B, CCX_ENV_SKIP);
        bool any = false;
        for (int b = 0; b < B; b++)
            if (t < orders[b].size()) {
                a[b] = orders[b][t];
                any = true;
            }
        if (!any) break;
        if (t % 9 == 0) {
            std::vector<float> feat;
            ASSERT_EQ(r.observe(&feat, nullptr), 0) << r.msg;
            for (int b = 0; b < B; b++)
                for (int v = 0; v < NP; v++)
                    check_features(&feat[((size_t)b * NP + v) * CCX_OBS_FEATURES], games[b]->g, v,
                                   std::string(gs.ptrs[b % 10]->task_name) + " step " +
                                       std::to_string(t));
        }
        std::vector<int64_t> cost;
        std::vector<uint8_t> done;
        ASSERT_EQ(r.step(a, &cost, &done), 0) << r.msg;
        for (int b = 0; b < B; b++) {
            int64_t want = a[b] == CCX_ENV_SKIP ? 0 : ccx_game_step(&games[b]->g, a[b]);
            ASSERT_EQ(cost[b], want) << gs.ptrs[b % 10]->task_name << " step " << t;
            EXPECT_EQ(done[b], (uint8_t)ccx_game_done(&games[b]->g));
        }
    }
    std::vector<int64_t> total;
    std::vector<int32_t> rem;
    r.info(&total, &rem);
    for (int b = 0; b < B; b++) {
        EXPECT_EQ(total[b], games[b]->g.cost) << gs.ptrs[b % 10]->task_name;
        EXPECT_EQ(rem[b], 0);
    }
}

// Forward, reverse and AlphaGrad's Markowitz orders, played as fused given
// orders, cost AlphaGrad's published figures.
TEST(EnvTensor, PlayOrdersGiveThePublishedBaselines) {
    const struct {
        const char *task;
        int64_t fwd, rev, mm;
    } want[] = {{"RoeFlux_3d", 1556, 979, 956}, {"BlackScholes_Jacobian", 545, 572, 350},
                {"Encoder", 135010, 4688, 51896}, {"Perceptron", 10930, 392, 4796},
                {"f", 17728, 9333, 12257},        {"g", 632, 566, 451}};
    for (const auto &w : want) {
        GraphPtr g = named_task(w.task);
        ASSERT_TRUE(g) << w.task;
        std::string msg;
        std::vector<int64_t> cost = play_baseline_costs(g.get(), 3, &msg);
        ASSERT_EQ(cost.size(), 3u) << msg;
        EXPECT_EQ(cost[0], w.fwd) << w.task;
        EXPECT_EQ(cost[1], w.rev) << w.task;
        EXPECT_EQ(cost[2], w.mm) << w.task;
    }
}

// Snapshots carry the records: restoring mid-episode and replaying gives the
// same costs and state; auto-reset and reset give the template back.
TEST(EnvTensor, SnapshotsRestoreAndAutoResetKeepTheRecords) {
    GraphPtr g = named_task("RoeFlux_3d");
    ASSERT_TRUE(g);
    const int B = 4;
    EnvRunner r(CCX_BACKEND_CPU, {g.get()}, B);
    ASSERT_TRUE(r.env) << r.msg;
    std::vector<uint32_t> fresh = r.state();
    std::mt19937 rng(3);
    std::vector<std::vector<int32_t>> orders;
    for (int b = 0; b < B; b++) orders.push_back(random_order(g.get(), rng));
    const size_t n = orders[0].size(), half = n / 2;
    auto play = [&](size_t from, size_t to, unsigned flags) {
        std::vector<int64_t> all;
        for (size_t t = from; t < to; t++) {
            std::vector<int32_t> a(B);
            for (int b = 0; b < B; b++) a[b] = orders[b][t];
            std::vector<int64_t> c;
            EXPECT_EQ(r.step(a, &c, nullptr, flags), 0) << r.msg;
            all.insert(all.end(), c.begin(), c.end());
        }
        return all;
    };
    play(0, half, 0);
    std::vector<int32_t> ids = {0, 1, 2, 3};
    std::vector<uint32_t> snap;
    ASSERT_EQ(r.snapshot(ids, &snap), 0);
    std::vector<int64_t> first = play(half, n - 1, 0);
    std::vector<uint32_t> before_last = r.state();
    ASSERT_EQ(r.restore(ids, snap), 0) << r.msg;
    EXPECT_EQ(play(half, n - 1, 0), first);
    EXPECT_EQ(r.state(), before_last);
    play(n - 1, n, CCX_ENV_AUTO_RESET);  // the last step ends every episode
    EXPECT_EQ(r.state(), fresh);
    // the eliminated set of a mid-episode state rebuilds its graph (records
    // of the increasing order, as ccx_game_set_eliminated), then plays on
    ASSERT_EQ(r.restore(ids, snap), 0);
    std::vector<uint32_t> sets;
    ASSERT_EQ(r.get_eliminated({0}, &sets), 0);
    ASSERT_EQ(r.set_eliminated({0}, sets), 0) << r.msg;
    Game game(g.get());
    std::vector<uint8_t> elim(g->n_vertices, 0);
    for (size_t t = 0; t < half; t++) elim[orders[0][t] - 1] = 1;
    ASSERT_GE(ccx_game_set_eliminated(&game.g, elim.data()), 0);
    for (size_t t = half; t < n; t++) {
        std::vector<int32_t> a(B, CCX_ENV_SKIP);
        a[0] = orders[0][t];
        std::vector<int64_t> c;
        ASSERT_EQ(r.step(a, &c), 0) << r.msg;
        EXPECT_EQ(c[0], ccx_game_step(&game.g, orders[0][t])) << "step " << t;
    }
}

// Random tensor programs: fused random episodes replay to the same cost on
// the single game; given orders too; a batch padded wider than its graphs
// (n_pad 256) plays the same.
TEST(EnvTensor, RandomTensorProgramsMatchTheSingleGame) {
    Graphs gs;
    for (int k = 0; k < 12; k++) gs.add(gen_tensor_graph(10 + 9 * k, 100 + (uint64_t)k));
    gs.add(load_task("HumanHeartDipole"));
    for (int n_pad : {0, 256}) {
        const int B = 39;
        EnvRunner r(CCX_BACKEND_CPU, gs.ptrs, B, {}, n_pad);
        ASSERT_TRUE(r.env) << r.msg;
        const int NP = r.L().n_pad;
        std::vector<int32_t> acts;
        ASSERT_EQ(r.play_random(11, &acts), 0) << r.msg;
        std::vector<int64_t> cost;
        r.info(&cost);
        for (int b = 0; b < B; b++) {
            const ccx_graph *g = gs.ptrs[b % gs.ptrs.size()];
            int n = ccx_graph_n_intermediates(g);
            int64_t want = -1;
            ccx_error err;
            ASSERT_EQ(ccx_order_cost(g, &acts[(size_t)b * NP], n, &want, &err), 0) << err.msg;
            EXPECT_EQ(cost[b], want) << g->task_name << " n_pad " << NP;
        }
        ASSERT_EQ(r.reset(), 0);
        ASSERT_EQ(r.play_orders(acts), 0) << r.msg;
        std::vector<int64_t> again;
        r.info(&again);
        EXPECT_EQ(again, cost);
    }
}

// The adjacency observation carries 1 + the edge's type group on tensor
// graphs (1 on scalar ones), at exactly the edges of the single game.
TEST(EnvTensor, AdjacencyCarriesTheTypeGroup) {
    Graphs gs;
    gs.add(named_task("Encoder"));
    gs.add(load_task("RobotArm_6DOF"));
    EnvRunner r(CCX_BACKEND_CPU, gs.ptrs, 2);
    ASSERT_TRUE(r.env) << r.msg;
    std::mt19937 rng(5);
    std::vector<int32_t> o0 = random_order(gs.ptrs[0], rng), o1 = random_order(gs.ptrs[1], rng);
    Game g0(gs.ptrs[0]), g1(gs.ptrs[1]);
    const int NP = r.L().n_pad;
    int seen[4] = {0, 0, 0, 0};
    for (size_t t = 0; t < 20; t++) {
        ASSERT_EQ(r.step({o0[t], o1[t]}), 0) << r.msg;
        ccx_game_step(&g0.g, o0[t]);
        ccx_game_step(&g1.g, o1[t]);
        std::vector<uint8_t> adj;
        ASSERT_EQ(r.observe(nullptr, &adj), 0) << r.msg;
        for (int b = 0; b < 2; b++) {
            const ccx_game &g = b ? g1.g : g0.g;
            for (int i = 0; i < NP; i++)
                for (int k = 0; k < NP; k++) {
                    uint8_t want = 0;
                    if (i < g.n_pad && k < g.n_pad &&
                        (g.succs[(size_t)i * g.words + (k >> 5)] >> (k & 31) & 1u))
                        want = g.tensor ? (uint8_t)(1 + ccx_rec_group(g.rec[(size_t)i * g.n_pad + k].type)) : 1;
                    ASSERT_EQ(adj[((size_t)b * NP + i) * NP + k], want) << b << " " << i << "->" << k;
                    seen[want]++;
                }
        }
    }
    EXPECT_GT(seen[1], 0);
    EXPECT_GT(seen[2], 0);
    EXPECT_GT(seen[3], 0);
}

// Feature 9 of a tensor graph's vertex: the ccx op named like its primitive
// (elementwise mul, add, ...), 0 for primitives without one (dot_general).
TEST(EnvTensor, ElementwisePrimitivesCarryTheirOpCode) {
    Graphs gs;
    gs.add(named_task("Encoder"));
    EnvRunner r(CCX_BACKEND_CPU, gs.ptrs, 1);
    ASSERT_TRUE(r.env) << r.msg;
    std::vector<float> feat;
    ASSERT_EQ(r.observe(&feat, nullptr), 0) << r.msg;
    const ccx_graph *g = gs.ptrs[0];
    int named = 0, unnamed = 0;
    for (int k = 0; k < g->n_vertices; k++) {
        const char *prim = ccx_vertex_prim(&g->vertices[k]);
        ccx_op op;
        float want = ccx_op_from_name(prim, &op) == 0 ? (float)(1 + op) : 0.0f;
        if (!strcmp(prim, "mul")) EXPECT_EQ(want, (float)(1 + CCX_OP_MUL));
        if (!strcmp(prim, "dot_general")) EXPECT_EQ(want, 0.0f);
        EXPECT_EQ(feat[(size_t)(g->n_inputs + k) * CCX_OBS_FEATURES + CCX_OBS_F_OP], want) << prim;
        (want > 0 ? named : unnamed)++;
    }
    EXPECT_GT(named, 0);
    EXPECT_GT(unnamed, 0);
}

// A scalar-only batch has no records: its layout is the one it always had.
TEST(EnvTensor, ScalarBatchesCarryNoRecords) {
    GraphPtr g = load_task("RoeFlux_1d");
    EnvRunner r(CCX_BACKEND_CPU, {g.get()}, 2);
    ASSERT_TRUE(r.env) << r.msg;
    EXPECT_EQ(r.L().records, 0);
    EXPECT_EQ(r.L().tab_words, 0);
    EXPECT_EQ(r.L().slab_words, r.L().off_rec);
    // the cost feature of a scalar vertex is its Markowitz degree's log
    std::vector<float> feat;
    ASSERT_EQ(r.observe(&feat, nullptr), 0);
    Game game(g.get());
    for (int v = 0; v < r.L().n_pad; v++)
        check_features(&feat[(size_t)v * CCX_OBS_FEATURES], game.g, v, "RoeFlux_1d");
}

TEST(EnvTensor, Log2FeatureIsExactAtPowersOfTwoAndMonotone) {
    EXPECT_EQ(ccx_env_log2_feature(1), 0.0f);
    EXPECT_EQ(ccx_env_log2_feature(2), 0.0625f);
    EXPECT_EQ(ccx_env_log2_feature(1 << 17), 17 * 0.0625f);
    EXPECT_EQ(ccx_env_log2_feature(3), 1.5f * 0.0625f);
    float prev = -1;
    for (int64_t x = 1; x < 300000; x += 1 + x / 50) {
        float f = ccx_env_log2_feature(x);
        EXPECT_GE(f, prev);
        EXPECT_LE(std::abs(f - std::log2((double)x) / 16), 0.0054 + 1e-7) << x;
        prev = f;
    }
}

}  // namespace
