/* SPDX-License-Identifier: MIT */
/*
 * lazuli-metrics-push: the Azure Monitor half of lazuli-metrics, a process of
 * its own so that the scraping server never loads libcurl and its TLS stack
 * (megabytes of resident memory for a feature that may be off). It posts the
 * spool directory's periods whenever a new one is renamed into it (inotify),
 * and otherwise sleeps. lazuli-metrics starts and stops it.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "config.h"
#include "expo.h"
#include "fileio.h"
#include "gzip.h"
#include "http.h"
#include "imds.h"
#include "json-util.h"
#include "log.h"
#include "macros.h"
#include "metrics-config.h"
#include "monitor.h"
#include "strutil.h"
#include "token.h"

typedef struct Pusher {
	const MetricsConfig *cfg;
	ImdsClient imds;
	TokenCache *tokens;
	char *url; /* {endpoint}{resourceId}/metrics, once known */
	bool push_failing;
} Pusher;



static char *replace_region(const char *tmpl, const char *region)
{
	const char *p = strstr(tmpl, "{region}");
	char *out = NULL;
	if (!p)
		return strdup(tmpl);
	if (asprintf(&out, "%.*s%s%s", (int)(p - tmpl), tmpl, region, p + 8) < 0)
		return NULL;
	return out;
}

/* The VM info series, rendered once, for the server to append to scrapes. */
static void write_vm_info(Pusher *m, json_object *inst)
{
	Expo e = {0};
	char path[4096];
	expo_reset(&e, EXPO_PROMETHEUS);
	expo_family(&e, "lazuli_azure_vm_info", MT_GAUGE,
		    "The Azure VM these metrics are about, from the instance metadata.");
	expo_begin(&e);
	expo_label(&e, "vm_id", strempty(json_get_string(inst, "compute.vmId")));
	expo_label(&e, "vm_size", strempty(json_get_string(inst, "compute.vmSize")));
	expo_label(&e, "region", strempty(json_get_string(inst, "compute.location")));
	expo_label(&e, "resource_id", strempty(json_get_string(inst, "compute.resourceId")));
	expo_end_u64(&e, 1);
	snprintf(path, sizeof(path), "%s/" MONITOR_VM_INFO_FILE, m->cfg->spool_dir);
	if (!expo_failed(&e))
		(void)write_file_atomic(path, e.buf, e.len, 0600);
	expo_done(&e);
}

/*
 * The target: from the configuration, or from IMDS (compute.resourceId and
 * location). The instance metadata is read once for the VM info series too;
 * when the configuration names the target, IMDS failing does not stop the push.
 */
static int resolve_target(Pusher *m)
{
	const char *rid = m->cfg->resource_id, *region = m->cfg->region;
	bool need = isempty(rid) || (isempty(region) && strstr(m->cfg->monitor_endpoint, "{region}"));
	json_object *inst = NULL;
	char err[512] = "";

	if (m->url)
		return 0;
	int r = imds_get_instance(&m->imds, &inst, err, sizeof(err));
	if (r < 0 && need) {
		if (!m->push_failing)
			log_warning("Azure Monitor: cannot learn the VM's resource id and region: %s",
				    err);
		m->push_failing = true;
		return r;
	}
	if (r >= 0)
		write_vm_info(m, inst);
	if (isempty(rid))
		rid = json_get_string(inst, "compute.resourceId");
	if (isempty(region))
		region = json_get_string(inst, "compute.location");
	if (isempty(rid) || !startswith(rid, "/subscriptions/")) {
		log_warning("Azure Monitor: IMDS has no usable compute.resourceId; set "
			    "Monitor.ResourceId=");
		json_object_put(inst);
		m->push_failing = true;
		return -EBADMSG;
	}
	_cleanup_free_ char *base = replace_region(m->cfg->monitor_endpoint, strempty(region));
	if (!base || asprintf(&m->url, "%s%s/metrics", base, rid) < 0) {
		m->url = NULL;
		json_object_put(inst);
		return -ENOMEM;
	}
	json_object_put(inst);
	log_info("Azure Monitor: pushing to %s", m->url);
	return 0;
}

static void drop_file(Pusher *m, const char *name)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", m->cfg->spool_dir, name);
	(void)unlink(p);
}

/*
 * One POST of the batch with the cached (or a new) token, retried as the
 * policy says: http_send_retry()'s result, or 1 when there is no token
 * (logged; the periods stay in the spool).
 */
static int post_with_token(Pusher *m, const void *body, size_t body_len, unsigned periods,
			   const char *client_id, HttpResponse *ret)
{
	static const long retry_statuses[] = {408, 429, 500, 502, 503, 504, 0};
	char err[512] = "", auth[8192];
	const Token *tok = NULL;
	int r;

	*ret = (HttpResponse){0};
	r = token_cache_get(m->tokens, MONITOR_TOKEN_RESOURCE, client_id, &tok, err, sizeof(err));
	if (r < 0) {
		log_warning("Azure Monitor: no token for %s: %s (%u period(s) kept in the spool)",
			    MONITOR_TOKEN_RESOURCE, err, periods);
		return 1;
	}
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok->access_token);
	const char *headers[] = {auth, "Content-Type: application/x-ndjson", "Content-Encoding: gzip",
				 "User-Agent: lazuli-metrics/" LAZULI_VERSION, NULL};
	HttpRequest req = {
	    .method = "POST",
	    .url = m->url,
	    .headers = headers,
	    .body = body,
	    .body_len = body_len,
	    .timeout = m->cfg->request_timeout,
	    .max_response = 64 * 1024,
	};
	HttpRetryPolicy policy = {
	    .max_attempts = m->cfg->max_attempts,
	    .budget = 5 * m->cfg->request_timeout,
	    .base_delay = 500 * USEC_PER_MSEC,
	    .max_delay = 10 * USEC_PER_SEC,
	    .max_retry_after = 60 * USEC_PER_SEC,
	    .retry_statuses = retry_statuses,
	};
	r = http_send_retry(&req, &policy, ret);
	explicit_bzero(auth, sizeof(auth));
	return r;
}

/*
 * The body gzip-compressed, as Telegraf's azure_monitor output sends it:
 * JSON metric documents shrink about tenfold. NULL when out of memory.
 */
static void *gzip_body(const StrBuf *body, size_t *ret_len)
{
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(6);
	if (!c)
		return NULL;
	unsigned char *gz = NULL;
	size_t cap = 0;
	ssize_t n = gzip_into(c, body->data, body->len, &gz, &cap);
	libdeflate_free_compressor(c);
	if (n < 0) {
		free(gz);
		return NULL;
	}
	*ret_len = (size_t)n;
	return gz;
}

/* Post one batch; returns 1 when it is done with (accepted or refused for good), 0 to keep. */
static int post_batch(Pusher *m, const StrBuf *body, unsigned periods)
{
	char desc[512];
	HttpResponse resp = {0};
	size_t gz_len = 0;
	int r;

	_cleanup_free_ void *gz = gzip_body(body, &gz_len);
	if (!gz) {
		log_warning("Azure Monitor: cannot compress %zu bytes: out of memory (%u period(s) "
			    "kept in the spool)",
			    body->len, periods);
		return 0;
	}
	const char *client_id = isempty(m->cfg->client_id) ? NULL : m->cfg->client_id;
	/* A 401 gets one more try with a new token: the cached one was refused. */
	for (int attempt = 0;; attempt++) {
		r = post_with_token(m, gz, gz_len, periods, client_id, &resp);
		if (r != 0 || resp.status != 401 || attempt > 0)
			break;
		monitor_describe_error(resp.status, resp.body, resp.body_len, desc, sizeof(desc));
		log_notice("Azure Monitor refused the token (%s); getting a new one", desc);
		http_response_done(&resp);
		token_cache_invalidate(m->tokens, MONITOR_TOKEN_RESOURCE, client_id);
	}
	if (r > 0)
		return 0; /* no token: said, and the periods stay */
	if (r < 0) {
		log_warning("Azure Monitor POST %s failed after %u attempt(s): %s (%u period(s) "
			    "kept in the spool)",
			    m->url, resp.attempts, resp.error ? resp.error : strerror(-r), periods);
		http_response_done(&resp);
		return 0;
	}
	if (resp.status >= 200 && resp.status < 300) {
		log_debug("Azure Monitor accepted %u period(s) after %u attempt(s)", periods,
			  resp.attempts);
		http_response_done(&resp);
		return 1;
	}
	monitor_describe_error(resp.status, resp.body, resp.body_len, desc, sizeof(desc));
	/* 400: the service will never take this body; resending it would loop for ever */
	bool drop = resp.status == 400 || resp.status == 413;
	log_warning("Azure Monitor POST %s failed after %u attempt(s): %s (%u period(s) %s)", m->url,
		    resp.attempts, desc, periods, drop ? "dropped" : "kept in the spool");
	http_response_done(&resp);
	return drop ? 1 : 0;
}

static time_t name_time(const char *name)
{
	unsigned long long t = 0;
	char buf[32];
	size_t n = strcspn(name, ".");
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, name, n);
	buf[n] = '\0';
	return safe_atou64(buf, &t) < 0 ? 0 : (time_t)t;
}

static void push_spool(Pusher *m)
{
	_cleanup_strv_free_ char **files = NULL;
	time_t now = time(NULL);

	if (spool_list(m->cfg->spool_dir, &files) < 0 || !files[0])
		return;
	if (resolve_target(m) < 0)
		return;
	size_t n = strv_length(files), i = 0;
	unsigned too_old = 0;
	while (i < n) {
		StrBuf body = {0};
		size_t first = i;
		unsigned periods = 0;
		for (; i < n; i++) {
			if (name_time(files[i]) < now - MONITOR_MAX_AGE_SEC) {
				drop_file(m, files[i]);
				too_old++;
				continue;
			}
			char p[4096];
			_cleanup_free_ char *data = NULL;
			size_t len;
			snprintf(p, sizeof(p), "%s/%s", m->cfg->spool_dir, files[i]);
			if (read_full_file(p, MONITOR_MAX_BATCH, &data, &len) < 0) {
				drop_file(m, files[i]); /* unreadable or oversized: not ours */
				continue;
			}
			if (body.len > 0 && body.len + len > MONITOR_MAX_BATCH)
				break;
			strbuf_append(&body, data, len);
			periods++;
		}
		if (periods > 0 && post_batch(m, &body, periods) == 1) {
			for (size_t j = first; j < i; j++)
				drop_file(m, files[j]);
			if (m->push_failing)
				log_info("Azure Monitor: pushing works again");
			m->push_failing = false;
		} else if (periods > 0) {
			m->push_failing = true;
			strbuf_free(&body);
			break; /* keep the rest for the next period, in order */
		}
		strbuf_free(&body);
	}
	if (too_old > 0)
		log_warning("Azure Monitor: dropped %u spooled period(s) older than the service "
			    "accepts (30 minutes)",
			    too_old);
}


int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	const char *config = getenv("LAZULI_METRICS_CONFIG");
	MetricsConfig cfg;
	Pusher p = {0};
	char err[512] = "";
	int c, r;

	log_set_ident("lazuli-metrics-push");
	while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			printf("Usage: lazuli-metrics-push [--config FILE]\n\nStarted by "
			       "lazuli-metrics: posts its Azure Monitor spool. See lazuli-metrics(8).\n");
			return 0;
		default:
			return 2;
		}
	}
	r = metrics_config_load(&cfg, config ? config : METRICS_CONFIG_PATH, err, sizeof(err));
	if (r < 0) {
		log_error_errno(r, "Invalid configuration: %s", *err ? err : strerror(-r));
		return 2;
	}
	p.cfg = &cfg;
	int ifd = inotify_init1(IN_CLOEXEC);
	if (ifd < 0 || inotify_add_watch(ifd, cfg.spool_dir, IN_MOVED_TO) < 0) {
		log_error_errno(errno, "Cannot watch the spool %s: %m", cfg.spool_dir);
		return 1;
	}
	if ((r = http_global_init()) < 0 ||
	    (r = imds_client_init(&p.imds, cfg.imds_url, "lazuli-metrics/" LAZULI_VERSION)) < 0 ||
	    (r = token_cache_new(&p.imds, NULL, &p.tokens)) < 0) {
		log_error_errno(r, "Cannot set up the Azure Monitor push: %m");
		return 1;
	}
	p.imds.budget = 30 * USEC_PER_SEC;
	p.imds.request_timeout = 5 * USEC_PER_SEC;

	(void)resolve_target(&p);
	for (;;) {
		/* what a previous run left goes first; then each new period */
		push_spool(&p);
		char ev[4096];
		ssize_t n = read(ifd, ev, sizeof(ev));
		if (n < 0 && errno != EINTR) {
			log_error_errno(errno, "inotify read failed: %m");
			break;
		}
	}
	token_cache_free(p.tokens);
	imds_client_done(&p.imds);
	free(p.url);
	metrics_config_done(&cfg);
	return 1;
}
