/* SPDX-License-Identifier: MIT */
#include "monitor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "config.h"
#include "fileio.h"
#include "json-util.h"
#include "log.h"
#include "macros.h"
#include "scrape.h"

static const char *const metric_names[_MM_MAX] = {
    [MM_CPU_USAGE] = "cpu_usage_percent",
    [MM_CPU_STEAL] = "cpu_steal_percent",
    [MM_MEMORY_AVAILABLE] = "memory_available_bytes",
    [MM_MEMORY_USED] = "memory_used_percent",
    [MM_LOAD1] = "load1",
    [MM_NET_RX] = "network_receive_bytes_per_second",
    [MM_NET_TX] = "network_transmit_bytes_per_second",
    [MM_DISK_READ] = "disk_read_bytes_per_second",
    [MM_DISK_WRITE] = "disk_written_bytes_per_second",
    [MM_ROOT_FS_USED] = "root_filesystem_used_percent",
};

const char *monitor_metric_name(MonitorMetricId id)
{
	return id < _MM_MAX ? metric_names[id] : NULL;
}

void monitor_bucket_add(MonitorBucket *b, MonitorMetricId id, double v)
{
	monitor_agg_add(&b->agg[id], v);
}

void monitor_agg_add(MonitorAgg *a, double v)
{
	if (!isfinite(v))
		return;
	if (a->count == 0 || v < a->min)
		a->min = v;
	if (a->count == 0 || v > a->max)
		a->max = v;
	a->sum += v;
	a->count++;
}

static void put_number(StrBuf *out, double v)
{
	char buf[40];
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, sizeof(buf), "%.0f", v);
	else
		snprintf(buf, sizeof(buf), "%.6g", v);
	strbuf_puts(out, buf);
}

int monitor_bucket_serialize(const MonitorBucket *b, StrBuf *out)
{
	char when[40];
	int n = 0;

	/* whole seconds: the period starts on one */
	time_t sec = (time_t)(b->start / USEC_PER_SEC);
	struct tm tm;
	gmtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (int i = 0; i < _MM_MAX; i++) {
		const MonitorAgg *a = &b->agg[i];
		if (a->count == 0)
			continue;
		if (strbuf_printf(out,
				  "{\"time\":\"%s\",\"data\":{\"baseData\":{\"metric\":\"%s\","
				  "\"namespace\":\"" MONITOR_NAMESPACE "\",\"series\":[{\"min\":",
				  when, metric_names[i]) < 0)
			return -ENOMEM;
		put_number(out, a->min);
		strbuf_puts(out, ",\"max\":");
		put_number(out, a->max);
		strbuf_puts(out, ",\"sum\":");
		put_number(out, a->sum);
		if (strbuf_printf(out, ",\"count\":%llu}]}}}\n", (unsigned long long)a->count) < 0)
			return -ENOMEM;
		n++;
	}
	for (int k = 0; k < 2; k++) {
		bool first = true;
		for (size_t i = 0; i < b->n_containers; i++) {
			const MonitorContainer *c = &b->containers[i];
			const MonitorAgg *a = k == 0 ? &c->cpu : &c->memory;
			if (a->count == 0)
				continue;
			if (first)
				strbuf_printf(out,
					      "{\"time\":\"%s\",\"data\":{\"baseData\":{\"metric\":"
					      "\"%s\",\"namespace\":\"" MONITOR_NAMESPACE "\","
					      "\"dimNames\":[\"container\",\"engine\"],\"series\":[",
					      when,
					      k == 0 ? "container_cpu_usage_percent" : "container_memory_bytes");
			else
				strbuf_puts(out, ",");
			first = false;
			/* names and engines are hex ids, unit names and fixed words: no escaping needed */
			strbuf_printf(out, "{\"dimValues\":[\"%s\",\"%s\"],\"min\":", c->name,
				      c->engine);
			put_number(out, a->min);
			strbuf_puts(out, ",\"max\":");
			put_number(out, a->max);
			strbuf_puts(out, ",\"sum\":");
			put_number(out, a->sum);
			strbuf_printf(out, ",\"count\":%llu}", (unsigned long long)a->count);
		}
		if (!first) {
			if (strbuf_puts(out, "]}}}\n") < 0)
				return -ENOMEM;
			n++;
		}
	}
	return n;
}

/* ---- spool --------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t lx = strlen(x), ly = strlen(y);
	/* numeric names: shorter is smaller */
	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

int spool_list(const char *dir, char ***ret)
{
	_cleanup_strv_free_ char **l = NULL;
	DIR *d = opendir(dir);
	struct dirent *de;
	int r;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !endswith(de->d_name, ".ndjson"))
			continue;
		if ((r = strv_extend(&l, de->d_name)) < 0) {
			closedir(d);
			return r;
		}
	}
	closedir(d);
	if (l)
		qsort(l, strv_length(l), sizeof(char *), cmp_str);
	else if (!(l = calloc(1, sizeof(char *))))
		return -ENOMEM;
	*ret = TAKE_PTR(l);
	return 0;
}

static uint64_t file_size_at(const char *dir, const char *name)
{
	char p[4096];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
}

int spool_write(const char *dir, const char *name, const void *data, size_t len,
		uint64_t max_bytes, unsigned *dropped)
{
	_cleanup_strv_free_ char **files = NULL;
	uint64_t total = 0;
	struct statvfs sv;
	char path[4096];
	int r;

	*dropped = 0;
	if (len > max_bytes)
		return -EFBIG;
	if ((r = mkdir_p(dir, 0700)) < 0)
		return r;
	if (statvfs(dir, &sv) == 0) {
		uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
		uint64_t size = (uint64_t)sv.f_blocks * sv.f_frsize;
		if (avail < len + MAX(size / 20, (uint64_t)16 << 20))
			return -ENOSPC;
	}
	if ((r = spool_list(dir, &files)) < 0)
		return r;
	size_t n = strv_length(files);
	for (size_t i = 0; i < n; i++)
		total += file_size_at(dir, files[i]);
	for (size_t i = 0; i < n && total + len > max_bytes; i++) {
		uint64_t sz = file_size_at(dir, files[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (unlink(path) == 0) {
			total -= MIN(sz, total);
			(*dropped)++;
		}
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return write_file_atomic(path, data, len, 0600);
}

void monitor_describe_error(long status, const char *body, size_t len, char *out, size_t outlen)
{
	json_object *o = NULL;
	const char *code = NULL, *msg = NULL;

	if (body && len > 0 && json_parse_strict(body, len, &o, NULL, 0) == 0) {
		code = json_get_string(o, "error.code");
		msg = json_get_string(o, "error.message");
	}
	if (code)
		snprintf(out, outlen, "HTTP %ld %s: %.300s", status, code, msg ? msg : "");
	else {
		char ex[201] = "";
		size_t n = 0;
		for (size_t i = 0; body && i < len && n < sizeof(ex) - 1; i++)
			ex[n++] = (body[i] >= 0x20 && body[i] < 0x7f) ? body[i] : ' ';
		ex[n] = '\0';
		snprintf(out, outlen, "HTTP %ld (no error code): %s", status, n ? ex : "empty body");
	}
	json_object_put(o);
}

/* ---- the monitor --------------------------------------------------------- */

struct Monitor {
	const MetricsConfig *cfg;
	MetricsConfig sample_cfg; /* only the collectors the aggregates need */
	Scrape scrape;
	bool scrape_ok;
	int timer_fd;
	MonitorBucket bucket;
	bool have_prev;
	usec_t prev_mono;
	uint64_t prev_cpu_total, prev_cpu_busy, prev_cpu_steal;
	uint64_t prev_rx, prev_tx, prev_rd, prev_wr;
	bool spool_failing;
	/*
	 * Periods the spool could not take (a full disk): kept here, oldest
	 * first, and written as soon as it takes them, within SpoolMaxBytes.
	 */
	struct {
		char name[64];
		char *data;
		size_t len;
	} held[MONITOR_MAX_HELD];
	size_t n_held, held_bytes;
	unsigned held_dropped; /* since the spool last worked */
	MonitorContainer containers[MONITOR_MAX_CONTAINERS];
	size_t n_containers;
	CgroupInfo infos[MONITOR_MAX_CONTAINERS];
	pid_t pusher;	      /* lazuli-metrics-push, or 0 */
	bool pusher_logged;   /* its exit was logged */
	char *config_path;    /* passed on to it */
};

static const char *pusher_path(void)
{
	const char *p = getenv("LAZULI_METRICS_PUSH");
	return isempty(p) ? LIBEXECDIR "/lazuli/lazuli-metrics-push" : p;
}

/* Start lazuli-metrics-push, or restart it if it exited (logged once). */
static void ensure_pusher(Monitor *m)
{
	int status;

	if (m->pusher > 0) {
		pid_t r = waitpid(m->pusher, &status, WNOHANG);
		if (r == 0)
			return;
		if (!m->pusher_logged)
			log_warning("%s exited (%s %d); restarting it (logged once)", pusher_path(),
				    WIFEXITED(status) ? "status" : "signal",
				    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		m->pusher_logged = true;
		m->pusher = 0;
	}
	char *argv[] = {(char *)"lazuli-metrics-push", (char *)"--config", m->config_path, NULL};
	posix_spawnattr_t attr;
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	/* the server blocks SIGTERM for its signalfd: the child must not inherit that */
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	int r = posix_spawn(&m->pusher, pusher_path(), NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	if (r != 0) {
		m->pusher = 0;
		if (!m->pusher_logged)
			log_error_errno(r, "Cannot start %s: %m (periods stay in the spool)",
					pusher_path());
		m->pusher_logged = true;
	}
}

void monitor_emit_vm_info(Scrape *s, void *userdata)
{
	Monitor *m = userdata;
	char path[4096];
	/* written by the pusher as one ready exposition family, atomically */
	snprintf(path, sizeof(path), "%s/" MONITOR_VM_INFO_FILE, m->cfg->spool_dir);
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (read_full_file(path, 4096, &text, &len) < 0 || len == 0 || text[len - 1] != '\n' ||
	    !startswith(text, "# HELP lazuli_azure_vm_info "))
		return;
	expo_append(&s->out, text, len);
}

static usec_t period(const Monitor *m)
{
	return m->cfg->push_interval;
}

/* Forget the oldest held period (written, or dropped). */
static void held_pop(Monitor *m)
{
	m->held_bytes -= m->held[0].len;
	free(m->held[0].data);
	memmove(&m->held[0], &m->held[1], (m->n_held - 1) * sizeof(m->held[0]));
	m->n_held--;
}

/* Keep a period the spool did not take; the oldest go first past the bounds. */
static void hold(Monitor *m, const char *name, StrBuf *b)
{
	while (m->n_held > 0 && (m->n_held == MONITOR_MAX_HELD ||
				 m->held_bytes + b->len > m->cfg->spool_max_bytes)) {
		held_pop(m);
		m->held_dropped++;
	}
	if (b->len > m->cfg->spool_max_bytes) {
		m->held_dropped++;
		return;
	}
	size_t i = m->n_held++;
	snprintf(m->held[i].name, sizeof(m->held[i].name), "%s", name);
	m->held[i].len = b->len;
	m->held[i].data = strbuf_steal(b);
	m->held_bytes += m->held[i].len;
}

/* Write what is held to the spool, oldest first, until it refuses. */
static void write_held(Monitor *m)
{
	unsigned written = 0, dropped = 0;
	int r = 0;

	while (m->n_held > 0) {
		unsigned d = 0;
		r = spool_write(m->cfg->spool_dir, m->held[0].name, m->held[0].data, m->held[0].len,
				m->cfg->spool_max_bytes, &d);
		if (r < 0)
			break;
		dropped += d;
		written++;
		held_pop(m);
	}
	if (r < 0 && !m->spool_failing) {
		log_warning_errno(r, "Cannot spool the period starting %s to %s: %m (periods are "
				     "held in memory, up to SpoolMaxBytes, until it works; logged "
				     "once)",
				  m->held[0].name, m->cfg->spool_dir);
		m->spool_failing = true;
	} else if (r >= 0 && m->spool_failing) {
		log_info("Spooling to %s works again: wrote %u held period(s)%s", m->cfg->spool_dir,
			 written, m->held_dropped ? "" : ", none lost");
		if (m->held_dropped)
			log_warning("%u period(s) did not fit in memory while the spool failed and "
				    "are lost",
				    m->held_dropped);
		m->spool_failing = false;
		m->held_dropped = 0;
	}
	if (dropped > 0)
		log_warning("Spool %s is full (SpoolMaxBytes=%llu): dropped the oldest %u period(s)",
			    m->cfg->spool_dir, (unsigned long long)m->cfg->spool_max_bytes, dropped);
}

static void close_bucket(Monitor *m)
{
	StrBuf b = {0};
	char name[64];

	if (m->bucket.start == 0)
		return;
	int n = monitor_bucket_serialize(&m->bucket, &b);
	if (n > 0) {
		snprintf(name, sizeof(name), "%llu.ndjson",
			 (unsigned long long)(m->bucket.start / USEC_PER_SEC));
		hold(m, name, &b);
		write_held(m);
	}
	strbuf_free(&b);
	m->bucket = (MonitorBucket){.containers = m->containers, .n_containers = m->n_containers};
	for (size_t i = 0; i < m->n_containers; i++)
		m->containers[i].cpu = m->containers[i].memory = (MonitorAgg){0};
	/* the pusher sees the new file through inotify; restart it if it died */
	ensure_pusher(m);
}

void monitor_flush(Monitor *m)
{
	close_bucket(m);
}

/* Containers come and go: entries of containers gone for a whole period are reused. */
static void sample_containers(Monitor *m, usec_t mono)
{
	size_t n = cgroup_containers(&m->scrape, m->infos, MONITOR_MAX_CONTAINERS);

	for (size_t i = 0; i < m->n_containers; i++)
		m->containers[i].seen = false;
	for (size_t i = 0; i < n; i++) {
		const CgroupInfo *ci = &m->infos[i];
		MonitorContainer *c = NULL;
		for (size_t j = 0; j < m->n_containers && !c; j++)
			if (streq(m->containers[j].path, ci->path))
				c = &m->containers[j];
		if (!c) {
			for (size_t j = 0; j < m->n_containers && !c; j++)
				if (!m->containers[j].seen && m->containers[j].cpu.count == 0 &&
				    m->containers[j].memory.count == 0)
					c = &m->containers[j]; /* gone: reuse */
			if (!c && m->n_containers < MONITOR_MAX_CONTAINERS)
				c = &m->containers[m->n_containers++];
			if (!c)
				continue;
			*c = (MonitorContainer){0};
			snprintf(c->path, sizeof(c->path), "%s", ci->path);
			snprintf(c->name, sizeof(c->name), "%s", ci->name);
			snprintf(c->engine, sizeof(c->engine), "%s", ci->engine);
			/* dimension values go into JSON unescaped: keep them to a safe set */
			for (char *x = c->name; *x; x++)
				if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:@-", *x))
					*x = '_';
		}
		c->seen = true;
		if (ci->has_cpu) {
			if (c->have_prev && mono > c->prev_mono && ci->cpu_usec >= c->prev_cpu_usec)
				monitor_agg_add(&c->cpu, 100.0 * (double)(ci->cpu_usec - c->prev_cpu_usec) /
							     (double)(mono - c->prev_mono));
			c->prev_cpu_usec = ci->cpu_usec;
			c->prev_mono = mono;
			c->have_prev = true;
		}
		if (ci->has_memory)
			monitor_agg_add(&c->memory, (double)ci->memory);
	}
	m->bucket.containers = m->containers;
	m->bucket.n_containers = m->n_containers;
}

static void sample(Monitor *m)
{
	Scrape *s = &m->scrape;
	usec_t now = now_usec(CLOCK_REALTIME), mono = now_usec(CLOCK_MONOTONIC);
	usec_t start = now - now % period(m);

	if (m->bucket.start != 0 && m->bucket.start != start)
		close_bucket(m);
	m->bucket.start = start;

	if (!m->scrape_ok || scrape_run(s, EXPO_PROMETHEUS) < 0)
		return;
	uint64_t rx = 0, tx = 0, rd = 0, wr = 0;
	for (size_t i = 0; i < s->n_nets; i++) {
		rx += s->nets[i].f[0];
		tx += s->nets[i].f[8];
	}
	for (size_t i = 0; i < s->n_disks; i++) {
		rd += s->disks[i].f[2] * 512;
		wr += s->disks[i].f[6] * 512;
	}
	uint64_t total = 0, idle = 0, steal = 0;
	if (s->have_cpu_total) {
		for (int i = 0; i < 8; i++)
			total += s->cpu_total[i];
		idle = s->cpu_total[3] + s->cpu_total[4];
		steal = s->cpu_total[7];
	}
	if (m->have_prev && mono > m->prev_mono) {
		double dt = (double)(mono - m->prev_mono) / 1e6;
		if (s->have_cpu_total && total > m->prev_cpu_total) {
			double dtot = (double)(total - m->prev_cpu_total);
			monitor_bucket_add(&m->bucket, MM_CPU_USAGE,
					   100.0 * (double)((total - idle) - m->prev_cpu_busy) / dtot);
			monitor_bucket_add(&m->bucket, MM_CPU_STEAL,
					   100.0 * (double)(steal - m->prev_cpu_steal) / dtot);
		}
		if (rx >= m->prev_rx && tx >= m->prev_tx) {
			monitor_bucket_add(&m->bucket, MM_NET_RX, (double)(rx - m->prev_rx) / dt);
			monitor_bucket_add(&m->bucket, MM_NET_TX, (double)(tx - m->prev_tx) / dt);
		}
		if (rd >= m->prev_rd && wr >= m->prev_wr) {
			monitor_bucket_add(&m->bucket, MM_DISK_READ, (double)(rd - m->prev_rd) / dt);
			monitor_bucket_add(&m->bucket, MM_DISK_WRITE, (double)(wr - m->prev_wr) / dt);
		}
	}
	if (s->mem_total > 0) {
		monitor_bucket_add(&m->bucket, MM_MEMORY_AVAILABLE, (double)s->mem_available);
		monitor_bucket_add(&m->bucket, MM_MEMORY_USED,
				   100.0 * (double)(s->mem_total - MIN(s->mem_available, s->mem_total)) /
				       (double)s->mem_total);
	}
	if (s->have_load1)
		monitor_bucket_add(&m->bucket, MM_LOAD1, s->load1);
	sample_containers(m, mono);
	if (s->have_root_fs && s->root_fs_size > 0)
		monitor_bucket_add(&m->bucket, MM_ROOT_FS_USED,
				   100.0 * (double)(s->root_fs_size - s->root_fs_avail) /
				       (double)s->root_fs_size);
	m->have_prev = true;
	m->prev_mono = mono;
	m->prev_cpu_total = total;
	m->prev_cpu_busy = total - idle;
	m->prev_cpu_steal = steal;
	m->prev_rx = rx;
	m->prev_tx = tx;
	m->prev_rd = rd;
	m->prev_wr = wr;
}

void monitor_on_timer(void *userdata)
{
	Monitor *m = userdata;
	uint64_t expirations;
	if (read(m->timer_fd, &expirations, sizeof(expirations)) < 0)
		return;
	sample(m);
}

int monitor_timer_fd(const Monitor *m)
{
	return m->timer_fd;
}

int monitor_new(const MetricsConfig *cfg, const char *config_path, Monitor **ret)
{
	_cleanup_free_ Monitor *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	m->cfg = cfg;
	m->timer_fd = -1;
	m->config_path = strdup(config_path);
	if (!m->config_path)
		return -ENOMEM;

	/* a scrape of its own, with only what the aggregates need */
	m->sample_cfg = *cfg;
	for (int i = 0; i < _COLLECTOR_MAX; i++)
		m->sample_cfg.enabled[i] = false;
	m->sample_cfg.enabled[COLLECTOR_CPU] = true;
	m->sample_cfg.enabled[COLLECTOR_LOADAVG] = true;
	m->sample_cfg.enabled[COLLECTOR_MEMINFO] = true;
	m->sample_cfg.enabled[COLLECTOR_DISKSTATS] = true;
	m->sample_cfg.enabled[COLLECTOR_NETDEV] = true;
	m->sample_cfg.enabled[COLLECTOR_FILESYSTEM] = true;
	m->sample_cfg.enabled[COLLECTOR_CGROUPS] = cfg->enabled[COLLECTOR_CGROUPS];
	m->sample_cfg.cgroup_pressure = false;
	m->sample_cfg.monitor = false;
	m->scrape_ok = scrape_init(&m->scrape, &m->sample_cfg) >= 0;

	if ((r = mkdir_p(cfg->spool_dir, 0700)) < 0)
		log_warning_errno(r, "Cannot create the spool directory %s: %m", cfg->spool_dir);
	m->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (m->timer_fd < 0) {
		r = log_error_errno(errno, "Cannot create the sampling timer: %m");
		goto fail;
	}
	struct itimerspec its = {
	    .it_interval = {.tv_sec = (time_t)(cfg->sample_interval / USEC_PER_SEC),
			    .tv_nsec = (long)(cfg->sample_interval % USEC_PER_SEC) * 1000},
	};
	its.it_value = its.it_interval;
	if (timerfd_settime(m->timer_fd, 0, &its, NULL) < 0) {
		r = log_error_errno(errno, "Cannot arm the sampling timer: %m");
		goto fail;
	}
	sample(m); /* the first sample sets the counters rates are computed from */
	ensure_pusher(m);
	*ret = TAKE_PTR(m);
	return 0;
fail:
	if (m->timer_fd >= 0)
		close(m->timer_fd);
	if (m->scrape_ok)
		scrape_done(&m->scrape);
	free(m->config_path);
	return r;
}

void monitor_free(Monitor *m)
{
	if (!m)
		return;
	if (m->pusher > 0) {
		kill(m->pusher, SIGTERM);
		(void)waitpid(m->pusher, NULL, 0);
	}
	if (m->timer_fd >= 0)
		close(m->timer_fd);
	if (m->scrape_ok)
		scrape_done(&m->scrape);
	if (m->n_held > 0)
		log_warning("%zu period(s) the spool %s did not take are lost at exit", m->n_held,
			    m->cfg->spool_dir);
	for (size_t i = 0; i < m->n_held; i++)
		free(m->held[i].data);
	free(m->config_path);
	free(m);
}
