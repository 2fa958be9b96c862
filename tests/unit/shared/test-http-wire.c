/* SPDX-License-Identifier: MIT */
/*
 * http_send() against a scripted server on 127.0.0.1 or ::1 that sends the
 * bytes each case states, in the pieces and with the pauses it states, then
 * closes, resets or hangs: framing (Content-Length, chunked with extensions
 * and trailers, until close), interim responses, faults (slow, cut short,
 * oversize, garbage), and what the client sent. meson runs it once with
 * each backend (LAZULI_HTTP_BACKEND unset and =curl): the outcome must be
 * the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "strutil.h"

typedef struct Step {
	const char *data; /* NULL ends the script */
	size_t len;	  /* 0: strlen(data) */
	usec_t pause;	  /* before sending it */
} Step;

typedef enum End {
	END_CLOSE,
	END_HANG, /* until the client closes (at most 5 s) */
	END_RESET,
} End;

typedef struct Server {
	int lfd;
	int port;
	bool ipv6;
	const Step *steps;
	End end;
	bool bytewise; /* each byte in its own segment */
	pthread_t thread;
	char request[65536];
	size_t request_len;
} Server;

static bool native(void)
{
	const char *b = getenv("LAZULI_HTTP_BACKEND");
	return !b || !streq(b, "curl");
}

/* The request head and as much body as its Content-Length says. */
static void read_request(Server *s, int fd)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 5000) <= 0)
			return;
		ssize_t n = recv(fd, s->request + s->request_len,
				 sizeof(s->request) - 1 - s->request_len, 0);
		if (n <= 0)
			return;
		s->request_len += (size_t)n;
		s->request[s->request_len] = '\0';
		char *end = strstr(s->request, "\r\n\r\n");
		if (!end)
			continue;
		size_t want = 0;
		for (char *l = s->request; l && l < end; l = strstr(l, "\r\n"), l = l ? l + 2 : l)
			if (strncasecmp(l, "Content-Length:", 15) == 0)
				want = strtoul(l + 15, NULL, 10);
		if (s->request_len >= (size_t)(end + 4 - s->request) + want)
			return;
	}
}

static void send_bytes(int fd, const char *d, size_t n)
{
	while (n > 0) {
		ssize_t k = send(fd, d, n, MSG_NOSIGNAL);
		if (k <= 0)
			return;
		d += k;
		n -= (size_t)k;
	}
}

static void *serve(void *arg)
{
	Server *s = arg;
	struct pollfd p = {.fd = s->lfd, .events = POLLIN};
	if (poll(&p, 1, 10000) <= 0)
		return NULL;
	int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return NULL;
	read_request(s, fd);
	for (const Step *st = s->steps; st && st->data; st++) {
		size_t len = st->len ? st->len : strlen(st->data);
		if (st->pause)
			sleep_usec(st->pause);
		if (!s->bytewise) {
			send_bytes(fd, st->data, len);
			continue;
		}
		for (size_t i = 0; i < len; i++) {
			send_bytes(fd, st->data + i, 1);
			sleep_usec(200);
		}
	}
	if (s->end == END_HANG) {
		char buf[4096];
		for (;;) {
			p = (struct pollfd){.fd = fd, .events = POLLIN};
			if (poll(&p, 1, 5000) <= 0 || recv(fd, buf, sizeof(buf), 0) <= 0)
				break;
		}
	} else if (s->end == END_RESET) {
		struct linger l = {.l_onoff = 1, .l_linger = 0};
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(fd);
	return NULL;
}

/* 0, or -EAFNOSUPPORT/-EADDRNOTAVAIL when this host has no such loopback. */
static int server_start(Server *s, bool ipv6, const Step *steps, End end)
{
	*s = (Server){.ipv6 = ipv6, .steps = steps, .end = end};
	s->lfd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		return -errno;
	struct sockaddr_storage ss = {0};
	socklen_t len;
	if (ipv6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	}
	if (bind(s->lfd, (struct sockaddr *)&ss, len) < 0 || listen(s->lfd, 4) < 0 ||
	    getsockname(s->lfd, (struct sockaddr *)&ss, &len) < 0) {
		int r = -errno;
		close(s->lfd);
		return r;
	}
	s->port = ntohs(ipv6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
			     : ((struct sockaddr_in *)&ss)->sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
	return 0;
}

static void server_stop(Server *s)
{
	pthread_join(s->thread, NULL);
	close(s->lfd);
}

static void url_of(const Server *s, const char *path, char *buf, size_t len)
{
	snprintf(buf, len, s->ipv6 ? "http://[::1]:%d%s" : "http://127.0.0.1:%d%s", s->port, path);
}

/* Serve steps, then send one GET (or req's method/body) and keep the result. */
static int exchange(Server *s, const Step *steps, End end, HttpRequest *req, HttpResponse *resp)
{
	char url[128];
	assert_int_equal(server_start(s, false, steps, end), 0);
	url_of(s, "/x", url, sizeof(url));
	HttpRequest def = {.timeout = 5 * USEC_PER_SEC};
	HttpRequest r = req ? *req : def;
	r.url = url;
	int ret = http_send(&r, resp);
	server_stop(s);
	return ret;
}

static void test_request_as_sent(void **state)
{
	Server s;
	HttpResponse resp;
	char url[128], host[64];
	const Step steps[] = {{"HTTP/1.1 204 No Content\r\nX-Id: 7\r\n\r\n"}, {NULL}};
	const char *hdrs[] = {"Content-Type: application/json", "X-Custom: yes", NULL};

	assert_int_equal(server_start(&s, false, steps, END_HANG), 0);
	url_of(&s, "/p/q?x=1&y=%20#frag", url, sizeof(url));
	HttpRequest req = {.method = "PUT",
			   .url = url,
			   .headers = hdrs,
			   .body = "{\"a\":1}",
			   .body_len = 7,
			   .timeout = 5 * USEC_PER_SEC};
	assert_int_equal(http_send(&req, &resp), 0);
	server_stop(&s);
	assert_int_equal(resp.status, 204);
	assert_int_equal(resp.body_len, 0);
	assert_string_equal(resp.body, "");
	assert_string_equal(http_response_header(&resp, "X-Id"), "7");
	assert_null(resp.content_type);
	http_response_done(&resp);

	assert_true(startswith(s.request, "PUT /p/q?x=1&y=%20 HTTP/1.1\r\n"));
	snprintf(host, sizeof(host), "\r\nHost: 127.0.0.1:%d\r\n", s.port);
	assert_non_null(strstr(s.request, host));
	assert_non_null(strstr(s.request, "\r\nX-Custom: yes\r\n"));
	assert_non_null(strstr(s.request, "\r\nContent-Length: 7\r\n"));
	char *ct = strstr(s.request, "\r\nContent-Type: application/json\r\n");
	assert_non_null(ct);
	assert_null(strstr(ct + 2, "\r\nContent-Type:"));
	assert_null(strcasestr(s.request, "\r\nExpect:"));
	assert_true(endswith(s.request, "\r\n\r\n{\"a\":1}"));

	/* The built-in client answered that without loading libcurl. */
	if (native()) {
		char *maps = NULL;
		size_t n = 0;
		FILE *f = fopen("/proc/self/maps", "re");
		assert_non_null(f);
		assert_true(getdelim(&maps, &n, '\0', f) > 0);
		fclose(f);
		assert_null(strstr(maps, "libcurl"));
		free(maps);
	}
}

static void test_chunked(void **state)
{
	const Step steps[] = {
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"},
	    {"5;name=\"v\";x\r\nhel"},
	    {"lo\r\n6\r\n world\r\n", 0, 20 * USEC_PER_MSEC},
	    {"0\r\nX-Checksum: abc\r\n\r\n", 0, 20 * USEC_PER_MSEC},
	    {NULL}};
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		Server s;
		HttpResponse resp;
		char url[128];
		assert_int_equal(server_start(&s, false, steps, END_HANG), 0);
		s.bytewise = bytewise;
		url_of(&s, "/c", url, sizeof(url));
		HttpRequest req = {.url = url, .timeout = 10 * USEC_PER_SEC};
		/* Ends with the last chunk, without waiting for the server to close. */
		assert_int_equal(http_send(&req, &resp), 0);
		server_stop(&s);
		assert_int_equal(resp.status, 200);
		assert_int_equal(resp.body_len, 11);
		assert_string_equal(resp.body, "hello world");
		assert_string_equal(resp.content_type, "text/plain");
		assert_string_equal(http_response_header(&resp, "x-checksum"), "abc");
		http_response_done(&resp);
	}
}

static void test_body_until_close_and_head(void **state)
{
	Server s;
	HttpResponse resp;
	const Step close_steps[] = {{"HTTP/1.0 200 OK\r\nX-A: 1\r\n\r\nuntil"}, {" close"}, {NULL}};
	assert_int_equal(exchange(&s, close_steps, END_CLOSE, NULL, &resp), 0);
	assert_string_equal(resp.body, "until close");
	http_response_done(&resp);

	/* HEAD: a Content-Length but no body follows. */
	const Step head_steps[] = {{"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"}, {NULL}};
	HttpRequest req = {.method = "HEAD", .timeout = 5 * USEC_PER_SEC};
	assert_int_equal(exchange(&s, head_steps, END_HANG, &req, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.body_len, 0);
	http_response_done(&resp);
	assert_true(startswith(s.request, "HEAD /x HTTP/1.1\r\n"));

	const Step nm_steps[] = {{"HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\n\r\n"}, {NULL}};
	assert_int_equal(exchange(&s, nm_steps, END_HANG, NULL, &resp), 0);
	assert_int_equal(resp.status, 304);
	assert_int_equal(resp.body_len, 0);
	http_response_done(&resp);
}

static void test_interim_responses(void **state)
{
	Server s;
	HttpResponse resp;
	const Step steps[] = {{"HTTP/1.1 100 Continue\r\n\r\n"},
			      {"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"},
			      {"HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-A: 1\r\n\r\nok"},
			      {NULL}};
	assert_int_equal(exchange(&s, steps, END_HANG, NULL, &resp), 0);
	assert_int_equal(resp.status, 201);
	assert_string_equal(resp.body, "ok");
	assert_null(http_response_header(&resp, "link"));
	assert_string_equal(http_response_header(&resp, "x-a"), "1");
	http_response_done(&resp);
}

static void test_slow_server_times_out(void **state)
{
	Server s;
	HttpResponse resp;
	HttpRequest req = {.timeout = 300 * USEC_PER_MSEC};
	const Step mid_body[] = {{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab"}, {NULL}};
	assert_int_equal(exchange(&s, mid_body, END_HANG, &req, &resp), -ETIMEDOUT);
	assert_non_null(resp.error);
	assert_int_equal(resp.status, 0);
	http_response_done(&resp);

	const Step mid_headers[] = {{"HTTP/1.1 200 OK\r\n"}, {NULL}};
	assert_int_equal(exchange(&s, mid_headers, END_HANG, &req, &resp), -ETIMEDOUT);
	http_response_done(&resp);

	/* Slow drip: each piece in time, the whole too late. */
	const Step drip[] = {{"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n"},
			     {"a", 0, 150 * USEC_PER_MSEC},
			     {"b", 0, 150 * USEC_PER_MSEC},
			     {"c", 0, 150 * USEC_PER_MSEC},
			     {"d", 0, 150 * USEC_PER_MSEC},
			     {NULL}};
	assert_int_equal(exchange(&s, drip, END_HANG, &req, &resp), -ETIMEDOUT);
	http_response_done(&resp);
}

static void test_closed_early(void **state)
{
	Server s;
	HttpResponse resp;
	const Step short_body[] = {{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"}, {NULL}};
	assert_int_equal(exchange(&s, short_body, END_CLOSE, NULL, &resp), -ECONNRESET);
	assert_non_null(resp.error);
	http_response_done(&resp);

	const Step short_chunk[] = {
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"}, {"5\r\nab"}, {NULL}};
	assert_int_equal(exchange(&s, short_chunk, END_CLOSE, NULL, &resp), -ECONNRESET);
	http_response_done(&resp);

	const Step nothing[] = {{NULL}};
	assert_int_equal(exchange(&s, nothing, END_CLOSE, NULL, &resp), -ECONNRESET);
	http_response_done(&resp);

	const Step reset[] = {{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"}, {NULL}};
	assert_int_equal(exchange(&s, reset, END_RESET, NULL, &resp), -ECONNRESET);
	http_response_done(&resp);
}

static void test_oversize(void **state)
{
	Server s;
	HttpResponse resp;
	size_t n = 400 * 1024;
	char *big = malloc(n + 64);
	assert_non_null(big);
	strcpy(big, "HTTP/1.1 200 OK\r\nX-Big: ");
	size_t off = strlen(big);
	memset(big + off, 'a', n);
	strcpy(big + off + n, "\r\nContent-Length: 0\r\n\r\n");
	const Step huge_header[] = {{big}, {NULL}};
	int r = exchange(&s, huge_header, END_HANG, NULL, &resp);
	/* libcurl 7.88 runs out of its header buffer and says -ENOMEM. */
	assert_int_equal(r, native() ? -EFBIG : -ENOMEM);
	assert_non_null(resp.error);
	http_response_done(&resp);
	free(big);

	/* A chunked body over max_response, refused before it is all read. */
	const Step chunks[] = {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"},
			       {"8\r\n01234567\r\n8\r\n89abcdef\r\n0\r\n\r\n"},
			       {NULL}};
	HttpRequest req = {.timeout = 5 * USEC_PER_SEC, .max_response = 12};
	assert_int_equal(exchange(&s, chunks, END_HANG, &req, &resp), -EFBIG);
	assert_non_null(strstr(resp.error, "larger than"));
	http_response_done(&resp);

	const Step length[] = {{"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n0123456789abc"},
			       {NULL}};
	assert_int_equal(exchange(&s, length, END_HANG, &req, &resp), -EFBIG);
	assert_non_null(strstr(resp.error, "larger than"));
	http_response_done(&resp);
	req.max_response = 13;
	assert_int_equal(exchange(&s, length, END_HANG, &req, &resp), 0);
	assert_string_equal(resp.body, "0123456789abc");
	http_response_done(&resp);
}

static void test_garbage(void **state)
{
	Server s;
	HttpResponse resp;
	const Step ssh[] = {{"SSH-2.0-OpenSSH_9.2p1\r\n"}, {NULL}};
	assert_int_equal(exchange(&s, ssh, END_HANG, NULL, &resp), -EPROTO);
	assert_non_null(resp.error);
	http_response_done(&resp);

	const Step bad_status[] = {{"HTTP/1.1 2x0 OK\r\n\r\n"}, {NULL}};
	assert_int_equal(exchange(&s, bad_status, END_HANG, NULL, &resp), -EPROTO);
	http_response_done(&resp);

	const Step bad_chunk[] = {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"},
				  {"zz\r\nab\r\n0\r\n\r\n"},
				  {NULL}};
	int r = exchange(&s, bad_chunk, END_HANG, NULL, &resp);
	/* libcurl calls a bad chunk a receive error. */
	assert_int_equal(r, native() ? -EPROTO : -ECONNRESET);
	http_response_done(&resp);
}

static void test_ipv6_loopback(void **state)
{
	Server s;
	HttpResponse resp;
	char url[128], host[64];
	const Step steps[] = {{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nv6"}, {NULL}};
	if (server_start(&s, true, steps, END_HANG) < 0)
		skip(); /* no IPv6 loopback here */
	url_of(&s, "/six", url, sizeof(url));
	HttpRequest req = {.url = url, .timeout = 5 * USEC_PER_SEC};
	assert_int_equal(http_send(&req, &resp), 0);
	server_stop(&s);
	assert_string_equal(resp.body, "v6");
	http_response_done(&resp);
	snprintf(host, sizeof(host), "\r\nHost: [::1]:%d\r\n", s.port);
	assert_non_null(strstr(s.request, host));
}

static void test_refused_and_bad_urls(void **state)
{
	HttpResponse resp;
	char url[64];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd); /* nobody listens there now */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", ntohs(a.sin_port));
	HttpRequest req = {.url = url};
	assert_int_equal(http_send(&req, &resp), -ECONNREFUSED);
	assert_non_null(strstr(resp.error, "127.0.0.1"));
	http_response_done(&resp);

	const char *bad[] = {"http://127.0.0.1:99999/", "http://[::1/", "http://:80/", NULL};
	for (const char **b = bad; *b; b++) {
		req.url = *b;
		int r = http_send(&req, &resp);
		if (r != -EINVAL)
			fail_msg("%s: %d %s", *b, r, resp.error);
		assert_non_null(resp.error);
		http_response_done(&resp);
	}
}

/* With a proxy set, a host that is not exempt goes through it (and so through libcurl). */
static void test_proxy_env(void **state)
{
	Server s;
	HttpResponse resp;
	char proxy[64];
	const Step steps[] = {{"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nproxied"}, {NULL}};
	assert_int_equal(server_start(&s, false, steps, END_HANG), 0);
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", s.port);
	setenv("http_proxy", proxy, 1);
	setenv("no_proxy", "other.example, .elsewhere.example", 1);
	HttpRequest req = {.url = "http://vm.example.invalid/x?y=1", .timeout = 5 * USEC_PER_SEC};
	assert_int_equal(http_send(&req, &resp), 0);
	server_stop(&s);
	unsetenv("http_proxy");
	unsetenv("no_proxy");
	assert_string_equal(resp.body, "proxied");
	http_response_done(&resp);
	assert_true(startswith(s.request, "GET http://vm.example.invalid/x?y=1 HTTP/1.1\r\n"));
}

static void test_url_escape(void **state)
{
	char *e = http_url_escape("https://management.azure.com/.default a+b~_-%\xc3\xa9");
	assert_string_equal(e, "https%3A%2F%2Fmanagement.azure.com%2F.default%20a%2Bb~_-%25%C3%A9");
	free(e);
}

/* argv[1]: the backend, "builtin" or "curl" (see LAZULI_HTTP_BACKEND in http.h). */
int main(int argc, char **argv)
{
	if (argc > 1)
		setenv("LAZULI_HTTP_BACKEND", argv[1], 1);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_as_sent),
	    cmocka_unit_test(test_chunked),
	    cmocka_unit_test(test_body_until_close_and_head),
	    cmocka_unit_test(test_interim_responses),
	    cmocka_unit_test(test_slow_server_times_out),
	    cmocka_unit_test(test_closed_early),
	    cmocka_unit_test(test_oversize),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_ipv6_loopback),
	    cmocka_unit_test(test_refused_and_bad_urls),
	    cmocka_unit_test(test_proxy_env),
	    cmocka_unit_test(test_url_escape),
	};
	/* The proxy case sets its own; one inherited from the caller must not reroute the rest. */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
