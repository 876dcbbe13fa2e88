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
#include "train_test_util.h"

extern "C" {
#include "az/replay.h"
#include "lang/gen.h"
#include "search/search.h"
#include "train/run.h"
#include "train/trainer.h"
}

namespace {

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

TEST(AlphaZero, ResumedRunKeepsItsReplayBufferAndRepeatsTheWholeRun) {
    std::string dir = TempDir("az"), task = WriteTinyTask(dir, 4), cfg = dir + "/az.yaml";
    WriteFile(cfg, Config(task, dir + "/runs", 6));
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
    ExpectSameMetrics(dir + "/runs/whole/metrics.csv", split + "/metrics.csv", 6);
    RemoveTree(dir);
}

TEST(AlphaZero, SelfPlayReachesTheOptimumOfASmallGraph) {
    std::string dir = TempDir("az"), task = WriteTinyTask(dir, 4), cfg = dir + "/az.yaml";
    WriteFile(cfg, Config(task, dir + "/runs", 4));
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
    RemoveTree(dir);
}

}  // namespace
