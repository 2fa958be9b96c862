/* SPDX-License-Identifier: MIT */
/* ps: the container's processes, as a table (PID and command) or a JSON array of pids. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "container.h"
#include "strutil.h"
#include "verbs.h"

static void print_cmdline(pid_t pid)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	int n = read_small_file(path, buf, sizeof(buf));
	for (int i = 0; i < n - 1; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	printf("%-10d %s\n", (int)pid, n > 0 ? buf : "");
}

int verb_ps(const GlobalOptions *g, int argc, char **argv)
{
	static const struct option options[] = {
	    {"format", required_argument, NULL, 'f'},
	    {},
	};
	const char *format = "table";
	_cleanup_free_ pid_t *pids = NULL;
	RunError e = {};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+f:", options, NULL)) >= 0) {
		if (c != 'f') {
			report_error("ps: unknown option");
			return EXIT_USAGE_ERROR;
		}
		format = optarg;
	}
	if (!streq(format, "table") && !streq(format, "json")) {
		report_error("ps: invalid format option \"%s\"", format);
		return EXIT_USAGE_ERROR;
	}
	const char *id = single_id("ps", argc, argv);
	if (!id)
		return EXIT_USAGE_ERROR;
	int r = container_pids(g->root, id, &pids, &e);
	if (r < 0) {
		report_run_error(r, &e);
		return EXIT_FAILURE_RUNTIME;
	}
	if (streq(format, "json")) {
		printf("[");
		for (size_t i = 0; pids[i] >= 0; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
		return 0;
	}
	printf("%-10s %s\n", "PID", "CMD");
	for (size_t i = 0; pids[i] >= 0; i++)
		print_cmdline(pids[i]);
	return 0;
}
