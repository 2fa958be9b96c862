/* SPDX-License-Identifier: MIT */
/* Token bucket with a driven clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "ratelimit.h"

#define S USEC_PER_SEC

static int take_n(RateLimiter *rl, usec_t now, int n)
{
	int ok = 0;
	for (int i = 0; i < n; i++)
		ok += ratelimit_take(rl, now);
	return ok;
}

static void test_burst_then_refill(void **unused)
{
	RateLimiter rl;
	ratelimit_init(&rl, 5);

	/* A full second's worth at once, then nothing. */
	assert_int_equal(take_n(&rl, 10 * S, 8), 5);
	/* 200 ms later: one more token. */
	assert_int_equal(take_n(&rl, 10 * S + S / 5, 3), 1);
	/* 1 s later the bucket is full again, but never more than 5. */
	assert_int_equal(take_n(&rl, 20 * S, 10), 5);
	/* A clock that goes backwards adds nothing. */
	assert_int_equal(take_n(&rl, 19 * S, 2), 0);
}

static void test_steady_rate(void **unused)
{
	RateLimiter rl;
	ratelimit_init(&rl, 5);
	int ok = 0;

	/* 100 requests evenly over 10 s (10/s): the bucket starts full, then 5/s pass. */
	for (int i = 0; i < 100; i++)
		ok += ratelimit_take(&rl, S + (usec_t)i * S / 10);
	assert_in_range(ok, 5 + 49, 5 + 50);
}

static void test_fractional_and_disabled(void **unused)
{
	RateLimiter rl;

	ratelimit_init(&rl, 0.5); /* one request every two seconds, burst 1 */
	assert_int_equal(take_n(&rl, 0, 3), 1);
	assert_int_equal(take_n(&rl, S, 1), 0);
	assert_int_equal(take_n(&rl, 2 * S, 1), 1);

	ratelimit_init(&rl, 0); /* disabled */
	assert_int_equal(take_n(&rl, 0, 1000), 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_burst_then_refill),
	    cmocka_unit_test(test_steady_rate),
	    cmocka_unit_test(test_fractional_and_disabled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
