/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "macros.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);
#define _cleanup_json_ _cleanup_(json_object_putp)

/*
 * Strict parse of untrusted bytes: the whole buffer must be one JSON value
 * (trailing whitespace allowed), valid UTF-8, nesting <= 64, no NUL bytes.
 * Objects with a duplicate key are rejected (-EBADMSG with err naming the key)
 * because json-c would silently keep one of them.
 * err (optional, size errlen) receives a human-readable reason.
 */
int json_parse_strict(const char *buf, size_t len, json_object **ret, char *err, size_t errlen);

/*
 * Walk a dotted path ("compute.osProfile.adminUsername"); numeric components
 * index arrays. Returns NULL if any step is missing or of the wrong type.
 */
json_object *json_get_path(json_object *root, const char *path);

/* String at path, or NULL if missing or not a string. */
const char *json_get_string(json_object *root, const char *path);

/*
 * Boolean at path, accepting JSON true/false and the strings "true"/"false"
 * (any case), as IMDS sends both. Returns 1/0, -ENOENT if missing, -EINVAL
 * for any other type or value.
 */
int json_get_bool_lenient(json_object *root, const char *path);

/* Compact serialisation (no spaces, slashes not escaped). Caller frees. */
char *json_to_string_compact(json_object *o);
