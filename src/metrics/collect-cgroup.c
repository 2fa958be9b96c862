/* SPDX-License-Identifier: MIT */
/*
 * Per-cgroup (cgroup v2) metrics: every cgroup below the unified mount,
 * breadth first, at most MaxCgroups of them and MaxCgroupDepth deep, so
 * that thousands of cgroups give bounded output. A container's cgroup is
 * labelled with its engine and id and is not descended into (its inner
 * cgroups are the container's business); a systemd unit by its name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "json-util.h"
#include "log.h"
#include "macros.h"
#include "scrape.h"
#include "strutil.h"
#include "time-util.h"

enum {
	HAVE_CPU = 1 << 0,
	HAVE_CPU_MAX = 1 << 1,
	HAVE_MEM = 1 << 2,
	HAVE_PEAK = 1 << 3,
	HAVE_EVENTS = 1 << 4,
	HAVE_PIDS = 1 << 5,
	HAVE_PSI_CPU = 1 << 6,
	HAVE_PSI_CPU_FULL = 1 << 7,
	HAVE_PSI_MEM = 1 << 8,
	HAVE_PSI_IO = 1 << 9,
};

typedef enum Engine {
	ENGINE_NONE,
	ENGINE_SYSTEMD,
	ENGINE_PODMAN,
	ENGINE_DOCKER,
	ENGINE_CONTAINERD,
	ENGINE_CRIO,
	ENGINE_LAZULI_RUN,
	_ENGINE_MAX,
} Engine;

static const char *const engine_names[_ENGINE_MAX] = {
    "", "systemd", "podman", "docker", "containerd", "cri-o", "lazuli-run",
};

struct CgroupRow {
	uint32_t path, name; /* offsets into CgroupWalk.arena */
	uint32_t have;
	Engine engine;
	uint64_t cpu[6]; /* usage, user, system (usec), nr_periods, nr_throttled, throttled_usec */
	uint64_t mem_current, mem_peak, oom_kill, pids;
	uint64_t psi[6]; /* cpu some/full, memory some/full, io some/full (usec) */
	uint32_t io_first, io_n;
};

typedef struct IoRow {
	char device[24]; /* "8:0" */
	uint64_t v[4];	 /* rbytes, wbytes, rios, wios */
} IoRow;

typedef struct RunMapEntry {
	char *cgroup_path; /* absolute, as lazuli-run recorded it */
	char *id;
} RunMapEntry;

#define DENTS_SIZE 32768

/*
 * Descriptors kept open between scrapes, so that a scrape is pread()s and
 * not open()/close() pairs (a fifth of a scrape's CPU time with only three
 * cgroups; with a hundred containers, a cached cgroup costs half of an
 * uncached one). Bounded: each costs the kernel a file and a seq buffer
 * (about 4.5 KiB), and the process has RLIMIT_NOFILE, of which a quarter
 * goes to this cache, at most CGROUP_FD_BUDGET_MAX; cgroups past the budget
 * are opened per scrape.
 */
#define CGROUP_FD_BUDGET_MAX 2048
#define CGROUP_FD_BUDGET_MIN 64

typedef enum CgFile {
	CGF_CONTROLLERS,
	CGF_CPU_STAT,
	CGF_MEMORY_CURRENT,
	CGF_MEMORY_PEAK,
	CGF_MEMORY_EVENTS,
	CGF_PIDS_CURRENT,
	CGF_IO_STAT,
	CGF_CPU_PRESSURE,
	CGF_MEMORY_PRESSURE,
	CGF_IO_PRESSURE,
	CGF_SUBTREE_CONTROL,
	_CGF_MAX,
} CgFile;

static const char *const cg_file_names[_CGF_MAX] = {
    "cgroup.controllers",     "cpu.stat", "memory.current", "memory.peak",     "memory.events",
    "pids.current",	      "io.stat",  "cpu.pressure",   "memory.pressure", "io.pressure",
    "cgroup.subtree_control",
};

/*
 * The controllers of a queued cgroup, when its parent's
 * cgroup.subtree_control said (a cgroup's cgroup.controllers is exactly
 * that): one read per parent instead of one per cgroup, which with a
 * hundred containers in one slice is one system call in six.
 */
enum {
	CTL_MEMORY = 1 << 0,
	CTL_IO = 1 << 1,
	CTL_PIDS = 1 << 2,
	CTL_KNOWN = 1 << 7,
};

/*
 * One cgroup's open descriptors, found by its relative path and checked
 * against the inode its parent lists: a cgroup removed and made again
 * under the same name is a new entry (on cgroupfs the old descriptors
 * would fail with ENODEV; on the plain files of a --root tree they would
 * go on reading the deleted files).
 */
typedef struct CgCache {
	char *rel;
	uint64_t ino;
	int dir;
	int fd[_CGF_MAX];
	bool seen;
	/* lazuli-run's mark on the directory (RUN_ID_XATTR), once it is known for good */
	char *run_id;
	bool run_id_final;
	usec_t first_seen;
	usec_t run_id_asked; /* when the mark was last looked for */
} CgCache;

/*
 * lazuli-run names the container on the cgroup it makes, in this extended
 * attribute: the daemon's unit cannot read lazuli-run's root-only state
 * directory, but a cgroup's user.* attributes are readable by anyone who
 * can read the directory. It is written right after the cgroup is made, so
 * a cgroup without it is asked again during its first seconds.
 */
#define RUN_ID_XATTR "user.lazuli-run.id"
#define RUN_ID_GRACE (10 * USEC_PER_SEC)
/* During the grace period, asked at most this often: scrapes can come much faster */
#define RUN_ID_RECHECK (1 * USEC_PER_SEC)

struct CgroupWalk {
	char *arena;
	size_t arena_len, arena_cap;
	uint32_t *queue; /* offsets of relative paths ("" for the root) */
	uint8_t *depth;
	uint64_t *ino; /* of each queued cgroup, as its parent's getdents() said */
	uint8_t *ctl;  /* of each queued cgroup: CTL_* from its parent, or 0 (not known) */
	size_t n_queue, cap_queue;
	CgroupRow *rows;
	size_t n_rows, cap_rows;
	IoRow *io;
	size_t n_io, cap_io;
	char *dents; /* DENTS_SIZE; malloc'd, not zeroed: only what getdents writes is touched */
	RunMapEntry *run;
	size_t n_run, cap_run;
	struct timespec run_mtime;
	bool run_loaded;
	bool psi;	/* the kernel has pressure stall information (probed once) */
	CgCache *cache; /* sorted by rel */
	size_t n_cache, cap_cache;
	size_t n_fds;	  /* descriptors held by the cache */
	size_t fd_budget; /* at most this many */
	size_t skipped;
	char root_path[4096]; /* the cgroup mount we walk, for matching lazuli-run's paths */
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	void *q = reallocarray(*p, n, elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static int arena_put(CgroupWalk *w, const char *a, size_t al, const char *b, size_t bl,
		     uint32_t *off)
{
	size_t need = w->arena_len + al + bl + 1;
	if (need > (1u << 26))
		return -E2BIG;
	if (grow((void **)&w->arena, &w->arena_cap, need, 1) < 0)
		return -ENOMEM;
	memcpy(w->arena + w->arena_len, a, al);
	memcpy(w->arena + w->arena_len + al, b, bl);
	w->arena[w->arena_len + al + bl] = '\0';
	*off = (uint32_t)w->arena_len;
	w->arena_len = need;
	return 0;
}

static void run_map_clear(CgroupWalk *w)
{
	for (size_t i = 0; i < w->n_run; i++) {
		free(w->run[i].cgroup_path);
		free(w->run[i].id);
	}
	free(w->run);
	w->run = NULL;
	w->n_run = w->cap_run = 0;
}

static void cache_entry_close(CgroupWalk *w, CgCache *e)
{
	if (e->dir >= 0) {
		close(e->dir);
		w->n_fds--;
	}
	for (size_t f = 0; f < _CGF_MAX; f++)
		if (e->fd[f] >= 0) {
			close(e->fd[f]);
			w->n_fds--;
		}
	free(e->rel);
	free(e->run_id);
}

/*
 * The cache entry of rel (made when the budget allows), or NULL: then the
 * cgroup's files are opened for this scrape only. Pointers stay valid
 * until the next cache_get().
 */
static CgCache *cache_get(CgroupWalk *w, const char *rel, uint64_t ino)
{
	size_t lo = 0, hi = w->n_cache;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(rel, w->cache[mid].rel);
		if (c == 0) {
			CgCache *e = &w->cache[mid];
			if (e->ino == ino) {
				e->seen = true;
				return e;
			}
			/* another cgroup under the same name: start afresh */
			cache_entry_close(w, e);
			memmove(e, e + 1, (w->n_cache - mid - 1) * sizeof(*e));
			w->n_cache--;
			lo = mid;
			break;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (w->n_fds >= w->fd_budget ||
	    grow((void **)&w->cache, &w->cap_cache, w->n_cache + 1, sizeof(CgCache)) < 0)
		return NULL;
	char *copy = strdup(rel);
	if (!copy)
		return NULL;
	CgCache *e = &w->cache[lo];
	memmove(e + 1, e, (w->n_cache - lo) * sizeof(*e));
	w->n_cache++;
	*e = (CgCache){.rel = copy, .ino = ino, .dir = -1, .seen = true, .first_seen = now_usec(CLOCK_MONOTONIC)};
	for (size_t f = 0; f < _CGF_MAX; f++)
		e->fd[f] = -1;
	return e;
}

/* Close what the last walk did not see: those cgroups are gone. */
static void cache_sweep(CgroupWalk *w)
{
	size_t j = 0;
	for (size_t i = 0; i < w->n_cache; i++) {
		if (!w->cache[i].seen) {
			cache_entry_close(w, &w->cache[i]);
			continue;
		}
		w->cache[i].seen = false;
		w->cache[j++] = w->cache[i];
	}
	w->n_cache = j;
}

/*
 * Read one file of a cgroup through its cached descriptor, opening and
 * caching it on first use. A cached descriptor that fails (the file went
 * with its controller, or the cgroup with it) is dropped and the file
 * opened again, so the error the caller sees is the open's.
 */
static ssize_t cg_read(Scrape *s, CgroupWalk *w, CgCache *e, int dfd, CgFile f)
{
	if (e && e->fd[f] >= 0) {
		ssize_t n = scrape_read_fd(s, e->fd[f], true);
		if (n >= 0 || n == -EFBIG || n == -ENOMEM)
			return n;
		close(e->fd[f]);
		e->fd[f] = -1;
		w->n_fds--;
	}
	if (!e || w->n_fds >= w->fd_budget)
		return scrape_read_single(s, dfd, cg_file_names[f]);
	int fd = openat(dfd, cg_file_names[f], O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	ssize_t n = scrape_read_fd(s, fd, true);
	if (n < 0) {
		close(fd);
		return n;
	}
	e->fd[f] = fd;
	w->n_fds++;
	return n;
}

void cgroup_walk_free(CgroupWalk *w)
{
	if (!w)
		return;
	free(w->arena);
	free(w->queue);
	free(w->depth);
	free(w->ino);
	free(w->ctl);
	for (size_t i = 0; i < w->n_cache; i++)
		cache_entry_close(w, &w->cache[i]);
	free(w->cache);
	free(w->rows);
	free(w->io);
	free(w->dents);
	run_map_clear(w);
	free(w);
}

/*
 * lazuli-run records each container's cgroup in <state>/<id>/state.json.
 * The map is re-read only when the state directory changes (a container
 * was created or deleted), not on every scrape.
 */
static void run_map_refresh(Scrape *s, CgroupWalk *w)
{
	const char *dir = s->cfg->run_state_dir;
	struct stat st;

	if (isempty(dir) || stat(dir, &st) < 0) {
		run_map_clear(w);
		w->run_loaded = false;
		return;
	}
	if (w->run_loaded && st.st_mtim.tv_sec == w->run_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == w->run_mtime.tv_nsec)
		return;
	run_map_clear(w);
	w->run_mtime = st.st_mtim;
	w->run_loaded = true;

	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || w->n_run >= 4096)
			continue;
		char path[512];
		snprintf(path, sizeof(path), "%s/state.json", de->d_name);
		ssize_t n = scrape_read(s, dirfd(d), path);
		if (n < 0)
			continue;
		json_object *o = NULL;
		if (json_parse_strict(s->buf, (size_t)n, &o, NULL, 0) < 0)
			continue;
		const char *cg = json_get_string(o, "cgroupPath");
		if (cg && grow((void **)&w->run, &w->cap_run, w->n_run + 1, sizeof(RunMapEntry)) ==
			      0) {
			char *a = strdup(cg), *b = strdup(de->d_name);
			if (a && b) {
				w->run[w->n_run++] = (RunMapEntry){a, b};
				a = b = NULL;
			}
			free(a);
			free(b);
		}
		json_object_put(o);
	}
	closedir(d);
}

static const char *run_map_lookup(const CgroupWalk *w, const char *rel)
{
	size_t rl = strlen(w->root_path);
	for (size_t i = 0; i < w->n_run; i++) {
		const char *p = w->run[i].cgroup_path;
		if (strncmp(p, w->root_path, rl) == 0 && streq(p + rl, rel))
			return w->run[i].id;
	}
	return NULL;
}

static bool is_hex_id(const char *s, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* "<prefix><64 hex>.scope" -> the id. */
static bool scope_id(const char *name, size_t n, const char *prefix, const char **id)
{
	size_t pl = strlen(prefix);
	if (n != pl + 64 + 6 || memcmp(name, prefix, pl) != 0 ||
	    memcmp(name + n - 6, ".scope", 6) != 0 || !is_hex_id(name + pl, 64))
		return false;
	*id = name + pl;
	return true;
}

/* Which engine made the cgroup at rel ("/a/b"), and its id or unit name (into *name, *namelen). */
int cgroup_classify(const char *rel, const char **name, size_t *namelen)
{
	const char *base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	size_t n = strlen(base);
	const char *parent_end = base > rel ? base - 1 : rel;
	const char *parent = parent_end;
	while (parent > rel && parent[-1] != '/')
		parent--;
	size_t pl = (size_t)(parent_end - parent);
	const char *id;

	if (scope_id(base, n, "libpod-", &id) || scope_id(base, n, "docker-", &id) ||
	    scope_id(base, n, "cri-containerd-", &id) || scope_id(base, n, "crio-", &id)) {
		*name = id;
		*namelen = 64;
		return base[0] == 'l'	? ENGINE_PODMAN
		       : base[0] == 'd' ? ENGINE_DOCKER
		       : base[1] == 'r' && base[2] == 'i' && base[3] == '-' ? ENGINE_CONTAINERD
									 : ENGINE_CRIO;
	}
	/* cgroupfs drivers: /docker/<id>, /libpod_parent/libpod-<id> */
	if (pl == 6 && memcmp(parent, "docker", 6) == 0 && is_hex_id(base, n)) {
		*name = base;
		*namelen = n;
		return ENGINE_DOCKER;
	}
	if (pl == 13 && memcmp(parent, "libpod_parent", 13) == 0 && n == 71 &&
	    memcmp(base, "libpod-", 7) == 0 && is_hex_id(base + 7, 64)) {
		*name = base + 7;
		*namelen = 64;
		return ENGINE_PODMAN;
	}
	if (endswith(base, ".service") || endswith(base, ".scope") || endswith(base, ".slice")) {
		*name = base;
		*namelen = n;
		return ENGINE_SYSTEMD;
	}
	*name = "";
	*namelen = 0;
	return ENGINE_NONE;
}

int parse_cpu_stat_cgroup(const char *buf, size_t len, uint64_t out[6])
{
	static const char *const keys[6] = {"usage_usec",   "user_usec",    "system_usec",
					    "nr_periods",   "nr_throttled", "throttled_usec"};
	const char *end = buf + len;
	int found = 0;

	for (const char *p = buf; p < end; p = next_line(p, end)) {
		const char *le = line_end(p, end), *q = p, *k;
		size_t kl;
		uint64_t v;
		if (!take_word(&q, le, &k, &kl) || take_u64(&q, le, &v) < 0)
			continue;
		for (int i = 0; i < 6; i++)
			if (strlen(keys[i]) == kl && memcmp(keys[i], k, kl) == 0) {
				out[i] = v;
				found |= 1 << i;
			}
	}
	return found;
}

static int read_one_u64(Scrape *s, CgroupWalk *w, CgCache *e, int dfd, CgFile f, uint64_t *ret)
{
	ssize_t n = cg_read(s, w, e, dfd, f);
	if (n < 0)
		return (int)n;
	const char *p = s->buf;
	return take_u64(&p, s->buf + n, ret) < 0 ? -EBADMSG : 0;
}

int parse_io_stat(CgroupWalk *w, CgroupRow *row, const char *buf, size_t len)
{
	static const char *const keys[4] = {"rbytes=", "wbytes=", "rios=", "wios="};
	const char *end = buf + len;

	row->io_first = (uint32_t)w->n_io;
	row->io_n = 0;
	for (const char *p = buf; p < end; p = next_line(p, end)) {
		const char *le = line_end(p, end), *q = p, *dev, *kv;
		size_t devl, kvl;
		if (!take_word(&q, le, &dev, &devl) || devl >= sizeof(((IoRow *)0)->device) ||
		    !memchr(dev, ':', devl))
			continue;
		IoRow io = {0};
		memcpy(io.device, dev, devl);
		int found = 0;
		while (take_word(&q, le, &kv, &kvl))
			for (int i = 0; i < 4; i++) {
				size_t kl = strlen(keys[i]);
				if (kvl > kl && memcmp(kv, keys[i], kl) == 0 &&
				    parse_u64_n(kv + kl, kvl - kl, &io.v[i]) == 0)
					found++;
			}
		if (found == 0 || w->n_io >= 1u << 20)
			continue;
		if (grow((void **)&w->io, &w->cap_io, w->n_io + 1, sizeof(IoRow)) < 0)
			return -ENOMEM;
		w->io[w->n_io++] = io;
		row->io_n++;
	}
	return (int)row->io_n;
}

static void read_psi(Scrape *s, CgroupWalk *w, CgCache *e, int dfd, CgFile f, uint64_t *some,
		     uint64_t *full, uint32_t *have, uint32_t bit, uint32_t fullbit)
{
	ssize_t n = cg_read(s, w, e, dfd, f);
	bool has_full;
	if (n < 0 || parse_pressure(s->buf, (size_t)n, some, full, &has_full) < 0)
		return;
	*have |= bit;
	if (has_full)
		*have |= fullbit;
}

static bool word_listed(const char *list, size_t len, const char *word)
{
	size_t wl = strlen(word);
	for (const char *p = list, *end = list + len; p < end;) {
		const char *w;
		size_t n;
		if (!take_word(&p, end, &w, &n)) {
			p = next_line(p, end);
			continue;
		}
		if (n == wl && memcmp(w, word, wl) == 0)
			return true;
	}
	return false;
}

static uint8_t controllers_of(const char *list, size_t len)
{
	return CTL_KNOWN | (word_listed(list, len, "memory") ? CTL_MEMORY : 0) |
	       (word_listed(list, len, "io") ? CTL_IO : 0) |
	       (word_listed(list, len, "pids") ? CTL_PIDS : 0);
}

/*
 * Returns 0, or -ENOENT when the cgroup went away while we read it. Only
 * the files of the controllers the cgroup has are opened: a failing open
 * costs as much as a successful one. Those are ctl when it is CTL_KNOWN
 * (from the parent), else read from the cgroup's own cgroup.controllers.
 */
static int read_cgroup(Scrape *s, CgroupWalk *w, CgCache *e, int dfd, uint8_t ctl, CgroupRow *row)
{
	bool memory, io, pids;
	ssize_t n;

	if (!(ctl & CTL_KNOWN)) {
		n = cg_read(s, w, e, dfd, CGF_CONTROLLERS);
		if (n == -ENOENT || n == -ENODEV)
			return -ENOENT; /* every cgroup v2 directory has it: this one is gone */
		if (n < 0)
			return (int)n;
		ctl = controllers_of(s->buf, (size_t)n);
	}
	memory = ctl & CTL_MEMORY;
	io = ctl & CTL_IO;
	pids = ctl & CTL_PIDS;

	n = cg_read(s, w, e, dfd, CGF_CPU_STAT);
	if (n >= 0) {
		int f = parse_cpu_stat_cgroup(s->buf, (size_t)n, row->cpu);
		if (f & 1)
			row->have |= HAVE_CPU;
		if ((f & 0x38) == 0x38)
			row->have |= HAVE_CPU_MAX;
	} else if (n == -ENODEV || n == -ENOENT)
		return -ENOENT;
	if (memory) {
		if (read_one_u64(s, w, e, dfd, CGF_MEMORY_CURRENT, &row->mem_current) == 0)
			row->have |= HAVE_MEM;
		if (read_one_u64(s, w, e, dfd, CGF_MEMORY_PEAK, &row->mem_peak) == 0)
			row->have |= HAVE_PEAK;
		n = cg_read(s, w, e, dfd, CGF_MEMORY_EVENTS);
		if (n >= 0) {
			const char *end = s->buf + n;
			for (const char *p = s->buf; p < end; p = next_line(p, end)) {
				const char *le = line_end(p, end), *q = p, *k;
				size_t kl;
				if (take_word(&q, le, &k, &kl) && kl == 8 &&
				    memcmp(k, "oom_kill", 8) == 0 &&
				    take_u64(&q, le, &row->oom_kill) == 0)
					row->have |= HAVE_EVENTS;
			}
		}
	}
	if (pids && read_one_u64(s, w, e, dfd, CGF_PIDS_CURRENT, &row->pids) == 0)
		row->have |= HAVE_PIDS;
	if (io) {
		n = cg_read(s, w, e, dfd, CGF_IO_STAT);
		if (n >= 0 && parse_io_stat(w, row, s->buf, (size_t)n) == -ENOMEM)
			return -ENOMEM;
	}
	if (w->psi) {
		read_psi(s, w, e, dfd, CGF_CPU_PRESSURE, &row->psi[0], &row->psi[1], &row->have,
			 HAVE_PSI_CPU, HAVE_PSI_CPU_FULL);
		read_psi(s, w, e, dfd, CGF_MEMORY_PRESSURE, &row->psi[2], &row->psi[3], &row->have,
			 HAVE_PSI_MEM, 0);
		read_psi(s, w, e, dfd, CGF_IO_PRESSURE, &row->psi[4], &row->psi[5], &row->have,
			 HAVE_PSI_IO, 0);
	}
	return 0;
}

/*
 * The container id lazuli-run wrote on the cgroup, into buf (NUL-terminated),
 * or NULL. Cached on the entry once found, or once the cgroup is older than
 * RUN_ID_GRACE without it; until then asked again at most every
 * RUN_ID_RECHECK (one system call per young cgroup and scrape otherwise).
 */
static const char *run_id_xattr(CgCache *e, int dfd, char *buf, size_t size)
{
	if (e && e->run_id_final)
		return e->run_id;
	usec_t now = now_usec(CLOCK_MONOTONIC);
	if (e && e->run_id_asked && now - e->run_id_asked < RUN_ID_RECHECK)
		return NULL;
	if (e)
		e->run_id_asked = now;
	ssize_t n = fgetxattr(dfd, RUN_ID_XATTR, buf, size - 1);
	bool ok = n > 0;
	for (ssize_t i = 0; ok && i < n; i++)
		ok = buf[i] > ' ' && buf[i] < 0x7f && buf[i] != '/';
	if (ok)
		buf[n] = '\0';
	if (e && (ok || now - e->first_seen > RUN_ID_GRACE)) {
		e->run_id = ok ? strdup(buf) : NULL;
		e->run_id_final = !ok || e->run_id;
	}
	return ok ? buf : NULL;
}

static int queue_push(CgroupWalk *w, uint32_t off, uint8_t depth, uint64_t ino, uint8_t ctl)
{
	if (grow((void **)&w->queue, &w->cap_queue, w->n_queue + 1, sizeof(uint32_t)) < 0)
		return -ENOMEM;
	size_t cap = w->cap_queue;
	/* depth array mirrors the queue's capacity */
	uint8_t *d = reallocarray(w->depth, cap, 1);
	if (!d)
		return -ENOMEM;
	w->depth = d;
	uint64_t *in = reallocarray(w->ino, cap, sizeof(uint64_t));
	if (!in)
		return -ENOMEM;
	w->ino = in;
	uint8_t *c = reallocarray(w->ctl, cap, 1);
	if (!c)
		return -ENOMEM;
	w->ctl = c;
	w->ctl[w->n_queue] = ctl;
	w->queue[w->n_queue] = off;
	w->depth[w->n_queue] = depth;
	w->ino[w->n_queue] = ino;
	w->n_queue++;
	return 0;
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int cgroup_walk(Scrape *s, CgroupWalk *w)
{
	unsigned max = s->cfg->max_cgroups, max_depth = s->cfg->max_cgroup_depth;
	int r;

	w->arena_len = 0;
	w->n_queue = w->n_rows = w->n_io = 0;
	w->skipped = 0;
	uint32_t root;
	if ((r = arena_put(w, "", 0, "", 0, &root)) < 0 || (r = queue_push(w, root, 0, 0, 0)) < 0)
		return r;

	for (size_t qi = 0; qi < w->n_queue; qi++) {
		const char *rel = w->arena + w->queue[qi];
		uint8_t depth = w->depth[qi];
		CgCache *e = cache_get(w, rel, w->ino[qi]); /* the root too: "" */
		_cleanup_close_ int owned = -EBADF;
		int dfd = e ? e->dir : -EBADF;
		bool rewind = dfd >= 0; /* a cached directory was listed by the last scrape */
		if (dfd < 0) {
			dfd = openat(s->cgroup_fd, *rel ? rel + 1 : ".",
				     O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			if (dfd >= 0 && e && w->n_fds < w->fd_budget) {
				e->dir = dfd;
				w->n_fds++;
			} else
				owned = dfd;
		}
		if (dfd < 0) {
			if (!s->cgroup_vanished_logged && qi > 0) {
				log_info("cgroup %s vanished during a scrape; skipped (logged once)",
					 rel);
				s->cgroup_vanished_logged = true;
			}
			if (qi == 0)
				return -errno;
			continue;
		}
		Engine engine = ENGINE_NONE;
		const char *name = "";
		size_t namelen = 0;
		char idbuf[256];
		if (qi > 0) {
			const char *rid = w->n_run ? run_map_lookup(w, rel) : NULL;
			if (!rid)
				engine = (Engine)cgroup_classify(rel, &name, &namelen);
			/* a plain directory or a scope may be lazuli-run's (not a service or slice) */
			if (!rid && (engine == ENGINE_NONE ||
				     (engine == ENGINE_SYSTEMD && endswith(rel, ".scope"))))
				rid = run_id_xattr(e, dfd, idbuf, sizeof(idbuf));
			if (rid) {
				engine = ENGINE_LAZULI_RUN;
				name = rid;
				namelen = strlen(rid);
			}

			if (grow((void **)&w->rows, &w->cap_rows, w->n_rows + 1,
				 sizeof(CgroupRow)) < 0)
				return -ENOMEM;
			CgroupRow *row = &w->rows[w->n_rows];
			*row = (CgroupRow){.path = w->queue[qi], .engine = engine};
			/* name may point into the arena, which may move: copy it first */
			char namebuf[256];
			size_t nl = MIN(namelen, sizeof(namebuf) - 1);
			memcpy(namebuf, name, nl);
			if ((r = arena_put(w, namebuf, nl, "", 0, &row->name)) < 0)
				return r;
			r = read_cgroup(s, w, e, dfd, w->ctl[qi], row);
			if (r == -ENOMEM)
				return r;
			if (r < 0) {
				w->n_io = row->io_first;
				if (!s->cgroup_vanished_logged) {
					log_info("cgroup %s vanished during a scrape; skipped "
						 "(logged once)",
						 w->arena + w->queue[qi]);
					s->cgroup_vanished_logged = true;
				}
				continue;
			}
			w->n_rows++;
		}
		/* a container's inner cgroups belong to it; don't descend */
		if (engine != ENGINE_NONE && engine != ENGINE_SYSTEMD)
			continue;
		/*
		 * A directory's link count is 2 + its subdirectories (kernfs keeps
		 * it so, as do ext4 and tmpfs for --root trees): a leaf cgroup,
		 * most of them, needs no listing. Other counts (1: not kept) list.
		 */
		struct stat st;
		if (fstat(dfd, &st) == 0 && st.st_nlink == 2)
			continue;
		if (rewind && lseek(dfd, 0, SEEK_SET) < 0)
			continue; /* cannot happen on a directory */
		ssize_t sc = cg_read(s, w, e, dfd, CGF_SUBTREE_CONTROL);
		uint8_t child_ctl = sc >= 0 ? controllers_of(s->buf, (size_t)sc) : 0;
		for (bool more = true; more;) {
			long nread = syscall(SYS_getdents64, dfd, w->dents, DENTS_SIZE);
			if (nread <= 0)
				break;
			/* room left for another entry (names are at most 255 bytes): that was all */
			more = nread > DENTS_SIZE - 512;
			for (long off = 0; off < nread;) {
				struct linux_dirent64 *de = (struct linux_dirent64 *)(w->dents + off);
				off += de->d_reclen;
				if (de->d_type != DT_DIR || de->d_name[0] == '.')
					continue;
				if (w->n_queue > max || depth + 1u > max_depth) {
					w->skipped++;
					continue;
				}
				uint32_t child;
				const char *cur = w->arena + w->queue[qi];
				size_t cl = strlen(cur);
				char tmp[4096];
				if (cl + 1 >= sizeof(tmp))
					continue;
				memcpy(tmp, cur, cl);
				tmp[cl] = '/';
				if ((r = arena_put(w, tmp, cl + 1, de->d_name, strlen(de->d_name),
						   &child)) < 0 ||
				    (r = queue_push(w, child, (uint8_t)(depth + 1), de->d_ino,
						    child_ctl)) < 0)
					return r;
			}
		}
	}
	return 0;
}

typedef struct CgFamily {
	const char *name;
	MetricType type;
	const char *help;
	uint32_t need;
	int kind; /* what to print, see emit_value() */
} CgFamily;

static const CgFamily cg_families[] = {
    {"container_cpu_usage_seconds_total", MT_COUNTER,
     "Cumulative CPU time consumed by the cgroup, in seconds (cpu.stat usage_usec).", HAVE_CPU,
     0},
    {"container_cpu_user_seconds_total", MT_COUNTER,
     "Cumulative user CPU time consumed by the cgroup, in seconds.", HAVE_CPU, 1},
    {"container_cpu_system_seconds_total", MT_COUNTER,
     "Cumulative system CPU time consumed by the cgroup, in seconds.", HAVE_CPU, 2},
    {"container_cpu_cfs_periods_total", MT_COUNTER,
     "Number of elapsed enforcement period intervals (cpu.max).", HAVE_CPU_MAX, 3},
    {"container_cpu_cfs_throttled_periods_total", MT_COUNTER,
     "Number of throttled period intervals.", HAVE_CPU_MAX, 4},
    {"container_cpu_cfs_throttled_seconds_total", MT_COUNTER,
     "Total time duration the cgroup has been throttled, in seconds.", HAVE_CPU_MAX, 5},
    {"container_memory_usage_bytes", MT_GAUGE,
     "Current memory usage of the cgroup in bytes (memory.current).", HAVE_MEM, 6},
    {"container_memory_max_usage_bytes", MT_GAUGE,
     "Peak memory usage of the cgroup in bytes (memory.peak).", HAVE_PEAK, 7},
    {"container_oom_events_total", MT_COUNTER,
     "Processes of the cgroup killed by the OOM killer (memory.events oom_kill).", HAVE_EVENTS,
     8},
    {"container_threads", MT_GAUGE, "Number of tasks in the cgroup (pids.current).", HAVE_PIDS,
     9},
    {"container_pressure_cpu_waiting_seconds_total", MT_COUNTER,
     "Total time in seconds that tasks of the cgroup have waited for CPU time.", HAVE_PSI_CPU,
     10},
    {"container_pressure_cpu_stalled_seconds_total", MT_COUNTER,
     "Total time in seconds no task of the cgroup could make progress for lack of CPU time.",
     HAVE_PSI_CPU_FULL, 11},
    {"container_pressure_memory_waiting_seconds_total", MT_COUNTER,
     "Total time in seconds that tasks of the cgroup have waited for memory.", HAVE_PSI_MEM, 12},
    {"container_pressure_memory_stalled_seconds_total", MT_COUNTER,
     "Total time in seconds no task of the cgroup could make progress due to memory "
     "congestion.",
     HAVE_PSI_MEM, 13},
    {"container_pressure_io_waiting_seconds_total", MT_COUNTER,
     "Total time in seconds that tasks of the cgroup have waited due to IO congestion.",
     HAVE_PSI_IO, 14},
    {"container_pressure_io_stalled_seconds_total", MT_COUNTER,
     "Total time in seconds no task of the cgroup could make progress due to IO congestion.",
     HAVE_PSI_IO, 15},
};

static void labels(Scrape *s, const CgroupWalk *w, const CgroupRow *r)
{
	expo_begin(&s->out);
	expo_label(&s->out, "cgroup", w->arena + r->path);
	expo_label(&s->out, "engine", engine_names[r->engine]);
	expo_label(&s->out, "name", w->arena + r->name);
}

static void emit_value(Scrape *s, const CgroupRow *r, int kind)
{
	switch (kind) {
	case 0:
	case 1:
	case 2:
		expo_end_fixed(&s->out, r->cpu[kind], 6);
		break;
	case 3:
	case 4:
		expo_end_u64(&s->out, r->cpu[kind]);
		break;
	case 5:
		expo_end_fixed(&s->out, r->cpu[5], 6);
		break;
	case 6:
		expo_end_u64(&s->out, r->mem_current);
		break;
	case 7:
		expo_end_u64(&s->out, r->mem_peak);
		break;
	case 8:
		expo_end_u64(&s->out, r->oom_kill);
		break;
	case 9:
		expo_end_u64(&s->out, r->pids);
		break;
	default:
		expo_end_fixed(&s->out, r->psi[kind - 10], 6);
	}
}

static void cgroup_emit(Scrape *s, CgroupWalk *w)
{
	for (size_t f = 0; f < ELEMENTSOF(cg_families); f++) {
		const CgFamily *cf = &cg_families[f];
		bool family = false;
		for (size_t i = 0; i < w->n_rows; i++) {
			const CgroupRow *r = &w->rows[i];
			if (!(r->have & cf->need))
				continue;
			if (!family) {
				expo_family(&s->out, cf->name, cf->type, cf->help);
				family = true;
			}
			labels(s, w, r);
			emit_value(s, r, cf->kind);
		}
	}
	static const struct {
		const char *name, *help;
	} io_fams[4] = {
	    {"container_fs_reads_bytes_total", "Cumulative count of bytes read (io.stat rbytes)."},
	    {"container_fs_writes_bytes_total",
	     "Cumulative count of bytes written (io.stat wbytes)."},
	    {"container_fs_reads_total", "Cumulative count of reads completed (io.stat rios)."},
	    {"container_fs_writes_total", "Cumulative count of writes completed (io.stat wios)."},
	};
	for (int k = 0; k < 4; k++) {
		bool family = false;
		for (size_t i = 0; i < w->n_rows; i++) {
			const CgroupRow *r = &w->rows[i];
			for (uint32_t j = 0; j < r->io_n; j++) {
				const IoRow *io = &w->io[r->io_first + j];
				if (!family) {
					expo_family(&s->out, io_fams[k].name, MT_COUNTER,
						    io_fams[k].help);
					family = true;
				}
				labels(s, w, r);
				expo_label(&s->out, "device", io->device);
				expo_end_u64(&s->out, io->v[k]);
			}
		}
	}
	expo_family(&s->out, "lazuli_metrics_cgroups", MT_GAUGE,
		    "cgroups reported in this scrape.");
	expo_begin(&s->out);
	expo_end_u64(&s->out, w->n_rows);
	expo_family(&s->out, "lazuli_metrics_cgroups_skipped", MT_GAUGE,
		    "cgroups left out of this scrape by MaxCgroups or MaxCgroupDepth.");
	expo_begin(&s->out);
	expo_end_u64(&s->out, w->skipped);
}

int collect_cgroups(Scrape *s)
{
	if (s->cgroup_fd < 0)
		return -ENOENT;
	if (!s->cg) {
		s->cg = calloc(1, sizeof(CgroupWalk));
		if (!s->cg)
			return -ENOMEM;
		s->cg->dents = malloc(DENTS_SIZE);
		if (!s->cg->dents)
			return -ENOMEM;
		/* cgroups have *.pressure files only when the kernel has PSI */
		s->cg->psi = faccessat(s->proc_fd, "pressure/cpu", F_OK, 0) == 0 &&
			     s->cfg->cgroup_pressure;
		snprintf(s->cg->root_path, sizeof(s->cg->root_path), "%s", s->cgroup_path);
		struct rlimit rl;
		s->cg->fd_budget = CGROUP_FD_BUDGET_MAX;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
			s->cg->fd_budget = MIN(MAX((size_t)rl.rlim_cur / 4, (size_t)CGROUP_FD_BUDGET_MIN),
					       (size_t)CGROUP_FD_BUDGET_MAX);
	}
	run_map_refresh(s, s->cg);
	int r = cgroup_walk(s, s->cg);
	cache_sweep(s->cg);
	if (r < 0)
		return r;
	if (s->cg->skipped > 0 && !s->cgroup_truncated_logged) {
		log_notice("%zu cgroups left out of the scrape (MaxCgroups=%u, MaxCgroupDepth=%u); "
			   "logged once",
			   s->cg->skipped, s->cfg->max_cgroups, s->cfg->max_cgroup_depth);
		s->cgroup_truncated_logged = true;
	}
	cgroup_emit(s, s->cg);
	return 0;
}

size_t cgroup_containers(const Scrape *s, CgroupInfo *out, size_t max)
{
	const CgroupWalk *w = s->cg;
	size_t n = 0;
	if (!w)
		return 0;
	for (size_t i = 0; i < w->n_rows && n < max; i++) {
		const CgroupRow *r = &w->rows[i];
		if (r->engine == ENGINE_NONE || r->engine == ENGINE_SYSTEMD)
			continue;
		out[n++] = (CgroupInfo){
		    .path = w->arena + r->path,
		    .name = w->arena + r->name,
		    .engine = engine_names[r->engine],
		    .has_cpu = r->have & HAVE_CPU,
		    .cpu_usec = r->cpu[0],
		    .has_memory = r->have & HAVE_MEM,
		    .memory = r->mem_current,
		};
	}
	return n;
}
