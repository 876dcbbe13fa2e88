/* Tokenizer for the task language: Python's lexical rules, reduced to what
 * the language uses. Newlines inside brackets and after a backslash do not
 * end a line; blank and comment-only lines produce nothing. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/ast.h"

/* ---- arena ---- */
struct ccx_arena_chunk {
    struct ccx_arena_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

void *ccx_arena_alloc(ccx_arena *a, size_t size) {
    size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    ccx_arena_chunk *c = a->head;
    if (!c || c->cap - c->used < size) {
        size_t cap = size > 65536 ? size : 65536;
        c = malloc(sizeof(ccx_arena_chunk) + cap);
        if (!c) return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

char *ccx_arena_strndup(ccx_arena *a, const char *s, size_t n) {
    char *d = ccx_arena_alloc(a, n + 1);
    if (d) { memcpy(d, s, n); d[n] = 0; }
    return d;
}

void ccx_arena_free(ccx_arena *a) {
    while (a->head) {
        ccx_arena_chunk *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}

/* ---- tokens ---- */
const char *ccx_tok_describe(const ccx_token *t, char *buf, size_t size) {
    static const char *names[] = {
        [TOK_EOF] = "end of file", [TOK_NEWLINE] = "end of line",
        [TOK_PLUS] = "'+'", [TOK_MINUS] = "'-'", [TOK_STAR] = "'*'", [TOK_SLASH] = "'/'",
        [TOK_POW] = "'**'", [TOK_LPAREN] = "'('", [TOK_RPAREN] = "')'", [TOK_COMMA] = "','",
        [TOK_ASSIGN] = "'='", [TOK_COLON] = "':'", [TOK_DOT] = "'.'",
        [TOK_PLUS_ASSIGN] = "'+='", [TOK_MINUS_ASSIGN] = "'-='",
        [TOK_STAR_ASSIGN] = "'*='", [TOK_SLASH_ASSIGN] = "'/='",
    };
    if (t->kind == TOK_NAME) snprintf(buf, size, "'%s'", t->text);
    else if (t->kind == TOK_NUMBER) snprintf(buf, size, "number %s", t->text);
    else snprintf(buf, size, "%s", names[t->kind]);
    return buf;
}

typedef struct {
    const char *s;
    size_t len, pos;
    int line, col;
    const char *file;
    ccx_arena *arena;
    ccx_token *toks;
    int n, cap;
    ccx_error *err;
} lexer;

static int push(lexer *L, ccx_token t) {
    if (L->n == L->cap) {
        int cap = L->cap ? L->cap * 2 : 256;
        ccx_token *p = realloc(L->toks, (size_t)cap * sizeof *p);
        if (!p) return ccx_error_set_at(L->err, L->file, L->line, L->col, "out of memory");
        L->toks = p;
        L->cap = cap;
    }
    L->toks[L->n++] = t;
    return 0;
}

static int peekc(const lexer *L, size_t ahead) {
    return L->pos + ahead < L->len ? (unsigned char)L->s[L->pos + ahead] : -1;
}

static void advance(lexer *L) {
    if (L->s[L->pos] == '\n') { L->line++; L->col = 1; }
    else L->col++;
    L->pos++;
}

static int bad_char(lexer *L, int c) {
    if (c == '\t' || (c >= 32 && c < 127))
        return ccx_error_set_at(L->err, L->file, L->line, L->col, "unexpected character '%c'", c);
    return ccx_error_set_at(L->err, L->file, L->line, L->col,
                            "unexpected byte 0x%02x (task files are ASCII)", c);
}

static int lex_number(lexer *L, ccx_token *t) {
    size_t start = L->pos;
    int is_int = 1;
    while (isdigit(peekc(L, 0))) advance(L);
    if (peekc(L, 0) == '.') { is_int = 0; advance(L); while (isdigit(peekc(L, 0))) advance(L); }
    if (peekc(L, 0) == 'e' || peekc(L, 0) == 'E') {
        size_t k = 1;
        if (peekc(L, k) == '+' || peekc(L, k) == '-') k++;
        if (!isdigit(peekc(L, k)))
            return ccx_error_set_at(L->err, L->file, L->line, L->col + (int)k,
                                    "malformed number: expected digits after the exponent");
        is_int = 0;
        while (k--) advance(L);
        while (isdigit(peekc(L, 0))) advance(L);
    }
    if (isalpha(peekc(L, 0)) || peekc(L, 0) == '_')
        return ccx_error_set_at(L->err, L->file, L->line, L->col,
                                "malformed number: unexpected '%c' after digits", peekc(L, 0));
    size_t n = L->pos - start;
    if (n > 64) return ccx_error_set_at(L->err, L->file, t->line, t->col, "number literal too long");
    t->text = ccx_arena_strndup(L->arena, L->s + start, n);
    if (!t->text) return ccx_error_set(L->err, "out of memory");
    t->number = strtod(t->text, NULL);
    t->is_int = is_int;
    t->kind = TOK_NUMBER;
    return 0;
}

int ccx_lex(const char *text, size_t len, const char *file, ccx_arena *arena,
            ccx_tokens *out, ccx_error *err) {
    lexer L = {.s = text, .len = len, .line = 1, .col = 1, .file = file, .arena = arena, .err = err};
    int depth = 0;          /* bracket depth: newlines inside brackets are ignored */
    int at_line_start = 1;  /* next token begins a logical line */
    int open_line = 0, open_col = 0;
    int pending_indent = -1; /* indentation of the line whose first token is next */
    while (L.pos < L.len) {
        int c = peekc(&L, 0);
        if (at_line_start && depth == 0) {
            /* measure indentation; blank / comment-only lines are skipped */
            int indent = 0;
            while (peekc(&L, 0) == ' ' || peekc(&L, 0) == '\t' || peekc(&L, 0) == '\f') {
                indent += peekc(&L, 0) == '\t' ? 8 - indent % 8 : 1;
                advance(&L);
            }
            c = peekc(&L, 0);
            if (c == '\r' && peekc(&L, 1) == '\n') { advance(&L); c = '\n'; }
            if (c == -1) break;
            if (c == '\n') { advance(&L); continue; }
            if (c == '#') { while (L.pos < L.len && L.s[L.pos] != '\n') advance(&L); continue; }
            at_line_start = 0;
            pending_indent = indent;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\f' || c == '\r') { advance(&L); continue; }
        if (c == '#') { while (L.pos < L.len && L.s[L.pos] != '\n') advance(&L); continue; }
        if (c == '\\') {
            size_t k = 1;
            if (peekc(&L, k) == '\r') k++;
            if (peekc(&L, k) != '\n')
                { ccx_error_set_at(err, file, L.line, L.col, "a backslash must end its line"); goto fail; }
            while (k--) advance(&L);
            advance(&L);
            continue;
        }
        if (c == '\n') {
            if (depth == 0) {
                ccx_token t = {.kind = TOK_NEWLINE, .line = L.line, .col = L.col, .indent = -1};
                if (push(&L, t)) goto fail;
                at_line_start = 1;
            }
            advance(&L);
            continue;
        }
        ccx_token t = {.line = L.line, .col = L.col, .indent = pending_indent};
        pending_indent = -1;
        if (isalpha(c) || c == '_') {
            size_t start = L.pos;
            while (isalnum(peekc(&L, 0)) || peekc(&L, 0) == '_') advance(&L);
            if (L.pos - start > 255)
                { ccx_error_set_at(err, file, t.line, t.col, "name longer than 255 characters"); goto fail; }
            t.kind = TOK_NAME;
            t.text = ccx_arena_strndup(arena, L.s + start, L.pos - start);
            if (!t.text) { ccx_error_set(err, "out of memory"); goto fail; }
        } else if (isdigit(c) || (c == '.' && isdigit(peekc(&L, 1)))) {
            if (lex_number(&L, &t)) goto fail;
        } else {
            int c1 = peekc(&L, 1);
            int two = 0;
            switch (c) {
            case '+': t.kind = c1 == '=' ? (two = 1, TOK_PLUS_ASSIGN) : TOK_PLUS; break;
            case '-': t.kind = c1 == '=' ? (two = 1, TOK_MINUS_ASSIGN) : TOK_MINUS; break;
            case '*':
                if (c1 == '*') {
                    if (peekc(&L, 2) == '=')
                        { ccx_error_set_at(err, file, t.line, t.col, "'**=' is not supported; write x = x ** k"); goto fail; }
                    two = 1; t.kind = TOK_POW;
                } else t.kind = c1 == '=' ? (two = 1, TOK_STAR_ASSIGN) : TOK_STAR;
                break;
            case '/':
                if (c1 == '/')
                    { ccx_error_set_at(err, file, t.line, t.col, "floor division '//' is not supported (it has no derivative)"); goto fail; }
                t.kind = c1 == '=' ? (two = 1, TOK_SLASH_ASSIGN) : TOK_SLASH;
                break;
            case '(': t.kind = TOK_LPAREN; depth++; if (depth == 1) { open_line = L.line; open_col = L.col; } break;
            case ')':
                if (depth == 0) { ccx_error_set_at(err, file, t.line, t.col, "unmatched ')'"); goto fail; }
                t.kind = TOK_RPAREN; depth--; break;
            case ',': t.kind = TOK_COMMA; break;
            case '=':
                if (c1 == '=') { ccx_error_set_at(err, file, t.line, t.col, "comparisons ('==') are not supported"); goto fail; }
                t.kind = TOK_ASSIGN; break;
            case ':': t.kind = TOK_COLON; break;
            case '.': t.kind = TOK_DOT; break;
            case '[': case ']': case '{': case '}':
                ccx_error_set_at(err, file, t.line, t.col, "'%c': indexing and containers are not supported; every value is a scalar", c);
                goto fail;
            default:
                bad_char(&L, c);
                goto fail;
            }
            advance(&L);
            if (two) advance(&L);
        }
        if (push(&L, t)) goto fail;
    }
    if (depth > 0) {
        ccx_error_set_at(err, file, open_line, open_col, "'(' is never closed");
        goto fail;
    }
    {
        ccx_token nl = {.kind = TOK_NEWLINE, .line = L.line, .col = L.col, .indent = -1};
        ccx_token eof = {.kind = TOK_EOF, .line = L.line, .col = L.col, .indent = 0};
        if (L.n == 0 || L.toks[L.n - 1].kind != TOK_NEWLINE)
            if (push(&L, nl)) goto fail;
        if (push(&L, eof)) goto fail;
    }
    /* move the token array into the arena so one free releases everything */
    out->toks = ccx_arena_alloc(arena, (size_t)L.n * sizeof(ccx_token));
    if (!out->toks) { ccx_error_set(err, "out of memory"); goto fail; }
    memcpy(out->toks, L.toks, (size_t)L.n * sizeof(ccx_token));
    out->n = L.n;
    free(L.toks);
    return 0;
fail:
    free(L.toks);
    return -1;
}
