// The Jacobian interpreter and code generation (jac/): every order gives the
// same Jacobian as the dual-number reference, performs exactly
// ccx_order_cost multiplications, bad points are reported, and generated
// C (and, when nvcc exists, CUDA) code compiles and matches the interpreter.
#include <gtest/gtest.h>

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"

extern "C" {
#include "game/game.h"
#include "jac/codegen.h"
#include "jac/jacobian.h"
#include "lang/gen.h"
#include "util/rng.h"
#include "util/version.h"
}

namespace {

// Agreement between orders and with the dual reference: the difference of an
// entry relative to its path-sum scale (ccx_jac_abs_scale), which bounds the
// rounding of any order; entrywise relative error is also checked where the
// entry is not the result of cancellation (|J| >= 1e-3 * scale).
constexpr double kTol = 1e-12;

struct Plan {
    ccx_jac_plan p{};
    Plan() = default;
    Plan(const Plan &) = delete;
    Plan &operator=(const Plan &) = delete;
    ~Plan() { ccx_jac_plan_free(&p); }
};

std::vector<int32_t> baseline(const ccx_graph *g, ccx_baseline b) {
    std::vector<int32_t> o(ccx_graph_n_intermediates(g));
    ccx_error err;
    EXPECT_GE(ccx_baseline_order(g, b, o.data(), &err), 0) << err.msg;
    return o;
}

std::vector<int32_t> random_order(const ccx_graph *g, uint64_t seed) {
    std::vector<int32_t> o;
    for (int k = 1; k <= g->n_vertices; k++)
        if (!g->vertices[k - 1].is_output) o.push_back(k);
    ccx_rng r;
    ccx_rng_seed(&r, seed);
    for (size_t i = o.size(); i > 1; i--) std::swap(o[i - 1], o[ccx_rng_below(&r, i)]);
    return o;
}

std::vector<std::vector<int32_t>> orders_for(const ccx_graph *g, int n_random) {
    std::vector<std::vector<int32_t>> v = {baseline(g, CCX_BASELINE_FORWARD),
                                           baseline(g, CCX_BASELINE_REVERSE),
                                           baseline(g, CCX_BASELINE_MARKOWITZ)};
    for (int s = 0; s < n_random; s++) v.push_back(random_order(g, 1000 + s));
    return v;
}

std::vector<double> find_point(const ccx_graph *g, uint64_t seed) {
    std::vector<double> x(g->n_inputs);
    ccx_error err;
    EXPECT_EQ(ccx_jac_find_point(g, seed, 0.5, 1.5, 1000, x.data(), nullptr, &err), 0) << err.msg;
    return x;
}

// scaled and entrywise differences of a against ref
void expect_close(const std::vector<double> &a, const std::vector<double> &ref,
                  const std::vector<double> &scale, const std::string &what) {
    ASSERT_EQ(a.size(), ref.size());
    double abs_d, scaled;
    ccx_jac_compare(a.data(), ref.data(), scale.data(), a.size(), &abs_d, &scaled);
    EXPECT_LE(scaled, kTol) << what << " (max abs diff " << abs_d << ")";
    for (size_t k = 0; k < a.size(); k++)
        if (std::fabs(ref[k]) >= 1e-3 * scale[k] && ref[k] != 0)
            EXPECT_LE(std::fabs(a[k] - ref[k]) / std::fabs(ref[k]), kTol) << what << " entry " << k;
}

// Every order at every point: counters equal the game cost, the Jacobian
// agrees with the dual reference and with the first order's.
void check_orders(const ccx_graph *g, const std::vector<std::vector<int32_t>> &orders,
                  int n_points, int64_t want_back = 0) {
    size_t nj = (size_t)g->n_outputs * g->n_inputs;
    for (int pt = 0; pt < n_points; pt++) {
        std::vector<double> x = find_point(g, 1 + pt);
        std::vector<double> Jd(nj), yd(g->n_outputs), S(nj), J0;
        ccx_error err;
        ASSERT_EQ(ccx_jac_dual(g, x.data(), yd.data(), Jd.data(), &err), 0) << err.msg;
        ASSERT_EQ(ccx_jac_abs_scale(g, x.data(), S.data(), &err), 0) << err.msg;
        for (size_t oi = 0; oi < orders.size(); oi++) {
            const auto &o = orders[oi];
            int64_t cost = -1;
            ASSERT_EQ(ccx_order_cost(g, o.data(), (int)o.size(), &cost, &err), 0) << err.msg;
            Plan plan;
            ASSERT_EQ(ccx_jac_plan_build(g, o.data(), (int)o.size(), &plan.p, &err), 0) << err.msg;
            EXPECT_EQ(plan.p.cost, cost);
            EXPECT_EQ(plan.p.n_steps, cost);
            std::vector<double> J(nj), y(g->n_outputs);
            ccx_jac_counts c{-1, -1};
            ASSERT_EQ(ccx_jac_eval(&plan.p, x.data(), y.data(), J.data(), &c, &err), 0) << err.msg;
            EXPECT_EQ(c.mults, cost) << "order " << oi;
            EXPECT_EQ(c.back_mults, want_back) << "order " << oi;
            std::string what = std::string(g->task_name) + " order " + std::to_string(oi) +
                               " point " + std::to_string(pt);
            EXPECT_EQ(y, yd) << what;
            expect_close(J, Jd, S, what + " vs dual");
            if (oi == 0) J0 = J;
            else expect_close(J, J0, S, what + " vs order 0");
        }
    }
}

const char *kPaperTasks[] = {"RoeFlux_1d", "RobotArm_6DOF", "HumanHeartDipole",
                             "PropaneCombustion"};

TEST(Jacobian, PaperTasksAllOrdersAgreeWithDualReference) {
    for (const char *name : kPaperTasks) {
        GraphPtr g = load_task(name);
        ASSERT_TRUE(g) << name;
        check_orders(g.get(), orders_for(g.get(), 3), 3);
    }
}

std::string generate(int n_in, int n_mid, int n_out, uint64_t seed, const char *ops = nullptr) {
    ccx_gen_params p;
    ccx_gen_defaults(&p);
    p.n_inputs = n_in;
    p.n_intermediates = n_mid;
    p.n_outputs = n_out;
    p.seed = seed;
    ccx_error err;
    if (ops) EXPECT_EQ(ccx_gen_parse_ops(ops, &p, &err), 0) << err.msg;
    char *text = ccx_gen_task(&p, &err);
    EXPECT_TRUE(text) << err.msg;
    std::string s = text ? text : "";
    free(text);
    return s;
}

TEST(Jacobian, GeneratedGraphsAllOrdersAgree) {
    // the default op mix (add, sub, mul, div, sin, cos, exp, tanh, logistic,
    // integer_pow); points are drawn until every value and partial is finite
    for (uint64_t seed = 1; seed <= 4; seed++) {
        ccx_error err;
        GraphPtr g = parse_task(generate(6, 80, 4, seed), &err, "gen.ccx");
        ASSERT_TRUE(g) << err.msg;
        check_orders(g.get(), orders_for(g.get(), 2), 2);
    }
    // more than 32 words of bitset rows, no domain problems
    ccx_error err;
    GraphPtr big = parse_task(generate(10, 600, 6, 7, "add,sub,mul:2,sin,cos,tanh"), &err, "big.ccx");
    ASSERT_TRUE(big) << err.msg;
    check_orders(big.get(), orders_for(big.get(), 1), 1);
}

const char *kAllOps = R"(input a, b
t1 = -a
t2 = abs(t1) + abs(b - 1.)
t3 = sqrt(a + b)
t4 = exp(a * 0.3)
t5 = log(b)
t6 = log1p(a)
t7 = sin(a) + cos(b) + tan(a * 0.5)
t8 = asin(a * 0.5) + acos(b * 0.5) + atan(a)
t9 = sinh(a) + cosh(b) + tanh(a)
t10 = asinh(a) + acosh(b + 1.5) + atanh(a * 0.5)
t11 = logistic(a) + erf(b)
t12 = a ** 3 + b ** -2 + a ** 2.5 + 2. ** a
t13 = pow(a, b) + atan2(a, b) + min(a, b) + max(a, b) + a / b + a - b
t14 = a * a + min(a, a) + max(b, b) + b / b
y = t2 + t3 * t4 + t5 - t6 * t7 + t8 / t9 + t10 * t11 + t12 - t13
output y, t14, t13
)";

// Outputs that feed other outputs: y1 -> t -> y2 -> y3, y1 -> y3.
const char *kOutputChain = R"(input a, b
y1 = a * b
t = sin(y1)
y2 = t + a * a
y3 = y2 * y1 / b
output y3, y1, y2
)";

TEST(Jacobian, EveryOpAndSharedOperands) {
    ccx_error err;
    GraphPtr g = parse_task(kAllOps, &err, "allops.ccx");
    ASSERT_TRUE(g) << err.msg;
    // t13 feeds y: t13's copy is the output, no back-substitution
    check_orders(g.get(), orders_for(g.get(), 3), 3, 0);
}

// Outputs that feed other vertices get copy vertices (graph.h): the
// originals are eliminated like any vertex, so the game's cost covers every
// product and nothing is back-substituted afterwards.
TEST(Jacobian, OutputsFeedingOutputsGetCopies) {
    ccx_error err;
    GraphPtr g = parse_task(kOutputChain, &err, "chain.ccx");
    ASSERT_TRUE(g) << err.msg;
    // y1 and y2 feed others: vertices y1 t a*a y2 y2*y1 y3, then copy(y1), copy(y2)
    ASSERT_EQ(g->n_vertices, 8);
    EXPECT_EQ(g->vertices[6].op, CCX_OP_COPY);
    EXPECT_EQ(g->vertices[7].op, CCX_OP_COPY);
    EXPECT_EQ(g->outputs[0], 6);  // y3
    EXPECT_EQ(g->outputs[1], 7);  // copy of y1
    EXPECT_EQ(g->outputs[2], 8);  // copy of y2
    EXPECT_FALSE(g->vertices[0].is_output);
    for (int k = 0; k < g->n_vertices; k++)
        if (g->vertices[k].is_output)
            for (int e = 0; e < g->n_edges; e++)
                EXPECT_NE(g->edges[e].src, g->n_inputs + k) << "output v" << k + 1 << " feeds a vertex";
    check_orders(g.get(), orders_for(g.get(), 3), 3, 0);
}

TEST(Jacobian, PlanRejectsBadOrders) {
    GraphPtr g = load_task("PropaneCombustion");
    ASSERT_TRUE(g);
    Plan plan;
    ccx_error err;
    int32_t bad[] = {1, 2, 62};
    EXPECT_NE(ccx_jac_plan_build(g.get(), bad, 3, &plan.p, &err), 0);
    EXPECT_NE(std::string(err.msg).find("vertex 62 is an output"), std::string::npos) << err.msg;
}

// ---- bad points -----------------------------------------------------------

std::string eval_error(const std::string &text, std::vector<double> x, int *line = nullptr) {
    ccx_error err;
    GraphPtr g = parse_task(text, &err, "bad.ccx");
    EXPECT_TRUE(g) << err.msg;
    if (!g) return "";
    auto o = baseline(g.get(), CCX_BASELINE_REVERSE);
    Plan plan;
    EXPECT_EQ(ccx_jac_plan_build(g.get(), o.data(), (int)o.size(), &plan.p, &err), 0);
    std::vector<double> J((size_t)g->n_outputs * g->n_inputs);
    ccx_error_clear(&err);
    EXPECT_NE(ccx_jac_eval(&plan.p, x.data(), nullptr, J.data(), nullptr, &err), 0);
    ccx_error err2;
    EXPECT_NE(ccx_jac_dual(g.get(), x.data(), nullptr, J.data(), &err2), 0);
    if (line) *line = err.line;
    char buf[1024];
    return ccx_error_format(&err, buf, sizeof buf);
}

TEST(Jacobian, BadPointsAreReportedWithVertexOpAndLine) {
    int line = 0;
    std::string m = eval_error("input x\nu = x - 1.\ny = sqrt(u) + x\noutput y\n", {0.5}, &line);
    EXPECT_EQ(line, 3);
    EXPECT_NE(m.find("bad.ccx:3:"), std::string::npos) << m;
    EXPECT_NE(m.find("vertex 2 (sqrt of v1 = -0.5) has value NaN"), std::string::npos) << m;
    EXPECT_NE(m.find("sqrt of a negative number"), std::string::npos) << m;

    m = eval_error("input x\ny = log(x)\noutput y\n", {0.0});
    EXPECT_NE(m.find("log of 0"), std::string::npos) << m;
    m = eval_error("input x, z\ny = x / z\noutput y\n", {1.0, 0.0});
    EXPECT_NE(m.find("division by zero"), std::string::npos) << m;
    m = eval_error("input x\ny = sqrt(x)\noutput y\n", {0.0});  // finite value, infinite partial
    EXPECT_NE(m.find("local partial d/dx1"), std::string::npos) << m;
    EXPECT_NE(m.find("infinite derivative at 0"), std::string::npos) << m;
    m = eval_error("input x\ny = asin(x)\noutput y\n", {1.5});
    EXPECT_NE(m.find("outside [-1, 1]"), std::string::npos) << m;
    m = eval_error("input x\ny = exp(x)\noutput y\n", {1000.0});
    EXPECT_NE(m.find("overflow"), std::string::npos) << m;
    m = eval_error("input x\ny = sin(x)\noutput y\n", {NAN});
    EXPECT_NE(m.find("input 1 (x) is NaN"), std::string::npos) << m;
}

TEST(Jacobian, FindPointFailsWhereNothingIsDefined) {
    ccx_error err;
    GraphPtr g = parse_task("input x\ny = sqrt(-1. - x * x)\noutput y\n", &err);
    ASSERT_TRUE(g);
    double x[1];
    EXPECT_NE(ccx_jac_find_point(g.get(), 1, 0.5, 1.5, 20, x, nullptr, &err), 0);
    EXPECT_NE(std::string(err.msg).find("give one with --at"), std::string::npos) << err.msg;
}

// ---- code generation ------------------------------------------------------

std::string codegen(const ccx_graph *g, const std::vector<int32_t> &order, ccx_codegen_lang lang,
                    const char *name, const char *method, ccx_codegen_stats *st = nullptr,
                    ccx_codegen_layout layout = CCX_LAYOUT_SPARSE) {
    Plan plan;
    ccx_error err;
    EXPECT_EQ(ccx_jac_plan_build(g, order.data(), (int)order.size(), &plan.p, &err), 0) << err.msg;
    char *buf = nullptr;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ccx_codegen_opts o = {lang, name, method, layout};
    ccx_codegen_stats local;
    EXPECT_EQ(ccx_codegen_write(&plan.p, &o, f, st ? st : &local, &err), 0) << err.msg;
    fclose(f);
    std::string s(buf, len);
    free(buf);
    return s;
}

// '*' characters strictly between the BEGIN and END marker lines.
long count_stars(const std::string &code, const char *begin, const char *end) {
    std::istringstream in(code);
    std::string line;
    long stars = 0;
    int state = 0;
    while (std::getline(in, line)) {
        if (line.find(begin) != std::string::npos) { state = 1; continue; }
        if (line.find(end) != std::string::npos) { state = 2; continue; }
        if (state == 1) stars += (long)std::count(line.begin(), line.end(), '*');
    }
    return state == 2 ? stars : -1;
}

// The real-work model's count of an order (ccx_order_cost under real).
int64_t real_cost(ccx_graph *g, const std::vector<int32_t> &o) {
    int saved = g->cost_model;
    g->cost_model = CCX_COST_REAL;
    int64_t cost = -1;
    ccx_error err;
    EXPECT_EQ(ccx_order_cost(g, o.data(), (int)o.size(), &cost, &err), 0) << err.msg;
    g->cost_model = saved;
    return cost;
}

// C and CUDA fold constants as they write: their '*' count is the real-work
// model's cost; JAX writes every product, AlphaGrad's.
TEST(Codegen, AccumulationMultiplicationsEqualTheModelCosts) {
    for (const char *task : {"RoeFlux_1d", "PropaneCombustion", "HumanHeartDipole"}) {
        GraphPtr g = load_task(task);
        ASSERT_TRUE(g);
        for (auto lang : {CCX_LANG_C, CCX_LANG_CUDA, CCX_LANG_JAX})
            for (const auto &o : orders_for(g.get(), 1)) {
                int64_t cost;
                ccx_error err;
                ASSERT_EQ(ccx_order_cost(g.get(), o.data(), (int)o.size(), &cost, &err), 0);
                int64_t real = real_cost(g.get(), o);
                ASSERT_LT(real, cost) << task; // these tasks have +-1 partials
                int64_t want = lang == CCX_LANG_JAX ? cost : real;
                ccx_codegen_stats st{-1, -1, -1, -1};
                std::string code = codegen(g.get(), o, lang, nullptr, "test", &st);
                EXPECT_EQ(st.acc_mults, want);
                EXPECT_EQ(st.acc_products, cost);
                EXPECT_EQ(st.acc_nonconstant, real);
                EXPECT_EQ(st.back_mults, 0);
                EXPECT_EQ(count_stars(code, CCX_CODEGEN_BEGIN_ACC, CCX_CODEGEN_END_ACC), want)
                    << task << " " << ccx_codegen_lang_name(lang);
            }
    }
    ccx_error err;
    GraphPtr chain = parse_task(kOutputChain, &err, "chain.ccx");
    ASSERT_TRUE(chain);
    auto o = baseline(chain.get(), CCX_BASELINE_FORWARD);
    std::string code = codegen(chain.get(), o, CCX_LANG_C, nullptr, "forward");
    // outputs feeding outputs have copies: every product is in the order's cost
    EXPECT_EQ(count_stars(code, CCX_CODEGEN_BEGIN_ACC, CCX_CODEGEN_END_ACC),
              real_cost(chain.get(), o));
    EXPECT_EQ(code.find(CCX_CODEGEN_BEGIN_BACK), std::string::npos);
}

TEST(Codegen, HeaderNamesTaskOrderCostHashAndVersion) {
    GraphPtr g = load_task("PropaneCombustion");
    ASSERT_TRUE(g);
    std::string code = codegen(g.get(), baseline(g.get(), CCX_BASELINE_MARKOWITZ), CCX_LANG_C,
                               "prop", "markowitz");
    char hex[65];
    ccx_graph_sha256(g.get(), hex);
    for (std::string needle :
         {std::string("Generated by ccx ") + CCX_VERSION, std::string("task          PropaneCombustion"),
          std::string("graph_sha256  ") + hex, std::string("order         markowitz (51 eliminations)"),
          std::string("cost          24 multiplications in the accumulation"),
          std::string("AlphaGrad's model: 111 (forward 151"),
          std::string("const int prop_jac_nnz = 53;"),
          std::string("void prop_jacobian(long n, const double *CCX_RESTRICT x")})
        EXPECT_NE(code.find(needle), std::string::npos) << needle;
    ccx_codegen_opts bad = {CCX_LANG_C, "3bad", nullptr};
    Plan plan;
    ccx_error err;
    auto o = baseline(g.get(), CCX_BASELINE_FORWARD);
    ASSERT_EQ(ccx_jac_plan_build(g.get(), o.data(), (int)o.size(), &plan.p, &err), 0);
    FILE *devnull = fopen("/dev/null", "w");
    EXPECT_NE(ccx_codegen_write(&plan.p, &bad, devnull, nullptr, &err), 0);
    fclose(devnull);
}

size_t count(const std::string &s, const std::string &what) {
    size_t n = 0;
    for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) n++;
    return n;
}

// The C body is cut into loops at its sqrt calls (so plain -O3 vectorises
// the rest), unless it calls sin/cos/exp/... and stays scalar anyway.
TEST(Codegen, CBodyIsCutAtSqrtOnlyWhereTheRestVectorises) {
    GraphPtr prop = load_task("PropaneCombustion"), arm = load_task("RobotArm_6DOF");
    ASSERT_TRUE(prop && arm);
    std::string p = codegen(prop.get(), baseline(prop.get(), CCX_BASELINE_REVERSE), CCX_LANG_C,
                            "p", "reverse");
    std::string a = codegen(arm.get(), baseline(arm.get(), CCX_BASELINE_REVERSE), CCX_LANG_C,
                            "a", "reverse");
    // PropaneCombustion: 6 sqrt in 4 runs between 5 others, plus the copy loops
    EXPECT_EQ(count(p, "for (long q"), 4u + 5u + 3u);
    EXPECT_NE(p.find("            v2[q] = sqrt(v1[q]);\n"), std::string::npos);
    EXPECT_NE(p.find("40.0 / xb[10][q]"), std::string::npos); // inputs read in place
    // RobotArm_6DOF calls sin and cos: one body loop
    EXPECT_EQ(count(a, "for (long q"), 1u + 3u);
    EXPECT_EQ(count(a, "[q] = sqrt("), 0u);
}

bool have(const char *tool) {
    std::string cmd = std::string(tool) + " --version > /dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
}

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/ccx-test-jac-XXXXXX";
        if (mkdtemp(tmpl)) path = tmpl;
    }
    ~TempDir() {
        if (!path.empty()) std::system(("rm -rf '" + path + "'").c_str());
    }
    void write(const std::string &name, const std::string &text) const {
        std::ofstream(path + "/" + name) << text;
    }
};

typedef void (*jac_fn)(long, const double *, double *, double *);

TEST(Codegen, GeneratedCCompilesAndMatchesTheInterpreter) {
    if (!have("cc")) GTEST_SKIP() << "no C compiler (cc)";
    struct Case {
        std::string name;
        GraphPtr g;
        std::vector<int32_t> order;
    };
    std::vector<Case> cases;
    for (const char *t : kPaperTasks) {
        GraphPtr g = load_task(t);
        ASSERT_TRUE(g);
        auto o = random_order(g.get(), 7);
        cases.push_back({std::string("paper_") + t, std::move(g), o});
    }
    ccx_error err;
    GraphPtr allops = parse_task(kAllOps, &err, "allops.ccx");
    ASSERT_TRUE(allops) << err.msg;
    auto o1 = baseline(allops.get(), CCX_BASELINE_MARKOWITZ);
    cases.push_back({"allops", std::move(allops), o1});
    GraphPtr chain = parse_task(kOutputChain, &err, "chain.ccx");
    ASSERT_TRUE(chain) << err.msg;
    auto o2 = baseline(chain.get(), CCX_BASELINE_REVERSE);
    cases.push_back({"chain", std::move(chain), o2});
    GraphPtr gen = parse_task(generate(5, 60, 3, 3), &err, "gen.ccx");
    ASSERT_TRUE(gen) << err.msg;
    auto o3 = random_order(gen.get(), 9);
    cases.push_back({"gen", std::move(gen), o3});

    // the first paper task once more, its Jacobian dense
    GraphPtr dense_g = load_task(kPaperTasks[0]);
    auto od = random_order(dense_g.get(), 3);
    cases.push_back({"dense", std::move(dense_g), od});

    TempDir dir;
    ASSERT_FALSE(dir.path.empty());
    std::string srcs;
    for (const auto &c : cases) {
        dir.write(c.name + ".c", codegen(c.g.get(), c.order, CCX_LANG_C, c.name.c_str(), "test",
                                         nullptr,
                                         c.name == "dense" ? CCX_LAYOUT_DENSE : CCX_LAYOUT_SPARSE));
        srcs += " '" + dir.path + "/" + c.name + ".c'";
    }
    // -ffp-contract=off: no FMA contraction, so the code rounds like the interpreter
    std::string cmd = "cc -O1 -ffp-contract=off -fPIC -shared -o '" + dir.path + "/gen.so'" + srcs +
                      " -lm > '" + dir.path + "/cc.log' 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    void *dl = dlopen((dir.path + "/gen.so").c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_TRUE(dl) << dlerror();
    for (const auto &c : cases) {
        const ccx_graph *g = c.g.get();
        jac_fn fn = nullptr;
        *(void **)&fn = dlsym(dl, (c.name + "_jacobian").c_str());
        ASSERT_TRUE(fn) << c.name;
        const int *ni = (const int *)dlsym(dl, (c.name + "_n_inputs").c_str());
        const int *nnz = (const int *)dlsym(dl, (c.name + "_jac_nnz").c_str());
        const int *row = (const int *)dlsym(dl, (c.name + "_jac_row").c_str());
        const int *col = (const int *)dlsym(dl, (c.name + "_jac_col").c_str());
        ASSERT_TRUE(ni && nnz && row && col) << c.name;
        EXPECT_EQ(*ni, g->n_inputs);
        Plan plan;
        ASSERT_EQ(ccx_jac_plan_build(g, c.order.data(), (int)c.order.size(), &plan.p, &err), 0);
        const int n_in = g->n_inputs, n_out = g->n_outputs, nj = n_in * n_out;
        // the structural nonzeros, row-major, and nothing else
        std::vector<int> want_row, want_col;
        for (int r = 0; r < nj; r++)
            if (plan.p.jac_slot[r] >= 0) {
                want_row.push_back(r / n_in);
                want_col.push_back(r % n_in);
            }
        ASSERT_EQ(*nnz, (int)want_row.size()) << c.name;
        EXPECT_EQ(std::vector<int>(row, row + *nnz), want_row) << c.name;
        EXPECT_EQ(std::vector<int>(col, col + *nnz), want_col) << c.name;
        const int rows = c.name == "dense" ? nj : *nnz;
        // 67 points: several blocks and a ragged last one; 1 point: a block of one
        for (int n : {67, 1}) {
            std::vector<double> x((size_t)n_in * n), y((size_t)n_out * n),
                J((size_t)rows * n, NAN);
            std::vector<std::vector<double>> pts;
            for (int p = 0; p < n; p++) {
                pts.push_back(find_point(g, 50 + p));
                for (int i = 0; i < n_in; i++) x[(size_t)i * n + p] = pts[p][i];
            }
            fn(n, x.data(), y.data(), J.data());
            for (int p = 0; p < n; p++) {
                std::vector<double> Jr(nj), yr(n_out), S(nj), Jp(nj, 0.0), yp(n_out);
                ASSERT_EQ(ccx_jac_eval(&plan.p, pts[p].data(), yr.data(), Jr.data(), nullptr, &err),
                          0) << err.msg;
                ASSERT_EQ(ccx_jac_abs_scale(g, pts[p].data(), S.data(), &err), 0);
                if (c.name == "dense")
                    for (int r = 0; r < nj; r++) Jp[r] = J[(size_t)r * n + p];
                else
                    for (int k = 0; k < *nnz; k++)
                        Jp[(size_t)row[k] * n_in + col[k]] = J[(size_t)k * n + p];
                for (int o = 0; o < n_out; o++) yp[o] = y[(size_t)o * n + p];
                expect_close(Jp, Jr, S, c.name + " point " + std::to_string(p));
                double ya, yrel;
                ccx_jac_compare(yp.data(), yr.data(), nullptr, (size_t)n_out, &ya, &yrel);
                EXPECT_LE(yrel, 1e-15) << c.name;
            }
        }
    }
    dlclose(dl);
}

TEST(Codegen, GeneratedCudaCompilesWithNvcc) {
    const char *nvcc = have("nvcc") ? "nvcc"
                       : access("/usr/local/cuda/bin/nvcc", X_OK) == 0 ? "/usr/local/cuda/bin/nvcc"
                                                                       : nullptr;
    if (!nvcc) GTEST_SKIP() << "no nvcc";
    ccx_error err;
    GraphPtr g = parse_task(kAllOps, &err, "allops.ccx");
    ASSERT_TRUE(g) << err.msg;
    std::string code = codegen(g.get(), baseline(g.get(), CCX_BASELINE_MARKOWITZ), CCX_LANG_CUDA,
                               "allops", "markowitz");
    EXPECT_NE(code.find("extern \"C\" __global__ void allops_jacobian_kernel"), std::string::npos);
    EXPECT_NE(code.find("extern \"C\" int allops_jacobian_cuda"), std::string::npos);
    TempDir dir;
    ASSERT_FALSE(dir.path.empty());
    // the kernel plus the benchmark harness, compiled and linked (it cannot
    // run without a device; `ccx bench jacobian --lang cuda` runs it)
    char *buf = nullptr;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ASSERT_EQ(ccx_codegen_write_cuda_harness(f, "allops", g->n_inputs, g->n_outputs,
                                             g->n_inputs * g->n_outputs), 0);
    fclose(f);
    dir.write("k.cu", code + std::string(buf, len));
    free(buf);
    std::string cmd = std::string(nvcc) + " -O1 -arch=sm_90 -o '" + dir.path + "/k' '" + dir.path +
                      "/k.cu' > '" + dir.path + "/nvcc.log' 2>&1";
    int rc = std::system(cmd.c_str());
    if (rc != 0) {
        std::ifstream log(dir.path + "/nvcc.log");
        std::stringstream ss;
        ss << log.rdbuf();
        FAIL() << cmd << "\n" << ss.str();
    }
}

}  // namespace
