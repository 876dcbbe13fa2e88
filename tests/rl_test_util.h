// Helpers for the rl_ops suites (test_rl_ops.cc, test_rl_ops_cuda.cc): a
// runner that drives either backend of host/rl/rl_ops.h with host vectors
// (it allocates backend buffers through an env of that backend, uploads,
// calls, downloads), input generators, and double-precision references of
// the two losses.
#ifndef CCX_RL_TEST_UTIL_H
#define CCX_RL_TEST_UTIL_H

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "env_test_util.h"

extern "C" {
#include "nn/model.h"
#include "rl/rl_ops.h"
}

constexpr float kMask = CCX_NN_MASKED_LOGIT;

// One backend: a one-env batch (only for its backend, memory and stream)
// and a ccx_rl on it.
class RlRunner {
  public:
    GraphPtr graph;
    ccx_env *env = nullptr;
    ccx_rl *rl = nullptr;
    std::string msg;  // the message of the last failure

    RlRunner(ccx_backend bk, int max_rows, int n_pad) {
        graph = gen_graph(2, 4, 1, 7);
        ccx_error err;
        const ccx_graph *gs[1] = {graph.get()};
        env = ccx_env_create(bk, 1, gs, 1, nullptr, 0, &err);
        if (!env) {
            msg = err.msg;
            return;
        }
        rl = ccx_rl_create(env, max_rows, n_pad, &err);
        if (!rl) msg = err.msg;
    }
    ~RlRunner() {
        for (void *p : bufs_) ccx_env_buf_free(env, p);
        ccx_rl_free(rl);
        ccx_env_destroy(env);
    }
    RlRunner(const RlRunner &) = delete;
    RlRunner &operator=(const RlRunner &) = delete;

    // backend buffer of n items (freed with the runner); nullptr for n == 0
    template <class T> T *alloc(size_t n) {
        if (!n) return nullptr;
        ccx_error err;
        void *p = ccx_env_buf_alloc(env, n * sizeof(T), &err);
        if (p) bufs_.push_back(p);
        return static_cast<T *>(p);
    }
    // a backend copy of v; nullptr for an empty v
    template <class T> T *up(const std::vector<T> &v) {
        T *p = alloc<T>(v.size());
        ccx_error err;
        if (p) ccx_env_upload(env, p, v.data(), v.size() * sizeof(T), &err);
        return p;
    }
    template <class T> std::vector<T> down(const T *p, size_t n) {
        std::vector<T> v(n);
        ccx_error err;
        if (n) ccx_env_download(env, v.data(), p, n * sizeof(T), &err);
        return v;
    }

  private:
    std::vector<void *> bufs_;
};

// ------------------------------------------------------------- sampling --
struct SampleOut {
    int rc = -1;
    std::string msg;
    std::vector<int32_t> actions;
    std::vector<float> logp;
};

inline SampleOut run_sample(RlRunner &r, const std::vector<float> &logits, int n, int N,
                            float T, uint64_t seed, uint64_t offset, int greedy) {
    SampleOut o;
    const float *dl = r.up(logits);
    int32_t *da = r.alloc<int32_t>((size_t)n);
    float *dp = r.alloc<float>((size_t)n);
    ccx_error err;
    o.rc = ccx_rl_sample(r.rl, dl, n, N, T, seed, offset, greedy, da, dp, &err);
    if (o.rc) o.msg = err.msg;
    o.actions = r.down(da, (size_t)n);
    o.logp = r.down(dp, (size_t)n);
    return o;
}

// ----------------------------------------------------------------- losses --
struct PpoIn {
    int n = 0, N = 0;
    ccx_ppo_loss_params hp = {0.2f, 0.5f, 0.01f, 1.0f};
    std::vector<float> logits, values;                    // [n][N], [n]
    std::vector<int32_t> idx;                             // [n] or empty
    std::vector<int32_t> actions;                         // [M] (M = n without idx)
    std::vector<float> old_logp, adv, returns;            // [M]
    std::vector<uint8_t> valid;                           // [M] or empty
};

struct AzIn {
    int n = 0, N = 0;
    float value_weight = 1.0f, weight = 1.0f;
    std::vector<float> logits, values;  // [n][N], [n]
    std::vector<int32_t> idx;           // [n] or empty
    std::vector<float> pi, z;           // [M][N], [M]
};

struct LossOut {
    int rc = -1;
    std::string msg;
    std::vector<float> dlogits, dvalue;
    ccx_ppo_loss_stats stats = {0, 0, 0, 0, 0, 0};
};

inline LossOut run_ppo(RlRunner &r, const PpoIn &in, const ccx_ppo_loss_stats *start = nullptr) {
    LossOut o;
    if (start) o.stats = *start;
    const size_t nN = (size_t)in.n * (size_t)in.N;
    float *dl = r.alloc<float>(nN), *dv = r.alloc<float>((size_t)in.n);
    ccx_error err;
    o.rc = ccx_rl_ppo_loss(r.rl, &in.hp, r.up(in.logits), r.up(in.values), in.n, in.N,
                           r.up(in.idx), r.up(in.actions), r.up(in.old_logp), r.up(in.adv),
                           r.up(in.returns), r.up(in.valid), dl, dv, &o.stats, &err);
    if (o.rc) o.msg = err.msg;
    o.dlogits = r.down(dl, nN);
    o.dvalue = r.down(dv, (size_t)in.n);
    return o;
}

inline LossOut run_az(RlRunner &r, const AzIn &in) {
    LossOut o;
    const size_t nN = (size_t)in.n * (size_t)in.N;
    float *dl = r.alloc<float>(nN), *dv = r.alloc<float>((size_t)in.n);
    ccx_error err;
    o.rc = ccx_rl_az_loss(r.rl, r.up(in.logits), r.up(in.values), in.n, in.N, r.up(in.idx),
                          r.up(in.pi), r.up(in.z), in.value_weight, in.weight, dl, dv, &o.stats,
                          &err);
    if (o.rc) o.msg = err.msg;
    o.dlogits = r.down(dl, nN);
    o.dvalue = r.down(dv, (size_t)in.n);
    return o;
}

// ------------------------------------------------------------- generators --
// logits [n][N] ~ N(0, scale) with each slot masked with probability
// p_mask; every row keeps at least one unmasked slot.
inline std::vector<float> random_logits(int n, int N, double p_mask, double scale,
                                        std::mt19937 &rng) {
    std::normal_distribution<float> g(0.0f, (float)scale);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<float> l((size_t)n * N);
    for (int i = 0; i < n; i++) {
        int live = 0;
        for (int j = 0; j < N; j++) {
            bool masked = u(rng) < p_mask;
            l[(size_t)i * N + j] = masked ? kMask : g(rng);
            live += !masked;
        }
        if (!live) l[(size_t)i * N + rng() % N] = g(rng);
    }
    return l;
}

inline std::vector<int> unmasked_slots(const std::vector<float> &l, int i, int N) {
    std::vector<int> s;
    for (int j = 0; j < N; j++)
        if (l[(size_t)i * N + j] > CCX_RL_MASK_THRESHOLD) s.push_back(j);
    return s;
}

// log softmax of row i over unmasked slots, in double (masked: -inf)
inline std::vector<double> log_softmax(const double *l, int N, double T = 1.0) {
    double m = -INFINITY;
    for (int j = 0; j < N; j++)
        if (l[j] > CCX_RL_MASK_THRESHOLD) m = std::max(m, l[j] / T);
    double s = 0;
    for (int j = 0; j < N; j++)
        if (l[j] > CCX_RL_MASK_THRESHOLD) s += std::exp(l[j] / T - m);
    std::vector<double> lp(N, -INFINITY);
    for (int j = 0; j < N; j++)
        if (l[j] > CCX_RL_MASK_THRESHOLD) lp[j] = l[j] / T - m - std::log(s);
    return lp;
}

// Random PPO inputs: n rows, rollout arrays of M >= n entries read through
// a random idx when with_idx. old_logp makes the ratio of row i land in
// ratio_targets[i % size] (times a small jitter); adv alternates sign.
inline PpoIn random_ppo(int n, int N, int M, bool with_idx, std::mt19937 &rng,
                        const std::vector<double> &ratio_targets = {0.5, 0.9, 1.0, 1.1, 1.5}) {
    PpoIn in;
    in.n = n;
    in.N = N;
    in.logits = random_logits(n, N, 0.3, 1.5, rng);
    std::normal_distribution<float> g(0.0f, 1.0f);
    in.values.resize(n);
    for (float &v : in.values) v = g(rng);
    if (!with_idx) M = n;
    std::vector<int32_t> perm(M);
    for (int k = 0; k < M; k++) perm[k] = k;
    std::shuffle(perm.begin(), perm.end(), rng);
    if (with_idx) in.idx.assign(perm.begin(), perm.begin() + n);
    in.actions.assign(M, 0);
    in.old_logp.assign(M, 0.0f);
    in.adv.resize(M);
    in.returns.resize(M);
    for (int k = 0; k < M; k++) {
        in.adv[k] = g(rng);
        in.returns[k] = g(rng);
    }
    for (int i = 0; i < n; i++) {
        const int k = with_idx ? in.idx[i] : i;
        std::vector<int> s = unmasked_slots(in.logits, i, N);
        int a = s[rng() % s.size()];
        std::vector<double> row(in.logits.begin() + (size_t)i * N,
                                in.logits.begin() + (size_t)(i + 1) * N);
        double lp = log_softmax(row.data(), N)[a];
        // ratio within 0.3% of the target: away from the clip range's ends
        double r = ratio_targets[i % ratio_targets.size()] * (1.0 + 0.001 * g(rng));
        in.actions[k] = a;
        in.old_logp[k] = (float)(lp - std::log(r));
        const float sign = (i / (int)ratio_targets.size()) % 2 ? -1.0f : 1.0f;
        in.adv[k] = sign * (0.1f + std::fabs(in.adv[k]));
    }
    return in;
}

// Double reference of the PPO loss: total (weighted) and the stats.
inline double ppo_ref(const PpoIn &in, const std::vector<double> &logits,
                      const std::vector<double> &values, ccx_ppo_loss_stats *st) {
    const ccx_ppo_loss_params &hp = in.hp;
    double total = 0;
    if (st) *st = ccx_ppo_loss_stats{0, 0, 0, 0, 0, 0};
    for (int i = 0; i < in.n; i++) {
        const int k = in.idx.empty() ? i : in.idx[i];
        if (!in.valid.empty() && !in.valid[k]) continue;
        const double *l = logits.data() + (size_t)i * in.N;
        bool any = false;
        for (int j = 0; j < in.N; j++) any |= l[j] > CCX_RL_MASK_THRESHOLD;
        if (!any) continue;
        std::vector<double> lp = log_softmax(l, in.N);
        const int a = in.actions[k];
        const double logr = lp[a] - in.old_logp[k], ratio = std::exp(logr);
        const double A = in.adv[k];
        const double rc = std::min(std::max(ratio, 1.0 - hp.clip), 1.0 + hp.clip);
        const double pg = -std::min(ratio * A, rc * A);
        const double dv = values[i] - in.returns[k];
        const double vl = 0.5 * dv * dv;
        double ent = 0;
        for (int j = 0; j < in.N; j++)
            if (l[j] > CCX_RL_MASK_THRESHOLD) ent -= std::exp(lp[j]) * lp[j];
        total += hp.weight * (pg + hp.vf_coef * vl - hp.ent_coef * ent);
        if (st) {
            st->policy_loss += pg;
            st->value_loss += vl;
            st->entropy += ent;
            st->approx_kl += (ratio - 1) - logr;
            st->clip_frac += std::fabs(ratio - 1) > hp.clip;
            st->rows += 1;
        }
    }
    return total;
}

// Double reference of the AZ loss (rows with no unmasked slot: value only).
inline double az_ref(const AzIn &in, const std::vector<double> &logits,
                     const std::vector<double> &values, ccx_ppo_loss_stats *st) {
    double total = 0;
    if (st) *st = ccx_ppo_loss_stats{0, 0, 0, 0, 0, 0};
    for (int i = 0; i < in.n; i++) {
        const int k = in.idx.empty() ? i : in.idx[i];
        const double *l = logits.data() + (size_t)i * in.N;
        const float *pi = in.pi.data() + (size_t)k * in.N;
        std::vector<double> lp = log_softmax(l, in.N);
        double ce = 0, ent = 0, kl = 0;
        for (int j = 0; j < in.N; j++) {
            if (!(l[j] > CCX_RL_MASK_THRESHOLD)) continue;
            ce -= pi[j] * lp[j];
            ent -= std::exp(lp[j]) * lp[j];
            if (pi[j] > 0) kl += pi[j] * (std::log((double)pi[j]) - lp[j]);
        }
        const double dv = values[i] - in.z[k];
        const double vl = 0.5 * dv * dv;
        total += in.weight * (ce + in.value_weight * vl);
        if (st) {
            st->policy_loss += ce;
            st->value_loss += vl;
            st->entropy += ent;
            st->approx_kl += kl;
            st->rows += 1;
        }
    }
    return total;
}

// Random AZ inputs: pi a random distribution over each row's unmasked slots
// (some slots 0), z in [-1, 1].
inline AzIn random_az(int n, int N, int M, bool with_idx, std::mt19937 &rng) {
    AzIn in;
    in.n = n;
    in.N = N;
    in.logits = random_logits(n, N, 0.3, 1.5, rng);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    in.values.resize(n);
    for (float &v : in.values) v = g(rng);
    if (!with_idx) M = n;
    std::vector<int32_t> perm(M);
    for (int k = 0; k < M; k++) perm[k] = k;
    std::shuffle(perm.begin(), perm.end(), rng);
    if (with_idx) in.idx.assign(perm.begin(), perm.begin() + n);
    in.pi.assign((size_t)M * N, 0.0f);
    in.z.resize(M);
    for (int k = 0; k < M; k++) in.z[k] = 2.0f * u(rng) - 1.0f;
    for (int i = 0; i < n; i++) {
        const int k = with_idx ? in.idx[i] : i;
        std::vector<int> s = unmasked_slots(in.logits, i, N);
        float *pi = in.pi.data() + (size_t)k * N;
        double sum = 0;
        for (int j : s) {
            float x = u(rng) < 0.3f ? 0.0f : u(rng);
            pi[j] = x;
            sum += x;
        }
        if (sum == 0) {
            pi[s[0]] = 1.0f;
            sum = 1;
        }
        for (int j : s) pi[j] = (float)(pi[j] / sum);
    }
    return in;
}

inline std::vector<double> to_double(const std::vector<float> &v) {
    return std::vector<double>(v.begin(), v.end());
}

#endif
