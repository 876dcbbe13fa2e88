/* metrics.csv: one row per update under a fixed header. NaN is an empty
 * field. On resume the rows after the checkpoint's update are dropped (the
 * file is rewritten atomically) and rows are appended from there. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/run.h"
#include "util/file.h"

struct ccx_metrics {
    FILE *f;
    int n_cols;
    char *path;
    char *line; /* row buffer */
    size_t line_cap;
};

static char *header_line(int n_cols, const char *const *cols) {
    size_t len = 2;
    for (int i = 0; i < n_cols; i++) len += strlen(cols[i]) + 1;
    char *h = malloc(len);
    if (!h) return NULL;
    size_t p = 0;
    for (int i = 0; i < n_cols; i++) {
        size_t l = strlen(cols[i]);
        if (i) h[p++] = ',';
        memcpy(h + p, cols[i], l);
        p += l;
    }
    h[p++] = '\n';
    h[p] = '\0';
    return h;
}

static void metrics_free(ccx_metrics *m) {
    if (!m) return;
    if (m->f) fclose(m->f);
    free(m->path);
    free(m->line);
    free(m);
}

ccx_metrics *ccx_metrics_open(const char *path, int n_cols, const char *const *cols, long keep_until,
                              ccx_error *err) {
    if (n_cols < 1) {
        ccx_error_set_at(err, path, 0, 0, "no metrics columns");
        return NULL;
    }
    for (int i = 0; i < n_cols; i++)
        if (!cols[i][0] || strpbrk(cols[i], ",\n\r\"")) {
            ccx_error_set_at(err, path, 0, 0, "bad column name '%s'", cols[i]);
            return NULL;
        }
    ccx_metrics *m = calloc(1, sizeof *m);
    char *header = header_line(n_cols, cols);
    if (!m || !header || !(m->path = strdup(path))) {
        free(header);
        metrics_free(m);
        ccx_error_set_at(err, path, 0, 0, "out of memory");
        return NULL;
    }
    m->n_cols = n_cols;
    if (keep_until < 0) {
        m->f = fopen(path, "w");
        if (!m->f || fputs(header, m->f) == EOF || fflush(m->f) != 0) {
            ccx_error_set_at(err, path, 0, 0, "cannot write: %s", strerror(errno));
            free(header);
            metrics_free(m);
            return NULL;
        }
        free(header);
        return m;
    }
    /* resume: keep the header and the rows up to keep_until */
    size_t len = 0;
    char *text = ccx_read_file(path, 0, &len, err);
    if (!text) {
        free(header);
        metrics_free(m);
        return NULL;
    }
    size_t hl = strlen(header);
    if (len < hl || memcmp(text, header, hl) != 0) {
        char *nl = strchr(text, '\n');
        if (nl) *nl = '\0';
        ccx_error_set_at(err, path, 1, 1,
                         "the header does not match this run's columns (expected '%.*s', found '%.200s')",
                         (int)(hl - 1 < 200 ? hl - 1 : 200), header, text);
        free(text);
        free(header);
        metrics_free(m);
        return NULL;
    }
    size_t keep = hl;
    for (char *p = text + hl; *p;) {
        char *nl = strchr(p, '\n');
        if (!nl) break; /* a half-written last row: dropped */
        char *end;
        errno = 0;
        double u = strtod(p, &end);
        if (end == p || (*end != ',' && *end != '\n') || !(u <= (double)keep_until)) break;
        p = nl + 1;
        keep = (size_t)(p - text);
    }
    free(header);
    if (keep != len && ccx_write_file_atomic(path, text, keep, err)) {
        free(text);
        metrics_free(m);
        return NULL;
    }
    free(text);
    m->f = fopen(path, "a");
    if (!m->f) {
        ccx_error_set_at(err, path, 0, 0, "cannot append: %s", strerror(errno));
        metrics_free(m);
        return NULL;
    }
    return m;
}

int ccx_metrics_append(ccx_metrics *m, const double *values, ccx_error *err) {
    size_t need = (size_t)m->n_cols * 32 + 2;
    if (m->line_cap < need) {
        char *nl = realloc(m->line, need);
        if (!nl) return ccx_error_set_at(err, m->path, 0, 0, "out of memory");
        m->line = nl;
        m->line_cap = need;
    }
    size_t p = 0;
    for (int i = 0; i < m->n_cols; i++) {
        if (i) m->line[p++] = ',';
        double v = values[i];
        if (isnan(v)) continue;
        int w;
        if (isfinite(v) && v == floor(v) && fabs(v) < 1e15) w = snprintf(m->line + p, 31, "%.0f", v);
        else w = snprintf(m->line + p, 31, "%.9g", v);
        p += (size_t)(w > 30 ? 30 : w);
    }
    m->line[p++] = '\n';
    if (fwrite(m->line, 1, p, m->f) != p || fflush(m->f) != 0)
        return ccx_error_set_at(err, m->path, 0, 0, "write failed: %s", strerror(errno));
    return 0;
}

void ccx_metrics_close(ccx_metrics *m) { metrics_free(m); }

/* ---- reading ---- */

void ccx_metrics_table_free(ccx_metrics_table *t) {
    if (!t) return;
    for (int i = 0; i < t->n_cols; i++) free(t->cols[i]);
    free(t->cols);
    free(t->values);
    memset(t, 0, sizeof *t);
}

int ccx_metrics_col(const ccx_metrics_table *t, const char *name) {
    for (int i = 0; i < t->n_cols; i++)
        if (strcmp(t->cols[i], name) == 0) return i;
    return -1;
}

int ccx_metrics_read(const char *path, ccx_metrics_table *t, ccx_error *err) {
    memset(t, 0, sizeof *t);
    size_t len = 0;
    char *text = ccx_read_file(path, 0, &len, err);
    if (!text) return -1;
    /* strip \r of CRLF files */
    char *nl = strchr(text, '\n');
    if (!nl) {
        free(text);
        return ccx_error_set_at(err, path, 1, 1, "no header line");
    }
    *nl = '\0';
    if (nl > text && nl[-1] == '\r') nl[-1] = '\0';
    int n_cols = 1;
    for (char *p = text; *p; p++) n_cols += *p == ',';
    t->cols = calloc((size_t)n_cols, sizeof *t->cols);
    if (!t->cols) {
        free(text);
        return ccx_error_set_at(err, path, 0, 0, "out of memory");
    }
    t->n_cols = n_cols;
    char *p = text;
    for (int i = 0; i < n_cols; i++) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        if (!(t->cols[i] = strdup(p))) {
            free(text);
            ccx_metrics_table_free(t);
            return ccx_error_set_at(err, path, 0, 0, "out of memory");
        }
        p = comma ? comma + 1 : p + strlen(p);
    }
    /* rows */
    size_t max_rows = 0;
    for (char *q = nl + 1; *q; q++) max_rows += *q == '\n';
    max_rows++;
    t->values = malloc(max_rows * (size_t)n_cols * sizeof(double) + 1);
    if (!t->values) {
        free(text);
        ccx_metrics_table_free(t);
        return ccx_error_set_at(err, path, 0, 0, "out of memory");
    }
    int line = 1;
    for (char *row = nl + 1; *row;) {
        line++;
        char *end = strchr(row, '\n');
        int complete = end != NULL;
        if (end) *end = '\0';
        else end = row + strlen(row);
        if (end > row && end[-1] == '\r') end[-1] = '\0';
        if (!complete) break; /* a row being written right now (rows end with a newline) */
        if (!*row) { /* blank line */
            row = complete ? end + 1 : end;
            continue;
        }
        double *v = t->values + (size_t)t->n_rows * (size_t)n_cols;
        int col = 0, bad = 0;
        for (char *f = row;; col++) {
            char *comma = strchr(f, ',');
            if (comma) *comma = '\0';
            if (col < n_cols) {
                if (!*f) v[col] = NAN;
                else {
                    char *e;
                    v[col] = strtod(f, &e);
                    if (*e) bad = 1;
                }
            }
            if (!comma) break;
            f = comma + 1;
        }
        col++;
        if (col != n_cols || bad) {
            free(text);
            int nc = col;
            ccx_metrics_table_free(t);
            if (nc != n_cols)
                return ccx_error_set_at(err, path, line, 1, "expected %d fields, found %d", n_cols, nc);
            return ccx_error_set_at(err, path, line, 1, "a field is not a number");
        }
        t->n_rows++;
        row = complete ? end + 1 : end;
    }
    free(text);
    return 0;
}
