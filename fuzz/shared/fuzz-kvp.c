/* SPDX-License-Identifier: MIT */
/*
 * KVP pool: the strict reader on arbitrary pool contents, and the writer on
 * an arbitrary key/value (split at the first NUL of the input): a record
 * batch written must read back as chunks of <= 1022 valid UTF-8 bytes that
 * join into the value; a refused one must leave the pool untouched.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "kvp.h"
#include "strutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char pool[128], pool_dir[64];

static void pool_cleanup(void)
{
	(void)unlink(pool);
	(void)rmdir(pool_dir);
}

static int pool_reset(const void *data, size_t size)
{
	int fd;

	if (!pool[0]) {
		strcpy(pool_dir, "/tmp/fuzz-kvp.XXXXXX");
		if (!mkdtemp(pool_dir))
			return -1;
		snprintf(pool, sizeof(pool), "%s/.kvp_pool_1", pool_dir);
		atexit(pool_cleanup);
	}
	fd = open(pool, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (size > 0 && loop_write(fd, data, size) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void fuzz_read(const uint8_t *data, size_t size)
{
	KvpRecord *r = NULL;
	size_t n = 0;

	if (pool_reset(data, size) < 0)
		return;
	if (kvp_read_all(pool, &r, &n) >= 0) {
		if (n * KVP_RECORD_SIZE != size)
			__builtin_trap();
		for (size_t i = 0; i < n; i++)
			if (strlen(r[i].key) >= KVP_KEY_SIZE ||
			    strlen(r[i].value) >= KVP_VALUE_SIZE ||
			    !utf8_is_valid_n(r[i].value, strlen(r[i].value)))
				__builtin_trap();
		kvp_records_free(r, n);
	}
}

static void fuzz_write(const uint8_t *data, size_t size)
{
	static const char before[KVP_RECORD_SIZE] = "previous";
	const char *nul = memchr(data, '\0', size);
	char *key, *value, *after = NULL;
	KvpRecord *r = NULL;
	size_t n = 0, len = 0;

	if (!nul)
		return;
	key = strndup((const char *)data, (size_t)(nul - (const char *)data));
	value = strndup(nul + 1, size - (size_t)(nul - (const char *)data) - 1);
	if (!key || !value || pool_reset(before, sizeof(before)) < 0)
		goto out;

	if (kvp_append(pool, key, value) < 0) {
		if (read_full_file(pool, 1 << 20, &after, &len) < 0 || len != sizeof(before) ||
		    memcmp(after, before, len) != 0)
			__builtin_trap();
		goto out;
	}
	if (kvp_read_all(pool, &r, &n) < 0 || n < 2)
		__builtin_trap();
	StrBuf joined = {0};
	for (size_t i = 1; i < n; i++) {
		if (!streq(r[i].key, key) || strlen(r[i].value) > KVP_SAFE_VALUE_MAX ||
		    !utf8_is_valid_n(r[i].value, strlen(r[i].value)))
			__builtin_trap();
		if (strbuf_puts(&joined, r[i].value) < 0)
			break;
	}
	char *j = strbuf_steal(&joined);
	if (j && !streq(j, value))
		__builtin_trap();
	free(j);
	kvp_records_free(r, n);
out:
	free(after);
	free(key);
	free(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		fuzz_write(data + 1, size - 1);
	else
		fuzz_read(data + 1, size - 1);
	return 0;
}
