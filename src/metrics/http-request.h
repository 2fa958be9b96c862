/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The HTTP/1.x request head parser of the metrics endpoint: a pure function
 * over (buffer, length), so that the server, the unit tests and the fuzzer
 * feed it bytes the same way. It never looks past len and never copies: the
 * strings of an HttpRequest point into the caller's buffer.
 *
 * Only what the endpoint needs is kept (method, path, version, keep-alive,
 * Accept, Accept-Encoding, the body's framing); other header fields are
 * checked for syntax and skipped.
 */

/* A request line and header fields larger than this get 431. */
#define HTTP_MAX_HEAD 8192

typedef enum HttpMethod {
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_OTHER, /* a valid token we do not serve: 405 */
} HttpMethod;

typedef struct HttpRequest {
	HttpMethod method;
	const char *path; /* the target's path, without query; "" for "*" or an empty path */
	size_t path_len;
	unsigned minor;	    /* HTTP/1.minor */
	bool keep_alive;    /* by version and Connection: */
	bool gzip;	    /* Accept-Encoding allows gzip */
	const char *accept; /* the Accept field's value, NULL when absent */
	size_t accept_len;
	bool has_body;	    /* Content-Length > 0 or Transfer-Encoding */
	bool body_unframed; /* Transfer-Encoding: the body's end is unknown to us */
	uint64_t content_length;
	size_t head_len; /* bytes of the head, empty line included */
} HttpRequest;

/*
 * Parse the head of the first request in buf[0..len).
 * Returns head_len (> 0) when complete, 0 when more bytes are needed
 * (never when len >= max), or:
 *   -EMSGSIZE   the head does not end within max bytes (431)
 *   -EBADMSG    malformed (400)
 *   -EPROTONOSUPPORT  not HTTP/1.x (505)
 */
int http_request_parse(const char *buf, size_t len, size_t max, HttpRequest *ret);

/* Does an Accept-Encoding value allow gzip (gzip, x-gzip or *, with q > 0)? */
bool http_accepts_gzip(const char *v, size_t len);
