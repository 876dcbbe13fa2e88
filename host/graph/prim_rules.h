/* The edge records a jaxpr primitive makes, as AlphaGrad's graph builder
 * makes them (docs/tensor_model.md §5.2, prim_mapper.py at alphagrad 0431887):
 * which operands get an edge and each edge's [type, out dims, primal dims].
 * Checked against every case of the ten paper graphs
 * (tests/data/alphagrad/prim_edge_examples.txt) by tests/test_prim_rules.cc,
 * and against the exporter's Python twin (scripts/jax_export.py, which also
 * knows a few primitives AlphaGrad's table lacks: square, rem, select_n, copy,
 * ...) on every primitive it knows (tests/data/alphagrad/prim_rule_cases.txt).
 * Used by the random tensor-program generator (lang/tensor_gen.c); anything
 * that builds graphs from primitives can use it. */
#ifndef CCX_GRAPH_PRIM_RULES_H
#define CCX_GRAPH_PRIM_RULES_H

#include "graph/graph.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CCX_PRIM_MAX_OPERANDS 64

typedef struct {
    const char *prim;        /* jaxpr primitive name */
    int n_operands;
    ccx_shape operand[CCX_PRIM_MAX_OPERANDS];
    int literal[CCX_PRIM_MAX_OPERANDS]; /* 1: a literal (never gets an edge) */
    int32_t node[CCX_PRIM_MAX_OPERANDS]; /* the operand's node, to merge a repeated Var;
                                          * -1 for literals */
    ccx_shape out;
    int contract_lhs, contract_rhs; /* dot_general: the first contracting-dims pair */
    int axis0;               /* reduce_*: axes[0] */
} ccx_prim_call;

/* Fill rec[i] (type 0: no edge) for every operand of call. A Var that
 * appears twice gets one edge: the record of its last occurrence, as
 * AlphaGrad's sequential writes leave it (its earlier occurrences get type
 * 0). src/dst of the records are left for the caller. 0 on success; -1 with
 * err naming the primitive when AlphaGrad has no rule for it (its KeyError),
 * or for bad arguments. */
int ccx_prim_records(const ccx_prim_call *call, ccx_edge rec[], ccx_error *err);
/* 1 if prim has a rule. */
int ccx_prim_known(const char *prim);

#ifdef __cplusplus
}
#endif
#endif
