/* `ccx gen`: write a random task file (host/lang/gen.h), or with --tensor a
 * random tensor program as a graph file (host/lang/tensor_gen.h). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "io/graph_file.h"
#include "lang/gen.h"
#include "lang/tensor_gen.h"
#include "util/file.h"

static const char USAGE[] =
    "usage: ccx gen [--inputs N] [--intermediates N] [--outputs N] [--ops SPEC]\n"
    "               [--seed S] [-o FILE]\n"
    "       ccx gen --tensor [--inputs N] [--intermediates N] [--outputs N]\n"
    "               [--max-dim D] [--seed S] [-o FILE.graph.json]\n"
    "\n"
    "Write a random task (task-language text) with N inputs, N intermediate\n"
    "vertices and N output vertices (the last ones). Every line creates exactly\n"
    "one vertex; every intermediate has at least one successor. The same\n"
    "options give the same text on every platform.\n"
    "\n"
    "  --inputs N          number of inputs, 1..100000 (default 4)\n"
    "  --intermediates N   number of intermediate vertices, 0..100000 (default 20)\n"
    "  --outputs N         number of output vertices, 1..100000 (default 2)\n"
    "  --ops SPEC          op mix, name[:weight] separated by commas, e.g.\n"
    "                      \"add,mul:2,sin\" (names as in the task language;\n"
    "                      weight default 1). Default mix: add:4,sub:2,mul:4,\n"
    "                      div:1,sin:1,cos:1,exp:0.5,tanh:1,logistic:0.5,\n"
    "                      integer_pow:1\n"
    "  --seed S            random seed, 0..18446744073709551615 (default 0)\n"
    "  --tensor            write a random tensor program instead: a graph file (JSON)\n"
    "                      of scalar, vector and matrix values whose records use the\n"
    "                      sparsity types of the paper's tensor tasks (elementwise ops\n"
    "                      with broadcasting, dot_general, reductions, transpose,\n"
    "                      broadcast_in_dim, reshape, slice, concatenate, converts);\n"
    "                      --ops does not apply (default 3 inputs)\n"
    "  --max-dim D         tensor programs: dims are drawn from 2..D (default 4, <= 1024)\n"
    "  -o, --output FILE   write to FILE (atomically) instead of stdout\n"
    "  -h, --help          show this help\n";

/* Whole decimal unsigned 64-bit integer; 0 on success. */
static int parse_u64(const char *s, uint64_t *out) {
    if (!s || !*s) return -1;
    uint64_t v = 0;
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '9') return -1;
        unsigned d = (unsigned)(*c - '0');
        if (v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int ccx_cmd_gen(int argc, char **argv) {
    const char *cmd = "gen";
    ccx_gen_params params;
    ccx_gen_defaults(&params);
    ccx_tensor_gen_params tparams;
    ccx_tensor_gen_defaults(&tparams);
    int tensor = 0, inputs_given = 0, ops_given = 0;
    const char *out_path = NULL;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (ccx_cli_is_help(arg)) {
            fputs(USAGE, stdout);
            return CCX_EXIT_OK;
        }
        /* --flag=value or --flag value */
        char flag[32];
        const char *value = NULL;
        const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
        if (eq) {
            size_t n = (size_t)(eq - arg);
            if (n >= sizeof flag) return ccx_cli_usage_error(cmd, "unknown option '%s'", arg);
            memcpy(flag, arg, n);
            flag[n] = '\0';
            value = eq + 1;
        } else {
            if (strlen(arg) >= sizeof flag)
                return ccx_cli_usage_error(cmd, "unknown option '%s'", arg);
            strcpy(flag, arg);
        }
        if (!strcmp(flag, "--tensor")) {
            if (eq) return ccx_cli_usage_error(cmd, "--tensor takes no value");
            tensor = 1;
            continue;
        }
        int known = !strcmp(flag, "--max-dim") || !strcmp(flag, "--inputs") || !strcmp(flag, "--intermediates") ||
                    !strcmp(flag, "--outputs") || !strcmp(flag, "--ops") ||
                    !strcmp(flag, "--seed") || !strcmp(flag, "-o") || !strcmp(flag, "--output");
        if (!known) {
            if (arg[0] == '-') return ccx_cli_usage_error(cmd, "unknown option '%s'", arg);
            return ccx_cli_usage_error(cmd, "unexpected argument '%s'", arg);
        }
        if (!value) {
            if (i + 1 >= argc) return ccx_cli_usage_error(cmd, "%s needs a value", flag);
            value = argv[++i];
        }

        long v;
        if (!strcmp(flag, "--inputs")) {
            if (ccx_cli_parse_long(value, 1, 100000, &v) != 0)
                return ccx_cli_usage_error(cmd, "--inputs must be an integer in 1..100000 (got '%s')", value);
            params.n_inputs = (int)v;
            inputs_given = 1;
        } else if (!strcmp(flag, "--intermediates")) {
            if (ccx_cli_parse_long(value, 0, 100000, &v) != 0)
                return ccx_cli_usage_error(cmd, "--intermediates must be an integer in 0..100000 (got '%s')", value);
            params.n_intermediates = (int)v;
        } else if (!strcmp(flag, "--outputs")) {
            if (ccx_cli_parse_long(value, 1, 100000, &v) != 0)
                return ccx_cli_usage_error(cmd, "--outputs must be an integer in 1..100000 (got '%s')", value);
            params.n_outputs = (int)v;
        } else if (!strcmp(flag, "--ops")) {
            ccx_error err;
            ccx_error_clear(&err);
            if (ccx_gen_parse_ops(value, &params, &err) != 0)
                return ccx_cli_usage_error(cmd, "--ops: %s", err.msg);
            ops_given = 1;
        } else if (!strcmp(flag, "--max-dim")) {
            if (ccx_cli_parse_long(value, 2, 1024, &v) != 0)
                return ccx_cli_usage_error(cmd, "--max-dim must be an integer in 2..1024 (got '%s')", value);
            tparams.max_dim = (int)v;
        } else if (!strcmp(flag, "--seed")) {
            uint64_t s;
            if (parse_u64(value, &s) != 0)
                return ccx_cli_usage_error(cmd, "--seed must be an integer in 0..18446744073709551615 (got '%s')", value);
            params.seed = s;
        } else { /* -o / --output */
            if (!*value) return ccx_cli_usage_error(cmd, "%s needs a file name", flag);
            out_path = value;
        }
    }

    ccx_error err;
    ccx_error_clear(&err);
    if (tensor) {
        if (ops_given) return ccx_cli_usage_error(cmd, "--ops does not apply to --tensor programs");
        if (inputs_given) tparams.n_inputs = params.n_inputs;
        tparams.n_intermediates = params.n_intermediates;
        tparams.n_outputs = params.n_outputs;
        tparams.seed = params.seed;
        ccx_graph *g = ccx_tensor_gen(&tparams, &err);
        if (!g || ccx_graph_file_write(out_path ? out_path : "-", g, &err)) {
            ccx_cli_print_error(&err);
            ccx_graph_free(g);
            return CCX_EXIT_FAILURE;
        }
        ccx_graph_free(g);
        return CCX_EXIT_OK;
    }
    char *text = ccx_gen_task(&params, &err);
    if (!text) {
        ccx_cli_print_error(&err);
        return CCX_EXIT_FAILURE;
    }
    int rc = CCX_EXIT_OK;
    if (ccx_write_file_atomic(out_path ? out_path : "-", text, strlen(text), &err)) {
        ccx_cli_print_error(&err);
        rc = CCX_EXIT_FAILURE;
    }
    free(text);
    return rc;
}
