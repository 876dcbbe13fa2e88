/* The real-work cost model (docs/tensor_model.md "Cost models in ccx"): an
 * edge Jacobian in the structured form ccx's Jacobian code holds it, the
 * product along p -> j -> s, the sum into an existing edge, and the exact
 * number of scalar multiplications each product performs. One definition
 * for the single game (game/game.c), and every caller that prices under
 * `--cost real`; the JAX runtime (host/jac/jax_tensor_runtime.py: _T, _mul,
 * _acc) performs the same products and its multiplications() is tested
 * equal to this count (tests/jax/test_real_cost.py). Compiled for the host
 * and the device (util/hd.h).
 *
 * An edge d s / d p (s of shape S, rank rs <= 2; p of shape P, rank rp <= 2)
 * is a value array over *labels*: S axis i has label i, P axis m either
 * shares the label of an S axis (a diagonal pair: the Jacobian is zero off
 * it) or has its own label 2 + m. The value array has axes for the labels
 * in vmask and is constant along the others (graphax's sparse tensors, in
 * einsum terms):
 *   elementwise     the derivative over S, every axis paired
 *   add, sub, neg   the constant +-1, paired: nothing stored, products free
 *   broadcast, reduce_sum, transpose, reshape to/from size 1: 1.0, paired
 *   dot_general     the other operand, its axes labelled
 *   slice, concat   0/1 selection arrays on the cut axes (values: data)
 *   anything else   dense: every label
 * A scalar edge (rank 0 both sides) has no labels: a constant (a literal
 * factor, +-1) or data.
 *
 * The product of A = d s / d j and B = d j / d p is one einsum of the two
 * value arrays, the J axes' labels unified. It costs the product of the
 * sizes of all labels of both arrays when both are data; a constant factor
 * c scales the result (size of the result's labels, none when c = +-1); a
 * product of two constants is a constant. The sum of two edges keeps the
 * pairs both have, its values over the union of both arrays' labels
 * (additions are not counted). */
#ifndef CCX_GAME_REAL_COST_H
#define CCX_GAME_REAL_COST_H

#include <stdint.h>

#include "game/records.h"
#include "util/hd.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    CCX_LAX_NONE = 0,  /* no edge */
    CCX_LAX_ZERO = 1,  /* an edge whose Jacobian is zero (stop_gradient, floor, ...) */
    CCX_LAX_CONST = 2, /* the value is the constant c along every label */
    CCX_LAX_DATA = 3,  /* a value array over the labels of vmask */
};

/* One edge (16 bytes, no padding: snapshots compare and hash them bytewise). */
typedef struct {
    int8_t kind;   /* CCX_LAX_* */
    uint8_t pair;  /* 2 bits per P axis m (bits 2m..2m+1): 0 own label, 1 + i paired with S axis i */
    uint8_t vmask; /* bit i: S axis i's label; bit 2 + m: P axis m's own label */
    uint8_t pad0;
    int32_t pad1;
    double c;      /* the constant (CCX_LAX_CONST), else 0 */
} ccx_lax;

/* A node's shape as the code holds it (rank 0..2). */
typedef struct {
    int32_t rank;
    int32_t d[2];
} ccx_lax_shape;

CCX_HD int ccx_lax_pair_of(const ccx_lax *e, int m) { return (e->pair >> (2 * m)) & 3; }

CCX_HD ccx_lax ccx_lax_make(int kind, uint8_t pair, uint8_t vmask, double c) {
    ccx_lax e;
    e.kind = (int8_t)kind;
    e.pair = pair;
    e.vmask = kind == CCX_LAX_DATA ? vmask : 0;
    e.pad0 = 0;
    e.pad1 = 0;
    e.c = kind == CCX_LAX_CONST ? c : 0.0;
    return e;
}

/* The observations' type group of an edge (game/records.h's groups, so a
 * network reads both models alike): a constant or zero Jacobian is pure
 * structure (its products are free or a scaling), a value array over every
 * label of a pair with no diagonal is dense, any other value array is sparse
 * but costly. rs, rp: the ranks of the edge's target and source. */
CCX_HD int ccx_lax_group(const ccx_lax *e, int rs, int rp) {
    if (e->kind != CCX_LAX_DATA) return CCX_REC_GROUP_STRUCTURE;
    unsigned full = (1u << rs) - 1u;
    for (int m = 0; m < rp; m++) full |= 1u << (2 + m);
    return e->pair == 0 && (e->vmask & full) == full ? CCX_REC_GROUP_DENSE : CCX_REC_GROUP_SPARSE;
}

/* Multiplications count saturate here (a real graph never gets near). */
#define CCX_LAX_COUNT_MAX ((int64_t)1 << 62)

CCX_HD int64_t ccx_lax_mul_sat(int64_t a, int64_t b) {
    if (a == 0 || b == 0) return 0;
    return a > CCX_LAX_COUNT_MAX / b ? CCX_LAX_COUNT_MAX : a * b;
}

/* The product is the inner loop of every real-model elimination: inlined
 * into it on the host too (host and device: ccx_lax_mul is also called
 * from host code under nvcc). */
#if defined(__CUDACC__)
#define CCX_LAX_HOT CCX_HD
#else
#define CCX_LAX_HOT static inline __attribute__((always_inline))
#endif

/* The product along p -> j -> s: A = d s / d j, B = d j / d p, with the
 * shapes of s, j and p. Writes the result d s / d p to *out and returns the
 * multiplications it performs. Label classes of the product: 0, 1 the S
 * axes (A's S labels), 2 + k the own label of A's P axis k (a J axis), 4 +
 * m the own label of B's P axis m; B's S axis k takes the class of A's P
 * axis k (the J axes unified). */
CCX_LAX_HOT int64_t ccx_lax_mul(const ccx_lax *A, const ccx_lax *B, const ccx_lax_shape *s,
                           const ccx_lax_shape *j, const ccx_lax_shape *p, ccx_lax *out) {
    if (A->kind == CCX_LAX_ZERO || B->kind == CCX_LAX_ZERO) {
        *out = ccx_lax_make(CCX_LAX_ZERO, 0, 0, 0.0);
        return 0;
    }
    int64_t size[6];
    for (int i = 0; i < 2; i++) {
        size[i] = i < s->rank ? s->d[i] : 1;
        size[2 + i] = i < j->rank ? j->d[i] : 1;
        size[4 + i] = i < p->rank ? p->d[i] : 1;
    }
    int ja[2] = {2, 3}; /* the class of J axis k */
    for (int k = 0; k < j->rank; k++) {
        int q = ccx_lax_pair_of(A, k);
        ja[k] = q ? q - 1 : 2 + k;
    }
    int pb[2] = {4, 5}; /* the class of the result's P axis m */
    for (int m = 0; m < p->rank; m++) {
        int q = ccx_lax_pair_of(B, m);
        pb[m] = q ? ja[q - 1] : 4 + m;
    }
    unsigned va = 0, vb = 0, outm = 0;
    if (A->kind == CCX_LAX_DATA) {
        for (int i = 0; i < s->rank; i++)
            if (A->vmask >> i & 1) va |= 1u << i;
        for (int k = 0; k < j->rank; k++)
            if (A->vmask >> (2 + k) & 1) va |= 1u << (2 + k);
    }
    if (B->kind == CCX_LAX_DATA) {
        for (int k = 0; k < j->rank; k++)
            if (B->vmask >> k & 1) vb |= 1u << ja[k];
        for (int m = 0; m < p->rank; m++)
            if (B->vmask >> (2 + m) & 1) vb |= 1u << (4 + m);
    }
    for (int i = 0; i < s->rank; i++) outm |= 1u << i;
    for (int m = 0; m < p->rank; m++) outm |= 1u << pb[m];
    /* a J label in neither array nor the result: a sum of equal terms */
    double factor = 1.0;
    for (int k = 0; k < j->rank; k++)
        if (!((outm | va | vb) >> ja[k] & 1)) factor *= (double)size[ja[k]];
    const unsigned vl = (va | vb) & outm;
    uint8_t pair = 0, vmask = 0;
    for (int m = 0; m < p->rank; m++) {
        if (pb[m] < 2) pair |= (uint8_t)((pb[m] + 1) << (2 * m));
        else if (vl >> pb[m] & 1) vmask |= (uint8_t)(1u << (2 + m));
    }
    for (int i = 0; i < s->rank; i++)
        if (vl >> i & 1) vmask |= (uint8_t)(1u << i);
    const int fa = A->kind == CCX_LAX_CONST, fb = B->kind == CCX_LAX_CONST;
    if (fa && fb) {
        *out = ccx_lax_make(CCX_LAX_CONST, pair, 0, A->c * B->c * factor);
        return 0;
    }
    int64_t n = 0;
    if (!fa && !fb) {
        n = 1;
        for (int c = 0; c < 6; c++)
            if ((va | vb) >> c & 1) n = ccx_lax_mul_sat(n, size[c]);
    }
    const double scale = (fa ? A->c : 1.0) * (fb ? B->c : 1.0) * factor;
    if (scale != 1.0 && scale != -1.0) {
        int64_t r = 1;
        for (int c = 0; c < 6; c++)
            if (vl >> c & 1) r = ccx_lax_mul_sat(r, size[c]);
        n = n + r > CCX_LAX_COUNT_MAX ? CCX_LAX_COUNT_MAX : n + r;
    }
    *out = ccx_lax_make(CCX_LAX_DATA, pair, vmask, 0.0);
    return n;
}

/* The sum of two Jacobians of one edge (old may be CCX_LAX_NONE): the pairs
 * both have, the values over both arrays' labels (a pair one of them breaks
 * becomes two labels of the result). Free. rp: the rank of the source. */
CCX_LAX_HOT ccx_lax ccx_lax_acc(const ccx_lax *old, const ccx_lax *add, int rp) {
    if (old->kind == CCX_LAX_NONE || old->kind == CCX_LAX_ZERO) return *add;
    if (add->kind == CCX_LAX_ZERO || add->kind == CCX_LAX_NONE) return *old;
    uint8_t pair = 0, vmask = 0;
    for (int m = 0; m < rp; m++) {
        int a = ccx_lax_pair_of(old, m), b = ccx_lax_pair_of(add, m);
        if (a && a == b) pair |= (uint8_t)(a << (2 * m));
    }
    const ccx_lax *x[2] = {old, add};
    for (int t = 0; t < 2; t++) {
        if (x[t]->kind == CCX_LAX_DATA) vmask |= x[t]->vmask;
        for (int m = 0; m < rp; m++) {
            int q = ccx_lax_pair_of(x[t], m);
            if (q && ccx_lax_pair_of(old, m) != ccx_lax_pair_of(add, m))
                vmask |= (uint8_t)((1u << (q - 1)) | (1u << (2 + m))); /* a broken pair */
        }
    }
    if (!vmask && old->kind == CCX_LAX_CONST && add->kind == CCX_LAX_CONST)
        return ccx_lax_make(CCX_LAX_CONST, pair, 0, old->c + add->c);
    return ccx_lax_make(CCX_LAX_DATA, pair, vmask, 0.0);
}

/* Eliminating node j under the real model: the multiplications of all its
 * products p -> j -> s (pj, sj: the bitset rows P(j), S(j) of W words; lax
 * [N][N], row = source; shape [N]), and with apply each product summed
 * into p -> s and j's edges cleared. Rows p and columns s are never j (a
 * DAG), so the edges read are never the ones written. The bitsets are the
 * caller's (game/eliminate.h). */
CCX_REC_HOT int64_t ccx_lax_pairs(const uint32_t *pj, const uint32_t *sj, int W, ccx_lax *lax, int N,
                             const ccx_lax_shape *shape, int j, int apply) {
    int64_t cost = 0;
    for (int ws = 0; ws < W; ws++)
        for (uint32_t sb = sj[ws]; sb; sb &= sb - 1) {
            const int s = ws * 32 + ccx_rec_ctz(sb);
            const ccx_lax A = lax[(size_t)j * N + s];
            for (int wp = 0; wp < W; wp++)
                for (uint32_t pb = pj[wp]; pb; pb &= pb - 1) {
                    const int p = wp * 32 + ccx_rec_ctz(pb);
                    ccx_lax prod;
                    cost = ccx_rec_cost_add(cost, ccx_lax_mul(&A, &lax[(size_t)p * N + j], &shape[s],
                                                              &shape[j], &shape[p], &prod));
                    if (apply) {
                        ccx_lax *ps = &lax[(size_t)p * N + s];
                        *ps = ccx_lax_acc(ps, &prod, shape[p].rank);
                    }
                }
        }
    if (apply) {
        const ccx_lax none = ccx_lax_make(CCX_LAX_NONE, 0, 0, 0.0);
        for (int w = 0; w < W; w++) {
            for (uint32_t b = pj[w]; b; b &= b - 1) lax[(size_t)(w * 32 + ccx_rec_ctz(b)) * N + j] = none;
            for (uint32_t b = sj[w]; b; b &= b - 1) lax[(size_t)j * N + w * 32 + ccx_rec_ctz(b)] = none;
        }
    }
    return cost;
}

#ifdef __cplusplus
}
#endif
#endif
