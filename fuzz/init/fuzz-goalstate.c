/* SPDX-License-Identifier: MIT */
/*
 * Goal state parser on arbitrary bytes. What it accepts must turn into a
 * health report that parses back with the same ids; the input is also used
 * as a hostile failure reason, whose description must stay one valid KVP
 * value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "strutil.h"
#include "xml-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_roundtrip(const GoalState *g)
{
	_cleanup_free_ char *x = health_xml_build(g, false, g->instance_id);
	_cleanup_xmldoc_ xmlDocPtr doc = NULL;
	char err[256];

	if (!x || xml_parse_untrusted(x, strlen(x), &doc, err, sizeof(err)) < 0)
		__builtin_trap();
	xmlNodePtr n = xml_child(xmlDocGetRootElement(doc), "Container", NULL);
	_cleanup_free_ char *cid = xml_text(xml_child(n, "ContainerId", NULL));
	if (!cid || !streq(cid, g->container_id))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GoalState g = {0};
	char err[256];

	if (goalstate_parse((const char *)data, size, &g, err, sizeof(err)) >= 0) {
		if (!g.incarnation || !g.container_id || !g.instance_id)
			__builtin_trap();
		check_roundtrip(&g);
	} else if (g.incarnation || g.container_id || g.instance_id || !err[0]) {
		__builtin_trap();
	}
	goalstate_done(&g);

	if (size < 8192) {
		ReportContext ctx = {.vm_id = "00000000-0000-0000-0000-000000000000"};
		_cleanup_free_ char *s = strndup((const char *)data, size);
		const char *kv[] = {"k", s, s, "v", NULL};
		_cleanup_free_ char *d = s ? report_failure_description(&ctx, s, kv) : NULL;
		if (d &&
		    (strlen(d) > 1022 || !utf8_is_valid_n(d, strlen(d)) || has_control_chars(d) ||
		     !endswith(d, "|documentation_url=https://aka.ms/linuxprovisioningerror")))
			__builtin_trap();
	}
	return 0;
}
