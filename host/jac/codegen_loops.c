/* The C body as loops over a block of points, cut at calls GCC cannot
 * vectorise (jac/codegen_loops.h). */
#include "jac/codegen_loops.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The calls a loop is cut at: sqrt has a vector instruction that plain -O3
 * will not use because of errno, so the code around it vectorises once it is
 * in its own loop. The rest of libm has no vector form without -ffast-math
 * (cutting there would only part sin from cos, which GCC fuses into sincos
 * within one loop). */
static const char *const SCALAR_CALLS[] = {"sqrt"};
/* Calls no loop vectorises under -O3 without -ffast-math: a body with one of
 * them stays one loop (scalar, as before). */
static const char *const NOVEC_CALLS[] = {
    "exp",  "log",   "log1p", "sin",   "cos",   "tan",   "asin", "acos", "atan", "sinh",
    "cosh", "tanh",  "asinh", "acosh", "atanh", "erf",   "pow",  "atan2", "ccx_logistic",
};

typedef struct {
    char *text;  /* the line, leading blanks removed */
    int seg;     /* its loop */
    int target;  /* the name it declares or updates, or -1 */
    int decl;    /* it declares target ("[const ]double NAME = ...") */
} line_t;

/* Names (identifiers the body declares) in an open-addressing table. */
typedef struct {
    char **key;
    char **alias; /* a name declared as a copy of a block row ("xb[3][q]"): that row ("xb[3]") */
    int *def_seg, *is_array;
    int n, cap;   /* cap: a power of two, at least twice n */
    int *slot;    /* [cap]: name index or -1 */
} names_t;

static uint64_t hash(const char *s, size_t len) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static int find(const names_t *t, const char *s, size_t len) {
    for (uint64_t h = hash(s, len) & (uint64_t)(t->cap - 1);; h = (h + 1) & (uint64_t)(t->cap - 1)) {
        int k = t->slot[h];
        if (k < 0) return -1;
        if (strlen(t->key[k]) == len && memcmp(t->key[k], s, len) == 0) return k;
    }
}

static int add(names_t *t, const char *s, size_t len, int seg) {
    int k = find(t, s, len);
    if (k >= 0) return k;
    k = t->n++;
    t->key[k] = strndup(s, len);
    t->def_seg[k] = seg;
    t->is_array[k] = 0;
    t->alias[k] = NULL;
    uint64_t h = hash(s, len) & (uint64_t)(t->cap - 1);
    while (t->slot[h] >= 0) h = (h + 1) & (uint64_t)(t->cap - 1);
    t->slot[h] = k;
    return t->key[k] ? k : -1;
}

static int in_list(const char *const *list, size_t n, const char *s, size_t len) {
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0) return 1;
    return 0;
}

/* Length of the identifier at s (0 if none). */
static size_t ident(const char *s) {
    if (!(isalpha((unsigned char)*s) || *s == '_')) return 0;
    size_t n = 1;
    while (isalnum((unsigned char)s[n]) || s[n] == '_') n++;
    return n;
}

/* Where the expression of a statement starts, and its target's span. */
static const char *parse_target(const char *t, const char **name, size_t *len, int *decl) {
    *decl = 0;
    if (strncmp(t, "const double ", 13) == 0) { t += 13; *decl = 1; }
    else if (strncmp(t, "double ", 7) == 0) { t += 7; *decl = 1; }
    *name = t;
    *len = ident(t);
    return t + *len;
}

/* Does the line call a function of list[n]? */
static int calls(const char *t, const char *const *list, size_t n) {
    for (const char *p = t; *p && !(p[0] == '/' && p[1] == '/');) {
        size_t m = ident(p);
        if (!m) { p++; continue; }
        const char *q = p + m;
        while (*q == ' ') q++;
        if (*q == '(' && in_list(list, n, p, m)) return 1;
        p += m;
    }
    return 0;
}
#define CALLS(t, list) calls(t, list, sizeof list / sizeof list[0])

/* Write s with every array name NAME as NAME[q] (comments untouched). */
static void put_indexed(FILE *out, const names_t *t, const char *s) {
    for (const char *p = s; *p;) {
        if (p[0] == '/' && p[1] == '/') { fputs(p, out); return; }
        size_t n = ident(p);
        if (!n || (p > s && (isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '.'))) {
            fputc(*p++, out);
            continue;
        }
        int k = find(t, p, n);
        if (k >= 0 && t->is_array[k] && t->alias[k]) fputs(t->alias[k], out);
        else fwrite(p, 1, n, out);
        if (k >= 0 && t->is_array[k]) fputs("[q]", out);
        p += n;
    }
}

int ccx_codegen_write_block_loops(FILE *out, char *body, int block, const char *ind,
                                  ccx_error *err) {
    int n_lines = 0;
    for (char *p = body; *p; p++) n_lines += *p == '\n';
    line_t *lines = calloc((size_t)n_lines + 1, sizeof *lines);
    names_t t = {0};
    t.cap = 16;
    while (t.cap < 2 * (n_lines + 1)) t.cap *= 2;
    t.key = calloc((size_t)n_lines + 1, sizeof *t.key);
    t.alias = calloc((size_t)n_lines + 1, sizeof *t.alias);
    t.def_seg = calloc((size_t)n_lines + 1, sizeof(int));
    t.is_array = calloc((size_t)n_lines + 1, sizeof(int));
    t.slot = malloc((size_t)t.cap * sizeof(int));
    int rc = 0;
    if (!lines || !t.key || !t.alias || !t.def_seg || !t.is_array || !t.slot) {
        rc = ccx_error_set(err, "out of memory");
        goto done;
    }
    for (int i = 0; i < t.cap; i++) t.slot[i] = -1;

    /* lines, their loops (a run of calls or a run of everything else), targets */
    int n = 0, seg = 0, last_kind = -1, novec = 0;
    for (char *save = NULL, *l = strtok_r(body, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        while (*l == ' ') l++;
        if (!*l) continue;
        line_t *ln = &lines[n++];
        ln->text = l;
        ln->target = -1;
        if (l[0] == '/' && l[1] == '/') {
            ln->seg = seg < 0 ? 0 : seg; /* a comment stays with what precedes it */
            continue;
        }
        int kind = CALLS(l, SCALAR_CALLS);
        novec |= CALLS(l, NOVEC_CALLS);
        if (last_kind >= 0 && kind != last_kind) seg++;
        last_kind = kind;
        ln->seg = seg;
        const char *name;
        size_t len;
        parse_target(l, &name, &len, &ln->decl);
        if (len && (ln->decl || strstr(l, "+=") || strstr(l, "-="))) {
            int k = ln->decl ? add(&t, name, len, seg) : find(&t, name, len);
            if (k < 0 && ln->decl) {
                rc = ccx_error_set(err, "out of memory");
                goto done;
            }
            ln->target = k;
            if (k >= 0 && !ln->decl && t.def_seg[k] != seg) t.is_array[k] = 1;
            /* "const double x1 = xb[0][q];": x1 is that row */
            const char *rhs = name + len;
            size_t rl = strlen(rhs);
            if (k >= 0 && ln->decl && strncmp(rhs, " = ", 3) == 0 && rl > 8 &&
                strcmp(rhs + rl - 4, "[q];") == 0 && ident(rhs + 3) && rhs[3 + ident(rhs + 3)] == '[' &&
                !strchr(rhs + 3, ' '))
                t.alias[k] = strndup(rhs + 3, rl - 3 - 4);
        }
    }
    /* a name used outside its loop lives in a block array */
    for (int i = 0; i < n; i++) {
        const char *s = lines[i].text;
        if (s[0] == '/' && s[1] == '/') continue;
        const char *e = s;
        if (lines[i].decl) {
            const char *name;
            size_t len;
            int d;
            e = parse_target(s, &name, &len, &d);
        }
        for (const char *p = e; *p && !(p[0] == '/' && p[1] == '/');) {
            size_t m = ident(p);
            if (!m || (p > s && (isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '.'))) {
                p++;
                continue;
            }
            int k = find(&t, p, m);
            if (k >= 0 && t.def_seg[k] != lines[i].seg) t.is_array[k] = 1;
            p += m;
        }
    }

    /* a body that stays scalar anyway, or block arrays beyond 1 MiB of stack:
     * one loop, as if nothing were cut */
    long bytes = 0;
    for (int k = 0; k < t.n; k++) bytes += t.is_array[k] && !t.alias[k] ? (long)block * 8 : 0;
    if (novec || bytes > (1L << 20)) {
        for (int k = 0; k < t.n; k++) t.is_array[k] = 0;
        for (int i = 0; i < n; i++) lines[i].seg = 0;
    }
    /* emit: the arrays, then one loop per run */
    int n_arrays = 0;
    for (int k = 0; k < t.n; k++)
        if (t.is_array[k] && !t.alias[k]) {
            if (n_arrays % 6 == 0) fprintf(out, "%s%sdouble ", n_arrays ? ";\n" : "", ind);
            else fputs(", ", out);
            fprintf(out, "%s[%d]", t.key[k], block);
            n_arrays++;
        }
    if (n_arrays) fputs(";\n", out);
    int cur = -1;
    for (int i = 0; i < n; i++) {
        line_t *ln = &lines[i];
        if (ln->seg != cur) {
            if (cur >= 0) fprintf(out, "%s}\n", ind);
            cur = ln->seg;
            fprintf(out, "#if defined(__GNUC__) && !defined(__clang__)\n#pragma GCC ivdep\n#endif\n"
                         "%sfor (long q = 0; q < m; q++) {\n", ind);
        }
        const char *s = ln->text;
        if (ln->decl && ln->target >= 0 && t.is_array[ln->target] && t.alias[ln->target])
            continue; /* the row itself is read where the name was */
        fprintf(out, "%s    ", ind);
        if (ln->decl && ln->target >= 0 && t.is_array[ln->target])
            s += strncmp(s, "const ", 6) == 0 ? 13 : 7; /* "NAME[q] = ..." */
        put_indexed(out, &t, s);
        fputc('\n', out);
    }
    if (cur >= 0) fprintf(out, "%s}\n", ind);
    if (ferror(out)) rc = ccx_error_set(err, "write error while generating code");
done:
    for (int k = 0; k < t.n; k++) {
        free(t.key[k]);
        free(t.alias[k]);
    }
    free(t.key);
    free(t.alias);
    free(t.def_seg);
    free(t.is_array);
    free(t.slot);
    free(lines);
    return rc;
}
