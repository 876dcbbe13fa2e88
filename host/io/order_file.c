/* Order files: parse (JSON object or bare list), check against a graph, make,
 * serialise, read and write atomically. See order_file.h and docs/design.md
 * "Files". */
#define _POSIX_C_SOURCE 200809L

#include "io/order_file.h"
#include "io/json_util.h"
#include "util/file.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ORDER_MAX_ENTRIES 1000000
#define ORDER_MAX_FILE_BYTES ((size_t)64 << 20)
/* Costs and counts travel through JSON numbers (doubles): integers beyond
 * 2^53 would not survive exactly, so they are rejected. */
#define JSON_MAX_EXACT_INT 9007199254740992.0

/* ------------------------------------------------------------------ */
/* small helpers                                                       */

static void order_file_init(ccx_order_file *f) {
    memset(f, 0, sizeof *f);
    f->n_vertices = -1;
    f->cost = -1;
    f->cost_model = -1;
}

void ccx_order_forget_price(ccx_order_file *f) {
    f->cost = -1;
    f->has_baselines = 0;
    f->cost_model = -1;
}

void ccx_order_file_free(ccx_order_file *f) {
    if (!f) return;
    free(f->task);
    free(f->method);
    free(f->order);
    memset(f, 0, sizeof *f);
}

/* 1-based line and column of position pos in text. */
static void line_col(const char *text, const char *pos, int *line, int *col) {
    int l = 1, c = 1;
    for (const char *p = text; p < pos && *p; p++) {
        if (*p == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* Copy a token of length len for an error message: at most ~40 visible
 * characters, non-printable bytes as \xNN. */
static void show_token(const char *tok, size_t len, char *buf, size_t size) {
    size_t o = 0;
    size_t shown = 0;
    for (size_t i = 0; i < len && o + 8 < size; i++) {
        unsigned char ch = (unsigned char)tok[i];
        if (shown >= 40) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
            buf[o++] = (char)ch;
        } else {
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", ch);
        }
        shown++;
    }
    buf[o] = '\0';
}

static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* ------------------------------------------------------------------ */
/* bare list: "3, 1, 2", "[3,1,2]\n", "3 1 2"                          */

static int parse_bare(const char *text, ccx_order_file *out, ccx_error *err) {
    const char *p = text;
    int bracket = 0;
    while (is_space(*p)) p++;
    if (*p == '[') {
        bracket = 1;
        p++;
    }
    size_t cap = 0;
    int32_t *order = NULL;
    int n = 0;
    int closed = 0;
    int need_sep = 0; /* an entry was just read and no ',' has followed yet */
    char tokbuf[256];
    int line, col;

    for (;;) {
        while (is_space(*p)) p++;
        if (*p == '\0') break;
        if (*p == ']') {
            if (!bracket) {
                line_col(text, p, &line, &col);
                ccx_error_set(err, "bare order list: unexpected ']' at line %d, column %d "
                              "(no matching '[')", line, col);
                goto fail;
            }
            p++;
            closed = 1;
            break;
        }
        if (*p == ',') {
            if (n == 0 || !need_sep) {
                line_col(text, p, &line, &col);
                ccx_error_set(err, "bare order list: empty entry %d (stray ',' at line %d, "
                              "column %d)", n + 1, line, col);
                goto fail;
            }
            p++;
            need_sep = 0;
            continue;
        }
        /* token: up to whitespace, ',', '[' or ']' */
        const char *t = p;
        while (*p && !is_space(*p) && *p != ',' && *p != ']' && *p != '[') p++;
        size_t len = (size_t)(p - t);
        if (len == 0) { /* '[' where an entry was expected */
            line_col(text, t, &line, &col);
            ccx_error_set(err, "bare order list: entry %d: unexpected '%c' at line %d, "
                          "column %d", n + 1, *t, line, col);
            goto fail;
        }
        /* integer: optional sign, then digits only */
        size_t i = 0;
        int neg = 0;
        if (t[0] == '+' || t[0] == '-') {
            neg = t[0] == '-';
            i = 1;
        }
        int ok = i < len;
        int64_t v = 0;
        for (; ok && i < len; i++) {
            if (t[i] < '0' || t[i] > '9') {
                ok = 0;
                break;
            }
            v = v * 10 + (t[i] - '0');
            if (v > (int64_t)INT32_MAX + 1) {
                show_token(t, len, tokbuf, sizeof tokbuf);
                ccx_error_set(err, "bare order list: entry %d \"%s\" is out of range",
                              n + 1, tokbuf);
                goto fail;
            }
        }
        if (neg) v = -v;
        if (!ok || v > INT32_MAX || v < INT32_MIN) {
            show_token(t, len, tokbuf, sizeof tokbuf);
            if (ok)
                ccx_error_set(err, "bare order list: entry %d \"%s\" is out of range",
                              n + 1, tokbuf);
            else
                ccx_error_set(err, "bare order list: entry %d \"%s\" is not an integer",
                              n + 1, tokbuf);
            goto fail;
        }
        if (n >= ORDER_MAX_ENTRIES) {
            ccx_error_set(err, "bare order list: more than %d entries", ORDER_MAX_ENTRIES);
            goto fail;
        }
        if ((size_t)n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            int32_t *no = realloc(order, nc * sizeof *no);
            if (!no) {
                ccx_error_set(err, "out of memory reading an order of %d entries", n + 1);
                goto fail;
            }
            order = no;
            cap = nc;
        }
        order[n++] = (int32_t)v;
        need_sep = 1;
    }
    if (bracket && !closed) {
        ccx_error_set(err, "bare order list: missing closing ']'");
        goto fail;
    }
    if (closed) {
        while (is_space(*p)) p++;
        if (*p) {
            const char *t = p;
            while (*p && !is_space(*p)) p++;
            show_token(t, (size_t)(p - t), tokbuf, sizeof tokbuf);
            line_col(text, t, &line, &col);
            ccx_error_set(err, "bare order list: unexpected \"%s\" after ']' at line %d, "
                          "column %d", tokbuf, line, col);
            goto fail;
        }
    }
    if (n == 0) {
        ccx_error_set(err, "order is empty (expected a list of vertex numbers such as "
                      "\"3, 1, 2\" or a JSON object with an \"order\" key)");
        goto fail;
    }
    out->order = order;
    out->n_order = n;
    return 0;
fail:
    free(order);
    return -1;
}

/* ------------------------------------------------------------------ */
/* JSON object                                                         */

/* A scalar count/cost key: integer in [0, hi]. */
static int get_count(const cJSON *item, const char *key, double hi, int64_t *out,
                     ccx_error *err) {
    int r = ccx_json_int(item, 0, hi, out);
    if (r == -1) {
        if (cJSON_IsNumber(item))
            return ccx_error_set(err, "\"%s\" must be an integer, not %.15g", key,
                                 item->valuedouble);
        return ccx_error_set(err, "\"%s\" must be an integer, not %s", key,
                             ccx_json_type_name(item));
    }
    if (r == -2)
        return ccx_error_set(err, "\"%s\" = %.15g is out of range (0 .. %.0f)", key,
                             item->valuedouble, hi);
    return 0;
}

static int get_string(const cJSON *item, const char *key, char **out, ccx_error *err) {
    if (!cJSON_IsString(item) || !item->valuestring)
        return ccx_error_set(err, "\"%s\" must be a string, not %s", key,
                             ccx_json_type_name(item));
    *out = strdup(item->valuestring);
    if (!*out) return ccx_error_set(err, "out of memory");
    return 0;
}

static int get_order(const cJSON *item, ccx_order_file *out, ccx_error *err) {
    if (!cJSON_IsArray(item))
        return ccx_error_set(err, "\"order\" must be an array of vertex numbers, not %s",
                             ccx_json_type_name(item));
    int n = cJSON_GetArraySize(item);
    if (n == 0) return ccx_error_set(err, "\"order\" is empty");
    if (n > ORDER_MAX_ENTRIES)
        return ccx_error_set(err, "\"order\" has %d entries (at most %d allowed)", n,
                             ORDER_MAX_ENTRIES);
    int32_t *order = malloc((size_t)n * sizeof *order);
    if (!order) return ccx_error_set(err, "out of memory reading an order of %d entries", n);
    int k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, item) {
        int64_t v;
        int r = ccx_json_int(e, (double)INT32_MIN, (double)INT32_MAX, &v);
        if (r != 0) {
            if (r == -2)
                ccx_error_set(err, "order[%d] (entry %d) = %.15g is out of range", k, k + 1,
                              e->valuedouble);
            else if (cJSON_IsNumber(e))
                ccx_error_set(err, "order[%d] (entry %d) is not an integer: %.15g", k, k + 1,
                              e->valuedouble);
            else
                ccx_error_set(err, "order[%d] (entry %d) is not an integer: it is %s", k,
                              k + 1, ccx_json_type_name(e));
            free(order);
            return -1;
        }
        order[k++] = (int32_t)v;
    }
    out->order = order;
    out->n_order = k;
    return 0;
}

static int get_baselines(const cJSON *item, ccx_order_file *out, ccx_error *err) {
    if (!cJSON_IsObject(item))
        return ccx_error_set(err, "\"baselines\" must be an object with forward, reverse "
                             "and markowitz, not %s", ccx_json_type_name(item));
    static const char *const names[3] = {"forward", "reverse", "markowitz"};
    int64_t *dst[3] = {&out->baselines.forward, &out->baselines.reverse,
                       &out->baselines.markowitz};
    for (int i = 0; i < 3; i++) {
        char key[64];
        snprintf(key, sizeof key, "baselines.%s", names[i]);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, names[i]);
        if (!v) return ccx_error_set(err, "\"baselines\" lacks \"%s\"", names[i]);
        if (get_count(v, key, JSON_MAX_EXACT_INT, dst[i], err) != 0) return -1;
    }
    /* the tensor-aware greedy came later: optional, -1 when absent */
    const cJSON *gr = cJSON_GetObjectItemCaseSensitive(item, "greedy");
    out->baselines.greedy = -1;
    if (gr && get_count(gr, "baselines.greedy", JSON_MAX_EXACT_INT, &out->baselines.greedy, err))
        return -1;
    out->has_baselines = 1;
    return 0;
}

static int parse_json(const char *text, ccx_order_file *out, ccx_error *err) {
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (!root) {
        int line = 0, col = 0;
        if (end) line_col(text, end, &line, &col);
        return ccx_error_set(err, "order file is not valid JSON (error near line %d, "
                             "column %d)", line, col);
    }
    int rc = -1;
    if (!cJSON_IsObject(root)) {
        ccx_error_set(err, "order file: expected a JSON object");
        goto done;
    }
    static const char *const known[] = {"task", "graph_sha256", "n_vertices", "order",
                                        "cost", "method", "baselines", "cost_model"};
    int seen[8] = {0};
    const cJSON *item;
    cJSON_ArrayForEach(item, root) {
        int k = -1;
        for (int i = 0; i < 8; i++)
            if (item->string && strcmp(item->string, known[i]) == 0) k = i;
        if (k < 0) continue; /* unknown keys are ignored (forward compatibility) */
        if (seen[k]) {
            ccx_error_set(err, "key \"%s\" appears more than once", known[k]);
            goto done;
        }
        seen[k] = 1;
        /* null on an optional key means absent */
        if (cJSON_IsNull(item) && k != 3) continue;
        int64_t v;
        switch (k) {
        case 0:
            if (get_string(item, "task", &out->task, err)) goto done;
            break;
        case 1: {
            if (!cJSON_IsString(item) || !item->valuestring) {
                ccx_error_set(err, "\"graph_sha256\" must be a string of 64 hex digits, "
                              "not %s", ccx_json_type_name(item));
                goto done;
            }
            const char *h = item->valuestring;
            size_t len = strlen(h);
            int ok = len == 64;
            for (size_t i = 0; ok && i < 64; i++) {
                char c = h[i];
                if (c >= 'A' && c <= 'F') c = (char)(c - 'A' + 'a');
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) ok = 0;
                out->graph_sha256[i] = c;
            }
            if (!ok) {
                char shown[256];
                show_token(h, len, shown, sizeof shown);
                ccx_error_set(err, "\"graph_sha256\" must be 64 hex digits, got \"%s\"",
                              shown);
                goto done;
            }
            out->graph_sha256[64] = '\0';
            break;
        }
        case 2:
            if (get_count(item, "n_vertices", (double)INT32_MAX, &v, err)) goto done;
            out->n_vertices = (int)v;
            break;
        case 3:
            if (get_order(item, out, err)) goto done;
            break;
        case 4:
            if (get_count(item, "cost", JSON_MAX_EXACT_INT, &v, err)) goto done;
            out->cost = v;
            break;
        case 5:
            if (get_string(item, "method", &out->method, err)) goto done;
            break;
        case 6:
            if (get_baselines(item, out, err)) goto done;
            break;
        case 7: {
            ccx_cost_model m;
            if (!cJSON_IsString(item) || ccx_cost_model_parse(item->valuestring, &m)) {
                ccx_error_set(err, "\"cost_model\" must be \"alphagrad\" or \"real\"");
                goto done;
            }
            out->cost_model = (int)m;
            break;
        }
        }
    }
    if (!seen[3]) {
        ccx_error_set(err, "order file has no \"order\" key");
        goto done;
    }
    rc = 0;
done:
    cJSON_Delete(root);
    return rc;
}

int ccx_order_parse(const char *text, ccx_order_file *out, ccx_error *err) {
    order_file_init(out);
    if (!text) return ccx_error_set(err, "no order text");
    const char *p = text;
    if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF)
        p += 3; /* UTF-8 byte order mark */
    const char *q = p;
    while (is_space(*q)) q++;
    int rc = *q == '{' ? parse_json(p, out, err) : parse_bare(p, out, err);
    if (rc != 0) {
        ccx_order_file_free(out);
        order_file_init(out);
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* reading                                                             */

int ccx_order_read(const char *path, ccx_order_file *out, ccx_error *err) {
    order_file_init(out);
    if (!path) return ccx_error_set(err, "no order file path");
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    size_t len;
    char *buf = ccx_read_file(path, ORDER_MAX_FILE_BYTES, &len, err);
    if (!buf) return -1;
    int rc = -1;
    if (memchr(buf, '\0', len)) {
        ccx_error_set_at(err, name, 0, 0, "contains a NUL byte; not a text order file");
        goto done;
    }
    if (ccx_order_parse(buf, out, err) != 0) {
        /* keep the message, name the file */
        if (err) {
            snprintf(err->file, sizeof err->file, "%s", name);
            err->line = 0;
            err->col = 0;
        }
        goto done;
    }
    rc = 0;
done:
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ */
/* checking and making                                                 */

int ccx_order_check(const ccx_graph *g, const ccx_order_file *f, int64_t *cost,
                    ccx_error *err) {
    if (cost) *cost = -1;
    const char *task = g->task_name ? g->task_name : "this graph";
    if (f->graph_sha256[0]) {
        char hex[65];
        ccx_graph_sha256(g, hex);
        if (strcmp(hex, f->graph_sha256) != 0)
            return ccx_error_set(err, "order file is for a different graph (graph_sha256 %s "
                                 "!= %s of %s)", f->graph_sha256, hex, task);
    }
    if (f->n_vertices >= 0 && f->n_vertices != g->n_vertices)
        return ccx_error_set(err, "order file is for a different graph (n_vertices %d != "
                             "%d of %s)", f->n_vertices, g->n_vertices, task);
    /* a price stated under one model is never compared with the other's */
    const int priced = f->cost_model >= 0 ? f->cost_model
                       : f->cost >= 0 || f->has_baselines ? CCX_COST_ALPHAGRAD : -1;
    if (priced >= 0 && priced != g->cost_model)
        return ccx_error_set(err, "order file was priced under the %s cost model and this command "
                                  "prices under %s; pass --cost %s to read it as it is, or price "
                                  "its order under %s with ccx cost --cost %s --reprice",
                             ccx_cost_model_name(priced), ccx_cost_model_name(g->cost_model),
                             ccx_cost_model_name(priced), ccx_cost_model_name(g->cost_model),
                             ccx_cost_model_name(g->cost_model));
    int64_t c = 0;
    if (ccx_order_cost(g, f->order, f->n_order, &c, err) != 0) return -1;
    if (f->cost >= 0 && f->cost != c)
        return ccx_error_set(err, "order file states cost %" PRId64 " but the order costs %"
                             PRId64 " on %s", f->cost, c, task);
    if (cost) *cost = c;
    return 0;
}

int ccx_order_make(const ccx_graph *g, const int32_t *order, int n, const char *method,
                   ccx_order_file *out, ccx_error *err) {
    order_file_init(out);
    int64_t c = 0;
    if (ccx_order_cost(g, order, n, &c, err) != 0) return -1;
    ccx_baselines b;
    if (ccx_baselines_compute(g, &b, err) != 0) return -1;
    if (g->task_name) {
        out->task = strdup(g->task_name);
        if (!out->task) goto oom;
    }
    if (method) {
        out->method = strdup(method);
        if (!out->method) goto oom;
    }
    if (n > 0) {
        out->order = malloc((size_t)n * sizeof *out->order);
        if (!out->order) goto oom;
        memcpy(out->order, order, (size_t)n * sizeof *out->order);
    }
    out->n_order = n;
    ccx_graph_sha256(g, out->graph_sha256);
    out->n_vertices = g->n_vertices;
    out->cost = c;
    out->baselines = b;
    out->has_baselines = 1;
    out->cost_model = g->cost_model;
    return 0;
oom:
    ccx_order_file_free(out);
    order_file_init(out);
    return ccx_error_set(err, "out of memory");
}

/* ------------------------------------------------------------------ */
/* serialising                                                         */

typedef struct {
    char *s;
    size_t len, cap;
    int failed;
} sbuf;

static void sb_reserve(sbuf *b, size_t extra) {
    if (b->failed) return;
    if (b->len + extra + 1 <= b->cap) return;
    size_t nc = b->cap ? b->cap : 256;
    while (nc < b->len + extra + 1) nc *= 2;
    char *ns = realloc(b->s, nc);
    if (!ns) {
        b->failed = 1;
        return;
    }
    b->s = ns;
    b->cap = nc;
}

static void sb_put(sbuf *b, const char *s) {
    size_t n = strlen(s);
    sb_reserve(b, n);
    if (b->failed) return;
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

static void sb_int(sbuf *b, int64_t v) {
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%" PRId64, v);
    sb_put(b, tmp);
}

/* JSON string literal: quotes, backslash and control characters escaped. */
static void sb_json_string(sbuf *b, const char *s) {
    sb_put(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char tmp[8];
        switch (*p) {
        case '"': sb_put(b, "\\\""); break;
        case '\\': sb_put(b, "\\\\"); break;
        case '\n': sb_put(b, "\\n"); break;
        case '\r': sb_put(b, "\\r"); break;
        case '\t': sb_put(b, "\\t"); break;
        case '\b': sb_put(b, "\\b"); break;
        case '\f': sb_put(b, "\\f"); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                snprintf(tmp, sizeof tmp, "\\u%04x", *p);
            } else {
                tmp[0] = (char)*p;
                tmp[1] = '\0';
            }
            sb_put(b, tmp);
        }
    }
    sb_put(b, "\"");
}

char *ccx_order_to_json(const ccx_order_file *f) {
    sbuf b = {0};
    int first = 1;
#define KEY(name)                                  \
    do {                                           \
        sb_put(&b, first ? "{\n  \"" : ",\n  \""); \
        sb_put(&b, name);                          \
        sb_put(&b, "\": ");                        \
        first = 0;                                 \
    } while (0)
    if (f->task) {
        KEY("task");
        sb_json_string(&b, f->task);
    }
    if (f->graph_sha256[0]) {
        KEY("graph_sha256");
        sb_json_string(&b, f->graph_sha256);
    }
    if (f->n_vertices >= 0) {
        KEY("n_vertices");
        sb_int(&b, f->n_vertices);
    }
    if (f->order) {
        KEY("order");
        sb_reserve(&b, (size_t)f->n_order * 13 + 2);
        sb_put(&b, "[");
        for (int i = 0; i < f->n_order; i++) {
            if (i) sb_put(&b, ", ");
            sb_int(&b, f->order[i]);
        }
        sb_put(&b, "]");
    }
    if (f->cost >= 0) {
        KEY("cost");
        sb_int(&b, f->cost);
    }
    if (f->method) {
        KEY("method");
        sb_json_string(&b, f->method);
    }
    if (f->has_baselines) {
        KEY("baselines");
        sb_put(&b, "{\"forward\": ");
        sb_int(&b, f->baselines.forward);
        sb_put(&b, ", \"reverse\": ");
        sb_int(&b, f->baselines.reverse);
        sb_put(&b, ", \"markowitz\": ");
        sb_int(&b, f->baselines.markowitz);
        if (f->baselines.greedy >= 0) {
            sb_put(&b, ", \"greedy\": ");
            sb_int(&b, f->baselines.greedy);
        }
        sb_put(&b, "}");
    }
    if (f->cost_model >= 0) {
        KEY("cost_model");
        sb_json_string(&b, ccx_cost_model_name(f->cost_model));
    }
#undef KEY
    sb_put(&b, first ? "{}\n" : "\n}\n");
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* ------------------------------------------------------------------ */
/* writing                                                             */

int ccx_order_write(const char *path, const ccx_order_file *f, ccx_error *err) {
    if (!path) return ccx_error_set(err, "no output path for the order file");
    char *json = ccx_order_to_json(f);
    if (!json) return ccx_error_set_at(err, path, 0, 0, "out of memory");
    size_t len = strlen(json);

    int rc = ccx_write_file_atomic(path, json, len, err);
    free(json);
    return rc;
}
