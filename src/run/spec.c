/* SPDX-License-Identifier: MIT */
/* spec: write a hardened default config.json into the bundle. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "spec.h"
#include "verbs.h"

int verb_spec(const GlobalOptions *g, int argc, char **argv)
{
	enum { ARG_ROOTLESS = 0x100 };
	static const struct option options[] = {
	    {"bundle", required_argument, NULL, 'b'},
	    {"rootless", no_argument, NULL, ARG_ROOTLESS},
	    {},
	};
	const char *bundle = ".";
	bool rootless = false;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+b:", options, NULL)) >= 0) {
		if (c == 'b')
			bundle = optarg;
		else if (c == ARG_ROOTLESS)
			rootless = true;
		else {
			report_error("spec: unknown option");
			return EXIT_USAGE_ERROR;
		}
	}
	if (optind < argc) {
		report_error("spec: unexpected argument \"%s\"", argv[optind]);
		return EXIT_USAGE_ERROR;
	}
	_cleanup_free_ char *json = default_spec_json(rootless, getuid(), getgid());
	_cleanup_free_ char *path = NULL;
	if (!json || asprintf(&path, "%s/config.json", bundle) < 0)
		return EXIT_FAILURE_RUNTIME;
	/* Never overwrite: O_EXCL, like runc's "File config.json exists". */
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errno == EEXIST)
			report_error("spec: file %s exists, remove it first", path);
		else
			report_error("spec: %s: %s", path, strerror(errno));
		return EXIT_FAILURE_RUNTIME;
	}
	size_t n = strlen(json);
	json[n] = '\n';
	int r = loop_write(fd, json, n + 1);
	json[n] = '\0';
	if (r < 0) {
		report_error("spec: %s: %s", path, strerror(-r));
		(void)unlink(path);
		return EXIT_FAILURE_RUNTIME;
	}
	return 0;
}
