/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * config.json of an OCI bundle (runtime-spec 1.x), parsed into plain C
 * structures. The parser checks types and values of every field it knows
 * and names the field in its error ("process.args: must be a non-empty
 * array of strings"); unknown fields are ignored as the spec asks. Nothing
 * here touches the system: it can run on untrusted bytes (and is fuzzed).
 */

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define CONFIG_MAX_SIZE (4u * 1024 * 1024)

enum {
	CAP_SET_BOUNDING,
	CAP_SET_EFFECTIVE,
	CAP_SET_INHERITABLE,
	CAP_SET_PERMITTED,
	CAP_SET_AMBIENT,
	_CAP_SET_MAX,
};

typedef struct RunRlimit {
	int resource;
	uint64_t soft, hard;
} RunRlimit;

typedef struct RunIdMap {
	uint32_t container_id, host_id, size;
} RunIdMap;

/* Mount options that are not mount flags. */
enum {
	MOUNT_EXT_IDMAP = 1u << 0,	     /* idmap, ridmap: an idmapped bind mount */
	MOUNT_EXT_IDMAP_RECURSIVE = 1u << 1, /* ridmap: submounts too */
	MOUNT_EXT_TMPCOPYUP = 1u << 2,	     /* a tmpfs starts with what it covers */
	MOUNT_EXT_REMOUNT = 1u << 3,	     /* change a mount at the destination */
	MOUNT_EXT_COPY_SYMLINK = 1u << 4,    /* a symlink source is copied, not mounted */
	MOUNT_EXT_SRC_NOFOLLOW = 1u << 5,    /* the source's last component is not followed */
	MOUNT_EXT_DEST_NOFOLLOW = 1u << 6,   /* the destination's last component is not followed */
};

/* process.scheduler: the arguments of sched_setattr(2). */
typedef struct RunScheduler {
	uint32_t policy; /* SCHED_* */
	int32_t nice;
	uint32_t priority;
	uint64_t flags;			    /* SCHED_FLAG_* */
	uint64_t runtime, deadline, period; /* nanoseconds, SCHED_DEADLINE */
} RunScheduler;

/* linux.timeOffsets: one clock of a new time namespace. */
typedef struct RunTimeOffset {
	bool set;
	int64_t secs;
	uint32_t nanosecs;
} RunTimeOffset;

enum { TIME_OFFSET_MONOTONIC, TIME_OFFSET_BOOTTIME, _TIME_OFFSET_MAX };

typedef struct RunMount {
	char *destination;
	char *source;		   /* may be NULL (tmpfs, proc, ...) */
	char *type;		   /* may be NULL for bind mounts */
	unsigned long flags;	   /* MS_* to set */
	unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE [| MS_REC] or 0 */
	bool bind;		   /* bind or rbind (MS_BIND, MS_REC for rbind) */
	char *data;		   /* filesystem options joined by ',' (may be NULL) */
	/* Recursive attributes (rro, rnosuid, ratime, ...): MOUNT_ATTR_* for mount_setattr(2). */
	uint64_t attr_set, attr_clr;
	unsigned extensions; /* MOUNT_EXT_* */
	/* An idmapped mount's own mappings; none: the container's user namespace's. */
	RunIdMap *uid_mappings;
	size_t n_uid_mappings;
	RunIdMap *gid_mappings;
	size_t n_gid_mappings;
} RunMount;

typedef struct RunNamespace {
	int type;   /* CLONE_NEW* */
	char *path; /* join this namespace instead of creating one */
} RunNamespace;

typedef struct RunDevice {
	char *path;
	char type; /* 'c', 'b', 'u', 'p' */
	int64_t major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
} RunDevice;

typedef struct RunSeccompArg {
	unsigned index;
	uint64_t value, value_two;
	int op; /* enum scmp_compare */
} RunSeccompArg;

typedef struct RunSeccompRule {
	char **names;
	uint32_t action; /* SCMP_ACT_* without errno */
	bool has_errno_ret;
	uint32_t errno_ret;
	RunSeccompArg *args;
	size_t n_args;
} RunSeccompRule;

typedef struct RunSeccomp {
	uint32_t default_action;
	bool has_default_errno_ret;
	uint32_t default_errno_ret;
	uint32_t *archs; /* SCMP_ARCH_* tokens */
	size_t n_archs;
	unsigned flags; /* SECCOMP_FILTER_FLAG_* */
	RunSeccompRule *rules;
	size_t n_rules;
	char *listener_path;	 /* where SCMP_ACT_NOTIFY's fd goes, or NULL */
	char *listener_metadata; /* passed along as "metadata", or NULL */
} RunSeccomp;

/* A device cgroup rule: type 'a' (all), 'c' or 'b'; major/minor -1 is "*". */
enum {
	DEVICE_ACCESS_READ = 1,
	DEVICE_ACCESS_WRITE = 2,
	DEVICE_ACCESS_MKNOD = 4,
};
typedef struct RunDeviceRule {
	bool allow;
	char type;
	int64_t major, minor;
	unsigned access; /* DEVICE_ACCESS_* */
} RunDeviceRule;

/* blockIO.weightDevice and the throttle lists: one block device each. */
typedef struct RunBlkioDevice {
	int64_t major, minor;
	bool has_weight, has_leaf_weight;
	uint16_t weight, leaf_weight;
	uint64_t rate; /* throttle lists: bytes or I/O operations per second */
} RunBlkioDevice;

enum {
	THROTTLE_READ_BPS,
	THROTTLE_WRITE_BPS,
	THROTTLE_READ_IOPS,
	THROTTLE_WRITE_IOPS,
	_THROTTLE_MAX,
};

typedef struct RunHugepageLimit {
	char *page_size; /* "2MB", "1GB" */
	uint64_t limit;	 /* bytes */
} RunHugepageLimit;

typedef struct RunRdmaLimit {
	char *device;
	bool has_handles, has_objects;
	uint32_t handles, objects;
} RunRdmaLimit;

typedef struct RunNetPriority {
	char *name;
	uint32_t priority;
} RunNetPriority;

/*
 * linux.resources. Each has_ says the field was given: update changes only
 * what it is given, and an absent field leaves the kernel's default.
 */
typedef struct RunResources {
	bool has_memory_limit;
	int64_t memory_limit; /* bytes; -1 is "max" */
	bool has_memory_reservation;
	int64_t memory_reservation; /* bytes; -1 is "max" */
	bool has_memory_swap;
	int64_t memory_swap; /* memory + swap, bytes; -1 is "max" */
	bool has_swappiness;
	uint64_t swappiness; /* 0..100 */
	bool has_disable_oom_killer;
	bool disable_oom_killer;
	bool check_before_update;

	bool has_pids_limit;
	int64_t pids_limit; /* <= 0 is "max" */

	bool has_cpu_shares;
	uint64_t cpu_shares;
	bool has_cpu_quota;
	int64_t cpu_quota; /* usec; -1 is "max" */
	bool has_cpu_period;
	uint64_t cpu_period; /* usec */
	bool has_cpu_burst;
	uint64_t cpu_burst; /* usec */
	bool has_cpu_rt_runtime;
	int64_t cpu_rt_runtime; /* usec */
	bool has_cpu_rt_period;
	uint64_t cpu_rt_period; /* usec */
	bool has_cpu_idle;
	int64_t cpu_idle; /* 0 or 1 */
	char *cpus;	  /* cpuset, "0-3,6" */
	char *mems;

	bool has_blkio_weight, has_blkio_leaf_weight;
	uint16_t blkio_weight, blkio_leaf_weight; /* 10..1000 */
	RunBlkioDevice *weight_devices;
	size_t n_weight_devices;
	RunBlkioDevice *throttle[_THROTTLE_MAX];
	size_t n_throttle[_THROTTLE_MAX];

	RunHugepageLimit *hugepages;
	size_t n_hugepages;

	bool has_net_class_id;
	uint32_t net_class_id;
	RunNetPriority *net_priorities;
	size_t n_net_priorities;

	RunRdmaLimit *rdma;
	size_t n_rdma;

	char **unified; /* file, value, file, value, ... */

	bool has_devices;
	RunDeviceRule *devices;
	size_t n_devices;
} RunResources;

void run_resources_done(RunResources *r);

typedef enum HookKind {
	HOOK_PRESTART,
	HOOK_CREATE_RUNTIME,
	HOOK_CREATE_CONTAINER,
	HOOK_START_CONTAINER,
	HOOK_POSTSTART,
	HOOK_POSTSTOP,
	_HOOK_MAX,
} HookKind;

typedef struct RunHook {
	char *path;  /* absolute */
	char **args; /* NULL: just the path */
	char **env;  /* NULL: empty */
	int timeout; /* seconds, 0: none */
} RunHook;

/*
 * linux.intelRdt: a resctrl group (class of service) for the container.
 * Schema strings are kept as given; each line is one write to the group's
 * schemata file.
 */
typedef struct RunIntelRdt {
	char *clos_id;	       /* NULL: the group is named after the container */
	char *l3_cache_schema; /* "L3:0=ff;1=f0", lines of L3, L3CODE, L3DATA; or NULL */
	char *mem_bw_schema;   /* "MB:0=70;1=50" lines; or NULL */
	char **schemata;       /* spec 1.2: whole lines, written after the two above */
	bool enable_monitoring;
} RunIntelRdt;

typedef struct RunConfig {
	char *oci_version;

	char *root_path;
	bool root_readonly;

	char *hostname;
	char *domainname;

	/* process */
	bool terminal;
	uid_t uid;
	gid_t gid;
	bool has_umask;
	mode_t umask;
	gid_t *additional_gids;
	size_t n_additional_gids;
	char **args;
	char **env;
	char *cwd;
	bool has_capabilities;
	uint64_t caps[_CAP_SET_MAX]; /* bit n = capability n */
	bool no_new_privileges;
	RunRlimit *rlimits;
	size_t n_rlimits;
	bool has_oom_score_adj;
	int oom_score_adj;
	bool has_scheduler;
	RunScheduler scheduler;
	bool has_io_priority;
	int io_priority; /* class << 13 | level, as ioprio_set(2) takes it */
	/* execCPUAffinity: for exec'd processes only, as the spec says. */
	bool has_cpus_initial, has_cpus_final;
	cpu_set_t cpus_initial, cpus_final;
	/* Linux security modules: NULL when not asked for (an empty string is none). */
	char *apparmor_profile; /* process.apparmorProfile */
	char *selinux_label;	/* process.selinuxLabel */
	char *mount_label;	/* linux.mountLabel: SELinux context of the mounts we make */

	RunMount *mounts;
	size_t n_mounts;

	/* linux */
	RunNamespace *namespaces;
	size_t n_namespaces;
	RunIdMap *uid_mappings;
	size_t n_uid_mappings;
	RunIdMap *gid_mappings;
	size_t n_gid_mappings;
	RunDevice *devices;
	size_t n_devices;
	char **masked_paths;
	char **readonly_paths;
	unsigned long rootfs_propagation; /* 0: default (MS_REC|MS_PRIVATE) */
	char *cgroups_path;
	RunResources resources;
	char **sysctl; /* key, value, key, value, ... */
	RunSeccomp *seccomp;
	bool has_personality;
	unsigned long personality; /* PER_LINUX or PER_LINUX32 */
	RunTimeOffset time_offsets[_TIME_OFFSET_MAX];
	RunIntelRdt *intel_rdt; /* NULL when linux.intelRdt is absent */

	RunHook *hooks[_HOOK_MAX];
	size_t n_hooks[_HOOK_MAX];

	char *annotations_json; /* compact JSON object of strings, or NULL */
} RunConfig;

/*
 * Parse config.json bytes. On failure returns -EINVAL (or -ENOMEM) and, if
 * err is given, a message naming the field.
 */
int run_config_parse(const char *buf, size_t len, RunConfig **ret, char *err, size_t errlen);
RunConfig *run_config_free(RunConfig *c);
static inline void run_config_freep(RunConfig **c)
{
	if (*c)
		run_config_free(*c);
}
#define _cleanup_config_ __attribute__((cleanup(run_config_freep)))

/*
 * Replace the process section of cfg with a process object of its own (exec
 * --process FILE, the runtime-spec's Process). On failure cfg's process may
 * be half replaced; the caller discards it.
 */
int run_config_replace_process(RunConfig *cfg, const char *buf, size_t len, char *err,
			       size_t errlen);

/* A LinuxResources object of its own (update -r FILE); fields we do not know are ignored. */
int run_resources_parse(const char *buf, size_t len, RunResources *ret, char *err, size_t errlen);

/*
 * Is s a valid linux.intelRdt schema: non-empty lines separated by '\n',
 * each starting with one of the prefixes (NULL-terminated)? On failure
 * *ret_bad is the offending line's start.
 */
bool intel_rdt_schema_valid(const char *s, const char *const *prefixes, const char **ret_bad);
extern const char *const intel_rdt_l3_prefixes[];
extern const char *const intel_rdt_mb_prefixes[];

/* The namespace entry of this CLONE_NEW* type, or NULL. */
const RunNamespace *run_config_namespace(const RunConfig *c, int type);

/* Name <-> number tables, shared with the features and spec verbs. */
int capability_from_name(const char *name); /* "CAP_KILL" -> 5, -EINVAL */
const char *capability_to_name(int cap);    /* NULL if unknown */
int capability_max(void);		    /* highest capability we know */
int namespace_from_name(const char *name);  /* "pid" -> CLONE_NEWPID, -EINVAL */
const char *namespace_to_name(int type);    /* CLONE_NEWPID -> "pid" */
const char *namespace_proc_name(int type);
const char *hook_kind_name(HookKind k);
/* HOOK_CREATE_RUNTIME -> "createRuntime" */   /* CLONE_NEWNET -> "net" (/proc/PID/ns) */
int rlimit_from_name(const char *name);	       /* "RLIMIT_NOFILE" -> RLIMIT_NOFILE */
const char *time_offset_clock_name(int clock); /* TIME_OFFSET_BOOTTIME -> "boottime" */
/* A CPU list as in execCPUAffinity: "0-3,7". -EINVAL if malformed, -ERANGE past CPU_SETSIZE. */
int parse_cpu_list(const char *s, cpu_set_t *ret);
/* Iterate the known names: returns NULL past the end. */
const char *config_seccomp_action_name(size_t i);
/* Has a rule SCMP_ACT_NOTIFY (so the filter gets a listener)? */
bool run_seccomp_notifies(const RunSeccomp *s);
const char *config_seccomp_operator_name(size_t i);
const char *config_seccomp_arch_name(size_t i);
const char *config_seccomp_flag_name(size_t i);
const char *config_mount_option_name(size_t i);
/* The options that set attr_set and clear attr_clr (recursive MOUNT_ATTR_*), into buf:
 * "\"rro\",\"rnosuid\"". */
const char *config_mount_attr_names(uint64_t attr_set, uint64_t attr_clr, char *buf, size_t len);
