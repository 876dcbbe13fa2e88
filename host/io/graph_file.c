/* Graph files (graph_file.h): the ccx graph format (read and write) and
 * AlphaGrad's raw graph tensor (read). Everything is checked with a JSON path
 * in the message before a graph is built; the builder's own checks (records
 * against shapes, duplicates, cycles) report the edge's index, which is
 * mapped back to its entry. */
#include "io/graph_file.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/sparsity.h"
#include "io/json_util.h"
#include "util/file.h"

#define MAX_VERTICES 200000
#define MAX_OPERANDS 4096

typedef struct {
    const char *path;
    ccx_error *err;
} ctx;

static int fail(const ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(const ctx *c, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ccx_error_set_at(c->err, c->path, 0, 0, "%s", msg);
}

int ccx_graph_file_is_json(const char *text, size_t len) {
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') continue;
        return ch == '{';
    }
    return 0;
}

/* Task name: the file's stem less .graph.json / .json. */
static void stem_of(const char *path, char *out, size_t size) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(out, size, "%s", base);
    size_t n = strlen(out);
    static const char *const EXT[] = {".graph.json", ".json"};
    for (int i = 0; i < 2; i++) {
        size_t e = strlen(EXT[i]);
        if (n > e && strcmp(out + n - e, EXT[i]) == 0) { out[n - e] = '\0'; break; }
    }
}

/* A node reference: "x<i>" or "in<i>" (input i), "v<k>" (vertex k); node id
 * or -1 if malformed or out of range (n_vertices: how many exist). */
static int32_t parse_node(const char *s, int n_inputs, int n_vertices) {
    const char *num;
    int input;
    if (s[0] == 'x') { num = s + 1; input = 1; }
    else if (s[0] == 'i' && s[1] == 'n') { num = s + 2; input = 1; }
    else if (s[0] == 'v') { num = s + 1; input = 0; }
    else return -1;
    if (!*num || strspn(num, "0123456789") != strlen(num) || strlen(num) > 9) return -1;
    long k = strtol(num, NULL, 10);
    if (input) return k >= 1 && k <= n_inputs ? (int32_t)(k - 1) : -1;
    return k >= 1 && k <= n_vertices ? (int32_t)(n_inputs + k - 1) : -1;
}

/* A shape: JSON array of 0..2 dims in 1..CCX_SHAPE_MAX_ELEMENTS. */
static int parse_shape(const ctx *c, const cJSON *j, const char *where, ccx_shape *out) {
    if (!cJSON_IsArray(j))
        return fail(c, "%s: a shape must be an array of dims like [4, 4], not %s", where, ccx_json_type_name(j));
    int rank = cJSON_GetArraySize(j);
    if (rank > 2)
        return fail(c, "%s: rank-%d arrays are not supported (records hold two dims; "
                       "docs/tensor_model.md section 1)", where, rank);
    out->rank = (int8_t)rank;
    out->dims[0] = out->dims[1] = 1;
    for (int i = 0; i < rank; i++) {
        int64_t d;
        if (ccx_json_int(cJSON_GetArrayItem(j, i), 1, CCX_SHAPE_MAX_ELEMENTS, &d))
            return fail(c, "%s[%d]: a dim must be an integer in 1..%d", where, i, CCX_SHAPE_MAX_ELEMENTS);
        out->dims[i] = (int32_t)d;
    }
    if (ccx_shape_elements(out) > CCX_SHAPE_MAX_ELEMENTS)
        return fail(c, "%s: %lld elements; a value may have at most %d", where,
                    (long long)ccx_shape_elements(out), CCX_SHAPE_MAX_ELEMENTS);
    return 0;
}

/* JAX's floating-point dtypes: inputs that carry derivatives. */
static int is_float_dtype(const char *d) {
    static const char *const F[] = {"float16", "bfloat16", "float32", "float64"};
    for (size_t i = 0; i < sizeof F / sizeof F[0]; i++)
        if (strcmp(d, F[i]) == 0) return 1;
    return 0;
}

/* An operand: a node label, a number (literal) or "lit:<number>". */
static int parse_operand(const ctx *c, const cJSON *j, const char *where, int n_inputs,
                         int n_before, ccx_operand *out) {
    if (cJSON_IsNumber(j)) { *out = (ccx_operand){CCX_OPERAND_LITERAL, j->valuedouble}; return 0; }
    if (!cJSON_IsString(j))
        return fail(c, "%s: an operand is \"x<i>\", \"v<k>\", a number or \"const\", not %s", where,
                    ccx_json_type_name(j));
    const char *s = j->valuestring;
    if (strcmp(s, "const") == 0) { /* a constant array whose values the file leaves out */
        *out = (ccx_operand){CCX_OPERAND_ARRAY_CONST, NAN};
        return 0;
    }
    if (strncmp(s, "lit:", 4) == 0) {
        char *end;
        double v = strtod(s + 4, &end);
        if (end == s + 4 || *end) return fail(c, "%s: bad literal \"%s\"", where, s);
        *out = (ccx_operand){CCX_OPERAND_LITERAL, v};
        return 0;
    }
    int32_t node = parse_node(s, n_inputs, n_before);
    if (node < 0)
        return fail(c, "%s: \"%s\" is not an input x1..x%d or an earlier vertex v1..v%d", where, s,
                    n_inputs, n_before);
    *out = (ccx_operand){node, 0.0};
    return 0;
}

/* integer_pow's exponent from params.y (a number or a numeric string). */
static int params_y(const cJSON *params, double *y) {
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(params, "y");
    if (cJSON_IsNumber(j)) { *y = j->valuedouble; return 0; }
    if (cJSON_IsString(j)) {
        char *end;
        *y = strtod(j->valuestring, &end);
        return end != j->valuestring && !*end ? 0 : -1;
    }
    return -1;
}

/* Declare a file vertex to the builder; map it to a scalar ccx op when it is
 * one (then the graph may be evaluable). */
static int add_vertex(const ctx *c, ccx_graph_builder *b, const char *where, const char *prim,
                      const ccx_shape *shape, int n_ops, const ccx_operand *ops,
                      const cJSON *params, const char *source, const char *name) {
    char *ptext = params ? cJSON_PrintUnformatted(params) : NULL;
    int32_t id = ccx_graph_builder_prim_vertex(b, prim, shape, n_ops, ops, ptext, source);
    free(ptext);
    if (id < 0) return fail(c, "%s: out of memory", where);
    if (name) ccx_graph_builder_name(b, id, name);
    ccx_op op;
    double param = 0;
    if (ccx_shape_elements(shape) == 1 && ccx_op_from_name(prim, &op) == 0 &&
        (op != CCX_OP_INTEGER_POW || (params && params_y(params, &param) == 0 &&
                                      param == floor(param) && fabs(param) < 1e9)))
        ccx_graph_builder_set_op(b, id, op, param); /* a misfit just stays not evaluable */
    return 0;
}

/* Finish the builder; an edge error is prefixed with the path of its entry. */
static ccx_graph *finish(const ctx *c, ccx_graph_builder *b, const char *task,
                         const char *const *edge_paths) {
    int bad = -1;
    ccx_error inner;
    ccx_error_clear(&inner);
    ccx_graph *g = ccx_graph_builder_finish_at(b, task, c->path, &bad, &inner);
    if (!g) {
        if (bad >= 0 && edge_paths) fail(c, "%s: %s", edge_paths[bad], inner.msg);
        else fail(c, "%s", inner.msg);
    }
    return g;
}

/* Give g its origin text; on out of memory free g and return NULL. */
static ccx_graph *with_origin(const ctx *c, ccx_graph *g, const char *text) {
    if (g && text && !(g->origin = strdup(text))) {
        ccx_graph_free(g);
        fail(c, "out of memory");
        return NULL;
    }
    return g;
}

/* ------------------------------------------------------------------ */
/* the ccx graph format                                                */

static ccx_graph *parse_ccx(const ctx *c, const cJSON *root) {
    char where[160], stem[256];
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    int64_t version;
    if (ccx_json_int(ver, 1, 1000000, &version) || version != 1) {
        fail(c, "$.version: this ccx reads version 1 of the ccx graph format (got %s)",
             ver ? (cJSON_IsNumber(ver) ? "another number" : ccx_json_type_name(ver)) : "no version");
        return NULL;
    }
    const cJSON *origin = cJSON_GetObjectItemCaseSensitive(root, "origin");
    if (origin && !cJSON_IsString(origin)) { fail(c, "$.origin: must be a string"); return NULL; }
    static const char *const KEYS[] = {"format", "version", "task", "origin", "inputs",
                                       "vertices", "outputs", "edges"};
    for (const cJSON *it = root->child; it; it = it->next) {
        int known = 0;
        for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++) known |= strcmp(it->string, KEYS[i]) == 0;
        if (!known) { fail(c, "$.%s: unknown key (keys: format, version, task, origin, inputs, "
                              "vertices, outputs, edges)", it->string); return NULL; }
    }
    const cJSON *task = cJSON_GetObjectItemCaseSensitive(root, "task");
    if (task && !cJSON_IsString(task)) { fail(c, "$.task: must be a string, not %s", ccx_json_type_name(task)); return NULL; }
    stem_of(c->path, stem, sizeof stem);
    const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(root, "inputs");
    const cJSON *vertices = cJSON_GetObjectItemCaseSensitive(root, "vertices");
    const cJSON *outputs = cJSON_GetObjectItemCaseSensitive(root, "outputs");
    const cJSON *edges = cJSON_GetObjectItemCaseSensitive(root, "edges");
    const char *need[4] = {"inputs", "vertices", "outputs", "edges"};
    const cJSON *have[4] = {inputs, vertices, outputs, edges};
    for (int i = 0; i < 4; i++)
        if (!cJSON_IsArray(have[i])) {
            fail(c, "$.%s: required, an array (got %s)", need[i], ccx_json_type_name(have[i]));
            return NULL;
        }
    int n_in = cJSON_GetArraySize(inputs), n_v = cJSON_GetArraySize(vertices);
    int n_e = cJSON_GetArraySize(edges);
    if (n_v > MAX_VERTICES) { fail(c, "$.vertices: %d vertices; at most %d", n_v, MAX_VERTICES); return NULL; }
    ccx_graph_builder *b = ccx_graph_builder_new();
    ccx_operand *ops = malloc(MAX_OPERANDS * sizeof(ccx_operand));
    char **edge_paths = NULL;
    ccx_graph *g = NULL;
    if (!b || !ops) { fail(c, "out of memory"); goto done; }
    int i = 0;
    for (const cJSON *in = inputs->child; in; in = in->next, i++) {
        snprintf(where, sizeof where, "$.inputs[%d]", i);
        if (!cJSON_IsObject(in)) { fail(c, "%s: an input is {\"name\": ..., \"shape\": [...]}", where); goto done; }
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(in, "name");
        const cJSON *shape = cJSON_GetObjectItemCaseSensitive(in, "shape");
        const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(in, "dtype");
        if (name && !cJSON_IsString(name)) { fail(c, "%s.name: must be a string", where); goto done; }
        if (dtype && (!cJSON_IsString(dtype) || !dtype->valuestring[0])) {
            fail(c, "%s.dtype: must be a dtype name such as \"float32\" or \"int32\"", where);
            goto done;
        }
        ccx_shape s = {0, {1, 1}};
        snprintf(where, sizeof where, "$.inputs[%d].shape", i);
        if (shape && parse_shape(c, shape, where, &s)) goto done;
        char dflt[32];
        snprintf(dflt, sizeof dflt, "x%d", i + 1);
        int32_t id = ccx_graph_builder_input_shaped(b, name ? name->valuestring : dflt, &s);
        if (id < 0 || (dtype && !is_float_dtype(dtype->valuestring) &&
                       ccx_graph_builder_input_dtype(b, id, dtype->valuestring))) {
            fail(c, "out of memory");
            goto done;
        }
    }
    i = 0;
    for (const cJSON *v = vertices->child; v; v = v->next, i++) {
        snprintf(where, sizeof where, "$.vertices[%d]", i);
        if (!cJSON_IsObject(v)) { fail(c, "%s: a vertex is an object with prim, shape, operands", where); goto done; }
        const cJSON *num = cJSON_GetObjectItemCaseSensitive(v, "v");
        int64_t k;
        if (num && (ccx_json_int(num, 1, MAX_VERTICES, &k) || k != i + 1)) {
            fail(c, "%s.v: vertex numbers follow the list: this is v%d", where, i + 1);
            goto done;
        }
        const cJSON *prim = cJSON_GetObjectItemCaseSensitive(v, "prim");
        const cJSON *shape = cJSON_GetObjectItemCaseSensitive(v, "shape");
        const cJSON *opl = cJSON_GetObjectItemCaseSensitive(v, "operands");
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(v, "params");
        const cJSON *source = cJSON_GetObjectItemCaseSensitive(v, "source");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "name");
        if (!cJSON_IsString(prim) || !prim->valuestring[0]) {
            fail(c, "%s.prim: required, the primitive's name (got %s)", where, ccx_json_type_name(prim));
            goto done;
        }
        if (params && !cJSON_IsObject(params)) { fail(c, "%s.params: must be an object", where); goto done; }
        if (source && !cJSON_IsString(source)) { fail(c, "%s.source: must be a string", where); goto done; }
        if (name && !cJSON_IsString(name)) { fail(c, "%s.name: must be a string", where); goto done; }
        ccx_shape s = {0, {1, 1}};
        snprintf(where, sizeof where, "$.vertices[%d].shape", i);
        if (!shape) { fail(c, "%s: required", where); goto done; }
        if (parse_shape(c, shape, where, &s)) goto done;
        int n_ops = 0;
        if (opl && !cJSON_IsArray(opl)) { fail(c, "$.vertices[%d].operands: must be an array", i); goto done; }
        for (const cJSON *o = opl ? opl->child : NULL; o; o = o->next, n_ops++) {
            if (n_ops == MAX_OPERANDS) { fail(c, "$.vertices[%d].operands: more than %d", i, MAX_OPERANDS); goto done; }
            snprintf(where, sizeof where, "$.vertices[%d].operands[%d]", i, n_ops);
            if (parse_operand(c, o, where, n_in, i, &ops[n_ops])) goto done;
        }
        snprintf(where, sizeof where, "$.vertices[%d]", i);
        if (add_vertex(c, b, where, prim->valuestring, &s, n_ops, ops, params,
                       source ? source->valuestring : NULL, name ? name->valuestring : NULL))
            goto done;
    }
    i = 0;
    for (const cJSON *o = outputs->child; o; o = o->next, i++) {
        snprintf(where, sizeof where, "$.outputs[%d]", i);
        const cJSON *ref = o, *name = NULL;
        if (cJSON_IsObject(o)) {
            ref = cJSON_GetObjectItemCaseSensitive(o, "vertex");
            name = cJSON_GetObjectItemCaseSensitive(o, "name");
            if (name && !cJSON_IsString(name)) { fail(c, "%s.name: must be a string", where); goto done; }
        }
        int32_t node = cJSON_IsString(ref) ? parse_node(ref->valuestring, n_in, n_v) : -1;
        if (node < n_in) {
            fail(c, "%s: an output is a vertex \"v<k>\" (k in 1..%d) or {\"vertex\": \"v<k>\", "
                    "\"name\": ...}", where, n_v);
            goto done;
        }
        char dflt[32];
        snprintf(dflt, sizeof dflt, "y%d", i + 1);
        if (ccx_graph_builder_output(b, node, name ? name->valuestring : dflt)) {
            fail(c, "%s: v%d is already an output", where, node - n_in + 1);
            goto done;
        }
    }
    ccx_graph_builder_records_given(b);
    edge_paths = calloc((size_t)(n_e ? n_e : 1), sizeof(char *));
    if (!edge_paths) { fail(c, "out of memory"); goto done; }
    i = 0;
    for (const cJSON *e = edges->child; e; e = e->next, i++) {
        snprintf(where, sizeof where, "$.edges[%d]", i);
        edge_paths[i] = strdup(where);
        if (!edge_paths[i]) { fail(c, "out of memory"); goto done; }
        if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 7) {
            fail(c, "%s: an edge is [src, dst, type, out_d1, out_d2, primal_d1, primal_d2]", where);
            goto done;
        }
        ccx_edge rec;
        int32_t end[2];
        for (int k = 0; k < 2; k++) {
            const cJSON *s = cJSON_GetArrayItem(e, k);
            end[k] = cJSON_IsString(s) ? parse_node(s->valuestring, n_in, n_v) : -1;
            if (end[k] < 0) {
                fail(c, "%s[%d]: \"%s\" is not a node (inputs x1..x%d, vertices v1..v%d)", where, k,
                     cJSON_IsString(s) ? s->valuestring : ccx_json_type_name(s), n_in, n_v);
                goto done;
            }
        }
        int64_t f[5];
        for (int k = 0; k < 5; k++)
            if (ccx_json_int(cJSON_GetArrayItem(e, 2 + k), -1000000000L, 1000000000L, &f[k])) {
                fail(c, "%s[%d]: must be an integer", where, 2 + k);
                goto done;
            }
        if (!ccx_sp_valid((int)f[0])) {
            fail(c, "%s[2]: unknown sparsity type %ld (types are -10..11; 0 means no edge)", where, f[0]);
            goto done;
        }
        for (int k = 1; k < 5; k++)
            if (f[k] < 1 || f[k] > CCX_SHAPE_MAX_ELEMENTS) {
                fail(c, "%s[%d]: dim %ld; dims are 1..%d", where, 2 + k, f[k], CCX_SHAPE_MAX_ELEMENTS);
                goto done;
            }
        rec = (ccx_edge){.src = end[0], .dst = end[1], .type = (int8_t)f[0],
                         .out_d = {(int32_t)f[1], (int32_t)f[2]},
                         .primal_d = {(int32_t)f[3], (int32_t)f[4]}};
        if (ccx_graph_builder_edge(b, &rec)) { fail(c, "out of memory"); goto done; }
    }
    g = finish(c, b, task ? task->valuestring : stem, (const char *const *)edge_paths);
    b = NULL;
    g = with_origin(c, g, origin ? origin->valuestring : NULL);
done:
    ccx_graph_builder_free(b);
    if (edge_paths) for (int k = 0; k < n_e; k++) free(edge_paths[k]);
    free(edge_paths);
    free(ops);
    return g;
}

/* ------------------------------------------------------------------ */
/* AlphaGrad's raw graph tensor                                        */

/* The "edges" tensor, read once into G[k][r][c] (checked rectangular and
 * integer; the JSON arrays are linked lists, so they are walked in order). */
typedef struct {
    int32_t *v;
    int R, C;
} tensor3;

static inline int32_t T(const tensor3 *t, int k, int r, int c) {
    return t->v[((size_t)k * t->R + r) * t->C + c];
}

static int read_tensor(const ctx *c, const cJSON *edges, tensor3 *t) {
    if (!cJSON_IsArray(edges) || cJSON_GetArraySize(edges) != 5)
        return fail(c, "$.edges: AlphaGrad's graph tensor has shape [5][1 + n_in + n_v][n_v] "
                       "(got %s of %d)", ccx_json_type_name(edges),
                    cJSON_IsArray(edges) ? cJSON_GetArraySize(edges) : 0);
    const cJSON *plane0 = cJSON_GetArrayItem(edges, 0);
    t->R = cJSON_IsArray(plane0) ? cJSON_GetArraySize(plane0) : 0;
    if (t->R < 2) return fail(c, "$.edges[0]: needs a header row and at least one input row");
    const cJSON *row0 = cJSON_GetArrayItem(plane0, 0);
    t->C = cJSON_IsArray(row0) ? cJSON_GetArraySize(row0) : 0;
    if (t->C < 3 || t->C > MAX_VERTICES)
        return fail(c, "$.edges[0][0]: %d columns; one per vertex, 3..%d", t->C, MAX_VERTICES);
    if ((size_t)t->R * t->C > ((size_t)64 << 20))
        return fail(c, "$.edges: %d x %d is too large", t->R, t->C);
    t->v = malloc((size_t)5 * t->R * t->C * sizeof(int32_t));
    if (!t->v) return fail(c, "out of memory");
    int k = 0;
    for (const cJSON *plane = edges->child; plane; plane = plane->next, k++) {
        if (!cJSON_IsArray(plane) || cJSON_GetArraySize(plane) != t->R)
            return fail(c, "$.edges[%d]: must have %d rows like $.edges[0]", k, t->R);
        int r = 0;
        for (const cJSON *row = plane->child; row; row = row->next, r++) {
            if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != t->C)
                return fail(c, "$.edges[%d][%d]: must be an array of %d entries (one per vertex)",
                            k, r, t->C);
            int col = 0;
            for (const cJSON *x = row->child; x; x = x->next, col++) {
                int64_t v;
                if (ccx_json_int(x, -1000000000L, 1000000000L, &v))
                    return fail(c, "$.edges[%d][%d][%d]: must be an integer (got %s)", k, r, col,
                                ccx_json_type_name(x));
                t->v[((size_t)k * t->R + r) * t->C + col] = (int32_t)v;
            }
        }
    }
    return 0;
}

static ccx_graph *parse_alphagrad(const ctx *c, const cJSON *root) {
    char where[160], stem[256];
    const cJSON *edges = cJSON_GetObjectItemCaseSensitive(root, "edges");
    tensor3 t = {NULL, 0, 0};
    long n_in, n_elim, n_out;
    ccx_graph_builder *b = NULL;
    ccx_graph *g = NULL;
    char **edge_paths = NULL;
    int n_e = 0;
    ccx_shape *shapes = NULL;
    uint8_t *shape_known = NULL;
    ccx_operand *ops = NULL;
    if (read_tensor(c, edges, &t)) goto done;
    n_in = T(&t, 0, 0, 0);
    n_elim = T(&t, 0, 0, 1);
    n_out = T(&t, 0, 0, 2);
    int n_v = t.C;
    if (n_in < 0 || 1 + n_in + n_v != t.R) {
        fail(c, "$.edges[0][0][0]: n_in = %ld, but the tensor has %d rows; rows = 1 + n_in + n_v "
                "with n_v = %d columns", n_in, t.R, n_v);
        goto done;
    }
    /* masks: an initial graph masks exactly its outputs */
    int outs = 0;
    for (int col = 0; col < n_v; col++) {
        long vm = T(&t, 1, 0, col), om = T(&t, 2, 0, col);
        if ((vm != 0 && vm != 1) || (om != 0 && om != 1)) {
            fail(c, "$.edges[%d][0][%d]: masks are 0 or 1", vm != 0 && vm != 1 ? 1 : 2, col);
            goto done;
        }
        if (vm != om || T(&t, 3, 0, col) != 0) {
            fail(c, "$.edges[%d][0][%d]: v%d %s: ccx reads initial graphs (only the outputs "
                    "masked, nothing played)", vm != om ? 1 : 3, col, col + 1,
                 vm != om ? "has a vertex mask that differs from its output mask"
                          : "is recorded as a played action");
            goto done;
        }
        outs += (int)om;
    }
    if (n_out != outs) {
        fail(c, "$.edges[0][0][2]: n_out = %ld, but the output mask marks %d vertices", n_out, outs);
        goto done;
    }
    if (n_elim != n_v - outs) {
        fail(c, "$.edges[0][0][1]: n_eliminable = %ld, but %d vertices less %d outputs leaves %d",
             n_elim, n_v, outs, n_v - outs);
        goto done;
    }
    /* shapes: from "input_shapes"/"vertices" when given, else the records */
    shapes = calloc((size_t)(n_in + n_v), sizeof(ccx_shape));
    shape_known = calloc((size_t)(n_in + n_v), 1);
    ops = malloc(MAX_OPERANDS * sizeof(ccx_operand));
    if (!shapes || !shape_known || !ops) { fail(c, "out of memory"); goto done; }
    const cJSON *in_shapes = cJSON_GetObjectItemCaseSensitive(root, "input_shapes");
    const cJSON *vinfo = cJSON_GetObjectItemCaseSensitive(root, "vertices");
    if (in_shapes) {
        if (!cJSON_IsArray(in_shapes) || cJSON_GetArraySize(in_shapes) != n_in) {
            fail(c, "$.input_shapes: must list %ld shapes", n_in);
            goto done;
        }
        for (int i = 0; i < n_in; i++) {
            snprintf(where, sizeof where, "$.input_shapes[%d]", i);
            if (parse_shape(c, cJSON_GetArrayItem(in_shapes, i), where, &shapes[i])) goto done;
            shape_known[i] = 1;
        }
    }
    if (vinfo && (!cJSON_IsArray(vinfo) || cJSON_GetArraySize(vinfo) != n_v)) {
        fail(c, "$.vertices: must list the %d vertices", n_v);
        goto done;
    }
    for (int i = 0; vinfo && i < n_v; i++) {
        const cJSON *v = cJSON_GetArrayItem(vinfo, i);
        const cJSON *os = cJSON_GetObjectItemCaseSensitive(v, "out_shape");
        snprintf(where, sizeof where, "$.vertices[%d].out_shape", i);
        if (os) {
            if (parse_shape(c, os, where, &shapes[n_in + i])) goto done;
            shape_known[n_in + i] = 1;
        }
    }
    for (int r = 1; r < t.R; r++)
        for (int col = 0; col < n_v; col++) {
            long f[5];
            for (int k = 0; k < 5; k++) f[k] = T(&t, k, r, col);
            if (f[0] == 0) {
                if (f[1] || f[2] || f[3] || f[4]) {
                    fail(c, "$.edges[*][%d][%d]: type 0 (no edge) with dims [%ld, %ld, %ld, %ld]",
                         r, col, f[1], f[2], f[3], f[4]);
                    goto done;
                }
                continue;
            }
            n_e++;
            /* derive unknown shapes from the records (rank 2 as stored) */
            int src = r - 1, dst = (int)n_in + col;
            if (!shape_known[dst] && f[1] >= 1 && f[2] >= 1) {
                shapes[dst] = (ccx_shape){2, {(int32_t)f[1], (int32_t)f[2]}};
                shape_known[dst] = 2;
            }
            if (shape_known[src] != 1 && f[0] != CCX_SP_RESHAPE && f[3] >= 1 && f[4] >= 1) {
                shapes[src] = (ccx_shape){2, {(int32_t)f[3], (int32_t)f[4]}};
                shape_known[src] = 2;
            }
        }
    b = ccx_graph_builder_new();
    edge_paths = calloc((size_t)(n_e ? n_e : 1), sizeof(char *));
    if (!b || !edge_paths) { fail(c, "out of memory"); goto done; }
    for (int i = 0; i < n_in; i++) {
        char name[32];
        snprintf(name, sizeof name, "in%d", i + 1);
        if (ccx_graph_builder_input_shaped(b, name, &shapes[i]) < 0) {
            fail(c, "$.input_shapes[%d]: bad shape", i);
            goto done;
        }
    }
    for (int i = 0; i < n_v; i++) {
        const cJSON *v = vinfo ? cJSON_GetArrayItem(vinfo, i) : NULL;
        const cJSON *prim = cJSON_GetObjectItemCaseSensitive(v, "prim");
        const cJSON *ins = cJSON_GetObjectItemCaseSensitive(v, "ins");
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(v, "params");
        int n_ops = 0;
        for (const cJSON *o = cJSON_IsArray(ins) ? ins->child : NULL; o && n_ops < MAX_OPERANDS;
             o = o->next, n_ops++) {
            snprintf(where, sizeof where, "$.vertices[%d].ins[%d]", i, n_ops);
            if (parse_operand(c, o, where, (int)n_in, i, &ops[n_ops])) goto done;
        }
        snprintf(where, sizeof where, "$.vertices[%d]", i);
        if (add_vertex(c, b, where, cJSON_IsString(prim) ? prim->valuestring : "?", &shapes[n_in + i],
                       n_ops, ops, cJSON_IsObject(params) ? params : NULL, NULL, NULL))
            goto done;
    }
    /* outputs: "outputs" gives the order, else increasing vertex number */
    const cJSON *olist = cJSON_GetObjectItemCaseSensitive(root, "outputs");
    int n_listed = 0;
    if (olist) {
        if (!cJSON_IsArray(olist) || cJSON_GetArraySize(olist) != outs) {
            fail(c, "$.outputs: must list the %d masked output vertices", outs);
            goto done;
        }
        for (const cJSON *o = olist->child; o; o = o->next, n_listed++) {
            int32_t node = cJSON_IsString(o) ? parse_node(o->valuestring, (int)n_in, n_v) : -1;
            long om = node >= n_in ? T(&t, 2, 0, node - (int)n_in) : 0;
            char name[32];
            snprintf(name, sizeof name, "out%d", n_listed + 1);
            if (node < n_in || !om || ccx_graph_builder_output(b, node, name)) {
                fail(c, "$.outputs[%d]: not a masked output vertex, or listed twice", n_listed);
                goto done;
            }
        }
    } else {
        for (int col = 0; col < n_v; col++) {
            long om = T(&t, 2, 0, col);
            char name[32];
            snprintf(name, sizeof name, "out%d", ++n_listed);
            if (om && ccx_graph_builder_output(b, (int32_t)n_in + col, name)) {
                fail(c, "out of memory");
                goto done;
            }
        }
    }
    ccx_graph_builder_records_given(b);
    int e = 0;
    for (int r = 1; r < t.R; r++)
        for (int col = 0; col < n_v; col++) {
            long f[5];
            for (int k = 0; k < 5; k++) f[k] = T(&t, k, r, col);
            if (f[0] == 0) continue;
            snprintf(where, sizeof where, "$.edges[*][%d][%d]", r, col);
            edge_paths[e] = strdup(where);
            if (!edge_paths[e]) { fail(c, "out of memory"); goto done; }
            if (!ccx_sp_valid((int)f[0])) {
                fail(c, "%s: unknown sparsity type %ld (types are -10..11)", where, f[0]);
                goto done;
            }
            for (int k = 1; k < 5; k++)
                if (f[k] < 1 || f[k] > CCX_SHAPE_MAX_ELEMENTS) {
                    fail(c, "$.edges[%d][%d][%d]: dim %ld; dims are 1..%d", k, r, col, f[k],
                         CCX_SHAPE_MAX_ELEMENTS);
                    goto done;
                }
            ccx_edge rec = {.src = r - 1, .dst = (int32_t)n_in + col, .type = (int8_t)f[0],
                            .out_d = {(int32_t)f[1], (int32_t)f[2]},
                            .primal_d = {(int32_t)f[3], (int32_t)f[4]}};
            if (ccx_graph_builder_edge(b, &rec)) { fail(c, "out of memory"); goto done; }
            e++;
        }
    const cJSON *task = cJSON_GetObjectItemCaseSensitive(root, "task");
    stem_of(c->path, stem, sizeof stem);
    g = finish(c, b, cJSON_IsString(task) ? task->valuestring : stem, (const char *const *)edge_paths);
    b = NULL;
    if (g) {
        /* provenance, when the file says it (the reference files do) */
        const cJSON *prov = cJSON_GetObjectItemCaseSensitive(root, "provenance");
        const cJSON *bld = cJSON_GetObjectItemCaseSensitive(prov, "builder");
        const cJSON *jax = cJSON_GetObjectItemCaseSensitive(prov, "jax");
        const cJSON *agc = cJSON_GetObjectItemCaseSensitive(prov, "alphagrad_commit");
        const char *base = strrchr(c->path, '/');
        char text[768];
        snprintf(text, sizeof text, "AlphaGrad graph tensor %s%s%s%s%s%s%s", base ? base + 1 : c->path,
                 cJSON_IsString(bld) ? "; " : "", cJSON_IsString(bld) ? bld->valuestring : "",
                 cJSON_IsString(agc) ? "; alphagrad " : "", cJSON_IsString(agc) ? agc->valuestring : "",
                 cJSON_IsString(jax) ? "; jax " : "", cJSON_IsString(jax) ? jax->valuestring : "");
        g = with_origin(c, g, text);
    }
done:
    ccx_graph_builder_free(b);
    if (edge_paths) for (int k = 0; k < n_e; k++) free(edge_paths[k]);
    free(edge_paths);
    free(t.v);
    free(shapes);
    free(shape_known);
    free(ops);
    return g;
}

/* ------------------------------------------------------------------ */

/* 1 if the text ends inside a string, object or array: a cut-off file. */
static int ends_open(const char *text, size_t len) {
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (in_str) {
            if (ch == '\\') i++;
            else if (ch == '"') in_str = 0;
        } else if (ch == '"') {
            in_str = 1;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            depth--;
        }
    }
    return in_str || depth > 0;
}

ccx_graph *ccx_graph_file_parse(const char *text, size_t len, const char *path, ccx_error *err) {
    ctx c = {path && *path ? path : "<graph>", err};
    if (len > CCX_GRAPH_FILE_MAX_BYTES) {
        fail(&c, "file of %zu bytes; graph files are at most %zu", len, CCX_GRAPH_FILE_MAX_BYTES);
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        int line = 1, col = 1;
        const char *pos = end ? end : cJSON_GetErrorPtr();
        for (const char *p = text; pos && p < pos && p < text + len; p++) {
            if (*p == '\n') { line++; col = 1; }
            else col++;
        }
        ccx_error_set_at(err, c.path, line, col, "invalid JSON here%s",
                         ends_open(text, len) ? " (the file ends inside an object, array or "
                                                "string: truncated?)" : "");
        return NULL;
    }
    ccx_graph *g = NULL;
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
    if (!cJSON_IsObject(root)) {
        fail(&c, "$: a graph file is a JSON object");
    } else if (cJSON_IsString(format) && strcmp(format->valuestring, "ccx-graph") == 0) {
        g = parse_ccx(&c, root);
    } else if (format) {
        fail(&c, "$.format: \"%s\" is not \"ccx-graph\"",
             cJSON_IsString(format) ? format->valuestring : ccx_json_type_name(format));
    } else if (cJSON_GetObjectItemCaseSensitive(root, "edges")) {
        g = parse_alphagrad(&c, root);
    } else {
        fail(&c, "$: neither a ccx graph file (\"format\": \"ccx-graph\") nor an AlphaGrad graph "
                 "(an \"edges\" tensor)");
    }
    cJSON_Delete(root);
    return g;
}

/* ------------------------------------------------------------------ */
/* writing                                                             */

static cJSON *node_ref(const ccx_graph *g, int32_t node) {
    char buf[32];
    return cJSON_CreateString(ccx_graph_node_label(g, node, buf, sizeof buf));
}

static cJSON *shape_json(const ccx_shape *s) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < s->rank; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(s->dims[i]));
    return a;
}
/* An operand as the file spells it: a label, a number, "lit:nan" / "lit:inf"
 * / "lit:-inf" (JSON has no such numbers) or "const". */
static cJSON *operand_json(const ccx_graph *g, const ccx_operand *a) {
    if (a->node >= 0) return node_ref(g, a->node);
    if (a->node == CCX_OPERAND_ARRAY_CONST) return cJSON_CreateString("const");
    if (isnan(a->constant)) return cJSON_CreateString("lit:nan");
    if (isinf(a->constant)) return cJSON_CreateString(a->constant > 0 ? "lit:inf" : "lit:-inf");
    return cJSON_CreateNumber(a->constant);
}


char *ccx_graph_file_to_json(const ccx_graph *g) {
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    cJSON_AddStringToObject(root, "format", "ccx-graph");
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddStringToObject(root, "task", g->task_name);
    if (g->origin) {
        cJSON_AddStringToObject(root, "origin", g->origin);
    } else if (g->source_path[0]) {
        const char *base = strrchr(g->source_path, '/');
        cJSON_AddStringToObject(root, "origin", base ? base + 1 : g->source_path);
    }
    cJSON *inputs = cJSON_AddArrayToObject(root, "inputs");
    for (int i = 0; inputs && i < g->n_inputs; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", g->input_names[i]);
        cJSON_AddItemToObject(o, "shape", shape_json(&g->input_shapes[i]));
        if (g->input_dtypes && g->input_dtypes[i]) cJSON_AddStringToObject(o, "dtype", g->input_dtypes[i]);
        cJSON_AddItemToArray(inputs, o);
    }
    const char *base = strrchr(g->source_path, '/');
    base = base ? base + 1 : g->source_path;
    cJSON *vertices = cJSON_AddArrayToObject(root, "vertices");
    for (int k = 0; vertices && k < g->n_vertices; k++) {
        const ccx_vertex *v = &g->vertices[k];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "prim", ccx_vertex_prim(v));
        cJSON_AddItemToObject(o, "shape", shape_json(&v->shape));
        cJSON *ol = cJSON_AddArrayToObject(o, "operands");
        for (int i = 0, n = ccx_vertex_n_operands(v); ol && i < n; i++) {
            const ccx_operand *a = ccx_vertex_operand(v, i);
            cJSON_AddItemToArray(ol, operand_json(g, a));
        }
        cJSON *params = v->params ? cJSON_Parse(v->params) : NULL;
        if (!params && v->op == CCX_OP_INTEGER_POW) {
            params = cJSON_CreateObject();
            cJSON_AddNumberToObject(params, "y", v->param);
        }
        if (params) cJSON_AddItemToObject(o, "params", params);
        char src[300];
        if (v->source) cJSON_AddStringToObject(o, "source", v->source);
        else if (v->line) {
            snprintf(src, sizeof src, "%s:%d:%d", base, v->line, v->col);
            cJSON_AddStringToObject(o, "source", src);
        }
        if (v->name) cJSON_AddStringToObject(o, "name", v->name);
        cJSON_AddItemToArray(vertices, o);
    }
    cJSON *outputs = cJSON_AddArrayToObject(root, "outputs");
    for (int i = 0; outputs && i < g->n_outputs; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "vertex", node_ref(g, ccx_node_of_vertex(g, g->outputs[i])));
        cJSON_AddStringToObject(o, "name", g->output_names[i]);
        cJSON_AddItemToArray(outputs, o);
    }
    cJSON *edges = cJSON_AddArrayToObject(root, "edges");
    for (int i = 0; edges && i < g->n_edges; i++) {
        const ccx_edge *e = &g->edges[i];
        cJSON *a = cJSON_CreateArray();
        cJSON_AddItemToArray(a, node_ref(g, e->src));
        cJSON_AddItemToArray(a, node_ref(g, e->dst));
        const int f[5] = {e->type, e->out_d[0], e->out_d[1], e->primal_d[0], e->primal_d[1]};
        for (int k = 0; k < 5; k++) cJSON_AddItemToArray(a, cJSON_CreateNumber(f[k]));
        cJSON_AddItemToArray(edges, a);
    }
    /* one entry per line keeps the file diffable without being huge */
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text) return NULL;
    size_t n = strlen(text), extra = 0;
    for (size_t i = 0; i < n; i++) extra += text[i] == '{' || text[i] == '[';
    char *out = malloc(n + 4 * extra + 2);
    if (!out) { free(text); return NULL; }
    /* newline before each vertex/edge/input/output entry: depth-2 items */
    size_t o = 0;
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = text[i];
        if (in_str) {
            out[o++] = ch;
            if (ch == '\\' && i + 1 < n) out[o++] = text[++i];
            else if (ch == '"') in_str = 0;
            continue;
        }
        if (ch == '"') in_str = 1;
        if ((ch == '{' || ch == '[') && depth == 2) { out[o++] = '\n'; out[o++] = ' '; out[o++] = ' '; }
        if (ch == '"' && depth == 1 && (text[i - 1] == '{' || text[i - 1] == ',')) out[o++] = '\n';
        if (ch == '{' || ch == '[') depth++;
        if (ch == '}' || ch == ']') depth--;
        out[o++] = ch;
    }
    out[o++] = '\n';
    out[o] = '\0';
    free(text);
    return out;
}

int ccx_graph_file_write(const char *path, const ccx_graph *g, ccx_error *err) {
    char *text = ccx_graph_file_to_json(g);
    if (!text) return ccx_error_set(err, "out of memory writing the graph file");
    int rc = ccx_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}
