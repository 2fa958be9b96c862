/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <time.h>

#include "http.h"
#include "macros.h"

/*
 * An Azure Resource Manager client: bearer tokens from a managed identity
 * (IMDS), a service principal's client secret or certificate (the identity
 * platform's client-credentials flow, the certificate signing a client
 * assertion), a user's refresh token (the Azure CLI's MSAL cache) or a
 * token handed in (the same cache),
 * cached per resource in a 0600 file and refreshed 5 minutes before they
 * expire; requests with an api-version, x-ms-client-request-id and
 * x-ms-correlation-request-id; bounded retries of 429/5xx that honour
 * Retry-After; paging through nextLink; long-running operations polled
 * through Azure-AsyncOperation or Location. Every endpoint is configurable.
 */

#define ARM_DEFAULT_URL "https://management.azure.com"
#define ARM_DEFAULT_AUTHORITY "https://login.microsoftonline.com"
#define ARM_DEFAULT_RESOURCE "https://management.azure.com/"

typedef enum ArmAuthKind {
	ARM_AUTH_NONE,
	ARM_AUTH_IDENTITY, /* managed identity through IMDS */
	ARM_AUTH_SECRET,   /* service principal with a client secret */
	ARM_AUTH_TOKEN,	   /* a bearer token given as is */
	ARM_AUTH_CERTIFICATE, /* service principal with a certificate */
	ARM_AUTH_REFRESH,     /* a public client's refresh token (the Azure CLI's user login) */
} ArmAuthKind;

typedef struct ArmAuth {
	ArmAuthKind kind;
	char *client_id; /* identity: user-assigned client id (NULL: system-assigned);
			    secret, certificate: app id; refresh: the public client's id */
	char *tenant;	 /* secret, certificate, refresh */
	char *secret;	 /* secret: never logged */
	char *token;	 /* token: never logged */
	char *certificate;   /* certificate: PEM file with the private key and the certificate */
	char *refresh_token; /* refresh: never logged */
	char *account;	     /* refresh: whose token (MSAL's home_account_id), for the cache */
	time_t token_expires_on;
} ArmAuth;

void arm_auth_done(ArmAuth *a);

typedef struct ArmEndpoints {
	const char *arm;       /* NULL: ARM_DEFAULT_URL */
	const char *authority; /* NULL: ARM_DEFAULT_AUTHORITY */
	const char *imds;      /* NULL: IMDS_DEFAULT_URL */
	const char *resource;  /* token audience; NULL: ARM_DEFAULT_RESOURCE */
} ArmEndpoints;

/* What went wrong, for the user: ARM's error code and message, and the ids support asks for. */
typedef struct ArmError {
	long status; /* HTTP status; 0 for transport or local errors */
	char *code;  /* ARM's error.code, the identity platform's error, or NULL */
	char *message;
	char *correlation_id;
	char *request_id;
} ArmError;

void arm_error_done(ArmError *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(ArmError *, arm_error_done);

typedef struct ArmClient ArmClient;

/*
 * token_cache_path may be NULL (tokens kept in memory only). user_agent
 * names the caller. The auth is copied.
 */
int arm_client_new(const ArmEndpoints *ep, const ArmAuth *auth, const char *token_cache_path,
		   const char *user_agent, ArmClient **ret);
void arm_client_free(ArmClient *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(ArmClient *, arm_client_free);

/* For tests: no sleeping between retries and polls (the waits are still recorded). */
void arm_client_set_sleep(ArmClient *c, void (*sleep)(usec_t usec, void *userdata),
			  void *userdata);
/* Total time the client waited on Retry-After and back-off. */
usec_t arm_client_waited(const ArmClient *c);
/* The correlation id sent with every request of this client. */
const char *arm_client_correlation_id(const ArmClient *c);
const char *arm_client_url(const ArmClient *c);

/*
 * A bearer token for the configured resource, from the cache or fetched.
 * On failure e says which endpoint and why. The token is borrowed. A
 * refresh token the identity platform refuses gives -EKEYREJECTED; a
 * certificate file that cannot be used, -ENOKEY.
 */
int arm_get_token(ArmClient *c, const char **ret, time_t *ret_expires_on, ArmError *e);

/*
 * One ARM request. path_or_url is a path ("/subscriptions/...", optionally
 * with a query) or an absolute URL on the ARM endpoint (a nextLink or an
 * operation URL). api_version is added unless the URL has one (NULL: none).
 * body may be NULL. On 2xx returns 0 with the parsed body (NULL for an empty
 * body) and the response in *ret_resp if not NULL (caller frees). Otherwise
 * a negative errno with e filled: -ENOENT for 404, -EACCES for 401/403,
 * -EBUSY for 409, -EAGAIN for 429 after retries, -EIO for other statuses,
 * transport errors as http_send().
 */
int arm_request(ArmClient *c, const char *method, const char *path_or_url,
		const char *api_version, json_object *body, json_object **ret,
		HttpResponse *ret_resp, ArmError *e);

/*
 * "Name: value" lines sent with every later request of c (NULL clears them).
 * One with the name of a header the client sets (Authorization, Accept,
 * Content-Type, User-Agent, the request ids) replaces it. Returns -ENOMEM.
 */
int arm_client_set_headers(ArmClient *c, char *const *headers);

/* GET a collection and follow nextLink to the end; returns one array. */
int arm_list(ArmClient *c, const char *path, const char *api_version, json_object **ret,
	     ArmError *e);

/*
 * Send a request that may start a long-running operation (201/202 with
 * Azure-AsyncOperation or Location) and, if wait, poll it to its end,
 * honouring Retry-After (default 5 s between polls, bounded by timeout).
 * Returns the final resource or operation result (may be NULL). A Failed or
 * Canceled operation gives -EIO with its error in e.
 */
int arm_request_lro(ArmClient *c, const char *method, const char *path, const char *api_version,
		    json_object *body, bool wait, usec_t timeout, json_object **ret, ArmError *e);

/* Parse ARM's {"error":{"code","message"}} (or the identity platform's) into e. */
void arm_error_from_body(ArmError *e, const char *body, size_t len);

/*
 * Split a resource id into its parts; any out pointer may be NULL. Each
 * returned string is freshly allocated. -EINVAL if it is not a resource id
 * of the form /subscriptions/S[/resourceGroups/G[/providers/NS/TYPE/NAME...]].
 */
int arm_parse_id(const char *id, char **subscription, char **group, char **provider_ns,
		 char **type, char **name);
