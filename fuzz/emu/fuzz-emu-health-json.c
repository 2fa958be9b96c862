/* SPDX-License-Identifier: MIT */
/* JSON health report parser and validator on arbitrary bytes. */
#include <stdint.h>
#include <string.h>

#include "health.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	EmuHealthReport r = {};
	char err[512];

	if (emu_health_json_parse((const char *)data, size, &r, err, sizeof(err)) >= 0) {
		if (!r.state)
			__builtin_trap();
		if (emu_health_validate(&r, 0, err, sizeof(err)) >= 0 &&
		    strcmp(r.state, "Ready") != 0 && strcmp(r.state, "NotReady") != 0)
			__builtin_trap();
	}
	emu_health_report_done(&r);
	return 0;
}
