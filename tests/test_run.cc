// Run infrastructure (host/train/run.h): run directories, metrics.csv with
// resume truncation, tasks.json, the progress line, signals and plots.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include <sys/stat.h>
#include <unistd.h>

extern "C" {
#include "train/run.h"
}

namespace {

std::string fmt(const ccx_error &e) {
    char buf[1024];
    return ccx_error_format(&e, buf, sizeof buf);
}

struct TmpDir {
    std::string path;
    TmpDir() {
        char tmpl[] = "/tmp/ccx_run_XXXXXX";
        EXPECT_NE(mkdtemp(tmpl), nullptr);
        path = tmpl;
    }
    ~TmpDir() { std::filesystem::remove_all(path); }
};

std::string slurp(const std::string &path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

bool is_dir(const std::string &p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

const char *const COLS[] = {"update", "env_steps", "wall_s", "loss", "best_so_far.T"};

void write_metrics(const std::string &path, int rows) {
    ccx_error err;
    ccx_metrics *m = ccx_metrics_open(path.c_str(), 5, COLS, -1, &err);
    ASSERT_NE(m, nullptr) << fmt(err);
    for (int u = 1; u <= rows; u++) {
        double v[5] = {(double)u, 1000.0 * u, 0.5 * u, u % 2 ? NAN : 1.0 / u, u < 2 ? NAN : 400.0 - u};
        ASSERT_EQ(ccx_metrics_append(m, v, &err), 0) << fmt(err);
    }
    ccx_metrics_close(m);
}

}  // namespace

TEST(RunDir, CreatesUniqueNames) {
    TmpDir t;
    std::string out = t.path + "/runs/nested";
    char dir[4096];
    ccx_error err;
    ASSERT_EQ(ccx_run_dir_create(out.c_str(), "", "configs/train/quickstart.yaml", dir, sizeof dir, &err), 0)
        << fmt(err);
    EXPECT_EQ(std::string(dir), out + "/quickstart");
    EXPECT_TRUE(is_dir(std::string(dir) + "/checkpoints"));
    ASSERT_EQ(ccx_run_dir_create(out.c_str(), "", "quickstart", dir, sizeof dir, &err), 0);
    EXPECT_EQ(std::string(dir), out + "/quickstart-2");
    ASSERT_EQ(ccx_run_dir_create(out.c_str(), "", "quickstart.yml", dir, sizeof dir, &err), 0);
    EXPECT_EQ(std::string(dir), out + "/quickstart-3");
    ASSERT_EQ(ccx_run_dir_create(out.c_str(), "mine", "quickstart", dir, sizeof dir, &err), 0);
    EXPECT_EQ(std::string(dir), out + "/mine");
    EXPECT_TRUE(is_dir(std::string(dir) + "/checkpoints"));
    ASSERT_EQ(ccx_run_dir_create(out.c_str(), "mine", "quickstart", dir, sizeof dir, &err), 0);
    EXPECT_EQ(std::string(dir), out + "/mine-2");
    EXPECT_NE(ccx_run_dir_create(out.c_str(), "a/b", "x", dir, sizeof dir, &err), 0);
    EXPECT_NE(fmt(err).find("plain directory name"), std::string::npos);
    // out_dir under a regular file
    std::ofstream(t.path + "/file") << "x";
    EXPECT_NE(ccx_run_dir_create((t.path + "/file/sub").c_str(), "r", "x", dir, sizeof dir, &err), 0);
    EXPECT_NE(fmt(err).find("file"), std::string::npos) << fmt(err);
}

// A config that leaves run.out_dir "" writes under the source tree's
// results/runs, not under the directory the command runs in.
TEST(RunDir, DefaultOutDirIsTheSourceTreesResultsRuns) {
    char dir[4096];
    ccx_run_default_out_dir(dir, sizeof dir);
    EXPECT_EQ(std::string(dir), std::string(CCX_SOURCE_DIR) + "/results/runs");
}

TEST(RunMetrics, WriteReadWithMissingValues) {
    TmpDir t;
    std::string path = t.path + "/metrics.csv";
    write_metrics(path, 4);
    EXPECT_EQ(slurp(path),
              "update,env_steps,wall_s,loss,best_so_far.T\n"
              "1,1000,0.5,,\n"
              "2,2000,1,0.5,398\n"
              "3,3000,1.5,,397\n"
              "4,4000,2,0.25,396\n");
    ccx_metrics_table tab;
    ccx_error err;
    ASSERT_EQ(ccx_metrics_read(path.c_str(), &tab, &err), 0) << fmt(err);
    ASSERT_EQ(tab.n_cols, 5);
    ASSERT_EQ(tab.n_rows, 4);
    EXPECT_EQ(ccx_metrics_col(&tab, "best_so_far.T"), 4);
    EXPECT_EQ(ccx_metrics_col(&tab, "nope"), -1);
    EXPECT_TRUE(std::isnan(tab.values[0 * 5 + 3]));
    EXPECT_TRUE(std::isnan(tab.values[0 * 5 + 4]));
    EXPECT_DOUBLE_EQ(tab.values[1 * 5 + 3], 0.5);
    EXPECT_DOUBLE_EQ(tab.values[3 * 5 + 4], 396);
    ccx_metrics_table_free(&tab);
    // non-integers with 9 significant digits
    ccx_metrics *m = ccx_metrics_open(path.c_str(), 5, COLS, -1, &err);
    ASSERT_NE(m, nullptr);
    double v[5] = {1, 1e12, 1.0 / 3.0, -2.5e-7, INFINITY};
    ASSERT_EQ(ccx_metrics_append(m, v, &err), 0);
    ccx_metrics_close(m);
    EXPECT_EQ(slurp(path), "update,env_steps,wall_s,loss,best_so_far.T\n1,1000000000000,0.333333333,-2.5e-07,inf\n");
}

TEST(RunMetrics, ResumeTruncatesAndAppends) {
    TmpDir t;
    std::string path = t.path + "/metrics.csv";
    write_metrics(path, 5);
    // a half-written last row (crash) is dropped as well
    std::ofstream(path, std::ios::app) << "6,6000,3,";
    ccx_error err;
    ccx_metrics *m = ccx_metrics_open(path.c_str(), 5, COLS, 3, &err);
    ASSERT_NE(m, nullptr) << fmt(err);
    EXPECT_EQ(slurp(path),
              "update,env_steps,wall_s,loss,best_so_far.T\n"
              "1,1000,0.5,,\n"
              "2,2000,1,0.5,398\n"
              "3,3000,1.5,,397\n");
    double v[5] = {4, 4100, 2.1, NAN, 390};
    ASSERT_EQ(ccx_metrics_append(m, v, &err), 0);
    ccx_metrics_close(m);
    ccx_metrics_table tab;
    ASSERT_EQ(ccx_metrics_read(path.c_str(), &tab, &err), 0) << fmt(err);
    ASSERT_EQ(tab.n_rows, 4);
    EXPECT_DOUBLE_EQ(tab.values[3 * 5 + 1], 4100);
    EXPECT_TRUE(std::isnan(tab.values[3 * 5 + 3]));
    ccx_metrics_table_free(&tab);
    // keep everything: nothing dropped
    m = ccx_metrics_open(path.c_str(), 5, COLS, 100, &err);
    ASSERT_NE(m, nullptr);
    ccx_metrics_close(m);
    std::string all = slurp(path);
    EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 5);
    // keep_until 0: the header only
    m = ccx_metrics_open(path.c_str(), 5, COLS, 0, &err);
    ASSERT_NE(m, nullptr);
    ccx_metrics_close(m);
    EXPECT_EQ(slurp(path), "update,env_steps,wall_s,loss,best_so_far.T\n");
    // another header, a missing file: errors
    const char *other[] = {"update", "env_steps", "wall_s", "loss", "best_so_far.U"};
    EXPECT_EQ(ccx_metrics_open(path.c_str(), 5, other, 3, &err), nullptr);
    EXPECT_NE(fmt(err).find("header does not match"), std::string::npos) << fmt(err);
    EXPECT_EQ(ccx_metrics_open((t.path + "/none.csv").c_str(), 5, COLS, 3, &err), nullptr);
    EXPECT_NE(fmt(err).find("cannot open"), std::string::npos) << fmt(err);
}

TEST(RunMetrics, ReadErrors) {
    TmpDir t;
    std::string path = t.path + "/m.csv";
    std::ofstream(path) << "a,b\n1,2\n3\n4,5\n";
    ccx_metrics_table tab;
    ccx_error err;
    EXPECT_NE(ccx_metrics_read(path.c_str(), &tab, &err), 0);
    EXPECT_EQ(fmt(err), path + ":3:1: expected 2 fields, found 1");
    std::ofstream(path) << "a,b\n1,x\n";
    EXPECT_NE(ccx_metrics_read(path.c_str(), &tab, &err), 0);
    EXPECT_EQ(fmt(err), path + ":2:1: a field is not a number");
    // a row being written (no newline yet) is ignored
    std::ofstream(path) << "a,b\n1,2\n3,";
    ASSERT_EQ(ccx_metrics_read(path.c_str(), &tab, &err), 0) << fmt(err);
    EXPECT_EQ(tab.n_rows, 1);
    ccx_metrics_table_free(&tab);
}

TEST(RunTasksJson, WriteRead) {
    TmpDir t;
    ccx_run_task_info in[2] = {};
    strcpy(in[0].name, "RoeFlux_1d");
    strcpy(in[0].path, "configs/tasks/RoeFlux_1d.ccx");
    strcpy(in[0].hash, "31e2abc");
    in[0].n_intermediates = 98;
    in[0].forward = 620;
    in[0].reverse = 364;
    in[0].markowitz = 407;
    in[0].published = ccx_published_for("RoeFlux_1d");
    strcpy(in[1].name, "gen \"x\"");
    in[1].forward = 10;
    in[1].reverse = 11;
    in[1].markowitz = -1;
    in[1].published = ccx_published_for("gen");
    ccx_error err;
    ASSERT_EQ(ccx_run_write_tasks_json(t.path.c_str(), 2, in, &err), 0) << fmt(err);
    std::string text = slurp(t.path + "/tasks.json");
    EXPECT_NE(text.find("\"published\":\tnull"), std::string::npos) << text;
    EXPECT_NE(text.find("\"markowitz\":\tnull"), std::string::npos) << text;
    ccx_run_task_info out[4];
    ASSERT_EQ(ccx_run_read_tasks_json(t.path.c_str(), 4, out, &err), 2) << fmt(err);
    EXPECT_STREQ(out[0].name, "RoeFlux_1d");
    EXPECT_STREQ(out[0].path, in[0].path);
    EXPECT_STREQ(out[0].hash, "31e2abc");
    EXPECT_EQ(out[0].n_intermediates, 98);
    EXPECT_EQ(out[0].forward, 620);
    EXPECT_EQ(out[0].reverse, 364);
    EXPECT_EQ(out[0].markowitz, 407);
    EXPECT_EQ(out[0].published.ppo, 326);
    EXPECT_EQ(out[0].published.best, 320);
    EXPECT_STREQ(out[1].name, "gen \"x\"");
    EXPECT_EQ(out[1].markowitz, -1);
    EXPECT_EQ(out[1].published.ppo, -1);
    EXPECT_EQ(out[1].published.best, -1);
    EXPECT_EQ(ccx_run_read_tasks_json(t.path.c_str(), 1, out, &err), 1);
    std::ofstream(t.path + "/tasks.json") << "{\"tasks\": [";
    EXPECT_EQ(ccx_run_read_tasks_json(t.path.c_str(), 4, out, &err), -1);
    EXPECT_NE(fmt(err).find("not valid JSON"), std::string::npos);
}

TEST(RunProgress, PlainLinesWhenNotATerminal) {
    FILE *f = tmpfile();
    ASSERT_NE(f, nullptr);
    // every update prints (plain_every_s = 0)
    ccx_progress *p = ccx_progress_create(f, 0);
    ASSERT_NE(p, nullptr);
    ccx_progress_update(p, 0.42, 1.234e6, "RoeFlux_1d best 330 (fwd 620 rev 364 mkw 407)");
    ccx_progress_update(p, -1, 950, "x");
    ccx_progress_finish(p, "RoeFlux_1d best 320");
    ccx_progress_free(p);
    // a long period: only the first update and the final line
    p = ccx_progress_create(f, 1e9);
    ccx_progress_update(p, 0.1, 5, "first");
    ccx_progress_update(p, 0.2, 5, "second");
    ccx_progress_finish(p, "end");
    ccx_progress_free(p);
    rewind(f);
    std::string out;
    char buf[512];
    while (fgets(buf, sizeof buf, f)) out += buf;
    fclose(f);
    EXPECT_EQ(out.find('\r'), std::string::npos) << out;
    std::vector<std::string> lines;
    std::stringstream ss(out);
    for (std::string l; std::getline(ss, l);) lines.push_back(l);
    ASSERT_EQ(lines.size(), 5u) << out;
    EXPECT_EQ(lines[0].substr(0, 38), "[####......]  42% 1.2e6 steps/s ETA 0s") << lines[0];
    EXPECT_NE(lines[0].find(" | RoeFlux_1d best 330 (fwd 620 rev 364 mkw 407)"), std::string::npos);
    EXPECT_EQ(lines[1], "0s 950 steps/s | x");
    EXPECT_EQ(lines[2].substr(0, 8), "done in ") << lines[2];
    EXPECT_NE(lines[2].find("| RoeFlux_1d best 320"), std::string::npos);
    EXPECT_NE(lines[3].find("first"), std::string::npos);
    EXPECT_NE(lines[4].find("end"), std::string::npos);
}

TEST(RunSignals, FlagSetByHandlerAndFake) {
    struct sigaction old_int, old_term;
    sigaction(SIGINT, nullptr, &old_int);
    sigaction(SIGTERM, nullptr, &old_term);
    ccx_signals_install();
    EXPECT_EQ(ccx_signal_received(), 0);
    raise(SIGTERM);
    EXPECT_EQ(ccx_signal_received(), SIGTERM);
    ccx_signal_fake(0);
    raise(SIGINT);
    EXPECT_EQ(ccx_signal_received(), SIGINT);
    // the first SIGINT restored the default action (a second one kills)
    struct sigaction now;
    sigaction(SIGINT, nullptr, &now);
    EXPECT_EQ(now.sa_handler, SIG_DFL);
    ccx_signal_fake(SIGUSR1);
    EXPECT_EQ(ccx_signal_received(), SIGUSR1);
    ccx_signal_fake(0);
    EXPECT_EQ(ccx_signal_received(), 0);
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
}

namespace {
bool have_gnuplot() { return system("gnuplot --version > /dev/null 2>&1") == 0; }

void make_run(const std::string &dir, double scale) {
    std::filesystem::create_directories(dir);
    const char *cols[] = {"update", "env_steps", "wall_s", "mean_cost.PropaneCombustion",
                          "best_so_far.PropaneCombustion", "mean_cost.RoeFlux_1d", "best_so_far.RoeFlux_1d"};
    ccx_error err;
    ccx_metrics *m = ccx_metrics_open((dir + "/metrics.csv").c_str(), 7, cols, -1, &err);
    ASSERT_NE(m, nullptr) << fmt(err);
    for (int u = 1; u <= 20; u++) {
        double v[7] = {(double)u, 1000.0 * u, 0.1 * u, 150 - scale * u, u < 3 ? NAN : 120 - scale * u,
                       600 - 3 * scale * u, 500 - 2 * scale * u};
        ASSERT_EQ(ccx_metrics_append(m, v, &err), 0);
    }
    ccx_metrics_close(m);
    ccx_run_task_info info[2] = {};
    strcpy(info[0].name, "PropaneCombustion");
    info[0].forward = 151;
    info[0].reverse = 90;
    info[0].markowitz = 111;
    info[0].published = ccx_published_for(info[0].name);
    strcpy(info[1].name, "RoeFlux_1d");
    info[1].forward = 620;
    info[1].reverse = 364;
    info[1].markowitz = 407;
    info[1].published = ccx_published_for(info[1].name);
    ASSERT_EQ(ccx_run_write_tasks_json(dir.c_str(), 2, info, &err), 0);
}
}  // namespace

TEST(RunPlot, WritesPng) {
    if (!have_gnuplot()) GTEST_SKIP() << "gnuplot not installed";
    TmpDir t;
    std::string a = t.path + "/run_a", b = t.path + "/run-b";
    make_run(a, 1);
    make_run(b, 2);
    // b without tasks.json: published lines from the built-in table
    unlink((b + "/tasks.json").c_str());
    const char *dirs[] = {a.c_str(), b.c_str()};
    ccx_error err;
    ASSERT_EQ(ccx_plot_runs(2, dirs, nullptr, &err), 0) << fmt(err);
    std::string png = slurp(a + "/plot.png");
    ASSERT_GT(png.size(), 1000u);
    EXPECT_EQ(png.substr(1, 3), "PNG");
    std::string out = t.path + "/one.png";
    ASSERT_EQ(ccx_plot_runs(1, dirs + 1, out.c_str(), &err), 0) << fmt(err);
    EXPECT_GT(slurp(out).size(), 1000u);
}

TEST(RunPlot, ClearErrors) {
    TmpDir t;
    std::string a = t.path + "/run";
    make_run(a, 1);
    const char *dirs[] = {a.c_str()};
    ccx_error err;
    // no gnuplot
    setenv("CCX_GNUPLOT", "/nonexistent/gnuplot", 1);
    EXPECT_NE(ccx_plot_runs(1, dirs, nullptr, &err), 0);
    unsetenv("CCX_GNUPLOT");
    EXPECT_NE(fmt(err).find("gnuplot not found"), std::string::npos) << fmt(err);
    EXPECT_NE(fmt(err).find("gnuplot-nox"), std::string::npos) << fmt(err);
    EXPECT_FALSE(std::filesystem::exists(a + "/plot.png"));
    // no metrics
    std::string none = t.path + "/none";
    const char *nd[] = {none.c_str()};
    EXPECT_NE(ccx_plot_runs(1, nd, nullptr, &err), 0);
    EXPECT_NE(fmt(err).find("metrics.csv"), std::string::npos) << fmt(err);
    EXPECT_NE(ccx_plot_runs(0, nd, nullptr, &err), 0);
}
