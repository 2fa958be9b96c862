/* SPDX-License-Identifier: MIT */
/* update: change the resource limits of a container while it runs. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container.h"
#include "fileio.h"
#include "oci-config.h"
#include "strutil.h"
#include "verbs.h"

/* A number, or -1 / "max" for no limit. */
static int parse_limit(const char *s, int64_t *ret)
{
	unsigned long long n;
	if (streq(s, "-1") || streq(s, "max")) {
		*ret = -1;
		return 0;
	}
	if (safe_atou64(s, &n) < 0 || n > INT64_MAX)
		return -EINVAL;
	*ret = (int64_t)n;
	return 0;
}

static int read_resources(const char *path, RunResources *res)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	char err[512];
	int r = streq(path, "-") ? read_full_fd(STDIN_FILENO, CONFIG_MAX_SIZE, &buf, &len)
				 : read_full_file(path, CONFIG_MAX_SIZE, &buf, &len);
	if (r < 0) {
		report_error("update: --resources %s: %s", path, strerror(-r));
		return -1;
	}
	r = run_resources_parse(buf, len, res, err, sizeof(err));
	if (r < 0) {
		report_error("update: --resources %s: %s", path,
			     r == -ENOMEM ? "out of memory" : err);
		return -1;
	}
	return 0;
}

int verb_update(const GlobalOptions *g, int argc, char **argv)
{
	enum {
		ARG_MEMORY = 0x100,
		ARG_PIDS,
		ARG_CPU_QUOTA,
		ARG_CPU_PERIOD,
		ARG_UNSUPPORTED,
	};
	static const struct option options[] = {
	    {"resources", required_argument, NULL, 'r'},
	    {"memory", required_argument, NULL, ARG_MEMORY},
	    {"pids-limit", required_argument, NULL, ARG_PIDS},
	    {"cpu-quota", required_argument, NULL, ARG_CPU_QUOTA},
	    {"cpu-period", required_argument, NULL, ARG_CPU_PERIOD},
	    {"memory-swap", required_argument, NULL, ARG_UNSUPPORTED},
	    {"memory-reservation", required_argument, NULL, ARG_UNSUPPORTED},
	    {"kernel-memory", required_argument, NULL, ARG_UNSUPPORTED},
	    {"kernel-memory-tcp", required_argument, NULL, ARG_UNSUPPORTED},
	    {"cpu-share", required_argument, NULL, ARG_UNSUPPORTED},
	    {"cpu-rt-period", required_argument, NULL, ARG_UNSUPPORTED},
	    {"cpu-rt-runtime", required_argument, NULL, ARG_UNSUPPORTED},
	    {"cpuset-cpus", required_argument, NULL, ARG_UNSUPPORTED},
	    {"cpuset-mems", required_argument, NULL, ARG_UNSUPPORTED},
	    {"blkio-weight", required_argument, NULL, ARG_UNSUPPORTED},
	    {"l3-cache-schema", required_argument, NULL, ARG_UNSUPPORTED},
	    {"mem-bw-schema", required_argument, NULL, ARG_UNSUPPORTED},
	    {},
	};
	RunResources res = {}, flags = {};
	const char *file = NULL;
	RunError e = {};
	int c, idx;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+r:", options, &idx)) >= 0) {
		int64_t v;
		unsigned long long u;
		switch (c) {
		case 'r':
			file = optarg;
			break;
		case ARG_MEMORY:
			if (parse_limit(optarg, &v) < 0)
				goto bad_value;
			flags.has_memory_limit = true;
			flags.memory_limit = v;
			break;
		case ARG_PIDS:
			if (parse_limit(optarg, &v) < 0)
				goto bad_value;
			flags.has_pids_limit = true;
			flags.pids_limit = v;
			break;
		case ARG_CPU_QUOTA:
			if (parse_limit(optarg, &v) < 0 || (v >= 0 && v < 1000))
				goto bad_value;
			flags.has_cpu_quota = true;
			flags.cpu_quota = v;
			break;
		case ARG_CPU_PERIOD:
			if (safe_atou64(optarg, &u) < 0 || u < 1000 || u > 1000000)
				goto bad_value;
			flags.has_cpu_period = true;
			flags.cpu_period = u;
			break;
		case ARG_UNSUPPORTED:
			report_error("update: --%s is not supported yet", options[idx].name);
			return EXIT_USAGE_ERROR;
		default:
			report_error("update: unknown option (see --help)");
			return EXIT_USAGE_ERROR;
		bad_value:
			report_error("update: --%s %s: not a valid value", options[idx].name,
				     optarg);
			return EXIT_USAGE_ERROR;
		}
	}
	const char *id = single_id("update", argc, argv);
	if (!id)
		return EXIT_USAGE_ERROR;
	/* As runc: the file is read first, options given on the command line win. */
	if (file && read_resources(file, &res) < 0)
		return EXIT_USAGE_ERROR;
	if (flags.has_memory_limit) {
		res.has_memory_limit = true;
		res.memory_limit = flags.memory_limit;
	}
	if (flags.has_pids_limit) {
		res.has_pids_limit = true;
		res.pids_limit = flags.pids_limit;
	}
	if (flags.has_cpu_quota) {
		res.has_cpu_quota = true;
		res.cpu_quota = flags.cpu_quota;
	}
	if (flags.has_cpu_period) {
		res.has_cpu_period = true;
		res.cpu_period = flags.cpu_period;
	}
	int r = container_update(g->root, id, NULL, &res, &e);
	if (r < 0) {
		report_run_error(r, &e);
		return EXIT_FAILURE_RUNTIME;
	}
	return 0;
}
