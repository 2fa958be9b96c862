/* SPDX-License-Identifier: MIT */
/*
 * A small HTTP/1.1 server for one endpoint, in the caller's poll loop: no
 * thread, no TLS, non-blocking sockets, so that one slow or hostile client
 * never holds up another. Requests on a connection are answered in order;
 * the next pipelined request is parsed only once the previous response has
 * gone out, so a connection holds at most one head and one response.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <libdeflate.h>

#include "gzip.h"
#include "http-request.h"
#include "log.h"
#include "macros.h"
#include "strutil.h"

#define MAX_HOOKS 4
#define MAX_CONNS 64
/* An idle keep-alive connection, a request head and a stalled response each get this long. */
#define CONN_TIMEOUT_MS 15000
/* After "Connection: close", unread request bytes are drained this long so no RST eats the
 * response. */
#define LINGER_MS 2000
/* A request body up to this size is read and dropped, keeping the connection. */
#define MAX_DISCARD (64 * 1024)
/* Pipelined requests answered per connection per loop turn, for fairness. */
#define MAX_REQUESTS_PER_TURN 8
/* Speed over ratio: libdeflate's level 1 still shrinks a text exposition about sixfold. */
#define GZIP_LEVEL 1

typedef enum FailKind {
	FAIL_BAD_REQUEST,
	FAIL_HEAD_TOO_LARGE,
	FAIL_VERSION,
	FAIL_TIMEOUT,
	FAIL_STALLED,
	FAIL_TOO_MANY,
	FAIL_ACCEPT,
	FAIL_IO,
	FAIL_NOMEM,
	FAIL_SCRAPE,
	FAIL_GZIP,
	_FAIL_MAX,
} FailKind;

typedef struct Conn {
	int fd;
	uint64_t deadline;    /* ms, CLOCK_MONOTONIC: closed when reached */
	uint64_t last_active; /* ms: the oldest is evicted when the table is full */
	bool keep_alive;      /* after the response being sent */
	bool peer_eof;
	bool lingering;	  /* shut down for writing, draining until EOF */
	bool more;	  /* buffered requests left for the next turn */
	uint64_t discard; /* request body bytes still to drop */
	char *out;	  /* the unsent rest of a response */
	size_t out_len, out_off;
	size_t in_len;
	char in[HTTP_MAX_HEAD];
} Conn;

struct MetricsServer {
	const MetricsConfig *cfg;
	Scrape *scrape;
	int listen_fd;
	unsigned port;
	uint64_t scrapes;
	Conn *conns[MAX_CONNS];
	size_t n_conns;
	uint64_t accept_paused_until;
	uint32_t logged; /* FailKind bits: each kind is logged once */
	struct libdeflate_compressor *gzc; /* made at the first gzip scrape */
	unsigned char *gz;
	size_t gz_cap;
	time_t date_sec;
	char date[40];
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void note_failure(MetricsServer *s, FailKind k, int error)
{
	static const char *const what[_FAIL_MAX] = {
	    [FAIL_BAD_REQUEST] = "A client sent a malformed request (answered 400)",
	    [FAIL_HEAD_TOO_LARGE] = "A client sent a request head over 8 KiB (answered 431)",
	    [FAIL_VERSION] = "A client spoke another HTTP version than 1.x (answered 505)",
	    [FAIL_TIMEOUT] = "A client did not complete its request within 15 s (closed)",
	    [FAIL_STALLED] = "A client stopped reading its response for 15 s (closed)",
	    [FAIL_TOO_MANY] = "More than 64 connections: the least recently active was closed",
	    [FAIL_ACCEPT] = "Cannot accept connections",
	    [FAIL_IO] = "A connection failed",
	    [FAIL_NOMEM] = "Out of memory for a connection (closed)",
	    [FAIL_SCRAPE] = "A scrape failed (answered 500)",
	    [FAIL_GZIP] = "Cannot compress a scrape (sent uncompressed)",
	};
	if (s->logged & (1u << k)) {
		if (error)
			log_debug_errno(error, "%s: %m", what[k]);
		else
			log_debug("%s", what[k]);
		return;
	}
	s->logged |= 1u << k;
	if (error)
		log_warning_errno(error, "%s: %m; further ones are not logged", what[k]);
	else
		log_warning("%s; further ones are not logged", what[k]);
}

static const char *http_date(MetricsServer *s)
{
	time_t t = time(NULL);
	if (t != s->date_sec || !s->date[0]) {
		struct tm tm;
		s->date_sec = t;
		if (!gmtime_r(&t, &tm) ||
		    strftime(s->date, sizeof(s->date), "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
			s->date[0] = 0;
	}
	return s->date;
}

static const char *status_reason(unsigned status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}

static void conn_free(MetricsServer *s, size_t slot)
{
	Conn *c = s->conns[slot];
	if (!c)
		return;
	close(c->fd);
	free(c->out);
	free(c);
	s->conns[slot] = NULL;
	s->n_conns--;
}

/* The response is out: close politely, or wait for the next request. */
static void conn_response_done(Conn *c, uint64_t now)
{
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	c->deadline = now + CONN_TIMEOUT_MS;
	if (!c->keep_alive && !c->lingering) {
		(void)shutdown(c->fd, SHUT_WR);
		c->lingering = true;
		c->in_len = 0;
		c->deadline = now + LINGER_MS;
	}
}

/* Send what can be sent now; keep a copy of the rest. Negative errno to close. */
static int conn_send(MetricsServer *s, Conn *c, const void *head, size_t head_len, const void *body,
		     size_t body_len, uint64_t now)
{
	struct iovec iov[2] = {{(void *)head, head_len}, {(void *)body, body_len}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = body_len > 0 ? 2 : 1};
	size_t total = head_len + body_len, sent = 0;

	ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
	} else {
		sent = (size_t)n;
	}
	if (sent == total) {
		conn_response_done(c, now);
		return 0;
	}
	c->out = malloc(total - sent);
	if (!c->out) {
		note_failure(s, FAIL_NOMEM, 0);
		return -ENOMEM;
	}
	c->out_len = total - sent;
	c->out_off = 0;
	if (sent < head_len) {
		memcpy(c->out, (const char *)head + sent, head_len - sent);
		memcpy(c->out + head_len - sent, body, body_len);
	} else {
		memcpy(c->out, (const char *)body + (sent - head_len), total - sent);
	}
	c->deadline = now + CONN_TIMEOUT_MS;
	return 0;
}

static int conn_flush(Conn *c, uint64_t now)
{
	ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
	c->out_off += (size_t)n;
	c->deadline = now + CONN_TIMEOUT_MS; /* progress */
	if (c->out_off == c->out_len)
		conn_response_done(c, now);
	return 0;
}

typedef struct Reply {
	unsigned status;
	const char *type;
	const void *body;
	size_t len;
	bool send_body; /* false for HEAD */
	bool gzip;	/* body is gzip-compressed */
	bool vary;	/* the body depends on Accept and Accept-Encoding */
	bool allow;	/* 405: name the methods */
	unsigned minor;
} Reply;

static int conn_reply(MetricsServer *s, Conn *c, const Reply *rp, uint64_t now)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %u %s\r\n"
			 "Content-Type: %s\r\n"
			 "Content-Length: %zu\r\n"
			 "%s%s%s%s"
			 "Date: %s\r\n"
			 "\r\n",
			 rp->status, status_reason(rp->status), rp->type, rp->len,
			 rp->gzip ? "Content-Encoding: gzip\r\n" : "",
			 rp->vary ? "Vary: Accept, Accept-Encoding\r\n" : "",
			 rp->allow ? "Allow: GET, HEAD\r\n" : "",
			 !c->keep_alive	  ? "Connection: close\r\n"
			 : rp->minor == 0 ? "Connection: keep-alive\r\n"
					  : "",
			 http_date(s));
	if (n < 0 || (size_t)n >= sizeof(head))
		return -EIO;
	return conn_send(s, c, head, (size_t)n, rp->body, rp->send_body ? rp->len : 0, now);
}

/* One gzip member of in[0..len) in s->gz. Returns its length or a negative errno. */
static ssize_t gzip_compress(MetricsServer *s, const void *in, size_t len)
{
	if (!s->gzc && !(s->gzc = libdeflate_alloc_compressor(GZIP_LEVEL)))
		return -ENOMEM;
	return gzip_into(s->gzc, in, len, &s->gz, &s->gz_cap);
}

static int serve_metrics(MetricsServer *s, Conn *c, const HttpRequest *req, Reply *rp, uint64_t now)
{
	char accept[HTTP_MAX_HEAD];
	const char *acc = NULL;

	if (req->accept) {
		memcpy(accept, req->accept, req->accept_len);
		accept[req->accept_len] = 0;
		acc = accept;
	}
	ExpoFormat fmt = expo_negotiate(acc);
	s->scrapes++;
	int r = scrape_run(s->scrape, fmt);
	if (r < 0) {
		static const char msg[] = "The scrape failed: out of memory.\n";
		note_failure(s, FAIL_SCRAPE, r);
		*rp = (Reply){500, "text/plain; charset=utf-8", msg, sizeof(msg) - 1};
		return 0;
	}
	rp->status = 200;
	rp->type =
	    fmt == EXPO_OPENMETRICS ? EXPO_CONTENT_TYPE_OPENMETRICS : EXPO_CONTENT_TYPE_PROMETHEUS;
	rp->body = s->scrape->out.buf;
	rp->len = s->scrape->out.len;
	rp->vary = true;
	if (req->gzip) {
		ssize_t n = gzip_compress(s, rp->body, rp->len);
		if (n < 0) {
			note_failure(s, FAIL_GZIP, (int)n);
		} else {
			rp->body = s->gz;
			rp->len = (size_t)n;
			rp->gzip = true;
		}
	}
	return 0;
}

/* Answer one parsed request; the body (if any) is dropped by the caller. */
static int conn_handle(MetricsServer *s, Conn *c, const HttpRequest *req, uint64_t now)
{
	static const char not_allowed[] = "Only GET and HEAD are supported.\n";
	static const char index_msg[] = "lazuli-metrics: metrics are at /metrics\n";
	static const char not_found[] = "Not found: metrics are at /metrics\n";
	Reply rp = {.send_body = req->method != HTTP_METHOD_HEAD, .minor = req->minor};

	c->keep_alive =
	    req->keep_alive && !req->body_unframed && req->content_length <= MAX_DISCARD;
	if (req->method == HTTP_METHOD_OTHER) {
		rp.status = 405;
		rp.type = "text/plain; charset=utf-8";
		rp.body = not_allowed;
		rp.len = sizeof(not_allowed) - 1;
		rp.allow = true;
	} else if (req->path_len == 8 && memcmp(req->path, "/metrics", 8) == 0) {
		serve_metrics(s, c, req, &rp, now);
	} else if (req->path_len == 1 && req->path[0] == '/') {
		rp = (Reply){200,	   "text/plain; charset=utf-8",
			     index_msg,	   sizeof(index_msg) - 1,
			     rp.send_body, .minor = req->minor};
	} else {
		rp = (Reply){404,	   "text/plain; charset=utf-8",
			     not_found,	   sizeof(not_found) - 1,
			     rp.send_body, .minor = req->minor};
	}
	return conn_reply(s, c, &rp, now);
}

static int conn_reply_error(MetricsServer *s, Conn *c, int error, uint64_t now)
{
	static const char bad[] = "Bad request.\n";
	static const char large[] = "Request header fields too large.\n";
	static const char version[] = "HTTP version not supported.\n";
	Reply rp = {.type = "text/plain; charset=utf-8", .send_body = true, .minor = 1};

	if (error == -EMSGSIZE) {
		note_failure(s, FAIL_HEAD_TOO_LARGE, 0);
		rp.status = 431, rp.body = large, rp.len = sizeof(large) - 1;
	} else if (error == -EPROTONOSUPPORT) {
		note_failure(s, FAIL_VERSION, 0);
		rp.status = 505, rp.body = version, rp.len = sizeof(version) - 1;
	} else {
		note_failure(s, FAIL_BAD_REQUEST, 0);
		rp.status = 400, rp.body = bad, rp.len = sizeof(bad) - 1;
	}
	c->keep_alive = false;
	return conn_reply(s, c, &rp, now);
}

static void conn_consume(Conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
}

/* Answer the complete requests buffered, in order, while responses go out at once. */
static int conn_process(MetricsServer *s, Conn *c, uint64_t now)
{
	c->more = false;
	for (unsigned i = 0; i < MAX_REQUESTS_PER_TURN; i++) {
		if (c->out || c->lingering)
			return 0;
		if (c->discard > 0) {
			size_t n = (size_t)MIN((uint64_t)c->in_len, c->discard);
			conn_consume(c, n);
			c->discard -= n;
			if (c->discard > 0)
				return c->peer_eof ? -ECONNRESET : 0;
		}
		if (c->in_len == 0)
			return c->peer_eof ? -ECONNRESET : 0;

		HttpRequest req;
		int r = http_request_parse(c->in, c->in_len, sizeof(c->in), &req);
		if (r == 0)
			return c->peer_eof ? -ECONNRESET : 0;
		if (r < 0)
			return conn_reply_error(s, c, r, now);
		r = conn_handle(s, c, &req, now);
		if (r < 0)
			return r;
		if (c->lingering)
			return 0;
		conn_consume(c, req.head_len);
		c->discard = req.content_length;
	}
	c->more = c->in_len > 0;
	return 0;
}

static int conn_read(MetricsServer *s, Conn *c, uint64_t now)
{
	char drain[4096];
	bool idle = c->in_len == 0 && c->discard == 0;
	char *dst = c->lingering ? drain : c->in + c->in_len;
	size_t room = c->lingering ? sizeof(drain) : sizeof(c->in) - c->in_len;

	if (room == 0)
		return 0; /* a full buffer is a complete head or an error: parsed below */
	ssize_t n = recv(c->fd, dst, room, 0);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
	if (n == 0) {
		c->peer_eof = true;
		return c->lingering ? -ECONNRESET : 0;
	}
	c->last_active = now;
	if (c->lingering)
		return 0;
	c->in_len += (size_t)n;
	if (idle)
		c->deadline = now + CONN_TIMEOUT_MS; /* the whole head must come within this */
	return 0;
}

static void conn_event(MetricsServer *s, size_t slot, short revents, uint64_t now)
{
	Conn *c = s->conns[slot];
	int r = 0;

	if (revents & POLLNVAL) {
		conn_free(s, slot);
		return;
	}
	if (c->out && (revents & (POLLOUT | POLLERR | POLLHUP)))
		r = conn_flush(c, now);
	else if (!c->out && (revents & (POLLIN | POLLERR | POLLHUP)))
		r = conn_read(s, c, now);
	if (r >= 0)
		r = conn_process(s, c, now);
	if (r < 0) {
		if (r != -ECONNRESET && r != -EPIPE && r != -ENOMEM)
			note_failure(s, FAIL_IO, r);
		conn_free(s, slot);
	}
}

static void conn_expire(MetricsServer *s, size_t slot, uint64_t now)
{
	Conn *c = s->conns[slot];

	if (c->out)
		note_failure(s, FAIL_STALLED, 0);
	else if (c->in_len > 0 && !c->lingering) {
		static const char msg[] = "HTTP/1.1 408 Request Timeout\r\n"
					  "Content-Type: text/plain; charset=utf-8\r\n"
					  "Content-Length: 17\r\n"
					  "Connection: close\r\n"
					  "\r\n"
					  "Request timeout.\n";
		note_failure(s, FAIL_TIMEOUT, 0);
		(void)send(c->fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	conn_free(s, slot);
}

static void accept_connections(MetricsServer *s, uint64_t now)
{
	for (unsigned i = 0; i < 16; i++) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			if (errno == ECONNABORTED || errno == EPROTO || errno == EPERM)
				continue;
			/* EMFILE, ENFILE, ENOBUFS, ENOMEM: retry soon, not in a busy loop */
			note_failure(s, FAIL_ACCEPT, errno);
			s->accept_paused_until = now + 100;
			return;
		}
		size_t slot = MAX_CONNS;
		if (s->n_conns == MAX_CONNS) {
			size_t oldest = 0;
			for (size_t j = 1; j < MAX_CONNS; j++)
				if (s->conns[j]->last_active < s->conns[oldest]->last_active)
					oldest = j;
			note_failure(s, FAIL_TOO_MANY, 0);
			conn_free(s, oldest);
		}
		for (size_t j = 0; j < MAX_CONNS; j++)
			if (!s->conns[j]) {
				slot = j;
				break;
			}
		Conn *c = malloc(sizeof(*c));
		if (!c) {
			note_failure(s, FAIL_NOMEM, 0);
			close(fd);
			return;
		}
		*c = (Conn){.fd = fd, .deadline = now + CONN_TIMEOUT_MS, .last_active = now};
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
		s->conns[slot] = c;
		s->n_conns++;
	}
}

int metrics_server_new(const MetricsConfig *cfg, Scrape *scrape, MetricsServer **ret)
{
	char host[64], err[256];
	uint16_t port;
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	int r;

	r = parse_listen_address(cfg->listen, host, sizeof(host), &port, err, sizeof(err));
	if (r < 0) {
		log_error("Invalid listen address: %s", err);
		return r;
	}
	bool v6 = cfg->listen[0] == '[';
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		r = inet_pton(AF_INET6, host, &a->sin6_addr);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		r = inet_pton(AF_INET, host, &a->sin_addr);
		sl = sizeof(*a);
	}
	if (r != 1) {
		log_error("Invalid listen address: %s", cfg->listen);
		return -EINVAL;
	}

	_cleanup_close_ int fd =
	    socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return log_error_errno(errno, "Cannot listen on %s: socket: %m", cfg->listen);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int));
	if (v6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &(int){1}, sizeof(int));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0)
		return log_error_errno(errno, "Cannot listen on %s: %m", cfg->listen);
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return log_error_errno(errno, "Cannot listen on %s: getsockname: %m", cfg->listen);

	MetricsServer *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = cfg;
	s->scrape = scrape;
	s->port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
			   : ((struct sockaddr_in *)&ss)->sin_port);
	s->listen_fd = TAKE_FD(fd);
	*ret = s;
	return 0;
}

void metrics_server_free(MetricsServer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < MAX_CONNS; i++)
		conn_free(s, i);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->gzc)
		libdeflate_free_compressor(s->gzc);
	free(s->gz);
	free(s);
}

unsigned metrics_server_port(const MetricsServer *s)
{
	return s->port;
}

int metrics_server_run(MetricsServer *s, int stop_fd, const ServerHook *hooks, size_t n_hooks)
{
	struct pollfd pfd[2 + MAX_HOOKS + MAX_CONNS];
	size_t slot_of[MAX_CONNS];

	if (n_hooks > MAX_HOOKS)
		return -EINVAL;
	for (;;) {
		uint64_t now = now_ms(), next = UINT64_MAX;
		bool more = false;

		for (size_t i = 0; i < MAX_CONNS; i++) {
			if (!s->conns[i])
				continue;
			if (s->conns[i]->deadline <= now)
				conn_expire(s, i, now);
			else
				next = MIN(next, s->conns[i]->deadline);
		}

		size_t n = 0, n_c = 0;
		bool accepting = s->accept_paused_until <= now;
		pfd[n++] = (struct pollfd){.fd = accepting ? s->listen_fd : -1, .events = POLLIN};
		if (!accepting)
			next = MIN(next, s->accept_paused_until);
		pfd[n++] = (struct pollfd){.fd = stop_fd, .events = POLLIN};
		for (size_t i = 0; i < n_hooks; i++)
			pfd[n++] = (struct pollfd){.fd = hooks[i].fd, .events = POLLIN};
		for (size_t i = 0; i < MAX_CONNS; i++) {
			Conn *c = s->conns[i];
			if (!c)
				continue;
			more = more || c->more;
			slot_of[n_c++] = i;
			pfd[n++] =
			    (struct pollfd){.fd = c->fd, .events = c->out ? POLLOUT : POLLIN};
		}
		int timeout = more		   ? 0
			      : next == UINT64_MAX ? -1
						   : (int)MIN(next - now, (uint64_t)INT32_MAX);

		int r = poll(pfd, n, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return log_error_errno(errno, "poll() failed: %m");
		}
		if (pfd[1].revents)
			return 0;
		for (size_t i = 0; i < n_hooks; i++)
			if (pfd[2 + i].revents)
				hooks[i].ready(hooks[i].userdata);
		now = now_ms();
		for (size_t i = 0; i < n_c; i++) {
			size_t slot = slot_of[i];
			short ev = pfd[2 + n_hooks + i].revents;
			if (!s->conns[slot])
				continue;
			if (ev)
				conn_event(s, slot, ev, now);
			else if (s->conns[slot]->more) {
				int pr = conn_process(s, s->conns[slot], now);
				if (pr < 0)
					conn_free(s, slot);
			}
		}
		if (pfd[0].revents)
			accept_connections(s, now);
	}
}
