/* SPDX-License-Identifier: MIT */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cgroup-devices.h"
#include "log.h"
#include "strutil.h"
#include "time-util.h"

bool cgroup_is_v2(const char *dir)
{
	struct statfs sfs;
	return statfs(dir, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

static bool is_v1_hierarchy(const char *dir)
{
	struct statfs sfs;
	return statfs(dir, &sfs) == 0 && sfs.f_type == CGROUP_SUPER_MAGIC;
}

bool cgroup_is_v1(const char *dir)
{
	char p[4096];
	struct statfs sfs;
	if (statfs(dir, &sfs) < 0 || sfs.f_type != TMPFS_MAGIC)
		return false;
	/* systemd mounts a named hierarchy even without controllers; any will do. */
	static const char *const probes[] = {"memory", "pids", "cpu", "freezer", "systemd"};
	for (size_t i = 0; i < ELEMENTSOF(probes); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, probes[i]);
		if (is_v1_hierarchy(p))
			return true;
	}
	return false;
}

bool cgroup_resources_requested(const RunResources *res)
{
	bool memory = (res->has_memory_limit && res->memory_limit >= 0) ||
		      (res->has_memory_swap && res->memory_swap >= 0) ||
		      (res->has_memory_reservation && res->memory_reservation >= 0) ||
		      res->has_swappiness ||
		      (res->has_disable_oom_killer && res->disable_oom_killer);
	bool cpu = (res->has_cpu_shares && res->cpu_shares != 1024) ||
		   (res->has_cpu_quota && res->cpu_quota >= 0) || res->has_cpu_period ||
		   res->has_cpu_burst || res->has_cpu_rt_runtime || res->has_cpu_rt_period ||
		   res->has_cpu_idle || !isempty(res->cpus) || !isempty(res->mems);
	bool io = res->has_blkio_weight || res->has_blkio_leaf_weight || res->n_weight_devices > 0;
	for (int k = 0; k < _THROTTLE_MAX; k++)
		io = io || res->n_throttle[k] > 0;
	return memory || cpu || io || (res->has_pids_limit && res->pids_limit > 0) ||
	       res->n_hugepages > 0 || res->has_net_class_id || res->n_net_priorities > 0 ||
	       res->n_rdma > 0 || (res->unified && res->unified[0]);
}

uint64_t cgroup_cpu_shares_to_weight(uint64_t shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cgroup_blkio_weight_to_io_weight(uint64_t weight)
{
	if (weight < 10)
		weight = 10;
	if (weight > 1000)
		weight = 1000;
	return 1 + ((weight - 10) * 9999) / 990;
}

/* Normalise cgroupsPath (absolute or relative, both below the mount) to "a/b/c". */
static int cgroup_relative(const char *cgroups_path, const char *id, char **ret)
{
	const char *p = isempty(cgroups_path) ? id : cgroups_path;
	while (*p == '/')
		p++;
	if (*p == '\0')
		return -EINVAL;
	_cleanup_free_ char *s = strdup(p);
	if (!s)
		return -ENOMEM;
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	*ret = TAKE_PTR(s);
	return 0;
}

static bool controller_listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

/* Enable one controller in every ancestor between the mount and path. */
static int enable_controller(const char *mount, const char *rel, const char *controller,
			     const char *field, RunError *e)
{
	char buf[4096], dir[4096], val[64];
	int r;

	snprintf(dir, sizeof(dir), "%s/cgroup.controllers", mount);
	r = read_small_file(dir, buf, sizeof(buf));
	if (r < 0)
		return run_error(e, r, "%s: cannot read %s: %m", field, dir);
	if (!controller_listed(buf, controller))
		return run_error(e, -EOPNOTSUPP,
				 "%s: the %s controller is not available in the cgroup v2 "
				 "hierarchy at %s (it may be bound to a cgroup v1 hierarchy)",
				 field, controller, mount);

	snprintf(val, sizeof(val), "+%s", controller);
	snprintf(dir, sizeof(dir), "%s", mount);
	const char *p = rel;
	for (;;) {
		char sc[4200];
		snprintf(sc, sizeof(sc), "%s/cgroup.subtree_control", dir);
		if (read_small_file(sc, buf, sizeof(buf)) >= 0 &&
		    !controller_listed(buf, controller)) {
			r = write_file_at(AT_FDCWD, sc, val);
			if (r < 0)
				return run_error(e, r,
						 "%s: cannot enable the %s controller in %s: %m",
						 field, controller, sc);
		}
		const char *slash = strchr(p, '/');
		if (!slash)
			break;
		size_t dl = strlen(dir);
		snprintf(dir + dl, sizeof(dir) - dl, "/%.*s", (int)(slash - p), p);
		p = slash + 1;
	}
	return 0;
}

/*
 * Where limits go. On v2 a controller is enabled in the parents before its
 * file is written; on v1 the file is in the controller's own hierarchy.
 */
typedef struct Target {
	const char *mount;
	const char *path; /* v2: the cgroup's directory */
	const char *rel;  /* below the mount (and below each v1 hierarchy) */
	bool v1;
} Target;

static void target_init(Target *t, const char *mount, const CgroupRef *cg)
{
	*t = (Target){
	    .mount = mount,
	    .path = cg->path,
	    .rel = cg->path + strlen(mount) + (cg->path[strlen(mount)] == '/'),
	    .v1 = cg->v1_mount != NULL,
	};
}

static void target_file(const Target *t, const char *controller, const char *file, char *buf,
			size_t len)
{
	if (t->v1)
		snprintf(buf, len, "%s/%s/%s/%s", t->mount, controller, t->rel, file);
	else
		snprintf(buf, len, "%s/%s", t->path, file);
}

/* Is the controller there to take a limit? (v1: mounted; v2: listed as available) */
static int target_controller(const Target *t, const char *controller, const char *field,
			     RunError *e)
{
	char p[4096];
	if (t->v1) {
		snprintf(p, sizeof(p), "%s/%s", t->mount, controller);
		if (!is_v1_hierarchy(p))
			return run_error(e, -EOPNOTSUPP,
					 "%s: the %s controller is not mounted at %s (cgroup v1)",
					 field, controller, p);
		return 0;
	}
	return enable_controller(t->mount, t->rel, controller, field, e);
}

static bool target_has_file(const Target *t, const char *controller, const char *file)
{
	char f[4200];
	target_file(t, controller, file, f, sizeof(f));
	return access(f, F_OK) == 0;
}

/* Write value into a controller's file; unlimited values need no controller. */
static int set_value(const Target *t, const char *controller, const char *file, const char *value,
		     bool unlimited, const char *field, RunError *e)
{
	char f[4200];
	int r = target_controller(t, controller, field, e);
	if (r == -EOPNOTSUPP && unlimited)
		return 0;
	if (r < 0)
		return r;
	target_file(t, controller, file, f, sizeof(f));
	r = write_file_at(AT_FDCWD, f, value);
	if (r == -ENOENT)
		return run_error(e, -EOPNOTSUPP,
				 "%s: this kernel has no %s (not supported by the %s controller "
				 "here)",
				 field, f, controller);
	if (r < 0)
		return run_error(e, r, "%s: cannot write \"%s\" to %s: %m", field, value, f);
	return 0;
}

static int set_u64(const Target *t, const char *controller, const char *file, uint64_t v,
		   const char *field, RunError *e)
{
	char val[32];
	snprintf(val, sizeof(val), "%llu", (unsigned long long)v);
	return set_value(t, controller, file, val, false, field, e);
}

/* -1 is "max" on v2 and -1 on v1. */
static int set_limit(const Target *t, const char *controller, const char *file, int64_t v,
		     const char *field, RunError *e)
{
	char val[32];
	if (v < 0)
		snprintf(val, sizeof(val), t->v1 ? "-1" : "max");
	else
		snprintf(val, sizeof(val), "%lld", (long long)v);
	return set_value(t, controller, file, val, v < 0, field, e);
}

static int read_u64_file(const Target *t, const char *controller, const char *file, uint64_t *ret)
{
	char f[4200], buf[64];
	target_file(t, controller, file, f, sizeof(f));
	int r = read_small_file(f, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (startswith(buf, "max")) {
		*ret = UINT64_MAX;
		return 0;
	}
	unsigned long long v;
	if (sscanf(buf, "%llu", &v) != 1)
		return -EIO;
	*ret = v;
	return 0;
}

static int check_usage(const Target *t, int64_t limit, RunError *e)
{
	uint64_t usage;
	if (limit < 0)
		return 0;
	int r =
	    read_u64_file(t, "memory", t->v1 ? "memory.usage_in_bytes" : "memory.current", &usage);
	if (r < 0)
		return 0; /* no such file, no usage to compare with */
	if (usage > (uint64_t)limit)
		return run_error(e, -EBUSY,
				 "linux.resources.memory.limit: %lld is below the current usage "
				 "of %llu bytes (memory.checkBeforeUpdate)",
				 (long long)limit, (unsigned long long)usage);
	return 0;
}

static int apply_memory_v1(const Target *t, const RunResources *res, RunError *e)
{
	int r;
	if (res->has_memory_limit || res->has_memory_swap) {
		bool has_memsw = target_has_file(t, "memory", "memory.memsw.limit_in_bytes");
		if (res->has_memory_swap && res->memory_swap >= 0 && !has_memsw &&
		    target_controller(t, "memory", "linux.resources.memory.swap", e) == 0)
			return run_error(
			    e, -EOPNOTSUPP,
			    "linux.resources.memory.swap: this kernel does not account "
			    "swap (no memory.memsw.limit_in_bytes; boot with "
			    "swapaccount=1)");
		/*
		 * memsw (memory + swap) can never be below the memory limit: when the
		 * limit grows past the current memsw, memsw is raised first.
		 */
		uint64_t cur_memsw = UINT64_MAX;
		if (has_memsw)
			(void)read_u64_file(t, "memory", "memory.memsw.limit_in_bytes", &cur_memsw);
		bool swap_first = res->has_memory_swap && has_memsw &&
				  (!res->has_memory_limit || res->memory_limit < 0 ||
				   (uint64_t)res->memory_limit > cur_memsw);
		int64_t swap = res->has_memory_swap ? res->memory_swap : 0;
		/* A limit of -1 without a swap value lifts both, as runc does. */
		bool lift_swap = !res->has_memory_swap && res->has_memory_limit &&
				 res->memory_limit < 0 && has_memsw;
		if (swap_first || lift_swap) {
			r = set_limit(t, "memory", "memory.memsw.limit_in_bytes",
				      lift_swap ? -1 : swap, "linux.resources.memory.swap", e);
			if (r < 0)
				return r;
		}
		if (res->has_memory_limit) {
			r = set_limit(t, "memory", "memory.limit_in_bytes", res->memory_limit,
				      "linux.resources.memory.limit", e);
			if (r < 0)
				return r;
		}
		if (res->has_memory_swap && has_memsw && !swap_first) {
			r = set_limit(t, "memory", "memory.memsw.limit_in_bytes", swap,
				      "linux.resources.memory.swap", e);
			if (r < 0)
				return r;
		}
	}
	if (res->has_memory_reservation) {
		r = set_limit(t, "memory", "memory.soft_limit_in_bytes", res->memory_reservation,
			      "linux.resources.memory.reservation", e);
		if (r < 0)
			return r;
	}
	if (res->has_swappiness) {
		r = set_u64(t, "memory", "memory.swappiness", res->swappiness,
			    "linux.resources.memory.swappiness", e);
		if (r < 0)
			return r;
	}
	if (res->has_disable_oom_killer && res->disable_oom_killer) {
		r = set_value(t, "memory", "memory.oom_control", "1", false,
			      "linux.resources.memory.disableOOMKiller", e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_memory_v2(const Target *t, const RunResources *res, RunError *e)
{
	int r;
	if (res->has_memory_limit) {
		r = set_limit(t, "memory", "memory.max", res->memory_limit,
			      "linux.resources.memory.limit", e);
		if (r < 0)
			return r;
	}
	if (res->has_memory_swap) {
		/* v2 limits swap alone: memory.swap.max is (memory + swap) - memory. */
		int64_t swap = -1;
		if (res->memory_swap >= 0) {
			if (!res->has_memory_limit || res->memory_limit < 0)
				return run_error(e, -EINVAL,
						 "linux.resources.memory.swap: a swap limit needs "
						 "linux.resources.memory.limit on cgroup v2");
			swap = res->memory_swap - res->memory_limit;
		}
		r = set_limit(t, "memory", "memory.swap.max", swap, "linux.resources.memory.swap",
			      e);
		if (r < 0)
			return r;
	} else if (res->has_memory_limit && res->memory_limit < 0 &&
		   target_has_file(t, "memory", "memory.swap.max")) {
		r = set_limit(t, "memory", "memory.swap.max", -1, "linux.resources.memory.swap", e);
		if (r < 0)
			return r;
	}
	if (res->has_memory_reservation) {
		/* memory.low is the best-effort protection v1's soft limit was. */
		r = set_limit(t, "memory", "memory.low", res->memory_reservation,
			      "linux.resources.memory.reservation", e);
		if (r < 0)
			return r;
	}
	/* swappiness and disableOOMKiller have no v2 file; runc and crun ignore them too. */
	if (res->has_swappiness)
		log_debug("linux.resources.memory.swappiness: cgroup v2 has no per-cgroup "
			  "swappiness; ignored");
	if (res->has_disable_oom_killer && res->disable_oom_killer)
		log_debug("linux.resources.memory.disableOOMKiller: cgroup v2 cannot disable "
			  "the OOM killer; ignored");
	return 0;
}

static int apply_cpu(const Target *t, const RunResources *res, RunError *e)
{
	char val[64];
	int r;

	if (res->has_cpu_shares) {
		/*
		 * 1024 is every cgroup's share when nothing is said (containerd's ctr
		 * asks for it): like a request for no limit, it needs no controller.
		 */
		uint64_t v = t->v1 ? res->cpu_shares : cgroup_cpu_shares_to_weight(res->cpu_shares);
		snprintf(val, sizeof(val), "%llu", (unsigned long long)v);
		r = set_value(t, "cpu", t->v1 ? "cpu.shares" : "cpu.weight", val,
			      res->cpu_shares == 1024, "linux.resources.cpu.shares", e);
		if (r < 0)
			return r;
	}
	if (res->has_cpu_quota || res->has_cpu_period) {
		bool unlimited =
		    !res->has_cpu_period && (!res->has_cpu_quota || res->cpu_quota < 0);
		if (t->v1) {
			if (res->has_cpu_period) {
				r = set_u64(t, "cpu", "cpu.cfs_period_us", res->cpu_period,
					    "linux.resources.cpu.period", e);
				if (r < 0)
					return r;
			}
			if (res->has_cpu_quota) {
				r = set_limit(t, "cpu", "cpu.cfs_quota_us", res->cpu_quota,
					      "linux.resources.cpu.quota", e);
				if (r < 0)
					return r;
			}
		} else {
			unsigned long long period = res->has_cpu_period ? res->cpu_period : 0;
			if (!period) {
				/* Keep the period the cgroup has (100 ms unless changed). */
				char f[4200], buf[64];
				unsigned long long q;
				target_file(t, "cpu", "cpu.max", f, sizeof(f));
				if (read_small_file(f, buf, sizeof(buf)) < 0 ||
				    (sscanf(buf, "%*s %llu", &q) != 1))
					q = 100000;
				period = q;
			}
			if (!res->has_cpu_quota || res->cpu_quota < 0)
				snprintf(val, sizeof(val), "max %llu", period);
			else
				snprintf(val, sizeof(val), "%lld %llu", (long long)res->cpu_quota,
					 period);
			r = set_value(t, "cpu", "cpu.max", val, unlimited, "linux.resources.cpu",
				      e);
			if (r < 0)
				return r;
		}
	}
	if (res->has_cpu_burst) {
		r = set_u64(t, "cpu", t->v1 ? "cpu.cfs_burst_us" : "cpu.max.burst", res->cpu_burst,
			    "linux.resources.cpu.burst", e);
		if (r < 0)
			return r;
	}
	if (res->has_cpu_rt_period || res->has_cpu_rt_runtime) {
		if (!t->v1)
			return run_error(e, -EOPNOTSUPP,
					 "linux.resources.cpu.realtimeRuntime: real-time group "
					 "scheduling exists only in cgroup v1");
		if (res->has_cpu_rt_period) {
			r = set_u64(t, "cpu", "cpu.rt_period_us", res->cpu_rt_period,
				    "linux.resources.cpu.realtimePeriod", e);
			if (r < 0)
				return r;
		}
		if (res->has_cpu_rt_runtime) {
			r = set_limit(t, "cpu", "cpu.rt_runtime_us", res->cpu_rt_runtime,
				      "linux.resources.cpu.realtimeRuntime", e);
			if (r < 0)
				return r;
		}
	}
	if (res->has_cpu_idle) {
		r = set_value(t, "cpu", "cpu.idle", res->cpu_idle ? "1" : "0", false,
			      "linux.resources.cpu.idle", e);
		if (r < 0)
			return r;
	}
	if (!isempty(res->cpus)) {
		r = set_value(t, "cpuset", "cpuset.cpus", res->cpus, false,
			      "linux.resources.cpu.cpus", e);
		if (r < 0)
			return r;
	}
	if (!isempty(res->mems)) {
		r = set_value(t, "cpuset", "cpuset.mems", res->mems, false,
			      "linux.resources.cpu.mems", e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_blkio(const Target *t, const RunResources *res, RunError *e)
{
	static const char *const v1_throttle[_THROTTLE_MAX] = {
	    [THROTTLE_READ_BPS] = "blkio.throttle.read_bps_device",
	    [THROTTLE_WRITE_BPS] = "blkio.throttle.write_bps_device",
	    [THROTTLE_READ_IOPS] = "blkio.throttle.read_iops_device",
	    [THROTTLE_WRITE_IOPS] = "blkio.throttle.write_iops_device",
	};
	static const char *const v2_throttle[_THROTTLE_MAX] = {
	    [THROTTLE_READ_BPS] = "rbps",
	    [THROTTLE_WRITE_BPS] = "wbps",
	    [THROTTLE_READ_IOPS] = "riops",
	    [THROTTLE_WRITE_IOPS] = "wiops",
	};
	const char *ctl = t->v1 ? "blkio" : "io";
	char val[96];
	int r;

	/* BFQ takes the v1 scale as it is; without BFQ, v2 converts to io.weight's. */
	bool bfq = target_has_file(t, ctl, t->v1 ? "blkio.bfq.weight" : "io.bfq.weight");
	const char *weight_file = t->v1 ? (bfq ? "blkio.bfq.weight" : "blkio.weight")
					: (bfq ? "io.bfq.weight" : "io.weight");
	if (res->has_blkio_weight) {
		uint64_t w = (t->v1 || bfq) ? res->blkio_weight
					    : cgroup_blkio_weight_to_io_weight(res->blkio_weight);
		r = set_u64(t, ctl, weight_file, w, "linux.resources.blockIO.weight", e);
		if (r < 0)
			return r;
	}
	if (res->has_blkio_leaf_weight) {
		if (!t->v1 || !target_has_file(t, "blkio", "blkio.leaf_weight"))
			log_debug("linux.resources.blockIO.leafWeight: not supported by this "
				  "kernel; ignored");
		else {
			r = set_u64(t, "blkio", "blkio.leaf_weight", res->blkio_leaf_weight,
				    "linux.resources.blockIO.leafWeight", e);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; i < res->n_weight_devices; i++) {
		const RunBlkioDevice *d = &res->weight_devices[i];
		if (!d->has_weight)
			continue;
		uint64_t w =
		    (t->v1 || bfq) ? d->weight : cgroup_blkio_weight_to_io_weight(d->weight);
		char field[80];
		snprintf(field, sizeof(field), "linux.resources.blockIO.weightDevice[%zu]", i);
		snprintf(val, sizeof(val), "%lld:%lld %llu", (long long)d->major,
			 (long long)d->minor, (unsigned long long)w);
		const char *file =
		    t->v1 ? (bfq ? "blkio.bfq.weight_device" : "blkio.weight_device") : weight_file;
		r = set_value(t, ctl, file, val, false, field, e);
		if (r < 0)
			return r;
	}
	for (int k = 0; k < _THROTTLE_MAX; k++)
		for (size_t i = 0; i < res->n_throttle[k]; i++) {
			const RunBlkioDevice *d = &res->throttle[k][i];
			char field[96];
			snprintf(field, sizeof(field), "linux.resources.blockIO.%s[%zu]",
				 (const char *[]){"throttleReadBpsDevice", "throttleWriteBpsDevice",
						  "throttleReadIOPSDevice",
						  "throttleWriteIOPSDevice"}[k],
				 i);
			if (t->v1)
				snprintf(val, sizeof(val), "%lld:%lld %llu", (long long)d->major,
					 (long long)d->minor, (unsigned long long)d->rate);
			else if (d->rate == 0)
				snprintf(val, sizeof(val), "%lld:%lld %s=max", (long long)d->major,
					 (long long)d->minor, v2_throttle[k]);
			else
				snprintf(val, sizeof(val), "%lld:%lld %s=%llu", (long long)d->major,
					 (long long)d->minor, v2_throttle[k],
					 (unsigned long long)d->rate);
			r = set_value(t, ctl, t->v1 ? v1_throttle[k] : "io.max", val, false, field,
				      e);
			if (r < 0)
				return r;
		}
	return 0;
}

static int apply_misc(const Target *t, const RunResources *res, RunError *e)
{
	char field[128], file[96], val[160];
	int r;

	if (res->has_pids_limit) {
		/* pids.max says "max" on v1 too. */
		char v[32] = "max";
		if (res->pids_limit > 0)
			snprintf(v, sizeof(v), "%lld", (long long)res->pids_limit);
		r = set_value(t, "pids", "pids.max", v, res->pids_limit <= 0,
			      "linux.resources.pids.limit", e);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < res->n_hugepages; i++) {
		const RunHugepageLimit *h = &res->hugepages[i];
		snprintf(field, sizeof(field), "linux.resources.hugepageLimits[%zu]", i);
		snprintf(file, sizeof(file), "hugetlb.%s.%s", h->page_size,
			 t->v1 ? "limit_in_bytes" : "max");
		r = set_u64(t, "hugetlb", file, h->limit, field, e);
		if (r < 0)
			return r;
	}
	if (res->has_net_class_id || res->n_net_priorities > 0) {
		if (!t->v1)
			return run_error(e, -EOPNOTSUPP,
					 "linux.resources.network: net_cls and net_prio exist only "
					 "in cgroup v1");
		if (res->has_net_class_id) {
			r = set_u64(t, "net_cls", "net_cls.classid", res->net_class_id,
				    "linux.resources.network.classID", e);
			if (r < 0)
				return r;
		}
		for (size_t i = 0; i < res->n_net_priorities; i++) {
			snprintf(field, sizeof(field), "linux.resources.network.priorities[%zu]",
				 i);
			snprintf(val, sizeof(val), "%s %u", res->net_priorities[i].name,
				 res->net_priorities[i].priority);
			r = set_value(t, "net_prio", "net_prio.ifpriomap", val, false, field, e);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; i < res->n_rdma; i++) {
		const RunRdmaLimit *l = &res->rdma[i];
		char h[32] = "max", o[32] = "max";
		if (l->has_handles)
			snprintf(h, sizeof(h), "%u", l->handles);
		if (l->has_objects)
			snprintf(o, sizeof(o), "%u", l->objects);
		snprintf(field, sizeof(field), "linux.resources.rdma.%s", l->device);
		snprintf(val, sizeof(val), "%s hca_handle=%s hca_object=%s", l->device, h, o);
		r = set_value(t, "rdma", "rdma.max", val, false, field, e);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; res->unified && res->unified[i]; i += 2) {
		const char *key = res->unified[i];
		snprintf(field, sizeof(field), "linux.resources.unified.%s", key);
		if (t->v1)
			return run_error(e, -EOPNOTSUPP, "%s: unified needs cgroup v2", field);
		char ctl[64];
		snprintf(ctl, sizeof(ctl), "%.*s", (int)(strchr(key, '.') - key), key);
		r = set_value(t, ctl, key, res->unified[i + 1], false, field, e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_devices_v1(const Target *t, const RunResources *res, RunError *e)
{
	char val[64], field[64];
	int r = set_value(t, "devices", "devices.deny", "a", false, "linux.resources.devices", e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < res->n_devices; i++) {
		const RunDeviceRule *d = &res->devices[i];
		char maj[24] = "*", min[24] = "*", acc[4] = "";
		size_t n = 0;
		if (d->major >= 0)
			snprintf(maj, sizeof(maj), "%lld", (long long)d->major);
		if (d->minor >= 0)
			snprintf(min, sizeof(min), "%lld", (long long)d->minor);
		if (d->access & DEVICE_ACCESS_READ)
			acc[n++] = 'r';
		if (d->access & DEVICE_ACCESS_WRITE)
			acc[n++] = 'w';
		if (d->access & DEVICE_ACCESS_MKNOD)
			acc[n++] = 'm';
		acc[n] = '\0';
		if (d->type == 'a')
			snprintf(val, sizeof(val), "a");
		else
			snprintf(val, sizeof(val), "%c %s:%s %s", d->type, maj, min, acc);
		snprintf(field, sizeof(field), "linux.resources.devices[%zu]", i);
		r = set_value(t, "devices", d->allow ? "devices.allow" : "devices.deny", val, false,
			      field, e);
		if (r < 0)
			return r;
	}
	return 0;
}

int cgroup_apply(const char *mount, const CgroupRef *cg, const RunResources *res, RunError *e)
{
	Target t;
	int r;

	target_init(&t, mount, cg);
	if (res->check_before_update && res->has_memory_limit) {
		r = check_usage(&t, res->memory_limit, e);
		if (r < 0)
			return r;
	}
	r = t.v1 ? apply_memory_v1(&t, res, e) : apply_memory_v2(&t, res, e);
	if (r < 0)
		return r;
	r = apply_cpu(&t, res, e);
	if (r < 0)
		return r;
	r = apply_blkio(&t, res, e);
	if (r < 0)
		return r;
	r = apply_misc(&t, res, e);
	if (r < 0)
		return r;
	if (res->has_devices) {
		if (t.v1)
			r = apply_devices_v1(&t, res, e);
		else
			r = cgroup_devices_attach(cg->path, res->devices, res->n_devices, e);
		if (r < 0)
			return r;
	}
	return 0;
}

int cgroup_path(const char *mount, const char *cgroups_path, const char *id, char **ret,
		RunError *e)
{
	_cleanup_free_ char *rel = NULL;
	int r = cgroup_relative(cgroups_path, id, &rel);
	if (r < 0)
		return run_error(e, r, "linux.cgroupsPath: invalid path \"%s\"",
				 strempty(cgroups_path));
	if (asprintf(ret, "%s/%s", mount, rel) < 0)
		return -ENOMEM;
	return 0;
}

/*
 * The v1 hierarchies below the tmpfs: real directories only ("cpu" is often
 * a symlink to "cpu,cpuacct"), each a cgroup v1 mount. Returns a strv.
 */
static int v1_hierarchies(const char *mount, char ***ret)
{
	_cleanup_strv_free_ char **l = NULL;
	size_t n = 0;
	DIR *d = opendir(mount);
	if (!d)
		return negative_errno();
	struct dirent *de;
	while ((de = readdir(d))) {
		char p[4096];
		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		snprintf(p, sizeof(p), "%s/%s", mount, de->d_name);
		if (!is_v1_hierarchy(p))
			continue;
		char **nl = realloc(l, (n + 2) * sizeof(char *));
		if (!nl) {
			closedir(d);
			return -ENOMEM;
		}
		l = nl;
		l[n] = strdup(p);
		l[++n] = NULL;
		if (!l[n - 1]) {
			closedir(d);
			return -ENOMEM;
		}
	}
	closedir(d);
	if (n == 0)
		return -ENOENT;
	*ret = TAKE_PTR(l);
	return (int)n;
}

/* A new cpuset cgroup starts empty and takes no task; it gets its parent's sets. */
static int v1_cpuset_inherit(const char *dir)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	char f[4200], pf[4200], buf[4096];
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		snprintf(f, sizeof(f), "%s/%s", dir, files[i]);
		if (read_small_file(f, buf, sizeof(buf)) < 0 || !isempty(strstrip(buf)))
			continue;
		snprintf(pf, sizeof(pf), "%s/../%s", dir, files[i]);
		int r = read_small_file(pf, buf, sizeof(buf));
		if (r < 0)
			return r;
		r = write_file_at(AT_FDCWD, f, strstrip(buf));
		if (r < 0)
			return r;
	}
	return 0;
}

/* mkdir -p below base, appending what was made to made (to remove on failure). */
static int mkdir_below(const char *base, const char *rel, bool cpuset, char ***made, size_t *n_made,
		       RunError *e)
{
	_cleanup_free_ char *full = NULL;
	if (asprintf(&full, "%s/%s", base, rel) < 0)
		return -ENOMEM;
	for (char *p = full + strlen(base) + 1;; p++) {
		p = strchr(p, '/');
		if (p)
			*p = '\0';
		if (mkdir(full, 0755) == 0) {
			char **nm = realloc(*made, (*n_made + 1) * sizeof(char *));
			if (!nm)
				return -ENOMEM;
			*made = nm;
			(*made)[(*n_made)++] = strdup(full);
			if (cpuset) {
				int r = v1_cpuset_inherit(full);
				if (r < 0)
					return run_error(e, r,
							 "linux.cgroupsPath: %s: cannot copy "
							 "the parent's cpuset: %m",
							 full);
			}
		} else if (errno != EEXIST)
			return run_error(e, errno, "linux.cgroupsPath: cannot create %s: %m", full);
		if (!p)
			break;
		*p = '/';
	}
	return 0;
}

int cgroup_create(const char *mount, const CgroupRef *cg, const RunResources *res, RunError *e)
{
	_cleanup_strv_free_ char **hier = NULL;
	char **made = NULL;
	size_t n_made = 0;
	const char *rel = cg->path + strlen(mount) + 1;
	int r;

	if (cg->v1_mount) {
		r = v1_hierarchies(mount, &hier);
		if (r < 0)
			return run_error(e, r, "linux.cgroupsPath: no cgroup v1 hierarchy below %s",
					 mount);
		for (size_t i = 0; hier[i]; i++) {
			const char *name = strrchr(hier[i], '/') + 1;
			bool cpuset = streq(name, "cpuset") || startswith(name, "cpuset,") ||
				      strstr(name, ",cpuset");
			r = mkdir_below(hier[i], rel, cpuset, &made, &n_made, e);
			if (r < 0)
				goto fail;
		}
	} else {
		r = mkdir_below(mount, rel, false, &made, &n_made, e);
		if (r < 0)
			goto fail;
	}
	r = cgroup_apply(mount, cg, res, e);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < n_made; i++)
		free(made[i]);
	free(made);
	return 0;
fail:
	while (n_made > 0) {
		n_made--;
		if (made[n_made])
			(void)rmdir(made[n_made]);
		free(made[n_made]);
	}
	free(made);
	return r;
}

int cgroup_check_writable(const char *mount, const char *path)
{
	_cleanup_free_ char *dir = strdup(path);
	size_t top = strlen(mount);
	if (!dir)
		return -ENOMEM;
	for (;;) {
		if (access(dir, F_OK) == 0) {
			char f[4200];
			/* An existing cgroup: we must be able to move the container into it. */
			snprintf(f, sizeof(f), "%s/cgroup.procs", dir);
			const char *what = streq(dir, path) ? f : dir;
			if (faccessat(AT_FDCWD, what, W_OK, AT_EACCESS) < 0)
				return negative_errno();
			return 0;
		}
		if (errno != ENOENT)
			return negative_errno();
		char *slash = strrchr(dir, '/');
		if (!slash || (size_t)(slash - dir) < top)
			return -ENOENT;
		*slash = '\0';
	}
}

/* Call fn for the container's directory in each hierarchy (once on v2). */
static int for_each_dir(const CgroupRef *cg, int (*fn)(const char *dir, void *data), void *data)
{
	if (!cg->v1_mount)
		return fn(cg->path, data);
	_cleanup_strv_free_ char **hier = NULL;
	const char *rel = cg->path + strlen(cg->v1_mount) + 1;
	int r = v1_hierarchies(cg->v1_mount, &hier);
	if (r < 0)
		return r;
	int ret = 0;
	for (size_t i = 0; hier[i]; i++) {
		char dir[4200];
		snprintf(dir, sizeof(dir), "%s/%s", hier[i], rel);
		r = fn(dir, data);
		if (r < 0 && ret == 0)
			ret = r;
	}
	return ret;
}

/* The directory whose cgroup.procs lists the container's processes. */
static void procs_dir(const CgroupRef *cg, char *buf, size_t len)
{
	if (!cg->v1_mount) {
		snprintf(buf, len, "%s", cg->path);
		return;
	}
	/* Every hierarchy has the same processes; freezer, pids or memory is always there. */
	const char *rel = cg->path + strlen(cg->v1_mount) + 1;
	static const char *const pref[] = {"freezer", "pids", "memory", "cpu", "systemd"};
	for (size_t i = 0; i < ELEMENTSOF(pref); i++) {
		snprintf(buf, len, "%s/%s/%s", cg->v1_mount, pref[i], rel);
		if (access(buf, F_OK) == 0)
			return;
	}
	_cleanup_strv_free_ char **hier = NULL;
	if (v1_hierarchies(cg->v1_mount, &hier) > 0)
		snprintf(buf, len, "%s/%s", hier[0], rel);
}

typedef struct EnterData {
	pid_t pid;
	RunError *e;
} EnterData;

/* Moves PID into the cgroup at DIR; the caller words the error. */
static int write_procs(const char *dir, pid_t pid)
{
	char f[4200], val[32];
	snprintf(f, sizeof(f), "%s/cgroup.procs", dir);
	snprintf(val, sizeof(val), "%d", (int)pid);
	return write_file_at(AT_FDCWD, f, val);
}

static int enter_one(const char *dir, void *data)
{
	EnterData *d = data;
	int r = write_procs(dir, d->pid);
	if (r < 0)
		return run_error(d->e, r,
				 "linux.cgroupsPath: cannot move the container into %s: %m", dir);
	return 0;
}

int cgroup_enter(const CgroupRef *cg, pid_t pid, RunError *e)
{
	EnterData d = {.pid = pid, .e = e};
	return for_each_dir(cg, enter_one, &d);
}

const char *cgroup_sub_path(const char *path)
{
	const char *rel = path + strspn(path, "/");
	if (isempty(rel) || streq(rel, "..") || startswith(rel, "../") || strstr(rel, "/../") ||
	    endswith(rel, "/.."))
		return NULL;
	return rel;
}

/* Is controller c one of hierarchy name's (its directory: "cpu,cpuacct", "systemd")? */
static bool hierarchy_has(const char *name, const char *c, size_t n)
{
	if (n > 5 && strneq(c, "name=", 5)) {
		c += 5;
		n -= 5;
	}
	for (const char *p = name; *p;) {
		size_t l = strcspn(p, ",");
		if (l == n && strneq(p, c, n))
			return true;
		p += l + (p[l] == ',');
	}
	return false;
}

int cgroup_v1_exec_dirs(const CgroupRef *cg, char *const *specs, char ***ret, RunError *e)
{
	_cleanup_strv_free_ char **hier = NULL, **dirs = NULL;
	const char *rel = cg->path + strlen(cg->v1_mount) + 1;
	int r = v1_hierarchies(cg->v1_mount, &hier);
	if (r < 0)
		return run_error(e, r, "no cgroup v1 hierarchy below %s", cg->v1_mount);
	size_t n = strv_length(hier);
	_cleanup_free_ const char **sub = calloc(n + 1, sizeof(char *));
	_cleanup_free_ const char **by = calloc(n + 1, sizeof(char *));
	if (!sub || !by)
		return -ENOMEM;

	/* A path for every hierarchy first, so that one with controllers overrides it. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t k = 0; specs && specs[k]; k++) {
			const char *colon = strchr(specs[k], ':');
			if ((colon != NULL) != (pass == 1))
				continue;
			const char *path = colon ? colon + 1 : specs[k];
			if (!cgroup_sub_path(path))
				return run_error(e, -EINVAL,
						 "--cgroup %s: must name a sub-cgroup of the "
						 "container's cgroup",
						 specs[k]);
			if (!colon) {
				for (size_t i = 0; i < n; i++)
					sub[i] = path, by[i] = specs[k];
				continue;
			}
			for (const char *c = specs[k]; c < colon;) {
				size_t l = strcspn(c, ",:");
				bool found = false;
				for (size_t i = 0; l > 0 && i < n; i++) {
					if (!hierarchy_has(strrchr(hier[i], '/') + 1, c, l))
						continue;
					found = true;
					/* Two controllers of one hierarchy, two paths: ambiguous.
					 */
					if (sub[i] && by[i] != specs[k] && strchr(by[i], ':') &&
					    !streq(cgroup_sub_path(sub[i]), cgroup_sub_path(path)))
						return run_error(e, -EINVAL,
								 "--cgroup %s and --cgroup %s: one "
								 "hierarchy (%s) "
								 "cannot have two paths",
								 by[i], specs[k],
								 strrchr(hier[i], '/') + 1);
					sub[i] = path, by[i] = specs[k];
				}
				if (!found)
					return run_error(
					    e, -ENOENT,
					    "--cgroup %s: no cgroup v1 hierarchy has the "
					    "controller %.*s",
					    specs[k], (int)l, c);
				c += l + (c[l] == ',');
			}
		}

	for (size_t i = 0; i < n; i++) {
		char dir[4200];
		if (sub[i])
			snprintf(dir, sizeof(dir), "%s/%s/%s", hier[i], rel,
				 cgroup_sub_path(sub[i]));
		else
			snprintf(dir, sizeof(dir), "%s/%s", hier[i], rel);
		struct stat st;
		int err = lstat(dir, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
		if (err && sub[i])
			return run_error(e, err, "--cgroup %s: %s: %m", by[i], dir);
		if (err)
			return run_error(e, err, "cgroup %s: %m", dir);
		if (strv_extend(&dirs, dir) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(dirs);
	return 0;
}

int cgroup_enter_dirs(char *const *dirs, pid_t pid, RunError *e)
{
	for (size_t i = 0; dirs && dirs[i]; i++) {
		int r = write_procs(dirs[i], pid);
		if (r < 0)
			return run_error(e, r, "cannot move the process into cgroup %s: %m",
					 dirs[i]);
	}
	return 0;
}

static int signal_procs(const char *dir, int sig)
{
	char f[4200];
	int n = 0;
	snprintf(f, sizeof(f), "%s/cgroup.procs", dir);
	_cleanup_fclose_ FILE *fp = fopen(f, "re");
	if (!fp)
		return negative_errno();
	int pid;
	while (fscanf(fp, "%d", &pid) == 1)
		if (kill(pid, sig) == 0)
			n++;
	return n;
}

int cgroup_kill_all(const CgroupRef *cg, int sig)
{
	char f[4200], dir[4096];

	if (!cg->v1_mount) {
		if (sig == SIGKILL) {
			snprintf(f, sizeof(f), "%s/cgroup.kill", cg->path);
			if (write_file_at(AT_FDCWD, f, "1") == 0)
				return 1;
		}
		return signal_procs(cg->path, sig);
	}
	/*
	 * v1 has no cgroup.kill: freeze first so that no process forks past the
	 * list, signal every one, thaw so that the signals are acted on.
	 */
	bool frozen = sig == SIGKILL && cgroup_freeze(cg, true, 1000) == 0;
	procs_dir(cg, dir, sizeof(dir));
	int n = signal_procs(dir, sig);
	if (frozen)
		(void)cgroup_freeze(cg, false, 1000);
	return n;
}

bool cgroup_is_populated(const CgroupRef *cg)
{
	char f[4200], buf[256];
	if (!cg->v1_mount) {
		snprintf(f, sizeof(f), "%s/cgroup.events", cg->path);
		if (read_small_file(f, buf, sizeof(buf)) < 0)
			return false;
		return strstr(buf, "populated 1") != NULL;
	}
	char dir[4096];
	procs_dir(cg, dir, sizeof(dir));
	snprintf(f, sizeof(f), "%s/cgroup.procs", dir);
	return read_small_file(f, buf, sizeof(buf)) > 0;
}

static int freezer_v1_file(const CgroupRef *cg, char *buf, size_t len)
{
	snprintf(buf, len, "%s/freezer/%s/freezer.state", cg->v1_mount,
		 cg->path + strlen(cg->v1_mount) + 1);
	return access(buf, F_OK) == 0 ? 0 : -EOPNOTSUPP;
}

bool cgroup_is_frozen(const CgroupRef *cg)
{
	char f[4200], buf[64];
	if (!cg->v1_mount) {
		snprintf(f, sizeof(f), "%s/cgroup.freeze", cg->path);
		return read_small_file(f, buf, sizeof(buf)) > 0 && buf[0] == '1';
	}
	return freezer_v1_file(cg, f, sizeof(f)) == 0 && read_small_file(f, buf, sizeof(buf)) > 0 &&
	       startswith(buf, "FROZEN");
}

int cgroup_freeze(const CgroupRef *cg, bool frozen, int timeout_ms)
{
	char f[4200], buf[512];
	const char *want;
	int r;

	if (cg->v1_mount) {
		r = freezer_v1_file(cg, f, sizeof(f));
		if (r < 0)
			return r;
		want = frozen ? "FROZEN" : "THAWED";
	} else {
		snprintf(f, sizeof(f), "%s/cgroup.freeze", cg->path);
		want = NULL;
	}
	r = write_file_at(AT_FDCWD, f, want ? want : frozen ? "1" : "0");
	if (r < 0)
		return r;
	/* v2: cgroup.events says "frozen 1" once every task has stopped; v1: the state reads
	 * FROZEN. */
	if (!want)
		snprintf(f, sizeof(f), "%s/cgroup.events", cg->path);
	usec_t deadline = now_usec(CLOCK_MONOTONIC) + (usec_t)timeout_ms * USEC_PER_MSEC;
	for (;;) {
		r = read_small_file(f, buf, sizeof(buf));
		if (r < 0)
			return r;
		if (want ? startswith(buf, want) != NULL
			 : strstr(buf, frozen ? "frozen 1" : "frozen 0") != NULL)
			return 0;
		if (now_usec(CLOCK_MONOTONIC) > deadline)
			return -ETIMEDOUT;
		/* v1's freezer finishes the job on the next write ("FREEZING" until then). */
		if (want)
			(void)write_file_at(AT_FDCWD, f, want);
		sleep_usec(USEC_PER_MSEC);
	}
}

int cgroup_pids(const CgroupRef *cg, pid_t **ret)
{
	char f[4200], dir[4096];
	procs_dir(cg, dir, sizeof(dir));
	snprintf(f, sizeof(f), "%s/cgroup.procs", dir);
	_cleanup_fclose_ FILE *fp = fopen(f, "re");
	if (!fp)
		return negative_errno();
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0, cap = 0;
	int pid;
	for (;;) {
		if (n + 1 >= cap) {
			cap = cap ? cap * 2 : 16;
			pid_t *p = realloc(pids, cap * sizeof(pid_t));
			if (!p)
				return -ENOMEM;
			pids = p;
		}
		if (fscanf(fp, "%d", &pid) != 1)
			break;
		pids[n++] = pid;
	}
	pids[n] = -1;
	*ret = TAKE_PTR(pids);
	return (int)n;
}

static int destroy_one(const char *dir, void *data)
{
	usec_t deadline = *(usec_t *)data;
	for (;;) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || now_usec(CLOCK_MONOTONIC) > deadline)
			return negative_errno();
		sleep_usec(5 * USEC_PER_MSEC);
	}
}

int cgroup_destroy(const CgroupRef *cg, int timeout_ms)
{
	usec_t deadline = now_usec(CLOCK_MONOTONIC) + (usec_t)timeout_ms * USEC_PER_MSEC;
	return for_each_dir(cg, destroy_one, &deadline);
}

static int add_rule(RunDeviceRule **l, size_t *n, RunDeviceRule r)
{
	RunDeviceRule *nl = realloc(*l, (*n + 1) * sizeof(RunDeviceRule));
	if (!nl)
		return -ENOMEM;
	nl[(*n)++] = r;
	*l = nl;
	return 0;
}

int cgroup_device_rules(const RunConfig *cfg, RunDeviceRule **ret, size_t *n_ret)
{
	const unsigned rwm = DEVICE_ACCESS_READ | DEVICE_ACCESS_WRITE | DEVICE_ACCESS_MKNOD;
	static const struct {
		char type;
		int64_t major, minor;
		unsigned access;
	} defaults[] = {
	    {'c', -1, -1, DEVICE_ACCESS_MKNOD}, /* mknod of any device; using it is another rule */
	    {'b', -1, -1, DEVICE_ACCESS_MKNOD},
	    {'c', 1, 3, 0},    /* /dev/null */
	    {'c', 1, 5, 0},    /* /dev/zero */
	    {'c', 1, 7, 0},    /* /dev/full */
	    {'c', 1, 8, 0},    /* /dev/random */
	    {'c', 1, 9, 0},    /* /dev/urandom */
	    {'c', 5, 0, 0},    /* /dev/tty */
	    {'c', 5, 2, 0},    /* /dev/ptmx */
	    {'c', 136, -1, 0}, /* /dev/pts/N */
	};
	RunDeviceRule *l = NULL;
	size_t n = 0;
	int r = 0;

	/* No rules in the config: start from "deny everything", as runc and crun do. */
	if (!cfg->resources.has_devices || cfg->resources.n_devices == 0)
		r = add_rule(
		    &l, &n,
		    (RunDeviceRule){
			.allow = false, .type = 'a', .major = -1, .minor = -1, .access = rwm});
	for (size_t i = 0; r >= 0 && i < cfg->resources.n_devices; i++)
		r = add_rule(&l, &n, cfg->resources.devices[i]);
	for (size_t i = 0; r >= 0 && i < cfg->n_devices; i++) {
		const RunDevice *d = &cfg->devices[i];
		if (d->type == 'p')
			continue;
		r = add_rule(&l, &n,
			     (RunDeviceRule){.allow = true,
					     .type = d->type == 'u' ? 'c' : d->type,
					     .major = d->major,
					     .minor = d->minor,
					     .access = rwm});
	}
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(defaults); i++)
		r = add_rule(&l, &n,
			     (RunDeviceRule){.allow = true,
					     .type = defaults[i].type,
					     .major = defaults[i].major,
					     .minor = defaults[i].minor,
					     .access = defaults[i].access ?: rwm});
	if (r < 0) {
		free(l);
		return r;
	}
	*ret = l;
	*n_ret = n;
	return 0;
}
