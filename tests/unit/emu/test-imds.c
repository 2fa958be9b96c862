/* SPDX-License-Identifier: MIT */
/* IMDS behaviour of lazuli-emu (spec 8.2 I1-I8), through EmuState without sockets. */
#include "emu-test.h"

#define V "api-version=2023-11-15"
#define T0 (1000 * USEC_PER_SEC)

static json_object *body_json(const EmuResponse *r)
{
	char err[256];
	json_object *o = NULL;
	if (emu_json_parse(r->body, r->body_len, &o, err, sizeof(err)) < 0)
		fail_msg("body is not JSON (%s): %.*s", err, (int)r->body_len, r->body);
	return o;
}

static void assert_error(const EmuResponse *r, int status, const char *message)
{
	assert_int_equal(r->status, status);
	json_object *o = body_json(r), *e;
	assert_true(json_object_object_get_ex(o, "error", &e));
	assert_string_equal(json_object_get_string(e), message);
	json_object_put(o);
	assert_string_equal(emu_response_get_header(r, "Content-Type"),
			    "application/json; charset=utf-8");
}

#define MSG_HEADER "Bad request. Required metadata header not specified"
#define MSG_XFF "Bad request. X-Forwarded-For header is not allowed"
#define MSG_VERSION                                                                                \
	"Bad request. api-version is invalid or was not specified in the request. For more "       \
	"information refer to aka.ms/azureimds"

static void test_validation_order(void **unused)
{
	EmuState st;
	EmuResponse r;
	static const char *const meta_xff[] = {"Metadata: true", "X-Forwarded-For: 1.2.3.4", NULL};
	static const char *const xff_only[] = {"X-Forwarded-For: 1.2.3.4", NULL};

	test_state_with(&st, "{\"rate_limit_rps\":0}");

	/* Every rule broken at once: the Metadata header is reported first. */
	test_handle(&st, EMU_PORT_IMDS, "POST", "/nope?a=1&a=2", xff_only, NULL, T0, &r);
	assert_error(&r, 400, MSG_HEADER);
	emu_response_done(&r);

	/* 2. X-Forwarded-For before duplicate keys, api-version, method and path. */
	test_handle(&st, EMU_PORT_IMDS, "POST", "/nope?a=1&a=2", meta_xff, NULL, T0, &r);
	assert_error(&r, 400, MSG_XFF);
	emu_response_done(&r);

	/* 3. Duplicate query keys (even a duplicated, valid api-version). */
	test_handle(&st, EMU_PORT_IMDS, "POST", "/nope?" V "&" V, HDR_META, NULL, T0, &r);
	assert_error(&r, 400,
		     "Bad request. Query parameter 'api-version' is specified more than once");
	emu_response_done(&r);

	/* 4. api-version missing, then unknown, with the newest-versions list. */
	const char *bad[] = {"/nope", "/metadata/instance?api-version=2022-01-01",
			     "/metadata/instance?api-version="};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		test_handle(&st, EMU_PORT_IMDS, "POST", bad[i], HDR_META, NULL, T0, &r);
		assert_error(&r, 400, MSG_VERSION);
		json_object *o = body_json(&r), *nv;
		assert_true(json_object_object_get_ex(o, "newest-versions", &nv));
		assert_int_equal(json_object_array_length(nv), 3);
		assert_string_equal(json_object_get_string(json_object_array_get_idx(nv, 0)),
				    "2025-04-07");
		json_object_put(o);
		emu_response_done(&r);
	}

	/* 5. Method before path: a POST to an unknown path is 405, GET is 404. */
	test_handle(&st, EMU_PORT_IMDS, "POST", "/nope?" V, HDR_META, NULL, T0, &r);
	assert_error(&r, 405, "Method not allowed");
	assert_string_equal(emu_response_get_header(&r, "Allow"), "GET");
	emu_response_done(&r);
	test_handle(&st, EMU_PORT_IMDS, "PUT", "/metadata/instance?" V, HDR_META, NULL, T0, &r);
	assert_int_equal(r.status, 405);
	emu_response_done(&r);

	/* 6. Unknown path. */
	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/nope?" V, HDR_META, NULL, T0, &r);
	assert_error(&r, 404, "Not found");
	emu_response_done(&r);

	/* /metadata/versions needs no api-version. */
	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/versions", HDR_META, NULL, T0, &r);
	assert_int_equal(r.status, 200);
	json_object *o = body_json(&r), *a;
	assert_true(json_object_object_get_ex(o, "apiVersions", &a));
	assert_int_equal(json_object_array_length(a), 35);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 0)), "2017-03-01");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 34)), "2025-04-07");
	json_object_put(o);
	emu_response_done(&r);

	emu_state_done(&st);
}

static void test_metadata_value(void **unused)
{
	EmuState st;
	EmuResponse r;
	static const char *const wala[] = {"metadata: True", NULL};
	static const char *const wrong[] = {"Metadata: yes", NULL};

	/* WALA's "True" (and a lower-case header name) pass unless strict_metadata_value. */
	test_state_with(&st, "{\"rate_limit_rps\":0}");
	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/instance?" V, wala, NULL, T0, &r);
	assert_int_equal(r.status, 200);
	emu_response_done(&r);
	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/instance?" V, wrong, NULL, T0, &r);
	assert_error(&r, 400, MSG_HEADER);
	emu_response_done(&r);
	emu_state_done(&st);

	test_state_with(&st, "{\"rate_limit_rps\":0,\"strict_metadata_value\":true}");
	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/instance?" V, wala, NULL, T0, &r);
	assert_error(&r, 400, MSG_HEADER);
	emu_response_done(&r);
	emu_state_done(&st);
}

static const char *str_at(json_object *o, const char *a, const char *b, const char *c)
{
	json_object *x = o;
	if (a && !json_object_object_get_ex(x, a, &x))
		return NULL;
	if (b && !json_object_object_get_ex(x, b, &x))
		return NULL;
	if (c && !json_object_object_get_ex(x, c, &x))
		return NULL;
	return json_object_get_string(x);
}

static void test_instance_and_extended(void **unused)
{
	EmuState st;
	EmuResponse r;
	json_object *o;

	test_state_with(&st, "{\"rate_limit_rps\":0}");

	test_handle(&st, EMU_PORT_IMDS, "GET",
		    "/metadata/instance?api-version=2023-11-15&extended=true", HDR_META, NULL, T0,
		    &r);
	assert_int_equal(r.status, 200);
	o = body_json(&r);
	assert_string_equal(str_at(o, "compute", "osProfile", "adminUsername"), "azureuser");
	assert_string_equal(str_at(o, "compute", "osProfile", "computerName"), "temp-vm");
	assert_string_equal(str_at(o, "extended", "compute", "ppsType"), "None");
	assert_string_equal(str_at(o, "network", NULL, NULL) ? "x" : "", "x");
	json_object_put(o);
	emu_response_done(&r);

	/* No extended block unless asked for. */
	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/instance?" V, HDR_META, NULL, T0, &r);
	o = body_json(&r);
	assert_false(json_object_object_get_ex(o, "extended", NULL));
	json_object_put(o);
	emu_response_done(&r);

	/* extended=true with an api-version older than 2021-08-01 is refused. */
	test_handle(&st, EMU_PORT_IMDS, "GET",
		    "/metadata/instance?api-version=2021-05-01&extended=true", HDR_META, NULL, T0,
		    &r);
	assert_int_equal(r.status, 400);
	emu_response_done(&r);

	/* An old api-version lacks the fields introduced later (osProfile: 2020-07-15). */
	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/instance?api-version=2019-06-01",
		    HDR_META, NULL, T0, &r);
	assert_int_equal(r.status, 200);
	o = body_json(&r);
	assert_null(str_at(o, "compute", "osProfile", NULL));
	assert_null(str_at(o, "compute", "userData", NULL));
	assert_non_null(str_at(o, "compute", "publicKeys", NULL));
	assert_non_null(str_at(o, "compute", "vmId", NULL));
	json_object_put(o);
	emu_response_done(&r);

	/* 2020-07-15 has adminUsername but not disablePasswordAuthentication (2020-10-01). */
	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/instance?api-version=2020-07-15",
		    HDR_META, NULL, T0, &r);
	o = body_json(&r);
	assert_string_equal(str_at(o, "compute", "osProfile", "adminUsername"), "azureuser");
	assert_null(str_at(o, "compute", "osProfile", "disablePasswordAuthentication"));
	json_object_put(o);
	emu_response_done(&r);
	emu_state_done(&st);

	/* version_gating off serves the whole document to any version. */
	test_state_with(&st, "{\"rate_limit_rps\":0,\"version_gating\":false}");
	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/instance?api-version=2019-06-01",
		    HDR_META, NULL, T0, &r);
	o = body_json(&r);
	assert_string_equal(str_at(o, "compute", "osProfile", "adminUsername"), "azureuser");
	json_object_put(o);
	emu_response_done(&r);
	emu_state_done(&st);
}

static void test_route_filtering(void **unused)
{
	EmuState st;
	EmuResponse r;

	test_state_with(&st, "{\"rate_limit_rps\":0}");

	/* Leaf without format=text: 400. */
	test_handle(&st, EMU_PORT_IMDS, "GET",
		    "/metadata/instance/compute/osProfile/adminUsername?" V, HDR_META, NULL, T0,
		    &r);
	assert_error(&r, 400, "Bad request. Leaf nodes require format=text");
	emu_response_done(&r);

	/* Leaf with format=text: the raw value, no quotes, no newline. */
	test_handle(&st, EMU_PORT_IMDS, "GET",
		    "/metadata/instance/compute/osProfile/adminUsername?" V "&format=text",
		    HDR_META, NULL, T0, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(emu_response_get_header(&r, "Content-Type"),
			    "text/plain; charset=utf-8");
	assert_int_equal(r.body_len, strlen("azureuser"));
	assert_memory_equal(r.body, "azureuser", r.body_len);
	emu_response_done(&r);

	/* Array index, and a trailing slash, walk into publicKeys. */
	test_handle(&st, EMU_PORT_IMDS, "GET",
		    "/metadata/instance/compute/publicKeys/0/path/?" V "&format=text", HDR_META,
		    NULL, T0, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "/home/azureuser/.ssh/authorized_keys");
	emu_response_done(&r);

	/* Object: JSON. */
	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/instance/compute/osProfile?" V, HDR_META,
		    NULL, T0, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"adminUsername\":\"azureuser\",\"computerName\":\"temp-vm\","
				    "\"disablePasswordAuthentication\":\"true\"}");
	emu_response_done(&r);

	/* Object with format=text: the child names, "/" after non-leaves. */
	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/instance?" V "&format=text", HDR_META,
		    NULL, T0, &r);
	assert_string_equal(r.body, "compute/\nnetwork/");
	emu_response_done(&r);

	/* Missing key, bad index, index past the end: 404. */
	const char *missing[] = {"/metadata/instance/compute/nope?" V,
				 "/metadata/instance/compute/publicKeys/x?" V,
				 "/metadata/instance/compute/publicKeys/1?" V,
				 "/metadata/instance/compute/vmId/deeper?" V "&format=text"};
	for (size_t i = 0; i < ELEMENTSOF(missing); i++) {
		test_handle(&st, EMU_PORT_IMDS, "GET", missing[i], HDR_META, NULL, T0, &r);
		assert_error(&r, 404, "Not found");
		emu_response_done(&r);
	}

	/* Unknown format. */
	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/instance?" V "&format=xml", HDR_META,
		    NULL, T0, &r);
	assert_int_equal(r.status, 400);
	emu_response_done(&r);
	emu_state_done(&st);
}

static void test_queue_after_validation(void **unused)
{
	EmuState st;
	EmuResponse r;

	test_state_with(&st,
			"{\"rate_limit_rps\":0,\"imds\":{\"/metadata/instance\":["
			"{\"status\":500,\"body_json\":{\"error\":\"Internal server error.\"}},"
			"{\"status\":410,\"headers\":{\"Retry-After\":\"7\"},\"delay_ms\":25},"
			"{\"default\":true,\"fault\":\"truncate\",\"fault_arg\":5}],"
			"\"/metadata/custom/\":[{\"status\":204}]}}");

	/* Without the header the queue is not consumed: validation comes first. */
	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/instance?" V, NULL, NULL, T0, &r);
	assert_error(&r, 400, MSG_HEADER);
	assert_null(r.queue_key);
	emu_response_done(&r);

	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/instance?" V, HDR_META, NULL, T0, &r);
	assert_error(&r, 500, "Internal server error.");
	assert_string_equal(r.queue_key, "/metadata/instance");
	assert_int_equal(r.queue_index, 0);
	emu_response_done(&r);

	/* Sub-paths have their own (absent) queue. */
	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/instance/compute/vmId?" V "&format=text",
		    HDR_META, NULL, T0, &r);
	assert_int_equal(r.status, 200);
	emu_response_done(&r);

	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/instance/?" V, HDR_META, NULL, T0, &r);
	assert_int_equal(r.status, 410);
	assert_string_equal(emu_response_get_header(&r, "Retry-After"), "7");
	assert_int_equal(r.delay_ms, 25);
	assert_int_equal(r.body_len, 0);
	emu_response_done(&r);

	/* "default": true serves the built-in document with the entry's fault; it then repeats. */
	for (int i = 0; i < 2; i++) {
		test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/instance?" V, HDR_META, NULL, T0,
			    &r);
		assert_int_equal(r.status, 200);
		assert_int_equal(r.queue_index, 2);
		assert_int_equal(r.fault, EMU_FAULT_TRUNCATE);
		assert_int_equal(r.fault_arg, 5);
		assert_memory_equal(r.body, "{\"compute\"", 10);
		emu_response_done(&r);
	}

	/* A queue may serve a path the built-in IMDS does not know. */
	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/custom?" V, HDR_META, NULL, T0, &r);
	assert_int_equal(r.status, 204);
	emu_response_done(&r);

	/* Reset rewinds the queue. */
	assert_int_equal(emu_state_reset(&st), 0);
	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/instance?" V, HDR_META, NULL, T0, &r);
	assert_int_equal(r.status, 500);
	emu_response_done(&r);
	emu_state_done(&st);
}

static void test_rate_limit(void **unused)
{
	EmuState st;
	EmuResponse r;

	test_state_with(&st, NULL); /* default: 5 requests per second */
	for (int i = 0; i < 5; i++) {
		test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/instance?" V, HDR_META, NULL,
			    T0 + (usec_t)i * 1000, &r);
		assert_int_equal(r.status, 200);
		emu_response_done(&r);
	}
	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/instance?" V, HDR_META, NULL, T0 + 5000,
		    &r);
	assert_error(&r, 429, "Too many requests");
	assert_string_equal(emu_response_get_header(&r, "Retry-After"), "1");
	emu_response_done(&r);

	/* Identity has its own budget. */
	test_handle(&st, EMU_PORT_IMDS, "GET",
		    "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://x/",
		    HDR_META, NULL, T0 + 6000, &r);
	assert_int_equal(r.status, 200);
	emu_response_done(&r);

	/* A fifth of a second later one more token is there. */
	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/instance?" V, HDR_META, NULL,
		    T0 + 5000 + USEC_PER_SEC / 5, &r);
	assert_int_equal(r.status, 200);
	emu_response_done(&r);
	emu_state_done(&st);
}

static void test_identity(void **unused)
{
	EmuState st;
	EmuResponse r;
	json_object *o;
	usec_t now_real = T0 + 1700000000ULL * USEC_PER_SEC;
	char want[32];

	test_state_with(&st, "{\"rate_limit_rps\":0,\"identity\":{\"client_id\":\"cid-1\"}}");

	test_handle(&st, EMU_PORT_IMDS, "GET",
		    "/metadata/identity/oauth2/"
		    "token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net",
		    NULL, NULL, T0, &r);
	assert_int_equal(r.status, 400);
	o = body_json(&r);
	assert_string_equal(str_at(o, "error", NULL, NULL), "bad_request_102");
	assert_string_equal(str_at(o, "error_description", NULL, NULL),
			    "Required metadata header not specified");
	json_object_put(o);
	emu_response_done(&r);

	test_handle(&st, EMU_PORT_IMDS, "GET",
		    "/metadata/identity/oauth2/"
		    "token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net",
		    HDR_META, NULL, T0, &r);
	assert_int_equal(r.status, 200);
	o = body_json(&r);
	assert_string_equal(str_at(o, "resource", NULL, NULL), "https://vault.azure.net");
	assert_string_equal(str_at(o, "token_type", NULL, NULL), "Bearer");
	assert_string_equal(str_at(o, "expires_in", NULL, NULL), "3599");
	assert_string_equal(str_at(o, "refresh_token", NULL, NULL), "");
	snprintf(want, sizeof(want), "%llu", (unsigned long long)(now_real / USEC_PER_SEC + 3599));
	assert_string_equal(str_at(o, "expires_on", NULL, NULL), want);
	snprintf(want, sizeof(want), "%llu", (unsigned long long)(now_real / USEC_PER_SEC - 60));
	assert_string_equal(str_at(o, "not_before", NULL, NULL), want);
	/* JWT-shaped: three base64url parts. */
	const char *tok = str_at(o, "access_token", NULL, NULL);
	assert_non_null(tok);
	_cleanup_strv_free_ char **parts = NULL;
	assert_int_equal(strv_split(tok, ".", &parts), 0);
	assert_int_equal(strv_length(parts), 3);
	assert_null(strpbrk(tok, "+/="));
	json_object_put(o);
	emu_response_done(&r);

	/* Missing resource, wrong client_id, two selectors. */
	const char *bad[][2] = {
	    {"/metadata/identity/oauth2/token?api-version=2018-02-01",
	     "Required query variable 'resource' is missing"},
	    {"/metadata/identity/oauth2/token?api-version=2018-02-01&resource=r&client_id=other",
	     "Identity not found"},
	    {"/metadata/identity/oauth2/"
	     "token?api-version=2018-02-01&resource=r&client_id=cid-1&object_id=o",
	     "Only one of client_id, object_id and msi_res_id may be specified"},
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		test_handle(&st, EMU_PORT_IMDS, "GET", bad[i][0], HDR_META, NULL, T0, &r);
		assert_int_equal(r.status, 400);
		o = body_json(&r);
		assert_string_equal(str_at(o, "error", NULL, NULL), "invalid_request");
		assert_string_equal(str_at(o, "error_description", NULL, NULL), bad[i][1]);
		json_object_put(o);
		emu_response_done(&r);
	}
	test_handle(
	    &st, EMU_PORT_IMDS, "GET",
	    "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=r&client_id=cid-1",
	    HDR_META, NULL, T0, &r);
	assert_int_equal(r.status, 200);
	emu_response_done(&r);
	emu_state_done(&st);

	test_state_with(&st, "{\"identity\":{\"enabled\":false}}");
	test_handle(&st, EMU_PORT_IMDS, "GET",
		    "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=r", HDR_META,
		    NULL, T0, &r);
	assert_int_equal(r.status, 400);
	o = body_json(&r);
	assert_string_equal(str_at(o, "error_description", NULL, NULL), "Identity not found");
	json_object_put(o);
	emu_response_done(&r);
	emu_state_done(&st);
}

static void test_identity_concurrency(void **unused)
{
	EmuState st;
	EmuResponse held[2], r;
	TestReq t;

	test_state_with(&st, "{\"identity_concurrency\":2}");
	test_req_init(&t, EMU_PORT_IMDS, "GET",
		      "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=r", HDR_META,
		      NULL);
	/* Two requests in flight (not released yet), the third is throttled. */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(emu_state_handle(&st, &t.req, T0, T0, &held[i]), 0);
		assert_int_equal(held[i].status, 200);
	}
	assert_int_equal(emu_state_handle(&st, &t.req, T0, T0, &r), 0);
	assert_int_equal(r.status, 429);
	emu_response_done(&r);
	emu_state_release(&st, &held[0]);
	assert_int_equal(emu_state_handle(&st, &t.req, T0, T0, &r), 0);
	assert_int_equal(r.status, 200);
	emu_state_release(&st, &r);
	emu_response_done(&r);
	emu_state_release(&st, &held[1]);
	emu_response_done(&held[0]);
	emu_response_done(&held[1]);
	test_req_done(&t);
	emu_state_done(&st);
}

static void test_attested(void **unused)
{
	EmuState st;
	EmuResponse r;

	test_state_with(&st, "{\"rate_limit_rps\":0}");
	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/attested/document?" V "&nonce=1234567890",
		    HDR_META, NULL, T0, &r);
	assert_int_equal(r.status, 200);
	json_object *o = body_json(&r);
	assert_string_equal(str_at(o, "encoding", NULL, NULL), "pkcs7");
	const char *sig = str_at(o, "signature", NULL, NULL);
	unsigned char *raw = NULL;
	size_t raw_len;
	assert_int_equal(base64_decode(sig, strlen(sig), &raw, &raw_len), 0);
	assert_non_null(memmem(raw, raw_len, "\"nonce\":\"1234567890\"", 20));
	assert_non_null(memmem(raw, raw_len, "8d1b1ad5-2f54-4d8c-9a0e-3c6f2b7e4a91", 36));
	free(raw);
	json_object_put(o);
	emu_response_done(&r);

	const char *bad[] = {"123", "12345678901", "123456789a"};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char url[128];
		snprintf(url, sizeof(url), "/metadata/attested/document?" V "&nonce=%s", bad[i]);
		test_handle(&st, EMU_PORT_IMDS, "GET", url, HDR_META, NULL, T0, &r);
		assert_error(&r, 400, "Bad request. nonce must be a 10-digit number");
		emu_response_done(&r);
	}
	emu_state_done(&st);
}

static void test_scheduled_events(void **unused)
{
	EmuState st;
	EmuResponse r;
	json_object *o;

	test_state_with(&st,
			"{\"rate_limit_rps\":0,\"scheduled_events\":{\"DocumentIncarnation\":3,"
			"\"Events\":[{\"EventId\":\"e1\",\"EventType\":\"Reboot\","
			"\"EventStatus\":\"Scheduled\"}]}}");
	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/scheduledevents?api-version=2020-07-01",
		    HDR_META, NULL, T0, &r);
	assert_int_equal(r.status, 200);
	o = body_json(&r);
	assert_string_equal(str_at(o, "DocumentIncarnation", NULL, NULL), "3");
	json_object_put(o);
	emu_response_done(&r);

	test_handle(&st, EMU_PORT_IMDS, "POST", "/metadata/scheduledevents?api-version=2020-07-01",
		    HDR_META, "{\"StartRequests\":[{\"EventId\":\"e1\"}]}", T0, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	emu_response_done(&r);

	test_handle(&st, EMU_PORT_IMDS, "GET", "/metadata/scheduledevents?api-version=2020-07-01",
		    HDR_META, NULL, T0, &r);
	o = body_json(&r);
	assert_string_equal(str_at(o, "DocumentIncarnation", NULL, NULL), "4");
	json_object *ev = json_object_array_get_idx(json_object_object_get(o, "Events"), 0);
	assert_string_equal(str_at(ev, "EventStatus", NULL, NULL), "Started");
	json_object_put(o);
	emu_response_done(&r);

	const char *bad[] = {"", "{", "[]", "{\"StartRequests\":{}}",
			     "{\"StartRequests\":[{\"EventId\":5}]}"};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		test_handle(&st, EMU_PORT_IMDS, "POST",
			    "/metadata/scheduledevents?api-version=2020-07-01", HDR_META, bad[i],
			    T0, &r);
		assert_int_equal(r.status, 400);
		emu_response_done(&r);
	}
	emu_state_done(&st);
}

static void test_reprovision(void **unused)
{
	EmuState st;
	EmuResponse r;
	const char *url = "/metadata/reprovisiondata?api-version=2019-06-01";

	test_state_with(&st, "{\"rate_limit_rps\":0}");
	test_handle(&st, EMU_PORT_IMDS, "GET", url, HDR_META, NULL, T0, &r);
	assert_int_equal(r.status, 404);
	emu_response_done(&r);

	st.reprovision_armed = true; /* what POST /_emu/reprovision does */
	test_handle(&st, EMU_PORT_IMDS, "GET", url, HDR_META, NULL, T0, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(emu_response_get_header(&r, "Content-Type"), "text/xml");
	assert_non_null(strstr(r.body, "<UserName>azureuser</UserName>"));
	emu_response_done(&r);

	/* Served once, then 404 again. */
	test_handle(&st, EMU_PORT_IMDS, "GET", url, HDR_META, NULL, T0, &r);
	assert_int_equal(r.status, 404);
	emu_response_done(&r);
	emu_state_done(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_validation_order),
	    cmocka_unit_test(test_metadata_value),
	    cmocka_unit_test(test_instance_and_extended),
	    cmocka_unit_test(test_route_filtering),
	    cmocka_unit_test(test_queue_after_validation),
	    cmocka_unit_test(test_rate_limit),
	    cmocka_unit_test(test_identity),
	    cmocka_unit_test(test_identity_concurrency),
	    cmocka_unit_test(test_attested),
	    cmocka_unit_test(test_scheduled_events),
	    cmocka_unit_test(test_reprovision),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
