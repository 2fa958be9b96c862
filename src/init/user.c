/* SPDX-License-Identifier: MIT */
/* The admin user: name rules, useradd, password or lock, sudoers (spec 1.4, 1.5, 6). */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "macros.h"
#include "random-util.h"
#include "steps.h"
#include "strutil.h"

#define USERNAME_MAX 32

/* Names Azure itself refuses for adminUsername on Linux. */
static const char *const reserved_names[] = {
    "administrator",
    "admin",
    "user",
    "user1",
    "test",
    "user2",
    "test1",
    "user3",
    "admin1",
    "1",
    "123",
    "a",
    "actuser",
    "adm",
    "admin2",
    "aspnet",
    "backup",
    "console",
    "david",
    "guest",
    "john",
    "owner",
    "root",
    "server",
    "sql",
    "support",
    "support_388945a0",
    "sys",
    "test2",
    "test3",
    "user4",
    "user5",
    "bin",
    "daemon",
    "nobody",
};

int username_validate(const char *name, char *err, size_t errlen)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0) {
		snprintf(err, errlen, "user name is empty");
		return -EINVAL;
	}
	if (n > USERNAME_MAX) {
		snprintf(err, errlen, "user name is %zu characters, more than %d", n, USERNAME_MAX);
		return -EINVAL;
	}
	if (!((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_')) {
		snprintf(err, errlen, "user name must start with a lower-case letter or '_'");
		return -EINVAL;
	}
	for (size_t i = 1; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
			snprintf(
			    err, errlen,
			    "user name may only contain a-z, 0-9, '_' and '-' (byte %zu is not)",
			    i);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < ELEMENTSOF(reserved_names); i++)
		if (streq(name, reserved_names[i])) {
			snprintf(err, errlen, "user name \"%s\" is reserved", name);
			return -EINVAL;
		}
	struct passwd *pw = getpwnam(name);
	/* Debian: below 1000 system accounts, 60000-65535 reserved (nobody is 65534). */
	if (pw && (pw->pw_uid < 1000 || pw->pw_uid >= 60000)) {
		snprintf(err, errlen, "user name \"%s\" is a system account", name);
		return -EINVAL;
	}
	return 0;
}

int password_hash_sha512(const char *password, char **ret)
{
	static const char alphabet[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./";
	unsigned char rnd[16];
	char setting[3 + 16 + 1] = "$6$";
	struct crypt_data *cd = calloc(1, sizeof(*cd));

	if (!cd)
		return -ENOMEM;
	random_bytes(rnd, sizeof(rnd));
	for (size_t i = 0; i < sizeof(rnd); i++)
		setting[3 + i] = alphabet[rnd[i] % 64];
	setting[19] = '\0';
	/* crypt_rn, not crypt_r: sanitizer runtimes define crypt_r themselves, so
	 * with --as-needed libcrypt was dropped from the link and the interceptor
	 * called a null pointer. crypt_rn also returns NULL on failure. */
	char *h = crypt_rn(password, setting, cd, sizeof(*cd));
	int r = 0;
	if (!h || h[0] != '$' || !startswith(h, "$6$"))
		r = -EINVAL;
	else if (!(*ret = strdup(h)))
		r = -ENOMEM;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return r;
}

static const char *find_program(const char *name, char *buf, size_t len)
{
	static const char *const dirs[] = {"/usr/sbin", "/usr/bin", "/sbin", "/bin"};
	if (strchr(name, '/'))
		return name;
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		snprintf(buf, len, "%s/%s", dirs[i], name);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

/*
 * Run a program without a shell, with a minimal environment, optional data on
 * stdin (used for secrets, never argv) and the first line of its stderr in err.
 */
static int run(const char *prog, const char *const *args, const char *input, char *err,
	       size_t errlen)
{
	char path[256];
	const char *exe = find_program(prog, path, sizeof(path));
	int in[2] = {-1, -1}, errp[2] = {-1, -1};
	char *argv[16];
	size_t n = 0;

	if (!exe) {
		snprintf(err, errlen, "%s not found", prog);
		return -ENOENT;
	}
	argv[n++] = (char *)exe;
	for (; args && *args && n < ELEMENTSOF(argv) - 1; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		int r = -errno;
		for (int i = 0; i < 2; i++) {
			if (in[i] >= 0)
				close(in[i]);
			if (errp[i] >= 0)
				close(errp[i]);
		}
		return r;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int r = -errno;
		close(in[0]), close(in[1]), close(errp[0]), close(errp[1]);
		return r;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (dup2(in[0], STDIN_FILENO) < 0 || devnull < 0 ||
		    dup2(devnull, STDOUT_FILENO) < 0 || dup2(errp[1], STDERR_FILENO) < 0)
			_exit(127);
		char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
		execve(exe, argv, envp);
		_exit(127);
	}
	close(in[0]);
	close(errp[1]);
	if (input)
		(void)loop_write(in[1], input, strlen(input));
	close(in[1]);
	_cleanup_free_ char *errtext = NULL;
	(void)read_full_fd(errp[0], 64 * 1024, &errtext, NULL);
	close(errp[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	const char *first = errtext ? errtext : "";
	snprintf(err, errlen, "%s failed (%s %d)%s%.*s", prog,
		 WIFEXITED(status) ? "exit" : "signal",
		 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), *first ? ": " : "",
		 (int)MIN(strcspn(first, "\n"), (size_t)200), first);
	return -EIO;
}

int user_grant_sudo(const UserSpec *spec, char *err, size_t errlen)
{
	_cleanup_free_ char *dir = strdup(spec->sudoers_path), *tmp = NULL;
	char content[128];
	char *slash;
	int r;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir) {
		snprintf(err, errlen, "sudoers path %s has no directory", spec->sudoers_path);
		return -EINVAL;
	}
	*slash = '\0';
	/* With a password set, sudo asks for it; without one it cannot. */
	snprintf(content, sizeof(content), "%s ALL=(ALL) %s\n", spec->name,
		 spec->password ? "ALL" : "NOPASSWD: ALL");
	if (asprintf(&tmp, "%s/.lazuli-init.%08x", dir, (unsigned)random_below(UINT32_MAX)) < 0)
		return -ENOMEM;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0440);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a file in %s: %m", dir);
		return -errno;
	}
	r = loop_write(fd, content, strlen(content));
	if (r >= 0 && (fchmod(fd, 0440) < 0 || fsync(fd) < 0))
		r = -errno;
	close(fd);
	if (r < 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(-r));
		goto fail;
	}
	/* visudo checks the fragment before it can reach sudo. */
	const char *args[] = {"-cf", tmp, NULL};
	r = run(spec->visudo ? spec->visudo : "visudo", args, NULL, err, errlen);
	if (r < 0)
		goto fail;
	if (rename(tmp, spec->sudoers_path) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot install %s: %m", spec->sudoers_path);
		goto fail;
	}
	(void)fsync_directory_of(spec->sudoers_path);
	return 0;
fail:
	(void)unlink(tmp);
	return r;
}

/* The configured groups that exist, comma-separated (missing ones are logged). */
static int existing_groups(const UserSpec *spec, StrBuf *b)
{
	for (char *const *g = spec->groups; g && *g; g++) {
		if (!getgrnam(*g)) {
			log_warning("Group %s does not exist, not adding %s to it", *g, spec->name);
			continue;
		}
		if ((b->len && strbuf_puts(b, ",") < 0) || strbuf_puts(b, *g) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int add_groups(const UserSpec *spec, char *err, size_t errlen)
{
	StrBuf b = {0};
	int r = existing_groups(spec, &b);
	if (r < 0 || !b.len) {
		strbuf_free(&b);
		return r;
	}
	const char *args[] = {"-a", "-G", b.data, spec->name, NULL};
	r = run("usermod", args, NULL, err, errlen);
	strbuf_free(&b);
	return r;
}

/* Is the account's password locked already? useradd creates accounts with
 * the locked password "!", so a new user needs no passwd -l. */
static bool password_locked(const char *name)
{
	const struct spwd *sp = getspnam(name);
	return sp && sp->sp_pwdp && sp->sp_pwdp[0] == '!';
}

int user_provision(const UserSpec *spec, uid_t *ret_uid, gid_t *ret_gid, char **ret_home, char *err,
		   size_t errlen)
{
	char home[256], shell_buf[16];
	struct stat st;
	int r;

	r = username_validate(spec->name, err, errlen);
	if (r < 0)
		return r;

	struct passwd *pw = getpwnam(spec->name);
	if (!pw) {
		snprintf(home, sizeof(home), "/home/%s", spec->name);
		if (lstat(home, &st) == 0 && S_ISLNK(st.st_mode)) {
			snprintf(err, errlen, "home directory %s is a symbolic link", home);
			return -ELOOP;
		}
		const char *shell = spec->shell;
		if (!shell) {
			snprintf(shell_buf, sizeof(shell_buf), "%s",
				 access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh");
			shell = shell_buf;
		}
		/* The groups come with the account: one program run, not two. */
		StrBuf groups = {0};
		r = existing_groups(spec, &groups);
		if (r < 0) {
			strbuf_free(&groups);
			return r;
		}
		const char *args[] = {"-m",
				      "-d",
				      home,
				      "-s",
				      shell,
				      "-c",
				      "Lazuli admin user",
				      "-U",
				      spec->name,
				      groups.len ? "-G" : NULL,
				      groups.data,
				      NULL};
		r = run("useradd", args, NULL, err, errlen);
		strbuf_free(&groups);
		if (r < 0)
			return r;
		pw = getpwnam(spec->name);
		if (!pw) {
			snprintf(err, errlen, "useradd succeeded but %s does not exist",
				 spec->name);
			return -ENOENT;
		}
	} else {
		log_info("User %s exists already, updating it", spec->name);
		r = add_groups(spec, err, errlen);
		if (r < 0)
			return r;
	}

	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	_cleanup_free_ char *h = strdup(pw->pw_dir);
	if (!h)
		return -ENOMEM;
	if (lstat(h, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "home directory %s is missing or not a directory", h);
		return -ENOTDIR;
	}
	if (st.st_uid != uid) {
		snprintf(err, errlen, "home directory %s is not owned by %s", h, spec->name);
		return -EPERM;
	}
	if (chmod(h, 0700) < 0) {
		snprintf(err, errlen, "cannot chmod %s: %m", h);
		return -errno;
	}

	if (spec->password) {
		_cleanup_erase_ char *hash = NULL, *line = NULL;
		r = password_hash_sha512(spec->password, &hash);
		if (r < 0) {
			snprintf(err, errlen, "cannot hash the password");
			return r;
		}
		if (asprintf(&line, "%s:%s\n", spec->name, hash) < 0)
			return -ENOMEM;
		const char *args[] = {"-e", NULL};
		r = run("chpasswd", args, line, err, errlen);
	} else if (!password_locked(spec->name)) {
		const char *args[] = {"-l", spec->name, NULL};
		r = run("passwd", args, NULL, err, errlen);
	}
	if (r < 0)
		return r;

	if (spec->sudoers_path) {
		r = user_grant_sudo(spec, err, errlen);
		if (r < 0)
			return r;
	}
	*ret_uid = uid;
	*ret_gid = gid;
	*ret_home = TAKE_PTR(h);
	return 0;
}
