/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "kvp.h"
#include "strutil.h"

static char dir[64];
static char pool[128];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test-kvp.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(pool, sizeof(pool), "%s/sub/.kvp_pool_1", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *path, size_t *len)
{
	char *data = NULL;
	assert_int_equal(read_full_file(path, 64 * 1024 * 1024, &data, len), 0);
	return data;
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* Concatenate the values of all records with this key, in file order. */
static char *joined(const KvpRecord *r, size_t n, const char *key, size_t *count)
{
	StrBuf b = {0};
	*count = 0;
	for (size_t i = 0; i < n; i++)
		if (streq(r[i].key, key)) {
			assert_int_equal(strbuf_puts(&b, r[i].value), 0);
			(*count)++;
		}
	return strbuf_steal(&b);
}

static void test_append_read_back(void **state)
{
	KvpRecord *r = NULL;
	size_t n = 0, len;
	struct stat st;

	(void)state;
	mode_t old = umask(077);
	assert_int_equal(kvp_append(pool, "PROVISIONING_REPORT", "result=success|agent=x"), 0);
	umask(old);
	assert_int_equal(kvp_append(pool, "k2", ""), 0);
	assert_int_equal(kvp_append(pool, "k3", "ünïcödé €"), 0);

	assert_int_equal(stat(pool, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_size, 3 * KVP_RECORD_SIZE);

	assert_int_equal(kvp_read_all(pool, &r, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(r[0].key, "PROVISIONING_REPORT");
	assert_string_equal(r[0].value, "result=success|agent=x");
	assert_string_equal(r[1].key, "k2");
	assert_string_equal(r[1].value, "");
	assert_string_equal(r[2].key, "k3");
	assert_string_equal(r[2].value, "ünïcödé €");
	kvp_records_free(r, n);

	/* On-disk layout: zero padded key[512] + value[2048]. */
	_cleanup_free_ char *raw = slurp(pool, &len);
	assert_int_equal(len, 3 * KVP_RECORD_SIZE);
	assert_memory_equal(raw, "PROVISIONING_REPORT", 20);
	for (size_t i = 20; i < KVP_KEY_SIZE; i++)
		assert_int_equal(raw[i], 0);
	assert_memory_equal(raw + KVP_KEY_SIZE, "result=success|agent=x", 23);
	for (size_t i = KVP_KEY_SIZE + 23; i < KVP_RECORD_SIZE; i++)
		assert_int_equal(raw[i], 0);
}

static void test_chunking_exact(void **state)
{
	KvpRecord *r = NULL;
	size_t n = 0, cnt;

	(void)state;
	_cleanup_free_ char *v1022 = repeat('a', 1022);
	_cleanup_free_ char *v1023 = repeat('b', 1023);
	_cleanup_free_ char *v3000 = repeat('c', 3000);

	assert_int_equal(kvp_append(pool, "exact", v1022), 0);
	assert_int_equal(kvp_append(pool, "over", v1023), 0);
	assert_int_equal(kvp_append(pool, "big", v3000), 0);

	assert_int_equal(kvp_read_all(pool, &r, &n), 0);
	assert_int_equal(n, 1 + 2 + 3);
	assert_int_equal(strlen(r[0].value), 1022);
	assert_int_equal(strlen(r[1].value), 1022);
	assert_int_equal(strlen(r[2].value), 1);
	assert_int_equal(strlen(r[3].value), 1022);
	assert_int_equal(strlen(r[4].value), 1022);
	assert_int_equal(strlen(r[5].value), 956);
	_cleanup_free_ char *j = joined(r, n, "big", &cnt);
	assert_int_equal(cnt, 3);
	assert_string_equal(j, v3000);
	kvp_records_free(r, n);
}

static void test_chunking_multibyte_straddle(void **state)
{
	KvpRecord *r = NULL;
	size_t n = 0, cnt;
	char v[2048];

	(void)state;
	/* 1021 ASCII bytes then "é" (2 bytes) occupies bytes 1021..1022: it must
	 * move whole into the second record. */
	memset(v, 'x', 1021);
	strcpy(v + 1021, "é€tail");
	assert_int_equal(kvp_append(pool, "mb", v), 0);

	/* "€" (3 bytes) at 1020..1022. */
	char w[2048];
	memset(w, 'y', 1020);
	strcpy(w + 1020, "€");
	assert_int_equal(kvp_append(pool, "mb3", w), 0);

	assert_int_equal(kvp_read_all(pool, &r, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(strlen(r[0].value), 1021);
	assert_string_equal(r[1].value, "é€tail");
	assert_int_equal(strlen(r[2].value), 1020);
	assert_string_equal(r[3].value, "€");
	for (size_t i = 0; i < n; i++) {
		assert_true(strlen(r[i].value) <= KVP_SAFE_VALUE_MAX);
		assert_true(utf8_is_valid_n(r[i].value, strlen(r[i].value)));
	}
	_cleanup_free_ char *j = joined(r, n, "mb", &cnt);
	assert_int_equal(cnt, 2);
	assert_string_equal(j, v);
	kvp_records_free(r, n);
}

static void test_key_limits(void **state)
{
	KvpRecord *r = NULL;
	size_t n = 0;

	(void)state;
	_cleanup_free_ char *k254 = repeat('k', 254);
	_cleanup_free_ char *k255 = repeat('k', 255);

	assert_int_equal(kvp_append(pool, k255, "v"), -ENAMETOOLONG);
	/* Nothing was created for a refused record. */
	assert_false(file_exists(pool));
	assert_int_equal(kvp_append(pool, "", "v"), -EINVAL);
	assert_int_equal(kvp_append(pool, NULL, "v"), -EINVAL);
	assert_false(file_exists(pool));

	assert_int_equal(kvp_append(pool, k254, "v"), 0);
	assert_int_equal(kvp_read_all(pool, &r, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].key, k254);
	kvp_records_free(r, n);
}

static void test_invalid_utf8_untouched(void **state)
{
	size_t before_len, after_len;

	(void)state;
	assert_int_equal(kvp_append(pool, "ok", "first"), 0);
	_cleanup_free_ char *before = slurp(pool, &before_len);

	assert_int_equal(kvp_append(pool, "bad", "abc\xff"), -EINVAL);
	assert_int_equal(kvp_append(pool, "bad", "over\xc0\xafong"), -EINVAL);
	assert_int_equal(kvp_append(pool, "bad", "surrogate\xed\xa0\x80"), -EINVAL);
	assert_int_equal(kvp_append(pool, "k\xfe", "v"), -EINVAL);
	/* A long value whose invalid byte is in the third chunk: still nothing. */
	_cleanup_free_ char *v = repeat('z', 3000);
	v[2500] = '\x80';
	assert_int_equal(kvp_append(pool, "bad", v), -EINVAL);

	_cleanup_free_ char *after = slurp(pool, &after_len);
	assert_int_equal(before_len, after_len);
	assert_memory_equal(before, after, before_len);
}

static void test_stale_truncation(void **state)
{
	struct timespec ts[2] = {{0, 0}, {0, 0}};
	struct stat st;

	(void)state;
	/* Missing pool: nothing to do. */
	assert_int_equal(kvp_truncate_if_stale(pool), 0);

	assert_int_equal(kvp_append(pool, "old", "boot"), 0);
	/* Written during this boot: kept. */
	assert_int_equal(kvp_truncate_if_stale(pool), 0);
	assert_int_equal(stat(pool, &st), 0);
	assert_int_equal(st.st_size, KVP_RECORD_SIZE);

	assert_int_equal(utimensat(AT_FDCWD, pool, ts, 0), 0);
	assert_int_equal(kvp_truncate_if_stale(pool), 1);
	assert_int_equal(stat(pool, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(st.st_mode & 07777, 0644);

	/* Truncation updated the mtime: not stale any more, and appends work. */
	assert_int_equal(kvp_truncate_if_stale(pool), 0);
	assert_int_equal(kvp_append(pool, "new", "boot"), 0);
	assert_int_equal(stat(pool, &st), 0);
	assert_int_equal(st.st_size, KVP_RECORD_SIZE);
}

static void test_symlink_refused(void **state)
{
	char target[160], link[160];
	struct stat st;
	KvpRecord *r = NULL;
	size_t n = 0;

	(void)state;
	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(write_file_atomic(target, "precious", 8, 0600), 0);
	assert_int_equal(symlink(target, link), 0);

	assert_int_equal(kvp_append(link, "k", "v"), -ELOOP);
	assert_int_equal(kvp_truncate_if_stale(link), -ELOOP);
	assert_int_equal(kvp_read_all(link, &r, &n), -ELOOP);

	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 8);

	/* A dangling symlink must not create its target either. */
	char dangling[160], nowhere[160];
	snprintf(dangling, sizeof(dangling), "%s/dangling", dir);
	snprintf(nowhere, sizeof(nowhere), "%s/nowhere", dir);
	assert_int_equal(symlink(nowhere, dangling), 0);
	assert_int_equal(kvp_append(dangling, "k", "v"), -ELOOP);
	assert_false(file_exists(nowhere));
}

static void test_non_regular_refused(void **state)
{
	char fifo[160];
	KvpRecord *r = NULL;
	size_t n = 0;

	(void)state;
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* Would block forever if opened without O_NONBLOCK. */
	int r1 = kvp_append(fifo, "k", "v");
	assert_true(r1 == -EBADFD || r1 == -ENXIO);
	assert_int_equal(kvp_read_all(fifo, &r, &n), -EBADFD);
	assert_int_equal(kvp_truncate_if_stale(dir), -EISDIR);
}

static void write_raw(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(loop_write(fd, data, len), 0);
	close(fd);
}

static void test_read_strict(void **state)
{
	char rec[KVP_RECORD_SIZE];
	char path[160];
	KvpRecord *r = (KvpRecord *)0x1;
	size_t n = 7;

	(void)state;
	snprintf(path, sizeof(path), "%s/raw", dir);

	/* Empty pool: zero records. */
	write_raw(path, "", 0);
	assert_int_equal(kvp_read_all(path, &r, &n), 0);
	assert_int_equal(n, 0);
	kvp_records_free(r, n);

	/* Torn size. */
	memset(rec, 0, sizeof(rec));
	strcpy(rec, "k");
	write_raw(path, rec, sizeof(rec) - 1);
	assert_int_equal(kvp_read_all(path, &r, &n), -EBADMSG);
	/* Appending to a torn pool is refused, and the pool is left as it was. */
	assert_int_equal(kvp_append(path, "k", "v"), -EBADMSG);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, KVP_RECORD_SIZE - 1);

	/* Key filling its whole field, no NUL. */
	memset(rec, 'k', KVP_KEY_SIZE);
	memset(rec + KVP_KEY_SIZE, 0, KVP_VALUE_SIZE);
	write_raw(path, rec, sizeof(rec));
	assert_int_equal(kvp_read_all(path, &r, &n), -EBADMSG);

	/* Value without NUL. */
	memset(rec, 0, KVP_KEY_SIZE);
	strcpy(rec, "k");
	memset(rec + KVP_KEY_SIZE, 'v', KVP_VALUE_SIZE);
	write_raw(path, rec, sizeof(rec));
	assert_int_equal(kvp_read_all(path, &r, &n), -EBADMSG);

	/* Invalid UTF-8 in the value of the second record. */
	char two[2 * KVP_RECORD_SIZE];
	memset(two, 0, sizeof(two));
	strcpy(two, "a");
	strcpy(two + KVP_KEY_SIZE, "ok");
	strcpy(two + KVP_RECORD_SIZE, "b");
	strcpy(two + KVP_RECORD_SIZE + KVP_KEY_SIZE, "bad\xff");
	write_raw(path, two, sizeof(two));
	assert_int_equal(kvp_read_all(path, &r, &n), -EBADMSG);

	/* Garbage after the NUL (hv_kvp_daemon does not guarantee zero
	 * padding) is fine. */
	strcpy(two + KVP_RECORD_SIZE + KVP_KEY_SIZE, "good\0\xff\xff");
	write_raw(path, two, sizeof(two));
	assert_int_equal(kvp_read_all(path, &r, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(r[1].value, "good");
	kvp_records_free(r, n);

	assert_int_equal(kvp_read_all("/nonexistent/kvp", &r, &n), -ENOENT);
}

static void test_concurrent_writers_keep_batches_whole(void **state)
{
	KvpRecord *r = NULL;
	size_t n = 0;
	pid_t pids[2];

	(void)state;
	for (int c = 0; c < 2; c++) {
		pids[c] = fork();
		assert_true(pids[c] >= 0);
		if (pids[c] == 0) {
			char key[16], *v = malloc(3000);
			if (!v)
				_exit(1);
			snprintf(key, sizeof(key), "child%d", c);
			memset(v, 'A' + c, 2999);
			v[2999] = '\0';
			for (int i = 0; i < 40; i++)
				if (kvp_append(pool, key, v) < 0)
					_exit(1);
			free(v);
			_exit(0);
		}
	}
	for (int c = 0; c < 2; c++) {
		int status;
		assert_int_equal(waitpid(pids[c], &status, 0), pids[c]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}

	assert_int_equal(kvp_read_all(pool, &r, &n), 0);
	assert_int_equal(n, 2 * 40 * 3);
	/* Each batch of 3 chunks is contiguous: one write under the lock. */
	for (size_t i = 0; i < n; i += 3) {
		assert_string_equal(r[i].key, r[i + 1].key);
		assert_string_equal(r[i].key, r[i + 2].key);
		assert_int_equal(
		    strlen(r[i].value) + strlen(r[i + 1].value) + strlen(r[i + 2].value), 2999);
	}
	kvp_records_free(r, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_append_read_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chunking_exact, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chunking_multibyte_straddle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid_utf8_untouched, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale_truncation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_non_regular_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_strict, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_writers_keep_batches_whole, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
