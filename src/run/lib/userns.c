/* SPDX-License-Identifier: MIT */
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "strutil.h"

bool running_rootless(void)
{
	return geteuid() != 0;
}

bool running_in_userns(void)
{
	char buf[256];
	unsigned a, b, c;
	if (read_small_file("/proc/self/uid_map", buf, sizeof(buf)) < 0)
		return false;
	/* The host's namespace maps every id to itself, in one line. */
	return !(sscanf(buf, "%u %u %u", &a, &b, &c) == 3 && a == 0 && b == 0 && c == UINT32_MAX);
}

const char *rootless_who(char *buf, size_t len)
{
	unsigned uid = (unsigned)geteuid();
	snprintf(buf, len, "uid %u%s", uid, uid == 0 ? " in a user namespace" : "");
	return buf;
}

/* The one map an unprivileged process may write itself: its own id, once. */
static bool maps_only(const RunIdMap *m, size_t n, unsigned id)
{
	return n == 1 && m[0].host_id == id && m[0].size == 1;
}

/* "0 1000 1, 1 100000 65536" */
static char *format_maps(const RunIdMap *m, size_t n, char *buf, size_t len)
{
	size_t k = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && k < len; i++) {
		int w = snprintf(buf + k, len - k, "%s%u %u %u", i ? ", " : "", m[i].container_id,
				 m[i].host_id, m[i].size);
		if (w < 0)
			break;
		k += (size_t)w;
	}
	return buf;
}

/* name along $PATH (or the usual directories) into buf; -ENOENT if it is nowhere. */
static int find_in_path(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH");
	if (isempty(path))
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (const char *p = path; *p;) {
		const char *end = strchrnul(p, ':');
		int n = (int)(end - p);
		struct stat st;
		if (n > 0 && p[0] == '/') {
			snprintf(buf, len, "%.*s/%s", n, p, name);
			if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
				return 0;
		}
		p = *end ? end + 1 : end;
	}
	return -ENOENT;
}

static const char *helper_for(bool gid)
{
	return gid ? "newgidmap" : "newuidmap";
}

int rootless_check_config(const RunConfig *cfg, RunError *e)
{
	const RunNamespace *userns = run_config_namespace(cfg, CLONE_NEWUSER);
	unsigned uid = (unsigned)geteuid(), gid = (unsigned)getegid();
	char helper[PATH_MAX], desc[512];

	if (!userns)
		return run_error(e, -EPERM,
				 "linux.namespaces: running rootless (uid %u), the container needs "
				 "a user namespace: add {\"type\": \"user\"} with uidMappings and "
				 "gidMappings (lazuli-run spec --rootless writes them)",
				 uid);
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (cfg->mounts[i].extensions & MOUNT_EXT_IDMAP)
			return run_error(e, -EPERM,
					 "mounts[%zu].options: \"%s\": idmapped mounts need root, "
					 "and this runs rootless (uid %u)",
					 i,
					 cfg->mounts[i].extensions & MOUNT_EXT_IDMAP_RECURSIVE
					     ? "ridmap"
					     : "idmap",
					 uid);
	if (userns->path)
		return 0; /* its maps were written by whoever made it */
	for (int g = 0; g < 2; g++) {
		const RunIdMap *m = g ? cfg->gid_mappings : cfg->uid_mappings;
		size_t n = g ? cfg->n_gid_mappings : cfg->n_uid_mappings;
		if (maps_only(m, n, g ? gid : uid) ||
		    find_in_path(helper_for(g), helper, sizeof(helper)) == 0)
			continue;
		return run_error(e, -ENOENT,
				 "linux.%s: mapping %s (more than our own %s %u) needs %s "
				 "(package uidmap), and it is not in PATH",
				 g ? "gidMappings" : "uidMappings",
				 format_maps(m, n, desc, sizeof(desc)), g ? "gid" : "uid",
				 g ? gid : uid, helper_for(g));
	}
	return 0;
}

static int write_proc_file(pid_t pid, const char *file, const char *text, const char *field,
			   RunError *e)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	int r = write_file_at(AT_FDCWD, path, text);
	if (r < 0)
		return run_error(e, r, "%s: cannot write %s: %m", field, path);
	return 0;
}

static int write_map(pid_t pid, bool gid, const RunIdMap *m, size_t n, const char *field,
		     RunError *e)
{
	StrBuf b = {};
	for (size_t i = 0; i < n; i++)
		if (strbuf_printf(&b, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size) <
		    0) {
			strbuf_free(&b);
			return -ENOMEM;
		}
	int r = write_proc_file(pid, gid ? "gid_map" : "uid_map", b.data ? b.data : "", field, e);
	strbuf_free(&b);
	return r;
}

_noreturn_ static void helper_child(const char *path, char **argv, int err_fd)
{
	if (dup2(err_fd, STDERR_FILENO) < 0 || dup2(err_fd, STDOUT_FILENO) < 0)
		_exit(127);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null >= 0)
		(void)dup2(null, STDIN_FILENO);
	(void)syscall(SYS_close_range, 3, ~0U, 0);
	execv(path, argv);
	dprintf(STDERR_FILENO, "cannot execute %s: %s", path, strerror(errno));
	_exit(127);
}

/* newuidmap PID C H S ...: its complaint (first line of its output) goes into the error. */
static int run_map_helper(pid_t pid, bool gid, const RunIdMap *m, size_t n, const char *field,
			  RunError *e)
{
	const char *name = helper_for(gid);
	char path[PATH_MAX], desc[512];
	if (find_in_path(name, path, sizeof(path)) < 0)
		return run_error(e, -ENOENT,
				 "%s: mapping %s needs %s (package uidmap), and it is not in PATH",
				 field, format_maps(m, n, desc, sizeof(desc)), name);
	if (n > 340) /* the kernel takes 340 lines at most */
		return run_error(e, -E2BIG, "%s: too many mappings", field);

	char nums[1 + 3 * 340][12];
	char *argv[2 + 3 * 340 + 1];
	size_t k = 0;
	argv[k++] = (char *)name;
	snprintf(nums[0], sizeof(nums[0]), "%d", (int)pid);
	argv[k++] = nums[0];
	for (size_t i = 0; i < n; i++) {
		const uint32_t v[3] = {m[i].container_id, m[i].host_id, m[i].size};
		for (int j = 0; j < 3; j++) {
			char *s = nums[1 + 3 * i + (size_t)j];
			snprintf(s, sizeof(nums[0]), "%u", v[j]);
			argv[k++] = s;
		}
	}
	argv[k] = NULL;

	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return run_error(e, errno, "%s: pipe: %m", field);
	pid_t child = fork();
	if (child < 0) {
		int r = run_error(e, errno, "%s: fork: %m", field);
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (child == 0)
		helper_child(path, argv, p[1]);
	close(p[1]);
	char out[512];
	size_t len = 0;
	for (;;) {
		ssize_t got = read(p[0], out + len, sizeof(out) - 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
		if (len == sizeof(out) - 1)
			break;
	}
	close(p[0]);
	out[len] = '\0';
	out[strcspn(out, "\n")] = '\0';
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return run_error(e, errno, "%s: %s: %m", field, name);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return run_error(e, -EPERM,
			 "%s: %s refused the mapping %s (are the ranges in /etc/sub%sid for uid "
			 "%u?): %s",
			 field, name, format_maps(m, n, desc, sizeof(desc)), gid ? "g" : "u",
			 (unsigned)getuid(), out[0] ? out : "(no message)");
}

int userns_write_maps(pid_t pid, const RunIdMap *uids, size_t n_uids, const char *uid_field,
		      const RunIdMap *gids, size_t n_gids, const char *gid_field, RunError *e)
{
	int r;

	if (!running_rootless()) {
		r = write_map(pid, false, uids, n_uids, uid_field, e);
		return r < 0 ? r : write_map(pid, true, gids, n_gids, gid_field, e);
	}
	if (maps_only(uids, n_uids, (unsigned)geteuid()))
		r = write_map(pid, false, uids, n_uids, uid_field, e);
	else
		r = run_map_helper(pid, false, uids, n_uids, uid_field, e);
	if (r < 0)
		return r;
	if (!maps_only(gids, n_gids, (unsigned)getegid()))
		return run_map_helper(pid, true, gids, n_gids, gid_field, e);
	/* Without CAP_SETGID over our namespace, the kernel takes a gid map only after this. */
	r = write_proc_file(pid, "setgroups", "deny", gid_field, e);
	return r < 0 ? r : write_map(pid, true, gids, n_gids, gid_field, e);
}

int userns_create_error(int err, RunError *e)
{
	static const struct {
		const char *path, *bad, *what;
	} knobs[] = {
	    {"/proc/sys/kernel/unprivileged_userns_clone", "0", "user namespaces are disabled"},
	    {"/proc/sys/user/max_user_namespaces", "0", "user namespaces are disabled"},
	    {"/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1",
	     "unprivileged user namespaces are restricted by AppArmor"},
	};
	char buf[32];

	if (!running_rootless() && !running_in_userns())
		return run_error(e, err, "linux.namespaces: cannot create the user namespace: %m");
	for (size_t i = 0; i < ELEMENTSOF(knobs); i++) {
		if (read_small_file(knobs[i].path, buf, sizeof(buf)) < 0)
			continue;
		buf[strcspn(buf, "\n")] = '\0';
		if (streq(buf, knobs[i].bad))
			return run_error(e, err, "%s: %s is %s", knobs[i].what, knobs[i].path,
					 knobs[i].bad);
	}
	char who[64];
	return run_error(e, err,
			 "linux.namespaces: cannot create a user namespace as %s (rootless): %m",
			 rootless_who(who, sizeof(who)));
}

bool setgroups_denied(void)
{
	char buf[16];
	if (read_small_file("/proc/self/setgroups", buf, sizeof(buf)) < 0)
		return false;
	return startswith(buf, "deny") != NULL;
}
