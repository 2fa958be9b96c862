/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "expo.h"
#include "metrics-config.h"

/*
 * One scrape reads kernel files below the configured roots into one
 * reusable buffer and writes the exposition into one reusable Expo. The
 * parsers work on (buffer, length) so that tests and the fuzzer can feed
 * them bytes directly; collect_*() open the files and call them.
 */

typedef enum CollectorId {
	COLLECTOR_CPU,
	COLLECTOR_STAT,
	COLLECTOR_LOADAVG,
	COLLECTOR_MEMINFO,
	COLLECTOR_VMSTAT,
	COLLECTOR_PRESSURE,
	COLLECTOR_DISKSTATS,
	COLLECTOR_FILESYSTEM,
	COLLECTOR_NETDEV,
	COLLECTOR_NETSTAT,
	COLLECTOR_FILEFD,
	COLLECTOR_PROCESSES,
	COLLECTOR_TIME,
	COLLECTOR_TIMEX,
	COLLECTOR_CONNTRACK,
	COLLECTOR_UNAME,
	COLLECTOR_SOCKSTAT,
	COLLECTOR_NETCLASS,
	COLLECTOR_CGROUPS,
	_COLLECTOR_MAX,
} CollectorId;

const char *collector_name(CollectorId id);
int collector_from_name(const char *name, size_t len);

/* What node_exporter takes from udev's database entry of a block device ("E:KEY=value" lines). */
typedef enum UdevProp {
	UDEV_ID_PATH,
	UDEV_ID_WWN,
	UDEV_ID_MODEL,
	UDEV_SERIAL, /* SCSI_IDENT_SERIAL, else ID_SERIAL_SHORT, else ID_SERIAL */
	UDEV_ID_REVISION,
	UDEV_ID_FS_TYPE,
	UDEV_ID_FS_USAGE,
	UDEV_ID_FS_UUID,
	UDEV_ID_FS_VERSION,
	UDEV_DM_NAME,
	UDEV_DM_UUID,
	UDEV_DM_VG_NAME,
	UDEV_DM_LV_NAME,
	UDEV_DM_LV_LAYER,
	UDEV_ID_ATA,
	UDEV_ID_ATA_WRITE_CACHE,
	UDEV_ID_ATA_WRITE_CACHE_ENABLED,
	UDEV_ID_ATA_ROTATION_RATE_RPM,
	_UDEV_PROP_MAX,
} UdevProp;

#define UDEV_VALUE_MAX 192
typedef struct DiskUdev {
	char v[_UDEV_PROP_MAX][UDEV_VALUE_MAX]; /* "" when absent (or too long to be a label) */
} DiskUdev;

/*
 * One udev database file into u. Returns the number of properties taken,
 * or -EBADMSG when the bytes are not a udev database file.
 */
int parse_udev_data(const char *buf, size_t len, DiskUdev *u);

/* One row per block device of /proc/diskstats. */
typedef struct DiskRow {
	char device[64];
	uint64_t major, minor;
	uint64_t f[17]; /* fields 4.. of the line, 0 when the kernel does not have them */
	unsigned n_fields;
	uint8_t udev_has; /* DISK_UDEV_* bits, from the last udev read of this disk */
	double ata[3];	  /* write cache, write cache enabled, rotation rate (rpm) */
} DiskRow;

/* One row per interface of /proc/net/dev. */
typedef struct NetRow {
	char device[64];
	uint64_t f[16];
} NetRow;

typedef struct CgroupRow CgroupRow;
typedef struct CgroupWalk CgroupWalk;
typedef struct NetClassCache NetClassCache;
typedef struct StatJob StatJob;

/* Host files stay open between scrapes; each scrape pread()s them from offset 0. */
#define SCRAPE_FD_CACHE 32
typedef struct CachedFd {
	int dirfd;
	const char *path; /* a string that lives as long as the Scrape (literal or config) */
	int fd;
} CachedFd;

typedef struct Scrape {
	const MetricsConfig *cfg;
	CachedFd fds[SCRAPE_FD_CACHE];
	size_t n_fds;
	int proc_fd, sys_fd, rootfs_fd, cgroup_fd, udev_fd; /* O_PATH directories; -1 when absent */
	DiskUdev udev;	/* scratch: the entry of the disk being written */
	char *buf; /* file contents, NUL-terminated */
	size_t buf_cap;
	size_t buf_max;
	Expo out;
	DiskRow *disks;
	size_t n_disks, cap_disks;
	NetRow *nets;
	size_t n_nets, cap_nets;
	CgroupWalk *cg;
	NetClassCache *netclass; /* open /sys/class/net attribute files */
	StatJob *stuck;		 /* statfs calls that did not return in time */
	size_t n_stuck;
	char cgroup_path[4096]; /* the cgroup v2 mount walked, "" when none */
	char *arena;		/* strings of the filesystem rows */
	size_t arena_len, arena_cap;
	long clk_tck;
	/* kept for the Azure Monitor aggregates */
	uint64_t cpu_total[10];
	bool have_cpu_total;
	uint64_t threads;
	bool have_threads;
	double load1;
	bool have_load1;
	uint64_t mem_total, mem_available;
	uint64_t root_fs_size, root_fs_avail;
	bool have_root_fs;
	uint32_t failing;	/* collectors whose last run failed (logged once) */
	bool cgroup_vanished_logged;
	bool cgroup_truncated_logged;
	/* per scrape: success and duration of each collector */
	bool ok[_COLLECTOR_MAX];
	double duration[_COLLECTOR_MAX];
	bool ran[_COLLECTOR_MAX];
	/* more families at the end of every scrape (the Azure VM info) */
	void (*extra)(struct Scrape *s, void *userdata);
	void *extra_userdata;
} Scrape;

int scrape_init(Scrape *s, const MetricsConfig *cfg);
void scrape_done(Scrape *s);

/* Run every enabled collector into s->out in format fmt. Returns 0 or -ENOMEM. */
int scrape_run(Scrape *s, ExpoFormat fmt);

/*
 * Read dirfd/path into s->buf (NUL-terminated). Returns the length, or a
 * negative errno (-ENOENT when missing, -EFBIG when over the limit).
 */
ssize_t scrape_read(Scrape *s, int dirfd, const char *path);
/*
 * The same for a file that the kernel writes as one record (single_open
 * seq files, sysctl and kernfs attributes, cgroup stat files) or a regular
 * file: a short read is the end, so no second read() is needed.
 */
ssize_t scrape_read_single(Scrape *s, int dirfd, const char *path);
/* The same for a descriptor the caller keeps open (read from offset 0). */
ssize_t scrape_read_fd(Scrape *s, int fd, bool single);
/*
 * Like scrape_read(), through the descriptor cache: path must outlive s.
 * A file the kernel removed (read error) is reopened once.
 */
ssize_t scrape_read_cached(Scrape *s, int dirfd, const char *path, bool single);

/* The parsers: return the number of samples or items taken, or -EBADMSG for nothing usable. */
int parse_stat(Scrape *s, const char *buf, size_t len);
int parse_loadavg(Scrape *s, const char *buf, size_t len);
int parse_meminfo(Scrape *s, const char *buf, size_t len);
int parse_vmstat(Scrape *s, const char *buf, size_t len);
/* resource: "cpu", "memory", "io" */
int parse_pressure(const char *buf, size_t len, uint64_t *some_total, uint64_t *full_total,
		   bool *has_full);
int parse_diskstats(Scrape *s, const char *buf, size_t len);
int parse_netdev(Scrape *s, const char *buf, size_t len);
/* /proc/net/snmp and /proc/net/netstat (header line / value line pairs) */
int parse_netstat_pairs(Scrape *s, const char *buf, size_t len);
/* /proc/net/snmp6 ("Name value" lines) */
int parse_snmp6(Scrape *s, const char *buf, size_t len);
int parse_filefd(Scrape *s, const char *buf, size_t len);
/* /proc/net/sockstat and sockstat6 ("PROTO: key value ..." lines) */
int parse_sockstat(Scrape *s, const char *buf, size_t len);
/* The first line of a /proc/sys/kernel file as a label value: -EBADMSG when empty, -ENAMETOOLONG over outlen - 1. */
/* A /sys/class/net/<if>/ attribute: its first line, or a non-negative decimal or 0x-hex number (-ERANGE for "-1"). */
int parse_netclass_str(const char *buf, size_t len, char *out, size_t outlen);
int parse_netclass_u64(const char *buf, size_t len, uint64_t *ret);
int parse_uname_line(const char *buf, size_t len, char *out, size_t outlen);
/* One /proc/mounts file; statvfs is done for the mounts that pass the filters. */
int parse_mounts(Scrape *s, const char *buf, size_t len);
/* cpu.stat of a cgroup: usage, user, system (usec), nr_periods, nr_throttled, throttled_usec; bit i set when out[i] was found */
int parse_cpu_stat_cgroup(const char *buf, size_t len, uint64_t out[6]);
int parse_io_stat(CgroupWalk *w, CgroupRow *row, const char *buf, size_t len);
/* Engine of a cgroup from its path ("/system.slice/x.service"); id or unit name into name. */
int cgroup_classify(const char *rel, const char **name, size_t *namelen);
void cgroup_walk_free(CgroupWalk *w);
void netclass_cache_free(NetClassCache *c);
/* Let go of the stuck statfs calls (each thread frees its job when it returns). */
void stat_jobs_release(Scrape *s);
/* May statfs of this file system type block for long (network, FUSE)? */
bool filesystem_type_may_hang(const char *fstype, size_t len);

/* The containers (not systemd units) of the last cgroup walk; pointers valid until the next. */
typedef struct CgroupInfo {
	const char *path, *name, *engine;
	bool has_cpu, has_memory;
	uint64_t cpu_usec, memory;
} CgroupInfo;
size_t cgroup_containers(const Scrape *s, CgroupInfo *out, size_t max);

int collect_host(Scrape *s, CollectorId id);
int collect_kernel(Scrape *s, CollectorId id);
int collect_netclass(Scrape *s);
int collect_diskstats(Scrape *s);
int collect_filesystem(Scrape *s);
int collect_netdev(Scrape *s);
int collect_netstat(Scrape *s);
int collect_cgroups(Scrape *s);

/* Is a netstat field (e.g. "Tcp", "ActiveOpens") in node_exporter's default set? */
bool netstat_field_wanted(const char *proto, size_t plen, const char *name, size_t nlen);
/* node_exporter's default filters. */
bool filesystem_type_ignored(const char *fstype, size_t len);
bool filesystem_mountpoint_ignored(const char *mp, size_t len);
bool diskstats_device_ignored(const char *dev, size_t len);

/* Shared by the collectors: small hand-written scanners over [p, end). */
static inline bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}
/* Start of the next line after p (end when none). */
const char *next_line(const char *p, const char *end);
/* End of the line starting at p (the '\n' or end). */
const char *line_end(const char *p, const char *end);
/* Skip blanks, then take a word up to blank/newline/end. false when there is none. */
bool take_word(const char **p, const char *end, const char **w, size_t *wlen);
/* Skip blanks, then a decimal u64; -EINVAL for no digits or junk after, -ERANGE on overflow. */
int take_u64(const char **p, const char *end, uint64_t *ret);
int parse_u64_n(const char *s, size_t n, uint64_t *ret);
/* [A-Za-z0-9_]+: usable in a metric name as it is. */
bool name_chars_ok(const char *s, size_t n);
