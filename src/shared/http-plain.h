/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Internal to http.c: a small HTTP/1.1 client for http:// and https:// URLs
 * that go straight to the server (no proxy). Opening libcurl costs some
 * 12 ms of dynamic loading and relocation at every start, and 25 ms more
 * for its TLS; IMDS, the wireserver and lazuli-emu speak plain HTTP on an
 * address no proxy may see, and ARM needs only TLS from libssl, so most
 * requests do not need libcurl. Anything this code is not sure about is
 * left to libcurl.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "strutil.h"

/* What curl 7.88+ allows for a response's whole header section. */
#define HTTP_MAX_HEADER_BYTES (300u * 1024u)
#define HTTP_MAX_HEADER_LINES 200

typedef struct HttpUrl {
	bool https;
	bool ipv6; /* host is an IPv6 literal (brackets stripped) */
	char host[256];
	uint16_t port;	    /* the URL's, or the scheme's default */
	bool explicit_port; /* the URL named a port */
	const char *path;   /* path and query in the URL, without fragment; may be empty */
	size_t path_len;
} HttpUrl;

/*
 * Parse an http:// or https:// URL. Returns 0, -EINVAL when it is malformed,
 * or -EOPNOTSUPP for what is left to libcurl (other schemes, user info,
 * non-ASCII, IPv6 zones, unusual IPv4 forms such as "127.1").
 */
int http_url_parse(const char *url, HttpUrl *ret);

/*
 * Should this URL be sent by http_plain_send()? Only with
 * LAZULI_HTTP_BACKEND not "curl", and only URLs that no proxy applies to:
 * exempt hosts, or none of the scheme's proxy variables set (http_proxy,
 * HTTP_PROXY or https_proxy, HTTPS_PROXY; all_proxy, ALL_PROXY), or a
 * no_proxy/NO_PROXY entry matching the host as curl matches it; https://
 * also needs libssl. Fills *u. Returns 1 (yes), 0 (use libcurl), or
 * -EINVAL for a malformed URL.
 */
int http_plain_wanted(const char *url, HttpUrl *u);

/*
 * The CA bundle that replaces the system's for https://, from the
 * variables the Azure CLI (Python requests), curl and OpenSSL read:
 * REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE. NULL: the system's.
 */
const char *http_ca_bundle(void);

typedef enum HttpParserState {
	HTTP_PARSE_STATUS,
	HTTP_PARSE_HEADERS,
	HTTP_PARSE_BODY_LENGTH,
	HTTP_PARSE_BODY_CLOSE,
	HTTP_PARSE_CHUNK_SIZE,
	HTTP_PARSE_CHUNK_DATA,
	HTTP_PARSE_CHUNK_END,
	HTTP_PARSE_TRAILERS,
	HTTP_PARSE_DONE,
} HttpParserState;

/* An HTTP/1.x response, parsed as its bytes arrive in any pieces. */
typedef struct HttpParser {
	HttpParserState state;
	bool head;	 /* the request was HEAD: no body */
	size_t max_body; /* -EFBIG beyond */
	long status;
	char **headers; /* "name: value", name lower-cased, NULL-terminated */
	size_t n_headers;
	StrBuf line;	     /* a line not yet complete */
	size_t header_bytes; /* status lines, headers and trailers so far */
	bool got_bytes;
	bool has_length;
	uint64_t length;
	bool chunked;
	bool until_close;   /* a Transfer-Encoding other than chunked */
	uint64_t remaining; /* of the body or of this chunk */
	StrBuf body;
	bool body_too_big;
	const char *error; /* static text when feed() failed */
} HttpParser;

void http_parser_init(HttpParser *p, bool head, size_t max_body);
void http_parser_done(HttpParser *p);
/*
 * Feed the next bytes. Returns 1 when the response is complete (bytes after
 * it are ignored), 0 when more are needed, -EPROTO for what is not HTTP,
 * -EFBIG for a body over max_body or headers over HTTP_MAX_HEADER_BYTES,
 * -ENOMEM. p->error says why.
 */
int http_parser_feed(HttpParser *p, const void *data, size_t len);
/* The server closed: 1 if that ends the response, -ECONNRESET if it came too early. */
int http_parser_eof(HttpParser *p);

/*
 * An i2d_SSL_SESSION() encoding without its "[3] peer" field (the server's
 * certificate), re-encoded into out (*out_len: its size, then the length).
 * -EBADMSG for what is not a DER SEQUENCE of whole elements, or too long.
 */
int http_tls_session_strip_peer(const uint8_t *der, size_t len, uint8_t *out, size_t *out_len);

/* One request over a fresh connection; the contract of http_send(). */
int http_plain_send(const HttpRequest *req, const HttpUrl *u, HttpResponse *r);

/* In http.c: hand status, body and headers over to r (shared with the curl path). */
int http_response_fill(HttpResponse *r, long status, StrBuf *body, char ***headers);
