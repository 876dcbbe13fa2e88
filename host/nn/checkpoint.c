/* safetensors checkpoints of the network (format: checkpoint.h). */
#include "nn/checkpoint.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"
#include "util/sha256.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "checkpoints store little-endian floats; this host is big-endian"
#endif

#define MAX_HEADER (100u << 20) /* as the safetensors library */
#define N_SETS 3                 /* params, adam_m, adam_v */

static const char *const SET_PREFIX[N_SETS] = {"", "adam_m.", "adam_v."};

/* The config fields stored in __metadata__, in this order. */
static const char *const CFG_KEYS[] = {"n_features", "op_feature", "n_op_codes", "n_pad",
                                       "dim",        "n_layers",   "n_heads",    "mlp_dim",
                                       "value_dim"};
#define N_CFG_KEYS 9
#define CFG_N_PAD 3 /* index of n_pad: no weight depends on it */

static int *cfg_field(ccx_nn_config *c, int k) {
    int *f[N_CFG_KEYS] = {&c->n_features, &c->op_feature, &c->n_op_codes,
                          &c->n_pad,      &c->dim,        &c->n_layers,
                          &c->n_heads,    &c->mlp_dim,    &c->value_dim};
    return f[k];
}

static int is_reserved(const char *key) {
    if (!strcmp(key, "format") || !strcmp(key, "step") || !strcmp(key, "ccx_sha256")) return 1;
    for (int k = 0; k < N_CFG_KEYS; k++)
        if (!strcmp(key, CFG_KEYS[k])) return 1;
    return 0;
}

static void tensor_name(char *buf, size_t size, int set, int t) {
    snprintf(buf, size, "%s%s", SET_PREFIX[set], ccx_nn_tensor_name(t));
}

static void shape_text(char *buf, size_t size, const ccx_nn_layout *lay, int t) {
    size_t n = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < lay->ndim[t] && n < size; d++)
        n += (size_t)snprintf(buf + n, size - n, "%s%zu", d ? ", " : "", lay->shape[t][d]);
    if (n < size) snprintf(buf + n, size - n, "]");
}

/* ------------------------------------------------------------- checksum -- */
typedef struct {
    const char *key, *val;
} kv;

static int kv_cmp(const void *a, const void *b) {
    return strcmp(((const kv *)a)->key, ((const kv *)b)->key);
}

/* SHA-256 of the canonical header text and the data in canonical order.
 * meta: every metadata entry except ccx_sha256 (sorted here in place).
 * data[set] + offset[t] gives each tensor's floats. */
static void checksum(char hex[65], const ccx_nn_layout *lay, kv *meta, int n_meta,
                     const float *const data[N_SETS]) {
    ccx_sha256 s;
    ccx_sha256_init(&s);
    char line[512], shape[128];
    for (int set = 0; set < N_SETS; set++)
        for (int t = 0; t < CCX_NN_N_TENSORS; t++) {
            char name[96];
            tensor_name(name, sizeof name, set, t);
            shape_text(shape, sizeof shape, lay, t);
            int n = snprintf(line, sizeof line, "%s\tF32\t%s\n", name, shape);
            ccx_sha256_update(&s, line, (size_t)n);
        }
    qsort(meta, (size_t)n_meta, sizeof *meta, kv_cmp);
    for (int i = 0; i < n_meta; i++) {
        ccx_sha256_update(&s, meta[i].key, strlen(meta[i].key));
        ccx_sha256_update(&s, "=", 1);
        ccx_sha256_update(&s, meta[i].val, strlen(meta[i].val));
        ccx_sha256_update(&s, "\n", 1);
    }
    for (int set = 0; set < N_SETS; set++)
        for (int t = 0; t < CCX_NN_N_TENSORS; t++)
            ccx_sha256_update(&s, data[set] + lay->offset[t], lay->size[t] * sizeof(float));
    uint8_t d[32];
    ccx_sha256_final(&s, d);
    ccx_sha256_hex(d, hex);
}

/* ---------------------------------------------------------------- write -- */
static int serialize(const ccx_nn_config *cfg, int ungrouped_edges, long step,
                     const float *params, const float *m, const float *v, int n_extra,
                     const char *const *keys, const char *const *vals, unsigned char **out,
                     size_t *out_len, ccx_error *err) {
    *out = NULL;
    *out_len = 0;
    if (ccx_nn_config_validate(cfg, err)) return -1;
    if (step < 0) return ccx_error_set(err, "checkpoint: step = %ld must be >= 0", step);
    if (n_extra < 0 || (n_extra > 0 && (!keys || !vals)))
        return ccx_error_set(err, "checkpoint: bad extra metadata");
    for (int i = 0; i < n_extra; i++) {
        if (!keys[i] || !vals[i] || !keys[i][0])
            return ccx_error_set(err, "checkpoint: extra metadata entry %d is empty", i);
        if (is_reserved(keys[i]))
            return ccx_error_set(err, "checkpoint: metadata key '%s' is reserved", keys[i]);
        for (int j = 0; j < i; j++)
            if (!strcmp(keys[i], keys[j]))
                return ccx_error_set(err, "checkpoint: metadata key '%s' given twice", keys[i]);
    }
    ccx_nn_layout lay;
    if (ungrouped_edges) ccx_nn_layout_init_ungrouped_edges(&lay, cfg);
    else ccx_nn_layout_init(&lay, cfg);
    const float *data[N_SETS] = {params, m, v};

    /* metadata entries (strings) */
    char cfg_vals[N_CFG_KEYS][24], step_val[24];
    int n_meta = N_CFG_KEYS + 2 + n_extra;
    kv *meta = malloc((size_t)n_meta * sizeof *meta);
    cJSON *root = cJSON_CreateObject();
    if (!meta || !root) {
        free(meta);
        cJSON_Delete(root);
        return ccx_error_set(err, "checkpoint: out of memory");
    }
    ccx_nn_config c = *cfg;
    int k = 0;
    meta[k++] = (kv){"format", CCX_NN_CHECKPOINT_FORMAT};
    for (int i = 0; i < N_CFG_KEYS; i++) {
        snprintf(cfg_vals[i], sizeof cfg_vals[i], "%d", *cfg_field(&c, i));
        meta[k++] = (kv){CFG_KEYS[i], cfg_vals[i]};
    }
    snprintf(step_val, sizeof step_val, "%ld", step);
    meta[k++] = (kv){"step", step_val};
    for (int i = 0; i < n_extra; i++) meta[k++] = (kv){keys[i], vals[i]};
    char hex[65];
    checksum(hex, &lay, meta, n_meta, data);

    int ok = 1;
    cJSON *md = cJSON_AddObjectToObject(root, "__metadata__");
    ok = ok && md;
    for (int i = 0; ok && i < n_meta; i++) ok = cJSON_AddStringToObject(md, meta[i].key, meta[i].val) != NULL;
    ok = ok && cJSON_AddStringToObject(md, "ccx_sha256", hex);
    size_t off = 0;
    for (int set = 0; ok && set < N_SETS; set++)
        for (int t = 0; ok && t < CCX_NN_N_TENSORS; t++) {
            char name[96];
            tensor_name(name, sizeof name, set, t);
            cJSON *e = cJSON_AddObjectToObject(root, name);
            cJSON *shape = e ? cJSON_AddArrayToObject(e, "shape") : NULL;
            cJSON *offs = shape ? cJSON_AddArrayToObject(e, "data_offsets") : NULL;
            ok = offs && cJSON_AddStringToObject(e, "dtype", "F32");
            for (int d = 0; ok && d < lay.ndim[t]; d++)
                ok = cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)lay.shape[t][d]));
            size_t bytes = lay.size[t] * sizeof(float);
            ok = ok && cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off)) &&
                 cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)(off + bytes)));
            off += bytes;
        }
    free(meta);
    char *json = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!json) return ccx_error_set(err, "checkpoint: out of memory building the header");
    size_t hlen = strlen(json), hpad = (hlen + 7) & ~(size_t)7;
    size_t total = 8 + hpad + off;
    unsigned char *buf = malloc(total);
    if (!buf) {
        free(json);
        return ccx_error_set(err, "checkpoint: out of memory (%zu bytes)", total);
    }
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)hpad >> (8 * i));
    memcpy(buf + 8, json, hlen);
    memset(buf + 8 + hlen, ' ', hpad - hlen);
    free(json);
    unsigned char *p = buf + 8 + hpad;
    for (int set = 0; set < N_SETS; set++)
        for (int t = 0; t < CCX_NN_N_TENSORS; t++) {
            size_t bytes = lay.size[t] * sizeof(float);
            if (bytes) memcpy(p, data[set] + lay.offset[t], bytes);
            p += bytes;
        }
    *out = buf;
    *out_len = total;
    return 0;
}

int ccx_nn_checkpoint_serialize(const ccx_nn_config *cfg, long step, const float *params,
                                const float *m, const float *v, int n_extra,
                                const char *const *keys, const char *const *vals,
                                unsigned char **out, size_t *out_len, ccx_error *err) {
    return serialize(cfg, 0, step, params, m, v, n_extra, keys, vals, out, out_len, err);
}

int ccx_nn_checkpoint_serialize_ungrouped_edges(const ccx_nn_config *cfg, const float *params,
                                                unsigned char **out, size_t *out_len,
                                                ccx_error *err) {
    ccx_nn_layout lay;
    ccx_nn_layout_init_ungrouped_edges(&lay, cfg);
    float *zero = calloc(lay.n_params ? lay.n_params : 1, sizeof(float));
    if (!zero) return ccx_error_set(err, "checkpoint: out of memory");
    int rc = serialize(cfg, 1, 0, params, zero, zero, 0, NULL, NULL, out, out_len, err);
    free(zero);
    return rc;
}

int ccx_nn_checkpoint_save(const char *path, const ccx_nn_config *cfg, long step,
                           const float *params, const float *m, const float *v, int n_extra,
                           const char *const *keys, const char *const *vals, ccx_error *err) {
    unsigned char *buf;
    size_t len;
    if (ccx_nn_checkpoint_serialize(cfg, step, params, m, v, n_extra, keys, vals, &buf, &len, err))
        return -1;
    int rc = ccx_write_file_atomic(path, buf, len, err);
    free(buf);
    return rc;
}

/* ----------------------------------------------------------------- read -- */
void ccx_nn_checkpoint_free(ccx_nn_checkpoint *ck) {
    if (!ck) return;
    free(ck->params);
    free(ck->m);
    free(ck->v);
    for (int i = 0; i < ck->n_meta; i++) {
        free(ck->meta_keys[i]);
        free(ck->meta_vals[i]);
    }
    free(ck->meta_keys);
    free(ck->meta_vals);
    memset(ck, 0, sizeof *ck);
}

const char *ccx_nn_checkpoint_meta(const ccx_nn_checkpoint *ck, const char *key) {
    for (int i = 0; i < ck->n_meta; i++)
        if (!strcmp(ck->meta_keys[i], key)) return ck->meta_vals[i];
    return NULL;
}

/* A whole decimal integer in [lo, hi]. */
static int parse_int(const char *s, long lo, long hi, long *out) {
    if (!s || !*s) return -1;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

/* A JSON number that is a whole number in [0, 2^53]. */
static int json_size(const cJSON *j, size_t *out) {
    if (!cJSON_IsNumber(j)) return -1;
    double d = j->valuedouble;
    if (!(d >= 0 && d <= 9007199254740992.0) || d != (double)(uint64_t)d) return -1;
    *out = (size_t)d;
    return 0;
}

typedef struct {
    size_t start, end;
} extent;

static int extent_cmp(const void *a, const void *b) {
    const extent *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start ? 1 : (x->end > y->end) - (x->end < y->end);
}

#define FAIL(...) do { ccx_error_set_at(err, name, 0, 0, __VA_ARGS__); goto fail; } while (0)

int ccx_nn_checkpoint_parse(const unsigned char *buf, size_t len, const char *name,
                            const ccx_nn_config *expect, ccx_nn_checkpoint *ck, ccx_error *err) {
    memset(ck, 0, sizeof *ck);
    if (!name) name = "<checkpoint>";
    cJSON *root = NULL;
    kv *meta = NULL;
    extent *ext = NULL;
    int n_meta = 0;
    if (len < 8) FAIL("truncated: %zu bytes, not even the 8-byte header length", len);
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)buf[i] << (8 * i);
    if (hlen > MAX_HEADER) FAIL("damaged: header length %llu is larger than %u bytes", (unsigned long long)hlen, MAX_HEADER);
    if (hlen > len - 8)
        FAIL("truncated: the header says %llu bytes but only %zu follow", (unsigned long long)hlen, len - 8);
    const char *hdr = (const char *)buf + 8;
    const char *end = NULL;
    root = cJSON_ParseWithLengthOpts(hdr, (size_t)hlen, &end, 0);
    if (!root || !cJSON_IsObject(root)) FAIL("damaged: the header is not a JSON object");
    for (const char *p = end; p < hdr + hlen; p++)
        if (*p != ' ') FAIL("damaged: unexpected bytes after the JSON header (offset %zu)", (size_t)(p - hdr) + 8);

    /* metadata */
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(root, "__metadata__");
    if (!cJSON_IsObject(md)) FAIL("not a ccx checkpoint: no __metadata__ object");
    int n_md = cJSON_GetArraySize(md);
    meta = malloc((size_t)(n_md > 0 ? n_md : 1) * sizeof *meta);
    if (!meta) FAIL("out of memory");
    const char *file_sum = NULL;
    for (const cJSON *e = md->child; e; e = e->next) {
        if (!cJSON_IsString(e) || !e->string)
            FAIL("damaged: __metadata__ entry '%s' is not a string", e->string ? e->string : "?");
        for (int i = 0; i < n_meta; i++)
            if (!strcmp(meta[i].key, e->string)) FAIL("damaged: __metadata__ key '%s' appears twice", e->string);
        if (!strcmp(e->string, "ccx_sha256")) file_sum = e->valuestring;
        else meta[n_meta++] = (kv){e->string, e->valuestring};
    }
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(md, "format");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, CCX_NN_CHECKPOINT_FORMAT))
        FAIL("not a ccx network checkpoint (__metadata__ format is %s%s%s, expected \"%s\")",
             cJSON_IsString(fmt) ? "\"" : "", cJSON_IsString(fmt) ? fmt->valuestring : "missing",
             cJSON_IsString(fmt) ? "\"" : "", CCX_NN_CHECKPOINT_FORMAT);
    for (int k = 0; k < N_CFG_KEYS; k++) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(md, CFG_KEYS[k]);
        long v;
        if (!cJSON_IsString(e)) FAIL("__metadata__ has no config entry '%s'", CFG_KEYS[k]);
        if (parse_int(e->valuestring, -1, INT_MAX, &v))
            FAIL("__metadata__ %s = \"%s\" is not a whole number", CFG_KEYS[k], e->valuestring);
        *cfg_field(&ck->cfg, k) = (int)v;
    }
    {
        ccx_error cerr;
        if (ccx_nn_config_validate(&ck->cfg, &cerr)) FAIL("bad config in __metadata__: %s", cerr.msg);
    }
    if (expect)
        for (int k = 0; k < N_CFG_KEYS; k++) {
            if (k == CFG_N_PAD) continue;
            ccx_nn_config e = *expect;
            int want = *cfg_field(&e, k), got = *cfg_field(&ck->cfg, k);
            if (want != got)
                FAIL("config mismatch: the checkpoint has %s = %d, the network has %s = %d",
                     CFG_KEYS[k], got, CFG_KEYS[k], want);
        }
    {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(md, "step");
        long v;
        if (!cJSON_IsString(e) || parse_int(e->valuestring, 0, LONG_MAX, &v))
            FAIL("__metadata__ step is missing or not a whole number >= 0");
        ck->step = v;
    }

    /* tensors */
    /* the file's layout: before the edge type groups, edge was [L, 2, H] */
    ccx_nn_layout lay;
    ccx_nn_layout_init(&lay, &ck->cfg);
    int ungrouped = 0;
    {
        char nm[96];
        tensor_name(nm, sizeof nm, 0, CCX_NN_EDGE);
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(root, nm), "shape");
        if (cJSON_IsArray(sh) && cJSON_GetArraySize(sh) == 3) {
            ungrouped = 1;
            ccx_nn_layout_init_ungrouped_edges(&lay, &ck->cfg);
        }
    }
    size_t data_len = len - 8 - (size_t)hlen;
    size_t want_bytes = 0;
    for (int t = 0; t < CCX_NN_N_TENSORS; t++) want_bytes += lay.size[t] * sizeof(float);
    want_bytes *= N_SETS;
    int n_entries = cJSON_GetArraySize(root) - 1;
    if (n_entries != N_SETS * CCX_NN_N_TENSORS) {
        /* name the first unexpected or missing tensor */
        for (const cJSON *e = root->child; e; e = e->next) {
            if (!e->string || !strcmp(e->string, "__metadata__")) continue;
            int found = 0;
            for (int set = 0; set < N_SETS && !found; set++)
                for (int t = 0; t < CCX_NN_N_TENSORS && !found; t++) {
                    char nm[96];
                    tensor_name(nm, sizeof nm, set, t);
                    found = !strcmp(nm, e->string);
                }
            if (!found) FAIL("unexpected tensor '%s'", e->string);
        }
    }
    ext = malloc(sizeof(extent) * N_SETS * CCX_NN_N_TENSORS);
    if (!ext) FAIL("out of memory");
    size_t n_ext = 0;
    for (int set = 0; set < N_SETS; set++)
        for (int t = 0; t < CCX_NN_N_TENSORS; t++) {
            char nm[96], want_shape[128];
            tensor_name(nm, sizeof nm, set, t);
            shape_text(want_shape, sizeof want_shape, &lay, t);
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, nm);
            if (!e) FAIL("missing tensor '%s'", nm);
            if (!cJSON_IsObject(e)) FAIL("damaged: entry '%s' is not an object", nm);
            const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
            if (!cJSON_IsString(dt)) FAIL("tensor '%s' has no dtype", nm);
            if (strcmp(dt->valuestring, "F32"))
                FAIL("tensor '%s' has dtype %s, expected F32", nm, dt->valuestring);
            const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
            if (!cJSON_IsArray(sh)) FAIL("tensor '%s' has no shape", nm);
            int nd = cJSON_GetArraySize(sh), same = nd == lay.ndim[t];
            char got_shape[256];
            size_t gn = (size_t)snprintf(got_shape, sizeof got_shape, "[");
            int d = 0;
            for (const cJSON *x = sh->child; x; x = x->next, d++) {
                size_t v;
                if (json_size(x, &v)) FAIL("tensor '%s' has a shape entry that is not a size", nm);
                if (same && v != lay.shape[t][d]) same = 0;
                if (gn < sizeof got_shape)
                    gn += (size_t)snprintf(got_shape + gn, sizeof got_shape - gn, "%s%zu", d ? ", " : "", v);
            }
            if (gn < sizeof got_shape) snprintf(got_shape + gn, sizeof got_shape - gn, "]");
            if (!same) FAIL("tensor '%s' has shape %s, expected %s", nm, got_shape, want_shape);
            const cJSON *of = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
            size_t a, b;
            if (!cJSON_IsArray(of) || cJSON_GetArraySize(of) != 2 || json_size(of->child, &a) ||
                json_size(of->child->next, &b) || b < a)
                FAIL("tensor '%s' has bad data_offsets", nm);
            if (b - a != lay.size[t] * sizeof(float))
                FAIL("tensor '%s' spans %zu bytes, its shape %s needs %zu", nm, b - a, want_shape,
                     lay.size[t] * sizeof(float));
            if (b > data_len)
                FAIL("truncated: tensor '%s' ends at byte %zu of the data but the file has %zu", nm, b, data_len);
            ext[n_ext++] = (extent){a, b};
        }
    if (data_len != want_bytes)
        FAIL("%s: %zu bytes of tensor data, expected %zu", data_len < want_bytes ? "truncated" : "damaged",
             data_len, want_bytes);
    qsort(ext, n_ext, sizeof *ext, extent_cmp);
    for (size_t i = 0, at = 0; i < n_ext; i++) {
        if (ext[i].start != at) FAIL("damaged: tensor data overlaps or leaves a gap at byte %zu", at);
        at = ext[i].end;
    }

    /* copy out */
    size_t P = lay.n_params ? lay.n_params : 1;
    float **dst[N_SETS] = {&ck->params, &ck->m, &ck->v};
    for (int set = 0; set < N_SETS; set++) {
        *dst[set] = malloc(P * sizeof(float));
        if (!*dst[set]) FAIL("out of memory");
        for (int t = 0; t < CCX_NN_N_TENSORS; t++) {
            char nm[96];
            tensor_name(nm, sizeof nm, set, t);
            const cJSON *of = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, nm), "data_offsets");
            size_t a = (size_t)of->child->valuedouble;
            if (lay.size[t]) memcpy(*dst[set] + lay.offset[t], buf + 8 + hlen + a, lay.size[t] * sizeof(float));
        }
    }

    /* checksum */
    if (!file_sum) FAIL("__metadata__ has no ccx_sha256 checksum");
    {
        char hex[65];
        const float *data[N_SETS] = {ck->params, ck->m, ck->v};
        checksum(hex, &lay, meta, n_meta, data);
        if (strcmp(hex, file_sum))
            FAIL("damaged: checksum mismatch (the tensors or the header changed since it was written)");
    }

    /* an ungrouped edge bias serves every type group (same network on
     * scalar graphs, whose edges are all of the first group) */
    if (ungrouped) {
        ccx_nn_layout now;
        ccx_nn_layout_init(&now, &ck->cfg);
        float **arr[N_SETS] = {&ck->params, &ck->m, &ck->v};
        size_t L = (size_t)ck->cfg.n_layers, H = (size_t)ck->cfg.n_heads;
        for (int set = 0; set < N_SETS; set++) {
            float *old_a = *arr[set], *new_a = malloc((now.n_params ? now.n_params : 1) * sizeof(float));
            if (!new_a) FAIL("out of memory");
            for (int t = 0; t < CCX_NN_N_TENSORS; t++) {
                if (t != CCX_NN_EDGE) {
                    memcpy(new_a + now.offset[t], old_a + lay.offset[t], lay.size[t] * sizeof(float));
                    continue;
                }
                for (size_t l = 0; l < L; l++)
                    for (size_t w = 0; w < 2; w++)
                        for (size_t g = 0; g < CCX_NN_EDGE_GROUPS; g++)
                            memcpy(new_a + now.offset[t] + ((l * 2 + w) * CCX_NN_EDGE_GROUPS + g) * H,
                                   old_a + lay.offset[t] + (l * 2 + w) * H, H * sizeof(float));
            }
            free(old_a);
            *arr[set] = new_a;
        }
    }

    /* extra metadata */
    int n_extra = 0;
    for (int i = 0; i < n_meta; i++) n_extra += !is_reserved(meta[i].key);
    if (n_extra) {
        ck->meta_keys = calloc((size_t)n_extra, sizeof(char *));
        ck->meta_vals = calloc((size_t)n_extra, sizeof(char *));
        if (!ck->meta_keys || !ck->meta_vals) FAIL("out of memory");
        for (int i = 0; i < n_meta; i++) {
            if (is_reserved(meta[i].key)) continue;
            ck->meta_keys[ck->n_meta] = strdup(meta[i].key);
            ck->meta_vals[ck->n_meta] = strdup(meta[i].val);
            ck->n_meta++;
            if (!ck->meta_keys[ck->n_meta - 1] || !ck->meta_vals[ck->n_meta - 1]) FAIL("out of memory");
        }
    }
    free(ext);
    free(meta);
    cJSON_Delete(root);
    return 0;
fail:
    free(ext);
    free(meta);
    cJSON_Delete(root);
    ccx_nn_checkpoint_free(ck);
    return -1;
}

int ccx_nn_checkpoint_load(const char *path, const ccx_nn_config *expect, ccx_nn_checkpoint *ck,
                           ccx_error *err) {
    memset(ck, 0, sizeof *ck);
    size_t len;
    unsigned char *buf = (unsigned char *)ccx_read_file(path, 0, &len, err);
    if (!buf) return -1;
    int rc = ccx_nn_checkpoint_parse(buf, len, path, expect, ck, err);
    free(buf);
    return rc;
}
