/* libFuzzer target for the task language: any byte string must either parse
 * into a graph or fail with an error — never crash, hang, leak or hit UB.
 * Built only with -DCCX_FUZZ=ON (clang); see scripts/test.sh. */
#include <stddef.h>
#include <stdint.h>

#include "graph/graph.h"
#include "lang/task.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ccx_error err;
    ccx_error_clear(&err);
    /* data is not NUL-terminated: the parser must honour len. */
    ccx_graph *g = ccx_task_parse((const char *)data, size, "fuzz.ccx", &err);
    if (g) {
        char hex[65];
        ccx_graph_sha256(g, hex);
        ccx_graph_free(g);
    }
    return 0;
}
