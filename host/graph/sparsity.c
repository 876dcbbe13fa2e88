/* Names of the sparsity types (graph/sparsity.h) for listings and DOT labels:
 * D = diagonal with values, K = Kronecker delta (structure only), over the
 * index pairs of the record (1 = o1, 2 = o2, 3 = p1, 4 = p2). */
#include "graph/sparsity.h"

const char *ccx_sparsity_name(int t) {
    static const char *const NAMES[CCX_SP_COUNT] = {
        "const_T", "D14K23", "D13K24", "transpose", "identity", "K23", "K14", "K24", "K13",
        "copy", "none", "dense", "D13", "D24", "D14", "D23", "D13D24", "D14D23", "K13D24",
        "K14D23", "const", "reshape"};
    if (t < CCX_SP_MIN || t > CCX_SP_MAX) return "?";
    return NAMES[t + CCX_SP_OFFSET];
}
