/* Loading task files from disk and resolving task names to paths. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lang/task.h"
#include "io/graph_file.h"
#include "util/file.h"

ccx_graph *ccx_task_load(const char *path, ccx_error *err) {
    size_t len;
    char *buf = ccx_read_file(path, CCX_GRAPH_FILE_MAX_BYTES, &len, err);
    if (!buf) return NULL;
    /* a JSON object is a graph file (ccx's or AlphaGrad's), anything else a task file */
    ccx_graph *g = ccx_graph_file_is_json(buf, len) ? ccx_graph_file_parse(buf, len, path, err)
                                                    : ccx_task_parse(buf, len, path, err);
    free(buf);
    return g;
}

static int is_file(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int ccx_task_resolve(const char *arg, char *out, size_t out_size, ccx_error *err) {
    if (is_file(arg)) { snprintf(out, out_size, "%s", arg); return 0; }
    struct stat st;
    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
        return ccx_error_set(err, "'%s' is a directory, not a task file", arg);
    if (strchr(arg, '/')) return ccx_error_set(err, "task file '%s' does not exist", arg);
    const char *env = getenv("CCX_TASKS");
    const char *dirs[3] = {env && *env ? env : NULL, "configs/tasks",
#ifdef CCX_SOURCE_DIR
                           CCX_SOURCE_DIR "/configs/tasks"
#else
                           NULL
#endif
    };
    size_t n = strlen(arg);
    int has_ext = (n > 4 && strcmp(arg + n - 4, ".ccx") == 0) ||
                  (n > 5 && strcmp(arg + n - 5, ".json") == 0);
    /* NAME: a task file NAME.ccx, else a graph file NAME.graph.json */
    static const char *const EXT[2] = {".ccx", ".graph.json"};
    for (int i = 0; i < 3; i++) {
        if (!dirs[i]) continue;
        for (int e = 0; e < (has_ext ? 1 : 2); e++) {
            char p[4096];
            snprintf(p, sizeof p, "%s/%s%s", dirs[i], arg, has_ext ? "" : EXT[e]);
            if (is_file(p)) { snprintf(out, out_size, "%s", p); return 0; }
        }
    }
    return ccx_error_set(err,
                         "no task '%s': not a file, and no %s%s in $CCX_TASKS, ./configs/tasks "
                         "or the source tree's configs/tasks", arg, arg,
                         has_ext ? "" : ".ccx or .graph.json");
}
