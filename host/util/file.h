/* Whole-file I/O used by every writer of results (order files, generated
 * tasks, later checkpoints and metrics): nothing half-written is ever left
 * under the final name. */
#ifndef CCX_UTIL_FILE_H
#define CCX_UTIL_FILE_H

#include <stddef.h>

#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Write len bytes to path atomically: a temporary file in the same
 * directory, fsync, rename over path, fsync of the directory. "-" writes to
 * stdout. On failure the temporary file is removed and err names the path. */
int ccx_write_file_atomic(const char *path, const void *data, size_t len, ccx_error *err);
/* The whole file at path ("-" = stdin) in a malloc'd buffer with a NUL
 * after the last byte (*len excludes it; len may be NULL). NULL with err
 * naming the path on failure. */
char *ccx_read_file(const char *path, size_t *len, ccx_error *err);

#ifdef __cplusplus
}
#endif
#endif
