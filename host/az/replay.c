/* The replay buffer (host/az/replay.h). */
#include "az/replay.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"
#include "util/sha256.h"

#define REPLAY_MAGIC "CCXRPLY1"
#define REPLAY_VERSION 2u /* 1: without the episode orders (still read) */
#define REPLAY_HEADER 48 /* magic 8 + 4 u32 + 3 u64 */

struct ccx_replay {
    size_t capacity, count, head; /* head: slot of the next add */
    uint64_t total;
    int n_pad, words;
    int32_t *graph;     /* [capacity] */
    uint32_t *elim;     /* [capacity][words] */
    uint16_t *order;    /* [capacity][n_pad] the episode's order, 0 after it (all 0: none) */
    float *pi;          /* [capacity][n_pad] */
    float *value;       /* [capacity] */
};

ccx_replay *ccx_replay_create(size_t capacity, int n_pad, ccx_error *err) {
    if (capacity < 1 || capacity > ((size_t)1 << 32)) {
        ccx_error_set(err, "replay: capacity %zu is outside 1..2^32", capacity);
        return NULL;
    }
    if (n_pad < 32 || n_pad % 32 || n_pad > 65536) {
        ccx_error_set(err, "replay: n_pad %d must be a multiple of 32 in 32..65536", n_pad);
        return NULL;
    }
    ccx_replay *r = calloc(1, sizeof *r);
    if (!r) {
        ccx_error_set(err, "replay: out of memory");
        return NULL;
    }
    r->capacity = capacity;
    r->n_pad = n_pad;
    r->words = n_pad / 32;
    r->graph = malloc(capacity * sizeof *r->graph);
    r->elim = malloc(capacity * (size_t)r->words * sizeof *r->elim);
    r->order = malloc(capacity * (size_t)n_pad * sizeof *r->order);
    r->pi = malloc(capacity * (size_t)n_pad * sizeof *r->pi);
    r->value = malloc(capacity * sizeof *r->value);
    if (!r->graph || !r->elim || !r->order || !r->pi || !r->value) {
        ccx_error_set(err, "replay: cannot allocate %zu samples of %d slots (%.1f MiB)", capacity,
                      n_pad, (double)capacity * (r->words + 1.5 * n_pad + 2) * 4 / 1048576.0);
        ccx_replay_free(r);
        return NULL;
    }
    return r;
}

void ccx_replay_free(ccx_replay *r) {
    if (!r) return;
    free(r->graph);
    free(r->elim);
    free(r->order);
    free(r->pi);
    free(r->value);
    free(r);
}

size_t ccx_replay_capacity(const ccx_replay *r) { return r->capacity; }
size_t ccx_replay_count(const ccx_replay *r) { return r->count; }
uint64_t ccx_replay_total(const ccx_replay *r) { return r->total; }
int ccx_replay_n_pad(const ccx_replay *r) { return r->n_pad; }

/* Storage slot of logical position i (0 = oldest). */
static size_t slot_of(const ccx_replay *r, size_t i) {
    return (r->head + r->capacity - r->count + i) % r->capacity;
}

static void put(ccx_replay *r, int32_t graph, const uint32_t *elim, const uint16_t *order,
                const float *pi, float value) {
    size_t s = r->head;
    r->graph[s] = graph;
    memcpy(r->elim + s * r->words, elim, (size_t)r->words * sizeof *elim);
    if (order) memcpy(r->order + s * r->n_pad, order, (size_t)r->n_pad * sizeof *order);
    else memset(r->order + s * r->n_pad, 0, (size_t)r->n_pad * sizeof *order);
    memcpy(r->pi + s * r->n_pad, pi, (size_t)r->n_pad * sizeof *pi);
    r->value[s] = value;
    r->head = (r->head + 1) % r->capacity;
    if (r->count < r->capacity) r->count++;
    r->total++;
}

int ccx_replay_add_ordered(ccx_replay *r, int n, const int32_t *graph, const uint32_t *eliminated,
                           const uint16_t *orders, const float *pi, const float *value,
                           ccx_error *err) {
    if (n < 0) return ccx_error_set(err, "replay add: negative count %d", n);
    if (n && (!graph || !eliminated || !pi || !value))
        return ccx_error_set(err, "replay add: NULL array");
    for (int i = 0; i < n; i++) {
        if (graph[i] < 0) return ccx_error_set(err, "replay add: sample %d has graph %d", i, graph[i]);
        if (!isfinite(value[i]))
            return ccx_error_set(err, "replay add: sample %d has a non-finite value target", i);
    }
    for (int i = 0; i < n; i++)
        put(r, graph[i], eliminated + (size_t)i * r->words,
            orders ? orders + (size_t)i * r->n_pad : NULL, pi + (size_t)i * r->n_pad, value[i]);
    return 0;
}

int ccx_replay_add(ccx_replay *r, int n, const int32_t *graph, const uint32_t *eliminated,
                   const float *pi, const float *value, ccx_error *err) {
    return ccx_replay_add_ordered(r, n, graph, eliminated, NULL, pi, value, err);
}

int ccx_replay_get_order(const ccx_replay *r, size_t i, uint16_t *order, ccx_error *err) {
    if (i >= r->count)
        return ccx_error_set(err, "replay: sample %zu is outside 0..%zu", i, r->count ? r->count - 1 : 0);
    memcpy(order, r->order + slot_of(r, i) * r->n_pad, (size_t)r->n_pad * sizeof *order);
    return 0;
}

static void copy_out(const ccx_replay *r, size_t s, int32_t *graph, uint32_t *eliminated,
                     float *pi, float *value) {
    if (graph) *graph = r->graph[s];
    if (eliminated) memcpy(eliminated, r->elim + s * r->words, (size_t)r->words * sizeof *eliminated);
    if (pi) memcpy(pi, r->pi + s * r->n_pad, (size_t)r->n_pad * sizeof *pi);
    if (value) *value = r->value[s];
}

int ccx_replay_get(const ccx_replay *r, size_t i, int32_t *graph, uint32_t *eliminated,
                   float *pi, float *value, ccx_error *err) {
    if (i >= r->count)
        return ccx_error_set(err, "replay: sample %zu is outside 0..%zu", i, r->count ? r->count - 1 : 0);
    copy_out(r, slot_of(r, i), graph, eliminated, pi, value);
    return 0;
}

int ccx_replay_sample(const ccx_replay *r, ccx_rng *rng, int n, int32_t *graph,
                      uint32_t *eliminated, float *pi, float *value, size_t *idx, ccx_error *err) {
    if (n < 0) return ccx_error_set(err, "replay sample: negative count %d", n);
    if (n && !r->count) return ccx_error_set(err, "replay sample: the buffer is empty");
    for (int k = 0; k < n; k++) {
        size_t i = (size_t)ccx_rng_below(rng, r->count);
        if (idx) idx[k] = i;
        copy_out(r, slot_of(r, i), graph ? graph + k : NULL,
                 eliminated ? eliminated + (size_t)k * r->words : NULL,
                 pi ? pi + (size_t)k * r->n_pad : NULL, value ? value + k : NULL);
    }
    return 0;
}

/* ---- file ---- */

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get_u32(const uint8_t *p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
    return v;
}
static uint64_t get_u64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}
static void put_f32(uint8_t *p, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    put_u32(p, u);
}
static float get_f32(const uint8_t *p) {
    uint32_t u = get_u32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* graph, set, (version 2: the order as n_pad u16,) pi, value */
static size_t sample_bytes(int words, int n_pad, uint32_t version) {
    return 4 * ((size_t)words + (size_t)n_pad + 2) + (version >= 2 ? 2 * (size_t)n_pad : 0);
}
static void put_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

int ccx_replay_save(const ccx_replay *r, const char *path, ccx_error *err) {
    size_t sb = sample_bytes(r->words, r->n_pad, REPLAY_VERSION);
    size_t len = REPLAY_HEADER + r->count * sb + 32;
    uint8_t *buf = malloc(len);
    if (!buf) return ccx_error_set(err, "replay save %s: out of memory (%zu bytes)", path, len);
    memcpy(buf, REPLAY_MAGIC, 8);
    put_u32(buf + 8, REPLAY_VERSION);
    put_u32(buf + 12, (uint32_t)r->n_pad);
    put_u32(buf + 16, (uint32_t)r->words);
    put_u32(buf + 20, 0);
    put_u64(buf + 24, r->capacity);
    put_u64(buf + 32, r->count);
    put_u64(buf + 40, r->total);
    uint8_t *p = buf + REPLAY_HEADER;
    for (size_t i = 0; i < r->count; i++) {
        size_t s = slot_of(r, i);
        put_u32(p, (uint32_t)r->graph[s]);
        p += 4;
        for (int w = 0; w < r->words; w++, p += 4) put_u32(p, r->elim[s * r->words + w]);
        for (int a = 0; a < r->n_pad; a++, p += 2) put_u16(p, r->order[s * r->n_pad + a]);
        for (int a = 0; a < r->n_pad; a++, p += 4) put_f32(p, r->pi[s * r->n_pad + a]);
        put_f32(p, r->value[s]);
        p += 4;
    }
    ccx_sha256 h;
    ccx_sha256_init(&h);
    ccx_sha256_update(&h, buf, (size_t)(p - buf));
    ccx_sha256_final(&h, p);
    int rc = ccx_write_file_atomic(path, buf, len, err);
    free(buf);
    return rc;
}

int ccx_replay_load(ccx_replay *r, const char *path, ccx_error *err) {
    size_t len = 0;
    uint8_t *buf = (uint8_t *)ccx_read_file(path, 0, &len, err);
    if (!buf) return -1;
#define BAD(...)                                                                           \
    do {                                                                                   \
        free(buf);                                                                         \
        char m_[320];                                                                      \
        snprintf(m_, sizeof m_, __VA_ARGS__);                                              \
        return ccx_error_set(err, "replay load %s: %s", path, m_);                         \
    } while (0)
    if (len < REPLAY_HEADER + 32 || memcmp(buf, REPLAY_MAGIC, 8))
        BAD("not a ccx replay buffer file (bad magic or too short: %zu bytes)", len);
    uint32_t version = get_u32(buf + 8), n_pad = get_u32(buf + 12), words = get_u32(buf + 16);
    uint64_t capacity = get_u64(buf + 24), count = get_u64(buf + 32), total = get_u64(buf + 40);
    if (version < 1 || version > REPLAY_VERSION)
        BAD("format version %u; this ccx reads versions 1..%u", version, REPLAY_VERSION);
    if (n_pad != (uint32_t)r->n_pad || words != (uint32_t)r->words)
        BAD("samples have n_pad %u, this buffer %d", n_pad, r->n_pad);
    size_t sb = sample_bytes(r->words, r->n_pad, version);
    if (count > capacity || count > (len - REPLAY_HEADER - 32) / sb ||
        len != REPLAY_HEADER + count * sb + 32)
        BAD("damaged: %zu bytes do not hold the %llu samples the header announces",
            len, (unsigned long long)count);
    uint8_t digest[32];
    ccx_sha256 h;
    ccx_sha256_init(&h);
    ccx_sha256_update(&h, buf, len - 32);
    ccx_sha256_final(&h, digest);
    if (memcmp(digest, buf + len - 32, 32)) BAD("damaged: SHA-256 mismatch");
    if (total < count) BAD("damaged: total %llu < count %llu", (unsigned long long)total,
                           (unsigned long long)count);
    /* all checks passed: replace the contents */
    size_t skip = count > r->capacity ? (size_t)count - r->capacity : 0;
    r->count = 0;
    r->head = 0;
    const uint8_t *p = buf + REPLAY_HEADER + skip * sb;
    uint32_t *elim = malloc((size_t)r->words * 4);
    uint16_t *order = calloc((size_t)r->n_pad, 2); /* version 1: no orders (all 0) */
    float *pi = malloc((size_t)r->n_pad * 4);
    if (!elim || !order || !pi) {
        free(elim);
        free(order);
        free(pi);
        BAD("out of memory");
    }
    for (size_t i = skip; i < count; i++) {
        int32_t graph = (int32_t)get_u32(p);
        p += 4;
        for (int w = 0; w < r->words; w++, p += 4) elim[w] = get_u32(p);
        if (version >= 2)
            for (int a = 0; a < r->n_pad; a++, p += 2) order[a] = get_u16(p);
        for (int a = 0; a < r->n_pad; a++, p += 4) pi[a] = get_f32(p);
        float value = get_f32(p);
        p += 4;
        put(r, graph, elim, order, pi, value);
    }
    free(elim);
    free(order);
    free(pi);
    free(buf);
    r->total = total;
#undef BAD
    return 0;
}

/* ---- rebuilding states ---- */

/* Tensor graphs: replay each sample's order prefix (the set's vertices in
 * the order the episode played them; without an order, increasing) on envs
 * 0..n-1, which are already on their graphs: reset them, then step all at
 * once, -1 where an env's prefix is over. */
static int replay_prefixes(ccx_env *env, int n, const uint32_t *sets, const uint16_t *orders,
                           ccx_error *err) {
    const ccx_env_layout *L = ccx_env_get_layout(env);
    const int B = L->n_envs, W = L->words, NP = L->n_pad;
    int32_t *prefix = malloc(sizeof(int32_t) * (size_t)n * NP), *len = calloc((size_t)n, sizeof(int32_t));
    uint8_t *mask = calloc((size_t)B, 1);
    int32_t *acts = NULL;
    void *d_mask = NULL, *d_acts = NULL;
    int rc = -1, steps = 0;
    if (!prefix || !len || !mask) {
        ccx_error_set(err, "replay set_states: out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        const uint32_t *set = sets + (size_t)i * W;
        const uint16_t *ord = orders ? orders + (size_t)i * NP : NULL;
        int k = 0;
        for (int w = 0; w < W; w++) k += __builtin_popcount(set[w]);
        if (ord && ord[0]) { /* the first k of the episode's order are the set */
            for (int t = 0; t < k; t++) {
                int v = ord[t];
                if (v < 1 || v > 32 * W || !(set[(v - 1) / 32] >> ((v - 1) % 32) & 1u)) {
                    ccx_error_set(err, "replay set_states: sample %d's order does not begin with its "
                                  "eliminated set (entry %d is vertex %d)", i, t, v);
                    goto done;
                }
                prefix[(size_t)i * NP + t] = v;
            }
        } else {
            int t = 0;
            for (int v = 1; v <= 32 * W; v++)
                if (set[(v - 1) / 32] >> ((v - 1) % 32) & 1u) prefix[(size_t)i * NP + t++] = v;
        }
        len[i] = k;
        if (k > steps) steps = k;
        mask[i] = 1;
    }
    acts = malloc(sizeof(int32_t) * (size_t)B * (steps ? steps : 1));
    if (!acts) {
        ccx_error_set(err, "replay set_states: out of memory");
        goto done;
    }
    for (int t = 0; t < steps; t++)
        for (int b = 0; b < B; b++)
            acts[(size_t)t * B + b] = b < n && t < len[b] ? prefix[(size_t)b * NP + t] : CCX_ENV_SKIP;
    if (!(d_mask = ccx_env_buf_alloc(env, (size_t)B, err)) ||
        !(d_acts = ccx_env_buf_alloc(env, sizeof(int32_t) * (size_t)B * (steps ? steps : 1), err)) ||
        ccx_env_upload(env, d_mask, mask, (size_t)B, err) ||
        ccx_env_upload(env, d_acts, acts, sizeof(int32_t) * (size_t)B * steps, err) ||
        ccx_env_reset(env, d_mask, err))
        goto done;
    for (int t = 0; t < steps; t++)
        if (ccx_env_step(env, (const int32_t *)d_acts + (size_t)t * B, NULL, NULL, CCX_ENV_DEFER, err))
            goto done;
    if (ccx_env_sync(env, err)) goto done;
    rc = 0;
done:
    if (d_mask) ccx_env_buf_free(env, d_mask);
    if (d_acts) ccx_env_buf_free(env, d_acts);
    free(prefix);
    free(len);
    free(mask);
    free(acts);
    return rc;
}

int ccx_replay_set_states(ccx_env *env, int n, const int32_t *graph, const uint32_t *sets,
                          ccx_error *err) {
    return ccx_replay_set_states_ordered(env, n, graph, sets, NULL, err);
}

int ccx_replay_set_states_ordered(ccx_env *env, int n, const int32_t *graph, const uint32_t *sets,
                                  const uint16_t *orders, ccx_error *err) {
    const ccx_env_layout *L = ccx_env_get_layout(env);
    if (n < 0 || n > L->n_envs)
        return ccx_error_set(err, "replay set_states: %d samples for %d envs", n, L->n_envs);
    if (n == 0) return 0;
    const int B = L->n_envs;
    int32_t *cur = malloc((size_t)B * 4), *src = malloc((size_t)n * 4), *ids = malloc((size_t)n * 4);
    int32_t *first = malloc((size_t)L->n_graphs * 4);
    void *d_graph = NULL, *d_src = NULL, *d_ids = NULL, *d_buf = NULL, *d_sets = NULL;
    int rc = -1;
    if (!cur || !src || !ids || !first) {
        ccx_error_set(err, "replay set_states: out of memory");
        goto done;
    }
    d_graph = ccx_env_buf_alloc(env, (size_t)B * 4, err);
    if (!d_graph || ccx_env_get_info(env, NULL, NULL, d_graph, err) ||
        ccx_env_download(env, cur, d_graph, (size_t)B * 4, err))
        goto done;
    for (int k = 0; k < L->n_graphs; k++) first[k] = -1;
    for (int b = B - 1; b >= 0; b--)
        if (cur[b] >= 0 && cur[b] < L->n_graphs) first[cur[b]] = b;
    for (int i = 0; i < n; i++) {
        if (graph[i] < 0 || graph[i] >= L->n_graphs) {
            ccx_error_set(err, "replay set_states: sample %d has graph %d; the envs have graphs 0..%d",
                          i, graph[i], L->n_graphs - 1);
            goto done;
        }
        if (first[graph[i]] < 0) {
            ccx_error_set(err, "replay set_states: no env of the batch plays graph %d (%s)", graph[i],
                          ccx_env_graph(env, graph[i])->name);
            goto done;
        }
        src[i] = cur[i] == graph[i] ? i : first[graph[i]];
        ids[i] = i;
    }
    size_t slab = (size_t)L->slab_words * 4;
    if (!(d_src = ccx_env_buf_alloc(env, (size_t)n * 4, err)) ||
        !(d_ids = ccx_env_buf_alloc(env, (size_t)n * 4, err)) ||
        !(d_buf = ccx_env_buf_alloc(env, (size_t)n * slab, err)) ||
        !(d_sets = ccx_env_buf_alloc(env, (size_t)n * L->words * 4, err)))
        goto done;
    if (ccx_env_upload(env, d_src, src, (size_t)n * 4, err) ||
        ccx_env_upload(env, d_ids, ids, (size_t)n * 4, err) ||
        ccx_env_upload(env, d_sets, sets, (size_t)n * L->words * 4, err) ||
        ccx_env_snapshot(env, d_src, n, d_buf, 0, err) ||
        ccx_env_restore(env, d_ids, n, d_buf, 0, err))
        goto done;
    /* scalar graphs: the state is the set's; tensor graphs: the records
     * also depend on the order, so the order is replayed */
    if (L->records ? replay_prefixes(env, n, sets, orders, err)
                   : ccx_env_set_state_from_eliminated_set(env, d_ids, n, d_sets, NULL, 0, err))
        goto done;
    rc = 0;
done:
    if (d_graph) ccx_env_buf_free(env, d_graph);
    if (d_src) ccx_env_buf_free(env, d_src);
    if (d_ids) ccx_env_buf_free(env, d_ids);
    if (d_buf) ccx_env_buf_free(env, d_buf);
    if (d_sets) ccx_env_buf_free(env, d_sets);
    free(cur);
    free(src);
    free(ids);
    free(first);
    return rc;
}
