// Task language: precedence, evaluation order, folding, inlining, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "test_util.h"

extern "C" {
#include "graph/ops.h"
}

namespace {

// "op(args)" listing of every vertex, e.g. "integer_pow(x1,k=2) neg(v1)".
std::string listing(const ccx_graph *g) {
    std::string s;
    char buf[64];
    for (int k = 0; k < g->n_vertices; k++) {
        const ccx_vertex &v = g->vertices[k];
        if (k) s += " ";
        s += ccx_op_get(v.op)->name;
        s += "(";
        for (int i = 0; i < v.n_args; i++) {
            if (i) s += ",";
            if (v.args[i].node >= 0) s += ccx_graph_node_label(g, v.args[i].node, buf, sizeof buf);
            else { snprintf(buf, sizeof buf, "%g", v.args[i].constant); s += buf; }
        }
        if (v.op == CCX_OP_INTEGER_POW) { snprintf(buf, sizeof buf, ",k=%g", v.param); s += buf; }
        s += ")";
    }
    return s;
}

std::string trace(const std::string &body, const std::string &inputs = "x, y, z") {
    ccx_error err;
    GraphPtr g = parse_task("input " + inputs + "\n" + body + "\n", &err);
    if (!g) {
        char buf[1024];
        return std::string("ERROR ") + ccx_error_format(&err, buf, sizeof buf);
    }
    return listing(g.get());
}

TEST(Lang, UnaryMinusBindsLooserThanPower) {
    EXPECT_EQ(trace("r = -x**2\noutput r"), "integer_pow(x1,k=2) neg(v1)");
    EXPECT_EQ(trace("r = -x*y\noutput r"), "neg(x1) mul(v1,x2)");
    EXPECT_EQ(trace("r = 2**-x\noutput r"), "neg(x1) pow(2,v1)");
}

TEST(Lang, LeftAssociativeProductsAndSums) {
    EXPECT_EQ(trace("r = x*y*z\noutput r"), "mul(x1,x2) mul(v1,x3)");
    EXPECT_EQ(trace("r = x - y - z\noutput r"), "sub(x1,x2) sub(v1,x3)");
    EXPECT_EQ(trace("r = x / y * z\noutput r"), "div(x1,x2) mul(v1,x3)");
    EXPECT_EQ(trace("r = x + y * z\noutput r"), "mul(x2,x3) add(x1,v1)");
}

TEST(Lang, PowerIsRightAssociativeAndFoldsExponents) {
    // 2**2 folds to the int 4: one integer_pow vertex.
    EXPECT_EQ(trace("r = x**2**2\noutput r"), "integer_pow(x1,k=4)");
    EXPECT_EQ(trace("r = x**(1+1)\noutput r"), "integer_pow(x1,k=2)");
    // float exponents are pow with a constant operand, still one vertex
    EXPECT_EQ(trace("r = x**2.0\noutput r"), "pow(x1,2)");
    EXPECT_EQ(trace("r = x**(4/2)\noutput r"), "pow(x1,2)");
    EXPECT_EQ(trace("r = x**y\noutput r"), "pow(x1,x2)");
    EXPECT_EQ(trace("r = pow(x, 3)\noutput r"), "integer_pow(x1,k=3)");
}

TEST(Lang, OperandsEvaluateLeftToRight) {
    EXPECT_EQ(trace("r = sin(x) * cos(y)\noutput r"), "sin(x1) cos(x2) mul(v1,v2)");
    EXPECT_EQ(trace("r = atan2(exp(y), log(x))\noutput r"), "exp(x2) log(x1) atan2(v1,v2)");
}

TEST(Lang, ConstantsFoldAndCreateNoVertex) {
    EXPECT_EQ(trace("const g = 0.5\nr = (g - 1.) * x\noutput r"), "mul(-0.5,x1)");
    EXPECT_EQ(trace("r = 2*x\noutput r"), "mul(2,x1)");
    EXPECT_EQ(trace("r = x - 3.\noutput r"), "sub(x1,3)");
    EXPECT_EQ(trace("r = sqrt(4.) * x + exp(0)\noutput r"), "mul(2,x1) add(v1,1)");
    EXPECT_EQ(trace("r = -(-x)\noutput r"), "neg(x1) neg(v1)");
    EXPECT_EQ(trace("r = +x * y\noutput r"), "mul(x1,x2)");
}

TEST(Lang, NoCommonSubexpressionElimination) {
    EXPECT_EQ(trace("r = sqrt(x) + sqrt(x)\noutput r"), "sqrt(x1) sqrt(x1) add(v1,v2)");
}

TEST(Lang, DefsAreInlinedAtEachCall) {
    EXPECT_EQ(trace("def f(a) = a*a\nr = f(x) + f(y)\noutput r"), "mul(x1,x1) mul(x2,x2) add(v1,v2)");
    const char *block =
        "def F(u0, u1, p):\n"
        "    v = u1 / u0\n"
        "    return u1, p + u1 * v\n"
        "a, b = F(x, y, z)\n"
        "r = a * b\n"
        "output r, b";
    // a is the input y itself: no vertex; the output b feeds r, so a copy of
    // it is the output (graph.h)
    EXPECT_EQ(trace(block), "div(x2,x1) mul(x2,v1) add(x3,v2) mul(x2,v3) copy(v3)");
    // defs read globals and consts at call time; nested calls
    EXPECT_EQ(trace("const c = 3\ndef g(a) = a * c\ndef h(a) = g(a) + g(a)\nr = h(x)\noutput r"),
              "mul(x1,3) mul(x1,3) add(v1,v2)");
    // return f(...) passes several values on
    EXPECT_EQ(trace("def f(a) = a + 1, a + 2\ndef g(a):\n    return f(a)\np, q = g(x)\noutput p, q"),
              "add(x1,1) add(x1,2)");
}

TEST(Lang, TupleAssignmentEvaluatesTheRightSideFirst) {
    ccx_error err;
    GraphPtr g = parse_task("input x, y\na, b = sin(x), cos(y)\na, b = b, a\nr = a - b\noutput r\n", &err);
    ASSERT_TRUE(g);
    EXPECT_EQ(listing(g.get()), "sin(x1) cos(x2) sub(v2,v1)");
}

TEST(Lang, ConveniencesFromJaxCode) {
    EXPECT_EQ(trace("r = jnp.sqrt(x) + np.sin(y) + jax.nn.sigmoid(z)\noutput r"),
              "sqrt(x1) sin(x2) add(v1,v2) logistic(x3) add(v3,v4)");
    EXPECT_EQ(trace("p = lambda a, b: a * b - 1.\nr = p(x, y)\noutput r"), "mul(x1,x2) sub(v1,1)");
    EXPECT_EQ(trace("r = x\nr += y\nr *= 2\noutput r"), "add(x1,x2) mul(v1,2)");
    EXPECT_EQ(trace("r = arctan2(y, x) + abs(z) + maximum(x, y)\noutput r"),
              "atan2(x2,x1) abs(x3) add(v1,v2) max(x1,x2) add(v3,v4)");
    EXPECT_EQ(trace("r = (x +\n     y) \\\n  * z  # comment\noutput r"), "add(x1,x2) mul(v1,x3)");
}

TEST(Lang, NumberingInputsOutputsAndNames) {
    ccx_error err;
    GraphPtr g = parse_task("# demo\ninput a, b\ninput c\nt = a * b\nu = t + c\nw = sin(t)\noutput w, u\n",
                            &err, "dir/demo.ccx");
    ASSERT_TRUE(g);
    EXPECT_STREQ(g->task_name, "demo");
    EXPECT_EQ(g->n_inputs, 3);
    EXPECT_EQ(g->n_vertices, 3);
    ASSERT_EQ(g->n_outputs, 2);
    EXPECT_EQ(g->outputs[0], 3);  // w
    EXPECT_EQ(g->outputs[1], 2);  // u
    EXPECT_TRUE(g->vertices[1].is_output);
    EXPECT_FALSE(g->vertices[0].is_output);
    EXPECT_STREQ(g->vertices[0].name, "t");
    EXPECT_EQ(g->n_edges, 5);
    EXPECT_EQ(g->vertices[0].line, 4);
    EXPECT_EQ(g->vertices[0].col, 7);
}

TEST(Lang, EvaluatesValues) {
    ccx_error err;
    GraphPtr g = parse_task("input x, y\nr = -x**2 + y / 4 * 2\ns = atan2(y, x) - x**-1\noutput r, s\n", &err);
    ASSERT_TRUE(g);
    std::vector<double> v(ccx_graph_n_nodes(g.get()));
    double in[2] = {3.0, 2.0};
    int bad = -1;
    ASSERT_EQ(ccx_graph_eval(g.get(), in, v.data(), &bad), 0);
    EXPECT_EQ(bad, 0);
    EXPECT_DOUBLE_EQ(v[g->n_inputs + g->outputs[0] - 1], -9.0 + 1.0);
    EXPECT_DOUBLE_EQ(v[g->n_inputs + g->outputs[1] - 1], std::atan2(2.0, 3.0) - 1.0 / 3.0);
    double neg[2] = {-1.0, 0.0};
    GraphPtr h = parse_task("input x, y\nr = sqrt(x) + y\noutput r\n", &err);
    ASSERT_TRUE(h);
    EXPECT_EQ(ccx_graph_eval(h.get(), neg, v.data(), &bad), -1);
    EXPECT_EQ(bad, 1);  // sqrt(-1) is the first non-finite vertex
}

struct ErrorCase {
    const char *src;
    int line, col;
    const char *needle;
};

TEST(Lang, ErrorsNameLineColumnAndCause) {
    const ErrorCase cases[] = {
        {"input x\ny = x +\noutput y\n", 2, 8, "expected a number, a name or '('"},
        {"input x\ny = z * x\noutput y\n", 2, 5, "name 'z' is not defined"},
        {"input x\ny = foo(x)\noutput y\n", 2, 5, "unknown function 'foo'"},
        {"input x\ny = sin(x, x)\noutput y\n", 2, 5, "sin() takes 1 argument but 2 were given"},
        {"input x\ny = 2.5\noutput y\n", 3, 8, "is a constant"},
        {"input x\noutput x\n", 2, 8, "is an input"},
        {"input x\ny = sin(x)\noutput y, y\n", 3, 11, "already an output"},
        {"input x\ny = sin(x)\n", 0, 0, "no outputs"},
        {"input x\nconst c = x + 1\n", 2, 7, "must be a constant expression"},
        {"input x\ndef f(a) = f(a)\ny = f(x)\noutput y\n", 2, 12, "recursive call to 'f'"},
        {"input x\ndef sin(a) = a\n", 2, 5, "built-in function"},
        {"input x\ny = (x + 1\noutput y\n", 2, 5, "'(' is never closed"},
        {"input x\ny = x $ 2\n", 2, 7, "unexpected character '$'"},
        {"input x\n  y = sin(x)\n", 2, 3, "unexpected indentation"},
        {"input x\ndef f(a):\n    return a\n    b = a\n", 4, 5, "after return"},
        {"input x\ndef f(a):\n    b = a\n  return b\n", 4, 3, "inconsistent indentation"},
        {"input x\ndef f(a):\ny = x\n", 2, 1, "has no body"},
        {"input x\na, b = sin(x)\n", 2, 1, "'sin' returns 1 value but 2 names"},
        {"input x\ndef f(a) = a, a\ny = f(x) + 1\n", 3, 5, "'f' returns 2 values"},
        {"input x\na, b, c = 1, 2\n", 2, 1, "3 names but 2 values"},
        {"input x\ny = x * (1 / (1 - 1))\n", 2, 12, "division by zero"},
        {"input x\ny = x * sqrt(-1.)\n", 2, 9, "nan"},
        {"return 1\n", 1, 1, "'return' outside a def"},
        {"input x\ny = sin(x=1)\n", 2, 10, "keyword arguments"},
        {"input x\ny = x[0]\n", 2, 6, "indexing"},
        {"input x\ny = x // 2\n", 2, 7, "floor division"},
        {"input x\nimport jax\n", 2, 1, "not part of the task language"},
        {"input x, x\n", 1, 10, "already defined"},
        {"const c = 1\nc = 2\n", 2, 1, "cannot assign to constant"},
        {"input x\ny = x.real\n", 2, 5, "attribute access"},
        {"input x\ny = 1e+\n", 2, 8, "exponent"},
        {"input def\n", 1, 7, "reserved word"},
        {"input x\ny = (x, x)\n", 2, 7, "tuples"},
        {"input x\ny = sin\n", 2, 5, "is a function"},
    };
    for (const auto &c : cases) {
        ccx_error err;
        GraphPtr g = parse_task(c.src, &err, "bad.ccx");
        EXPECT_FALSE(g) << c.src;
        EXPECT_STREQ(err.file, "bad.ccx") << c.src;
        EXPECT_EQ(err.line, c.line) << c.src << " -> " << err.msg;
        EXPECT_EQ(err.col, c.col) << c.src << " -> " << err.msg;
        EXPECT_NE(std::string(err.msg).find(c.needle), std::string::npos)
            << c.src << " -> " << err.msg;
    }
}

TEST(Lang, HostileInputsAreErrorsNotCrashes) {
    ccx_error err;
    std::string deep = "input x\ny = " + std::string(5000, '(') + "x" + std::string(5000, ')') + "\n";
    EXPECT_FALSE(parse_task(deep, &err));
    EXPECT_NE(std::string(err.msg).find("nested deeper"), std::string::npos) << err.msg;

    std::string chain = "input x\ny = x";
    for (int i = 0; i < 20000; i++) chain += " + x";
    EXPECT_FALSE(parse_task(chain + "\noutput y\n", &err));
    EXPECT_NE(std::string(err.msg).find("expression too long"), std::string::npos) << err.msg;

    std::string minus = "input x\ny = " + std::string(100000, '-') + "x\n";
    EXPECT_FALSE(parse_task(minus, &err));

    // exponential inlining with constants only: bounded work, clean error
    std::string expo = "input x\ndef f0(a) = a + a\n";
    for (int i = 1; i < 60; i++)
        expo += "def f" + std::to_string(i) + "(a) = f" + std::to_string(i - 1) + "(a) + f" +
                std::to_string(i - 1) + "(a)\n";
    EXPECT_FALSE(parse_task(expo + "y = f59(1) * x\noutput y\n", &err));
    EXPECT_FALSE(parse_task(expo + "y = f59(x)\noutput y\n", &err));
    EXPECT_NE(std::string(err.msg).find("exceeds"), std::string::npos) << err.msg;

    // a constant integer power with a huge exponent (a fuzz find: the folded
    // integer_pow converted 4.9e22 to long)
    EXPECT_FALSE(parse_task("input x\nR3 = 1 **48888888888888888888888\ny = R3 * x\noutput y\n", &err));
    EXPECT_NE(std::string(err.msg).find("integer exponent out of range"), std::string::npos) << err.msg;
    EXPECT_EQ(ccx_op_value(CCX_OP_INTEGER_POW, 1.0, 0.0, 4.9e22), 1.0);
    EXPECT_EQ(ccx_op_value(CCX_OP_INTEGER_POW, 2.0, 0.0, -1e30), 0.0);

    std::string nul("input x\ny = x\0\n", 15);
    EXPECT_FALSE(parse_task(nul, &err));
    EXPECT_EQ(err.line, 2);

    EXPECT_FALSE(parse_task("", &err));
    EXPECT_FALSE(parse_task("\xff\xfe", &err));
    EXPECT_NE(std::string(err.msg).find("0xff"), std::string::npos) << err.msg;
}

// Every op's partials against central differences (double precision).
TEST(Ops, PartialsMatchFiniteDifferences) {
    for (int op = 0; op < CCX_OP_COUNT; op++) {
        const ccx_op_info *info = ccx_op_get((ccx_op)op);
        // points inside every op's domain (acosh needs a > 1, asin |a| < 1, ...)
        double a = op == CCX_OP_ACOSH ? 1.7 : 0.37, b = 1.3, param = 3;
        if (op == CCX_OP_MIN || op == CCX_OP_MAX) b = 0.9;
        double da, db;
        ccx_op_partials((ccx_op)op, a, b, param, &da, &db);
        const double h = 1e-6;
        double fa = (ccx_op_value((ccx_op)op, a + h, b, param) - ccx_op_value((ccx_op)op, a - h, b, param)) / (2 * h);
        EXPECT_NEAR(da, fa, 1e-7 * (1 + std::fabs(fa))) << info->name;
        if (info->arity == 2) {
            double fb = (ccx_op_value((ccx_op)op, a, b + h, param) - ccx_op_value((ccx_op)op, a, b - h, param)) / (2 * h);
            EXPECT_NEAR(db, fb, 1e-7 * (1 + std::fabs(fb))) << info->name;
        } else {
            EXPECT_EQ(db, 0.0) << info->name;
        }
        // every canonical name is also a task-language function name
        ccx_op back;
        ASSERT_EQ(ccx_op_from_function(info->name, &back), 0) << info->name;
        EXPECT_EQ(back, op);
    }
}

}  // namespace
