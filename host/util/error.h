/* ccx_error: one error record carried out of every fallible call.
 *
 * A call that fails fills the record and returns an error code; nothing is
 * printed by library code. The CLI prints ccx_error_format() and exits 2 for
 * bad input. Task-file errors carry file:line:column; other errors leave the
 * location empty (line == 0). */
#ifndef CCX_UTIL_ERROR_H
#define CCX_UTIL_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char file[256];  /* "" when the error has no file */
    int line;        /* 1-based; 0 when the error has no location */
    int col;         /* 1-based; 0 when unknown */
    char msg[512];
} ccx_error;

void ccx_error_clear(ccx_error *err);
/* printf-style; err may be NULL (then the call does nothing). Returns -1 so a
 * caller can write `return ccx_error_set(err, ...);`. */
int ccx_error_set(ccx_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ccx_error_set_at(ccx_error *err, const char *file, int line, int col,
                     const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* "file:line:col: msg", "file: msg" or "msg" into buf. */
const char *ccx_error_format(const ccx_error *err, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
