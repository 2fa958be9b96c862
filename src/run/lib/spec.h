/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/*
 * The config.json that `spec` writes: read-only rootfs, three capabilities,
 * noNewPrivileges, masked and read-only /proc and /sys paths, and a
 * seccomp profile that refuses the system calls a container has no business
 * making (kernel modules, mounts, namespaces, kexec, ptrace, keyrings, ...).
 * rootless: a user namespace mapping uid/gid to root, no network or cgroup
 * namespace, /sys bound from the host. Returns pretty JSON; caller frees.
 */
char *default_spec_json(bool rootless, uid_t uid, gid_t gid);

/* The OCI "features" document: only what this runtime implements. */
char *features_json(void);
