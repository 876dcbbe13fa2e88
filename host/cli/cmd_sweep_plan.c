/* ccx sweep-plan SWEEP.yaml: expand a sweep file into its runs, one line
 * each, for scripts/sweep.sh. A sweep file:
 *
 *   base: configs/train/quickstart.yaml   # the config every run starts from
 *   grid:                                 # cartesian product (first key slowest)
 *     optim.lr: [1e-4, 3e-4, 1e-3]
 *     ppo.clip: [0.1, 0.2]
 *   seeds: [0, 1]                         # [0] when absent; sets run.seed
 *   set: {budget.updates: 200}            # applied to every run (before grid)
 *   out_dir: results/sweeps/quickstart_lr # default results/sweeps/SWEEP_BASENAME
 *
 * Output (tab-separated fields, one record per line):
 *   base      PATH
 *   out_dir   PATH
 *   keys      KEY...                       (the grid keys)
 *   point     K  SEED  KEY=VALUE...        (one per point and seed)
 * Every KEY=VALUE is checked against the config schema (as --set would). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "cli/cli.h"
#include "train/config.h"

enum { MAX_KEYS = 32, MAX_VALUES = 256, MAX_SEEDS = 1024, VAL_LEN = 1024 };

typedef struct {
    char key[128];
    int n;
    char (*values)[VAL_LEN];
} axis;

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx sweep-plan SWEEP.yaml\n\n"
            "Expand a sweep file into its runs (used by scripts/sweep.sh). The file has\n"
            "  base: CONFIG.yaml           the config every run starts from (required)\n"
            "  grid: {KEY: [V1, V2], ...}  cartesian product of these overrides\n"
            "  seeds: [0, 1]               run.seed values ([0] when absent)\n"
            "  set: {KEY: VALUE, ...}      overrides applied to every run\n"
            "  out_dir: DIR                default results/sweeps/SWEEP_BASENAME\n"
            "Output, tab-separated: 'base PATH', 'out_dir DIR', 'keys KEY...', then one\n"
            "'point K SEED KEY=VALUE...' line per point and seed. Every KEY=VALUE is\n"
            "checked as `ccx train --set` would check it.\n\n"
            "  -h, --help   this help\n");
}

typedef struct {
    const char *file;
    yaml_document_t *doc;
} ctx;

static int fail(const ctx *c, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(const ctx *c, const yaml_node_t *n, const char *fmt, ...) {
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n)
        fprintf(stderr, "ccx: error: %s:%d:%d: %s\n", c->file, (int)n->start_mark.line + 1,
                (int)n->start_mark.column + 1, msg);
    else fprintf(stderr, "ccx: error: %s: %s\n", c->file, msg);
    return -1;
}

/* A scalar as YAML flow text: plain scalars as written, others quoted. */
static int scalar_text(const yaml_node_t *n, char *buf, size_t size) {
    const char *s = (const char *)n->data.scalar.value;
    if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        if ((size_t)snprintf(buf, size, "%s", s) >= size) return -1;
        return 0;
    }
    size_t k = 0;
    if (k + 1 >= size) return -1;
    buf[k++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (k + 6 >= size) return -1;
        if (*p == '"' || *p == '\\') {
            buf[k++] = '\\';
            buf[k++] = (char)*p;
        } else if (*p < 0x20 || *p == 0x7f) {
            k += (size_t)snprintf(buf + k, size - k, "\\x%02x", *p);
        } else {
            buf[k++] = (char)*p;
        }
    }
    if (k + 2 > size) return -1;
    buf[k++] = '"';
    buf[k] = '\0';
    return 0;
}

/* A value: a scalar, or a list of scalars as "[a, b]". */
static int value_text(const ctx *c, const yaml_node_t *n, char *buf, size_t size) {
    if (n->type == YAML_SCALAR_NODE) {
        if (scalar_text(n, buf, size)) return fail(c, n, "value too long");
        return 0;
    }
    if (n->type != YAML_SEQUENCE_NODE) return fail(c, n, "expected a value or a list of values, got a mapping");
    size_t k = (size_t)snprintf(buf, size, "[");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(c->doc, *it);
        if (!e || e->type != YAML_SCALAR_NODE) return fail(c, e ? e : n, "expected a value in the list");
        char one[VAL_LEN];
        if (scalar_text(e, one, sizeof one)) return fail(c, e, "value too long");
        k += (size_t)snprintf(buf + k, size > k ? size - k : 0, "%s%s", it > n->data.sequence.items.start ? ", " : "", one);
        if (k >= size) return fail(c, n, "value too long");
    }
    k += (size_t)snprintf(buf + k, size > k ? size - k : 0, "]");
    if (k >= size) return fail(c, n, "value too long");
    return 0;
}

/* KEY=VALUE as ccx train --set would take it: an unknown key is reported
 * at key node kn, a bad value at value node vn. */
static int check_assignment(const ctx *c, const yaml_node_t *kn, const yaml_node_t *vn, const char *key,
                            const char *value) {
    static ccx_train_config cfg;
    if (strcmp(key, "run.name") == 0 || strcmp(key, "run.out_dir") == 0 || strcmp(key, "run.seed") == 0)
        return fail(c, kn, "%s is set by the sweep itself (use seeds: and out_dir:)", key);
    ccx_train_config_default(&cfg);
    char a[VAL_LEN + 160], tmp[8];
    snprintf(a, sizeof a, "%s=%s", key, value);
    if (strchr(a, '\t') || strchr(a, '\n')) return fail(c, vn, "%s: tabs and newlines are not allowed", key);
    int known = ccx_train_config_get(&cfg, key, tmp, sizeof tmp) == 0;
    ccx_error err;
    ccx_error_clear(&err);
    if (ccx_train_config_set(&cfg, a, &err) == 0) return 0;
    /* drop the "--set KEY=VALUE: " prefix: the location says where */
    const char *msg = err.msg;
    size_t pl = strlen("--set ") + strlen(a) + 2;
    if (strncmp(msg, "--set ", 6) == 0 && strlen(msg) > pl && strncmp(msg + 6, a, strlen(a)) == 0) msg += pl;
    return fail(c, known ? vn : kn, "%s", msg);
}

static int file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int ccx_cmd_sweep_plan(int argc, char **argv) {
    if (argc >= 2 && ccx_cli_is_help(argv[1])) {
        usage(stdout);
        return CCX_EXIT_OK;
    }
    if (argc != 2) return ccx_cli_usage_error("sweep-plan", "expected exactly one SWEEP.yaml");
    if (argv[1][0] == '-') return ccx_cli_usage_error("sweep-plan", "unknown option '%s'", argv[1]);
    const char *path = argv[1];
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "ccx: error: %s: cannot open: %s\n", path, strerror(errno));
        return CCX_EXIT_USAGE;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        fclose(f);
        fprintf(stderr, "ccx: error: out of memory\n");
        return CCX_EXIT_FAILURE;
    }
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &doc)) {
        fprintf(stderr, "ccx: error: %s:%d:%d: YAML syntax error: %s\n", path,
                (int)parser.problem_mark.line + 1, (int)parser.problem_mark.column + 1,
                parser.problem ? parser.problem : "invalid YAML");
        yaml_parser_delete(&parser);
        fclose(f);
        return CCX_EXIT_USAGE;
    }
    ctx c = {path, &doc};
    int rc = CCX_EXIT_USAGE;
    axis axes[MAX_KEYS];
    int n_axes = 0, n_set = 0, n_seeds = 0;
    char set_keys[MAX_KEYS][128];
    static char set_vals[MAX_KEYS][VAL_LEN];
    static long seeds[MAX_SEEDS];
    char base[4096] = "", out_dir[4096] = "";
    memset(axes, 0, sizeof axes);

    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root || root->type != YAML_MAPPING_NODE) {
        fail(&c, root, "expected a mapping with base:, grid:, seeds:, set:, out_dir:");
        goto done;
    }
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&doc, p->key), *v = yaml_document_get_node(&doc, p->value);
        if (k->type != YAML_SCALAR_NODE) {
            fail(&c, k, "expected a key");
            goto done;
        }
        const char *key = (const char *)k->data.scalar.value;
        for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *qk = yaml_document_get_node(&doc, q->key);
            if (qk->type == YAML_SCALAR_NODE && strcmp((const char *)qk->data.scalar.value, key) == 0) {
                fail(&c, k, "duplicate key '%s'", key);
                goto done;
            }
        }
        if (strcmp(key, "base") == 0 || strcmp(key, "out_dir") == 0) {
            char *dst = key[0] == 'b' ? base : out_dir;
            if (v->type != YAML_SCALAR_NODE || !v->data.scalar.value[0]) {
                fail(&c, v, "%s: expected a path", key);
                goto done;
            }
            snprintf(dst, 4096, "%s", (const char *)v->data.scalar.value);
            if (strchr(dst, '\t') || strchr(dst, '\n')) {
                fail(&c, v, "%s: tabs and newlines are not allowed", key);
                goto done;
            }
        } else if (strcmp(key, "seeds") == 0) {
            yaml_node_item_t one = p->value, *s0 = &one, *s1 = &one + 1;
            if (v->type == YAML_SEQUENCE_NODE) {
                s0 = v->data.sequence.items.start;
                s1 = v->data.sequence.items.top;
            }
            for (yaml_node_item_t *it = s0; it < s1; it++) {
                yaml_node_t *e = yaml_document_get_node(&doc, *it);
                long s;
                if (!e || e->type != YAML_SCALAR_NODE ||
                    ccx_cli_parse_long((const char *)e->data.scalar.value, 0, 2147483647L, &s)) {
                    fail(&c, e ? e : v, "seeds: expected non-negative integers");
                    goto done;
                }
                if (n_seeds >= MAX_SEEDS) {
                    fail(&c, e, "seeds: at most %d", MAX_SEEDS);
                    goto done;
                }
                seeds[n_seeds++] = s;
            }
            if (n_seeds == 0) {
                fail(&c, v, "seeds: empty list");
                goto done;
            }
        } else if (strcmp(key, "grid") == 0 || strcmp(key, "set") == 0) {
            int is_grid = key[0] == 'g';
            if (v->type != YAML_MAPPING_NODE) {
                fail(&c, v, "%s: expected a mapping of config keys", key);
                goto done;
            }
            for (yaml_node_pair_t *g = v->data.mapping.pairs.start; g < v->data.mapping.pairs.top; g++) {
                yaml_node_t *gk = yaml_document_get_node(&doc, g->key);
                yaml_node_t *gv = yaml_document_get_node(&doc, g->value);
                if (gk->type != YAML_SCALAR_NODE || strlen((const char *)gk->data.scalar.value) >= 128) {
                    fail(&c, gk, "%s: expected a config key", key);
                    goto done;
                }
                const char *name = (const char *)gk->data.scalar.value;
                if ((is_grid ? n_axes : n_set) >= MAX_KEYS) {
                    fail(&c, gk, "%s: at most %d keys", key, MAX_KEYS);
                    goto done;
                }
                for (int i = 0; i < (is_grid ? n_axes : n_set); i++)
                    if (strcmp(is_grid ? axes[i].key : set_keys[i], name) == 0) {
                        fail(&c, gk, "%s: duplicate key '%s'", key, name);
                        goto done;
                    }
                if (!is_grid) {
                    snprintf(set_keys[n_set], sizeof set_keys[0], "%s", name);
                    if (value_text(&c, gv, set_vals[n_set], VAL_LEN) ||
                        check_assignment(&c, gk, gv, name, set_vals[n_set]))
                        goto done;
                    n_set++;
                    continue;
                }
                axis *ax = &axes[n_axes++];
                snprintf(ax->key, sizeof ax->key, "%s", name);
                yaml_node_item_t one = g->value, *s0 = &one, *s1 = &one + 1;
                if (gv->type == YAML_SEQUENCE_NODE) {
                    s0 = gv->data.sequence.items.start;
                    s1 = gv->data.sequence.items.top;
                }
                if (s1 - s0 > MAX_VALUES) {
                    fail(&c, gv, "grid: %s: at most %d values", name, MAX_VALUES);
                    goto done;
                }
                if (s1 == s0) {
                    fail(&c, gv, "grid: %s: empty list of values", name);
                    goto done;
                }
                ax->values = calloc((size_t)(s1 - s0), VAL_LEN);
                if (!ax->values) {
                    fail(&c, gv, "out of memory");
                    rc = CCX_EXIT_FAILURE;
                    goto done;
                }
                for (yaml_node_item_t *it = s0; it < s1; it++) {
                    yaml_node_t *e = yaml_document_get_node(&doc, *it);
                    if (value_text(&c, e, ax->values[ax->n], VAL_LEN) ||
                        check_assignment(&c, gk, e, name, ax->values[ax->n]))
                        goto done;
                    ax->n++;
                }
            }
        } else {
            fail(&c, k, "unknown key '%s' (expected base, grid, seeds, set, out_dir)", key);
            goto done;
        }
    }
    if (!base[0]) {
        fail(&c, NULL, "no 'base:' config");
        goto done;
    }
    /* base relative to the current directory, else to the sweep file's */
    if (base[0] != '/' && !file_exists(base)) {
        const char *slash = strrchr(path, '/');
        char alt[8300];
        if (slash) {
            snprintf(alt, sizeof alt, "%.*s/%s", (int)(slash - path), path, base);
            if (file_exists(alt) && strlen(alt) < sizeof base) memcpy(base, alt, strlen(alt) + 1);
        }
    }
    if (!file_exists(base)) {
        fail(&c, NULL, "base config '%s' not found", base);
        goto done;
    }
    if (!out_dir[0]) {
        const char *slash = strrchr(path, '/');
        const char *b = slash ? slash + 1 : path;
        const char *dot = strrchr(b, '.');
        int len = dot && dot != b ? (int)(dot - b) : (int)strlen(b);
        snprintf(out_dir, sizeof out_dir, "results/sweeps/%.*s", len, b);
    }
    if (n_seeds == 0) seeds[n_seeds++] = 0;

    printf("base\t%s\nout_dir\t%s\nkeys", base, out_dir);
    for (int i = 0; i < n_axes; i++) printf("\t%s", axes[i].key);
    printf("\n");
    long n_points = 1;
    for (int i = 0; i < n_axes; i++) n_points *= axes[i].n;
    if (n_points > 100000) {
        fail(&c, NULL, "%ld points: too many", n_points);
        goto done;
    }
    for (long pt = 0; pt < n_points; pt++) {
        /* mixed-radix digits, first key slowest */
        int idx[MAX_KEYS];
        long r = pt;
        for (int i = n_axes - 1; i >= 0; i--) {
            idx[i] = (int)(r % axes[i].n);
            r /= axes[i].n;
        }
        for (int s = 0; s < n_seeds; s++) {
            printf("point\t%ld\t%ld", pt, seeds[s]);
            for (int i = 0; i < n_set; i++) printf("\t%s=%s", set_keys[i], set_vals[i]);
            for (int i = 0; i < n_axes; i++) printf("\t%s=%s", axes[i].key, axes[i].values[idx[i]]);
            printf("\trun.seed=%ld\n", seeds[s]);
        }
    }
    rc = fflush(stdout) == 0 ? CCX_EXIT_OK : CCX_EXIT_FAILURE;
done:
    for (int i = 0; i < n_axes; i++) free(axes[i].values);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}
