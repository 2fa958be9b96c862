/* SPDX-License-Identifier: MIT */
/*
 * Every lazuli-metrics parser on the same arbitrary bytes (as if any /proc
 * or cgroup file said them), then a check of what a Prometheus server would
 * read: every line is a comment or "name[{labels}] number".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expo.h"
#include "log.h"
#include "metrics-config.h"
#include "scrape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static MetricsConfig cfg;
static Scrape s;
static bool ready;

static void check_output(const Expo *e)
{
	const char *p = e->buf, *end = e->buf + e->len;
	if (!p)
		return;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			__builtin_trap(); /* every line ends with a newline */
		if (*p != '#') {
			const char *sp = nl;
			while (sp > p && sp[-1] != ' ')
				sp--;
			if (sp == p || !(expo_number_valid(sp, (size_t)(nl - sp)) ||
					 (nl - sp == 3 && memcmp(sp, "NaN", 3) == 0) ||
					 (nl - sp == 4 && memcmp(sp + 1, "Inf", 3) == 0)))
				__builtin_trap();
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
				__builtin_trap();
		}
		p = nl + 1;
	}
}

typedef int (*ParseFn)(Scrape *, const char *, size_t);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const ParseFn parsers[] = {parse_stat,	  parse_loadavg,       parse_meminfo,
					  parse_vmstat,	  parse_diskstats,     parse_netdev,
					  parse_netstat_pairs, parse_snmp6,    parse_filefd,
					  parse_mounts,	  parse_sockstat};
	char err[256];

	if (!ready) {
		log_set_max_level(LOG_CRIT);
		if (metrics_config_load(&cfg, "/nonexistent/metrics.conf", err, sizeof(err)) < 0)
			abort();
		/* statvfs() of fuzzed mount points must not touch real file systems */
		free(cfg.rootfs);
		cfg.rootfs = strdup("/nonexistent-lazuli-fuzz");
		free(cfg.proc_root);
		cfg.proc_root = strdup("/");
		if (!cfg.rootfs || !cfg.proc_root || scrape_init(&s, &cfg) < 0)
			abort();
		ready = true;
	}
	const char *buf = (const char *)data;

	for (size_t i = 0; i < sizeof(parsers) / sizeof(parsers[0]); i++) {
		expo_reset(&s.out, (i & 1) ? EXPO_OPENMETRICS : EXPO_PROMETHEUS);
		(void)parsers[i](&s, buf, size);
		if (expo_failed(&s.out))
			__builtin_trap();
		check_output(&s.out);
	}

	uint64_t some, full, cpu[6];
	bool has_full;
	(void)parse_pressure(buf, size, &some, &full, &has_full);
	(void)parse_cpu_stat_cgroup(buf, size, cpu);
	char line[65];
	uint64_t attr;
	(void)parse_netclass_u64(buf, size, &attr);
	DiskUdev udev;
	if (parse_udev_data(buf, size, &udev) >= 0)
		for (size_t i = 0; i < _UDEV_PROP_MAX; i++)
			if (strnlen(udev.v[i], UDEV_VALUE_MAX) >= UDEV_VALUE_MAX)
				__builtin_trap();
	if (parse_netclass_str(buf, size, line, sizeof(line)) == 0 && strlen(line) >= sizeof(line))
		__builtin_trap();
	if (parse_uname_line(buf, size, line, sizeof(line)) == 0 && strlen(line) >= sizeof(line))
		__builtin_trap();

	/* the string-shaped inputs: Accept headers, cgroup paths, listen addresses */
	char *str = strndup(buf, size < 4096 ? size : 4096);
	if (str) {
		const char *name;
		size_t namelen;
		char host[64];
		uint16_t port;
		(void)expo_negotiate(str);
		if (cgroup_classify(str, &name, &namelen) < 0 || namelen > strlen(str))
			__builtin_trap();
		(void)parse_listen_address(str, host, sizeof(host), &port, err, sizeof(err));
		free(str);
	}
	return 0;
}
