// Batched environments, cpu backend: they reproduce the single-game
// reference exactly (baselines, random orders, mixed batches, auto-reset),
// snapshots and eliminated sets give identical continuations, every kind of
// illegal action is refused without changing anything, and observations
// agree with the game.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "env_test_util.h"

extern "C" {
#include "util/philox.h"
}

namespace {

const char *const kPaperTasks[] = {"RoeFlux_1d", "RobotArm_6DOF", "HumanHeartDipole",
                                   "PropaneCombustion"};

// inputs a,b; v1 = a*b; v2 = sin(v1); v3 = v1 + v2 (out); v4 = cos(v2) (out)
const char *kTiny = "input a, b\nv1 = a * b\nv2 = sin(v1)\nv3 = v1 + v2\nv4 = cos(v2)\noutput v3, v4\n";

bool has(const std::string &s, const std::string &needle) { return s.find(needle) != std::string::npos; }

int64_t game_cost(const ccx_graph *g, const std::vector<int32_t> &order) {
    int64_t c = -1;
    ccx_error err;
    EXPECT_EQ(ccx_order_cost(g, order.data(), (int)order.size(), &c, &err), 0) << err.msg;
    return c;
}

// Play orders[b] in lockstep (CCX_ENV_SKIP once an env's order is used up);
// returns the sum of step costs per env and checks the done flags.
std::vector<int64_t> play_lockstep(EnvRunner &r, const std::vector<std::vector<int32_t>> &orders,
                                   unsigned flags = 0) {
    int B = r.B();
    size_t T = 0;
    for (const auto &o : orders) T = std::max(T, o.size());
    std::vector<int64_t> total(B, 0), cost;
    std::vector<uint8_t> done;
    for (size_t t = 0; t < T; t++) {
        std::vector<int32_t> a(B);
        for (int b = 0; b < B; b++) a[b] = t < orders[b].size() ? orders[b][t] : CCX_ENV_SKIP;
        EXPECT_EQ(r.step(a, &cost, &done, flags), 0) << r.msg;
        for (int b = 0; b < B; b++) {
            total[b] += cost[b];
            EXPECT_EQ(done[b], t + 1 >= orders[b].size() ? 1 : 0) << "env " << b << " step " << t;
        }
    }
    return total;
}

TEST(Env, PhiloxMatchesRandom123KnownAnswers) {
    struct Kat { uint32_t ctr[4], key[2], out[4]; };
    const Kat kats[] = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
        {{~0u, ~0u, ~0u, ~0u}, {~0u, ~0u}, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
        {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
         {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };
    for (const Kat &k : kats) {
        uint32_t out[4];
        ccx_philox_block(k.ctr, k.key, out);
        for (int i = 0; i < 4; i++) EXPECT_EQ(out[i], k.out[i]);
    }
    // offset semantics (curand skipahead): offset 5 is the 6th draw
    ccx_philox a, b;
    ccx_philox_init(&a, 99, 3, 0);
    ccx_philox_init(&b, 99, 3, 5);
    for (int i = 0; i < 5; i++) ccx_philox_next(&a);
    for (int i = 0; i < 9; i++) EXPECT_EQ(ccx_philox_next(&a), ccx_philox_next(&b));
}

// The observation's feature slots (env.h's table) keep their numbers:
// networks and checkpoints trained on them read them by position.
TEST(Env, ObservationFeatureSlotsKeepTheirNumbers) {
    EXPECT_EQ(CCX_OBS_F_KIND + CCX_KIND_INTERMEDIATE, 2);
    EXPECT_EQ(CCX_OBS_F_IN_DEGREE, 5);
    EXPECT_EQ(CCX_OBS_F_OUT_DEGREE, 6);
    EXPECT_EQ(CCX_OBS_F_MARKOWITZ, 7);
    EXPECT_EQ(CCX_OBS_F_VERTEX, 8);
    EXPECT_EQ(CCX_OBS_F_OP, 9);
    EXPECT_EQ(CCX_OBS_F_LOG2_COST, 10);
    EXPECT_EQ(CCX_OBS_F_LOG2_ELEMENTS, 11);
    EXPECT_EQ(CCX_OBS_F_IN_GROUP, 12);
    EXPECT_EQ(CCX_OBS_F_OUT_GROUP, 15);
    EXPECT_EQ(CCX_OBS_FEATURES, 18);
}

TEST(Env, LayoutAndCreateErrors) {
    GraphPtr roe = load_task("RoeFlux_1d");
    ASSERT_TRUE(roe);
    EnvRunner r(CCX_BACKEND_CPU, {roe.get()}, 3);
    ASSERT_TRUE(r.env) << r.msg;
    const ccx_env_layout &L = r.L();
    EXPECT_EQ(L.n_pad, 128);  // 6 inputs + 101 vertices
    EXPECT_EQ(L.words, 4);
    EXPECT_EQ(L.off_preds, 0);
    EXPECT_EQ(L.off_succs, 512);
    EXPECT_EQ(L.off_kind, 1024);
    EXPECT_EQ(L.off_header, 1056);
    EXPECT_EQ(L.slab_words, 1088);
    EXPECT_EQ(L.slab_words % 32, 0);
    std::vector<int64_t> cost;
    std::vector<int32_t> rem, graph;
    r.info(&cost, &rem, &graph);
    EXPECT_EQ(rem, std::vector<int32_t>(3, 98));
    EXPECT_EQ(cost, std::vector<int64_t>(3, 0));
    EXPECT_EQ(graph, std::vector<int32_t>(3, 0));
    EXPECT_STREQ(ccx_env_graph(r.env, 0)->name, "RoeFlux_1d");
    EXPECT_EQ(ccx_env_stream(r.env), nullptr);

    struct Bad { int B; int n_pad; std::vector<int32_t> goe; const char *needle; };
    const Bad bad[] = {
        {0, 0, {}, "batch size 0"},
        {2, 100, {}, "multiple of 32"},
        {2, 96, {}, "the largest graph has 107 nodes"},
        {2, 0, {0, 1}, "graph_of_env[1] = 1 is not a graph index"},
    };
    for (const Bad &b : bad) {
        EnvRunner x(CCX_BACKEND_CPU, {roe.get()}, b.B, b.goe, b.n_pad);
        EXPECT_EQ(x.env, nullptr);
        EXPECT_TRUE(has(x.msg, b.needle)) << x.msg;
    }
    EnvRunner wide(CCX_BACKEND_CPU, {roe.get()}, 1, {}, 256);
    ASSERT_TRUE(wide.env) << wide.msg;
    EXPECT_EQ(wide.L().words, 8);

    ccx_backend bk;
    char note[256];
    ccx_error err;
    EXPECT_NE(ccx_backend_parse("gpu", &bk, note, sizeof note, &err), 0);
    EXPECT_TRUE(has(err.msg, "unknown backend 'gpu'")) << err.msg;
    ASSERT_EQ(ccx_backend_parse("auto", &bk, note, sizeof note, &err), 0);
    EXPECT_TRUE(has(note, "backend auto: ")) << note;
    ASSERT_EQ(ccx_backend_parse("cpu", &bk, note, sizeof note, &err), 0);
    EXPECT_EQ(bk, CCX_BACKEND_CPU);
#ifndef CCX_HAVE_CUDA
    EXPECT_NE(ccx_backend_parse("cuda", &bk, note, sizeof note, &err), 0);
    EXPECT_TRUE(has(err.msg, "built without CUDA")) << err.msg;
    EnvRunner cu(CCX_BACKEND_CUDA, {roe.get()}, 1);
    EXPECT_EQ(cu.env, nullptr);
    EXPECT_TRUE(has(cu.msg, "built without CUDA")) << cu.msg;
#endif
}

TEST(Env, ReproducesGameCostsOnPaperTasks) {
    for (const char *name : kPaperTasks) {
        GraphPtr g = load_task(name);
        ASSERT_TRUE(g) << name;
        int n = ccx_graph_n_intermediates(g.get());
        std::vector<std::vector<int32_t>> orders;
        std::vector<int64_t> expect;
        ccx_error err;
        for (int b = 0; b < 3; b++) {
            std::vector<int32_t> o(n);
            expect.push_back(ccx_baseline_order(g.get(), (ccx_baseline)b, o.data(), &err));
            orders.push_back(o);
        }
        std::mt19937 rng(17);
        for (int i = 0; i < 1000; i++) {
            orders.push_back(random_order(g.get(), rng));
            expect.push_back(game_cost(g.get(), orders.back()));
        }
        int B = (int)orders.size();
        EnvRunner r(CCX_BACKEND_CPU, {g.get()}, B);
        ASSERT_TRUE(r.env) << r.msg;
        std::vector<int64_t> total = play_lockstep(r, orders);
        EXPECT_EQ(total, expect) << name;
        ccx_baselines base;
        ASSERT_EQ(ccx_baselines_compute(g.get(), &base, &err), 0);
        EXPECT_EQ(total[0], base.forward);
        EXPECT_EQ(total[1], base.reverse);
        EXPECT_EQ(total[2], base.markowitz);
        std::vector<int64_t> acc;
        std::vector<int32_t> rem;
        r.info(&acc, &rem);
        EXPECT_EQ(acc, expect);
        EXPECT_EQ(rem, std::vector<int32_t>(B, 0));

        // the fused given-order player, and node-id actions, agree
        ASSERT_EQ(r.reset(), 0);
        std::vector<int32_t> flat((size_t)B * r.L().n_pad, 0);
        for (int b = 0; b < B; b++) std::copy(orders[b].begin(), orders[b].end(), flat.begin() + (size_t)b * r.L().n_pad);
        ASSERT_EQ(r.play_orders(flat), 0) << r.msg;
        r.info(&acc, &rem);
        EXPECT_EQ(acc, expect);
        ASSERT_EQ(r.reset(), 0);
        std::vector<std::vector<int32_t>> nodes = orders;
        for (auto &o : nodes)
            for (auto &v : o) v = ccx_node_of_vertex(g.get(), v);
        EXPECT_EQ(play_lockstep(r, nodes, CCX_ENV_NODE_ACTIONS), expect);
    }
}

// The four paper tasks and generated graphs straddling multiples of 32, in one batch.
struct Mixed {
    std::vector<GraphPtr> owned;
    std::vector<const ccx_graph *> graphs;
    Mixed(bool big = false) {
        for (const char *name : kPaperTasks) owned.push_back(load_task(name));
        for (int mid : {0, 1, 26, 27, 60, 200}) owned.push_back(gen_graph(3, mid, 2, (uint64_t)mid + 5));
        if (big) owned.push_back(gen_graph(4, 300, 3, 77));  // n_pad 320: rows of 10 words
        for (auto &g : owned) graphs.push_back(g.get());
    }
};

TEST(Env, MixedBatchesAndAutoResetReproduceTheGame) {
    Mixed m;
    for (auto *g : m.graphs) ASSERT_TRUE(g);
    int G = (int)m.graphs.size(), B = G * 30;
    std::vector<int32_t> goe(B);
    std::mt19937 rng(5);
    for (int b = 0; b < B; b++) goe[b] = (int32_t)(rng() % G);
    EnvRunner r(CCX_BACKEND_CPU, m.graphs, B, goe);
    ASSERT_TRUE(r.env) << r.msg;
    EXPECT_EQ(r.L().n_pad, 224);  // 3 + 202 nodes
    std::vector<std::vector<int32_t>> orders(B);
    std::vector<int64_t> expect(B);
    for (int b = 0; b < B; b++) {
        orders[b] = random_order(m.graphs[goe[b]], rng);
        expect[b] = game_cost(m.graphs[goe[b]], orders[b]);
    }
    EXPECT_EQ(play_lockstep(r, orders), expect);

    // auto-reset: two episodes back to back, done exactly at each episode's end
    ASSERT_EQ(r.reset(), 0);
    std::vector<std::vector<int32_t>> second(B);
    std::vector<int64_t> expect2(B);
    size_t T = 0;
    for (int b = 0; b < B; b++) {
        second[b] = random_order(m.graphs[goe[b]], rng);
        expect2[b] = game_cost(m.graphs[goe[b]], second[b]);
        T = std::max(T, orders[b].size() + second[b].size());
    }
    std::vector<int64_t> ep1(B, 0), ep2(B, 0), cost;
    std::vector<uint8_t> done;
    for (size_t t = 0; t < T + 1; t++) {
        std::vector<int32_t> a(B, CCX_ENV_SKIP);
        for (int b = 0; b < B; b++) {
            size_t n1 = orders[b].size(), n2 = second[b].size();
            if (t < n1) a[b] = orders[b][t];
            else if (t < n1 + n2) a[b] = second[b][t - n1];
        }
        ASSERT_EQ(r.step(a, &cost, &done, CCX_ENV_AUTO_RESET), 0) << r.msg;
        for (int b = 0; b < B; b++) {
            size_t n1 = orders[b].size(), n2 = second[b].size();
            (t < n1 ? ep1 : ep2)[b] += cost[b];
            bool end = (n1 > 0 && t + 1 == n1) || (n2 > 0 && t + 1 == n1 + n2) ||
                       (n1 == 0);  // a graph without intermediates is always done
            EXPECT_EQ(done[b], end ? 1 : 0) << "env " << b << " t " << t;
        }
    }
    EXPECT_EQ(ep1, expect);
    EXPECT_EQ(ep2, expect2);
    std::vector<int64_t> acc;
    std::vector<int32_t> rem;
    r.info(&acc, &rem);
    for (int b = 0; b < B; b++) {  // every env was auto-reset after its second episode
        EXPECT_EQ(acc[b], 0);
        EXPECT_EQ(rem[b], ccx_graph_n_intermediates(m.graphs[goe[b]]));
    }
}

TEST(Env, WideRowsReproduceTheGame) {
    GraphPtr g = gen_graph(4, 300, 3, 77);
    ASSERT_TRUE(g);
    EnvRunner r(CCX_BACKEND_CPU, {g.get()}, 20);
    ASSERT_TRUE(r.env) << r.msg;
    EXPECT_EQ(r.L().words, 10);
    std::mt19937 rng(8);
    std::vector<std::vector<int32_t>> orders;
    std::vector<int64_t> expect;
    for (int b = 0; b < 20; b++) {
        orders.push_back(random_order(g.get(), rng));
        expect.push_back(game_cost(g.get(), orders.back()));
    }
    EXPECT_EQ(play_lockstep(r, orders), expect);
}

// Random prefixes: env b has played prefix[b] of its order.
struct Played {
    std::vector<std::vector<int32_t>> orders;
    std::vector<size_t> cut;
};

Played play_prefixes(EnvRunner &r, const std::vector<const ccx_graph *> &graphs,
                     const std::vector<int32_t> &goe, std::mt19937 &rng) {
    Played p;
    int B = r.B();
    for (int b = 0; b < B; b++) {
        p.orders.push_back(random_order(graphs[goe[b]], rng));
        p.cut.push_back(p.orders[b].empty() ? 0 : rng() % (p.orders[b].size() + 1));
    }
    std::vector<std::vector<int32_t>> pre(B);
    for (int b = 0; b < B; b++) pre[b].assign(p.orders[b].begin(), p.orders[b].begin() + p.cut[b]);
    size_t T = 0;
    for (auto &o : pre) T = std::max(T, o.size());
    for (size_t t = 0; t < T; t++) {
        std::vector<int32_t> a(B);
        for (int b = 0; b < B; b++) a[b] = t < pre[b].size() ? pre[b][t] : CCX_ENV_SKIP;
        EXPECT_EQ(r.step(a), 0) << r.msg;
    }
    return p;
}

// Play the rest of every order; returns the per-step costs.
std::vector<int64_t> play_rest(EnvRunner &r, const Played &p) {
    int B = r.B();
    std::vector<int64_t> all, cost;
    size_t T = 0;
    for (int b = 0; b < B; b++) T = std::max(T, p.orders[b].size() - p.cut[b]);
    for (size_t t = 0; t < T; t++) {
        std::vector<int32_t> a(B);
        for (int b = 0; b < B; b++) {
            size_t k = p.cut[b] + t;
            a[b] = k < p.orders[b].size() ? p.orders[b][k] : CCX_ENV_SKIP;
        }
        EXPECT_EQ(r.step(a, &cost), 0) << r.msg;
        all.insert(all.end(), cost.begin(), cost.end());
    }
    return all;
}

TEST(Env, SnapshotRestoreAndEliminatedSetsGiveIdenticalContinuations) {
    Mixed m;
    int G = (int)m.graphs.size(), B = 4 * G;
    std::vector<int32_t> goe(B);
    for (int b = 0; b < B; b++) goe[b] = b % G;
    EnvRunner r(CCX_BACKEND_CPU, m.graphs, B, goe);
    ASSERT_TRUE(r.env) << r.msg;
    std::mt19937 rng(11);
    Played p = play_prefixes(r, m.graphs, goe, rng);
    std::vector<uint32_t> mid = r.state();
    std::vector<int32_t> all(B);
    for (int b = 0; b < B; b++) all[b] = b;
    std::vector<uint32_t> snap, sets;
    ASSERT_EQ(r.snapshot(all, &snap), 0) << r.msg;
    EXPECT_EQ(snap, mid);  // a snapshot is the slabs, verbatim
    ASSERT_EQ(r.get_eliminated(all, &sets), 0) << r.msg;
    std::vector<int64_t> mid_cost;
    r.info(&mid_cost);
    for (int b = 0; b < B; b++) {  // the set is the prefix
        std::vector<uint32_t> want(r.L().words, 0);
        for (size_t t = 0; t < p.cut[b]; t++) want[(p.orders[b][t] - 1) / 32] |= 1u << ((p.orders[b][t] - 1) % 32);
        EXPECT_TRUE(std::equal(want.begin(), want.end(), sets.begin() + (size_t)b * r.L().words)) << b;
    }
    std::vector<int64_t> c1 = play_rest(r, p);
    std::vector<uint32_t> end1 = r.state();

    // restore in a shuffled id order
    std::vector<int32_t> perm = all;
    std::shuffle(perm.begin(), perm.end(), rng);
    std::vector<uint32_t> rows(snap.size());
    size_t sw = r.L().slab_words;
    for (int i = 0; i < B; i++) std::copy(snap.begin() + perm[i] * sw, snap.begin() + (perm[i] + 1) * sw, rows.begin() + i * sw);
    ASSERT_EQ(r.restore(perm, rows), 0) << r.msg;
    EXPECT_EQ(r.state(), mid);
    EXPECT_EQ(play_rest(r, p), c1);
    EXPECT_EQ(r.state(), end1);

    // eliminated sets (with the prefix costs) rebuild the very same slabs
    EnvRunner r2(CCX_BACKEND_CPU, m.graphs, B, goe);
    ASSERT_EQ(r2.set_eliminated(all, sets, mid_cost), 0) << r2.msg;
    EXPECT_EQ(r2.state(), mid);
    EXPECT_EQ(play_rest(r2, p), c1);
    EXPECT_EQ(r2.state(), end1);
    // without costs: the same graphs, episode cost 0
    ASSERT_EQ(r2.set_eliminated(all, sets), 0) << r2.msg;
    std::vector<int64_t> zero;
    r2.info(&zero);
    EXPECT_EQ(zero, std::vector<int64_t>(B, 0));

    // a snapshot restored into another env clones it (graph included)
    std::vector<uint32_t> one;
    ASSERT_EQ(r.restore(all, snap), 0);
    ASSERT_EQ(r.snapshot({3}, &one), 0);
    ASSERT_EQ(r.restore({5}, one), 0);
    std::vector<int32_t> graph;
    r.info(nullptr, nullptr, &graph);
    EXPECT_EQ(graph[5], goe[3]);
    std::vector<uint32_t> now = r.state();
    EXPECT_TRUE(std::equal(now.begin() + 5 * sw, now.begin() + 6 * sw, snap.begin() + 3 * sw));
}

TEST(Env, IllegalActionsAreRefusedAndNothingChanges) {
    GraphPtr g = parse_task(kTiny, nullptr, "tiny.ccx");
    ASSERT_TRUE(g);
    EnvRunner r(CCX_BACKEND_CPU, {g.get()}, 4);
    ASSERT_TRUE(r.env) << r.msg;
    ASSERT_EQ(r.step({1, CCX_ENV_SKIP, 1, CCX_ENV_SKIP}), 0) << r.msg;  // envs 0, 2: v1 eliminated
    struct Case { int32_t action; unsigned flags; const char *needle; };
    const Case cases[] = {
        {0, 0, "step: env 2 (tiny): action 0 is out of range: vertex numbers of tiny are 1..4"},
        {-3, 0, "action -3 is out of range"},
        {31, 0, "action 31 is out of range"},
        {3, 0, "action 3: vertex 3 is an output; outputs are never eliminated"},
        {1, 0, "action 1: vertex 1 is already eliminated"},
        {5, 0, "action 5 names padding: tiny has 4 vertices (n_pad 32)"},
        {30, 0, "action 30 names padding"},
        {0, CCX_ENV_NODE_ACTIONS, "action 0 is node 0, input 1 of tiny; inputs are never eliminated"},
        {1, CCX_ENV_NODE_ACTIONS, "action 1 is node 1, input 2 of tiny"},
        {2, CCX_ENV_NODE_ACTIONS, "vertex 1 is already eliminated"},
        {4, CCX_ENV_NODE_ACTIONS, "vertex 3 is an output"},
        {10, CCX_ENV_NODE_ACTIONS, "action 10 names padding"},
        {32, CCX_ENV_NODE_ACTIONS, "action 32 is out of range: node ids are 0..31"},
        {-2, CCX_ENV_NODE_ACTIONS, "action -2 is out of range: node ids are 0..31"},
    };
    std::vector<uint32_t> before = r.state();
    for (const Case &c : cases) {
        int32_t good = (c.flags & CCX_ENV_NODE_ACTIONS) ? 3 : 2;  // vertex 2 is legal everywhere
        std::vector<int64_t> cost;
        std::vector<uint8_t> done;
        EXPECT_EQ(r.step({good, good, c.action, good}, &cost, &done, c.flags), -1) << c.needle;
        EXPECT_TRUE(has(r.msg, c.needle)) << r.msg;
        EXPECT_EQ(r.state(), before) << c.needle;
        EXPECT_EQ(cost, std::vector<int64_t>(4, -7));  // outputs untouched
        EXPECT_EQ(done, std::vector<uint8_t>(4, 7));
    }
    // the lowest offending env is named
    EXPECT_EQ(r.step({2, 3, 0, 0}), -1);
    EXPECT_TRUE(has(r.msg, "env 1 (tiny): action 3")) << r.msg;
    // all skips: nothing happens, costs 0
    std::vector<int64_t> cost;
    ASSERT_EQ(r.step({-1, -1, -1, -1}, &cost), 0);
    EXPECT_EQ(cost, std::vector<int64_t>(4, 0));
    EXPECT_EQ(r.state(), before);

    // CCX_ENV_DEFER: refused calls latch; everything checked is refused
    // until the latch is reported
    EXPECT_EQ(r.step({2, 2, 3, 2}, nullptr, nullptr, CCX_ENV_DEFER), 0);
    EXPECT_EQ(r.step({2, 2, 2, 2}, nullptr, nullptr, CCX_ENV_DEFER), 0);
    EXPECT_EQ(r.restore({0}, std::vector<uint32_t>(r.L().slab_words, 0), CCX_ENV_DEFER), 0);
    EXPECT_EQ(r.state(), before);
    EXPECT_EQ(r.sync(), -1);
    EXPECT_TRUE(has(r.msg, "env 2 (tiny): action 3: vertex 3 is an output")) << r.msg;
    EXPECT_EQ(r.sync(), 0);
    EXPECT_EQ(r.step({2, 2, 3, 2}, nullptr, nullptr, CCX_ENV_DEFER), 0);
    EXPECT_EQ(r.step({2, 2, 2, 2}), -1);  // a plain call reports the latched refusal ...
    EXPECT_TRUE(has(r.msg, "action 3: vertex 3 is an output")) << r.msg;
    EXPECT_EQ(r.state(), before);          // ... and applies nothing
    EXPECT_EQ(r.step({2, 2, 2, 2}, &cost), 0) << r.msg;
    EXPECT_EQ(cost, (std::vector<int64_t>{4, 2, 4, 2}));  // v2 after v1: 2*2; v2 first: 1*2

    // ids and buffers
    ASSERT_EQ(r.reset(), 0);
    before = r.state();
    std::vector<uint32_t> buf;
    ASSERT_EQ(r.snapshot({0, 0, 3}, &buf), 0) << r.msg;  // reads may repeat
    EXPECT_EQ(r.snapshot({0, 4}, &buf), -1);
    EXPECT_TRUE(has(r.msg, "snapshot: ids[1] = 4 is not an env (0..3)")) << r.msg;
    ASSERT_EQ(r.snapshot({0, 1}, &buf), 0);
    EXPECT_EQ(r.restore({1, 1}, buf), -1);
    EXPECT_TRUE(has(r.msg, "restore: ids[1] = 1 repeats ids[0]")) << r.msg;
    EXPECT_EQ(r.restore({-1, 1}, buf), -1);
    EXPECT_TRUE(has(r.msg, "restore: ids[0] = -1 is not an env")) << r.msg;
    std::vector<uint32_t> bad = buf;
    ccx_env_hdr(bad.data() + r.L().slab_words, &r.L())->graph = 7;
    EXPECT_EQ(r.restore({0, 1}, bad), -1);
    EXPECT_TRUE(has(r.msg, "restore: ids[1] = 1: buf[1] is not a state of this batch")) << r.msg;
    bad = buf;
    ccx_env_hdr(bad.data(), &r.L())->n_inputs = 5;
    EXPECT_EQ(r.restore({0, 1}, bad), -1);
    EXPECT_TRUE(has(r.msg, "buf[0] is not a state")) << r.msg;
    EXPECT_EQ(r.set_eliminated({2}, {0x4u}), -1);  // bit 2: vertex 3
    EXPECT_TRUE(has(r.msg, "set_state_from_eliminated_set: ids[0] = 2 (tiny): bit 2 names vertex 3, an output")) << r.msg;
    EXPECT_EQ(r.set_eliminated({2}, {0x11u}), -1);  // bit 4: vertex 5
    EXPECT_TRUE(has(r.msg, "bit 4 names vertex 5, but tiny has 4 vertices")) << r.msg;
    EXPECT_EQ(r.set_eliminated({2, 2}, {0x1u, 0x1u}), -1);
    EXPECT_TRUE(has(r.msg, "repeats ids[0]")) << r.msg;
    std::vector<uint32_t> sets;
    EXPECT_EQ(r.get_eliminated({9}, &sets), -1);
    EXPECT_TRUE(has(r.msg, "get_eliminated_set: ids[0] = 9 is not an env")) << r.msg;
    std::vector<float> feat;
    std::vector<int32_t> ids = {1, 7};
    EXPECT_EQ(r.observe(&feat, nullptr, &ids), -1);
    EXPECT_TRUE(has(r.msg, "observe: ids[1] = 7 is not an env")) << r.msg;
    std::vector<uint8_t> mask;
    EXPECT_EQ(r.legal_mask(&mask, &ids), -1);
    EXPECT_TRUE(has(r.msg, "legal_mask: ids[1] = 7")) << r.msg;
    // orders: every entry checked before anything is played
    std::vector<int32_t> orders(4 * 32, 0);
    for (int b = 0; b < 4; b++) { orders[b * 32] = 1; orders[b * 32 + 1] = 2; }
    orders[2 * 32 + 1] = 1;
    EXPECT_EQ(r.play_orders(orders), -1);
    EXPECT_TRUE(has(r.msg, "play_orders: env 2 (tiny): order entry 2 = 1: vertex 1 appears again")) << r.msg;
    orders[2 * 32 + 1] = 4;
    EXPECT_EQ(r.play_orders(orders), -1);
    EXPECT_TRUE(has(r.msg, "order entry 2 = 4: vertex 4 is an output")) << r.msg;
    EXPECT_EQ(r.play_orders(orders, 0, {1, 1, 0, 1}), 0) << r.msg;  // env 2 masked out
    std::vector<int64_t> acc;
    r.info(&acc);
    EXPECT_EQ(acc, (std::vector<int64_t>{8, 8, 0, 8}));
    ASSERT_EQ(r.reset(), 0);
    EXPECT_EQ(r.state(), before);
}

TEST(Env, ObservationsAndMasksMatchTheGame) {
    Mixed m;
    int G = (int)m.graphs.size(), B = 3 * G;
    std::vector<int32_t> goe(B);
    for (int b = 0; b < B; b++) goe[b] = b % G;
    EnvRunner r(CCX_BACKEND_CPU, m.graphs, B, goe);
    ASSERT_TRUE(r.env) << r.msg;
    std::mt19937 rng(3);
    Played p = play_prefixes(r, m.graphs, goe, rng);
    std::vector<float> feat;
    std::vector<uint8_t> adj, mask;
    ASSERT_EQ(r.observe(&feat, &adj), 0) << r.msg;
    ASSERT_EQ(r.legal_mask(&mask), 0) << r.msg;
    const int NP = r.L().n_pad, F = CCX_OBS_FEATURES;
    for (int b = 0; b < B; b++) {
        const ccx_graph *g = m.graphs[goe[b]];
        ccx_game game;
        ccx_error err;
        ASSERT_EQ(ccx_game_init(&game, g, &err), 0);
        for (size_t t = 0; t < p.cut[b]; t++) ccx_game_step(&game, p.orders[b][t]);
        std::vector<uint8_t> gmask(g->n_vertices + 1);
        ccx_game_legal_mask(&game, gmask.data());
        for (int v = 0; v < NP; v++) {
            const float *f = &feat[((size_t)b * NP + v) * F];
            int kind = v < game.n_pad ? game.kind[v] : CCX_KIND_PADDING;
            int in = 0, out = 0;
            if (v < game.n_pad)
                for (int w = 0; w < game.words; w++) {
                    in += __builtin_popcount(game.preds[v * game.words + w]);
                    out += __builtin_popcount(game.succs[v * game.words + w]);
                }
            for (int k = 0; k <= CCX_KIND_ELIMINATED; k++)
                EXPECT_EQ(f[CCX_OBS_F_KIND + k], k == kind ? 1.0f : 0.0f);
            EXPECT_EQ(f[CCX_OBS_F_IN_DEGREE], in / 16.0f);
            EXPECT_EQ(f[CCX_OBS_F_OUT_DEGREE], out / 16.0f);
            EXPECT_EQ(f[CCX_OBS_F_MARKOWITZ], (float)(in * out) / 256.0f);
            bool is_vertex = v >= g->n_inputs && v < ccx_graph_n_nodes(g);
            int vertex = v - g->n_inputs + 1;
            EXPECT_EQ(f[CCX_OBS_F_VERTEX], is_vertex ? (float)vertex / (float)g->n_vertices : 0.0f);
            EXPECT_EQ(f[CCX_OBS_F_OP], is_vertex ? (float)(1 + g->vertices[vertex - 1].op) : 0.0f);
            if (is_vertex && kind == CCX_KIND_INTERMEDIATE)
                EXPECT_EQ(ccx_game_elim_cost(&game, vertex), (int64_t)in * out);
            EXPECT_EQ(mask[(size_t)b * NP + v], is_vertex ? gmask[vertex - 1] : 0);
            EXPECT_EQ(mask[(size_t)b * NP + v], f[CCX_OBS_F_KIND + CCX_KIND_INTERMEDIATE] == 1.0f ? 1 : 0);
            for (int k = 0; k < NP; k++) {
                int e = v < game.n_pad && k < game.n_pad ? (game.succs[v * game.words + k / 32] >> (k % 32)) & 1 : 0;
                int back = v < game.n_pad && k < game.n_pad ? (game.preds[k * game.words + v / 32] >> (v % 32)) & 1 : 0;
                ASSERT_EQ(adj[((size_t)b * NP + v) * NP + k], e) << b << " " << v << " " << k;
                ASSERT_EQ(e, back);  // the preds bitsets say the same
            }
        }
        ccx_game_free(&game);
    }
    // a listed subset, with repeats, gives the same rows
    std::vector<int32_t> ids = {3, 0, 3, B - 1};
    std::vector<float> feat2;
    std::vector<uint8_t> adj2, mask2;
    ASSERT_EQ(r.observe(&feat2, &adj2, &ids), 0) << r.msg;
    ASSERT_EQ(r.legal_mask(&mask2, &ids), 0) << r.msg;
    for (size_t i = 0; i < ids.size(); i++) {
        size_t b = ids[i];
        EXPECT_EQ(0, memcmp(&feat2[i * NP * F], &feat[b * NP * F], NP * F * sizeof(float)));
        EXPECT_EQ(0, memcmp(&adj2[i * NP * NP], &adj[b * NP * NP], (size_t)NP * NP));
        EXPECT_EQ(0, memcmp(&mask2[i * NP], &mask[b * NP], NP));
    }
}

TEST(Env, PlayRandomPlaysLegalOrdersAtTheGameCost) {
    Mixed m;
    int G = (int)m.graphs.size(), B = 5 * G;
    std::vector<int32_t> goe(B);
    for (int b = 0; b < B; b++) goe[b] = b % G;
    EnvRunner r(CCX_BACKEND_CPU, m.graphs, B, goe), r2(CCX_BACKEND_CPU, m.graphs, B, goe);
    std::vector<int32_t> acts, acts2;
    ASSERT_EQ(r.play_random(42, &acts), 0) << r.msg;
    ASSERT_EQ(r2.play_random(42, &acts2), 0) << r2.msg;
    EXPECT_EQ(acts, acts2);  // reproducible
    EXPECT_EQ(r.state(), r2.state());
    std::vector<int64_t> acc;
    std::vector<int32_t> rem;
    r.info(&acc, &rem);
    const int NP = r.L().n_pad;
    for (int b = 0; b < B; b++) {
        const ccx_graph *g = m.graphs[goe[b]];
        int n = ccx_graph_n_intermediates(g);
        std::vector<int32_t> order(acts.begin() + (size_t)b * NP, acts.begin() + (size_t)b * NP + n);
        EXPECT_EQ(acc[b], game_cost(g, order)) << b;
        EXPECT_EQ(rem[b], 0);
        for (int k = n; k < NP; k++) EXPECT_EQ(acts[(size_t)b * NP + k], 0);
    }
    // another seed, another game; a masked call leaves other envs alone; from
    // the middle of an episode it plays the rest
    ASSERT_EQ(r2.reset(), 0);
    ASSERT_EQ(r2.play_random(43, &acts2), 0);
    EXPECT_NE(acts, acts2);
    ASSERT_EQ(r.reset(), 0);
    std::mt19937 rng(9);
    Played p = play_prefixes(r, m.graphs, goe, rng);
    std::vector<int64_t> pre;
    r.info(&pre);
    std::vector<uint32_t> before = r.state();
    std::vector<uint8_t> mask(B, 0);
    for (int b = 0; b < B; b += 2) mask[b] = 1;
    ASSERT_EQ(r.play_random(7, &acts, mask), 0);
    std::vector<uint32_t> after = r.state();
    r.info(&acc, &rem);
    size_t sw = r.L().slab_words;
    for (int b = 0; b < B; b++) {
        if (!mask[b]) {
            EXPECT_TRUE(std::equal(after.begin() + b * sw, after.begin() + (b + 1) * sw, before.begin() + b * sw));
            continue;
        }
        const ccx_graph *g = m.graphs[goe[b]];
        std::vector<int32_t> order(p.orders[b].begin(), p.orders[b].begin() + p.cut[b]);
        size_t n_rest = p.orders[b].size() - p.cut[b];
        order.insert(order.end(), acts.begin() + (size_t)b * NP, acts.begin() + (size_t)b * NP + n_rest);
        EXPECT_EQ(acc[b], game_cost(g, order)) << b;
        EXPECT_EQ(rem[b], 0);
    }
}

}  // namespace
