/* SPDX-License-Identifier: MIT */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "fileio.h"
#include "json-util.h"
#include "strutil.h"

ContainerState *container_state_free(ContainerState *s)
{
	if (!s)
		return NULL;
	free(s->id);
	free(s->oci_version);
	free(s->bundle);
	free(s->rootfs);
	free(s->created);
	free(s->cgroup_path);
	free(s->cgroup_v1_mount);
	free(s->annotations_json);
	rdt_group_done(&s->rdt);
	free(s);
	return NULL;
}

static void add_string(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(strempty(v)));
}

/*
 * Written to a temporary file and renamed over state.json, so a reader sees
 * the old or the new state, never half of one. Not fsync'd: the state
 * directory lives in /run, and after a crash of the machine there is no
 * container left for the state to describe.
 */
static int write_state_file(int dirfd, const char *text)
{
	static const char tmp[] = ".state.json.tmp";
	_cleanup_close_ int fd =
	    openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return negative_errno();
	int r = loop_write(fd, text, strlen(text));
	if (r >= 0 && renameat(dirfd, tmp, dirfd, STATE_FILE) < 0)
		r = negative_errno();
	if (r < 0)
		(void)unlinkat(dirfd, tmp, 0);
	return r;
}

int state_save(int dirfd, const ContainerState *s)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	add_string(o, "id", s->id);
	add_string(o, "ociVersion", s->oci_version);
	json_object_object_add(o, "pid", json_object_new_int(s->pid));
	json_object_object_add(o, "startTime", json_object_new_uint64(s->start_time));
	add_string(o, "bundle", s->bundle);
	add_string(o, "rootfs", s->rootfs);
	add_string(o, "created", s->created);
	if (s->cgroup_path) {
		add_string(o, "cgroupPath", s->cgroup_path);
		json_object_object_add(o, "cgroupCreated",
				       json_object_new_boolean(s->cgroup_created));
		if (s->cgroup_v1_mount)
			add_string(o, "cgroupV1Mount", s->cgroup_v1_mount);
		if (s->systemd_scope)
			json_object_object_add(o, "systemdScope", json_object_new_boolean(true));
		if (s->systemd_user)
			json_object_object_add(o, "systemdUser", json_object_new_boolean(true));
	}
	json_object_object_add(o, "owner", json_object_new_int64(s->owner));
	if (s->hooks)
		json_object_object_add(o, "hooks", json_object_new_int64(s->hooks));
	if (s->annotations_json)
		add_string(o, "annotations", s->annotations_json);
	if (s->no_new_keyring)
		json_object_object_add(o, "noNewKeyring", json_object_new_boolean(true));
	if (s->rdt.path) {
		add_string(o, "intelRdtPath", s->rdt.path);
		json_object_object_add(o, "intelRdtCreated",
				       json_object_new_boolean(s->rdt.created));
	}
	if (s->rdt.mon_path) {
		add_string(o, "intelRdtMonPath", s->rdt.mon_path);
		json_object_object_add(o, "intelRdtMonCreated",
				       json_object_new_boolean(s->rdt.mon_created));
	}
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	return write_state_file(dirfd, text);
}

static int dup_member(json_object *o, const char *key, char **ret)
{
	const char *v = json_get_string(o, key);
	if (!v)
		return -EBADMSG;
	*ret = strdup(v);
	return *ret ? 0 : -ENOMEM;
}

int state_load(const char *root, const char *id, ContainerState **ret, RunError *e)
{
	_cleanup_free_ char *path = NULL, *buf = NULL;
	_cleanup_json_ json_object *o = NULL;
	_cleanup_state_ ContainerState *s = NULL;
	json_object *v;
	size_t len;
	int r;

	if (!container_id_is_valid(id))
		return run_error(e, -EINVAL, "invalid container id \"%s\"", id);
	if (asprintf(&path, "%s/%s/%s", root, id, STATE_FILE) < 0)
		return -ENOMEM;
	r = read_full_file(path, 1024 * 1024, &buf, &len);
	if (r == -ENOENT || r == -ENOTDIR)
		return run_error(e, -ENOENT, "container \"%s\" does not exist", id);
	if (r < 0)
		return run_error(e, r, "cannot read %s: %m", path);
	r = json_parse_strict(buf, len, &o, NULL, 0);
	if (r < 0 || !json_object_is_type(o, json_type_object))
		return run_error(e, -EBADMSG, "%s is corrupt", path);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (dup_member(o, "id", &s->id) < 0 || dup_member(o, "ociVersion", &s->oci_version) < 0 ||
	    dup_member(o, "bundle", &s->bundle) < 0 || dup_member(o, "rootfs", &s->rootfs) < 0 ||
	    dup_member(o, "created", &s->created) < 0)
		return run_error(e, -EBADMSG, "%s is corrupt", path);
	if (json_object_object_get_ex(o, "cgroupPath", &v) &&
	    dup_member(o, "cgroupPath", &s->cgroup_path) < 0)
		return -ENOMEM;
	if (json_object_object_get_ex(o, "cgroupV1Mount", &v) &&
	    dup_member(o, "cgroupV1Mount", &s->cgroup_v1_mount) < 0)
		return -ENOMEM;
	if (json_object_object_get_ex(o, "cgroupCreated", &v))
		s->cgroup_created = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "systemdScope", &v))
		s->systemd_scope = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "systemdUser", &v))
		s->systemd_user = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "annotations", &v) &&
	    dup_member(o, "annotations", &s->annotations_json) < 0)
		return -ENOMEM;
	if (json_object_object_get_ex(o, "pid", &v))
		s->pid = json_object_get_int(v);
	if (json_object_object_get_ex(o, "startTime", &v))
		s->start_time = json_object_get_uint64(v);
	if (json_object_object_get_ex(o, "owner", &v))
		s->owner = (uid_t)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "hooks", &v))
		s->hooks = (unsigned)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "noNewKeyring", &v))
		s->no_new_keyring = json_object_get_boolean(v);
	if ((json_object_object_get_ex(o, "intelRdtPath", &v) &&
	     dup_member(o, "intelRdtPath", &s->rdt.path) < 0) ||
	    (json_object_object_get_ex(o, "intelRdtMonPath", &v) &&
	     dup_member(o, "intelRdtMonPath", &s->rdt.mon_path) < 0))
		return -ENOMEM;
	if (json_object_object_get_ex(o, "intelRdtCreated", &v))
		s->rdt.created = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "intelRdtMonCreated", &v))
		s->rdt.mon_created = json_object_get_boolean(v);
	*ret = TAKE_PTR(s);
	return 0;
}

ContainerStatus state_status(const char *root, const ContainerState *s)
{
	if (s->pid <= 0)
		return STATUS_CREATING;
	uint64_t st = process_start_time(s->pid);
	if (st == 0 || st != s->start_time)
		return STATUS_STOPPED;
	char path[4096];
	if (s->cgroup_path &&
	    cgroup_is_frozen(&(CgroupRef){.path = s->cgroup_path, .v1_mount = s->cgroup_v1_mount}))
		return STATUS_PAUSED;
	snprintf(path, sizeof(path), "%s/%s/%s", root, s->id, EXEC_FIFO);
	return access(path, F_OK) == 0 ? STATUS_CREATED : STATUS_RUNNING;
}

const char *status_to_string(ContainerStatus st)
{
	static const char *const names[] = {"creating", "created", "running", "stopped", "paused"};
	return names[st];
}

static json_object *state_object(const ContainerState *s, ContainerStatus st)
{
	json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	add_string(o, "ociVersion", s->oci_version);
	add_string(o, "id", s->id);
	json_object_object_add(o, "pid", json_object_new_int(st == STATUS_STOPPED ? 0 : s->pid));
	add_string(o, "status", status_to_string(st));
	add_string(o, "bundle", s->bundle);
	add_string(o, "rootfs", s->rootfs);
	add_string(o, "created", s->created);
	add_string(o, "owner", "");
	if (s->annotations_json) {
		json_object *a = json_tokener_parse(s->annotations_json);
		if (a)
			json_object_object_add(o, "annotations", a);
	}
	return o;
}

char *state_to_oci_json(const ContainerState *s, ContainerStatus st, bool pretty)
{
	_cleanup_json_ json_object *o = state_object(s, st);
	if (!o)
		return NULL;
	int flags =
	    JSON_C_TO_STRING_NOSLASHESCAPE |
	    (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN);
	const char *text = json_object_to_json_string_ext(o, flags);
	return text ? strdup(text) : NULL;
}

char *seccomp_process_state_json(const ContainerState *s, ContainerStatus st, pid_t pid,
				 const char *metadata)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *fds = json_object_new_array();
	if (!o || !fds) {
		json_object_put(fds);
		return NULL;
	}
	add_string(o, "ociVersion", s->oci_version);
	json_object_array_add(fds, json_object_new_string("seccompFd"));
	json_object_object_add(o, "fds", fds);
	json_object_object_add(o, "pid", json_object_new_int(pid));
	if (metadata)
		add_string(o, "metadata", metadata);
	json_object *state = state_object(s, st);
	if (!state)
		return NULL;
	json_object_object_add(o, "state", state);
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE |
								 JSON_C_TO_STRING_PLAIN);
	return text ? strdup(text) : NULL;
}
