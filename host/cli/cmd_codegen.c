/* ccx codegen TASK --order ORDER [--lang c|cuda|jax] [--layout sparse|dense] [--name NAME]
 *             [-o FILE] */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "jac/codegen.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx codegen TASK --order ORDER [--lang c|cuda|jax] [--layout sparse|dense]\n"
            "                   [--name NAME] [-o FILE]\n\n"
            "Write straight-line code that computes TASK's outputs and Jacobian for a batch\n"
            "of points, accumulating the Jacobian by eliminating the intermediate vertices in\n"
            "ORDER. TASK is a paper task name, a task file (.ccx) or a graph file\n"
            "(.graph.json). C and CUDA fold compile-time constants as they write (a product\n"
            "with a +-1 partial is a copy or a negation), so the '*' between the BEGIN/END\n"
            "ACCUMULATION comments count the order's real-work cost (`ccx cost --cost\n"
            "real`); JAX writes one product per unit of AlphaGrad's model. The header\n"
            "comment names the task, graph_sha256, order, both costs and ccx version, and\n"
            "documents the ABI.\n\n"
            "ORDER is an order file (JSON or bare list), a LIST of vertex numbers, or\n"
            "forward | reverse | markowitz (as for `ccx cost`).\n\n"
            "  --lang c      void NAME_jacobian(long n, const double *x, double *y, double *J):\n"
            "                n points, structure of arrays: x[i*n+p], y[o*n+p], J[k*n+p]\n"
            "                (nonzero k: d y_NAME_jac_row[k] / d x_NAME_jac_col[k]) (default);\n"
            "                NAME_jacobian_ld(n, ld, ...) takes rows ld apart, and\n"
            "                NAME_padded_ld(n) gives an ld that no batch size makes collide\n"
            "                in the cache (a power-of-two n would)\n"
            "  --lang cuda   the same body as a __global__ kernel, one thread per point, and an\n"
            "                extern \"C\" launcher NAME_jacobian_cuda(n, x, y, J, stream)\n"
            "  --lang jax    a Python module: f(x) for jax.jacfwd/jacrev, and jacobian(x), the\n"
            "                same elimination in jnp (used by scripts/bench_jacobian_jax.py).\n"
            "                A tensor graph (vector and matrix vertices) takes --lang jax only,\n"
            "                and any graph file (.graph.json, e.g. g) gets the same module:\n"
            "                outputs(*inputs), and jacobian(*inputs) returning d output / d input\n"
            "                as jax.jacrev(outputs, argnums=all) nests them, for one point (vmap\n"
            "                it), each edge Jacobian kept structured (a diagonal as a vector, a\n"
            "                broadcast or reshape as nothing, a dot_general as its other\n"
            "                operand), one einsum per predecessor x successor pair of the order;\n"
            "                multiplications() counts their scalar multiplications, COST is\n"
            "                the model's figure\n"
            "  --layout L    c, cuda: J as its structural nonzeros (sparse, default) or all\n"
            "                n_outputs x n_inputs entries, J[(o*n_inputs+i)*n+p] (dense)\n"
            "  --name NAME   function prefix (a C identifier; default: the task name)\n"
            "  -o FILE       write to FILE (default: standard output)\n"
            "  -h, --help    this help\n");
}

static int valid_name(const char *s) {
    if (!*s || strlen(s) > 200 || !(isalpha((unsigned char)*s) || *s == '_')) return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_')) return 0;
    return 1;
}

/* A graph read from a graph file names every vertex's primitive: its JAX
 * code is the structured module even when every vertex is a scalar (g), so
 * that jacobian() takes and returns what jax.jacrev of the source does. */
static int from_graph_file(const ccx_graph *g) {
    for (int k = 0; k < g->n_vertices; k++)
        if (!g->vertices[k].prim) return 0;
    return g->n_vertices > 0;
}

/* A tensor graph: the structured JAX module (codegen_tensor.c), written
 * through a temporary file and a rename. */
static int tensor_codegen(const ccx_graph *g, const char *order_arg, ccx_codegen_lang lang,
                          const char *out_path) {
    if (lang != CCX_LANG_JAX)
        return ccx_cli_usage_error("codegen", "%s is a tensor graph: only --lang jax is written for "
                                              "tensor graphs so far", g->task_name);
    ccx_order_file of = {0};
    ccx_error err;
    int64_t cost = 0;
    if (ccx_cli_load_order_priced(g, order_arg, 1, &of, &cost, &err) || ccx_codegen_tensor_check(g, &err)) {
        ccx_cli_print_error(&err);
        ccx_order_file_free(&of);
        return CCX_EXIT_USAGE;
    }
    const char *method = of.method ? of.method : "imported";
    int rc = CCX_EXIT_OK;
    if (!out_path || strcmp(out_path, "-") == 0) {
        if (ccx_codegen_tensor_jax(g, of.order, of.n_order, method, stdout, &err)) {
            ccx_cli_print_error(&err);
            rc = CCX_EXIT_FAILURE;
        }
    } else {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp%ld", out_path, (long)getpid());
        FILE *f = fopen(tmp, "w");
        int wrc = f ? ccx_codegen_tensor_jax(g, of.order, of.n_order, method, f, &err)
                    : ccx_error_set(&err, "cannot write %s", out_path);
        if (f && fclose(f) && wrc == 0) wrc = ccx_error_set(&err, "write error on %s", out_path);
        if (wrc == 0 && rename(tmp, out_path)) wrc = ccx_error_set(&err, "cannot write %s", out_path);
        if (wrc) {
            remove(tmp);
            ccx_cli_print_error(&err);
            rc = CCX_EXIT_FAILURE;
        } else {
            fprintf(stderr, "ccx codegen: wrote %s (jax, structured module, order %s, model cost %lld)\n",
                    out_path, method, (long long)cost);
        }
    }
    ccx_order_file_free(&of);
    return rc;
}

int ccx_cmd_codegen(int argc, char **argv) {
    static const struct option opts[] = {
        {"order", required_argument, 0, 'r'}, {"lang", required_argument, 0, 'l'},
        {"name", required_argument, 0, 'n'}, {"output", required_argument, 0, 'o'},
        {"layout", required_argument, 0, 'L'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *order_arg = NULL, *out_path = NULL, *name = NULL;
    ccx_codegen_lang lang = CCX_LANG_C;
    ccx_codegen_layout layout = CCX_LAYOUT_SPARSE;
    int layout_set = 0;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1;) {
        switch (c) {
        case 'r': order_arg = optarg; break;
        case 'l':
            if (ccx_codegen_lang_parse(optarg, &lang))
                return ccx_cli_usage_error("codegen", "--lang must be c, cuda or jax, got '%s'", optarg);
            break;
        case 'n':
            name = optarg;
            if (!valid_name(name))
                return ccx_cli_usage_error("codegen", "--name '%s' is not a C identifier", name);
            break;
        case 'L':
            if (ccx_codegen_layout_parse(optarg, &layout))
                return ccx_cli_usage_error("codegen", "--layout must be sparse or dense, got '%s'",
                                           optarg);
            layout_set = 1;
            break;
        case 'o': out_path = optarg; break;
        case 'h': usage(stdout); return CCX_EXIT_OK;
        default:
            return ccx_cli_option_error("codegen", c, argv, "ho:");
        }
    }
    if (optind != argc - 1)
        return ccx_cli_usage_error("codegen", "expected exactly one TASK, got %d", argc - optind);
    if (!order_arg) return ccx_cli_usage_error("codegen", "--order is required");
    if (layout_set && lang == CCX_LANG_JAX)
        return ccx_cli_usage_error("codegen", "--layout is for --lang c and cuda (JAX returns J "
                                              "dense)");
    ccx_graph *g = ccx_cli_load_task(argv[optind]);
    if (!g) return CCX_EXIT_USAGE;
    if (g->tensor || (lang == CCX_LANG_JAX && from_graph_file(g))) {
        int trc = tensor_codegen(g, order_arg, lang, out_path);
        ccx_graph_free(g);
        return trc;
    }
    ccx_error lerr;
    if (ccx_graph_require_evaluable(g, "ccx codegen", &lerr)) {
        ccx_cli_print_error(&lerr);
        ccx_graph_free(g);
        return CCX_EXIT_USAGE;
    }

    ccx_order_file of = {0};
    ccx_jac_plan plan = {0};
    ccx_error err;
    int64_t cost = 0;
    int rc = CCX_EXIT_OK;
    if (ccx_cli_load_order_priced(g, order_arg, 1, &of, &cost, &err) ||
        ccx_jac_plan_build(g, of.order, of.n_order, &plan, &err)) {
        ccx_cli_print_error(&err);
        rc = CCX_EXIT_USAGE;
        goto done;
    }
    ccx_codegen_opts o = {.lang = lang, .name = name, .method = of.method ? of.method : "imported",
                          .layout = layout};
    ccx_codegen_stats st;
    if (!out_path || strcmp(out_path, "-") == 0) {
        if (ccx_codegen_write(&plan, &o, stdout, &st, &err)) {
            ccx_cli_print_error(&err);
            rc = CCX_EXIT_FAILURE;
        }
        goto done;
    }
    /* write to a temporary beside the target, then rename */
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", out_path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "ccx codegen: error: cannot write %s\n", out_path);
        rc = CCX_EXIT_FAILURE;
        goto done;
    }
    int wrc = ccx_codegen_write(&plan, &o, f, &st, &err);
    if (fclose(f) && wrc == 0) wrc = ccx_error_set(&err, "write error on %s", out_path);
    if (wrc == 0 && rename(tmp, out_path)) wrc = ccx_error_set(&err, "cannot write %s", out_path);
    if (wrc) {
        remove(tmp);
        rc = CCX_EXIT_FAILURE;
        ccx_cli_print_error(&err);
        goto done;
    }
    if (lang == CCX_LANG_JAX)
        fprintf(stderr, "ccx codegen: wrote %s (%s, order %s, %lld accumulation multiplications%s)\n",
                out_path, ccx_codegen_lang_name(lang), o.method, (long long)st.acc_mults,
                st.back_mults ? ", plus back-substitution" : "");
    else
        fprintf(stderr, "ccx codegen: wrote %s (%s, order %s, %lld accumulation multiplications, "
                        "constants folded; AlphaGrad's model prices it %lld%s)\n",
                out_path, ccx_codegen_lang_name(lang), o.method, (long long)st.acc_mults,
                (long long)st.acc_products, st.back_mults ? "; plus back-substitution" : "");
done:
    ccx_jac_plan_free(&plan);
    ccx_order_file_free(&of);
    ccx_graph_free(g);
    return rc;
}
