/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The container's first process, between clone(2) and execve(2). It runs
 * in the new namespaces with a copy of the runtime's memory and talks to
 * the runtime over a SOCK_SEQPACKET socket:
 *
 *   runtime -> init  'G'       uid/gid maps written, cgroup joined: go on
 *   init -> runtime  'R'       set up; now blocked on exec.fifo
 *   init -> runtime  'E' text  setup failed (init exits)
 *   init -> runtime  'S' fd    the seccomp listener, right after the filter
 *                              is loaded (SCMP_ACT_NOTIFY rules only)
 *
 * After 'R' the init blocks reading exec.fifo; `start` writes one byte
 * into it and the init loads its seccomp filter and calls execve.
 */

#include <stdbool.h>
#include <stdint.h>

#include "oci-config.h"
#include "seccomp-filter.h"

typedef struct InitContext {
	const RunConfig *cfg;
	const char *rootfs; /* absolute, resolved */
	int sync_fd;
	int fifo_fd; /* exec.fifo opened O_RDWR */
	/* Per mount: its source opened O_PATH by the runtime (bind mounts), else -1. */
	int *mount_fds;
	/* Rootless: per bind mount, its source's path, for the init to clone (else NULL). */
	char *const *mount_paths;
	const SeccompProgram *seccomp; /* NULL: none */
	int cap_last_cap;
	bool new_userns;
	bool in_userns; /* a user namespace, new or joined: no mknod, no sysfs without a netns */
	bool rootless;	/* the runtime is not root: it writes our maps only while we are dumpable */
	bool new_cgroupns;
	bool new_timens; /* made by the init itself, so that linux.timeOffsets can go in first */
	unsigned preserve_fds; /* fds 3 .. 3+n-1 are passed on (LISTEN_FDS, --preserve-fds) */
	bool no_pivot;	       /* --no-pivot: MS_MOVE onto / and chroot (see move_root_into) */
	const char *session_keyring; /* joined by every process; NULL: --no-new-keyring */
} InitContext;

enum {
	SYNC_GO = 'G',
	SYNC_READY = 'R',
	SYNC_ERROR = 'E',
	SYNC_TERMINAL = 'T', /* data: the pty's name; fd: its master */
	SYNC_PID = 'P',	     /* data: a pid_t (exec: the process that will exec) */
	SYNC_HOOKS = 'H',    /* init -> runtime: run prestart/createRuntime hooks now */
	SYNC_SECCOMP = 'S',  /* init -> runtime: fd: the seccomp listener */
};

_noreturn_ void container_init(const InitContext *ctx);

/* A detached clone (open_tree) of the bind mount source at path, as m asks: an fd or -errno. */
int mount_source_open_tree(const char *path, const RunMount *m);

/*
 * Close every fd from first on except those in keep (sorted in place):
 * nothing of the host reaches the container.
 */
int close_fds_except(unsigned first, int *keep, size_t n);

/*
 * The process section applied to the calling process, in the container's
 * root: rlimits, scheduler, I/O priority, linux.personality, cwd
 * (checked to be inside the root), the AppArmor profile and SELinux label
 * for execve, seccomp when no_new_privs is off (else the caller loads it
 * right before execve), user, groups, capabilities, no_new_privs and umask.
 * Resolves args[0] along PATH into exe. A seccomp listener goes over
 * listener_sock as SYNC_SECCOMP (closed if listener_sock < 0). lsm_names
 * names where the profile and label came from in errors (NULL: the
 * config's fields). The session keyring is the caller's business.
 */
int process_apply(const RunConfig *cfg, const SeccompProgram *seccomp, int listener_sock,
		  int cap_last_cap, const char *const *lsm_names, char *exe, size_t exe_len,
		  RunError *e);

/* Load the filter; a listener goes over sock as SYNC_SECCOMP (closed if sock < 0). */
int seccomp_load_and_pass(const SeccompProgram *p, int sock, RunError *e);

/*
 * process.terminal: a pty from the container's /dev/pts/ptmx becomes the
 * caller's controlling terminal and stdio, bound on console_dirfd/console
 * (the container's /dev) unless console_dirfd < 0; its master is sent over
 * sync_fd as SYNC_TERMINAL.
 */
int terminal_setup(int sync_fd, int console_dirfd, RunError *e);
