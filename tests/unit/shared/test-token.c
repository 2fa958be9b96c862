/* SPDX-License-Identifier: MIT */
/* Managed-identity token cache against lazuli-emu's identity endpoint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu-harness.h"
#include "fileio.h"
#include "json-util.h"
#include "token.h"

static time_t fake_now;
static time_t clock_fn(void *u)
{
	return fake_now;
}

static size_t token_requests(EmuHarness *h)
{
	char *body = emu_get(h, "/_emu/requests?path=/metadata/identity/oauth2/token");
	json_object *l = NULL;
	assert_non_null(body);
	assert_int_equal(json_parse_strict(body, strlen(body), &l, NULL, 0), 0);
	size_t n = json_object_array_length(l);
	json_object_put(l);
	free(body);
	return n;
}

static void no_sleep(usec_t u, void *userdata)
{
}

static void test_cache_refresh_and_fallback(void **state)
{
	EmuHarness h;
	ImdsClient imds;
	TokenCache *c;
	const Token *t, *t2;
	char err[512], path[128];

	assert_int_equal(emu_start(&h, "{\"rate_limit_rps\":0}"), 0);
	assert_int_equal(imds_client_init(&imds, h.imds, "t"), 0);
	imds.budget = 2 * USEC_PER_SEC;
	imds.policy_template.sleep = no_sleep;
	snprintf(path, sizeof(path), "%s/tokens.json", h.dir);
	assert_int_equal(token_cache_new(&imds, path, &c), 0);
	fake_now = time(NULL);
	token_cache_set_clock(c, clock_fn, NULL);

	assert_int_equal(
	    token_cache_get(c, "https://monitoring.azure.com/", NULL, &t, err, sizeof(err)), 0);
	assert_non_null(t->access_token);
	assert_true(t->expires_on > fake_now + 3000);
	assert_int_equal(token_requests(&h), 1);

	/* Cached: no second request. */
	assert_int_equal(
	    token_cache_get(c, "https://monitoring.azure.com/", NULL, &t2, err, sizeof(err)), 0);
	assert_ptr_equal(t, t2);
	assert_int_equal(token_requests(&h), 1);

	/* Another resource and a user-assigned identity are separate entries. */
	assert_int_equal(
	    token_cache_get(c, "https://management.azure.com/", "abc", &t2, err, sizeof(err)), 0);
	assert_int_equal(token_requests(&h), 2);

	/* The cache file is private and reloads without a request. */
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	TokenCache *c2;
	assert_int_equal(token_cache_new(&imds, path, &c2), 0);
	token_cache_set_clock(c2, clock_fn, NULL);
	assert_int_equal(
	    token_cache_get(c2, "https://monitoring.azure.com/", NULL, &t2, err, sizeof(err)), 0);
	assert_string_equal(t2->access_token, t->access_token);
	assert_int_equal(token_requests(&h), 2);
	token_cache_free(c2);

	/* Near expiry (less than the margin left): refreshed. */
	fake_now += 3400;
	assert_int_equal(
	    token_cache_get(c, "https://monitoring.azure.com/", NULL, &t2, err, sizeof(err)), 0);
	assert_int_equal(token_requests(&h), 3);

	/* Refused by a service: the next get fetches anew. */
	token_cache_invalidate(c, "https://monitoring.azure.com/", NULL);
	assert_int_equal(
	    token_cache_get(c, "https://monitoring.azure.com/", NULL, &t2, err, sizeof(err)), 0);
	assert_int_equal(token_requests(&h), 4);
	assert_true(t2->expires_on > fake_now);

	/* Endpoint gone, token still valid for a while: the cached one is served. */
	fake_now = t2->expires_on - 60;
	emu_stop(&h);
	assert_int_equal(
	    token_cache_get(c, "https://monitoring.azure.com/", NULL, &t, err, sizeof(err)), 0);
	assert_ptr_equal(t, t2);
	/* But an invalidated token is never that fallback. */
	time_t valid_until = t2->expires_on;
	token_cache_invalidate(c, "https://monitoring.azure.com/", NULL);
	assert_true(
	    token_cache_get(c, "https://monitoring.azure.com/", NULL, &t, err, sizeof(err)) < 0);
	((Token *)t2)->expires_on = valid_until;
	/* Expired and endpoint gone: an error that names the endpoint. */
	fake_now = t2->expires_on + 1;
	assert_true(
	    token_cache_get(c, "https://monitoring.azure.com/", NULL, &t, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "/metadata/identity/oauth2/token"));
	token_cache_free(c);
	imds_client_done(&imds);
}

static void test_identity_disabled_and_corrupt_cache(void **state)
{
	EmuHarness h;
	ImdsClient imds;
	TokenCache *c;
	const Token *t;
	char err[512], path[128];

	assert_int_equal(emu_start(&h, "{\"rate_limit_rps\":0,\"identity\":{\"enabled\":false}}"),
			 0);
	assert_int_equal(imds_client_init(&imds, h.imds, "t"), 0);
	snprintf(path, sizeof(path), "%s/tokens.json", h.dir);
	assert_int_equal(write_file_atomic(path, "{\"tokens\": [", 12, 0600), 0);
	assert_int_equal(token_cache_new(&imds, path, &c), 0); /* corrupt file ignored */
	int r = token_cache_get(c, "https://monitoring.azure.com/", NULL, &t, err, sizeof(err));
	assert_true(r < 0);
	assert_non_null(strstr(err, "400"));
	assert_int_equal(token_requests(&h), 1); /* 400 is final, not retried */
	token_cache_free(c);
	imds_client_done(&imds);
	emu_stop(&h);
}

static void test_parse(void **state)
{
	Token t;
	char err[256];
	const char *ok =
	    "{\"access_token\":\"eyJ0.x.y\",\"refresh_token\":\"\",\"expires_in\":\"3599\","
	    "\"expires_on\":\"1506484173\",\"not_before\":\"1506480273\","
	    "\"resource\":\"https://management.azure.com/\",\"token_type\":\"Bearer\","
	    "\"extra\":{\"ignored\":true}}";
	assert_int_equal(token_parse(ok, strlen(ok), &t, err, sizeof(err)), 0);
	assert_int_equal(t.expires_on, 1506484173);
	assert_string_equal(t.token_type, "Bearer");
	token_done(&t);

	const char *bad[][2] = {
	    {"{\"expires_on\":\"1\"}", "access_token"},
	    {"{\"access_token\":\"x\"}", "expires_on"},
	    {"{\"access_token\":\"x\",\"expires_on\":\"soon\"}", "expires_on"},
	    {"{\"access_token\":\"x\\ny\",\"expires_on\":\"1\"}", "access_token"},
	    {"[1]", "object"},
	    {"{\"access_token\":", "JSON"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(token_parse(bad[i][0], strlen(bad[i][0]), &t, err, sizeof(err)),
				 -EBADMSG);
		assert_non_null(strstr(err, bad[i][1]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_cache_refresh_and_fallback),
	    cmocka_unit_test(test_identity_disabled_and_corrupt_cache),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
