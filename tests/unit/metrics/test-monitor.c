/* SPDX-License-Identifier: MIT */
/* Azure Monitor pieces without the network: aggregates, documents, the spool, error lines. */
#include "metrics-test.h"

#include <errno.h>
#include <sys/stat.h>

#include "fileio.h"
#include "monitor.h"

static char tmp[64];

static int setup(void **state)
{
	(void)state;
	strcpy(tmp, "/tmp/test-monitor.XXXXXX");
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_bucket(void **state)
{
	MonitorBucket b = {.start = 1796120100ull * USEC_PER_SEC};
	StrBuf out = {0};
	(void)state;

	monitor_bucket_add(&b, MM_LOAD1, 1.5);
	monitor_bucket_add(&b, MM_LOAD1, 0.25);
	monitor_bucket_add(&b, MM_LOAD1, 3);
	monitor_bucket_add(&b, MM_MEMORY_AVAILABLE, 24903680000.0);
	monitor_bucket_add(&b, MM_CPU_USAGE, 0.0 / 0.0); /* NaN: ignored */
	assert_int_equal(monitor_bucket_serialize(&b, &out), 2);
	assert_string_equal(
	    out.data,
	    "{\"time\":\"2026-12-01T10:15:00Z\",\"data\":{\"baseData\":{\"metric\":\"memory_available_"
	    "bytes\",\"namespace\":\"lazuli-metrics\",\"series\":[{\"min\":24903680000,\"max\":"
	    "24903680000,\"sum\":24903680000,\"count\":1}]}}}\n"
	    "{\"time\":\"2026-12-01T10:15:00Z\",\"data\":{\"baseData\":{\"metric\":\"load1\","
	    "\"namespace\":\"lazuli-metrics\",\"series\":[{\"min\":0.25,\"max\":3,\"sum\":4.75,"
	    "\"count\":3}]}}}\n");
	strbuf_free(&out);

	MonitorContainer cs[2] = {{.name = "web1", .engine = "lazuli-run"}, {.name = "db", .engine = "podman"}};
	monitor_agg_add(&cs[0].memory, 100);
	monitor_agg_add(&cs[0].memory, 300);
	monitor_agg_add(&cs[1].memory, 7);
	monitor_agg_add(&cs[1].cpu, 12.5);
	MonitorBucket bc = {.start = 60 * USEC_PER_SEC, .containers = cs, .n_containers = 2};
	assert_int_equal(monitor_bucket_serialize(&bc, &out), 2);
	assert_string_equal(
	    out.data,
	    "{\"time\":\"1970-01-01T00:01:00Z\",\"data\":{\"baseData\":{\"metric\":\"container_cpu_usage_percent\","
	    "\"namespace\":\"lazuli-metrics\",\"dimNames\":[\"container\",\"engine\"],\"series\":["
	    "{\"dimValues\":[\"db\",\"podman\"],\"min\":12.5,\"max\":12.5,\"sum\":12.5,\"count\":1}]}}}\n"
	    "{\"time\":\"1970-01-01T00:01:00Z\",\"data\":{\"baseData\":{\"metric\":\"container_memory_bytes\","
	    "\"namespace\":\"lazuli-metrics\",\"dimNames\":[\"container\",\"engine\"],\"series\":["
	    "{\"dimValues\":[\"web1\",\"lazuli-run\"],\"min\":100,\"max\":300,\"sum\":400,\"count\":2},"
	    "{\"dimValues\":[\"db\",\"podman\"],\"min\":7,\"max\":7,\"sum\":7,\"count\":1}]}}}\n");
	strbuf_free(&out);

	MonitorBucket empty = {0};
	assert_int_equal(monitor_bucket_serialize(&empty, &out), 0);
	strbuf_free(&out);
}

static void test_spool_bound(void **state)
{
	char dir[128], name[32];
	unsigned dropped;
	char line[1000];
	_cleanup_strv_free_ char **files = NULL;
	(void)state;

	snprintf(dir, sizeof(dir), "%s/spool", tmp);
	memset(line, 'x', sizeof(line));
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "%d.ndjson", 1000 + i * 60);
		assert_int_equal(spool_write(dir, name, line, sizeof(line), 3500, &dropped), 0);
		assert_int_equal(dropped, i >= 3 ? 1 : 0);
	}
	assert_int_equal(spool_list(dir, &files), 0);
	/* the three newest are kept, oldest first */
	assert_int_equal(strv_length(files), 3);
	assert_string_equal(files[0], "1420.ndjson");
	assert_string_equal(files[2], "1540.ndjson");
	/* bigger than the bound on its own: refused, nothing dropped */
	assert_int_equal(spool_write(dir, "9.ndjson", line, sizeof(line), 500, &dropped), -EFBIG);
	/* other files in the directory are not the spool's */
	char other[256];
	snprintf(other, sizeof(other), "%s/README", dir);
	assert_int_equal(write_file_atomic(other, "x", 1, 0600), 0);
	strv_free(files);
	files = NULL;
	assert_int_equal(spool_list(dir, &files), 0);
	assert_int_equal(strv_length(files), 3);
	/* numeric order, not lexicographic */
	assert_int_equal(spool_write(dir, "99999.ndjson", "y", 1, 1u << 20, &dropped), 0);
	assert_int_equal(spool_write(dir, "100000.ndjson", "y", 1, 1u << 20, &dropped), 0);
	strv_free(files);
	files = NULL;
	assert_int_equal(spool_list(dir, &files), 0);
	assert_string_equal(files[3], "99999.ndjson");
	assert_string_equal(files[4], "100000.ndjson");
}

static void test_describe_error(void **state)
{
	char out[256];
	(void)state;
	const char *b = "{\"error\":{\"code\":\"AuthenticationFailed\",\"message\":\"no role\"}}";
	monitor_describe_error(403, b, strlen(b), out, sizeof(out));
	assert_string_equal(out, "HTTP 403 AuthenticationFailed: no role");
	monitor_describe_error(502, "<html>\n bad gateway", 19, out, sizeof(out));
	assert_string_equal(out, "HTTP 502 (no error code): <html>  bad gateway");
	monitor_describe_error(500, NULL, 0, out, sizeof(out));
	assert_string_equal(out, "HTTP 500 (no error code): empty body");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bucket),
	    cmocka_unit_test_setup_teardown(test_spool_bound, setup, teardown),
	    cmocka_unit_test(test_describe_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
