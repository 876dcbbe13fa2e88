// Batched environments under the real-work cost model (game/real_cost.h):
// the cpu backend against the single game under `real` (game/game.c) on the
// ten paper tasks and on random scalar and tensor programs: every step's
// cost, the episode costs, the real baselines, the observation features
// and adjacency, snapshots, eliminated sets and the fused episodes; a batch
// that mixes the two models is refused. (cuda against cpu: test_env_cuda.cc.)
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "env_test_util.h"

extern "C" {
#include "game/real_cost.h"
}

namespace {

GraphPtr real(GraphPtr g) {
    if (g) g->cost_model = CCX_COST_REAL;
    return g;
}

// Features 10-17 of node v against the single game (real) in the same state:
// the cost now, the node's elements, the edges by type group.
void check_features(const float *f, const ccx_game &game, int v, const std::string &where) {
    const int vertex = v - game.n_inputs + 1;
    const bool legal = v >= game.n_inputs && v < game.n_nodes && ccx_game_is_legal(&game, vertex);
    const int64_t cost = legal ? ccx_game_elim_cost(&game, vertex) : 0;
    EXPECT_EQ(f[CCX_OBS_F_LOG2_COST], ccx_env_log2_feature(1 + cost)) << where << " node " << v;
    if (v >= game.n_nodes) return;
    int64_t el = 1;
    for (int a = 0; a < game.lshape[v].rank; a++) el *= game.lshape[v].d[a];
    EXPECT_EQ(f[CCX_OBS_F_LOG2_ELEMENTS], ccx_env_log2_feature(el)) << where << " node " << v;
    const int N = game.n_pad, W = game.words;
    int in_g[3] = {0, 0, 0}, out_g[3] = {0, 0, 0};
    for (int q = 0; q < game.n_nodes; q++) {
        if (game.preds[(size_t)v * W + (q >> 5)] >> (q & 31) & 1u)
            in_g[ccx_lax_group(&game.lax[(size_t)q * N + v], game.lshape[v].rank, game.lshape[q].rank)]++;
        if (game.succs[(size_t)v * W + (q >> 5)] >> (q & 31) & 1u)
            out_g[ccx_lax_group(&game.lax[(size_t)v * N + q], game.lshape[q].rank, game.lshape[v].rank)]++;
    }
    for (int k = 0; k < 3; k++) {
        EXPECT_EQ(f[CCX_OBS_F_IN_GROUP + k], in_g[k] * CCX_OBS_DEGREE_SCALE) << where << " node " << v;
        EXPECT_EQ(f[CCX_OBS_F_OUT_GROUP + k], out_g[k] * CCX_OBS_DEGREE_SCALE) << where << " node " << v;
    }
}

// The adjacency of env b against the game: 1 + the group at every edge.
void check_adjacency(const uint8_t *adj, int NP, const ccx_game &g, int seen[4]) {
    for (int i = 0; i < NP; i++)
        for (int k = 0; k < NP; k++) {
            uint8_t want = 0;
            if (i < g.n_nodes && k < g.n_nodes && (g.succs[(size_t)i * g.words + (k >> 5)] >> (k & 31) & 1u))
                want = (uint8_t)(1 + ccx_lax_group(&g.lax[(size_t)i * g.n_pad + k], g.lshape[k].rank,
                                                   g.lshape[i].rank));
            ASSERT_EQ(adj[(size_t)i * NP + k], want) << i << "->" << k;
            seen[want]++;
        }
}

// The ten tasks in one batch (two envs each) step random orders exactly as
// ten single games under `real` do; features and adjacency agree on the way.
TEST(EnvReal, StepsMatchTheSingleGameOnTheTenTasks) {
    Graphs gs;
    for (const char *t : kTenTasks) gs.add(real(named_task(t)));
    const int B = 20;
    EnvRunner r(CCX_BACKEND_CPU, gs.ptrs, B);
    ASSERT_TRUE(r.env) << r.msg;
    EXPECT_EQ(r.L().lax, 1);
    EXPECT_EQ(r.L().records, 0);
    EXPECT_EQ(r.L().slab_words, r.L().off_rec + 4 * r.L().n_pad * r.L().n_pad);
    std::mt19937 rng(7);
    std::vector<std::unique_ptr<Game>> games;
    std::vector<std::vector<int32_t>> orders;
    for (int b = 0; b < B; b++) {
        games.push_back(std::make_unique<Game>(gs.ptrs[b % 10]));
        ASSERT_EQ(games.back()->g.model, CCX_COST_REAL);
        orders.push_back(random_order(gs.ptrs[b % 10], rng));
    }
    const int NP = r.L().n_pad;
    int seen[4] = {0, 0, 0, 0};
    for (size_t t = 0;; t++) {
        std::vector<int32_t> a(B, CCX_ENV_SKIP);
        bool any = false;
        for (int b = 0; b < B; b++)
            if (t < orders[b].size()) {
                a[b] = orders[b][t];
                any = true;
            }
        if (!any) break;
        if (t % 11 == 0) {
            std::vector<float> feat;
            std::vector<uint8_t> adj;
            ASSERT_EQ(r.observe(&feat, &adj), 0) << r.msg;
            for (int b = 0; b < B; b++) {
                const std::string where = std::string(gs.ptrs[b % 10]->task_name) + " step " + std::to_string(t);
                for (int v = 0; v < NP; v++)
                    check_features(&feat[((size_t)b * NP + v) * CCX_OBS_FEATURES], games[b]->g, v, where);
                check_adjacency(&adj[(size_t)b * NP * NP], NP, games[b]->g, seen);
                if (HasFatalFailure()) return;
            }
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
    r.info(&total);
    for (int b = 0; b < B; b++) EXPECT_EQ(total[b], games[b]->g.cost) << gs.ptrs[b % 10]->task_name;
    // every group occurs: data edges dense and sparse, constants as structure
    EXPECT_GT(seen[1], 0);
    EXPECT_GT(seen[2], 0);
    EXPECT_GT(seen[3], 0);
}

// Forward and reverse played as fused given orders cost the real figures
// (the JAX modules' multiplications(), README "Two cost models").
TEST(EnvReal, PlayOrdersGiveTheRealBaselines) {
    const struct {
        const char *task;
        int64_t fwd, rev;
    } want[] = {{"RoeFlux_1d", 362, 234}, {"RoeFlux_3d", 964, 695}, {"BlackScholes_Jacobian", 371, 405},
                {"Encoder", 100944, 3632}, {"Perceptron", 4904, 199}, {"f", 13192, 5759},
                {"g", 447, 335}};
    for (const auto &w : want) {
        GraphPtr g = real(named_task(w.task));
        ASSERT_TRUE(g) << w.task;
        std::string msg;
        std::vector<int64_t> cost = play_baseline_costs(g.get(), 2, &msg);
        ASSERT_EQ(cost.size(), 2u) << msg;
        EXPECT_EQ(cost[0], w.fwd) << w.task;
        EXPECT_EQ(cost[1], w.rev) << w.task;
    }
}

// Random scalar and tensor programs: fused random episodes cost what the
// single game prices the same orders at; given orders replay them; a batch
// padded wider (n_pad 256) plays the same; snapshots and eliminated sets
// carry the edge matrix.
TEST(EnvReal, RandomProgramsMatchTheSingleGame) {
    Graphs gs;
    for (int k = 0; k < 8; k++) gs.add(real(gen_tensor_graph(10 + 11 * k, 300 + (uint64_t)k)));
    for (int k = 0; k < 4; k++) gs.add(real(gen_graph(3, 15 + 20 * k, 2, 40 + (uint64_t)k)));
    gs.add(real(load_task("HumanHeartDipole")));
    for (int n_pad : {0, 256}) {
        const int B = 39;
        EnvRunner r(CCX_BACKEND_CPU, gs.ptrs, B, {}, n_pad);
        ASSERT_TRUE(r.env) << r.msg;
        const int NP = r.L().n_pad;
        std::vector<int32_t> acts;
        ASSERT_EQ(r.play_random(11, &acts), 0) << r.msg;
        std::vector<int64_t> cost;
        r.info(&cost);
        int nonzero = 0;
        for (int b = 0; b < B; b++) {
            const ccx_graph *g = gs.ptrs[b % gs.ptrs.size()];
            int64_t want = -1;
            ccx_error err;
            ASSERT_EQ(ccx_order_cost(g, &acts[(size_t)b * NP], ccx_graph_n_intermediates(g), &want, &err), 0)
                << err.msg;
            EXPECT_EQ(cost[b], want) << g->task_name << " n_pad " << NP;
            nonzero += want > 0;
        }
        EXPECT_GT(nonzero, B / 2);
        ASSERT_EQ(r.reset(), 0);
        ASSERT_EQ(r.play_orders(acts), 0) << r.msg;
        std::vector<int64_t> again;
        r.info(&again);
        EXPECT_EQ(again, cost);
    }
    // mid-episode: a snapshot restores, an eliminated set rebuilds the
    // state of the increasing order (as ccx_game_set_eliminated)
    const ccx_graph *g = gs.ptrs[5];
    EnvRunner r(CCX_BACKEND_CPU, {g}, 2);
    ASSERT_TRUE(r.env) << r.msg;
    std::vector<uint32_t> fresh = r.state();
    std::mt19937 rng(9);
    std::vector<int32_t> order = random_order(g, rng);
    const size_t half = order.size() / 2;
    for (size_t t = 0; t < half; t++) ASSERT_EQ(r.step({order[t], order[t]}), 0) << r.msg;
    std::vector<uint32_t> snap, mid = r.state();
    ASSERT_EQ(r.snapshot({0, 1}, &snap), 0);
    for (size_t t = half; t < order.size(); t++)
        ASSERT_EQ(r.step({order[t], order[t]}, nullptr, nullptr, CCX_ENV_AUTO_RESET), 0) << r.msg;
    EXPECT_EQ(r.state(), fresh);
    ASSERT_EQ(r.restore({0, 1}, snap), 0) << r.msg;
    EXPECT_EQ(r.state(), mid);
    std::vector<uint32_t> sets;
    ASSERT_EQ(r.get_eliminated({0}, &sets), 0);
    ASSERT_EQ(r.set_eliminated({0}, sets), 0) << r.msg;
    Game game(g);
    std::vector<uint8_t> elim(g->n_vertices, 0);
    for (size_t t = 0; t < half; t++) elim[order[t] - 1] = 1;
    ASSERT_GE(ccx_game_set_eliminated(&game.g, elim.data()), 0);
    for (size_t t = half; t < order.size(); t++) {
        std::vector<int64_t> c;
        ASSERT_EQ(r.step({order[t], CCX_ENV_SKIP}, &c), 0) << r.msg;
        EXPECT_EQ(c[0], ccx_game_step(&game.g, order[t])) << "step " << t;
    }
}

// One batch plays one model: a mix is refused with both named.
TEST(EnvReal, MixedModelsAreRefused) {
    Graphs gs;
    gs.add(named_task("RoeFlux_1d"));
    gs.add(real(named_task("RoeFlux_3d")));
    EnvRunner r(CCX_BACKEND_CPU, gs.ptrs, 2);
    EXPECT_EQ(r.env, nullptr);
    EXPECT_NE(r.msg.find("one cost model"), std::string::npos) << r.msg;
    EXPECT_NE(r.msg.find("RoeFlux_1d is priced under alphagrad"), std::string::npos) << r.msg;
    EXPECT_NE(r.msg.find("RoeFlux_3d under real"), std::string::npos) << r.msg;
}

// Under real a +-1 partial is free: on RoeFlux_1d the scalar products that
// AlphaGrad's model prices are fewer in the real model's observation.
TEST(EnvReal, ScalarCostFeatureCountsOnlyDataProducts) {
    GraphPtr a = named_task("RoeFlux_1d"), b = real(named_task("RoeFlux_1d"));
    EnvRunner ra(CCX_BACKEND_CPU, {a.get()}, 1), rb(CCX_BACKEND_CPU, {b.get()}, 1);
    ASSERT_TRUE(ra.env && rb.env) << ra.msg << rb.msg;
    std::vector<float> fa, fb;
    ASSERT_EQ(ra.observe(&fa, nullptr), 0);
    ASSERT_EQ(rb.observe(&fb, nullptr), 0);
    int lower = 0, higher = 0;
    for (int v = 0; v < ra.L().n_pad; v++) {
        float x = fa[(size_t)v * CCX_OBS_FEATURES + CCX_OBS_F_LOG2_COST];
        float y = fb[(size_t)v * CCX_OBS_FEATURES + CCX_OBS_F_LOG2_COST];
        lower += y < x;
        higher += y > x;
    }
    EXPECT_GT(lower, 0);
    EXPECT_EQ(higher, 0);
}

}  // namespace
