// Kernels of the CUDA policy/value network: the elementwise, normalisation,
// softmax, pooling and head parts (matrix products are cuBLAS, in
// cuda/nn_cuda.cu). Each kernel computes what the named function of
// host/nn/nn_cpu.c computes; forward and backward sit side by side.
#include "nn_kernels.cuh"

#include <math.h>

#include "nn/model.h"

namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

inline unsigned blocks_for(size_t n, int threads = kThreads) {
    size_t b = (n + (size_t)threads - 1) / (size_t)threads;
    if (b < 1) b = 1;
    if (b > 0x7fffffffu) b = 0x7fffffffu;
    return (unsigned)b;
}

// grid-stride loop over n items
#define FOR_EACH(i, n) \
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (size_t)gridDim.x * blockDim.x)

// ------------------------------------------------------- graph structure --
// features [R, F] -> live [R]
__global__ void live_kernel(uint8_t *live, const float *features, int R, int F, int pad) {
    FOR_EACH(r, (size_t)R) live[r] = features[r * F + pad] == 0.0f;
}

// adj [B, N, N], live [B, N] -> code [B, N, N] (model.h's bits, as
// ccx_nn_edge_codes); 32x32 tiles, the transposed read through shared memory.
__global__ void edge_codes_kernel(uint8_t *code, const uint8_t *adj, const uint8_t *live, int B, int N) {
    __shared__ uint8_t tile[32][33];
    int i0 = blockIdx.y * 32, j0 = blockIdx.x * 32;
    for (int b = blockIdx.z; b < B; b += gridDim.z) {
        const uint8_t *A = adj + (size_t)b * N * N;
        __syncthreads();
        for (int ty = threadIdx.y; ty < 32; ty += blockDim.y) { // tile[ty][tx] = A[j0+ty][i0+tx]
            int r = j0 + ty, c = i0 + threadIdx.x;
            tile[ty][threadIdx.x] = (r < N && c < N) ? A[(size_t)r * N + c] : 0;
        }
        __syncthreads();
        for (int ty = threadIdx.y; ty < 32; ty += blockDim.y) {
            int i = i0 + ty, j = j0 + threadIdx.x;
            if (i < N && j < N) {
                code[((size_t)b * N + i) * N + j] =
                    ccx_nn_edge_code(A[(size_t)i * N + j], tile[threadIdx.x][ty] /* A[j][i] */,
                                     live[(size_t)b * N + j]);
            }
        }
    }
}

// features [B, N, F] -> g part of E [B, N, 3G]: g_i = [f_i, onehot_K(f_i[op])]
__global__ void embed_self_kernel(float *E, const float *features, int R, int F, int op, int K) {
    int G = F + K;
    FOR_EACH(t, (size_t)R * G) {
        size_t r = t / G;
        int k = (int)(t % G);
        float v;
        if (k < F) v = features[r * F + k];
        else {
            float code = features[r * F + op];
            v = (code >= 0.0f && code < (float)K && (float)(int)code == code && (int)code == k - F) ? 1.0f : 0.0f;
        }
        E[r * 3 * G + k] = v;
    }
}

// E [B, N, 3G]: the neighbour means, from the g rows and the codes (bit 1:
// j -> i, i.e. j is a predecessor; bit 0: i -> j, a successor; bit 2: j live)
__global__ void embed_means_kernel(float *E, const uint8_t *code, int B, int N, int G) {
    FOR_EACH(t, (size_t)B * N * G) {
        size_t r = t / G; // b * N + i
        int k = (int)(t % G);
        size_t b = r / N;
        const uint8_t *c = code + r * N;
        const float *Eb = E + b * N * 3 * G;
        float sin = 0, sout = 0;
        int nin = 0, nout = 0;
        for (int j = 0; j < N; j++) {
            unsigned cj = c[j];
            if (!(cj & 4)) continue;
            if (cj & 2) { nin++; sin += Eb[(size_t)j * 3 * G + k]; }
            if (cj & 1) { nout++; sout += Eb[(size_t)j * 3 * G + k]; }
        }
        E[r * 3 * G + G + k] = nin ? sin * (1.0f / (float)nin) : 0.0f;
        E[r * 3 * G + 2 * G + k] = nout ? sout * (1.0f / (float)nout) : 0.0f;
    }
}

// ------------------------------------------------------------ bias, GELU --
__global__ void add_bias_kernel(float *out, const float *bias, int R, int C) {
    FOR_EACH(i, (size_t)R * C) out[i] += bias[i % C];
}

__global__ void residual_bias_kernel(float *out, const float *a, const float *t, const float *bias,
                                     int R, int C) {
    FOR_EACH(i, (size_t)R * C) out[i] = a[i] + (t[i] + bias[i % C]);
}

#define GELU_K 0.7978845608028654f
#define GELU_C 0.044715f

// pre [R, C] += bias; act = GELU(pre)   (forward)
__global__ void bias_gelu_kernel(float *pre, float *act, const float *bias, int R, int C) {
    FOR_EACH(i, (size_t)R * C) {
        float x = pre[i] + bias[i % C];
        pre[i] = x;
        act[i] = 0.5f * x * (1.0f + tanhf(GELU_K * (x + GELU_C * x * x * x)));
    }
}

// dinp = dout * GELU'(inp)   (backward)
__global__ void gelu_backward_kernel(float *dinp, const float *inp, const float *dout, size_t n) {
    FOR_EACH(i, n) {
        float x = inp[i];
        float t = tanhf(GELU_K * (x + GELU_C * x * x * x));
        float dt = GELU_K * (1.0f + 3.0f * GELU_C * x * x);
        dinp[i] = dout[i] * (0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * dt);
    }
}

// ------------------------------------------------------------- layernorm --
// one warp per row: inp [R, C] -> out [R, C], mean [R], rstd [R]   (forward)
__global__ void layernorm_forward_kernel(float *out, float *mean, float *rstd, const float *inp,
                                         const float *g, const float *b, int R, int C) {
    int row = (int)((blockIdx.x * (size_t)blockDim.x + threadIdx.x) / 32), lane = threadIdx.x % 32;
    if (row >= R) return;
    const float *x = inp + (size_t)row * C;
    float s = 0;
    for (int c = lane; c < C; c += 32) s += x[c];
    float m = warp_sum(s) / (float)C;
    float v = 0;
    for (int c = lane; c < C; c += 32) {
        float d = x[c] - m;
        v += d * d;
    }
    float rs = 1.0f / sqrtf(warp_sum(v) / (float)C + CCX_NN_LN_EPS);
    float *o = out + (size_t)row * C;
    for (int c = lane; c < C; c += 32) o[c] = (x[c] - m) * rs * g[c] + b[c];
    if (lane == 0) {
        mean[row] = m;
        rstd[row] = rs;
    }
}

// warps stride over rows; dg, db gathered in shared memory (2C floats) when
// `shared`, else straight into global memory   (backward)
__global__ void layernorm_backward_kernel(float *dinp, float *dg, float *db, const float *dout,
                                          const float *inp, const float *g, const float *mean,
                                          const float *rstd, int R, int C, int shared) {
    extern __shared__ float sh[];
    float *sdg = shared ? sh : dg, *sdb = shared ? sh + C : db;
    if (shared) {
        for (int c = threadIdx.x; c < 2 * C; c += blockDim.x) sh[c] = 0.0f;
        __syncthreads();
    }
    int wpb = blockDim.x / 32, lane = threadIdx.x % 32;
    for (int row = blockIdx.x * wpb + threadIdx.x / 32; row < R; row += gridDim.x * wpb) {
        const float *d = dout + (size_t)row * C, *x = inp + (size_t)row * C;
        float m = mean[row], s = rstd[row];
        float a = 0, bsum = 0;
        for (int c = lane; c < C; c += 32) {
            float norm = (x[c] - m) * s, dn = g[c] * d[c];
            a += dn;
            bsum += dn * norm;
        }
        float dnorm_mean = warp_sum(a) / (float)C, dnorm_norm_mean = warp_sum(bsum) / (float)C;
        float *dx = dinp + (size_t)row * C;
        for (int c = lane; c < C; c += 32) {
            float norm = (x[c] - m) * s, dn = g[c] * d[c];
            atomicAdd(&sdb[c], d[c]);
            atomicAdd(&sdg[c], norm * d[c]);
            dx[c] += (dn - dnorm_mean - norm * dnorm_norm_mean) * s;
        }
    }
    if (shared) {
        __syncthreads();
        for (int c = threadIdx.x; c < C; c += blockDim.x) {
            atomicAdd(&dg[c], sdg[c]);
            atomicAdd(&db[c], sdb[c]);
        }
    }
}

// ---------------------------------------------------------- attention ---
// one warp per row (b, h, i) of att [B, H, N, N]   (forward: masked_softmax_row)
__global__ void masked_softmax_forward_kernel(float *att, const uint8_t *code, const float *edge,
                                              int B, int H, int N) {
    size_t row = (blockIdx.x * (size_t)blockDim.x + threadIdx.x) / 32;
    int lane = threadIdx.x % 32;
    if (row >= (size_t)B * H * N) return;
    int i = (int)(row % N);
    size_t bh = row / N;
    int h = (int)(bh % H);
    size_t b = bh / H;
    float *s = att + row * N;
    const uint8_t *c = code + (b * N + i) * N;
    const float *eh = edge + h; // [2, T, H] at head h
    float mx = -INFINITY;
    for (int j = lane; j < N; j += 32) {
        unsigned cj = c[j];
        if (cj & 4) {
            float v = s[j] + ccx_nn_edge_bias(cj, eh, H);
            s[j] = v;
            mx = fmaxf(mx, v);
        }
    }
    mx = warp_max(mx);
    if (mx == -INFINITY) { // no live key
        for (int j = lane; j < N; j += 32) s[j] = 0.0f;
        return;
    }
    float sum = 0;
    for (int j = lane; j < N; j += 32) {
        float e = (c[j] & 4) ? expf(s[j] - mx) : 0.0f;
        s[j] = e;
        sum += e;
    }
    float inv = 1.0f / warp_sum(sum);
    for (int j = lane; j < N; j += 32) s[j] *= inv;
}

// one warp per row: dS = P (dP - sum_j P dP) in place; edge_part [2, T, H, B*N]   (backward)
__global__ void masked_softmax_backward_kernel(float *datt, float *edge_part, const float *att,
                                               const uint8_t *code, int B, int H, int N) {
    size_t row = (blockIdx.x * (size_t)blockDim.x + threadIdx.x) / 32;
    int lane = threadIdx.x % 32;
    if (row >= (size_t)B * H * N) return;
    int i = (int)(row % N);
    size_t bh = row / N;
    int h = (int)(bh % H);
    size_t b = bh / H;
    const float *p = att + row * N;
    float *d = datt + row * N;
    const uint8_t *c = code + (b * N + i) * N;
    float dot = 0;
    for (int j = lane; j < N; j += 32) dot += p[j] * d[j];
    dot = warp_sum(dot);
    float r[2 * CCX_NN_EDGE_GROUPS]; // [which, group]
    for (int k = 0; k < 2 * CCX_NN_EDGE_GROUPS; k++) r[k] = 0.0f;
    for (int j = lane; j < N; j += 32) {
        float ds = p[j] * (d[j] - dot);
        d[j] = ds;
        unsigned cj = c[j];
        if (cj & 1) r[ccx_nn_code_out_group(cj)] += ds;
        if (cj & 2) r[CCX_NN_EDGE_GROUPS + ccx_nn_code_in_group(cj)] += ds;
    }
    size_t BN = (size_t)B * N, bi = b * N + i;
    for (int k = 0; k < 2 * CCX_NN_EDGE_GROUPS; k++) {
        float v = warp_sum(r[k]);
        if (lane == 0) edge_part[((size_t)k * H + h) * BN + bi] = v;
    }
}

// one block per (which, group, h): dedge[(which*T + group)*H + h] += sum over B*N rows
__global__ void edge_grad_reduce_kernel(float *dedge, const float *edge_part, int BN) {
    __shared__ float red[kThreads / 32];
    const float *p = edge_part + (size_t)blockIdx.x * BN;
    float s = 0;
    for (int r = threadIdx.x; r < BN; r += blockDim.x) s += p[r];
    s = warp_sum(s);
    if (threadIdx.x % 32 == 0) red[threadIdx.x / 32] = s;
    __syncthreads();
    if (threadIdx.x < 32) {
        float v = threadIdx.x < blockDim.x / 32 ? red[threadIdx.x] : 0.0f;
        v = warp_sum(v);
        if (threadIdx.x == 0) dedge[blockIdx.x] += v;
    }
}

// ---------------------------------------------------------------- pool ---
__device__ int block_count_live(const uint8_t *lv, int N) {
    __shared__ int cnt;
    if (threadIdx.x == 0) cnt = 0;
    __syncthreads();
    int mine = 0;
    for (int i = threadIdx.x; i < N; i += blockDim.x) mine += lv[i] != 0;
    atomicAdd(&cnt, mine);
    __syncthreads();
    return cnt;
}

// one block per graph b: pooled [B, D] = mean over live i of z   (forward)
__global__ void pool_forward_kernel(float *pooled, const float *z, const uint8_t *live, int N, int D) {
    int b = blockIdx.x;
    const uint8_t *lv = live + (size_t)b * N;
    int cnt = block_count_live(lv, N);
    float inv = cnt ? 1.0f / (float)cnt : 0.0f;
    for (int d = threadIdx.x; d < D; d += blockDim.x) {
        float s = 0;
        for (int i = 0; i < N; i++)
            if (lv[i]) s += z[((size_t)b * N + i) * D + d];
        pooled[(size_t)b * D + d] = s * inv;
    }
}

// one block per graph b: dz [B, N, D] += live_i dpooled / n_live   (backward)
__global__ void pool_backward_kernel(float *dz, const float *dpooled, const uint8_t *live, int N, int D) {
    int b = blockIdx.x;
    const uint8_t *lv = live + (size_t)b * N;
    int cnt = block_count_live(lv, N);
    if (!cnt) return;
    float inv = 1.0f / (float)cnt;
    for (size_t t = threadIdx.x; t < (size_t)N * D; t += blockDim.x) {
        int i = (int)(t / D), d = (int)(t % D);
        if (lv[i]) dz[((size_t)b * N + i) * D + d] += dpooled[(size_t)b * D + d] * inv;
    }
}

// ---------------------------------------------------------- policy head --
// one warp per row: logits [R]   (forward)
__global__ void policy_forward_kernel(float *logits, const float *z, const float *w, const float *b,
                                      const uint8_t *legal, int R, int D) {
    size_t row = (blockIdx.x * (size_t)blockDim.x + threadIdx.x) / 32;
    int lane = threadIdx.x % 32;
    if (row >= (size_t)R) return;
    const float *zr = z + row * D;
    float s = 0;
    for (int d = lane; d < D; d += 32) s += zr[d] * w[d];
    s = warp_sum(s);
    if (lane == 0) logits[row] = legal[row] ? s + b[0] : CCX_NN_MASKED_LOGIT;
}

// g [R] = legal ? dlogits : 0; dz [R, D] = g w^T   (backward)
__global__ void policy_backward_dz_kernel(float *dz, float *g, const float *dlogits, const float *w,
                                          const uint8_t *legal, int R, int D) {
    FOR_EACH(t, (size_t)R * D) {
        size_t r = t / D;
        int d = (int)(t % D);
        float gr = (dlogits && legal[r]) ? dlogits[r] : 0.0f;
        dz[t] = gr * w[d];
        if (d == 0) g[r] = gr;
    }
}

__global__ void fill_kernel(float *p, float v, size_t n) {
    FOR_EACH(i, n) p[i] = v;
}

} // namespace

// --------------------------------------------------------------- launchers --
cudaError_t nn_live_from_features(uint8_t *live, const float *features, int R, int F, int pad,
                                  cudaStream_t s) {
    live_kernel<<<blocks_for((size_t)R), kThreads, 0, s>>>(live, features, R, F, pad);
    return cudaGetLastError();
}

cudaError_t nn_edge_codes(uint8_t *code, const uint8_t *adj, const uint8_t *live, int B, int N,
                          cudaStream_t s) {
    unsigned t = (unsigned)((N + 31) / 32);
    dim3 grid(t, t, (unsigned)(B < 65535 ? B : 65535)), block(32, 8);
    edge_codes_kernel<<<grid, block, 0, s>>>(code, adj, live, B, N);
    return cudaGetLastError();
}

cudaError_t nn_embed_inputs(float *E, const float *features, const uint8_t *code, int B, int N,
                            int F, int op, int K, cudaStream_t s) {
    int G = F + K;
    size_t R = (size_t)B * N;
    embed_self_kernel<<<blocks_for(R * G), kThreads, 0, s>>>(E, features, (int)R, F, op, K);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return e;
    embed_means_kernel<<<blocks_for(R * G), kThreads, 0, s>>>(E, code, B, N, G);
    return cudaGetLastError();
}

cudaError_t nn_add_bias(float *out, const float *bias, int R, int C, cudaStream_t s) {
    add_bias_kernel<<<blocks_for((size_t)R * C), kThreads, 0, s>>>(out, bias, R, C);
    return cudaGetLastError();
}

cudaError_t nn_residual_bias(float *out, const float *a, const float *t, const float *bias, int R,
                             int C, cudaStream_t s) {
    residual_bias_kernel<<<blocks_for((size_t)R * C), kThreads, 0, s>>>(out, a, t, bias, R, C);
    return cudaGetLastError();
}

cudaError_t nn_bias_gelu(float *pre, float *act, const float *bias, int R, int C, cudaStream_t s) {
    bias_gelu_kernel<<<blocks_for((size_t)R * C), kThreads, 0, s>>>(pre, act, bias, R, C);
    return cudaGetLastError();
}

cudaError_t nn_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n,
                             cudaStream_t s) {
    gelu_backward_kernel<<<blocks_for(n), kThreads, 0, s>>>(dinp, inp, dout, n);
    return cudaGetLastError();
}

cudaError_t nn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                                 const float *g, const float *b, int R, int C, cudaStream_t s) {
    layernorm_forward_kernel<<<blocks_for((size_t)R * 32), kThreads, 0, s>>>(out, mean, rstd, inp, g,
                                                                             b, R, C);
    return cudaGetLastError();
}

cudaError_t nn_layernorm_backward(float *dinp, float *dg, float *db, const float *dout,
                                  const float *inp, const float *g, const float *mean,
                                  const float *rstd, int R, int C, int n_sm, cudaStream_t s) {
    int shared = 2 * C * (int)sizeof(float) <= 48 * 1024;
    unsigned want = blocks_for((size_t)R * 32), cap = (unsigned)(n_sm > 0 ? 4 * n_sm : 256);
    unsigned grid = want < cap ? want : cap;
    size_t smem = shared ? 2 * (size_t)C * sizeof(float) : 0;
    layernorm_backward_kernel<<<grid, kThreads, smem, s>>>(dinp, dg, db, dout, inp, g, mean, rstd, R,
                                                           C, shared);
    return cudaGetLastError();
}

cudaError_t nn_masked_softmax_forward(float *att, const uint8_t *code, const float *edge, int B,
                                      int H, int N, cudaStream_t s) {
    size_t rows = (size_t)B * H * N;
    masked_softmax_forward_kernel<<<blocks_for(rows * 32), kThreads, 0, s>>>(att, code, edge, B, H, N);
    return cudaGetLastError();
}

cudaError_t nn_masked_softmax_backward(float *datt, float *edge_part, const float *att,
                                       const uint8_t *code, int B, int H, int N, cudaStream_t s) {
    size_t rows = (size_t)B * H * N;
    masked_softmax_backward_kernel<<<blocks_for(rows * 32), kThreads, 0, s>>>(datt, edge_part, att,
                                                                              code, B, H, N);
    return cudaGetLastError();
}

cudaError_t nn_edge_grad_reduce(float *dedge, const float *edge_part, int H, int BN, cudaStream_t s) {
    edge_grad_reduce_kernel<<<(unsigned)(2 * CCX_NN_EDGE_GROUPS * H), kThreads, 0, s>>>(dedge, edge_part, BN);
    return cudaGetLastError();
}

cudaError_t nn_pool_forward(float *pooled, const float *z, const uint8_t *live, int B, int N, int D,
                            cudaStream_t s) {
    pool_forward_kernel<<<(unsigned)B, 128, 0, s>>>(pooled, z, live, N, D);
    return cudaGetLastError();
}

cudaError_t nn_pool_backward(float *dz, const float *dpooled, const uint8_t *live, int B, int N,
                             int D, cudaStream_t s) {
    pool_backward_kernel<<<(unsigned)B, kThreads, 0, s>>>(dz, dpooled, live, N, D);
    return cudaGetLastError();
}

cudaError_t nn_policy_forward(float *logits, const float *z, const float *w, const float *b,
                              const uint8_t *legal, int R, int D, cudaStream_t s) {
    policy_forward_kernel<<<blocks_for((size_t)R * 32), kThreads, 0, s>>>(logits, z, w, b, legal, R, D);
    return cudaGetLastError();
}

cudaError_t nn_policy_backward_dz(float *dz, float *g, const float *dlogits, const float *w,
                                  const uint8_t *legal, int R, int D, cudaStream_t s) {
    policy_backward_dz_kernel<<<blocks_for((size_t)R * D), kThreads, 0, s>>>(dz, g, dlogits, w, legal,
                                                                             R, D);
    return cudaGetLastError();
}

cudaError_t nn_fill(float *p, float v, size_t n, cudaStream_t s) {
    fill_kernel<<<blocks_for(n), kThreads, 0, s>>>(p, v, n);
    return cudaGetLastError();
}
