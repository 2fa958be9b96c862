/* SPDX-License-Identifier: MIT */
#pragma once
/* Shared by the lazuli-metrics unit tests: a Scrape over the fixture root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics-config.h"
#include "scrape.h"

static inline const char *fixture_root(void)
{
	static char path[4096];
	const char *src = getenv("LAZULI_SRCDIR");
	snprintf(path, sizeof(path), "%s/tests/fixtures/metrics/root", src ? src : ".");
	return path;
}

/* A config with defaults (no file) over root; every collector enabled. */
static inline void test_config(MetricsConfig *cfg, const char *root)
{
	char err[256];
	assert_int_equal(metrics_config_load(cfg, "/nonexistent/metrics.conf", err, sizeof(err)), 0);
	assert_int_equal(metrics_config_set_root(cfg, root), 0);
	free(cfg->run_state_dir);
	cfg->run_state_dir = strdup("");
}

/* The output contains this exact line. */
#define assert_line(out, line)                                                                     \
	do {                                                                                       \
		const char *_o = (out), *_l = (line);                                              \
		size_t _n = strlen(_l);                                                            \
		const char *_p = _o;                                                               \
		bool _found = false;                                                               \
		while ((_p = strstr(_p, _l))) {                                                    \
			if ((_p == _o || _p[-1] == '\n') && (_p[_n] == '\n' || _p[_n] == '\0')) {   \
				_found = true;                                                     \
				break;                                                             \
			}                                                                          \
			_p++;                                                                      \
		}                                                                                  \
		if (!_found)                                                                       \
			fail_msg("line not in output: %s\n--- output ---\n%s", _l, _o);            \
	} while (0)

#define assert_no_substring(out, s)                                                                \
	do {                                                                                       \
		if (strstr((out), (s)))                                                            \
			fail_msg("unexpected \"%s\" in output:\n%s", (s), (out));                  \
	} while (0)
