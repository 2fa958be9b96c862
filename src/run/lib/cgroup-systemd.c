/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "cgroup-systemd.h"
#include "dl-util.h"
#include "strutil.h"
#include "time-util.h"

#define LIBSYSTEMD_SONAME "libsystemd.so.0"
#define JOB_TIMEOUT (10 * USEC_PER_SEC)

/* Characters systemd allows in a unit name's prefix (before the type suffix). */
static bool unit_prefix_valid(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:-_.\\",
			    p[i]) ||
		    p[i] == '\0')
			return false;
	return true;
}

int systemd_slice_path(const char *slice, char **ret)
{
	if (!endswith(slice, ".slice"))
		return -EINVAL;
	size_t n = strlen(slice) - strlen(".slice");
	if (n == 1 && slice[0] == '-')
		return (*ret = strdup("")) ? 0 : -ENOMEM;
	if (!unit_prefix_valid(slice, n) || slice[0] == '-' || slice[n - 1] == '-' ||
	    memmem(slice, n, "--", 2) || strlen(slice) > 255)
		return -EINVAL;

	/* Each dash starts a parent: a-b-c.slice lives in a.slice/a-b.slice/. */
	size_t cap = 1;
	for (size_t i = 0; i < n; i++)
		cap += slice[i] == '-' ? i + strlen(".slice/") : 0;
	cap += strlen(slice);
	char *p = malloc(cap + 1), *w = p;
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (slice[i] == '-')
			w += sprintf(w, "%.*s.slice/", (int)i, slice);
	strcpy(w, slice);
	*ret = p;
	return 0;
}

int systemd_scope_parse(const char *cgroups_path, const char *id, bool user, SystemdScope *ret,
			RunError *e)
{
	_cleanup_free_ char *def = NULL, *slice_path = NULL;
	const char *default_slice = user ? "user.slice" : "system.slice";
	SystemdScope s = {.user = user};
	int r;

	if (isempty(cgroups_path)) {
		if (asprintf(&def, "%s:lazuli-run:%s", default_slice, id) < 0)
			return -ENOMEM;
		cgroups_path = def;
	}
	const char *c1 = strchr(cgroups_path, ':');
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c1 || !c2 || strchr(c2 + 1, ':'))
		return run_error(e, -EINVAL,
				 "linux.cgroupsPath: \"%s\": the systemd cgroup driver expects "
				 "\"slice:prefix:name\"",
				 cgroups_path);
	const char *prefix = c1 + 1, *name = c2 + 1;
	size_t prefix_len = (size_t)(c2 - prefix);

	s.slice = c1 == cgroups_path ? strdup(default_slice)
				     : strndup(cgroups_path, (size_t)(c1 - cgroups_path));
	if (!s.slice)
		return -ENOMEM;
	if (isempty(name) || strchr(name, '/'))
		r = -EINVAL;
	else if (endswith(name, ".slice") || endswith(name, ".scope"))
		/* A full unit name: used as it is (runc does the same). */
		r = (s.unit = strdup(name)) ? 0 : -ENOMEM;
	else if (prefix_len > 0)
		r = asprintf(&s.unit, "%.*s-%s.scope", (int)prefix_len, prefix, name) < 0 ? -ENOMEM
											  : 0;
	else
		r = asprintf(&s.unit, "%s.scope", name) < 0 ? -ENOMEM : 0;
	if (r == 0 && (!endswith(s.unit, ".scope") || strlen(s.unit) > 255 ||
		       !unit_prefix_valid(s.unit, strlen(s.unit) - strlen(".scope"))))
		r = -EINVAL;
	if (r == -ENOMEM)
		goto fail;
	if (r < 0) {
		r = run_error(e, r,
			      "linux.cgroupsPath: \"%s\": \"%s\" is not a valid systemd scope name "
			      "(letters, digits, \":-_.\\\", at most 255 bytes)",
			      cgroups_path, name);
		goto fail;
	}

	r = systemd_slice_path(s.slice, &slice_path);
	if (r == -EINVAL) {
		r = run_error(e, r, "linux.cgroupsPath: \"%s\": \"%s\" is not a valid slice name",
			      cgroups_path, s.slice);
		goto fail;
	}
	if (r < 0)
		goto fail;
	if (asprintf(&s.path, "%s%s%s", slice_path, *slice_path ? "/" : "", s.unit) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	*ret = s;
	return 0;
fail:
	systemd_scope_done(&s);
	return r;
}

/* ---- libsystemd, opened on first use */

static struct {
	int (*bus_new)(sd_bus **);
	int (*bus_set_address)(sd_bus *, const char *);
	int (*bus_start)(sd_bus *);
	int (*bus_open_system)(sd_bus **);
	int (*bus_open_user)(sd_bus **);
	int (*get_property_string)(sd_bus *, const char *, const char *, const char *, const char *,
				   sd_bus_error *, char **);
	sd_bus *(*bus_flush_close_unref)(sd_bus *);
	sd_bus *(*bus_ref)(sd_bus *);
	sd_bus *(*bus_unref)(sd_bus *);
	int (*message_new_method_call)(sd_bus *, sd_bus_message **, const char *, const char *,
				       const char *, const char *);
	int (*message_append)(sd_bus_message *, const char *, ...);
	int (*message_open_container)(sd_bus_message *, char, const char *);
	int (*message_close_container)(sd_bus_message *);
	int (*message_read)(sd_bus_message *, const char *, ...);
	sd_bus_message *(*message_unref)(sd_bus_message *);
	int (*call)(sd_bus *, sd_bus_message *, uint64_t, sd_bus_error *, sd_bus_message **);
	int (*call_method)(sd_bus *, const char *, const char *, const char *, const char *,
			   sd_bus_error *, sd_bus_message **, const char *, ...);
	int (*match_signal)(sd_bus *, sd_bus_slot **, const char *, const char *, const char *,
			    const char *, sd_bus_message_handler_t, void *);
	sd_bus_slot *(*slot_unref)(sd_bus_slot *);
	int (*process)(sd_bus *, sd_bus_message **);
	int (*wait)(sd_bus *, uint64_t);
	void (*error_free)(sd_bus_error *);
} sd;

static int load_libsystemd(RunError *e)
{
	static const DlSymbol syms[] = {
	    {"sd_bus_new", (void **)&sd.bus_new},
	    {"sd_bus_set_address", (void **)&sd.bus_set_address},
	    {"sd_bus_start", (void **)&sd.bus_start},
	    {"sd_bus_open_system", (void **)&sd.bus_open_system},
	    {"sd_bus_open_user", (void **)&sd.bus_open_user},
	    {"sd_bus_get_property_string", (void **)&sd.get_property_string},
	    {"sd_bus_flush_close_unref", (void **)&sd.bus_flush_close_unref},
	    {"sd_bus_ref", (void **)&sd.bus_ref},
	    {"sd_bus_unref", (void **)&sd.bus_unref},
	    {"sd_bus_message_new_method_call", (void **)&sd.message_new_method_call},
	    {"sd_bus_message_append", (void **)&sd.message_append},
	    {"sd_bus_message_open_container", (void **)&sd.message_open_container},
	    {"sd_bus_message_close_container", (void **)&sd.message_close_container},
	    {"sd_bus_message_read", (void **)&sd.message_read},
	    {"sd_bus_message_unref", (void **)&sd.message_unref},
	    {"sd_bus_call", (void **)&sd.call},
	    {"sd_bus_call_method", (void **)&sd.call_method},
	    {"sd_bus_match_signal", (void **)&sd.match_signal},
	    {"sd_bus_slot_unref", (void **)&sd.slot_unref},
	    {"sd_bus_process", (void **)&sd.process},
	    {"sd_bus_wait", (void **)&sd.wait},
	    {"sd_bus_error_free", (void **)&sd.error_free},
	};
	static void *handle;
	char err[256];

	if (handle)
		return 0;
	handle = dl_open_symbols(LIBSYSTEMD_SONAME, syms, ELEMENTSOF(syms), err, sizeof(err));
	if (!handle)
		return run_error(e, -ENOENT, "--systemd-cgroup: %s", err);
	return 0;
}

void systemd_scope_done(SystemdScope *s)
{
	free(s->slice);
	free(s->unit);
	free(s->path);
	if (s->bus)
		sd.bus_flush_close_unref(s->bus);
	*s = (SystemdScope){};
}

static int bus_connect_private(const char *path, sd_bus **ret)
{
	/* A D-Bus address: bytes other than these are written %XX. */
	static const char plain[] = "-_/.\\*0123456789"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	_cleanup_free_ char *address = malloc(strlen("unix:path=") + 3 * strlen(path) + 1);
	sd_bus *bus = NULL;
	if (!address)
		return -ENOMEM;
	char *w = stpcpy(address, "unix:path=");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		w += strchr(plain, *p) ? sprintf(w, "%c", *p) : sprintf(w, "%%%02x", *p);
	int r = sd.bus_new(&bus);
	if (r < 0)
		return r;
	r = sd.bus_set_address(bus, address);
	if (r >= 0)
		r = sd.bus_start(bus);
	if (r < 0) {
		sd.bus_flush_close_unref(bus);
		return r;
	}
	*ret = bus;
	return 0;
}

/*
 * The manager's private socket where we may use it: no bus daemon in
 * between, and it works before dbus.service (or a user's session bus) is
 * up. As root, the system manager's; rootless, the user manager's in
 * $XDG_RUNTIME_DIR. Otherwise the system bus, or the user's session bus.
 */
static int bus_connect(bool user, sd_bus **ret, RunError *e)
{
	_cleanup_free_ char *user_private = NULL;
	const char *runtime_dir = getenv("XDG_RUNTIME_DIR");
	int r;

	if (user) {
		if (isempty(runtime_dir) && isempty(getenv("DBUS_SESSION_BUS_ADDRESS")))
			return run_error(
			    e, -ENOMEDIUM,
			    "--systemd-cgroup: running rootless, the container's scope "
			    "comes from the systemd user manager, found through "
			    "XDG_RUNTIME_DIR, which is not set (log in through "
			    "pam_systemd, or use the cgroupfs driver)");
		if (!isempty(runtime_dir) &&
		    asprintf(&user_private, "%s/systemd/private", runtime_dir) < 0)
			return -ENOMEM;
	}
	const char *private = user ? user_private : geteuid() == 0 ? "/run/systemd/private" : NULL;
	if (private && access(private, F_OK) == 0 && bus_connect_private(private, ret) >= 0)
		return 0;
	r = user ? sd.bus_open_user(ret) : sd.bus_open_system(ret);
	if (r < 0)
		return run_error(
		    e, r,
		    "--systemd-cgroup: cannot connect to the systemd %s manager over D-Bus: %m",
		    user ? "user" : "system");
	return 0;
}

int systemd_scope_locate(SystemdScope *s, RunError *e)
{
	sd_bus *bus = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	char *cg = NULL, *path = NULL;
	int r;

	if (!s->user)
		return 0;
	r = load_libsystemd(e);
	if (r < 0)
		return r;
	r = bus_connect(true, &bus, e);
	if (r < 0)
		return r;
	r = sd.get_property_string(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
				   "org.freedesktop.systemd1.Manager", "ControlGroup", &err, &cg);
	if (r < 0)
		r = run_error(e, r,
			      "--systemd-cgroup: cannot ask the systemd user manager for its "
			      "cgroup: %s",
			      err.message ? err.message : strerror(-r));
	else if (!cg || cg[0] != '/' || strstr(cg, "/../") || endswith(cg, "/.."))
		r = run_error(e, -EIO,
			      "--systemd-cgroup: the systemd user manager's cgroup is \"%s\"",
			      cg ? cg : "");
	else if (asprintf(&path, "%s%s%s", cg + 1, cg[1] ? "/" : "", s->path) < 0)
		r = -ENOMEM;
	else {
		free(s->path);
		s->path = path;
		r = 0;
	}
	free(cg);
	sd.error_free(&err);
	s->bus = bus;
	return r;
}

typedef struct JobWait {
	const char *job;
	char *result; /* set when the job's JobRemoved arrived */
} JobWait;

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	JobWait *w = userdata;
	const char *path = NULL, *unit = NULL, *result = NULL;
	uint32_t id;
	(void)ret_error;

	if (sd.message_read(m, "uoss", &id, &path, &unit, &result) < 0)
		return 0;
	if (w->job && path && streq(path, w->job) && !w->result)
		w->result = strdup(result ? result : "");
	return 0;
}

/* Subscribe to the end of jobs before asking for one, so that its end cannot slip by. */
static int job_watch(sd_bus *bus, sd_bus_slot **slot, JobWait *w, RunError *e)
{
	int r =
	    sd.match_signal(bus, slot, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
			    "org.freedesktop.systemd1.Manager", "JobRemoved", on_job_removed, w);
	if (r < 0)
		return run_error(e, r, "--systemd-cgroup: cannot watch systemd's jobs: %m");
	return 0;
}

/*
 * The job that reply (to method) names, followed until it has ended, at most
 * JOB_TIMEOUT; "done" is success.
 */
static int job_wait(sd_bus *bus, sd_bus_message *reply, JobWait *w, const char *method,
		    const char *verb, const char *unit, RunError *e)
{
	usec_t deadline = now_usec(CLOCK_MONOTONIC) + JOB_TIMEOUT;
	int r;

	r = sd.message_read(reply, "o", &w->job);
	if (r < 0)
		return run_error(e, r, "--systemd-cgroup: unexpected reply to %s", method);
	while (!w->result) {
		r = sd.process(bus, NULL);
		if (r < 0)
			return run_error(e, r, "--systemd-cgroup: D-Bus connection to systemd: %m");
		if (r > 0)
			continue;
		usec_t now = now_usec(CLOCK_MONOTONIC);
		if (now >= deadline)
			return run_error(e, -ETIMEDOUT,
					 "linux.cgroupsPath: systemd did not finish the job to %s "
					 "%s in %u s",
					 verb, unit, (unsigned)(JOB_TIMEOUT / USEC_PER_SEC));
		r = sd.wait(bus, deadline - now);
		if (r < 0)
			return run_error(e, r, "--systemd-cgroup: D-Bus connection to systemd: %m");
	}
	if (!streq(w->result, "done"))
		return run_error(e, -EIO, "linux.cgroupsPath: systemd's job to %s %s ended \"%s\"",
				 verb, unit, w->result);
	return 0;
}

static int append_property(sd_bus_message *m, const char *name, const char *type, ...)
{
	/* Only the types used here: "s", "b", "t". */
	va_list ap;
	int r = sd.message_open_container(m, 'r', "sv");
	if (r < 0)
		return r;
	r = sd.message_append(m, "s", name);
	if (r < 0)
		return r;
	r = sd.message_open_container(m, 'v', type);
	if (r < 0)
		return r;
	va_start(ap, type);
	if (streq(type, "s"))
		r = sd.message_append(m, type, va_arg(ap, const char *));
	else if (streq(type, "b"))
		r = sd.message_append(m, type, va_arg(ap, int));
	else
		r = sd.message_append(m, type, va_arg(ap, uint64_t));
	va_end(ap);
	if (r < 0)
		return r;
	r = sd.message_close_container(m);
	if (r < 0)
		return r;
	return sd.message_close_container(m);
}

static int append_properties(sd_bus_message *m, const SystemdScope *s, pid_t pid,
			     const RunResources *res, const char *description)
{
	int r;
	if ((r = append_property(m, "Description", "s", description)) < 0 ||
	    (r = append_property(m, "Slice", "s", s->slice)) < 0 ||
	    (r = append_property(m, "Delegate", "b", 1)) < 0 ||
	    /* A scope that failed is not kept around until someone resets it. */
	    (r = append_property(m, "CollectMode", "s", "inactive-or-failed")) < 0)
		return r;

	/* PIDs: au */
	if ((r = sd.message_open_container(m, 'r', "sv")) < 0 ||
	    (r = sd.message_append(m, "s", "PIDs")) < 0 ||
	    (r = sd.message_open_container(m, 'v', "au")) < 0 ||
	    (r = sd.message_append(m, "au", 1, (uint32_t)pid)) < 0 ||
	    (r = sd.message_close_container(m)) < 0 || (r = sd.message_close_container(m)) < 0)
		return r;

	/* The limits, so that systemd keeps them (it rewrites a unit's cgroup on reload). */
	if (res->has_memory_limit &&
	    (r = append_property(m, "MemoryMax", "t",
				 res->memory_limit < 0 ? UINT64_MAX
						       : (uint64_t)res->memory_limit)) < 0)
		return r;
	if (res->has_pids_limit &&
	    (r = append_property(m, "TasksMax", "t",
				 res->pids_limit <= 0 ? UINT64_MAX : (uint64_t)res->pids_limit)) <
		0)
		return r;
	uint64_t period = res->has_cpu_period && res->cpu_period > 0 ? res->cpu_period : 100000;
	if (res->has_cpu_period && (r = append_property(m, "CPUQuotaPeriodUSec", "t", period)) < 0)
		return r;
	if (res->has_cpu_quota) {
		/* systemd takes the quota per second of wall time. */
		uint64_t per_sec = res->cpu_quota < 0
				       ? UINT64_MAX
				       : (uint64_t)res->cpu_quota * USEC_PER_SEC / period;
		if ((r = append_property(m, "CPUQuotaPerSecUSec", "t", per_sec)) < 0)
			return r;
	}
	return 0;
}

int systemd_scope_start(const SystemdScope *s, pid_t pid, const RunResources *res,
			const char *description, RunError *e)
{
	sd_bus *bus = NULL;
	sd_bus_slot *slot = NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	JobWait w = {};
	int r;

	r = load_libsystemd(e);
	if (r < 0)
		return r;
	if (s->bus)
		bus = sd.bus_ref(s->bus);
	else
		r = bus_connect(s->user, &bus, e);
	if (r < 0)
		goto out;
	r = job_watch(bus, &slot, &w, e);
	if (r < 0)
		goto out;
	r = sd.message_new_method_call(bus, &m, "org.freedesktop.systemd1",
				       "/org/freedesktop/systemd1",
				       "org.freedesktop.systemd1.Manager", "StartTransientUnit");
	if (r >= 0)
		r = sd.message_append(m, "ss", s->unit, "fail");
	if (r >= 0)
		r = sd.message_open_container(m, 'a', "(sv)");
	if (r >= 0)
		r = append_properties(m, s, pid, res, description);
	if (r >= 0)
		r = sd.message_close_container(m);
	if (r >= 0) /* no auxiliary units */
		r = sd.message_append(m, "a(sa(sv))", 0);
	if (r < 0) {
		r = run_error(e, r, "--systemd-cgroup: cannot build the D-Bus request: %m");
		goto out;
	}
	r = sd.call(bus, m, JOB_TIMEOUT, &err, &reply);
	if (r < 0) {
		if (err.name && streq(err.name, "org.freedesktop.systemd1.UnitExists"))
			r = run_error(e, -EEXIST,
				      "linux.cgroupsPath: systemd unit %s exists already (%s)",
				      s->unit, err.message ? err.message : "");
		else
			r = run_error(e, r, "linux.cgroupsPath: systemd did not start %s: %s",
				      s->unit, err.message ? err.message : strerror(-r));
		goto out;
	}
	r = job_wait(bus, reply, &w, "StartTransientUnit", "start", s->unit, e);
out:
	free(w.result);
	sd.error_free(&err);
	if (reply)
		sd.message_unref(reply);
	if (m)
		sd.message_unref(m);
	if (slot)
		sd.slot_unref(slot);
	/* the connection shared with s is closed by systemd_scope_done() */
	if (bus && s->bus)
		sd.bus_unref(bus);
	else if (bus)
		sd.bus_flush_close_unref(bus);
	return r;
}

int systemd_scope_stop(const char *unit, bool user, RunError *e)
{
	sd_bus *bus = NULL;
	sd_bus_slot *slot = NULL;
	sd_bus_message *reply = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	JobWait w = {};
	int r;

	r = load_libsystemd(e);
	if (r < 0)
		return r;
	r = bus_connect(user, &bus, e);
	if (r < 0)
		return r;
	r = job_watch(bus, &slot, &w, e);
	if (r < 0)
		goto out;
	r = sd.call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
			   "org.freedesktop.systemd1.Manager", "StopUnit", &err, &reply, "ss", unit,
			   "replace");
	if (r < 0) {
		/* gone already: systemd saw it empty and stopped it */
		if (err.name && streq(err.name, "org.freedesktop.systemd1.NoSuchUnit"))
			r = 0;
		else
			r = run_error(e, r, "--systemd-cgroup: systemd did not stop %s: %s", unit,
				      err.message ? err.message : strerror(-r));
		goto out;
	}
	r = job_wait(bus, reply, &w, "StopUnit", "stop", unit, e);
out:
	free(w.result);
	sd.error_free(&err);
	if (reply)
		sd.message_unref(reply);
	if (slot)
		sd.slot_unref(slot);
	sd.bus_flush_close_unref(bus);
	return r;
}
