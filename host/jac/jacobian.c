/* Jacobian interpreter: the elimination schedule (played through the game),
 * values and local partials, the numeric elimination, the dual-number
 * reference, and bad-point reports. */
#include "jac/jacobian.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "game/game.h"
#include "util/rng.h"

/* ------------------------------------------------- edge-slot hash map -- */

/* (src, dst) node pair -> slot, open addressing. */
typedef struct {
    uint64_t *keys; /* key + 1; 0 = empty */
    int32_t *vals;
    size_t cap, used;
} slot_map;

static uint64_t pair_key(int32_t src, int32_t dst) {
    return ((uint64_t)(uint32_t)src << 32 | (uint32_t)dst) + 1;
}

static size_t hash64(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return (size_t)k;
}

static int map_init(slot_map *m, size_t want) {
    m->cap = 64;
    while (m->cap < 2 * want) m->cap *= 2;
    m->used = 0;
    m->keys = calloc(m->cap, sizeof *m->keys);
    m->vals = malloc(m->cap * sizeof *m->vals);
    return m->keys && m->vals ? 0 : -1;
}

static void map_free(slot_map *m) {
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static int32_t map_get(const slot_map *m, int32_t src, int32_t dst) {
    uint64_t k = pair_key(src, dst);
    for (size_t i = hash64(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == k) return m->vals[i];
        if (m->keys[i] == 0) return -1;
    }
}

static int map_put(slot_map *m, int32_t src, int32_t dst, int32_t val) {
    if (2 * (m->used + 1) > m->cap) {
        slot_map n;
        n.cap = m->cap * 2;
        n.used = 0;
        n.keys = calloc(n.cap, sizeof *n.keys);
        n.vals = malloc(n.cap * sizeof *n.vals);
        if (!n.keys || !n.vals) { free(n.keys); free(n.vals); return -1; }
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i]) continue;
            size_t j = hash64(m->keys[i]) & (n.cap - 1);
            while (n.keys[j]) j = (j + 1) & (n.cap - 1);
            n.keys[j] = m->keys[i];
            n.vals[j] = m->vals[i];
            n.used++;
        }
        map_free(m);
        *m = n;
    }
    uint64_t k = pair_key(src, dst);
    size_t i = hash64(k) & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != k) i = (i + 1) & (m->cap - 1);
    if (!m->keys[i]) m->used++;
    m->keys[i] = k;
    m->vals[i] = val;
    return 0;
}

/* ------------------------------------------------------ plan building -- */

typedef struct {
    const ccx_graph *g;
    slot_map map;
    int32_t n_slots, cap_slots;
    int32_t *src, *dst;
    int64_t n_steps, cap_steps;
    ccx_jac_step *steps;
    int32_t elim; /* the node being eliminated (plan_pair) */
} builder;

static int32_t new_slot(builder *b, int32_t src, int32_t dst) {
    if (b->n_slots == b->cap_slots) {
        if (b->cap_slots > INT32_MAX / 2) return -1;
        int32_t c = b->cap_slots ? 2 * b->cap_slots : 64;
        int32_t *s = realloc(b->src, (size_t)c * sizeof *s);
        if (!s) return -1;
        b->src = s;
        int32_t *d = realloc(b->dst, (size_t)c * sizeof *d);
        if (!d) return -1;
        b->dst = d;
        b->cap_slots = c;
    }
    int32_t k = b->n_slots;
    if (map_put(&b->map, src, dst, k)) return -1;
    b->src[k] = src;
    b->dst[k] = dst;
    b->n_slots++;
    return k;
}

/* Append "c(p->s) (+)= c(j->s) * c(p->j)"; -1 on allocation failure. */
static int push_step(builder *b, int32_t p, int32_t j, int32_t s) {
    int32_t sj = map_get(&b->map, j, s), jp = map_get(&b->map, p, j);
    if (sj < 0 || jp < 0) return -2; /* cannot happen: the game has these edges */
    int32_t sp = map_get(&b->map, p, s);
    uint8_t fill = sp < 0;
    if (fill && (sp = new_slot(b, p, s)) < 0) return -1;
    if (b->n_steps == b->cap_steps) {
        int64_t c = b->cap_steps ? 2 * b->cap_steps : 256;
        ccx_jac_step *st = realloc(b->steps, (size_t)c * sizeof *st);
        if (!st) return -1;
        b->steps = st;
        b->cap_steps = c;
    }
    b->steps[b->n_steps++] = (ccx_jac_step){.dst = sp, .a = sj, .b = jp, .fill = fill};
    return 0;
}

/* ccx_game_elim_pairs' callback: the product p -> elim -> s */
static int plan_pair(void *ctx, int32_t p, int32_t s) {
    builder *b = ctx;
    return push_step(b, p, b->elim, s);
}

void ccx_jac_plan_free(ccx_jac_plan *plan) {
    if (!plan) return;
    free(plan->order);
    free(plan->slot_src);
    free(plan->slot_dst);
    free(plan->steps);
    free(plan->elim_begin);
    free(plan->back);
    free(plan->jac_slot);
    memset(plan, 0, sizeof *plan);
}

int ccx_jac_plan_build(const ccx_graph *g, const int32_t *order, int n, ccx_jac_plan *plan,
                       ccx_error *err) {
    memset(plan, 0, sizeof *plan);
    if (ccx_graph_require_evaluable(g, "the Jacobian interpreter", err)) return -1;
    int64_t cost = 0;
    if (ccx_order_cost(g, order, n, &cost, err)) return -1;
    ccx_game game;
    if (ccx_game_init(&game, g, err)) return -1;
    builder b = {.g = g};
    int rc = -1, n_in = g->n_inputs, n_out = g->n_outputs;
    int32_t *out_index = NULL; /* node id -> output index, -1 for others */
    plan->graph = g;
    plan->n_order = n;
    plan->cost = cost;
    plan->order = malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    plan->elim_begin = malloc((size_t)(n + 1) * sizeof(int64_t));
    plan->jac_slot = malloc((size_t)(n_in * n_out > 0 ? n_in * n_out : 1) * sizeof(int32_t));
    out_index = malloc((size_t)ccx_graph_n_nodes(g) * sizeof(int32_t));
    if (!plan->order || !plan->elim_begin || !plan->jac_slot || !out_index ||
        map_init(&b.map, (size_t)g->n_edges + (size_t)cost + 16))
        goto oom;
    if (n > 0) memcpy(plan->order, order, (size_t)n * sizeof(int32_t));
    for (int i = 0; i < g->n_edges; i++)
        if (new_slot(&b, g->edges[i].src, g->edges[i].dst) < 0) goto oom;

    /* elimination, in the order given, structure taken from the game */
    for (int k = 0; k < n; k++) {
        b.elim = ccx_node_of_vertex(g, order[k]);
        plan->elim_begin[k] = b.n_steps;
        int r = ccx_game_elim_pairs(&game, order[k], plan_pair, &b);
        if (r == -1) goto oom;
        if (r < 0) {
            ccx_error_set(err, "internal error: edge missing while eliminating vertex %d", order[k]);
            goto fail;
        }
        ccx_game_step(&game, order[k]);
    }
    plan->elim_begin[n] = b.n_steps;
    if (b.n_steps != cost || game.cost != cost) {
        ccx_error_set(err, "internal error: elimination performed %lld multiplications, "
                           "the game says %lld", (long long)b.n_steps, (long long)cost);
        goto fail;
    }
    plan->n_steps = b.n_steps;
    plan->steps = b.steps;
    b.steps = NULL;
    b.n_steps = b.cap_steps = 0;

    /* output -> output back-substitution, outputs in increasing node id */
    for (int i = 0; i < ccx_graph_n_nodes(g); i++) out_index[i] = -1;
    for (int o = 0; o < n_out; o++) out_index[ccx_node_of_vertex(g, g->outputs[o])] = o;
    for (int o = n_in; o < game.n_nodes; o++) {
        if (out_index[o] < 0) continue;
        const uint32_t *po = game.preds + (size_t)o * game.words;
        for (int q = n_in; q < o; q++) {
            if (!(po[q >> 5] >> (q & 31) & 1u)) continue;
            if (out_index[q] < 0) {
                ccx_error_set(err, "internal error: intermediate node %d survived elimination", q);
                goto fail;
            }
            for (int i = 0; i < n_in; i++) {
                if (plan->jac_slot[out_index[q] * n_in + i] < 0) continue;
                int r = push_step(&b, i, q, o);
                if (r == -1) goto oom;
                if (r < 0) {
                    ccx_error_set(err, "internal error: edge missing in back-substitution");
                    goto fail;
                }
            }
        }
        for (int i = 0; i < n_in; i++) plan->jac_slot[out_index[o] * n_in + i] = map_get(&b.map, i, o);
    }
    plan->n_back = b.n_steps;
    plan->back = b.steps;
    b.steps = NULL;
    plan->n_slots = b.n_slots;
    plan->slot_src = b.src;
    plan->slot_dst = b.dst;
    b.src = b.dst = NULL;
    rc = 0;
    goto done;
oom:
    ccx_error_set(err, "out of memory building the elimination schedule for %s", g->task_name);
fail:
    ccx_jac_plan_free(plan);
done:
    free(out_index);
    free(b.src);
    free(b.dst);
    free(b.steps);
    map_free(&b.map);
    ccx_game_free(&game);
    return rc;
}

/* ------------------------------------------------------ bad-point text -- */

/* Why op(a, b) or its partial is not finite, in words (or "" if unknown). */
static const char *domain_hint(ccx_op op, double a, double b, double param) {
    switch (op) {
    case CCX_OP_SQRT:
        if (a < 0) return "sqrt of a negative number";
        if (a == 0) return "sqrt has an infinite derivative at 0";
        break;
    case CCX_OP_LOG:
        if (a < 0) return "log of a negative number";
        if (a == 0) return "log of 0";
        break;
    case CCX_OP_LOG1P:
        if (a < -1) return "log1p of a number below -1";
        if (a == -1) return "log1p of -1";
        break;
    case CCX_OP_DIV:
        if (b == 0) return "division by zero";
        break;
    case CCX_OP_ASIN: case CCX_OP_ACOS:
        if (fabs(a) > 1) return "argument outside [-1, 1]";
        if (fabs(a) == 1) return "infinite derivative at +-1";
        break;
    case CCX_OP_ACOSH:
        if (a < 1) return "acosh of a number below 1";
        if (a == 1) return "acosh has an infinite derivative at 1";
        break;
    case CCX_OP_ATANH:
        if (fabs(a) > 1) return "argument outside [-1, 1]";
        if (fabs(a) == 1) return "atanh of +-1";
        break;
    case CCX_OP_POW:
        if (a < 0 && b != floor(b)) return "negative base with a non-integer exponent";
        if (a == 0 && b < 1) return "0 to a power below 1";
        break;
    case CCX_OP_INTEGER_POW:
        if (a == 0 && param < 0) return "0 to a negative power";
        break;
    case CCX_OP_ATAN2:
        if (a == 0 && b == 0) return "atan2(0, 0) has no derivative";
        break;
    default: break;
    }
    return "overflow";
}

/* %g, but "NaN" for any NaN (printf may say "-nan") */
static const char *num(double v, char *buf, size_t size) {
    if (isnan(v)) snprintf(buf, size, "NaN");
    else snprintf(buf, size, "%g", v);
    return buf;
}

static int bad_vertex(const ccx_graph *g, const double *values, int k, const char *what,
                      double bad, ccx_error *err) {
    const ccx_vertex *v = &g->vertices[k - 1];
    double a[2] = {0, 0};
    char ops[160] = "", nb[32];
    size_t len = 0;
    for (int i = 0; i < v->n_args; i++) {
        char lab[32];
        if (v->args[i].node >= 0) {
            a[i] = values[v->args[i].node];
            len += (size_t)snprintf(ops + len, sizeof ops - len, "%s%s = %.6g", i ? ", " : "",
                                    ccx_graph_node_label(g, v->args[i].node, lab, sizeof lab),
                                    a[i]);
        } else {
            a[i] = v->args[i].constant;
            len += (size_t)snprintf(ops + len, sizeof ops - len, "%s%.6g", i ? ", " : "", a[i]);
        }
        if (len >= sizeof ops) len = sizeof ops - 1;
    }
    return ccx_error_set_at(err, g->source_path[0] ? g->source_path : g->task_name, v->line,
                            v->col,
                            "bad point: vertex %d (%s%s%s%s of %s) has %s %s: %s", k,
                            ccx_op_get(v->op)->name, v->name ? " '" : "", v->name ? v->name : "",
                            v->name ? "'" : "", ops, what, num(bad, nb, sizeof nb),
                            domain_hint(v->op, a[0], a[1], v->param));
}

/* ------------------------------------------------------ values, partials -- */

int ccx_jac_local(const ccx_graph *g, const double *x, double *values, double *partials,
                  ccx_error *err) {
    if (ccx_graph_require_evaluable(g, "the Jacobian interpreter", err)) return -1;
    for (int i = 0; i < g->n_inputs; i++)
        if (!isfinite(x[i])) {
            char nb[32];
            return ccx_error_set(err, "bad point: input %d (%s) is %s", i + 1, g->input_names[i],
                                 num(x[i], nb, sizeof nb));
        }
    int bad = 0;
    if (ccx_graph_eval(g, x, values, &bad))
        return bad_vertex(g, values, bad, "value", values[g->n_inputs + bad - 1], err);
    /* edges are sorted by dst: walk them vertex by vertex */
    int e = 0;
    for (int k = 0; k < g->n_vertices; k++) {
        const ccx_vertex *v = &g->vertices[k];
        int32_t node = g->n_inputs + k;
        double a[2] = {0, 0}, d[2] = {0, 0};
        for (int i = 0; i < v->n_args; i++)
            a[i] = v->args[i].node >= 0 ? values[v->args[i].node] : v->args[i].constant;
        ccx_op_partials(v->op, a[0], a[1], v->param, &d[0], &d[1]);
        for (; e < g->n_edges && g->edges[e].dst == node; e++) {
            double c = 0;
            for (int i = 0; i < v->n_args; i++)
                if (v->args[i].node == g->edges[e].src) c += d[i];
            partials[e] = c;
            if (!isfinite(c)) {
                char what[64], lab[32];
                snprintf(what, sizeof what, "local partial d/d%s",
                         ccx_graph_node_label(g, g->edges[e].src, lab, sizeof lab));
                return bad_vertex(g, values, k + 1, what, c, err);
            }
        }
    }
    return 0;
}

static int check_jacobian(const ccx_graph *g, const double *J, ccx_error *err) {
    for (int o = 0; o < g->n_outputs; o++)
        for (int i = 0; i < g->n_inputs; i++)
            if (!isfinite(J[(size_t)o * g->n_inputs + i])) {
                char nb[32];
                return ccx_error_set(err, "bad point: Jacobian entry d %s / d %s is %s "
                                          "(overflow while accumulating)",
                                     g->output_names[o], g->input_names[i],
                                     num(J[(size_t)o * g->n_inputs + i], nb, sizeof nb));
            }
    return 0;
}

/* ---------------------------------------------------------- interpreter -- */

int ccx_jac_eval(const ccx_jac_plan *plan, const double *x, double *y, double *J,
                 ccx_jac_counts *counts, ccx_error *err) {
    const ccx_graph *g = plan->graph;
    double *values = malloc((size_t)ccx_graph_n_nodes(g) * sizeof(double));
    double *c = calloc((size_t)(plan->n_slots ? plan->n_slots : 1), sizeof(double));
    if (!values || !c) {
        free(values);
        free(c);
        return ccx_error_set(err, "out of memory");
    }
    int rc = ccx_jac_local(g, x, values, c, err);
    int64_t mults = 0, back = 0;
    if (rc == 0) {
        /* vertex elimination on the numbers: c_sp += c_sj * c_jp */
        for (int64_t t = 0; t < plan->n_steps; t++) {
            const ccx_jac_step *s = &plan->steps[t];
            double prod = c[s->a] * c[s->b];
            mults++;
            c[s->dst] = s->fill ? prod : c[s->dst] + prod;
        }
        if (mults != plan->cost)
            rc = ccx_error_set(err, "internal error: %lld multiplications performed, the "
                                    "order costs %lld", (long long)mults, (long long)plan->cost);
    }
    if (rc == 0) {
        for (int64_t t = 0; t < plan->n_back; t++) {
            const ccx_jac_step *s = &plan->back[t];
            double prod = c[s->a] * c[s->b];
            back++;
            c[s->dst] = s->fill ? prod : c[s->dst] + prod;
        }
        size_t nj = (size_t)g->n_outputs * g->n_inputs;
        for (size_t k = 0; k < nj; k++) J[k] = plan->jac_slot[k] >= 0 ? c[plan->jac_slot[k]] : 0.0;
        if (y)
            for (int o = 0; o < g->n_outputs; o++)
                y[o] = values[ccx_node_of_vertex(g, g->outputs[o])];
        rc = check_jacobian(g, J, err);
    }
    if (counts) {
        counts->mults = mults;
        counts->back_mults = back;
    }
    free(values);
    free(c);
    return rc;
}

/* ------------------------------------------------- dual-number reference -- */

static int dual(const ccx_graph *g, const double *x, double *y, double *J, int absolute,
                ccx_error *err) {
    int n_in = g->n_inputs, n_nodes = ccx_graph_n_nodes(g);
    double *values = malloc((size_t)n_nodes * sizeof(double));
    double *partials = malloc((size_t)(g->n_edges ? g->n_edges : 1) * sizeof(double));
    double *tan = calloc((size_t)n_nodes * (n_in ? n_in : 1), sizeof(double)); /* d node / d x */
    if (!values || !partials || !tan) {
        free(values); free(partials); free(tan);
        return ccx_error_set(err, "out of memory");
    }
    int rc = ccx_jac_local(g, x, values, partials, err);
    if (rc == 0) {
        for (int i = 0; i < n_in; i++) tan[(size_t)i * n_in + i] = 1.0;
        /* edges sorted by dst, and every src precedes its dst */
        for (int e = 0; e < g->n_edges; e++) {
            double *t = tan + (size_t)g->edges[e].dst * n_in;
            const double *u = tan + (size_t)g->edges[e].src * n_in;
            double c = absolute ? fabs(partials[e]) : partials[e];
            for (int i = 0; i < n_in; i++) t[i] += c * u[i];
        }
        for (int o = 0; o < g->n_outputs; o++) {
            int32_t node = ccx_node_of_vertex(g, g->outputs[o]);
            for (int i = 0; i < n_in; i++) J[(size_t)o * n_in + i] = tan[(size_t)node * n_in + i];
            if (y) y[o] = values[node];
        }
        rc = check_jacobian(g, J, err);
    }
    free(values);
    free(partials);
    free(tan);
    return rc;
}

int ccx_jac_dual(const ccx_graph *g, const double *x, double *y, double *J, ccx_error *err) {
    return dual(g, x, y, J, 0, err);
}

int ccx_jac_abs_scale(const ccx_graph *g, const double *x, double *S, ccx_error *err) {
    return dual(g, x, NULL, S, 1, err);
}

void ccx_jac_compare(const double *a, const double *ref, const double *scale, size_t n,
                     double *max_abs, double *max_rel) {
    double ma = 0, mr = 0;
    for (size_t k = 0; k < n; k++) {
        double d = fabs(a[k] - ref[k]);
        double s = scale ? scale[k] : fmax(fabs(a[k]), fabs(ref[k]));
        double r = d == 0 ? 0 : d / s; /* d > 0 with s == 0 gives inf; NaN stays NaN */
        if (!(d <= ma)) ma = d;        /* NaN-propagating */
        if (!(r <= mr)) mr = r;
    }
    if (max_abs) *max_abs = ma;
    if (max_rel) *max_rel = mr;
}

int ccx_jac_find_point(const ccx_graph *g, uint64_t seed, double lo, double hi, int max_tries,
                       double *x, int *tries, ccx_error *err) {
    size_t nj = (size_t)g->n_outputs * g->n_inputs;
    double *J = malloc((nj ? nj : 1) * sizeof(double));
    if (!J) return ccx_error_set(err, "out of memory");
    ccx_rng rng;
    ccx_rng_seed(&rng, seed);
    ccx_error last;
    ccx_error_clear(&last);
    int t = 0, rc = -1;
    while (t < max_tries && rc != 0) {
        t++;
        for (int i = 0; i < g->n_inputs; i++) x[i] = lo + (hi - lo) * ccx_rng_unit(&rng);
        rc = ccx_jac_dual(g, x, NULL, J, &last);
    }
    free(J);
    if (tries) *tries = t;
    if (rc == 0) return 0;
    char buf[1024];
    return ccx_error_set(err, "no point in [%g, %g]^%d among %d pseudo-random draws where %s is "
                              "defined (last: %s); give one with --at",
                         lo, hi, g->n_inputs, max_tries, g->task_name,
                         ccx_error_format(&last, buf, sizeof buf));
}
