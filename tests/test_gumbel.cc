// Gumbel MuZero search on the cpu backend (host/az/gumbel.h) and the replay
// buffer (host/az/replay.h): sequential-halving schedule, the exact float
// helpers, tree invariants after a search (visits, value sums, legality of
// every expansion replayed on a fresh env, rewards), targets, determinism,
// argument checks, finding the optimum of small generated graphs with a
// uniform prior, the network evaluator, and replay save/load/corruption.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>
#include <unistd.h>
#include <random>

#include "gumbel_test_util.h"

extern "C" {
#include "az/gumbel_tree.h"
#include "az/replay.h"
#include "nn/nn.h"
#include "util/rng.h"
#include "util/sha256.h"
}

namespace {

ccx_gumbel_params Params(int sims, int considered = 16, float gumbel = 1.0f) {
    ccx_gumbel_params p;
    ccx_gumbel_params_default(&p);
    p.num_simulations = sims;
    p.num_considered = considered;
    p.gumbel_scale = gumbel;
    return p;
}

std::vector<GraphPtr> Graphs(int n, int lo, int hi, uint64_t seed) {
    std::vector<GraphPtr> v;
    for (int i = 0; i < n; i++) {
        int mid = lo + (int)((seed + 7 * i) % (uint64_t)(hi - lo + 1));
        v.push_back(gen_graph(2 + i % 3, mid, 1 + (i % 2), seed * 100 + i));
    }
    return v;
}

std::vector<const ccx_graph *> Raw(const std::vector<GraphPtr> &v) {
    std::vector<const ccx_graph *> r;
    for (auto &g : v) r.push_back(g.get());
    return r;
}

std::vector<int32_t> Iota(int n) {
    std::vector<int32_t> v(n);
    for (int i = 0; i < n; i++) v[i] = i;
    return v;
}

// ---- the schedule and the helpers ----

TEST(GumbelSchedule, ConsideredVisitsAsMctx) {
    std::vector<int32_t> s(8);
    ccx_gumbel_considered_visits(4, 8, s.data());
    EXPECT_EQ(s, (std::vector<int32_t>{0, 0, 0, 0, 1, 1, 2, 2}));
    s.assign(6, 0);
    ccx_gumbel_considered_visits(2, 6, s.data());
    EXPECT_EQ(s, (std::vector<int32_t>{0, 0, 1, 1, 2, 2}));
    s.assign(5, 0);
    ccx_gumbel_considered_visits(1, 5, s.data());
    EXPECT_EQ(s, (std::vector<int32_t>{0, 1, 2, 3, 4}));
    ccx_gumbel_considered_visits(0, 5, s.data());
    EXPECT_EQ(s, (std::vector<int32_t>{0, 1, 2, 3, 4}));
    // m = 16, S = 32: log2max 4; 16 once (32/(4*16) = 0 -> 1), 8 once, 4 twice, 2 ...
    s.assign(32, 0);
    ccx_gumbel_considered_visits(16, 32, s.data());
    std::vector<int32_t> want(16, 0);
    for (int i = 0; i < 8; i++) want.push_back(1);
    for (int i = 0; i < 4; i++) want.push_back(2);
    for (int i = 0; i < 4; i++) want.push_back(3);
    EXPECT_EQ(s, want);
}

TEST(GumbelMath, ExpLogGumbelAccurate) {
    for (float x = -86.0f; x <= 88.0f; x += 0.0137f) {
        double want = std::exp((double)x), got = ccx_gz_exp(x);
        EXPECT_NEAR(got / want, 1.0, 4e-7) << x;
    }
    EXPECT_EQ(ccx_gz_exp(-100.0f), 0.0f);
    EXPECT_EQ(ccx_gz_exp(0.0f), 1.0f);
    for (float x = 1e-30f; x < 1e30f; x *= 1.37f) {
        double want = std::log((double)x), got = ccx_gz_log(x);
        EXPECT_NEAR(got, want, 2e-7 * std::max(1.0, std::fabs(want))) << x;
    }
    for (uint32_t r : {0u, 1u, 511u, 512u, 0x80000000u, 0xfffffe00u, 0xffffffffu}) {
        double u = (2.0 * (r >> 9) + 1.0) / 16777216.0;
        double want = -std::log(-std::log(u));
        float got = ccx_gz_gumbel(r);
        EXPECT_TRUE(std::isfinite(got)) << r;
        EXPECT_NEAR(got, want, 1e-5 * std::max(1.0, std::fabs(want))) << r;
    }
}

TEST(GumbelParams, DefaultsValidateAndBadOnesNamed) {
    ccx_gumbel_params p;
    ccx_gumbel_params_default(&p);
    ccx_error err;
    EXPECT_EQ(ccx_gumbel_params_validate(&p, &err), 0);
    struct Case {
        void (*mut)(ccx_gumbel_params *);
        const char *name;
    } cases[] = {
        {[](ccx_gumbel_params *q) { q->num_simulations = 0; }, "num_simulations"},
        {[](ccx_gumbel_params *q) { q->num_considered = 0; }, "num_considered"},
        {[](ccx_gumbel_params *q) { q->gumbel_scale = -1; }, "gumbel_scale"},
        {[](ccx_gumbel_params *q) { q->value_scale = 0; }, "value_scale"},
        {[](ccx_gumbel_params *q) { q->maxvisit_init = NAN; }, "maxvisit_init"},
        {[](ccx_gumbel_params *q) { q->rescale_values = 2; }, "rescale_values"},
        {[](ccx_gumbel_params *q) { q->reward_scale = 0; }, "reward_scale"},
    };
    for (auto &c : cases) {
        ccx_gumbel_params q = p;
        c.mut(&q);
        EXPECT_EQ(ccx_gumbel_params_validate(&q, &err), -1) << c.name;
        EXPECT_NE(std::string(err.msg).find(c.name), std::string::npos) << err.msg;
    }
}

// ---- tree invariants ----

struct TreeCheck {
    // Check every invariant of tree b; replay every node's path on `replay`
    // (an env batch like the roots) from `root_slabs`.
    static void Run(ccx_gumbel *g, int b, EnvRunner &replay, const std::vector<uint32_t> &root_slabs,
                    const ccx_gumbel_params &p, const SearchOut &out, int N) {
        ccx_gumbel_tree t;
        ccx_error err;
        ASSERT_EQ(ccx_gumbel_get_tree(g, b, &t, &err), 0) << err.msg;
        const int S = p.num_simulations, M = t.n_nodes;
        ASSERT_EQ(M, S + 1);
        const float *rl = t.logits;
        int legal_root = 0;
        for (int a = 0; a < N; a++) legal_root += rl[a] != CCX_NN_MASKED_LOGIT;
        if (!t.active) {
            EXPECT_EQ(legal_root, 0);
            EXPECT_EQ(out.action[b], -1);
            for (int a = 0; a < N; a++) EXPECT_EQ(out.pi[(size_t)b * N + a], 0.0f);
            for (int x = 1; x < M; x++) EXPECT_EQ(t.visits[x], 0) << x;
            ccx_gumbel_tree_free(&t);
            return;
        }
        EXPECT_EQ(t.n_considered, std::min(legal_root, p.num_considered));
        EXPECT_EQ(t.visits[0], S + 1);
        EXPECT_EQ(t.parent[0], -1);
        int root_sum = 0;
        for (int a = 0; a < N; a++) {
            int c = t.children[a];
            int v = c < 0 ? 0 : t.visits[c];
            root_sum += v;
            EXPECT_EQ(out.visits[(size_t)b * N + a], v) << a;
        }
        EXPECT_EQ(root_sum, S);
        // root outputs
        double pisum = 0;
        int maxv = 0;
        for (int a = 0; a < N; a++) maxv = std::max(maxv, out.visits[(size_t)b * N + a]);
        for (int a = 0; a < N; a++) {
            float pa = out.pi[(size_t)b * N + a];
            if (rl[a] == CCX_NN_MASKED_LOGIT) {
                EXPECT_EQ(pa, 0.0f) << a;
            } else {
                EXPECT_GE(pa, 0.0f);
                pisum += pa;
            }
        }
        EXPECT_NEAR(pisum, 1.0, 1e-5);
        int act = out.action[b];
        ASSERT_GE(act, 0);
        ASSERT_LT(act, N);
        EXPECT_NE(rl[act], CCX_NN_MASKED_LOGIT);
        EXPECT_EQ(out.visits[(size_t)b * N + act], maxv) << "the action is among the most visited";
        EXPECT_NEAR(out.value[b], t.value_sum[0] / t.visits[0], 1e-6 * (1 + std::fabs(out.value[b])));

        int used = 0;
        for (int x = 0; x < M; x++) {
            if (t.visits[x] == 0) {
                EXPECT_EQ(t.parent[x], -1) << x;
                continue;
            }
            used++;
            const int32_t *ch = t.children + (size_t)x * N;
            const float *lg = t.logits + (size_t)x * N;
            if (x > 0) {
                ASSERT_GE(t.parent[x], 0) << x;
                EXPECT_LT(t.parent[x], x) << "a child is made after its parent";
                EXPECT_EQ(t.children[(size_t)t.parent[x] * N + t.action[x]], x);
                EXPECT_EQ(t.depth[x], t.depth[t.parent[x]] + 1);
            }
            if (t.terminal[x]) {
                EXPECT_EQ(t.raw_value[x], 0.0f);
                EXPECT_EQ(t.value_sum[x], 0.0f);
                for (int a = 0; a < N; a++) EXPECT_EQ(ch[a], -1);
                continue;
            }
            int sum = 0;
            double vs = t.raw_value[x];
            for (int a = 0; a < N; a++) {
                int c = ch[a];
                if (c < 0) continue;
                EXPECT_NE(lg[a], CCX_NN_MASKED_LOGIT) << "only legal actions are expanded";
                EXPECT_EQ(t.parent[c], x);
                EXPECT_EQ(t.action[c], a);
                sum += t.visits[c];
                vs += (double)t.visits[c] * t.reward[c] + t.value_sum[c];
            }
            EXPECT_EQ(t.visits[x], 1 + sum) << "node " << x;
            EXPECT_NEAR(t.value_sum[x], vs, 1e-4 * (1 + std::fabs(vs))) << "node " << x;
        }
        // slot s + 1 is used iff simulation s expanded something
        int expansions = 0;
        for (int x = 1; x < M; x++) expansions += t.visits[x] > 0;
        EXPECT_EQ(used, 1 + expansions);

        // replay every node's path on a fresh env: every action legal, reward =
        // -cost * reward_scale, terminal iff the episode ended
        const int B = replay.B();
        for (int x = 1; x < M; x++) {
            if (t.visits[x] == 0) continue;
            std::vector<int32_t> path;
            for (int y = x; y > 0; y = t.parent[y]) path.push_back(t.action[y]);
            std::reverse(path.begin(), path.end());
            ASSERT_EQ(replay.restore(Iota(B), root_slabs), 0) << replay.msg;
            std::vector<int64_t> cost;
            std::vector<uint8_t> done;
            for (size_t k = 0; k < path.size(); k++) {
                std::vector<int32_t> acts(B, CCX_ENV_SKIP);
                acts[b] = path[k];
                ASSERT_EQ(replay.step(acts, &cost, &done, CCX_ENV_NODE_ACTIONS), 0)
                    << "node " << x << " step " << k << ": " << replay.msg;
            }
            EXPECT_EQ(t.reward[x], -(float)cost[b] * p.reward_scale) << x;
            EXPECT_EQ(t.terminal[x], (int)done[b]) << x;
            std::vector<uint8_t> mask;
            ASSERT_EQ(replay.legal_mask(&mask), 0);
            for (int a = 0; a < N; a++)
                EXPECT_EQ(t.logits[(size_t)x * N + a] != CCX_NN_MASKED_LOGIT, (bool)mask[(size_t)b * N + a]);
        }
        ccx_gumbel_tree_free(&t);
    }
};

// Roots in assorted states: some at the start, some mid-episode, one done.
void PrepareRoots(EnvRunner &roots, int done_env) {
    const int B = roots.B();
    std::vector<uint8_t> mask(B, 0);
    std::vector<int32_t> acts(B);
    std::vector<uint8_t> m;
    // two legal steps (the lowest legal node) for odd envs
    for (int step = 0; step < 2; step++) {
        ASSERT_EQ(roots.legal_mask(&m), 0);
        for (int b = 0; b < B; b++) {
            acts[b] = CCX_ENV_SKIP;
            if (b % 2 == 0) continue;
            for (int a = 0; a < roots.L().n_pad; a++)
                if (m[(size_t)b * roots.L().n_pad + a]) {
                    acts[b] = a;
                    break;
                }
        }
        ASSERT_EQ(roots.step(acts, nullptr, nullptr, CCX_ENV_NODE_ACTIONS), 0) << roots.msg;
    }
    if (done_env >= 0) {
        mask[done_env] = 1;
        ASSERT_EQ(roots.play_random(99, nullptr, mask), 0) << roots.msg;
    }
}

void InvariantsWith(bool host_eval, float reward_scale, int rescale) {
    auto gs = Graphs(5, 5, 9, 11);
    auto graphs = Raw(gs);
    const int B = 6;
    std::vector<int32_t> goe = {0, 1, 2, 3, 4, 0};
    EnvRunner roots(CCX_BACKEND_CPU, graphs, B, goe);
    ASSERT_NE(roots.env, nullptr) << roots.msg;
    PrepareRoots(roots, 4);
    const int N = roots.L().n_pad;
    ccx_gumbel_params p = Params(48, 4, 1.0f);
    p.reward_scale = reward_scale;
    p.rescale_values = rescale;
    HostEval he(roots.env, B, N);
    GumbelPtr g(CCX_BACKEND_CPU, graphs, B, p, host_eval ? he.evaluator() : ccx_gumbel_evaluator{});
    ASSERT_NE(g.g, nullptr) << g.msg;
    std::vector<uint32_t> before = roots.state();
    SearchOut out;
    std::string msg;
    ASSERT_EQ(run_search(g.g, roots.env, 5, 0, &out, &msg), 0) << msg;
    EXPECT_EQ(roots.state(), before) << "the roots are not modified";
    if (host_eval) EXPECT_EQ(he.calls, 1 + p.num_simulations) << "one evaluation per simulation";
    EnvRunner replay(CCX_BACKEND_CPU, graphs, B, goe);
    std::vector<uint32_t> slabs;
    ASSERT_EQ(roots.snapshot(Iota(B), &slabs), 0);
    for (int b = 0; b < B; b++) {
        SCOPED_TRACE("tree " + std::to_string(b));
        TreeCheck::Run(g.g, b, replay, slabs, p, out, N);
    }
}

TEST(GumbelSearch, TreeInvariantsUniformPrior) { InvariantsWith(false, 1.0f, 1); }
TEST(GumbelSearch, TreeInvariantsHostEvaluator) { InvariantsWith(true, 0.25f, 1); }
TEST(GumbelSearch, TreeInvariantsNoRescale) { InvariantsWith(true, 0.01f, 0); }

// n_pad 64 (two words of legal bits per node) and a batch large enough for
// the OpenMP loop.
TEST(GumbelSearch, TreeInvariantsWideGraphsLargeBatch) {
    std::vector<GraphPtr> gs;
    gs.push_back(gen_graph(4, 40, 3, 5));
    gs.push_back(gen_graph(3, 20, 2, 6));
    auto graphs = Raw(gs);
    const int B = 70;
    EnvRunner roots(CCX_BACKEND_CPU, graphs, B);
    const int N = roots.L().n_pad;
    ASSERT_EQ(N, 64);
    PrepareRoots(roots, 3);
    HostEval he(roots.env, B, N);
    ccx_gumbel_params p = Params(12, 16, 1.0f);
    GumbelPtr g(CCX_BACKEND_CPU, graphs, B, p, he.evaluator());
    ASSERT_NE(g.g, nullptr) << g.msg;
    SearchOut out;
    std::string msg;
    ASSERT_EQ(run_search(g.g, roots.env, 3, 1, &out, &msg), 0) << msg;
    EnvRunner replay(CCX_BACKEND_CPU, graphs, B);
    std::vector<uint32_t> slabs;
    ASSERT_EQ(roots.snapshot(Iota(B), &slabs), 0);
    for (int b : {0, 1, 3, 40, 69}) {
        SCOPED_TRACE("tree " + std::to_string(b));
        TreeCheck::Run(g.g, b, replay, slabs, p, out, N);
    }
    // equal roots in another batch give equal outputs (the threads' schedule
    // does not matter)
    EnvRunner roots2(CCX_BACKEND_CPU, graphs, B);
    PrepareRoots(roots2, 3);
    SearchOut again;
    ASSERT_EQ(run_search(g.g, roots2.env, 3, 1, &again, &msg), 0) << msg;
    EXPECT_TRUE(again == out);
}

TEST(GumbelSearch, DeterministicGivenSeedAndCounter) {
    auto gs = Graphs(3, 6, 9, 21);
    auto graphs = Raw(gs);
    const int B = 3;
    EnvRunner roots(CCX_BACKEND_CPU, graphs, B);
    const int N = roots.L().n_pad;
    HostEval he(roots.env, B, N);
    ccx_gumbel_params p = Params(24, 8, 1.0f);
    GumbelPtr g1(CCX_BACKEND_CPU, graphs, B, p, he.evaluator());
    GumbelPtr g2(CCX_BACKEND_CPU, graphs, B, p, he.evaluator());
    SearchOut a, b, c, d;
    ASSERT_EQ(run_search(g1.g, roots.env, 7, 3, &a), 0);
    ASSERT_EQ(run_search(g2.g, roots.env, 7, 3, &b), 0);
    ASSERT_EQ(run_search(g1.g, roots.env, 7, 3, &c), 0);
    EXPECT_TRUE(a == b);
    EXPECT_TRUE(a == c);
    // other noise: the Gumbel draws differ
    ccx_gumbel_tree t1, t2;
    ccx_error err;
    ASSERT_EQ(ccx_gumbel_get_tree(g1.g, 0, &t1, &err), 0);
    ASSERT_EQ(run_search(g1.g, roots.env, 7, 4, &d), 0);
    ASSERT_EQ(ccx_gumbel_get_tree(g1.g, 0, &t2, &err), 0);
    int differ = 0, legal = 0;
    for (int a2 = 0; a2 < N; a2++) {
        if (t1.logits[a2] == CCX_NN_MASKED_LOGIT) {
            EXPECT_EQ(t1.gumbel[a2], 0.0f);
            continue;
        }
        legal++;
        differ += t1.gumbel[a2] != t2.gumbel[a2];
    }
    EXPECT_EQ(differ, legal);
    ccx_gumbel_tree_free(&t1);
    ccx_gumbel_tree_free(&t2);
    // trees are independent: tree 0 alone in a batch of one gives the same
    // result as in the batch of three (its noise is keyed by its index)
    EnvRunner one(CCX_BACKEND_CPU, {graphs[0]}, 1, {}, N);
    HostEval he1(one.env, 1, N);
    GumbelPtr g3(CCX_BACKEND_CPU, {graphs[0]}, 1, p, he1.evaluator(), N);
    ASSERT_NE(g3.g, nullptr) << g3.msg;
    SearchOut e;
    ASSERT_EQ(run_search(g3.g, one.env, 7, 3, &e), 0);
    EXPECT_EQ(e.action[0], a.action[0]);
    EXPECT_EQ(e.value[0], a.value[0]);
    EXPECT_EQ(std::vector<float>(e.pi.begin(), e.pi.end()),
              std::vector<float>(a.pi.begin(), a.pi.begin() + N));
    EXPECT_EQ(std::vector<int32_t>(e.visits.begin(), e.visits.end()),
              std::vector<int32_t>(a.visits.begin(), a.visits.begin() + N));
}

TEST(GumbelSearch, ZeroNoiseFirstActionsFollowTheLogits) {
    // gumbel_scale 0, a single simulation: the root visits the legal action
    // with the largest logit (lowest index on ties)
    auto gs = Graphs(2, 6, 8, 31);
    auto graphs = Raw(gs);
    EnvRunner roots(CCX_BACKEND_CPU, graphs, 2);
    const int N = roots.L().n_pad;
    HostEval he(roots.env, 2, N);
    GumbelPtr g(CCX_BACKEND_CPU, graphs, 2, Params(1, 16, 0.0f), he.evaluator());
    SearchOut out;
    ASSERT_EQ(run_search(g.g, roots.env, 1, 0, &out), 0);
    ccx_gumbel_tree t;
    ccx_error err;
    for (int b = 0; b < 2; b++) {
        ASSERT_EQ(ccx_gumbel_get_tree(g.g, b, &t, &err), 0);
        int best = -1;
        for (int a = 0; a < N; a++)
            if (t.logits[a] != CCX_NN_MASKED_LOGIT && (best < 0 || t.logits[a] > t.logits[best])) best = a;
        EXPECT_EQ(out.action[b], best);
        EXPECT_EQ(out.visits[(size_t)b * N + best], 1);
        ccx_gumbel_tree_free(&t);
    }
}

TEST(GumbelSearch, RefusesMismatchedRootsAndBadArguments) {
    auto gs = Graphs(2, 5, 6, 41);
    auto graphs = Raw(gs);
    ccx_gumbel_params p = Params(4);
    GumbelPtr g(CCX_BACKEND_CPU, graphs, 2, p);
    ASSERT_NE(g.g, nullptr) << g.msg;
    SearchOut out;
    std::string msg;
    EnvRunner three(CCX_BACKEND_CPU, graphs, 3);
    EXPECT_EQ(run_search(g.g, three.env, 1, 0, &out, &msg), -1);
    EXPECT_NE(msg.find("3 envs"), std::string::npos) << msg;
    EnvRunner swapped(CCX_BACKEND_CPU, {graphs[1], graphs[0]}, 2);
    EXPECT_EQ(run_search(g.g, swapped.env, 1, 0, &out, &msg), -1);
    EXPECT_NE(msg.find("graph 0"), std::string::npos) << msg;
    EnvRunner wide(CCX_BACKEND_CPU, graphs, 2, {}, 64);
    EXPECT_EQ(run_search(g.g, wide.env, 1, 0, &out, &msg), -1);
    EXPECT_NE(msg.find("n_pad 64"), std::string::npos) << msg;
    ccx_error err;
    ccx_gumbel_tree t;
    GumbelPtr fresh(CCX_BACKEND_CPU, graphs, 2, p);
    EXPECT_EQ(ccx_gumbel_get_tree(fresh.g, 0, &t, &err), -1);
    EXPECT_EQ(ccx_gumbel_get_tree(g.g, 5, &t, &err), -1);
    p.num_simulations = 0;
    GumbelPtr bad(CCX_BACKEND_CPU, graphs, 2, p);
    EXPECT_EQ(bad.g, nullptr);
    EXPECT_NE(bad.msg.find("num_simulations"), std::string::npos) << bad.msg;
}

// ---- the search finds optimal orders on small graphs ----

// Play every env of a batch (env b on graph b) to the end, searching before
// every move; returns the episode costs.
std::vector<int64_t> PlayToEnd(const std::vector<const ccx_graph *> &graphs,
                               const ccx_gumbel_params &p, uint64_t seed) {
    const int n = (int)graphs.size();
    EnvRunner roots(CCX_BACKEND_CPU, graphs, n);
    GumbelPtr g(CCX_BACKEND_CPU, graphs, n, p);
    EXPECT_NE(g.g, nullptr) << g.msg;
    if (!g.g) return {};
    for (int move = 0;; move++) {
        SearchOut out;
        std::string msg;
        EXPECT_EQ(run_search(g.g, roots.env, seed, move, &out, &msg), 0) << msg;
        bool any = false;
        std::vector<int32_t> acts(n);
        for (int b = 0; b < n; b++) {
            acts[b] = out.action[b] >= 0 ? out.action[b] : CCX_ENV_SKIP;
            any |= out.action[b] >= 0;
        }
        if (!any) break;
        EXPECT_EQ(roots.step(acts, nullptr, nullptr, CCX_ENV_NODE_ACTIONS), 0) << roots.msg;
    }
    std::vector<int64_t> cost;
    roots.info(&cost);
    return cost;
}

// With a uniform prior, zero value, no noise and 500 simulations per move,
// Gumbel MuZero (mctx's parameters otherwise) plays optimal orders on
// graphs of 4..8 intermediates. (Its values are means, not minima, so this
// is not guaranteed: over 480 such graphs with 800 simulations 3 ended 1-2
// above the optimum; these 16 are a fixed draw that does not.)
TEST(GumbelSearch, PlaysOptimalOrdersWithUniformPrior) {
    auto gs = Graphs(16, 4, 8, 3);
    auto graphs = Raw(gs);
    std::vector<int64_t> cost = PlayToEnd(graphs, Params(500, 16, 0.0f), 1);
    ASSERT_EQ(cost.size(), graphs.size());
    for (size_t b = 0; b < graphs.size(); b++)
        EXPECT_EQ(cost[b], exhaustive_optimum(graphs[b]))
            << "graph " << b << " (" << ccx_graph_n_intermediates(graphs[b]) << " intermediates)";
}

// Training settings (Gumbel noise on) on graphs of up to 12 intermediates:
// never below the optimum (a sanity check of the costs), at most a few
// percent above it in total.
TEST(GumbelSearch, NoisySearchNearOptimalUpTo12Intermediates) {
    auto gs = Graphs(8, 9, 12, 5);
    auto graphs = Raw(gs);
    std::vector<int64_t> cost = PlayToEnd(graphs, Params(400, 16, 1.0f), 2);
    ASSERT_EQ(cost.size(), graphs.size());
    int64_t sum = 0, sum_opt = 0;
    for (size_t b = 0; b < graphs.size(); b++) {
        int64_t opt = exhaustive_optimum(graphs[b]);
        EXPECT_GE(cost[b], opt) << b;
        sum += cost[b];
        sum_opt += opt;
    }
    EXPECT_LE(sum, sum_opt + sum_opt / 20) << "total " << sum << ", optimum " << sum_opt;
}

// ---- the network as the evaluator ----

TEST(GumbelSearch, NetworkEvaluatorRuns) {
    auto gs = Graphs(3, 6, 9, 51);
    auto graphs = Raw(gs);
    const int B = 3;
    EnvRunner roots(CCX_BACKEND_CPU, graphs, B);
    const int N = roots.L().n_pad;
    ccx_nn_config c = tiny_net_config(N);
    ccx_error err;
    ccx_nn *nn = ccx_nn_create(&c, CCX_BACKEND_CPU, B, 3, 0, &err);
    ASSERT_NE(nn, nullptr) << err.msg;
    ccx_gumbel_params p = Params(16, 4);
    {
        GumbelPtr g(CCX_BACKEND_CPU, graphs, B, p, ccx_gumbel_nn_evaluator(nn));
        ASSERT_NE(g.g, nullptr) << g.msg;
        SearchOut out;
        std::string msg;
        ASSERT_EQ(run_search(g.g, roots.env, 1, 0, &out, &msg), 0) << msg;
        EnvRunner replay(CCX_BACKEND_CPU, graphs, B);
        std::vector<uint32_t> slabs;
        ASSERT_EQ(roots.snapshot(Iota(B), &slabs), 0);
        for (int b = 0; b < B; b++) TreeCheck::Run(g.g, b, replay, slabs, p, out, N);
        GumbelPtr wrong(CCX_BACKEND_CUDA, graphs, B, p, ccx_gumbel_nn_evaluator(nn));
        EXPECT_EQ(wrong.g, nullptr);
    }
    ccx_nn_free(nn);
}

// ---- replay buffer ----

struct Samples {
    int n, words, N;
    std::vector<int32_t> graph;
    std::vector<uint32_t> elim;
    std::vector<float> pi, value;
    Samples(int n_, int N_, uint64_t seed) : n(n_), words(N_ / 32), N(N_) {
        ccx_rng r;
        ccx_rng_seed(&r, seed);
        for (int i = 0; i < n; i++) {
            graph.push_back((int32_t)ccx_rng_below(&r, 5));
            for (int w = 0; w < words; w++) elim.push_back((uint32_t)ccx_rng_next(&r));
            for (int a = 0; a < N; a++) pi.push_back((float)ccx_rng_unit(&r));
            value.push_back(-(float)ccx_rng_below(&r, 1000) / 8.0f);
        }
    }
};

std::string TmpPath(const std::string &name) {
    return ::testing::TempDir() + "ccx_replay_" + name + "_" + std::to_string(::getpid()) + ".bin";
}

TEST(Replay, RingSampleSaveLoadRoundTrip) {
    const int N = 64;
    ccx_error err;
    ccx_replay *r = ccx_replay_create(10, N, &err);
    ASSERT_NE(r, nullptr) << err.msg;
    Samples s(14, N, 1);
    ASSERT_EQ(ccx_replay_add(r, 6, s.graph.data(), s.elim.data(), s.pi.data(), s.value.data(), &err), 0);
    EXPECT_EQ(ccx_replay_count(r), 6u);
    ASSERT_EQ(ccx_replay_add(r, 8, s.graph.data() + 6, s.elim.data() + 6 * 2, s.pi.data() + 6 * N,
                             s.value.data() + 6, &err), 0);
    EXPECT_EQ(ccx_replay_count(r), 10u);
    EXPECT_EQ(ccx_replay_total(r), 14u);
    // the oldest 4 were overwritten: position i holds sample i + 4
    for (int i = 0; i < 10; i++) {
        int32_t gr;
        std::vector<uint32_t> e(2);
        std::vector<float> pi(N);
        float v;
        ASSERT_EQ(ccx_replay_get(r, i, &gr, e.data(), pi.data(), &v, &err), 0);
        EXPECT_EQ(gr, s.graph[i + 4]);
        EXPECT_EQ(e[0], s.elim[(i + 4) * 2]);
        EXPECT_EQ(e[1], s.elim[(i + 4) * 2 + 1]);
        EXPECT_EQ(pi, std::vector<float>(s.pi.begin() + (i + 4) * N, s.pi.begin() + (i + 5) * N));
        EXPECT_EQ(v, s.value[i + 4]);
    }
    EXPECT_EQ(ccx_replay_get(r, 10, nullptr, nullptr, nullptr, nullptr, &err), -1);
    // uniform sampling: deterministic in the rng, every position reachable
    ccx_rng a, b;
    ccx_rng_seed(&a, 9);
    ccx_rng_seed(&b, 9);
    std::vector<size_t> ia(400), ib(400);
    std::vector<float> va(400), vb(400);
    ASSERT_EQ(ccx_replay_sample(r, &a, 400, nullptr, nullptr, nullptr, va.data(), ia.data(), &err), 0);
    ASSERT_EQ(ccx_replay_sample(r, &b, 400, nullptr, nullptr, nullptr, vb.data(), ib.data(), &err), 0);
    EXPECT_EQ(ia, ib);
    std::map<size_t, int> hist;
    for (int k = 0; k < 400; k++) {
        hist[ia[k]]++;
        EXPECT_EQ(va[k], s.value[ia[k] + 4]);
    }
    EXPECT_EQ(hist.size(), 10u);
    for (auto &kv : hist) EXPECT_GT(kv.second, 15) << kv.first;

    std::string path = TmpPath("rt");
    ASSERT_EQ(ccx_replay_save(r, path.c_str(), &err), 0) << err.msg;
    ccx_replay *q = ccx_replay_create(10, N, &err);
    ASSERT_EQ(ccx_replay_load(q, path.c_str(), &err), 0) << err.msg;
    EXPECT_EQ(ccx_replay_count(q), 10u);
    EXPECT_EQ(ccx_replay_total(q), 14u);
    for (int i = 0; i < 10; i++) {
        int32_t g1, g2;
        std::vector<uint32_t> e1(2), e2(2);
        std::vector<float> p1(N), p2(N);
        float v1, v2;
        ccx_replay_get(r, i, &g1, e1.data(), p1.data(), &v1, &err);
        ccx_replay_get(q, i, &g2, e2.data(), p2.data(), &v2, &err);
        EXPECT_EQ(g1, g2);
        EXPECT_EQ(e1, e2);
        EXPECT_EQ(0, memcmp(p1.data(), p2.data(), N * 4));
        EXPECT_EQ(v1, v2);
    }
    // and it keeps going as a ring after a load: same as the original
    ASSERT_EQ(ccx_replay_add(r, 3, s.graph.data(), s.elim.data(), s.pi.data(), s.value.data(), &err), 0);
    ASSERT_EQ(ccx_replay_add(q, 3, s.graph.data(), s.elim.data(), s.pi.data(), s.value.data(), &err), 0);
    for (int i = 0; i < 10; i++) {
        float v1, v2;
        ccx_replay_get(r, i, nullptr, nullptr, nullptr, &v1, &err);
        ccx_replay_get(q, i, nullptr, nullptr, nullptr, &v2, &err);
        EXPECT_EQ(v1, v2) << i;
    }
    // a smaller buffer keeps the newest
    ccx_replay *small = ccx_replay_create(4, N, &err);
    ASSERT_EQ(ccx_replay_load(small, path.c_str(), &err), 0) << err.msg;
    EXPECT_EQ(ccx_replay_count(small), 4u);
    for (int i = 0; i < 4; i++) {
        float v;
        ccx_replay_get(small, i, nullptr, nullptr, nullptr, &v, &err);
        EXPECT_EQ(v, s.value[10 + i]);
    }
    ccx_replay_free(small);
    ccx_replay_free(q);
    ccx_replay_free(r);
    std::remove(path.c_str());
}

TEST(Replay, DamagedFilesRefused) {
    const int N = 32;
    ccx_error err;
    ccx_replay *r = ccx_replay_create(8, N, &err);
    Samples s(5, N, 2);
    ASSERT_EQ(ccx_replay_add(r, 5, s.graph.data(), s.elim.data(), s.pi.data(), s.value.data(), &err), 0);
    std::string path = TmpPath("bad");
    ASSERT_EQ(ccx_replay_save(r, path.c_str(), &err), 0) << err.msg;
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    auto write = [&](const std::string &b) {
        std::ofstream o(path, std::ios::binary | std::ios::trunc);
        o << b;
    };
    ccx_replay *q = ccx_replay_create(8, N, &err);
    Samples t(2, N, 3);
    ASSERT_EQ(ccx_replay_add(q, 2, t.graph.data(), t.elim.data(), t.pi.data(), t.value.data(), &err), 0);
    struct Case {
        std::string data, want;
    };
    std::string flipped = bytes;
    flipped[100] ^= 1;
    std::string magic = bytes;
    magic[0] = 'X';
    std::string version = bytes;
    version[8] = 9;
    std::vector<Case> cases = {
        {flipped, "SHA-256"},
        {bytes.substr(0, bytes.size() - 1), "damaged"},
        {bytes + "x", "damaged"},
        {bytes.substr(0, 20), "not a ccx replay"},
        {magic, "not a ccx replay"},
        {version, "version 9"},
        {"", "not a ccx replay"},
    };
    for (auto &c : cases) {
        write(c.data);
        EXPECT_EQ(ccx_replay_load(q, path.c_str(), &err), -1) << c.want;
        EXPECT_NE(std::string(err.msg).find(c.want), std::string::npos) << err.msg;
        EXPECT_NE(std::string(err.msg).find(path), std::string::npos) << err.msg;
        EXPECT_EQ(ccx_replay_count(q), 2u) << "a refused load leaves the buffer alone";
    }
    write(bytes);
    ccx_replay *wide = ccx_replay_create(8, 64, &err);
    EXPECT_EQ(ccx_replay_load(wide, path.c_str(), &err), -1);
    EXPECT_NE(std::string(err.msg).find("n_pad"), std::string::npos) << err.msg;
    EXPECT_EQ(ccx_replay_load(q, (path + ".missing").c_str(), &err), -1);
    EXPECT_EQ(ccx_replay_load(q, path.c_str(), &err), 0) << err.msg;
    EXPECT_EQ(ccx_replay_count(q), 5u);
    // bad adds and samples
    int32_t neg = -1;
    float nan = NAN, zero = 0;
    EXPECT_EQ(ccx_replay_add(q, 1, &neg, s.elim.data(), s.pi.data(), &zero, &err), -1);
    EXPECT_EQ(ccx_replay_add(q, 1, s.graph.data(), s.elim.data(), s.pi.data(), &nan, &err), -1);
    EXPECT_EQ(ccx_replay_count(q), 5u);
    ccx_replay *empty = ccx_replay_create(3, N, &err);
    ccx_rng rng;
    ccx_rng_seed(&rng, 1);
    float v;
    EXPECT_EQ(ccx_replay_sample(empty, &rng, 1, nullptr, nullptr, nullptr, &v, nullptr, &err), -1);
    EXPECT_EQ(ccx_replay_create(0, N, &err), nullptr);
    EXPECT_EQ(ccx_replay_create(4, 33, &err), nullptr);
    ccx_replay_free(empty);
    ccx_replay_free(wide);
    ccx_replay_free(q);
    ccx_replay_free(r);
    std::remove(path.c_str());
}

// Samples taken from searched states rebuild exactly those states.
TEST(Replay, SetStatesRebuildsSampledStates) {
    auto gs = Graphs(3, 6, 9, 61);
    auto graphs = Raw(gs);
    const int B = 6;
    EnvRunner play(CCX_BACKEND_CPU, graphs, B);  // env b plays graph b % 3
    const int N = play.L().n_pad, W = N / 32;
    std::vector<int32_t> acts_rand;
    // advance the envs by a few random steps: play_random to the end is too
    // far, so step the first legal node b % 3 + 1 times
    for (int k = 0; k < 3; k++) {
        std::vector<uint8_t> m;
        ASSERT_EQ(play.legal_mask(&m), 0);
        std::vector<int32_t> acts(B, CCX_ENV_SKIP);
        for (int b = 0; b < B; b++) {
            if (k > b % 3) continue;
            int seen = 0;
            for (int a = 0; a < N; a++)
                if (m[(size_t)b * N + a] && seen++ == b % 2) acts[b] = a;
        }
        ASSERT_EQ(play.step(acts, nullptr, nullptr, CCX_ENV_NODE_ACTIONS), 0) << play.msg;
    }
    std::vector<uint32_t> sets;
    ASSERT_EQ(play.get_eliminated(Iota(B), &sets), 0);
    std::vector<int32_t> graph(B);
    for (int b = 0; b < B; b++) graph[b] = b % 3;
    ccx_error err;
    ccx_replay *r = ccx_replay_create(16, N, &err);
    std::vector<float> pi((size_t)B * N, 0.0f), val(B, -1.0f);
    ASSERT_EQ(ccx_replay_add(r, B, graph.data(), sets.data(), pi.data(), val.data(), &err), 0);
    // rebuild in reverse order into an env batch whose envs play other graphs
    std::vector<int32_t> g2(B);
    std::vector<uint32_t> s2((size_t)B * W);
    for (int i = 0; i < B; i++)
        ASSERT_EQ(ccx_replay_get(r, B - 1 - i, &g2[i], &s2[(size_t)i * W], nullptr, nullptr, &err), 0);
    EnvRunner train(CCX_BACKEND_CPU, graphs, B);
    ASSERT_EQ(ccx_replay_set_states(train.env, B, g2.data(), s2.data(), &err), 0) << err.msg;
    std::vector<uint32_t> got;
    ASSERT_EQ(train.get_eliminated(Iota(B), &got), 0);
    EXPECT_EQ(got, s2);
    std::vector<int32_t> gr;
    train.info(nullptr, nullptr, &gr);
    EXPECT_EQ(gr, g2);
    // the observations equal those of the played states
    std::vector<float> f1, f2;
    std::vector<uint8_t> a1, a2;
    ASSERT_EQ(play.observe(&f1, &a1), 0);
    ASSERT_EQ(train.observe(&f2, &a2), 0);
    size_t row = (size_t)N * CCX_OBS_FEATURES;
    for (int i = 0; i < B; i++) {
        int src = B - 1 - i;
        EXPECT_EQ(0, memcmp(&f1[src * row], &f2[i * row], row * 4)) << i;
        EXPECT_EQ(0, memcmp(&a1[(size_t)src * N * N], &a2[(size_t)i * N * N], (size_t)N * N)) << i;
    }
    // a graph no env plays is refused
    EnvRunner only0(CCX_BACKEND_CPU, graphs, 2, {0, 0});
    int32_t g1 = 1;
    EXPECT_EQ(ccx_replay_set_states(only0.env, 1, &g1, s2.data(), &err), -1);
    EXPECT_NE(std::string(err.msg).find("no env"), std::string::npos) << err.msg;
    ccx_replay_free(r);
}

// A version-1 file (before the episode orders) still loads: its samples
// have no order (all 0) and the rest as written.
TEST(Replay, VersionOneFilesLoadWithoutOrders) {
    const int N = 32, W = 1, count = 2;
    std::vector<uint8_t> f;
    auto u32 = [&](uint32_t v) { for (int i = 0; i < 4; i++) f.push_back((uint8_t)(v >> (8 * i))); };
    auto u64 = [&](uint64_t v) { for (int i = 0; i < 8; i++) f.push_back((uint8_t)(v >> (8 * i))); };
    auto f32 = [&](float x) { uint32_t u; memcpy(&u, &x, 4); u32(u); };
    for (char c : std::string("CCXRPLY1")) f.push_back((uint8_t)c);
    u32(1); u32(N); u32(W); u32(0);
    u64(8); u64(count); u64(5);
    for (int i = 0; i < count; i++) {
        u32((uint32_t)i);          // graph
        u32(0x5u << i);            // eliminated set
        for (int a = 0; a < N; a++) f32(a == i ? 1.0f : 0.0f);
        f32(-0.5f * (float)(i + 1));
    }
    uint8_t digest[32];
    ccx_sha256 h;
    ccx_sha256_init(&h);
    ccx_sha256_update(&h, f.data(), f.size());
    ccx_sha256_final(&h, digest);
    f.insert(f.end(), digest, digest + 32);
    char path[] = "/tmp/ccx_replay_v1_XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, f.data(), f.size()), (ssize_t)f.size());
    close(fd);
    ccx_error err;
    ccx_replay *r = ccx_replay_create(8, N, &err);
    ASSERT_EQ(ccx_replay_load(r, path, &err), 0) << err.msg;
    unlink(path);
    ASSERT_EQ(ccx_replay_count(r), (size_t)count);
    EXPECT_EQ(ccx_replay_total(r), 5u);
    for (int i = 0; i < count; i++) {
        int32_t g;
        uint32_t e;
        float v;
        std::vector<uint16_t> order(N, 7);
        ASSERT_EQ(ccx_replay_get(r, i, &g, &e, nullptr, &v, &err), 0);
        ASSERT_EQ(ccx_replay_get_order(r, i, order.data(), &err), 0);
        EXPECT_EQ(g, i);
        EXPECT_EQ(e, 0x5u << i);
        EXPECT_EQ(v, -0.5f * (float)(i + 1));
        EXPECT_EQ(order, std::vector<uint16_t>(N, 0));
    }
    ccx_replay_free(r);
}

// On tensor graphs the records depend on the order: a sample keeps its
// episode's order, and the rebuilt state's observation is exactly the one
// played (its set alone, replayed in increasing order, is not); orders
// survive the file.
TEST(Replay, TensorStatesReplayTheEpisodeOrder) {
    GraphPtr g = named_task("f");  // where the increasing order's records show in observations
    ASSERT_TRUE(g);
    std::vector<const ccx_graph *> graphs = {g.get()};
    const int B = 6;
    EnvRunner play(CCX_BACKEND_CPU, graphs, B);
    ASSERT_TRUE(play.env) << play.msg;
    const int N = play.L().n_pad, W = N / 32;
    std::mt19937 rng(17);
    std::vector<std::vector<int32_t>> order(B);
    std::vector<uint16_t> orders((size_t)B * N, 0);
    for (int b = 0; b < B; b++) {
        order[b] = random_order(g.get(), rng);
        for (size_t t = 0; t < order[b].size(); t++) orders[(size_t)b * N + t] = (uint16_t)order[b][t];
    }
    int n_int = (int)order[0].size();
    for (int t = 0; t < n_int; t++) {  // env b stops after (b + 1) / (B + 1) of the episode
        std::vector<int32_t> acts(B, CCX_ENV_SKIP);
        for (int b = 0; b < B; b++)
            if (t < n_int * (b + 1) / (B + 1)) acts[b] = order[b][t];
        ASSERT_EQ(play.step(acts), 0) << play.msg;
    }
    std::vector<uint32_t> sets;
    ASSERT_EQ(play.get_eliminated(Iota(B), &sets), 0);
    std::vector<int32_t> graph(B, 0);
    std::vector<float> pi((size_t)B * N, 0.0f), val(B, -1.0f);
    ccx_error err;
    ccx_replay *r = ccx_replay_create(16, N, &err);
    ASSERT_EQ(ccx_replay_add_ordered(r, B, graph.data(), sets.data(), orders.data(), pi.data(),
                                     val.data(), &err),
              0);
    char path[] = "/tmp/ccx_replay_orders_XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    ASSERT_EQ(ccx_replay_save(r, path, &err), 0) << err.msg;
    ccx_replay *q = ccx_replay_create(16, N, &err);
    ASSERT_EQ(ccx_replay_load(q, path, &err), 0) << err.msg;
    unlink(path);
    std::vector<uint16_t> got((size_t)B * N);
    std::vector<uint32_t> s2((size_t)B * W);
    for (int i = 0; i < B; i++) {
        ASSERT_EQ(ccx_replay_get_order(q, i, &got[(size_t)i * N], &err), 0);
        ASSERT_EQ(ccx_replay_get(q, i, nullptr, &s2[(size_t)i * W], nullptr, nullptr, &err), 0);
    }
    EXPECT_EQ(got, orders);
    std::vector<float> f1, f2, f3;
    std::vector<uint8_t> a1, a2, a3;
    ASSERT_EQ(play.observe(&f1, &a1), 0);
    EnvRunner train(CCX_BACKEND_CPU, graphs, B);
    ASSERT_EQ(ccx_replay_set_states_ordered(train.env, B, graph.data(), s2.data(), got.data(), &err), 0)
        << err.msg;
    std::vector<uint32_t> sets2;
    ASSERT_EQ(train.get_eliminated(Iota(B), &sets2), 0);
    EXPECT_EQ(sets2, sets);
    ASSERT_EQ(train.observe(&f2, &a2), 0);
    EXPECT_EQ(f1, f2);
    EXPECT_EQ(a1, a2);
    // the set alone (increasing order) gives other records somewhere
    EnvRunner by_set(CCX_BACKEND_CPU, graphs, B);
    ASSERT_EQ(ccx_replay_set_states(by_set.env, B, graph.data(), s2.data(), &err), 0) << err.msg;
    ASSERT_EQ(by_set.observe(&f3, &a3), 0);
    EXPECT_TRUE(f3 != f1 || a3 != a1);
    // an order that does not begin with the set is refused
    got[(size_t)(B - 1) * N] = 9999;
    EXPECT_EQ(ccx_replay_set_states_ordered(train.env, B, graph.data(), s2.data(), got.data(), &err), -1);
    EXPECT_NE(std::string(err.msg).find("does not begin"), std::string::npos) << err.msg;
    ccx_replay_free(r);
    ccx_replay_free(q);
}

}  // namespace
