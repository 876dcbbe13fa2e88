// The cuda backend of the batched environments (host/env/env.h): the device
// twin of host/env/env_cpu.c, tested against it bit for bit.
//
// * The state of all B envs is one device allocation [B][slab_words] in the
//   slab layout of env.h; graph templates [n_graphs][slab_words] sit beside
//   it and are copied on reset (warp-wide 16-byte copies).
// * One warp per env. warp_eliminate is the device twin of
//   ccx_eliminate_rows (game/eliminate.h): |P|*|S| with __popc and a warp
//   reduction, fill-in with bitset ORs (lane = member row for rows up to 8
//   words, lanes over words for longer rows). Tensor graphs' slabs add the
//   record matrices: warp_eliminate_records runs the pairs of
//   game/records.h (lane = predecessor row) before the bitset update; a
//   batch under the real-work model holds ccx_lax matrices instead and
//   warp_eliminate_real runs the products of game/real_cost.h the same way.
// * Checked calls (env.h "Errors") run as: validate kernel (one thread per
//   item, atomicMin of the first faulty item into a device status word) ->
//   apply kernel (does nothing when the status says refused) -> record
//   kernel (one thread: words the fault with the same ccx_env_check_item the
//   cpu backend uses, latches it under CCX_ENV_DEFER). No host round trip
//   inside a call; without CCX_ENV_DEFER the host reads the 80-byte status
//   once at the end to report.
// * Fused episodes (play_random with cuRAND Philox, play_orders) stage each
//   env's slab in shared memory when it fits and play to the end there.
// * NVTX ranges around every call; every CUDA call checked (CK): errors
//   become ccx_error messages, never aborts.
#include <cuda_runtime.h>
#include <curand_kernel.h>
#include <nvtx3/nvToolsExt.h>

#include "cuda_check.cuh"

#include <new>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "env/env_internal.h"

namespace {

constexpr unsigned FULL = 0xffffffffu;
constexpr int32_t NONE = 0x7f7f7f7f;  // "no fault": what a 0x7f memset writes
constexpr int WARPS = 4;              // warps (= envs) per block for warp-per-env kernels
constexpr int THREADS = 256;          // block size for thread-per-item kernels

struct dev_status {
    int32_t cur;          // first faulty item of the call in flight, NONE if none
    int32_t has_latched;  // a deferred refusal is waiting to be reported
    int32_t pad[2];
    ccx_env_fault cur_fault;
    ccx_env_fault latched;
};

struct cuda_impl {
    cudaStream_t stream;
    uint32_t *d_tmpl;     // [n_graphs][slab_words]
    uint8_t *d_ops;       // [n_graphs][n_pad]
    int32_t *d_tabs;      // [n_graphs][tab_words]: record tables or real-model shapes
    uint32_t *d_scratch;  // [B][max(words,1)]: id marks, seen bitsets, legal bitsets
    dev_status *d_status;
    dev_status h_status;
    int smem_optin;       // max dynamic shared memory per block (opt-in)
};

cuda_impl *impl_of(const ccx_env *e) { return static_cast<cuda_impl *>(e->impl); }


// Every array argument must be device (or managed) memory: a host pointer
// would fault inside a kernel and poison the context.
int check_dev(const void *p, const char *what, ccx_error *err) {
    if (!p) return 0;
    cudaPointerAttributes a;
    cudaError_t e = cudaPointerGetAttributes(&a, p);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        return ccx_error_set(err, "%s is not device memory (%s); with the cuda backend every "
                                  "array lives on the device (ccx_env_buf_alloc)", what,
                             cudaGetErrorString(e));
    }
    if (a.type != cudaMemoryTypeDevice && a.type != cudaMemoryTypeManaged)
        return ccx_error_set(err, "%s is host memory; with the cuda backend every array lives on "
                                  "the device (allocate it with ccx_env_buf_alloc)", what);
    return 0;
}

unsigned blocks_for(size_t n, unsigned per) { return (unsigned)((n + per - 1) / per); }

// ---------------------------------------------------------------- device --

__device__ __forceinline__ int lane_id() { return threadIdx.x & 31; }
__device__ __forceinline__ int warp_global(int wpb) {
    return blockIdx.x * wpb + (threadIdx.x >> 5);
}

// dst[0..n_words) = src[...], n_words a multiple of 4, both 16-byte aligned.
__device__ __forceinline__ void warp_copy(uint32_t *dst, const uint32_t *src, int n_words,
                                          int lane) {
    const uint4 *s = reinterpret_cast<const uint4 *>(src);
    uint4 *d = reinterpret_cast<uint4 *>(dst);
    for (int i = lane; i < n_words / 4; i += 32) d[i] = s[i];
}

// Device twin of ccx_eliminate_rows (game/eliminate.h): eliminate node j of
// one env; every lane of the warp calls it with the same arguments and gets
// |P(j)| * |S(j)|. W > 0: row length known at compile time.
template <int W>
__device__ __forceinline__ int64_t warp_eliminate(uint32_t *preds, uint32_t *succs,
                                                  int words_rt, int j, int lane) {
    const int words = W > 0 ? W : words_rt;
    uint32_t *pj = preds + (size_t)j * words, *sj = succs + (size_t)j * words;
    int np = 0, ns = 0;
    for (int u = lane; u < words; u += 32) {
        np += __popc(pj[u]);
        ns += __popc(sj[u]);
    }
    np = __reduce_add_sync(FULL, np);
    ns = __reduce_add_sync(FULL, ns);
    const int jw = j >> 5;
    const uint32_t jmask = ~(1u << (j & 31));
    // Rows written (succs[p], p in P; preds[s], s in S) are all distinct and
    // never row j (a DAG has no p in P(j) ∩ S(j) and no self-loop), so the
    // lanes never touch the same word.
    if (words <= 8) {
        // lane l owns member row w*32 + l and ORs its whole row
        for (int w = 0; w < words; w++) {
            const uint32_t pw = pj[w], sw = sj[w];
            if ((pw >> lane) & 1u) {
                uint32_t *sp = succs + (size_t)(w * 32 + lane) * words;
#pragma unroll
                for (int u = 0; u < (W > 0 ? W : 8); u++)
                    if (W > 0 || u < words) sp[u] |= sj[u];
                sp[jw] &= jmask;
            }
            if ((sw >> lane) & 1u) {
                uint32_t *ps = preds + (size_t)(w * 32 + lane) * words;
#pragma unroll
                for (int u = 0; u < (W > 0 ? W : 8); u++)
                    if (W > 0 || u < words) ps[u] |= pj[u];
                ps[jw] &= jmask;
            }
        }
    } else {
        // member rows one at a time, lanes over the row's words
        for (int w = 0; w < words; w++) {
            uint32_t pw = pj[w], sw = sj[w];
            while (pw) {
                const int r = w * 32 + __ffs(pw) - 1;
                pw &= pw - 1;
                uint32_t *sp = succs + (size_t)r * words;
                for (int u = lane; u < words; u += 32) {
                    uint32_t v = sp[u] | sj[u];
                    if (u == jw) v &= jmask;
                    sp[u] = v;
                }
            }
            while (sw) {
                const int r = w * 32 + __ffs(sw) - 1;
                sw &= sw - 1;
                uint32_t *ps = preds + (size_t)r * words;
                for (int u = lane; u < words; u += 32) {
                    uint32_t v = ps[u] | pj[u];
                    if (u == jw) v &= jmask;
                    ps[u] = v;
                }
            }
        }
    }
    __syncwarp();
    for (int u = lane; u < words; u += 32) {
        pj[u] = 0u;
        sj[u] = 0u;
    }
    __syncwarp();
    return ccx_scalar_pair_cost(np, ns);
}

// The tail of the two edge-matrix rules (records, real): the lanes' costs
// summed (saturating, as the cpu's: for costs >= 0 a saturating sum is
// min(total, max) in any order) and given to every lane, j's cells (of
// type Cell, rows and columns in the edge matrix) set to none, then the
// bitsets updated (warp_eliminate).
template <int W, class Cell>
__device__ __forceinline__ int64_t warp_finish(uint32_t *slab, const ccx_env_layout &L, Cell *cells,
                                               const Cell none, int j, int lane, int64_t cost) {
    const int words = W > 0 ? W : L.words, N = L.n_pad;
    const uint32_t *pj = slab + L.off_preds + (size_t)j * words;
    const uint32_t *sj = slab + L.off_succs + (size_t)j * words;
    for (int d = 16; d > 0; d >>= 1) cost = ccx_rec_cost_add(cost, __shfl_down_sync(FULL, cost, d));
    cost = __shfl_sync(FULL, cost, 0);
    __syncwarp();
    for (int w = 0; w < words; w++) {
        if ((pj[w] >> lane) & 1u) cells[(size_t)(w * 32 + lane) * N + j] = none;
        if ((sj[w] >> lane) & 1u) cells[(size_t)j * N + w * 32 + lane] = none;
    }
    __syncwarp();
    warp_eliminate<W>(slab + L.off_preds, slab + L.off_succs, words, j, lane);
    return cost;
}

// Device twin of the record rule (game/records.h; env_cpu.c
// eliminate_records): lane l owns the predecessor rows w*32 + l and prices
// (and fills in) their pairs with every successor, successors outer as in
// ccx_rec_pairs. Distinct pairs write distinct record cells and never the
// ones read (p->j, j->s), so the lanes need no ordering; the sums saturate
// at CCX_COST_MAX like the cpu's (for costs >= 0 a saturating sum is
// min(total, max) in any order, so the twins agree). Then j's records are
// cleared and the bitsets updated (warp_eliminate). Every lane returns the
// cost.
template <int W>
__device__ __forceinline__ int64_t warp_eliminate_records(uint32_t *slab, const ccx_env_layout &L,
                                                          const int32_t *tab, int j, int lane) {
    const int words = W > 0 ? W : L.words, N = L.n_pad;
    const uint32_t *pj = slab + L.off_preds + (size_t)j * words;
    const uint32_t *sj = slab + L.off_succs + (size_t)j * words;
    ccx_rec *rec = ccx_env_rec(slab, &L);
    const ccx_rec_tables t = ccx_rec_tables_of_row(tab, N);
    int64_t cost = 0;
    for (int ws = 0; ws < words; ws++)
        for (uint32_t sb = sj[ws]; sb; sb &= sb - 1) {
            const ccx_rec_succ o = ccx_rec_succ_of(rec, N, &t, j, ws * 32 + __ffs(sb) - 1);
            for (int wp = 0; wp < words; wp++)
                if ((pj[wp] >> lane) & 1u)
                    cost = ccx_rec_cost_add(cost, ccx_rec_pair(rec, N, &t, wp * 32 + lane, j, &o, 1));
        }
    const ccx_rec none = {0, 0};
    return warp_finish<W>(slab, L, rec, none, j, lane, cost);
}

// Device twin of the real rule (game/real_cost.h ccx_lax_pairs; env_cpu.c
// eliminate_real): lane l owns the predecessor rows w*32 + l and forms the
// product p -> j -> s with every successor s (successors outer, as on the
// cpu), summing it into p -> s. Distinct pairs write distinct cells and
// never the ones read (p -> j, j -> s); the cost sums saturate as the cpu's.
// Then j's edges are cleared and the bitsets updated. Every lane returns
// the cost.
template <int W>
__device__ __forceinline__ int64_t warp_eliminate_real(uint32_t *slab, const ccx_env_layout &L,
                                                       const int32_t *tab, int j, int lane) {
    const int words = W > 0 ? W : L.words, N = L.n_pad;
    const uint32_t *pj = slab + L.off_preds + (size_t)j * words;
    const uint32_t *sj = slab + L.off_succs + (size_t)j * words;
    ccx_lax *lax = ccx_env_lax(slab, &L);
    const ccx_lax_shape *sh = ccx_env_lax_shapes(tab);
    int64_t cost = 0;
    for (int ws = 0; ws < words; ws++)
        for (uint32_t sb = sj[ws]; sb; sb &= sb - 1) {
            const int s = ws * 32 + __ffs(sb) - 1;
            const ccx_lax A = lax[(size_t)j * N + s];
            for (int wp = 0; wp < words; wp++)
                if ((pj[wp] >> lane) & 1u) {
                    const int p = wp * 32 + lane;
                    ccx_lax prod;
                    cost = ccx_rec_cost_add(cost, ccx_lax_mul(&A, &lax[(size_t)p * N + j], &sh[s],
                                                              &sh[j], &sh[p], &prod));
                    ccx_lax *ps = &lax[(size_t)p * N + s];
                    *ps = ccx_lax_acc(ps, &prod, sh[p].rank);
                }
        }
    return warp_finish<W>(slab, L, lax, ccx_lax_make(CCX_LAX_NONE, 0, 0, 0.0), j, lane, cost);
}

// Eliminate node j of an env by its graph's rule (header `rule`): every
// lane gets the cost. tabs: the batch's tables (NULL with neither records
// nor the real model).
template <int W>
__device__ __forceinline__ int64_t warp_play(uint32_t *slab, const ccx_env_layout &L,
                                             const int32_t *tabs, int j, int lane) {
    const ccx_env_header *h = ccx_env_chdr(slab, &L);
    if (h->rule == CCX_ENV_RULE_REAL)
        return warp_eliminate_real<W>(slab, L, tabs + (size_t)h->graph * L.tab_words, j, lane);
    if (h->rule == CCX_ENV_RULE_RECORDS)
        return warp_eliminate_records<W>(slab, L, tabs + (size_t)h->graph * L.tab_words, j, lane);
    return warp_eliminate<W>(slab + L.off_preds, slab + L.off_succs, L.words, j, lane);
}

// Warp twin of ccx_env_select_bit: the idx-th set bit of bits[0..words) in
// increasing order (-1 if fewer), the same in every lane.
__device__ __forceinline__ int warp_select(const uint32_t *bits, int words, uint32_t idx,
                                           int lane) {
    uint32_t target = idx;
    for (int w0 = 0; w0 < words; w0 += 32) {
        const int u = w0 + lane;
        const uint32_t word = u < words ? bits[u] : 0u;
        const uint32_t c = (uint32_t)__popc(word);
        uint32_t incl = c;
        for (int d = 1; d < 32; d <<= 1) {
            const uint32_t v = __shfl_up_sync(FULL, incl, d);
            if (lane >= d) incl += v;
        }
        const uint32_t total = __shfl_sync(FULL, incl, 31);
        if (target < total) {
            const unsigned ball = __ballot_sync(FULL, incl > target);
            const int owner = __ffs(ball) - 1;
            int node = 0;
            if (lane == owner) node = u * 32 + ccx_env_nth_bit(word, target - (incl - c));
            return __shfl_sync(FULL, node, owner);
        }
        target -= total;
    }
    return -1;
}

// Graph id of a slab, read by lane 0 before any lane overwrites the slab.
__device__ __forceinline__ int slab_graph(const uint32_t *slab, const ccx_env_layout &L,
                                          int lane) {
    return __shfl_sync(FULL, lane == 0 ? ccx_env_chdr(slab, &L)->graph : 0, 0);
}

__device__ __forceinline__ bool refused(const dev_status *st) {
    return st->cur != NONE || st->has_latched;
}

// ---------------------------------------------------------------- kernels --

__global__ void k_init(uint32_t *state, const uint32_t *tmpl, ccx_env_layout L,
                       const int32_t *goe) {
    const int b = warp_global(WARPS), lane = lane_id();
    if (b >= L.n_envs) return;
    warp_copy(ccx_env_slab(state, &L, b), tmpl + (size_t)goe[b] * L.slab_words, L.slab_words,
              lane);
}

__global__ void k_reset(uint32_t *state, const uint32_t *tmpl, ccx_env_layout L,
                        const uint8_t *mask) {
    const int b = warp_global(WARPS), lane = lane_id();
    if (b >= L.n_envs || (mask && !mask[b])) return;
    uint32_t *slab = ccx_env_slab(state, &L, b);
    const int g = slab_graph(slab, L, lane);
    warp_copy(slab, tmpl + (size_t)g * L.slab_words, L.slab_words, lane);
}

// marks[id] = smallest position of id in ids (calls that write states)
__global__ void k_marks(const int32_t *ids, int n, int n_envs, int32_t *marks) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const int id = ids ? ids[i] : i;
    if (id >= 0 && id < n_envs) atomicMin(&marks[id], i);
}

__global__ void k_validate(const uint32_t *state, const uint32_t *tmpl, ccx_env_layout L,
                           ccx_env_call c, const int32_t *marks, uint32_t *seen_base,
                           dev_status *st) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= c.n) return;
    uint32_t *seen = seen_base ? seen_base + (size_t)i * L.words : nullptr;
    ccx_env_fault f;
    if (ccx_env_check_item(state, tmpl, &L, &c, i, marks, seen, &f)) atomicMin(&st->cur, i);
}

// One thread: word the first fault (the same check the cpu backend runs),
// latch it under CCX_ENV_DEFER. Runs after the apply kernel, which changed
// nothing if there was a fault, so the check sees the state it saw before.
__global__ void k_record(const uint32_t *state, const uint32_t *tmpl, ccx_env_layout L,
                         ccx_env_call c, const int32_t *marks, uint32_t *seen_base,
                         dev_status *st, int defer) {
    if (threadIdx.x || blockIdx.x || st->cur == NONE) return;
    const int i = st->cur;
    uint32_t *seen = nullptr;
    if (seen_base) {
        seen = seen_base + (size_t)i * L.words;
        for (int w = 0; w < L.words; w++) seen[w] = 0u;
    }
    ccx_env_fault f;
    memset(&f, 0, sizeof f);
    ccx_env_check_item(state, tmpl, &L, &c, i, marks, seen, &f);
    st->cur_fault = f;
    if (defer && !st->has_latched) {
        st->latched = f;
        st->has_latched = 1;
    }
}

template <int W>
__global__ void k_step(uint32_t *state, const uint32_t *tmpl, const int32_t *tabs, ccx_env_layout L,
                       const int32_t *actions, int64_t *cost, uint8_t *done, uint32_t flags,
                       const dev_status *st) {
    if (refused(st)) return;
    const int b = warp_global(WARPS), lane = lane_id();
    if (b >= L.n_envs) return;
    uint32_t *slab = ccx_env_slab(state, &L, b);
    ccx_env_header *h = ccx_env_hdr(slab, &L);
    const int32_t a = actions[b];
    int rem = h->remaining;
    int64_t c = 0;
    if (a != CCX_ENV_SKIP) {
        const int j = (flags & CCX_ENV_NODE_ACTIONS) ? a : h->n_inputs + a - 1;
        c = warp_play<W>(slab, L, tabs, j, lane);
        rem -= 1;
        if (lane == 0) {
            ccx_env_kind(slab, &L)[j] = CCX_KIND_ELIMINATED;
            h->remaining = rem;
            h->cost = ccx_rec_cost_add(h->cost, c);
        }
    }
    const int d = rem == 0;
    if (d && (flags & CCX_ENV_AUTO_RESET)) {
        __syncwarp();
        const int g = slab_graph(slab, L, lane);
        warp_copy(slab, tmpl + (size_t)g * L.slab_words, L.slab_words, lane);
    }
    if (lane == 0) {
        if (cost) cost[b] = c;
        if (done) done[b] = (uint8_t)d;
    }
}

__global__ void k_legal_mask(const uint32_t *state, ccx_env_layout L, const int32_t *ids, int n,
                             uint8_t *mask, const dev_status *st) {
    if (refused(st)) return;
    const size_t total = (size_t)n * L.n_pad;
    for (size_t q = (size_t)blockIdx.x * blockDim.x + threadIdx.x; q < total;
         q += (size_t)gridDim.x * blockDim.x) {
        const int i = (int)(q / L.n_pad), v = (int)(q % L.n_pad);
        const uint8_t *kind = ccx_env_ckind(ccx_env_cslab(state, &L, ids ? ids[i] : i), &L);
        mask[q] = kind[v] == CCX_KIND_INTERMEDIATE;
    }
}

// 4 bits -> 4 bytes 0/1, byte k = bit k (little endian)
__device__ __forceinline__ uint32_t expand4(uint32_t nib) {
    return (nib & 1u) | ((nib & 2u) << 7) | ((nib & 4u) << 14) | ((nib & 8u) << 21);
}

// one block per listed env
__global__ void k_observe(const uint32_t *state, ccx_env_layout L, const uint8_t *ops,
                          const int32_t *tabs, const int32_t *ids, float *features, uint8_t *adjacency,
                          const dev_status *st) {
    if (refused(st)) return;
    const int i = blockIdx.x;
    const uint32_t *slab = ccx_env_cslab(state, &L, ids ? ids[i] : i);
    if (features) {
        const int g = ccx_env_chdr(slab, &L)->graph;
        const uint8_t *row_ops = ops + (size_t)g * L.n_pad;
        const int32_t *tab = tabs ? tabs + (size_t)g * L.tab_words : nullptr;
        float *out = features + (size_t)i * L.n_pad * CCX_OBS_FEATURES;
        for (int v = threadIdx.x; v < L.n_pad; v += blockDim.x) {
            float f[CCX_OBS_FEATURES];
            ccx_env_node_features(slab, &L, row_ops, tab, v, f);
#pragma unroll
            for (int k = 0; k < CCX_OBS_FEATURES; k++) out[(size_t)v * CCX_OBS_FEATURES + k] = f[k];
        }
    }
    if (adjacency && ccx_env_chdr(slab, &L)->rule != CCX_ENV_RULE_BITSET) {
        // records or the real model: 1 + the edge's type group, byte by byte
        uint8_t *adj = adjacency + (size_t)i * L.n_pad * L.n_pad;
        const int32_t *tab = tabs + (size_t)ccx_env_chdr(slab, &L)->graph * L.tab_words;
        for (int q = threadIdx.x; q < L.n_pad * L.n_pad; q += blockDim.x)
            adj[q] = ccx_env_adjacency_value(slab, &L, tab, q / L.n_pad, q % L.n_pad);
    } else if (adjacency) {
        const uint32_t *succs = slab + L.off_succs;
        uint8_t *adj = adjacency + (size_t)i * L.n_pad * L.n_pad;
        const int chunks = L.n_pad / 16;  // 16 columns = one uint4 store
        for (int q = threadIdx.x; q < L.n_pad * chunks; q += blockDim.x) {
            const int row = q / chunks, col0 = (q % chunks) * 16;
            const uint32_t b16 = (succs[(size_t)row * L.words + (col0 >> 5)] >> (col0 & 31)) & 0xffffu;
            uint4 v;
            v.x = expand4(b16 & 15u);
            v.y = expand4((b16 >> 4) & 15u);
            v.z = expand4((b16 >> 8) & 15u);
            v.w = expand4(b16 >> 12);
            *reinterpret_cast<uint4 *>(adj + (size_t)row * L.n_pad + col0) = v;
        }
    }
}

__global__ void k_get_info(const uint32_t *state, ccx_env_layout L, int64_t *cost,
                           int32_t *remaining, int32_t *graph) {
    const int b = blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= L.n_envs) return;
    const ccx_env_header *h = ccx_env_chdr(ccx_env_cslab(state, &L, b), &L);
    if (cost) cost[b] = h->cost;
    if (remaining) remaining[b] = h->remaining;
    if (graph) graph[b] = h->graph;
}

__global__ void k_snapshot(const uint32_t *state, ccx_env_layout L, const int32_t *ids, int n,
                           uint32_t *buf, const dev_status *st) {
    if (refused(st)) return;
    const int i = warp_global(WARPS), lane = lane_id();
    if (i >= n) return;
    warp_copy(buf + (size_t)i * L.slab_words, ccx_env_cslab(state, &L, ids ? ids[i] : i),
              L.slab_words, lane);
}

__global__ void k_restore(uint32_t *state, ccx_env_layout L, const int32_t *ids, int n,
                          const uint32_t *buf, const dev_status *st) {
    if (refused(st)) return;
    const int i = warp_global(WARPS), lane = lane_id();
    if (i >= n) return;
    warp_copy(ccx_env_slab(state, &L, ids ? ids[i] : i), buf + (size_t)i * L.slab_words,
              L.slab_words, lane);
}

template <int W>
__global__ void k_set_eliminated(uint32_t *state, const uint32_t *tmpl, const int32_t *tabs,
                                 ccx_env_layout L,
                                 const int32_t *ids, int n, const uint32_t *sets,
                                 const int64_t *costs, const dev_status *st) {
    if (refused(st)) return;
    const int i = warp_global(WARPS), lane = lane_id();
    if (i >= n) return;
    uint32_t *slab = ccx_env_slab(state, &L, ids ? ids[i] : i);
    const int g = slab_graph(slab, L, lane);
    warp_copy(slab, tmpl + (size_t)g * L.slab_words, L.slab_words, lane);
    __syncwarp();
    ccx_env_header *h = ccx_env_hdr(slab, &L);
    const int n_in = h->n_inputs;
    int rem = h->remaining;
    const uint32_t *row = sets + (size_t)i * L.words;
    for (int w = 0; w < L.words; w++) {
        for (uint32_t bits = row[w]; bits; bits &= bits - 1) {
            const int j = n_in + w * 32 + __ffs(bits) - 1;
            warp_play<W>(slab, L, tabs, j, lane);
            if (lane == 0) ccx_env_kind(slab, &L)[j] = CCX_KIND_ELIMINATED;
            rem--;
        }
    }
    __syncwarp();
    if (lane == 0) {
        h->remaining = rem;
        h->cost = costs ? costs[i] : 0;
    }
}

__global__ void k_get_eliminated(const uint32_t *state, ccx_env_layout L, const int32_t *ids,
                                 int n, uint32_t *sets, const dev_status *st) {
    if (refused(st)) return;
    const int i = warp_global(WARPS), lane = lane_id();
    if (i >= n) return;
    const uint32_t *slab = ccx_env_cslab(state, &L, ids ? ids[i] : i);
    const ccx_env_header *h = ccx_env_chdr(slab, &L);
    const uint8_t *kind = ccx_env_ckind(slab, &L);
    for (int u = lane; u < L.words; u += 32) {
        uint32_t bits = 0;
        for (int k = 0; k < 32; k++) {
            const int v = u * 32 + k;
            if (v < h->n_vertices && kind[h->n_inputs + v] == CCX_KIND_ELIMINATED) bits |= 1u << k;
        }
        sets[(size_t)i * L.words + u] = bits;
    }
}

// Per-warp shared-memory region of the fused kernels: slab, then a legal
// bitset of `words` words, rounded up to 16 bytes.
__host__ __device__ __forceinline__ size_t fused_region_words(const ccx_env_layout &L) {
    return ((size_t)L.slab_words + (size_t)L.words + 3) / 4 * 4;
}

template <int W>
__global__ void k_play_random(uint32_t *state, const int32_t *tabs, ccx_env_layout L,
                              const uint8_t *mask,
                              unsigned long long seed, int32_t *actions_out, uint32_t *scratch,
                              int use_smem) {
    extern __shared__ uint4 smem_raw[];
    const int wpb = blockDim.x >> 5;
    const int b = warp_global(wpb), lane = lane_id();
    if (b >= L.n_envs || (mask && !mask[b])) return;
    uint32_t *gslab = ccx_env_slab(state, &L, b);
    uint32_t *slab = gslab, *legal = scratch + (size_t)b * L.words;
    if (use_smem) {
        slab = reinterpret_cast<uint32_t *>(smem_raw) + (threadIdx.x >> 5) * fused_region_words(L);
        legal = slab + L.slab_words;
        warp_copy(slab, gslab, L.slab_words, lane);
        __syncwarp();
    }
    ccx_env_header *h = ccx_env_hdr(slab, &L);
    uint8_t *kind = ccx_env_kind(slab, &L);
    const int n_in = h->n_inputs;
    int rem = h->remaining;
    for (int u = lane; u < L.words; u += 32) {
        uint32_t bits = 0;
        for (int k = 0; k < 32; k++) bits |= (uint32_t)(kind[u * 32 + k] == CCX_KIND_INTERMEDIATE) << k;
        legal[u] = bits;
    }
    __syncwarp();
    curandStatePhilox4_32_10_t rng;
    curand_init(seed, (unsigned long long)b, 0ull, &rng);
    int64_t total = 0;
    int t = 0;
    int32_t *out = actions_out ? actions_out + (size_t)b * L.n_pad : nullptr;
    while (rem > 0) {
        const uint32_t r = curand(&rng);
        const int j = warp_select(legal, L.words, __umulhi(r, (uint32_t)rem), lane);
        if (j < 0) break;  // inconsistent state (remaining > legal count)
        total = ccx_rec_cost_add(total, warp_play<W>(slab, L, tabs, j, lane));
        if (lane == 0) {
            legal[j >> 5] &= ~(1u << (j & 31));
            kind[j] = CCX_KIND_ELIMINATED;
            if (out) out[t] = j - n_in + 1;
        }
        rem--;
        t++;
        __syncwarp();
    }
    if (lane == 0) {
        h->remaining = rem;
        h->cost = ccx_rec_cost_add(h->cost, total);
    }
    if (out)
        for (int k = t + lane; k < L.n_pad; k += 32) out[k] = 0;
    __syncwarp();
    if (use_smem) warp_copy(gslab, slab, L.slab_words, lane);
}

template <int W>
__global__ void k_play_orders(uint32_t *state, const int32_t *tabs, ccx_env_layout L,
                              const uint8_t *mask,
                              const int32_t *orders, uint32_t flags, int use_smem,
                              const dev_status *st) {
    extern __shared__ uint4 smem_raw[];
    if (refused(st)) return;
    const int wpb = blockDim.x >> 5;
    const int b = warp_global(wpb), lane = lane_id();
    if (b >= L.n_envs || (mask && !mask[b])) return;
    uint32_t *gslab = ccx_env_slab(state, &L, b);
    uint32_t *slab = gslab;
    if (use_smem) {
        slab = reinterpret_cast<uint32_t *>(smem_raw) + (threadIdx.x >> 5) * fused_region_words(L);
        warp_copy(slab, gslab, L.slab_words, lane);
        __syncwarp();
    }
    ccx_env_header *h = ccx_env_hdr(slab, &L);
    uint8_t *kind = ccx_env_kind(slab, &L);
    const int n_in = h->n_inputs, rem = h->remaining;
    // Every lane has read the header before lane 0 rewrites it below: with
    // rem == 0 the loop (and its __syncwarp) is skipped, and lane 0's write of
    // h->remaining would race with the other lanes' read (racecheck hazard).
    __syncwarp();
    const int32_t *row = orders + (size_t)b * L.n_pad;
    int64_t total = 0;
    for (int t = 0; t < rem; t++) {
        const int32_t a = row[t];
        const int j = (flags & CCX_ENV_NODE_ACTIONS) ? a : n_in + a - 1;
        total = ccx_rec_cost_add(total, warp_play<W>(slab, L, tabs, j, lane));
        if (lane == 0) kind[j] = CCX_KIND_ELIMINATED;
        __syncwarp();
    }
    if (lane == 0) {
        h->remaining = 0;
        h->cost = ccx_rec_cost_add(h->cost, total);
    }
    __syncwarp();
    if (use_smem) warp_copy(gslab, slab, L.slab_words, lane);
}

// Launch kern<W> for the row lengths with unrolled copies, else kern<0>.
#define LAUNCH_W(kern, words, grid, block, smem, stream, ...)                              \
    do {                                                                                   \
        switch (words) {                                                                   \
        case 1: kern<1><<<grid, block, smem, stream>>>(__VA_ARGS__); break;                \
        case 2: kern<2><<<grid, block, smem, stream>>>(__VA_ARGS__); break;                \
        case 3: kern<3><<<grid, block, smem, stream>>>(__VA_ARGS__); break;                \
        case 4: kern<4><<<grid, block, smem, stream>>>(__VA_ARGS__); break;                \
        case 6: kern<6><<<grid, block, smem, stream>>>(__VA_ARGS__); break;                \
        case 8: kern<8><<<grid, block, smem, stream>>>(__VA_ARGS__); break;                \
        default: kern<0><<<grid, block, smem, stream>>>(__VA_ARGS__); break;               \
        }                                                                                  \
    } while (0)

#define SET_SMEM_W(kern, words, bytes)                                                      \
    do {                                                                                   \
        const void *kp_;                                                                   \
        switch (words) {                                                                   \
        case 1: kp_ = (const void *)kern<1>; break;                                        \
        case 2: kp_ = (const void *)kern<2>; break;                                        \
        case 3: kp_ = (const void *)kern<3>; break;                                        \
        case 4: kp_ = (const void *)kern<4>; break;                                        \
        case 6: kp_ = (const void *)kern<6>; break;                                        \
        case 8: kp_ = (const void *)kern<8>; break;                                        \
        default: kp_ = (const void *)kern<0>; break;                                       \
        }                                                                                  \
        CK(cudaFuncSetAttribute(kp_, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)(bytes))); \
    } while (0)

// Warps per block and shared memory of the fused kernels: stage slabs in
// shared memory when at least one fits, up to 4 envs per block.
void fused_config(const cuda_impl *c, const ccx_env_layout &L, int *wpb, size_t *smem) {
    const size_t per = fused_region_words(L) * sizeof(uint32_t);
    for (int w = 4; w >= 1; w /= 2) {
        if ((size_t)w * per <= (size_t)c->smem_optin && (w == 1 || (size_t)w * per <= 100 * 1024)) {
            *wpb = w;
            *smem = (size_t)w * per;
            return;
        }
    }
    *wpb = WARPS;
    *smem = 0;
}

// ------------------------------------------------------- checked calls ----

// Before the apply kernel: clear the status, compute id marks / zero seen
// rows if the call needs them, run the validate kernel.
int pre_check(ccx_env *e, const ccx_env_call &call, bool writes_states, bool uses_seen,
              int32_t **marks, uint32_t **seen, ccx_error *err) {
    cuda_impl *c = impl_of(e);
    const ccx_env_layout &L = e->L;
    cudaStream_t s = c->stream;
    *marks = nullptr;
    *seen = nullptr;
    CK(cudaMemsetAsync(&c->d_status->cur, 0x7f, sizeof(int32_t), s));
    if (writes_states) {
        *marks = reinterpret_cast<int32_t *>(c->d_scratch);
        CK(cudaMemsetAsync(*marks, 0x7f, (size_t)L.n_envs * sizeof(int32_t), s));
        if (call.n > 0) {
            k_marks<<<blocks_for(call.n, THREADS), THREADS, 0, s>>>(call.items, call.n, L.n_envs, *marks);
            CK(cudaGetLastError());
        }
    }
    if (uses_seen) {
        *seen = c->d_scratch;
        CK(cudaMemsetAsync(*seen, 0, (size_t)L.n_envs * L.words * sizeof(uint32_t), s));
    }
    if (call.n > 0) {
        k_validate<<<blocks_for(call.n, THREADS), THREADS, 0, s>>>(e->state, c->d_tmpl, L, call,
                                                                  *marks, *seen, c->d_status);
        CK(cudaGetLastError());
    }
    return 0;
}

// After the apply kernel: word/latch the fault on the device; without
// CCX_ENV_DEFER read the status back and report.
int post_check(ccx_env *e, const ccx_env_call &call, int32_t *marks, uint32_t *seen,
               ccx_error *err) {
    cuda_impl *c = impl_of(e);
    cudaStream_t s = c->stream;
    const int defer = (call.flags & CCX_ENV_DEFER) != 0;
    k_record<<<1, 1, 0, s>>>(e->state, c->d_tmpl, e->L, call, marks, seen, c->d_status, defer);
    CK(cudaGetLastError());
    if (defer) return 0;
    CK(cudaMemcpyAsync(&c->h_status, c->d_status, sizeof(dev_status), cudaMemcpyDeviceToHost, s));
    CK(cudaStreamSynchronize(s));
    if (c->h_status.has_latched) {
        CK(cudaMemsetAsync(&c->d_status->has_latched, 0, sizeof(int32_t), s));
        CK(cudaStreamSynchronize(s));
        return ccx_env_fault_message(e, &c->h_status.latched, err);
    }
    if (c->h_status.cur != NONE) return ccx_env_fault_message(e, &c->h_status.cur_fault, err);
    return 0;
}

ccx_env_call make_call(ccx_env_op op, unsigned flags, int n, const int32_t *items,
                       const int32_t *orders, const uint32_t *sets, const uint8_t *mask) {
    ccx_env_call c;
    c.op = op;
    c.flags = flags;
    c.n = n;
    c.items = items;
    c.orders = orders;
    c.sets = sets;
    c.mask = mask;
    return c;
}

// ------------------------------------------------------------ backend ----

void cuda_destroy(ccx_env *e) {
    cuda_impl *c = impl_of(e);
    if (!c) return;
    // teardown: report nothing, free everything
    if (c->stream) (void)cudaStreamSynchronize(c->stream);
    (void)cudaFree(e->state);
    (void)cudaFree(c->d_tmpl);
    (void)cudaFree(c->d_ops);
    (void)cudaFree(c->d_tabs);
    (void)cudaFree(c->d_scratch);
    (void)cudaFree(c->d_status);
    if (c->stream) (void)cudaStreamDestroy(c->stream);
    (void)cudaGetLastError();
    delete c;
    e->impl = nullptr;
    e->state = nullptr;
    e->stream = nullptr;
}

int cuda_init_inner(ccx_env *e, const int32_t *goe, ccx_error *err) {
    cuda_impl *c = impl_of(e);
    const ccx_env_layout &L = e->L;
    int n_dev = 0;
    cudaError_t ce = cudaGetDeviceCount(&n_dev);
    if (ce != cudaSuccess || n_dev == 0) {
        (void)cudaGetLastError();
        return ccx_error_set(err, "backend cuda: no CUDA device answers (%s)",
                             ce != cudaSuccess ? cudaGetErrorString(ce) : "device count 0");
    }
    int dev = 0;
    CK(cudaGetDevice(&dev));
    CK(cudaDeviceGetAttribute(&c->smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
    CK(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking));
    e->stream = c->stream;
    const size_t slab_bytes = (size_t)L.slab_words * sizeof(uint32_t);
    const size_t state_bytes = (size_t)L.n_envs * slab_bytes;
    ce = cudaMalloc(reinterpret_cast<void **>(&e->state), state_bytes);
    if (ce != cudaSuccess) {
        (void)cudaGetLastError();
        return ccx_error_set(err, "backend cuda: cannot allocate %.2f GiB for %d environments "
                                  "(n_pad %d, %zu bytes each): %s", (double)state_bytes / (1u << 30),
                             L.n_envs, L.n_pad, slab_bytes, cudaGetErrorString(ce));
    }
    CK(cudaMalloc(reinterpret_cast<void **>(&c->d_tmpl), (size_t)L.n_graphs * slab_bytes));
    CK(cudaMalloc(reinterpret_cast<void **>(&c->d_ops), (size_t)L.n_graphs * L.n_pad));
    const size_t tab_bytes = (size_t)L.n_graphs * L.tab_words * sizeof(int32_t);
    if (L.tab_words) CK(cudaMalloc(reinterpret_cast<void **>(&c->d_tabs), tab_bytes));
    CK(cudaMalloc(reinterpret_cast<void **>(&c->d_scratch),
                  (size_t)L.n_envs * (size_t)(L.words > 0 ? L.words : 1) * sizeof(uint32_t)));
    CK(cudaMalloc(reinterpret_cast<void **>(&c->d_status), sizeof(dev_status)));
    CK(cudaMemsetAsync(c->d_status, 0, sizeof(dev_status), c->stream));
    CK(cudaMemsetAsync(&c->d_status->cur, 0x7f, sizeof(int32_t), c->stream));
    CK(cudaMemcpyAsync(c->d_tmpl, e->tmpl, (size_t)L.n_graphs * slab_bytes, cudaMemcpyHostToDevice,
                       c->stream));
    CK(cudaMemcpyAsync(c->d_ops, e->op_rows, (size_t)L.n_graphs * L.n_pad, cudaMemcpyHostToDevice,
                       c->stream));
    if (L.tab_words)
        CK(cudaMemcpyAsync(c->d_tabs, e->tabs, tab_bytes, cudaMemcpyHostToDevice, c->stream));
    int32_t *d_goe = nullptr;
    CK(cudaMalloc(reinterpret_cast<void **>(&d_goe), (size_t)L.n_envs * sizeof(int32_t)));
    ce = cudaMemcpyAsync(d_goe, goe, (size_t)L.n_envs * sizeof(int32_t), cudaMemcpyHostToDevice,
                         c->stream);
    if (ce == cudaSuccess) {
        k_init<<<blocks_for(L.n_envs, WARPS), 32 * WARPS, 0, c->stream>>>(e->state, c->d_tmpl, L, d_goe);
        ce = cudaGetLastError();
    }
    if (ce == cudaSuccess) ce = cudaStreamSynchronize(c->stream);
    (void)cudaFree(d_goe);
    if (ce != cudaSuccess) return ccx_cuda_fail(err, __FILE__, __LINE__, "initialising the env states", ce);
    return 0;
}

int cuda_init(ccx_env *e, const int32_t *goe, ccx_error *err) {
    Nvtx r("ccx env create");
    cuda_impl *c = new (std::nothrow) cuda_impl;
    if (!c) return ccx_error_set(err, "out of memory");
    memset(c, 0, sizeof *c);
    e->impl = c;
    if (cuda_init_inner(e, goe, err)) {
        cuda_destroy(e);
        return -1;
    }
    return 0;
}

void *cuda_buf_alloc(const ccx_env *e, size_t bytes, ccx_error *err) {
    void *p = nullptr;
    cudaError_t ce = cudaMalloc(&p, bytes ? bytes : 256);
    if (ce == cudaSuccess) ce = cudaMemsetAsync(p, 0, bytes ? bytes : 256, impl_of(e)->stream);
    if (ce == cudaSuccess) ce = cudaStreamSynchronize(impl_of(e)->stream);
    if (ce != cudaSuccess) {
        (void)cudaGetLastError();
        if (p) (void)cudaFree(p);
        ccx_error_set(err, "cannot allocate %zu bytes of device memory: %s", bytes,
                      cudaGetErrorString(ce));
        return nullptr;
    }
    return p;
}

void cuda_buf_free(const ccx_env *e, void *buf) {
    (void)cudaStreamSynchronize(impl_of(e)->stream);
    (void)cudaFree(buf);
}

int cuda_upload(const ccx_env *e, void *dst, const void *src, size_t bytes, ccx_error *err) {
    if (check_dev(dst, "upload destination", err)) return -1;
    CK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, impl_of(e)->stream));
    CK(cudaStreamSynchronize(impl_of(e)->stream));
    return 0;
}

int cuda_download(const ccx_env *e, void *dst, const void *src, size_t bytes, ccx_error *err) {
    if (check_dev(src, "download source", err)) return -1;
    CK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, impl_of(e)->stream));
    CK(cudaStreamSynchronize(impl_of(e)->stream));
    return 0;
}

int cuda_reset(ccx_env *e, const uint8_t *mask, ccx_error *err) {
    Nvtx r("ccx env reset");
    if (check_dev(mask, "reset mask", err)) return -1;
    cuda_impl *c = impl_of(e);
    k_reset<<<blocks_for(e->L.n_envs, WARPS), 32 * WARPS, 0, c->stream>>>(e->state, c->d_tmpl, e->L, mask);
    CK(cudaGetLastError());
    return 0;
}

int cuda_step(ccx_env *e, const int32_t *actions, int64_t *cost, uint8_t *done, unsigned flags,
              ccx_error *err) {
    Nvtx r("ccx env step");
    if (check_dev(actions, "step actions", err) || check_dev(cost, "step cost", err) ||
        check_dev(done, "step done", err))
        return -1;
    cuda_impl *c = impl_of(e);
    const ccx_env_layout &L = e->L;
    ccx_env_call call = make_call(CCX_ENV_OP_STEP, flags, L.n_envs, actions, nullptr, nullptr, nullptr);
    int32_t *marks;
    uint32_t *seen;
    if (pre_check(e, call, false, false, &marks, &seen, err)) return -1;
    LAUNCH_W(k_step, L.words, blocks_for(L.n_envs, WARPS), 32 * WARPS, 0, c->stream, e->state,
             c->d_tmpl, c->d_tabs, L, actions, cost, done, (uint32_t)flags, c->d_status);
    CK(cudaGetLastError());
    return post_check(e, call, marks, seen, err);
}

int cuda_legal_mask(ccx_env *e, const int32_t *ids, int n, uint8_t *mask, unsigned flags,
                    ccx_error *err) {
    Nvtx r("ccx env legal_mask");
    if (check_dev(ids, "legal_mask ids", err) || check_dev(mask, "legal_mask mask", err)) return -1;
    cuda_impl *c = impl_of(e);
    ccx_env_call call = make_call(CCX_ENV_OP_LEGAL_MASK, flags, n, ids, nullptr, nullptr, nullptr);
    int32_t *marks;
    uint32_t *seen;
    if (pre_check(e, call, false, false, &marks, &seen, err)) return -1;
    const size_t total = (size_t)n * e->L.n_pad;
    if (total) {
        unsigned grid = blocks_for(total, THREADS);
        if (grid > 65535u * 16u) grid = 65535u * 16u;
        k_legal_mask<<<grid, THREADS, 0, c->stream>>>(e->state, e->L, ids, n, mask, c->d_status);
        CK(cudaGetLastError());
    }
    return post_check(e, call, marks, seen, err);
}

int cuda_observe(ccx_env *e, const int32_t *ids, int n, float *features, uint8_t *adjacency,
                 unsigned flags, ccx_error *err) {
    Nvtx r("ccx env observe");
    if (check_dev(ids, "observe ids", err) || check_dev(features, "observe features", err) ||
        check_dev(adjacency, "observe adjacency", err))
        return -1;
    cuda_impl *c = impl_of(e);
    ccx_env_call call = make_call(CCX_ENV_OP_OBSERVE, flags, n, ids, nullptr, nullptr, nullptr);
    int32_t *marks;
    uint32_t *seen;
    if (pre_check(e, call, false, false, &marks, &seen, err)) return -1;
    if (n > 0 && (features || adjacency)) {
        k_observe<<<n, 128, 0, c->stream>>>(e->state, e->L, c->d_ops, c->d_tabs, ids, features, adjacency,
                                            c->d_status);
        CK(cudaGetLastError());
    }
    return post_check(e, call, marks, seen, err);
}

int cuda_get_info(ccx_env *e, int64_t *cost, int32_t *remaining, int32_t *graph, ccx_error *err) {
    if (check_dev(cost, "get_info cost", err) || check_dev(remaining, "get_info remaining", err) ||
        check_dev(graph, "get_info graph", err))
        return -1;
    k_get_info<<<blocks_for(e->L.n_envs, THREADS), THREADS, 0, impl_of(e)->stream>>>(
        e->state, e->L, cost, remaining, graph);
    CK(cudaGetLastError());
    return 0;
}

int cuda_snapshot(ccx_env *e, const int32_t *ids, int n, uint32_t *buf, unsigned flags,
                  ccx_error *err) {
    Nvtx r("ccx env snapshot");
    if (check_dev(ids, "snapshot ids", err) || check_dev(buf, "snapshot buf", err)) return -1;
    cuda_impl *c = impl_of(e);
    ccx_env_call call = make_call(CCX_ENV_OP_SNAPSHOT, flags, n, ids, nullptr, nullptr, nullptr);
    int32_t *marks;
    uint32_t *seen;
    if (pre_check(e, call, false, false, &marks, &seen, err)) return -1;
    if (n > 0) {
        k_snapshot<<<blocks_for(n, WARPS), 32 * WARPS, 0, c->stream>>>(e->state, e->L, ids, n, buf,
                                                                       c->d_status);
        CK(cudaGetLastError());
    }
    return post_check(e, call, marks, seen, err);
}

int cuda_restore(ccx_env *e, const int32_t *ids, int n, const uint32_t *buf, unsigned flags,
                 ccx_error *err) {
    Nvtx r("ccx env restore");
    if (check_dev(ids, "restore ids", err) || check_dev(buf, "restore buf", err)) return -1;
    cuda_impl *c = impl_of(e);
    ccx_env_call call = make_call(CCX_ENV_OP_RESTORE, flags, n, ids, nullptr, buf, nullptr);
    int32_t *marks;
    uint32_t *seen;
    if (pre_check(e, call, true, false, &marks, &seen, err)) return -1;
    if (n > 0) {
        k_restore<<<blocks_for(n, WARPS), 32 * WARPS, 0, c->stream>>>(e->state, e->L, ids, n, buf,
                                                                      c->d_status);
        CK(cudaGetLastError());
    }
    return post_check(e, call, marks, seen, err);
}

int cuda_set_eliminated(ccx_env *e, const int32_t *ids, int n, const uint32_t *sets,
                        const int64_t *costs, unsigned flags, ccx_error *err) {
    Nvtx r("ccx env set_state_from_eliminated_set");
    if (check_dev(ids, "set_state ids", err) || check_dev(sets, "set_state sets", err) ||
        check_dev(costs, "set_state costs", err))
        return -1;
    cuda_impl *c = impl_of(e);
    const ccx_env_layout &L = e->L;
    ccx_env_call call = make_call(CCX_ENV_OP_SET_ELIMINATED, flags, n, ids, nullptr, sets, nullptr);
    int32_t *marks;
    uint32_t *seen;
    if (pre_check(e, call, true, false, &marks, &seen, err)) return -1;
    if (n > 0) {
        LAUNCH_W(k_set_eliminated, L.words, blocks_for(n, WARPS), 32 * WARPS, 0, c->stream,
                 e->state, c->d_tmpl, c->d_tabs, L, ids, n, sets, costs, c->d_status);
        CK(cudaGetLastError());
    }
    return post_check(e, call, marks, seen, err);
}

int cuda_get_eliminated(ccx_env *e, const int32_t *ids, int n, uint32_t *sets, unsigned flags,
                        ccx_error *err) {
    Nvtx r("ccx env get_eliminated_set");
    if (check_dev(ids, "get_eliminated_set ids", err) || check_dev(sets, "get_eliminated_set sets", err))
        return -1;
    cuda_impl *c = impl_of(e);
    ccx_env_call call = make_call(CCX_ENV_OP_GET_ELIMINATED, flags, n, ids, nullptr, nullptr, nullptr);
    int32_t *marks;
    uint32_t *seen;
    if (pre_check(e, call, false, false, &marks, &seen, err)) return -1;
    if (n > 0) {
        k_get_eliminated<<<blocks_for(n, WARPS), 32 * WARPS, 0, c->stream>>>(e->state, e->L, ids, n,
                                                                             sets, c->d_status);
        CK(cudaGetLastError());
    }
    return post_check(e, call, marks, seen, err);
}

int cuda_play_random(ccx_env *e, const uint8_t *mask, uint64_t seed, int32_t *actions_out,
                     ccx_error *err) {
    Nvtx r("ccx env play_random");
    if (check_dev(mask, "play_random mask", err) || check_dev(actions_out, "play_random actions_out", err))
        return -1;
    cuda_impl *c = impl_of(e);
    const ccx_env_layout &L = e->L;
    int wpb;
    size_t smem;
    fused_config(c, L, &wpb, &smem);
    if (smem > 48 * 1024) SET_SMEM_W(k_play_random, L.words, smem);
    LAUNCH_W(k_play_random, L.words, blocks_for(L.n_envs, wpb), 32 * wpb, smem, c->stream, e->state,
             c->d_tabs, L, mask, (unsigned long long)seed, actions_out, c->d_scratch, smem > 0 ? 1 : 0);
    CK(cudaGetLastError());
    return 0;
}

int cuda_play_orders(ccx_env *e, const uint8_t *mask, const int32_t *orders, unsigned flags,
                     ccx_error *err) {
    Nvtx r("ccx env play_orders");
    if (check_dev(mask, "play_orders mask", err) || check_dev(orders, "play_orders orders", err))
        return -1;
    cuda_impl *c = impl_of(e);
    const ccx_env_layout &L = e->L;
    ccx_env_call call = make_call(CCX_ENV_OP_PLAY_ORDERS, flags, L.n_envs, nullptr, orders, nullptr, mask);
    int32_t *marks;
    uint32_t *seen;
    if (pre_check(e, call, false, true, &marks, &seen, err)) return -1;
    int wpb;
    size_t smem;
    fused_config(c, L, &wpb, &smem);
    if (smem > 48 * 1024) SET_SMEM_W(k_play_orders, L.words, smem);
    LAUNCH_W(k_play_orders, L.words, blocks_for(L.n_envs, wpb), 32 * wpb, smem, c->stream, e->state,
             c->d_tabs, L, mask, orders, (uint32_t)flags, smem > 0 ? 1 : 0, c->d_status);
    CK(cudaGetLastError());
    return post_check(e, call, marks, seen, err);
}

int cuda_sync(ccx_env *e, ccx_error *err) {
    cuda_impl *c = impl_of(e);
    CK(cudaMemcpyAsync(&c->h_status, c->d_status, sizeof(dev_status), cudaMemcpyDeviceToHost,
                       c->stream));
    CK(cudaStreamSynchronize(c->stream));
    if (!c->h_status.has_latched) return 0;
    CK(cudaMemsetAsync(&c->d_status->has_latched, 0, sizeof(int32_t), c->stream));
    CK(cudaStreamSynchronize(c->stream));
    return ccx_env_fault_message(e, &c->h_status.latched, err);
}

double cuda_peak_bandwidth(const ccx_env *e, char *desc, size_t desc_size) {
    (void)e;
    int dev = 0, clock_khz = 0, bus_bits = 0;
    cudaDeviceProp p;
    if (cudaGetDevice(&dev) != cudaSuccess ||
        cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, dev) != cudaSuccess ||
        cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, dev) != cudaSuccess ||
        cudaGetDeviceProperties(&p, dev) != cudaSuccess) {
        (void)cudaGetLastError();
        if (desc && desc_size) snprintf(desc, desc_size, "cuda: device attributes unavailable");
        return 0.0;
    }
    // DDR: two transfers per memory clock
    double peak = 2.0 * (double)clock_khz * 1e3 * (double)bus_bits / 8.0;
    if (desc && desc_size)
        snprintf(desc, desc_size, "%s: memory clock %d MHz x %d-bit bus x 2 = %.0f GB/s", p.name,
                 clock_khz / 1000, bus_bits, peak / 1e9);
    return peak;
}

}  // namespace

extern "C" const ccx_env_backend_ops ccx_env_cuda_ops = {
    cuda_init,         cuda_destroy,        cuda_buf_alloc,   cuda_buf_free,
    cuda_upload,       cuda_download,       cuda_reset,       cuda_step,
    cuda_legal_mask,   cuda_observe,        cuda_get_info,    cuda_snapshot,
    cuda_restore,      cuda_set_eliminated, cuda_get_eliminated, cuda_play_random,
    cuda_play_orders,  cuda_sync,           cuda_peak_bandwidth,
};
