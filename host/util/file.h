/* Whole-file I/O: one atomic writer for every result ccx writes (nothing
 * half-written is ever left under the final name) and one reader for every
 * file it reads. */
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
/* The whole file at path ("-" = stdin, named "<stdin>") in a malloc'd buffer
 * with a NUL after the last byte (*len excludes it; len may be NULL). The one
 * reader of every input file (tasks, graphs, orders, configs, checkpoints,
 * replay buffers, metrics). A file over max_bytes (0: no limit) is refused
 * rather than read whole. NULL on failure, with err at the file's name:
 * "cannot open: ...", "cannot read: it is a directory", "read error: ...",
 * "out of memory" or "larger than N MiB". */
char *ccx_read_file(const char *path, size_t max_bytes, size_t *len, ccx_error *err);

#ifdef __cplusplus
}
#endif
#endif
