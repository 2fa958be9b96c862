/* SPDX-License-Identifier: MIT */
#include "scenario.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fileio.h"
#include "strutil.h"

#define SCENARIO_MAX (16u * 1024 * 1024)
#define BODY_FILE_MAX (64u * 1024 * 1024)
#define DELAY_MAX_MS (24u * 3600 * 1000)

static const char *const fault_names[_EMU_FAULT_MAX] = {
    [EMU_FAULT_NONE] = "none",
    [EMU_FAULT_SLOW_HEADERS] = "slow_headers",
    [EMU_FAULT_SLOW_BODY] = "slow_body",
    [EMU_FAULT_CLOSE_BEFORE_RESPONSE] = "close_before_response",
    [EMU_FAULT_CLOSE_MID_BODY] = "close_mid_body",
    [EMU_FAULT_RESET] = "reset",
    [EMU_FAULT_HANG] = "hang",
    [EMU_FAULT_GARBAGE] = "garbage",
    [EMU_FAULT_TRUNCATE] = "truncate",
};

const char *emu_fault_to_string(EmuFault f)
{
	return f >= 0 && f < _EMU_FAULT_MAX ? fault_names[f] : NULL;
}

int emu_fault_from_string(const char *s)
{
	for (int i = 0; i < _EMU_FAULT_MAX; i++)
		if (s && streq(s, fault_names[i]))
			return i;
	return -EINVAL;
}

static void entry_done(EmuEntry *e)
{
	emu_pairs_free(e->headers, e->n_headers);
	free(e->body);
}

static void queues_free(EmuQueue *q, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < q[i].n_entries; j++)
			entry_done(&q[i].entries[j]);
		free(q[i].entries);
		free(q[i].key);
		free(q[i].key_as_written);
	}
	free(q);
}

void emu_scenario_free(EmuScenario *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->base_dir);
	free(s->incarnation);
	free(s->container_id);
	free(s->instance_id);
	free(s->identity.client_id);
	free(s->identity.object_id);
	free(s->identity.msi_res_id);
	free(s->identity.access_token);
	emu_vm_free(s->vm);
	json_object_put(s->scheduled_events);
	queues_free(s->imds, s->n_imds);
	queues_free(s->wireserver, s->n_wireserver);
	queues_free(s->arm, s->n_arm);
	free(s->arm_tenant);
	free(s->arm_client_id);
	free(s->arm_client_secret);
	free(s->arm_client_certificate);
	json_object_put(s->arm_refresh_tokens);
	json_object_put(s->arm_data);
	free(s);
}

int emu_scenario_new_default(EmuScenario **ret)
{
	_cleanup_(emu_scenario_freep) EmuScenario *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->rate_limit_rps = 5;
	s->identity_rps = 20;
	s->identity_concurrency = 5;
	s->strict_headers = true;
	s->version_gating = true;
	s->identity.enabled = true;
	s->identity.expires_in = 3599;
	s->arm_page_size = 100;
	s->arm_lro_polls = 1;
	s->incarnation = strdup("1");
	s->container_id = strdup("5e2f1c3a-9b7d-4e6f-8a1b-2c3d4e5f6a7b");
	s->instance_id = strdup("8d1b1ad5-2f54-4d8c-9a0e-3c6f2b7e4a91.temp-vm");
	s->scheduled_events = json_object_new_object();
	if (!s->incarnation || !s->container_id || !s->instance_id || !s->scheduled_events)
		return -ENOMEM;
	json_object_object_add(s->scheduled_events, "DocumentIncarnation", json_object_new_int(1));
	json_object_object_add(s->scheduled_events, "Events", json_object_new_array());
	*ret = TAKE_PTR(s);
	return 0;
}

/* "a.b" into buf, cut short if it does not fit (only used in messages). */
static void join_key(char *buf, size_t size, const char *a, const char *b)
{
	StrBuf sb = {};
	if (strbuf_printf(&sb, "%s.%s", a, b) < 0) {
		buf[0] = '\0';
		return;
	}
	size_t n = MIN(sb.len, size - 1);
	memcpy(buf, sb.data, n);
	buf[n] = '\0';
	strbuf_free(&sb);
}

/* Parsing context: base directory plus the error buffer. */
typedef struct Ctx {
	const char *base_dir;
	char *err;
	size_t errlen;
} Ctx;

_printf_(3, 4) static int fail(Ctx *c, int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return r;
}

static int get_bool(Ctx *c, const char *where, json_object *v, bool *ret)
{
	if (!json_object_is_type(v, json_type_boolean))
		return fail(c, -EINVAL, "%s: expected true or false", where);
	*ret = json_object_get_boolean(v);
	return 0;
}

static int get_string(Ctx *c, const char *where, json_object *v, char **ret)
{
	if (!json_object_is_type(v, json_type_string))
		return fail(c, -EINVAL, "%s: expected a string", where);
	char *s = strdup(json_object_get_string(v));
	if (!s)
		return -ENOMEM;
	free(*ret);
	*ret = s;
	return 0;
}

static int get_uint(Ctx *c, const char *where, json_object *v, unsigned max, unsigned *ret)
{
	if (!json_object_is_type(v, json_type_int))
		return fail(c, -EINVAL, "%s: expected a non-negative integer", where);
	int64_t x = json_object_get_int64(v);
	if (x < 0 || (uint64_t)x > max)
		return fail(c, -EINVAL, "%s: %lld is out of range 0..%u", where, (long long)x, max);
	*ret = (unsigned)x;
	return 0;
}

static int get_rate(Ctx *c, const char *where, json_object *v, double *ret)
{
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return fail(c, -EINVAL, "%s: expected a number", where);
	double d = json_object_get_double(v);
	if (!isfinite(d) || d < 0 || d > 1e6)
		return fail(c, -EINVAL, "%s: expected a number between 0 and 1000000", where);
	*ret = d;
	return 0;
}

static int parse_entry(Ctx *c, const char *where, json_object *o, EmuEntry *e)
{
	char w[512];
	int nbody = 0, r;

	if (!json_object_is_type(o, json_type_object))
		return fail(c, -EINVAL, "%s: expected an object", where);
	e->status = 200;
	json_object_object_foreach(o, key, val)
	{
		join_key(w, sizeof(w), where, key);
		if (nbody > 0 && (streq(key, "body") || streq(key, "body_json") ||
				  streq(key, "body_b64") || streq(key, "body_file")))
			return fail(
			    c, -EINVAL,
			    "%s: only one of body, body_json, body_b64 and body_file may be "
			    "given",
			    where);
		if (streq(key, "status")) {
			unsigned st;
			if ((r = get_uint(c, w, val, 599, &st)) < 0)
				return r;
			if (st < 100)
				return fail(c, -EINVAL, "%s: %u is not an HTTP status (100..599)",
					    w, st);
			e->status = (int)st;
		} else if (streq(key, "headers")) {
			if (!json_object_is_type(val, json_type_object))
				return fail(c, -EINVAL, "%s: expected an object of strings", w);
			json_object_object_foreach(val, hname, hval)
			{
				if (!json_object_is_type(hval, json_type_string))
					return fail(c, -EINVAL, "%s.%s: expected a string", w,
						    hname);
				const char *hv = json_object_get_string(hval);
				if (isempty(hname) || strpbrk(hname, ":\r\n \t") ||
				    has_control_chars(hname) || strpbrk(hv, "\r\n"))
					return fail(c, -EINVAL,
						    "%s.%s: invalid header name or value", w,
						    hname);
				if (emu_pairs_add(&e->headers, &e->n_headers, hname, hv) < 0)
					return -ENOMEM;
			}
		} else if (streq(key, "body")) {
			_cleanup_free_ char *s = NULL;
			if ((r = get_string(c, w, val, &s)) < 0)
				return r;
			e->body_len = (size_t)json_object_get_string_len(val);
			e->body = TAKE_PTR(s);
			nbody++;
		} else if (streq(key, "body_json")) {
			e->body = emu_json_compact(val);
			if (!e->body)
				return -ENOMEM;
			e->body_len = strlen(e->body);
			e->body_is_json = true;
			nbody++;
		} else if (streq(key, "body_b64")) {
			_cleanup_free_ char *s = NULL;
			unsigned char *raw = NULL;
			if ((r = get_string(c, w, val, &s)) < 0)
				return r;
			if (base64_decode(s, strlen(s), &raw, &e->body_len) < 0)
				return fail(c, -EINVAL, "%s: not valid base64", w);
			e->body = (char *)raw;
			nbody++;
		} else if (streq(key, "body_file")) {
			_cleanup_free_ char *path = NULL;
			char sub[512];
			if ((r = get_string(c, w, val, &path)) < 0)
				return r;
			r = emu_read_file_beneath(c->base_dir, path, BODY_FILE_MAX, &e->body,
						  &e->body_len, sub, sizeof(sub));
			if (r < 0)
				return fail(c, -EINVAL, "%s: %s", w, sub);
			nbody++;
		} else if (streq(key, "delay_ms")) {
			if ((r = get_uint(c, w, val, DELAY_MAX_MS, &e->delay_ms)) < 0)
				return r;
		} else if (streq(key, "fault")) {
			if (!json_object_is_type(val, json_type_string) ||
			    emu_fault_from_string(json_object_get_string(val)) < 0)
				return fail(c, -EINVAL,
					    "%s: expected one of none, slow_headers, slow_body, "
					    "close_before_response, close_mid_body, reset, hang, "
					    "garbage, truncate",
					    w);
			e->fault = emu_fault_from_string(json_object_get_string(val));
		} else if (streq(key, "fault_arg")) {
			if ((r = get_uint(c, w, val, INT_MAX, &e->fault_arg)) < 0)
				return r;
			e->has_fault_arg = true;
		} else if (streq(key, "default")) {
			if ((r = get_bool(c, w, val, &e->use_default)) < 0)
				return r;
		} else
			return fail(
			    c, -EINVAL,
			    "%s: unknown key '%s' (allowed: status, headers, body, body_json, "
			    "body_b64, body_file, delay_ms, fault, fault_arg, default)",
			    where, key);
	}
	if (nbody > 0 && e->use_default)
		return fail(c, -EINVAL, "%s: \"default\": true cannot be combined with a body",
			    where);
	e->has_body = nbody > 0;
	return 0;
}

static int parse_queues(Ctx *c, const char *section, json_object *o, EmuQueue **ret, size_t *ret_n)
{
	EmuQueue *q = NULL;
	size_t n = 0;
	char w[512];
	int r = 0;

	if (!json_object_is_type(o, json_type_object))
		return fail(c, -EINVAL, "%s: expected an object mapping paths to response lists",
			    section);
	json_object_object_foreach(o, key, val)
	{
		if (key[0] != '/') {
			r = fail(c, -EINVAL, "%s: key '%s' must be a path starting with '/'",
				 section, key);
			goto fail;
		}
		_cleanup_free_ char *canon = emu_queue_key_from_string(key);
		if (!canon) {
			r = -ENOMEM;
			goto fail;
		}
		if (emu_scenario_find_queue(q, n, canon) >= 0) {
			r = fail(c, -EINVAL,
				 "%s: key '%s' names the same endpoint as an earlier key", section,
				 key);
			goto fail;
		}
		if (!json_object_is_type(val, json_type_array) ||
		    json_object_array_length(val) == 0) {
			r = fail(c, -EINVAL, "%s.%s: expected a non-empty array of responses",
				 section, key);
			goto fail;
		}
		EmuQueue *nq = realloc(q, (n + 1) * sizeof(EmuQueue));
		if (!nq) {
			r = -ENOMEM;
			goto fail;
		}
		q = nq;
		q[n] = (EmuQueue){.key = TAKE_PTR(canon), .key_as_written = strdup(key)};
		n++;
		EmuQueue *cur = &q[n - 1];
		size_t len = json_object_array_length(val);
		cur->entries = calloc(len, sizeof(EmuEntry));
		if (!cur->entries || !cur->key_as_written) {
			r = -ENOMEM;
			goto fail;
		}
		for (size_t i = 0; i < len; i++) {
			char idx[32];
			snprintf(idx, sizeof(idx), "[%zu]", i);
			join_key(w, sizeof(w) - sizeof(idx), section, key);
			strcat(w, idx);
			cur->n_entries++;
			r = parse_entry(c, w, json_object_array_get_idx(val, i), &cur->entries[i]);
			if (r < 0)
				goto fail;
		}
	}
	*ret = q;
	*ret_n = n;
	return 0;
fail:
	queues_free(q, n);
	return r;
}

static int parse_identity(Ctx *c, json_object *o, EmuIdentity *id)
{
	char w[128];
	int r;

	if (!json_object_is_type(o, json_type_object))
		return fail(c, -EINVAL, "identity: expected an object");
	json_object_object_foreach(o, key, val)
	{
		join_key(w, sizeof(w), "identity", key);
		if (streq(key, "enabled"))
			r = get_bool(c, w, val, &id->enabled);
		else if (streq(key, "client_id"))
			r = get_string(c, w, val, &id->client_id);
		else if (streq(key, "object_id"))
			r = get_string(c, w, val, &id->object_id);
		else if (streq(key, "msi_res_id"))
			r = get_string(c, w, val, &id->msi_res_id);
		else if (streq(key, "access_token"))
			r = get_string(c, w, val, &id->access_token);
		else if (streq(key, "expires_in"))
			r = get_uint(c, w, val, 86400 * 365, &id->expires_in);
		else
			r = fail(
			    c, -EINVAL,
			    "identity: unknown key '%s' (allowed: enabled, client_id, object_id, "
			    "msi_res_id, access_token, expires_in)",
			    key);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_scheduled_events(Ctx *c, json_object *o, json_object **ret)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object))
		return fail(c, -EINVAL, "scheduled_events: expected an object");
	json_object_object_foreach(o, key, val)
	{
		if (!streq(key, "DocumentIncarnation") && !streq(key, "Events"))
			return fail(c, -EINVAL,
				    "scheduled_events: unknown key '%s' (allowed: "
				    "DocumentIncarnation, Events)",
				    key);
		(void)val;
	}
	if (json_object_object_get_ex(o, "DocumentIncarnation", &v) &&
	    !json_object_is_type(v, json_type_int))
		return fail(c, -EINVAL,
			    "scheduled_events.DocumentIncarnation: expected an integer");
	if (json_object_object_get_ex(o, "Events", &v)) {
		if (!json_object_is_type(v, json_type_array))
			return fail(c, -EINVAL, "scheduled_events.Events: expected an array");
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *ev = json_object_array_get_idx(v, i), *id;
			if (!json_object_is_type(ev, json_type_object) ||
			    !json_object_object_get_ex(ev, "EventId", &id) ||
			    !json_object_is_type(id, json_type_string))
				return fail(
				    c, -EINVAL,
				    "scheduled_events.Events[%zu]: expected an object with a "
				    "string EventId",
				    i);
		}
	}
	json_object *copy = NULL;
	if (json_object_deep_copy(o, &copy, NULL) < 0)
		return -ENOMEM;
	if (!json_object_object_get_ex(copy, "DocumentIncarnation", NULL))
		json_object_object_add(copy, "DocumentIncarnation", json_object_new_int(1));
	if (!json_object_object_get_ex(copy, "Events", NULL))
		json_object_object_add(copy, "Events", json_object_new_array());
	json_object_put(*ret);
	*ret = copy;
	return 0;
}

static int parse_incarnation(Ctx *c, json_object *v, char **ret)
{
	if (json_object_is_type(v, json_type_int)) {
		int64_t x = json_object_get_int64(v);
		if (x < 0)
			return fail(c, -EINVAL, "incarnation: must not be negative");
		char *s;
		if (asprintf(&s, "%lld", (long long)x) < 0)
			return -ENOMEM;
		free(*ret);
		*ret = s;
		return 0;
	}
	return get_string(c, "incarnation", v, ret);
}

static int check_arm_list(Ctx *c, json_object *data, const char *key, const char *const *required)
{
	json_object *arr;
	if (!json_object_object_get_ex(data, key, &arr))
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return fail(c, -EINVAL, "arm.data.%s: expected an array", key);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i), *v;
		if (!json_object_is_type(o, json_type_object))
			return fail(c, -EINVAL, "arm.data.%s[%zu]: expected an object", key, i);
		json_object_object_foreach(o, k, val) {
			if (streq(k, "tags") || streq(k, "properties")) {
				if (!json_object_is_type(val, json_type_object))
					return fail(c, -EINVAL,
						    "arm.data.%s[%zu].%s: expected an object", key,
						    i, k);
			} else if (!json_object_is_type(val, json_type_string))
				return fail(c, -EINVAL, "arm.data.%s[%zu].%s: expected a string",
					    key, i, k);
		}
		for (size_t j = 0; required[j]; j++)
			if (!json_object_object_get_ex(o, required[j], &v) ||
			    isempty(json_object_get_string(v)) ||
			    strchr(json_object_get_string(v), '?') ||
			    (!streq(required[j], "type") && strchr(json_object_get_string(v), '/')))
				return fail(c, -EINVAL,
					    "arm.data.%s[%zu].%s: required, a non-empty name "
					    "without '/' or '?'",
					    key, i, required[j]);
		if (json_object_object_get_ex(o, "type", &v)) {
			const char *t = json_object_get_string(v), *sl = strchr(t, '/');
			if (!sl || sl == t || !sl[1] || strchr(sl + 1, '/'))
				return fail(c, -EINVAL,
					    "arm.data.%s[%zu].type: expected "
					    "\"Namespace/type\", e.g. "
					    "\"Microsoft.Storage/storageAccounts\"",
					    key, i);
		}
	}
	return 0;
}

static int parse_arm(Ctx *c, json_object *o, EmuScenario *s)
{
	int r = 0;

	if (!json_object_is_type(o, json_type_object))
		return fail(c, -EINVAL, "arm: expected an object");
	json_object_object_foreach(o, key, val) {
		if (streq(key, "page_size")) {
			r = get_uint(c, "arm.page_size", val, 1000, &s->arm_page_size);
			if (r >= 0 && s->arm_page_size == 0)
				r = fail(c, -EINVAL, "arm.page_size: must be at least 1");
		} else if (streq(key, "lro_polls"))
			r = get_uint(c, "arm.lro_polls", val, 1000, &s->arm_lro_polls);
		else if (streq(key, "retry_after"))
			r = get_uint(c, "arm.retry_after", val, 3600, &s->arm_retry_after);
		else if (streq(key, "tenant"))
			r = get_string(c, "arm.tenant", val, &s->arm_tenant);
		else if (streq(key, "client_id"))
			r = get_string(c, "arm.client_id", val, &s->arm_client_id);
		else if (streq(key, "client_secret"))
			r = get_string(c, "arm.client_secret", val, &s->arm_client_secret);
		else if (streq(key, "client_certificate")) {
			r = get_string(c, "arm.client_certificate", val, &s->arm_client_certificate);
			if (r >= 0 && !strstr(s->arm_client_certificate, "-----BEGIN CERTIFICATE-----"))
				r = fail(c, -EINVAL,
					 "arm.client_certificate: expected a PEM certificate "
					 "(-----BEGIN CERTIFICATE-----)");
		} else if (streq(key, "refresh_tokens")) {
			if (!json_object_is_type(val, json_type_array))
				return fail(c, -EINVAL, "arm.refresh_tokens: expected an array");
			for (size_t i = 0; i < json_object_array_length(val); i++)
				if (!json_object_is_type(json_object_array_get_idx(val, i),
							 json_type_string))
					return fail(c, -EINVAL,
						    "arm.refresh_tokens[%zu]: expected a string", i);
			json_object_put(s->arm_refresh_tokens);
			s->arm_refresh_tokens = json_object_get(val);
		} else if (streq(key, "queues"))
			r = parse_queues(c, "arm", val, &s->arm, &s->n_arm);
		else if (streq(key, "data")) {
			static const char *const sub_req[] = {"subscriptionId", NULL};
			static const char *const rg_req[] = {"name", NULL};
			static const char *const res_req[] = {"type", "name", NULL};
			if (!json_object_is_type(val, json_type_object))
				return fail(c, -EINVAL, "arm.data: expected an object");
			json_object_object_foreach(val, dk, dv) {
				(void)dv;
				if (!streq(dk, "subscriptions") && !streq(dk, "resourceGroups") &&
				    !streq(dk, "resources"))
					return fail(c, -EINVAL,
						    "arm.data: unknown key '%s' (allowed: "
						    "subscriptions, resourceGroups, resources)",
						    dk);
			}
			if ((r = check_arm_list(c, val, "subscriptions", sub_req)) < 0 ||
			    (r = check_arm_list(c, val, "resourceGroups", rg_req)) < 0 ||
			    (r = check_arm_list(c, val, "resources", res_req)) < 0)
				return r;
			json_object_put(s->arm_data);
			s->arm_data = json_object_get(val);
		} else
			r = fail(c, -EINVAL,
				 "arm: unknown key '%s' (allowed: page_size, lro_polls, "
				 "retry_after, tenant, client_id, client_secret, client_certificate, "
				 "refresh_tokens, data, queues)",
				 key);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_root(Ctx *c, json_object *root, EmuScenario *s)
{
	int r;

	if (!json_object_is_type(root, json_type_object))
		return fail(c, -EINVAL, "scenario: expected a JSON object at the top level");

	json_object_object_foreach(root, key, val)
	{
		if (streq(key, "name"))
			r = get_string(c, key, val, &s->name);
		else if (streq(key, "description"))
			r = json_object_is_type(val, json_type_string)
				? 0
				: fail(c, -EINVAL, "description: expected a string");
		else if (streq(key, "rate_limit_rps"))
			r = get_rate(c, key, val, &s->rate_limit_rps);
		else if (streq(key, "identity_rps"))
			r = get_rate(c, key, val, &s->identity_rps);
		else if (streq(key, "identity_concurrency"))
			r = get_uint(c, key, val, 100000, &s->identity_concurrency);
		else if (streq(key, "strict_headers"))
			r = get_bool(c, key, val, &s->strict_headers);
		else if (streq(key, "strict_metadata_value"))
			r = get_bool(c, key, val, &s->strict_metadata_value);
		else if (streq(key, "stale_goalstate"))
			r = get_bool(c, key, val, &s->stale_goalstate);
		else if (streq(key, "version_gating"))
			r = get_bool(c, key, val, &s->version_gating);
		else if (streq(key, "incarnation"))
			r = parse_incarnation(c, val, &s->incarnation);
		else if (streq(key, "container_id"))
			r = get_string(c, key, val, &s->container_id);
		else if (streq(key, "instance_id"))
			r = get_string(c, key, val, &s->instance_id);
		else if (streq(key, "json_health")) {
			const char *v = json_object_is_type(val, json_type_string)
					    ? json_object_get_string(val)
					    : NULL;
			if (v && streq(v, "ok"))
				s->json_health = EMU_JSON_HEALTH_OK, r = 0;
			else if (v && streq(v, "not_supported"))
				s->json_health = EMU_JSON_HEALTH_NOT_SUPPORTED, r = 0;
			else
				r = fail(c, -EINVAL,
					 "json_health: expected \"ok\" or \"not_supported\"");
		} else if (streq(key, "identity"))
			r = parse_identity(c, val, &s->identity);
		else if (streq(key, "vm")) {
			char sub[512];
			emu_vm_free(s->vm);
			s->vm = NULL;
			if (json_object_is_type(val, json_type_string)) {
				_cleanup_free_ char *buf = NULL;
				_cleanup_jobj_ json_object *o = NULL;
				size_t len;
				const char *path = json_object_get_string(val);
				r = emu_read_file_beneath(c->base_dir, path, SCENARIO_MAX, &buf,
							  &len, sub, sizeof(sub));
				if (r < 0)
					return fail(c, -EINVAL, "vm: %s", sub);
				r = emu_json_parse(buf, len, &o, sub, sizeof(sub));
				if (r < 0)
					return fail(c, -EINVAL, "vm: %s: %s", path, sub);
				/* The fixture's own paths are relative to the scenario directory.
				 */
				r = emu_vm_from_json(o, c->base_dir, &s->vm, sub, sizeof(sub));
				if (r < 0)
					return fail(c, -EINVAL, "%s (in %s)", sub, path);
			} else
				r = emu_vm_from_json(val, c->base_dir, &s->vm, sub, sizeof(sub));
			if (r < 0)
				return fail(c, -EINVAL, "%s", sub);
		} else if (streq(key, "scheduled_events"))
			r = parse_scheduled_events(c, val, &s->scheduled_events);
		else if (streq(key, "reprovision_ready"))
			r = get_bool(c, key, val, &s->reprovision_ready);
		else if (streq(key, "imds"))
			r = parse_queues(c, "imds", val, &s->imds, &s->n_imds);
		else if (streq(key, "wireserver"))
			r = parse_queues(c, "wireserver", val, &s->wireserver, &s->n_wireserver);
		else if (streq(key, "arm"))
			r = parse_arm(c, val, s);
		else
			r = fail(
			    c, -EINVAL,
			    "scenario: unknown key '%s' (allowed: name, description, "
			    "rate_limit_rps, identity_rps, identity_concurrency, strict_headers, "
			    "strict_metadata_value, incarnation, container_id, instance_id, "
			    "stale_goalstate, version_gating, json_health, identity, vm, "
			    "scheduled_events, reprovision_ready, imds, wireserver, arm)",
			    key);
		if (r < 0)
			return r;
	}
	return 0;
}

int emu_scenario_parse(const char *buf, size_t len, const char *base_dir, EmuScenario **ret,
		       char *err, size_t errlen)
{
	_cleanup_(emu_scenario_freep) EmuScenario *s = NULL;
	_cleanup_jobj_ json_object *root = NULL;
	Ctx c = {.base_dir = isempty(base_dir) ? "." : base_dir, .err = err, .errlen = errlen};
	char sub[512];
	int r;

	r = emu_json_parse(buf, len, &root, sub, sizeof(sub));
	if (r < 0)
		return fail(&c, -EBADMSG, "scenario: %s", sub);
	r = emu_scenario_new_default(&s);
	if (r < 0)
		return fail(&c, r, "scenario: out of memory");
	s->base_dir = strdup(c.base_dir);
	if (!s->base_dir)
		return fail(&c, -ENOMEM, "scenario: out of memory");
	r = parse_root(&c, root, s);
	if (r == -ENOMEM)
		return fail(&c, r, "scenario: out of memory");
	if (r < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

int emu_scenario_load(const char *path, EmuScenario **ret, char *err, size_t errlen)
{
	_cleanup_free_ char *buf = NULL, *dir = NULL;
	size_t len;
	char sub[1024];
	int r;

	r = read_full_file(path, SCENARIO_MAX, &buf, &len);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 r == -EFBIG ? "file too large" : strerror(-r));
		return r;
	}
	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir ? 1 : 0] = '\0';
	else
		strcpy(dir, ".");
	r = emu_scenario_parse(buf, len, dir, ret, sub, sizeof(sub));
	if (r < 0)
		snprintf(err, errlen, "%s: %s", path, sub);
	return r;
}

int emu_scenario_find_queue(const EmuQueue *q, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (streq(q[i].key, key))
			return (int)i;
	return -ENOENT;
}
