/* SPDX-License-Identifier: MIT */
/* Error output: "lazuli-run: MSG" on stderr, and a line per error in --log. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "strutil.h"
#include "verbs.h"

static int log_fd = -1;
static bool log_json;

int report_setup(const char *log_path, const char *format)
{
	if (format && !streq(format, "text") && !streq(format, "json"))
		return -EINVAL;
	log_json = format && streq(format, "json");
	if (log_path) {
		log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (log_fd < 0)
			return negative_errno();
	}
	return 0;
}

static void emit(const char *msg)
{
	char ts[48];
	fprintf(stderr, "lazuli-run: %s\n", msg);
	if (log_fd < 0)
		return;
	format_rfc3339_nano(ts, sizeof(ts));
	if (log_json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "level", json_object_new_string("error"));
		json_object_object_add(o, "msg", json_object_new_string(msg));
		json_object_object_add(o, "time", json_object_new_string(ts));
		dprintf(log_fd, "%s\n",
			json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		json_object *s = json_object_new_string(msg);
		dprintf(log_fd, "time=\"%s\" level=error msg=%s\n", ts,
			json_object_to_json_string_ext(s, JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(s);
	}
}

void report_error(const char *fmt, ...)
{
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emit(msg);
}

void report_warning(const RunError *e)
{
	char msg[sizeof(e->msg) + 16];
	snprintf(msg, sizeof(msg), "warning: %s", e->msg);
	emit(msg);
}

void report_run_error(int r, const RunError *e)
{
	if (e && e->msg[0])
		emit(e->msg);
	else
		report_error("%s", strerror(r < 0 ? -r : r));
}
