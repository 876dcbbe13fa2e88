/* nn_cuda.h for builds without CUDA: every entry point fails with
 * "built without CUDA"; the CUDA build gets the real ones from
 * cuda/nn_cuda.cu (CCX_HAVE_CUDA is then defined). */
#ifndef CCX_HAVE_CUDA

#include "nn/nn_cuda.h"

#define NO_CUDA(err) ccx_error_set(err, "the cuda backend is not available: built without CUDA")

ccx_nn_cuda *ccx_nn_cuda_create(const ccx_nn_config *cfg, int max_batch, const float *params_host,
                                int tf32, ccx_error *err) {
    (void)cfg, (void)max_batch, (void)params_host, (void)tf32;
    NO_CUDA(err);
    return NULL;
}
void ccx_nn_cuda_free(ccx_nn_cuda *nn) { (void)nn; }
int ccx_nn_cuda_forward(ccx_nn_cuda *nn, const ccx_nn_obs *obs, ccx_error *err) {
    (void)nn, (void)obs;
    return NO_CUDA(err);
}
const float *ccx_nn_cuda_logits(const ccx_nn_cuda *nn) { (void)nn; return 0; }
const float *ccx_nn_cuda_value(const ccx_nn_cuda *nn) { (void)nn; return 0; }
int ccx_nn_cuda_zero_grad(ccx_nn_cuda *nn, ccx_error *err) {
    (void)nn;
    return NO_CUDA(err);
}
int ccx_nn_cuda_backward(ccx_nn_cuda *nn, const float *dl, const float *dv, ccx_error *err) {
    (void)nn, (void)dl, (void)dv;
    return NO_CUDA(err);
}
int ccx_nn_cuda_adamw_step(ccx_nn_cuda *nn, const ccx_nn_adamw *hp, float *norm, ccx_error *err) {
    (void)nn, (void)hp, (void)norm;
    return NO_CUDA(err);
}
int ccx_nn_cuda_forward_host(ccx_nn_cuda *nn, const ccx_nn_obs *obs, float *l, float *v,
                             ccx_error *err) {
    (void)nn, (void)obs, (void)l, (void)v;
    return NO_CUDA(err);
}
int ccx_nn_cuda_backward_host(ccx_nn_cuda *nn, const float *dl, const float *dv, ccx_error *err) {
    (void)nn, (void)dl, (void)dv;
    return NO_CUDA(err);
}
int ccx_nn_cuda_get_state(ccx_nn_cuda *nn, float *p, float *g, float *m, float *v, long *step,
                          ccx_error *err) {
    (void)nn, (void)p, (void)g, (void)m, (void)v, (void)step;
    return NO_CUDA(err);
}
int ccx_nn_cuda_set_state(ccx_nn_cuda *nn, const float *p, const float *m, const float *v,
                          long step, ccx_error *err) {
    (void)nn, (void)p, (void)m, (void)v, (void)step;
    return NO_CUDA(err);
}
int ccx_nn_cuda_sync(ccx_nn_cuda *nn, ccx_error *err) {
    (void)nn;
    return NO_CUDA(err);
}
int ccx_nn_cuda_malloc(void **p, size_t bytes, ccx_error *err) {
    (void)bytes;
    *p = 0;
    return NO_CUDA(err);
}
void ccx_nn_cuda_free_mem(void *p) { (void)p; }
int ccx_nn_cuda_copy_to_device(void *dst, const void *src, size_t bytes, ccx_error *err) {
    (void)dst, (void)src, (void)bytes;
    return NO_CUDA(err);
}

#else
/* ISO C forbids an empty translation unit. */
typedef int ccx_nn_cuda_stub_unused;
#endif
