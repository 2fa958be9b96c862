/* SPDX-License-Identifier: MIT */
/*
 * Test driver for the YAML emitter: yaml-cli [--color] < DOCS reads one JSON
 * value per line and prints each as YAML, followed by a line with a NUL
 * byte, so that the differential test can compare it document by document
 * with PyYAML's safe_dump.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "strutil.h"
#include "yaml-emit.h"

int main(int argc, char **argv)
{
	bool color = argc > 1 && streq(argv[1], "--color");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	char err[256];

	while ((n = getline(&line, &cap, stdin)) > 0) {
		_cleanup_json_ json_object *o = NULL;
		StrBuf b = {};
		if (json_parse_strict(line, (size_t)n, &o, err, sizeof(err)) < 0) {
			fprintf(stderr, "yaml-cli: %s\n", err);
			free(line);
			return 1;
		}
		if (yaml_emit(&b, o, color) < 0) {
			fprintf(stderr, "yaml-cli: out of memory\n");
			free(line);
			return 1;
		}
		fwrite(b.data, 1, b.len, stdout);
		fputc('\0', stdout);
		fputc('\n', stdout);
		strbuf_free(&b);
	}
	free(line);
	return 0;
}
