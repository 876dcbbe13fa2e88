/* Batched elimination environments: B games stepped together, one API, two
 * backends (docs/design.md "Backends", "Memory"): `cpu` (host/env/env_cpu.c,
 * plain C, OpenMP over envs when available) and `cuda` (cuda/env_kernels.cu,
 * one warp per env). This header is the one definition of what the two
 * share: the state layout, the observation layout, the legality checks and
 * the observation features (the inline functions below are compiled into
 * both backends, so the two agree bit for bit by construction). The
 * elimination rule itself is game/eliminate.h (the CUDA twin is
 * warp_eliminate in cuda/env_kernels.cu).
 *
 * ---- Memory -------------------------------------------------------------
 * Every array argument of the calls below lives in the backend's memory:
 * host memory for cpu, device memory for cuda (allocate it with
 * ccx_env_buf_alloc, copy with ccx_env_upload / ccx_env_download). The
 * orchestrator never branches on the backend beyond choosing it. Adjacency
 * and snapshot buffers must be 16-byte aligned (ccx_env_buf_alloc's are).
 *
 * ---- Actions --------------------------------------------------------------
 * An action is a vertex number 1..n_vertices (the task language's numbers,
 * as in orders), or CCX_ENV_SKIP (-1) to leave that env alone this step.
 * With CCX_ENV_NODE_ACTIONS an action is a node id 0..n_pad-1 instead (the
 * row index of observations and masks: node = n_inputs + vertex - 1), so a
 * policy that samples a row can pass it straight in. Legal: an intermediate
 * vertex not yet eliminated. Everything else (an eliminated vertex, an
 * output, an input, padding, out of range) is refused: every call checks all
 * of its arguments first and, if anything is wrong, applies and writes
 * nothing and reports the first offender (lowest env index / position).
 *
 * ---- Errors, CCX_ENV_DEFER --------------------------------------------------
 * Calls that take `flags` are "checked calls". Without CCX_ENV_DEFER a
 * refused checked call returns -1 with a message (on cuda this costs one
 * device->host read and a stream sync per call). With CCX_ENV_DEFER it
 * returns 0 at once and the refusal is latched instead; while a refusal is
 * latched every checked call applies and writes nothing; the next checked
 * call without CCX_ENV_DEFER, or ccx_env_sync(), reports it (-1) and clears
 * it. Both backends behave the same way. Calls without `flags` (reset,
 * get_info, play_random) cannot be refused and run regardless.
 *
 * ---- State slab (one per env, all B in one allocation) ----------------------
 * n_pad: multiple of 32 >= every graph's node count (a mixed batch pads all
 * graphs to one n_pad); words = n_pad / 32. Offsets in 32-bit words from the
 * start of an env's slab (ccx_env_layout):
 *
 *   off_preds  = 0                    uint32 [n_pad][words]  bit p of row v: p -> v
 *   off_succs  = n_pad*words          uint32 [n_pad][words]  bit s of row v: v -> s
 *   off_kind   = 2*n_pad*words        uint8  [n_pad]         ccx_node_kind per node
 *   off_header = off_kind + n_pad/4   ccx_env_header (32 bytes)
 *   off_rec    = off_header + 8 rounded up to a multiple of 32
 *   slab_words = off_rec without records (128-byte slabs; the tail is zero)
 *
 * Batches that hold a tensor graph (records = 1) give every slab the record
 * matrix of game/records.h after that (scalar graphs of a mixed batch keep
 * it zero and play the bitset rule):
 *
 *   off_rec                            ccx_rec [n_pad][n_pad]  type, variant of r -> c
 *   slab_words = off_rec + n_pad^2/2
 *
 * and the graphs' constant tables (shape, pvar_off, pdims) are one int32
 * row of tab_words per graph beside the templates (ccx_rec_tables_of_row).
 *
 * A batch whose graphs carry the real-work cost model (graph cost_model
 * real; lax = 1, records = 0) gives every slab, scalar graphs included, the
 * edge matrix of game/real_cost.h instead:
 *
 *   off_rec                            ccx_lax [n_pad][n_pad]  (16 bytes) r -> c
 *   slab_words = off_rec + 4*n_pad^2
 *
 * and each graph's table row holds its node shapes (ccx_lax_shape [n_pad]).
 * A batch plays one cost model (mixing is refused). The header's `rule`
 * says which rule an env's graph plays (ccx_env_rule).
 *
 * Nodes are those of graph/graph.h: inputs 0..n_inputs-1, then vertex k at
 * node n_inputs + k - 1, then padding. Env b's slab starts at word
 * b * slab_words. A snapshot is a verbatim copy of slabs; the slab holds its
 * graph id, so restoring a snapshot taken from another env (even one playing
 * another graph) makes the env play that graph from that state, and reset
 * restarts the graph named in the env's header.
 *
 * ---- Observations -----------------------------------------------------------
 * Rows are node ids (as in the slab), for every env listed (ids) or all B:
 *
 *   features  float32 [n][n_pad][CCX_OBS_FEATURES]   (slots named CCX_OBS_F_* below)
 *     0..4  kind one-hot, index = ccx_node_kind (0 padding, 1 input,
 *           2 intermediate not yet eliminated = legal, 3 output, 4 eliminated)
 *     5     in-degree  |P(v)|        * CCX_OBS_DEGREE_SCALE    (1/16)
 *     6     out-degree |S(v)|        * CCX_OBS_DEGREE_SCALE    (1/16)
 *     7     Markowitz  |P(v)|*|S(v)| * CCX_OBS_MARKOWITZ_SCALE (1/256)
 *     8     vertex number / n_vertices of the env's graph (0 for inputs, padding)
 *     9     op code: 1 + ccx_op for vertices (graph-file vertices: the ccx
 *           op named like their primitive, as the elementwise mul, add, exp
 *           of tensor graphs), 0 for inputs, padding and graph-file
 *           vertices whose primitive has no ccx op (dot_general,
 *           reduce_sum, broadcast_in_dim, ...) (an exact small integer,
 *           meant as an embedding index; the default network gives the
 *           copy op of output copies the all-zero embedding)
 *     10    log2(1 + cost of eliminating v now) / 16 (ccx_env_log2_feature:
 *           piecewise linear between powers of two), for legal vertices
 *           (else 0): its cost under the batch's cost model (AlphaGrad's:
 *           |P|*|S| on scalar graphs, the sum of the pair costs on tensor
 *           graphs; real: the multiplications of its products, 0 for a
 *           vertex whose products are all free). Costs span 1 to 10^5
 *           and more across tasks, so the scale is logarithmic (17 bits
 *           -> ~1.06), the same for every task: no per-task constant to
 *           carry into a joint run.
 *     11    log2(elements of v's shape) / 16 (0 for scalars and padding)
 *     12-14 in-edges by type group (game/records.h: dense, sparse but
 *           costly, pure structure; under the real model ccx_lax_group:
 *           constants are structure) * CCX_OBS_DEGREE_SCALE
 *     15-17 out-edges by type group * CCX_OBS_DEGREE_SCALE
 *           (scalar edges are dense under AlphaGrad's model: 12 = 5 and 15 = 6)
 *   adjacency uint8   [n][n_pad][n_pad]   [i][k] != 0 iff edge i -> k (row =
 *           source, column = destination: the succs bitsets), else 0; the
 *           value is 1 + the edge's type group (game/records.h: 1 dense,
 *           2 sparse but costly, 3 pure structure), so 1 on scalar graphs under AlphaGrad's model.
 *           The networks read it as present / absent (!= 0)
 *   legal mask uint8  [n][n_pad]          [i] = 1 iff node i is a legal action
 *           (the same as features[..][i][2])
 *
 * Degrees of eliminated vertices are 0 (their rows are cleared). The scales
 * are powers of two, so features 0-9 and 12-17 are exact for degrees <
 * 2^24; 10 and 11 are computed from exact integers with IEEE-rounded
 * conversions only, so the backends agree bit for bit there too. A vertex
 * with no in- or out-edge left (isolated, or dead: nothing reaches an
 * output) costs 0 and reads so in 10. */
#ifndef CCX_ENV_ENV_H
#define CCX_ENV_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "game/game.h"
#include "game/cost.h"
#include "game/records.h"
#include "game/real_cost.h"
#include "graph/graph.h"
#include "util/backend.h"
#include "util/error.h"
#include "util/hd.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- layout (shared by both backends) ---- */
enum { CCX_ENV_HEADER_WORDS = 8 };
#define CCX_ENV_MAX_ENVS (1 << 24)

typedef struct {
    int32_t n_envs, n_graphs;
    int32_t n_pad, words;               /* words = n_pad / 32 */
    int32_t off_preds, off_succs, off_kind, off_header; /* in uint32 words */
    int32_t slab_words;                 /* stride between env slabs */
    int32_t records;                    /* 1: slabs carry record matrices */
    int32_t off_rec;                    /* in uint32 words (the edge matrix: records or lax) */
    int32_t tab_words;                  /* per-graph table row (records or lax; else 0) */
    int32_t lax;                        /* 1: the batch plays the real-work model: slabs
                                           carry ccx_lax matrices (game/real_cost.h) */
} ccx_env_layout;

typedef struct {
    int32_t graph;       /* index into the graphs given to ccx_env_create */
    int32_t n_inputs;    /* of that graph */
    int32_t n_vertices;
    int32_t remaining;   /* intermediates not yet eliminated; 0 = done */
    int64_t cost;        /* accumulated cost of the current episode */
    int32_t n_nodes;     /* n_inputs + n_vertices */
    int32_t rule;        /* ccx_env_rule: how this env's graph is eliminated and priced */
} ccx_env_header;

/* The rule of an env (header `rule`): AlphaGrad's model on the bitsets
 * (scalar graphs) or on the record matrix (tensor graphs, game/records.h),
 * or the real-work model on the ccx_lax matrix (every graph of a batch
 * whose graphs carry cost_model real, game/real_cost.h). */
typedef enum {
    CCX_ENV_RULE_BITSET = 0,
    CCX_ENV_RULE_RECORDS = 1,
    CCX_ENV_RULE_REAL = 2,
} ccx_env_rule;

/* Per graph, on the host. */
typedef struct {
    char name[64];       /* task name (truncated) for messages */
    int32_t n_inputs, n_vertices, n_nodes, n_intermediates;
} ccx_env_graph_info;

enum {
    CCX_ENV_SKIP = -1,               /* action: leave this env alone */
    CCX_ENV_AUTO_RESET = 1u << 0,    /* step: reset envs whose episode ended */
    CCX_ENV_NODE_ACTIONS = 1u << 1,  /* step, play_orders: actions are node ids */
    CCX_ENV_DEFER = 1u << 2,         /* any checked call: latch refusals */
};

/* The feature slots of the table above; CCX_OBS_FEATURES = 18 of them. */
enum {
    CCX_OBS_F_KIND = 0,                                       /* 0-4: + ccx_node_kind */
    CCX_OBS_F_IN_DEGREE = CCX_OBS_F_KIND + CCX_KIND_ELIMINATED + 1, /* 5 */
    CCX_OBS_F_OUT_DEGREE,                                     /* 6 */
    CCX_OBS_F_MARKOWITZ,                                      /* 7 */
    CCX_OBS_F_VERTEX,                                         /* 8 */
    CCX_OBS_F_OP,                                             /* 9 */
    CCX_OBS_F_LOG2_COST,                                      /* 10 */
    CCX_OBS_F_LOG2_ELEMENTS,                                  /* 11 */
    CCX_OBS_F_IN_GROUP,                                       /* 12-14: + type group */
    CCX_OBS_F_OUT_GROUP = CCX_OBS_F_IN_GROUP + CCX_REC_GROUPS,  /* 15-17: + type group */
    CCX_OBS_FEATURES = CCX_OBS_F_OUT_GROUP + CCX_REC_GROUPS     /* 18 */
};
#define CCX_OBS_DEGREE_SCALE 0.0625f      /* 1/16 */
#define CCX_OBS_MARKOWITZ_SCALE 0.00390625f /* 1/256 */

/* ---- refusals ---- */
typedef enum {
    CCX_ENV_OK = 0,
    CCX_ENV_FAULT_RANGE,        /* number outside 1..n_pad-n_inputs (vertex) or 0..n_pad-1 (node) */
    CCX_ENV_FAULT_INPUT,        /* node id of an input */
    CCX_ENV_FAULT_OUTPUT,       /* an output vertex */
    CCX_ENV_FAULT_ELIMINATED,   /* a vertex already eliminated */
    CCX_ENV_FAULT_PADDING,      /* a number past the graph's last vertex (padding) */
    CCX_ENV_FAULT_REPEATED,     /* a vertex twice in one order */
    CCX_ENV_FAULT_BAD_ID,       /* env id outside 0..B-1 */
    CCX_ENV_FAULT_REPEATED_ID,  /* env id twice in a call that writes states */
    CCX_ENV_FAULT_BAD_SLAB,     /* restore: a buffer row that is no state of this batch */
} ccx_env_fault_code;

typedef enum {
    CCX_ENV_OP_STEP = 0, CCX_ENV_OP_PLAY_ORDERS, CCX_ENV_OP_SNAPSHOT, CCX_ENV_OP_RESTORE,
    CCX_ENV_OP_SET_ELIMINATED, CCX_ENV_OP_GET_ELIMINATED, CCX_ENV_OP_OBSERVE,
    CCX_ENV_OP_LEGAL_MASK,
} ccx_env_op;

/* What was refused (both backends fill it identically; env.c words it). */
typedef struct {
    int32_t code;   /* ccx_env_fault_code */
    int32_t op;     /* ccx_env_op */
    int32_t index;  /* env (step, play_orders) or position in ids (others) */
    int32_t env;    /* env concerned, -1 if the id itself was bad */
    int32_t value;  /* the offending action, vertex or id */
    int32_t pos;    /* order entry (play_orders), bit (set_eliminated), first
                       position of a repeated id; else -1 */
    int32_t graph;  /* graph of env, -1 if none */
    int32_t flags;  /* flags of the call */
} ccx_env_fault;

/* One checked call, as the per-item check below sees it. */
typedef struct {
    int32_t op;             /* ccx_env_op */
    uint32_t flags;
    int32_t n;              /* items: B for step/play_orders, else len(ids) */
    const int32_t *items;   /* actions (step) or ids (others; NULL = 0..B-1) */
    const int32_t *orders;  /* play_orders: [B][n_pad] */
    const uint32_t *sets;   /* set_eliminated: [n][words]; restore: [n][slab_words] */
    const uint8_t *mask;    /* play_orders: which envs play (NULL = all) */
} ccx_env_call;

/* ---- the opaque batch ---- */
typedef struct ccx_env ccx_env;

/* B = n_envs envs over graphs[0..n_graphs-1]; env b plays
 * graphs[graph_of_env[b]] (graph_of_env NULL: b % n_graphs). n_pad 0: the
 * smallest multiple of 32 that holds every graph; else a multiple of 32 that
 * does. Graphs are copied; the caller may free them afterwards. All envs
 * start reset. NULL with err set on failure. */
ccx_env *ccx_env_create(ccx_backend backend, int n_envs, const ccx_graph *const *graphs,
                        int n_graphs, const int32_t *graph_of_env, int n_pad, ccx_error *err);
void ccx_env_destroy(ccx_env *env);

const ccx_env_layout *ccx_env_get_layout(const ccx_env *env);
ccx_backend ccx_env_get_backend(const ccx_env *env);
const ccx_env_graph_info *ccx_env_graph(const ccx_env *env, int graph);
/* The backend's state array [B][slab_words] (device pointer for cuda). */
const uint32_t *ccx_env_state(const ccx_env *env);
/* The cudaStream_t every call of this env runs on (NULL for cpu). */
void *ccx_env_stream(const ccx_env *env);

/* Backend memory: zeroed, 256-byte aligned. */
void *ccx_env_buf_alloc(const ccx_env *env, size_t bytes, ccx_error *err);
void ccx_env_buf_free(const ccx_env *env, void *buf);
int ccx_env_upload(const ccx_env *env, void *dst, const void *host_src, size_t bytes,
                   ccx_error *err);
int ccx_env_download(const ccx_env *env, void *host_dst, const void *src, size_t bytes,
                     ccx_error *err);

/* Reset envs with mask[b] != 0 (mask [B]; NULL = all) to the start of the
 * graph in their header. */
int ccx_env_reset(ccx_env *env, const uint8_t *mask, ccx_error *err);
/* actions [B] (vertex numbers, or node ids with CCX_ENV_NODE_ACTIONS, or
 * CCX_ENV_SKIP); cost [B] out: this step's |P|*|S| (0 for a skip); done [B]
 * out: 1 iff the env's episode is over after this step (with
 * CCX_ENV_AUTO_RESET it has already been reset). cost/done may be NULL. */
int ccx_env_step(ccx_env *env, const int32_t *actions, int64_t *cost, uint8_t *done,
                 unsigned flags, ccx_error *err);
/* mask [n][n_pad] for envs ids[0..n-1] (ids NULL: all B, n ignored). */
int ccx_env_legal_mask(ccx_env *env, const int32_t *ids, int n, uint8_t *mask, unsigned flags,
                       ccx_error *err);
/* features [n][n_pad][CCX_OBS_FEATURES] and/or adjacency [n][n_pad][n_pad]
 * (either may be NULL) for envs ids (NULL: all B). */
int ccx_env_observe(ccx_env *env, const int32_t *ids, int n, float *features,
                    uint8_t *adjacency, unsigned flags, ccx_error *err);
/* Per env [B]: episode cost so far, intermediates remaining, graph. Any may be NULL. */
int ccx_env_get_info(ccx_env *env, int64_t *cost, int32_t *remaining, int32_t *graph,
                     ccx_error *err);
/* buf [n][slab_words] <- slabs of envs ids (NULL: all B). Ids may repeat. */
int ccx_env_snapshot(ccx_env *env, const int32_t *ids, int n, uint32_t *buf, unsigned flags,
                     ccx_error *err);
/* slabs of envs ids <- buf [n][slab_words]. Ids may not repeat. */
int ccx_env_restore(ccx_env *env, const int32_t *ids, int n, const uint32_t *buf,
                    unsigned flags, ccx_error *err);
/* The state as a set: sets [n][words], bit k-1 of a row (word (k-1)/32, bit
 * (k-1)%32) set iff vertex k is eliminated. set_state puts each env ids[i]
 * (no repeats) at the start of its header's graph with the set's vertices
 * eliminated (the graph does not depend on the order; they are eliminated
 * in increasing number) and its episode cost to costs[i] (costs NULL: 0).
 * A set bit for an output or past the last vertex is refused. */
int ccx_env_set_state_from_eliminated_set(ccx_env *env, const int32_t *ids, int n,
                                          const uint32_t *sets, const int64_t *costs,
                                          unsigned flags, ccx_error *err);
int ccx_env_get_eliminated_set(ccx_env *env, const int32_t *ids, int n, uint32_t *sets,
                               unsigned flags, ccx_error *err);
/* Fused random policy: every env with mask[b] != 0 (NULL: all) plays from
 * its state to the end of its episode, each step eliminating the
 * floor(r * remaining / 2^32)-th legal node in increasing node order, r the
 * next 32-bit draw of cuRAND Philox4x32-10 with curand_init(seed,
 * subsequence = b, offset = 0) (util/philox.h on cpu: same numbers). Vary
 * the seed between calls. actions_out [B][n_pad] (may be NULL): vertex
 * numbers in the order played, then zeros. Costs stay in the headers
 * (get_info). Envs are left done (no auto-reset). */
int ccx_env_play_random(ccx_env *env, const uint8_t *mask, uint64_t seed, int32_t *actions_out,
                        ccx_error *err);
/* Fused given orders: every env with mask[b] != 0 (NULL: all) plays its
 * next `remaining` eliminations from orders[b][0..remaining-1] ([B][n_pad],
 * vertex numbers or node ids with CCX_ENV_NODE_ACTIONS; later entries are
 * ignored). Checked as a whole first (entries legal and distinct). */
int ccx_env_play_orders(ccx_env *env, const uint8_t *mask, const int32_t *orders,
                        unsigned flags, ccx_error *err);
/* Wait for the backend; report (-1) and clear a latched refusal. */
int ccx_env_sync(ccx_env *env, ccx_error *err);
/* Peak memory bandwidth of the backend's device in bytes/s from its
 * attributes (cuda: 2 x memory clock x bus width) and a one-line
 * description; 0 for cpu (there is no attribute; `ccx bench env` measures
 * a memcpy instead). */
double ccx_env_peak_bandwidth(const ccx_env *env, char *desc, size_t desc_size);

/* Words a refusal as a message (the same for both backends); returns -1. */
int ccx_env_fault_message(const ccx_env *env, const ccx_env_fault *f, ccx_error *err);

/* ======== shared inline definitions (compiled into both backends) ======== */

/* records: 1 iff a graph of the batch plays the record rule; lax: 1 iff
 * the batch plays the real model (then records is 0); tab_words: the
 * per-graph table row (records or lax only, a multiple of 4). */
CCX_HD void ccx_env_layout_init(ccx_env_layout *L, int n_envs, int n_graphs, int n_pad,
                                        int records, int lax, int tab_words) {
    L->n_envs = n_envs;
    L->n_graphs = n_graphs;
    L->n_pad = n_pad;
    L->words = n_pad / 32;
    L->off_preds = 0;
    L->off_succs = n_pad * L->words;
    L->off_kind = 2 * n_pad * L->words;
    L->off_header = L->off_kind + n_pad / 4;
    L->off_rec = (L->off_header + CCX_ENV_HEADER_WORDS + 31) / 32 * 32;
    L->records = records != 0 && !lax;
    L->lax = lax != 0;
    /* a ccx_rec cell is 2 bytes, a ccx_lax cell 16 */
    L->slab_words = L->off_rec + (L->records ? n_pad * n_pad / 2 : L->lax ? n_pad * n_pad * 4 : 0);
    L->tab_words = L->records || L->lax ? tab_words : 0;
}

CCX_HD uint32_t *ccx_env_slab(uint32_t *state, const ccx_env_layout *L, int b) {
    return state + (size_t)b * (size_t)L->slab_words;
}
CCX_HD const uint32_t *ccx_env_cslab(const uint32_t *state, const ccx_env_layout *L, int b) {
    return state + (size_t)b * (size_t)L->slab_words;
}
CCX_HD uint8_t *ccx_env_kind(uint32_t *slab, const ccx_env_layout *L) {
    return (uint8_t *)(slab + L->off_kind);
}
CCX_HD const uint8_t *ccx_env_ckind(const uint32_t *slab, const ccx_env_layout *L) {
    return (const uint8_t *)(slab + L->off_kind);
}
CCX_HD ccx_env_header *ccx_env_hdr(uint32_t *slab, const ccx_env_layout *L) {
    return (ccx_env_header *)(void *)(slab + L->off_header);
}
CCX_HD const ccx_env_header *ccx_env_chdr(const uint32_t *slab, const ccx_env_layout *L) {
    return (const ccx_env_header *)(const void *)(slab + L->off_header);
}

CCX_HD ccx_rec *ccx_env_rec(uint32_t *slab, const ccx_env_layout *L) {
    return (ccx_rec *)(void *)(slab + L->off_rec);
}
/* The real model's edge matrix [n_pad][n_pad] (row = source) and the
 * graph's node shapes (its table row: ccx_lax_shape [n_pad]). */
CCX_HD ccx_lax *ccx_env_lax(uint32_t *slab, const ccx_env_layout *L) {
    return (ccx_lax *)(void *)(slab + L->off_rec);
}
CCX_HD const ccx_lax_shape *ccx_env_lax_shapes(const int32_t *tab) {
    return (const ccx_lax_shape *)(const void *)tab;
}

CCX_HD int ccx_env_popcount(uint32_t x) {
#if defined(__CUDA_ARCH__)
    return __popc(x);
#else
    return __builtin_popcount(x);
#endif
}

/* Is action a legal in this slab? Returns the fault code; *node = its node. */
CCX_HD int ccx_env_check_action(const uint32_t *slab, const ccx_env_layout *L, int32_t a,
                                        uint32_t flags, int32_t *node) {
    const ccx_env_header *h = ccx_env_chdr(slab, L);
    int32_t j;
    if (flags & CCX_ENV_NODE_ACTIONS) {
        if (a < 0 || a >= L->n_pad) return CCX_ENV_FAULT_RANGE;
        j = a;
    } else {
        if (a < 1 || a > L->n_pad - h->n_inputs) return CCX_ENV_FAULT_RANGE;
        j = h->n_inputs + a - 1;
    }
    *node = j;
    switch (ccx_env_ckind(slab, L)[j]) {
    case CCX_KIND_INTERMEDIATE: return CCX_ENV_OK;
    case CCX_KIND_INPUT: return CCX_ENV_FAULT_INPUT;
    case CCX_KIND_OUTPUT: return CCX_ENV_FAULT_OUTPUT;
    case CCX_KIND_ELIMINATED: return CCX_ENV_FAULT_ELIMINATED;
    default: return CCX_ENV_FAULT_PADDING;
    }
}

/* Check item i of a checked call. state: [B][slab_words]; tmpl: graph
 * templates [n_graphs][slab_words]; marks (calls that write states):
 * marks[id] = smallest position holding id, from a first pass; seen
 * (play_orders): a zeroed row of `words` words. Fills *f on a fault. */
CCX_HD int ccx_env_check_item(const uint32_t *state, const uint32_t *tmpl,
                                      const ccx_env_layout *L, const ccx_env_call *c, int i,
                                      const int32_t *marks, uint32_t *seen, ccx_env_fault *f) {
    int code = CCX_ENV_OK, env = i, pos = -1;
    int32_t value = 0, node = 0;
    if (c->op == CCX_ENV_OP_STEP) {
        value = c->items[i];
        if (value != CCX_ENV_SKIP)
            code = ccx_env_check_action(ccx_env_cslab(state, L, i), L, value, c->flags, &node);
    } else if (c->op == CCX_ENV_OP_PLAY_ORDERS) {
        if (c->mask && !c->mask[i]) return CCX_ENV_OK;
        const uint32_t *slab = ccx_env_cslab(state, L, i);
        const int32_t *row = c->orders + (size_t)i * (size_t)L->n_pad;
        int rem = ccx_env_chdr(slab, L)->remaining;
        for (int t = 0; t < rem && code == CCX_ENV_OK; t++) {
            value = row[t];
            pos = t;
            code = ccx_env_check_action(slab, L, value, c->flags, &node);
            if (code == CCX_ENV_OK) {
                uint32_t bit = 1u << (node & 31);
                if (seen[node >> 5] & bit) code = CCX_ENV_FAULT_REPEATED;
                seen[node >> 5] |= bit;
            }
        }
    } else {
        value = c->items ? c->items[i] : i;
        env = value;
        if (value < 0 || value >= L->n_envs) {
            code = CCX_ENV_FAULT_BAD_ID;
            env = -1;
        } else if (marks && marks[value] != i) {
            code = CCX_ENV_FAULT_REPEATED_ID;
            pos = marks[value];
        } else if (c->op == CCX_ENV_OP_RESTORE) {
            /* a slab must name a graph of this batch with that graph's sizes,
             * or later calls would index outside the state */
            const ccx_env_header *h = ccx_env_chdr(c->sets + (size_t)i * (size_t)L->slab_words, L);
            if (h->graph < 0 || h->graph >= L->n_graphs) {
                code = CCX_ENV_FAULT_BAD_SLAB;
                pos = h->graph;
            } else {
                const ccx_env_header *t = ccx_env_chdr(ccx_env_cslab(tmpl, L, h->graph), L);
                if (h->n_inputs != t->n_inputs || h->n_vertices != t->n_vertices ||
                    h->n_nodes != t->n_nodes || h->rule != t->rule || h->remaining < 0 ||
                    h->remaining > t->remaining) {
                    code = CCX_ENV_FAULT_BAD_SLAB;
                    pos = h->graph;
                }
            }
        } else if (c->op == CCX_ENV_OP_SET_ELIMINATED) {
            const uint32_t *row = c->sets + (size_t)i * (size_t)L->words;
            const ccx_env_header *h = ccx_env_chdr(ccx_env_cslab(state, L, value), L);
            const uint8_t *tk = ccx_env_ckind(ccx_env_cslab(tmpl, L, h->graph), L);
            for (int w = 0; w < L->words && code == CCX_ENV_OK; w++) {
                for (uint32_t bits = row[w]; bits; bits &= bits - 1) {
                    int k = w * 32 + ccx_env_popcount((bits & (0u - bits)) - 1); /* bit index */
                    if (k >= h->n_vertices) code = CCX_ENV_FAULT_PADDING;
                    else if (tk[h->n_inputs + k] != CCX_KIND_INTERMEDIATE) code = CCX_ENV_FAULT_OUTPUT;
                    if (code != CCX_ENV_OK) { pos = k; value = k + 1; break; }
                }
            }
        }
    }
    if (code != CCX_ENV_OK) {
        f->code = code;
        f->op = c->op;
        f->index = i;
        f->env = env;
        f->value = value;
        f->pos = pos;
        f->graph = env >= 0 ? ccx_env_chdr(ccx_env_cslab(state, L, env), L)->graph : -1;
        f->flags = (int32_t)c->flags;
    }
    return code;
}

/* log2(x) / 16 for x >= 1, piecewise linear between powers of two (exact
 * at them, at most 0.086 / 16 below log2 elsewhere): k + (x - 2^k) / 2^k
 * with k = floor(log2 x). Integer bit tricks and IEEE-rounded conversions
 * only, so both backends compute the same float bit for bit (log2f is not
 * correctly rounded on the device). */
CCX_HD float ccx_env_log2_feature(int64_t x) {
    if (x < 1) return 0.0f;
#if defined(__CUDA_ARCH__)
    const int k = 63 - __clzll((long long)x);
#else
    const int k = 63 - __builtin_clzll((unsigned long long)x);
#endif
    const float frac = (float)(x - ((int64_t)1 << k)) / (float)((int64_t)1 << k);
    return ((float)k + frac) * 0.0625f;
}

/* Features of node v of an env (see the layout above). ops: the graph's op
 * row [n_pad] (1 + ccx_op for vertices, 0 otherwise); tab: the graph's
 * table row (NULL without records). Device code under nvcc (the record rule
 * reads the sparsity tables from __constant__ memory). */
CCX_DEV void ccx_env_node_features(const uint32_t *slab, const ccx_env_layout *L,
                                                 const uint8_t *ops, const int32_t *tab, int v,
                                                 float *f) {
    const ccx_env_header *h = ccx_env_chdr(slab, L);
    const int kind = ccx_env_ckind(slab, L)[v], N = L->n_pad;
    const int tensor = h->rule == CCX_ENV_RULE_RECORDS && tab, real = h->rule == CCX_ENV_RULE_REAL && tab;
    const uint32_t *p = slab + L->off_preds + (size_t)v * L->words;
    const uint32_t *s = slab + L->off_succs + (size_t)v * L->words;
    ccx_rec *rec = tensor ? (ccx_rec *)(void *)(slab + L->off_rec) : (ccx_rec *)0;
    ccx_lax *lax = real ? (ccx_lax *)(void *)(slab + L->off_rec) : (ccx_lax *)0;
    const ccx_lax_shape *sh = real ? ccx_env_lax_shapes(tab) : (const ccx_lax_shape *)0;
    int in = 0, out = 0, in_g[CCX_REC_GROUPS] = {0, 0, 0}, out_g[CCX_REC_GROUPS] = {0, 0, 0};
    for (int w = 0; w < L->words; w++) {
        in += ccx_env_popcount(p[w]);
        out += ccx_env_popcount(s[w]);
        if (tensor) {
            for (uint32_t b = p[w]; b; b &= b - 1)
                in_g[ccx_rec_group(rec[(size_t)(w * 32 + ccx_rec_ctz(b)) * N + v].type)]++;
            for (uint32_t b = s[w]; b; b &= b - 1)
                out_g[ccx_rec_group(rec[(size_t)v * N + w * 32 + ccx_rec_ctz(b)].type)]++;
        } else if (real) {
            for (uint32_t b = p[w]; b; b &= b - 1) {
                const int q = w * 32 + ccx_rec_ctz(b);
                in_g[ccx_lax_group(&lax[(size_t)q * N + v], sh[v].rank, sh[q].rank)]++;
            }
            for (uint32_t b = s[w]; b; b &= b - 1) {
                const int q = w * 32 + ccx_rec_ctz(b);
                out_g[ccx_lax_group(&lax[(size_t)v * N + q], sh[q].rank, sh[v].rank)]++;
            }
        }
    }
    if (!tensor && !real) {
        in_g[CCX_REC_GROUP_DENSE] = in;
        out_g[CCX_REC_GROUP_DENSE] = out;
    }
    for (int k = 0; k <= CCX_KIND_ELIMINATED; k++)
        f[CCX_OBS_F_KIND + k] = k == kind ? 1.0f : 0.0f;
    f[CCX_OBS_F_IN_DEGREE] = (float)in * CCX_OBS_DEGREE_SCALE;
    f[CCX_OBS_F_OUT_DEGREE] = (float)out * CCX_OBS_DEGREE_SCALE;
    f[CCX_OBS_F_MARKOWITZ] = (float)((int64_t)in * out) * CCX_OBS_MARKOWITZ_SCALE;
    int vertex = v - h->n_inputs + 1;
    f[CCX_OBS_F_VERTEX] = (kind != CCX_KIND_PADDING && kind != CCX_KIND_INPUT && h->n_vertices > 0)
                              ? (float)vertex / (float)h->n_vertices
                              : 0.0f;
    f[CCX_OBS_F_OP] = (float)ops[v];
    int64_t cost = 0, elements = 1;
    if (tensor) {
        ccx_rec_tables t = ccx_rec_tables_of_row(tab, N);
        if (kind == CCX_KIND_INTERMEDIATE)
            cost = ccx_rec_pairs(p, s, L->words, rec, N, &t, v, 0); /* apply = 0: reads only */
        if (kind != CCX_KIND_PADDING) elements = (int64_t)t.shape[2 * v] * t.shape[2 * v + 1];
    } else if (real) {
        if (kind == CCX_KIND_INTERMEDIATE)
            cost = ccx_lax_pairs(p, s, L->words, lax, N, sh, v, 0); /* apply = 0: reads only */
        if (kind != CCX_KIND_PADDING)
            for (int a = 0; a < sh[v].rank; a++) elements *= sh[v].d[a];
    } else if (kind == CCX_KIND_INTERMEDIATE) {
        cost = ccx_scalar_pair_cost(in, out);
    }
    f[CCX_OBS_F_LOG2_COST] = ccx_env_log2_feature(1 + cost);
    f[CCX_OBS_F_LOG2_ELEMENTS] = ccx_env_log2_feature(elements);
    for (int k = 0; k < CCX_REC_GROUPS; k++) {
        f[CCX_OBS_F_IN_GROUP + k] = (float)in_g[k] * CCX_OBS_DEGREE_SCALE;
        f[CCX_OBS_F_OUT_GROUP + k] = (float)out_g[k] * CCX_OBS_DEGREE_SCALE;
    }
}

/* The adjacency observation's value of r -> c in a slab of the record or
 * the real rule: 1 + the edge's type group, 0 if there is no edge (the
 * bitset rule: the bit). tab: the graph's table row (the real rule's shapes). */
CCX_DEV uint8_t ccx_env_adjacency_value(const uint32_t *slab, const ccx_env_layout *L,
                                                      const int32_t *tab, int r, int c) {
    const uint32_t *s = slab + L->off_succs + (size_t)r * L->words;
    if (!((s[c >> 5] >> (c & 31)) & 1u)) return 0;
    if (ccx_env_chdr(slab, L)->rule == CCX_ENV_RULE_REAL) {
        const ccx_lax *lax = (const ccx_lax *)(const void *)(slab + L->off_rec);
        const ccx_lax_shape *sh = ccx_env_lax_shapes(tab);
        return (uint8_t)(1 + ccx_lax_group(&lax[(size_t)r * L->n_pad + c], sh[c].rank, sh[r].rank));
    }
    const ccx_rec *rec = (const ccx_rec *)(const void *)(slab + L->off_rec);
    return (uint8_t)(1 + ccx_rec_group(rec[(size_t)r * L->n_pad + c].type));
}

/* Position of the n-th (0-based) set bit of x; n < popcount(x). */
CCX_HD int ccx_env_nth_bit(uint32_t x, uint32_t n) {
    int pos = 0;
    uint32_t c = (uint32_t)ccx_env_popcount(x & 0xffffu);
    if (n >= c) { n -= c; x >>= 16; pos += 16; }
    c = (uint32_t)ccx_env_popcount(x & 0xffu);
    if (n >= c) { n -= c; x >>= 8; pos += 8; }
    c = (uint32_t)ccx_env_popcount(x & 0xfu);
    if (n >= c) { n -= c; x >>= 4; pos += 4; }
    c = (uint32_t)ccx_env_popcount(x & 0x3u);
    if (n >= c) { n -= c; x >>= 2; pos += 2; }
    if (n >= (x & 1u)) pos += 1;
    return pos;
}

/* Index (0-based, increasing node order) -> node of the idx-th set bit of
 * the legal bitset [words]; -1 if there are fewer. The random policy's pick
 * (the cuda twin is warp_select in cuda/env_kernels.cu). */
CCX_HD int ccx_env_select_bit(const uint32_t *bits, int words, uint32_t idx) {
    for (int w = 0; w < words; w++) {
        uint32_t c = (uint32_t)ccx_env_popcount(bits[w]);
        if (idx < c) return w * 32 + ccx_env_nth_bit(bits[w], idx);
        idx -= c;
    }
    return -1;
}

#ifdef __cplusplus
}
#endif
#endif
