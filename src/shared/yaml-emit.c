/* SPDX-License-Identifier: MIT */
/*
 * YAML output as the Azure CLI's (PyYAML's safe_dump with
 * default_flow_style=False and allow_unicode=True). The state kept here
 * (column, indent, "just wrote whitespace", "only indentation so far on this
 * line") is what decides every line break and space in PyYAML's block
 * style, so it is tracked the same way; columns count code points.
 */
#include "yaml-emit.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"

#define BEST_WIDTH 80
#define BEST_INDENT 2
/* PyYAML writes a key as "? key" past this length, counting the 5 of its "!!str" tag. */
#define SIMPLE_KEY_MAX (128 - 5)

/* pygments' TerminalFormatter colours for the YAML lexer's tokens. */
#define C_OFF "\033[39;49;00m"
#define C_WS "\033[37m"
#define C_KEY "\033[94m"
#define C_STR "\033[33m"
#define C_STR_SPACE "\033[31m"
#define C_DOC_END "\033[04m\033[36m"

typedef struct Emitter {
	StrBuf *out;
	bool color;
	int indent; /* -1: none yet */
	int column;
	bool whitespace;
	bool indention;
	bool open_ended;
	bool in_double_quoted;
	int r;
} Emitter;

/* A string as code points; a byte that is not UTF-8 becomes U+DC00 + byte, never printable. */
typedef struct Text {
	uint32_t *cp;
	size_t n;
} Text;

static int text_decode(const char *s, size_t len, Text *t)
{
	t->cp = calloc(len + 1, sizeof(uint32_t));
	t->n = 0;
	if (!t->cp)
		return -ENOMEM;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		size_t k = c < 0x80		? 1
			   : (c & 0xe0) == 0xc0 ? 2
			   : (c & 0xf0) == 0xe0 ? 3
			   : (c & 0xf8) == 0xf0 ? 4
						: 0;
		if (k > 1 && i + k <= len && utf8_is_valid_n(s + i, k)) {
			uint32_t v = c & (0x7f >> k);
			for (size_t j = 1; j < k; j++)
				v = (v << 6) | ((unsigned char)s[i + j] & 0x3f);
			t->cp[t->n++] = v;
			i += k;
		} else {
			t->cp[t->n++] = k == 1 ? c : 0xdc00 + c;
			i++;
		}
	}
	return 0;
}

static void put_bytes(Emitter *e, const char *s, size_t n)
{
	if (e->r >= 0 && n > 0)
		e->r = strbuf_append(e->out, s, n);
}

static void put_str(Emitter *e, const char *s)
{
	put_bytes(e, s, strlen(s));
}

static void put_colored(Emitter *e, const char *color, const char *s, size_t n)
{
	if (e->color && color && n > 0)
		put_str(e, color);
	put_bytes(e, s, n);
	if (e->color && color && n > 0)
		put_str(e, C_OFF);
}

/* A code point as UTF-8; the stand-in for a byte that is not UTF-8 as that byte. */
static void put_cp(StrBuf *b, uint32_t v, int *r)
{
	if (*r < 0)
		return;
	if (v >= 0xdc80 && v <= 0xdcff) {
		char c = (char)(v - 0xdc00);
		*r = strbuf_append(b, &c, 1);
	} else
		*r = strbuf_put_utf8(b, v);
}

/*
 * Code points [start, end) of t in the colour of their kind. Inside quotes
 * pygments colours each run of spaces apart from the rest.
 */
static void write_text(Emitter *e, const Text *t, size_t start, size_t end, const char *color)
{
	StrBuf b = {};
	int r = 0;
	for (size_t i = start; i < end; i++)
		put_cp(&b, t->cp[i], &r);
	if (r < 0)
		e->r = r;
	else if (e->color && color && streq(color, C_STR)) {
		/* Runs of spaces in one colour, of anything else in another. */
		for (size_t i = 0; i < b.len;) {
			size_t j = i;
			bool sp = b.data[i] == ' ';
			while (j < b.len && (b.data[j] == ' ') == sp)
				j++;
			put_colored(e, sp ? C_STR_SPACE : C_STR, b.data + i, j - i);
			i = j;
		}
	} else
		put_colored(e, color, b.data, b.len);
	e->column += (int)(end - start);
	strbuf_free(&b);
}

static void write_line_break(Emitter *e)
{
	if (e->color && !e->in_double_quoted)
		put_str(e, C_WS C_OFF);
	put_str(e, "\n");
	e->whitespace = true;
	e->indention = true;
	e->column = 0;
}

static void write_spaces(Emitter *e, int n)
{
	char sp[256];
	while (n > 0) {
		int k = MIN(n, (int)sizeof(sp));
		memset(sp, ' ', (size_t)k);
		put_colored(e, C_WS, sp, (size_t)k);
		e->column += k;
		n -= k;
	}
}

static void write_indent(Emitter *e)
{
	int indent = MAX(e->indent, 0);
	if (!e->indention || e->column > indent || (e->column == indent && !e->whitespace))
		write_line_break(e);
	if (e->column < indent) {
		e->whitespace = true;
		write_spaces(e, indent - e->column);
	}
}

/* An indicator (":", "-", "?", "[", "'", ...), after a space when it needs one. */
static void write_indicator(Emitter *e, const char *ind, bool need_whitespace, bool whitespace,
			    bool indention, const char *color)
{
	if (!e->whitespace && need_whitespace)
		write_spaces(e, 1);
	put_colored(e, color, ind, strlen(ind));
	e->column += (int)strlen(ind);
	e->whitespace = whitespace;
	e->indention = e->indention && indention;
	e->open_ended = false;
}

static bool is_break(uint32_t c)
{
	return c == '\n' || c == 0x85 || c == 0x2028 || c == 0x2029;
}

static bool is_space_or_end(const Text *t, size_t i)
{
	if (i >= t->n)
		return true;
	uint32_t c = t->cp[i];
	return c == 0 || c == ' ' || c == '\t' || c == '\r' || is_break(c);
}

/* Printable as is with allow_unicode (PyYAML's test; U+FEFF and U+10FFFF are not). */
static bool is_printable_unicode(uint32_t c)
{
	return c == 0x85 || (c >= 0xa0 && c <= 0xd7ff) ||
	       (c >= 0xe000 && c <= 0xfffd && c != 0xfeff) || (c >= 0x10000 && c < 0x10ffff);
}

typedef struct Analysis {
	bool empty, multiline;
	bool allow_flow_plain, allow_block_plain, allow_single_quoted;
} Analysis;

static Analysis analyze(const Text *t)
{
	Analysis a = {
	    .allow_flow_plain = true, .allow_block_plain = true, .allow_single_quoted = true};
	bool block_ind = false, flow_ind = false, line_breaks = false, special = false;
	bool leading_space = false, leading_break = false, trailing_space = false,
	     trailing_break = false, break_space = false, space_break = false;
	bool prev_space = false, prev_break = false, preceded_by_ws = true;

	if (t->n == 0) {
		a.empty = true;
		a.allow_flow_plain = false;
		return a;
	}
	if (t->n >= 3 && ((t->cp[0] == '-' && t->cp[1] == '-' && t->cp[2] == '-') ||
			  (t->cp[0] == '.' && t->cp[1] == '.' && t->cp[2] == '.')))
		block_ind = flow_ind = true;
	for (size_t i = 0; i < t->n; i++) {
		uint32_t c = t->cp[i];
		bool followed_by_ws = is_space_or_end(t, i + 1);
		if (i == 0) {
			if (c < 0x80 && strchr("#,[]{}&*!|>'\"%@`", (int)c) && c)
				flow_ind = block_ind = true;
			if (c == '?' || c == ':') {
				flow_ind = true;
				block_ind = block_ind || followed_by_ws;
			}
			if (c == '-' && followed_by_ws)
				flow_ind = block_ind = true;
		} else {
			if (c < 0x80 && c && strchr(",?[]{}", (int)c))
				flow_ind = true;
			if (c == ':') {
				flow_ind = true;
				block_ind = block_ind || followed_by_ws;
			}
			if (c == '#' && preceded_by_ws)
				flow_ind = block_ind = true;
		}
		if (is_break(c))
			line_breaks = true;
		if (!(c == '\n' || (c >= 0x20 && c <= 0x7e)) && !is_printable_unicode(c))
			special = true;
		if (c == ' ') {
			leading_space = leading_space || i == 0;
			trailing_space = trailing_space || i == t->n - 1;
			break_space = break_space || prev_break;
			prev_space = true;
			prev_break = false;
		} else if (is_break(c)) {
			leading_break = leading_break || i == 0;
			trailing_break = trailing_break || i == t->n - 1;
			space_break = space_break || prev_space;
			prev_space = false;
			prev_break = true;
		} else
			prev_space = prev_break = false;
		preceded_by_ws = is_space_or_end(t, i);
	}
	if (leading_space || leading_break || trailing_space || trailing_break || line_breaks)
		a.allow_flow_plain = a.allow_block_plain = false;
	if (break_space)
		a.allow_flow_plain = a.allow_block_plain = a.allow_single_quoted = false;
	if (space_break || special)
		a.allow_flow_plain = a.allow_block_plain = a.allow_single_quoted = false;
	if (flow_ind)
		a.allow_flow_plain = false;
	if (block_ind)
		a.allow_block_plain = false;
	a.multiline = line_breaks;
	return a;
}

static void write_plain(Emitter *e, const Text *t, bool split, bool root, const char *color)
{
	bool spaces = false;
	size_t start = 0;

	if (root)
		e->open_ended = true;
	if (t->n == 0)
		return;
	if (!e->whitespace)
		write_spaces(e, 1);
	e->whitespace = e->indention = false;
	/* Plain scalars have no line breaks: only spaces may become one. */
	for (size_t end = 0; end <= t->n; end++) {
		uint32_t c = end < t->n ? t->cp[end] : 0;
		bool at_end = end == t->n;
		if (spaces) {
			if (c != ' ' || at_end) {
				if (start + 1 == end && e->column > BEST_WIDTH && split) {
					write_indent(e);
					e->whitespace = e->indention = false;
				} else
					write_text(e, t, start, end, color);
				start = end;
			}
		} else if (at_end || c == ' ') {
			write_text(e, t, start, end, color);
			start = end;
		}
		spaces = !at_end && c == ' ';
	}
}

/* A run of line breaks inside quotes: a '\n' first is written twice (a folded line). */
static void write_breaks(Emitter *e, const Text *t, size_t start, size_t end)
{
	if (t->cp[start] == '\n')
		write_line_break(e);
	for (size_t i = start; i < end; i++) {
		if (t->cp[i] == '\n')
			write_line_break(e);
		else {
			/* U+0085, U+2028, U+2029 are written as they are. */
			write_text(e, t, i, i + 1, C_STR);
			e->whitespace = e->indention = true;
			e->column = 0;
		}
	}
	write_indent(e);
}

static void write_single_quoted(Emitter *e, const Text *t, bool split)
{
	bool spaces = false, breaks = false;
	size_t start = 0;

	write_indicator(e, "'", true, false, false, C_STR);
	for (size_t end = 0; end <= t->n; end++) {
		bool at_end = end == t->n;
		uint32_t c = at_end ? 0 : t->cp[end];
		if (spaces) {
			if (at_end || c != ' ') {
				if (start + 1 == end && e->column > BEST_WIDTH && split &&
				    start != 0 && end != t->n)
					write_indent(e);
				else
					write_text(e, t, start, end, C_STR);
				start = end;
			}
		} else if (breaks) {
			if (at_end || !is_break(c)) {
				write_breaks(e, t, start, end);
				start = end;
			}
		} else if (at_end || c == ' ' || is_break(c) || c == '\'') {
			if (start < end) {
				write_text(e, t, start, end, C_STR);
				start = end;
			}
		}
		if (c == '\'' && !at_end) {
			put_colored(e, C_STR, "''", 2);
			e->column += 2;
			start = end + 1;
		}
		if (!at_end) {
			spaces = c == ' ';
			breaks = is_break(c);
		}
	}
	write_indicator(e, "'", false, false, false, C_STR);
}

static const char *escape_of(uint32_t c)
{
	switch (c) {
	case 0:
		return "0";
	case 0x07:
		return "a";
	case 0x08:
		return "b";
	case 0x09:
		return "t";
	case 0x0a:
		return "n";
	case 0x0b:
		return "v";
	case 0x0c:
		return "f";
	case 0x0d:
		return "r";
	case 0x1b:
		return "e";
	case '"':
		return "\"";
	case '\\':
		return "\\";
	case 0x85:
		return "N";
	case 0xa0:
		return "_";
	case 0x2028:
		return "L";
	case 0x2029:
		return "P";
	default:
		return NULL;
	}
}

static void write_escape(Emitter *e, uint32_t c)
{
	char buf[16];
	const char *s = escape_of(c);
	if (c >= 0xdc80 && c <= 0xdcff) /* not UTF-8: the byte */
		c -= 0xdc00;
	if (s)
		snprintf(buf, sizeof(buf), "\\%s", s);
	else if (c <= 0xff)
		snprintf(buf, sizeof(buf), "\\x%02X", c);
	else if (c <= 0xffff)
		snprintf(buf, sizeof(buf), "\\u%04X", c);
	else
		snprintf(buf, sizeof(buf), "\\U%08X", c);
	put_colored(e, C_STR, buf, strlen(buf));
	e->column += (int)strlen(buf);
}

static void write_double_quoted(Emitter *e, const Text *t, bool split)
{
	size_t start = 0;

	write_indicator(e, "\"", true, false, false, C_STR);
	e->in_double_quoted = true;
	for (size_t end = 0; end <= t->n; end++) {
		bool at_end = end == t->n;
		uint32_t c = at_end ? 0 : t->cp[end];
		if (at_end || c == '"' || c == '\\' || c == 0x85 || c == 0x2028 || c == 0x2029 ||
		    c == 0xfeff ||
		    !((c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) ||
		      (c >= 0xe000 && c <= 0xfffd))) {
			if (start < end) {
				write_text(e, t, start, end, C_STR);
				start = end;
			}
			if (!at_end) {
				write_escape(e, c);
				start = end + 1;
			}
		}
		if (end > 0 && end + 1 < t->n && (c == ' ' || start >= end) &&
		    e->column + (int)(end - start) > BEST_WIDTH && split) {
			if (start < end) {
				write_text(e, t, start, end, C_STR);
				start = end;
			}
			put_colored(e, C_STR, "\\", 1);
			e->column++;
			write_indent(e);
			e->whitespace = e->indention = false;
			if (t->cp[start] == ' ') {
				put_colored(e, C_STR, "\\", 1);
				e->column++;
			}
		}
	}
	e->in_double_quoted = false;
	write_indicator(e, "\"", false, false, false, C_STR);
}

/* A plain scalar's text resolves to str unless it matches one of YAML 1.1's other types. */
static bool match_digits(const char **p, const char *set, size_t min, size_t max)
{
	size_t n = 0;
	while (**p && strchr(set, **p) && n < max) {
		(*p)++;
		n++;
	}
	return n >= min;
}

#define DIGITS "0123456789"
#define DIGITS_ "0123456789_"

/* (:[0-5]?[0-9])+ */
static bool match_sexagesimal(const char **p)
{
	bool any = false;
	while (**p == ':') {
		const char *s = *p + 1;
		if (s[0] >= '0' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9')
			s += 2;
		else if (s[0] >= '0' && s[0] <= '9')
			s += 1;
		else
			return false;
		*p = s;
		any = true;
	}
	return any;
}

static const char *skip_sign(const char *s)
{
	return *s == '-' || *s == '+' ? s + 1 : s;
}

static bool is_int(const char *s)
{
	const char *p = skip_sign(s);
	if (startswith(p, "0b"))
		return p[2] && strspn(p + 2, "01_") == strlen(p + 2);
	if (startswith(p, "0x"))
		return p[2] && strspn(p + 2, DIGITS "abcdefABCDEF_") == strlen(p + 2);
	if (p[0] == '0')
		return strspn(p + 1, "01234567_") == strlen(p + 1);
	if (!(p[0] >= '1' && p[0] <= '9'))
		return false;
	p += strspn(p, DIGITS_);
	return !*p || (match_sexagesimal(&p) && !*p);
}

static bool match_exponent(const char **p)
{
	if ((**p != 'e' && **p != 'E') || ((*p)[1] != '-' && (*p)[1] != '+'))
		return true; /* optional: nothing consumed */
	const char *s = *p + 2;
	if (!match_digits(&s, DIGITS, 1, SIZE_MAX))
		return true;
	*p = s;
	return true;
}

static bool is_float(const char *s)
{
	const char *p = skip_sign(s);
	if (streq(p, ".inf") || streq(p, ".Inf") || streq(p, ".INF"))
		return true;
	if (streq(s, ".nan") || streq(s, ".NaN") || streq(s, ".NAN"))
		return true;
	if (s[0] == '.' && s[1] >= '0' && s[1] <= '9') {
		p = s + 2 + strspn(s + 2, DIGITS_);
		match_exponent(&p);
		return !*p;
	}
	if (!(*p >= '0' && *p <= '9'))
		return false;
	p += strspn(p, DIGITS_);
	if (*p == ':' && !match_sexagesimal(&p))
		return false;
	if (*p != '.')
		return false;
	bool sexagesimal = strchr(s, ':') != NULL;
	p++;
	p += strspn(p, DIGITS_);
	if (!sexagesimal)
		match_exponent(&p);
	return !*p;
}

static bool is_timestamp(const char *s)
{
	const char *p = s;
	if (!match_digits(&p, DIGITS, 4, 4) || *p++ != '-')
		return false;
	if (strlen(s) == 10 && match_digits(&(const char *){p}, DIGITS, 2, 2) && p[2] == '-' &&
	    match_digits(&(const char *){p + 3}, DIGITS, 2, 2))
		return true;
	if (!match_digits(&p, DIGITS, 1, 2) || *p++ != '-' || !match_digits(&p, DIGITS, 1, 2))
		return false;
	if (*p == 'T' || *p == 't')
		p++;
	else if (!match_digits(&p, " \t", 1, SIZE_MAX))
		return false;
	if (!match_digits(&p, DIGITS, 1, 2) || *p++ != ':' || !match_digits(&p, DIGITS, 2, 2) ||
	    *p++ != ':' || !match_digits(&p, DIGITS, 2, 2))
		return false;
	if (*p == '.') {
		p++;
		p += strspn(p, DIGITS);
	}
	if (!*p)
		return true;
	p += strspn(p, " \t");
	if (*p == 'Z')
		return !p[1];
	if (*p != '-' && *p != '+')
		return false;
	p++;
	if (!match_digits(&p, DIGITS, 1, 2))
		return false;
	if (*p == ':') {
		p++;
		if (!match_digits(&p, DIGITS, 2, 2))
			return false;
	}
	return !*p;
}

bool yaml_plain_is_str(const char *s)
{
	static const char *const words[] = {
	    "",	   "~",	   "null", "Null", "NULL",  "yes",   "Yes",   "YES", "no", "No",
	    "NO",  "true", "True", "TRUE", "false", "False", "FALSE", "on",  "On", "ON",
	    "off", "Off",  "OFF",  "<<",   "=",	    "!",     "&",     "*",
	};
	for (size_t i = 0; i < ELEMENTSOF(words); i++)
		if (streq(s, words[i]))
			return false;
	return !is_int(s) && !is_float(s) && !is_timestamp(s);
}

/* A scalar: plain if it reads back the same, else single quotes, else double. */
static void write_scalar(Emitter *e, const char *s, size_t len, bool is_str, bool simple_key,
			 bool root)
{
	Text t = {};
	if (text_decode(s, len, &t) < 0) {
		e->r = -ENOMEM;
		return;
	}
	Analysis a = analyze(&t);
	/* The lexer's keys: plain ones without quotes in them. */
	const char *plain_color =
	    simple_key && !memchr(s, '\'', len) && !memchr(s, '"', len) ? C_KEY : NULL;
	bool implicit = !is_str || (!memchr(s, 0, len) && yaml_plain_is_str(s));
	int saved = e->indent;
	e->indent = e->indent < 0 ? BEST_INDENT : e->indent + BEST_INDENT;
	if (implicit && !(simple_key && (a.empty || a.multiline)) && a.allow_block_plain)
		write_plain(e, &t, !simple_key, root, plain_color);
	else if (a.allow_single_quoted && !(simple_key && a.multiline))
		write_single_quoted(e, &t, !simple_key);
	else
		write_double_quoted(e, &t, !simple_key);
	e->indent = saved;
	free(t.cp);
}

static void emit_node(Emitter *e, json_object *o, bool root, bool in_sequence, bool in_mapping,
		      bool simple_key);

static bool is_empty_collection(json_object *o)
{
	return (json_object_is_type(o, json_type_array) && json_object_array_length(o) == 0) ||
	       (json_object_is_type(o, json_type_object) && json_object_object_length(o) == 0);
}

/* A key fits on its line ("key: value") unless empty, multi-line or long. */
static bool is_simple_key(const char *k)
{
	Text t = {};
	if (text_decode(k, strlen(k), &t) < 0)
		return true;
	Analysis a = analyze(&t);
	free(t.cp);
	return t.n < SIMPLE_KEY_MAX && !a.empty && !a.multiline;
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void emit_mapping(Emitter *e, json_object *o)
{
	size_t n = (size_t)json_object_object_length(o), k = 0;
	const char **keys = calloc(n, sizeof(*keys));
	if (!keys) {
		e->r = -ENOMEM;
		return;
	}
	json_object_object_foreach(o, key, val)
	{
		(void)val;
		keys[k++] = key;
	}
	qsort(keys, n, sizeof(*keys), cmp_key);
	int saved = e->indent;
	e->indent = e->indent < 0 ? 0 : e->indent + BEST_INDENT;
	for (size_t i = 0; i < n && e->r >= 0; i++) {
		json_object *v = json_object_object_get(o, keys[i]);
		json_object *kobj = json_object_new_string(keys[i]);
		if (!kobj) {
			e->r = -ENOMEM;
			break;
		}
		write_indent(e);
		if (is_simple_key(keys[i])) {
			emit_node(e, kobj, false, false, true, true);
			write_indicator(e, ":", false, false, false, NULL);
		} else {
			write_indicator(e, "?", true, false, true, NULL);
			emit_node(e, kobj, false, false, true, false);
			write_indent(e);
			write_indicator(e, ":", true, false, true, NULL);
		}
		json_object_put(kobj);
		emit_node(e, v, false, false, true, false);
	}
	e->indent = saved;
	free(keys);
}

static void emit_sequence(Emitter *e, json_object *o, bool in_mapping)
{
	int saved = e->indent;
	/* A list that is a mapping's value starts at the key's column ("key:\n- a"). */
	if (e->indent < 0)
		e->indent = 0;
	else if (!(in_mapping && !e->indention))
		e->indent += BEST_INDENT;
	for (size_t i = 0; i < json_object_array_length(o) && e->r >= 0; i++) {
		write_indent(e);
		write_indicator(e, "-", true, false, true, NULL);
		emit_node(e, json_object_array_get_idx(o, i), false, true, false, false);
	}
	e->indent = saved;
}

static void emit_node(Emitter *e, json_object *o, bool root, bool in_sequence, bool in_mapping,
		      bool simple_key)
{
	char buf[64];
	(void)in_sequence;
	switch (json_object_get_type(o)) {
	case json_type_null:
		write_scalar(e, "null", 4, false, simple_key, root);
		return;
	case json_type_boolean:
		write_scalar(e, json_object_get_boolean(o) ? "true" : "false",
			     json_object_get_boolean(o) ? 4 : 5, false, simple_key, root);
		return;
	case json_type_int:
		if (json_object_get_int64(o) == INT64_MAX && json_object_get_uint64(o) > INT64_MAX)
			snprintf(buf, sizeof(buf), "%llu",
				 (unsigned long long)json_object_get_uint64(o));
		else
			snprintf(buf, sizeof(buf), "%lld", (long long)json_object_get_int64(o));
		write_scalar(e, buf, strlen(buf), false, simple_key, root);
		return;
	case json_type_double: {
		double d = json_object_get_double(o);
		if (isnan(d))
			snprintf(buf, sizeof(buf), ".nan");
		else if (isinf(d))
			snprintf(buf, sizeof(buf), d > 0 ? ".inf" : "-.inf");
		else {
			/* PyYAML: repr, and "1e+16" as "1.0e+16" so that it reads back as a float.
			 */
			char r[48];
			python_float_repr(r, sizeof(r), d);
			char *x = strchr(r, 'e');
			if (x && !strchr(r, '.'))
				snprintf(buf, sizeof(buf), "%.*s.0%s", (int)(x - r), r, x);
			else
				snprintf(buf, sizeof(buf), "%s", r);
		}
		write_scalar(e, buf, strlen(buf), false, simple_key, root);
		return;
	}
	case json_type_string:
		write_scalar(e, json_object_get_string(o), (size_t)json_object_get_string_len(o),
			     true, simple_key, root);
		return;
	case json_type_array:
	case json_type_object:
		if (is_empty_collection(o)) {
			bool list = json_object_is_type(o, json_type_array);
			write_indicator(e, list ? "[" : "{", true, true, false, NULL);
			write_indicator(e, list ? "]" : "}", false, false, false, NULL);
		} else if (json_object_is_type(o, json_type_array))
			emit_sequence(e, o, in_mapping);
		else
			emit_mapping(e, o);
		return;
	}
}

int yaml_emit(StrBuf *b, json_object *o, bool color)
{
	Emitter e = {.out = b, .color = color, .indent = -1, .whitespace = true, .indention = true};
	emit_node(&e, o, true, false, false, false);
	e.indent = -1;
	write_indent(&e);
	if (e.open_ended) {
		write_indicator(&e, "...", true, false, false, C_DOC_END);
		write_indent(&e);
	}
	return e.r < 0 ? e.r : 0;
}

void python_float_repr(char *buf, size_t size, double d)
{
	char e[40], digits[32];
	int exp10 = 0;
	size_t nd = 0;

	if (!isfinite(d)) {
		snprintf(buf, size, "%s", isnan(d) ? "nan" : d > 0 ? "inf" : "-inf");
		return;
	}
	for (int prec = 0; prec <= 16; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec, d);
		if (strtod(e, NULL) == d)
			break;
	}
	/* e is [-]D[.DDD]e[+-]XX: its digits, and the exponent. */
	const char *p = e[0] == '-' ? e + 1 : e;
	for (; *p && *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	if (*p == 'e')
		exp10 = atoi(p + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';

	StrBuf b = {};
	int decpt = exp10 + 1;
	if (signbit(d))
		strbuf_puts(&b, "-");
	if (decpt > -4 && decpt <= 16) {
		if (decpt <= 0) {
			strbuf_puts(&b, "0.");
			for (int i = decpt; i < 0; i++)
				strbuf_puts(&b, "0");
			strbuf_puts(&b, digits);
		} else if ((size_t)decpt >= nd) {
			strbuf_puts(&b, digits);
			for (size_t i = nd; i < (size_t)decpt; i++)
				strbuf_puts(&b, "0");
			strbuf_puts(&b, ".0");
		} else
			strbuf_printf(&b, "%.*s.%s", decpt, digits, digits + decpt);
	} else
		strbuf_printf(&b, "%c%s%se%c%02d", digits[0], nd > 1 ? "." : "", digits + 1,
			      exp10 < 0 ? '-' : '+', abs(exp10));
	snprintf(buf, size, "%s", b.data ? b.data : "0.0");
	strbuf_free(&b);
}
