/* SPDX-License-Identifier: MIT */
#include "oci-config.h"

#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include "json-util.h"
#include "strutil.h"

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

#define ID_MAX ((int64_t)UINT32_MAX)

typedef struct Ctx {
	char *err;
	size_t errlen;
} Ctx;

static int fail(Ctx *c, const char *field, const char *fmt, ...) _printf_(3, 4);
static int fail(Ctx *c, const char *field, const char *fmt, ...)
{
	if (c->err && c->errlen > 0) {
		char msg[512];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		snprintf(c->err, c->errlen, "%s: %s", field, msg);
	}
	return -EINVAL;
}

/* Field names with indices: "mounts[3].options". */
#define FIELD(buf, ...) (snprintf((buf), sizeof(buf), __VA_ARGS__), (buf))

/* Returns 1 and the member if present (and not null), 0 if absent. */
static int member(json_object *o, const char *key, json_object **ret)
{
	json_object *v = NULL;
	if (!o || !json_object_object_get_ex(o, key, &v) || !v) {
		*ret = NULL;
		return 0;
	}
	*ret = v;
	return 1;
}

static int get_object(Ctx *c, json_object *o, const char *key, const char *field, json_object **ret)
{
	if (!member(o, key, ret))
		return 0;
	if (!json_object_is_type(*ret, json_type_object))
		return fail(c, field, "must be an object");
	return 1;
}

static int get_array(Ctx *c, json_object *o, const char *key, const char *field, json_object **ret)
{
	if (!member(o, key, ret))
		return 0;
	if (!json_object_is_type(*ret, json_type_array))
		return fail(c, field, "must be an array");
	return 1;
}

static int get_string(Ctx *c, json_object *o, const char *key, const char *field, char **ret)
{
	json_object *v;
	if (!member(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return fail(c, field, "must be a string");
	const char *s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return fail(c, field, "must not contain NUL bytes");
	free(*ret);
	*ret = strdup(s);
	return *ret ? 1 : -ENOMEM;
}

/*
 * An LSM label or profile: an empty string (what managers send when there
 * is none) leaves *ret as it was; control characters could not be written
 * to the kernel's attr files as one label.
 */
static int get_label(Ctx *c, json_object *o, const char *key, const char *field, char **ret)
{
	_cleanup_free_ char *s = NULL;
	int r = get_string(c, o, key, field, &s);
	if (r <= 0 || isempty(s))
		return r < 0 ? r : 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return fail(c, field, "must not contain control characters");
	if (strlen(s) > 4095)
		return fail(c, field, "longer than 4095 bytes");
	free(*ret);
	*ret = TAKE_PTR(s);
	return 1;
}

static int get_bool(Ctx *c, json_object *o, const char *key, const char *field, bool *ret)
{
	json_object *v;
	if (!member(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return fail(c, field, "must be true or false");
	*ret = json_object_get_boolean(v);
	return 1;
}

static int get_int(Ctx *c, json_object *o, const char *key, const char *field, int64_t min,
		   int64_t max, int64_t *ret)
{
	json_object *v;
	if (!member(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return fail(c, field, "must be an integer");
	errno = 0;
	int64_t n = json_object_get_int64(v);
	if (n == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
		return fail(c, field, "must be between %lld and %lld", (long long)min,
			    (long long)max);
	if (n < min || n > max)
		return fail(c, field, "must be between %lld and %lld", (long long)min,
			    (long long)max);
	*ret = n;
	return 1;
}

static int get_uint64(Ctx *c, json_object *o, const char *key, const char *field, uint64_t *ret)
{
	json_object *v;
	if (!member(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
		return fail(c, field, "must be a non-negative integer");
	*ret = json_object_get_uint64(v);
	return 1;
}

static int get_u32(Ctx *c, json_object *o, const char *key, const char *field, uint32_t *ret)
{
	int64_t n;
	int r = get_int(c, o, key, field, 0, ID_MAX, &n);
	if (r > 0)
		*ret = (uint32_t)n;
	return r;
}

/* An array of strings; each checked by check (may be NULL). */
static int get_strv(Ctx *c, json_object *o, const char *key, const char *field, bool nonempty,
		    bool absolute, char ***ret)
{
	json_object *a;
	int r = get_array(c, o, key, field, &a);
	if (r <= 0)
		return r;
	size_t n = json_object_array_length(a);
	if (nonempty && n == 0)
		return fail(c, field, "must be a non-empty array of strings");
	_cleanup_strv_free_ char **l = calloc(n + 1, sizeof(char *));
	if (!l)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		if (!json_object_is_type(e, json_type_string) ||
		    strlen(json_object_get_string(e)) != (size_t)json_object_get_string_len(e))
			return fail(c, field, "must be %sarray of strings",
				    nonempty ? "a non-empty " : "an ");
		const char *s = json_object_get_string(e);
		if (absolute && s[0] != '/') {
			char f[128];
			return fail(c, FIELD(f, "%s[%zu]", field, i),
				    "must be an absolute path, not \"%s\"", s);
		}
		l[i] = strdup(s);
		if (!l[i])
			return -ENOMEM;
	}
	strv_free(*ret);
	*ret = TAKE_PTR(l);
	return 1;
}

/* ---- name tables ---- */

static const char *const cap_names[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

int capability_from_name(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(cap_names); i++)
		if (streq(name, cap_names[i]))
			return (int)i;
	return -EINVAL;
}

const char *capability_to_name(int cap)
{
	if (cap < 0 || (size_t)cap >= ELEMENTSOF(cap_names))
		return NULL;
	return cap_names[cap];
}

int capability_max(void)
{
	return (int)ELEMENTSOF(cap_names) - 1;
}

static const struct {
	const char *name, *proc;
	int type;
} ns_table[] = {
    {"pid", "pid", CLONE_NEWPID},	   {"network", "net", CLONE_NEWNET},
    {"mount", "mnt", CLONE_NEWNS},	   {"ipc", "ipc", CLONE_NEWIPC},
    {"uts", "uts", CLONE_NEWUTS},	   {"user", "user", CLONE_NEWUSER},
    {"cgroup", "cgroup", CLONE_NEWCGROUP}, {"time", "time", CLONE_NEWTIME},
};

int namespace_from_name(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(ns_table); i++)
		if (streq(name, ns_table[i].name))
			return ns_table[i].type;
	return -EINVAL;
}

const char *namespace_to_name(int type)
{
	for (size_t i = 0; i < ELEMENTSOF(ns_table); i++)
		if (ns_table[i].type == type)
			return ns_table[i].name;
	return NULL;
}

const char *namespace_proc_name(int type)
{
	for (size_t i = 0; i < ELEMENTSOF(ns_table); i++)
		if (ns_table[i].type == type)
			return ns_table[i].proc;
	return NULL;
}

static const struct {
	const char *name;
	int resource;
} rlimit_table[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

int rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(rlimit_table); i++)
		if (streq(name, rlimit_table[i].name))
			return rlimit_table[i].resource;
	return -EINVAL;
}

static const struct {
	const char *name;
	uint32_t policy;
} sched_policies[] = {
    {"SCHED_OTHER", SCHED_OTHER}, {"SCHED_FIFO", SCHED_FIFO}, {"SCHED_RR", SCHED_RR},
    {"SCHED_BATCH", SCHED_BATCH}, {"SCHED_IDLE", SCHED_IDLE}, {"SCHED_DEADLINE", SCHED_DEADLINE},
};

/* SCHED_FLAG_* of sched_setattr(2): bit i is the i-th name. */
static const char *const sched_flags[] = {
    "SCHED_FLAG_RESET_ON_FORK",	 "SCHED_FLAG_RECLAIM",	   "SCHED_FLAG_DL_OVERRUN",
    "SCHED_FLAG_KEEP_POLICY",	 "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
    "SCHED_FLAG_UTIL_CLAMP_MAX",
};

/* IOPRIO_CLASS_* by number (0 is "none", which the spec does not name). */
static const char *const ioprio_classes[] = {
    [1] = "IOPRIO_CLASS_RT",
    [2] = "IOPRIO_CLASS_BE",
    [3] = "IOPRIO_CLASS_IDLE",
};

static const char *const time_offset_clocks[_TIME_OFFSET_MAX] = {
    [TIME_OFFSET_MONOTONIC] = "monotonic",
    [TIME_OFFSET_BOOTTIME] = "boottime",
};

const char *time_offset_clock_name(int clock)
{
	return clock >= 0 && clock < _TIME_OFFSET_MAX ? time_offset_clocks[clock] : NULL;
}

static int cpu_number(const char **p, unsigned long *ret)
{
	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long v = strtoul(*p, &end, 10);
	if (errno == ERANGE || v >= CPU_SETSIZE)
		return -ERANGE;
	*p = end;
	*ret = v;
	return 0;
}

int parse_cpu_list(const char *s, cpu_set_t *ret)
{
	cpu_set_t set;
	const char *p = s;

	CPU_ZERO(&set);
	if (isempty(s))
		return -EINVAL;
	for (;;) {
		unsigned long lo, hi;
		int r = cpu_number(&p, &lo);
		if (r < 0)
			return r;
		hi = lo;
		if (*p == '-') {
			p++;
			r = cpu_number(&p, &hi);
			if (r < 0)
				return r;
			if (hi < lo)
				return -EINVAL;
		}
		for (unsigned long v = lo; v <= hi; v++)
			CPU_SET(v, &set);
		if (*p == '\0')
			break;
		if (*p != ',')
			return -EINVAL;
		p++;
	}
	*ret = set;
	return 0;
}

/*
 * Mount options: MS_* flags set or cleared, propagation, bind, recursive
 * MOUNT_ATTR_* set or cleared, an atime mode for the whole tree, or a
 * MOUNT_EXT_* extension.
 */
enum {
	OPT_SET,
	OPT_CLEAR,
	OPT_PROPAGATION,
	OPT_BIND,
	OPT_NOOP,
	OPT_ATTR_SET,
	OPT_ATTR_CLEAR,
	OPT_ATTR_ATIME,
	OPT_EXT,
};
static const struct {
	const char *name;
	int kind;
	unsigned long flag;
} mount_opts[] = {
    {"ro", OPT_SET, MS_RDONLY},
    {"rw", OPT_CLEAR, MS_RDONLY},
    {"nosuid", OPT_SET, MS_NOSUID},
    {"suid", OPT_CLEAR, MS_NOSUID},
    {"nodev", OPT_SET, MS_NODEV},
    {"dev", OPT_CLEAR, MS_NODEV},
    {"noexec", OPT_SET, MS_NOEXEC},
    {"exec", OPT_CLEAR, MS_NOEXEC},
    {"sync", OPT_SET, MS_SYNCHRONOUS},
    {"async", OPT_CLEAR, MS_SYNCHRONOUS},
    {"dirsync", OPT_SET, MS_DIRSYNC},
    {"mand", OPT_SET, MS_MANDLOCK},
    {"nomand", OPT_CLEAR, MS_MANDLOCK},
    {"noatime", OPT_SET, MS_NOATIME},
    {"atime", OPT_CLEAR, MS_NOATIME},
    {"nodiratime", OPT_SET, MS_NODIRATIME},
    {"diratime", OPT_CLEAR, MS_NODIRATIME},
    {"relatime", OPT_SET, MS_RELATIME},
    {"norelatime", OPT_CLEAR, MS_RELATIME},
    {"strictatime", OPT_SET, MS_STRICTATIME},
    {"nostrictatime", OPT_CLEAR, MS_STRICTATIME},
    {"lazytime", OPT_SET, MS_LAZYTIME},
    {"nolazytime", OPT_CLEAR, MS_LAZYTIME},
    {"nosymfollow", OPT_SET, MS_NOSYMFOLLOW},
    {"symfollow", OPT_CLEAR, MS_NOSYMFOLLOW},
    {"defaults", OPT_NOOP, 0},
    {"bind", OPT_BIND, MS_BIND},
    {"rbind", OPT_BIND, MS_BIND | MS_REC},
    {"private", OPT_PROPAGATION, MS_PRIVATE},
    {"rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC},
    {"shared", OPT_PROPAGATION, MS_SHARED},
    {"rshared", OPT_PROPAGATION, MS_SHARED | MS_REC},
    {"slave", OPT_PROPAGATION, MS_SLAVE},
    {"rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC},
    {"unbindable", OPT_PROPAGATION, MS_UNBINDABLE},
    {"runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC},
    {"rro", OPT_ATTR_SET, MOUNT_ATTR_RDONLY},
    {"rrw", OPT_ATTR_CLEAR, MOUNT_ATTR_RDONLY},
    {"rnosuid", OPT_ATTR_SET, MOUNT_ATTR_NOSUID},
    {"rsuid", OPT_ATTR_CLEAR, MOUNT_ATTR_NOSUID},
    {"rnodev", OPT_ATTR_SET, MOUNT_ATTR_NODEV},
    {"rdev", OPT_ATTR_CLEAR, MOUNT_ATTR_NODEV},
    {"rnoexec", OPT_ATTR_SET, MOUNT_ATTR_NOEXEC},
    {"rexec", OPT_ATTR_CLEAR, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", OPT_ATTR_SET, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", OPT_ATTR_CLEAR, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", OPT_ATTR_SET, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", OPT_ATTR_CLEAR, MOUNT_ATTR_NOSYMFOLLOW},
    /* A tree has one atime mode: the "no" forms fall back to the kernel's default, relatime,
       except norelatime, which asks for every access to count. */
    {"rnoatime", OPT_ATTR_ATIME, MOUNT_ATTR_NOATIME},
    {"ratime", OPT_ATTR_ATIME, MOUNT_ATTR_RELATIME},
    {"rrelatime", OPT_ATTR_ATIME, MOUNT_ATTR_RELATIME},
    {"rnorelatime", OPT_ATTR_ATIME, MOUNT_ATTR_STRICTATIME},
    {"rstrictatime", OPT_ATTR_ATIME, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", OPT_ATTR_ATIME, MOUNT_ATTR_RELATIME},
    {"idmap", OPT_EXT, MOUNT_EXT_IDMAP},
    {"ridmap", OPT_EXT, MOUNT_EXT_IDMAP | MOUNT_EXT_IDMAP_RECURSIVE},
    {"tmpcopyup", OPT_EXT, MOUNT_EXT_TMPCOPYUP},
    {"remount", OPT_EXT, MOUNT_EXT_REMOUNT},
    {"copy-symlink", OPT_EXT, MOUNT_EXT_COPY_SYMLINK},
    {"src-nofollow", OPT_EXT, MOUNT_EXT_SRC_NOFOLLOW},
    {"dest-nofollow", OPT_EXT, MOUNT_EXT_DEST_NOFOLLOW},
};

const char *config_mount_attr_names(uint64_t attr_set, uint64_t attr_clr, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t k = 0; k < ELEMENTSOF(mount_opts) && n < len; k++) {
		uint64_t f = mount_opts[k].flag;
		bool on = (mount_opts[k].kind == OPT_ATTR_SET && (attr_set & f)) ||
			  (mount_opts[k].kind == OPT_ATTR_CLEAR && (attr_clr & f));
		/* The first name of the atime mode that is set stands for it. */
		if (mount_opts[k].kind == OPT_ATTR_ATIME && (attr_clr & MOUNT_ATTR__ATIME) &&
		    (attr_set & MOUNT_ATTR__ATIME) == f) {
			on = true;
			attr_clr &= ~(uint64_t)MOUNT_ATTR__ATIME;
		}
		if (on)
			n += (size_t)snprintf(buf + n, len - n, "%s\"%s\"", n ? "," : "",
					      mount_opts[k].name);
	}
	return buf;
}

const char *config_mount_option_name(size_t i)
{
	return i < ELEMENTSOF(mount_opts) ? mount_opts[i].name : NULL;
}

static const struct {
	const char *name;
	uint32_t action;
} seccomp_actions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY},
};

const char *config_seccomp_action_name(size_t i)
{
	return i < ELEMENTSOF(seccomp_actions) ? seccomp_actions[i].name : NULL;
}

static const struct {
	const char *name;
	int op;
} seccomp_ops[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

const char *config_seccomp_operator_name(size_t i)
{
	return i < ELEMENTSOF(seccomp_ops) ? seccomp_ops[i].name : NULL;
}

static const struct {
	const char *name;
	uint32_t arch;
} seccomp_archs[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

const char *config_seccomp_arch_name(size_t i)
{
	return i < ELEMENTSOF(seccomp_archs) ? seccomp_archs[i].name : NULL;
}

/* Bits of RunSeccomp.flags, in this order. */
static const char *const seccomp_flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
};

const char *config_seccomp_flag_name(size_t i)
{
	return i < ELEMENTSOF(seccomp_flags) ? seccomp_flags[i] : NULL;
}

/* ---- sections ---- */

static int parse_capabilities(Ctx *c, json_object *caps, RunConfig *cfg)
{
	static const char *const sets[_CAP_SET_MAX] = {
	    [CAP_SET_BOUNDING] = "bounding",	   [CAP_SET_EFFECTIVE] = "effective",
	    [CAP_SET_INHERITABLE] = "inheritable", [CAP_SET_PERMITTED] = "permitted",
	    [CAP_SET_AMBIENT] = "ambient",
	};
	char f[128];

	cfg->has_capabilities = true;
	for (int s = 0; s < _CAP_SET_MAX; s++) {
		_cleanup_strv_free_ char **names = NULL;
		int r = get_strv(c, caps, sets[s], FIELD(f, "process.capabilities.%s", sets[s]),
				 false, false, &names);
		if (r < 0)
			return r;
		for (size_t i = 0; names && names[i]; i++) {
			int cap = capability_from_name(names[i]);
			if (cap < 0)
				return fail(c, FIELD(f, "process.capabilities.%s[%zu]", sets[s], i),
					    "unknown capability \"%s\"", names[i]);
			cfg->caps[s] |= UINT64_C(1) << cap;
		}
	}
	return 0;
}

static int parse_rlimits(Ctx *c, json_object *a, RunConfig *cfg)
{
	size_t n = json_object_array_length(a);
	char f[128];

	cfg->rlimits = calloc(n ? n : 1, sizeof(RunRlimit));
	if (!cfg->rlimits)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		_cleanup_free_ char *type = NULL;
		RunRlimit *rl = &cfg->rlimits[i];
		int r;

		if (!json_object_is_type(e, json_type_object))
			return fail(c, FIELD(f, "process.rlimits[%zu]", i), "must be an object");
		r = get_string(c, e, "type", FIELD(f, "process.rlimits[%zu].type", i), &type);
		if (r < 0)
			return r;
		if (r == 0)
			return fail(c, f, "is required");
		rl->resource = rlimit_from_name(type);
		if (rl->resource < 0)
			return fail(c, f, "unknown resource \"%s\"", type);
		for (size_t j = 0; j < i; j++)
			if (cfg->rlimits[j].resource == rl->resource)
				return fail(c, f, "\"%s\" is given twice", type);
		r = get_uint64(c, e, "soft", FIELD(f, "process.rlimits[%zu].soft", i), &rl->soft);
		if (r <= 0)
			return r < 0 ? r : fail(c, f, "is required");
		r = get_uint64(c, e, "hard", FIELD(f, "process.rlimits[%zu].hard", i), &rl->hard);
		if (r <= 0)
			return r < 0 ? r : fail(c, f, "is required");
		if (rl->soft > rl->hard)
			return fail(c, FIELD(f, "process.rlimits[%zu]", i),
				    "soft limit is above the hard limit");
		cfg->n_rlimits++;
	}
	return 0;
}

static int parse_scheduler_policy(Ctx *c, json_object *o, RunScheduler *s)
{
	_cleanup_free_ char *name = NULL;
	int r = get_string(c, o, "policy", "process.scheduler.policy", &name);
	if (r < 0)
		return r;
	if (r == 0)
		return fail(c, "process.scheduler.policy", "is required");
	for (size_t i = 0; i < ELEMENTSOF(sched_policies); i++)
		if (streq(name, sched_policies[i].name)) {
			s->policy = sched_policies[i].policy;
			return 0;
		}
	if (streq(name, "SCHED_ISO"))
		return fail(c, "process.scheduler.policy",
			    "\"SCHED_ISO\" is reserved and not implemented by Linux");
	return fail(c, "process.scheduler.policy", "unknown policy \"%s\"", name);
}

/* SCHED_DEADLINE's parameters, checked as sched_setattr(2) will. */
static int check_deadline(Ctx *c, const RunScheduler *s)
{
	if (s->policy != SCHED_DEADLINE) {
		const char *f = s->runtime    ? "process.scheduler.runtime"
				: s->deadline ? "process.scheduler.deadline"
				: s->period   ? "process.scheduler.period"
					      : NULL;
		return f ? fail(c, f, "only applies to SCHED_DEADLINE") : 0;
	}
	if (s->runtime < 1024)
		return fail(c, "process.scheduler.runtime",
			    "must be at least 1024 nanoseconds with SCHED_DEADLINE");
	if (s->deadline < s->runtime)
		return fail(c, "process.scheduler.deadline", "must not be below the runtime");
	if (s->period && s->period < s->deadline)
		return fail(c, "process.scheduler.period", "must be 0 or not below the deadline");
	return 0;
}

static int parse_scheduler(Ctx *c, json_object *o, RunScheduler *s)
{
	_cleanup_strv_free_ char **flags = NULL;
	int64_t n;
	char f[64];
	int r;

	r = parse_scheduler_policy(c, o, s);
	if (r < 0)
		return r;
	r = get_int(c, o, "nice", "process.scheduler.nice", -20, 19, &n);
	if (r < 0)
		return r;
	s->nice = r > 0 ? (int32_t)n : 0;

	bool rt = s->policy == SCHED_FIFO || s->policy == SCHED_RR;
	r = get_int(c, o, "priority", "process.scheduler.priority", INT32_MIN, INT32_MAX, &n);
	if (r < 0)
		return r;
	if (r == 0)
		n = 0;
	if (rt && (n < 1 || n > 99))
		return fail(c, "process.scheduler.priority",
			    "must be between 1 and 99 with SCHED_FIFO and SCHED_RR");
	if (!rt && n != 0)
		return fail(c, "process.scheduler.priority",
			    "must be 0 unless the policy is SCHED_FIFO or SCHED_RR");
	s->priority = (uint32_t)n;

	r = get_strv(c, o, "flags", "process.scheduler.flags", false, false, &flags);
	if (r < 0)
		return r;
	for (size_t i = 0; flags && flags[i]; i++) {
		size_t k = 0;
		while (k < ELEMENTSOF(sched_flags) && !streq(flags[i], sched_flags[k]))
			k++;
		if (k == ELEMENTSOF(sched_flags))
			return fail(c, FIELD(f, "process.scheduler.flags[%zu]", i),
				    "unknown flag \"%s\"", flags[i]);
		if (k >= 5)
			return fail(
			    c, FIELD(f, "process.scheduler.flags[%zu]", i),
			    "\"%s\" is not supported: the spec gives no utilization value for it",
			    flags[i]);
		s->flags |= UINT64_C(1) << k;
	}

	r = get_uint64(c, o, "runtime", "process.scheduler.runtime", &s->runtime);
	if (r < 0)
		return r;
	r = get_uint64(c, o, "deadline", "process.scheduler.deadline", &s->deadline);
	if (r < 0)
		return r;
	r = get_uint64(c, o, "period", "process.scheduler.period", &s->period);
	if (r < 0)
		return r;
	return check_deadline(c, s);
}

static int parse_io_priority(Ctx *c, json_object *o, RunConfig *cfg)
{
	_cleanup_free_ char *name = NULL;
	int64_t level;
	int r = get_string(c, o, "class", "process.ioPriority.class", &name);
	if (r < 0)
		return r;
	if (r == 0)
		return fail(c, "process.ioPriority.class", "is required");
	size_t k = 1;
	while (k < ELEMENTSOF(ioprio_classes) && !streq(name, ioprio_classes[k]))
		k++;
	if (k == ELEMENTSOF(ioprio_classes))
		return fail(c, "process.ioPriority.class", "unknown class \"%s\"", name);
	r = get_int(c, o, "priority", "process.ioPriority.priority", 0, 7, &level);
	if (r < 0)
		return r;
	if (r == 0)
		return fail(c, "process.ioPriority.priority", "is required");
	cfg->has_io_priority = true;
	cfg->io_priority = (int)(k << 13) | (int)level;
	return 0;
}

static int parse_cpus(Ctx *c, json_object *o, const char *key, bool *has, cpu_set_t *set)
{
	_cleanup_free_ char *list = NULL;
	char f[64];
	int r = get_string(c, o, key, FIELD(f, "process.execCPUAffinity.%s", key), &list);
	if (r <= 0)
		return r;
	/* Empty is the same as absent. */
	if (isempty(list))
		return 0;
	r = parse_cpu_list(list, set);
	if (r == -ERANGE)
		return fail(c, f, "CPU numbers must be below %d", CPU_SETSIZE);
	if (r < 0)
		return fail(c, f, "invalid CPU list \"%s\" (want e.g. \"0-3,7\")", list);
	*has = true;
	return 0;
}

static int parse_process_linux(Ctx *c, json_object *p, RunConfig *cfg)
{
	json_object *o;
	int r;

	r = get_object(c, p, "scheduler", "process.scheduler", &o);
	if (r < 0)
		return r;
	if (r > 0) {
		r = parse_scheduler(c, o, &cfg->scheduler);
		if (r < 0)
			return r;
		cfg->has_scheduler = true;
	}
	r = get_object(c, p, "ioPriority", "process.ioPriority", &o);
	if (r < 0 || (r > 0 && (r = parse_io_priority(c, o, cfg)) < 0))
		return r;
	r = get_object(c, p, "execCPUAffinity", "process.execCPUAffinity", &o);
	if (r <= 0)
		return r;
	r = parse_cpus(c, o, "initial", &cfg->has_cpus_initial, &cfg->cpus_initial);
	if (r < 0)
		return r;
	return parse_cpus(c, o, "final", &cfg->has_cpus_final, &cfg->cpus_final);
}

static int parse_process(Ctx *c, json_object *p, RunConfig *cfg)
{
	json_object *o;
	int64_t n;
	int r;

	r = get_bool(c, p, "terminal", "process.terminal", &cfg->terminal);
	if (r < 0)
		return r;

	r = get_object(c, p, "user", "process.user", &o);
	if (r < 0)
		return r;
	if (r > 0) {
		uint32_t v;
		r = get_u32(c, o, "uid", "process.user.uid", &v);
		if (r < 0)
			return r;
		if (r > 0)
			cfg->uid = v;
		r = get_u32(c, o, "gid", "process.user.gid", &v);
		if (r < 0)
			return r;
		if (r > 0)
			cfg->gid = v;
		r = get_int(c, o, "umask", "process.user.umask", 0, 0777, &n);
		if (r < 0)
			return r;
		if (r > 0) {
			cfg->has_umask = true;
			cfg->umask = (mode_t)n;
		}
		json_object *g;
		r = get_array(c, o, "additionalGids", "process.user.additionalGids", &g);
		if (r < 0)
			return r;
		if (r > 0) {
			size_t k = json_object_array_length(g);
			cfg->additional_gids = calloc(k ? k : 1, sizeof(gid_t));
			if (!cfg->additional_gids)
				return -ENOMEM;
			for (size_t i = 0; i < k; i++) {
				json_object *e = json_object_array_get_idx(g, i);
				if (!json_object_is_type(e, json_type_int) ||
				    json_object_get_int64(e) < 0 ||
				    json_object_get_int64(e) > ID_MAX)
					return fail(c, "process.user.additionalGids",
						    "must be an array of group ids");
				cfg->additional_gids[cfg->n_additional_gids++] =
				    (gid_t)json_object_get_int64(e);
			}
		}
	}

	r = get_strv(c, p, "args", "process.args", true, false, &cfg->args);
	if (r < 0)
		return r;
	if (r == 0 || !cfg->args[0] || isempty(cfg->args[0]))
		return fail(c, "process.args", "must be a non-empty array of strings");

	r = get_strv(c, p, "env", "process.env", false, false, &cfg->env);
	if (r < 0)
		return r;
	for (size_t i = 0; cfg->env && cfg->env[i]; i++)
		if (!strchr(cfg->env[i], '=') || cfg->env[i][0] == '=') {
			char f[64];
			return fail(c, FIELD(f, "process.env[%zu]", i),
				    "must have the form KEY=value");
		}

	r = get_string(c, p, "cwd", "process.cwd", &cfg->cwd);
	if (r < 0)
		return r;
	if (r == 0)
		return fail(c, "process.cwd", "is required");
	if (cfg->cwd[0] != '/')
		return fail(c, "process.cwd", "must be an absolute path, not \"%s\"", cfg->cwd);

	r = get_label(c, p, "apparmorProfile", "process.apparmorProfile", &cfg->apparmor_profile);
	if (r < 0)
		return r;
	r = get_label(c, p, "selinuxLabel", "process.selinuxLabel", &cfg->selinux_label);
	if (r < 0)
		return r;

	r = get_object(c, p, "capabilities", "process.capabilities", &o);
	if (r < 0)
		return r;
	if (r > 0) {
		r = parse_capabilities(c, o, cfg);
		if (r < 0)
			return r;
	}

	r = get_array(c, p, "rlimits", "process.rlimits", &o);
	if (r < 0)
		return r;
	if (r > 0) {
		r = parse_rlimits(c, o, cfg);
		if (r < 0)
			return r;
	}

	r = get_bool(c, p, "noNewPrivileges", "process.noNewPrivileges", &cfg->no_new_privileges);
	if (r < 0)
		return r;

	r = get_int(c, p, "oomScoreAdj", "process.oomScoreAdj", -1000, 1000, &n);
	if (r < 0)
		return r;
	if (r > 0) {
		cfg->has_oom_score_adj = true;
		cfg->oom_score_adj = (int)n;
	}
	return parse_process_linux(c, p, cfg);
}

static int parse_mount_options(Ctx *c, json_object *m, const char *field, RunMount *mnt)
{
	_cleanup_strv_free_ char **opts = NULL;
	StrBuf data = {0};
	int r;

	r = get_strv(c, m, "options", field, false, false, &opts);
	if (r < 0)
		return r;
	for (size_t i = 0; opts && opts[i]; i++) {
		bool known = false;
		for (size_t k = 0; k < ELEMENTSOF(mount_opts); k++) {
			if (!streq(opts[i], mount_opts[k].name))
				continue;
			known = true;
			switch (mount_opts[k].kind) {
			case OPT_SET:
				mnt->flags |= mount_opts[k].flag;
				break;
			case OPT_CLEAR:
				mnt->flags &= ~mount_opts[k].flag;
				break;
			case OPT_PROPAGATION:
				mnt->propagation = mount_opts[k].flag;
				break;
			case OPT_BIND:
				mnt->bind = true;
				mnt->flags |= mount_opts[k].flag;
				break;
			case OPT_ATTR_SET:
				mnt->attr_set |= mount_opts[k].flag;
				mnt->attr_clr &= ~(uint64_t)mount_opts[k].flag;
				break;
			case OPT_ATTR_CLEAR:
				mnt->attr_clr |= mount_opts[k].flag;
				mnt->attr_set &= ~(uint64_t)mount_opts[k].flag;
				break;
			case OPT_ATTR_ATIME:
				/* mount_setattr(2) wants the whole atime field cleared and one mode
				 * set. */
				mnt->attr_clr |= MOUNT_ATTR__ATIME;
				mnt->attr_set = (mnt->attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) |
						mount_opts[k].flag;
				break;
			case OPT_EXT:
				mnt->extensions |= (unsigned)mount_opts[k].flag;
				break;
			default:
				break;
			}
		}
		if (known)
			continue;
		if (isempty(opts[i]) || strchr(opts[i], ',')) {
			strbuf_free(&data);
			return fail(c, field, "invalid option \"%s\"", opts[i]);
		}
		/* Anything else is for the filesystem (mode=755, size=64k, gid=5, ...). */
		if ((data.len > 0 && strbuf_puts(&data, ",") < 0) ||
		    strbuf_puts(&data, opts[i]) < 0) {
			strbuf_free(&data);
			return -ENOMEM;
		}
	}
	if (data.len > 0)
		mnt->data = strbuf_steal(&data);
	return 0;
}

static int parse_idmaps(Ctx *c, json_object *a, const char *name, RunIdMap **ret, size_t *ret_n);

/* The option of ext that mounts[i] names, for messages: "ridmap" rather than "idmap". */
static const char *mount_ext_name(const RunMount *m, unsigned ext)
{
	if (ext == MOUNT_EXT_IDMAP && (m->extensions & MOUNT_EXT_IDMAP_RECURSIVE))
		return "ridmap";
	for (size_t k = 0; k < ELEMENTSOF(mount_opts); k++)
		if (mount_opts[k].kind == OPT_EXT && mount_opts[k].flag == ext)
			return mount_opts[k].name;
	return "?";
}

static int parse_mount_idmaps(Ctx *c, json_object *e, size_t i, RunMount *m)
{
	static const char *const keys[] = {"uidMappings", "gidMappings"};
	char f[128];

	for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
		json_object *a;
		int r = get_array(c, e, keys[k], FIELD(f, "mounts[%zu].%s", i, keys[k]), &a);
		if (r <= 0) {
			if (r < 0)
				return r;
			continue;
		}
		r = k == 0 ? parse_idmaps(c, a, f, &m->uid_mappings, &m->n_uid_mappings)
			   : parse_idmaps(c, a, f, &m->gid_mappings, &m->n_gid_mappings);
		if (r < 0)
			return r;
		if ((k == 0 ? m->n_uid_mappings : m->n_gid_mappings) == 0)
			return fail(c, f, "must not be empty");
	}
	return 0;
}

/* Options that only make sense with others, or not with others. */
static int check_mount_extensions(Ctx *c, size_t i, const RunMount *m)
{
	static const unsigned bind_only[] = {MOUNT_EXT_IDMAP, MOUNT_EXT_COPY_SYMLINK,
					     MOUNT_EXT_SRC_NOFOLLOW};
	static const unsigned not_with_remount[] = {MOUNT_EXT_IDMAP, MOUNT_EXT_TMPCOPYUP,
						    MOUNT_EXT_COPY_SYMLINK, MOUNT_EXT_SRC_NOFOLLOW};
	bool maps = m->n_uid_mappings > 0 || m->n_gid_mappings > 0;
	char f[128];

	FIELD(f, "mounts[%zu].options", i);
	if (maps && !(m->extensions & MOUNT_EXT_IDMAP))
		return fail(c,
			    FIELD(f, "mounts[%zu].%s", i,
				  m->n_uid_mappings ? "uidMappings" : "gidMappings"),
			    "needs the \"idmap\" or \"ridmap\" option");
	for (size_t k = 0; k < ELEMENTSOF(bind_only); k++)
		if ((m->extensions & bind_only[k]) && !m->bind)
			return fail(c, f, "\"%s\" needs a bind mount",
				    mount_ext_name(m, bind_only[k]));
	if ((m->extensions & MOUNT_EXT_REMOUNT))
		for (size_t k = 0; k < ELEMENTSOF(not_with_remount); k++)
			if (m->extensions & not_with_remount[k])
				return fail(c, f, "\"remount\" cannot be combined with \"%s\"",
					    mount_ext_name(m, not_with_remount[k]));
	if ((m->extensions & MOUNT_EXT_TMPCOPYUP) && (m->bind || !streq(m->type, "tmpfs")))
		return fail(c, f, "\"tmpcopyup\" needs a tmpfs mount");
	if (maps && (m->n_uid_mappings == 0 || m->n_gid_mappings == 0))
		return fail(c,
			    FIELD(f, "mounts[%zu].%s", i,
				  m->n_uid_mappings ? "gidMappings" : "uidMappings"),
			    "is required with the other mapping");
	return 0;
}

static int parse_mounts(Ctx *c, json_object *a, RunConfig *cfg)
{
	size_t n = json_object_array_length(a);
	char f[128];

	cfg->mounts = calloc(n ? n : 1, sizeof(RunMount));
	if (!cfg->mounts)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		RunMount *m = &cfg->mounts[cfg->n_mounts++];
		int r;

		if (!json_object_is_type(e, json_type_object))
			return fail(c, FIELD(f, "mounts[%zu]", i), "must be an object");
		r = get_string(c, e, "destination", FIELD(f, "mounts[%zu].destination", i),
			       &m->destination);
		if (r < 0)
			return r;
		if (r == 0)
			return fail(c, f, "is required");
		if (m->destination[0] != '/')
			return fail(c, f, "must be an absolute path, not \"%s\"", m->destination);
		r = get_string(c, e, "type", FIELD(f, "mounts[%zu].type", i), &m->type);
		if (r < 0)
			return r;
		r = get_string(c, e, "source", FIELD(f, "mounts[%zu].source", i), &m->source);
		if (r < 0)
			return r;
		r = parse_mount_options(c, e, FIELD(f, "mounts[%zu].options", i), m);
		if (r < 0)
			return r;
		if (m->type && streq(m->type, "bind") && !m->bind) {
			m->bind = true;
			m->flags |= MS_BIND;
		}
		if (m->bind && isempty(m->source))
			return fail(c, FIELD(f, "mounts[%zu].source", i),
				    "is required for a bind mount");
		if (!m->bind && isempty(m->type))
			return fail(c, FIELD(f, "mounts[%zu].type", i),
				    "is required unless the mount is a bind mount");
		r = parse_mount_idmaps(c, e, i, m);
		if (r < 0)
			return r;
		r = check_mount_extensions(c, i, m);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_namespaces(Ctx *c, json_object *a, RunConfig *cfg)
{
	size_t n = json_object_array_length(a);
	char f[128];

	cfg->namespaces = calloc(n ? n : 1, sizeof(RunNamespace));
	if (!cfg->namespaces)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		_cleanup_free_ char *type = NULL;
		RunNamespace *ns = &cfg->namespaces[cfg->n_namespaces];
		int r;

		if (!json_object_is_type(e, json_type_object))
			return fail(c, FIELD(f, "linux.namespaces[%zu]", i), "must be an object");
		r = get_string(c, e, "type", FIELD(f, "linux.namespaces[%zu].type", i), &type);
		if (r < 0)
			return r;
		if (r == 0)
			return fail(c, f, "is required");
		int t = namespace_from_name(type);
		if (t < 0)
			return fail(c, f, "unknown namespace type \"%s\"", type);
		if (run_config_namespace(cfg, t))
			return fail(c, f, "\"%s\" is given twice", type);
		ns->type = t;
		cfg->n_namespaces++;
		r = get_string(c, e, "path", FIELD(f, "linux.namespaces[%zu].path", i), &ns->path);
		if (r < 0)
			return r;
		if (ns->path && ns->path[0] != '/')
			return fail(c, f, "must be an absolute path, not \"%s\"", ns->path);
	}
	return 0;
}

static int parse_idmaps(Ctx *c, json_object *a, const char *name, RunIdMap **ret, size_t *ret_n)
{
	size_t n = json_object_array_length(a);
	char f[128];

	if (n > 340)
		return fail(c, name, "has more than 340 entries");
	*ret = calloc(n ? n : 1, sizeof(RunIdMap));
	if (!*ret)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		RunIdMap *m = &(*ret)[i];
		int r;

		if (!json_object_is_type(e, json_type_object))
			return fail(c, FIELD(f, "%s[%zu]", name, i), "must be an object");
		r = get_u32(c, e, "containerID", FIELD(f, "%s[%zu].containerID", name, i),
			    &m->container_id);
		if (r <= 0)
			return r < 0 ? r : fail(c, f, "is required");
		r = get_u32(c, e, "hostID", FIELD(f, "%s[%zu].hostID", name, i), &m->host_id);
		if (r <= 0)
			return r < 0 ? r : fail(c, f, "is required");
		r = get_u32(c, e, "size", FIELD(f, "%s[%zu].size", name, i), &m->size);
		if (r <= 0)
			return r < 0 ? r : fail(c, f, "is required");
		if (m->size == 0)
			return fail(c, f, "must be at least 1");
		if ((uint64_t)m->container_id + m->size > UINT32_MAX + 1ULL ||
		    (uint64_t)m->host_id + m->size > UINT32_MAX + 1ULL)
			return fail(c, FIELD(f, "%s[%zu]", name, i),
				    "containerID/hostID + size must stay within 32 bits");
		(*ret_n)++;
	}
	return 0;
}

static int parse_devices(Ctx *c, json_object *a, RunConfig *cfg)
{
	size_t n = json_object_array_length(a);
	char f[128];

	cfg->devices = calloc(n ? n : 1, sizeof(RunDevice));
	if (!cfg->devices)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		RunDevice *d = &cfg->devices[cfg->n_devices++];
		_cleanup_free_ char *type = NULL;
		int64_t v;
		uint32_t id;
		int r;

		if (!json_object_is_type(e, json_type_object))
			return fail(c, FIELD(f, "linux.devices[%zu]", i), "must be an object");
		r = get_string(c, e, "path", FIELD(f, "linux.devices[%zu].path", i), &d->path);
		if (r <= 0)
			return r < 0 ? r : fail(c, f, "is required");
		if (!startswith(d->path, "/dev/") || strstr(d->path, "/../") ||
		    endswith(d->path, "/.."))
			return fail(c, f, "must be a path under /dev, not \"%s\"", d->path);
		r = get_string(c, e, "type", FIELD(f, "linux.devices[%zu].type", i), &type);
		if (r <= 0)
			return r < 0 ? r : fail(c, f, "is required");
		if (strlen(type) != 1 || !strchr("cbup", type[0]))
			return fail(c, f, "must be one of c, b, u, p, not \"%s\"", type);
		d->type = type[0];
		if (d->type != 'p') {
			r = get_int(c, e, "major", FIELD(f, "linux.devices[%zu].major", i), 0,
				    0xfff, &d->major);
			if (r <= 0)
				return r < 0 ? r : fail(c, f, "is required");
			r = get_int(c, e, "minor", FIELD(f, "linux.devices[%zu].minor", i), 0,
				    0xfffff, &d->minor);
			if (r <= 0)
				return r < 0 ? r : fail(c, f, "is required");
		}
		d->mode = 0666;
		r = get_int(c, e, "fileMode", FIELD(f, "linux.devices[%zu].fileMode", i), 0, 07777,
			    &v);
		if (r < 0)
			return r;
		if (r > 0)
			d->mode = (mode_t)v;
		r = get_u32(c, e, "uid", FIELD(f, "linux.devices[%zu].uid", i), &id);
		if (r < 0)
			return r;
		d->uid = r > 0 ? id : 0;
		r = get_u32(c, e, "gid", FIELD(f, "linux.devices[%zu].gid", i), &id);
		if (r < 0)
			return r;
		d->gid = r > 0 ? id : 0;
	}
	return 0;
}

static int parse_seccomp_rule(Ctx *c, json_object *e, size_t i, RunSeccompRule *rule)
{
	_cleanup_free_ char *action = NULL;
	json_object *args;
	char f[128];
	int64_t v;
	int r;

	if (!json_object_is_type(e, json_type_object))
		return fail(c, FIELD(f, "linux.seccomp.syscalls[%zu]", i), "must be an object");
	r = get_strv(c, e, "names", FIELD(f, "linux.seccomp.syscalls[%zu].names", i), true, false,
		     &rule->names);
	if (r <= 0)
		return r < 0 ? r : fail(c, f, "must be a non-empty array of strings");
	r = get_string(c, e, "action", FIELD(f, "linux.seccomp.syscalls[%zu].action", i), &action);
	if (r <= 0)
		return r < 0 ? r : fail(c, f, "is required");
	size_t k;
	for (k = 0; k < ELEMENTSOF(seccomp_actions); k++)
		if (streq(action, seccomp_actions[k].name))
			break;
	if (k == ELEMENTSOF(seccomp_actions))
		return fail(c, f, "unknown action \"%s\"", action);
	rule->action = seccomp_actions[k].action;
	/* The init hands the listener fd to the runtime with sendmsg(2) once the filter is on. */
	if (rule->action == SCMP_ACT_NOTIFY && strv_contains(rule->names, "sendmsg"))
		return fail(c, f,
			    "SCMP_ACT_NOTIFY cannot apply to sendmsg, which passes the "
			    "listener's fd on");
	r = get_int(c, e, "errnoRet", FIELD(f, "linux.seccomp.syscalls[%zu].errnoRet", i), 0, 4095,
		    &v);
	if (r < 0)
		return r;
	if (r > 0) {
		if (rule->action != SCMP_ACT_ERRNO(0) && rule->action != SCMP_ACT_TRACE(0))
			return fail(c, f, "is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE");
		rule->has_errno_ret = true;
		rule->errno_ret = (uint32_t)v;
	}
	r = get_array(c, e, "args", FIELD(f, "linux.seccomp.syscalls[%zu].args", i), &args);
	if (r < 0)
		return r;
	if (r == 0)
		return 0;
	size_t n = json_object_array_length(args);
	if (n > 6)
		return fail(c, f, "has more than 6 entries");
	rule->args = calloc(n ? n : 1, sizeof(RunSeccompArg));
	if (!rule->args)
		return -ENOMEM;
	for (size_t j = 0; j < n; j++) {
		json_object *a = json_object_array_get_idx(args, j);
		RunSeccompArg *arg = &rule->args[rule->n_args++];
		_cleanup_free_ char *op = NULL;

		if (!json_object_is_type(a, json_type_object))
			return fail(c, FIELD(f, "linux.seccomp.syscalls[%zu].args[%zu]", i, j),
				    "must be an object");
		r = get_int(c, a, "index",
			    FIELD(f, "linux.seccomp.syscalls[%zu].args[%zu].index", i, j), 0, 5,
			    &v);
		if (r <= 0)
			return r < 0 ? r : fail(c, f, "is required");
		arg->index = (unsigned)v;
		r = get_uint64(c, a, "value",
			       FIELD(f, "linux.seccomp.syscalls[%zu].args[%zu].value", i, j),
			       &arg->value);
		if (r <= 0)
			return r < 0 ? r : fail(c, f, "is required");
		r = get_uint64(c, a, "valueTwo",
			       FIELD(f, "linux.seccomp.syscalls[%zu].args[%zu].valueTwo", i, j),
			       &arg->value_two);
		if (r < 0)
			return r;
		r = get_string(c, a, "op",
			       FIELD(f, "linux.seccomp.syscalls[%zu].args[%zu].op", i, j), &op);
		if (r <= 0)
			return r < 0 ? r : fail(c, f, "is required");
		for (k = 0; k < ELEMENTSOF(seccomp_ops); k++)
			if (streq(op, seccomp_ops[k].name))
				break;
		if (k == ELEMENTSOF(seccomp_ops))
			return fail(c, f, "unknown operator \"%s\"", op);
		arg->op = seccomp_ops[k].op;
	}
	return 0;
}

static int parse_seccomp(Ctx *c, json_object *s, RunConfig *cfg)
{
	_cleanup_free_ char *action = NULL;
	_cleanup_strv_free_ char **archs = NULL, **flags = NULL;
	json_object *a;
	char f[128];
	int64_t v;
	int r;

	cfg->seccomp = calloc(1, sizeof(RunSeccomp));
	if (!cfg->seccomp)
		return -ENOMEM;
	RunSeccomp *sc = cfg->seccomp;

	r = get_string(c, s, "defaultAction", "linux.seccomp.defaultAction", &action);
	if (r <= 0)
		return r < 0 ? r : fail(c, "linux.seccomp.defaultAction", "is required");
	size_t k;
	for (k = 0; k < ELEMENTSOF(seccomp_actions); k++)
		if (streq(action, seccomp_actions[k].name))
			break;
	if (k == ELEMENTSOF(seccomp_actions))
		return fail(c, "linux.seccomp.defaultAction", "unknown action \"%s\"", action);
	sc->default_action = seccomp_actions[k].action;
	/* Every syscall would wait for a listener that cannot have the fd yet. */
	if (sc->default_action == SCMP_ACT_NOTIFY)
		return fail(c, "linux.seccomp.defaultAction", "cannot be SCMP_ACT_NOTIFY");
	r = get_int(c, s, "defaultErrnoRet", "linux.seccomp.defaultErrnoRet", 0, 4095, &v);
	if (r < 0)
		return r;
	if (r > 0) {
		sc->has_default_errno_ret = true;
		sc->default_errno_ret = (uint32_t)v;
	}

	r = get_strv(c, s, "architectures", "linux.seccomp.architectures", false, false, &archs);
	if (r < 0)
		return r;
	sc->archs = calloc(strv_length(archs) + 1, sizeof(uint32_t));
	if (!sc->archs)
		return -ENOMEM;
	for (size_t i = 0; archs && archs[i]; i++) {
		for (k = 0; k < ELEMENTSOF(seccomp_archs); k++)
			if (streq(archs[i], seccomp_archs[k].name))
				break;
		if (k == ELEMENTSOF(seccomp_archs))
			return fail(c, FIELD(f, "linux.seccomp.architectures[%zu]", i),
				    "unknown architecture \"%s\"", archs[i]);
		sc->archs[sc->n_archs++] = seccomp_archs[k].arch;
	}

	r = get_strv(c, s, "flags", "linux.seccomp.flags", false, false, &flags);
	if (r < 0)
		return r;
	for (size_t i = 0; flags && flags[i]; i++) {
		for (k = 0; k < ELEMENTSOF(seccomp_flags); k++)
			if (streq(flags[i], seccomp_flags[k]))
				break;
		if (k == ELEMENTSOF(seccomp_flags))
			return fail(c, FIELD(f, "linux.seccomp.flags[%zu]", i),
				    "unknown or unsupported flag \"%s\"", flags[i]);
		sc->flags |= 1u << k;
	}

	r = get_string(c, s, "listenerPath", "linux.seccomp.listenerPath", &sc->listener_path);
	if (r < 0)
		return r;
	if (r > 0 && sc->listener_path[0] == '\0')
		return fail(c, "linux.seccomp.listenerPath", "must not be empty");
	r = get_string(c, s, "listenerMetadata", "linux.seccomp.listenerMetadata",
		       &sc->listener_metadata);
	if (r < 0)
		return r;
	if (r > 0 && !sc->listener_path)
		return fail(c, "linux.seccomp.listenerMetadata",
			    "needs linux.seccomp.listenerPath");

	r = get_array(c, s, "syscalls", "linux.seccomp.syscalls", &a);
	if (r <= 0)
		return r;
	size_t n = json_object_array_length(a);
	sc->rules = calloc(n ? n : 1, sizeof(RunSeccompRule));
	if (!sc->rules)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		r = parse_seccomp_rule(c, json_object_array_get_idx(a, i), i, &sc->rules[i]);
		sc->n_rules++;
		if (r < 0)
			return r;
		if (sc->rules[i].action == SCMP_ACT_NOTIFY && !sc->listener_path)
			return fail(c, "linux.seccomp.listenerPath",
				    "is required by SCMP_ACT_NOTIFY in linux.seccomp.syscalls[%zu]",
				    i);
	}
	return 0;
}

bool run_seccomp_notifies(const RunSeccomp *s)
{
	for (size_t i = 0; s && i < s->n_rules; i++)
		if (s->rules[i].action == SCMP_ACT_NOTIFY)
			return true;
	return false;
}

void run_resources_done(RunResources *r)
{
	free(r->cpus);
	free(r->mems);
	free(r->weight_devices);
	for (int k = 0; k < _THROTTLE_MAX; k++)
		free(r->throttle[k]);
	for (size_t i = 0; i < r->n_hugepages; i++)
		free(r->hugepages[i].page_size);
	free(r->hugepages);
	for (size_t i = 0; i < r->n_net_priorities; i++)
		free(r->net_priorities[i].name);
	free(r->net_priorities);
	for (size_t i = 0; i < r->n_rdma; i++)
		free(r->rdma[i].device);
	free(r->rdma);
	strv_free(r->unified);
	free(r->devices);
	*r = (RunResources){};
}

/* Allocates an array of n elements for a JSON array (at least one). */
static void *alloc_array(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

static int parse_memory(Ctx *c, json_object *o, RunResources *rr)
{
	int64_t v;
	uint64_t u;
	int r;

	r = get_int(c, o, "limit", "linux.resources.memory.limit", -1, INT64_MAX,
		    &rr->memory_limit);
	if (r < 0)
		return r;
	rr->has_memory_limit = r > 0;
	r = get_int(c, o, "reservation", "linux.resources.memory.reservation", -1, INT64_MAX,
		    &rr->memory_reservation);
	if (r < 0)
		return r;
	rr->has_memory_reservation = r > 0;
	r = get_int(c, o, "swap", "linux.resources.memory.swap", -1, INT64_MAX, &rr->memory_swap);
	if (r < 0)
		return r;
	rr->has_memory_swap = r > 0;
	r = get_uint64(c, o, "swappiness", "linux.resources.memory.swappiness", &u);
	if (r < 0)
		return r;
	if (r > 0 && u > 100)
		return fail(c, "linux.resources.memory.swappiness", "must be between 0 and 100");
	rr->has_swappiness = r > 0;
	rr->swappiness = u;
	r = get_bool(c, o, "disableOOMKiller", "linux.resources.memory.disableOOMKiller",
		     &rr->disable_oom_killer);
	if (r < 0)
		return r;
	rr->has_disable_oom_killer = r > 0;
	r = get_bool(c, o, "checkBeforeUpdate", "linux.resources.memory.checkBeforeUpdate",
		     &rr->check_before_update);
	if (r < 0)
		return r;
	/* kernel and kernelTCP are deprecated (the kernel dropped them); useHierarchy is
	 * always on. They are checked for type and otherwise ignored, as runc does. */
	r = get_int(c, o, "kernel", "linux.resources.memory.kernel", -1, INT64_MAX, &v);
	if (r < 0)
		return r;
	r = get_int(c, o, "kernelTCP", "linux.resources.memory.kernelTCP", -1, INT64_MAX, &v);
	if (r < 0)
		return r;
	bool b;
	r = get_bool(c, o, "useHierarchy", "linux.resources.memory.useHierarchy", &b);
	if (r < 0)
		return r;
	if (rr->has_memory_swap && rr->memory_swap >= 0 && rr->has_memory_limit &&
	    rr->memory_limit >= 0 && rr->memory_swap < rr->memory_limit)
		return fail(c, "linux.resources.memory.swap",
			    "must be at least linux.resources.memory.limit (it is memory + swap)");
	return 0;
}

/* "0-3,6,8-11": what the cpuset controller takes. */
static bool cpuset_list_valid(const char *s)
{
	if (isempty(s))
		return true; /* "" leaves the parent's set */
	for (const char *p = s; *p;) {
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				return false;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if (*p == ',')
			p++;
		else if (*p)
			return false;
	}
	return true;
}

static int parse_cpu(Ctx *c, json_object *o, RunResources *rr)
{
	int r;

	r = get_uint64(c, o, "shares", "linux.resources.cpu.shares", &rr->cpu_shares);
	if (r < 0)
		return r;
	rr->has_cpu_shares = r > 0 && rr->cpu_shares > 0; /* 0 is "not set" */
	if (rr->has_cpu_shares && (rr->cpu_shares < 2 || rr->cpu_shares > 262144))
		return fail(c, "linux.resources.cpu.shares", "must be between 2 and 262144");
	r = get_int(c, o, "quota", "linux.resources.cpu.quota", -1, INT64_MAX, &rr->cpu_quota);
	if (r < 0)
		return r;
	rr->has_cpu_quota = r > 0 && rr->cpu_quota != 0;
	r = get_uint64(c, o, "period", "linux.resources.cpu.period", &rr->cpu_period);
	if (r < 0)
		return r;
	rr->has_cpu_period = r > 0 && rr->cpu_period != 0;
	if (rr->has_cpu_period && (rr->cpu_period < 1000 || rr->cpu_period > 1000000))
		return fail(c, "linux.resources.cpu.period",
			    "must be between 1000 and 1000000 microseconds");
	if (rr->has_cpu_quota && rr->cpu_quota >= 0 && rr->cpu_quota < 1000)
		return fail(c, "linux.resources.cpu.quota",
			    "must be -1 or at least 1000 microseconds");
	r = get_uint64(c, o, "burst", "linux.resources.cpu.burst", &rr->cpu_burst);
	if (r < 0)
		return r;
	rr->has_cpu_burst = r > 0;
	r = get_int(c, o, "realtimeRuntime", "linux.resources.cpu.realtimeRuntime", -1, INT64_MAX,
		    &rr->cpu_rt_runtime);
	if (r < 0)
		return r;
	rr->has_cpu_rt_runtime = r > 0 && rr->cpu_rt_runtime != 0;
	r = get_uint64(c, o, "realtimePeriod", "linux.resources.cpu.realtimePeriod",
		       &rr->cpu_rt_period);
	if (r < 0)
		return r;
	rr->has_cpu_rt_period = r > 0 && rr->cpu_rt_period != 0;
	r = get_int(c, o, "idle", "linux.resources.cpu.idle", 0, 1, &rr->cpu_idle);
	if (r < 0)
		return r;
	rr->has_cpu_idle = r > 0;
	r = get_string(c, o, "cpus", "linux.resources.cpu.cpus", &rr->cpus);
	if (r < 0)
		return r;
	if (rr->cpus && !cpuset_list_valid(rr->cpus))
		return fail(c, "linux.resources.cpu.cpus",
			    "\"%s\" is not a CPU list such as \"0-3,6\"", rr->cpus);
	r = get_string(c, o, "mems", "linux.resources.cpu.mems", &rr->mems);
	if (r < 0)
		return r;
	if (rr->mems && !cpuset_list_valid(rr->mems))
		return fail(c, "linux.resources.cpu.mems",
			    "\"%s\" is not a memory node list such as \"0-1\"", rr->mems);
	return 0;
}

static int parse_blkio_devices(Ctx *c, json_object *o, const char *key, bool weights,
			       RunBlkioDevice **ret, size_t *n_ret)
{
	char field[64], f[128];
	json_object *a;
	snprintf(field, sizeof(field), "linux.resources.blockIO.%s", key);
	int r = get_array(c, o, key, field, &a);
	if (r <= 0)
		return r;
	size_t n = json_object_array_length(a);
	*ret = alloc_array(n, sizeof(RunBlkioDevice));
	if (!*ret)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		RunBlkioDevice *d = &(*ret)[(*n_ret)++];
		int64_t v;
		if (!json_object_is_type(e, json_type_object))
			return fail(c, FIELD(f, "%s[%zu]", field, i), "must be an object");
		r = get_int(c, e, "major", FIELD(f, "%s[%zu].major", field, i), 0, 0xfff,
			    &d->major);
		if (r <= 0)
			return r < 0 ? r : fail(c, f, "is required");
		r = get_int(c, e, "minor", FIELD(f, "%s[%zu].minor", field, i), 0, 0xfffff,
			    &d->minor);
		if (r <= 0)
			return r < 0 ? r : fail(c, f, "is required");
		if (!weights) {
			r = get_uint64(c, e, "rate", FIELD(f, "%s[%zu].rate", field, i), &d->rate);
			if (r <= 0)
				return r < 0 ? r : fail(c, f, "is required");
			continue;
		}
		r = get_int(c, e, "weight", FIELD(f, "%s[%zu].weight", field, i), 10, 1000, &v);
		if (r < 0)
			return r;
		d->has_weight = r > 0;
		d->weight = (uint16_t)v;
		r = get_int(c, e, "leafWeight", FIELD(f, "%s[%zu].leafWeight", field, i), 10, 1000,
			    &v);
		if (r < 0)
			return r;
		d->has_leaf_weight = r > 0;
		d->leaf_weight = (uint16_t)v;
	}
	return 0;
}

static int parse_blkio(Ctx *c, json_object *o, RunResources *rr)
{
	static const char *const throttle_keys[_THROTTLE_MAX] = {
	    [THROTTLE_READ_BPS] = "throttleReadBpsDevice",
	    [THROTTLE_WRITE_BPS] = "throttleWriteBpsDevice",
	    [THROTTLE_READ_IOPS] = "throttleReadIOPSDevice",
	    [THROTTLE_WRITE_IOPS] = "throttleWriteIOPSDevice",
	};
	int64_t v;
	int r;

	/* 0 means "not set" in runc's and Docker's use of these. */
	r = get_int(c, o, "weight", "linux.resources.blockIO.weight", 0, 1000, &v);
	if (r < 0)
		return r;
	if (r > 0 && v != 0 && v < 10)
		return fail(c, "linux.resources.blockIO.weight", "must be between 10 and 1000");
	rr->has_blkio_weight = r > 0 && v != 0;
	rr->blkio_weight = (uint16_t)v;
	r = get_int(c, o, "leafWeight", "linux.resources.blockIO.leafWeight", 0, 1000, &v);
	if (r < 0)
		return r;
	if (r > 0 && v != 0 && v < 10)
		return fail(c, "linux.resources.blockIO.leafWeight", "must be between 10 and 1000");
	rr->has_blkio_leaf_weight = r > 0 && v != 0;
	rr->blkio_leaf_weight = (uint16_t)v;
	r = parse_blkio_devices(c, o, "weightDevice", true, &rr->weight_devices,
				&rr->n_weight_devices);
	if (r < 0)
		return r;
	for (int k = 0; k < _THROTTLE_MAX; k++) {
		r = parse_blkio_devices(c, o, throttle_keys[k], false, &rr->throttle[k],
					&rr->n_throttle[k]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* "2MB", "1GB", "64KB": a power of two with a unit, as the hugetlb files are named. */
static bool page_size_valid(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno || end == s || !isdigit((unsigned char)s[0]) || n == 0 || (n & (n - 1)))
		return false;
	return streq(end, "KB") || streq(end, "MB") || streq(end, "GB");
}

static int parse_hugepages(Ctx *c, json_object *a, RunResources *rr)
{
	size_t n = json_object_array_length(a);
	char f[128];
	rr->hugepages = alloc_array(n, sizeof(RunHugepageLimit));
	if (!rr->hugepages)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		RunHugepageLimit *h = &rr->hugepages[rr->n_hugepages++];
		int r;
		if (!json_object_is_type(e, json_type_object))
			return fail(c, FIELD(f, "linux.resources.hugepageLimits[%zu]", i),
				    "must be an object");
		r = get_string(c, e, "pageSize",
			       FIELD(f, "linux.resources.hugepageLimits[%zu].pageSize", i),
			       &h->page_size);
		if (r <= 0)
			return r < 0 ? r : fail(c, f, "is required");
		if (!page_size_valid(h->page_size))
			return fail(c, f, "\"%s\" is not a page size such as \"2MB\"",
				    h->page_size);
		r = get_uint64(c, e, "limit",
			       FIELD(f, "linux.resources.hugepageLimits[%zu].limit", i), &h->limit);
		if (r <= 0)
			return r < 0 ? r : fail(c, f, "is required");
	}
	return 0;
}

/* A name that becomes part of a cgroup file's content: no spaces or newlines. */
static bool token_valid(const char *s)
{
	if (isempty(s) || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

static int parse_network(Ctx *c, json_object *o, RunResources *rr)
{
	char f[128];
	json_object *a;
	int r = get_u32(c, o, "classID", "linux.resources.network.classID", &rr->net_class_id);
	if (r < 0)
		return r;
	rr->has_net_class_id = r > 0;
	r = get_array(c, o, "priorities", "linux.resources.network.priorities", &a);
	if (r <= 0)
		return r;
	size_t n = json_object_array_length(a);
	rr->net_priorities = alloc_array(n, sizeof(RunNetPriority));
	if (!rr->net_priorities)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		RunNetPriority *p = &rr->net_priorities[rr->n_net_priorities++];
		if (!json_object_is_type(e, json_type_object))
			return fail(c, FIELD(f, "linux.resources.network.priorities[%zu]", i),
				    "must be an object");
		r = get_string(c, e, "name",
			       FIELD(f, "linux.resources.network.priorities[%zu].name", i),
			       &p->name);
		if (r <= 0)
			return r < 0 ? r : fail(c, f, "is required");
		if (!token_valid(p->name))
			return fail(c, f, "\"%s\" is not an interface name", p->name);
		r = get_u32(c, e, "priority",
			    FIELD(f, "linux.resources.network.priorities[%zu].priority", i),
			    &p->priority);
		if (r <= 0)
			return r < 0 ? r : fail(c, f, "is required");
	}
	return 0;
}

static int parse_rdma(Ctx *c, json_object *o, RunResources *rr)
{
	char f[160];
	rr->rdma = alloc_array((size_t)json_object_object_length(o), sizeof(RunRdmaLimit));
	if (!rr->rdma)
		return -ENOMEM;
	json_object_object_foreach(o, key, val)
	{
		RunRdmaLimit *l = &rr->rdma[rr->n_rdma++];
		int r;
		if (!token_valid(key))
			return fail(c, FIELD(f, "linux.resources.rdma.%.64s", key),
				    "is not a device name");
		l->device = strdup(key);
		if (!l->device)
			return -ENOMEM;
		if (!json_object_is_type(val, json_type_object))
			return fail(c, FIELD(f, "linux.resources.rdma.%s", key),
				    "must be an object");
		r = get_u32(c, val, "hcaHandles",
			    FIELD(f, "linux.resources.rdma.%s.hcaHandles", key), &l->handles);
		if (r < 0)
			return r;
		l->has_handles = r > 0;
		r = get_u32(c, val, "hcaObjects",
			    FIELD(f, "linux.resources.rdma.%s.hcaObjects", key), &l->objects);
		if (r < 0)
			return r;
		l->has_objects = r > 0;
	}
	return 0;
}

/* linux.resources.unified: cgroup v2 file names and what to write into them. */
static int parse_unified(Ctx *c, json_object *o, RunResources *rr)
{
	char f[160];
	size_t n = (size_t)json_object_object_length(o), i = 0;
	rr->unified = calloc(2 * n + 1, sizeof(char *));
	if (!rr->unified)
		return -ENOMEM;
	json_object_object_foreach(o, key, val)
	{
		/* "memory.high": a file of a controller, in this cgroup only. */
		const char *dot = strchr(key, '.');
		if (!dot || dot == key || !dot[1] || strchr(key, '/') || strlen(key) > 64 ||
		    startswith(key, "cgroup."))
			return fail(c, FIELD(f, "linux.resources.unified.%.64s", key),
				    "is not a controller's file such as \"memory.high\"");
		if (!json_object_is_type(val, json_type_string))
			return fail(c, FIELD(f, "linux.resources.unified.%s", key),
				    "must be a string");
		rr->unified[i] = strdup(key);
		rr->unified[i + 1] = strdup(json_object_get_string(val));
		if (!rr->unified[i] || !rr->unified[i + 1])
			return -ENOMEM;
		i += 2;
	}
	return 0;
}

static int parse_device_rules(Ctx *c, json_object *a, RunResources *rr)
{
	size_t n = json_object_array_length(a);
	char f[128];
	rr->has_devices = true;
	rr->devices = alloc_array(n, sizeof(RunDeviceRule));
	if (!rr->devices)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		RunDeviceRule *d = &rr->devices[rr->n_devices++];
		_cleanup_free_ char *type = NULL, *access = NULL;
		int r;
		if (!json_object_is_type(e, json_type_object))
			return fail(c, FIELD(f, "linux.resources.devices[%zu]", i),
				    "must be an object");
		r = get_bool(c, e, "allow", FIELD(f, "linux.resources.devices[%zu].allow", i),
			     &d->allow);
		if (r <= 0)
			return r < 0 ? r : fail(c, f, "is required");
		d->type = 'a';
		r = get_string(c, e, "type", FIELD(f, "linux.resources.devices[%zu].type", i),
			       &type);
		if (r < 0)
			return r;
		if (r > 0) {
			if (strlen(type) != 1 || !strchr("acb", type[0]))
				return fail(c, f, "must be one of a, c, b, not \"%s\"", type);
			d->type = type[0];
		}
		d->major = d->minor = -1;
		r = get_int(c, e, "major", FIELD(f, "linux.resources.devices[%zu].major", i), -1,
			    0xfff, &d->major);
		if (r < 0)
			return r;
		r = get_int(c, e, "minor", FIELD(f, "linux.resources.devices[%zu].minor", i), -1,
			    0xfffff, &d->minor);
		if (r < 0)
			return r;
		d->access = DEVICE_ACCESS_READ | DEVICE_ACCESS_WRITE | DEVICE_ACCESS_MKNOD;
		r = get_string(c, e, "access", FIELD(f, "linux.resources.devices[%zu].access", i),
			       &access);
		if (r < 0)
			return r;
		if (r > 0) {
			d->access = 0;
			for (const char *p = access; *p; p++) {
				unsigned bit = *p == 'r'   ? DEVICE_ACCESS_READ
					       : *p == 'w' ? DEVICE_ACCESS_WRITE
					       : *p == 'm' ? DEVICE_ACCESS_MKNOD
							   : 0;
				if (!bit || (d->access & bit))
					return fail(c, f, "must be letters of \"rwm\", not \"%s\"",
						    access);
				d->access |= bit;
			}
			if (d->access == 0)
				d->access =
				    DEVICE_ACCESS_READ | DEVICE_ACCESS_WRITE | DEVICE_ACCESS_MKNOD;
		}
		if (d->type == 'a')
			d->major = d->minor = -1;
	}
	return 0;
}

static int parse_resources(Ctx *c, json_object *res, RunConfig *cfg)
{
	RunResources *rr = &cfg->resources;
	json_object *o;
	int r;

	r = get_array(c, res, "devices", "linux.resources.devices", &o);
	if (r < 0 || (r > 0 && (r = parse_device_rules(c, o, rr)) < 0))
		return r;
	r = get_object(c, res, "memory", "linux.resources.memory", &o);
	if (r < 0 || (r > 0 && (r = parse_memory(c, o, rr)) < 0))
		return r;
	r = get_object(c, res, "cpu", "linux.resources.cpu", &o);
	if (r < 0 || (r > 0 && (r = parse_cpu(c, o, rr)) < 0))
		return r;
	r = get_object(c, res, "pids", "linux.resources.pids", &o);
	if (r < 0)
		return r;
	if (r > 0) {
		r = get_int(c, o, "limit", "linux.resources.pids.limit", INT64_MIN, INT64_MAX,
			    &rr->pids_limit);
		if (r < 0)
			return r;
		rr->has_pids_limit = r > 0;
	}
	r = get_object(c, res, "blockIO", "linux.resources.blockIO", &o);
	if (r < 0 || (r > 0 && (r = parse_blkio(c, o, rr)) < 0))
		return r;
	r = get_array(c, res, "hugepageLimits", "linux.resources.hugepageLimits", &o);
	if (r < 0 || (r > 0 && (r = parse_hugepages(c, o, rr)) < 0))
		return r;
	r = get_object(c, res, "network", "linux.resources.network", &o);
	if (r < 0 || (r > 0 && (r = parse_network(c, o, rr)) < 0))
		return r;
	r = get_object(c, res, "rdma", "linux.resources.rdma", &o);
	if (r < 0 || (r > 0 && (r = parse_rdma(c, o, rr)) < 0))
		return r;
	r = get_object(c, res, "unified", "linux.resources.unified", &o);
	if (r < 0 || (r > 0 && (r = parse_unified(c, o, rr)) < 0))
		return r;
	return 0;
}

static int parse_sysctl(Ctx *c, json_object *o, RunConfig *cfg)
{
	char f[256];
	json_object_object_foreach(o, key, val)
	{
		if (!json_object_is_type(val, json_type_string))
			return fail(c, FIELD(f, "linux.sysctl.%.200s", key), "must be a string");
		if (isempty(key) || strstr(key, "..") || key[0] == '.' || key[0] == '/' ||
		    strchr(key, '\0') != key + strlen(key))
			return fail(c, FIELD(f, "linux.sysctl.%.200s", key), "invalid name");
		if (strv_extend(&cfg->sysctl, key) < 0 ||
		    strv_extend(&cfg->sysctl, json_object_get_string(val)) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int parse_propagation(Ctx *c, json_object *lx, RunConfig *cfg)
{
	_cleanup_free_ char *s = NULL;
	int r = get_string(c, lx, "rootfsPropagation", "linux.rootfsPropagation", &s);
	if (r <= 0)
		return r;
	for (size_t k = 0; k < ELEMENTSOF(mount_opts); k++)
		if (mount_opts[k].kind == OPT_PROPAGATION && streq(s, mount_opts[k].name)) {
			cfg->rootfs_propagation = mount_opts[k].flag | MS_REC;
			return 0;
		}
	return fail(c, "linux.rootfsPropagation", "unknown propagation \"%s\"", s);
}

static int parse_personality(Ctx *c, json_object *o, RunConfig *cfg)
{
	_cleanup_free_ char *domain = NULL;
	_cleanup_strv_free_ char **flags = NULL;
	int r = get_string(c, o, "domain", "linux.personality.domain", &domain);
	if (r < 0)
		return r;
	if (r == 0)
		return fail(c, "linux.personality.domain", "is required");
	if (streq(domain, "LINUX"))
		cfg->personality = PER_LINUX;
	else if (streq(domain, "LINUX32"))
		cfg->personality = PER_LINUX32;
	else
		return fail(c, "linux.personality.domain",
			    "unknown domain \"%s\" (LINUX or LINUX32)", domain);
	r = get_strv(c, o, "flags", "linux.personality.flags", false, false, &flags);
	if (r < 0)
		return r;
	if (flags && flags[0])
		return fail(c, "linux.personality.flags[0]",
			    "\"%s\" is not supported (the spec defines no flags yet)", flags[0]);
	cfg->has_personality = true;
	return 0;
}

static int parse_time_offsets(Ctx *c, json_object *o, RunConfig *cfg)
{
	char f[256];
	json_object_object_foreach(o, key, val)
	{
		int k = 0;
		while (k < _TIME_OFFSET_MAX && !streq(key, time_offset_clocks[k]))
			k++;
		if (k == _TIME_OFFSET_MAX)
			return fail(c, FIELD(f, "linux.timeOffsets.%.200s", key),
				    "unknown clock (a time namespace offsets monotonic and "
				    "boottime)");
		if (!json_object_is_type(val, json_type_object))
			return fail(c, FIELD(f, "linux.timeOffsets.%s", key), "must be an object");
		RunTimeOffset *t = &cfg->time_offsets[k];
		int64_t n;
		int r = get_int(c, val, "secs", FIELD(f, "linux.timeOffsets.%s.secs", key),
				INT64_MIN, INT64_MAX, &t->secs);
		if (r < 0)
			return r;
		r = get_int(c, val, "nanosecs", FIELD(f, "linux.timeOffsets.%s.nanosecs", key), 0,
			    999999999, &n);
		if (r < 0)
			return r;
		t->nanosecs = r > 0 ? (uint32_t)n : 0;
		t->set = true;
	}
	return 0;
}

static int check_time_namespace(Ctx *c, const RunConfig *cfg)
{
	const RunNamespace *time = run_config_namespace(cfg, CLONE_NEWTIME);
	for (int k = 0; k < _TIME_OFFSET_MAX; k++)
		if (cfg->time_offsets[k].set && (!time || time->path))
			return fail(c, "linux.timeOffsets",
				    "needs a new time namespace in linux.namespaces (one without "
				    "a path)");
	return 0;
}

const char *const intel_rdt_l3_prefixes[] = {"L3:", "L3CODE:", "L3DATA:", NULL};
const char *const intel_rdt_mb_prefixes[] = {"MB:", NULL};

bool intel_rdt_schema_valid(const char *s, const char *const *prefixes, const char **ret_bad)
{
	bool any = false;
	for (const char *line = s; *line;) {
		size_t n = strcspn(line, "\n");
		if (n > 0) {
			bool ok = false;
			for (size_t k = 0; prefixes[k] && !ok; k++)
				ok = strncmp(line, prefixes[k], strlen(prefixes[k])) == 0 &&
				     n > strlen(prefixes[k]);
			if (!ok) {
				*ret_bad = line;
				return false;
			}
			any = true;
		}
		line += n + (line[n] == '\n');
	}
	*ret_bad = s;
	return any;
}

/* An empty string is no schema, as with runc. */
static int get_rdt_schema(Ctx *c, json_object *o, const char *key, const char *field,
			  const char *const *prefixes, const char *what, char **ret)
{
	_cleanup_free_ char *s = NULL;
	const char *bad;
	int r = get_string(c, o, key, field, &s);
	if (r <= 0 || isempty(s))
		return r < 0 ? r : 0;
	if (!intel_rdt_schema_valid(s, prefixes, &bad))
		return fail(c, field, "\"%.*s\": every line must be %s", (int)strcspn(bad, "\n"),
			    bad, what);
	*ret = TAKE_PTR(s);
	return 1;
}

static int parse_intel_rdt(Ctx *c, json_object *o, RunConfig *cfg)
{
	char f[64];
	RunIntelRdt *rdt = cfg->intel_rdt = calloc(1, sizeof(RunIntelRdt));
	if (!rdt)
		return -ENOMEM;
	int r = get_string(c, o, "closID", "linux.intelRdt.closID", &rdt->clos_id);
	if (r < 0)
		return r;
	/* The group is a directory of the resctrl root, never anything else. */
	if (rdt->clos_id && (isempty(rdt->clos_id) || strchr(rdt->clos_id, '/') ||
			     streq(rdt->clos_id, ".") || streq(rdt->clos_id, "..")))
		return fail(c, "linux.intelRdt.closID",
			    "\"%s\" must be a directory name (not empty, \".\" or \"..\", no "
			    "\"/\")",
			    rdt->clos_id);
	r = get_rdt_schema(c, o, "l3CacheSchema", "linux.intelRdt.l3CacheSchema",
			   intel_rdt_l3_prefixes, "L3:, L3CODE: or L3DATA: with a value",
			   &rdt->l3_cache_schema);
	if (r < 0)
		return r;
	r = get_rdt_schema(c, o, "memBwSchema", "linux.intelRdt.memBwSchema", intel_rdt_mb_prefixes,
			   "MB: with a value", &rdt->mem_bw_schema);
	if (r < 0)
		return r;
	r = get_strv(c, o, "schemata", "linux.intelRdt.schemata", false, false, &rdt->schemata);
	if (r < 0)
		return r;
	for (size_t i = 0; rdt->schemata && rdt->schemata[i]; i++)
		if (isempty(rdt->schemata[i]) || strchr(rdt->schemata[i], '\n'))
			return fail(c, FIELD(f, "linux.intelRdt.schemata[%zu]", i),
				    "must be one non-empty line");
	r = get_bool(c, o, "enableMonitoring", "linux.intelRdt.enableMonitoring",
		     &rdt->enable_monitoring);
	return r < 0 ? r : 0;
}

static int parse_linux(Ctx *c, json_object *lx, RunConfig *cfg)
{
	json_object *o;
	int r;

	r = get_array(c, lx, "namespaces", "linux.namespaces", &o);
	if (r < 0 || (r > 0 && (r = parse_namespaces(c, o, cfg)) < 0))
		return r;
	r = get_array(c, lx, "uidMappings", "linux.uidMappings", &o);
	if (r < 0 || (r > 0 && (r = parse_idmaps(c, o, "linux.uidMappings", &cfg->uid_mappings,
						 &cfg->n_uid_mappings)) < 0))
		return r;
	r = get_array(c, lx, "gidMappings", "linux.gidMappings", &o);
	if (r < 0 || (r > 0 && (r = parse_idmaps(c, o, "linux.gidMappings", &cfg->gid_mappings,
						 &cfg->n_gid_mappings)) < 0))
		return r;
	r = get_array(c, lx, "devices", "linux.devices", &o);
	if (r < 0 || (r > 0 && (r = parse_devices(c, o, cfg)) < 0))
		return r;
	r = get_label(c, lx, "mountLabel", "linux.mountLabel", &cfg->mount_label);
	if (r < 0)
		return r;
	/* It goes into mount data as context="LABEL". */
	if (cfg->mount_label && strpbrk(cfg->mount_label, "\"\\"))
		return fail(c, "linux.mountLabel", "must not contain quotes or backslashes");
	r = get_strv(c, lx, "maskedPaths", "linux.maskedPaths", false, true, &cfg->masked_paths);
	if (r < 0)
		return r;
	r = get_strv(c, lx, "readonlyPaths", "linux.readonlyPaths", false, true,
		     &cfg->readonly_paths);
	if (r < 0)
		return r;
	r = parse_propagation(c, lx, cfg);
	if (r < 0)
		return r;
	r = get_string(c, lx, "cgroupsPath", "linux.cgroupsPath", &cfg->cgroups_path);
	if (r < 0)
		return r;
	if (cfg->cgroups_path) {
		const char *p = cfg->cgroups_path;
		if (strstr(p, "/../") || startswith(p, "../") || endswith(p, "/..") ||
		    streq(p, ".."))
			return fail(c, "linux.cgroupsPath", "must not contain \"..\"");
	}
	r = get_object(c, lx, "resources", "linux.resources", &o);
	if (r < 0 || (r > 0 && (r = parse_resources(c, o, cfg)) < 0))
		return r;
	r = get_object(c, lx, "sysctl", "linux.sysctl", &o);
	if (r < 0 || (r > 0 && (r = parse_sysctl(c, o, cfg)) < 0))
		return r;
	r = get_object(c, lx, "seccomp", "linux.seccomp", &o);
	if (r < 0 || (r > 0 && (r = parse_seccomp(c, o, cfg)) < 0))
		return r;
	r = get_object(c, lx, "personality", "linux.personality", &o);
	if (r < 0 || (r > 0 && (r = parse_personality(c, o, cfg)) < 0))
		return r;
	r = get_object(c, lx, "timeOffsets", "linux.timeOffsets", &o);
	if (r < 0 || (r > 0 && (r = parse_time_offsets(c, o, cfg)) < 0))
		return r;
	r = get_object(c, lx, "intelRdt", "linux.intelRdt", &o);
	if (r < 0 || (r > 0 && (r = parse_intel_rdt(c, o, cfg)) < 0))
		return r;
	return 0;
}

static const char *const hook_kinds[_HOOK_MAX] = {
    [HOOK_PRESTART] = "prestart",
    [HOOK_CREATE_RUNTIME] = "createRuntime",
    [HOOK_CREATE_CONTAINER] = "createContainer",
    [HOOK_START_CONTAINER] = "startContainer",
    [HOOK_POSTSTART] = "poststart",
    [HOOK_POSTSTOP] = "poststop",
};

const char *hook_kind_name(HookKind k)
{
	return k < _HOOK_MAX ? hook_kinds[k] : NULL;
}

static int parse_hook(Ctx *c, json_object *o, const char *field, RunHook *h)
{
	char f[160];
	int64_t n;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return fail(c, field, "must be an object");
	r = get_string(c, o, "path", FIELD(f, "%s.path", field), &h->path);
	if (r < 0)
		return r;
	if (r == 0 || h->path[0] != '/')
		return fail(c, f, "must be an absolute path");
	r = get_strv(c, o, "args", FIELD(f, "%s.args", field), false, false, &h->args);
	if (r < 0)
		return r;
	r = get_strv(c, o, "env", FIELD(f, "%s.env", field), false, false, &h->env);
	if (r < 0)
		return r;
	for (size_t i = 0; h->env && h->env[i]; i++)
		if (!strchr(h->env[i], '=') || h->env[i][0] == '=')
			return fail(c, FIELD(f, "%s.env[%zu]", field, i),
				    "must have the form KEY=value");
	r = get_int(c, o, "timeout", FIELD(f, "%s.timeout", field), 1, INT32_MAX, &n);
	if (r < 0)
		return r;
	h->timeout = r > 0 ? (int)n : 0;
	return 0;
}

static int parse_hooks(Ctx *c, json_object *root, RunConfig *cfg)
{
	json_object *h, *a;
	char f[128];
	int r = get_object(c, root, "hooks", "hooks", &h);
	if (r <= 0)
		return r;
	for (int k = 0; k < _HOOK_MAX; k++) {
		r = get_array(c, h, hook_kinds[k], FIELD(f, "hooks.%s", hook_kinds[k]), &a);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		size_t n = json_object_array_length(a);
		cfg->hooks[k] = calloc(n ? n : 1, sizeof(RunHook));
		if (!cfg->hooks[k])
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			cfg->n_hooks[k]++;
			r = parse_hook(c, json_object_array_get_idx(a, i),
				       FIELD(f, "hooks.%s[%zu]", hook_kinds[k], i),
				       &cfg->hooks[k][i]);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int check_user_namespace(Ctx *c, RunConfig *cfg)
{
	const RunNamespace *user = run_config_namespace(cfg, CLONE_NEWUSER);
	bool maps = cfg->n_uid_mappings > 0 || cfg->n_gid_mappings > 0;

	if (maps && !user)
		return fail(c, "linux.uidMappings", "needs a user namespace in linux.namespaces");
	if (user && !user->path && (cfg->n_uid_mappings == 0 || cfg->n_gid_mappings == 0))
		return fail(c, cfg->n_uid_mappings == 0 ? "linux.uidMappings" : "linux.gidMappings",
			    "is required with a new user namespace");
	if (user && user->path && maps)
		return fail(c, "linux.uidMappings",
			    "must be empty when joining an existing user namespace");
	/* An idmapped mount without mappings of its own borrows the container's. */
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const RunMount *m = &cfg->mounts[i];
		char f[64];
		if ((m->extensions & MOUNT_EXT_IDMAP) && m->n_uid_mappings == 0 &&
		    (!user || user->path))
			return fail(c, FIELD(f, "mounts[%zu].options", i),
				    "\"%s\" without uidMappings and gidMappings needs a new user "
				    "namespace in linux.namespaces",
				    mount_ext_name(m, MOUNT_EXT_IDMAP));
	}
	return 0;
}

int run_config_parse(const char *buf, size_t len, RunConfig **ret, char *err, size_t errlen)
{
	Ctx c = {.err = err, .errlen = errlen};
	_cleanup_json_ json_object *root = NULL;
	_cleanup_config_ RunConfig *cfg = NULL;
	json_object *o;
	char jerr[256] = "";
	int r;

	if (err && errlen > 0)
		err[0] = '\0';
	if (len > CONFIG_MAX_SIZE)
		return fail(&c, "config.json", "larger than %u bytes", CONFIG_MAX_SIZE);
	r = json_parse_strict(buf, len, &root, jerr, sizeof(jerr));
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return fail(&c, "config.json", "not valid JSON: %s", jerr);
	if (!json_object_is_type(root, json_type_object))
		return fail(&c, "config.json", "must be a JSON object");

	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return -ENOMEM;

	r = get_string(&c, root, "ociVersion", "ociVersion", &cfg->oci_version);
	if (r < 0)
		return r;
	if (r == 0)
		return fail(&c, "ociVersion", "is required");
	if (!startswith(cfg->oci_version, "1."))
		return fail(&c, "ociVersion", "version \"%s\" is not supported (need 1.x)",
			    cfg->oci_version);

	r = get_object(&c, root, "root", "root", &o);
	if (r < 0)
		return r;
	if (r == 0)
		return fail(&c, "root", "is required");
	r = get_string(&c, o, "path", "root.path", &cfg->root_path);
	if (r < 0)
		return r;
	if (r == 0 || isempty(cfg->root_path))
		return fail(&c, "root.path", "is required");
	r = get_bool(&c, o, "readonly", "root.readonly", &cfg->root_readonly);
	if (r < 0)
		return r;

	r = get_string(&c, root, "hostname", "hostname", &cfg->hostname);
	if (r < 0)
		return r;
	if (cfg->hostname && strlen(cfg->hostname) > 64)
		return fail(&c, "hostname", "longer than 64 characters");
	r = get_string(&c, root, "domainname", "domainname", &cfg->domainname);
	if (r < 0)
		return r;
	if (cfg->domainname && strlen(cfg->domainname) > 64)
		return fail(&c, "domainname", "longer than 64 characters");

	r = get_object(&c, root, "process", "process", &o);
	if (r < 0)
		return r;
	if (r == 0)
		return fail(&c, "process", "is required");
	r = parse_process(&c, o, cfg);
	if (r < 0)
		return r;

	r = get_array(&c, root, "mounts", "mounts", &o);
	if (r < 0 || (r > 0 && (r = parse_mounts(&c, o, cfg)) < 0))
		return r;

	r = get_object(&c, root, "linux", "linux", &o);
	if (r < 0 || (r > 0 && (r = parse_linux(&c, o, cfg)) < 0))
		return r;

	r = get_object(&c, root, "annotations", "annotations", &o);
	if (r < 0)
		return r;
	if (r > 0) {
		json_object_object_foreach(o, key, val)
		{
			if (!json_object_is_type(val, json_type_string)) {
				char f[256];
				return fail(&c, FIELD(f, "annotations.%.200s", key),
					    "must be a string");
			}
		}
		cfg->annotations_json = json_to_string_compact(o);
		if (!cfg->annotations_json)
			return -ENOMEM;
	}

	r = parse_hooks(&c, root, cfg);
	if (r < 0)
		return r;
	r = check_user_namespace(&c, cfg);
	if (r < 0)
		return r;
	r = check_time_namespace(&c, cfg);
	if (r < 0)
		return r;
	const RunNamespace *mnt = run_config_namespace(cfg, CLONE_NEWNS);
	if (!mnt || mnt->path)
		return fail(&c, "linux.namespaces", "a new mount namespace is required");
	if (cfg->hostname && !isempty(cfg->hostname) && !run_config_namespace(cfg, CLONE_NEWUTS))
		return fail(&c, "hostname", "needs a uts namespace in linux.namespaces");

	*ret = TAKE_PTR(cfg);
	return 0;
}

static void process_done(RunConfig *c)
{
	free(c->additional_gids);
	strv_free(c->args);
	strv_free(c->env);
	free(c->cwd);
	free(c->rlimits);
	c->terminal = false;
	c->uid = 0;
	c->gid = 0;
	c->has_umask = false;
	c->umask = 0;
	c->additional_gids = NULL;
	c->n_additional_gids = 0;
	c->args = c->env = NULL;
	c->cwd = NULL;
	c->has_capabilities = false;
	memset(c->caps, 0, sizeof(c->caps));
	c->no_new_privileges = false;
	c->rlimits = NULL;
	c->n_rlimits = 0;
	c->has_oom_score_adj = false;
	c->oom_score_adj = 0;
	c->has_scheduler = false;
	memset(&c->scheduler, 0, sizeof(c->scheduler));
	c->has_io_priority = false;
	c->io_priority = 0;
	c->has_cpus_initial = c->has_cpus_final = false;
	CPU_ZERO(&c->cpus_initial);
	CPU_ZERO(&c->cpus_final);
}

int run_config_replace_process(RunConfig *cfg, const char *buf, size_t len, char *err,
			       size_t errlen)
{
	Ctx c = {.err = err, .errlen = errlen};
	_cleanup_json_ json_object *root = NULL;
	char jerr[256] = "";

	if (err && errlen > 0)
		err[0] = '\0';
	if (len > CONFIG_MAX_SIZE)
		return fail(&c, "process", "larger than %u bytes", CONFIG_MAX_SIZE);
	int r = json_parse_strict(buf, len, &root, jerr, sizeof(jerr));
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return fail(&c, "process", "not valid JSON: %s", jerr);
	if (!json_object_is_type(root, json_type_object))
		return fail(&c, "process", "must be a JSON object");
	/* The container's labels stay unless the process names its own, as with runc. */
	process_done(cfg);
	return parse_process(&c, root, cfg);
}

int run_resources_parse(const char *buf, size_t len, RunResources *ret, char *err, size_t errlen)
{
	Ctx c = {.err = err, .errlen = errlen};
	_cleanup_json_ json_object *root = NULL;
	RunConfig cfg = {};
	char jerr[256] = "";

	if (err && errlen > 0)
		err[0] = '\0';
	if (len > CONFIG_MAX_SIZE)
		return fail(&c, "linux.resources", "larger than %u bytes", CONFIG_MAX_SIZE);
	int r = json_parse_strict(buf, len, &root, jerr, sizeof(jerr));
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return fail(&c, "linux.resources", "not valid JSON: %s", jerr);
	if (!json_object_is_type(root, json_type_object))
		return fail(&c, "linux.resources", "must be a JSON object");
	r = parse_resources(&c, root, &cfg);
	if (r < 0) {
		run_resources_done(&cfg.resources);
		return r;
	}
	*ret = cfg.resources;
	return 0;
}

const RunNamespace *run_config_namespace(const RunConfig *c, int type)
{
	for (size_t i = 0; i < c->n_namespaces; i++)
		if (c->namespaces[i].type == type)
			return &c->namespaces[i];
	return NULL;
}

RunConfig *run_config_free(RunConfig *c)
{
	if (!c)
		return NULL;
	free(c->oci_version);
	free(c->root_path);
	free(c->hostname);
	free(c->domainname);
	free(c->additional_gids);
	strv_free(c->args);
	strv_free(c->env);
	free(c->cwd);
	free(c->apparmor_profile);
	free(c->selinux_label);
	free(c->mount_label);
	free(c->rlimits);
	for (size_t i = 0; i < c->n_mounts; i++) {
		free(c->mounts[i].destination);
		free(c->mounts[i].source);
		free(c->mounts[i].type);
		free(c->mounts[i].data);
		free(c->mounts[i].uid_mappings);
		free(c->mounts[i].gid_mappings);
	}
	free(c->mounts);
	for (size_t i = 0; i < c->n_namespaces; i++)
		free(c->namespaces[i].path);
	free(c->namespaces);
	free(c->uid_mappings);
	free(c->gid_mappings);
	for (size_t i = 0; i < c->n_devices; i++)
		free(c->devices[i].path);
	free(c->devices);
	strv_free(c->masked_paths);
	strv_free(c->readonly_paths);
	free(c->cgroups_path);
	run_resources_done(&c->resources);
	strv_free(c->sysctl);
	free(c->annotations_json);
	if (c->intel_rdt) {
		free(c->intel_rdt->clos_id);
		free(c->intel_rdt->l3_cache_schema);
		free(c->intel_rdt->mem_bw_schema);
		strv_free(c->intel_rdt->schemata);
		free(c->intel_rdt);
	}
	for (int k = 0; k < _HOOK_MAX; k++) {
		for (size_t i = 0; i < c->n_hooks[k]; i++) {
			free(c->hooks[k][i].path);
			strv_free(c->hooks[k][i].args);
			strv_free(c->hooks[k][i].env);
		}
		free(c->hooks[k]);
	}
	if (c->seccomp) {
		for (size_t i = 0; i < c->seccomp->n_rules; i++) {
			strv_free(c->seccomp->rules[i].names);
			free(c->seccomp->rules[i].args);
		}
		free(c->seccomp->rules);
		free(c->seccomp->archs);
		free(c->seccomp->listener_path);
		free(c->seccomp->listener_metadata);
		free(c->seccomp);
	}
	free(c);
	return NULL;
}
