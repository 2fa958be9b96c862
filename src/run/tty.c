/* SPDX-License-Identifier: MIT */
/*
 * A container's terminal relayed to ours (run and exec in the foreground
 * without --console-socket): our stdin goes to the pty, the pty's output
 * to our stdout, until the process has exited and the pty is drained.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "fileio.h"
#include "verbs.h"

static void copy_window_size(int master)
{
	struct winsize ws;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(master, TIOCSWINSZ, &ws);
}

/* Returns false once the pty has nothing more to give (EOF or EIO: no slave left). */
static bool pump(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	return loop_write(to, buf, (size_t)n) >= 0;
}

void terminal_relay(int master, pid_t pid)
{
	struct termios saved, raw;
	bool restore = false;

	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		restore = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	copy_window_size(master);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p[3] = {
	    {.fd = master, .events = POLLIN},
	    {.fd = STDIN_FILENO, .events = POLLIN},
	    {.fd = pidfd, .events = POLLIN},
	};
	for (;;) {
		int n = poll(p, 3, -1);
		if (n < 0) {
			if (errno != EINTR)
				break;
			/* SIGWINCH, most likely: the pty follows our size. */
			copy_window_size(master);
			continue;
		}
		if (p[0].revents && !pump(master, STDOUT_FILENO))
			break;
		if (p[1].revents && !pump(STDIN_FILENO, master))
			p[1].fd = -1; /* our stdin is done; the process keeps running */
		if (p[2].revents) {
			/* Exited: what it wrote before is still in the pty. */
			(void)fcntl(master, F_SETFL, O_NONBLOCK);
			while (pump(master, STDOUT_FILENO)) {
				struct pollfd q = {.fd = master, .events = POLLIN};
				if (poll(&q, 1, 0) <= 0)
					break;
			}
			break;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	if (restore)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}
