/* libFuzzer target for graph files (io/graph_file.h): any byte string must
 * either load as a graph or fail with an error -- never crash, hang, leak or
 * hit UB. A graph that loads must survive the game (a few eliminations,
 * snapshots) and write back to a file that loads as the same graph (hash).
 * Built only with -DCCX_FUZZ=ON (clang); see scripts/test.sh. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "game/game.h"
#include "graph/graph.h"
#include "io/graph_file.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ccx_error err;
    ccx_error_clear(&err);
    /* data is not NUL-terminated: the reader must honour len */
    ccx_graph *g = ccx_graph_file_parse((const char *)data, size, "fuzz.graph.json", &err);
    if (!g) return 0;
    char h1[65], h2[65];
    ccx_graph_sha256(g, h1);
    char *text = ccx_graph_file_to_json(g);
    if (text) {
        ccx_graph *back = ccx_graph_file_parse(text, strlen(text), "back.graph.json", &err);
        if (!back) abort(); /* what ccx writes, ccx must read */
        ccx_graph_sha256(back, h2);
        if (strcmp(h1, h2) != 0) abort();
        ccx_graph_free(back);
        free(text);
    }
    ccx_game game;
    if (ccx_graph_n_nodes(g) <= 256 && ccx_game_init(&game, g, &err) == 0) {
        unsigned char *snap = malloc(ccx_game_state_size(&game));
        int steps = 0;
        for (int k = g->n_vertices; k >= 1 && steps < 16; k--) {
            if (!ccx_game_is_legal(&game, k)) continue;
            ccx_game_elim_cost(&game, k);
            ccx_game_alphagrad_degree(&game, k);
            if (snap && steps == 3) ccx_game_save(&game, snap);
            ccx_game_step(&game, k);
            steps++;
        }
        if (snap && steps > 3) {
            ccx_game_load(&game, snap);
            (void)ccx_game_graph_hash(&game);
        }
        free(snap);
        ccx_game_free(&game);
    }
    ccx_graph_free(g);
    return 0;
}
