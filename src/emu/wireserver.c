/* SPDX-License-Identifier: MIT */
/* The wireserver side of the emulator: spec sections 2 and 8.2 (W1-W4). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "state.h"
#include "strutil.h"

#define WS_VERSION "2012-11-30"
#define KEY_VERSIONS "/?comp=versions"
#define KEY_GOALSTATE "/machine?comp=goalstate"
#define KEY_HEALTH "/machine?comp=health"
#define KEY_JSON_HEALTH "/provisioning/health"
#define TEXT "text/plain; charset=utf-8"
#define XML "text/xml; charset=utf-8"

static const char *header(const EmuRequest *req, const char *name)
{
	return emu_pairs_get(req->headers, req->n_headers, name, true);
}

char *emu_ws_versions_xml(void)
{
	return strdup("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		      "<Versions>\n"
		      "  <Preferred>\n"
		      "    <Version>" WS_VERSION "</Version>\n"
		      "  </Preferred>\n"
		      "  <Supported>\n"
		      "    <Version>" WS_VERSION "</Version>\n"
		      "    <Version>2010-12-15</Version>\n"
		      "    <Version>2010-28-10</Version>\n"
		      "  </Supported>\n"
		      "</Versions>\n");
}

char *emu_ws_goalstate_xml(const EmuState *st)
{
	_cleanup_free_ char *inc = emu_xml_escape(st->scenario->incarnation);
	_cleanup_free_ char *cid = emu_xml_escape(st->scenario->container_id);
	_cleanup_free_ char *iid = emu_xml_escape(st->scenario->instance_id);
	_cleanup_free_ char *base = emu_xml_escape(st->wireserver_url);
	char *out = NULL;

	if (!inc || !cid || !iid || !base)
		return NULL;
	if (asprintf(
		&out,
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		"<GoalState xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
		"xsi:noNamespaceSchemaLocation=\"goalstate10.xsd\">\n"
		"  <Version>" WS_VERSION "</Version>\n"
		"  <Incarnation>%1$s</Incarnation>\n"
		"  <Machine>\n"
		"    <ExpectedState>Started</ExpectedState>\n"
		"    <StopRolesDeadlineHint>300000</StopRolesDeadlineHint>\n"
		"    <LBProbePorts>\n"
		"      <Port>16001</Port>\n"
		"    </LBProbePorts>\n"
		"    <ExpectHealthReport>FALSE</ExpectHealthReport>\n"
		"  </Machine>\n"
		"  <Container>\n"
		"    <ContainerId>%2$s</ContainerId>\n"
		"    <RoleInstanceList>\n"
		"      <RoleInstance>\n"
		"        <InstanceId>%3$s</InstanceId>\n"
		"        <State>Started</State>\n"
		"        <Configuration>\n"
		"          <HostingEnvironmentConfig>%4$s/machine/%2$s/%3$s?comp=config&amp;"
		"type=hostingEnvironmentConfig&amp;incarnation=%1$s</HostingEnvironmentConfig>\n"
		"          <SharedConfig>%4$s/machine/%2$s/%3$s?comp=config&amp;"
		"type=sharedConfig&amp;incarnation=%1$s</SharedConfig>\n"
		"          <ExtensionsConfig>%4$s/machine/%2$s/%3$s?comp=config&amp;"
		"type=extensionsConfig&amp;incarnation=%1$s</ExtensionsConfig>\n"
		"          <FullConfig>%4$s/machine/%2$s/%3$s?comp=config&amp;"
		"type=fullConfig&amp;incarnation=%1$s</FullConfig>\n"
		"          <Certificates>%4$s/machine/%2$s/%3$s?comp=certificates&amp;"
		"incarnation=%1$s</Certificates>\n"
		"          <ConfigName>%3$s.%1$s.xml</ConfigName>\n"
		"        </Configuration>\n"
		"      </RoleInstance>\n"
		"    </RoleInstanceList>\n"
		"  </Container>\n"
		"</GoalState>\n",
		inc, cid, iid, base) < 0)
		return NULL;
	return out;
}

bool emu_ws_is_health_post(const EmuRequest *req)
{
	_cleanup_free_ char *key = emu_queue_key(req->path, req->query);
	return key && streq(req->method, "POST") &&
	       (streq(key, KEY_HEALTH) || streq(key, KEY_JSON_HEALTH));
}

static int method_not_allowed(EmuResponse *resp, const char *allow)
{
	int r = emu_response_header(resp, "Allow", allow);
	if (r < 0)
		return r;
	return emu_response_set(resp, 405, TEXT, "Method not allowed",
				STRLEN("Method not allowed"));
}

static int reply_and_record(EmuState *st, const EmuRequest *req, const EmuHealthReport *rep,
			    int status, const char *error, usec_t now_mono, EmuResponse *resp)
{
	/* Wireserver 4xx bodies are not documented; the reason helps whoever reads the test log. */
	const char *body = error ? error : "";
	int r = emu_response_set(resp, status, *body ? TEXT : NULL, body, strlen(body));
	if (r < 0)
		return r;
	return emu_state_record_report(st, rep, req, status, error, now_mono);
}

/* Header checks of strict_headers mode; returns the complaint or NULL. */
static const char *xml_header_problem(const EmuState *st, const EmuRequest *req)
{
	const char *ver = header(req, "x-ms-version");
	const char *ctype = header(req, "Content-Type");

	if (!st->scenario->strict_headers)
		return NULL;
	if (!ver || !streq(ver, WS_VERSION))
		return "Missing or unsupported x-ms-version header (expected " WS_VERSION ")";
	if (!ctype || !startswith_no_case(ctype, "text/xml"))
		return "Content-Type must be text/xml";
	return NULL;
}

static const char *json_header_problem(const EmuState *st, const EmuRequest *req)
{
	const char *ctype = header(req, "Content-Type");

	if (!st->scenario->strict_headers)
		return NULL;
	if (!ctype || !startswith_no_case(ctype, "application/json"))
		return "Content-Type must be application/json";
	if (isempty(header(req, "x-ms-guest-agent-name")))
		return "Missing x-ms-guest-agent-name header";
	return NULL;
}

static int xml_health(EmuState *st, const EmuRequest *req, usec_t now_mono, EmuResponse *resp)
{
	EmuHealthReport rep = {.proto = "xml"};
	const char *problem;
	char err[512];
	int r, parsed;

	/* Parsed first so that even a refused report is recorded with what it said. */
	parsed =
	    emu_health_xml_parse(req->body ? req->body : "", req->body_len, &rep, err, sizeof(err));
	if (parsed == -ENOMEM) {
		r = parsed;
		goto out;
	}
	if ((problem = xml_header_problem(st, req)))
		r = reply_and_record(st, req, &rep, 400, problem, now_mono, resp);
	else if (parsed < 0)
		r = reply_and_record(st, req, &rep, 400, err, now_mono, resp);
	else if (!streq(rep.incarnation, st->scenario->incarnation) ||
		 !streq(rep.container_id, st->scenario->container_id) ||
		 !streq(rep.instance_id, st->scenario->instance_id)) {
		if (st->scenario->stale_goalstate)
			r = reply_and_record(st, req, &rep, 410, NULL, now_mono, resp);
		else
			r = reply_and_record(st, req, &rep, 400, "InvalidContainerConfiguration",
					     now_mono, resp);
	} else if (emu_health_validate(&rep, EMU_HEALTH_DESCRIPTION_MAX, err, sizeof(err)) < 0)
		r = reply_and_record(st, req, &rep, 400, err, now_mono, resp);
	else
		r = reply_and_record(st, req, &rep, 200, NULL, now_mono, resp);
out:
	emu_health_report_done(&rep);
	return r;
}

static int json_health(EmuState *st, const EmuRequest *req, usec_t now_mono, EmuResponse *resp)
{
	EmuHealthReport rep = {.proto = "json"};
	const char *problem;
	char err[512];
	int r, parsed;

	parsed = emu_health_json_parse(req->body ? req->body : "", req->body_len, &rep, err,
				       sizeof(err));
	if (parsed == -ENOMEM) {
		r = parsed;
		goto out;
	}
	if (parsed >= 0)
		parsed = emu_health_validate(&rep, 0, err, sizeof(err));
	if (st->scenario->json_health == EMU_JSON_HEALTH_NOT_SUPPORTED)
		r = reply_and_record(st, req, &rep, 404, NULL, now_mono, resp);
	else if ((problem = json_header_problem(st, req)))
		r = reply_and_record(st, req, &rep, 400, problem, now_mono, resp);
	else if (parsed < 0)
		r = reply_and_record(st, req, &rep, 400, err, now_mono, resp);
	else {
		if (streq(rep.state, "Ready"))
			st->ready_accepted = true;
		r = reply_and_record(st, req, &rep, 201, NULL, now_mono, resp);
	}
out:
	emu_health_report_done(&rep);
	return r;
}

int emu_ws_default(EmuState *st, const EmuRequest *req, usec_t now_mono, EmuResponse *resp)
{
	_cleanup_free_ char *key = emu_queue_key(req->path, req->query);
	bool get = streq(req->method, "GET"), post = streq(req->method, "POST");

	if (!key)
		return -ENOMEM;

	if (streq(key, KEY_VERSIONS)) {
		if (!get)
			return method_not_allowed(resp, "GET");
		_cleanup_free_ char *xml = emu_ws_versions_xml();
		return xml ? emu_response_set(resp, 200, XML, xml, strlen(xml)) : -ENOMEM;
	}
	if (streq(key, KEY_GOALSTATE)) {
		if (!get)
			return method_not_allowed(resp, "GET");
		const char *ver = header(req, "x-ms-version");
		if (st->scenario->strict_headers && (!ver || !streq(ver, WS_VERSION)))
			return emu_response_set(resp, 400, NULL, "", 0);
		_cleanup_free_ char *xml = emu_ws_goalstate_xml(st);
		return xml ? emu_response_set(resp, 200, XML, xml, strlen(xml)) : -ENOMEM;
	}
	if (streq(key, KEY_HEALTH)) {
		if (!post)
			return method_not_allowed(resp, "POST");
		return xml_health(st, req, now_mono, resp);
	}
	if (streq(key, KEY_JSON_HEALTH)) {
		if (!post)
			return method_not_allowed(resp, "POST");
		return json_health(st, req, now_mono, resp);
	}
	return emu_response_set(resp, 404, TEXT, "Not found", STRLEN("Not found"));
}
