/* SPDX-License-Identifier: MIT */
/* SSH public keys and sshd configuration (spec sections 1.5, 1.6, 6). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "macros.h"
#include "steps.h"
#include "strutil.h"

#define KEY_MAX (16u * 1024)
#define SSHD_OUTPUT_MAX (256u * 1024)

static const char *const key_types[] = {
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
};

int ssh_key_sanitize(const char *in, char **ret, char *err, size_t errlen)
{
	_cleanup_free_ char *k = NULL;
	_cleanup_free_ unsigned char *blob = NULL;
	size_t len, bloblen;

	if (!in || !*in) {
		snprintf(err, errlen, "empty key");
		return -EINVAL;
	}
	len = strlen(in);
	if (len > KEY_MAX) {
		snprintf(err, errlen, "key is %zu bytes, more than %u", len, KEY_MAX);
		return -EINVAL;
	}
	k = strdup(in);
	if (!k)
		return -ENOMEM;
	/* One trailing line end is what copy and paste leaves; anything else is injection. */
	if (len > 0 && k[len - 1] == '\n')
		k[--len] = '\0';
	if (len > 0 && k[len - 1] == '\r')
		k[--len] = '\0';
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)k[i] < 0x20 && k[i] != '\t') {
			snprintf(err, errlen, "key contains a line break or control character");
			return -EINVAL;
		} else if (k[i] == 0x7f) {
			snprintf(err, errlen, "key contains a control character");
			return -EINVAL;
		}
	if (!utf8_is_valid_n(k, len)) {
		snprintf(err, errlen, "key is not valid UTF-8");
		return -EINVAL;
	}

	strstrip(k);
	size_t tlen = strcspn(k, " \t");
	const char *type = NULL;
	for (size_t i = 0; i < ELEMENTSOF(key_types); i++)
		if (strlen(key_types[i]) == tlen && strneq(k, key_types[i], tlen))
			type = key_types[i];
	if (!type) {
		/* Options ("command=...", "no-pty", ...) come first in authorized_keys syntax. */
		snprintf(err, errlen,
			 "key does not start with a known key type (options are not "
			 "allowed)");
		return -EINVAL;
	}
	const char *b64 = k + tlen + strspn(k + tlen, " \t");
	size_t b64len = strcspn(b64, " \t");
	if (b64len == 0) {
		snprintf(err, errlen, "key has no key data");
		return -EINVAL;
	}
	if (base64_decode(b64, b64len, &blob, &bloblen) < 0) {
		snprintf(err, errlen, "key data is not valid base64");
		return -EINVAL;
	}
	/* The blob starts with the type again: uint32 big-endian length, then the name. */
	if (bloblen < 4) {
		snprintf(err, errlen, "key data is too short");
		return -EINVAL;
	}
	uint32_t n =
	    (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3];
	if (n != strlen(type) || bloblen < 4 + (size_t)n || memcmp(blob + 4, type, n) != 0) {
		snprintf(err, errlen, "key data does not match its type %s", type);
		return -EINVAL;
	}
	*ret = TAKE_PTR(k);
	return 0;
}

/* Run argv with stdout captured (capped); returns the exit status or -errno. */
static int run_capture(char *const argv[], char **out)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int r = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 ||
		    dup2(pipefd[1], STDOUT_FILENO) < 0 || dup2(devnull, STDERR_FILENO) < 0)
			_exit(127);
		char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
		execve(argv[0], argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	int r = read_full_fd(pipefd[0], SSHD_OUTPUT_MAX, out, NULL);
	close(pipefd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (r < 0) {
		free(*out);
		*out = NULL;
		return r;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

void sshd_settings_done(SshdSettings *s)
{
	free(s->authorized_keys_file);
	s->authorized_keys_file = NULL;
	s->password_auth = -1;
}

/* The first AuthorizedKeysFile entry that is not "none" (which sshd skips); "none" alone means none. */
static char *first_keys_file(const char *v)
{
	for (;;) {
		v += strspn(v, " ");
		size_t n = strcspn(v, " ");
		if (n == 0)
			return strdup("none");
		if (!(n == 4 && strncmp(v, "none", 4) == 0))
			return strndup(v, n);
		v += n;
	}
}

void sshd_query(const char *sshd, const char *user, SshdSettings *ret)
{
	char spec[512];
	snprintf(spec, sizeof(spec), "user=%s,host=localhost,addr=127.0.0.1", user);
	/* -T -C evaluates Match blocks for this user. If that fails, -G
	 * (OpenSSH >= 9.4) prints the configuration without them; it takes
	 * no -C. */
	char *const test_mode[] = {(char *)sshd, "-T", "-C", spec, NULL};
	char *const print_mode[] = {(char *)sshd, "-G", NULL};
	char *const *const modes[] = {test_mode, print_mode};

	*ret = (SshdSettings){.password_auth = -1};
	for (size_t m = 0; m < ELEMENTSOF(modes); m++) {
		char *const *argv = modes[m];
		_cleanup_free_ char *out = NULL;
		if (run_capture(argv, &out) != 0 || !out)
			continue;
		for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
			const char *v;
			if (!ret->authorized_keys_file &&
			    (v = startswith_no_case(line, "authorizedkeysfile ")))
				ret->authorized_keys_file = first_keys_file(v);
			else if ((v = startswith_no_case(line, "passwordauthentication ")))
				ret->password_auth = streq(v, "yes") ? 1 : streq(v, "no") ? 0 : -1;
		}
		if (ret->authorized_keys_file || ret->password_auth >= 0)
			return;
	}
}

/* Does normalized path p lie strictly below home? */
static bool path_is_below(const char *p, const char *home)
{
	const char *rest = startswith(p, home);
	if (!rest || *rest != '/' || !rest[1])
		return false;
	/* no "..", ".", or empty components anywhere */
	for (const char *c = rest; *c;) {
		c++;
		size_t n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n;
	}
	return true;
}

int ssh_authorized_keys_path(const SshdSettings *sshd, const char *user, const char *home,
			     char **ret, char *err, size_t errlen)
{
	_cleanup_free_ char *spec =
	    sshd->authorized_keys_file ? strdup(sshd->authorized_keys_file) : NULL;
	StrBuf b = {0};

	if (sshd->authorized_keys_file && !spec)
		return -ENOMEM;
	if (spec && streq(spec, "none")) {
		snprintf(err, errlen,
			 "sshd is configured with AuthorizedKeysFile none: "
			 "SSH keys cannot be installed");
		return -ENOTSUP;
	}
	if (!spec) {
		log_info(
		    "sshd does not say where authorized keys are; using ~/.ssh/authorized_keys");
		spec = strdup("%h/.ssh/authorized_keys");
		if (!spec)
			return -ENOMEM;
	}
	if (spec[0] != '/' && spec[0] != '%') {
		strbuf_puts(&b, home);
		strbuf_puts(&b, "/");
	}
	for (const char *p = spec; *p; p++) {
		if (*p != '%') {
			strbuf_append(&b, p, 1);
			continue;
		}
		p++;
		if (*p == 'h')
			strbuf_puts(&b, home);
		else if (*p == 'u')
			strbuf_puts(&b, user);
		else if (*p == '%')
			strbuf_puts(&b, "%");
		else {
			snprintf(err, errlen, "AuthorizedKeysFile %s uses an unsupported token",
				 spec);
			strbuf_free(&b);
			return -EINVAL;
		}
	}
	char *path = strbuf_steal(&b);
	if (!path)
		return -ENOMEM;
	if (!path_is_below(path, home)) {
		snprintf(err, errlen,
			 "AuthorizedKeysFile %s is not inside the home directory %s; refusing to "
			 "write a shared key file",
			 spec, home);
		free(path);
		return -EPERM;
	}
	*ret = path;
	return 0;
}

/* Open (creating 0700 dirs as needed) the directory components of rel below dirfd, no symlinks. */
static int open_dirs_nofollow(int homefd, const char *home, const char *rel, uid_t uid, gid_t gid,
			      int *ret_dirfd, const char **ret_name, char *err, size_t errlen)
{
	_cleanup_close_ int cur = fcntl(homefd, F_DUPFD_CLOEXEC, 3);
	const char *p = rel;

	if (cur < 0)
		return -errno;
	for (;;) {
		size_t n = strcspn(p, "/");
		if (p[n] == '\0') {
			*ret_name = p;
			*ret_dirfd = TAKE_FD(cur);
			return 0;
		}
		char comp[256];
		if (n >= sizeof(comp))
			return -ENAMETOOLONG;
		memcpy(comp, p, n);
		comp[n] = '\0';
		int fd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT) {
			if (mkdirat(cur, comp, 0700) < 0 && errno != EEXIST) {
				snprintf(err, errlen, "cannot create %s/%.*s: %m", home,
					 (int)(p - rel + n), rel);
				return -errno;
			}
			fd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0 && (fchown(fd, uid, gid) < 0 || fchmod(fd, 0700) < 0)) {
				int r = -errno;
				close(fd);
				return r;
			}
		}
		if (fd < 0) {
			int r = -errno;
			if (r == -ELOOP || r == -ENOTDIR)
				snprintf(err, errlen,
					 "%s/%.*s is a symbolic link or not a directory", home,
					 (int)(p - rel + n), rel);
			else
				snprintf(err, errlen, "cannot open %s/%.*s: %s", home,
					 (int)(p - rel + n), rel, strerror(-r));
			return r == -ENOTDIR ? -ELOOP : r;
		}
		close(cur);
		cur = fd;
		p += n + 1;
	}
}

int ssh_write_authorized_keys(const char *home, const char *path, char *const *keys, uid_t uid,
			      gid_t gid, char *err, size_t errlen)
{
	_cleanup_close_ int homefd = -EBADF, dirfd = -EBADF;
	_cleanup_free_ char *existing = NULL;
	_cleanup_strv_free_ char **lines = NULL;
	const char *name = NULL;
	StrBuf b = {0};
	int r;

	const char *rel = startswith(path, home);
	if (!rel || *rel != '/' || !path_is_below(path, home)) {
		snprintf(err, errlen, "%s is not inside %s", path, home);
		return -EPERM;
	}
	rel++;
	homefd = open(home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (homefd < 0) {
		snprintf(err, errlen, "cannot open home directory %s: %m", home);
		return errno == ENOTDIR ? -ELOOP : -errno;
	}
	r = open_dirs_nofollow(homefd, home, rel, uid, gid, &dirfd, &name, err, errlen);
	if (r < 0)
		return r;

	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno != ENOENT) {
		r = -errno;
		snprintf(err, errlen, r == -ELOOP ? "%s is a symbolic link" : "cannot open %s: %m",
			 path);
		return r;
	}
	if (fd >= 0) {
		struct stat st;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			snprintf(err, errlen, "%s is not a regular file", path);
			return -EINVAL;
		}
		r = read_full_fd(fd, 1024 * 1024, &existing, NULL);
		close(fd);
		if (r < 0) {
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(-r));
			return r;
		}
		r = strv_split(existing, "\n", &lines);
		if (r < 0)
			return r;
	}
	for (char *const *k = keys; k && *k; k++)
		if (!strv_contains(lines, *k) && (r = strv_extend(&lines, *k)) < 0)
			return r;
	for (char **l = lines; l && *l; l++) {
		strbuf_puts(&b, *l);
		strbuf_puts(&b, "\n");
	}
	char *content = strbuf_steal(&b);
	if (!content)
		return -ENOMEM;
	r = write_file_atomic_full(dirfd, name, content, strlen(content), 0600, uid, gid);
	free(content);
	if (r < 0)
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-r));
	return r;
}

int sshd_set_password_auth(const char *dropin_dir, bool enabled, const char *pidfile, char *err,
			   size_t errlen)
{
	char path[4096], content[128];
	struct stat st;
	int r;

	if (stat(dropin_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "sshd drop-in directory %s does not exist", dropin_dir);
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/50-lazuli-init.conf", dropin_dir);
	snprintf(content, sizeof(content), "# Written by lazuli-init\nPasswordAuthentication %s\n",
		 enabled ? "yes" : "no");
	r = write_file_atomic(path, content, strlen(content), 0644);
	if (r < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-r));
		return r;
	}

	/* Reload a running sshd so the setting applies now, not at its next start. */
	_cleanup_free_ char *pidtext = NULL;
	unsigned long long pid;
	if (!pidfile || read_full_file(pidfile, 64, &pidtext, NULL) < 0 ||
	    safe_atou64(strstrip(pidtext), &pid) < 0 || pid <= 1 || pid > INT32_MAX)
		return 0;
	char comm_path[64];
	_cleanup_free_ char *comm = NULL;
	snprintf(comm_path, sizeof(comm_path), "/proc/%llu/comm", pid);
	if (read_full_file(comm_path, 64, &comm, NULL) < 0 || !streq(strstrip(comm), "sshd"))
		return 0;
	if (kill((pid_t)pid, SIGHUP) < 0) {
		snprintf(err, errlen, "cannot reload sshd (pid %llu): %m", pid);
		return -errno;
	}
	return 1;
}

int sshd_reload_unit(const char *systemctl, const char *unit, usec_t timeout, char *err,
		     size_t errlen)
{
	char *const show[] = {(char *)systemctl, "show", "--property=ActiveState", "--value",
			      (char *)unit, NULL};
	char *const reload[] = {(char *)systemctl, "reload", (char *)unit, NULL};
	usec_t deadline = now_usec(CLOCK_MONOTONIC) + timeout;
	int r;

	/*
	 * An sshd that is starting may have read the configuration before the
	 * drop-in was written, and a SIGHUP that arrives before it set its
	 * handler ends it for good (systemd takes that for a clean exit). Its
	 * unit turns active only once sshd said it is ready, handler set; a unit
	 * that is not started yet reads the drop-in when it starts.
	 */
	for (;;) {
		_cleanup_free_ char *out = NULL;
		r = run_capture(show, &out);
		if (r != 0) {
			snprintf(err, errlen, "%s show %s failed (%s)", systemctl, unit,
				 r < 0 ? strerror(-r) : "non-zero exit status");
			return r < 0 ? r : -EIO;
		}
		const char *state = out ? strstrip(out) : "";
		if (streq(state, "active"))
			break;
		if (!streq(state, "activating") && !streq(state, "reloading") &&
		    !streq(state, "refreshing"))
			return 0;
		if (now_usec(CLOCK_MONOTONIC) >= deadline) {
			snprintf(err, errlen, "%s was still %s after %llu s; not reloaded", unit,
				 state, (unsigned long long)(timeout / USEC_PER_SEC));
			return -ETIMEDOUT;
		}
		sleep_usec(100 * USEC_PER_MSEC);
	}
	_cleanup_free_ char *out = NULL;
	r = run_capture(reload, &out);
	if (r != 0) {
		snprintf(err, errlen, "%s reload %s failed (%s)", systemctl, unit,
			 r < 0 ? strerror(-r) : "non-zero exit status");
		return r < 0 ? r : -EIO;
	}
	return 1;
}
