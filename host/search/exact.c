/* Exact search: A* over eliminated sets.
 *
 * A node is a set of eliminated intermediates (a bitset key; on a scalar
 * graph the graph depends only on the set, so every order of it is the same
 * node; on a tensor graph the records also depend on the order, so the key
 * adds a 64-bit hash of the node's graph and orders reaching different
 * records are different nodes) with the cheapest known cost g of reaching
 * it and a lower bound h on the cost still to pay (bounds.c):
 *   - every child gets the per-vertex cut bound of its graph, computed
 *     incrementally from its parent's (ccx_bound_update), or its parent's h
 *     less the step's cost if that is larger (h*(child) >= h*(parent) - c);
 *   - the first time a node is popped it also gets the pair bound of its
 *     graph (ccx_bound_pairs); if that lifts f = g + h above the popped
 *     value the node goes back on the open list instead of being expanded.
 * These bounds are admissible but not consistent, so a closed node reached
 * again by a cheaper path is reopened (A* with reopening stays exact). The
 * first complete set popped is an optimal order; at any time the least f on
 * the open list is a proven lower bound on the optimum.
 *
 * Upper bound: the best of a batch of randomized-Markowitz samples (and,
 * with a time limit and more than 20 intermediates, annealing for half
 * of the time), improved during the search by Markowitz-greedy completions
 * of expanded nodes. Children with g + h >= the upper bound are never
 * stored, so the open list empties, proving the upper bound optimal, once
 * every cheaper possibility is ruled out.
 *
 * Stopping early (time, expansions or memory), the reported lower bound is
 * min(upper bound, least f on the open list).
 *
 * Each pop rebuilds the node's graph by replaying its path. */
#include <stdlib.h>
#include <string.h>

#include "search/search.h"

typedef struct {
    int64_t g, h;
    int32_t parent, vertex;
    int32_t depth;
    uint8_t closed;
    uint8_t strong;   /* h includes the pair bound of this node's own graph */
} anode;

typedef struct {
    int64_t f, g;
    int32_t idx;
} hentry;

typedef struct {
    int kw;
    anode *nodes;
    uint64_t *keys;
    size_t n_nodes, cap_nodes;
    int32_t *table;
    size_t tcap;
    hentry *heap;
    size_t n_heap, cap_heap;
} astar;

static uint64_t hash_key(const uint64_t *k, int kw) {
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < kw; i++) {
        h ^= k[i];
        h *= 0xBF58476D1CE4E5B9ull;
        h ^= h >> 29;
    }
    return h;
}

static size_t astar_bytes(const astar *a) {
    return a->cap_nodes * (sizeof(anode) + (size_t)a->kw * 8) + a->tcap * sizeof(int32_t) +
           a->cap_heap * sizeof(hentry);
}

static int table_grow(astar *a) {
    size_t cap = a->tcap ? a->tcap * 2 : 1024;
    int32_t *t = malloc(cap * sizeof(int32_t));
    if (!t) return -1;
    for (size_t i = 0; i < cap; i++) t[i] = -1;
    for (size_t n = 0; n < a->n_nodes; n++) {
        size_t s = hash_key(a->keys + n * a->kw, a->kw) & (cap - 1);
        while (t[s] >= 0) s = (s + 1) & (cap - 1);
        t[s] = (int32_t)n;
    }
    free(a->table);
    a->table = t;
    a->tcap = cap;
    return 0;
}

/* index of the node with this key, or -1; *slot receives the free slot */
static int32_t lookup(const astar *a, const uint64_t *key, size_t *slot) {
    size_t s = hash_key(key, a->kw) & (a->tcap - 1);
    while (a->table[s] >= 0) {
        int32_t i = a->table[s];
        if (memcmp(a->keys + (size_t)i * a->kw, key, (size_t)a->kw * 8) == 0) return i;
        s = (s + 1) & (a->tcap - 1);
    }
    *slot = s;
    return -1;
}

static int32_t insert(astar *a, const uint64_t *key, size_t slot, anode node) {
    if (a->n_nodes == a->cap_nodes) {
        size_t cap = a->cap_nodes ? a->cap_nodes * 2 : 1024;
        anode *nn = realloc(a->nodes, cap * sizeof(anode));
        if (!nn) return -1;
        a->nodes = nn;
        uint64_t *nk = realloc(a->keys, cap * (size_t)a->kw * 8);
        if (!nk) return -1;
        a->keys = nk;
        a->cap_nodes = cap;
    }
    int32_t i = (int32_t)a->n_nodes++;
    a->nodes[i] = node;
    memcpy(a->keys + (size_t)i * a->kw, key, (size_t)a->kw * 8);
    a->table[slot] = i;
    if (2 * a->n_nodes > a->tcap && table_grow(a)) return -1;
    return i;
}

static int hless(const hentry *x, const hentry *y) {
    if (x->f != y->f) return x->f < y->f;
    if (x->g != y->g) return x->g > y->g; /* deeper first among equal f */
    return x->idx < y->idx;
}

static int heap_push(astar *a, int64_t f, int64_t g, int32_t idx) {
    if (a->n_heap == a->cap_heap) {
        size_t cap = a->cap_heap ? a->cap_heap * 2 : 1024;
        hentry *h = realloc(a->heap, cap * sizeof(hentry));
        if (!h) return -1;
        a->heap = h;
        a->cap_heap = cap;
    }
    size_t i = a->n_heap++;
    hentry e = {f, g, idx};
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!hless(&e, &a->heap[p])) break;
        a->heap[i] = a->heap[p];
        i = p;
    }
    a->heap[i] = e;
    return 0;
}

static hentry heap_pop(astar *a) {
    hentry top = a->heap[0], last = a->heap[--a->n_heap];
    size_t i = 0, n = a->n_heap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && hless(&a->heap[c + 1], &a->heap[c])) c++;
        if (!hless(&a->heap[c], &last)) break;
        a->heap[i] = a->heap[c];
        i = c;
    }
    if (n) a->heap[i] = last;
    return top;
}

/* an entry is stale once its node is closed or its g or h changed */
static int stale(const astar *a, const hentry *e) {
    const anode *nd = &a->nodes[e->idx];
    return nd->closed || nd->g != e->g || nd->g + nd->h != e->f;
}

/* the order of the node's set as reached: vertex numbers, depth entries */
static void path_of(const astar *a, int32_t idx, int32_t *out) {
    for (int d = a->nodes[idx].depth; d > 0; d--) {
        out[d - 1] = a->nodes[idx].vertex;
        idx = a->nodes[idx].parent;
    }
}

int ccx_search_exact(const ccx_graph *g, const ccx_search_params *p, ccx_search_result *out,
                     ccx_error *err) {
    memset(out, 0, sizeof *out);
    out->start_cost = -1;
    const int n = ccx_graph_n_intermediates(g), nv = g->n_vertices, nin = g->n_inputs;
    const double t0 = ccx_search_now();
    const double deadline = p->time_limit > 0 ? t0 + p->time_limit : 0;
    const size_t mem_limit = (size_t)((p->mem_limit_mb > 0 ? p->mem_limit_mb : 2048.0) * 1048576.0);

    /* upper bound */
    ccx_search_result ub_res;
    memset(&ub_res, 0, sizeof ub_res);
    {
        ccx_search_params q = *p;
        q.progress = NULL;
        q.time_limit = 0;
        q.iters = 256;
        if (ccx_search_rmk(g, &q, &ub_res, err)) return -1;
        if (n > 20 && p->time_limit > 0) {
            ccx_search_result sa;
            memset(&sa, 0, sizeof sa);
            q = *p;
            q.time_limit = p->time_limit * 0.5;
            q.iters = 0;
            q.start = NULL;
            if (ccx_search_sa(g, &q, &sa, err)) { ccx_search_result_free(&ub_res); return -1; }
            if (sa.cost < ub_res.cost) { ccx_search_result_free(&ub_res); ub_res = sa; }
            else ccx_search_result_free(&sa);
        }
    }
    int64_t ub = ub_res.cost;
    int32_t *ub_order = ub_res.order; /* owned from here */

    ccx_game game;
    if (ccx_game_init(&game, g, err)) { free(ub_order); return -1; }
    const int W = game.words;
    const size_t ss = ccx_game_state_size(&game);
    astar a;
    memset(&a, 0, sizeof a);
    const int set_words = (nv + 63) / 64;
    a.kw = set_words + (game.tensor ? 1 : 0); /* tensor: + the graph hash */
    ccx_bound_ws *ws = ccx_bound_ws_new(&game);
    unsigned char *snap = malloc(ss);
    int32_t *cin = malloc((size_t)nv * sizeof(int32_t)), *cout = malloc((size_t)nv * sizeof(int32_t));
    int32_t *cin2 = malloc((size_t)nv * sizeof(int32_t)), *cout2 = malloc((size_t)nv * sizeof(int32_t));
    uint64_t *key = malloc((size_t)a.kw * 8), *xkey = malloc((size_t)a.kw * 8);
    uint8_t *mask = malloc((size_t)nv);
    uint32_t *prow = malloc((size_t)W * 4), *srow = malloc((size_t)W * 4);
    int32_t *path = malloc((size_t)(n + 1) * sizeof(int32_t));
    int32_t *cand = malloc((size_t)nv * sizeof(int32_t));
    int64_t *mk = malloc((size_t)nv * sizeof(int64_t));
    int rc = 0, complete = 0, oom = 0;
    int64_t lb = 0;
    uint64_t expanded = 0;
    if (!ws || !snap || !cin || !cout || !cin2 || !cout2 || !key || !xkey || !mask || !prow || !srow ||
        !path || !cand || !mk || table_grow(&a)) {
        rc = -1;
        goto done;
    }
    /* root */
    {
        int64_t h = ccx_bound_pairs(ws, &game, NULL);
        if (h < 0) { rc = -1; goto done; }
        lb = h;
        memset(key, 0, (size_t)a.kw * 8);
        if (game.tensor) key[set_words] = ccx_game_graph_hash(&game);
        size_t slot;
        lookup(&a, key, &slot);
        anode root = {0, h, -1, 0, 0, 0, 1};
        if (h >= ub) { complete = 1; lb = ub; goto done; }
        int32_t r = insert(&a, key, slot, root);
        if (r < 0 || heap_push(&a, h, 0, r)) { rc = -1; goto done; }
    }
    double last_print = t0;
    for (uint64_t pops = 0;; pops++) {
        while (a.n_heap && stale(&a, &a.heap[0])) heap_pop(&a);
        if (!a.n_heap) { complete = 1; lb = ub; break; }
        hentry top = a.heap[0];
        if (top.f >= ub) { complete = 1; lb = ub; break; }
        lb = top.f;
        if ((pops & 63) == 0) {
            double now = deadline > 0 || p->progress ? ccx_search_now() : 0;
            if (deadline > 0 && now >= deadline) break;
            if (p->progress && now - last_print >= p->progress_every) {
                fprintf(p->progress,
                        "ccx search: exact  %7.1f s  best %lld  lower bound %lld  open %zu  "
                        "expanded %llu\n",
                        now - t0, (long long)ub, (long long)lb, a.n_heap,
                        (unsigned long long)expanded);
                fflush(p->progress);
                last_print = now;
            }
        }
        if (p->iters > 0 && expanded >= (uint64_t)p->iters) break;
        if (astar_bytes(&a) > mem_limit) { oom = 1; break; }
        heap_pop(&a);
        int32_t x = top.idx;
        anode nd = a.nodes[x];
        if (nd.depth == n) { /* goal: cheaper than ub, else f >= ub above */
            ub = nd.g;
            path_of(&a, x, ub_order);
            complete = 1;
            lb = ub;
            break;
        }
        /* the node's graph: replay its path */
        /* a copy: inserting children may move a.keys */
        uint64_t *xk = xkey;
        memcpy(xk, a.keys + (size_t)x * a.kw, (size_t)a.kw * 8);
        for (int k = 1; k <= nv; k++) mask[k - 1] = (uint8_t)(xk[(k - 1) >> 6] >> ((k - 1) & 63) & 1);
        path_of(&a, x, path);
        ccx_game_reset(&game);
        for (int d = 0; d < nd.depth; d++) ccx_game_step(&game, path[d]);
        if (!nd.strong) {
            /* first pop: the pair bound; if it lifts f, queue the node again */
            a.nodes[x].strong = 1;
            int64_t hp = ccx_bound_pairs(ws, &game, NULL);
            if (hp < 0) { rc = -1; break; }
            if (hp > nd.h) {
                a.nodes[x].h = nd.h = hp;
                if (nd.g + hp > top.f) {
                    if (nd.g + hp < ub && heap_push(&a, nd.g + hp, nd.g, x)) { rc = -1; break; }
                    continue;
                }
            }
        }
        a.nodes[x].closed = 1;
        expanded++;
        int64_t h = ccx_bound_compute(ws, &game, cin, cout);
        if (h < 0) { rc = -1; break; }
        ccx_game_save(&game, snap);
        if ((expanded & 255) == 1) {
            /* upper bound: this node's path + Markowitz completion */
            path_of(&a, x, path);
            int64_t c = nd.g + ccx_search_greedy(&game, NULL, 0, path + nd.depth, mk, cand);
            if (c < ub) {
                ub = c;
                memcpy(ub_order, path, (size_t)n * sizeof(int32_t));
            }
            ccx_game_load(&game, snap);
        }
        int dirty = 0;
        for (int v = 1; v <= nv; v++) {
            if (!mask[v - 1] && !g->vertices[v - 1].is_output) {
                if (dirty) { ccx_game_load(&game, snap); dirty = 0; }
                int64_t mv = ccx_game_elim_cost(&game, v), g2 = nd.g + mv;
                int64_t term = (int64_t)cin[v - 1] * cout[v - 1];
                if (g2 + (h - term) >= ub) continue;
                /* the parent's bound, less this step, bounds the child too */
                int64_t inherited = nd.h - mv;
                memcpy(key, xk, (size_t)a.kw * 8);
                key[(v - 1) >> 6] |= 1ull << ((v - 1) & 63);
                int node = nin + v - 1;
                if (game.tensor) {
                    /* the child's records decide its key: eliminate first */
                    memcpy(prow, game.preds + (size_t)node * W, (size_t)W * 4);
                    memcpy(srow, game.succs + (size_t)node * W, (size_t)W * 4);
                    ccx_game_step(&game, v);
                    dirty = 1;
                    key[set_words] = ccx_game_graph_hash(&game);
                }
                size_t slot = 0;
                int32_t y = lookup(&a, key, &slot);
                if (y >= 0) {
                    anode *ny = &a.nodes[y];
                    if (g2 >= ny->g) continue;
                    ny->closed = 0; /* reopened if it was closed: the bound is not consistent */
                    ny->g = g2;
                    ny->parent = x;
                    ny->vertex = v;
                    ny->depth = nd.depth + 1;
                    if (inherited > ny->h) ny->h = inherited;
                    if (g2 + ny->h < ub && heap_push(&a, g2 + ny->h, g2, y)) { rc = -1; break; }
                    continue;
                }
                if (!game.tensor) {
                    memcpy(prow, game.preds + (size_t)node * W, (size_t)W * 4);
                    memcpy(srow, game.succs + (size_t)node * W, (size_t)W * 4);
                    ccx_game_step(&game, v);
                    dirty = 1;
                }
                memcpy(cin2, cin, (size_t)nv * sizeof(int32_t));
                memcpy(cout2, cout, (size_t)nv * sizeof(int32_t));
                int64_t h2 = ccx_bound_update(ws, &game, v, prow, srow, cin2, cout2);
                if (h2 < 0) { rc = -1; break; }
                if (inherited > h2) h2 = inherited;
                if (g2 + h2 >= ub) continue;
                anode child = {g2, h2, x, v, nd.depth + 1, 0, 0};
                int32_t ci = insert(&a, key, slot, child);
                if (ci < 0 || heap_push(&a, g2 + h2, g2, ci)) { rc = -1; break; }
            }
        }
        if (rc) break;
    }
done:
    if (rc == 0) {
        rc = ccx_search_result_set(g, out, ub_order, n, err);
        out->lower_bound = complete ? out->cost : (lb < ub ? lb : ub);
        out->complete = complete;
        out->work = expanded;
        out->unit = "states";
        out->start_cost = -1;
        if (oom && p->progress) {
            fprintf(p->progress, "ccx search: exact: memory limit (%.0f MiB) reached\n",
                    (double)mem_limit / 1048576.0);
        }
    } else {
        ccx_error_set(err, "out of memory in the exact search");
    }
    free(ub_order);
    free(a.nodes); free(a.keys); free(a.table); free(a.heap);
    ccx_bound_ws_free(ws);
    free(snap); free(cin); free(cout); free(cin2); free(cout2); free(key); free(xkey); free(mask);
    free(prow); free(srow); free(path); free(cand); free(mk);
    ccx_game_free(&game);
    return rc ? -1 : 0;
}
