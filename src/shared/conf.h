/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "time-util.h"

/*
 * INI-style configuration, systemd-like:
 *   # comment / ; comment
 *   [Section]
 *   Key = value
 * Loaded from a main file and then every *.conf in "<main>.d/" in
 * lexicographic order, later values overriding earlier ones. A missing main
 * file is fine; a syntax error is -EINVAL with "file:line: reason" in err.
 */

typedef struct ConfEntry {
	char *section;
	char *key;
	char *value;
	char *origin; /* "file:line" */
} ConfEntry;

typedef struct Conf {
	ConfEntry *entries;
	size_t n_entries;
} Conf;

int conf_load(Conf *c, const char *main_path, char *err, size_t errlen);
int conf_load_file(Conf *c, const char *path, char *err, size_t errlen);
void conf_done(Conf *c);

/* Last value for section/key, or NULL. Keys are case-sensitive. */
const char *conf_get(const Conf *c, const char *section, const char *key);

/*
 * Typed lookups: set *ret only when the key is present. -EINVAL (with
 * "origin: Section.Key: reason" in err) when the value does not parse.
 */
int conf_get_bool(const Conf *c, const char *section, const char *key, bool *ret, char *err,
		  size_t errlen);
int conf_get_uint(const Conf *c, const char *section, const char *key, unsigned *ret, char *err,
		  size_t errlen);
/* "30", "30s", "500ms", "2min", "1h". */
int conf_get_usec(const Conf *c, const char *section, const char *key, usec_t *ret, char *err,
		  size_t errlen);

/*
 * Fail if the configuration holds a key that is not in `known` (a
 * NULL-terminated list of "Section.Key"), naming it and its origin.
 */
int conf_check_known(const Conf *c, const char *const *known, char *err, size_t errlen);

int parse_timespan(const char *s, usec_t *ret);
