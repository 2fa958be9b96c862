/* SPDX-License-Identifier: MIT */
/*
 * run: create, start, and unless --detach wait for the container's
 * process, forwarding signals to it, then delete it and exit with its
 * status.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "container.h"
#include "verbs.h"

static volatile pid_t forward_to;

static void forward(int sig)
{
	if (forward_to > 0)
		kill(forward_to, sig);
}

int verb_run(const GlobalOptions *g, int argc, char **argv)
{
	static const int forwarded[] = {SIGHUP,	 SIGINT,  SIGQUIT, SIGTERM,
					SIGUSR1, SIGUSR2, SIGWINCH};
	CreateArgs a;
	RunError e = {};
	pid_t pid;
	int r;

	if (parse_create_args("run", argc, argv, true, &a) < 0)
		return EXIT_USAGE_ERROR;
	const char *id = single_id("run", argc, argv);
	if (!id)
		return EXIT_USAGE_ERROR;
	CreateOptions o = {.bundle = a.bundle, .pid_file = a.pid_file};
	r = container_create(g->root, id, &o, &pid, &e);
	if (r < 0) {
		report_run_error(r, &e);
		return EXIT_FAILURE_RUNTIME;
	}

	forward_to = pid;
	struct sigaction sa = {.sa_handler = forward, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	if (!a.detach)
		for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
			sigaction(forwarded[i], &sa, NULL);

	r = container_start(g->root, id, &e);
	if (r < 0) {
		report_run_error(r, &e);
		RunError e2 = {};
		(void)container_delete(g->root, id, true, &e2);
		return EXIT_FAILURE_RUNTIME;
	}
	if (a.detach)
		return 0;

	int status = container_wait(pid);
	if (!a.keep) {
		r = container_delete(g->root, id, true, &e);
		if (r < 0)
			report_run_error(r, &e);
	}
	return status;
}
