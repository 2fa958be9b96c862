/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdarg.h>
#include <syslog.h>

#include "macros.h"

/*
 * Logging to stderr (and optionally a file). Levels are syslog's. The
 * *_errno variants take a negative or positive errno, make "%m" print it
 * and return it negated, so that `return log_error_errno(r, "...: %m", x);`
 * works in one line.
 */

void log_set_max_level(int level);
int log_get_max_level(void);
/* Prefix every line with this program name ("lazuli-init: ..."). */
void log_set_ident(const char *ident);
/* Also append lines to this already-open fd (not closed by log). -1 turns it off. */
void log_set_extra_fd(int fd);
/* With 1, every line carries "<N>" kernel-style priority prefix (for journald/console). */
void log_set_prefix_priority(int on);

int log_internal(int level, int error, const char *file, int line, const char *func,
		 const char *format, ...) _printf_(6, 7);

#define log_full_errno(level, error, ...)                                                          \
	({                                                                                         \
		int _level_ = (level), _e_ = (error);                                              \
		_level_ <= log_get_max_level()                                                     \
		    ? log_internal(_level_, _e_, __FILE__, __LINE__, __func__, __VA_ARGS__)        \
		    : -((_e_) < 0 ? -(_e_) : (_e_));                                               \
	})

#define log_full(level, ...) (void)log_full_errno((level), 0, __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(error, ...) log_full_errno(LOG_DEBUG, error, __VA_ARGS__)
#define log_info_errno(error, ...) log_full_errno(LOG_INFO, error, __VA_ARGS__)
#define log_notice_errno(error, ...) log_full_errno(LOG_NOTICE, error, __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, error, __VA_ARGS__)
#define log_error_errno(error, ...) log_full_errno(LOG_ERR, error, __VA_ARGS__)

/* Parse "debug", "info", ... or a number 0..7. Returns level or -EINVAL. */
int log_level_from_string(const char *s);
