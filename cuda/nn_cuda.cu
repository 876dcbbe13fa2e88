// CUDA backend of the policy/value network (host/nn/nn_cuda.h): the model
// of host/nn/model.h with cuBLAS for every matrix product (strided-batched,
// one call per head, for attention) and the kernels of nn_kernels.cu for
// the rest. The structure follows ccx_nn_cpu_forward / ccx_nn_cpu_backward
// in host/nn/nn_cpu.c line by line, with the same activation layout
// (ccx_nn_act_sizes). Every CUDA and cuBLAS call is checked; a failure
// becomes a ccx_error naming the step. NVTX ranges mark the phases.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <nvtx3/nvToolsExt.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_kernels.cuh"

extern "C" {
#include "nn/model.h"
#include "nn/nn_cuda.h"
}

struct ccx_nn_cuda {
    ccx_nn_config cfg;
    ccx_nn_layout lay;
    int max_batch, tf32, n_sm;
    cudaStream_t stream;
    cublasHandle_t blas;
    float *state;                   // one allocation: params | grads | m | v
    float *params, *grads, *m, *v;  // n_params each
    float *acts;                    // activations for max_batch at n_pad
    float *act[CCX_NN_N_ACTS];
    uint8_t *bytes;                 // one allocation: code | live | legal
    uint8_t *code, *live, *legal;
    float *ones;                    // max(B N, B) ones
    float *norm;                    // [2]: norm, clip scale; then 1024 partial sums
    // staging for the host-memory entry points
    float *st_features, *st_dlogits, *st_dvalue;
    uint8_t *st_bytes, *st_adj, *st_live, *st_legal;
    int batch, n; // of the last forward
    long step;
};

namespace {

int cuda_fail(ccx_error *err, const char *what, cudaError_t e) {
    ccx_error_set(err, "CUDA error in %s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
    (void)cudaGetLastError(); // clear a sticky launch error if it is not fatal
    return -1;
}

int cublas_fail(ccx_error *err, const char *what, cublasStatus_t s) {
    return ccx_error_set(err, "cuBLAS error in %s: %s", what, cublasGetStatusString(s));
}

#define CK(what, call)                                               \
    do {                                                             \
        cudaError_t e_ = (call);                                     \
        if (e_ != cudaSuccess) return cuda_fail(err, what, e_);      \
    } while (0)
#define CB(what, call)                                                   \
    do {                                                                 \
        cublasStatus_t s_ = (call);                                      \
        if (s_ != CUBLAS_STATUS_SUCCESS) return cublas_fail(err, what, s_); \
    } while (0)

struct Range { // NVTX range for a scope
    explicit Range(const char *name) { nvtxRangePushA(name); }
    ~Range() { nvtxRangePop(); }
};

// Row-major C[M, Nn] = alpha op(A)[M, K] op(B)[K, Nn] + beta C (as
// cblas_sgemm(CblasRowMajor, ...)): cuBLAS is column-major, so it computes
// C^T = op(B)^T op(A)^T with the operands swapped.
cublasStatus_t gemm(cublasHandle_t h, bool ta, bool tb, int M, int Nn, int K, float alpha,
                    const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    return cublasSgemm(h, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, Nn, M, K,
                       &alpha, B, ldb, A, lda, &beta, C, ldc);
}

cublasStatus_t gemm_batched(cublasHandle_t h, bool ta, bool tb, int M, int Nn, int K, float alpha,
                            const float *A, int lda, long long sA, const float *B, int ldb,
                            long long sB, float beta, float *C, int ldc, long long sC, int batch) {
    return cublasSgemmStridedBatched(h, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                                     Nn, M, K, &alpha, B, ldb, sB, A, lda, sA, &beta, C, ldc, sC, batch);
}

void place_acts(ccx_nn_cuda *nn, int B, int N) {
    size_t s[CCX_NN_N_ACTS];
    ccx_nn_act_sizes(&nn->cfg, B, N, s);
    float *p = nn->acts;
    for (int a = 0; a < CCX_NN_N_ACTS; a++) {
        nn->act[a] = p;
        p += s[a];
    }
}

#define PARAM(t) (nn->params + nn->lay.offset[t])
#define GRAD(t) (nn->grads + nn->lay.offset[t])

// out [R, OC] = inp [R, C] @ w [C, OC] + bias   (ccx_nn_matmul_forward)
int matmul_forward(ccx_nn_cuda *nn, float *out, const float *inp, const float *w, const float *bias,
                   int R, int C, int OC, ccx_error *err) {
    CB("matmul forward", gemm(nn->blas, false, false, R, OC, C, 1.0f, inp, C, w, OC, 0.0f, out, OC));
    if (bias) CK("bias add", nn_add_bias(out, bias, R, OC, nn->stream));
    return 0;
}

// dinp [R, C] = dout @ w^T (overwritten: beta 0), dw [C, OC] += inp^T dout,
// dbias [OC] += ones^T dout   (ccx_nn_matmul_backward, except that dinp is
// overwritten here instead of accumulated)
int matmul_backward(ccx_nn_cuda *nn, float *dinp, float *dw, float *dbias, const float *dout,
                    const float *inp, const float *w, int R, int C, int OC, ccx_error *err) {
    if (dinp)
        CB("matmul backward (input)",
           gemm(nn->blas, false, true, R, C, OC, 1.0f, dout, OC, w, OC, 0.0f, dinp, C));
    CB("matmul backward (weight)",
       gemm(nn->blas, true, false, C, OC, R, 1.0f, inp, C, dout, OC, 1.0f, dw, OC));
    if (dbias)
        CB("matmul backward (bias)",
           gemm(nn->blas, false, false, 1, OC, R, 1.0f, nn->ones, R, dout, OC, 1.0f, dbias, OC));
    return 0;
}

int check_obs(const ccx_nn_cuda *nn, const ccx_nn_obs *obs, ccx_error *err) {
    if (!obs || !obs->features || !obs->adj || !obs->legal)
        return ccx_error_set(err, "network forward: missing observation array");
    if (obs->batch < 1 || obs->batch > nn->max_batch)
        return ccx_error_set(err, "network forward: batch %d is out of range (1..%d)", obs->batch,
                             nn->max_batch);
    if (obs->n_pad < 1 || obs->n_pad > nn->cfg.n_pad)
        return ccx_error_set(err, "network forward: n_pad %d is out of range (1..%d)", obs->n_pad,
                             nn->cfg.n_pad);
    return 0;
}

// ---------------------------------------------------------------- forward --
int forward(ccx_nn_cuda *nn, const ccx_nn_obs *obs, ccx_error *err) {
    const ccx_nn_config *c = &nn->cfg;
    int B = obs->batch, N = obs->n_pad, R = B * N;
    int F = c->n_features, G = ccx_nn_in_width(c), D = c->dim, L = c->n_layers, H = c->n_heads;
    int M = c->mlp_dim, V = c->value_dim, dh = D / H;
    cudaStream_t s = nn->stream;
    place_acts(nn, B, N);
    nn->batch = B;
    nn->n = N;
    float **A = nn->act;
    size_t RD = (size_t)R * D, RM = (size_t)R * M, NN = (size_t)N * N;
    float scale = 1.0f / sqrtf((float)dh);
    {
        Range r("nn.embed");
        if (obs->live) CK("copy live mask", cudaMemcpyAsync(nn->live, obs->live, (size_t)R, cudaMemcpyDeviceToDevice, s));
        else CK("live mask", nn_live_from_features(nn->live, obs->features, R, F, CCX_NN_PADDING_FEATURE, s));
        CK("copy legal mask", cudaMemcpyAsync(nn->legal, obs->legal, (size_t)R, cudaMemcpyDeviceToDevice, s));
        CK("edge codes", nn_edge_codes(nn->code, obs->adj, nn->live, B, N, s));
        CK("embedding inputs", nn_embed_inputs(A[CCX_NN_A_EMB], obs->features, nn->code, B, N, F,
                                               c->op_feature, c->n_op_codes, s));
        if (matmul_forward(nn, A[CCX_NN_A_X], A[CCX_NN_A_EMB], PARAM(CCX_NN_EMB_W), PARAM(CCX_NN_EMB_B), R,
                           3 * G, D, err))
            return -1;
    }
    for (int l = 0; l < L; l++) {
        Range r("nn.layer");
        const ccx_nn_layer_acts a = ccx_nn_layer_acts_of(A, l, B, N, D, M, H);
        float *tmp = A[CCX_NN_A_TMP];
        size_t lD = (size_t)l * D;
        CK("layernorm 1", nn_layernorm_forward(a.ln1, a.m1, a.r1, a.x, PARAM(CCX_NN_LN1_G) + lD,
                                               PARAM(CCX_NN_LN1_B) + lD, R, D, s));
        if (matmul_forward(nn, a.qkv, a.ln1, PARAM(CCX_NN_QKV_W) + lD * 3 * D, PARAM(CCX_NN_QKV_B) + 3 * lD,
                           R, D, 3 * D, err))
            return -1;
        // attention: per head, batched over graphs: S = scale q k^T, P = softmax, O = P v
        for (int h = 0; h < H; h++) {
            const float *q = a.qkv + (size_t)h * dh, *k = q + D;
            CB("attention scores", gemm_batched(nn->blas, false, true, N, N, dh, scale, q, 3 * D,
                                                (long long)N * 3 * D, k, 3 * D, (long long)N * 3 * D,
                                                0.0f, a.att + h * NN, N, (long long)H * NN, B));
        }
        CK("masked softmax", nn_masked_softmax_forward(a.att, nn->code, PARAM(CCX_NN_EDGE) + (size_t)l * 2 * CCX_NN_EDGE_GROUPS * H,
                                                       B, H, N, s));
        for (int h = 0; h < H; h++) {
            const float *v = a.qkv + 2 * D + (size_t)h * dh;
            CB("attention values", gemm_batched(nn->blas, false, false, N, dh, N, 1.0f, a.att + h * NN, N,
                                                (long long)H * NN, v, 3 * D, (long long)N * 3 * D, 0.0f,
                                                a.atto + (size_t)h * dh, D, (long long)N * D, B));
        }
        if (matmul_forward(nn, tmp, a.atto, PARAM(CCX_NN_ATTN_W) + lD * D, NULL, R, D, D, err)) return -1;
        CK("residual 1", nn_residual_bias(a.xmid, a.x, tmp, PARAM(CCX_NN_ATTN_B) + lD, R, D, s));
        CK("layernorm 2", nn_layernorm_forward(a.ln2, a.m2, a.r2, a.xmid, PARAM(CCX_NN_LN2_G) + lD,
                                               PARAM(CCX_NN_LN2_B) + lD, R, D, s));
        if (matmul_forward(nn, a.fc1, a.ln2, PARAM(CCX_NN_FC1_W) + lD * M, NULL, R, D, M, err)) return -1;
        CK("bias + GELU", nn_bias_gelu(a.fc1, a.gel, PARAM(CCX_NN_FC1_B) + (size_t)l * M, R, M, s));
        if (matmul_forward(nn, tmp, a.gel, PARAM(CCX_NN_FC2_W) + (size_t)l * M * D, NULL, R, M, D, err))
            return -1;
        CK("residual 2", nn_residual_bias(a.xnext, a.xmid, tmp, PARAM(CCX_NN_FC2_B) + lD, R, D, s));
    }
    {
        Range r("nn.heads");
        float *z = A[CCX_NN_A_LNF];
        CK("final layernorm", nn_layernorm_forward(z, A[CCX_NN_A_LNF_MEAN], A[CCX_NN_A_LNF_RSTD],
                                                   A[CCX_NN_A_X] + L * RD, PARAM(CCX_NN_LNF_G),
                                                   PARAM(CCX_NN_LNF_B), R, D, s));
        CK("policy head", nn_policy_forward(A[CCX_NN_A_LOGITS], z, PARAM(CCX_NN_POL_W), PARAM(CCX_NN_POL_B),
                                            nn->legal, R, D, s));
        CK("pool", nn_pool_forward(A[CCX_NN_A_POOLED], z, nn->live, B, N, D, s));
        if (matmul_forward(nn, A[CCX_NN_A_VPRE], A[CCX_NN_A_POOLED], PARAM(CCX_NN_VAL1_W), NULL, B, D, V, err))
            return -1;
        CK("value bias + GELU", nn_bias_gelu(A[CCX_NN_A_VPRE], A[CCX_NN_A_VACT], PARAM(CCX_NN_VAL1_B), B, V, s));
        if (matmul_forward(nn, A[CCX_NN_A_VALUE], A[CCX_NN_A_VACT], PARAM(CCX_NN_VAL2_W), PARAM(CCX_NN_VAL2_B),
                           B, V, 1, err))
            return -1;
    }
    return 0;
}

// --------------------------------------------------------------- backward --
int backward(ccx_nn_cuda *nn, const float *dlogits, const float *dvalue, ccx_error *err) {
    const ccx_nn_config *c = &nn->cfg;
    int B = nn->batch, N = nn->n, R = B * N;
    int G = ccx_nn_in_width(c), D = c->dim, L = c->n_layers, H = c->n_heads, M = c->mlp_dim;
    int V = c->value_dim, dh = D / H;
    cudaStream_t s = nn->stream;
    float **A = nn->act;
    size_t RD = (size_t)R * D, RM = (size_t)R * M, NN = (size_t)N * N;
    float scale = 1.0f / sqrtf((float)dh);
    float *dx = A[CCX_NN_A_DX], *dln = A[CCX_NN_A_DLN], *z = A[CCX_NN_A_LNF];
    {
        Range r("nn.heads.backward");
        float *g = A[CCX_NN_A_DLOGITS];
        CK("policy backward", nn_policy_backward_dz(dln, g, dlogits, PARAM(CCX_NN_POL_W), nn->legal, R, D, s));
        if (dlogits) {
            CB("policy weight grad", gemm(nn->blas, true, false, D, 1, R, 1.0f, z, D, g, 1, 1.0f,
                                          GRAD(CCX_NN_POL_W), 1));
            CB("policy bias grad", gemm(nn->blas, false, false, 1, 1, R, 1.0f, nn->ones, R, g, 1, 1.0f,
                                        GRAD(CCX_NN_POL_B), 1));
        }
        if (dvalue) {
            float *dv = A[CCX_NN_A_DVPRE], *dp = A[CCX_NN_A_DPOOLED];
            if (matmul_backward(nn, dv, GRAD(CCX_NN_VAL2_W), GRAD(CCX_NN_VAL2_B), dvalue, A[CCX_NN_A_VACT],
                                PARAM(CCX_NN_VAL2_W), B, V, 1, err))
                return -1;
            CK("value GELU backward", nn_gelu_backward(dv, A[CCX_NN_A_VPRE], dv, (size_t)B * V, s));
            if (matmul_backward(nn, dp, GRAD(CCX_NN_VAL1_W), GRAD(CCX_NN_VAL1_B), dv, A[CCX_NN_A_POOLED],
                                PARAM(CCX_NN_VAL1_W), B, D, V, err))
                return -1;
            CK("pool backward", nn_pool_backward(dln, dp, nn->live, B, N, D, s));
        }
        CK("clear dx", cudaMemsetAsync(dx, 0, RD * sizeof(float), s));
        CK("final layernorm backward",
           nn_layernorm_backward(dx, GRAD(CCX_NN_LNF_G), GRAD(CCX_NN_LNF_B), dln, A[CCX_NN_A_X] + L * RD,
                                 PARAM(CCX_NN_LNF_G), A[CCX_NN_A_LNF_MEAN], A[CCX_NN_A_LNF_RSTD], R, D,
                                 nn->n_sm, s));
    }
    for (int l = L - 1; l >= 0; l--) {
        Range r("nn.layer.backward");
        const ccx_nn_layer_acts a = ccx_nn_layer_acts_of(A, l, B, N, D, M, H);
        float *dfc1 = A[CCX_NN_A_DFC1], *datto = A[CCX_NN_A_DATTO], *dqkv = A[CCX_NN_A_DQKV];
        float *datt = A[CCX_NN_A_DATT];
        size_t lD = (size_t)l * D;
        // MLP branch: dx holds d x_{l+1}
        if (matmul_backward(nn, dfc1, GRAD(CCX_NN_FC2_W) + (size_t)l * M * D, GRAD(CCX_NN_FC2_B) + lD, dx,
                            a.gel, PARAM(CCX_NN_FC2_W) + (size_t)l * M * D, R, M, D, err))
            return -1;
        CK("GELU backward", nn_gelu_backward(dfc1, a.fc1, dfc1, RM, s));
        if (matmul_backward(nn, dln, GRAD(CCX_NN_FC1_W) + lD * M, GRAD(CCX_NN_FC1_B) + (size_t)l * M, dfc1,
                            a.ln2, PARAM(CCX_NN_FC1_W) + lD * M, R, D, M, err))
            return -1;
        CK("layernorm 2 backward", nn_layernorm_backward(dx, GRAD(CCX_NN_LN2_G) + lD, GRAD(CCX_NN_LN2_B) + lD,
                                                         dln, a.xmid, PARAM(CCX_NN_LN2_G) + lD, a.m2, a.r2, R, D,
                                                         nn->n_sm, s));
        // attention branch: dx holds d a.xmid
        if (matmul_backward(nn, datto, GRAD(CCX_NN_ATTN_W) + lD * D, GRAD(CCX_NN_ATTN_B) + lD, dx, a.atto,
                            PARAM(CCX_NN_ATTN_W) + lD * D, R, D, D, err))
            return -1;
        for (int h = 0; h < H; h++) {
            const float *v = a.qkv + 2 * D + (size_t)h * dh, *dO = datto + (size_t)h * dh;
            // dP = dO v^T ; dv = P^T dO
            CB("attention backward (dP)", gemm_batched(nn->blas, false, true, N, N, dh, 1.0f, dO, D,
                                                       (long long)N * D, v, 3 * D, (long long)N * 3 * D,
                                                       0.0f, datt + h * NN, N, (long long)H * NN, B));
            CB("attention backward (dv)", gemm_batched(nn->blas, true, false, N, dh, N, 1.0f, a.att + h * NN,
                                                       N, (long long)H * NN, dO, D, (long long)N * D, 0.0f,
                                                       dqkv + 2 * D + (size_t)h * dh, 3 * D,
                                                       (long long)N * 3 * D, B));
        }
        CK("masked softmax backward", nn_masked_softmax_backward(datt, A[CCX_NN_A_EDGE_PART], a.att, nn->code,
                                                                 B, H, N, s));
        CK("edge bias grad", nn_edge_grad_reduce(GRAD(CCX_NN_EDGE) + (size_t)l * 2 * CCX_NN_EDGE_GROUPS * H, A[CCX_NN_A_EDGE_PART],
                                                 H, R, s));
        for (int h = 0; h < H; h++) {
            const float *q = a.qkv + (size_t)h * dh, *k = q + D;
            // dq = scale dS k ; dk = scale dS^T q
            CB("attention backward (dq)", gemm_batched(nn->blas, false, false, N, dh, N, scale, datt + h * NN,
                                                       N, (long long)H * NN, k, 3 * D, (long long)N * 3 * D,
                                                       0.0f, dqkv + (size_t)h * dh, 3 * D,
                                                       (long long)N * 3 * D, B));
            CB("attention backward (dk)", gemm_batched(nn->blas, true, false, N, dh, N, scale, datt + h * NN,
                                                       N, (long long)H * NN, q, 3 * D, (long long)N * 3 * D,
                                                       0.0f, dqkv + D + (size_t)h * dh, 3 * D,
                                                       (long long)N * 3 * D, B));
        }
        if (matmul_backward(nn, dln, GRAD(CCX_NN_QKV_W) + lD * 3 * D, GRAD(CCX_NN_QKV_B) + 3 * lD, dqkv, a.ln1,
                            PARAM(CCX_NN_QKV_W) + lD * 3 * D, R, D, 3 * D, err))
            return -1;
        CK("layernorm 1 backward", nn_layernorm_backward(dx, GRAD(CCX_NN_LN1_G) + lD, GRAD(CCX_NN_LN1_B) + lD,
                                                         dln, a.x, PARAM(CCX_NN_LN1_G) + lD, a.m1, a.r1, R, D,
                                                         nn->n_sm, s));
    }
    {
        Range r("nn.embed.backward");
        if (matmul_backward(nn, NULL, GRAD(CCX_NN_EMB_W), GRAD(CCX_NN_EMB_B), dx, A[CCX_NN_A_EMB],
                            PARAM(CCX_NN_EMB_W), R, 3 * G, D, err))
            return -1;
    }
    return 0;
}

void release(ccx_nn_cuda *nn) {
    if (!nn) return;
    if (nn->blas) cublasDestroy(nn->blas);
    cudaFree(nn->state);
    cudaFree(nn->acts);
    cudaFree(nn->bytes);
    cudaFree(nn->ones);
    cudaFree(nn->norm);
    cudaFree(nn->st_features);
    cudaFree(nn->st_dlogits);
    cudaFree(nn->st_dvalue);
    cudaFree(nn->st_bytes);
    if (nn->stream) cudaStreamDestroy(nn->stream);
    free(nn);
}

int create(ccx_nn_cuda *nn, const ccx_nn_config *cfg, int max_batch, const float *params_host, int tf32,
           ccx_error *err) {
    int n_dev = 0;
    cudaError_t e = cudaGetDeviceCount(&n_dev);
    if (e != cudaSuccess) return cuda_fail(err, "looking for a device", e);
    if (n_dev < 1) return ccx_error_set(err, "the cuda backend needs a CUDA device; none answers");
    CK("device attributes", cudaDeviceGetAttribute(&nn->n_sm, cudaDevAttrMultiProcessorCount, 0));
    CK("stream", cudaStreamCreateWithFlags(&nn->stream, cudaStreamNonBlocking));
    CB("cuBLAS init", cublasCreate(&nn->blas));
    CB("cuBLAS stream", cublasSetStream(nn->blas, nn->stream));
    CB("cuBLAS math mode", cublasSetMathMode(nn->blas, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
    size_t P = nn->lay.n_params, B = (size_t)max_batch, N = (size_t)cfg->n_pad;
    size_t sizes[CCX_NN_N_ACTS];
    size_t floats = ccx_nn_act_sizes(cfg, max_batch, cfg->n_pad, sizes);
    if (!floats) return ccx_error_set(err, "network: activations for batch %d at n_pad %d do not fit", max_batch, cfg->n_pad);
    double mib = (double)ccx_nn_activation_bytes(cfg, max_batch) / 1048576.0;
    char what[160];
    snprintf(what, sizeof what, "allocating %.1f MiB of activations (batch %d, n_pad %d)", mib, max_batch, cfg->n_pad);
    CK("allocating parameters", cudaMalloc((void **)&nn->state, 4 * (P ? P : 1) * sizeof(float)));
    nn->params = nn->state;
    nn->grads = nn->params + P;
    nn->m = nn->grads + P;
    nn->v = nn->m + P;
    CK(what, cudaMalloc((void **)&nn->acts, floats * sizeof(float)));
    CK(what, cudaMalloc((void **)&nn->bytes, B * N * N + 2 * B * N));
    nn->code = nn->bytes;
    nn->live = nn->code + B * N * N;
    nn->legal = nn->live + B * N;
    size_t n_ones = B * N > B ? B * N : B;
    CK("allocating", cudaMalloc((void **)&nn->ones, n_ones * sizeof(float)));
    CK("allocating", cudaMalloc((void **)&nn->norm, (2 + 1024) * sizeof(float)));
    CK("filling ones", nn_fill(nn->ones, 1.0f, n_ones, nn->stream));
    CK("clearing state", cudaMemsetAsync(nn->state, 0, 4 * P * sizeof(float), nn->stream));
    if (P) CK("copying parameters", cudaMemcpyAsync(nn->params, params_host, P * sizeof(float),
                                                   cudaMemcpyHostToDevice, nn->stream));
    CK("initialising", cudaStreamSynchronize(nn->stream));
    return 0;
}

int ensure_staging(ccx_nn_cuda *nn, ccx_error *err) {
    if (nn->st_features) return 0;
    size_t B = (size_t)nn->max_batch, N = (size_t)nn->cfg.n_pad, F = (size_t)nn->cfg.n_features;
    CK("allocating staging buffers", cudaMalloc((void **)&nn->st_features, B * N * F * sizeof(float)));
    CK("allocating staging buffers", cudaMalloc((void **)&nn->st_dlogits, B * N * sizeof(float)));
    CK("allocating staging buffers", cudaMalloc((void **)&nn->st_dvalue, B * sizeof(float)));
    CK("allocating staging buffers", cudaMalloc((void **)&nn->st_bytes, B * N * N + 2 * B * N));
    nn->st_adj = nn->st_bytes;
    nn->st_live = nn->st_adj + B * N * N;
    nn->st_legal = nn->st_live + B * N;
    return 0;
}

} // namespace

// ------------------------------------------------------------- C interface --
extern "C" ccx_nn_cuda *ccx_nn_cuda_create(const ccx_nn_config *cfg, int max_batch,
                                           const float *params_host, int tf32, ccx_error *err) {
    if (ccx_nn_config_validate(cfg, err)) return NULL;
    if (max_batch < 1 || max_batch > (1 << 24)) {
        ccx_error_set(err, "network: max_batch = %d is out of range (1..16777216)", max_batch);
        return NULL;
    }
    if ((long long)max_batch * cfg->n_pad * (cfg->mlp_dim > 3 * cfg->dim ? cfg->mlp_dim : 3 * cfg->dim) > 0x7fffffffLL)
    {
        ccx_error_set(err, "network: batch %d x n_pad %d is too large (the row count times the widest layer must stay below 2^31)",
                             max_batch, cfg->n_pad);
        return NULL;
    }
    ccx_nn_cuda *nn = (ccx_nn_cuda *)calloc(1, sizeof *nn);
    if (!nn) {
        ccx_error_set(err, "network: out of memory");
        return NULL;
    }
    nn->cfg = *cfg;
    nn->max_batch = max_batch;
    nn->tf32 = tf32;
    ccx_nn_layout_init(&nn->lay, cfg);
    if (create(nn, cfg, max_batch, params_host, tf32, err)) {
        release(nn);
        return NULL;
    }
    return nn;
}

extern "C" void ccx_nn_cuda_free(ccx_nn_cuda *nn) {
    if (nn && nn->stream) (void)cudaStreamSynchronize(nn->stream);
    release(nn);
}

extern "C" int ccx_nn_cuda_forward(ccx_nn_cuda *nn, const ccx_nn_obs *obs, ccx_error *err) {
    if (check_obs(nn, obs, err)) return -1;
    Range r("nn.forward");
    return forward(nn, obs, err);
}

extern "C" const float *ccx_nn_cuda_logits(const ccx_nn_cuda *nn) { return nn->act[CCX_NN_A_LOGITS]; }
extern "C" const float *ccx_nn_cuda_value(const ccx_nn_cuda *nn) { return nn->act[CCX_NN_A_VALUE]; }

extern "C" int ccx_nn_cuda_zero_grad(ccx_nn_cuda *nn, ccx_error *err) {
    CK("clearing gradients", cudaMemsetAsync(nn->grads, 0, nn->lay.n_params * sizeof(float), nn->stream));
    return 0;
}

extern "C" int ccx_nn_cuda_backward(ccx_nn_cuda *nn, const float *dlogits, const float *dvalue,
                                    ccx_error *err) {
    if (nn->batch < 1) return ccx_error_set(err, "network backward: no forward pass to differentiate");
    Range r("nn.backward");
    return backward(nn, dlogits, dvalue, err);
}

extern "C" int ccx_nn_cuda_adamw_step(ccx_nn_cuda *nn, const ccx_nn_adamw *hp, float *norm_host,
                                      ccx_error *err) {
    if (ccx_nn_adamw_validate(hp, err)) return -1;
    Range r("nn.adamw");
    cudaStream_t s = nn->stream;
    CK("gradient norm", nn_grad_norm(nn->norm, nn->norm + 2, nn->grads, nn->lay.n_params, hp->max_grad_norm, s));
    float norm = 0;
    CK("reading the gradient norm", cudaMemcpyAsync(&norm, nn->norm, sizeof(float), cudaMemcpyDeviceToHost, s));
    CK("reading the gradient norm", cudaStreamSynchronize(s));
    if (!isfinite(norm))
        return ccx_error_set(err, "adamw: the gradient norm is not finite (%g); step skipped", (double)norm);
    if (norm_host) *norm_host = norm;
    nn->step++;
    float bc1 = 1.0f - powf(hp->beta1, (float)nn->step), bc2 = 1.0f - powf(hp->beta2, (float)nn->step);
    for (int t = 0; t < CCX_NN_N_TENSORS; t++) {
        size_t o = nn->lay.offset[t];
        float wd = ccx_nn_tensor_decays(t) ? hp->weight_decay : 0.0f;
        CK("adamw update", nn_adamw_update(nn->params + o, nn->grads + o, nn->m + o, nn->v + o, nn->lay.size[t],
                                           hp->lr, hp->beta1, hp->beta2, hp->eps, wd, bc1, bc2, nn->norm + 1, s));
    }
    return 0;
}

extern "C" int ccx_nn_cuda_forward_host(ccx_nn_cuda *nn, const ccx_nn_obs *obs, float *logits,
                                        float *value, ccx_error *err) {
    if (check_obs(nn, obs, err) || ensure_staging(nn, err)) return -1;
    cudaStream_t s = nn->stream;
    size_t B = (size_t)obs->batch, N = (size_t)obs->n_pad, F = (size_t)nn->cfg.n_features;
    ccx_nn_obs d = *obs;
    CK("uploading observations", cudaMemcpyAsync(nn->st_features, obs->features, B * N * F * sizeof(float),
                                                 cudaMemcpyHostToDevice, s));
    CK("uploading observations", cudaMemcpyAsync(nn->st_adj, obs->adj, B * N * N, cudaMemcpyHostToDevice, s));
    CK("uploading observations", cudaMemcpyAsync(nn->st_legal, obs->legal, B * N, cudaMemcpyHostToDevice, s));
    if (obs->live)
        CK("uploading observations", cudaMemcpyAsync(nn->st_live, obs->live, B * N, cudaMemcpyHostToDevice, s));
    d.features = nn->st_features;
    d.adj = nn->st_adj;
    d.legal = nn->st_legal;
    d.live = obs->live ? nn->st_live : NULL;
    if (ccx_nn_cuda_forward(nn, &d, err)) return -1;
    if (logits)
        CK("downloading logits", cudaMemcpyAsync(logits, nn->act[CCX_NN_A_LOGITS], B * N * sizeof(float),
                                                 cudaMemcpyDeviceToHost, s));
    if (value)
        CK("downloading values", cudaMemcpyAsync(value, nn->act[CCX_NN_A_VALUE], B * sizeof(float),
                                                 cudaMemcpyDeviceToHost, s));
    CK("forward", cudaStreamSynchronize(s));
    return 0;
}

extern "C" int ccx_nn_cuda_backward_host(ccx_nn_cuda *nn, const float *dlogits, const float *dvalue,
                                         ccx_error *err) {
    if (nn->batch < 1) return ccx_error_set(err, "network backward: no forward pass to differentiate");
    if (ensure_staging(nn, err)) return -1;
    cudaStream_t s = nn->stream;
    size_t B = (size_t)nn->batch, N = (size_t)nn->n;
    if (dlogits)
        CK("uploading dlogits", cudaMemcpyAsync(nn->st_dlogits, dlogits, B * N * sizeof(float),
                                                cudaMemcpyHostToDevice, s));
    if (dvalue)
        CK("uploading dvalue", cudaMemcpyAsync(nn->st_dvalue, dvalue, B * sizeof(float), cudaMemcpyHostToDevice, s));
    if (ccx_nn_cuda_backward(nn, dlogits ? nn->st_dlogits : NULL, dvalue ? nn->st_dvalue : NULL, err)) return -1;
    CK("backward", cudaStreamSynchronize(s));
    return 0;
}

extern "C" int ccx_nn_cuda_get_state(ccx_nn_cuda *nn, float *params, float *grads, float *m, float *v,
                                     long *step, ccx_error *err) {
    size_t bytes = nn->lay.n_params * sizeof(float);
    cudaStream_t s = nn->stream;
    if (params) CK("reading parameters", cudaMemcpyAsync(params, nn->params, bytes, cudaMemcpyDeviceToHost, s));
    if (grads) CK("reading gradients", cudaMemcpyAsync(grads, nn->grads, bytes, cudaMemcpyDeviceToHost, s));
    if (m) CK("reading moments", cudaMemcpyAsync(m, nn->m, bytes, cudaMemcpyDeviceToHost, s));
    if (v) CK("reading moments", cudaMemcpyAsync(v, nn->v, bytes, cudaMemcpyDeviceToHost, s));
    CK("reading state", cudaStreamSynchronize(s));
    if (step) *step = nn->step;
    return 0;
}

extern "C" int ccx_nn_cuda_set_state(ccx_nn_cuda *nn, const float *params, const float *m, const float *v,
                                     long step, ccx_error *err) {
    size_t bytes = nn->lay.n_params * sizeof(float);
    cudaStream_t s = nn->stream;
    if (params) CK("writing parameters", cudaMemcpyAsync(nn->params, params, bytes, cudaMemcpyHostToDevice, s));
    if (m) CK("writing moments", cudaMemcpyAsync(nn->m, m, bytes, cudaMemcpyHostToDevice, s));
    if (v) CK("writing moments", cudaMemcpyAsync(nn->v, v, bytes, cudaMemcpyHostToDevice, s));
    CK("writing state", cudaStreamSynchronize(s));
    nn->step = step;
    return 0;
}

extern "C" int ccx_nn_cuda_sync(ccx_nn_cuda *nn, ccx_error *err) {
    CK("network stream", cudaStreamSynchronize(nn->stream));
    CK("network kernels", cudaGetLastError());
    return 0;
}

extern "C" int ccx_nn_cuda_malloc(void **p, size_t bytes, ccx_error *err) {
    *p = NULL;
    CK("cudaMalloc", cudaMalloc(p, bytes ? bytes : 1));
    return 0;
}

extern "C" void ccx_nn_cuda_free_mem(void *p) { cudaFree(p); }

extern "C" int ccx_nn_cuda_copy_to_device(void *dst, const void *src, size_t bytes, ccx_error *err) {
    CK("cudaMemcpy", cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
    return 0;
}
