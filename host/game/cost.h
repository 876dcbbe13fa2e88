/* The price of a scalar elimination under AlphaGrad's model, the one place
 * it is written (docs/tensor_model.md: the paper's scalar tasks, §2 for the
 * tensor record rule in game/records.h): eliminating j with |P(j)| = n_pred
 * predecessors and |S(j)| = n_succ successors multiplies every p -> j partial
 * by every j -> s partial, one multiplication per (p, s) pair. Called by the
 * single game (game.c, eliminate.h), the batched CPU envs and their
 * observations (env/env.h), the CUDA env kernels (cuda/env_kernels.cu) and
 * the lower bound (search/bounds.c, on cut sizes instead of degrees). */
#ifndef CCX_GAME_COST_H
#define CCX_GAME_COST_H

#include <stdint.h>

#include "util/hd.h"

CCX_HD int64_t ccx_scalar_pair_cost(int64_t n_pred, int64_t n_succ) { return n_pred * n_succ; }

#endif
