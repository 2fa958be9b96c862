/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"

static int parse(const char *s, char *err, size_t errlen)
{
	json_object *o = NULL;
	int r = json_parse_strict(s, strlen(s), &o, err, errlen);
	if (r == 0)
		assert_non_null(o);
	json_object_put(o);
	return r;
}

static void test_strict(void **state)
{
	char err[256];

	assert_int_equal(parse("{\"a\":1, \"b\":[1,2,{\"a\":3}]}\n", err, sizeof(err)), 0);
	/* duplicates: top level, nested, in arrays of objects, spelled with an escape */
	assert_int_equal(parse("{\"a\":1,\"a\":2}", err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "duplicate key \"a\""));
	assert_int_equal(parse("{\"x\":{\"k\":1,\"j\":2,\"k\":3}}", err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "\"k\""));
	assert_int_equal(parse("[{\"k\":1},{\"k\":1,\"k\":2}]", err, sizeof(err)), -EBADMSG);
	assert_int_equal(parse("{\"a\":1,\"\\u0061\":2}", err, sizeof(err)), -EBADMSG);
	/* same key in sibling objects is fine; a value equal to a key is fine */
	assert_int_equal(parse("[{\"k\":1},{\"k\":2}]", err, sizeof(err)), 0);
	assert_int_equal(parse("{\"k\":\"k\",\"v\":\"k\"}", err, sizeof(err)), 0);

	/* invalid UTF-8, NUL, trailing data, truncation */
	assert_int_equal(parse("{\"a\":\"\xff\"}", err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "UTF-8"));
	json_object *o = NULL;
	assert_int_equal(json_parse_strict("{\"a\":1}\0x", 9, &o, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "NUL"));
	assert_int_equal(parse("{\"a\":1} x", err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "byte 8"));
	assert_int_equal(parse("{\"compute\": {", err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "truncated"));
	assert_int_equal(parse("<html>error</html>", err, sizeof(err)), -EBADMSG);
	assert_int_equal(parse("", err, sizeof(err)), -EBADMSG);

	/* nesting: 64 levels ok, 65 refused */
	char deep[200];
	memset(deep, '[', 64);
	memset(deep + 64, ']', 64);
	deep[128] = '\0';
	assert_int_equal(parse(deep, err, sizeof(err)), 0);
	memset(deep, '[', 65);
	memset(deep + 65, ']', 65);
	deep[130] = '\0';
	assert_int_equal(parse(deep, err, sizeof(err)), -EBADMSG);
}

static void test_paths(void **state)
{
	json_object *o = NULL;
	const char *s =
	    "{\"compute\":{\"osProfile\":{\"a\":\"true\",\"b\":false,\"c\":42,\"d\":\"x\"},"
	    "\"publicKeys\":[{\"keyData\":\"k0\"},{\"keyData\":\"k1\"}]}}";
	assert_int_equal(json_parse_strict(s, strlen(s), &o, NULL, 0), 0);
	assert_string_equal(json_get_string(o, "compute.publicKeys.1.keyData"), "k1");
	assert_null(json_get_string(o, "compute.publicKeys.2.keyData"));
	assert_null(json_get_string(o, "compute.publicKeys.x"));
	assert_null(json_get_string(o, "compute.osProfile.c")); /* not a string */
	assert_null(json_get_path(o, "compute..osProfile"));
	assert_int_equal(json_get_bool_lenient(o, "compute.osProfile.a"), 1);
	assert_int_equal(json_get_bool_lenient(o, "compute.osProfile.b"), 0);
	assert_int_equal(json_get_bool_lenient(o, "compute.osProfile.c"), -EINVAL);
	assert_int_equal(json_get_bool_lenient(o, "compute.osProfile.d"), -EINVAL);
	assert_int_equal(json_get_bool_lenient(o, "compute.osProfile.missing"), -ENOENT);
	char *c = json_to_string_compact(json_get_path(o, "compute.publicKeys.0"));
	assert_string_equal(c, "{\"keyData\":\"k0\"}");
	free(c);
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strict),
	    cmocka_unit_test(test_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
