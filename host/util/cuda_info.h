/* What CUDA device (if any) this build can use.
 *
 * With CUDA (CCX_HAVE_CUDA) the function lives in cuda/device_info.cu;
 * without it host/util/cuda_info_stub.c provides a stub that reports no
 * device. `--backend auto` picks cuda when this returns > 0. */
#ifndef CCX_UTIL_CUDA_INFO_H
#define CCX_UTIL_CUDA_INFO_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Returns the number of CUDA devices that answer (0 when there is no device,
 * no driver, or the build has no CUDA; never aborts). Writes a one-line
 * description into buf (always NUL-terminated when size > 0): for device 0
 * e.g. "NVIDIA H100 80GB HBM3, compute 9.0, 79 GiB", otherwise the reason
 * there is none (the CUDA error string, or "built without CUDA"). */
int ccx_cuda_device_info(char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
