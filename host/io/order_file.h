/* Order files (docs/design.md "Files"): JSON
 *   {"task", "graph_sha256", "n_vertices", "order", "cost", "method",
 *    "baselines": {"forward", "reverse", "markowitz", "greedy"}, "cost_model"}
 * ("cost_model", "alphagrad" or "real", names the model cost and baselines
 * were priced under; a file without it was written before there was a
 * choice: AlphaGrad's).
 * ("greedy", the tensor-aware greedy, is optional on import: -1 when absent;
 * "markowitz" is AlphaGrad's minimal Markowitz, the classic one on scalar
 * graphs).
 * Import also accepts a bare comma-separated list ("3, 1, 2" or "[3,1,2]"),
 * the form graphax's jacve(order=...) takes. */
#ifndef CCX_IO_ORDER_FILE_H
#define CCX_IO_ORDER_FILE_H

#include <stdint.h>

#include "game/game.h"
#include "graph/graph.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char *task;            /* NULL when absent (bare list) */
    char graph_sha256[65]; /* "" when absent */
    int n_vertices;        /* -1 when absent */
    int32_t *order;
    int n_order;
    int64_t cost;          /* -1 when absent */
    char *method;          /* NULL when absent */
    int has_baselines;
    ccx_baselines baselines;
    int cost_model;        /* ccx_cost_model of cost and baselines; -1 when absent */
} ccx_order_file;

/* parse, read and make reset *out first (they do not free an earlier record:
 * call ccx_order_file_free on it yourself) and leave it empty on failure. */
void ccx_order_file_free(ccx_order_file *f);
/* Parse JSON object or bare list from text. 0 on success. */
int ccx_order_parse(const char *text, ccx_order_file *out, ccx_error *err);
/* Forget what a file says of its price (cost, baselines, model), keeping the
 * order, so that ccx_order_check prices it under another model. */
void ccx_order_forget_price(ccx_order_file *f);
/* Read from a path ("-" = stdin). Errors name the file. */
int ccx_order_read(const char *path, ccx_order_file *out, ccx_error *err);
/* Check an imported order against a graph: hash (when present) must match,
 * n_vertices (when present) must match, the order must be valid, a stated
 * cost must have been priced under the graph's cost model (g->cost_model;
 * a file without "cost_model" is AlphaGrad's) and equal the recomputed one.
 * Sets *cost. */
int ccx_order_check(const ccx_graph *g, const ccx_order_file *f, int64_t *cost,
                    ccx_error *err);
/* Fill a record for graph g (task name, hash, counts, baselines, cost
 * recomputed through the game under g->cost_model, the model). Copies order. */
int ccx_order_make(const ccx_graph *g, const int32_t *order, int n, const char *method,
                   ccx_order_file *out, ccx_error *err);
/* JSON text (malloc'd, caller frees). */
char *ccx_order_to_json(const ccx_order_file *f);
/* Write atomically: temp file, fsync, rename. "-" = stdout. */
int ccx_order_write(const char *path, const ccx_order_file *f, ccx_error *err);

#ifdef __cplusplus
}
#endif
#endif
