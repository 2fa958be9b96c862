/* SPDX-License-Identifier: MIT */
/*
 * INI configuration parser on arbitrary bytes (loaded through a memfd, as a
 * file), then every getter on every entry, and the time-span parser on the
 * raw input.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "fileio.h"
#include "strutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const known[] = {"Imds.Url", "Imds.Budget", "Wireserver.Url", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[512], *s;
	Conf c = {0};
	usec_t t;
	int fd, r;

	/* Time spans: the input as one NUL-terminated string. */
	if (size < 4096) {
		s = strndup((const char *)data, size);
		if (s) {
			(void)parse_timespan(s, &t);
			free(s);
		}
	}

	fd = memfd_create("fuzz-conf", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (loop_write(fd, data, size) < 0) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	r = conf_load_file(&c, path, err, sizeof(err));
	if (r < 0) {
		/* A refused file adds nothing and always says why. */
		if (c.n_entries != 0 || err[0] == '\0')
			__builtin_trap();
	} else {
		for (size_t i = 0; i < c.n_entries; i++) {
			const ConfEntry *e = &c.entries[i];
			bool b;
			unsigned u;

			if (!e->section || !e->key || !e->value || !e->origin ||
			    !utf8_is_valid_n(e->value, strlen(e->value)))
				__builtin_trap();
			(void)conf_get_bool(&c, e->section, e->key, &b, err, sizeof(err));
			(void)conf_get_uint(&c, e->section, e->key, &u, err, sizeof(err));
			(void)conf_get_usec(&c, e->section, e->key, &t, err, sizeof(err));
			if (!conf_get(&c, e->section, e->key))
				__builtin_trap();
		}
		(void)conf_check_known(&c, known, err, sizeof(err));
	}
	conf_done(&c);
	close(fd);
	return 0;
}
