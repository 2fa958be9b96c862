/* SPDX-License-Identifier: MIT */
/* list: containers under --root, as runc's table, JSON array, or ids only. */
#include <getopt.h>
#include <json-c/json.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "strutil.h"
#include "verbs.h"

typedef struct Row {
	char *cells[6];
} Row;

static void print_table(Row *rows, size_t n)
{
	size_t w[6] = {};
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 6; k++)
			w[k] = MAX(w[k], strlen(rows[i].cells[k]));
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 5; k++)
			printf("%-*s", (int)MAX(w[k] + 3, 12), rows[i].cells[k]);
		printf("%s\n", rows[i].cells[5]);
	}
}

int verb_list(const GlobalOptions *g, int argc, char **argv)
{
	static const struct option options[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"quiet", no_argument, NULL, 'q'},
	    {},
	};
	_cleanup_strv_free_ char **ids = NULL;
	const char *format = "table";
	bool quiet = false;
	RunError e = {};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+f:q", options, NULL)) >= 0) {
		if (c == 'f')
			format = optarg;
		else if (c == 'q')
			quiet = true;
		else {
			report_error("list: unknown option");
			return EXIT_USAGE_ERROR;
		}
	}
	if (!streq(format, "table") && !streq(format, "json")) {
		report_error("list: invalid format option \"%s\"", format);
		return EXIT_USAGE_ERROR;
	}
	if (optind < argc) {
		report_error("list: unexpected argument \"%s\"", argv[optind]);
		return EXIT_USAGE_ERROR;
	}
	int r = container_list_ids(g->root, &ids, &e);
	if (r < 0) {
		report_run_error(r, &e);
		return EXIT_FAILURE_RUNTIME;
	}

	size_t n = strv_length(ids), m = 0;
	Row *rows = calloc(n + 1, sizeof(Row));
	json_object *arr = json_object_new_array();
	if (!rows || !arr) {
		free(rows);
		json_object_put(arr);
		return EXIT_FAILURE_RUNTIME;
	}
	rows[m++] = (Row){{strdup("ID"), strdup("PID"), strdup("STATUS"), strdup("BUNDLE"),
			   strdup("CREATED"), strdup("OWNER")}};
	for (size_t i = 0; i < n; i++) {
		_cleanup_state_ ContainerState *s = NULL;
		if (state_load(g->root, ids[i], &s, &e) < 0)
			continue; /* being created or deleted right now */
		ContainerStatus st = state_status(g->root, s);
		if (quiet) {
			puts(s->id);
			continue;
		}
		struct passwd *pw = getpwuid(s->owner);
		char owner[32], pid[16];
		snprintf(owner, sizeof(owner), "#%u", (unsigned)s->owner);
		snprintf(pid, sizeof(pid), "%d", st == STATUS_STOPPED ? 0 : (int)s->pid);
		rows[m++] = (Row){{strdup(s->id), strdup(pid), strdup(status_to_string(st)),
				   strdup(s->bundle), strdup(s->created),
				   strdup(pw ? pw->pw_name : owner)}};
		_cleanup_free_ char *j = state_to_oci_json(s, st, false);
		json_object *o = j ? json_tokener_parse(j) : NULL;
		if (o) {
			json_object_object_add(o, "owner",
					       json_object_new_string(pw ? pw->pw_name : owner));
			json_object_array_add(arr, o);
		}
	}
	if (!quiet) {
		if (streq(format, "json"))
			puts(json_object_to_json_string_ext(
			    arr, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		else
			print_table(rows, m);
	}
	for (size_t i = 0; i < m; i++)
		for (int k = 0; k < 6; k++)
			free(rows[i].cells[k]);
	free(rows);
	json_object_put(arr);
	return 0;
}
