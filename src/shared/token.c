/* SPDX-License-Identifier: MIT */
#include "token.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "json-util.h"
#include "log.h"
#include "macros.h"
#include "strutil.h"

#define CACHE_FILE_MAX (1024u * 1024)
#define MIN_REFRESH_MARGIN 300 /* seconds */

struct TokenCache {
	ImdsClient *imds;
	char *path;
	Token **tokens; /* stable: callers hold borrowed pointers */
	size_t n;
	time_t (*now)(void *);
	void *now_userdata;
};

void token_done(Token *t)
{
	if (!t)
		return;
	if (t->access_token) {
		explicit_bzero(t->access_token, strlen(t->access_token));
		free(t->access_token);
	}
	free(t->resource);
	free(t->client_id);
	free(t->token_type);
	*t = (Token){0};
}

static time_t default_now(void *userdata)
{
	return time(NULL);
}

static time_t cache_now(const TokenCache *c)
{
	return c->now(c->now_userdata);
}

void token_cache_set_clock(TokenCache *c, time_t (*now)(void *), void *userdata)
{
	c->now = now ? now : default_now;
	c->now_userdata = userdata;
}

/* IMDS sends every number as a string; accept integers too. */
static int get_time_field(json_object *o, const char *key, bool required, time_t *ret, char *err,
			  size_t errlen)
{
	json_object *v;
	unsigned long long n;

	if (!json_object_object_get_ex(o, key, &v)) {
		if (!required) {
			*ret = 0;
			return 0;
		}
		snprintf(err, errlen, "token response has no %s", key);
		return -EBADMSG;
	}
	if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0) {
		*ret = (time_t)json_object_get_int64(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_string) &&
	    safe_atou64(json_object_get_string(v), &n) == 0 && n < (1ULL << 40)) {
		*ret = (time_t)n;
		return 0;
	}
	snprintf(err, errlen, "token response field %s is not a number", key);
	return -EBADMSG;
}

static int token_from_json(json_object *o, Token *t, char *err, size_t errlen)
{
	const char *at = json_get_string(o, "access_token");
	const char *type = json_get_string(o, "token_type");
	const char *res = json_get_string(o, "resource");
	int r;

	*t = (Token){0};
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "token response is not a JSON object");
		return -EBADMSG;
	}
	if (isempty(at)) {
		snprintf(err, errlen, "token response has no access_token");
		return -EBADMSG;
	}
	if (has_control_chars(at) || strchr(at, ' ')) {
		snprintf(err, errlen, "token response access_token has invalid characters");
		return -EBADMSG;
	}
	if ((r = get_time_field(o, "expires_on", true, &t->expires_on, err, errlen)) < 0 ||
	    (r = get_time_field(o, "not_before", false, &t->not_before, err, errlen)) < 0 ||
	    (r = get_time_field(o, "obtained_at", false, &t->obtained_at, err, errlen)) < 0)
		return r;
	t->access_token = strdup(at);
	t->token_type = strdup(type ? type : "Bearer");
	t->resource = res ? strdup(res) : NULL;
	if (!t->access_token || !t->token_type || (res && !t->resource)) {
		token_done(t);
		return -ENOMEM;
	}
	return 0;
}

int token_parse(const char *json, size_t len, Token *ret, char *err, size_t errlen)
{
	_cleanup_json_ json_object *o = NULL;
	char perr[256];
	int r = json_parse_strict(json, len, &o, perr, sizeof(perr));
	if (r < 0) {
		snprintf(err, errlen, "token response is not valid JSON: %s", perr);
		return r;
	}
	return token_from_json(o, ret, err, errlen);
}

static bool same_key(const Token *t, const char *resource, const char *client_id)
{
	return t->resource && streq(t->resource, resource) &&
	       ((!t->client_id && !client_id) ||
		(t->client_id && client_id && streq(t->client_id, client_id)));
}

static time_t refresh_margin(const Token *t)
{
	time_t lifetime =
	    t->obtained_at && t->expires_on > t->obtained_at ? t->expires_on - t->obtained_at : 0;
	return MAX((time_t)MIN_REFRESH_MARGIN, lifetime / 5);
}

static int cache_save(TokenCache *c)
{
	if (!c->path)
		return 0;
	_cleanup_json_ json_object *root = json_object_new_object();
	json_object *arr = json_object_new_array();
	if (!root || !arr) {
		json_object_put(arr);
		return -ENOMEM;
	}
	json_object_object_add(root, "tokens", arr);
	for (size_t i = 0; i < c->n; i++) {
		Token *t = c->tokens[i];
		json_object *o = json_object_new_object();
		if (!o)
			return -ENOMEM;
		json_object_object_add(o, "resource", json_object_new_string(t->resource));
		if (t->client_id)
			json_object_object_add(o, "client_id",
					       json_object_new_string(t->client_id));
		json_object_object_add(o, "access_token", json_object_new_string(t->access_token));
		json_object_object_add(o, "token_type", json_object_new_string(t->token_type));
		json_object_object_add(o, "expires_on", json_object_new_int64(t->expires_on));
		json_object_object_add(o, "not_before", json_object_new_int64(t->not_before));
		json_object_object_add(o, "obtained_at", json_object_new_int64(t->obtained_at));
		json_object_array_add(arr, o);
	}
	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	int r = write_file_atomic(c->path, s, strlen(s), 0600);
	/* json-c's serialisation buffer held tokens: wipe it. */
	explicit_bzero((char *)s, strlen(s));
	if (r < 0)
		log_warning_errno(r, "Cannot write token cache %s: %m", c->path);
	return r;
}

/* Takes ownership of *t (cleared on failure too). */
static int cache_append(TokenCache *c, Token *t)
{
	Token *copy = malloc(sizeof(Token));
	Token **nt = copy ? realloc(c->tokens, (c->n + 1) * sizeof(Token *)) : NULL;
	if (!nt) {
		free(copy);
		token_done(t);
		return -ENOMEM;
	}
	*copy = *t;
	*t = (Token){0};
	c->tokens = nt;
	c->tokens[c->n++] = copy;
	return 0;
}

static void cache_load(TokenCache *c)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ json_object *root = NULL;
	char err[256];
	size_t len;
	int r;

	r = read_full_file(c->path, CACHE_FILE_MAX, &text, &len);
	if (r == -ENOENT)
		return;
	if (r < 0) {
		log_warning_errno(r, "Ignoring token cache %s: %m", c->path);
		return;
	}
	r = json_parse_strict(text, len, &root, err, sizeof(err));
	explicit_bzero(text, len);
	json_object *arr = r >= 0 ? json_get_path(root, "tokens") : NULL;
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		log_warning("Ignoring corrupt token cache %s: %s", c->path,
			    r < 0 ? err : "no tokens array");
		return;
	}
	size_t n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		Token t;
		if (token_from_json(o, &t, err, sizeof(err)) < 0 || !t.resource) {
			log_warning("Ignoring token cache entry %zu in %s: %s", i, c->path, err);
			token_done(&t);
			continue;
		}
		const char *cid = json_get_string(o, "client_id");
		if (cid && !(t.client_id = strdup(cid))) {
			token_done(&t);
			return;
		}
		if (cache_append(c, &t) < 0)
			return;
	}
}

int token_cache_new(ImdsClient *imds, const char *cache_path, TokenCache **ret)
{
	TokenCache *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->imds = imds;
	c->now = default_now;
	if (cache_path && !(c->path = strdup(cache_path))) {
		free(c);
		return -ENOMEM;
	}
	if (c->path)
		cache_load(c);
	*ret = c;
	return 0;
}

void token_cache_free(TokenCache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		token_done(c->tokens[i]);
		free(c->tokens[i]);
	}
	free(c->tokens);
	free(c->path);
	free(c);
}

void token_cache_invalidate(TokenCache *c, const char *resource, const char *client_id)
{
	for (size_t i = 0; i < c->n; i++)
		if (same_key(c->tokens[i], resource, client_id))
			c->tokens[i]->expires_on = 0;
}

int token_cache_get(TokenCache *c, const char *resource, const char *client_id, const Token **ret,
		    char *err, size_t errlen)
{
	Token *cached = NULL;
	time_t now = cache_now(c);
	int r;

	for (size_t i = 0; i < c->n; i++)
		if (same_key(c->tokens[i], resource, client_id))
			cached = c->tokens[i];
	if (cached && cached->expires_on - now > refresh_margin(cached)) {
		*ret = cached;
		return 0;
	}

	_cleanup_json_ json_object *o = NULL;
	Token fresh;
	r = imds_get_token(c->imds, resource, client_id, &o, err, errlen);
	if (r >= 0)
		r = token_from_json(o, &fresh, err, errlen);
	if (r < 0) {
		if (cached && cached->expires_on > now) {
			log_warning(
			    "Refreshing the token for %s failed (%s); using the cached one, "
			    "valid for %lld more seconds",
			    resource, err, (long long)(cached->expires_on - now));
			*ret = cached;
			return 0;
		}
		return r;
	}
	fresh.obtained_at = now;
	free(fresh.resource);
	fresh.resource = strdup(resource);
	fresh.client_id = client_id ? strdup(client_id) : NULL;
	if (!fresh.resource || (client_id && !fresh.client_id)) {
		token_done(&fresh);
		return -ENOMEM;
	}
	if (fresh.expires_on <= now) {
		snprintf(err, errlen, "IMDS returned a token for %s that has already expired",
			 resource);
		token_done(&fresh);
		return -EBADMSG;
	}
	if (cached) {
		token_done(cached);
		*cached = fresh;
	} else {
		r = cache_append(c, &fresh);
		if (r < 0)
			return r;
		cached = c->tokens[c->n - 1];
	}
	(void)cache_save(c);
	log_debug("Obtained a token for %s, expires in %lld s", resource,
		  (long long)(cached->expires_on - now));
	*ret = cached;
	return 0;
}
