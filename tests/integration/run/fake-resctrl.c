/* SPDX-License-Identifier: MIT */
/*
 * LD_PRELOAD stand-in for what the kernel's resctrl does on mkdir and rmdir,
 * for a plain directory tree at $LAZULI_RUN_RESCTRL_ROOT: a new control group
 * comes with its schemata and tasks files and a mon_groups directory, a new
 * monitoring group with its tasks file; rmdir removes a group with all of
 * that in it. Everything else is the real call. Only for intelrdt.bats: the
 * hosts the tests run on have no RDT.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int (*real_mkdir)(const char *, mode_t);
static int (*real_rmdir)(const char *);

static bool in_resctrl(const char *path)
{
	const char *root = getenv("LAZULI_RUN_RESCTRL_ROOT");
	size_t n = root ? strlen(root) : 0;
	return n > 0 && strncmp(path, root, n) == 0 && path[n] == '/';
}

/* Is path's parent directory named mon_groups? */
static bool is_mon_group(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t len = strlen("/mon_groups");
	return slash && (size_t)(slash - path) >= len &&
	       strncmp(slash - len, "/mon_groups", len) == 0;
}

static void touch(const char *dir, const char *name)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof(p), "%s/%s", dir, name) >= (int)sizeof(p))
		return;
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

static void drop(const char *dir, const char *name)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof(p), "%s/%s", dir, name) < (int)sizeof(p))
		(void)unlink(p);
}

int mkdir(const char *path, mode_t mode)
{
	if (!real_mkdir)
		real_mkdir = (int (*)(const char *, mode_t))dlsym(RTLD_NEXT, "mkdir");
	int r = real_mkdir(path, mode);
	if (r < 0 || !in_resctrl(path))
		return r;
	int saved = errno;
	touch(path, "tasks");
	if (!is_mon_group(path)) {
		char p[PATH_MAX];
		touch(path, "schemata");
		snprintf(p, sizeof(p), "%s/mon_groups", path);
		(void)real_mkdir(p, 0755);
	}
	errno = saved;
	return 0;
}

int rmdir(const char *path)
{
	if (!real_rmdir)
		real_rmdir = (int (*)(const char *))dlsym(RTLD_NEXT, "rmdir");
	if (in_resctrl(path) && access(path, F_OK) == 0) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/mon_groups", path);
		DIR *d = opendir(p);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			char m[PATH_MAX];
			if (snprintf(m, sizeof(m), "%s/%s", p, de->d_name) >= (int)sizeof(m))
				continue;
			drop(m, "tasks");
			(void)real_rmdir(m);
		}
		if (d)
			closedir(d);
		(void)real_rmdir(p);
		drop(path, "tasks");
		drop(path, "schemata");
	}
	return real_rmdir(path);
}
