/* The run directory: out_dir/NAME with checkpoints/ inside; NAME made
 * unique by -2, -3, ... (mkdir is the test, so concurrent runs never share
 * a directory). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "train/run.h"

/* mkdir -p path (mode 0777 & ~umask). */
static int mkdir_p(const char *path, ccx_error *err) {
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0) return ccx_error_set(err, "empty directory name");
    if (n >= sizeof buf) return ccx_error_set(err, "%s: path too long", path);
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return ccx_error_set_at(err, buf, 0, 0, "cannot create directory: %s", strerror(errno));
            struct stat st;
            if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
                return ccx_error_set_at(err, buf, 0, 0, "exists and is not a directory");
            *p = saved;
            if (!saved) break;
        }
    }
    return 0;
}

/* base without directories and a .yaml/.yml extension */
static void clean_base(const char *base, char *out, size_t size) {
    const char *slash = base ? strrchr(base, '/') : NULL;
    const char *b = slash ? slash + 1 : base ? base : "";
    snprintf(out, size, "%s", b);
    char *dot = strrchr(out, '.');
    if (dot && dot != out && (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0)) *dot = '\0';
    if (!out[0] || strcmp(out, ".") == 0 || strcmp(out, "..") == 0) snprintf(out, size, "run");
}

void ccx_run_default_out_dir(char *out, size_t size) {
#ifdef CCX_SOURCE_DIR
    struct stat st;
    if (stat(CCX_SOURCE_DIR "/results", &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(out, size, "%s", CCX_SOURCE_DIR "/results/runs");
        return;
    }
#endif
    snprintf(out, size, "results/runs");
}

int ccx_run_dir_create(const char *out_dir, const char *name, const char *base, char *dir,
                       size_t size, ccx_error *err) {
    if (!out_dir || !*out_dir) return ccx_error_set(err, "run.out_dir is empty");
    char stem[256];
    if (name && *name) {
        if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            return ccx_error_set(err, "run name '%s' must be a plain directory name", name);
        if (strlen(name) >= sizeof stem) return ccx_error_set(err, "run name '%s' is too long", name);
        snprintf(stem, sizeof stem, "%s", name);
    } else {
        clean_base(base, stem, sizeof stem);
    }
    if (mkdir_p(out_dir, err)) return -1;
    char path[4096];
    for (int k = 1; k <= 100000; k++) {
        int w = k == 1 ? snprintf(path, sizeof path, "%s/%s", out_dir, stem)
                       : snprintf(path, sizeof path, "%s/%s-%d", out_dir, stem, k);
        if (w < 0 || (size_t)w >= sizeof path || (size_t)w >= size)
            return ccx_error_set(err, "%s/%s: path too long", out_dir, stem);
        if (mkdir(path, 0777) == 0) {
            char ck[4200];
            snprintf(ck, sizeof ck, "%s/checkpoints", path);
            if (mkdir(ck, 0777) != 0 && errno != EEXIST)
                return ccx_error_set_at(err, ck, 0, 0, "cannot create directory: %s", strerror(errno));
            snprintf(dir, size, "%s", path);
            return 0;
        }
        if (errno != EEXIST)
            return ccx_error_set_at(err, path, 0, 0, "cannot create directory: %s", strerror(errno));
    }
    return ccx_error_set(err, "%s: too many runs named '%s'", out_dir, stem);
}
