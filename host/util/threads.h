/* The CPU thread count of the OpenMP loops (cpu environments, the cpu
 * network's chunks), callable from code built without OpenMP flags (the
 * C++ tests). Without OpenMP there is one thread and setting is a no-op. */
#ifndef CCX_UTIL_THREADS_H
#define CCX_UTIL_THREADS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Use n threads from now on (n >= 1). */
void ccx_threads_set(int n);
/* The threads the next parallel loop will use. */
int ccx_threads_max(void);
/* The cores this process may use (1 without OpenMP). */
int ccx_threads_cores(void);

#ifdef __cplusplus
}
#endif
#endif
