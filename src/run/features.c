/* SPDX-License-Identifier: MIT */
/* features: the OCI runtime features document. */
#include <stdio.h>
#include <stdlib.h>

#include "spec.h"
#include "verbs.h"

int verb_features(const GlobalOptions *g, int argc, char **argv)
{
	if (argc > 1) {
		report_error("features: unexpected argument \"%s\"", argv[1]);
		return EXIT_USAGE_ERROR;
	}
	_cleanup_free_ char *json = features_json();
	if (!json)
		return EXIT_FAILURE_RUNTIME;
	puts(json);
	return 0;
}
