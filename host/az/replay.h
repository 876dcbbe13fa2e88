/* The replay buffer of Gumbel AlphaZero: a host ring of training samples
 * (graph index, eliminated set, policy target, value target), uniform
 * sampling with the host PRNG (util/rng.h), and a binary file so a resumed
 * run keeps its buffer. A state is stored as its eliminated set (the state
 * of the elimination game depends only on the set, env.h), so a sample is
 * words + n_pad + 2 four-byte words whatever the graph; the trainer
 * rebuilds the states with ccx_replay_set_states (which uses
 * ccx_env_set_state_from_eliminated_set). On tensor graphs the records also
 * depend on the order, so a sample also keeps its episode's order (n_pad
 * u16) and the state is rebuilt by replaying the order's first |set|
 * eliminations: the observation is exactly the one the policy target was
 * searched on (a sample without an order, from a version-1 file, replays
 * its set in increasing order).
 *
 * File (little-endian):
 *   "CCXRPLY1"  8 bytes
 *   u32 version (2), u32 n_pad, u32 words, u32 0
 *   u64 capacity, u64 count (samples stored), u64 total (samples ever added)
 *   count samples, oldest first, each: i32 graph, u32 eliminated[words],
 *                                      u16 order[n_pad] (not in version 1),
 *                                      f32 pi[n_pad], f32 value
 *   32 bytes: SHA-256 of everything above
 * written atomically (util/file.h). Loading checks the length, magic,
 * version, sizes and digest and refuses a damaged file with a message. */
#ifndef CCX_AZ_REPLAY_H
#define CCX_AZ_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "env/env.h"
#include "util/error.h"
#include "util/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ccx_replay ccx_replay;

/* capacity >= 1 samples of n_pad slots (a multiple of 32, as env.h's);
 * memory: capacity * (n_pad / 32 + 1.5 n_pad + 2) * 4 bytes. */
ccx_replay *ccx_replay_create(size_t capacity, int n_pad, ccx_error *err);
void ccx_replay_free(ccx_replay *r);

size_t ccx_replay_capacity(const ccx_replay *r);
size_t ccx_replay_count(const ccx_replay *r);   /* samples held, <= capacity */
uint64_t ccx_replay_total(const ccx_replay *r); /* samples ever added */
int ccx_replay_n_pad(const ccx_replay *r);

/* Append n samples (overwriting the oldest when full): graph [n],
 * eliminated [n][n_pad/32] (env.h sets: bit k-1 = vertex k), pi
 * [n][n_pad], value [n]; host arrays. Refuses (adding nothing) a negative
 * graph index or a non-finite value. */
int ccx_replay_add(ccx_replay *r, int n, const int32_t *graph, const uint32_t *eliminated,
                   const float *pi, const float *value, ccx_error *err);

/* As ccx_replay_add, with each sample's episode order: orders [n][n_pad]
 * vertex numbers in the order played, 0 after the episode (NULL: none). */
int ccx_replay_add_ordered(ccx_replay *r, int n, const int32_t *graph, const uint32_t *eliminated,
                           const uint16_t *orders, const float *pi, const float *value,
                           ccx_error *err);
/* order [n_pad] <- sample i's episode order (all 0 when it has none). */
int ccx_replay_get_order(const ccx_replay *r, size_t i, uint16_t *order, ccx_error *err);

/* Copy sample i (0 = oldest held) into the outputs (any may be NULL). */
int ccx_replay_get(const ccx_replay *r, size_t i, int32_t *graph, uint32_t *eliminated,
                   float *pi, float *value, ccx_error *err);

/* n samples drawn uniformly with replacement (ccx_rng_below(count) each, in
 * order) into host arrays of the add layout (any may be NULL); idx [n]
 * (may be NULL) gets the positions drawn (0 = oldest). Refused when empty. */
int ccx_replay_sample(const ccx_replay *r, ccx_rng *rng, int n, int32_t *graph,
                      uint32_t *eliminated, float *pi, float *value, size_t *idx, ccx_error *err);

int ccx_replay_save(const ccx_replay *r, const char *path, ccx_error *err);
/* Replace r's contents with the file's (n_pad must match; if the file
 * holds more samples than r's capacity, the newest are kept). On failure r
 * is unchanged. */
int ccx_replay_load(ccx_replay *r, const char *path, ccx_error *err);

/* Put envs 0..n-1 of env (n <= its B) at the states of samples: env i plays
 * graph[i] (an index of env's graphs) with eliminated set sets[i] (host
 * [n][words]) and episode cost 0. An env currently on another graph is
 * first given the slab of an env of the batch that plays graph[i] (so some
 * env must). Host inputs; uses the env's backend memory. */
int ccx_replay_set_states(ccx_env *env, int n, const int32_t *graph, const uint32_t *sets,
                          ccx_error *err);
/* The same with the samples' episode orders ([n][n_pad], NULL: none): on a
 * batch with tensor graphs the state is rebuilt by replaying the order's
 * first |set| eliminations (the episode cost is then theirs, not 0). */
int ccx_replay_set_states_ordered(ccx_env *env, int n, const int32_t *graph, const uint32_t *sets,
                                  const uint16_t *orders, ccx_error *err);

#ifdef __cplusplus
}
#endif
#endif
