/* SPDX-License-Identifier: MIT */
/* lazuli-run helpers: in-root path resolution, ids, signals, state files, seccomp compilation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-devices.h"
#include "cgroup-systemd.h"
#include "cgroup.h"
#include "container.h"
#include "fileio.h"
#include "intelrdt.h"
#include "lsm.h"
#include "oci-config.h"
#include "rootsetup.h"
#include "seccomp-filter.h"
#include "spec.h"
#include "state.h"
#include "util.h"

static char tmp[512];

static int setup_tmp(void **state)
{
	snprintf(tmp, sizeof(tmp), "%s/lazuli-run-unit.XXXXXX", getenv("TMPDIR") ?: "/tmp");
	assert_non_null(mkdtemp(tmp));
	return 0;
}

static int teardown_tmp(void **state)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void path_of(int fd, char *buf, size_t len)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(p, buf, len - 1);
	assert_true(n > 0);
	buf[n] = '\0';
}

static void put(const char *dir, const char *name, const char *content)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

/* TMP/name, made, into buf. */
static void tmp_subdir(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmp, name);
	assert_int_equal(mkdir(buf, 0755), 0);
}

static void test_in_root(void **state)
{
	char root[1024], outside[1024], p[PATH_MAX], got[PATH_MAX];
	tmp_subdir(root, sizeof(root), "root");
	tmp_subdir(outside, sizeof(outside), "outside");
	/* Hostile rootfs: an absolute link to the host's /etc, a relative one climbing out. */
	snprintf(p, sizeof(p), "%s/abs", root);
	assert_int_equal(symlink("/etc", p), 0);
	snprintf(p, sizeof(p), "%s/rel", root);
	assert_int_equal(symlink("../../../../../../outside", p), 0);
	snprintf(p, sizeof(p), "%s/etc", root);
	assert_int_equal(mkdir(p, 0755), 0);

	int rootfd = open(root, O_PATH | O_DIRECTORY);
	assert_true(rootfd >= 0);

	/* "/abs" is ROOT/etc, never the host's /etc. */
	int fd = mkdir_p_in_root(rootfd, "/abs/lazuli-run-unit-test", false);
	assert_true(fd >= 0);
	path_of(fd, got, sizeof(got));
	snprintf(p, sizeof(p), "%s/etc/lazuli-run-unit-test", root);
	assert_string_equal(got, p);
	close(fd);
	assert_int_equal(access("/etc/lazuli-run-unit-test", F_OK), -1);

	/* "rel" points at ROOT/outside, which does not exist: refused, nothing made outside. */
	assert_int_equal(mkdir_p_in_root(rootfd, "rel/y", false), -ENOENT);
	snprintf(p, sizeof(p), "%s/y", outside);
	assert_int_equal(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "%s/outside", root);
	assert_int_equal(mkdir(p, 0755), 0);
	fd = mkdir_p_in_root(rootfd, "rel/y/z", false);
	assert_true(fd >= 0);
	path_of(fd, got, sizeof(got));
	snprintf(p, sizeof(p), "%s/outside/y/z", root);
	assert_string_equal(got, p);
	close(fd);
	snprintf(p, sizeof(p), "%s/y", outside);
	assert_int_equal(access(p, F_OK), -1);
	struct stat st;

	/* ".." cannot climb above the root either. */
	fd = open_in_root(rootfd, "/../../../etc", O_PATH);
	assert_true(fd >= 0);
	path_of(fd, got, sizeof(got));
	snprintf(p, sizeof(p), "%s/etc", root);
	assert_string_equal(got, p);
	close(fd);

	/* A file target and a file in the way of a directory. */
	fd = mkdir_p_in_root(rootfd, "/etc/hosts", true);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	close(fd);
	assert_int_equal(mkdir_p_in_root(rootfd, "/etc/hosts/x", false), -ENOTDIR);
	close(rootfd);
}

static void test_parent_and_nofollow_in_root(void **state)
{
	char root[1024], p[PATH_MAX], got[PATH_MAX];
	tmp_subdir(root, sizeof(root), "root");
	snprintf(p, sizeof(p), "%s/abs", root);
	assert_int_equal(symlink("/etc", p), 0);
	snprintf(p, sizeof(p), "%s/etc", root);
	assert_int_equal(mkdir(p, 0755), 0);
	put(p, "passwd", "root:x:0:0::/:/bin/sh\n");
	snprintf(p, sizeof(p), "%s/link", root);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	int rootfd = open(root, O_PATH | O_DIRECTORY);
	assert_true(rootfd >= 0);

	/* Parents are made inside the root, through its links; the name is handed back. */
	char *name = NULL;
	int fd = mkdir_parent_in_root(rootfd, "/abs/a/b/", &name);
	assert_true(fd >= 0);
	assert_string_equal(name, "b");
	path_of(fd, got, sizeof(got));
	snprintf(p, sizeof(p), "%s/etc/a", root);
	assert_string_equal(got, p);
	close(fd);
	free(name);
	name = NULL;
	fd = mkdir_parent_in_root(rootfd, "top", &name);
	assert_true(fd >= 0);
	assert_string_equal(name, "top");
	path_of(fd, got, sizeof(got));
	assert_string_equal(got, root);
	close(fd);
	free(name);
	name = NULL;
	assert_int_equal(mkdir_parent_in_root(rootfd, "/", &name), -EINVAL);
	assert_int_equal(mkdir_parent_in_root(rootfd, "/abs/..", &name), -EINVAL);
	assert_int_equal(mkdir_parent_in_root(rootfd, "/link/x", &name), -ENOTDIR);
	assert_null(name);

	/* The last component is not followed: the fd names the link itself. */
	fd = open_nofollow_in_root(rootfd, "/link", true);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstatat(fd, "", &st, AT_EMPTY_PATH), 0);
	assert_true(S_ISLNK(st.st_mode));
	close(fd);
	/* A missing one is made, as a file or a directory, below links that are followed. */
	fd = open_nofollow_in_root(rootfd, "/abs/new-file", true);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	close(fd);
	snprintf(p, sizeof(p), "%s/etc/new-file", root);
	assert_int_equal(access(p, F_OK), 0);
	fd = open_nofollow_in_root(rootfd, "/new-dir", false);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	close(fd);
	close(rootfd);
}

static void test_copy_tree(void **state)
{
	char from[1024], to[1024], p[PATH_MAX], got[PATH_MAX];
	tmp_subdir(from, sizeof(from), "from");
	tmp_subdir(to, sizeof(to), "to");
	put(from, "f", "content");
	snprintf(p, sizeof(p), "%s/f", from);
	assert_int_equal(chmod(p, 0604), 0);
	struct timespec old[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
	assert_int_equal(utimensat(AT_FDCWD, p, old, 0), 0);
	snprintf(p, sizeof(p), "%s/sub", from);
	assert_int_equal(mkdir(p, 0710), 0);
	put(p, "g", "deep");
	snprintf(p, sizeof(p), "%s/link", from);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	snprintf(p, sizeof(p), "%s/fifo", from);
	assert_int_equal(mkfifo(p, 0640), 0);

	int f = open(from, O_RDONLY | O_DIRECTORY), t = open(to, O_RDONLY | O_DIRECTORY);
	assert_true(f >= 0 && t >= 0);
	assert_int_equal(copy_tree(f, t, 0), 0);
	/* Copying again over what is there is refused, not merged. */
	assert_int_equal(copy_tree(f, t, 0), -EEXIST);
	close(f);
	close(t);

	struct stat st;
	char *text = NULL;
	snprintf(p, sizeof(p), "%s/f", to);
	assert_int_equal(read_full_file(p, 64, &text, NULL), 0);
	assert_string_equal(text, "content");
	free(text);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0604);
	assert_int_equal(st.st_mtim.tv_sec, 1000000000);
	snprintf(p, sizeof(p), "%s/sub/g", to);
	assert_int_equal(read_full_file(p, 64, &text, NULL), 0);
	assert_string_equal(text, "deep");
	free(text);
	snprintf(p, sizeof(p), "%s/sub", to);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0710);
	/* A link stays a link: it is never followed. */
	snprintf(p, sizeof(p), "%s/link", to);
	ssize_t n = readlink(p, got, sizeof(got) - 1);
	assert_true(n > 0);
	got[n] = '\0';
	assert_string_equal(got, "/etc/passwd");
	snprintf(p, sizeof(p), "%s/fifo", to);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
}

static void test_ids_and_signals(void **state)
{
	assert_true(container_id_is_valid("abc-1.2_3+x"));
	assert_false(container_id_is_valid(""));
	assert_false(container_id_is_valid("."));
	assert_false(container_id_is_valid(".."));
	assert_false(container_id_is_valid("a/b"));
	assert_false(container_id_is_valid("a b"));
	char big[1100];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_false(container_id_is_valid(big));

	assert_int_equal(signal_from_string("KILL"), SIGKILL);
	assert_int_equal(signal_from_string("SIGTERM"), SIGTERM);
	assert_int_equal(signal_from_string("sigusr1"), SIGUSR1);
	assert_int_equal(signal_from_string("9"), 9);
	assert_int_equal(signal_from_string("RTMIN+2"), SIGRTMIN + 2);
	assert_int_equal(signal_from_string("SIGRTMAX-1"), SIGRTMAX - 1);
	assert_int_equal(signal_from_string("0"), -EINVAL);
	assert_int_equal(signal_from_string("65"), -EINVAL);
	assert_int_equal(signal_from_string("-9"), -EINVAL);
	assert_int_equal(signal_from_string("NOPE"), -EINVAL);
	assert_int_equal(signal_from_string(""), -EINVAL);
}

static void test_state_roundtrip(void **state)
{
	char dir[PATH_MAX];
	RunError e = {};
	snprintf(dir, sizeof(dir), "%s/state/c1", tmp);
	assert_int_equal(mkdir_p(dir, 0700), 0);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);

	ContainerState s = {
	    .id = (char *)"c1",
	    .oci_version = (char *)"1.2.0",
	    .pid = getpid(),
	    .start_time = process_start_time(getpid()),
	    .bundle = (char *)"/b",
	    .rootfs = (char *)"/b/rootfs",
	    .created = (char *)"2026-01-01T00:00:00.000000001Z",
	    .annotations_json = (char *)"{\"k\":\"v\"}",
	    .no_new_keyring = true,
	    .rdt = {.path = (char *)"/sys/fs/resctrl/gold",
		    .mon_path = (char *)"/m/c1",
		    .mon_created = true},
	};
	assert_true(s.start_time > 0);
	assert_int_equal(state_save(dfd, &s), 0);

	char root[PATH_MAX];
	snprintf(root, sizeof(root), "%s/state", tmp);
	ContainerState *l = NULL;
	assert_int_equal(state_load(root, "c1", &l, &e), 0);
	assert_int_equal(l->pid, getpid());
	assert_string_equal(l->rootfs, "/b/rootfs");
	assert_true(l->no_new_keyring);
	assert_null(l->cgroup_path);
	/* What create made of the resctrl group: delete removes only that. */
	assert_string_equal(l->rdt.path, "/sys/fs/resctrl/gold");
	assert_false(l->rdt.created);
	assert_string_equal(l->rdt.mon_path, "/m/c1");
	assert_true(l->rdt.mon_created);
	/* We are alive and there is no exec.fifo: running. With the fifo: created. */
	assert_int_equal(state_status(root, l), STATUS_RUNNING);
	assert_int_equal(mkfifoat(dfd, EXEC_FIFO, 0600), 0);
	assert_int_equal(state_status(root, l), STATUS_CREATED);
	/* A frozen cgroup makes it paused. */
	char cg[PATH_MAX];
	snprintf(cg, sizeof(cg), "%s/cg-freeze", tmp);
	assert_int_equal(mkdir(cg, 0755), 0);
	put(cg, "cgroup.freeze", "1\n");
	l->cgroup_path = strdup(cg);
	assert_int_equal(state_status(root, l), STATUS_PAUSED);
	put(cg, "cgroup.freeze", "0\n");
	assert_int_equal(state_status(root, l), STATUS_CREATED);
	/* A reused pid (other start time) is a stopped container. */
	l->start_time++;
	assert_int_equal(state_status(root, l), STATUS_STOPPED);
	l->start_time--;

	char *json = state_to_oci_json(l, STATUS_CREATED, true);
	assert_non_null(strstr(json, "\"ociVersion\": \"1.2.0\""));
	assert_non_null(strstr(json, "\"status\": \"created\""));
	assert_non_null(strstr(json, "\"bundle\": \"/b\""));
	assert_non_null(strstr(json, "\"owner\": \"\""));
	assert_non_null(strstr(json, "\"k\": \"v\""));
	free(json);
	json = state_to_oci_json(l, STATUS_STOPPED, false);
	assert_non_null(strstr(json, "\"pid\":0,"));
	free(json);
	/* The container process state a seccomp agent gets: its own pid, the state inside. */
	json = seccomp_process_state_json(l, STATUS_CREATING, 4242, "m=1");
	assert_non_null(strstr(json, "{\"ociVersion\":\"1.2.0\",\"fds\":[\"seccompFd\"],"
				     "\"pid\":4242,\"metadata\":\"m=1\",\"state\":{"));
	assert_non_null(strstr(json, "\"status\":\"creating\""));
	assert_non_null(strstr(json, "\"annotations\":{\"k\":\"v\"}"));
	free(json);
	json = seccomp_process_state_json(l, STATUS_RUNNING, 7, NULL);
	assert_null(strstr(json, "metadata"));
	assert_non_null(strstr(json, "\"status\":\"running\""));
	free(json);
	container_state_free(l);

	assert_int_equal(state_load(root, "nope", &l, &e), -ENOENT);
	assert_string_equal(e.msg, "container \"nope\" does not exist");
	assert_int_equal(state_load(root, "../x", &l, &e), -EINVAL);

	/* A corrupt state file is an error, not a crash. */
	int f = openat(dfd, STATE_FILE, O_WRONLY | O_TRUNC);
	assert_true(f >= 0);
	assert_int_equal(write(f, "{\"id\":", 6), 6);
	close(f);
	assert_int_equal(state_load(root, "c1", &l, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "is corrupt"));
	close(dfd);
}

static void test_seccomp_compile(void **state)
{
	char *json = default_spec_json(false, 0, 0);
	RunConfig *c = NULL;
	char err[256];
	RunError e = {};
	SeccompProgram p = {};

	assert_int_equal(run_config_parse(json, strlen(json), &c, err, sizeof(err)), 0);
	assert_int_equal(seccomp_compile(c->seccomp, &p, &e), 0);
	assert_true(p.prog.len > 20);
	seccomp_program_done(&p);
	assert_null(p.prog.filter);
	run_config_free(c);
	free(json);

	/* Two tests of one argument (libseccomp cannot AND them) and unknown syscall names. */
	const char *cfg =
	    "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/r\"},"
	    "\"process\":{\"args\":[\"/x\"],\"cwd\":\"/\"},"
	    "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"seccomp\":{"
	    "\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
	    "\"syscalls\":[{\"names\":[\"personality\",\"no_such_syscall\"],"
	    "\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
	    "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
	    "{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]},"
	    "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}}";
	assert_int_equal(run_config_parse(cfg, strlen(cfg), &c, err, sizeof(err)), 0);
	assert_int_equal(seccomp_compile(c->seccomp, &p, &e), 0);
	assert_true(p.flags != 0);
	assert_false(p.notify);
	seccomp_program_done(&p);
	run_config_free(c);

	/* A notifying rule makes a filter that is loaded with a listener. */
	const char *notify =
	    "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/r\"},"
	    "\"process\":{\"args\":[\"/x\"],\"cwd\":\"/\"},"
	    "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"seccomp\":{"
	    "\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/a.sock\","
	    "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}}}";
	assert_int_equal(run_config_parse(notify, strlen(notify), &c, err, sizeof(err)), 0);
	assert_int_equal(seccomp_compile(c->seccomp, &p, &e), 0);
	assert_true(p.notify);
	seccomp_program_done(&p);
	run_config_free(c);
}

/* Names of the files in ROOT/@seccomp-cache, into names (up to max); returns how many. */
static size_t cache_files(const char *root, char names[][64], size_t max)
{
	char dir[PATH_MAX], cmd[PATH_MAX + 64];
	snprintf(dir, sizeof(dir), "%s/@seccomp-cache", root);
	snprintf(cmd, sizeof(cmd), "ls -A '%s'", dir);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	size_t n = 0;
	char line[128];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (n < max)
			snprintf(names[n], 64, "%.63s", line);
		n++;
	}
	pclose(f);
	return n;
}

static void read_cache_file(const char *root, const char *name, char **buf, size_t *len)
{
	char p[PATH_MAX + 80];
	snprintf(p, sizeof(p), "%s/@seccomp-cache/%s", root, name);
	assert_int_equal(read_full_file(p, 1 << 20, buf, len), 0);
}

static void write_cache_file(const char *root, const char *name, const char *buf, size_t len)
{
	char p[PATH_MAX + 80];
	snprintf(p, sizeof(p), "%s/@seccomp-cache/%s", root, name);
	int fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void assert_same_program(const SeccompProgram *a, const SeccompProgram *b)
{
	assert_int_equal(a->prog.len, b->prog.len);
	assert_memory_equal(a->prog.filter, b->prog.filter,
			    a->prog.len * sizeof(struct sock_filter));
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->notify, b->notify);
}

static void test_seccomp_cache(void **state)
{
	char *json = default_spec_json(false, 0, 0);
	char root[PATH_MAX], names[4][64], *buf;
	size_t len;
	RunConfig *c = NULL;
	char err[256];
	RunError e = {};
	SeccompProgram fresh = {}, p = {}, other = {};
	struct stat st;

	assert_int_equal(run_config_parse(json, strlen(json), &c, err, sizeof(err)), 0);
	free(json);
	c->seccomp->flags = 2; /* SECCOMP_FILTER_FLAG_LOG: kept apart from the program */
	assert_int_equal(seccomp_compile(c->seccomp, &fresh, &e), 0);
	snprintf(root, sizeof(root), "%s/state", tmp); /* made by the first store */

	/* A miss compiles, and stores the program in one file only we can read. */
	assert_int_equal(seccomp_compile_cached(c->seccomp, root, &p, &e), 0);
	assert_same_program(&p, &fresh);
	seccomp_program_done(&p);
	assert_int_equal(cache_files(root, names, 4), 1);
	char path[PATH_MAX + 80];
	snprintf(path, sizeof(path), "%s/@seccomp-cache/%s", root, names[0]);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* A hit reads that file: altered there, the program comes out altered. */
	read_cache_file(root, names[0], &buf, &len);
	struct sock_filter last;
	memcpy(&last, buf + len - sizeof(last), sizeof(last));
	last.k ^= 0x5a5a;
	memcpy(buf + len - sizeof(last), &last, sizeof(last));
	write_cache_file(root, names[0], buf, len);
	assert_int_equal(seccomp_compile_cached(c->seccomp, root, &p, &e), 0);
	assert_int_equal(p.prog.len, fresh.prog.len);
	assert_int_equal(p.prog.filter[p.prog.len - 1].k, last.k);
	assert_int_equal(p.flags, fresh.flags);
	seccomp_program_done(&p);

	/* The same altered program under another key (one byte of it): a miss. */
	buf[sizeof(uint64_t) * 2 + 3] ^= 1;
	write_cache_file(root, names[0], buf, len);
	assert_int_equal(seccomp_compile_cached(c->seccomp, root, &p, &e), 0);
	assert_same_program(&p, &fresh);
	seccomp_program_done(&p);
	free(buf);

	/* Cut short: a miss, and the file is whole again. */
	read_cache_file(root, names[0], &buf, &len);
	write_cache_file(root, names[0], buf, len - 3);
	assert_int_equal(seccomp_compile_cached(c->seccomp, root, &p, &e), 0);
	assert_same_program(&p, &fresh);
	seccomp_program_done(&p);
	size_t len2;
	char *buf2;
	read_cache_file(root, names[0], &buf2, &len2);
	assert_int_equal(len2, len);
	free(buf);
	free(buf2);

	/* Another profile is another key: its own program, in a second file. */
	uint32_t allow = c->seccomp->default_action;
	c->seccomp->default_action = SCMP_ACT_ERRNO(0);
	c->seccomp->has_default_errno_ret = true;
	c->seccomp->default_errno_ret = ENOSYS;
	assert_int_equal(seccomp_compile(c->seccomp, &other, &e), 0);
	assert_int_equal(seccomp_compile_cached(c->seccomp, root, &p, &e), 0);
	assert_same_program(&p, &other);
	assert_true(
	    p.prog.len != fresh.prog.len ||
	    memcmp(p.prog.filter, fresh.prog.filter, p.prog.len * sizeof(struct sock_filter)) != 0);
	seccomp_program_done(&p);
	seccomp_program_done(&other);
	assert_int_equal(cache_files(root, names, 4), 2);

	/* Bounded: a full cache is emptied before the next store. */
	for (int i = 0; i < 70; i++) {
		char n[40];
		/* Some as a killed store leaves its temporary file. */
		snprintf(n, sizeof(n), "@seccomp-cache/%sjunk%02d", i % 2 ? ".#" : "", i);
		put(root, n, "x");
	}
	c->seccomp->default_errno_ret = EACCES;
	assert_int_equal(seccomp_compile_cached(c->seccomp, root, &p, &e), 0);
	seccomp_program_done(&p);
	assert_int_equal(cache_files(root, names, 4), 1);

	/* No cache can be made (the root is a file): only the compilation is paid. */
	c->seccomp->default_action = allow;
	c->seccomp->has_default_errno_ret = false;
	put(tmp, "file", "");
	snprintf(root, sizeof(root), "%s/file", tmp);
	assert_int_equal(seccomp_compile_cached(c->seccomp, root, &p, &e), 0);
	assert_same_program(&p, &fresh);
	seccomp_program_done(&p);

	seccomp_program_done(&fresh);
	run_config_free(c);
}

static void expect_file(const char *dir, const char *name, const char *content)
{
	char p[PATH_MAX], buf[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_true(read_small_file(p, buf, sizeof(buf)) >= 0);
	assert_string_equal(buf, content);
}

/*
 * The limits are written where cgroup v2 expects them, after the controller
 * was enabled in every ancestor. A directory of plain files stands in for
 * the hierarchy (this host's controllers belong to cgroup v1).
 */
static void test_cgroup_apply(void **state)
{
	char mnt[1024], a[1100], leaf[1200];
	RunError e = {};
	snprintf(mnt, sizeof(mnt), "%s/cg", tmp);
	snprintf(a, sizeof(a), "%s/a", mnt);
	snprintf(leaf, sizeof(leaf), "%s/b", a);
	assert_int_equal(mkdir_p(leaf, 0755), 0);
	put(mnt, "cgroup.controllers", "cpuset cpu io memory pids\n");
	put(mnt, "cgroup.subtree_control", "");
	put(a, "cgroup.subtree_control", "");
	put(leaf, "cgroup.subtree_control", "");
	put(leaf, "memory.max", "");
	put(leaf, "pids.max", "");
	put(leaf, "cpu.max", "");

	RunResources res = {
	    .has_memory_limit = true,
	    .memory_limit = 64 << 20,
	    .has_pids_limit = true,
	    .pids_limit = 32,
	    .has_cpu_quota = true,
	    .cpu_quota = 25000,
	};
	assert_int_equal(cgroup_apply(mnt, &(CgroupRef){leaf, NULL}, &res, &e), 0);
	expect_file(leaf, "memory.max", "67108864");
	expect_file(leaf, "pids.max", "32");
	expect_file(leaf, "cpu.max", "25000 100000");
	/*
	 * Each ancestor was told to enable the controllers, one write each: a plain
	 * file shows them written over each other at offset 0 ("+memory", then
	 * "+cpu", then "+pids" gives "+pidsry"). The leaf's own file is not touched.
	 */
	expect_file(mnt, "cgroup.subtree_control", "+pidsry");
	expect_file(a, "cgroup.subtree_control", "+pidsry");
	expect_file(leaf, "cgroup.subtree_control", "");

	/* -1 and 0 mean no limit; a quota without a period uses 100 ms. */
	res.memory_limit = -1;
	res.pids_limit = 0;
	res.cpu_quota = -1;
	res.has_cpu_period = true;
	res.cpu_period = 50000;
	put(mnt, "cgroup.subtree_control", "cpu memory pids");
	put(a, "cgroup.subtree_control", "cpu memory pids");
	put(leaf, "memory.max", "");
	put(leaf, "pids.max", "");
	put(leaf, "cpu.max", "");
	assert_int_equal(cgroup_apply(mnt, &(CgroupRef){leaf, NULL}, &res, &e), 0);
	expect_file(leaf, "memory.max", "max");
	expect_file(leaf, "pids.max", "max");
	expect_file(leaf, "cpu.max", "max 50000");
	/* Already enabled: nothing written to the ancestors. */
	expect_file(mnt, "cgroup.subtree_control", "cpu memory pids");

	/* A controller the hierarchy does not offer is an error naming the field. */
	put(mnt, "cgroup.controllers", "cpu io\n");
	res.memory_limit = 64 << 20;
	assert_int_equal(cgroup_apply(mnt, &(CgroupRef){leaf, NULL}, &res, &e), -EOPNOTSUPP);
	assert_non_null(strstr(e.msg, "linux.resources.memory.limit: the memory controller is not "
				      "available in the cgroup v2 hierarchy at"));
	/* No limit needs no controller (podman asks for pids.limit 0). */
	put(leaf, "pids.max", "");
	put(leaf, "memory.max", "");
	RunResources none = {
	    .has_pids_limit = true, .pids_limit = 0, .has_memory_limit = true, .memory_limit = -1};
	assert_false(cgroup_resources_requested(&none));
	assert_int_equal(cgroup_apply(mnt, &(CgroupRef){leaf, NULL}, &none, &e), 0);
	expect_file(leaf, "pids.max", "");
	expect_file(leaf, "memory.max", "");
	none.pids_limit = 5;
	assert_true(cgroup_resources_requested(&none));
	assert_int_equal(cgroup_apply(mnt, &(CgroupRef){leaf, NULL}, &none, &e), -EOPNOTSUPP);
	assert_non_null(strstr(e.msg, "linux.resources.pids.limit: the pids controller"));

	char *p = NULL;
	assert_int_equal(cgroup_path("/sys/fs/cgroup", NULL, "c1", &p, &e), 0);
	assert_string_equal(p, "/sys/fs/cgroup/c1");
	free(p);
	assert_int_equal(cgroup_path("/sys/fs/cgroup", "/x/y/", "c1", &p, &e), 0);
	assert_string_equal(p, "/sys/fs/cgroup/x/y");
	free(p);
	assert_int_equal(cgroup_path("/sys/fs/cgroup", "rel/z", "c1", &p, &e), 0);
	assert_string_equal(p, "/sys/fs/cgroup/rel/z");
	free(p);
	assert_int_equal(cgroup_path("/sys/fs/cgroup", "/", "c1", &p, &e), -EINVAL);
}

/* Every linux.resources field, as cgroup v2 takes it (runc's conversions). */
static void test_cgroup_apply_v2_all(void **state)
{
	char mnt[1024], leaf[1100], err[256];
	RunError e = {};
	RunResources res = {};
	snprintf(mnt, sizeof(mnt), "%s/cg2", tmp);
	snprintf(leaf, sizeof(leaf), "%s/c", mnt);
	assert_int_equal(mkdir_p(leaf, 0755), 0);
	put(mnt, "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
	put(mnt, "cgroup.subtree_control", "cpuset cpu io memory hugetlb pids rdma misc");
	static const char *const files[] = {
	    "memory.max",    "memory.low",	"memory.swap.max", "cpu.weight",  "cpu.max",
	    "cpu.max.burst", "cpu.idle",	"cpuset.cpus",	   "cpuset.mems", "io.weight",
	    "io.max",	     "hugetlb.2MB.max", "pids.max",	   "rdma.max",	  "misc.max",
	};
	for (size_t i = 0; i < ELEMENTSOF(files); i++)
		put(leaf, files[i], "");
	const char *json =
	    "{\"memory\":{\"limit\":1048576,\"reservation\":524288,\"swap\":3145728,"
	    "\"swappiness\":5,\"disableOOMKiller\":true},"
	    "\"cpu\":{\"shares\":1024,\"quota\":30000,\"period\":60000,\"burst\":500,\"idle\":1,"
	    "\"cpus\":\"0-1\",\"mems\":\"0\"},"
	    "\"blockIO\":{\"weight\":500,\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,"
	    "\"rate\":1000}]},"
	    "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
	    "\"pids\":{\"limit\":12},"
	    "\"rdma\":{\"mlx5_0\":{\"hcaHandles\":3}},"
	    "\"unified\":{\"misc.max\":\"res_a 1\"}}";
	assert_int_equal(run_resources_parse(json, strlen(json), &res, err, sizeof(err)), 0);
	assert_int_equal(cgroup_apply(mnt, &(CgroupRef){leaf, NULL}, &res, &e), 0);
	expect_file(leaf, "memory.max", "1048576");
	expect_file(leaf, "memory.low", "524288");
	/* v2's swap file holds the swap alone: (memory + swap) - memory. */
	expect_file(leaf, "memory.swap.max", "2097152");
	/* cpu.shares 1024 is weight 1 + (1022 * 9999) / 262142 = 39. */
	expect_file(leaf, "cpu.weight", "39");
	expect_file(leaf, "cpu.max", "30000 60000");
	expect_file(leaf, "cpu.max.burst", "500");
	expect_file(leaf, "cpu.idle", "1");
	expect_file(leaf, "cpuset.cpus", "0-1");
	expect_file(leaf, "cpuset.mems", "0");
	/* blkio.weight 500 is io.weight 1 + (490 * 9999) / 990 = 4950. */
	expect_file(leaf, "io.weight", "4950");
	expect_file(leaf, "io.max", "8:0 rbps=1000");
	expect_file(leaf, "hugetlb.2MB.max", "4194304");
	expect_file(leaf, "pids.max", "12");
	expect_file(leaf, "rdma.max", "mlx5_0 hca_handle=3 hca_object=max");
	expect_file(leaf, "misc.max", "res_a 1");
	assert_int_equal(cgroup_cpu_shares_to_weight(2), 1);
	assert_int_equal(cgroup_cpu_shares_to_weight(262144), 10000);
	assert_int_equal(cgroup_blkio_weight_to_io_weight(10), 1);
	assert_int_equal(cgroup_blkio_weight_to_io_weight(1000), 10000);
	run_resources_done(&res);

	/* What v2 cannot do is named. */
	json = "{\"cpu\":{\"realtimeRuntime\":100}}";
	assert_int_equal(run_resources_parse(json, strlen(json), &res, err, sizeof(err)), 0);
	assert_int_equal(cgroup_apply(mnt, &(CgroupRef){leaf, NULL}, &res, &e), -EOPNOTSUPP);
	assert_string_equal(e.msg, "linux.resources.cpu.realtimeRuntime: real-time group "
				   "scheduling exists only in cgroup v1");
	run_resources_done(&res);
	json = "{\"memory\":{\"swap\":3145728}}";
	assert_int_equal(run_resources_parse(json, strlen(json), &res, err, sizeof(err)), 0);
	assert_int_equal(cgroup_apply(mnt, &(CgroupRef){leaf, NULL}, &res, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "a swap limit needs linux.resources.memory.limit"));
	run_resources_done(&res);
	/* A file this kernel lacks. */
	json = "{\"unified\":{\"memory.nosuch\":\"1\"}}";
	assert_int_equal(run_resources_parse(json, strlen(json), &res, err, sizeof(err)), 0);
	assert_int_equal(cgroup_apply(mnt, &(CgroupRef){leaf, NULL}, &res, &e), -EOPNOTSUPP);
	assert_non_null(strstr(e.msg, "linux.resources.unified.memory.nosuch: this kernel has no"));
	run_resources_done(&res);
}

/* Bad resources are named by their field. */
static void test_resources_parse_errors(void **state)
{
	static const struct {
		const char *json, *err;
	} cases[] = {
	    {"{\"memory\":{\"limit\":100,\"swap\":50}}",
	     "linux.resources.memory.swap: must be at least linux.resources.memory.limit (it is "
	     "memory + swap)"},
	    {"{\"memory\":{\"swappiness\":101}}",
	     "linux.resources.memory.swappiness: must be between 0 and 100"},
	    {"{\"cpu\":{\"shares\":1}}",
	     "linux.resources.cpu.shares: must be between 2 and 262144"},
	    {"{\"cpu\":{\"cpus\":\"0-\"}}",
	     "linux.resources.cpu.cpus: \"0-\" is not a CPU list such as \"0-3,6\""},
	    {"{\"cpu\":{\"idle\":2}}", "linux.resources.cpu.idle: must be between 0 and 1"},
	    {"{\"blockIO\":{\"weightDevice\":[{\"major\":8}]}}",
	     "linux.resources.blockIO.weightDevice[0].minor: is required"},
	    {"{\"blockIO\":{\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":0}]}}",
	     "linux.resources.blockIO.throttleWriteIOPSDevice[0].rate: is required"},
	    {"{\"hugepageLimits\":[{\"pageSize\":\"3MB\",\"limit\":1}]}",
	     "linux.resources.hugepageLimits[0].pageSize: \"3MB\" is not a page size such as "
	     "\"2MB\""},
	    {"{\"network\":{\"priorities\":[{\"name\":\"eth0 1\",\"priority\":1}]}}",
	     "linux.resources.network.priorities[0].name: \"eth0 1\" is not an interface name"},
	    {"{\"unified\":{\"../memory.max\":\"1\"}}",
	     "linux.resources.unified.../memory.max: is not a controller's file such as "
	     "\"memory.high\""},
	    {"{\"unified\":{\"cgroup.procs\":\"1\"}}",
	     "linux.resources.unified.cgroup.procs: is not a controller's file such as "
	     "\"memory.high\""},
	    {"{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}",
	     "linux.resources.devices[0].access: must be letters of \"rwm\", not \"rwx\""},
	    {"{\"devices\":[{\"type\":\"c\"}]}", "linux.resources.devices[0].allow: is required"},
	    {"{\"rdma\":{\"mlx\":{\"hcaHandles\":-1}}}",
	     "linux.resources.rdma.mlx.hcaHandles: must be between 0 and 4294967295"},
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		RunResources res = {};
		char err[512];
		int r = run_resources_parse(cases[i].json, strlen(cases[i].json), &res, err,
					    sizeof(err));
		if (r != -EINVAL || strcmp(err, cases[i].err) != 0)
			fail_msg("%s: got %d \"%s\", want \"%s\"", cases[i].json, r, err,
				 cases[i].err);
		run_resources_done(&res);
	}
}

/* The device program: later rules win, access must be covered, nothing matched is denied. */
static void test_device_rules(void **state)
{
	RunConfig cfg = {};
	RunDeviceRule *rules;
	size_t n;
	RunDevice dev = {.path = (char *)"/dev/fuse", .type = 'c', .major = 10, .minor = 229};
	cfg.devices = &dev;
	cfg.n_devices = 1;
	assert_int_equal(cgroup_device_rules(&cfg, &rules, &n), 0);
	/* deny all, /dev/fuse, then the ten defaults */
	assert_int_equal(n, 12);
	assert_false(rules[0].allow);
	assert_int_equal(rules[0].type, 'a');
	assert_true(rules[1].allow);
	assert_int_equal(rules[1].major, 10);
	assert_int_equal(rules[1].minor, 229);
	void *prog;
	size_t n_insns;
	assert_int_equal(cgroup_devices_compile(rules, n, &prog, &n_insns), 0);
	/* The program ends at the unconditional deny-all: no dead code after it. */
	const struct bpf_insn *p = prog;
	assert_int_equal(p[n_insns - 1].code, BPF_JMP | BPF_EXIT);
	assert_int_equal(p[n_insns - 2].imm, 0);
	free(prog);
	free(rules);
}

/* update: the new limits land in the container's cgroup; a stopped container is refused. */
static void test_container_update(void **state)
{
	char mnt[1024], cg[1100], root[1100], dir[1200];
	RunError e = {};
	snprintf(mnt, sizeof(mnt), "%s/cgu", tmp);
	snprintf(cg, sizeof(cg), "%s/c1", mnt);
	snprintf(root, sizeof(root), "%s/state", tmp);
	snprintf(dir, sizeof(dir), "%s/c1", root);
	assert_int_equal(mkdir_p(cg, 0755), 0);
	assert_int_equal(mkdir_p(dir, 0700), 0);
	put(mnt, "cgroup.controllers", "cpu memory pids\n");
	put(mnt, "cgroup.subtree_control", "cpu memory pids");
	put(cg, "memory.max", "");
	put(cg, "pids.max", "");
	put(cg, "cpu.max", "");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	/* We stand in for the container's process: it is running. */
	ContainerState s = {
	    .id = (char *)"c1",
	    .oci_version = (char *)"1.2.0",
	    .pid = getpid(),
	    .start_time = process_start_time(getpid()),
	    .bundle = (char *)"/b",
	    .rootfs = (char *)"/b/rootfs",
	    .created = (char *)"2026-01-01T00:00:00.000000001Z",
	    .cgroup_path = cg,
	};
	assert_int_equal(state_save(dfd, &s), 0);

	RunResources res = {};
	const char *json = "{\"memory\":{\"limit\":1048576},\"pids\":{\"limit\":9},"
			   "\"cpu\":{\"quota\":20000,\"period\":50000},\"blockIO\":{}}";
	char err[256];
	assert_int_equal(run_resources_parse(json, strlen(json), &res, err, sizeof(err)), 0);
	assert_int_equal(container_update(root, "c1", mnt, &res, &e), 0);
	expect_file(cg, "memory.max", "1048576");
	expect_file(cg, "pids.max", "9");
	expect_file(cg, "cpu.max", "20000 50000");

	json = "{\"pids\":{\"limit\":\"x\"}}";
	assert_int_equal(run_resources_parse(json, strlen(json), &res, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "linux.resources.pids.limit: must be an integer");

	/* Another start time: the process is not the container's any more. */
	s.start_time++;
	assert_int_equal(state_save(dfd, &s), 0);
	assert_int_equal(container_update(root, "c1", mnt, &res, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "cannot update a stopped container"));
	run_resources_done(&res);
	close(dfd);
}

static void check_scope_as(bool user, const char *cgroups_path, const char *id, const char *slice,
			   const char *unit, const char *path)
{
	SystemdScope s = {};
	RunError e = {};
	assert_int_equal(systemd_scope_parse(cgroups_path, id, user, &s, &e), 0);
	assert_int_equal(s.user, user);
	assert_string_equal(s.slice, slice);
	assert_string_equal(s.unit, unit);
	assert_string_equal(s.path, path);
	systemd_scope_done(&s);
}

#define check_scope(...) check_scope_as(false, __VA_ARGS__)

static void check_scope_refused(const char *cgroups_path, const char *what)
{
	SystemdScope s = {};
	RunError e = {};
	assert_int_equal(systemd_scope_parse(cgroups_path, "c1", false, &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "linux.cgroupsPath"));
	assert_non_null(strstr(e.msg, what));
	assert_null(s.unit);
}

/* The systemd driver's names, as podman, containerd and CRI-O hand them over. */
static void test_systemd_scope_names(void **state)
{
	char *p;
	assert_int_equal(systemd_slice_path("machine.slice", &p), 0);
	assert_string_equal(p, "machine.slice");
	free(p);
	assert_int_equal(systemd_slice_path("kubepods-besteffort-pod1.slice", &p), 0);
	assert_string_equal(p, "kubepods.slice/kubepods-besteffort.slice/"
			       "kubepods-besteffort-pod1.slice");
	free(p);
	assert_int_equal(systemd_slice_path("-.slice", &p), 0);
	assert_string_equal(p, "");
	free(p);
	assert_int_equal(systemd_slice_path("a--b.slice", &p), -EINVAL);
	assert_int_equal(systemd_slice_path("-a.slice", &p), -EINVAL);
	assert_int_equal(systemd_slice_path("a-.slice", &p), -EINVAL);
	assert_int_equal(systemd_slice_path("a/b.slice", &p), -EINVAL);
	assert_int_equal(systemd_slice_path("machine.scope", &p), -EINVAL);

	check_scope("machine.slice:libpod:0123abcd", "x", "machine.slice", "libpod-0123abcd.scope",
		    "machine.slice/libpod-0123abcd.scope");
	check_scope("system.slice:cri-containerd:c1", "x", "system.slice",
		    "cri-containerd-c1.scope", "system.slice/cri-containerd-c1.scope");
	check_scope(NULL, "c1", "system.slice", "lazuli-run-c1.scope",
		    "system.slice/lazuli-run-c1.scope");
	check_scope(":p:n", "x", "system.slice", "p-n.scope", "system.slice/p-n.scope");
	check_scope("user-1000.slice::n", "x", "user-1000.slice", "n.scope",
		    "user.slice/user-1000.slice/n.scope");
	check_scope("-.slice:p:full.scope", "x", "-.slice", "full.scope", "full.scope");
	/* Rootless: the user manager's user.slice by default (below the manager's own cgroup). */
	check_scope_as(true, NULL, "c1", "user.slice", "lazuli-run-c1.scope",
		       "user.slice/lazuli-run-c1.scope");
	check_scope_as(true, "user.slice:libpod:ab12", "x", "user.slice", "libpod-ab12.scope",
		       "user.slice/libpod-ab12.scope");
	check_scope_as(true, ":p:n", "x", "user.slice", "p-n.scope", "user.slice/p-n.scope");

	check_scope_refused("/machine.slice/c1", "slice:prefix:name");
	check_scope_refused("a:b", "slice:prefix:name");
	check_scope_refused("a.slice:b:c:d", "slice:prefix:name");
	check_scope_refused("machine.slice:p:", "not a valid systemd scope name");
	check_scope_refused("machine.slice:p:a/b", "not a valid systemd scope name");
	check_scope_refused("machine.slice:p:a b", "not a valid systemd scope name");
	check_scope_refused("machine:p:n", "not a valid slice name");
	check_scope_refused("bad--name.slice:p:n", "not a valid slice name");
}

static void test_resctrl_mount(void **state)
{
	char *m = NULL;
	assert_int_equal(resctrl_mount_from_mountinfo("22 1 0:21 / /proc rw - proc proc rw\n", &m),
			 -ENOENT);
	assert_int_equal(resctrl_mount_from_mountinfo(
			     "22 1 0:21 / /proc rw - proc proc rw\n"
			     "40 22 0:36 / /sys/fs/res\\040ctrl rw,relatime shared:9 - resctrl "
			     "resctrl rw\n",
			     &m),
			 0);
	assert_string_equal(m, "/sys/fs/res ctrl");
	free(m);
}

/* A stand-in for a resctrl mount: what the kernel makes in a new group, the test makes. */
static void fake_group(const char *dir)
{
	put(dir, "schemata", "");
	put(dir, "tasks", "");
}

static void make_dir(const char *root, const char *name)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/%s", root, name);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void test_rdt_group(void **state)
{
	char root[PATH_MAX], path[PATH_MAX + 64], buf[256];
	RunError e = {};
	RdtGroup g = {};
	RunIntelRdt cfg = {.l3_cache_schema = (char *)"L3:0=f0\nL3:1=0f"};

	snprintf(root, sizeof(root), "%s/resctrl", tmp);
	setenv(RESCTRL_ROOT_ENV, root, 1);
	/* No info/L3: cache allocation is not there. */
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(rdt_group_plan(&cfg, "c1", &g, &e), -EOPNOTSUPP);
	assert_non_null(strstr(e.msg, "linux.intelRdt.l3CacheSchema: "));
	make_dir(root, "info");
	make_dir(root, "info/L3");

	/* No closID: the group is named after the container and is ours. */
	assert_int_equal(rdt_group_plan(&cfg, "c1", &g, &e), 0);
	snprintf(path, sizeof(path), "%s/c1", root);
	assert_string_equal(g.path, path);
	assert_true(g.created);
	assert_null(g.mon_path);
	/* Without the kernel's files the write fails, names the file, and the group goes. */
	assert_int_equal(rdt_group_create(&g, &cfg, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "/c1/schemata"));
	assert_int_equal(access(path, F_OK), -1);
	rdt_group_done(&g);

	/* A pre-made class of service is joined, written line by line, and never removed. */
	cfg.clos_id = (char *)"gold";
	make_dir(root, "gold");
	snprintf(path, sizeof(path), "%s/gold", root);
	fake_group(path);
	assert_int_equal(rdt_group_plan(&cfg, "c1", &g, &e), 0);
	assert_string_equal(g.path, path);
	assert_false(g.created);
	assert_int_equal(rdt_group_create(&g, &cfg, &e), 0);
	assert_int_equal(rdt_group_enter(&g, 4242, &e), 0);
	snprintf(path, sizeof(path), "%s/gold/schemata", root);
	assert_true(read_small_file(path, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "L3:0=f0\nL3:1=0f\n");
	snprintf(path, sizeof(path), "%s/gold/tasks", root);
	assert_true(read_small_file(path, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "4242");
	assert_int_equal(rdt_group_remove(&g, &e), 0);
	snprintf(path, sizeof(path), "%s/gold", root);
	assert_int_equal(access(path, F_OK), 0);
	rdt_group_done(&g);

	/* Monitoring needs info/L3_MON; its group is made below mon_groups and is ours. */
	cfg.enable_monitoring = true;
	assert_int_equal(rdt_group_plan(&cfg, "c1", &g, &e), -EOPNOTSUPP);
	assert_non_null(strstr(e.msg, "linux.intelRdt.enableMonitoring: "));
	make_dir(root, "info/L3_MON");
	make_dir(root, "gold/mon_groups");
	assert_int_equal(rdt_group_plan(&cfg, "c1", &g, &e), 0);
	assert_true(g.mon_created);
	assert_int_equal(rdt_group_create(&g, &cfg, &e), 0);
	snprintf(path, sizeof(path), "%s/gold/mon_groups/c1", root);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(rdt_group_remove(&g, &e), 0);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/gold", root);
	assert_int_equal(access(path, F_OK), 0);
	rdt_group_done(&g);

	/* Not mounted: the error says so. */
	unsetenv(RESCTRL_ROOT_ENV);
	if (access("/sys/fs/resctrl/info", F_OK) < 0) {
		assert_int_equal(rdt_group_plan(&cfg, "c1", &g, &e), -EOPNOTSUPP);
		assert_non_null(
		    strstr(e.msg, "linux.intelRdt: the resctrl filesystem is not mounted"));
	}
}

static void test_mountinfo_and_keyring_parsing(void **state)
{
	char line[] = "36 35 98:0 /mnt\\0401 /mnt/a\\040b rw,noatime master:1 shared:2 - ext3 "
		      "/dev/root rw,errors=continue";
	MountInfo m;
	assert_int_equal(mountinfo_parse_line(line, &m), 0);
	assert_int_equal(m.id, 36);
	assert_int_equal(m.parent, 35);
	assert_string_equal(m.root, "/mnt 1");
	assert_string_equal(m.mountpoint, "/mnt/a b");
	assert_string_equal(m.fstype, "ext3");

	char plain[] = "22 1 0:21 / /proc rw,nosuid - proc proc rw\n";
	assert_int_equal(mountinfo_parse_line(plain, &m), 0);
	assert_string_equal(m.mountpoint, "/proc");
	assert_string_equal(m.fstype, "proc");

	char no_sep[] = "22 1 0:21 / /proc rw proc proc rw";
	assert_int_equal(mountinfo_parse_line(no_sep, &m), -EINVAL);
	char short_line[] = "22 1 0:21 /";
	assert_int_equal(mountinfo_parse_line(short_line, &m), -EINVAL);
	char bad_id[] = "x 1 0:21 / /proc rw - proc proc rw";
	assert_int_equal(mountinfo_parse_line(bad_id, &m), -EINVAL);
	char no_type[] = "22 1 0:21 / /proc rw -";
	assert_int_equal(mountinfo_parse_line(no_type, &m), -EINVAL);

	assert_true(path_is_below("/r/rootfs", "/r/rootfs"));
	assert_true(path_is_below("/r/rootfs/proc", "/r/rootfs/"));
	assert_false(path_is_below("/r/rootfs2/proc", "/r/rootfs"));
	assert_false(path_is_below("/proc", "/r/rootfs"));

	uint32_t perm;
	assert_int_equal(keyring_perm_from_description("keyring;0;0;3f130000;_ses.c1", &perm), 0);
	assert_int_equal(perm, 0x3f130000);
	assert_int_equal(keyring_perm_from_description("keyring;0;0;3f130000", &perm), -EINVAL);
	assert_int_equal(keyring_perm_from_description("keyring;0;0;;x", &perm), -EINVAL);
	assert_int_equal(keyring_perm_from_description("keyring;0;0", &perm), -EINVAL);
	assert_int_equal(keyring_perm_from_description("keyring;0;0;1ffffffff;x", &perm), -EINVAL);

	_cleanup_free_ char *name = session_keyring_name("c1");
	assert_string_equal(name, "_ses.c1");
}

static void expect_mount_data(const char *fstype, const char *data, const char *label,
			      const char *want)
{
	char *got = (char *)"unset";
	assert_int_equal(lsm_mount_data(fstype, data, label, &got), 0);
	if (want)
		assert_string_equal(got, want);
	else
		assert_null(got);
	free(got);
}

static void test_mount_label(void **state)
{
	(void)state;
	const char *l = "system_u:object_r:container_file_t:s0:c1,c2";
	/* A label: tmpfs, mqueue, devpts get the context, quoted for its commas. */
	expect_mount_data(
	    "tmpfs", "mode=755,size=65536k", l,
	    "mode=755,size=65536k,context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
	expect_mount_data("mqueue", NULL, l,
			  "context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
	expect_mount_data("devpts", "", l,
			  "context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
	/* File systems with labels of their own, a context already given, no label: as is. */
	expect_mount_data("proc", NULL, l, NULL);
	expect_mount_data("sysfs", "ro", l, "ro");
	expect_mount_data("tmpfs", "context=\"x\",mode=1777", l, "context=\"x\",mode=1777");
	expect_mount_data("tmpfs", "mode=1777,context=x", l, "mode=1777,context=x");
	expect_mount_data("tmpfs", "mode=1777", NULL, "mode=1777");
}

static void test_lsm_check(void **state)
{
	(void)state;
	RunConfig cfg = {.apparmor_profile = (char *)"lzr-test"};
	RunError e = {};
	int r = lsm_check(&cfg, NULL, &e);
	if (lsm_apparmor_enabled())
		assert_int_equal(r, 0);
	else {
		assert_int_equal(r, -EOPNOTSUPP);
		assert_string_equal(
		    e.msg,
		    "process.apparmorProfile lzr-test: AppArmor is not enabled on this host");
	}
	cfg = (RunConfig){.selinux_label = (char *)"system_u:system_r:container_t:s0"};
	r = lsm_check(&cfg, (const char *[]){"process.apparmorProfile", "--process-label"}, &e);
	if (lsm_selinux_enabled())
		assert_int_equal(r, 0);
	else {
		assert_int_equal(r, -EOPNOTSUPP);
		assert_string_equal(e.msg, "--process-label system_u:system_r:container_t:s0: "
					   "SELinux is not enabled on this host");
	}
	/* Nothing asked for: nothing to check, and nothing applied. */
	cfg = (RunConfig){};
	assert_int_equal(lsm_check(&cfg, (const char *[]){"a", "b"}, &e), 0);
	assert_int_equal(lsm_apply(&cfg, (const char *[]){"a", "b"}, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_in_root, setup_tmp, teardown_tmp),
	    cmocka_unit_test_setup_teardown(test_parent_and_nofollow_in_root, setup_tmp,
					    teardown_tmp),
	    cmocka_unit_test_setup_teardown(test_copy_tree, setup_tmp, teardown_tmp),
	    cmocka_unit_test(test_ids_and_signals),
	    cmocka_unit_test_setup_teardown(test_state_roundtrip, setup_tmp, teardown_tmp),
	    cmocka_unit_test(test_seccomp_compile),
	    cmocka_unit_test_setup_teardown(test_seccomp_cache, setup_tmp, teardown_tmp),
	    cmocka_unit_test(test_systemd_scope_names),
	    cmocka_unit_test_setup_teardown(test_cgroup_apply, setup_tmp, teardown_tmp),
	    cmocka_unit_test_setup_teardown(test_cgroup_apply_v2_all, setup_tmp, teardown_tmp),
	    cmocka_unit_test(test_resources_parse_errors),
	    cmocka_unit_test(test_device_rules),
	    cmocka_unit_test(test_mountinfo_and_keyring_parsing),
	    cmocka_unit_test(test_resctrl_mount),
	    cmocka_unit_test_setup_teardown(test_rdt_group, setup_tmp, teardown_tmp),
	    cmocka_unit_test(test_mount_label),
	    cmocka_unit_test(test_lsm_check),
	    cmocka_unit_test_setup_teardown(test_container_update, setup_tmp, teardown_tmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
