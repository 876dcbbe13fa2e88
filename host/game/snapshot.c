/* Snapshots of the elimination game (game.h): save/load of the mutable
 * state, and the state reached by a set of eliminations. Used by the
 * searches (search/) for prefix caches and beam states. The cost rule is
 * not here: every elimination goes through ccx_game_step. */
#include <string.h>

#include "game/game.h"

size_t ccx_game_state_size(const ccx_game *game) {
    /* rows of padding nodes are always zero: only n_nodes rows are stored */
    return 2 * sizeof(int64_t) + 2 * (size_t)game->n_nodes * game->words * sizeof(uint32_t) +
           (size_t)game->n_nodes;
}

void ccx_game_save(const ccx_game *game, void *buf) {
    size_t rows = (size_t)game->n_nodes * game->words * sizeof(uint32_t);
    unsigned char *b = buf;
    int64_t meta[2] = {game->remaining, game->cost};
    memcpy(b, meta, sizeof meta);
    b += sizeof meta;
    memcpy(b, game->preds, rows);
    memcpy(b + rows, game->succs, rows);
    memcpy(b + 2 * rows, game->kind, (size_t)game->n_nodes);
}

void ccx_game_load(ccx_game *game, const void *buf) {
    size_t rows = (size_t)game->n_nodes * game->words * sizeof(uint32_t);
    const unsigned char *b = buf;
    int64_t meta[2];
    memcpy(meta, b, sizeof meta);
    b += sizeof meta;
    game->remaining = (int)meta[0];
    game->cost = meta[1];
    memcpy(game->preds, b, rows);
    memcpy(game->succs, b + rows, rows);
    memcpy(game->kind, b + 2 * rows, (size_t)game->n_nodes);
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
