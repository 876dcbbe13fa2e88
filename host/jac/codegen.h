/* Code generation: straight-line code computing the outputs and the
 * Jacobian of a task in a given elimination order, for a batch of points.
 *
 * The emitted code follows the interpreter's schedule (ccx_jac_plan) line by
 * line: values, local partials (the formulas of graph/ops.c), then between the
 * markers CCX_CODEGEN_BEGIN_ACC and CCX_CODEGEN_END_ACC one line per product
 * of the elimination that is not folded away,
 *
 *     d_v9_x1 += d_v9_v8 * d_v8_x1;      (or a declaration for a fill-in)
 *
 * (comments there use '//' or '#', never an asterisk, so the '*' in that
 * section count the multiplications). C and CUDA fold compile-time constants
 * as the code is written: a local partial that is a constant (+-1 of add,
 * sub, neg; a literal factor) gets no variable, a product with +-1 is a copy
 * or a negation, a product or sum of constants is a literal. So the C and
 * CUDA code multiply exactly as often as the real-work cost model prices the
 * order (ccx_order_cost under CCX_COST_REAL); JAX writes every product, one
 * per unit of AlphaGrad's model. Output -> output back-substitution, if the
 * graph needs it, follows in its own marked section.
 *
 * Languages:
 *   c     void NAME_jacobian(long n, const double *x, double *y, double *J)
 *         over n points, structure of arrays (row k of an array holds entry k
 *         of every point):
 *           x[i*n + p]                 input i (0-based) of point p
 *           y[o*n + p]                 output o
 *           J[k*n + p]                 sparse (default): the k-th structural
 *                                      nonzero, d y_{NAME_jac_row[k]} /
 *                                      d x_{NAME_jac_col[k]}, row-major order
 *           J[(o*n_inputs + i)*n + p]  dense (layout CCX_LAYOUT_DENSE)
 *         plus const int NAME_n_inputs, NAME_n_outputs, NAME_jac_nnz,
 *         NAME_jac_row[], NAME_jac_col[]; const long NAME_cost (the real
 *         multiplications of the accumulation). The body runs over blocks of
 *         points held in local arrays, cut into loops at its sqrt calls so
 *         that plain -O3 vectorises the rest (jac/codegen_loops.h);
 *         NAME_jacobian_ld(n, ld, ...) takes rows ld apart and
 *         NAME_padded_ld(n) gives an ld that no batch size makes collide in
 *         the cache.
 *   cuda  the same body in  extern "C" __global__ void NAME_jacobian_kernel(
 *         long n, const double *x, double *y, double *J)  (one thread per
 *         point, device pointers, same layouts) and a launcher
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

/* How C and CUDA lay out J (JAX returns it dense). */
typedef enum { CCX_LAYOUT_SPARSE = 0, CCX_LAYOUT_DENSE = 1 } ccx_codegen_layout;

typedef struct {
    ccx_codegen_lang lang;
    const char *name;   /* function prefix (a C identifier); NULL: from the task name */
    const char *method; /* where the order came from, for the header; NULL: "imported" */
    ccx_codegen_layout layout;
} ccx_codegen_opts;

typedef struct {
    /* multiplications written in the accumulation section: acc_nonconstant
     * for C and CUDA, acc_products for JAX */
    int64_t acc_mults;
    int64_t back_mults; /* in the back-substitution section */
    /* accumulation products whose factors are not both compile-time
     * constants and neither is +-1: the real-work model's cost of the order */
    int64_t acc_nonconstant;
    int64_t acc_products; /* all products: AlphaGrad's model, ccx_order_cost */
} ccx_codegen_stats;

/* "sparse", "dense" <-> enum; parse returns 0 on success. */
int ccx_codegen_layout_parse(const char *s, ccx_codegen_layout *out);

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
 * "ccx-bench best_ns=B median_ns=M points=P" (ns per point) and writes the
 * n_jrows rows of J of the K points (J[r*K + k], the code's layout) to JOUT. Used by
 * `ccx bench jacobian --lang cuda`. 0 on success, -1 on a write error. */
int ccx_codegen_write_cuda_harness(FILE *out, const char *name, int n_in, int n_out, int n_jrows);

#ifdef __cplusplus
}
#endif
#endif
