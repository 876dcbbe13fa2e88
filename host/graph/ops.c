/* Values and local partials of every elementary op. The partials follow the
 * JVP rules JAX uses, so the Jacobian interpreter agrees with jax.jacfwd. */
#include "graph/ops.h"

#include <math.h>
#include <string.h>

static const ccx_op_info OPS[CCX_OP_COUNT] = {
    [CCX_OP_NEG] = {"neg", 1},       [CCX_OP_ABS] = {"abs", 1},
    [CCX_OP_SQRT] = {"sqrt", 1},     [CCX_OP_EXP] = {"exp", 1},
    [CCX_OP_LOG] = {"log", 1},       [CCX_OP_LOG1P] = {"log1p", 1},
    [CCX_OP_SIN] = {"sin", 1},       [CCX_OP_COS] = {"cos", 1},
    [CCX_OP_TAN] = {"tan", 1},       [CCX_OP_ASIN] = {"asin", 1},
    [CCX_OP_ACOS] = {"acos", 1},     [CCX_OP_ATAN] = {"atan", 1},
    [CCX_OP_SINH] = {"sinh", 1},     [CCX_OP_COSH] = {"cosh", 1},
    [CCX_OP_TANH] = {"tanh", 1},     [CCX_OP_ASINH] = {"asinh", 1},
    [CCX_OP_ACOSH] = {"acosh", 1},   [CCX_OP_ATANH] = {"atanh", 1},
    [CCX_OP_LOGISTIC] = {"logistic", 1}, [CCX_OP_ERF] = {"erf", 1},
    [CCX_OP_INTEGER_POW] = {"integer_pow", 1},
    [CCX_OP_ADD] = {"add", 2},       [CCX_OP_SUB] = {"sub", 2},
    [CCX_OP_MUL] = {"mul", 2},       [CCX_OP_DIV] = {"div", 2},
    [CCX_OP_POW] = {"pow", 2},       [CCX_OP_ATAN2] = {"atan2", 2},
    [CCX_OP_MIN] = {"min", 2},       [CCX_OP_MAX] = {"max", 2},
    [CCX_OP_COPY] = {"copy", 1},
};

static const struct { const char *alias; ccx_op op; } ALIASES[] = {
    {"arcsin", CCX_OP_ASIN},     {"arccos", CCX_OP_ACOS},
    {"arctan", CCX_OP_ATAN},     {"arcsinh", CCX_OP_ASINH},
    {"arccosh", CCX_OP_ACOSH},   {"arctanh", CCX_OP_ATANH},
    {"arctan2", CCX_OP_ATAN2},   {"sigmoid", CCX_OP_LOGISTIC},
    {"expit", CCX_OP_LOGISTIC},  {"minimum", CCX_OP_MIN},
    {"maximum", CCX_OP_MAX},     {"power", CCX_OP_POW},
    {"negative", CCX_OP_NEG},    {"absolute", CCX_OP_ABS},
    {"fabs", CCX_OP_ABS},        {"multiply", CCX_OP_MUL},
    {"subtract", CCX_OP_SUB},    {"divide", CCX_OP_DIV},
    {"true_divide", CCX_OP_DIV},
};

const ccx_op_info *ccx_op_get(ccx_op op) {
    if ((int)op < 0 || op >= CCX_OP_COUNT) return NULL;
    return &OPS[op];
}

int ccx_op_from_name(const char *name, ccx_op *out) {
    for (int i = 0; i < CCX_OP_COUNT; i++)
        if (strcmp(OPS[i].name, name) == 0) { *out = (ccx_op)i; return 0; }
    return -1;
}

int ccx_op_from_function(const char *name, ccx_op *out) {
    if (ccx_op_from_name(name, out) == 0) return 0;
    for (size_t i = 0; i < sizeof ALIASES / sizeof ALIASES[0]; i++)
        if (strcmp(ALIASES[i].alias, name) == 0) { *out = ALIASES[i].op; return 0; }
    return -1;
}

static double logistic(double x) { return 1.0 / (1.0 + exp(-x)); }

/* x**k for integer k, by repeated squaring as XLA does for integer_pow. */
static double integer_pow(double x, long k) {
    int neg = k < 0;
    unsigned long n = neg ? -(unsigned long)k : (unsigned long)k;
    double acc = 1.0, base = x;
    while (n) {
        if (n & 1) acc *= base;
        base *= base;
        n >>= 1;
    }
    return neg ? 1.0 / acc : acc;
}

double ccx_op_value(ccx_op op, double a, double b, double param) {
    switch (op) {
    case CCX_OP_NEG: return -a;
    case CCX_OP_ABS: return fabs(a);
    case CCX_OP_SQRT: return sqrt(a);
    case CCX_OP_EXP: return exp(a);
    case CCX_OP_LOG: return log(a);
    case CCX_OP_LOG1P: return log1p(a);
    case CCX_OP_SIN: return sin(a);
    case CCX_OP_COS: return cos(a);
    case CCX_OP_TAN: return tan(a);
    case CCX_OP_ASIN: return asin(a);
    case CCX_OP_ACOS: return acos(a);
    case CCX_OP_ATAN: return atan(a);
    case CCX_OP_SINH: return sinh(a);
    case CCX_OP_COSH: return cosh(a);
    case CCX_OP_TANH: return tanh(a);
    case CCX_OP_ASINH: return asinh(a);
    case CCX_OP_ACOSH: return acosh(a);
    case CCX_OP_ATANH: return atanh(a);
    case CCX_OP_LOGISTIC: return logistic(a);
    case CCX_OP_ERF: return erf(a);
    case CCX_OP_INTEGER_POW:
        /* an exponent past long's range (a hostile task or graph file) would
         * make the conversion undefined; pow gives the same value there */
        return fabs(param) < 9.0e18 ? integer_pow(a, (long)param) : pow(a, param);
    case CCX_OP_ADD: return a + b;
    case CCX_OP_SUB: return a - b;
    case CCX_OP_MUL: return a * b;
    case CCX_OP_DIV: return a / b;
    case CCX_OP_POW: return pow(a, b);
    case CCX_OP_ATAN2: return atan2(a, b);
    case CCX_OP_MIN: return fmin(a, b);
    case CCX_OP_MAX: return fmax(a, b);
    case CCX_OP_COPY: return a;
    case CCX_OP_NONE:
    case CCX_OP_COUNT: break;
    }
    return NAN;
}

void ccx_op_partials(ccx_op op, double a, double b, double param, double *da,
                     double *db) {
    double x = 0.0, y = 0.0;
    switch (op) {
    case CCX_OP_NEG: x = -1.0; break;
    case CCX_OP_ABS: x = a > 0 ? 1.0 : (a < 0 ? -1.0 : 0.0); break;
    case CCX_OP_SQRT: x = 0.5 / sqrt(a); break;
    case CCX_OP_EXP: x = exp(a); break;
    case CCX_OP_LOG: x = 1.0 / a; break;
    case CCX_OP_LOG1P: x = 1.0 / (1.0 + a); break;
    case CCX_OP_SIN: x = cos(a); break;
    case CCX_OP_COS: x = -sin(a); break;
    case CCX_OP_TAN: { double t = tan(a); x = 1.0 + t * t; } break;
    case CCX_OP_ASIN: x = 1.0 / sqrt(1.0 - a * a); break;
    case CCX_OP_ACOS: x = -1.0 / sqrt(1.0 - a * a); break;
    case CCX_OP_ATAN: x = 1.0 / (1.0 + a * a); break;
    case CCX_OP_SINH: x = cosh(a); break;
    case CCX_OP_COSH: x = sinh(a); break;
    case CCX_OP_TANH: { double t = tanh(a); x = 1.0 - t * t; } break;
    case CCX_OP_ASINH: x = 1.0 / sqrt(a * a + 1.0); break;
    case CCX_OP_ACOSH: x = 1.0 / sqrt(a * a - 1.0); break;
    case CCX_OP_ATANH: x = 1.0 / (1.0 - a * a); break;
    case CCX_OP_LOGISTIC: { double s = logistic(a); x = s * (1.0 - s); } break;
    case CCX_OP_ERF: x = 1.1283791670955126 * exp(-a * a); break; /* 2/sqrt(pi) */
    case CCX_OP_INTEGER_POW: {
        long k = (long)param;
        x = k == 0 ? 0.0 : (double)k * integer_pow(a, k - 1);
    } break;
    case CCX_OP_COPY: x = 1.0; break;
    case CCX_OP_ADD: x = 1.0; y = 1.0; break;
    case CCX_OP_SUB: x = 1.0; y = -1.0; break;
    case CCX_OP_MUL: x = b; y = a; break;
    case CCX_OP_DIV: x = 1.0 / b; y = -a / (b * b); break;
    case CCX_OP_POW:
        /* d/da = b a^(b-1); d/db = a^b log a (taken as 0 where a == 0, as JAX does) */
        x = b == 0.0 ? 0.0 : b * pow(a, b - 1.0);
        y = a == 0.0 ? 0.0 : pow(a, b) * log(a);
        break;
    case CCX_OP_ATAN2: {
        double r2 = a * a + b * b;
        x = b / r2; y = -a / r2;
    } break;
    /* Ties split the derivative evenly, as JAX's min/max JVP does. */
    case CCX_OP_MIN: x = a < b ? 1.0 : (a == b ? 0.5 : 0.0); y = 1.0 - x; break;
    case CCX_OP_MAX: x = a > b ? 1.0 : (a == b ? 0.5 : 0.0); y = 1.0 - x; break;
    case CCX_OP_NONE:
    case CCX_OP_COUNT: x = y = NAN; break;
    }
    if (da) *da = x;
    if (db) *db = y;
}
