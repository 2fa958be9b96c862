/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Container cgroups, on cgroup v2 (the unified hierarchy) or cgroup v1.
 *
 * A container's cgroup is named by linux.cgroupsPath (default: its id)
 * below a mount point given by the caller (/sys/fs/cgroup). On v2 that is
 * one directory, and the controllers a limit needs are enabled in the
 * parents' cgroup.subtree_control. On v1 the mount point is a tmpfs holding
 * one hierarchy per controller (or per group of controllers: "cpu,cpuacct"),
 * and the container gets the same relative directory in each of them.
 *
 * A CgroupRef names the cgroup: path is always mount + "/" + the relative
 * name; v1_mount is NULL on v2 and the tmpfs mount point on v1.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "oci-config.h"
#include "util.h"

#define CGROUP_MOUNT "/sys/fs/cgroup"
/* The container id, on each v2 cgroup lazuli-run makes (read by lazuli-metrics). */
#define CGROUP_ID_XATTR "user.lazuli-run.id"

typedef struct CgroupRef {
	const char *path;
	const char *v1_mount;
} CgroupRef;

/* Is dir the root of a cgroup2 mount (statfs magic)? */
bool cgroup_is_v2(const char *dir);
/* Does the config ask for any limit we would have to write (devices aside)? */
bool cgroup_resources_requested(const RunResources *res);
/* Is dir a tmpfs holding cgroup v1 hierarchies (e.g. dir/memory)? */
bool cgroup_is_v1(const char *dir);

/* The cgroup directory for linux.cgroupsPath (default: the container id) below mount. */
int cgroup_path(const char *mount, const char *cgroups_path, const char *id, char **ret,
		RunError *e);
/*
 * Create the cgroup (and missing parents, in every v1 hierarchy) and write
 * the limits. On failure nothing created here is left behind; a directory
 * that existed before is used as it is.
 */
int cgroup_create(const char *mount, const CgroupRef *cg, const RunResources *res, RunError *e);
/* Write the limits of res into the cgroup; errors name the config field. */
int cgroup_apply(const char *mount, const CgroupRef *cg, const RunResources *res, RunError *e);
/*
 * Could we make the cgroup at path (the nearest existing ancestor writable) or, if it exists,
 * move a process into it (its cgroup.procs writable)? Returns 0 or -errno (-EACCES).
 */
int cgroup_check_writable(const char *mount, const char *path);
int cgroup_enter(const CgroupRef *cg, pid_t pid, RunError *e);
/*
 * exec --cgroup's PATH: relative (a leading '/' is dropped), not empty and
 * without "..", so that it stays below the container's cgroup. Returns the
 * relative part, or NULL.
 */
const char *cgroup_sub_path(const char *path);
/*
 * exec --cgroup on cgroup v1: for each hierarchy of the container, the
 * directory its process goes into. specs are [CONTROLLER[,CONTROLLER...]:]PATH
 * (a PATH without controllers is for every hierarchy; a controller of its
 * own wins), and each directory must exist.
 */
int cgroup_v1_exec_dirs(const CgroupRef *cg, char *const *specs, char ***ret, RunError *e);
/* Move pid into each of dirs (cgroup directories); the error names the one that refused. */
int cgroup_enter_dirs(char *const *dirs, pid_t pid, RunError *e);
/* Signal every process in the cgroup; returns how many were signalled. */
int cgroup_kill_all(const CgroupRef *cg, int sig);
/* Is any process left in the cgroup? */
bool cgroup_is_populated(const CgroupRef *cg);
/* Freeze (1) or thaw (0) every process of the cgroup, waiting up to timeout_ms for it to take. */
int cgroup_freeze(const CgroupRef *cg, bool frozen, int timeout_ms);
/* Is the cgroup frozen (paused)? */
bool cgroup_is_frozen(const CgroupRef *cg);
/* Pids of the processes in the cgroup (-1 terminated), caller frees. */
int cgroup_pids(const CgroupRef *cg, pid_t **ret);
/* Remove the cgroup, waiting up to timeout_ms for its processes to leave. */
int cgroup_destroy(const CgroupRef *cg, int timeout_ms);

/*
 * The device rules a container's cgroup gets: the config's rules, access to
 * each device of linux.devices, then the devices every container has
 * (/dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom, /dev/tty,
 * /dev/ptmx, /dev/pts/N, and mknod of any device). Later rules win; what no
 * rule matches is denied.
 */
int cgroup_device_rules(const RunConfig *cfg, RunDeviceRule **ret, size_t *n_ret);

/* cgroup v2's cpu.weight for cgroup v1's cpu.shares (2..262144 to 1..10000). */
uint64_t cgroup_cpu_shares_to_weight(uint64_t shares);
/* cgroup v2's io.weight for blkio.weight (10..1000 to 1..10000). */
uint64_t cgroup_blkio_weight_to_io_weight(uint64_t weight);
