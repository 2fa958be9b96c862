/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics-config.h"
#include "strutil.h"
#include "time-util.h"

/*
 * Azure Monitor custom metrics: the main thread samples every
 * SampleInterval into the current period's min/max/sum/count; a closed
 * period is written to the spool directory as one NDJSON file
 * (<period start>.ndjson, atomically) and a push thread posts the spool to
 * {Endpoint}{resourceId}/metrics with a managed-identity token, in batches
 * of at most MONITOR_MAX_BATCH bytes. What is not accepted stays in the
 * spool for the next period, unless the service refused it for good (400)
 * or it is older than the service's 30-minute window. The spool is bounded
 * by SpoolMaxBytes (oldest dropped first) and is not written when its file
 * system is nearly full.
 *
 * The posting runs in a separate process, lazuli-metrics-push (push.c), so
 * that the server never loads libcurl and its TLS libraries: it watches the
 * spool with inotify. The server starts it (LAZULI_METRICS_PUSH overrides
 * its path) and restarts it at the next period if it died.
 */

/* In the spool directory: the VM info series the pusher learned from IMDS. */
#define MONITOR_VM_INFO_FILE ".vm-info.prom"

#define MONITOR_NAMESPACE "lazuli-metrics"
#define MONITOR_TOKEN_RESOURCE "https://monitoring.azure.com/"
#define MONITOR_MAX_BATCH (1024u * 1024) /* the API takes 4 MB; lazuli-emu 1 MB */
#define MONITOR_MAX_AGE_SEC (30 * 60 - 60)

typedef enum MonitorMetricId {
	MM_CPU_USAGE,
	MM_CPU_STEAL,
	MM_MEMORY_AVAILABLE,
	MM_MEMORY_USED,
	MM_LOAD1,
	MM_NET_RX,
	MM_NET_TX,
	MM_DISK_READ,
	MM_DISK_WRITE,
	MM_ROOT_FS_USED,
	_MM_MAX,
} MonitorMetricId;

const char *monitor_metric_name(MonitorMetricId id);

typedef struct MonitorAgg {
	double min, max, sum;
	uint64_t count;
} MonitorAgg;

/* Per container: CPU % of one CPU and memory bytes, dimensions container and engine. */
#define MONITOR_MAX_CONTAINERS 256
/* Periods held in memory while the spool refuses them (a full disk). */
#define MONITOR_MAX_HELD 240
typedef struct MonitorContainer {
	char path[512]; /* the cgroup, the key across samples */
	char name[72], engine[16];
	bool seen;	       /* in the last sample */
	bool have_prev;
	uint64_t prev_cpu_usec;
	usec_t prev_mono;
	MonitorAgg cpu, memory; /* this period */
} MonitorContainer;

typedef struct MonitorBucket {
	usec_t start; /* realtime, a multiple of the period */
	MonitorAgg agg[_MM_MAX];
	MonitorContainer *containers; /* not owned */
	size_t n_containers;
} MonitorBucket;

void monitor_bucket_add(MonitorBucket *b, MonitorMetricId id, double v);
void monitor_agg_add(MonitorAgg *a, double v);
/*
 * One NDJSON line per metric that has samples (container_cpu_usage_percent and
 * container_memory_bytes with one series per container); returns how many.
 */
int monitor_bucket_serialize(const MonitorBucket *b, StrBuf *out);

/*
 * Write data as dir/name atomically, first dropping the oldest spool files
 * until everything fits in max_bytes; refused (-ENOSPC) when the file
 * system would be left with less than 5% or 16 MiB free, or when data alone
 * exceeds max_bytes. *dropped counts the files removed to make room.
 */
int spool_write(const char *dir, const char *name, const void *data, size_t len,
		uint64_t max_bytes, unsigned *dropped);

/* Spool file names (*.ndjson), oldest first; caller frees with strv_free. */
int spool_list(const char *dir, char ***ret);

/* "HTTP 400 InvalidTimeRange: message" from an Azure error body (or an excerpt). */
void monitor_describe_error(long status, const char *body, size_t len, char *out, size_t outlen);

struct Scrape;
typedef struct Monitor Monitor;

/* Starts sampling and lazuli-metrics-push (given config_path). cfg must outlive the monitor. */
int monitor_new(const MetricsConfig *cfg, const char *config_path, Monitor **ret);
/* Stops lazuli-metrics-push (SIGTERM; the spool keeps what it did not send). */
void monitor_free(Monitor *m);
/* The sampling timer: a timerfd, readable every SampleInterval. */
int monitor_timer_fd(const Monitor *m);
/* Called when the timer fires: sample, and close the period when it is over. */
void monitor_on_timer(void *userdata);
/*
 * Scrape.extra hook: lazuli_azure_vm_info{vm_id,vm_size,region,resource_id} 1
 * once the pusher has read the instance metadata (a scrape never waits for it).
 */
void monitor_emit_vm_info(struct Scrape *s, void *userdata);
/* Close the current period now (on shutdown), so that it is spooled. */
void monitor_flush(Monitor *m);
