/* The backend choice (backend.h). */
#include "util/backend.h"

#include <stdio.h>
#include <string.h>

#include "util/cuda_info.h"

const char *ccx_backend_name(ccx_backend b) {
    return b == CCX_BACKEND_CUDA ? "cuda" : "cpu";
}

int ccx_backend_parse(const char *name, ccx_backend *out, char *note, size_t note_size,
                      ccx_error *err) {
    if (note && note_size) note[0] = '\0';
    if (!name) return ccx_error_set(err, "no backend given (cpu, cuda or auto)");
    if (strcmp(name, "cpu") == 0) {
        *out = CCX_BACKEND_CPU;
        return 0;
    }
    if (strcmp(name, "cuda") == 0) {
#ifndef CCX_HAVE_CUDA
        return ccx_error_set(err, "backend cuda: this ccx was built without CUDA (configured with "
                                  "CCX_CUDA=OFF or without nvcc); use --backend cpu");
#else
        *out = CCX_BACKEND_CUDA;
        return 0;
#endif
    }
    if (strcmp(name, "auto") == 0) {
        char info[256];
        int n = ccx_cuda_device_info(info, sizeof info);
        *out = n > 0 ? CCX_BACKEND_CUDA : CCX_BACKEND_CPU;
        if (note && note_size)
            snprintf(note, note_size, "backend auto: %s (%s%s)", n > 0 ? "cuda" : "cpu",
                     n > 0 ? "" : "no CUDA device: ", info);
        return 0;
    }
    return ccx_error_set(err, "unknown backend '%s' (expected cpu, cuda or auto)", name);
}
