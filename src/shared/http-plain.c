/* SPDX-License-Identifier: MIT */
#include "http-plain.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "macros.h"
#include "ssl-dl.h"
#include "time-util.h"

#define DEFAULT_CONNECT_TIMEOUT (5 * USEC_PER_SEC)
#define DEFAULT_TIMEOUT (30 * USEC_PER_SEC)
#define RECV_CHUNK 16384

/* ---- URLs ---------------------------------------------------------------------------------- */

static bool host_char_ok(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_';
}

int http_url_parse(const char *url, HttpUrl *ret)
{
	HttpUrl u = {0};
	const char *p;

	if (!url)
		return -EINVAL;
	if ((p = startswith_no_case(url, "http://")))
		u.port = 80;
	else if ((p = startswith_no_case(url, "https://"))) {
		u.https = true;
		u.port = 443;
	} else
		return -EOPNOTSUPP;
	/* Spaces, controls and non-ASCII: libcurl decides what they mean. */
	for (const char *c = url; *c; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			return -EOPNOTSUPP;

	size_t alen = strcspn(p, "/?#");
	const char *aend = p + alen;
	if (memchr(p, '@', alen))
		return -EOPNOTSUPP;

	const char *host, *hend, *port = NULL;
	if (*p == '[') {
		host = p + 1;
		hend = memchr(host, ']', (size_t)(aend - host));
		if (!hend)
			return -EINVAL;
		if (hend + 1 < aend) {
			if (hend[1] != ':')
				return -EINVAL;
			port = hend + 2;
		}
		u.ipv6 = true;
	} else {
		host = p;
		hend = memchr(p, ':', alen);
		if (hend)
			port = hend + 1;
		else
			hend = aend;
	}
	size_t hlen = (size_t)(hend - host);
	if (hlen == 0)
		return -EINVAL;
	if (hlen >= sizeof(u.host))
		return -EOPNOTSUPP;
	memcpy(u.host, host, hlen);
	u.host[hlen] = '\0';

	if (u.ipv6) {
		struct in6_addr a6;
		if (strchr(u.host, '%'))
			return -EOPNOTSUPP; /* zone ids */
		if (inet_pton(AF_INET6, u.host, &a6) != 1)
			return -EINVAL;
	} else {
		struct in_addr a4;
		for (const char *c = u.host; *c; c++)
			if (!host_char_ok(*c))
				return -EOPNOTSUPP;
		/* "127.1", "0x7f.0.0.1": libcurl normalises those; leave them to it. */
		if (inet_aton(u.host, &a4) == 1 && inet_pton(AF_INET, u.host, &a4) != 1)
			return -EOPNOTSUPP;
	}

	/* An empty port ("host:/") means the default, as for libcurl. */
	if (port && port < aend) {
		unsigned v = 0;
		for (const char *c = port; c < aend; c++) {
			if (!isdigit((unsigned char)*c) || c - port >= 5)
				return -EINVAL;
			v = v * 10 + (unsigned)(*c - '0');
		}
		if (v == 0 || v > 65535)
			return -EINVAL;
		u.port = (uint16_t)v;
		u.explicit_port = true;
	}

	u.path = aend;
	u.path_len = strcspn(aend, "#");
	/* libcurl removes "." and ".." segments; let it. */
	size_t plen = strcspn(aend, "?#");
	for (const char *s = aend; s < aend + plen; s++)
		if (s[0] == '/' && s[1] == '.' &&
		    (s + 2 == aend + plen || s[2] == '/' ||
		     (s[2] == '.' && (s + 3 == aend + plen || s[3] == '/'))))
			return -EOPNOTSUPP;
	*ret = u;
	return 0;
}

/* ---- Proxies --------------------------------------------------------------------------------- */

static const char *env_set(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* One no_proxy entry against the host, as curl 7.88 matches them; CIDR entries never match here. */
static bool no_proxy_entry_matches(const char *tok, size_t tlen, const HttpUrl *u)
{
	if (memchr(tok, '/', tlen))
		return false; /* CIDR: left to libcurl */
	if (u->ipv6 || inet_pton(AF_INET, u->host, &(struct in_addr){0}) == 1) {
		char t[INET6_ADDRSTRLEN + 2];
		unsigned char a[16], b[16];
		int af = u->ipv6 ? AF_INET6 : AF_INET;
		if (tlen >= 2 && tok[0] == '[' && tok[tlen - 1] == ']') {
			tok++;
			tlen -= 2;
		}
		if (tlen >= sizeof(t))
			return false;
		memcpy(t, tok, tlen);
		t[tlen] = '\0';
		return inet_pton(af, t, a) == 1 && inet_pton(af, u->host, b) == 1 &&
		       memcmp(a, b, af == AF_INET ? 4 : 16) == 0;
	}
	size_t hlen = strlen(u->host);
	if (hlen > 0 && u->host[hlen - 1] == '.')
		hlen--;
	if (tlen > 0 && tok[0] == '.') {
		tok++;
		tlen--;
	}
	if (tlen > 0 && tok[tlen - 1] == '.')
		tlen--;
	if (tlen == 0)
		return false;
	if (tlen == hlen)
		return strncasecmp(tok, u->host, hlen) == 0;
	return tlen < hlen && u->host[hlen - tlen - 1] == '.' &&
	       strncasecmp(tok, u->host + hlen - tlen, tlen) == 0;
}

static bool no_proxy_matches(const char *np, const HttpUrl *u)
{
	const char *s = np;
	while (*s == ' ' || *s == '\t')
		s++;
	if (s[0] == '*' && s[1 + strspn(s + 1, " \t")] == '\0')
		return true;
	while (*s) {
		s += strspn(s, ", \t");
		size_t n = strcspn(s, ", \t");
		if (n > 0 && no_proxy_entry_matches(s, n, u))
			return true;
		s += n;
	}
	return false;
}

const char *http_ca_bundle(void)
{
	static const char *const vars[] = {"REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"};
	for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
		const char *v = env_set(vars[i]);
		if (v)
			return v;
	}
	return NULL;
}

int http_plain_wanted(const char *url, HttpUrl *u)
{
	const char *backend = getenv("LAZULI_HTTP_BACKEND");
	if (backend && streq(backend, "curl"))
		return false;
	int r = http_url_parse(url, u);
	if (r == -EINVAL)
		return r;
	if (r < 0 || (u->https && !ssl_dl()))
		return false;
	if (http_url_is_proxy_exempt(url))
		return true;
	if (!env_set(u->https ? "https_proxy" : "http_proxy") &&
	    !env_set(u->https ? "HTTPS_PROXY" : "HTTP_PROXY") && !env_set("all_proxy") &&
	    !env_set("ALL_PROXY"))
		return true;
	const char *np = env_set("no_proxy");
	if (!np)
		np = env_set("NO_PROXY");
	return np && no_proxy_matches(np, u);
}

/* ---- Response parser ------------------------------------------------------------------------- */

void http_parser_init(HttpParser *p, bool head, size_t max_body)
{
	*p = (HttpParser){.head = head, .max_body = max_body};
}

void http_parser_done(HttpParser *p)
{
	strv_free(p->headers);
	strbuf_free(&p->line);
	strbuf_free(&p->body);
	*p = (HttpParser){0};
}

static int fail(HttpParser *p, int r, const char *why)
{
	p->error = why;
	return r;
}

static int body_too_big(HttpParser *p)
{
	p->body_too_big = true;
	return fail(p, -EFBIG, "response larger than the limit");
}

static int parse_status_line(HttpParser *p, const char *l)
{
	/* HTTP/1.x SP 3DIGIT [SP reason] */
	if (!strneq(l, "HTTP/1.", 7) || !isdigit((unsigned char)l[7]) || l[8] != ' ' ||
	    !isdigit((unsigned char)l[9]) || !isdigit((unsigned char)l[10]) ||
	    !isdigit((unsigned char)l[11]) || (l[12] != '\0' && l[12] != ' '))
		return fail(p, -EPROTO, "the server's reply is not an HTTP/1.x status line");
	p->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (p->status < 100)
		return fail(p, -EPROTO, "the server's reply has an invalid status code");
	p->has_length = p->chunked = p->until_close = false;
	p->length = 0;
	p->state = HTTP_PARSE_HEADERS;
	return 0;
}

static int parse_u64(const char *s, size_t n, unsigned base, uint64_t *ret)
{
	uint64_t v = 0;
	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int d;
		if (isdigit((unsigned char)s[i]))
			d = s[i] - '0';
		else if (base == 16 && isxdigit((unsigned char)s[i]))
			d = tolower((unsigned char)s[i]) - 'a' + 10;
		else
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return -ERANGE;
		v = v * base + (uint64_t)d;
	}
	*ret = v;
	return 0;
}

/* The framing headers, whether or not the line is kept. */
static int note_framing(HttpParser *p, const char *line, size_t nlen)
{
	const char *v = line + nlen + 1;
	v += strspn(v, " \t");
	size_t vlen = strlen(v);
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;

	if (nlen == 14 && strncasecmp(line, "content-length", 14) == 0) {
		uint64_t n;
		if (parse_u64(v, vlen, 10, &n) < 0)
			return fail(p, -EPROTO, "invalid Content-Length");
		if (p->has_length && n != p->length)
			return fail(p, -EPROTO, "conflicting Content-Length headers");
		p->has_length = true;
		p->length = n;
	} else if (nlen == 17 && strncasecmp(line, "transfer-encoding", 17) == 0) {
		/* Chunked when it is the last coding; any other last coding runs until close. */
		const char *last = v;
		for (const char *c = v; c < v + vlen; c++)
			if (*c == ',')
				last = c + 1;
		last += strspn(last, " \t");
		size_t llen = (size_t)(v + vlen - last);
		bool chunked = llen == 7 && strncasecmp(last, "chunked", 7) == 0;
		p->chunked = chunked;
		p->until_close = !chunked;
	}
	return 0;
}

/* A "name: value" line (headers and trailers alike) into r->headers, name lower-cased. */
static int keep_header(HttpParser *p, const char *l)
{
	if (p->n_headers >= HTTP_MAX_HEADER_LINES)
		return 0;
	char *copy = strdup(l);
	if (!copy)
		return fail(p, -ENOMEM, "out of memory");
	for (char *c = copy; *c != ':'; c++)
		*c = (char)tolower((unsigned char)*c);
	if (strv_push(&p->headers, copy) < 0)
		return fail(p, -ENOMEM, "out of memory");
	p->n_headers++;
	return 0;
}

static int add_header_line(HttpParser *p, char *l)
{
	/* Obsolete line folding continues the previous header. */
	if (l[0] == ' ' || l[0] == '\t') {
		if (p->n_headers == 0 || p->n_headers >= HTTP_MAX_HEADER_LINES)
			return 0;
		char **last = &p->headers[p->n_headers - 1];
		char *joined = NULL;
		if (asprintf(&joined, "%s %s", *last, l + strspn(l, " \t")) < 0)
			return fail(p, -ENOMEM, "out of memory");
		free(*last);
		*last = joined;
		return 0;
	}
	const char *colon = strchr(l, ':');
	if (!colon)
		return 0; /* what the curl path does with such a line: drop it */
	int r = note_framing(p, l, (size_t)(colon - l));
	if (r < 0)
		return r;
	return keep_header(p, l);
}

static void drop_headers(HttpParser *p)
{
	strv_free(p->headers);
	p->headers = NULL;
	p->n_headers = 0;
}

static int end_of_headers(HttpParser *p)
{
	/* Interim responses (100 Continue, 103 Early Hints) precede the real one. */
	if (p->status < 200 && p->status != 101) {
		drop_headers(p);
		p->state = HTTP_PARSE_STATUS;
		return 0;
	}
	if (p->head || p->status == 101 || p->status == 204 || p->status == 304) {
		p->state = HTTP_PARSE_DONE;
		return 1;
	}
	if (p->chunked) {
		p->state = HTTP_PARSE_CHUNK_SIZE;
		return 0;
	}
	if (p->until_close || !p->has_length) {
		p->state = HTTP_PARSE_BODY_CLOSE;
		return 0;
	}
	if (p->length > p->max_body)
		return body_too_big(p);
	if (p->length == 0) {
		p->state = HTTP_PARSE_DONE;
		return 1;
	}
	p->remaining = p->length;
	p->state = HTTP_PARSE_BODY_LENGTH;
	return 0;
}

static int parse_chunk_size(HttpParser *p, const char *l)
{
	size_t n = strspn(l, "0123456789abcdefABCDEF");
	const char *rest = l + n;
	uint64_t size;

	rest += strspn(rest, " \t");
	if (*rest != '\0' && *rest != ';')
		return fail(p, -EPROTO, "invalid chunk size line");
	if (n > 16 || parse_u64(l, n, 16, &size) < 0)
		return fail(p, -EPROTO, "invalid chunk size");
	if (size == 0) {
		p->state = HTTP_PARSE_TRAILERS;
		return 0;
	}
	if (size > p->max_body - p->body.len)
		return body_too_big(p);
	p->remaining = size;
	p->state = HTTP_PARSE_CHUNK_DATA;
	return 0;
}

/* A complete line, CR LF (or a bare LF) removed. */
static int handle_line(HttpParser *p, char *l)
{
	switch (p->state) {
	case HTTP_PARSE_STATUS:
		return parse_status_line(p, l);
	case HTTP_PARSE_HEADERS:
		if (*l == '\0')
			return end_of_headers(p);
		return add_header_line(p, l);
	case HTTP_PARSE_CHUNK_SIZE:
		return parse_chunk_size(p, l);
	case HTTP_PARSE_CHUNK_END:
		if (*l != '\0')
			return fail(p, -EPROTO, "chunk not followed by CR LF");
		p->state = HTTP_PARSE_CHUNK_SIZE;
		return 0;
	case HTTP_PARSE_TRAILERS:
		if (*l == '\0') {
			p->state = HTTP_PARSE_DONE;
			return 1;
		}
		/* libcurl hands trailers to the header callback too. */
		if (l[0] == ' ' || l[0] == '\t' || !strchr(l, ':'))
			return 0;
		return keep_header(p, l);
	default:
		return fail(p, -EPROTO, "unexpected line");
	}
}

static bool state_is_line(HttpParserState s)
{
	return s == HTTP_PARSE_STATUS || s == HTTP_PARSE_HEADERS || s == HTTP_PARSE_CHUNK_SIZE ||
	       s == HTTP_PARSE_CHUNK_END || s == HTTP_PARSE_TRAILERS;
}

static int take_line(HttpParser *p, const char **data, size_t *len)
{
	const char *nl = memchr(*data, '\n', *len);
	size_t n = nl ? (size_t)(nl - *data) + 1 : *len;
	bool counted = p->state != HTTP_PARSE_CHUNK_SIZE && p->state != HTTP_PARSE_CHUNK_END;

	if (counted) {
		if (n > HTTP_MAX_HEADER_BYTES - p->header_bytes)
			return fail(p, -EFBIG, "response headers larger than 300 KiB");
		p->header_bytes += n;
	} else if (p->line.len + n > HTTP_MAX_HEADER_BYTES)
		return fail(p, -EPROTO, "chunk size line too long");
	if (strbuf_append(&p->line, *data, n) < 0)
		return fail(p, -ENOMEM, "out of memory");
	*data += n;
	*len -= n;

	/* Not HTTP at all: say so on the first bytes, do not wait for a line. */
	if (p->state == HTTP_PARSE_STATUS) {
		size_t k = MIN(p->line.len, STRLEN("HTTP/"));
		if (memcmp(p->line.data, "HTTP/", k) != 0)
			return fail(p, -EPROTO, "the server's reply is not HTTP");
	}
	if (!nl)
		return 0;

	char *l = p->line.data;
	size_t ll = p->line.len - 1;
	if (ll > 0 && l[ll - 1] == '\r')
		ll--;
	l[ll] = '\0';
	if (memchr(l, '\0', ll))
		return fail(p, -EPROTO, "NUL byte in the response header");
	int r = handle_line(p, l);
	p->line.len = 0;
	return r;
}

static int take_body(HttpParser *p, const char **data, size_t *len)
{
	size_t n = *len;
	if (p->state != HTTP_PARSE_BODY_CLOSE)
		n = (size_t)MIN((uint64_t)n, p->remaining);
	if (n > p->max_body - p->body.len)
		return body_too_big(p);
	if (strbuf_append(&p->body, *data, n) < 0)
		return fail(p, -ENOMEM, "out of memory");
	*data += n;
	*len -= n;
	if (p->state == HTTP_PARSE_BODY_CLOSE)
		return 0;
	p->remaining -= n;
	if (p->remaining > 0)
		return 0;
	if (p->state == HTTP_PARSE_CHUNK_DATA) {
		p->state = HTTP_PARSE_CHUNK_END;
		return 0;
	}
	p->state = HTTP_PARSE_DONE;
	return 1;
}

int http_parser_feed(HttpParser *p, const void *data, size_t len)
{
	const char *d = data;
	int r = 0;

	if (p->state == HTTP_PARSE_DONE)
		return 1;
	if (len > 0)
		p->got_bytes = true;
	while (len > 0 && r == 0) {
		if (state_is_line(p->state))
			r = take_line(p, &d, &len);
		else
			r = take_body(p, &d, &len);
	}
	return r;
}

int http_parser_eof(HttpParser *p)
{
	if (p->state == HTTP_PARSE_DONE)
		return 1;
	if (p->state == HTTP_PARSE_BODY_CLOSE) {
		p->state = HTTP_PARSE_DONE;
		return 1;
	}
	if (!p->got_bytes)
		return fail(p, -ECONNRESET, "the server closed the connection without a reply");
	if (p->state == HTTP_PARSE_STATUS || p->state == HTTP_PARSE_HEADERS)
		return fail(p, -ECONNRESET, "the server closed the connection within the headers");
	return fail(p, -ECONNRESET,
		    "the server closed the connection before the body was complete");
}

/* ---- Transport ------------------------------------------------------------------------------- */

typedef struct Conn {
	const HttpUrl *u;
	char where[300]; /* host:port, for connection failures */
	usec_t deadline;
	usec_t timeout;
	HttpResponse *r;
	int fd;
	/* https:// only */
	const SslDl *tls;
	SSL_CTX *ctx;
	SSL *ssl;
	const char *ca;	    /* http_ca_bundle() */
	bool ca_failed;	    /* the CA certificates could not be loaded */
	char *session_path; /* where this host's TLS session is kept, or NULL */
	bool session_saved; /* one per connection: servers send two tickets or more */
	bool session_fresh; /* the kept session has more than half its lifetime left */
} Conn;

_printf_(3, 4) static int conn_fail(Conn *c, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Like libcurl's messages: callers name the URL. */
	free(c->r->error);
	c->r->error = strdup(msg);
	return err;
}

/* Milliseconds to deadline for poll(), 0 when it has passed. */
static int ms_left(usec_t deadline)
{
	usec_t now = now_usec(CLOCK_MONOTONIC);
	if (now >= deadline)
		return 0;
	usec_t ms = (deadline - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC;
	return (int)MIN(ms, (usec_t)INT32_MAX);
}

/* 1 when ready, 0 on timeout, <0 on error. */
static int wait_fd(int fd, short events, usec_t deadline)
{
	for (;;) {
		int ms = ms_left(deadline);
		if (ms == 0)
			return 0;
		struct pollfd pfd = {.fd = fd, .events = events};
		int n = poll(&pfd, 1, ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n > 0)
			return 1;
	}
}

static int connect_errno(int e)
{
	if (e == EHOSTUNREACH || e == ENETUNREACH || e == EADDRNOTAVAIL || e == EAFNOSUPPORT)
		return -EHOSTUNREACH;
	return -ECONNREFUSED;
}

static int connect_one(const struct addrinfo *ai, usec_t deadline, int *ret_fd)
{
	_cleanup_close_ int fd =
	    socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS)
			return -errno;
		int w = wait_fd(fd, POLLOUT, deadline);
		if (w == 0)
			return -ETIMEDOUT;
		if (w < 0)
			return w;
		int err = 0;
		socklen_t len = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			return -errno;
		if (err)
			return -err;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int conn_open(Conn *c, usec_t connect_deadline, int *ret_fd)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	char port[8];
	int r = -ECONNREFUSED;

	snprintf(port, sizeof(port), "%u", c->u->port);
	if (c->u->ipv6) {
		hints.ai_family = AF_INET6;
		hints.ai_flags |= AI_NUMERICHOST;
	} else if (inet_pton(AF_INET, c->u->host, &(struct in_addr){0}) == 1) {
		hints.ai_family = AF_INET;
		hints.ai_flags |= AI_NUMERICHOST;
	} else
		hints.ai_flags |= AI_ADDRCONFIG;
	/*
	 * A name is resolved by a blocking getaddrinfo(), which the timeouts do
	 * not bound (libcurl's threaded resolver would). The endpoints this
	 * client is for are addresses or localhost, answered from /etc/hosts.
	 */
	int g = getaddrinfo(c->u->host, port, &hints, &ai);
	if (g == EAI_MEMORY)
		return conn_fail(c, -ENOMEM, "out of memory resolving the host");
	if (g != 0)
		return conn_fail(c, -EHOSTUNREACH, "could not resolve host %s: %s", c->u->host,
				 gai_strerror(g));
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		r = connect_one(a, connect_deadline, ret_fd);
		if (r == 0 || r == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(ai);
	if (r == -ETIMEDOUT)
		return conn_fail(c, r, "connecting to %s timed out after %" PRIu64 " ms", c->where,
				 (uint64_t)(c->timeout / USEC_PER_MSEC));
	if (r < 0)
		return conn_fail(c, connect_errno(-r), "cannot connect to %s: %s", c->where,
				 strerror(-r));
	return 0;
}

/* ---- TLS ------------------------------------------------------------------------------------- */

/* The newest queued OpenSSL error as text, or fallback. */
static const char *tls_error(Conn *c, char *buf, size_t len, const char *fallback)
{
	unsigned long e = c->tls->ERR_get_error();
	if (e == 0)
		return fallback;
	ssl_dl_load_error_strings();
	c->tls->ERR_error_string_n(e, buf, len);
	c->tls->ERR_clear_error();
	return buf;
}

/*
 * Wait as an SSL call that returned ret asks: 1 to call it again, or the
 * error, with what was being done for the message.
 */
static int tls_wait(Conn *c, int ret, const char *doing)
{
	char buf[256];
	int e = c->tls->SSL_get_error(c->ssl, ret);
	short ev;

	if (e == SSL_ERROR_WANT_READ)
		ev = POLLIN;
	else if (e == SSL_ERROR_WANT_WRITE)
		ev = POLLOUT;
	else if (e == SSL_ERROR_SYSCALL && errno != 0)
		return conn_fail(c, -ECONNRESET, "%s failed: %s", doing, strerror(errno));
	else
		return conn_fail(c, -ECONNRESET, "%s failed: %s", doing,
				 tls_error(c, buf, sizeof(buf), "the connection was closed"));
	int w = wait_fd(c->fd, ev, c->deadline);
	if (w == 0)
		return conn_fail(c, -ETIMEDOUT, "timed out after %" PRIu64 " ms %s",
				 (uint64_t)(c->timeout / USEC_PER_MSEC), doing);
	if (w < 0)
		return conn_fail(c, w, "poll: %s", strerror(-w));
	return 1;
}

/* ---- TLS sessions kept across processes --------------------------------------------------- */

#define TLS_SESSION_MAX 16384
#define TLS_SESSION_MAGIC "lazuli-tls-session 1"

static char *tls_session_dir;

int http_set_tls_session_dir(const char *dir)
{
	char *d = NULL;
	if (dir && !(d = strdup(dir)))
		return -ENOMEM;
	free(tls_session_dir);
	tls_session_dir = d;
	return 0;
}

/*
 * The first line of a session file: what the session is good for. A session
 * made while trusting one CA bundle is not resumed while trusting another.
 */
static int tls_session_header(const Conn *c, char **ret)
{
	/* The system's CAs: "-", or the directory named by SSL_CERT_DIR. */
	const char *dir = c->ca ? NULL : getenv(c->tls->X509_get_default_cert_dir_env());
	const char *ca = c->ca ? c->ca : dir ? dir : "-";
	if (strchr(ca, '\n'))
		return -EINVAL;
	int n = asprintf(ret, "%s %s %s%s\n", TLS_SESSION_MAGIC, c->where,
			 c->ca || !dir ? "" : "system:", ca);
	if (n < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return n;
}

/* Read the kept session for c, if there is a usable one; never fails the request. */
static SSL_SESSION *tls_session_load(Conn *c)
{
	const SslDl *t = c->tls;
	_cleanup_free_ char *header = NULL, *data = NULL;
	size_t len;
	struct stat st;

	int hlen = tls_session_header(c, &header);
	if (hlen < 0)
		return NULL;
	/* A bundle that has gone is reported, as without a session. */
	if (c->ca && access(c->ca, R_OK) < 0)
		return NULL;
	_cleanup_close_ int fd =
	    open(c->session_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return NULL;
	/* The session's secrets let whoever holds them read the traffic. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 0077) != 0) {
		log_debug("Ignoring %s: not a regular file of ours with mode 0600",
			  c->session_path);
		return NULL;
	}
	if (read_full_fd(fd, TLS_SESSION_MAX, &data, &len) < 0 || len <= (size_t)hlen ||
	    memcmp(data, header, (size_t)hlen) != 0) {
		log_debug("Ignoring %s: not a session for %s", c->session_path, c->where);
		return NULL;
	}
	const unsigned char *p = (const unsigned char *)data + hlen;
	const unsigned char *end = (const unsigned char *)data + len;
	/*
	 * The session holds the server's certificate, whose key d2i decodes in
	 * the thread's default library context: make that the TLS one (its
	 * few decoders), not the one with all of OpenSSL's.
	 */
	OSSL_LIB_CTX *prev = t->OSSL_LIB_CTX_set0_default(ssl_dl_libctx());
	SSL_SESSION *sess = t->d2i_SSL_SESSION(NULL, &p, (long)(end - p));
	t->OSSL_LIB_CTX_set0_default(prev);
	t->ERR_clear_error();
	if (!sess || p != end || !t->SSL_SESSION_is_resumable(sess) ||
	    (time_t)t->SSL_SESSION_get_time(sess) + (time_t)t->SSL_SESSION_get_timeout(sess) <=
		time(NULL)) {
		log_debug("Ignoring %s: %s", c->session_path,
			  sess && p == end ? "the session has expired" : "it does not parse");
		if (sess)
			t->SSL_SESSION_free(sess);
		return NULL;
	}
	return sess;
}

/* Written as a cache may be: atomically, without fsync (a lost one costs a handshake). */
static int tls_session_write(const char *path, const char *header, size_t hlen, const uint8_t *der,
			     size_t dlen)
{
	_cleanup_free_ char *tmp = NULL;
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return -ENOMEM;
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = loop_write(fd, header, hlen);
	if (r >= 0)
		r = loop_write(fd, der, dlen);
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

/* A DER element at p: header and total length; -EBADMSG unless it fits before end. */
static int der_element(const uint8_t *p, const uint8_t *end, size_t *ret_hdr, size_t *ret_len)
{
	size_t avail = (size_t)(end - p), hdr = 2, n;

	if (avail < 2 || (p[0] & 0x1f) == 0x1f)
		return -EBADMSG; /* high tag numbers: none in a session */
	n = p[1];
	if (n & 0x80) {
		size_t k = n & 0x7f;
		if (k == 0 || k > 3 || avail < 2 + k)
			return -EBADMSG;
		n = 0;
		for (size_t i = 0; i < k; i++)
			n = n << 8 | p[2 + i];
		hdr += k;
	}
	if (n > avail - hdr)
		return -EBADMSG;
	*ret_hdr = hdr;
	*ret_len = hdr + n;
	return 0;
}

int http_tls_session_strip_peer(const uint8_t *der, size_t len, uint8_t *out, size_t *out_len)
{
	const uint8_t *end = der + len;
	size_t hdr, total, body = 0;

	if (der_element(der, end, &hdr, &total) < 0 || der[0] != 0x30 || total != len ||
	    *out_len < len)
		return -EBADMSG;
	/* The fields kept go where they were: the new header is never longer than the old. */
	uint8_t *o = out + hdr;
	for (const uint8_t *p = der + hdr; p < end;) {
		size_t h, l;
		if (der_element(p, end, &h, &l) < 0)
			return -EBADMSG;
		if (p[0] != 0xa3) { /* [3] EXPLICIT: the peer's certificate */
			memcpy(o + body, p, l);
			body += l;
		}
		p += l;
	}
	uint8_t head[5] = {0x30};
	size_t hl;
	if (body < 0x80) {
		head[1] = (uint8_t)body;
		hl = 2;
	} else if (body <= 0xff) {
		head[1] = 0x81;
		head[2] = (uint8_t)body;
		hl = 3;
	} else if (body <= 0xffff) {
		head[1] = 0x82;
		head[2] = (uint8_t)(body >> 8);
		head[3] = (uint8_t)body;
		hl = 4;
	} else
		return -EBADMSG;
	memmove(out + hl, o, body);
	memcpy(out, head, hl);
	*out_len = hl + body;
	return 0;
}

/*
 * OpenSSL's new-session callback: keep what a verified handshake (or a
 * ticket after it) gave, without the server's certificate: resuming does
 * not use it, and decoding it would cost the next process more than the
 * rest of the session (a key decoder and key type set up just for it).
 */
static int tls_session_save(SSL *ssl, SSL_SESSION *sess)
{
	Conn *c = NULL;
	const SslDl *t = ssl_dl();
	_cleanup_free_ char *header = NULL;
	_cleanup_free_ uint8_t *der = NULL, *stripped = NULL;

	if (!t || !(c = t->SSL_get_ex_data(ssl, 0)) || !c->session_path || c->session_saved ||
	    t->SSL_get_verify_result(ssl) != X509_V_OK || !t->SSL_SESSION_is_resumable(sess))
		return 0;
	/*
	 * Resumed with a session that has long to live: keep it, as clients do
	 * (a ticket is good for more than one connection), rather than
	 * replace the file on every request.
	 */
	if (c->session_fresh && t->SSL_session_reused(ssl))
		return 0;
	int hlen = tls_session_header(c, &header);
	int dlen = t->i2d_SSL_SESSION(sess, NULL);
	if (hlen < 0 || dlen <= 0 || (size_t)dlen + (size_t)hlen > TLS_SESSION_MAX ||
	    !(der = malloc((size_t)dlen)) || !(stripped = malloc((size_t)dlen)))
		return 0;
	size_t slen = (size_t)dlen;
	uint8_t *p = der;
	if (t->i2d_SSL_SESSION(sess, &p) != dlen ||
	    http_tls_session_strip_peer(der, (size_t)dlen, stripped, &slen) < 0)
		return 0;
	/* What is kept must read back as a session, and one without the certificate. */
	const uint8_t *q = stripped;
	SSL_SESSION *check = t->d2i_SSL_SESSION(NULL, &q, (long)slen);
	bool ok = check && q == stripped + slen && !t->SSL_SESSION_get0_peer(check);
	if (check)
		t->SSL_SESSION_free(check);
	t->ERR_clear_error();
	if (!ok)
		return 0;
	int r = tls_session_write(c->session_path, header, (size_t)hlen, stripped, slen);
	c->session_saved = r >= 0;
	if (r < 0)
		log_debug_errno(r, "Cannot keep the TLS session for %s in %s: %m", c->where,
				c->session_path);
	return 0; /* the session is not kept in memory */
}

/* ---- Handshake ------------------------------------------------------------------------------- */

/*
 * The CA certificates: the bundle named, or the system's. Of the system's,
 * the hashed directory first, which reads only the certificates a chain
 * needs (one file each), instead of the bundle file's 140-odd, each
 * decoded, at every full handshake: the file is only read if the chain
 * does not verify with the directory alone.
 */
static int tls_load_ca(Conn *c)
{
	const SslDl *t = c->tls;
	int ok;

	if (c->ca)
		ok = t->SSL_CTX_load_verify_locations(c->ctx, c->ca, NULL);
	else {
		const char *dir = getenv(t->X509_get_default_cert_dir_env());
		ok = t->SSL_CTX_load_verify_dir(c->ctx, dir ? dir : t->X509_get_default_cert_dir());
	}
	if (ok == 1)
		return 0;
	t->ERR_clear_error();
	if (!c->ca)
		return 0; /* no directory: the file alone, below */
	c->ca_failed = true;
	return -EKEYREJECTED;
}

/*
 * Verify the server's chain, loading the CA certificates first: a resumed
 * session sends no certificate, and needs none of them loaded.
 */
static int tls_verify_chain(X509_STORE_CTX *x, void *arg)
{
	Conn *c = arg;
	const SslDl *t = c->tls;

	if (tls_load_ca(c) < 0) {
		t->X509_STORE_CTX_set_error(x, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	int r = t->X509_verify_cert(x);
	if (r > 0 || c->ca)
		return r;
	/* Not with the directory alone: again with the bundle file too, as libcurl does. */
	if (t->SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
		t->ERR_clear_error();
		c->ca_failed = true;
		t->X509_STORE_CTX_set_error(x, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	t->ERR_clear_error();
	t->X509_STORE_CTX_set0_verified_chain(x, NULL);
	t->X509_STORE_CTX_set_error(x, X509_V_OK);
	return t->X509_verify_cert(x);
}

static int tls_ca_error(Conn *c)
{
	if (c->ca)
		return conn_fail(c, -EKEYREJECTED, "error setting certificate file: %s", c->ca);
	return conn_fail(c, -EKEYREJECTED, "cannot load the system's CA certificates");
}

static void tls_session_path(Conn *c)
{
	if (!tls_session_dir ||
	    asprintf(&c->session_path, "%s/tls-session-%s", tls_session_dir, c->where) < 0)
		c->session_path = NULL;
}

/*
 * TLS 1.2 or newer over the connected socket, the server's certificate
 * checked against the system's CAs (or http_ca_bundle()) and the URL's host
 * name or address, with the same messages as libcurl's for the failures a
 * user must act on. A session kept from an earlier process for the same
 * host, port and CAs is offered for resumption.
 */
static int tls_handshake(Conn *c)
{
	const SslDl *t = c->tls;
	char buf[256];
	int r;

	c->ca = http_ca_bundle();
	t->ERR_clear_error();
	c->ctx = t->SSL_CTX_new_ex(ssl_dl_libctx(), NULL, t->TLS_client_method());
	if (!c->ctx)
		return conn_fail(c, -ENOMEM, "cannot set up TLS: %s",
				 tls_error(c, buf, sizeof(buf), "SSL_CTX_new failed"));
	t->SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	t->SSL_CTX_set_cert_verify_callback(c->ctx, tls_verify_chain, c);
	/*
	 * A close without close_notify reads as the end of the stream: the
	 * response parser still refuses a body shorter than its framing.
	 */
	t->SSL_CTX_set_options(c->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
					   SSL_OP_IGNORE_UNEXPECTED_EOF);
	t->SSL_CTX_ctrl(c->ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, NULL);
	/* Whole records and what follows them in one read(), not a header and then its body. */
	t->SSL_CTX_ctrl(c->ctx, SSL_CTRL_SET_READ_AHEAD, 1, NULL);
	tls_session_path(c);
	if (c->session_path) {
		t->SSL_CTX_ctrl(c->ctx, SSL_CTRL_SET_SESS_CACHE_MODE,
				SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE, NULL);
		t->SSL_CTX_sess_set_new_cb(c->ctx, tls_session_save);
	}
	c->ssl = t->SSL_new(c->ctx);
	if (!c->ssl || t->SSL_set_fd(c->ssl, c->fd) != 1 || t->SSL_set_ex_data(c->ssl, 0, c) != 1)
		return conn_fail(c, -ENOMEM, "cannot set up TLS: %s",
				 tls_error(c, buf, sizeof(buf), "SSL_new failed"));
	X509_VERIFY_PARAM *param = t->SSL_get0_param(c->ssl);
	bool literal = c->u->ipv6 || inet_pton(AF_INET, c->u->host, &(struct in_addr){0}) == 1;
	if (literal)
		r = t->X509_VERIFY_PARAM_set1_ip_asc(param, c->u->host);
	else {
		t->X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		r = t->X509_VERIFY_PARAM_set1_host(param, c->u->host, 0);
		/* Server Name Indication, for names only (RFC 6066). */
		if (r == 1)
			r = (int)t->SSL_ctrl(c->ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME,
					     TLSEXT_NAMETYPE_host_name, (void *)c->u->host);
	}
	if (r != 1)
		return conn_fail(c, -EINVAL, "cannot check the certificate against %s", c->u->host);
	SSL_SESSION *sess = c->session_path ? tls_session_load(c) : NULL;
	if (sess) {
		time_t born = (time_t)t->SSL_SESSION_get_time(sess);
		c->session_fresh = born + (time_t)t->SSL_SESSION_get_timeout(sess) / 2 > time(NULL);
		r = t->SSL_set_session(c->ssl, sess);
		t->SSL_SESSION_free(sess);
		if (r != 1)
			t->ERR_clear_error();
	}
	for (;;) {
		errno = 0;
		r = t->SSL_connect(c->ssl);
		if (r == 1)
			break;
		if (c->ca_failed) {
			t->ERR_clear_error();
			return tls_ca_error(c);
		}
		long v = t->SSL_get_verify_result(c->ssl);
		if (v != X509_V_OK) {
			t->ERR_clear_error();
			return conn_fail(c, -EKEYREJECTED, "SSL certificate problem: %s",
					 t->X509_verify_cert_error_string(v));
		}
		r = tls_wait(c, r, "in the TLS handshake");
		if (r < 0)
			return r;
	}
	if (t->SSL_session_reused(c->ssl))
		log_debug("TLS session with %s resumed", c->where);
	return 0;
}

static void conn_close(Conn *c)
{
	if (c->ssl)
		c->tls->SSL_free(c->ssl);
	if (c->ctx)
		c->tls->SSL_CTX_free(c->ctx);
	c->ssl = NULL;
	c->ctx = NULL;
	free(c->session_path);
	c->session_path = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -EBADF;
}

static bool has_header(const char *const *headers, const char *name)
{
	return http_headers_name(headers, name, strlen(name));
}

/*
 * The request as libcurl would send it: its default headers unless the
 * caller gives its own, "Name:" (nothing after the colon) drops a header,
 * "Name;" sends it empty.
 */
static int build_request(const HttpRequest *req, const HttpUrl *u, StrBuf *b)
{
	const char *method = req->method ? req->method : "GET";
	const char *const *hs = req->headers;
	int r;

	if (u->path_len == 0 || u->path[0] != '/')
		r = strbuf_printf(b, "%s /%.*s HTTP/1.1\r\n", method, (int)u->path_len, u->path);
	else
		r = strbuf_printf(b, "%s %.*s HTTP/1.1\r\n", method, (int)u->path_len, u->path);
	if (r < 0)
		return r;
	if (!has_header(hs, "Host")) {
		const char *ob = u->ipv6 ? "[" : "", *cb = u->ipv6 ? "]" : "";
		if (u->explicit_port && u->port != (u->https ? 443 : 80))
			r = strbuf_printf(b, "Host: %s%s%s:%u\r\n", ob, u->host, cb, u->port);
		else
			r = strbuf_printf(b, "Host: %s%s%s\r\n", ob, u->host, cb);
		if (r < 0)
			return r;
	}
	if (!has_header(hs, "Accept") && (r = strbuf_puts(b, "Accept: */*\r\n")) < 0)
		return r;
	for (const char *const *h = hs; h && *h; h++) {
		const char *colon = strchr(*h, ':'), *semi = strchr(*h, ';');
		if (colon && (!semi || colon < semi)) {
			const char *v = colon + 1 + strspn(colon + 1, " \t");
			if (*v == '\0')
				continue;
			r = strbuf_printf(b, "%s\r\n", *h);
		} else if (semi && semi[1 + strspn(semi + 1, " \t")] == '\0')
			r = strbuf_printf(b, "%.*s:\r\n", (int)(semi - *h), *h);
		else
			continue; /* neither a header nor a removal: libcurl ignores it too */
		if (r < 0)
			return r;
	}
	if (req->body) {
		if (!has_header(hs, "Content-Length") &&
		    (r = strbuf_printf(b, "Content-Length: %zu\r\n", req->body_len)) < 0)
			return r;
		if (!has_header(hs, "Content-Type") &&
		    (r = strbuf_puts(b, "Content-Type: application/x-www-form-urlencoded\r\n")) < 0)
			return r;
	}
	if ((r = strbuf_puts(b, "Connection: close\r\n\r\n")) < 0)
		return r;
	if (req->body && req->body_len > 0)
		return strbuf_append(b, req->body, req->body_len);
	return 0;
}

static int send_all(Conn *c, const char *data, size_t len)
{
	int fd = c->fd;
	while (len > 0) {
		if (c->ssl) {
			errno = 0;
			int n = c->tls->SSL_write(c->ssl, data, (int)MIN(len, (size_t)INT32_MAX));
			if (n <= 0) {
				int w = tls_wait(c, n, "sending the request");
				if (w < 0)
					return w;
				continue;
			}
			data += n;
			len -= (size_t)n;
			continue;
		}
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int w = wait_fd(fd, POLLOUT, c->deadline);
			if (w == 0)
				return conn_fail(c, -ETIMEDOUT,
						 "timed out after %" PRIu64
						 " ms sending the request",
						 (uint64_t)(c->timeout / USEC_PER_MSEC));
			if (w < 0)
				return conn_fail(c, w, "poll: %s", strerror(-w));
			continue;
		}
		if (n < 0)
			return conn_fail(c, -ECONNRESET, "sending the request failed: %s",
					 strerror(errno));
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Like recv(): bytes, 0 at the end of the stream, or -1 with errno (EAGAIN: wait). */
static ssize_t tls_recv(Conn *c, void *buf, size_t len)
{
	for (;;) {
		errno = 0;
		int n = c->tls->SSL_read(c->ssl, buf, (int)MIN(len, (size_t)INT32_MAX));
		if (n > 0)
			return n;
		int e = c->tls->SSL_get_error(c->ssl, n);
		/* The server's close_notify, or (SSL_OP_IGNORE_UNEXPECTED_EOF) a bare close. */
		if (e == SSL_ERROR_ZERO_RETURN)
			return 0;
		int w = tls_wait(c, n, "receiving the response");
		if (w < 0) {
			errno = -w;
			return -2; /* c->r->error is set */
		}
	}
}

static int receive(Conn *c, HttpParser *p)
{
	char buf[RECV_CHUNK];
	int fd = c->fd;

	for (;;) {
		ssize_t n = c->ssl ? tls_recv(c, buf, sizeof(buf)) : recv(fd, buf, sizeof(buf), 0);
		if (n == -2)
			return -errno;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int w = wait_fd(fd, POLLIN, c->deadline);
			if (w == 0)
				return conn_fail(
				    c, -ETIMEDOUT,
				    "timed out after %" PRIu64 " ms with %zu body bytes received",
				    (uint64_t)(c->timeout / USEC_PER_MSEC), p->body.len);
			if (w < 0)
				return conn_fail(c, w, "poll: %s", strerror(-w));
			continue;
		}
		if (n < 0)
			return conn_fail(c, -ECONNRESET, "receiving the response failed: %s",
					 strerror(errno));
		int r = n == 0 ? http_parser_eof(p) : http_parser_feed(p, buf, (size_t)n);
		if (r == -EFBIG && p->body_too_big)
			return conn_fail(c, r, "response larger than %zu bytes", p->max_body);
		if (r < 0)
			return conn_fail(c, r, "%s", p->error ? p->error : strerror(-r));
		if (r > 0)
			return 0;
	}
}

int http_plain_send(const HttpRequest *req, const HttpUrl *u, HttpResponse *r)
{
	usec_t cto = req->connect_timeout ? req->connect_timeout : DEFAULT_CONNECT_TIMEOUT;
	usec_t to = req->timeout ? req->timeout : DEFAULT_TIMEOUT;
	usec_t start = now_usec(CLOCK_MONOTONIC);
	Conn c = {.u = u, .r = r, .deadline = start + to, .timeout = MIN(cto, to), .fd = -EBADF};
	HttpParser p;
	StrBuf out = {0};
	int ret;

	*r = (HttpResponse){0};
	if (u->ipv6)
		snprintf(c.where, sizeof(c.where), "[%s]:%u", u->host, u->port);
	else
		snprintf(c.where, sizeof(c.where), "%s:%u", u->host, u->port);

	ret = build_request(req, u, &out);
	if (ret < 0) {
		strbuf_free(&out);
		return conn_fail(&c, ret, "%s", strerror(-ret));
	}
	ret = conn_open(&c, start + MIN(cto, to), &c.fd);
	if (ret >= 0 && u->https) {
		c.tls = ssl_dl();
		c.deadline = start + MIN(cto, to);
		ret = c.tls ? tls_handshake(&c)
			    : conn_fail(&c, -ENOPKG, "%s", strempty(ssl_dl_error()));
		c.deadline = start + to;
	}
	c.timeout = to;
	if (ret >= 0)
		ret = send_all(&c, out.data, out.len);
	strbuf_free(&out);
	if (ret < 0) {
		conn_close(&c);
		return ret;
	}

	bool head = req->method && streq(req->method, "HEAD");
	http_parser_init(&p, head,
			 req->max_response ? req->max_response : HTTP_DEFAULT_MAX_RESPONSE);
	ret = receive(&c, &p);
	conn_close(&c);
	if (ret >= 0)
		ret = http_response_fill(r, p.status, &p.body, &p.headers);
	http_parser_done(&p);
	if (ret < 0 && !r->error)
		conn_fail(&c, ret, "%s", strerror(-ret));
	return ret;
}
