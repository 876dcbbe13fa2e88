/* ccx bench nn [--backend cpu|cuda|auto] [--batch B] [--vertices N] [--layers L]
 *              [--dim D] [--heads H] [--mlp M] [--seconds S] [--tf32 on|off]
 *              [--seed N] [--out FILE] [--save FILE]
 *
 * Throughput of the policy/value network (host/nn) on random graphs of N
 * vertices: forward, and forward + backward (zero_grad, backward of a
 * random dlogits/dvalue), in samples/s and achieved TFLOP/s. Observations
 * sit in the backend's memory before timing (no host<->device copies are
 * timed); every iteration ends with a device synchronisation (cuda). FLOPs are counted analytically by
 * ccx_nn_flops (model.h): matrix products only, 2 per multiply-add, at N
 * slots per graph. */
#include <cblas.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "util/clock.h"
#include "env/env.h"
#include "nn/nn.h"
#include "nn/nn_cuda.h"
#include "util/cuda_info.h"
#include "util/rng.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx bench nn [--backend cpu|cuda|auto] [--batch B] [--vertices N]\n"
            "                    [--layers L] [--dim D] [--heads H] [--mlp M]\n"
            "                    [--seconds S] [--tf32 on|off] [--seed N] [--out FILE] [--save FILE]\n\n"
            "Time the policy/value transformer on random graphs: forward and\n"
            "forward+backward samples/s and TFLOP/s (matrix products, 2 per multiply-add).\n\n"
            "  --backend B    cpu (OpenBLAS), cuda (cuBLAS) or auto (default auto)\n"
            "  --batch B      graphs per batch (default 64)\n"
            "  --vertices N   vertex slots per graph, 1..4096 (default 128)\n"
            "  --layers L     encoder layers (default 4)\n"
            "  --dim D        token width (default 128)\n"
            "  --heads H      attention heads (default 4)\n"
            "  --mlp M        MLP hidden width (default 4*D)\n"
            "  --seconds S    time per measurement, 0.05..3600 (default 2)\n"
            "  --tf32 on|off  TF32 tensor-core products on cuda (default on)\n"
            "  --seed N       random seed (default 0)\n"
            "  --out FILE     also append the result line to FILE (e.g. results/bench/nn_cpu.txt)\n"
            "  --save FILE    write the model after one AdamW step as a checkpoint\n"
            "  -h, --help     this help\n");
}

typedef struct {
    ccx_nn *nn;
    ccx_nn_obs obs;               /* native memory */
    const float *dlogits, *dvalue; /* native memory */
} bench_ctx;

static int run_forward(bench_ctx *b, ccx_error *err) {
    return ccx_nn_forward_native(b->nn, &b->obs, err) || ccx_nn_sync(b->nn, err) ? -1 : 0;
}

static int run_fwd_bwd(bench_ctx *b, ccx_error *err) {
    if (ccx_nn_forward_native(b->nn, &b->obs, err) || ccx_nn_zero_grad(b->nn, err) ||
        ccx_nn_backward_native(b->nn, b->dlogits, b->dvalue, err) || ccx_nn_sync(b->nn, err))
        return -1;
    return 0;
}

/* Iterations per second of f over at least `seconds` (after 2 warm-up runs). */
static int measure(int (*f)(bench_ctx *, ccx_error *), bench_ctx *b, double seconds, double *per_s,
                   ccx_error *err) {
    for (int i = 0; i < 2; i++)
        if (f(b, err)) return -1;
    long n = 0;
    double t0 = ccx_now_s(), t = t0;
    while (t - t0 < seconds || n < 3) {
        if (f(b, err)) return -1;
        n++;
        t = ccx_now_s();
    }
    *per_s = (double)n / (t - t0);
    return 0;
}

int ccx_bench_nn(int argc, char **argv) {
    static const struct option opts[] = {
        {"backend", required_argument, 0, 'b'}, {"batch", required_argument, 0, 'B'},
        {"vertices", required_argument, 0, 'N'}, {"layers", required_argument, 0, 'L'},
        {"dim", required_argument, 0, 'D'},      {"heads", required_argument, 0, 'H'},
        {"mlp", required_argument, 0, 'M'},      {"seconds", required_argument, 0, 's'},
        {"tf32", required_argument, 0, 't'},     {"seed", required_argument, 0, 'r'},
        {"out", required_argument, 0, 'o'},      {"save", required_argument, 0, 'S'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    const char *backend_arg = "auto", *out_path = NULL, *save_path = NULL;
    long batch = 64, n = 128, layers = 4, dim = 128, heads = 4, mlp = 0, seed = 0;
    double seconds = 2.0;
    int tf32 = 1;
    opterr = 0;
    optind = 1;
    for (int ch; (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
        switch (ch) {
        case 'b': backend_arg = optarg; break;
#define INT_OPT(c, var, lo, hi, name)                                                            \
    case c:                                                                                      \
        if (ccx_cli_parse_long(optarg, lo, hi, &var))                                            \
            return ccx_cli_usage_error("bench", "--%s must be an integer in %ld..%ld, got '%s'", \
                                       name, (long)(lo), (long)(hi), optarg);                    \
        break;
        INT_OPT('B', batch, 1, 1 << 20, "batch")
        INT_OPT('N', n, 1, 4096, "vertices")
        INT_OPT('L', layers, 0, 128, "layers")
        INT_OPT('D', dim, 1, 8192, "dim")
        INT_OPT('H', heads, 1, 256, "heads")
        INT_OPT('M', mlp, 1, 65536, "mlp")
        INT_OPT('r', seed, 0, 0x7fffffffL, "seed")
#undef INT_OPT
        case 's':
            if (ccx_cli_parse_double(optarg, 0.05, 3600, &seconds))
                return ccx_cli_usage_error("bench", "--seconds must be a number in 0.05..3600, got '%s'", optarg);
            break;
        case 't':
            if (!strcmp(optarg, "on")) tf32 = 1;
            else if (!strcmp(optarg, "off")) tf32 = 0;
            else return ccx_cli_usage_error("bench", "--tf32 must be on or off, got '%s'", optarg);
            break;
        case 'o': out_path = optarg; break;
        case 'S': save_path = optarg; break;
        case 'h': usage(stdout); return CCX_EXIT_OK;
        default:
            return ccx_cli_option_error("bench", ch, argv, "h");
        }
    }
    if (optind != argc) return ccx_cli_usage_error("bench", "unexpected argument '%s'", argv[optind]);
    ccx_error err;
    ccx_backend be;
    char note[320];
    if (ccx_backend_parse(backend_arg, &be, note, sizeof note, &err))
        return ccx_cli_usage_error("bench", "%s", err.msg);
    char dev[256] = "";
    if (be == CCX_BACKEND_CUDA) ccx_cuda_device_info(dev, sizeof dev);
    else snprintf(dev, sizeof dev, "cpu, OpenBLAS %d threads", openblas_get_num_threads());
    if (note[0]) fprintf(stderr, "ccx bench: %s\n", note);

    ccx_nn_config cfg = ccx_nn_config_default();
    cfg.n_pad = (int)n;
    cfg.dim = (int)dim;
    cfg.n_layers = (int)layers;
    cfg.n_heads = (int)heads;
    cfg.mlp_dim = mlp ? (int)mlp : 4 * (int)dim;
    cfg.value_dim = (int)dim;
    if (ccx_nn_config_validate(&cfg, &err)) return ccx_cli_usage_error("bench", "%s", err.msg);
    ccx_nn *nn = ccx_nn_create(&cfg, be, (int)batch, (uint64_t)seed, tf32, &err);
    if (!nn) {
        ccx_cli_print_error(&err);
        return CCX_EXIT_FAILURE;
    }

    /* random graphs: every slot live, edges i -> j (i < j) with probability
     * 3/N, env.h-like features (kind one-hot, degrees, op code) */
    int B = (int)batch, N = (int)n, F = cfg.n_features;
    size_t R = (size_t)B * N;
    float *features = calloc(R * F, sizeof(float)), *dl = malloc(R * sizeof(float));
    float *dv = malloc((size_t)B * sizeof(float));
    uint8_t *adj = calloc(R * N, 1), *legal = calloc(R, 1);
    int rc = CCX_EXIT_FAILURE;
    void *d_features = NULL, *d_adj = NULL, *d_legal = NULL, *d_dl = NULL, *d_dv = NULL;
    if (!features || !dl || !dv || !adj || !legal) {
        fprintf(stderr, "ccx bench: error: out of memory for the observations\n");
        goto done;
    }
    ccx_rng rng;
    ccx_rng_seed(&rng, (uint64_t)seed);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < N; i++) {
            float *f = features + ((size_t)b * N + i) * F;
            f[CCX_OBS_F_KIND + CCX_KIND_INTERMEDIATE] = 1.0f;
            for (int j = i + 1; j < N; j++)
                if (ccx_rng_unit(&rng) < 3.0 / N) adj[((size_t)b * N + i) * N + j] = 1;
            f[CCX_OBS_F_IN_DEGREE] = (float)ccx_rng_below(&rng, 4) * CCX_OBS_DEGREE_SCALE;
            f[CCX_OBS_F_OUT_DEGREE] = (float)ccx_rng_below(&rng, 4) * CCX_OBS_DEGREE_SCALE;
            f[CCX_OBS_F_MARKOWITZ] = f[CCX_OBS_F_IN_DEGREE] * f[CCX_OBS_F_OUT_DEGREE] * 16.0f *
                                     16.0f * CCX_OBS_MARKOWITZ_SCALE;
            f[CCX_OBS_F_VERTEX] = (float)(i + 1) / (float)N;
            f[CCX_OBS_F_OP] = (float)(1 + ccx_rng_below(&rng, (uint64_t)cfg.n_op_codes - 1));
            legal[(size_t)b * N + i] = ccx_rng_unit(&rng) < 0.7;
        }
    for (size_t i = 0; i < R; i++) dl[i] = (float)(ccx_rng_unit(&rng) - 0.5);
    for (int b = 0; b < B; b++) dv[b] = (float)(ccx_rng_unit(&rng) - 0.5);

    bench_ctx ctx = {nn, {B, N, features, adj, NULL, legal}, dl, dv};
    if (be == CCX_BACKEND_CUDA) {
        if (ccx_nn_cuda_malloc(&d_features, R * F * sizeof(float), &err) ||
            ccx_nn_cuda_malloc(&d_adj, R * N, &err) || ccx_nn_cuda_malloc(&d_legal, R, &err) ||
            ccx_nn_cuda_malloc(&d_dl, R * sizeof(float), &err) ||
            ccx_nn_cuda_malloc(&d_dv, (size_t)B * sizeof(float), &err) ||
            ccx_nn_cuda_copy_to_device(d_features, features, R * F * sizeof(float), &err) ||
            ccx_nn_cuda_copy_to_device(d_adj, adj, R * N, &err) ||
            ccx_nn_cuda_copy_to_device(d_legal, legal, R, &err) ||
            ccx_nn_cuda_copy_to_device(d_dl, dl, R * sizeof(float), &err) ||
            ccx_nn_cuda_copy_to_device(d_dv, dv, (size_t)B * sizeof(float), &err)) {
            ccx_cli_print_error(&err);
            goto done;
        }
        ctx.obs.features = d_features;
        ctx.obs.adj = d_adj;
        ctx.obs.legal = d_legal;
        ctx.dlogits = d_dl;
        ctx.dvalue = d_dv;
    }

    double fwd_per_s = 0, fb_per_s = 0, flop_fwd, flop_fb;
    if (measure(run_forward, &ctx, seconds, &fwd_per_s, &err) ||
        measure(run_fwd_bwd, &ctx, seconds, &fb_per_s, &err)) {
        ccx_cli_print_error(&err);
        goto done;
    }
    ccx_nn_flops(&cfg, N, &flop_fwd, &flop_fb);
    char line[1024];
    snprintf(line, sizeof line,
             "bench nn  backend=%s device=\"%s\" batch=%d vertices=%d dim=%d layers=%d heads=%d mlp=%d "
             "params=%zu tf32=%s gflop/sample fwd=%.4g fwd+bwd=%.4g | forward: %.4g samples/s %.4g TFLOP/s | "
             "forward+backward: %.4g samples/s %.4g TFLOP/s",
             ccx_backend_name(be), dev, B, N, cfg.dim, cfg.n_layers, cfg.n_heads, cfg.mlp_dim,
             ccx_nn_layout_of(nn)->n_params, be == CCX_BACKEND_CUDA ? (tf32 ? "on" : "off") : "n/a",
             flop_fwd / 1e9, flop_fb / 1e9, fwd_per_s * B, fwd_per_s * B * flop_fwd / 1e12, fb_per_s * B,
             fb_per_s * B * flop_fb / 1e12);
    printf("%s\n", line);
    rc = CCX_EXIT_OK;
    if (out_path) {
        FILE *f = fopen(out_path, "a");
        if (!f || fprintf(f, "%s\n", line) < 0 || fclose(f)) {
            fprintf(stderr, "ccx bench: error: cannot append to %s\n", out_path);
            rc = CCX_EXIT_FAILURE;
        }
    }
    if (save_path && rc == CCX_EXIT_OK) {
        ccx_nn_adamw hp = ccx_nn_adamw_default();
        const char *keys[] = {"written_by"}, *vals[] = {"ccx bench nn"};
        if (ccx_nn_adamw_step(nn, &hp, NULL, &err) || ccx_nn_save(nn, save_path, 1, keys, vals, &err)) {
            ccx_cli_print_error(&err);
            rc = CCX_EXIT_FAILURE;
        }
    }
done:
    ccx_nn_cuda_free_mem(d_features);
    ccx_nn_cuda_free_mem(d_adj);
    ccx_nn_cuda_free_mem(d_legal);
    ccx_nn_cuda_free_mem(d_dl);
    ccx_nn_cuda_free_mem(d_dv);
    free(features);
    free(dl);
    free(dv);
    free(adj);
    free(legal);
    ccx_nn_free(nn);
    return rc;
}
