/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "time-util.h"

#define METRICS_CONFIG_PATH SYSCONFDIR "/lazuli/metrics.conf"
#define METRICS_DEFAULT_LISTEN "127.0.0.1:9179"
#define METRICS_DEFAULT_MAX_CGROUPS 1000u
#define METRICS_DEFAULT_MONITOR_ENDPOINT "https://{region}.monitoring.azure.com"
#define METRICS_DEFAULT_SPOOL_DIR "/var/lib/lazuli-metrics/spool"

typedef struct MetricsConfig {
	char *listen;	  /* "127.0.0.1:9179", "[::1]:9179" */
	char *proc_root;  /* "/proc" */
	char *sys_root;	  /* "/sys" */
	char *udev_data;  /* "/run/udev/data": udev's device database */
	char *rootfs;	  /* "/": statvfs of mount points below it */
	char *cgroup_root;  /* "" = find it below sys_root */
	char *run_state_dir; /* lazuli-run's state, "/run/lazuli-run" */
	char *mounts_file;   /* below proc_root: "1/mounts", falling back to "self/mounts" */
	bool enabled[32];    /* per CollectorId */
	unsigned max_cgroups;
	unsigned max_cgroup_depth;
	bool cgroup_pressure; /* read each cgroup's *.pressure files */
	size_t max_file_size;
	usec_t mount_timeout; /* usec: statfs of a network or FUSE mount */

	/* Azure Monitor push */
	bool monitor;
	char *monitor_endpoint;	 /* "https://{region}.monitoring.azure.com" */
	char *imds_url;
	char *resource_id;	 /* "" = from IMDS */
	char *region;		 /* "" = from IMDS */
	char *client_id;	 /* user-assigned identity, "" = system-assigned */
	char *spool_dir;
	uint64_t spool_max_bytes;
	usec_t push_interval;	 /* 60 s */
	usec_t sample_interval;	 /* 10 s */
	usec_t request_timeout;	 /* 30 s */
	unsigned max_attempts;	 /* per batch and push */
} MetricsConfig;

/*
 * Load path (missing is fine: defaults), then apply root: when non-NULL,
 * ProcRoot/SysRoot/Rootfs/UdevData become root/proc, root/sys, root and
 * root/run/udev/data.
 * err names the file, line and key on -EINVAL.
 */
int metrics_config_load(MetricsConfig *c, const char *path, char *err, size_t errlen);
int metrics_config_set_root(MetricsConfig *c, const char *root);
void metrics_config_done(MetricsConfig *c);

/* "host:port" / "[v6]:port" -> parts; -EINVAL with a reason in err. */
int parse_listen_address(const char *s, char *host, size_t hostlen, uint16_t *port, char *err,
			 size_t errlen);
