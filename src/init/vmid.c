/* SPDX-License-Identifier: MIT */
/* The VM id from DMI (spec 1.1): what the platform calls vmId. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "macros.h"
#include "steps.h"
#include "strutil.h"

static bool uuid_is_valid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

int vmid_swap_gen1(const char *in, char out[37])
{
	/* Byte order of the first three fields (u32, u16, u16) is reversed on Gen1. */
	static const int order[] = {6, 4, 2, 0, -1, 11, 9, -1, 16, 14};
	if (!uuid_is_valid(in))
		return -EINVAL;
	memcpy(out, in, 37);
	size_t o = 0;
	for (size_t i = 0; i < ELEMENTSOF(order); i++) {
		if (order[i] < 0) {
			out[o++] = '-';
			continue;
		}
		out[o++] = in[order[i]];
		out[o++] = in[order[i] + 1];
	}
	return 0;
}

int vmid_read(const char *sysroot, char ret[37], char *err, size_t errlen)
{
	char path[4096], efi[4096], devefi[4096];
	_cleanup_free_ char *text = NULL;
	const char *root = isempty(sysroot) || streq(sysroot, "/") ? "" : sysroot;
	int r;

	snprintf(path, sizeof(path), "%s/sys/class/dmi/id/product_uuid", root);
	r = read_full_file(path, 256, &text, NULL);
	if (r < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-r));
		return r;
	}
	ascii_strlower(strstrip(text));
	if (!uuid_is_valid(text)) {
		snprintf(err, errlen, "%s does not hold a UUID", path);
		return -EINVAL;
	}
	snprintf(efi, sizeof(efi), "%s/sys/firmware/efi", root);
	snprintf(devefi, sizeof(devefi), "%s/dev/efi", root);
	if (access(efi, F_OK) == 0 || access(devefi, F_OK) == 0)
		memcpy(ret, text, 37);
	else
		(void)vmid_swap_gen1(text, ret);
	return 0;
}
