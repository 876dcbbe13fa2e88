/* Batched environments: creation (graph templates, layout), the backend
 * choice, argument checks common to both backends, and the wording of
 * refusals. The work itself is in env_cpu.c and cuda/env_kernels.cu. */
#include "env/env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/env_internal.h"
#include "graph/ops.h"
#include "graph/real_partials.h"

/* ---- creation ---- */

/* Feature 9 of a vertex: 1 + its ccx op; a graph-file vertex without one
 * gets the op of its primitive's name when there is one (the elementwise
 * mul, add, exp, ... of a tensor graph), else 0 like an input. */
static uint8_t env_op_code(const ccx_vertex *v) {
    ccx_op op = v->op;
    if (op == CCX_OP_NONE && (!v->prim || ccx_op_from_name(v->prim, &op))) return 0;
    return (uint8_t)(1 + op);
}

static void set_bit(uint32_t *row, int i) { row[i >> 5] |= 1u << (i & 31); }

/* The real model's template part: the initial edges (graph/real_partials.h)
 * in the slab's lax matrix, the node shapes in the graph's table row. */
static int build_real(ccx_env *e, int gi, const ccx_graph *g, uint32_t *slab, ccx_error *err) {
    const ccx_env_layout *L = &e->L;
    ccx_lax *init = malloc((size_t)(g->n_edges + 1) * sizeof *init);
    if (!init) return ccx_error_set(err, "out of memory");
    if (ccx_real_partials(g, init, err)) {
        free(init);
        return -1;
    }
    ccx_lax *lax = ccx_env_lax(slab, L);
    for (int i = 0; i < g->n_edges; i++)
        lax[(size_t)g->edges[i].src * L->n_pad + g->edges[i].dst] = init[i];
    free(init);
    ccx_lax_shape *sh = (ccx_lax_shape *)(void *)(e->tabs + (size_t)gi * L->tab_words);
    const int nn = ccx_graph_n_nodes(g);
    for (int x = 0; x < L->n_pad; x++) {
        ccx_lax_shape one = {0, {1, 1}};
        sh[x] = x < nn ? ccx_lax_shape_of(g, x) : one;
    }
    return 0;
}

/* game: the graph's single game (tensor graphs under AlphaGrad's model,
 * else NULL): its initial records and tables become the template's
 * (game/records.h). Under the real model the template gets its lax matrix
 * and shapes instead (build_real). */
static int build_template(ccx_env *e, int gi, const ccx_graph *g, const ccx_game *game,
                          ccx_error *err) {
    const ccx_env_layout *L = &e->L;
    uint32_t *slab = ccx_env_slab(e->tmpl, L, gi);
    uint32_t *preds = slab + L->off_preds, *succs = slab + L->off_succs;
    for (int i = 0; i < g->n_edges; i++) {
        set_bit(succs + (size_t)g->edges[i].src * L->words, g->edges[i].dst);
        set_bit(preds + (size_t)g->edges[i].dst * L->words, g->edges[i].src);
    }
    uint8_t *kind = ccx_env_kind(slab, L);
    uint8_t *ops = e->op_rows + (size_t)gi * L->n_pad;
    for (int i = 0; i < g->n_inputs; i++) kind[i] = CCX_KIND_INPUT;
    for (int k = 0; k < g->n_vertices; k++) {
        kind[g->n_inputs + k] = g->vertices[k].is_output ? CCX_KIND_OUTPUT : CCX_KIND_INTERMEDIATE;
        ops[g->n_inputs + k] = env_op_code(&g->vertices[k]);
    }
    ccx_env_header *h = ccx_env_hdr(slab, L);
    h->graph = gi;
    h->n_inputs = g->n_inputs;
    h->n_vertices = g->n_vertices;
    h->remaining = ccx_graph_n_intermediates(g);
    h->cost = 0;
    h->n_nodes = ccx_graph_n_nodes(g);
    h->rule = e->L.lax ? CCX_ENV_RULE_REAL : game ? CCX_ENV_RULE_RECORDS : CCX_ENV_RULE_BITSET;
    if (e->L.lax && build_real(e, gi, g, slab, err)) return -1;
    if (game) {
        /* records and tables, re-padded from the game's n_pad to the batch's */
        const int N = L->n_pad, gN = game->n_pad, nn = game->n_nodes;
        ccx_rec *rec = ccx_env_rec(slab, L);
        for (int r = 0; r < nn; r++)
            memcpy(rec + (size_t)r * N, game->init_rec + (size_t)r * gN, (size_t)nn * sizeof(ccx_rec));
        int32_t *tab = e->tabs + (size_t)gi * L->tab_words;
        for (int x = 0; x < N; x++) {
            tab[2 * x] = x < nn ? game->shape[2 * x] : 1;
            tab[2 * x + 1] = x < nn ? game->shape[2 * x + 1] : 1;
            tab[2 * N + x] = game->pvar_off[x < nn ? x : nn];
        }
        tab[3 * N] = game->pvar_off[gN];
        memcpy(tab + 3 * N + 1, game->pdims, (size_t)game->pvar_off[gN] * 2 * sizeof(int32_t));
    }
    ccx_env_graph_info *info = &e->graphs[gi];
    snprintf(info->name, sizeof info->name, "%s", g->task_name ? g->task_name : "?");
    info->n_inputs = g->n_inputs;
    info->n_vertices = g->n_vertices;
    info->n_nodes = ccx_graph_n_nodes(g);
    info->n_intermediates = ccx_graph_n_intermediates(g);
    return 0;
}

static void env_free(ccx_env *e) {
    if (!e) return;
    free(e->graphs);
    free(e->tmpl);
    free(e->op_rows);
    free(e->tabs);
    free(e);
}

ccx_env *ccx_env_create(ccx_backend backend, int n_envs, const ccx_graph *const *graphs,
                        int n_graphs, const int32_t *graph_of_env, int n_pad, ccx_error *err) {
    const ccx_env_backend_ops *ops = NULL;
    if (backend == CCX_BACKEND_CPU) {
        ops = &ccx_env_cpu_ops;
    } else if (backend == CCX_BACKEND_CUDA) {
#ifdef CCX_HAVE_CUDA
        ops = &ccx_env_cuda_ops;
#else
        ccx_error_set(err, "backend cuda: this ccx was built without CUDA; use the cpu backend");
        return NULL;
#endif
    } else {
        ccx_error_set(err, "unknown backend %d", (int)backend);
        return NULL;
    }
    if (n_envs < 1 || n_envs > CCX_ENV_MAX_ENVS) {
        ccx_error_set(err, "batch size %d is outside 1..%d", n_envs, CCX_ENV_MAX_ENVS);
        return NULL;
    }
    if (!graphs || n_graphs < 1) {
        ccx_error_set(err, "an env batch needs at least one graph");
        return NULL;
    }
    int max_nodes = 1;
    for (int i = 0; i < n_graphs; i++) {
        if (!graphs[i]) {
            ccx_error_set(err, "graph %d is NULL", i);
            return NULL;
        }
        int nn = ccx_graph_n_nodes(graphs[i]);
        if (nn > CCX_GAME_MAX_NODES) {
            ccx_error_set(err, "graph %s has %d nodes; the dense environments hold at most %d",
                          graphs[i]->task_name, nn, CCX_GAME_MAX_NODES);
            return NULL;
        }
        if (nn > max_nodes) max_nodes = nn;
    }
    if (n_pad == 0) {
        n_pad = (max_nodes + 31) / 32 * 32;
    } else if (n_pad < 0 || n_pad % 32 || n_pad < max_nodes || n_pad > CCX_GAME_MAX_NODES) {
        ccx_error_set(err, "n_pad %d must be a multiple of 32 in %d..%d (the largest graph has %d "
                           "nodes)", n_pad, (max_nodes + 31) / 32 * 32, CCX_GAME_MAX_NODES,
                      max_nodes);
        return NULL;
    }
    if (graph_of_env) {
        for (int b = 0; b < n_envs; b++)
            if (graph_of_env[b] < 0 || graph_of_env[b] >= n_graphs) {
                ccx_error_set(err, "graph_of_env[%d] = %d is not a graph index (0..%d)", b,
                              graph_of_env[b], n_graphs - 1);
                return NULL;
            }
    }
    /* one batch, one cost model: never a silent mix */
    const int model = graphs[0]->cost_model;
    for (int i = 1; i < n_graphs; i++)
        if (graphs[i]->cost_model != model) {
            ccx_error_set(err, "one env batch plays one cost model: %s is priced under %s, %s "
                               "under %s", graphs[0]->task_name, ccx_cost_model_name(model),
                          graphs[i]->task_name, ccx_cost_model_name(graphs[i]->cost_model));
            return NULL;
        }
    const int lax = model == CCX_COST_REAL;
    ccx_env *e = calloc(1, sizeof *e);
    ccx_game *games = calloc((size_t)n_graphs, sizeof *games); /* tensor graphs' games */
    if (!e || !games) {
        free(e);
        free(games);
        ccx_error_set(err, "out of memory");
        return NULL;
    }
    /* tensor graphs: their games give the records and tables; the table row
     * holds the most primal-dim variants of any graph */
    int records = 0, max_variants = 0;
    for (int i = 0; i < n_graphs && !lax; i++) {
        if (!graphs[i]->tensor) continue;
        if (ccx_game_init(&games[i], graphs[i], err)) {
            for (int k = 0; k < i; k++) ccx_game_free(&games[k]);
            free(games);
            free(e);
            return NULL;
        }
        records = 1;
        if (games[i].pvar_off[games[i].n_pad] > max_variants)
            max_variants = games[i].pvar_off[games[i].n_pad];
    }
    e->backend = backend;
    e->ops = ops;
    /* the table row: records' shapes, variant offsets and dims, or the
     * real model's node shapes (3 int32 each) */
    const int tab_words = lax ? 3 * n_pad : 3 * n_pad + 1 + 2 * max_variants;
    ccx_env_layout_init(&e->L, n_envs, n_graphs, n_pad, records, lax, (tab_words + 3) / 4 * 4);
    e->graphs = calloc((size_t)n_graphs, sizeof *e->graphs);
    e->tmpl = calloc((size_t)n_graphs * (size_t)e->L.slab_words, sizeof(uint32_t));
    e->op_rows = calloc((size_t)n_graphs * (size_t)n_pad, 1);
    const int tabs = records || lax;
    e->tabs = tabs ? calloc((size_t)n_graphs * (size_t)e->L.tab_words, sizeof(int32_t)) : NULL;
    int32_t *goe = malloc((size_t)n_envs * sizeof(int32_t));
    if (!e->graphs || !e->tmpl || !e->op_rows || (tabs && !e->tabs) || !goe) {
        free(goe);
        for (int i = 0; i < n_graphs; i++) ccx_game_free(&games[i]);
        free(games);
        env_free(e);
        ccx_error_set(err, "out of memory creating %d environments", n_envs);
        return NULL;
    }
    int built = 0;
    for (int i = 0; i < n_graphs; i++) {
        if (built == 0 &&
            build_template(e, i, graphs[i], graphs[i]->tensor && !lax ? &games[i] : NULL, err))
            built = -1;
        ccx_game_free(&games[i]); /* zeroed games (scalar graphs) free nothing */
    }
    free(games);
    if (built) {
        free(goe);
        env_free(e);
        return NULL;
    }
    for (int b = 0; b < n_envs; b++) goe[b] = graph_of_env ? graph_of_env[b] : b % n_graphs;
    int rc = ops->init(e, goe, err);
    free(goe);
    if (rc) {
        env_free(e);
        return NULL;
    }
    return e;
}

void ccx_env_destroy(ccx_env *env) {
    if (!env) return;
    env->ops->destroy(env);
    env_free(env);
}

const ccx_env_layout *ccx_env_get_layout(const ccx_env *env) { return &env->L; }
ccx_backend ccx_env_get_backend(const ccx_env *env) { return env->backend; }
const ccx_env_graph_info *ccx_env_graph(const ccx_env *env, int graph) {
    return graph >= 0 && graph < env->L.n_graphs ? &env->graphs[graph] : NULL;
}

/* ---- memory ---- */

void *ccx_env_buf_alloc(const ccx_env *env, size_t bytes, ccx_error *err) {
    return env->ops->buf_alloc(env, bytes, err);
}
void ccx_env_buf_free(const ccx_env *env, void *buf) {
    if (buf) env->ops->buf_free(env, buf);
}
int ccx_env_upload(const ccx_env *env, void *dst, const void *host_src, size_t bytes,
                   ccx_error *err) {
    if (!bytes) return 0;
    if (!dst || !host_src) return ccx_error_set(err, "upload: NULL pointer");
    return env->ops->upload(env, dst, host_src, bytes, err);
}
int ccx_env_download(const ccx_env *env, void *host_dst, const void *src, size_t bytes,
                     ccx_error *err) {
    if (!bytes) return 0;
    if (!host_dst || !src) return ccx_error_set(err, "download: NULL pointer");
    return env->ops->download(env, host_dst, src, bytes, err);
}

/* ---- the calls: argument checks, then the backend ---- */

static int check_ids(const char *op, const int32_t *ids, int *n, const ccx_env *e, ccx_error *err) {
    if (!ids) {
        *n = e->L.n_envs;
        return 0;
    }
    if (*n < 0) return ccx_error_set(err, "%s: negative count %d", op, *n);
    return 0;
}

int ccx_env_reset(ccx_env *env, const uint8_t *mask, ccx_error *err) {
    return env->ops->reset(env, mask, err);
}

int ccx_env_step(ccx_env *env, const int32_t *actions, int64_t *cost, uint8_t *done,
                 unsigned flags, ccx_error *err) {
    if (!actions) return ccx_error_set(err, "step: actions is NULL");
    return env->ops->step(env, actions, cost, done, flags, err);
}

int ccx_env_legal_mask(ccx_env *env, const int32_t *ids, int n, uint8_t *mask, unsigned flags,
                       ccx_error *err) {
    if (!mask) return ccx_error_set(err, "legal_mask: mask is NULL");
    if (check_ids("legal_mask", ids, &n, env, err)) return -1;
    return env->ops->legal_mask(env, ids, n, mask, flags, err);
}

int ccx_env_observe(ccx_env *env, const int32_t *ids, int n, float *features,
                    uint8_t *adjacency, unsigned flags, ccx_error *err) {
    if (check_ids("observe", ids, &n, env, err)) return -1;
    if (adjacency && ((uintptr_t)adjacency & 15))
        return ccx_error_set(err, "observe: adjacency must be 16-byte aligned");
    return env->ops->observe(env, ids, n, features, adjacency, flags, err);
}

int ccx_env_get_info(ccx_env *env, int64_t *cost, int32_t *remaining, int32_t *graph,
                     ccx_error *err) {
    if (!cost && !remaining && !graph) return 0;
    return env->ops->get_info(env, cost, remaining, graph, err);
}

int ccx_env_snapshot(ccx_env *env, const int32_t *ids, int n, uint32_t *buf, unsigned flags,
                     ccx_error *err) {
    if (!buf) return ccx_error_set(err, "snapshot: buf is NULL");
    if ((uintptr_t)buf & 15) return ccx_error_set(err, "snapshot: buf must be 16-byte aligned");
    if (check_ids("snapshot", ids, &n, env, err)) return -1;
    return env->ops->snapshot(env, ids, n, buf, flags, err);
}

int ccx_env_restore(ccx_env *env, const int32_t *ids, int n, const uint32_t *buf,
                    unsigned flags, ccx_error *err) {
    if (!buf) return ccx_error_set(err, "restore: buf is NULL");
    if ((uintptr_t)buf & 15) return ccx_error_set(err, "restore: buf must be 16-byte aligned");
    if (check_ids("restore", ids, &n, env, err)) return -1;
    return env->ops->restore(env, ids, n, buf, flags, err);
}

int ccx_env_set_state_from_eliminated_set(ccx_env *env, const int32_t *ids, int n,
                                          const uint32_t *sets, const int64_t *costs,
                                          unsigned flags, ccx_error *err) {
    if (!sets) return ccx_error_set(err, "set_state_from_eliminated_set: sets is NULL");
    if (check_ids("set_state_from_eliminated_set", ids, &n, env, err)) return -1;
    return env->ops->set_eliminated(env, ids, n, sets, costs, flags, err);
}

int ccx_env_get_eliminated_set(ccx_env *env, const int32_t *ids, int n, uint32_t *sets,
                               unsigned flags, ccx_error *err) {
    if (!sets) return ccx_error_set(err, "get_eliminated_set: sets is NULL");
    if (check_ids("get_eliminated_set", ids, &n, env, err)) return -1;
    return env->ops->get_eliminated(env, ids, n, sets, flags, err);
}

int ccx_env_play_random(ccx_env *env, const uint8_t *mask, uint64_t seed, int32_t *actions_out,
                        ccx_error *err) {
    return env->ops->play_random(env, mask, seed, actions_out, err);
}

int ccx_env_play_orders(ccx_env *env, const uint8_t *mask, const int32_t *orders,
                        unsigned flags, ccx_error *err) {
    if (!orders) return ccx_error_set(err, "play_orders: orders is NULL");
    return env->ops->play_orders(env, mask, orders, flags, err);
}

int ccx_env_sync(ccx_env *env, ccx_error *err) { return env->ops->sync(env, err); }

double ccx_env_peak_bandwidth(const ccx_env *env, char *desc, size_t desc_size) {
    if (desc && desc_size) desc[0] = '\0';
    return env->ops->peak_bandwidth(env, desc, desc_size);
}

const uint32_t *ccx_env_state(const ccx_env *env) { return env->state; }
void *ccx_env_stream(const ccx_env *env) { return env->stream; }

/* ---- refusals in words ---- */

static const char *op_name(int op) {
    switch (op) {
    case CCX_ENV_OP_STEP: return "step";
    case CCX_ENV_OP_PLAY_ORDERS: return "play_orders";
    case CCX_ENV_OP_SNAPSHOT: return "snapshot";
    case CCX_ENV_OP_RESTORE: return "restore";
    case CCX_ENV_OP_SET_ELIMINATED: return "set_state_from_eliminated_set";
    case CCX_ENV_OP_GET_ELIMINATED: return "get_eliminated_set";
    case CCX_ENV_OP_OBSERVE: return "observe";
    case CCX_ENV_OP_LEGAL_MASK: return "legal_mask";
    }
    return "?";
}

int ccx_env_fault_message(const ccx_env *env, const ccx_env_fault *f, ccx_error *err) {
    const ccx_env_layout *L = &env->L;
    const ccx_env_graph_info *g = ccx_env_graph(env, f->graph);
    const char *task = g ? g->name : "?";
    int n_in = g ? g->n_inputs : 0, n_v = g ? g->n_vertices : 0;
    int node_mode = (f->flags & CCX_ENV_NODE_ACTIONS) != 0;
    char where[160];
    if (f->op == CCX_ENV_OP_STEP)
        snprintf(where, sizeof where, "step: env %d (%s): action %d", f->env, task, f->value);
    else if (f->op == CCX_ENV_OP_PLAY_ORDERS)
        snprintf(where, sizeof where, "play_orders: env %d (%s): order entry %d = %d", f->env,
                 task, f->pos + 1, f->value);
    else if (f->op == CCX_ENV_OP_SET_ELIMINATED)
        snprintf(where, sizeof where, "%s: ids[%d] = %d", op_name(f->op), f->index,
                 f->env >= 0 ? f->env : f->value);
    else
        snprintf(where, sizeof where, "%s: ids[%d] = %d", op_name(f->op), f->index, f->value);
    /* the vertex an action names, for the messages that speak of vertices */
    int vertex = node_mode ? f->value - n_in + 1 : f->value;
    switch (f->code) {
    case CCX_ENV_FAULT_RANGE:
        if (node_mode)
            return ccx_error_set(err, "%s is out of range: node ids are 0..%d", where, L->n_pad - 1);
        return ccx_error_set(err, "%s is out of range: vertex numbers of %s are 1..%d (inputs "
                                  "are never actions)", where, task, n_v);
    case CCX_ENV_FAULT_INPUT:
        return ccx_error_set(err, "%s is node %d, input %d of %s; inputs are never eliminated",
                             where, f->value, f->value + 1, task);
    case CCX_ENV_FAULT_OUTPUT:
        if (f->op == CCX_ENV_OP_SET_ELIMINATED)
            return ccx_error_set(err, "%s (%s): bit %d names vertex %d, an output; only "
                                      "intermediates can be eliminated", where, task, f->pos,
                                 f->value);
        return ccx_error_set(err, "%s: vertex %d is an output; outputs are never eliminated",
                             where, vertex);
    case CCX_ENV_FAULT_ELIMINATED:
        return ccx_error_set(err, "%s: vertex %d is already eliminated", where, vertex);
    case CCX_ENV_FAULT_PADDING:
        if (f->op == CCX_ENV_OP_SET_ELIMINATED)
            return ccx_error_set(err, "%s (%s): bit %d names vertex %d, but %s has %d vertices "
                                      "(the rest is padding)", where, task, f->pos, f->value,
                                 task, n_v);
        return ccx_error_set(err, "%s names padding: %s has %d vertices (n_pad %d)", where, task,
                             n_v, L->n_pad);
    case CCX_ENV_FAULT_REPEATED:
        return ccx_error_set(err, "%s: vertex %d appears again in the order", where, vertex);
    case CCX_ENV_FAULT_BAD_ID:
        return ccx_error_set(err, "%s is not an env (0..%d)", where, L->n_envs - 1);
    case CCX_ENV_FAULT_REPEATED_ID:
        return ccx_error_set(err, "%s repeats ids[%d]; a call that writes states takes each env "
                                  "once", where, f->pos);
    case CCX_ENV_FAULT_BAD_SLAB:
        return ccx_error_set(err, "%s: buf[%d] is not a state of this batch (its header names "
                                  "graph %d with other sizes, or no graph of the %d)", where,
                             f->index, f->pos, L->n_graphs);
    }
    return ccx_error_set(err, "%s: refused (code %d)", where, f->code);
}
