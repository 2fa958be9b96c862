/* SPDX-License-Identifier: MIT */
#include "scrape.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "macros.h"
#include "strutil.h"

#define SCRAPE_BUF_INITIAL (64u * 1024)
#define SCRAPE_BUF_MAX_DEFAULT (16u * 1024 * 1024)

static const char *const collector_names[_COLLECTOR_MAX] = {
    [COLLECTOR_CPU] = "cpu",
    [COLLECTOR_STAT] = "stat",
    [COLLECTOR_LOADAVG] = "loadavg",
    [COLLECTOR_MEMINFO] = "meminfo",
    [COLLECTOR_VMSTAT] = "vmstat",
    [COLLECTOR_PRESSURE] = "pressure",
    [COLLECTOR_DISKSTATS] = "diskstats",
    [COLLECTOR_FILESYSTEM] = "filesystem",
    [COLLECTOR_NETDEV] = "netdev",
    [COLLECTOR_NETSTAT] = "netstat",
    [COLLECTOR_FILEFD] = "filefd",
    [COLLECTOR_PROCESSES] = "processes",
    [COLLECTOR_TIME] = "time",
    [COLLECTOR_TIMEX] = "timex",
    [COLLECTOR_CONNTRACK] = "conntrack",
    [COLLECTOR_UNAME] = "uname",
    [COLLECTOR_SOCKSTAT] = "sockstat",
    [COLLECTOR_NETCLASS] = "netclass",
    [COLLECTOR_CGROUPS] = "cgroups",
};

const char *collector_name(CollectorId id)
{
	return id < _COLLECTOR_MAX ? collector_names[id] : NULL;
}

int collector_from_name(const char *name, size_t len)
{
	for (int i = 0; i < _COLLECTOR_MAX; i++)
		if (strlen(collector_names[i]) == len && memcmp(collector_names[i], name, len) == 0)
			return i;
	return -EINVAL;
}

static int open_dir_path(const char *path)
{
	if (isempty(path))
		return -ENOENT;
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The unified hierarchy: <sys>/fs/cgroup on a pure v2 system, .../unified on a hybrid one. */
static void find_cgroup_root(Scrape *s)
{
	static const char *const candidates[] = {"fs/cgroup", "fs/cgroup/unified"};

	s->cgroup_fd = -1;
	s->cgroup_path[0] = '\0';
	if (!isempty(s->cfg->cgroup_root)) {
		s->cgroup_fd = open_dir_path(s->cfg->cgroup_root);
		if (s->cgroup_fd >= 0)
			snprintf(s->cgroup_path, sizeof(s->cgroup_path), "%s", s->cfg->cgroup_root);
		return;
	}
	for (size_t i = 0; i < ELEMENTSOF(candidates); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", s->cfg->sys_root, candidates[i]);
		int fd = open_dir_path(path);
		if (fd < 0)
			continue;
		if (faccessat(fd, "cgroup.controllers", F_OK, 0) == 0) {
			s->cgroup_fd = fd;
			snprintf(s->cgroup_path, sizeof(s->cgroup_path), "%s", path);
			return;
		}
		close(fd);
	}
}

int scrape_init(Scrape *s, const MetricsConfig *cfg)
{
	*s = (Scrape){
	    .cfg = cfg,
	    .proc_fd = -1,
	    .sys_fd = -1,
	    .rootfs_fd = -1,
	    .cgroup_fd = -1,
	    .udev_fd = -1,
	    .buf_max = cfg->max_file_size ? cfg->max_file_size : SCRAPE_BUF_MAX_DEFAULT,
	};
	s->proc_fd = open_dir_path(cfg->proc_root);
	if (s->proc_fd < 0) {
		int r = log_error_errno(s->proc_fd, "Cannot open ProcRoot=%s: %m", cfg->proc_root);
		scrape_done(s);
		return r;
	}
	s->sys_fd = open_dir_path(cfg->sys_root);
	if (s->sys_fd < 0)
		log_warning_errno(s->sys_fd, "Cannot open SysRoot=%s: %m", cfg->sys_root);
	if (cfg->enabled[COLLECTOR_DISKSTATS] && cfg->udev_data && cfg->udev_data[0]) {
		s->udev_fd = open_dir_path(cfg->udev_data);
		if (s->udev_fd < 0)
			log_info("No udev database at %s: node_disk_info's model, serial, path, revision and wwn stay empty",
				 cfg->udev_data);
	}
	if (cfg->enabled[COLLECTOR_CGROUPS])
		find_cgroup_root(s);
	s->clk_tck = sysconf(_SC_CLK_TCK);
	if (s->clk_tck <= 0)
		s->clk_tck = 100;
	s->buf = malloc(SCRAPE_BUF_INITIAL);
	if (!s->buf) {
		scrape_done(s);
		return -ENOMEM;
	}
	s->buf_cap = SCRAPE_BUF_INITIAL;
	return 0;
}

void scrape_done(Scrape *s)
{
	for (size_t i = 0; i < s->n_fds; i++)
		close(s->fds[i].fd);
	if (s->proc_fd >= 0)
		close(s->proc_fd);
	if (s->sys_fd >= 0)
		close(s->sys_fd);
	if (s->rootfs_fd >= 0)
		close(s->rootfs_fd);
	if (s->cgroup_fd >= 0)
		close(s->cgroup_fd);
	if (s->udev_fd >= 0)
		close(s->udev_fd);
	free(s->buf);
	free(s->disks);
	free(s->nets);
	free(s->arena);
	cgroup_walk_free(s->cg);
	netclass_cache_free(s->netclass);
	stat_jobs_release(s);
	expo_done(&s->out);
	*s = (Scrape){.proc_fd = -1, .sys_fd = -1, .rootfs_fd = -1, .cgroup_fd = -1, .udev_fd = -1};
}

static int grow_buf(Scrape *s)
{
	if (s->buf_cap >= s->buf_max)
		return -EFBIG;
	size_t ncap = MIN(s->buf_cap * 2, s->buf_max);
	char *b = realloc(s->buf, ncap);
	if (!b)
		return -ENOMEM;
	s->buf = b;
	s->buf_cap = ncap;
	return 0;
}

/* Read fd from offset 0 to the end into s->buf. */
static ssize_t read_fd(Scrape *s, int fd, bool single)
{
	size_t len = 0;
	int r;

	for (;;) {
		if (len + 1 >= s->buf_cap && (r = grow_buf(s)) < 0)
			return r;
		size_t want = s->buf_cap - len - 1;
		ssize_t n = pread(fd, s->buf + len, want, (off_t)len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		len += (size_t)n;
		if (n == 0 || (single && (size_t)n < want))
			break;
	}
	s->buf[len] = '\0';
	return (ssize_t)len;
}

static ssize_t read_path(Scrape *s, int dirfd, const char *path, bool single)
{
	if (dirfd < 0 && path[0] != '/')
		return -ENOENT;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	ssize_t n = read_fd(s, fd, single);
	close(fd);
	return n;
}

ssize_t scrape_read(Scrape *s, int dirfd, const char *path)
{
	return read_path(s, dirfd, path, false);
}

ssize_t scrape_read_single(Scrape *s, int dirfd, const char *path)
{
	return read_path(s, dirfd, path, true);
}

ssize_t scrape_read_fd(Scrape *s, int fd, bool single)
{
	return read_fd(s, fd, single);
}

ssize_t scrape_read_cached(Scrape *s, int dirfd, const char *path, bool single)
{
	CachedFd *c = NULL;

	if (dirfd < 0 && path[0] != '/')
		return -ENOENT;
	for (size_t i = 0; i < s->n_fds; i++)
		if (s->fds[i].dirfd == dirfd && s->fds[i].path == path) {
			c = &s->fds[i];
			break;
		}
	if (c) {
		ssize_t n = read_fd(s, c->fd, single);
		if (n >= 0 || n == -EFBIG || n == -ENOMEM)
			return n;
		/* gone (a module unloaded, a file replaced): forget it, open again */
		close(c->fd);
		*c = s->fds[--s->n_fds];
	}
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	ssize_t n = read_fd(s, fd, single);
	if (n < 0 || s->n_fds >= SCRAPE_FD_CACHE)
		close(fd);
	else
		s->fds[s->n_fds++] = (CachedFd){dirfd, path, fd};
	return n;
}

static int run_collector(Scrape *s, CollectorId id)
{
	switch (id) {
	case COLLECTOR_DISKSTATS:
		return collect_diskstats(s);
	case COLLECTOR_FILESYSTEM:
		return collect_filesystem(s);
	case COLLECTOR_NETDEV:
		return collect_netdev(s);
	case COLLECTOR_NETSTAT:
		return collect_netstat(s);
	case COLLECTOR_CGROUPS:
		return collect_cgroups(s);
	case COLLECTOR_UNAME:
	case COLLECTOR_SOCKSTAT:
		return collect_kernel(s, id);
	case COLLECTOR_NETCLASS:
		return collect_netclass(s);
	default:
		return collect_host(s, id);
	}
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void note_result(Scrape *s, CollectorId id, int r, double t0)
{
	uint32_t bit = 1u << id;
	s->ran[id] = true;
	s->ok[id] = r >= 0;
	s->duration[id] = now_seconds() - t0;
	if (r == -ENOMEM)
		return;
	if (r < 0 && !(s->failing & bit)) {
		log_warning_errno(r, "Collector %s failed: %m (logged once until it recovers)",
				  collector_names[id]);
		s->failing |= bit;
	} else if (r >= 0 && (s->failing & bit)) {
		log_info("Collector %s works again", collector_names[id]);
		s->failing &= ~bit;
	}
}

int scrape_run(Scrape *s, ExpoFormat fmt)
{
	const bool *en = s->cfg->enabled;

	expo_reset(&s->out, fmt);
	memset(s->ran, 0, sizeof(s->ran));
	s->have_threads = false;
	for (int i = 0; i < _COLLECTOR_MAX; i++) {
		CollectorId id = (CollectorId)i;
		double t0 = now_seconds();
		int r;

		/* /proc/stat serves cpu and stat; /proc/loadavg also the thread count */
		if (id == COLLECTOR_STAT)
			continue;
		if (id == COLLECTOR_CPU) {
			if (!en[COLLECTOR_CPU] && !en[COLLECTOR_STAT] && !s->cfg->monitor)
				continue;
			r = collect_host(s, COLLECTOR_CPU);
			if (en[COLLECTOR_CPU])
				note_result(s, COLLECTOR_CPU, r, t0);
			if (en[COLLECTOR_STAT])
				note_result(s, COLLECTOR_STAT, r, t0);
			continue;
		}
		if (id == COLLECTOR_LOADAVG && !en[id] && en[COLLECTOR_PROCESSES]) {
			(void)collect_host(s, COLLECTOR_LOADAVG);
			continue;
		}
		if (!en[id])
			continue;
		r = run_collector(s, id);
		note_result(s, id, r, t0);
	}

	if (s->extra)
		s->extra(s, s->extra_userdata);
	expo_family(&s->out, "node_scrape_collector_duration_seconds", MT_GAUGE,
		    "lazuli-metrics: Duration of a collector scrape.");
	for (int i = 0; i < _COLLECTOR_MAX; i++)
		if (s->ran[i]) {
			expo_begin(&s->out);
			expo_label(&s->out, "collector", collector_names[i]);
			expo_end_fixed(&s->out, (uint64_t)(s->duration[i] * 1e9), 9);
		}
	expo_family(&s->out, "node_scrape_collector_success", MT_GAUGE,
		    "lazuli-metrics: Whether a collector succeeded.");
	for (int i = 0; i < _COLLECTOR_MAX; i++)
		if (s->ran[i]) {
			expo_begin(&s->out);
			expo_label(&s->out, "collector", collector_names[i]);
			expo_end_u64(&s->out, s->ok[i]);
		}
	expo_finish(&s->out);
	return expo_failed(&s->out) ? -ENOMEM : 0;
}
