/* What the search driver (host/az/gumbel.c) and its two backends
 * (host/az/gumbel_cpu.c, cuda/gumbel_kernels.cu) share: one table of the
 * per-tree phases. Every pointer is in the backend's memory; stream is the
 * scratch env's cudaStream_t (NULL on cpu). Each call runs the phase for
 * all B trees (the cpu loop and the kernels call the same functions of
 * gumbel_tree.h). Not for callers outside host/az and cuda/. */
#ifndef CCX_AZ_GUMBEL_INTERNAL_H
#define CCX_AZ_GUMBEL_INTERNAL_H

#include "az/gumbel_tree.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    /* Gumbel noise (Philox: seed, subsequence counter * 2^24 + b) + roots.
     * logits [B][N], value [B], legal [B][N]. */
    int (*root_init)(const ccx_gz_trees *T, void *stream, const float *logits, const float *value,
                     const uint8_t *legal, uint64_t seed, uint64_t counter, ccx_error *err);
    /* Selection for simulation sim; then stage[b] <- slab of node
     * ccx_gz_restore_node(b) (slabs [M][B][slab_words]) and act[b] <-
     * sel_action[b]. */
    int (*select)(const ccx_gz_trees *T, void *stream, int sim, const uint32_t *slabs,
                  int slab_words, uint32_t *stage, int32_t *act, ccx_error *err);
    /* Expansion + backup for simulation sim: cost [B], logits [B][N],
     * value [B], legal [B][N]. */
    int (*expand)(const ccx_gz_trees *T, void *stream, int sim, const int64_t *cost,
                  const float *logits, const float *value, const uint8_t *legal, ccx_error *err);
    /* action [B], pi [B][N], root_value [B], visits [B][N]. */
    int (*outputs)(const ccx_gz_trees *T, void *stream, int32_t *action, float *pi,
                   float *root_value, int32_t *visits, ccx_error *err);
} ccx_gz_backend_ops;

extern const ccx_gz_backend_ops ccx_gz_cpu_ops;
#ifdef CCX_HAVE_CUDA
extern const ccx_gz_backend_ops ccx_gz_cuda_ops; /* cuda/gumbel_kernels.cu */
#endif

#ifdef __cplusplus
}
#endif
#endif
