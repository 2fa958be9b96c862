/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "jmespath.h"
#include "json-util.h"
#include "strutil.h"

/* ---- helpers ---- */

/* Test data, scalars included (json_parse_strict wants a container). */
static json_object *parse(const char *s)
{
	enum json_tokener_error e;
	json_object *o = json_tokener_parse_verbose(s, &e);
	if (e != json_tokener_success)
		fail_msg("bad test JSON %s: %s", s, json_tokener_error_desc(e));
	return o;
}

/* Result of expr over data as compact JSON, or "error: ..." */
static char *run(const char *expr, const char *data)
{
	_cleanup_json_ json_object *d = parse(data), *res = NULL;
	char err[512];
	int r = jmespath_query(expr, d, &res, err, sizeof(err));
	if (r < 0) {
		char *s = NULL;
		assert_true(asprintf(&s, "error: %s", err) >= 0);
		return s;
	}
	char *s = json_to_string_compact(res);
	return s ? s : strdup("null");
}

#define assert_query(expr, data, want)                                                             \
	do {                                                                                       \
		_cleanup_free_ char *_got = run(expr, data);                                       \
		if (!streq(_got, want))                                                            \
			fail_msg("%s over %s: got %s, want %s", expr, data, _got, want);           \
	} while (0)

#define assert_error(expr, data, needle)                                                           \
	do {                                                                                       \
		_cleanup_free_ char *_got = run(expr, data);                                       \
		if (!startswith(_got, "error: jmespath: ") || !strstr(_got, needle))               \
			fail_msg("%s over %s: got %s, want an error with \"%s\"", expr, data,      \
				 _got, needle);                                                    \
	} while (0)

/* ---- the JMESPath compliance suite ---- */

/* Same JSON value; numbers by value (the suite writes 1 and 1.0 alike). */
static bool same(json_object *a, json_object *b)
{
	json_type ta = json_object_get_type(a), tb = json_object_get_type(b);
	bool na = ta == json_type_int || ta == json_type_double;
	bool nb = tb == json_type_int || tb == json_type_double;
	if (na && nb) {
		if (ta == json_type_int && tb == json_type_int)
			return json_object_get_int64(a) == json_object_get_int64(b);
		return json_object_get_double(a) == json_object_get_double(b);
	}
	if (ta != tb)
		return false;
	switch (ta) {
	case json_type_null:
		return true;
	case json_type_boolean:
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	case json_type_string:
		return json_object_get_string_len(a) == json_object_get_string_len(b) &&
		       memcmp(json_object_get_string(a), json_object_get_string(b),
			      (size_t)json_object_get_string_len(a)) == 0;
	case json_type_array:
		if (json_object_array_length(a) != json_object_array_length(b))
			return false;
		for (size_t i = 0; i < json_object_array_length(a); i++)
			if (!same(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
				return false;
		return true;
	case json_type_object: {
		if (json_object_object_length(a) != json_object_object_length(b))
			return false;
		json_object_object_foreach(a, k, v)
		{
			json_object *w;
			if (!json_object_object_get_ex(b, k, &w) || !same(v, w))
				return false;
		}
		return true;
	}
	default:
		return false;
	}
}

/* The suite's error kinds, as our messages spell them. */
static const char *error_marker(const char *kind)
{
	if (streq(kind, "syntax"))
		return "jmespath: syntax error";
	if (streq(kind, "invalid-type"))
		return "jmespath: invalid-type:";
	if (streq(kind, "invalid-value"))
		return "jmespath: invalid-value:";
	if (streq(kind, "invalid-arity"))
		return "jmespath: invalid-arity:";
	if (streq(kind, "unknown-function"))
		return "jmespath: unknown-function:";
	return NULL;
}

/* Runs one case; returns true if it passed, printing why not. */
static bool run_case(const char *file, json_object *given, json_object *c)
{
	json_object *expr_o, *want = NULL, *kind_o;
	if (!json_object_object_get_ex(c, "expression", &expr_o)) {
		printf("# %s: a case without an expression\n", file);
		return false;
	}
	const char *expr = json_object_get_string(expr_o);
	bool want_error = json_object_object_get_ex(c, "error", &kind_o);
	bool want_result = json_object_object_get_ex(c, "result", &want);
	if (!want_error && !want_result)
		return true; /* a benchmark-only case: nothing to check */

	char err[512] = "";
	_cleanup_json_ json_object *got = NULL;
	int r = jmespath_query(expr, given, &got, err, sizeof(err));

	if (want_error) {
		const char *kind = json_object_get_string(kind_o);
		const char *marker = error_marker(kind);
		if (r == -EINVAL && marker && startswith(err, marker))
			return true;
		_cleanup_free_ char *s = json_to_string_compact(got);
		printf("# %s: %s: want %s error, got %s%s\n", file, expr, kind,
		       r < 0 ? "" : "result ", r < 0 ? err : (s ? s : "null"));
		return false;
	}
	if (r < 0) {
		printf("# %s: %s: want a result, got %s\n", file, expr, err);
		return false;
	}
	if (same(got, want))
		return true;
	_cleanup_free_ char *s = json_to_string_compact(got), *w = json_to_string_compact(want);
	printf("# %s: %s: got %s, want %s\n", file, expr, s ? s : "null", w ? w : "null");
	return false;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_compliance(void **state)
{
	const char *dir = getenv("LAZULI_JMESPATH_COMPLIANCE");
	if (isempty(dir))
		fail_msg("LAZULI_JMESPATH_COMPLIANCE is not set (tests/meson.build sets it)");

	_cleanup_strv_free_ char **files = NULL;
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)))
			if (endswith(de->d_name, ".json"))
				assert_int_equal(strv_extend(&files, de->d_name), 0);
		closedir(d);
	}
	size_t n_files = strv_length(files);
	if (n_files == 0)
		fail_msg(
		    "no JMESPath compliance files in %s: run tools/install-deps test (as root) "
		    "to fetch them from the Debian archive",
		    dir);
	qsort(files, n_files, sizeof(char *), cmp_names);

	unsigned total_pass = 0, total_fail = 0;
	for (size_t i = 0; i < n_files; i++) {
		_cleanup_free_ char *path = NULL, *buf = NULL;
		size_t len;
		assert_true(asprintf(&path, "%s/%s", dir, files[i]) >= 0);
		assert_int_equal(read_full_file(path, 16u * 1024 * 1024, &buf, &len), 0);
		/* json-c's default tokener: the suite has no duplicate keys to catch. */
		_cleanup_json_ json_object *suite = json_tokener_parse(buf);
		if (!json_object_is_type(suite, json_type_array))
			fail_msg("%s: not a JSON array", path);

		unsigned pass = 0, failed = 0;
		for (size_t g = 0; g < json_object_array_length(suite); g++) {
			json_object *group = json_object_array_get_idx(suite, g), *given = NULL,
				    *cases = NULL;
			(void)json_object_object_get_ex(group, "given", &given);
			if (!json_object_object_get_ex(group, "cases", &cases) ||
			    !json_object_is_type(cases, json_type_array))
				fail_msg("%s: group %zu has no cases", path, g);
			for (size_t k = 0; k < json_object_array_length(cases); k++) {
				if (run_case(files[i], given, json_object_array_get_idx(cases, k)))
					pass++;
				else
					failed++;
			}
		}
		printf("# compliance %-18s %3u passed, %u failed\n", files[i], pass, failed);
		total_pass += pass;
		total_fail += failed;
	}
	printf("# compliance: %u files, %u passed, %u failed\n", (unsigned)n_files, total_pass,
	       total_fail);
	assert_int_equal(total_fail, 0);
	assert_true(total_pass > 800);
}

/* ---- what a user of --query sees ---- */

static const char *vms =
    "[{\"name\":\"web-1\",\"resourceGroup\":\"rg-a\",\"powerState\":\"VM running\","
    "\"tags\":{\"env\":\"prod\"},\"hardwareProfile\":{\"vmSize\":\"Standard_B2s\"},\"cores\":2},"
    "{\"name\":\"db-1\",\"resourceGroup\":\"rg-b\",\"powerState\":\"VM deallocated\","
    "\"tags\":{\"env\":\"dev\"},\"hardwareProfile\":{\"vmSize\":\"Standard_D4s_v5\"},\"cores\":4},"
    "{\"name\":\"web-2\",\"resourceGroup\":\"rg-a\",\"powerState\":\"VM running\","
    "\"tags\":null,\"hardwareProfile\":{\"vmSize\":\"Standard_B2s\"},\"cores\":2.5}]";

static void test_queries(void **state)
{
	assert_query("[?powerState=='VM running'].name", vms, "[\"web-1\",\"web-2\"]");
	assert_query("[].{name:name, rg:resourceGroup}", vms,
		     "[{\"name\":\"web-1\",\"rg\":\"rg-a\"},{\"name\":\"db-1\",\"rg\":\"rg-b\"},"
		     "{\"name\":\"web-2\",\"rg\":\"rg-a\"}]");
	assert_query("length(@)", vms, "3");
	assert_query("sort_by(@, &name)[0].name", vms, "\"db-1\"");
	assert_query("[?contains(name,'web')] | length(@)", vms, "2");
	assert_query("[?tags.env=='prod'] | [0].name", vms, "\"web-1\"");
	assert_query("[?tags.env=='nope'] | [0]", vms, "null");
	assert_query("[0].hardwareProfile.vmSize", vms, "\"Standard_B2s\"");
	assert_query("[*].tags.env", vms, "[\"prod\",\"dev\"]");
	assert_query("max_by(@, &cores).name", vms, "\"db-1\"");
	assert_query("min_by(@, &cores).name", vms, "\"web-1\"");
	assert_query("[].name | join(', ', @)", vms, "\"web-1, db-1, web-2\"");
	assert_query("[?!contains(name, 'db')].name | reverse(@)", vms, "[\"web-2\",\"web-1\"]");
	assert_query("[?cores > `2` && starts_with(name, 'web')].name", vms, "[\"web-2\"]");
	assert_query("{n: length(@), first: [0].name}", vms, "{\"n\":3,\"first\":\"web-1\"}");
	assert_query(
	    "[0].keys(@)", vms,
	    "[\"name\",\"resourceGroup\",\"powerState\",\"tags\",\"hardwareProfile\",\"cores\"]");
	assert_query("foo", "{\"foo\":null}", "null");
}

/* Integers stay integers (Python prints 3, not 3.0); computed floats print like Python's repr. */
static void test_numbers(void **state)
{
	assert_query("length(@)", "[1,2,3]", "3");
	assert_query("sum(@)", "[1,2,3]", "6");
	assert_query("sum(@)", "[1,2.5]", "3.5");
	assert_query("sum(@)", "[]", "0");
	assert_query("avg(@)", "[1,2,3]", "2.0");
	assert_query("avg(@)", "[1,2]", "1.5");
	assert_query("avg(@)", "[0.1,0.2]", "0.15000000000000002");
	assert_query("avg(@)", "[]", "null");
	assert_query("max(@)", "[1,3,2]", "3");
	assert_query("abs(@)", "-5", "5");
	assert_query("abs(@)", "-9223372036854775808", "9.223372036854776e+18");
	assert_query("ceil(@)", "1.2", "2");
	assert_query("floor(@)", "-1.2", "-2");
	assert_query("to_number('42')", "null", "42");
	assert_query("to_number(' 1.5 ')", "null", "1.5");
	assert_query("to_number('1e3')", "null", "1000.0");
	assert_query("to_number('1e16')", "null", "1e+16");
	assert_query("to_number('0.00001')", "null", "1e-05");
	assert_query("to_number('abc')", "null", "null");
	assert_query("to_number('')", "null", "null");
	assert_query("to_number(`true`)", "null", "null");
	assert_query("to_string(@)", "[1,2.5,\"\\u00e9\",{\"a\":null}]",
		     "\"[1,2.5,\\\"\\\\u00e9\\\",{\\\"a\\\":null}]\"");
	assert_query("@ == `1.0`", "1", "true");
	assert_query("@ == `true`", "1", "false");
	assert_query("[?@ > `1`]", "[1,2,\"3\",null,1.5]", "[2,1.5]");
	assert_query("[?@ < 'b']", "[\"a\",\"c\"]", "[\"a\"]");
	assert_query("[0]", "[18446744073709551615]", "18446744073709551615");
}

static void test_strings(void **state)
{
	assert_query("length(@)", "\"h\\u00e9\\ud834\\udd1e\"", "3");
	assert_query("reverse(@)", "\"ab\\u00e9\"",
		     "\"\xc3\xa9"
		     "ba\"");
	assert_query("'it\\'s'", "null", "\"it's\"");
	assert_query("'a\\\\b'", "null", "\"a\\\\\\\\b\"");
	assert_query("\"a b\"", "{\"a b\":1}", "1");
	assert_query("`foo`", "null", "\"foo\"");
	assert_query("sort(@)", "[\"b\",\"a\",\"\\u00e9\"]", "[\"a\",\"b\",\"\xc3\xa9\"]");
}

static void test_errors(void **state)
{
	assert_error("foo[0", "{}", "syntax error at column 6: expected ']'");
	assert_error("a.[0, 1]", "{}", "syntax error at column 4");
	assert_error("foo[?a==]", "{}", "syntax error at column 9: expected an expression");
	assert_error("", "{}", "syntax error at column 1: empty expression");
	assert_error("a = b", "{}", "column 3: expected '=='");
	/* columns count characters, not bytes */
	assert_error("\"\xc3\xa9t\xc3\xa9\" | [", "{}", "column 10: expected an expression");
	assert_error("caf\xc3\xa9", "{}",
		     "column 4: unexpected character '\xc3\xa9' (quote names with \"...\")");
	assert_error("'abc", "{}", "column 1: unterminated raw string");
	assert_error("\"foo\"(1)", "{}", "cannot name a function");
	assert_error("length(@, @)", "{}", "invalid-arity: length() takes 1 argument, got 2");
	assert_error("not_null()", "{}",
		     "invalid-arity: not_null() takes at least 1 argument, got 0");
	assert_error("nope(@)", "{}", "unknown-function: nope()");
	assert_error("nope(", "{}", "syntax error at column 6");
	assert_error(
	    "length(`1`)", "{}",
	    "invalid-type: length() argument 1: expected string, array or object, got number");
	assert_error(
	    "sort(@)", "[1,\"a\"]",
	    "invalid-type: sort() argument 1: expected array of numbers or array of strings, "
	    "got array mixing numbers and strings");
	assert_error("sum(@)", "[1,null]",
		     "invalid-type: sum() argument 1: expected array of numbers, got array with a "
		     "null at index 1");
	assert_error("max(@)", "[[1]]", "got array with an array at index 0");
	assert_error("sort_by(@, &a)", "[{\"a\":1},{\"a\":\"x\"}]", "invalid-type: sort_by()");
	assert_error("map(a, @)", "[]", "invalid-type: map() argument 1: expected expression");
	assert_error("length(&a)", "[]", "got expression");
	assert_error("[::0]", "[1]", "invalid-value: slice step cannot be 0");
	assert_error("&a", "[]", "invalid-type");
	/* a type error deep in a projection still surfaces */
	assert_error("[].abs(@)", "[1,\"x\"]", "invalid-type: abs()");
}

/* Hostile expressions: bounded nesting, bounded work, results that unfold too far. */
static void test_limits(void **state)
{
	char expr[4096];
	char err[256];
	JmesExpr *e = NULL;

	/* 100 nested parentheses parse; 1000 do not, with a message, not a crash */
	memset(expr, '(', 100);
	expr[100] = 'a';
	memset(expr + 101, ')', 100);
	expr[201] = '\0';
	assert_int_equal(jmespath_compile(expr, &e, err, sizeof(err)), 0);
	e = jmespath_free(e);
	memset(expr, '(', 1000);
	expr[1000] = '\0';
	assert_int_equal(jmespath_compile(expr, &e, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nested deeper"));
	memset(expr, '!', 1000);
	assert_int_equal(jmespath_compile(expr, &e, err, sizeof(err)), -EINVAL);

	/* long flat chains are fine: a.a.a... and a|a|a... do not nest */
	StrBuf b = {0};
	for (int i = 0; i < 2000; i++)
		assert_int_equal(strbuf_puts(&b, i ? ".a" : "a"), 0);
	assert_int_equal(jmespath_compile(b.data, &e, err, sizeof(err)), 0);
	e = jmespath_free(e);
	strbuf_free(&b);

	/* each [@,@] doubles the result: the budget stops it */
	for (int i = 0; i < 60; i++)
		assert_int_equal(strbuf_puts(&b, i ? " | [@, @]" : "[@, @]"), 0);
	_cleanup_json_ json_object *d = parse("[1]"), *res = NULL;
	assert_int_equal(jmespath_compile(b.data, &e, err, sizeof(err)), 0);
	assert_int_equal(jmespath_search_limited(e, d, 100000, &res, err, sizeof(err)), -E2BIG);
	assert_null(res);
	e = jmespath_free(e);
	strbuf_free(&b);

	/* ... and so does flattening it */
	for (int i = 0; i < 60; i++)
		assert_int_equal(strbuf_puts(&b, i ? " | [@, @][]" : "[@, @][]"), 0);
	assert_int_equal(jmespath_compile(b.data, &e, err, sizeof(err)), 0);
	assert_int_equal(jmespath_search_limited(e, d, 1000000, &res, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "too much work"));
	e = jmespath_free(e);
	strbuf_free(&b);

	/* wrapping is cheap, but json-c frees and prints recursively: 200 levels, not 300 */
	for (int i = 0; i < 300; i++) {
		assert_int_equal(strbuf_puts(&b, i ? " | [@]" : "[@]"), 0);
		if (i == 199) {
			assert_int_equal(jmespath_compile(b.data, &e, err, sizeof(err)), 0);
			assert_int_equal(jmespath_search(e, d, &res, err, sizeof(err)), 0);
			json_object_put(res);
			res = NULL;
			e = jmespath_free(e);
		}
	}
	assert_int_equal(jmespath_compile(b.data, &e, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "more than 256 levels"));
	strbuf_free(&b);
	/* ... however the levels are built */
	for (int i = 0; i < 300; i++)
		assert_int_equal(strbuf_puts(&b, i ? " | to_array(@)" : "to_array(@)"), 0);
	assert_int_equal(jmespath_compile(b.data, &e, err, sizeof(err)), -E2BIG);
	strbuf_free(&b);
	for (int i = 0; i < 300; i++)
		assert_int_equal(strbuf_puts(&b, i ? ".{a: @}" : "{a: @}"), 0);
	assert_int_equal(jmespath_compile(b.data, &e, err, sizeof(err)), -E2BIG);
	strbuf_free(&b);
	for (int i = 0; i < 300; i++)
		assert_int_equal(strbuf_puts(&b, i ? "[*].[@, a]" : "[@]"), 0);
	/* projections nest: the tree is too deep before the values are */
	assert_int_equal(jmespath_compile(b.data, &e, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nested deeper than 256"));
	strbuf_free(&b);
	/* a loop in the parser, not recursion, builds a[*][*]...: still bounded */
	assert_int_equal(strbuf_puts(&b, "a"), 0);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(strbuf_puts(&b, i % 2 ? "[*]" : "[]"), 0);
	assert_int_equal(jmespath_compile(b.data, &e, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nested deeper than 256"));
	strbuf_free(&b);
}

/* Where python-jmespath strays from the specification, lazuli follows the specification. */
static void test_spec_over_python(void **state)
{
	/* a slice after an index projects like any slice (python: null) */
	assert_query("[0][0:2].a", "[[{\"a\":1},{\"a\":2},{\"a\":3}]]", "[1,2]");
	/* merge() wants objects throughout (python checks only its first argument) */
	assert_error("merge(`{}`, `[]`)", "null", "invalid-type: merge() argument 2");
	/* booleans are not numbers, in contains() as in == (python: true) */
	assert_query("contains(`[1, 2]`, `true`)", "null", "false");
	assert_query("contains(`[0]`, `false`)", "null", "false");
	/* integers beyond int64 keep their digits */
	assert_query("to_string(@)", "[18446744073709551615]", "\"[18446744073709551615]\"");
}

static void test_reuse(void **state)
{
	_cleanup_jmespath_ JmesExpr *e = NULL;
	char err[256];
	assert_int_equal(jmespath_compile("[?a > `1`].a | sum(@)", &e, err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++) {
		_cleanup_json_ json_object *d = parse("[{\"a\":1},{\"a\":2},{\"a\":3}]"),
					   *res = NULL;
		assert_int_equal(jmespath_search(e, d, &res, err, sizeof(err)), 0);
		assert_int_equal(json_object_get_int64(res), 5);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_queries), cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_strings), cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_limits),  cmocka_unit_test(test_spec_over_python),
	    cmocka_unit_test(test_reuse),   cmocka_unit_test(test_compliance),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
