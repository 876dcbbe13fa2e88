// The sparse-tensor cost model (docs/tensor_model.md): the tables, the ten
// AlphaGrad graphs' published figures and orders, and the record path of the
// game against an independent implementation written straight from the
// spec's pseudo-code (5-vector records, explicit old-record dims, tables read
// from tests/data/alphagrad/tables.json rather than graph/sparsity.h).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tensor_ref.h"
#include "test_util.h"

extern "C" {
#include "lang/tensor_gen.h"
}

namespace {

const char *const kAllTasks[] = {"RoeFlux_1d", "RobotArm_6DOF", "HumanHeartDipole",
                                 "PropaneCombustion", "RoeFlux_3d", "BlackScholes_Jacobian",
                                 "Encoder", "Perceptron", "f", "g"};

// ---------------------------------------------------------------- tables --

TEST(SparsityTables, MatchAlphaGradsTablesJson) {
    const Tables &t = tables();
    for (int i = 0; i < 22; i++)
        for (int j = 0; j < 22; j++) {
            unsigned m = 0;
            for (int k = 0; k < 6; k++) m |= (unsigned)t.cm[k][i][j] << (5 - k);
            EXPECT_EQ(ccx_sp_contraction_table[i][j], m) << i - 10 << "," << j - 10;
            EXPECT_EQ(ccx_sp_mul(i - 10, j - 10), t.mul[i][j]) << i - 10 << "," << j - 10;
            EXPECT_EQ(ccx_sp_add(i - 10, j - 10), t.add[i][j]) << i - 10 << "," << j - 10;
        }
}

// What the lower bounds rely on (search/bounds.c): costly types are closed
// under products and merges with any edge, every costly x costly pair costs
// >= 1, and every such pair's mask selects a successor dim.
TEST(SparsityTables, CostlyTypesAreAbsorbingAndAlwaysPriced) {
    for (int a = CCX_SP_MIN; a <= CCX_SP_MAX; a++)
        for (int b = CCX_SP_MIN; b <= CCX_SP_MAX; b++) {
            if (a == 0 || b == 0) continue;
            EXPECT_NE(ccx_sp_mul(a, b), 0);
            if (ccx_sp_costly(a) || ccx_sp_costly(b)) EXPECT_TRUE(ccx_sp_costly(ccx_sp_mul(a, b))) << a << "," << b;
            if (ccx_sp_costly(a) && ccx_sp_costly(b)) {
                unsigned m = ccx_sp_contraction_table[a + 10][b + 10];
                EXPECT_NE(m & 060u, 0u) << a << "," << b;
            }
        }
    for (int old = CCX_SP_MIN; old <= CCX_SP_MAX; old++)
        for (int b = CCX_SP_MIN; b <= CCX_SP_MAX; b++) {
            if (b == 0) continue;
            EXPECT_NE(ccx_sp_add(old, b), 0);
            if (ccx_sp_costly(old) || ccx_sp_costly(b)) EXPECT_TRUE(ccx_sp_costly(ccx_sp_add(old, b)));
        }
    // the free ones really are free in either position
    const int32_t d[2] = {3, 5};
    for (int f : {-7, -6, -1, 11})
        for (int b = CCX_SP_MIN; b <= CCX_SP_MAX; b++) {
            EXPECT_EQ(ccx_sp_pair_cost(f, b, d, d, d), 0);
            EXPECT_EQ(ccx_sp_pair_cost(b, f, d, d, d), 0);
        }
}

// ------------------------------------------------- the ten AlphaGrad graphs --

class AlphaGradGraph : public ::testing::TestWithParam<const char *> {};

TEST_P(AlphaGradGraph, FiguresAndMarkowitzOrderAreAlphaGrads) {
    const std::string task = GetParam();
    GraphPtr g = load_alphagrad(task);
    ASSERT_TRUE(g) << task;
    JsonDoc d(data_path("alphagrad/" + task + ".json"));
    ASSERT_TRUE(d.root);
    EXPECT_EQ(g->n_inputs, d.get("n_in")->valueint);
    EXPECT_EQ(g->n_vertices, d.get("n_v")->valueint);
    EXPECT_EQ(ccx_graph_n_intermediates(g.get()), d.get("n_eliminable")->valueint);
    EXPECT_EQ(g->n_outputs, d.get("n_out")->valueint);
    const cJSON *ref = d.get("reference");
    ccx_baselines b;
    ccx_error err;
    ASSERT_EQ(ccx_baselines_compute(g.get(), &b, &err), 0) << err.msg;
    EXPECT_EQ(b.forward, cJSON_GetObjectItem(ref, "fwd")->valueint);
    EXPECT_EQ(b.reverse, cJSON_GetObjectItem(ref, "rev")->valueint);
    EXPECT_EQ(b.markowitz, cJSON_GetObjectItem(ref, "mm")->valueint);
    std::vector<int32_t> want = int_list(cJSON_GetObjectItem(ref, "mm_order"));
    std::vector<int32_t> got(ccx_graph_n_intermediates(g.get()));
    EXPECT_EQ(ccx_baseline_order(g.get(), CCX_BASELINE_MARKOWITZ, got.data(), &err), b.markowitz);
    EXPECT_EQ(got, want) << "AlphaGrad's minimal-Markowitz order, element for element";
    // greedy: never above what its first choice alone promises, and a real order
    std::vector<int32_t> greedy(got.size());
    int64_t gc = ccx_baseline_order(g.get(), CCX_BASELINE_GREEDY, greedy.data(), &err);
    int64_t check = -1;
    ASSERT_EQ(ccx_order_cost(g.get(), greedy.data(), (int)greedy.size(), &check, &err), 0);
    EXPECT_EQ(gc, check);
    EXPECT_EQ(b.greedy, gc);
    if (!g->tensor) EXPECT_EQ(b.greedy, b.markowitz);
}

TEST_P(AlphaGradGraph, PublishedOrdersReplayToTheirAlphaGradCosts) {
    const std::string task = GetParam();
    GraphPtr g = load_alphagrad(task);
    ASSERT_TRUE(g);
    JsonDoc d(data_path("alphagrad/" + task + ".json"));
    int n = 0;
    for (const cJSON *o = d.get("published_orders")->child; o; o = o->next, n++) {
        std::vector<int32_t> order = int_list(cJSON_GetObjectItem(o, "order"));
        int64_t cost = -1;
        ccx_error err;
        ASSERT_EQ(ccx_order_cost(g.get(), order.data(), (int)order.size(), &cost, &err), 0) << err.msg;
        EXPECT_EQ(cost, (int64_t)cJSON_GetObjectItem(o, "cost_alphagrad")->valuedouble) << task;
    }
    EXPECT_GE(n, 1);
}

// The records after every step, the step costs and AlphaGrad's degrees agree
// with the literal implementation of the spec, on random orders.
TEST_P(AlphaGradGraph, RecordPathEqualsTheSpecStepByStep) {
    GraphPtr g = load_alphagrad(GetParam());
    ASSERT_TRUE(g);
    ccx_game game;
    ccx_error err;
    ASSERT_EQ(ccx_game_init(&game, g.get(), &err), 0);
    std::mt19937 rng(7);
    std::vector<int32_t> order;
    for (int k = 1; k <= g->n_vertices; k++)
        if (!g->vertices[k - 1].is_output) order.push_back(k);
    for (int trial = 0; trial < 3; trial++) {
        std::shuffle(order.begin(), order.end(), rng);
        ccx_game_reset(&game);
        RefGame ref(g.get());
        for (size_t i = 0; i < order.size(); i++) {
            if (game.tensor && i % 7 == 0) {
                for (int v = 1; v <= g->n_vertices; v++)
                    if (ccx_game_is_legal(&game, v))
                        ASSERT_EQ(ccx_game_alphagrad_degree(&game, v), ref.degree(v)) << "v" << v;
            }
            int64_t want = ref.eliminate(order[i]);
            int64_t before = ccx_game_elim_cost(&game, order[i]);
            ASSERT_EQ(ccx_game_step(&game, order[i]), want) << "step " << i << " v" << order[i];
            ASSERT_EQ(before, want);
            if (!game.tensor) continue;
            for (int r = 0; r < g->n_inputs + g->n_vertices; r++)
                for (int c = 0; c < g->n_vertices; c++) {
                    Rec a = ref.at(r, c), b = game_record(game, r, g->n_inputs + c);
                    ASSERT_EQ(a, b) << "record " << r << " -> v" << c + 1 << " after step " << i;
                    // certainly-costly marks imply a costly type
                    int bit = (game.costly_succs[(size_t)r * game.words + (g->n_inputs + c) / 32] >>
                               ((g->n_inputs + c) & 31)) & 1;
                    if (bit) ASSERT_TRUE(ccx_sp_costly((int)a[0]));
                    if (!a[0]) ASSERT_EQ(bit, 0);
                }
        }
    }
    ccx_game_free(&game);
}

INSTANTIATE_TEST_SUITE_P(Ten, AlphaGradGraph, ::testing::ValuesIn(kAllTasks),
                         [](const auto &info) { return std::string(info.param); });

// ------------------------------------------- configs/tasks and conversions --

struct Figures {
    const char *task;
    int inputs, eliminable, outputs;
    int64_t forward, reverse, markowitz;
};

// The table: `ccx baselines NAME` for the six tensor tasks.
TEST(TensorTasks, ByNameFromConfigsTasks) {
    const Figures want[] = {
        {"RoeFlux_3d", 6, 143, 3, 1556, 979, 956},
        {"BlackScholes_Jacobian", 5, 129, 5, 545, 572, 350},
        {"Encoder", 16, 90, 1, 135010, 4688, 51896},
        {"Perceptron", 8, 38, 1, 10930, 392, 4796},
        {"f", 4, 75, 5, 17728, 9333, 12257},
        {"g", 15, 85, 20, 632, 566, 451},
    };
    for (const Figures &w : want) {
        char path[4096];
        ccx_error err;
        ASSERT_EQ(ccx_task_resolve(w.task, path, sizeof path, &err), 0) << err.msg;
        EXPECT_NE(std::string(path).find(".graph.json"), std::string::npos);
        GraphPtr g = load_graph(path, &err);
        ASSERT_TRUE(g) << err.msg;
        EXPECT_EQ(g->n_inputs, w.inputs);
        EXPECT_EQ(ccx_graph_n_intermediates(g.get()), w.eliminable);
        EXPECT_EQ(g->n_outputs, w.outputs);
        ccx_baselines b;
        ASSERT_EQ(ccx_baselines_compute(g.get(), &b, &err), 0);
        EXPECT_EQ(b.forward, w.forward) << w.task;
        EXPECT_EQ(b.reverse, w.reverse) << w.task;
        EXPECT_EQ(b.markowitz, w.markowitz) << w.task;
        // the committed graph file is the AlphaGrad graph, record for record
        GraphPtr a = load_alphagrad(w.task);
        char ha[65], hb[65];
        ccx_graph_sha256(g.get(), ha);
        ccx_graph_sha256(a.get(), hb);
        EXPECT_STREQ(ha, hb) << w.task;
        EXPECT_EQ(g->tensor, std::string(w.task) != "g");
    }
}

// The scalar four read from their task files and from AlphaGrad's JSON are
// the same graph (hash, figures), and both are evaluable.
TEST(TensorTasks, ScalarTasksFromTaskFilesEqualAlphaGradsJson) {
    for (const char *t : {"RoeFlux_1d", "RobotArm_6DOF", "HumanHeartDipole", "PropaneCombustion"}) {
        GraphPtr a = load_task(t), b = load_alphagrad(t);
        ASSERT_TRUE(a && b) << t;
        EXPECT_FALSE(b->tensor);
        EXPECT_TRUE(a->evaluable);
        EXPECT_TRUE(b->evaluable) << t << ": every AlphaGrad vertex is a scalar ccx op";
        char ha[65], hb[65];
        ccx_graph_sha256(a.get(), ha);
        ccx_graph_sha256(b.get(), hb);
        EXPECT_STREQ(ha, hb) << t;
        ccx_baselines x, y;
        ccx_error err;
        ASSERT_EQ(ccx_baselines_compute(a.get(), &x, &err), 0);
        ASSERT_EQ(ccx_baselines_compute(b.get(), &y, &err), 0);
        EXPECT_EQ(x.forward, y.forward);
        EXPECT_EQ(x.reverse, y.reverse);
        EXPECT_EQ(x.markowitz, y.markowitz);
        // the same values at a point: same ops, operands and constants
        std::vector<double> in(a->n_inputs), va(ccx_graph_n_nodes(a.get())), vb(va.size());
        for (int i = 0; i < a->n_inputs; i++) in[i] = 0.7 + 0.1 * i;
        int bad;
        ccx_graph_eval(a.get(), in.data(), va.data(), &bad);
        ASSERT_EQ(ccx_graph_eval(b.get(), in.data(), vb.data(), &bad), ccx_graph_eval(a.get(), in.data(), va.data(), &bad));
        for (size_t i = 0; i < va.size(); i++)
            if (!std::isnan(va[i])) EXPECT_EQ(va[i], vb[i]) << t << " node " << i;
    }
}

// -------------------------------------------------------------- the game --

TEST(TensorGame, SnapshotsCompareAndHashTheGraph) {
    GraphPtr g = load_alphagrad("f");
    ccx_game game;
    ccx_error err;
    ASSERT_EQ(ccx_game_init(&game, g.get(), &err), 0);
    std::vector<unsigned char> a(ccx_game_state_size(&game)), b(a.size());
    ccx_game_step(&game, 33);
    ccx_game_step(&game, 8);
    ccx_game_save(&game, a.data());
    uint64_t h = ccx_game_graph_hash(&game);
    EXPECT_TRUE(ccx_game_same_graph(&game, a.data()));
    ccx_game_step(&game, 16);
    EXPECT_FALSE(ccx_game_same_graph(&game, a.data()));
    EXPECT_NE(ccx_game_graph_hash(&game), h);
    ccx_game_save(&game, b.data());
    ccx_game_load(&game, a.data());
    EXPECT_EQ(ccx_game_graph_hash(&game), h);
    EXPECT_EQ(game.remaining, ccx_graph_n_intermediates(g.get()) - 2);
    // replaying from the snapshot gives the same step as from scratch
    int64_t c1 = ccx_game_step(&game, 16);
    EXPECT_TRUE(ccx_game_same_graph(&game, b.data()));
    ccx_game_reset(&game);
    ccx_game_step(&game, 33);
    ccx_game_step(&game, 8);
    EXPECT_EQ(ccx_game_step(&game, 16), c1);
    ccx_game_free(&game);
}

// Why the searches key tensor states by their records: the same set of
// eliminations in another order can leave other types (f has such sets).
TEST(TensorGame, RecordsDependOnTheOrderNotOnlyTheSet) {
    GraphPtr g = load_alphagrad("f");
    ccx_game a, b;
    ccx_error err;
    ASSERT_EQ(ccx_game_init(&a, g.get(), &err), 0);
    ASSERT_EQ(ccx_game_init(&b, g.get(), &err), 0);
    std::vector<unsigned char> snap(ccx_game_state_size(&a));
    std::vector<int32_t> order;
    for (int k = 1; k <= g->n_vertices; k++)
        if (!g->vertices[k - 1].is_output) order.push_back(k);
    std::mt19937 rng(1);
    int differ = 0;
    for (int trial = 0; trial < 200 && !differ; trial++) {
        std::shuffle(order.begin(), order.end(), rng);
        size_t n = 2 + rng() % (order.size() - 2);
        std::vector<int32_t> other(order.begin(), order.begin() + n);
        std::shuffle(other.begin(), other.end(), rng);
        ccx_game_reset(&a);
        ccx_game_reset(&b);
        for (size_t i = 0; i < n; i++) {
            ccx_game_step(&a, order[i]);
            ccx_game_step(&b, other[i]);
        }
        // edges and costly marks are the set's; records may differ
        EXPECT_EQ(0, memcmp(a.preds, b.preds, (size_t)a.n_pad * a.words * 4));
        EXPECT_EQ(0, memcmp(a.costly_preds, b.costly_preds, (size_t)a.n_pad * a.words * 4));
        ccx_game_save(&b, snap.data());
        differ = !ccx_game_same_graph(&a, snap.data());
    }
    EXPECT_TRUE(differ);
    ccx_game_free(&a);
    ccx_game_free(&b);
}

// Random tensor programs: generated graphs are valid, deterministic, tensor,
// and use the types the paper tasks use.
TEST(TensorGen, ProgramsAreValidDeterministicAndVaried) {
    int seen[CCX_SP_COUNT] = {0};
    for (uint64_t seed = 0; seed < 40; seed++) {
        ccx_tensor_gen_params p;
        ccx_tensor_gen_defaults(&p);
        p.seed = seed;
        p.n_intermediates = 30;
        ccx_error err;
        GraphPtr a(ccx_tensor_gen(&p, &err)), b(ccx_tensor_gen(&p, &err));
        ASSERT_TRUE(a && b) << err.msg;
        EXPECT_EQ(a->n_vertices, 32);
        EXPECT_EQ(a->n_outputs, 2);
        char ha[65], hb[65];
        ccx_graph_sha256(a.get(), ha);
        ccx_graph_sha256(b.get(), hb);
        EXPECT_STREQ(ha, hb);
        for (int i = 0; i < a->n_edges; i++) seen[a->edges[i].type + CCX_SP_OFFSET]++;
        ccx_baselines bl;
        ASSERT_EQ(ccx_baselines_compute(a.get(), &bl, &err), 0);
    }
    for (int t : {-8, -7, -6, -5, -4, -3, -2, -1, 1, 2, 3, 6, 8, 11})
        EXPECT_GT(seen[t + CCX_SP_OFFSET], 0) << "type " << t;
}

}  // namespace
