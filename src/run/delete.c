/* SPDX-License-Identifier: MIT */
/* delete: remove a stopped container (--force: kill it first). */
#include <getopt.h>

#include "container.h"
#include "verbs.h"

int verb_delete(const GlobalOptions *g, int argc, char **argv)
{
	static const struct option options[] = {
	    {"force", no_argument, NULL, 'f'},
	    {},
	};
	RunError e = {};
	bool force = false;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+f", options, NULL)) >= 0) {
		if (c != 'f') {
			report_error("delete: unknown option");
			return EXIT_USAGE_ERROR;
		}
		force = true;
	}
	const char *id = single_id("delete", argc, argv);
	if (!id)
		return EXIT_USAGE_ERROR;
	int r = container_delete(g->root, id, force, &e);
	if (r > 0)
		report_warning(&e);
	if (r < 0) {
		report_run_error(r, &e);
		return EXIT_FAILURE_RUNTIME;
	}
	return 0;
}
