/* The policy/value network behind one interface: choose the backend once
 * (cpu: nn_cpu.c, cuda: cuda/nn_cuda.cu) and never branch on it again.
 *
 * Two sets of entry points:
 *   host   ccx_nn_forward/backward take and return host arrays (the cuda
 *          backend stages them through device memory; synchronous);
 *   native ccx_nn_*_native take arrays in the backend's own memory (host for
 *          cpu, device for cuda), for callers whose observations already
 *          live there (the CUDA environments); asynchronous on cuda until
 *          ccx_nn_sync.
 * Gradients accumulate across backward calls until ccx_nn_zero_grad. */
#ifndef CCX_NN_NN_H
#define CCX_NN_NN_H

#include <stddef.h>
#include <stdint.h>

#include "nn/model.h"
#include "util/backend.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif


typedef struct ccx_nn ccx_nn;

/* Parameters from ccx_nn_init_params(seed); tf32 only matters for cuda. */
ccx_nn *ccx_nn_create(const ccx_nn_config *cfg, ccx_backend backend, int max_batch,
                      uint64_t seed, int tf32, ccx_error *err);
void ccx_nn_free(ccx_nn *nn);
ccx_backend ccx_nn_backend_of(const ccx_nn *nn);
const ccx_nn_config *ccx_nn_config_of(const ccx_nn *nn);
const ccx_nn_layout *ccx_nn_layout_of(const ccx_nn *nn);

/* host arrays: obs as model.h; logits [B, N], value [B] (either may be NULL) */
int ccx_nn_forward(ccx_nn *nn, const ccx_nn_obs *obs, float *logits, float *value, ccx_error *err);
int ccx_nn_zero_grad(ccx_nn *nn, ccx_error *err);
/* gradient of sum(dlogits*logits) + sum(dvalue*value) of the last forward,
 * added into the gradients; either array may be NULL (= 0) */
int ccx_nn_backward(ccx_nn *nn, const float *dlogits, const float *dvalue, ccx_error *err);
int ccx_nn_adamw_step(ccx_nn *nn, const ccx_nn_adamw *hp, float *grad_norm, ccx_error *err);

/* native memory */
int ccx_nn_forward_native(ccx_nn *nn, const ccx_nn_obs *obs, ccx_error *err);
const float *ccx_nn_logits_native(const ccx_nn *nn);
const float *ccx_nn_value_native(const ccx_nn *nn);
int ccx_nn_backward_native(ccx_nn *nn, const float *dlogits, const float *dvalue, ccx_error *err);
int ccx_nn_sync(ccx_nn *nn, ccx_error *err);

/* host copies of the state (n_params floats each; any may be NULL) */
int ccx_nn_get_state(ccx_nn *nn, float *params, float *grads, float *m, float *v, long *step,
                     ccx_error *err);
int ccx_nn_set_state(ccx_nn *nn, const float *params, const float *m, const float *v, long step,
                     ccx_error *err);

/* Checkpoints (nn/checkpoint.h): parameters, AdamW moments and step, plus
 * n_extra metadata entries. Loading refuses a file whose config differs. */
int ccx_nn_save(ccx_nn *nn, const char *path, int n_extra, const char *const *keys,
                const char *const *vals, ccx_error *err);
int ccx_nn_load(ccx_nn *nn, const char *path, ccx_error *err);

#ifdef __cplusplus
}
#endif
#endif
