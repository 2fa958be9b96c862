/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Two things the container's processes get from the runtime that runc
 * lets the caller opt out of: a root entered without pivot_root(2)
 * (--no-pivot) and a session keyring of their own (--no-new-keyring).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* One line of /proc/PID/mountinfo; the strings point into the line, unescaped. */
typedef struct MountInfo {
	int id, parent;
	const char *root;	/* the path inside its file system that is mounted */
	const char *mountpoint; /* as the reading process sees it */
	const char *fstype;
} MountInfo;

/* Parse (and unescape, in place) one line. -EINVAL if it is malformed. */
int mountinfo_parse_line(char *line, MountInfo *ret);

/* Is path (absolute, normalized) dir itself or below it? */
bool path_is_below(const char *path, const char *dir);

/*
 * --no-pivot: the rootfs (a mount, our cwd-to-be rootfd) is moved onto /
 * and we chroot into it. The old root stays in our mount namespace, below
 * the new one: the host's procfs and sysfs mounts there are detached (or
 * covered) first, so that the kernel does not count them as visible when
 * the container mounts a proc or sysfs of its own (runc's msMoveRoot).
 */
int move_root_into(const char *rootfs, int rootfd, RunError *e);

/* The session keyring the container's processes join: "_ses.<id>", as runc names it. */
char *session_keyring_name(const char *id);

/* The perm field of a KEYCTL_DESCRIBE answer "type;uid;gid;perm;description". */
int keyring_perm_from_description(const char *desc, uint32_t *ret);

/*
 * Join (or create) the session keyring name. The container's first process
 * makes it searchable by its user (by others, in a user namespace), so that
 * exec'd processes can join it by name too. ENOSYS (no keyrings in this
 * kernel) is not an error.
 */
int join_session_keyring(const char *name, bool make_searchable, bool in_userns, RunError *e);
