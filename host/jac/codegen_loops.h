/* The body of the scalar C code as loops over a block of points.
 *
 * GCC vectorises a loop over points only when its body calls nothing that
 * stays scalar; under plain -O3 sqrt does (errno), though a vector sqrt
 * exists. So the straight-line body is cut at its sqrt calls: each run of
 * other statements is one loop over the block (it vectorises),
 * each run of sqrt calls another (scalar, and short). A body that calls
 * sin, cos, exp, ... stays one loop: it is scalar either way, and cutting
 * would part sin from cos, which GCC fuses into sincos within a loop.
 * A value used outside the loop that computes it lives in a block array
 * NAME[B], read and written as NAME[q]; the others stay scalars inside their
 * loop. Statements keep their order and their text, so the code computes
 * exactly what the single loop did and the '*' in it are unchanged. */
#ifndef CCX_JAC_CODEGEN_LOOPS_H
#define CCX_JAC_CODEGEN_LOOPS_H

#include <stdio.h>

#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* body: the statements, one per line ("[const ]double NAME = EXPR;",
 * "NAME += EXPR;", "NAME -= EXPR;", "ARRAY[..][q] = EXPR;" or a "//"
 * comment), over q in [0, m) of a block of `block` points; it is modified
 * (split into lines). Writes the declarations and the loops, each line
 * prefixed by ind. 0, or -1 with err (out of memory, a write error). Bodies
 * whose block arrays would pass 1 MiB are written as one loop. */
int ccx_codegen_write_block_loops(FILE *out, char *body, int block, const char *ind,
                                  ccx_error *err);

#ifdef __cplusplus
}
#endif
#endif
