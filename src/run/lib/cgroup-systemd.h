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

#include <sys/types.h>

#include "oci-config.h"
#include "util.h"

typedef struct SystemdScope {
	char *slice; /* "machine.slice" */
	char *unit;  /* "libpod-ID.scope" */
	char *path;  /* the cgroup below the mount: "machine.slice/libpod-ID.scope" */
} SystemdScope;

void systemd_scope_done(SystemdScope *s);

/*
 * Split linux.cgroupsPath ("slice:prefix:name"; NULL or empty means
 * "system.slice:lazuli-run:ID") into the slice, the scope unit and its
 * cgroup path, checking the names as systemd would.
 */
int systemd_scope_parse(const char *cgroups_path, const char *id, SystemdScope *ret,
			RunError *e);

/* "a-b.slice" -> "a.slice/a-b.slice"; "-.slice" -> "". */
int systemd_slice_path(const char *slice, char **ret);

/*
 * Ask systemd to start the scope with pid in it, and wait for the job to end.
 * Limits of res become unit properties. description names the container.
 */
int systemd_scope_start(const SystemdScope *s, pid_t pid, const RunResources *res,
			const char *description, RunError *e);
