/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The systemd cgroup driver (--systemd-cgroup), as runc and crun have it:
 * linux.cgroupsPath is "slice:prefix:name", and the container's init is put
 * into a transient scope unit "prefix-name.scope" in that slice, which
 * systemd creates over D-Bus (StartTransientUnit, Delegate=yes). The scope's
 * cgroup then belongs to the container: limits are written there as with the
 * cgroupfs driver, and also handed to systemd as unit properties so that a
 * daemon-reload does not reset them.
 *
 * libsystemd is loaded with dlopen() when the driver is used, so that the
 * runtime does not pay for it at every start.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "oci-config.h"
#include "util.h"

typedef struct SystemdScope {
	char *slice; /* "machine.slice" */
	char *unit;  /* "libpod-ID.scope" */
	char *path;  /* the cgroup below the mount: "machine.slice/libpod-ID.scope" */
	bool user;   /* the calling user's systemd manager's, not the system's */
	void *bus;   /* sd_bus *: the manager's connection, kept from locate to start */
} SystemdScope;

void systemd_scope_done(SystemdScope *s);

/*
 * Split linux.cgroupsPath ("slice:prefix:name"; NULL or empty means
 * "system.slice:lazuli-run:ID", or "user.slice:lazuli-run:ID" with user)
 * into the slice, the scope unit and its cgroup path, checking the names as
 * systemd would. With user (rootless) the scope is the user manager's, and
 * the path is below that manager's cgroup: see systemd_scope_locate().
 */
int systemd_scope_parse(const char *cgroups_path, const char *id, bool user, SystemdScope *ret,
			RunError *e);

/*
 * A user manager's scope: prefix the path with the manager's own cgroup
 * ("user.slice/user-1000.slice/user@1000.service/"), asked over D-Bus.
 * Nothing to do for the system manager's. The connection stays open in s
 * for systemd_scope_start().
 */
int systemd_scope_locate(SystemdScope *s, RunError *e);

/* "a-b.slice" -> "a.slice/a-b.slice"; "-.slice" -> "". */
int systemd_slice_path(const char *slice, char **ret);

/*
 * Ask systemd to start the scope with pid in it, and wait for the job to end.
 * Limits of res become unit properties. description names the container.
 */
int systemd_scope_start(const SystemdScope *s, pid_t pid, const RunResources *res,
			const char *description, RunError *e);

/*
 * Stop a container's scope ("prefix-name.scope") and wait until systemd has
 * done so, as runc does on delete: when it returns 0 the unit is gone, and
 * its cgroup with it. A unit that is not loaded any more is not an error.
 * user: the calling user's manager's scope (rootless).
 */
int systemd_scope_stop(const char *unit, bool user, RunError *e);
