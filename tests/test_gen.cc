// Random task generator (host/lang/gen.c) and `ccx gen` (host/cli/cmd_gen.c).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

extern "C" {
#include "cli/cli.h"
#include "game/game.h"
#include "graph/graph.h"
#include "graph/ops.h"
#include "lang/gen.h"
#include "lang/task.h"
}

namespace {

struct Size {
    int inputs, intermediates, outputs;
};

const Size kSizes[] = {
    {1, 0, 1}, {4, 20, 2}, {3, 1, 5}, {1, 50, 1}, {10, 200, 7}, {50, 1000, 20}, {200, 30, 3},
};
const uint64_t kSeeds[] = {0, 1, 42, 123456789ull, 0xFFFFFFFFFFFFFFFFull};

std::string Generate(const ccx_gen_params &p) {
    ccx_error err;
    ccx_error_clear(&err);
    char *text = ccx_gen_task(&p, &err);
    EXPECT_NE(text, nullptr) << err.msg;
    if (!text) return std::string();
    std::string s(text);
    free(text);
    return s;
}

ccx_gen_params Params(const Size &s, uint64_t seed, const char *ops = nullptr) {
    ccx_gen_params p;
    ccx_gen_defaults(&p);
    p.n_inputs = s.inputs;
    p.n_intermediates = s.intermediates;
    p.n_outputs = s.outputs;
    p.seed = seed;
    if (ops) {
        ccx_error err;
        ccx_error_clear(&err);
        EXPECT_EQ(ccx_gen_parse_ops(ops, &p, &err), 0) << ops << ": " << err.msg;
    }
    return p;
}

struct GraphDeleter {
    void operator()(ccx_graph *g) const { ccx_graph_free(g); }
};
using GraphPtr = std::unique_ptr<ccx_graph, GraphDeleter>;

GraphPtr Parse(const std::string &text) {
    ccx_error err;
    ccx_error_clear(&err);
    ccx_graph *g = ccx_task_parse(text.data(), text.size(), "gen.ccx", &err);
    char buf[1024];
    EXPECT_NE(g, nullptr) << ccx_error_format(&err, buf, sizeof buf) << "\n" << text.substr(0, 2000);
    return GraphPtr(g);
}

// Out-degree of every node (inputs and vertices), from the edge list.
std::vector<int> OutDegrees(const ccx_graph *g) {
    std::vector<int> out(ccx_graph_n_nodes(g), 0);
    for (int e = 0; e < g->n_edges; e++) out[g->edges[e].src]++;
    return out;
}

void CheckCountsAndOutputs(const ccx_graph *g, const Size &s) {
    ASSERT_EQ(g->n_inputs, s.inputs);
    ASSERT_EQ(g->n_vertices, s.intermediates + s.outputs);
    ASSERT_EQ(g->n_outputs, s.outputs);
    ASSERT_EQ(ccx_graph_n_intermediates(g), s.intermediates);
    // The outputs are the last n_outputs vertices, in order.
    for (int i = 0; i < s.outputs; i++) EXPECT_EQ(g->outputs[i], s.intermediates + 1 + i);
    for (int k = 1; k <= g->n_vertices; k++)
        EXPECT_EQ(g->vertices[k - 1].is_output, k > s.intermediates ? 1 : 0) << "vertex " << k;
}

// By construction: every intermediate has a successor; outputs have none
// (operands are drawn from inputs and intermediates only).
void CheckSuccessors(const ccx_graph *g) {
    std::vector<int> deg = OutDegrees(g);
    int n_mid = ccx_graph_n_intermediates(g);
    for (int k = 1; k <= g->n_vertices; k++) {
        int node = ccx_node_of_vertex(g, k);
        if (k <= n_mid)
            EXPECT_GE(deg[node], 1) << "intermediate vertex " << k << " has no successor";
        else
            EXPECT_EQ(deg[node], 0) << "output vertex " << k << " has a successor";
    }
}

}  // namespace

TEST(Gen, ParsesIntoRequestedCounts) {
    for (const Size &s : kSizes) {
        for (uint64_t seed : kSeeds) {
            SCOPED_TRACE(::testing::Message() << "inputs=" << s.inputs << " intermediates="
                                              << s.intermediates << " outputs=" << s.outputs
                                              << " seed=" << seed);
            std::string text = Generate(Params(s, seed));
            GraphPtr g = Parse(text);
            ASSERT_TRUE(g);
            CheckCountsAndOutputs(g.get(), s);
        }
    }
}

TEST(Gen, HeaderNamesTheParameters) {
    std::string text = Generate(Params({5, 7, 3}, 99, "add,mul:2.5,sin"));
    std::string first = text.substr(0, text.find('\n'));
    EXPECT_EQ(first.rfind("# ", 0), 0u) << first;
    for (const char *needle : {"inputs=5", "intermediates=7", "outputs=3", "seed=99", "add:1",
                               "mul:2.5", "sin:1"})
        EXPECT_NE(first.find(needle), std::string::npos) << needle << " not in: " << first;
}

TEST(Gen, EveryLineIsOneVertexWithVariableOperands) {
    // Each `vK = ...` line is vertex K, and all its operands are nodes.
    Size s{6, 300, 4};
    std::string text = Generate(Params(s, 5));
    GraphPtr g = Parse(text);
    ASSERT_TRUE(g);
    for (int k = 1; k <= g->n_vertices; k++) {
        const ccx_vertex &v = g->vertices[k - 1];
        for (int a = 0; a < v.n_args; a++) {
            EXPECT_GE(v.args[a].node, 0) << "vertex " << k << " has a constant operand";
            // Operands come strictly earlier.
            EXPECT_LT(v.args[a].node, ccx_node_of_vertex(g.get(), k));
        }
        if (v.name) {
            EXPECT_EQ(std::string(v.name), "v" + std::to_string(k));
        }
    }
}

TEST(Gen, SameSeedSameTextDifferentSeedDifferentText) {
    for (const Size &s : kSizes) {
        if (s.intermediates + s.outputs < 5) continue;  // tiny graphs may coincide
        std::string a = Generate(Params(s, 7));
        std::string b = Generate(Params(s, 7));
        std::string c = Generate(Params(s, 8));
        EXPECT_EQ(a, b);
        EXPECT_NE(a, c);
    }
    // A different op mix changes the text too.
    EXPECT_NE(Generate(Params({4, 20, 2}, 0)), Generate(Params({4, 20, 2}, 0, "add,mul")));
}

TEST(Gen, EveryIntermediateHasASuccessor) {
    const char *mixes[] = {
        nullptr,          // default mix
        "add",            // binary only
        "sin",            // unary only: forces chains
        "integer_pow,exp:3,add:0.1",
        "mul:5,neg,abs,sqrt,log,pow,atan2,min,max",
    };
    for (const char *mix : mixes) {
        for (const Size &s : kSizes) {
            for (uint64_t seed : {0ull, 3ull, 77ull}) {
                SCOPED_TRACE(::testing::Message() << "mix=" << (mix ? mix : "default")
                                                  << " inputs=" << s.inputs
                                                  << " intermediates=" << s.intermediates
                                                  << " outputs=" << s.outputs << " seed=" << seed);
                GraphPtr g = Parse(Generate(Params(s, seed, mix)));
                ASSERT_TRUE(g);
                CheckCountsAndOutputs(g.get(), s);
                CheckSuccessors(g.get());
            }
        }
    }
}

TEST(Gen, UsesOnlyAndAllOpsOfTheMix) {
    const char *spec = "add:3,mul:3,sin,tanh,logistic,integer_pow,atan2,max";
    ccx_gen_params p = Params({8, 2000, 4}, 11, spec);
    std::set<int> allowed(p.ops, p.ops + p.n_ops);
    GraphPtr g = Parse(Generate(p));
    ASSERT_TRUE(g);
    std::set<int> seen;
    for (int k = 1; k <= g->n_vertices; k++) {
        const ccx_vertex &v = g->vertices[k - 1];
        EXPECT_TRUE(allowed.count(v.op)) << "vertex " << k << " op " << ccx_op_get(v.op)->name;
        seen.insert(v.op);
        if (v.op == CCX_OP_INTEGER_POW) {
            EXPECT_TRUE(v.param == 2.0 || v.param == 3.0) << v.param;
        }
        EXPECT_EQ(v.n_args, ccx_op_get(v.op)->arity);
    }
    EXPECT_EQ(seen, allowed);
}

TEST(Gen, MostInputsAreUsed) {
    // Unused inputs are preferred (not guaranteed): with more vertices than
    // inputs nearly all of them should feed something.
    GraphPtr g = Parse(Generate(Params({20, 200, 5}, 1)));
    ASSERT_TRUE(g);
    std::vector<int> deg = OutDegrees(g.get());
    int used = 0;
    for (int i = 0; i < g->n_inputs; i++) used += deg[i] > 0;
    EXPECT_GE(used, 18);
}

TEST(Gen, BaselinesCompute) {
    for (const Size &s : kSizes) {
        if (s.inputs + s.intermediates + s.outputs > CCX_GAME_MAX_NODES) continue;
        for (uint64_t seed : {0ull, 9ull}) {
            GraphPtr g = Parse(Generate(Params(s, seed)));
            ASSERT_TRUE(g);
            ccx_baselines b;
            ccx_error err;
            ccx_error_clear(&err);
            ASSERT_EQ(ccx_baselines_compute(g.get(), &b, &err), 0) << err.msg;
            EXPECT_GE(b.forward, 0);
            EXPECT_GE(b.reverse, 0);
            EXPECT_GE(b.markowitz, 0);
            if (s.intermediates == 0) {
                EXPECT_EQ(b.forward, 0);
                EXPECT_EQ(b.reverse, 0);
                EXPECT_EQ(b.markowitz, 0);
            } else {
                // Every intermediate has a predecessor and a successor.
                EXPECT_GE(b.forward, s.intermediates);
                EXPECT_GE(b.reverse, s.intermediates);
                EXPECT_GE(b.markowitz, s.intermediates);
            }
        }
    }
}

TEST(Gen, ParseOpsAcceptsNamesWeightsAndAliases) {
    ccx_gen_params p;
    ccx_gen_defaults(&p);
    ccx_error err;
    ccx_error_clear(&err);
    ASSERT_EQ(ccx_gen_parse_ops("add,mul:2,sin", &p, &err), 0) << err.msg;
    ASSERT_EQ(p.n_ops, 3);
    EXPECT_EQ(p.ops[0], CCX_OP_ADD);
    EXPECT_EQ(p.ops[1], CCX_OP_MUL);
    EXPECT_EQ(p.ops[2], CCX_OP_SIN);
    EXPECT_DOUBLE_EQ(p.weights[0], 1.0);
    EXPECT_DOUBLE_EQ(p.weights[1], 2.0);
    EXPECT_DOUBLE_EQ(p.weights[2], 1.0);

    ASSERT_EQ(ccx_gen_parse_ops(" arcsin : 0.5 , sigmoid,integer_pow:1e-3 ", &p, &err), 0)
        << err.msg;
    ASSERT_EQ(p.n_ops, 3);
    EXPECT_EQ(p.ops[0], CCX_OP_ASIN);
    EXPECT_EQ(p.ops[1], CCX_OP_LOGISTIC);
    EXPECT_EQ(p.ops[2], CCX_OP_INTEGER_POW);
    EXPECT_DOUBLE_EQ(p.weights[0], 0.5);
    EXPECT_DOUBLE_EQ(p.weights[2], 1e-3);

    // Every canonical op name is accepted.
    for (int op = 0; op < CCX_OP_COUNT; op++) {
        const char *name = ccx_op_get((ccx_op)op)->name;
        ASSERT_EQ(ccx_gen_parse_ops(name, &p, &err), 0) << name << ": " << err.msg;
        EXPECT_EQ(p.ops[0], op);
    }
}

TEST(Gen, ParseOpsErrors) {
    struct Case {
        const char *spec, *needle;
    } cases[] = {
        {"", "empty"},
        {"add,,mul", "item 2"},
        {"add,", "item 2"},
        {"foo", "foo"},
        {"add,bogus:2", "bogus"},
        {"add:0", "weight"},
        {"add:-1", "weight"},
        {"add:x", "weight"},
        {"add:", "weight"},
        {"add:2:3", "weight"},
        {"add:inf", "weight"},
        {"add:nan", "weight"},
        {"add,mul,add", "twice"},
        {"arcsin,asin", "twice"},
        {":2", "name"},
    };
    for (const Case &c : cases) {
        ccx_gen_params p;
        ccx_gen_defaults(&p);
        ccx_gen_params before = p;
        ccx_error err;
        ccx_error_clear(&err);
        EXPECT_NE(ccx_gen_parse_ops(c.spec, &p, &err), 0) << "'" << c.spec << "' accepted";
        EXPECT_NE(std::string(err.msg).find(c.needle), std::string::npos)
            << "'" << c.spec << "': " << err.msg;
        // A failed parse leaves the params alone.
        EXPECT_EQ(memcmp(&p, &before, sizeof p), 0) << c.spec;
    }
}

TEST(Gen, ValidatesParams) {
    struct Case {
        void (*set)(ccx_gen_params *);
        const char *needle;
    } cases[] = {
        {[](ccx_gen_params *p) { p->n_inputs = 0; }, "n_inputs"},
        {[](ccx_gen_params *p) { p->n_inputs = 100001; }, "n_inputs"},
        {[](ccx_gen_params *p) { p->n_intermediates = -1; }, "n_intermediates"},
        {[](ccx_gen_params *p) { p->n_intermediates = 100001; }, "n_intermediates"},
        {[](ccx_gen_params *p) { p->n_outputs = 0; }, "n_outputs"},
        {[](ccx_gen_params *p) { p->n_outputs = 100001; }, "n_outputs"},
        {[](ccx_gen_params *p) { p->n_ops = 0; }, "n_ops"},
        {[](ccx_gen_params *p) { p->weights[0] = 0.0; }, "weights[0]"},
        {[](ccx_gen_params *p) { p->ops[1] = (ccx_op)CCX_OP_COUNT; }, "ops[1]"},
    };
    for (const Case &c : cases) {
        ccx_gen_params p;
        ccx_gen_defaults(&p);
        c.set(&p);
        ccx_error err;
        ccx_error_clear(&err);
        char *text = ccx_gen_task(&p, &err);
        EXPECT_EQ(text, nullptr);
        free(text);
        EXPECT_NE(std::string(err.msg).find(c.needle), std::string::npos) << err.msg;
    }
}

TEST(Gen, DefaultsAreTheDocumentedOnes) {
    ccx_gen_params p;
    ccx_gen_defaults(&p);
    EXPECT_EQ(p.n_inputs, 4);
    EXPECT_EQ(p.n_intermediates, 20);
    EXPECT_EQ(p.n_outputs, 2);
    EXPECT_EQ(p.seed, 0u);
    ASSERT_GE(p.n_ops, 2);
    double w_add = 0, w_mul = 0, w_max = 0;
    for (int i = 0; i < p.n_ops; i++) {
        if (p.ops[i] == CCX_OP_ADD) w_add = p.weights[i];
        if (p.ops[i] == CCX_OP_MUL) w_mul = p.weights[i];
        if (p.weights[i] > w_max) w_max = p.weights[i];
    }
    EXPECT_EQ(w_add, w_max);  // add and mul dominate the mix
    EXPECT_EQ(w_mul, w_max);
}

// ---------------------------------------------------------------- ccx gen --

namespace {

int RunGen(std::vector<std::string> args) {
    args.insert(args.begin(), "gen");
    std::vector<char *> argv;
    for (std::string &a : args) argv.push_back(&a[0]);
    argv.push_back(nullptr);
    return ccx_cmd_gen((int)args.size(), argv.data());
}

std::string TempPath(const char *stem) {
    const char *dir = getenv("TMPDIR");
    std::ostringstream os;
    os << (dir && *dir ? dir : "/tmp") << "/ccx_test_gen_" << getpid() << "_" << stem << ".ccx";
    return os.str();
}

std::string ReadFile(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream os;
    os << f.rdbuf();
    return os.str();
}

}  // namespace

TEST(GenCli, WritesTheSameTextAsTheLibrary) {
    std::string path = TempPath("out");
    ASSERT_EQ(RunGen({"--inputs", "3", "--intermediates=15", "--outputs", "2", "--ops",
                      "add,mul:2,cos", "--seed", "18446744073709551615", "-o", path}),
              CCX_EXIT_OK);
    std::string got = ReadFile(path);
    std::remove(path.c_str());
    ccx_gen_params p = Params({3, 15, 2}, 18446744073709551615ull, "add,mul:2,cos");
    EXPECT_EQ(got, Generate(p));
}

TEST(GenCli, HelpExitsZero) {
    testing::internal::CaptureStdout();
    int rc = RunGen({"--help"});
    std::string out = testing::internal::GetCapturedStdout();
    EXPECT_EQ(rc, CCX_EXIT_OK);
    EXPECT_NE(out.find("usage: ccx gen"), std::string::npos);
}

TEST(GenCli, BadFlagsExitTwoNamingTheFlag) {
    struct Case {
        std::vector<std::string> args;
        const char *needle;
    } cases[] = {
        {{"--inputs", "0"}, "--inputs"},
        {{"--inputs", "abc"}, "--inputs"},
        {{"--intermediates", "-1"}, "--intermediates"},
        {{"--outputs", "100001"}, "--outputs"},
        {{"--seed", "-3"}, "--seed"},
        {{"--seed", "18446744073709551616"}, "--seed"},
        {{"--ops", "add,nope"}, "--ops"},
        {{"--inputs"}, "--inputs"},
        {{"--frobnicate"}, "--frobnicate"},
        {{"-o"}, "-o"},
    };
    for (const Case &c : cases) {
        testing::internal::CaptureStderr();
        int rc = RunGen(c.args);
        std::string err = testing::internal::GetCapturedStderr();
        EXPECT_EQ(rc, CCX_EXIT_USAGE) << c.args[0];
        EXPECT_NE(err.find(c.needle), std::string::npos) << c.args[0] << ": " << err;
    }
}
