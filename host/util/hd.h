/* The one spelling of "compiled for the host and the device": a rule that the
 * CPU twin and a CUDA kernel both run is written once, as a CCX_HD function in
 * a header both include. Under nvcc CCX_HD is __host__ __device__ (forced
 * inline), CCX_DEV device-only; in C both are plain static inline. */
#ifndef CCX_UTIL_HD_H
#define CCX_UTIL_HD_H

#ifdef __CUDACC__
#define CCX_HD static __host__ __device__ __forceinline__
#define CCX_DEV static __device__ __forceinline__
#else
#define CCX_HD static inline
#define CCX_DEV static inline
#endif

#endif
