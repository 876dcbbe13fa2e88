// AlphaGrad's primitive -> record rules (graph/prim_rules.h) against every
// (primitive, operand shapes) case of the ten paper graphs, as AlphaGrad's
// own builder produced them (tests/data/alphagrad/prim_edge_examples.txt),
// and against the exporter's Python twin of the rule (scripts/jax_export.py)
// on a sweep of cases of every primitive it knows
// (tests/data/alphagrad/prim_rule_cases.txt, its output; that the file is the
// Python rule's output is tests/jax/test_prim_rules.py's check).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "test_util.h"

extern "C" {
#include "graph/prim_rules.h"
}

namespace {

// "(4, 4)" / "(4,)" / "()" -> shape
ccx_shape parse_shape(const std::string &t) {
    ccx_shape s = {0, {1, 1}};
    std::regex num("\\d+");
    for (auto it = std::sregex_iterator(t.begin(), t.end(), num); it != std::sregex_iterator(); ++it)
        s.dims[s.rank++] = std::stoi(it->str());
    return s;
}

// Check every line of a case file against ccx_prim_records; the number of
// lines checked, the primitives seen in *prims. skip_dropped: skip the
// rec=[0,...] rows of BlackScholes' `_` equations (prim_edge_examples.txt).
int check_cases(const std::string &path, bool skip_dropped, std::set<std::string> *prims) {
    std::ifstream f(path);
    EXPECT_TRUE(f.good()) << path;
    // prim [params] argK in=(..) other=(..),(..)|lit()  out=(..) -> rec=[t, o1, o2, p1, p2]
    std::regex line_re(
        "^(\\S+)\\s+(.*?)\\s*arg(\\d+) in=(\\([^)]*\\))\\s+other=(.*?)\\s+out=(\\([^)]*\\))\\s+->\\s+"
        "rec=\\[(-?\\d+), (\\d+), (\\d+), (\\d+), (\\d+)\\]");
    std::string line;
    int checked = 0;
    while (std::getline(f, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::smatch m;
        if (!std::regex_search(line, m, line_re)) {
            ADD_FAILURE() << "bad line: " << line;
            return -1;
        }
        std::string prim = m[1], params = m[2];
        int arg = std::stoi(m[3]);
        int want[5];
        for (int i = 0; i < 5; i++) want[i] = std::stoi(m[7 + i]);
        // the BlackScholes `_` equations whose records AlphaGrad wrote into
        // another column (docs/tensor_model.md 7.7): not a rule's output
        if (skip_dropped && want[0] == 0 && prim != "stop_gradient") continue;
        prims->insert(prim);
        ccx_prim_call c;
        memset(&c, 0, sizeof c);
        c.prim = prim.c_str();
        // the other operands in order, with this one at position arg
        std::vector<std::string> others;
        std::string o = m[5];
        std::regex part("lit\\(\\)|\\([^)]*\\)");
        for (auto it = std::sregex_iterator(o.begin(), o.end(), part); it != std::sregex_iterator(); ++it)
            others.push_back(it->str());
        int n = 1 + (int)others.size();
        for (int i = 0, k = 0; i < n; i++) {
            std::string t = i == arg ? std::string(m[4]) : others[k++];
            c.literal[i] = t == "lit()";
            c.operand[i] = parse_shape(c.literal[i] ? "()" : t);
            c.node[i] = c.literal[i] ? -1 : 100 + i;
        }
        c.n_operands = n;
        c.out = parse_shape(m[6]);
        std::smatch pm;
        if (std::regex_search(params, pm, std::regex("\\(\\(\\((\\d),\\), \\((\\d),\\)\\)"))) {
            c.contract_lhs = std::stoi(pm[1]);
            c.contract_rhs = std::stoi(pm[2]);
        } else if (std::regex_search(params, pm, std::regex("^\\((\\d),"))) {
            c.axis0 = std::stoi(pm[1]);
        }
        ccx_edge rec[CCX_PRIM_MAX_OPERANDS];
        ccx_error err;
        if (ccx_prim_records(&c, rec, &err) != 0) {
            ADD_FAILURE() << err.msg << "\n" << line;
            continue;
        }
        const ccx_edge &r = rec[arg];
        int got[5] = {r.type, r.type ? r.out_d[0] : 0, r.type ? r.out_d[1] : 0,
                      r.type ? r.primal_d[0] : 0, r.type ? r.primal_d[1] : 0};
        for (int i = 0; i < 5; i++) EXPECT_EQ(got[i], want[i]) << "field " << i << ": " << line;
        checked++;
    }
    return checked;
}

TEST(PrimRules, EveryCaseOfTheTenPaperGraphs) {
    std::set<std::string> prims;
    EXPECT_GT(check_cases(data_path("alphagrad/prim_edge_examples.txt"), true, &prims), 250);
}

// The exporter writes the records of its own twin of the rule: the two agree
// on every case of every primitive the exporter knows.
TEST(PrimRules, AgreeWithTheExportersRuleOnEveryPrimitive) {
    std::set<std::string> prims;
    EXPECT_GT(check_cases(data_path("alphagrad/prim_rule_cases.txt"), false, &prims), 2000);
    // the exporter's KNOWN (scripts/jax_export.py); the Python test checks the
    // file covers all of it
    EXPECT_EQ(prims.size(), 72u);
    for (const std::string &p : prims) EXPECT_TRUE(ccx_prim_known(p.c_str())) << p;
}

TEST(PrimRules, UnknownPrimitiveIsNamed) {
    ccx_prim_call c;
    memset(&c, 0, sizeof c);
    c.prim = "gather";
    c.n_operands = 1;
    ccx_edge rec[CCX_PRIM_MAX_OPERANDS];
    ccx_error err;
    EXPECT_EQ(ccx_prim_records(&c, rec, &err), -1);
    EXPECT_NE(std::string(err.msg).find("gather"), std::string::npos);
    EXPECT_FALSE(ccx_prim_known("gather"));
    EXPECT_TRUE(ccx_prim_known("dot_general"));
}

// A Var used twice gets one edge, with its last occurrence's record.
TEST(PrimRules, RepeatedOperandGivesOneEdge) {
    ccx_prim_call c;
    memset(&c, 0, sizeof c);
    c.prim = "dot_general";
    c.n_operands = 2;
    c.operand[0] = c.operand[1] = (ccx_shape){2, {4, 4}};
    c.node[0] = c.node[1] = 7;
    c.out = (ccx_shape){2, {4, 4}};
    c.contract_lhs = 1;
    c.contract_rhs = 0;
    ccx_edge rec[CCX_PRIM_MAX_OPERANDS];
    ccx_error err;
    ASSERT_EQ(ccx_prim_records(&c, rec, &err), 0);
    EXPECT_EQ(rec[0].type, 0);
    EXPECT_EQ(rec[1].type, -3);
}

}  // namespace
