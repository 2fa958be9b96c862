/* SPDX-License-Identifier: MIT */
/* XML health report parser (untrusted agent input) on arbitrary bytes. */
#include <stdint.h>
#include <string.h>

#include "health.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	EmuHealthReport r = {};
	char err[512];

	if (emu_health_xml_parse((const char *)data, size, &r, err, sizeof(err)) >= 0) {
		if (!r.incarnation || !r.container_id || !r.instance_id || !r.state)
			__builtin_trap();
		(void)emu_health_validate(&r, EMU_HEALTH_DESCRIPTION_MAX, err, sizeof(err));
	}
	emu_health_report_done(&r);
	return 0;
}
