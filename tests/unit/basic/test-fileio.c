/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "strutil.h"

static char dir[64];

static int setup(void **state)
{
	strcpy(dir, "/tmp/test-fileio.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static size_t count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	size_t n = 0;
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' || (de->d_name[1] && de->d_name[1] != '.'))
			n++;
	closedir(d);
	return n;
}

static void test_atomic_write(void **state)
{
	char path[128], *data = NULL;
	size_t len;
	struct stat st;

	snprintf(path, sizeof(path), "%s/file", dir);
	mode_t old = umask(0777); /* the umask must not change the mode asked for */
	assert_int_equal(write_file_atomic(path, "first", 5, 0640), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(write_file_atomic(path, "second", 6, 0600), 0);
	assert_int_equal(read_full_file(path, 100, &data, &len), 0);
	assert_int_equal(len, 6);
	assert_string_equal(data, "second");
	free(data);
	assert_int_equal(count_entries(dir), 1); /* no temporary left */
	unlink(path);
}

static void test_atomic_write_failure_leaves_nothing(void **state)
{
	char path[128], sub[160];

	/* Renaming a file over a non-empty directory fails after the temp was written. */
	snprintf(path, sizeof(path), "%s/target", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/x", path);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_true(write_file_atomic(path, "data", 4, 0600) < 0);
	assert_int_equal(count_entries(dir), 1);
	rmdir(sub);
	rmdir(path);

	snprintf(path, sizeof(path), "%s/missing-dir/file", dir);
	assert_int_equal(write_file_atomic(path, "data", 4, 0600), -ENOENT);
}

static void test_read_cap(void **state)
{
	char path[128], *data = NULL;
	char big[10000];
	memset(big, 'x', sizeof(big));
	snprintf(path, sizeof(path), "%s/big", dir);
	assert_int_equal(write_file_atomic(path, big, sizeof(big), 0600), 0);
	assert_int_equal(read_full_file(path, 9999, &data, NULL), -EFBIG);
	assert_null(data);
	assert_int_equal(read_full_file(path, 10000, &data, NULL), 0);
	free(data);
	assert_int_equal(read_full_file("/nonexistent/file", 10, &data, NULL), -ENOENT);
	unlink(path);
}

static void test_mkdir_p(void **state)
{
	char path[128];
	struct stat st;
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(mkdir_p(path, 0700), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(mkdir_p(path, 0700), 0); /* idempotent */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_atomic_write),
	    cmocka_unit_test(test_atomic_write_failure_leaves_nothing),
	    cmocka_unit_test(test_read_cap),
	    cmocka_unit_test(test_mkdir_p),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
