/* SPDX-License-Identifier: MIT */
/*
 * exec: a new process in a created or running container. The runtime
 * clones a helper straight into the container's cgroup; the helper turns
 * non-dumpable, joins all of the init's namespaces at once through its
 * pidfd, and clones the process as the runtime's child (so it lands in the
 * container's pid namespace and the runtime can wait for it). The process
 * applies the process section and execs; the close-on-exec sync socket
 * tells the runtime whether it got there.
 *
 *   helper  -> runtime  'P' pid_t   the process that will exec
 *   process -> runtime  'T' name    process.terminal: the pty master (fd)
 *   any     -> runtime  'E' text    failed; end of stream alone means exec'd
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "container.h"
#include "fileio.h"
#include "init.h"
#include "lsm.h"
#include "oci-config.h"
#include "rootsetup.h"
#include "seccomp-filter.h"
#include "strutil.h"

_noreturn_ static void child_fail(int sock, const RunError *e, int status)
{
	(void)send_tagged(sock, SYNC_ERROR, e->msg, strlen(e->msg), -1);
	_exit(status);
}

static int env_set(char ***env, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t n = (size_t)(eq - kv);
	size_t k = 0;
	for (size_t i = 0; *env && (*env)[i]; i++) {
		if (strneq((*env)[i], kv, n) && (*env)[i][n] == '=')
			free((*env)[i]);
		else
			(*env)[k++] = (*env)[i];
	}
	if (*env)
		(*env)[k] = NULL;
	return strv_extend(env, kv);
}

static int replace_string(char **p, const char *s)
{
	char *c = strdup(s);
	if (!c)
		return -ENOMEM;
	free(*p);
	*p = c;
	return 0;
}

/* The container's config.json with the process that exec runs. */
static int exec_config(const char *dir, const ExecOptions *o, RunConfig **ret, RunError *e)
{
	_cleanup_config_ RunConfig *cfg = NULL;
	int r = container_read_config(dir, &cfg, NULL, NULL, e);
	if (r < 0)
		return r;

	if (o->process_file) {
		_cleanup_free_ char *buf = NULL;
		size_t len;
		char err[1024];
		r = read_full_file(o->process_file, CONFIG_MAX_SIZE, &buf, &len);
		if (r < 0)
			return run_error(e, r, "--process %s: %m", o->process_file);
		r = run_config_replace_process(cfg, buf, len, err, sizeof(err));
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return run_error(e, r, "--process %s: %s", o->process_file, err);
		*ret = TAKE_PTR(cfg);
		return 0;
	}

	if (!o->args || !o->args[0] || isempty(o->args[0]))
		return run_error(e, -EINVAL, "exec: a command is required (or --process FILE)");
	strv_free(cfg->args);
	cfg->args = NULL;
	for (size_t i = 0; o->args[i]; i++)
		if (strv_extend(&cfg->args, o->args[i]) < 0)
			return -ENOMEM;
	if (o->cwd) {
		if (o->cwd[0] != '/')
			return run_error(e, -EINVAL, "--cwd: must be an absolute path, not \"%s\"",
					 o->cwd);
		free(cfg->cwd);
		cfg->cwd = strdup(o->cwd);
		if (!cfg->cwd)
			return -ENOMEM;
	}
	for (size_t i = 0; o->env && o->env[i]; i++) {
		if (!strchr(o->env[i], '=') || o->env[i][0] == '=')
			return run_error(e, -EINVAL, "--env %s: must have the form KEY=value",
					 o->env[i]);
		if (env_set(&cfg->env, o->env[i]) < 0)
			return -ENOMEM;
	}
	if (o->has_user)
		cfg->uid = o->uid;
	if (o->has_gid)
		cfg->gid = o->gid;
	for (size_t i = 0; o->caps && o->caps[i]; i++) {
		int cap = capability_from_name(o->caps[i]);
		if (cap < 0)
			return run_error(e, -EINVAL, "--cap %s: unknown capability", o->caps[i]);
		uint64_t bit = UINT64_C(1) << cap;
		cfg->caps[CAP_SET_BOUNDING] |= bit;
		cfg->caps[CAP_SET_EFFECTIVE] |= bit;
		cfg->caps[CAP_SET_PERMITTED] |= bit;
		/* Ambient needs inheritable, which --cap does not add. */
		if (cfg->caps[CAP_SET_INHERITABLE])
			cfg->caps[CAP_SET_AMBIENT] |= bit;
	}
	if (o->no_new_privs)
		cfg->no_new_privileges = true;
	/* The container's profile and label unless these name others, as with runc. */
	if (o->apparmor_profile && replace_string(&cfg->apparmor_profile, o->apparmor_profile) < 0)
		return -ENOMEM;
	if (o->process_label && replace_string(&cfg->selinux_label, o->process_label) < 0)
		return -ENOMEM;
	if (o->n_additional_gids > 0) {
		gid_t *g =
		    reallocarray(cfg->additional_gids,
				 cfg->n_additional_gids + o->n_additional_gids, sizeof(gid_t));
		if (!g)
			return -ENOMEM;
		memcpy(g + cfg->n_additional_gids, o->additional_gids,
		       o->n_additional_gids * sizeof(gid_t));
		cfg->additional_gids = g;
		cfg->n_additional_gids += o->n_additional_gids;
	}
	cfg->terminal = o->tty;
	*ret = TAKE_PTR(cfg);
	return 0;
}

/* What errors call the profile and the label: the flags that set them, else the config's fields. */
static const char *const *lsm_names(const ExecOptions *o, const char *names[2])
{
	bool flags = !o->process_file;
	names[0] = flags && o->apparmor_profile ? "--apparmor" : "process.apparmorProfile";
	names[1] = flags && o->process_label ? "--process-label" : "process.selinuxLabel";
	return names;
}

static int ns_flags(const RunConfig *cfg)
{
	int flags = 0;
	for (size_t i = 0; i < cfg->n_namespaces; i++)
		flags |= cfg->namespaces[i].type;
	return flags;
}

typedef struct ExecChild {
	const RunConfig *cfg;
	const SeccompProgram *seccomp;
	int sync_fd;
	int cap_last_cap;
	unsigned preserve_fds;
	const char *session_keyring;  /* NULL: the container was made with --no-new-keyring */
	const char *const *lsm_names; /* where the profile and label came from */
} ExecChild;

_noreturn_ static void exec_child(const ExecChild *x)
{
	const RunConfig *cfg = x->cfg;
	RunError e = {};
	char exe[4096];
	int keep[1] = {x->sync_fd};
	int r;

	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	reset_signal_dispositions();
	r = close_fds_except(3 + x->preserve_fds, keep, 1);
	if (r < 0) {
		run_error(&e, r, "cannot close inherited file descriptors: %m");
		child_fail(x->sync_fd, &e, 1);
	}
	/* In the container's cgroup by now: the spec's "after the transition". */
	if (cfg->has_cpus_final &&
	    sched_setaffinity(0, sizeof(cfg->cpus_final), &cfg->cpus_final) < 0) {
		run_error(&e, errno, "process.execCPUAffinity.final: %m");
		child_fail(x->sync_fd, &e, 1);
	}
	if (cfg->terminal && terminal_setup(x->sync_fd, -EBADF, &e) < 0)
		child_fail(x->sync_fd, &e, 1);
	if (x->session_keyring && join_session_keyring(x->session_keyring, false, false, &e) < 0)
		child_fail(x->sync_fd, &e, 1);
	if (process_apply(cfg, x->seccomp, x->sync_fd, x->cap_last_cap, x->lsm_names, exe,
			  sizeof(exe), &e) < 0)
		child_fail(x->sync_fd, &e, 1);
	if (x->seccomp && cfg->no_new_privileges &&
	    seccomp_load_and_pass(x->seccomp, x->sync_fd, &e) < 0)
		child_fail(x->sync_fd, &e, 1);
	for (unsigned i = 0; i < x->preserve_fds; i++)
		(void)fcntl(3 + (int)i, F_SETFD, 0);
	execve(exe, cfg->args, cfg->env ? cfg->env : (char *[]){NULL});
	run_error(&e, errno, "exec %s: %m", exe);
	child_fail(x->sync_fd, &e, 127);
}

/* struct clone_args of clone3(2), up to the cgroup field (kernel 5.7). */
struct exec_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
	    set_tid_size, cgroup;
};

static pid_t spawn_helper(int cgroup_fd)
{
	if (cgroup_fd >= 0) {
		struct exec_clone_args a = {
		    .flags = 0x200000000ULL /* CLONE_INTO_CGROUP */,
		    .exit_signal = SIGCHLD,
		    .cgroup = (uint64_t)cgroup_fd,
		};
		return (pid_t)syscall(SYS_clone3, &a, sizeof(a));
	}
	return fork();
}

static int read_last_cap(void)
{
	char buf[32];
	if (read_small_file("/proc/sys/kernel/cap_last_cap", buf, sizeof(buf)) < 0)
		return capability_max();
	return MIN(atoi(buf), 63);
}

/*
 * The container's cgroup, or its existing sub-cgroup sub (--cgroup, as runc
 * 1.1: a relative path that stays below it; "/x" means "x" there too).
 */
static int open_exec_cgroup(const ContainerState *s, const char *sub, RunError *e)
{
	_cleanup_close_ int fd = open(s->cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return run_error(e, errno, "cgroup %s: %m", s->cgroup_path);
	if (!sub)
		return TAKE_FD(fd);
	if (strchr(sub, ':'))
		return run_error(e, -EINVAL,
				 "--cgroup %s: cgroup v2 has one hierarchy, no controller: prefix",
				 sub);
	const char *rel = cgroup_sub_path(sub);
	if (!rel)
		return run_error(e, -EINVAL,
				 "--cgroup %s: must name a sub-cgroup of the container's cgroup",
				 sub);
	int sfd = openat(fd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return run_error(e, errno, "--cgroup %s: %s/%s: %m", sub, s->cgroup_path, rel);
	return sfd;
}

static int exec_in(const ContainerState *s, ContainerStatus st, const RunConfig *cfg,
		   const ExecOptions *o, const SeccompProgram *prog, pid_t *ret_pid, int *ret_pty,
		   RunError *e)
{
	_cleanup_close_ int pidfd = -EBADF, cgfd = -EBADF, pty = -EBADF;
	int socks[2];
	pid_t helper, child = 0;
	int r;

	pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	/* The pid may have been reused since the state was read. */
	if (pidfd < 0 || process_start_time(s->pid) != s->start_time)
		return run_error(e, -ESRCH, "cannot exec in container \"%s\": it is not running",
				 s->id);
	/* cgroup v1 has no single directory to clone into: the helper moves itself. */
	_cleanup_strv_free_ char **v1_dirs = NULL;
	size_t n_cgroups = strv_length(o->cgroups);
	if (s->cgroup_path && !s->cgroup_v1_mount) {
		if (n_cgroups > 1)
			return run_error(
			    e, -EINVAL,
			    "--cgroup %s and --cgroup %s: cgroup v2 has one hierarchy, "
			    "so one path",
			    o->cgroups[0], o->cgroups[1]);
		cgfd = open_exec_cgroup(s, n_cgroups ? o->cgroups[0] : NULL, e);
		if (cgfd < 0)
			return cgfd;
	} else if (s->cgroup_path) {
		r = cgroup_v1_exec_dirs(&(CgroupRef){s->cgroup_path, s->cgroup_v1_mount},
					o->cgroups, &v1_dirs, e);
		if (r < 0)
			return r;
	} else if (n_cgroups)
		return run_error(e, -EOPNOTSUPP, "--cgroup %s: the container has no cgroup",
				 o->cgroups[0]);
	/* The keyring the init made: exec'd processes share it, as with runc. */
	_cleanup_free_ char *keyring = NULL;
	if (!s->no_new_keyring) {
		keyring = session_keyring_name(s->id);
		if (!keyring)
			return -ENOMEM;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks) < 0)
		return run_error(e, errno, "socketpair: %m");

	const char *names[2];
	ExecChild x = {
	    .cfg = cfg,
	    .seccomp = prog,
	    .sync_fd = socks[1],
	    .cap_last_cap = read_last_cap(),
	    .preserve_fds = o->preserve_fds,
	    .session_keyring = keyring,
	    .lsm_names = lsm_names(o, names),
	};
	int flags = ns_flags(cfg);
	/*
	 * execCPUAffinity.initial: the helper is cloned with it, and so is on
	 * those CPUs when it lands in the container's cgroup, as the spec asks.
	 * We get our own affinity back after.
	 */
	cpu_set_t ours;
	if (cfg->has_cpus_initial &&
	    (sched_getaffinity(0, sizeof(ours), &ours) < 0 ||
	     sched_setaffinity(0, sizeof(cfg->cpus_initial), &cfg->cpus_initial) < 0)) {
		r = run_error(e, errno, "process.execCPUAffinity.initial: %m");
		close(socks[0]);
		close(socks[1]);
		return r;
	}
	helper = spawn_helper(cgfd);
	int clone_errno = errno;
	if (cfg->has_cpus_initial && helper != 0)
		(void)sched_setaffinity(0, sizeof(ours), &ours);
	if (helper < 0) {
		r = run_error(e, clone_errno, "cannot clone into cgroup %s%s%s: %m",
			      s->cgroup_path ? s->cgroup_path : "(none)", n_cgroups ? "/" : "",
			      n_cgroups ? cgroup_sub_path(o->cgroups[0]) : "");
		close(socks[0]);
		close(socks[1]);
		return r;
	}
	if (helper == 0) {
		RunError he = {};
		close(socks[0]);
		/* Nothing in the container may open our /proc/PID/exe or ptrace us. */
		if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
			run_error(&he, errno, "prctl(PR_SET_DUMPABLE): %m");
			child_fail(socks[1], &he, 1);
		}
		if (v1_dirs && cgroup_enter_dirs(v1_dirs, getpid(), &he) < 0)
			child_fail(socks[1], &he, 1);
		/* Its child, the process, inherits the resctrl group, as runc's exec has it. */
		if (s->rdt.path && rdt_group_enter(&s->rdt, getpid(), &he) < 0)
			child_fail(socks[1], &he, 1);
		if (flags && setns(pidfd, flags) < 0) {
			run_error(&he, errno, "cannot join the namespaces of container \"%s\": %m",
				  s->id);
			child_fail(socks[1], &he, 1);
		}
		pid_t pid =
		    (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
		if (pid < 0) {
			run_error(&he, errno, "clone: %m");
			child_fail(socks[1], &he, 1);
		}
		if (pid == 0)
			exec_child(&x);
		(void)send_tagged(socks[1], SYNC_PID, &pid, sizeof(pid), -1);
		_exit(0);
	}
	close(socks[1]);

	char buf[sizeof(RunError) + 1];
	char name[32] = "";
	_cleanup_close_ int listener = -EBADF;
	r = 0;
	for (;;) {
		int fd;
		ssize_t n = recv_tagged(socks[0], buf, sizeof(buf) - 1, &fd);
		if (n == 1 && buf[0] == SYNC_SECCOMP && fd >= 0 && listener < 0)
			listener = TAKE_FD(fd);
		else if (n > 0 && buf[0] == SYNC_TERMINAL && fd >= 0 && pty < 0) {
			buf[n] = '\0';
			snprintf(name, sizeof(name), "%.31s", buf + 1);
			pty = fd;
			continue;
		}
		if (fd >= 0)
			close(fd);
		if (n == 1 + (ssize_t)sizeof(pid_t) && buf[0] == SYNC_PID && child == 0)
			memcpy(&child, buf + 1, sizeof(pid_t));
		/* The helper's pid and the process's listener come in either order. */
		if (listener >= 0 && child > 0) {
			int k = seccomp_send_listener(cfg->seccomp, s, st, child, listener, e);
			if (k < 0 && r == 0)
				r = k;
			close(TAKE_FD(listener));
		}
		if (n > 0 && (buf[0] == SYNC_PID || buf[0] == SYNC_SECCOMP))
			continue;
		if (n > 1 && buf[0] == SYNC_ERROR) {
			buf[n] = '\0';
			if (r == 0)
				r = run_error(e, -EINVAL, "%s", buf + 1);
			continue;
		}
		if (n < 0 && r == 0)
			r = run_error(e, (int)n, "exec: %m");
		if (n <= 0)
			break;
	}
	close(socks[0]);
	int status;
	while (waitpid(helper, &status, 0) < 0 && errno == EINTR)
		;
	if (r == 0 && child <= 0)
		r = run_error(e, -ECHILD, "exec: the process could not be created");
	if (r == 0 && cfg->terminal && pty < 0)
		r = run_error(e, -EPROTO, "process.terminal: the process sent no pty");
	if (r == 0 && pty >= 0 && o->console_socket) {
		r = send_fd_to_socket(o->console_socket, pty, name);
		if (r < 0)
			r = run_error(e, r, "--console-socket %s: %m", o->console_socket);
	}
	if (r == 0 && o->pid_file) {
		char val[32];
		int k = snprintf(val, sizeof(val), "%d", (int)child);
		r = write_file_atomic(o->pid_file, val, (size_t)k, 0644);
		if (r < 0)
			r = run_error(e, r, "--pid-file %s: %m", o->pid_file);
	}
	if (r < 0) {
		if (child > 0) {
			kill(child, SIGKILL);
			(void)waitpid(child, NULL, 0);
		}
		return r;
	}
	*ret_pid = child;
	if (pty >= 0 && !o->console_socket)
		*ret_pty = TAKE_FD(pty);
	return 0;
}

int container_exec(const char *root, const char *id, const ExecOptions *o, pid_t *ret_pid,
		   RunError *e)
{
	_cleanup_state_ ContainerState *s = NULL;
	_cleanup_config_ RunConfig *cfg = NULL;
	_cleanup_free_ char *dir = NULL;
	SeccompProgram prog = {};
	int r;

	if (!container_id_is_valid(id))
		return run_error(e, -EINVAL, "invalid container id \"%s\"", id);
	r = state_load(root, id, &s, e);
	if (r < 0)
		return r;
	ContainerStatus st = state_status(root, s);
	switch (st) {
	case STATUS_CREATED:
	case STATUS_RUNNING:
		break;
	case STATUS_PAUSED:
		/* As with runc: the process joins the frozen cgroup, and starts on resume. */
		if (o->ignore_paused)
			break;
		return run_error(e, -EINVAL,
				 "cannot exec in a paused container \"%s\" (--ignore-paused to "
				 "exec anyway)",
				 id);
	case STATUS_STOPPED:
		return run_error(e, -EINVAL, "cannot exec in a stopped container \"%s\"", id);
	default:
		return run_error(e, -EINVAL,
				 "cannot exec in container \"%s\" while it is being created", id);
	}
	if (asprintf(&dir, "%s/%s", root, id) < 0)
		return -ENOMEM;
	r = exec_config(dir, o, &cfg, e);
	if (r < 0)
		return r;
	const char *names[2];
	r = lsm_check(cfg, lsm_names(o, names), e);
	if (r < 0)
		return r;
	if (cfg->terminal && !o->console_socket && !o->ret_terminal)
		return run_error(e, -EINVAL, "--tty needs --console-socket when detached");
	if (cfg->seccomp) {
		r = seccomp_compile_cached(cfg->seccomp, root, &prog, e);
		if (r < 0)
			return r;
	}
	int pty = -EBADF;
	r = exec_in(s, st, cfg, o, cfg->seccomp ? &prog : NULL, ret_pid, &pty, e);
	seccomp_program_done(&prog);
	if (r >= 0 && pty >= 0)
		*o->ret_terminal = pty;
	return r;
}
