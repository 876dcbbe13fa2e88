/* Recursive-descent parser for the task language. Precedence and
 * associativity are Python's:
 *
 *   arith  := term (('+' | '-') term)*            left associative
 *   term   := factor (('*' | '/') factor)*        left associative
 *   factor := ('-' | '+') factor | power
 *   power  := primary ['**' factor]               right associative; binds
 *                                                 tighter than a unary minus
 *                                                 on its left: -x**2 = -(x**2)
 *   primary:= NUMBER | NAME | call | '(' arith ')'
 *   call   := [module '.']* NAME '(' [arith (',' arith)* [',']] ')'
 *
 * Statements: const, def (one-line `= exprs` or an indented block of
 * assignments ending in return), NAME = lambda params: expr, input, output,
 * assignments (tuple targets, +=, -=, *=, /=). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/ast.h"
#include "lang/task.h"

typedef struct {
    const ccx_tokens *toks;
    int pos;
    const char *file;
    ccx_arena *arena;
    ccx_error *err;
    int depth;
} parser;

static const ccx_token *cur(parser *P) { return &P->toks->toks[P->pos]; }
static const ccx_token *peek_tok(parser *P, int k) {
    int i = P->pos + k;
    return &P->toks->toks[i < P->toks->n ? i : P->toks->n - 1];
}
static void next(parser *P) { if (P->pos < P->toks->n - 1) P->pos++; }

static int error_at(parser *P, const ccx_token *t, const char *what) {
    char buf[300];
    return ccx_error_set_at(P->err, P->file, t->line, t->col, "expected %s, found %s", what,
                            ccx_tok_describe(t, buf, sizeof buf));
}

static int expect(parser *P, ccx_tok_kind k, const char *what) {
    if (cur(P)->kind != k) return error_at(P, cur(P), what);
    next(P);
    return 0;
}

static int is_keyword(const char *s) {
    static const char *kw[] = {"const", "def", "input", "output", "return", "lambda",
                               "import", "from", "if", "else", "elif", "for", "while",
                               "and", "or", "not", "in", "is", "None", "True", "False",
                               "class", "pass", "with", "yield", "global", "del"};
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
        if (strcmp(s, kw[i]) == 0) return 1;
    return 0;
}

static void *alloc(parser *P, size_t n) {
    void *p = ccx_arena_alloc(P->arena, n);
    if (!p) ccx_error_set(P->err, "out of memory");
    return p;
}

/* Growable arrays inside the arena: double by copying (old copy stays in the
 * arena; parse trees are small). */
static int push_ptr(parser *P, void ***arr, int *n, int *cap, void *item) {
    if (*n == *cap) {
        int c = *cap ? *cap * 2 : 4;
        void **a = alloc(P, (size_t)c * sizeof(void *));
        if (!a) return -1;
        if (*n) memcpy(a, *arr, (size_t)*n * sizeof(void *));
        *arr = a;
        *cap = c;
    }
    (*arr)[(*n)++] = item;
    return 0;
}

static int push_ident(parser *P, ccx_ident **arr, int *n, int *cap, const ccx_token *t) {
    if (*n == *cap) {
        int c = *cap ? *cap * 2 : 4;
        ccx_ident *a = alloc(P, (size_t)c * sizeof(ccx_ident));
        if (!a) return -1;
        if (*n) memcpy(a, *arr, (size_t)*n * sizeof(ccx_ident));
        *arr = a;
        *cap = c;
    }
    (*arr)[(*n)++] = (ccx_ident){t->text, t->line, t->col};
    return 0;
}

/* A name that is about to be bound: must not be a keyword. */
static int take_ident(parser *P, ccx_ident **arr, int *n, int *cap, const char *what) {
    const ccx_token *t = cur(P);
    if (t->kind != TOK_NAME) return error_at(P, t, what);
    if (is_keyword(t->text))
        return ccx_error_set_at(P->err, P->file, t->line, t->col,
                                "'%s' is a reserved word and cannot be used as a name", t->text);
    if (push_ident(P, arr, n, cap, t)) return -1;
    next(P);
    return 0;
}

static ccx_expr *new_expr(parser *P, ccx_expr_kind kind, const ccx_token *at) {
    ccx_expr *e = alloc(P, sizeof *e);
    if (e) { e->kind = kind; e->line = at->line; e->col = at->col; }
    return e;
}

static ccx_expr *parse_arith(parser *P);

/* Record the height of e from its children; an error when it is too tall
 * (the tracer walks the tree recursively). */
static ccx_expr *finish_expr(parser *P, ccx_expr *e) {
    if (!e) return NULL;
    int d = 0;
    if (e->lhs && e->lhs->depth > d) d = e->lhs->depth;
    if (e->rhs && e->rhs->depth > d) d = e->rhs->depth;
    for (int i = 0; i < e->n_args; i++)
        if (e->args[i]->depth > d) d = e->args[i]->depth;
    e->depth = d + 1;
    if (e->depth > CCX_TASK_MAX_TREE) {
        ccx_error_set_at(P->err, P->file, e->line, e->col,
                         "expression too long: more than %d operations deep (split it into "
                         "several assignments)", CCX_TASK_MAX_TREE);
        return NULL;
    }
    return e;
}
static ccx_expr *parse_factor(parser *P);

static int enter(parser *P) {
    if (++P->depth > CCX_TASK_MAX_DEPTH) {
        const ccx_token *t = cur(P);
        return ccx_error_set_at(P->err, P->file, t->line, t->col,
                                "expression nested deeper than %d levels", CCX_TASK_MAX_DEPTH);
    }
    return 0;
}

static int is_module(const char *s) {
    static const char *mods[] = {"jnp", "np", "numpy", "math", "jax", "lax", "nn", "scipy", "special"};
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++)
        if (strcmp(s, mods[i]) == 0) return 1;
    return 0;
}

static ccx_expr *parse_primary(parser *P) {
    const ccx_token *t = cur(P);
    if (t->kind == TOK_NUMBER) {
        ccx_expr *e = new_expr(P, EXPR_NUMBER, t);
        if (!e) return NULL;
        e->number = t->number;
        e->is_int = t->is_int;
        e->depth = 1;
        next(P);
        return e;
    }
    if (t->kind == TOK_LPAREN) {
        next(P);
        ccx_expr *e = parse_arith(P);
        if (!e) return NULL;
        if (cur(P)->kind == TOK_COMMA) {
            ccx_error_set_at(P->err, P->file, cur(P)->line, cur(P)->col,
                             "tuples are only allowed on the right of an assignment or after return");
            return NULL;
        }
        if (expect(P, TOK_RPAREN, "')'")) return NULL;
        return e;
    }
    if (t->kind != TOK_NAME) { error_at(P, t, "a number, a name or '('"); return NULL; }
    if (is_keyword(t->text)) {
        ccx_error_set_at(P->err, P->file, t->line, t->col,
                         "'%s' is not part of the task language's expressions", t->text);
        return NULL;
    }
    /* jnp.sqrt, np.sin, math.exp, jax.nn.sigmoid: the module prefix is dropped */
    const ccx_token *name = t;
    while (peek_tok(P, 1)->kind == TOK_DOT) {
        if (!is_module(name->text)) {
            ccx_error_set_at(P->err, P->file, name->line, name->col,
                             "attribute access is not supported ('%s.' is not a known module "
                             "prefix such as jnp., np. or math.)", name->text);
            return NULL;
        }
        next(P); /* the module name */
        next(P); /* '.' */
        if (cur(P)->kind != TOK_NAME) { error_at(P, cur(P), "a function name after '.'"); return NULL; }
        name = cur(P);
    }
    if (peek_tok(P, 1)->kind != TOK_LPAREN) {
        if (name != t) {
            error_at(P, peek_tok(P, 1), "'(' after a module function name");
            return NULL;
        }
        ccx_expr *e = new_expr(P, EXPR_NAME, t);
        if (!e) return NULL;
        e->name = t->text;
        e->depth = 1;
        next(P);
        return e;
    }
    ccx_expr *e = new_expr(P, EXPR_CALL, name);
    if (!e) return NULL;
    e->name = name->text;
    next(P); /* name */
    next(P); /* '(' */
    int cap = 0;
    while (cur(P)->kind != TOK_RPAREN) {
        ccx_expr *a = parse_arith(P);
        if (!a) return NULL;
        if (push_ptr(P, (void ***)&e->args, &e->n_args, &cap, a)) return NULL;
        if (cur(P)->kind == TOK_COMMA) { next(P); continue; }
        if (cur(P)->kind == TOK_ASSIGN) {
            ccx_error_set_at(P->err, P->file, cur(P)->line, cur(P)->col,
                             "keyword arguments are not supported");
            return NULL;
        }
        if (cur(P)->kind != TOK_RPAREN) { error_at(P, cur(P), "',' or ')' in the argument list"); return NULL; }
    }
    next(P); /* ')' */
    return finish_expr(P, e);
}

static ccx_expr *parse_power(parser *P) {
    ccx_expr *base = parse_primary(P);
    if (!base || cur(P)->kind != TOK_POW) return base;
    const ccx_token *op = cur(P);
    next(P);
    ccx_expr *e = new_expr(P, EXPR_BINARY, op);
    if (!e) return NULL;
    e->op = TOK_POW;
    e->lhs = base;
    e->rhs = parse_factor(P); /* right associative; allows 2 ** -x */
    return e->rhs ? finish_expr(P, e) : NULL;
}

static ccx_expr *parse_factor(parser *P) {
    if (enter(P)) return NULL;
    ccx_expr *r;
    const ccx_token *t = cur(P);
    if (t->kind == TOK_MINUS || t->kind == TOK_PLUS) {
        next(P);
        r = new_expr(P, t->kind == TOK_MINUS ? EXPR_NEG : EXPR_POS, t);
        if (r) { r->lhs = parse_factor(P); r = r->lhs ? finish_expr(P, r) : NULL; }
    } else {
        r = parse_power(P);
    }
    P->depth--;
    return r;
}

static ccx_expr *parse_binary_level(parser *P, int level) {
    /* level 0: + -, level 1: * / */
    ccx_expr *lhs = level == 0 ? parse_binary_level(P, 1) : parse_factor(P);
    while (lhs) {
        ccx_tok_kind k = cur(P)->kind;
        int match = level == 0 ? (k == TOK_PLUS || k == TOK_MINUS) : (k == TOK_STAR || k == TOK_SLASH);
        if (!match) break;
        const ccx_token *op = cur(P);
        next(P);
        ccx_expr *e = new_expr(P, EXPR_BINARY, op);
        if (!e) return NULL;
        e->op = k;
        e->lhs = lhs;
        e->rhs = level == 0 ? parse_binary_level(P, 1) : parse_factor(P);
        if (!e->rhs) return NULL;
        lhs = finish_expr(P, e);
    }
    return lhs;
}

static ccx_expr *parse_arith(parser *P) {
    if (enter(P)) return NULL;
    ccx_expr *e = parse_binary_level(P, 0);
    P->depth--;
    return e;
}

/* expr (',' expr)* [','] up to the end of the line */
static int parse_expr_list(parser *P, ccx_stmt *s) {
    int cap = 0;
    for (;;) {
        ccx_expr *e = parse_arith(P);
        if (!e) return -1;
        if (push_ptr(P, (void ***)&s->exprs, &s->n_exprs, &cap, e)) return -1;
        if (cur(P)->kind != TOK_COMMA) break;
        next(P);
        if (cur(P)->kind == TOK_NEWLINE) break;
    }
    return 0;
}

static int end_of_line(parser *P) {
    if (cur(P)->kind != TOK_NEWLINE) return error_at(P, cur(P), "end of line");
    next(P);
    return 0;
}

static ccx_stmt *new_stmt(parser *P, ccx_stmt_kind kind, const ccx_token *at) {
    ccx_stmt *s = alloc(P, sizeof *s);
    if (s) { s->kind = kind; s->line = at->line; s->col = at->col; }
    return s;
}

static int parse_params(parser *P, ccx_stmt *s, ccx_tok_kind closer) {
    int cap = 0;
    while (cur(P)->kind != closer) {
        if (take_ident(P, &s->params, &s->n_params, &cap, "a parameter name")) return -1;
        for (int i = 0; i < s->n_params - 1; i++)
            if (strcmp(s->params[i].name, s->params[s->n_params - 1].name) == 0) {
                const ccx_ident *d = &s->params[s->n_params - 1];
                return ccx_error_set_at(P->err, P->file, d->line, d->col,
                                        "duplicate parameter '%s'", d->name);
            }
        if (cur(P)->kind == TOK_COMMA) { next(P); continue; }
        if (cur(P)->kind != closer)
            return error_at(P, cur(P), closer == TOK_RPAREN ? "',' or ')'" : "',' or ':'");
    }
    return 0;
}

/* targets '=' exprs | NAME op= expr ; the first target is at cur(P) */
static ccx_stmt *parse_assignment(parser *P, int in_def) {
    const ccx_token *start = cur(P);
    ccx_stmt *s = new_stmt(P, STMT_ASSIGN, start);
    if (!s) return NULL;
    int cap = 0;
    for (;;) {
        if (take_ident(P, &s->names, &s->n_names, &cap, "a name to assign to")) return NULL;
        if (cur(P)->kind != TOK_COMMA) break;
        next(P);
        if (cur(P)->kind == TOK_ASSIGN) break; /* "a, = f(x)" */
    }
    ccx_tok_kind k = cur(P)->kind;
    if (k == TOK_PLUS_ASSIGN || k == TOK_MINUS_ASSIGN || k == TOK_STAR_ASSIGN || k == TOK_SLASH_ASSIGN) {
        if (s->n_names != 1) {
            ccx_error_set_at(P->err, P->file, cur(P)->line, cur(P)->col,
                             "augmented assignment takes exactly one target");
            return NULL;
        }
        const ccx_token *op = cur(P);
        next(P);
        ccx_expr *target = new_expr(P, EXPR_NAME, start);
        ccx_expr *e = new_expr(P, EXPR_BINARY, op);
        if (!target || !e) return NULL;
        target->name = s->names[0].name;
        e->op = k == TOK_PLUS_ASSIGN ? TOK_PLUS : k == TOK_MINUS_ASSIGN ? TOK_MINUS
              : k == TOK_STAR_ASSIGN ? TOK_STAR : TOK_SLASH;
        target->depth = 1;
        e->lhs = target;
        e->rhs = parse_arith(P);
        if (!e->rhs || !finish_expr(P, e)) return NULL;
        int ecap = 0;
        if (push_ptr(P, (void ***)&s->exprs, &s->n_exprs, &ecap, e)) return NULL;
        return end_of_line(P) ? NULL : s;
    }
    if (k != TOK_ASSIGN) { error_at(P, cur(P), s->n_names > 1 ? "'=' after the names" : "'=' (an assignment)"); return NULL; }
    next(P);
    /* NAME = lambda params: expr  ->  a one-line def */
    if (cur(P)->kind == TOK_NAME && strcmp(cur(P)->text, "lambda") == 0) {
        if (in_def || s->n_names != 1) {
            ccx_error_set_at(P->err, P->file, cur(P)->line, cur(P)->col,
                             "a lambda must be assigned to one name at the top level");
            return NULL;
        }
        next(P);
        s->kind = STMT_DEF;
        if (parse_params(P, s, TOK_COLON)) return NULL;
        next(P); /* ':' */
        if (parse_expr_list(P, s)) return NULL;
        return end_of_line(P) ? NULL : s;
    }
    if (parse_expr_list(P, s)) return NULL;
    return end_of_line(P) ? NULL : s;
}

static ccx_stmt *parse_return(parser *P) {
    ccx_stmt *s = new_stmt(P, STMT_RETURN, cur(P));
    if (!s) return NULL;
    next(P);
    if (cur(P)->kind == TOK_NEWLINE) { error_at(P, cur(P), "the values to return"); return NULL; }
    if (parse_expr_list(P, s)) return NULL;
    return end_of_line(P) ? NULL : s;
}

static ccx_stmt *parse_def(parser *P) {
    const ccx_token *kw = cur(P);
    ccx_stmt *s = new_stmt(P, STMT_DEF, kw);
    if (!s) return NULL;
    next(P);
    int cap = 0;
    if (take_ident(P, &s->names, &s->n_names, &cap, "a function name after 'def'")) return NULL;
    if (expect(P, TOK_LPAREN, "'(' after the function name")) return NULL;
    if (parse_params(P, s, TOK_RPAREN)) return NULL;
    next(P); /* ')' */
    if (cur(P)->kind == TOK_ASSIGN) { /* def f(x) = expr[, expr] */
        next(P);
        if (parse_expr_list(P, s)) return NULL;
        return end_of_line(P) ? NULL : s;
    }
    if (expect(P, TOK_COLON, "'=' or ':' after the parameter list")) return NULL;
    if (cur(P)->kind == TOK_NAME && strcmp(cur(P)->text, "return") == 0) { /* def f(x): return x */
        ccx_stmt *r = parse_return(P);
        int bcap = 0;
        if (!r || push_ptr(P, (void ***)&s->body, &s->n_body, &bcap, r)) return NULL;
        return s;
    }
    if (end_of_line(P)) return NULL;
    int bcap = 0, body_indent = -1, returned = 0;
    while (cur(P)->kind != TOK_EOF && cur(P)->indent > 0) {
        const ccx_token *t = cur(P);
        if (body_indent < 0) body_indent = t->indent;
        else if (t->indent != body_indent) {
            ccx_error_set_at(P->err, P->file, t->line, t->col,
                             "inconsistent indentation: this line is indented %d, the body of "
                             "'%s' by %d", t->indent, s->names[0].name, body_indent);
            return NULL;
        }
        if (returned) {
            ccx_error_set_at(P->err, P->file, t->line, t->col,
                             "statement after return in '%s' would never run", s->names[0].name);
            return NULL;
        }
        ccx_stmt *b;
        if (t->kind == TOK_NAME && strcmp(t->text, "return") == 0) {
            b = parse_return(P);
            returned = 1;
        } else if (t->kind == TOK_NAME && (strcmp(t->text, "const") == 0 || strcmp(t->text, "def") == 0 ||
                                           strcmp(t->text, "input") == 0 || strcmp(t->text, "output") == 0)) {
            ccx_error_set_at(P->err, P->file, t->line, t->col,
                             "'%s' is only allowed at the top level, not inside a def", t->text);
            return NULL;
        } else {
            b = parse_assignment(P, 1);
        }
        if (!b || push_ptr(P, (void ***)&s->body, &s->n_body, &bcap, b)) return NULL;
    }
    if (!returned) {
        ccx_error_set_at(P->err, P->file, kw->line, kw->col,
                         s->n_body ? "def '%s' has no return statement"
                                   : "def '%s' has no body (indent it under the def line)",
                         s->names[0].name);
        return NULL;
    }
    return s;
}

static ccx_stmt *parse_name_list_stmt(parser *P, ccx_stmt_kind kind) {
    ccx_stmt *s = new_stmt(P, kind, cur(P));
    if (!s) return NULL;
    next(P);
    int cap = 0;
    for (;;) {
        if (take_ident(P, &s->names, &s->n_names, &cap,
                       kind == STMT_INPUT ? "an input name" : "an output name"))
            return NULL;
        if (cur(P)->kind != TOK_COMMA) break;
        next(P);
        if (cur(P)->kind == TOK_NEWLINE) break;
    }
    return end_of_line(P) ? NULL : s;
}

static ccx_stmt *parse_const(parser *P) {
    ccx_stmt *s = new_stmt(P, STMT_CONST, cur(P));
    if (!s) return NULL;
    next(P);
    int cap = 0;
    if (take_ident(P, &s->names, &s->n_names, &cap, "a constant name after 'const'")) return NULL;
    if (expect(P, TOK_ASSIGN, "'=' after the constant name")) return NULL;
    ccx_expr *e = parse_arith(P);
    int ecap = 0;
    if (!e || push_ptr(P, (void ***)&s->exprs, &s->n_exprs, &ecap, e)) return NULL;
    return end_of_line(P) ? NULL : s;
}

int ccx_parse(const ccx_tokens *toks, const char *file, ccx_arena *arena, ccx_program *out,
              ccx_error *err) {
    parser P = {.toks = toks, .file = file, .arena = arena, .err = err};
    int cap = 0;
    memset(out, 0, sizeof *out);
    while (cur(&P)->kind != TOK_EOF) {
        const ccx_token *t = cur(&P);
        if (t->kind == TOK_NEWLINE) { next(&P); continue; }
        if (t->indent > 0)
            return ccx_error_set_at(err, file, t->line, t->col,
                                    "unexpected indentation (only the body of a def is indented)");
        ccx_stmt *s = NULL;
        if (t->kind != TOK_NAME) return error_at(&P, t, "a statement");
        const char *w = t->text;
        if (strcmp(w, "const") == 0) s = parse_const(&P);
        else if (strcmp(w, "def") == 0) s = parse_def(&P);
        else if (strcmp(w, "input") == 0) s = parse_name_list_stmt(&P, STMT_INPUT);
        else if (strcmp(w, "output") == 0) s = parse_name_list_stmt(&P, STMT_OUTPUT);
        else if (strcmp(w, "return") == 0)
            return ccx_error_set_at(err, file, t->line, t->col, "'return' outside a def");
        else if (is_keyword(w))
            return ccx_error_set_at(err, file, t->line, t->col,
                                    "'%s' is not part of the task language (statements are const, "
                                    "def, input, output and assignments)", w);
        else s = parse_assignment(&P, 0);
        if (!s) return -1;
        if (push_ptr(&P, (void ***)&out->stmts, &out->n, &cap, s)) return -1;
    }
    return 0;
}
