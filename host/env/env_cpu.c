/* The cpu backend of the batched environments: the reference the cuda
 * backend is tested against. Plain C over the slab layout of env.h; the
 * elimination is game/eliminate.h (the same function the single-game
 * reference uses); loops over envs run on OpenMP threads when the build has
 * OpenMP (results do not depend on the thread count). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/env_internal.h"
#include "game/eliminate.h"
#include "util/philox.h"

#ifdef _OPENMP
#include <omp.h>
/* a parallel loop over n items, for batches big enough to pay for threads */
#define CCX_PRAGMA(x) _Pragma(#x)
#define CCX_PAR_FOR(n) CCX_PRAGMA(omp parallel for schedule(static) if ((n) >= 256))
#else
#define CCX_PAR_FOR(n)
#endif

typedef struct {
    int32_t *marks;  /* [B]: first position of each env id in a call that writes states */
    uint32_t *seen;  /* [words]: vertices of one order seen so far */
    int has_latched;
    ccx_env_fault latched;
} cpu_impl;

static cpu_impl *impl_of(const ccx_env *e) { return (cpu_impl *)e->impl; }

/* ---- state ---- */

/* ccx_eliminate_rows with the row length known at compile time for the
 * common paddings (n_pad 32..256), so that the row loops unroll. */
static inline __attribute__((always_inline)) int64_t eliminate(uint32_t *slab, const ccx_env_layout *L, int j) {
    uint32_t *p = slab + L->off_preds, *s = slab + L->off_succs;
    switch (L->words) {
    case 1: return ccx_eliminate_rows(p, s, 1, j);
    case 2: return ccx_eliminate_rows(p, s, 2, j);
    case 3: return ccx_eliminate_rows(p, s, 3, j);
    case 4: return ccx_eliminate_rows(p, s, 4, j);
    case 6: return ccx_eliminate_rows(p, s, 6, j);
    case 8: return ccx_eliminate_rows(p, s, 8, j);
    default: return ccx_eliminate_rows(p, s, L->words, j);
    }
}

/* Back to the start of the slab's graph. Under the real model the edge
 * matrix (16 bytes a cell, 4 n_pad^2 words) is not copied whole: a cell is
 * CCX_LAX_NONE exactly where the bitsets have no edge, so clearing the
 * cells of the current edges and copying those of the template's is the
 * same state in O(edges) (as the single game's reset_real). */
static void reset_slab(const ccx_env *e, uint32_t *slab) {
    const ccx_env_layout *L = &e->L;
    int g = ccx_env_hdr(slab, L)->graph;
    const uint32_t *t = ccx_env_cslab(e->tmpl, L, g);
    if (!L->lax) {
        memcpy(slab, t, (size_t)L->slab_words * sizeof(uint32_t));
        return;
    }
    const int N = L->n_pad, W = L->words;
    ccx_lax *lax = ccx_env_lax(slab, L);
    const ccx_lax *tl = (const ccx_lax *)(const void *)(t + L->off_rec);
    const ccx_lax none = ccx_lax_make(CCX_LAX_NONE, 0, 0, 0.0);
    const uint32_t *succ = slab + L->off_succs, *tsucc = t + L->off_succs;
    for (int r = 0; r < N; r++)
        for (int w = 0; w < W; w++)
            for (uint32_t b = succ[(size_t)r * W + w]; b; b &= b - 1)
                lax[(size_t)r * N + w * 32 + __builtin_ctz(b)] = none;
    memcpy(slab, t, (size_t)L->off_rec * sizeof(uint32_t));
    for (int r = 0; r < N; r++)
        for (int w = 0; w < W; w++)
            for (uint32_t b = tsucc[(size_t)r * W + w]; b; b &= b - 1) {
                const size_t c = (size_t)r * N + w * 32 + __builtin_ctz(b);
                lax[c] = tl[c];
            }
}

/* The record rule (game/records.h) on a tensor graph's slab: price the pairs
 * and write the fill-in records, clear j's records, then the bitsets. */
static int64_t eliminate_records(uint32_t *slab, const ccx_env_layout *L, const int32_t *tab,
                                 int j) {
    const int N = L->n_pad, W = L->words;
    const uint32_t *pj = slab + L->off_preds + (size_t)j * W, *sj = slab + L->off_succs + (size_t)j * W;
    ccx_rec *rec = ccx_env_rec(slab, L);
    ccx_rec_tables t = ccx_rec_tables_of_row(tab, N);
    int64_t c = ccx_rec_pairs(pj, sj, W, rec, N, &t, j, 1);
    ccx_rec_clear(pj, sj, W, rec, N, j);
    eliminate(slab, L, j);
    return c;
}

/* The real rule (game/real_cost.h) on a slab: the products summed into
 * the fill-in edges and j's edges cleared (ccx_lax_pairs), then the bitsets. */
static int64_t eliminate_real(uint32_t *slab, const ccx_env_layout *L, const int32_t *tab, int j) {
    const int W = L->words;
    const uint32_t *pj = slab + L->off_preds + (size_t)j * W, *sj = slab + L->off_succs + (size_t)j * W;
    int64_t c = ccx_lax_pairs(pj, sj, W, ccx_env_lax(slab, L), L->n_pad, ccx_env_lax_shapes(tab), j, 1);
    eliminate(slab, L, j);
    return c;
}

/* Eliminate node j of a slab by its rule and book it in the header. tabs:
 * the batch's tables (NULL with neither records nor lax). */
static inline __attribute__((always_inline)) int64_t play(uint32_t *slab, const ccx_env_layout *L,
                                                          const int32_t *tabs, int j) {
    ccx_env_header *h = ccx_env_hdr(slab, L);
    const int32_t *tab = tabs ? tabs + (size_t)h->graph * L->tab_words : NULL;
    int64_t c = h->rule == CCX_ENV_RULE_REAL      ? eliminate_real(slab, L, tab, j)
                : h->rule == CCX_ENV_RULE_RECORDS ? eliminate_records(slab, L, tab, j)
                                                  : eliminate(slab, L, j);
    ccx_env_kind(slab, L)[j] = CCX_KIND_ELIMINATED;
    h->remaining--;
    h->cost = ccx_rec_cost_add(h->cost, c);
    return c;
}

/* ---- prefetching (a step touches every env once: big batches miss cache) ----
 * The step loops run a pipeline: PF_FAR envs ahead the header is fetched,
 * PF_MID ahead the rows P(j), S(j) and kind[j], PF_NEAR ahead the member rows
 * the elimination will update. Hints only: results do not depend on them. */
enum { PF_FAR = 12, PF_MID = 6, PF_NEAR = 3 };

static inline int action_node(const uint32_t *slab, const ccx_env_layout *L, int32_t a,
                              int node_mode) {
    if (a == CCX_ENV_SKIP) return -1;
    int j = node_mode ? a : ccx_env_chdr(slab, L)->n_inputs + a - 1;
    return j >= 0 && j < L->n_pad ? j : -1;
}

static inline void prefetch_header(const uint32_t *state, const ccx_env_layout *L, int b) {
    __builtin_prefetch(ccx_env_chdr(ccx_env_cslab(state, L, b), L));
}

static inline void prefetch_rows(const uint32_t *state, const ccx_env_layout *L, int b,
                                 int32_t a, int node_mode) {
    const uint32_t *slab = ccx_env_cslab(state, L, b);
    int j = action_node(slab, L, a, node_mode);
    if (j < 0) return;
    __builtin_prefetch(slab + L->off_preds + (size_t)j * L->words);
    __builtin_prefetch(slab + L->off_succs + (size_t)j * L->words);
    __builtin_prefetch(ccx_env_ckind(slab, L) + j);
}

static inline void prefetch_members(const uint32_t *state, const ccx_env_layout *L, int b,
                                    int32_t a, int node_mode) {
    const uint32_t *slab = ccx_env_cslab(state, L, b);
    int j = action_node(slab, L, a, node_mode);
    if (j < 0) return;
    const uint32_t *pj = slab + L->off_preds + (size_t)j * L->words;
    const uint32_t *sj = slab + L->off_succs + (size_t)j * L->words;
    for (int w = 0; w < L->words && w < 8; w++) {
        for (uint32_t bits = pj[w]; bits; bits &= bits - 1)
            __builtin_prefetch(slab + L->off_succs + (size_t)(w * 32 + __builtin_ctz(bits)) * L->words, 1);
        for (uint32_t bits = sj[w]; bits; bits &= bits - 1)
            __builtin_prefetch(slab + L->off_preds + (size_t)(w * 32 + __builtin_ctz(bits)) * L->words, 1);
    }
    if (L->lax) {
        /* the real model's cells the products read (p->j, j->s) and write (p->s) */
        const ccx_lax *lax = (const ccx_lax *)(const void *)(slab + L->off_rec);
        const size_t N = (size_t)L->n_pad;
        for (int u = 0; u < L->words && u < 8; u++)
            for (uint32_t sb = sj[u]; sb; sb &= sb - 1) __builtin_prefetch(lax + (size_t)j * N + u * 32 + __builtin_ctz(sb));
        for (int w = 0; w < L->words && w < 8; w++)
            for (uint32_t bits = pj[w]; bits; bits &= bits - 1) {
                const ccx_lax *row = lax + (size_t)(w * 32 + __builtin_ctz(bits)) * N;
                __builtin_prefetch(row + j, 1);
                for (int u = 0; u < L->words && u < 8; u++)
                    for (uint32_t sb = sj[u]; sb; sb &= sb - 1) __builtin_prefetch(row + u * 32 + __builtin_ctz(sb), 1);
            }
        return;
    }
    if (!L->records || ccx_env_chdr(slab, L)->rule != CCX_ENV_RULE_RECORDS) return;
    /* the records the pairs read (p->j, row j) and write (p->s) */
    const ccx_rec *rec = (const ccx_rec *)(const void *)(slab + L->off_rec);
    const size_t N = (size_t)L->n_pad;
    for (size_t c = 0; c < N; c += 32) __builtin_prefetch(rec + (size_t)j * N + c, 1);
    for (int w = 0; w < L->words && w < 8; w++)
        for (uint32_t bits = pj[w]; bits; bits &= bits - 1) {
            const ccx_rec *row = rec + (size_t)(w * 32 + __builtin_ctz(bits)) * N;
            __builtin_prefetch(row + j, 1);
            for (int u = 0; u < L->words && u < 8; u++)
                for (uint32_t sb = sj[u]; sb; sb &= sb - 1) __builtin_prefetch(row + u * 32 + __builtin_ctz(sb), 1);
        }
}

/* ---- checked calls ---- */

/* 1: go on; 0: skip quietly (a deferred call while a refusal is latched);
 * -1: the latched refusal, reported now. */
static int begin(ccx_env *e, unsigned flags, ccx_error *err) {
    cpu_impl *c = impl_of(e);
    if (!c->has_latched) return 1;
    if (flags & CCX_ENV_DEFER) return 0;
    c->has_latched = 0;
    return ccx_env_fault_message(e, &c->latched, err);
}

static int refuse(ccx_env *e, const ccx_env_fault *f, unsigned flags, ccx_error *err) {
    cpu_impl *c = impl_of(e);
    if (flags & CCX_ENV_DEFER) {
        c->latched = *f;
        c->has_latched = 1;
        return 0;
    }
    return ccx_env_fault_message(e, f, err);
}

/* The first fault of a call over items 0..n-1 (1 and *f), or 0. The same
 * two passes as the cuda validate kernels, so both find the same fault. */
static int first_fault(ccx_env *e, const ccx_env_call *call, int writes_states,
                       ccx_env_fault *f) {
    cpu_impl *c = impl_of(e);
    const ccx_env_layout *L = &e->L;
    if (writes_states) {
        for (int b = 0; b < L->n_envs; b++) c->marks[b] = INT32_MAX;
        for (int i = 0; i < call->n; i++) {
            int id = call->items ? call->items[i] : i;
            if (id >= 0 && id < L->n_envs && c->marks[id] > i) c->marks[id] = i;
        }
    }
    int step = call->op == CCX_ENV_OP_STEP, node_mode = (call->flags & CCX_ENV_NODE_ACTIONS) != 0;
    for (int i = 0; i < call->n; i++) {
        if (step && i + PF_FAR < call->n) prefetch_header(e->state, L, i + PF_FAR);
        if (step && i + PF_MID < call->n) {
            const uint32_t *slab = ccx_env_cslab(e->state, L, i + PF_MID);
            int j = action_node(slab, L, call->items[i + PF_MID], node_mode);
            if (j >= 0) __builtin_prefetch(ccx_env_ckind(slab, L) + j);
        }
        if (call->op == CCX_ENV_OP_PLAY_ORDERS)
            memset(c->seen, 0, (size_t)L->words * sizeof(uint32_t));
        if (ccx_env_check_item(e->state, e->tmpl, L, call, i, writes_states ? c->marks : NULL,
                               c->seen, f))
            return 1;
    }
    return 0;
}

static int checked(ccx_env *e, ccx_env_op op, unsigned flags, int n, const int32_t *items,
                   int writes_states, ccx_error *err) {
    int r = begin(e, flags, err);
    if (r <= 0) return r;
    ccx_env_call call = {(int32_t)op, flags, n, items, NULL, NULL, NULL};
    ccx_env_fault f;
    if (first_fault(e, &call, writes_states, &f)) return refuse(e, &f, flags, err) ? -1 : 0;
    return 1;
}

/* ---- backend table entries ---- */

static int cpu_init(ccx_env *e, const int32_t *goe, ccx_error *err) {
    const ccx_env_layout *L = &e->L;
    size_t bytes = (size_t)L->n_envs * (size_t)L->slab_words * sizeof(uint32_t);
    cpu_impl *c = calloc(1, sizeof *c);
    e->impl = c;
    e->state = c ? aligned_alloc(256, (bytes + 255) / 256 * 256) : NULL;
    if (c) {
        c->marks = malloc((size_t)L->n_envs * sizeof(int32_t));
        c->seen = malloc((size_t)L->words * sizeof(uint32_t));
    }
    if (!c || !e->state || !c->marks || !c->seen) {
        if (c) {
            free(c->marks);
            free(c->seen);
        }
        free(e->state);
        free(c);
        e->impl = NULL;
        e->state = NULL;
        return ccx_error_set(err, "out of memory: %d environments need %.1f MiB", L->n_envs,
                             (double)bytes / 1048576.0);
    }
    for (int b = 0; b < L->n_envs; b++)
        memcpy(ccx_env_slab(e->state, L, b), ccx_env_cslab(e->tmpl, L, goe[b]),
               (size_t)L->slab_words * sizeof(uint32_t));
    return 0;
}

static void cpu_destroy(ccx_env *e) {
    cpu_impl *c = impl_of(e);
    if (c) {
        free(c->marks);
        free(c->seen);
        free(c);
    }
    free(e->state);
    e->impl = NULL;
    e->state = NULL;
}

static void *cpu_buf_alloc(const ccx_env *e, size_t bytes, ccx_error *err) {
    (void)e;
    size_t rounded = (bytes + 255) / 256 * 256;
    void *p = aligned_alloc(256, rounded ? rounded : 256);
    if (!p) {
        ccx_error_set(err, "out of memory allocating %zu bytes", bytes);
        return NULL;
    }
    memset(p, 0, rounded ? rounded : 256);
    return p;
}

static void cpu_buf_free(const ccx_env *e, void *buf) {
    (void)e;
    free(buf);
}

static int cpu_copy(const ccx_env *e, void *dst, const void *src, size_t bytes, ccx_error *err) {
    (void)e;
    (void)err;
    memmove(dst, src, bytes);
    return 0;
}

static int cpu_reset(ccx_env *e, const uint8_t *mask, ccx_error *err) {
    (void)err;
    CCX_PAR_FOR(e->L.n_envs)
    for (int b = 0; b < e->L.n_envs; b++)
        if (!mask || mask[b]) reset_slab(e, ccx_env_slab(e->state, &e->L, b));
    return 0;
}

static void step_range(ccx_env *e, int lo, int hi, const int32_t *actions, int64_t *cost,
                       uint8_t *done, unsigned flags);

static int cpu_step(ccx_env *e, const int32_t *actions, int64_t *cost, uint8_t *done,
                    unsigned flags, ccx_error *err) {
    int r = checked(e, CCX_ENV_OP_STEP, flags, e->L.n_envs, actions, 0, err);
    if (r <= 0) return r;
    int B = e->L.n_envs;
#ifdef _OPENMP
    if (B >= 256) {
        /* one contiguous range per thread, so that the prefetches stay inside it */
#pragma omp parallel
        {
            int t = omp_get_thread_num(), nt = omp_get_num_threads();
            step_range(e, (int)((int64_t)B * t / nt), (int)((int64_t)B * (t + 1) / nt), actions,
                       cost, done, flags);
        }
        return 0;
    }
#endif
    step_range(e, 0, B, actions, cost, done, flags);
    return 0;
}

/* the apply loop of a step over envs lo..hi-1 */
static void step_range(ccx_env *e, int lo, int hi, const int32_t *actions, int64_t *cost,
                       uint8_t *done, unsigned flags) {
    const ccx_env_layout *L = &e->L;
    int node_mode = (flags & CCX_ENV_NODE_ACTIONS) != 0, auto_reset = (flags & CCX_ENV_AUTO_RESET) != 0;
    for (int b = lo; b < hi; b++) {
        if (b + PF_FAR < hi) prefetch_header(e->state, L, b + PF_FAR);
        if (b + PF_MID < hi) prefetch_rows(e->state, L, b + PF_MID, actions[b + PF_MID], node_mode);
        if (b + PF_NEAR < hi) prefetch_members(e->state, L, b + PF_NEAR, actions[b + PF_NEAR], node_mode);
        uint32_t *slab = ccx_env_slab(e->state, L, b);
        ccx_env_header *h = ccx_env_hdr(slab, L);
        int32_t a = actions[b];
        int64_t c = 0;
        if (a != CCX_ENV_SKIP) c = play(slab, L, e->tabs, node_mode ? a : h->n_inputs + a - 1);
        int d = h->remaining == 0;
        if (d && auto_reset) reset_slab(e, slab);
        if (cost) cost[b] = c;
        if (done) done[b] = (uint8_t)d;
    }
}

static int cpu_legal_mask(ccx_env *e, const int32_t *ids, int n, uint8_t *mask, unsigned flags,
                          ccx_error *err) {
    int r = checked(e, CCX_ENV_OP_LEGAL_MASK, flags, n, ids, 0, err);
    if (r <= 0) return r;
    const ccx_env_layout *L = &e->L;
    CCX_PAR_FOR(n)
    for (int i = 0; i < n; i++) {
        const uint8_t *kind = ccx_env_ckind(ccx_env_cslab(e->state, L, ids ? ids[i] : i), L);
        uint8_t *row = mask + (size_t)i * L->n_pad;
        for (int v = 0; v < L->n_pad; v++) row[v] = kind[v] == CCX_KIND_INTERMEDIATE;
    }
    return 0;
}

/* 8 bits -> 8 bytes of 0/1, bit k in byte k (little endian): each byte
 * keeps its own bit of the replicated value, then +0x7f carries a set bit
 * into the byte's top bit. */
static inline uint64_t spread_bits(uint32_t b8) {
    uint64_t x = ((uint64_t)b8 * 0x0101010101010101ull) & 0x8040201008040201ull;
    return ((x + 0x7f7f7f7f7f7f7f7full) >> 7) & 0x0101010101010101ull;
}

static int cpu_observe(ccx_env *e, const int32_t *ids, int n, float *features,
                       uint8_t *adjacency, unsigned flags, ccx_error *err) {
    int r = checked(e, CCX_ENV_OP_OBSERVE, flags, n, ids, 0, err);
    if (r <= 0) return r;
    const ccx_env_layout *L = &e->L;
    CCX_PAR_FOR(n)
    for (int i = 0; i < n; i++) {
        const uint32_t *slab = ccx_env_cslab(e->state, L, ids ? ids[i] : i);
        if (features) {
            const int g = ccx_env_chdr(slab, L)->graph;
            const uint8_t *ops = e->op_rows + (size_t)g * L->n_pad;
            const int32_t *tab = e->tabs ? e->tabs + (size_t)g * L->tab_words : NULL;
            float *f = features + (size_t)i * L->n_pad * CCX_OBS_FEATURES;
            for (int v = 0; v < L->n_pad; v++)
                ccx_env_node_features(slab, L, ops, tab, v, f + (size_t)v * CCX_OBS_FEATURES);
        }
        if (adjacency) {
            uint8_t *adj = adjacency + (size_t)i * L->n_pad * L->n_pad;
            const int rule = ccx_env_chdr(slab, L)->rule, typed = rule != CCX_ENV_RULE_BITSET;
            const int32_t *tab = e->tabs ? e->tabs + (size_t)ccx_env_chdr(slab, L)->graph * L->tab_words : NULL;
            for (int v = 0; v < L->n_pad; v++) {
                const uint32_t *s = slab + L->off_succs + (size_t)v * L->words;
                uint8_t *row = adj + (size_t)v * L->n_pad;
                for (int w = 0; w < L->words; w++)
                    for (int q = 0; q < 4; q++) {
                        uint64_t bytes = spread_bits((s[w] >> (8 * q)) & 0xffu);
                        memcpy(row + w * 32 + q * 8, &bytes, 8);
                    }
                if (typed) /* the edges' type groups (ccx_env_adjacency_value) */
                    for (int w = 0; w < L->words; w++)
                        for (uint32_t bits = s[w]; bits; bits &= bits - 1) {
                            int k = w * 32 + __builtin_ctz(bits);
                            row[k] = ccx_env_adjacency_value(slab, L, tab, v, k);
                        }
            }
        }
    }
    return 0;
}

static int cpu_get_info(ccx_env *e, int64_t *cost, int32_t *remaining, int32_t *graph,
                        ccx_error *err) {
    (void)err;
    for (int b = 0; b < e->L.n_envs; b++) {
        const ccx_env_header *h = ccx_env_chdr(ccx_env_cslab(e->state, &e->L, b), &e->L);
        if (cost) cost[b] = h->cost;
        if (remaining) remaining[b] = h->remaining;
        if (graph) graph[b] = h->graph;
    }
    return 0;
}

static int cpu_snapshot(ccx_env *e, const int32_t *ids, int n, uint32_t *buf, unsigned flags,
                        ccx_error *err) {
    int r = checked(e, CCX_ENV_OP_SNAPSHOT, flags, n, ids, 0, err);
    if (r <= 0) return r;
    size_t sw = (size_t)e->L.slab_words;
    for (int i = 0; i < n; i++)
        memcpy(buf + (size_t)i * sw, ccx_env_cslab(e->state, &e->L, ids ? ids[i] : i),
               sw * sizeof(uint32_t));
    return 0;
}

static int cpu_restore(ccx_env *e, const int32_t *ids, int n, const uint32_t *buf,
                       unsigned flags, ccx_error *err) {
    int r = begin(e, flags, err);
    if (r <= 0) return r;
    ccx_env_call call = {CCX_ENV_OP_RESTORE, flags, n, ids, NULL, buf, NULL};
    ccx_env_fault f;
    if (first_fault(e, &call, 1, &f)) return refuse(e, &f, flags, err);
    size_t sw = (size_t)e->L.slab_words;
    for (int i = 0; i < n; i++)
        memcpy(ccx_env_slab(e->state, &e->L, ids ? ids[i] : i), buf + (size_t)i * sw,
               sw * sizeof(uint32_t));
    return 0;
}

static int cpu_set_eliminated(ccx_env *e, const int32_t *ids, int n, const uint32_t *sets,
                              const int64_t *costs, unsigned flags, ccx_error *err) {
    int r = begin(e, flags, err);
    if (r <= 0) return r;
    ccx_env_call call = {CCX_ENV_OP_SET_ELIMINATED, flags, n, ids, NULL, sets, NULL};
    ccx_env_fault f;
    if (first_fault(e, &call, 1, &f)) return refuse(e, &f, flags, err);
    const ccx_env_layout *L = &e->L;
    CCX_PAR_FOR(n)
    for (int i = 0; i < n; i++) {
        uint32_t *slab = ccx_env_slab(e->state, L, ids ? ids[i] : i);
        reset_slab(e, slab);
        int n_in = ccx_env_hdr(slab, L)->n_inputs;
        const uint32_t *row = sets + (size_t)i * L->words;
        for (int w = 0; w < L->words; w++)
            for (uint32_t bits = row[w]; bits; bits &= bits - 1)
                play(slab, L, e->tabs, n_in + w * 32 + __builtin_ctz(bits));
        ccx_env_hdr(slab, L)->cost = costs ? costs[i] : 0;
    }
    return 0;
}

static int cpu_get_eliminated(ccx_env *e, const int32_t *ids, int n, uint32_t *sets,
                              unsigned flags, ccx_error *err) {
    int r = checked(e, CCX_ENV_OP_GET_ELIMINATED, flags, n, ids, 0, err);
    if (r <= 0) return r;
    const ccx_env_layout *L = &e->L;
    for (int i = 0; i < n; i++) {
        const uint32_t *slab = ccx_env_cslab(e->state, L, ids ? ids[i] : i);
        const ccx_env_header *h = ccx_env_chdr(slab, L);
        const uint8_t *kind = ccx_env_ckind(slab, L);
        uint32_t *row = sets + (size_t)i * L->words;
        memset(row, 0, (size_t)L->words * sizeof(uint32_t));
        for (int k = 0; k < h->n_vertices; k++)
            if (kind[h->n_inputs + k] == CCX_KIND_ELIMINATED) row[k >> 5] |= 1u << (k & 31);
    }
    return 0;
}

static int cpu_play_random(ccx_env *e, const uint8_t *mask, uint64_t seed, int32_t *actions_out,
                           ccx_error *err) {
    (void)err;
    const ccx_env_layout *L = &e->L;
    CCX_PAR_FOR(L->n_envs)
    for (int b = 0; b < L->n_envs; b++) {
        if (mask && !mask[b]) continue;
        uint32_t *slab = ccx_env_slab(e->state, L, b);
        ccx_env_header *h = ccx_env_hdr(slab, L);
        uint8_t *kind = ccx_env_kind(slab, L);
        uint32_t legal[CCX_GAME_MAX_NODES / 32];
        for (int w = 0; w < L->words; w++) {
            uint32_t bits = 0;
            for (int k = 0; k < 32; k++)
                bits |= (uint32_t)(kind[w * 32 + k] == CCX_KIND_INTERMEDIATE) << k;
            legal[w] = bits;
        }
        ccx_philox rng;
        ccx_philox_init(&rng, seed, (uint64_t)b, 0);
        int t = 0;
        while (h->remaining > 0) {
            uint32_t r = ccx_philox_next(&rng);
            uint32_t idx = (uint32_t)(((uint64_t)r * (uint32_t)h->remaining) >> 32);
            int j = ccx_env_select_bit(legal, L->words, idx);
            if (j < 0) break; /* inconsistent state (remaining > legal count) */
            legal[j >> 5] &= ~(1u << (j & 31));
            play(slab, L, e->tabs, j);
            if (actions_out) actions_out[(size_t)b * L->n_pad + t] = j - h->n_inputs + 1;
            t++;
        }
        if (actions_out)
            for (int k = t; k < L->n_pad; k++) actions_out[(size_t)b * L->n_pad + k] = 0;
    }
    return 0;
}

static int cpu_play_orders(ccx_env *e, const uint8_t *mask, const int32_t *orders,
                           unsigned flags, ccx_error *err) {
    int r = begin(e, flags, err);
    if (r <= 0) return r;
    const ccx_env_layout *L = &e->L;
    ccx_env_call call = {CCX_ENV_OP_PLAY_ORDERS, flags, L->n_envs, NULL, orders, NULL, mask};
    ccx_env_fault f;
    if (first_fault(e, &call, 0, &f)) return refuse(e, &f, flags, err);
    int node_mode = (flags & CCX_ENV_NODE_ACTIONS) != 0;
    CCX_PAR_FOR(L->n_envs)
    for (int b = 0; b < L->n_envs; b++) {
        if (mask && !mask[b]) continue;
        uint32_t *slab = ccx_env_slab(e->state, L, b);
        ccx_env_header *h = ccx_env_hdr(slab, L);
        const int32_t *row = orders + (size_t)b * L->n_pad;
        for (int t = 0, rem = h->remaining; t < rem; t++)
            play(slab, L, e->tabs, node_mode ? row[t] : h->n_inputs + row[t] - 1);
    }
    return 0;
}

static int cpu_sync(ccx_env *e, ccx_error *err) {
    cpu_impl *c = impl_of(e);
    if (!c->has_latched) return 0;
    c->has_latched = 0;
    return ccx_env_fault_message(e, &c->latched, err);
}

static double cpu_peak_bandwidth(const ccx_env *e, char *desc, size_t desc_size) {
    (void)e;
    if (desc && desc_size) snprintf(desc, desc_size, "cpu: no bandwidth attribute");
    return 0.0;
}

const ccx_env_backend_ops ccx_env_cpu_ops = {
    cpu_init,      cpu_destroy,     cpu_buf_alloc,      cpu_buf_free,       cpu_copy,
    cpu_copy,      cpu_reset,       cpu_step,           cpu_legal_mask,     cpu_observe,
    cpu_get_info,  cpu_snapshot,    cpu_restore,        cpu_set_eliminated, cpu_get_eliminated,
    cpu_play_random, cpu_play_orders, cpu_sync,      cpu_peak_bandwidth,
};
