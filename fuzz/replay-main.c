/* SPDX-License-Identifier: MIT */
/*
 * Without libFuzzer, a fuzz target is linked with this main(): it feeds
 * every file named on the command line (or every file in a directory) to
 * LLVMFuzzerTestOneInput once, so the corpus doubles as a regression test.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macros.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_full_file(path, 16u * 1024 * 1024, &buf, &len);
	if (r < 0) {
		fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(-r));
		return 1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	return 0;
}

int main(int argc, char **argv)
{
	int fail = 0, n = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: missing\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			fail |= run_file(argv[i]);
			n++;
			continue;
		}
		DIR *d = opendir(argv[i]);
		if (!d)
			return 1;
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			char p[4096];
			snprintf(p, sizeof(p), "%s/%s", argv[i], de->d_name);
			fail |= run_file(p);
			n++;
		}
		closedir(d);
	}
	printf("replayed %d inputs\n", n);
	return fail;
}
