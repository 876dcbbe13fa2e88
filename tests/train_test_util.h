// Helpers shared by the training suites (test_ppo.cc, test_alphazero.cc):
// temporary run directories, a small generated task, `ccx train` as a call,
// metrics.csv tables and the resume-equivalence comparison.
#ifndef CCX_TRAIN_TEST_UTIL_H
#define CCX_TRAIN_TEST_UTIL_H

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

extern "C" {
#include "lang/gen.h"
#include "train/run.h"
#include "train/trainer.h"
}

inline std::string TempDir(const char *tag) {
    char tmpl[256];
    snprintf(tmpl, sizeof tmpl, "/tmp/ccx_%s_XXXXXX", tag);
    char *d = mkdtemp(tmpl);
    EXPECT_NE(d, nullptr);
    return d ? d : "/tmp";
}

inline void RemoveTree(const std::string &dir) { (void)!system(("rm -rf '" + dir + "'").c_str()); }

inline void WriteFile(const std::string &path, const std::string &text) { std::ofstream(path) << text; }

// A generated task with 9 intermediates (3 inputs, 2 outputs) at dir/tiny.ccx.
// Seed 4: optimum 24, forward 32, reverse 32, Markowitz 27.
inline std::string WriteTinyTask(const std::string &dir, uint64_t seed) {
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
    WriteFile(path, text ? text : "");
    free(text);
    return path;
}

// `ccx train CONFIG --set ...` (or --resume DIR), quiet; returns the exit status.
inline int Train(const std::string &config, const std::vector<std::string> &sets,
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

struct Table {
    ccx_metrics_table t{};
    explicit Table(const std::string &path) {
        ccx_error err;
        EXPECT_EQ(ccx_metrics_read(path.c_str(), &t, &err), 0) << path << ": " << err.msg;
    }
    ~Table() { ccx_metrics_table_free(&t); }
    double at(int row, const char *col) const {
        int c = ccx_metrics_col(&t, col);
        EXPECT_GE(c, 0) << col;
        return c < 0 ? NAN : t.values[(size_t)row * t.n_cols + c];
    }
};

// Two metrics.csv files hold the same rows, except for the time columns.
inline void ExpectSameMetrics(const std::string &a_path, const std::string &b_path, int rows) {
    Table a(a_path), b(b_path);
    ASSERT_EQ(a.t.n_rows, rows);
    ASSERT_EQ(b.t.n_rows, rows);
    ASSERT_EQ(a.t.n_cols, b.t.n_cols);
    for (int c = 0; c < a.t.n_cols; c++) {
        std::string name = a.t.cols[c];
        if (name == "wall_s" || name == "steps_per_s") continue;  // time, not results
        for (int r = 0; r < rows; r++) {
            double x = a.t.values[(size_t)r * a.t.n_cols + c],
                   y = b.t.values[(size_t)r * b.t.n_cols + c];
            if (std::isnan(x) && std::isnan(y)) continue;
            EXPECT_EQ(x, y) << name << " at update " << r + 1;
        }
    }
}

#endif
