/* The policy/value network: configuration, input contract, parameter layout.
 *
 * Shared by both backends (host/nn/nn_cpu.c with OpenBLAS, cuda/nn_cuda.cu
 * with cuBLAS) and by checkpoints; nothing here allocates device memory.
 *
 * ------------------------------------------------------------- the model --
 * A transformer over the vertices of the current elimination graph, one
 * token per vertex slot (N = n_pad slots per graph, B graphs per batch):
 *
 *   g_i   = [ f_i , onehot_K(f_i[op_feature]) ]                       [G = F+K]
 *   E_i   = [ g_i , mean_{j in P(i)} g_j , mean_{j in S(i)} g_j ]     [3G]
 *   x_i   = E_i @ emb.w + emb.b                                       [D]
 *   L times (pre-LayerNorm encoder layer l):
 *     a    = LN(x; ln1)                  qkv = a @ qkv.w + qkv.b        [3D]
 *     per head h (dh = D/H), query i, key j:
 *       s_ij = q_i.k_j / sqrt(dh) + edge[0,t(i,j),h] [A_ij] + edge[1,t(j,i),h] [A_ji]
 *       (t(i,j) = A_ij - 1: the edge's type group, one bias per group)
 *       p_ij = softmax_j over live keys j (non-live keys get p = 0)
 *       o_i  = sum_j p_ij v_j
 *     x    = x + o @ attn.w + attn.b
 *     x    = x + GELU(LN(x; ln2) @ fc1.w + fc1.b) @ fc2.w + fc2.b
 *   z_i   = LN(x_i; lnf)
 *   logit_i = z_i . pol.w + pol.b     (CCX_NN_MASKED_LOGIT where !legal_i)
 *   value   = GELU(mean_{i live} z_i @ val1.w + val1.b) . val2.w + val2.b
 *
 * P(i) = { j live : A_ji = 1 } (predecessors: adjacency column i), S(i) =
 * { j live : A_ij = 1 } (successors: adjacency row i); a mean over an empty
 * set is 0 (the degrees themselves are among the features). The op code
 * feature (an exact small integer) is also expanded one-hot to K columns
 * (K = n_op_codes; a code outside 0..K-1 gives all zeros; op_feature = -1,
 * K = 0: no expansion), which makes emb.w an embedding table for it. GELU
 * is the tanh approximation. LayerNorm eps = 1e-5.
 *
 * Why this embedding (and not Linear over the raw adjacency row and
 * column): a Linear over row i gives each column position its own weight,
 * so renumbering the vertices would change the token. Here the adjacency
 * enters only through neighbour sets (mean of predecessor / successor
 * features in the token) and as a learned per-head attention bias for the
 * edges i->j and j->i in every layer, one per type group of the edge (a
 * tensor graph's dense, sparse-but-costly and structure-only edges cost
 * very differently to eliminate). Every operation is then
 * permutation-equivariant: renumbering the vertices (features, live and
 * legal masks, adjacency rows AND columns) permutes the logits the same way
 * and leaves the value unchanged (tested). A side effect: no weight depends
 * on N, so one set of weights serves every n_pad.
 *
 * ------------------------------------------------------ input contract --
 * Exactly the observation of host/env/env.h (ccx_env_observe and
 * ccx_env_legal_mask write these arrays): B graphs, each padded to n_pad
 * node slots (rows are node ids):
 *   features [B, n_pad, F] float   F = CCX_OBS_FEATURES (18): kind one-hot
 *                                  (index 0 = padding), degrees, Markowitz
 *                                  degree, vertex number / n, op code (index 9),
 *                                  log cost now, log shape, edges by type group
 *   adj      [B, n_pad, n_pad] u8  adj[b,i,j] = 0 without edge i -> j, else 1 +
 *                                  its type group (0..CCX_NN_EDGE_GROUPS-1;
 *                                  larger values count as the last; scalar
 *                                  graphs: 1)
 *   legal    [B, n_pad] u8         1 where eliminating node i is legal
 *   live     [B, n_pad] u8 or NULL 1 for real nodes, 0 for padding slots;
 *                                  NULL: live_i = (features[b,i,0] == 0),
 *                                  i.e. not of kind padding (env.h)
 * Pointers live in the backend's memory (host for cpu, device for cuda);
 * the host-pointer entry points of nn.h copy from host memory. A graph
 * with no live vertex is allowed: its pool is 0 and every logit masked.
 * The network itself only assumes F, op_feature and K from the config, so
 * other feature layouts work with another config.
 *
 * ------------------------------------------------------ parameter layout --
 * One contiguous float buffer holds every parameter (likewise gradients and
 * the AdamW moments m, v): tensor t starts at offset[t] and has the shape
 * below (row-major; per-layer tensors are stacked with a leading L). A
 * weight w of a linear layer is [in, out]: y = x @ w + b. */
#ifndef CCX_NN_MODEL_H
#define CCX_NN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/hd.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The feature that marks padding (live_i = features[i][this] == 0) when
 * ccx_nn_obs.live is NULL: env.h's kind one-hot, index 0 = padding. */
#define CCX_NN_PADDING_FEATURE 0
/* The value of a logit whose action is illegal (or a padding slot): finite,
 * so code computing p*log(p) or max() stays NaN-free, and exp(it - max)
 * underflows to exactly 0 whenever one action is legal. */
#define CCX_NN_MASKED_LOGIT (-1.0e30f)
#define CCX_NN_LN_EPS 1e-5f

/* Type groups of an edge in the attention bias: game/records.h's
 * CCX_REC_GROUPS (dense, sparse but costly, pure structure; scalar graph
 * edges are all dense). Checkpoints from before the groups (CCX_NN_EDGE
 * [L, 2, H]) load with their one bias copied to every group. */
#define CCX_NN_EDGE_GROUPS 3

/* The edge code byte of a (query i, key j) pair, computed from adj and live
 * by both backends: bit 0 edge i -> j, bit 1 edge j -> i, bit 2 j live,
 * bits 3-4 the group of i -> j, bits 5-6 the group of j -> i. */
#define CCX_NN_CODE_OUT_GROUP_SHIFT 3
#define CCX_NN_CODE_IN_GROUP_SHIFT 5
/* The code of pair (i, j) from adj[i][j] (out), adj[j][i] (in) and live_j:
 * an adjacency value v > 0 is 1 + the edge's group, past the last group
 * counting as the last. */
CCX_HD unsigned ccx_nn_edge_group(unsigned v) {
    return v > CCX_NN_EDGE_GROUPS ? CCX_NN_EDGE_GROUPS - 1 : v - 1;
}
CCX_HD uint8_t ccx_nn_edge_code(unsigned out, unsigned in, unsigned live) {
    return (uint8_t)((out != 0) | (in != 0) << 1 | (live != 0) << 2 |
                     (out ? ccx_nn_edge_group(out) : 0) << CCX_NN_CODE_OUT_GROUP_SHIFT |
                     (in ? ccx_nn_edge_group(in) : 0) << CCX_NN_CODE_IN_GROUP_SHIFT);
}
CCX_HD unsigned ccx_nn_code_out_group(unsigned code) {
    return code >> CCX_NN_CODE_OUT_GROUP_SHIFT & 3u;
}
CCX_HD unsigned ccx_nn_code_in_group(unsigned code) {
    return code >> CCX_NN_CODE_IN_GROUP_SHIFT & 3u;
}
/* The attention bias of a pair: edge points at the layer's [2, T, H] biases
 * plus the head (consecutive groups H apart). */
CCX_HD float ccx_nn_edge_bias(unsigned code, const float *edge, int H) {
    float v = 0.0f;
    if (code & 1u) v += edge[(size_t)ccx_nn_code_out_group(code) * H];
    if (code & 2u) v += edge[(size_t)(CCX_NN_EDGE_GROUPS + ccx_nn_code_in_group(code)) * H];
    return v;
}

typedef struct {
    int n_features; /* F: per-vertex feature width, 1..1024 */
    int op_feature; /* index of the op-code feature expanded one-hot, -1..F-1 (-1: none) */
    int n_op_codes; /* K: width of that one-hot, 0..4096 (0 iff op_feature = -1) */
    int n_pad;      /* N: vertex slots per graph, 1..4096 (the largest N a forward accepts) */
    int dim;        /* D: token width, 1..8192, a multiple of n_heads */
    int n_layers;   /* L: encoder layers, 0..128 */
    int n_heads;    /* H: attention heads, 1..256 */
    int mlp_dim;    /* M: hidden width of each layer's GELU MLP, 1..65536 */
    int value_dim;  /* V: hidden width of the value head's MLP, 1..65536 */
} ccx_nn_config;

/* One observation batch: see "input contract" above. */
typedef struct {
    int batch; /* B */
    int n_pad; /* N of this batch: 1..config.n_pad */
    const float *features; /* [B, N, F] */
    const uint8_t *adj;    /* [B, N, N] */
    const uint8_t *live;   /* [B, N] or NULL (derived from the features) */
    const uint8_t *legal;  /* [B, N] */
} ccx_nn_obs;

/* The parameter tensors, in buffer order. */
enum {
    CCX_NN_EMB_W,  /* [3G, D]  G = F + K */
    CCX_NN_EMB_B,  /* [D] */
    CCX_NN_LN1_G,  /* [L, D] */
    CCX_NN_LN1_B,  /* [L, D] */
    CCX_NN_QKV_W,  /* [L, D, 3D]  columns: q (H heads of dh), k, v */
    CCX_NN_QKV_B,  /* [L, 3D] */
    CCX_NN_EDGE,   /* [L, 2, T, H] attention bias for edge i->j, j->i of type group t */
    CCX_NN_ATTN_W, /* [L, D, D] */
    CCX_NN_ATTN_B, /* [L, D] */
    CCX_NN_LN2_G,  /* [L, D] */
    CCX_NN_LN2_B,  /* [L, D] */
    CCX_NN_FC1_W,  /* [L, D, M] */
    CCX_NN_FC1_B,  /* [L, M] */
    CCX_NN_FC2_W,  /* [L, M, D] */
    CCX_NN_FC2_B,  /* [L, D] */
    CCX_NN_LNF_G,  /* [D] */
    CCX_NN_LNF_B,  /* [D] */
    CCX_NN_POL_W,  /* [D] */
    CCX_NN_POL_B,  /* [1] */
    CCX_NN_VAL1_W, /* [D, V] */
    CCX_NN_VAL1_B, /* [V] */
    CCX_NN_VAL2_W, /* [V] */
    CCX_NN_VAL2_B, /* [1] */
    CCX_NN_N_TENSORS
};

typedef struct {
    size_t offset[CCX_NN_N_TENSORS]; /* in floats */
    size_t size[CCX_NN_N_TENSORS];   /* in floats */
    int ndim[CCX_NN_N_TENSORS];
    size_t shape[CCX_NN_N_TENSORS][4];
    size_t n_params;
} ccx_nn_layout;

/* A sensible default (the benchmark model) for env.h observations:
 * F = CCX_OBS_FEATURES, op_feature 9, K = 1 + CCX_OP_COUNT, n_pad 128,
 * D 128, L 4, H 4, M 512, V 128. */
ccx_nn_config ccx_nn_config_default(void);
/* G = F + K: width of one vertex's input row g_i. */
int ccx_nn_in_width(const ccx_nn_config *cfg);
/* 0 if every field is in range; otherwise -1 and err names the field. */
int ccx_nn_config_validate(const ccx_nn_config *cfg, ccx_error *err);
/* Fill the layout of a valid config. */
void ccx_nn_layout_init(ccx_nn_layout *lay, const ccx_nn_config *cfg);
/* The layout of checkpoints written before the edge type groups (edge
 * [L, 2, H]); only the checkpoint reader needs it. */
void ccx_nn_layout_init_ungrouped_edges(ccx_nn_layout *lay, const ccx_nn_config *cfg);
/* Tensor names as in checkpoints ("emb.w", "layers.qkv.w", ...). */
const char *ccx_nn_tensor_name(int t);
/* 1 if AdamW applies weight decay to tensor t (the matrices of linear
 * layers; not biases, LayerNorm gains, edge biases or head vectors). */
int ccx_nn_tensor_decays(int t);
/* Initial parameters, deterministic in seed: linear weights ~ N(0, 1/fan_in)
 * (residual projections attn.w and fc2.w scaled by 1/sqrt(2L); pol.w and
 * val2.w ~ N(0, 0.01^2) so the first policy is near uniform), LayerNorm
 * gains 1, everything else 0. params has lay->n_params floats. */
void ccx_nn_init_params(float *params, const ccx_nn_layout *lay, const ccx_nn_config *cfg,
                        uint64_t seed);

/* ------------------------------------------------- activation layout --
 * Both backends preallocate one float buffer for the largest batch B at
 * N = cfg->n_pad, split into these arrays (R = B*N rows; per-layer arrays
 * stacked with a leading L), plus byte arrays for the edge codes
 * [B, N, N] (bit 0: A_ij, bit 1: A_ji, bit 2: key j live) and copies of
 * the live and legal masks [B, N]. A forward at a smaller B or N uses the
 * front of each array with the actual B, N strides. */
enum {
    CCX_NN_A_EMB,     /* [B, N, 3G]    embedding input E */
    CCX_NN_A_X,       /* [L+1, B, N, D] residual stream entering layer l (x[L]: final) */
    CCX_NN_A_LN1,     /* [L, B, N, D] */
    CCX_NN_A_LN1_MEAN,/* [L, B, N] */
    CCX_NN_A_LN1_RSTD,/* [L, B, N] */
    CCX_NN_A_QKV,     /* [L, B, N, 3D] */
    CCX_NN_A_ATT,     /* [L, B, H, N, N] attention probabilities */
    CCX_NN_A_ATTO,    /* [L, B, N, D]  attention output before the projection */
    CCX_NN_A_XMID,    /* [L, B, N, D]  residual after attention */
    CCX_NN_A_LN2,     /* [L, B, N, D] */
    CCX_NN_A_LN2_MEAN,/* [L, B, N] */
    CCX_NN_A_LN2_RSTD,/* [L, B, N] */
    CCX_NN_A_FC1,     /* [L, B, N, M]  pre-activation */
    CCX_NN_A_GELU,    /* [L, B, N, M] */
    CCX_NN_A_LNF,     /* [B, N, D]  z */
    CCX_NN_A_LNF_MEAN,/* [B, N] */
    CCX_NN_A_LNF_RSTD,/* [B, N] */
    CCX_NN_A_LOGITS,  /* [B, N] */
    CCX_NN_A_POOLED,  /* [B, D] */
    CCX_NN_A_VPRE,    /* [B, V] */
    CCX_NN_A_VACT,    /* [B, V] */
    CCX_NN_A_VALUE,   /* [B] */
    /* scratch, reused by every layer */
    CCX_NN_A_TMP,     /* [B, N, D]  projection output before the residual add */
    CCX_NN_A_DX,      /* [B, N, D]  gradient of the residual stream */
    CCX_NN_A_DLN,     /* [B, N, D]  gradient of a LayerNorm output */
    CCX_NN_A_DATTO,   /* [B, N, D] */
    CCX_NN_A_DQKV,    /* [B, N, 3D] */
    CCX_NN_A_DFC1,    /* [B, N, M] */
    CCX_NN_A_DATT,    /* [B, H, N, N] */
    CCX_NN_A_DLOGITS, /* [B, N] */
    CCX_NN_A_DPOOLED, /* [B, D] */
    CCX_NN_A_DVPRE,   /* [B, V] */
    CCX_NN_A_EDGE_PART, /* [2, T, H, B, N] per-row partial sums of the edge-bias gradient */
    CCX_NN_A_ONES,    /* [max(B N, B)] ones, for column sums as matrix-vector products */
    CCX_NN_N_ACTS
};
/* Layer l's slices of the per-layer activation arrays above, for a forward
 * or backward at batch B and N = n: the one map both backends use. */
typedef struct {
    float *x, *xnext, *ln1, *m1, *r1, *qkv, *att, *atto, *xmid, *ln2, *m2, *r2, *fc1, *gel;
} ccx_nn_layer_acts;

static inline ccx_nn_layer_acts ccx_nn_layer_acts_of(float *const *A, int l, int B, int n, int D,
                                                     int M, int H) {
    size_t R = (size_t)B * n, RD = R * D, RM = R * M, BHNN = (size_t)B * H * n * n, L = (size_t)l;
    ccx_nn_layer_acts a;
    a.x = A[CCX_NN_A_X] + L * RD;
    a.xnext = a.x + RD;
    a.ln1 = A[CCX_NN_A_LN1] + L * RD;
    a.m1 = A[CCX_NN_A_LN1_MEAN] + L * R;
    a.r1 = A[CCX_NN_A_LN1_RSTD] + L * R;
    a.qkv = A[CCX_NN_A_QKV] + L * 3 * RD;
    a.att = A[CCX_NN_A_ATT] + L * BHNN;
    a.atto = A[CCX_NN_A_ATTO] + L * RD;
    a.xmid = A[CCX_NN_A_XMID] + L * RD;
    a.ln2 = A[CCX_NN_A_LN2] + L * RD;
    a.m2 = A[CCX_NN_A_LN2_MEAN] + L * R;
    a.r2 = A[CCX_NN_A_LN2_RSTD] + L * R;
    a.fc1 = A[CCX_NN_A_FC1] + L * RM;
    a.gel = A[CCX_NN_A_GELU] + L * RM;
    return a;
}

/* Sizes in floats of every activation array for batch B at N = n. Returns
 * the total, or 0 if it does not fit in size_t. */
size_t ccx_nn_act_sizes(const ccx_nn_config *cfg, int batch, int n, size_t size[CCX_NN_N_ACTS]);
/* Whole preallocation in bytes (floats + byte arrays) for batch B at
 * cfg->n_pad; 0 on overflow. */
size_t ccx_nn_activation_bytes(const ccx_nn_config *cfg, int batch);

/* Floating-point operations per sample, counted analytically as 2 per
 * multiply-add of the matrix products only (elementwise work, softmax,
 * LayerNorm and the neighbour means are not counted), at N vertex slots
 * (padding slots cost the same as live ones):
 *   fwd = 2N(3G)D                                     embedding
 *       + L [ 2N D 3D + 2N^2 D + 2N^2 D + 2N D D      qkv, q.k, p.v, proj
 *             + 2N D M + 2N M D ]                     MLP
 *       + 2N D + 2D V + 2V                            policy and value heads
 *   fwd+bwd = 3 fwd - 2N(3G)D  (every product has two backward products, of
 *             the same size, except the embedding, whose input needs no grad)
 */
void ccx_nn_flops(const ccx_nn_config *cfg, int n, double *fwd, double *fwd_bwd);

/* ------------------------------------------------------------ AdamW -- */
typedef struct {
    float lr;           /* learning rate */
    float beta1, beta2; /* moment decay, e.g. 0.9, 0.999 */
    float eps;          /* e.g. 1e-8 */
    float weight_decay; /* decoupled, applied to the tensors ccx_nn_tensor_decays() names */
    float max_grad_norm; /* clip the global L2 norm of all gradients to this; 0 = no clipping */
} ccx_nn_adamw;

ccx_nn_adamw ccx_nn_adamw_default(void); /* lr 3e-4, 0.9, 0.999, 1e-8, wd 0.01, clip 1.0 */
/* 0, or -1 with err naming the bad field (lr > 0, betas in [0,1), eps > 0,
 * weight_decay >= 0, max_grad_norm >= 0, all finite). */
int ccx_nn_adamw_validate(const ccx_nn_adamw *hp, ccx_error *err);

#ifdef __cplusplus
}
#endif
#endif
