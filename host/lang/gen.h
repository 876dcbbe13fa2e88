/* Random task files (`ccx gen`): training data and stress tests. The result
 * is ordinary task-language text; parsing it gives exactly n_inputs inputs,
 * n_intermediates + n_outputs vertices and n_outputs outputs. */
#ifndef CCX_LANG_GEN_H
#define CCX_LANG_GEN_H

#include <stdint.h>

#include "graph/ops.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int n_inputs;         /* >= 1 */
    int n_intermediates;  /* >= 0 */
    int n_outputs;        /* >= 1 */
    uint64_t seed;
    int n_ops;            /* ops to draw from, with weights */
    ccx_op ops[CCX_OP_COUNT];
    double weights[CCX_OP_COUNT];
} ccx_gen_params;

/* Defaults: the op mix add, sub, mul, div, sin, cos, exp, log, tanh, sqrt... */
void ccx_gen_defaults(ccx_gen_params *p);
/* Parse "add,mul:2,sin" (name[:weight], names as in the task language). */
int ccx_gen_parse_ops(const char *spec, ccx_gen_params *p, ccx_error *err);
/* malloc'd task text, or NULL with err set. Same params -> same text. */
char *ccx_gen_task(const ccx_gen_params *p, ccx_error *err);

#ifdef __cplusplus
}
#endif
#endif
