/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "oci-config.h"
#include "util.h"

/* AppArmor is on: its module parameter says Y (as runc decides). */
bool lsm_apparmor_enabled(void);
/* SELinux is on: selinuxfs is mounted (the kernel mounts nothing there without it). */
bool lsm_selinux_enabled(void);

/*
 * The labels cfg asks for can be honoured on this host: a profile or label
 * asked for without its LSM is an error, as with runc, since the process
 * would otherwise run unconfined while its manager believes it is not.
 * names[0] and names[1] say where the profile and the label came from in
 * messages ("--apparmor"...); NULL: config.json's fields.
 */
int lsm_check(const RunConfig *cfg, const char *const *names, RunError *e);

/*
 * Ask the kernel to put the calling thread under cfg's profile and label
 * at its next execve(2). Called inside the container, with its /proc;
 * each write is checked to land on procfs.
 */
int lsm_apply(const RunConfig *cfg, const char *const *names, RunError *e);

/*
 * Mount data for a mount of fstype with the container's mount label: data
 * plus context="LABEL" when there is a label (the caller passes NULL when
 * SELinux is off) and the file system takes a context; otherwise a copy of
 * data (NULL stays NULL). *ret is to be freed.
 */
int lsm_mount_data(const char *fstype, const char *data, const char *mount_label, char **ret);
