#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Best effort: make the rename durable by syncing the directory. */
static void sync_parent_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir) return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY);
    if (fd < 0) return;
    (void)fsync(fd);
    close(fd);
}

int ccx_write_file_atomic(const char *path, const void *data, size_t len, ccx_error *err) {
    if (!path || !*path) return ccx_error_set(err, "no output path");
    if (strcmp(path, "-") == 0) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
            return ccx_error_set_at(err, "<stdout>", 0, 0, "write failed: %s", strerror(errno));
        return 0;
    }
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) return ccx_error_set_at(err, path, 0, 0, "out of memory");
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return ccx_error_set_at(err, path, 0, 0, "cannot create a temporary file next to it: %s",
                                strerror(e));
    }
    /* mkstemp makes the file 0600; give it the usual permissions */
    mode_t um = umask(0);
    umask(um);
    (void)fchmod(fd, 0666 & ~um);
    const char *what = NULL;
    const char *p = data;
    size_t left = len;
    while (left > 0 && !what) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) what = "write failed";
        else { p += n; left -= (size_t)n; }
    }
    if (!what && fsync(fd) != 0) what = "fsync failed";
    int e = errno;
    if (close(fd) != 0 && !what) { what = "close failed"; e = errno; }
    if (!what && rename(tmp, path) != 0) { what = "cannot rename the temporary file into place"; e = errno; }
    if (what) {
        unlink(tmp);
        free(tmp);
        return ccx_error_set_at(err, path, 0, 0, "%s: %s", what, strerror(e));
    }
    free(tmp);
    sync_parent_dir(path);
    return 0;
}

char *ccx_read_file(const char *path, size_t max_bytes, size_t *len_out, ccx_error *err) {
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        ccx_error_set_at(err, name, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 14, len = 0;
    char *buf = malloc(cap);
    int oom = !buf, too_big = 0;
    while (!oom && !too_big) {
        if (len + 1 >= cap) {
            char *p = realloc(buf, cap * 2);
            if (!p) { oom = 1; break; }
            buf = p;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - 1 - len, f);
        len += n;
        too_big = max_bytes && len > max_bytes;
        if (n == 0) break;
    }
    int bad = ferror(f), e = errno;
    if (!is_stdin) fclose(f);
    if (oom || too_big || bad) {
        if (oom) ccx_error_set_at(err, name, 0, 0, "out of memory");
        else if (too_big)
            ccx_error_set_at(err, name, 0, 0, "larger than %zu MiB; not a file ccx reads here",
                             max_bytes >> 20);
        else if (e == EISDIR) ccx_error_set_at(err, name, 0, 0, "cannot read: it is a directory");
        else ccx_error_set_at(err, name, 0, 0, "read error: %s", strerror(e ? e : EIO));
        free(buf);
        return NULL;
    }
    buf[len] = 0;
    if (len_out) *len_out = len;
    return buf;
}
