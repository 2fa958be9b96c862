/* SPDX-License-Identifier: MIT */
#include "report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "json-util.h"
#include "kvp.h"
#include "log.h"
#include "macros.h"
#include "strutil.h"
#include "time-util.h"
#include "xml-util.h"

#define REPORT_AGENT "Lazuli-Init/" LAZULI_VERSION
#define REPORT_DOC_URL "https://aka.ms/linuxprovisioningerror"
#define REPORT_KVP_KEY "PROVISIONING_REPORT"
/* One KVP record, so the host sees the whole report under one key. */
#define REPORT_DESC_MAX KVP_SAFE_VALUE_MAX
/* WALA trims to 3686 before escaping; the wireserver takes 4096. */
#define HEALTH_DESC_MAX 3686
#define REPORT_REASON_MAX 256
#define REPORT_KEY_MAX 64
#define REPORT_ID_MAX 64
/* A kv value cut short gets this marker so readers know it was. */
#define REPORT_ELLIPSIS "..."
#define REPORT_MIN_VALUE 8

#define WIRESERVER_VERSION "2012-11-30"
#define GOALSTATE_FIELD_MAX 256
#define GOALSTATE_MAX_SIZE (256u * 1024u)
#define REPORT_DEFAULT_BUDGET (1200 * USEC_PER_SEC)
#define REPORT_JSON_ATTEMPTS 5
#define REPORT_GOALSTATE_ATTEMPTS 5
#define REPORT_XML_ROUNDS 3
#define REPORT_EXCERPT_MAX 160

/* ---- sanitizing --------------------------------------------------------- */

enum {
	SANITIZE_PIPE = 1 << 0,	  /* '|' -> '_' (field separator) */
	SANITIZE_EQUALS = 1 << 1, /* '=' -> '_' (key/value separator) */
	SANITIZE_LOWER = 1 << 2,  /* ASCII lower-case */
};

/* Length of the valid UTF-8 sequence at s, or 0 if the byte starts none. */
static size_t utf8_valid_seq(const char *s, size_t len)
{
	unsigned char c = (unsigned char)s[0];
	size_t n;

	if (c < 0x80)
		n = 1;
	else if ((c & 0xe0) == 0xc0)
		n = 2;
	else if ((c & 0xf0) == 0xe0)
		n = 3;
	else if ((c & 0xf8) == 0xf0)
		n = 4;
	else
		return 0;
	if (n > len || !utf8_is_valid_n(s, n))
		return 0;
	return n;
}

/*
 * Append s to b with control characters turned into spaces, invalid UTF-8
 * bytes into '?', and per flags '|'/'=' into '_', stopping before max bytes
 * without splitting a character. Returns bytes appended or -ENOMEM.
 */
static int sanitize_append(StrBuf *b, const char *s, size_t max, unsigned flags)
{
	size_t len = strlen(strempty(s)), out = 0;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_valid_seq(s + i, len - i);
		char c;
		int r;

		if (n > 1) {
			if (out + n > max)
				break;
			r = strbuf_append(b, s + i, n);
			if (r < 0)
				return r;
			out += n;
			i += n;
			continue;
		}
		if (out + 1 > max)
			break;
		c = s[i];
		if (n == 0)
			c = '?';
		else if ((unsigned char)c < 0x20 || c == 0x7f)
			c = ' ';
		else if (c == '|' && (flags & SANITIZE_PIPE))
			c = '_';
		else if (c == '=' && (flags & SANITIZE_EQUALS))
			c = '_';
		else if (c >= 'A' && c <= 'Z' && (flags & SANITIZE_LOWER))
			c = (char)(c - 'A' + 'a');
		r = strbuf_append(b, &c, 1);
		if (r < 0)
			return r;
		out++;
		i++;
	}
	return (int)out;
}

static char *sanitize_dup(const char *s, size_t max, unsigned flags)
{
	StrBuf b = {0};

	if (sanitize_append(&b, s, max, flags) < 0) {
		strbuf_free(&b);
		return NULL;
	}
	return strbuf_steal(&b);
}

/* ---- descriptions ------------------------------------------------------- */

static const char *nil_vm_id = "00000000-0000-0000-0000-000000000000";

static char *report_tail(const ReportContext *ctx, const char *pps_type, bool with_doc)
{
	_cleanup_free_ char *pps =
	    sanitize_dup(isempty(pps_type) ? "None" : pps_type, REPORT_ID_MAX, SANITIZE_PIPE);
	_cleanup_free_ char *vm = sanitize_dup(ctx && !isempty(ctx->vm_id) ? ctx->vm_id : nil_vm_id,
					       REPORT_ID_MAX, SANITIZE_PIPE | SANITIZE_LOWER);
	char ts[32];
	char *s;

	if (!pps || !vm)
		return NULL;
	format_rfc3339(ts, sizeof(ts), now_usec(CLOCK_REALTIME));
	if (asprintf(&s, "|pps_type=%s|vm_id=%s|timestamp=%s%s", pps, vm, ts,
		     with_doc ? "|documentation_url=" REPORT_DOC_URL : "") < 0)
		return NULL;
	return s;
}

char *report_success_description(const ReportContext *ctx, const char *pps_type)
{
	_cleanup_free_ char *tail = report_tail(ctx, pps_type, false);
	char *s;

	if (!tail)
		return NULL;
	if (asprintf(&s, "result=success|agent=" REPORT_AGENT "%s", tail) < 0)
		return NULL;
	return s;
}

char *report_failure_description(const ReportContext *ctx, const char *reason,
				 const char *const *kv)
{
	_cleanup_free_ char *tail = report_tail(ctx, "None", true);
	StrBuf b = {0};
	size_t avail;
	int r;

	if (!tail)
		return NULL;

	if (strbuf_puts(&b, "result=error|reason=") < 0)
		goto oom;
	r = sanitize_append(&b, isempty(reason) ? "unknown" : reason, REPORT_REASON_MAX,
			    SANITIZE_PIPE);
	if (r < 0)
		goto oom;
	if (strbuf_puts(&b, "|agent=" REPORT_AGENT) < 0)
		goto oom;

	avail = b.len + strlen(tail) < REPORT_DESC_MAX ? REPORT_DESC_MAX - b.len - strlen(tail) : 0;
	for (size_t i = 0; kv && kv[i]; i += 2) {
		/* A key without its value ends the list (kv[i + 1] is its NULL). */
		bool last = !kv[i + 1];
		const char *value = last ? "" : kv[i + 1];
		_cleanup_free_ char *k =
		    sanitize_dup(kv[i], REPORT_KEY_MAX, SANITIZE_PIPE | SANITIZE_EQUALS);
		_cleanup_free_ char *v = NULL;
		bool truncated;
		size_t need;

		if (!k)
			goto oom;
		if (!*k) {
			free(k);
			k = strdup("_");
			if (!k)
				goto oom;
		}
		need = 1 + strlen(k) + 1; /* "|k=" */
		if (need + REPORT_MIN_VALUE > avail)
			break;
		/* Sanitizing replaces byte for byte, so lengths compare directly. */
		truncated = need + strlen(value) > avail;
		v = sanitize_dup(value,
				 truncated ? avail - need - STRLEN(REPORT_ELLIPSIS) : SIZE_MAX,
				 SANITIZE_PIPE);
		if (!v)
			goto oom;
		if (strbuf_printf(&b, "|%s=%s%s", k, v, truncated ? REPORT_ELLIPSIS : "") < 0)
			goto oom;
		/* A cut value ends the list: later pairs would look complete
		 * while an earlier value was not. */
		if (truncated || last)
			break;
		avail -= need + strlen(v);
	}

	if (strbuf_puts(&b, tail) < 0)
		goto oom;
	return strbuf_steal(&b);
oom:
	strbuf_free(&b);
	return NULL;
}

/* ---- goal state and XML health report ----------------------------------- */

static void report_seterr(char *err, size_t errlen, const char *fmt, ...) _printf_(3, 4);
static void report_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void goalstate_done(GoalState *g)
{
	if (!g)
		return;
	free(g->incarnation);
	free(g->container_id);
	free(g->instance_id);
	*g = (GoalState){0};
}

/* Walks parent/a/b/c by local names; every step must exist exactly once. */
static int goalstate_field(xmlNodePtr root, const char *const *path, const char *name, char **ret,
			   char *err, size_t errlen)
{
	_cleanup_free_ char *text = NULL;
	xmlNodePtr n = root;
	unsigned count;
	int r;

	for (size_t i = 0; path[i]; i++) {
		n = xml_child(n, path[i], &count);
		if (count == 0) {
			report_seterr(err, errlen, "goal state has no %s", name);
			return -EBADMSG;
		}
		if (count > 1) {
			report_seterr(err, errlen, "goal state has %u %s elements in %s", count,
				      path[i], name);
			return -EBADMSG;
		}
	}
	r = xml_leaf_text(n, &text);
	if (r == -EBADMSG) {
		report_seterr(err, errlen, "goal state %s contains elements", name);
		return r;
	}
	if (r < 0)
		return r;
	strstrip(text);
	if (!*text) {
		report_seterr(err, errlen, "goal state %s is empty", name);
		return -EBADMSG;
	}
	if (strlen(text) > GOALSTATE_FIELD_MAX || has_control_chars(text) ||
	    !utf8_is_valid_n(text, strlen(text))) {
		report_seterr(err, errlen, "goal state %s is not a plausible value", name);
		return -EBADMSG;
	}
	*ret = TAKE_PTR(text);
	return 0;
}

int goalstate_parse(const char *xml, size_t len, GoalState *ret, char *err, size_t errlen)
{
	static const char *const p_inc[] = {"Incarnation", NULL};
	static const char *const p_cid[] = {"Container", "ContainerId", NULL};
	static const char *const p_iid[] = {"Container", "RoleInstanceList", "RoleInstance",
					    "InstanceId", NULL};
	_cleanup_xmldoc_ xmlDocPtr doc = NULL;
	GoalState g = {0};
	xmlNodePtr root;
	char xerr[256];
	int r;

	if (err && errlen > 0)
		err[0] = '\0';
	if (!ret || (!xml && len > 0))
		return -EINVAL;
	if (len > GOALSTATE_MAX_SIZE) {
		report_seterr(err, errlen, "goal state is %zu bytes, limit %u", len,
			      GOALSTATE_MAX_SIZE);
		return -EFBIG;
	}
	r = xml_parse_untrusted(xml, len, &doc, xerr, sizeof(xerr));
	if (r < 0) {
		report_seterr(err, errlen, "goal state is not acceptable XML: %s", xerr);
		return r == -ENOMEM ? r : -EBADMSG;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || !root->name || !streq((const char *)root->name, "GoalState")) {
		report_seterr(err, errlen,
			      "goal state root element is <%.64s>, expected <GoalState>",
			      root && root->name ? (const char *)root->name : "");
		return -EBADMSG;
	}

	r = goalstate_field(root, p_inc, "Incarnation", &g.incarnation, err, errlen);
	if (r >= 0)
		r = goalstate_field(root, p_cid, "Container/ContainerId", &g.container_id, err,
				    errlen);
	if (r >= 0)
		r = goalstate_field(root, p_iid,
				    "Container/RoleInstanceList/RoleInstance/InstanceId",
				    &g.instance_id, err, errlen);
	if (r < 0) {
		goalstate_done(&g);
		if (r == -ENOMEM)
			report_seterr(err, errlen, "out of memory");
		return r;
	}
	*ret = g;
	return 0;
}

char *health_xml_build(const GoalState *g, bool ready, const char *description)
{
	_cleanup_free_ char *inc = NULL, *cid = NULL, *iid = NULL, *clean = NULL, *desc = NULL;
	char *s;

	if (!g || !g->incarnation || !g->container_id || !g->instance_id)
		return NULL;
	inc = xml_escape(g->incarnation);
	cid = xml_escape(g->container_id);
	iid = xml_escape(g->instance_id);
	if (!inc || !cid || !iid)
		return NULL;

	if (!ready) {
		/* XML 1.0 forbids most control characters, and an invalid byte
		 * would make the whole report unparsable. */
		clean = sanitize_dup(description, HEALTH_DESC_MAX, 0);
		if (!clean)
			return NULL;
		desc = xml_escape(clean);
		if (!desc)
			return NULL;
	}

	if (asprintf(&s,
		     "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		     "<Health xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
		     "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\n"
		     "  <GoalStateIncarnation>%s</GoalStateIncarnation>\n"
		     "  <Container>\n"
		     "    <ContainerId>%s</ContainerId>\n"
		     "    <RoleInstanceList>\n"
		     "      <Role>\n"
		     "        <InstanceId>%s</InstanceId>\n"
		     "        <Health>\n"
		     "          <State>%s</State>\n"
		     "%s%s%s"
		     "        </Health>\n"
		     "      </Role>\n"
		     "    </RoleInstanceList>\n"
		     "  </Container>\n"
		     "</Health>\n",
		     inc, cid, iid, ready ? "Ready" : "NotReady",
		     ready ? ""
			   : "          <Details>\n"
			     "            <SubStatus>ProvisioningFailed</SubStatus>\n"
			     "            <Description>",
		     ready ? "" : desc,
		     ready ? ""
			   : "</Description>\n"
			     "          </Details>\n") < 0)
		return NULL;
	return s;
}

/* ---- sending ------------------------------------------------------------ */

typedef struct Sender {
	const ReportContext *ctx;
	usec_t deadline; /* CLOCK_MONOTONIC */
	char *base;	 /* wireserver URL without trailing '/' */
	char *agent_hdr_ms;
	char *agent_hdr_guest;
	char *user_agent_hdr;
} Sender;

static void sender_done(Sender *s)
{
	free(s->base);
	free(s->agent_hdr_ms);
	free(s->agent_hdr_guest);
	free(s->user_agent_hdr);
}

static usec_t sender_remaining(const Sender *s)
{
	usec_t now = now_usec(CLOCK_MONOTONIC);
	return now < s->deadline ? s->deadline - now : 0;
}

/* Relays the caller's sleep hook while our own check hook owns userdata. */
typedef struct RetryHooks {
	const HttpRetryPolicy *tmpl;
	HttpRetryDecision (*check)(const HttpResponse *r, void *userdata);
	void *check_userdata;
} RetryHooks;

static void hooks_sleep(usec_t usec, void *userdata)
{
	const RetryHooks *h = userdata;

	if (h->tmpl->sleep)
		h->tmpl->sleep(usec, h->tmpl->userdata);
	else
		sleep_usec(usec);
}

static HttpRetryDecision hooks_check(const HttpResponse *r, void *userdata)
{
	const RetryHooks *h = userdata;
	return h->check ? h->check(r, h->check_userdata) : HTTP_DONE;
}

static void sender_policy(const Sender *s, HttpRetryPolicy *p, RetryHooks *h, const long *statuses,
			  unsigned default_attempts)
{
	const HttpRetryPolicy *t = &s->ctx->policy_template;

	*p = *t;
	p->max_attempts = t->max_attempts ? t->max_attempts : default_attempts;
	p->budget = sender_remaining(s);
	p->retry_statuses = statuses;
	h->tmpl = t;
	p->sleep = hooks_sleep;
	p->check = hooks_check;
	p->userdata = h;
}

static void sender_request(const Sender *s, HttpRequest *req)
{
	usec_t t = s->ctx->request_timeout;
	usec_t left = sender_remaining(s);

	if (t == 0 || t > left)
		t = left;
	if (t == 0)
		t = 1;
	req->timeout = t;
	req->connect_timeout = MIN(t, 5 * USEC_PER_SEC);
}

/* A short, printable excerpt of a response body for an error message. */
static char *body_excerpt(const HttpResponse *r)
{
	_cleanup_free_ char *s = NULL;
	bool cut;
	char *t;

	if (!r->body || r->body_len == 0)
		return strdup("(empty body)");
	s = sanitize_dup(r->body, REPORT_EXCERPT_MAX, 0);
	if (!s)
		return NULL;
	cut = r->body_len > strlen(s);
	strstrip(s);
	if (asprintf(&t, "\"%s%s\"", s, cut ? "..." : "") < 0)
		return NULL;
	return t;
}

static void describe_failure(char *err, size_t errlen, const char *method, const char *url, int r,
			     const HttpResponse *resp)
{
	if (r < 0) {
		report_seterr(err, errlen, "%s %s: %s (%s)", method, url,
			      resp->error ? resp->error : "transport failure", strerror(-r));
		return;
	}
	_cleanup_free_ char *ex = body_excerpt(resp);
	report_seterr(err, errlen, "%s %s: HTTP %ld: %s", method, url, resp->status, ex ? ex : "");
}

static bool status_is_2xx(long s)
{
	return s >= 200 && s <= 299;
}

static bool status_in(long s, const long *list)
{
	for (; *list; list++)
		if (*list == s)
			return true;
	return false;
}

static char *json_body(bool ready, const char *description)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *details;

	if (!o)
		return NULL;
	if (json_object_object_add(o, "state",
				   json_object_new_string(ready ? "Ready" : "NotReady")) < 0)
		return NULL;
	if (!ready) {
		details = json_object_new_object();
		if (!details || json_object_object_add(o, "details", details) < 0) {
			json_object_put(details);
			return NULL;
		}
		if (json_object_object_add(details, "subStatus",
					   json_object_new_string("ProvisioningFailed")) < 0 ||
		    json_object_object_add(details, "description",
					   json_object_new_string(strempty(description))) < 0)
			return NULL;
	}
	const char *j = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);
	return j ? strdup(j) : NULL;
}

typedef enum JsonOutcome {
	JSON_ACCEPTED,
	JSON_FALLBACK,
	JSON_FAILED,
} JsonOutcome;

static int send_json(const Sender *s, bool ready, const char *description, JsonOutcome *out,
		     char *err, size_t errlen)
{
	static const long retry[] = {429, 500, 502, 503, 504, 0};
	static const long fallback[] = {400, 404, 405, 0};
	_cleanup_free_ char *url = NULL, *body = NULL;
	HttpResponse resp = {0};
	HttpRetryPolicy p;
	RetryHooks h = {0};
	int r;

	*out = JSON_FAILED;
	if (asprintf(&url, "%s/provisioning/health", s->base) < 0)
		return -ENOMEM;
	body = json_body(ready, description);
	if (!body)
		return -ENOMEM;

	const char *headers[] = {"Content-Type: application/json", s->agent_hdr_guest,
				 s->user_agent_hdr, NULL};
	HttpRequest req = {
	    .method = "POST",
	    .url = url,
	    .headers = headers,
	    .body = body,
	    .body_len = strlen(body),
	};
	sender_request(s, &req);
	sender_policy(s, &p, &h, retry, REPORT_JSON_ATTEMPTS);

	log_debug("POST %s: %s", url, body);
	r = http_send_retry(&req, &p, &resp);
	if (r >= 0 && status_is_2xx(resp.status)) {
		log_info("Wireserver accepted the %s report (HTTP %ld, %s)",
			 ready ? "Ready" : "NotReady", resp.status, url);
		*out = JSON_ACCEPTED;
		r = 0;
		goto finish;
	}
	describe_failure(err, errlen, "POST", url, r, &resp);
	if (r < 0 || status_in(resp.status, fallback) || status_in(resp.status, retry)) {
		log_info("JSON health report not accepted (%s); trying the goal state protocol",
			 err);
		*out = JSON_FALLBACK;
	}
	r = r < 0 ? r : -EREMOTEIO;
finish:
	http_response_done(&resp);
	return r;
}

typedef struct GoalStateCheck {
	GoalState gs;
	char err[256];
	int r;
} GoalStateCheck;

static HttpRetryDecision goalstate_check(const HttpResponse *resp, void *userdata)
{
	GoalStateCheck *c = userdata;

	goalstate_done(&c->gs);
	c->r = goalstate_parse(resp->body, resp->body_len, &c->gs, c->err, sizeof(c->err));
	if (c->r < 0) {
		log_warning("Malformed goal state: %s", c->err);
		return HTTP_RETRY;
	}
	return HTTP_DONE;
}

static int fetch_goalstate(const Sender *s, GoalState *ret, char *err, size_t errlen)
{
	_cleanup_free_ char *url = NULL;
	HttpResponse resp = {0};
	GoalStateCheck c = {.r = -ENODATA};
	HttpRetryPolicy p;
	RetryHooks h = {.check = goalstate_check, .check_userdata = &c};
	int r;

	if (asprintf(&url, "%s/machine/?comp=goalstate", s->base) < 0)
		return -ENOMEM;
	const char *headers[] = {"x-ms-version: " WIRESERVER_VERSION, s->agent_hdr_ms, NULL};
	HttpRequest req = {.method = "GET", .url = url, .headers = headers};
	sender_request(s, &req);
	sender_policy(s, &p, &h, NULL, REPORT_GOALSTATE_ATTEMPTS);

	r = http_send_retry(&req, &p, &resp);
	if (r >= 0 && status_is_2xx(resp.status) && c.r == -ENODATA)
		(void)goalstate_check(&resp, &c); /* check hook not run: parse here */
	if (r < 0 || !status_is_2xx(resp.status)) {
		describe_failure(err, errlen, "GET", url, r, &resp);
		r = r < 0 ? r : -EREMOTEIO;
	} else if (c.r < 0) {
		report_seterr(err, errlen, "GET %s: %s", url, c.err);
		r = c.r;
	} else {
		*ret = c.gs;
		c.gs = (GoalState){0};
		r = 0;
	}
	goalstate_done(&c.gs);
	http_response_done(&resp);
	return r;
}

static int send_xml(const Sender *s, bool ready, const char *description, char *err, size_t errlen)
{
	static const long retry[] = {429, 500, 502, 503, 504, 0};
	_cleanup_free_ char *url = NULL;
	int r = -ETIMEDOUT;

	if (asprintf(&url, "%s/machine?comp=health", s->base) < 0)
		return -ENOMEM;

	for (unsigned round = 0; round < REPORT_XML_ROUNDS; round++) {
		_cleanup_free_ char *body = NULL;
		GoalState gs = {0};
		HttpResponse resp = {0};
		HttpRetryPolicy p;
		RetryHooks h = {0};
		bool stale;

		if (sender_remaining(s) == 0)
			break;
		r = fetch_goalstate(s, &gs, err, errlen);
		if (r < 0)
			return r;
		log_debug("Goal state: incarnation %s, container %s, instance %s", gs.incarnation,
			  gs.container_id, gs.instance_id);
		body = health_xml_build(&gs, ready, description);
		goalstate_done(&gs);
		if (!body)
			return -ENOMEM;

		const char *headers[] = {"Content-Type: text/xml;charset=utf-8",
					 "x-ms-version: " WIRESERVER_VERSION, s->agent_hdr_ms,
					 NULL};
		HttpRequest req = {
		    .method = "POST",
		    .url = url,
		    .headers = headers,
		    .body = body,
		    .body_len = strlen(body),
		};
		sender_request(s, &req);
		sender_policy(s, &p, &h, retry, 0);

		r = http_send_retry(&req, &p, &resp);
		if (r >= 0 && status_is_2xx(resp.status)) {
			log_info("Wireserver accepted the %s health report (HTTP %ld, %s)",
				 ready ? "Ready" : "NotReady", resp.status, url);
			http_response_done(&resp);
			return 0;
		}
		describe_failure(err, errlen, "POST", url, r, &resp);
		stale = r >= 0 && (resp.status == 410 ||
				   (resp.status == 400 && resp.body &&
				    strstr(resp.body, "InvalidContainerConfiguration")));
		http_response_done(&resp);
		if (!stale)
			return r < 0 ? r : -EREMOTEIO;
		log_info("Health report refused as stale (%s); fetching the goal state again", err);
		r = -ESTALE;
	}

	if (r == -ESTALE) {
		size_t n = err ? strlen(err) : 0;
		if (err && n + 1 < errlen)
			snprintf(err + n, errlen - n, " (still stale after %d goal state fetches)",
				 REPORT_XML_ROUNDS);
	}
	return r;
}

static int header_line(char **ret, const char *name, const char *value)
{
	if (asprintf(ret, "%s: %s", name, value) < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

int report_send(const ReportContext *ctx, bool ready, const char *description, char *err,
		size_t errlen)
{
	_cleanup_free_ char *desc = NULL;
	Sender s = {.ctx = ctx};
	JsonOutcome outcome;
	char jerr[512] = "";
	size_t n;
	int r;

	if (err && errlen > 0)
		err[0] = '\0';
	if (!ctx || isempty(ctx->wireserver_url) || isempty(ctx->agent_name)) {
		report_seterr(err, errlen, "no wireserver URL or agent name configured");
		return -EINVAL;
	}
	if (!startswith(ctx->wireserver_url, "http://") &&
	    !startswith(ctx->wireserver_url, "https://")) {
		report_seterr(err, errlen, "wireserver URL %.128s is not http(s)",
			      ctx->wireserver_url);
		return -EINVAL;
	}
	if (has_control_chars(ctx->wireserver_url) || has_control_chars(ctx->agent_name)) {
		report_seterr(err, errlen, "control character in wireserver URL or agent name");
		return -EINVAL;
	}

	/* The description goes out three ways (KVP, JSON, XML); all must carry the
	 * very same text, so it is made safe once, here. */
	if (description)
		desc = sanitize_dup(description, SIZE_MAX, 0);
	else if (ready)
		desc = report_success_description(ctx, "None");
	else
		desc = report_failure_description(ctx, "unknown", NULL);
	if (!desc)
		return -ENOMEM;

	if (ctx->kvp_path) {
		r = kvp_append(ctx->kvp_path, REPORT_KVP_KEY, desc);
		if (r < 0)
			log_warning_errno(r, "Failed to write %s to KVP pool %s, continuing: %m",
					  REPORT_KVP_KEY, ctx->kvp_path);
	}
	log_info("Reporting %s to %s: %s", ready ? "Ready" : "NotReady/ProvisioningFailed",
		 ctx->wireserver_url, desc);

	s.deadline =
	    now_usec(CLOCK_MONOTONIC) + (ctx->budget ? ctx->budget : REPORT_DEFAULT_BUDGET);
	s.base = strdup(ctx->wireserver_url);
	if (!s.base) {
		r = -ENOMEM;
		goto out;
	}
	n = strlen(s.base);
	while (n > 0 && s.base[n - 1] == '/')
		s.base[--n] = '\0';
	if (header_line(&s.agent_hdr_ms, "x-ms-agent-name", ctx->agent_name) < 0 ||
	    header_line(&s.agent_hdr_guest, "x-ms-guest-agent-name", ctx->agent_name) < 0 ||
	    header_line(&s.user_agent_hdr, "User-Agent", ctx->agent_name) < 0) {
		r = -ENOMEM;
		goto out;
	}

	r = send_json(&s, ready, desc, &outcome, jerr, sizeof(jerr));
	if (outcome == JSON_ACCEPTED) {
		r = 0;
		goto out;
	}
	if (outcome == JSON_FAILED || r == -ENOMEM) {
		report_seterr(err, errlen, "%s", jerr);
		goto out;
	}
	if (sender_remaining(&s) == 0) {
		report_seterr(err, errlen, "%s; report budget exhausted before the XML fallback",
			      jerr);
		r = -ETIMEDOUT;
		goto out;
	}

	r = send_xml(&s, ready, desc, err, errlen);
	if (r < 0) {
		/* Say what the JSON attempt got too: both protocols failed. */
		size_t l = err ? strlen(err) : 0;
		if (err && l + 1 < errlen)
			snprintf(err + l, errlen - l, "; before that: %s", jerr);
	}
out:
	sender_done(&s);
	return r;
}
