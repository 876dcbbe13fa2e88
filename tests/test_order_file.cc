// Order files: parsing (JSON and bare lists), errors, JSON round trip,
// atomic write/read, and checking against a graph.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "game/game.h"
#include "graph/graph.h"
#include "io/order_file.h"
#include "util/error.h"

namespace {

std::vector<int32_t> order_of(const ccx_order_file &f) {
    return std::vector<int32_t>(f.order, f.order + f.n_order);
}

// Parse text that must be accepted.
struct Parsed {
    ccx_order_file f;
    Parsed(const char *text) {
        ccx_error err;
        ccx_error_clear(&err);
        int rc = ccx_order_parse(text, &f, &err);
        EXPECT_EQ(rc, 0) << "text: " << text << "\nerror: " << err.msg;
    }
    ~Parsed() { ccx_order_file_free(&f); }
};

// Parse text that must be rejected; returns the message.
std::string parse_error(const char *text) {
    ccx_order_file f;
    ccx_error err;
    ccx_error_clear(&err);
    int rc = ccx_order_parse(text, &f, &err);
    EXPECT_NE(rc, 0) << "accepted: " << text;
    EXPECT_EQ(f.order, nullptr);
    EXPECT_EQ(f.task, nullptr);
    EXPECT_EQ(f.method, nullptr);
    ccx_order_file_free(&f);
    EXPECT_NE(err.msg[0], '\0') << "no message for: " << text;
    return err.msg;
}

// Inputs x0, x1; v1 = x0*x1; v2 = sin(v1); v3 = v1 + v2 (output);
// v4 = cos(v2) (output). Intermediates: 1 and 2.
//
// Edges: x0->v1, x1->v1, v1->v2, v1->v3, v2->v3, v2->v4.
// Forward [1, 2]: eliminate 1: P={x0,x1}, S={v2,v3}: 4; fill x0,x1 -> v2,v3.
//                 eliminate 2: P={x0,x1}, S={v3,v4}: 4.            total 8
// Reverse [2, 1]: eliminate 2: P={v1}, S={v3,v4}: 2; fill v1->v4.
//                 eliminate 1: P={x0,x1}, S={v3,v4}: 4.            total 6
// Markowitz: v1 has 2*2 = 4, v2 has 1*2 = 2 -> [2, 1]              total 6
ccx_graph *tiny_graph(const char *name = "tiny") {
    ccx_graph_builder *b = ccx_graph_builder_new();
    EXPECT_NE(b, nullptr);
    int32_t x0 = ccx_graph_builder_input(b, "x0");
    int32_t x1 = ccx_graph_builder_input(b, "x1");
    EXPECT_EQ(x0, 0);
    EXPECT_EQ(x1, 1);
    ccx_operand a1[2] = {{x0, 0.0}, {x1, 0.0}};
    int32_t v1 = ccx_graph_builder_vertex(b, CCX_OP_MUL, 2, a1, 0, 1, 1);
    ccx_operand a2[1] = {{v1, 0.0}};
    int32_t v2 = ccx_graph_builder_vertex(b, CCX_OP_SIN, 1, a2, 0, 2, 1);
    ccx_operand a3[2] = {{v1, 0.0}, {v2, 0.0}};
    int32_t v3 = ccx_graph_builder_vertex(b, CCX_OP_ADD, 2, a3, 0, 3, 1);
    ccx_operand a4[1] = {{v2, 0.0}};
    int32_t v4 = ccx_graph_builder_vertex(b, CCX_OP_COS, 1, a4, 0, 4, 1);
    EXPECT_EQ(v1, 2);
    EXPECT_EQ(v2, 3);
    EXPECT_EQ(v3, 4);
    EXPECT_EQ(v4, 5);
    EXPECT_EQ(ccx_graph_builder_output(b, v3, "y0"), 0);
    EXPECT_EQ(ccx_graph_builder_output(b, v4, "y1"), 0);
    ccx_error err;
    ccx_error_clear(&err);
    ccx_graph *g = ccx_graph_builder_finish(b, name, "", &err);
    EXPECT_NE(g, nullptr) << err.msg;
    return g;
}

struct GraphHolder {
    ccx_graph *g;
    GraphHolder() : g(tiny_graph()) {}
    ~GraphHolder() { ccx_graph_free(g); }
};

std::string temp_dir() {
    const char *t = std::getenv("TMPDIR");
    std::string base = t && *t ? t : "/tmp";
    std::string templ = base + "/ccx_order_test_XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    char *d = mkdtemp(buf.data());
    EXPECT_NE(d, nullptr);
    return d ? std::string(d) : base;
}

bool file_exists(const std::string &p) { return access(p.c_str(), F_OK) == 0; }

std::string slurp(const std::string &p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

const char *kHash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

}  // namespace

// ---------------------------------------------------------------- parsing JSON

TEST(OrderFile, ParsesJsonWithAllFields) {
    Parsed p(R"({
      "task": "RoeFlux_1d",
      "graph_sha256": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      "n_vertices": 101,
      "order": [3, 1, 2],
      "cost": 320,
      "method": "ppo",
      "baselines": {"forward": 620, "reverse": 364, "markowitz": 407}
    })");
    ASSERT_NE(p.f.task, nullptr);
    EXPECT_STREQ(p.f.task, "RoeFlux_1d");
    EXPECT_STREQ(p.f.graph_sha256, kHash);
    EXPECT_EQ(p.f.n_vertices, 101);
    EXPECT_EQ(order_of(p.f), (std::vector<int32_t>{3, 1, 2}));
    EXPECT_EQ(p.f.cost, 320);
    ASSERT_NE(p.f.method, nullptr);
    EXPECT_STREQ(p.f.method, "ppo");
    EXPECT_TRUE(p.f.has_baselines);
    EXPECT_EQ(p.f.baselines.forward, 620);
    EXPECT_EQ(p.f.baselines.reverse, 364);
    EXPECT_EQ(p.f.baselines.markowitz, 407);
}

TEST(OrderFile, JsonOptionalKeysAbsentAndUnknownKeysIgnored) {
    Parsed p("  \n{\"order\": [2, 1], \"comment\": {\"anything\": [1, \"x\"]}}\n");
    EXPECT_EQ(p.f.task, nullptr);
    EXPECT_STREQ(p.f.graph_sha256, "");
    EXPECT_EQ(p.f.n_vertices, -1);
    EXPECT_EQ(p.f.cost, -1);
    EXPECT_EQ(p.f.method, nullptr);
    EXPECT_FALSE(p.f.has_baselines);
    EXPECT_EQ(order_of(p.f), (std::vector<int32_t>{2, 1}));
}

TEST(OrderFile, JsonUppercaseHashIsNormalised) {
    Parsed p("{\"order\": [1], \"graph_sha256\": "
             "\"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\"}");
    EXPECT_STREQ(p.f.graph_sha256, kHash);
}

// ---------------------------------------------------------------- bare lists

TEST(OrderFile, ParsesBareListsInSeveralSpellings) {
    const std::vector<int32_t> want = {3, 1, 2};
    for (const char *text : {"3, 1, 2", "3,1,2", "[3,1,2]\n", "[3, 1, 2]", "3 1 2",
                             "  3\n1\n2\n", "\t[ 3 ,1 , 2 ]  \n", "3,\n1,\n2,\n", "[3,1,2,]",
                             "\xEF\xBB\xBF" "3, 1, 2"}) {
        Parsed p(text);
        EXPECT_EQ(order_of(p.f), want) << "text: " << text;
        EXPECT_EQ(p.f.task, nullptr);
        EXPECT_EQ(p.f.cost, -1);
        EXPECT_EQ(p.f.n_vertices, -1);
        EXPECT_STREQ(p.f.graph_sha256, "");
    }
}

TEST(OrderFile, BareSingleEntryAndSigns) {
    Parsed one("7");
    EXPECT_EQ(order_of(one.f), (std::vector<int32_t>{7}));
    // Signs parse; whether the vertex exists is the check's business.
    Parsed signs("+4, -5");
    EXPECT_EQ(order_of(signs.f), (std::vector<int32_t>{4, -5}));
}

// ---------------------------------------------------------------- errors

TEST(OrderFile, BareListErrorsNameTheEntry) {
    std::string m = parse_error("3, 1, x7, 2");
    EXPECT_NE(m.find("entry 3"), std::string::npos) << m;
    EXPECT_NE(m.find("\"x7\""), std::string::npos) << m;
    EXPECT_NE(m.find("not an integer"), std::string::npos) << m;

    m = parse_error("1, 2.5");
    EXPECT_NE(m.find("entry 2"), std::string::npos) << m;
    EXPECT_NE(m.find("2.5"), std::string::npos) << m;

    m = parse_error("1, 99999999999");
    EXPECT_NE(m.find("out of range"), std::string::npos) << m;

    m = parse_error("1,,2");
    EXPECT_NE(m.find("empty entry 2"), std::string::npos) << m;

    parse_error(", 1");
    parse_error("[1, 2");
    parse_error("1, 2]");
    parse_error("[1, 2] 3");
    parse_error("[[1, 2]]");
    parse_error("-");
}

TEST(OrderFile, EmptyInputIsAnError) {
    for (const char *text : {"", "   \n", "[]", "[ ]\n"}) {
        std::string m = parse_error(text);
        EXPECT_NE(m.find("empty"), std::string::npos) << m;
    }
    std::string m = parse_error("{\"order\": []}");
    EXPECT_NE(m.find("empty"), std::string::npos) << m;
}

TEST(OrderFile, GarbageIsAnError) {
    parse_error("hello world");
    parse_error("{\"order\": [1, 2]");          // truncated JSON
    parse_error("{\"order\": [1, 2]} trailing");  // junk after the object
    parse_error("{order: [1, 2]}");
    std::string m = parse_error("{\n\"order\": [1, 2,,]}");
    EXPECT_NE(m.find("line 2"), std::string::npos) << m;
}

TEST(OrderFile, JsonNonIntegerEntryIsAnError) {
    std::string m = parse_error("{\"order\": [1, 2, 3, 4, 3.5]}");
    EXPECT_NE(m.find("order[4]"), std::string::npos) << m;
    EXPECT_NE(m.find("not an integer"), std::string::npos) << m;

    m = parse_error("{\"order\": [1, \"2\"]}");
    EXPECT_NE(m.find("order[1]"), std::string::npos) << m;

    m = parse_error("{\"order\": [1, 3000000000]}");
    EXPECT_NE(m.find("out of range"), std::string::npos) << m;
}

TEST(OrderFile, JsonWrongTypesNameTheKey) {
    std::string m = parse_error("{\"order\": [1], \"cost\": \"12\"}");
    EXPECT_NE(m.find("\"cost\" must be an integer"), std::string::npos) << m;
    m = parse_error("{\"order\": [1], \"cost\": 12.5}");
    EXPECT_NE(m.find("\"cost\" must be an integer"), std::string::npos) << m;
    m = parse_error("{\"order\": [1], \"cost\": -3}");
    EXPECT_NE(m.find("\"cost\""), std::string::npos) << m;
    m = parse_error("{\"order\": [1], \"n_vertices\": true}");
    EXPECT_NE(m.find("\"n_vertices\""), std::string::npos) << m;
    m = parse_error("{\"order\": [1], \"task\": 5}");
    EXPECT_NE(m.find("\"task\""), std::string::npos) << m;
    m = parse_error("{\"order\": [1], \"method\": [\"ppo\"]}");
    EXPECT_NE(m.find("\"method\""), std::string::npos) << m;
    m = parse_error("{\"order\": [1], \"graph_sha256\": \"abc\"}");
    EXPECT_NE(m.find("\"graph_sha256\""), std::string::npos) << m;
    m = parse_error("{\"order\": \"1, 2\"}");
    EXPECT_NE(m.find("\"order\""), std::string::npos) << m;
    m = parse_error("{\"order\": [1], \"baselines\": {\"forward\": 1, \"reverse\": 2}}");
    EXPECT_NE(m.find("markowitz"), std::string::npos) << m;
    m = parse_error(
        "{\"order\": [1], \"baselines\": {\"forward\": 1, \"reverse\": 2.5, \"markowitz\": 3}}");
    EXPECT_NE(m.find("baselines.reverse"), std::string::npos) << m;
    m = parse_error("{\"order\": [1], \"order\": [2]}");
    EXPECT_NE(m.find("more than once"), std::string::npos) << m;
}

TEST(OrderFile, MissingOrderKeyIsAnError) {
    std::string m = parse_error("{\"task\": \"tiny\", \"cost\": 6}");
    EXPECT_NE(m.find("\"order\""), std::string::npos) << m;
    parse_error("{}");
}

// ---------------------------------------------------------------- JSON out

TEST(OrderFile, ToJsonLayoutAndKeyOrder) {
    ccx_order_file f;
    memset(&f, 0, sizeof f);
    f.task = const_cast<char *>("tiny");
    strcpy(f.graph_sha256, kHash);
    f.n_vertices = 4;
    int32_t order[] = {2, 1};
    f.order = order;
    f.n_order = 2;
    f.cost = 6;
    f.method = const_cast<char *>("reverse");
    f.has_baselines = 1;
    f.baselines = {8, 6, 6, 6};
    char *json = ccx_order_to_json(&f);
    ASSERT_NE(json, nullptr);
    std::string want = std::string("{\n  \"task\": \"tiny\",\n  \"graph_sha256\": \"") + kHash +
                       "\",\n  \"n_vertices\": 4,\n  \"order\": [2, 1],\n  \"cost\": 6,\n"
                       "  \"method\": \"reverse\",\n"
                       "  \"baselines\": {\"forward\": 8, \"reverse\": 6, \"markowitz\": 6, "
                       "\"greedy\": 6},\n  \"cost_model\": \"alphagrad\"\n}\n";
    EXPECT_EQ(std::string(json), want);
    free(json);
    // A file from before the greedy baseline (greedy -1) is written as it was.
    f.baselines.greedy = -1;
    json = ccx_order_to_json(&f);
    ASSERT_NE(json, nullptr);
    EXPECT_EQ(std::string(json).find("greedy"), std::string::npos);
    free(json);

    // Absent keys are omitted.
    ccx_order_file g;
    memset(&g, 0, sizeof g);
    g.n_vertices = -1;
    g.cost = -1;
    g.cost_model = -1;
    g.order = order;
    g.n_order = 2;
    json = ccx_order_to_json(&g);
    ASSERT_NE(json, nullptr);
    EXPECT_EQ(std::string(json), "{\n  \"order\": [2, 1]\n}\n");
    free(json);
}

TEST(OrderFile, ToJsonThenParseRoundTrips) {
    ccx_order_file f;
    memset(&f, 0, sizeof f);
    std::string task = "we\"ird\\name\n\twith\x01 ctl";
    f.task = const_cast<char *>(task.c_str());
    strcpy(f.graph_sha256, kHash);
    f.n_vertices = 101;
    std::vector<int32_t> order;
    for (int i = 98; i >= 1; i--) order.push_back(i);
    f.order = order.data();
    f.n_order = (int)order.size();
    f.cost = 9007199254740000LL;
    f.method = const_cast<char *>("gumbel-az \xc3\xa9");
    f.has_baselines = 1;
    f.baselines = {620, 364, 407};
    char *json = ccx_order_to_json(&f);
    ASSERT_NE(json, nullptr);
    // The order stays on one line.
    std::string s(json);
    size_t at = s.find("\"order\": [");
    ASSERT_NE(at, std::string::npos);
    EXPECT_EQ(s.find('\n', at), s.find("],", at) + 2);

    Parsed p(json);
    free(json);
    ASSERT_NE(p.f.task, nullptr);
    EXPECT_EQ(std::string(p.f.task), task);
    EXPECT_STREQ(p.f.graph_sha256, kHash);
    EXPECT_EQ(p.f.n_vertices, 101);
    EXPECT_EQ(order_of(p.f), order);
    EXPECT_EQ(p.f.cost, 9007199254740000LL);
    ASSERT_NE(p.f.method, nullptr);
    EXPECT_STREQ(p.f.method, "gumbel-az \xc3\xa9");
    EXPECT_TRUE(p.f.has_baselines);
    EXPECT_EQ(p.f.baselines.forward, 620);
    EXPECT_EQ(p.f.baselines.reverse, 364);
    EXPECT_EQ(p.f.baselines.markowitz, 407);
}

// ---------------------------------------------------------------- files

TEST(OrderFile, WriteThenReadThroughTempFile) {
    GraphHolder h;
    ASSERT_NE(h.g, nullptr);
    ccx_error err;
    ccx_error_clear(&err);
    int32_t order[] = {2, 1};
    ccx_order_file made;
    ASSERT_EQ(ccx_order_make(h.g, order, 2, "test", &made, &err), 0) << err.msg;

    std::string dir = temp_dir();
    std::string path = dir + "/tiny.order.json";
    // Overwrites an existing file atomically.
    { std::ofstream(path) << "old contents\n"; }
    ASSERT_EQ(ccx_order_write(path.c_str(), &made, &err), 0) << err.msg;
    std::string tmp = path + ".tmp." + std::to_string((long)getpid());
    EXPECT_FALSE(file_exists(tmp));
    char *json = ccx_order_to_json(&made);
    ASSERT_NE(json, nullptr);
    EXPECT_EQ(slurp(path), std::string(json));
    free(json);

    ccx_order_file back;
    ASSERT_EQ(ccx_order_read(path.c_str(), &back, &err), 0) << err.msg;
    ASSERT_NE(back.task, nullptr);
    EXPECT_STREQ(back.task, "tiny");
    EXPECT_STREQ(back.graph_sha256, made.graph_sha256);
    EXPECT_EQ(back.n_vertices, 4);
    EXPECT_EQ(order_of(back), (std::vector<int32_t>{2, 1}));
    EXPECT_EQ(back.cost, 6);
    ASSERT_NE(back.method, nullptr);
    EXPECT_STREQ(back.method, "test");
    EXPECT_TRUE(back.has_baselines);
    EXPECT_EQ(back.baselines.forward, 8);
    EXPECT_EQ(back.baselines.reverse, 6);
    EXPECT_EQ(back.baselines.markowitz, 6);
    int64_t cost = -1;
    EXPECT_EQ(ccx_order_check(h.g, &back, &cost, &err), 0) << err.msg;
    EXPECT_EQ(cost, 6);

    // A bare list file reads too.
    std::string bare = dir + "/bare.txt";
    { std::ofstream(bare) << "[1, 2]\n"; }
    ccx_order_file b2;
    ASSERT_EQ(ccx_order_read(bare.c_str(), &b2, &err), 0) << err.msg;
    EXPECT_EQ(ccx_order_check(h.g, &b2, &cost, &err), 0) << err.msg;
    EXPECT_EQ(cost, 8);
    ccx_order_file_free(&b2);

    // Errors name the file.
    std::string badf = dir + "/bad.txt";
    { std::ofstream(badf) << "1, two\n"; }
    ccx_order_file b3;
    EXPECT_NE(ccx_order_read(badf.c_str(), &b3, &err), 0);
    char buf[1024];
    std::string m = ccx_error_format(&err, buf, sizeof buf);
    EXPECT_NE(m.find(badf), std::string::npos) << m;
    EXPECT_NE(m.find("\"two\""), std::string::npos) << m;
    ccx_order_file_free(&b3);

    std::string missing = dir + "/does_not_exist.json";
    EXPECT_NE(ccx_order_read(missing.c_str(), &b3, &err), 0);
    m = ccx_error_format(&err, buf, sizeof buf);
    EXPECT_NE(m.find(missing), std::string::npos) << m;

    // Writing into a missing directory fails, names the path, leaves nothing.
    std::string nodir = dir + "/no/such/dir/x.json";
    EXPECT_NE(ccx_order_write(nodir.c_str(), &made, &err), 0);
    m = ccx_error_format(&err, buf, sizeof buf);
    EXPECT_NE(m.find(nodir), std::string::npos) << m;

    // Writing over a directory fails at rename and cleans up the temp file.
    std::string subdir = dir + "/adir";
    ASSERT_EQ(mkdir(subdir.c_str(), 0700), 0);
    EXPECT_NE(ccx_order_write(subdir.c_str(), &made, &err), 0);
    EXPECT_FALSE(file_exists(subdir + ".tmp." + std::to_string((long)getpid())));

    ccx_order_file_free(&back);
    ccx_order_file_free(&made);
    EXPECT_EQ(made.order, nullptr);
    EXPECT_EQ(made.task, nullptr);
    EXPECT_EQ(made.method, nullptr);
    rmdir(subdir.c_str());
    unlink(path.c_str());
    unlink(bare.c_str());
    unlink(badf.c_str());
    rmdir(dir.c_str());
}

// ---------------------------------------------------------------- check / make

TEST(OrderFile, TinyGraphCostsByHand) {
    GraphHolder h;
    ASSERT_NE(h.g, nullptr);
    ASSERT_EQ(ccx_graph_n_intermediates(h.g), 2);
    ccx_error err;
    ccx_error_clear(&err);
    int64_t c = -1;
    int32_t fwd[] = {1, 2}, rev[] = {2, 1};
    ASSERT_EQ(ccx_order_cost(h.g, fwd, 2, &c, &err), 0) << err.msg;
    EXPECT_EQ(c, 8);
    ASSERT_EQ(ccx_order_cost(h.g, rev, 2, &c, &err), 0) << err.msg;
    EXPECT_EQ(c, 6);

    ccx_order_file f;
    ASSERT_EQ(ccx_order_make(h.g, fwd, 2, "forward", &f, &err), 0) << err.msg;
    EXPECT_STREQ(f.task, "tiny");
    char hex[65];
    ccx_graph_sha256(h.g, hex);
    EXPECT_STREQ(f.graph_sha256, hex);
    EXPECT_EQ(f.n_vertices, 4);
    EXPECT_EQ(order_of(f), (std::vector<int32_t>{1, 2}));
    EXPECT_EQ(f.cost, 8);
    EXPECT_STREQ(f.method, "forward");
    EXPECT_TRUE(f.has_baselines);
    EXPECT_EQ(f.baselines.forward, 8);
    EXPECT_EQ(f.baselines.reverse, 6);
    EXPECT_EQ(f.baselines.markowitz, 6);
    ccx_order_file_free(&f);
}

TEST(OrderFile, MakeRejectsInvalidOrder) {
    GraphHolder h;
    ASSERT_NE(h.g, nullptr);
    ccx_error err;
    ccx_error_clear(&err);
    ccx_order_file f;
    int32_t bad[] = {1, 3};  // 3 is an output
    EXPECT_NE(ccx_order_make(h.g, bad, 2, "x", &f, &err), 0);
    EXPECT_NE(err.msg[0], '\0');
    EXPECT_EQ(f.order, nullptr);
    int32_t short_order[] = {1};
    EXPECT_NE(ccx_order_make(h.g, short_order, 1, "x", &f, &err), 0);
}

TEST(OrderFile, CheckRejectsWrongHashCountAndCost) {
    GraphHolder h;
    ASSERT_NE(h.g, nullptr);
    ccx_error err;
    ccx_error_clear(&err);
    int32_t rev[] = {2, 1};
    ccx_order_file f;
    ASSERT_EQ(ccx_order_make(h.g, rev, 2, "reverse", &f, &err), 0) << err.msg;
    int64_t cost = -1;
    ASSERT_EQ(ccx_order_check(h.g, &f, &cost, &err), 0) << err.msg;
    EXPECT_EQ(cost, 6);

    // wrong hash
    char saved[65];
    strcpy(saved, f.graph_sha256);
    strcpy(f.graph_sha256, kHash);
    EXPECT_NE(ccx_order_check(h.g, &f, &cost, &err), 0);
    std::string m = err.msg;
    EXPECT_NE(m.find("different graph"), std::string::npos) << m;
    EXPECT_NE(m.find(kHash), std::string::npos) << m;
    EXPECT_NE(m.find(saved), std::string::npos) << m;
    EXPECT_NE(m.find("tiny"), std::string::npos) << m;
    strcpy(f.graph_sha256, saved);

    // wrong n_vertices
    f.n_vertices = 5;
    EXPECT_NE(ccx_order_check(h.g, &f, &cost, &err), 0);
    m = err.msg;
    EXPECT_NE(m.find("n_vertices"), std::string::npos) << m;
    f.n_vertices = 4;

    // wrong stated cost
    f.cost = 7;
    EXPECT_NE(ccx_order_check(h.g, &f, &cost, &err), 0);
    m = err.msg;
    EXPECT_NE(m.find("states cost 7 but the order costs 6"), std::string::npos) << m;
    f.cost = 6;

    // invalid order (entry repeated)
    f.order[1] = 2;
    EXPECT_NE(ccx_order_check(h.g, &f, &cost, &err), 0);
    f.order[1] = 1;

    // absent fields are not checked
    f.graph_sha256[0] = '\0';
    f.n_vertices = -1;
    f.cost = -1;
    EXPECT_EQ(ccx_order_check(h.g, &f, &cost, &err), 0) << err.msg;
    EXPECT_EQ(cost, 6);
    ccx_order_file_free(&f);
}
