/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "time-util.h"

/*
 * Token bucket: `rate` tokens per second, holding at most max(rate, 1)
 * (one second's worth). The caller passes the time, so tests can drive
 * the clock.
 */
typedef struct RateLimiter {
	double rate; /* <= 0: unlimited */
	double tokens;
	usec_t last;
	bool started;
} RateLimiter;

void ratelimit_init(RateLimiter *rl, double rate);
/* Take one token at time now; false if the bucket is empty. */
bool ratelimit_take(RateLimiter *rl, usec_t now);
