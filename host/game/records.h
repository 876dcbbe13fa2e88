/* The record rule of tensor graphs (docs/tensor_model.md §2), one definition for
 * the single-game reference (game/game.c), the batched CPU environments
 * (env/env_cpu.c) and the CUDA environments (cuda/env_kernels.cu, one lane
 * per predecessor row). Like graph/sparsity.h, whose tables it reads, the
 * functions here are __device__ under nvcc and plain inline C elsewhere.
 *
 * A tensor graph's state is the bitset adjacency of game/eliminate.h plus a
 * dense padded record matrix rec [N][N] of ccx_rec, row = source, column =
 * target (type and variant side by side: one cache line per record):
 *   type  int8   sparsity type of edge r -> c (0: no edge)
 *   var   uint8  which of source r's primal-dim variants the record carries:
 *                pdims[pvar_off[r] + var]
 * and three per-graph tables that never change during a game:
 *   shape    [N][2]     record dims of each node (its in-edges' out dims)
 *   pvar_off [N + 1]    start of node r's primal-dim variants in pdims
 *   pdims    [..][2]    the variants
 *
 * Eliminating j: for every p in P(j), s in S(j) the pair costs
 * ccx_sp_pair_cost(p->j, j->s) and writes p->s = ADD[p->s][MUL[p->j][j->s]]
 * carrying p->j's primal dims; then the records p->j and j->s are cleared
 * and the bitsets updated (ccx_eliminate_rows / warp_eliminate). Rows p and
 * columns s are never row or column j (the graph is a DAG), so the records
 * read are never the ones written, and distinct pairs write distinct cells:
 * pairs may run in any order or in parallel. */
#ifndef CCX_GAME_RECORDS_H
#define CCX_GAME_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "graph/sparsity.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The pair loop's functions are inlined into each caller, so a constant
 * `apply` gives each its own branch-free copy (as CCX_DEV on the device). */
#if defined(__CUDACC__)
#define CCX_REC_HOT CCX_DEV
#else
#define CCX_REC_HOT static inline __attribute__((always_inline))
#endif

/* One record cell. */
typedef struct {
    int8_t type;
    uint8_t var;
} ccx_rec;

typedef struct {
    const int32_t *shape;    /* [N][2] */
    const int32_t *pvar_off; /* [N + 1] */
    const int32_t *pdims;    /* [variants][2] */
} ccx_rec_tables;

/* The tables packed in one int32 row (the batched environments keep one
 * such row per graph): shape at 0, pvar_off at 2N, pdims at 3N + 1. */
CCX_DEV ccx_rec_tables ccx_rec_tables_of_row(const int32_t *row, int N) {
    ccx_rec_tables t;
    t.shape = row;
    t.pvar_off = row + 2 * N;
    t.pdims = row + 3 * N + 1;
    return t;
}

CCX_DEV int ccx_rec_ctz(uint32_t x) {
#if defined(__CUDA_ARCH__)
    return __ffs((int)x) - 1;
#else
    return __builtin_ctz(x);
#endif
}

/* The primal dims edge r -> c carries. */
CCX_REC_HOT const int32_t *ccx_rec_pdims(const ccx_rec_tables *t, const ccx_rec *rec, int N,
                                       int r, int c) {
    return t->pdims + 2 * (t->pvar_off[r] + rec[(size_t)r * N + c].var);
}

/* What a pair needs of its successor edge j -> s, read once per successor. */
typedef struct {
    int s, to;          /* the successor and the type of j -> s */
    const int32_t *sd;  /* s's record dims (the out dims of j -> s) */
    const int32_t *vd;  /* the primal dims of j -> s */
} ccx_rec_succ;

CCX_REC_HOT ccx_rec_succ ccx_rec_succ_of(const ccx_rec *rec, int N, const ccx_rec_tables *t, int j,
                                       int s) {
    ccx_rec_succ o;
    o.s = s;
    o.to = rec[(size_t)j * N + s].type;
    o.sd = t->shape + 2 * s;
    o.vd = ccx_rec_pdims(t, rec, N, j, s);
    return o;
}

/* One pair p -> j -> s (successor o): its cost, and with apply its fill-in
 * record. */
CCX_REC_HOT int64_t ccx_rec_pair(ccx_rec *rec, int N, const ccx_rec_tables *t, int p, int j,
                               const ccx_rec_succ *o, int apply) {
    const ccx_rec in = rec[(size_t)p * N + j];
    int64_t c = ccx_sp_pair_cost(in.type, o->to, o->sd, o->vd,
                                 t->pdims + 2 * (t->pvar_off[p] + in.var));
    if (apply) {
        const size_t ps = (size_t)p * N + o->s;
        ccx_rec fill;
        fill.type = (int8_t)ccx_sp_add(rec[ps].type, ccx_sp_mul(in.type, o->to));
        fill.var = in.var;
        rec[ps] = fill;
    }
    return c;
}

/* Costs saturate here (never reached by a real graph: shapes hold at most
 * CCX_SHAPE_MAX_ELEMENTS elements, so one pair costs at most 2^60). */
#define CCX_COST_MAX ((int64_t)1 << 62)

/* Saturating sum of costs >= 0: min(a + b, CCX_COST_MAX), so a sum in any
 * order (lanes of a warp, threads) is min(total, CCX_COST_MAX). */
CCX_REC_HOT int64_t ccx_rec_cost_add(int64_t a, int64_t b) {
    const int64_t c = a + b;
    return c > CCX_COST_MAX ? CCX_COST_MAX : c;
}

/* All pairs of eliminating j, successors outer: the total cost, and with
 * apply the fill-in records. pj, sj: the bitset rows P(j), S(j) of W words. */
CCX_REC_HOT int64_t ccx_rec_pairs(const uint32_t *pj, const uint32_t *sj, int W, ccx_rec *rec,
                                int N, const ccx_rec_tables *t, int j, int apply) {
    int64_t cost = 0;
    for (int ws = 0; ws < W; ws++)
        for (uint32_t sb = sj[ws]; sb; sb &= sb - 1) {
            const ccx_rec_succ o = ccx_rec_succ_of(rec, N, t, j, ws * 32 + ccx_rec_ctz(sb));
            for (int wp = 0; wp < W; wp++)
                for (uint32_t pb = pj[wp]; pb; pb &= pb - 1)
                    cost = ccx_rec_cost_add(
                        cost, ccx_rec_pair(rec, N, t, wp * 32 + ccx_rec_ctz(pb), j, &o, apply));
        }
    return cost;
}

/* Clear the records of j's edges (p -> j for p in P(j), j -> s for s in S(j)). */
CCX_REC_HOT void ccx_rec_clear(const uint32_t *pj, const uint32_t *sj, int W, ccx_rec *rec, int N,
                             int j) {
    const ccx_rec none = {0, 0};
    for (int w = 0; w < W; w++) {
        for (uint32_t b = pj[w]; b; b &= b - 1) rec[(size_t)(w * 32 + ccx_rec_ctz(b)) * N + j] = none;
        for (uint32_t b = sj[w]; b; b &= b - 1) rec[(size_t)j * N + w * 32 + ccx_rec_ctz(b)] = none;
    }
}

/* Edge type groups of the observations (env.h): 0 dense, 1 sparse but
 * certainly costly (diagonals, Kronecker deltas: ccx_sp_costly), 2 pure
 * structure that may cost nothing (copy, identity, transpose, reshape,
 * constant). Scalar edges are dense. */
enum { CCX_REC_GROUP_DENSE = 0, CCX_REC_GROUP_SPARSE = 1, CCX_REC_GROUP_STRUCTURE = 2,
       CCX_REC_GROUPS = 3 };
CCX_DEV int ccx_rec_group(int t) {
    if (t == CCX_SP_DENSE) return CCX_REC_GROUP_DENSE;
    return ccx_sp_costly(t) ? CCX_REC_GROUP_SPARSE : CCX_REC_GROUP_STRUCTURE;
}

#ifdef __cplusplus
}
#endif
#endif
