/* SPDX-License-Identifier: MIT */
/* kill: send a signal (name or number, default TERM) to the container. */
#include <getopt.h>
#include <signal.h>

#include "container.h"
#include "verbs.h"

int verb_kill(const GlobalOptions *g, int argc, char **argv)
{
	static const struct option options[] = {
	    {"all", no_argument, NULL, 'a'},
	    {},
	};
	RunError e = {};
	bool all = false;
	int c, sig = SIGTERM;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+a", options, NULL)) >= 0) {
		if (c != 'a') {
			report_error("kill: unknown option");
			return EXIT_USAGE_ERROR;
		}
		all = true;
	}
	if (optind >= argc || optind + 2 < argc) {
		report_error("kill: usage: kill [--all] ID [SIGNAL]");
		return EXIT_USAGE_ERROR;
	}
	const char *id = argv[optind];
	if (optind + 1 < argc) {
		sig = signal_from_string(argv[optind + 1]);
		if (sig < 0) {
			report_error("kill: unknown signal \"%s\"", argv[optind + 1]);
			return EXIT_USAGE_ERROR;
		}
	}
	int r = container_kill(g->root, id, sig, all, &e);
	if (r < 0) {
		report_run_error(r, &e);
		return EXIT_FAILURE_RUNTIME;
	}
	return 0;
}
