// Which CUDA device answers: used by `--backend auto` and `ccx info`.
// Host-only runtime calls; must never abort, with or without a driver.
#include <cuda_runtime.h>

#include <stdio.h>

#include "util/cuda_info.h"

extern "C" int ccx_cuda_device_info(char *buf, size_t size) {
    if (buf && size > 0) buf[0] = '\0';
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        if (buf && size > 0)
            snprintf(buf, size, "%s (%s)", cudaGetErrorString(e), cudaGetErrorName(e));
        (void)cudaGetLastError(); // reset the runtime's last-error state
        return 0;
    }
    if (n <= 0) {
        if (buf && size > 0) snprintf(buf, size, "no CUDA device");
        return 0;
    }
    cudaDeviceProp p;
    e = cudaGetDeviceProperties(&p, 0);
    if (e != cudaSuccess) {
        if (buf && size > 0)
            snprintf(buf, size, "device 0: %s (%s)", cudaGetErrorString(e), cudaGetErrorName(e));
        (void)cudaGetLastError();
        return 0;
    }
    if (buf && size > 0)
        snprintf(buf, size, "%s, compute %d.%d, %llu GiB", p.name, p.major, p.minor,
                 (unsigned long long)(p.totalGlobalMem >> 30));
    return n;
}
