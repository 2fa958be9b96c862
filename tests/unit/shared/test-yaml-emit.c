/* SPDX-License-Identifier: MIT */
/*
 * The YAML emitter on values whose PyYAML output (safe_dump with
 * default_flow_style=False, allow_unicode=True, as az -o yaml) is known;
 * yaml-diff.py compares many more with PyYAML itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "yaml-emit.h"

/* The YAML of a JSON text. */
static char *yaml_of(const char *json, bool color)
{
	json_object *o = json_tokener_parse(json);
	StrBuf b = {};
	assert_non_null(o);
	assert_int_equal(yaml_emit(&b, o, color), 0);
	json_object_put(o);
	return strbuf_steal(&b);
}

#define assert_yaml(json, want)                                                                    \
	do {                                                                                       \
		char *_got = yaml_of(json, false);                                                 \
		assert_string_equal(_got, want);                                                   \
		free(_got);                                                                        \
	} while (0)

static void test_scalars(void **state)
{
	StrBuf b = {};
	assert_int_equal(yaml_emit(&b, NULL, false), 0); /* json-c's null */
	assert_string_equal(b.data, "null\n...\n");
	strbuf_free(&b);
	assert_yaml("true", "true\n...\n");
	assert_yaml("[false, 0, -7, 18446744073709551615]",
		    "- false\n- 0\n- -7\n- 18446744073709551615\n");
	assert_yaml("[1.5, 100000.0, 1e16, 1e-5, 0.1, -0.0, 0.0001]",
		    "- 1.5\n- 100000.0\n- 1.0e+16\n- 1.0e-05\n- 0.1\n- -0.0\n- 0.0001\n");
	assert_yaml("\"abc\"", "abc\n...\n");
	assert_yaml("\"\"", "''\n");
	assert_yaml("[]", "[]\n");
	assert_yaml("{}", "{}\n");
}

/* Strings that would read back as another type, or not at all, are quoted. */
static void test_quoting(void **state)
{
	assert_yaml(
	    "[\"true\", \"False\", \"yes\", \"No\", \"on\", \"OFF\", \"null\", \"~\", \"\"]",
	    "- 'true'\n- 'False'\n- 'yes'\n- 'No'\n- 'on'\n- 'OFF'\n- 'null'\n- '~'\n- ''\n");
	assert_yaml("[\"123\", \"1.5\", \"0x1F\", \"1_000\", \".5\", \"1:30\", \"1e5\", \"08\"]",
		    "- '123'\n- '1.5'\n- '0x1F'\n- '1_000'\n- '.5'\n- '1:30'\n- 1e5\n- 08\n");
	assert_yaml("[\"2024-01-01\", \"2025-06-01T10:00:00.1234567+00:00\", \"<<\", \"=\"]",
		    "- '2024-01-01'\n- '2025-06-01T10:00:00.1234567+00:00'\n- '<<'\n- '='\n");
	assert_yaml(
	    "[\" lead\", \"trail \", \"a: b\", \"a:b\", \"# c\", \"a #c\", \"a#c\", \"- a\", "
	    "\"-a\"]",
	    "- ' lead'\n- 'trail '\n- 'a: b'\n- a:b\n- '# c'\n- 'a #c'\n- a#c\n- '- a'\n- -a\n");
	assert_yaml("[\"[x\", \"{x\", \"*x\", \"&x\", \"!x\", \"|\", \">\", \"%x\", \"@x\", "
		    "\"`x\", \"it's\", \"'q'\"]",
		    "- '[x'\n- '{x'\n- '*x'\n- '&x'\n- '!x'\n- '|'\n- '>'\n- '%x'\n- '@x'\n- '`x'\n"
		    "- it's\n- '''q'''\n");
	/* Control characters need double quotes and escapes; line breaks fold in single quotes. */
	assert_yaml("[\"a\\tb\", \"a\\u0000\", \"\\u001b[0m\", \"a\\nb\", \"a\\n\"]",
		    "- \"a\\tb\"\n- \"a\\0\"\n- \"\\e[0m\"\n- 'a\n\n  b'\n- 'a\n\n  '\n");
}

static void test_unicode(void **state)
{
	assert_yaml("{\"k\": \"Zo\\u00eb \\u65e5\\u672c \\ud83d\\ude00\"}", "k: Zoë 日本 😀\n");
	/* In double quotes PyYAML escapes what is past U+FFFF. */
	assert_yaml("\"\\t\\ud83d\\ude00\"", "\"\\t\\U0001F600\"\n");
	assert_yaml("\"\\ufeffa\"", "\"\\uFEFFa\"\n");
}

static void test_nesting(void **state)
{
	assert_yaml("{\"b\": [{\"y\": 1, \"x\": [1, [2, 3], {}]}], \"a\": {\"c\": {\"d\": []}}, "
		    "\"e\": null}",
		    "a:\n"
		    "  c:\n"
		    "    d: []\n"
		    "b:\n"
		    "- x:\n"
		    "  - 1\n"
		    "  - - 2\n"
		    "    - 3\n"
		    "  - {}\n"
		    "  y: 1\n"
		    "e: null\n");
	/* Keys: sorted, quoted like values, "? key" when empty, multi-line or long. */
	assert_yaml("{\"b\": 1, \"\": 2, \"true\": 3, \"a\\nb\": 4}",
		    "? ''\n: 2\n? 'a\n\n  b'\n: 4\nb: 1\n'true': 3\n");
}

/* Past 80 columns a plain or quoted string breaks at a space, one indent deeper. */
static void test_folding(void **state)
{
	char json[512] = "{\"k\": {\"t\": \"";
	for (int i = 0; i < 20; i++)
		strcat(json, "word ");
	strcat(json, "end\"}}");
	assert_yaml(json,
		    "k:\n  t: word word word word word word word word word word word word word "
		    "word word word\n    word word word word end\n");
}

static void test_color(void **state)
{
	char *got = yaml_of("{\"a\": \"x\", \"b\": [\"true\"]}", true);
	assert_string_equal(got, "\033[94ma\033[39;49;00m:\033[37m \033[39;49;00mx"
				 "\033[37m\033[39;49;00m\n"
				 "\033[94mb\033[39;49;00m:\033[37m\033[39;49;00m\n"
				 "-\033[37m \033[39;49;00m\033[33m'\033[39;49;00m\033[33mtrue"
				 "\033[39;49;00m\033[33m'\033[39;49;00m\033[37m\033[39;49;00m\n");
	free(got);
}

static void test_plain_is_str(void **state)
{
	assert_true(yaml_plain_is_str("Standard_B2s"));
	assert_true(yaml_plain_is_str("1.2.3"));
	assert_true(yaml_plain_is_str("0o17"));
	assert_false(yaml_plain_is_str("-1.5e+3"));
	assert_false(yaml_plain_is_str("190:20:30.15"));
	assert_false(yaml_plain_is_str("-.inf"));
	assert_false(yaml_plain_is_str("2001-12-14 21:59:43.10 -5"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scalars),	 cmocka_unit_test(test_quoting),
	    cmocka_unit_test(test_unicode),	 cmocka_unit_test(test_nesting),
	    cmocka_unit_test(test_folding),	 cmocka_unit_test(test_color),
	    cmocka_unit_test(test_plain_is_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
