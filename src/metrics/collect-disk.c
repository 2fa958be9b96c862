/* SPDX-License-Identifier: MIT */
/* diskstats and filesystem collectors. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

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

/*
 * node_exporter takes path, wwn, model, serial and revision from udev's
 * database (ID_PATH, ID_WWN, ...), which is not read here: they stay empty,
 * as node_exporter prints them on a host without udev data, so that the
 * series keep the same label set.
 */
static void emit_disk_info(Scrape *s)
{
	static const char *const udev_labels[] = {"model", "path", "revision", "serial", "wwn"};

	expo_family(&s->out, "node_disk_info", MT_GAUGE, "Info of /sys/block/<block_device>.");
	for (size_t i = 0; i < s->n_disks; i++) {
		const DiskRow *d = &s->disks[i];
		expo_begin(&s->out);
		expo_label(&s->out, "device", d->device);
		expo_label_u64(&s->out, "major", d->major);
		expo_label_u64(&s->out, "minor", d->minor);
		for (size_t j = 0; j < ELEMENTSOF(udev_labels); j++)
			expo_label(&s->out, udev_labels[j], "");
		expo_end_u64(&s->out, 1);
	}
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
	emit_disk_info(s);
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
		if (statvfs(path, &st) < 0)
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
