/* SPDX-License-Identifier: MIT */
/* The HTTP request head parser of the metrics endpoint, case by case. */
#include "metrics-test.h"

#include <errno.h>

#include "http-request.h"

#define H11 "Host: x\r\n"

typedef struct Case {
	const char *name;
	const char *in;
	int result; /* > 0: complete, the head's length is checked against the first CRLFCRLF */
	HttpMethod method;
	const char *path;
	bool keep_alive, gzip;
	const char *accept;
	uint64_t content_length;
	bool unframed;
} Case;

static const Case cases[] = {
    {"GET 1.1", "GET /metrics HTTP/1.1\r\n" H11 "\r\n", 1, HTTP_METHOD_GET, "/metrics", true},
    {"HEAD", "HEAD /metrics HTTP/1.1\r\n" H11 "\r\n", 1, HTTP_METHOD_HEAD, "/metrics", true},
    {"POST is parsed, answered 405", "POST / HTTP/1.1\r\n" H11 "Content-Length: 3\r\n\r\nabc", 1,
     HTTP_METHOD_OTHER, "/", true, .content_length = 3},
    {"method is case-sensitive", "get / HTTP/1.1\r\n" H11 "\r\n", 1, HTTP_METHOD_OTHER, "/", true},
    {"1.0 closes", "GET /metrics HTTP/1.0\r\n\r\n", 1, HTTP_METHOD_GET, "/metrics", false},
    {"1.0 keep-alive asked", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 1, HTTP_METHOD_GET,
     "/", true},
    {"1.1 close", "GET / HTTP/1.1\r\n" H11 "Connection: foo, close\r\n\r\n", 1, HTTP_METHOD_GET,
     "/", false},
    {"bare LF lines", "GET /metrics HTTP/1.1\nHost: x\n\n", 1, HTTP_METHOD_GET, "/metrics", true},
    {"leading empty lines", "\r\n\r\nGET / HTTP/1.1\r\n" H11 "\r\n", 1, HTTP_METHOD_GET, "/", true},
    {"query dropped", "GET /metrics?a=b HTTP/1.1\r\n" H11 "\r\n", 1, HTTP_METHOD_GET, "/metrics",
     true},
    {"absolute form", "GET http://h:1/metrics?x HTTP/1.1\r\n" H11 "\r\n", 1, HTTP_METHOD_GET,
     "/metrics", true},
    {"absolute form, no path", "GET http://h HTTP/1.1\r\n" H11 "\r\n", 1, HTTP_METHOD_GET, "",
     true},
    {"accept and gzip",
     "GET /metrics HTTP/1.1\r\n" H11 "Accept:  application/openmetrics-text \r\n"
     "accept-encoding: gzip\r\n\r\n",
     1, HTTP_METHOD_GET, "/metrics", true, true, "application/openmetrics-text"},
    {"gzip q=0", "GET / HTTP/1.1\r\n" H11 "Accept-Encoding: gzip;q=0, *\r\n\r\n", 1,
     HTTP_METHOD_GET, "/", true, false},
    {"star", "GET / HTTP/1.1\r\n" H11 "Accept-Encoding: br, *;q=0.5\r\n\r\n", 1, HTTP_METHOD_GET,
     "/", true, true},
    {"identity only", "GET / HTTP/1.1\r\n" H11 "Accept-Encoding: identity\r\n\r\n", 1,
     HTTP_METHOD_GET, "/", true, false},
    {"transfer-encoding", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n", 1,
     HTTP_METHOD_OTHER, "/", true, .unframed = true},
    {"same content-length twice",
     "POST / HTTP/1.1\r\n" H11 "Content-Length: 2\r\nContent-Length: 2\r\n\r\nab", 1,
     HTTP_METHOD_OTHER, "/", true, .content_length = 2},

    {"empty", "", 0},
    {"half a request line", "GET /metr", 0},
    {"no empty line yet", "GET /metrics HTTP/1.1\r\nHost: x\r\n", 0},
    {"CR at the end", "GET /metrics HTTP/1.1\r\nHost: x\r\n\r", 0},

    {"1.1 without Host", "GET / HTTP/1.1\r\n\r\n", -EBADMSG},
    {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", -EBADMSG},
    {"bad request line, early", "GET  / HTTP/1.1\r\n", -EBADMSG},
    {"no version", "GET /\r\n\r\n", -EBADMSG},
    {"lower-case version", "GET / http/1.1\r\n" H11 "\r\n", -EBADMSG},
    {"HTTP/2", "GET / HTTP/2.0\r\n" H11 "\r\n", -EPROTONOSUPPORT},
    {"HTTP/0.9 style", "GET /\n\n", -EBADMSG},
    {"control in target", "GET /a\tb HTTP/1.1\r\n" H11 "\r\n", -EBADMSG},
    {"space before colon", "GET / HTTP/1.1\r\n" H11 "Accept : x\r\n\r\n", -EBADMSG},
    {"obs-fold", "GET / HTTP/1.1\r\n" H11 "X: a\r\n b\r\n\r\n", -EBADMSG},
    {"no colon", "GET / HTTP/1.1\r\n" H11 "Junk\r\n\r\n", -EBADMSG},
    {"bare CR", "GET / HTTP/1.1\r\n" H11 "X: a\rb\r\n\r\n", -EBADMSG},
    {"NUL in value", "GET / HTTP/1.1\r\n" H11 "X: a\0b\r\n\r\n", -EBADMSG},
    {"content-length not a number", "POST / HTTP/1.1\r\n" H11 "Content-Length: 1x\r\n\r\n",
     -EBADMSG},
    {"content-length overflow",
     "POST / HTTP/1.1\r\n" H11 "Content-Length: 99999999999999999999999\r\n\r\n", -EBADMSG},
    {"two content-lengths",
     "POST / HTTP/1.1\r\n" H11 "Content-Length: 1\r\nContent-Length: 2\r\n\r\n", -EBADMSG},
    {"method with a slash", "G/T / HTTP/1.1\r\n" H11 "\r\n", -EBADMSG},
};

static size_t case_len(const Case *c)
{
	/* cases with a NUL byte in them: the length runs to the last CRLFCRLF */
	if (strcmp(c->name, "NUL in value") == 0)
		return sizeof("GET / HTTP/1.1\r\n" H11 "X: a\0b\r\n\r\n") - 1;
	return strlen(c->in);
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const Case *c = &cases[i];
		HttpRequest req;
		size_t len = case_len(c);
		int r = http_request_parse(c->in, len, HTTP_MAX_HEAD, &req);

		print_message("case: %s\n", c->name);
		if (c->result <= 0) {
			assert_int_equal(r, c->result);
			continue;
		}
		const char *e1 = strstr(c->in, "\r\n\r\n"), *e2 = strstr(c->in, "\n\n");
		size_t head =
		    e1 && (!e2 || e1 < e2) ? (size_t)(e1 - c->in) + 4 : (size_t)(e2 - c->in) + 2;
		if (strncmp(c->in, "\r\n\r\n", 4) == 0) /* leading empty lines */
			head = (size_t)(strstr(c->in + 4, "\r\n\r\n") - c->in) + 4;
		assert_int_equal(r, (int)head);
		assert_int_equal(req.head_len, head);
		assert_int_equal(req.method, c->method);
		assert_int_equal(req.path_len, strlen(c->path));
		assert_memory_equal(req.path, c->path, req.path_len);
		assert_int_equal(req.keep_alive, c->keep_alive);
		assert_int_equal(req.gzip, c->gzip);
		if (c->accept) {
			assert_non_null(req.accept);
			assert_int_equal(req.accept_len, strlen(c->accept));
			assert_memory_equal(req.accept, c->accept, req.accept_len);
		} else {
			assert_null(req.accept);
		}
		assert_int_equal(req.content_length, c->content_length);
		assert_int_equal(req.body_unframed, c->unframed);
		assert_int_equal(req.has_body, c->unframed || c->content_length > 0);
	}
}

/* Every prefix of a valid request is "need more"; the whole is complete. */
static void test_prefixes(void **state)
{
	static const char in[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9179\r\n"
				 "Accept: text/plain\r\nAccept-Encoding: gzip\r\n\r\n";
	HttpRequest req;
	(void)state;

	for (size_t n = 0; n < sizeof(in) - 1; n++)
		assert_int_equal(http_request_parse(in, n, HTTP_MAX_HEAD, &req), 0);
	assert_int_equal(http_request_parse(in, sizeof(in) - 1, HTTP_MAX_HEAD, &req),
			 (int)sizeof(in) - 1);
}

/* Two pipelined requests: the first head ends where the second begins. */
static void test_pipelined(void **state)
{
	static const char in[] = "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n"
				 "HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n";
	HttpRequest req;
	(void)state;

	int r = http_request_parse(in, sizeof(in) - 1, HTTP_MAX_HEAD, &req);
	assert_int_equal(r, 34);
	assert_int_equal(req.method, HTTP_METHOD_GET);
	r = http_request_parse(in + 34, sizeof(in) - 1 - 34, HTTP_MAX_HEAD, &req);
	assert_int_equal(r, (int)sizeof(in) - 1 - 34);
	assert_int_equal(req.method, HTTP_METHOD_HEAD);
	assert_memory_equal(req.path, "/x", 2);
}

/* A head that does not end within the limit is refused, complete or not. */
static void test_too_large(void **state)
{
	char *in = malloc(HTTP_MAX_HEAD + 100);
	HttpRequest req;
	(void)state;

	assert_non_null(in);
	int n = snprintf(in, 100, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	memset(in + n, 'a', HTTP_MAX_HEAD + 100 - (size_t)n);
	assert_int_equal(http_request_parse(in, HTTP_MAX_HEAD - 1, HTTP_MAX_HEAD, &req), 0);
	assert_int_equal(http_request_parse(in, HTTP_MAX_HEAD, HTTP_MAX_HEAD, &req), -EMSGSIZE);
	/* the end beyond the limit does not count */
	memcpy(in + HTTP_MAX_HEAD + 10, "\r\n\r\n", 4);
	assert_int_equal(http_request_parse(in, HTTP_MAX_HEAD + 100, HTTP_MAX_HEAD, &req),
			 -EMSGSIZE);
	/* a request line alone over the limit */
	memcpy(in, "GET /", 5);
	memset(in + 5, 'a', HTTP_MAX_HEAD + 95);
	assert_int_equal(http_request_parse(in, HTTP_MAX_HEAD, HTTP_MAX_HEAD, &req), -EMSGSIZE);
	free(in);
}

static void test_accepts_gzip(void **state)
{
	static const struct {
		const char *v;
		bool gzip;
	} t[] = {
	    {"gzip", true},	    {"GZIP", true},
	    {"x-gzip", true},	    {"deflate, gzip;q=1.0, *;q=0.5", true},
	    {"gzip;q=0", false},    {"gzip; q=0.000", false},
	    {"gzip;q=0.001", true}, {"*", true},
	    {"*;q=0", false},	    {"gzip;q=0, *", false},
	    {"identity", false},    {"", false},
	    {" , ,", false},	    {"gzipx", false},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		print_message("Accept-Encoding: %s\n", t[i].v);
		assert_int_equal(http_accepts_gzip(t[i].v, strlen(t[i].v)), t[i].gzip);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),	 cmocka_unit_test(test_prefixes),
	    cmocka_unit_test(test_pipelined),	 cmocka_unit_test(test_too_large),
	    cmocka_unit_test(test_accepts_gzip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
