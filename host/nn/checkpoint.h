/* Network checkpoints as safetensors files.
 *
 * Layout (readable as is by Python's safetensors library):
 *   8 bytes      little-endian u64: length of the JSON header
 *   header       JSON object, padded with spaces to a multiple of 8 bytes:
 *                  "__metadata__": {string: string}
 *                  "<tensor>": {"dtype": "F32", "shape": [...], "data_offsets": [a, b]}
 *   data         raw little-endian float32 tensors
 * Tensors: every parameter tensor under its name (model.h: "emb.w",
 * "layers.qkv.w", ...), then the AdamW moments as "adam_m.<name>" and
 * "adam_v.<name>", in that order.
 * __metadata__: "format" = "ccx-nn-1"; the config ("n_features",
 * "op_feature", "n_op_codes", "n_pad", "dim", "n_layers", "n_heads",
 * "mlp_dim", "value_dim", decimal strings); "step" (AdamW
 * steps taken); any extra entries the caller adds (run config, RNG state);
 * "ccx_sha256" = SHA-256 of a canonical text of the header (each tensor's
 * name, dtype and shape in the order above; each other metadata entry as
 * key=value, sorted by key) followed by the tensor data in the order above.
 * So any change to a tensor, a shape, a name or a metadata value is
 * detected, while a file re-saved by another safetensors writer (different
 * JSON spacing or tensor order) still verifies.
 *
 * Files are written atomically (util/file.h). Loading checks, in order:
 * sizes (truncation), the JSON, the format, the config (and that it is the
 * expected one), every tensor's name, dtype, shape and extent, then the
 * checksum; each refusal says what is wrong. */
#ifndef CCX_NN_CHECKPOINT_H
#define CCX_NN_CHECKPOINT_H

#include <stddef.h>

#include "nn/model.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CCX_NN_CHECKPOINT_FORMAT "ccx-nn-1"

typedef struct {
    ccx_nn_config cfg;
    long step;
    float *params, *m, *v; /* ccx_nn_layout.n_params floats each */
    int n_meta;            /* extra metadata entries (not the reserved keys) */
    char **meta_keys, **meta_vals;
} ccx_nn_checkpoint;

/* Serialize into a malloc'd buffer (*out, *out_len). extra metadata: n_extra
 * key/value pairs (may be 0; reserved keys are refused). */
int ccx_nn_checkpoint_serialize(const ccx_nn_config *cfg, long step, const float *params,
                                const float *m, const float *v, int n_extra,
                                const char *const *keys, const char *const *vals,
                                unsigned char **out, size_t *out_len, ccx_error *err);
/* For tests: a checkpoint as written before the edge type groups (edge
 * [L, 2, H]; params in that layout, ccx_nn_layout_init_ungrouped_edges),
 * step 0, zero moments. */
int ccx_nn_checkpoint_serialize_ungrouped_edges(const ccx_nn_config *cfg, const float *params,
                                                unsigned char **out, size_t *out_len,
                                                ccx_error *err);
/* Serialize and write atomically to path. */
int ccx_nn_checkpoint_save(const char *path, const ccx_nn_config *cfg, long step,
                           const float *params, const float *m, const float *v, int n_extra,
                           const char *const *keys, const char *const *vals, ccx_error *err);
/* Parse a whole file image. expect (may be NULL) is the config the caller's
 * network has: the weight-shaping fields must match it (n_pad may differ:
 * no weight depends on it). On success fills *ck (free with
 * ccx_nn_checkpoint_free). name is used in messages (may be NULL). */
int ccx_nn_checkpoint_parse(const unsigned char *buf, size_t len, const char *name,
                            const ccx_nn_config *expect, ccx_nn_checkpoint *ck, ccx_error *err);
int ccx_nn_checkpoint_load(const char *path, const ccx_nn_config *expect, ccx_nn_checkpoint *ck,
                           ccx_error *err);
void ccx_nn_checkpoint_free(ccx_nn_checkpoint *ck);
/* The value of an extra metadata key, or NULL. */
const char *ccx_nn_checkpoint_meta(const ccx_nn_checkpoint *ck, const char *key);

#ifdef __cplusplus
}
#endif
#endif
