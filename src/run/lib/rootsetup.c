/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fileio.h"
#include "rootsetup.h"
#include "strutil.h"

/* \040 and the like: mountinfo escapes space, tab, newline and backslash in octal. */
static void unescape_octal(char *s)
{
	char *w = s;
	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
			r += 4;
		} else
			*w++ = *r++;
	}
	*w = '\0';
}

int mountinfo_parse_line(char *line, MountInfo *ret)
{
	char *fields[6], *save = NULL, *tok;
	size_t n = 0;

	/* id parent major:minor root mountpoint options [optional...] - fstype source super */
	for (tok = strtok_r(line, " \n", &save); tok && n < ELEMENTSOF(fields);
	     tok = strtok_r(NULL, " \n", &save))
		fields[n++] = tok;
	if (n < ELEMENTSOF(fields))
		return -EINVAL;
	while (tok && !streq(tok, "-"))
		tok = strtok_r(NULL, " \n", &save);
	char *fstype = tok ? strtok_r(NULL, " \n", &save) : NULL;
	if (!fstype)
		return -EINVAL;
	char *end;
	errno = 0;
	long id = strtol(fields[0], &end, 10);
	if (errno || *end || id < 0 || id > INT32_MAX)
		return -EINVAL;
	long parent = strtol(fields[1], &end, 10);
	if (errno || *end || parent < 0 || parent > INT32_MAX)
		return -EINVAL;
	unescape_octal(fields[3]);
	unescape_octal(fields[4]);
	*ret = (MountInfo){
	    .id = (int)id,
	    .parent = (int)parent,
	    .root = fields[3],
	    .mountpoint = fields[4],
	    .fstype = fstype,
	};
	return 0;
}

bool path_is_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	while (n > 0 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/*
 * Detach every whole procfs and sysfs outside the rootfs. Mounts we may not
 * detach (locked in a user namespace: EINVAL, EPERM) are covered by an empty
 * tmpfs instead; ENOENT means a parent is gone already.
 */
static int hide_host_proc_sys(const char *rootfs, RunError *e)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_full_file("/proc/self/mountinfo", 16 * 1024 * 1024, &buf, &len);
	if (r < 0)
		return run_error(e, r, "--no-pivot: /proc/self/mountinfo: %m");
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		MountInfo m;
		if (mountinfo_parse_line(line, &m) < 0)
			return run_error(e, -EINVAL, "--no-pivot: malformed /proc/self/mountinfo");
		if (!streq(m.root, "/") ||
		    (!streq(m.fstype, "proc") && !streq(m.fstype, "sysfs")) ||
		    path_is_below(m.mountpoint, rootfs))
			continue;
		if (umount2(m.mountpoint, MNT_DETACH) == 0 || errno == ENOENT)
			continue;
		if (errno != EINVAL && errno != EPERM)
			return run_error(e, errno, "--no-pivot: cannot detach %s: %m",
					 m.mountpoint);
		if (mount("tmpfs", m.mountpoint, "tmpfs", MS_RDONLY, "size=0") < 0 &&
		    errno != ENOENT)
			return run_error(e, errno, "--no-pivot: cannot cover %s: %m", m.mountpoint);
	}
	return 0;
}

int move_root_into(const char *rootfs, int rootfd, RunError *e)
{
	int r = hide_host_proc_sys(rootfs, e);
	if (r < 0)
		return r;
	if (fchdir(rootfd) < 0)
		return run_error(e, errno, "root.path: cannot enter the rootfs: %m");
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return run_error(e, errno, "root.path: --no-pivot: cannot move %s onto /: %m",
				 rootfs);
	if (chroot(".") < 0)
		return run_error(e, errno, "root.path: --no-pivot: chroot: %m");
	if (chdir("/") < 0)
		return run_error(e, errno, "root.path: chdir /: %m");
	return 0;
}

char *session_keyring_name(const char *id)
{
	char *name;
	return asprintf(&name, "_ses.%s", id) < 0 ? NULL : name;
}

int keyring_perm_from_description(const char *desc, uint32_t *ret)
{
	const char *p = desc;
	for (int i = 0; i < 3; i++) {
		p = strchr(p, ';');
		if (!p)
			return -EINVAL;
		p++;
	}
	char *end;
	errno = 0;
	unsigned long v = strtoul(p, &end, 16);
	if (errno || end == p || *end != ';' || v > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

enum {
	KEYCTL_DESCRIBE_ = 6,
	KEYCTL_SETPERM_ = 5,
	KEYCTL_JOIN_SESSION_KEYRING_ = 1,
	KEY_USR_SEARCH = 0x00080000,
	KEY_OTH_SEARCH = 0x00000008,
};

int join_session_keyring(const char *name, bool make_searchable, bool in_userns, RunError *e)
{
	long key = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING_, name);
	if (key < 0 && errno == ENOSYS)
		return 0;
	if (key < 0)
		return run_error(e, errno, "cannot join the session keyring %s: %m", name);
	if (!make_searchable)
		return 0;
	char desc[512];
	long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE_, key, desc, sizeof(desc));
	if (n < 0)
		return run_error(e, errno, "session keyring %s: cannot describe it: %m", name);
	desc[MIN((size_t)n, sizeof(desc) - 1)] = '\0';
	uint32_t perm;
	if (keyring_perm_from_description(desc, &perm) < 0)
		return run_error(e, -EINVAL, "session keyring %s: unexpected description \"%s\"",
				 name, desc);
	perm |= in_userns ? KEY_OTH_SEARCH : KEY_USR_SEARCH;
	if (syscall(SYS_keyctl, KEYCTL_SETPERM_, key, perm) < 0)
		return run_error(e, errno, "session keyring %s: cannot make it searchable: %m",
				 name);
	return 0;
}
