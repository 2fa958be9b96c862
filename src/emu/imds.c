/* SPDX-License-Identifier: MIT */
/* The IMDS side of the emulator: spec sections 4 and 8.2 (I1-I8). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "state.h"
#include "strutil.h"

#define PATH_INSTANCE "/metadata/instance"
#define PATH_VERSIONS "/metadata/versions"
#define PATH_ATTESTED "/metadata/attested/document"
#define PATH_IDENTITY "/metadata/identity/oauth2/token"
#define PATH_SCHEDULED "/metadata/scheduledevents"
#define PATH_REPROVISION "/metadata/reprovisiondata"

/* Oldest api-version that returns the extended block (inferred gate, spec 8.2 I1). */
#define EXTENDED_MIN_VERSION "2021-08-01"

/* Scheduled events has its own api-versions (scheduled-events.md), e.g. 2020-07-01. */
static const char *const scheduled_events_versions[] = {
    "2017-03-01", "2017-08-01", "2017-11-01", "2019-01-01",
    "2019-04-01", "2019-08-01", "2020-07-01",
};

static const char *const newest_versions[] = {"2025-04-07", "2024-07-17", "2024-03-15"};

/* Fields and the api-version that introduced them (spec 4.2). */
static const struct {
	const char *path;
	const char *since;
} version_gates[] = {
    {"compute.azEnvironment", "2018-10-01"},
    {"compute.additionalCapabilities", "2021-11-01"},
    {"compute.evictionPolicy", "2020-12-01"},
    {"compute.extendedLocation", "2021-03-01"},
    {"compute.host", "2021-11-15"},
    {"compute.hostGroup", "2021-11-15"},
    {"compute.isHostCompatibilityLayerVm", "2020-06-01"},
    {"compute.osProfile", "2020-07-15"},
    {"compute.osProfile.disablePasswordAuthentication", "2020-10-01"},
    {"compute.physicalZone", "2023-11-15"},
    {"compute.platformSubFaultDomain", "2021-10-01"},
    {"compute.publicKeys", "2018-04-02"},
    {"compute.resourceId", "2019-03-11"},
    {"compute.securityProfile", "2020-06-01"},
    {"compute.securityProfile.encryptionAtHost", "2021-11-01"},
    {"compute.securityProfile.securityType", "2021-12-13"},
    {"compute.userData", "2021-01-01"},
};

static char *normalized_path(const char *path)
{
	return emu_path_strip_trailing_slash(isempty(path) ? "/" : path);
}

static bool path_is_instance(const char *p)
{
	const char *rest = startswith(p, PATH_INSTANCE);
	return rest && (*rest == '\0' || *rest == '/');
}

bool emu_imds_is_identity_path(const char *path)
{
	_cleanup_free_ char *p = normalized_path(path);
	return p && streq(p, PATH_IDENTITY);
}

static bool path_known(const char *p)
{
	return path_is_instance(p) || streq(p, PATH_VERSIONS) || streq(p, PATH_ATTESTED) ||
	       streq(p, PATH_IDENTITY) || streq(p, PATH_SCHEDULED) || streq(p, PATH_REPROVISION);
}

static const char *param(const EmuRequest *req, const char *name)
{
	return emu_pairs_get(req->params, req->n_params, name, false);
}

static const char *header(const EmuRequest *req, const char *name)
{
	return emu_pairs_get(req->headers, req->n_headers, name, true);
}

static int identity_error(EmuResponse *resp, int status, const char *error, const char *desc)
{
	json_object *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "error", json_object_new_string(error));
	json_object_object_add(o, "error_description", json_object_new_string(desc));
	return emu_response_json(resp, status, o);
}

static int reject(EmuResponse *resp, int status, const char *msg)
{
	int r = emu_response_error(resp, status, msg);
	return r < 0 ? r : 1;
}

int emu_imds_validate(const EmuState *st, const EmuRequest *req, EmuResponse *resp)
{
	_cleanup_free_ char *p = normalized_path(req->path);
	const char *v;
	int r;

	if (!p)
		return -ENOMEM;

	/* 1. Metadata: true */
	v = header(req, "Metadata");
	if (!v || (st->scenario->strict_metadata_value ? !streq(v, "true")
						       : strcasecmp(v, "true") != 0)) {
		if (streq(p, PATH_IDENTITY)) {
			r = identity_error(resp, 400, "bad_request_102",
					   "Required metadata header not specified");
			return r < 0 ? r : 1;
		}
		return reject(resp, 400, "Bad request. Required metadata header not specified");
	}

	/* 2. No X-Forwarded-For */
	if (header(req, "X-Forwarded-For"))
		return reject(resp, 400, "Bad request. X-Forwarded-For header is not allowed");

	/* 3. No duplicate query keys */
	for (size_t i = 0; i < req->n_params; i++)
		for (size_t j = i + 1; j < req->n_params; j++)
			if (streq(req->params[i].name, req->params[j].name)) {
				_cleanup_free_ char *msg = NULL;
				if (asprintf(&msg,
					     "Bad request. Query parameter '%s' is specified more "
					     "than once",
					     req->params[i].name) < 0)
					return -ENOMEM;
				return reject(resp, 400, msg);
			}

	/* 4. A known api-version (not needed for /metadata/versions) */
	v = param(req, "api-version");
	bool version_ok = emu_imds_api_version_known(v);
	for (size_t i = 0; !version_ok && v && streq(p, PATH_SCHEDULED) &&
			   i < ELEMENTSOF(scheduled_events_versions);
	     i++)
		version_ok = streq(v, scheduled_events_versions[i]);
	if (!streq(p, PATH_VERSIONS) && !version_ok) {
		json_object *o = json_object_new_object(), *a = json_object_new_array();
		if (!o || !a) {
			json_object_put(o);
			json_object_put(a);
			return -ENOMEM;
		}
		json_object_object_add(
		    o, "error",
		    json_object_new_string("Bad request. api-version is invalid or was not "
					   "specified in the request. For more information refer "
					   "to aka.ms/azureimds"));
		for (size_t i = 0; i < ELEMENTSOF(newest_versions); i++)
			json_object_array_add(a, json_object_new_string(newest_versions[i]));
		json_object_object_add(o, "newest-versions", a);
		r = emu_response_json(resp, 400, o);
		return r < 0 ? r : 1;
	}

	/* 5. GET only, except POST to scheduledevents */
	if (!streq(req->method, "GET") &&
	    !(streq(req->method, "POST") && streq(p, PATH_SCHEDULED))) {
		r = emu_response_header(resp, "Allow",
					streq(p, PATH_SCHEDULED) ? "GET, POST" : "GET");
		if (r < 0)
			return r;
		return reject(resp, 405, "Method not allowed");
	}
	return 0;
}

static void remove_path(json_object *root, const char *dotted)
{
	_cleanup_free_ char *copy = strdup(dotted);
	json_object *cur = root;
	char *save = NULL, *tok, *next;

	if (!copy)
		return;
	tok = strtok_r(copy, ".", &save);
	while (tok) {
		next = strtok_r(NULL, ".", &save);
		if (!json_object_is_type(cur, json_type_object))
			return;
		if (!next) {
			json_object_object_del(cur, tok);
			return;
		}
		if (!json_object_object_get_ex(cur, tok, &cur))
			return;
		tok = next;
	}
}

json_object *emu_imds_instance_document(const EmuState *st, const char *v, bool extended)
{
	json_object *doc = NULL;

	if (json_object_deep_copy(emu_state_vm(st)->instance, &doc, NULL) < 0)
		return NULL;
	if (!extended)
		json_object_object_del(doc, "extended");
	if (st->scenario->version_gating && v)
		for (size_t i = 0; i < ELEMENTSOF(version_gates); i++)
			if (strcmp(v, version_gates[i].since) < 0)
				remove_path(doc, version_gates[i].path);
	return doc;
}

static bool is_leaf(json_object *o)
{
	return !json_object_is_type(o, json_type_object) &&
	       !json_object_is_type(o, json_type_array);
}

static int text_listing(json_object *node, EmuResponse *resp)
{
	StrBuf b = {};
	int r = 0;

	if (json_object_is_type(node, json_type_object)) {
		json_object_object_foreach(node, k, v)
		{
			r = strbuf_printf(&b, "%s%s%s", b.len ? "\n" : "", k,
					  is_leaf(v) ? "" : "/");
			if (r < 0)
				break;
		}
	} else {
		for (size_t i = 0; r >= 0 && i < json_object_array_length(node); i++) {
			json_object *v = json_object_array_get_idx(node, i);
			r = strbuf_printf(&b, "%s%zu%s", b.len ? "\n" : "", i,
					  is_leaf(v) ? "" : "/");
		}
	}
	if (r < 0) {
		strbuf_free(&b);
		return r;
	}
	r = emu_response_set(resp, 200, "text/plain; charset=utf-8", b.data ? b.data : "", b.len);
	strbuf_free(&b);
	return r;
}

static int serve_instance(EmuState *st, const EmuRequest *req, const char *p, EmuResponse *resp)
{
	const char *v = param(req, "api-version");
	const char *ext = param(req, "extended");
	const char *format = param(req, "format");
	bool extended = ext && strcasecmp(ext, "true") == 0;
	_cleanup_jobj_ json_object *doc = NULL;
	json_object *node;
	int r;

	if (format && !streq(format, "json") && !streq(format, "text"))
		return emu_response_error(resp, 400, "Bad request. format must be json or text");
	if (extended && strcmp(v, EXTENDED_MIN_VERSION) < 0)
		return emu_response_error(resp, 400,
					  "Bad request. extended=true requires api-version "
					  "2021-08-01 or newer");
	doc = emu_imds_instance_document(st, v, extended);
	if (!doc)
		return -ENOMEM;

	/* Route filtering: walk the remaining segments by key or array index. */
	node = doc;
	const char *rest = p + strlen(PATH_INSTANCE);
	_cleanup_free_ char *segs = strdup(rest);
	if (!segs)
		return -ENOMEM;
	char *save = NULL;
	for (char *seg = strtok_r(segs, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		json_object *next = NULL;
		if (json_object_is_type(node, json_type_object)) {
			if (!json_object_object_get_ex(node, seg, &next))
				next = NULL;
		} else if (json_object_is_type(node, json_type_array)) {
			unsigned long long idx;
			if (safe_atou64(seg, &idx) >= 0 && idx < json_object_array_length(node))
				next = json_object_array_get_idx(node, (size_t)idx);
		}
		if (!next)
			return emu_response_error(resp, 404, "Not found");
		node = next;
	}

	if (is_leaf(node)) {
		if (!format || !streq(format, "text"))
			return emu_response_error(resp, 400,
						  "Bad request. Leaf nodes require format=text");
		const char *s =
		    json_object_is_type(node, json_type_null) ? "" : json_object_get_string(node);
		return emu_response_set(resp, 200, "text/plain; charset=utf-8", s, strlen(s));
	}
	if (format && streq(format, "text"))
		return text_listing(node, resp);
	json_object *keep = json_object_get(node);
	r = emu_response_json(resp, 200, keep);
	return r;
}

static int serve_versions(EmuResponse *resp)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	if (!o || !a) {
		json_object_put(o);
		json_object_put(a);
		return -ENOMEM;
	}
	for (size_t i = 0; i < emu_imds_api_versions_n; i++)
		json_object_array_add(a, json_object_new_string(emu_imds_api_versions[i]));
	json_object_object_add(o, "apiVersions", a);
	return emu_response_json(resp, 200, o);
}

static json_object *compute_field(const EmuState *st, const char *key)
{
	json_object *c, *v;
	if (json_object_object_get_ex(emu_state_vm(st)->instance, "compute", &c) &&
	    json_object_object_get_ex(c, key, &v))
		return json_object_get(v);
	return json_object_new_string("");
}

static int serve_attested(EmuState *st, const EmuRequest *req, usec_t now_real, EmuResponse *resp)
{
	const char *nonce = param(req, "nonce");
	char def_nonce[32], created[80], expires[80];
	time_t now = (time_t)(now_real / USEC_PER_SEC), exp = now + 5;
	struct tm tm;

	if (nonce) {
		bool ok = strlen(nonce) == 10;
		for (size_t i = 0; ok && nonce[i]; i++)
			ok = nonce[i] >= '0' && nonce[i] <= '9';
		if (!ok)
			return emu_response_error(resp, 400,
						  "Bad request. nonce must be a 10-digit number");
	} else {
		gmtime_r(&now, &tm);
		strftime(def_nonce, sizeof(def_nonce), "%Y%m%d-%H%M%S", &tm);
		nonce = def_nonce;
	}
	/* The documented (two-digit year) format: "11/30/20 21:19:19 -0000". */
	gmtime_r(&now, &tm);
	snprintf(created, sizeof(created), "%02d/%02d/%02d %02d:%02d:%02d -0000", tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_year % 100, tm.tm_hour, tm.tm_min, tm.tm_sec);
	gmtime_r(&exp, &tm);
	snprintf(expires, sizeof(expires), "%02d/%02d/%02d %02d:%02d:%02d -0000", tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_year % 100, tm.tm_hour, tm.tm_min, tm.tm_sec);

	/* Not a real PKCS#7 (the emulator cannot sign): a marked test blob around the claims. */
	_cleanup_jobj_ json_object *claims = json_object_new_object();
	json_object *ts = json_object_new_object();
	if (!claims || !ts) {
		json_object_put(ts);
		return -ENOMEM;
	}
	json_object_object_add(claims, "nonce", json_object_new_string(nonce));
	json_object_object_add(claims, "plan", compute_field(st, "plan"));
	json_object_object_add(claims, "sku", compute_field(st, "sku"));
	json_object_object_add(claims, "subscriptionId", compute_field(st, "subscriptionId"));
	json_object_object_add(ts, "createdOn", json_object_new_string(created));
	json_object_object_add(ts, "expiresOn", json_object_new_string(expires));
	json_object_object_add(claims, "timeStamp", ts);
	json_object_object_add(claims, "vmId", compute_field(st, "vmId"));
	json_object_object_add(claims, "licenseType", compute_field(st, "licenseType"));
	_cleanup_free_ char *cj = emu_json_compact(claims), *blob = NULL, *b64 = NULL;
	if (!cj || asprintf(&blob, "LAZULI-EMU TEST PKCS7 (unsigned)\n%s", cj) < 0)
		return -ENOMEM;
	b64 = base64_encode(blob, strlen(blob));
	if (!b64)
		return -ENOMEM;
	json_object *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "encoding", json_object_new_string("pkcs7"));
	json_object_object_add(o, "signature", json_object_new_string(b64));
	return emu_response_json(resp, 200, o);
}

char *emu_fake_jwt(const EmuState *st, const char *resource, const char *client_id,
		   const char *object_id, const char *msi_res_id, time_t now, time_t exp)
{
	_cleanup_jobj_ json_object *h = json_object_new_object(), *p = json_object_new_object();
	_cleanup_jobj_ json_object *sub = compute_field(st, "subscriptionId");
	_cleanup_jobj_ json_object *rid = compute_field(st, "resourceId");
	_cleanup_free_ char *hs = NULL, *ps = NULL, *h64 = NULL, *p64 = NULL, *s64 = NULL;
	char *out = NULL;
	static const char sig[] = "lazuli-emu-fake-signature";

	if (!h || !p)
		return NULL;
	json_object_object_add(h, "typ", json_object_new_string("JWT"));
	json_object_object_add(h, "alg", json_object_new_string("RS256"));
	json_object_object_add(h, "kid", json_object_new_string("lazuli-emu"));
	json_object_object_add(p, "aud", json_object_new_string(resource));
	json_object_object_add(p, "iss",
			       json_object_new_string("https://sts.windows.net/lazuli-emu/"));
	json_object_object_add(p, "iat", json_object_new_int64(now));
	json_object_object_add(p, "nbf", json_object_new_int64(now - 60));
	json_object_object_add(p, "exp", json_object_new_int64(exp));
	json_object_object_add(
	    p, "appid",
	    json_object_new_string(client_id ? client_id : "00000000-0000-0000-0000-0000000e4a00"));
	json_object_object_add(
	    p, "oid",
	    json_object_new_string(object_id ? object_id : "00000000-0000-0000-0000-0000000e4a01"));
	json_object_object_add(p, "sub", json_object_new_string(json_object_get_string(sub)));
	json_object_object_add(
	    p, "xms_mirid",
	    json_object_new_string(msi_res_id ? msi_res_id : json_object_get_string(rid)));
	hs = emu_json_compact(h);
	ps = emu_json_compact(p);
	if (!hs || !ps)
		return NULL;
	h64 = emu_base64url(hs, strlen(hs));
	p64 = emu_base64url(ps, strlen(ps));
	s64 = emu_base64url(sig, strlen(sig));
	if (!h64 || !p64 || !s64 || asprintf(&out, "%s.%s.%s", h64, p64, s64) < 0)
		return NULL;
	return out;
}

static int serve_identity(EmuState *st, const EmuRequest *req, usec_t now_real, EmuResponse *resp)
{
	const EmuIdentity *id = &st->scenario->identity;
	const char *resource = param(req, "resource");
	const char *client_id = param(req, "client_id");
	const char *object_id = param(req, "object_id");
	const char *msi_res_id = param(req, "msi_res_id");
	time_t now = (time_t)(now_real / USEC_PER_SEC);
	time_t exp = now + (time_t)id->expires_in;
	char buf[32];

	if (!id->enabled)
		return identity_error(resp, 400, "invalid_request", "Identity not found");
	if (isempty(resource))
		return identity_error(resp, 400, "invalid_request",
				      "Required query variable 'resource' is missing");
	if (!!client_id + !!object_id + !!msi_res_id > 1)
		return identity_error(resp, 400, "invalid_request",
				      "Only one of client_id, object_id and msi_res_id may be "
				      "specified");
	if ((client_id && id->client_id && !streq(client_id, id->client_id)) ||
	    (object_id && id->object_id && !streq(object_id, id->object_id)) ||
	    (msi_res_id && id->msi_res_id && !streq(msi_res_id, id->msi_res_id)))
		return identity_error(resp, 400, "invalid_request", "Identity not found");

	_cleanup_free_ char *token =
	    id->access_token ? strdup(id->access_token)
			     : emu_fake_jwt(st, resource, client_id ? client_id : id->client_id,
					object_id ? object_id : id->object_id,
					msi_res_id ? msi_res_id : id->msi_res_id, now, exp);
	if (!token)
		return -ENOMEM;
	json_object *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "access_token", json_object_new_string(token));
	json_object_object_add(o, "refresh_token", json_object_new_string(""));
	snprintf(buf, sizeof(buf), "%u", id->expires_in);
	json_object_object_add(o, "expires_in", json_object_new_string(buf));
	snprintf(buf, sizeof(buf), "%lld", (long long)exp);
	json_object_object_add(o, "expires_on", json_object_new_string(buf));
	snprintf(buf, sizeof(buf), "%lld", (long long)(now - 60));
	json_object_object_add(o, "not_before", json_object_new_string(buf));
	json_object_object_add(o, "resource", json_object_new_string(resource));
	json_object_object_add(o, "token_type", json_object_new_string("Bearer"));
	return emu_response_json(resp, 200, o);
}

static int scheduled_events_post(EmuState *st, const EmuRequest *req, EmuResponse *resp)
{
	_cleanup_jobj_ json_object *o = NULL;
	json_object *list, *events;
	char err[256];

	if (emu_json_parse(req->body ? req->body : "", req->body_len, &o, err, sizeof(err)) < 0 ||
	    !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "StartRequests", &list) ||
	    !json_object_is_type(list, json_type_array))
		return emu_response_error(resp, 400,
					  "Bad request. Expected {\"StartRequests\":[{\"EventId\":"
					  "\"...\"}]}");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *item = json_object_array_get_idx(list, i), *id;
		if (!json_object_is_type(item, json_type_object) ||
		    !json_object_object_get_ex(item, "EventId", &id) ||
		    !json_object_is_type(id, json_type_string))
			return emu_response_error(resp, 400,
						  "Bad request. Every StartRequests item needs a "
						  "string EventId");
	}
	/* Approved events start: the document changes, so its incarnation moves on. */
	bool changed = false;
	if (json_object_object_get_ex(st->scheduled_events, "Events", &events))
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			json_object *id;
			json_object_object_get_ex(json_object_array_get_idx(list, i), "EventId",
						  &id);
			for (size_t j = 0; j < json_object_array_length(events); j++) {
				json_object *ev = json_object_array_get_idx(events, j), *eid;
				if (json_object_object_get_ex(ev, "EventId", &eid) &&
				    streq(json_object_get_string(eid),
					  json_object_get_string(id))) {
					json_object_object_add(ev, "EventStatus",
							       json_object_new_string("Started"));
					changed = true;
				}
			}
		}
	if (changed) {
		json_object *inc;
		int64_t n = 1;
		if (json_object_object_get_ex(st->scheduled_events, "DocumentIncarnation", &inc))
			n = json_object_get_int64(inc) + 1;
		json_object_object_add(st->scheduled_events, "DocumentIncarnation",
				       json_object_new_int64(n));
	}
	return emu_response_set(resp, 200, NULL, "", 0);
}

static int serve_reprovision(EmuState *st, EmuResponse *resp)
{
	if (!st->reprovision_armed)
		return emu_response_error(resp, 404, "Not found");
	_cleanup_free_ char *xml = emu_vm_ovf_xml(emu_state_vm(st));
	if (!xml)
		return -ENOMEM;
	st->reprovision_armed = false;
	return emu_response_set(resp, 200, "text/xml", xml, strlen(xml));
}

int emu_imds_default(EmuState *st, const EmuRequest *req, usec_t now_real, EmuResponse *resp)
{
	_cleanup_free_ char *p = normalized_path(req->path);
	if (!p)
		return -ENOMEM;

	if (!path_known(p))
		return emu_response_error(resp, 404, "Not found");
	if (path_is_instance(p))
		return serve_instance(st, req, p, resp);
	if (streq(p, PATH_VERSIONS))
		return serve_versions(resp);
	if (streq(p, PATH_ATTESTED))
		return serve_attested(st, req, now_real, resp);
	if (streq(p, PATH_IDENTITY))
		return serve_identity(st, req, now_real, resp);
	if (streq(p, PATH_SCHEDULED)) {
		if (streq(req->method, "POST"))
			return scheduled_events_post(st, req, resp);
		return emu_response_json(resp, 200, json_object_get(st->scheduled_events));
	}
	return serve_reprovision(st, resp);
}
