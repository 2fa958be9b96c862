/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <time.h>

#include "imds.h"

/*
 * Managed-identity access tokens from IMDS, cached per (resource, client_id)
 * in memory and optionally in a 0600 cache file, refreshed when less than
 * a fifth of its lifetime (at least 5 minutes) remains. Used by
 * lazuli-metrics, the ARM CLI and attestation.
 */

typedef struct Token {
	char *access_token; /* secret: never log */
	char *resource;
	char *client_id; /* NULL for system-assigned */
	char *token_type;
	time_t expires_on; /* epoch seconds */
	time_t not_before;
	time_t obtained_at;
} Token;

typedef struct TokenCache TokenCache;

/* cache_path may be NULL (memory only). The file is created 0600. */
int token_cache_new(ImdsClient *imds, const char *cache_path, TokenCache **ret);
void token_cache_free(TokenCache *c);

/*
 * Returns a borrowed token (valid until token_cache_free(); a refresh updates
 * it in place) good for at least the refresh margin, fetching
 * or refreshing as needed. If a refresh fails but the cached token is still
 * valid (not expired), that token is returned and the failure logged.
 */
int token_cache_get(TokenCache *c, const char *resource, const char *client_id, const Token **ret,
		    char *err, size_t errlen);

/*
 * The service refused the cached token for resource (401: expired early,
 * revoked, clock skew): the next token_cache_get() fetches a new one and
 * never falls back to this one.
 */
void token_cache_invalidate(TokenCache *c, const char *resource, const char *client_id);

/* For tests: override the clock. */
void token_cache_set_clock(TokenCache *c, time_t (*now)(void *), void *userdata);

/* Parse an IMDS token response; exposed for unit tests and fuzzing. */
int token_parse(const char *json, size_t len, Token *ret, char *err, size_t errlen);
void token_done(Token *t);
