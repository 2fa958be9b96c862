/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <sys/types.h>

struct libdeflate_compressor;

/*
 * One gzip member of in[0..len) in *buf, which is grown (realloc) to
 * libdeflate's bound when *cap is smaller, so that a caller can keep the
 * buffer from one compression to the next. Returns the compressed length,
 * -ENOMEM, or -ENOBUFS if libdeflate found the bound too small.
 */
ssize_t gzip_into(struct libdeflate_compressor *c, const void *in, size_t len,
		  unsigned char **buf, size_t *cap);
