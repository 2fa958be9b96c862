/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "http.h"

#define IMDS_DEFAULT_URL "http://169.254.169.254"
#define IMDS_API_VERSION "2023-11-15"
/* The oldest version with osProfile.disablePasswordAuthentication (2020-10-01 added it). */
#define IMDS_FALLBACK_API_VERSION "2021-02-01"

typedef struct ImdsClient {
	char *base_url;			 /* e.g. "http://169.254.169.254" (no trailing slash) */
	char *user_agent;		 /* e.g. "lazuli-init/0.1.0" */
	usec_t request_timeout;		 /* per attempt; 0: 5 s */
	usec_t budget;			 /* total; 0: 300 s */
	HttpRetryPolicy policy_template; /* sleep hook etc. for tests; may be zero */
} ImdsClient;

int imds_client_init(ImdsClient *c, const char *base_url, const char *user_agent);
void imds_client_done(ImdsClient *c);

/*
 * GET {base}{path_and_query} with "Metadata: true", no proxy, the retry
 * policy of spec section 7 (retry 404, 410, 429, 5xx and transport errors
 * with back-off and Retry-After, within budget; fail fast on 400/401/403/405).
 * A 200 body that is not strict JSON is retried (with back-off) and, if the
 * budget runs out, reported as -EBADMSG. err names endpoint, status and body
 * excerpt on failure.
 */
int imds_get_json(ImdsClient *c, const char *path_and_query, json_object **ret, char *err,
		  size_t errlen);

/*
 * GET /metadata/instance?api-version=2023-11-15&extended=true; on a 400
 * (old platform) retries once with IMDS_FALLBACK_API_VERSION (which still has osProfile) without
 * extended.
 */
int imds_get_instance(ImdsClient *c, json_object **ret, char *err, size_t errlen);

/* GET /metadata/identity/oauth2/token with resource and optional client_id. */
int imds_get_token(ImdsClient *c, const char *resource, const char *client_id, json_object **ret,
		   char *err, size_t errlen);
