/* SPDX-License-Identifier: MIT */
/* state: the OCI state of one container, as JSON on stdout. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "container.h"
#include "verbs.h"

int verb_state(const GlobalOptions *g, int argc, char **argv)
{
	_cleanup_state_ ContainerState *s = NULL;
	RunError e = {};

	optind = 0;
	if (getopt_long(argc, argv, "+", (const struct option[]){{}}, NULL) >= 0) {
		report_error("state: unknown option");
		return EXIT_USAGE_ERROR;
	}
	const char *id = single_id("state", argc, argv);
	if (!id)
		return EXIT_USAGE_ERROR;
	int r = state_load(g->root, id, &s, &e);
	if (r < 0) {
		report_run_error(r, &e);
		return EXIT_FAILURE_RUNTIME;
	}
	_cleanup_free_ char *json = state_to_oci_json(s, state_status(g->root, s), true);
	if (!json) {
		report_error("state: out of memory");
		return EXIT_FAILURE_RUNTIME;
	}
	puts(json);
	return 0;
}
