// The real-work cost model (game/real_cost.h, graph/real_partials.h): the
// product and sum rules by hand, the game under --cost real on a graph worked
// by hand, the scalar rule against the scalar code generator's own count of
// the multiplications it cannot fold (random programs, random orders), order
// files that carry their model, and snapshots. The tensor rule is checked
// against the JAX runtime's multiplications() in tests/jax/test_real_cost.py.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "test_util.h"

extern "C" {
#include "game/real_cost.h"
#include "graph/real_partials.h"
#include "io/order_file.h"
#include "jac/codegen.h"
#include "jac/jacobian.h"
#include "lang/gen.h"
#include "lang/tensor_gen.h"
#include "search/search.h"
#include "util/rng.h"
}

namespace {

ccx_lax_shape shape(int rank, int d0 = 1, int d1 = 1) { return ccx_lax_shape{rank, {d0, d1}}; }
ccx_lax data(uint8_t pair, uint8_t vmask) { return ccx_lax_make(CCX_LAX_DATA, pair, vmask, 0.0); }
ccx_lax constant(uint8_t pair, double c) { return ccx_lax_make(CCX_LAX_CONST, pair, 0, c); }

std::vector<int32_t> random_order(const ccx_graph *g, ccx_rng *rng) {
    std::vector<int32_t> o;
    for (int k = 1; k <= g->n_vertices; k++)
        if (!g->vertices[k - 1].is_output) o.push_back(k);
    for (size_t i = o.size(); i > 1; i--) std::swap(o[i - 1], o[ccx_rng_below(rng, i)]);
    return o;
}

int64_t cost_of(const ccx_graph *g, const std::vector<int32_t> &o) {
    ccx_error err;
    int64_t c = -1;
    EXPECT_EQ(ccx_order_cost(g, o.data(), (int)o.size(), &c, &err), 0) << err.msg;
    return c;
}

// x0, x1 -> v1 = x0 * x1 -> v2 = sin(v1); v3 = v1 + v2 (output), v4 = cos(v2) (output)
const char *kTiny = "input x0, x1\nv1 = x0 * x1\nv2 = sin(v1)\nv3 = v1 + v2\nv4 = cos(v2)\n"
                    "output v3, v4\n";

}  // namespace

TEST(RealCost, ProductsByHand) {
    ccx_lax out;
    const ccx_lax_shape n4 = shape(1, 4), m3 = shape(1, 3), s0 = shape(0);
    // elementwise data x elementwise data over (4,): one multiplication per entry
    const ccx_lax ew = data(1, 1); // P axis 0 paired with S axis 0, values over S
    EXPECT_EQ(ccx_lax_mul(&ew, &ew, &n4, &n4, &n4, &out), 4);
    EXPECT_EQ(out.kind, CCX_LAX_DATA);
    EXPECT_EQ(out.pair, 1);
    EXPECT_EQ(out.vmask, 1);
    // a +-1 factor is free, and keeps the other's structure
    const ccx_lax neg = constant(1, -1.0);
    EXPECT_EQ(ccx_lax_mul(&neg, &ew, &n4, &n4, &n4, &out), 0);
    EXPECT_EQ(out.kind, CCX_LAX_DATA);
    EXPECT_EQ(ccx_lax_mul(&neg, &neg, &n4, &n4, &n4, &out), 0);
    EXPECT_EQ(out.kind, CCX_LAX_CONST);
    EXPECT_EQ(out.c, 1.0);
    // a constant 2 (1 + 1 summed) scales every entry of the result
    const ccx_lax two = constant(1, 2.0);
    EXPECT_EQ(ccx_lax_mul(&two, &ew, &n4, &n4, &n4, &out), 4);
    // dense (3,) <- (4,) times an elementwise (4,): 12
    const ccx_lax dn = data(0, 1 | 4);
    EXPECT_EQ(ccx_lax_mul(&dn, &ew, &m3, &n4, &n4, &out), 12);
    EXPECT_EQ(out.pair, 0);
    EXPECT_EQ(out.vmask, 1 | 4);
    // reduce_sum (scalar <- (4,), 1.0 along its own label) after an elementwise:
    // the sum is an einsum reduction, no multiplication; the result holds the values
    const ccx_lax red = constant(0, 1.0);
    EXPECT_EQ(ccx_lax_mul(&red, &ew, &s0, &n4, &n4, &out), 0);
    EXPECT_EQ(out.kind, CCX_LAX_DATA);
    EXPECT_EQ(out.vmask, 4); // over the source's own label
    // a broadcast scalar -> (4,) (1.0) after reduce_sum: constant along every label
    // of a J axis in neither array: the sum of 4 equal terms
    const ccx_lax bc = constant(0, 1.0);
    EXPECT_EQ(ccx_lax_mul(&red, &bc, &s0, &n4, &s0, &out), 0);
    EXPECT_EQ(out.kind, CCX_LAX_CONST);
    EXPECT_EQ(out.c, 4.0);
    // zero stays zero
    const ccx_lax z = ccx_lax_make(CCX_LAX_ZERO, 0, 0, 0.0);
    EXPECT_EQ(ccx_lax_mul(&z, &dn, &m3, &n4, &n4, &out), 0);
    EXPECT_EQ(out.kind, CCX_LAX_ZERO);
    // scalars: data x data costs 1, a literal factor 1, +-1 and constant x constant nothing
    const ccx_lax sd = data(0, 0), s3 = constant(0, 3.0), s1 = constant(0, -1.0);
    EXPECT_EQ(ccx_lax_mul(&sd, &sd, &s0, &s0, &s0, &out), 1);
    EXPECT_EQ(ccx_lax_mul(&s3, &sd, &s0, &s0, &s0, &out), 1);
    EXPECT_EQ(ccx_lax_mul(&s1, &sd, &s0, &s0, &s0, &out), 0);
    EXPECT_EQ(ccx_lax_mul(&s3, &s3, &s0, &s0, &s0, &out), 0);
    EXPECT_EQ(out.c, 9.0);
}

TEST(RealCost, SumsByHand) {
    // two +-1 diagonals sum to a constant diagonal
    const ccx_lax a = constant(1, 1.0), b = constant(1, -1.0);
    ccx_lax s = ccx_lax_acc(&a, &b, 1);
    EXPECT_EQ(s.kind, CCX_LAX_CONST);
    EXPECT_EQ(s.c, 0.0);
    EXPECT_EQ(s.pair, 1);
    // a diagonal and a dense block: the pair is broken, values over both labels
    const ccx_lax dn = data(0, 1 | 4);
    s = ccx_lax_acc(&a, &dn, 1);
    EXPECT_EQ(s.kind, CCX_LAX_DATA);
    EXPECT_EQ(s.pair, 0);
    EXPECT_EQ(s.vmask, 1 | 4);
    // nothing + x = x
    const ccx_lax none = ccx_lax_make(CCX_LAX_NONE, 0, 0, 0.0);
    s = ccx_lax_acc(&none, &dn, 1);
    EXPECT_EQ(s.vmask, dn.vmask);
}

TEST(RealCost, TinyGraphByHand) {
    GraphPtr g = parse_task(kTiny);
    ASSERT_TRUE(g);
    g->cost_model = CCX_COST_REAL;
    // forward: v1: (x0|x1 -> v2) data x data 2, (-> v3) a +1 partial: free; v2: 2 more
    EXPECT_EQ(cost_of(g.get(), {1, 2}), 4);
    // reverse: v2: v1 -> v4 1 (v1 -> v3 gains data); v1: 4 data x data pairs
    EXPECT_EQ(cost_of(g.get(), {2, 1}), 5);
    ccx_baselines b;
    ccx_error err;
    ASSERT_EQ(ccx_baselines_compute(g.get(), &b, &err), 0) << err.msg;
    EXPECT_EQ(b.forward, 4);
    EXPECT_EQ(b.reverse, 5);
    g->cost_model = CCX_COST_ALPHAGRAD;
    EXPECT_EQ(cost_of(g.get(), {1, 2}), 8);
    EXPECT_EQ(cost_of(g.get(), {2, 1}), 6);
}

// The scalar rule is what the scalar code generator counts as the
// multiplications it leaves to run time (a separate walk over its plan).
TEST(RealCost, ScalarEqualsCodegenCount) {
    ccx_rng rng;
    ccx_rng_seed(&rng, 7);
    int checked = 0;
    for (int prog = 0; prog < 40; prog++) {
        ccx_gen_params p;
        ccx_gen_defaults(&p);
        p.n_inputs = 2 + prog % 4;
        p.n_intermediates = 6 + prog % 25;
        p.n_outputs = 1 + prog % 3;
        p.seed = 1000 + prog;
        ccx_error err;
        char *text = ccx_gen_task(&p, &err);
        ASSERT_NE(text, nullptr) << err.msg;
        GraphPtr g = parse_task(text, &err);
        free(text);
        ASSERT_TRUE(g) << err.msg;
        for (int t = 0; t < 25; t++) {
            std::vector<int32_t> o = random_order(g.get(), &rng);
            g->cost_model = CCX_COST_ALPHAGRAD;
            ccx_jac_plan plan;
            ASSERT_EQ(ccx_jac_plan_build(g.get(), o.data(), (int)o.size(), &plan, &err), 0) << err.msg;
            ccx_codegen_opts opts = {CCX_LANG_C, nullptr, nullptr};
            ccx_codegen_stats st;
            FILE *sink = fopen("/dev/null", "w");
            ASSERT_NE(sink, nullptr);
            ASSERT_EQ(ccx_codegen_write(&plan, &opts, sink, &st, &err), 0) << err.msg;
            fclose(sink);
            ccx_jac_plan_free(&plan);
            g->cost_model = CCX_COST_REAL;
            ASSERT_EQ(cost_of(g.get(), o), st.acc_nonconstant) << "program " << prog << " order " << t;
            checked++;
        }
    }
    EXPECT_EQ(checked, 1000);
}

// Every tensor program of the generator has real-model partials, and a state
// saved and loaded replays to the same cost (snapshots carry the edges).
TEST(RealCost, TensorProgramsPlayAndSnapshot) {
    ccx_rng rng;
    ccx_rng_seed(&rng, 11);
    for (int prog = 0; prog < 20; prog++) {
        ccx_tensor_gen_params p;
        ccx_tensor_gen_defaults(&p);
        p.seed = 500 + prog;
        p.n_intermediates = 10 + prog;
        ccx_error err;
        GraphPtr g(ccx_tensor_gen(&p, &err));
        ASSERT_TRUE(g) << err.msg;
        g->cost_model = CCX_COST_REAL;
        std::vector<int32_t> o = random_order(g.get(), &rng);
        ccx_game game;
        ASSERT_EQ(ccx_game_init(&game, g.get(), &err), 0) << err.msg;
        EXPECT_TRUE(game.order_dependent);
        const size_t half = o.size() / 2;
        for (size_t i = 0; i < half; i++) ccx_game_step(&game, o[i]);
        std::vector<unsigned char> snap(ccx_game_state_size(&game));
        ccx_game_save(&game, snap.data());
        for (size_t i = half; i < o.size(); i++) ccx_game_step(&game, o[i]);
        const int64_t full = game.cost;
        ccx_game_load(&game, snap.data());
        for (size_t i = half; i < o.size(); i++) ccx_game_step(&game, o[i]);
        EXPECT_EQ(game.cost, full);
        EXPECT_EQ(cost_of(g.get(), o), full);
        ccx_game_free(&game);
    }
}

TEST(RealCost, OrderFilesCarryTheirModel) {
    GraphPtr g = parse_task(kTiny);
    ASSERT_TRUE(g);
    ccx_error err;
    int32_t rev[] = {2, 1};
    ccx_order_file f;
    g->cost_model = CCX_COST_REAL;
    ASSERT_EQ(ccx_order_make(g.get(), rev, 2, "reverse", &f, &err), 0) << err.msg;
    EXPECT_EQ(f.cost, 5);
    EXPECT_EQ(f.cost_model, CCX_COST_REAL);
    char *json = ccx_order_to_json(&f);
    ASSERT_NE(json, nullptr);
    EXPECT_NE(std::string(json).find("\"cost_model\": \"real\""), std::string::npos) << json;
    ccx_order_file back;
    ASSERT_EQ(ccx_order_parse(json, &back, &err), 0) << err.msg;
    free(json);
    EXPECT_EQ(back.cost_model, CCX_COST_REAL);
    int64_t c = -1;
    EXPECT_EQ(ccx_order_check(g.get(), &back, &c, &err), 0) << err.msg;
    EXPECT_EQ(c, 5);
    // read under the other model: refused, both named
    g->cost_model = CCX_COST_ALPHAGRAD;
    EXPECT_NE(ccx_order_check(g.get(), &back, &c, &err), 0);
    std::string m = err.msg;
    EXPECT_NE(m.find("priced under the real cost model"), std::string::npos) << m;
    EXPECT_NE(m.find("prices under alphagrad"), std::string::npos) << m;
    // a file without a model is AlphaGrad's
    back.cost_model = -1;
    back.cost = 6;
    EXPECT_EQ(ccx_order_check(g.get(), &back, &c, &err), 0) << err.msg;
    g->cost_model = CCX_COST_REAL;
    EXPECT_NE(ccx_order_check(g.get(), &back, &c, &err), 0);
    // its order alone is priced afresh
    ccx_order_forget_price(&back);
    EXPECT_EQ(ccx_order_check(g.get(), &back, &c, &err), 0) << err.msg;
    EXPECT_EQ(c, 5);
    ccx_order_file_free(&back);
    ccx_order_file_free(&f);
    // a misspelt model in a file names the choices
    EXPECT_NE(ccx_order_parse("{\"order\": [2, 1], \"cost_model\": \"rael\"}", &back, &err), 0);
    EXPECT_NE(std::string(err.msg).find("\"alphagrad\" or \"real\""), std::string::npos) << err.msg;
}

TEST(RealCost, ModelNamesParse) {
    ccx_cost_model m;
    EXPECT_EQ(ccx_cost_model_parse("real", &m), 0);
    EXPECT_EQ(m, CCX_COST_REAL);
    EXPECT_EQ(ccx_cost_model_parse("alphagrad", &m), 0);
    EXPECT_EQ(m, CCX_COST_ALPHAGRAD);
    EXPECT_NE(ccx_cost_model_parse("Real", &m), 0);
    EXPECT_STREQ(ccx_cost_model_name(CCX_COST_REAL), "real");
}

namespace {

// The least real cost over every order (graphs with few intermediates).
int64_t exhaustive_real(const ccx_graph *g) {
    std::vector<int32_t> o;
    for (int k = 1; k <= g->n_vertices; k++)
        if (!g->vertices[k - 1].is_output) o.push_back(k);
    int64_t best = -1;
    do {
        int64_t c = cost_of(g, o);
        if (best < 0 || c < best) best = c;
    } while (std::next_permutation(o.begin(), o.end()));
    return best;
}

}  // namespace

// The real bound holds on every order of random scalar and tensor programs
// (exhaustive search), and is not always 0.
TEST(RealCost, LowerBoundHoldsAgainstExhaustiveSearch) {
    int positive = 0, graphs = 0;
    for (int prog = 0; prog < 60; prog++) {
        ccx_error err;
        GraphPtr g;
        if (prog % 2 == 0) {
            ccx_gen_params p;
            ccx_gen_defaults(&p);
            p.n_inputs = 2 + prog % 3;
            p.n_intermediates = 3 + prog % 5;
            p.n_outputs = 1 + prog % 2;
            p.seed = 77 + prog;
            char *text = ccx_gen_task(&p, &err);
            ASSERT_NE(text, nullptr) << err.msg;
            g = parse_task(text, &err);
            free(text);
        } else {
            ccx_tensor_gen_params p;
            ccx_tensor_gen_defaults(&p);
            p.seed = 77 + prog;
            p.n_intermediates = 3 + prog % 5;
            g = GraphPtr(ccx_tensor_gen(&p, &err));
        }
        ASSERT_TRUE(g) << err.msg;
        g->cost_model = CCX_COST_REAL;
        const int64_t lb = ccx_bound_real(g.get(), nullptr, &err);
        ASSERT_GE(lb, 0) << err.msg;
        const int64_t opt = exhaustive_real(g.get());
        EXPECT_LE(lb, opt) << "program " << prog;
        EXPECT_EQ(ccx_bound_graph_pairs(g.get(), nullptr, &err), lb);
        positive += lb > 0;
        graphs++;
    }
    EXPECT_EQ(graphs, 60);
    EXPECT_GT(positive, 10);
}
