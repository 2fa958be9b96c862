/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define EMU_HEALTH_DESCRIPTION_MAX 4096

/* A health report as the agent sent it (XML comp=health or JSON /provisioning/health). */
typedef struct EmuHealthReport {
	const char *proto; /* "xml" or "json" */
	char *state;
	char *substatus;
	char *description;
	char *incarnation;  /* XML only */
	char *container_id; /* XML only */
	char *instance_id;  /* XML only */
	bool has_details;
} EmuHealthReport;

void emu_health_report_done(EmuHealthReport *r);

/*
 * Parse an XML health report (spec 2.4): well-formed, no DOCTYPE, root
 * <Health> with exactly one GoalStateIncarnation, Container/ContainerId and
 * Container/RoleInstanceList/Role with InstanceId and Health/State. Fields
 * found are stored in r even on failure. -EBADMSG: not well-formed XML;
 * -EINVAL: a required element is missing or repeated. err names it.
 */
int emu_health_xml_parse(const char *buf, size_t len, EmuHealthReport *r, char *err, size_t errlen);

/*
 * Parse a JSON health report (spec 2.6): an object with string "state" and
 * optional "details" {"subStatus","description"}; unknown keys ignored.
 */
int emu_health_json_parse(const char *buf, size_t len, EmuHealthReport *r, char *err,
			  size_t errlen);

/*
 * State in {Ready, NotReady}; with details (always required for a JSON
 * NotReady): SubStatus in {ProvisioningFailed, Provisioning} and Description
 * at most max_description bytes (0: no limit). -EINVAL with err otherwise.
 */
int emu_health_validate(const EmuHealthReport *r, size_t max_description, char *err, size_t errlen);
