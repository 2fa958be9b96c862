/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "time-util.h"

/*
 * HTTP client. One attempt with http_send(); bounded retries with
 * http_send_retry(). Requests to link-local (169.254.0.0/16, fe80::/10),
 * loopback and the wireserver (168.63.129.16) never go through a proxy,
 * whatever http_proxy/HTTPS_PROXY/ALL_PROXY say.
 *
 * Two backends, one contract. Plain http:// requests that no proxy applies
 * to (an exempt host above, or no http_proxy/HTTP_PROXY/all_proxy/ALL_PROXY
 * set, or a no_proxy/NO_PROXY entry naming the host) are sent by a small
 * built-in HTTP/1.1 client, one request per connection, so that talking to
 * IMDS, the wireserver or lazuli-emu does not load libcurl (some 14 ms of
 * dynamic loading and initialisation). Everything else (https://, proxies,
 * URLs the built-in parser leaves alone) goes through libcurl, opened on
 * first use. LAZULI_HTTP_BACKEND=curl in the environment sends every request
 * through libcurl, to compare the two or to work around the built-in one.
 */

#define HTTP_DEFAULT_MAX_RESPONSE (1024u * 1024u)

typedef struct HttpRequest {
	const char *method; /* "GET" when NULL */
	const char *url;
	/* NULL-terminated "Name: value" lines; may be NULL. */
	const char *const *headers;
	const void *body; /* sent with Content-Length when non-NULL */
	size_t body_len;
	usec_t connect_timeout; /* 0: 5 s */
	usec_t timeout;		/* whole transfer; 0: 30 s */
	size_t max_response;	/* cap on body bytes; 0: HTTP_DEFAULT_MAX_RESPONSE */
} HttpRequest;

typedef struct HttpResponse {
	long status; /* 0 if no HTTP response was received */
	char *body;  /* NUL-terminated (NUL not counted), never NULL after success */
	size_t body_len;
	char *content_type;   /* NULL if absent */
	bool has_retry_after; /* a valid Retry-After header was present */
	usec_t retry_after;   /* its value as a delay from now */
	char *error;	      /* on transport failure: what failed, and where */
	unsigned attempts;    /* filled by http_send_retry() */
	/* All response headers as "name: value" (name lower-cased), NULL-terminated. */
	char **headers;
} HttpResponse;

void http_response_done(HttpResponse *r);
/* Case-insensitive header lookup in a response; NULL if absent. */
const char *http_response_header(const HttpResponse *r, const char *name);

/*
 * One attempt. Returns 0 when an HTTP response was received (any status;
 * check r->status), or a negative errno for transport failures:
 * -ETIMEDOUT (connect or transfer timeout), -ECONNREFUSED, -ECONNRESET
 * (connection closed/reset, also a body shorter than Content-Length),
 * -EFBIG (response exceeded max_response), -EHOSTUNREACH, -EPROTO (garbage
 * that is not HTTP), -EKEYREJECTED (the server's TLS certificate is not
 * trusted, or the CA bundle is unreadable; not retried), -EINVAL (bad URL),
 * -ENOMEM. https:// trusts the system's CAs, or the bundle named by
 * REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE or SSL_CERT_FILE (first one set).
 * r->error names the cause for transport failures.
 */
int http_send(const HttpRequest *req, HttpResponse *r);

typedef enum HttpRetryDecision {
	HTTP_DONE,  /* accept this response as final (success or not) */
	HTTP_RETRY, /* transient: try again if the budget allows */
} HttpRetryDecision;

typedef struct HttpRetryPolicy {
	unsigned max_attempts;	/* 0: unlimited (bounded by budget) */
	usec_t budget;		/* total wall time for all attempts and waits; 0: none */
	usec_t base_delay;	/* first back-off; 0: 500 ms */
	usec_t max_delay;	/* cap on one back-off; 0: 8 s */
	usec_t max_retry_after; /* cap on a server's Retry-After; 0: 120 s */
	/* Statuses that are retried; 0-terminated. NULL: 404,408,410,429,500,502,503,504. */
	const long *retry_statuses;
	/* Optional: decide on a 2xx body (e.g. malformed JSON -> retry). */
	HttpRetryDecision (*check)(const HttpResponse *r, void *userdata);
	void *userdata;
	/* For tests: replaces sleep_usec(). */
	void (*sleep)(usec_t usec, void *userdata);
} HttpRetryPolicy;

/*
 * Send with bounded retries: transport errors and retry_statuses are retried
 * with exponential back-off and full jitter (delay = random in
 * [base*2^(n-1)/2, min(max, base*2^(n-1))]), or after the server's
 * Retry-After when one was sent (capped). Never sleeps beyond the budget.
 * Returns 0 with the last response received, or the last transport error.
 * Malformed-body retries sleep like any other retry (no tight loop).
 */
int http_send_retry(const HttpRequest *req, const HttpRetryPolicy *policy, HttpResponse *r);

/* Back-off before attempt number `attempt` (1 = first retry), with jitter. */
usec_t http_backoff_delay(const HttpRetryPolicy *p, unsigned attempt);

/*
 * Does a header line ("Name: value", or libcurl's "Name;" for an empty
 * one) in headers (NULL-terminated, may be NULL) name this header? The
 * name is its first len bytes, compared without case.
 */
bool http_headers_name(const char *const *headers, const char *name, size_t len);

/*
 * The lines of defaults (n of them; NULL entries skipped) whose header extra
 * does not name, then extra's: a caller's header replaces a default of the
 * same name. A new NULL-terminated array of the same strings (free the array
 * only), or NULL when out of memory.
 */
const char **http_headers_merge(const char *const *defaults, size_t n, const char *const *extra);

/*
 * An HTTP-date in any of its three forms (IMF-fixdate, RFC 850, asctime) as
 * epoch seconds; now resolves RFC 850's two-digit years. -EINVAL otherwise.
 */
int http_parse_date(const char *s, time_t now, time_t *ret);

/*
 * Parse a Retry-After value: delta-seconds ("120") or an HTTP-date
 * ("Wed, 21 Oct 2015 07:28:00 GMT", also RFC 850 and asctime forms) relative
 * to now_realtime (seconds since epoch). A date in the past gives 0.
 * Returns 0 and the delay, or -EINVAL.
 */
int http_parse_retry_after(const char *value, time_t now_realtime, usec_t *ret);

/*
 * Percent-encode everything but unreserved characters (A-Z a-z 0-9 - . _ ~),
 * as curl_easy_escape() does, for query values and form fields. Returns a
 * malloc()ed string or NULL.
 */
char *http_url_escape(const char *s);

/* Is this URL's host one that must bypass proxies (see above)? */
bool http_url_is_proxy_exempt(const char *url);

/*
 * Wait until the kernel has a route to the URL's host (a numeric address;
 * a name returns 0 at once), polling every 50 ms for at most `timeout`.
 * Sends nothing: the route is looked up by connect() on a UDP socket.
 * Early boot uses it to wait for the DHCP lease without waiting for the
 * whole system to be "online". Returns 0 with the time waited in
 * *waited (may be NULL), -ENETUNREACH when no route came in time, -EINVAL
 * for a bad URL.
 */
int http_wait_for_route(const char *url, usec_t timeout, usec_t *waited);

/*
 * Keep the TLS sessions of the built-in client in dir, one 0600 file per
 * host, port and CA bundle ("tls-session-HOST:PORT"), and resume them in
 * the next process: a resumed handshake skips the certificate and its
 * checks, which the session's first handshake did. A file that is not the
 * user's own, is readable by others, or does not parse is ignored. NULL (the
 * default): no sessions are kept. The CLI keeps them beside its token cache.
 */
int http_set_tls_session_dir(const char *dir);

/*
 * Initialise libcurl (curl_global_init), which http_send() otherwise does on
 * the first request that needs it. A program that sends https:// or proxied
 * requests from several threads calls it once before starting them; the
 * built-in client needs nothing. Idempotent.
 */
int http_global_init(void);
