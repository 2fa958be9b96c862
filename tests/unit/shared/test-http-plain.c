/* SPDX-License-Identifier: MIT */
/*
 * The built-in HTTP client's pieces without a network: the response parser
 * fed every way a response can be split, URL parsing, and the choice
 * between it and libcurl (proxy variables, no_proxy, LAZULI_HTTP_BACKEND),
 * and the kept TLS session's encoding without the server's certificate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http-plain.h"
#include "strutil.h"

typedef struct Case {
	const char *wire;
	bool head;
	size_t max_body;
	int result; /* of the last feed, or of eof when eof is set */
	bool eof;
	long status;
	const char *body;
	const char *header; /* "name: value" expected among the headers, or NULL */
} Case;

static const Case cases[] = {
    {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: a/b\r\n\r\nhello", false, 100, 1, false,
     200, "hello", "content-type: a/b"},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3;a=b;c\r\nabc\r\n"
     "A\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n",
     false, 100, 1, false, 200, "abc0123456789", "x-t: 1"},
    {"HTTP/1.1 100 Continue\r\nX-Gone: 1\r\n\r\nHTTP/1.1 404 Not Found\nContent-Length: 2\n\nno",
     false, 100, 1, false, 404, "no", NULL},
    {"HTTP/1.0 200 OK\r\nX-Fold: a\r\n b\r\n\r\nrest", false, 100, 1, true, 200, "rest",
     "x-fold: a b"},
    {"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", true, 100, 1, false, 200, "", NULL},
    {"HTTP/1.1 204 No Content\r\n\r\n", false, 100, 1, false, 204, "", NULL},
    {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, 100, 1, false, 200, "", NULL},
    {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", false, 100, -ECONNRESET, true},
    {"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n", false, 100, -EFBIG},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n", false, 100, -EFBIG},
    {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", false, 100, -EPROTO},
    {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false, 100, -EPROTO},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n", false, 100, -EPROTO},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n", false, 100, -EPROTO},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n", false, 100,
     -EPROTO},
    {"<html>", false, 100, -EPROTO},
    {"HTTP/2 200\r\n", false, 100, -EPROTO},
    {"HTTP/1.1 99 Low\r\n", false, 100, -EPROTO},
    {"HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", false, 100, -EPROTO},
    {"", false, 100, -ECONNRESET, true},
    {"HTTP/1.1 200 OK\r\nX: 1\r\n", false, 100, -ECONNRESET, true},
};

/* Feed c->wire in pieces of `step` bytes; returns the final result. */
static int run(const Case *c, size_t len, size_t step, HttpParser *p)
{
	int r = 0;
	http_parser_init(p, c->head, c->max_body);
	for (size_t off = 0; off < len && r == 0; off += step)
		r = http_parser_feed(p, c->wire + off, MIN(step, len - off));
	if (r == 0 && c->eof)
		r = http_parser_eof(p);
	return r;
}

static size_t wire_len(const Case *c)
{
	/* One case carries a NUL in its headers. */
	return strstr(c->wire, "X: a") ? strlen(c->wire) + 5 : strlen(c->wire);
}

static void test_parser_any_split(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		const Case *c = &cases[i];
		size_t len = wire_len(c);
		for (size_t step = 1; step <= MAX(len, (size_t)1); step++) {
			HttpParser p;
			int r = run(c, len, step, &p);
			if (r != c->result)
				fail_msg("case %zu, pieces of %zu: %d, expected %d (%s)", i, step,
					 r, c->result, p.error ? p.error : "");
			if (r == 1) {
				assert_int_equal(p.status, c->status);
				assert_int_equal(p.body.len, strlen(c->body));
				assert_memory_equal(p.body.len ? p.body.data : "", c->body,
						    p.body.len);
				if (c->header)
					assert_true(strv_contains(p.headers, c->header));
				if (i == 2)
					assert_false(strv_contains(p.headers, "x-gone: 1"));
			} else
				assert_non_null(p.error);
			http_parser_done(&p);
		}
	}
}

static void test_parser_header_bound(void **state)
{
	HttpParser p;
	char line[1024];
	int r = 0;

	http_parser_init(&p, false, 100);
	assert_int_equal(http_parser_feed(&p, "HTTP/1.1 200 OK\r\n", 17), 0);
	memset(line, 'a', sizeof(line));
	memcpy(line, "X-A: ", 5);
	line[sizeof(line) - 2] = '\r';
	line[sizeof(line) - 1] = '\n';
	for (size_t n = 0; n < 400 && r == 0; n++)
		r = http_parser_feed(&p, line, sizeof(line));
	assert_int_equal(r, -EFBIG);
	assert_true(p.header_bytes <= HTTP_MAX_HEADER_BYTES);
	assert_true(p.n_headers <= HTTP_MAX_HEADER_LINES);
	http_parser_done(&p);
}

static void test_url_parse(void **state)
{
	HttpUrl u;
	assert_int_equal(http_url_parse("http://169.254.169.254/metadata/instance?a=1#f", &u), 0);
	assert_false(u.https);
	assert_string_equal(u.host, "169.254.169.254");
	assert_int_equal(u.port, 80);
	assert_false(u.explicit_port);
	assert_int_equal(u.path_len, strlen("/metadata/instance?a=1"));
	assert_memory_equal(u.path, "/metadata/instance?a=1", u.path_len);

	assert_int_equal(http_url_parse("HTTP://[::1]:8080", &u), 0);
	assert_true(u.ipv6);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 8080);
	assert_int_equal(u.path_len, 0);

	assert_int_equal(http_url_parse("http://Host.example:/?q", &u), 0);
	assert_int_equal(u.port, 80);
	assert_int_equal(u.path_len, 3);
	assert_memory_equal(u.path, "/?q", 3);

	assert_int_equal(http_url_parse("http://h/a/..b/.c?x=/../#/./", &u), 0);
	assert_int_equal(http_url_parse("https://management.azure.com/x", &u), 0);
	assert_true(u.https);
	assert_int_equal(u.port, 443);

	const char *invalid[] = {
	    "http://",	    "http:///x",    "http://h:0/",   "http://h:65536/", "http://h:8x/",
	    "http://[::1/", "http://[zz]/", "http://h:1:2/", "http://[::1]x/",	NULL};
	for (const char **s = invalid; *s; s++)
		if (http_url_parse(*s, &u) != -EINVAL)
			fail_msg("%s: not refused", *s);
	const char *to_curl[] = {"ftp://h/",
				 "http://u:p@h/",
				 "http://h/a b",
				 "http://h\xc3\xa9/",
				 "http://[fe80::1%25eth0]/",
				 "http://127.1/",
				 "http://0x7f.0.0.1/",
				 "http://h/a/../b",
				 "http://h/.",
				 "http://h/a/./b?c",
				 "http://h/..",
				 "not a url",
				 NULL};
	for (const char **s = to_curl; *s; s++)
		if (http_url_parse(*s, &u) != -EOPNOTSUPP)
			fail_msg("%s: not left to libcurl", *s);
}

static void clear_env(void)
{
	const char *vars[] = {"http_proxy",	     "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
			      "all_proxy",	     "ALL_PROXY",  "no_proxy",	  "NO_PROXY",
			      "LAZULI_HTTP_BACKEND", NULL};
	for (const char **v = vars; *v; v++)
		unsetenv(*v);
}

static bool wanted(const char *url)
{
	HttpUrl u;
	return http_plain_wanted(url, &u) > 0;
}

static void test_backend_choice(void **state)
{
	HttpUrl u;
	clear_env();
	assert_true(wanted("http://169.254.169.254/metadata"));
	assert_true(wanted("http://vm.example/x"));
	/* https:// too, with libssl. */
	assert_true(wanted("https://management.azure.com/"));
	assert_false(wanted("http://127.1/"));
	assert_int_equal(http_plain_wanted("http://h:99999/", &u), -EINVAL);

	setenv("LAZULI_HTTP_BACKEND", "curl", 1);
	assert_false(wanted("http://169.254.169.254/metadata"));
	assert_int_equal(http_plain_wanted("http://h:99999/", &u), 0);
	unsetenv("LAZULI_HTTP_BACKEND");

	const char *proxies[] = {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", NULL};
	for (const char **p = proxies; *p; p++) {
		setenv(*p, "http://proxy.example:3128", 1);
		assert_false(wanted("http://vm.example/x"));
		/* Exempt hosts never see a proxy. */
		assert_true(wanted("http://169.254.169.254/metadata"));
		assert_true(wanted("http://168.63.129.16/machine"));
		assert_true(wanted("http://[::1]:1/"));
		assert_true(wanted("http://localhost:1/"));
		unsetenv(*p);
	}
	setenv("http_proxy", "", 1);
	assert_true(wanted("http://vm.example/x"));
	/* Each scheme's own proxy variables. */
	setenv("http_proxy", "http://proxy.example:3128", 1);
	assert_true(wanted("https://vm.example/x"));
	setenv("HTTPS_PROXY", "http://proxy.example:3128", 1);
	assert_false(wanted("https://vm.example/x"));
	assert_true(wanted("https://127.0.0.1:8443/x"));
	unsetenv("HTTPS_PROXY");
	setenv("https_proxy", "http://proxy.example:3128", 1);
	assert_false(wanted("https://vm.example/x"));
	unsetenv("https_proxy");
	unsetenv("http_proxy");

	setenv("http_proxy", "http://proxy.example:3128", 1);
	setenv("no_proxy", "*", 1);
	assert_true(wanted("http://vm.example/x"));
	setenv("no_proxy", "other.example, example.", 1);
	assert_true(wanted("http://vm.example/x"));
	assert_true(wanted("http://example/x"));
	assert_false(wanted("http://notexample/x"));
	setenv("no_proxy", ".VM.example", 1);
	assert_true(wanted("http://vm.example./x"));
	assert_true(wanted("http://a.vm.example/x"));
	assert_false(wanted("http://xvm.example/x"));
	setenv("no_proxy", "10.0.0.1 [fd00::1]", 1);
	assert_true(wanted("http://10.0.0.1/x"));
	assert_true(wanted("http://[fd00::1]/x"));
	assert_false(wanted("http://10.0.0.2/x"));
	/* CIDR and a lone "*" among others: libcurl decides. */
	setenv("no_proxy", "10.0.0.0/8,*.example", 1);
	assert_false(wanted("http://10.0.0.1/x"));
	unsetenv("no_proxy");
	setenv("NO_PROXY", "vm.example", 1);
	assert_true(wanted("http://vm.example/x"));
	clear_env();
}

static void strip(const uint8_t *in, size_t len, int result, const uint8_t *want, size_t wlen)
{
	uint8_t out[600];
	size_t olen = sizeof(out);
	assert_int_equal(http_tls_session_strip_peer(in, len, out, &olen), result);
	if (result == 0) {
		assert_int_equal(olen, wlen);
		assert_memory_equal(out, want, wlen);
	}
}

static void test_session_strip_peer(void **state)
{
	(void)state;
	/* SEQUENCE { INTEGER 1, [1] { INTEGER 5 }, [3] { SEQUENCE {} }, [4] { OCTET STRING "a" } }
	 */
	static const uint8_t with[] = {0x30, 0x11, 0x02, 0x01, 0x01, 0xa1, 0x03, 0x02, 0x01, 0x05,
				       0xa3, 0x02, 0x30, 0x00, 0xa4, 0x03, 0x04, 0x01, 'a'};
	static const uint8_t without[] = {0x30, 0x0d, 0x02, 0x01, 0x01, 0xa1, 0x03, 0x02,
					  0x01, 0x05, 0xa4, 0x03, 0x04, 0x01, 'a'};
	strip(with, sizeof(with), 0, without, sizeof(without));
	/* Nothing to strip: the same bytes. */
	strip(without, sizeof(without), 0, without, sizeof(without));

	/* A long certificate: the outer length shrinks from the long form to the short one. */
	uint8_t big[300] = {0x30, 0x82, 0x00, 0xfe, 0x02, 0x01, 0x07, 0xa3, 0x81, 0xf8};
	memset(big + 10, 0x55, 0xf8);
	static const uint8_t small[] = {0x30, 0x03, 0x02, 0x01, 0x07};
	strip(big, 4 + 0xfe, 0, small, sizeof(small));
	/* ... and keeps the long form when the rest is long. */
	uint8_t longer[300] = {0x30, 0x81, 0x84, 0x04, 0x81, 0x81};
	memset(longer + 6, 0x66, 0x81);
	strip(longer, 3 + 0x84, 0, longer, 3 + 0x84);

	/* Not a session's encoding: refused, never read past the end. */
	static const uint8_t garbage[] = "garbage";
	strip(garbage, sizeof(garbage) - 1, -EBADMSG, NULL, 0);
	strip(with, 0, -EBADMSG, NULL, 0);
	strip(with, 1, -EBADMSG, NULL, 0);
	strip(with, sizeof(with) - 1, -EBADMSG, NULL, 0); /* cut short */
	uint8_t extra[sizeof(with) + 1];
	memcpy(extra, with, sizeof(with));
	extra[sizeof(with)] = 0;
	strip(extra, sizeof(extra), -EBADMSG, NULL, 0); /* bytes after the SEQUENCE */
	uint8_t inner[sizeof(with)];
	memcpy(inner, with, sizeof(with));
	inner[11] = 0x7f; /* the certificate's length runs past the end */
	strip(inner, sizeof(inner), -EBADMSG, NULL, 0);
	static const uint8_t indefinite[] = {0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00};
	strip(indefinite, sizeof(indefinite), -EBADMSG, NULL, 0);
	static const uint8_t huge_len[] = {0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00};
	strip(huge_len, sizeof(huge_len), -EBADMSG, NULL, 0);
	/* An output buffer smaller than the input is refused. */
	uint8_t out[4];
	size_t olen = sizeof(out);
	assert_int_equal(http_tls_session_strip_peer(with, sizeof(with), out, &olen), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parser_any_split),   cmocka_unit_test(test_parser_header_bound),
	    cmocka_unit_test(test_url_parse),	       cmocka_unit_test(test_backend_choice),
	    cmocka_unit_test(test_session_strip_peer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
