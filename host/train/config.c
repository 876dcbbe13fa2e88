/* Training configuration: the key table, YAML loading (libyaml), --set
 * overrides, cross-key validation and the YAML writer.
 *
 * Every key is one row of KEYS below: its dotted name, type, place in the
 * struct, default (as text, parsed by the same code as a config file),
 * range and help. Everything else (defaults, loading, --set, writing,
 * printing the table, get) is driven by that table. */
#include "train/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/file.h"

typedef enum { K_INT, K_LONG, K_U64, K_DOUBLE, K_BOOL, K_STRING, K_ENUM, K_LIST } key_type;

enum { MIN_OPEN = 1, MAX_OPEN = 2 }; /* exclusive bounds */

typedef struct {
    const char *key;     /* "section.name" */
    key_type type;
    size_t off;          /* offsetof(ccx_train_config, field) */
    size_t size;         /* string capacity (K_STRING, K_ENUM) */
    const char *def;     /* default, as YAML text */
    double min, max;     /* numeric range (K_INT, K_LONG, K_U64, K_DOUBLE) */
    int open;            /* MIN_OPEN | MAX_OPEN */
    const char *choices; /* K_ENUM: "a|b|c" */
    const char *help;
} key_def;

#define OFF(f) offsetof(ccx_train_config, f)
#define SZ(f) sizeof(((ccx_train_config *)0)->f)
#define INT_(k, f, d, lo, hi, h) {k, K_INT, OFF(f), 0, d, lo, hi, 0, NULL, h}
#define LONG_(k, f, d, lo, hi, h) {k, K_LONG, OFF(f), 0, d, lo, hi, 0, NULL, h}
#define DBL_(k, f, d, lo, hi, o, h) {k, K_DOUBLE, OFF(f), 0, d, lo, hi, o, NULL, h}
#define BOOL_(k, f, d, h) {k, K_BOOL, OFF(f), 0, d, 0, 1, 0, NULL, h}
#define STR_(k, f, d, h) {k, K_STRING, OFF(f), SZ(f), d, 0, 0, 0, NULL, h}
#define ENUM_(k, f, d, c, h) {k, K_ENUM, OFF(f), SZ(f), d, 0, 0, 0, c, h}

static const key_def KEYS[] = {
    /* run */
    STR_("run.name", name, "\"\"",
         "run directory name under run.out_dir (\"\" = config file's basename; -2, -3... if taken)"),
    STR_("run.out_dir", out_dir, "\"\"",
         "directory that holds the run directories (\"\" = results/runs of the ccx source tree, "
         "wherever ccx runs; a relative path is taken from the current directory)"),
    {"run.tasks", K_LIST, OFF(tasks), SZ(tasks[0]), "[]", 0, 0, 0, NULL,
     "task file(s) or names from configs/tasks; a list trains on a mixed batch"},
    {"run.seed", K_U64, OFF(seed), 0, "0", 0, 18446744073709551615.0, 0, NULL,
     "random seed (networks, environments, sampling)"},
    ENUM_("run.backend", backend, "auto", "auto|cpu|cuda", "where to run (auto: cuda when a device answers)"),
    ENUM_("run.algo", algo, "ppo", "ppo|alphazero", "training algorithm"),
    INT_("run.threads", threads, "0", 0, 4096, "CPU threads (0 = all cores)"),
    /* env */
    INT_("env.n_envs", n_envs, "256", 1, 1 << 22, "parallel environments (rollout batch)"),
    ENUM_("env.cost_model", cost_model, "alphagrad", "alphagrad|real",
          "what an elimination costs: AlphaGrad's multiplication model (the paper's figures) or "
          "the multiplications ccx's Jacobian code performs (rewards, observations, baselines, "
          "best orders)"),
    /* network */
    INT_("network.dim", dim, "64", 1, 8192, "transformer width"),
    INT_("network.layers", layers, "2", 0, 64, "transformer layers (0: per-vertex embedding and heads only)"),
    INT_("network.heads", heads, "4", 1, 256, "attention heads (must divide network.dim)"),
    INT_("network.mlp_dim", mlp_dim, "128", 1, 65536, "hidden width of each layer's MLP"),
    INT_("network.value_dim", value_dim, "64", 1, 65536, "hidden width of the value head"),
    BOOL_("network.tf32", tf32, "true", "TF32 tensor cores on cuda"),
    /* optim */
    DBL_("optim.lr", lr, "3e-4", 0, 1, MIN_OPEN, "AdamW learning rate"),
    ENUM_("optim.lr_schedule", lr_schedule, "constant", "constant|linear|cosine",
          "learning-rate schedule over the budget"),
    DBL_("optim.lr_final", lr_final, "0.1", 0, 1, 0,
         "final lr as a fraction of optim.lr (linear, cosine)"),
    DBL_("optim.beta1", beta1, "0.9", 0, 1, MAX_OPEN, "AdamW beta1"),
    DBL_("optim.beta2", beta2, "0.999", 0, 1, MAX_OPEN, "AdamW beta2"),
    DBL_("optim.eps", eps, "1e-8", 0, 1, MIN_OPEN, "AdamW epsilon"),
    DBL_("optim.weight_decay", weight_decay, "0", 0, 10, 0, "AdamW decoupled weight decay"),
    DBL_("optim.max_grad_norm", max_grad_norm, "0.5", 0, 1e9, 0,
         "clip the global gradient norm to this (0 = no clipping)"),
    /* ppo */
    DBL_("ppo.clip", clip, "0.2", 0, 1, 0, "PPO ratio clipping epsilon"),
    DBL_("ppo.gae_lambda", gae_lambda, "0.95", 0, 1, 0, "GAE lambda"),
    DBL_("ppo.gamma", gamma, "1.0", 0, 1, 0, "discount factor"),
    INT_("ppo.epochs", epochs, "4", 1, 1000, "passes over each rollout"),
    INT_("ppo.minibatches", minibatches, "4", 1, 1 << 20, "minibatches per epoch"),
    DBL_("ppo.ent_coef", ent_coef, "0.01", 0, 100, 0, "entropy bonus coefficient"),
    DBL_("ppo.vf_coef", vf_coef, "0.5", 0, 100, 0, "value loss coefficient"),
    BOOL_("ppo.norm_adv", norm_adv, "true", "normalise advantages over each update's samples"),
    DBL_("ppo.target_kl", target_kl, "0", 0, 100, 0,
         "stop an update's epochs early above this approx. KL (0 = off)"),
    /* reward */
    DBL_("reward.scale", reward_scale, "0", 0, 1e12, 0,
         "reward per step = -cost / scale; 0 = auto (the best classic order's cost: returns ~ -1)"),
    /* eval */
    INT_("eval.every", eval_every, "10", 0, INT_MAX, "updates between evaluations, also at update 1 (0 = only at update 1)"),
    INT_("eval.samples", eval_samples, "16", 0, 1 << 20, "sampled orders per graph at each evaluation"),
    /* checkpoint */
    INT_("checkpoint.every", ckpt_every, "50", 0, INT_MAX,
         "updates between checkpoints (0 = only at the end)"),
    DBL_("checkpoint.seconds", ckpt_seconds, "300", 0, 1e9, 0,
         "also checkpoint when this much wall time passed (0 = off)"),
    /* budget */
    LONG_("budget.updates", budget_updates, "0", 0, 9.2e18, "stop after this many updates (0 = no limit)"),
    LONG_("budget.env_steps", budget_env_steps, "0", 0, 9.2e18,
          "stop after this many env steps (eliminations) (0 = no limit)"),
    DBL_("budget.seconds", budget_seconds, "0", 0, 1e12, 0,
         "stop after this many wall seconds, checked between steps (0 = no limit); "
         "the lr schedule follows updates or env steps when either budget is set"),
    /* alphazero */
    INT_("alphazero.num_simulations", az_num_simulations, "32", 1, 1 << 20, "MCTS simulations per move"),
    INT_("alphazero.num_considered", az_num_considered, "8", 1, 1 << 16,
         "actions considered at the root (Gumbel top-k)"),
    DBL_("alphazero.gumbel_scale", az_gumbel_scale, "1.0", 0, 1e6, 0, "scale of the root Gumbel noise"),
    DBL_("alphazero.value_scale", az_value_scale, "0.1", 0, 1e6, 0,
         "sigma(q) = (maxvisit_init + max N) * value_scale * q"),
    DBL_("alphazero.maxvisit_init", az_maxvisit_init, "50", 0, 1e9, 0, "see alphazero.value_scale"),
    BOOL_("alphazero.rescale_values", az_rescale_values, "true", "min-max normalise completed Q per tree"),
    ENUM_("alphazero.value_transform", az_value_transform, "none", "none|log|sqrt",
          "transform of -remaining cost for the value target"),
    LONG_("alphazero.replay_size", az_replay_size, "100000", 1, 1e10, "replay ring entries"),
    INT_("alphazero.batch_size", az_batch_size, "256", 1, 1 << 22, "training minibatch"),
    INT_("alphazero.updates_per_iter", az_updates_per_iter, "4", 1, 1 << 20,
         "gradient steps per self-play iteration"),
    DBL_("alphazero.value_weight", az_value_weight, "1.0", 0, 1e6, 0, "value loss weight"),
    DBL_("alphazero.l2_weight", az_l2_weight, "1e-4", 0, 1e3, 0, "L2 weight: each AdamW step shrinks the decayed weights by this fraction"),
};
#define N_KEYS (int)(sizeof KEYS / sizeof KEYS[0])

static const char *const TYPE_NAMES[] = {"int", "long", "uint64", "double", "bool", "string", "enum", "list"};

/* ------------------------------------------------------------ lookups -- */

static const key_def *find_key(const char *key) {
    for (int i = 0; i < N_KEYS; i++)
        if (strcmp(KEYS[i].key, key) == 0) return &KEYS[i];
    return NULL;
}

/* 1 if prefix is a section ("ppo") or a dotted prefix of some key. */
static int is_section(const char *prefix) {
    size_t n = strlen(prefix);
    for (int i = 0; i < N_KEYS; i++)
        if (strncmp(KEYS[i].key, prefix, n) == 0 && KEYS[i].key[n] == '.') return 1;
    return 0;
}

static int edit_distance(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    if (na > 128 || nb > 128) return INT_MAX;
    int row[129];
    for (size_t j = 0; j <= nb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j];
            int sub = diag + (a[i - 1] != b[j - 1]);
            int del = row[j] + 1, ins = row[j - 1] + 1;
            row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            diag = up;
        }
    }
    return row[nb];
}

/* The closest known key to an unknown one, or NULL. A key whose last part
 * matches exactly ("clip" -> "ppo.clip") wins; otherwise the smallest edit
 * distance, if small enough to be a plausible typo. */
static const char *suggest_key(const char *key) {
    const char *last = strrchr(key, '.');
    last = last ? last + 1 : key;
    for (int i = 0; i < N_KEYS; i++) {
        const char *kl = strrchr(KEYS[i].key, '.') + 1;
        if (strcmp(kl, last) == 0) return KEYS[i].key;
    }
    int best = INT_MAX;
    const char *s = NULL;
    for (int i = 0; i < N_KEYS; i++) {
        int d = edit_distance(key, KEYS[i].key);
        if (d < best) { best = d; s = KEYS[i].key; }
    }
    int limit = (int)strlen(key) / 3;
    if (limit < 2) limit = 2;
    return best <= limit ? s : NULL;
}

static void unknown_key_msg(char *buf, size_t size, const char *key) {
    const char *s = suggest_key(key);
    if (s) snprintf(buf, size, "unknown key '%s' (did you mean '%s'?)", key, s);
    else snprintf(buf, size, "unknown key '%s' (`ccx train --help-config` lists the keys)", key);
}

/* ------------------------------------------------------ value parsing -- */

static void range_text(const key_def *k, char *buf, size_t size) {
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, "%.15g", k->min);
    snprintf(hi, sizeof hi, "%.15g", k->max);
    if (k->type == K_LONG && k->max >= 9.2e18) snprintf(hi, sizeof hi, "%ld", LONG_MAX);
    if (k->type == K_U64) snprintf(hi, sizeof hi, "%llu", (unsigned long long)UINT64_MAX);
    if (k->type == K_INT && k->max >= INT_MAX) snprintf(hi, sizeof hi, "%d", INT_MAX);
    snprintf(buf, size, "%c%s, %s%c", (k->open & MIN_OPEN) ? '(' : '[', lo, hi,
             (k->open & MAX_OPEN) ? ')' : ']');
}

static int in_range(const key_def *k, double v) {
    if (v < k->min || v > k->max) return 0;
    if ((k->open & MIN_OPEN) && v == k->min) return 0;
    if ((k->open & MAX_OPEN) && v == k->max) return 0;
    return 1;
}

static int parse_bool(const char *s, int *out) {
    static const char *const T[] = {"true", "yes", "on"}, *const F[] = {"false", "no", "off"};
    for (int i = 0; i < 3; i++) {
        if (strcasecmp(s, T[i]) == 0) { *out = 1; return 0; }
        if (strcasecmp(s, F[i]) == 0) { *out = 0; return 0; }
    }
    return -1;
}

/* A whole finite decimal number. */
static int parse_number(const char *s, double *out) {
    if (!*s || isspace((unsigned char)*s)) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(v)) return -1;
    /* strtod also takes hex, "inf", "nan": only plain decimals here */
    for (const char *p = s; *p; p++)
        if (!strchr("0123456789+-.eE", *p)) return -1;
    *out = v;
    return 0;
}

/* An integer: digits, or a number in exponent form that is a whole number
 * ("1e6"). Exact for digit strings up to the type's range. */
static int parse_integer(const char *s, int is_unsigned, long long *sv, unsigned long long *uv) {
    if (!*s || isspace((unsigned char)*s)) return -1;
    char *end;
    errno = 0;
    if (is_unsigned) {
        if (strchr(s, '-')) return -2;
        unsigned long long v = strtoull(s, &end, 10);
        if (!*end) {
            if (errno == ERANGE) return -2;
            *uv = v;
            return 0;
        }
    } else {
        long long v = strtoll(s, &end, 10);
        if (!*end) {
            if (errno == ERANGE) return -2;
            *sv = v;
            return 0;
        }
    }
    double d;
    if (parse_number(s, &d) != 0 || d != floor(d)) return -1;
    if (is_unsigned) {
        if (d < 0 || d >= 18446744073709551616.0) return -2;
        *uv = (unsigned long long)d;
    } else {
        if (d < -9.2e18 || d > 9.2e18) return -2;
        *sv = (long long)d;
    }
    return 0;
}

/* Set one scalar key from its text. msg gets the reason on failure (without
 * location); returns 0 or -1. */
static int set_scalar(ccx_train_config *c, const key_def *k, const char *text, int is_null,
                      char *msg, size_t msize) {
    char *base = (char *)c + k->off;
    char range[96];
    const char *what = NULL;
    switch (k->type) {
    case K_INT:
    case K_LONG:
    case K_U64: {
        long long sv = 0;
        unsigned long long uv = 0;
        int r = is_null ? -1 : parse_integer(text, k->type == K_U64, &sv, &uv);
        if (r == -1) { what = "an integer"; break; }
        double dv = k->type == K_U64 ? (double)uv : (double)sv;
        if (r == -2 || !in_range(k, dv) || (k->type == K_INT && (sv < INT_MIN || sv > INT_MAX))) {
            range_text(k, range, sizeof range);
            snprintf(msg, msize, "%s must be in %s, got %s", k->key, range, text);
            return -1;
        }
        if (k->type == K_INT) *(int *)base = (int)sv;
        else if (k->type == K_LONG) *(long *)base = (long)sv;
        else *(uint64_t *)base = (uint64_t)uv;
        return 0;
    }
    case K_DOUBLE: {
        double v;
        if (is_null || parse_number(text, &v) != 0) { what = "a number"; break; }
        if (!in_range(k, v)) {
            range_text(k, range, sizeof range);
            snprintf(msg, msize, "%s must be in %s, got %s", k->key, range, text);
            return -1;
        }
        *(double *)base = v;
        return 0;
    }
    case K_BOOL: {
        int v;
        if (is_null || parse_bool(text, &v) != 0) { what = "true or false"; break; }
        *(int *)base = v;
        return 0;
    }
    case K_STRING:
        if (is_null) text = "";
        if (strlen(text) >= k->size) {
            snprintf(msg, msize, "%s: too long (at most %zu characters)", k->key, k->size - 1);
            return -1;
        }
        snprintf(base, k->size, "%s", text);
        return 0;
    case K_ENUM: {
        size_t n = strlen(text);
        for (const char *p = k->choices; !is_null && *p;) {
            const char *bar = strchr(p, '|');
            size_t len = bar ? (size_t)(bar - p) : strlen(p);
            if (len == n && strncmp(p, text, n) == 0) {
                snprintf(base, k->size, "%s", text);
                return 0;
            }
            p += len + (bar ? 1 : 0);
        }
        char choices[128];
        snprintf(choices, sizeof choices, "%s", k->choices);
        for (char *p = choices; *p; p++)
            if (*p == '|') *p = '/';
        snprintf(msg, msize, "%s must be one of %s, got '%s'", k->key, choices, is_null ? "" : text);
        return -1;
    }
    case K_LIST: {
        /* a single scalar = a one-element list */
        if (is_null || !*text) {
            c->n_tasks = 0;
            return 0;
        }
        if (strlen(text) >= k->size) {
            snprintf(msg, msize, "%s: entry too long (at most %zu characters)", k->key, k->size - 1);
            return -1;
        }
        c->n_tasks = 1;
        snprintf(c->tasks[0], sizeof c->tasks[0], "%s", text);
        return 0;
    }
    }
    if (is_null) snprintf(msg, msize, "%s: expected %s, got nothing", k->key, what);
    else snprintf(msg, msize, "%s: expected %s, got '%s'", k->key, what, text);
    return -1;
}

/* ------------------------------------------------------- YAML walking -- */

typedef struct {
    const char *file;   /* NULL for --set */
    const char *assign; /* the --set text, for messages */
    ccx_error *err;
    /* leaf keys seen so far in this file (duplicate detection) */
    int n_seen;
    struct {
        const key_def *k;
        int line, col;
    } seen[N_KEYS + 1];
} walk_ctx;

static int fail_at(walk_ctx *w, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(walk_ctx *w, const yaml_node_t *node, const char *fmt, ...) {
    char msg[480];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (w->file)
        return ccx_error_set_at(w->err, w->file, node ? (int)node->start_mark.line + 1 : 0,
                                node ? (int)node->start_mark.column + 1 : 0, "%s", msg);
    return ccx_error_set(w->err, "--set %s: %s", w->assign, msg);
}

static const char *node_kind(const yaml_node_t *n) {
    return n->type == YAML_MAPPING_NODE ? "a mapping" : n->type == YAML_SEQUENCE_NODE ? "a list" : "a value";
}

static int scalar_is_null(const yaml_node_t *n) {
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
    const char *s = (const char *)n->data.scalar.value;
    return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
           strcmp(s, "NULL") == 0;
}

static int set_leaf(walk_ctx *w, ccx_train_config *c, const key_def *k, const yaml_node_t *key_node,
                    yaml_document_t *doc, yaml_node_t *v) {
    char msg[480];
    if (w->file) {
        for (int i = 0; i < w->n_seen; i++)
            if (w->seen[i].k == k)
                return fail_at(w, key_node, "duplicate key '%s' (first set at line %d, column %d)",
                               k->key, w->seen[i].line, w->seen[i].col);
        if (w->n_seen < N_KEYS + 1) {
            w->seen[w->n_seen].k = k;
            w->seen[w->n_seen].line = key_node ? (int)key_node->start_mark.line + 1 : 0;
            w->seen[w->n_seen].col = key_node ? (int)key_node->start_mark.column + 1 : 0;
            w->n_seen++;
        }
    }
    if (v->type == YAML_SCALAR_NODE) {
        if (set_scalar(c, k, (const char *)v->data.scalar.value, scalar_is_null(v), msg, sizeof msg))
            return fail_at(w, v, "%s", msg);
        return 0;
    }
    if (k->type == K_LIST && v->type == YAML_SEQUENCE_NODE) {
        int n = (int)(v->data.sequence.items.top - v->data.sequence.items.start);
        if (n > CCX_CONFIG_MAX_TASKS)
            return fail_at(w, v, "%s: at most %d entries, got %d", k->key, CCX_CONFIG_MAX_TASKS, n);
        char tmp[CCX_CONFIG_MAX_TASKS][CCX_CONFIG_STR];
        for (int i = 0; i < n; i++) {
            yaml_node_t *it = yaml_document_get_node(doc, v->data.sequence.items.start[i]);
            if (!it || it->type != YAML_SCALAR_NODE || scalar_is_null(it))
                return fail_at(w, it ? it : v, "%s: entry %d: expected a task name or file, got %s",
                               k->key, i + 1, it && it->type != YAML_SCALAR_NODE ? node_kind(it) : "nothing");
            const char *s = (const char *)it->data.scalar.value;
            if (strlen(s) >= sizeof tmp[0])
                return fail_at(w, it, "%s: entry %d too long (at most %zu characters)", k->key, i + 1,
                               sizeof tmp[0] - 1);
            snprintf(tmp[i], sizeof tmp[i], "%s", s);
        }
        c->n_tasks = n;
        memcpy(c->tasks, tmp, (size_t)n * sizeof tmp[0]);
        return 0;
    }
    static const char *const EXPECT[] = {"an integer", "an integer", "an integer", "a number",
                                         "true or false", "a string", "one of the names", "a list"};
    return fail_at(w, v, "%s: expected %s, got %s", k->key, EXPECT[k->type], node_kind(v));
}

/* Apply node v under the dotted prefix (key_node: where prefix was named). */
static int walk(walk_ctx *w, ccx_train_config *c, yaml_document_t *doc, const char *prefix,
                const yaml_node_t *key_node, yaml_node_t *v) {
    const key_def *k = prefix[0] ? find_key(prefix) : NULL;
    if (k) return set_leaf(w, c, k, key_node, doc, v);
    if (v->type != YAML_MAPPING_NODE) {
        char msg[400];
        if (!prefix[0])
            return fail_at(w, v, "expected a mapping of keys (section: {key: value}), got %s", node_kind(v));
        if (is_section(prefix) && v->type == YAML_SCALAR_NODE && scalar_is_null(v))
            return 0; /* "ppo:" with nothing under it: an empty section */
        if (is_section(prefix))
            return fail_at(w, key_node, "'%s' is a section: expected a mapping of its keys, got %s",
                           prefix, node_kind(v));
        unknown_key_msg(msg, sizeof msg, prefix);
        return fail_at(w, key_node, "%s", msg);
    }
    yaml_node_pair_t *p0 = v->data.mapping.pairs.start, *p1 = v->data.mapping.pairs.top;
    for (yaml_node_pair_t *p = p0; p < p1; p++) {
        yaml_node_t *kn = yaml_document_get_node(doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(doc, p->value);
        if (!kn || !vn) return fail_at(w, v, "malformed mapping");
        if (kn->type != YAML_SCALAR_NODE || !kn->data.scalar.value[0])
            return fail_at(w, kn, "expected a key name, got %s", kn->type == YAML_SCALAR_NODE ? "nothing" : node_kind(kn));
        const char *name = (const char *)kn->data.scalar.value;
        /* sibling duplicates (also catches a section given twice) */
        for (yaml_node_pair_t *q = p0; q < p; q++) {
            yaml_node_t *qk = yaml_document_get_node(doc, q->key);
            if (qk && qk->type == YAML_SCALAR_NODE && strcmp((const char *)qk->data.scalar.value, name) == 0)
                return fail_at(w, kn, "duplicate key '%s%s%s' (first at line %d, column %d)", prefix,
                               prefix[0] ? "." : "", name, (int)qk->start_mark.line + 1,
                               (int)qk->start_mark.column + 1);
        }
        char full[256];
        if ((size_t)snprintf(full, sizeof full, "%s%s%s", prefix, prefix[0] ? "." : "", name) >= sizeof full)
            return fail_at(w, kn, "key too long");
        if (walk(w, c, doc, full, kn, vn)) return -1;
    }
    return 0;
}

static int yaml_error(walk_ctx *w, yaml_parser_t *parser) {
    const char *prob = parser->problem ? parser->problem : "invalid YAML";
    const char *ctxs = parser->context;
    yaml_mark_t m = parser->problem_mark;
    if (w->file) {
        if (ctxs)
            return ccx_error_set_at(w->err, w->file, (int)m.line + 1, (int)m.column + 1,
                                    "YAML syntax error: %s %s", prob, ctxs);
        return ccx_error_set_at(w->err, w->file, (int)m.line + 1, (int)m.column + 1,
                                "YAML syntax error: %s", prob);
    }
    return ccx_error_set(w->err, "--set %s: invalid value (YAML: %s)", w->assign, prob);
}

/* Parse text (len bytes) as one YAML document and apply it under prefix. */
static int apply_yaml(ccx_train_config *c, const char *text, size_t len, const char *prefix,
                      walk_ctx *w) {
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) return ccx_error_set(w->err, "out of memory (YAML parser)");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        int rc = yaml_error(w, &parser);
        yaml_parser_delete(&parser);
        return rc;
    }
    int rc = 0;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root) {
        /* a second document in the file is an error, not silently ignored */
        yaml_document_t doc2;
        if (!yaml_parser_load(&parser, &doc2)) {
            rc = yaml_error(w, &parser);
        } else {
            yaml_node_t *r2 = yaml_document_get_root_node(&doc2);
            if (r2) rc = fail_at(w, r2, "expected a single YAML document, found a second one");
            yaml_document_delete(&doc2);
        }
        if (rc == 0) rc = walk(w, c, &doc, prefix, NULL, root);
    } else if (prefix[0]) {
        /* "--set key=" : an empty value */
        const key_def *k = find_key(prefix);
        char msg[480];
        if (k && set_scalar(c, k, "", 1, msg, sizeof msg)) rc = ccx_error_set(w->err, "--set %s: %s", w->assign, msg);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

/* ------------------------------------------------------------- public -- */

void ccx_train_config_default(ccx_train_config *c) {
    memset(c, 0, sizeof *c);
    char msg[480];
    for (int i = 0; i < N_KEYS; i++) {
        const key_def *k = &KEYS[i];
        if (k->type == K_LIST) {
            c->n_tasks = 0;
            continue;
        }
        const char *d = k->def;
        if (strcmp(d, "\"\"") == 0) d = "";
        (void)set_scalar(c, k, d, 0, msg, sizeof msg);
    }
}

int ccx_train_config_load(ccx_train_config *c, const char *path, ccx_error *err) {
    size_t len;
    char *buf = ccx_read_file(path, (size_t)64 << 20, &len, err);
    if (!buf) return -1;
    /* load into a copy: a failed load leaves *c untouched */
    ccx_train_config *tmp = malloc(sizeof *tmp);
    walk_ctx *w = calloc(1, sizeof *w);
    int rc;
    if (!tmp || !w) {
        rc = ccx_error_set_at(err, path, 0, 0, "out of memory");
    } else {
        *tmp = *c;
        w->file = path;
        w->err = err;
        rc = apply_yaml(tmp, buf, len, "", w);
        if (rc == 0) *c = *tmp;
    }
    free(tmp);
    free(w);
    free(buf);
    return rc;
}

int ccx_train_config_set(ccx_train_config *c, const char *assignment, ccx_error *err) {
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return ccx_error_set(err, "--set %s: expected KEY=VALUE (e.g. --set ppo.clip=0.1)", assignment);
    char key[256];
    size_t kl = (size_t)(eq - assignment);
    while (kl > 0 && isspace((unsigned char)assignment[kl - 1])) kl--;
    if (kl >= sizeof key) return ccx_error_set(err, "--set %s: key too long", assignment);
    memcpy(key, assignment, kl);
    key[kl] = '\0';
    if (!find_key(key) && !is_section(key)) {
        char msg[400];
        unknown_key_msg(msg, sizeof msg, key);
        return ccx_error_set(err, "--set %s: %s", assignment, msg);
    }
    ccx_train_config *tmp = malloc(sizeof *tmp);
    walk_ctx *w = calloc(1, sizeof *w);
    int rc;
    if (!tmp || !w) {
        rc = ccx_error_set(err, "out of memory");
    } else {
        *tmp = *c;
        w->assign = assignment;
        w->err = err;
        const char *val = eq + 1;
        rc = apply_yaml(tmp, val, strlen(val), key, w);
        if (rc == 0) *c = *tmp;
    }
    free(tmp);
    free(w);
    return rc;
}

/* ---------------------------------------------------------- formatting -- */

static void fmt_double(double v, char *buf, size_t size) {
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
    snprintf(buf, size, "%.17g", v);
}

/* A YAML double-quoted string. */
static size_t fmt_quoted(const char *s, char *buf, size_t size) {
    size_t n = 0;
#define PUT(ch)                          \
    do {                                 \
        if (n + 1 < size) buf[n] = (ch); \
        n++;                             \
    } while (0)
    PUT('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            PUT('\\');
            PUT((char)*p);
        } else if (*p < 0x20 || *p == 0x7f) {
            char hex[8];
            snprintf(hex, sizeof hex, "\\x%02x", *p);
            for (char *h = hex; *h; h++) PUT(*h);
        } else {
            PUT((char)*p);
        }
    }
    PUT('"');
    if (size) buf[n < size ? n : size - 1] = '\0';
#undef PUT
    return n;
}

/* The value as YAML text (quoted: strings quoted for writing). */
static void fmt_value(const ccx_train_config *c, const key_def *k, int quoted, char *buf, size_t size) {
    const char *base = (const char *)c + k->off;
    switch (k->type) {
    case K_INT: snprintf(buf, size, "%d", *(const int *)base); break;
    case K_LONG: snprintf(buf, size, "%ld", *(const long *)base); break;
    case K_U64: snprintf(buf, size, "%llu", (unsigned long long)*(const uint64_t *)base); break;
    case K_DOUBLE: fmt_double(*(const double *)base, buf, size); break;
    case K_BOOL: snprintf(buf, size, "%s", *(const int *)base ? "true" : "false"); break;
    case K_ENUM: snprintf(buf, size, "%s", base); break;
    case K_STRING:
        if (quoted) fmt_quoted(base, buf, size);
        else snprintf(buf, size, "%s", base);
        break;
    case K_LIST: {
        size_t n = 0;
        if (size) buf[0] = '\0';
        n += (size_t)snprintf(buf, size, "[");
        int nt = c->n_tasks < 0 ? 0 : c->n_tasks > CCX_CONFIG_MAX_TASKS ? CCX_CONFIG_MAX_TASKS : c->n_tasks;
        for (int i = 0; i < nt && n < size; i++) {
            if (i) n += (size_t)snprintf(buf + n, size - n, ", ");
            if (n >= size) break;
            if (quoted) n += fmt_quoted(c->tasks[i], buf + n, size - n);
            else n += (size_t)snprintf(buf + n, size - n, "%s", c->tasks[i]);
        }
        if (n < size) snprintf(buf + n, size - n, "]");
        break;
    }
    }
}

int ccx_train_config_get(const ccx_train_config *c, const char *key, char *buf, size_t size) {
    const key_def *k = find_key(key);
    if (!k) {
        if (size) buf[0] = '\0';
        return -1;
    }
    fmt_value(c, k, 0, buf, size);
    return 0;
}

typedef struct {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) { b->oom = 1; return; }
        if (b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t nc = (b->cap + (size_t)n + 1) * 2;
        char *ns = realloc(b->s, nc);
        if (!ns) { b->oom = 1; return; }
        b->s = ns;
        b->cap = nc;
    }
}

char *ccx_train_config_to_yaml(const ccx_train_config *c) {
    sbuf b = {malloc(4096), 0, 4096, 0};
    if (!b.s) return NULL;
    b.s[0] = '\0';
    sb_printf(&b, "# ccx training config: every key, grouped by section (`ccx train --help-config`)\n");
    char section[64] = "";
    char *val = malloc(CCX_CONFIG_MAX_TASKS * (2 * CCX_CONFIG_STR + 8) + 16);
    if (!val) { free(b.s); return NULL; }
    for (int i = 0; i < N_KEYS; i++) {
        const key_def *k = &KEYS[i];
        const char *dot = strchr(k->key, '.');
        size_t sl = (size_t)(dot - k->key);
        if (strlen(section) != sl || strncmp(section, k->key, sl) != 0) {
            snprintf(section, sizeof section, "%.*s", (int)sl, k->key);
            sb_printf(&b, "%s%s:\n", i ? "\n" : "", section);
        }
        fmt_value(c, k, 1, val, CCX_CONFIG_MAX_TASKS * (2 * CCX_CONFIG_STR + 8) + 16);
        sb_printf(&b, "  # %s\n  %s: %s\n", k->help, dot + 1, val);
    }
    free(val);
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

int ccx_train_config_write(const ccx_train_config *c, const char *path, ccx_error *err) {
    char *text = ccx_train_config_to_yaml(c);
    if (!text) return ccx_error_set_at(err, path, 0, 0, "out of memory");
    int rc = ccx_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

void ccx_train_config_print_keys(void) {
    printf("%-28s %-7s %-14s %-24s %s\n", "key", "type", "default", "range", "help");
    for (int i = 0; i < N_KEYS; i++) {
        const key_def *k = &KEYS[i];
        char range[96] = "";
        if (k->type == K_INT || k->type == K_LONG || k->type == K_U64 || k->type == K_DOUBLE)
            range_text(k, range, sizeof range);
        else if (k->type == K_ENUM) snprintf(range, sizeof range, "%s", k->choices);
        else if (k->type == K_LIST) snprintf(range, sizeof range, "1..%d entries", CCX_CONFIG_MAX_TASKS);
        printf("%-28s %-7s %-14s %-24s %s\n", k->key, TYPE_NAMES[k->type], k->type == K_LIST ? "(required)" : k->def,
               range, k->help);
    }
}

/* --------------------------------------------------------- validation -- */

int ccx_train_config_validate(const ccx_train_config *c, ccx_error *err) {
    char msg[480];
    /* every field in its own range (the struct may have been set directly) */
    for (int i = 0; i < N_KEYS; i++) {
        const key_def *k = &KEYS[i];
        const char *base = (const char *)c + k->off;
        double v;
        switch (k->type) {
        case K_INT: v = *(const int *)base; break;
        case K_LONG: v = (double)*(const long *)base; break;
        case K_DOUBLE: v = *(const double *)base; break;
        case K_ENUM: {
            if (!memchr(base, '\0', k->size)) return ccx_error_set(err, "%s: not a string", k->key);
            ccx_train_config tmp = *c;
            if (set_scalar(&tmp, k, base, 0, msg, sizeof msg)) return ccx_error_set(err, "%s", msg);
            continue;
        }
        case K_BOOL:
            if (*(const int *)base != 0 && *(const int *)base != 1)
                return ccx_error_set(err, "%s must be true or false", k->key);
            continue;
        default: continue;
        }
        if (!isfinite(v) || !in_range(k, v)) {
            char range[96], val[64];
            range_text(k, range, sizeof range);
            fmt_value(c, k, 0, val, sizeof val);
            return ccx_error_set(err, "%s must be in %s, got %s", k->key, range, val);
        }
    }
    if (c->n_tasks < 1)
        return ccx_error_set(err, "run.tasks is empty: name a task (file or a name from configs/tasks) "
                                  "or a list of them, or give ccx train --task FILE");
    if (c->n_tasks > CCX_CONFIG_MAX_TASKS)
        return ccx_error_set(err, "run.tasks: at most %d tasks, got %d", CCX_CONFIG_MAX_TASKS, c->n_tasks);
    for (int i = 0; i < c->n_tasks; i++) {
        if (!c->tasks[i][0]) return ccx_error_set(err, "run.tasks: entry %d is empty", i + 1);
        for (int j = 0; j < i; j++)
            if (strcmp(c->tasks[i], c->tasks[j]) == 0)
                return ccx_error_set(err, "run.tasks: '%s' is listed twice", c->tasks[i]);
    }
    if (strchr(c->name, '/') || strcmp(c->name, ".") == 0 || strcmp(c->name, "..") == 0)
        return ccx_error_set(err, "run.name '%s' must be a plain directory name (no '/')", c->name);
    if (c->budget_updates == 0 && c->budget_env_steps == 0 && c->budget_seconds == 0)
        return ccx_error_set(err, "no budget: set budget.updates, budget.env_steps or budget.seconds "
                                  "(at least one must be non-zero)");
    if (c->dim % c->heads != 0)
        return ccx_error_set(err, "network.dim (%d) must be a multiple of network.heads (%d)", c->dim,
                             c->heads);
    if (strcmp(c->algo, "ppo") == 0) {
        long unit = (long)c->n_tasks * c->minibatches;
        if (c->n_envs % unit != 0)
            return ccx_error_set(err,
                                 "env.n_envs (%d) must be a multiple of the number of tasks (%d) times "
                                 "ppo.minibatches (%d) = %ld",
                                 c->n_envs, c->n_tasks, c->minibatches, unit);
    } else {
        if (c->n_envs % c->n_tasks != 0)
            return ccx_error_set(err, "env.n_envs (%d) must be a multiple of the number of tasks (%d)",
                                 c->n_envs, c->n_tasks);
        if ((long)c->az_batch_size > c->az_replay_size)
            return ccx_error_set(err, "alphazero.batch_size (%d) must not exceed alphazero.replay_size (%ld)",
                                 c->az_batch_size, c->az_replay_size);
        if (c->az_num_considered > c->az_num_simulations)
            return ccx_error_set(err,
                                 "alphazero.num_considered (%d) must not exceed alphazero.num_simulations (%d)",
                                 c->az_num_considered, c->az_num_simulations);
    }
    return 0;
}
