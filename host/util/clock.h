/* Wall-clock seconds from a monotonic clock: the one timer for benchmarks,
 * progress lines and time limits. */
#ifndef CCX_UTIL_CLOCK_H
#define CCX_UTIL_CLOCK_H

#include <time.h>

static inline double ccx_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#endif
