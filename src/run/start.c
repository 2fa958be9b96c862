/* SPDX-License-Identifier: MIT */
/* start: release a created container's process (it execs its program). */
#include <getopt.h>

#include "container.h"
#include "verbs.h"

int verb_start(const GlobalOptions *g, int argc, char **argv)
{
	RunError e = {};

	optind = 0;
	if (getopt_long(argc, argv, "+", (const struct option[]){{}}, NULL) >= 0) {
		report_error("start: unknown option");
		return EXIT_USAGE_ERROR;
	}
	const char *id = single_id("start", argc, argv);
	if (!id)
		return EXIT_USAGE_ERROR;
	int r = container_start(g->root, id, &e);
	if (r > 0)
		report_warning(&e);
	if (r < 0) {
		report_run_error(r, &e);
		return EXIT_FAILURE_RUNTIME;
	}
	return 0;
}
