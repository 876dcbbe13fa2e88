// Kernels of the CUDA policy/value network (cuda/nn_kernels.cu, AdamW in
// cuda/nn_adamw.cu). Each launcher queues one kernel on stream and returns
// the launch status (cudaGetLastError); the shapes and the CPU reference
// (host/nn/nn_cpu.c) are named at each kernel. All arrays are device memory,
// row-major, as in nn_cpu.h.
#ifndef CCX_CUDA_NN_KERNELS_CUH
#define CCX_CUDA_NN_KERNELS_CUH

#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>

// live [R] = features[r, pad_feature] == 0                 (ccx_nn_live_from_features)
cudaError_t nn_live_from_features(uint8_t *live, const float *features, int R, int F,
                                  int pad_feature, cudaStream_t s);
// code [B, N, N] = A_ij | A_ji << 1 | live_j << 2          (ccx_nn_edge_codes)
cudaError_t nn_edge_codes(uint8_t *code, const uint8_t *adj, const uint8_t *live, int B, int N,
                          cudaStream_t s);
// E [B, N, 3G] from features [B, N, F] and codes            (ccx_nn_embed_inputs)
cudaError_t nn_embed_inputs(float *E, const float *features, const uint8_t *code, int B, int N,
                            int F, int op_feature, int K, cudaStream_t s);
// out [R, C] += bias [C]
cudaError_t nn_add_bias(float *out, const float *bias, int R, int C, cudaStream_t s);
// out [R, C] = a + t + bias [C]                             (residual adds in ccx_nn_cpu_forward)
cudaError_t nn_residual_bias(float *out, const float *a, const float *t, const float *bias, int R,
                             int C, cudaStream_t s);
// pre [R, C] += bias; act = GELU(pre)                      (matmul bias + ccx_nn_gelu_forward)
cudaError_t nn_bias_gelu(float *pre, float *act, const float *bias, int R, int C, cudaStream_t s);
// dinp [n] = dout * GELU'(inp) (may alias dout)             (ccx_nn_gelu_backward)
cudaError_t nn_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n,
                             cudaStream_t s);
// LayerNorm over rows                                       (ccx_nn_layernorm_forward/backward)
cudaError_t nn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                                 const float *g, const float *b, int R, int C, cudaStream_t s);
// dinp +=, dg +=, db += (atomics: sums in nondeterministic order)
cudaError_t nn_layernorm_backward(float *dinp, float *dg, float *db, const float *dout,
                                  const float *inp, const float *g, const float *mean,
                                  const float *rstd, int R, int C, int n_sm, cudaStream_t s);
// att [B, H, N, N]: raw scaled scores in, masked softmax with edge biases out
//                                                           (masked_softmax_row in nn_cpu.c)
cudaError_t nn_masked_softmax_forward(float *att, const uint8_t *code, const float *edge, int B,
                                      int H, int N, cudaStream_t s);
// datt [B, H, N, N]: dP in, dS = P (dP - rowsum(P dP)) out; edge_part [2, H, B, N]
// per-row sums of dS over edges i->j and j->i               (ccx_nn_attention_backward)
cudaError_t nn_masked_softmax_backward(float *datt, float *edge_part, const float *att,
                                       const uint8_t *code, int B, int H, int N, cudaStream_t s);
// dedge [2H] += sums of edge_part over its B*N rows
cudaError_t nn_edge_grad_reduce(float *dedge, const float *edge_part, int H, int BN, cudaStream_t s);
// pooled [B, D] = mean over live i of z [B, N, D]          (ccx_nn_pool_forward)
cudaError_t nn_pool_forward(float *pooled, const float *z, const uint8_t *live, int B, int N, int D,
                            cudaStream_t s);
// dz [B, N, D] += live_i dpooled / n_live                  (ccx_nn_pool_backward)
cudaError_t nn_pool_backward(float *dz, const float *dpooled, const uint8_t *live, int B, int N,
                             int D, cudaStream_t s);
// logits [R] = legal ? z . w + b : CCX_NN_MASKED_LOGIT      (ccx_nn_policy_forward)
cudaError_t nn_policy_forward(float *logits, const float *z, const float *w, const float *b,
                              const uint8_t *legal, int R, int D, cudaStream_t s);
// g [R] = legal ? dlogits : 0 (dlogits NULL: 0); dz [R, D] = g w^T   (ccx_nn_policy_backward,
// its dw, db are products done by cuBLAS)
cudaError_t nn_policy_backward_dz(float *dz, float *g, const float *dlogits, const float *w,
                                  const uint8_t *legal, int R, int D, cudaStream_t s);
cudaError_t nn_fill(float *p, float v, size_t n, cudaStream_t s);

// AdamW (cuda/nn_adamw.cu)                                 (ccx_nn_grad_norm, ccx_nn_adamw_update)
// norm_out[0] = ||g||_2 (float, summed via double), norm_out[1] = clip scale
// min(1, max_norm / (norm + 1e-6)) (1 if max_norm <= 0). partial: >= 1024 floats.
cudaError_t nn_grad_norm(float *norm_out, float *partial, const float *g, size_t n, float max_norm,
                         cudaStream_t s);
// One AdamW update of n values; scale read from device memory (norm_out[1]).
cudaError_t nn_adamw_update(float *p, const float *g, float *m, float *v, size_t n, float lr,
                            float beta1, float beta2, float eps, float wd, float bc1, float bc2,
                            const float *scale, cudaStream_t s);

#endif
