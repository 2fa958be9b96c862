/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "macros.h"

#define streq(a, b) (strcmp((a), (b)) == 0)
#define strcaseeq(a, b) (strcasecmp((a), (b)) == 0)
#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)
#define isempty(s) (!(s) || !*(s))
#define strempty(s) ((s) ? (s) : "")

/* Returns pointer after prefix, or NULL. */
const char *startswith(const char *s, const char *prefix);
const char *startswith_no_case(const char *s, const char *prefix);
bool endswith(const char *s, const char *suffix);

/* Is [s, s+len) valid UTF-8 (no overlong forms, no surrogates, <= U+10FFFF)? */
bool utf8_is_valid_n(const char *s, size_t len);
/* Largest n <= max such that s[0..n) does not split a UTF-8 sequence. */
size_t utf8_truncate_len(const char *s, size_t len, size_t max);

/* Does s contain any byte < 0x20 or 0x7f? */
bool has_control_chars(const char *s);

/* NULL-terminated string vectors. */
typedef char **strv_t;
void strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)
size_t strv_length(char *const *l);
int strv_push(char ***l, char *value); /* takes ownership; frees value on failure */
int strv_extend(char ***l, const char *value);
bool strv_contains(char *const *l, const char *s);
/* Split on any char in sep, dropping empty fields. */
int strv_split(const char *s, const char *sep, char ***ret);

/* Growable string buffer. */
typedef struct StrBuf {
	char *data;
	size_t len;
	size_t cap;
} StrBuf;
int strbuf_append(StrBuf *b, const char *s, size_t n);
int strbuf_puts(StrBuf *b, const char *s);
int strbuf_printf(StrBuf *b, const char *fmt, ...) _printf_(2, 3);
void strbuf_free(StrBuf *b);
/* Append code point cp (<= U+10FFFF) as UTF-8. */
int strbuf_put_utf8(StrBuf *b, uint32_t cp);
/* Returns data (never NULL on success: "" if empty) and resets b. */
char *strbuf_steal(StrBuf *b);

/* Strip leading/trailing ASCII whitespace in place; returns s. */
char *strstrip(char *s);
/* lowercase ASCII in place. */
char *ascii_strlower(char *s);

/* Parse a decimal unsigned; rejects sign, junk and overflow. */
int safe_atou64(const char *s, unsigned long long *ret);
/* yes/no/true/false/1/0/on/off -> 1/0, else -EINVAL. */
int parse_boolean(const char *s);

/* base64 (RFC 4648, standard alphabet). Decoding ignores ASCII whitespace. */
int base64_decode(const char *in, size_t len, unsigned char **ret, size_t *ret_len);
char *base64_encode(const void *in, size_t len);
