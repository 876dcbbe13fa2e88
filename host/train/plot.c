/* Plots of training runs through gnuplot: the data and a script go to a
 * temporary directory, `gnuplot plot.gp` draws one PNG (pngcairo when this
 * gnuplot has it, else png), which is renamed into place. No gnuplot is an
 * error that says so. CCX_GNUPLOT overrides the program (tests). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "train/run.h"

extern char **environ;

enum { MAX_PLOT_TASKS = 64 };

typedef struct {
    char name[256];         /* the run directory's name (legend) */
    ccx_metrics_table m;
    int n_info;
    ccx_run_task_info info[MAX_PLOT_TASKS];
} plot_run;

static void dir_name(const char *dir, char *out, size_t size) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/') buf[--n] = '\0';
    const char *s = strrchr(buf, '/');
    snprintf(out, size, "%s", s && s[1] ? s + 1 : buf);
}

/* A gnuplot single-quoted string ('' stands for ') into f. */
static void gp_str(FILE *f, const char *s) {
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

static void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    if (d) {
        for (struct dirent *e; (e = readdir(d));) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char p[4400];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

static int add_task(char names[][64], int *n, const char *name) {
    for (int i = 0; i < *n; i++)
        if (strcmp(names[i], name) == 0) return i;
    if (*n >= MAX_PLOT_TASKS || strlen(name) >= 64) return -1;
    snprintf(names[*n], 64, "%s", name);
    return (*n)++;
}

/* Baselines and published figures for task t: the first run that has it in
 * tasks.json; published figures fall back to the built-in table (AlphaGrad's
 * model only: they are in its units). */
static ccx_run_task_info task_info(const plot_run *runs, int n_runs, const char *task) {
    ccx_run_task_info r;
    memset(&r, 0, sizeof r);
    r.forward = r.reverse = r.markowitz = r.greedy = -1;
    r.published = ccx_published_for(task);
    snprintf(r.cost_model, sizeof r.cost_model, "alphagrad");
    for (int i = 0; i < n_runs; i++)
        for (int j = 0; j < runs[i].n_info; j++)
            if (strcmp(runs[i].info[j].name, task) == 0) {
                r = runs[i].info[j];
                if (r.published.ppo < 0 && r.published.best < 0 && strcmp(r.cost_model, "real") != 0)
                    r.published = ccx_published_for(task);
                return r;
            }
    return r;
}

/* Write run i's series for task into path; returns the number of points. */
static int write_series(const plot_run *run, const char *task, const char *path, ccx_error *err) {
    const ccx_metrics_table *m = &run->m;
    char col[128];
    int x = ccx_metrics_col(m, "env_steps");
    if (x < 0) x = ccx_metrics_col(m, "update");
    snprintf(col, sizeof col, "best_so_far.%s", task);
    int b = ccx_metrics_col(m, col);
    snprintf(col, sizeof col, "mean_cost.%s", task);
    int mc = ccx_metrics_col(m, col);
    if (x < 0 || (b < 0 && mc < 0)) return 0;
    FILE *f = fopen(path, "w");
    if (!f) return ccx_error_set_at(err, path, 0, 0, "cannot write: %s", strerror(errno));
    int n = 0;
    for (int r = 0; r < m->n_rows; r++) {
        const double *v = m->values + (size_t)r * (size_t)m->n_cols;
        double xv = v[x], bv = b >= 0 ? v[b] : NAN, mv = mc >= 0 ? v[mc] : NAN;
        if (isnan(xv) || (isnan(bv) && isnan(mv))) continue;
        fprintf(f, "%.17g", xv);
        if (isnan(bv)) fprintf(f, " ?");
        else fprintf(f, " %.17g", bv);
        if (isnan(mv)) fprintf(f, " ?\n");
        else fprintf(f, " %.17g\n", mv);
        n++;
    }
    if (fclose(f) != 0) return ccx_error_set_at(err, path, 0, 0, "write failed");
    return n;
}

static const char *const COLORS[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                     "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

/* Run gnuplot on script; log gets its output. 0, or -1 with err set. */
static int run_gnuplot(const char *script, const char *log, ccx_error *err) {
    const char *prog = getenv("CCX_GNUPLOT");
    if (!prog || !*prog) prog = "gnuplot";
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0) return ccx_error_set(err, "out of memory");
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    char *argv[] = {(char *)prog, (char *)script, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc == ENOENT)
        return ccx_error_set(err, "cannot plot: gnuplot not found ('%s' is not on PATH); install it "
                                  "(Debian: apt-get install gnuplot-nox)", prog);
    if (rc != 0) return ccx_error_set(err, "cannot run %s: %s", prog, strerror(rc));
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return ccx_error_set(err, "waiting for %s: %s", prog, strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    /* the first lines of gnuplot's complaint */
    char msg[300] = "";
    FILE *f = fopen(log, "r");
    if (f) {
        size_t n = fread(msg, 1, sizeof msg - 1, f);
        msg[n] = '\0';
        fclose(f);
        for (char *p = msg; *p; p++)
            if (*p == '\n') *p = ' ';
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return ccx_error_set(err, "cannot plot: gnuplot not found ('%s'); install it "
                                  "(Debian: apt-get install gnuplot-nox)", prog);
    if (WIFEXITED(status))
        return ccx_error_set(err, "gnuplot failed (exit %d): %s", WEXITSTATUS(status), msg);
    return ccx_error_set(err, "gnuplot killed by signal %d", WTERMSIG(status));
}

int ccx_plot_runs(int n_runs, const char *const *run_dirs, const char *out_png, ccx_error *err) {
    if (n_runs < 1) return ccx_error_set(err, "no run directories to plot");
    char out[4096];
    if (out_png && *out_png) snprintf(out, sizeof out, "%s", out_png);
    else snprintf(out, sizeof out, "%s/plot.png", run_dirs[0]);

    plot_run *runs = calloc((size_t)n_runs, sizeof *runs);
    char(*tasks)[64] = calloc(MAX_PLOT_TASKS, 64);
    if (!runs || !tasks) {
        free(runs);
        free(tasks);
        return ccx_error_set(err, "out of memory");
    }
    int rc = -1, n_tasks = 0;
    char tmpdir[4096] = "";
    for (int i = 0; i < n_runs; i++) {
        char path[4200];
        dir_name(run_dirs[i], runs[i].name, sizeof runs[i].name);
        snprintf(path, sizeof path, "%s/metrics.csv", run_dirs[i]);
        if (ccx_metrics_read(path, &runs[i].m, err)) goto done;
        ccx_error e2;
        snprintf(path, sizeof path, "%s/tasks.json", run_dirs[i]);
        if (access(path, F_OK) == 0) {
            int n = ccx_run_read_tasks_json(run_dirs[i], MAX_PLOT_TASKS, runs[i].info, &e2);
            if (n < 0) {
                *err = e2;
                goto done;
            }
            runs[i].n_info = n;
            for (int j = 0; j < n; j++) add_task(tasks, &n_tasks, runs[i].info[j].name);
        }
        /* tasks from the columns too (a run without tasks.json) */
        for (int c = 0; c < runs[i].m.n_cols; c++)
            if (strncmp(runs[i].m.cols[c], "best_so_far.", 12) == 0)
                add_task(tasks, &n_tasks, runs[i].m.cols[c] + 12);
    }
    if (n_tasks == 0) {
        ccx_error_set_at(err, run_dirs[0], 0, 0, "no task columns (best_so_far.TASK) in metrics.csv");
        goto done;
    }
    /* one plot, one cost model: runs priced under different ones do not share an axis */
    for (int i = 1; i < n_runs; i++)
        if (runs[i].n_info && runs[0].n_info &&
            strcmp(runs[i].info[0].cost_model, runs[0].info[0].cost_model) != 0) {
            ccx_error_set(err, "%s is priced under the %s cost model and %s under %s: plot them "
                               "separately", run_dirs[0], runs[0].info[0].cost_model, run_dirs[i],
                          runs[i].info[0].cost_model);
            goto done;
        }

    const char *tbase = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/ccx-plot-XXXXXX", tbase && *tbase ? tbase : "/tmp");
    if (!mkdtemp(tmpdir)) {
        ccx_error_set_at(err, tmpdir, 0, 0, "cannot create a temporary directory: %s", strerror(errno));
        tmpdir[0] = '\0';
        goto done;
    }
    char script[4200], log[4200], tmp_out[4200];
    snprintf(script, sizeof script, "%s/plot.gp", tmpdir);
    snprintf(log, sizeof log, "%s/gnuplot.log", tmpdir);
    snprintf(tmp_out, sizeof tmp_out, "%s.tmp%ld.png", out, (long)getpid());
    FILE *gp = fopen(script, "w");
    if (!gp) {
        ccx_error_set_at(err, script, 0, 0, "cannot write: %s", strerror(errno));
        goto done;
    }
    int cols = n_tasks == 1 ? 1 : 2, rows = (n_tasks + cols - 1) / cols;
    int w = cols * 720, h = rows * 480;
    fprintf(gp,
            "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
            "  set terminal pngcairo noenhanced size %d,%d font ',10'\n"
            "} else {\n"
            "  set terminal png noenhanced size %d,%d\n"
            "}\n",
            w, h, w, h);
    fprintf(gp, "set output ");
    gp_str(gp, tmp_out);
    fprintf(gp,
            "\nset datafile missing '?'\n"
            "set key outside right top vertical font ',8'\n"
            "set grid\nset xlabel 'env steps'\nset ylabel 'cost'\nset format x '%%.1s%%c'\n");
    if (n_tasks > 1) fprintf(gp, "set multiplot layout %d,%d\n", rows, cols);
    for (int t = 0; t < n_tasks; t++) {
        ccx_run_task_info info = task_info(runs, n_runs, tasks[t]);
        /* costs spanning more than 8x (tensor tasks: forward mode 30x the
         * best) on a log axis, so that the region the runs reach stays readable */
        long lo = -1, hi = -1;
        const long span[] = {info.forward, info.reverse, info.markowitz, info.greedy,
                             info.published.best};
        for (size_t k = 0; k < sizeof span / sizeof span[0]; k++) {
            if (span[k] <= 0) continue;
            if (lo < 0 || span[k] < lo) lo = span[k];
            if (span[k] > hi) hi = span[k];
        }
        fprintf(gp, lo > 0 && hi > 8 * lo ? "set logscale y\nset ylabel 'cost (log scale)'\n"
                                          : "unset logscale y\nset ylabel 'cost'\n");
        fprintf(gp, "set title ");
        char title[160];
        snprintf(title, sizeof title, strcmp(info.cost_model, "real") ? "%s" : "%s (real cost model)", tasks[t]);
        gp_str(gp, title);
        fprintf(gp, "\n");
        int items = 0;
        for (int i = 0; i < n_runs; i++) {
            char data[4400];
            snprintf(data, sizeof data, "%s/r%d_t%d.dat", tmpdir, i, t);
            int n = write_series(&runs[i], tasks[t], data, err);
            if (n < 0) {
                fclose(gp);
                goto done;
            }
            if (n == 0) continue;
            const char *color = COLORS[i % (int)(sizeof COLORS / sizeof COLORS[0])];
            char title[300];
            snprintf(title, sizeof title, "%s best", runs[i].name);
            fprintf(gp, "%s", items++ ? ", \\\n     " : "plot ");
            gp_str(gp, data);
            fprintf(gp, " using 1:2 with lines lw 2 lc rgb '%s' title ", color);
            gp_str(gp, title);
            snprintf(title, sizeof title, "%s mean", runs[i].name);
            fprintf(gp, ", \\\n     ");
            gp_str(gp, data);
            fprintf(gp, " using 1:3 with lines lw 1 dt 3 lc rgb '%s' ", color);
            if (n_runs <= 4) {
                fprintf(gp, "title ");
                gp_str(gp, title);
            } else {
                fprintf(gp, "notitle");
            }
        }
        const struct {
            const char *what;
            long v;
            const char *style;
        } lines[] = {
            {"forward", info.forward, "dt 4 lc rgb '#999999'"},
            {"reverse", info.reverse, "dt 4 lc rgb '#555555'"},
            {"markowitz", info.markowitz, "dt 4 lc rgb '#000000'"},
            /* the tensor-aware greedy, where it differs from markowitz (tensor graphs) */
            {"greedy", info.greedy != info.markowitz ? info.greedy : -1, "dt 3 lc rgb '#0066cc'"},
            {"AlphaGrad PPO", info.published.ppo, "dt 2 lw 1.5 lc rgb '#cc0000'"},
            {"AlphaGrad best", info.published.best, "dt 2 lw 1.5 lc rgb '#660066'"},
        };
        for (size_t k = 0; k < sizeof lines / sizeof lines[0]; k++) {
            if (lines[k].v < 0) continue;
            fprintf(gp, "%s%ld with lines %s title '%s %ld'", items++ ? ", \\\n     " : "plot ", lines[k].v,
                    lines[k].style, lines[k].what, lines[k].v);
        }
        if (!items) fprintf(gp, "set label 'no data' at graph 0.5,0.5 center\nplot [0:1] [0:1] 2 notitle");
        fprintf(gp, "\n");
        if (!items) fprintf(gp, "unset label\n");
    }
    if (n_tasks > 1) fprintf(gp, "unset multiplot\n");
    fprintf(gp, "set output\n");
    if (fclose(gp) != 0) {
        ccx_error_set_at(err, script, 0, 0, "write failed");
        goto done;
    }
    if (run_gnuplot(script, log, err)) {
        unlink(tmp_out);
        goto done;
    }
    struct stat st;
    if (stat(tmp_out, &st) != 0 || st.st_size == 0) {
        unlink(tmp_out);
        ccx_error_set_at(err, out, 0, 0, "gnuplot wrote no image");
        goto done;
    }
    if (rename(tmp_out, out) != 0) {
        int e = errno;
        unlink(tmp_out);
        ccx_error_set_at(err, out, 0, 0, "cannot write: %s", strerror(e));
        goto done;
    }
    rc = 0;
done:
    if (tmpdir[0] && !getenv("CCX_PLOT_KEEP")) remove_tree(tmpdir);
    for (int i = 0; i < n_runs; i++) ccx_metrics_table_free(&runs[i].m);
    free(runs);
    free(tasks);
    return rc;
}
