/* The task language (docs/task_language.md): lexer, parser and
 * tracer turning a .ccx file into a ccx_graph. On any error the result is
 * NULL, nothing is leaked, and err holds file:line:column and a message. */
#ifndef CCX_LANG_TASK_H
#define CCX_LANG_TASK_H

#include <stddef.h>

#include "graph/graph.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits that keep any input (fuzzed or hostile) from exhausting the stack
 * or memory; exceeding one is an ordinary error. */
#define CCX_TASK_MAX_BYTES (8 << 20)
#define CCX_TASK_MAX_DEPTH 200      /* bracket / unary / ** nesting while parsing */
#define CCX_TASK_MAX_TREE 1000      /* height of one expression tree (a+a+...+a) */
#define CCX_TASK_MAX_EVAL_DEPTH 4000 /* expression levels across inlined calls */
#define CCX_TASK_MAX_CALL_DEPTH 64  /* nested def calls */
#define CCX_TASK_MAX_VERTICES 200000

/* filename is used in messages and to name the task (its stem). */
ccx_graph *ccx_task_parse(const char *text, size_t len, const char *filename,
                          ccx_error *err);
ccx_graph *ccx_task_load(const char *path, ccx_error *err);

/* Load a task file, or a graph file (a JSON object: io/graph_file.h). */
/* Resolve a task argument: an existing path, else NAME, NAME.ccx or
 * NAME.graph.json under $CCX_TASKS, ./configs/tasks, or the source tree's
 * configs/tasks. Writes the path into out; 0 on success. */
int ccx_task_resolve(const char *arg, char *out, size_t out_size, ccx_error *err);

#ifdef __cplusplus
}
#endif
#endif
