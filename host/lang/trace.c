/* The tracer: walks the syntax tree the way Python would run it and records
 * one vertex per operation with a non-constant operand, in evaluation order
 * (docs/task_language.md: this numbering is JAX's jaxpr order). All-constant operations
 * are folded; defs are inlined at each call; there is no CSE. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/ast.h"
#include "lang/task.h"

/* Work budget: expression nodes evaluated. Keeps pathological inlining of
 * constant-only defs (which creates no vertices) from running for ever. */
#define MAX_EVAL_STEPS 20000000L

typedef struct {
    int is_node;  /* 1: node id in `node`; 0: constant in `c` */
    int32_t node;
    double c;
    int is_int;   /* constant known to be an integer (Python int arithmetic) */
} value;

/* ---- scopes: string -> value, open addressing ---- */
typedef struct {
    const char *name;
    value v;
    int is_const;
    int line; /* where it was bound, for messages */
} binding;

typedef struct {
    binding *slots;
    int cap, n;
} scope;

static unsigned long hash_str(const char *s) {
    unsigned long h = 1469598103934665603UL;
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211UL;
    return h;
}

static binding *scope_find(const scope *S, const char *name) {
    if (!S->cap) return NULL;
    for (unsigned long i = hash_str(name) & (S->cap - 1);; i = (i + 1) & (S->cap - 1)) {
        if (!S->slots[i].name) return NULL;
        if (strcmp(S->slots[i].name, name) == 0) return &S->slots[i];
    }
}

/* Insert or overwrite; returns the slot or NULL when out of memory. */
static binding *scope_set(scope *S, const char *name) {
    if (2 * (S->n + 1) > S->cap) {
        int cap = S->cap ? S->cap * 2 : 16;
        binding *slots = calloc((size_t)cap, sizeof *slots);
        if (!slots) return NULL;
        for (int i = 0; i < S->cap; i++) {
            if (!S->slots[i].name) continue;
            unsigned long j = hash_str(S->slots[i].name) & (cap - 1);
            while (slots[j].name) j = (j + 1) & (cap - 1);
            slots[j] = S->slots[i];
        }
        free(S->slots);
        S->slots = slots;
        S->cap = cap;
    }
    unsigned long i = hash_str(name) & (S->cap - 1);
    while (S->slots[i].name && strcmp(S->slots[i].name, name) != 0) i = (i + 1) & (S->cap - 1);
    if (!S->slots[i].name) { S->slots[i].name = name; S->n++; }
    return &S->slots[i];
}

static void scope_free(scope *S) { free(S->slots); memset(S, 0, sizeof *S); }

/* ---- tracer state ---- */
typedef struct {
    const char *file;
    ccx_error *err;
    ccx_graph_builder *b;
    scope globals;
    scope funcs;        /* name -> index into defs (stored in v.node) */
    const ccx_stmt **defs;
    int n_defs;
    const ccx_stmt *stack[CCX_TASK_MAX_CALL_DEPTH]; /* defs being inlined */
    int call_depth;
    long steps;
    int n_inputs;
    int eval_depth;     /* expression levels on the C stack right now */
    char prefix[512];   /* "F." while inlining F: names vertices made inside */
} tracer;

static int fail(tracer *T, int line, int col, const char *fmt, const char *a, const char *b2) {
    char msg[480];
    snprintf(msg, sizeof msg, fmt, a ? a : "", b2 ? b2 : "");
    return ccx_error_set_at(T->err, T->file, line, col, "%s", msg);
}

static value constant(double c, int is_int) { return (value){0, -1, c, is_int}; }

/* Create the vertex for op(args), or fold it when every operand is constant. */
static int apply(tracer *T, ccx_op op, int n, const value *args, double param, int line,
                 int col, value *out) {
    int any_node = 0;
    for (int i = 0; i < n; i++) any_node |= args[i].is_node;
    if (!any_node) {
        if (op == CCX_OP_DIV && args[1].c == 0.0)
            return fail(T, line, col, "division by zero in a constant expression", 0, 0);
        double y = ccx_op_value(op, args[0].c, n > 1 ? args[1].c : 0.0, param);
        if (!isfinite(y))
            return fail(T, line, col, "constant expression evaluates to %s (%s)",
                        isnan(y) ? "nan" : "infinity", ccx_op_get(op)->name);
        int is_int = 0;
        if (op == CCX_OP_ADD || op == CCX_OP_SUB || op == CCX_OP_MUL)
            is_int = args[0].is_int && args[1].is_int;
        else if (op == CCX_OP_NEG) is_int = args[0].is_int;
        else if (op == CCX_OP_INTEGER_POW) is_int = args[0].is_int && param >= 0;
        *out = constant(y, is_int && fabs(y) < 9007199254740992.0);
        return 0;
    }
    if (ccx_graph_builder_n_vertices(T->b) >= CCX_TASK_MAX_VERTICES)
        return ccx_error_set_at(T->err, T->file, line, col,
                                "the graph exceeds %d vertices (runaway inlining?)",
                                CCX_TASK_MAX_VERTICES);
    ccx_operand ops[2];
    for (int i = 0; i < n; i++)
        ops[i] = args[i].is_node ? (ccx_operand){args[i].node, 0.0} : (ccx_operand){-1, args[i].c};
    int32_t id = ccx_graph_builder_vertex(T->b, op, n, ops, param, line, col);
    if (id < 0) return ccx_error_set(T->err, "out of memory building the graph");
    *out = (value){1, id, 0.0, 0};
    return 0;
}

/* x ** y: integer constant exponent -> integer_pow (one vertex, as JAX traces it) */
static int apply_pow(tracer *T, value x, value y, int line, int col, value *out) {
    if (y.is_node || !x.is_node) {
        if (!x.is_node && !y.is_node && x.c == 0.0 && y.c < 0)
            return fail(T, line, col, "0 raised to a negative power in a constant expression", 0, 0);
        if (!x.is_node && !y.is_node && x.is_int && y.is_int && y.c >= 0) {
            if (y.c > 1e9) return fail(T, line, col, "integer exponent out of range", 0, 0);
            value args[1] = {x};
            return apply(T, CCX_OP_INTEGER_POW, 1, args, y.c, line, col, out);
        }
        value args[2] = {x, y};
        return apply(T, CCX_OP_POW, 2, args, 0.0, line, col, out);
    }
    if (y.is_int) {
        if (fabs(y.c) > 1e9) return fail(T, line, col, "integer exponent out of range", 0, 0);
        value args[1] = {x};
        return apply(T, CCX_OP_INTEGER_POW, 1, args, y.c, line, col, out);
    }
    value args[2] = {x, y};
    return apply(T, CCX_OP_POW, 2, args, 0.0, line, col, out);
}

static int lookup(tracer *T, scope *locals, const ccx_expr *e, value *out) {
    binding *bd = locals ? scope_find(locals, e->name) : NULL;
    if (!bd) bd = scope_find(&T->globals, e->name);
    if (!bd) {
        if (scope_find(&T->funcs, e->name) || ccx_op_from_function(e->name, &(ccx_op){0}) == 0)
            return fail(T, e->line, e->col, "'%s' is a function; call it with (...)", e->name, 0);
        return fail(T, e->line, e->col, "name '%s' is not defined", e->name, 0);
    }
    *out = bd->v;
    return 0;
}

static int eval_call(tracer *T, scope *locals, const ccx_expr *e, value *outs, int max_outs,
                     int *n_outs);

static int eval_node(tracer *T, scope *locals, const ccx_expr *e, value *out);

static int eval(tracer *T, scope *locals, const ccx_expr *e, value *out) {
    if (++T->steps > MAX_EVAL_STEPS)
        return fail(T, e->line, e->col, "the task takes too long to trace (runaway inlining?)", 0, 0);
    if (T->eval_depth >= CCX_TASK_MAX_EVAL_DEPTH)
        return fail(T, e->line, e->col, "expressions nested too deeply across def calls", 0, 0);
    T->eval_depth++;
    int rc = eval_node(T, locals, e, out);
    T->eval_depth--;
    return rc;
}

static int eval_node(tracer *T, scope *locals, const ccx_expr *e, value *out) {
    switch (e->kind) {
    case EXPR_NUMBER:
        *out = constant(e->number, e->is_int);
        return 0;
    case EXPR_NAME:
        return lookup(T, locals, e, out);
    case EXPR_POS:
        return eval(T, locals, e->lhs, out);
    case EXPR_NEG: {
        value a;
        if (eval(T, locals, e->lhs, &a)) return -1;
        return apply(T, CCX_OP_NEG, 1, &a, 0.0, e->line, e->col, out);
    }
    case EXPR_BINARY: {
        value ab[2];
        if (eval(T, locals, e->lhs, &ab[0]) || eval(T, locals, e->rhs, &ab[1])) return -1;
        if (e->op == TOK_POW) return apply_pow(T, ab[0], ab[1], e->line, e->col, out);
        ccx_op op = e->op == TOK_PLUS ? CCX_OP_ADD : e->op == TOK_MINUS ? CCX_OP_SUB
                  : e->op == TOK_STAR ? CCX_OP_MUL : CCX_OP_DIV;
        return apply(T, op, 2, ab, 0.0, e->line, e->col, out);
    }
    case EXPR_CALL: {
        value outs[2];
        int n;
        if (eval_call(T, locals, e, outs, 2, &n)) return -1;
        if (n != 1) {
            char num[16];
            snprintf(num, sizeof num, "%d", n);
            return fail(T, e->line, e->col,
                        "'%s' returns %s values; here one value is needed (assign them: a, b, ... = f(...))",
                        e->name, num);
        }
        *out = outs[0];
        return 0;
    }
    }
    return fail(T, e->line, e->col, "internal error: unknown expression", 0, 0);
}

static int exec_body(tracer *T, const ccx_stmt *def, scope *locals, value *outs, int max_outs,
                     int *n_outs);

/* Evaluate a call; user defs may return several values (up to max_outs are
 * stored, *n_outs is the count). */
static int eval_call(tracer *T, scope *locals, const ccx_expr *e, value *outs, int max_outs,
                     int *n_outs) {
    binding *f = scope_find(&T->funcs, e->name);
    if (!f) {
        ccx_op op;
        if (ccx_op_from_function(e->name, &op))
            return fail(T, e->line, e->col, "unknown function '%s'", e->name, 0);
        int arity = ccx_op_get(op)->arity;
        if (e->n_args != arity) {
            char msg[64];
            snprintf(msg, sizeof msg, "%d argument%s but %d %s given", arity, arity == 1 ? "" : "s",
                     e->n_args, e->n_args == 1 ? "was" : "were");
            return fail(T, e->line, e->col, "%s() takes %s", e->name, msg);
        }
        value args[2];
        for (int i = 0; i < arity; i++)
            if (eval(T, locals, e->args[i], &args[i])) return -1;
        *n_outs = 1;
        if (op == CCX_OP_POW) return apply_pow(T, args[0], args[1], e->line, e->col, outs);
        return apply(T, op, arity, args, 0.0, e->line, e->col, outs);
    }
    const ccx_stmt *def = T->defs[f->v.node];
    if (e->n_args != def->n_params) {
        char msg[64];
        snprintf(msg, sizeof msg, "%d argument%s but %d %s given", def->n_params,
                 def->n_params == 1 ? "" : "s", e->n_args, e->n_args == 1 ? "was" : "were");
        return fail(T, e->line, e->col, "%s() takes %s", e->name, msg);
    }
    for (int i = 0; i < T->call_depth; i++)
        if (T->stack[i] == def)
            return fail(T, e->line, e->col,
                        "recursive call to '%s': defs are inlined and cannot call themselves",
                        e->name, 0);
    if (T->call_depth >= CCX_TASK_MAX_CALL_DEPTH)
        return fail(T, e->line, e->col, "calls nested too deeply", 0, 0);
    /* arguments left to right, in the caller's scope (Python order) */
    scope callee = {0};
    int rc = 0;
    for (int i = 0; i < e->n_args && rc == 0; i++) {
        value a;
        rc = eval(T, locals, e->args[i], &a);
        if (rc == 0) {
            binding *bd = scope_set(&callee, def->params[i].name);
            if (!bd) rc = ccx_error_set(T->err, "out of memory");
            else { bd->v = a; bd->line = def->params[i].line; }
        }
    }
    if (rc == 0) {
        size_t plen = strlen(T->prefix);
        snprintf(T->prefix + plen, sizeof T->prefix - plen, "%s.", def->names[0].name);
        T->stack[T->call_depth++] = def;
        rc = exec_body(T, def, &callee, outs, max_outs, n_outs);
        T->call_depth--;
        T->prefix[plen] = 0;
    }
    scope_free(&callee);
    return rc;
}

/* Evaluate a right-hand side list into vals (one value per target). */
static int eval_rhs(tracer *T, scope *locals, const ccx_stmt *s, int n_targets, value *vals,
                    int line, int col) {
    if (s->n_exprs == 1 && s->exprs[0]->kind == EXPR_CALL && n_targets > 1) {
        int n;
        if (eval_call(T, locals, s->exprs[0], vals, n_targets, &n)) return -1;
        if (n != n_targets) {
            char msg[96];
            snprintf(msg, sizeof msg, "%d value%s but %d name%s", n, n == 1 ? "" : "s",
                     n_targets, n_targets == 1 ? " is" : "s are");
            return fail(T, line, col, "'%s' returns %s assigned", s->exprs[0]->name, msg);
        }
        return 0;
    }
    if (s->n_exprs != n_targets) {
        char msg[96];
        snprintf(msg, sizeof msg, "%d name%s but %d value%s", n_targets, n_targets == 1 ? "" : "s",
                 s->n_exprs, s->n_exprs == 1 ? "" : "s");
        return fail(T, line, col, "assignment of %s%s", msg,
                    n_targets == 1 ? " (tuples are not values; use one name per value)" : "");
    }
    for (int i = 0; i < s->n_exprs; i++)
        if (eval(T, locals, s->exprs[i], &vals[i])) return -1;
    return 0;
}

static int bind(tracer *T, scope *S, const ccx_ident *id, value v) {
    binding *old = scope_find(S, id->name);
    if (old && old->is_const)
        return fail(T, id->line, id->col, "cannot assign to constant '%s'", id->name, 0);
    if (S == &T->globals && scope_find(&T->funcs, id->name))
        return fail(T, id->line, id->col, "'%s' is already a function", id->name, 0);
    binding *bd = scope_set(S, id->name);
    if (!bd) return ccx_error_set(T->err, "out of memory");
    bd->v = v;
    bd->line = id->line;
    if (v.is_node) {
        char name[800];
        snprintf(name, sizeof name, "%s%s", T->prefix, id->name);
        ccx_graph_builder_name(T->b, v.node, name);
    }
    return 0;
}

static int exec_assign(tracer *T, scope *S, scope *locals, const ccx_stmt *s) {
    value *vals = malloc((size_t)s->n_names * sizeof(value));
    if (!vals) return ccx_error_set(T->err, "out of memory");
    int rc = eval_rhs(T, locals, s, s->n_names, vals, s->line, s->col);
    for (int i = 0; i < s->n_names && rc == 0; i++) rc = bind(T, S, &s->names[i], vals[i]);
    free(vals);
    return rc;
}

static int exec_body(tracer *T, const ccx_stmt *def, scope *locals, value *outs, int max_outs,
                     int *n_outs) {
    const ccx_stmt *ret = def;  /* one-line def: its exprs are the return values */
    for (int i = 0; i < def->n_body; i++) {
        const ccx_stmt *s = def->body[i];
        if (s->kind == STMT_RETURN) { ret = s; break; }
        if (exec_assign(T, locals, locals, s)) return -1;
    }
    if (ret->n_exprs == 1 && ret->exprs[0]->kind == EXPR_CALL) /* return g(x): pass tuples on */
        return eval_call(T, locals, ret->exprs[0], outs, max_outs, n_outs);
    *n_outs = ret->n_exprs;
    for (int i = 0; i < ret->n_exprs; i++) {
        value v;
        if (eval(T, locals, ret->exprs[i], &v)) return -1;
        if (i < max_outs) outs[i] = v;
    }
    return 0;
}

static int trace_program(tracer *T, const ccx_program *prog) {
    /* inputs first: input node ids precede every vertex, whatever the file order */
    for (int i = 0; i < prog->n; i++) {
        const ccx_stmt *s = prog->stmts[i];
        if (s->kind != STMT_INPUT) continue;
        for (int j = 0; j < s->n_names; j++)
            if (ccx_graph_builder_input(T->b, s->names[j].name) < 0)
                return ccx_error_set(T->err, "out of memory");
        T->n_inputs += s->n_names;
    }
    int next_input = 0, n_outputs = 0;
    for (int i = 0; i < prog->n; i++) {
        const ccx_stmt *s = prog->stmts[i];
        switch (s->kind) {
        case STMT_CONST: {
            value v;
            if (eval(T, NULL, s->exprs[0], &v)) return -1;
            if (v.is_node)
                return fail(T, s->names[0].line, s->names[0].col,
                            "const '%s' must be a constant expression (it depends on an input)",
                            s->names[0].name, 0);
            binding *old = scope_find(&T->globals, s->names[0].name);
            if (old || scope_find(&T->funcs, s->names[0].name))
                return fail(T, s->names[0].line, s->names[0].col, "'%s' is already defined",
                            s->names[0].name, 0);
            if (bind(T, &T->globals, &s->names[0], v)) return -1;
            scope_find(&T->globals, s->names[0].name)->is_const = 1;
            break;
        }
        case STMT_DEF: {
            const ccx_ident *id = &s->names[0];
            ccx_op op;
            if (ccx_op_from_function(id->name, &op) == 0)
                return fail(T, id->line, id->col, "'%s' is a built-in function and cannot be redefined",
                            id->name, 0);
            if (scope_find(&T->funcs, id->name) || scope_find(&T->globals, id->name))
                return fail(T, id->line, id->col, "'%s' is already defined", id->name, 0);
            const ccx_stmt **defs = realloc(T->defs, (size_t)(T->n_defs + 1) * sizeof *defs);
            if (!defs) return ccx_error_set(T->err, "out of memory");
            T->defs = defs;
            T->defs[T->n_defs] = s;
            binding *bd = scope_set(&T->funcs, id->name);
            if (!bd) return ccx_error_set(T->err, "out of memory");
            bd->v.node = T->n_defs++;
            break;
        }
        case STMT_INPUT:
            for (int j = 0; j < s->n_names; j++, next_input++) {
                const ccx_ident *id = &s->names[j];
                if (scope_find(&T->globals, id->name) || scope_find(&T->funcs, id->name))
                    return fail(T, id->line, id->col, "input '%s' is already defined", id->name, 0);
                if (bind(T, &T->globals, id, (value){1, next_input, 0.0, 0})) return -1;
            }
            break;
        case STMT_ASSIGN:
            if (exec_assign(T, &T->globals, NULL, s)) return -1;
            break;
        case STMT_OUTPUT:
            for (int j = 0; j < s->n_names; j++) {
                const ccx_ident *id = &s->names[j];
                binding *bd = scope_find(&T->globals, id->name);
                if (!bd) return fail(T, id->line, id->col, "output '%s' is not defined", id->name, 0);
                if (!bd->v.is_node)
                    return fail(T, id->line, id->col,
                                "output '%s' is a constant; outputs must depend on the inputs", id->name, 0);
                int32_t node = bd->v.node;
                if (node < T->n_inputs)
                    return fail(T, id->line, id->col,
                                "output '%s' is an input; outputs must be computed vertices", id->name, 0);
                if (ccx_graph_builder_output(T->b, node, id->name))
                    return fail(T, id->line, id->col,
                                "output '%s' names a vertex that is already an output", id->name, 0);
                n_outputs++;
            }
            break;
        case STMT_RETURN:
            return fail(T, s->line, s->col, "'return' outside a def", 0, 0);
        }
    }
    if (n_outputs == 0)
        return ccx_error_set_at(T->err, T->file, 0, 0,
                                "the task declares no outputs (add a line: output NAME, ...)");
    return 0;
}

/* Task name = file stem: "configs/tasks/RoeFlux_1d.ccx" -> "RoeFlux_1d". */
static void task_stem(const char *path, char *out, size_t size) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".ccx") == 0) n -= 4;
    if (n >= size) n = size - 1;
    memcpy(out, base, n);
    out[n] = 0;
}

ccx_graph *ccx_task_parse(const char *text, size_t len, const char *filename, ccx_error *err) {
    const char *file = filename ? filename : "<task>";
    ccx_error_clear(err);
    if (len > CCX_TASK_MAX_BYTES) {
        ccx_error_set_at(err, file, 0, 0, "task file is larger than %d bytes", CCX_TASK_MAX_BYTES);
        return NULL;
    }
    for (size_t i = 0; i < len; i++)
        if (text[i] == 0) {
            int line = 1, col = 1;
            for (size_t j = 0; j < i; j++) { if (text[j] == '\n') { line++; col = 1; } else col++; }
            ccx_error_set_at(err, file, line, col, "unexpected NUL byte (task files are text)");
            return NULL;
        }
    ccx_arena arena = {0};
    ccx_tokens toks;
    ccx_program prog;
    ccx_graph *g = NULL;
    tracer T = {.file = file, .err = err};
    if (ccx_lex(text, len, file, &arena, &toks, err) == 0 &&
        ccx_parse(&toks, file, &arena, &prog, err) == 0) {
        T.b = ccx_graph_builder_new();
        if (!T.b) ccx_error_set(err, "out of memory");
        else if (trace_program(&T, &prog) == 0) {
            char stem[256];
            task_stem(file, stem, sizeof stem);
            g = ccx_graph_builder_finish(T.b, stem, filename ? filename : "", err);
            T.b = NULL; /* consumed */
        }
    }
    ccx_graph_builder_free(T.b);
    scope_free(&T.globals);
    scope_free(&T.funcs);
    free(T.defs);
    ccx_arena_free(&arena);
    return g;
}
