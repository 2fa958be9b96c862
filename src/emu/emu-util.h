/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "macros.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);
#define _cleanup_jobj_ _cleanup_(json_object_putp)

/* One header or query parameter. */
typedef struct EmuPair {
	char *name;
	char *value;
} EmuPair;

void emu_pairs_free(EmuPair *p, size_t n);
int emu_pairs_add(EmuPair **p, size_t *n, const char *name, const char *value);
/* First value whose name matches (case-insensitively if nocase), or NULL. */
const char *emu_pairs_get(const EmuPair *p, size_t n, const char *name, bool nocase);
/* How many entries match the name. */
size_t emu_pairs_count(const EmuPair *p, size_t n, const char *name, bool nocase);

/*
 * Split a raw query string ("a=1&b=%20x") into decoded pairs, in order,
 * keeping duplicates. A key without '=' gets an empty value; empty
 * components ("a=1&&b=2") are skipped. NULL or "" gives zero pairs.
 */
int emu_query_parse(const char *query, EmuPair **ret, size_t *ret_n);

/* Percent-decode (and '+' -> ' ' if plus_is_space); invalid escapes stay literal. */
char *emu_percent_decode(const char *s, size_t len, bool plus_is_space);

/*
 * Canonical queue key of a request or a scenario key: the path with any
 * trailing '/' removed (except "/" itself), plus "?comp=X" if the query has
 * a comp parameter. "/machine/?comp=goalstate&x=1" -> "/machine?comp=goalstate".
 */
char *emu_queue_key(const char *path, const char *query);
/* Same for a scenario key written as "path[?query]". */
char *emu_queue_key_from_string(const char *key);

/* Escape &, <, >, ", ' for XML text. */
char *emu_xml_escape(const char *s);

/* Compact JSON serialisation (no spaces, '/' not escaped); caller frees. */
char *emu_json_compact(json_object *o);

/* Strict parse of a whole buffer as one JSON value; err names offset and reason. */
int emu_json_parse(const char *buf, size_t len, json_object **ret, char *err, size_t errlen);

/* A time in microseconds as a JSON number of seconds with 6 decimals. */
json_object *emu_json_seconds(unsigned long long usec);

/* base64url without padding. */
char *emu_base64url(const void *in, size_t len);

/* The IMDS api-version list of spec 4.1, oldest first. */
extern const char *const emu_imds_api_versions[];
extern const size_t emu_imds_api_versions_n;
bool emu_imds_api_version_known(const char *v);

/* Canonical path: collapse nothing, strip trailing '/' except for "/". Caller frees. */
char *emu_path_strip_trailing_slash(const char *path);

/* Is the numeric address loopback (127.0.0.0/8, ::1)? -EINVAL if not numeric. */
int emu_address_is_loopback(const char *addr);

/* Read a file relative to base_dir, refusing absolute paths and any escape from base_dir. */
int emu_read_file_beneath(const char *base_dir, const char *rel, size_t max, char **ret,
			  size_t *ret_len, char *err, size_t errlen);

/* The claims of a JWT (its middle part, base64url JSON), or NULL if it is not one. */
json_object *emu_jwt_payload(const char *token);
