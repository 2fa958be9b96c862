/* SPDX-License-Identifier: MIT */
/* Host name: validation, setting it, and telling DHCP (azure-init #68). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "macros.h"
#include "steps.h"
#include "strutil.h"
#include "time-util.h"

#define HOSTNAME_MAX 64
#define PUBLISH_TIMEOUT (10 * USEC_PER_SEC)

bool hostname_is_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0, label = 0;

	if (n == 0 || n > HOSTNAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (c == '.') {
			if (label == 0 || name[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		bool alnum =
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && !(c == '-' && label > 0))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && name[n - 1] != '-';
}

int hostname_apply(const char *name, const char *etc_hostname, char *err, size_t errlen)
{
	char line[HOSTNAME_MAX + 2];
	int r;

	if (!hostname_is_valid(name)) {
		snprintf(err, errlen, "not a valid host name");
		return -EINVAL;
	}
	if (sethostname(name, strlen(name)) < 0) {
		snprintf(err, errlen, "sethostname: %m");
		return -errno;
	}
	snprintf(line, sizeof(line), "%s\n", name);
	r = write_file_atomic(etc_hostname, line, strlen(line), 0644);
	if (r < 0) {
		snprintf(err, errlen, "cannot write %s: %s", etc_hostname, strerror(-r));
		return r;
	}
	return 0;
}

/* Interfaces systemd-networkd manages, from its per-link state files. */
static int networkd_links(char ***ret)
{
	/* LAZULI_NETIF_DIR lets tests stand in for /run/systemd/netif/links. */
	const char *dir = getenv("LAZULI_NETIF_DIR");
	DIR *d = opendir(dir ? dir : "/run/systemd/netif/links");
	char **l = NULL;
	struct dirent *de;
	int r = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		unsigned long long idx;
		char name[IF_NAMESIZE];
		if (safe_atou64(de->d_name, &idx) < 0 || idx == 0 || idx > 0xffffffffULL)
			continue;
		if (!if_indextoname((unsigned)idx, name) || streq(name, "lo"))
			continue;
		r = strv_extend(&l, name);
		if (r < 0)
			break;
	}
	closedir(d);
	if (r < 0) {
		strv_free(l);
		return r;
	}
	*ret = l;
	return (int)strv_length(l);
}

int hostname_publish_start(const char *networkctl, HostnamePublish *p, char *err, size_t errlen)
{
	_cleanup_strv_free_ char **links = NULL;
	char path[256];
	const char *exe = networkctl;
	int r;

	*p = (HostnamePublish){.pid = -1};
	r = networkd_links(&links);
	if (r <= 0)
		return r;
	if (!strchr(networkctl, '/')) {
		static const char *const dirs[] = {"/usr/bin", "/bin", "/usr/sbin", "/sbin"};
		exe = NULL;
		for (size_t i = 0; i < ELEMENTSOF(dirs) && !exe; i++) {
			snprintf(path, sizeof(path), "%s/%s", dirs[i], networkctl);
			if (access(path, X_OK) == 0)
				exe = path;
		}
		if (!exe) {
			snprintf(err, errlen, "%s not found", networkctl);
			return -ENOENT;
		}
	}

	/* "reconfigure" restarts the DHCP client, whose request then carries the new name. */
	size_t n = strv_length(links);
	char **argv = calloc(n + 3, sizeof(char *));
	if (!argv)
		return -ENOMEM;
	argv[0] = (char *)exe;
	argv[1] = "reconfigure";
	for (size_t i = 0; i < n; i++)
		argv[i + 2] = links[i];

	snprintf(p->exe, sizeof(p->exe), "%s", exe);
	pid_t pid = fork();
	if (pid < 0) {
		free(argv);
		return -errno;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 ||
		    dup2(devnull, STDOUT_FILENO) < 0)
			_exit(127);
		char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
		execve(exe, argv, envp);
		_exit(127);
	}
	free(argv);
	p->pid = pid;
	p->links = n;
	p->deadline = now_usec(CLOCK_MONOTONIC) + PUBLISH_TIMEOUT;
	return (int)n;
}

int hostname_publish_wait(HostnamePublish *p, char *err, size_t errlen)
{
	int status;

	if (p->pid <= 0)
		return 0;
	for (;;) {
		pid_t w = waitpid(p->pid, &status, WNOHANG);
		if (w == p->pid)
			break;
		if (w < 0 && errno != EINTR) {
			p->pid = -1;
			return -errno;
		}
		if (now_usec(CLOCK_MONOTONIC) > p->deadline) {
			kill(p->pid, SIGKILL);
			(void)waitpid(p->pid, &status, 0);
			p->pid = -1;
			snprintf(err, errlen, "%s reconfigure did not finish in 10 s", p->exe);
			return -ETIMEDOUT;
		}
		sleep_usec(20 * USEC_PER_MSEC);
	}
	p->pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "%s reconfigure failed (status %d)", p->exe,
			 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		return -EIO;
	}
	log_info("Asked systemd-networkd to renew the DHCP lease of %zu link(s) with the new name",
		 p->links);
	return (int)p->links;
}

int hostname_publish(const char *networkctl, char *err, size_t errlen)
{
	HostnamePublish p;
	int r = hostname_publish_start(networkctl, &p, err, errlen);
	if (r <= 0)
		return r;
	return hostname_publish_wait(&p, err, errlen);
}
