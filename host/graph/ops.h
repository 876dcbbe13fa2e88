/* The elementary operations a vertex can perform, with their values and
 * local partial derivatives (the numbers the Jacobian interpreter multiplies
 * along edges). One table, in ops.c; the task language maps function names
 * (and JAX/NumPy aliases) onto it. */
#ifndef CCX_GRAPH_OPS_H
#define CCX_GRAPH_OPS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CCX_OP_NONE = -1, /* a graph-file primitive with no ccx op (not evaluable) */
    /* unary */
    CCX_OP_NEG = 0, CCX_OP_ABS, CCX_OP_SQRT, CCX_OP_EXP, CCX_OP_LOG, CCX_OP_LOG1P,
    CCX_OP_SIN, CCX_OP_COS, CCX_OP_TAN, CCX_OP_ASIN, CCX_OP_ACOS, CCX_OP_ATAN,
    CCX_OP_SINH, CCX_OP_COSH, CCX_OP_TANH, CCX_OP_ASINH, CCX_OP_ACOSH,
    CCX_OP_ATANH, CCX_OP_LOGISTIC, CCX_OP_ERF,
    /* unary with an integer parameter: x**k */
    CCX_OP_INTEGER_POW,
    /* binary */
    CCX_OP_ADD, CCX_OP_SUB, CCX_OP_MUL, CCX_OP_DIV, CCX_OP_POW, CCX_OP_ATAN2,
    CCX_OP_MIN, CCX_OP_MAX,
    /* unary: the identity, for an output's copy vertex (graph.h); last, so
     * the op codes above keep their numbers */
    CCX_OP_COPY,
    CCX_OP_COUNT
} ccx_op;

typedef struct {
    const char *name; /* canonical name (jaxpr primitive name) */
    int arity;        /* number of operands: 1 or 2 */
} ccx_op_info;

const ccx_op_info *ccx_op_get(ccx_op op);
/* Canonical name -> op (for files that store ops by name). 0 on success. */
int ccx_op_from_name(const char *name, ccx_op *out);
/* Task-language function name -> op: canonical names plus aliases
 * (arcsin, arctan2, sigmoid, minimum, power, ...). 0 on success. */
int ccx_op_from_function(const char *name, ccx_op *out);

/* Value of the op. For unary ops b is ignored; param is k for integer_pow. */
double ccx_op_value(ccx_op op, double a, double b, double param);
/* Local partials d/da and d/db at (a, b); db is set to 0 for unary ops. */
void ccx_op_partials(ccx_op op, double a, double b, double param,
                     double *da, double *db);

#ifdef __cplusplus
}
#endif
#endif
