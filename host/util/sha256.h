/* SHA-256 (FIPS 180-4), for the stable graph hash stored in order files. */
#ifndef CCX_UTIL_SHA256_H
#define CCX_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint32_t state[8];
    uint64_t n_bytes;
    uint8_t block[64];
    size_t block_len;
} ccx_sha256;

void ccx_sha256_init(ccx_sha256 *s);
void ccx_sha256_update(ccx_sha256 *s, const void *data, size_t len);
void ccx_sha256_final(ccx_sha256 *s, uint8_t digest[32]);
/* digest -> 64 lowercase hex chars + NUL */
void ccx_sha256_hex(const uint8_t digest[32], char hex[65]);

#ifdef __cplusplus
}
#endif
#endif
