/* What env.c and the two backends (env_cpu.c, cuda/env_kernels.cu) share
 * behind the public API of env.h: the batch record and the backend table.
 * Not for callers outside host/env and cuda/. C and C++ (nvcc) alike. */
#ifndef CCX_ENV_ENV_INTERNAL_H
#define CCX_ENV_ENV_INTERNAL_H

#include "env/env.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    /* graph_of_env: host [B], validated. Builds the backend's state. */
    int (*init)(ccx_env *e, const int32_t *graph_of_env, ccx_error *err);
    void (*destroy)(ccx_env *e);
    void *(*buf_alloc)(const ccx_env *e, size_t bytes, ccx_error *err);
    void (*buf_free)(const ccx_env *e, void *buf);
    int (*upload)(const ccx_env *e, void *dst, const void *src, size_t bytes, ccx_error *err);
    int (*download)(const ccx_env *e, void *dst, const void *src, size_t bytes, ccx_error *err);
    int (*reset)(ccx_env *e, const uint8_t *mask, ccx_error *err);
    int (*step)(ccx_env *e, const int32_t *actions, int64_t *cost, uint8_t *done, unsigned flags,
                ccx_error *err);
    int (*legal_mask)(ccx_env *e, const int32_t *ids, int n, uint8_t *mask, unsigned flags,
                      ccx_error *err);
    int (*observe)(ccx_env *e, const int32_t *ids, int n, float *features, uint8_t *adjacency,
                   unsigned flags, ccx_error *err);
    int (*get_info)(ccx_env *e, int64_t *cost, int32_t *remaining, int32_t *graph, ccx_error *err);
    int (*snapshot)(ccx_env *e, const int32_t *ids, int n, uint32_t *buf, unsigned flags,
                    ccx_error *err);
    int (*restore)(ccx_env *e, const int32_t *ids, int n, const uint32_t *buf, unsigned flags,
                   ccx_error *err);
    int (*set_eliminated)(ccx_env *e, const int32_t *ids, int n, const uint32_t *sets,
                          const int64_t *costs, unsigned flags, ccx_error *err);
    int (*get_eliminated)(ccx_env *e, const int32_t *ids, int n, uint32_t *sets, unsigned flags,
                          ccx_error *err);
    int (*play_random)(ccx_env *e, const uint8_t *mask, uint64_t seed, int32_t *actions_out,
                       ccx_error *err);
    int (*play_orders)(ccx_env *e, const uint8_t *mask, const int32_t *orders, unsigned flags,
                       ccx_error *err);
    int (*sync)(ccx_env *e, ccx_error *err);
    double (*peak_bandwidth)(const ccx_env *e, char *desc, size_t desc_size);
} ccx_env_backend_ops;

struct ccx_env {
    ccx_backend backend;
    const ccx_env_backend_ops *ops;
    ccx_env_layout L;
    ccx_env_graph_info *graphs; /* host [n_graphs] */
    uint32_t *tmpl;             /* host [n_graphs][slab_words]: each graph reset */
    uint8_t *op_rows;           /* host [n_graphs][n_pad]: 1 + ccx_op, 0 for inputs/padding */
    int32_t *tabs;              /* host [n_graphs][tab_words]: record tables (records only) */
    uint32_t *state;            /* backend memory [B][slab_words] (set by init) */
    void *stream;               /* cudaStream_t (cuda), NULL (cpu) */
    void *impl;                 /* the backend's own record */
};

extern const ccx_env_backend_ops ccx_env_cpu_ops;
#ifdef CCX_HAVE_CUDA
extern const ccx_env_backend_ops ccx_env_cuda_ops; /* cuda/env_kernels.cu */
#endif

#ifdef __cplusplus
}
#endif
#endif
