// Helpers for the batched-environment suites (test_env.cc, test_env_cuda.cc):
// an EnvRunner that drives either backend with host vectors (it allocates
// backend buffers, uploads, calls, downloads), graph and order generators.
#ifndef CCX_ENV_TEST_UTIL_H
#define CCX_ENV_TEST_UTIL_H

#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "test_util.h"

extern "C" {
#include "env/env.h"
#include "game/game.h"
#include "lang/gen.h"
#include "lang/tensor_gen.h"
}

// A generated graph: n_inputs inputs, mid intermediates, n_out outputs.
inline GraphPtr gen_graph(int n_inputs, int mid, int n_out, uint64_t seed) {
    ccx_gen_params p;
    ccx_gen_defaults(&p);
    p.n_inputs = n_inputs;
    p.n_intermediates = mid;
    p.n_outputs = n_out;
    p.seed = seed;
    ccx_error err;
    char *text = ccx_gen_task(&p, &err);
    if (!text) return GraphPtr();
    GraphPtr g = parse_task(text, &err, "gen.ccx");
    free(text);
    return g;
}

// A paper task by name, scalar (NAME.ccx) or tensor (NAME.graph.json).
inline GraphPtr named_task(const std::string &name) {
    char path[4096];
    ccx_error err;
    if (ccx_task_resolve(name.c_str(), path, sizeof path, &err)) return GraphPtr();
    return load_graph(path, &err);
}

inline const char *const kTenTasks[] = {"RoeFlux_1d", "RobotArm_6DOF", "HumanHeartDipole",
                                        "PropaneCombustion", "RoeFlux_3d", "BlackScholes_Jacobian",
                                        "Encoder", "Perceptron", "f", "g"};
inline const char *const kTensorTasks[] = {"RoeFlux_3d", "BlackScholes_Jacobian", "Encoder",
                                           "Perceptron", "f", "g"};

// A random tensor program (`ccx gen --tensor`) with mid intermediates.
inline GraphPtr gen_tensor_graph(int mid, uint64_t seed) {
    ccx_tensor_gen_params p;
    ccx_tensor_gen_defaults(&p);
    p.n_intermediates = mid;
    p.seed = seed;
    ccx_error err;
    return GraphPtr(ccx_tensor_gen(&p, &err));
}

inline std::vector<int32_t> intermediates_of(const ccx_graph *g) {
    std::vector<int32_t> v;
    for (int k = 1; k <= g->n_vertices; k++)
        if (!g->vertices[k - 1].is_output) v.push_back(k);
    return v;
}

inline std::vector<int32_t> random_order(const ccx_graph *g, std::mt19937 &rng) {
    std::vector<int32_t> o = intermediates_of(g);
    std::shuffle(o.begin(), o.end(), rng);
    return o;
}

// One backend buffer, freed on scope exit.
struct BackendBuf {
    const ccx_env *env = nullptr;
    void *p = nullptr;
    BackendBuf(const ccx_env *e, size_t bytes) : env(e) {
        ccx_error err;
        p = ccx_env_buf_alloc(e, bytes, &err);
    }
    ~BackendBuf() { ccx_env_buf_free(env, p); }
    BackendBuf(const BackendBuf &) = delete;
    BackendBuf &operator=(const BackendBuf &) = delete;
    template <class T> T *as() const { return static_cast<T *>(p); }
};

// Drives one batch with host vectors. Every call returns the ccx return code
// and leaves the message of a failure in `msg`.
class EnvRunner {
  public:
    ccx_env *env = nullptr;
    std::string msg;

    EnvRunner(ccx_backend bk, const std::vector<const ccx_graph *> &graphs, int B,
              const std::vector<int32_t> &goe = {}, int n_pad = 0) {
        ccx_error err;
        env = ccx_env_create(bk, B, graphs.data(), (int)graphs.size(),
                             goe.empty() ? nullptr : goe.data(), n_pad, &err);
        if (!env) msg = err.msg;
    }
    ~EnvRunner() { ccx_env_destroy(env); }
    EnvRunner(const EnvRunner &) = delete;
    EnvRunner &operator=(const EnvRunner &) = delete;

    const ccx_env_layout &L() const { return *ccx_env_get_layout(env); }
    int B() const { return L().n_envs; }

    template <class T> void up(BackendBuf &b, const std::vector<T> &v) {
        ccx_error err;
        if (!v.empty() && ccx_env_upload(env, b.p, v.data(), v.size() * sizeof(T), &err))
            msg = err.msg;
    }
    template <class T> std::vector<T> down(const BackendBuf &b, size_t n) {
        std::vector<T> v(n);
        ccx_error err;
        if (n && ccx_env_download(env, v.data(), b.p, n * sizeof(T), &err)) msg = err.msg;
        return v;
    }
    template <class T> std::unique_ptr<BackendBuf> put(const std::vector<T> &v) {
        auto b = std::make_unique<BackendBuf>(env, std::max<size_t>(1, v.size()) * sizeof(T));
        up(*b, v);
        return b;
    }
    int rc(int r, const ccx_error &err) {
        if (r) msg = err.msg;
        return r;
    }

    std::vector<uint32_t> state() {
        size_t n = (size_t)B() * L().slab_words;
        std::vector<uint32_t> v(n);
        ccx_error err;
        if (ccx_env_download(env, v.data(), ccx_env_state(env), n * 4, &err)) msg = err.msg;
        return v;
    }
    int reset(const std::vector<uint8_t> &mask = {}) {
        ccx_error err;
        if (mask.empty()) return rc(ccx_env_reset(env, nullptr, &err), err);
        auto m = put(mask);
        return rc(ccx_env_reset(env, m->as<uint8_t>(), &err), err);
    }
    int step(const std::vector<int32_t> &actions, std::vector<int64_t> *cost = nullptr,
             std::vector<uint8_t> *done = nullptr, unsigned flags = 0) {
        auto a = put(actions);
        BackendBuf c(env, (size_t)B() * 8), d(env, (size_t)B());
        // poison the outputs: a refused call must leave them alone
        up(c, std::vector<int64_t>(B(), -7));
        up(d, std::vector<uint8_t>(B(), 7));
        ccx_error err;
        int r = rc(ccx_env_step(env, a->as<int32_t>(), c.as<int64_t>(), d.as<uint8_t>(), flags, &err), err);
        if (cost) *cost = down<int64_t>(c, B());
        if (done) *done = down<uint8_t>(d, B());
        return r;
    }
    int legal_mask(std::vector<uint8_t> *mask, const std::vector<int32_t> *ids = nullptr,
                   unsigned flags = 0) {
        int n = ids ? (int)ids->size() : B();
        auto i = ids ? put(*ids) : nullptr;
        BackendBuf m(env, (size_t)std::max(n, 1) * L().n_pad);
        ccx_error err;
        int r = rc(ccx_env_legal_mask(env, i ? i->as<int32_t>() : nullptr, n, m.as<uint8_t>(), flags, &err), err);
        *mask = down<uint8_t>(m, (size_t)n * L().n_pad);
        return r;
    }
    int observe(std::vector<float> *feat, std::vector<uint8_t> *adj,
                const std::vector<int32_t> *ids = nullptr, unsigned flags = 0) {
        int n = ids ? (int)ids->size() : B();
        auto i = ids ? put(*ids) : nullptr;
        size_t nf = (size_t)n * L().n_pad * CCX_OBS_FEATURES, na = (size_t)n * L().n_pad * L().n_pad;
        BackendBuf f(env, std::max<size_t>(nf, 1) * 4), a(env, std::max<size_t>(na, 1));
        ccx_error err;
        int r = rc(ccx_env_observe(env, i ? i->as<int32_t>() : nullptr, n,
                                   feat ? f.as<float>() : nullptr, adj ? a.as<uint8_t>() : nullptr,
                                   flags, &err), err);
        if (feat) *feat = down<float>(f, nf);
        if (adj) *adj = down<uint8_t>(a, na);
        return r;
    }
    void info(std::vector<int64_t> *cost, std::vector<int32_t> *rem = nullptr,
              std::vector<int32_t> *graph = nullptr) {
        BackendBuf c(env, (size_t)B() * 8), r(env, (size_t)B() * 4), g(env, (size_t)B() * 4);
        ccx_error err;
        if (ccx_env_get_info(env, c.as<int64_t>(), r.as<int32_t>(), g.as<int32_t>(), &err)) msg = err.msg;
        if (cost) *cost = down<int64_t>(c, B());
        if (rem) *rem = down<int32_t>(r, B());
        if (graph) *graph = down<int32_t>(g, B());
    }
    int snapshot(const std::vector<int32_t> &ids, std::vector<uint32_t> *buf, unsigned flags = 0) {
        auto i = put(ids);
        size_t n = ids.size() * L().slab_words;
        BackendBuf b(env, std::max<size_t>(n, 1) * 4);
        ccx_error err;
        int r = rc(ccx_env_snapshot(env, i->as<int32_t>(), (int)ids.size(), b.as<uint32_t>(), flags, &err), err);
        *buf = down<uint32_t>(b, n);
        return r;
    }
    int restore(const std::vector<int32_t> &ids, const std::vector<uint32_t> &buf, unsigned flags = 0) {
        auto i = put(ids);
        auto b = put(buf);
        ccx_error err;
        return rc(ccx_env_restore(env, i->as<int32_t>(), (int)ids.size(), b->as<uint32_t>(), flags, &err), err);
    }
    int set_eliminated(const std::vector<int32_t> &ids, const std::vector<uint32_t> &sets,
                       const std::vector<int64_t> &costs = {}, unsigned flags = 0) {
        auto i = put(ids);
        auto s = put(sets);
        auto c = put(costs);
        ccx_error err;
        return rc(ccx_env_set_state_from_eliminated_set(env, i->as<int32_t>(), (int)ids.size(),
                                                        s->as<uint32_t>(),
                                                        costs.empty() ? nullptr : c->as<int64_t>(),
                                                        flags, &err), err);
    }
    int get_eliminated(const std::vector<int32_t> &ids, std::vector<uint32_t> *sets, unsigned flags = 0) {
        auto i = put(ids);
        size_t n = ids.size() * L().words;
        BackendBuf s(env, std::max<size_t>(n, 1) * 4);
        ccx_error err;
        int r = rc(ccx_env_get_eliminated_set(env, i->as<int32_t>(), (int)ids.size(), s.as<uint32_t>(), flags, &err), err);
        *sets = down<uint32_t>(s, n);
        return r;
    }
    int play_random(uint64_t seed, std::vector<int32_t> *actions = nullptr,
                    const std::vector<uint8_t> &mask = {}) {
        auto m = put(mask);
        size_t n = (size_t)B() * L().n_pad;
        BackendBuf a(env, n * 4);
        ccx_error err;
        int r = rc(ccx_env_play_random(env, mask.empty() ? nullptr : m->as<uint8_t>(), seed,
                                       actions ? a.as<int32_t>() : nullptr, &err), err);
        if (actions) *actions = down<int32_t>(a, n);
        return r;
    }
    int play_orders(const std::vector<int32_t> &orders, unsigned flags = 0,
                    const std::vector<uint8_t> &mask = {}) {
        auto o = put(orders);
        auto m = put(mask);
        ccx_error err;
        return rc(ccx_env_play_orders(env, mask.empty() ? nullptr : m->as<uint8_t>(), o->as<int32_t>(),
                                      flags, &err), err);
    }
    int sync() {
        ccx_error err;
        return rc(ccx_env_sync(env, &err), err);
    }
};

// The baseline orders 0..n-1 (forward, reverse, Markowitz, ...) of g played
// as fused given orders on the cpu backend: their costs (empty on failure,
// *msg says why).
inline std::vector<int64_t> play_baseline_costs(const ccx_graph *g, int n, std::string *msg) {
    EnvRunner r(CCX_BACKEND_CPU, {g}, n);
    if (!r.env) {
        *msg = r.msg;
        return {};
    }
    const int NP = r.L().n_pad;
    std::vector<int32_t> orders((size_t)n * NP, 0);
    for (int b = 0; b < n; b++) {
        ccx_error err;
        if (ccx_baseline_order(g, (ccx_baseline)b, &orders[(size_t)b * NP], &err) < 0) {
            *msg = err.msg;
            return {};
        }
    }
    if (r.play_orders(orders)) {
        *msg = r.msg;
        return {};
    }
    std::vector<int64_t> cost;
    r.info(&cost);
    return cost;
}

#endif
