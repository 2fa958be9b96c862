/* SPDX-License-Identifier: MIT */
/* lazuli-run's config.json parser on arbitrary bytes; valid seccomp sections are compiled too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci-config.h"
#include "seccomp-filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	RunConfig *c = NULL;
	char err[512];

	if (run_config_parse((const char *)data, size, &c, err, sizeof(err)) < 0) {
		/* Every failure names a field. */
		if (!strchr(err, ':'))
			abort();
		return 0;
	}
	if (c->seccomp) {
		SeccompProgram p = {};
		RunError e;
		if (seccomp_compile(c->seccomp, &p, &e) == 0)
			seccomp_program_done(&p);
	}
	run_config_free(c);
	return 0;
}
