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
	const int *mount_fds;
	const SeccompProgram *seccomp; /* NULL: none */
	int cap_last_cap;
	bool new_userns;
	bool new_cgroupns;
} InitContext;

enum {
	SYNC_GO = 'G',
	SYNC_READY = 'R',
	SYNC_ERROR = 'E',
};

_noreturn_ void container_init(const InitContext *ctx);
