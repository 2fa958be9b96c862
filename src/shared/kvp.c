/* SPDX-License-Identifier: MIT */
#include "kvp.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "macros.h"
#include "strutil.h"
#include "time-util.h"

/* hv_kvp_daemon itself handles pools of a few thousand records; anything far
 * beyond that is not a pool file. */
#define KVP_READ_MAX ((size_t)8192 * KVP_RECORD_SIZE)

static int kvp_open_fd(const char *path, int flags, bool *created)
{
	int fd;

	/* O_NONBLOCK: a FIFO planted at the pool path must not hang boot; it is
	 * refused below as not a regular file. */
	flags |= O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
	if (created) {
		*created = false;
		fd = open(path, flags | O_CREAT | O_EXCL, 0644);
		if (fd >= 0) {
			*created = true;
			return fd;
		}
		if (errno != EEXIST)
			return -errno;
	}
	fd = open(path, flags);
	if (fd < 0)
		return -errno;
	return fd;
}

static int kvp_check_regular(int fd, const char *path, struct stat *st)
{
	if (fstat(fd, st) < 0)
		return -errno;
	if (!S_ISREG(st->st_mode))
		return log_debug_errno(EBADFD, "KVP pool %s is not a regular file", path);
	return 0;
}

static int kvp_lock(int fd, int op)
{
	while (flock(fd, op) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

static int kvp_build_records(const char *key, const char *value, char **ret, size_t *ret_len)
{
	size_t klen = strlen(key), vlen = strlen(value), n = 0, off = 0;
	char *buf;

	/* Count chunks first so the whole batch is one allocation and one
	 * write(): a reader never sees half of a chunked value. */
	do {
		size_t c = utf8_truncate_len(value + off, vlen - off, KVP_SAFE_VALUE_MAX);
		if (c == 0 && off < vlen)
			return -EINVAL;
		off += c;
		n++;
	} while (off < vlen);

	buf = calloc(n, KVP_RECORD_SIZE);
	if (!buf)
		return -ENOMEM;

	off = 0;
	for (size_t i = 0; i < n; i++) {
		char *rec = buf + i * KVP_RECORD_SIZE;
		size_t c = utf8_truncate_len(value + off, vlen - off, KVP_SAFE_VALUE_MAX);

		memcpy(rec, key, klen);
		memcpy(rec + KVP_KEY_SIZE, value + off, c);
		off += c;
	}

	*ret = buf;
	*ret_len = n * KVP_RECORD_SIZE;
	return 0;
}

static int kvp_mkdir_parent(const char *path)
{
	_cleanup_free_ char *copy = strdup(path);
	const char *dir;

	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	if (streq(dir, ".") || streq(dir, "/"))
		return 0;
	return mkdir_p(dir, 0755);
}

int kvp_append(const char *path, const char *key, const char *value)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	size_t len;
	bool created;
	int r;

	if (isempty(path) || isempty(key))
		return -EINVAL;
	value = strempty(value);

	if (strlen(key) > KVP_SAFE_KEY_MAX)
		return log_debug_errno(ENAMETOOLONG, "KVP key is %zu bytes, limit %d", strlen(key),
				       KVP_SAFE_KEY_MAX);
	if (!utf8_is_valid_n(key, strlen(key)))
		return log_debug_errno(EINVAL, "KVP key is not valid UTF-8");
	if (!utf8_is_valid_n(value, strlen(value)))
		return log_debug_errno(EINVAL, "KVP value for %s is not valid UTF-8", key);

	r = kvp_build_records(key, value, &buf, &len);
	if (r < 0)
		return r;

	r = kvp_mkdir_parent(path);
	if (r < 0)
		return log_debug_errno(r, "Failed to create directory of KVP pool %s: %m", path);

	fd = kvp_open_fd(path, O_WRONLY | O_APPEND, &created);
	if (fd < 0)
		return log_debug_errno(fd, "Failed to open KVP pool %s: %m", path);
	r = kvp_check_regular(fd, path, &st);
	if (r < 0)
		return r;
	/* hv_kvp_daemon runs as root but the pool is meant to be readable by
	 * diagnostics tools; do not let our umask decide. */
	if (created && fchmod(fd, 0644) < 0)
		return -errno;

	r = kvp_lock(fd, LOCK_EX);
	if (r < 0)
		return r;
	if (fstat(fd, &st) < 0)
		return -errno;
	/* Appending to a torn file would shift every later record. */
	if (st.st_size % KVP_RECORD_SIZE != 0)
		return log_debug_errno(
		    EBADMSG, "KVP pool %s is %lld bytes, not a multiple of %d; not appending", path,
		    (long long)st.st_size, KVP_RECORD_SIZE);

	r = loop_write(fd, buf, len);
	if (r < 0) {
		/* Drop whatever part of the batch made it, so the pool stays a
		 * sequence of whole records. */
		(void)!ftruncate(fd, st.st_size);
		return log_debug_errno(r, "Failed to write KVP pool %s: %m", path);
	}
	return 0;
}

static usec_t boot_time_usec(void)
{
	usec_t rt = now_usec(CLOCK_REALTIME), up = now_usec(CLOCK_BOOTTIME);
	return rt > up ? rt - up : 0;
}

int kvp_truncate_if_stale(const char *path)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	usec_t mtime;
	int r;

	if (isempty(path))
		return -EINVAL;

	fd = kvp_open_fd(path, O_RDWR, NULL);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return log_debug_errno(fd, "Failed to open KVP pool %s: %m", path);
	r = kvp_check_regular(fd, path, &st);
	if (r < 0)
		return r;
	r = kvp_lock(fd, LOCK_EX);
	if (r < 0)
		return r;
	if (fstat(fd, &st) < 0)
		return -errno;

	if (st.st_mtim.tv_sec < 0)
		mtime = 0;
	else
		mtime =
		    (usec_t)st.st_mtim.tv_sec * USEC_PER_SEC + (usec_t)st.st_mtim.tv_nsec / 1000;
	if (mtime >= boot_time_usec())
		return 0;
	if (st.st_size == 0)
		return 0;

	if (ftruncate(fd, 0) < 0)
		return log_debug_errno(errno, "Failed to truncate stale KVP pool %s: %m", path);
	return 1;
}

void kvp_records_free(KvpRecord *r, size_t n)
{
	if (!r)
		return;
	for (size_t i = 0; i < n; i++) {
		free(r[i].key);
		free(r[i].value);
	}
	free(r);
}

static int kvp_field(const char *field, size_t size, const char *path, size_t index,
		     const char *what, char **ret)
{
	const char *nul = memchr(field, '\0', size);
	char *s;

	if (!nul)
		return log_debug_errno(EBADMSG, "KVP pool %s: record %zu: %s not NUL-terminated",
				       path, index, what);
	if (!utf8_is_valid_n(field, (size_t)(nul - field)))
		return log_debug_errno(EBADMSG, "KVP pool %s: record %zu: %s not valid UTF-8", path,
				       index, what);
	s = strdup(field);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int kvp_read_all(const char *path, KvpRecord **ret, size_t *ret_n)
{
	_cleanup_free_ char *data = NULL;
	_cleanup_close_ int fd = -EBADF;
	KvpRecord *recs;
	struct stat st;
	size_t len, n;
	int r;

	if (isempty(path) || !ret || !ret_n)
		return -EINVAL;

	fd = kvp_open_fd(path, O_RDONLY, NULL);
	if (fd < 0)
		return fd;
	r = kvp_check_regular(fd, path, &st);
	if (r < 0)
		return r;
	r = kvp_lock(fd, LOCK_SH);
	if (r < 0)
		return r;
	r = read_full_fd(fd, KVP_READ_MAX, &data, &len);
	if (r < 0)
		return r;
	if (len % KVP_RECORD_SIZE != 0)
		return log_debug_errno(EBADMSG, "KVP pool %s is %zu bytes, not a multiple of %d",
				       path, len, KVP_RECORD_SIZE);

	n = len / KVP_RECORD_SIZE;
	recs = calloc(n > 0 ? n : 1, sizeof(KvpRecord));
	if (!recs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *rec = data + i * KVP_RECORD_SIZE;

		r = kvp_field(rec, KVP_KEY_SIZE, path, i, "key", &recs[i].key);
		if (r >= 0)
			r = kvp_field(rec + KVP_KEY_SIZE, KVP_VALUE_SIZE, path, i, "value",
				      &recs[i].value);
		if (r < 0) {
			kvp_records_free(recs, n);
			return r;
		}
	}

	*ret = recs;
	*ret_n = n;
	return 0;
}
