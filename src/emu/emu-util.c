/* SPDX-License-Identifier: MIT */
#include "emu-util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fileio.h"
#include "strutil.h"

const char *const emu_imds_api_versions[] = {
    "2017-03-01", "2017-04-02", "2017-08-01", "2017-10-01", "2017-12-01", "2018-02-01",
    "2018-04-02", "2018-10-01", "2019-02-01", "2019-03-11", "2019-04-30", "2019-06-01",
    "2019-06-04", "2019-08-01", "2019-08-15", "2019-11-01", "2020-06-01", "2020-07-15",
    "2020-09-01", "2020-10-01", "2020-12-01", "2021-01-01", "2021-02-01", "2021-03-01",
    "2021-05-01", "2021-08-01", "2021-10-01", "2021-11-01", "2021-11-15", "2021-12-13",
    "2023-07-01", "2023-11-15", "2024-03-15", "2024-07-17", "2025-04-07",
};
const size_t emu_imds_api_versions_n = ELEMENTSOF(emu_imds_api_versions);

bool emu_imds_api_version_known(const char *v)
{
	if (!v)
		return false;
	for (size_t i = 0; i < emu_imds_api_versions_n; i++)
		if (streq(v, emu_imds_api_versions[i]))
			return true;
	return false;
}

void emu_pairs_free(EmuPair *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].value);
	}
	free(p);
}

int emu_pairs_add(EmuPair **p, size_t *n, const char *name, const char *value)
{
	EmuPair *np = realloc(*p, (*n + 1) * sizeof(EmuPair));
	if (!np)
		return -ENOMEM;
	*p = np;
	np[*n].name = strdup(name);
	np[*n].value = strdup(value ? value : "");
	if (!np[*n].name || !np[*n].value) {
		free(np[*n].name);
		free(np[*n].value);
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

static bool name_eq(const char *a, const char *b, bool nocase)
{
	return nocase ? strcasecmp(a, b) == 0 : streq(a, b);
}

const char *emu_pairs_get(const EmuPair *p, size_t n, const char *name, bool nocase)
{
	for (size_t i = 0; i < n; i++)
		if (name_eq(p[i].name, name, nocase))
			return p[i].value;
	return NULL;
}

size_t emu_pairs_count(const EmuPair *p, size_t n, const char *name, bool nocase)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		if (name_eq(p[i].name, name, nocase))
			c++;
	return c;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *emu_percent_decode(const char *s, size_t len, bool plus_is_space)
{
	char *out = malloc(len + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			*o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else if (s[i] == '+' && plus_is_space)
			*o++ = ' ';
		else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

int emu_query_parse(const char *query, EmuPair **ret, size_t *ret_n)
{
	EmuPair *pairs = NULL;
	size_t n = 0;
	const char *p = query;

	while (p && *p) {
		size_t len = strcspn(p, "&");
		if (len > 0) {
			const char *eq = memchr(p, '=', len);
			size_t klen = eq ? (size_t)(eq - p) : len;
			_cleanup_free_ char *k = emu_percent_decode(p, klen, true);
			_cleanup_free_ char *v =
			    eq ? emu_percent_decode(eq + 1, len - klen - 1, true) : strdup("");
			if (!k || !v || emu_pairs_add(&pairs, &n, k, v) < 0) {
				emu_pairs_free(pairs, n);
				return -ENOMEM;
			}
		}
		p += len;
		if (*p == '&')
			p++;
	}
	*ret = pairs;
	*ret_n = n;
	return 0;
}

char *emu_path_strip_trailing_slash(const char *path)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	return strndup(path, len);
}

char *emu_queue_key(const char *path, const char *query)
{
	_cleanup_free_ char *p = emu_path_strip_trailing_slash(isempty(path) ? "/" : path);
	EmuPair *params = NULL;
	size_t n = 0;
	char *key = NULL;

	if (!p)
		return NULL;
	if (emu_query_parse(query, &params, &n) < 0)
		return NULL;
	const char *comp = emu_pairs_get(params, n, "comp", false);
	if (comp) {
		if (asprintf(&key, "%s?comp=%s", p, comp) < 0)
			key = NULL;
	} else
		key = TAKE_PTR(p);
	emu_pairs_free(params, n);
	return key;
}

char *emu_queue_key_from_string(const char *key)
{
	const char *q = strchr(key, '?');
	if (!q)
		return emu_queue_key(key, NULL);
	_cleanup_free_ char *path = strndup(key, (size_t)(q - key));
	if (!path)
		return NULL;
	return emu_queue_key(path, q + 1);
}

char *emu_xml_escape(const char *s)
{
	StrBuf b = {};
	for (const char *p = s; *p; p++) {
		const char *rep = NULL;
		switch (*p) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		}
		if ((rep ? strbuf_puts(&b, rep) : strbuf_append(&b, p, 1)) < 0) {
			strbuf_free(&b);
			return NULL;
		}
	}
	return strbuf_steal(&b);
}

char *emu_json_compact(json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);
	return s ? strdup(s) : NULL;
}

int emu_json_parse(const char *buf, size_t len, json_object **ret, char *err, size_t errlen)
{
	if (len > INT_MAX) {
		snprintf(err, errlen, "document too large");
		return -EFBIG;
	}
	if (memchr(buf, '\0', len)) {
		snprintf(err, errlen, "NUL byte at offset %zu",
			 (size_t)((const char *)memchr(buf, '\0', len) - buf));
		return -EBADMSG;
	}
	json_tokener *tok = json_tokener_new_ex(64);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_object *o = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t off = json_tokener_get_parse_end(tok);
	int r = 0;

	if (!o && jerr == json_tokener_continue) {
		snprintf(err, errlen, "unexpected end of JSON at offset %zu", len);
		r = -EBADMSG;
	} else if (!o || jerr != json_tokener_success) {
		snprintf(err, errlen, "invalid JSON at offset %zu: %s", off,
			 json_tokener_error_desc(jerr));
		r = -EBADMSG;
	} else {
		for (size_t i = off; i < len; i++)
			if (!strchr(" \t\r\n", buf[i])) {
				snprintf(err, errlen, "trailing data after JSON at offset %zu", i);
				r = -EBADMSG;
				break;
			}
	}
	json_tokener_free(tok);
	if (r < 0) {
		json_object_put(o);
		return r;
	}
	*ret = o;
	return 0;
}

json_object *emu_json_seconds(unsigned long long usec)
{
	char buf[48];
	snprintf(buf, sizeof(buf), "%llu.%06llu", usec / 1000000ULL, usec % 1000000ULL);
	return json_object_new_double_s((double)usec / 1e6, buf);
}

char *emu_base64url(const void *in, size_t len)
{
	char *s = base64_encode(in, len);
	if (!s)
		return NULL;
	size_t j = 0;
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '=')
			continue;
		s[j++] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
	}
	s[j] = '\0';
	return s;
}

int emu_address_is_loopback(const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return -EINVAL;
}

int emu_read_file_beneath(const char *base_dir, const char *rel, size_t max, char **ret,
			  size_t *ret_len, char *err, size_t errlen)
{
	_cleanup_free_ char *base = NULL, *joined = NULL, *real = NULL;

	if (isempty(rel)) {
		snprintf(err, errlen, "empty file name");
		return -EINVAL;
	}
	if (rel[0] == '/') {
		snprintf(err, errlen, "'%s' is absolute; it must be relative to %s", rel,
			 strempty(base_dir));
		return -EINVAL;
	}
	base = realpath(isempty(base_dir) ? "." : base_dir, NULL);
	if (!base) {
		int r = negative_errno();
		snprintf(err, errlen, "cannot resolve directory '%s': %s", strempty(base_dir),
			 strerror(-r));
		return r;
	}
	if (asprintf(&joined, "%s/%s", base, rel) < 0) {
		joined = NULL;
		return -ENOMEM;
	}
	real = realpath(joined, NULL);
	if (!real) {
		int r = negative_errno();
		snprintf(err, errlen, "cannot open '%s': %s", rel, strerror(-r));
		return r;
	}
	const char *rest = startswith(real, base);
	if (!rest || (rest[0] != '/' && !streq(base, "/"))) {
		snprintf(err, errlen, "'%s' escapes the scenario directory %s", rel, base);
		return -EPERM;
	}
	int r = read_full_file(real, max, ret, ret_len);
	if (r < 0) {
		snprintf(err, errlen, "cannot read '%s': %s", rel,
			 r == -EFBIG ? "file too large" : strerror(-r));
		return r;
	}
	return 0;
}

json_object *emu_jwt_payload(const char *token)
{
	const char *p = strchr(token, '.'), *q;
	if (!p || !(q = strchr(p + 1, '.')))
		return NULL;
	size_t n = (size_t)(q - p - 1);
	_cleanup_free_ char *b = malloc(n + 4);
	_cleanup_free_ unsigned char *out = NULL;
	size_t out_len;
	json_object *o = NULL;
	if (!b)
		return NULL;
	for (size_t i = 0; i < n; i++)
		b[i] = p[1 + i] == '-' ? '+' : p[1 + i] == '_' ? '/' : p[1 + i];
	while (n % 4)
		b[n++] = '=';
	b[n] = '\0';
	if (base64_decode(b, n, &out, &out_len) < 0)
		return NULL;
	if (emu_json_parse((const char *)out, out_len, &o, NULL, 0) < 0)
		return NULL;
	return o;
}
