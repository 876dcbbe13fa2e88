// An independent implementation of AlphaGrad's tensor elimination
// (docs/tensor_model.md §2 and §4, written from the pseudo-code: 5-vector
// records, the explicit "old record" dims, tables read from
// tests/data/alphagrad/tables.json rather than graph/sparsity.h), for
// differential tests of the game's record path.
#ifndef CCX_TESTS_TENSOR_REF_H
#define CCX_TESTS_TENSOR_REF_H

#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

extern "C" {
#include <cjson/cJSON.h>

#include "game/game.h"
#include "graph/sparsity.h"
}

inline std::string slurp(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

struct JsonDoc {
    cJSON *root = nullptr;
    explicit JsonDoc(const std::string &path) { root = cJSON_Parse(slurp(path).c_str()); }
    ~JsonDoc() { cJSON_Delete(root); }
    const cJSON *get(const char *k) const { return cJSON_GetObjectItemCaseSensitive(root, k); }
};

inline std::vector<int32_t> int_list(const cJSON *a) {
    std::vector<int32_t> v;
    for (const cJSON *x = a ? a->child : nullptr; x; x = x->next) v.push_back((int32_t)x->valuedouble);
    return v;
}

// The three tables as AlphaGrad's JSON has them: CM[k][i][j], MUL[i][j], ADD[i][j].
struct Tables {
    int cm[6][22][22], mul[22][22], add[22][22];
    Tables() {
        JsonDoc d(data_path("alphagrad/tables.json"));
        EXPECT_TRUE(d.root);
        const cJSON *cmj = d.get("CONTRACTION_MAP"), *mj = d.get("MUL_SPARSITY_MAP"),
                    *aj = d.get("ADD_SPARSITY_MAP");
        for (int k = 0; k < 6; k++)
            for (int i = 0; i < 22; i++)
                for (int j = 0; j < 22; j++)
                    cm[k][i][j] = cJSON_GetArrayItem(cJSON_GetArrayItem(cJSON_GetArrayItem(cmj, k), i), j)
                                      ->valueint;
        for (int i = 0; i < 22; i++)
            for (int j = 0; j < 22; j++) {
                mul[i][j] = cJSON_GetArrayItem(cJSON_GetArrayItem(mj, i), j)->valueint;
                add[i][j] = cJSON_GetArrayItem(cJSON_GetArrayItem(aj, i), j)->valueint;
            }
    }
};
inline const Tables &tables() {
    static Tables t;
    return t;
}

// ---- the reference: docs/tensor_model.md §2 and §4, literally ----
using Rec = std::array<int64_t, 5>;  // type, o1, o2, p1, p2
struct RefGame {
    int nin, nv;
    std::vector<Rec> E;  // [(source node) * nv + target column]
    std::vector<int> mask;
    explicit RefGame(const ccx_graph *g) : nin(g->n_inputs), nv(g->n_vertices) {
        E.assign((size_t)(nin + nv) * nv, Rec{0, 0, 0, 0, 0});
        for (int i = 0; i < g->n_edges; i++) {
            const ccx_edge &e = g->edges[i];
            E[(size_t)e.src * nv + (e.dst - nin)] = {e.type, e.out_d[0], e.out_d[1], e.primal_d[0],
                                                     e.primal_d[1]};
        }
        mask.assign(nv, 0);
        for (int k = 0; k < g->n_outputs; k++) mask[g->outputs[k] - 1] = 1;
    }
    Rec &at(int r, int c) { return E[(size_t)r * nv + c]; }
    static int64_t pair_cost(const Rec &ei, const Rec &eo) {
        const Tables &t = tables();
        int i = (int)ei[0] + 10, j = (int)eo[0] + 10;
        int64_t F[6] = {eo[1], eo[2], std::llabs(eo[3]), std::llabs(eo[4]), ei[3], ei[4]};
        bool any = false;
        int64_t c = 1;
        for (int k = 0; k < 6; k++)
            if (t.cm[k][i][j]) {
                any = true;
                c *= F[k] > 0 ? F[k] : 1;
            }
        if (ei[0] == 10 && eo[0] == 10) return 1;
        return any ? c : 0;
    }
    int64_t eliminate(int v) {
        const Tables &t = tables();
        int R = nin + v - 1, C = v - 1;
        std::vector<int> preds, succs;
        for (int r = 0; r < nin + nv; r++)
            if (at(r, C)[0] != 0) preds.push_back(r);
        for (int s = 0; s < nv; s++)
            if (at(R, s)[0] != 0) succs.push_back(s);
        std::vector<Rec> ein;
        for (int p : preds) ein.push_back(at(p, C));
        int64_t cost = 0;
        for (int s : succs) {
            Rec eo = at(R, s);
            for (size_t k = 0; k < preds.size(); k++) {
                const Rec &ei = ein[k];
                cost += pair_cost(ei, eo);
                int tn = t.mul[ei[0] + 10][eo[0] + 10];
                Rec old = at(preds[k], s);
                int merged = t.add[old[0] + 10][tn + 10];
                int64_t o1 = ei[2] != 0 ? eo[1] : old[1], o2 = ei[2] != 0 ? eo[2] : old[2];
                int64_t q1 = ei[4] != 0 ? ei[3] : old[3], q2 = ei[4] != 0 ? ei[4] : old[4];
                at(preds[k], s) = {merged, o1, o2, q1, q2};
            }
        }
        for (int s = 0; s < nv; s++) at(R, s) = {0, 0, 0, 0, 0};
        for (int r = 0; r < nin + nv; r++) at(r, C) = {0, 0, 0, 0, 0};
        mask[C] = 1;
        return cost;
    }
    static int64_t count(const Rec &e, bool row) {
        if (e[0] == 1) return row ? e[3] * e[4] : e[1] * e[2];
        if (e[0] == 6 || e[0] == 7 || e[0] == 8) return 1;
        if (e[0] == -1 || e[0] == 0 || e[0] == 3 || e[0] == 4) return e[1];
        return e[2];
    }
    int64_t degree(int v) {  // §4, for an unmasked v
        int64_t out = 0, in = 0;
        for (int s = 0; s < nv; s++) out += count(at(nin + v - 1, s), true);
        for (int r = 0; r < nin + nv; r++) in += count(at(r, v - 1), false);
        return out * in;
    }
};

// The game's record r -> c as a 5-vector (zeros when there is no edge).
inline Rec game_record(const ccx_game &g, int r, int c) {
    int t = g.rec[(size_t)r * g.n_pad + c].type;
    if (!t) return {0, 0, 0, 0, 0};
    const int32_t *pd = g.pdims + 2 * (g.pvar_off[r] + g.rec[(size_t)r * g.n_pad + c].var);
    return {t, g.shape[2 * c], g.shape[2 * c + 1], pd[0], pd[1]};
}

#endif
