/* SPDX-License-Identifier: MIT */
/* The exposition writer and Accept negotiation. */
#include "metrics-test.h"

#include "expo.h"

static void test_counter_text_and_openmetrics(void **state)
{
	Expo e = {0};
	(void)state;

	expo_reset(&e, EXPO_PROMETHEUS);
	expo_family(&e, "node_cpu_seconds_total", MT_COUNTER, "Seconds the CPUs spent in each mode.");
	expo_begin(&e);
	expo_label(&e, "cpu", "0");
	expo_label(&e, "mode", "idle");
	expo_end_fixed(&e, 109097, 2);
	expo_finish(&e);
	assert_false(expo_failed(&e));
	assert_string_equal(e.buf, "# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.\n"
				   "# TYPE node_cpu_seconds_total counter\n"
				   "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 1090.97\n");

	expo_reset(&e, EXPO_OPENMETRICS);
	expo_family(&e, "node_cpu_seconds_total", MT_COUNTER, "Seconds.");
	expo_begin(&e);
	expo_end_u64(&e, 5);
	expo_family(&e, "node_vmstat_pgfault", MT_UNTYPED, "x");
	expo_begin(&e);
	expo_end_u64(&e, 1);
	expo_finish(&e);
	assert_string_equal(e.buf, "# HELP node_cpu_seconds Seconds.\n"
				   "# TYPE node_cpu_seconds counter\n"
				   "node_cpu_seconds_total 5\n"
				   "# HELP node_vmstat_pgfault x\n"
				   "# TYPE node_vmstat_pgfault unknown\n"
				   "node_vmstat_pgfault 1\n"
				   "# EOF\n");
	expo_done(&e);
}

static void test_values(void **state)
{
	Expo e = {0};
	(void)state;

	expo_reset(&e, EXPO_PROMETHEUS);
	expo_family(&e, "x", MT_GAUGE, "h");
	expo_begin(&e);
	expo_end_fixed(&e, 7, 6); /* 0.000007 */
	expo_begin(&e);
	expo_end_fixed(&e, 1500000, 6); /* 1.5 */
	expo_begin(&e);
	expo_end_fixed(&e, 3000, 3); /* 3 */
	expo_begin(&e);
	expo_end_i64(&e, -1);
	expo_begin(&e);
	expo_end_u64(&e, UINT64_MAX);
	expo_begin(&e);
	expo_end_double(&e, 0.1);
	expo_begin(&e);
	expo_end_double(&e, 270553174016.0);
	assert_string_equal(e.buf, "# HELP x h\n# TYPE x gauge\n"
				   "x 0.000007\nx 1.5\nx 3\nx -1\nx 18446744073709551615\n"
				   "x 0.1\nx 270553174016\n");
	expo_done(&e);
}

static void test_label_escaping(void **state)
{
	Expo e = {0};
	(void)state;

	expo_reset(&e, EXPO_PROMETHEUS);
	expo_family(&e, "x", MT_GAUGE, "back\\slash\nnewline");
	expo_begin(&e);
	expo_label(&e, "mountpoint", "/a \"b\"\\c\nd");
	expo_end_u64(&e, 1);
	assert_string_equal(e.buf, "# HELP x back\\\\slash\\nnewline\n# TYPE x gauge\n"
				   "x{mountpoint=\"/a \\\"b\\\"\\\\c\\nd\"} 1\n");
	expo_done(&e);
}

static void test_output_cap(void **state)
{
	Expo e = {.max = 64};
	(void)state;

	expo_reset(&e, EXPO_PROMETHEUS);
	expo_family(&e, "a_rather_long_family_name_to_overflow_the_cap", MT_GAUGE,
		    "a help text that is long too");
	assert_true(expo_failed(&e));
	/* a reset clears the failure; the buffer is reused */
	expo_reset(&e, EXPO_PROMETHEUS);
	assert_false(expo_failed(&e));
	expo_done(&e);
}

static void test_negotiate(void **state)
{
	(void)state;
	assert_int_equal(expo_negotiate(NULL), EXPO_PROMETHEUS);
	assert_int_equal(expo_negotiate("*/*"), EXPO_PROMETHEUS);
	assert_int_equal(expo_negotiate("text/plain;version=0.0.4"), EXPO_PROMETHEUS);
	/* what Prometheus 2.x sends */
	assert_int_equal(expo_negotiate("application/openmetrics-text;version=1.0.0,application/"
					"openmetrics-text;version=0.0.1;q=0.75,text/plain;version="
					"0.0.4;q=0.5,*/*;q=0.1"),
			 EXPO_OPENMETRICS);
	assert_int_equal(expo_negotiate("application/openmetrics-text"), EXPO_OPENMETRICS);
	assert_int_equal(expo_negotiate("Application/OpenMetrics-Text; version=1.0.0"),
			 EXPO_OPENMETRICS);
	/* only a version we do not speak */
	assert_int_equal(expo_negotiate("application/openmetrics-text;version=0.0.1"),
			 EXPO_PROMETHEUS);
	/* text preferred by q */
	assert_int_equal(expo_negotiate("application/openmetrics-text;q=0.2, text/plain;q=0.9"),
			 EXPO_PROMETHEUS);
	assert_int_equal(expo_negotiate("application/openmetrics-text;q=0"), EXPO_PROMETHEUS);
	assert_int_equal(expo_negotiate("application/openmetrics-text;q=bogus"), EXPO_PROMETHEUS);
	assert_int_equal(expo_negotiate(",,;;=,"), EXPO_PROMETHEUS);
}

static void test_number_valid(void **state)
{
	(void)state;
	assert_true(expo_number_valid("1.25", 4));
	assert_true(expo_number_valid("-3", 2));
	assert_true(expo_number_valid("1e10", 4));
	assert_false(expo_number_valid("", 0));
	assert_false(expo_number_valid("1.2.3", 5));
	assert_false(expo_number_valid("nan", 3));
	assert_false(expo_number_valid("1e", 2));
	assert_false(expo_number_valid(".", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counter_text_and_openmetrics),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_label_escaping),
	    cmocka_unit_test(test_output_cap),
	    cmocka_unit_test(test_negotiate),
	    cmocka_unit_test(test_number_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
