/* SPDX-License-Identifier: MIT */
#include "http-request.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

/* RFC 9110 5.6.2: token characters. */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Field values: VCHAR, obs-text, SP, HTAB; no other control characters. */
static bool is_field_char(unsigned char c)
{
	return c >= 0x20 ? c != 0x7f : c == '\t';
}

static bool eq_nocase(const char *a, size_t alen, const char *lit)
{
	size_t n = strlen(lit);
	return alen == n && strncasecmp(a, lit, n) == 0;
}

/*
 * The end of the line starting at p: sets *next past its LF and returns the
 * length without CR LF. -1 when no LF before end, -2 for a CR not before LF.
 */
static ssize_t take_line(const char *p, const char *end, const char **next)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));
	if (!lf)
		return -1;
	const char *le = lf > p && lf[-1] == '\r' ? lf - 1 : lf;
	if (memchr(p, '\r', (size_t)(le - p)))
		return -2;
	*next = lf + 1;
	return le - p;
}

/* Where the head ends (after its empty line), or NULL when it does not within [p, end). */
static const char *find_head_end(const char *p, const char *end)
{
	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		if (!lf)
			return NULL;
		const char *next = lf + 1;
		if (next < end && *next == '\n')
			return next + 1;
		if (next + 1 < end && next[0] == '\r' && next[1] == '\n')
			return next + 2;
		p = next;
	}
	return NULL;
}

/*
 * The next non-empty element of a comma-separated list value in [*p, end),
 * trimmed of whitespace. false when there is none left.
 */
static bool list_next(const char **p, const char *end, const char **e, size_t *elen)
{
	while (*p < end) {
		const char *c = memchr(*p, ',', (size_t)(end - *p));
		const char *ee = c ? c : end, *s = *p;
		*p = c ? c + 1 : end;
		while (s < ee && is_ows(*s))
			s++;
		while (ee > s && is_ows(ee[-1]))
			ee--;
		if (ee > s) {
			*e = s;
			*elen = (size_t)(ee - s);
			return true;
		}
	}
	return false;
}

/* Is the q parameter of a list element ("gzip;q=0.5") zero? Absent means 1. */
static bool q_is_zero(const char *params, const char *end)
{
	for (const char *p = params; p < end;) {
		while (p < end && (*p == ';' || is_ows(*p)))
			p++;
		if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			p += 2;
			if (p == end || *p != '0')
				return false; /* "1", "1.0", or junk: treat as acceptable */
			p++;
			if (p < end && *p == '.')
				p++;
			while (p < end && *p == '0')
				p++;
			return p == end || *p == ';' || is_ows(*p);
		}
		while (p < end && *p != ';')
			p++;
	}
	return false;
}

bool http_accepts_gzip(const char *v, size_t len)
{
	int gzip = -1, star = -1; /* -1 absent, 0 refused, 1 accepted */

	const char *e;
	size_t elen;
	for (const char *p = v; list_next(&p, v + len, &e, &elen);) {
		const char *semi = memchr(e, ';', elen);
		const char *ce = semi ? semi : e + elen;
		while (ce > e && is_ows(ce[-1]))
			ce--;
		bool ok = !q_is_zero(semi ? semi : e + elen, e + elen);
		size_t cl = (size_t)(ce - e);
		if (eq_nocase(e, cl, "gzip") || eq_nocase(e, cl, "x-gzip"))
			gzip = gzip == 1 || ok;
		else if (eq_nocase(e, cl, "*"))
			star = star == 1 || ok;
	}
	return gzip >= 0 ? gzip == 1 : star == 1;
}

static int parse_request_line(const char *p, size_t n, HttpRequest *req)
{
	const char *end = p + n, *sp1, *sp2;

	sp1 = memchr(p, ' ', n);
	if (!sp1 || sp1 == p)
		return -EBADMSG;
	for (const char *x = p; x < sp1; x++)
		if (!is_tchar((unsigned char)*x))
			return -EBADMSG;
	size_t mlen = (size_t)(sp1 - p);
	if (mlen == 3 && memcmp(p, "GET", 3) == 0)
		req->method = HTTP_METHOD_GET;
	else if (mlen == 4 && memcmp(p, "HEAD", 4) == 0)
		req->method = HTTP_METHOD_HEAD;
	else
		req->method = HTTP_METHOD_OTHER;

	const char *t = sp1 + 1;
	sp2 = memchr(t, ' ', (size_t)(end - t));
	if (!sp2 || sp2 == t)
		return -EBADMSG;
	for (const char *x = t; x < sp2; x++)
		if ((unsigned char)*x <= 0x20 || (unsigned char)*x >= 0x7f)
			return -EBADMSG;

	const char *v = sp2 + 1;
	if (end - v != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' ||
	    v[7] < '0' || v[7] > '9')
		return -EBADMSG;
	if (v[5] != '1')
		return -EPROTONOSUPPORT;
	req->minor = (unsigned)(v[7] - '0');
	req->keep_alive = req->minor >= 1;

	/* origin-form "/path?query", absolute-form "http://host/path", asterisk-form "*" */
	const char *ps = t, *pe = sp2;
	if (*t != '/' && *t != '*') {
		const char *colon = memchr(t, ':', (size_t)(sp2 - t));
		if (colon && sp2 - colon >= 3 && colon[1] == '/' && colon[2] == '/') {
			const char *slash = memchr(colon + 3, '/', (size_t)(sp2 - colon - 3));
			ps = slash ? slash : sp2;
		}
	}
	const char *q = memchr(ps, '?', (size_t)(pe - ps));
	if (q)
		pe = q;
	req->path = ps;
	req->path_len = (size_t)(pe - ps);
	return 0;
}

static int parse_content_length(const char *v, size_t n, HttpRequest *req, bool *seen)
{
	uint64_t cl = 0;

	if (n == 0)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EBADMSG;
		if (cl > (UINT64_MAX - 9) / 10)
			return -EBADMSG;
		cl = cl * 10 + (uint64_t)(v[i] - '0');
	}
	if (*seen && cl != req->content_length)
		return -EBADMSG;
	*seen = true;
	req->content_length = cl;
	return 0;
}

static int parse_field(const char *p, size_t n, HttpRequest *req, unsigned *n_host, bool *cl_seen,
		       bool *conn_close, bool *conn_keep)
{
	const char *end = p + n, *colon = memchr(p, ':', n);

	if (is_ows(*p))
		return -EBADMSG; /* obs-fold: rejected, as RFC 9112 5.2 allows */
	if (!colon || colon == p)
		return -EBADMSG;
	for (const char *x = p; x < colon; x++)
		if (!is_tchar((unsigned char)*x))
			return -EBADMSG; /* includes whitespace before the colon */
	for (const char *x = colon + 1; x < end; x++)
		if (!is_field_char((unsigned char)*x))
			return -EBADMSG;

	size_t nl = (size_t)(colon - p);
	const char *v = colon + 1, *ve = end;
	while (v < ve && is_ows(*v))
		v++;
	while (ve > v && is_ows(ve[-1]))
		ve--;
	size_t vl = (size_t)(ve - v);

	if (eq_nocase(p, nl, "Host")) {
		(*n_host)++;
	} else if (eq_nocase(p, nl, "Connection")) {
		const char *e;
		size_t elen;
		for (const char *lp = v; list_next(&lp, ve, &e, &elen);) {
			if (eq_nocase(e, elen, "close"))
				*conn_close = true;
			else if (eq_nocase(e, elen, "keep-alive"))
				*conn_keep = true;
		}
	} else if (eq_nocase(p, nl, "Accept")) {
		if (!req->accept) {
			req->accept = v;
			req->accept_len = vl;
		}
	} else if (eq_nocase(p, nl, "Accept-Encoding")) {
		if (http_accepts_gzip(v, vl))
			req->gzip = true;
	} else if (eq_nocase(p, nl, "Content-Length")) {
		return parse_content_length(v, vl, req, cl_seen);
	} else if (eq_nocase(p, nl, "Transfer-Encoding")) {
		req->body_unframed = true;
	}
	return 0;
}

int http_request_parse(const char *buf, size_t len, size_t max, HttpRequest *ret)
{
	HttpRequest req = {0};
	const char *p = buf, *lim = buf + (len < max ? len : max), *next;
	unsigned n_host = 0;
	bool cl_seen = false, conn_close = false, conn_keep = false;
	int r;

	/* RFC 9112 2.2: empty lines before the request line are ignored */
	while (p < lim && (*p == '\n' || (*p == '\r' && p + 1 < lim && p[1] == '\n')))
		p += *p == '\n' ? 1 : 2;

	/* a bad request line is rejected as soon as it is complete */
	ssize_t ll = take_line(p, lim, &next);
	if (ll == -2)
		return -EBADMSG;
	if (ll == -1)
		return len >= max ? -EMSGSIZE : 0;
	r = parse_request_line(p, (size_t)ll, &req);
	if (r < 0)
		return r;

	const char *head_end = find_head_end(p, lim);
	if (!head_end)
		return len >= max ? -EMSGSIZE : 0;

	for (p = next;;) {
		ll = take_line(p, head_end, &next);
		if (ll < 0)
			return -EBADMSG;
		if (ll == 0)
			break;
		r = parse_field(p, (size_t)ll, &req, &n_host, &cl_seen, &conn_close, &conn_keep);
		if (r < 0)
			return r;
		p = next;
	}

	if (req.minor >= 1 && n_host != 1)
		return -EBADMSG; /* RFC 9112 3.2: exactly one Host */
	if (n_host > 1)
		return -EBADMSG;
	if (conn_close)
		req.keep_alive = false;
	else if (conn_keep && req.minor == 0)
		req.keep_alive = true;
	req.has_body = req.body_unframed || req.content_length > 0;
	if (req.body_unframed)
		req.content_length = 0;
	req.head_len = (size_t)(head_end - buf);
	*ret = req;
	return (int)req.head_len;
}
