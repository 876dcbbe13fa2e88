// Gumbel AlphaZero training end to end on the CPU backend
// (host/az/alphazero.c through train/trainer.c): a run resumed from a
// checkpoint keeps its replay buffer and repeats the uninterrupted run
// exactly; self-play with search reaches the optimum of a small graph.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"

extern "C" {
#include "az/replay.h"
#include "lang/gen.h"
#include "search/search.h"
#include "train/run.h"
#include "train/trainer.h"
}

namespace {

std::string TempDir() {
    char tmpl[] = "/tmp/ccx_az_XXXXXX";
    char *d = mkdtemp(tmpl);
    EXPECT_NE(d, nullptr);
    return d ? d : "/tmp";
}

std::string WriteTask(const std::string &dir, uint64_t seed) {
    ccx_gen_params p;
    ccx_gen_defaults(&p);
    p.n_inputs = 3;
    p.n_intermediates = 9;
    p.n_outputs = 2;
    p.seed = seed;
    ccx_error err;
    char *text = ccx_gen_task(&p, &err);
    EXPECT_NE(text, nullptr) << err.msg;
    std::string path = dir + "/tiny.ccx";
    std::ofstream(path) << (text ? text : "");
    free(text);
    return path;
}

std::string Config(const std::string &task, const std::string &out, int updates) {
    std::ostringstream c;
    c << "run: {tasks: " << task << ", out_dir: " << out
      << ", seed: 3, backend: cpu, threads: 1, algo: alphazero}\n"
      << "env: {n_envs: 16}\n"
      << "network: {dim: 32, layers: 0, heads: 2, mlp_dim: 32, value_dim: 32}\n"
      << "optim: {lr: 3.0e-3}\n"
      << "alphazero: {num_simulations: 16, num_considered: 4, batch_size: 64, "
         "updates_per_iter: 4, replay_size: 5000}\n"
      << "eval: {every: 2, samples: 4}\n"
      << "checkpoint: {every: 0, seconds: 0}\n"
      << "budget: {updates: " << updates << "}\n";
    return c.str();
}

int Train(const std::string &config, const std::vector<std::string> &sets,
          const char *resume = nullptr) {
    std::vector<const char *> s;
    for (const auto &x : sets) s.push_back(x.c_str());
    ccx_train_options o{};
    o.config_path = resume ? nullptr : config.c_str();
    o.resume_dir = resume;
    o.n_sets = (int)s.size();
    o.sets = s.data();
    o.quiet = 1;
    return ccx_train_main(&o);
}

TEST(AlphaZero, ResumedRunKeepsItsReplayBufferAndRepeatsTheWholeRun) {
    std::string dir = TempDir(), task = WriteTask(dir, 4), cfg = dir + "/az.yaml";
    std::ofstream(cfg) << Config(task, dir + "/runs", 6);
    ASSERT_EQ(Train(cfg, {"run.name=whole"}), 0);
    ASSERT_EQ(Train(cfg, {"run.name=split", "budget.updates=3"}), 0);
    std::string split = dir + "/runs/split";

    // the buffer beside the checkpoint holds the 3 self-play iterations:
    // 16 episodes of 9 moves each
    ccx_error err;
    ccx_replay *r = ccx_replay_create(5000, 32, &err);
    ASSERT_NE(r, nullptr) << err.msg;
    ASSERT_EQ(ccx_replay_load(r, (split + "/checkpoints/latest.replay").c_str(), &err), 0) << err.msg;
    EXPECT_EQ(ccx_replay_count(r), 3u * 16 * 9);
    ccx_replay_free(r);

    ASSERT_EQ(Train("", {"budget.updates=6"}, split.c_str()), 0);
    ccx_metrics_table a{}, b{};
    ASSERT_EQ(ccx_metrics_read((dir + "/runs/whole/metrics.csv").c_str(), &a, &err), 0);
    ASSERT_EQ(ccx_metrics_read((split + "/metrics.csv").c_str(), &b, &err), 0);
    ASSERT_EQ(a.n_rows, 6);
    ASSERT_EQ(b.n_rows, 6);
    for (int c = 0; c < a.n_cols; c++) {
        std::string name = a.cols[c];
        if (name == "wall_s" || name == "steps_per_s") continue;
        for (int i = 0; i < 6; i++) {
            double x = a.values[(size_t)i * a.n_cols + c], y = b.values[(size_t)i * b.n_cols + c];
            if (std::isnan(x) && std::isnan(y)) continue;
            EXPECT_EQ(x, y) << name << " at update " << i + 1;
        }
    }
    ccx_metrics_table_free(&a);
    ccx_metrics_table_free(&b);
    (void)system(("rm -rf " + dir).c_str());
}

TEST(AlphaZero, SelfPlayReachesTheOptimumOfASmallGraph) {
    std::string dir = TempDir(), task = WriteTask(dir, 4), cfg = dir + "/az.yaml";
    std::ofstream(cfg) << Config(task, dir + "/runs", 4);
    ccx_error err;
    GraphPtr g(ccx_task_load(task.c_str(), &err));
    ASSERT_TRUE(g) << err.msg;
    ccx_search_params sp;
    ccx_search_params_default(&sp);
    ccx_search_result exact{};
    ASSERT_EQ(ccx_search_run(g.get(), CCX_SEARCH_EXACT, &sp, &exact, &err), 0) << err.msg;
    ASSERT_EQ(Train(cfg, {"run.name=opt"}), 0);
    ccx_metrics_table m{};
    ASSERT_EQ(ccx_metrics_read((dir + "/runs/opt/metrics.csv").c_str(), &m, &err), 0);
    int c = ccx_metrics_col(&m, "best_so_far.tiny");
    ASSERT_GE(c, 0);
    EXPECT_EQ(m.values[(size_t)(m.n_rows - 1) * m.n_cols + c], (double)exact.cost);
    ccx_metrics_table_free(&m);
    ccx_search_result_free(&exact);
    (void)system(("rm -rf " + dir).c_str());
}

}  // namespace
