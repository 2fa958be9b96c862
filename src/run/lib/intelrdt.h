/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * linux.intelRdt: the container's resctrl group. The group is a directory
 * of the resctrl mount, named by closID (or the container id); its
 * schemata file takes the cache and memory bandwidth allocations line by
 * line and its tasks file the pids in it. A monitoring group is a directory
 * below the group's mon_groups. Only the directories create made are ever
 * removed: a pre-made class of service is shared with others.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "oci-config.h"
#include "util.h"

/* Testing aid: the resctrl mount point, instead of the one in /proc/self/mountinfo. */
#define RESCTRL_ROOT_ENV "LAZULI_RUN_RESCTRL_ROOT"

typedef struct RdtGroup {
	char *path;	/* ROOT/CLOSID, or NULL: the container has no group */
	bool created;	/* we made it, so delete removes it */
	char *mon_path; /* path/mon_groups/ID with enableMonitoring, or NULL */
	bool mon_created;
} RdtGroup;

void rdt_group_done(RdtGroup *g);

/* The mount point of the first resctrl filesystem in mountinfo text; -ENOENT if none. */
int resctrl_mount_from_mountinfo(const char *text, char **ret);

/*
 * Where the container's group goes, checked against the host before
 * anything is made: resctrl must be mounted and have the features the
 * config asks for. created says which directories do not exist yet.
 */
int rdt_group_plan(const RunIntelRdt *cfg, const char *id, RdtGroup *ret, RunError *e);

/*
 * Make the planned directories and write the schemata. A directory that
 * appeared since the plan is joined (created turns false). On failure what
 * was made is removed again.
 */
int rdt_group_create(RdtGroup *g, const RunIntelRdt *cfg, RunError *e);

/* Put pid into the group (and its monitoring group). */
int rdt_group_enter(const RdtGroup *g, pid_t pid, RunError *e);

/* rmdir the directories we made (a missing one is not an error). */
int rdt_group_remove(const RdtGroup *g, RunError *e);

/*
 * Write cfg's schemas into the group's schemata file: each line one write,
 * L3 first, then MB, then the schemata lines. update: errors name the
 * options of update rather than the config.json fields.
 */
int rdt_write_schemata(const char *group, const RunIntelRdt *cfg, bool update, RunError *e);
