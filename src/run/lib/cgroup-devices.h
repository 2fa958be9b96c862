/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Device access control on cgroup v2: the rules compiled into a
 * BPF_PROG_TYPE_CGROUP_DEVICE program and attached to the cgroup. v2 has no
 * devices.allow file; the kernel asks the program instead (type, major,
 * minor and the access wanted) and lets the access through if it returns 1.
 */

#include <stddef.h>
#include <stdint.h>

#include "oci-config.h"
#include "util.h"

/* Compile the rules (later rules win, no match denies); *ret freed by the caller. */
int cgroup_devices_compile(const RunDeviceRule *rules, size_t n, void **ret, size_t *n_insns);
/* Load the program for the rules and attach it to the cgroup directory at path. */
int cgroup_devices_attach(const char *path, const RunDeviceRule *rules, size_t n, RunError *e);
