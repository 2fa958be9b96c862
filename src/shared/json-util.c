/* SPDX-License-Identifier: MIT */
#include "json-util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strutil.h"

#define JSON_MAX_DEPTH 64

/*
 * json-c keeps one value when an object repeats a key, so a document can say
 * two things at once ("adminUsername":"azureuser","adminUsername":"root").
 * This scanner walks the raw text, collects each object's keys (escapes
 * decoded, so "a" and "\u0061" are the same key) and reports the first
 * duplicate. Syntax errors are left for json-c to report.
 */

typedef struct KeyList {
	char **keys;
	size_t n, cap;
	bool is_object;
	bool expect_key;
} KeyList;

static void keylist_clear(KeyList *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->keys[i]);
	free(k->keys);
	*k = (KeyList){0};
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int hex4(const char *p, size_t left, uint32_t *ret)
{
	uint32_t v = 0;
	if (left < 4)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* Decode the string starting after the opening quote at *i. Leaves *i after the closing quote. */
static int scan_string(const char *buf, size_t len, size_t *i, StrBuf *out)
{
	size_t p = *i;

	while (p < len) {
		char c = buf[p];
		if (c == '"') {
			*i = p + 1;
			return 0;
		}
		if (c != '\\') {
			(void)strbuf_append(out, &c, 1);
			p++;
			continue;
		}
		if (++p >= len)
			return -EINVAL;
		c = buf[p++];
		switch (c) {
		case 'b':
			(void)strbuf_append(out, "\b", 1);
			break;
		case 'f':
			(void)strbuf_append(out, "\f", 1);
			break;
		case 'n':
			(void)strbuf_append(out, "\n", 1);
			break;
		case 'r':
			(void)strbuf_append(out, "\r", 1);
			break;
		case 't':
			(void)strbuf_append(out, "\t", 1);
			break;
		case 'u': {
			uint32_t cp, lo;
			if (hex4(buf + p, len - p, &cp) < 0)
				return -EINVAL;
			p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff && p + 6 <= len && buf[p] == '\\' &&
			    buf[p + 1] == 'u' && hex4(buf + p + 2, len - p - 2, &lo) == 0 &&
			    lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			}
			(void)strbuf_put_utf8(out, cp);
			break;
		}
		default:
			(void)strbuf_append(out, &c, 1);
		}
	}
	return -EINVAL;
}

static int find_duplicate_key(const char *buf, size_t len, char *err, size_t errlen)
{
	KeyList stack[JSON_MAX_DEPTH + 1];
	size_t depth = 0, i = 0;
	int r = 0;

	memset(stack, 0, sizeof(stack));
	while (i < len) {
		char c = buf[i];
		if (c == '{' || c == '[') {
			if (depth >= JSON_MAX_DEPTH) {
				snprintf(err, errlen, "nesting deeper than %d levels",
					 JSON_MAX_DEPTH);
				r = -EBADMSG;
				goto out;
			}
			stack[depth++] = (KeyList){.is_object = c == '{', .expect_key = c == '{'};
			i++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				break; /* syntax error: json-c reports it */
			KeyList *k = &stack[depth - 1];
			if (k->n > 1) {
				qsort(k->keys, k->n, sizeof(char *), cmp_str);
				for (size_t j = 1; j < k->n; j++)
					if (streq(k->keys[j - 1], k->keys[j])) {
						snprintf(err, errlen,
							 "duplicate key \"%.64s\" in an object",
							 k->keys[j]);
						r = -EBADMSG;
						goto out;
					}
			}
			keylist_clear(k);
			depth--;
			i++;
		} else if (c == ',') {
			if (depth > 0 && stack[depth - 1].is_object)
				stack[depth - 1].expect_key = true;
			i++;
		} else if (c == '"') {
			StrBuf s = {0};
			i++;
			if (scan_string(buf, len, &i, &s) < 0) {
				strbuf_free(&s);
				break; /* syntax error: json-c reports it */
			}
			KeyList *k = depth > 0 ? &stack[depth - 1] : NULL;
			if (k && k->is_object && k->expect_key) {
				k->expect_key = false;
				if (k->n == k->cap) {
					size_t ncap = k->cap ? k->cap * 2 : 8;
					char **nk = realloc(k->keys, ncap * sizeof(char *));
					if (!nk) {
						strbuf_free(&s);
						r = -ENOMEM;
						goto out;
					}
					k->keys = nk;
					k->cap = ncap;
				}
				char *key = strbuf_steal(&s);
				if (!key) {
					r = -ENOMEM;
					goto out;
				}
				k->keys[k->n++] = key;
			} else
				strbuf_free(&s);
		} else
			i++;
	}
out:
	for (size_t j = 0; j < depth; j++)
		keylist_clear(&stack[j]);
	return r;
}

int json_parse_strict(const char *buf, size_t len, json_object **ret, char *err, size_t errlen)
{
	char dummy[8];
	int r;

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	*err = '\0';
	if (memchr(buf, '\0', len)) {
		snprintf(err, errlen, "NUL byte at offset %zu",
			 (size_t)((const char *)memchr(buf, '\0', len) - buf));
		return -EBADMSG;
	}
	if (!utf8_is_valid_n(buf, len)) {
		snprintf(err, errlen, "not valid UTF-8");
		return -EBADMSG;
	}
	if (len > INT32_MAX) {
		snprintf(err, errlen, "document too large");
		return -EFBIG;
	}

	json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_object *o = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error e = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);

	if (e == json_tokener_continue) {
		snprintf(err, errlen, "document ends early (truncated at byte %zu)", len);
		json_object_put(o);
		return -EBADMSG;
	}
	if (e != json_tokener_success) {
		snprintf(err, errlen, "%s at byte %zu", json_tokener_error_desc(e), end);
		json_object_put(o);
		return -EBADMSG;
	}
	for (size_t i = end; i < len; i++)
		if (!strchr(" \t\r\n", buf[i])) {
			snprintf(err, errlen, "trailing data at byte %zu", i);
			json_object_put(o);
			return -EBADMSG;
		}

	r = find_duplicate_key(buf, len, err, errlen);
	if (r < 0) {
		json_object_put(o);
		return r;
	}
	*ret = o;
	return 0;
}

json_object *json_get_path(json_object *root, const char *path)
{
	json_object *cur = root;
	const char *p = path;

	while (cur && *p) {
		size_t n = strcspn(p, ".");
		char comp[256];
		if (n == 0 || n >= sizeof(comp))
			return NULL;
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (json_object_is_type(cur, json_type_object)) {
			if (!json_object_object_get_ex(cur, comp, &cur))
				return NULL;
		} else if (json_object_is_type(cur, json_type_array)) {
			unsigned long long idx;
			if (safe_atou64(comp, &idx) < 0 || idx >= json_object_array_length(cur))
				return NULL;
			cur = json_object_array_get_idx(cur, (size_t)idx);
		} else
			return NULL;
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}

const char *json_get_string(json_object *root, const char *path)
{
	json_object *o = json_get_path(root, path);
	return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

int json_get_bool_lenient(json_object *root, const char *path)
{
	json_object *o = json_get_path(root, path);
	if (!o)
		return -ENOENT;
	if (json_object_is_type(o, json_type_boolean))
		return json_object_get_boolean(o) ? 1 : 0;
	if (json_object_is_type(o, json_type_string)) {
		const char *s = json_object_get_string(o);
		if (strcasecmp(s, "true") == 0)
			return 1;
		if (strcasecmp(s, "false") == 0)
			return 0;
	}
	return -EINVAL;
}

char *json_to_string_compact(json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);
	return s ? strdup(s) : NULL;
}
