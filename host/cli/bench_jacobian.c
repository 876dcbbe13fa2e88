/* ccx bench jacobian TASK [--orders SPEC,...] [--order ORDER]... [--points N]
 *                        [--lang c|cuda] [--reps R] [--cc CMD] [--out FILE] [--keep]
 *
 * Runtime of generated Jacobian code per elimination order. For each order:
 * generate code (jac/codegen.h), compile it, check it against the
 * interpreter on the benchmark points, and time it.
 *
 * CPU (--lang c): `CMD -O3 -march=native -fPIC -shared` (CMD = cc unless
 * --cc), loaded with dlopen. The points are CHUNK distinct points inside the
 * function's domain (drawn like `ccx jacobian`'s default point, one seed per
 * point); the function is called on them ceil(N / CHUNK) times from the same
 * cache-resident buffers, so the figure is compute time, not memory
 * bandwidth. One untimed warm-up pass per order, then R timed passes
 * interleaved round-robin over the orders (so a burst of load from other
 * processes hits all orders alike); best and median ns/point are reported.
 *
 * CUDA (--lang cuda): nvcc -O3 -arch=native builds the kernel with a small
 * harness (one thread per point, chunks of up to 2^20 points, cudaEvent
 * timing, same warm-up/best/median scheme); runs only when a device answers,
 * otherwise prints "no CUDA device: skipped" and exits 0. */
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/clock.h"
#include "jac/codegen.h"
#include "jac/jacobian.h"
#include "util/cuda_info.h"
#include "util/version.h"

#define CHUNK 256       /* distinct points = points per call (CPU) */
#define CHECK_POINTS 64 /* points compared with the interpreter */
#define MAX_ORDERS 32
#define FN_NAME "ccxbench"

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx bench jacobian TASK [--orders SPEC,...] [--order ORDER]... [--points N]\n"
            "                              [--lang c|cuda|jax] [--reps R] [--cc CMD] [--out FILE] [--keep]\n\n"
            "Generate Jacobian code for TASK in each order (ccx codegen), compile it, check it\n"
            "against the interpreter and time it. Prints one row per order: cost, cost ratio\n"
            "vs forward and reverse, ns per point (best and median of R passes) and time\n"
            "ratio vs forward and reverse (when those orders are in the list).\n\n"
            "  --orders SPEC,...  comma-separated forward | reverse | markowitz | FILE (an order\n"
            "                     file, JSON or bare list); default forward,reverse,markowitz\n"
            "  --order ORDER      add one order (may repeat; ORDER may also be a LIST \"8,82,...\")\n"
            "  --points N         points per pass (default 1000000 for c, 10000000 for cuda)\n"
            "  --lang c|cuda|jax  generated code to time (default c). cuda needs a device;\n"
            "                     without one it prints 'no CUDA device: skipped' and exits 0\n"
            "                     jax runs scripts/bench_jacobian_jax.py (Python with jax;\n"
            "                     $CCX_PYTHON, default python3) with these arguments: jit(vmap)\n"
            "                     of jax.jacfwd, jax.jacrev and each order's `ccx codegen --lang\n"
            "                     jax` module; for graph files (tensor tasks) at --batches\n"
            "                     1,64,1024 points per call, with orders `alphagrad` and `best`\n"
            "                     (see the script's --help)\n"
            "  --reps R           timed passes per order (default 5; 1..100)\n"
            "  --cc CMD           C compiler (default cc; flags -O3 -march=native -fPIC -shared)\n"
            "  --out FILE         also append the table to FILE (e.g. results/bench/jacobian_cpu.txt)\n"
            "  --keep             keep the temporary directory with the generated code\n"
            "  -h, --help         this help\n\n"
            "CPU method: %d distinct points in the domain, called ceil(N/%d) times from\n"
            "cache-resident buffers (compute, not memory bandwidth); one warm-up pass, then R\n"
            "passes interleaved round-robin over the orders. Timings on a shared machine are\n"
            "noisy: compare best-of-R figures, and repeat.\n",
            CHUNK, CHUNK);
}

typedef struct {
    char label[64];
    char *spec;
    ccx_order_file of;
    int64_t cost;
    ccx_jac_plan plan;
    void *dl;
    void (*fn)(long, const double *, double *, double *);
    double *t;          /* [reps] seconds per pass */
    double best_ns, median_ns, max_rel;
    int64_t nonconst;   /* accumulation multiplications left after constant folding */
} bench_order;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void make_label(bench_order *o) {
    const char *s = o->spec;
    if (strcmp(s, "forward") == 0 || strcmp(s, "reverse") == 0 || strcmp(s, "markowitz") == 0) {
        snprintf(o->label, sizeof o->label, "%s", s);
        return;
    }
    struct stat st;
    if (stat(s, &st) == 0 && S_ISREG(st.st_mode)) {
        const char *b = strrchr(s, '/');
        snprintf(o->label, sizeof o->label, "%s", b ? b + 1 : s);
        char *dot = strrchr(o->label, '.'); /* drop .json / .txt */
        if (dot && (strcmp(dot, ".json") == 0 || strcmp(dot, ".txt") == 0)) *dot = '\0';
        return;
    }
    snprintf(o->label, sizeof o->label, "list(%d)", o->of.n_order);
}

/* Shell-quote a path (single quotes); -1 if it contains one. */
static int quoted(const char *path, char *buf, size_t size) {
    if (strchr(path, '\'')) return -1;
    snprintf(buf, size, "'%s'", path);
    return 0;
}

static int run_cmd(const char *cmd, const char *log) {
    int rc = system(cmd);
    if (rc != 0) {
        fprintf(stderr, "ccx bench: error: command failed (status %d): %s\n", rc, cmd);
        FILE *f = fopen(log, "r");
        if (f) {
            char line[512];
            for (int i = 0; i < 20 && fgets(line, sizeof line, f); i++) fputs(line, stderr);
            fclose(f);
        }
        return -1;
    }
    return 0;
}

static int write_code(bench_order *o, ccx_codegen_lang lang, const char *path,
                      ccx_error *err) {
    FILE *f = fopen(path, "w");
    if (!f) return ccx_error_set(err, "cannot write %s: %s", path, strerror(errno));
    ccx_codegen_opts opts = {.lang = lang, .name = FN_NAME, .method = o->label};
    ccx_codegen_stats st;
    int rc = ccx_codegen_write(&o->plan, &opts, f, &st, err);
    if (fclose(f) && rc == 0) rc = ccx_error_set(err, "write error on %s", path);
    o->nonconst = st.acc_nonconstant;
    if (rc == 0 && st.acc_mults != o->cost)
        rc = ccx_error_set(err, "internal error: %lld multiplications emitted, cost %lld",
                           (long long)st.acc_mults, (long long)o->cost);
    return rc;
}

/* Max relative difference of generated J (SoA over CHUNK points) against the
 * interpreter on the first CHECK_POINTS points. */
static double check_against_interpreter(const bench_order *o, const double *Jsoa,
                                        const double *Jref_all, const double *Sref_all, int nj) {
    double worst = 0;
    double *Jp = malloc((size_t)nj * sizeof(double));
    if (!Jp) return NAN;
    for (int k = 0; k < CHECK_POINTS && k < CHUNK; k++) {
        for (int r = 0; r < nj; r++) Jp[r] = Jsoa[(size_t)r * CHUNK + k];
        double a, rel;
        ccx_jac_compare(Jp, Jref_all + (size_t)k * nj, Sref_all + (size_t)k * nj, (size_t)nj,
                        &a, &rel);
        if (!(rel <= worst)) worst = rel;
    }
    free(Jp);
    (void)o;
    return worst;
}

/* --lang jax: the JAX peer benchmark is Python (scripts/bench_jacobian_jax.py,
 * found beside this binary's build folder or under $CCX_ROOT), run with the
 * same arguments, --lang jax left out, by $CCX_PYTHON (default python3). */
static int bench_jax(int argc, char **argv) {
    char exe[4096], script[4200];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    const char *root = getenv("CCX_ROOT");
    if (root) snprintf(script, sizeof script, "%s/scripts/bench_jacobian_jax.py", root);
    else {
        char *slash = strrchr(exe, '/');
        snprintf(script, sizeof script, "%.*s/../scripts/bench_jacobian_jax.py",
                 slash ? (int)(slash - exe) : 1, slash ? exe : ".");
    }
    if (access(script, R_OK) != 0)
        return ccx_cli_usage_error("bench", "--lang jax runs scripts/bench_jacobian_jax.py, not found "
                                            "at %s (set CCX_ROOT to the repository)", script);
    const char *py = getenv("CCX_PYTHON") ? getenv("CCX_PYTHON") : "python3";
    char **av = calloc((size_t)argc + 6, sizeof *av);
    if (!av) return CCX_EXIT_FAILURE;
    int k = 0;
    av[k++] = (char *)py;
    av[k++] = script;
    av[k++] = "--ccx";
    av[k++] = exe;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc) { i++; continue; }
        if (strcmp(argv[i], "--lang=jax") == 0) continue;
        av[k++] = argv[i];
    }
    fflush(stdout);
    execvp(py, av);
    fprintf(stderr, "ccx bench: cannot run %s: %s (JAX's benchmark needs Python with jax)\n", py,
            strerror(errno));
    free(av);
    return CCX_EXIT_FAILURE;
}

int ccx_bench_jacobian(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if ((strcmp(argv[i], "--lang") == 0 && i + 1 < argc && strcmp(argv[i + 1], "jax") == 0) ||
            strcmp(argv[i], "--lang=jax") == 0) {
            int help = 0;
            for (int j = 1; j < argc; j++) help |= !strcmp(argv[j], "-h") || !strcmp(argv[j], "--help");
            if (!help) return bench_jax(argc, argv);
        }
    static const struct option opts[] = {
        {"orders", required_argument, 0, 'O'}, {"order", required_argument, 0, 'r'},
        {"points", required_argument, 0, 'n'}, {"lang", required_argument, 0, 'l'},
        {"reps", required_argument, 0, 'R'},   {"cc", required_argument, 0, 'c'},
        {"out", required_argument, 0, 'o'},    {"keep", no_argument, 0, 'k'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    char *specs[MAX_ORDERS];
    int n_specs = 0, keep = 0, rc = CCX_EXIT_OK;
    long points = -1, reps = 5;
    const char *cc = "cc", *out_path = NULL;
    ccx_codegen_lang lang = CCX_LANG_C;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
        switch (c) {
        case 'O': {
            char *copy = strdup(optarg), *save = NULL;
            if (!copy) return CCX_EXIT_FAILURE;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (n_specs == MAX_ORDERS) { free(copy); goto too_many; }
                specs[n_specs++] = strdup(t);
            }
            free(copy);
        } break;
        case 'r':
            if (n_specs == MAX_ORDERS) goto too_many;
            specs[n_specs++] = strdup(optarg);
            break;
        case 'n':
            if (ccx_cli_parse_long(optarg, 1, 1000000000L, &points))
                return ccx_cli_usage_error("bench", "--points must be an integer in 1..1e9, got '%s'", optarg);
            break;
        case 'l':
            if (ccx_codegen_lang_parse(optarg, &lang) || lang == CCX_LANG_JAX)
                return ccx_cli_usage_error("bench", "--lang must be c, cuda or jax, got '%s'", optarg);
            break;
        case 'R':
            if (ccx_cli_parse_long(optarg, 1, 100, &reps))
                return ccx_cli_usage_error("bench", "--reps must be an integer in 1..100, got '%s'", optarg);
            break;
        case 'c': cc = optarg; break;
        case 'o': out_path = optarg; break;
        case 'k': keep = 1; break;
        case 'h': usage(stdout); return CCX_EXIT_OK;
        default:
            return ccx_cli_option_error("bench", c, argv, "h");
        }
    }
    if (0) {
    too_many:
        for (int i = 0; i < n_specs; i++) free(specs[i]);
        return ccx_cli_usage_error("bench", "at most %d orders", MAX_ORDERS);
    }
    if (optind != argc - 1) {
        for (int i = 0; i < n_specs; i++) free(specs[i]);
        return ccx_cli_usage_error("bench", "expected exactly one TASK, got %d", argc - optind);
    }
    if (n_specs == 0) {
        specs[n_specs++] = strdup("forward");
        specs[n_specs++] = strdup("reverse");
        specs[n_specs++] = strdup("markowitz");
    }
    for (int i = 0; i < n_specs; i++)
        if (!specs[i]) {
            for (int j = 0; j < n_specs; j++) free(specs[j]);
            return CCX_EXIT_FAILURE;
        }
    if (points < 0) points = lang == CCX_LANG_CUDA ? 10000000L : 1000000L;

    ccx_graph *g = ccx_cli_load_evaluable_task(argv[optind], "ccx bench jacobian");
    bench_order *ords = calloc((size_t)n_specs, sizeof *ords);
    if (!g || !ords) {
        for (int i = 0; i < n_specs; i++) free(specs[i]);
        free(ords);
        ccx_graph_free(g);
        return g ? CCX_EXIT_FAILURE : CCX_EXIT_USAGE;
    }
    int n_in = g->n_inputs, n_out = g->n_outputs, nj = n_in * n_out;
    double *pts = NULL, *x = NULL, *y = NULL, *J = NULL, *Jref = NULL, *Sref = NULL;
    char dir[4096] = "", path[4200], qsrc[4300], qso[4300], qlog[4300], cmd[32768];
    ccx_error err;
    ccx_baselines bl = {0, 0, 0, 0};
    char dev[256] = "";

    if (lang == CCX_LANG_CUDA && ccx_cuda_device_info(dev, sizeof dev) <= 0) {
        printf("bench jacobian  task=%s lang=cuda: no CUDA device: skipped (%s)\n", g->task_name,
               dev);
        goto cleanup;
    }
    /* orders */
    for (int i = 0; i < n_specs; i++) {
        bench_order *o = &ords[i];
        o->spec = specs[i];
        specs[i] = NULL;
        if (ccx_cli_load_order(g, o->spec, &o->of, &o->cost, &err) ||
            ccx_jac_plan_build(g, o->of.order, o->of.n_order, &o->plan, &err)) {
            fprintf(stderr, "ccx bench: order '%s':\n", o->spec);
            ccx_cli_print_error(&err);
            rc = CCX_EXIT_USAGE;
            goto cleanup;
        }
        make_label(o);
        o->t = calloc((size_t)reps, sizeof(double));
        if (!o->t) { rc = CCX_EXIT_FAILURE; goto cleanup; }
    }
    if (ccx_baselines_compute(g, &bl, &err)) {
        ccx_cli_print_error(&err);
        rc = CCX_EXIT_USAGE;
        goto cleanup;
    }
    /* points: CHUNK distinct points in the domain, SoA; interpreter reference */
    pts = malloc((size_t)n_in * CHUNK * sizeof(double));
    x = malloc((size_t)n_in * sizeof(double));
    Jref = malloc((size_t)CHECK_POINTS * nj * sizeof(double));
    Sref = malloc((size_t)CHECK_POINTS * nj * sizeof(double));
    y = malloc((size_t)n_out * CHUNK * sizeof(double));
    J = malloc((size_t)nj * CHUNK * sizeof(double));
    if (!pts || !x || !Jref || !Sref || !y || !J) { rc = CCX_EXIT_FAILURE; goto cleanup; }
    for (int k = 0; k < CHUNK; k++) {
        if (ccx_jac_find_point(g, CCX_JAC_DEFAULT_SEED + (uint64_t)k, CCX_JAC_DEFAULT_LO,
                               CCX_JAC_DEFAULT_HI, CCX_JAC_DEFAULT_TRIES, x, NULL, &err)) {
            ccx_cli_print_error(&err);
            rc = CCX_EXIT_USAGE;
            goto cleanup;
        }
        for (int i = 0; i < n_in; i++) pts[(size_t)i * CHUNK + k] = x[i];
        if (k < CHECK_POINTS &&
            (ccx_jac_eval(&ords[0].plan, x, NULL, Jref + (size_t)k * nj, NULL, &err) ||
             ccx_jac_abs_scale(g, x, Sref + (size_t)k * nj, &err))) {
            ccx_cli_print_error(&err);
            rc = CCX_EXIT_USAGE;
            goto cleanup;
        }
    }

    const char *tmpdir = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/ccx-bench-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "ccx bench: error: cannot create a temporary directory in %s\n",
                tmpdir && *tmpdir ? tmpdir : "/tmp");
        dir[0] = '\0';
        rc = CCX_EXIT_FAILURE;
        goto cleanup;
    }
    long calls = (points + CHUNK - 1) / CHUNK;
    long total = calls * CHUNK;
    int has_cuda = lang == CCX_LANG_CUDA;
    char compiler_desc[512];
    if (has_cuda) snprintf(compiler_desc, sizeof compiler_desc, "nvcc -O3 -arch=native");
    else snprintf(compiler_desc, sizeof compiler_desc, "%s -O3 -march=native", cc);

    /* generate, compile, load, check */
    for (int i = 0; i < n_specs; i++) {
        bench_order *o = &ords[i];
        snprintf(path, sizeof path, "%s/o%d%s", dir, i, ccx_codegen_suffix(lang));
        if (write_code(o, lang, path, &err)) {
            ccx_cli_print_error(&err);
            rc = CCX_EXIT_FAILURE;
            goto cleanup;
        }
        char so[4200], log[4200];
        snprintf(so, sizeof so, "%s/o%d.%s", dir, i, has_cuda ? "bin" : "so");
        snprintf(log, sizeof log, "%s/o%d.log", dir, i);
        if (quoted(path, qsrc, sizeof qsrc) || quoted(so, qso, sizeof qso) ||
            quoted(log, qlog, sizeof qlog)) {
            fprintf(stderr, "ccx bench: error: temporary path contains a quote: %s\n", dir);
            rc = CCX_EXIT_FAILURE;
            goto cleanup;
        }
        if (has_cuda) {
            FILE *f = fopen(path, "a");
            if (!f) { rc = CCX_EXIT_FAILURE; goto cleanup; }
            ccx_codegen_write_cuda_harness(f, FN_NAME, n_in, n_out);
            fclose(f);
            snprintf(cmd, sizeof cmd, "nvcc -O3 -arch=native -o %s %s > %s 2>&1", qso, qsrc, qlog);
        } else {
            snprintf(cmd, sizeof cmd, "%s -O3 -march=native -fPIC -shared -o %s %s -lm > %s 2>&1",
                     cc, qso, qsrc, qlog);
        }
        if (run_cmd(cmd, log)) { rc = CCX_EXIT_FAILURE; goto cleanup; }
        if (has_cuda) {
            /* write the points, run the harness, read its timing and J */
            char pf[4200], jf[4200], qpf[4300], qjf[4300], outf[4200], qout[4300];
            snprintf(pf, sizeof pf, "%s/points.bin", dir);
            snprintf(jf, sizeof jf, "%s/o%d.J.bin", dir, i);
            snprintf(outf, sizeof outf, "%s/o%d.out", dir, i);
            FILE *f = fopen(pf, "wb");
            if (!f || fwrite(pts, sizeof(double), (size_t)n_in * CHUNK, f) != (size_t)n_in * CHUNK) {
                if (f) fclose(f);
                rc = CCX_EXIT_FAILURE;
                goto cleanup;
            }
            fclose(f);
            quoted(pf, qpf, sizeof qpf);
            quoted(jf, qjf, sizeof qjf);
            quoted(outf, qout, sizeof qout);
            snprintf(cmd, sizeof cmd, "%s %s %d %ld %ld %s > %s 2>&1", qso, qpf, CHUNK, points,
                     reps, qjf, qout);
            if (run_cmd(cmd, outf)) { rc = CCX_EXIT_FAILURE; goto cleanup; }
            f = fopen(outf, "r");
            char line[512];
            int got = 0;
            while (f && fgets(line, sizeof line, f))
                if (sscanf(line, "ccx-bench best_ns=%lf median_ns=%lf points=%ld", &o->best_ns,
                           &o->median_ns, &total) == 3)
                    got = 1;
            if (f) fclose(f);
            f = fopen(jf, "rb");
            if (!got || !f || fread(J, sizeof(double), (size_t)nj * CHUNK, f) != (size_t)nj * CHUNK) {
                if (f) fclose(f);
                fprintf(stderr, "ccx bench: error: the CUDA harness gave no result (%s)\n", outf);
                rc = CCX_EXIT_FAILURE;
                goto cleanup;
            }
            fclose(f);
        } else {
            o->dl = dlopen(so, RTLD_NOW | RTLD_LOCAL);
            if (!o->dl) {
                fprintf(stderr, "ccx bench: error: dlopen %s: %s\n", so, dlerror());
                rc = CCX_EXIT_FAILURE;
                goto cleanup;
            }
            *(void **)&o->fn = dlsym(o->dl, FN_NAME "_jacobian");
            if (!o->fn) {
                fprintf(stderr, "ccx bench: error: %s has no " FN_NAME "_jacobian\n", so);
                rc = CCX_EXIT_FAILURE;
                goto cleanup;
            }
            o->fn(CHUNK, pts, y, J);
        }
        o->max_rel = check_against_interpreter(o, J, Jref, Sref, nj);
        if (!(o->max_rel <= 1e-9)) {
            fprintf(stderr, "ccx bench: error: order %s: generated code differs from the "
                            "interpreter (max rel diff %.3g)\n", o->label, o->max_rel);
            rc = CCX_EXIT_FAILURE;
            goto cleanup;
        }
    }

    /* time (CPU): warm-up, then interleaved passes */
    if (!has_cuda) {
        for (int i = 0; i < n_specs; i++)
            for (long c = 0; c < calls; c++) ords[i].fn(CHUNK, pts, y, J);
        for (long r = 0; r < reps; r++)
            for (int i = 0; i < n_specs; i++) {
                double t0 = ccx_now_s();
                for (long c = 0; c < calls; c++) ords[i].fn(CHUNK, pts, y, J);
                ords[i].t[r] = ccx_now_s() - t0;
            }
        for (int i = 0; i < n_specs; i++) {
            qsort(ords[i].t, (size_t)reps, sizeof(double), cmp_double);
            ords[i].best_ns = ords[i].t[0] * 1e9 / (double)total;
            ords[i].median_ns = ords[i].t[reps / 2] * 1e9 / (double)total;
        }
    }

    /* table */
    {
        const bench_order *fwd = NULL, *rev = NULL;
        for (int i = 0; i < n_specs; i++) {
            if (!fwd && strcmp(ords[i].spec, "forward") == 0) fwd = &ords[i];
            if (!rev && strcmp(ords[i].spec, "reverse") == 0) rev = &ords[i];
        }
        char cpu[256] = "";
        FILE *ci = fopen("/proc/cpuinfo", "r");
        char line[512];
        while (ci && fgets(line, sizeof line, ci))
            if (strncmp(line, "model name", 10) == 0) {
                char *c = strchr(line, ':');
                if (c) snprintf(cpu, sizeof cpu, "%s", c + 2 + strspn(c + 2, " "));
                cpu[strcspn(cpu, "\n")] = '\0';
                break;
            }
        if (ci) fclose(ci);
        size_t cap = 8192 + (size_t)n_specs * 256, len = 0;
        char *tab = malloc(cap);
        if (!tab) { rc = CCX_EXIT_FAILURE; goto cleanup; }
        time_t now = time(NULL);
        struct tm tmv;
        char date[64];
        strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", localtime_r(&now, &tmv));
        len += (size_t)snprintf(tab + len, cap - len,
                                "bench jacobian  task=%s lang=%s ccx=%s date=%s\n"
                                "  compiler=\"%s\" %s=%s\n"
                                "  points/pass=%ld (%s) passes=%ld best (median)\n"
                                "  nonconst: accumulation multiplications left after folding "
                                "compile-time +-1 factors; vs interp: max |J - J_interpreter| "
                                "/ path-sum scale\n",
                                g->task_name, ccx_codegen_lang_name(lang), CCX_VERSION, date,
                                compiler_desc, has_cuda ? "device" : "cpu",
                                has_cuda ? dev : (cpu[0] ? cpu : "?"), total,
                                has_cuda ? "one thread per point, chunks of up to 2^20"
                                         : "256 distinct points x calls, cache-resident",
                                reps);
        len += (size_t)snprintf(tab + len, cap - len,
                                "%-24s %6s %8s %8s %8s %10s %10s %8s %8s %9s\n", "order",
                                "cost", "nonconst", "cost/fwd", "cost/rev", "ns/point",
                                "(median)", "time/fwd", "time/rev", "vs interp");
        for (int i = 0; i < n_specs; i++) {
            const bench_order *o = &ords[i];
            char tf[16] = "-", tr[16] = "-";
            if (fwd) snprintf(tf, sizeof tf, "%.3f", o->best_ns / fwd->best_ns);
            if (rev) snprintf(tr, sizeof tr, "%.3f", o->best_ns / rev->best_ns);
            len += (size_t)snprintf(tab + len, cap - len,
                                    "%-24s %6lld %8lld %8.3f %8.3f %10.2f %10.2f %8s %8s %9.1e\n",
                                    o->label, (long long)o->cost, (long long)o->nonconst,
                                    (double)o->cost / (double)bl.forward,
                                    (double)o->cost / (double)bl.reverse, o->best_ns,
                                    o->median_ns, tf, tr, o->max_rel);
            if (len >= cap) len = cap - 1;
        }
        fputs(tab, stdout);
        if (out_path) {
            FILE *f = fopen(out_path, "a");
            if (!f || fprintf(f, "%s\n", tab) < 0 || fclose(f)) {
                fprintf(stderr, "ccx bench: error: cannot append to %s\n", out_path);
                rc = CCX_EXIT_FAILURE;
            }
        }
        free(tab);
    }

cleanup:
    for (int i = 0; i < n_specs; i++) {
        free(specs[i]);
        free(ords[i].spec);
        ccx_order_file_free(&ords[i].of);
        ccx_jac_plan_free(&ords[i].plan);
        if (ords[i].dl) dlclose(ords[i].dl);
        free(ords[i].t);
    }
    free(ords);
    free(pts); free(x); free(y); free(J); free(Jref); free(Sref);
    if (dir[0]) {
        if (keep) {
            fprintf(stderr, "ccx bench: generated code kept in %s\n", dir);
        } else {
            char qd[4300];
            if (quoted(dir, qd, sizeof qd) == 0) {
                snprintf(cmd, sizeof cmd, "rm -rf %s", qd);
                if (system(cmd) != 0) fprintf(stderr, "ccx bench: could not remove %s\n", dir);
            }
        }
    }
    ccx_graph_free(g);
    return rc;
}
