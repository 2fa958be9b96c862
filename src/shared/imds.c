/* SPDX-License-Identifier: MIT */
#include "imds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "log.h"
#include "macros.h"
#include "random-util.h"
#include "strutil.h"

#define DEFAULT_REQUEST_TIMEOUT (5 * USEC_PER_SEC)
#define DEFAULT_BUDGET (300 * USEC_PER_SEC)

/* Spec section 7: 404 (not ready), 410 (updating), 429 and 5xx are transient. */
static const long imds_retry_statuses[] = {404, 408, 410, 429, 500, 502, 503, 504, 0};

int imds_client_init(ImdsClient *c, const char *base_url, const char *user_agent)
{
	*c = (ImdsClient){0};
	c->base_url = strdup(base_url ? base_url : IMDS_DEFAULT_URL);
	c->user_agent = strdup(user_agent ? user_agent : "lazuli");
	if (!c->base_url || !c->user_agent) {
		imds_client_done(c);
		return -ENOMEM;
	}
	size_t n = strlen(c->base_url);
	while (n > 0 && c->base_url[n - 1] == '/')
		c->base_url[--n] = '\0';
	return 0;
}

void imds_client_done(ImdsClient *c)
{
	free(c->base_url);
	free(c->user_agent);
	*c = (ImdsClient){0};
}

/* A short, printable excerpt of a body for error messages. */
static void excerpt(const char *body, size_t len, char *buf, size_t buflen)
{
	size_t n = MIN(len, MIN(buflen - 1, (size_t)200));
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)body[i];
		buf[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	buf[n] = '\0';
}

static HttpRetryDecision check_json_object(const HttpResponse *r, void *userdata)
{
	json_object *o = NULL;
	int k = json_parse_strict(r->body, r->body_len, &o, NULL, 0);
	bool ok = k >= 0 && json_object_is_type(o, json_type_object);
	json_object_put(o);
	return ok ? HTTP_DONE : HTTP_RETRY;
}

int imds_get_json(ImdsClient *c, const char *path_and_query, json_object **ret, char *err,
		  size_t errlen)
{
	_cleanup_free_ char *url = NULL, *ua = NULL;
	char reqid[37], reqid_hdr[80], path[256], ex[256], perr[256] = "";
	HttpResponse resp = {0};
	int r;

	snprintf(path, sizeof(path), "%.*s", (int)strcspn(path_and_query, "?"), path_and_query);
	if (asprintf(&url, "%s%s", c->base_url, path_and_query) < 0 ||
	    asprintf(&ua, "User-Agent: %s", c->user_agent) < 0)
		return -ENOMEM;
	uuid4_string(reqid);
	snprintf(reqid_hdr, sizeof(reqid_hdr), "x-ms-client-request-id: %s", reqid);
	const char *headers[] = {"Metadata: true", ua, reqid_hdr, "Accept: application/json", NULL};

	HttpRequest req = {
	    .url = url,
	    .headers = headers,
	    .connect_timeout =
		MIN(c->request_timeout ? c->request_timeout : DEFAULT_REQUEST_TIMEOUT,
		    DEFAULT_REQUEST_TIMEOUT),
	    .timeout = c->request_timeout ? c->request_timeout : DEFAULT_REQUEST_TIMEOUT,
	};
	HttpRetryPolicy policy = c->policy_template;
	policy.budget = c->budget ? c->budget : DEFAULT_BUDGET;
	policy.retry_statuses = imds_retry_statuses;
	policy.check = check_json_object;

	r = http_send_retry(&req, &policy, &resp);
	if (r < 0) {
		snprintf(err, errlen, "IMDS GET %s: %s (after %u attempts)", path,
			 resp.error ? resp.error : strerror(-r), resp.attempts);
		goto out;
	}
	if (resp.status != 200) {
		excerpt(resp.body, resp.body_len, ex, sizeof(ex));
		snprintf(err, errlen, "IMDS GET %s: HTTP %ld after %u attempts: %s", path,
			 resp.status, resp.attempts, ex);
		r = resp.status == 400 ? -EBADR : -EREMOTEIO;
		goto out;
	}
	json_object *o = NULL;
	r = json_parse_strict(resp.body, resp.body_len, &o, perr, sizeof(perr));
	if (r < 0 || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		snprintf(err, errlen,
			 "IMDS GET %s: body is not a JSON object (%s) after %u attempts", path,
			 r < 0 ? perr : "wrong type", resp.attempts);
		r = -EBADMSG;
		goto out;
	}
	log_debug("IMDS GET %s: 200 after %u attempt(s)", path, resp.attempts);
	*ret = o;
	r = 0;
out:
	http_response_done(&resp);
	return r;
}

int imds_get_instance(ImdsClient *c, json_object **ret, char *err, size_t errlen)
{
	int r =
	    imds_get_json(c, "/metadata/instance?api-version=" IMDS_API_VERSION "&extended=true",
			  ret, err, errlen);
	if (r != -EBADR)
		return r;
	log_notice("%s; retrying with api-version %s", err, IMDS_FALLBACK_API_VERSION);
	return imds_get_json(c, "/metadata/instance?api-version=" IMDS_FALLBACK_API_VERSION, ret,
			     err, errlen);
}

int imds_get_token(ImdsClient *c, const char *resource, const char *client_id, json_object **ret,
		   char *err, size_t errlen)
{
	_cleanup_free_ char *path = NULL;
	char *res = http_url_escape(resource);
	char *cid = client_id ? http_url_escape(client_id) : NULL;
	int r;

	if (!res || (client_id && !cid)) {
		free(res);
		free(cid);
		return -ENOMEM;
	}
	r = asprintf(&path,
		     "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=%s%s%s", res,
		     cid ? "&client_id=" : "", cid ? cid : "");
	free(res);
	free(cid);
	if (r < 0)
		return -ENOMEM;
	return imds_get_json(c, path, ret, err, errlen);
}
