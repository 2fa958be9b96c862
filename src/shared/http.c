/* SPDX-License-Identifier: MIT */
#include "http.h"
#include "curl-dl.h"
#include "http-plain.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "macros.h"
#include "random-util.h"
#include "strutil.h"

#define DEFAULT_CONNECT_TIMEOUT (5 * USEC_PER_SEC)
#define DEFAULT_TIMEOUT (30 * USEC_PER_SEC)
#define DEFAULT_BASE_DELAY (500 * USEC_PER_MSEC)
#define DEFAULT_MAX_DELAY (8 * USEC_PER_SEC)
#define DEFAULT_MAX_RETRY_AFTER (120 * USEC_PER_SEC)

static const long default_retry_statuses[] = {404, 408, 410, 429, 500, 502, 503, 504, 0};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_result;

static void global_init_once(void)
{
	global_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int http_global_init(void)
{
	pthread_once(&global_once, global_init_once);
	return global_result == CURLE_OK ? 0 : -EIO;
}

void http_response_done(HttpResponse *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->content_type);
	free(r->error);
	strv_free(r->headers);
	*r = (HttpResponse){0};
}

const char *http_response_header(const HttpResponse *r, const char *name)
{
	size_t n = strlen(name);
	for (char **h = r->headers; h && *h; h++)
		if (strncasecmp(*h, name, n) == 0 && (*h)[n] == ':') {
			const char *v = *h + n + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			return v;
		}
	return NULL;
}

char *http_url_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	char *out = malloc(3 * n + 1), *o = out;
	if (!out)
		return NULL;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		    (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' || *c == '_' || *c == '~')
			*o++ = (char)*c;
		else {
			*o++ = '%';
			*o++ = hex[*c >> 4];
			*o++ = hex[*c & 15];
		}
	}
	*o = '\0';
	return out;
}

static bool host_is_proxy_exempt(char *h)
{
	struct in_addr a4;
	struct in6_addr a6;
	size_t n = strlen(h);

	if (n > 2 && h[0] == '[' && h[n - 1] == ']') {
		h[n - 1] = '\0';
		h++;
	}
	if (strcasecmp(h, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, h, &a4) == 1) {
		uint32_t ip = ntohl(a4.s_addr);
		return (ip >> 24) == 127 ||    /* loopback */
		       (ip >> 16) == 0xa9fe || /* 169.254.0.0/16: IMDS */
		       ip == 0xa83f8110;       /* 168.63.129.16: wireserver */
	}
	if (inet_pton(AF_INET6, h, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) || IN6_IS_ADDR_LINKLOCAL(&a6);
	return false;
}

bool http_url_is_proxy_exempt(const char *url)
{
	HttpUrl pu;
	int r = http_url_parse(url, &pu);
	if (r == 0)
		return host_is_proxy_exempt(pu.host);
	if (r != -EOPNOTSUPP)
		return false;

	/* What the small parser leaves alone, libcurl's parser decides. */
	CURLU *u = curl_url();
	char *host = NULL;
	bool exempt = false;

	if (!u)
		return false;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		exempt = host_is_proxy_exempt(host);
	curl_free(host);
	curl_url_cleanup(u);
	return exempt;
}

/* 1: a route exists, 0: not yet, <0: an error that waiting does not cure. */
static int route_exists(const struct addrinfo *ai)
{
	_cleanup_close_ int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 1;
	if (errno == ENETUNREACH || errno == EHOSTUNREACH || errno == EADDRNOTAVAIL)
		return 0;
	return -errno;
}

/* host: a numeric address, or a name (not waited for). */
static int route_wait(const char *host, const char *port, usec_t timeout, usec_t *waited)
{
	struct addrinfo *ai = NULL;
	struct addrinfo hints = {
	    .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	    .ai_socktype = SOCK_DGRAM,
	};
	int r;

	/* A name: resolving it needs the network anyway; the request's retries wait. */
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return 0;
	usec_t start = now_usec(CLOCK_MONOTONIC);
	for (;;) {
		r = route_exists(ai);
		usec_t spent = now_usec(CLOCK_MONOTONIC) - start;
		if (waited)
			*waited = spent;
		if (r != 0)
			break;
		if (spent >= timeout) {
			r = -ENETUNREACH;
			break;
		}
		sleep_usec(MIN(50 * USEC_PER_MSEC, timeout - spent));
	}
	freeaddrinfo(ai);
	return r > 0 ? 0 : r;
}

int http_wait_for_route(const char *url, usec_t timeout, usec_t *waited)
{
	HttpUrl pu;
	int r;

	if (waited)
		*waited = 0;
	r = http_url_parse(url, &pu);
	if (r == -EINVAL)
		return r;
	if (r == 0) {
		char port[8];
		snprintf(port, sizeof(port), "%u", pu.port);
		return route_wait(pu.host, port, timeout, waited);
	}

	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
		r = -EINVAL;
	else {
		char *h = host;
		size_t n = strlen(h);
		if (n > 2 && h[0] == '[' && h[n - 1] == ']') {
			h[n - 1] = '\0';
			h++;
		}
		r = route_wait(h, port, timeout, waited);
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return r;
}

bool http_headers_name(const char *const *headers, const char *name, size_t len)
{
	for (const char *const *h = headers; h && *h; h++)
		if (strncasecmp(*h, name, len) == 0 && ((*h)[len] == ':' || (*h)[len] == ';'))
			return true;
	return false;
}

const char **http_headers_merge(const char *const *defaults, size_t n, const char *const *extra)
{
	size_t ne = 0, k = 0;
	while (extra && extra[ne])
		ne++;
	const char **all = calloc(n + ne + 1, sizeof(char *));
	if (!all)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (defaults[i] && !http_headers_name(extra, defaults[i], strcspn(defaults[i], ":")))
			all[k++] = defaults[i];
	for (size_t i = 0; i < ne; i++)
		all[k++] = extra[i];
	return all;
}

static int name_index(const char *const *names, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(names[i]) == len && strncmp(names[i], s, len) == 0)
			return (int)i;
	return -1;
}

/*
 * An HTTP-date (RFC 9110 5.6.7) in any of its three forms, without the
 * locale or libcurl: IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850
 * "Sunday, 06-Nov-94 08:49:37 GMT" (a two-digit year more than 50 years
 * ahead of now is in the past century) and asctime "Sun Nov  6 08:49:37 1994".
 */
int http_parse_date(const char *s, time_t now, time_t *ret)
{
	static const char *const wkday[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const weekday[] = {"Sunday",	  "Monday", "Tuesday", "Wednesday",
					      "Thursday", "Friday", "Saturday"};
	static const char *const month[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char mon[4] = "";
	int day = 0, year = 0, h = 0, m = 0, sec = 0, end = -1;
	size_t wl = strcspn(s, ", ");
	bool y2 = false;

	if (s[wl] == ',' && name_index(wkday, ELEMENTSOF(wkday), s, wl) >= 0) {
		if (sscanf(s + wl, ", %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n", &day, mon, &year, &h, &m,
			   &sec, &end) != 6 ||
		    s[wl + 2] == ' ')
			end = -1;
	} else if (s[wl] == ',' && name_index(weekday, ELEMENTSOF(weekday), s, wl) >= 0) {
		if (sscanf(s + wl, ", %2d-%3[A-Za-z]-%2d %2d:%2d:%2d GMT%n", &day, mon, &year, &h, &m,
			   &sec, &end) != 6)
			end = -1;
		y2 = true;
	} else if (s[wl] == ' ' && name_index(wkday, ELEMENTSOF(wkday), s, wl) >= 0) {
		if (sscanf(s + wl, " %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", mon, &day, &h, &m, &sec, &year,
			   &end) != 6)
			end = -1;
	}
	int mi = name_index(month, ELEMENTSOF(month), mon, strlen(mon));
	if (end < 0 || s[wl + (size_t)end] != '\0' || mi < 0 || day < 1 || day > 31 || h > 23 ||
	    m > 59 || sec > 60 || year < 0)
		return -EINVAL;
	if (y2) {
		struct tm nt;
		gmtime_r(&now, &nt);
		int cur = nt.tm_year + 1900;
		year += cur - cur % 100;
		if (year > cur + 50)
			year -= 100;
	}
	struct tm tm = {.tm_year = year - 1900, .tm_mon = mi, .tm_mday = day, .tm_hour = h,
			.tm_min = m, .tm_sec = sec};
	time_t t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != day)
		return -EINVAL;
	*ret = t;
	return 0;
}

int http_parse_retry_after(const char *value, time_t now_realtime, usec_t *ret)
{
	_cleanup_free_ char *v = NULL;
	unsigned long long secs;

	if (!value)
		return -EINVAL;
	v = strdup(value);
	if (!v)
		return -ENOMEM;
	strstrip(v);
	if (!*v)
		return -EINVAL;
	if (isdigit((unsigned char)v[0])) {
		if (safe_atou64(v, &secs) < 0)
			return -EINVAL;
		/* Anything beyond a day is nonsense; the caller caps it further. */
		if (secs > 86400)
			secs = 86400;
		*ret = (usec_t)secs * USEC_PER_SEC;
		return 0;
	}
	time_t t;
	if (http_parse_date(v, now_realtime, &t) < 0)
		return -EINVAL;
	*ret = t > now_realtime ? (usec_t)(t - now_realtime) * USEC_PER_SEC : 0;
	return 0;
}

typedef struct Transfer {
	HttpResponse *resp;
	StrBuf body;
	size_t cap;
	bool too_big;
	char **headers;
	size_t n_headers;
} Transfer;

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	Transfer *t = userdata;
	size_t n = size * nmemb;

	if (t->body.len + n > t->cap) {
		t->too_big = true;
		return 0; /* makes curl fail with CURLE_WRITE_ERROR */
	}
	if (strbuf_append(&t->body, data, n) < 0)
		return 0;
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	Transfer *t = userdata;
	size_t n = size * nmemb;

	/* A new status line (after 100 Continue or a redirect) starts a new header set. */
	if (n >= 5 && strneq(data, "HTTP/", 5)) {
		strv_free(t->headers);
		t->headers = NULL;
		t->n_headers = 0;
		return n;
	}
	const char *colon = memchr(data, ':', n);
	if (!colon || t->n_headers >= HTTP_MAX_HEADER_LINES)
		return n;
	char *line = strndup(data, n);
	if (!line)
		return 0;
	/* drop CR LF, lower-case the name */
	line[strcspn(line, "\r\n")] = '\0';
	for (char *p = line; *p && *p != ':'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (strv_push(&t->headers, line) < 0)
		return 0;
	t->n_headers++;
	return n;
}

static int curl_to_errno(CURLcode c, bool too_big, long os_errno)
{
	switch (c) {
	case CURLE_OK:
		return 0;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		return os_errno == EHOSTUNREACH || os_errno == ENETUNREACH ? -EHOSTUNREACH
									   : -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return -ECONNRESET;
	case CURLE_WRITE_ERROR:
		return too_big ? -EFBIG : -EIO;
	case CURLE_FILESIZE_EXCEEDED:
		return -EFBIG;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_BAD_CONTENT_ENCODING:
		return -EPROTO;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		return -EKEYREJECTED;
	case CURLE_URL_MALFORMAT:
		return -EINVAL;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

int http_response_fill(HttpResponse *r, long status, StrBuf *body, char ***headers)
{
	r->status = status;
	r->body_len = body->len;
	r->body = strbuf_steal(body);
	if (!r->body)
		return -ENOMEM;
	r->headers = TAKE_PTR(*headers);
	if (!r->headers && !(r->headers = calloc(1, sizeof(char *))))
		return -ENOMEM;
	const char *ct = http_response_header(r, "content-type");
	if (ct && !(r->content_type = strdup(ct)))
		return -ENOMEM;
	const char *ra = http_response_header(r, "retry-after");
	if (ra && http_parse_retry_after(ra, time(NULL), &r->retry_after) == 0)
		r->has_retry_after = true;
	return 0;
}

static int curl_send(const HttpRequest *req, HttpResponse *r)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	Transfer t = {.resp = r};
	CURL *c = NULL;
	int ret;

	*r = (HttpResponse){0};
	if (!req->url)
		return -EINVAL;
	ret = http_global_init();
	if (ret < 0) {
		const char *why = curl_dl_error();
		r->error = strdup(why ? why : "curl_global_init() failed");
		return ret;
	}
	t.cap = req->max_response ? req->max_response : HTTP_DEFAULT_MAX_RESPONSE;

	c = curl_easy_init();
	if (!c)
		return -ENOMEM;

	usec_t cto = req->connect_timeout ? req->connect_timeout : DEFAULT_CONNECT_TIMEOUT;
	usec_t to = req->timeout ? req->timeout : DEFAULT_TIMEOUT;
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)MAX(cto / USEC_PER_MSEC, 1));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)MAX(to / USEC_PER_MSEC, 1));
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t.cap);
	const char *ca = http_ca_bundle();
	if (ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	if (http_url_is_proxy_exempt(req->url))
		curl_easy_setopt(c, CURLOPT_PROXY, "");

	const char *method = req->method ? req->method : "GET";
	if (req->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		if (!streq(method, "POST"))
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	} else if (streq(method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (!streq(method, "GET"))
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);

	for (const char *const *h = req->headers; h && *h; h++) {
		struct curl_slist *n = curl_slist_append(hdrs, *h);
		if (!n) {
			ret = -ENOMEM;
			goto out;
		}
		hdrs = n;
	}
	/* No "Expect: 100-continue" round trip for bodies; small endpoints do not answer it. */
	struct curl_slist *n = curl_slist_append(hdrs, "Expect:");
	if (!n) {
		ret = -ENOMEM;
		goto out;
	}
	hdrs = n;
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

	CURLcode cc = curl_easy_perform(c);
	long os_errno = 0;
	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
	ret = curl_to_errno(cc, t.too_big, os_errno);
	if (ret < 0) {
		char msg[CURL_ERROR_SIZE + 128];
		if (ret == -EFBIG)
			snprintf(msg, sizeof(msg), "response larger than %zu bytes", t.cap);
		else
			snprintf(msg, sizeof(msg), "%s", *errbuf ? errbuf : curl_easy_strerror(cc));
		r->error = strdup(msg);
		goto out;
	}

	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	ret = http_response_fill(r, status, &t.body, &t.headers);
	if (ret < 0)
		goto out;
	ret = 0;
out:
	strbuf_free(&t.body);
	strv_free(t.headers);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	if (ret < 0 && !r->error)
		r->error = strdup(strerror(-ret));
	return ret;
}

int http_send(const HttpRequest *req, HttpResponse *r)
{
	HttpUrl u;

	*r = (HttpResponse){0};
	if (!req->url)
		return -EINVAL;
	int w = http_plain_wanted(req->url, &u);
	if (w < 0) {
		r->error = strdup("malformed URL");
		return w;
	}
	if (w > 0)
		return http_plain_send(req, &u, r);
	return curl_send(req, r);
}

usec_t http_backoff_delay(const HttpRetryPolicy *p, unsigned attempt)
{
	usec_t base = p && p->base_delay ? p->base_delay : DEFAULT_BASE_DELAY;
	usec_t max = p && p->max_delay ? p->max_delay : DEFAULT_MAX_DELAY;
	usec_t d = base;

	for (unsigned i = 1; i < attempt && d < max; i++)
		d *= 2;
	d = MIN(d, max);
	/* Full jitter in the upper half: spreads clients out, keeps a floor. */
	return d / 2 + random_below(d / 2 + 1);
}

static bool status_is_retried(const HttpRetryPolicy *p, long status)
{
	const long *l = p && p->retry_statuses ? p->retry_statuses : default_retry_statuses;
	for (; *l; l++)
		if (*l == status)
			return true;
	return false;
}

static bool errno_is_transient(int r)
{
	return r == -ETIMEDOUT || r == -ECONNREFUSED || r == -ECONNRESET || r == -EHOSTUNREACH ||
	       r == -EPROTO || r == -EIO;
}

/* The URL without its query, which may carry tokens or resource names. */
static void url_for_log(const char *url, char *buf, size_t len)
{
	snprintf(buf, len, "%.*s", (int)strcspn(url, "?"), url);
}

/* Less than this left of a retry budget is no time for one more attempt. */
#define MIN_ATTEMPT_TIME (200 * USEC_PER_MSEC)

int http_send_retry(const HttpRequest *req, const HttpRetryPolicy *policy, HttpResponse *r)
{
	usec_t start = now_usec(CLOCK_MONOTONIC);
	usec_t max_ra =
	    policy && policy->max_retry_after ? policy->max_retry_after : DEFAULT_MAX_RETRY_AFTER;
	usec_t budget = policy ? policy->budget : 0;
	char where[512];
	int ret = 0;

	url_for_log(req->url, where, sizeof(where));
	*r = (HttpResponse){0};
	for (unsigned attempt = 1;; attempt++) {
		HttpRequest one = *req;
		usec_t elapsed = now_usec(CLOCK_MONOTONIC) - start;

		/*
		 * Never let one attempt run past the budget, and start none that
		 * the budget leaves too little time to finish (a sleep that
		 * overran): the last answer is worth more than a sure timeout.
		 */
		if (budget && attempt > 1 && elapsed + MIN_ATTEMPT_TIME > budget) {
			log_notice("%s: not retrying: the %.0f s budget is spent", where,
				   (double)budget / USEC_PER_SEC);
			return ret;
		}
		if (budget) {
			usec_t left = budget > elapsed ? budget - elapsed : 1;
			usec_t to = one.timeout ? one.timeout : DEFAULT_TIMEOUT;
			one.timeout = MIN(to, left);
		}
		http_response_done(r);
		ret = http_send(&one, r);
		r->attempts = attempt;

		bool retry;
		char why[96];
		if (ret < 0) {
			retry = errno_is_transient(ret);
			snprintf(why, sizeof(why), "%s", r->error ? r->error : strerror(-ret));
		} else if (status_is_retried(policy, r->status)) {
			retry = true;
			snprintf(why, sizeof(why), "HTTP %ld", r->status);
		} else if (r->status >= 200 && r->status < 300 && policy && policy->check) {
			retry = policy->check(r, policy->userdata) == HTTP_RETRY;
			snprintf(why, sizeof(why), "HTTP %ld with an unusable body", r->status);
		} else
			retry = false;
		if (!retry)
			return ret;
		if (policy && policy->max_attempts && attempt >= policy->max_attempts)
			return ret;

		usec_t delay = ret >= 0 && r->has_retry_after ? MIN(r->retry_after, max_ra)
							      : http_backoff_delay(policy, attempt);
		elapsed = now_usec(CLOCK_MONOTONIC) - start;
		if (budget && elapsed + delay + MIN_ATTEMPT_TIME >= budget) {
			log_notice("%s: %s, not retrying: the %.0f s budget would be exceeded",
				   where, why, (double)budget / USEC_PER_SEC);
			return ret;
		}
		log_notice("%s: %s, retrying in %.1f s (attempt %u)", where, why,
			   (double)delay / USEC_PER_SEC, attempt + 1);
		if (policy && policy->sleep)
			policy->sleep(delay, policy->userdata);
		else
			sleep_usec(delay);
	}
}
