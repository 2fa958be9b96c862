/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "emu-harness.h"
#include "fileio.h"
#include "json-util.h"
#include "kvp.h"
#include "report.h"
#include "strutil.h"
#include "xml-util.h"

#define FAILURE_RE                                                                                 \
	"^result=error\\|reason=[^|]+\\|agent=[^|]+(\\|[^|=]+=[^|]*)*\\|vm_id=[0-9a-f-]{36}"       \
	"\\|timestamp=[^|]+\\|documentation_url=https://aka.ms/linuxprovisioningerror$"
#define SUCCESS_RE                                                                                 \
	"^result=success\\|agent=Lazuli-Init/[^|]+\\|pps_type=[^|]+\\|vm_id=[0-9a-f-]{36}"         \
	"\\|timestamp=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"

static const char vm_id[] = "3f2b5c1e-8d4a-4b6f-9e0a-1c2d3e4f5a6b";

static ReportContext ctx(void)
{
	return (ReportContext){
	    .wireserver_url = "http://127.0.0.1:1",
	    .agent_name = "lazuli-init/" LAZULI_VERSION,
	    .vm_id = vm_id,
	};
}

static void assert_matches(const char *re, const char *s)
{
	regex_t rx;
	assert_int_equal(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	int r = regexec(&rx, s, 0, NULL, 0);
	regfree(&rx);
	if (r != 0)
		fail_msg("'%s' does not match %s", s, re);
}

/* The 8.6 assertions every description must pass. */
static void assert_well_formed(const char *d)
{
	assert_non_null(d);
	assert_true(strlen(d) <= 1022);
	assert_true(utf8_is_valid_n(d, strlen(d)));
	assert_false(has_control_chars(d));
}

static char *field(const char *d, const char *name)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "|%s=", name);
	const char *p = strstr(d, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	return strndup(p, strcspn(p, "|"));
}

static void test_success_description(void **state)
{
	ReportContext c = ctx();

	(void)state;
	_cleanup_free_ char *d = report_success_description(&c, NULL);
	assert_well_formed(d);
	assert_matches(SUCCESS_RE, d);
	assert_true(startswith(d, "result=success|agent=Lazuli-Init/" LAZULI_VERSION "|"));
	_cleanup_free_ char *pps = field(d, "pps_type");
	assert_string_equal(pps, "None");
	_cleanup_free_ char *vm = field(d, "vm_id");
	assert_string_equal(vm, vm_id);

	_cleanup_free_ char *d2 = report_success_description(&c, "Running|x\n");
	assert_well_formed(d2);
	assert_matches(SUCCESS_RE, d2);
	_cleanup_free_ char *pps2 = field(d2, "pps_type");
	assert_string_equal(pps2, "Running_x ");

	/* Upper-case VM id (as some firmware prints it) still fits the format. */
	c.vm_id = "3F2B5C1E-8D4A-4B6F-9E0A-1C2D3E4F5A6B";
	_cleanup_free_ char *d3 = report_success_description(&c, "None");
	assert_matches(SUCCESS_RE, d3);
	_cleanup_free_ char *vm3 = field(d3, "vm_id");
	assert_string_equal(vm3, vm_id);
}

static void test_failure_description_plain(void **state)
{
	ReportContext c = ctx();
	const char *kv[] = {"step", "ssh-keys", "error", "no public key", NULL};

	(void)state;
	_cleanup_free_ char *d = report_failure_description(&c, "provisioning failed", kv);
	assert_well_formed(d);
	assert_matches(FAILURE_RE, d);
	assert_true(startswith(
	    d, "result=error|reason=provisioning failed|agent=Lazuli-Init/" LAZULI_VERSION
	       "|step=ssh-keys|error=no public key|pps_type=None|vm_id="));
	assert_true(endswith(d, "|documentation_url=https://aka.ms/linuxprovisioningerror"));

	_cleanup_free_ char *d2 = report_failure_description(&c, NULL, NULL);
	assert_matches(FAILURE_RE, d2);
	assert_true(startswith(d2, "result=error|reason=unknown|agent="));

	/* No VM id known: the nil UUID keeps the format. */
	c.vm_id = NULL;
	_cleanup_free_ char *d3 = report_failure_description(&c, "x", NULL);
	assert_matches(FAILURE_RE, d3);
	assert_non_null(strstr(d3, "|vm_id=00000000-0000-0000-0000-000000000000|"));
}

static void test_failure_description_hostile(void **state)
{
	ReportContext c = ctx();
	char *big = malloc(5001);

	(void)state;
	assert_non_null(big);
	memset(big, 'v', 5000);
	big[5000] = '\0';
	const char *kv[] = {
	    "a|b=c\n", "x|y\r\nz=w", "",      "empty key",  "bad", "in\xff\xfevalid\xc3",
	    "big",     big,	     "after", "never seen", NULL,
	};
	_cleanup_free_ char *d =
	    report_failure_description(&c, "reason|with=pipes\nand\tnewlines", kv);
	free(big);
	assert_well_formed(d);
	assert_matches(FAILURE_RE, d);
	assert_true(startswith(d, "result=error|reason=reason_with=pipes and newlines|agent="));
	assert_non_null(strstr(d, "|a_b_c =x_y  z=w|"));
	assert_non_null(strstr(d, "|_=empty key|"));
	assert_non_null(strstr(d, "|bad=in??valid?|"));
	/* The 5000-byte value is cut, marked, and the pairs after it dropped. */
	_cleanup_free_ char *bigv = field(d, "big");
	assert_non_null(bigv);
	assert_true(strlen(bigv) > 100);
	assert_true(endswith(bigv, "..."));
	assert_null(strstr(d, "after="));
	/* Tail intact. */
	assert_true(endswith(d, "|documentation_url=https://aka.ms/linuxprovisioningerror"));
	assert_non_null(strstr(d, "|pps_type=None|vm_id="));
}

static void test_failure_description_multibyte_cut(void **state)
{
	ReportContext c = ctx();
	/* 2000 bytes of 2-byte characters: whatever the key length, the cut
	 * must land on a character boundary. */
	char v[2001];
	for (size_t i = 0; i < 2000; i += 2) {
		v[i] = '\xc3';
		v[i + 1] = '\xa9'; /* é */
	}
	v[2000] = '\0';

	(void)state;
	for (size_t pad = 0; pad < 4; pad++) {
		char key[8] = "kkkk";
		key[pad + 1] = '\0';
		const char *kv[] = {key, v, NULL};
		_cleanup_free_ char *d = report_failure_description(&c, "r", kv);
		assert_well_formed(d);
		assert_matches(FAILURE_RE, d);
		/* It used the room it had: within a few bytes of the limit. */
		assert_true(strlen(d) > 1022 - 8);
	}

	/* Odd list: trailing key without value. */
	const char *odd[] = {"lonely", NULL};
	_cleanup_free_ char *d2 = report_failure_description(&c, "r", odd);
	assert_matches(FAILURE_RE, d2);
	assert_non_null(strstr(d2, "|lonely=|"));

	/* Huge reason. */
	char reason[3000];
	memset(reason, 'R', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	_cleanup_free_ char *d3 = report_failure_description(&c, reason, NULL);
	assert_well_formed(d3);
	assert_matches(FAILURE_RE, d3);
}

static const char goalstate_xml[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<GoalState xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "xsi:noNamespaceSchemaLocation=\"goalstate10.xsd\">\n"
    "  <Version>2012-11-30</Version>\n"
    "  <Incarnation>%s</Incarnation>\n"
    "  <Machine><ExpectedState>Started</ExpectedState></Machine>\n"
    "  <Container>\n"
    "    %s\n"
    "    <RoleInstanceList>\n"
    "      %s\n"
    "    </RoleInstanceList>\n"
    "  </Container>\n"
    "</GoalState>\n";

#define GOOD_CID "<ContainerId>c6d5526c-5ac2-4200-b6e2-56f2b70c5ab2</ContainerId>"
#define GOOD_RI                                                                                    \
	"<RoleInstance><InstanceId>b61f93d0-e1ed-40b2-b067-22c243233448.MachineRole_IN_0"          \
	"</InstanceId><State>Started</State></RoleInstance>"

static int parse_gs(const char *inc, const char *cid, const char *ri, GoalState *g, char *err,
		    size_t errlen)
{
	_cleanup_free_ char *x = NULL;
	assert_true(asprintf(&x, goalstate_xml, inc, cid, ri) > 0);
	return goalstate_parse(x, strlen(x), g, err, errlen);
}

static void test_goalstate_good(void **state)
{
	GoalState g = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_gs(" 7 ", GOOD_CID, GOOD_RI, &g, err, sizeof(err)), 0);
	assert_string_equal(g.incarnation, "7");
	assert_string_equal(g.container_id, "c6d5526c-5ac2-4200-b6e2-56f2b70c5ab2");
	assert_string_equal(g.instance_id, "b61f93d0-e1ed-40b2-b067-22c243233448.MachineRole_IN_0");
	goalstate_done(&g);
	assert_null(g.incarnation);

	/* Namespace prefixes (ns0:) are accepted. */
	const char *ns = "<ns0:GoalState xmlns:ns0=\"urn:x\"><ns0:Incarnation>2</ns0:Incarnation>"
			 "<ns0:Container><ns0:ContainerId>c</ns0:ContainerId>"
			 "<ns0:RoleInstanceList><ns0:RoleInstance><ns0:InstanceId>i"
			 "</ns0:InstanceId></ns0:RoleInstance></ns0:RoleInstanceList>"
			 "</ns0:Container></ns0:GoalState>";
	assert_int_equal(goalstate_parse(ns, strlen(ns), &g, err, sizeof(err)), 0);
	assert_string_equal(g.incarnation, "2");
	assert_string_equal(g.container_id, "c");
	assert_string_equal(g.instance_id, "i");
	goalstate_done(&g);
}

static void assert_gs_error(const char *inc, const char *cid, const char *ri, const char *what)
{
	GoalState g = {0};
	char err[256];

	assert_int_equal(parse_gs(inc, cid, ri, &g, err, sizeof(err)), -EBADMSG);
	if (!strstr(err, what))
		fail_msg("expected '%s' in '%s'", what, err);
	assert_null(g.incarnation);
	assert_null(g.container_id);
	assert_null(g.instance_id);
}

static void test_goalstate_missing_fields(void **state)
{
	GoalState g = {0};
	char err[256];

	(void)state;
	assert_gs_error("1", "", GOOD_RI, "goal state has no Container/ContainerId");
	assert_gs_error("1", GOOD_CID, "",
			"goal state has no Container/RoleInstanceList/RoleInstance/InstanceId");
	assert_gs_error("1", GOOD_CID, "<RoleInstance><State>x</State></RoleInstance>",
			"has no Container/RoleInstanceList/RoleInstance/InstanceId");
	assert_gs_error("", GOOD_CID, GOOD_RI, "goal state Incarnation is empty");
	assert_gs_error("1", "<ContainerId>  </ContainerId>", GOOD_RI,
			"goal state Container/ContainerId is empty");
	assert_gs_error("1", GOOD_CID "<ContainerId>x</ContainerId>", GOOD_RI,
			"2 ContainerId elements");
	assert_gs_error("1", GOOD_CID, GOOD_RI GOOD_RI, "2 RoleInstance elements");

	const char *noinc = "<GoalState><Container>" GOOD_CID "<RoleInstanceList>" GOOD_RI
			    "</RoleInstanceList></Container></GoalState>";
	assert_int_equal(goalstate_parse(noinc, strlen(noinc), &g, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "goal state has no Incarnation");
	const char *nocont = "<GoalState><Incarnation>1</Incarnation></GoalState>";
	assert_int_equal(goalstate_parse(nocont, strlen(nocont), &g, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "goal state has no Container/ContainerId");
}

static void test_goalstate_malformed(void **state)
{
	GoalState g = {0};
	char err[256];

	(void)state;
	const char *trunc = "<GoalState><Incarnation>1</Incarnation><Container>";
	assert_int_equal(goalstate_parse(trunc, strlen(trunc), &g, err, sizeof(err)), -EBADMSG);
	assert_true(startswith(err, "goal state is not acceptable XML: line 1"));

	const char *html = "<html><body>Service Unavailable</body></html>";
	assert_int_equal(goalstate_parse(html, strlen(html), &g, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "goal state root element is <html>, expected <GoalState>");

	const char *xxe = "<!DOCTYPE GoalState [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
			  "<GoalState><Incarnation>&x;</Incarnation></GoalState>";
	assert_int_equal(goalstate_parse(xxe, strlen(xxe), &g, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "DOCTYPE not allowed"));

	assert_int_equal(goalstate_parse("", 0, &g, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "empty"));

	assert_int_equal(goalstate_parse("{\"json\":1}", 10, &g, err, sizeof(err)), -EBADMSG);
	assert_true(startswith(err, "goal state is not acceptable XML"));

	/* A control character in an id would be echoed into our report. */
	assert_gs_error("1", "<ContainerId>a&#10;b</ContainerId>", GOOD_RI,
			"Container/ContainerId is not a plausible value");
	assert_null(g.incarnation);
}

static char *xml_field(xmlDocPtr doc, const char *const *path)
{
	xmlNodePtr n = xmlDocGetRootElement(doc);
	for (size_t i = 0; path[i] && n; i++)
		n = xml_child(n, path[i], NULL);
	return n ? xml_text(n) : NULL;
}

static void test_health_xml(void **state)
{
	GoalState g = {.incarnation = (char *)"3",
		       .container_id = (char *)"c<&>",
		       .instance_id = (char *)"i\"'"};
	static const char *const p_inc[] = {"GoalStateIncarnation", NULL};
	static const char *const p_cid[] = {"Container", "ContainerId", NULL};
	static const char *const p_iid[] = {"Container", "RoleInstanceList", "Role", "InstanceId",
					    NULL};
	static const char *const p_state[] = {
	    "Container", "RoleInstanceList", "Role", "Health", "State", NULL};
	static const char *const p_sub[] = {"Container", "RoleInstanceList", "Role", "Health",
					    "Details",	 "SubStatus",	     NULL};
	static const char *const p_desc[] = {"Container", "RoleInstanceList", "Role", "Health",
					     "Details",	  "Description",      NULL};
	char err[256];

	(void)state;
	_cleanup_free_ char *ready = health_xml_build(&g, true, "ignored");
	assert_non_null(ready);
	assert_null(strstr(ready, "ignored"));
	assert_null(strstr(ready, "Details"));
	_cleanup_xmldoc_ xmlDocPtr d1 = NULL;
	assert_int_equal(xml_parse_untrusted(ready, strlen(ready), &d1, err, sizeof(err)), 0);
	_cleanup_free_ char *inc = xml_field(d1, p_inc);
	_cleanup_free_ char *cid = xml_field(d1, p_cid);
	_cleanup_free_ char *iid = xml_field(d1, p_iid);
	_cleanup_free_ char *st = xml_field(d1, p_state);
	assert_string_equal(inc, "3");
	assert_string_equal(cid, "c<&>");
	assert_string_equal(iid, "i\"'");
	assert_string_equal(st, "Ready");

	const char *desc = "result=error|reason=<script>&amp;</Description><x>|k=v\x01\x1f";
	_cleanup_free_ char *nr = health_xml_build(&g, false, desc);
	assert_non_null(nr);
	_cleanup_xmldoc_ xmlDocPtr d2 = NULL;
	assert_int_equal(xml_parse_untrusted(nr, strlen(nr), &d2, err, sizeof(err)), 0);
	_cleanup_free_ char *st2 = xml_field(d2, p_state);
	_cleanup_free_ char *sub = xml_field(d2, p_sub);
	_cleanup_free_ char *dd = xml_field(d2, p_desc);
	assert_string_equal(st2, "NotReady");
	assert_string_equal(sub, "ProvisioningFailed");
	assert_string_equal(dd, "result=error|reason=<script>&amp;</Description><x>|k=v  ");

	assert_null(health_xml_build(NULL, true, NULL));
	GoalState half = {.incarnation = (char *)"1"};
	assert_null(health_xml_build(&half, true, NULL));
}

static void test_health_xml_trim(void **state)
{
	GoalState g = {
	    .incarnation = (char *)"1", .container_id = (char *)"c", .instance_id = (char *)"i"};
	static const char *const p_desc[] = {"Container", "RoleInstanceList", "Role", "Health",
					     "Details",	  "Description",      NULL};
	char err[256];
	/* 1 + 3-byte characters: the 3686 cut falls inside one. */
	char *big = malloc(6000);

	(void)state;
	assert_non_null(big);
	big[0] = 'x';
	for (size_t i = 1; i + 3 < 6000; i += 3)
		memcpy(big + i, "\xe2\x82\xac", 3); /* € */
	big[5998] = '\0';
	big[5999] = '\0';
	size_t blen = strlen(big);
	assert_true(blen > 3686);

	_cleanup_free_ char *x = health_xml_build(&g, false, big);
	assert_non_null(x);
	_cleanup_xmldoc_ xmlDocPtr d = NULL;
	assert_int_equal(xml_parse_untrusted(x, strlen(x), &d, err, sizeof(err)), 0);
	_cleanup_free_ char *dd = xml_field(d, p_desc);
	assert_non_null(dd);
	assert_true(strlen(dd) <= 3686);
	assert_true(strlen(dd) > 3686 - 3);
	assert_true(utf8_is_valid_n(dd, strlen(dd)));
	assert_memory_equal(dd, big, strlen(dd));

	/* Escaping happens after the trim: 3686 '&' become 3686 "&amp;". */
	memset(big, '&', 5000);
	big[5000] = '\0';
	_cleanup_free_ char *y = health_xml_build(&g, false, big);
	_cleanup_xmldoc_ xmlDocPtr d2 = NULL;
	assert_int_equal(xml_parse_untrusted(y, strlen(y), &d2, err, sizeof(err)), 0);
	_cleanup_free_ char *dd2 = xml_field(d2, p_desc);
	assert_int_equal(strlen(dd2), 3686);
	free(big);
}

/* ---- report_send against lazuli-emu ------------------------------------- */

typedef struct Sleeps {
	usec_t d[64];
	unsigned n;
} Sleeps;

static void record_sleep(usec_t usec, void *userdata)
{
	Sleeps *s = userdata;
	if (s->n < 64)
		s->d[s->n++] = usec;
}

typedef struct E2E {
	EmuHarness h;
	char dir[64];
	char pool[128];
	Sleeps sleeps;
	ReportContext ctx;
	char err[1024];
} E2E;

static void e2e_start(E2E *e, const char *scenario)
{
	int r;

	memset(e, 0, sizeof(*e));
	strcpy(e->dir, "/tmp/test-report.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->pool, sizeof(e->pool), "%s/.kvp_pool_1", e->dir);
	r = emu_start(&e->h, scenario);
	if (r < 0)
		fail_msg("lazuli-emu did not start: %s", strerror(-r));
	e->ctx = (ReportContext){
	    .wireserver_url = e->h.wireserver,
	    .agent_name = "lazuli-init/" LAZULI_VERSION,
	    .kvp_path = e->pool,
	    .vm_id = vm_id,
	    .request_timeout = 10 * USEC_PER_SEC,
	    .budget = 60 * USEC_PER_SEC,
	    .policy_template = {.sleep = record_sleep, .userdata = &e->sleeps},
	};
}

static void e2e_stop(E2E *e)
{
	char cmd[128];
	emu_stop(&e->h);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	assert_int_equal(system(cmd), 0);
}

static json_object *emu_json(E2E *e, const char *path)
{
	_cleanup_free_ char *text = emu_get(&e->h, path);
	json_object *o = NULL;
	char err[256];

	if (!text)
		fail_msg("GET %s from lazuli-emu failed", path);
	if (json_parse_strict(text, strlen(text), &o, err, sizeof(err)) < 0)
		fail_msg("%s: %s", path, err);
	assert_true(json_object_is_type(o, json_type_array));
	return o;
}

/* The wireserver requests, as "METHOD path?query" lines, for exact comparison. */
static char *request_lines(json_object *reqs)
{
	StrBuf b = {0};
	for (size_t i = 0; i < json_object_array_length(reqs); i++) {
		json_object *q = json_object_array_get_idx(reqs, i);
		const char *query = json_get_string(q, "query");
		assert_int_equal(strbuf_printf(&b, "%s %s%s%s\n", json_get_string(q, "method"),
					       json_get_string(q, "path"),
					       isempty(query) ? "" : "?", strempty(query)),
				 0);
	}
	return strbuf_steal(&b);
}

static const char *req_header(json_object *req, const char *name)
{
	json_object *h = json_get_path(req, "headers");
	assert_non_null(h);
	json_object_object_foreach(h, k, v)
	{
		if (strcasecmp(k, name) == 0)
			return json_object_get_string(v);
	}
	return NULL;
}

static char *req_body(json_object *req)
{
	unsigned char *data = NULL;
	size_t len = 0;
	const char *b64 = json_get_string(req, "body_b64");
	assert_non_null(b64);
	assert_int_equal(base64_decode(b64, strlen(b64), &data, &len), 0);
	char *s = strndup((const char *)data, len);
	free(data);
	return s;
}

static char *kvp_report(const char *pool)
{
	KvpRecord *r = NULL;
	size_t n = 0;
	char *v = NULL;
	int count = 0;

	assert_int_equal(kvp_read_all(pool, &r, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (streq(r[i].key, "PROVISIONING_REPORT")) {
			free(v);
			v = strdup(r[i].value);
			count++;
		}
	kvp_records_free(r, n);
	assert_int_equal(count, 1);
	return v;
}

static char *failure_desc(void)
{
	ReportContext c = ctx();
	const char *kv[] = {"step", "ssh-keys", "error", "no key <&> \"quoted\"", NULL};
	char *d = report_failure_description(&c, "provisioning failed", kv);
	assert_non_null(d);
	return d;
}

static void test_send_json_201(void **state)
{
	E2E e;
	_cleanup_free_ char *desc = failure_desc();

	(void)state;
	e2e_start(&e, "{\"strict_headers\":true}");
	assert_int_equal(report_send(&e.ctx, false, desc, e.err, sizeof(e.err)), 0);

	_cleanup_json_ json_object *reqs = emu_json(&e, "/_emu/requests?port=wireserver");
	_cleanup_free_ char *lines = request_lines(reqs);
	assert_string_equal(lines, "POST /provisioning/health\n");
	json_object *q = json_object_array_get_idx(reqs, 0);
	assert_int_equal(json_object_get_int(json_object_object_get(q, "status")), 201);
	assert_string_equal(req_header(q, "Content-Type"), "application/json");
	assert_string_equal(req_header(q, "x-ms-guest-agent-name"), "lazuli-init/" LAZULI_VERSION);
	assert_string_equal(req_header(q, "User-Agent"), "lazuli-init/" LAZULI_VERSION);

	/* The body the user's host sees, field by field. */
	_cleanup_free_ char *body = req_body(q);
	_cleanup_json_ json_object *j = NULL;
	assert_int_equal(json_parse_strict(body, strlen(body), &j, NULL, 0), 0);
	assert_string_equal(json_get_string(j, "state"), "NotReady");
	assert_string_equal(json_get_string(j, "details.subStatus"), "ProvisioningFailed");
	assert_string_equal(json_get_string(j, "details.description"), desc);
	assert_matches(FAILURE_RE, json_get_string(j, "details.description"));

	_cleanup_json_ json_object *reports = emu_json(&e, "/_emu/reports");
	assert_int_equal(json_object_array_length(reports), 1);
	json_object *rep = json_object_array_get_idx(reports, 0);
	assert_string_equal(json_get_string(rep, "proto"), "json");
	assert_string_equal(json_get_string(rep, "description"), desc);

	_cleanup_free_ char *kv = kvp_report(e.pool);
	assert_string_equal(kv, desc);
	assert_int_equal(e.sleeps.n, 0);
	e2e_stop(&e);
}

static void test_send_ready_json(void **state)
{
	E2E e;
	ReportContext c = ctx();
	_cleanup_free_ char *desc = report_success_description(&c, "None");

	(void)state;
	e2e_start(&e, "{}");
	assert_int_equal(report_send(&e.ctx, true, desc, e.err, sizeof(e.err)), 0);
	_cleanup_json_ json_object *reqs = emu_json(&e, "/_emu/requests?port=wireserver");
	assert_int_equal(json_object_array_length(reqs), 1);
	_cleanup_free_ char *body = req_body(json_object_array_get_idx(reqs, 0));
	/* The description goes to KVP only; the wireserver gets the bare state. */
	assert_string_equal(body, "{\"state\":\"Ready\"}");
	_cleanup_free_ char *kv = kvp_report(e.pool);
	assert_string_equal(kv, desc);
	assert_matches(SUCCESS_RE, kv);
	e2e_stop(&e);
}

static void test_send_503_retry_after_then_201(void **state)
{
	E2E e;
	_cleanup_free_ char *desc = failure_desc();

	(void)state;
	e2e_start(&e, "{\"wireserver\":{\"/provisioning/health\":["
		      "{\"status\":503,\"headers\":{\"Retry-After\":\"7\"},\"body\":\"GoalState is "
		      "not ready\"},"
		      "{\"status\":201}]}}");
	assert_int_equal(report_send(&e.ctx, false, desc, e.err, sizeof(e.err)), 0);
	_cleanup_json_ json_object *reqs = emu_json(&e, "/_emu/requests?port=wireserver");
	_cleanup_free_ char *lines = request_lines(reqs);
	assert_string_equal(lines, "POST /provisioning/health\nPOST /provisioning/health\n");
	/* It waited what the server asked for, once. */
	assert_int_equal(e.sleeps.n, 1);
	assert_int_equal(e.sleeps.d[0], 7 * USEC_PER_SEC);
	/* Same body both times. */
	_cleanup_free_ char *b0 = req_body(json_object_array_get_idx(reqs, 0));
	_cleanup_free_ char *b1 = req_body(json_object_array_get_idx(reqs, 1));
	assert_string_equal(b0, b1);
	e2e_stop(&e);
}

static void check_xml_report(E2E *e, json_object *req, const char *state_name, const char *desc)
{
	_cleanup_free_ char *body = req_body(req);
	_cleanup_xmldoc_ xmlDocPtr doc = NULL;
	char err[256];
	static const char *const p_inc[] = {"GoalStateIncarnation", NULL};
	static const char *const p_cid[] = {"Container", "ContainerId", NULL};
	static const char *const p_iid[] = {"Container", "RoleInstanceList", "Role", "InstanceId",
					    NULL};
	static const char *const p_state[] = {
	    "Container", "RoleInstanceList", "Role", "Health", "State", NULL};
	static const char *const p_desc[] = {"Container", "RoleInstanceList", "Role", "Health",
					     "Details",	  "Description",      NULL};

	(void)e;
	assert_string_equal(req_header(req, "Content-Type"), "text/xml;charset=utf-8");
	assert_string_equal(req_header(req, "x-ms-version"), "2012-11-30");
	assert_string_equal(req_header(req, "x-ms-agent-name"), "lazuli-init/" LAZULI_VERSION);
	assert_int_equal(xml_parse_untrusted(body, strlen(body), &doc, err, sizeof(err)), 0);
	_cleanup_free_ char *inc = xml_field(doc, p_inc);
	_cleanup_free_ char *cid = xml_field(doc, p_cid);
	_cleanup_free_ char *iid = xml_field(doc, p_iid);
	_cleanup_free_ char *st = xml_field(doc, p_state);
	assert_string_equal(inc, "5");
	assert_string_equal(cid, "11111111-2222-3333-4444-555555555555");
	assert_string_equal(iid, "role.MachineRole_IN_0");
	assert_string_equal(st, state_name);
	_cleanup_free_ char *d = xml_field(doc, p_desc);
	if (desc)
		assert_string_equal(d, desc);
	else
		assert_null(d);
}

#define GS_IDS                                                                                     \
	"\"incarnation\":\"5\",\"container_id\":\"11111111-2222-3333-4444-555555555555\","         \
	"\"instance_id\":\"role.MachineRole_IN_0\""

static void test_send_404_falls_back_to_xml(void **state)
{
	E2E e;
	_cleanup_free_ char *desc = failure_desc();

	(void)state;
	e2e_start(&e, "{\"strict_headers\":true,\"json_health\":\"not_supported\"," GS_IDS "}");
	assert_int_equal(report_send(&e.ctx, false, desc, e.err, sizeof(e.err)), 0);

	_cleanup_json_ json_object *reqs = emu_json(&e, "/_emu/requests?port=wireserver");
	_cleanup_free_ char *lines = request_lines(reqs);
	assert_string_equal(lines, "POST /provisioning/health\n"
				   "GET /machine/?comp=goalstate\n"
				   "POST /machine?comp=health\n");
	json_object *gs = json_object_array_get_idx(reqs, 1);
	assert_string_equal(req_header(gs, "x-ms-version"), "2012-11-30");
	assert_string_equal(req_header(gs, "x-ms-agent-name"), "lazuli-init/" LAZULI_VERSION);
	json_object *post = json_object_array_get_idx(reqs, 2);
	assert_int_equal(json_object_get_int(json_object_object_get(post, "status")), 200);
	check_xml_report(&e, post, "NotReady", desc);

	/* The emulator's own validation accepted it with the same description. */
	_cleanup_json_ json_object *reports = emu_json(&e, "/_emu/reports");
	json_object *last =
	    json_object_array_get_idx(reports, json_object_array_length(reports) - 1);
	assert_string_equal(json_get_string(last, "proto"), "xml");
	assert_string_equal(json_get_string(last, "substatus"), "ProvisioningFailed");
	assert_string_equal(json_get_string(last, "description"), desc);
	assert_null(json_get_string(last, "error"));
	/* A fallback is not a retry: nothing slept. */
	assert_int_equal(e.sleeps.n, 0);
	e2e_stop(&e);
}

static void test_send_ready_xml(void **state)
{
	E2E e;

	(void)state;
	e2e_start(&e, "{\"wireserver\":{\"/provisioning/health\":[{\"status\":405}]}," GS_IDS "}");
	assert_int_equal(report_send(&e.ctx, true, NULL, e.err, sizeof(e.err)), 0);
	_cleanup_json_ json_object *reqs = emu_json(&e, "/_emu/requests?port=wireserver");
	assert_int_equal(json_object_array_length(reqs), 3);
	check_xml_report(&e, json_object_array_get_idx(reqs, 2), "Ready", NULL);
	/* Without a description the KVP record still says success. */
	_cleanup_free_ char *kv = kvp_report(e.pool);
	assert_matches(SUCCESS_RE, kv);
	e2e_stop(&e);
}

static void test_send_xml_410_refetches_goal_state(void **state)
{
	E2E e;
	_cleanup_free_ char *desc = failure_desc();

	(void)state;
	e2e_start(&e, "{\"json_health\":\"not_supported\"," GS_IDS ","
		      "\"wireserver\":{\"/machine?comp=health\":[{\"status\":410},"
		      "{\"status\":400,\"body\":\"<Error>InvalidContainerConfiguration</Error>\"},"
		      "{\"default\":true}]}}");
	assert_int_equal(report_send(&e.ctx, false, desc, e.err, sizeof(e.err)), 0);
	_cleanup_json_ json_object *reqs = emu_json(&e, "/_emu/requests?port=wireserver");
	_cleanup_free_ char *lines = request_lines(reqs);
	assert_string_equal(lines, "POST /provisioning/health\n"
				   "GET /machine/?comp=goalstate\n"
				   "POST /machine?comp=health\n"
				   "GET /machine/?comp=goalstate\n"
				   "POST /machine?comp=health\n"
				   "GET /machine/?comp=goalstate\n"
				   "POST /machine?comp=health\n");
	check_xml_report(&e, json_object_array_get_idx(reqs, 6), "NotReady", desc);
	e2e_stop(&e);
}

static void test_send_xml_always_stale_gives_up(void **state)
{
	E2E e;
	_cleanup_free_ char *desc = failure_desc();

	(void)state;
	e2e_start(
	    &e, "{\"json_health\":\"not_supported\","
		"\"wireserver\":{\"/machine?comp=health\":[{\"status\":410,\"body\":\"Gone\"}]}}");
	assert_int_equal(report_send(&e.ctx, false, desc, e.err, sizeof(e.err)), -ESTALE);
	assert_non_null(strstr(e.err, "/machine?comp=health: HTTP 410: \"Gone\""));
	assert_non_null(strstr(e.err, "still stale after 3 goal state fetches"));
	/* And what JSON said first. */
	assert_non_null(strstr(e.err, "/provisioning/health: HTTP 404"));
	_cleanup_json_ json_object *reqs = emu_json(&e, "/_emu/requests?port=wireserver");
	assert_int_equal(json_object_array_length(reqs), 1 + 2 * 3);
	e2e_stop(&e);
}

static void test_send_goal_state_missing_container_id(void **state)
{
	E2E e;
	_cleanup_free_ char *desc = failure_desc();

	(void)state;
	e2e_start(&e, "{\"json_health\":\"not_supported\",\"wireserver\":{"
		      "\"/machine/?comp=goalstate\":[{\"status\":200,\"body\":"
		      "\"<GoalState><Incarnation>1</Incarnation><Container><RoleInstanceList>"
		      "<RoleInstance><InstanceId>i</InstanceId></RoleInstance></RoleInstanceList>"
		      "</Container></GoalState>\"}]}}");
	e.ctx.policy_template.max_attempts = 2;
	assert_int_equal(report_send(&e.ctx, false, desc, e.err, sizeof(e.err)), -EBADMSG);
	assert_non_null(strstr(e.err, "GET "));
	assert_non_null(
	    strstr(e.err, "/machine/?comp=goalstate: goal state has no Container/ContainerId"));
	_cleanup_json_ json_object *reqs = emu_json(&e, "/_emu/requests?port=wireserver");
	_cleanup_free_ char *lines = request_lines(reqs);
	/* Retried (bounded, with a pause), and no health report built from it. */
	assert_string_equal(lines, "POST /provisioning/health\n"
				   "GET /machine/?comp=goalstate\n"
				   "GET /machine/?comp=goalstate\n");
	assert_int_equal(e.sleeps.n, 1);
	/* The KVP record was written regardless. */
	_cleanup_free_ char *kv = kvp_report(e.pool);
	assert_string_equal(kv, desc);
	e2e_stop(&e);
}

static void test_send_json_fatal_status(void **state)
{
	E2E e;
	_cleanup_free_ char *desc = failure_desc();

	(void)state;
	e2e_start(&e, "{\"wireserver\":{\"/provisioning/health\":[{\"status\":403,"
		      "\"body\":\"Forbidden\\r\\nby policy\\u0001\"}]}}");
	assert_int_equal(report_send(&e.ctx, false, desc, e.err, sizeof(e.err)), -EREMOTEIO);
	assert_non_null(strstr(e.err, "POST "));
	assert_non_null(strstr(e.err, "/provisioning/health: HTTP 403: \"Forbidden  by policy\""));
	assert_false(has_control_chars(e.err));
	_cleanup_json_ json_object *reqs = emu_json(&e, "/_emu/requests?port=wireserver");
	assert_int_equal(json_object_array_length(reqs), 1);
	e2e_stop(&e);
}

static void test_send_hostile_description_same_everywhere(void **state)
{
	E2E e;
	const char *hostile = "result=error|reason=bad\n\x01|x=\xff\xfe|k=</Description>&amp;";

	(void)state;
	e2e_start(&e, "{\"json_health\":\"not_supported\"," GS_IDS "}");
	assert_int_equal(report_send(&e.ctx, false, hostile, e.err, sizeof(e.err)), 0);
	_cleanup_free_ char *kv = kvp_report(e.pool);
	assert_string_equal(kv, "result=error|reason=bad  |x=??|k=</Description>&amp;");
	_cleanup_json_ json_object *reqs = emu_json(&e, "/_emu/requests?port=wireserver");
	_cleanup_free_ char *jbody = req_body(json_object_array_get_idx(reqs, 0));
	_cleanup_json_ json_object *j = NULL;
	assert_int_equal(json_parse_strict(jbody, strlen(jbody), &j, NULL, 0), 0);
	assert_string_equal(json_get_string(j, "details.description"), kv);
	check_xml_report(&e, json_object_array_get_idx(reqs, 2), "NotReady", kv);
	e2e_stop(&e);
}

static void test_send_unreachable(void **state)
{
	E2E e;
	_cleanup_free_ char *desc = failure_desc();

	(void)state;
	e2e_start(&e, "{}");
	/* Nothing listens on port 1 of loopback. */
	e.ctx.wireserver_url = "http://127.0.0.1:1/";
	e.ctx.policy_template.max_attempts = 2;
	int r = report_send(&e.ctx, false, desc, e.err, sizeof(e.err));
	assert_int_equal(r, -ECONNREFUSED);
	assert_non_null(strstr(e.err, "GET http://127.0.0.1:1/machine/?comp=goalstate: "));
	assert_non_null(
	    strstr(e.err, "before that: POST http://127.0.0.1:1/provisioning/health: "));
	/* Still, the host can read the report. */
	_cleanup_free_ char *kv = kvp_report(e.pool);
	assert_string_equal(kv, desc);
	e2e_stop(&e);
}

static void test_send_kvp_failure_does_not_stop_report(void **state)
{
	E2E e;
	_cleanup_free_ char *desc = failure_desc();

	(void)state;
	e2e_start(&e, "{}");
	e.ctx.kvp_path = "/dev/null/not-a-dir/.kvp_pool_1";
	assert_int_equal(report_send(&e.ctx, false, desc, e.err, sizeof(e.err)), 0);
	_cleanup_json_ json_object *reports = emu_json(&e, "/_emu/reports");
	assert_int_equal(json_object_array_length(reports), 1);
	e2e_stop(&e);
}

static void test_send_bad_context(void **state)
{
	ReportContext c = ctx();
	char err[256];

	(void)state;
	c.wireserver_url = "ftp://127.0.0.1";
	assert_int_equal(report_send(&c, true, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "ftp://127.0.0.1"));
	c.wireserver_url = "http://127.0.0.1:1";
	c.agent_name = "evil\r\nX-Injected: 1";
	assert_int_equal(report_send(&c, true, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "control character"));
	c.agent_name = NULL;
	assert_int_equal(report_send(&c, true, NULL, err, sizeof(err)), -EINVAL);
}

/*
 * KVP first: a one-shot server that, the moment the agent connects, looks
 * at the pool. Runs in a child process; its exit status is the verdict.
 */
static void test_send_kvp_written_before_first_post(void **state)
{
	char dir[] = "/tmp/test-report-kvp.XXXXXX", pool[128], url[64];
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	_cleanup_free_ char *desc = failure_desc();
	char err[512];
	int fd, status;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(pool, sizeof(pool), "%s/.kvp_pool_1", dir);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", ntohs(sa.sin_port));

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int c = accept(fd, NULL, NULL);
		KvpRecord *r = NULL;
		size_t n = 0;
		bool seen = false;
		char buf[8192];

		if (c < 0)
			_exit(3);
		if (kvp_read_all(pool, &r, &n) >= 0)
			for (size_t i = 0; i < n; i++)
				seen = seen || (streq(r[i].key, "PROVISIONING_REPORT") &&
						streq(r[i].value, desc));
		/* Read the request head (and whatever body came with it), then answer. */
		(void)!read(c, buf, sizeof(buf));
		const char *resp = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n"
				   "Connection: close\r\n\r\n";
		(void)!write(c, resp, strlen(resp));
		close(c);
		_exit(seen ? 0 : 1);
	}
	close(fd);

	ReportContext c = ctx();
	c.wireserver_url = url;
	c.kvp_path = pool;
	c.budget = 30 * USEC_PER_SEC;
	c.policy_template.max_attempts = 1;
	int r = report_send(&c, false, desc, err, sizeof(err));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(r, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_success_description),
	    cmocka_unit_test(test_failure_description_plain),
	    cmocka_unit_test(test_failure_description_hostile),
	    cmocka_unit_test(test_failure_description_multibyte_cut),
	    cmocka_unit_test(test_goalstate_good),
	    cmocka_unit_test(test_goalstate_missing_fields),
	    cmocka_unit_test(test_goalstate_malformed),
	    cmocka_unit_test(test_health_xml),
	    cmocka_unit_test(test_health_xml_trim),
	    cmocka_unit_test(test_send_bad_context),
	    cmocka_unit_test(test_send_kvp_written_before_first_post),
	    cmocka_unit_test(test_send_json_201),
	    cmocka_unit_test(test_send_ready_json),
	    cmocka_unit_test(test_send_503_retry_after_then_201),
	    cmocka_unit_test(test_send_404_falls_back_to_xml),
	    cmocka_unit_test(test_send_ready_xml),
	    cmocka_unit_test(test_send_xml_410_refetches_goal_state),
	    cmocka_unit_test(test_send_xml_always_stale_gives_up),
	    cmocka_unit_test(test_send_goal_state_missing_container_id),
	    cmocka_unit_test(test_send_json_fatal_status),
	    cmocka_unit_test(test_send_hostile_description_same_everywhere),
	    cmocka_unit_test(test_send_unreachable),
	    cmocka_unit_test(test_send_kvp_failure_does_not_stop_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
