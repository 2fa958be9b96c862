/* SPDX-License-Identifier: MIT */
/* Scenario parser on arbitrary bytes (files named in it resolve in a missing directory). */
#include <stdint.h>
#include <string.h>

#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	EmuScenario *s = NULL;
	char err[512];

	if (emu_scenario_parse((const char *)data, size, "/nonexistent/lazuli-fuzz", &s, err,
			       sizeof(err)) >= 0) {
		/* A parsed scenario must be self-consistent: every queue has entries. */
		for (size_t i = 0; i < s->n_imds; i++)
			if (s->imds[i].n_entries == 0 || s->imds[i].key[0] != '/')
				__builtin_trap();
		emu_scenario_free(s);
	} else if (s || err[0] == '\0')
		__builtin_trap(); /* failures return nothing and always say why */
	return 0;
}
