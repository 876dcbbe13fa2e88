/* ccx export RUN_DIR [--task T] [--format json|list] [--cost M] [-o FILE] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lang/task.h"
#include "train/config.h"
#include "train/run.h"
#include "util/file.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx export RUN_DIR [--task T] [--format json|list] [--cost alphagrad|real]\n"
            "                  [-o FILE]\n\n"
            "Print (or write) the best order a training run found. The order is checked\n"
            "against the task first: graph hash, completeness, and its cost recomputed\n"
            "through the game, under the run's cost model (tasks.json), must equal the\n"
            "cost on record.\n\n"
            "  --task T          which task of a run over several (default: the only one)\n"
            "  --format F        json (the order file, default) or list (vertex numbers,\n"
            "                    comma-separated: what graphax's jacve(order=...) takes)\n"
            "  --cost MODEL      price the order under MODEL (alphagrad or real) in the file\n"
            "                    written (default: the run's own model); the order is the same\n"
            "  -o FILE           write to FILE instead of stdout\n"
            "  -h, --help        this help\n");
}

/* The task of RUN_DIR/tasks.json named want (or its only task): name and path. */
static int find_task(const char *dir, const char *want, char *name, size_t name_size, char *path,
                     size_t path_size, int *n_tasks, int *model, ccx_error *err) {
    ccx_run_task_info tasks[CCX_CONFIG_MAX_TASKS];
    int n = ccx_run_read_tasks_json(dir, CCX_CONFIG_MAX_TASKS, tasks, err);
    if (n < 0) return -1;
    if (n < 1) return ccx_error_set(err, "%s/tasks.json: no task list", dir);
    *n_tasks = n;
    for (int i = 0; i < n; i++) {
        if (!tasks[i].path[0] || (want ? strcmp(want, tasks[i].name) != 0 : n != 1)) continue;
        snprintf(name, name_size, "%s", tasks[i].name);
        snprintf(path, path_size, "%s", tasks[i].path);
        ccx_cost_model m;
        if (ccx_cost_model_parse(tasks[i].cost_model, &m))
            return ccx_error_set(err, "%s/tasks.json: %s: cost_model '%s' is neither alphagrad nor real",
                                 dir, tasks[i].name, tasks[i].cost_model);
        *model = (int)m;
        return 0;
    }
    if (!want) return ccx_error_set(err, "%s/tasks.json lists %d tasks: choose one with --task", dir, n);
    return ccx_error_set(err, "%s/tasks.json: no task named '%s'", dir, want);
}

int ccx_cmd_export(int argc, char **argv) {
    static const struct option opts[] = {{"task", required_argument, 0, 't'},
                                         {"format", required_argument, 0, 'f'},
                                         {"output", required_argument, 0, 'o'},
                                         {"cost", required_argument, 0, 'c'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *want = NULL, *format = "json", *out_path = NULL;
    int want_model = -1;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1;) {
        switch (c) {
        case 't': want = optarg; break;
        case 'f': format = optarg; break;
        case 'o': out_path = optarg; break;
        case 'c':
            if (ccx_cli_cost_option("export", optarg, &want_model)) return CCX_EXIT_USAGE;
            break;
        case 'h': usage(stdout); return CCX_EXIT_OK;
        default:
            return ccx_cli_option_error("export", c, argv, "ho:");
        }
    }
    if (strcmp(format, "json") && strcmp(format, "list"))
        return ccx_cli_usage_error("export", "--format must be json or list, got '%s'", format);
    if (optind != argc - 1)
        return ccx_cli_usage_error("export", "expected exactly one RUN_DIR, got %d", argc - optind);
    const char *dir = argv[optind];

    ccx_error err;
    ccx_error_clear(&err);
    char name[128], task_path[1024], order_path[1300];
    int n_tasks = 0, run_model = CCX_COST_ALPHAGRAD;
    if (find_task(dir, want, name, sizeof name, task_path, sizeof task_path, &n_tasks, &run_model,
                  &err)) {
        ccx_cli_print_error(&err);
        return CCX_EXIT_USAGE;
    }
    if (n_tasks == 1) snprintf(order_path, sizeof order_path, "%s/best_order.json", dir);
    else snprintf(order_path, sizeof order_path, "%s/best_order.%s.json", dir, name);
    ccx_graph *g = ccx_task_load(task_path, &err);
    if (!g) {
        ccx_cli_print_error(&err);
        return CCX_EXIT_USAGE;
    }
    ccx_order_file of;
    int64_t cost = -1;
    int rc = CCX_EXIT_USAGE;
    g->cost_model = run_model;
    if (ccx_order_read(order_path, &of, &err) == 0) {
        if (ccx_order_check(g, &of, &cost, &err) == 0) rc = CCX_EXIT_OK;
        else ccx_order_file_free(&of);
    }
    if (rc == CCX_EXIT_OK && want_model >= 0 && want_model != run_model) {
        /* the same order, priced afresh under the other model */
        ccx_order_file re;
        g->cost_model = want_model;
        if (ccx_order_make(g, of.order, of.n_order, of.method, &re, &err)) rc = CCX_EXIT_FAILURE;
        ccx_order_file_free(&of);
        if (rc == CCX_EXIT_OK) {
            of = re;
            cost = re.cost;
        }
    }
    if (rc != CCX_EXIT_OK) {
        ccx_cli_print_error(&err);
        ccx_graph_free(g);
        return rc;
    }
    if (strcmp(format, "json") == 0) {
        if (ccx_order_write(out_path ? out_path : "-", &of, &err)) rc = CCX_EXIT_FAILURE;
    } else {
        size_t cap = (size_t)of.n_order * 12 + 2, n = 0;
        char *buf = malloc(cap);
        if (!buf) rc = CCX_EXIT_FAILURE;
        for (int i = 0; buf && i < of.n_order; i++)
            n += (size_t)snprintf(buf + n, cap - n, "%s%d", i ? "," : "", (int)of.order[i]);
        if (buf) {
            buf[n++] = '\n';
            if (out_path) {
                if (ccx_write_file_atomic(out_path, buf, n, &err)) rc = CCX_EXIT_FAILURE;
            } else {
                fwrite(buf, 1, n, stdout);
            }
        }
        free(buf);
    }
    if (rc == CCX_EXIT_FAILURE) ccx_cli_print_error(&err);
    else if (out_path)
        fprintf(stderr, "ccx export: %s: %s order, cost %lld (%s cost model), written to %s\n", name,
                format, (long long)cost, ccx_cost_model_name(g->cost_model), out_path);
    ccx_order_file_free(&of);
    ccx_graph_free(g);
    return rc;
}
