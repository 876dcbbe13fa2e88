/* Philox4x32-10 with exactly the semantics of cuRAND's device API
 * (curandStatePhilox4_32_10_t, curand_init, curand), in plain C, so that
 * the CPU twin of a GPU kernel that draws with cuRAND draws the same numbers:
 *
 *     ccx_philox_init(&st, seed, subsequence, offset)  ==  curand_init(seed, subsequence, offset, &s)
 *     ccx_philox_next(&st)                             ==  curand(&s)
 *
 * Ported from the toolkit's curand_philox4x32_x.h / curand_kernel.h (the
 * Random123 generator of D. E. Shaw Research); tests/test_env.cc checks the
 * Random123 known-answer vectors. Header-only. */
#ifndef CCX_UTIL_PHILOX_H
#define CCX_UTIL_PHILOX_H

#include <stdint.h>

typedef struct {
    uint32_t ctr[4];    /* x, y, z, w */
    uint32_t key[2];
    uint32_t output[4];
    uint32_t state;     /* index of the next output word, 0..3 */
} ccx_philox;

/* One Philox4x32-10 block: counter ctr under key -> out. */
static inline void ccx_philox_block(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        if (round) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
        uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

/* Philox_State_Incr(s, n): add n to the 128-bit counter's low 64 bits, carrying. */
static inline void ccx_philox_incr_n(ccx_philox *s, uint64_t n) {
    uint32_t nlo = (uint32_t)n, nhi = (uint32_t)(n >> 32);
    s->ctr[0] += nlo;
    if (s->ctr[0] < nlo) nhi++;
    s->ctr[1] += nhi;
    if (nhi <= s->ctr[1]) return;
    if (++s->ctr[2]) return;
    ++s->ctr[3];
}

static inline void ccx_philox_incr(ccx_philox *s) {
    if (++s->ctr[0]) return;
    if (++s->ctr[1]) return;
    if (++s->ctr[2]) return;
    ++s->ctr[3];
}

static inline void ccx_philox_init(ccx_philox *s, uint64_t seed, uint64_t subsequence,
                                   uint64_t offset) {
    s->ctr[0] = s->ctr[1] = s->ctr[2] = s->ctr[3] = 0;
    s->key[0] = (uint32_t)seed;
    s->key[1] = (uint32_t)(seed >> 32);
    s->state = 0;
    /* skipahead_sequence(subsequence) */
    uint32_t nlo = (uint32_t)subsequence, nhi = (uint32_t)(subsequence >> 32);
    s->ctr[2] += nlo;
    if (s->ctr[2] < nlo) nhi++;
    s->ctr[3] += nhi;
    ccx_philox_block(s->ctr, s->key, s->output);
    /* skipahead(offset) */
    s->state += (uint32_t)(offset & 3);
    offset /= 4;
    if (s->state > 3) {
        offset += 1;
        s->state -= 4;
    }
    ccx_philox_incr_n(s, offset);
    ccx_philox_block(s->ctr, s->key, s->output);
}

static inline uint32_t ccx_philox_next(ccx_philox *s) {
    uint32_t r = s->output[s->state++];
    if (s->state == 4) {
        ccx_philox_incr(s);
        ccx_philox_block(s->ctr, s->key, s->output);
        s->state = 0;
    }
    return r;
}

#endif
