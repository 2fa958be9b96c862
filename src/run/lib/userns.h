/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * User namespaces, and what running rootless (not as root) needs of them.
 * A rootless container always gets a user namespace of its own: the only
 * privileges the runtime has are those the kernel gives the creator of a
 * user namespace over it. Its maps are written as runc and crun write them:
 * a map of nothing but our own id directly (setgroups denied first, as the
 * kernel asks), anything more by the setuid helpers newuidmap/newgidmap
 * (package uidmap), which check /etc/subuid and /etc/subgid.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "oci-config.h"
#include "util.h"

/* Not root: no privileges over the host. */
bool running_rootless(void);
/*
 * In a user namespace other than the host's, root there or not (podman runs
 * its runtime as root of the user's namespace): privileged only over the
 * namespaces it owns, no cgroup but a delegated one, no mknod.
 */
bool running_in_userns(void);
/* "uid 1000", or "uid 0 in a user namespace": who runs us, for errors. */
const char *rootless_who(char *buf, size_t len);

/*
 * What a rootless create needs, checked before anything is made: a user
 * namespace, newuidmap/newgidmap for mappings of more than our own ids, and
 * no idmapped mounts (those need root).
 */
int rootless_check_config(const RunConfig *cfg, RunError *e);

/*
 * Write the uid and gid maps of the new user namespace of pid (its only
 * process so far). The fields name the maps in errors ("linux.uidMappings").
 */
int userns_write_maps(pid_t pid, const RunIdMap *uids, size_t n_uids, const char *uid_field,
		      const RunIdMap *gids, size_t n_gids, const char *gid_field, RunError *e);

/* Fill e after creating a user namespace failed with err, naming the sysctl that forbids it. */
int userns_create_error(int err, RunError *e);

/* Is setgroups(2) denied in our user namespace (/proc/self/setgroups says "deny")? */
bool setgroups_denied(void);
