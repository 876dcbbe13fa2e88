/* The elimination rule on bitset rows: the one definition of the cost and the
 * fill-in of an elimination (docs/design.md "The elimination game"), shared by the
 * single-game reference (game.c) and the batched CPU environments
 * (env/env_cpu.c). The CUDA environments (cuda/env_kernels.cu,
 * warp_eliminate) are the device twin of this function: same rows, same
 * order of effects, one warp instead of one thread.
 *
 * preds and succs are [n_pad][words] matrices of 32-bit words: bit p of
 * preds row v is set iff p -> v, bit s of succs row v is set iff v -> s.
 * Eliminating node j with P = preds[j], S = succs[j]:
 *
 *     cost = |P| * |S|                                   (game/cost.h)
 *     for p in P: succs[p] |= S, clear j in succs[p]     (fill-in p -> S)
 *     for s in S: preds[s] |= P, clear j in preds[s]     (fill-in P -> s)
 *     preds[j] = succs[j] = 0                            (j leaves the graph)
 *
 * The graph is a DAG, so j is in neither P nor S and the rows read (P, S)
 * are never the rows written until the final clear. Header-only so that a
 * caller with a constant `words` gets an unrolled copy. */
#ifndef CCX_GAME_ELIMINATE_H
#define CCX_GAME_ELIMINATE_H

#include <stdint.h>
#include <string.h>

#include "game/cost.h"

static inline int ccx_popcount_row(const uint32_t *r, int words) {
    int c = 0;
    for (int w = 0; w < words; w++) c += __builtin_popcount(r[w]);
    return c;
}

/* Rows of up to this many words are held in locals (registers), which lets
 * the compiler keep P(j), S(j) out of memory and vectorise the row updates. */
#define CCX_ELIM_LOCAL_WORDS 8

/* Eliminate node j (the caller has checked that j is an intermediate not yet
 * eliminated); returns |P(j)| * |S(j)|. */
static inline __attribute__((always_inline)) int64_t
ccx_eliminate_rows(uint32_t *preds, uint32_t *succs, int words, int j) {
    uint32_t *pj = preds + (size_t)j * words, *sj = succs + (size_t)j * words;
    int64_t cost = ccx_scalar_pair_cost(ccx_popcount_row(pj, words), ccx_popcount_row(sj, words));
    const uint32_t jmask = ~(1u << (j & 31));
    const int jw = j >> 5;
    if (words <= CCX_ELIM_LOCAL_WORDS) {
        /* the same updates, with P(j), S(j) and the mask clearing j in locals
         * (rows p, s are never row j, so the copies stay exact) */
        uint32_t p[CCX_ELIM_LOCAL_WORDS], s[CCX_ELIM_LOCAL_WORDS], m[CCX_ELIM_LOCAL_WORDS];
        for (int u = 0; u < words; u++) {
            p[u] = pj[u];
            s[u] = sj[u];
            m[u] = u == jw ? jmask : ~0u;
        }
        for (int w = 0; w < words; w++) {
            for (uint32_t bits = p[w]; bits; bits &= bits - 1) {
                uint32_t *sp = succs + (size_t)(w * 32 + __builtin_ctz(bits)) * words;
                for (int u = 0; u < words; u++) sp[u] = (sp[u] | s[u]) & m[u];
            }
            for (uint32_t bits = s[w]; bits; bits &= bits - 1) {
                uint32_t *ps = preds + (size_t)(w * 32 + __builtin_ctz(bits)) * words;
                for (int u = 0; u < words; u++) ps[u] = (ps[u] | p[u]) & m[u];
            }
        }
        memset(pj, 0, (size_t)words * sizeof(uint32_t));
        memset(sj, 0, (size_t)words * sizeof(uint32_t));
        return cost;
    }
    for (int w = 0; w < words; w++) {
        for (uint32_t bits = pj[w]; bits; bits &= bits - 1) {
            uint32_t *sp = succs + (size_t)(w * 32 + __builtin_ctz(bits)) * words;
            for (int u = 0; u < words; u++) sp[u] |= sj[u];
            sp[jw] &= jmask;
        }
        for (uint32_t bits = sj[w]; bits; bits &= bits - 1) {
            uint32_t *ps = preds + (size_t)(w * 32 + __builtin_ctz(bits)) * words;
            for (int u = 0; u < words; u++) ps[u] |= pj[u];
            ps[jw] &= jmask;
        }
    }
    memset(pj, 0, (size_t)words * sizeof(uint32_t));
    memset(sj, 0, (size_t)words * sizeof(uint32_t));
    return cost;
}

#endif
