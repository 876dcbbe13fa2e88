// The cuda backend of host/rl/rl_ops.h: the device twin of
// host/rl/rl_ops_cpu.c, tested against it (tests/test_rl_ops_cuda.cc).
//
// * One warp per row for sampling and the two losses (WARPS rows per
//   block); slots j = lane, lane + 32, ... so any N works (N up to 4096 and
//   beyond; the serial scan of sampling is O(N) on one lane).
// * Sampling picks exactly the cpu's slot: the weights come from
//   ccx_rl_sample_exp (rl_ops_internal.h, correctly rounded operations only)
//   and lane 0 sums them in float in slot order into the row's scratch, as
//   the cpu does; the draw is cuRAND's curand_init(seed, stream_offset + i,
//   0) + curand(), which util/philox.h reproduces on the cpu.
// * Loss calls write per-row statistics to device scratch, reduce them in
//   double in one block (a fixed order: deterministic), copy the sums to a
//   pinned host record and sync the stream once.
// * Everything runs on the env's stream; every CUDA call checked (CK):
//   errors become ccx_error messages, never aborts.
#include <cuda_runtime.h>
#include <curand_kernel.h>
#include <nvtx3/nvToolsExt.h>

#include "cuda_check.cuh"

#include <limits.h>
#include <math.h>
#include <new>
#include <stdint.h>

#include "rl/rl_ops_internal.h"

struct ccx_rl_cuda {
    cudaStream_t stream;       // the env's (not owned)
    int max_rows, n_pad;
    float *d_w;                // [max_rows][n_pad]: sampling weights, then their cumsums
    ccx_rl_row_stats *d_rows;  // [max_rows]
    ccx_rl_sums *d_sums;       // one record
    ccx_rl_sums *h_sums;       // pinned host mirror
};

namespace {

constexpr unsigned FULL = 0xffffffffu;
constexpr int WARPS = 4;         // rows (warps) per block
constexpr int THREADS = 256;     // block size of thread-per-item kernels and the reduction


// Every array argument must be device (or managed) memory: a host pointer
// would fault inside a kernel and poison the context.
int check_dev(const void *p, const char *op, const char *what, ccx_error *err) {
    if (!p) return 0;
    cudaPointerAttributes a;
    cudaError_t e = cudaPointerGetAttributes(&a, p);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        return ccx_error_set(err, "%s: %s is not device memory (%s); with the cuda backend every "
                                  "array lives on the device (ccx_env_buf_alloc)", op, what,
                             cudaGetErrorString(e));
    }
    if (a.type != cudaMemoryTypeDevice && a.type != cudaMemoryTypeManaged)
        return ccx_error_set(err, "%s: %s is host memory; with the cuda backend every array "
                                  "lives on the device (allocate it with ccx_env_buf_alloc)",
                             op, what);
    return 0;
}

unsigned blocks_for(size_t n, unsigned per) {
    size_t b = (n + per - 1) / per;
    if (b < 1) b = 1;
    if (b > 0x7fffffffu) b = 0x7fffffffu;
    return (unsigned)b;
}

// ---------------------------------------------------------------- device --

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(FULL, v, o));
    return v;
}

// max over the unmasked slots of row l [N] (-INF if none), every lane
__device__ __forceinline__ float row_max(const float *l, int N, int lane) {
    float m = -INFINITY;
    for (int j = lane; j < N; j += 32)
        if (ccx_rl_unmasked(l[j])) m = fmaxf(m, l[j]);
    return warp_max(m);
}

// log sum_j exp(l_j - m) over unmasked slots, every lane
__device__ __forceinline__ float row_logsum(const float *l, int N, float m, int lane) {
    float s = 0.0f;
    for (int j = lane; j < N; j += 32)
        if (ccx_rl_unmasked(l[j])) s += expf(l[j] - m);
    return logf(warp_sum(s));
}

// ---------------------------------------------------------------- sample --
// logits [n][N] -> actions [n], logp [n] (may be NULL); w: scratch [n][N].
// Twin of ccx_rl_cpu_sample.
__global__ void sample_kernel(const float *__restrict__ logits, int n, int N, float T,
                              unsigned long long seed, unsigned long long stream_offset,
                              int greedy, int32_t *__restrict__ actions,
                              float *__restrict__ logp, float *__restrict__ wbuf) {
    const int i = blockIdx.x * WARPS + (threadIdx.x >> 5);
    const int lane = threadIdx.x & 31;
    if (i >= n) return;  // the whole warp
    const float *l = logits + (size_t)i * N;
    // max with the lowest index attaining it, and the last unmasked slot
    float m = -INFINITY;
    int arg = INT_MAX, last = -1;
    for (int j = lane; j < N; j += 32) {
        const float x = l[j];
        if (!ccx_rl_unmasked(x)) continue;
        if (arg == INT_MAX || x > m) {
            m = x;
            arg = j;
        }
        last = j;
    }
    for (int o = 16; o > 0; o >>= 1) {
        const float m2 = __shfl_xor_sync(FULL, m, o);
        const int a2 = __shfl_xor_sync(FULL, arg, o);
        const int l2 = __shfl_xor_sync(FULL, last, o);
        if (m2 > m || (m2 == m && a2 < arg)) {
            m = m2;
            arg = a2;
        }
        last = max(last, l2);
    }
    if (arg == INT_MAX) {  // no unmasked slot
        if (lane == 0) {
            actions[i] = -1;
            if (logp) logp[i] = 0.0f;
        }
        return;
    }
    int a = arg;
    float total;
    if (greedy) {
        float s = 0.0f;
        for (int j = lane; j < N; j += 32)
            if (ccx_rl_unmasked(l[j])) s += ccx_rl_sample_exp((l[j] - m) / T);
        total = warp_sum(s);  // (tree order: logp agrees with the cpu to rounding)
    } else {
        float *w = wbuf + (size_t)i * N;
        for (int j = lane; j < N; j += 32) {
            const float x = l[j];
            w[j] = ccx_rl_unmasked(x) ? ccx_rl_sample_exp((x - m) / T) : 0.0f;
        }
        __syncwarp();
        float thr = 0.0f;
        total = 0.0f;
        if (lane == 0) {  // float cumsum in slot order, as on the cpu
            float c = 0.0f;
            for (int j = 0; j < N; j++) {
                c += w[j];
                w[j] = c;
            }
            total = c;
            curandStatePhilox4_32_10_t st;
            curand_init(seed, stream_offset + (unsigned long long)i, 0ull, &st);
            thr = CCX_RL_MUL(ccx_rl_uniform(curand(&st)), total);
        }
        total = __shfl_sync(FULL, total, 0);
        thr = __shfl_sync(FULL, thr, 0);
        __syncwarp();
        a = last;  // if rounding leaves no crossing
        for (int base = 0; base < N; base += 32) {  // first j with cumsum > thr
            const int j = base + lane;
            const unsigned hit = __ballot_sync(FULL, j < N && w[j] > thr);
            if (hit) {
                a = base + __ffs(hit) - 1;
                break;
            }
        }
    }
    if (lane == 0) {
        actions[i] = a;
        if (logp) logp[i] = (l[a] - m) / T - logf(total);
    }
}

// ------------------------------------------------------------ row stats --
// rows [n] -> sums (one block of THREADS): double sums in a fixed order, the
// first refused row.
__global__ void reduce_rows_kernel(const ccx_rl_row_stats *__restrict__ rows, int n,
                                   ccx_rl_sums *__restrict__ out) {
    __shared__ double sh[6][THREADS];
    __shared__ int shb[THREADS];
    const int t = threadIdx.x;
    double acc[6] = {0, 0, 0, 0, 0, 0};
    int bad = INT_MAX;
    for (int i = t; i < n; i += THREADS) {
        for (int k = 0; k < 6; k++) acc[k] += (double)rows[i].v[k];
        if (rows[i].bad && i < bad) bad = i;
    }
    for (int k = 0; k < 6; k++) sh[k][t] = acc[k];
    shb[t] = bad;
    __syncthreads();
    for (int s = THREADS / 2; s > 0; s >>= 1) {
        if (t < s) {
            for (int k = 0; k < 6; k++) sh[k][t] += sh[k][t + s];
            shb[t] = min(shb[t], shb[t + s]);
        }
        __syncthreads();
    }
    if (t == 0) {
        for (int k = 0; k < 6; k++) out->v[k] = sh[k][0];
        out->bad_row = shb[0] == INT_MAX ? -1 : shb[0];
        out->bad_val = shb[0] == INT_MAX ? 0 : rows[shb[0]].val;
    }
}

// -------------------------------------------------------------- PPO loss --
// Twin of ccx_rl_cpu_ppo_loss: logits [n][N], values [n]; actions, old_logp,
// adv, returns, valid at k = idx[i] (or i) -> dlogits [n][N], dvalue [n],
// rows [n].
__global__ void ppo_kernel(float clip, float vf_coef, float ent_coef, float w,
                           const float *__restrict__ logits, const float *__restrict__ values,
                           int n, int N, const int32_t *__restrict__ idx,
                           const int32_t *__restrict__ actions, const float *__restrict__ old_logp,
                           const float *__restrict__ adv, const float *__restrict__ returns,
                           const uint8_t *__restrict__ valid, float *__restrict__ dlogits,
                           float *__restrict__ dvalue, ccx_rl_row_stats *__restrict__ rows) {
    const int i = blockIdx.x * WARPS + (threadIdx.x >> 5);
    const int lane = threadIdx.x & 31;
    if (i >= n) return;
    const float *l = logits + (size_t)i * N;
    float *dl = dlogits + (size_t)i * N;
    const int k = idx ? idx[i] : i;
    ccx_rl_row_stats st = {{0, 0, 0, 0, 0, 0}, 0, 0};
    bool ok = !valid || valid[k];
    const float m = ok ? row_max(l, N, lane) : -INFINITY;
    if (!ccx_rl_unmasked(m)) ok = false;  // no unmasked slot: the row is invalid
    int a = -1;
    if (ok) {
        a = actions[k];
        if (a < 0 || a >= N || !ccx_rl_unmasked(l[a])) {
            st.bad = 1;
            st.val = a;
            ok = false;
        }
    }
    if (!ok) {
        for (int j = lane; j < N; j += 32) dl[j] = 0.0f;
        if (lane == 0) {
            dvalue[i] = 0.0f;
            rows[i] = st;
        }
        return;
    }
    const float logs = row_logsum(l, N, m, lane);
    float plp = 0.0f;
    for (int j = lane; j < N; j += 32) {
        if (!ccx_rl_unmasked(l[j])) continue;
        const float lp = (l[j] - m) - logs;
        plp += expf(lp) * lp;
    }
    const float ent = -warp_sum(plp);
    ccx_rl_ppo_row r;
    ccx_rl_ppo_scalar(clip, (l[a] - m) - logs, old_logp[k], adv[k], values[i], returns[k], &r);
    for (int j = lane; j < N; j += 32) {
        if (!ccx_rl_unmasked(l[j])) {
            dl[j] = 0.0f;
            continue;
        }
        const float lp = (l[j] - m) - logs;
        dl[j] = w * ccx_rl_ppo_dlogit(r.g_lp, ent_coef, expf(lp), lp, ent, j == a);
    }
    if (lane == 0) {
        dvalue[i] = w * (vf_coef * r.dv);
        st.v[0] = r.pg;
        st.v[1] = r.vloss;
        st.v[2] = ent;
        st.v[3] = r.kl;
        st.v[4] = r.clipped;
        st.v[5] = 1.0f;
        rows[i] = st;
    }
}

// --------------------------------------------------------------- AZ loss --
// Twin of ccx_rl_cpu_az_loss: logits [n][N], values [n]; target_pi [.][N]
// and target_v at k = idx[i] (or i) -> dlogits [n][N], dvalue [n], rows [n].
__global__ void az_kernel(float value_weight, float w, const float *__restrict__ logits,
                          const float *__restrict__ values, int n, int N,
                          const int32_t *__restrict__ idx, const float *__restrict__ target_pi,
                          const float *__restrict__ target_v, float *__restrict__ dlogits,
                          float *__restrict__ dvalue, ccx_rl_row_stats *__restrict__ rows) {
    const int i = blockIdx.x * WARPS + (threadIdx.x >> 5);
    const int lane = threadIdx.x & 31;
    if (i >= n) return;
    const float *l = logits + (size_t)i * N;
    float *dl = dlogits + (size_t)i * N;
    const int k = idx ? idx[i] : i;
    const float *pi = target_pi + (size_t)k * N;
    ccx_rl_row_stats st = {{0, 0, 0, 0, 0, 0}, 0, 0};
    int bad = INT_MAX;  // first masked slot with pi != 0
    for (int j = lane; j < N; j += 32)
        if (!ccx_rl_unmasked(l[j]) && pi[j] != 0.0f) {
            bad = j;
            break;
        }
    for (int o = 16; o > 0; o >>= 1) bad = min(bad, __shfl_xor_sync(FULL, bad, o));
    if (bad != INT_MAX) {
        st.bad = 1;
        st.val = bad;
    }
    const float m = row_max(l, N, lane);
    float ce = 0.0f, plp = 0.0f, kl = 0.0f, spi = 0.0f;
    if (ccx_rl_unmasked(m) && !st.bad) {
        const float logs = row_logsum(l, N, m, lane);
        for (int j = lane; j < N; j += 32) {
            if (!ccx_rl_unmasked(l[j])) continue;
            const float lp = (l[j] - m) - logs, q = pi[j];
            ce -= q * lp;
            plp += expf(lp) * lp;
            spi += q;
            if (q > 0.0f) kl += q * (logf(q) - lp);
        }
        ce = warp_sum(ce);
        plp = warp_sum(plp);
        spi = warp_sum(spi);
        kl = warp_sum(kl);
        for (int j = lane; j < N; j += 32) {
            if (!ccx_rl_unmasked(l[j])) {
                dl[j] = 0.0f;
                continue;
            }
            const float p = expf((l[j] - m) - logs);
            dl[j] = w * (p * spi - pi[j]);
        }
    } else {
        for (int j = lane; j < N; j += 32) dl[j] = 0.0f;
    }
    if (lane == 0) {
        const float dv = values[i] - target_v[k];
        dvalue[i] = w * (value_weight * dv);
        st.v[0] = ce;
        st.v[1] = 0.5f * (dv * dv);
        st.v[2] = -plp;
        st.v[3] = kl;
        st.v[4] = 0.0f;
        st.v[5] = 1.0f;
        rows[i] = st;
    }
}

// ---------------------------------------------------------------- gathers --
// dst [n][W] <- src [idx[i]][W], W words of type T per row
template <class T>
__global__ void gather_kernel(T *__restrict__ dst, const T *__restrict__ src,
                              const int32_t *__restrict__ idx, int n, size_t W) {
    const size_t total = (size_t)n * W;
    for (size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x; t < total;
         t += (size_t)gridDim.x * blockDim.x) {
        const size_t i = t / W, w = t - i * W;
        dst[t] = src[(size_t)idx[i] * W + w];
    }
}

// Reduce the rows of a loss call, copy the sums back, sync once.
int finish_loss(ccx_rl_cuda *c, int n, ccx_rl_sums *sums, ccx_error *err) {
    reduce_rows_kernel<<<1, THREADS, 0, c->stream>>>(c->d_rows, n, c->d_sums);
    CK(cudaGetLastError());
    CK(cudaMemcpyAsync(c->h_sums, c->d_sums, sizeof(ccx_rl_sums), cudaMemcpyDeviceToHost,
                       c->stream));
    CK(cudaStreamSynchronize(c->stream));
    *sums = *c->h_sums;
    return 0;
}

}  // namespace

// ------------------------------------------------------------ entry points --

extern "C" {

ccx_rl_cuda *ccx_rl_cuda_create(void *stream, int max_rows, int n_pad, ccx_error *err) {
    ccx_rl_cuda *c = new (std::nothrow) ccx_rl_cuda();
    if (!c) {
        ccx_error_set(err, "out of memory");
        return nullptr;
    }
    c->stream = static_cast<cudaStream_t>(stream);
    c->max_rows = max_rows;
    c->n_pad = n_pad;
    const size_t wbytes = (size_t)max_rows * (size_t)n_pad * sizeof(float);
    cudaError_t e = cudaMalloc(reinterpret_cast<void **>(&c->d_w), wbytes);
    if (e == cudaSuccess)
        e = cudaMalloc(reinterpret_cast<void **>(&c->d_rows),
                       (size_t)max_rows * sizeof(ccx_rl_row_stats));
    if (e == cudaSuccess) e = cudaMalloc(reinterpret_cast<void **>(&c->d_sums), sizeof(ccx_rl_sums));
    if (e == cudaSuccess)
        e = cudaMallocHost(reinterpret_cast<void **>(&c->h_sums), sizeof(ccx_rl_sums));
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        ccx_error_set(err, "rl: cannot allocate cuda scratch for %d rows x %d slots: %s",
                      max_rows, n_pad, cudaGetErrorString(e));
        ccx_rl_cuda_free(c);
        return nullptr;
    }
    return c;
}

void ccx_rl_cuda_free(ccx_rl_cuda *c) {
    if (!c) return;
    // cudaFree waits for work still queued on the device (the stream, which
    // may use the scratch, is the env's and may already be gone)
    if (c->d_w) (void)cudaFree(c->d_w);
    if (c->d_rows) (void)cudaFree(c->d_rows);
    if (c->d_sums) (void)cudaFree(c->d_sums);
    if (c->h_sums) (void)cudaFreeHost(c->h_sums);
    delete c;
}

int ccx_rl_cuda_sample(ccx_rl_cuda *c, const float *logits, int n, int N, float temperature,
                       uint64_t seed, uint64_t stream_offset, int greedy, int32_t *actions,
                       float *logp, ccx_error *err) {
    Nvtx range("rl_sample");
    const char *op = "sample";
    if (check_dev(logits, op, "logits", err) || check_dev(actions, op, "actions", err) ||
        check_dev(logp, op, "logp", err))
        return -1;
    sample_kernel<<<blocks_for((size_t)n, WARPS), 32 * WARPS, 0, c->stream>>>(
        logits, n, N, temperature, (unsigned long long)seed, (unsigned long long)stream_offset,
        greedy, actions, logp, c->d_w);
    CK(cudaGetLastError());
    return 0;
}

int ccx_rl_cuda_ppo_loss(ccx_rl_cuda *c, const ccx_ppo_loss_params *hp, const float *logits,
                         const float *values, int n, int N, const int32_t *idx,
                         const int32_t *actions, const float *old_logp, const float *adv,
                         const float *returns, const uint8_t *valid, float *dlogits,
                         float *dvalue, ccx_rl_sums *sums, ccx_error *err) {
    Nvtx range("rl_ppo_loss");
    const char *op = "ppo_loss";
    if (check_dev(logits, op, "logits", err) || check_dev(values, op, "values", err) ||
        check_dev(idx, op, "idx", err) || check_dev(actions, op, "actions", err) ||
        check_dev(old_logp, op, "old_logp", err) || check_dev(adv, op, "adv", err) ||
        check_dev(returns, op, "returns", err) || check_dev(valid, op, "valid", err) ||
        check_dev(dlogits, op, "dlogits", err) || check_dev(dvalue, op, "dvalue", err))
        return -1;
    ppo_kernel<<<blocks_for((size_t)n, WARPS), 32 * WARPS, 0, c->stream>>>(
        hp->clip, hp->vf_coef, hp->ent_coef, hp->weight, logits, values, n, N, idx, actions,
        old_logp, adv, returns, valid, dlogits, dvalue, c->d_rows);
    CK(cudaGetLastError());
    return finish_loss(c, n, sums, err);
}

int ccx_rl_cuda_az_loss(ccx_rl_cuda *c, const float *logits, const float *values, int n, int N,
                        const int32_t *idx, const float *target_pi, const float *target_v,
                        float value_weight, float weight, float *dlogits, float *dvalue,
                        ccx_rl_sums *sums, ccx_error *err) {
    Nvtx range("rl_az_loss");
    const char *op = "az_loss";
    if (check_dev(logits, op, "logits", err) || check_dev(values, op, "values", err) ||
        check_dev(idx, op, "idx", err) || check_dev(target_pi, op, "target_pi", err) ||
        check_dev(target_v, op, "target_v", err) || check_dev(dlogits, op, "dlogits", err) ||
        check_dev(dvalue, op, "dvalue", err))
        return -1;
    az_kernel<<<blocks_for((size_t)n, WARPS), 32 * WARPS, 0, c->stream>>>(
        value_weight, weight, logits, values, n, N, idx, target_pi, target_v, dlogits, dvalue,
        c->d_rows);
    CK(cudaGetLastError());
    return finish_loss(c, n, sums, err);
}

int ccx_rl_cuda_gather(ccx_rl_cuda *c, void *dst, const void *src, const int32_t *idx, int n,
                       size_t row_bytes, ccx_error *err) {
    Nvtx range("rl_gather");
    const char *op = "gather";
    if (check_dev(dst, op, "dst", err) || check_dev(src, op, "src", err) ||
        check_dev(idx, op, "idx", err))
        return -1;
    const bool vec = row_bytes % 16 == 0 && (reinterpret_cast<uintptr_t>(dst) & 15) == 0 &&
                     (reinterpret_cast<uintptr_t>(src) & 15) == 0;
    const size_t W = row_bytes / (vec ? 16 : 4);
    const unsigned blocks = blocks_for((size_t)n * W, THREADS) < 65536u
                                ? blocks_for((size_t)n * W, THREADS)
                                : 65536u;
    if (vec)
        gather_kernel<uint4><<<blocks, THREADS, 0, c->stream>>>(
            static_cast<uint4 *>(dst), static_cast<const uint4 *>(src), idx, n, W);
    else
        gather_kernel<uint32_t><<<blocks, THREADS, 0, c->stream>>>(
            static_cast<uint32_t *>(dst), static_cast<const uint32_t *>(src), idx, n, W);
    CK(cudaGetLastError());
    return 0;
}

}  // extern "C"
