/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The state directory: ROOT/ID/ holds state.json (ours, written atomically)
 * and, between create and start, exec.fifo on which the container's init
 * waits. The directory itself is the lock that makes ids unique: mkdir(2)
 * either creates it or fails with EEXIST.
 */

#include <stdint.h>
#include <sys/types.h>

#include "intelrdt.h"
#include "util.h"

#define STATE_FILE "state.json"
#define EXEC_FIFO "exec.fifo"
#define CONFIG_COPY "config.json" /* config.json as create read it */

typedef struct ContainerState {
	char *id;
	char *oci_version;
	pid_t pid; /* 0 until the init process exists */
	uint64_t start_time;
	char *bundle;
	char *rootfs;
	char *created;
	char *cgroup_path;   /* absolute path of the container's cgroup, or NULL */
	bool cgroup_created; /* we made it, so delete removes it */
	bool systemd_scope;  /* a systemd scope's: systemd removes it once it is empty */
	bool systemd_user;   /* ... of the calling user's manager (rootless) */
	char *cgroup_v1_mount; /* cgroup v1: the tmpfs of the hierarchies; NULL on v2 */
	uid_t owner;
	char *annotations_json; /* compact JSON object, or NULL */
	unsigned hooks;		/* bit k: config.json has hooks of HookKind k */
	bool no_new_keyring;	/* create --no-new-keyring: exec keeps the caller's keyring too */
	RdtGroup rdt;		/* linux.intelRdt's resctrl group; rdt.path NULL if none */
} ContainerState;

typedef enum {
	STATUS_CREATING,
	STATUS_CREATED,
	STATUS_RUNNING,
	STATUS_STOPPED,
	STATUS_PAUSED,
} ContainerStatus;

ContainerState *container_state_free(ContainerState *s);
static inline void container_state_freep(ContainerState **s)
{
	if (*s)
		container_state_free(*s);
}
#define _cleanup_state_ __attribute__((cleanup(container_state_freep)))

/* Write state.json into the container's directory (atomically). */
int state_save(int dirfd, const ContainerState *s);
/* -ENOENT if there is no container with this id (or its state.json is missing). */
int state_load(const char *root, const char *id, ContainerState **ret, RunError *e);
ContainerStatus state_status(const char *root, const ContainerState *s);
const char *status_to_string(ContainerStatus st);
/* The OCI state as runc prints it (pretty JSON, caller frees). */
char *state_to_oci_json(const ContainerState *s, ContainerStatus st, bool pretty);
/*
 * The spec's "container process state" sent with the seccomp listener of
 * process pid: fds ["seccompFd"], pid, metadata (if any) and the state.
 */
char *seccomp_process_state_json(const ContainerState *s, ContainerStatus st, pid_t pid,
				 const char *metadata);
