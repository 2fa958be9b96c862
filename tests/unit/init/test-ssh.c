/* SPDX-License-Identifier: MIT */
/* SSH steps of lazuli-init: key sanitizing, AuthorizedKeysFile, key file, sshd drop-in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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

static int setup_tmp(void **state)
{
	char tmpl[] = "/tmp/lazuli-test-ssh-XXXXXX";
	if (!mkdtemp(tmpl))
		return -1;
	*state = strdup(tmpl);
	return *state ? 0 : -1;
}

static int teardown_tmp(void **state)
{
	(void)nftw(*state, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(*state);
	return 0;
}

static char *path_join(const char *dir, const char *rel)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", dir, rel) > 0);
	return p;
}

static void put_file(const char *path, const char *content, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		fail_msg("cannot create %s: %s", path, strerror(errno));
	assert_int_equal(loop_write(fd, content, strlen(content)), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
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

static void assert_mode_owner(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		fail_msg("%s: %s", path, strerror(errno));
	if ((st.st_mode & 07777) != mode)
		fail_msg("%s has mode %04o, expected %04o", path, st.st_mode & 07777, mode);
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_gid, gid);
}

/* ---- keys ---------------------------------------------------------------- */

/*
 * The base64 of an OpenSSH public key blob: uint32 length + blob_type, then
 * payload_len bytes that look like key material (distinct per seed).
 */
static char *key_blob(const char *blob_type, size_t payload_len, unsigned seed)
{
	size_t tl = strlen(blob_type), n = 4 + tl + payload_len;
	unsigned char *b = malloc(n);
	assert_non_null(b);
	b[0] = (unsigned char)(tl >> 24);
	b[1] = (unsigned char)(tl >> 16);
	b[2] = (unsigned char)(tl >> 8);
	b[3] = (unsigned char)tl;
	memcpy(b + 4, blob_type, tl);
	for (size_t i = 0; i < payload_len; i++)
		b[4 + tl + i] = (unsigned char)((i * 131 + seed * 17 + 7) ^ (i >> 3));
	char *s = base64_encode(b, n);
	free(b);
	assert_non_null(s);
	return s;
}

static char *make_key(const char *type, const char *blob_type, const char *comment, unsigned seed)
{
	_cleanup_free_ char *b64 = key_blob(blob_type, 51, seed);
	char *k = NULL;
	assert_true(
	    asprintf(&k, "%s %s%s%s", type, b64, comment ? " " : "", comment ? comment : "") > 0);
	return k;
}

static const char *const key_types[] = {
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
};

static void assert_key_accepted(const char *in, const char *expected)
{
	char err[512] = "";
	char *out = NULL;
	int r = ssh_key_sanitize(in, &out, err, sizeof(err));
	if (r != 0)
		fail_msg("key '%s' rejected (%d): %s", in, r, err);
	assert_string_equal(out, expected);
	free(out);
}

/* Rejected with -EINVAL, err set and free of the key data and comment. */
static void assert_key_rejected(const char *in, const char *why)
{
	char err[512] = "";
	char *out = (char *)"untouched";
	int r = ssh_key_sanitize(in, &out, err, sizeof(err));
	if (r != -EINVAL)
		fail_msg("key '%.60s...' gave %d, expected -EINVAL", in, r);
	assert_string_equal(out, "untouched");
	assert_true(err[0] != '\0');
	if (why)
		assert_contains(err, why);
	/* No stretch of the input past its first word (the type) may show up in the reason. */
	size_t n = strlen(in), first = strcspn(in, " \t");
	for (size_t i = first; i + 12 <= n; i++) {
		char chunk[13];
		memcpy(chunk, in + i, 12);
		chunk[12] = '\0';
		if (strstr(err, chunk))
			fail_msg("error '%s' repeats key material '%s'", err, chunk);
	}
}

static void test_key_types_accepted(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(key_types); i++) {
		_cleanup_free_ char *k = make_key(key_types[i], key_types[i], "alice@laptop", 1);
		assert_key_accepted(k, k);
		_cleanup_free_ char *bare = make_key(key_types[i], key_types[i], NULL, 2);
		assert_key_accepted(bare, bare);
	}
}

static void test_key_line_ends_and_comment(void **state)
{
	_cleanup_free_ char *k = make_key("ssh-ed25519", "ssh-ed25519", "my laptop key", 3);
	_cleanup_free_ char *crlf = NULL, *lf = NULL, *cr = NULL, *padded = NULL, *tabs = NULL;

	(void)state;
	assert_true(asprintf(&crlf, "%s\r\n", k) > 0);
	assert_true(asprintf(&lf, "%s\n", k) > 0);
	assert_true(asprintf(&cr, "%s\r", k) > 0);
	assert_true(asprintf(&padded, "  %s  ", k) > 0);
	assert_key_accepted(crlf, k);
	assert_key_accepted(lf, k);
	assert_key_accepted(cr, k);
	assert_key_accepted(padded, k); /* comment with its inner blanks kept */

	_cleanup_free_ char *b64 = key_blob("ssh-ed25519", 51, 4);
	assert_true(asprintf(&tabs,
			     "ssh-ed25519\t%s\tc\xc3\xa9"
			     "dric",
			     b64) > 0);
	assert_key_accepted(tabs, tabs);
}

static void test_key_options_rejected(void **state)
{
	_cleanup_free_ char *rsa = make_key("ssh-rsa", "ssh-rsa", "bob", 5);
	_cleanup_free_ char *ed = make_key("ssh-ed25519", "ssh-ed25519", "bob", 6);
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL;

	(void)state;
	assert_true(asprintf(&a, "command=\"/bin/sh -c id\" %s", rsa) > 0);
	assert_true(asprintf(&b, "no-pty %s", ed) > 0);
	assert_true(asprintf(&c, "from=\"10.0.0.0/8\",no-agent-forwarding %s", ed) > 0);
	assert_true(asprintf(&d, "restrict,command=\"x\" %s", ed) > 0);
	assert_true(asprintf(&e, "environment=\"LD_PRELOAD=/tmp/x.so\" %s", ed) > 0);
	assert_key_rejected(a, "options");
	assert_key_rejected(b, "options");
	assert_key_rejected(c, "options");
	assert_key_rejected(d, "options");
	assert_key_rejected(e, "options");
}

static void test_key_control_chars_rejected(void **state)
{
	_cleanup_free_ char *k = make_key("ssh-ed25519", "ssh-ed25519", "me", 7);
	_cleanup_free_ char *k2 = make_key("ssh-rsa", "ssh-rsa", "evil", 8);
	_cleanup_free_ char *b64 = key_blob("ssh-ed25519", 51, 9);
	char *bad[11] = {0};

	(void)state;
	/* A second key smuggled in after a line break. */
	assert_true(asprintf(&bad[0], "%s\n%s", k, k2) > 0);
	assert_true(asprintf(&bad[1], "%s\r%s", k, k2) > 0);
	/* Two line ends: only one is what copy and paste leaves. */
	assert_true(asprintf(&bad[2], "%s\n\n", k) > 0);
	assert_true(asprintf(&bad[3], "%s\r\n\r\n", k) > 0);
	assert_true(asprintf(&bad[4], "%s\n\r", k) > 0);
	assert_true(asprintf(&bad[5], "ssh-ed25519 %s terminal\x1b[2Jescape", b64) > 0);
	assert_true(asprintf(&bad[6],
			     "ssh-ed25519 %s del\x7f"
			     "ete",
			     b64) > 0);
	assert_true(asprintf(&bad[7], "ssh-ed25519 %s bell\x07", b64) > 0);
	assert_true(asprintf(&bad[8], "ssh-ed25519\v%s", b64) > 0);
	assert_true(asprintf(&bad[9], "%s\r\r", k) > 0);
	assert_true(asprintf(&bad[10], "ssh-ed25519 %s bad-utf8-\xc3\x28", b64) > 0);
	for (size_t i = 0; i < 10; i++)
		assert_key_rejected(bad[i], "control");
	assert_key_rejected(bad[10], "UTF-8");
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		free(bad[i]);
}

static void test_key_type_mismatch(void **state)
{
	_cleanup_free_ char *a = make_key("ssh-rsa", "ssh-ed25519", NULL, 10);
	_cleanup_free_ char *b = make_key("ssh-ed25519", "ssh-ed2551", NULL, 11);
	_cleanup_free_ char *c = make_key("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", NULL, 12);
	_cleanup_free_ char *d = make_key("sk-ssh-ed25519@openssh.com", "ssh-ed25519", NULL, 13);
	_cleanup_free_ char *e = NULL, *f = NULL, *g = NULL;

	(void)state;
	assert_key_rejected(a, "does not match");
	assert_key_rejected(b, "does not match");
	assert_key_rejected(c, "does not match");
	assert_key_rejected(d, "does not match");

	/* The length field says more than the blob holds. */
	unsigned char blob[4 + 11] = {0, 0, 0, 200};
	memcpy(blob + 4, "ssh-ed25519", 11);
	_cleanup_free_ char *b64 = base64_encode(blob, sizeof(blob));
	assert_true(asprintf(&e, "ssh-ed25519 %s", b64) > 0);
	assert_key_rejected(e, "does not match");

	/* Shorter than a length field; decoded bytes only. */
	assert_key_rejected("ssh-ed25519 AAA=", "too short");
	assert_true(asprintf(&f, "ssh-ed25519 %s", "c3NoLWVkMjU1MTkgAAAAC3NzaC1lZDI1NTE5") > 0);
	assert_key_rejected(f, "does not match");

	/* Unknown or differently spelt types. */
	_cleanup_free_ char *dss = make_key("ssh-dss", "ssh-dss", NULL, 14);
	_cleanup_free_ char *upper = make_key("SSH-RSA", "SSH-RSA", NULL, 15);
	_cleanup_free_ char *cert = make_key("ssh-ed25519-cert-v01@openssh.com",
					     "ssh-ed25519-cert-v01@openssh.com", NULL, 16);
	assert_key_rejected(dss, "known key type");
	assert_key_rejected(upper, "known key type");
	assert_key_rejected(cert, "known key type");
	assert_true(asprintf(&g, "ssh-ed25519x %s", b64) > 0);
	assert_key_rejected(g, "known key type");
}

static void test_key_bad_base64(void **state)
{
	_cleanup_free_ char *good = key_blob("ssh-ed25519", 51, 17);
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL;

	(void)state;
	assert_true(asprintf(&a, "ssh-ed25519 %s!!", good) > 0);
	assert_true(asprintf(&b, "ssh-ed25519 %.20s=%s", good, good + 20) > 0); /* data after '=' */
	assert_true(asprintf(&c, "ssh-ed25519 %s-_", good) > 0);		/* base64url */
	assert_true(asprintf(&d, "ssh-ed25519 %.21s", good) > 0); /* 21 digits: 6 bits left */
	assert_key_rejected(a, "base64");
	assert_key_rejected(b, "base64");
	assert_key_rejected(c, "base64");
	assert_key_rejected(d, "base64");
	assert_key_rejected("ssh-ed25519", "no key data");
	assert_key_rejected("ssh-ed25519   ", "no key data");
	assert_key_rejected("", "empty");
	assert_key_rejected("\r\n", NULL);
	assert_key_rejected("   ", NULL);
}

static void test_key_size_limit(void **state)
{
	const size_t max = 16 * 1024;
	_cleanup_free_ char *b64 = key_blob("ssh-rsa", 1024, 18);
	char *line = malloc(max + 2);

	(void)state;
	assert_non_null(line);
	/* Exactly 16 KiB: a long comment fills it up. */
	int n = snprintf(line, max + 2, "ssh-rsa %s ", b64);
	memset(line + n, 'c', max - (size_t)n);
	line[max] = '\0';
	assert_int_equal(strlen(line), max);
	assert_key_accepted(line, line);

	/* One byte more. */
	line[max] = 'c';
	line[max + 1] = '\0';
	char err[512] = "";
	char *out = NULL;
	assert_int_equal(ssh_key_sanitize(line, &out, err, sizeof(err)), -EINVAL);
	assert_null(out);
	assert_contains(err, "16384");
	assert_null(strstr(err, "cccccccc"));
	free(line);

	/* The key data itself too long (a 16 KiB+ blob). */
	_cleanup_free_ char *huge = key_blob("ssh-rsa", 13000, 19);
	_cleanup_free_ char *hline = NULL;
	assert_true(asprintf(&hline, "ssh-rsa %s", huge) > 0);
	assert_true(strlen(hline) > max);
	assert_key_rejected(hline, "more than");
}

/* ---- ssh_authorized_keys_path ---------------------------------------------- */

/*
 * A fake sshd that records its arguments (one per line, a blank line after
 * each run) and, for the modes listed in answer_modes, prints out after some
 * configuration lines; other modes exit 1.
 */
static char *fake_sshd(const char *dir, const char *answer_modes, const char *out)
{
	_cleanup_free_ char *script = NULL, *path = path_join(dir, "sshd");
	assert_true(
	    asprintf(&script,
		     "#!/bin/sh\n"
		     "printf '%%s\\n' \"$@\" '' >> '%s/sshd.args'\n"
		     "case ' %s ' in *\" $1 \"*) ;; *) echo 'sshd: bad option' >&2; exit 1;; esac\n"
		     /* as OpenSSH's sshd: -C only in test mode (-T) */
		     "[ \"$1\" = -G ] && [ \"$2\" = -C ] && { echo 'sshd: Config test connection "
		     "parameter (-C) provided without test mode (-T)' >&2; exit 255; }\n"
		     "cat <<'EOF'\n"
		     "port 22\n"
		     "addressfamily any\n"
		     "pubkeyauthentication yes\n"
		     "%s"
		     "passwordauthentication no\n"
		     "EOF\n",
		     dir, answer_modes, out) > 0);
	put_file(path, script, 0755);
	return TAKE_PTR(path);
}

static char *sshd_args(const char *dir)
{
	_cleanup_free_ char *p = path_join(dir, "sshd.args");
	return slurp(p);
}

/* sshd_query() then ssh_authorized_keys_path(), as lazuli-init does. */
static int keys_path(const char *sshd, const char *user, const char *home, char **ret, char *err,
		     size_t errlen)
{
	SshdSettings s;
	sshd_query(sshd, user, &s);
	int r = ssh_authorized_keys_path(&s, user, home, ret, err, errlen);
	sshd_settings_done(&s);
	return r;
}

static void assert_keys_path(const char *dir, const char *config_line, const char *user,
			     const char *home, const char *expected)
{
	_cleanup_free_ char *sshd = fake_sshd(dir, "-T", config_line);
	char err[512] = "";
	char *path = NULL;
	int r = keys_path(sshd, user, home, &path, err, sizeof(err));
	if (r != 0)
		fail_msg("'%s' gave %d: %s", config_line, r, err);
	assert_string_equal(path, expected);
	free(path);
}

static void test_keys_path_expansion(void **state)
{
	const char *dir = *state;

	assert_keys_path(dir, "authorizedkeysfile .ssh/authorized_keys .ssh/authorized_keys2\n",
			 "azureuser", "/home/azureuser", "/home/azureuser/.ssh/authorized_keys");
	assert_keys_path(dir, "authorizedkeysfile %h/.ssh/authorized_keys\n", "azureuser",
			 "/home/azureuser", "/home/azureuser/.ssh/authorized_keys");
	assert_keys_path(dir, "authorizedkeysfile %h/.ssh/keys_%u extra\n", "azureuser",
			 "/home/azureuser", "/home/azureuser/.ssh/keys_azureuser");
	assert_keys_path(dir, "authorizedkeysfile %h/.ssh/100%%_%u\n", "bob", "/srv/home/bob",
			 "/srv/home/bob/.ssh/100%_bob");
	assert_keys_path(dir, "authorizedkeysfile /home/%u/.ssh/authorized_keys\n", "bob",
			 "/home/bob", "/home/bob/.ssh/authorized_keys");
	assert_keys_path(dir, "authorizedkeysfile keys/%u.pub\n", "bob", "/home/bob",
			 "/home/bob/keys/bob.pub");
	assert_keys_path(dir, "AuthorizedKeysFile  .ssh/ak\n", "bob", "/home/bob",
			 "/home/bob/.ssh/ak");

	/* What sshd was asked. */
	_cleanup_free_ char *args = sshd_args(dir);
	assert_true(startswith(args, "-T\n-C\nuser=azureuser,host=localhost,addr=127.0.0.1\n\n"));
}

static void test_keys_path_none(void **state)
{
	const char *dir = *state;

	/* sshd skips "none" entries: so do we. */
	assert_keys_path(dir, "authorizedkeysfile none .ssh/ak2\n", "bob", "/home/bob",
			 "/home/bob/.ssh/ak2");

	/* "none" alone: sshd reads no key file, so installing keys cannot work. */
	_cleanup_free_ char *sshd = fake_sshd(dir, "-G", "authorizedkeysfile none\n");
	char err[512] = "";
	char *path = NULL;
	assert_int_equal(
	    keys_path(sshd, "bob", "/home/bob", &path, err, sizeof(err)), -ENOTSUP);
	assert_null(path);
	assert_contains(err, "AuthorizedKeysFile none");
}

static void test_keys_path_outside_home(void **state)
{
	const char *dir = *state;
	static const char *const outside[] = {
	    "authorizedkeysfile /etc/ssh/authorized_keys/%u\n",
	    "authorizedkeysfile /etc/ssh/authorized_keys\n",
	    "authorizedkeysfile %h/../other/.ssh/authorized_keys\n",
	    "authorizedkeysfile .ssh/../../other/keys\n",
	    "authorizedkeysfile /home/bobby/.ssh/authorized_keys\n", /* shares a prefix */
	    "authorizedkeysfile /home/other/.ssh/authorized_keys\n",
	    "authorizedkeysfile %h\n",
	    "authorizedkeysfile %h/\n",
	    "authorizedkeysfile %h/./.ssh/authorized_keys\n",
	    "authorizedkeysfile %h//authorized_keys\n",
	};

	for (size_t i = 0; i < ELEMENTSOF(outside); i++) {
		_cleanup_free_ char *sshd = fake_sshd(dir, "-G", outside[i]);
		char err[512] = "";
		char *path = NULL;
		int r = keys_path(sshd, "bob", "/home/bob", &path, err, sizeof(err));
		if (r != -EPERM)
			fail_msg("'%s' gave %d (%s), expected -EPERM", outside[i], r,
				 path ? path : err);
		assert_null(path);
		assert_contains(err, "/home/bob");
	}

	/* A token this code does not know is an error, not a guess. */
	_cleanup_free_ char *sshd = fake_sshd(dir, "-G", "authorizedkeysfile %h/.ssh/%U\n");
	char err[512] = "";
	char *path = NULL;
	assert_int_equal(
	    keys_path(sshd, "bob", "/home/bob", &path, err, sizeof(err)), -EINVAL);
	assert_null(path);
	assert_contains(err, "token");
}

static void test_keys_path_fallback(void **state)
{
	const char *dir = *state;
	char err[512] = "";
	char *path = NULL;

	/* sshd fails in both modes: it is asked twice, then the default is used. */
	_cleanup_free_ char *failing = fake_sshd(dir, "none", "authorizedkeysfile /wrong\n");
	assert_int_equal(
	    keys_path(failing, "bob", "/home/bob", &path, err, sizeof(err)), 0);
	assert_string_equal(path, "/home/bob/.ssh/authorized_keys");
	free(path);
	path = NULL;
	_cleanup_free_ char *args = sshd_args(dir);
	assert_string_equal(args, "-T\n-C\nuser=bob,host=localhost,addr=127.0.0.1\n\n"
				  "-G\n\n");

	/* An sshd whose test mode fails still prints its configuration with -G. */
	_cleanup_free_ char *old = fake_sshd(dir, "-G", "authorizedkeysfile .ssh/keys_%u\n");
	assert_int_equal(keys_path(old, "bob", "/home/bob", &path, err, sizeof(err)),
			 0);
	assert_string_equal(path, "/home/bob/.ssh/keys_bob");
	free(path);
	path = NULL;

	/* sshd answers but says nothing about AuthorizedKeysFile. */
	_cleanup_free_ char *silent = fake_sshd(dir, "-G -T", "");
	assert_int_equal(
	    keys_path(silent, "bob", "/home/bob", &path, err, sizeof(err)), 0);
	assert_string_equal(path, "/home/bob/.ssh/authorized_keys");
	free(path);
	path = NULL;

	/* No sshd at all. */
	_cleanup_free_ char *missing = path_join(dir, "no-such-sshd");
	assert_int_equal(
	    keys_path(missing, "bob", "/home/bob", &path, err, sizeof(err)), 0);
	assert_string_equal(path, "/home/bob/.ssh/authorized_keys");
	free(path);
}

/* ---- ssh_write_authorized_keys --------------------------------------------- */

#define TEST_UID 12345
#define TEST_GID 23456

typedef struct Home {
	char *tmp;
	char *home;
	char *ssh;
	char *keys;
} Home;

static int setup_home(void **state)
{
	Home *h = calloc(1, sizeof(*h));
	if (!h || setup_tmp((void **)&h->tmp) < 0)
		return -1;
	if (asprintf(&h->home, "%s/home/alice", h->tmp) < 0 ||
	    asprintf(&h->ssh, "%s/.ssh", h->home) < 0 ||
	    asprintf(&h->keys, "%s/.ssh/authorized_keys", h->home) < 0)
		return -1;
	if (mkdir_p(h->home, 0755) < 0 || chown(h->home, TEST_UID, TEST_GID) < 0)
		return -1;
	*state = h;
	return 0;
}

static int teardown_home(void **state)
{
	Home *h = *state;
	free(h->home);
	free(h->ssh);
	free(h->keys);
	teardown_tmp((void **)&h->tmp);
	free(h);
	return 0;
}

static void test_write_keys_creates(void **state)
{
	Home *h = *state;
	_cleanup_free_ char *k1 = make_key("ssh-ed25519", "ssh-ed25519", "one", 20);
	_cleanup_free_ char *k2 = make_key("ssh-rsa", "ssh-rsa", "two", 21);
	char *const keys[] = {k1, k2, NULL};
	char err[512] = "";

	mode_t old = umask(0);
	int r =
	    ssh_write_authorized_keys(h->home, h->keys, keys, TEST_UID, TEST_GID, err, sizeof(err));
	umask(old);
	if (r != 0)
		fail_msg("%d: %s", r, err);
	assert_mode_owner(h->ssh, 0700, TEST_UID, TEST_GID);
	assert_mode_owner(h->keys, 0600, TEST_UID, TEST_GID);
	_cleanup_free_ char *content = slurp(h->keys);
	_cleanup_free_ char *expected = NULL;
	assert_true(asprintf(&expected, "%s\n%s\n", k1, k2) > 0);
	assert_string_equal(content, expected);

	/* Nothing but the key file was left in .ssh (no temporary files). */
	int fd = open(h->ssh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	DIR *d = fdopendir(fd);
	assert_non_null(d);
	unsigned entries = 0;
	for (struct dirent *de; (de = readdir(d));)
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			entries++;
	closedir(d);
	assert_int_equal(entries, 1);
}

static void test_write_keys_nested_dirs(void **state)
{
	Home *h = *state;
	_cleanup_free_ char *k1 = make_key("ssh-ed25519", "ssh-ed25519", NULL, 22);
	_cleanup_free_ char *path = NULL, *d1 = NULL, *d2 = NULL;
	char *const keys[] = {k1, NULL};
	char err[512] = "";

	assert_true(asprintf(&d1, "%s/.config", h->home) > 0);
	assert_true(asprintf(&d2, "%s/.config/ssh", h->home) > 0);
	assert_true(asprintf(&path, "%s/.config/ssh/keys", h->home) > 0);
	assert_int_equal(
	    ssh_write_authorized_keys(h->home, path, keys, TEST_UID, TEST_GID, err, sizeof(err)),
	    0);
	assert_mode_owner(d1, 0700, TEST_UID, TEST_GID);
	assert_mode_owner(d2, 0700, TEST_UID, TEST_GID);
	assert_mode_owner(path, 0600, TEST_UID, TEST_GID);
}

static void test_write_keys_merges(void **state)
{
	Home *h = *state;
	_cleanup_free_ char *k0 = make_key("ssh-ed25519", "ssh-ed25519", "existing", 23);
	_cleanup_free_ char *k1 = make_key("ssh-ed25519", "ssh-ed25519", "both", 24);
	_cleanup_free_ char *k2 = make_key("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", "new", 25);
	_cleanup_free_ char *before = NULL, *expected = NULL;
	char *const keys[] = {k1, k2, k2, NULL};
	char err[512] = "";

	assert_int_equal(mkdir(h->ssh, 0700), 0);
	assert_true(asprintf(&before, "# my own comment\n%s\n%s\n", k0, k1) > 0);
	put_file(h->keys, before, 0644);

	assert_int_equal(
	    ssh_write_authorized_keys(h->home, h->keys, keys, TEST_UID, TEST_GID, err, sizeof(err)),
	    0);
	assert_true(asprintf(&expected, "# my own comment\n%s\n%s\n%s\n", k0, k1, k2) > 0);
	_cleanup_free_ char *content = slurp(h->keys);
	assert_string_equal(content, expected);
	assert_mode_owner(h->keys, 0600, TEST_UID, TEST_GID);

	/* Running the step again changes nothing. */
	assert_int_equal(
	    ssh_write_authorized_keys(h->home, h->keys, keys, TEST_UID, TEST_GID, err, sizeof(err)),
	    0);
	_cleanup_free_ char *again = slurp(h->keys);
	assert_string_equal(again, expected);

	/* No keys at all keeps the file as it is. */
	char *const none[] = {NULL};
	assert_int_equal(
	    ssh_write_authorized_keys(h->home, h->keys, none, TEST_UID, TEST_GID, err, sizeof(err)),
	    0);
	_cleanup_free_ char *third = slurp(h->keys);
	assert_string_equal(third, expected);
}

static void test_write_keys_ssh_dir_symlink(void **state)
{
	Home *h = *state;
	_cleanup_free_ char *k1 = make_key("ssh-ed25519", "ssh-ed25519", NULL, 26);
	_cleanup_free_ char *outside = NULL, *target = NULL;
	char *const keys[] = {k1, NULL};
	char err[512] = "";

	assert_true(asprintf(&outside, "%s/outside", h->tmp) > 0);
	assert_true(asprintf(&target, "%s/outside/authorized_keys", h->tmp) > 0);
	assert_int_equal(mkdir(outside, 0755), 0);
	assert_int_equal(chmod(outside, 0755), 0);
	assert_int_equal(symlink(outside, h->ssh), 0);

	int r =
	    ssh_write_authorized_keys(h->home, h->keys, keys, TEST_UID, TEST_GID, err, sizeof(err));
	assert_int_equal(r, -ELOOP);
	assert_contains(err, "symbolic link");
	assert_int_equal(access(target, F_OK), -1);
	assert_mode_owner(outside, 0755, 0, 0);

	/* A symlink to a file in place of a directory is refused the same way. */
	assert_int_equal(unlink(h->ssh), 0);
	put_file(target, "", 0644);
	assert_int_equal(symlink(target, h->ssh), 0);
	r = ssh_write_authorized_keys(h->home, h->keys, keys, TEST_UID, TEST_GID, err, sizeof(err));
	assert_int_equal(r, -ELOOP);
	_cleanup_free_ char *content = slurp(target);
	assert_string_equal(content, "");
}

static void test_write_keys_file_symlink(void **state)
{
	Home *h = *state;
	_cleanup_free_ char *k1 = make_key("ssh-ed25519", "ssh-ed25519", NULL, 27);
	_cleanup_free_ char *target = NULL;
	char *const keys[] = {k1, NULL};
	char err[512] = "";
	struct stat st;

	assert_true(asprintf(&target, "%s/victim", h->tmp) > 0);
	put_file(target, "root:x:0:0::/root:/bin/sh\n", 0644);
	assert_int_equal(mkdir(h->ssh, 0700), 0);
	assert_int_equal(symlink(target, h->keys), 0);

	int r =
	    ssh_write_authorized_keys(h->home, h->keys, keys, TEST_UID, TEST_GID, err, sizeof(err));
	assert_int_equal(r, -ELOOP);
	assert_contains(err, h->keys);
	_cleanup_free_ char *content = slurp(target);
	assert_string_equal(content, "root:x:0:0::/root:/bin/sh\n");
	assert_mode_owner(target, 0644, 0, 0);
	assert_int_equal(lstat(h->keys, &st), 0);
	assert_true(S_ISLNK(st.st_mode));

	/* A dangling symlink is not followed to create its target either. */
	assert_int_equal(unlink(h->keys), 0);
	assert_int_equal(unlink(target), 0);
	assert_int_equal(symlink(target, h->keys), 0);
	r = ssh_write_authorized_keys(h->home, h->keys, keys, TEST_UID, TEST_GID, err, sizeof(err));
	assert_int_equal(r, -ELOOP);
	assert_int_equal(access(target, F_OK), -1);

	/* Neither is a FIFO opened for reading (that would hang) or replaced. */
	assert_int_equal(unlink(h->keys), 0);
	assert_int_equal(mkfifo(h->keys, 0600), 0);
	r = ssh_write_authorized_keys(h->home, h->keys, keys, TEST_UID, TEST_GID, err, sizeof(err));
	assert_true(r < 0);
	assert_int_equal(lstat(h->keys, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
}

static void test_write_keys_home_symlink(void **state)
{
	Home *h = *state;
	_cleanup_free_ char *k1 = make_key("ssh-ed25519", "ssh-ed25519", NULL, 28);
	_cleanup_free_ char *link = NULL, *linkkeys = NULL, *real = NULL;
	char *const keys[] = {k1, NULL};
	char err[512] = "";

	assert_true(asprintf(&link, "%s/home/mallory", h->tmp) > 0);
	assert_true(asprintf(&linkkeys, "%s/.ssh/authorized_keys", link) > 0);
	assert_int_equal(symlink(h->home, link), 0);
	assert_true(ssh_write_authorized_keys(link, linkkeys, keys, TEST_UID, TEST_GID, err,
					      sizeof(err)) < 0);
	assert_int_equal(access(h->ssh, F_OK), -1);
}

static void test_write_keys_outside_home(void **state)
{
	Home *h = *state;
	_cleanup_free_ char *k1 = make_key("ssh-ed25519", "ssh-ed25519", NULL, 29);
	char *const keys[] = {k1, NULL};
	const char *rels[] = {
	    "/../bob/.ssh/authorized_keys", "x/.ssh/authorized_keys", /* /home/alicex/... */
	    "/.ssh/../../authorized_keys",  "/./authorized_keys",     "//authorized_keys", "/", "",
	};

	for (size_t i = 0; i < ELEMENTSOF(rels); i++) {
		_cleanup_free_ char *p = NULL;
		char err[512] = "";
		assert_true(asprintf(&p, "%s%s", h->home, rels[i]) > 0);
		int r = ssh_write_authorized_keys(h->home, p, keys, TEST_UID, TEST_GID, err,
						  sizeof(err));
		if (r != -EPERM)
			fail_msg("%s gave %d, expected -EPERM", p, r);
		assert_contains(err, h->home);
	}
	char err[512] = "";
	assert_int_equal(ssh_write_authorized_keys(h->home, "/etc/ssh/authorized_keys", keys,
						   TEST_UID, TEST_GID, err, sizeof(err)),
			 -EPERM);
	assert_int_equal(access(h->ssh, F_OK), -1);
}

/* ---- sshd_set_password_auth ---------------------------------------------- */

static char *dropin(const char *dir)
{
	return path_join(dir, "50-lazuli-init.conf");
}

static void assert_dropin(const char *dir, const char *value)
{
	_cleanup_free_ char *p = dropin(dir), *content = slurp(p), *line = NULL;
	assert_true(asprintf(&line, "\nPasswordAuthentication %s\n", value) > 0);
	assert_contains(content, line);
	/* The one setting in the file, so an earlier value cannot linger. */
	const char *first = strstr(content, "PasswordAuthentication");
	assert_null(strstr(first + 1, "PasswordAuthentication"));
	assert_mode_owner(p, 0644, getuid(), getgid());
}

static void test_password_auth_dropin(void **state)
{
	const char *dir = *state;
	char err[512] = "";

	mode_t old = umask(077);
	assert_int_equal(sshd_set_password_auth(dir, false, NULL, err, sizeof(err)), 0);
	umask(old);
	assert_dropin(dir, "no");

	assert_int_equal(sshd_set_password_auth(dir, true, NULL, err, sizeof(err)), 0);
	assert_dropin(dir, "yes");

	assert_int_equal(sshd_set_password_auth(dir, false, NULL, err, sizeof(err)), 0);
	assert_dropin(dir, "no");
}

static void test_password_auth_no_dropin_dir(void **state)
{
	const char *dir = *state;
	_cleanup_free_ char *missing = path_join(dir, "sshd_config.d");
	_cleanup_free_ char *file = path_join(dir, "plain-file");
	_cleanup_free_ char *inside = dropin(missing);
	char err[512] = "";

	assert_int_equal(sshd_set_password_auth(missing, false, NULL, err, sizeof(err)), -ENOENT);
	assert_contains(err, "sshd_config.d does not exist");
	assert_int_equal(access(missing, F_OK), -1);
	assert_int_equal(access(inside, F_OK), -1);

	/* A file where the directory should be is left alone. */
	put_file(file, "untouched", 0644);
	assert_int_equal(sshd_set_password_auth(file, true, NULL, err, sizeof(err)), -ENOENT);
	_cleanup_free_ char *content = slurp(file);
	assert_string_equal(content, "untouched");
}

static volatile sig_atomic_t got_sighup;

static void on_sighup(int sig)
{
	(void)sig;
	got_sighup = 1;
}

static void test_password_auth_pidfile_not_sshd(void **state)
{
	const char *dir = *state;
	_cleanup_free_ char *pidfile = path_join(dir, "sshd.pid");
	char err[512] = "", pid[32];
	struct sigaction sa = {.sa_handler = on_sighup}, old;

	/* This test process is not sshd: it must not be sent SIGHUP. */
	assert_int_equal(sigaction(SIGHUP, &sa, &old), 0);
	got_sighup = 0;
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	put_file(pidfile, pid, 0644);
	assert_int_equal(sshd_set_password_auth(dir, false, pidfile, err, sizeof(err)), 0);
	assert_int_equal(got_sighup, 0);
	assert_int_equal(sigaction(SIGHUP, &old, NULL), 0);
	assert_dropin(dir, "no");

	/* Stale: the process is gone. */
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	snprintf(pid, sizeof(pid), "%d\n", (int)child);
	put_file(pidfile, pid, 0644);
	assert_int_equal(sshd_set_password_auth(dir, true, pidfile, err, sizeof(err)), 0);
	assert_dropin(dir, "yes");

	/* Garbage and missing pid files: written, nobody reloaded. */
	static const char *const junk[] = {"", "abc", "0", "1", "-5", "12x", "99999999999"};
	for (size_t i = 0; i < ELEMENTSOF(junk); i++) {
		put_file(pidfile, junk[i], 0644);
		assert_int_equal(sshd_set_password_auth(dir, i % 2, pidfile, err, sizeof(err)), 0);
		assert_dropin(dir, i % 2 ? "yes" : "no");
	}
	_cleanup_free_ char *nopid = path_join(dir, "missing.pid");
	assert_int_equal(sshd_set_password_auth(dir, false, nopid, err, sizeof(err)), 0);
}

static void test_password_auth_reloads_sshd(void **state)
{
	const char *dir = *state;
	_cleanup_free_ char *pidfile = path_join(dir, "sshd.pid");
	char err[512] = "", pid[32];
	int ready[2];

	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* Pretend to be sshd: answer SIGHUP with exit code 42. */
		struct sigaction sa = {.sa_handler = on_sighup};
		got_sighup = 0;
		sigaction(SIGHUP, &sa, NULL);
		prctl(PR_SET_NAME, "sshd", 0, 0, 0);
		(void)!write(ready[1], "x", 1);
		for (int i = 0; i < 500 && !got_sighup; i++)
			usleep(10000);
		_exit(got_sighup ? 42 : 1);
	}
	close(ready[1]);
	char c;
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);

	snprintf(pid, sizeof(pid), "%d\n", (int)child);
	put_file(pidfile, pid, 0644);
	int r = sshd_set_password_auth(dir, false, pidfile, err, sizeof(err));
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(r, 1);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 42);
	assert_dropin(dir, "no");
}

/* ---- sshd_query ------------------------------------------------------------ */

static char *script(const char *dir, const char *name, const char *body)
{
	_cleanup_free_ char *text = NULL;
	char *path = path_join(dir, name);
	assert_true(asprintf(&text, "#!/bin/sh\n%s", body) > 0);
	put_file(path, text, 0755);
	return path;
}

static void test_sshd_query_one_run(void **state)
{
	const char *dir = *state;
	SshdSettings s;

	/* Both settings from one run of sshd -T, which is all it is asked. */
	_cleanup_free_ char *args_path = path_join(dir, "args"), *body = NULL;
	assert_true(asprintf(&body,
			     "echo \"$*\" >> '%s'\n"
			     "printf 'port 22\\npasswordauthentication yes\\n"
			     "authorizedkeysfile .ssh/ak\\n'\n",
			     args_path) > 0);
	_cleanup_free_ char *yes = script(dir, "sshd-yes", body);
	sshd_query(yes, "bob", &s);
	assert_int_equal(s.password_auth, 1);
	assert_string_equal(s.authorized_keys_file, ".ssh/ak");
	sshd_settings_done(&s);
	_cleanup_free_ char *args = slurp(args_path);
	assert_string_equal(args, "-T -C user=bob,host=localhost,addr=127.0.0.1\n");

	_cleanup_free_ char *no = script(dir, "sshd-no", "echo passwordauthentication no\n");
	sshd_query(no, "bob", &s);
	assert_int_equal(s.password_auth, 0);
	assert_null(s.authorized_keys_file);
	sshd_settings_done(&s);

	/* A value it does not know, and an sshd that fails: not said. */
	_cleanup_free_ char *odd = script(dir, "sshd-odd", "echo passwordauthentication maybe\n");
	sshd_query(odd, "bob", &s);
	assert_int_equal(s.password_auth, -1);
	sshd_settings_done(&s);
	_cleanup_free_ char *bad = script(dir, "sshd-bad", "echo passwordauthentication no; exit 1\n");
	sshd_query(bad, "bob", &s);
	assert_int_equal(s.password_auth, -1);
	assert_null(s.authorized_keys_file);
	sshd_settings_done(&s);
}

/* ---- sshd_reload_unit ------------------------------------------------------ */

/*
 * A fake systemctl: "show" prints the next line of states (the last one
 * again once they run out) and logs "show UNIT"; "reload" logs "reload UNIT"
 * and exits with reload_status.
 */
static char *fake_systemctl(const char *dir, const char *states, int reload_status)
{
	_cleanup_free_ char *body = NULL, *st = path_join(dir, "states");
	put_file(st, states, 0644);
	assert_true(asprintf(&body,
			     "cd '%s'\n"
			     "case $1 in\n"
			     "show) echo \"show $*\" >> log\n"
			     "  n=$(cat n 2>/dev/null || echo 1); echo $((n + 1)) > n\n"
			     "  s=$(sed -n \"${n}p\" states); [ -n \"$s\" ] || s=$(tail -n 1 states)\n"
			     "  echo \"$s\" ;;\n"
			     "reload) echo \"reload $2\" >> log; exit %d ;;\n"
			     "*) exit 2 ;;\n"
			     "esac\n",
			     dir, reload_status) > 0);
	_cleanup_free_ char *log = path_join(dir, "log"), *n = path_join(dir, "n");
	(void)unlink(log);
	(void)unlink(n);
	return script(dir, "systemctl", body);
}

static void test_sshd_reload_waits_for_start(void **state)
{
	const char *dir = *state;
	char err[512] = "";

	/* Starting: asked again until active, then reloaded once. */
	_cleanup_free_ char *sc = fake_systemctl(dir, "activating\nactivating\nactive\n", 0);
	assert_int_equal(sshd_reload_unit(sc, "ssh.service", 10 * USEC_PER_SEC, err, sizeof(err)),
			 1);
	_cleanup_free_ char *log_path = path_join(dir, "log");
	_cleanup_free_ char *log = slurp(log_path);
	const char *show = "show show --property=ActiveState --value ssh.service\n";
	_cleanup_free_ char *want = NULL;
	assert_true(asprintf(&want, "%s%s%sreload ssh.service\n", show, show, show) > 0);
	assert_string_equal(log, want);
}

static void test_sshd_reload_not_running(void **state)
{
	const char *dir = *state;
	char err[512] = "";
	static const char *const idle[] = {"inactive\n", "failed\n", "deactivating\n", "\n"};

	/* Not started yet, or not running: it reads the file when it starts. */
	for (size_t i = 0; i < ELEMENTSOF(idle); i++) {
		_cleanup_free_ char *sc = fake_systemctl(dir, idle[i], 0);
		assert_int_equal(
		    sshd_reload_unit(sc, "ssh.service", 10 * USEC_PER_SEC, err, sizeof(err)), 0);
		_cleanup_free_ char *log_path = path_join(dir, "log");
		_cleanup_free_ char *log = slurp(log_path);
		assert_null(strstr(log, "reload"));
	}
}

static void test_sshd_reload_errors(void **state)
{
	const char *dir = *state;
	char err[512] = "";

	/* Still starting at the deadline: an error, and no signal to a half-started sshd. */
	_cleanup_free_ char *stuck = fake_systemctl(dir, "activating\n", 0);
	usec_t t0 = now_usec(CLOCK_MONOTONIC);
	assert_int_equal(
	    sshd_reload_unit(stuck, "ssh.service", 300 * USEC_PER_MSEC, err, sizeof(err)),
	    -ETIMEDOUT);
	assert_true(now_usec(CLOCK_MONOTONIC) - t0 >= 300 * USEC_PER_MSEC);
	assert_contains(err, "ssh.service was still activating");
	_cleanup_free_ char *log_path = path_join(dir, "log");
	_cleanup_free_ char *log = slurp(log_path);
	assert_null(strstr(log, "reload"));

	/* The reload fails (sshd -t refused the configuration). */
	_cleanup_free_ char *refused = fake_systemctl(dir, "active\n", 1);
	assert_int_equal(
	    sshd_reload_unit(refused, "sshd.service", 10 * USEC_PER_SEC, err, sizeof(err)), -EIO);
	assert_contains(err, "reload sshd.service failed");

	/* No systemctl. */
	_cleanup_free_ char *missing = path_join(dir, "no-systemctl");
	assert_true(sshd_reload_unit(missing, "ssh.service", 10 * USEC_PER_SEC, err, sizeof(err)) <
		    0);
	assert_contains(err, "show ssh.service failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_types_accepted),
	    cmocka_unit_test(test_key_line_ends_and_comment),
	    cmocka_unit_test(test_key_options_rejected),
	    cmocka_unit_test(test_key_control_chars_rejected),
	    cmocka_unit_test(test_key_type_mismatch),
	    cmocka_unit_test(test_key_bad_base64),
	    cmocka_unit_test(test_key_size_limit),
	    cmocka_unit_test_setup_teardown(test_keys_path_expansion, setup_tmp, teardown_tmp),
	    cmocka_unit_test_setup_teardown(test_keys_path_none, setup_tmp, teardown_tmp),
	    cmocka_unit_test_setup_teardown(test_keys_path_outside_home, setup_tmp, teardown_tmp),
	    cmocka_unit_test_setup_teardown(test_keys_path_fallback, setup_tmp, teardown_tmp),
	    cmocka_unit_test_setup_teardown(test_write_keys_creates, setup_home, teardown_home),
	    cmocka_unit_test_setup_teardown(test_write_keys_nested_dirs, setup_home, teardown_home),
	    cmocka_unit_test_setup_teardown(test_write_keys_merges, setup_home, teardown_home),
	    cmocka_unit_test_setup_teardown(test_write_keys_ssh_dir_symlink, setup_home,
					    teardown_home),
	    cmocka_unit_test_setup_teardown(test_write_keys_file_symlink, setup_home,
					    teardown_home),
	    cmocka_unit_test_setup_teardown(test_write_keys_home_symlink, setup_home,
					    teardown_home),
	    cmocka_unit_test_setup_teardown(test_write_keys_outside_home, setup_home,
					    teardown_home),
	    cmocka_unit_test_setup_teardown(test_password_auth_dropin, setup_tmp, teardown_tmp),
	    cmocka_unit_test_setup_teardown(test_password_auth_no_dropin_dir, setup_tmp,
					    teardown_tmp),
	    cmocka_unit_test_setup_teardown(test_password_auth_pidfile_not_sshd, setup_tmp,
					    teardown_tmp),
	    cmocka_unit_test_setup_teardown(test_password_auth_reloads_sshd, setup_tmp,
					    teardown_tmp),
	    cmocka_unit_test_setup_teardown(test_sshd_query_one_run, setup_tmp, teardown_tmp),
	    cmocka_unit_test_setup_teardown(test_sshd_reload_waits_for_start, setup_tmp,
					    teardown_tmp),
	    cmocka_unit_test_setup_teardown(test_sshd_reload_not_running, setup_tmp,
					    teardown_tmp),
	    cmocka_unit_test_setup_teardown(test_sshd_reload_errors, setup_tmp, teardown_tmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
