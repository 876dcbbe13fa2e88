// The cuda backend of the Gumbel search (host/az/gumbel.h): the device twin
// of host/az/gumbel_cpu.c, running the same per-tree functions of
// host/az/gumbel_tree.h, one thread per tree (the selection kernel: one warp
// per tree, lane 0 selects and the warp copies the parent's slab into the
// staging row the scratch env is restored from). Gumbel noise comes from
// cuRAND's Philox with curand_init(seed, counter * 2^24 + b, 0), the same
// numbers util/philox.h gives the cpu twin. Every launch is checked; errors
// become ccx_error messages.
#include <cuda_runtime.h>
#include <curand_kernel.h>
#include <nvtx3/nvToolsExt.h>

#include "cuda_check.cuh"

#include <stdint.h>

#include "az/gumbel_internal.h"
#include "env/env.h"

namespace {

constexpr int THREADS = 128;  // trees per block, thread-per-tree kernels
constexpr int WARPS = 4;      // trees per block, warp-per-tree kernel

int blocks_for(int n, int per) { return (n + per - 1) / per; }

int launched(const char *what, ccx_error *err) {
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) return 0;
    return ccx_error_set(err, "gumbel search: %s: %s", what, cudaGetErrorString(e));
}

__global__ void k_root_init(ccx_gz_trees T, const float *logits, const float *value,
                            const uint8_t *legal, uint64_t seed, uint64_t counter) {
    int b = blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= T.B) return;
    const uint8_t *lr = legal + (size_t)b * T.N;
    float *g = T.gumbel + (size_t)b * T.N;
    curandStatePhilox4_32_10_t st;
    curand_init(seed, counter * (1ull << 24) + (unsigned long long)b, 0, &st);
    for (int a = 0; a < T.N; a++) {
        uint32_t r = curand(&st);
        g[a] = lr[a] ? ccx_gz_mul(T.gumbel_scale, ccx_gz_gumbel(r)) : 0.0f;
    }
    ccx_gz_root_init(&T, b, logits + (size_t)b * T.N, value[b], lr);
}

__global__ void k_select(ccx_gz_trees T, int sim, const uint32_t *slabs, int slab_words,
                         uint32_t *stage, int32_t *act) {
    int b = blockIdx.x * WARPS + threadIdx.x / 32, lane = threadIdx.x & 31;
    if (b >= T.B) return;  // whole warps leave together
    if (lane == 0) {
        ccx_gz_select(&T, b, sim);
        act[b] = T.sel_action[b] >= 0 ? T.sel_action[b] : CCX_ENV_SKIP;
    }
    __syncwarp();
    int node = __shfl_sync(0xffffffffu, lane == 0 ? ccx_gz_restore_node(&T, b) : 0, 0);
    const uint4 *src = reinterpret_cast<const uint4 *>(slabs + ((size_t)node * T.B + b) * slab_words);
    uint4 *dst = reinterpret_cast<uint4 *>(stage + (size_t)b * slab_words);
    for (int i = lane; i < slab_words / 4; i += 32) dst[i] = src[i];
}

__global__ void k_expand(ccx_gz_trees T, int sim, const int64_t *cost, const float *logits,
                         const float *value, const uint8_t *legal) {
    int b = blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= T.B) return;
    ccx_gz_expand_backup(&T, b, sim, cost[b], logits + (size_t)b * T.N, value[b],
                         legal + (size_t)b * T.N);
}

__global__ void k_outputs(ccx_gz_trees T, int32_t *action, float *pi, float *root_value,
                          int32_t *visits) {
    int b = blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= T.B) return;
    ccx_gz_outputs(&T, b, action + b, pi + (size_t)b * T.N, root_value + b,
                   visits + (size_t)b * T.N);
}

int cuda_root_init(const ccx_gz_trees *T, void *stream, const float *logits, const float *value,
                   const uint8_t *legal, uint64_t seed, uint64_t counter, ccx_error *err) {
    Nvtx r("ccx gumbel root");
    k_root_init<<<blocks_for(T->B, THREADS), THREADS, 0, (cudaStream_t)stream>>>(
        *T, logits, value, legal, seed, counter);
    return launched("root kernel", err);
}

int cuda_select(const ccx_gz_trees *T, void *stream, int sim, const uint32_t *slabs,
                int slab_words, uint32_t *stage, int32_t *act, ccx_error *err) {
    Nvtx r("ccx gumbel select");
    k_select<<<blocks_for(T->B, WARPS), 32 * WARPS, 0, (cudaStream_t)stream>>>(
        *T, sim, slabs, slab_words, stage, act);
    return launched("select kernel", err);
}

int cuda_expand(const ccx_gz_trees *T, void *stream, int sim, const int64_t *cost,
                const float *logits, const float *value, const uint8_t *legal, ccx_error *err) {
    Nvtx r("ccx gumbel expand");
    k_expand<<<blocks_for(T->B, THREADS), THREADS, 0, (cudaStream_t)stream>>>(*T, sim, cost, logits,
                                                                              value, legal);
    return launched("expand kernel", err);
}

int cuda_outputs(const ccx_gz_trees *T, void *stream, int32_t *action, float *pi,
                 float *root_value, int32_t *visits, ccx_error *err) {
    Nvtx r("ccx gumbel outputs");
    k_outputs<<<blocks_for(T->B, THREADS), THREADS, 0, (cudaStream_t)stream>>>(*T, action, pi,
                                                                               root_value, visits);
    return launched("outputs kernel", err);
}

}  // namespace

extern "C" const ccx_gz_backend_ops ccx_gz_cuda_ops = {cuda_root_init, cuda_select, cuda_expand,
                                                      cuda_outputs};
