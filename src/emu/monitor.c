/* SPDX-License-Identifier: MIT */
/*
 * Azure Monitor custom metrics on loopback: POST {resourceId}/metrics with a
 * bearer token and one JSON document per line (application/x-ndjson) or one
 * document (application/json). Every document is checked against the API's
 * schema and rules (time window, dimNames/dimValues, at most 10 dimensions,
 * 256-character names, min <= max, count >= 1); a body that breaks any rule
 * is refused whole with 400 and an error code, as the service does. A body
 * may come gzip-compressed (Content-Encoding: gzip, as Telegraf sends it).
 * Every post, accepted or not, is recorded for GET /_emu/monitor.
 */
#include <errno.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "state.h"
#include "strutil.h"

#define MONITOR_MAX_RECORDS 1000
#define MONITOR_MAX_NAME 256
#define MONITOR_MAX_DIMS 10
/* The service's limit on a request body, decompressed. */
#define MONITOR_MAX_BODY (4 * 1024 * 1024)

bool emu_monitor_is_path(const EmuRequest *req)
{
	return req->port == EMU_PORT_IMDS && startswith(req->path, "/subscriptions/") &&
	       endswith(req->path, "/metrics");
}

/* "2026-12-01T10:00:00Z" or with fractional seconds; UTC only. */
static int parse_time(const char *s, time_t *ret)
{
	struct tm tm = {0};
	const char *e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!e)
		return -EINVAL;
	if (*e == '.') {
		e++;
		if (*e < '0' || *e > '9')
			return -EINVAL;
		while (*e >= '0' && *e <= '9')
			e++;
	}
	if (!streq(e, "Z"))
		return -EINVAL;
	*ret = timegm(&tm);
	return 0;
}

static const char *name_ok(json_object *o, const char *what, char *err, size_t errlen)
{
	if (!o || !json_object_is_type(o, json_type_string)) {
		snprintf(err, errlen, "%s must be a string", what);
		return NULL;
	}
	const char *s = json_object_get_string(o);
	size_t n = strlen(s);
	if (n == 0 || n > MONITOR_MAX_NAME) {
		snprintf(err, errlen, "%s must have 1 to %d characters", what, MONITOR_MAX_NAME);
		return NULL;
	}
	return s;
}

static bool only_keys(json_object *o, const char *const *keys, const char *where, char *err,
		      size_t errlen)
{
	json_object_object_foreach(o, k, v)
	{
		(void)v;
		bool known = false;
		for (const char *const *p = keys; *p; p++)
			known = known || streq(*p, k);
		if (!known) {
			snprintf(err, errlen, "%s: unknown property '%s'", where, k);
			return false;
		}
	}
	return true;
}

static bool is_number(json_object *o)
{
	return o && (json_object_is_type(o, json_type_int) || json_object_is_type(o, json_type_double));
}

/*
 * One document. On a rule violation returns -EINVAL with the error code
 * ("InvalidTimeRange" or "BadRequest") in *code and the reason in err.
 */
int emu_monitor_validate(json_object *doc, time_t now, const char **code, char *err,
			 size_t errlen)
{
	static const char *const top_keys[] = {"time", "data", NULL};
	static const char *const data_keys[] = {"baseData", NULL};
	static const char *const base_keys[] = {"metric", "namespace", "dimNames", "series", NULL};
	static const char *const series_keys[] = {"dimValues", "min", "max", "sum", "count", NULL};
	json_object *t, *data, *base, *dims = NULL, *series;
	time_t when;

	*code = "BadRequest";
	if (!json_object_is_type(doc, json_type_object)) {
		snprintf(err, errlen, "a document must be a JSON object");
		return -EINVAL;
	}
	if (!only_keys(doc, top_keys, "document", err, errlen))
		return -EINVAL;
	if (!json_object_object_get_ex(doc, "time", &t) || !json_object_is_type(t, json_type_string) ||
	    parse_time(json_object_get_string(t), &when) < 0) {
		snprintf(err, errlen, "'time' must be an ISO 8601 UTC time (2026-01-01T00:00:00Z)");
		return -EINVAL;
	}
	if (when < now - 30 * 60 || when > now + 4 * 60) {
		*code = "InvalidTimeRange";
		snprintf(err, errlen,
			 "'time' should not be older than 30 minutes and not more than 4 minutes "
			 "in the future");
		return -EINVAL;
	}
	if (!json_object_object_get_ex(doc, "data", &data) ||
	    !json_object_is_type(data, json_type_object) ||
	    !only_keys(data, data_keys, "data", err, errlen) ||
	    !json_object_object_get_ex(data, "baseData", &base) ||
	    !json_object_is_type(base, json_type_object)) {
		if (!*err)
			snprintf(err, errlen, "'data.baseData' must be an object");
		return -EINVAL;
	}
	if (!only_keys(base, base_keys, "baseData", err, errlen))
		return -EINVAL;
	json_object *m = NULL, *ns = NULL;
	json_object_object_get_ex(base, "metric", &m);
	json_object_object_get_ex(base, "namespace", &ns);
	if (!name_ok(m, "baseData.metric", err, errlen) ||
	    !name_ok(ns, "baseData.namespace", err, errlen))
		return -EINVAL;
	size_t ndims = 0;
	if (json_object_object_get_ex(base, "dimNames", &dims)) {
		if (!json_object_is_type(dims, json_type_array)) {
			snprintf(err, errlen, "baseData.dimNames must be an array");
			return -EINVAL;
		}
		ndims = json_object_array_length(dims);
		if (ndims > MONITOR_MAX_DIMS) {
			snprintf(err, errlen, "baseData.dimNames: at most %d dimensions", MONITOR_MAX_DIMS);
			return -EINVAL;
		}
		for (size_t i = 0; i < ndims; i++) {
			if (!name_ok(json_object_array_get_idx(dims, i), "baseData.dimNames[]", err, errlen))
				return -EINVAL;
			for (size_t j = 0; j < i; j++)
				if (streq(json_object_get_string(json_object_array_get_idx(dims, i)),
					  json_object_get_string(json_object_array_get_idx(dims, j)))) {
					snprintf(err, errlen, "baseData.dimNames: duplicate '%s'",
						 json_object_get_string(json_object_array_get_idx(dims, i)));
					return -EINVAL;
				}
		}
	}
	if (!json_object_object_get_ex(base, "series", &series) ||
	    !json_object_is_type(series, json_type_array) || json_object_array_length(series) == 0) {
		snprintf(err, errlen, "baseData.series must be a non-empty array");
		return -EINVAL;
	}
	for (size_t i = 0; i < json_object_array_length(series); i++) {
		json_object *sr = json_object_array_get_idx(series, i), *dv = NULL, *mn, *mx, *sm, *ct;
		char where[64];
		snprintf(where, sizeof(where), "baseData.series[%zu]", i);
		if (!json_object_is_type(sr, json_type_object)) {
			snprintf(err, errlen, "%s must be an object", where);
			return -EINVAL;
		}
		if (!only_keys(sr, series_keys, where, err, errlen))
			return -EINVAL;
		size_t nvals = 0;
		if (json_object_object_get_ex(sr, "dimValues", &dv)) {
			if (!json_object_is_type(dv, json_type_array)) {
				snprintf(err, errlen, "%s.dimValues must be an array", where);
				return -EINVAL;
			}
			nvals = json_object_array_length(dv);
			for (size_t j = 0; j < nvals; j++)
				if (!name_ok(json_object_array_get_idx(dv, j), "dimValues[]", err, errlen))
					return -EINVAL;
		}
		if (nvals != ndims) {
			snprintf(err, errlen, "%s: %zu dimValues for %zu dimNames", where, nvals, ndims);
			return -EINVAL;
		}
		if (!json_object_object_get_ex(sr, "min", &mn) || !is_number(mn) ||
		    !json_object_object_get_ex(sr, "max", &mx) || !is_number(mx) ||
		    !json_object_object_get_ex(sr, "sum", &sm) || !is_number(sm) ||
		    !json_object_object_get_ex(sr, "count", &ct) ||
		    !json_object_is_type(ct, json_type_int) || json_object_get_int64(ct) < 1) {
			snprintf(err, errlen, "%s needs numbers min, max, sum and an integer count >= 1",
				 where);
			return -EINVAL;
		}
		if (json_object_get_double(mn) > json_object_get_double(mx)) {
			snprintf(err, errlen, "%s: min is greater than max", where);
			return -EINVAL;
		}
	}
	return 0;
}

static int monitor_error(EmuResponse *resp, int status, const char *code, const char *msg)
{
	json_object *o = json_object_new_object(), *e = json_object_new_object();
	if (!o || !e) {
		json_object_put(o);
		json_object_put(e);
		return -ENOMEM;
	}
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(o, "error", e);
	return emu_response_json(resp, status, o);
}

/* Keep the last MONITOR_MAX_RECORDS posts. Takes docs (may be NULL). */
int emu_monitor_record(EmuState *st, const EmuRequest *req, int status, const char *code,
		       const char *error, json_object *docs, usec_t now_real)
{
	json_object *rec = json_object_new_object();
	char when[40];
	if (!rec) {
		json_object_put(docs);
		return -ENOMEM;
	}
	const char *auth = emu_pairs_get(req->headers, req->n_headers, "Authorization", true);
	const char *ctype = emu_pairs_get(req->headers, req->n_headers, "Content-Type", true);
	const char *cenc = emu_pairs_get(req->headers, req->n_headers, "Content-Encoding", true);
	size_t plen = strlen(req->path) - strlen("/metrics");
	char *rid = strndup(req->path, plen);
	json_object_object_add(rec, "seq", json_object_new_int64((int64_t)++st->monitor_seq));
	json_object_object_add(rec, "received",
			       json_object_new_string(format_rfc3339(when, sizeof(when), now_real)));
	json_object_object_add(rec, "resource_id", rid ? json_object_new_string(rid) : NULL);
	free(rid);
	json_object_object_add(rec, "content_type", ctype ? json_object_new_string(ctype) : NULL);
	json_object_object_add(rec, "content_encoding", cenc ? json_object_new_string(cenc) : NULL);
	/* the token itself is a secret even here: only whether one came */
	json_object_object_add(rec, "bearer", json_object_new_boolean(auth && startswith(auth, "Bearer ") &&
								      strlen(auth) > 7));
	json_object_object_add(rec, "token", auth && startswith(auth, "Bearer ")
						 ? json_object_new_string(auth + 7)
						 : NULL);
	json_object_object_add(rec, "status", json_object_new_int(status));
	json_object_object_add(rec, "code", code ? json_object_new_string(code) : NULL);
	json_object_object_add(rec, "error", error ? json_object_new_string(error) : NULL);
	json_object_object_add(rec, "body_bytes", json_object_new_int64((int64_t)req->body_len));
	json_object_object_add(rec, "documents", docs ? docs : json_object_new_array());
	if (json_object_array_length(st->monitor) >= MONITOR_MAX_RECORDS)
		json_object_array_del_idx(st->monitor, 0, 1);
	return json_object_array_add(st->monitor, rec) < 0 ? -ENOMEM : 0;
}

#define MONITOR_AUDIENCE "https://monitoring.azure.com"

/*
 * NULL if Azure Monitor takes the bearer token: one for its audience that
 * has not expired (or the scenario's own identity.access_token). Else the
 * error code, with the message in err.
 */
static const char *check_token(const EmuState *st, const char *tok, usec_t now_real, char *err,
			       size_t errlen)
{
	const char *own = st->scenario->identity.access_token;
	if (own && streq(tok, own))
		return NULL;
	_cleanup_jobj_ json_object *p = emu_jwt_payload(tok);
	json_object *aud = NULL, *exp = NULL;
	if (!p) {
		snprintf(err, errlen, "The access token is invalid.");
		return "InvalidAuthenticationToken";
	}
	json_object_object_get_ex(p, "aud", &aud);
	const char *a = aud ? json_object_get_string(aud) : "";
	if (!strcaseeq(a, MONITOR_AUDIENCE) && !strcaseeq(a, MONITOR_AUDIENCE "/")) {
		snprintf(err, errlen, "The access token has been obtained for wrong audience or "
				      "resource '%s'. It should be '" MONITOR_AUDIENCE "/'.", a);
		return "InvalidAuthenticationTokenAudience";
	}
	if (!json_object_object_get_ex(p, "exp", &exp) ||
	    json_object_get_int64(exp) <= (int64_t)(now_real / USEC_PER_SEC)) {
		snprintf(err, errlen, "The access token expiry UTC time is earlier than current "
				      "UTC time.");
		return "ExpiredAuthenticationToken";
	}
	return NULL;
}

/*
 * A gzip body (one member) decompressed into *ret. 0, or the HTTP status to
 * refuse it with and the message in err. (The trailer's size field is not
 * trusted: a truncated body ends in anything.)
 */
static int gunzip_body(const char *in, size_t len, char **ret, size_t *ret_len, char *err,
		       size_t errlen)
{
	if (len < 18 || (unsigned char)in[0] != 0x1f || (unsigned char)in[1] != 0x8b) {
		snprintf(err, errlen, "Content-Encoding is gzip, but the body is not gzip data");
		return 400;
	}
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	char *out = malloc(MONITOR_MAX_BODY);
	size_t n = 0;
	if (!d || !out) {
		libdeflate_free_decompressor(d);
		free(out);
		return -ENOMEM;
	}
	enum libdeflate_result r = libdeflate_gzip_decompress(d, in, len, out, MONITOR_MAX_BODY, &n);
	libdeflate_free_decompressor(d);
	if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
		free(out);
		snprintf(err, errlen, "the decompressed body is over the limit of %d bytes",
			 MONITOR_MAX_BODY);
		return 413;
	}
	if (r != LIBDEFLATE_SUCCESS) {
		free(out);
		snprintf(err, errlen, "Content-Encoding is gzip, but the body does not decompress "
				      "(corrupt or truncated gzip data)");
		return 400;
	}
	*ret = out;
	*ret_len = n;
	return 0;
}

int emu_monitor_handle(EmuState *st, const EmuRequest *req, usec_t now_real, EmuResponse *resp)
{
	const char *auth = emu_pairs_get(req->headers, req->n_headers, "Authorization", true);
	const char *ctype = emu_pairs_get(req->headers, req->n_headers, "Content-Type", true);
	const char *cenc = emu_pairs_get(req->headers, req->n_headers, "Content-Encoding", true);
	char err[512] = "";
	const char *code = NULL;
	int status = 200, r;

	if (!auth || !startswith(auth, "Bearer ") || strlen(auth) <= 7) {
		status = 401;
		code = "AuthenticationFailed";
		snprintf(err, sizeof(err), "Authentication failed. The 'Authorization' header is "
					   "missing or not a bearer token.");
	} else if ((code = check_token(st, auth + 7, now_real, err, sizeof(err)))) {
		status = 401;
	} else if (!ctype || !(startswith(ctype, "application/json") ||
			       startswith(ctype, "application/x-ndjson"))) {
		status = 415;
		code = "UnsupportedMediaType";
		snprintf(err, sizeof(err), "Content-Type must be application/json or application/x-ndjson");
	} else if (cenc && !streq(cenc, "identity") && !strcaseeq(cenc, "gzip")) {
		status = 415;
		code = "UnsupportedMediaType";
		snprintf(err, sizeof(err), "Content-Encoding '%s' is not supported (gzip is)", cenc);
	}
	_cleanup_free_ char *plain = NULL;
	const char *body = req->body;
	size_t body_len = req->body_len;
	if (status == 200 && cenc && strcaseeq(cenc, "gzip")) {
		r = gunzip_body(req->body, req->body_len, &plain, &body_len, err, sizeof(err));
		if (r < 0)
			return r;
		if (r > 0) {
			status = r;
			code = r == 413 ? "RequestEntityTooLarge" : "BadRequest";
		} else
			body = plain;
	} else if (status == 200 && body_len > MONITOR_MAX_BODY) {
		status = 413;
		code = "RequestEntityTooLarge";
		snprintf(err, sizeof(err), "the body (%zu bytes) is over the limit of %d bytes",
			 body_len, MONITOR_MAX_BODY);
	}
	json_object *docs = json_object_new_array();
	if (!docs)
		return -ENOMEM;
	if (status == 200) {
		const char *p = body, *end = body + body_len;
		size_t line = 0;
		while (p < end && status == 200) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *le = nl ? nl : end;
			line++;
			const char *q = p;
			while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
				q++;
			if (q < le) {
				json_object *doc = NULL;
				char jerr[256] = "";
				if (emu_json_parse(p, (size_t)(le - p), &doc, jerr, sizeof(jerr)) < 0) {
					status = 400;
					code = "BadRequest";
					snprintf(err, sizeof(err), "line %zu: not JSON: %s", line, jerr);
				} else if (emu_monitor_validate(doc, (time_t)(now_real / USEC_PER_SEC),
								&code, jerr, sizeof(jerr)) < 0) {
					status = 400;
					snprintf(err, sizeof(err), "line %zu: %s", line, jerr);
					json_object_put(doc);
				} else
					json_object_array_add(docs, doc);
			}
			p = nl ? nl + 1 : end;
		}
		if (status == 200 && json_object_array_length(docs) == 0) {
			status = 400;
			code = "BadRequest";
			snprintf(err, sizeof(err), "the body holds no metric document");
		}
	}
	if (status != 200) {
		json_object_put(docs);
		docs = NULL;
		if ((r = monitor_error(resp, status, code, err)) < 0)
			return r;
	} else if ((r = emu_response_set(resp, 200, "application/json", "{}", 2)) < 0) {
		json_object_put(docs);
		return r;
	}
	return emu_monitor_record(st, req, status, status == 200 ? NULL : code,
				  status == 200 ? NULL : err, docs, now_real);
}
