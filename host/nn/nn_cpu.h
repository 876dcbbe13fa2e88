/* CPU backend of the policy/value network: plain C with cblas_sgemm
 * (OpenBLAS). Every layer's forward and backward sit side by side in
 * nn_cpu.c; they are exported so tests can check each one against a
 * double-precision reference, and they are the reference the CUDA kernels
 * (cuda/nn_kernels.cu) are tested against.
 *
 * Conventions of the layer functions: R = rows (B*N tokens), row-major
 * arrays; a backward ADDS into parameter gradients (dw, db, dg, ...) and
 * into the input gradient where it says "+=", and overwrites where it says
 * "=". */
#ifndef CCX_NN_NN_CPU_H
#define CCX_NN_NN_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "nn/model.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- layers */
/* out[R,OC] = inp[R,C] @ w[C,OC] + bias[OC] (bias may be NULL) */
void ccx_nn_matmul_forward(float *out, const float *inp, const float *w, const float *bias,
                           int R, int C, int OC);
/* dinp[R,C] += dout @ w^T (dinp may be NULL); dw[C,OC] += inp^T @ dout;
 * dbias[OC] += column sums of dout (may be NULL) */
void ccx_nn_matmul_backward(float *dinp, float *dw, float *dbias, const float *dout,
                            const float *inp, const float *w, int R, int C, int OC);

/* out[R,C] = (inp - mean) * rstd * g + b per row; mean, rstd [R] saved */
void ccx_nn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                              const float *g, const float *b, int R, int C);
/* dinp[R,C] +=; dg[C] +=, db[C] += */
void ccx_nn_layernorm_backward(float *dinp, float *dg, float *db, const float *dout,
                               const float *inp, const float *g, const float *mean,
                               const float *rstd, int R, int C);

/* tanh-approximation GELU, elementwise over n values; backward: dinp = */
void ccx_nn_gelu_forward(float *out, const float *inp, size_t n);
void ccx_nn_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n);

/* code[B,N,N] = (A_ij != 0) | (A_ji != 0) << 1 | live_j << 2 | the type
 * group of i -> j << 3 | the type group of j -> i << 5 (model.h) */
void ccx_nn_edge_codes(uint8_t *code, const uint8_t *adj, const uint8_t *live, int B, int N);
/* E[B,N,3G] = [g_i, mean of live predecessors' g, mean of live successors' g]
 * with g_i = [f_i, onehot_K(f_i[op_feature])] (G = F + K; K = 0: g = f).
 * Unless hot is NULL, also lists each row's nonzero one-hot columns (third
 * * K + code; hot [B,N,3K], their count hot_n [B,N]). */
void ccx_nn_embed_inputs(float *E, uint16_t *hot, uint16_t *hot_n, const float *features,
                         const uint8_t *adj, const uint8_t *live, int B, int N, int F,
                         int op_feature, int K);
/* The embedding's matmul X[R,D] = E[R,3G] @ W[3G,D] + bias (bias may be
 * NULL), E's one-hot columns (as listed by ccx_nn_embed_inputs) taken as
 * sparse rows of W; backward: dW[3G,D] +=, dbias[D] += (no dE: E is an
 * input). */
void ccx_nn_embed_matmul_forward(float *X, const float *E, const uint16_t *hot,
                                 const uint16_t *hot_n, const float *W, const float *bias, int R,
                                 int F, int K, int D);
void ccx_nn_embed_matmul_backward(float *dW, float *dbias, const float *dX, const float *E,
                                  const uint16_t *hot, const uint16_t *hot_n, int R, int F, int K,
                                  int D);
/* live[R] = (features[r, CCX_NN_PADDING_FEATURE] == 0) (obs.live == NULL) */
void ccx_nn_live_from_features(uint8_t *live, const float *features, int R, int F);

/* Multi-head self-attention on qkv[B,N,3D] (q | k | v, each H heads of dh):
 * att[B,H,N,N] = masked softmax of q.k/sqrt(dh) + edge[0,h] A_ij + edge[1,h] A_ji
 * over keys j with live_j (a row with no live key is all 0);
 * out[B,N,D] = att @ v, heads side by side. edge is [2,H]. */
void ccx_nn_attention_forward(float *out, float *att, const float *qkv, const uint8_t *code,
                              const float *edge, int B, int N, int D, int H);
/* dqkv[B,N,3D] =; dedge[2,H] +=; datt [B,H,N,N] scratch */
void ccx_nn_attention_backward(float *dqkv, float *dedge, float *datt, const float *dout,
                               const float *qkv, const float *att, const uint8_t *code,
                               int B, int N, int D, int H);

/* pooled[B,D] = mean over live i of z[B,N,D] (0 if none live) */
void ccx_nn_pool_forward(float *pooled, const float *z, const uint8_t *live, int B, int N, int D);
/* dz[B,N,D] += live_i * dpooled / n_live */
void ccx_nn_pool_backward(float *dz, const float *dpooled, const uint8_t *live, int B, int N, int D);

/* logits[R] = z[R,D] . w + b[0] where legal, CCX_NN_MASKED_LOGIT elsewhere */
void ccx_nn_policy_forward(float *logits, const float *z, const float *w, const float *b,
                           const uint8_t *legal, int R, int D);
/* dz[R,D] = (legal dlogits) w^T; dw[D] +=; db[0] += (masked entries of
 * dlogits are ignored: they get zero gradient) */
void ccx_nn_policy_backward(float *dz, float *dw, float *db, const float *dlogits,
                            const float *z, const float *w, const uint8_t *legal, int R, int D);

/* ---------------------------------------------------------------- model */
/* A forward/backward runs on chunks of the batch, in parallel on OpenMP
 * threads: every env is independent in the network, so only the parameter
 * gradients meet, summed chunk by chunk in a fixed order. The number of
 * chunks depends on the batch only (min(B, CCX_NN_CPU_CHUNKS)), so the
 * floats do not depend on the thread count. */
#define CCX_NN_CPU_CHUNKS 8

typedef struct {
    int b0, batch;                 /* envs [b0, b0 + batch) of the last forward */
    float *act[CCX_NN_N_ACTS];     /* this chunk's activations (batch `batch`) */
    uint8_t *code, *live, *legal;  /* views of the whole batch's arrays at b0 */
    uint16_t *hot, *hot_n;
    float *grads;                  /* this chunk's parameter gradients, one backward */
} ccx_nn_cpu_chunk;

typedef struct {
    ccx_nn_config cfg;
    ccx_nn_layout lay;
    int max_batch;
    float *params, *grads, *m, *v; /* lay.n_params each */
    long step;                     /* AdamW steps taken (bias correction uses step) */
    float *acts;                   /* one buffer, split into the chunks' act[] */
    float *act[CCX_NN_N_ACTS];     /* only [LOGITS] [B, N] and [VALUE] [B]: the outputs */
    float *logits, *value;         /* the whole batch's outputs (what act[] points to) */
    ccx_nn_cpu_chunk chunk[CCX_NN_CPU_CHUNKS];
    int n_chunks;
    float *chunk_grads;            /* [min(max_batch, CHUNKS), n_params] */
    uint8_t *code;                 /* [B, N, N] edge codes of the last forward */
    uint8_t *live, *legal;         /* [B, N] copies from the last forward */
    uint16_t *hot, *hot_n;         /* [B, N, 3K], [B, N]: nonzero one-hot columns of E */
    int batch, n;                  /* B and N of the last forward (0: none yet) */
} ccx_nn_cpu;

/* Allocate for batches up to max_batch at N up to cfg->n_pad; parameters
 * initialised with ccx_nn_init_params(seed), moments and grads zero. */
int ccx_nn_cpu_init(ccx_nn_cpu *nn, const ccx_nn_config *cfg, int max_batch, uint64_t seed,
                    ccx_error *err);
void ccx_nn_cpu_free(ccx_nn_cpu *nn);
/* logits [B,N] and value [B] land in act[CCX_NN_A_LOGITS], act[CCX_NN_A_VALUE] */
int ccx_nn_cpu_forward(ccx_nn_cpu *nn, const ccx_nn_obs *obs, ccx_error *err);
void ccx_nn_cpu_zero_grad(ccx_nn_cpu *nn);
/* Accumulate into grads the gradient of sum(dlogits * logits) + sum(dvalue
 * * value) of the last forward (dlogits [B,N] may be NULL = 0, likewise
 * dvalue [B]). */
int ccx_nn_cpu_backward(ccx_nn_cpu *nn, const float *dlogits, const float *dvalue, ccx_error *err);

/* ---------------------------------------------------------------- AdamW */
/* Global L2 norm of n values, accumulated in double. */
double ccx_nn_grad_norm(const float *g, size_t n);
/* The clipping factor min(1, max_norm / (norm + 1e-6)); 1 if max_norm is 0. */
float ccx_nn_clip_scale(double norm, float max_norm);
/* One AdamW step (step t = 1, 2, ...), gradients first multiplied by
 * grad_scale:  g = s*grad; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 *   p -= lr * ( (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps) + wd_t * p )
 * with wd_t = weight_decay for the tensors ccx_nn_tensor_decays() names,
 * else 0. */
void ccx_nn_adamw_update(float *params, const float *grads, float *m, float *v,
                         const ccx_nn_layout *lay, const ccx_nn_adamw *hp, long t, float grad_scale);
/* Clip, then update, for the CPU model; increments nn->step. *norm_out
 * (may be NULL) gets the gradient norm before clipping. */
int ccx_nn_cpu_adamw_step(ccx_nn_cpu *nn, const ccx_nn_adamw *hp, float *norm_out, ccx_error *err);

#ifdef __cplusplus
}
#endif
#endif
