// Helpers for the Gumbel search suites (test_gumbel.cc, test_gumbel_cuda.cc):
// a search wrapper with host outputs, a deterministic evaluator that works on
// either backend, and the exhaustive optimum of a small graph.
#ifndef CCX_GUMBEL_TEST_UTIL_H
#define CCX_GUMBEL_TEST_UTIL_H

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "env_test_util.h"

extern "C" {
#include "az/gumbel.h"
#include "game/game.h"
}

// A deterministic, non-trivial evaluator computed on the host from the
// observation (downloaded from the backend, outputs uploaded back), so it
// returns the same floats on cpu and cuda: prefer low-Markowitz vertices,
// value = -(sum of Markowitz degrees of legal vertices) / 4.
struct HostEval {
    const ccx_env *env = nullptr;  // any env of the backend (for memory transfers)
    int B = 0, N = 0;
    void *d_logits = nullptr, *d_value = nullptr;
    std::vector<float> f, logits, value;
    int calls = 0;

    HostEval(const ccx_env *e, int B_, int N_) : env(e), B(B_), N(N_) {
        ccx_error err;
        d_logits = ccx_env_buf_alloc(env, (size_t)B * N * 4, &err);
        d_value = ccx_env_buf_alloc(env, (size_t)B * 4, &err);
        f.resize((size_t)B * N * CCX_OBS_FEATURES);
        logits.resize((size_t)B * N);
        value.resize(B);
    }
    ~HostEval() {
        ccx_env_buf_free(env, d_logits);
        ccx_env_buf_free(env, d_value);
    }
    HostEval(const HostEval &) = delete;
    HostEval &operator=(const HostEval &) = delete;

    static int fn(void *ctx, const ccx_nn_obs *obs, const float **lo, const float **va,
                  ccx_error *err) {
        HostEval *h = static_cast<HostEval *>(ctx);
        h->calls++;
        if (obs->batch != h->B || obs->n_pad != h->N) return ccx_error_set(err, "HostEval: bad shape");
        if (ccx_env_download(h->env, h->f.data(), obs->features, h->f.size() * 4, err)) return -1;
        for (int b = 0; b < h->B; b++) {
            float v = 0;
            for (int i = 0; i < h->N; i++) {
                const float *x = &h->f[((size_t)b * h->N + i) * CCX_OBS_FEATURES];
                const float mk = x[CCX_OBS_F_MARKOWITZ];
                h->logits[(size_t)b * h->N + i] =
                    -8.0f * mk + 0.25f * x[CCX_OBS_F_VERTEX] + 0.01f * (float)(i % 7);
                if (x[CCX_OBS_F_KIND + CCX_KIND_INTERMEDIATE] == 1.0f) v -= mk * 64.0f;
            }
            h->value[b] = v;
        }
        if (ccx_env_upload(h->env, h->d_logits, h->logits.data(), h->logits.size() * 4, err) ||
            ccx_env_upload(h->env, h->d_value, h->value.data(), h->value.size() * 4, err))
            return -1;
        *lo = static_cast<const float *>(h->d_logits);
        *va = static_cast<const float *>(h->d_value);
        return 0;
    }
    ccx_gumbel_evaluator evaluator() { return ccx_gumbel_evaluator{fn, this}; }
};

struct GumbelPtr {
    ccx_gumbel *g = nullptr;
    std::string msg;
    GumbelPtr(ccx_backend bk, const std::vector<const ccx_graph *> &graphs, int B,
              const ccx_gumbel_params &p, ccx_gumbel_evaluator ev = {nullptr, nullptr}, int n_pad = 0) {
        ccx_error err;
        g = ccx_gumbel_create(bk, graphs.data(), (int)graphs.size(), n_pad, B, &p, ev, &err);
        if (!g) msg = err.msg;
    }
    ~GumbelPtr() { ccx_gumbel_destroy(g); }
    GumbelPtr(const GumbelPtr &) = delete;
    GumbelPtr &operator=(const GumbelPtr &) = delete;
};

struct SearchOut {
    std::vector<int32_t> action, visits;
    std::vector<float> pi, value;
    bool operator==(const SearchOut &o) const {
        return action == o.action && visits == o.visits && pi == o.pi && value == o.value;
    }
};

// A small policy/value network for evaluator tests (n_pad slots).
inline ccx_nn_config tiny_net_config(int n_pad) {
    ccx_nn_config c = ccx_nn_config_default();
    c.n_pad = n_pad;
    c.dim = 16;
    c.n_layers = 1;
    c.n_heads = 2;
    c.mlp_dim = 32;
    c.value_dim = 8;
    return c;
}

inline int run_search(ccx_gumbel *g, ccx_env *roots, uint64_t seed, uint64_t counter, SearchOut *o,
                      std::string *msg = nullptr) {
    const ccx_env_layout *L = ccx_env_get_layout(roots);
    size_t B = L->n_envs, N = L->n_pad;
    o->action.assign(B, -7);
    o->visits.assign(B * N, -7);
    o->pi.assign(B * N, -7.0f);
    o->value.assign(B, -7.0f);
    ccx_error err;
    int rc = ccx_gumbel_search(g, roots, seed, counter, o->action.data(), o->pi.data(),
                               o->value.data(), o->visits.data(), &err);
    if (rc && msg) *msg = err.msg;
    return rc;
}

// Exhaustive optimum of the elimination game (dynamic programming over
// eliminated sets; the state depends only on the set).
inline int64_t exhaustive_optimum(const ccx_graph *g) {
    std::vector<int> vert;
    for (int k = 1; k <= g->n_vertices; k++)
        if (!g->vertices[k - 1].is_output) vert.push_back(k);
    int m = (int)vert.size();
    size_t full = (size_t)1 << m;
    ccx_game game;
    ccx_error err;
    if (ccx_game_init(&game, g, &err)) return -1;
    std::vector<uint8_t> mask(g->n_vertices);
    const int64_t INF = INT64_MAX / 4;
    std::vector<int64_t> reach(full, INF);
    reach[0] = 0;
    for (size_t S = 0; S < full; S++) {
        std::fill(mask.begin(), mask.end(), 0);
        for (int i = 0; i < m; i++)
            if (S >> i & 1) mask[vert[i] - 1] = 1;
        ccx_game_set_eliminated(&game, mask.data());
        for (int i = 0; i < m; i++)
            if (!(S >> i & 1)) {
                size_t T = S | (size_t)1 << i;
                reach[T] = std::min(reach[T], reach[S] + ccx_game_elim_cost(&game, vert[i]));
            }
    }
    ccx_game_free(&game);
    return reach[full - 1];
}

#endif
