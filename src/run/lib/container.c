/* SPDX-License-Identifier: MIT */
#include "container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cgroup-systemd.h"
#include "cgroup.h"
#include "oci-config.h"
#include "fileio.h"
#include "hooks.h"
#include "init.h"
#include "intelrdt.h"
#include "lsm.h"
#include "rootsetup.h"
#include "json-util.h"
#include "log.h"
#include "seccomp-filter.h"
#include "strutil.h"
#include "userns.h"

/* Everything create made so far, undone in reverse on failure. */
typedef struct Creation {
	const char *root;
	const char *id;
	int dirfd;
	bool dir_created;
	char *cgroup_path;
	const char *cgroup_v1_mount; /* cgroup v1: where the hierarchies are */
	bool cgroup_created;
	pid_t helper, init;
	bool in_cgroup; /* cloned into it: no need to move the init there */
	bool systemd;	/* the cgroup is a systemd scope, made once the init exists */
	bool systemd_user; /* ... by the calling user's manager */
	RdtGroup rdt;	   /* linux.intelRdt: created says what is ours to remove */
	bool rdt_made;	   /* ... once rdt_group_create made it */
} Creation;

static void remove_state_dir(const char *root, const char *id, int dirfd)
{
	if (dirfd >= 0) {
		(void)unlinkat(dirfd, EXEC_FIFO, 0);
		(void)unlinkat(dirfd, STATE_FILE, 0);
		/* Leftovers of an interrupted atomic write. */
		_cleanup_close_ int d = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *dir = d >= 0 ? fdopendir(TAKE_FD(d)) : NULL;
		if (dir) {
			struct dirent *de;
			while ((de = readdir(dir)))
				if (de->d_name[0] != '.' ||
				    (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")))
					(void)unlinkat(dirfd, de->d_name, 0);
			closedir(dir);
		}
	}
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/%s", root, id) >= 0)
		(void)rmdir(path);
}

static void wait_gone(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	(void)poll(&p, 1, 10000);
	close(fd);
}

/* The last component of a path: a systemd scope's cgroup is named as its unit. */
static const char *path_basename(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static void creation_undo(Creation *c)
{
	if (c->init > 0) {
		kill(c->init, SIGKILL);
		(void)waitpid(c->init, NULL, 0);
	}
	if (c->helper > 0) {
		kill(c->helper, SIGKILL);
		(void)waitpid(c->helper, NULL, 0);
	}
	if (c->cgroup_path) {
		CgroupRef cg = {c->cgroup_path, c->cgroup_v1_mount};
		cgroup_kill_all(&cg, SIGKILL);
		/*
		 * A systemd scope's cgroup is systemd's to remove (see
		 * container_delete); it exists once the scope was started.
		 */
		if (c->systemd && access(c->cgroup_path, F_OK) == 0) {
			RunError ignored = {};
			(void)systemd_scope_stop(path_basename(c->cgroup_path), c->systemd_user,
						 &ignored);
		} else if (c->cgroup_created && !c->systemd)
			(void)cgroup_destroy(&cg, 2000);
	}
	if (c->rdt_made) {
		RunError ignored = {};
		(void)rdt_group_remove(&c->rdt, &ignored);
	}
	rdt_group_done(&c->rdt);
	if (c->dir_created)
		remove_state_dir(c->root, c->id, c->dirfd);
	free(c->cgroup_path);
	if (c->dirfd >= 0)
		close(c->dirfd);
}

/* dir/config.json parsed; its bytes in *ret_buf if asked for. */
int container_read_config(const char *dir, RunConfig **ret, char **ret_buf, size_t *ret_len,
			  RunError *e)
{
	_cleanup_free_ char *path = NULL, *buf = NULL;
	char err[1024];
	size_t len;

	if (asprintf(&path, "%s/config.json", dir) < 0)
		return -ENOMEM;
	int r = read_full_file(path, CONFIG_MAX_SIZE, &buf, &len);
	if (r < 0)
		return run_error(e, r, "%s: %m", path);
	r = run_config_parse(buf, len, ret, err, sizeof(err));
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return run_error(e, r, "%s%s",
				 startswith(err, "config.json:") ? "" : "config.json: ", err);
	if (ret_buf) {
		*ret_buf = TAKE_PTR(buf);
		*ret_len = len;
	}
	return 0;
}

/* Not atomic and not fsync'd: nobody reads it before create is done, and /run is gone after a
 * crash. */
static int write_config_copy(int dirfd, const char *buf, size_t len)
{
	_cleanup_close_ int fd =
	    openat(dirfd, CONFIG_COPY, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return negative_errno();
	return loop_write(fd, buf, len);
}

static int resolve_rootfs(const char *bundle, const RunConfig *cfg, char **ret, RunError *e)
{
	_cleanup_free_ char *joined = NULL;
	const char *p = cfg->root_path;
	if (p[0] != '/') {
		if (asprintf(&joined, "%s/%s", bundle, p) < 0)
			return -ENOMEM;
		p = joined;
	}
	char *real = realpath(p, NULL);
	if (!real)
		return run_error(e, errno, "root.path: %s: %m", p);
	struct stat st;
	if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
		free(real);
		return run_error(e, -ENOTDIR, "root.path: %s: %m", p);
	}
	*ret = real;
	return 0;
}

/* Namespaces to join: opened (and their type checked) before anything is created. */
static int open_namespaces(const RunConfig *cfg, int *fds, RunError *e)
{
	for (size_t i = 0; i < cfg->n_namespaces; i++) {
		fds[i] = -EBADF;
		const RunNamespace *ns = &cfg->namespaces[i];
		if (!ns->path)
			continue;
		fds[i] = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			return run_error(e, errno, "linux.namespaces[%zu].path: %s: %m", i,
					 ns->path);
		int t = ioctl(fds[i], NS_GET_NSTYPE);
		if (t != ns->type)
			return run_error(e, -EINVAL,
					 "linux.namespaces[%zu].path: %s is not a %s namespace", i,
					 ns->path, namespace_to_name(ns->type));
	}
	return 0;
}

static int idmap_tree(int fd, const RunConfig *cfg, const RunMount *m, size_t i, RunError *e);

/*
 * Bind mount sources are cloned here (open_tree), by the host's root in the
 * host's namespaces: the container's init attaches them with move_mount, so
 * it needs no access to the host's directories once it is root of a user
 * namespace, and a missing source fails before anything is created. Idmapped
 * mounts get their mapping here too: that needs the host's privileges.
 */
static int open_mount_source(const RunConfig *cfg, const RunMount *m, size_t i, const char *path,
			     RunError *e)
{
	struct stat st;
	if ((m->extensions & MOUNT_EXT_COPY_SYMLINK) && lstat(path, &st) == 0 &&
	    S_ISLNK(st.st_mode)) {
		/* The init copies the link, it does not mount it. */
		int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		return fd < 0 ? run_error(e, errno, "mounts[%zu].source: %s: %m", i, path) : fd;
	}
	/* A detached copy of the tree: it can be attached in another mount namespace. */
	_cleanup_close_ int fd = mount_source_open_tree(path, m);
	if (fd < 0)
		return run_error(e, fd, "mounts[%zu].source: %s: %m", i, path);
	if (m->extensions & MOUNT_EXT_IDMAP) {
		int r = idmap_tree(fd, cfg, m, i, e);
		if (r < 0)
			return r;
	}
	return TAKE_FD(fd);
}

/*
 * Rootless, we may not clone a tree of the host's mount namespace: the init
 * clones it, once it holds its user namespace's privileges over its own
 * mount namespace (its access to the host's files is ours). The source must
 * exist now all the same.
 */
static int check_mount_source(const RunMount *m, size_t i, const char *path, char **ret,
			      RunError *e)
{
	struct stat st;
	bool nofollow = m->extensions & MOUNT_EXT_SRC_NOFOLLOW;
	if ((nofollow ? lstat(path, &st) : stat(path, &st)) < 0)
		return run_error(e, errno, "mounts[%zu].source: %s: %m", i, path);
	*ret = strdup(path);
	return *ret ? 0 : -ENOMEM;
}

static int open_mount_sources(const RunConfig *cfg, const char *bundle, bool rootless, int **ret,
			      char ***ret_paths, RunError *e)
{
	int *fds = calloc(cfg->n_mounts + 1, sizeof(int));
	char **paths = calloc(cfg->n_mounts + 1, sizeof(char *));
	if (!fds || !paths) {
		free(fds);
		free(paths);
		return -ENOMEM;
	}
	*ret = fds;
	*ret_paths = paths;
	for (size_t i = 0; i < cfg->n_mounts; i++)
		fds[i] = -EBADF;
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const RunMount *m = &cfg->mounts[i];
		if (!m->bind || (m->extensions & MOUNT_EXT_REMOUNT))
			continue;
		_cleanup_free_ char *path = NULL;
		if (m->source[0] != '/' && asprintf(&path, "%s/%s", bundle, m->source) < 0)
			return -ENOMEM;
		struct stat st;
		if (rootless &&
		    !((m->extensions & MOUNT_EXT_COPY_SYMLINK) &&
		      lstat(path ? path : m->source, &st) == 0 && S_ISLNK(st.st_mode))) {
			int r = check_mount_source(m, i, path ? path : m->source, &paths[i], e);
			if (r < 0)
				return r;
			continue;
		}
		fds[i] = open_mount_source(cfg, m, i, path ? path : m->source, e);
		if (fds[i] < 0)
			return fds[i];
	}
	return 0;
}

static pid_t raw_clone(unsigned long flags)
{
	/* With no stack, clone(2) returns twice like fork(2). */
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

/*
 * A user namespace with these mappings, for an idmapped mount: a child is
 * cloned into a new one, its maps are written, the namespace is opened
 * through /proc and the child is killed. Returns the namespace's fd.
 */
static int userns_with_mappings(const RunIdMap *uids, size_t n_uids, const char *uid_field,
				const RunIdMap *gids, size_t n_gids, const char *gid_field,
				RunError *e)
{
	pid_t pid = raw_clone(CLONE_NEWUSER);
	if (pid < 0)
		return run_error(e, errno, "%s: cannot create a user namespace: %m", uid_field);
	if (pid == 0) {
		/* Held only until the namespace is opened; never outlives the runtime. */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	char path[64];
	int r = userns_write_maps(pid, uids, n_uids, uid_field, gids, n_gids, gid_field, e);
	if (r >= 0) {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		r = open(path, O_RDONLY | O_CLOEXEC);
		if (r < 0)
			r = run_error(e, errno, "%s: %s: %m", uid_field, path);
	}
	kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
	return r;
}

/* idmap, ridmap: the detached tree fd shows the files' owners through the mount's mappings. */
static int idmap_tree(int fd, const RunConfig *cfg, const RunMount *m, size_t i, RunError *e)
{
	char uf[64], gf[64];
	bool own = m->n_uid_mappings > 0;
	if (own) {
		snprintf(uf, sizeof(uf), "mounts[%zu].uidMappings", i);
		snprintf(gf, sizeof(gf), "mounts[%zu].gidMappings", i);
	}
	_cleanup_close_ int userns = userns_with_mappings(
	    own ? m->uid_mappings : cfg->uid_mappings,
	    own ? m->n_uid_mappings : cfg->n_uid_mappings, own ? uf : "linux.uidMappings",
	    own ? m->gid_mappings : cfg->gid_mappings,
	    own ? m->n_gid_mappings : cfg->n_gid_mappings, own ? gf : "linux.gidMappings", e);
	if (userns < 0)
		return userns;
	bool recursive = m->extensions & MOUNT_EXT_IDMAP_RECURSIVE;
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
	if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
			  sizeof(attr)) < 0)
		return run_error(e, errno,
				 "mounts[%zu].options: \"%s\": cannot idmap %s for %s: %m", i,
				 recursive ? "ridmap" : "idmap", m->source, m->destination);
	return 0;
}

/* struct clone_args of clone3(2), up to the cgroup field (kernel 5.7). */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
	    set_tid_size, cgroup;
};
#define CLONE3_INTO_CGROUP 0x200000000ULL

/*
 * Clone straight into the container's cgroup: moving a running process
 * there afterwards costs the kernel an RCU grace period (5-10 ms here).
 * Returns a negative errno when clone3 cannot do it; the caller then
 * clones and moves the process.
 */
static pid_t clone_into_cgroup(unsigned long flags, int cgroup_fd)
{
	struct clone3_args a = {
	    .flags = flags | CLONE3_INTO_CGROUP,
	    .exit_signal = SIGCHLD,
	    .cgroup = (uint64_t)cgroup_fd,
	};
	pid_t pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
	return pid < 0 ? negative_errno() : pid;
}

static int read_cap_last_cap(void)
{
	char buf[32];
	if (read_small_file("/proc/sys/kernel/cap_last_cap", buf, sizeof(buf)) < 0)
		return capability_max();
	return MIN(atoi(buf), 63);
}

/*
 * Start the init. Without namespaces to join, it is cloned directly;
 * otherwise a helper joins them first and clones the init as our child
 * (CLONE_PARENT), reporting its pid over the socket.
 */
static int spawn_init(const RunConfig *cfg, int *nsfds, InitContext *ictx, int parent_sock,
		      Creation *c, RunError *e)
{
	unsigned long flags = 0;
	bool join = false;

	for (size_t i = 0; i < cfg->n_namespaces; i++) {
		if (cfg->namespaces[i].path)
			join = true;
		else if (cfg->namespaces[i].type != CLONE_NEWCGROUP &&
			 cfg->namespaces[i].type != CLONE_NEWTIME)
			flags |= (unsigned long)cfg->namespaces[i].type; /* those two: the init */
	}

	if (!join) {
		pid_t pid = -ENOSYS;
		if (c->cgroup_path && !c->systemd && !c->cgroup_v1_mount) {
			_cleanup_close_ int cg =
			    open(c->cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (cg >= 0)
				pid = clone_into_cgroup(flags, cg);
			if (pid >= 0)
				c->in_cgroup = true;
		}
		if (pid < 0)
			pid = raw_clone(flags);
		if (pid < 0 && (flags & CLONE_NEWUSER) &&
		    (running_rootless() || running_in_userns()))
			return userns_create_error(errno, e);
		if (pid < 0)
			return run_error(e, errno,
					 "linux.namespaces: cannot create the namespaces: %m");
		if (pid == 0) {
			close(parent_sock);
			container_init(ictx);
		}
		c->init = pid;
		return 0;
	}

	pid_t helper = fork();
	if (helper < 0)
		return run_error(e, errno, "fork: %m");
	if (helper == 0) {
		/* The user namespace first: the others may be owned by it. */
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; i < cfg->n_namespaces; i++) {
				const RunNamespace *ns = &cfg->namespaces[i];
				if (!ns->path || (pass == 0) != (ns->type == CLONE_NEWUSER))
					continue;
				if (setns(nsfds[i], ns->type) < 0) {
					RunError he;
					run_error(&he, errno,
						  "linux.namespaces[%zu].path: cannot join %s: %m",
						  i, ns->path);
					char msg[sizeof(he.msg) + 1] = {SYNC_ERROR};
					size_t n = strlen(he.msg);
					memcpy(msg + 1, he.msg, n);
					(void)!send(ictx->sync_fd, msg, n + 1, MSG_NOSIGNAL);
					_exit(1);
				}
			}
		pid_t pid = raw_clone(flags | CLONE_PARENT);
		if (pid < 0)
			_exit(2);
		if (pid == 0) {
			close(parent_sock);
			container_init(ictx);
		}
		(void)!send(ictx->sync_fd, &pid, sizeof(pid), MSG_NOSIGNAL);
		_exit(0);
	}
	c->helper = helper;

	char buf[sizeof(RunError) + 1];
	ssize_t n = recv(parent_sock, buf, sizeof(buf) - 1, 0);
	int status;
	(void)waitpid(helper, &status, 0);
	c->helper = 0;
	if (n == (ssize_t)sizeof(pid_t)) {
		memcpy(&c->init, buf, sizeof(pid_t));
		return 0;
	}
	if (n > 1 && buf[0] == SYNC_ERROR) {
		buf[n] = '\0';
		return run_error(e, -EINVAL, "%s", buf + 1);
	}
	return run_error(e, -ECHILD, "linux.namespaces: cannot create the container process");
}

/* The init is set up but not yet pivoted: prestart, then createRuntime, here; then it goes on. */
static int run_create_hooks(const RunConfig *cfg, const ContainerState *st, int sock, RunError *e)
{
	_cleanup_free_ char *json = state_to_oci_json(st, STATUS_CREATING, false);
	if (!json)
		return -ENOMEM;
	int r = hooks_run(cfg, HOOK_PRESTART, json, e);
	if (r < 0)
		return r;
	r = hooks_run(cfg, HOOK_CREATE_RUNTIME, json, e);
	if (r < 0)
		return r;
	r = send_tagged(sock, SYNC_GO, json, strlen(json), -1);
	if (r < 0)
		return run_error(e, r, "the container process went away: %m");
	return 0;
}

/* Hooks that only warn (poststart, poststop): returns 1 with the warning in e. */
static int run_late_hooks(const char *root, const ContainerState *s, ContainerStatus st,
			  HookKind kind, RunError *e)
{
	_cleanup_config_ RunConfig *cfg = NULL;
	_cleanup_free_ char *dir = NULL, *json = NULL;
	if (!(s->hooks & (1u << kind)))
		return 0;
	if (asprintf(&dir, "%s/%s", root, s->id) < 0)
		return -ENOMEM;
	int r = container_read_config(dir, &cfg, NULL, NULL, e);
	if (r < 0)
		return 1;
	json = state_to_oci_json(s, st, false);
	if (!json)
		return -ENOMEM;
	return hooks_run(cfg, kind, json, e) < 0 ? 1 : 0;
}

/*
 * The systemd driver: the init (still waiting for our go) becomes the
 * scope's first process, and the limits go into the scope's cgroup as with
 * cgroupfs. systemd decides where the cgroup is; it should be where the
 * slice names say, and the state file already says so.
 */
static int start_scope(Creation *c, const SystemdScope *scope, const char *cgmount,
		       const RunConfig *cfg, RunError *e)
{
	char desc[1100], f[64], buf[4200];
	snprintf(desc, sizeof(desc), "lazuli-run container %s", c->id);
	int r = systemd_scope_start(scope, c->init, &cfg->resources, desc, e);
	if (r < 0)
		return r;
	snprintf(f, sizeof(f), "/proc/%d/cgroup", (int)c->init);
	r = read_small_file(f, buf, sizeof(buf));
	if (r < 0)
		return run_error(e, r, "%s: %m", f);
	char *line = strstr(buf, "0::/");
	if (line && (line == buf || line[-1] == '\n')) {
		line += strlen("0::");
		line[strcspn(line, "\n")] = '\0';
		if (!streq(line + 1, scope->path))
			return run_error(
			    e, -EIO,
			    "linux.cgroupsPath: systemd put the container into %s, not "
			    "/%s",
			    line, scope->path);
	}
	return cgroup_apply(cgmount, &(CgroupRef){c->cgroup_path, NULL}, &cfg->resources, e);
}

/*
 * Rootless, a cgroup is ours only where one was delegated to us (it, or the
 * parent it goes into, is writable). Without one the container gets none,
 * as with crun, unless it asks for limits: those it would not get.
 */
static int rootless_cgroup(const char *cgmount, const RunConfig *cfg, char **path, RunError *e)
{
	int r = cgroup_check_writable(cgmount, *path);
	if (r >= 0)
		return 0;
	char who[64];
	if (cgroup_resources_requested(&cfg->resources))
		return run_error(e, r,
				 "linux.resources: limits need a cgroup, and running rootless "
				 "(%s) cannot create %s: %m (set linux.cgroupsPath to a cgroup "
				 "delegated to this user, or drop the limits)",
				 rootless_who(who, sizeof(who)), *path);
	log_debug("rootless and %s is not writable (%s): the container gets no cgroup of its own",
		  *path, strerror(-r));
	free(*path);
	*path = NULL;
	return 0;
}

static int create_in(Creation *c, const CreateOptions *o, RunError *e)
{
	_cleanup_config_ RunConfig *cfg = NULL;
	_cleanup_free_ char *bundle = NULL, *rootfs = NULL, *dir = NULL, *config_buf = NULL;
	_cleanup_free_ char *keyring = NULL;
	_cleanup_close_ int fifo = -EBADF, pty = -EBADF;
	size_t config_len = 0;
	SeccompProgram prog = {};
	_cleanup_(systemd_scope_done) SystemdScope scope = {};
	char pty_name[32] = "";
	int *mount_fds = NULL;
	char **mount_paths = NULL;
	/* rootless: not root at all; unprivileged: that, or root of a user namespace only. */
	bool rootless = running_rootless();
	bool unprivileged = rootless || running_in_userns();
	int nsfds[16];
	int socks[2] = {-EBADF, -EBADF};
	int r;

	for (size_t i = 0; i < ELEMENTSOF(nsfds); i++)
		nsfds[i] = -EBADF;

	bundle = realpath(o->bundle ? o->bundle : ".", NULL);
	if (!bundle)
		return run_error(e, errno, "bundle %s: %m", o->bundle ? o->bundle : ".");
	r = container_read_config(bundle, &cfg, &config_buf, &config_len, e);
	if (r < 0)
		return r;
	if (cfg->terminal && !o->console_socket && !o->ret_terminal)
		return run_error(e, -EINVAL,
				 "config.json: process.terminal: a terminal needs --console-socket "
				 "(or run in the foreground)");
	for (size_t i = 0; o->extra_env && o->extra_env[i]; i++)
		if (strv_extend(&cfg->env, o->extra_env[i]) < 0)
			return -ENOMEM;
	r = lsm_check(cfg, NULL, e);
	if (r < 0)
		return r;
	r = resolve_rootfs(bundle, cfg, &rootfs, e);
	if (r < 0)
		return r;
	if (cfg->n_namespaces > ELEMENTSOF(nsfds))
		return run_error(e, -E2BIG, "linux.namespaces: too many");
	if (rootless) {
		r = rootless_check_config(cfg, e);
		if (r < 0)
			return r;
	}
	if (cfg->intel_rdt) {
		r = rdt_group_plan(cfg->intel_rdt, c->id, &c->rdt, e);
		if (r < 0)
			return r;
	}
	const char *cgmount = o->cgroup_mount ? o->cgroup_mount : CGROUP_MOUNT;
	bool v2 = cgroup_is_v2(cgmount);
	bool v1 = !v2 && cgroup_is_v1(cgmount);
	if (!v2 && !v1 && cgroup_resources_requested(&cfg->resources))
		return run_error(e, -EOPNOTSUPP,
				 "linux.resources: limits need a cgroup hierarchy, and %s is "
				 "neither a cgroup2 mount nor a tmpfs of cgroup v1 hierarchies",
				 cgmount);
	if ((v2 || v1) && !unprivileged) {
		/*
		 * The container's device rules, with the devices every container has.
		 * In a user namespace (rootless) devices cannot be made, only bound
		 * from the host, and a device program cannot be loaded: runc and crun
		 * leave them out there too.
		 */
		RunDeviceRule *rules;
		size_t n_rules;
		r = cgroup_device_rules(cfg, &rules, &n_rules);
		if (r < 0)
			return r;
		free(cfg->resources.devices);
		cfg->resources.devices = rules;
		cfg->resources.n_devices = n_rules;
		cfg->resources.has_devices = true;
	}
	if (o->systemd_cgroup) {
		if (!v2)
			return run_error(
			    e, -EOPNOTSUPP,
			    "--systemd-cgroup: the systemd cgroup driver needs cgroup v2, "
			    "and %s is not a cgroup2 mount",
			    cgmount);
		/* Rootless, the scope is the user's systemd manager's, as with runc and crun. */
		r = systemd_scope_parse(cfg->cgroups_path, c->id, unprivileged, &scope, e);
		if (r < 0)
			return r;
		r = systemd_scope_locate(&scope, e);
		if (r < 0)
			return r;
	} else if (cfg->cgroups_path && strchr(cfg->cgroups_path, ':'))
		return run_error(e, -EINVAL,
				 "linux.cgroupsPath: \"%s\" is a systemd slice:prefix:name path, "
				 "which needs --systemd-cgroup",
				 cfg->cgroups_path);
	if (cfg->seccomp) {
		r = seccomp_compile_cached(cfg->seccomp, c->root, &prog, e);
		if (r < 0)
			goto out;
	}
	r = open_namespaces(cfg, nsfds, e);
	if (r < 0)
		goto out;
	r = open_mount_sources(cfg, bundle, unprivileged, &mount_fds, &mount_paths, e);
	if (r < 0)
		goto out;

	/* From here on, the state directory exists and failure must remove it. */
	if (mkdir_p(c->root, 0700) < 0) {
		r = run_error(e, errno, "state directory %s: %m", c->root);
		goto out;
	}
	if (asprintf(&dir, "%s/%s", c->root, c->id) < 0) {
		r = -ENOMEM;
		goto out;
	}
	if (mkdir(dir, 0711) < 0) {
		r = errno == EEXIST ? run_error(e, -EEXIST, "container with id exists: %s", c->id)
				    : run_error(e, errno, "state directory %s: %m", dir);
		goto out;
	}
	c->dir_created = true;
	c->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0) {
		r = run_error(e, errno, "%s: %m", dir);
		goto out;
	}
	/* start and delete wait until the container is created (or we died). */
	if (flock(c->dirfd, LOCK_EX) < 0) {
		r = run_error(e, errno, "cannot lock %s: %m", dir);
		goto out;
	}

	char created[48];
	ContainerState st = {
	    .id = (char *)c->id,
	    .oci_version = cfg->oci_version,
	    .bundle = bundle,
	    .rootfs = rootfs,
	    .created = format_rfc3339_nano(created, sizeof(created)),
	    .owner = getuid(),
	    .annotations_json = cfg->annotations_json,
	    .no_new_keyring = o->no_new_keyring,
	    .rdt = c->rdt,
	};
	for (int k = 0; k < _HOOK_MAX; k++)
		if (cfg->n_hooks[k])
			st.hooks |= 1u << k;
	if (scope.path) {
		/* systemd makes it once the init exists; we remove it if create fails. */
		if (asprintf(&c->cgroup_path, "%s/%s", cgmount, scope.path) < 0) {
			c->cgroup_path = NULL;
			r = -ENOMEM;
			goto out;
		}
		c->systemd = c->cgroup_created = true;
		c->systemd_user = st.systemd_user = scope.user;
		st.cgroup_path = c->cgroup_path;
		st.cgroup_created = true;
		st.systemd_scope = true;
	} else if (v2 || v1) {
		r = cgroup_path(cgmount, cfg->cgroups_path, c->id, &c->cgroup_path, e);
		if (r < 0)
			goto out;
		if (unprivileged) {
			r = rootless_cgroup(cgmount, cfg, &c->cgroup_path, e);
			if (r < 0)
				goto out;
		}
		if (c->cgroup_path && v1) {
			/* Ours if the memory (else pids) hierarchy does not have it yet. */
			char probe[4200];
			const char *rel = c->cgroup_path + strlen(cgmount) + 1;
			snprintf(probe, sizeof(probe), "%s/memory", cgmount);
			snprintf(probe, sizeof(probe), "%s/%s/%s", cgmount,
				 access(probe, F_OK) == 0 ? "memory" : "pids", rel);
			c->cgroup_created = access(probe, F_OK) < 0;
			c->cgroup_v1_mount = cgmount;
			st.cgroup_v1_mount = (char *)cgmount;
		} else
			c->cgroup_created = c->cgroup_path && access(c->cgroup_path, F_OK) < 0;
		st.cgroup_path = c->cgroup_path;
		st.cgroup_created = c->cgroup_created;
	} else
		log_debug("%s is no cgroup mount: the container gets no cgroup of its own",
			  cgmount);
	/*
	 * Saved before the cgroup and the init exist: if we are killed from here
	 * on, delete --force knows what to remove.
	 */
	r = state_save(c->dirfd, &st);
	if (r < 0) {
		r = run_error(e, r, "%s/%s: %m", dir, STATE_FILE);
		goto out;
	}
	/* exec, hooks and delete read the config as it was at create. */
	r = write_config_copy(c->dirfd, config_buf, config_len);
	if (r < 0) {
		r = run_error(e, r, "%s/%s: %m", dir, CONFIG_COPY);
		goto out;
	}
	if (c->cgroup_path && !c->systemd) {
		r = cgroup_create(cgmount, &(CgroupRef){c->cgroup_path, c->cgroup_v1_mount},
				  &cfg->resources, e);
		if (r < 0) {
			c->cgroup_created = false; /* cgroup_create removed what it made */
			goto out;
		}
	}
	if (c->rdt.path) {
		r = rdt_group_create(&c->rdt, cfg->intel_rdt, e);
		if (r < 0)
			goto out;
		c->rdt_made = true;
		/* A group that appeared since the plan is not ours: delete must leave it. */
		if (c->rdt.created != st.rdt.created || c->rdt.mon_created != st.rdt.mon_created) {
			st.rdt = c->rdt;
			r = state_save(c->dirfd, &st);
			if (r < 0) {
				r = run_error(e, r, "%s/%s: %m", dir, STATE_FILE);
				goto out;
			}
		}
	}

	if (mkfifoat(c->dirfd, EXEC_FIFO, 0600) < 0) {
		r = run_error(e, errno, "%s/%s: %m", dir, EXEC_FIFO);
		goto out;
	}
	/* O_RDWR never blocks; the init reads from it, start writes into it. */
	fifo = openat(c->dirfd, EXEC_FIFO, O_RDWR | O_CLOEXEC);
	if (fifo < 0) {
		r = run_error(e, errno, "%s/%s: %m", dir, EXEC_FIFO);
		goto out;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks) < 0) {
		r = run_error(e, errno, "socketpair: %m");
		goto out;
	}

	const RunNamespace *userns = run_config_namespace(cfg, CLONE_NEWUSER);
	const RunNamespace *cgns = run_config_namespace(cfg, CLONE_NEWCGROUP);
	const RunNamespace *timens = run_config_namespace(cfg, CLONE_NEWTIME);
	InitContext ictx = {
	    .cfg = cfg,
	    .rootfs = rootfs,
	    .mount_fds = mount_fds,
	    .mount_paths = mount_paths,
	    .rootless = rootless,
	    .sync_fd = socks[1],
	    .fifo_fd = fifo,
	    .seccomp = cfg->seccomp ? &prog : NULL,
	    .cap_last_cap = read_cap_last_cap(),
	    .new_userns = userns && !userns->path,
	    .in_userns = userns != NULL || unprivileged,
	    .new_cgroupns = cgns && !cgns->path,
	    .new_timens = timens && !timens->path,
	    .preserve_fds = o->preserve_fds,
	    .no_pivot = o->no_pivot,
	};
	if (!o->no_new_keyring) {
		keyring = session_keyring_name(c->id);
		if (!keyring) {
			r = -ENOMEM;
			goto out;
		}
		ictx.session_keyring = keyring;
	}
	r = spawn_init(cfg, nsfds, &ictx, socks[0], c, e);
	close(socks[1]);
	socks[1] = -EBADF;
	if (r < 0)
		goto out;
	/*
	 * Name the container on the cgroup we made (systemd's scope exists
	 * once the init does): lazuli-metrics, which runs unprivileged and
	 * cannot read our state directory, labels the cgroup from this.
	 */
	if (c->cgroup_path && c->cgroup_created && !c->cgroup_v1_mount &&
	    setxattr(c->cgroup_path, CGROUP_ID_XATTR, c->id, strlen(c->id), 0) < 0)
		log_debug("%s: cannot set %s: %m", c->cgroup_path, CGROUP_ID_XATTR);

	st.pid = c->init;
	st.start_time = process_start_time(c->init);
	r = state_save(c->dirfd, &st);
	if (r < 0) {
		r = run_error(e, r, "%s/%s: %m", dir, STATE_FILE);
		goto out;
	}

	if (ictx.new_userns) {
		r = userns_write_maps(c->init, cfg->uid_mappings, cfg->n_uid_mappings,
				      "linux.uidMappings", cfg->gid_mappings, cfg->n_gid_mappings,
				      "linux.gidMappings", e);
		if (r < 0)
			goto out;
	}
	if (c->systemd) {
		r = start_scope(c, &scope, cgmount, cfg, e);
		if (r < 0)
			goto out;
	} else if (c->cgroup_path && !c->in_cgroup) {
		r = cgroup_enter(&(CgroupRef){c->cgroup_path, c->cgroup_v1_mount}, c->init, e);
		if (r < 0)
			goto out;
	}
	/* The init waits for SYNC_GO: the container's program starts in the group. */
	if (c->rdt.path) {
		r = rdt_group_enter(&c->rdt, c->init, e);
		if (r < 0)
			goto out;
	}
	if (cfg->has_oom_score_adj) {
		char path[64], val[16];
		snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)c->init);
		snprintf(val, sizeof(val), "%d", cfg->oom_score_adj);
		r = write_file_at(AT_FDCWD, path, val);
		if (r < 0) {
			r = run_error(e, r, "process.oomScoreAdj: %m");
			goto out;
		}
	}

	char go = SYNC_GO, buf[sizeof(RunError) + 1];
	if (send(socks[0], &go, 1, MSG_NOSIGNAL) != 1) {
		r = run_error(e, errno, "the container process went away: %m");
		goto out;
	}
	for (;;) {
		int fd;
		ssize_t n = recv_tagged(socks[0], buf, sizeof(buf) - 1, &fd);
		if (n == 1 && buf[0] == SYNC_HOOKS) {
			r = run_create_hooks(cfg, &st, socks[0], e);
			if (r < 0)
				break;
			continue;
		}
		if (n == 1 && buf[0] == SYNC_SECCOMP && fd >= 0) {
			r = seccomp_send_listener(cfg->seccomp, &st, STATUS_CREATING, c->init, fd,
						  e);
			close(fd);
			if (r < 0)
				break;
			continue;
		}
		if (n > 1 && buf[0] == SYNC_TERMINAL && fd >= 0 && pty < 0) {
			buf[n] = '\0';
			pty = fd;
			snprintf(pty_name, sizeof(pty_name), "%.31s", buf + 1);
			continue;
		}
		if (fd >= 0)
			close(fd);
		if (n == 1 && buf[0] == SYNC_READY)
			r = 0;
		else if (n > 1 && buf[0] == SYNC_ERROR) {
			buf[n] = '\0';
			r = run_error(e, -EINVAL, "%s", buf + 1);
		} else
			r = run_error(e, -ECHILD, "the container process exited during setup");
		break;
	}
	if (r < 0)
		goto out;
	if (cfg->terminal && pty < 0) {
		r = run_error(e, -EPROTO, "process.terminal: the container sent no pty");
		goto out;
	}
	if (pty >= 0 && o->console_socket) {
		r = send_fd_to_socket(o->console_socket, pty, pty_name);
		if (r < 0) {
			r = run_error(e, r, "--console-socket %s: %m", o->console_socket);
			goto out;
		}
	} else if (pty >= 0)
		*o->ret_terminal = TAKE_FD(pty);

	if (o->pid_file) {
		char val[32];
		int k = snprintf(val, sizeof(val), "%d", (int)c->init);
		r = write_file_atomic(o->pid_file, val, (size_t)k, 0644);
		if (r < 0) {
			r = run_error(e, r, "--pid-file %s: %m", o->pid_file);
			goto out;
		}
	}
out:
	if (socks[0] >= 0)
		close(socks[0]);
	if (socks[1] >= 0)
		close(socks[1]);
	for (size_t i = 0; i < ELEMENTSOF(nsfds); i++)
		if (nsfds[i] >= 0)
			close(nsfds[i]);
	seccomp_program_done(&prog);
	for (size_t i = 0; mount_fds && i < cfg->n_mounts; i++)
		if (mount_fds[i] >= 0)
			close(mount_fds[i]);
	free(mount_fds);
	for (size_t i = 0; mount_paths && i < cfg->n_mounts; i++)
		free(mount_paths[i]);
	free(mount_paths);
	return r;
}

int container_create(const char *root, const char *id, const CreateOptions *o, pid_t *ret_pid,
		     RunError *e)
{
	Creation c = {.root = root, .id = id, .dirfd = -EBADF};

	if (!container_id_is_valid(id))
		return run_error(e, -EINVAL, "invalid container id \"%s\"", id);
	int r = create_in(&c, o, e);
	if (r < 0) {
		creation_undo(&c);
		return r;
	}
	*ret_pid = c.init;
	free(c.cgroup_path);
	rdt_group_done(&c.rdt);
	close(c.dirfd);
	return 0;
}

static int lock_container(const char *root, const char *id, RunError *e)
{
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/%s", root, id) < 0)
		return -ENOMEM;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return run_error(e, errno == ENOENT ? -ENOENT : errno,
				 "container \"%s\" does not exist", id);
	if (flock(fd, LOCK_EX) < 0) {
		int r = run_error(e, errno, "cannot lock %s: %m", dir);
		close(fd);
		return r;
	}
	return fd;
}

/*
 * With startContainer hooks the init runs them after start's go, and only
 * then executes the program: wait for one or the other, so that a failing
 * hook fails start, as the spec asks (the init has exited: the container
 * is stopped). The init's executable (/proc/PID/exe) changes when it execs;
 * when a hook fails it writes "E" into exec.fifo (fifo: our read end)
 * before it exits.
 */
static int wait_started(const ContainerState *s, int fifo, const char *exe,
			const struct stat *exe_before, RunError *e)
{
	_cleanup_close_ int pfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	for (int wait_ms = 1;; wait_ms = MIN(wait_ms * 2, 20)) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		struct stat st;
		if (pfd < 0 || poll(&p, 1, wait_ms) > 0 || stat(exe, &st) < 0) {
			/* It has exited: before the exec, or its program already ran. */
			char c = 0;
			if (read(fifo, &c, 1) != 1)
				return 0;
			if (c == 'E')
				return run_error(
				    e, -ECHILD,
				    "cannot start container \"%s\": a startContainer "
				    "hook failed and the container stopped (the hook's "
				    "error is on the container's stderr)",
				    s->id);
			return run_error(
			    e, -ECHILD,
			    "cannot start container \"%s\": it exited before it started", s->id);
		}
		if (st.st_dev != exe_before->st_dev || st.st_ino != exe_before->st_ino)
			return 0;
	}
}

int container_start(const char *root, const char *id, RunError *e)
{
	_cleanup_state_ ContainerState *s = NULL;
	int r;

	if (!container_id_is_valid(id))
		return run_error(e, -EINVAL, "invalid container id \"%s\"", id);
	_cleanup_close_ int lock = lock_container(root, id, e);
	if (lock < 0)
		return lock;
	r = state_load(root, id, &s, e);
	if (r < 0)
		return r;
	switch (state_status(root, s)) {
	case STATUS_CREATED:
		break;
	case STATUS_STOPPED:
		return run_error(e, -EINVAL, "cannot start a container that has stopped");
	case STATUS_RUNNING:
		return run_error(e, -EINVAL, "cannot start an already running container");
	default:
		return run_error(e, -EINVAL, "cannot start a container in the creating state");
	}
	/* Non-blocking: if the init is no longer waiting there is no reader (ENXIO). */
	_cleanup_close_ int fd = openat(lock, EXEC_FIFO, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return run_error(e, errno, "cannot start container \"%s\": exec.fifo: %m", id);
	_cleanup_close_ int rfifo = -EBADF;
	if ((s->hooks & (1u << HOOK_START_CONTAINER)) &&
	    (rfifo = openat(lock, EXEC_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return run_error(e, errno, "cannot start container \"%s\": exec.fifo: %m", id);
	if (unlinkat(lock, EXEC_FIFO, 0) < 0)
		return run_error(e, errno, "cannot start container \"%s\": exec.fifo: %m", id);
	bool hooks = s->hooks & (1u << HOOK_START_CONTAINER);
	char exe[64];
	struct stat exe_before;
	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)s->pid);
	if (hooks && stat(exe, &exe_before) < 0)
		return run_error(e, errno, "cannot start container \"%s\": %s: %m", id, exe);
	if (write(fd, "0", 1) != 1)
		return run_error(e, errno, "cannot start container \"%s\": exec.fifo: %m", id);
	if (hooks) {
		r = wait_started(s, rfifo, exe, &exe_before, e);
		if (r < 0)
			return r;
	}
	return run_late_hooks(root, s, STATUS_RUNNING, HOOK_POSTSTART, e);
}

/*
 * Without a cgroup of its own (rootless, not delegated) a container's
 * processes are those of its pid namespace, if it has one: every process
 * whose /proc/PID/ns/pid is the init's. Those we cannot look at (other ids
 * of a newuidmap mapping) we could not signal either. Returns the count,
 * the init first, alone if it shares our pid namespace.
 */
static int pidns_pids(const ContainerState *s, pid_t **ret)
{
	char path[64];
	struct stat init_ns, own_ns;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0, cap = 0;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)s->pid);
	bool own = stat(path, &init_ns) == 0 && stat("/proc/self/ns/pid", &own_ns) == 0 &&
		   (init_ns.st_dev != own_ns.st_dev || init_ns.st_ino != own_ns.st_ino);
	DIR *d = own ? opendir("/proc") : NULL;
	for (struct dirent *de; d && (de = readdir(d));) {
		unsigned long long pid;
		struct stat st;
		if (safe_atou64(de->d_name, &pid) < 0 || pid == (unsigned long long)s->pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%llu/ns/pid", pid);
		/* A zombie has left, as it has left its cgroup. */
		if (stat(path, &st) < 0 || st.st_dev != init_ns.st_dev ||
		    st.st_ino != init_ns.st_ino || process_start_time((pid_t)pid) == 0)
			continue;
		if (n + 2 >= cap) {
			cap = cap ? cap * 2 : 16;
			pid_t *p = realloc(pids, cap * sizeof(pid_t));
			if (!p) {
				closedir(d);
				return -ENOMEM;
			}
			pids = p;
		}
		pids[n++] = (pid_t)pid;
	}
	if (d)
		closedir(d);
	pid_t *p = realloc(pids, (n + 2) * sizeof(pid_t));
	if (!p)
		return -ENOMEM;
	pids = p;
	/* The init first, as in its namespace. */
	memmove(pids + 1, pids, n * sizeof(pid_t));
	pids[0] = s->pid;
	pids[++n] = -1;
	*ret = TAKE_PTR(pids);
	return (int)n;
}

static int signal_pid(const ContainerState *s, int sig)
{
	_cleanup_close_ int fd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	if (fd < 0)
		return negative_errno();
	/* The pid may have been reused between reading the state and opening it. */
	if (process_start_time(s->pid) != s->start_time)
		return -ESRCH;
	if (syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0)
		return negative_errno();
	return 0;
}

int container_kill(const char *root, const char *id, int sig, bool all, RunError *e)
{
	_cleanup_state_ ContainerState *s = NULL;
	int r = state_load(root, id, &s, e);
	if (r < 0)
		return r;
	ContainerStatus st = state_status(root, s);
	if (st != STATUS_CREATED && st != STATUS_RUNNING && st != STATUS_PAUSED)
		return run_error(e, -ESRCH, "container not running");
	if (all && s->cgroup_path) {
		r = cgroup_kill_all(&(CgroupRef){s->cgroup_path, s->cgroup_v1_mount}, sig);
		if (r < 0)
			return run_error(e, r, "cannot signal the processes of %s: %m",
					 s->cgroup_path);
		return 0;
	}
	if (all) {
		_cleanup_free_ pid_t *pids = NULL;
		r = pidns_pids(s, &pids);
		if (r < 0)
			return r;
		/* The others first: once the init is gone, so is its namespace. */
		for (size_t i = 1; pids[i] >= 0; i++)
			(void)kill(pids[i], sig);
	}
	r = signal_pid(s, sig);
	if (r < 0)
		return run_error(e, r, "cannot signal container \"%s\": %m", id);
	return 0;
}

int container_pause(const char *root, const char *id, bool pause, RunError *e)
{
	_cleanup_state_ ContainerState *s = NULL;
	int r;

	if (!container_id_is_valid(id))
		return run_error(e, -EINVAL, "invalid container id \"%s\"", id);
	_cleanup_close_ int lock = lock_container(root, id, e);
	if (lock < 0)
		return lock;
	r = state_load(root, id, &s, e);
	if (r < 0)
		return r;
	ContainerStatus st = state_status(root, s);
	if (pause && st != STATUS_RUNNING && st != STATUS_CREATED)
		return run_error(e, -EINVAL, "container not running or created: %s",
				 status_to_string(st));
	if (!pause && st != STATUS_PAUSED)
		return run_error(e, -EINVAL, "container not paused");
	if (!s->cgroup_path)
		return run_error(e, -EOPNOTSUPP,
				 "container \"%s\" has no cgroup of its own to freeze (rootless, "
				 "that needs a cgroup delegated to the user)",
				 id);
	CgroupRef cg = {s->cgroup_path, s->cgroup_v1_mount};
	r = cgroup_freeze(&cg, pause, 5000);
	if (r == -EOPNOTSUPP)
		return run_error(e, r,
				 "cannot %s container \"%s\": the freezer controller is "
				 "not mounted",
				 pause ? "pause" : "resume", id);
	if (r < 0) {
		if (pause)
			(void)cgroup_freeze(&cg, false, 1000);
		return run_error(e, r, "cannot %s %s: %m", pause ? "freeze" : "thaw",
				 s->cgroup_path);
	}
	return 0;
}

/* The state of a container update may change, locked (*ret_lock) until the caller is done. */
static int lock_for_update(const char *root, const char *id, int *ret_lock, ContainerState **ret,
			   RunError *e)
{
	if (!container_id_is_valid(id))
		return run_error(e, -EINVAL, "invalid container id \"%s\"", id);
	_cleanup_close_ int lock = lock_container(root, id, e);
	if (lock < 0)
		return lock;
	int r = state_load(root, id, ret, e);
	if (r < 0)
		return r;
	if (state_status(root, *ret) == STATUS_STOPPED)
		return run_error(e, -EINVAL, "cannot update a stopped container \"%s\"", id);
	*ret_lock = TAKE_FD(lock);
	return 0;
}

int container_update(const char *root, const char *id, const char *cgroup_mount,
		     const RunResources *res, RunError *e)
{
	_cleanup_state_ ContainerState *s = NULL;
	_cleanup_close_ int lock = -EBADF;
	int r = lock_for_update(root, id, &lock, &s, e);
	if (r < 0)
		return r;
	if (!s->cgroup_path)
		return run_error(e, -EOPNOTSUPP,
				 "container \"%s\" has no cgroup of its own to update (rootless, "
				 "that needs a cgroup delegated to the user)",
				 id);
	const char *mount = s->cgroup_v1_mount ? s->cgroup_v1_mount
			    : cgroup_mount     ? cgroup_mount
					       : CGROUP_MOUNT;
	if (!startswith(s->cgroup_path, mount) || s->cgroup_path[strlen(mount)] != '/')
		return run_error(e, -EINVAL, "cgroup %s is not below %s", s->cgroup_path, mount);
	return cgroup_apply(mount, &(CgroupRef){s->cgroup_path, s->cgroup_v1_mount}, res, e);
}

int container_update_rdt(const char *root, const char *id, const char *l3_cache_schema,
			 const char *mem_bw_schema, RunError *e)
{
	_cleanup_state_ ContainerState *s = NULL;
	_cleanup_close_ int lock = -EBADF;
	int r = lock_for_update(root, id, &lock, &s, e);
	if (r < 0)
		return r;
	if (!s->rdt.path)
		return run_error(e, -EINVAL,
				 "container %s has no Intel RDT group (its config.json has no "
				 "linux.intelRdt)",
				 id);
	RunIntelRdt schemas = {.l3_cache_schema = (char *)l3_cache_schema,
			       .mem_bw_schema = (char *)mem_bw_schema};
	return rdt_write_schemata(s->rdt.path, &schemas, true, e);
}

int container_pids(const char *root, const char *id, pid_t **ret, RunError *e)
{
	_cleanup_state_ ContainerState *s = NULL;
	int r = state_load(root, id, &s, e);
	if (r < 0)
		return r;
	ContainerStatus st = state_status(root, s);
	if (st == STATUS_STOPPED || st == STATUS_CREATING) {
		*ret = calloc(1, sizeof(pid_t));
		if (!*ret)
			return -ENOMEM;
		(*ret)[0] = -1;
		return 0;
	}
	if (s->cgroup_path) {
		r = cgroup_pids(&(CgroupRef){s->cgroup_path, s->cgroup_v1_mount}, ret);
		if (r < 0)
			return run_error(e, r, "cannot read %s/cgroup.procs: %m", s->cgroup_path);
		return r;
	}
	return pidns_pids(s, ret);
}

int container_delete(const char *root, const char *id, bool force, RunError *e)
{
	_cleanup_state_ ContainerState *s = NULL;
	bool stop_failed = false;
	int r;

	if (!container_id_is_valid(id))
		return run_error(e, -EINVAL, "invalid container id \"%s\"", id);
	_cleanup_close_ int lock = lock_container(root, id, e);
	if (lock < 0)
		return force && lock == -ENOENT ? 0 : lock;
	r = state_load(root, id, &s, e);
	if (r == -ENOENT) {
		/* create was interrupted before it saved any state: nothing else to undo. */
		remove_state_dir(root, id, lock);
		return force ? 0 : r;
	}
	if (r < 0)
		return r;
	ContainerStatus st = state_status(root, s);
	if (st != STATUS_STOPPED) {
		if (!force)
			return run_error(e, -EBUSY,
					 "cannot delete container %s that is not stopped: %s", id,
					 status_to_string(st));
		if (s->cgroup_path && s->cgroup_created)
			cgroup_kill_all(&(CgroupRef){s->cgroup_path, s->cgroup_v1_mount}, SIGKILL);
		if (s->pid > 0 && signal_pid(s, SIGKILL) == 0)
			wait_gone(s->pid);
	}
	/* A cgroup we did not make may hold other processes: leave it alone. */
	if (s->cgroup_path && s->cgroup_created) {
		CgroupRef cg = {s->cgroup_path, s->cgroup_v1_mount};
		if (cgroup_is_populated(&cg))
			cgroup_kill_all(&cg, SIGKILL);
		(void)cgroup_freeze(&cg, false, 0);
		/*
		 * A systemd scope is stopped through systemd, which removes its
		 * cgroup, as runc does: once delete returns, the unit is gone.
		 * Never rmdir'd by us: removed before systemd saw it empty, the
		 * scope would stay active for good. If systemd cannot be asked,
		 * it still stops the scope once it sees the cgroup empty: a
		 * warning, not an error.
		 */
		if (s->systemd_scope)
			stop_failed = systemd_scope_stop(path_basename(s->cgroup_path),
							 s->systemd_user, e) < 0;
		else if ((r = cgroup_destroy(&cg, 5000)) < 0)
			return run_error(e, r, "cannot remove cgroup %s: %m", s->cgroup_path);
	}
	/* Only the resctrl directories create made: a pre-made class of service is shared. */
	r = rdt_group_remove(&s->rdt, e);
	if (r < 0)
		return r;
	/* The container is gone; its config.json (for the hooks) goes with the directory. */
	r = run_late_hooks(root, s, STATUS_STOPPED, HOOK_POSTSTOP, e);
	remove_state_dir(root, id, lock);
	return r == 0 && stop_failed ? 1 : r;
}

int container_wait(pid_t pid)
{
	int status;
	pid_t r;
	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return 255;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int container_list_ids(const char *root, char ***ret, RunError *e)
{
	_cleanup_strv_free_ char **ids = NULL;
	DIR *d = opendir(root);
	if (!d) {
		if (errno == ENOENT) {
			*ret = calloc(1, sizeof(char *));
			return *ret ? 0 : -ENOMEM;
		}
		return run_error(e, errno, "%s: %m", root);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!container_id_is_valid(de->d_name) || de->d_type != DT_DIR)
			continue;
		if (strv_extend(&ids, de->d_name) < 0) {
			closedir(d);
			return -ENOMEM;
		}
	}
	closedir(d);
	if (!ids)
		ids = calloc(1, sizeof(char *));
	if (!ids)
		return -ENOMEM;
	qsort(ids, strv_length(ids), sizeof(char *), cmp_str);
	*ret = TAKE_PTR(ids);
	return 0;
}

int signal_from_string(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} table[] = {
	    {"HUP", SIGHUP},	   {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
	    {"TRAP", SIGTRAP},	   {"ABRT", SIGABRT}, {"IOT", SIGIOT},	     {"BUS", SIGBUS},
	    {"FPE", SIGFPE},	   {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
	    {"USR2", SIGUSR2},	   {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
	    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
	    {"TSTP", SIGTSTP},	   {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
	    {"XCPU", SIGXCPU},	   {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
	    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
	    {"SYS", SIGSYS},
	};
	unsigned long long n;

	if (isempty(s))
		return -EINVAL;
	if (safe_atou64(s, &n) == 0)
		return n >= 1 && n <= (unsigned long long)SIGRTMAX ? (int)n : -EINVAL;
	const char *name = startswith_no_case(s, "SIG") ? s + 3 : s;
	for (size_t i = 0; i < ELEMENTSOF(table); i++)
		if (strcasecmp(name, table[i].name) == 0)
			return table[i].sig;
	const char *rt = startswith_no_case(name, "RTMIN");
	if (rt) {
		if (*rt == '\0')
			return SIGRTMIN;
		if (*rt == '+' && safe_atou64(rt + 1, &n) == 0 && SIGRTMIN + (int)n <= SIGRTMAX)
			return SIGRTMIN + (int)n;
	}
	rt = startswith_no_case(name, "RTMAX");
	if (rt) {
		if (*rt == '\0')
			return SIGRTMAX;
		if (*rt == '-' && safe_atou64(rt + 1, &n) == 0 && SIGRTMAX - (int)n >= SIGRTMIN)
			return SIGRTMAX - (int)n;
	}
	return -EINVAL;
}
