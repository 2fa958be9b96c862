/* SPDX-License-Identifier: MIT */
#include "arm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "imds.h"
#include "json-util.h"
#include "jwt.h"
#include "log.h"
#include "random-util.h"
#include "strutil.h"
#include "token.h"

#define ARM_REFRESH_MARGIN 300 /* seconds before expiry a cached token is replaced */
#define ARM_MAX_RESPONSE (64u * 1024 * 1024)
#define ARM_MAX_PAGES 10000
#define ARM_DEFAULT_POLL (5 * USEC_PER_SEC)
#define TOKEN_CACHE_MAX (1024u * 1024)

static const long arm_retry_statuses[] = {408, 429, 500, 502, 503, 504, 0};

struct ArmClient {
	char *arm_url;
	char *authority;
	char *imds_url;
	char *resource;
	char *user_agent;
	char *cache_path;
	ArmAuth auth;
	char *token; /* current bearer token */
	time_t token_expires_on;
	char correlation_id[37];
	void (*sleep)(usec_t usec, void *userdata);
	void *sleep_userdata;
	usec_t waited;
	char **extra_headers;
};

int arm_client_set_headers(ArmClient *c, char *const *headers)
{
	char **copy = NULL;
	for (char *const *h = headers; h && *h; h++)
		if (strv_extend(&copy, *h) < 0) {
			strv_free(copy);
			return -ENOMEM;
		}
	strv_free(c->extra_headers);
	c->extra_headers = copy;
	return 0;
}

void arm_auth_done(ArmAuth *a)
{
	free(a->client_id);
	free(a->tenant);
	if (a->secret) {
		explicit_bzero(a->secret, strlen(a->secret));
		free(a->secret);
	}
	if (a->token) {
		explicit_bzero(a->token, strlen(a->token));
		free(a->token);
	}
	free(a->certificate);
	if (a->refresh_token) {
		explicit_bzero(a->refresh_token, strlen(a->refresh_token));
		free(a->refresh_token);
	}
	free(a->account);
	*a = (ArmAuth){};
}

void arm_error_done(ArmError *e)
{
	if (!e)
		return;
	free(e->code);
	free(e->message);
	free(e->correlation_id);
	free(e->request_id);
	*e = (ArmError){};
}

_printf_(3, 4) static void set_error(ArmError *e, long status, const char *fmt, ...)
{
	va_list ap;
	char *m = NULL;
	if (!e)
		return;
	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	free(e->message);
	e->message = m;
	e->status = status;
}

static char *strip_slash_dup(const char *s)
{
	char *d = strdup(s);
	if (d) {
		size_t n = strlen(d);
		while (n > 0 && d[n - 1] == '/')
			d[--n] = '\0';
	}
	return d;
}

int arm_client_new(const ArmEndpoints *ep, const ArmAuth *auth, const char *token_cache_path,
		   const char *user_agent, ArmClient **ret)
{
	_cleanup_(arm_client_freep) ArmClient *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->arm_url = strip_slash_dup(ep && ep->arm ? ep->arm : ARM_DEFAULT_URL);
	c->authority = strip_slash_dup(ep && ep->authority ? ep->authority : ARM_DEFAULT_AUTHORITY);
	c->imds_url = strip_slash_dup(ep && ep->imds ? ep->imds : IMDS_DEFAULT_URL);
	c->resource = strdup(ep && ep->resource ? ep->resource : ARM_DEFAULT_RESOURCE);
	c->user_agent = strdup(user_agent ? user_agent : "lazuli/" "0");
	if (!c->arm_url || !c->authority || !c->imds_url || !c->resource || !c->user_agent)
		return -ENOMEM;
	if (token_cache_path && !(c->cache_path = strdup(token_cache_path)))
		return -ENOMEM;
	if (auth) {
		c->auth.kind = auth->kind;
		c->auth.token_expires_on = auth->token_expires_on;
		if ((auth->client_id && !(c->auth.client_id = strdup(auth->client_id))) ||
		    (auth->tenant && !(c->auth.tenant = strdup(auth->tenant))) ||
		    (auth->secret && !(c->auth.secret = strdup(auth->secret))) ||
		    (auth->token && !(c->auth.token = strdup(auth->token))) ||
		    (auth->certificate && !(c->auth.certificate = strdup(auth->certificate))) ||
		    (auth->refresh_token && !(c->auth.refresh_token = strdup(auth->refresh_token))) ||
		    (auth->account && !(c->auth.account = strdup(auth->account))))
			return -ENOMEM;
	}
	uuid4_string(c->correlation_id);
	*ret = TAKE_PTR(c);
	return 0;
}

void arm_client_free(ArmClient *c)
{
	if (!c)
		return;
	free(c->arm_url);
	free(c->authority);
	free(c->imds_url);
	free(c->resource);
	free(c->user_agent);
	free(c->cache_path);
	strv_free(c->extra_headers);
	arm_auth_done(&c->auth);
	if (c->token) {
		explicit_bzero(c->token, strlen(c->token));
		free(c->token);
	}
	free(c);
}

void arm_client_set_sleep(ArmClient *c, void (*sleep)(usec_t usec, void *userdata),
			  void *userdata)
{
	c->sleep = sleep;
	c->sleep_userdata = userdata;
}

usec_t arm_client_waited(const ArmClient *c)
{
	return c->waited;
}

const char *arm_client_correlation_id(const ArmClient *c)
{
	return c->correlation_id;
}

const char *arm_client_url(const ArmClient *c)
{
	return c->arm_url;
}

static void client_sleep(ArmClient *c, usec_t usec)
{
	c->waited += usec;
	if (c->sleep)
		c->sleep(usec, c->sleep_userdata);
	else
		sleep_usec(usec);
}

static void policy_sleep(usec_t usec, void *userdata)
{
	client_sleep(userdata, usec);
}

/* ---- errors ----------------------------------------------------------- */

void arm_error_from_body(ArmError *e, const char *body, size_t len)
{
	_cleanup_json_ json_object *o = NULL;
	if (!e || !body || len == 0 || json_parse_strict(body, len, &o, NULL, 0) < 0 ||
	    !json_object_is_type(o, json_type_object))
		return;
	json_object *err = json_get_path(o, "error");
	const char *code = NULL, *msg = NULL;
	if (err && json_object_is_type(err, json_type_object)) {
		code = json_get_string(err, "code");
		msg = json_get_string(err, "message");
	} else if (err && json_object_is_type(err, json_type_string)) {
		/* The identity platform (and IMDS): {"error":"x","error_description":"..."} */
		code = json_object_get_string(err);
		msg = json_get_string(o, "error_description");
	}
	if (code) {
		free(e->code);
		e->code = strdup(code);
	}
	if (msg) {
		free(e->message);
		e->message = strdup(msg);
	}
}

static void error_from_response(ArmError *e, const char *what, const HttpResponse *r)
{
	if (!e)
		return;
	e->status = r->status;
	const char *corr = http_response_header(r, "x-ms-correlation-request-id");
	const char *rid = http_response_header(r, "x-ms-request-id");
	if (corr && !e->correlation_id)
		e->correlation_id = strdup(corr);
	if (rid && !e->request_id)
		e->request_id = strdup(rid);
	arm_error_from_body(e, r->body, r->body_len);
	if (!e->message) {
		char ex[200];
		size_t n = MIN(r->body_len, sizeof(ex) - 1);
		memcpy(ex, r->body ? r->body : "", n);
		ex[n] = '\0';
		for (char *p = ex; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = ' ';
		set_error(e, r->status, "%s: HTTP %ld%s%s", what, r->status, n ? ": " : "", ex);
	}
}

static int status_to_errno(long status)
{
	switch (status) {
	case 401:
	case 403:
		return -EACCES;
	case 404:
		return -ENOENT;
	case 409:
		return -EBUSY;
	case 429:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

/* ---- tokens ----------------------------------------------------------- */

static char *cache_key(const ArmClient *c)
{
	char *k;
	const char *kind = c->auth.kind == ARM_AUTH_IDENTITY      ? "identity"
			   : c->auth.kind == ARM_AUTH_CERTIFICATE ? "certificate"
			   : c->auth.kind == ARM_AUTH_REFRESH	  ? "user"
								  : "secret";
	/* A user's token is the user's, whichever client asked for it. */
	const char *who = c->auth.kind == ARM_AUTH_REFRESH ? c->auth.account : c->auth.client_id;
	if (asprintf(&k, "%s|%s|%s|%s", kind, strempty(c->auth.tenant), strempty(who),
		     c->resource) < 0)
		return NULL;
	return k;
}

static json_object *cache_load(const ArmClient *c)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	json_object *o = NULL;
	if (!c->cache_path || read_full_file(c->cache_path, TOKEN_CACHE_MAX, &buf, &len) < 0 ||
	    json_parse_strict(buf, len, &o, NULL, 0) < 0 || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return json_object_new_object();
	}
	return o;
}

static int cache_lookup(ArmClient *c, time_t now)
{
	_cleanup_json_ json_object *o = cache_load(c);
	_cleanup_free_ char *key = cache_key(c);
	if (!o || !key)
		return -ENOMEM;
	json_object *t;
	/* Not json_get_path(): it splits on the dots the key has. */
	if (!json_object_object_get_ex(o, key, &t))
		return 0;
	const char *tok = json_get_string(t, "accessToken");
	json_object *exp = NULL;
	json_object_object_get_ex(t, "expiresOn", &exp);
	if (!tok || !exp)
		return 0;
	time_t e = (time_t)json_object_get_int64(exp);
	if (e - ARM_REFRESH_MARGIN <= now)
		return 0;
	free(c->token);
	c->token = strdup(tok);
	c->token_expires_on = e;
	return c->token ? 1 : -ENOMEM;
}

static void cache_store(ArmClient *c)
{
	if (!c->cache_path)
		return;
	_cleanup_json_ json_object *o = cache_load(c);
	_cleanup_free_ char *key = cache_key(c);
	time_t now = time(NULL);
	if (!o || !key)
		return;
	/* Drop what expired, keep the rest. */
	json_object *keep = json_object_new_object();
	json_object_object_foreach(o, k, v) {
		json_object *exp;
		if (json_object_object_get_ex(v, "expiresOn", &exp) &&
		    json_object_get_int64(exp) > now)
			json_object_object_add(keep, k, json_object_get(v));
	}
	json_object *t = json_object_new_object();
	json_object_object_add(t, "accessToken", json_object_new_string(c->token));
	json_object_object_add(t, "expiresOn", json_object_new_int64(c->token_expires_on));
	json_object_object_add(keep, key, t);
	_cleanup_free_ char *s = json_to_string_compact(keep);
	json_object_put(keep);
	if (!s)
		return;
	int r = write_file_atomic(c->cache_path, s, strlen(s), 0600);
	explicit_bzero(s, strlen(s));
	if (r < 0)
		log_warning_errno(r, "Cannot write the token cache %s: %m", c->cache_path);
}

static int fetch_identity_token(ArmClient *c, ArmError *e)
{
	ImdsClient imds = {};
	_cleanup_json_ json_object *o = NULL;
	Token t = {};
	char err[512] = "";
	int r;

	r = imds_client_init(&imds, c->imds_url, c->user_agent);
	if (r < 0)
		return r;
	imds.request_timeout = 3 * USEC_PER_SEC;
	imds.budget = 20 * USEC_PER_SEC;
	imds.policy_template.sleep = policy_sleep;
	imds.policy_template.userdata = c;
	r = imds_get_token(&imds, c->resource, c->auth.client_id, &o, err, sizeof(err));
	imds_client_done(&imds);
	if (r < 0) {
		set_error(e, 0, "No managed identity token from %s: %s", c->imds_url, err);
		return r;
	}
	_cleanup_free_ char *s = json_to_string_compact(o);
	if (!s)
		return -ENOMEM;
	r = token_parse(s, strlen(s), &t, err, sizeof(err));
	explicit_bzero(s, strlen(s));
	if (r < 0) {
		set_error(e, 0, "Managed identity token from %s: %s", c->imds_url, err);
		return r;
	}
	free(c->token);
	c->token = TAKE_PTR(t.access_token);
	c->token_expires_on = t.expires_on;
	token_done(&t);
	return 0;
}

/* The form's part that proves who asks: a secret, a signed assertion or a refresh token. */
static int credential_form(ArmClient *c, const char *url, char **ret, ArmError *e)
{
	_cleanup_free_ char *assertion = NULL;
	char err[1024];
	const char *grant = "client_credentials", *name = "client_secret", *value = c->auth.secret;
	int r;

	switch (c->auth.kind) {
	case ARM_AUTH_CERTIFICATE:
		r = jwt_client_assertion(c->auth.certificate, c->auth.client_id, url, time(NULL),
					 &assertion, err, sizeof(err));
		if (r < 0) {
			set_error(e, 0, "%s", err);
			/* Not the errno of a missing ARM resource: the credential is unusable. */
			return r == -ENOMEM ? r : -ENOKEY;
		}
		name = "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3A"
		       "jwt-bearer&client_assertion";
		value = assertion;
		break;
	case ARM_AUTH_REFRESH:
		grant = "refresh_token";
		name = "refresh_token";
		value = c->auth.refresh_token;
		break;
	default:
		break;
	}
	char *v = http_url_escape(strempty(value));
	if (!v)
		return -ENOMEM;
	r = asprintf(ret, "grant_type=%s&%s=%s", grant, name, v);
	explicit_bzero(v, strlen(v));
	free(v);
	if (assertion)
		explicit_bzero(assertion, strlen(assertion));
	return r < 0 ? -ENOMEM : 0;
}

/*
 * A token from the tenant's v2.0 token endpoint: the client-credentials
 * grant for a service principal, the refresh-token grant for a user, with
 * the scope and client_info MSAL sends (the Azure CLI's requests).
 */
static int fetch_platform_token(ArmClient *c, ArmError *e)
{
	_cleanup_free_ char *url = NULL, *form = NULL, *cred = NULL, *scope_raw = NULL;
	bool user = c->auth.kind == ARM_AUTH_REFRESH;
	HttpResponse resp = {};
	int r;

	if (asprintf(&url, "%s/%s/oauth2/v2.0/token", c->authority, c->auth.tenant) < 0)
		return -ENOMEM;
	if (asprintf(&scope_raw, "%s%s.default%s", c->resource, endswith(c->resource, "/") ? "" : "/",
		     user ? " offline_access openid profile" : "") < 0) {
		scope_raw = NULL;
		return -ENOMEM;
	}
	if ((r = credential_form(c, url, &cred, e)) < 0)
		return r;
	char *id = http_url_escape(c->auth.client_id);
	char *scope = http_url_escape(scope_raw);
	if (!id || !scope ||
	    asprintf(&form, "%s&client_id=%s&scope=%s%s", cred, id, scope,
		     user ? "&client_info=1" : "") < 0)
		form = NULL;
	free(id);
	free(scope);
	explicit_bzero(cred, strlen(cred));
	if (!form)
		return -ENOMEM;

	_cleanup_free_ char *ua = NULL;
	if (asprintf(&ua, "User-Agent: %s", c->user_agent) < 0)
		return -ENOMEM;
	const char *headers[] = {"Content-Type: application/x-www-form-urlencoded",
				 "Accept: application/json", ua, NULL};
	HttpRequest req = {.method = "POST", .url = url, .headers = headers, .body = form,
			   .body_len = strlen(form), .timeout = 30 * USEC_PER_SEC};
	HttpRetryPolicy policy = {.max_attempts = 4, .budget = 60 * USEC_PER_SEC,
				  .retry_statuses = arm_retry_statuses, .sleep = policy_sleep,
				  .userdata = c};
	r = http_send_retry(&req, &policy, &resp);
	explicit_bzero(form, strlen(form));
	if (r < 0) {
		set_error(e, 0, "Cannot reach the identity platform at %s: %s", c->authority,
			  resp.error ? resp.error : strerror(-r));
		http_response_done(&resp);
		return r;
	}
	if (resp.status != 200) {
		error_from_response(e, "The identity platform", &resp);
		r = status_to_errno(resp.status);
		http_response_done(&resp);
		if (user && e && e->code && streq(e->code, "invalid_grant"))
			return -EKEYREJECTED;
		return r == -EIO ? -EACCES : r;
	}
	_cleanup_json_ json_object *o = NULL;
	char perr[256];
	r = json_parse_strict(resp.body, resp.body_len, &o, perr, sizeof(perr));
	explicit_bzero(resp.body, resp.body_len);
	http_response_done(&resp);
	const char *tok = r >= 0 ? json_get_string(o, "access_token") : NULL;
	json_object *exp = NULL;
	if (tok)
		json_object_object_get_ex(o, "expires_in", &exp);
	long long expires_in = exp ? (json_object_is_type(exp, json_type_string)
					  ? strtoll(json_object_get_string(exp), NULL, 10)
					  : json_object_get_int64(exp))
				   : 0;
	if (!tok || expires_in <= 0) {
		set_error(e, 200, "The identity platform at %s sent no usable token (%s)", url,
			  r < 0 ? perr : "no access_token or expires_in");
		return -EBADMSG;
	}
	free(c->token);
	c->token = strdup(tok);
	c->token_expires_on = time(NULL) + (time_t)expires_in;
	return c->token ? 0 : -ENOMEM;
}

int arm_get_token(ArmClient *c, const char **ret, time_t *ret_expires_on, ArmError *e)
{
	time_t now = time(NULL);
	int r;

	if (c->token && c->token_expires_on - ARM_REFRESH_MARGIN > now)
		goto done;
	switch (c->auth.kind) {
	case ARM_AUTH_TOKEN:
		if (c->auth.token_expires_on && c->auth.token_expires_on <= now) {
			set_error(e, 0, "The access token expired; log in again");
			return -EKEYEXPIRED;
		}
		free(c->token);
		c->token = strdup(c->auth.token);
		c->token_expires_on = c->auth.token_expires_on ? c->auth.token_expires_on
							       : now + 3600;
		if (!c->token)
			return -ENOMEM;
		goto done;
	case ARM_AUTH_IDENTITY:
	case ARM_AUTH_SECRET:
	case ARM_AUTH_CERTIFICATE:
	case ARM_AUTH_REFRESH:
		r = cache_lookup(c, now);
		if (r < 0)
			return r;
		if (r > 0)
			goto done;
		r = c->auth.kind == ARM_AUTH_IDENTITY ? fetch_identity_token(c, e)
						      : fetch_platform_token(c, e);
		if (r < 0)
			return r;
		cache_store(c);
		goto done;
	default:
		set_error(e, 0, "Not logged in");
		return -ENOKEY;
	}
done:
	*ret = c->token;
	if (ret_expires_on)
		*ret_expires_on = c->token_expires_on;
	return 0;
}

/* ---- requests ---------------------------------------------------------- */

static char *build_url(const ArmClient *c, const char *path_or_url, const char *api_version)
{
	StrBuf b = {};
	bool absolute = startswith(path_or_url, "http://") || startswith(path_or_url, "https://");
	if (!absolute && strbuf_puts(&b, c->arm_url) < 0)
		return NULL;
	if (strbuf_puts(&b, path_or_url) < 0)
		return NULL;
	if (api_version && !strstr(path_or_url, "api-version=")) {
		if (strbuf_printf(&b, "%sapi-version=%s", strchr(path_or_url, '?') ? "&" : "?",
				  api_version) < 0)
			return NULL;
	}
	return strbuf_steal(&b);
}

/* Only the configured ARM endpoint gets the bearer token. */
static bool url_on_arm(const ArmClient *c, const char *url)
{
	const char *rest = startswith(url, c->arm_url);
	return rest && (*rest == '\0' || *rest == '/' || *rest == '?');
}

int arm_request(ArmClient *c, const char *method, const char *path_or_url,
		const char *api_version, json_object *body, json_object **ret,
		HttpResponse *ret_resp, ArmError *e)
{
	_cleanup_free_ char *url = build_url(c, path_or_url, api_version);
	_cleanup_free_ char *auth = NULL, *ua = NULL, *body_s = NULL;
	char client_id[37], corr[100], client[100];
	HttpResponse resp = {};
	const char *token;
	int r;

	if (ret)
		*ret = NULL;
	if (!url)
		return -ENOMEM;
	if (!url_on_arm(c, url)) {
		set_error(e, 0, "Refusing to send the ARM token to %s: not under %s", url,
			  c->arm_url);
		return -EPERM;
	}
	const char *const *extra = (const char *const *)c->extra_headers;
	bool own_auth = http_headers_name(extra, "Authorization", strlen("Authorization"));
	r = own_auth ? 0 : arm_get_token(c, &token, NULL, e);
	if (r < 0)
		return r;
	uuid4_string(client_id);
	snprintf(corr, sizeof(corr), "x-ms-correlation-request-id: %s", c->correlation_id);
	snprintf(client, sizeof(client), "x-ms-client-request-id: %s", client_id);
	if ((!own_auth && asprintf(&auth, "Authorization: Bearer %s", token) < 0) ||
	    asprintf(&ua, "User-Agent: %s", c->user_agent) < 0)
		return -ENOMEM;
	if (body && !(body_s = json_to_string_compact(body)))
		return -ENOMEM;
	const char *ours[] = {auth, ua, corr, client, "Accept: application/json",
			      body_s ? "Content-Type: application/json" : NULL};
	_cleanup_free_ const char **headers = http_headers_merge(ours, ELEMENTSOF(ours), extra);
	if (!headers)
		return -ENOMEM;
	HttpRequest req = {.method = method, .url = url, .headers = headers, .body = body_s,
			   .body_len = body_s ? strlen(body_s) : 0, .timeout = 60 * USEC_PER_SEC,
			   .max_response = ARM_MAX_RESPONSE};
	HttpRetryPolicy policy = {.max_attempts = 5, .budget = 300 * USEC_PER_SEC,
				  .base_delay = USEC_PER_SEC, .max_delay = 30 * USEC_PER_SEC,
				  .max_retry_after = 300 * USEC_PER_SEC,
				  .retry_statuses = arm_retry_statuses, .sleep = policy_sleep,
				  .userdata = c};
	r = http_send_retry(&req, &policy, &resp);
	if (auth)
		explicit_bzero(auth, strlen(auth));
	if (r < 0) {
		set_error(e, 0, "%s %s: %s", method, url, resp.error ? resp.error : strerror(-r));
		if (e && !e->correlation_id)
			e->correlation_id = strdup(c->correlation_id);
		http_response_done(&resp);
		return r;
	}
	log_debug("%s %s: HTTP %ld after %u attempt(s)", method, url, resp.status, resp.attempts);
	if (resp.status < 200 || resp.status > 299) {
		char what[600];
		snprintf(what, sizeof(what), "%s %s", method, url);
		error_from_response(e, what, &resp);
		if (e && !e->correlation_id)
			e->correlation_id = strdup(c->correlation_id);
		r = status_to_errno(resp.status);
		http_response_done(&resp);
		return r;
	}
	if (ret && resp.body_len > 0) {
		char perr[256];
		r = json_parse_strict(resp.body, resp.body_len, ret, perr, sizeof(perr));
		if (r < 0) {
			set_error(e, resp.status, "%s %s: the response is not JSON: %s", method, url,
				  perr);
			http_response_done(&resp);
			return -EBADMSG;
		}
	}
	if (ret_resp)
		*ret_resp = resp;
	else
		http_response_done(&resp);
	return 0;
}

int arm_list(ArmClient *c, const char *path, const char *api_version, json_object **ret,
	     ArmError *e)
{
	_cleanup_json_ json_object *all = json_object_new_array();
	_cleanup_free_ char *next = strdup(path);
	const char *api = api_version;
	int r;

	if (!all || !next)
		return -ENOMEM;
	for (unsigned page = 0; next; page++) {
		_cleanup_json_ json_object *o = NULL;
		if (page >= ARM_MAX_PAGES) {
			set_error(e, 0, "%s: more than %u pages; giving up", path, ARM_MAX_PAGES);
			return -E2BIG;
		}
		r = arm_request(c, "GET", next, api, NULL, &o, NULL, e);
		if (r < 0)
			return r;
		json_object *v = json_get_path(o, "value");
		if (!v || !json_object_is_type(v, json_type_array)) {
			set_error(e, 200, "GET %s: the response has no \"value\" array", next);
			return -EBADMSG;
		}
		for (size_t i = 0; i < json_object_array_length(v); i++)
			json_object_array_add(all, json_object_get(json_object_array_get_idx(v, i)));
		const char *nl = json_get_string(o, "nextLink");
		free(next);
		next = NULL;
		if (!isempty(nl)) {
			/* nextLink carries its own api-version and skip token. */
			next = strdup(nl);
			api = NULL;
			if (!next)
				return -ENOMEM;
		}
	}
	*ret = TAKE_PTR(all);
	return 0;
}

static usec_t retry_after_of(const HttpResponse *r)
{
	return r->has_retry_after ? MIN(r->retry_after, 120 * USEC_PER_SEC) : ARM_DEFAULT_POLL;
}

int arm_request_lro(ArmClient *c, const char *method, const char *path, const char *api_version,
		    json_object *body, bool wait, usec_t timeout, json_object **ret, ArmError *e)
{
	HttpResponse resp = {};
	_cleanup_json_ json_object *first = NULL;
	int r;

	*ret = NULL;
	r = arm_request(c, method, path, api_version, body, &first, &resp, e);
	if (r < 0)
		return r;
	_cleanup_free_ char *async = NULL, *location = NULL;
	const char *h;
	if ((h = http_response_header(&resp, "azure-asyncoperation")))
		async = strdup(h);
	if ((h = http_response_header(&resp, "location")))
		location = strdup(h);
	long status = resp.status;
	usec_t delay = retry_after_of(&resp);
	http_response_done(&resp);

	if ((status != 201 && status != 202) || (!async && !location) || !wait) {
		*ret = TAKE_PTR(first);
		return 0;
	}
	usec_t waited = 0;
	for (;;) {
		if (waited + delay > timeout) {
			set_error(e, 0, "%s %s: the operation did not finish within %llu s", method,
				  path, (unsigned long long)(timeout / USEC_PER_SEC));
			return -ETIMEDOUT;
		}
		client_sleep(c, delay);
		waited += delay;
		_cleanup_json_ json_object *o = NULL;
		HttpResponse pr = {};
		r = arm_request(c, "GET", async ? async : location, NULL, NULL, &o, &pr, e);
		if (r < 0)
			return r;
		delay = retry_after_of(&pr);
		long ps = pr.status;
		http_response_done(&pr);
		if (async) {
			const char *st = json_get_string(o, "status");
			if (!st) {
				set_error(e, ps, "%s: the operation status has no \"status\"", async);
				return -EBADMSG;
			}
			if (streq(st, "Succeeded"))
				break;
			if (streq(st, "Failed") || streq(st, "Canceled")) {
				json_object *err = json_get_path(o, "error");
				if (e) {
					free(e->code);
					e->code = strdup(json_get_string(err, "code") ?: st);
				}
				set_error(e, ps, "The operation %s: %s", st,
					  strempty(json_get_string(err, "message")));
				return -EIO;
			}
		} else if (ps != 202) {
			*ret = TAKE_PTR(o);
			return 0;
		}
	}
	/* A PUT or PATCH that finished: the resource as it is now. */
	if (streq(method, "PUT") || streq(method, "PATCH"))
		return arm_request(c, "GET", path, api_version, NULL, ret, NULL, e);
	return 0;
}

/* ---- ids ---------------------------------------------------------------- */

int arm_parse_id(const char *id, char **subscription, char **group, char **provider_ns,
		 char **type, char **name)
{
	_cleanup_strv_free_ char **seg = NULL;
	int r;

	if (!id || id[0] != '/')
		return -EINVAL;
	r = strv_split(id, "/", &seg);
	if (r < 0)
		return r;
	size_t n = strv_length(seg);
	if (n < 2 || !strcaseeq(seg[0], "subscriptions"))
		return -EINVAL;
	if (n > 2 && (n < 4 || !strcaseeq(seg[2], "resourceGroups")))
		return -EINVAL;
	if (n > 4 && (n < 8 || !strcaseeq(seg[4], "providers") || n % 2 != 0))
		return -EINVAL;
	char *out[5] = {};
	out[0] = strdup(seg[1]);
	out[1] = n >= 4 ? strdup(seg[3]) : NULL;
	out[2] = n >= 8 ? strdup(seg[5]) : NULL;
	if (n >= 8) {
		/* Nested types: NS/t1/n1/t2/n2 -> type "t1/t2", name "n1/n2". */
		StrBuf t = {}, nm = {};
		for (size_t i = 6; i + 1 < n; i += 2) {
			strbuf_printf(&t, "%s%s", i > 6 ? "/" : "", seg[i]);
			strbuf_printf(&nm, "%s%s", i > 6 ? "/" : "", seg[i + 1]);
		}
		out[3] = strbuf_steal(&t);
		out[4] = strbuf_steal(&nm);
	}
	char **dst[5] = {subscription, group, provider_ns, type, name};
	for (size_t i = 0; i < 5; i++) {
		if (dst[i])
			*dst[i] = out[i];
		else
			free(out[i]);
	}
	return 0;
}
