/* SPDX-License-Identifier: MIT */
#include "time-util.h"

#include <errno.h>
#include <stdio.h>

usec_t now_usec(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) < 0)
		return 0;
	return (usec_t)ts.tv_sec * USEC_PER_SEC + (usec_t)ts.tv_nsec / 1000;
}

void sleep_usec(usec_t usec)
{
	struct timespec ts = {
	    .tv_sec = (time_t)(usec / USEC_PER_SEC),
	    .tv_nsec = (long)(usec % USEC_PER_SEC) * 1000,
	};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

char *format_rfc3339(char *buf, size_t len, usec_t t)
{
	time_t sec = (time_t)(t / USEC_PER_SEC);
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)((t % USEC_PER_SEC) / 1000));
	return buf;
}
