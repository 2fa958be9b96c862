/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * linux.seccomp compiled with libseccomp into a classic BPF program before
 * the container process starts (so errors reach the caller), and loaded
 * with seccomp(2) at the last moment before execve.
 */

#include <linux/filter.h>

#include "oci-config.h"
#include "state.h"
#include "util.h"

typedef struct SeccompProgram {
	struct sock_fprog prog;
	unsigned flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
	bool notify;	/* has SCMP_ACT_NOTIFY rules: loading makes a listener fd */
} SeccompProgram;

int seccomp_compile(const RunSeccomp *s, SeccompProgram *ret, RunError *e);
/*
 * The same, through a cache of compiled programs in the state root root
 * (root/@seccomp-cache, made if missing). A cache that cannot be read or
 * written only costs the compilation.
 */
int seccomp_compile_cached(const RunSeccomp *s, const char *root, SeccompProgram *ret, RunError *e);
/*
 * Load it into the calling thread (no allocation; safe after fork). With
 * notify, the listener fd (O_CLOEXEC) goes to *ret_listener, or is closed
 * if ret_listener is NULL (notified syscalls then fail with ENOSYS);
 * otherwise *ret_listener is -EBADF.
 */
int seccomp_program_load(const SeccompProgram *p, int *ret_listener);
void seccomp_program_done(SeccompProgram *p);

/*
 * Send the listener fd of process pid to linux.seccomp.listenerPath with
 * the container process state, in one message, at once: until the agent
 * has it, the process waits on any syscall it notifies.
 */
int seccomp_send_listener(const RunSeccomp *sc, const ContainerState *s, ContainerStatus st,
			  pid_t pid, int fd, RunError *e);
