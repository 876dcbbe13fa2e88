/* ccx search TASK --method sa|beam|rmk|exact --time S [--seed N] [--threads N]
 *            [--backend cpu|cuda|auto] [--width W] [--iters N] [--mem MB]
 *            [--start ORDER] [-o FILE] [--quiet] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "game/game.h"
#include "io/order_file.h"
#include "search/search.h"
#include "util/cuda_info.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx search TASK [--method sa|beam|rmk|exact] [--time S] [--seed N]\n"
            "                  [--threads N] [--backend cpu|cuda|auto] [--width W] [--iters N]\n"
            "                  [--mem MB] [--start ORDER] [--cost alphagrad|real] [-o FILE]\n"
            "                  [--quiet]\n\n"
            CCX_CLI_TASK_HELP
            "Search for a cheap elimination order of TASK and write the best one as an\n"
            "order file (JSON) to FILE, or to stdout. A summary (cost beside forward,\n"
            "reverse and minimal Markowitz, the proven lower bound and the gap, and\n"
            "\"optimal\" when they meet) goes to stdout with -o, else to stderr; progress\n"
            "lines go to stderr every few seconds.\n\n"
            "methods:\n"
            "  sa      simulated annealing over orders (insert/swap moves, incremental\n"
            "          cost from cached prefix states, restarts, --threads), seeded from\n"
            "          randomized Markowitz, finished by exact window re-ordering (default)\n"
            "  beam    beam search over eliminated sets (merged by set), scored by prefix\n"
            "          cost + Markowitz completion; width --width, doubled until --time\n"
            "  rmk     randomized minimal Markowitz (random tie-breaks and tolerance)\n"
            "  exact   A* over eliminated sets with an admissible lower bound: proves the\n"
            "          optimum on small graphs, else reports the best order and the bound\n\n"
            "  --method M      search method (default sa)\n"
            "  --time S        wall-clock seconds (default 10; 0 = no limit: --iters decides,\n"
            "                  exact runs to the end)\n"
            "  --seed N        random seed (default 0)\n"
            "  --threads N     worker threads for sa and rmk (default 1)\n"
            "  --backend B     cpu (default: --threads annealers), cuda (sa only: thousands of\n"
            "                  annealing chains in a parallel-tempering ladder, every move\n"
            "                  of every chain played at once by the GPU environments), auto\n"
            "  --chains N      cuda: number of chains (default 4096)\n"
            "  --width W       beam: first width (default 8)\n"
            "  --iters N       work budget: rmk samples, sa moves per thread, beam largest\n"
            "                  width, exact expanded states. With --time 0 the result is\n"
            "                  the same on every run for a given seed and thread count\n"
            "  --mem MB        exact: memory for the open and closed lists (default 2048)\n"
            "  --start ORDER   sa: start from this order (file, list or a baseline name)\n"
            "  -o FILE         write the order file to FILE instead of stdout\n"
            CCX_CLI_COST_HELP
            "               (a start order is priced afresh under it)\n"
            "  --quiet         no progress lines\n"
            "  -h, --help      this help\n");
}

static void print_vs(FILE *f, const char *name, int64_t base, int64_t cost) {
    double pct = base > 0 ? 100.0 * (double)(base - cost) / (double)base : 0.0;
    fprintf(f, "%-11s %8lld   (order is %.1f%% %s)\n", name, (long long)base, pct < 0 ? -pct : pct,
            pct >= 0 ? "cheaper" : "dearer");
}

int ccx_cli_search_report(const ccx_graph *g, const ccx_search_result *r, const char *method,
                          const char *how, const char *out_path) {
    ccx_error err;
    ccx_order_file rec = {0};
    if (ccx_order_make(g, r->order, r->n, method, &rec, &err)) {
        ccx_cli_print_error(&err);
        return CCX_EXIT_FAILURE;
    }
    int rc = CCX_EXIT_OK;
    if (ccx_order_write(out_path ? out_path : "-", &rec, &err)) {
        ccx_cli_print_error(&err);
        rc = CCX_EXIT_FAILURE;
    }
    FILE *f = out_path ? stdout : stderr;
    fprintf(f, "task        %s\n", g->task_name);
    fprintf(f, "method      %s (%s; %.1f s, %llu %s)\n", method, how, r->seconds,
            (unsigned long long)r->work, r->unit ? r->unit : "steps");
    if (r->start_cost >= 0) fprintf(f, "start       %8lld\n", (long long)r->start_cost);
    fprintf(f, "cost        %8lld%s   (%s cost model)\n", (long long)rec.cost,
            r->optimal ? "   optimal" : "", ccx_cost_model_name(g->cost_model));
    int64_t gap = rec.cost - r->lower_bound;
    if (r->optimal)
        fprintf(f, "lower bound %8lld   (= cost: optimal)\n", (long long)r->lower_bound);
    else
        fprintf(f, "lower bound %8lld   (gap %lld, %.1f%% of the cost)\n", (long long)r->lower_bound,
                (long long)gap, rec.cost > 0 ? 100.0 * (double)gap / (double)rec.cost : 0.0);
    print_vs(f, "forward", rec.baselines.forward, rec.cost);
    print_vs(f, "reverse", rec.baselines.reverse, rec.cost);
    print_vs(f, "markowitz", rec.baselines.markowitz, rec.cost);
    print_vs(f, "greedy", rec.baselines.greedy, rec.cost);
    if (out_path) fprintf(f, "order file  %s\n", out_path);
    fflush(f);
    ccx_order_file_free(&rec);
    return rc;
}

/* Options search and polish share: --time (t), --seed (s), --threads (j),
 * --iters (i), --quiet (q). Returns 0 when c was one of them and is applied,
 * CCX_EXIT_USAGE after printing an error about its value, -1 otherwise. */
int ccx_cli_search_option(const char *cmd, int c, const char *arg, ccx_search_params *p) {
    long v;
    double d;
    switch (c) {
    case 't':
        if (ccx_cli_parse_double(arg, 0, 1e6, &d))
            return ccx_cli_usage_error(cmd, "--time must be seconds in 0..1e6, got '%s'", arg);
        p->time_limit = d;
        return 0;
    case 's':
        if (ccx_cli_parse_long(arg, 0, 0x7fffffffL, &v))
            return ccx_cli_usage_error(cmd, "--seed must be an integer >= 0, got '%s'", arg);
        p->seed = (uint64_t)v;
        return 0;
    case 'j':
        if (ccx_cli_parse_long(arg, 1, 256, &v))
            return ccx_cli_usage_error(cmd, "--threads must be in 1..256, got '%s'", arg);
        p->threads = (int)v;
        return 0;
    case 'i':
        if (ccx_cli_parse_long(arg, 1, 0x7fffffffffffffffL, &v))
            return ccx_cli_usage_error(cmd, "--iters must be an integer >= 1, got '%s'", arg);
        p->iters = v;
        return 0;
    case 'q':
        p->progress = NULL;
        return 0;
    }
    return -1;
}

int ccx_cmd_search(int argc, char **argv) {
    static const struct option opts[] = {
        {"method", required_argument, 0, 'm'}, {"time", required_argument, 0, 't'},
        {"seed", required_argument, 0, 's'},   {"threads", required_argument, 0, 'j'},
        {"backend", required_argument, 0, 'b'}, {"width", required_argument, 0, 'w'},
        {"iters", required_argument, 0, 'i'},  {"mem", required_argument, 0, 'M'},
        {"start", required_argument, 0, 'S'},  {"output", required_argument, 0, 'o'},
        {"quiet", no_argument, 0, 'q'},       {"cost", required_argument, 0, 'c'},        {"help", no_argument, 0, 'h'},
        {"chains", required_argument, 0, 'C'},
        {0, 0, 0, 0}};
    ccx_search_params p;
    ccx_search_params_default(&p);
    p.progress = stderr;
    ccx_search_method method = CCX_SEARCH_SA;
    const char *out_path = NULL, *start_arg = NULL, *backend = "cpu";
    int model = CCX_COST_ALPHAGRAD;
    long v;
    double d;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1;) {
        switch (c) {
        case 'm':
            if (ccx_search_method_parse(optarg, &method) || method == CCX_SEARCH_POLISH)
                return ccx_cli_usage_error("search", "--method must be sa, beam, rmk or exact, got '%s'",
                                           optarg);
            break;
        case 'b':
            if (strcmp(optarg, "cpu") && strcmp(optarg, "cuda") && strcmp(optarg, "auto"))
                return ccx_cli_usage_error("search", "--backend must be cpu, cuda or auto, got '%s'",
                                           optarg);
            backend = optarg;
            break;
        case 'w':
            if (ccx_cli_parse_long(optarg, 1, 1 << 20, &v))
                return ccx_cli_usage_error("search", "--width must be in 1..1048576, got '%s'", optarg);
            p.width = (int)v;
            break;
        case 'M':
            if (ccx_cli_parse_double(optarg, 1, 1 << 24, &d))
                return ccx_cli_usage_error("search", "--mem must be MiB in 1..16777216, got '%s'", optarg);
            p.mem_limit_mb = d;
            break;
        case 'C':
            if (ccx_cli_parse_long(optarg, 2, 1 << 24, &v))
                return ccx_cli_usage_error("search", "--chains must be in 2..16777216, got '%s'", optarg);
            p.chains = (int)v;
            break;
        case 'S': start_arg = optarg; break;
        case 'o': out_path = optarg; break;
        case 'c':
            if (ccx_cli_cost_option("search", optarg, &model)) return CCX_EXIT_USAGE;
            break;
        case 'h': usage(stdout); return CCX_EXIT_OK;
        default: {
            int rc = ccx_cli_search_option("search", c, optarg, &p);
            if (rc == 0) break;
            if (rc > 0) return rc;
            return ccx_cli_option_error("search", c, argv, ":ho:");
        }
        }
    }
    if (optind != argc - 1)
        return ccx_cli_usage_error("search", "expected exactly one TASK, got %d", argc - optind);
    if (p.time_limit <= 0 && p.iters <= 0 && method == CCX_SEARCH_SA)
        return ccx_cli_usage_error("search", "sa needs --time > 0 or --iters");
    if (start_arg && method != CCX_SEARCH_SA)
        return ccx_cli_usage_error("search", "--start is for --method sa (use 'ccx polish' otherwise)");
    if (strcmp(backend, "cpu") != 0) {
        /* cuda: annealing chains on the GPU's batched environments (sa only) */
        char info[256];
        int ndev = ccx_cuda_device_info(info, sizeof info);
        int want = strcmp(backend, "cuda") == 0;
        if (want && method != CCX_SEARCH_SA)
            return ccx_cli_usage_error("search", "--backend cuda runs --method sa only (got %s)",
                                       ccx_search_method_name(method));
        if (want && ndev <= 0) {
            fprintf(stderr, "ccx search: error: --backend cuda: no CUDA device (%s); use --backend cpu\n",
                    info);
            return CCX_EXIT_USAGE;
        }
        p.backend = ndev > 0 && method == CCX_SEARCH_SA ? CCX_BACKEND_CUDA : CCX_BACKEND_CPU;
        if (!want)
            fprintf(stderr, "ccx search: backend auto: %s (%s%s)\n", ccx_backend_name(p.backend),
                    ndev > 0 ? "" : "no CUDA device: ", info);
    }
    if (p.chains && p.backend != CCX_BACKEND_CUDA)
        return ccx_cli_usage_error("search", "--chains is for --backend cuda");
    if (model == CCX_COST_REAL && method == CCX_SEARCH_EXACT)
        return ccx_cli_usage_error("search", "exact search is not built for the real cost model "
                                             "yet (it needs a lower bound consistent with real "
                                             "work); use --method sa, beam or rmk, or --cost "
                                             "alphagrad");
    ccx_graph *g = ccx_cli_load_task(argv[optind]);
    if (!g) return CCX_EXIT_USAGE;
    g->cost_model = model;
    ccx_error err;
    ccx_order_file start = {0};
    if (start_arg) {
        int64_t c;
        if (ccx_cli_load_order_priced(g, start_arg, 1, &start, &c, &err)) {
            ccx_cli_print_error(&err);
            ccx_graph_free(g);
            return CCX_EXIT_USAGE;
        }
        p.start = start.order;
        p.n_start = start.n_order;
    }
    ccx_search_result r;
    int rc;
    if (ccx_search_run(g, method, &p, &r, &err)) {
        ccx_cli_print_error(&err);
        rc = CCX_EXIT_FAILURE;
    } else {
        char how[160], label[32];
        char threads[64];
        if (p.backend == CCX_BACKEND_CUDA) snprintf(threads, sizeof threads, "%d chains", p.chains ? p.chains : 4096);
        else snprintf(threads, sizeof threads, "%d thread%s", p.threads, p.threads == 1 ? "" : "s");
        snprintf(how, sizeof how, "backend %s, seed %llu, %s%s%s", ccx_backend_name(p.backend),
                 (unsigned long long)p.seed, threads,
                 method == CCX_SEARCH_EXACT ? (r.complete ? ", search complete" : ", stopped early")
                                            : "",
                 method == CCX_SEARCH_BEAM ? ", widths doubled" : "");
        snprintf(label, sizeof label, "search:%s", ccx_search_method_name(method));
        rc = ccx_cli_search_report(g, &r, label, how, out_path);
        ccx_search_result_free(&r);
    }
    ccx_order_file_free(&start);
    ccx_graph_free(g);
    return rc;
}
