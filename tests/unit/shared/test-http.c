/* SPDX-License-Identifier: MIT */
/*
 * HTTP client and IMDS client against the real lazuli-emu: each case states
 * what is served (statuses, Retry-After, faults, bodies) and checks the
 * outcome and the back-off the client chose (through the sleep hook, so no
 * test waits for real and none asserts a wall-clock time).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu-harness.h"
#include "http.h"
#include "imds.h"
#include "json-util.h"
#include "strutil.h"
#include <strings.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct Sleeps {
	usec_t d[64];
	unsigned n;
} Sleeps;

static void record_sleep(usec_t usec, void *userdata)
{
	Sleeps *s = userdata;
	if (s->n < 64)
		s->d[s->n++] = usec;
}

/* A scenario serving queue Q (a JSON array) on IMDS /metadata/instance, no rate limit. */
static void start(EmuHarness *h, const char *queue)
{
	char scen[65536];
	snprintf(scen, sizeof(scen), "{\"rate_limit_rps\":0,\"imds\":{\"/metadata/instance\":%s}}",
		 queue);
	int r = emu_start(h, scen);
	if (r < 0)
		fail_msg("lazuli-emu did not start: %s", strerror(-r));
}

static int get(EmuHarness *h, HttpRetryPolicy *p, HttpResponse *resp, usec_t timeout)
{
	char url[256];
	snprintf(url, sizeof(url), "%s/metadata/instance?api-version=2023-11-15", h->imds);
	const char *hdrs[] = {"Metadata: true", NULL};
	HttpRequest req = {.url = url, .headers = hdrs, .timeout = timeout};
	return p ? http_send_retry(&req, p, resp) : http_send(&req, resp);
}

static void test_retry_500_then_ok(void **state)
{
	EmuHarness h;
	Sleeps s = {0};
	HttpResponse resp;
	start(&h, "[{\"status\":500},{\"status\":503},{\"status\":200,\"body\":\"{}\"}]");
	HttpRetryPolicy p = {.budget = 60 * USEC_PER_SEC, .sleep = record_sleep, .userdata = &s};
	assert_int_equal(get(&h, &p, &resp, 0), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.attempts, 3);
	assert_int_equal(s.n, 2);
	/* exponential back-off with jitter: [250,500] ms then [500,1000] ms */
	assert_in_range(s.d[0], 250 * USEC_PER_MSEC, 500 * USEC_PER_MSEC);
	assert_in_range(s.d[1], 500 * USEC_PER_MSEC, 1000 * USEC_PER_MSEC);
	http_response_done(&resp);
	emu_stop(&h);
}

static void test_retry_after_seconds_and_date(void **state)
{
	EmuHarness h;
	Sleeps s = {0};
	HttpResponse resp;
	char q[512], date[64];
	time_t t = time(NULL) + 30;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	snprintf(q, sizeof(q),
		 "[{\"status\":429,\"headers\":{\"Retry-After\":\"7\"}},"
		 "{\"status\":503,\"headers\":{\"Retry-After\":\"%s\"}},{\"status\":200,\"body\":"
		 "\"{}\"}]",
		 date);
	start(&h, q);
	HttpRetryPolicy p = {.budget = 600 * USEC_PER_SEC, .sleep = record_sleep, .userdata = &s};
	assert_int_equal(get(&h, &p, &resp, 0), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.d[0], 7 * USEC_PER_SEC);
	assert_in_range(s.d[1], 28 * USEC_PER_SEC, 30 * USEC_PER_SEC);
	http_response_done(&resp);
	emu_stop(&h);
}

static void test_retry_after_beyond_budget_stops(void **state)
{
	EmuHarness h;
	Sleeps s = {0};
	HttpResponse resp;
	start(&h, "[{\"status\":429,\"headers\":{\"Retry-After\":\"100\"}},{\"status\":200}]");
	HttpRetryPolicy p = {.budget = 10 * USEC_PER_SEC, .sleep = record_sleep, .userdata = &s};
	assert_int_equal(get(&h, &p, &resp, 0), 0);
	assert_int_equal(resp.status, 429);
	assert_int_equal(resp.attempts, 1);
	assert_int_equal(s.n, 0);
	http_response_done(&resp);
	emu_stop(&h);
}

static void test_400_fails_fast(void **state)
{
	EmuHarness h;
	Sleeps s = {0};
	HttpResponse resp;
	start(&h, "[{\"status\":400,\"body\":\"bad\"},{\"status\":200}]");
	HttpRetryPolicy p = {.budget = 60 * USEC_PER_SEC, .sleep = record_sleep, .userdata = &s};
	assert_int_equal(get(&h, &p, &resp, 0), 0);
	assert_int_equal(resp.status, 400);
	assert_int_equal(resp.attempts, 1);
	assert_string_equal(resp.body, "bad");
	http_response_done(&resp);
	emu_stop(&h);
}

static void test_budget_bounds_attempts(void **state)
{
	EmuHarness h;
	HttpResponse resp;
	start(&h, "[{\"status\":503}]");
	/* Real sleeps here: the budget is measured against the clock. */
	HttpRetryPolicy p = {.budget = 2 * USEC_PER_SEC,
			     .base_delay = 100 * USEC_PER_MSEC,
			     .max_delay = 400 * USEC_PER_MSEC};
	usec_t t0 = now_usec(CLOCK_MONOTONIC);
	assert_int_equal(get(&h, &p, &resp, 0), 0);
	usec_t took = now_usec(CLOCK_MONOTONIC) - t0;
	assert_int_equal(resp.status, 503);
	assert_true(resp.attempts >= 3);
	assert_true(resp.attempts <= 25);
	/* It stopped itself: never sleeps past the budget (not a performance assertion). */
	assert_true(took < 2 * USEC_PER_SEC + 500 * USEC_PER_MSEC);
	http_response_done(&resp);
	emu_stop(&h);
}

static void test_faults_are_transport_errors(void **state)
{
	EmuHarness h;
	HttpResponse resp;
	Sleeps s = {0};

	start(&h, "[{\"status\":200,\"fault\":\"close_mid_body\",\"body\":\"{\\\"a\\\":1}\"},"
		  "{\"status\":200,\"fault\":\"hang\"},{\"status\":200,\"fault\":\"garbage\"},"
		  "{\"status\":200,\"fault\":\"reset\"},{\"status\":200,\"body\":\"{}\"}]");
	assert_int_equal(get(&h, NULL, &resp, 0), -ECONNRESET);
	assert_non_null(resp.error);
	http_response_done(&resp);
	assert_int_equal(get(&h, NULL, &resp, 500 * USEC_PER_MSEC), -ETIMEDOUT);
	http_response_done(&resp);
	int r = get(&h, NULL, &resp, 0);
	assert_true(r == -EPROTO || r == -ECONNRESET);
	http_response_done(&resp);
	assert_int_equal(get(&h, NULL, &resp, 0), -ECONNRESET);
	http_response_done(&resp);
	emu_stop(&h);

	/* With retries, the same faults end in success. */
	start(&h, "[{\"status\":200,\"fault\":\"close_mid_body\",\"body\":\"{}\"},"
		  "{\"status\":200,\"fault\":\"hang\"},{\"status\":200,\"body\":\"{}\"}]");
	HttpRetryPolicy p = {.budget = 60 * USEC_PER_SEC, .sleep = record_sleep, .userdata = &s};
	assert_int_equal(get(&h, &p, &resp, 500 * USEC_PER_MSEC), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.attempts, 3);
	http_response_done(&resp);
	emu_stop(&h);
}

static void test_size_cap(void **state)
{
	EmuHarness h;
	HttpResponse resp;
	char url[256];
	size_t n = 2 * 1024 * 1024;
	char *big = malloc(n + 64);
	assert_non_null(big);
	memset(big, 'x', n);
	big[n] = '\0';
	char *q = NULL;
	assert_true(asprintf(&q,
			     "{\"rate_limit_rps\":0,\"imds\":{\"/metadata/"
			     "instance\":[{\"status\":200,\"body\":\"%s\"}]}}",
			     big) > 0);
	free(big);
	int r = emu_start(&h, q);
	free(q);
	if (r < 0)
		fail_msg("lazuli-emu did not start: %s", strerror(-r));
	snprintf(url, sizeof(url), "%s/metadata/instance?api-version=2023-11-15", h.imds);
	const char *hdrs[] = {"Metadata: true", NULL};
	HttpRequest req = {.url = url, .headers = hdrs};
	HttpRetryPolicy p = {.budget = 60 * USEC_PER_SEC};
	assert_int_equal(http_send_retry(&req, &p, &resp), -EFBIG);
	assert_int_equal(resp.attempts, 1); /* not transient: not retried */
	assert_non_null(strstr(resp.error, "larger than"));
	http_response_done(&resp);
	req.max_response = 4 * 1024 * 1024;
	assert_int_equal(http_send(&req, &resp), 0);
	assert_int_equal(resp.body_len, n);
	http_response_done(&resp);
	emu_stop(&h);
}

static void test_proxy_bypass(void **state)
{
	EmuHarness h;
	HttpResponse resp;
	start(&h, "[{\"status\":200,\"body\":\"{}\"}]");
	/* A dead proxy: if it were used, the request would fail. */
	setenv("http_proxy", "http://127.0.0.1:9", 1);
	setenv("ALL_PROXY", "http://127.0.0.1:9", 1);
	assert_int_equal(get(&h, NULL, &resp, 0), 0);
	assert_int_equal(resp.status, 200);
	http_response_done(&resp);
	unsetenv("http_proxy");
	unsetenv("ALL_PROXY");
	emu_stop(&h);

	assert_true(http_url_is_proxy_exempt("http://169.254.169.254/metadata"));
	assert_true(http_url_is_proxy_exempt("http://168.63.129.16/machine"));
	assert_true(http_url_is_proxy_exempt("http://127.0.0.1:8080/"));
	assert_true(http_url_is_proxy_exempt("http://[::1]:80/"));
	assert_true(http_url_is_proxy_exempt("http://[fe80::1]/"));
	assert_true(http_url_is_proxy_exempt("http://localhost/"));
	assert_false(http_url_is_proxy_exempt("https://management.azure.com/"));
	assert_false(http_url_is_proxy_exempt("http://168.63.129.17/"));
	assert_false(http_url_is_proxy_exempt("not a url"));
}

static void test_retry_after_parse(void **state)
{
	usec_t d;
	time_t now = 1445412480; /* Wed, 21 Oct 2015 07:28:00 GMT */
	assert_int_equal(http_parse_retry_after("120", now, &d), 0);
	assert_int_equal(d, 120 * USEC_PER_SEC);
	assert_int_equal(http_parse_retry_after(" 3 ", now, &d), 0);
	assert_int_equal(d, 3 * USEC_PER_SEC);
	assert_int_equal(http_parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now, &d), 0);
	assert_int_equal(d, 30 * USEC_PER_SEC);
	assert_int_equal(http_parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", now, &d), 0);
	assert_int_equal(d, 60 * USEC_PER_SEC);
	assert_int_equal(http_parse_retry_after("Wed Oct 21 07:28:10 2015", now, &d), 0);
	assert_int_equal(d, 10 * USEC_PER_SEC);
	assert_int_equal(http_parse_retry_after("Tue, 20 Oct 2015 07:28:00 GMT", now, &d), 0);
	assert_int_equal(d, 0); /* in the past */
	assert_int_equal(http_parse_retry_after("soon", now, &d), -EINVAL);
	assert_int_equal(http_parse_retry_after("-1", now, &d), -EINVAL);
	assert_int_equal(http_parse_retry_after("12abc", now, &d), -EINVAL);
	assert_int_equal(http_parse_retry_after("", now, &d), -EINVAL);
	/* Dates that are not quite HTTP-dates. */
	const char *bad[] = {"Wed, 21 Oct 2015 07:28:30",     "Wed, 21 Oct 2015 07:28:30 GMT x",
			     "Wed, 21 Okt 2015 07:28:30 GMT", "Wod, 21 Oct 2015 07:28:30 GMT",
			     "Wed, 31 Feb 2015 07:28:30 GMT", "Wed, 21 Oct 2015 25:28:30 GMT",
			     "Wednesday, 21 Oct 2015 07:28:30 GMT", "Wed Oct 21 07:28:10",
			     "Wed,  1 Oct 2015 07:28:30 GMT", NULL};
	for (const char **b = bad; *b; b++)
		if (http_parse_retry_after(*b, now, &d) != -EINVAL)
			fail_msg("accepted '%s'", *b);
	/* asctime pads a one-digit day with a space. */
	time_t t;
	assert_int_equal(http_parse_date("Sun Nov  6 08:49:37 1994", now, &t), 0);
	assert_int_equal(t, 784111777);
	assert_int_equal(http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT", now, &t), 0);
	assert_int_equal(t, 784111777);
	/* RFC 850's two-digit year: not more than 50 years ahead of now. */
	assert_int_equal(http_parse_date("Sunday, 06-Nov-94 08:49:37 GMT", now, &t), 0);
	assert_int_equal(t, 784111777);
	assert_int_equal(http_parse_date("Thursday, 01-Jan-65 00:00:00 GMT", now, &t), 0);
	assert_int_equal(t, 2997993600); /* 2065: within 50 years of 2015 */
	assert_int_equal(http_parse_date("Friday, 01-Jan-66 00:00:00 GMT", now, &t), 0);
	assert_int_equal(t, -126230400); /* 1966 */
}

static void test_backoff_bounds(void **state)
{
	HttpRetryPolicy p = {.base_delay = USEC_PER_SEC, .max_delay = 8 * USEC_PER_SEC};
	for (int i = 0; i < 200; i++) {
		assert_in_range(http_backoff_delay(&p, 1), USEC_PER_SEC / 2, USEC_PER_SEC);
		assert_in_range(http_backoff_delay(&p, 3), 2 * USEC_PER_SEC, 4 * USEC_PER_SEC);
		assert_in_range(http_backoff_delay(&p, 30), 4 * USEC_PER_SEC, 8 * USEC_PER_SEC);
	}
}

static void test_imds_client(void **state)
{
	EmuHarness h;
	ImdsClient c;
	Sleeps s = {0};
	json_object *o = NULL;
	char err[512];

	/* Malformed and duplicate-key bodies are retried with back-off, then the document is used.
	 */
	start(&h, "[{\"status\":200,\"body\":\"{\\\"compute\\\": {\"},"
		  "{\"status\":200,\"body\":\"{\\\"a\\\":1,\\\"a\\\":2}\"},"
		  "{\"status\":410},"
		  "{\"status\":200,\"body_json\":{\"compute\":{\"name\":\"vm1\"}}}]");
	assert_int_equal(imds_client_init(&c, h.imds, "test-agent/1"), 0);
	c.policy_template.sleep = record_sleep;
	c.policy_template.userdata = &s;
	assert_int_equal(imds_get_instance(&c, &o, err, sizeof(err)), 0);
	assert_string_equal(json_get_string(o, "compute.name"), "vm1");
	json_object_put(o);
	assert_int_equal(s.n, 3);
	for (unsigned i = 0; i < s.n; i++)
		assert_true(s.d[i] >= 250 * USEC_PER_MSEC); /* never a tight loop */

	/* What was sent: Metadata, a request id, the user agent, extended=true. */
	char *reqs = emu_get(&h, "/_emu/requests");
	assert_non_null(reqs);
	json_object *l = NULL;
	assert_int_equal(json_parse_strict(reqs, strlen(reqs), &l, NULL, 0), 0);
	assert_int_equal(json_object_array_length(l), 4);
	for (size_t i = 0; i < 4; i++) {
		json_object *r = json_object_array_get_idx(l, i);
		assert_non_null(strstr(json_get_string(r, "query"), "extended=true"));
		json_object *hd = json_get_path(r, "headers");
		int found_md = 0, found_id = 0, found_ua = 0;
		json_object_object_foreach(hd, k, v)
		{
			if (strcasecmp(k, "metadata") == 0 &&
			    streq(json_object_get_string(v), "true"))
				found_md = 1;
			if (strcasecmp(k, "x-ms-client-request-id") == 0)
				found_id = 1;
			if (strcasecmp(k, "user-agent") == 0 &&
			    streq(json_object_get_string(v), "test-agent/1"))
				found_ua = 1;
		}
		assert_true(found_md && found_id && found_ua);
	}
	json_object_put(l);
	free(reqs);
	imds_client_done(&c);
	emu_stop(&h);

	/* 400 to extended=true: one retry with the fallback version. */
	start(&h, "[{\"status\":400,\"body\":\"old\"},{\"status\":200,\"body\":\"{}\"}]");
	assert_int_equal(imds_client_init(&c, h.imds, "t"), 0);
	assert_int_equal(imds_get_instance(&c, &o, err, sizeof(err)), 0);
	json_object_put(o);
	reqs = emu_get(&h, "/_emu/requests");
	assert_non_null(strstr(reqs, "api-version=" IMDS_FALLBACK_API_VERSION));
	free(reqs);
	imds_client_done(&c);
	emu_stop(&h);

	/* A 403 fails at once, and the error names endpoint, status and body. */
	start(&h, "[{\"status\":403,\"body\":\"forbidden\\u0001here\"}]");
	assert_int_equal(imds_client_init(&c, h.imds, "t"), 0);
	c.policy_template.sleep = record_sleep;
	assert_int_equal(imds_get_instance(&c, &o, err, sizeof(err)), -EREMOTEIO);
	assert_non_null(strstr(err, "/metadata/instance"));
	assert_non_null(strstr(err, "403"));
	assert_non_null(strstr(err, "forbidden?here"));
	imds_client_done(&c);
	emu_stop(&h);
}

static void test_wait_for_route_at_hand(void **state)
{
	usec_t w = 1;
	/* Loopback has a route; a name is not waited for; garbage is refused. */
	assert_int_equal(http_wait_for_route("http://127.0.0.1:9/x", USEC_PER_SEC, &w), 0);
	assert_true(w < USEC_PER_SEC);
	assert_int_equal(http_wait_for_route("http://[::1]:9/", USEC_PER_SEC, NULL), 0);
	assert_int_equal(http_wait_for_route("http://imds.invalid/", USEC_PER_SEC, &w), 0);
	assert_int_equal(http_wait_for_route("not a url", USEC_PER_SEC, NULL), -EINVAL);
}

static void *bring_lo_up_later(void *arg)
{
	sleep_usec(200 * USEC_PER_MSEC);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {0};
	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		_exit(3);
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		_exit(3);
	close(fd);
	return arg;
}

/* In a network namespace of its own, where loopback is down: no route. */
static int in_netns_without_routes(bool lo_comes_up)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(77);
		pthread_t t;
		if (lo_comes_up && pthread_create(&t, NULL, bring_lo_up_later, NULL) != 0)
			_exit(3);
		usec_t w = 0;
		int r = http_wait_for_route("http://127.0.0.1:80/", lo_comes_up ? 10 * USEC_PER_SEC : 300 * USEC_PER_MSEC, &w);
		if (lo_comes_up)
			_exit(r == 0 && w >= 150 * USEC_PER_MSEC ? 0 : 1);
		_exit(r == -ENETUNREACH && w >= 300 * USEC_PER_MSEC ? 0 : 1);
	}
	int status;
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_wait_for_route_waits(void **state)
{
	int r = in_netns_without_routes(true);
	if (r == 77)
		skip(); /* no CAP_SYS_ADMIN for a network namespace */
	assert_int_equal(r, 0);
	assert_int_equal(in_netns_without_routes(false), 0);
}

/* argv[1]: the backend, "builtin" or "curl" (see LAZULI_HTTP_BACKEND in http.h). */
int main(int argc, char **argv)
{
	if (argc > 1)
		setenv("LAZULI_HTTP_BACKEND", argv[1], 1);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_retry_after_parse),
	    cmocka_unit_test(test_backoff_bounds),
	    cmocka_unit_test(test_retry_500_then_ok),
	    cmocka_unit_test(test_retry_after_seconds_and_date),
	    cmocka_unit_test(test_retry_after_beyond_budget_stops),
	    cmocka_unit_test(test_400_fails_fast),
	    cmocka_unit_test(test_budget_bounds_attempts),
	    cmocka_unit_test(test_faults_are_transport_errors),
	    cmocka_unit_test(test_size_cap),
	    cmocka_unit_test(test_proxy_bypass),
	    cmocka_unit_test(test_imds_client),
	    cmocka_unit_test(test_wait_for_route_at_hand),
	    cmocka_unit_test(test_wait_for_route_waits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
