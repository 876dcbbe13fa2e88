/* What every training algorithm shares around its loop: the run directory,
 * metrics.csv, the progress line, signals, plots and the published
 * reference figures. The algorithms (rl/ppo.c, az/alphazero.c) call these;
 * none of them knows which algorithm is running.
 *
 * Run directory (results/runs/NAME/, ignored by git):
 *   config.yaml         the effective config (train/config.h)
 *   tasks.json          per task: name, path, graph hash, n_intermediates,
 *                       forward / reverse / markowitz cost, published
 *                       AlphaGrad figures (null where none)
 *   metrics.csv         one row per update (columns below)
 *   checkpoints/        ckpt-UPDATE.safetensors, latest.safetensors
 *   best_order.json     single task; with several: best_order.TASK.json each
 *   plot.png            best and mean cost against env steps (ccx_plot_runs)
 *
 * metrics.csv columns: the common ones (CCX_METRICS_COMMON), then per task
 * T (in config order) "mean_cost.T", "best_cost.T" (best complete episode
 * of this update), "best_so_far.T", "greedy_cost.T" and "sampled_best.T"
 * (the last evaluation's; empty when no evaluation ran this update). An
 * empty field is a missing value (written for NaN). */
#ifndef CCX_TRAIN_RUN_H
#define CCX_TRAIN_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Common metrics columns, in order. */
#define CCX_METRICS_COMMON                                                                  \
    "update", "env_steps", "wall_s", "steps_per_s", "lr", "policy_loss", "value_loss",      \
        "entropy", "approx_kl", "clip_frac", "explained_var", "grad_norm"
enum { CCX_METRICS_N_COMMON = 12 };
/* Per-task column stems, in order ("mean_cost" -> "mean_cost.RoeFlux_1d"). */
#define CCX_METRICS_PER_TASK "mean_cost", "best_cost", "best_so_far", "greedy_cost", "sampled_best"
enum { CCX_METRICS_N_PER_TASK = 5 };

/* ---- published figures (AlphaGrad, arXiv 2406.05027) ----
 * By task name (case-sensitive, as the task files name them): PPO's best
 * and the best result AlphaGrad ever logged, for the ten paper tasks
 * (published.c; tests/data/alphagrad/TASKS.md). -1 where unknown. */
typedef struct {
    long ppo, best;
} ccx_published;
ccx_published ccx_published_for(const char *task_name);

/* ---- tasks.json ----
 *   {"tasks": [{"name": "RoeFlux_1d", "path": "configs/tasks/RoeFlux_1d.ccx",
 *               "graph_sha256": "31e2...", "n_intermediates": 98,
 *               "forward": 620, "reverse": 364, "markowitz": 407, "greedy": 407,
 *               "published": {"ppo": 326, "best": 320}, "cost_model": "alphagrad"}, ...]}
 * One entry per task in config order; "published" is null when neither
 * figure is known (and always under the real model: AlphaGrad's figures are
 * in its own model), and each figure is null where unknown (-1 in memory).
 * "cost_model" names the model of every cost (env.cost_model); files
 * without it are AlphaGrad's. */
typedef struct {
    char name[64];
    char path[512];
    char hash[80];                    /* graph_sha256 (hex) */
    int n_intermediates;
    long forward, reverse, markowitz, greedy; /* baseline costs (game.h) */
    ccx_published published;
    char cost_model[16];              /* "alphagrad" | "real": the model of every cost here */
} ccx_run_task_info;
/* Write dir/tasks.json (atomically). */
int ccx_run_write_tasks_json(const char *dir, int n, const ccx_run_task_info *tasks, ccx_error *err);
/* Read dir/tasks.json: at most max entries into tasks; returns how many, or
 * -1 (err says why: missing file, bad JSON, missing field). Absent numbers
 * read as -1. */
int ccx_run_read_tasks_json(const char *dir, int max, ccx_run_task_info *tasks, ccx_error *err);

/* ---- run directory ----
 * The out_dir of a config that leaves run.out_dir "": results/runs of the
 * source tree ccx was built from (so a run never lands in whatever directory
 * the command ran in), or ./results/runs when that tree is gone. */
void ccx_run_default_out_dir(char *out, size_t size);
/*
 * Create out_dir/name (name "" -> base, the config file's basename without
 * extension; if the directory exists, name-2, name-3, ...) with a
 * checkpoints/ subdirectory. The chosen path goes to dir (size bytes). */
int ccx_run_dir_create(const char *out_dir, const char *name, const char *base, char *dir,
                       size_t size, ccx_error *err);

/* ---- metrics.csv ---- */
typedef struct ccx_metrics ccx_metrics;
/* Open path for appending rows of n_cols values under the header cols.
 * keep_until < 0: create (truncate) and write the header. keep_until >= 0
 * (resume): the file must exist with exactly this header; rows whose first
 * column (update) is > keep_until are dropped (rewritten atomically), then
 * rows are appended. */
ccx_metrics *ccx_metrics_open(const char *path, int n_cols, const char *const *cols,
                              long keep_until, ccx_error *err);
/* Append one row (values[n_cols]; NaN -> empty field; integers print
 * without a decimal point, others with %.9g); flushed at once. */
int ccx_metrics_append(ccx_metrics *m, const double *values, ccx_error *err);
void ccx_metrics_close(ccx_metrics *m);

/* A whole metrics.csv in memory (for plots, summaries and tests). */
typedef struct {
    int n_cols, n_rows;
    char **cols;     /* [n_cols] */
    double *values;  /* [n_rows][n_cols], NaN for empty fields */
} ccx_metrics_table;
int ccx_metrics_read(const char *path, ccx_metrics_table *t, ccx_error *err);
int ccx_metrics_col(const ccx_metrics_table *t, const char *name); /* index or -1 */
void ccx_metrics_table_free(ccx_metrics_table *t);

/* ---- progress ----
 * On a terminal (isatty(stderr)): one line redrawn at most 10 times a
 * second: "[#####.....] 42% 1.2e6 steps/s ETA 1m20s | HumanHeartDipole best 158
 * (fwd 240 rev 172 mkw 194)". Otherwise a plain line every `plain_every_s`
 * seconds (and at the end). fraction: the budget used, 0..1 (negative:
 * unknown, no bar or ETA). text: the tail of the line (costs vs baselines),
 * written by the caller. */
typedef struct ccx_progress ccx_progress;
ccx_progress *ccx_progress_create(FILE *out, double plain_every_s);
void ccx_progress_update(ccx_progress *p, double fraction, double steps_per_s, const char *text);
/* Final line (newline-terminated on a terminal too). */
void ccx_progress_finish(ccx_progress *p, const char *text);
void ccx_progress_free(ccx_progress *p);

/* ---- signals ----
 * SIGINT and SIGTERM set a flag (the loop checkpoints and stops cleanly);
 * a second SIGINT restores the default action. */
void ccx_signals_install(void);
/* 0, or the signal number received. */
int ccx_signal_received(void);
/* For tests: make ccx_signal_received() return sig (0 clears). */
void ccx_signal_fake(int sig);

/* ---- plots (gnuplot, run as a child process; no gnuplot = an error
 * saying so, never a crash) ----
 * One PNG with a panel per task: best_so_far and mean_cost against
 * env_steps for every run in run_dirs (overlaid, labelled by the run
 * directory's name), forward / reverse / markowitz as horizontal lines and
 * AlphaGrad's published figures (tasks.json) as dashed lines. out_png NULL:
 * run_dirs[0]/plot.png. */
int ccx_plot_runs(int n_runs, const char *const *run_dirs, const char *out_png, ccx_error *err);

#ifdef __cplusplus
}
#endif
#endif
