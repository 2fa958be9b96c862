/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>
#include <time.h>

typedef uint64_t usec_t;
#define USEC_PER_SEC ((usec_t)1000000ULL)
#define USEC_PER_MSEC ((usec_t)1000ULL)
#define USEC_INFINITY ((usec_t)UINT64_MAX)

usec_t now_usec(clockid_t clock);
/* Sleep for usec, resuming after signals. */
void sleep_usec(usec_t usec);
/* RFC 3339 UTC with milliseconds: 2026-11-24T17:07:00.123Z (buf >= 32). */
char *format_rfc3339(char *buf, size_t len, usec_t realtime_usec);
