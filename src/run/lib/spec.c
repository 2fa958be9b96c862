/* SPDX-License-Identifier: MIT */
#include "spec.h"

#include <json-c/json.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "json-util.h"
#include "oci-config.h"
#include "macros.h"

static json_object *strv(const char *const *l)
{
	json_object *a = json_object_new_array();
	for (; *l; l++)
		json_object_array_add(a, json_object_new_string(*l));
	return a;
}

static json_object *mount(const char *dest, const char *type, const char *src,
			  const char *const *opts)
{
	json_object *m = json_object_new_object();
	json_object_object_add(m, "destination", json_object_new_string(dest));
	json_object_object_add(m, "type", json_object_new_string(type));
	json_object_object_add(m, "source", json_object_new_string(src));
	json_object_object_add(m, "options", strv(opts));
	return m;
}

/* System calls refused with EPERM by the default profile. */
static const char *const denied_syscalls[] = {
    "acct",
    "add_key",
    "bpf",
    "clock_adjtime",
    "clock_settime",
    "create_module",
    "delete_module",
    "finit_module",
    "fsconfig",
    "fsmount",
    "fsopen",
    "fspick",
    "get_kernel_syms",
    "get_mempolicy",
    "init_module",
    "ioperm",
    "iopl",
    "kcmp",
    "kexec_file_load",
    "kexec_load",
    "keyctl",
    "lookup_dcookie",
    "mbind",
    "mount",
    "mount_setattr",
    "move_mount",
    "move_pages",
    "name_to_handle_at",
    "nfsservctl",
    "open_by_handle_at",
    "open_tree",
    "perf_event_open",
    "pivot_root",
    "process_vm_readv",
    "process_vm_writev",
    "ptrace",
    "query_module",
    "quotactl",
    "quotactl_fd",
    "reboot",
    "request_key",
    "set_mempolicy",
    "setns",
    "settimeofday",
    "stime",
    "swapoff",
    "swapon",
    "syslog",
    "sysfs",
    "_sysctl",
    "umount",
    "umount2",
    "unshare",
    "uselib",
    "userfaultfd",
    "ustat",
    "vhangup",
    "vm86",
    "vm86old",
    NULL,
};

static json_object *default_seccomp(void)
{
	static const char *const archs[] = {
#if defined(__x86_64__)
		"SCMP_ARCH_X86_64",
		"SCMP_ARCH_X86",
		"SCMP_ARCH_X32",
#elif defined(__aarch64__)
		"SCMP_ARCH_AARCH64",
		"SCMP_ARCH_ARM",
#endif
		NULL,
	};
	static const int clone_ns[] = {CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,   CLONE_NEWUSER,
				       CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP};
	json_object *s = json_object_new_object();
	json_object *rules = json_object_new_array();

	json_object_object_add(s, "defaultAction", json_object_new_string("SCMP_ACT_ALLOW"));
	json_object_object_add(s, "architectures", strv(archs));

	json_object *r = json_object_new_object();
	json_object_object_add(r, "names", strv(denied_syscalls));
	json_object_object_add(r, "action", json_object_new_string("SCMP_ACT_ERRNO"));
	json_object_object_add(r, "errnoRet", json_object_new_int(1));
	json_object_array_add(rules, r);

	/* clone3 hides its flags from seccomp: make libc fall back to clone. */
	r = json_object_new_object();
	json_object_object_add(r, "names", strv((const char *const[]){"clone3", NULL}));
	json_object_object_add(r, "action", json_object_new_string("SCMP_ACT_ERRNO"));
	json_object_object_add(r, "errnoRet", json_object_new_int(38));
	json_object_array_add(rules, r);

	/* clone with any namespace flag: one rule per flag, each a masked compare. */
	for (size_t i = 0; i < ELEMENTSOF(clone_ns); i++) {
		r = json_object_new_object();
		json_object_object_add(r, "names", strv((const char *const[]){"clone", NULL}));
		json_object_object_add(r, "action", json_object_new_string("SCMP_ACT_ERRNO"));
		json_object_object_add(r, "errnoRet", json_object_new_int(1));
		json_object *args = json_object_new_array();
		json_object *a = json_object_new_object();
		json_object_object_add(a, "index", json_object_new_int(0));
		json_object_object_add(a, "value", json_object_new_int(clone_ns[i]));
		json_object_object_add(a, "valueTwo", json_object_new_int(clone_ns[i]));
		json_object_object_add(a, "op", json_object_new_string("SCMP_CMP_MASKED_EQ"));
		json_object_array_add(args, a);
		json_object_object_add(r, "args", args);
		json_object_array_add(rules, r);
	}
	json_object_object_add(s, "syscalls", rules);
	return s;
}

static json_object *namespaces(bool rootless)
{
	static const char *const full[] = {"pid", "network", "ipc", "uts", "mount", "cgroup", NULL};
	static const char *const rl[] = {"pid", "ipc", "uts", "mount", "user", NULL};
	json_object *a = json_object_new_array();
	for (const char *const *n = rootless ? rl : full; *n; n++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "type", json_object_new_string(*n));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *idmap(unsigned host)
{
	json_object *a = json_object_new_array();
	json_object *m = json_object_new_object();
	json_object_object_add(m, "containerID", json_object_new_int(0));
	json_object_object_add(m, "hostID", json_object_new_int64(host));
	json_object_object_add(m, "size", json_object_new_int(1));
	json_object_array_add(a, m);
	return a;
}

char *default_spec_json(bool rootless, uid_t uid, gid_t gid)
{
	static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
					   NULL};
	static const char *const env[] = {
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
	    NULL};
	static const char *const masked[] = {
	    "/proc/acpi",
	    "/proc/asound",
	    "/proc/interrupts",
	    "/proc/kcore",
	    "/proc/keys",
	    "/proc/latency_stats",
	    "/proc/timer_list",
	    "/proc/timer_stats",
	    "/proc/sched_debug",
	    "/proc/scsi",
	    "/sys/firmware",
	    "/sys/devices/virtual/powercap",
	    NULL,
	};
	static const char *const readonly[] = {
	    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};
	_cleanup_json_ json_object *o = json_object_new_object();

	json_object_object_add(o, "ociVersion", json_object_new_string("1.2.0"));

	json_object *p = json_object_new_object();
	json_object_object_add(p, "terminal", json_object_new_boolean(false));
	json_object *user = json_object_new_object();
	json_object_object_add(user, "uid", json_object_new_int(0));
	json_object_object_add(user, "gid", json_object_new_int(0));
	json_object_object_add(p, "user", user);
	json_object_object_add(p, "args", strv((const char *const[]){"sh", NULL}));
	json_object_object_add(p, "env", strv(env));
	json_object_object_add(p, "cwd", json_object_new_string("/"));
	json_object *c = json_object_new_object();
	json_object_object_add(c, "bounding", strv(caps));
	json_object_object_add(c, "effective", strv(caps));
	json_object_object_add(c, "permitted", strv(caps));
	json_object_object_add(p, "capabilities", c);
	json_object *rl = json_object_new_object();
	json_object_object_add(rl, "type", json_object_new_string("RLIMIT_NOFILE"));
	json_object_object_add(rl, "hard", json_object_new_int(1024));
	json_object_object_add(rl, "soft", json_object_new_int(1024));
	json_object *rls = json_object_new_array();
	json_object_array_add(rls, rl);
	json_object_object_add(p, "rlimits", rls);
	json_object_object_add(p, "noNewPrivileges", json_object_new_boolean(true));
	json_object_object_add(o, "process", p);

	json_object *root = json_object_new_object();
	json_object_object_add(root, "path", json_object_new_string("rootfs"));
	json_object_object_add(root, "readonly", json_object_new_boolean(true));
	json_object_object_add(o, "root", root);
	json_object_object_add(o, "hostname", json_object_new_string("lazuli"));

	json_object *m = json_object_new_array();
	json_object_array_add(m, mount("/proc", "proc", "proc",
				       (const char *const[]){"nosuid", "noexec", "nodev", NULL}));
	json_object_array_add(m, mount("/dev", "tmpfs", "tmpfs",
				       (const char *const[]){"nosuid", "strictatime", "mode=755",
							     "size=65536k", NULL}));
	if (rootless)
		json_object_array_add(
		    m, mount("/dev/pts", "devpts", "devpts",
			     (const char *const[]){"nosuid", "noexec", "newinstance",
						   "ptmxmode=0666", "mode=0620", NULL}));
	else
		json_object_array_add(
		    m, mount("/dev/pts", "devpts", "devpts",
			     (const char *const[]){"nosuid", "noexec", "newinstance",
						   "ptmxmode=0666", "mode=0620", "gid=5", NULL}));
	json_object_array_add(m, mount("/dev/shm", "tmpfs", "shm",
				       (const char *const[]){"nosuid", "noexec", "nodev",
							     "mode=1777", "size=65536k", NULL}));
	json_object_array_add(m, mount("/dev/mqueue", "mqueue", "mqueue",
				       (const char *const[]){"nosuid", "noexec", "nodev", NULL}));
	if (rootless)
		json_object_array_add(m, mount("/sys", "none", "/sys",
					       (const char *const[]){"rbind", "nosuid", "noexec",
								     "nodev", "ro", NULL}));
	else {
		json_object_array_add(
		    m, mount("/sys", "sysfs", "sysfs",
			     (const char *const[]){"nosuid", "noexec", "nodev", "ro", NULL}));
		json_object_array_add(m, mount("/sys/fs/cgroup", "cgroup", "cgroup",
					       (const char *const[]){"nosuid", "noexec", "nodev",
								     "relatime", "ro", NULL}));
	}
	json_object_object_add(o, "mounts", m);

	json_object *lx = json_object_new_object();
	if (rootless) {
		json_object_object_add(lx, "uidMappings", idmap(uid));
		json_object_object_add(lx, "gidMappings", idmap(gid));
	}
	json_object_object_add(lx, "namespaces", namespaces(rootless));
	json_object_object_add(lx, "maskedPaths", strv(masked));
	json_object_object_add(lx, "readonlyPaths", strv(readonly));
	json_object_object_add(lx, "seccomp", default_seccomp());
	json_object *idm = json_object_new_object();
	json_object_object_add(idm, "enabled", json_object_new_boolean(true));
	json_object *ext = json_object_new_object();
	json_object_object_add(ext, "idmap", idm);
	json_object_object_add(lx, "mountExtensions", ext);
	json_object_object_add(o, "linux", lx);

	const char *text = json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	return text ? strdup(text) : NULL;
}

static json_object *names(const char *(*get)(size_t))
{
	json_object *a = json_object_new_array();
	const char *n;
	for (size_t i = 0; (n = get(i)); i++)
		json_object_array_add(a, json_object_new_string(n));
	return a;
}

static const char *cap_name(size_t i)
{
	return i <= (size_t)capability_max() ? capability_to_name((int)i) : NULL;
}

static const char *ns_name(size_t i)
{
	static const int types[] = {CLONE_NEWCGROUP, CLONE_NEWIPC,  CLONE_NEWNS,   CLONE_NEWNET,
				    CLONE_NEWPID,    CLONE_NEWTIME, CLONE_NEWUSER, CLONE_NEWUTS};
	return i < ELEMENTSOF(types) ? namespace_to_name(types[i]) : NULL;
}

char *features_json(void)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object_object_add(o, "ociVersionMin", json_object_new_string("1.0.0"));
	json_object_object_add(o, "ociVersionMax", json_object_new_string("1.2.0"));
	json_object *hooks = json_object_new_array();
	for (int k = 0; k < _HOOK_MAX; k++)
		json_object_array_add(hooks, json_object_new_string(hook_kind_name((HookKind)k)));
	json_object_object_add(o, "hooks", hooks);
	json_object_object_add(o, "mountOptions", names(config_mount_option_name));

	json_object *lx = json_object_new_object();
	json_object_object_add(lx, "namespaces", names(ns_name));
	json_object_object_add(lx, "capabilities", names(cap_name));
	json_object *cg = json_object_new_object();
	json_object_object_add(cg, "v1", json_object_new_boolean(true));
	json_object_object_add(cg, "v2", json_object_new_boolean(true));
	json_object_object_add(cg, "systemd", json_object_new_boolean(true)); /* --systemd-cgroup */
	json_object_object_add(cg, "systemdUser", json_object_new_boolean(true)); /* rootless */
	json_object_object_add(cg, "rdma", json_object_new_boolean(true));
	json_object_object_add(lx, "cgroup", cg);
	json_object *sc = json_object_new_object();
	json_object_object_add(sc, "enabled", json_object_new_boolean(true));
	json_object_object_add(sc, "actions", names(config_seccomp_action_name));
	json_object_object_add(sc, "operators", names(config_seccomp_operator_name));
	json_object_object_add(sc, "archs", names(config_seccomp_arch_name));
	json_object_object_add(sc, "knownFlags", names(config_seccomp_flag_name));
	json_object_object_add(sc, "supportedFlags", names(config_seccomp_flag_name));
	json_object_object_add(lx, "seccomp", sc);
	/* What the runtime can apply (on a host whose kernel has the LSM), as runc says it. */
	static const struct {
		const char *name;
		bool enabled;
	} lsm[] = {{"apparmor", true}, {"selinux", true}, {"intelRdt", true}};
	for (size_t i = 0; i < ELEMENTSOF(lsm); i++) {
		json_object *d = json_object_new_object();
		json_object_object_add(d, "enabled", json_object_new_boolean(lsm[i].enabled));
		json_object_object_add(lx, lsm[i].name, d);
	}
	json_object *idm = json_object_new_object();
	json_object_object_add(idm, "enabled", json_object_new_boolean(true));
	json_object *ext = json_object_new_object();
	json_object_object_add(ext, "idmap", idm);
	json_object_object_add(lx, "mountExtensions", ext);
	json_object_object_add(o, "linux", lx);

	json_object *ann = json_object_new_object();
	json_object_object_add(ann, "org.lazuli.run.version",
			       json_object_new_string(LAZULI_VERSION));
	json_object_object_add(o, "annotations", ann);

	const char *text = json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	return text ? strdup(text) : NULL;
}
