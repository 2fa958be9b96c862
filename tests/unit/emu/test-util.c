/* SPDX-License-Identifier: MIT */
/* Query parsing, queue keys, escaping and address checks used by the emulator. */
#include "emu-test.h"

static void test_query_parse(void **unused)
{
	EmuPair *p = NULL;
	size_t n = 0;

	assert_int_equal(emu_query_parse("a=1&b=%2Fx+y&&c&a=2&d=%zz&e=%4", &p, &n), 0);
	assert_int_equal(n, 6);
	assert_string_equal(p[0].name, "a");
	assert_string_equal(p[0].value, "1");
	assert_string_equal(p[1].value, "/x y");
	assert_string_equal(p[2].name, "c");
	assert_string_equal(p[2].value, "");
	assert_int_equal(emu_pairs_count(p, n, "a", false), 2);
	assert_string_equal(emu_pairs_get(p, n, "a", false), "1");
	assert_string_equal(p[4].value, "%zz");
	assert_string_equal(p[5].value, "%4");
	assert_null(emu_pairs_get(p, n, "A", false));
	assert_string_equal(emu_pairs_get(p, n, "A", true), "1");
	emu_pairs_free(p, n);

	assert_int_equal(emu_query_parse(NULL, &p, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(emu_query_parse("", &p, &n), 0);
	assert_int_equal(n, 0);
}

static void test_queue_keys(void **unused)
{
	const char *cases[][2] = {
	    {"/machine/?comp=goalstate", "/machine?comp=goalstate"},
	    {"/machine?comp=goalstate", "/machine?comp=goalstate"},
	    {"/machine//?x=1&comp=health", "/machine?comp=health"},
	    {"/?comp=versions", "/?comp=versions"},
	    {"/metadata/instance?api-version=2021-01-01", "/metadata/instance"},
	    {"/metadata/instance/", "/metadata/instance"},
	    {"/provisioning/health", "/provisioning/health"},
	    {"/", "/"},
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *k = emu_queue_key_from_string(cases[i][0]);
		assert_string_equal(k, cases[i][1]);
	}
	_cleanup_free_ char *k = emu_queue_key("/machine/", "comp=health");
	assert_string_equal(k, "/machine?comp=health");
}

static void test_escape_and_base64url(void **unused)
{
	_cleanup_free_ char *e = emu_xml_escape("a<b>&\"'");
	assert_string_equal(e, "a&lt;b&gt;&amp;&quot;&apos;");
	_cleanup_free_ char *b = emu_base64url("\xfb\xff", 2);
	assert_string_equal(b, "-_8");
}

static void test_loopback(void **unused)
{
	assert_int_equal(emu_address_is_loopback("127.0.0.1"), 1);
	assert_int_equal(emu_address_is_loopback("127.1.2.3"), 1);
	assert_int_equal(emu_address_is_loopback("::1"), 1);
	assert_int_equal(emu_address_is_loopback("0.0.0.0"), 0);
	assert_int_equal(emu_address_is_loopback("169.254.169.254"), 0);
	assert_int_equal(emu_address_is_loopback("::"), 0);
	assert_int_equal(emu_address_is_loopback("localhost"), -EINVAL);
}

static void test_api_versions(void **unused)
{
	assert_int_equal(emu_imds_api_versions_n, 35);
	for (size_t i = 1; i < emu_imds_api_versions_n; i++)
		assert_true(strcmp(emu_imds_api_versions[i - 1], emu_imds_api_versions[i]) < 0);
	assert_true(emu_imds_api_version_known("2023-11-15"));
	assert_false(emu_imds_api_version_known("2023-11-16"));
	assert_false(emu_imds_api_version_known(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_query_parse),		 cmocka_unit_test(test_queue_keys),
	    cmocka_unit_test(test_escape_and_base64url), cmocka_unit_test(test_loopback),
	    cmocka_unit_test(test_api_versions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
