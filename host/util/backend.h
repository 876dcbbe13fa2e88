/* Which machine a batch runs on: one enum and one parser for every part that
 * has a CPU and a CUDA twin (environments, the network, the RL ops, search),
 * so a choice made once ("--backend", the config's run.backend) is passed
 * along unchanged. */
#ifndef CCX_UTIL_BACKEND_H
#define CCX_UTIL_BACKEND_H

#include <stddef.h>

#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CCX_BACKEND_CPU = 0, CCX_BACKEND_CUDA = 1 } ccx_backend;

const char *ccx_backend_name(ccx_backend b);
/* "cpu", "cuda" or "auto". auto picks cuda iff this build has CUDA and a
 * device answers; a one-line reason goes into note (may be NULL), e.g.
 * "backend auto: cuda (NVIDIA H100 80GB HBM3, compute 9.0, 79 GiB)". "cuda"
 * in a build without CUDA is an error ("built without CUDA"). */
int ccx_backend_parse(const char *name, ccx_backend *out, char *note, size_t note_size,
                      ccx_error *err);

#ifdef __cplusplus
}
#endif
#endif
