/* ccx jacobian TASK --order ORDER [--at X1,X2,...] [--json]
 * The Jacobian interpreter (jac/jacobian.h) on the command line. */
#include <float.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "jac/jacobian.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: ccx jacobian TASK --order ORDER [--at X1,X2,...] [--json]\n\n"
            CCX_CLI_TASK_HELP
            "Evaluate TASK and its local partials at a point, eliminate the intermediate\n"
            "vertices in ORDER on the numbers (c_sp += c_sj * c_jp), and print the\n"
            "Jacobian (outputs x inputs), the multiplications performed (equal to the\n"
            "order's cost) and the largest difference from a forward-mode dual-number\n"
            "reference.\n\n"
            "ORDER is an order file (JSON or bare list), a LIST of vertex numbers, or\n"
            "forward | reverse | markowitz (as for `ccx cost`).\n\n"
            "  --at X1,X2,...  the point: one finite number per input, in declaration order.\n"
            "                  Default: the first point of a fixed pseudo-random sequence\n"
            "                  (seed %d), uniform in [%g, %g] per input, at which every value\n"
            "                  and partial is finite; it is printed.\n"
            "  --json          print the result as JSON\n"
            "  -h, --help      this help\n\n"
            "A point outside the function's domain (sqrt of a negative number, log of 0,\n"
            "division by zero, an infinite derivative, overflow) is an error that names the\n"
            "vertex, its op and operands and the task-file line (exit 2).\n"
            "Differences from the dual-number reference are shown entrywise (|a-r|/max(|a|,|r|))\n"
            "and relative to the path-sum scale (the Jacobian with every partial replaced by\n"
            "its absolute value), which bounds rounding differences between orders.\n"
            "When an output feeds another output, the Jacobian row of the latter also gets\n"
            "the former's row (back-substitution after the elimination); those\n"
            "multiplications are reported separately, they are not part of the order's cost.\n",
            CCX_JAC_DEFAULT_SEED, CCX_JAC_DEFAULT_LO, CCX_JAC_DEFAULT_HI);
}

/* "1,2.5,-3" -> x[n]; exactly n finite numbers. */
static int parse_point(const char *s, const ccx_graph *g, double *x) {
    char *copy = strdup(s);
    if (!copy) return ccx_cli_usage_error("jacobian", "out of memory");
    int n = 0, rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        char *end = tok + strlen(tok);
        while (end > tok && end[-1] == ' ') *--end = '\0';
        if (n >= g->n_inputs) { n++; continue; }
        if (ccx_cli_parse_double(tok, -DBL_MAX, DBL_MAX, &x[n])) {
            rc = ccx_cli_usage_error("jacobian", "--at: value %d ('%s', input %s) is not a finite "
                                                 "number", n + 1, tok, g->input_names[n]);
            break;
        }
        n++;
    }
    free(copy);
    if (rc == 0 && n != g->n_inputs)
        rc = ccx_cli_usage_error("jacobian", "--at has %d values but %s has %d inputs", n,
                                 g->task_name, g->n_inputs);
    return rc;
}

static void json_str(const char *s) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
        else putchar(*s);
    }
    putchar('"');
}

static void json_doubles(const double *v, int n) {
    putchar('[');
    for (int i = 0; i < n; i++) printf("%s%.17g", i ? ", " : "", v[i]);
    putchar(']');
}

int ccx_cmd_jacobian(int argc, char **argv) {
    static const struct option opts[] = {
        {"order", required_argument, 0, 'r'}, {"at", required_argument, 0, 'a'},
        {"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *order_arg = NULL, *at = NULL;
    int json = 0;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
        switch (c) {
        case 'r': order_arg = optarg; break;
        case 'a': at = optarg; break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); return CCX_EXIT_OK;
        default:
            return ccx_cli_option_error("jacobian", c, argv, "h");
        }
    }
    if (optind != argc - 1)
        return ccx_cli_usage_error("jacobian", "expected exactly one TASK, got %d", argc - optind);
    if (!order_arg) return ccx_cli_usage_error("jacobian", "--order is required");
    ccx_graph *g = ccx_cli_load_evaluable_task(argv[optind], "ccx jacobian");
    if (!g) return CCX_EXIT_USAGE;

    int n_in = g->n_inputs, n_out = g->n_outputs, rc = CCX_EXIT_OK, tries = 0;
    size_t nj = (size_t)n_in * n_out;
    double *x = malloc((size_t)n_in * sizeof(double));
    double *y = malloc((size_t)n_out * sizeof(double)), *yd = malloc((size_t)n_out * sizeof(double));
    double *J = malloc(nj * sizeof(double)), *Jd = malloc(nj * sizeof(double));
    double *S = malloc(nj * sizeof(double));
    ccx_order_file of = {0};
    ccx_jac_plan plan = {0};
    ccx_jac_counts counts = {0, 0};
    ccx_error err;
    int64_t cost = 0;
    if (!x || !y || !yd || !J || !Jd || !S) {
        fprintf(stderr, "ccx jacobian: error: out of memory\n");
        rc = CCX_EXIT_FAILURE;
        goto done;
    }
    if (at) {
        if ((rc = parse_point(at, g, x))) goto done;
    } else if (ccx_jac_find_point(g, CCX_JAC_DEFAULT_SEED, CCX_JAC_DEFAULT_LO, CCX_JAC_DEFAULT_HI,
                                  CCX_JAC_DEFAULT_TRIES, x, &tries, &err)) {
        ccx_cli_print_error(&err);
        rc = CCX_EXIT_USAGE;
        goto done;
    }
    if (ccx_cli_load_order(g, order_arg, &of, &cost, &err) ||
        ccx_jac_plan_build(g, of.order, of.n_order, &plan, &err) ||
        ccx_jac_eval(&plan, x, y, J, &counts, &err) || ccx_jac_dual(g, x, yd, Jd, &err) ||
        ccx_jac_abs_scale(g, x, S, &err)) {
        ccx_cli_print_error(&err);
        rc = CCX_EXIT_USAGE;
        goto done;
    }
    double max_abs, max_rel, max_scaled, y_abs;
    ccx_jac_compare(J, Jd, NULL, nj, &max_abs, &max_rel);
    ccx_jac_compare(J, Jd, S, nj, NULL, &max_scaled);
    ccx_jac_compare(y, yd, NULL, (size_t)n_out, &y_abs, NULL);
    const char *method = of.method ? of.method : "imported";
    if (json) {
        char hex[65];
        ccx_graph_sha256(g, hex);
        printf("{\"task\": ");
        json_str(g->task_name);
        printf(", \"graph_sha256\": \"%s\", \"method\": ", hex);
        json_str(method);
        printf(", \"cost\": %lld, \"multiplications\": %lld, \"back_substitution_multiplications\": %lld,\n",
               (long long)cost, (long long)counts.mults, (long long)counts.back_mults);
        printf(" \"inputs\": [");
        for (int i = 0; i < n_in; i++) { printf("%s", i ? ", " : ""); json_str(g->input_names[i]); }
        printf("],\n \"outputs\": [");
        for (int o = 0; o < n_out; o++) { printf("%s", o ? ", " : ""); json_str(g->output_names[o]); }
        printf("],\n \"point\": ");
        json_doubles(x, n_in);
        printf(", \"default_point\": %s,\n \"values\": ", at ? "false" : "true");
        json_doubles(y, n_out);
        printf(",\n \"jacobian\": [");
        for (int o = 0; o < n_out; o++) {
            printf("%s\n  ", o ? "," : "");
            json_doubles(J + (size_t)o * n_in, n_in);
        }
        printf("],\n \"dual_max_abs_diff\": %.3g, \"dual_max_rel_diff\": %.3g, "
               "\"dual_max_scaled_diff\": %.3g}\n", max_abs, max_rel, max_scaled);
    } else {
        printf("task             %s\n", g->task_name);
        printf("order            %s (%d eliminations)\n", method, plan.n_order);
        printf("point           ");
        for (int i = 0; i < n_in; i++) printf(" %s=%.17g", g->input_names[i], x[i]);
        if (!at)
            printf("\n                 (default: draw %d of seed %d, uniform in [%g, %g])", tries,
                   CCX_JAC_DEFAULT_SEED, CCX_JAC_DEFAULT_LO, CCX_JAC_DEFAULT_HI);
        printf("\nmultiplications  %lld performed (order cost %lld)", (long long)counts.mults,
               (long long)cost);
        if (counts.back_mults)
            printf(" + %lld back-substitution (output -> output edges)", (long long)counts.back_mults);
        printf("\ndual reference   max abs diff %.3g, max rel diff %.3g, max diff / path-sum "
               "scale %.3g\n\n", max_abs, max_rel, max_scaled);
        int w = 8;
        for (int o = 0; o < n_out; o++)
            if ((int)strlen(g->output_names[o]) > w) w = (int)strlen(g->output_names[o]);
        printf("%-*s %24s", w, "d out/d in", "value");
        for (int i = 0; i < n_in; i++) printf(" %24s", g->input_names[i]);
        printf("\n");
        for (int o = 0; o < n_out; o++) {
            printf("%-*s %24.17g", w, g->output_names[o], y[o]);
            for (int i = 0; i < n_in; i++) printf(" %24.17g", J[(size_t)o * n_in + i]);
            printf("\n");
        }
    }
    if (counts.mults != cost) { /* ccx_jac_eval already fails on this; belt and braces */
        fprintf(stderr, "ccx jacobian: error: %lld multiplications performed, order costs %lld\n",
                (long long)counts.mults, (long long)cost);
        rc = CCX_EXIT_FAILURE;
    }
done:
    ccx_jac_plan_free(&plan);
    ccx_order_file_free(&of);
    free(x); free(y); free(yd); free(J); free(Jd); free(S);
    ccx_graph_free(g);
    return rc;
}
