/* SPDX-License-Identifier: MIT */
/* The /_emu/ control API: scenario, reset, request log, reports, listeners. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "server-internal.h"
#include "strutil.h"

#define PREFIX "/_emu"

bool emu_control_path(const char *path)
{
	const char *rest = startswith(path, PREFIX);
	return rest && (*rest == '\0' || *rest == '/');
}

static const char *param(const EmuRequest *req, const char *name)
{
	return emu_pairs_get(req->params, req->n_params, name, false);
}

static int ok(EmuResponse *resp, json_object *extra)
{
	json_object *o = extra ? extra : json_object_new_object();
	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "status", json_object_new_string("ok"));
	return emu_response_json(resp, 200, o);
}

static int put_scenario(EmuServer *s, const EmuRequest *req, EmuResponse *resp)
{
	_cleanup_(emu_scenario_freep) EmuScenario *sc = NULL;
	const char *dir = param(req, "dir");
	char err[1024];
	int r;

	if (dir && dir[0] != '/')
		return emu_response_error(resp, 400, "dir: must be an absolute directory");
	/* Parsing reads body_file contents: done outside the lock. */
	r = emu_scenario_parse(req->body, req->body_len, dir ? dir : s->scenario_dir, &sc, err,
			       sizeof(err));
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return emu_response_error(resp, 400, err);

	_cleanup_free_ char *name = sc->name ? strdup(sc->name) : NULL;
	pthread_mutex_lock(&s->lock);
	r = emu_state_set_scenario(&s->state, TAKE_PTR(sc));
	pthread_mutex_unlock(&s->lock);
	if (r < 0)
		return r;
	log_info("Scenario %s loaded", name ? name : "(unnamed)");
	json_object *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "name", name ? json_object_new_string(name) : NULL);
	return ok(resp, o);
}

static json_object *queues_json(const EmuQueue *q, size_t n, const size_t *pos)
{
	json_object *o = json_object_new_object();
	for (size_t i = 0; o && i < n; i++) {
		json_object *e = json_object_new_object();
		if (!e)
			break;
		json_object_object_add(e, "entries",
				       json_object_new_int64((int64_t)q[i].n_entries));
		json_object_object_add(e, "next", json_object_new_int64((int64_t)pos[i]));
		json_object_object_add(o, q[i].key, e);
	}
	return o;
}

static int get_scenario(EmuServer *s, EmuResponse *resp)
{
	json_object *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	const EmuScenario *sc = s->state.scenario;
	json_object_object_add(o, "name", sc->name ? json_object_new_string(sc->name) : NULL);
	json_object_object_add(o, "rate_limit_rps", json_object_new_double(sc->rate_limit_rps));
	json_object_object_add(o, "identity_rps", json_object_new_double(sc->identity_rps));
	json_object_object_add(o, "identity_concurrency",
			       json_object_new_int64(sc->identity_concurrency));
	json_object_object_add(o, "strict_headers", json_object_new_boolean(sc->strict_headers));
	json_object_object_add(o, "strict_metadata_value",
			       json_object_new_boolean(sc->strict_metadata_value));
	json_object_object_add(o, "stale_goalstate", json_object_new_boolean(sc->stale_goalstate));
	json_object_object_add(o, "version_gating", json_object_new_boolean(sc->version_gating));
	json_object_object_add(o, "incarnation", json_object_new_string(sc->incarnation));
	json_object_object_add(o, "container_id", json_object_new_string(sc->container_id));
	json_object_object_add(o, "instance_id", json_object_new_string(sc->instance_id));
	json_object_object_add(
	    o, "json_health",
	    json_object_new_string(sc->json_health == EMU_JSON_HEALTH_OK ? "ok" : "not_supported"));
	json_object_object_add(o, "identity_enabled",
			       json_object_new_boolean(sc->identity.enabled));
	json_object_object_add(o, "reprovision_armed",
			       json_object_new_boolean(s->state.reprovision_armed));
	json_object_object_add(o, "imds", queues_json(sc->imds, sc->n_imds, s->state.imds_pos));
	json_object_object_add(o, "wireserver",
			       queues_json(sc->wireserver, sc->n_wireserver, s->state.ws_pos));
	json_object_object_add(o, "arm", queues_json(sc->arm, sc->n_arm, s->state.arm_pos));
	pthread_mutex_unlock(&s->lock);
	return emu_response_json(resp, 200, o);
}

static int reset(EmuServer *s, EmuResponse *resp)
{
	char err[256] = "";
	int r;

	pthread_mutex_lock(&s->lock);
	r = emu_state_reset(&s->state);
	emu_server_log_clear(s);
	for (int i = 0; r >= 0 && i < _EMU_PORT_MAX; i++)
		r = emu_listener_set_up(&s->listeners[i], true, err, sizeof(err));
	pthread_mutex_unlock(&s->lock);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return emu_response_error(resp, 500, err);
	return ok(resp, NULL);
}

static int get_requests(EmuServer *s, const EmuRequest *req, EmuResponse *resp)
{
	const char *port = param(req, "port"), *path = param(req, "path");
	const char *since_s = param(req, "since");
	unsigned long long since = 0;
	json_object *a;

	if (port && !streq(port, "imds") && !streq(port, "wireserver") && !streq(port, "arm"))
		return emu_response_error(resp, 400, "port: must be imds, wireserver or arm");
	if (since_s && safe_atou64(since_s, &since) < 0)
		return emu_response_error(resp, 400, "since: must be a sequence number");
	a = json_object_new_array();
	if (!a)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->log_n; i++) {
		json_object *o = s->log[(s->log_start + i) % EMU_LOG_CAPACITY], *v;
		if (port && json_object_object_get_ex(o, "port", &v) &&
		    !streq(json_object_get_string(v), port))
			continue;
		if (path && json_object_object_get_ex(o, "path", &v) &&
		    !streq(json_object_get_string(v), path))
			continue;
		if (since && json_object_object_get_ex(o, "seq", &v) &&
		    (unsigned long long)json_object_get_int64(v) <= since)
			continue;
		json_object_array_add(a, json_object_get(o));
	}
	/* Serialise under the lock: the entries are shared with the log. */
	_cleanup_free_ char *body = emu_json_compact(a);
	pthread_mutex_unlock(&s->lock);
	json_object_put(a);
	if (!body)
		return -ENOMEM;
	return emu_response_set(resp, 200, "application/json; charset=utf-8", body, strlen(body));
}

static int get_reports(EmuServer *s, EmuResponse *resp)
{
	pthread_mutex_lock(&s->lock);
	_cleanup_free_ char *body = emu_json_compact(s->state.reports);
	pthread_mutex_unlock(&s->lock);
	if (!body)
		return -ENOMEM;
	return emu_response_set(resp, 200, "application/json; charset=utf-8", body, strlen(body));
}

static int get_monitor(EmuServer *s, EmuResponse *resp)
{
	pthread_mutex_lock(&s->lock);
	_cleanup_free_ char *body = emu_json_compact(s->state.monitor);
	pthread_mutex_unlock(&s->lock);
	if (!body)
		return -ENOMEM;
	return emu_response_set(resp, 200, "application/json; charset=utf-8", body, strlen(body));
}

static int set_listener(EmuServer *s, const EmuRequest *req, EmuResponse *resp)
{
	const char *name = param(req, "name"), *state = param(req, "state");
	const char *dur_s = param(req, "duration_ms");
	unsigned long long dur = 0;
	char err[256] = "";
	EmuPort p;
	int r;

	if (name && streq(name, "imds"))
		p = EMU_PORT_IMDS;
	else if (name && streq(name, "wireserver"))
		p = EMU_PORT_WIRESERVER;
	else if (name && streq(name, "arm"))
		p = EMU_PORT_ARM;
	else
		return emu_response_error(resp, 400, "name: must be imds, wireserver or arm");
	if (!state || (!streq(state, "up") && !streq(state, "down")))
		return emu_response_error(resp, 400, "state: must be up or down");
	if (dur_s && (safe_atou64(dur_s, &dur) < 0 || dur > 24ULL * 3600 * 1000))
		return emu_response_error(resp, 400, "duration_ms: must be 0..86400000");
	if (dur && !streq(state, "down"))
		return emu_response_error(resp, 400, "duration_ms: only valid with state=down");

	pthread_mutex_lock(&s->lock);
	r = emu_listener_set_up(&s->listeners[p], streq(state, "up"), err, sizeof(err));
	if (r >= 0 && dur > 0)
		s->listeners[p].restore_at = now_usec(CLOCK_MONOTONIC) + dur * USEC_PER_MSEC;
	pthread_mutex_unlock(&s->lock);
	if (dur > 0) {
		uint64_t one = 1;
		(void)!write(s->wake_fd, &one, sizeof(one));
	}
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return emu_response_error(resp, 500, err);
	json_object *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "state", json_object_new_string(state));
	return ok(resp, o);
}

static int get_info(EmuServer *s, EmuResponse *resp)
{
	json_object *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	_cleanup_free_ char *imds = emu_server_url(s, EMU_PORT_IMDS);
	_cleanup_free_ char *ws = emu_server_url(s, EMU_PORT_WIRESERVER);
	bool imds_up = s->listeners[EMU_PORT_IMDS].up;
	bool ws_up = s->listeners[EMU_PORT_WIRESERVER].up;
	_cleanup_free_ char *arm = emu_server_url(s, EMU_PORT_ARM);
	bool arm_up = s->listeners[EMU_PORT_ARM].up;
	pthread_mutex_unlock(&s->lock);
	json_object_object_add(o, "version", json_object_new_string(LAZULI_VERSION));
	json_object_object_add(o, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(o, "imds", imds ? json_object_new_string(imds) : NULL);
	json_object_object_add(o, "wireserver", ws ? json_object_new_string(ws) : NULL);
	json_object_object_add(o, "imds_up", json_object_new_boolean(imds_up));
	json_object_object_add(o, "wireserver_up", json_object_new_boolean(ws_up));
	json_object_object_add(o, "arm", arm ? json_object_new_string(arm) : NULL);
	json_object_object_add(o, "arm_up", json_object_new_boolean(arm_up));
	return ok(resp, o);
}

static int get_ovf(EmuServer *s, EmuResponse *resp)
{
	pthread_mutex_lock(&s->lock);
	_cleanup_free_ char *xml = emu_vm_ovf_xml(emu_state_vm(&s->state));
	pthread_mutex_unlock(&s->lock);
	if (!xml)
		return -ENOMEM;
	return emu_response_set(resp, 200, "text/xml; charset=utf-8", xml, strlen(xml));
}

static int arm_reprovision(EmuServer *s, EmuResponse *resp)
{
	pthread_mutex_lock(&s->lock);
	s->state.reprovision_armed = true;
	pthread_mutex_unlock(&s->lock);
	return ok(resp, NULL);
}

static int get_arm(EmuServer *s, EmuResponse *resp)
{
	pthread_mutex_lock(&s->lock);
	json_object *o = emu_arm_dump(&s->state);
	_cleanup_free_ char *body = o ? emu_json_compact(o) : NULL;
	pthread_mutex_unlock(&s->lock);
	json_object_put(o);
	if (!body)
		return -ENOMEM;
	return emu_response_set(resp, 200, "application/json; charset=utf-8", body, strlen(body));
}

static int not_allowed(EmuResponse *resp, const char *allow)
{
	int r = emu_response_header(resp, "Allow", allow);
	return r < 0 ? r : emu_response_error(resp, 405, "Method not allowed");
}

static int clear_requests(EmuServer *s, EmuResponse *resp)
{
	pthread_mutex_lock(&s->lock);
	emu_server_log_clear(s);
	pthread_mutex_unlock(&s->lock);
	return ok(resp, NULL);
}

int emu_control_handle(EmuServer *s, const EmuRequest *req, EmuResponse *resp)
{
	const char *p = req->path + strlen(PREFIX);
	const char *m = req->method;

	if (streq(p, "/scenario")) {
		if (streq(m, "PUT"))
			return put_scenario(s, req, resp);
		if (streq(m, "GET"))
			return get_scenario(s, resp);
		return not_allowed(resp, "GET, PUT");
	}
	if (streq(p, "/requests")) {
		if (streq(m, "GET"))
			return get_requests(s, req, resp);
		if (streq(m, "DELETE"))
			return clear_requests(s, resp);
		return not_allowed(resp, "GET, DELETE");
	}
	if (streq(p, "/reset"))
		return streq(m, "POST") ? reset(s, resp) : not_allowed(resp, "POST");
	if (streq(p, "/reports"))
		return streq(m, "GET") ? get_reports(s, resp) : not_allowed(resp, "GET");
	if (streq(p, "/monitor"))
		return streq(m, "GET") ? get_monitor(s, resp) : not_allowed(resp, "GET");
	if (streq(p, "/listener"))
		return streq(m, "POST") ? set_listener(s, req, resp) : not_allowed(resp, "POST");
	if (streq(p, "/reprovision"))
		return streq(m, "POST") ? arm_reprovision(s, resp) : not_allowed(resp, "POST");
	if (streq(p, "/ovf"))
		return streq(m, "GET") ? get_ovf(s, resp) : not_allowed(resp, "GET");
	if (streq(p, "/arm"))
		return streq(m, "GET") ? get_arm(s, resp) : not_allowed(resp, "GET");
	if (streq(p, "/info"))
		return streq(m, "GET") ? get_info(s, resp) : not_allowed(resp, "GET");
	return emu_response_error(resp, 404, "Unknown control endpoint");
}
