/* SPDX-License-Identifier: MIT */
/* Host collectors over /proc: cpu, stat, loadavg, meminfo, vmstat, pressure, filefd, ... */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "macros.h"
#include "scrape.h"

/* name = a + b + c into out (truncated names are refused by the caller's length check). */
static bool concat3(char *out, size_t outlen, const char *a, const char *b, size_t bl,
		    const char *c)
{
	size_t al = strlen(a), cl = strlen(c);
	if (al + bl + cl + 1 > outlen)
		return false;
	memcpy(out, a, al);
	memcpy(out + al, b, bl);
	memcpy(out + al + bl, c, cl + 1);
	return true;
}

bool name_chars_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		      (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

/* Jiffies as seconds: exact decimals when USER_HZ is 100 (as it is everywhere). */
static void end_jiffies(Scrape *s, uint64_t v)
{
	if (s->clk_tck == 100)
		expo_end_fixed(&s->out, v, 2);
	else if (s->clk_tck == 1000)
		expo_end_fixed(&s->out, v, 3);
	else
		expo_end_double(&s->out, (double)v / (double)s->clk_tck);
}

/* ---- /proc/stat: cpu and stat collectors -------------------------------- */

static const char *const cpu_modes[] = {"user", "nice",	   "system", "idle",
					"iowait", "irq", "softirq", "steal"};

/* "cpuN" with N decimal: the per-CPU lines. */
static bool is_cpu_line(const char *w, size_t n, const char **num, size_t *numlen)
{
	if (n < 4 || memcmp(w, "cpu", 3) != 0)
		return false;
	for (size_t i = 3; i < n; i++)
		if (w[i] < '0' || w[i] > '9')
			return false;
	*num = w + 3;
	*numlen = n - 3;
	return true;
}

/* Values of one cpu line (up to 10); returns how many parsed. */
static unsigned cpu_values(const char *p, const char *end, uint64_t v[10])
{
	unsigned n = 0;
	while (n < 10) {
		const char *save = p;
		uint64_t x;
		if (take_u64(&p, end, &x) < 0) {
			(void)save;
			break;
		}
		v[n++] = x;
	}
	return n;
}

static void emit_cpu(Scrape *s, const char *buf, size_t len, bool guest)
{
	const char *end = buf + len;
	bool family = false;

	for (const char *p = buf; p < end; p = next_line(p, end)) {
		const char *le = line_end(p, end), *q = p, *w, *num;
		size_t wl, numl;
		uint64_t v[10];
		if (!take_word(&q, le, &w, &wl) || !is_cpu_line(w, wl, &num, &numl))
			continue;
		unsigned n = cpu_values(q, le, v);
		if (n < 4)
			continue; /* truncated line: not even idle */
		if (!guest) {
			if (!family) {
				expo_family(&s->out, "node_cpu_seconds_total", MT_COUNTER,
					    "Seconds the CPUs spent in each mode.");
				family = true;
			}
			for (unsigned i = 0; i < MIN(n, 8u); i++) {
				expo_begin(&s->out);
				expo_label_n(&s->out, "cpu", num, numl);
				expo_label(&s->out, "mode", cpu_modes[i]);
				end_jiffies(s, v[i]);
			}
		} else if (n >= 10) {
			if (!family) {
				expo_family(&s->out, "node_cpu_guest_seconds_total", MT_COUNTER,
					    "Seconds the CPUs spent in guests (VMs) for each mode.");
				family = true;
			}
			expo_begin(&s->out);
			expo_label_n(&s->out, "cpu", num, numl);
			expo_label(&s->out, "mode", "nice");
			end_jiffies(s, v[9]);
			expo_begin(&s->out);
			expo_label_n(&s->out, "cpu", num, numl);
			expo_label(&s->out, "mode", "user");
			end_jiffies(s, v[8]);
		}
	}
}

typedef struct StatKey {
	const char *key;
	const char *name;
	MetricType type;
	const char *help;
} StatKey;

static const StatKey stat_keys[] = {
    {"btime", "node_boot_time_seconds", MT_GAUGE, "Node boot time, in unixtime."},
    {"ctxt", "node_context_switches_total", MT_COUNTER, "Total number of context switches."},
    {"processes", "node_forks_total", MT_COUNTER, "Total number of forks."},
    {"intr", "node_intr_total", MT_COUNTER, "Total number of interrupts serviced."},
    {"procs_blocked", "node_procs_blocked", MT_GAUGE,
     "Number of processes blocked waiting for I/O to complete."},
    {"procs_running", "node_procs_running", MT_GAUGE, "Number of processes in runnable state."},
};

/*
 * The "cpu " total line is kept for the Monitor aggregates; per-CPU lines
 * feed node_cpu_seconds_total (node_exporter has no total series: sum them).
 */
int parse_stat(Scrape *s, const char *buf, size_t len)
{
	const char *end = buf + len;
	int found = 0;

	s->have_cpu_total = false;
	for (const char *p = buf; p < end; p = next_line(p, end)) {
		const char *le = line_end(p, end), *q = p, *w;
		size_t wl;
		if (!take_word(&q, le, &w, &wl))
			continue;
		if (wl == 3 && memcmp(w, "cpu", 3) == 0) {
			uint64_t v[10] = {0};
			unsigned n = cpu_values(q, le, v);
			if (n >= 4) {
				memcpy(s->cpu_total, v, sizeof(v));
				s->have_cpu_total = true;
			}
			continue;
		}
		const char *num;
		size_t numl;
		if (is_cpu_line(w, wl, &num, &numl)) {
			found++;
			continue;
		}
		if (!s->cfg->enabled[COLLECTOR_STAT])
			continue;
		for (size_t i = 0; i < ELEMENTSOF(stat_keys); i++) {
			const StatKey *k = &stat_keys[i];
			uint64_t v;
			if (strlen(k->key) != wl || memcmp(k->key, w, wl) != 0)
				continue;
			if (take_u64(&q, le, &v) < 0)
				break;
			expo_family(&s->out, k->name, k->type, k->help);
			expo_begin(&s->out);
			expo_end_u64(&s->out, v);
			found++;
			break;
		}
	}
	if (s->cfg->enabled[COLLECTOR_CPU]) {
		emit_cpu(s, buf, len, false);
		emit_cpu(s, buf, len, true);
	}
	return found > 0 ? found : -EBADMSG;
}

/* ---- /proc/loadavg ------------------------------------------------------ */

int parse_loadavg(Scrape *s, const char *buf, size_t len)
{
	static const char *const names[] = {"node_load1", "node_load5", "node_load15"};
	static const char *const helps[] = {"1m load average.", "5m load average.",
					    "15m load average."};
	const char *p = buf, *end = line_end(buf, buf + len), *w[3];
	size_t wl[3];

	for (int i = 0; i < 3; i++)
		if (!take_word(&p, end, &w[i], &wl[i]) || !expo_number_valid(w[i], wl[i]))
			return -EBADMSG;
	char tmp[48];
	memcpy(tmp, w[0], MIN(wl[0], sizeof(tmp) - 1));
	tmp[MIN(wl[0], sizeof(tmp) - 1)] = '\0';
	s->load1 = strtod(tmp, NULL);
	s->have_load1 = true;
	if (s->cfg->enabled[COLLECTOR_LOADAVG])
		for (int i = 0; i < 3; i++) {
			expo_family(&s->out, names[i], MT_GAUGE, helps[i]);
			expo_begin(&s->out);
			expo_end_text(&s->out, w[i], wl[i]);
		}
	/* "running/total": the total is node_processes_threads */
	const char *rt;
	size_t rtl;
	s->have_threads = false;
	if (take_word(&p, end, &rt, &rtl)) {
		const char *slash = memchr(rt, '/', rtl);
		if (slash && parse_u64_n(slash + 1, (size_t)(rt + rtl - slash - 1), &s->threads) == 0)
			s->have_threads = true;
	}
	return 3;
}

/* ---- /proc/meminfo ------------------------------------------------------ */

int parse_meminfo(Scrape *s, const char *buf, size_t len)
{
	const char *end = buf + len;
	int n = 0;

	for (const char *p = buf; p < end; p = next_line(p, end)) {
		const char *le = line_end(p, end), *colon = memchr(p, ':', (size_t)(le - p));
		const char *q, *unit;
		size_t unitl;
		uint64_t v;
		char field[96], name[160];
		size_t fl = 0;

		if (!colon)
			continue;
		/* "Active(anon)" -> "Active_anon" */
		for (const char *c = p; c < colon && fl < sizeof(field) - 1; c++) {
			if (*c == '(')
				field[fl++] = '_';
			else if (*c != ')')
				field[fl++] = *c;
		}
		if (!name_chars_ok(field, fl))
			continue;
		q = colon + 1;
		if (take_u64(&q, le, &v) < 0)
			continue;
		bool kb = take_word(&q, le, &unit, &unitl);
		if (kb && !(unitl == 2 && memcmp(unit, "kB", 2) == 0))
			continue;
		if (kb) {
			if (v > UINT64_MAX / 1024)
				continue;
			v *= 1024;
		}
		if (!concat3(name, sizeof(name), "node_memory_", field, fl, kb ? "_bytes" : ""))
			continue;
		char help[200];
		if (!concat3(help, sizeof(help), "Memory information field ", name + 12,
			     strlen(name + 12), "."))
			continue;
		expo_family(&s->out, name, MT_GAUGE, help);
		expo_begin(&s->out);
		expo_end_u64(&s->out, v);
		if (fl == 8 && memcmp(field, "MemTotal", 8) == 0)
			s->mem_total = v;
		else if (fl == 12 && memcmp(field, "MemAvailable", 12) == 0)
			s->mem_available = v;
		n++;
	}
	return n > 0 ? n : -EBADMSG;
}

/* ---- /proc/vmstat: node_exporter's default fields ^(oom_kill|pgpg|pswp|pg.*fault).* */

static bool vmstat_wanted(const char *w, size_t n)
{
	if (n >= 8 && memcmp(w, "oom_kill", 8) == 0)
		return true;
	if (n >= 4 && (memcmp(w, "pgpg", 4) == 0 || memcmp(w, "pswp", 4) == 0))
		return true;
	if (n >= 2 && memcmp(w, "pg", 2) == 0)
		for (size_t i = 2; i + 5 <= n; i++)
			if (memcmp(w + i, "fault", 5) == 0)
				return true;
	return false;
}

int parse_vmstat(Scrape *s, const char *buf, size_t len)
{
	const char *end = buf + len;
	int n = 0;

	for (const char *p = buf; p < end; p = next_line(p, end)) {
		const char *le = line_end(p, end), *q = p, *w;
		size_t wl;
		uint64_t v;
		char name[160], help[200];
		if (!take_word(&q, le, &w, &wl) || !name_chars_ok(w, wl))
			continue;
		n++;
		if (!vmstat_wanted(w, wl) || take_u64(&q, le, &v) < 0)
			continue;
		if (!concat3(name, sizeof(name), "node_vmstat_", w, wl, ""))
			continue;
		if (!concat3(help, sizeof(help), "/proc/vmstat information field ", name + 12,
			     strlen(name + 12), "."))
			continue;
		expo_family(&s->out, name, MT_UNTYPED, help);
		expo_begin(&s->out);
		expo_end_u64(&s->out, v);
	}
	return n > 0 ? n : -EBADMSG;
}

/* ---- /proc/pressure/{cpu,memory,io} ------------------------------------- */

static int psi_total(const char *p, const char *le, uint64_t *ret)
{
	const char *w;
	size_t wl;
	while (take_word(&p, le, &w, &wl))
		if (wl > 6 && memcmp(w, "total=", 6) == 0)
			return parse_u64_n(w + 6, wl - 6, ret);
	return -EBADMSG;
}

int parse_pressure(const char *buf, size_t len, uint64_t *some_total, uint64_t *full_total,
		   bool *has_full)
{
	const char *end = buf + len;
	bool some = false;

	*has_full = false;
	for (const char *p = buf; p < end; p = next_line(p, end)) {
		const char *le = line_end(p, end), *q = p, *w;
		size_t wl;
		if (!take_word(&q, le, &w, &wl))
			continue;
		if (wl == 4 && memcmp(w, "some", 4) == 0 && psi_total(q, le, some_total) == 0)
			some = true;
		else if (wl == 4 && memcmp(w, "full", 4) == 0 && psi_total(q, le, full_total) == 0)
			*has_full = true;
	}
	return some ? 0 : -EBADMSG;
}

static int collect_pressure(Scrape *s)
{
	static const struct {
		const char *file, *waiting, *waiting_help, *stalled, *stalled_help;
	} res[] = {
	    {"pressure/cpu", "node_pressure_cpu_waiting_seconds_total",
	     "Total time in seconds that processes have waited for CPU time", NULL, NULL},
	    {"pressure/io", "node_pressure_io_waiting_seconds_total",
	     "Total time in seconds that processes have waited due to IO congestion",
	     "node_pressure_io_stalled_seconds_total",
	     "Total time in seconds no process could make progress due to IO congestion"},
	    {"pressure/memory", "node_pressure_memory_waiting_seconds_total",
	     "Total time in seconds that processes have waited for memory",
	     "node_pressure_memory_stalled_seconds_total",
	     "Total time in seconds no process could make progress due to memory congestion"},
	};
	int ok = 0, r = -ENOENT;

	for (size_t i = 0; i < ELEMENTSOF(res); i++) {
		uint64_t some, full;
		bool has_full;
		ssize_t n = scrape_read_cached(s, s->proc_fd, res[i].file, true);
		if (n < 0) {
			r = (int)n;
			continue;
		}
		r = parse_pressure(s->buf, (size_t)n, &some, &full, &has_full);
		if (r < 0)
			continue;
		expo_family(&s->out, res[i].waiting, MT_COUNTER, res[i].waiting_help);
		expo_begin(&s->out);
		expo_end_fixed(&s->out, some, 6);
		if (res[i].stalled && has_full) {
			expo_family(&s->out, res[i].stalled, MT_COUNTER, res[i].stalled_help);
			expo_begin(&s->out);
			expo_end_fixed(&s->out, full, 6);
		}
		ok++;
	}
	return ok > 0 ? 0 : r;
}

/* ---- /proc/sys/fs/file-nr ----------------------------------------------- */

int parse_filefd(Scrape *s, const char *buf, size_t len)
{
	const char *p = buf, *end = line_end(buf, buf + len);
	uint64_t alloc, unused, max;

	if (take_u64(&p, end, &alloc) < 0 || take_u64(&p, end, &unused) < 0 ||
	    take_u64(&p, end, &max) < 0)
		return -EBADMSG;
	expo_family(&s->out, "node_filefd_allocated", MT_GAUGE,
		    "File descriptor statistics: allocated.");
	expo_begin(&s->out);
	expo_end_u64(&s->out, alloc);
	expo_family(&s->out, "node_filefd_maximum", MT_GAUGE,
		    "File descriptor statistics: maximum.");
	expo_begin(&s->out);
	expo_end_u64(&s->out, max);
	return 2;
}

/* One number in a file (sysctl style). */
static int read_u64_file(Scrape *s, int dirfd, const char *path, uint64_t *ret)
{
	ssize_t n = scrape_read_cached(s, dirfd, path, true);
	if (n < 0)
		return (int)n;
	const char *p = s->buf;
	int r = take_u64(&p, s->buf + n, ret);
	if (r < 0)
		return -EBADMSG;
	return 0;
}

static int collect_processes(Scrape *s)
{
	uint64_t pid_max, threads_max;
	int r = 0;

	if (s->have_threads) {
		expo_family(&s->out, "node_processes_threads", MT_GAUGE,
			    "Allocated threads in system");
		expo_begin(&s->out);
		expo_end_u64(&s->out, s->threads);
	}
	if (read_u64_file(s, s->proc_fd, "sys/kernel/threads-max", &threads_max) == 0) {
		expo_family(&s->out, "node_processes_max_threads", MT_GAUGE,
			    "Limit of threads in the system");
		expo_begin(&s->out);
		expo_end_u64(&s->out, threads_max);
	} else
		r = -ENOENT;
	if (read_u64_file(s, s->proc_fd, "sys/kernel/pid_max", &pid_max) == 0) {
		expo_family(&s->out, "node_processes_max_processes", MT_GAUGE,
			    "Number of max PIDs limit");
		expo_begin(&s->out);
		expo_end_u64(&s->out, pid_max);
	} else
		r = -ENOENT;
	return r;
}

static int collect_conntrack(Scrape *s)
{
	uint64_t count, max;
	int r = read_u64_file(s, s->proc_fd, "sys/net/netfilter/nf_conntrack_count", &count);
	if (r == -ENOENT)
		return 0; /* no conntrack module loaded: nothing to report */
	if (r < 0)
		return r;
	expo_family(&s->out, "node_nf_conntrack_entries", MT_GAUGE,
		    "Number of currently allocated flow entries for connection tracking.");
	expo_begin(&s->out);
	expo_end_u64(&s->out, count);
	if (read_u64_file(s, s->proc_fd, "sys/net/netfilter/nf_conntrack_max", &max) == 0) {
		expo_family(&s->out, "node_nf_conntrack_entries_limit", MT_GAUGE,
			    "Maximum size of connection tracking table.");
		expo_begin(&s->out);
		expo_end_u64(&s->out, max);
	}
	return 0;
}

static int collect_time(Scrape *s)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	expo_family(&s->out, "node_time_seconds", MT_GAUGE,
		    "System time in seconds since epoch (1970).");
	expo_begin(&s->out);
	expo_end_fixed(&s->out, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec, 9);

	ssize_t n = scrape_read_cached(
	    s, s->sys_fd, "devices/system/clocksource/clocksource0/current_clocksource", true);
	if (n < 0)
		return 0;
	const char *p = s->buf, *w;
	size_t wl;
	if (take_word(&p, s->buf + n, &w, &wl)) {
		expo_family(&s->out, "node_time_clocksource_current_info", MT_GAUGE,
			    "Current clocksource read from '/sys/devices/system/clocksource'.");
		expo_begin(&s->out);
		expo_label_n(&s->out, "clocksource", w, wl);
		expo_label(&s->out, "device", "0");
		expo_end_u64(&s->out, 1);
	}
	return 0;
}

static void gauge_double(Scrape *s, const char *name, const char *help, MetricType t, double v)
{
	expo_family(&s->out, name, t, help);
	expo_begin(&s->out);
	expo_end_double(&s->out, v);
}

static int collect_timex(Scrape *s)
{
	struct timex tx = {0};
	int state = adjtimex(&tx);
	if (state < 0)
		return -errno;
	double div = (tx.status & STA_NANO) ? 1e9 : 1e6;
	const double ppm16 = 65536.0 * 1e6;

	gauge_double(s, "node_timex_offset_seconds",
		     "Time offset in between local system and reference clock.", MT_GAUGE,
		     (double)tx.offset / div);
	gauge_double(s, "node_timex_frequency_adjustment_ratio",
		     "Local clock frequency adjustment.", MT_GAUGE, 1.0 + (double)tx.freq / ppm16);
	gauge_double(s, "node_timex_maxerror_seconds", "Maximum error in seconds.", MT_GAUGE,
		     (double)tx.maxerror / 1e6);
	gauge_double(s, "node_timex_estimated_error_seconds", "Estimated error in seconds.",
		     MT_GAUGE, (double)tx.esterror / 1e6);
	gauge_double(s, "node_timex_status", "Value of the status array bits.", MT_GAUGE,
		     (double)tx.status);
	gauge_double(s, "node_timex_loop_time_constant", "Phase-locked loop time constant.",
		     MT_GAUGE, (double)tx.constant);
	gauge_double(s, "node_timex_tick_seconds", "Seconds between clock ticks.", MT_GAUGE,
		     (double)tx.tick / 1e6);
	gauge_double(s, "node_timex_pps_frequency_hertz", "Pulse per second frequency.", MT_GAUGE,
		     (double)tx.ppsfreq / ppm16);
	gauge_double(s, "node_timex_pps_jitter_seconds", "Pulse per second jitter.", MT_GAUGE,
		     (double)tx.jitter / div);
	gauge_double(s, "node_timex_pps_shift_seconds", "Pulse per second interval duration.",
		     MT_GAUGE, (double)tx.shift);
	gauge_double(s, "node_timex_pps_stability_hertz",
		     "Pulse per second stability, average of recent frequency changes.", MT_GAUGE,
		     (double)tx.stabil / ppm16);
	gauge_double(s, "node_timex_pps_jitter_total",
		     "Pulse per second count of jitter limit exceeded events.", MT_COUNTER,
		     (double)tx.jitcnt);
	gauge_double(s, "node_timex_pps_calibration_total",
		     "Pulse per second count of calibration intervals.", MT_COUNTER,
		     (double)tx.calcnt);
	gauge_double(s, "node_timex_pps_error_total", "Pulse per second count of calibration errors.",
		     MT_COUNTER, (double)tx.errcnt);
	gauge_double(s, "node_timex_pps_stability_exceeded_total",
		     "Pulse per second count of stability limit exceeded events.", MT_COUNTER,
		     (double)tx.stbcnt);
	gauge_double(s, "node_timex_tai_offset_seconds", "International Atomic Time (TAI) offset.",
		     MT_GAUGE, (double)tx.tai);
	gauge_double(s, "node_timex_sync_status",
		     "Is clock synchronized to a reliable server (1 = yes, 0 = no).", MT_GAUGE,
		     state == TIME_ERROR ? 0.0 : 1.0);
	return 0;
}

/* ---- dispatch ----------------------------------------------------------- */

static int collect_file(Scrape *s, int dirfd, const char *path, bool single,
			int (*parse)(Scrape *, const char *, size_t))
{
	ssize_t n = scrape_read_cached(s, dirfd, path, single);
	if (n < 0)
		return (int)n;
	int r = parse(s, s->buf, (size_t)n);
	return r < 0 ? r : 0;
}

int collect_host(Scrape *s, CollectorId id)
{
	switch (id) {
	case COLLECTOR_CPU:
	case COLLECTOR_STAT:
		return collect_file(s, s->proc_fd, "stat", true, parse_stat);
	case COLLECTOR_LOADAVG:
		return collect_file(s, s->proc_fd, "loadavg", true, parse_loadavg);
	case COLLECTOR_MEMINFO:
		return collect_file(s, s->proc_fd, "meminfo", true, parse_meminfo);
	case COLLECTOR_VMSTAT:
		return collect_file(s, s->proc_fd, "vmstat", false, parse_vmstat);
	case COLLECTOR_PRESSURE:
		return collect_pressure(s);
	case COLLECTOR_FILEFD:
		return collect_file(s, s->proc_fd, "sys/fs/file-nr", true, parse_filefd);
	case COLLECTOR_PROCESSES:
		return collect_processes(s);
	case COLLECTOR_TIME:
		return collect_time(s);
	case COLLECTOR_TIMEX:
		return collect_timex(s);
	case COLLECTOR_CONNTRACK:
		return collect_conntrack(s);
	default:
		return -EOPNOTSUPP;
	}
}
