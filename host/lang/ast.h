/* Internal to the task language: tokens (lexer.c), syntax tree (parser.c)
 * and the arena both live in. The tracer (trace.c) walks the tree. */
#ifndef CCX_LANG_AST_H
#define CCX_LANG_AST_H

#include <stddef.h>

#include "util/error.h"

/* ---- arena: every token, node and string of one parse, freed at once ---- */
typedef struct ccx_arena_chunk ccx_arena_chunk;
typedef struct {
    ccx_arena_chunk *head;
} ccx_arena;

void *ccx_arena_alloc(ccx_arena *a, size_t size); /* zeroed; NULL when out of memory */
char *ccx_arena_strndup(ccx_arena *a, const char *s, size_t n);
void ccx_arena_free(ccx_arena *a);

/* ---- tokens ---- */
typedef enum {
    TOK_EOF,
    TOK_NEWLINE, /* end of a logical line */
    TOK_NAME,
    TOK_NUMBER,
    TOK_PLUS, TOK_MINUS, TOK_STAR, TOK_SLASH, TOK_POW, /* + - * / ** */
    TOK_LPAREN, TOK_RPAREN, TOK_COMMA, TOK_ASSIGN, TOK_COLON, TOK_DOT,
    TOK_PLUS_ASSIGN, TOK_MINUS_ASSIGN, TOK_STAR_ASSIGN, TOK_SLASH_ASSIGN,
} ccx_tok_kind;

typedef struct {
    ccx_tok_kind kind;
    int line, col;
    int indent;      /* first token of a logical line: its indentation (>= 0); else -1 */
    const char *text; /* NAME: the name (arena); NUMBER: the literal */
    double number;
    int is_int;      /* NUMBER written without '.' or exponent */
} ccx_token;

typedef struct {
    ccx_token *toks;
    int n;
} ccx_tokens;

/* Tokenize; 0 on success, else -1 with err at the offending character. */
int ccx_lex(const char *text, size_t len, const char *file, ccx_arena *arena,
            ccx_tokens *out, ccx_error *err);
const char *ccx_tok_describe(const ccx_token *t, char *buf, size_t size);

/* ---- syntax tree ---- */
typedef enum { EXPR_NUMBER, EXPR_NAME, EXPR_NEG, EXPR_POS, EXPR_BINARY, EXPR_CALL } ccx_expr_kind;

typedef struct ccx_expr {
    ccx_expr_kind kind;
    int line, col;           /* the operator / name / literal */
    double number;
    int is_int;
    const char *name;        /* NAME, CALL (function name) */
    ccx_tok_kind op;         /* BINARY: TOK_PLUS .. TOK_POW */
    struct ccx_expr *lhs, *rhs; /* BINARY; NEG/POS use lhs */
    struct ccx_expr **args;  /* CALL */
    int n_args;
    int depth;               /* height of this subtree (1 for a leaf) */
} ccx_expr;

typedef enum { STMT_CONST, STMT_DEF, STMT_INPUT, STMT_OUTPUT, STMT_ASSIGN, STMT_RETURN } ccx_stmt_kind;

typedef struct {
    const char *name;
    int line, col;
} ccx_ident;

typedef struct ccx_stmt {
    ccx_stmt_kind kind;
    int line, col;
    ccx_ident *names;   /* CONST: 1; DEF: the function; INPUT/OUTPUT/ASSIGN: targets */
    int n_names;
    ccx_expr **exprs;   /* CONST: 1; ASSIGN/RETURN/DEF(one-line): right-hand side */
    int n_exprs;
    ccx_ident *params;  /* DEF */
    int n_params;
    struct ccx_stmt **body; /* DEF with a block: assignments then one return */
    int n_body;
} ccx_stmt;

typedef struct {
    ccx_stmt **stmts;
    int n;
} ccx_program;

int ccx_parse(const ccx_tokens *toks, const char *file, ccx_arena *arena,
              ccx_program *out, ccx_error *err);

#endif
