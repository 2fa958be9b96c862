/* SPDX-License-Identifier: MIT */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "hooks.h"
#include "lsm.h"
#include "rootsetup.h"
#include "strutil.h"
#include "userns.h"
#include "util.h"

#define FD_PATH(buf, fd) (snprintf((buf), sizeof(buf), "/proc/self/fd/%d", (fd)), (buf))

_noreturn_ static void init_fail(const InitContext *ctx, const RunError *e)
{
	char msg[sizeof(e->msg) + 1];
	msg[0] = SYNC_ERROR;
	size_t n = strlen(e->msg);
	memcpy(msg + 1, e->msg, n);
	(void)!send(ctx->sync_fd, msg, n + 1, MSG_NOSIGNAL);
	_exit(1);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int close_fds_except(unsigned first, int *keep, size_t n)
{
	unsigned lo = first;

	qsort(keep, n, sizeof(int), cmp_int);
	for (size_t i = 0; i < n; i++) {
		if (keep[i] < (int)lo)
			continue;
		if ((unsigned)keep[i] > lo &&
		    syscall(SYS_close_range, lo, (unsigned)keep[i] - 1, 0) < 0)
			return negative_errno();
		lo = (unsigned)keep[i] + 1;
	}
	if (syscall(SYS_close_range, lo, ~0U, 0) < 0)
		return negative_errno();
	return 0;
}

/* Flags a bind remount must keep (the kernel refuses to drop locked ones in a user namespace). */
static unsigned long locked_flags(int fd)
{
	struct statvfs sv;
	unsigned long f = 0;
	if (fstatvfs(fd, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_RDONLY)
		f |= MS_RDONLY;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

static int check_fs(int fd, long magic)
{
	struct statfs sfs;
	if (fstatfs(fd, &sfs) < 0)
		return negative_errno();
	return sfs.f_type == magic ? 0 : -EXDEV;
}

/* copy-symlink: a copy of the source symlink (opened O_PATH|O_NOFOLLOW by the runtime). */
static int copy_symlink(int rootfd, int linkfd, const RunMount *m, size_t i, RunError *e)
{
	char target[PATH_MAX], old[PATH_MAX];
	ssize_t n = readlinkat(linkfd, "", target, sizeof(target) - 1);
	if (n < 0)
		return run_error(e, errno, "mounts[%zu].source: %s: %m", i, m->source);
	target[n] = '\0';
	_cleanup_free_ char *name = NULL;
	_cleanup_close_ int parent = mkdir_parent_in_root(rootfd, m->destination, &name);
	if (parent < 0)
		return run_error(e, parent,
				 "mounts[%zu].destination: cannot create %s in the rootfs: %m", i,
				 m->destination);
	if (symlinkat(target, parent, name) == 0)
		return 0;
	int r = -errno;
	/* A rootfs used before already has it. */
	n = r == -EEXIST ? readlinkat(parent, name, old, sizeof(old) - 1) : -1;
	if (n >= 0 && (old[n] = '\0', streq(old, target)))
		return 0;
	return run_error(e, r, "mounts[%zu].options: \"copy-symlink\": cannot create %s -> %s: %m",
			 i, m->destination, target);
}

/* tmpcopyup: the tmpfs on top starts with what the directory under it (covered) held. */
static int copy_up(int covered, int top, const RunMount *m, size_t i, RunError *e)
{
	_cleanup_close_ int from = openat(covered, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int to = openat(top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (from < 0 || to < 0)
		return run_error(e, errno, "mounts[%zu].options: \"tmpcopyup\": %s: %m", i,
				 m->destination);
	int r = copy_tree(from, to, 0);
	if (r < 0)
		return run_error(e, r, "mounts[%zu].options: \"tmpcopyup\": cannot copy %s: %m", i,
				 m->destination);
	return 0;
}

/* rro, rnosuid, ...: the attributes on every mount of the tree at top. */
static int set_recursive_attributes(int top, const RunMount *m, size_t i, RunError *e)
{
	struct mount_attr attr = {.attr_set = m->attr_set, .attr_clr = m->attr_clr};
	char names[256];

	if (!m->attr_set && !m->attr_clr)
		return 0;
	if (mount_setattr(top, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) == 0)
		return 0;
	return run_error(e, errno, "mounts[%zu].options: cannot set %s on %s: %m", i,
			 config_mount_attr_names(m->attr_set, m->attr_clr, names, sizeof(names)),
			 m->destination);
}

/* The last step of every mount: recursive attributes, then propagation. */
static int set_tree_options(int top, const RunMount *m, size_t i, RunError *e)
{
	char p[64];
	int r = set_recursive_attributes(top, m, i, e);
	if (r < 0)
		return r;
	if (m->propagation && mount(NULL, FD_PATH(p, top), NULL, m->propagation, NULL) < 0)
		return run_error(e, errno, "mounts[%zu].options: cannot set propagation of %s: %m",
				 i, m->destination);
	return 0;
}

/* remount: the mount already at the destination gets these flags and data. */
static int remount_one(int top, const RunMount *m, size_t i, RunError *e)
{
	char p[64];
	unsigned long flags = MS_REMOUNT | m->flags;
	if (m->bind)
		flags |= locked_flags(top) & ~MS_RDONLY;
	if (mount(NULL, FD_PATH(p, top), NULL, flags, m->bind ? NULL : m->data) < 0)
		return run_error(e, errno, "mounts[%zu].options: \"remount\" of %s: %m", i,
				 m->destination);
	return 0;
}

/*
 * The mount at the destination, looked up again after mounting. A symlink
 * mounted with src-nofollow, or a mount on a symlink with dest-nofollow, is
 * the mount itself: it must not be followed.
 */
static int open_mounted(int rootfd, const RunMount *m)
{
	bool nofollow = m->extensions & (MOUNT_EXT_SRC_NOFOLLOW | MOUNT_EXT_DEST_NOFOLLOW);
	return open_in_root(rootfd, m->destination, O_PATH | (nofollow ? O_NOFOLLOW : 0));
}

/* label: linux.mountLabel when SELinux is on (then tmpfs and the like take it), else NULL */
static int mount_one(const InitContext *ctx, int rootfd, const RunMount *m, size_t i,
		     const char *label, RunError *e)
{
	const char *type = m->type;
	bool as_file = false;
	char p[64];
	int r;

	if (m->extensions & MOUNT_EXT_REMOUNT) {
		_cleanup_close_ int top = open_mounted(rootfd, m);
		if (top < 0)
			return run_error(e, top, "mounts[%zu].destination: %s: %m", i,
					 m->destination);
		r = remount_one(top, m, i, e);
		return r < 0 ? r : set_tree_options(top, m, i, e);
	}
	if (m->bind) {
		struct stat st;
		if (fstat(ctx->mount_fds[i], &st) < 0)
			return run_error(e, errno, "mounts[%zu].source: %s: %m", i, m->source);
		if (S_ISLNK(st.st_mode) && (m->extensions & MOUNT_EXT_COPY_SYMLINK))
			return copy_symlink(rootfd, ctx->mount_fds[i], m, i, e);
		as_file = !S_ISDIR(st.st_mode);
	}
	_cleanup_close_ int fd = m->extensions & MOUNT_EXT_DEST_NOFOLLOW
				     ? open_nofollow_in_root(rootfd, m->destination, as_file)
				     : mkdir_p_in_root(rootfd, m->destination, as_file);
	if (fd < 0)
		return run_error(e, fd,
				 "mounts[%zu].destination: cannot create %s in the rootfs: %m", i,
				 m->destination);

	if (m->bind) {
		if (move_mount(ctx->mount_fds[i], "", fd, "",
			       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			return run_error(e, errno, "mounts[%zu]: cannot bind %s on %s: %m", i,
					 m->source, m->destination);
		unsigned long extra = m->flags & ~(MS_BIND | MS_REC);
		if (extra) {
			/* The fd still names the directory under the new mount: look it up again.
			 */
			_cleanup_close_ int top = open_mounted(rootfd, m);
			if (top < 0)
				return run_error(e, top, "mounts[%zu].destination: %s: %m", i,
						 m->destination);
			unsigned long keep = locked_flags(top) & ~MS_RDONLY;
			if (mount(NULL, FD_PATH(p, top), NULL, MS_BIND | MS_REMOUNT | extra | keep,
				  NULL) < 0)
				return run_error(e, errno, "mounts[%zu]: cannot remount %s: %m", i,
						 m->destination);
		}
	} else {
		if (streq(type, "cgroup"))
			type = "cgroup2";
		const char *what = isempty(m->source) ? type : m->source;
		_cleanup_free_ char *data = NULL;
		r = lsm_mount_data(type, m->data, label, &data);
		if (r < 0)
			return r;
		r = mount(what, FD_PATH(p, fd), type, m->flags, data);
		/*
		 * A user namespace may not mount sysfs without its own network
		 * namespace, nor cgroup2 without its own cgroup namespace (runc's
		 * rootless spec has neither): the host's are bound instead, as
		 * runc and crun do.
		 */
		const char *host = streq(type, "sysfs")	    ? "/sys"
				   : streq(type, "cgroup2") ? "/sys/fs/cgroup"
							    : NULL;
		if (r < 0 && errno == EPERM && host && ctx->in_userns) {
			r = mount(host, p, NULL, MS_BIND | MS_REC, NULL);
			if (r == 0) {
				_cleanup_close_ int top = open_mounted(rootfd, m);
				if (top >= 0)
					r = mount(NULL, FD_PATH(p, top), NULL,
						  MS_BIND | MS_REMOUNT | m->flags |
						      locked_flags(top),
						  NULL);
			}
		}
		if (r < 0)
			return run_error(e, errno, "mounts[%zu]: cannot mount %s (%s) on %s: %m", i,
					 what, type, m->destination);
	}

	_cleanup_close_ int top = open_mounted(rootfd, m);
	if (top < 0)
		return run_error(e, top, "mounts[%zu].destination: %s: %m", i, m->destination);
	if (type && (streq(type, "proc") || streq(type, "sysfs"))) {
		r = check_fs(top, streq(type, "proc") ? PROC_SUPER_MAGIC : SYSFS_MAGIC);
		if (r < 0)
			return run_error(e, r, "mounts[%zu]: %s is not a %s mount after mounting",
					 i, m->destination, type);
	}
	if (m->extensions & MOUNT_EXT_TMPCOPYUP) {
		r = copy_up(fd, top, m, i, e);
		if (r < 0)
			return r;
	}
	return set_tree_options(top, m, i, e);
}

static const RunDevice default_devices[] = {
    {.path = (char *)"/dev/null", .type = 'c', .major = 1, .minor = 3, .mode = 0666},
    {.path = (char *)"/dev/zero", .type = 'c', .major = 1, .minor = 5, .mode = 0666},
    {.path = (char *)"/dev/full", .type = 'c', .major = 1, .minor = 7, .mode = 0666},
    {.path = (char *)"/dev/random", .type = 'c', .major = 1, .minor = 8, .mode = 0666},
    {.path = (char *)"/dev/urandom", .type = 'c', .major = 1, .minor = 9, .mode = 0666},
    {.path = (char *)"/dev/tty", .type = 'c', .major = 5, .minor = 0, .mode = 0666},
};

static int create_device(const InitContext *ctx, int rootfd, const RunDevice *d, const char *field,
			 RunError *e)
{
	_cleanup_free_ char *dir = strdup(d->path), *base = strdup(d->path);
	char p[64];
	if (!dir || !base)
		return -ENOMEM;
	_cleanup_close_ int parent = mkdir_p_in_root(rootfd, dirname(dir), false);
	if (parent < 0)
		return run_error(e, parent, "%s: cannot create the directory of %s: %m", field,
				 d->path);
	const char *name = basename(base);
	if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
		return run_error(e, errno, "%s: cannot replace %s: %m", field, d->path);

	if (ctx->in_userns) {
		/* mknod is not allowed in a user namespace: bind the host's node instead. */
		_cleanup_close_ int f = openat(
		    parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0000);
		if (f < 0)
			return run_error(e, errno, "%s: cannot create %s: %m", field, d->path);
		if (mount(d->path, FD_PATH(p, f), NULL, MS_BIND, NULL) < 0)
			return run_error(e, errno, "%s: cannot bind the host's %s: %m", field,
					 d->path);
		return 0;
	}
	mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
	dev_t dev = d->type == 'p' ? 0 : makedev((unsigned)d->major, (unsigned)d->minor);
	if (mknodat(parent, name, type | (d->mode & 07777), dev) < 0)
		return run_error(e, errno, "%s: cannot create %s: %m", field, d->path);
	if (fchownat(parent, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return run_error(e, errno, "%s: cannot chown %s: %m", field, d->path);
	return 0;
}

static bool dev_is_bind_mounted(const RunConfig *cfg)
{
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (streq(cfg->mounts[i].destination, "/dev") && cfg->mounts[i].bind)
			return true;
	return false;
}

static int setup_devices(const InitContext *ctx, int rootfd, RunError *e)
{
	const RunConfig *cfg = ctx->cfg;
	char field[64];
	int r;

	if (dev_is_bind_mounted(cfg))
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(default_devices); i++) {
		bool overridden = false;
		for (size_t k = 0; k < cfg->n_devices; k++)
			if (streq(cfg->devices[k].path, default_devices[i].path))
				overridden = true;
		if (overridden)
			continue;
		r = create_device(ctx, rootfd, &default_devices[i], "default devices", e);
		if (r < 0)
			return r;
	}
	for (size_t k = 0; k < cfg->n_devices; k++) {
		snprintf(field, sizeof(field), "linux.devices[%zu]", k);
		r = create_device(ctx, rootfd, &cfg->devices[k], field, e);
		if (r < 0)
			return r;
	}

	static const char *const links[][2] = {
	    {"/proc/self/fd", "fd"},	   {"/proc/self/fd/0", "stdin"},
	    {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
	    {"pts/ptmx", "ptmx"},
	};
	_cleanup_close_ int dev = open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY);
	if (dev < 0)
		return run_error(e, dev, "default devices: /dev: %m");
	for (size_t i = 0; i < ELEMENTSOF(links); i++) {
		if (streq(links[i][1], "ptmx")) {
			/* Only when devpts is there to point to (looked up inside the rootfs). */
			int ptmx = open_in_root(rootfd, "/dev/pts/ptmx", O_PATH);
			if (ptmx < 0)
				continue;
			close(ptmx);
			(void)unlinkat(dev, "ptmx", 0);
		}
		if (symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
			return run_error(e, errno, "default devices: cannot link /dev/%s: %m",
					 links[i][1]);
	}
	return 0;
}

/* The state JSON the runtime sent with the hooks' go-ahead (this process's own copy). */
static char *hook_state;

static bool has_hooks(const RunConfig *cfg, HookKind k)
{
	return cfg->n_hooks[k] > 0;
}

/*
 * Before pivot_root: the runtime runs prestart and createRuntime in its
 * namespaces, then we run createContainer in ours, with host paths.
 */
static int sync_hooks(const InitContext *ctx, RunError *e)
{
	const RunConfig *cfg = ctx->cfg;
	if (!has_hooks(cfg, HOOK_PRESTART) && !has_hooks(cfg, HOOK_CREATE_RUNTIME) &&
	    !has_hooks(cfg, HOOK_CREATE_CONTAINER) && !has_hooks(cfg, HOOK_START_CONTAINER))
		return 0;
	if (send_tagged(ctx->sync_fd, SYNC_HOOKS, NULL, 0, -1) < 0)
		_exit(1);
	size_t len = 256 * 1024;
	hook_state = malloc(len);
	if (!hook_state)
		return -ENOMEM;
	ssize_t n = recv_tagged(ctx->sync_fd, hook_state, len - 1, NULL);
	if (n < 1 || hook_state[0] != SYNC_GO)
		_exit(1); /* a hook failed: the runtime kills us */
	hook_state[n] = '\0';
	memmove(hook_state, hook_state + 1, (size_t)n);
	return hooks_run(cfg, HOOK_CREATE_CONTAINER, hook_state, e);
}

static int pivot_into(int rootfd, RunError *e)
{
	_cleanup_close_ int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (oldroot < 0)
		return run_error(e, errno, "root.path: cannot open the old root: %m");
	if (fchdir(rootfd) < 0)
		return run_error(e, errno, "root.path: cannot enter the rootfs: %m");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return run_error(e, errno, "root.path: pivot_root: %m");
	/*
	 * The old root now sits on top of the new one. "." names the new root's
	 * mount for mount(2), so go to the old root's own directory first: only
	 * its tree is made a slave (no event reaches the host) and detached.
	 */
	if (fchdir(oldroot) < 0)
		return run_error(e, errno, "root.path: cannot enter the old root: %m");
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return run_error(e, errno, "root.path: cannot make the old root a slave: %m");
	if (umount2(".", MNT_DETACH) < 0)
		return run_error(e, errno, "root.path: cannot detach the old root: %m");
	if (chdir("/") < 0)
		return run_error(e, errno, "root.path: chdir /: %m");
	return 0;
}

static int open_dev_null(int rootfd, RunError *e)
{
	int fd = open_in_root(rootfd, "/dev/null", O_PATH);
	struct stat st;
	if (fd < 0)
		return run_error(e, fd, "linux.maskedPaths: /dev/null: %m");
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
		close(fd);
		return run_error(e, -EPERM, "linux.maskedPaths: /dev/null is not the null device");
	}
	return fd;
}

static int mask_paths(const RunConfig *cfg, int rootfd, RunError *e)
{
	_cleanup_close_ int null = -EBADF;
	char p[64], s[64];

	for (size_t i = 0; cfg->masked_paths && cfg->masked_paths[i]; i++) {
		_cleanup_close_ int fd = open_in_root(rootfd, cfg->masked_paths[i], O_PATH);
		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return run_error(e, fd, "linux.maskedPaths[%zu]: %s: %m", i,
					 cfg->masked_paths[i]);
		struct stat st;
		if (fstat(fd, &st) < 0)
			return run_error(e, errno, "linux.maskedPaths[%zu]: %m", i);
		int r;
		if (S_ISDIR(st.st_mode))
			r = mount("tmpfs", FD_PATH(p, fd), "tmpfs", MS_RDONLY, "size=0");
		else {
			if (null < 0) {
				null = open_dev_null(rootfd, e);
				if (null < 0)
					return null;
			}
			r = mount(FD_PATH(s, null), FD_PATH(p, fd), NULL, MS_BIND, NULL);
		}
		if (r < 0)
			return run_error(e, errno, "linux.maskedPaths[%zu]: cannot mask %s: %m", i,
					 cfg->masked_paths[i]);
	}
	return 0;
}

static int readonly_paths(const RunConfig *cfg, int rootfd, RunError *e)
{
	char p[64];
	for (size_t i = 0; cfg->readonly_paths && cfg->readonly_paths[i]; i++) {
		const char *path = cfg->readonly_paths[i];
		_cleanup_close_ int fd = open_in_root(rootfd, path, O_PATH);
		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return run_error(e, fd, "linux.readonlyPaths[%zu]: %s: %m", i, path);
		if (mount(FD_PATH(p, fd), p, NULL, MS_BIND | MS_REC, NULL) < 0)
			return run_error(e, errno, "linux.readonlyPaths[%zu]: cannot bind %s: %m",
					 i, path);
		_cleanup_close_ int top = open_in_root(rootfd, path, O_PATH);
		if (top < 0)
			return run_error(e, top, "linux.readonlyPaths[%zu]: %s: %m", i, path);
		if (mount(NULL, FD_PATH(p, top), NULL,
			  MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(top), NULL) < 0)
			return run_error(
			    e, errno, "linux.readonlyPaths[%zu]: cannot remount %s: %m", i, path);
	}
	return 0;
}

static int apply_sysctl(const RunConfig *cfg, RunError *e)
{
	if (!cfg->sysctl)
		return 0;
	_cleanup_close_ int sys = open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (sys < 0)
		return run_error(e, errno, "linux.sysctl: /proc/sys: %m");
	if (check_fs(sys, PROC_SUPER_MAGIC) < 0)
		return run_error(e, -EXDEV, "linux.sysctl: /proc/sys is not on procfs");
	for (size_t i = 0; cfg->sysctl[i]; i += 2) {
		_cleanup_free_ char *rel = strdup(cfg->sysctl[i]);
		if (!rel)
			return -ENOMEM;
		for (char *c = rel; *c; c++)
			if (*c == '.')
				*c = '/';
		struct open_how {
			uint64_t flags, mode, resolve;
		} how = {.flags = O_WRONLY | O_CLOEXEC, .resolve = 0x01 | 0x04 | 0x08 | 0x02};
		/* RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS
		 */
		_cleanup_close_ int fd = (int)syscall(SYS_openat2, sys, rel, &how, sizeof(how));
		if (fd < 0)
			return run_error(e, errno, "linux.sysctl.%s: %m", cfg->sysctl[i]);
		const char *v = cfg->sysctl[i + 1];
		if (write(fd, v, strlen(v)) != (ssize_t)strlen(v))
			return run_error(e, errno, "linux.sysctl.%s: cannot write \"%s\": %m",
					 cfg->sysctl[i], v);
	}
	return 0;
}

int mount_source_open_tree(const char *path, const RunMount *m)
{
	int fd =
	    open_tree(AT_FDCWD, path,
		      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (m->flags & MS_REC ? AT_RECURSIVE : 0) |
			  (m->extensions & MOUNT_EXT_SRC_NOFOLLOW ? AT_SYMLINK_NOFOLLOW : 0));
	return fd < 0 ? negative_errno() : fd;
}

/*
 * Rootless, the runtime could not clone the bind mount sources: we can, as
 * root of the user namespace that owns our mount namespace, before we
 * pivot away from the host's tree.
 */
static int open_deferred_sources(const InitContext *ctx, RunError *e)
{
	for (size_t i = 0; ctx->mount_paths && i < ctx->cfg->n_mounts; i++) {
		if (!ctx->mount_paths[i])
			continue;
		int fd = mount_source_open_tree(ctx->mount_paths[i], &ctx->cfg->mounts[i]);
		if (fd < 0)
			return run_error(e, fd, "mounts[%zu].source: %s: %m%s", i,
					 ctx->mount_paths[i],
					 fd == -EINVAL && !(ctx->cfg->mounts[i].flags & MS_REC)
					     ? " (it has mounts below it: rootless, use rbind)"
					     : "");
		ctx->mount_fds[i] = fd;
	}
	return 0;
}

static int setup_rootfs(const InitContext *ctx, RunError *e)
{
	const RunConfig *cfg = ctx->cfg;
	unsigned long prop = cfg->rootfs_propagation & MS_PRIVATE ? MS_PRIVATE : MS_SLAVE;
	int r;

	/* Nothing mounted from here on may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | prop, NULL) < 0)
		return run_error(e, errno, "linux.rootfsPropagation: cannot change /: %m");
	if (mount(ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return run_error(e, errno, "root.path: cannot bind %s: %m", ctx->rootfs);
	_cleanup_close_ int rootfd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return run_error(e, errno, "root.path: %s: %m", ctx->rootfs);

	/* Still as the caller: root of the namespace may be one of its subordinate ids. */
	r = open_deferred_sources(ctx, e);
	if (r < 0)
		return r;

	/*
	 * Only now become root of the user namespace: until here the host's root
	 * could reach the rootfs through directories only it may search; from here
	 * on files are created in filesystems owned by the namespace.
	 */
	if (ctx->new_userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		return run_error(e, errno,
				 "linux.uidMappings: cannot become root in the user namespace "
				 "(is 0 mapped?): %m");

	const char *label = cfg->mount_label && lsm_selinux_enabled() ? cfg->mount_label : NULL;
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		r = mount_one(ctx, rootfd, &cfg->mounts[i], i, label, e);
		if (r < 0)
			return r;
	}
	r = setup_devices(ctx, rootfd, e);
	if (r < 0)
		return r;
	_cleanup_close_ int cwd = mkdir_p_in_root(rootfd, cfg->cwd, false);
	if (cwd < 0)
		return run_error(e, cwd, "process.cwd: cannot create %s in the rootfs: %m",
				 cfg->cwd);

	r = sync_hooks(ctx, e);
	if (r < 0)
		return r;
	r = ctx->no_pivot ? move_root_into(ctx->rootfs, rootfd, e) : pivot_into(rootfd, e);
	if (r < 0)
		return r;
	if (cfg->rootfs_propagation && mount(NULL, "/", NULL, cfg->rootfs_propagation, NULL) < 0)
		return run_error(e, errno, "linux.rootfsPropagation: %m");

	_cleanup_close_ int newroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (newroot < 0)
		return run_error(e, errno, "root.path: /: %m");
	if (cfg->terminal) {
		_cleanup_close_ int dev = open_in_root(newroot, "/dev", O_PATH | O_DIRECTORY);
		if (dev < 0)
			return run_error(e, dev, "process.terminal: /dev: %m");
		r = terminal_setup(ctx->sync_fd, dev, e);
		if (r < 0)
			return r;
	}
	r = apply_sysctl(cfg, e);
	if (r < 0)
		return r;
	r = mask_paths(cfg, newroot, e);
	if (r < 0)
		return r;
	r = readonly_paths(cfg, newroot, e);
	if (r < 0)
		return r;
	if (cfg->root_readonly &&
	    mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(newroot), NULL) <
		0)
		return run_error(e, errno, "root.readonly: cannot remount / read-only: %m");
	return 0;
}

static int capset_raw(uint64_t eff, uint64_t perm, uint64_t inh)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {
	    {(uint32_t)eff, (uint32_t)perm, (uint32_t)inh},
	    {(uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32)},
	};
	return syscall(SYS_capset, &h, d) < 0 ? negative_errno() : 0;
}

static int setup_user_and_caps(const RunConfig *cfg, int cap_last_cap, RunError *e)
{
	uint64_t known = cap_last_cap >= 63 ? UINT64_MAX : (UINT64_C(1) << (cap_last_cap + 1)) - 1;
	const uint64_t *caps = cfg->caps;

	for (int c = 0; c <= cap_last_cap; c++)
		if (!(caps[CAP_SET_BOUNDING] & (UINT64_C(1) << c)) &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			return run_error(e, errno,
					 "process.capabilities.bounding: cannot drop %s: %m",
					 strempty(capability_to_name(c)));
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return run_error(e, errno, "prctl(PR_SET_KEEPCAPS): %m");
	/* A gid map written without newgidmap denies setgroups: then there is nothing to drop. */
	if (setgroups(cfg->n_additional_gids, cfg->additional_gids) < 0 &&
	    !(errno == EPERM && cfg->n_additional_gids == 0 && setgroups_denied()))
		return run_error(e, errno, "process.user.additionalGids: setgroups%s: %m",
				 errno == EPERM && setgroups_denied()
				     ? " (denied in this user namespace: its gid map was "
				       "written without newgidmap)"
				     : "");
	if (setresgid(cfg->gid, cfg->gid, cfg->gid) < 0)
		return run_error(e, errno, "process.user.gid: cannot switch to gid %u: %m",
				 (unsigned)cfg->gid);
	if (setresuid(cfg->uid, cfg->uid, cfg->uid) < 0)
		return run_error(e, errno, "process.user.uid: cannot switch to uid %u: %m",
				 (unsigned)cfg->uid);
	int r = capset_raw(caps[CAP_SET_EFFECTIVE] & known, caps[CAP_SET_PERMITTED] & known,
			   caps[CAP_SET_INHERITABLE] & known);
	if (r < 0)
		return run_error(e, r,
				 "process.capabilities: cannot set the effective, permitted and "
				 "inheritable sets (effective must be within permitted): %m");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return run_error(e, errno, "process.capabilities.ambient: %m");
	for (int c = 0; c <= cap_last_cap; c++)
		if ((caps[CAP_SET_AMBIENT] & (UINT64_C(1) << c)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			return run_error(e, errno,
					 "process.capabilities.ambient: cannot raise %s (it must "
					 "also be permitted and inheritable): %m",
					 strempty(capability_to_name(c)));
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return run_error(e, errno, "prctl(PR_SET_KEEPCAPS): %m");
	return 0;
}

static const char *env_get(char **env, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; env && env[i]; i++)
		if (strneq(env[i], key, n) && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

static int find_executable(const RunConfig *cfg, char *buf, size_t len, RunError *e)
{
	const char *name = cfg->args[0];
	struct stat st;

	if (strchr(name, '/')) {
		if (stat(name, &st) < 0 || !S_ISREG(st.st_mode) || access(name, X_OK) < 0)
			return run_error(e, errno ? errno : EACCES,
					 "process.args[0]: \"%s\" is not an executable file: %m",
					 name);
		snprintf(buf, len, "%s", name);
		return 0;
	}
	const char *path = env_get(cfg->env, "PATH");
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (const char *p = path; *p;) {
		const char *end = strchrnul(p, ':');
		int n = (int)(end - p);
		snprintf(buf, len, "%.*s%s%s", n, p, n ? "/" : "", name);
		if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
			return 0;
		p = *end ? end + 1 : end;
	}
	return run_error(e, -ENOENT, "process.args[0]: \"%s\": executable file not found in $PATH",
			 name);
}

/*
 * A time namespace takes offsets only until a process is in it. unshare(2)
 * makes one for our children alone; its offsets go in, and only then do we
 * enter it ourselves (the init execs the container's program, it does not
 * fork it).
 */
static int setup_time_namespace(const RunConfig *cfg, RunError *e)
{
	StrBuf b = {};
	int r;

	if (unshare(CLONE_NEWTIME) < 0)
		return run_error(e, errno,
				 "linux.namespaces: cannot create the time namespace: %m");
	for (int k = 0; k < _TIME_OFFSET_MAX; k++) {
		const RunTimeOffset *o = &cfg->time_offsets[k];
		if (o->set && strbuf_printf(&b, "%s %lld %u\n", time_offset_clock_name(k),
					    (long long)o->secs, o->nanosecs) < 0) {
			strbuf_free(&b);
			return -ENOMEM;
		}
	}
	if (b.len > 0) {
		r = write_file_at(AT_FDCWD, "/proc/self/timens_offsets", b.data);
		strbuf_free(&b);
		if (r < 0)
			return run_error(e, r, "linux.timeOffsets: cannot set the offsets: %m");
	}
	_cleanup_close_ int fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWTIME) < 0)
		return run_error(e, errno, "linux.namespaces: cannot enter the time namespace: %m");
	return 0;
}

static int setup(const InitContext *ctx, char *exe, size_t exe_len, RunError *e)
{
	const RunConfig *cfg = ctx->cfg;
	char c;
	int r;

	_cleanup_free_ int *keep = calloc(2 + ctx->cfg->n_mounts, sizeof(int));
	size_t n_keep = 0;
	if (!keep)
		return -ENOMEM;
	keep[n_keep++] = ctx->sync_fd;
	keep[n_keep++] = ctx->fifo_fd;
	for (size_t i = 0; i < ctx->cfg->n_mounts; i++)
		if (ctx->mount_fds[i] >= 0)
			keep[n_keep++] = ctx->mount_fds[i];
	r = close_fds_except(3 + ctx->preserve_fds, keep, n_keep);
	if (r < 0)
		return run_error(e, r, "cannot close inherited file descriptors: %m");
	/*
	 * Other processes may not open /proc/PID/exe (the runtime's binary) or
	 * ptrace us. A rootless runtime (or newuidmap for it) can write our maps
	 * only while we are dumpable: then we turn undumpable after its go.
	 */
	if (!ctx->rootless && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return run_error(e, errno, "prctl(PR_SET_DUMPABLE): %m");
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	reset_signal_dispositions();
	umask(0);

	ssize_t n = recv(ctx->sync_fd, &c, 1, 0);
	if (n != 1 || c != SYNC_GO)
		_exit(1); /* the runtime went away */
	if (ctx->rootless && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return run_error(e, errno, "prctl(PR_SET_DUMPABLE): %m");

	if (ctx->new_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
		return run_error(e, errno,
				 "linux.namespaces: cannot create the cgroup namespace: %m");
	if (ctx->new_timens) {
		r = setup_time_namespace(cfg, e);
		if (r < 0)
			return r;
	}
	if (cfg->hostname && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
		return run_error(e, errno, "hostname: %m");
	if (cfg->domainname && setdomainname(cfg->domainname, strlen(cfg->domainname)) < 0)
		return run_error(e, errno, "domainname: %m");

	r = setup_rootfs(ctx, e);
	if (r < 0)
		return r;

	/* The container's own session keyring, so that it cannot read the caller's keys. */
	if (ctx->session_keyring) {
		r = join_session_keyring(ctx->session_keyring, true, ctx->in_userns, e);
		if (r < 0)
			return r;
	}
	return process_apply(cfg, ctx->seccomp, ctx->sync_fd, ctx->cap_last_cap, NULL, exe, exe_len,
			     e);
}

/* struct sched_attr of sched_setattr(2) as first defined (SCHED_ATTR_SIZE_VER0). */
struct sched_attr_v0 {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
};

/*
 * Scheduling, I/O priority and personality: set while the process still
 * has every capability (a real-time policy or class needs CAP_SYS_NICE or
 * CAP_SYS_ADMIN) and before a seccomp filter could refuse the calls. All
 * three are kept across execve(2).
 */
static int apply_sched_io_personality(const RunConfig *cfg, RunError *e)
{
	if (cfg->has_scheduler) {
		const RunScheduler *s = &cfg->scheduler;
		struct sched_attr_v0 a = {
		    .size = sizeof(a),
		    .sched_policy = s->policy,
		    .sched_flags = s->flags,
		    .sched_nice = s->nice,
		    .sched_priority = s->priority,
		    .sched_runtime = s->runtime,
		    .sched_deadline = s->deadline,
		    .sched_period = s->period,
		};
		if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
			return run_error(e, errno, "process.scheduler: sched_setattr: %m");
	}
	if (cfg->has_io_priority &&
	    syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, cfg->io_priority) < 0)
		return run_error(e, errno, "process.ioPriority: ioprio_set: %m");
	if (cfg->has_personality && personality(cfg->personality) < 0)
		return run_error(e, errno, "linux.personality: %m");
	return 0;
}

int seccomp_load_and_pass(const SeccompProgram *p, int sock, RunError *e)
{
	_cleanup_close_ int listener = -EBADF;
	int r = seccomp_program_load(p, sock >= 0 ? &listener : NULL);
	if (r < 0)
		return run_error(e, r, "linux.seccomp: cannot load the filter: %m");
	if (listener < 0)
		return 0;
	r = send_tagged(sock, SYNC_SECCOMP, NULL, 0, listener);
	if (r < 0)
		return run_error(e, r, "linux.seccomp: cannot pass the listener on: %m");
	return 0;
}

int process_apply(const RunConfig *cfg, const SeccompProgram *seccomp, int listener_sock,
		  int cap_last_cap, const char *const *lsm_names, char *exe, size_t exe_len,
		  RunError *e)
{
	int r;

	for (size_t i = 0; i < cfg->n_rlimits; i++) {
		struct rlimit rl = {.rlim_cur = cfg->rlimits[i].soft,
				    .rlim_max = cfg->rlimits[i].hard};
		if (setrlimit(cfg->rlimits[i].resource, &rl) < 0)
			return run_error(e, errno, "process.rlimits[%zu]: %m", i);
	}
	r = apply_sched_io_personality(cfg, e);
	if (r < 0)
		return r;

	if (chdir(cfg->cwd) < 0)
		return run_error(e, errno, "process.cwd: %s: %m", cfg->cwd);
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)) || cwd[0] != '/')
		return run_error(e, -EPERM, "process.cwd: %s is not inside the container's root",
				 cfg->cwd);

	/* While every capability is there, before seccomp: effective at execve. */
	r = lsm_apply(cfg, lsm_names, e);
	if (r < 0)
		return r;

	/* Without no_new_privs, only a privileged process may load a filter: do it now. */
	if (seccomp && !cfg->no_new_privileges) {
		r = seccomp_load_and_pass(seccomp, listener_sock, e);
		if (r < 0)
			return r;
	}
	r = setup_user_and_caps(cfg, cap_last_cap, e);
	if (r < 0)
		return r;
	if (cfg->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return run_error(e, errno, "process.noNewPrivileges: %m");
	umask(cfg->has_umask ? cfg->umask : 0022);
	return find_executable(cfg, exe, exe_len, e);
}

int terminal_setup(int sync_fd, int console_dirfd, RunError *e)
{
	_cleanup_close_ int pts = open("/dev/pts", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pts < 0)
		return run_error(e, errno, "process.terminal: /dev/pts: %m");
	if (check_fs(pts, DEVPTS_SUPER_MAGIC) < 0)
		return run_error(e, -EXDEV, "process.terminal: /dev/pts is not a devpts mount");
	_cleanup_close_ int master =
	    openat(pts, "ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
	if (master < 0)
		return run_error(e, errno, "process.terminal: /dev/pts/ptmx: %m");
	int unlock = 0;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return run_error(e, errno, "process.terminal: cannot unlock the pty: %m");
	_cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return run_error(e, errno, "process.terminal: cannot open the pty's peer: %m");
	unsigned n;
	if (ioctl(master, TIOCGPTN, &n) < 0)
		return run_error(e, errno, "process.terminal: TIOCGPTN: %m");
	char name[32], p[64];
	snprintf(name, sizeof(name), "/dev/pts/%u", n);

	if (console_dirfd >= 0) {
		/* The pty is the container's /dev/console too. */
		char q[64];
		if (unlinkat(console_dirfd, "console", 0) < 0 && errno != ENOENT)
			return run_error(e, errno,
					 "process.terminal: cannot replace /dev/console: %m");
		_cleanup_close_ int f =
		    openat(console_dirfd, "console",
			   O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0000);
		if (f < 0)
			return run_error(e, errno,
					 "process.terminal: cannot create /dev/console: %m");
		if (mount(FD_PATH(p, slave), FD_PATH(q, f), NULL, MS_BIND, NULL) < 0)
			return run_error(
			    e, errno, "process.terminal: cannot bind %s on /dev/console: %m", name);
	}
	if (setsid() < 0)
		return run_error(e, errno, "process.terminal: setsid: %m");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return run_error(e, errno,
				 "process.terminal: cannot make %s the controlling terminal: %m",
				 name);
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return run_error(e, errno, "process.terminal: dup2: %m");
	int r = send_tagged(sync_fd, SYNC_TERMINAL, name, strlen(name), master);
	if (r < 0)
		return run_error(e, r, "process.terminal: cannot pass the pty to the runtime: %m");
	return 0;
}

void container_init(const InitContext *ctx)
{
	RunError e = {};
	char exe[4096], c;

	if (setup(ctx, exe, sizeof(exe), &e) < 0)
		init_fail(ctx, &e);
	/*
	 * The listener must reach the runtime before create returns, so a
	 * notifying filter goes on now, not after start: what the init does
	 * from here to execve passes through it.
	 */
	if (ctx->seccomp && ctx->seccomp->notify && ctx->cfg->no_new_privileges &&
	    seccomp_load_and_pass(ctx->seccomp, ctx->sync_fd, &e) < 0)
		init_fail(ctx, &e);
	c = SYNC_READY;
	if (send(ctx->sync_fd, &c, 1, MSG_NOSIGNAL) != 1)
		_exit(1);
	close(ctx->sync_fd);

	/* Blocks until `start` writes into exec.fifo. */
	ssize_t n;
	do
		n = read(ctx->fifo_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(1);
	if (has_hooks(ctx->cfg, HOOK_START_CONTAINER)) {
		RunError he = {};
		if (hooks_run(ctx->cfg, HOOK_START_CONTAINER, hook_state ? hook_state : "{}", &he) <
		    0) {
			dprintf(STDERR_FILENO, "lazuli-run: %s\n", he.msg);
			/* start waits for this (or for the exec) to tell the caller. */
			(void)!write(ctx->fifo_fd, "E", 1);
			_exit(1);
		}
	}
	close(ctx->fifo_fd);
	for (unsigned i = 0; i < ctx->preserve_fds; i++)
		(void)fcntl(3 + (int)i, F_SETFD, 0);

	if (ctx->seccomp && ctx->cfg->no_new_privileges && !ctx->seccomp->notify) {
		int r = seccomp_program_load(ctx->seccomp, NULL);
		if (r < 0) {
			dprintf(STDERR_FILENO,
				"lazuli-run: linux.seccomp: cannot load the filter: %s\n",
				strerror(-r));
			_exit(127);
		}
	}
	execve(exe, ctx->cfg->args, ctx->cfg->env ? ctx->cfg->env : (char *[]){NULL});
	dprintf(STDERR_FILENO, "lazuli-run: exec %s: %s\n", exe, strerror(errno));
	_exit(127);
}
