/* SPDX-License-Identifier: MIT */
/*
 * ovf-env.xml parser and redactor on arbitrary bytes. An accepted document
 * must carry a host name, and its password may never survive
 * redaction; a refused one must say why and leave nothing allocated. The
 * redacted copy must itself parse with the password gone.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "steps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	OvfEnv o = {0};
	char err[256] = "";

	int r = ovf_parse((const char *)data, size, &o, err, sizeof(err));
	if (r < 0) {
		if (!err[0] || o.hostname || o.username || o.password || o.ssh_keys ||
		    o.custom_data)
			__builtin_trap();
		return 0;
	}
	if (!o.hostname)
		__builtin_trap();

	/* Whatever parsed must redact, and the redacted copy must parse to the
	 * same account with the password replaced. */
	_cleanup_free_ char *red = NULL;
	size_t redlen = 0;
	if (ovf_redact((const char *)data, size, &red, &redlen) < 0)
		__builtin_trap();
	OvfEnv o2 = {0};
	char err2[256];
	if (ovf_parse(red, redlen, &o2, err2, sizeof(err2)) < 0)
		__builtin_trap();
	if (!!o.username != !!o2.username || (o.username && strcmp(o2.username, o.username) != 0) ||
	    strcmp(o2.hostname, o.hostname) != 0)
		__builtin_trap();
	if (!!o.password != !!o2.password || (o2.password && strcmp(o2.password, "REDACTED") != 0))
		__builtin_trap();
	ovf_env_done(&o2);
	ovf_env_done(&o);
	return 0;
}
