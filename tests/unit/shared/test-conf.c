/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "fileio.h"
#include "strutil.h"

static char dir[64];
static char main_path[128];
static char dropin_dir[140];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test-conf.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(main_path, sizeof(main_path), "%s/lazuli.conf", dir);
	snprintf(dropin_dir, sizeof(dropin_dir), "%s.d", main_path);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *path, const char *content)
{
	assert_int_equal(write_file_atomic(path, content, strlen(content), 0644), 0);
}

static void put_dropin(const char *name, const char *content)
{
	char p[256];
	assert_int_equal(mkdir_p(dropin_dir, 0755), 0);
	snprintf(p, sizeof(p), "%s/%s", dropin_dir, name);
	put(p, content);
}

static void test_basic_syntax(void **state)
{
	Conf c = {0};
	char err[256];

	(void)state;
	put(main_path, "# comment\n"
		       "; other comment\n"
		       "\n"
		       "[Imds]\n"
		       "Url = http://127.0.0.1:18080  \n"
		       "   Budget=300s\n"
		       "Empty =\n"
		       "[ Wireserver ]\r\n"
		       "Url\t=\thttp://127.0.0.1:18081/a=b # not a comment\r\n"
		       "[Odd.Name-1_x]\n"
		       "Key.sub-1_2 = x y  z\n"
		       "Unicode = héllo\n");
	assert_int_equal(conf_load(&c, main_path, err, sizeof(err)), 0);
	assert_string_equal(conf_get(&c, "Imds", "Url"), "http://127.0.0.1:18080");
	assert_string_equal(conf_get(&c, "Imds", "Budget"), "300s");
	assert_string_equal(conf_get(&c, "Imds", "Empty"), "");
	/* Only the first '=' separates; '#' inside a value is kept. */
	assert_string_equal(conf_get(&c, "Wireserver", "Url"),
			    "http://127.0.0.1:18081/a=b # not a comment");
	assert_string_equal(conf_get(&c, "Odd.Name-1_x", "Key.sub-1_2"), "x y  z");
	assert_string_equal(conf_get(&c, "Odd.Name-1_x", "Unicode"), "héllo");
	/* Case-sensitive, section-scoped. */
	assert_null(conf_get(&c, "imds", "Url"));
	assert_null(conf_get(&c, "Imds", "url"));
	assert_null(conf_get(&c, "Wireserver", "Budget"));

	/* Origins name file and line. */
	char expect[200];
	snprintf(expect, sizeof(expect), "%s:6", main_path);
	for (size_t i = 0; i < c.n_entries; i++)
		if (streq(c.entries[i].key, "Budget"))
			assert_string_equal(c.entries[i].origin, expect);
	conf_done(&c);
	assert_int_equal(c.n_entries, 0);
	assert_null(c.entries);
}

static void test_missing_main_is_fine(void **state)
{
	Conf c = {0};
	char err[256] = "junk";

	(void)state;
	assert_int_equal(conf_load(&c, main_path, err, sizeof(err)), 0);
	assert_int_equal(c.n_entries, 0);
	assert_string_equal(err, "");

	/* conf_load_file on a missing file is an error naming it. */
	assert_int_equal(conf_load_file(&c, main_path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, main_path));
	conf_done(&c);
}

static void test_dropin_order(void **state)
{
	Conf c = {0};
	char err[256];

	(void)state;
	put(main_path, "[A]\nX = main\nY = main\nZ = main\n");
	/* Written out of order: load order must be strcmp order. */
	put_dropin("50-b.conf", "[A]\nY = 50\nX = 50\n");
	put_dropin("10-a.conf", "[A]\nX = 10\nW = 10\n");
	put_dropin("90-z.conf", "[A]\nX = 90\n");
	put_dropin("Upper.conf", "[A]\nU = Upper\n");
	put_dropin("lower.conf", "[A]\nU = lower\n"); /* 'l' > 'U' in strcmp */
	put_dropin("ignored.txt", "[A]\nX = txt\n");
	put_dropin(".hidden.conf", "[A]\nX = hidden\n");
	assert_int_equal(mkdir_p(dropin_dir, 0755), 0);
	char sub[256];
	snprintf(sub, sizeof(sub), "%s/dir.conf", dropin_dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	char masked[256];
	snprintf(masked, sizeof(masked), "%s/95-masked.conf", dropin_dir);
	assert_int_equal(symlink("/dev/null", masked), 0);

	assert_int_equal(conf_load(&c, main_path, err, sizeof(err)), 0);
	assert_string_equal(conf_get(&c, "A", "X"), "90");
	assert_string_equal(conf_get(&c, "A", "Y"), "50");
	assert_string_equal(conf_get(&c, "A", "Z"), "main");
	assert_string_equal(conf_get(&c, "A", "W"), "10");
	assert_string_equal(conf_get(&c, "A", "U"), "lower");

	/* Winning origin is the drop-in. */
	const ConfEntry *last = NULL;
	for (size_t i = 0; i < c.n_entries; i++)
		if (streq(c.entries[i].key, "X"))
			last = &c.entries[i];
	assert_non_null(last);
	assert_non_null(strstr(last->origin, "90-z.conf:2"));
	conf_done(&c);

	/* Drop-ins apply even without a main file. */
	assert_int_equal(unlink(main_path), 0);
	assert_int_equal(conf_load(&c, main_path, err, sizeof(err)), 0);
	assert_string_equal(conf_get(&c, "A", "X"), "90");
	assert_null(conf_get(&c, "A", "Z"));
	conf_done(&c);
}

static void assert_syntax_error_n(const char *content, size_t len, unsigned line, const char *what)
{
	Conf c = {0};
	char err[512], expect[256];

	assert_int_equal(write_file_atomic(main_path, content, len, 0644), 0);
	assert_int_equal(conf_load(&c, main_path, err, sizeof(err)), -EINVAL);
	snprintf(expect, sizeof(expect), "%s:%u: ", main_path, line);
	if (!startswith(err, expect))
		fail_msg("expected '%s' prefix, got '%s'", expect, err);
	if (!strstr(err, what))
		fail_msg("expected '%s' in '%s'", what, err);
	/* Nothing half-loaded. */
	assert_int_equal(c.n_entries, 0);
	assert_null(c.entries);
}

static void assert_syntax_error(const char *content, unsigned line, const char *what)
{
	assert_syntax_error_n(content, strlen(content), line, what);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	assert_syntax_error("[A]\nX = 1\nno equals here\n", 3, "expected");
	assert_syntax_error("X = 1\n", 1, "outside of any [Section]");
	assert_syntax_error("[A\nX=1\n", 1, "not closed");
	assert_syntax_error("[A]x\n", 1, "not closed");
	assert_syntax_error("[]\n", 1, "invalid section name");
	assert_syntax_error("[A B]\n", 1, "invalid section name");
	assert_syntax_error("[A]\n = v\n", 2, "invalid key name");
	assert_syntax_error("[A]\nK ey = v\n", 2, "invalid key name 'K ey'");
	assert_syntax_error("[A]\nK/ = v\n", 2, "invalid key name");
	assert_syntax_error("[A]\n\nK = bad\xff\n", 3, "not valid UTF-8");
	assert_syntax_error("[A]\nK = a\x01z\n", 2, "control character");
	static const char nul[] = "[A]\nK = a\n[B]\nL = a\0b\n";
	assert_syntax_error_n(nul, sizeof(nul) - 1, 4, "NUL byte");
}

static void test_syntax_error_in_dropin_names_it(void **state)
{
	Conf c = {0};
	char err[512];

	(void)state;
	put(main_path, "[A]\nX = 1\n");
	put_dropin("10-ok.conf", "[A]\nX = 2\n");
	put_dropin("20-bad.conf", "[A]\nX = 3\n\n[oops\n");
	assert_int_equal(conf_load(&c, main_path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "20-bad.conf:4: "));
	assert_int_equal(c.n_entries, 0);

	/* A pre-filled Conf is left exactly as it was. */
	put(main_path, "[P]\nQ = 1\n");
	char other[200];
	snprintf(other, sizeof(other), "%s/other.conf", dir);
	put(other, "[Pre]\nK = v\n");
	assert_int_equal(conf_load_file(&c, other, err, sizeof(err)), 0);
	assert_int_equal(c.n_entries, 1);
	assert_int_equal(conf_load(&c, main_path, err, sizeof(err)), -EINVAL);
	assert_int_equal(c.n_entries, 1);
	assert_string_equal(conf_get(&c, "Pre", "K"), "v");
	conf_done(&c);
}

static void test_limits(void **state)
{
	Conf c = {0};
	char err[512];
	size_t n = 2 * 1024 * 1024;
	char *big = malloc(n + 1);

	(void)state;
	assert_non_null(big);
	/* Line just at the cap is fine, one byte more is not. */
	strcpy(big, "[A]\nK = ");
	size_t hdr = strlen("[A]\n"), pre = strlen(big);
	memset(big + pre, 'v', 4096 - (pre - hdr));
	strcpy(big + hdr + 4096, "\n");
	put(main_path, big);
	assert_int_equal(conf_load(&c, main_path, err, sizeof(err)), 0);
	assert_int_equal(strlen(conf_get(&c, "A", "K")), 4096 - (pre - hdr));
	conf_done(&c);

	memset(big + pre, 'v', 4097 - (pre - hdr));
	strcpy(big + hdr + 4097, "\n");
	put(main_path, big);
	assert_int_equal(conf_load(&c, main_path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":2: line longer than 4096 bytes"));

	/* File cap: 2 MiB of comments. */
	for (size_t i = 0; i < n; i += 64) {
		memset(big + i, ' ', 64);
		big[i] = '#';
		big[i + 63] = '\n';
	}
	big[n] = '\0';
	put(main_path, big);
	assert_int_equal(conf_load(&c, main_path, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, main_path));
	assert_non_null(strstr(err, "larger than"));
	assert_int_equal(c.n_entries, 0);
	free(big);
}

static void test_typed_getters(void **state)
{
	Conf c = {0};
	char err[512];
	bool b = false;
	unsigned u = 7;
	usec_t t = 1;

	(void)state;
	put(main_path, "[T]\n"
		       "B1 = yes\nB0 = off\nBbad = maybe\n"
		       "U = 42\nUmax = 4294967295\nUbig = 4294967296\nUneg = -1\nUjunk = 12x\n"
		       "T = 1min 30s\nTbad = 5 parsecs\n");
	assert_int_equal(conf_load(&c, main_path, err, sizeof(err)), 0);

	assert_int_equal(conf_get_bool(&c, "T", "B1", &b, err, sizeof(err)), 1);
	assert_true(b);
	assert_int_equal(conf_get_bool(&c, "T", "B0", &b, err, sizeof(err)), 1);
	assert_false(b);
	b = true;
	assert_int_equal(conf_get_bool(&c, "T", "Missing", &b, err, sizeof(err)), 0);
	assert_true(b); /* untouched */
	assert_int_equal(conf_get_bool(&c, "T", "Bbad", &b, err, sizeof(err)), -EINVAL);
	assert_true(b);
	assert_non_null(strstr(err, ":4: T.Bbad: 'maybe' is not a boolean"));

	assert_int_equal(conf_get_uint(&c, "T", "U", &u, err, sizeof(err)), 1);
	assert_int_equal(u, 42);
	assert_int_equal(conf_get_uint(&c, "T", "Umax", &u, err, sizeof(err)), 1);
	assert_int_equal(u, UINT_MAX);
	u = 5;
	assert_int_equal(conf_get_uint(&c, "T", "Ubig", &u, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "T.Ubig"));
	assert_int_equal(conf_get_uint(&c, "T", "Uneg", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(conf_get_uint(&c, "T", "Ujunk", &u, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":9: T.Ujunk: '12x'"));
	assert_int_equal(u, 5);
	assert_int_equal(conf_get_uint(&c, "T", "Missing", &u, err, sizeof(err)), 0);
	assert_int_equal(u, 5);

	assert_int_equal(conf_get_usec(&c, "T", "T", &t, err, sizeof(err)), 1);
	assert_int_equal(t, 90 * USEC_PER_SEC);
	assert_int_equal(conf_get_usec(&c, "T", "Tbad", &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":11: T.Tbad: '5 parsecs' is not a time span"));
	assert_int_equal(t, 90 * USEC_PER_SEC);
	assert_int_equal(conf_get_usec(&c, "T", "Missing", &t, err, sizeof(err)), 0);
	conf_done(&c);
}

static void test_unknown_keys(void **state)
{
	static const char *const known[] = {"Imds.Url", "Imds.Budget", "Ssh.Sshd", NULL};
	Conf c = {0};
	char err[512];

	(void)state;
	put(main_path, "[Imds]\nUrl = x\nBudget = 1\n[Ssh]\nSshd = /x\n");
	assert_int_equal(conf_load(&c, main_path, err, sizeof(err)), 0);
	assert_int_equal(conf_check_known(&c, known, err, sizeof(err)), 0);
	conf_done(&c);

	put_dropin("x.conf", "[Imds]\nUrl = y\nBugdet = 2\n");
	assert_int_equal(conf_load(&c, main_path, err, sizeof(err)), 0);
	assert_int_equal(conf_check_known(&c, known, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "x.conf:3: unknown key Imds.Bugdet"));
	conf_done(&c);

	/* Right key in the wrong section; prefix lookalikes. */
	put_dropin("x.conf", "[Ssh]\nUrl = y\n");
	assert_int_equal(conf_load(&c, main_path, err, sizeof(err)), 0);
	assert_int_equal(conf_check_known(&c, known, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown key Ssh.Url"));
	conf_done(&c);
	put_dropin("x.conf", "[Imd]\nsUrl = y\n");
	assert_int_equal(conf_load(&c, main_path, err, sizeof(err)), 0);
	assert_int_equal(conf_check_known(&c, known, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown key Imd.sUrl"));
	conf_done(&c);
	put_dropin("x.conf", "[Imds.Url]\nx = y\n");
	assert_int_equal(conf_load(&c, main_path, err, sizeof(err)), 0);
	assert_int_equal(conf_check_known(&c, known, err, sizeof(err)), -EINVAL);
	conf_done(&c);
}

static void assert_timespan(const char *s, usec_t expect)
{
	usec_t t = 0;
	int r = parse_timespan(s, &t);
	if (r < 0)
		fail_msg("parse_timespan('%s') = %d", s, r);
	if (t != expect)
		fail_msg("parse_timespan('%s') = %llu, expected %llu", s, (unsigned long long)t,
			 (unsigned long long)expect);
}

static void assert_timespan_bad(const char *s, int err)
{
	usec_t t = 12345;
	int r = parse_timespan(s, &t);
	if (r != err)
		fail_msg("parse_timespan('%s') = %d, expected %d", s, r, err);
	assert_int_equal(t, 12345);
}

static void test_timespans(void **state)
{
	(void)state;
	assert_timespan("30", 30 * USEC_PER_SEC);
	assert_timespan("0", 0);
	assert_timespan("30s", 30 * USEC_PER_SEC);
	assert_timespan("30 sec", 30 * USEC_PER_SEC);
	assert_timespan("500ms", 500 * USEC_PER_MSEC);
	assert_timespan("250us", 250);
	assert_timespan("2min", 120 * USEC_PER_SEC);
	assert_timespan("2m", 120 * USEC_PER_SEC);
	assert_timespan("1h", 3600 * USEC_PER_SEC);
	assert_timespan("1min 30s", 90 * USEC_PER_SEC);
	assert_timespan("1min30s", 90 * USEC_PER_SEC);
	assert_timespan("1h 2min 3s 4ms 5us", 3723 * USEC_PER_SEC + 4005);
	assert_timespan("  1.5s  ", 1500 * USEC_PER_MSEC);
	assert_timespan("0.25h", 900 * USEC_PER_SEC);
	assert_timespan("1min 30", 90 * USEC_PER_SEC);

	assert_timespan_bad("", -EINVAL);
	assert_timespan_bad("   ", -EINVAL);
	assert_timespan_bad("s", -EINVAL);
	assert_timespan_bad("-5s", -EINVAL);
	assert_timespan_bad("5 parsecs", -EINVAL);
	assert_timespan_bad("5S", -EINVAL);
	assert_timespan_bad("5s!", -EINVAL);
	assert_timespan_bad("5 3", -EINVAL);
	assert_timespan_bad("1.5.3s", -EINVAL);
	assert_timespan_bad(".s", -EINVAL);
	assert_timespan_bad("99999999999999999999", -ERANGE);
	assert_timespan_bad("9999999999999h", -ERANGE);
	assert_timespan_bad("18446744073709551615us 1us", -ERANGE);
	assert_int_equal(parse_timespan(NULL, &(usec_t){0}), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_basic_syntax, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_main_is_fine, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dropin_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_syntax_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_syntax_error_in_dropin_names_it, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_typed_getters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_keys, setup, teardown),
	    cmocka_unit_test(test_timespans),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
