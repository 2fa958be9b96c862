/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * cgroup v2 (unified hierarchy) only, at a mount point given by the caller
 * (/sys/fs/cgroup). A container gets the directory named by
 * linux.cgroupsPath (default: its id) below the mount point; resources are
 * written to memory.max, pids.max and cpu.max after the controllers were
 * enabled in the parents' cgroup.subtree_control.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "oci-config.h"
#include "util.h"

#define CGROUP_MOUNT "/sys/fs/cgroup"

/* Is dir the root of a cgroup2 mount (statfs magic)? */
bool cgroup_is_v2(const char *dir);
/* Does the config ask for any limit we would have to write? */
bool cgroup_resources_requested(const RunResources *res);

/* The cgroup directory for linux.cgroupsPath (default: the container id) below mount. */
int cgroup_path(const char *mount, const char *cgroups_path, const char *id, char **ret,
		RunError *e);
/*
 * Create the cgroup at path (and missing parents) and write the limits. On
 * failure nothing created here is left behind; a directory that existed
 * before is used as it is.
 */
int cgroup_create(const char *mount, const char *path, const RunResources *res, RunError *e);
/* Write the limits of res into the cgroup directory. */
int cgroup_apply(const char *mount, const char *path, const RunResources *res, RunError *e);
/*
 * Could we make the cgroup at path (the nearest existing ancestor writable) or, if it exists,
 * move a process into it (its cgroup.procs writable)? Returns 0 or -errno (-EACCES).
 */
int cgroup_check_writable(const char *mount, const char *path);
int cgroup_enter(const char *path, pid_t pid, RunError *e);
/* Signal every process in the cgroup; returns how many were signalled. */
int cgroup_kill_all(const char *path, int sig);
/* Is any process left in the cgroup? */
bool cgroup_is_populated(const char *path);
/* Freeze (1) or thaw (0) every process of the cgroup, waiting up to timeout_ms for it to take. */
int cgroup_freeze(const char *path, bool frozen, int timeout_ms);
/* Pids of the processes in the cgroup (-1 terminated), caller frees. */
int cgroup_pids(const char *path, pid_t **ret);
/* Remove the cgroup, waiting up to timeout_ms for its processes to leave. */
int cgroup_destroy(const char *path, int timeout_ms);
