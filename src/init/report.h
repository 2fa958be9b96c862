/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Reporting provisioning state to the platform (report.c): a KVP
 * PROVISIONING_REPORT record, then the JSON /provisioning/health report,
 * falling back to goal state + XML health report.
 */

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

typedef struct ReportContext {
	const char *wireserver_url; /* "http://168.63.129.16" */
	const char *agent_name;	    /* "lazuli-init/0.1.0" */
	const char *kvp_path;	    /* NULL: no KVP */
	const char *vm_id;
	usec_t request_timeout;		 /* per attempt */
	usec_t budget;			 /* total for the whole report, all protocols */
	HttpRetryPolicy policy_template; /* sleep hook for tests; may be zero */
} ReportContext;

/*
 * "result=success|agent=Lazuli-Init/<ver>|pps_type=None|vm_id=<id>|timestamp=<RFC3339>"
 */
char *report_success_description(const ReportContext *ctx, const char *pps_type);

/*
 * "result=error|reason=<reason>|agent=...|<k=v...>|pps_type=None|vm_id=<id>|
 *  timestamp=<RFC3339>|documentation_url=https://aka.ms/linuxprovisioningerror"
 * reason and every value are sanitized: '|' and control characters replaced,
 * truncated so the whole stays <= 1022 bytes (one KVP record) and UTF-8 valid.
 * kv is a NULL-terminated list of alternating keys and values; may be NULL.
 */
char *report_failure_description(const ReportContext *ctx, const char *reason,
				 const char *const *kv);

/*
 * Write the KVP record (if kvp_path) and send the report. ready=true sends
 * {"state":"Ready"}; false sends NotReady/ProvisioningFailed with description.
 * Tries JSON /provisioning/health; on 404/400/405 or repeated transport
 * failure falls back to GET /machine/?comp=goalstate + POST
 * /machine?comp=health (re-fetching the goal state on 410 or
 * InvalidContainerConfiguration). Returns 0 once the wireserver accepted
 * it (2xx), negative errno otherwise, with err naming endpoint and status.
 */
int report_send(const ReportContext *ctx, bool ready, const char *description, char *err,
		size_t errlen);

/* Exposed for tests and fuzzing. */
typedef struct GoalState {
	char *incarnation;
	char *container_id;
	char *instance_id;
} GoalState;
int goalstate_parse(const char *xml, size_t len, GoalState *ret, char *err, size_t errlen);
void goalstate_done(GoalState *g);
char *health_xml_build(const GoalState *g, bool ready, const char *description);
