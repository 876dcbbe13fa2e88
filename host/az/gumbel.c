/* The Gumbel search driver (host/az/gumbel.h): backend-agnostic; it calls
 * env.h for the transitions and observations, the evaluator for the
 * network, and the backend's per-tree phases (gumbel_internal.h). */
#include "az/gumbel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "az/gumbel_internal.h"

struct ccx_gumbel {
    ccx_backend backend;
    ccx_gumbel_params p;
    ccx_gumbel_evaluator ev;
    const ccx_gz_backend_ops *ops;
    ccx_env *scratch;            /* B envs the children are made in */
    ccx_env_layout L;
    int n_graphs;
    ccx_env_graph_info *graphs;  /* host [n_graphs], to check the roots */
    ccx_gz_trees T;              /* backend arrays */
    uint32_t *slabs;             /* [M][B][slab_words] */
    uint32_t *stage;             /* [B][slab_words] */
    int32_t *act;                /* [B] */
    int64_t *cost;               /* [B] */
    float *feat;                 /* [B][N][F] */
    uint8_t *adj;                /* [B][N][N] */
    uint8_t *legal;              /* [B][N] */
    float *zeros;                /* [B][N] + [B]: the uniform evaluator's outputs */
    int32_t *o_action, *o_visits; /* [B], [B][N] */
    float *o_pi, *o_value;        /* [B][N], [B] */
    void *bufs[40];
    int n_bufs;
    int searched;                /* a search has run (trees hold something) */
};

void ccx_gumbel_params_default(ccx_gumbel_params *p) {
    p->num_simulations = 32;
    p->num_considered = 16;
    p->gumbel_scale = 1.0f;
    p->value_scale = 0.1f;
    p->maxvisit_init = 50.0f;
    p->rescale_values = 1;
    p->reward_scale = 1.0f;
}

int ccx_gumbel_params_validate(const ccx_gumbel_params *p, ccx_error *err) {
    if (!p) return ccx_error_set(err, "gumbel: no parameters");
    if (p->num_simulations < 1 || p->num_simulations > 65536)
        return ccx_error_set(err, "gumbel: num_simulations %d is outside 1..65536", p->num_simulations);
    if (p->num_considered < 1 || p->num_considered > 4096)
        return ccx_error_set(err, "gumbel: num_considered %d is outside 1..4096", p->num_considered);
    if (!isfinite(p->gumbel_scale) || p->gumbel_scale < 0)
        return ccx_error_set(err, "gumbel: gumbel_scale %g must be finite and >= 0", p->gumbel_scale);
    if (!isfinite(p->value_scale) || p->value_scale <= 0)
        return ccx_error_set(err, "gumbel: value_scale %g must be finite and > 0", p->value_scale);
    if (!isfinite(p->maxvisit_init) || p->maxvisit_init < 0)
        return ccx_error_set(err, "gumbel: maxvisit_init %g must be finite and >= 0", p->maxvisit_init);
    if (p->rescale_values != 0 && p->rescale_values != 1)
        return ccx_error_set(err, "gumbel: rescale_values %d must be 0 or 1", p->rescale_values);
    if (!isfinite(p->reward_scale) || p->reward_scale <= 0)
        return ccx_error_set(err, "gumbel: reward_scale %g must be finite and > 0", p->reward_scale);
    return 0;
}

void ccx_gumbel_considered_visits(int m, int S, int32_t *seq) {
    if (m <= 1) {
        for (int i = 0; i < S; i++) seq[i] = i;
        return;
    }
    int log2max = 0;
    while ((1 << log2max) < m) log2max++; /* ceil(log2(m)) */
    int32_t *visits = calloc((size_t)m, sizeof *visits);
    int n = 0, considered = m;
    while (n < S) {
        int extra = S / (log2max * considered);
        if (extra < 1) extra = 1;
        for (int e = 0; e < extra; e++) {
            for (int i = 0; i < considered; i++) {
                if (n < S) seq[n] = visits ? visits[i] : 0;
                n++;
            }
            for (int i = 0; i < considered && visits; i++) visits[i]++;
        }
        considered = considered / 2 > 2 ? considered / 2 : 2;
    }
    free(visits);
}

static int nn_eval(void *ctx, const ccx_nn_obs *obs, const float **logits, const float **value,
                   ccx_error *err) {
    ccx_nn *nn = ctx;
    if (ccx_nn_forward_native(nn, obs, err) || ccx_nn_sync(nn, err)) return -1;
    *logits = ccx_nn_logits_native(nn);
    *value = ccx_nn_value_native(nn);
    return 0;
}

ccx_gumbel_evaluator ccx_gumbel_nn_evaluator(ccx_nn *nn) {
    ccx_gumbel_evaluator ev = {nn_eval, nn};
    return ev;
}

static void *gz_alloc(ccx_gumbel *g, size_t bytes, ccx_error *err) {
    if (g->n_bufs >= (int)(sizeof g->bufs / sizeof g->bufs[0])) {
        ccx_error_set(err, "gumbel: internal: too many buffers");
        return NULL;
    }
    void *p = ccx_env_buf_alloc(g->scratch, bytes ? bytes : 1, err);
    if (p) g->bufs[g->n_bufs++] = p;
    return p;
}

void ccx_gumbel_destroy(ccx_gumbel *g) {
    if (!g) return;
    for (int i = 0; i < g->n_bufs; i++) ccx_env_buf_free(g->scratch, g->bufs[i]);
    ccx_env_destroy(g->scratch);
    free(g->graphs);
    free(g);
}

const ccx_gumbel_params *ccx_gumbel_params_of(const ccx_gumbel *g) { return &g->p; }

ccx_gumbel *ccx_gumbel_create(ccx_backend backend, const ccx_graph *const *graphs, int n_graphs,
                              int n_pad, int B, const ccx_gumbel_params *p,
                              ccx_gumbel_evaluator ev, ccx_error *err) {
    if (ccx_gumbel_params_validate(p, err)) return NULL;
    const ccx_gz_backend_ops *ops = NULL;
    if (backend == CCX_BACKEND_CPU) ops = &ccx_gz_cpu_ops;
#ifdef CCX_HAVE_CUDA
    else if (backend == CCX_BACKEND_CUDA) ops = &ccx_gz_cuda_ops;
#endif
    if (ev.fn == nn_eval) {
        ccx_nn *nn = ev.ctx;
        if (!nn) {
            ccx_error_set(err, "gumbel: the network evaluator has no network");
            return NULL;
        }
        if (ccx_nn_backend_of(nn) != backend) {
            ccx_error_set(err, "gumbel: the network runs on %s but the search on %s",
                          ccx_backend_name(ccx_nn_backend_of(nn)), ccx_backend_name(backend));
            return NULL;
        }
    }
    ccx_gumbel *g = calloc(1, sizeof *g);
    if (!g) {
        ccx_error_set(err, "gumbel: out of memory");
        return NULL;
    }
    g->backend = backend;
    g->p = *p;
    g->ev = ev;
    /* the env checks backend, B, graphs and n_pad for us */
    g->scratch = ccx_env_create(backend, B, graphs, n_graphs, NULL, n_pad, err);
    if (!g->scratch) {
        free(g);
        return NULL;
    }
    if (!ops) { /* cuda requested in a build without it: the env said so already */
        ccx_error_set(err, "gumbel: backend %s is not available", ccx_backend_name(backend));
        ccx_gumbel_destroy(g);
        return NULL;
    }
    g->ops = ops;
    g->L = *ccx_env_get_layout(g->scratch);
    g->n_graphs = n_graphs;
    g->graphs = calloc((size_t)n_graphs, sizeof *g->graphs);
    if (!g->graphs) {
        ccx_error_set(err, "gumbel: out of memory");
        ccx_gumbel_destroy(g);
        return NULL;
    }
    for (int i = 0; i < n_graphs; i++) g->graphs[i] = *ccx_env_graph(g->scratch, i);
    if (ev.fn == nn_eval && ccx_nn_config_of(ev.ctx)->n_pad < g->L.n_pad) {
        ccx_error_set(err, "gumbel: the network takes at most %d slots but the envs have n_pad %d",
                      ccx_nn_config_of(ev.ctx)->n_pad, g->L.n_pad);
        ccx_gumbel_destroy(g);
        return NULL;
    }

    ccx_gz_trees *T = &g->T;
    const int S = p->num_simulations, M = S + 1, N = g->L.n_pad, K = p->num_considered;
    T->B = B;
    T->S = S;
    T->M = M;
    T->N = N;
    T->W = N / 32;
    T->K = K;
    T->gumbel_scale = p->gumbel_scale;
    T->value_scale = p->value_scale;
    T->maxvisit_init = p->maxvisit_init;
    T->reward_scale = p->reward_scale;
    T->rescale_values = p->rescale_values;
    size_t BM = (size_t)B * M, BMN = BM * N, BN = (size_t)B * N;
    size_t slab = (size_t)g->L.slab_words * sizeof(uint32_t);
    if (BM > ((size_t)1 << 40) / slab / (size_t)N) {
        ccx_error_set(err, "gumbel: %d trees of %d nodes over %d slots do not fit in memory", B, M, N);
        ccx_gumbel_destroy(g);
        return NULL;
    }
#define ALLOC(dst, bytes)                                      \
    do {                                                       \
        if (!((dst) = gz_alloc(g, (bytes), err))) {            \
            ccx_gumbel_destroy(g);                             \
            return NULL;                                       \
        }                                                      \
    } while (0)
    ALLOC(T->visits, BM * 4);
    ALLOC(T->parent, BM * 4);
    ALLOC(T->action, BM * 4);
    ALLOC(T->depth, BM * 4);
    ALLOC(T->terminal, BM * 4);
    ALLOC(T->value_sum, BM * 4);
    ALLOC(T->raw_value, BM * 4);
    ALLOC(T->reward, BM * 4);
    ALLOC(T->children, BMN * 4);
    ALLOC(T->logits, BMN * 4);
    ALLOC(T->legal, BM * T->W * 4);
    ALLOC(T->gumbel, BN * 4);
    ALLOC(T->work, 2 * BN * 4);
    ALLOC(T->n_considered, (size_t)B * 4);
    ALLOC(T->active, (size_t)B * 4);
    ALLOC(T->sel_parent, (size_t)B * 4);
    ALLOC(T->sel_action, (size_t)B * 4);
    ALLOC(T->sel_leaf, (size_t)B * 4);
    int32_t *table;
    ALLOC(table, (size_t)(K + 1) * S * 4);
    T->table = table;
    ALLOC(g->slabs, BM * slab);
    ALLOC(g->stage, (size_t)B * slab);
    ALLOC(g->act, (size_t)B * 4);
    ALLOC(g->cost, (size_t)B * 8);
    ALLOC(g->feat, BN * CCX_OBS_FEATURES * 4);
    ALLOC(g->adj, BN * N);
    ALLOC(g->legal, BN);
    ALLOC(g->zeros, (BN + B) * 4);
    ALLOC(g->o_action, (size_t)B * 4);
    ALLOC(g->o_visits, BN * 4);
    ALLOC(g->o_pi, BN * 4);
    ALLOC(g->o_value, (size_t)B * 4);
#undef ALLOC
    int32_t *h = malloc((size_t)(K + 1) * S * sizeof *h);
    if (!h) {
        ccx_error_set(err, "gumbel: out of memory");
        ccx_gumbel_destroy(g);
        return NULL;
    }
    for (int m = 0; m <= K; m++) ccx_gumbel_considered_visits(m, S, h + (size_t)m * S);
    int rc = ccx_env_upload(g->scratch, table, h, (size_t)(K + 1) * S * sizeof *h, err);
    free(h);
    if (rc) {
        ccx_gumbel_destroy(g);
        return NULL;
    }
    return g;
}

static int check_roots(const ccx_gumbel *g, const ccx_env *roots, ccx_error *err) {
    if (!roots) return ccx_error_set(err, "gumbel search: roots is NULL");
    if (ccx_env_get_backend(roots) != g->backend)
        return ccx_error_set(err, "gumbel search: the roots run on %s but the search on %s",
                             ccx_backend_name(ccx_env_get_backend(roots)),
                             ccx_backend_name(g->backend));
    const ccx_env_layout *L = ccx_env_get_layout(roots);
    if (L->n_envs != g->L.n_envs || L->n_pad != g->L.n_pad || L->n_graphs != g->n_graphs)
        return ccx_error_set(err, "gumbel search: the roots are %d envs of %d graphs at n_pad %d; "
                                  "this search was made for %d envs of %d graphs at n_pad %d",
                             L->n_envs, L->n_graphs, L->n_pad, g->L.n_envs, g->n_graphs, g->L.n_pad);
    for (int i = 0; i < g->n_graphs; i++)
        if (memcmp(ccx_env_graph(roots, i), &g->graphs[i], sizeof g->graphs[i]))
            return ccx_error_set(err, "gumbel search: graph %d of the roots (%s) is not graph %d of "
                                      "this search (%s)",
                                 i, ccx_env_graph(roots, i)->name, i, g->graphs[i].name);
    return 0;
}

/* Observe env (all B) into g's buffers and evaluate. */
static int evaluate(ccx_gumbel *g, ccx_env *env, const float **logits, const float **value,
                    ccx_error *err) {
    const unsigned D = CCX_ENV_DEFER;
    if (ccx_env_observe(env, NULL, 0, g->feat, g->adj, D, err) ||
        ccx_env_legal_mask(env, NULL, 0, g->legal, D, err) || ccx_env_sync(env, err))
        return -1;
    if (!g->ev.fn) {
        *logits = g->zeros;
        *value = g->zeros + (size_t)g->T.B * g->T.N;
        return 0;
    }
    ccx_nn_obs obs = {g->T.B, g->T.N, g->feat, g->adj, NULL, g->legal};
    *logits = NULL;
    *value = NULL;
    if (g->ev.fn(g->ev.ctx, &obs, logits, value, err)) return -1;
    if (!*logits || !*value) return ccx_error_set(err, "gumbel search: the evaluator gave no output");
    return 0;
}

int ccx_gumbel_search(ccx_gumbel *g, ccx_env *roots, uint64_t seed, uint64_t counter,
                      int32_t *action, float *target_pi, float *root_value, int32_t *visits,
                      ccx_error *err) {
    if (!g) return ccx_error_set(err, "gumbel search: no search");
    if (check_roots(g, roots, err)) return -1;
    const ccx_gz_trees *T = &g->T;
    const int B = T->B, N = T->N, sw = g->L.slab_words;
    const unsigned D = CCX_ENV_DEFER;
    void *stream = ccx_env_stream(g->scratch);
    const float *logits, *value;
    g->searched = 0;

    /* roots: node 0 of every tree */
    if (ccx_env_snapshot(roots, NULL, 0, g->slabs, D, err)) return -1;
    if (evaluate(g, roots, &logits, &value, err)) return -1;
    if (g->ops->root_init(T, stream, logits, value, g->legal, seed, counter, err)) return -1;

    for (int s = 0; s < T->S; s++) {
        uint32_t *children = g->slabs + (size_t)(s + 1) * (size_t)B * (size_t)sw;
        if (g->ops->select(T, stream, s, g->slabs, sw, g->stage, g->act, err)) return -1;
        if (ccx_env_restore(g->scratch, NULL, 0, g->stage, D, err) ||
            ccx_env_step(g->scratch, g->act, g->cost, NULL, CCX_ENV_NODE_ACTIONS | D, err) ||
            ccx_env_snapshot(g->scratch, NULL, 0, children, D, err))
            return -1;
        if (evaluate(g, g->scratch, &logits, &value, err)) return -1;
        if (g->ops->expand(T, stream, s, g->cost, logits, value, g->legal, err)) return -1;
    }
    g->searched = 1;

    if (g->ops->outputs(T, stream, g->o_action, g->o_pi, g->o_value, g->o_visits, err)) return -1;
    if (action && ccx_env_download(g->scratch, action, g->o_action, (size_t)B * 4, err)) return -1;
    if (target_pi && ccx_env_download(g->scratch, target_pi, g->o_pi, (size_t)B * N * 4, err))
        return -1;
    if (root_value && ccx_env_download(g->scratch, root_value, g->o_value, (size_t)B * 4, err))
        return -1;
    if (visits && ccx_env_download(g->scratch, visits, g->o_visits, (size_t)B * N * 4, err))
        return -1;
    return ccx_env_sync(g->scratch, err);
}

void ccx_gumbel_tree_free(ccx_gumbel_tree *t) {
    if (!t) return;
    free(t->visits);
    free(t->parent);
    free(t->action);
    free(t->depth);
    free(t->terminal);
    free(t->value_sum);
    free(t->raw_value);
    free(t->reward);
    free(t->children);
    free(t->logits);
    free(t->gumbel);
    memset(t, 0, sizeof *t);
}

int ccx_gumbel_get_tree(ccx_gumbel *g, int b, ccx_gumbel_tree *t, ccx_error *err) {
    memset(t, 0, sizeof *t);
    const ccx_gz_trees *T = &g->T;
    if (b < 0 || b >= T->B) return ccx_error_set(err, "gumbel: tree %d is outside 0..%d", b, T->B - 1);
    if (!g->searched) return ccx_error_set(err, "gumbel: no search has completed");
    size_t M = (size_t)T->M, N = (size_t)T->N, o = (size_t)b * M;
    t->n_nodes = T->M;
    t->n_pad = T->N;
    t->visits = malloc(M * 4);
    t->parent = malloc(M * 4);
    t->action = malloc(M * 4);
    t->depth = malloc(M * 4);
    t->terminal = malloc(M * 4);
    t->value_sum = malloc(M * 4);
    t->raw_value = malloc(M * 4);
    t->reward = malloc(M * 4);
    t->children = malloc(M * N * 4);
    t->logits = malloc(M * N * 4);
    t->gumbel = malloc(N * 4);
    if (!t->visits || !t->parent || !t->action || !t->depth || !t->terminal || !t->value_sum ||
        !t->raw_value || !t->reward || !t->children || !t->logits || !t->gumbel) {
        ccx_gumbel_tree_free(t);
        return ccx_error_set(err, "gumbel: out of memory");
    }
    ccx_env *e = g->scratch;
    int32_t one[2];
    int rc = ccx_env_download(e, t->visits, T->visits + o, M * 4, err) ||
             ccx_env_download(e, t->parent, T->parent + o, M * 4, err) ||
             ccx_env_download(e, t->action, T->action + o, M * 4, err) ||
             ccx_env_download(e, t->depth, T->depth + o, M * 4, err) ||
             ccx_env_download(e, t->terminal, T->terminal + o, M * 4, err) ||
             ccx_env_download(e, t->value_sum, T->value_sum + o, M * 4, err) ||
             ccx_env_download(e, t->raw_value, T->raw_value + o, M * 4, err) ||
             ccx_env_download(e, t->reward, T->reward + o, M * 4, err) ||
             ccx_env_download(e, t->children, T->children + o * N, M * N * 4, err) ||
             ccx_env_download(e, t->logits, T->logits + o * N, M * N * 4, err) ||
             ccx_env_download(e, t->gumbel, T->gumbel + (size_t)b * N, N * 4, err) ||
             ccx_env_download(e, &one[0], T->active + b, 4, err) ||
             ccx_env_download(e, &one[1], T->n_considered + b, 4, err);
    if (rc) {
        ccx_gumbel_tree_free(t);
        return -1;
    }
    t->active = one[0];
    t->n_considered = one[1];
    return 0;
}
