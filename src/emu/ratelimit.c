/* SPDX-License-Identifier: MIT */
#include "ratelimit.h"

void ratelimit_init(RateLimiter *rl, double rate)
{
	*rl = (RateLimiter){.rate = rate};
}

static double capacity(const RateLimiter *rl)
{
	return rl->rate > 1 ? rl->rate : 1;
}

bool ratelimit_take(RateLimiter *rl, usec_t now)
{
	if (rl->rate <= 0)
		return true;
	if (!rl->started) {
		rl->started = true;
		rl->tokens = capacity(rl);
		rl->last = now;
	} else if (now > rl->last) {
		rl->tokens += (double)(now - rl->last) * rl->rate / (double)USEC_PER_SEC;
		if (rl->tokens > capacity(rl))
			rl->tokens = capacity(rl);
		rl->last = now;
	}
	if (rl->tokens < 1)
		return false;
	rl->tokens -= 1;
	return true;
}
