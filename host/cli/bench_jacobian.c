/* ccx bench jacobian TASK [--orders SPEC,...] [--order ORDER]... [--points N]
 *                        [--batch B,...] [--peer casadi] [--layout sparse|dense]
 *                        [--lang c|cuda] [--reps R] [--cc CMD] [--out FILE] [--keep]
 *
 * Runtime of generated Jacobian code per elimination order. For each order:
 * generate code (jac/codegen.h), compile it, check it against the
 * interpreter, and time it.
 *
 * CPU (--lang c): `CMD -O3 -march=native -fPIC -shared` (CMD = cc unless
 * --cc), loaded with dlopen. For each batch size B the function is called on
 * B distinct points inside the domain (drawn like `ccx jacobian`'s default
 * point, one seed per point), ceil(N / B) times from the same buffers, so the
 * figure is compute time at B points per call, not memory bandwidth. One
 * untimed warm-up pass, then R timed passes, each pass running every (batch,
 * code) pair round-robin (so a burst of load from other processes hits all
 * alike); best and median ns/point. --peer casadi adds CasADi's generated C
 * for the same function (scripts/casadi_peer.py: SX, jacobian, cse), built
 * with the same compiler and flags, each called in its own layout.
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

#define CHUNK 256       /* distinct points per call (CUDA) */
#define CHECK_POINTS 64 /* points compared with the interpreter */
#define MAX_ORDERS 32
#define MAX_BATCHES 8
#define MAX_BATCH 65536
#define FN_NAME "ccxbench"
#define PEER_NAME "ccxpeer"

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx bench jacobian TASK [--orders SPEC,...] [--order ORDER]... [--points N]\n"
            "                              [--batch B,...] [--peer casadi] [--layout sparse|dense]\n"
            "                              [--lang c|cuda|jax] [--reps R] [--cc CMD] [--out FILE] [--keep]\n\n"
            "Generate Jacobian code for TASK in each order (ccx codegen), compile it, check it\n"
            "against the interpreter and time it. Prints one row per order and batch size:\n"
            "AlphaGrad-model cost, the multiplications the code performs (real), ns per point\n"
            "(best and median of R passes) and time ratios vs forward, reverse and the peer.\n"
            "TASK is a paper task name or a task file (.ccx) with scalar vertices.\n\n"
            "  --orders SPEC,...  comma-separated forward | reverse | markowitz | FILE (an order\n"
            "                     file, JSON or bare list); default forward,reverse,markowitz\n"
            "  --order ORDER      add one order (may repeat; ORDER may also be a LIST \"8,82,...\")\n"
            "  --points N         points per pass (default 1000000 for c, 10000000 for cuda)\n"
            "  --batch B,...      c: points per call, each timed (default 16,1024,1031;\n"
            "                     at most %d sizes, each 1..%d)\n"
            "  --peer casadi      c: also time CasADi's generated C for the same function\n"
            "                     (scripts/casadi_peer.py: SX graph, jacobian, cse, outputs y and\n"
            "                     its nonzeros, point by point); needs $CCX_PYTHON (default\n"
            "                     python3) with casadi (pip install casadi)\n"
            "  --layout L         c: J as its structural nonzeros (sparse, default) or dense\n"
            "  --lang c|cuda|jax  generated code to time (default c). cuda needs a device;\n"
            "                     without one it prints 'no CUDA device: skipped' and exits 0\n"
            "                     jax runs scripts/bench_jacobian_jax.py (Python with jax;\n"
            "                     $CCX_PYTHON, default python3) with these arguments: jit(vmap)\n"
            "                     of jax.jacfwd, jax.jacrev and each order's `ccx codegen --lang\n"
            "                     jax` module; for graph files (tensor tasks) at --batches\n"
            "                     1,64,1024 points per call, with orders `alphagrad` and `best`\n"
            "                     (see the script's --help)\n"
            "  --reps R           timed passes (default 5; 1..100)\n"
            "  --cc CMD           C compiler (default cc; flags -O3 -march=native -fPIC -shared)\n"
            "  --out FILE         also append the table to FILE (e.g. results/bench/jacobian_cpu.txt)\n"
            "  --keep             keep the temporary directory with the generated code\n"
            "  -h, --help         this help\n\n"
            "CPU method: for each batch size B, B distinct points in the domain, the code\n"
            "called ceil(N/B) times on them (compute, not memory bandwidth); one warm-up pass,\n"
            "then R passes, each running every (batch, code) pair round-robin. Timings on a\n"
            "shared machine are noisy: compare best-of-R figures within one table, and repeat.\n",
            MAX_BATCHES, MAX_BATCH);
}

typedef void (*jac_fn)(long, const double *, double *, double *);
typedef void (*jac_ld_fn)(long, long, const double *, double *, double *);

typedef struct {
    char label[64];
    char *spec;         /* the order spec; NULL for the peer */
    int peer;           /* CasADi's code: points as an array of structures */
    ccx_order_file of;
    int64_t cost;       /* AlphaGrad's model */
    int64_t real;       /* multiplications the code performs (the real-work model) */
    ccx_jac_plan plan;
    void *dl;
    jac_fn fn;          /* the peer's */
    jac_ld_fn fn_ld;    /* ccx's, its rows ld apart */
    long (*padded_ld)(long);
    int nnz;            /* rows of J the code writes, entry k = d y_row[k] / d x_col[k] */
    const int *row, *col;
    double *t;          /* [n_batches * reps] seconds per pass */
    double best_ns[MAX_BATCHES], median_ns[MAX_BATCHES], max_rel;
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

static int write_code(bench_order *o, ccx_codegen_lang lang, ccx_codegen_layout layout,
                      const char *path, ccx_error *err) {
    FILE *f = fopen(path, "w");
    if (!f) return ccx_error_set(err, "cannot write %s: %s", path, strerror(errno));
    ccx_codegen_opts opts = {.lang = lang, .name = FN_NAME, .method = o->label, .layout = layout};
    ccx_codegen_stats st;
    int rc = ccx_codegen_write(&o->plan, &opts, f, &st, err);
    if (fclose(f) && rc == 0) rc = ccx_error_set(err, "write error on %s", path);
    o->real = st.acc_mults;
    if (rc == 0 && st.acc_products != o->cost)
        rc = ccx_error_set(err, "internal error: %lld products scheduled, cost %lld",
                           (long long)st.acc_products, (long long)o->cost);
    return rc;
}

/* Entry (point p, row r) of an array of rows x points: structure of arrays
 * (ccx: a[r*n + p]) or array of structures (CasADi: a[p*rows + r]). */
static size_t at(int aos, long ld, int rows, long p, int r) {
    return aos ? (size_t)p * rows + r : (size_t)r * ld + p;
}

/* The row stride a code reads its points with: ccx's padded one (its
 * NAME_padded_ld), or none (the peer's points are structures). */
static long ld_of(const bench_order *o, long n) { return o->peer ? n : o->padded_ld(n); }

/* Call the code on n points. */
static void call(const bench_order *o, long n, const double *x, double *y, double *J) {
    if (o->peer) o->fn(n, x, y, J);
    else o->fn_ld(n, o->padded_ld(n), x, y, J);
}

/* Worst relative difference (path-sum scale) of the code's J on n points
 * against the interpreter's dense Jref[n][n_out*n_in]. */
static double check_against_interpreter(const bench_order *o, const double *J, long n, long ld,
                                        const double *Jref_all, const double *Sref_all,
                                        int n_in, int nj) {
    double worst = 0;
    double *Jp = malloc((size_t)nj * sizeof(double));
    if (!Jp) return NAN;
    for (long p = 0; p < n; p++) {
        for (int r = 0; r < nj; r++) Jp[r] = 0.0;
        for (int k = 0; k < o->nnz; k++)
            Jp[o->row[k] * n_in + o->col[k]] = J[at(o->peer, ld, o->nnz, p, k)];
        double a, rel;
        ccx_jac_compare(Jp, Jref_all + (size_t)p * nj, Sref_all + (size_t)p * nj, (size_t)nj,
                        &a, &rel);
        if (!(rel <= worst)) worst = rel;
    }
    free(Jp);
    return worst;
}

/* A script under the repository's scripts/ (beside this binary's build
 * folder, or under $CCX_ROOT). */
static void script_path(const char *name, char *exe, size_t exe_size, char *script, size_t size) {
    ssize_t n = readlink("/proc/self/exe", exe, exe_size - 1);
    exe[n > 0 ? n : 0] = '\0';
    const char *root = getenv("CCX_ROOT");
    if (root) snprintf(script, size, "%s/scripts/%s", root, name);
    else {
        char *slash = strrchr(exe, '/');
        snprintf(script, size, "%.*s/../scripts/%s", slash ? (int)(slash - exe) : 1,
                 slash ? exe : ".", name);
    }
}

/* --lang jax: the JAX peer benchmark is Python (scripts/bench_jacobian_jax.py,
 * found beside this binary's build folder or under $CCX_ROOT), run with the
 * same arguments, --lang jax left out, by $CCX_PYTHON (default python3). */
static int bench_jax(int argc, char **argv) {
    char exe[4096], script[4200];
    script_path("bench_jacobian_jax.py", exe, sizeof exe, script, sizeof script);
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

/* Parse "16,1024,1031" into batches[]; the count, or -1. */
static int parse_batches(const char *arg, long *batches) {
    char *copy = strdup(arg), *save = NULL;
    int n = 0;
    if (!copy) return -1;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (n == MAX_BATCHES || ccx_cli_parse_long(t, 1, MAX_BATCH, &batches[n])) {
            free(copy);
            return -1;
        }
        n++;
    }
    free(copy);
    return n ? n : -1;
}

/* The Python that runs scripts/casadi_peer.py: $CCX_PYTHON or python3. */
static const char *peer_python(void) {
    const char *py = getenv("CCX_PYTHON");
    return py && *py ? py : "python3";
}

/* 0 if that Python imports casadi, else a usage error (before any work). */
static int peer_python_check(void) {
    char cmd[4400], q[4300];
    if (quoted(peer_python(), q, sizeof q))
        return ccx_cli_usage_error("bench", "CCX_PYTHON contains a quote");
    snprintf(cmd, sizeof cmd, "%s -c 'import casadi' > /dev/null 2>&1", q);
    if (system(cmd) != 0)
        return ccx_cli_usage_error("bench", "--peer casadi needs a Python with casadi: '%s' has "
                                            "none (pip install casadi, or set CCX_PYTHON)",
                                   peer_python());
    return 0;
}

/* Build CasADi's code for g (scripts/casadi_peer.py on the function's JAX
 * module) in dir and load it as o. 0, or an exit status. */
static int build_peer(const ccx_graph *g, bench_order *o, const ccx_jac_plan *plan,
                      const char *dir, const char *cc) {
    char exe[4096], script[4200], py_path[4300], c_path[4300], so[4300], log[4300], cmd[32768];
    char qs[4400], qpy[4400], qc[4400], qso[4400], qlog[4400];
    script_path("casadi_peer.py", exe, sizeof exe, script, sizeof script);
    const char *py = peer_python();
    if (access(script, R_OK) != 0)
        return ccx_cli_usage_error("bench", "--peer casadi runs scripts/casadi_peer.py, not found "
                                            "at %s (set CCX_ROOT to the repository)", script);
    snprintf(py_path, sizeof py_path, "%s/peer_f.py", dir);
    snprintf(c_path, sizeof c_path, "%s/peer.c", dir);
    snprintf(so, sizeof so, "%s/peer.so", dir);
    snprintf(log, sizeof log, "%s/peer.log", dir);
    if (quoted(script, qs, sizeof qs) || quoted(py_path, qpy, sizeof qpy) ||
        quoted(c_path, qc, sizeof qc) || quoted(so, qso, sizeof qso) ||
        quoted(log, qlog, sizeof qlog)) {
        fprintf(stderr, "ccx bench: error: a path contains a quote: %s\n", dir);
        return CCX_EXIT_FAILURE;
    }
    FILE *f = fopen(py_path, "w");
    ccx_error err;
    ccx_codegen_opts opts = {.lang = CCX_LANG_JAX, .name = FN_NAME, .method = "peer"};
    int rc = f ? ccx_codegen_write(plan, &opts, f, NULL, &err) : -1;
    if (f && fclose(f)) rc = -1;
    if (rc) {
        fprintf(stderr, "ccx bench: error: cannot write %s\n", py_path);
        return CCX_EXIT_FAILURE;
    }
    char qexe[4400];
    if (quoted(py, qexe, sizeof qexe)) return CCX_EXIT_FAILURE;
    snprintf(cmd, sizeof cmd, "%s %s %s %s --name " PEER_NAME " > %s 2>&1", qexe, qs, qpy, qc, qlog);
    if (run_cmd(cmd, log)) return CCX_EXIT_FAILURE;
    snprintf(cmd, sizeof cmd, "%s -O3 -march=native -fPIC -shared -o %s %s -lm > %s 2>&1", cc, qso,
             qc, qlog);
    if (run_cmd(cmd, log)) return CCX_EXIT_FAILURE;
    o->dl = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!o->dl) {
        fprintf(stderr, "ccx bench: error: dlopen %s: %s\n", so, dlerror());
        return CCX_EXIT_FAILURE;
    }
    *(void **)&o->fn = dlsym(o->dl, PEER_NAME "_batch");
    const int *nnz = dlsym(o->dl, PEER_NAME "_jac_nnz");
    o->row = dlsym(o->dl, PEER_NAME "_jac_row");
    o->col = dlsym(o->dl, PEER_NAME "_jac_col");
    if (!o->fn || !nnz || !o->row || !o->col) {
        fprintf(stderr, "ccx bench: error: %s lacks " PEER_NAME "_batch or its sparsity\n", so);
        return CCX_EXIT_FAILURE;
    }
    o->nnz = *nnz;
    o->peer = 1;
    o->cost = o->real = -1;
    snprintf(o->label, sizeof o->label, "casadi");
    (void)g;
    return CCX_EXIT_OK;
}

static const char *cpu_model(char *buf, size_t size) {
    buf[0] = '\0';
    FILE *ci = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (ci && fgets(line, sizeof line, ci))
        if (strncmp(line, "model name", 10) == 0) {
            char *c = strchr(line, ':');
            if (c) snprintf(buf, size, "%s", c + 2 + strspn(c + 2, " "));
            buf[strcspn(buf, "\n")] = '\0';
            break;
        }
    if (ci) fclose(ci);
    return buf[0] ? buf : "?";
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
        {"batch", required_argument, 0, 'b'},  {"peer", required_argument, 0, 'p'},
        {"layout", required_argument, 0, 'L'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    char *specs[MAX_ORDERS];
    int n_specs = 0, keep = 0, rc = CCX_EXIT_OK, peer = 0, n_batches = 3, batch_set = 0;
    long points = -1, reps = 5, batches[MAX_BATCHES] = {16, 1024, 1031};
    const char *cc = "cc", *out_path = NULL;
    ccx_codegen_lang lang = CCX_LANG_C;
    ccx_codegen_layout layout = CCX_LAYOUT_SPARSE;
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
        case 'b':
            n_batches = parse_batches(optarg, batches);
            batch_set = 1;
            if (n_batches < 0)
                return ccx_cli_usage_error("bench", "--batch must be 1 to %d sizes in 1..%d, comma-"
                                                    "separated, got '%s'", MAX_BATCHES, MAX_BATCH, optarg);
            break;
        case 'p':
            if (strcmp(optarg, "casadi") != 0)
                return ccx_cli_usage_error("bench", "--peer must be casadi, got '%s'", optarg);
            peer = 1;
            break;
        case 'L':
            if (ccx_codegen_layout_parse(optarg, &layout))
                return ccx_cli_usage_error("bench", "--layout must be sparse or dense, got '%s'", optarg);
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
    if (lang == CCX_LANG_CUDA && (peer || batch_set)) {
        for (int i = 0; i < n_specs; i++) free(specs[i]);
        return ccx_cli_usage_error("bench", "--%s is for --lang c", peer ? "peer" : "batch");
    }
    if (peer && peer_python_check()) {
        for (int i = 0; i < n_specs; i++) free(specs[i]);
        return CCX_EXIT_USAGE;
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
    int has_cuda = lang == CCX_LANG_CUDA;
    if (has_cuda) {
        n_batches = 1;
        batches[0] = CHUNK;
    }

    ccx_graph *g = ccx_cli_load_evaluable_task(argv[optind], "ccx bench jacobian");
    int n_codes = n_specs + peer;
    bench_order *ords = calloc((size_t)n_codes, sizeof *ords);
    if (!g || !ords) {
        for (int i = 0; i < n_specs; i++) free(specs[i]);
        free(ords);
        ccx_graph_free(g);
        return g ? CCX_EXIT_FAILURE : CCX_EXIT_USAGE;
    }
    int n_in = g->n_inputs, n_out = g->n_outputs, nj = n_in * n_out;
    long bmax = CHECK_POINTS;
    for (int b = 0; b < n_batches; b++)
        if (batches[b] > bmax) bmax = batches[b];
    double *pts = NULL, *x = NULL, *y = NULL, *J = NULL, *Jref = NULL, *Sref = NULL;
    double **xb = NULL; /* [n_batches * 2]: the points of batch b, SoA (2b) and AoS (2b+1) */
    char dir[4096] = "", path[4200], qsrc[4300], qso[4300], qlog[4300], cmd[32768];
    ccx_error err;
    ccx_baselines bl = {0, 0, 0, 0};
    char dev[256] = "";

    if (has_cuda && ccx_cuda_device_info(dev, sizeof dev) <= 0) {
        printf("bench jacobian  task=%s lang=cuda: no CUDA device: skipped (%s)\n", g->task_name,
               dev);
        goto cleanup;
    }
    /* orders */
    for (int i = 0; i < n_specs; i++) {
        bench_order *o = &ords[i];
        o->spec = specs[i];
        specs[i] = NULL;
        if (ccx_cli_load_order_priced(g, o->spec, 1, &o->of, &o->cost, &err) ||
            ccx_jac_plan_build(g, o->of.order, o->of.n_order, &o->plan, &err)) {
            fprintf(stderr, "ccx bench: order '%s':\n", o->spec);
            ccx_cli_print_error(&err);
            rc = CCX_EXIT_USAGE;
            goto cleanup;
        }
        make_label(o);
    }
    for (int i = 0; i < n_codes; i++) {
        ords[i].t = calloc((size_t)(reps * n_batches), sizeof(double));
        if (!ords[i].t) { rc = CCX_EXIT_FAILURE; goto cleanup; }
    }
    if (ccx_baselines_compute(g, &bl, &err)) {
        ccx_cli_print_error(&err);
        rc = CCX_EXIT_USAGE;
        goto cleanup;
    }
    /* points: bmax distinct points in the domain, pts[p*n_in + i]; the
     * interpreter's reference on the first CHECK_POINTS */
    pts = malloc((size_t)n_in * bmax * sizeof(double));
    long bpad = bmax + 16; /* room for a padded row stride (NAME_padded_ld) */
    x = malloc((size_t)n_in * bpad * sizeof(double));
    Jref = malloc((size_t)CHECK_POINTS * nj * sizeof(double));
    Sref = malloc((size_t)CHECK_POINTS * nj * sizeof(double));
    y = malloc((size_t)n_out * bpad * sizeof(double));
    J = malloc((size_t)nj * bpad * sizeof(double));
    xb = calloc((size_t)n_batches * 2, sizeof *xb);
    if (!pts || !x || !Jref || !Sref || !y || !J || !xb) { rc = CCX_EXIT_FAILURE; goto cleanup; }
    for (long k = 0; k < bmax; k++) {
        double *xk = pts + (size_t)k * n_in;
        if (ccx_jac_find_point(g, CCX_JAC_DEFAULT_SEED + (uint64_t)k, CCX_JAC_DEFAULT_LO,
                               CCX_JAC_DEFAULT_HI, CCX_JAC_DEFAULT_TRIES, xk, NULL, &err)) {
            ccx_cli_print_error(&err);
            rc = CCX_EXIT_USAGE;
            goto cleanup;
        }
        if (k < CHECK_POINTS &&
            (ccx_jac_eval(&ords[0].plan, xk, NULL, Jref + (size_t)k * nj, NULL, &err) ||
             ccx_jac_abs_scale(g, xk, Sref + (size_t)k * nj, &err))) {
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
    char compiler_desc[512];
    if (has_cuda) snprintf(compiler_desc, sizeof compiler_desc, "nvcc -O3 -arch=native");
    else snprintf(compiler_desc, sizeof compiler_desc, "%s -O3 -march=native", cc);

    /* generate, compile, load */
    for (int i = 0; i < n_specs; i++) {
        bench_order *o = &ords[i];
        snprintf(path, sizeof path, "%s/o%d%s", dir, i, ccx_codegen_suffix(lang));
        if (write_code(o, lang, layout, path, &err)) {
            ccx_cli_print_error(&err);
            rc = CCX_EXIT_FAILURE;
            goto cleanup;
        }
        /* the rows of J the code writes (codegen.h's layouts) */
        int *rows = malloc((size_t)(nj ? nj : 1) * 2 * sizeof(int));
        if (!rows) { rc = CCX_EXIT_FAILURE; goto cleanup; }
        o->nnz = 0;
        for (int r = 0; r < nj; r++)
            if (layout == CCX_LAYOUT_DENSE || o->plan.jac_slot[r] >= 0) {
                rows[o->nnz] = r / n_in;
                rows[nj + o->nnz] = r % n_in;
                o->nnz++;
            }
        o->row = rows;
        o->col = rows + nj;
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
            ccx_codegen_write_cuda_harness(f, FN_NAME, n_in, n_out, o->nnz);
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
            for (long p = 0; p < CHUNK; p++)
                for (int k = 0; k < n_in; k++) x[(size_t)k * CHUNK + p] = pts[(size_t)p * n_in + k];
            FILE *f = fopen(pf, "wb");
            if (!f || fwrite(x, sizeof(double), (size_t)n_in * CHUNK, f) != (size_t)n_in * CHUNK) {
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
            long total = 0;
            while (f && fgets(line, sizeof line, f))
                if (sscanf(line, "ccx-bench best_ns=%lf median_ns=%lf points=%ld", &o->best_ns[0],
                           &o->median_ns[0], &total) == 3)
                    got = 1;
            if (f) fclose(f);
            f = fopen(jf, "rb");
            size_t want = (size_t)o->nnz * CHUNK;
            if (!got || !f || fread(J, sizeof(double), want, f) != want) {
                if (f) fclose(f);
                fprintf(stderr, "ccx bench: error: the CUDA harness gave no result (%s)\n", outf);
                rc = CCX_EXIT_FAILURE;
                goto cleanup;
            }
            fclose(f);
            o->max_rel = check_against_interpreter(o, J, CHUNK, CHUNK, Jref, Sref, n_in, nj);
            (void)total;
        } else {
            o->dl = dlopen(so, RTLD_NOW | RTLD_LOCAL);
            if (!o->dl) {
                fprintf(stderr, "ccx bench: error: dlopen %s: %s\n", so, dlerror());
                rc = CCX_EXIT_FAILURE;
                goto cleanup;
            }
            *(void **)&o->fn_ld = dlsym(o->dl, FN_NAME "_jacobian_ld");
            *(void **)&o->padded_ld = dlsym(o->dl, FN_NAME "_padded_ld");
            if (!o->fn_ld || !o->padded_ld) {
                fprintf(stderr, "ccx bench: error: %s has no " FN_NAME "_jacobian_ld\n", so);
                rc = CCX_EXIT_FAILURE;
                goto cleanup;
            }
        }
    }
    if (peer && (rc = build_peer(g, &ords[n_specs], &ords[0].plan, dir, cc)) != CCX_EXIT_OK)
        goto cleanup;
    /* the points of each batch in each layout (ccx's codes share one padding rule) */
    for (int b = 0; b < n_batches && !has_cuda; b++)
        for (int aos = 0; aos < 2; aos++) {
            long ld = aos ? batches[b] : ld_of(&ords[0], batches[b]);
            double *v = malloc((size_t)n_in * ld * sizeof(double));
            if (!v) { rc = CCX_EXIT_FAILURE; goto cleanup; }
            for (long p = 0; p < batches[b]; p++)
                for (int i = 0; i < n_in; i++)
                    v[at(aos, ld, n_in, p, i)] = pts[(size_t)p * n_in + i];
            xb[2 * b + aos] = v;
        }
    /* check every CPU code on the first CHECK_POINTS points */
    if (!has_cuda)
        for (int i = 0; i < n_codes; i++) {
            bench_order *o = &ords[i];
            long ld = ld_of(o, CHECK_POINTS);
            for (long p = 0; p < CHECK_POINTS; p++)
                for (int k = 0; k < n_in; k++)
                    x[at(o->peer, ld, n_in, p, k)] = pts[(size_t)p * n_in + k];
            call(o, CHECK_POINTS, x, y, J);
            o->max_rel = check_against_interpreter(o, J, CHECK_POINTS, ld, Jref, Sref, n_in, nj);
        }
    for (int i = 0; i < n_codes; i++)
        if (!(ords[i].max_rel <= 1e-9)) {
            fprintf(stderr, "ccx bench: error: %s: generated code differs from the "
                            "interpreter (max rel diff %.3g)\n", ords[i].label, ords[i].max_rel);
            rc = CCX_EXIT_FAILURE;
            goto cleanup;
        }

    /* time (CPU): warm-up, then passes over every (batch, code) pair */
    if (!has_cuda) {
        for (int r = -1; r < reps; r++)
            for (int b = 0; b < n_batches; b++) {
                long calls = (points + batches[b] - 1) / batches[b];
                for (int i = 0; i < n_codes; i++) {
                    const double *xi = xb[2 * b + ords[i].peer];
                    double t0 = ccx_now_s();
                    for (long c = 0; c < calls; c++) call(&ords[i], batches[b], xi, y, J);
                    if (r >= 0) ords[i].t[b * reps + r] = ccx_now_s() - t0;
                }
            }
        for (int i = 0; i < n_codes; i++)
            for (int b = 0; b < n_batches; b++) {
                double *t = ords[i].t + b * reps;
                double total = (double)((points + batches[b] - 1) / batches[b]) * batches[b];
                qsort(t, (size_t)reps, sizeof(double), cmp_double);
                ords[i].best_ns[b] = t[0] * 1e9 / total;
                ords[i].median_ns[b] = t[reps / 2] * 1e9 / total;
            }
    }

    /* table: one row per code and batch size */
    {
        const bench_order *fwd = NULL, *rev = NULL, *pr = peer ? &ords[n_specs] : NULL;
        for (int i = 0; i < n_specs; i++) {
            if (!fwd && strcmp(ords[i].spec, "forward") == 0) fwd = &ords[i];
            if (!rev && strcmp(ords[i].spec, "reverse") == 0) rev = &ords[i];
        }
        char cpu[256];
        size_t cap = 8192 + (size_t)n_codes * n_batches * 256, len = 0;
        char *tab = malloc(cap);
        if (!tab) { rc = CCX_EXIT_FAILURE; goto cleanup; }
        time_t now = time(NULL);
        struct tm tmv;
        char date[64], bdesc[256] = "";
        strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", localtime_r(&now, &tmv));
        for (int b = 0; b < n_batches; b++)
            snprintf(bdesc + strlen(bdesc), sizeof bdesc - strlen(bdesc), "%s%ld", b ? "," : "",
                     batches[b]);
        len += (size_t)snprintf(tab + len, cap - len,
                                "bench jacobian  task=%s lang=%s ccx=%s date=%s\n"
                                "  compiler=\"%s\" %s=%s\n"
                                "  points/pass=%ld, %s; passes=%ld, best (median); J %s\n"
                                "  cost: AlphaGrad's model; real: multiplications the code "
                                "performs (constants folded); vs interp: max |J - J_interpreter| "
                                "/ path-sum scale\n",
                                g->task_name, ccx_codegen_lang_name(lang), CCX_VERSION, date,
                                compiler_desc, has_cuda ? "device" : "cpu",
                                has_cuda ? dev : cpu_model(cpu, sizeof cpu), points,
                                has_cuda ? "one thread per point, chunks of up to 2^20"
                                         : "batch = points per call",
                                reps, layout == CCX_LAYOUT_DENSE ? "dense" : "nonzeros");
        if (!has_cuda) len += (size_t)snprintf(tab + len, cap - len, "  batches=%s\n", bdesc);
        len += (size_t)snprintf(tab + len, cap - len,
                                "%-24s %6s %6s %6s %10s %10s %8s %8s %8s %9s\n", "code", "batch",
                                "cost", "real", "ns/point", "(median)", "time/fwd", "time/rev",
                                pr ? "/casadi" : "", "vs interp");
        for (int i = 0; i < n_codes; i++)
            for (int b = 0; b < n_batches; b++) {
                const bench_order *o = &ords[i];
                char tf[16] = "-", tr[16] = "-", tp[16] = "", c1[24] = "-", c2[24] = "-";
                if (fwd) snprintf(tf, sizeof tf, "%.3f", o->best_ns[b] / fwd->best_ns[b]);
                if (rev) snprintf(tr, sizeof tr, "%.3f", o->best_ns[b] / rev->best_ns[b]);
                if (pr) snprintf(tp, sizeof tp, "%.3f", o->best_ns[b] / pr->best_ns[b]);
                if (o->cost >= 0) snprintf(c1, sizeof c1, "%lld", (long long)o->cost);
                if (o->real >= 0) snprintf(c2, sizeof c2, "%lld", (long long)o->real);
                len += (size_t)snprintf(tab + len, cap - len,
                                        "%-24s %6ld %6s %6s %10.2f %10.2f %8s %8s %8s %9.1e\n",
                                        o->label, batches[b], c1, c2, o->best_ns[b],
                                        o->median_ns[b], tf, tr, tp, o->max_rel);
                if (len >= cap) len = cap - 1;
            }
        (void)bl;
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
    for (int i = 0; i < n_codes; i++) {
        if (i < n_specs) {
            free(specs[i]);
            free((void *)ords[i].row);
        }
        free(ords[i].spec);
        ccx_order_file_free(&ords[i].of);
        ccx_jac_plan_free(&ords[i].plan);
        if (ords[i].dl) dlclose(ords[i].dl);
        free(ords[i].t);
    }
    free(ords);
    if (xb)
        for (int b = 0; b < 2 * n_batches; b++) free(xb[b]);
    free(xb);
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
