/* SPDX-License-Identifier: MIT */
/*
 * The HTTP request head parser on arbitrary bytes, as a connection buffers
 * them: the whole input, then pipelined requests one after another, with a
 * small limit as well as the real one. Checks that every result stays
 * within the bytes given and that a prefix of a complete head never parses
 * as a different complete head.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http-request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *buf, size_t len, size_t max, int r, const HttpRequest *req)
{
	if (r == 0 && len >= max)
		__builtin_trap(); /* a full buffer must be decided */
	if (r < 0 && r != -EBADMSG && r != -EMSGSIZE && r != -EPROTONOSUPPORT)
		__builtin_trap();
	if (r <= 0)
		return;
	if ((size_t)r != req->head_len || req->head_len > len || req->head_len > max)
		__builtin_trap();
	if (req->path < buf || req->path + req->path_len > buf + req->head_len)
		__builtin_trap();
	if (req->accept &&
	    (req->accept < buf || req->accept + req->accept_len > buf + req->head_len))
		__builtin_trap();
	if (req->method > HTTP_METHOD_OTHER || req->minor > 9)
		__builtin_trap();
	if (req->body_unframed && (!req->has_body || req->content_length != 0))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan sees any read past the end */
	char *buf = malloc(size ? size : 1);
	HttpRequest req;
	static const size_t limits[] = {HTTP_MAX_HEAD, 64};

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++) {
		size_t max = limits[l], off = 0;
		for (unsigned n = 0; n < 64 && off <= size; n++) {
			int r = http_request_parse(buf + off, size - off, max, &req);
			check(buf + off, size - off, max, r, &req);
			if (r <= 0)
				break;
			/* the same head, cut one byte short, is incomplete or an error */
			HttpRequest short_req;
			int s = http_request_parse(buf + off, (size_t)r - 1, max, &short_req);
			if (s > 0)
				__builtin_trap();
			off += (size_t)r;
		}
	}
	free(buf);
	return 0;
}
