/* The backend-neutral network interface (nn.h). */
#include "nn/nn.h"

#include <stdlib.h>
#include <string.h>

#include "nn/checkpoint.h"
#include "nn/nn_cpu.h"
#include "nn/nn_cuda.h"

struct ccx_nn {
    ccx_backend backend;
    ccx_nn_config cfg;
    ccx_nn_layout lay;
    ccx_nn_cpu cpu;   /* backend cpu */
    ccx_nn_cuda *gpu; /* backend cuda */
};

ccx_nn *ccx_nn_create(const ccx_nn_config *cfg, ccx_backend backend, int max_batch,
                      uint64_t seed, int tf32, ccx_error *err) {
    ccx_nn *nn = calloc(1, sizeof *nn);
    if (!nn) {
        ccx_error_set(err, "network: out of memory");
        return NULL;
    }
    nn->backend = backend;
    /* the CPU model also serves as the initialiser for cuda: batch 1 */
    if (ccx_nn_cpu_init(&nn->cpu, cfg, backend == CCX_BACKEND_CPU ? max_batch : 1, seed, err)) {
        free(nn);
        return NULL;
    }
    nn->cfg = *cfg;
    nn->lay = nn->cpu.lay;
    if (backend == CCX_BACKEND_CUDA) {
        nn->gpu = ccx_nn_cuda_create(cfg, max_batch, nn->cpu.params, tf32, err);
        ccx_nn_cpu_free(&nn->cpu);
        if (!nn->gpu) {
            free(nn);
            return NULL;
        }
    }
    return nn;
}

void ccx_nn_free(ccx_nn *nn) {
    if (!nn) return;
    ccx_nn_cpu_free(&nn->cpu);
    ccx_nn_cuda_free(nn->gpu);
    free(nn);
}

ccx_backend ccx_nn_backend_of(const ccx_nn *nn) { return nn->backend; }
const ccx_nn_config *ccx_nn_config_of(const ccx_nn *nn) { return &nn->cfg; }
const ccx_nn_layout *ccx_nn_layout_of(const ccx_nn *nn) { return &nn->lay; }

#define IS_CPU (nn->backend == CCX_BACKEND_CPU)

int ccx_nn_forward(ccx_nn *nn, const ccx_nn_obs *obs, float *logits, float *value, ccx_error *err) {
    if (!IS_CPU) return ccx_nn_cuda_forward_host(nn->gpu, obs, logits, value, err);
    if (ccx_nn_cpu_forward(&nn->cpu, obs, err)) return -1;
    size_t R = (size_t)obs->batch * obs->n_pad;
    if (logits) memcpy(logits, nn->cpu.act[CCX_NN_A_LOGITS], R * sizeof(float));
    if (value) memcpy(value, nn->cpu.act[CCX_NN_A_VALUE], (size_t)obs->batch * sizeof(float));
    return 0;
}

int ccx_nn_zero_grad(ccx_nn *nn, ccx_error *err) {
    if (!IS_CPU) return ccx_nn_cuda_zero_grad(nn->gpu, err);
    ccx_nn_cpu_zero_grad(&nn->cpu);
    return 0;
}

int ccx_nn_backward(ccx_nn *nn, const float *dlogits, const float *dvalue, ccx_error *err) {
    if (!IS_CPU) return ccx_nn_cuda_backward_host(nn->gpu, dlogits, dvalue, err);
    return ccx_nn_cpu_backward(&nn->cpu, dlogits, dvalue, err);
}

int ccx_nn_adamw_step(ccx_nn *nn, const ccx_nn_adamw *hp, float *grad_norm, ccx_error *err) {
    if (!IS_CPU) return ccx_nn_cuda_adamw_step(nn->gpu, hp, grad_norm, err);
    return ccx_nn_cpu_adamw_step(&nn->cpu, hp, grad_norm, err);
}

int ccx_nn_forward_native(ccx_nn *nn, const ccx_nn_obs *obs, ccx_error *err) {
    if (!IS_CPU) return ccx_nn_cuda_forward(nn->gpu, obs, err);
    return ccx_nn_cpu_forward(&nn->cpu, obs, err);
}

const float *ccx_nn_logits_native(const ccx_nn *nn) {
    return IS_CPU ? nn->cpu.act[CCX_NN_A_LOGITS] : ccx_nn_cuda_logits(nn->gpu);
}

const float *ccx_nn_value_native(const ccx_nn *nn) {
    return IS_CPU ? nn->cpu.act[CCX_NN_A_VALUE] : ccx_nn_cuda_value(nn->gpu);
}

int ccx_nn_backward_native(ccx_nn *nn, const float *dlogits, const float *dvalue, ccx_error *err) {
    if (!IS_CPU) return ccx_nn_cuda_backward(nn->gpu, dlogits, dvalue, err);
    return ccx_nn_cpu_backward(&nn->cpu, dlogits, dvalue, err);
}

int ccx_nn_sync(ccx_nn *nn, ccx_error *err) {
    return IS_CPU ? 0 : ccx_nn_cuda_sync(nn->gpu, err);
}

int ccx_nn_get_state(ccx_nn *nn, float *params, float *grads, float *m, float *v, long *step,
                     ccx_error *err) {
    if (!IS_CPU) return ccx_nn_cuda_get_state(nn->gpu, params, grads, m, v, step, err);
    size_t bytes = nn->lay.n_params * sizeof(float);
    if (params) memcpy(params, nn->cpu.params, bytes);
    if (grads) memcpy(grads, nn->cpu.grads, bytes);
    if (m) memcpy(m, nn->cpu.m, bytes);
    if (v) memcpy(v, nn->cpu.v, bytes);
    if (step) *step = nn->cpu.step;
    return 0;
}

int ccx_nn_set_state(ccx_nn *nn, const float *params, const float *m, const float *v, long step,
                     ccx_error *err) {
    if (step < 0) return ccx_error_set(err, "network: step = %ld must be >= 0", step);
    if (!IS_CPU) return ccx_nn_cuda_set_state(nn->gpu, params, m, v, step, err);
    size_t bytes = nn->lay.n_params * sizeof(float);
    if (params) memcpy(nn->cpu.params, params, bytes);
    if (m) memcpy(nn->cpu.m, m, bytes);
    if (v) memcpy(nn->cpu.v, v, bytes);
    nn->cpu.step = step;
    return 0;
}

int ccx_nn_save(ccx_nn *nn, const char *path, int n_extra, const char *const *keys,
                const char *const *vals, ccx_error *err) {
    size_t P = nn->lay.n_params ? nn->lay.n_params : 1;
    float *buf = malloc(3 * P * sizeof(float));
    if (!buf) return ccx_error_set(err, "checkpoint: out of memory");
    long step = 0;
    int rc = ccx_nn_get_state(nn, buf, NULL, buf + P, buf + 2 * P, &step, err);
    if (!rc)
        rc = ccx_nn_checkpoint_save(path, &nn->cfg, step, buf, buf + P, buf + 2 * P, n_extra, keys,
                                    vals, err);
    free(buf);
    return rc;
}

int ccx_nn_load(ccx_nn *nn, const char *path, ccx_error *err) {
    ccx_nn_checkpoint ck;
    if (ccx_nn_checkpoint_load(path, &nn->cfg, &ck, err)) return -1;
    int rc = ccx_nn_set_state(nn, ck.params, ck.m, ck.v, ck.step, err);
    ccx_nn_checkpoint_free(&ck);
    return rc;
}
