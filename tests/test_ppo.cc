// PPO end to end on the CPU backend (host/rl/ppo.c through train/trainer.c):
// on a small generated graph whose optimum is known (exact search) and rare
// among random orders, training reliably reaches it with the greedy policy;
// a run resumed from a checkpoint repeats an uninterrupted one exactly; the
// best order on record is valid and costs what the metrics say.
#include <gtest/gtest.h>

#include <algorithm>
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
#include "game/game.h"
#include "io/order_file.h"
#include "lang/gen.h"
#include "nn/checkpoint.h"
#include "search/search.h"
#include "train/run.h"
#include "train/trainer.h"
#include "util/clock.h"
#include "util/rng.h"
}

namespace {

std::string TinyConfig(const std::string &task, const std::string &out_dir, int updates) {
    std::ostringstream c;
    c << "run:\n  tasks: " << task << "\n  out_dir: " << out_dir
      << "\n  seed: 3\n  backend: cpu\n  threads: 1\n"
      << "env:\n  n_envs: 32\n"
      << "network:\n  dim: 32\n  layers: 1\n  heads: 2\n  mlp_dim: 32\n  value_dim: 16\n"
      << "optim:\n  lr: 3.0e-3\n"
      << "ppo:\n  epochs: 4\n  minibatches: 2\n  ent_coef: 0.01\n"
      << "eval:\n  every: 5\n  samples: 8\n"
      << "checkpoint:\n  every: 0\n  seconds: 0\n"
      << "budget:\n  updates: " << updates << "\n";
    return c.str();
}

// A temporary directory holding the seed-5 tiny task and its config
// (dir/tiny.yaml, `updates` updates, run directories under dir/runs).
struct TinySetup {
    std::string dir, cfg;
    TinySetup(const char *tag, int updates) : dir(TempDir(tag)), cfg(dir + "/tiny.yaml") {
        WriteFile(cfg, TinyConfig(WriteTinyTask(dir, 5), dir + "/runs", updates));
    }
    ~TinySetup() { RemoveTree(dir); }
    std::string metrics(const char *run) const { return dir + "/runs/" + run + "/metrics.csv"; }
};

int64_t RandomOrderOptimalShare(const ccx_graph *g, int64_t opt, int trials, double *share) {
    ccx_game game;
    ccx_error err;
    EXPECT_EQ(ccx_game_init(&game, g, &err), 0);
    ccx_rng rng;
    ccx_rng_seed(&rng, 1);
    std::vector<uint8_t> mask(g->n_vertices);
    int hits = 0;
    for (int i = 0; i < trials; i++) {
        ccx_game_reset(&game);
        int64_t cost = 0;
        while (!ccx_game_done(&game)) {
            ccx_game_legal_mask(&game, mask.data());
            std::vector<int> legal;
            for (int v = 1; v <= g->n_vertices; v++)
                if (mask[v - 1]) legal.push_back(v);
            cost += ccx_game_step(&game, legal[ccx_rng_below(&rng, legal.size())]);
        }
        hits += cost == opt;
    }
    ccx_game_free(&game);
    *share = (double)hits / trials;
    return hits;
}

TEST(Ppo, LearnsTheOptimumOfASmallGraph) {
    std::string dir = TempDir("ppo_learn");
    std::string task = WriteTinyTask(dir, 4);  // optimum 24, classic orders 32 / 32 / 27
    ccx_error err;
    GraphPtr g(ccx_task_load(task.c_str(), &err));
    ASSERT_TRUE(g) << err.msg;
    ccx_search_params sp;
    ccx_search_params_default(&sp);
    sp.threads = 1;
    ccx_search_result exact{};
    ASSERT_EQ(ccx_search_run(g.get(), CCX_SEARCH_EXACT, &sp, &exact, &err), 0) << err.msg;
    ASSERT_TRUE(exact.optimal);
    int64_t opt = exact.cost;
    ccx_search_result_free(&exact);
    ccx_baselines base;
    ASSERT_EQ(ccx_baselines_compute(g.get(), &base, &err), 0);
    // the optimum must beat every classic order ...
    EXPECT_LT(opt, std::min(base.forward, std::min(base.reverse, base.markowitz)));
    double share = 0;
    RandomOrderOptimalShare(g.get(), opt, 2000, &share);
    // ... and be rare among random orders
    EXPECT_LT(share, 0.15) << "optimum " << opt << " too common for a meaningful test";

    std::string cfg = dir + "/tiny.yaml";
    WriteFile(cfg, TinyConfig(task, dir + "/runs", 60));
    ASSERT_EQ(Train(cfg, {"run.name=learn"}), 0);
    Table m(dir + "/runs/learn/metrics.csv");
    ASSERT_GT(m.t.n_rows, 0);
    int last = m.t.n_rows - 1;
    EXPECT_EQ(m.at(last, "best_so_far.tiny"), (double)opt);
    // the greedy policy plays the optimum at one of the last three evaluations
    // (with a constant lr and an entropy bonus it can step to a neighbour,
    // 24 -> 26, between two of them: which one depends on the build's floats)
    std::vector<double> greedy;
    for (int r = 0; r < m.t.n_rows; r++)
        if (!std::isnan(m.at(r, "greedy_cost.tiny"))) greedy.push_back(m.at(r, "greedy_cost.tiny"));
    ASSERT_GE(greedy.size(), 3u);
    std::vector<double> tail(greedy.end() - 3, greedy.end());
    EXPECT_NE(std::find(tail.begin(), tail.end(), (double)opt), tail.end())
        << "the greedy policy did not converge to the optimum " << opt << " (last evaluations "
        << tail[0] << ", " << tail[1] << ", " << tail[2] << "; forward " << base.forward
        << ", reverse " << base.reverse << ", markowitz " << base.markowitz << ", random share "
        << share << ")";
    // the mean episode cost came down
    EXPECT_LT(m.at(last, "mean_cost.tiny"), m.at(0, "mean_cost.tiny"));

    // best_order.json: valid, and costs what the metrics say
    ccx_order_file of;
    ASSERT_EQ(ccx_order_read((dir + "/runs/learn/best_order.json").c_str(), &of, &err), 0)
        << err.msg;
    int64_t cost = -1;
    EXPECT_EQ(ccx_order_check(g.get(), &of, &cost, &err), 0) << err.msg;
    EXPECT_EQ(cost, opt);
    ccx_order_file_free(&of);
    RemoveTree(dir);
}

TEST(Ppo, ResumedRunRepeatsTheUninterruptedOne) {
    TinySetup t("ppo_resume", 8);
    ASSERT_EQ(Train(t.cfg, {"run.name=whole"}), 0);
    ASSERT_EQ(Train(t.cfg, {"run.name=split", "budget.updates=3"}), 0);
    std::string split = t.dir + "/runs/split";
    ASSERT_EQ(Train("", {"budget.updates=8"}, split.c_str()), 0);
    ExpectSameMetrics(t.metrics("whole"), t.metrics("split"), 8);
}

// The schedules follow updates or env steps, not the clock; only a seconds
// budget alone is measured in seconds. The progress bar does see the clock.
TEST(Schedule, FollowsUpdatesOrEnvStepsNotTheClock) {
    ccx_trainer t;
    memset(&t, 0, sizeof t);
    ccx_train_config_default(&t.cfg);
    snprintf(t.cfg.lr_schedule, sizeof t.cfg.lr_schedule, "linear");
    t.cfg.lr = 1.0;
    t.cfg.lr_final = 0.0;
    t.cfg.budget_updates = 8;
    t.cfg.budget_seconds = 10;
    t.update = 2;
    t.wall_s = 9;  // 90% of the seconds spent, 25% of the updates
    t.t0 = ccx_now_s();
    EXPECT_DOUBLE_EQ(ccx_trainer_schedule_fraction(&t), 0.25);
    EXPECT_DOUBLE_EQ(ccx_trainer_lr(&t), 0.75);
    EXPECT_GE(ccx_trainer_budget_fraction(&t), 0.9);
    EXPECT_FALSE(ccx_trainer_time_up(&t));
    t.cfg.budget_updates = 0;
    t.cfg.budget_env_steps = 1000;
    t.env_steps = 500;
    EXPECT_DOUBLE_EQ(ccx_trainer_schedule_fraction(&t), 0.5);
    t.cfg.budget_env_steps = 0;  // seconds alone: the clock estimates the length
    EXPECT_NEAR(ccx_trainer_schedule_fraction(&t), 0.9, 0.01);
    t.wall_s = 10;
    EXPECT_TRUE(ccx_trainer_time_up(&t));
    EXPECT_TRUE(ccx_trainer_should_drop(&t));
}

// Two runs with the same seed and an updates budget write the same metrics
// (what makes them differ would be a draw or a float that depends on the
// clock or the thread count), and the learning rate is the linear schedule
// over updates. That the clock does not move the schedule when an updates
// budget is set is Schedule.FollowsUpdatesOrEnvStepsNotTheClock.
TEST(Ppo, RunsWithTheSameSeedAreIdentical) {
    TinySetup t("ppo_repeat", 6);
    for (const char *name : {"run.name=a", "run.name=b"})
        ASSERT_EQ(Train(t.cfg, {name, "optim.lr_schedule=linear", "optim.lr_final=0"}), 0);
    ExpectSameMetrics(t.metrics("a"), t.metrics("b"), 6);
    Table m(t.metrics("b"));
    for (int r = 0; r < 6; r++) EXPECT_FLOAT_EQ(m.at(r, "lr"), 3.0e-3f * (1.0f - r / 6.0f)) << r;
}

// A fake clock for the trainer (ccx_train_options.clock): every read
// advances it by one second, so how far a run gets under a seconds budget
// depends only on how often the trainer looks at the clock, not on speed.
struct FakeClock {
    long reads = 0;
    static double Read(void *ctx) { return (double)++static_cast<FakeClock *>(ctx)->reads; }
};

// `ccx train` (quiet) on the fake clock; returns the exit status.
int TrainOnClock(const std::string &config, const std::vector<std::string> &sets, FakeClock *clock) {
    std::vector<const char *> s;
    for (const auto &x : sets) s.push_back(x.c_str());
    ccx_train_options o{};
    o.config_path = config.c_str();
    o.n_sets = (int)s.size();
    o.sets = s.data();
    o.quiet = 1;
    o.clock = FakeClock::Read;
    o.clock_ctx = clock;
    return ccx_train_main(&o);
}

// AdamW steps taken by a run: the step of its last checkpoint.
long AdamwSteps(const std::string &run_dir) {
    ccx_nn_checkpoint ck;
    ccx_error err;
    std::string path = run_dir + "/checkpoints/latest.safetensors";
    EXPECT_EQ(ccx_nn_checkpoint_load(path.c_str(), nullptr, &ck, &err), 0) << path << ": " << err.msg;
    long step = ck.step;
    ccx_nn_checkpoint_free(&ck);
    return step;
}

// A seconds budget stops the run inside an update (between rollout steps or
// learning minibatches), not after it. On the fake clock: one whole update
// takes R reads (seconds); a budget of R/2 seconds ends the run in that
// update's learning phase (the rollout polls the clock once per step, the
// learning once per replayed step of every minibatch), so the update counts
// (one metrics row, all of its env steps) with fewer AdamW steps than a
// whole update; a budget of 6 seconds drops the first update in its rollout
// (no metrics row, no AdamW step).
TEST(Ppo, SecondsBudgetStopsInsideAnUpdate) {
    TinySetup t("ppo_budget", 1);
    std::vector<std::string> big = {"env.n_envs=64", "ppo.minibatches=8"};
    auto run = [&](std::vector<std::string> sets, FakeClock *clock) {
        sets.insert(sets.end(), big.begin(), big.end());
        EXPECT_EQ(TrainOnClock(t.cfg, sets, clock), 0);
    };
    FakeClock whole;
    run({"run.name=whole", "budget.seconds=1e9"}, &whole);
    long whole_steps = AdamwSteps(t.dir + "/runs/whole");
    EXPECT_EQ(whole_steps, 4 * 8);  // epochs x minibatches
    Table w(t.metrics("whole"));
    ASSERT_EQ(w.t.n_rows, 1);
    ASSERT_GT(whole.reads, 100);

    char budget[64];
    snprintf(budget, sizeof budget, "budget.seconds=%ld", whole.reads / 2);
    FakeClock half;
    run({"run.name=cut", "budget.updates=0", budget}, &half);
    Table m(t.metrics("cut"));
    ASSERT_EQ(m.t.n_rows, 1);  // a cut update counts
    EXPECT_EQ(m.at(0, "env_steps"), w.at(0, "env_steps"));
    long cut_steps = AdamwSteps(t.dir + "/runs/cut");
    EXPECT_GT(cut_steps, 0);
    EXPECT_LT(cut_steps, whole_steps);
    EXPECT_LT(half.reads, whole.reads);

    FakeClock early;
    run({"run.name=drop", "budget.updates=0", "budget.seconds=6"}, &early);
    Table d(t.metrics("drop"));
    EXPECT_EQ(d.t.n_rows, 0);  // a dropped update does not count
    EXPECT_EQ(AdamwSteps(t.dir + "/runs/drop"), 0);
}

// SIGINT -> checkpoint -> --resume is checked end to end in tests/cli_train.sh.

}  // namespace
