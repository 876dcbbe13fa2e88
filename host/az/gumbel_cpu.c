/* The cpu backend of the Gumbel search (host/az/gumbel.h): plain loops over
 * the trees calling the per-tree functions of gumbel_tree.h (OpenMP over
 * trees when available; every tree is independent, so the result does not
 * depend on the thread count). The cuda twin is cuda/gumbel_kernels.cu. */
#include <string.h>

#include "az/gumbel_internal.h"
#include "env/env.h"
#include "util/philox.h"

#ifdef _OPENMP
#define CCX_GZ_PRAGMA(x) _Pragma(#x)
#define CCX_GZ_PAR_FOR(n) CCX_GZ_PRAGMA(omp parallel for schedule(static) if ((n) >= 64))
#else
#define CCX_GZ_PAR_FOR(n)
#endif

static int cpu_root_init(const ccx_gz_trees *T, void *stream, const float *logits,
                         const float *value, const uint8_t *legal, uint64_t seed,
                         uint64_t counter, ccx_error *err) {
    (void)stream;
    (void)err;
    CCX_GZ_PAR_FOR(T->B)
    for (int b = 0; b < T->B; b++) {
        const uint8_t *lr = legal + (size_t)b * (size_t)T->N;
        float *g = T->gumbel + (size_t)b * (size_t)T->N;
        ccx_philox st;
        ccx_philox_init(&st, seed, counter * ((uint64_t)1 << 24) + (uint64_t)b, 0);
        for (int a = 0; a < T->N; a++) {
            uint32_t r = ccx_philox_next(&st);
            g[a] = lr[a] ? ccx_gz_mul(T->gumbel_scale, ccx_gz_gumbel(r)) : 0.0f;
        }
        ccx_gz_root_init(T, b, logits + (size_t)b * (size_t)T->N, value[b], lr);
    }
    return 0;
}

static int cpu_select(const ccx_gz_trees *T, void *stream, int sim, const uint32_t *slabs,
                      int slab_words, uint32_t *stage, int32_t *act, ccx_error *err) {
    (void)stream;
    (void)err;
    CCX_GZ_PAR_FOR(T->B)
    for (int b = 0; b < T->B; b++) {
        ccx_gz_select(T, b, sim);
        size_t src = (size_t)ccx_gz_restore_node(T, b) * (size_t)T->B + (size_t)b;
        memcpy(stage + (size_t)b * (size_t)slab_words, slabs + src * (size_t)slab_words,
               (size_t)slab_words * sizeof(uint32_t));
        act[b] = T->sel_action[b] >= 0 ? T->sel_action[b] : CCX_ENV_SKIP;
    }
    return 0;
}

static int cpu_expand(const ccx_gz_trees *T, void *stream, int sim, const int64_t *cost,
                      const float *logits, const float *value, const uint8_t *legal,
                      ccx_error *err) {
    (void)stream;
    (void)err;
    CCX_GZ_PAR_FOR(T->B)
    for (int b = 0; b < T->B; b++)
        ccx_gz_expand_backup(T, b, sim, cost[b], logits + (size_t)b * (size_t)T->N, value[b],
                             legal + (size_t)b * (size_t)T->N);
    return 0;
}

static int cpu_outputs(const ccx_gz_trees *T, void *stream, int32_t *action, float *pi,
                       float *root_value, int32_t *visits, ccx_error *err) {
    (void)stream;
    (void)err;
    CCX_GZ_PAR_FOR(T->B)
    for (int b = 0; b < T->B; b++)
        ccx_gz_outputs(T, b, action + b, pi + (size_t)b * (size_t)T->N, root_value + b,
                       visits + (size_t)b * (size_t)T->N);
    return 0;
}

const ccx_gz_backend_ops ccx_gz_cpu_ops = {cpu_root_init, cpu_select, cpu_expand, cpu_outputs};
