/* Snapshots of the elimination game (game.h): save/load of the mutable
 * state, comparison and hashing of the graph part, and the state reached by
 * a set of eliminations. Used by the searches (search/) for prefix caches,
 * beam states and exact-search keys. The cost rule is not here: every
 * elimination goes through ccx_game_step.
 *
 * Layout: int64 remaining, int64 cost, then the graph part: preds and succs
 * rows, kinds, and on tensor graphs the costly rows and the record rows
 * (rec), and under the real model the real-model edges (lax). Only the n_nodes rows of each matrix are stored (the rows
 * of padding nodes are always zero). */
#include <string.h>

#include "game/game.h"

static size_t bit_rows(const ccx_game *g) { return (size_t)g->n_nodes * g->words * sizeof(uint32_t); }
static size_t rec_rows(const ccx_game *g) { return (size_t)g->n_nodes * g->n_pad * sizeof(ccx_rec); }
static size_t lax_rows(const ccx_game *g) { return (size_t)g->n_nodes * g->n_pad * sizeof(ccx_lax); }

static size_t graph_part_size(const ccx_game *g) {
    size_t n = 2 * bit_rows(g) + (size_t)g->n_nodes;
    if (g->tensor) n += 2 * bit_rows(g) + rec_rows(g);
    if (g->lax) n += lax_rows(g);
    return n;
}

size_t ccx_game_state_size(const ccx_game *game) {
    return 2 * sizeof(int64_t) + graph_part_size(game);
}

/* The graph part as (pointer, size) pieces, in buffer order. */
static int pieces(const ccx_game *g, const void *ptr[8], size_t size[8]) {
    int n = 0;
    ptr[n] = g->preds; size[n++] = bit_rows(g);
    ptr[n] = g->succs; size[n++] = bit_rows(g);
    ptr[n] = g->kind; size[n++] = (size_t)g->n_nodes;
    if (g->tensor) {
        ptr[n] = g->costly_preds; size[n++] = bit_rows(g);
        ptr[n] = g->costly_succs; size[n++] = bit_rows(g);
        ptr[n] = g->rec; size[n++] = rec_rows(g);
    }
    if (g->lax) { ptr[n] = g->lax; size[n++] = lax_rows(g); }
    return n;
}

void ccx_game_save(const ccx_game *game, void *buf) {
    unsigned char *b = buf;
    int64_t meta[2] = {game->remaining, game->cost};
    memcpy(b, meta, sizeof meta);
    b += sizeof meta;
    const void *ptr[8];
    size_t size[8];
    for (int i = 0, n = pieces(game, ptr, size); i < n; i++) {
        memcpy(b, ptr[i], size[i]);
        b += size[i];
    }
}

void ccx_game_load(ccx_game *game, const void *buf) {
    const unsigned char *b = buf;
    int64_t meta[2];
    memcpy(meta, b, sizeof meta);
    b += sizeof meta;
    game->remaining = (int)meta[0];
    game->cost = meta[1];
    const void *ptr[8];
    size_t size[8];
    for (int i = 0, n = pieces(game, ptr, size); i < n; i++) {
        memcpy((void *)ptr[i], b, size[i]);
        b += size[i];
    }
}

int ccx_game_same_graph(const ccx_game *game, const void *buf) {
    const unsigned char *b = (const unsigned char *)buf + 2 * sizeof(int64_t);
    const void *ptr[8];
    size_t size[8];
    for (int i = 0, n = pieces(game, ptr, size); i < n; i++) {
        if (memcmp(b, ptr[i], size[i]) != 0) return 0;
        b += size[i];
    }
    return 1;
}

uint64_t ccx_game_graph_hash(const ccx_game *game) {
    /* 64-bit FNV-1a over 8-byte words, with a final avalanche */
    uint64_t h = 0xcbf29ce484222325ull;
    const void *ptr[8];
    size_t size[8];
    for (int i = 0, n = pieces(game, ptr, size); i < n; i++) {
        const unsigned char *p = ptr[i];
        size_t k = 0;
        for (; k + 8 <= size[i]; k += 8) {
            uint64_t w;
            memcpy(&w, p + k, 8);
            h = (h ^ w) * 0x100000001b3ull;
        }
        for (; k < size[i]; k++) h = (h ^ p[k]) * 0x100000001b3ull;
        h ^= (uint64_t)size[i];
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

int64_t ccx_game_set_eliminated(ccx_game *game, const uint8_t *eliminated) {
    ccx_game_reset(game);
    for (int k = 1; k <= game->n_vertices; k++) {
        if (!eliminated[k - 1]) continue;
        if (ccx_game_step(game, k) < 0) {
            ccx_game_reset(game);
            return -1;
        }
    }
    return game->cost;
}
