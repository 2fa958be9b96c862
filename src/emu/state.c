/* SPDX-License-Identifier: MIT */
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "strutil.h"

const char *emu_port_to_string(EmuPort p)
{
	return p == EMU_PORT_IMDS	  ? "imds"
	       : p == EMU_PORT_WIRESERVER ? "wireserver"
	       : p == EMU_PORT_ARM	  ? "arm"
					  : NULL;
}

void emu_response_done(EmuResponse *r)
{
	emu_pairs_free(r->headers, r->n_headers);
	free(r->body);
	free(r->queue_key);
	*r = (EmuResponse){.queue_index = -1};
}

int emu_response_header(EmuResponse *r, const char *name, const char *value)
{
	return emu_pairs_add(&r->headers, &r->n_headers, name, value);
}

const char *emu_response_get_header(const EmuResponse *r, const char *name)
{
	return emu_pairs_get(r->headers, r->n_headers, name, true);
}

int emu_response_set(EmuResponse *r, int status, const char *content_type, const char *body,
		     size_t len)
{
	char *b = malloc(len + 1);
	if (!b)
		return -ENOMEM;
	if (len > 0)
		memcpy(b, body, len);
	b[len] = '\0';
	free(r->body);
	r->body = b;
	r->body_len = len;
	r->status = status;
	if (content_type && !emu_response_get_header(r, "Content-Type"))
		return emu_response_header(r, "Content-Type", content_type);
	return 0;
}

int emu_response_json(EmuResponse *r, int status, json_object *o)
{
	_cleanup_free_ char *s = NULL;

	if (!o)
		return -ENOMEM;
	s = emu_json_compact(o);
	json_object_put(o);
	if (!s)
		return -ENOMEM;
	return emu_response_set(r, status, "application/json; charset=utf-8", s, strlen(s));
}

int emu_response_error(EmuResponse *r, int status, const char *msg)
{
	json_object *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "error", json_object_new_string(msg));
	return emu_response_json(r, status, o);
}

const EmuVm *emu_state_vm(const EmuState *st)
{
	return st->scenario->vm ? st->scenario->vm : st->base_vm;
}

static int restart(EmuState *st)
{
	free(st->imds_pos);
	free(st->ws_pos);
	free(st->arm_pos);
	st->imds_pos = calloc(st->scenario->n_imds + 1, sizeof(size_t));
	st->ws_pos = calloc(st->scenario->n_wireserver + 1, sizeof(size_t));
	st->arm_pos = calloc(st->scenario->n_arm + 1, sizeof(size_t));
	if (!st->imds_pos || !st->ws_pos || !st->arm_pos)
		return -ENOMEM;
	int r = emu_arm_restart(st);
	if (r < 0)
		return r;
	ratelimit_init(&st->imds_rl, st->scenario->rate_limit_rps);
	ratelimit_init(&st->identity_rl, st->scenario->identity_rps);
	st->reprovision_armed = st->scenario->reprovision_ready;
	st->ready_accepted = false;
	json_object_put(st->scheduled_events);
	st->scheduled_events = NULL;
	if (json_object_deep_copy(st->scenario->scheduled_events, &st->scheduled_events, NULL) < 0)
		return -ENOMEM;
	return 0;
}

int emu_state_init(EmuState *st, EmuScenario *scenario, EmuVm *base_vm)
{
	int r;

	*st = (EmuState){};
	st->scenario = scenario;
	st->base_vm = base_vm;
	if (!st->scenario && (r = emu_scenario_new_default(&st->scenario)) < 0)
		return r;
	if (!st->base_vm && (r = emu_vm_default(&st->base_vm)) < 0)
		return r;
	st->reports = json_object_new_array();
	st->monitor = json_object_new_array();
	st->wireserver_url = strdup("http://168.63.129.16");
	if (!st->reports || !st->monitor || !st->wireserver_url)
		return -ENOMEM;
	return restart(st);
}

void emu_state_done(EmuState *st)
{
	emu_scenario_free(st->scenario);
	emu_vm_free(st->base_vm);
	free(st->imds_pos);
	free(st->ws_pos);
	free(st->arm_pos);
	emu_arm_done(&st->arm);
	json_object_put(st->scheduled_events);
	json_object_put(st->reports);
	json_object_put(st->monitor);
	free(st->wireserver_url);
	*st = (EmuState){};
}

int emu_state_set_scenario(EmuState *st, EmuScenario *s)
{
	emu_scenario_free(st->scenario);
	st->scenario = s;
	return restart(st);
}

int emu_state_reset(EmuState *st)
{
	json_object_put(st->reports);
	st->reports = json_object_new_array();
	st->report_seq = 0;
	json_object_put(st->monitor);
	st->monitor = json_object_new_array();
	st->monitor_seq = 0;
	if (!st->reports || !st->monitor)
		return -ENOMEM;
	return restart(st);
}

static json_object *string_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

int emu_state_record_report(EmuState *st, const EmuHealthReport *r, const EmuRequest *req,
			    int status, const char *error, usec_t now_mono)
{
	json_object *o = json_object_new_object();
	const char *agent =
	    emu_pairs_get(req->headers, req->n_headers, "x-ms-guest-agent-name", true);
	if (!agent)
		agent = emu_pairs_get(req->headers, req->n_headers, "x-ms-agent-name", true);

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)++st->report_seq));
	json_object_object_add(o, "ts_mono", emu_json_seconds(now_mono));
	json_object_object_add(o, "proto", json_object_new_string(r->proto ? r->proto : "?"));
	json_object_object_add(o, "state", string_or_null(r->state));
	json_object_object_add(o, "substatus", string_or_null(r->substatus));
	json_object_object_add(o, "description", string_or_null(r->description));
	json_object_object_add(o, "incarnation", string_or_null(r->incarnation));
	json_object_object_add(o, "container_id", string_or_null(r->container_id));
	json_object_object_add(o, "instance_id", string_or_null(r->instance_id));
	json_object_object_add(o, "agent_name", string_or_null(agent));
	json_object_object_add(o, "status_returned", json_object_new_int(status));
	json_object_object_add(o, "error", string_or_null(error));
	json_object_array_add(st->reports, o);
	return 0;
}

/*
 * Scripted bodies may name the goal-state ids as {incarnation}, {container_id},
 * {instance_id} and the wireserver base URL as {wireserver} (spec 8.3's
 * goalstate.xml template). Only these exact tokens are replaced.
 */
static char *expand_placeholders(const EmuState *st, const char *body, size_t len, size_t *ret_len)
{
	const struct {
		const char *token, *value;
	} subst[] = {
	    {"{incarnation}", st->scenario->incarnation},
	    {"{container_id}", st->scenario->container_id},
	    {"{instance_id}", st->scenario->instance_id},
	    {"{wireserver}", st->wireserver_url},
	};
	StrBuf b = {};
	size_t i = 0;

	while (i < len) {
		bool done = false;
		if (body[i] == '{')
			for (size_t k = 0; k < ELEMENTSOF(subst); k++) {
				size_t tl = strlen(subst[k].token);
				if (len - i >= tl && memcmp(body + i, subst[k].token, tl) == 0) {
					if (strbuf_puts(&b, subst[k].value) < 0)
						goto oom;
					i += tl;
					done = true;
					break;
				}
			}
		if (!done) {
			const char *next = memchr(body + i + 1, '{', len - i - 1);
			size_t n = next ? (size_t)(next - (body + i)) : len - i;
			if (strbuf_append(&b, body + i, n) < 0)
				goto oom;
			i += n;
		}
	}
	*ret_len = b.len;
	if (!b.data)
		return strdup("");
	return strbuf_steal(&b);
oom:
	strbuf_free(&b);
	return NULL;
}

/* A queued entry becomes the response; "default": true keeps the built-in one. */
static int response_from_entry(const EmuState *st, const EmuEntry *e, EmuPort port,
			       EmuResponse *resp)
{
	_cleanup_free_ char *body = NULL;
	size_t body_len = 0;
	int r;

	for (size_t i = 0; i < e->n_headers; i++)
		if ((r = emu_response_header(resp, e->headers[i].name, e->headers[i].value)) < 0)
			return r;
	const char *ctype = NULL;
	if (e->has_body && e->body_len > 0)
		ctype = e->body_is_json || port != EMU_PORT_WIRESERVER
			    ? "application/json; charset=utf-8"
								 : "text/xml; charset=utf-8";
	if (e->has_body && memchr(e->body, '{', e->body_len)) {
		body = expand_placeholders(st, e->body, e->body_len, &body_len);
		if (!body)
			return -ENOMEM;
	}
	if (body)
		return emu_response_set(resp, e->status, ctype, body, body_len);
	return emu_response_set(resp, e->status, ctype, e->has_body ? e->body : "",
				e->has_body ? e->body_len : 0);
}

static const EmuEntry *queue_pop(EmuState *st, EmuPort port, const char *key, long *ret_index)
{
	const EmuQueue *qs = port == EMU_PORT_IMDS	  ? st->scenario->imds
			     : port == EMU_PORT_WIRESERVER ? st->scenario->wireserver
							   : st->scenario->arm;
	size_t n = port == EMU_PORT_IMDS	 ? st->scenario->n_imds
		   : port == EMU_PORT_WIRESERVER ? st->scenario->n_wireserver
						 : st->scenario->n_arm;
	size_t *pos = port == EMU_PORT_IMDS	    ? st->imds_pos
		      : port == EMU_PORT_WIRESERVER ? st->ws_pos
						    : st->arm_pos;
	int i = emu_scenario_find_queue(qs, n, key);

	if (i < 0)
		return NULL;
	size_t at = pos[i];
	if (at + 1 < qs[i].n_entries)
		pos[i]++;
	else
		at = qs[i].n_entries - 1;
	*ret_index = (long)at;
	return &qs[i].entries[at];
}

static int record_queued_report(EmuState *st, const EmuRequest *req, int status, usec_t now_mono)
{
	EmuHealthReport rep = {};
	char err[256];
	const char *ctype = emu_pairs_get(req->headers, req->n_headers, "Content-Type", true);
	bool json = streq(req->path, "/provisioning/health") ||
		    (ctype && startswith_no_case(ctype, "application/json"));

	/* Parsed for the record only; the scripted status stands. */
	if (json)
		(void)emu_health_json_parse(req->body, req->body_len, &rep, err, sizeof(err));
	else
		(void)emu_health_xml_parse(req->body, req->body_len, &rep, err, sizeof(err));
	int r = emu_state_record_report(st, &rep, req, status, NULL, now_mono);
	emu_health_report_done(&rep);
	return r;
}

static int rate_limited(EmuResponse *resp)
{
	int r = emu_response_header(resp, "Retry-After", "1");
	if (r < 0)
		return r;
	return emu_response_error(resp, 429, "Too many requests");
}

int emu_state_handle(EmuState *st, const EmuRequest *req, usec_t now_mono, usec_t now_real,
		     EmuResponse *resp)
{
	_cleanup_free_ char *key = NULL;
	long index = -1;
	int r;

	*resp = (EmuResponse){.queue_index = -1};
	bool monitor = emu_monitor_is_path(req);

	if (req->port == EMU_PORT_IMDS && !monitor) {
		r = emu_imds_validate(st, req, resp);
		if (r != 0)
			return r < 0 ? r : 0;
		if (emu_imds_is_identity_path(req->path)) {
			if (!ratelimit_take(&st->identity_rl, now_mono) ||
			    (st->scenario->identity_concurrency > 0 &&
			     st->identity_inflight >= st->scenario->identity_concurrency))
				return rate_limited(resp);
			st->identity_inflight++;
			resp->identity_slot = true;
		} else if (!ratelimit_take(&st->imds_rl, now_mono))
			return rate_limited(resp);
	}

	key = emu_queue_key(req->path, req->query);
	if (!key)
		return -ENOMEM;
	const EmuEntry *e = queue_pop(st, req->port, key, &index);
	if (e) {
		resp->queue_key = strdup(key);
		resp->queue_index = index;
		resp->delay_ms = e->delay_ms;
		resp->fault = e->fault;
		resp->fault_arg = e->fault_arg;
		resp->has_fault_arg = e->has_fault_arg;
		if (!resp->queue_key)
			return -ENOMEM;
	}
	if (e && !e->use_default) {
		if ((r = response_from_entry(st, e, req->port, resp)) < 0)
			return r;
		if (req->port == EMU_PORT_WIRESERVER && emu_ws_is_health_post(req))
			return record_queued_report(st, req, resp->status, now_mono);
		if (monitor)
			return emu_monitor_record(st, req, resp->status, "Scripted", NULL, NULL,
						  now_real);
		return 0;
	}
	if (monitor)
		return emu_monitor_handle(st, req, now_real, resp);
	if (req->port == EMU_PORT_IMDS)
		return emu_imds_default(st, req, now_real, resp);
	if (req->port == EMU_PORT_ARM)
		return emu_arm_default(st, req, now_real, resp);
	return emu_ws_default(st, req, now_mono, resp);
}

void emu_state_release(EmuState *st, EmuResponse *resp)
{
	if (resp->identity_slot && st->identity_inflight > 0)
		st->identity_inflight--;
	resp->identity_slot = false;
}
