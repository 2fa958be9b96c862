/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Write data to path atomically: a temporary file in the same directory is
 * written, fsync'd and renamed over path, then the directory is fsync'd. On
 * any failure the temporary file is removed and path is untouched.
 * uid/gid of (uid_t)-1 / (gid_t)-1 leave the owner alone.
 */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
int write_file_atomic_full(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			   uid_t uid, gid_t gid);

/*
 * Read a whole file, refusing more than max bytes (-EFBIG). The result is
 * NUL-terminated; *ret_len (optional) excludes the NUL.
 */
int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len);
int read_full_fd(int fd, size_t max, char **ret, size_t *ret_len);

/* Write all of buf to fd, retrying on EINTR and short writes. */
int loop_write(int fd, const void *buf, size_t len);

/* mkdir -p with the given mode for every created component. */
int mkdir_p(const char *path, mode_t mode);

/* fsync the directory containing path (or path itself if it is a directory). */
int fsync_directory_of(const char *path);

bool file_exists(const char *path);
