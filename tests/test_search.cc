// Searches (host/search/): every method against exhaustive search on small
// generated graphs, the lower bound against the optimum, determinism, and
// the game snapshots the searches rely on.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "test_util.h"

extern "C" {
#include "game/game.h"
#include "lang/gen.h"
#include "search/search.h"
#include "util/cuda_info.h"
}

namespace {

GraphPtr Gen(int inputs, int intermediates, int outputs, uint64_t seed) {
    ccx_gen_params p;
    ccx_gen_defaults(&p);
    p.n_inputs = inputs;
    p.n_intermediates = intermediates;
    p.n_outputs = outputs;
    p.seed = seed;
    ccx_error err;
    char *text = ccx_gen_task(&p, &err);
    EXPECT_NE(text, nullptr) << err.msg;
    if (!text) return nullptr;
    GraphPtr g = parse_task(text, &err, "gen.ccx");
    free(text);
    EXPECT_TRUE(g) << err.msg;
    return g;
}

// Exhaustive search over eliminated sets. Intermediates are indexed 0..m-1
// (vert[i] is the vertex number); for every set S (bit i = vert[i]):
//   reach[S] = least cost of eliminating exactly S first,
//   rest[S]  = least cost of eliminating everything else afterwards,
// so the optimum is reach[full] = rest[0]. Every set's state comes from
// ccx_game_set_eliminated (the state depends only on the set).
struct Brute {
    int m = 0;
    std::vector<int> vert;
    std::vector<int64_t> reach, rest;
    std::vector<std::vector<int64_t>> step;  // step[S][i] = markowitz(vert[i]) in state(S)
    int64_t opt() const { return reach.back(); }
};

Brute Exhaust(const ccx_graph *g) {
    Brute b;
    for (int k = 1; k <= g->n_vertices; k++)
        if (!g->vertices[k - 1].is_output) b.vert.push_back(k);
    b.m = (int)b.vert.size();
    size_t full = (size_t)1 << b.m;
    Game game(g);
    std::vector<uint8_t> mask(g->n_vertices);
    b.step.assign(full, std::vector<int64_t>(b.m, 0));
    for (size_t S = 0; S < full; S++) {
        std::fill(mask.begin(), mask.end(), 0);
        for (int i = 0; i < b.m; i++)
            if (S >> i & 1) mask[b.vert[i] - 1] = 1;
        ccx_game_set_eliminated(&game.g, mask.data());
        for (int i = 0; i < b.m; i++)
            if (!(S >> i & 1)) b.step[S][i] = ccx_game_elim_cost(&game.g, b.vert[i]);
    }
    const int64_t INF = INT64_MAX / 4;
    b.reach.assign(full, INF);
    b.reach[0] = 0;
    for (size_t S = 0; S < full; S++)
        for (int i = 0; i < b.m; i++)
            if (!(S >> i & 1))
                b.reach[S | (size_t)1 << i] =
                    std::min(b.reach[S | (size_t)1 << i], b.reach[S] + b.step[S][i]);
    b.rest.assign(full, INF);
    b.rest[full - 1] = 0;
    for (size_t S = full - 1; S-- > 0;)
        for (int i = 0; i < b.m; i++)
            if (!(S >> i & 1))
                b.rest[S] = std::min(b.rest[S], b.step[S][i] + b.rest[S | (size_t)1 << i]);
    EXPECT_EQ(b.reach[full - 1], b.rest[0]);
    return b;
}

void ExpectValid(const ccx_graph *g, const ccx_search_result &r, const char *what) {
    ccx_error err;
    ASSERT_NE(r.order, nullptr) << what;
    ASSERT_EQ(ccx_order_validate(g, r.order, r.n, &err), 0) << what << ": " << err.msg;
    int64_t cost;
    ASSERT_EQ(ccx_order_cost(g, r.order, r.n, &cost, &err), 0) << what;
    EXPECT_EQ(cost, r.cost) << what;
    EXPECT_LE(r.lower_bound, r.cost) << what;
}

ccx_search_params Budget(int64_t iters, int threads = 1, uint64_t seed = 0) {
    ccx_search_params p;
    ccx_search_params_default(&p);
    p.time_limit = 0;  // deterministic: the budget decides
    p.iters = iters;
    p.threads = threads;
    p.seed = seed;
    return p;
}

struct Case {
    int inputs, intermediates, outputs;
    uint64_t seed;
};

std::vector<Case> SmallCases() {
    std::vector<Case> cases;
    const int sizes[][3] = {{1, 1, 1}, {2, 3, 1}, {2, 5, 2}, {3, 7, 2}, {2, 9, 3},
                            {4, 10, 2}, {3, 12, 3}, {2, 13, 2}, {4, 14, 3}};
    uint64_t seed = 7;
    for (const auto &s : sizes)
        for (int rep = 0; rep < 3; rep++) cases.push_back({s[0], s[1], s[2], seed++});
    return cases;
}

// ---- the game snapshots the searches rely on ----

TEST(Snapshot, SaveLoadAndSetEliminated) {
    GraphPtr g = Gen(3, 12, 2, 5);
    ASSERT_TRUE(g);
    Game a(g.get()), b(g.get());
    std::vector<unsigned char> buf(ccx_game_state_size(&a.g));
    int32_t order[] = {5, 2, 9, 1};
    for (int v : order) ccx_game_step(&a.g, v);
    ccx_game_save(&a.g, buf.data());
    ccx_game_load(&b.g, buf.data());
    EXPECT_EQ(b.g.cost, a.g.cost);
    EXPECT_EQ(b.g.remaining, a.g.remaining);
    for (int k = 1; k <= g->n_vertices; k++) {
        EXPECT_EQ(ccx_game_is_legal(&b.g, k), ccx_game_is_legal(&a.g, k));
        EXPECT_EQ(ccx_game_elim_cost(&b.g, k), ccx_game_elim_cost(&a.g, k));
    }
    // the state of a set does not depend on the order it was eliminated in
    std::vector<uint8_t> mask(g->n_vertices, 0);
    for (int v : order) mask[v - 1] = 1;
    Game c(g.get());
    ASSERT_GE(ccx_game_set_eliminated(&c.g, mask.data()), 0);
    size_t words = (size_t)a.g.n_pad * a.g.words;
    EXPECT_TRUE(std::equal(a.g.preds, a.g.preds + words, c.g.preds));
    EXPECT_TRUE(std::equal(a.g.succs, a.g.succs + words, c.g.succs));
    EXPECT_EQ(c.g.remaining, a.g.remaining);
    // an output in the set is refused
    mask[g->n_vertices - 1] = 1;
    EXPECT_EQ(ccx_game_set_eliminated(&c.g, mask.data()), -1);
}

// ---- the lower bound ----

// Admissible at every state, consistent along every edge, and the
// incremental update equals the full computation.
TEST(Bound, AdmissibleConsistentIncremental) {
    for (const Case &cs : SmallCases()) {
        if (cs.intermediates > 10) continue;
        GraphPtr g = Gen(cs.inputs, cs.intermediates, cs.outputs, cs.seed);
        ASSERT_TRUE(g);
        Brute b = Exhaust(g.get());
        Game game(g.get());
        ccx_bound_ws *ws = ccx_bound_ws_new(&game.g);
        ASSERT_NE(ws, nullptr);
        int nv = g->n_vertices, W = game.g.words;
        std::vector<int32_t> cin(nv), cout(nv), cin2(nv), cout2(nv), cin3(nv), cout3(nv);
        std::vector<uint8_t> mask(nv);
        std::vector<uint32_t> prow(W), srow(W);
        for (size_t S = 0; S < b.reach.size(); S++) {
            std::fill(mask.begin(), mask.end(), 0);
            for (int i = 0; i < b.m; i++)
                if (S >> i & 1) mask[b.vert[i] - 1] = 1;
            ccx_game_set_eliminated(&game.g, mask.data());
            int64_t h = ccx_bound_compute(ws, &game.g, cin.data(), cout.data());
            ASSERT_LE(h, b.rest[S]) << "seed " << cs.seed << " set " << S;
            // the pair bound: at least the per-vertex one, never above the optimum,
            // and the game is left as it was
            int64_t pv = -1;
            int64_t hp = ccx_bound_pairs(ws, &game.g, &pv);
            EXPECT_EQ(pv, h);
            EXPECT_GE(hp, h);
            ASSERT_LE(hp, b.rest[S]) << "pair bound, seed " << cs.seed << " set " << S;
            EXPECT_EQ(ccx_bound_compute(ws, &game.g, nullptr, nullptr), h);
            for (int i = 0; i < b.m; i++) {
                if (S >> i & 1) continue;
                int v = b.vert[i], node = g->n_inputs + v - 1;
                // per-vertex: the cut product never exceeds the current degrees' product
                EXPECT_LE((int64_t)cin[v - 1] * cout[v - 1], b.step[S][i]);
                ccx_game_set_eliminated(&game.g, mask.data());
                std::copy(game.g.preds + (size_t)node * W, game.g.preds + (size_t)node * W + W, prow.begin());
                std::copy(game.g.succs + (size_t)node * W, game.g.succs + (size_t)node * W + W, srow.begin());
                ccx_game_step(&game.g, v);
                cin2 = cin;
                cout2 = cout;
                int64_t h_inc = ccx_bound_update(ws, &game.g, v, prow.data(), srow.data(),
                                                 cin2.data(), cout2.data());
                int64_t h_full = ccx_bound_compute(ws, &game.g, cin3.data(), cout3.data());
                ASSERT_EQ(h_inc, h_full) << "seed " << cs.seed << " set " << S << " v " << v;
                EXPECT_EQ(cin2, cin3);
                EXPECT_EQ(cout2, cout3);
                EXPECT_LE(h, b.step[S][i] + h_full) << "not consistent";
            }
        }
        ccx_bound_ws_free(ws);
    }
}

// The bound of the whole graph never exceeds the optimum: 1000 tiny graphs.
TEST(Bound, NeverAboveOptimumOn1000Graphs) {
    ccx_error err;
    int tight = 0, pair_tight = 0, pair_gain = 0;
    for (int i = 0; i < 1000; i++) {
        int inputs = 1 + i % 3, inter = 1 + (i * 7) % 8, outputs = 1 + (i / 3) % 3;
        GraphPtr g = Gen(inputs, inter, outputs, 1000 + (uint64_t)i);
        ASSERT_TRUE(g);
        Brute b = Exhaust(g.get());
        int64_t lb = ccx_bound_graph(g.get(), nullptr, nullptr, &err);
        ASSERT_GE(lb, 0) << err.msg;
        ASSERT_LE(lb, b.opt()) << "graph " << i;
        int64_t pv = -1, lp = ccx_bound_graph_pairs(g.get(), &pv, &err);
        EXPECT_EQ(pv, lb);
        ASSERT_GE(lp, lb);
        ASSERT_LE(lp, b.opt()) << "pair bound, graph " << i;
        tight += lb == b.opt();
        pair_tight += lp == b.opt();
        pair_gain += lp > lb;
    }
    EXPECT_GT(tight, 0);
    EXPECT_GE(pair_tight, tight);
    EXPECT_GT(pair_gain, 0) << "the pair bound never helped";
}

TEST(Bound, PaperTasks) {
    const struct {
        const char *task;
        int64_t bound, pairs;
    } rows[] = {{"RoeFlux_1d", 223, 249}, {"RobotArm_6DOF", 221, 221},
                {"HumanHeartDipole", 148, 148}, {"PropaneCombustion", 88, 88}};
    for (const auto &r : rows) {
        GraphPtr g = load_task(r.task);
        ASSERT_TRUE(g) << r.task;
        ccx_error err;
        std::vector<int32_t> cin(g->n_vertices), cout(g->n_vertices);
        int64_t lb = ccx_bound_graph(g.get(), cin.data(), cout.data(), &err);
        EXPECT_EQ(lb, r.bound) << r.task;
        int64_t sum = 0;
        for (int k = 0; k < g->n_vertices; k++) sum += (int64_t)cin[k] * cout[k];
        EXPECT_EQ(sum, lb);
        ccx_baselines bl;
        ASSERT_EQ(ccx_baselines_compute(g.get(), &bl, &err), 0);
        EXPECT_LE(lb, std::min({bl.forward, bl.reverse, bl.markowitz}));
        int64_t pv;
        EXPECT_EQ(ccx_bound_graph_pairs(g.get(), &pv, &err), r.pairs) << r.task;
        EXPECT_EQ(pv, lb);
        // AlphaGrad's published best orders (tests/test_tasks.cc) respect the bound
        EXPECT_LE(r.pairs, std::min({bl.forward, bl.reverse, bl.markowitz}));
    }
}

// ---- every method against exhaustive search ----

TEST(Search, EveryMethodAgainstExhaustive) {
    int sa_opt = 0, beam_opt = 0, total = 0;
    for (const Case &cs : SmallCases()) {
        GraphPtr g = Gen(cs.inputs, cs.intermediates, cs.outputs, cs.seed);
        ASSERT_TRUE(g);
        Brute b = Exhaust(g.get());
        const int64_t opt = b.opt();
        ccx_error err;
        ccx_search_result r;
        std::string tag = "n=" + std::to_string(cs.intermediates) + " seed " + std::to_string(cs.seed);
        total++;

        ccx_search_params p = Budget(0);
        ASSERT_EQ(ccx_search_run(g.get(), CCX_SEARCH_EXACT, &p, &r, &err), 0) << err.msg;
        ExpectValid(g.get(), r, ("exact " + tag).c_str());
        EXPECT_EQ(r.cost, opt) << "exact " << tag;
        EXPECT_TRUE(r.complete) << tag;
        EXPECT_TRUE(r.optimal) << tag;
        EXPECT_EQ(r.lower_bound, opt) << tag;
        ccx_search_result_free(&r);

        p = Budget(200);
        ASSERT_EQ(ccx_search_run(g.get(), CCX_SEARCH_RMK, &p, &r, &err), 0) << err.msg;
        ExpectValid(g.get(), r, ("rmk " + tag).c_str());
        EXPECT_GE(r.cost, opt);
        ccx_baselines bl;
        ASSERT_EQ(ccx_baselines_compute(g.get(), &bl, &err), 0);
        EXPECT_LE(r.cost, bl.markowitz) << "rmk includes the plain greedy";
        std::vector<int32_t> rmk_order(r.order, r.order + r.n);
        ccx_search_result_free(&r);

        p = Budget(32);
        ASSERT_EQ(ccx_search_run(g.get(), CCX_SEARCH_BEAM, &p, &r, &err), 0) << err.msg;
        ExpectValid(g.get(), r, ("beam " + tag).c_str());
        EXPECT_GE(r.cost, opt);
        EXPECT_LE(r.cost, bl.markowitz);
        beam_opt += r.cost == opt;
        ccx_search_result_free(&r);

        p = Budget(20000, 2, cs.seed);
        ASSERT_EQ(ccx_search_run(g.get(), CCX_SEARCH_SA, &p, &r, &err), 0) << err.msg;
        ExpectValid(g.get(), r, ("sa " + tag).c_str());
        EXPECT_GE(r.cost, opt);
        sa_opt += r.cost == opt;
        ccx_search_result_free(&r);

        // polish from the reverse order: never worse, never below the optimum
        std::vector<int32_t> rev(b.vert.rbegin(), b.vert.rend());
        int64_t rev_cost;
        ASSERT_EQ(ccx_order_cost(g.get(), rev.data(), (int)rev.size(), &rev_cost, &err), 0);
        p = Budget(5000);
        p.start = rev.data();
        p.n_start = (int)rev.size();
        ASSERT_EQ(ccx_search_run(g.get(), CCX_SEARCH_POLISH, &p, &r, &err), 0) << err.msg;
        ExpectValid(g.get(), r, ("polish " + tag).c_str());
        EXPECT_GE(r.cost, opt);
        EXPECT_LE(r.cost, rev_cost);
        EXPECT_EQ(r.start_cost, rev_cost);
        ccx_search_result_free(&r);

        // a window as long as the order is the exact DP: the optimum
        std::vector<int32_t> w = rmk_order;
        int64_t rmk_cost;
        ASSERT_EQ(ccx_order_cost(g.get(), w.data(), (int)w.size(), &rmk_cost, &err), 0);
        int64_t gain = ccx_search_window_dp(g.get(), w.data(), (int)w.size(), (int)w.size(), 0, nullptr);
        ASSERT_GE(gain, 0);
        int64_t after;
        ASSERT_EQ(ccx_order_cost(g.get(), w.data(), (int)w.size(), &after, &err), 0) << err.msg;
        EXPECT_EQ(after, rmk_cost - gain);
        if (w.size() >= 2) EXPECT_EQ(after, opt) << "full window " << tag;
    }
    // annealing finds the optimum of these small graphs; beam nearly always
    EXPECT_EQ(sa_opt, total);
    EXPECT_GE(beam_opt * 10, total * 8);
}

TEST(Search, ExactStoppedEarlyReportsAProvenBound) {
    for (uint64_t seed = 90; seed < 96; seed++) {
        GraphPtr g = Gen(3 + (int)(seed % 2), 12 + (int)(seed % 3), 3, seed);
        ASSERT_TRUE(g);
        Brute b = Exhaust(g.get());
        for (int64_t budget : {1, 3, 10, 40, 200}) {  // expanded states, then stop
            ccx_search_params p = Budget(budget);
            ccx_search_result r;
            ccx_error err;
            ASSERT_EQ(ccx_search_run(g.get(), CCX_SEARCH_EXACT, &p, &r, &err), 0) << err.msg;
            ExpectValid(g.get(), r, "exact (stopped early)");
            EXPECT_LE(r.lower_bound, b.opt()) << "seed " << seed << " budget " << budget;
            EXPECT_GE(r.cost, b.opt());
            if (r.complete) EXPECT_EQ(r.cost, b.opt());
            ccx_search_result_free(&r);
        }
    }
}

TEST(Search, DeterministicForAFixedSeedAndBudget) {
    GraphPtr g = load_task("PropaneCombustion");
    ASSERT_TRUE(g);
    const ccx_search_method methods[] = {CCX_SEARCH_RMK, CCX_SEARCH_SA, CCX_SEARCH_BEAM};
    const int64_t iters[] = {300, 30000, 16};
    for (int m = 0; m < 3; m++) {
        std::vector<int32_t> first;
        int64_t first_cost = -1;
        for (int rep = 0; rep < 2; rep++) {
            ccx_search_params p = Budget(iters[m], 2, 11);
            ccx_search_result r;
            ccx_error err;
            ASSERT_EQ(ccx_search_run(g.get(), methods[m], &p, &r, &err), 0) << err.msg;
            ExpectValid(g.get(), r, ccx_search_method_name(methods[m]));
            std::vector<int32_t> o(r.order, r.order + r.n);
            if (rep == 0) { first = o; first_cost = r.cost; }
            else {
                EXPECT_EQ(o, first) << ccx_search_method_name(methods[m]);
                EXPECT_EQ(r.cost, first_cost);
            }
            EXPECT_GE(r.cost, 88);  // the proven optimum of PropaneCombustion
            ccx_search_result_free(&r);
        }
    }
}

TEST(Search, BadParameters) {
    GraphPtr g = Gen(2, 5, 1, 3);
    ccx_search_params p = Budget(0);
    ccx_search_result r;
    ccx_error err;
    // annealing needs a time limit or a budget
    EXPECT_NE(ccx_search_run(g.get(), CCX_SEARCH_SA, &p, &r, &err), 0);
    p = Budget(10);
    p.threads = 0;
    EXPECT_NE(ccx_search_run(g.get(), CCX_SEARCH_RMK, &p, &r, &err), 0);
    p = Budget(10);
    EXPECT_NE(ccx_search_run(g.get(), CCX_SEARCH_POLISH, &p, &r, &err), 0) << "polish needs an order";
    int32_t bad[] = {1, 1, 2, 3, 4};
    p.start = bad;
    p.n_start = 5;
    EXPECT_NE(ccx_search_run(g.get(), CCX_SEARCH_POLISH, &p, &r, &err), 0);
    ccx_search_method m;
    EXPECT_EQ(ccx_search_method_parse("sa", &m), 0);
    EXPECT_EQ(m, CCX_SEARCH_SA);
    EXPECT_NE(ccx_search_method_parse("bogus", &m), 0);
}

TEST(Search, GraphWithoutIntermediates) {
    GraphPtr g = parse_task("input a, b\ny = a * b\noutput y\n");
    ASSERT_TRUE(g);
    for (ccx_search_method m : {CCX_SEARCH_RMK, CCX_SEARCH_BEAM, CCX_SEARCH_SA, CCX_SEARCH_EXACT}) {
        ccx_search_params p = Budget(100);
        ccx_search_result r;
        ccx_error err;
        ASSERT_EQ(ccx_search_run(g.get(), m, &p, &r, &err), 0) << err.msg;
        EXPECT_EQ(r.n, 0);
        EXPECT_EQ(r.cost, 0);
        EXPECT_TRUE(r.optimal);
        ccx_search_result_free(&r);
    }
}

// ---- batched annealing through the batched environments ----

TEST(SearchBatch, CpuEnvsAgainstExhaustive) {
    int hit = 0, total = 0;
    for (const Case &cs : SmallCases()) {
        if (cs.intermediates < 2 || cs.intermediates > 12) continue;
        GraphPtr g = Gen(cs.inputs, cs.intermediates, cs.outputs, cs.seed);
        ASSERT_TRUE(g);
        Brute b = Exhaust(g.get());
        ccx_search_params p = Budget(150, 1, cs.seed);
        p.chains = 16;
        ccx_search_result r;
        ccx_error err;
        ASSERT_EQ(ccx_search_sa_batch(g.get(), &p, CCX_BACKEND_CPU, &r, &err), 0) << err.msg;
        ExpectValid(g.get(), r, "sa_batch");
        EXPECT_GE(r.cost, b.opt());
        EXPECT_LE(r.cost, r.start_cost);
        hit += r.cost == b.opt();
        total++;
        ccx_search_result_free(&r);
    }
    EXPECT_GE(hit * 10, total * 8);
}

TEST(SearchBatch, DeterministicAndSameOnCuda) {
    GraphPtr g = load_task("PropaneCombustion");
    ASSERT_TRUE(g);
    ccx_search_params p = Budget(40, 1, 5);
    p.chains = 32;
    std::vector<std::vector<int32_t>> orders;
    char info[256];
    bool gpu = ccx_cuda_device_info(info, sizeof info) > 0;
    const ccx_backend backends[] = {CCX_BACKEND_CPU, CCX_BACKEND_CPU, CCX_BACKEND_CUDA};
    for (ccx_backend backend : backends) {
        if (backend == CCX_BACKEND_CUDA && !gpu) continue;
        ccx_search_result r;
        ccx_error err;
        ASSERT_EQ(ccx_search_sa_batch(g.get(), &p, backend, &r, &err), 0) << err.msg;
        ExpectValid(g.get(), r, "sa_batch");
        EXPECT_GE(r.cost, 88);
        orders.emplace_back(r.order, r.order + r.n);
        ccx_search_result_free(&r);
    }
    for (size_t i = 1; i < orders.size(); i++) EXPECT_EQ(orders[i], orders[0]) << "run " << i;
    if (!gpu) GTEST_SKIP() << "cpu envs checked; no CUDA device for the parity check: " << info;
}

TEST(SearchBatch, CudaWithoutDeviceFailsCleanly) {
    char info[256];
    if (ccx_cuda_device_info(info, sizeof info) > 0) GTEST_SKIP() << "a device answers";
    GraphPtr g = load_task("PropaneCombustion");
    ccx_search_params p = Budget(5);
    ccx_search_result r;
    ccx_error err;
    ccx_error_clear(&err);
    EXPECT_NE(ccx_search_sa_batch(g.get(), &p, CCX_BACKEND_CUDA, &r, &err), 0);
    EXPECT_NE(std::string(err.msg), "");
}

}  // namespace
