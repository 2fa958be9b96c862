/* SPDX-License-Identifier: MIT */
/*
 * Test driver for the JMESPath engine: jmespath-cli DATA.json EXPRESSION...
 * prints, for each expression in turn, one line: the result as compact JSON,
 * or "error: <message>". The differential test compares these lines with
 * python-jmespath's results. Exits non-zero only if DATA.json is unreadable.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fileio.h"
#include "jmespath.h"
#include "json-util.h"

int main(int argc, char **argv)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_json_ json_object *data = NULL;
	char err[512];
	size_t len;
	int r;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DATA.json EXPRESSION...\n", argv[0]);
		return 2;
	}
	r = read_full_file(argv[1], 64u * 1024 * 1024, &buf, &len);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(-r));
		return 1;
	}
	r = json_parse_strict(buf, len, &data, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], err);
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		_cleanup_json_ json_object *res = NULL;
		r = jmespath_query(argv[i], data, &res, err, sizeof(err));
		if (r < 0) {
			printf("error: %s\n", err);
			continue;
		}
		_cleanup_free_ char *s = json_to_string_compact(res);
		printf("%s\n", s ? s : "null");
	}
	return 0;
}
