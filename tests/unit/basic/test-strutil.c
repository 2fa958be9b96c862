/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>

#include "strutil.h"

static void test_utf8_valid(void **state)
{
	assert_true(utf8_is_valid_n("plain", 5));
	assert_true(utf8_is_valid_n("\xc3\xa9t\xc3\xa9", 6)); /* été */
	assert_true(utf8_is_valid_n("\xf0\x9f\x98\x80", 4));  /* U+1F600 */
	assert_false(utf8_is_valid_n("\xc3", 1));	      /* truncated */
	assert_false(utf8_is_valid_n("\xc0\xaf", 2));	      /* overlong '/' */
	assert_false(utf8_is_valid_n("\xe0\x80\xaf", 3));     /* overlong */
	assert_false(utf8_is_valid_n("\xed\xa0\x80", 3));     /* surrogate */
	assert_false(utf8_is_valid_n("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(utf8_is_valid_n("\xff", 1));
}

static void test_utf8_truncate(void **state)
{
	const char *s = "ab\xc3\xa9"
			"cd"; /* a b é c d: 6 bytes */
	assert_int_equal(utf8_truncate_len(s, 6, 10), 6);
	assert_int_equal(utf8_truncate_len(s, 6, 4), 4);
	/* Cutting at 3 would split é: back off to 2. */
	assert_int_equal(utf8_truncate_len(s, 6, 3), 2);
	assert_int_equal(utf8_truncate_len("\xf0\x9f\x98\x80x", 5, 3), 0);
}

static void test_strv(void **state)
{
	_cleanup_strv_free_ char **l = NULL;
	assert_int_equal(strv_split(" a,b ,,c ", ", ", &l), 0);
	assert_int_equal(strv_length(l), 3);
	assert_string_equal(l[0], "a");
	assert_string_equal(l[2], "c");
	assert_true(strv_contains(l, "b"));
	assert_false(strv_contains(l, "d"));

	_cleanup_strv_free_ char **empty = NULL;
	assert_int_equal(strv_split("", ",", &empty), 0);
	assert_non_null(empty);
	assert_int_equal(strv_length(empty), 0);
}

static void test_strbuf(void **state)
{
	StrBuf b = {0};
	for (int i = 0; i < 1000; i++)
		assert_int_equal(strbuf_printf(&b, "%d,", i), 0);
	assert_int_equal(strncmp(b.data, "0,1,2,", 6), 0);
	assert_true(endswith(b.data, "998,999,"));
	char *s = strbuf_steal(&b);
	assert_null(b.data);
	free(s);
	s = strbuf_steal(&b);
	assert_string_equal(s, "");
	free(s);
}

static void test_parse(void **state)
{
	unsigned long long v;
	assert_int_equal(safe_atou64("42", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(safe_atou64("-1", &v), -EINVAL);
	assert_int_equal(safe_atou64("4x", &v), -EINVAL);
	assert_int_equal(safe_atou64("", &v), -EINVAL);
	assert_int_equal(safe_atou64("99999999999999999999999", &v), -ERANGE);
	assert_int_equal(parse_boolean("Yes"), 1);
	assert_int_equal(parse_boolean("off"), 0);
	assert_int_equal(parse_boolean("maybe"), -EINVAL);
	char s[] = "  \t hi there \n";
	assert_string_equal(strstrip(s), "hi there");
	assert_true(has_control_chars("a\nb"));
	assert_false(has_control_chars("a b"));
	assert_non_null(startswith("metadata/instance", "metadata/"));
	assert_null(startswith("meta", "metadata/"));
}

static void test_base64(void **state)
{
	unsigned char *out = NULL;
	size_t n;
	assert_int_equal(base64_decode("aGVs\nbG8=", 9, &out, &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "hello", 5);
	free(out);
	assert_int_equal(base64_decode("aGVs*G8=", 8, &out, &n), -EINVAL);
	assert_int_equal(base64_decode("aGVsbG8=x", 9, &out, &n), -EINVAL);
	char *e = base64_encode("hello", 5);
	assert_string_equal(e, "aGVsbG8=");
	free(e);
	for (size_t len = 0; len < 40; len++) {
		unsigned char in[40];
		for (size_t i = 0; i < len; i++)
			in[i] = (unsigned char)(i * 37 + 11);
		char *enc = base64_encode(in, len);
		assert_int_equal(base64_decode(enc, strlen(enc), &out, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(out, in, len);
		free(out);
		free(enc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utf8_valid), cmocka_unit_test(test_utf8_truncate),
	    cmocka_unit_test(test_strv),       cmocka_unit_test(test_strbuf),
	    cmocka_unit_test(test_parse),      cmocka_unit_test(test_base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
