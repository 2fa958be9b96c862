/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * JMESPath (https://jmespath.org/specification.html) over json-c trees, for
 * the CLI's --query. Compile once, search many documents.
 *
 * JSON null is a NULL json_object pointer, as everywhere in json-c: a search
 * can succeed and return *ret == NULL. A result is a new reference (put it
 * with json_object_put) that may share sub-objects with the searched data
 * and with the expression's literals: treat it as read-only.
 *
 * Errors return -EINVAL with a message in err (optional, size errlen) that
 * starts with "jmespath: " and names the kind the specification uses:
 *   jmespath: syntax error at column 7: expected ']' but found ','
 *   jmespath: invalid-type: length() argument 1: expected string, array or object, got number
 *   jmespath: invalid-arity: length() takes 1 argument, got 2
 *   jmespath: unknown-function: foo()
 *   jmespath: invalid-value: slice step cannot be 0
 * Unknown functions and wrong arity are found at compile time.
 *
 * Hostile expressions are bounded: compiling refuses a tree nested deeper
 * than 256 (-EINVAL, as a syntax error) and an expression that could nest
 * values more than 256 levels above its input (-E2BIG, "expression too
 * complex"); a search that exceeds its work budget (expressions can ask for
 * exponentially large results) or whose result would unfold (shared
 * sub-values) beyond that budget fails with -E2BIG. Out of memory is -ENOMEM.
 *
 * Deliberate compatibility with python-jmespath (what the Azure CLI runs):
 * ordering comparators (<, <=, >, >=) also compare two strings, and a
 * backtick literal that is not valid JSON is read as a string (`foo`).
 * Deliberate differences, where python-jmespath strays from the
 * specification: merge() checks every argument is an object (python checks
 * only the first), and a slice right after an index (a[0][1:3].b) projects
 * like any other slice (python applies .b to the whole list), and
 * contains(`[1]`, `true`) is false (python's "in" takes true for 1). Unknown
 * functions are reported when compiling, not only when reached.
 *
 * A search takes and drops json-c references on the data and on the
 * expression's literals, and those counts are not atomic: do not search one
 * expression, or one document, from several threads at once.
 */

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "macros.h"

typedef struct JmesExpr JmesExpr;

/* Work budget of jmespath_search(): nodes visited and values produced. */
#define JMESPATH_DEFAULT_MAX_STEPS (50u * 1000 * 1000)

int jmespath_compile(const char *expr, JmesExpr **ret, char *err, size_t errlen);
JmesExpr *jmespath_free(JmesExpr *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(JmesExpr *, jmespath_free);
#define _cleanup_jmespath_ _cleanup_(jmespath_freep)

int jmespath_search(const JmesExpr *e, json_object *data, json_object **ret, char *err,
		    size_t errlen);
/* The same with an explicit work budget (max_steps > 0). */
int jmespath_search_limited(const JmesExpr *e, json_object *data, uint64_t max_steps,
			    json_object **ret, char *err, size_t errlen);

/* Compile, search, free. */
int jmespath_query(const char *expr, json_object *data, json_object **ret, char *err,
		   size_t errlen);
