/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int max_level = LOG_INFO;
static const char *ident;
static int extra_fd = -1;
static int prefix_priority;

void log_set_max_level(int level)
{
	max_level = level;
}

int log_get_max_level(void)
{
	return max_level;
}

void log_set_ident(const char *s)
{
	ident = s;
}

void log_set_extra_fd(int fd)
{
	extra_fd = fd;
}

void log_set_prefix_priority(int on)
{
	prefix_priority = on;
}

int log_internal(int level, int error, _unused_ const char *file, _unused_ int line,
		 _unused_ const char *func, const char *format, ...)
{
	char msg[4096];
	char out[4200];
	va_list ap;
	int saved = errno;

	if (error < 0)
		error = -error;
	/* So that "%m" in format prints the passed error rather than errno. */
	errno = error;
	va_start(ap, format);
	vsnprintf(msg, sizeof(msg), format, ap);
	va_end(ap);

	int n;
	if (prefix_priority)
		n = snprintf(out, sizeof(out), "<%d>%s%s%s\n", level, ident ? ident : "",
			     ident ? ": " : "", msg);
	else
		n = snprintf(out, sizeof(out), "%s%s%s\n", ident ? ident : "", ident ? ": " : "",
			     msg);
	if (n > (int)sizeof(out) - 1)
		n = (int)sizeof(out) - 1;
	if (n > 0) {
		ssize_t w = write(STDERR_FILENO, out, (size_t)n);
		if (extra_fd >= 0)
			w = write(extra_fd, out, (size_t)n);
		(void)w;
	}
	errno = saved;
	return -error;
}

int log_level_from_string(const char *s)
{
	static const char *const names[] = {"emerg",   "alert",	 "crit", "err",
					    "warning", "notice", "info", "debug"};
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (strcasecmp(s, names[i]) == 0)
			return (int)i;
	if (strcasecmp(s, "error") == 0)
		return LOG_ERR;
	if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
		return s[0] - '0';
	return -EINVAL;
}
