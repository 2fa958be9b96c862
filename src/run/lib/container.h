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
	const char *bundle;	  /* default: current directory */
	const char *pid_file;	  /* optional */
	const char *cgroup_mount; /* default CGROUP_MOUNT; tests point it elsewhere */
} CreateOptions;

int container_create(const char *root, const char *id, const CreateOptions *o, pid_t *ret_pid,
		     RunError *e);
int container_start(const char *root, const char *id, RunError *e);
/* all: every process of the container (its cgroup), not only its init. */
int container_kill(const char *root, const char *id, int sig, bool all, RunError *e);
/* Freeze or thaw every process of the container (cgroup v2 cgroup.freeze). */
int container_pause(const char *root, const char *id, bool pause, RunError *e);
/* Pids of the container's processes (-1 terminated), caller frees. */
int container_pids(const char *root, const char *id, pid_t **ret, RunError *e);
int container_delete(const char *root, const char *id, bool force, RunError *e);
/* Wait for the init (a child of the caller after create) and return its exit status as a shell
 * would. */
int container_wait(pid_t pid);
/* Ids of all containers under root, sorted. */
int container_list_ids(const char *root, char ***ret, RunError *e);

/* "KILL", "SIGKILL", "9" -> 9; -EINVAL if unknown. */
int signal_from_string(const char *s);
