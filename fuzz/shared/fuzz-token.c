/* SPDX-License-Identifier: MIT */
/* The managed-identity token response parser and the Retry-After parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Token t;
	char err[256];
	usec_t d;

	if (token_parse((const char *)data, size, &t, err, sizeof(err)) == 0)
		token_done(&t);

	char *s = strndup((const char *)data, size > 256 ? 256 : size);
	if (s) {
		(void)http_parse_retry_after(s, 1445412480, &d);
		free(s);
	}
	return 0;
}
