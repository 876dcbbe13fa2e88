// Searches and lower bounds on tensor graphs, against exhaustive search over
// every order of small random tensor programs (lang/tensor_gen.h): the
// bounds never exceed the optimum (at the start and from states part way),
// exact search finds it, and the other methods return valid orders whose
// reported costs are what the game says. The record path of the game also
// matches the spec's literal implementation on these programs.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "tensor_ref.h"
#include "test_util.h"

extern "C" {
#include "lang/tensor_gen.h"
#include "search/search.h"
}

namespace {

GraphPtr small_program(uint64_t seed, int intermediates) {
    ccx_tensor_gen_params p;
    ccx_tensor_gen_defaults(&p);
    p.seed = seed;
    p.n_inputs = 2 + (int)(seed % 2);
    p.n_intermediates = intermediates;
    p.n_outputs = 1 + (int)(seed % 2);
    p.max_dim = 4;
    ccx_error err;
    return GraphPtr(ccx_tensor_gen(&p, &err));
}

std::vector<int32_t> intermediates_of(const ccx_graph *g) {
    std::vector<int32_t> v;
    for (int k = 1; k <= g->n_vertices; k++)
        if (!g->vertices[k - 1].is_output) v.push_back(k);
    return v;
}

// The least cost over every order of the vertices still legal in `from`
// (a saved state of game), by enumeration.
int64_t exhaustive_rest(ccx_game *game, const std::vector<unsigned char> &from) {
    ccx_game_load(game, from.data());
    std::vector<int32_t> rest;
    for (int k = 1; k <= game->n_vertices; k++)
        if (ccx_game_is_legal(game, k)) rest.push_back(k);
    std::sort(rest.begin(), rest.end());
    int64_t best = -1;
    do {
        ccx_game_load(game, from.data());
        int64_t c0 = game->cost;
        for (int32_t v : rest) ccx_game_step(game, v);
        if (best < 0 || game->cost - c0 < best) best = game->cost - c0;
    } while (std::next_permutation(rest.begin(), rest.end()));
    ccx_game_load(game, from.data());
    return best;
}

TEST(TensorRecords, RandomProgramsMatchTheSpec) {
    std::mt19937 rng(3);
    for (uint64_t seed = 100; seed < 130; seed++) {
        GraphPtr g = small_program(seed, 25);
        ASSERT_TRUE(g);
        ccx_game game;
        ccx_error err;
        ASSERT_EQ(ccx_game_init(&game, g.get(), &err), 0);
        std::vector<int32_t> order = intermediates_of(g.get());
        std::shuffle(order.begin(), order.end(), rng);
        RefGame ref(g.get());
        for (int32_t v : order) {
            for (int u = 1; u <= g->n_vertices; u++)
                if (ccx_game_is_legal(&game, u)) ASSERT_EQ(ccx_game_alphagrad_degree(&game, u), ref.degree(u));
            ASSERT_EQ(ccx_game_step(&game, v), ref.eliminate(v)) << "seed " << seed;
            if (!game.tensor) continue;
            for (int r = 0; r < g->n_inputs + g->n_vertices; r++)
                for (int c = 0; c < g->n_vertices; c++)
                    ASSERT_EQ(ref.at(r, c), game_record(game, r, g->n_inputs + c)) << "seed " << seed;
        }
        ccx_game_free(&game);
    }
}

// The lower bounds are valid under the tensor model: at the start
// (per-vertex and pair bound) and from random states part way (per-vertex
// and pair bound of that state vs the best completion from it), and the
// per-vertex bound is consistent: h(s) <= cost(s, v) + h(s + v).
TEST(TensorBounds, NeverAboveTheExhaustiveOptimum) {
    std::mt19937 rng(11);
    int tight = 0, graphs = 0;
    for (uint64_t seed = 0; seed < 24; seed++) {
        GraphPtr g = small_program(seed, 5 + (int)(seed % 3));
        ASSERT_TRUE(g);
        ccx_game game;
        ccx_error err;
        ASSERT_EQ(ccx_game_init(&game, g.get(), &err), 0);
        std::vector<unsigned char> start(ccx_game_state_size(&game)), mid(start.size());
        ccx_game_save(&game, start.data());
        int64_t opt = exhaustive_rest(&game, start);
        int64_t per_vertex = -1;
        int64_t pairs = ccx_bound_graph_pairs(g.get(), &per_vertex, &err);
        EXPECT_LE(per_vertex, pairs);
        EXPECT_LE(pairs, opt) << "seed " << seed;
        tight += pairs == opt;
        graphs++;
        ccx_bound_ws *ws = ccx_bound_ws_new(&game);
        ASSERT_TRUE(ws);
        std::vector<int32_t> order = intermediates_of(g.get()), cin(g->n_vertices), cout(g->n_vertices);
        for (int trial = 0; trial < 4; trial++) {
            std::shuffle(order.begin(), order.end(), rng);
            ccx_game_load(&game, start.data());
            size_t k = rng() % order.size();
            for (size_t i = 0; i < k; i++) ccx_game_step(&game, order[i]);
            ccx_game_save(&game, mid.data());
            int64_t rest = exhaustive_rest(&game, mid);
            int64_t h = ccx_bound_compute(ws, &game, cin.data(), cout.data());
            EXPECT_LE(h, rest) << "seed " << seed << " after " << k;
            ccx_game_load(&game, mid.data());
            EXPECT_LE(ccx_bound_pairs(ws, &game, nullptr), rest) << "seed " << seed;
            // consistency, and the incremental update equals a fresh bound
            ccx_game_load(&game, mid.data());
            for (int v = 1; v <= g->n_vertices; v++) {
                if (!ccx_game_is_legal(&game, v)) continue;
                ccx_game_load(&game, mid.data());
                h = ccx_bound_compute(ws, &game, cin.data(), cout.data());
                int node = g->n_inputs + v - 1;
                std::vector<uint32_t> prow(game.preds + (size_t)node * game.words,
                                           game.preds + (size_t)(node + 1) * game.words);
                std::vector<uint32_t> srow(game.succs + (size_t)node * game.words,
                                           game.succs + (size_t)(node + 1) * game.words);
                int64_t c = ccx_game_step(&game, v);
                std::vector<int32_t> ci = cin, co = cout;
                int64_t h2 = ccx_bound_update(ws, &game, v, prow.data(), srow.data(), ci.data(), co.data());
                EXPECT_LE(h, c + h2) << "seed " << seed << " v" << v;
                std::vector<int32_t> fi(g->n_vertices), fo(g->n_vertices);
                EXPECT_EQ(h2, ccx_bound_compute(ws, &game, fi.data(), fo.data()));
                EXPECT_EQ(ci, fi);
                EXPECT_EQ(co, fo);
            }
        }
        ccx_bound_ws_free(ws);
        ccx_game_free(&game);
    }
    EXPECT_GT(tight, 0) << "the bound is never tight on " << graphs << " graphs";
}

TEST(TensorSearch, ExactFindsTheOptimumAndTheOthersValidOrders) {
    for (uint64_t seed = 0; seed < 16; seed++) {
        GraphPtr g = small_program(seed + 1000, 6 + (int)(seed % 2));
        ASSERT_TRUE(g);
        ccx_game game;
        ccx_error err;
        ASSERT_EQ(ccx_game_init(&game, g.get(), &err), 0);
        std::vector<unsigned char> start(ccx_game_state_size(&game));
        ccx_game_save(&game, start.data());
        int64_t opt = exhaustive_rest(&game, start);
        ccx_game_free(&game);
        ccx_search_params p;
        ccx_search_params_default(&p);
        p.time_limit = 0;
        p.seed = seed;
        for (ccx_search_method m : {CCX_SEARCH_EXACT, CCX_SEARCH_RMK, CCX_SEARCH_BEAM, CCX_SEARCH_SA}) {
            ccx_search_result r;
            p.iters = m == CCX_SEARCH_SA ? 20000 : m == CCX_SEARCH_BEAM ? 16 : 0;
            ASSERT_EQ(ccx_search_run(g.get(), m, &p, &r, &err), 0) << err.msg;
            int64_t check = -1;
            ASSERT_EQ(ccx_order_cost(g.get(), r.order, r.n, &check, &err), 0);
            EXPECT_EQ(r.cost, check);
            EXPECT_GE(r.cost, opt);
            EXPECT_LE(r.lower_bound, opt);
            if (m == CCX_SEARCH_EXACT) {
                EXPECT_EQ(r.cost, opt) << "seed " << seed;
                EXPECT_TRUE(r.complete);
            }
            if (m == CCX_SEARCH_SA) EXPECT_EQ(r.cost, opt) << "annealing on 7 vertices, seed " << seed;
            ccx_search_result_free(&r);
        }
    }
}

// On a paper task: polish never returns worse than its input, annealing's
// incremental costs stay exact (its debug-build check replays them), and
// every method's order costs what the game says.
TEST(TensorSearch, PaperTaskMethodsReturnExactCosts) {
    GraphPtr g = load_alphagrad("f");
    ASSERT_TRUE(g);
    ccx_baselines bl;
    ccx_error err;
    ASSERT_EQ(ccx_baselines_compute(g.get(), &bl, &err), 0);
    ccx_search_params p;
    ccx_search_params_default(&p);
    p.time_limit = 0;
    p.threads = 2;
    ccx_search_result sa, po, rmk;
    p.iters = 200000;
    ASSERT_EQ(ccx_search_run(g.get(), CCX_SEARCH_SA, &p, &sa, &err), 0) << err.msg;
    EXPECT_LT(sa.cost, bl.reverse);
    p.iters = 64;
    ASSERT_EQ(ccx_search_run(g.get(), CCX_SEARCH_RMK, &p, &rmk, &err), 0);
    EXPECT_LE(rmk.cost, bl.greedy) << "sample 0 is the greedy baseline";
    std::vector<int32_t> rev(ccx_graph_n_intermediates(g.get()));
    ccx_baseline_order(g.get(), CCX_BASELINE_REVERSE, rev.data(), &err);
    p.start = rev.data();
    p.n_start = (int)rev.size();
    p.iters = 20000;
    ASSERT_EQ(ccx_search_run(g.get(), CCX_SEARCH_POLISH, &p, &po, &err), 0) << err.msg;
    EXPECT_LE(po.cost, bl.reverse);
    EXPECT_EQ(po.start_cost, bl.reverse);
    for (ccx_search_result *r : {&sa, &po, &rmk}) {
        int64_t check = -1;
        ASSERT_EQ(ccx_order_cost(g.get(), r->order, r->n, &check, &err), 0);
        EXPECT_EQ(r->cost, check);
        ccx_search_result_free(r);
    }
}

}  // namespace
