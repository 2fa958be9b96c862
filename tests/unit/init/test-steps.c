/* SPDX-License-Identifier: MIT */
/* vm_id, host name and user name steps of lazuli-init (steps.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <net/if.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "strutil.h"
#include "steps.h"

/* ---- fixtures ---------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void rm_rf(const char *path)
{
	(void)nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *make_tmpdir(void)
{
	char tmpl[] = "/tmp/lazuli-test-steps-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char *d = strdup(tmpl);
	assert_non_null(d);
	return d;
}

static int setup_tmp(void **state)
{
	*state = make_tmpdir();
	return 0;
}

static int teardown_tmp(void **state)
{
	rm_rf(*state);
	free(*state);
	return 0;
}

static char *path_join(const char *dir, const char *rel)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", dir, rel) > 0);
	return p;
}

/* Write content to dir/rel, creating the directories on the way. */
static void put_file(const char *dir, const char *rel, const char *content, mode_t mode)
{
	_cleanup_free_ char *p = path_join(dir, rel);
	_cleanup_free_ char *parent = strdup(p);
	assert_non_null(parent);
	*strrchr(parent, '/') = '\0';
	assert_int_equal(mkdir_p(parent, 0755), 0);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(loop_write(fd, content, strlen(content)), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void put_dir(const char *dir, const char *rel)
{
	_cleanup_free_ char *p = path_join(dir, rel);
	assert_int_equal(mkdir_p(p, 0755), 0);
}

static char *slurp(const char *path)
{
	char *s = NULL;
	int r = read_full_file(path, 1024 * 1024, &s, NULL);
	if (r < 0)
		fail_msg("cannot read %s: %s", path, strerror(-r));
	return s;
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("'%s' does not contain '%s'", haystack, needle);
}

/* ---- vmid --------------------------------------------------------------- */

#define DMI_UUID "sys/class/dmi/id/product_uuid"
#define UUID_UPPER "C3A9E9D2-1B2C-4D5E-8F90-A1B2C3D4E5F6"
#define UUID_LOWER "c3a9e9d2-1b2c-4d5e-8f90-a1b2c3d4e5f6"
/* First three fields byte-reversed: c3a9e9d2 -> d2e9a9c3, 1b2c -> 2c1b, 4d5e -> 5e4d. */
#define UUID_GEN1 "d2e9a9c3-2c1b-5e4d-8f90-a1b2c3d4e5f6"

static void test_vmid_gen2_trimmed_lowercase(void **state)
{
	const char *root = *state;
	char id[37], err[512] = "";

	put_file(root, DMI_UUID, "  " UUID_UPPER " \n", 0444);
	put_dir(root, "sys/firmware/efi");
	assert_int_equal(vmid_read(root, id, err, sizeof(err)), 0);
	assert_string_equal(id, UUID_LOWER);
}

static void test_vmid_dev_efi_is_gen2(void **state)
{
	const char *root = *state;
	char id[37], err[512] = "";

	put_file(root, DMI_UUID, UUID_UPPER "\n", 0444);
	put_file(root, "dev/efi", "", 0600);
	assert_int_equal(vmid_read(root, id, err, sizeof(err)), 0);
	assert_string_equal(id, UUID_LOWER);
}

static void test_vmid_gen1_swapped(void **state)
{
	const char *root = *state;
	char id[37], err[512] = "";

	put_file(root, DMI_UUID, UUID_UPPER "\n", 0444);
	assert_int_equal(vmid_read(root, id, err, sizeof(err)), 0);
	assert_string_equal(id, UUID_GEN1);

	/* A sysroot with a trailing slash names the same tree. */
	_cleanup_free_ char *slash = path_join(root, "");
	assert_int_equal(vmid_read(slash, id, err, sizeof(err)), 0);
	assert_string_equal(id, UUID_GEN1);
}

static void test_vmid_invalid(void **state)
{
	const char *root = *state;
	static const char *const bad[] = {
	    "",
	    "\n",
	    "not-a-uuid",
	    "C3A9E9D2-1B2C-4D5E-8F90-A1B2C3D4E5F",    /* 35 characters */
	    "C3A9E9D2-1B2C-4D5E-8F90-A1B2C3D4E5F67",  /* 37 characters */
	    "C3A9E9D21B2C-4D5E-8F90-A1B2C3D4E5F6A",   /* hyphen misplaced */
	    "G3A9E9D2-1B2C-4D5E-8F90-A1B2C3D4E5F6",   /* not hex */
	    "C3A9E9D2-1B2C-4D5E-8F90-A1B2C3D4 5F6",   /* blank inside */
	    "{C3A9E9D2-1B2C-4D5E-8F90-A1B2C3D4E5F6}", /* braces */
	    "C3A9E9D2-1B2C-4D5E-8F90-A1B2C3D4E5F6\nC3A9E9D2-1B2C-4D5E-8F90-A1B2C3D4E5F6",
	};
	_cleanup_free_ char *file = path_join(root, DMI_UUID);

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char id[37] = "untouched", err[512] = "";
		put_file(root, DMI_UUID, bad[i], 0444);
		assert_int_equal(vmid_read(root, id, err, sizeof(err)), -EINVAL);
		assert_contains(err, file);
		assert_contains(err, "UUID");
	}
}

static void test_vmid_missing_file(void **state)
{
	const char *root = *state;
	char id[37], err[512] = "";
	_cleanup_free_ char *file = path_join(root, DMI_UUID);

	put_dir(root, "sys/firmware/efi");
	assert_int_equal(vmid_read(root, id, err, sizeof(err)), -ENOENT);
	assert_contains(err, file);
}

static void test_vmid_swap_gen1(void **state)
{
	static const char *const ids[] = {
	    UUID_LOWER,
	    UUID_UPPER,
	    "00000000-0000-0000-0000-000000000000",
	    "01234567-89ab-cdef-0123-456789abcdef",
	};
	char once[37], twice[37];

	(void)state;
	assert_int_equal(vmid_swap_gen1(UUID_LOWER, once), 0);
	assert_string_equal(once, UUID_GEN1);
	assert_int_equal(vmid_swap_gen1("01234567-89ab-cdef-0123-456789abcdef", once), 0);
	assert_string_equal(once, "67452301-ab89-efcd-0123-456789abcdef");

	for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
		assert_int_equal(vmid_swap_gen1(ids[i], once), 0);
		assert_int_equal(strlen(once), 36);
		assert_int_equal(vmid_swap_gen1(once, twice), 0);
		assert_string_equal(twice, ids[i]);
	}

	assert_int_equal(vmid_swap_gen1("not-a-uuid", once), -EINVAL);
	assert_int_equal(vmid_swap_gen1("", once), -EINVAL);
	assert_int_equal(vmid_swap_gen1(UUID_LOWER "0", once), -EINVAL);
}

/* ---- hostname_is_valid --------------------------------------------------- */

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_hostname_valid(void **state)
{
	_cleanup_free_ char *l63 = repeat('a', 63);
	_cleanup_free_ char *total64 = NULL, *l63dot = NULL;

	(void)state;
	assert_true(asprintf(&total64, "%s.%s", l63 + 32, l63 + 31) > 0); /* 31 + 1 + 32 */
	assert_int_equal(strlen(total64), 64);
	assert_true(asprintf(&l63dot, "b.%s", l63 + 2) > 0); /* 63 characters */

	static const char *const good[] = {
	    "a",	"Z",	 "0",	  "myhost", "my-host",
	    "MyHost01", "1host", "a-b-c", "a--b",   "web01.example.com",
	    "x.y",
	};
	for (size_t i = 0; i < ELEMENTSOF(good); i++)
		if (!hostname_is_valid(good[i]))
			fail_msg("'%s' should be a valid host name", good[i]);
	assert_true(hostname_is_valid(l63));
	assert_true(hostname_is_valid(total64));
	assert_true(hostname_is_valid(l63dot));
}

static void test_hostname_invalid(void **state)
{
	_cleanup_free_ char *l64 = repeat('a', 64);
	_cleanup_free_ char *total65 = NULL;

	(void)state;
	assert_true(asprintf(&total65, "%.32s.%.32s", l64, l64) > 0);
	assert_int_equal(strlen(total65), 65);

	static const char *const bad[] = {
	    "",
	    "-host",
	    "host-",
	    "ho_st",
	    "host.",
	    ".host",
	    "a..b",
	    "a-.b",
	    "a.-b",
	    "host name",
	    "host\n",
	    "host\t",
	    "h\xc3\xb3st",  /* hóst */
	    "\xe2\x98\x83", /* snowman */
	    "host!",
	    "ho/st",
	    "-",
	    ".",
	    "a.b-",
	    "*.example",
	    "h@st",
	    "ho:st",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (hostname_is_valid(bad[i]))
			fail_msg("'%s' should not be a valid host name", bad[i]);
	assert_false(hostname_is_valid(NULL));
	assert_false(hostname_is_valid(l64));	  /* one label of 64, 64 in total */
	assert_false(hostname_is_valid(total65)); /* labels fine, 65 in total */

	_cleanup_free_ char *l64dotted = NULL;
	assert_true(asprintf(&l64dotted, "%s.b", l64) > 0);
	assert_false(hostname_is_valid(l64dotted));
}

/* ---- hostname_apply (in a child with its own UTS namespace) --------------- */

#define CHILD_CHECK(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			dprintf(STDERR_FILENO, "%s:%d: child check failed: %s\n", __FILE__,        \
				__LINE__, #cond);                                                  \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)

/* Run fn in a forked child inside a new UTS namespace; skip if that is not allowed. */
static void run_in_uts_namespace(void (*fn)(const char *dir), const char *dir)
{
	char before[256] = "", after[256] = "";
	assert_int_equal(gethostname(before, sizeof(before)), 0);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWUTS) < 0)
			_exit(77);
		fn(dir);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);

	/* The test process's own host name is untouched. */
	assert_int_equal(gethostname(after, sizeof(after)), 0);
	assert_string_equal(before, after);
}

static void apply_child(const char *dir)
{
	char err[512] = "", name[256] = "";
	struct stat st;
	_cleanup_free_ char *file = NULL, *missing = NULL, *content = NULL;

	CHILD_CHECK(asprintf(&file, "%s/hostname", dir) > 0);
	CHILD_CHECK(asprintf(&missing, "%s/no-such-dir/hostname", dir) > 0);

	umask(077);
	CHILD_CHECK(hostname_apply("lazuli-test-host", file, err, sizeof(err)) == 0);
	CHILD_CHECK(gethostname(name, sizeof(name)) == 0);
	CHILD_CHECK(streq(name, "lazuli-test-host"));
	CHILD_CHECK(read_full_file(file, 1024, &content, NULL) == 0);
	CHILD_CHECK(streq(content, "lazuli-test-host\n"));
	CHILD_CHECK(stat(file, &st) == 0);
	CHILD_CHECK((st.st_mode & 07777) == 0644);

	/* Replaced, not appended to. */
	CHILD_CHECK(hostname_apply("second", file, err, sizeof(err)) == 0);
	free(content);
	content = NULL;
	CHILD_CHECK(read_full_file(file, 1024, &content, NULL) == 0);
	CHILD_CHECK(streq(content, "second\n"));

	/* An invalid name changes nothing. */
	err[0] = '\0';
	CHILD_CHECK(hostname_apply("bad_name", file, err, sizeof(err)) == -EINVAL);
	CHILD_CHECK(err[0] != '\0');
	CHILD_CHECK(gethostname(name, sizeof(name)) == 0);
	CHILD_CHECK(streq(name, "second"));
	free(content);
	content = NULL;
	CHILD_CHECK(read_full_file(file, 1024, &content, NULL) == 0);
	CHILD_CHECK(streq(content, "second\n"));

	/* The file cannot be written: the error names it. */
	err[0] = '\0';
	CHILD_CHECK(hostname_apply("third", missing, err, sizeof(err)) == -ENOENT);
	CHILD_CHECK(strstr(err, missing) != NULL);
}

static void test_hostname_apply(void **state)
{
	run_in_uts_namespace(apply_child, *state);
}

/* ---- hostname_publish ------------------------------------------------------ */

static char *fake_networkctl(const char *dir, int exit_code)
{
	_cleanup_free_ char *script = NULL;
	assert_true(asprintf(&script,
			     "#!/bin/sh\n"
			     "printf '%%s\\n' \"$@\" > '%s/networkctl.args'\n"
			     "exit %d\n",
			     dir, exit_code) > 0);
	put_file(dir, "networkctl", script, 0755);
	return path_join(dir, "networkctl");
}

static bool ran(const char *dir)
{
	_cleanup_free_ char *p = path_join(dir, "networkctl.args");
	return access(p, F_OK) == 0;
}

/* Point hostname_publish at dir/links; returns that path. */
static char *links_dir(const char *dir)
{
	_cleanup_free_ char *p = path_join(dir, "links");
	assert_int_equal(mkdir_p(p, 0755), 0);
	assert_int_equal(setenv("LAZULI_NETIF_DIR", p, 1), 0);
	return TAKE_PTR(p);
}

static int teardown_publish(void **state)
{
	unsetenv("LAZULI_NETIF_DIR");
	return teardown_tmp(state);
}

/* Names of this namespace's interfaces other than lo (NULL if none). */
static char **real_links(void)
{
	struct if_nameindex *ifs = if_nameindex();
	char **l = NULL;
	assert_non_null(ifs);
	for (struct if_nameindex *i = ifs; i->if_index != 0; i++)
		if (!streq(i->if_name, "lo"))
			assert_int_equal(strv_extend(&l, i->if_name), 0);
	if_freenameindex(ifs);
	return l;
}

static void add_link_file(const char *links, const char *name)
{
	char idx[32];
	snprintf(idx, sizeof(idx), "%u", if_nametoindex(name));
	assert_string_not_equal(idx, "0");
	put_file(links, idx, "ADMIN_STATE=configured\nOPER_STATE=routable\n", 0644);
}

static void test_publish_no_networkd(void **state)
{
	const char *dir = *state;
	char err[512] = "";
	_cleanup_free_ char *nc = fake_networkctl(dir, 0);
	_cleanup_free_ char *gone = path_join(dir, "no-such-links");

	assert_int_equal(setenv("LAZULI_NETIF_DIR", gone, 1), 0);
	assert_int_equal(hostname_publish(nc, err, sizeof(err)), 0);
	assert_false(ran(dir));
}

static void test_publish_nothing_managed(void **state)
{
	const char *dir = *state;
	char err[512] = "";
	_cleanup_free_ char *nc = fake_networkctl(dir, 0);
	_cleanup_free_ char *links = links_dir(dir);

	/* Empty directory. */
	assert_int_equal(hostname_publish(nc, err, sizeof(err)), 0);
	assert_false(ran(dir));

	/* Only lo, names that are not indexes, and an index no interface has. */
	add_link_file(links, "lo");
	put_file(links, "foo", "", 0644);
	put_file(links, "0", "", 0644);
	put_file(links, "-2", "", 0644);
	put_file(links, "4294967296", "", 0644);
	put_file(links, "4000000000", "", 0644);
	assert_int_equal(hostname_publish(nc, err, sizeof(err)), 0);
	assert_false(ran(dir));
}

static void test_publish_reconfigures_links(void **state)
{
	const char *dir = *state;
	char err[512] = "";
	_cleanup_strv_free_ char **ifs = real_links();
	if (!ifs)
		skip();
	_cleanup_free_ char *nc = fake_networkctl(dir, 0);
	_cleanup_free_ char *links = links_dir(dir);
	for (char **i = ifs; *i; i++)
		add_link_file(links, *i);
	add_link_file(links, "lo");
	put_file(links, "junk", "", 0644);

	assert_int_equal(hostname_publish(nc, err, sizeof(err)), (int)strv_length(ifs));
	assert_true(ran(dir));

	_cleanup_free_ char *argsfile = path_join(dir, "networkctl.args");
	_cleanup_free_ char *args = slurp(argsfile);
	_cleanup_strv_free_ char **argv = NULL;
	assert_int_equal(strv_split(args, "\n", &argv), 0);
	assert_int_equal(strv_length(argv), strv_length(ifs) + 1);
	assert_string_equal(argv[0], "reconfigure");
	for (char **i = ifs; *i; i++)
		if (!strv_contains(argv + 1, *i))
			fail_msg("%s was not reconfigured (args: %s)", *i, args);
	assert_false(strv_contains(argv, "lo"));
}

static void test_publish_networkctl_fails(void **state)
{
	const char *dir = *state;
	char err[512] = "";
	_cleanup_strv_free_ char **ifs = real_links();
	if (!ifs)
		skip();
	_cleanup_free_ char *nc = fake_networkctl(dir, 3);
	_cleanup_free_ char *links = links_dir(dir);
	add_link_file(links, ifs[0]);

	assert_int_equal(hostname_publish(nc, err, sizeof(err)), -EIO);
	assert_true(ran(dir));
	assert_contains(err, "status 3");

	/* Not executable at all. */
	_cleanup_free_ char *noexec = path_join(dir, "not-executable");
	put_file(dir, "not-executable", "#!/bin/sh\nexit 0\n", 0644);
	err[0] = '\0';
	assert_int_equal(hostname_publish(noexec, err, sizeof(err)), -EIO);
	assert_contains(err, noexec);

	/* A bare name is looked up in the system directories only. */
	err[0] = '\0';
	assert_int_equal(hostname_publish("lazuli-no-such-networkctl", err, sizeof(err)), -ENOENT);
	assert_contains(err, "lazuli-no-such-networkctl");
}

/* _start returns while networkctl still runs; _wait collects its outcome. */
static void test_publish_start_then_wait(void **state)
{
	const char *dir = *state;
	char err[512] = "";
	_cleanup_strv_free_ char **ifs = real_links();
	if (!ifs)
		skip();
	_cleanup_free_ char *script = NULL;
	/* It waits (at most 5 s) for the test to say "go", then exits 4. */
	assert_true(
	    asprintf(
		&script,
		"#!/bin/sh\n"
		"i=0; while [ ! -e '%s/go' ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done\n"
		"printf '%%s\\n' \"$@\" > '%s/networkctl.args'\n"
		"exit 4\n",
		dir, dir) > 0);
	put_file(dir, "networkctl", script, 0755);
	_cleanup_free_ char *nc = path_join(dir, "networkctl");
	_cleanup_free_ char *links = links_dir(dir);
	add_link_file(links, ifs[0]);

	HostnamePublish p;
	assert_int_equal(hostname_publish_start(nc, &p, err, sizeof(err)), 1);
	assert_true(p.pid > 0);
	assert_false(ran(dir));
	assert_int_equal(kill(p.pid, 0), 0); /* still running */
	put_file(dir, "go", "", 0644);
	assert_int_equal(hostname_publish_wait(&p, err, sizeof(err)), -EIO);
	assert_contains(err, "status 4");
	assert_true(ran(dir));
	assert_int_equal(p.pid, -1);
	/* Reaped: a second wait has nothing to do. */
	assert_int_equal(hostname_publish_wait(&p, err, sizeof(err)), 0);

	/* Nothing managed: nothing started, and waiting is a no-op. */
	assert_int_equal(setenv("LAZULI_NETIF_DIR", "/nonexistent/links", 1), 0);
	assert_int_equal(hostname_publish_start(nc, &p, err, sizeof(err)), 0);
	assert_int_equal(p.pid, -1);
	assert_int_equal(hostname_publish_wait(&p, err, sizeof(err)), 0);
}

/* ---- username_validate ---------------------------------------------------- */

static void assert_username_rejected(const char *name, const char *why)
{
	char err[512] = "";
	int r = username_validate(name, err, sizeof(err));
	if (r != -EINVAL)
		fail_msg("user name '%s' gave %d, expected -EINVAL", name ? name : "(null)", r);
	if (why && !strstr(err, why))
		fail_msg("user name '%s': error '%s' does not say '%s'", name, err, why);
}

static void test_username_valid(void **state)
{
	_cleanup_free_ char *n32 = repeat('z', 32);
	static const char *const good[] = {
	    "azureuser", "_svc", "a1", "ab-c_d9", "lazuli-admin", "x-", "_", "zz",
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		char err[512] = "";
		assert_null(getpwnam(good[i]));
		int r = username_validate(good[i], err, sizeof(err));
		if (r != 0)
			fail_msg("'%s' rejected (%d): %s", good[i], r, err);
	}
	char err[512] = "";
	assert_int_equal(username_validate(n32, err, sizeof(err)), 0);
}

static void test_username_syntax(void **state)
{
	_cleanup_free_ char *n33 = repeat('z', 33);

	(void)state;
	assert_username_rejected(NULL, "empty");
	assert_username_rejected("", "empty");
	assert_username_rejected(n33, "33");
	static const char *const bad[] = {
	    "1abc",	    "-abc", "Azure", "azureUser", "az.user", "az user", "az@host", "azure$",
	    "\xc3\xa9lise", "a\tb", "a/b",   "a:b",	  "a\nb",    "9",	"..",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		assert_username_rejected(bad[i], NULL);
}

static void test_username_reserved(void **state)
{
	static const char *const reserved[] = {
	    "root", "admin", "administrator", "user", "test",  "guest",	  "sys",
	    "a",    "adm",   "backup",	      "john", "owner", "support", "user5",
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(reserved); i++) {
		char err[512] = "";
		if (username_validate(reserved[i], err, sizeof(err)) != -EINVAL)
			fail_msg("reserved name '%s' accepted", reserved[i]);
		assert_contains(err, reserved[i]);
	}
	/* The header names these as reserved; they are system accounts everywhere. */
	assert_username_rejected("bin", NULL);
	assert_username_rejected("daemon", NULL);
}

static void test_username_system_accounts(void **state)
{
	_cleanup_strv_free_ char **system = NULL;
	struct passwd *pw;

	(void)state;
	/* Collect first: username_validate's getpwnam() must not disturb the walk. */
	setpwent();
	while ((pw = getpwent()))
		if (pw->pw_uid < 1000 || pw->pw_uid >= 60000)
			assert_int_equal(strv_extend(&system, pw->pw_name), 0);
	endpwent();
	assert_true(strv_length(system) > 0);
	for (char **n = system; *n; n++) {
		char err[512] = "";
		if (username_validate(*n, err, sizeof(err)) != -EINVAL)
			fail_msg("system account '%s' accepted", *n);
	}
	/* Base Debian accounts, not in the reserved list: refused as system accounts. */
	assert_username_rejected("mail", "system account");
	assert_username_rejected("www-data", "system account");
	/* nobody is 65534, in Debian's reserved range above 60000. */
	assert_username_rejected("nobody", NULL);
}

/* ---- password_hash_sha512 ------------------------------------------------- */

static char *recrypt(const char *password, const char *setting)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	assert_non_null(cd);
	char *h = crypt_rn(password, setting, cd, sizeof(*cd));
	char *copy = h ? strdup(h) : NULL;
	free(cd);
	return copy;
}

static void assert_sha512_hash_of(const char *password, const char *hash)
{
	static const char salt_chars[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./";

	assert_non_null(hash);
	assert_true(startswith(hash, "$6$"));
	assert_int_equal(strspn(hash + 3, salt_chars), 16);
	assert_int_equal(hash[19], '$');
	assert_int_equal(strlen(hash), 3 + 16 + 1 + 86);
	assert_null(strstr(hash, password[0] ? password : "\x01"));

	_cleanup_free_ char *again = recrypt(password, hash);
	assert_non_null(again);
	assert_string_equal(again, hash);
}

static void test_password_hash(void **state)
{
	static const char *const passwords[] = {
	    "Sup3r$ecret!",
	    "",
	    "p\xc3\xa4ssw\xc3\xb6rd with spaces",
	    "123456789012345678901234567890123456789012345678901234567890123456789012",
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(passwords); i++) {
		_cleanup_free_ char *h = NULL;
		assert_int_equal(password_hash_sha512(passwords[i], &h), 0);
		assert_sha512_hash_of(passwords[i], h);
	}

	/* The hash does not verify another password. */
	_cleanup_free_ char *h = NULL, *other = NULL;
	assert_int_equal(password_hash_sha512("Sup3r$ecret!", &h), 0);
	other = recrypt("Sup3r$ecret?", h);
	assert_non_null(other);
	assert_string_not_equal(other, h);
}

static void test_password_hash_fresh_salt(void **state)
{
	_cleanup_free_ char *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(password_hash_sha512("same password", &a), 0);
	assert_int_equal(password_hash_sha512("same password", &b), 0);
	assert_string_not_equal(a, b);
	assert_memory_not_equal(a + 3, b + 3, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_vmid_gen2_trimmed_lowercase, setup_tmp,
					    teardown_tmp),
	    cmocka_unit_test_setup_teardown(test_vmid_dev_efi_is_gen2, setup_tmp, teardown_tmp),
	    cmocka_unit_test_setup_teardown(test_vmid_gen1_swapped, setup_tmp, teardown_tmp),
	    cmocka_unit_test_setup_teardown(test_vmid_invalid, setup_tmp, teardown_tmp),
	    cmocka_unit_test_setup_teardown(test_vmid_missing_file, setup_tmp, teardown_tmp),
	    cmocka_unit_test(test_vmid_swap_gen1),
	    cmocka_unit_test(test_hostname_valid),
	    cmocka_unit_test(test_hostname_invalid),
	    cmocka_unit_test_setup_teardown(test_hostname_apply, setup_tmp, teardown_tmp),
	    cmocka_unit_test_setup_teardown(test_publish_no_networkd, setup_tmp, teardown_publish),
	    cmocka_unit_test_setup_teardown(test_publish_nothing_managed, setup_tmp,
					    teardown_publish),
	    cmocka_unit_test_setup_teardown(test_publish_reconfigures_links, setup_tmp,
					    teardown_publish),
	    cmocka_unit_test_setup_teardown(test_publish_start_then_wait, setup_tmp,
					    teardown_publish),
	    cmocka_unit_test_setup_teardown(test_publish_networkctl_fails, setup_tmp,
					    teardown_publish),
	    cmocka_unit_test(test_username_valid),
	    cmocka_unit_test(test_username_syntax),
	    cmocka_unit_test(test_username_reserved),
	    cmocka_unit_test(test_username_system_accounts),
	    cmocka_unit_test(test_password_hash),
	    cmocka_unit_test(test_password_hash_fresh_salt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
