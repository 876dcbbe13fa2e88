// The elimination game: hand-computed costs, masks, validation, and the
// bitset game against an independent set-based reference on random orders.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "test_util.h"

extern "C" {
#include "game/game.h"
#include "lang/gen.h"
}

namespace {

// inputs x1,x2; v1 = x1*x2; v2 = sin(v1); v3 = v1 + v2 (out); v4 = cos(v2) (out)
const char *kTiny = "input a, b\nv1 = a * b\nv2 = sin(v1)\nv3 = v1 + v2\nv4 = cos(v2)\noutput v3, v4\n";

TEST(Game, HandComputedCosts) {
    GraphPtr g = parse_task(kTiny);
    ASSERT_TRUE(g);
    int64_t cost;
    ccx_error err;
    int32_t fwd[] = {1, 2}, rev[] = {2, 1};
    // forward: v1 has P={a,b}, S={v2,v3}: 4; then v2 has P={a,b}, S={v3,v4}: 4
    ASSERT_EQ(ccx_order_cost(g.get(), fwd, 2, &cost, &err), 0) << err.msg;
    EXPECT_EQ(cost, 8);
    // reverse: v2 has P={v1}, S={v3,v4}: 2; then v1 has P={a,b}, S={v3,v4}: 4
    ASSERT_EQ(ccx_order_cost(g.get(), rev, 2, &cost, &err), 0);
    EXPECT_EQ(cost, 6);
    ccx_baselines b;
    ASSERT_EQ(ccx_baselines_compute(g.get(), &b, &err), 0);
    EXPECT_EQ(b.forward, 8);
    EXPECT_EQ(b.reverse, 6);
    EXPECT_EQ(b.markowitz, 6);  // v2 (1*2) before v1 (2*2)
}

TEST(Game, StepMaskDegreesAndFillIn) {
    GraphPtr g = parse_task(kTiny);
    ccx_game game;
    ccx_error err;
    ASSERT_EQ(ccx_game_init(&game, g.get(), &err), 0);
    EXPECT_EQ(game.n_pad, 32);
    std::vector<uint8_t> mask(4);
    ccx_game_legal_mask(&game, mask.data());
    EXPECT_EQ(mask, (std::vector<uint8_t>{1, 1, 0, 0}));
    EXPECT_EQ(ccx_game_elim_cost(&game, 1), 4);
    EXPECT_EQ(ccx_game_elim_cost(&game, 2), 2);
    EXPECT_EQ(ccx_game_step(&game, 3), -1);  // output
    EXPECT_EQ(ccx_game_step(&game, 0), -1);
    EXPECT_EQ(ccx_game_step(&game, 5), -1);
    EXPECT_EQ(ccx_game_step(&game, 1), 4);
    EXPECT_EQ(ccx_game_step(&game, 1), -1);  // already eliminated
    EXPECT_EQ(ccx_game_in_degree(&game, 2), 2);   // fill-in a->v2, b->v2
    EXPECT_EQ(ccx_game_in_degree(&game, 3), 3);   // a, b, v2
    EXPECT_FALSE(ccx_game_done(&game));
    EXPECT_EQ(ccx_game_step(&game, 2), 4);
    EXPECT_TRUE(ccx_game_done(&game));
    EXPECT_EQ(game.cost, 8);
    EXPECT_EQ(ccx_game_in_degree(&game, 4), 2);   // bipartite: a, b -> v4
    ccx_game_reset(&game);
    EXPECT_EQ(game.cost, 0);
    EXPECT_EQ(ccx_game_elim_cost(&game, 1), 4);
    ccx_game_free(&game);
}

TEST(Game, MarkowitzBreaksTiesBySmallestNumber) {
    // v1 = sin(x), v2 = cos(x): both 1*1; v3 = v1*v2 is the output
    GraphPtr g = parse_task("input x\nv1 = sin(x)\nv2 = cos(x)\nv3 = v2 * v1\noutput v3\n");
    ASSERT_TRUE(g);
    std::vector<int32_t> order(2);
    ccx_error err;
    EXPECT_EQ(ccx_baseline_order(g.get(), CCX_BASELINE_MARKOWITZ, order.data(), &err), 2);
    EXPECT_EQ(order, (std::vector<int32_t>{1, 2}));
}

TEST(Game, ValidationNamesTheFirstOffendingEntry) {
    GraphPtr g = parse_task(kTiny, nullptr, "tiny.ccx");
    int64_t cost;
    ccx_error err;
    struct Case { std::vector<int32_t> order; const char *needle; };
    const Case cases[] = {
        {{1, 3}, "order entry 2: vertex 3 is an output"},
        {{1, 1}, "order entry 2: vertex 1 appears again (first at entry 1)"},
        {{0, 1}, "order entry 1: 0 is not a vertex of tiny"},
        {{1, 9}, "order entry 2: 9 is not a vertex"},
        {{-2}, "order entry 1: -2 is not a vertex"},
        {{2}, "order has 1 entries but tiny has 2 intermediate vertices; missing: 1"},
        {{}, "missing: 1, 2"},
        {{1, 2, 2}, "order entry 3: vertex 2 appears again"},
    };
    for (const auto &c : cases) {
        EXPECT_NE(ccx_order_cost(g.get(), c.order.data(), (int)c.order.size(), &cost, &err), 0);
        EXPECT_NE(std::string(err.msg).find(c.needle), std::string::npos) << err.msg;
    }
}

// Independent reference: adjacency as std::set, the rule of docs/design.md.
int64_t reference_cost(const ccx_graph *g, const std::vector<int32_t> &order) {
    int n = ccx_graph_n_nodes(g);
    std::vector<std::set<int>> P(n), S(n);
    for (int i = 0; i < g->n_edges; i++) {
        S[g->edges[i].src].insert(g->edges[i].dst);
        P[g->edges[i].dst].insert(g->edges[i].src);
    }
    int64_t cost = 0;
    for (int32_t v : order) {
        int j = ccx_node_of_vertex(g, v);
        cost += (int64_t)P[j].size() * (int64_t)S[j].size();
        for (int p : P[j]) {
            S[p].erase(j);
            for (int s : S[j]) { S[p].insert(s); P[s].insert(p); }
        }
        for (int s : S[j]) P[s].erase(j);
        P[j].clear();
        S[j].clear();
    }
    return cost;
}

std::vector<int32_t> intermediates(const ccx_graph *g) {
    std::vector<int32_t> v;
    for (int k = 1; k <= g->n_vertices; k++)
        if (!g->vertices[k - 1].is_output) v.push_back(k);
    return v;
}

void check_random_orders(const ccx_graph *g, int n_orders, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<int32_t> order = intermediates(g);
    for (int i = 0; i < n_orders; i++) {
        std::shuffle(order.begin(), order.end(), rng);
        int64_t cost;
        ccx_error err;
        ASSERT_EQ(ccx_order_cost(g, order.data(), (int)order.size(), &cost, &err), 0) << err.msg;
        ASSERT_EQ(cost, reference_cost(g, order)) << g->task_name << " order " << i;
    }
}

TEST(Game, MatchesSetReferenceOnRandomOrdersOfPaperTasks) {
    for (const char *t : {"RoeFlux_1d", "RobotArm_6DOF", "HumanHeartDipole", "PropaneCombustion"}) {
        GraphPtr g = load_task(t);
        ASSERT_TRUE(g) << t;
        check_random_orders(g.get(), 200, 7);
    }
}

TEST(Game, MatchesSetReferenceOnGeneratedGraphsAcrossPaddingSizes) {
    // node counts straddling multiples of 32 exercise the padded bitset rows
    for (int mid : {0, 1, 26, 27, 28, 60, 61, 200}) {
        ccx_gen_params p;
        ccx_gen_defaults(&p);
        p.n_inputs = 3;
        p.n_intermediates = mid;
        p.n_outputs = 2;
        p.seed = (uint64_t)mid;
        ccx_error err;
        char *text = ccx_gen_task(&p, &err);
        ASSERT_TRUE(text) << err.msg;
        GraphPtr g = parse_task(text, &err);
        free(text);
        ASSERT_TRUE(g) << err.msg;
        ccx_game game;
        ASSERT_EQ(ccx_game_init(&game, g.get(), &err), 0);
        EXPECT_EQ(game.n_pad % 32, 0);
        EXPECT_GE(game.n_pad, ccx_graph_n_nodes(g.get()));
        ccx_game_free(&game);
        check_random_orders(g.get(), 50, 11);
        // baselines agree with the reference too
        for (int b = 0; b < 3; b++) {
            std::vector<int32_t> order(mid > 0 ? mid : 1);
            int64_t c = ccx_baseline_order(g.get(), (ccx_baseline)b, order.data(), &err);
            order.resize(mid);
            EXPECT_EQ(c, reference_cost(g.get(), order));
        }
    }
}

TEST(Game, RefusesGraphsBeyondTheDenseLimit) {
    ccx_gen_params p;
    ccx_gen_defaults(&p);
    p.n_inputs = 2;
    p.n_intermediates = CCX_GAME_MAX_NODES;
    p.n_outputs = 1;
    ccx_error err;
    char *text = ccx_gen_task(&p, &err);
    ASSERT_TRUE(text);
    GraphPtr g = parse_task(text, &err);
    free(text);
    ASSERT_TRUE(g);
    ccx_game game;
    EXPECT_NE(ccx_game_init(&game, g.get(), &err), 0);
    EXPECT_NE(std::string(err.msg).find("at most"), std::string::npos);
}

}  // namespace
