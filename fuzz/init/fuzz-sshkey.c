/* SPDX-License-Identifier: MIT */
/*
 * SSH public key validation on arbitrary bytes (metadata is hostile). A key
 * that is accepted must be one line of printable ASCII (tabs separate fields
 * for sshd as spaces do) that starts with a
 * known key type and carries no options prefix, and sanitizing it again must
 * give the same line; a refused key must come with a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "steps.h"
#include "strutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *in = strndup((const char *)data, size);
	_cleanup_free_ char *out = NULL, *again = NULL;
	char err[256] = "";

	if (!in)
		return 0;
	if (ssh_key_sanitize(in, &out, err, sizeof(err)) < 0) {
		if (!err[0] || out)
			__builtin_trap();
		return 0;
	}
	for (const char *p = out; *p; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || (unsigned char)*p == 0x7f)
			__builtin_trap();
	if (!startswith(out, "ssh-") && !startswith(out, "ecdsa-sha2-") && !startswith(out, "sk-"))
		__builtin_trap();
	if (ssh_key_sanitize(out, &again, err, sizeof(err)) < 0 || strcmp(out, again) != 0)
		__builtin_trap();
	return 0;
}
