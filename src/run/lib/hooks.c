/* SPDX-License-Identifier: MIT */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "strutil.h"

_noreturn_ static void hook_child(const RunHook *h, int in, int err_pipe)
{
	char *argv_default[] = {h->path, NULL};
	sigset_t none;

	/* Its own group, so that a timeout kills what it started as well. */
	(void)setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(in, STDIN_FILENO) < 0)
		_exit(127);
	/* Nothing of ours but stdio (and the exec error pipe, close-on-exec). */
	if (err_pipe != 3 && dup3(err_pipe, 3, O_CLOEXEC) < 0)
		_exit(127);
	(void)syscall(SYS_close_range, 4, ~0U, 0);
	execve(h->path, h->args ? h->args : argv_default, h->env ? h->env : (char *[]){NULL});
	int err = errno;
	(void)!write(3, &err, sizeof(err));
	_exit(127);
}

static int run_one(const RunHook *h, const char *field, const char *state_json, RunError *e)
{
	int in[2], ep[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0)
		return run_error(e, errno, "%s: socketpair: %m", field);
	if (pipe2(ep, O_CLOEXEC) < 0) {
		int r = run_error(e, errno, "%s: pipe: %m", field);
		close(in[0]);
		close(in[1]);
		return r;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int r = run_error(e, errno, "%s: fork: %m", field);
		close(in[0]);
		close(in[1]);
		close(ep[0]);
		close(ep[1]);
		return r;
	}
	if (pid == 0) {
		close(in[0]);
		close(ep[0]);
		hook_child(h, in[1], ep[1]);
	}
	(void)setpgid(pid, pid); /* also here: no race with the kill below */
	close(in[1]);
	close(ep[1]);

	/* The state goes in without blocking: a hook that does not read it must not hang us. */
	(void)fcntl(in[0], F_SETFL, O_NONBLOCK);
	(void)send(in[0], state_json, strlen(state_json), MSG_NOSIGNAL);
	(void)shutdown(in[0], SHUT_WR);

	int r = 0, err = 0;
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd >= 0) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		int n;
		do
			n = poll(&p, 1, h->timeout > 0 ? h->timeout * 1000 : -1);
		while (n < 0 && errno == EINTR);
		if (n == 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			r = run_error(e, -ETIMEDOUT, "%s: %s: timed out after %d s", field, h->path,
				      h->timeout);
		}
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r == 0 && read(ep[0], &err, sizeof(err)) == (ssize_t)sizeof(err))
		r = run_error(e, err, "%s: cannot execute %s: %m", field, h->path);
	else if (r == 0 && WIFEXITED(status) && WEXITSTATUS(status) != 0)
		r = run_error(e, -EIO, "%s: %s exited with status %d", field, h->path,
			      WEXITSTATUS(status));
	else if (r == 0 && WIFSIGNALED(status))
		r = run_error(e, -EIO, "%s: %s was killed by signal %d", field, h->path,
			      WTERMSIG(status));
	close(in[0]);
	close(ep[0]);
	return r;
}

int hooks_run(const RunConfig *cfg, HookKind kind, const char *state_json, RunError *e)
{
	for (size_t i = 0; i < cfg->n_hooks[kind]; i++) {
		char field[64];
		snprintf(field, sizeof(field), "hooks.%s[%zu]", hook_kind_name(kind), i);
		int r = run_one(&cfg->hooks[kind][i], field, state_json, e);
		if (r < 0)
			return r;
	}
	return 0;
}
