/* SPDX-License-Identifier: MIT */
/*
 * run: create, start, and unless --detach wait for the container's
 * process, forwarding signals to it (and relaying its terminal), then
 * delete it and exit with its status.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "strutil.h"
#include "verbs.h"

static volatile pid_t forward_to;

static void forward(int sig)
{
	if (forward_to > 0)
		kill(forward_to, sig);
}

static void winch(int sig)
{
	/* The relay's poll returns EINTR and resizes the pty. */
}

int wait_foreground(pid_t pid, int pty)
{
	static const int forwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
	struct sigaction sa = {.sa_handler = forward, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);

	forward_to = pid;
	for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
		sigaction(forwarded[i], &sa, NULL);
	if (pty >= 0) {
		struct sigaction w = {.sa_handler = winch};
		sigemptyset(&w.sa_mask);
		sigaction(SIGWINCH, &w, NULL);
		terminal_relay(pty, pid);
		close(pty);
	} else
		sigaction(SIGWINCH, &sa, NULL);
	return container_wait(pid);
}

int verb_run(const GlobalOptions *g, int argc, char **argv)
{
	CreateArgs a;
	CreateOptions o;
	RunError e = {};
	pid_t pid;
	int pty = -EBADF;
	int r;

	r = parse_create_args("run", argc, argv, true, &a);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE_ERROR : 0;
	const char *id = single_id("run", argc, argv);
	if (!id)
		return EXIT_USAGE_ERROR;
	if (create_options(g, &a, &o) < 0)
		return EXIT_USAGE_ERROR;
	if (!a.detach && !a.console_socket)
		o.ret_terminal = &pty;
	r = container_create(g->root, id, &o, &pid, &e);
	strv_free(o.extra_env);
	if (r < 0) {
		report_run_error(r, &e);
		return EXIT_FAILURE_RUNTIME;
	}

	/* Signals that arrive between start and the wait reach the container too. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	if (!a.detach)
		sigprocmask(SIG_BLOCK, &block, &old);
	r = container_start(g->root, id, &e);
	if (r < 0) {
		report_run_error(r, &e);
		if (pty >= 0)
			close(pty);
		RunError e2 = {};
		(void)container_delete(g->root, id, true, &e2);
		return EXIT_FAILURE_RUNTIME;
	}
	if (r > 0)
		report_warning(&e);
	if (a.detach)
		return 0;

	forward_to = pid;
	int status;
	{
		struct sigaction sa = {.sa_handler = forward, .sa_flags = SA_RESTART};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		status = wait_foreground(pid, pty);
	}
	if (!a.keep) {
		r = container_delete(g->root, id, true, &e);
		if (r < 0)
			report_run_error(r, &e);
		else if (r > 0)
			report_warning(&e);
	}
	return status;
}
