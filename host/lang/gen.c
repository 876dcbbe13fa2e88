/* Random task files (`ccx gen`).
 *
 * The generated text is ordinary task language:
 *
 *     # ccx gen: inputs=4 intermediates=20 outputs=2 seed=0 ops=add:4,...
 *     input x1, x2, x3, x4
 *     v1 = x2 * x4
 *     v2 = sin(v1)
 *     v3 = v2 ** 2
 *     ...
 *     output v21, v22
 *
 * Every `vK = ...` line has only variables as operands, so it creates exactly
 * one vertex, numbered K. Vertices 1..n_intermediates are intermediates, the
 * last n_outputs vertices are the outputs.
 *
 * Shape of the graphs. Operands are drawn from the inputs and the
 * intermediates made so far (never from outputs), with
 *   - a bias toward recent values (most references are local, some reach
 *     anywhere back),
 *   - a preference for values nobody uses yet (unused intermediates first,
 *     then unused inputs), so that the graph has few dead ends,
 *   - and a guarantee: every intermediate ends up with at least one
 *     successor. Before each vertex the generator knows how many operand
 *     slots the remaining vertices can still spend on unused intermediates
 *     (its "capacity": max_arity - 1 per remaining intermediate, since each
 *     one also adds a new unused value, and max_arity per remaining output);
 *     when the unused set would otherwise outgrow that capacity, the vertex
 *     is made to consume enough of them (drawing an op of larger arity if
 *     needed). Outputs consequently have no successors.
 *
 * Randomness comes from util/rng.h (xoshiro256**); only
 * integer arithmetic plus double additions/comparisons are used, so the same
 * params give the same text on every platform. */
#include "lang/gen.h"
#include "util/rng.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_MAX_SIZE 100000

/* ------------------------------------------------------------------ RNG -- */

/* 1 with probability num/den. */
static int rng_chance(ccx_rng *r, uint64_t num, uint64_t den) {
    return ccx_rng_below(r, den) < num;
}

/* ------------------------------------------------------------- params -- */

static const struct {
    ccx_op op;
    double weight;
} DEFAULT_MIX[] = {
    {CCX_OP_ADD, 4.0},  {CCX_OP_SUB, 2.0},  {CCX_OP_MUL, 4.0},
    {CCX_OP_DIV, 1.0},  {CCX_OP_SIN, 1.0},  {CCX_OP_COS, 1.0},
    {CCX_OP_EXP, 0.5},  {CCX_OP_TANH, 1.0}, {CCX_OP_LOGISTIC, 0.5},
    {CCX_OP_INTEGER_POW, 1.0},
};

void ccx_gen_defaults(ccx_gen_params *p) {
    memset(p, 0, sizeof *p);
    p->n_inputs = 4;
    p->n_intermediates = 20;
    p->n_outputs = 2;
    p->seed = 0;
    p->n_ops = (int)(sizeof DEFAULT_MIX / sizeof DEFAULT_MIX[0]);
    for (int i = 0; i < p->n_ops; i++) {
        p->ops[i] = DEFAULT_MIX[i].op;
        p->weights[i] = DEFAULT_MIX[i].weight;
    }
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int ccx_gen_parse_ops(const char *spec, ccx_gen_params *p, ccx_error *err) {
    if (!spec) return ccx_error_set(err, "op spec is missing");
    ccx_op ops[CCX_OP_COUNT];
    double weights[CCX_OP_COUNT];
    int n = 0;
    const char *s = spec;
    for (int item = 1;; item++) {
        const char *end = strchr(s, ',');
        if (!end) end = s + strlen(s);
        /* trim the item */
        const char *a = s, *b = end;
        while (a < b && is_space(*a)) a++;
        while (b > a && is_space(b[-1])) b--;
        if (a == b)
            return ccx_error_set(err, "op spec \"%s\": item %d is empty (expected name[:weight])",
                                 spec, item);
        const char *colon = memchr(a, ':', (size_t)(b - a));
        const char *name_end = colon ? colon : b;
        while (name_end > a && is_space(name_end[-1])) name_end--;
        char name[64];
        size_t len = (size_t)(name_end - a);
        if (len == 0)
            return ccx_error_set(err, "op spec \"%s\": item %d has no op name", spec, item);
        if (len >= sizeof name)
            return ccx_error_set(err, "op spec \"%s\": item %d: op name too long", spec, item);
        memcpy(name, a, len);
        name[len] = '\0';
        ccx_op op;
        if (ccx_op_from_function(name, &op) != 0)
            return ccx_error_set(err, "op spec \"%s\": unknown op '%s'", spec, name);
        double w = 1.0;
        if (colon) {
            const char *ws = colon + 1;
            while (ws < b && is_space(*ws)) ws++;
            size_t wlen = (size_t)(b - ws);
            char wbuf[64];
            if (wlen == 0 || wlen >= sizeof wbuf)
                return ccx_error_set(err, "op spec \"%s\": op '%s' has a bad weight (expected a positive number)",
                                     spec, name);
            memcpy(wbuf, ws, wlen);
            wbuf[wlen] = '\0';
            char *wend = NULL;
            w = strtod(wbuf, &wend);
            if (wend == wbuf || *wend != '\0' || !isfinite(w) || !(w > 0.0) || w > 1e9)
                return ccx_error_set(err, "op spec \"%s\": op '%s' has a bad weight '%s' (expected a number in (0, 1e9])",
                                     spec, name, wbuf);
        }
        for (int i = 0; i < n; i++)
            if (ops[i] == op)
                return ccx_error_set(err, "op spec \"%s\": op '%s' is listed twice", spec,
                                     ccx_op_get(op)->name);
        ops[n] = op;
        weights[n] = w;
        n++;
        if (*end == '\0') break;
        s = end + 1;
    }
    p->n_ops = n;
    for (int i = 0; i < n; i++) {
        p->ops[i] = ops[i];
        p->weights[i] = weights[i];
    }
    return 0;
}

static int validate(const ccx_gen_params *p, ccx_error *err) {
    if (p->n_inputs < 1 || p->n_inputs > GEN_MAX_SIZE)
        return ccx_error_set(err, "n_inputs must be between 1 and %d (got %d)", GEN_MAX_SIZE,
                             p->n_inputs);
    if (p->n_intermediates < 0 || p->n_intermediates > GEN_MAX_SIZE)
        return ccx_error_set(err, "n_intermediates must be between 0 and %d (got %d)",
                             GEN_MAX_SIZE, p->n_intermediates);
    if (p->n_outputs < 1 || p->n_outputs > GEN_MAX_SIZE)
        return ccx_error_set(err, "n_outputs must be between 1 and %d (got %d)", GEN_MAX_SIZE,
                             p->n_outputs);
    if (p->n_ops < 1 || p->n_ops > CCX_OP_COUNT)
        return ccx_error_set(err, "n_ops must be between 1 and %d (got %d)", CCX_OP_COUNT,
                             p->n_ops);
    for (int i = 0; i < p->n_ops; i++) {
        if ((int)p->ops[i] < 0 || p->ops[i] >= CCX_OP_COUNT)
            return ccx_error_set(err, "ops[%d] is not a valid op (%d)", i, (int)p->ops[i]);
        double w = p->weights[i];
        if (!isfinite(w) || !(w > 0.0) || w > 1e9)
            return ccx_error_set(err, "weights[%d] (op '%s') must be in (0, 1e9] (got %g)", i,
                                 ccx_op_get(p->ops[i])->name, w);
    }
    return 0;
}

/* ------------------------------------------------------- text buffer -- */

typedef struct {
    char *data;
    size_t len, cap;
    int oom;
} gen_buf;

static void buf_printf(gen_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(gen_buf *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) { b->oom = 1; return; }
        if (b->data && (size_t)n < room) { b->len += (size_t)n; return; }
        size_t need = b->len + (size_t)n + 1;
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < need) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) { b->oom = 1; return; }
        b->data = d;
        b->cap = cap;
    }
}

/* ---------------------------------------------------------- generator -- */

/* A set of node ids with O(1) insert, remove and uniform pick. */
typedef struct {
    int32_t *items; /* members */
    int32_t *pos;   /* pos[node] = index in items, or -1 */
    int n;
} node_set;

static void set_add(node_set *s, int32_t node) {
    s->pos[node] = s->n;
    s->items[s->n++] = node;
}

static void set_remove(node_set *s, int32_t node) {
    int i = s->pos[node];
    if (i < 0) return;
    int32_t last = s->items[--s->n];
    s->items[i] = last;
    s->pos[last] = i;
    s->pos[node] = -1;
}

static int32_t set_pick(node_set *s, ccx_rng *r) {
    return s->items[ccx_rng_below(r, (uint64_t)s->n)];
}

/* Weighted op draw among ops whose arity is >= min_arity (and <= max_arity). */
static int draw_op(const ccx_gen_params *p, ccx_rng *r, int min_arity, int max_arity) {
    double total = 0.0;
    int last = -1;
    for (int i = 0; i < p->n_ops; i++) {
        int a = ccx_op_get(p->ops[i])->arity;
        if (a >= min_arity && a <= max_arity) { total += p->weights[i]; last = i; }
    }
    if (last < 0) return -1;
    double x = ccx_rng_unit(r) * total, acc = 0.0;
    for (int i = 0; i < p->n_ops; i++) {
        int a = ccx_op_get(p->ops[i])->arity;
        if (a < min_arity || a > max_arity) continue;
        acc += p->weights[i];
        if (x < acc) return i;
    }
    return last;
}

/* Any node of the pool [0, pool): mostly recent, sometimes anywhere. */
static int32_t pick_any(ccx_rng *r, int32_t pool) {
    if (rng_chance(r, 7, 10)) {
        int32_t w = (int32_t)2 << ccx_rng_below(r, 4); /* window 2, 4, 8 or 16 */
        if (w > pool) w = pool;
        return pool - 1 - (int32_t)ccx_rng_below(r, (uint64_t)w);
    }
    return (int32_t)ccx_rng_below(r, (uint64_t)pool);
}

static void write_name(gen_buf *b, int n_inputs, int32_t node) {
    if (node < n_inputs) buf_printf(b, "x%d", node + 1);
    else buf_printf(b, "v%d", node - n_inputs + 1);
}

char *ccx_gen_task(const ccx_gen_params *p, ccx_error *err) {
    if (!p) { ccx_error_set(err, "gen params are missing"); return NULL; }
    if (validate(p, err) != 0) return NULL;

    const int n_in = p->n_inputs, n_mid = p->n_intermediates, n_out = p->n_outputs;
    const int n_vert = n_mid + n_out;
    const int n_nodes = n_in + n_vert;

    int max_arity = 1, has_unary = 0;
    for (int i = 0; i < p->n_ops; i++) {
        int a = ccx_op_get(p->ops[i])->arity;
        if (a > max_arity) max_arity = a;
        if (a == 1) has_unary = 1;
    }

    gen_buf b = {0};
    node_set unused_mid = {0}, unused_in = {0};
    unused_mid.items = malloc(sizeof(int32_t) * (size_t)n_nodes);
    unused_mid.pos = malloc(sizeof(int32_t) * (size_t)n_nodes);
    unused_in.items = malloc(sizeof(int32_t) * (size_t)n_nodes);
    unused_in.pos = malloc(sizeof(int32_t) * (size_t)n_nodes);
    if (!unused_mid.items || !unused_mid.pos || !unused_in.items || !unused_in.pos) {
        b.oom = 1;
        goto done;
    }
    for (int i = 0; i < n_nodes; i++) unused_mid.pos[i] = unused_in.pos[i] = -1;

    ccx_rng rng;
    ccx_rng_seed(&rng, p->seed);

    /* header */
    buf_printf(&b, "# ccx gen: inputs=%d intermediates=%d outputs=%d seed=%llu ops=", n_in,
               n_mid, n_out, (unsigned long long)p->seed);
    for (int i = 0; i < p->n_ops; i++)
        buf_printf(&b, "%s%s:%g", i ? "," : "", ccx_op_get(p->ops[i])->name, p->weights[i]);
    if (n_mid > 0) buf_printf(&b, "\n# intermediates v1..v%d, outputs v%d..v%d\n", n_mid, n_mid + 1, n_vert);
    else buf_printf(&b, "\n# no intermediates, outputs v1..v%d\n", n_vert);

    buf_printf(&b, "input ");
    for (int i = 0; i < n_in; i++) {
        buf_printf(&b, "%sx%d", i ? ", " : "", i + 1);
        set_add(&unused_in, i);
    }
    buf_printf(&b, "\n");

    for (int k = 1; k <= n_vert && !b.oom; k++) {
        const int is_out = k > n_mid;
        const int32_t pool = n_in + (is_out ? n_mid : k - 1); /* nodes [0, pool) */
        /* Capacity of the vertices after this one to consume unused
         * intermediates: max_arity-1 per intermediate, max_arity per output. */
        long mids_after = is_out ? 0 : (long)(n_mid - k);
        long outs_after = is_out ? (long)(n_vert - k) : (long)n_out;
        long cap_after = mids_after * (max_arity - 1) + outs_after * max_arity;
        long must = (long)unused_mid.n + (is_out ? 0 : 1) - cap_after;
        if (must < 0) must = 0;

        int oi = draw_op(p, &rng, 1, 2);
        int arity = ccx_op_get(p->ops[oi])->arity;
        if (arity < must) {
            oi = draw_op(p, &rng, (int)must, 2); /* must <= max_arity by the invariant */
            arity = ccx_op_get(p->ops[oi])->arity;
        } else if (arity == 2 && pool < 2 && has_unary) {
            oi = draw_op(p, &rng, 1, 1); /* one value to work with: prefer a unary op */
            arity = 1;
        }
        const ccx_op op = p->ops[oi];

        int32_t args[2] = {-1, -1};
        for (int s = 0; s < arity; s++) {
            int32_t node = -1;
            for (int attempt = 0; attempt < 8 && node < 0; attempt++) {
                int32_t cand;
                if (s < must && unused_mid.n > 0)
                    cand = set_pick(&unused_mid, &rng);
                else if (unused_mid.n > 0 && rng_chance(&rng, 1, 2))
                    cand = set_pick(&unused_mid, &rng);
                else if (unused_in.n > 0 && rng_chance(&rng, 1, 4))
                    cand = set_pick(&unused_in, &rng);
                else
                    cand = pick_any(&rng, pool);
                if (s == 1 && cand == args[0] && pool > 1) continue; /* distinct operands */
                node = cand;
            }
            if (node < 0) { /* only repeats drawn: take the nearest other value */
                node = args[0] == pool - 1 ? pool - 2 : pool - 1;
            }
            args[s] = node;
            set_remove(&unused_mid, node);
            set_remove(&unused_in, node);
        }
        /* Forced operands were drawn first; put them on either side. */
        if (arity == 2 && rng_chance(&rng, 1, 2)) {
            int32_t t = args[0];
            args[0] = args[1];
            args[1] = t;
        }

        buf_printf(&b, "v%d = ", k);
        const char *infix = op == CCX_OP_ADD ? "+" : op == CCX_OP_SUB ? "-"
                          : op == CCX_OP_MUL ? "*" : op == CCX_OP_DIV ? "/" : NULL;
        if (infix) {
            write_name(&b, n_in, args[0]);
            buf_printf(&b, " %s ", infix);
            write_name(&b, n_in, args[1]);
        } else if (op == CCX_OP_INTEGER_POW) {
            write_name(&b, n_in, args[0]);
            buf_printf(&b, " ** %d", 2 + (int)ccx_rng_below(&rng, 2));
        } else {
            buf_printf(&b, "%s(", ccx_op_get(op)->name);
            write_name(&b, n_in, args[0]);
            if (arity == 2) {
                buf_printf(&b, ", ");
                write_name(&b, n_in, args[1]);
            }
            buf_printf(&b, ")");
        }
        buf_printf(&b, "\n");

        if (!is_out) set_add(&unused_mid, n_in + k - 1);
    }

    buf_printf(&b, "output ");
    for (int k = n_mid + 1; k <= n_vert; k++)
        buf_printf(&b, "%sv%d", k > n_mid + 1 ? ", " : "", k);
    buf_printf(&b, "\n");

done:
    free(unused_mid.items);
    free(unused_mid.pos);
    free(unused_in.items);
    free(unused_in.pos);
    if (b.oom) {
        free(b.data);
        ccx_error_set(err, "out of memory generating a task of %d vertices", n_vert);
        return NULL;
    }
    return b.data;
}
