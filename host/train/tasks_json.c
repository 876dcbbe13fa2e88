/* tasks.json in a run directory (format in train/run.h): written by the
 * trainer, read by plots and summaries. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/run.h"
#include "util/file.h"

static cJSON *num_or_null(long v) { return v < 0 ? cJSON_CreateNull() : cJSON_CreateNumber((double)v); }

int ccx_run_write_tasks_json(const char *dir, int n, const ccx_run_task_info *tasks, ccx_error *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/tasks.json", dir);
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = root ? cJSON_AddArrayToObject(root, "tasks") : NULL;
    int ok = arr != NULL;
    for (int i = 0; ok && i < n; i++) {
        const ccx_run_task_info *t = &tasks[i];
        cJSON *o = cJSON_CreateObject();
        ok = o && cJSON_AddItemToArray(arr, o);
        if (!ok) {
            cJSON_Delete(o);
            break;
        }
        ok = cJSON_AddStringToObject(o, "name", t->name) && cJSON_AddStringToObject(o, "path", t->path) &&
             cJSON_AddStringToObject(o, "graph_sha256", t->hash) &&
             cJSON_AddNumberToObject(o, "n_intermediates", t->n_intermediates) &&
             cJSON_AddItemToObject(o, "forward", num_or_null(t->forward)) &&
             cJSON_AddItemToObject(o, "reverse", num_or_null(t->reverse)) &&
             cJSON_AddItemToObject(o, "markowitz", num_or_null(t->markowitz)) &&
             cJSON_AddItemToObject(o, "greedy", num_or_null(t->greedy)) &&
             cJSON_AddStringToObject(o, "cost_model", t->cost_model[0] ? t->cost_model : "alphagrad");
        if (!ok) break;
        if (t->published.ppo < 0 && t->published.best < 0) {
            ok = cJSON_AddNullToObject(o, "published") != NULL;
        } else {
            cJSON *p = cJSON_AddObjectToObject(o, "published");
            ok = p && cJSON_AddItemToObject(p, "ppo", num_or_null(t->published.ppo)) &&
                 cJSON_AddItemToObject(p, "best", num_or_null(t->published.best));
        }
    }
    char *text = ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text) return ccx_error_set_at(err, path, 0, 0, "out of memory");
    size_t len = strlen(text);
    char *full = malloc(len + 2);
    int rc;
    if (!full) {
        rc = ccx_error_set_at(err, path, 0, 0, "out of memory");
    } else {
        memcpy(full, text, len);
        full[len] = '\n';
        full[len + 1] = '\0';
        rc = ccx_write_file_atomic(path, full, len + 1, err);
    }
    free(full);
    cJSON_free(text);
    return rc;
}

static long get_long(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
}

static void get_str(const cJSON *o, const char *key, char *buf, size_t size) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    snprintf(buf, size, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

int ccx_run_read_tasks_json(const char *dir, int max, ccx_run_task_info *tasks, ccx_error *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/tasks.json", dir);
    size_t len;
    char *buf = ccx_read_file(path, (size_t)64 << 20, &len, err);
    if (!buf) return -1;
    cJSON *root = cJSON_ParseWithLength(buf, len);
    free(buf);
    if (!root) return ccx_error_set_at(err, path, 0, 0, "not valid JSON");
    const cJSON *arr = cJSON_IsArray(root) ? root : cJSON_GetObjectItemCaseSensitive(root, "tasks");
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(root);
        return ccx_error_set_at(err, path, 0, 0, "expected {\"tasks\": [...]}");
    }
    int n = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, arr) {
        if (n >= max) break;
        if (!cJSON_IsObject(o) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "name"))) {
            cJSON_Delete(root);
            return ccx_error_set_at(err, path, 0, 0, "task %d: expected an object with a \"name\"", n + 1);
        }
        ccx_run_task_info *t = &tasks[n++];
        memset(t, 0, sizeof *t);
        get_str(o, "name", t->name, sizeof t->name);
        get_str(o, "path", t->path, sizeof t->path);
        get_str(o, "graph_sha256", t->hash, sizeof t->hash);
        t->n_intermediates = (int)get_long(o, "n_intermediates");
        t->forward = get_long(o, "forward");
        t->reverse = get_long(o, "reverse");
        t->markowitz = get_long(o, "markowitz");
        t->greedy = get_long(o, "greedy");
        get_str(o, "cost_model", t->cost_model, sizeof t->cost_model);
        if (!t->cost_model[0]) snprintf(t->cost_model, sizeof t->cost_model, "alphagrad");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "published");
        t->published.ppo = cJSON_IsObject(p) ? get_long(p, "ppo") : -1;
        t->published.best = cJSON_IsObject(p) ? get_long(p, "best") : -1;
    }
    cJSON_Delete(root);
    return n;
}
