/* SPDX-License-Identifier: MIT */
/* update: change the resource limits of a container while it runs. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

/* Memory sizes as runc takes them: "512m", "1g", "1048576", "-1" (binary units). */
static int parse_size(const char *s, int64_t *ret)
{
	static const char units[] = "bkmgtp";
	if (parse_limit(s, ret) == 0)
		return 0;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno || end == s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	const char *u = *end ? strchr(units, tolower((unsigned char)*end)) : NULL;
	if (!u || !*u)
		return -EINVAL;
	end++;
	if (*end && (strcasecmp(end, "b") && strcasecmp(end, "ib")))
		return -EINVAL;
	for (const char *k = units; k < u; k++) {
		if (n > (unsigned long long)INT64_MAX / 1024)
			return -ERANGE;
		n *= 1024;
	}
	*ret = (int64_t)n;
	return 0;
}

static int parse_u64(const char *s, uint64_t *ret)
{
	unsigned long long n;
	if (safe_atou64(s, &n) < 0)
		return -EINVAL;
	*ret = n;
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

static int replace_string(char **p, const char *s)
{
	char *n = strdup(s);
	if (!n)
		return -ENOMEM;
	free(*p);
	*p = n;
	return 0;
}

int verb_update(const GlobalOptions *g, int argc, char **argv)
{
	enum {
		ARG_MEMORY = 0x100,
		ARG_MEMORY_RESERVATION,
		ARG_MEMORY_SWAP,
		ARG_PIDS,
		ARG_CPU_QUOTA,
		ARG_CPU_PERIOD,
		ARG_CPU_BURST,
		ARG_CPU_SHARE,
		ARG_CPU_RT_PERIOD,
		ARG_CPU_RT_RUNTIME,
		ARG_CPU_IDLE,
		ARG_CPUSET_CPUS,
		ARG_CPUSET_MEMS,
		ARG_BLKIO_WEIGHT,
		ARG_KERNEL_MEMORY,
		ARG_L3_CACHE_SCHEMA,
		ARG_MEM_BW_SCHEMA,
	};
	static const struct option options[] = {
	    {"resources", required_argument, NULL, 'r'},
	    {"memory", required_argument, NULL, ARG_MEMORY},
	    {"memory-reservation", required_argument, NULL, ARG_MEMORY_RESERVATION},
	    {"memory-swap", required_argument, NULL, ARG_MEMORY_SWAP},
	    {"pids-limit", required_argument, NULL, ARG_PIDS},
	    {"cpu-quota", required_argument, NULL, ARG_CPU_QUOTA},
	    {"cpu-period", required_argument, NULL, ARG_CPU_PERIOD},
	    {"cpu-burst", required_argument, NULL, ARG_CPU_BURST},
	    {"cpu-share", required_argument, NULL, ARG_CPU_SHARE},
	    {"cpu-rt-period", required_argument, NULL, ARG_CPU_RT_PERIOD},
	    {"cpu-rt-runtime", required_argument, NULL, ARG_CPU_RT_RUNTIME},
	    {"cpu-idle", required_argument, NULL, ARG_CPU_IDLE},
	    {"cpuset-cpus", required_argument, NULL, ARG_CPUSET_CPUS},
	    {"cpuset-mems", required_argument, NULL, ARG_CPUSET_MEMS},
	    {"blkio-weight", required_argument, NULL, ARG_BLKIO_WEIGHT},
	    {"kernel-memory", required_argument, NULL, ARG_KERNEL_MEMORY},
	    {"kernel-memory-tcp", required_argument, NULL, ARG_KERNEL_MEMORY},
	    {"l3-cache-schema", required_argument, NULL, ARG_L3_CACHE_SCHEMA},
	    {"mem-bw-schema", required_argument, NULL, ARG_MEM_BW_SCHEMA},
	    {},
	};
	_cleanup_(run_resources_done) RunResources res = {}, flags = {};
	const char *file = NULL, *l3_cache_schema = NULL, *mem_bw_schema = NULL;
	bool limits = false; /* anything for the cgroup */
	RunError e = {};
	int c, idx;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+r:", options, &idx)) >= 0) {
		int64_t v;
		uint64_t u;
		const char *bad;
		if (c != ARG_L3_CACHE_SCHEMA && c != ARG_MEM_BW_SCHEMA)
			limits = true;
		switch (c) {
		case 'r':
			file = optarg;
			break;
		case ARG_MEMORY:
			if (parse_size(optarg, &v) < 0)
				goto bad_value;
			flags.has_memory_limit = true;
			flags.memory_limit = v;
			break;
		case ARG_MEMORY_RESERVATION:
			if (parse_size(optarg, &v) < 0)
				goto bad_value;
			flags.has_memory_reservation = true;
			flags.memory_reservation = v;
			break;
		case ARG_MEMORY_SWAP:
			if (parse_size(optarg, &v) < 0)
				goto bad_value;
			flags.has_memory_swap = true;
			flags.memory_swap = v;
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
			if (parse_u64(optarg, &u) < 0 || u < 1000 || u > 1000000)
				goto bad_value;
			flags.has_cpu_period = true;
			flags.cpu_period = u;
			break;
		case ARG_CPU_BURST:
			if (parse_u64(optarg, &u) < 0)
				goto bad_value;
			flags.has_cpu_burst = true;
			flags.cpu_burst = u;
			break;
		case ARG_CPU_SHARE:
			if (parse_u64(optarg, &u) < 0 || u < 2 || u > 262144)
				goto bad_value;
			flags.has_cpu_shares = true;
			flags.cpu_shares = u;
			break;
		case ARG_CPU_RT_PERIOD:
			if (parse_u64(optarg, &u) < 0 || u == 0)
				goto bad_value;
			flags.has_cpu_rt_period = true;
			flags.cpu_rt_period = u;
			break;
		case ARG_CPU_RT_RUNTIME:
			if (parse_limit(optarg, &v) < 0)
				goto bad_value;
			flags.has_cpu_rt_runtime = true;
			flags.cpu_rt_runtime = v;
			break;
		case ARG_CPU_IDLE:
			if (!streq(optarg, "0") && !streq(optarg, "1"))
				goto bad_value;
			flags.has_cpu_idle = true;
			flags.cpu_idle = optarg[0] - '0';
			break;
		case ARG_CPUSET_CPUS:
		case ARG_CPUSET_MEMS: {
			/* Checked by the same parser as config.json's. */
			char json[512], err[256];
			RunResources tmp = {};
			if (strlen(optarg) > 400 || strpbrk(optarg, "\"\\"))
				goto bad_value;
			snprintf(json, sizeof(json), "{\"cpu\":{\"%s\":\"%s\"}}",
				 c == ARG_CPUSET_CPUS ? "cpus" : "mems", optarg);
			int r = run_resources_parse(json, strlen(json), &tmp, err, sizeof(err));
			run_resources_done(&tmp);
			if (r < 0)
				goto bad_value;
			if (replace_string(c == ARG_CPUSET_CPUS ? &flags.cpus : &flags.mems,
					   optarg) < 0)
				return EXIT_FAILURE_RUNTIME;
			break;
		}
		case ARG_BLKIO_WEIGHT:
			if (parse_u64(optarg, &u) < 0 || u < 10 || u > 1000)
				goto bad_value;
			flags.has_blkio_weight = true;
			flags.blkio_weight = (uint16_t)u;
			break;
		case ARG_KERNEL_MEMORY:
			/* Gone from the kernel; runc accepts and ignores them too. */
			if (parse_size(optarg, &v) < 0)
				goto bad_value;
			break;
		case ARG_L3_CACHE_SCHEMA:
			if (!intel_rdt_schema_valid(optarg, intel_rdt_l3_prefixes, &bad))
				goto bad_value;
			l3_cache_schema = optarg;
			break;
		case ARG_MEM_BW_SCHEMA:
			if (!intel_rdt_schema_valid(optarg, intel_rdt_mb_prefixes, &bad))
				goto bad_value;
			mem_bw_schema = optarg;
			break;
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
#define TAKE(has, field)                                                                           \
	do {                                                                                       \
		if (flags.has) {                                                                   \
			res.has = true;                                                            \
			res.field = flags.field;                                                   \
		}                                                                                  \
	} while (0)
	TAKE(has_memory_limit, memory_limit);
	TAKE(has_memory_reservation, memory_reservation);
	TAKE(has_memory_swap, memory_swap);
	TAKE(has_pids_limit, pids_limit);
	TAKE(has_cpu_quota, cpu_quota);
	TAKE(has_cpu_period, cpu_period);
	TAKE(has_cpu_burst, cpu_burst);
	TAKE(has_cpu_shares, cpu_shares);
	TAKE(has_cpu_rt_period, cpu_rt_period);
	TAKE(has_cpu_rt_runtime, cpu_rt_runtime);
	TAKE(has_cpu_idle, cpu_idle);
	TAKE(has_blkio_weight, blkio_weight);
#undef TAKE
	if ((flags.cpus && replace_string(&res.cpus, flags.cpus) < 0) ||
	    (flags.mems && replace_string(&res.mems, flags.mems) < 0))
		return EXIT_FAILURE_RUNTIME;
	if (res.has_memory_swap && res.memory_swap >= 0 && res.has_memory_limit &&
	    res.memory_limit >= 0 && res.memory_swap < res.memory_limit) {
		report_error(
		    "update: --memory-swap must be at least --memory (it is memory + swap)");
		return EXIT_USAGE_ERROR;
	}
	/*
	 * Device rules are set at create, with the devices every container needs;
	 * like runc, update leaves them (containerd sends them back unchanged).
	 */
	if (res.has_devices) {
		free(res.devices);
		res.devices = NULL;
		res.n_devices = 0;
		res.has_devices = false;
	}
	int r = 0;
	if (l3_cache_schema || mem_bw_schema)
		r = container_update_rdt(g->root, id, l3_cache_schema, mem_bw_schema, &e);
	if (r >= 0 && (limits || !(l3_cache_schema || mem_bw_schema)))
		r = container_update(g->root, id, NULL, &res, &e);
	if (r < 0) {
		report_run_error(r, &e);
		return EXIT_FAILURE_RUNTIME;
	}
	return 0;
}
