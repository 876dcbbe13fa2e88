// Training config (host/train/config.c): defaults, YAML loading, every error
// kind with its key and file:line:col, --set overrides, validation, the
// write -> load round trip; and the published AlphaGrad figures.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

extern "C" {
#include "train/config.h"
#include "train/run.h"
}

namespace {

struct TmpFile {
    std::string path;
    explicit TmpFile(const std::string &text, const char *ext = ".yaml") {
        char tmpl[] = "/tmp/ccx_config_XXXXXX";
        int fd = mkstemp(tmpl);
        EXPECT_GE(fd, 0);
        close(fd);
        unlink(tmpl);
        path = std::string(tmpl) + ext;
        FILE *f = fopen(path.c_str(), "w");
        fwrite(text.data(), 1, text.size(), f);
        fclose(f);
    }
    ~TmpFile() { unlink(path.c_str()); }
};

std::string fmt(const ccx_error &e) {
    char buf[1024];
    return ccx_error_format(&e, buf, sizeof buf);
}

// Load text over the defaults; returns the formatted error ("" on success).
std::string load(const std::string &text, ccx_train_config *c, std::string *path = nullptr) {
    TmpFile f(text);
    if (path) *path = f.path;
    ccx_train_config_default(c);
    ccx_error err;
    ccx_error_clear(&err);
    if (ccx_train_config_load(c, f.path.c_str(), &err) == 0) return "";
    return fmt(err);
}

// The error of loading text, with the temporary file name replaced by F.
std::string load_error(const std::string &text) {
    ccx_train_config c;
    std::string path;
    std::string e = load(text, &c, &path);
    if (e.compare(0, path.size(), path) == 0) e = "F" + e.substr(path.size());
    return e;
}

std::string set_error(ccx_train_config *c, const char *assignment) {
    ccx_error err;
    ccx_error_clear(&err);
    if (ccx_train_config_set(c, assignment, &err) == 0) return "";
    return fmt(err);
}

std::string validate_error(const ccx_train_config &c) {
    ccx_error err;
    ccx_error_clear(&err);
    if (ccx_train_config_validate(&c, &err) == 0) return "";
    return fmt(err);
}

std::string get(const ccx_train_config &c, const char *key) {
    char buf[4096];
    EXPECT_EQ(ccx_train_config_get(&c, key, buf, sizeof buf), 0) << key;
    return buf;
}

}  // namespace

TEST(Config, DefaultsValidateOnceTasksAndBudgetSet) {
    ccx_train_config c;
    ccx_train_config_default(&c);
    EXPECT_STREQ(c.name, "");
    EXPECT_STREQ(c.out_dir, "");  // the source tree's results/runs (ccx_run_default_out_dir)
    EXPECT_EQ(c.n_tasks, 0);
    EXPECT_EQ(c.seed, 0u);
    EXPECT_STREQ(c.backend, "auto");
    EXPECT_STREQ(c.algo, "ppo");
    EXPECT_EQ(c.n_envs, 256);
    EXPECT_EQ(c.dim, 64);
    EXPECT_EQ(c.layers, 2);
    EXPECT_EQ(c.heads, 4);
    EXPECT_EQ(c.mlp_dim, 128);
    EXPECT_EQ(c.value_dim, 64);
    EXPECT_EQ(c.tf32, 1);
    EXPECT_DOUBLE_EQ(c.lr, 3e-4);
    EXPECT_STREQ(c.lr_schedule, "constant");
    EXPECT_DOUBLE_EQ(c.lr_final, 0.1);
    EXPECT_DOUBLE_EQ(c.beta1, 0.9);
    EXPECT_DOUBLE_EQ(c.beta2, 0.999);
    EXPECT_DOUBLE_EQ(c.eps, 1e-8);
    EXPECT_DOUBLE_EQ(c.weight_decay, 0);
    EXPECT_DOUBLE_EQ(c.max_grad_norm, 0.5);
    EXPECT_DOUBLE_EQ(c.clip, 0.2);
    EXPECT_DOUBLE_EQ(c.gae_lambda, 0.95);
    EXPECT_DOUBLE_EQ(c.gamma, 1.0);
    EXPECT_EQ(c.epochs, 4);
    EXPECT_EQ(c.minibatches, 4);
    EXPECT_DOUBLE_EQ(c.ent_coef, 0.01);
    EXPECT_DOUBLE_EQ(c.vf_coef, 0.5);
    EXPECT_EQ(c.norm_adv, 1);
    EXPECT_DOUBLE_EQ(c.target_kl, 0);
    EXPECT_DOUBLE_EQ(c.reward_scale, 0);
    EXPECT_EQ(c.eval_every, 10);
    EXPECT_EQ(c.eval_samples, 16);
    EXPECT_EQ(c.ckpt_every, 50);
    EXPECT_DOUBLE_EQ(c.ckpt_seconds, 300);
    EXPECT_EQ(c.budget_updates, 0);
    EXPECT_EQ(c.budget_env_steps, 0);
    EXPECT_DOUBLE_EQ(c.budget_seconds, 0);
    EXPECT_EQ(c.az_num_simulations, 32);
    EXPECT_EQ(c.az_num_considered, 8);
    EXPECT_DOUBLE_EQ(c.az_gumbel_scale, 1.0);
    EXPECT_DOUBLE_EQ(c.az_value_scale, 0.1);
    EXPECT_DOUBLE_EQ(c.az_maxvisit_init, 50);
    EXPECT_EQ(c.az_rescale_values, 1);
    EXPECT_STREQ(c.az_value_transform, "none");
    EXPECT_EQ(c.az_replay_size, 100000);
    EXPECT_EQ(c.az_batch_size, 256);
    EXPECT_EQ(c.az_updates_per_iter, 4);
    EXPECT_DOUBLE_EQ(c.az_value_weight, 1.0);
    EXPECT_DOUBLE_EQ(c.az_l2_weight, 1e-4);

    EXPECT_NE(validate_error(c).find("run.tasks is empty"), std::string::npos) << validate_error(c);
    EXPECT_EQ(set_error(&c, "run.tasks=RoeFlux_1d"), "");
    EXPECT_NE(validate_error(c).find("no budget"), std::string::npos) << validate_error(c);
    EXPECT_EQ(set_error(&c, "budget.seconds=60"), "");
    EXPECT_EQ(validate_error(c), "");
    // alphazero defaults validate too
    EXPECT_EQ(set_error(&c, "run.algo=alphazero"), "");
    EXPECT_EQ(validate_error(c), "");
}

TEST(Config, LoadsNestedFlowAndDottedKeys) {
    ccx_train_config c;
    ASSERT_EQ(load("# a comment\n"
                   "run:\n"
                   "  tasks: [RoeFlux_1d, configs/tasks/PropaneCombustion.ccx]\n"
                   "  seed: 18446744073709551615\n"
                   "  name: 'my run'\n"
                   "network: {dim: 128, heads: 8, tf32: false}\n"
                   "optim.lr: 1e-3\n"
                   "budget:\n"
                   "  env_steps: 1e8\n",
                   &c),
              "");
    EXPECT_EQ(c.n_tasks, 2);
    EXPECT_STREQ(c.tasks[0], "RoeFlux_1d");
    EXPECT_STREQ(c.tasks[1], "configs/tasks/PropaneCombustion.ccx");
    EXPECT_EQ(c.seed, UINT64_MAX);
    EXPECT_STREQ(c.name, "my run");
    EXPECT_EQ(c.dim, 128);
    EXPECT_EQ(c.heads, 8);
    EXPECT_EQ(c.tf32, 0);
    EXPECT_DOUBLE_EQ(c.lr, 1e-3);
    EXPECT_EQ(c.budget_env_steps, 100000000L);
    // untouched keys keep their defaults
    EXPECT_EQ(c.layers, 2);
    // a single task as a string; an empty file changes nothing
    ASSERT_EQ(load("run:\n  tasks: HumanHeartDipole\n", &c), "");
    EXPECT_EQ(c.n_tasks, 1);
    EXPECT_STREQ(c.tasks[0], "HumanHeartDipole");
    ASSERT_EQ(load("", &c), "");
    EXPECT_EQ(c.n_tasks, 0);
    ASSERT_EQ(load("# only a comment\n", &c), "");
    ASSERT_EQ(load("alphazero:\n  # nothing set here\nppo:\n", &c), "");
}

TEST(Config, ErrorsNameKeyAndLocation) {
    // unknown key, with a suggestion (key position, 1-based)
    EXPECT_EQ(load_error("ppo:\n  clp: 0.2\n"), "F:2:3: unknown key 'ppo.clp' (did you mean 'ppo.clip'?)");
    EXPECT_EQ(load_error("ppo:\n  clip: 0.2\noptim:\n  learning_rate: 1\n"),
              "F:4:3: unknown key 'optim.learning_rate' (`ccx train --help-config` lists the keys)");
    EXPECT_EQ(load_error("clip: 0.2\n"), "F:1:1: unknown key 'clip' (did you mean 'ppo.clip'?)");
    EXPECT_EQ(load_error("netwrk: {dim: 3}\n"),
              "F:1:10: unknown key 'netwrk.dim' (did you mean 'network.dim'?)");
    // wrong type (value position)
    EXPECT_EQ(load_error("ppo:\n  clip: abc\n"), "F:2:9: ppo.clip: expected a number, got 'abc'");
    EXPECT_EQ(load_error("ppo:\n  epochs: 1.5\n"), "F:2:11: ppo.epochs: expected an integer, got '1.5'");
    EXPECT_EQ(load_error("ppo:\n  norm_adv: maybe\n"),
              "F:2:13: ppo.norm_adv: expected true or false, got 'maybe'");
    EXPECT_EQ(load_error("ppo:\n  clip: [1, 2]\n"), "F:2:9: ppo.clip: expected a number, got a list");
    EXPECT_EQ(load_error("ppo: 3\n"), "F:1:1: 'ppo' is a section: expected a mapping of its keys, got a value");
    EXPECT_EQ(load_error("ppo:\n  clip:\n"), "F:2:8: ppo.clip: expected a number, got nothing");
    EXPECT_EQ(load_error("- a\n- b\n"),
              "F:1:1: expected a mapping of keys (section: {key: value}), got a list");
    // out of range
    EXPECT_EQ(load_error("ppo:\n  clip: 2\n"), "F:2:9: ppo.clip must be in [0, 1], got 2");
    EXPECT_EQ(load_error("optim: {lr: 0}\n"), "F:1:13: optim.lr must be in (0, 1], got 0");
    EXPECT_EQ(load_error("env:\n  n_envs: 0\n"), "F:2:11: env.n_envs must be in [1, 4194304], got 0");
    EXPECT_EQ(load_error("run:\n  seed: -1\n"),
              "F:2:9: run.seed must be in [0, 18446744073709551615], got -1");
    EXPECT_EQ(load_error("network:\n  dim: 99999999999\n"),
              "F:2:8: network.dim must be in [1, 8192], got 99999999999");
    // bad enum value
    EXPECT_EQ(load_error("run:\n  backend: tpu\n"), "F:2:12: run.backend must be one of auto/cpu/cuda, got 'tpu'");
    // duplicate keys: in one mapping, and the same leaf reached twice
    EXPECT_EQ(load_error("ppo:\n  clip: 0.1\n  clip: 0.2\n"),
              "F:3:3: duplicate key 'ppo.clip' (first at line 2, column 3)");
    EXPECT_EQ(load_error("ppo:\n  clip: 0.1\nppo.clip: 0.3\n"),
              "F:3:1: duplicate key 'ppo.clip' (first set at line 2, column 3)");
    EXPECT_EQ(load_error("ppo: {clip: 0.1}\nppo: {epochs: 2}\n"),
              "F:2:1: duplicate key 'ppo' (first at line 1, column 1)");
    // too many tasks
    std::string many = "run:\n  tasks: [";
    for (int i = 0; i < CCX_CONFIG_MAX_TASKS + 1; i++) many += (i ? ", t" : "t") + std::to_string(i);
    EXPECT_EQ(load_error(many + "]\n"), "F:2:10: run.tasks: at most 16 entries, got 17");
    // YAML syntax errors: located, 1-based
    std::string e = load_error("ppo:\n  clip: [0.1\n");
    EXPECT_EQ(e.substr(0, 4), "F:3:") << e;
    EXPECT_NE(e.find("YAML syntax error"), std::string::npos) << e;
    e = load_error("ppo:\n  clip: 0.1\n bad: 1\n");
    EXPECT_EQ(e.substr(0, 2), "F:") << e;
    EXPECT_NE(e.find("YAML syntax error"), std::string::npos) << e;
    // a second document is not ignored
    EXPECT_EQ(load_error("ppo: {clip: 0.1}\n---\nppo: {clip: 0.3}\n"),
              "F:3:1: expected a single YAML document, found a second one");
    // a missing file
    ccx_train_config c;
    ccx_train_config_default(&c);
    ccx_error err;
    EXPECT_NE(ccx_train_config_load(&c, "/nonexistent/x.yaml", &err), 0);
    EXPECT_NE(fmt(err).find("/nonexistent/x.yaml: cannot open"), std::string::npos) << fmt(err);
}

TEST(Config, FailedLoadLeavesConfigUntouched) {
    ccx_train_config c, before;
    ccx_train_config_default(&c);
    c.clip = 0.25;
    before = c;
    TmpFile f("ppo:\n  clip: 0.1\n  epochs: x\n");
    ccx_error err;
    EXPECT_NE(ccx_train_config_load(&c, f.path.c_str(), &err), 0);
    EXPECT_EQ(c.clip, 0.25);
    EXPECT_EQ(0, memcmp(&c, &before, sizeof c));
}

TEST(Config, SetOverrides) {
    ccx_train_config c;
    ccx_train_config_default(&c);
    EXPECT_EQ(set_error(&c, "ppo.clip=0.1"), "");
    EXPECT_DOUBLE_EQ(c.clip, 0.1);
    EXPECT_EQ(set_error(&c, "run.tasks=[RoeFlux_1d, RobotArm_6DOF]"), "");
    ASSERT_EQ(c.n_tasks, 2);
    EXPECT_STREQ(c.tasks[1], "RobotArm_6DOF");
    EXPECT_EQ(set_error(&c, "run.tasks=PropaneCombustion"), "");
    ASSERT_EQ(c.n_tasks, 1);
    EXPECT_STREQ(c.tasks[0], "PropaneCombustion");
    EXPECT_EQ(set_error(&c, "run.name=sweep point 3"), "");
    EXPECT_STREQ(c.name, "sweep point 3");
    EXPECT_EQ(set_error(&c, "run.name="), "");
    EXPECT_STREQ(c.name, "");
    EXPECT_EQ(set_error(&c, "run.out_dir=\"a: b\""), "");
    EXPECT_STREQ(c.out_dir, "a: b");
    EXPECT_EQ(set_error(&c, "network.tf32=off"), "");
    EXPECT_EQ(c.tf32, 0);
    EXPECT_EQ(set_error(&c, "budget.env_steps=2e9"), "");
    EXPECT_EQ(c.budget_env_steps, 2000000000L);
    EXPECT_EQ(set_error(&c, "ppo={epochs: 7, minibatches: 2}"), "");
    EXPECT_EQ(c.epochs, 7);
    EXPECT_EQ(c.minibatches, 2);
    // errors name the assignment and the key; nothing changes on failure
    EXPECT_EQ(set_error(&c, "ppo.clip=2"), "--set ppo.clip=2: ppo.clip must be in [0, 1], got 2");
    EXPECT_DOUBLE_EQ(c.clip, 0.1);
    EXPECT_EQ(set_error(&c, "ppo.clp=0.2"), "--set ppo.clp=0.2: unknown key 'ppo.clp' (did you mean 'ppo.clip'?)");
    EXPECT_EQ(set_error(&c, "ppo.clip=abc"), "--set ppo.clip=abc: ppo.clip: expected a number, got 'abc'");
    EXPECT_EQ(set_error(&c, "ppo.clip"), "--set ppo.clip: expected KEY=VALUE (e.g. --set ppo.clip=0.1)");
    EXPECT_EQ(set_error(&c, "run.algo=sac"), "--set run.algo=sac: run.algo must be one of ppo/alphazero, got 'sac'");
    EXPECT_EQ(set_error(&c, "ppo={clp: 1}"), "--set ppo={clp: 1}: unknown key 'ppo.clp' (did you mean 'ppo.clip'?)");
    std::string e = set_error(&c, "run.tasks=[a, b");
    EXPECT_EQ(e.substr(0, 28), "--set run.tasks=[a, b: inval") << e;
    EXPECT_EQ(c.n_tasks, 1);
}

TEST(Config, ValidateCrossKeyChecks) {
    ccx_train_config c;
    ccx_train_config_default(&c);
    ASSERT_EQ(set_error(&c, "run.tasks=[A, B, C]"), "");
    ASSERT_EQ(set_error(&c, "budget.updates=10"), "");
    // 256 % (3 * 4) != 0
    EXPECT_EQ(validate_error(c), "env.n_envs (256) must be a multiple of the number of tasks (3) times "
                                 "ppo.minibatches (4) = 12");
    c.n_envs = 240;
    EXPECT_EQ(validate_error(c), "");
    c.heads = 5;
    EXPECT_EQ(validate_error(c), "network.dim (64) must be a multiple of network.heads (5)");
    c.heads = 4;
    c.lr_final = 1.5;  // set directly: the range is checked again
    EXPECT_EQ(validate_error(c), "optim.lr_final must be in [0, 1], got 1.5");
    c.lr_final = 0;
    c.tasks[2][0] = 'A';
    c.tasks[2][1] = '\0';
    EXPECT_EQ(validate_error(c), "run.tasks: 'A' is listed twice");
    strcpy(c.tasks[2], "C");
    strcpy(c.name, "a/b");
    EXPECT_EQ(validate_error(c), "run.name 'a/b' must be a plain directory name (no '/')");
    c.name[0] = '\0';
    strcpy(c.backend, "tpu");
    EXPECT_EQ(validate_error(c), "run.backend must be one of auto/cpu/cuda, got 'tpu'");
    strcpy(c.backend, "cpu");
    EXPECT_EQ(validate_error(c), "");
    strcpy(c.algo, "alphazero");
    c.n_envs = 241;
    EXPECT_EQ(validate_error(c), "env.n_envs (241) must be a multiple of the number of tasks (3)");
}

TEST(Config, WriteLoadRoundTrip) {
    ccx_train_config a, b;
    ccx_train_config_default(&a);
    ASSERT_EQ(set_error(&a, "run.tasks=[RoeFlux_1d, \"dir with space/x.ccx\", 'q\"uote#:']"), "");
    strcpy(a.name, "odd: name # not a comment \\ \"q\"");
    strcpy(a.out_dir, "results/runs");
    a.seed = 12345678901234567890ull;
    strcpy(a.backend, "cuda");
    strcpy(a.algo, "alphazero");
    a.threads = 3;
    a.n_envs = 96;
    a.dim = 48;
    a.layers = 3;
    a.heads = 6;
    a.mlp_dim = 200;
    a.value_dim = 17;
    a.tf32 = 0;
    a.lr = 1.0 / 3.0;
    strcpy(a.lr_schedule, "cosine");
    a.lr_final = 0.1 + 0.2;  // 0.30000000000000004
    a.beta1 = 0.85;
    a.beta2 = 0.99999;
    a.eps = 1e-300;
    a.weight_decay = 0.012345678901234567;
    a.max_grad_norm = 0;
    a.clip = 0.3;
    a.gae_lambda = 0.9;
    a.gamma = 0.999;
    a.epochs = 9;
    a.minibatches = 3;
    a.ent_coef = 2.5e-3;
    a.vf_coef = 0.25;
    a.norm_adv = 0;
    a.target_kl = 0.015;
    a.reward_scale = 3.7;
    a.eval_every = 0;
    a.eval_samples = 64;
    a.ckpt_every = 7;
    a.ckpt_seconds = 12.5;
    a.budget_updates = 1234567890123L;
    a.budget_env_steps = 42;
    a.budget_seconds = 3600.5;
    a.az_num_simulations = 64;
    a.az_num_considered = 16;
    a.az_gumbel_scale = 0.7;
    a.az_value_scale = 0.05;
    a.az_maxvisit_init = 25;
    a.az_rescale_values = 0;
    strcpy(a.az_value_transform, "sqrt");
    a.az_replay_size = 5000;
    a.az_batch_size = 128;
    a.az_updates_per_iter = 2;
    a.az_value_weight = 0.5;
    a.az_l2_weight = 0;
    ASSERT_EQ(validate_error(a), "");

    char tmpl[] = "/tmp/ccx_config_rt_XXXXXX";
    int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    close(fd);
    ccx_error err;
    ASSERT_EQ(ccx_train_config_write(&a, tmpl, &err), 0) << fmt(err);
    ccx_train_config_default(&b);
    ASSERT_EQ(ccx_train_config_load(&b, tmpl, &err), 0) << fmt(err);
    unlink(tmpl);

#define SAME_STR(f) EXPECT_STREQ(a.f, b.f) << #f
#define SAME(f) EXPECT_EQ(a.f, b.f) << #f
    SAME_STR(name);
    SAME_STR(out_dir);
    SAME(n_tasks);
    for (int i = 0; i < a.n_tasks; i++) SAME_STR(tasks[i]);
    SAME(seed);
    SAME_STR(backend);
    SAME_STR(algo);
    SAME(threads);
    SAME(n_envs);
    SAME(dim);
    SAME(layers);
    SAME(heads);
    SAME(mlp_dim);
    SAME(value_dim);
    SAME(tf32);
    SAME(lr);
    SAME_STR(lr_schedule);
    SAME(lr_final);
    SAME(beta1);
    SAME(beta2);
    SAME(eps);
    SAME(weight_decay);
    SAME(max_grad_norm);
    SAME(clip);
    SAME(gae_lambda);
    SAME(gamma);
    SAME(epochs);
    SAME(minibatches);
    SAME(ent_coef);
    SAME(vf_coef);
    SAME(norm_adv);
    SAME(target_kl);
    SAME(reward_scale);
    SAME(eval_every);
    SAME(eval_samples);
    SAME(ckpt_every);
    SAME(ckpt_seconds);
    SAME(budget_updates);
    SAME(budget_env_steps);
    SAME(budget_seconds);
    SAME(az_num_simulations);
    SAME(az_num_considered);
    SAME(az_gumbel_scale);
    SAME(az_value_scale);
    SAME(az_maxvisit_init);
    SAME(az_rescale_values);
    SAME_STR(az_value_transform);
    SAME(az_replay_size);
    SAME(az_batch_size);
    SAME(az_updates_per_iter);
    SAME(az_value_weight);
    SAME(az_l2_weight);
#undef SAME
#undef SAME_STR
    // the text is a fixed point, and commented and grouped
    char *ta = ccx_train_config_to_yaml(&a);
    char *tb = ccx_train_config_to_yaml(&b);
    ASSERT_TRUE(ta && tb);
    EXPECT_STREQ(ta, tb);
    std::string t(ta);
    EXPECT_NE(t.find("\nppo:\n  # PPO ratio clipping epsilon\n  clip: 0.3\n"), std::string::npos) << t;
    EXPECT_NE(t.find("  lr_final: 0.30000000000000004\n"), std::string::npos) << t;
    EXPECT_NE(t.find("  eps: 1e-300\n"), std::string::npos) << t;
    free(ta);
    free(tb);
    // the defaults round-trip too
    ccx_train_config_default(&a);
    ta = ccx_train_config_to_yaml(&a);
    TmpFile f(ta);
    free(ta);
    ccx_train_config_default(&b);
    b.clip = 0.77;
    ASSERT_EQ(ccx_train_config_load(&b, f.path.c_str(), &err), 0) << fmt(err);
    EXPECT_EQ(0, memcmp(&a, &b, sizeof a));
}

TEST(Config, GetAndKeyTable) {
    ccx_train_config c;
    ccx_train_config_default(&c);
    ASSERT_EQ(set_error(&c, "run.tasks=[a, b]"), "");
    EXPECT_EQ(get(c, "run.tasks"), "[a, b]");
    EXPECT_EQ(get(c, "ppo.clip"), "0.2");
    EXPECT_EQ(get(c, "optim.lr"), "0.0003");
    EXPECT_EQ(get(c, "network.tf32"), "true");
    EXPECT_EQ(get(c, "run.out_dir"), "");
    EXPECT_EQ(get(c, "budget.updates"), "0");
    char buf[16];
    EXPECT_EQ(ccx_train_config_get(&c, "ppo.nope", buf, sizeof buf), -1);
    // the table lists every key with its default
    fflush(stdout);
    testing::internal::CaptureStdout();
    ccx_train_config_print_keys();
    std::string out = testing::internal::GetCapturedStdout();
    EXPECT_NE(out.find("ppo.clip"), std::string::npos);
    EXPECT_NE(out.find("alphazero.l2_weight"), std::string::npos);
    EXPECT_NE(out.find("auto|cpu|cuda"), std::string::npos);
}

TEST(Config, PublishedFigures) {
    struct {
        const char *task;
        long ppo, best;
    } want[] = {{"RoeFlux_1d", 326, 320},
                {"RobotArm_6DOF", 247, 231},
                {"HumanHeartDipole", 161, 148},
                {"PropaneCombustion", 92, 88},
                {"roeflux_1d", -1, -1},
                {"Unknown", -1, -1}};
    for (auto &w : want) {
        ccx_published p = ccx_published_for(w.task);
        EXPECT_EQ(p.ppo, w.ppo) << w.task;
        EXPECT_EQ(p.best, w.best) << w.task;
    }
    EXPECT_EQ(ccx_published_for(nullptr).ppo, -1);
}
