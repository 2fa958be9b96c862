/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

#include "macros.h"

/*
 * The library never prints: a failing call fills a RunError with one line
 * that says what failed and where, and returns a negative errno. The front
 * end prints it once.
 */
typedef struct RunError {
	char msg[2048];
} RunError;

/* Sets e->msg (errno is set to r while formatting so "%m" works); returns -|r|. */
int run_error(RunError *e, int r, const char *fmt, ...) _printf_(3, 4);

/*
 * Open path inside the directory tree rooted at rootfd, resolving ".." and
 * symlinks as if rootfd were "/" (openat2 RESOLVE_IN_ROOT), never following
 * a magic link. Returns an fd or -errno.
 */
int open_in_root(int rootfd, const char *path, int flags);

/*
 * Make sure path exists inside the root (every component resolved inside
 * it); missing directories are created with mode 0755 and, if the last
 * component is missing, it is created as a directory (as_file false) or an
 * empty regular file (as_file true). Returns an O_PATH fd to it or -errno.
 */
int mkdir_p_in_root(int rootfd, const char *path, bool as_file);

/*
 * The parent directory of path inside the root, created as mkdir_p_in_root
 * does, as an O_PATH fd; *ret_name gets the last component (not "." or "..").
 */
int mkdir_parent_in_root(int rootfd, const char *path, char **ret_name);

/*
 * Like mkdir_p_in_root, but the last component is not followed: if it is a
 * symlink, the fd names the symlink itself.
 */
int open_nofollow_in_root(int rootfd, const char *path, bool as_file);

/*
 * Copy the contents of directory from into directory to (both opened for
 * reading), keeping owners, modes and times; symlinks are copied as links,
 * never followed. depth is 0 at the top. Returns 0 or -errno.
 */
int copy_tree(int from, int to, unsigned depth);

/*
 * Every signal back to its default action. An ignored signal stays ignored
 * across execve(), so a caller started under nohup (SIGHUP ignored) would
 * otherwise hand that on to the container's processes, whose traps for it
 * then never fire.
 */
void reset_signal_dispositions(void);

/* The start time of a process (field 22 of /proc/PID/stat), 0 if it is gone or a zombie. */
uint64_t process_start_time(pid_t pid);

/* "2026-12-01T04:25:58.123456789Z" (buf >= 40). */
char *format_rfc3339_nano(char *buf, size_t len);

/* Write a string to an existing file (no O_CREAT), as a single write. */
int write_file_at(int dirfd, const char *path, const char *s);

/* Read a small file into buf (NUL-terminated). */
int read_small_file(const char *path, char *buf, size_t len);

/* Valid container id: [A-Za-z0-9_+.-]+, not "." or "..", at most 1024 bytes. */
bool container_id_is_valid(const char *id);

/*
 * One SOCK_SEQPACKET message: a tag byte, optional data, and optionally
 * one fd (SCM_RIGHTS; fd < 0 for none). Returns 0 or -errno.
 */
int send_tagged(int sock, char tag, const void *data, size_t len, int fd);
/*
 * Receive one message into buf (len >= 1; buf[0] is the tag). A received
 * fd (O_CLOEXEC) goes to *ret_fd (or is closed if ret_fd is NULL), else
 * *ret_fd is -EBADF. Returns the message size, 0 at end of stream, -errno.
 */
ssize_t recv_tagged(int sock, char *buf, size_t len, int *ret_fd);

/*
 * Send the fd over the unix socket at path (--console-socket, a seccomp
 * listenerPath): one message whose data is name and whose SCM_RIGHTS
 * carries fd.
 */
int send_fd_to_socket(const char *path, int fd, const char *name);

/* Are fds 3 .. 3+n-1 all open (--preserve-fds)? Returns 0, or the first closed fd. */
int first_closed_fd(unsigned n);
