/* xoshiro256** seeded through splitmix64: the one PRNG of the host code.
 * Deterministic on every platform, so a seed reproduces a run, a generated
 * task or a benchmark exactly. Header-only (static inline). */
#ifndef CCX_UTIL_RNG_H
#define CCX_UTIL_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} ccx_rng;

static inline uint64_t ccx_splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline void ccx_rng_seed(ccx_rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = ccx_splitmix64(&x);
}

static inline uint64_t ccx_rng_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t ccx_rng_next(ccx_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = ccx_rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ccx_rng_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n), n >= 1, without modulo bias. */
static inline uint64_t ccx_rng_below(ccx_rng *r, uint64_t n) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = ccx_rng_next(r);
    while (x >= limit);
    return x % n;
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double ccx_rng_unit(ccx_rng *r) {
    return (double)(ccx_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
