/* SPDX-License-Identifier: MIT */
#include "metrics-config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "config.h"
#include "imds.h"
#include "macros.h"
#include "scrape.h"
#include "strutil.h"

static const char *const known_keys[] = {
    "Metrics.Listen",
    "Metrics.ProcRoot",
    "Metrics.SysRoot",
    "Metrics.UdevData",
    "Metrics.Rootfs",
    "Metrics.CgroupRoot",
    "Metrics.RunStateDirectory",
    "Metrics.MountsFile",
    "Metrics.Collectors",
    "Metrics.DisableCollectors",
    "Metrics.MaxCgroups",
    "Metrics.MaxCgroupDepth",
    "Metrics.CgroupPressure",
    "Metrics.MaxFileSize",
    "Metrics.MountTimeout",
    "Monitor.Enabled",
    "Monitor.Endpoint",
    "Monitor.ImdsUrl",
    "Monitor.ResourceId",
    "Monitor.Region",
    "Monitor.ClientId",
    "Monitor.SpoolDirectory",
    "Monitor.SpoolMaxBytes",
    "Monitor.Interval",
    "Monitor.SampleInterval",
    "Monitor.RequestTimeout",
    "Monitor.MaxAttempts",
    NULL,
};

static int set_str(char **dst, const Conf *conf, const char *section, const char *key,
		   const char *def)
{
	const char *v = conf ? conf_get(conf, section, key) : NULL;
	char *n = strdup(v ? v : def);
	if (!n)
		return -ENOMEM;
	free(*dst);
	*dst = n;
	return 0;
}

void metrics_config_done(MetricsConfig *c)
{
	free(c->listen);
	free(c->proc_root);
	free(c->sys_root);
	free(c->udev_data);
	free(c->rootfs);
	free(c->cgroup_root);
	free(c->run_state_dir);
	free(c->mounts_file);
	free(c->monitor_endpoint);
	free(c->imds_url);
	free(c->resource_id);
	free(c->region);
	free(c->client_id);
	free(c->spool_dir);
	*c = (MetricsConfig){0};
}

/* "cpu, meminfo" -> enabled[] (only those); names are checked. */
static int parse_collector_list(const char *v, bool value, MetricsConfig *c, const char *key,
				char *err, size_t errlen)
{
	for (const char *p = v; *p;) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		const char *s = p;
		while (*p && *p != ' ' && *p != ',' && *p != '\t')
			p++;
		if (p == s)
			break;
		int id = collector_from_name(s, (size_t)(p - s));
		if (id < 0) {
			snprintf(err, errlen, "Metrics.%s: unknown collector \"%.*s\"", key,
				 (int)(p - s), s);
			return -EINVAL;
		}
		c->enabled[id] = value;
	}
	return 0;
}

int parse_listen_address(const char *s, char *host, size_t hostlen, uint16_t *port, char *err,
			 size_t errlen)
{
	const char *colon, *h = s;
	size_t hl;
	unsigned char tmp[16];

	if (isempty(s)) {
		snprintf(err, errlen, "empty listen address");
		return -EINVAL;
	}
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':') {
			snprintf(err, errlen, "\"%s\": expected [address]:port", s);
			return -EINVAL;
		}
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon) {
			snprintf(err, errlen, "\"%s\": expected address:port (IPv6 in brackets)", s);
			return -EINVAL;
		}
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= hostlen) {
		snprintf(err, errlen, "\"%s\": missing or too long address", s);
		return -EINVAL;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (inet_pton(s[0] == '[' ? AF_INET6 : AF_INET, host, tmp) != 1) {
		snprintf(err, errlen, "\"%s\": \"%s\" is not a numeric IP address", s, host);
		return -EINVAL;
	}
	unsigned long long p;
	if (safe_atou64(colon + 1, &p) < 0 || p > 65535) {
		snprintf(err, errlen, "\"%s\": port must be 0-65535", s);
		return -EINVAL;
	}
	*port = (uint16_t)p;
	return 0;
}

static int defaults(MetricsConfig *c)
{
	*c = (MetricsConfig){
	    .max_cgroups = METRICS_DEFAULT_MAX_CGROUPS,
	    .max_cgroup_depth = 8,
	    .cgroup_pressure = true,
	    .max_file_size = 16u * 1024 * 1024,
	    .mount_timeout = 5 * USEC_PER_SEC,
	    .spool_max_bytes = 16u * 1024 * 1024,
	    .push_interval = 60 * USEC_PER_SEC,
	    .sample_interval = 10 * USEC_PER_SEC,
	    .request_timeout = 30 * USEC_PER_SEC,
	    .max_attempts = 4,
	};
	for (int i = 0; i < _COLLECTOR_MAX; i++)
		c->enabled[i] = true;
	return 0;
}

int metrics_config_load(MetricsConfig *c, const char *path, char *err, size_t errlen)
{
	Conf conf = {0};
	int r;

	defaults(c);
	r = conf_load(&conf, path, err, errlen);
	if (r < 0)
		goto out;
	r = conf_check_known(&conf, known_keys, err, errlen);
	if (r < 0)
		goto out;

	if ((r = set_str(&c->listen, &conf, "Metrics", "Listen", METRICS_DEFAULT_LISTEN)) < 0 ||
	    (r = set_str(&c->proc_root, &conf, "Metrics", "ProcRoot", "/proc")) < 0 ||
	    (r = set_str(&c->sys_root, &conf, "Metrics", "SysRoot", "/sys")) < 0 ||
	    (r = set_str(&c->udev_data, &conf, "Metrics", "UdevData", "/run/udev/data")) < 0 ||
	    (r = set_str(&c->rootfs, &conf, "Metrics", "Rootfs", "")) < 0 ||
	    (r = set_str(&c->cgroup_root, &conf, "Metrics", "CgroupRoot", "")) < 0 ||
	    (r = set_str(&c->run_state_dir, &conf, "Metrics", "RunStateDirectory",
			 "/run/lazuli-run")) < 0 ||
	    (r = set_str(&c->mounts_file, &conf, "Metrics", "MountsFile", "1/mounts")) < 0 ||
	    (r = set_str(&c->monitor_endpoint, &conf, "Monitor", "Endpoint",
			 METRICS_DEFAULT_MONITOR_ENDPOINT)) < 0 ||
	    (r = set_str(&c->imds_url, &conf, "Monitor", "ImdsUrl", IMDS_DEFAULT_URL)) < 0 ||
	    (r = set_str(&c->resource_id, &conf, "Monitor", "ResourceId", "")) < 0 ||
	    (r = set_str(&c->region, &conf, "Monitor", "Region", "")) < 0 ||
	    (r = set_str(&c->client_id, &conf, "Monitor", "ClientId", "")) < 0 ||
	    (r = set_str(&c->spool_dir, &conf, "Monitor", "SpoolDirectory",
			 METRICS_DEFAULT_SPOOL_DIR)) < 0)
		goto out;

	const char *v = conf_get(&conf, "Metrics", "Collectors");
	if (v) {
		for (int i = 0; i < _COLLECTOR_MAX; i++)
			c->enabled[i] = false;
		if ((r = parse_collector_list(v, true, c, "Collectors", err, errlen)) < 0)
			goto out;
	}
	v = conf_get(&conf, "Metrics", "DisableCollectors");
	if (v && (r = parse_collector_list(v, false, c, "DisableCollectors", err, errlen)) < 0)
		goto out;

	unsigned u;
	if ((r = conf_get_uint(&conf, "Metrics", "MaxCgroups", &c->max_cgroups, err, errlen)) < 0 ||
	    (r = conf_get_uint(&conf, "Metrics", "MaxCgroupDepth", &c->max_cgroup_depth, err,
			       errlen)) < 0 ||
	    (r = conf_get_bool(&conf, "Metrics", "CgroupPressure", &c->cgroup_pressure, err,
			       errlen)) < 0 ||
	    (r = conf_get_usec(&conf, "Metrics", "MountTimeout", &c->mount_timeout, err, errlen)) <
		0 ||
	    (r = conf_get_bool(&conf, "Monitor", "Enabled", &c->monitor, err, errlen)) < 0 ||
	    (r = conf_get_usec(&conf, "Monitor", "Interval", &c->push_interval, err, errlen)) < 0 ||
	    (r = conf_get_usec(&conf, "Monitor", "SampleInterval", &c->sample_interval, err,
			       errlen)) < 0 ||
	    (r = conf_get_usec(&conf, "Monitor", "RequestTimeout", &c->request_timeout, err,
			       errlen)) < 0 ||
	    (r = conf_get_uint(&conf, "Monitor", "MaxAttempts", &c->max_attempts, err, errlen)) <
		0)
		goto out;
	u = 0;
	if (conf_get(&conf, "Metrics", "MaxFileSize")) {
		if ((r = conf_get_uint(&conf, "Metrics", "MaxFileSize", &u, err, errlen)) < 0)
			goto out;
		if (u < 4096) {
			snprintf(err, errlen, "Metrics.MaxFileSize: at least 4096 bytes");
			r = -EINVAL;
			goto out;
		}
		c->max_file_size = u;
	}
	if (conf_get(&conf, "Monitor", "SpoolMaxBytes")) {
		if ((r = conf_get_uint(&conf, "Monitor", "SpoolMaxBytes", &u, err, errlen)) < 0)
			goto out;
		c->spool_max_bytes = u;
	}
	if (c->mount_timeout < USEC_PER_MSEC * 10 || c->mount_timeout > 600 * USEC_PER_SEC) {
		snprintf(err, errlen, "Metrics.MountTimeout: between 10ms and 10min");
		r = -EINVAL;
		goto out;
	}
	if (c->max_cgroup_depth > 32) {
		snprintf(err, errlen, "Metrics.MaxCgroupDepth: at most 32");
		r = -EINVAL;
		goto out;
	}
	if (c->sample_interval < USEC_PER_SEC || c->push_interval < USEC_PER_SEC ||
	    c->sample_interval > c->push_interval) {
		snprintf(err, errlen,
			 "Monitor.SampleInterval must be at least 1s and at most Monitor.Interval");
		r = -EINVAL;
		goto out;
	}
	if (c->max_attempts == 0 || c->max_attempts > 20) {
		snprintf(err, errlen, "Monitor.MaxAttempts: 1-20");
		r = -EINVAL;
		goto out;
	}
	char host[64];
	uint16_t port;
	char why[256];
	if (parse_listen_address(c->listen, host, sizeof(host), &port, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "Metrics.Listen: %s", why);
		r = -EINVAL;
		goto out;
	}
	r = 0;
out:
	conf_done(&conf);
	if (r < 0)
		metrics_config_done(c);
	return r;
}

int metrics_config_set_root(MetricsConfig *c, const char *root)
{
	char *p = NULL, *s = NULL, *f = NULL, *u = NULL;
	if (asprintf(&p, "%s/proc", root) < 0 || asprintf(&s, "%s/sys", root) < 0 ||
	    asprintf(&u, "%s/run/udev/data", root) < 0 || !(f = strdup(root))) {
		free(p);
		free(s);
		free(u);
		return -ENOMEM;
	}
	free(c->proc_root);
	free(c->sys_root);
	free(c->rootfs);
	free(c->udev_data);
	c->proc_root = p;
	c->sys_root = s;
	c->rootfs = f;
	c->udev_data = u;
	return 0;
}
