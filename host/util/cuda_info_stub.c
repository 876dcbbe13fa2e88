/* ccx_cuda_device_info() for builds without CUDA; the CUDA build gets the
 * real one from cuda/device_info.cu (CCX_HAVE_CUDA is then defined). */
#ifndef CCX_HAVE_CUDA

#include <stdio.h>

#include "util/cuda_info.h"

int ccx_cuda_device_info(char *buf, size_t size) {
    if (buf && size > 0) snprintf(buf, size, "%s", "built without CUDA");
    return 0;
}

#else
/* ISO C forbids an empty translation unit. */
typedef int ccx_cuda_info_stub_unused;
#endif
