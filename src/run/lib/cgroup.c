/* SPDX-License-Identifier: MIT */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "strutil.h"
#include "time-util.h"

bool cgroup_is_v2(const char *dir)
{
	struct statfs sfs;
	return statfs(dir, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

/*
 * "No limit" needs no controller: podman asks for pids.limit 0 by default,
 * and a hierarchy without the pids controller already limits nothing.
 */
static bool memory_unlimited(const RunResources *res)
{
	return res->memory_limit < 0;
}
static bool pids_unlimited(const RunResources *res)
{
	return res->pids_limit <= 0;
}
static bool cpu_unlimited(const RunResources *res)
{
	return !res->has_cpu_period && (!res->has_cpu_quota || res->cpu_quota < 0);
}

bool cgroup_resources_requested(const RunResources *res)
{
	return (res->has_memory_limit && !memory_unlimited(res)) ||
	       (res->has_pids_limit && !pids_unlimited(res)) || !cpu_unlimited(res);
}

/* Normalise cgroupsPath (absolute or relative, both below the mount) to "a/b/c". */
static int cgroup_relative(const char *cgroups_path, const char *id, char **ret)
{
	const char *p = isempty(cgroups_path) ? id : cgroups_path;
	while (*p == '/')
		p++;
	if (*p == '\0')
		return -EINVAL;
	_cleanup_free_ char *s = strdup(p);
	if (!s)
		return -ENOMEM;
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	*ret = TAKE_PTR(s);
	return 0;
}

static bool controller_listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

/* Enable one controller in every ancestor between the mount and path. */
static int enable_controller(const char *mount, const char *rel, const char *controller,
			     const char *field, RunError *e)
{
	char buf[4096], dir[4096], val[64];
	int r;

	snprintf(dir, sizeof(dir), "%s/cgroup.controllers", mount);
	r = read_small_file(dir, buf, sizeof(buf));
	if (r < 0)
		return run_error(e, r, "%s: cannot read %s: %m", field, dir);
	if (!controller_listed(buf, controller))
		return run_error(e, -EOPNOTSUPP,
				 "%s: the %s controller is not available in the cgroup v2 "
				 "hierarchy at %s (it may be bound to a cgroup v1 hierarchy)",
				 field, controller, mount);

	snprintf(val, sizeof(val), "+%s", controller);
	snprintf(dir, sizeof(dir), "%s", mount);
	const char *p = rel;
	for (;;) {
		char sc[4200];
		snprintf(sc, sizeof(sc), "%s/cgroup.subtree_control", dir);
		if (read_small_file(sc, buf, sizeof(buf)) >= 0 &&
		    !controller_listed(buf, controller)) {
			r = write_file_at(AT_FDCWD, sc, val);
			if (r < 0)
				return run_error(e, r,
						 "%s: cannot enable the %s controller in %s: %m",
						 field, controller, sc);
		}
		const char *slash = strchr(p, '/');
		if (!slash)
			break;
		size_t dl = strlen(dir);
		snprintf(dir + dl, sizeof(dir) - dl, "/%.*s", (int)(slash - p), p);
		p = slash + 1;
	}
	return 0;
}

/*
 * Enable the controller, then write value into path/file. A request for no
 * limit (unlimited) is met without a controller that is not there.
 */
static int write_limit(const char *mount, const char *path, const char *controller,
		       const char *file, const char *value, bool unlimited, const char *field,
		       RunError *e)
{
	const char *rel = path + strlen(mount) + 1;
	int r = enable_controller(mount, rel, controller, field, e);
	if (r == -EOPNOTSUPP && unlimited)
		return 0;
	if (r < 0)
		return r;
	char f[4200];
	snprintf(f, sizeof(f), "%s/%s", path, file);
	r = write_file_at(AT_FDCWD, f, value);
	if (r < 0)
		return run_error(e, r, "%s: cannot write %s: %m", field, f);
	return 0;
}

int cgroup_apply(const char *mount, const char *path, const RunResources *res, RunError *e)
{
	char val[64];
	int r;

	if (res->has_memory_limit) {
		if (memory_unlimited(res))
			snprintf(val, sizeof(val), "max");
		else
			snprintf(val, sizeof(val), "%lld", (long long)res->memory_limit);
		r = write_limit(mount, path, "memory", "memory.max", val, memory_unlimited(res),
				"linux.resources.memory.limit", e);
		if (r < 0)
			return r;
	}
	if (res->has_pids_limit) {
		if (pids_unlimited(res))
			snprintf(val, sizeof(val), "max");
		else
			snprintf(val, sizeof(val), "%lld", (long long)res->pids_limit);
		r = write_limit(mount, path, "pids", "pids.max", val, pids_unlimited(res),
				"linux.resources.pids.limit", e);
		if (r < 0)
			return r;
	}
	if (res->has_cpu_quota || res->has_cpu_period) {
		unsigned long long period = res->has_cpu_period ? res->cpu_period : 100000;
		if (!res->has_cpu_quota || res->cpu_quota < 0)
			snprintf(val, sizeof(val), "max %llu", period);
		else
			snprintf(val, sizeof(val), "%lld %llu", (long long)res->cpu_quota, period);
		r = write_limit(mount, path, "cpu", "cpu.max", val, cpu_unlimited(res),
				"linux.resources.cpu", e);
		if (r < 0)
			return r;
	}
	return 0;
}

int cgroup_path(const char *mount, const char *cgroups_path, const char *id, char **ret,
		RunError *e)
{
	_cleanup_free_ char *rel = NULL;
	int r = cgroup_relative(cgroups_path, id, &rel);
	if (r < 0)
		return run_error(e, r, "linux.cgroupsPath: invalid path \"%s\"",
				 strempty(cgroups_path));
	if (asprintf(ret, "%s/%s", mount, rel) < 0)
		return -ENOMEM;
	return 0;
}

int cgroup_create(const char *mount, const char *path, const RunResources *res, RunError *e)
{
	_cleanup_free_ char *full = strdup(path);
	char *made[64];
	size_t n_made = 0;
	int r;

	if (!full)
		return -ENOMEM;

	/* mkdir -p, remembering what we made so that a failure removes it again. */
	for (char *p = full + strlen(mount) + 1;; p++) {
		p = strchr(p, '/');
		if (p)
			*p = '\0';
		if (mkdir(full, 0755) == 0) {
			if (n_made < ELEMENTSOF(made))
				made[n_made++] = strdup(full);
		} else if (errno != EEXIST) {
			r = run_error(e, errno, "linux.cgroupsPath: cannot create %s: %m", full);
			if (p)
				*p = '/';
			goto fail;
		}
		if (!p)
			break;
		*p = '/';
	}
	r = cgroup_apply(mount, full, res, e);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < n_made; i++)
		free(made[i]);
	return 0;
fail:
	while (n_made > 0) {
		n_made--;
		if (made[n_made])
			(void)rmdir(made[n_made]);
		free(made[n_made]);
	}
	return r;
}

int cgroup_check_writable(const char *mount, const char *path)
{
	_cleanup_free_ char *dir = strdup(path);
	size_t top = strlen(mount);
	if (!dir)
		return -ENOMEM;
	for (;;) {
		if (access(dir, F_OK) == 0) {
			char f[4200];
			/* An existing cgroup: we must be able to move the container into it. */
			snprintf(f, sizeof(f), "%s/cgroup.procs", dir);
			const char *what = streq(dir, path) ? f : dir;
			if (faccessat(AT_FDCWD, what, W_OK, AT_EACCESS) < 0)
				return negative_errno();
			return 0;
		}
		if (errno != ENOENT)
			return negative_errno();
		char *slash = strrchr(dir, '/');
		if (!slash || (size_t)(slash - dir) < top)
			return -ENOENT;
		*slash = '\0';
	}
}

int cgroup_enter(const char *path, pid_t pid, RunError *e)
{
	char f[4200], val[32];
	snprintf(f, sizeof(f), "%s/cgroup.procs", path);
	snprintf(val, sizeof(val), "%d", (int)pid);
	int r = write_file_at(AT_FDCWD, f, val);
	if (r < 0)
		return run_error(e, r, "linux.cgroupsPath: cannot move the container into %s: %m",
				 path);
	return 0;
}

int cgroup_kill_all(const char *path, int sig)
{
	char f[4200];
	int n = 0;

	if (sig == SIGKILL) {
		snprintf(f, sizeof(f), "%s/cgroup.kill", path);
		if (write_file_at(AT_FDCWD, f, "1") == 0)
			return 1;
	}
	snprintf(f, sizeof(f), "%s/cgroup.procs", path);
	_cleanup_fclose_ FILE *fp = fopen(f, "re");
	if (!fp)
		return negative_errno();
	int pid;
	while (fscanf(fp, "%d", &pid) == 1)
		if (kill(pid, sig) == 0)
			n++;
	return n;
}

bool cgroup_is_populated(const char *path)
{
	char f[4200], buf[256];
	snprintf(f, sizeof(f), "%s/cgroup.events", path);
	if (read_small_file(f, buf, sizeof(buf)) < 0)
		return false;
	return strstr(buf, "populated 1") != NULL;
}

int cgroup_freeze(const char *path, bool frozen, int timeout_ms)
{
	char f[4200], buf[512];
	snprintf(f, sizeof(f), "%s/cgroup.freeze", path);
	int r = write_file_at(AT_FDCWD, f, frozen ? "1" : "0");
	if (r < 0)
		return r;
	/* cgroup.events says "frozen 1" once every task has stopped. */
	snprintf(f, sizeof(f), "%s/cgroup.events", path);
	usec_t deadline = now_usec(CLOCK_MONOTONIC) + (usec_t)timeout_ms * USEC_PER_MSEC;
	for (;;) {
		r = read_small_file(f, buf, sizeof(buf));
		if (r < 0)
			return r;
		if (strstr(buf, frozen ? "frozen 1" : "frozen 0"))
			return 0;
		if (now_usec(CLOCK_MONOTONIC) > deadline)
			return -ETIMEDOUT;
		sleep_usec(USEC_PER_MSEC);
	}
}

int cgroup_pids(const char *path, pid_t **ret)
{
	char f[4200];
	snprintf(f, sizeof(f), "%s/cgroup.procs", path);
	_cleanup_fclose_ FILE *fp = fopen(f, "re");
	if (!fp)
		return negative_errno();
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0, cap = 0;
	int pid;
	for (;;) {
		if (n + 1 >= cap) {
			cap = cap ? cap * 2 : 16;
			pid_t *p = realloc(pids, cap * sizeof(pid_t));
			if (!p)
				return -ENOMEM;
			pids = p;
		}
		if (fscanf(fp, "%d", &pid) != 1)
			break;
		pids[n++] = pid;
	}
	pids[n] = -1;
	*ret = TAKE_PTR(pids);
	return (int)n;
}

int cgroup_destroy(const char *path, int timeout_ms)
{
	usec_t deadline = now_usec(CLOCK_MONOTONIC) + (usec_t)timeout_ms * USEC_PER_MSEC;
	for (;;) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || now_usec(CLOCK_MONOTONIC) > deadline)
			return negative_errno();
		sleep_usec(5 * USEC_PER_MSEC);
	}
}
