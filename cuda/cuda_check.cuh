// Checked CUDA runtime calls and NVTX ranges, shared by the .cu files whose
// entry points take a ccx_error *err.
#ifndef CCX_CUDA_CHECK_CUH
#define CCX_CUDA_CHECK_CUH

#include <cuda_runtime.h>
#include <nvtx3/nvToolsExt.h>
#include <string.h>

#include "util/error.h"

// "CUDA error: WHAT failed (FILE:LINE): message (name)"; returns -1.
static inline int ccx_cuda_fail(ccx_error *err, const char *file, int line, const char *what,
                                cudaError_t e) {
    const char *base = strrchr(file, '/');
    ccx_error_set(err, "CUDA error: %s failed (%s:%d): %s (%s)", what, base ? base + 1 : file,
                  line, cudaGetErrorString(e), cudaGetErrorName(e));
    return -1;
}

// In a function with `ccx_error *err` in scope returning int: run call,
// return -1 with err set if it fails.
#define CK(call)                                                                        \
    do {                                                                                \
        cudaError_t ck_e_ = (call);                                                     \
        if (ck_e_ != cudaSuccess) return ccx_cuda_fail(err, __FILE__, __LINE__, #call, ck_e_); \
    } while (0)

// An NVTX range for the lifetime of the object (visible in Nsight Systems).
struct Nvtx {
    explicit Nvtx(const char *name) { nvtxRangePushA(name); }
    ~Nvtx() { nvtxRangePop(); }
};

#endif
