/* SPDX-License-Identifier: MIT */
#include "strutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

const char *startswith(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

const char *startswith_no_case(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncasecmp(s, prefix, n) == 0 ? s + n : NULL;
}

bool endswith(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

/* Length of the valid UTF-8 sequence at s (at most len bytes), or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool utf8_is_valid_n(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_seq_len(p + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

size_t utf8_truncate_len(const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	if (len <= max)
		return len;
	while (i < max) {
		size_t n = utf8_seq_len(p + i, len - i);
		if (n == 0)
			n = 1; /* invalid byte: treat as a unit of its own */
		if (i + n > max)
			break;
		i += n;
	}
	return i;
}

bool has_control_chars(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

void strv_free(char **l)
{
	if (!l)
		return;
	for (char **i = l; *i; i++)
		free(*i);
	free(l);
}

size_t strv_length(char *const *l)
{
	size_t n = 0;
	if (l)
		while (l[n])
			n++;
	return n;
}

int strv_push(char ***l, char *value)
{
	size_t n = strv_length(*l);
	char **nl = realloc(*l, sizeof(char *) * (n + 2));
	if (!nl) {
		free(value);
		return -ENOMEM;
	}
	nl[n] = value;
	nl[n + 1] = NULL;
	*l = nl;
	return 0;
}

int strv_extend(char ***l, const char *value)
{
	char *v = strdup(value);
	if (!v)
		return -ENOMEM;
	return strv_push(l, v);
}

bool strv_contains(char *const *l, const char *s)
{
	if (l)
		for (; *l; l++)
			if (streq(*l, s))
				return true;
	return false;
}

int strv_split(const char *s, const char *sep, char ***ret)
{
	_cleanup_strv_free_ char **l = NULL;
	const char *p = s;
	int r;

	while (*p) {
		size_t skip = strspn(p, sep);
		p += skip;
		if (!*p)
			break;
		size_t n = strcspn(p, sep);
		char *w = strndup(p, n);
		if (!w)
			return -ENOMEM;
		r = strv_push(&l, w);
		if (r < 0)
			return r;
		p += n;
	}
	if (!l) {
		l = calloc(1, sizeof(char *));
		if (!l)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(l);
	return 0;
}

int strbuf_append(StrBuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 64;
		while (ncap < b->len + n + 1) {
			if (ncap > SIZE_MAX / 2)
				return -ENOMEM;
			ncap *= 2;
		}
		char *d = realloc(b->data, ncap);
		if (!d)
			return -ENOMEM;
		b->data = d;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int strbuf_puts(StrBuf *b, const char *s)
{
	return strbuf_append(b, s, strlen(s));
}

int strbuf_printf(StrBuf *b, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	int r = strbuf_append(b, s, (size_t)n);
	free(s);
	return r;
}

void strbuf_free(StrBuf *b)
{
	free(b->data);
	*b = (StrBuf){0};
}

int strbuf_put_utf8(StrBuf *b, uint32_t cp)
{
	char s[4];
	size_t n;

	if (cp < 0x80) {
		s[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		s[0] = (char)(0xc0 | (cp >> 6));
		s[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		s[0] = (char)(0xe0 | (cp >> 12));
		s[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		s[0] = (char)(0xf0 | (cp >> 18));
		s[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		s[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return strbuf_append(b, s, n);
}

char *strbuf_steal(StrBuf *b)
{
	char *d = b->data;
	if (!d)
		d = strdup("");
	*b = (StrBuf){0};
	return d;
}

char *strstrip(char *s)
{
	char *e;
	size_t skip = 0;

	while (s[skip] && isspace((unsigned char)s[skip]))
		skip++;
	if (skip)
		memmove(s, s + skip, strlen(s + skip) + 1);
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

char *ascii_strlower(char *s)
{
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

int safe_atou64(const char *s, unsigned long long *ret)
{
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int parse_boolean(const char *s)
{
	static const char *const yes[] = {"1", "yes", "y", "true", "t", "on"};
	static const char *const no[] = {"0", "no", "n", "false", "f", "off"};

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(yes); i++)
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
	for (size_t i = 0; i < ELEMENTSOF(no); i++)
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	return -EINVAL;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int base64_decode(const char *in, size_t len, unsigned char **ret, size_t *ret_len)
{
	_cleanup_free_ unsigned char *out = malloc(len / 4 * 3 + 4);
	uint32_t acc = 0;
	size_t n = 0, bits = 0, pad = 0;

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (isspace(c))
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0)
			return -EINVAL; /* data after padding */
		int v = b64_value(c);
		if (v < 0)
			return -EINVAL;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (pad > 2 || bits >= 6)
		return -EINVAL;
	out[n] = 0;
	*ret = TAKE_PTR(out);
	if (ret_len)
		*ret_len = n;
	return 0;
}

char *base64_encode(const void *in, size_t len)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = in;
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		*o++ = tbl[(v >> 18) & 63];
		*o++ = tbl[(v >> 12) & 63];
		*o++ = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? tbl[v & 63] : '=';
	}
	*o = '\0';
	return out;
}
