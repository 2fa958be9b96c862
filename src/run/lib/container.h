/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The container life cycle over a state directory root (--root):
 * create leaves the container's init blocked on exec.fifo, start releases
 * it, kill signals it, delete removes what create made. Every function
 * fills RunError on failure and never prints.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "state.h"
#include "util.h"

#define DEFAULT_STATE_ROOT "/run/lazuli-run"

typedef struct CreateOptions {
	const char *bundle;	    /* default: current directory */
	const char *pid_file;	    /* optional */
	const char *cgroup_mount;   /* default CGROUP_MOUNT; tests point it elsewhere */
	const char *console_socket; /* process.terminal: where the pty master goes */
	int *ret_terminal;	    /* else, without a console socket: it is returned here */
	unsigned preserve_fds;	    /* fds 3 .. 3+n-1 are passed to the container */
	char **extra_env;	    /* appended to process.env (LISTEN_FDS=..., LISTEN_PID=1) */
	bool systemd_cgroup;	    /* a scope unit by systemd (cgroupsPath slice:prefix:name) */
	bool no_pivot;		    /* MS_MOVE the rootfs onto / and chroot (initramfs roots) */
	bool no_new_keyring;	    /* keep the caller's session keyring, not "_ses.<id>" */
} CreateOptions;

int container_create(const char *root, const char *id, const CreateOptions *o, pid_t *ret_pid,
		     RunError *e);
/* Returns 1 (not an error) with a warning in e if a poststart hook failed. */
int container_start(const char *root, const char *id, RunError *e);
/* all: every process of the container (its cgroup), not only its init. */
int container_kill(const char *root, const char *id, int sig, bool all, RunError *e);
/* Freeze or thaw every process of the container (cgroup v2 cgroup.freeze). */
int container_pause(const char *root, const char *id, bool pause, RunError *e);
/* Write new limits into the cgroup of a created, running or paused container. */
typedef struct RunResources RunResources;
/* cgroup_mount: NULL for CGROUP_MOUNT (tests point it elsewhere). */
int container_update(const char *root, const char *id, const char *cgroup_mount,
		     const RunResources *res, RunError *e);
/* Write Intel RDT schemas (either may be NULL) into the container's resctrl group. */
int container_update_rdt(const char *root, const char *id, const char *l3_cache_schema,
			 const char *mem_bw_schema, RunError *e);
/* Pids of the container's processes (-1 terminated), caller frees. */
int container_pids(const char *root, const char *id, pid_t **ret, RunError *e);
/* Returns 1 (deleted) with a warning in e if a poststop hook failed. */
int container_delete(const char *root, const char *id, bool force, RunError *e);
/* Wait for the init (a child of the caller after create) and return its exit status as a shell
 * would. */
int container_wait(pid_t pid);
/* Ids of all containers under root, sorted. */
int container_list_ids(const char *root, char ***ret, RunError *e);

typedef struct ExecOptions {
	const char *process_file; /* a runtime-spec Process; the options below are then ignored */
	char **args;		  /* the command (when there is no process file) */
	const char *cwd;
	char **env; /* KEY=VALUE, replacing the container's KEY */
	bool has_user;
	uid_t uid;
	bool has_gid;
	gid_t gid;
	char *
	    *caps; /* CAP_* names added to the bounding, effective, permitted (and ambient) sets */
	bool no_new_privs;
	bool tty;
	const char *console_socket;
	int *ret_terminal; /* with tty and no console socket: the pty master */
	const char *pid_file;
	unsigned preserve_fds;
	gid_t *additional_gids; /* appended to process.user.additionalGids */
	size_t n_additional_gids;
	const char *apparmor_profile; /* the process is confined by it (AppArmor hosts only) */
	const char *process_label;    /* its SELinux label (SELinux hosts only) */
	/*
	 * --cgroup: [CONTROLLER[,CONTROLLER...]:]PATH, sub-cgroups of the
	 * container's to run in; controllers (and more than one) on v1 only.
	 */
	char **cgroups;
	bool ignore_paused; /* a paused container too: the process starts when it is resumed */
} ExecOptions;

/*
 * Run another process in a created or running container: it joins every
 * namespace and the cgroup of the container's init and gets the process
 * section of the container's config.json with the options' changes. On
 * success the process has called execve and is a child of the caller.
 */
int container_exec(const char *root, const char *id, const ExecOptions *o, pid_t *ret_pid,
		   RunError *e);

/* "KILL", "SIGKILL", "9" -> 9; -EINVAL if unknown. */
int signal_from_string(const char *s);

/* DIR/config.json parsed (and its bytes, if ret_buf). */
typedef struct RunConfig RunConfig;
int container_read_config(const char *dir, RunConfig **ret, char **ret_buf, size_t *ret_len,
			  RunError *e);
