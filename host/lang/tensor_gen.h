/* Random tensor programs (`ccx gen --tensor`): jaxpr-like straight-line
 * programs of scalar, vector and matrix values, built into graphs with
 * AlphaGrad's primitive rules (graph/prim_rules.h), so their records use the
 * sparsity types the paper's tensor tasks use: elementwise unary and binary
 * ops with scalar, row and column broadcasting, dot_general (matmul, matvec,
 * vecmat, dot, A^T B, A B^T), reduce_sum / reduce_max, transpose,
 * broadcast_in_dim, reshape, slice, concatenate, convert_element_type and
 * the odd stop_gradient. For tests, benchmarks and training data. */
#ifndef CCX_LANG_TENSOR_GEN_H
#define CCX_LANG_TENSOR_GEN_H

#include <stdint.h>

#include "graph/graph.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int n_inputs;         /* >= 1 */
    int n_intermediates;  /* >= 0 */
    int n_outputs;        /* >= 1 */
    int max_dim;          /* dims are drawn from 2..max_dim (>= 2) */
    uint64_t seed;
} ccx_tensor_gen_params;

void ccx_tensor_gen_defaults(ccx_tensor_gen_params *p);
/* A graph with exactly n_inputs inputs and n_intermediates + n_outputs
 * vertices, the last n_outputs of them outputs; task name "gen<seed>".
 * Same params -> same graph. NULL with err on bad params. */
ccx_graph *ccx_tensor_gen(const ccx_tensor_gen_params *p, ccx_error *err);

#ifdef __cplusplus
}
#endif
#endif
