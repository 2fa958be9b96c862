/* SPDX-License-Identifier: MIT */
#include "gzip.h"

#include <errno.h>
#include <libdeflate.h>
#include <stdlib.h>

ssize_t gzip_into(struct libdeflate_compressor *c, const void *in, size_t len,
		  unsigned char **buf, size_t *cap)
{
	size_t bound = libdeflate_gzip_compress_bound(c, len);
	if (bound > *cap) {
		unsigned char *p = realloc(*buf, bound);
		if (!p)
			return -ENOMEM;
		*buf = p;
		*cap = bound;
	}
	size_t n = libdeflate_gzip_compress(c, in, len, *buf, *cap);
	return n > 0 ? (ssize_t)n : -ENOBUFS;
}
