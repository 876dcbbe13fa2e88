/* CUDA backend of the policy/value network (cuda/nn_cuda.cu): the same
 * math as nn_cpu.c, with cuBLAS for the matrix products and the kernels of
 * cuda/nn_kernels.cu for the rest. Without CUDA (no CCX_HAVE_CUDA) every
 * function here is a stub (host/nn/nn_cuda_stub.c) that fails with
 * "built without CUDA".
 *
 * Pointers called "dev" are device memory; "host" ones are host memory.
 * Every call returns 0, or -1 with err describing the failed CUDA/cuBLAS
 * call; nothing aborts. Work is queued on the model's own stream;
 * functions that return data to the host synchronise it. */
#ifndef CCX_NN_NN_CUDA_H
#define CCX_NN_NN_CUDA_H

#include <stddef.h>
#include <stdint.h>

#include "nn/model.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ccx_nn_cuda ccx_nn_cuda;

/* Allocate on device 0 for batches up to max_batch at N up to cfg->n_pad.
 * params: initial parameters (host, n_params floats); moments and grads
 * start at zero. tf32: allow TF32 tensor-core math in cuBLAS (FP32
 * accumulate). */
ccx_nn_cuda *ccx_nn_cuda_create(const ccx_nn_config *cfg, int max_batch, const float *params_host,
                                int tf32, ccx_error *err);
void ccx_nn_cuda_free(ccx_nn_cuda *nn);

/* obs arrays in device memory */
int ccx_nn_cuda_forward(ccx_nn_cuda *nn, const ccx_nn_obs *obs_dev, ccx_error *err);
/* device pointers to the last forward's logits [B, N] and value [B] */
const float *ccx_nn_cuda_logits(const ccx_nn_cuda *nn);
const float *ccx_nn_cuda_value(const ccx_nn_cuda *nn);
int ccx_nn_cuda_zero_grad(ccx_nn_cuda *nn, ccx_error *err);
/* dlogits_dev [B, N], dvalue_dev [B] (either may be NULL) */
int ccx_nn_cuda_backward(ccx_nn_cuda *nn, const float *dlogits_dev, const float *dvalue_dev,
                         ccx_error *err);
/* Global-norm clipping and AdamW update on the device (kernels); norm_host
 * (may be NULL) receives the gradient norm before clipping (reading it
 * synchronises). */
int ccx_nn_cuda_adamw_step(ccx_nn_cuda *nn, const ccx_nn_adamw *hp, float *norm_host,
                           ccx_error *err);

/* Host-memory conveniences (staging copies; synchronous). */
int ccx_nn_cuda_forward_host(ccx_nn_cuda *nn, const ccx_nn_obs *obs_host, float *logits_host,
                             float *value_host, ccx_error *err);
int ccx_nn_cuda_backward_host(ccx_nn_cuda *nn, const float *dlogits_host,
                              const float *dvalue_host, ccx_error *err);

/* State transfer (host arrays of n_params floats; any may be NULL = skip). */
int ccx_nn_cuda_get_state(ccx_nn_cuda *nn, float *params, float *grads, float *m, float *v,
                          long *step, ccx_error *err);
int ccx_nn_cuda_set_state(ccx_nn_cuda *nn, const float *params, const float *m, const float *v,
                          long step, ccx_error *err);
/* Wait for all queued work; report any asynchronous kernel error. */
int ccx_nn_cuda_sync(ccx_nn_cuda *nn, ccx_error *err);

/* Device memory helpers for callers staging their own arrays. */
int ccx_nn_cuda_malloc(void **p, size_t bytes, ccx_error *err);
void ccx_nn_cuda_free_mem(void *p);
int ccx_nn_cuda_copy_to_device(void *dst, const void *src, size_t bytes, ccx_error *err);

#ifdef __cplusplus
}
#endif
#endif
