/* SPDX-License-Identifier: MIT */
/* diskstats and filesystem collectors. */
#include <errno.h>
#include <pthread.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "log.h"
#include "macros.h"
#include "scrape.h"
#include "strutil.h"

#define MAX_DISKS 4096
#define MAX_FILESYSTEMS 4096

static DiskRow *disk_row_new(Scrape *s)
{
	if (s->n_disks == s->cap_disks) {
		if (s->cap_disks >= MAX_DISKS)
			return NULL;
		size_t n = s->cap_disks ? s->cap_disks * 2 : 16;
		DiskRow *d = reallocarray(s->disks, n, sizeof(DiskRow));
		if (!d)
			return NULL;
		s->disks = d;
		s->cap_disks = n;
	}
	return &s->disks[s->n_disks++];
}

typedef struct DiskField {
	const char *name;
	MetricType type;
	const char *help;
	unsigned field;	 /* index into DiskRow.f */
	unsigned scale;	 /* 0: as is, 1: * 512 (sectors), 2: ms -> s */
} DiskField;

static const DiskField disk_fields[] = {
    {"node_disk_reads_completed_total", MT_COUNTER,
     "The total number of reads completed successfully.", 0, 0},
    {"node_disk_reads_merged_total", MT_COUNTER, "The total number of reads merged.", 1, 0},
    {"node_disk_read_bytes_total", MT_COUNTER, "The total number of bytes read successfully.", 2,
     1},
    {"node_disk_read_time_seconds_total", MT_COUNTER,
     "The total number of seconds spent by all reads.", 3, 2},
    {"node_disk_writes_completed_total", MT_COUNTER,
     "The total number of writes completed successfully.", 4, 0},
    {"node_disk_writes_merged_total", MT_COUNTER, "The number of writes merged.", 5, 0},
    {"node_disk_written_bytes_total", MT_COUNTER,
     "The total number of bytes written successfully.", 6, 1},
    {"node_disk_write_time_seconds_total", MT_COUNTER,
     "This is the total number of seconds spent by all writes.", 7, 2},
    {"node_disk_io_now", MT_GAUGE, "The number of I/Os currently in progress.", 8, 0},
    {"node_disk_io_time_seconds_total", MT_COUNTER, "Total seconds spent doing I/Os.", 9, 2},
    {"node_disk_io_time_weighted_seconds_total", MT_COUNTER,
     "The weighted # of seconds spent doing I/Os.", 10, 2},
    {"node_disk_discards_completed_total", MT_COUNTER,
     "The total number of discards completed successfully.", 11, 0},
    {"node_disk_discards_merged_total", MT_COUNTER, "The total number of discards merged.", 12,
     0},
    {"node_disk_discarded_sectors_total", MT_COUNTER,
     "The total number of sectors discarded successfully.", 13, 0},
    {"node_disk_discard_time_seconds_total", MT_COUNTER,
     "This is the total number of seconds spent by all discards.", 14, 2},
    {"node_disk_flush_requests_total", MT_COUNTER,
     "The total number of flush requests completed successfully", 15, 0},
    {"node_disk_flush_requests_time_seconds_total", MT_COUNTER,
     "This is the total number of seconds spent by all flush requests.", 16, 2},
};

/* ---- udev's database: the labels node_exporter gives disks ---------------- */

static const struct {
	const char *key;
	UdevProp prop;
	unsigned prio; /* for the serial: the first of these that is present wins */
} udev_keys[] = {
    {"ID_PATH", UDEV_ID_PATH, 0},
    {"ID_WWN", UDEV_ID_WWN, 0},
    {"ID_MODEL", UDEV_ID_MODEL, 0},
    {"SCSI_IDENT_SERIAL", UDEV_SERIAL, 3},
    {"ID_SERIAL_SHORT", UDEV_SERIAL, 2},
    {"ID_SERIAL", UDEV_SERIAL, 1},
    {"ID_REVISION", UDEV_ID_REVISION, 0},
    {"ID_FS_TYPE", UDEV_ID_FS_TYPE, 0},
    {"ID_FS_USAGE", UDEV_ID_FS_USAGE, 0},
    {"ID_FS_UUID", UDEV_ID_FS_UUID, 0},
    {"ID_FS_VERSION", UDEV_ID_FS_VERSION, 0},
    {"DM_NAME", UDEV_DM_NAME, 0},
    {"DM_UUID", UDEV_DM_UUID, 0},
    {"DM_VG_NAME", UDEV_DM_VG_NAME, 0},
    {"DM_LV_NAME", UDEV_DM_LV_NAME, 0},
    {"DM_LV_LAYER", UDEV_DM_LV_LAYER, 0},
    {"ID_ATA", UDEV_ID_ATA, 0},
    {"ID_ATA_WRITE_CACHE", UDEV_ID_ATA_WRITE_CACHE, 0},
    {"ID_ATA_WRITE_CACHE_ENABLED", UDEV_ID_ATA_WRITE_CACHE_ENABLED, 0},
    {"ID_ATA_ROTATION_RATE_RPM", UDEV_ID_ATA_ROTATION_RATE_RPM, 0},
};

int parse_udev_data(const char *buf, size_t len, DiskUdev *u)
{
	const char *end = buf + len;
	unsigned serial_prio = 0;
	int n = 0;

	memset(u, 0, sizeof(*u));
	for (const char *p = buf; p < end; p = next_line(p, end)) {
		const char *le = line_end(p, end);
		/* every line of the database is "<letter>:<data>"; properties are "E:KEY=value" */
		if (le - p < 2 || p[1] != ':' || !(p[0] >= 'A' && p[0] <= 'Z'))
			return -EBADMSG;
		if (p[0] != 'E')
			continue;
		const char *k = p + 2, *eq = memchr(k, '=', (size_t)(le - k));
		if (!eq)
			continue;
		size_t klen = (size_t)(eq - k), vlen = (size_t)(le - eq - 1);
		for (size_t i = 0; i < ELEMENTSOF(udev_keys); i++) {
			if (strlen(udev_keys[i].key) != klen || memcmp(udev_keys[i].key, k, klen) != 0)
				continue;
			if (vlen >= UDEV_VALUE_MAX || memchr(eq + 1, '\0', vlen))
				break; /* not a label value */
			if (udev_keys[i].prio) {
				if (udev_keys[i].prio < serial_prio)
					break;
				serial_prio = udev_keys[i].prio;
			}
			memcpy(u->v[udev_keys[i].prop], eq + 1, vlen);
			u->v[udev_keys[i].prop][vlen] = '\0';
			n++;
			break;
		}
	}
	return n;
}

enum {
	DISK_UDEV_FS = 1 << 0,
	DISK_UDEV_DM = 1 << 1,
	DISK_UDEV_ATA0 = 1 << 2, /* and the next two bits: d->ata[i] is set */
};

/* The udev entry of d ("b<major>:<minor>") into s->udev; all empty when there is none. */
static void read_udev(Scrape *s, const DiskRow *d)
{
	char name[64];
	ssize_t n = -ENOENT;

	if (s->udev_fd >= 0) {
		snprintf(name, sizeof(name), "b%" PRIu64 ":%" PRIu64, d->major, d->minor);
		n = scrape_read_single(s, s->udev_fd, name);
	}
	if (n < 0 || parse_udev_data(s->buf, (size_t)n, &s->udev) < 0)
		memset(&s->udev, 0, sizeof(s->udev));
}

static bool parse_double(const char *str, double *ret)
{
	char *e;
	if (!*str)
		return false;
	errno = 0;
	double v = strtod(str, &e);
	if (*e || errno || !isfinite(v))
		return false;
	*ret = v;
	return true;
}

/*
 * node_disk_info, with path, wwn, model, serial and revision from udev's
 * database as node_exporter gives them (empty on a host without one, so
 * that the series keep the same label set).
 */
static void emit_disk_info(Scrape *s)
{
	static const struct {
		const char *label;
		UdevProp prop;
	} udev_labels[] = {
	    {"model", UDEV_ID_MODEL}, {"path", UDEV_ID_PATH}, {"revision", UDEV_ID_REVISION},
	    {"serial", UDEV_SERIAL},  {"wwn", UDEV_ID_WWN},
	};

	expo_family(&s->out, "node_disk_info", MT_GAUGE, "Info of /sys/block/<block_device>.");
	for (size_t i = 0; i < s->n_disks; i++) {
		DiskRow *d = &s->disks[i];
		read_udev(s, d);
		const DiskUdev *u = &s->udev;
		expo_begin(&s->out);
		expo_label(&s->out, "device", d->device);
		expo_label_u64(&s->out, "major", d->major);
		expo_label_u64(&s->out, "minor", d->minor);
		for (size_t j = 0; j < ELEMENTSOF(udev_labels); j++)
			expo_label(&s->out, udev_labels[j].label, u->v[udev_labels[j].prop]);
		expo_end_u64(&s->out, 1);
		d->udev_has = (u->v[UDEV_ID_FS_TYPE][0] ? DISK_UDEV_FS : 0) |
			      (u->v[UDEV_DM_NAME][0] ? DISK_UDEV_DM : 0);
		for (unsigned k = 0; k < 3 && u->v[UDEV_ID_ATA][0]; k++)
			if (parse_double(u->v[UDEV_ID_ATA_WRITE_CACHE + k], &d->ata[k]))
				d->udev_has |= (uint8_t)(DISK_UDEV_ATA0 << k);
	}
}

/* node_disk_filesystem_info and node_disk_device_mapper_info: the few disks that have them are read again. */
static void emit_udev_info(Scrape *s, unsigned bit, const char *name, const char *help,
			   const char *const *labels, const UdevProp *props, size_t n)
{
	bool family = false;
	for (size_t i = 0; i < s->n_disks; i++) {
		const DiskRow *d = &s->disks[i];
		if (!(d->udev_has & bit))
			continue;
		read_udev(s, d);
		if (!family) {
			expo_family(&s->out, name, MT_GAUGE, help);
			family = true;
		}
		expo_begin(&s->out);
		expo_label(&s->out, "device", d->device);
		for (size_t j = 0; j < n; j++)
			expo_label(&s->out, labels[j], s->udev.v[props[j]]);
		expo_end_u64(&s->out, 1);
	}
}

static void emit_disk_udev(Scrape *s)
{
	static const char *const ata_names[3][2] = {
	    {"node_disk_ata_write_cache", "ATA disk has a write cache."},
	    {"node_disk_ata_write_cache_enabled", "ATA disk has its write cache enabled."},
	    {"node_disk_ata_rotation_rate_rpm", "ATA disk rotation rate in RPMs (0 for SSDs)."},
	};
	static const char *const fs_labels[] = {"type", "usage", "uuid", "version"};
	static const UdevProp fs_props[] = {UDEV_ID_FS_TYPE, UDEV_ID_FS_USAGE, UDEV_ID_FS_UUID,
					    UDEV_ID_FS_VERSION};
	static const char *const dm_labels[] = {"lv_layer", "lv_name", "name", "uuid", "vg_name"};
	static const UdevProp dm_props[] = {UDEV_DM_LV_LAYER, UDEV_DM_LV_NAME, UDEV_DM_NAME,
					    UDEV_DM_UUID, UDEV_DM_VG_NAME};

	for (unsigned k = 0; k < 3; k++) {
		bool family = false;
		for (size_t i = 0; i < s->n_disks; i++) {
			const DiskRow *d = &s->disks[i];
			if (!(d->udev_has & (DISK_UDEV_ATA0 << k)))
				continue;
			if (!family) {
				expo_family(&s->out, ata_names[k][0], MT_GAUGE, ata_names[k][1]);
				family = true;
			}
			expo_begin(&s->out);
			expo_label(&s->out, "device", d->device);
			expo_end_double(&s->out, d->ata[k]);
		}
	}
	emit_udev_info(s, DISK_UDEV_DM, "node_disk_device_mapper_info", "Info about disk device mapper.",
		       dm_labels, dm_props, ELEMENTSOF(dm_props));
	emit_udev_info(s, DISK_UDEV_FS, "node_disk_filesystem_info", "Info about disk filesystem.",
		       fs_labels, fs_props, ELEMENTSOF(fs_props));
}

int parse_diskstats(Scrape *s, const char *buf, size_t len)
{
	const char *end = buf + len;

	s->n_disks = 0;
	for (const char *p = buf; p < end; p = next_line(p, end)) {
		const char *le = line_end(p, end), *q = p, *w;
		size_t wl;
		uint64_t major, minor;
		if (take_u64(&q, le, &major) < 0 || take_u64(&q, le, &minor) < 0 ||
		    !take_word(&q, le, &w, &wl) || wl >= sizeof(((DiskRow *)0)->device))
			continue;
		if (diskstats_device_ignored(w, wl))
			continue;
		uint64_t f[17] = {0};
		unsigned n = 0;
		bool bad = false;
		while (n < 17) {
			const char *save = q, *x;
			size_t xl;
			if (!take_word(&q, le, &x, &xl))
				break;
			(void)save;
			if (parse_u64_n(x, xl, &f[n]) < 0) {
				bad = true;
				break;
			}
			n++;
		}
		/* kernels before 4.18 have 11 fields, 4.18 adds discards, 5.5 flushes */
		if (bad || n < 11)
			continue;
		DiskRow *d = disk_row_new(s);
		if (!d)
			break;
		memcpy(d->device, w, wl);
		d->device[wl] = '\0';
		memcpy(d->f, f, sizeof(f));
		d->n_fields = n;
		d->major = major;
		d->minor = minor;
	}
	if (s->n_disks == 0)
		return len == 0 ? 0 : -EBADMSG;
	/* s->buf is free from here: the rows hold what was parsed */
	emit_disk_info(s);
	emit_disk_udev(s);
	for (size_t i = 0; i < ELEMENTSOF(disk_fields); i++) {
		const DiskField *df = &disk_fields[i];
		bool family = false;
		for (size_t j = 0; j < s->n_disks; j++) {
			const DiskRow *d = &s->disks[j];
			if (df->field >= d->n_fields)
				continue;
			if (!family) {
				expo_family(&s->out, df->name, df->type, df->help);
				family = true;
			}
			uint64_t v = d->f[df->field];
			expo_begin(&s->out);
			expo_label(&s->out, "device", d->device);
			if (df->scale == 1) {
				if (v > UINT64_MAX / 512)
					expo_end_double(&s->out, (double)v * 512.0);
				else
					expo_end_u64(&s->out, v * 512);
			} else if (df->scale == 2)
				expo_end_fixed(&s->out, v, 3);
			else
				expo_end_u64(&s->out, v);
		}
	}
	return (int)s->n_disks;
}

/* ---- filesystem ---------------------------------------------------------- */

typedef struct FsRow {
	uint32_t device, fstype, mountpoint; /* offsets into the string arena */
	bool error, readonly;
	uint64_t size, free, avail, files, files_free;
} FsRow;

/* /proc/mounts escapes blanks, tabs, newlines and backslashes as \ooo. */
static size_t unescape_mount(char *out, size_t outlen, const char *in, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		if (in[i] == '\\' && i + 3 < n && in[i + 1] >= '0' && in[i + 1] <= '3' &&
		    in[i + 2] >= '0' && in[i + 2] <= '7' && in[i + 3] >= '0' && in[i + 3] <= '7') {
			out[o++] = (char)(((in[i + 1] - '0') << 6) | ((in[i + 2] - '0') << 3) |
					  (in[i + 3] - '0'));
			i += 3;
		} else
			out[o++] = in[i];
	}
	out[o] = '\0';
	return o;
}

static int arena_add(Scrape *s, const char *str, size_t n, uint32_t *off)
{
	if (s->arena_len + n + 1 > s->arena_cap) {
		size_t cap = s->arena_cap ? s->arena_cap : 4096;
		while (cap < s->arena_len + n + 1)
			cap *= 2;
		if (cap > (1u << 24))
			return -E2BIG;
		char *a = realloc(s->arena, cap);
		if (!a)
			return -ENOMEM;
		s->arena = a;
		s->arena_cap = cap;
	}
	memcpy(s->arena + s->arena_len, str, n);
	s->arena[s->arena_len + n] = '\0';
	*off = (uint32_t)s->arena_len;
	s->arena_len += n + 1;
	return 0;
}

/*
 * statfs of a network or FUSE file system can block for as long as its
 * server does not answer (a hard NFS mount: forever), and one scrape must
 * not hang the daemon. Such mounts are asked in a thread; when the answer
 * takes longer than MountTimeout the mount is reported as a device error
 * and is not asked again until that call returns, as node_exporter does.
 * Local file systems are asked directly: that costs no thread per scrape.
 */
#define MAX_STUCK 64

struct StatJob {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned refs; /* the thread and the scrape; the last to let go frees */
	bool done;
	int err;
	struct statvfs st;
	StatJob *next; /* in s->stuck */
	char path[];
};

bool filesystem_type_may_hang(const char *t, size_t n)
{
	static const char *const types[] = {"nfs",  "nfs4",	 "cifs",   "smb3",  "smbfs", "ceph",
					    "9p",   "glusterfs", "lustre", "afs",   "gpfs",  "fuse",
					    "fuseblk", "davfs",	 "ncpfs",  "coda",  "ocfs2", "gfs2"};
	if (n > 5 && memcmp(t, "fuse.", 5) == 0)
		return true;
	for (size_t i = 0; i < ELEMENTSOF(types); i++)
		if (strlen(types[i]) == n && memcmp(types[i], t, n) == 0)
			return true;
	return false;
}

static void stat_job_unref(StatJob *j)
{
	pthread_mutex_lock(&j->lock);
	bool last = --j->refs == 0;
	pthread_mutex_unlock(&j->lock);
	if (last) {
		pthread_mutex_destroy(&j->lock);
		pthread_cond_destroy(&j->cond);
		free(j);
	}
}

static void *stat_job_run(void *arg)
{
	StatJob *j = arg;
	struct statvfs st;
	int err = statvfs(j->path, &st) < 0 ? errno : 0;

	pthread_mutex_lock(&j->lock);
	j->st = st;
	j->err = err;
	j->done = true;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
	stat_job_unref(j);
	return NULL;
}

void stat_jobs_release(Scrape *s)
{
	while (s->stuck) {
		StatJob *j = s->stuck;
		s->stuck = j->next;
		stat_job_unref(j);
	}
	s->n_stuck = 0;
}

/* Forget the stuck calls that have returned since; say so once each. */
static void stat_jobs_sweep(Scrape *s)
{
	for (StatJob **pp = &s->stuck; *pp;) {
		StatJob *j = *pp;
		pthread_mutex_lock(&j->lock);
		bool done = j->done;
		pthread_mutex_unlock(&j->lock);
		if (!done) {
			pp = &j->next;
			continue;
		}
		log_info("statfs of %s returned again; the mount is read again", j->path);
		*pp = j->next;
		s->n_stuck--;
		stat_job_unref(j);
	}
}

static bool stat_job_stuck(const Scrape *s, const char *path)
{
	for (const StatJob *j = s->stuck; j; j = j->next)
		if (streq(j->path, path))
			return true;
	return false;
}

/* statfs(path) in a thread, waiting at most MountTimeout. Returns 0, a negative errno, or -ETIMEDOUT. */
static int statvfs_bounded(Scrape *s, const char *path, struct statvfs *st)
{
	if (stat_job_stuck(s, path))
		return -ETIMEDOUT;
	if (s->n_stuck >= MAX_STUCK)
		return -EAGAIN;
	size_t len = strlen(path);
	StatJob *j = calloc(1, sizeof(*j) + len + 1);
	if (!j)
		return -ENOMEM;
	memcpy(j->path, path, len + 1);
	j->refs = 2;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, &ca);
	pthread_condattr_destroy(&ca);

	pthread_attr_t attr;
	pthread_t t;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	int r = pthread_create(&t, &attr, stat_job_run, j);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		j->refs = 1;
		stat_job_unref(j);
		return -r;
	}

	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	usec_t to = s->cfg->mount_timeout;
	deadline.tv_sec += (time_t)(to / USEC_PER_SEC);
	deadline.tv_nsec += (long)(to % USEC_PER_SEC) * 1000;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&j->lock);
	while (!j->done)
		if (pthread_cond_timedwait(&j->cond, &j->lock, &deadline) == ETIMEDOUT)
			break;
	bool done = j->done;
	if (done) {
		*st = j->st;
		r = -j->err;
	}
	pthread_mutex_unlock(&j->lock);
	if (!done) {
		log_warning("statfs of %s did not return within %.3gs (MountTimeout=): reported as a device error, and not asked again until it returns",
			    path, (double)to / USEC_PER_SEC);
		j->next = s->stuck;
		s->stuck = j;
		s->n_stuck++;
		return -ETIMEDOUT;
	}
	stat_job_unref(j);
	return r;
}

static bool has_ro_option(const char *o, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && o[j] != ',')
			j++;
		if (j - i == 2 && o[i] == 'r' && o[i + 1] == 'o')
			return true;
		i = j + 1;
	}
	return false;
}

static void fs_emit(Scrape *s, const FsRow *rows, size_t n)
{
	static const struct {
		const char *name, *help;
	} fams[] = {
	    {"node_filesystem_avail_bytes", "Filesystem space available to non-root users in bytes."},
	    {"node_filesystem_device_error",
	     "Whether an error occurred while getting statistics for the given device."},
	    {"node_filesystem_files", "Filesystem total file nodes."},
	    {"node_filesystem_files_free", "Filesystem total free file nodes."},
	    {"node_filesystem_free_bytes", "Filesystem free space in bytes."},
	    {"node_filesystem_readonly", "Filesystem read-only status."},
	    {"node_filesystem_size_bytes", "Filesystem size in bytes."},
	};
	for (size_t f = 0; f < ELEMENTSOF(fams); f++) {
		bool family = false;
		for (size_t i = 0; i < n; i++) {
			const FsRow *r = &rows[i];
			if (r->error && f != 1 && f != 5)
				continue;
			if (!family) {
				expo_family(&s->out, fams[f].name, MT_GAUGE, fams[f].help);
				family = true;
			}
			expo_begin(&s->out);
			expo_label(&s->out, "device", s->arena + r->device);
			expo_label(&s->out, "fstype", s->arena + r->fstype);
			expo_label(&s->out, "mountpoint", s->arena + r->mountpoint);
			uint64_t v = f == 0 ? r->avail
				     : f == 1 ? r->error
				     : f == 2 ? r->files
				     : f == 3 ? r->files_free
				     : f == 4 ? r->free
				     : f == 5 ? r->readonly
						: r->size;
			expo_end_u64(&s->out, v);
		}
	}
}

int parse_mounts(Scrape *s, const char *buf, size_t len)
{
	const char *end = buf + len;
	FsRow rows[64], *heap = NULL, *out = rows;
	size_t n = 0, cap = ELEMENTSOF(rows);
	int seen = 0;

	s->arena_len = 0;
	stat_jobs_sweep(s);
	for (const char *p = buf; p < end; p = next_line(p, end)) {
		const char *le = line_end(p, end), *q = p, *dev, *mp, *type, *opts;
		size_t devl, mpl, typel, optsl;
		char mpbuf[4096], devbuf[1024], path[4096 + 256];
		if (!take_word(&q, le, &dev, &devl) || !take_word(&q, le, &mp, &mpl) ||
		    !take_word(&q, le, &type, &typel) || !take_word(&q, le, &opts, &optsl))
			continue;
		seen++;
		if (filesystem_type_ignored(type, typel))
			continue;
		mpl = unescape_mount(mpbuf, sizeof(mpbuf), mp, mpl);
		if (mpl == 0 || mpbuf[0] != '/' || filesystem_mountpoint_ignored(mpbuf, mpl))
			continue;
		devl = unescape_mount(devbuf, sizeof(devbuf), dev, devl);
		/* one series per mount point and device (stacked mounts shadow each other) */
		bool dup = false;
		for (size_t i = 0; i < n && !dup; i++)
			dup = streq(s->arena + out[i].mountpoint, mpbuf) &&
			      streq(s->arena + out[i].device, devbuf);
		if (dup)
			continue;
		if (n == cap) {
			if (cap >= MAX_FILESYSTEMS)
				break;
			FsRow *h = reallocarray(heap, cap * 2, sizeof(FsRow));
			if (!h)
				break;
			if (!heap)
				memcpy(h, rows, sizeof(rows));
			heap = h;
			out = heap;
			cap *= 2;
		}
		FsRow *r = &out[n];
		*r = (FsRow){0};
		if (arena_add(s, devbuf, devl, &r->device) < 0 ||
		    arena_add(s, type, typel, &r->fstype) < 0 ||
		    arena_add(s, mpbuf, mpl, &r->mountpoint) < 0)
			break;
		r->readonly = has_ro_option(opts, optsl);
		snprintf(path, sizeof(path), "%s%s", s->cfg->rootfs, mpbuf);
		struct statvfs st;
		if (filesystem_type_may_hang(type, typel) ? statvfs_bounded(s, path, &st) < 0
							  : statvfs(path, &st) < 0)
			r->error = true;
		else {
			r->size = (uint64_t)st.f_blocks * st.f_frsize;
			r->free = (uint64_t)st.f_bfree * st.f_frsize;
			r->avail = (uint64_t)st.f_bavail * st.f_frsize;
			r->files = st.f_files;
			r->files_free = st.f_ffree;
			if (mpl == 1 && !s->have_root_fs) {
				s->root_fs_size = r->size;
				s->root_fs_avail = r->avail;
				s->have_root_fs = true;
			}
		}
		n++;
	}
	fs_emit(s, out, n);
	free(heap);
	return seen > 0 || len == 0 ? (int)n : -EBADMSG;
}

int collect_filesystem(Scrape *s)
{
	ssize_t n = scrape_read_cached(s, s->proc_fd, s->cfg->mounts_file, false);
	if (n < 0 && n != -EFBIG)
		n = scrape_read_cached(s, s->proc_fd, "self/mounts", false);
	if (n < 0)
		return (int)n;
	s->have_root_fs = false;
	int r = parse_mounts(s, s->buf, (size_t)n);
	return r < 0 ? r : 0;
}

int collect_diskstats(Scrape *s)
{
	ssize_t n = scrape_read_cached(s, s->proc_fd, "diskstats", false);
	if (n < 0)
		return (int)n;
	int r = parse_diskstats(s, s->buf, (size_t)n);
	return r < 0 ? r : 0;
}
