// Graph files (io/graph_file.h): round trips of both graph kinds, and every
// kind of bad input refused with the file and the JSON path of the entry.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "tensor_ref.h"
#include "test_util.h"

extern "C" {
#include "io/graph_file.h"
#include "jac/codegen.h"
}

namespace {

GraphPtr parse(const std::string &text, ccx_error *err, const char *name = "t.graph.json") {
    return GraphPtr(ccx_graph_file_parse(text.data(), text.size(), name, err));
}

std::string hash(const ccx_graph *g) {
    char h[65];
    ccx_graph_sha256(g, h);
    return h;
}

std::string to_json(const ccx_graph *g) {
    char *t = ccx_graph_file_to_json(g);
    std::string s = t ? t : "";
    free(t);
    return s;
}

// A valid little tensor graph: x1 [4] -> v1 sin -> v2 = v1 . x2 (dot) -> output.
const char *kGood = R"({"format": "ccx-graph", "version": 1, "task": "tiny",
 "inputs": [{"name": "a", "shape": [4]}, {"name": "b", "shape": [4]}],
 "vertices": [{"prim": "sin", "shape": [4], "operands": ["x1"]},
              {"prim": "dot_general", "shape": [], "operands": ["v1", "x2"]}],
 "outputs": [{"vertex": "v2", "name": "y"}],
 "edges": [["x1", "v1", 6, 4, 1, 4, 1], ["v1", "v2", 1, 1, 1, 4, 1], ["x2", "v2", 1, 1, 1, 4, 1]]})";

TEST(GraphFile, ReadsATensorGraph) {
    ccx_error err;
    GraphPtr g = parse(kGood, &err);
    ASSERT_TRUE(g) << err.msg;
    EXPECT_TRUE(g->tensor);
    EXPECT_FALSE(g->evaluable);
    EXPECT_STREQ(g->task_name, "tiny");
    EXPECT_EQ(g->n_edges, 3);
    EXPECT_EQ(g->input_shapes[0].rank, 1);
    EXPECT_EQ(g->vertices[1].shape.rank, 0);
    EXPECT_STREQ(ccx_vertex_prim(&g->vertices[1]), "dot_general");
    ccx_baselines b;
    ASSERT_EQ(ccx_baselines_compute(g.get(), &b, &err), 0);
    // eliminating v1: pair (x1 -> v1: 6, v1 -> v2: 1) costs |s| * |p| = 1 * 4
    EXPECT_EQ(b.forward, 4);
    EXPECT_EQ(ccx_graph_require_evaluable(g.get(), "ccx jacobian", &err), -1);
    EXPECT_NE(std::string(err.msg).find("tensor graph"), std::string::npos);
}

// NaN and inf literals (JSON has no such numbers: "lit:nan", "lit:-inf") are
// numbers like any other, distinct from an array constant whose values the
// file leaves out ("const"); both survive a write and a read, and only the
// array constant stops the JAX code generator, naming the vertex's line.
TEST(GraphFile, NonFiniteLiteralsAreNotArrayConstants) {
    const char *text = R"({"format": "ccx-graph", "version": 1, "task": "lits",
 "inputs": [{"name": "a", "shape": [4]}],
 "vertices": [{"prim": "max", "shape": [4], "operands": ["x1", "lit:-inf"]},
              {"prim": "select_n", "shape": [4], "operands": [1, "v1", "lit:nan"], "source": "m.py:3"},
              {"prim": "mul", "shape": [4], "operands": ["v2", "const"], "source": "m.py:4"}],
 "outputs": [{"vertex": "v3", "name": "y"}],
 "edges": [["x1", "v1", 6, 4, 1, 4, 1], ["v1", "v2", 6, 4, 1, 4, 1], ["v2", "v3", 6, 4, 1, 4, 1]]})";
    ccx_error err;
    GraphPtr g = parse(text, &err);
    ASSERT_TRUE(g) << err.msg;
    for (int pass = 0; pass < 2; pass++) {
        SCOPED_TRACE(pass ? "after a write and a read" : "as read");
        const ccx_operand *inf = ccx_vertex_operand(&g->vertices[0], 1);
        EXPECT_EQ(inf->node, CCX_OPERAND_LITERAL);
        EXPECT_TRUE(std::isinf(inf->constant) && inf->constant < 0);
        const ccx_operand *nan = ccx_vertex_operand(&g->vertices[1], 2);
        EXPECT_EQ(nan->node, CCX_OPERAND_LITERAL);
        EXPECT_TRUE(std::isnan(nan->constant));
        EXPECT_EQ(ccx_vertex_operand(&g->vertices[2], 1)->node, CCX_OPERAND_ARRAY_CONST);
        EXPECT_EQ(ccx_codegen_tensor_check(g.get(), &err), -1);
        EXPECT_NE(std::string(err.msg).find("v3 (mul at m.py:4) uses an array constant"),
                  std::string::npos) << err.msg;
        if (pass == 0) {
            std::string json = to_json(g.get());
            EXPECT_NE(json.find("\"lit:nan\""), std::string::npos) << json;
            EXPECT_NE(json.find("\"lit:-inf\""), std::string::npos) << json;
            g = parse(json, &err);
            ASSERT_TRUE(g) << err.msg;
        }
    }
    // without the array constant, the generator takes the NaN literal
    g->vertices[2].operands[1] = ccx_operand{CCX_OPERAND_LITERAL, 2.0};
    EXPECT_EQ(ccx_codegen_tensor_check(g.get(), &err), 0) << err.msg;
}

// An input that is not floating point ("dtype": "int32") has no derivative:
// the game plays as before, the dtype survives a round trip, and everything
// that evaluates the function refuses the graph naming the input, rather
// than feed an integer input floats (a float32 dtype changes nothing).
TEST(GraphFile, IntegerInputsAreKeptAndRefusedByEvaluators) {
    const char *text = R"({"format": "ccx-graph", "version": 1, "task": "ints",
 "inputs": [{"name": "x", "shape": [], "dtype": "float32"}, {"name": "n", "shape": [], "dtype": "int32"}],
 "vertices": [{"prim": "sin", "shape": [], "operands": ["x1"]},
              {"prim": "mul", "shape": [], "operands": ["v1", "x2"]}],
 "outputs": [{"vertex": "v2", "name": "y"}],
 "edges": [["x1", "v1", 1, 1, 1, 1, 1], ["v1", "v2", 1, 1, 1, 1, 1]]})";
    ccx_error err;
    GraphPtr g = parse(text, &err);
    ASSERT_TRUE(g) << err.msg;
    for (int pass = 0; pass < 2; pass++) {
        SCOPED_TRACE(pass ? "after a write and a read" : "as read");
        ASSERT_TRUE(g->input_dtypes);
        EXPECT_EQ(g->input_dtypes[0], nullptr);
        EXPECT_STREQ(g->input_dtypes[1], "int32");
        EXPECT_FALSE(g->evaluable);
        ccx_baselines bl;
        ASSERT_EQ(ccx_baselines_compute(g.get(), &bl, &err), 0) << err.msg;
        EXPECT_EQ(bl.forward, 1);
        EXPECT_EQ(ccx_graph_require_evaluable(g.get(), "ccx jacobian", &err), -1);
        EXPECT_NE(std::string(err.msg).find("input x2 (n) is int32"), std::string::npos) << err.msg;
        EXPECT_EQ(ccx_codegen_tensor_check(g.get(), &err), -1);
        EXPECT_NE(std::string(err.msg).find("input x2 (n) is int32"), std::string::npos) << err.msg;
        if (pass == 0) {
            std::string json = to_json(g.get());
            EXPECT_EQ(json.find("float32"), std::string::npos) << json;  // floats need no mark
            g = parse(json, &err);
            ASSERT_TRUE(g) << err.msg;
        }
    }
    EXPECT_EQ(parse(std::string(text).replace(std::string(text).find("\"int32\""), 7, "7"), &err), nullptr);
    EXPECT_NE(std::string(err.msg).find("$.inputs[1].dtype"), std::string::npos) << err.msg;
}

// task file -> graph file -> graph: the same graph (hash, evaluable, values)
TEST(GraphFile, TaskFileRoundTripIsTheSameGraph) {
    for (const char *t : {"RoeFlux_1d", "RobotArm_6DOF"}) {
        GraphPtr a = load_task(t);
        ASSERT_TRUE(a);
        std::string text = to_json(a.get());
        ccx_error err;
        GraphPtr b = parse(text, &err, "RoeFlux_1d.graph.json");
        ASSERT_TRUE(b) << err.msg;
        EXPECT_EQ(hash(a.get()), hash(b.get()));
        EXPECT_TRUE(b->evaluable);
        EXPECT_FALSE(b->tensor);
        EXPECT_EQ(to_json(b.get()), text) << "writing is a fixed point";
        std::vector<double> in(a->n_inputs), va(ccx_graph_n_nodes(a.get())), vb(va.size());
        for (int i = 0; i < a->n_inputs; i++) in[i] = 0.9 + 0.05 * i;
        int bad = 0;
        int ra = ccx_graph_eval(a.get(), in.data(), va.data(), &bad);
        EXPECT_EQ(ccx_graph_eval(b.get(), in.data(), vb.data(), &bad), ra);
        for (size_t i = 0; i < va.size(); i++)
            if (!std::isnan(va[i])) EXPECT_EQ(va[i], vb[i]);
        for (int k = 0; k < a->n_outputs; k++) EXPECT_STREQ(a->output_names[k], b->output_names[k]);
    }
}

// AlphaGrad JSON -> ccx graph file -> graph: same records and figures
TEST(GraphFile, AlphaGradGraphRoundTrip) {
    for (const char *t : {"RoeFlux_3d", "BlackScholes_Jacobian", "Encoder", "f"}) {
        GraphPtr a = load_alphagrad(t);
        ASSERT_TRUE(a);
        ccx_error err;
        GraphPtr b = parse(to_json(a.get()), &err);
        ASSERT_TRUE(b) << t << ": " << err.msg;
        EXPECT_EQ(hash(a.get()), hash(b.get()));
        EXPECT_STREQ(b->task_name, t);
        ASSERT_EQ(a->n_edges, b->n_edges);
        for (int i = 0; i < a->n_edges; i++) {
            EXPECT_EQ(a->edges[i].type, b->edges[i].type);
            EXPECT_EQ(a->edges[i].primal_d[1], b->edges[i].primal_d[1]);
        }
        EXPECT_NE(std::string(b->origin ? b->origin : "").find("AlphaGrad"), std::string::npos);
    }
}

struct BadCase {
    const char *what;
    std::string text;
    const char *needle;  // must occur in the message
};

std::string good_with(const std::string &from, const std::string &to) {
    std::string s = kGood;
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
}

TEST(GraphFile, BadInputNamesTheEntry) {
    const std::string good = kGood;
    std::vector<BadCase> cases = {
        {"unknown type", good_with("[\"x1\", \"v1\", 6,", "[\"x1\", \"v1\", 13,"),
         "$.edges[0][2]: unknown sparsity type 13"},
        {"type 0", good_with("[\"x1\", \"v1\", 6,", "[\"x1\", \"v1\", 0,"), "$.edges[0][2]"},
        {"zero dim", good_with("[\"x2\", \"v2\", 1, 1, 1, 4, 1]", "[\"x2\", \"v2\", 1, 1, 1, 0, 1]"),
         "$.edges[2][5]: dim 0"},
        {"negative dim", good_with("[\"x1\", \"v1\", 6, 4, 1, 4, 1]", "[\"x1\", \"v1\", 6, 4, -1, 4, 1]"),
         "$.edges[0][4]: dim -1"},
        {"missing vertex", good_with("[\"v1\", \"v2\", 1,", "[\"v1\", \"v9\", 1,"),
         "$.edges[1][1]: \"v9\" is not a node"},
        {"edge into an input", good_with("[\"x2\", \"v2\",", "[\"v2\", \"x2\","), "$.edges[2]"},
        {"cycle", good_with("[\"x2\", \"v2\", 1, 1, 1, 4, 1]", "[\"v2\", \"v1\", 6, 4, 1, 1, 1]"),
         "cycle"},
        {"out dims vs shape", good_with("[\"x1\", \"v1\", 6, 4, 1,", "[\"x1\", \"v1\", 6, 3, 1,"),
         "$.edges[0]: edge x1 -> v1: out dims (3, 1) disagree with v1's shape"},
        {"primal dims vs shape", good_with("[\"x2\", \"v2\", 1, 1, 1, 4, 1]", "[\"x2\", \"v2\", 1, 1, 1, 2, 2]"),
         "$.edges[2]: edge x2 -> v2: primal dims (2, 2) disagree with x2's shape"},
        {"duplicate", good_with("[\"x2\", \"v2\", 1, 1, 1, 4, 1]",
                                "[\"x2\", \"v2\", 1, 1, 1, 4, 1], [\"x2\", \"v2\", 1, 1, 1, 4, 1]"),
         "$.edges[3]: edge x2 -> v2 appears twice"},
        {"rank 3", good_with("\"shape\": [4]}, {\"name\": \"b\"", "\"shape\": [4, 1, 1]}, {\"name\": \"b\""),
         "$.inputs[0].shape: rank-3 arrays are not supported"},
        {"zero vertex dim", good_with("\"prim\": \"sin\", \"shape\": [4]", "\"prim\": \"sin\", \"shape\": [0]"),
         "$.vertices[0].shape[0]"},
        {"forward operand", good_with("\"operands\": [\"x1\"]", "\"operands\": [\"v2\"]"),
         "$.vertices[0].operands[0]"},
        {"unknown key", good_with("\"task\": \"tiny\"", "\"tsak\": \"tiny\""), "$.tsak: unknown key"},
        {"bad version", good_with("\"version\": 1", "\"version\": 2"), "$.version"},
        {"no edges", good_with(",\n \"edges\": [[\"x1\", \"v1\", 6, 4, 1, 4, 1], [\"v1\", \"v2\", 1, 1, 1, 4, 1], [\"x2\", \"v2\", 1, 1, 1, 4, 1]]", ""),
         "$.edges: required"},
        {"output twice", good_with("[{\"vertex\": \"v2\", \"name\": \"y\"}]", "[\"v2\", \"v2\"]"),
         "$.outputs[1]"},
        {"truncated", good.substr(0, good.size() / 2), "t.graph.json:"},
        {"not an object", "[1, 2]", "$: a graph file is a JSON object"},
        {"neither format", "{\"a\": 1}", "neither a ccx graph file"},
    };
    for (const BadCase &c : cases) {
        ccx_error err;
        ccx_error_clear(&err);
        GraphPtr g = parse(c.text, &err);
        EXPECT_FALSE(g) << c.what;
        char buf[1024];
        std::string msg = ccx_error_format(&err, buf, sizeof buf);
        EXPECT_NE(msg.find(c.needle), std::string::npos) << c.what << ": " << msg;
        EXPECT_NE(msg.find("t.graph.json"), std::string::npos) << c.what << ": " << msg;
    }
    // a truncated file says where (line:col) and that it ended early
    ccx_error err;
    GraphPtr g = parse(good.substr(0, 60), &err);
    EXPECT_FALSE(g);
    EXPECT_GT(err.line, 0);
    EXPECT_NE(std::string(err.msg).find("truncated"), std::string::npos) << err.msg;
}

TEST(GraphFile, BadAlphaGradTensorsAreRefused) {
    std::string f = slurp(data_path("alphagrad/Perceptron.json"));
    ASSERT_FALSE(f.empty());
    ccx_error err;
    EXPECT_TRUE(parse(f, &err)) << err.msg;
    // n_in in the header that does not fit the rows
    std::string bad = f;
    size_t at = bad.find("\"edges\":[[[8,");
    ASSERT_NE(at, std::string::npos);
    bad.replace(at, 14, "\"edges\":[[[9,");
    EXPECT_FALSE(parse(bad, &err));
    EXPECT_NE(std::string(err.msg).find("$.edges[0][0][0]: n_in = 9"), std::string::npos) << err.msg;
    // a tensor that is not [5][..][..]
    EXPECT_FALSE(parse("{\"edges\": [[[1]]]}", &err));
    EXPECT_NE(std::string(err.msg).find("$.edges"), std::string::npos) << err.msg;
}

}  // namespace

// A graph file whose edge list is empty (found by the graph fuzzer: the
// duplicate-edge check copied from a NULL edge array, undefined behaviour
// that UBSan reports in the sanitizer build): it reads as a graph without
// edges.
TEST(GraphFile, AnEmptyEdgeListReads) {
    ccx_error err;
    GraphPtr g = parse("{\"format\":\"ccx-graph\",\"version\":1,\"inputs\":[{\"name\":\"a\","
                       "\"shape\":[4]}],\"vertices\":[{\"prim\":\"sin\",\"shape\":[8],"
                       "\"operands\":[\"x1\"]}],\"outputs\":[\"v1\"],\"edges\":[]}",
                       &err);
    ASSERT_TRUE(g) << err.msg;
    EXPECT_EQ(g->n_edges, 0);
}
