/* SPDX-License-Identifier: MIT */
/* pause / resume: freeze or thaw every process of the container (cgroup v2). */
#include <getopt.h>

#include "container.h"
#include "verbs.h"

static int pause_or_resume(const GlobalOptions *g, int argc, char **argv, bool pause)
{
	const char *verb = pause ? "pause" : "resume";
	RunError e = {};

	optind = 0;
	if (getopt_long(argc, argv, "+", (const struct option[]){{}}, NULL) >= 0) {
		report_error("%s: unknown option", verb);
		return EXIT_USAGE_ERROR;
	}
	const char *id = single_id(verb, argc, argv);
	if (!id)
		return EXIT_USAGE_ERROR;
	int r = container_pause(g->root, id, pause, &e);
	if (r < 0) {
		report_run_error(r, &e);
		return EXIT_FAILURE_RUNTIME;
	}
	return 0;
}

int verb_pause(const GlobalOptions *g, int argc, char **argv)
{
	return pause_or_resume(g, argc, argv, true);
}

int verb_resume(const GlobalOptions *g, int argc, char **argv)
{
	return pause_or_resume(g, argc, argv, false);
}
