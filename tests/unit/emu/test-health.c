/* SPDX-License-Identifier: MIT */
/* Health report parsers: XML (comp=health) and JSON (/provisioning/health). */
#include "emu-test.h"
#include "health.h"

#define XML_HEAD                                                                                   \
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Health "                                     \
	"xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "                                 \
	"xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">"

static char *health_xml(const char *inc, const char *cid, const char *iid, const char *health)
{
	char *s;
	assert_true(asprintf(&s,
			     XML_HEAD "<GoalStateIncarnation>%s</GoalStateIncarnation><Container>"
				      "<ContainerId>%s</ContainerId><RoleInstanceList><Role>"
				      "<InstanceId>%s</InstanceId><Health>%s</Health></Role>"
				      "</RoleInstanceList></Container></Health>",
			     inc, cid, iid, health) > 0);
	return s;
}

static void test_xml_ready(void **unused)
{
	EmuHealthReport r = {};
	char err[256];
	_cleanup_free_ char *x = health_xml(" 1 ", "c-1", "i-1", "<State>Ready</State>");

	assert_int_equal(emu_health_xml_parse(x, strlen(x), &r, err, sizeof(err)), 0);
	assert_string_equal(r.proto, "xml");
	assert_string_equal(r.incarnation, "1");
	assert_string_equal(r.container_id, "c-1");
	assert_string_equal(r.instance_id, "i-1");
	assert_string_equal(r.state, "Ready");
	assert_false(r.has_details);
	assert_int_equal(emu_health_validate(&r, EMU_HEALTH_DESCRIPTION_MAX, err, sizeof(err)), 0);
	emu_health_report_done(&r);
}

static void test_xml_not_ready(void **unused)
{
	EmuHealthReport r = {};
	char err[256];
	_cleanup_free_ char *x = health_xml(
	    "2", "c", "i",
	    "<State>NotReady</State><Details><SubStatus>ProvisioningFailed</SubStatus>"
	    "<Description>result=error|reason=a &amp; b &lt;x&gt;</Description></Details>");

	assert_int_equal(emu_health_xml_parse(x, strlen(x), &r, err, sizeof(err)), 0);
	assert_true(r.has_details);
	assert_string_equal(r.substatus, "ProvisioningFailed");
	assert_string_equal(r.description, "result=error|reason=a & b <x>");
	assert_int_equal(emu_health_validate(&r, EMU_HEALTH_DESCRIPTION_MAX, err, sizeof(err)), 0);
	emu_health_report_done(&r);
}

static void expect_xml_error(const char *xml, int want, const char *message)
{
	EmuHealthReport r = {};
	char err[256] = "";
	int k = emu_health_xml_parse(xml, strlen(xml), &r, err, sizeof(err));
	if (k >= 0)
		k = emu_health_validate(&r, EMU_HEALTH_DESCRIPTION_MAX, err, sizeof(err));
	assert_int_equal(k, want);
	if (!strstr(err, message))
		fail_msg("error '%s' does not contain '%s'", err, message);
	emu_health_report_done(&r);
}

static void test_xml_errors(void **unused)
{
	expect_xml_error("", -EBADMSG, "empty body");
	expect_xml_error("<Health><GoalStateIncarnation>1</Health>", -EBADMSG,
			 "XML not well-formed (line 1)");
	expect_xml_error("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><Health/>",
			 -EBADMSG, "DOCTYPE/ENTITY declarations are not allowed");
	expect_xml_error("<Health>&xxe;</Health>", -EBADMSG, "XML not well-formed");
	expect_xml_error("<Status/>", -EINVAL, "root element must be Health, not Status");
	expect_xml_error("<Health/>", -EINVAL, "missing element Health/GoalStateIncarnation");

	_cleanup_free_ char *dup =
	    health_xml("1", "c</ContainerId><ContainerId>d", "i", "<State>Ready</State>");
	expect_xml_error(dup, -EINVAL,
			 "element Health/Container/ContainerId appears more than once");
	_cleanup_free_ char *nostate = health_xml("1", "c", "i", "");
	expect_xml_error(nostate, -EINVAL, "missing element Role/Health/State");
	_cleanup_free_ char *badstate = health_xml("1", "c", "i", "<State>Started</State>");
	expect_xml_error(badstate, -EINVAL, "State must be Ready or NotReady, not 'Started'");
	_cleanup_free_ char *nosub =
	    health_xml("1", "c", "i", "<State>NotReady</State><Details></Details>");
	expect_xml_error(nosub, -EINVAL, "missing element Role/Health/Details/SubStatus");
	_cleanup_free_ char *badsub = health_xml(
	    "1", "c", "i", "<State>NotReady</State><Details><SubStatus>Oops</SubStatus></Details>");
	expect_xml_error(badsub, -EINVAL,
			 "SubStatus must be ProvisioningFailed or Provisioning, not 'Oops'");

	/* Description: 4096 bytes pass, 4097 do not. */
	char desc[4098];
	memset(desc, 'd', sizeof(desc));
	desc[4096] = '\0';
	_cleanup_free_ char *details = NULL;
	assert_true(asprintf(&details,
			     "<State>NotReady</State><Details><SubStatus>Provisioning</SubStatus>"
			     "<Description>%s</Description></Details>",
			     desc) > 0);
	_cleanup_free_ char *ok = health_xml("1", "c", "i", details);
	EmuHealthReport r = {};
	char err[128];
	assert_int_equal(emu_health_xml_parse(ok, strlen(ok), &r, err, sizeof(err)), 0);
	assert_int_equal(emu_health_validate(&r, EMU_HEALTH_DESCRIPTION_MAX, err, sizeof(err)), 0);
	emu_health_report_done(&r);
	desc[4096] = 'd';
	desc[4097] = '\0';
	free(details);
	assert_true(asprintf(&details,
			     "<State>NotReady</State><Details><SubStatus>Provisioning</SubStatus>"
			     "<Description>%s</Description></Details>",
			     desc) > 0);
	_cleanup_free_ char *big = health_xml("1", "c", "i", details);
	expect_xml_error(big, -EINVAL, "Description is 4097 bytes, more than 4096");
}

static void test_json(void **unused)
{
	EmuHealthReport r = {};
	char err[256];
	const char *ready = "{\"state\":\"Ready\"}";
	const char *failed = "{\"details\":{\"description\":\"result=error\",\"subStatus\":"
			     "\"ProvisioningFailed\",\"extra\":1},\"state\":\"NotReady\",\"x\":[]}";

	assert_int_equal(emu_health_json_parse(ready, strlen(ready), &r, err, sizeof(err)), 0);
	assert_string_equal(r.proto, "json");
	assert_string_equal(r.state, "Ready");
	assert_int_equal(emu_health_validate(&r, 0, err, sizeof(err)), 0);
	emu_health_report_done(&r);

	assert_int_equal(emu_health_json_parse(failed, strlen(failed), &r, err, sizeof(err)), 0);
	assert_string_equal(r.substatus, "ProvisioningFailed");
	assert_string_equal(r.description, "result=error");
	assert_int_equal(emu_health_validate(&r, 0, err, sizeof(err)), 0);
	emu_health_report_done(&r);
}

static void expect_json_error(const char *json, int want, const char *message)
{
	EmuHealthReport r = {};
	char err[256] = "";
	int k = emu_health_json_parse(json, strlen(json), &r, err, sizeof(err));
	if (k >= 0)
		k = emu_health_validate(&r, 0, err, sizeof(err));
	assert_int_equal(k, want);
	if (!strstr(err, message))
		fail_msg("error '%s' does not contain '%s'", err, message);
	emu_health_report_done(&r);
}

static void test_json_errors(void **unused)
{
	expect_json_error("", -EBADMSG, "body is not JSON");
	expect_json_error("{\"state\":\"Ready\"", -EBADMSG, "body is not JSON");
	expect_json_error("[]", -EINVAL, "body must be a JSON object");
	expect_json_error("{}", -EINVAL, "missing key state");
	expect_json_error("{\"state\":1}", -EINVAL, "state must be a string");
	expect_json_error("{\"state\":\"ready\"}", -EINVAL, "State must be Ready or NotReady");
	expect_json_error("{\"state\":\"NotReady\"}", -EINVAL, "NotReady requires details");
	expect_json_error("{\"state\":\"NotReady\",\"details\":[]}", -EINVAL,
			  "details must be an object");
	expect_json_error("{\"state\":\"NotReady\",\"details\":{\"subStatus\":\"Provisioning\"}}",
			  -EINVAL, "NotReady requires details.description");
	expect_json_error("{\"state\":\"NotReady\",\"details\":{\"subStatus\":\"Nope\","
			  "\"description\":\"x\"}}",
			  -EINVAL,
			  "SubStatus must be ProvisioningFailed or Provisioning, not 'Nope'");
	expect_json_error("{\"state\":\"NotReady\",\"details\":{\"subStatus\":\"Provisioning\","
			  "\"description\":7}}",
			  -EINVAL, "details.description must be a string");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_xml_ready),	cmocka_unit_test(test_xml_not_ready),
	    cmocka_unit_test(test_xml_errors),	cmocka_unit_test(test_json),
	    cmocka_unit_test(test_json_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
