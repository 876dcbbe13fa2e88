/* Gumbel MuZero search (Danihelka et al., "Policy improvement by planning
 * with Gumbel", ICLR 2022; the formulas of DeepMind's mctx,
 * gumbel_muzero_policy) over B trees at once, on REAL environment
 * transitions: every node of every tree holds an env state (a snapshot slab
 * of host/env/env.h) and a child is made by restoring its parent's slab
 * into a scratch env batch and stepping it. One API, two backends: cpu (the
 * per-tree loop of host/az/gumbel_cpu.c) and cuda (cuda/gumbel_kernels.cu);
 * both run the per-tree logic of host/az/gumbel_tree.h, so for the same
 * evaluator outputs they agree bit for bit (actions, visits, targets).
 *
 * ---- one search ----------------------------------------------------------
 *   root:  snapshot + observe the B envs of `roots` (never modified), one
 *          evaluation -> prior logits (masked to the legal slots), raw value;
 *          Gumbel noise g[b][a] = gumbel_scale * -log(-log u), u from
 *          Philox4x32-10 = cuRAND curand_init(seed, subsequence =
 *          counter * 2^24 + b, offset 0) (distinct for every tree b < 2^24
 *          = CCX_ENV_MAX_ENVS and call counter < 2^40), one 32-bit draw r
 *          per slot a = 0..n_pad-1 in order, u = (2 * (r >> 9) + 1) / 2^24.
 *   S simulations, each for all B trees at once:
 *     select   root: sequential halving (mctx seq_halving) over the m =
 *              min(num_considered, legal) actions: the legal action with
 *              N(a) == considered_visit[m][sim] maximising
 *              max(-1e9, g(a) + logit(a) - max logit + sigma(cq)(a));
 *              interior: argmax_a pi'(a) - N(a) / (1 + sum_b N(b)) with
 *              pi' = softmax(logits + sigma(cq)) over the legal slots;
 *              down to an unexpanded (node, action) or to a terminal node.
 *     expand   restore the parents' slabs into the scratch batch, step the
 *              actions (node ids), snapshot the children, observe, evaluate
 *              the batch ONCE; the child gets reward = -cost * reward_scale,
 *              prior logits, raw value (0 if terminal: no legal action).
 *              A simulation that ends on a terminal node expands nothing and
 *              backs up 0 from it.
 *     backup   discount 1: every node on the path gets one visit and the
 *              leaf value plus the rewards below it added to its value sum.
 *   completed Q (mctx qtransform_completed_by_mix_value): q(a) = reward of
 *     child a + its mean value for visited a, else the mixed value
 *     v_mix = (raw value + sum N * sum_{visited} p(a) q(a) / sum_{visited} p(a))
 *             / (1 + sum N)      (p = prior softmax, at least FLT_MIN);
 *     rescale_values: min-max normalised over {q(a) : visited} U {v_mix}
 *     (mctx takes the min/max over every slot, and the unvisited slots --
 *     there always are some: the inputs -- hold v_mix), denominator at
 *     least 1e-8; sigma(q) = (maxvisit_init + max_a N(a)) * value_scale * q.
 *   outputs per tree (mctx gumbel_muzero_policy): action = the root action
 *     with the most visits maximising the root score above (-1 if the env
 *     is done); target_pi = softmax(prior logits + sigma(cq)) over the legal
 *     slots, exactly 0 elsewhere; root_value = the root's mean value (raw
 *     value and every backup, mctx's summary value); visits = N(a) of the
 *     root's children.
 *
 * Nodes: a tree has S + 1 node slots; as in mctx, the node made by
 * simulation s is slot s + 1 in every tree (a tree that expands nothing in
 * simulation s leaves that slot unused: visits 0, parent -1). So the
 * children made by one simulation are one contiguous row of slabs and the
 * scratch batch snapshots straight into it.
 *
 * Memory (backend): slabs (S + 1) * B * slab_words * 4 bytes; per node
 * n_pad children (int32) and prior logits (float) and n_pad / 8 bytes of
 * legal bits; the observation of B envs. For B = 1024, S = 64, n_pad =
 * 128: about 290 MB of slabs + 70 MB of tree.
 *
 * Exactness: the per-tree arithmetic is IEEE single precision with explicit
 * rounding (no fused multiply-add on the device; exp and log are the
 * polynomial ones of gumbel_tree.h, not the libraries'), so CPU and CUDA
 * agree bit for bit when the evaluator returns the same floats on both.
 * The real network does not (cuBLAS vs OpenBLAS), so with it the two
 * backends agree only to float rounding and may break near-ties apart. */
#ifndef CCX_AZ_GUMBEL_H
#define CCX_AZ_GUMBEL_H

#include <stddef.h>
#include <stdint.h>

#include "env/env.h"
#include "graph/graph.h"
#include "nn/nn.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int num_simulations; /* S, 1..65536 (per search) */
    int num_considered;  /* k, 1..4096: root actions sampled by Gumbel-top-k (mctx
                            max_num_considered_actions) */
    float gumbel_scale;  /* >= 0; 1 for training, 0: no noise (evaluation) */
    float value_scale;   /* > 0; mctx 0.1 */
    float maxvisit_init; /* >= 0; mctx 50 */
    int rescale_values;  /* 0/1; mctx 1 */
    float reward_scale;  /* > 0: reward = -cost * reward_scale (values are in these units) */
} ccx_gumbel_params;

/* S 32, k 16, gumbel 1, value_scale 0.1, maxvisit_init 50, rescale 1, reward_scale 1. */
void ccx_gumbel_params_default(ccx_gumbel_params *p);
/* 0, or -1 with err naming the bad field. */
int ccx_gumbel_params_validate(const ccx_gumbel_params *p, ccx_error *err);

/* The network evaluation the search calls once per simulation (and once for
 * the roots): obs is a batch of B observations in the backend's memory
 * (env.h layout: features, adjacency, legal; live NULL). Set *logits to
 * [B][obs->n_pad] and *value to [B] floats in the backend's memory; they
 * must stay valid until the next call and be complete when fn returns
 * (cuda: synchronise the stream that wrote them). Illegal slots may hold
 * anything (the search masks them itself). Returns 0, or -1 with err set. */
typedef int (*ccx_gumbel_eval_fn)(void *ctx, const ccx_nn_obs *obs, const float **logits,
                                  const float **value, ccx_error *err);
typedef struct {
    ccx_gumbel_eval_fn fn; /* NULL: uniform prior (all logits 0), value 0 */
    void *ctx;
} ccx_gumbel_evaluator;

/* The policy/value network as an evaluator (ccx_nn_forward_native +
 * ccx_nn_sync). Its backend must be the search's, its n_pad >= the envs'
 * and its max_batch >= B. */
ccx_gumbel_evaluator ccx_gumbel_nn_evaluator(ccx_nn *nn);

typedef struct ccx_gumbel ccx_gumbel;

/* B trees over envs of graphs[0..n_graphs-1] padded to n_pad (0: the
 * smallest multiple of 32), on backend; the roots passed to search must be
 * an env batch of B envs created with the same graphs, in the same order,
 * and the same n_pad. NULL with err set on failure. */
ccx_gumbel *ccx_gumbel_create(ccx_backend backend, const ccx_graph *const *graphs, int n_graphs,
                              int n_pad, int B, const ccx_gumbel_params *p,
                              ccx_gumbel_evaluator ev, ccx_error *err);
void ccx_gumbel_destroy(ccx_gumbel *g);
const ccx_gumbel_params *ccx_gumbel_params_of(const ccx_gumbel *g);

/* Search from the current states of the B envs of roots (not modified).
 * Host outputs, any may be NULL: action [B] (node id, -1 if the env is
 * done), target_pi [B][n_pad], root_value [B], visits [B][n_pad]. Vary
 * counter (or seed) between calls for fresh noise. */
int ccx_gumbel_search(ccx_gumbel *g, ccx_env *roots, uint64_t seed, uint64_t counter,
                      int32_t *action, float *target_pi, float *root_value, int32_t *visits,
                      ccx_error *err);

/* ---- inspection (tests, debugging) ----
 * A host copy of tree b of the last search. Slots: S + 1 nodes; node 0 is
 * the root; an unused slot has visits 0 and parent -1. children[x][a]: the
 * node reached by action (node id) a from x, -1 if unexpanded. */
typedef struct {
    int n_nodes, n_pad;
    int active;        /* 0 if the root's env was done */
    int n_considered;  /* m = min(num_considered, legal actions at the root) */
    int32_t *visits, *parent, *action, *depth, *terminal; /* [n_nodes] */
    float *value_sum, *raw_value, *reward;                /* [n_nodes] */
    int32_t *children;                                    /* [n_nodes][n_pad] */
    float *logits;     /* [n_nodes][n_pad], CCX_NN_MASKED_LOGIT at illegal slots */
    float *gumbel;     /* [n_pad] root noise (0 at illegal slots) */
} ccx_gumbel_tree;
int ccx_gumbel_get_tree(ccx_gumbel *g, int b, ccx_gumbel_tree *t, ccx_error *err);
void ccx_gumbel_tree_free(ccx_gumbel_tree *t);

/* mctx get_sequence_of_considered_visits(m, S): seq[0..S-1]. */
void ccx_gumbel_considered_visits(int m, int S, int32_t *seq);

#ifdef __cplusplus
}
#endif
#endif
