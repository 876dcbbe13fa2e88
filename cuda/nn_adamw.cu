// AdamW with global-norm gradient clipping on the device: the twin of
// ccx_nn_grad_norm / ccx_nn_clip_scale / ccx_nn_adamw_update in
// host/nn/nn_cpu.c. The norm and the clipping factor stay in device memory,
// so a step needs no host round trip (the caller reads the norm only if it
// wants it).
#include "nn_kernels.cuh"

#include <math.h>

namespace {

constexpr int kThreads = 256;
constexpr int kMaxBlocks = 1024; // partial sums: the caller's buffer holds >= 1024 floats

// partial[block] = sum of g^2 over a grid-stride share (float per thread,
// double across the block's warps)
__global__ void sumsq_kernel(float *partial, const float *g, size_t n) {
    __shared__ double red[kThreads / 32];
    float s = 0;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        s += g[i] * g[i];
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
    if (threadIdx.x % 32 == 0) red[threadIdx.x / 32] = s;
    __syncthreads();
    if (threadIdx.x == 0) {
        double t = 0;
        for (int w = 0; w < kThreads / 32; w++) t += red[w];
        partial[blockIdx.x] = (float)t;
    }
}

// one thread: norm_out[0] = sqrt(sum of partials) (in double), norm_out[1] = clip scale
__global__ void norm_finish_kernel(float *norm_out, const float *partial, int n_partial, float max_norm) {
    if (threadIdx.x != 0 || blockIdx.x != 0) return;
    double t = 0;
    for (int i = 0; i < n_partial; i++) t += partial[i];
    double norm = sqrt(t);
    norm_out[0] = (float)norm;
    float scale = 1.0f;
    if (max_norm > 0) {
        double s = (double)max_norm / (norm + 1e-6);
        scale = s < 1.0 ? (float)s : 1.0f;
    }
    norm_out[1] = scale;
}

__global__ void adamw_kernel(float *p, const float *g, float *m, float *v, size_t n, float lr,
                             float beta1, float beta2, float eps, float wd, float bc1, float bc2,
                             const float *scale) {
    float sc = *scale;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
        float gi = g[i] * sc;
        float mi = beta1 * m[i] + (1.0f - beta1) * gi;
        float vi = beta2 * v[i] + (1.0f - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float mhat = mi / bc1, vhat = vi / bc2;
        p[i] -= lr * (mhat / (sqrtf(vhat) + eps) + wd * p[i]);
    }
}

unsigned blocks(size_t n) {
    size_t b = (n + kThreads - 1) / kThreads;
    if (b < 1) b = 1;
    if (b > (size_t)kMaxBlocks) b = kMaxBlocks;
    return (unsigned)b;
}

} // namespace

cudaError_t nn_grad_norm(float *norm_out, float *partial, const float *g, size_t n, float max_norm,
                         cudaStream_t s) {
    unsigned nb = blocks(n);
    sumsq_kernel<<<nb, kThreads, 0, s>>>(partial, g, n);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return e;
    norm_finish_kernel<<<1, 32, 0, s>>>(norm_out, partial, (int)nb, max_norm);
    return cudaGetLastError();
}

cudaError_t nn_adamw_update(float *p, const float *g, float *m, float *v, size_t n, float lr,
                            float beta1, float beta2, float eps, float wd, float bc1, float bc2,
                            const float *scale, cudaStream_t s) {
    if (n == 0) return cudaSuccess;
    adamw_kernel<<<blocks(n), kThreads, 0, s>>>(p, g, m, v, n, lr, beta1, beta2, eps, wd, bc1, bc2, scale);
    return cudaGetLastError();
}
