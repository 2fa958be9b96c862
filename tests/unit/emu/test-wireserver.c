/* SPDX-License-Identifier: MIT */
/* Wireserver W1-W4 through EmuState: goal state, XML/JSON health, reports, queues. */
#include "emu-test.h"

#define T0 (500 * USEC_PER_SEC)

static const char *const XML_HDRS[] = {"x-ms-version: 2012-11-30", "x-ms-agent-name: test",
				       "Content-Type: text/xml;charset=utf-8", NULL};
static const char *const JSON_HDRS[] = {"x-ms-guest-agent-name: test/1",
					"Content-Type: application/json", NULL};

static char *health_xml(const EmuState *st, const char *inc, const char *health)
{
	char *s;
	assert_true(asprintf(&s,
			     "<?xml version=\"1.0\" encoding=\"utf-8\"?><Health>"
			     "<GoalStateIncarnation>%s</GoalStateIncarnation><Container>"
			     "<ContainerId>%s</ContainerId><RoleInstanceList><Role>"
			     "<InstanceId>%s</InstanceId><Health>%s</Health></Role>"
			     "</RoleInstanceList></Container></Health>",
			     inc ? inc : st->scenario->incarnation, st->scenario->container_id,
			     st->scenario->instance_id, health) > 0);
	return s;
}

static json_object *report(const EmuState *st, size_t i)
{
	assert_true(i < json_object_array_length(st->reports));
	return json_object_array_get_idx(st->reports, i);
}

static const char *field(json_object *o, const char *k)
{
	json_object *v;
	if (!json_object_object_get_ex(o, k, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

static void test_versions_and_goalstate(void **unused)
{
	EmuState st;
	EmuResponse r;
	static const char *const v[] = {"x-ms-version: 2012-11-30", NULL};

	test_state_with(
	    &st, "{\"incarnation\":\"7\",\"container_id\":\"c<&>\",\"instance_id\":\"i-9\"}");

	test_handle(&st, EMU_PORT_WIRESERVER, "GET", "/?comp=versions", NULL, NULL, T0, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(emu_response_get_header(&r, "Content-Type"), "text/xml; charset=utf-8");
	assert_non_null(strstr(r.body, "<Preferred>\n    <Version>2012-11-30</Version>"));
	assert_non_null(strstr(r.body, "<Supported>\n    <Version>2012-11-30</Version>"));
	emu_response_done(&r);

	/* Both spellings of the goal-state path; ids from the scenario, escaped. */
	const char *paths[] = {"/machine/?comp=goalstate", "/machine?comp=goalstate"};
	for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
		test_handle(&st, EMU_PORT_WIRESERVER, "GET", paths[i], v, NULL, T0, &r);
		assert_int_equal(r.status, 200);
		assert_non_null(strstr(r.body, "<Incarnation>7</Incarnation>"));
		assert_non_null(strstr(r.body, "<ContainerId>c&lt;&amp;&gt;</ContainerId>"));
		assert_non_null(strstr(r.body, "<InstanceId>i-9</InstanceId>"));
		emu_response_done(&r);
	}

	/* strict_headers: no x-ms-version -> 400 with an empty body. */
	test_handle(&st, EMU_PORT_WIRESERVER, "GET", "/machine/?comp=goalstate", NULL, NULL, T0,
		    &r);
	assert_int_equal(r.status, 400);
	assert_int_equal(r.body_len, 0);
	emu_response_done(&r);

	test_handle(&st, EMU_PORT_WIRESERVER, "POST", "/machine/?comp=goalstate", v, NULL, T0, &r);
	assert_int_equal(r.status, 405);
	emu_response_done(&r);
	test_handle(&st, EMU_PORT_WIRESERVER, "GET", "/machine/?comp=nothing", v, NULL, T0, &r);
	assert_int_equal(r.status, 404);
	emu_response_done(&r);
	emu_state_done(&st);

	test_state_with(&st, "{\"strict_headers\":false}");
	test_handle(&st, EMU_PORT_WIRESERVER, "GET", "/machine/?comp=goalstate", NULL, NULL, T0,
		    &r);
	assert_int_equal(r.status, 200);
	emu_response_done(&r);
	emu_state_done(&st);
}

static void test_xml_health(void **unused)
{
	EmuState st;
	EmuResponse r;

	test_state_with(&st, NULL);
	_cleanup_free_ char *ready = health_xml(&st, NULL, "<State>Ready</State>");

	/* Both path spellings; success is 200 with an empty body, and it is recorded. */
	test_handle(&st, EMU_PORT_WIRESERVER, "POST", "/machine?comp=health", XML_HDRS, ready, T0,
		    &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	emu_response_done(&r);
	test_handle(&st, EMU_PORT_WIRESERVER, "POST", "/machine/?comp=health", XML_HDRS, ready, T0,
		    &r);
	assert_int_equal(r.status, 200);
	emu_response_done(&r);
	json_object *rep = report(&st, 0);
	assert_string_equal(field(rep, "proto"), "xml");
	assert_string_equal(field(rep, "state"), "Ready");
	assert_string_equal(field(rep, "incarnation"), "1");
	assert_string_equal(field(rep, "container_id"), st.scenario->container_id);
	assert_string_equal(field(rep, "instance_id"), st.scenario->instance_id);
	assert_string_equal(field(rep, "status_returned"), "200");
	assert_string_equal(field(rep, "agent_name"), "test");
	assert_null(field(rep, "error"));
	assert_null(field(rep, "substatus"));

	/* Stale incarnation: 400 InvalidContainerConfiguration (stale_goalstate off). */
	_cleanup_free_ char *stale = health_xml(&st, "0", "<State>Ready</State>");
	test_handle(&st, EMU_PORT_WIRESERVER, "POST", "/machine?comp=health", XML_HDRS, stale, T0,
		    &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.body, "InvalidContainerConfiguration");
	emu_response_done(&r);
	assert_string_equal(field(report(&st, 2), "status_returned"), "400");
	assert_string_equal(field(report(&st, 2), "incarnation"), "0");

	/* Malformed XML: 400 naming the problem, still recorded. */
	test_handle(&st, EMU_PORT_WIRESERVER, "POST", "/machine?comp=health", XML_HDRS, "<Health>",
		    T0, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "XML not well-formed"));
	emu_response_done(&r);
	assert_non_null(strstr(field(report(&st, 3), "error"), "XML not well-formed"));

	/* Wrong State after matching ids. */
	_cleanup_free_ char *bad = health_xml(&st, NULL, "<State>Fine</State>");
	test_handle(&st, EMU_PORT_WIRESERVER, "POST", "/machine?comp=health", XML_HDRS, bad, T0,
		    &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.body, "State must be Ready or NotReady, not 'Fine'");
	emu_response_done(&r);

	/* Strict headers. */
	static const char *const no_version[] = {"Content-Type: text/xml", NULL};
	static const char *const no_ctype[] = {"x-ms-version: 2012-11-30", NULL};
	test_handle(&st, EMU_PORT_WIRESERVER, "POST", "/machine?comp=health", no_version, ready, T0,
		    &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "x-ms-version"));
	emu_response_done(&r);
	test_handle(&st, EMU_PORT_WIRESERVER, "POST", "/machine?comp=health", no_ctype, ready, T0,
		    &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.body, "Content-Type must be text/xml");
	emu_response_done(&r);
	assert_int_equal(json_object_array_length(st.reports), 7);
	emu_state_done(&st);

	/* stale_goalstate: a mismatch is 410 instead. */
	test_state_with(&st, "{\"stale_goalstate\":true,\"incarnation\":\"5\"}");
	_cleanup_free_ char *old = health_xml(&st, "4", "<State>Ready</State>");
	test_handle(&st, EMU_PORT_WIRESERVER, "POST", "/machine?comp=health", XML_HDRS, old, T0,
		    &r);
	assert_int_equal(r.status, 410);
	emu_response_done(&r);
	emu_state_done(&st);
}

static void test_json_health(void **unused)
{
	EmuState st;
	EmuResponse r;

	test_state_with(&st, NULL);
	test_handle(&st, EMU_PORT_WIRESERVER, "POST", "/provisioning/health", JSON_HDRS,
		    "{\"state\":\"NotReady\",\"details\":{\"subStatus\":\"Provisioning\","
		    "\"description\":\"starting\"}}",
		    T0, &r);
	assert_int_equal(r.status, 201);
	assert_int_equal(r.body_len, 0);
	emu_response_done(&r);
	test_handle(&st, EMU_PORT_WIRESERVER, "POST", "/provisioning/health?api-version=2015-01-01",
		    JSON_HDRS, "{\"state\":\"Ready\"}", T0, &r);
	assert_int_equal(r.status, 201);
	emu_response_done(&r);
	assert_true(st.ready_accepted);
	/* Idempotent after Ready. */
	test_handle(&st, EMU_PORT_WIRESERVER, "POST", "/provisioning/health", JSON_HDRS,
		    "{\"state\":\"Ready\"}", T0, &r);
	assert_int_equal(r.status, 201);
	emu_response_done(&r);

	json_object *rep = report(&st, 0);
	assert_string_equal(field(rep, "proto"), "json");
	assert_string_equal(field(rep, "state"), "NotReady");
	assert_string_equal(field(rep, "substatus"), "Provisioning");
	assert_string_equal(field(rep, "description"), "starting");
	assert_string_equal(field(rep, "agent_name"), "test/1");
	assert_null(field(rep, "incarnation"));
	assert_string_equal(field(report(&st, 1), "state"), "Ready");

	/* Invalid bodies and headers. */
	static const char *const no_agent[] = {"Content-Type: application/json", NULL};
	static const char *const xml_type[] = {"x-ms-guest-agent-name: a", "Content-Type: text/xml",
					       NULL};
	test_handle(&st, EMU_PORT_WIRESERVER, "POST", "/provisioning/health", no_agent,
		    "{\"state\":\"Ready\"}", T0, &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.body, "Missing x-ms-guest-agent-name header");
	emu_response_done(&r);
	test_handle(&st, EMU_PORT_WIRESERVER, "POST", "/provisioning/health", xml_type,
		    "{\"state\":\"Ready\"}", T0, &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.body, "Content-Type must be application/json");
	emu_response_done(&r);
	test_handle(&st, EMU_PORT_WIRESERVER, "POST", "/provisioning/health", JSON_HDRS,
		    "{\"state\":\"NotReady\"}", T0, &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.body, "NotReady requires details");
	emu_response_done(&r);
	assert_string_equal(field(report(&st, 5), "error"), "NotReady requires details");
	assert_string_equal(field(report(&st, 5), "status_returned"), "400");
	test_handle(&st, EMU_PORT_WIRESERVER, "GET", "/provisioning/health", JSON_HDRS, NULL, T0,
		    &r);
	assert_int_equal(r.status, 405);
	emu_response_done(&r);
	emu_state_done(&st);

	/* Unsupported: 404, recorded (so a test can see the fallback was tried first). */
	test_state_with(&st, "{\"json_health\":\"not_supported\"}");
	test_handle(&st, EMU_PORT_WIRESERVER, "POST", "/provisioning/health", JSON_HDRS,
		    "{\"state\":\"Ready\"}", T0, &r);
	assert_int_equal(r.status, 404);
	emu_response_done(&r);
	assert_string_equal(field(report(&st, 0), "status_returned"), "404");
	assert_string_equal(field(report(&st, 0), "state"), "Ready");
	emu_state_done(&st);

	/* strict_headers off accepts a bare POST. */
	test_state_with(&st, "{\"strict_headers\":false}");
	test_handle(&st, EMU_PORT_WIRESERVER, "POST", "/provisioning/health", NULL,
		    "{\"state\":\"Ready\"}", T0, &r);
	assert_int_equal(r.status, 201);
	emu_response_done(&r);
	emu_state_done(&st);
}

static void test_queues(void **unused)
{
	EmuState st;
	EmuResponse r;
	static const char *const v[] = {"x-ms-version: 2012-11-30", NULL};

	test_state_with(
	    &st, "{\"incarnation\":\"3\",\"wireserver\":{"
		 "\"/machine?comp=health\":[{\"status\":503,\"headers\":{\"Retry-After\":\"2\"}},"
		 "{\"default\":true}],"
		 "\"/machine/?comp=goalstate\":[{\"body\":\"<G>{incarnation}|{container_id}|"
		 "{instance_id}|{wireserver}|{other}</G>\"}]}}");
	_cleanup_free_ char *ready = health_xml(&st, NULL, "<State>Ready</State>");

	/* Scripted 503 is served and the report recorded with it; then the built-in check. */
	test_handle(&st, EMU_PORT_WIRESERVER, "POST", "/machine/?comp=health", XML_HDRS, ready, T0,
		    &r);
	assert_int_equal(r.status, 503);
	assert_string_equal(emu_response_get_header(&r, "Retry-After"), "2");
	emu_response_done(&r);
	test_handle(&st, EMU_PORT_WIRESERVER, "POST", "/machine?comp=health", XML_HDRS, ready, T0,
		    &r);
	assert_int_equal(r.status, 200);
	emu_response_done(&r);
	assert_string_equal(field(report(&st, 0), "status_returned"), "503");
	assert_string_equal(field(report(&st, 0), "state"), "Ready");
	assert_string_equal(field(report(&st, 1), "status_returned"), "200");

	/* Placeholders in scripted bodies; XML content type by default on the wireserver. */
	test_handle(&st, EMU_PORT_WIRESERVER, "GET", "/machine?comp=goalstate", v, NULL, T0, &r);
	char want[512];
	snprintf(want, sizeof(want), "<G>3|%s|%s|http://168.63.129.16|{other}</G>",
		 st.scenario->container_id, st.scenario->instance_id);
	assert_string_equal(r.body, want);
	assert_string_equal(emu_response_get_header(&r, "Content-Type"), "text/xml; charset=utf-8");
	emu_response_done(&r);
	emu_state_done(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_versions_and_goalstate),
	    cmocka_unit_test(test_xml_health),
	    cmocka_unit_test(test_json_health),
	    cmocka_unit_test(test_queues),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
