#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ccx_error_clear(ccx_error *err) {
    if (err) memset(err, 0, sizeof *err);
}

int ccx_error_set(ccx_error *err, const char *fmt, ...) {
    if (!err) return -1;
    ccx_error_clear(err);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int ccx_error_set_at(ccx_error *err, const char *file, int line, int col,
                     const char *fmt, ...) {
    if (!err) return -1;
    ccx_error_clear(err);
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    err->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

const char *ccx_error_format(const ccx_error *err, char *buf, size_t size) {
    if (err->file[0] && err->line > 0)
        snprintf(buf, size, "%s:%d:%d: %s", err->file, err->line, err->col, err->msg);
    else if (err->file[0])
        snprintf(buf, size, "%s: %s", err->file, err->msg);
    else
        snprintf(buf, size, "%s", err->msg);
    return buf;
}
