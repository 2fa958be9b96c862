/* SPDX-License-Identifier: MIT */
/*
 * The JMESPath compiler and evaluator. Input: an expression, optionally
 * followed by a NUL byte and a JSON document to search; without one (or if
 * it does not parse) a small az-style document is searched instead.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jmespath.h"
#include "json-util.h"

static const char fallback[] =
    "[{\"name\":\"web-1\",\"tags\":{\"env\":\"prod\"},\"n\":[1,2.5,-3],\"ok\":true},"
    "{\"name\":\"db\",\"tags\":null,\"n\":[],\"ok\":false,\"s\":\"\\u00e9x\"}]";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nul = memchr(data, 0, size);
	size_t elen = nul ? (size_t)(nul - (const char *)data) : size;
	char err[256];

	if (elen > 4096)
		return 0;
	char *expr = strndup((const char *)data, elen);
	if (!expr)
		return 0;

	json_object *doc = NULL;
	if (!nul || json_parse_strict(nul + 1, size - elen - 1, &doc, err, sizeof(err)) < 0)
		(void)json_parse_strict(fallback, sizeof(fallback) - 1, &doc, err, sizeof(err));

	JmesExpr *e = NULL;
	if (jmespath_compile(expr, &e, err, sizeof(err)) == 0) {
		json_object *res = NULL;
		/* A small budget keeps each run fast; the limit itself is what is tested. */
		if (jmespath_search_limited(e, doc, 200000, &res, err, sizeof(err)) == 0) {
			free(json_to_string_compact(res));
			json_object_put(res);
		}
		jmespath_free(e);
	}
	json_object_put(doc);
	free(expr);
	return 0;
}
