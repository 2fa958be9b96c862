/* SPDX-License-Identifier: MIT */
#include "jmespath.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "strutil.h"

/*
 * Parser recursion depth. Chains (a.b.c, a|b|c, a[0][1]) are kept flat, so
 * this bounds the tree's depth and with it the evaluator's recursion.
 */
#define MAX_PARSE_DEPTH 128
/* Depth of the tree, which a loop can grow without recursion (a[*][*][*]...). */
#define MAX_TREE_DEPTH 256
/* Nesting of the values walked by equality, to_string() and the result check. */
#define MAX_VALUE_DEPTH 512
/* Levels of nesting an expression may add to its input ([@] | [@] | ... adds one each). */
#define MAX_ADDED_DEPTH 256
#define MAX_INDEX ((int64_t)1 << 53)

/* ---- errors ---- */

_printf_(4, 5) static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	if (err && errlen > 0) {
		va_list ap;
		int n = snprintf(err, errlen, "jmespath: ");
		if (n >= 0 && (size_t)n < errlen) {
			va_start(ap, fmt);
			(void)vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return r;
}

/* ---- tokens ---- */

typedef enum TokType {
	T_EOF,
	T_UNQUOTED,
	T_QUOTED,
	T_LITERAL,
	T_NUMBER,
	T_RBRACKET,
	T_RPAREN,
	T_COMMA,
	T_RBRACE,
	T_CURRENT,
	T_EXPREF,
	T_COLON,
	T_PIPE,
	T_OR,
	T_AND,
	T_EQ,
	T_NE,
	T_LT,
	T_LTE,
	T_GT,
	T_GTE,
	T_FLATTEN,
	T_STAR,
	T_FILTER,
	T_DOT,
	T_NOT,
	T_LBRACE,
	T_LBRACKET,
	T_LPAREN,
	_T_MAX,
} TokType;

/* Binding powers of the reference grammar (a Pratt parser). */
static const int bp[_T_MAX] = {
    [T_PIPE] = 1,      [T_OR] = 2,	[T_AND] = 3,  [T_EQ] = 5,   [T_NE] = 5,
    [T_LT] = 5,	       [T_LTE] = 5,	[T_GT] = 5,   [T_GTE] = 5,  [T_FLATTEN] = 9,
    [T_STAR] = 20,     [T_FILTER] = 21, [T_DOT] = 40, [T_NOT] = 45, [T_LBRACE] = 50,
    [T_LBRACKET] = 55, [T_LPAREN] = 60,
};

typedef struct Token {
	TokType type;
	size_t pos, len; /* in the expression text */
	char *str;	 /* identifier or raw string, decoded */
	size_t str_len;
	json_object *lit; /* T_LITERAL */
	int64_t num;	  /* T_NUMBER */
} Token;

typedef struct Lexer {
	const char *s;
	size_t len;
	Token *toks;
	size_t n, cap;
	char *err;
	size_t errlen;
} Lexer;

/* 1-based column of byte offset pos, counting characters (UTF-8 sequences), not bytes. */
static size_t column(const char *s, size_t pos)
{
	size_t n = 1;
	for (size_t i = 0; i < pos; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

static int lex_error(Lexer *l, size_t pos, const char *what)
{
	return fail(l->err, l->errlen, -EINVAL, "syntax error at column %zu: %s", column(l->s, pos),
		    what);
}

static int lex_push(Lexer *l, TokType type, size_t pos, size_t len, Token **ret)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		Token *t = reallocarray(l->toks, cap, sizeof(Token));
		if (!t)
			return -ENOMEM;
		l->toks = t;
		l->cap = cap;
	}
	Token *t = &l->toks[l->n++];
	*t = (Token){.type = type, .pos = pos, .len = len};
	if (ret)
		*ret = t;
	return 0;
}

/* End of a delimited lexeme: index of the closing delim, a backslash escaping the next byte. */
static int lex_delimited(Lexer *l, size_t start, char delim, size_t *ret_end)
{
	size_t i = start + 1;
	while (i < l->len && l->s[i] != delim) {
		if (l->s[i] == '\\' && i + 1 < l->len)
			i++;
		i++;
	}
	if (i >= l->len) {
		char what[64];
		snprintf(what, sizeof(what), "unterminated %s",
			 delim == '"'	 ? "quoted identifier"
			 : delim == '\'' ? "raw string literal"
					 : "JSON literal");
		return lex_error(l, start, what);
	}
	*ret_end = i;
	return 0;
}

/* Strict parse of a whole JSON text; returns 0 and *ret (may be NULL for null) or -EINVAL. */
static int parse_json_text(const char *s, size_t len, json_object **ret)
{
	while (len > 0 && s[len - 1] != '\0' && strchr(" \t\n\r", s[len - 1]))
		len--;
	if (len == 0 || len >= INT32_MAX)
		return -EINVAL;
	/* json-c only knows a number has ended when it sees what follows: parse through the NUL. */
	_cleanup_free_ char *copy = strndup(s, len);
	if (!copy)
		return -ENOMEM;
	if (strlen(copy) != len)
		return -EINVAL;
	struct json_tokener *tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	json_object *o = json_tokener_parse_ex(tok, copy, (int)len + 1);
	enum json_tokener_error e = json_tokener_get_error(tok);
	size_t used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (e != json_tokener_success || used < len) {
		json_object_put(o);
		return -EINVAL;
	}
	*ret = o;
	return 0;
}

static int lex_quoted(Lexer *l, size_t start, size_t *ret_next)
{
	size_t end;
	int r = lex_delimited(l, start, '"', &end);
	if (r < 0)
		return r;
	json_object *o = NULL;
	if (parse_json_text(l->s + start, end - start + 1, &o) < 0 ||
	    !json_object_is_type(o, json_type_string)) {
		json_object_put(o);
		return lex_error(l, start, "invalid quoted identifier");
	}
	Token *t;
	r = lex_push(l, T_QUOTED, start, end - start + 1, &t);
	if (r >= 0) {
		t->str_len = (size_t)json_object_get_string_len(o);
		t->str = malloc(t->str_len + 1);
		if (t->str)
			memcpy(t->str, json_object_get_string(o), t->str_len + 1);
		else
			r = -ENOMEM;
	}
	json_object_put(o);
	*ret_next = end + 1;
	return r;
}

/* 'raw string': only \' is an escape; any other backslash stays as it is. */
static int lex_raw(Lexer *l, size_t start, size_t *ret_next)
{
	size_t end;
	int r = lex_delimited(l, start, '\'', &end);
	if (r < 0)
		return r;
	_cleanup_free_ char *buf = malloc(end - start);
	if (!buf)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = start + 1; i < end; i++) {
		if (l->s[i] == '\\' && l->s[i + 1] == '\'') {
			buf[n++] = '\'';
			i++;
		} else
			buf[n++] = l->s[i];
	}
	buf[n] = '\0';
	Token *t;
	r = lex_push(l, T_LITERAL, start, end - start + 1, &t);
	if (r < 0)
		return r;
	t->lit = json_object_new_string_len(buf, (int)n);
	if (!t->lit)
		return -ENOMEM;
	*ret_next = end + 1;
	return 0;
}

/* `json`, with \` for a backtick. Text that is not JSON is taken as a string, as python-jmespath
 * does. */
static int lex_literal(Lexer *l, size_t start, size_t *ret_next)
{
	size_t end;
	int r = lex_delimited(l, start, '`', &end);
	if (r < 0)
		return r;
	_cleanup_free_ char *buf = malloc(end - start + 2);
	if (!buf)
		return -ENOMEM;
	size_t n = 0;
	buf[n++] = '"';
	for (size_t i = start + 1; i < end; i++) {
		if (l->s[i] == '\\' && l->s[i + 1] == '`') {
			buf[n++] = '`';
			i++;
		} else
			buf[n++] = l->s[i];
	}
	buf[n++] = '"';
	json_object *o = NULL;
	if (parse_json_text(buf + 1, n - 2, &o) < 0 && parse_json_text(buf, n, &o) < 0)
		return lex_error(l, start, "invalid JSON literal");
	Token *t;
	r = lex_push(l, T_LITERAL, start, end - start + 1, &t);
	if (r < 0) {
		json_object_put(o);
		return r;
	}
	t->lit = o;
	*ret_next = end + 1;
	return 0;
}

static bool is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int lex(Lexer *l)
{
	size_t i = 0;
	int r;

	while (i < l->len) {
		char c = l->s[i];
		char d = i + 1 < l->len ? l->s[i + 1] : '\0';
		TokType t;
		size_t n = 1;

		if (strchr(" \t\n\r", c) && c != '\0') {
			i++;
			continue;
		}
		if (is_ident_start(c)) {
			size_t j = i;
			while (j < l->len && (is_ident_start(l->s[j]) || is_digit(l->s[j])))
				j++;
			Token *tok;
			r = lex_push(l, T_UNQUOTED, i, j - i, &tok);
			if (r < 0)
				return r;
			tok->str = strndup(l->s + i, j - i);
			if (!tok->str)
				return -ENOMEM;
			tok->str_len = j - i;
			i = j;
			continue;
		}
		if (is_digit(c) || (c == '-' && is_digit(d))) {
			size_t j = i + (c == '-');
			int64_t v = 0;
			while (j < l->len && is_digit(l->s[j])) {
				/* Beyond 2^53 every index is out of range anyway. */
				if (v < MAX_INDEX)
					v = v * 10 + (l->s[j] - '0');
				j++;
			}
			Token *tok;
			r = lex_push(l, T_NUMBER, i, j - i, &tok);
			if (r < 0)
				return r;
			tok->num = c == '-' ? -v : v;
			i = j;
			continue;
		}
		switch (c) {
		case '"':
			r = lex_quoted(l, i, &i);
			if (r < 0)
				return r;
			continue;
		case '\'':
			r = lex_raw(l, i, &i);
			if (r < 0)
				return r;
			continue;
		case '`':
			r = lex_literal(l, i, &i);
			if (r < 0)
				return r;
			continue;
		case '.':
			t = T_DOT;
			break;
		case '*':
			t = T_STAR;
			break;
		case ']':
			t = T_RBRACKET;
			break;
		case ',':
			t = T_COMMA;
			break;
		case ':':
			t = T_COLON;
			break;
		case '@':
			t = T_CURRENT;
			break;
		case '(':
			t = T_LPAREN;
			break;
		case ')':
			t = T_RPAREN;
			break;
		case '{':
			t = T_LBRACE;
			break;
		case '}':
			t = T_RBRACE;
			break;
		case '[':
			if (d == ']')
				t = T_FLATTEN, n = 2;
			else if (d == '?')
				t = T_FILTER, n = 2;
			else
				t = T_LBRACKET;
			break;
		case '|':
			if (d == '|')
				t = T_OR, n = 2;
			else
				t = T_PIPE;
			break;
		case '&':
			if (d == '&')
				t = T_AND, n = 2;
			else
				t = T_EXPREF;
			break;
		case '!':
			if (d == '=')
				t = T_NE, n = 2;
			else
				t = T_NOT;
			break;
		case '<':
			if (d == '=')
				t = T_LTE, n = 2;
			else
				t = T_LT;
			break;
		case '>':
			if (d == '=')
				t = T_GTE, n = 2;
			else
				t = T_GT;
			break;
		case '=':
			if (d != '=')
				return lex_error(l, i, "expected '==' but found '='");
			t = T_EQ, n = 2;
			break;
		case '-':
			return lex_error(l, i, "expected a digit after '-'");
		default: {
			char what[64];
			size_t seq = 1;
			while (i + seq < l->len && seq < 4 &&
			       ((unsigned char)l->s[i + seq] & 0xc0) == 0x80)
				seq++;
			if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
				snprintf(what, sizeof(what), "unexpected character '%c'", c);
			else if ((unsigned char)c >= 0xc0 && utf8_is_valid_n(l->s + i, seq))
				snprintf(what, sizeof(what),
					 "unexpected character '%.*s' (quote names with \"...\")",
					 (int)seq, l->s + i);
			else
				snprintf(what, sizeof(what), "unexpected byte 0x%02x",
					 (unsigned char)c);
			return lex_error(l, i, what);
		}
		}
		r = lex_push(l, t, i, n, NULL);
		if (r < 0)
			return r;
		i += n;
	}
	return lex_push(l, T_EOF, l->len, 0, NULL);
}

static void tokens_free(Token *toks, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(toks[i].str);
		json_object_put(toks[i].lit);
	}
	free(toks);
}

/* ---- syntax tree ---- */

typedef enum NodeType {
	N_CURRENT,
	N_FIELD,
	N_LITERAL,
	N_CHAIN, /* a.b, a[0], a | b: each child applied to the previous result */
	N_INDEX,
	N_SLICE,
	N_PROJECTION,	    /* [left, right] */
	N_VALUE_PROJECTION, /* [left, right] */
	N_FILTER,	    /* [left, right, condition] */
	N_FLATTEN,	    /* [child] */
	N_OR,
	N_AND,
	N_NOT,
	N_COMPARE,
	N_MULTI_LIST,
	N_MULTI_HASH, /* kids[i] under keys[i] */
	N_FUNCTION,
	N_EXPREF,
} NodeType;

typedef struct Function Function;

typedef struct Node {
	NodeType type;
	unsigned depth; /* of the subtree, 1 for a leaf */
	struct Node **kids;
	size_t n_kids, cap_kids; /* keys, if any, has cap_kids slots too */
	char *name;		 /* N_FIELD */
	size_t name_len;
	bool may_be_function; /* N_FIELD from a bare unquoted identifier */
	char **keys;	      /* N_MULTI_HASH */
	json_object *lit;     /* N_LITERAL */
	int64_t index;	      /* N_INDEX */
	bool slice_has[3];    /* N_SLICE: start, stop, step */
	int64_t slice[3];
	TokType op; /* N_COMPARE */
	const Function *fn;
} Node;

static Node *node_free(Node *n)
{
	if (!n)
		return NULL;
	for (size_t i = 0; i < n->n_kids; i++) {
		node_free(n->kids[i]);
		if (n->keys)
			free(n->keys[i]);
	}
	free(n->kids);
	free(n->keys);
	free(n->name);
	json_object_put(n->lit);
	free(n);
	return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Node *, node_free);
#define _cleanup_node_ _cleanup_(node_freep)

static Node *node_new(NodeType type)
{
	Node *n = calloc(1, sizeof(Node));
	if (n) {
		n->type = type;
		n->depth = 1;
	}
	return n;
}

/* Room for one more child (and key): capacity doubles, so a.b.c... of any length stays linear. */
static int node_reserve(Node *n, bool with_keys)
{
	if (n->n_kids < n->cap_kids)
		return 0;
	size_t cap = n->cap_kids ? n->cap_kids * 2 : 4;
	Node **k = reallocarray(n->kids, cap, sizeof(Node *));
	if (!k)
		return -ENOMEM;
	n->kids = k;
	if (with_keys) {
		char **keys = reallocarray(n->keys, cap, sizeof(char *));
		if (!keys)
			return -ENOMEM;
		n->keys = keys;
	}
	n->cap_kids = cap;
	return 0;
}

/* Appends kid (ownership taken, also on failure). */
static int node_add(Node *n, Node *kid)
{
	if (node_reserve(n, !!n->keys) < 0) {
		node_free(kid);
		return -ENOMEM;
	}
	n->kids[n->n_kids++] = kid;
	n->depth = MAX(n->depth, kid->depth + 1);
	return 0;
}

/* A node with the given children (ownership taken, also on failure); NULL kids end the list early.
 */
static int node_make(NodeType type, Node **ret, Node *a, Node *b, Node *c)
{
	Node *kids[3] = {a, b, c};
	_cleanup_node_ Node *n = node_new(type);
	int r = n ? 0 : -ENOMEM;
	for (size_t i = 0; i < 3; i++) {
		if (!kids[i])
			continue;
		if (r < 0)
			node_free(kids[i]);
		else
			r = node_add(n, kids[i]);
	}
	if (r < 0)
		return r;
	*ret = TAKE_PTR(n);
	return 0;
}

/* left followed by right; chains stay flat so that long paths do not nest. */
static int node_chain(Node *left, Node *right, Node **ret)
{
	if (left->type == N_CHAIN) {
		int r = node_add(left, right);
		if (r < 0) {
			node_free(left);
			return r;
		}
		*ret = left;
		return 0;
	}
	return node_make(N_CHAIN, ret, left, right, NULL);
}

/* ---- functions table (implementations below) ---- */

enum {
	A_NUMBER = 1 << 0,
	A_STRING = 1 << 1,
	A_BOOLEAN = 1 << 2,
	A_ARRAY = 1 << 3,
	A_OBJECT = 1 << 4,
	A_NULL = 1 << 5,
	A_EXPREF = 1 << 6,
	A_ARRAY_NUMBER = 1 << 7,
	A_ARRAY_STRING = 1 << 8,
	A_ANY = A_NUMBER | A_STRING | A_BOOLEAN | A_ARRAY | A_OBJECT | A_NULL,
};

typedef struct Ctx Ctx;

typedef struct Arg {
	json_object *v;	    /* owned */
	const Node *expref; /* set when the argument is &expression */
} Arg;

struct Function {
	const char *name;
	size_t n_params;
	bool variadic; /* the last parameter repeats, at least once */
	unsigned params[2];
	int (*call)(Ctx *c, Arg *a, size_t n, json_object **ret);
};

static const Function *function_lookup(const char *name);

/* ---- parser ---- */

typedef struct Parser {
	Token *toks;
	size_t n, i;
	unsigned depth;
	const char *s;
	char *err;
	size_t errlen;
} Parser;

static Token *cur(Parser *p)
{
	return &p->toks[p->i];
}

static Token *peek(Parser *p, size_t k)
{
	return &p->toks[MIN(p->i + k, p->n - 1)];
}

static Token *advance(Parser *p)
{
	Token *t = cur(p);
	if (p->i + 1 < p->n)
		p->i++;
	return t;
}

static int syntax_error(Parser *p, const Token *t, const char *expected)
{
	if (t->type == T_EOF)
		return fail(p->err, p->errlen, -EINVAL,
			    "syntax error at column %zu: expected %s but the expression ended",
			    column(p->s, t->pos), expected);
	int len = (int)utf8_truncate_len(p->s + t->pos, t->len, 40);
	return fail(p->err, p->errlen, -EINVAL,
		    "syntax error at column %zu: expected %s but found '%.*s'",
		    column(p->s, t->pos), expected, len, p->s + t->pos);
}

static int expect(Parser *p, TokType type, const char *what)
{
	if (cur(p)->type != type)
		return syntax_error(p, cur(p), what);
	advance(p);
	return 0;
}

static int parse_expr(Parser *p, int rbp, Node **ret);

static int parse_multi_list(Parser *p, Node **ret)
{
	_cleanup_node_ Node *n = node_new(N_MULTI_LIST);
	if (!n)
		return -ENOMEM;
	for (;;) {
		Node *e;
		int r = parse_expr(p, 0, &e);
		if (r < 0)
			return r;
		r = node_add(n, e);
		if (r < 0)
			return r;
		if (cur(p)->type == T_RBRACKET)
			break;
		r = expect(p, T_COMMA, "',' or ']'");
		if (r < 0)
			return r;
	}
	advance(p);
	*ret = TAKE_PTR(n);
	return 0;
}

static int parse_multi_hash(Parser *p, Node **ret)
{
	_cleanup_node_ Node *n = node_new(N_MULTI_HASH);
	if (!n)
		return -ENOMEM;
	for (;;) {
		Token *k = cur(p);
		if (k->type != T_UNQUOTED && k->type != T_QUOTED)
			return syntax_error(p, k, "a key");
		advance(p);
		int r = expect(p, T_COLON, "':'");
		if (r < 0)
			return r;
		Node *e;
		r = parse_expr(p, 0, &e);
		if (r < 0)
			return r;
		if (node_reserve(n, true) < 0) {
			node_free(e);
			return -ENOMEM;
		}
		n->keys[n->n_kids] = strdup(k->str);
		if (!n->keys[n->n_kids]) {
			node_free(e);
			return -ENOMEM;
		}
		r = node_add(n, e);
		if (r < 0) {
			free(n->keys[n->n_kids]);
			return r;
		}
		if (cur(p)->type == T_RBRACE)
			break;
		r = expect(p, T_COMMA, "',' or '}'");
		if (r < 0)
			return r;
	}
	advance(p);
	*ret = TAKE_PTR(n);
	return 0;
}

/* What may follow a projection: nothing (identity), [..], [?..] or .rhs */
static int parse_dot_rhs(Parser *p, int rbp, Node **ret);

static int parse_projection_rhs(Parser *p, int rbp, Node **ret)
{
	TokType t = cur(p)->type;
	if (bp[t] < 10)
		return node_make(N_CURRENT, ret, NULL, NULL, NULL);
	if (t == T_LBRACKET || t == T_FILTER)
		return parse_expr(p, rbp, ret);
	if (t == T_DOT) {
		advance(p);
		return parse_dot_rhs(p, rbp, ret);
	}
	return syntax_error(p, cur(p), "'.', '[' or '[?'");
}

static int parse_dot_rhs(Parser *p, int rbp, Node **ret)
{
	switch (cur(p)->type) {
	case T_UNQUOTED:
	case T_QUOTED:
	case T_STAR:
		return parse_expr(p, rbp, ret);
	case T_LBRACKET:
		advance(p);
		return parse_multi_list(p, ret);
	case T_LBRACE:
		advance(p);
		return parse_multi_hash(p, ret);
	default:
		return syntax_error(p, cur(p), "an identifier, '*', '[' or '{' after '.'");
	}
}

/* After '[' when a number or ':' follows: an index or a slice. */
static int parse_index(Parser *p, Node **ret)
{
	if (cur(p)->type != T_COLON && peek(p, 1)->type != T_COLON) {
		Node *n = node_new(N_INDEX);
		if (!n)
			return -ENOMEM;
		n->index = advance(p)->num;
		int r = expect(p, T_RBRACKET, "']'");
		if (r < 0) {
			node_free(n);
			return r;
		}
		*ret = n;
		return 0;
	}

	_cleanup_node_ Node *n = node_new(N_SLICE);
	if (!n)
		return -ENOMEM;
	size_t part = 0;
	while (cur(p)->type != T_RBRACKET) {
		Token *t = cur(p);
		if (t->type == T_COLON) {
			if (++part == 3)
				return syntax_error(p, t, "']'");
		} else if (t->type == T_NUMBER && !n->slice_has[part]) {
			n->slice_has[part] = true;
			n->slice[part] = t->num;
		} else
			return syntax_error(
			    p, t, n->slice_has[part] ? "':' or ']'" : "a number, ':' or ']'");
		advance(p);
	}
	advance(p);
	*ret = TAKE_PTR(n);
	return 0;
}

/* left[index] or, for a slice, a projection over left[slice]. */
static int parse_index_led(Parser *p, Node *left, Node **ret)
{
	Node *idx = NULL;
	int r = parse_index(p, &idx);
	if (r < 0) {
		node_free(left);
		return r;
	}
	bool slice = idx->type == N_SLICE;
	Node *chain;
	r = node_chain(left, idx, &chain);
	if (r < 0)
		return r;
	if (!slice) {
		*ret = chain;
		return 0;
	}
	Node *rhs;
	r = parse_projection_rhs(p, bp[T_STAR], &rhs);
	if (r < 0) {
		node_free(chain);
		return r;
	}
	return node_make(N_PROJECTION, ret, chain, rhs, NULL);
}

static int parse_filter_led(Parser *p, Node *left, Node **ret)
{
	_cleanup_node_ Node *l = left, *cond = NULL, *rhs = NULL;
	int r = parse_expr(p, 0, &cond);
	if (r < 0)
		return r;
	r = expect(p, T_RBRACKET, "']'");
	if (r < 0)
		return r;
	if (cur(p)->type == T_FLATTEN)
		r = node_make(N_CURRENT, &rhs, NULL, NULL, NULL);
	else
		r = parse_projection_rhs(p, bp[T_FILTER], &rhs);
	if (r < 0)
		return r;
	return node_make(N_FILTER, ret, TAKE_PTR(l), TAKE_PTR(rhs), TAKE_PTR(cond));
}

static int parse_flatten_led(Parser *p, Node *left, Node **ret)
{
	Node *flat, *rhs;
	int r = node_make(N_FLATTEN, &flat, left, NULL, NULL);
	if (r < 0)
		return r;
	r = parse_projection_rhs(p, bp[T_FLATTEN], &rhs);
	if (r < 0) {
		node_free(flat);
		return r;
	}
	return node_make(N_PROJECTION, ret, flat, rhs, NULL);
}

static int parse_star_projection(Parser *p, NodeType type, Node *left, int rbp, Node **ret)
{
	Node *rhs;
	int r = parse_projection_rhs(p, rbp, &rhs);
	if (r < 0) {
		node_free(left);
		return r;
	}
	return node_make(type, ret, left, rhs, NULL);
}

static int parse_function(Parser *p, Node *left, const Token *at, Node **ret)
{
	_cleanup_node_ Node *l = left;
	if (l->type != N_FIELD || !l->may_be_function)
		return syntax_error(p, at, "an operator ('(' follows only a function name)");

	_cleanup_node_ Node *n = node_new(N_FUNCTION);
	if (!n)
		return -ENOMEM;
	if (cur(p)->type != T_RPAREN)
		for (;;) {
			Node *e;
			int r = parse_expr(p, 0, &e);
			if (r < 0)
				return r;
			r = node_add(n, e);
			if (r < 0)
				return r;
			if (cur(p)->type == T_RPAREN)
				break;
			r = expect(p, T_COMMA, "',' or ')'");
			if (r < 0)
				return r;
		}
	advance(p);

	/* Syntax errors first: "foo(" is incomplete before it is unknown. */
	const Function *fn = function_lookup(l->name);
	if (!fn)
		return fail(p->err, p->errlen, -EINVAL, "unknown-function: %s()", l->name);

	n->fn = fn;
	if (fn->variadic ? n->n_kids < fn->n_params : n->n_kids != fn->n_params)
		return fail(p->err, p->errlen, -EINVAL,
			    "invalid-arity: %s() takes %s%zu argument%s, got %zu", fn->name,
			    fn->variadic ? "at least " : "", fn->n_params,
			    fn->n_params == 1 ? "" : "s", n->n_kids);
	*ret = TAKE_PTR(n);
	return 0;
}

static int nud(Parser *p, Token *t, Node **ret)
{
	Node *n, *e;
	int r;

	switch (t->type) {
	case T_LITERAL:
		n = node_new(N_LITERAL);
		if (!n)
			return -ENOMEM;
		n->lit = json_object_get(t->lit);
		*ret = n;
		return 0;
	case T_UNQUOTED:
	case T_QUOTED:
		if (t->type == T_QUOTED && cur(p)->type == T_LPAREN)
			return syntax_error(
			    p, cur(p), "an operator (a quoted identifier cannot name a function)");
		n = node_new(N_FIELD);
		if (!n)
			return -ENOMEM;
		n->name = strdup(t->str);
		if (!n->name) {
			node_free(n);
			return -ENOMEM;
		}
		n->name_len = t->str_len;
		n->may_be_function = t->type == T_UNQUOTED;
		*ret = n;
		return 0;
	case T_CURRENT:
		return node_make(N_CURRENT, ret, NULL, NULL, NULL);
	case T_STAR:
		r = node_make(N_CURRENT, &n, NULL, NULL, NULL);
		if (r < 0)
			return r;
		return parse_star_projection(p, N_VALUE_PROJECTION, n, bp[T_STAR], ret);
	case T_FILTER:
		r = node_make(N_CURRENT, &n, NULL, NULL, NULL);
		if (r < 0)
			return r;
		return parse_filter_led(p, n, ret);
	case T_FLATTEN:
		r = node_make(N_CURRENT, &n, NULL, NULL, NULL);
		if (r < 0)
			return r;
		return parse_flatten_led(p, n, ret);
	case T_LBRACE:
		return parse_multi_hash(p, ret);
	case T_LBRACKET:
		if (cur(p)->type == T_NUMBER || cur(p)->type == T_COLON) {
			r = node_make(N_CURRENT, &n, NULL, NULL, NULL);
			if (r < 0)
				return r;
			return parse_index_led(p, n, ret);
		}
		if (cur(p)->type == T_STAR && peek(p, 1)->type == T_RBRACKET) {
			advance(p);
			advance(p);
			r = node_make(N_CURRENT, &n, NULL, NULL, NULL);
			if (r < 0)
				return r;
			return parse_star_projection(p, N_PROJECTION, n, bp[T_STAR], ret);
		}
		return parse_multi_list(p, ret);
	case T_EXPREF:
		r = parse_expr(p, 0, &e);
		if (r < 0)
			return r;
		return node_make(N_EXPREF, ret, e, NULL, NULL);
	case T_NOT:
		r = parse_expr(p, bp[T_NOT], &e);
		if (r < 0)
			return r;
		return node_make(N_NOT, ret, e, NULL, NULL);
	case T_LPAREN:
		r = parse_expr(p, 0, &e);
		if (r < 0)
			return r;
		r = expect(p, T_RPAREN, "')'");
		if (r < 0) {
			node_free(e);
			return r;
		}
		if (e->type == N_FIELD)
			e->may_be_function = false;
		*ret = e;
		return 0;
	default:
		return syntax_error(p, t, "an expression");
	}
}

static int led(Parser *p, Token *t, Node *left, Node **ret)
{
	Node *right;
	int r;

	switch (t->type) {
	case T_DOT:
		if (cur(p)->type == T_STAR) {
			advance(p);
			return parse_star_projection(p, N_VALUE_PROJECTION, left, bp[T_DOT], ret);
		}
		r = parse_dot_rhs(p, bp[T_DOT], &right);
		if (r < 0) {
			node_free(left);
			return r;
		}
		return node_chain(left, right, ret);
	case T_PIPE:
	case T_OR:
	case T_AND:
	case T_EQ:
	case T_NE:
	case T_LT:
	case T_LTE:
	case T_GT:
	case T_GTE:
		r = parse_expr(p, bp[t->type], &right);
		if (r < 0) {
			node_free(left);
			return r;
		}
		/* A pipe ends projections only by how its right side is parsed (bp 1). */
		if (t->type == T_PIPE)
			return node_chain(left, right, ret);
		r = node_make(t->type == T_OR	 ? N_OR
			      : t->type == T_AND ? N_AND
						 : N_COMPARE,
			      ret, left, right, NULL);
		if (r >= 0)
			(*ret)->op = t->type;
		return r;
	case T_LPAREN:
		return parse_function(p, left, t, ret);
	case T_FILTER:
		return parse_filter_led(p, left, ret);
	case T_FLATTEN:
		return parse_flatten_led(p, left, ret);
	case T_LBRACKET:
		if (cur(p)->type == T_NUMBER || cur(p)->type == T_COLON)
			return parse_index_led(p, left, ret);
		if (cur(p)->type != T_STAR || peek(p, 1)->type != T_RBRACKET) {
			node_free(left);
			return syntax_error(p, cur(p), "a number, ':' or '*'");
		}
		advance(p);
		advance(p);
		return parse_star_projection(p, N_PROJECTION, left, bp[T_STAR], ret);
	default:
		node_free(left);
		return syntax_error(p, t, "an operator");
	}
}

static int parse_expr(Parser *p, int rbp, Node **ret)
{
	if (p->depth >= MAX_PARSE_DEPTH)
		return fail(p->err, p->errlen, -EINVAL,
			    "syntax error at column %zu: expression nested deeper than %d",
			    column(p->s, cur(p)->pos), MAX_PARSE_DEPTH);
	p->depth++;

	Node *left;
	size_t at = cur(p)->pos;
	int r = nud(p, advance(p), &left);
	/* Checked at every step, so that a tree too deep is never built (nor freed recursively). */
	while (r >= 0 && left->depth <= MAX_TREE_DEPTH && rbp < bp[cur(p)->type]) {
		at = cur(p)->pos;
		r = led(p, advance(p), left, &left);
	}
	p->depth--;
	if (r < 0)
		return r;
	if (left->depth > MAX_TREE_DEPTH) {
		node_free(left);
		return fail(p->err, p->errlen, -EINVAL,
			    "syntax error at column %zu: expression nested deeper than %d",
			    column(p->s, at), MAX_TREE_DEPTH);
	}
	*ret = left;
	return 0;
}

struct JmesExpr {
	Node *root;
};

JmesExpr *jmespath_free(JmesExpr *e)
{
	if (e) {
		node_free(e->root);
		free(e);
	}
	return NULL;
}

static unsigned json_depth(json_object *o)
{
	unsigned d = 0;
	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			d = MAX(d, json_depth(json_object_array_get_idx(o, i)));
		return d + 1;
	}
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v)
		{
			(void)k;
			d = MAX(d, json_depth(v));
		}
		return d + 1;
	}
	return 0;
}

/*
 * How many levels of nesting evaluating n can add on top of its input. The
 * language has no loops, so this bounds every value a search builds: json-c
 * frees and prints values recursively, and [@] | [@] | ... must not outgrow
 * the stack. Saturates instead of overflowing.
 */
static unsigned added_depth(const Node *n)
{
	unsigned d = 0, sum = 0;
	for (size_t i = 0; i < n->n_kids; i++) {
		unsigned k = added_depth(n->kids[i]);
		d = MAX(d, k);
		sum = MIN(sum + k, (unsigned)MAX_ADDED_DEPTH + 1);
	}
	switch (n->type) {
	case N_LITERAL:
		return json_depth(n->lit);
	case N_MULTI_LIST:
	case N_MULTI_HASH:
		return d + 1;
	case N_CHAIN:
	case N_PROJECTION:
	case N_VALUE_PROJECTION:
		return sum; /* each child works on what the previous one built */
	case N_FILTER:
		return MIN(added_depth(n->kids[0]) + added_depth(n->kids[1]),
			   (unsigned)MAX_ADDED_DEPTH + 1);
	case N_FUNCTION:
		if (streq(n->fn->name, "to_array"))
			return d + 1;
		if (streq(n->fn->name, "map"))
			return sum;
		return d;
	case N_NOT:
	case N_COMPARE:
		return 0;
	default:
		return d;
	}
}

int jmespath_compile(const char *expr, JmesExpr **ret, char *err, size_t errlen)
{
	if (!expr || !ret)
		return -EINVAL;
	if (err && errlen > 0)
		err[0] = '\0';

	Lexer l = {.s = expr, .len = strlen(expr), .err = err, .errlen = errlen};
	int r = lex(&l);
	if (r >= 0) {
		Parser p = {.toks = l.toks, .n = l.n, .s = expr, .err = err, .errlen = errlen};
		Node *root = NULL;
		if (p.toks[0].type == T_EOF)
			r = fail(err, errlen, -EINVAL,
				 "syntax error at column 1: empty expression");
		else
			r = parse_expr(&p, 0, &root);
		if (r >= 0 && cur(&p)->type != T_EOF) {
			r = syntax_error(&p, cur(&p), "the end of the expression");
			root = node_free(root);
		}
		if (r >= 0 && added_depth(root) > MAX_ADDED_DEPTH) {
			r = fail(err, errlen, -E2BIG,
				 "expression too complex: it nests values more than %d levels deep",
				 MAX_ADDED_DEPTH);
			root = node_free(root);
		}
		if (r >= 0) {
			JmesExpr *e = malloc(sizeof(JmesExpr));
			if (!e) {
				node_free(root);
				r = -ENOMEM;
			} else {
				e->root = root;
				*ret = e;
			}
		}
	}
	tokens_free(l.toks, l.n);
	if (r == -ENOMEM)
		fail(err, errlen, r, "out of memory");
	return r < 0 ? r : 0;
}

/* ---- values ---- */

struct Ctx {
	char *err;
	size_t errlen;
	uint64_t steps, max_steps;
};

static int charge(Ctx *c, uint64_t n)
{
	c->steps += n;
	if (c->steps > c->max_steps)
		return fail(c->err, c->errlen, -E2BIG,
			    "evaluation stopped after %" PRIu64
			    " steps (the expression asks for too much work)",
			    c->max_steps);
	return 0;
}

static bool is_number(json_object *o)
{
	json_type t = json_object_get_type(o);
	return t == json_type_int || t == json_type_double;
}

static bool is_string(json_object *o)
{
	return json_object_is_type(o, json_type_string);
}

static bool is_array(json_object *o)
{
	return json_object_is_type(o, json_type_array);
}

static bool is_object(json_object *o)
{
	return json_object_is_type(o, json_type_object);
}

static const char *type_name(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "boolean";
	case json_type_int:
	case json_type_double:
		return "number";
	case json_type_string:
		return "string";
	case json_type_array:
		return "array";
	case json_type_object:
		return "object";
	}
	return "unknown";
}

typedef struct Num {
	bool is_int;
	int64_t i;
	double d;
} Num;

static Num num_get(json_object *o)
{
	if (json_object_is_type(o, json_type_int)) {
		int64_t i = json_object_get_int64(o);
		if (i == INT64_MAX && json_object_get_uint64(o) > (uint64_t)INT64_MAX)
			return (Num){.d = (double)json_object_get_uint64(o)};
		return (Num){.is_int = true, .i = i, .d = (double)i};
	}
	return (Num){.d = json_object_get_double(o)};
}

/* Shortest text that reads back as d, laid out as Python's repr() does. */
static void format_double(double d, char *buf, size_t len)
{
	char e[40];
	int prec;

	if (!isfinite(d)) {
		snprintf(buf, len, "%s", isnan(d) ? "NaN" : d < 0 ? "-Infinity" : "Infinity");
		return;
	}
	for (prec = 0; prec < 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec, d);
		if (strtod(e, NULL) == d)
			break;
	}
	/* e is [-]D[.DDD]e[+-]XX */
	char digits[24];
	size_t nd = 0;
	const char *s = e;
	bool neg = *s == '-';
	if (neg)
		s++;
	for (; *s && *s != 'e'; s++)
		if (is_digit(*s) && nd < sizeof(digits) - 1)
			digits[nd++] = *s;
	digits[nd] = '\0';
	int exp = atoi(s + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';

	StrBuf b = {0};
	if (neg)
		(void)strbuf_puts(&b, "-");
	if (exp >= 16 || exp < -4) {
		(void)strbuf_printf(&b, "%c", digits[0]);
		if (nd > 1)
			(void)strbuf_printf(&b, ".%s", digits + 1);
		(void)strbuf_printf(&b, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
	} else if (exp >= 0) {
		for (int i = 0; i <= exp; i++)
			(void)strbuf_printf(&b, "%c", (size_t)i < nd ? digits[i] : '0');
		(void)strbuf_printf(&b, ".%s", (size_t)exp + 1 < nd ? digits + exp + 1 : "0");
	} else {
		(void)strbuf_puts(&b, "0.");
		for (int i = 0; i < -exp - 1; i++)
			(void)strbuf_puts(&b, "0");
		(void)strbuf_puts(&b, digits);
	}
	snprintf(buf, len, "%s", b.data ? b.data : "0.0");
	strbuf_free(&b);
}

static json_object *new_double(double d)
{
	char buf[64];
	format_double(d, buf, sizeof(buf));
	return json_object_new_double_s(d, buf);
}

static json_object *num_new(Num n)
{
	return n.is_int ? json_object_new_int64(n.i) : new_double(n.d);
}

/* <0, 0, >0; exact for int64 against double on platforms with a wide long double. */
static int num_cmp(Num a, Num b)
{
	if (a.is_int && b.is_int)
		return (a.i > b.i) - (a.i < b.i);
	long double x = a.is_int ? (long double)a.i : a.d;
	long double y = b.is_int ? (long double)b.i : b.d;
	return (x > y) - (x < y);
}

static int str_cmp(json_object *a, json_object *b)
{
	size_t la = (size_t)json_object_get_string_len(a),
	       lb = (size_t)json_object_get_string_len(b);
	int r = memcmp(json_object_get_string(a), json_object_get_string(b), MIN(la, lb));
	if (r != 0)
		return r;
	return (la > lb) - (la < lb);
}

static bool truthy(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return false;
	case json_type_boolean:
		return json_object_get_boolean(o);
	case json_type_string:
		return json_object_get_string_len(o) > 0;
	case json_type_array:
		return json_object_array_length(o) > 0;
	case json_type_object:
		return json_object_object_length(o) > 0;
	default:
		return true;
	}
}

static int too_deep(Ctx *c)
{
	return fail(c->err, c->errlen, -E2BIG, "value nested deeper than %d", MAX_VALUE_DEPTH);
}

/* 1 if equal, 0 if not, <0 on error. Numbers compare by value, booleans never equal numbers. */
static int deep_equal(Ctx *c, json_object *a, json_object *b, unsigned depth)
{
	if (depth > MAX_VALUE_DEPTH)
		return too_deep(c);
	int r = charge(c, 1);
	if (r < 0)
		return r;
	if (is_number(a) && is_number(b))
		return num_cmp(num_get(a), num_get(b)) == 0;
	json_type t = json_object_get_type(a);
	if (t != json_object_get_type(b))
		return 0;
	switch (t) {
	case json_type_null:
		return 1;
	case json_type_boolean:
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	case json_type_string:
		return json_object_get_string_len(a) == json_object_get_string_len(b) &&
		       str_cmp(a, b) == 0;
	case json_type_array: {
		size_t n = json_object_array_length(a);
		if (n != json_object_array_length(b))
			return 0;
		for (size_t i = 0; i < n; i++) {
			r = deep_equal(c, json_object_array_get_idx(a, i),
				       json_object_array_get_idx(b, i), depth + 1);
			if (r <= 0)
				return r;
		}
		return 1;
	}
	case json_type_object: {
		if (json_object_object_length(a) != json_object_object_length(b))
			return 0;
		json_object_object_foreach(a, k, v)
		{
			json_object *w;
			if (!json_object_object_get_ex(b, k, &w))
				return 0;
			r = deep_equal(c, v, w, depth + 1);
			if (r <= 0)
				return r;
		}
		return 1;
	}
	default:
		return 0;
	}
}

static int oom(Ctx *c)
{
	return fail(c->err, c->errlen, -ENOMEM, "out of memory");
}

/* Appends a reference that the array now owns (taken also on failure). */
static int array_push(Ctx *c, json_object *arr, json_object *v)
{
	if (json_object_array_add(arr, v) < 0) {
		json_object_put(v);
		return oom(c);
	}
	return charge(c, 1);
}

static int new_array(Ctx *c, json_object **ret)
{
	*ret = json_object_new_array();
	return *ret ? 0 : oom(c);
}

/* ---- evaluation ---- */

static int eval(Ctx *c, const Node *n, json_object *v, json_object **ret);

static int eval_slice(Ctx *c, const Node *n, json_object *v, json_object **ret)
{
	if (!is_array(v)) {
		*ret = NULL;
		return 0;
	}
	int64_t len = (int64_t)json_object_array_length(v);
	int64_t step = n->slice_has[2] ? n->slice[2] : 1;
	if (step == 0)
		return fail(c->err, c->errlen, -EINVAL, "invalid-value: slice step cannot be 0");

	int64_t at[2];
	for (int k = 0; k < 2; k++) {
		if (!n->slice_has[k]) {
			at[k] = k == 0 ? (step < 0 ? len - 1 : 0) : (step < 0 ? -1 : len);
			continue;
		}
		int64_t x = n->slice[k];
		if (x < 0) {
			x += len;
			if (x < 0)
				x = step < 0 ? -1 : 0;
		} else if (x >= len)
			x = step < 0 ? len - 1 : len;
		at[k] = x;
	}

	_cleanup_json_ json_object *out = NULL;
	int r = new_array(c, &out);
	if (r < 0)
		return r;
	for (int64_t i = at[0]; step > 0 ? i < at[1] : i > at[1]; i += step) {
		r = array_push(c, out, json_object_get(json_object_array_get_idx(v, (size_t)i)));
		if (r < 0)
			return r;
		if ((step > 0 && i > INT64_MAX - step) || (step < 0 && i < INT64_MIN - step))
			break;
	}
	*ret = TAKE_PTR(out);
	return 0;
}

/* Applies n->kids[1] to each element of the array (or object values) n->kids[0] gives. */
static int eval_projection(Ctx *c, const Node *n, json_object *v, json_object **ret)
{
	_cleanup_json_ json_object *base = NULL, *out = NULL;
	int r = eval(c, n->kids[0], v, &base);
	if (r < 0)
		return r;
	*ret = NULL;
	if (n->type == N_VALUE_PROJECTION ? !is_object(base) : !is_array(base))
		return 0;

	r = new_array(c, &out);
	if (r < 0)
		return r;

	_cleanup_json_ json_object *values = NULL;
	if (n->type == N_VALUE_PROJECTION) {
		r = new_array(c, &values);
		if (r < 0)
			return r;
		json_object_object_foreach(base, k, val)
		{
			(void)k;
			r = array_push(c, values, json_object_get(val));
			if (r < 0)
				return r;
		}
	}
	json_object *items = values ? values : base;
	size_t len = json_object_array_length(items);
	for (size_t i = 0; i < len; i++) {
		json_object *el = json_object_array_get_idx(items, i), *x = NULL;
		if (n->type == N_FILTER) {
			_cleanup_json_ json_object *cond = NULL;
			r = eval(c, n->kids[2], el, &cond);
			if (r < 0)
				return r;
			if (!truthy(cond))
				continue;
		}
		r = eval(c, n->kids[1], el, &x);
		if (r < 0)
			return r;
		if (x) {
			r = array_push(c, out, x);
			if (r < 0)
				return r;
		}
	}
	*ret = TAKE_PTR(out);
	return 0;
}

static int eval_flatten(Ctx *c, const Node *n, json_object *v, json_object **ret)
{
	_cleanup_json_ json_object *base = NULL, *out = NULL;
	int r = eval(c, n->kids[0], v, &base);
	if (r < 0)
		return r;
	*ret = NULL;
	if (!is_array(base))
		return 0;
	r = new_array(c, &out);
	if (r < 0)
		return r;
	size_t len = json_object_array_length(base);
	for (size_t i = 0; i < len; i++) {
		json_object *el = json_object_array_get_idx(base, i);
		if (!is_array(el)) {
			r = array_push(c, out, json_object_get(el));
			if (r < 0)
				return r;
			continue;
		}
		size_t m = json_object_array_length(el);
		for (size_t j = 0; j < m; j++) {
			r = array_push(c, out, json_object_get(json_object_array_get_idx(el, j)));
			if (r < 0)
				return r;
		}
	}
	*ret = TAKE_PTR(out);
	return 0;
}

static int eval_compare(Ctx *c, const Node *n, json_object *v, json_object **ret)
{
	_cleanup_json_ json_object *a = NULL, *b = NULL;
	int r = eval(c, n->kids[0], v, &a);
	if (r < 0)
		return r;
	r = eval(c, n->kids[1], v, &b);
	if (r < 0)
		return r;

	if (n->op == T_EQ || n->op == T_NE) {
		r = deep_equal(c, a, b, 0);
		if (r < 0)
			return r;
		*ret = json_object_new_boolean(n->op == T_EQ ? r : !r);
		return *ret ? 0 : oom(c);
	}

	int cmp;
	if (is_number(a) && is_number(b))
		cmp = num_cmp(num_get(a), num_get(b));
	else if (is_string(a) && is_string(b))
		cmp = str_cmp(a, b);
	else {
		*ret = NULL;
		return 0;
	}
	bool res = n->op == T_LT    ? cmp < 0
		   : n->op == T_LTE ? cmp <= 0
		   : n->op == T_GT  ? cmp > 0
				    : cmp >= 0;
	*ret = json_object_new_boolean(res);
	return *ret ? 0 : oom(c);
}

static int eval_multi(Ctx *c, const Node *n, json_object *v, json_object **ret)
{
	*ret = NULL;
	if (!v)
		return 0;
	_cleanup_json_ json_object *out =
	    n->type == N_MULTI_LIST ? json_object_new_array() : json_object_new_object();
	if (!out)
		return oom(c);
	for (size_t i = 0; i < n->n_kids; i++) {
		json_object *x;
		int r = eval(c, n->kids[i], v, &x);
		if (r < 0)
			return r;
		if (n->type == N_MULTI_LIST)
			r = array_push(c, out, x);
		else {
			r = json_object_object_add(out, n->keys[i], x);
			if (r < 0) {
				json_object_put(x);
				return oom(c);
			}
			r = charge(c, 1);
		}
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(out);
	return 0;
}

static void args_free(Arg *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_object_put(a[i].v);
	free(a);
}

static const char *types_text(unsigned t)
{
	switch (t) {
	case A_NUMBER:
		return "number";
	case A_STRING:
		return "string";
	case A_ARRAY:
		return "array";
	case A_OBJECT:
		return "object";
	case A_EXPREF:
		return "expression (&...)";
	case A_ARRAY_NUMBER:
		return "array of numbers";
	case A_ARRAY | A_STRING:
		return "array or string";
	case A_ARRAY | A_STRING | A_OBJECT:
		return "string, array or object";
	case A_ARRAY_NUMBER | A_ARRAY_STRING:
		return "array of numbers or array of strings";
	case A_ARRAY_STRING:
		return "array of strings";
	default:
		return "any value";
	}
}

/* Does the argument match any type in the mask? Charges one step per array element checked. */
static int arg_matches(Ctx *c, const Arg *a, unsigned mask)
{
	if (a->expref)
		return !!(mask & A_EXPREF);
	json_object *v = a->v;
	unsigned t = is_number(v)				 ? A_NUMBER
		     : is_string(v)				 ? A_STRING
		     : json_object_is_type(v, json_type_boolean) ? A_BOOLEAN
		     : is_array(v)				 ? A_ARRAY
		     : is_object(v)				 ? A_OBJECT
								 : A_NULL;
	if (mask & t)
		return 1;
	if (t != A_ARRAY || !(mask & (A_ARRAY_NUMBER | A_ARRAY_STRING)))
		return 0;
	size_t len = json_object_array_length(v);
	int r = charge(c, len);
	if (r < 0)
		return r;
	for (unsigned want = A_ARRAY_NUMBER; want <= A_ARRAY_STRING; want <<= 1) {
		if (!(mask & want))
			continue;
		size_t i;
		for (i = 0; i < len; i++) {
			json_object *el = json_object_array_get_idx(v, i);
			if (want == A_ARRAY_NUMBER ? !is_number(el) : !is_string(el))
				break;
		}
		if (i == len)
			return 1;
	}
	return 0;
}

/* What an argument of the wrong type is, saying which element spoils an array. */
static void describe_arg(const Arg *a, unsigned mask, char *buf, size_t len)
{
	if (a->expref) {
		snprintf(buf, len, "expression");
		return;
	}
	snprintf(buf, len, "%s", type_name(a->v));
	if (!is_array(a->v) || !(mask & (A_ARRAY_NUMBER | A_ARRAY_STRING)))
		return;
	bool numbers = false, strings = false;
	for (size_t i = 0; i < json_object_array_length(a->v); i++) {
		json_object *el = json_object_array_get_idx(a->v, i);
		bool ok = ((mask & A_ARRAY_NUMBER) && is_number(el)) ||
			  ((mask & A_ARRAY_STRING) && is_string(el));
		if (!ok) {
			snprintf(buf, len, "array with %s %s at index %zu",
				 is_array(el) || is_object(el) ? "an" : "a", type_name(el), i);
			return;
		}
		numbers |= is_number(el);
		strings |= is_string(el);
	}
	if (numbers && strings)
		snprintf(buf, len, "array mixing numbers and strings");
}

static int eval_function(Ctx *c, const Node *n, json_object *v, json_object **ret)
{
	const Function *fn = n->fn;
	Arg *a = calloc(n->n_kids, sizeof(Arg));
	if (!a)
		return oom(c);
	int r = 0;
	for (size_t i = 0; i < n->n_kids && r >= 0; i++) {
		const Node *k = n->kids[i];
		if (k->type == N_EXPREF)
			a[i].expref = k->kids[0];
		else
			r = eval(c, k, v, &a[i].v);
	}
	for (size_t i = 0; i < n->n_kids && r >= 0; i++) {
		unsigned mask = fn->params[MIN(i, fn->n_params - 1)];
		r = arg_matches(c, &a[i], mask);
		if (r == 0) {
			char got[64];
			describe_arg(&a[i], mask, got, sizeof(got));
			r = fail(c->err, c->errlen, -EINVAL,
				 "invalid-type: %s() argument %zu: expected %s, got %s", fn->name,
				 i + 1, types_text(mask), got);
		}
	}
	if (r >= 0)
		r = fn->call(c, a, n->n_kids, ret);
	args_free(a, n->n_kids);
	return r < 0 ? r : 0;
}

static int eval(Ctx *c, const Node *n, json_object *v, json_object **ret)
{
	int r = charge(c, 1);
	if (r < 0)
		return r;

	switch (n->type) {
	case N_CURRENT:
		*ret = json_object_get(v);
		return 0;
	case N_LITERAL:
		*ret = json_object_get(n->lit);
		return 0;
	case N_FIELD: {
		json_object *x = NULL;
		if (is_object(v) && strlen(n->name) == n->name_len)
			(void)json_object_object_get_ex(v, n->name, &x);
		*ret = json_object_get(x);
		return 0;
	}
	case N_CHAIN: {
		_cleanup_json_ json_object *x = json_object_get(v);
		for (size_t i = 0; i < n->n_kids; i++) {
			json_object *y;
			r = eval(c, n->kids[i], x, &y);
			if (r < 0)
				return r;
			json_object_put(x);
			x = y;
		}
		*ret = TAKE_PTR(x);
		return 0;
	}
	case N_INDEX: {
		json_object *x = NULL;
		if (is_array(v)) {
			int64_t len = (int64_t)json_object_array_length(v);
			int64_t i = n->index < 0 ? n->index + len : n->index;
			if (i >= 0 && i < len)
				x = json_object_array_get_idx(v, (size_t)i);
		}
		*ret = json_object_get(x);
		return 0;
	}
	case N_SLICE:
		return eval_slice(c, n, v, ret);
	case N_PROJECTION:
	case N_VALUE_PROJECTION:
	case N_FILTER:
		return eval_projection(c, n, v, ret);
	case N_FLATTEN:
		return eval_flatten(c, n, v, ret);
	case N_OR:
	case N_AND: {
		json_object *x;
		r = eval(c, n->kids[0], v, &x);
		if (r < 0)
			return r;
		if (truthy(x) == (n->type == N_OR)) {
			*ret = x;
			return 0;
		}
		json_object_put(x);
		return eval(c, n->kids[1], v, ret);
	}
	case N_NOT: {
		_cleanup_json_ json_object *x = NULL;
		r = eval(c, n->kids[0], v, &x);
		if (r < 0)
			return r;
		*ret = json_object_new_boolean(!truthy(x));
		return *ret ? 0 : oom(c);
	}
	case N_COMPARE:
		return eval_compare(c, n, v, ret);
	case N_MULTI_LIST:
	case N_MULTI_HASH:
		return eval_multi(c, n, v, ret);
	case N_FUNCTION:
		return eval_function(c, n, v, ret);
	case N_EXPREF:
		return fail(c->err, c->errlen, -EINVAL,
			    "invalid-type: an expression reference (&...) is only valid as a "
			    "function argument");
	}
	return -EINVAL;
}

/* ---- built-in functions ---- */

static int ret_new(Ctx *c, json_object *o, json_object **ret)
{
	*ret = o;
	return o ? 0 : oom(c);
}

static int fn_abs(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	Num x = num_get(a[0].v);
	if (x.is_int && x.i != INT64_MIN) {
		x.i = x.i < 0 ? -x.i : x.i;
		return ret_new(c, json_object_new_int64(x.i), ret);
	}
	return ret_new(c, new_double(fabs(x.d)), ret);
}

/* Left-to-right sum as Python's sum(): integers stay integers until a float (or overflow) appears.
 */
static Num sum_numbers(json_object *arr)
{
	Num s = {.is_int = true};
	size_t len = json_object_array_length(arr);
	for (size_t i = 0; i < len; i++) {
		Num x = num_get(json_object_array_get_idx(arr, i));
		if (s.is_int && x.is_int && !__builtin_add_overflow(s.i, x.i, &s.i))
			continue;
		if (s.is_int) {
			s.is_int = false;
			s.d = (double)s.i;
		}
		s.d += x.is_int ? (double)x.i : x.d;
	}
	if (s.is_int)
		s.d = (double)s.i;
	return s;
}

static int fn_avg(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	size_t len = json_object_array_length(a[0].v);
	if (len == 0) {
		*ret = NULL;
		return 0;
	}
	Num s = sum_numbers(a[0].v);
	double d = s.is_int ? (double)((long double)s.i / (long double)len) : s.d / (double)len;
	return ret_new(c, new_double(d), ret);
}

static int fn_sum(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	return ret_new(c, num_new(sum_numbers(a[0].v)), ret);
}

static int round_number(Ctx *c, json_object *v, double (*f)(double), json_object **ret)
{
	Num x = num_get(v);
	if (x.is_int)
		return ret_new(c, json_object_new_int64(x.i), ret);
	double d = f(x.d);
	if (d >= -9223372036854775808.0 && d < 9223372036854775808.0)
		return ret_new(c, json_object_new_int64((int64_t)d), ret);
	return ret_new(c, new_double(d), ret);
}

static int fn_ceil(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	return round_number(c, a[0].v, ceil, ret);
}

static int fn_floor(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	return round_number(c, a[0].v, floor, ret);
}

static int fn_contains(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	json_object *subject = a[0].v, *search = a[1].v;
	bool found = false;
	if (is_string(subject)) {
		if (is_string(search)) {
			int r = charge(c, (uint64_t)json_object_get_string_len(subject) / 64);
			if (r < 0)
				return r;
			found = memmem(json_object_get_string(subject),
				       (size_t)json_object_get_string_len(subject),
				       json_object_get_string(search),
				       (size_t)json_object_get_string_len(search)) != NULL;
		}
	} else {
		size_t len = json_object_array_length(subject);
		for (size_t i = 0; i < len && !found; i++) {
			int r = deep_equal(c, json_object_array_get_idx(subject, i), search, 0);
			if (r < 0)
				return r;
			found = r;
		}
	}
	return ret_new(c, json_object_new_boolean(found), ret);
}

static int affix(Ctx *c, Arg *a, bool suffix, json_object **ret)
{
	size_t ls = (size_t)json_object_get_string_len(a[0].v);
	size_t lp = (size_t)json_object_get_string_len(a[1].v);
	const char *s = json_object_get_string(a[0].v);
	bool yes =
	    lp <= ls && memcmp(s + (suffix ? ls - lp : 0), json_object_get_string(a[1].v), lp) == 0;
	return ret_new(c, json_object_new_boolean(yes), ret);
}

static int fn_ends_with(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	return affix(c, a, true, ret);
}

static int fn_starts_with(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	return affix(c, a, false, ret);
}

static int fn_join(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	StrBuf b = {0};
	json_object *arr = a[1].v;
	size_t len = json_object_array_length(arr);
	int r = 0;
	for (size_t i = 0; i < len && r >= 0; i++) {
		json_object *s = json_object_array_get_idx(arr, i);
		if (i > 0)
			r = strbuf_append(&b, json_object_get_string(a[0].v),
					  (size_t)json_object_get_string_len(a[0].v));
		if (r >= 0)
			r = strbuf_append(&b, json_object_get_string(s),
					  (size_t)json_object_get_string_len(s));
		if (r >= 0)
			r = charge(c, 1 + b.len / 4096);
		else
			r = oom(c);
	}
	if (r >= 0 && b.len > INT32_MAX)
		r = fail(c->err, c->errlen, -E2BIG, "join() result too long");
	if (r >= 0)
		r = ret_new(c, json_object_new_string_len(b.data ? b.data : "", (int)b.len), ret);
	strbuf_free(&b);
	return r;
}

static int object_list(Ctx *c, json_object *o, bool want_keys, json_object **ret)
{
	_cleanup_json_ json_object *out = NULL;
	int r = new_array(c, &out);
	if (r < 0)
		return r;
	json_object_object_foreach(o, k, v)
	{
		json_object *x = want_keys ? json_object_new_string(k) : json_object_get(v);
		if (want_keys && !x)
			return oom(c);
		r = array_push(c, out, x);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(out);
	return 0;
}

static int fn_keys(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	return object_list(c, a[0].v, true, ret);
}

static int fn_values(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	return object_list(c, a[0].v, false, ret);
}

static size_t utf8_count(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

static int fn_length(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	json_object *v = a[0].v;
	size_t len = is_string(v)  ? utf8_count(json_object_get_string(v),
						(size_t)json_object_get_string_len(v))
		     : is_array(v) ? json_object_array_length(v)
				   : (size_t)json_object_object_length(v);
	return ret_new(c, json_object_new_int64((int64_t)len), ret);
}

static int fn_map(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	_cleanup_json_ json_object *out = NULL;
	int r = new_array(c, &out);
	if (r < 0)
		return r;
	size_t len = json_object_array_length(a[1].v);
	for (size_t i = 0; i < len; i++) {
		json_object *x;
		r = eval(c, a[0].expref, json_object_array_get_idx(a[1].v, i), &x);
		if (r < 0)
			return r;
		r = array_push(c, out, x);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(out);
	return 0;
}

/* Values of one kind (numbers or strings), compared. */
static int value_cmp(json_object *a, json_object *b)
{
	return is_number(a) ? num_cmp(num_get(a), num_get(b)) : str_cmp(a, b);
}

static int pick_extreme(Ctx *c, Arg *a, int sign, json_object **ret)
{
	json_object *arr = a[0].v, *best = NULL;
	size_t len = json_object_array_length(arr);
	for (size_t i = 0; i < len; i++) {
		json_object *el = json_object_array_get_idx(arr, i);
		if (!best || value_cmp(el, best) * sign > 0)
			best = el;
	}
	*ret = json_object_get(best);
	return 0;
}

static int fn_max(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	return pick_extreme(c, a, 1, ret);
}

static int fn_min(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	return pick_extreme(c, a, -1, ret);
}

/* Keys of &expr over an array: all numbers or all strings, else invalid-type. */
static int eval_keys(Ctx *c, const char *fname, Arg *a, json_object ***ret)
{
	json_object *arr = a[0].v;
	size_t len = json_object_array_length(arr);
	json_object **keys = calloc(len ? len : 1, sizeof(json_object *));
	if (!keys)
		return oom(c);
	int r = 0;
	size_t i;
	for (i = 0; i < len; i++) {
		r = eval(c, a[1].expref, json_object_array_get_idx(arr, i), &keys[i]);
		if (r < 0)
			break;
		bool ok = is_number(keys[i]) || is_string(keys[i]);
		if (ok && i > 0)
			ok = is_number(keys[i]) == is_number(keys[0]);
		if (!ok) {
			r = fail(
			    c->err, c->errlen, -EINVAL,
			    "invalid-type: %s() expression must give %s for every element, got %s",
			    fname,
			    i == 0		 ? "numbers or strings"
			    : is_number(keys[0]) ? "numbers"
						 : "strings",
			    type_name(keys[i]));
			i++;
			break;
		}
	}
	if (r < 0) {
		for (size_t j = 0; j < i; j++)
			json_object_put(keys[j]);
		free(keys);
		return r;
	}
	*ret = keys;
	return 0;
}

static void keys_free(json_object **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_object_put(keys[i]);
	free(keys);
}

static int pick_extreme_by(Ctx *c, Arg *a, const char *fname, int sign, json_object **ret)
{
	json_object **keys;
	size_t len = json_object_array_length(a[0].v);
	int r = eval_keys(c, fname, a, &keys);
	if (r < 0)
		return r;
	size_t best = 0;
	for (size_t i = 1; i < len; i++)
		if (value_cmp(keys[i], keys[best]) * sign > 0)
			best = i;
	*ret = len ? json_object_get(json_object_array_get_idx(a[0].v, best)) : NULL;
	keys_free(keys, len);
	return 0;
}

static int fn_max_by(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	return pick_extreme_by(c, a, "max_by", 1, ret);
}

static int fn_min_by(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	return pick_extreme_by(c, a, "min_by", -1, ret);
}

static int fn_merge(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	_cleanup_json_ json_object *out = json_object_new_object();
	if (!out)
		return oom(c);
	for (size_t i = 0; i < n; i++) {
		json_object_object_foreach(a[i].v, k, v)
		{
			if (json_object_object_add(out, k, json_object_get(v)) < 0) {
				json_object_put(v);
				return oom(c);
			}
			int r = charge(c, 1);
			if (r < 0)
				return r;
		}
	}
	*ret = TAKE_PTR(out);
	return 0;
}

static int fn_not_null(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	*ret = NULL;
	for (size_t i = 0; i < n; i++)
		if (a[i].v) {
			*ret = json_object_get(a[i].v);
			break;
		}
	return 0;
}

static int fn_reverse(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	json_object *v = a[0].v;
	if (is_string(v)) {
		size_t len = (size_t)json_object_get_string_len(v);
		const char *s = json_object_get_string(v);
		_cleanup_free_ char *buf = malloc(len + 1);
		if (!buf)
			return oom(c);
		/* Reverse by code point: copy each UTF-8 sequence to the mirrored place. */
		size_t i = 0;
		while (i < len) {
			size_t j = i + 1;
			while (j < len && ((unsigned char)s[j] & 0xc0) == 0x80)
				j++;
			memcpy(buf + len - j, s + i, j - i);
			i = j;
		}
		int r = charge(c, len / 64);
		if (r < 0)
			return r;
		return ret_new(c, json_object_new_string_len(buf, (int)len), ret);
	}
	_cleanup_json_ json_object *out = NULL;
	int r = new_array(c, &out);
	if (r < 0)
		return r;
	for (size_t i = json_object_array_length(v); i > 0; i--) {
		r = array_push(c, out, json_object_get(json_object_array_get_idx(v, i - 1)));
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(out);
	return 0;
}

/* Stable merge sort of indices by keys[idx] (numbers or strings, one kind). */
static void merge_sort(size_t *idx, size_t *tmp, size_t n, json_object **keys, Ctx *c)
{
	if (n < 2)
		return;
	size_t h = n / 2;
	merge_sort(idx, tmp, h, keys, c);
	merge_sort(idx + h, tmp, n - h, keys, c);
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		tmp[k++] = value_cmp(keys[idx[j]], keys[idx[i]]) < 0 ? idx[j++] : idx[i++];
	while (i < h)
		tmp[k++] = idx[i++];
	while (j < n)
		tmp[k++] = idx[j++];
	memcpy(idx, tmp, n * sizeof(size_t));
	c->steps += n;
}

static int sort_array(Ctx *c, json_object *arr, json_object **keys, json_object **ret)
{
	size_t len = json_object_array_length(arr);
	_cleanup_free_ size_t *idx = calloc(len ? len : 1, sizeof(size_t));
	_cleanup_free_ size_t *tmp = calloc(len ? len : 1, sizeof(size_t));
	if (!idx || !tmp)
		return oom(c);
	for (size_t i = 0; i < len; i++)
		idx[i] = i;
	merge_sort(idx, tmp, len, keys, c);
	int r = charge(c, 0);
	if (r < 0)
		return r;
	_cleanup_json_ json_object *out = NULL;
	r = new_array(c, &out);
	if (r < 0)
		return r;
	for (size_t i = 0; i < len; i++) {
		r = array_push(c, out, json_object_get(json_object_array_get_idx(arr, idx[i])));
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(out);
	return 0;
}

static int fn_sort(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	json_object *arr = a[0].v;
	size_t len = json_object_array_length(arr);
	_cleanup_free_ json_object **keys = calloc(len ? len : 1, sizeof(json_object *));
	if (!keys)
		return oom(c);
	for (size_t i = 0; i < len; i++)
		keys[i] = json_object_array_get_idx(arr, i);
	return sort_array(c, arr, keys, ret);
}

static int fn_sort_by(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	json_object **keys;
	int r = eval_keys(c, "sort_by", a, &keys);
	if (r < 0)
		return r;
	r = sort_array(c, a[0].v, keys, ret);
	keys_free(keys, json_object_array_length(a[0].v));
	return r;
}

static int fn_to_array(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	if (is_array(a[0].v)) {
		*ret = json_object_get(a[0].v);
		return 0;
	}
	_cleanup_json_ json_object *out = NULL;
	int r = new_array(c, &out);
	if (r < 0)
		return r;
	r = array_push(c, out, json_object_get(a[0].v));
	if (r < 0)
		return r;
	*ret = TAKE_PTR(out);
	return 0;
}

/* JSON as Python's json.dumps(v, separators=(",", ":")) writes it (ASCII only). */
static int dump_string(StrBuf *b, const char *s, size_t len)
{
	int r = strbuf_puts(b, "\"");
	for (size_t i = 0; i < len && r >= 0; i++) {
		unsigned char ch = (unsigned char)s[i];
		const char *esc = ch == '"'    ? "\\\""
				  : ch == '\\' ? "\\\\"
				  : ch == '\n' ? "\\n"
				  : ch == '\r' ? "\\r"
				  : ch == '\t' ? "\\t"
				  : ch == '\b' ? "\\b"
				  : ch == '\f' ? "\\f"
					       : NULL;
		if (esc) {
			r = strbuf_puts(b, esc);
			continue;
		}
		if (ch >= 0x20 && ch < 0x7f) {
			r = strbuf_append(b, (const char *)&ch, 1);
			continue;
		}
		uint32_t cp = ch;
		size_t extra = 0;
		if (ch >= 0xf0)
			cp = ch & 0x07, extra = 3;
		else if (ch >= 0xe0)
			cp = ch & 0x0f, extra = 2;
		else if (ch >= 0xc0)
			cp = ch & 0x1f, extra = 1;
		for (; extra > 0 && i + 1 < len; extra--)
			cp = (cp << 6) | ((unsigned char)s[++i] & 0x3f);
		if (cp >= 0x10000) {
			cp -= 0x10000;
			r = strbuf_printf(b, "\\u%04x\\u%04x", 0xd800 + (cp >> 10),
					  0xdc00 + (cp & 0x3ff));
		} else
			r = strbuf_printf(b, "\\u%04x", cp);
	}
	if (r >= 0)
		r = strbuf_puts(b, "\"");
	return r;
}

static int dump(Ctx *c, StrBuf *b, json_object *v, unsigned depth)
{
	if (depth > MAX_VALUE_DEPTH)
		return too_deep(c);
	int r = charge(c, 1);
	if (r < 0)
		return r;
	switch (json_object_get_type(v)) {
	case json_type_null:
		r = strbuf_puts(b, "null");
		break;
	case json_type_boolean:
		r = strbuf_puts(b, json_object_get_boolean(v) ? "true" : "false");
		break;
	case json_type_int:
	case json_type_double: {
		Num x = num_get(v);
		char buf[64];
		if (x.is_int)
			snprintf(buf, sizeof(buf), "%" PRId64, x.i);
		else if (json_object_is_type(v, json_type_int)) /* beyond int64 */
			snprintf(buf, sizeof(buf), "%" PRIu64, json_object_get_uint64(v));
		else
			format_double(x.d, buf, sizeof(buf));
		r = strbuf_puts(b, buf);
		break;
	}
	case json_type_string:
		r = dump_string(b, json_object_get_string(v),
				(size_t)json_object_get_string_len(v));
		if (r >= 0)
			r = charge(c, (uint64_t)json_object_get_string_len(v) / 64);
		break;
	case json_type_array: {
		r = strbuf_puts(b, "[");
		size_t len = json_object_array_length(v);
		for (size_t i = 0; i < len && r >= 0; i++) {
			if (i > 0)
				r = strbuf_puts(b, ",");
			if (r >= 0)
				r = dump(c, b, json_object_array_get_idx(v, i), depth + 1);
		}
		if (r >= 0)
			r = strbuf_puts(b, "]");
		break;
	}
	case json_type_object: {
		r = strbuf_puts(b, "{");
		bool first = true;
		json_object_object_foreach(v, k, val)
		{
			if (r < 0)
				break;
			if (!first)
				r = strbuf_puts(b, ",");
			first = false;
			if (r >= 0)
				r = dump_string(b, k, strlen(k));
			if (r >= 0)
				r = strbuf_puts(b, ":");
			if (r >= 0)
				r = dump(c, b, val, depth + 1);
		}
		if (r >= 0)
			r = strbuf_puts(b, "}");
		break;
	}
	}
	if (r == -ENOMEM)
		return oom(c);
	return r;
}

static int fn_to_string(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	if (is_string(a[0].v)) {
		*ret = json_object_get(a[0].v);
		return 0;
	}
	StrBuf b = {0};
	int r = dump(c, &b, a[0].v, 0);
	if (r >= 0 && b.len > INT32_MAX)
		r = fail(c->err, c->errlen, -E2BIG, "to_string() result too long");
	if (r >= 0)
		r = ret_new(c, json_object_new_string_len(b.data, (int)b.len), ret);
	strbuf_free(&b);
	return r;
}

/* A number written in a string; NULL result if it is not one. */
static int fn_to_number(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	json_object *v = a[0].v;
	*ret = NULL;
	if (is_number(v)) {
		*ret = json_object_get(v);
		return 0;
	}
	if (!is_string(v))
		return 0;

	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);
	if (len > 512 || strlen(s) != len)
		return 0;
	char buf[513];
	memcpy(buf, s, len + 1);
	char *p = strstrip(buf);

	/* [+-] digits [. digits] [e [+-] digits], at least one digit in the mantissa */
	const char *q = p;
	bool digits = false, is_int = true;
	if (*q == '+' || *q == '-')
		q++;
	while (is_digit(*q))
		q++, digits = true;
	if (*q == '.') {
		is_int = false;
		q++;
		while (is_digit(*q))
			q++, digits = true;
	}
	if (!digits)
		return 0;
	if (*q == 'e' || *q == 'E') {
		is_int = false;
		q++;
		if (*q == '+' || *q == '-')
			q++;
		if (!is_digit(*q))
			return 0;
		while (is_digit(*q))
			q++;
	}
	if (*q != '\0')
		return 0;

	if (is_int) {
		errno = 0;
		long long i = strtoll(p, NULL, 10);
		if (errno == 0)
			return ret_new(c, json_object_new_int64(i), ret);
	}
	double d = strtod(p, NULL);
	if (!isfinite(d))
		return 0;
	return ret_new(c, new_double(d), ret);
}

static int fn_type(Ctx *c, Arg *a, size_t n, json_object **ret)
{
	return ret_new(c, json_object_new_string(type_name(a[0].v)), ret);
}

static const Function functions[] = {
    {"abs", 1, false, {A_NUMBER}, fn_abs},
    {"avg", 1, false, {A_ARRAY_NUMBER}, fn_avg},
    {"ceil", 1, false, {A_NUMBER}, fn_ceil},
    {"contains", 2, false, {A_ARRAY | A_STRING, A_ANY}, fn_contains},
    {"ends_with", 2, false, {A_STRING, A_STRING}, fn_ends_with},
    {"floor", 1, false, {A_NUMBER}, fn_floor},
    {"join", 2, false, {A_STRING, A_ARRAY_STRING}, fn_join},
    {"keys", 1, false, {A_OBJECT}, fn_keys},
    {"length", 1, false, {A_STRING | A_ARRAY | A_OBJECT}, fn_length},
    {"map", 2, false, {A_EXPREF, A_ARRAY}, fn_map},
    {"max", 1, false, {A_ARRAY_NUMBER | A_ARRAY_STRING}, fn_max},
    {"max_by", 2, false, {A_ARRAY, A_EXPREF}, fn_max_by},
    {"merge", 1, true, {A_OBJECT}, fn_merge},
    {"min", 1, false, {A_ARRAY_NUMBER | A_ARRAY_STRING}, fn_min},
    {"min_by", 2, false, {A_ARRAY, A_EXPREF}, fn_min_by},
    {"not_null", 1, true, {A_ANY}, fn_not_null},
    {"reverse", 1, false, {A_STRING | A_ARRAY}, fn_reverse},
    {"sort", 1, false, {A_ARRAY_NUMBER | A_ARRAY_STRING}, fn_sort},
    {"sort_by", 2, false, {A_ARRAY, A_EXPREF}, fn_sort_by},
    {"starts_with", 2, false, {A_STRING, A_STRING}, fn_starts_with},
    {"sum", 1, false, {A_ARRAY_NUMBER}, fn_sum},
    {"to_array", 1, false, {A_ANY}, fn_to_array},
    {"to_number", 1, false, {A_ANY}, fn_to_number},
    {"to_string", 1, false, {A_ANY}, fn_to_string},
    {"type", 1, false, {A_ANY}, fn_type},
    {"values", 1, false, {A_OBJECT}, fn_values},
};

static const Function *function_lookup(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(functions); i++)
		if (streq(functions[i].name, name))
			return &functions[i];
	return NULL;
}

/* ---- entry points ---- */

/* The caller will serialise the result: refuse one that unfolds (shared sub-values) too far. */
static int check_result(Ctx *c, json_object *v, unsigned depth)
{
	if (depth > MAX_VALUE_DEPTH)
		return too_deep(c);
	int r = charge(c, 1);
	if (r < 0)
		return r;
	if (is_array(v)) {
		size_t len = json_object_array_length(v);
		for (size_t i = 0; i < len; i++) {
			r = check_result(c, json_object_array_get_idx(v, i), depth + 1);
			if (r < 0)
				return r;
		}
	} else if (is_object(v)) {
		json_object_object_foreach(v, k, val)
		{
			(void)k;
			r = check_result(c, val, depth + 1);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int jmespath_search_limited(const JmesExpr *e, json_object *data, uint64_t max_steps,
			    json_object **ret, char *err, size_t errlen)
{
	if (!e || !ret || max_steps == 0)
		return -EINVAL;
	if (err && errlen > 0)
		err[0] = '\0';

	Ctx c = {.err = err, .errlen = errlen, .max_steps = max_steps};
	_cleanup_json_ json_object *out = NULL;
	int r = eval(&c, e->root, data, &out);
	if (r < 0)
		return r == -E2BIG || r == -ENOMEM ? r : -EINVAL;

	/* A budget of its own: the work so far does not count against the result's size. */
	c.steps = 0;
	r = check_result(&c, out, 0);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(out);
	return 0;
}

int jmespath_search(const JmesExpr *e, json_object *data, json_object **ret, char *err,
		    size_t errlen)
{
	return jmespath_search_limited(e, data, JMESPATH_DEFAULT_MAX_STEPS, ret, err, errlen);
}

int jmespath_query(const char *expr, json_object *data, json_object **ret, char *err, size_t errlen)
{
	_cleanup_jmespath_ JmesExpr *e = NULL;
	int r = jmespath_compile(expr, &e, err, errlen);
	if (r < 0)
		return r;
	return jmespath_search(e, data, ret, err, errlen);
}
