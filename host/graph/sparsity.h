/* AlphaGrad's sparse-tensor cost model: the sparsity types of edge
 * Jacobians and the three tables that price and type an elimination
 * (docs/tensor_model.md §1-2 and Appendix A; data copied verbatim from
 * AlphaGrad's vertexgame/core.py, commit 0431887, and checked against
 * tests/data/alphagrad/tables.json by tests/test_tensor_game.cc).
 *
 * This header is the one definition: the CPU game (game/game.c) includes it
 * now, the CUDA environments include it too (under nvcc the tables become
 * __constant__ memory and the functions __device__).
 *
 * An edge p -> v carries a record [type, o1, o2, p1, p2]: its sparsity type
 * and the shapes of its target (o, "out") and source (p, "primal"), each
 * normalised to two dims (docs/tensor_model.md §1). Every table is indexed by
 * type + 10 (types -10..11 -> 0..21; 0 = no edge):
 *
 *   contraction[in][out]  6-bit mask over the factors
 *                         [s1 s2 v1 v2 p1 p2] (bit 5 = s1 ... bit 0 = p2) =
 *                         [succ dims, v's dims, pred dims]: eliminating v
 *                         costs, per pred p x succ s, the product of the
 *                         selected dims of the two edges' records
 *   mul[in][out]          type of the fill-in product edge p -> s
 *   add[old][new]         type after merging the product into an existing
 *                         p -> s edge (not symmetric)
 *
 * The binary literals (a GCC/Clang/nvcc extension, standard in C23) keep the
 * masks readable as the bit strings of the spec. */
#ifndef CCX_GAME_SPARSITY_H
#define CCX_GAME_SPARSITY_H

#include <stdint.h>

#include "util/hd.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__CUDACC__)
#define CCX_SP_TABLE static __constant__ const
#else
#define CCX_SP_TABLE static const
#endif

/* The types (AlphaGrad's own list; (a,b) = diagonal between indices a and b
 * with values, K(a,b) = Kronecker delta, pure structure; indices 1 = o1,
 * 2 = o2, 3 = p1, 4 = p2). */
enum {
    CCX_SP_NONE = 0,          /* no edge */
    CCX_SP_DENSE = 1,         /* dense */
    CCX_SP_COPY = -1,         /* keeps the other factor's sparsity (convert_element_type) */
    CCX_SP_D13 = 2, CCX_SP_D24 = 3, CCX_SP_D14 = 4, CCX_SP_D23 = 5,
    CCX_SP_D13D24 = 6, CCX_SP_D14D23 = 7,        /* elementwise */
    CCX_SP_K13D24 = 8, CCX_SP_K14D23 = 9,
    CCX_SP_K13 = -2, CCX_SP_K24 = -3, CCX_SP_K14 = -4, CCX_SP_K23 = -5,
    CCX_SP_IDENTITY = -6, CCX_SP_TRANSPOSE = -7, /* K(1,3)K(2,4), K(1,4)K(2,3) */
    CCX_SP_D13K24 = -8, CCX_SP_D14K23 = -9,
    CCX_SP_CONST = 10, CCX_SP_CONST_T = -10,     /* never produced by AlphaGrad */
    CCX_SP_RESHAPE = 11,      /* reshape, slice, concatenate ("TBD" in AlphaGrad) */
};
enum { CCX_SP_MIN = -10, CCX_SP_MAX = 11, CCX_SP_OFFSET = 10, CCX_SP_COUNT = 22 };

#define CCX_SPARSITY_CONTRACTION_DATA { \
    /* in\out      -10       -9       -8       -7       -6       -5       -4       -3       -2       -1        0        1        2        3        4        5        6        7        8        9       10       11 */ \
    /* -10 */ {       0,0b110000,0b110000,       0,       0,0b100010,0b010001,0b100001,0b010010,       0,       0,0b110011,0b110010,0b110001,0b110001,0b110010,0b110000,0b110000,0b010000,0b010000,       0,       0}, \
    /*  -9 */ {0b010000,0b110000,0b100000,       0,       0,0b110010,0b010001,0b100001,0b110010,       0,       0,0b110011,0b110010,0b110001,0b110001,0b110010,0b110000,0b110000,0b110000,0b010000,0b100000,       0}, \
    /*  -8 */ {0b010000,0b110000,0b100000,       0,       0,0b110001,0b010010,0b100010,0b110001,       0,       0,0b110011,0b110001,0b110010,0b110010,0b110001,0b110000,0b110000,0b110000,0b010000,0b100000,       0}, \
    /*  -7 */ {       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0}, \
    /*  -6 */ {       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0}, \
    /*  -5 */ {0b010001,0b110001,0b100001,       0,       0,0b110011,0b011001,0b101001,0b110011,       0,       0,0b111011,0b110011,0b111001,0b111001,0b110011,0b110001,0b110001,0b110001,0b010001,0b100001,       0}, \
    /*  -4 */ {0b100010,0b100000,0b110010,       0,       0,0b100110,0b110011,0b110011,0b010110,       0,       0,0b110111,0b110110,0b110011,0b110011,0b110110,0b110010,0b110010,0b010010,0b110000,0b010010,       0}, \
    /*  -3 */ {0b010011,0b110010,0b100010,       0,       0,0b110011,0b011010,0b101010,0b110011,       0,       0,0b111011,0b110011,0b111010,0b111010,0b110011,0b110010,0b110011,0b110010,0b010010,0b100010,       0}, \
    /*  -2 */ {0b100001,0b100001,0b110001,       0,       0,0b100101,0b110011,0b110011,0b010101,       0,       0,0b110111,0b110101,0b110011,0b110011,0b110101,0b110001,0b110001,0b010001,0b110001,0b010001,       0}, \
    /*  -1 */ {       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0}, \
    /*   0 */ {       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0}, \
    /*   1 */ {0b110011,0b110011,0b110011,       0,       0,0b110111,0b111011,0b111011,0b110111,       0,       0,0b111111,0b110111,0b111011,0b111011,0b110111,0b110011,0b110011,0b110011,0b110011,0b110011,       0}, \
    /*   2 */ {0b110001,0b110001,0b110001,       0,       0,0b110111,0b110011,0b110011,0b110101,       0,       0,0b110111,0b110101,0b110011,0b110011,0b110101,0b110001,0b110001,0b110001,0b110001,0b110001,       0}, \
    /*   3 */ {0b110010,0b110010,0b110010,       0,       0,0b110011,0b111010,0b111010,0b110011,       0,       0,0b111011,0b110011,0b111010,0b111010,0b110011,0b110010,0b110011,0b110010,0b110010,0b110010,       0}, \
    /*   4 */ {0b110010,0b110000,0b110010,       0,       0,0b110110,0b110011,0b110011,0b110110,       0,       0,0b110111,0b110110,0b110011,0b110011,0b110110,0b110010,0b110010,0b110010,0b110000,0b110010,       0}, \
    /*   5 */ {0b110001,0b110001,0b110001,       0,       0,0b110011,0b111001,0b111001,0b110011,       0,       0,0b111011,0b110011,0b111001,0b111001,0b110011,0b110001,0b110001,0b110001,0b110001,0b110001,       0}, \
    /*   6 */ {0b110000,0b110000,0b110000,       0,       0,0b110001,0b110010,0b110010,0b110001,       0,       0,0b110011,0b110001,0b110010,0b110010,0b110001,0b110000,0b110000,0b110000,0b110000,0b110000,       0}, \
    /*   7 */ {0b110000,0b110000,0b110000,       0,       0,0b110010,0b110001,0b110001,0b110010,       0,       0,0b110011,0b110010,0b110001,0b110001,0b110010,0b110000,0b110000,0b110000,0b110000,0b110000,       0}, \
    /*   8 */ {0b100000,0b100000,0b110000,       0,       0,0b110001,0b110010,0b110010,0b010001,       0,       0,0b110011,0b110001,0b110010,0b110010,0b110001,0b110000,0b110000,0b010000,0b110000,0b010000,       0}, \
    /*   9 */ {0b100000,0b100000,0b110000,       0,       0,0b110010,0b110001,0b110001,0b010010,       0,       0,0b110011,0b110010,0b110001,0b110001,0b110010,0b110000,0b110000,0b010000,0b110000,0b010000,       0}, \
    /*  10 */ {       0,0b110000,0b110000,       0,       0,0b100001,0b010010,0b100010,0b010001,       0,       0,0b110011,0b110001,0b110010,0b110010,0b110001,0b110000,0b110000,0b010000,0b010000,       0,       0}, \
    /*  11 */ {       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0,       0}, \
}
#define CCX_SPARSITY_MUL_DATA { \
    /* in\out -10  -9  -8  -7  -6  -5  -4  -3  -2  -1   0   1   2   3   4   5   6   7   8   9  10  11 */ \
    /* -10 */ { 10, -8, -9, -6, -7, -3, -2, -5, -4,-10,  0,  1,  4,  5,  2,  3,  7,  6,  9,  8,-10,  1}, \
    /*  -9 */ {  8,  6,  7,  8, -9,  3, -2, -5,  4, -9,  0,  1,  5,  4,  3,  2,  7,  6, -9,  6, -9,  1}, \
    /*  -8 */ {  9, -9, -8,  9, -8,  5, -4, -3,  2, -8,  0,  1,  2,  3,  4,  5,  6,  7,  6,  7, -8,  1}, \
    /*  -7 */ { 10, -8, -9, -6, -7, -3, -2, -5, -4, -7,  0,  1,  4,  5,  2,  3,  7,  6,  9,  8,-10,  1}, \
    /*  -6 */ {-10, -9, -8, -7, -6, -5, -4, -3, -2, -6,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10,  1}, \
    /*  -5 */ { -2,  2, -5, -2, -5,  1, -2, -5,  1, -5,  0,  1,  1,  5,  2,  1,  5,  2,  5, -2, -5,  1}, \
    /*  -4 */ { -3, -3,  4, -3, -4, -3,  1,  1, -4, -4,  0,  1,  4,  1,  1,  3,  4,  3, -4,  3, -4,  1}, \
    /*  -3 */ { -4,  4, -3, -4, -3,  1, -4, -3,  1, -3,  0,  1,  1,  3,  4,  1,  3,  4,  3, -4, -3,  1}, \
    /*  -2 */ { -5, -5,  2, -5, -2, -5,  1,  1, -2, -2,  0,  1,  2,  1,  1,  5,  2,  5, -2,  5, -2,  1}, \
    /*  -1 */ {-10, -9, -8, -7, -6, -5, -4, -3, -2, -1,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11}, \
    /*   0 */ {  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0}, \
    /*   1 */ {  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  0,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1}, \
    /*   2 */ {  5,  5,  2,  5,  2,  5,  4,  1,  2,  2,  0,  1,  2,  1,  1,  5,  2,  5,  2,  5,  2,  1}, \
    /*   3 */ {  4,  4,  3,  4,  3,  1,  1,  3,  1,  3,  0,  1,  1,  3,  4,  1,  3,  4,  3,  4,  3,  1}, \
    /*   4 */ {  3,  3,  4,  3,  4,  3,  1,  1,  4,  4,  0,  1,  4,  1,  1,  3,  4,  3,  4,  3,  4,  1}, \
    /*   5 */ {  2,  2,  5,  2,  5,  1,  2,  5,  1,  5,  0,  1,  1,  5,  2,  1,  5,  2,  5,  2,  5,  1}, \
    /*   6 */ {  7,  7,  6,  7,  6,  5,  4,  3,  2,  6,  0,  1,  2,  3,  4,  5,  6,  7,  6,  7,  6,  1}, \
    /*   7 */ {  6,  6,  7,  6,  7,  3,  2,  5,  4,  7,  0,  1,  4,  5,  2,  3,  7,  6,  7,  6,  7,  1}, \
    /*   8 */ { -9,  7,  6, -9,  8, -5, -4,  3, -2,  8,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  8,  1}, \
    /*   9 */ { -8, -9,  9, -8,  9, -3,  2,  5, -4,  9,  0,  1,  5,  4,  3,  2,  7,  6,  7,  6,  9,  1}, \
    /*  10 */ {-10, -9, -8, -7, -6, -5, -4, -3, -2, 10,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10,  1}, \
    /*  11 */ {  1,  1,  1,  1,  1,  1,  1,  1,  1, 11,  0,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, 11}, \
}
#define CCX_SPARSITY_ADD_DATA { \
    /* in\out -10  -9  -8  -7  -6  -5  -4  -3  -2  -1   0   1   2   3   4   5   6   7   8   9  10  11 */ \
    /* -10 */ {-10,  7,  1,  7,  1,  5,  4,  1,  1,-10,-10,  1,  1,  1,  4,  5,  1,  7,  1,  7,  1,  1}, \
    /*  -9 */ {  7, -9,  1, -9,  1, -5,  4,  1,  1, -9, -9,  1,  1,  1,  4,  5,  1,  7,  1,  7,  1,  1}, \
    /*  -8 */ {  1,  1, -8,  1, -8,  1,  1, -3,  2, -8, -8,  1,  2,  3,  1,  1,  6,  1,  6,  1,  6,  1}, \
    /*  -7 */ {  7, -9,  1, -7,  1, -5, -4,  1,  1, -7, -7,  1,  1,  1,  4,  5,  1,  7,  1,  9,  1,  1}, \
    /*  -6 */ {  1,  1, -8,  1, -6,  1,  1, -3, -2, -6, -6,  1,  2,  3,  1,  1,  6,  1,  8,  1,  6,  1}, \
    /*  -5 */ {  5, -5,  1, -5,  1, -5,  1,  1,  1, -5, -5,  1,  1,  1,  1,  5,  1,  5,  1,  5,  1,  1}, \
    /*  -4 */ {  4,  4,  1, -4,  1,  1, -4,  1,  1, -4, -4,  1,  1,  1,  4,  1,  1,  4,  1, -4,  1,  1}, \
    /*  -3 */ {  1,  1, -3,  1, -3,  1,  1, -3,  1, -3, -3,  1,  1,  3,  1,  1,  3,  1,  3,  1,  3,  1}, \
    /*  -2 */ {  1,  1,  2,  1, -2,  1,  1,  1, -2, -2, -2,  1,  2,  1,  1,  1,  2,  1, -2,  1,  2,  1}, \
    /*  -1 */ {-10, -9, -8, -7, -6, -5, -4, -3, -2, -1, -1,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11}, \
    /*   0 */ {-10, -9, -8, -7, -6, -5, -4, -3, -2, -1,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11}, \
    /*   1 */ {  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1}, \
    /*   2 */ {  1,  1,  2,  1,  2,  1,  1,  1,  2,  2,  2,  1,  2,  1,  1,  1,  2,  1,  2,  1,  2,  1}, \
    /*   3 */ {  1,  1,  3,  1,  3,  1,  1,  3,  1,  3,  3,  1,  1,  3,  1,  1,  3,  1,  3,  1,  3,  1}, \
    /*   4 */ {  4,  4,  1,  4,  1,  1,  4,  1,  1,  4,  4,  1,  1,  1,  4,  1,  1,  4,  1,  4,  1,  1}, \
    /*   5 */ {  5,  5,  1,  5,  1,  5,  1,  1,  1,  5,  5,  1,  1,  1,  1,  5,  1,  5,  1,  5,  1,  1}, \
    /*   6 */ {  1,  1,  6,  1,  6,  1,  1,  3,  2,  6,  6,  1,  2,  3,  1,  1,  6,  1,  6,  1,  6,  1}, \
    /*   7 */ {  7,  7,  1,  7,  1,  5,  4,  1,  1,  7,  7,  1,  1,  1,  4,  5,  1,  7,  1,  7,  1,  1}, \
    /*   8 */ {  1,  1,  6,  1,  8,  1,  1,  3, -2,  8,  8,  1,  2,  3,  1,  1,  6,  1,  8,  1,  1,  1}, \
    /*   9 */ {  7,  7,  1,  9,  1,  5, -4,  1,  1,  9,  9,  1,  1,  1,  4,  5,  1,  7,  1,  9,  1,  1}, \
    /*  10 */ {  1,  1,  6,  1, 10,  1,  1,  3,  2, 10, 10,  1,  2,  3,  1,  1,  6,  1,  6,  1, 10,  1}, \
    /*  11 */ {  1,  1,  1,  1,  1,  1,  1,  1,  1, 11, 11,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, 11}, \
}

CCX_SP_TABLE uint8_t ccx_sp_contraction_table[CCX_SP_COUNT][CCX_SP_COUNT] =
    CCX_SPARSITY_CONTRACTION_DATA;
CCX_SP_TABLE int8_t ccx_sp_mul_table[CCX_SP_COUNT][CCX_SP_COUNT] = CCX_SPARSITY_MUL_DATA;
CCX_SP_TABLE int8_t ccx_sp_add_table[CCX_SP_COUNT][CCX_SP_COUNT] = CCX_SPARSITY_ADD_DATA;

/* A type a record may carry (0 is "no edge", not a type). */
CCX_DEV int ccx_sp_valid(int t) { return t >= CCX_SP_MIN && t <= CCX_SP_MAX && t != 0; }

/* Type of the product edge p -> s of in-edge type ti (p -> v) and out-edge
 * type to (v -> s). */
CCX_DEV int ccx_sp_mul(int ti, int to) {
    return ccx_sp_mul_table[ti + CCX_SP_OFFSET][to + CCX_SP_OFFSET];
}

/* Type of an existing edge of type old (0: none) once a product of type
 * fresh is accumulated into it. */
CCX_DEV int ccx_sp_add(int old, int fresh) {
    return ccx_sp_add_table[old + CCX_SP_OFFSET][fresh + CCX_SP_OFFSET];
}

/* pair_cost (docs/tensor_model.md §2.1): the multiplications for one
 * predecessor x successor pair when v is eliminated. ti, to: types of p -> v
 * and v -> s; s: the out dims of v -> s (s's shape); v: the primal dims of
 * v -> s; p: the primal dims of p -> v. Dims are >= 1. AlphaGrad's (10, 10)
 * special case (its abs() test is on offset indices, so only (+10, +10)
 * fires) is kept. */
CCX_DEV int64_t ccx_sp_pair_cost(int ti, int to, const int32_t *s, const int32_t *v,
                                   const int32_t *p) {
    unsigned m = ccx_sp_contraction_table[ti + CCX_SP_OFFSET][to + CCX_SP_OFFSET];
    if (ti == CCX_SP_CONST && to == CCX_SP_CONST) return 1;
    if (!m) return 0;
    int64_t c = 1;
    if (m & 040) c *= s[0];
    if (m & 020) c *= s[1];
    if (m & 010) c *= v[0];
    if (m & 004) c *= v[1];
    if (m & 002) c *= p[0];
    if (m & 001) c *= p[1];
    return c;
}

/* 1 iff an edge of type t certainly costs: every pair it forms with another
 * such edge has a non-empty contraction mask (>= 1 multiplication), and the
 * product or merge of such an edge with any edge is again such an edge
 * (tests/test_tensor_game.cc checks both on the tables). The others (-7,
 * -6, -1, 11, and the never-produced +-10) may cost nothing. The lower
 * bounds of search/bounds.c count these edges. */
CCX_DEV int ccx_sp_costly(int t) {
    return t != 0 && t != CCX_SP_TRANSPOSE && t != CCX_SP_IDENTITY && t != CCX_SP_COPY &&
           t != CCX_SP_RESHAPE && t != CCX_SP_CONST && t != CCX_SP_CONST_T;
}

/* The "edge count" AlphaGrad's minimal Markowitz degree sums over a vertex's
 * out-edges (row) or in-edges (column) (docs/tensor_model.md §4): a dense edge
 * counts `dense` (the product of its primal dims in a row, of its out dims
 * in a column, both |v|), types 6, 7, 8 count 1, types -1, 3, 4 count the
 * edge's o1 and the others its o2 (JAX's wrap-and-clamp indexing of a
 * 4-entry map). o: the edge's out dims. */
CCX_DEV int64_t ccx_sp_markowitz_count(int t, int64_t dense, const int32_t *o) {
    if (t == CCX_SP_DENSE) return dense;
    if (t == 6 || t == 7 || t == 8) return 1;
    if (t == CCX_SP_COPY || t == 3 || t == 4) return o[0];
    return o[1];
}

/* Short name of a type for listings ("dense", "D13D24", "K13", "reshape",
 * ...; graph/sparsity.c). Host code only. */
const char *ccx_sparsity_name(int t);

#ifdef __cplusplus
}
#endif
#endif
