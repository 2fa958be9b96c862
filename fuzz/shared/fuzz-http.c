/* SPDX-License-Identifier: MIT */
/*
 * The built-in HTTP client's response parser and URL parser. Input: one
 * control byte (bit 0: the request was HEAD; bit 1: parse a URL instead;
 * bits 2-7: the size of the pieces the response is fed in), then the bytes
 * the server sent. Fed in pieces or all at once, a response must parse the
 * same way; the body never exceeds its cap, nor the headers theirs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http-plain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BODY 4096

static int parse(const uint8_t *d, size_t n, size_t step, bool head, HttpParser *p)
{
	int r = 0;

	http_parser_init(p, head, MAX_BODY);
	for (size_t off = 0; off < n && r == 0; off += step)
		r = http_parser_feed(p, d + off, n - off < step ? n - off : step);
	if (r == 0)
		r = http_parser_eof(p);
	if (p->body.len > MAX_BODY || p->header_bytes > HTTP_MAX_HEADER_BYTES ||
	    p->n_headers > HTTP_MAX_HEADER_LINES || (r < 0 && !p->error) || r == 0)
		__builtin_trap();
	return r;
}

static void fuzz_url(const uint8_t *d, size_t n)
{
	char *url = strndup((const char *)d, n);
	HttpUrl u;

	if (!url)
		return;
	if (http_url_parse(url, &u) == 0) {
		size_t len = strlen(url);
		if (u.port == 0 || strlen(u.host) == 0 || strlen(u.host) >= sizeof(u.host) ||
		    u.path < url || u.path + u.path_len > url + len ||
		    memchr(u.path, '#', u.path_len))
			__builtin_trap();
	}
	free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	HttpParser a, b;

	if (size == 0)
		return 0;
	if (data[0] & 2) {
		fuzz_url(data + 1, size - 1);
		return 0;
	}
	bool head = data[0] & 1;
	size_t step = (size_t)(data[0] >> 2) + 1;
	int ra = parse(data + 1, size - 1, step, head, &a);
	int rb = parse(data + 1, size - 1, size, head, &b);
	if (ra != rb)
		__builtin_trap();
	if (ra == 1 && (a.status != b.status || a.body.len != b.body.len ||
			(a.body.len && memcmp(a.body.data, b.body.data, a.body.len) != 0) ||
			a.n_headers != b.n_headers))
		__builtin_trap();
	for (size_t i = 0; ra == 1 && i < a.n_headers; i++)
		if (strcmp(a.headers[i], b.headers[i]) != 0)
			__builtin_trap();
	http_parser_done(&a);
	http_parser_done(&b);
	return 0;
}
