/* Code generation: straight-line code computing the outputs and the full
 * Jacobian of a task in a given elimination order, for a batch of points.
 *
 * The emitted code follows the interpreter's schedule (ccx_jac_plan) line by
 * line: values, local partials (the formulas of graph/ops.c), then between the
 * markers CCX_CODEGEN_BEGIN_ACC and CCX_CODEGEN_END_ACC exactly one line per
 * multiplication of the elimination,
 *
 *     d_v9_x1 += d_v9_v8 * d_v8_x1;      (or a declaration for a fill-in)
 *
 * so the '*' in that section count the order's cost exactly (comments there
 * use '//' or '#', never an asterisk). Output -> output back-substitution, if
 * the graph needs it, follows in its own marked section.
 *
 * Languages:
 *   c     void NAME_jacobian(long n, const double *x, double *y, double *J)
 *         loops over n points; structure of arrays:
 *           x[i*n + p]                 input i (0-based) of point p
 *           y[o*n + p]                 output o
 *           J[(o*n_inputs + i)*n + p]  d y_o / d x_i
 *         plus const int NAME_n_inputs, NAME_n_outputs; const long NAME_cost.
 *   cuda  the same body in  extern "C" __global__ void NAME_jacobian_kernel(
 *         long n, const double *x, double *y, double *J)  (one thread per
 *         point, device pointers, same layout) and a launcher
 *         extern "C" int NAME_jacobian_cuda(long n, const double *x,
 *         double *y, double *J, cudaStream_t stream)  returning the
 *         cudaError_t of the launch.
 *   jax   a Python module: f(x) (x[n_inputs] -> y[n_outputs], for
 *         jax.jacfwd / jax.jacrev) and jacobian(x) (x[n_inputs, ...] ->
 *         (y[n_outputs, ...], J[n_outputs, n_inputs, ...]), the same
 *         straight-line elimination in jnp), with N_INPUTS, N_OUTPUTS, COST.
 *
 * No domain checks are emitted: at a bad point NaN/inf propagate (use the
 * interpreter, `ccx jacobian`, to diagnose a point). */
#ifndef CCX_JAC_CODEGEN_H
#define CCX_JAC_CODEGEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "jac/jacobian.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CCX_CODEGEN_BEGIN_ACC "BEGIN ACCUMULATION"
#define CCX_CODEGEN_END_ACC "END ACCUMULATION"
#define CCX_CODEGEN_BEGIN_BACK "BEGIN BACK-SUBSTITUTION"
#define CCX_CODEGEN_END_BACK "END BACK-SUBSTITUTION"

typedef enum { CCX_LANG_C = 0, CCX_LANG_CUDA = 1, CCX_LANG_JAX = 2 } ccx_codegen_lang;

typedef struct {
    ccx_codegen_lang lang;
    const char *name;   /* function prefix (a C identifier); NULL: from the task name */
    const char *method; /* where the order came from, for the header; NULL: "imported" */
} ccx_codegen_opts;

typedef struct {
    int64_t acc_mults;  /* multiplications emitted in the accumulation section (== cost) */
    int64_t back_mults; /* in the back-substitution section */
    /* accumulation multiplications a compiler cannot fold away: neither
     * factor is a compile-time +-1 (the partials of add, sub, neg) and not
     * both factors are constants; the rest cost nothing at run time */
    int64_t acc_nonconstant;
} ccx_codegen_stats;

/* "c", "cuda", "jax" <-> enum; parse returns 0 on success. */
int ccx_codegen_lang_parse(const char *s, ccx_codegen_lang *out);
const char *ccx_codegen_lang_name(ccx_codegen_lang lang);
/* File suffix: ".c", ".cu", ".py". */
const char *ccx_codegen_suffix(ccx_codegen_lang lang);
/* The default prefix: the task name made a C identifier. */
void ccx_codegen_default_name(const ccx_graph *g, char *buf, size_t size);

/* Emit the code for plan. stats may be NULL. 0 on success; fails if the
 * emitted multiplication count differs from the order's cost (internal
 * error), on a bad name, or on a write error. */
int ccx_codegen_write(const ccx_jac_plan *plan, const ccx_codegen_opts *opts, FILE *out,
                      ccx_codegen_stats *stats, ccx_error *err);

/* Tensor graphs (codegen_tensor.c): a JAX module for graph g and the order
 * order[n] (valid): outputs(*inputs), jacobian(*inputs) returning the blocks
 * d output_o / d input_i as jax.jacrev(outputs, argnums=all) nests them, the
 * edge Jacobians kept structured (host/jac/jax_tensor_runtime.py, written into
 * the module), one product per predecessor x successor pair of each
 * elimination, and multiplications(), the scalar multiplications those
 * products perform. method names the order in the header. 0, or -1 with err
 * (ccx_codegen_tensor_check's refusals, a bad order, a write error). */
int ccx_codegen_tensor_jax(const ccx_graph *g, const int32_t *order, int n, const char *method,
                           FILE *out, ccx_error *err);
/* 0 if g can be written as JAX code: every primitive known to the runtime,
 * operands listed, no array constant left out of the file, no output that
 * feeds another vertex; else -1 with err naming the vertex. */
int ccx_codegen_tensor_check(const ccx_graph *g, ccx_error *err);

/* A main() appended to CUDA code from ccx_codegen_write (same name) makes it a
 * benchmark program:  PROG POINTS K TOTAL REPS JOUT  reads K points (SoA
 * doubles, x[i*K + k]) from POINTS, tiles them over chunks of up to 2^20
 * points on the device, runs NAME_jacobian_cuda over TOTAL points once to
 * warm up and REPS times timed with cudaEvents, prints
 * "ccx-bench best_ns=B median_ns=M points=P" (ns per point) and writes J of
 * the K points (J[r*K + k], r = o*n_inputs + i) to JOUT. Used by
 * `ccx bench jacobian --lang cuda`. 0 on success, -1 on a write error. */
int ccx_codegen_write_cuda_harness(FILE *out, const char *name, int n_in, int n_out);

#ifdef __cplusplus
}
#endif
#endif
