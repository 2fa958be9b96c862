/* SPDX-License-Identifier: MIT */
/* Scenario files: every key, the defaults, and a clear error for each bad input. */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu-test.h"
#include "fileio.h"

static char tmpdir[] = "/tmp/test-emu-scenario-XXXXXX";

static int setup(void **unused)
{
	char path[256];
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(path, sizeof(path), "%s/body.json", tmpdir);
	if (write_file_atomic(path, "{\"x\":1}", 7, 0644) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/sub", tmpdir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sub/inner.xml", tmpdir);
	if (write_file_atomic(path, "<a/>", 4, 0644) < 0)
		return -1;
	/* A file outside the scenario directory, and a symlink pointing at it. */
	if (write_file_atomic("/tmp/test-emu-scenario-outside.txt", "secret", 6, 0644) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/link", tmpdir);
	if (symlink("/tmp/test-emu-scenario-outside.txt", path) < 0)
		return -1;
	return 0;
}

static int teardown(void **unused)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' /tmp/test-emu-scenario-outside.txt", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static int parse(const char *json, EmuScenario **ret, char *err, size_t errlen)
{
	*ret = NULL;
	err[0] = '\0';
	return emu_scenario_parse(json, strlen(json), tmpdir, ret, err, errlen);
}

static void test_defaults(void **unused)
{
	EmuScenario *s;
	char err[512];

	assert_int_equal(parse("{}", &s, err, sizeof(err)), 0);
	assert_true(s->rate_limit_rps == 5);
	assert_true(s->identity_rps == 20);
	assert_int_equal(s->identity_concurrency, 5);
	assert_true(s->strict_headers);
	assert_false(s->strict_metadata_value);
	assert_false(s->stale_goalstate);
	assert_true(s->version_gating);
	assert_string_equal(s->incarnation, "1");
	assert_int_equal(s->json_health, EMU_JSON_HEALTH_OK);
	assert_true(s->identity.enabled);
	assert_int_equal(s->identity.expires_in, 3599);
	assert_null(s->vm);
	assert_int_equal(s->n_imds, 0);
	assert_int_equal(s->n_wireserver, 0);
	emu_scenario_free(s);
}

static void test_all_keys(void **unused)
{
	EmuScenario *s;
	char err[512];
	const char *json =
	    "{\"name\":\"all\",\"description\":\"every key\",\"rate_limit_rps\":2.5,"
	    "\"identity_rps\":7,\"identity_concurrency\":1,\"strict_headers\":false,"
	    "\"strict_metadata_value\":true,\"incarnation\":3,\"container_id\":\"c\","
	    "\"instance_id\":\"i\",\"stale_goalstate\":true,\"version_gating\":false,"
	    "\"json_health\":\"not_supported\",\"reprovision_ready\":true,"
	    "\"identity\":{\"enabled\":false,\"client_id\":\"a\",\"object_id\":\"b\","
	    "\"msi_res_id\":\"m\",\"access_token\":\"t\",\"expires_in\":60},"
	    "\"vm\":{\"compute\":{\"vmId\":\"v\"},\"password\":\"pw\",\"customData\":\"cd\"},"
	    "\"scheduled_events\":{\"Events\":[{\"EventId\":\"e\"}]},"
	    "\"imds\":{\"/metadata/instance\":[{\"status\":503,\"headers\":{\"Retry-After\":\"2\"},"
	    "\"body\":\"raw\",\"delay_ms\":10,\"fault\":\"slow_body\",\"fault_arg\":3},"
	    "{\"body_json\":{\"a\":[1,2]}},{\"body_file\":\"sub/inner.xml\"},{\"default\":true},"
	    "{\"body_b64\":\"/wA=\"}]},"
	    "\"wireserver\":{\"/machine/?comp=goalstate\":[{\"status\":200}],"
	    "\"/provisioning/health?api-version=1\":[{\"fault\":\"hang\"}]}}";

	int r = parse(json, &s, err, sizeof(err));
	if (r < 0)
		fail_msg("%s", err);
	assert_string_equal(s->name, "all");
	assert_true(s->rate_limit_rps == 2.5);
	assert_true(s->identity_rps == 7);
	assert_int_equal(s->identity_concurrency, 1);
	assert_false(s->strict_headers);
	assert_true(s->strict_metadata_value);
	assert_string_equal(s->incarnation, "3");
	assert_string_equal(s->container_id, "c");
	assert_string_equal(s->instance_id, "i");
	assert_true(s->stale_goalstate);
	assert_false(s->version_gating);
	assert_int_equal(s->json_health, EMU_JSON_HEALTH_NOT_SUPPORTED);
	assert_true(s->reprovision_ready);
	assert_false(s->identity.enabled);
	assert_string_equal(s->identity.client_id, "a");
	assert_string_equal(s->identity.access_token, "t");
	assert_int_equal(s->identity.expires_in, 60);
	assert_non_null(s->vm);
	assert_string_equal(s->vm->password, "pw");
	assert_string_equal(s->vm->custom_data, "cd");

	assert_int_equal(s->n_imds, 1);
	const EmuQueue *q = &s->imds[0];
	assert_string_equal(q->key, "/metadata/instance");
	assert_int_equal(q->n_entries, 5);
	assert_int_equal(q->entries[4].body_len, 2);
	assert_memory_equal(q->entries[4].body, "\xff\x00", 2);
	assert_int_equal(q->entries[0].status, 503);
	assert_string_equal(
	    emu_pairs_get(q->entries[0].headers, q->entries[0].n_headers, "retry-after", true),
	    "2");
	assert_string_equal(q->entries[0].body, "raw");
	assert_int_equal(q->entries[0].delay_ms, 10);
	assert_int_equal(q->entries[0].fault, EMU_FAULT_SLOW_BODY);
	assert_int_equal(q->entries[0].fault_arg, 3);
	assert_true(q->entries[0].has_fault_arg);
	assert_int_equal(q->entries[1].status, 200);
	assert_string_equal(q->entries[1].body, "{\"a\":[1,2]}");
	assert_true(q->entries[1].body_is_json);
	assert_int_equal(q->entries[2].body_len, 4);
	assert_memory_equal(q->entries[2].body, "<a/>", 4);
	assert_true(q->entries[3].use_default);
	assert_false(q->entries[3].has_body);

	/* "/machine/?comp=goalstate" and "/machine?comp=goalstate" are one key; only comp is kept.
	 */
	assert_int_equal(s->n_wireserver, 2);
	assert_true(emu_scenario_find_queue(s->wireserver, 2, "/machine?comp=goalstate") >= 0);
	assert_true(emu_scenario_find_queue(s->wireserver, 2, "/provisioning/health") >= 0);
	emu_scenario_free(s);
}

static void expect_error(const char *json, const char *message)
{
	EmuScenario *s = (EmuScenario *)1;
	char err[1024];
	int r = parse(json, &s, err, sizeof(err));
	if (r >= 0)
		fail_msg("accepted: %s", json);
	assert_null(s); /* nothing half-built is handed out */
	if (!strstr(err, message))
		fail_msg("error '%s' does not contain '%s'", err, message);
}

static void test_bad_scenarios(void **unused)
{
	expect_error("", "scenario: unexpected end of JSON");
	expect_error("{\"imds\":", "scenario: unexpected end of JSON");
	expect_error("{} x", "scenario: invalid JSON at offset 3");
	expect_error("[]", "expected a JSON object at the top level");
	expect_error("{\"rate_limit\":5}", "unknown key 'rate_limit'");
	expect_error("{\"rate_limit_rps\":\"5\"}", "rate_limit_rps: expected a number");
	expect_error("{\"rate_limit_rps\":-1}", "rate_limit_rps: expected a number between 0");
	expect_error("{\"identity_concurrency\":1.5}",
		     "identity_concurrency: expected a non-negative integer");
	expect_error("{\"strict_headers\":\"yes\"}", "strict_headers: expected true or false");
	expect_error("{\"incarnation\":true}", "incarnation: expected a string");
	expect_error("{\"incarnation\":-1}", "incarnation: must not be negative");
	expect_error("{\"container_id\":1}", "container_id: expected a string");
	expect_error("{\"json_health\":\"maybe\"}",
		     "json_health: expected \"ok\" or \"not_supported\"");
	expect_error("{\"identity\":{\"enable\":true}}", "identity: unknown key 'enable'");
	expect_error("{\"identity\":{\"enabled\":1}}", "identity.enabled: expected true or false");
	expect_error("{\"identity\":[]}", "identity: expected an object");
	expect_error("{\"vm\":{\"network\":{}}}", "vm: missing key 'compute'");
	expect_error("{\"vm\":{\"compute\":{},\"secret\":1}}", "vm: unknown key 'secret'");
	expect_error("{\"vm\":{\"compute\":[]}}", "vm.compute: expected an object");
	expect_error("{\"vm\":{\"compute\":{},\"password\":1}}", "vm.password: expected a string");
	expect_error("{\"vm\":\"missing.json\"}", "vm: cannot open 'missing.json'");
	expect_error("{\"vm\":\"body.json\"}",
		     "vm: unknown key 'x' (allowed: compute, network, "
		     "extended, ovf, ovf_file, password, customData) (in body.json)");
	expect_error("{\"scheduled_events\":{\"Events\":[{}]}}",
		     "scheduled_events.Events[0]: expected an object with a string EventId");
	expect_error("{\"scheduled_events\":{\"x\":1}}", "scheduled_events: unknown key 'x'");
	expect_error("{\"imds\":[]}", "imds: expected an object mapping paths");
	expect_error("{\"imds\":{\"metadata/instance\":[{}]}}",
		     "imds: key 'metadata/instance' must be a path starting with '/'");
	expect_error("{\"imds\":{\"/m\":[]}}", "imds./m: expected a non-empty array");
	expect_error("{\"imds\":{\"/m\":{}}}", "imds./m: expected a non-empty array");
	expect_error(
	    "{\"wireserver\":{\"/machine?comp=health\":[{}],\"/machine/?comp=health\":[{}]}}",
	    "wireserver: key '/machine/?comp=health' names the same endpoint");
	expect_error("{\"imds\":{\"/m\":[{},{\"status\":\"200\"}]}}",
		     "imds./m[1].status: expected a non-negative integer");
	expect_error("{\"imds\":{\"/m\":[{\"status\":99}]}}",
		     "imds./m[0].status: 99 is not an HTTP status");
	expect_error("{\"imds\":{\"/m\":[{\"status\":600}]}}",
		     "imds./m[0].status: 600 is out of range");
	expect_error("{\"imds\":{\"/m\":[{\"stauts\":200}]}}", "imds./m[0]: unknown key 'stauts'");
	expect_error("{\"imds\":{\"/m\":[{\"headers\":{\"A\":1}}]}}",
		     "imds./m[0].headers.A: expected a string");
	expect_error("{\"imds\":{\"/m\":[{\"headers\":{\"A\":\"x\\r\\nB: y\"}}]}}",
		     "imds./m[0].headers.A: invalid header name or value");
	expect_error("{\"imds\":{\"/m\":[{\"headers\":{\"A B\":\"x\"}}]}}",
		     "invalid header name or value");
	expect_error("{\"imds\":{\"/m\":[{\"body\":1}]}}", "imds./m[0].body: expected a string");
	expect_error("{\"imds\":{\"/m\":[{\"body\":\"a\",\"body_json\":{}}]}}",
		     "imds./m[0]: only one of body, body_json, body_b64 and body_file");
	expect_error("{\"imds\":{\"/m\":[{\"default\":true,\"body\":\"a\"}]}}",
		     "\"default\": true cannot be combined with a body");
	expect_error("{\"imds\":{\"/m\":[{\"body_b64\":\"!!\"}]}}",
		     "imds./m[0].body_b64: not valid base64");
	expect_error("{\"imds\":{\"/m\":[{\"fault\":\"explode\"}]}}",
		     "imds./m[0].fault: expected one of none, slow_headers");
	expect_error("{\"imds\":{\"/m\":[{\"fault_arg\":-3}]}}",
		     "imds./m[0].fault_arg: -3 is out of range");
	expect_error("{\"imds\":{\"/m\":[{\"delay_ms\":1e3}]}}",
		     "imds./m[0].delay_ms: expected a non-negative integer");
	expect_error("{\"imds\":{\"/m\":[{\"body_file\":\"nope.json\"}]}}",
		     "imds./m[0].body_file: cannot open 'nope.json'");
	expect_error("{\"imds\":{\"/m\":[{\"body_file\":\"/etc/hostname\"}]}}",
		     "imds./m[0].body_file: '/etc/hostname' is absolute");
	expect_error("{\"imds\":{\"/m\":[{\"body_file\":\"../test-emu-scenario-outside.txt\"}]}}",
		     "escapes the scenario directory");
	expect_error(
	    "{\"imds\":{\"/m\":[{\"body_file\":\"sub/../../test-emu-scenario-outside.txt\"}]}}",
	    "escapes the scenario directory");
	expect_error("{\"imds\":{\"/m\":[{\"body_file\":\"link\"}]}}",
		     "escapes the scenario directory");
	expect_error("{\"imds\":{\"/m\":[{\"body_file\":\"\"}]}}", "empty file name");
	/* Not valid UTF-8 */
	expect_error("{\"name\":\"\xff\"}", "scenario: invalid JSON");
}

static void test_load_file(void **unused)
{
	const char *src = getenv("LAZULI_SRCDIR");
	const char *files[] = {"imds-two-500-then-ok.json",
			       "json-health-unsupported-fallback-xml.json",
			       "imds-429-retry-after.json"};
	char path[512], err[1024];

	if (!src)
		skip();
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		EmuScenario *s = NULL;
		snprintf(path, sizeof(path), "%s/tests/fixtures/emu/%s", src, files[i]);
		if (emu_scenario_load(path, &s, err, sizeof(err)) < 0)
			fail_msg("%s", err);
		assert_non_null(s->name);
		emu_scenario_free(s);
	}

	/* Errors name the file. */
	EmuScenario *s = NULL;
	snprintf(path, sizeof(path), "%s/body.json", tmpdir);
	assert_int_equal(emu_scenario_load(path, &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "unknown key 'x'"));
	assert_true(emu_scenario_load("/nonexistent/s.json", &s, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "/nonexistent/s.json: No such file or directory"));
}

static void test_fault_names(void **unused)
{
	for (int f = 0; f < _EMU_FAULT_MAX; f++)
		assert_int_equal(emu_fault_from_string(emu_fault_to_string(f)), f);
	assert_int_equal(emu_fault_from_string("refuse"), -EINVAL);
	assert_int_equal(emu_fault_from_string(NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),	  cmocka_unit_test(test_all_keys),
	    cmocka_unit_test(test_bad_scenarios), cmocka_unit_test(test_load_file),
	    cmocka_unit_test(test_fault_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
