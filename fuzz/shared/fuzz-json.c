/* SPDX-License-Identifier: MIT */
/* json_parse_strict (incl. the duplicate-key scanner) and the path walker on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "json-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_object *o = NULL;
	char err[256];

	if (json_parse_strict((const char *)data, size, &o, err, sizeof(err)) < 0)
		return 0;
	(void)json_get_string(o, "compute.osProfile.adminUsername");
	(void)json_get_bool_lenient(o, "compute.osProfile.disablePasswordAuthentication");
	(void)json_get_path(o, "compute.publicKeys.0.keyData");
	free(json_to_string_compact(o));
	json_object_put(o);
	return 0;
}
