/* SPDX-License-Identifier: MIT */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "strutil.h"

int run_error(RunError *e, int r, const char *fmt, ...)
{
	if (r > 0)
		r = -r;
	if (e) {
		va_list ap;
		int saved = errno;
		errno = -r;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
		errno = saved;
	}
	return r;
}

int open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {
	    .flags = (uint64_t)flags | O_CLOEXEC,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	while (*path == '/')
		path++;
	if (*path == '\0')
		path = ".";
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	return fd < 0 ? negative_errno() : fd;
}

/* An empty file (0644) or directory (0755) named name in dirfd; -EEXIST if something is there. */
static int create_at(int dirfd, const char *name, bool as_file)
{
	if (!as_file)
		return mkdirat(dirfd, name, 0755) < 0 ? negative_errno() : 0;
	int fd = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return negative_errno();
	close(fd);
	return 0;
}

/* A copy of path without trailing slashes ("/" stays "/"), or NULL. */
static char *strdup_no_trailing_slash(const char *path)
{
	char *copy = strdup(path);
	size_t len = copy ? strlen(copy) : 0;
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	return copy;
}

int mkdir_p_in_root(int rootfd, const char *path, bool as_file)
{
	_cleanup_free_ char *copy = strdup_no_trailing_slash(path);
	if (!copy)
		return -ENOMEM;

	/* Walk prefixes: "/a", "/a/b", ... each resolved from the root again. */
	for (char *p = copy;;) {
		while (*p == '/')
			p++;
		char *slash = strchr(p, '/');
		bool last = !slash;
		if (slash)
			*slash = '\0';
		if (*p == '\0')
			return open_in_root(rootfd, "/", O_PATH);

		int fd = open_in_root(rootfd, copy, O_PATH);
		if (fd == -ENOENT) {
			/* Create the component in its parent, resolved inside the root. */
			char *name = strrchr(copy, '/');
			_cleanup_close_ int parent = -EBADF;
			if (name && name != copy) {
				*name = '\0';
				parent = open_in_root(rootfd, copy, O_PATH | O_DIRECTORY);
				*name = '/';
				name++;
			} else {
				parent = open_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
				name = name ? name + 1 : copy;
			}
			if (parent < 0)
				return parent;
			int r = create_at(parent, name, last && as_file);
			if (r < 0 && r != -EEXIST)
				return r;
			fd = open_in_root(rootfd, copy, O_PATH);
		}
		if (fd < 0)
			return fd;
		if (last)
			return fd;
		struct stat st;
		if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
			close(fd);
			return -ENOTDIR;
		}
		close(fd);
		*slash = '/';
		p = slash + 1;
	}
}

int mkdir_parent_in_root(int rootfd, const char *path, char **ret_name)
{
	_cleanup_free_ char *copy = strdup_no_trailing_slash(path);
	if (!copy)
		return -ENOMEM;
	char *slash = strrchr(copy, '/');
	const char *name = slash ? slash + 1 : copy;
	if (isempty(name) || streq(name, ".") || streq(name, ".."))
		return -EINVAL;
	_cleanup_free_ char *n = strdup(name);
	if (!n)
		return -ENOMEM;
	if (slash)
		*slash = '\0';
	int fd = mkdir_p_in_root(rootfd, !slash || isempty(copy) ? "/" : copy, false);
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		close(fd);
		return -ENOTDIR;
	}
	*ret_name = TAKE_PTR(n);
	return fd;
}

int open_nofollow_in_root(int rootfd, const char *path, bool as_file)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_close_ int parent = mkdir_parent_in_root(rootfd, path, &name);
	if (parent < 0)
		return parent;
	int fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		int r = create_at(parent, name, as_file);
		if (r < 0 && r != -EEXIST)
			return r;
		fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	return fd < 0 ? negative_errno() : fd;
}

/* One entry of copy_tree: name in from (already lstat'ed as st) recreated in to. */
static int copy_entry(int from, int to, const char *name, const struct stat *st, unsigned depth)
{
	int r = 0;

	if (S_ISDIR(st->st_mode)) {
		if (mkdirat(to, name, 0700) < 0)
			return negative_errno();
		_cleanup_close_ int f =
		    openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int t =
		    openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (f < 0 || t < 0)
			return negative_errno();
		r = copy_tree(f, t, depth + 1);
	} else if (S_ISREG(st->st_mode)) {
		_cleanup_close_ int f = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (f < 0)
			return negative_errno();
		_cleanup_close_ int t =
		    openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (t < 0)
			return negative_errno();
		char buf[65536];
		for (;;) {
			ssize_t n = read(f, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return negative_errno();
			if (n == 0)
				break;
			r = loop_write(t, buf, (size_t)n);
			if (r < 0)
				return r;
		}
	} else if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(from, name, target, sizeof(target) - 1);
		if (n < 0)
			return negative_errno();
		target[n] = '\0';
		if (symlinkat(target, to, name) < 0)
			return negative_errno();
	} else if (mknodat(to, name, st->st_mode, st->st_rdev) < 0)
		return negative_errno();
	if (r < 0)
		return r;
	/*
	 * In a user namespace an owner it does not map, not even as the overflow id, cannot be
	 * given (EINVAL): the copy keeps ours.
	 */
	if (fchownat(to, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EINVAL)
		return negative_errno();
	if (!S_ISLNK(st->st_mode) && fchmodat(to, name, st->st_mode & 07777, 0) < 0)
		return negative_errno();
	struct timespec times[2] = {st->st_atim, st->st_mtim};
	if (utimensat(to, name, times, AT_SYMLINK_NOFOLLOW) < 0)
		return negative_errno();
	return 0;
}

int copy_tree(int from, int to, unsigned depth)
{
	if (depth > 256)
		return -ELOOP;
	int d = openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return negative_errno();
	DIR *dir = fdopendir(d);
	if (!dir) {
		close(d);
		return negative_errno();
	}
	int r = 0;
	struct dirent *de;
	while (r == 0 && (errno = 0, de = readdir(dir))) {
		struct stat st;
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			r = negative_errno();
		else
			r = copy_entry(dirfd(dir), to, de->d_name, &st, depth);
	}
	if (r == 0 && errno != 0)
		r = negative_errno();
	closedir(dir);
	return r;
}

uint64_t process_start_time(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pid <= 0 || read_small_file(path, buf, sizeof(buf)) < 0)
		return 0;
	/* comm may contain spaces and parentheses: fields start after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	p += 2;
	if (*p == 'Z' || *p == 'X')
		return 0;
	/* p is field 3 (state); start time is field 22. */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return 0;
		p++;
	}
	unsigned long long v;
	if (sscanf(p, "%llu", &v) != 1)
		return 0;
	return v;
}

char *format_rfc3339_nano(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", base, ts.tv_nsec);
	return buf;
}

int write_file_at(int dirfd, const char *path, const char *s)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return negative_errno();
	size_t n = strlen(s);
	ssize_t w = write(fd, s, n);
	if (w < 0)
		return negative_errno();
	return (size_t)w == n ? 0 : -EIO;
}

int read_small_file(const char *path, char *buf, size_t len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	ssize_t n = read(fd, buf, len - 1);
	if (n < 0)
		return negative_errno();
	buf[n] = '\0';
	return (int)n;
}

bool container_id_is_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 1024 || streq(id, ".") || streq(id, ".."))
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("_+-.", *p)))
			return false;
	return true;
}

int send_tagged(int sock, char tag, const void *data, size_t len, int fd)
{
	struct iovec iov[2] = {
	    {.iov_base = &tag, .iov_len = 1},
	    {.iov_base = (void *)data, .iov_len = data ? len : 0},
	};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u = {};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
	if (fd >= 0) {
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	ssize_t n;
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return negative_errno();
	return (size_t)n == 1 + iov[1].iov_len ? 0 : -EIO;
}

ssize_t recv_tagged(int sock, char *buf, size_t len, int *ret_fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = u.buf,
	    .msg_controllen = sizeof(u.buf),
	};
	ssize_t n;
	if (ret_fd)
		*ret_fd = -EBADF;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return negative_errno();
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int))) {
			int fd;
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
			if (ret_fd && *ret_fd < 0)
				*ret_fd = fd;
			else
				close(fd);
		}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return -EMSGSIZE;
	return n;
}

int send_fd_to_socket(const char *path, int fd, const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	_cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return negative_errno();
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return negative_errno();
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u = {};
	struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
	struct msghdr msg = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = u.buf,
	    .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(s, &msg, MSG_NOSIGNAL) < 0)
		return negative_errno();
	return 0;
}

int first_closed_fd(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fcntl(3 + (int)i, F_GETFD) < 0)
			return 3 + (int)i;
	return 0;
}

void reset_signal_dispositions(void)
{
	struct sigaction sa = {.sa_handler = SIG_DFL};
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < _NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL); /* glibc's own signals refuse: fine */
}
