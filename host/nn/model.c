/* Network configuration, parameter and activation layout, initialisation,
 * FLOP count, AdamW hyperparameters (see model.h). */
#include "nn/model.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "env/env.h"
#include "graph/ops.h"
#include "util/rng.h"

_Static_assert(CCX_NN_PADDING_FEATURE == CCX_OBS_F_KIND + CCX_KIND_PADDING,
               "the network's padding feature is env.h's padding one-hot");

ccx_nn_config ccx_nn_config_default(void) {
    ccx_nn_config c;
    c.n_features = CCX_OBS_FEATURES;
    c.op_feature = CCX_OBS_F_OP;
    /* codes 0 (inputs, padding) and 1 + op for the ops before copy: a copy
     * vertex (always an output, never an action) gets the all-zero code, and
     * checkpoints made before copy existed keep their width */
    c.n_op_codes = 1 + CCX_OP_COPY;
    c.n_pad = 128;
    c.dim = 128;
    c.n_layers = 4;
    c.n_heads = 4;
    c.mlp_dim = 512;
    c.value_dim = 128;
    return c;
}

static int check_range(ccx_error *err, const char *name, long v, long lo, long hi) {
    if (v < lo || v > hi)
        return ccx_error_set(err, "network config: %s = %ld is out of range (%ld..%ld)", name, v, lo, hi);
    return 0;
}

int ccx_nn_config_validate(const ccx_nn_config *c, ccx_error *err) {
    if (!c) return ccx_error_set(err, "network config: missing");
    if (check_range(err, "n_features", c->n_features, 1, 1024) ||
        check_range(err, "n_pad", c->n_pad, 1, 4096) ||
        check_range(err, "dim", c->dim, 1, 8192) ||
        check_range(err, "n_layers", c->n_layers, 0, 128) ||
        check_range(err, "n_heads", c->n_heads, 1, 256) ||
        check_range(err, "mlp_dim", c->mlp_dim, 1, 65536) ||
        check_range(err, "value_dim", c->value_dim, 1, 65536))
        return -1;
    if (check_range(err, "op_feature", c->op_feature, -1, c->n_features - 1) ||
        check_range(err, "n_op_codes", c->n_op_codes, 0, 4096))
        return -1;
    if ((c->op_feature < 0) != (c->n_op_codes == 0))
        return ccx_error_set(err, "network config: n_op_codes = %d but op_feature = %d (n_op_codes "
                             "must be 0 exactly when op_feature is -1)", c->n_op_codes, c->op_feature);
    if (c->dim % c->n_heads != 0)
        return ccx_error_set(err, "network config: dim = %d is not a multiple of n_heads = %d",
                             c->dim, c->n_heads);
    return 0;
}

int ccx_nn_in_width(const ccx_nn_config *c) { return c->n_features + c->n_op_codes; }

static const char *const NAMES[CCX_NN_N_TENSORS] = {
    "emb.w",         "emb.b",         "layers.ln1.g",  "layers.ln1.b",  "layers.qkv.w",
    "layers.qkv.b",  "layers.edge",   "layers.attn.w", "layers.attn.b", "layers.ln2.g",
    "layers.ln2.b",  "layers.fc1.w",  "layers.fc1.b",  "layers.fc2.w",  "layers.fc2.b",
    "lnf.g",         "lnf.b",         "pol.w",         "pol.b",         "val1.w",
    "val1.b",        "val2.w",        "val2.b",
};

const char *ccx_nn_tensor_name(int t) {
    return (t >= 0 && t < CCX_NN_N_TENSORS) ? NAMES[t] : "?";
}

int ccx_nn_tensor_decays(int t) {
    return t == CCX_NN_EMB_W || t == CCX_NN_QKV_W || t == CCX_NN_ATTN_W || t == CCX_NN_FC1_W ||
           t == CCX_NN_FC2_W || t == CCX_NN_VAL1_W;
}

static void set_shape4(ccx_nn_layout *lay, int t, int ndim, size_t a, size_t b, size_t c,
                       size_t d) {
    lay->ndim[t] = ndim;
    lay->shape[t][0] = a;
    lay->shape[t][1] = b;
    lay->shape[t][2] = c;
    lay->shape[t][3] = d;
    size_t n = a;
    if (ndim > 1) n *= b;
    if (ndim > 2) n *= c;
    if (ndim > 3) n *= d;
    lay->size[t] = n;
}

static void set_shape(ccx_nn_layout *lay, int t, int ndim, size_t a, size_t b, size_t c) {
    set_shape4(lay, t, ndim, a, b, c, 0);
}

static void layout_init(ccx_nn_layout *lay, const ccx_nn_config *cfg, int edge_groups) {
    memset(lay, 0, sizeof *lay);
    size_t G = (size_t)ccx_nn_in_width(cfg), D = (size_t)cfg->dim, L = (size_t)cfg->n_layers;
    size_t H = (size_t)cfg->n_heads, M = (size_t)cfg->mlp_dim, V = (size_t)cfg->value_dim;
    set_shape(lay, CCX_NN_EMB_W, 2, 3 * G, D, 0);
    set_shape(lay, CCX_NN_EMB_B, 1, D, 0, 0);
    set_shape(lay, CCX_NN_LN1_G, 2, L, D, 0);
    set_shape(lay, CCX_NN_LN1_B, 2, L, D, 0);
    set_shape(lay, CCX_NN_QKV_W, 3, L, D, 3 * D);
    set_shape(lay, CCX_NN_QKV_B, 2, L, 3 * D, 0);
    if (edge_groups) set_shape4(lay, CCX_NN_EDGE, 4, L, 2, CCX_NN_EDGE_GROUPS, H);
    else set_shape(lay, CCX_NN_EDGE, 3, L, 2, H);
    set_shape(lay, CCX_NN_ATTN_W, 3, L, D, D);
    set_shape(lay, CCX_NN_ATTN_B, 2, L, D, 0);
    set_shape(lay, CCX_NN_LN2_G, 2, L, D, 0);
    set_shape(lay, CCX_NN_LN2_B, 2, L, D, 0);
    set_shape(lay, CCX_NN_FC1_W, 3, L, D, M);
    set_shape(lay, CCX_NN_FC1_B, 2, L, M, 0);
    set_shape(lay, CCX_NN_FC2_W, 3, L, M, D);
    set_shape(lay, CCX_NN_FC2_B, 2, L, D, 0);
    set_shape(lay, CCX_NN_LNF_G, 1, D, 0, 0);
    set_shape(lay, CCX_NN_LNF_B, 1, D, 0, 0);
    set_shape(lay, CCX_NN_POL_W, 1, D, 0, 0);
    set_shape(lay, CCX_NN_POL_B, 1, 1, 0, 0);
    set_shape(lay, CCX_NN_VAL1_W, 2, D, V, 0);
    set_shape(lay, CCX_NN_VAL1_B, 1, V, 0, 0);
    set_shape(lay, CCX_NN_VAL2_W, 1, V, 0, 0);
    set_shape(lay, CCX_NN_VAL2_B, 1, 1, 0, 0);
    size_t off = 0;
    for (int t = 0; t < CCX_NN_N_TENSORS; t++) {
        lay->offset[t] = off;
        off += lay->size[t];
    }
    lay->n_params = off;
}

void ccx_nn_layout_init(ccx_nn_layout *lay, const ccx_nn_config *cfg) { layout_init(lay, cfg, 1); }

void ccx_nn_layout_init_ungrouped_edges(ccx_nn_layout *lay, const ccx_nn_config *cfg) {
    layout_init(lay, cfg, 0);
}

/* Standard normal by Box-Muller from the project PRNG. */
static double normal(ccx_rng *r) {
    double u1 = ccx_rng_unit(r), u2 = ccx_rng_unit(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void ccx_nn_init_params(float *params, const ccx_nn_layout *lay, const ccx_nn_config *cfg,
                        uint64_t seed) {
    ccx_rng rng;
    ccx_rng_seed(&rng, seed ^ 0x6e6e2d696e6974ull);
    memset(params, 0, lay->n_params * sizeof(float));
    double G = ccx_nn_in_width(cfg), D = cfg->dim, M = cfg->mlp_dim;
    double resid = 1.0 / sqrt(2.0 * (cfg->n_layers > 0 ? cfg->n_layers : 1));
    for (int t = 0; t < CCX_NN_N_TENSORS; t++) {
        double std = 0;
        switch (t) {
        case CCX_NN_EMB_W: std = 1.0 / sqrt(3 * G); break;
        case CCX_NN_QKV_W: std = 1.0 / sqrt(D); break;
        case CCX_NN_ATTN_W: std = resid / sqrt(D); break;
        case CCX_NN_FC1_W: std = 1.0 / sqrt(D); break;
        case CCX_NN_FC2_W: std = resid / sqrt(M); break;
        case CCX_NN_VAL1_W: std = 1.0 / sqrt(D); break;
        case CCX_NN_POL_W: case CCX_NN_VAL2_W: std = 0.01; break;
        case CCX_NN_LN1_G: case CCX_NN_LN2_G: case CCX_NN_LNF_G: {
            float *p = params + lay->offset[t];
            for (size_t i = 0; i < lay->size[t]; i++) p[i] = 1.0f;
            continue;
        }
        default: continue; /* biases, edge biases: 0 */
        }
        float *p = params + lay->offset[t];
        for (size_t i = 0; i < lay->size[t]; i++) p[i] = (float)(std * normal(&rng));
    }
}

/* a*b with overflow check (returns 0 and sets *ovf on overflow). */
static size_t mul(size_t a, size_t b, int *ovf) {
    if (a && b > SIZE_MAX / a) {
        *ovf = 1;
        return 0;
    }
    return a * b;
}

size_t ccx_nn_act_sizes(const ccx_nn_config *cfg, int batch, int n, size_t s[CCX_NN_N_ACTS]) {
    int ovf = 0;
    size_t B = (size_t)batch, N = (size_t)n, G = (size_t)ccx_nn_in_width(cfg), D = (size_t)cfg->dim;
    size_t L = (size_t)cfg->n_layers, H = (size_t)cfg->n_heads, M = (size_t)cfg->mlp_dim;
    size_t V = (size_t)cfg->value_dim;
    size_t R = mul(B, N, &ovf);
    size_t RD = mul(R, D, &ovf), RM = mul(R, M, &ovf);
    size_t BHNN = mul(mul(mul(B, H, &ovf), N, &ovf), N, &ovf);
    s[CCX_NN_A_EMB] = mul(R, 3 * G, &ovf);
    s[CCX_NN_A_X] = mul(L + 1, RD, &ovf);
    s[CCX_NN_A_LN1] = mul(L, RD, &ovf);
    s[CCX_NN_A_LN1_MEAN] = mul(L, R, &ovf);
    s[CCX_NN_A_LN1_RSTD] = mul(L, R, &ovf);
    s[CCX_NN_A_QKV] = mul(L, mul(3, RD, &ovf), &ovf);
    s[CCX_NN_A_ATT] = mul(L, BHNN, &ovf);
    s[CCX_NN_A_ATTO] = mul(L, RD, &ovf);
    s[CCX_NN_A_XMID] = mul(L, RD, &ovf);
    s[CCX_NN_A_LN2] = mul(L, RD, &ovf);
    s[CCX_NN_A_LN2_MEAN] = mul(L, R, &ovf);
    s[CCX_NN_A_LN2_RSTD] = mul(L, R, &ovf);
    s[CCX_NN_A_FC1] = mul(L, RM, &ovf);
    s[CCX_NN_A_GELU] = mul(L, RM, &ovf);
    s[CCX_NN_A_LNF] = RD;
    s[CCX_NN_A_LNF_MEAN] = R;
    s[CCX_NN_A_LNF_RSTD] = R;
    s[CCX_NN_A_LOGITS] = R;
    s[CCX_NN_A_POOLED] = mul(B, D, &ovf);
    s[CCX_NN_A_VPRE] = mul(B, V, &ovf);
    s[CCX_NN_A_VACT] = mul(B, V, &ovf);
    s[CCX_NN_A_VALUE] = B;
    s[CCX_NN_A_TMP] = RD;
    s[CCX_NN_A_DX] = RD;
    s[CCX_NN_A_DLN] = RD;
    s[CCX_NN_A_DATTO] = RD;
    s[CCX_NN_A_DQKV] = mul(3, RD, &ovf);
    s[CCX_NN_A_DFC1] = RM;
    s[CCX_NN_A_DATT] = BHNN;
    s[CCX_NN_A_DLOGITS] = R;
    s[CCX_NN_A_DPOOLED] = mul(B, D, &ovf);
    s[CCX_NN_A_DVPRE] = mul(B, V, &ovf);
    s[CCX_NN_A_EDGE_PART] = mul(2 * CCX_NN_EDGE_GROUPS * H, R, &ovf);
    s[CCX_NN_A_ONES] = R > B ? R : B;
    size_t total = 0;
    for (int a = 0; a < CCX_NN_N_ACTS; a++) {
        if (total + s[a] < total) ovf = 1;
        total += s[a];
    }
    return ovf ? 0 : total;
}

size_t ccx_nn_activation_bytes(const ccx_nn_config *cfg, int batch) {
    size_t s[CCX_NN_N_ACTS];
    size_t floats = ccx_nn_act_sizes(cfg, batch, cfg->n_pad, s);
    if (!floats || floats > SIZE_MAX / 8) return 0;
    size_t B = (size_t)batch, N = (size_t)cfg->n_pad;
    size_t bytes = B * N * N + 2 * B * N;
    if (bytes / N / N < B) return 0;
    return floats * sizeof(float) + bytes;
}

void ccx_nn_flops(const ccx_nn_config *cfg, int n, double *fwd, double *fwd_bwd) {
    double N = n, G = ccx_nn_in_width(cfg), D = cfg->dim, L = cfg->n_layers, M = cfg->mlp_dim;
    double V = cfg->value_dim;
    double emb = 2 * N * 3 * G * D;
    double layer = 2 * N * D * 3 * D + 2 * N * N * D + 2 * N * N * D + 2 * N * D * D +
                   2 * N * D * M + 2 * N * M * D;
    double heads = 2 * N * D + 2 * D * V + 2 * V;
    double f = emb + L * layer + heads;
    if (fwd) *fwd = f;
    if (fwd_bwd) *fwd_bwd = 3 * f - emb;
}

ccx_nn_adamw ccx_nn_adamw_default(void) {
    ccx_nn_adamw a = {3e-4f, 0.9f, 0.999f, 1e-8f, 0.01f, 1.0f};
    return a;
}

int ccx_nn_adamw_validate(const ccx_nn_adamw *a, ccx_error *err) {
    if (!(isfinite(a->lr) && a->lr > 0)) return ccx_error_set(err, "adamw: lr = %g must be > 0", a->lr);
    if (!(a->beta1 >= 0 && a->beta1 < 1))
        return ccx_error_set(err, "adamw: beta1 = %g must be in [0, 1)", a->beta1);
    if (!(a->beta2 >= 0 && a->beta2 < 1))
        return ccx_error_set(err, "adamw: beta2 = %g must be in [0, 1)", a->beta2);
    if (!(isfinite(a->eps) && a->eps > 0)) return ccx_error_set(err, "adamw: eps = %g must be > 0", a->eps);
    if (!(isfinite(a->weight_decay) && a->weight_decay >= 0))
        return ccx_error_set(err, "adamw: weight_decay = %g must be >= 0", a->weight_decay);
    if (!(isfinite(a->max_grad_norm) && a->max_grad_norm >= 0))
        return ccx_error_set(err, "adamw: max_grad_norm = %g must be >= 0", a->max_grad_norm);
    return 0;
}
