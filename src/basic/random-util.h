/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Fill buf from getrandom(); never fails (falls back to /dev/urandom, then aborts). */
void random_bytes(void *buf, size_t len);
/* Uniform in [0, n). n == 0 returns 0. */
uint64_t random_below(uint64_t n);
/* A random RFC 4122 version 4 UUID, lower case, 36 chars + NUL. */
void uuid4_string(char out[37]);
