/* SPDX-License-Identifier: MIT */
/* ovf-env.xml parsing and redaction (ovf_parse, ovf_redact). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strutil.h"
#include "steps.h"

#define PW "Hunter2-Secret-Pw"
#define KEY1                                                                                       \
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBq3Pz5Qn1e6KxQ1d9m0xYk2uB7wZ8cV4tH3jL0aR6sN "        \
	"alice@laptop"
#define KEY2 "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 bob"
/* CUSTOM_B64 is the base64 of CUSTOM_PLAIN. */
#define CUSTOM_PLAIN "#cloud-config\nruncmd: [id]\n"
#define CUSTOM_B64 "I2Nsb3VkLWNvbmZpZwpydW5jbWQ6IFtpZF0K"

/* ---- documents ------------------------------------------------------------- */

/*
 * The layout Azure serves: wa: sections, the configuration set in a default
 * namespace. (noinline: inlined, gcc 12 takes the result for a pointer to the
 * local and warns -Wdangling-pointer.)
 */
__attribute__((noinline)) static char *doc(const char *set_inner, const char *platform_inner)
{
	char *s = NULL;
	assert_true(
	    asprintf(
		&s,
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		"<Environment xmlns=\"http://schemas.dmtf.org/ovf/environment/1\" "
		"xmlns:oe=\"http://schemas.dmtf.org/ovf/environment/1\" "
		"xmlns:wa=\"http://schemas.microsoft.com/windowsazure\" "
		"xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
		" <wa:ProvisioningSection>\n"
		"  <wa:Version>1.0</wa:Version>\n"
		"  <LinuxProvisioningConfigurationSet "
		"xmlns=\"http://schemas.microsoft.com/windowsazure\" "
		"xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
		"   <ConfigurationSetType>LinuxProvisioningConfiguration</ConfigurationSetType>\n"
		"%s\n"
		"  </LinuxProvisioningConfigurationSet>\n"
		" </wa:ProvisioningSection>\n"
		"%s%s%s"
		"</Environment>\n",
		set_inner,
		platform_inner ? " <wa:PlatformSettingsSection>\n"
				 "  <wa:Version>1.0</wa:Version>\n"
				 "  <PlatformSettings "
				 "xmlns=\"http://schemas.microsoft.com/windowsazure\" "
				 "xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
			       : "",
		platform_inner ? platform_inner : "",
		platform_inner ? "\n  </PlatformSettings>\n </wa:PlatformSettingsSection>\n" : "") >
	    0);
	return s;
}

#define FULL_SET                                                                                   \
	"   <HostName>myvm01</HostName>\n"                                                         \
	"   <UserName>azureuser</UserName>\n"                                                      \
	"   <UserPassword>" PW "</UserPassword>\n"                                                 \
	"   <DisableSshPasswordAuthentication>true</DisableSshPasswordAuthentication>\n"           \
	"   <SSH><PublicKeys>\n"                                                                   \
	"    <PublicKey><Fingerprint>EB0C0AB4B2D5FC35F2F0658D19F44C8283E2DD62</Fingerprint>"       \
	"<Path>/home/azureuser/.ssh/authorized_keys</Path>"                                        \
	"<Value>" KEY1 "</Value></PublicKey>\n"                                                    \
	"    <PublicKey><Fingerprint>0000</Fingerprint>"                                           \
	"<Path>/home/azureuser/.ssh/authorized_keys</Path></PublicKey>\n"                          \
	"    <PublicKey><Path>/home/azureuser/.ssh/authorized_keys</Path>"                         \
	"<Value>\n     " KEY2 "\n    </Value></PublicKey>\n"                                       \
	"   </PublicKeys></SSH>\n"                                                                 \
	"   <CustomData>" CUSTOM_B64 "</CustomData>"

#define FULL_PLATFORM                                                                              \
	"   <KmsServerHostname>kms.core.windows.net</KmsServerHostname>\n"                         \
	"   <ProvisionGuestAgent>false</ProvisionGuestAgent>\n"                                    \
	"   <GuestAgentPackageName i:nil=\"true\" />\n"                                            \
	"   <PreprovisionedVm>true</PreprovisionedVm>\n"                                           \
	"   <PreprovisionedVMType>Savable</PreprovisionedVMType>\n"                                \
	"   <ProvisionGuestProxyAgent>true</ProvisionGuestProxyAgent>"

/* The same content with every element prefixed (as some Azure stacks send it). */
static const char ns_doc[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<ns0:Environment xmlns:ns0=\"http://schemas.dmtf.org/ovf/environment/1\" "
    "xmlns:ns1=\"http://schemas.microsoft.com/windowsazure\">"
    "<ns1:ProvisioningSection><ns1:Version>1.0</ns1:Version>"
    "<ns1:LinuxProvisioningConfigurationSet>"
    "<ns1:ConfigurationSetType>LinuxProvisioningConfiguration</ns1:ConfigurationSetType>"
    "<ns1:HostName>myvm01</ns1:HostName>"
    "<ns1:UserName>azureuser</ns1:UserName>"
    "<ns1:UserPassword>" PW "</ns1:UserPassword>"
    "<ns1:DisableSshPasswordAuthentication>false</ns1:DisableSshPasswordAuthentication>"
    "<ns1:SSH><ns1:PublicKeys><ns1:PublicKey><ns1:Fingerprint>AB</ns1:Fingerprint>"
    "<ns1:Path>/home/azureuser/.ssh/authorized_keys</ns1:Path>"
    "<ns1:Value>" KEY1 "</ns1:Value></ns1:PublicKey></ns1:PublicKeys></ns1:SSH>"
    "<ns1:CustomData>" CUSTOM_B64 "</ns1:CustomData>"
    "</ns1:LinuxProvisioningConfigurationSet></ns1:ProvisioningSection>"
    "<ns1:PlatformSettingsSection><ns1:Version>1.0</ns1:Version><ns1:PlatformSettings>"
    "<ns1:PreprovisionedVm>false</ns1:PreprovisionedVm>"
    "<ns1:PreprovisionedVMType>Running</ns1:PreprovisionedVMType>"
    "<ns1:ProvisionGuestProxyAgent>false</ns1:ProvisionGuestProxyAgent>"
    "</ns1:PlatformSettings></ns1:PlatformSettingsSection>"
    "</ns0:Environment>";

static int parse(const char *xml, OvfEnv *o, char *err, size_t errlen)
{
	err[0] = '\0';
	return ovf_parse(xml, strlen(xml), o, err, errlen);
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("'%s' does not contain '%s'", haystack, needle);
}

static void assert_empty_env(const OvfEnv *o)
{
	assert_null(o->hostname);
	assert_null(o->username);
	assert_null(o->password);
	assert_int_equal(o->disable_ssh_password_auth, -1);
	assert_null(o->ssh_keys);
	assert_null(o->custom_data);
	assert_int_equal(o->custom_data_len, 0);
	assert_null(o->pps_type);
	assert_false(o->preprovisioned_vm);
	assert_false(o->provision_guest_proxy_agent);
}

/*
 * Fails with expected; err says why, without the password (PW, or secret if
 * given); nothing is handed out.
 */
static void assert_parse_fails_hiding(const char *xml, int expected, const char *why,
				      const char *secret)
{
	OvfEnv o;
	char err[512];
	int r = parse(xml, &o, err, sizeof(err));
	if (r != expected)
		fail_msg("got %d (%s), expected %d for:\n%s", r, err, expected, xml);
	assert_true(err[0] != '\0');
	if (why)
		assert_contains(err, why);
	if (strstr(err, "Hunter2") || strstr(err, "Secret") || (secret && strstr(err, secret)))
		fail_msg("error '%s' shows the password", err);
	assert_empty_env(&o);
}

static void assert_parse_fails(const char *xml, int expected, const char *why)
{
	assert_parse_fails_hiding(xml, expected, why, NULL);
}

/* ---- ovf_parse ------------------------------------------------------------ */

static void test_parse_full(void **state)
{
	_cleanup_free_ char *xml = doc(FULL_SET, FULL_PLATFORM);
	OvfEnv o;
	char err[512];

	(void)state;
	int r = parse(xml, &o, err, sizeof(err));
	if (r != 0)
		fail_msg("%d: %s", r, err);
	assert_string_equal(o.hostname, "myvm01");
	assert_string_equal(o.username, "azureuser");
	assert_string_equal(o.password, PW);
	assert_int_equal(o.disable_ssh_password_auth, 1);
	assert_non_null(o.ssh_keys);
	assert_int_equal(strv_length(o.ssh_keys), 2); /* the fingerprint-only key is skipped */
	assert_string_equal(o.ssh_keys[0], KEY1);
	assert_string_equal(o.ssh_keys[1], KEY2);
	assert_int_equal(o.custom_data_len, strlen(CUSTOM_PLAIN));
	assert_memory_equal(o.custom_data, CUSTOM_PLAIN, strlen(CUSTOM_PLAIN));
	assert_string_equal(o.pps_type, "Savable");
	assert_true(o.preprovisioned_vm);
	assert_true(o.provision_guest_proxy_agent);

	ovf_env_done(&o);
	assert_empty_env(&o);
	ovf_env_done(&o); /* twice is harmless */
	ovf_env_done(NULL);
}

static void test_parse_namespace_prefixes(void **state)
{
	OvfEnv o;
	char err[512];

	(void)state;
	int r = parse(ns_doc, &o, err, sizeof(err));
	if (r != 0)
		fail_msg("%d: %s", r, err);
	assert_string_equal(o.hostname, "myvm01");
	assert_string_equal(o.username, "azureuser");
	assert_string_equal(o.password, PW);
	assert_int_equal(o.disable_ssh_password_auth, 0);
	assert_int_equal(strv_length(o.ssh_keys), 1);
	assert_string_equal(o.ssh_keys[0], KEY1);
	assert_int_equal(o.custom_data_len, strlen(CUSTOM_PLAIN));
	assert_memory_equal(o.custom_data, CUSTOM_PLAIN, strlen(CUSTOM_PLAIN));
	assert_string_equal(o.pps_type, "Running");
	assert_false(o.preprovisioned_vm);
	assert_false(o.provision_guest_proxy_agent);
	ovf_env_done(&o);

	/* oe: on the root element, unprefixed sections. */
	static const char oe_doc[] =
	    "<oe:Environment xmlns:oe=\"http://schemas.dmtf.org/ovf/environment/1\">"
	    "<ProvisioningSection><LinuxProvisioningConfigurationSet>"
	    "<HostName>h1</HostName><UserName>u1</UserName>"
	    "</LinuxProvisioningConfigurationSet></ProvisioningSection></oe:Environment>";
	assert_int_equal(parse(oe_doc, &o, err, sizeof(err)), 0);
	assert_string_equal(o.hostname, "h1");
	assert_string_equal(o.username, "u1");
	ovf_env_done(&o);
}

static void test_parse_minimal(void **state)
{
	_cleanup_free_ char *xml = doc("<HostName>  only-host \n</HostName>", NULL);
	OvfEnv o;
	char err[512];

	(void)state;
	assert_int_equal(parse(xml, &o, err, sizeof(err)), 0);
	assert_string_equal(o.hostname, "only-host");
	free(o.hostname);
	o.hostname = NULL;
	assert_empty_env(&o);
	ovf_env_done(&o);

	/* Empty and fingerprint-only key lists give no keys. */
	_cleanup_free_ char *nokeys =
	    doc("<HostName>h</HostName><SSH><PublicKeys>"
		"<PublicKey><Fingerprint>AB</Fingerprint><Value></Value></PublicKey>"
		"<PublicKey><Value>   </Value></PublicKey>"
		"</PublicKeys></SSH>",
		NULL);
	assert_int_equal(parse(nokeys, &o, err, sizeof(err)), 0);
	assert_null(o.ssh_keys);
	ovf_env_done(&o);
}

static void test_not_azure(void **state)
{
	(void)state;
	assert_parse_fails("<Environment xmlns=\"http://schemas.dmtf.org/ovf/environment/1\">"
			   "<PlatformSettingsSection/></Environment>",
			   -ENOMEDIUM, "ProvisioningSection");
	assert_parse_fails("<Environment/>", -ENOMEDIUM, "ProvisioningSection");
	assert_parse_fails("<Envelope><ProvisioningSection><LinuxProvisioningConfigurationSet>"
			   "<HostName>h</HostName></LinuxProvisioningConfigurationSet>"
			   "</ProvisioningSection></Envelope>",
			   -ENOMEDIUM, "Environment");

	/* Azure, but not for Linux. */
	_cleanup_free_ char *windows = NULL;
	assert_true(
	    asprintf(&windows,
		     "<Environment><ProvisioningSection>"
		     "<WindowsProvisioningConfigurationSet><ComputerName>w</ComputerName>"
		     "<AdminPassword>%s</AdminPassword></WindowsProvisioningConfigurationSet>"
		     "</ProvisioningSection></Environment>",
		     PW) > 0);
	assert_parse_fails(windows, -EBADMSG, "LinuxProvisioningConfigurationSet");
}

static void test_doctype_rejected(void **state)
{
	_cleanup_free_ char *body =
	    doc("<HostName>&xxe;</HostName><UserPassword>" PW "</UserPassword>", NULL);
	_cleanup_free_ char *xxe = NULL, *laughs = NULL, *plain = NULL;

	(void)state;
	/* Put a DOCTYPE between the XML declaration and the root element. */
	size_t off = (size_t)(strstr(body, "<Environment") - body);
	assert_true(
	    asprintf(&xxe,
		     "<?xml version=\"1.0\"?>\n"
		     "<!DOCTYPE Environment [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n%s",
		     body + off) > 0);
	assert_true(
	    asprintf(&laughs,
		     "<!DOCTYPE Environment [\n"
		     " <!ENTITY xxe \"lol\">\n"
		     " <!ENTITY l1 \"&xxe;&xxe;&xxe;&xxe;&xxe;&xxe;&xxe;&xxe;&xxe;&xxe;\">\n"
		     " <!ENTITY l2 \"&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;\">\n"
		     "]>\n%s",
		     body + off) > 0);
	assert_true(asprintf(&plain, "<!DOCTYPE Environment>\n%s", body + off) > 0);
	assert_parse_fails(xxe, -EBADMSG, "DOCTYPE");
	assert_parse_fails(laughs, -EBADMSG, "DOCTYPE");
	assert_parse_fails(plain, -EBADMSG, "DOCTYPE");

	/* Without the DOCTYPE the undefined entity is a plain error, not a file read. */
	OvfEnv o;
	char err[512];
	assert_int_equal(parse(body, &o, err, sizeof(err)), -EBADMSG);
	assert_empty_env(&o);
}

static void test_malformed(void **state)
{
	_cleanup_free_ char *full = doc(FULL_SET, FULL_PLATFORM);
	_cleanup_free_ char *truncated = strndup(full, strlen(full) / 2);
	static const char *const bad[] = {
	    "not xml at all",
	    "<Environment><ProvisioningSection></Environment>",
	    "<Environment><ProvisioningSection/></Environment><Environment/>",
	    "<Environment><ProvisioningSection><LinuxProvisioningConfigurationSet>"
	    "<HostName>h</HostName><UserPassword>" PW "</UserPasword>"
	    "</LinuxProvisioningConfigurationSet></ProvisioningSection></Environment>",
	    "<Environment><ProvisioningSection><LinuxProvisioningConfigurationSet>"
	    "<HostName>h</HostName><UserPassword>" PW "&#0;</UserPassword>"
	    "</LinuxProvisioningConfigurationSet></ProvisioningSection></Environment>",
	};
	OvfEnv o;
	char err[512];

	(void)state;
	assert_non_null(truncated);
	assert_parse_fails(truncated, -EBADMSG, NULL);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		assert_parse_fails(bad[i], -EBADMSG, NULL);
	assert_int_equal(ovf_parse("", 0, &o, err, sizeof(err)), -EBADMSG);
	assert_empty_env(&o);
}

static void test_duplicates(void **state)
{
	static const struct {
		const char *set;
		const char *platform;
		const char *name;
	} cases[] = {
	    {"<HostName>h</HostName><UserName>a</UserName><UserName>b</UserName>"
	     "<UserPassword>" PW "</UserPassword>",
	     NULL, "UserName"},
	    {"<HostName>h</HostName><HostName>h2</HostName><UserPassword>" PW "</UserPassword>",
	     NULL, "HostName"},
	    {"<HostName>h</HostName><UserPassword>" PW "</UserPassword>"
	     "<UserPassword>other</UserPassword>",
	     NULL, "UserPassword"},
	    {"<HostName>h</HostName><UserPassword>" PW "</UserPassword>"
	     "<DisableSshPasswordAuthentication>true</DisableSshPasswordAuthentication>"
	     "<DisableSshPasswordAuthentication>false</DisableSshPasswordAuthentication>",
	     NULL, "DisableSshPasswordAuthentication"},
	    {"<HostName>h</HostName><CustomData>" CUSTOM_B64 "</CustomData>"
	     "<CustomData>" CUSTOM_B64 "</CustomData>",
	     NULL, "CustomData"},
	    {"<HostName>h</HostName><SSH/><SSH/>", NULL, "SSH"},
	    {"<HostName>h</HostName><SSH><PublicKeys/><PublicKeys/></SSH>", NULL, "PublicKeys"},
	    {"<HostName>h</HostName><SSH><PublicKeys><PublicKey><Value>" KEY1 "</Value>"
	     "<Value>" KEY2 "</Value></PublicKey></PublicKeys></SSH>",
	     NULL, "Value"},
	    {"<HostName>h</HostName>",
	     "<PreprovisionedVm>true</PreprovisionedVm><PreprovisionedVm>false</PreprovisionedVm>",
	     "PreprovisionedVm"},
	    {"<HostName>h</HostName>",
	     "<PreprovisionedVMType>A</PreprovisionedVMType>"
	     "<PreprovisionedVMType>B</PreprovisionedVMType>",
	     "PreprovisionedVMType"},
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *xml = doc(cases[i].set, cases[i].platform);
		assert_parse_fails(xml, -EBADMSG, cases[i].name);
	}

	/* Different prefixes are still the same element. */
	static const char prefixed[] =
	    "<Environment xmlns:wa=\"urn:wa\" xmlns:ns1=\"urn:ns1\"><wa:ProvisioningSection>"
	    "<wa:LinuxProvisioningConfigurationSet><wa:HostName>h</wa:HostName>"
	    "<wa:UserName>a</wa:UserName><ns1:UserName>root</ns1:UserName>"
	    "</wa:LinuxProvisioningConfigurationSet></wa:ProvisioningSection></Environment>";
	assert_parse_fails(prefixed, -EBADMSG, "UserName");

	/* Sections too. */
	static const char two_sections[] =
	    "<Environment><ProvisioningSection><LinuxProvisioningConfigurationSet>"
	    "<HostName>a</HostName></LinuxProvisioningConfigurationSet></ProvisioningSection>"
	    "<ProvisioningSection><LinuxProvisioningConfigurationSet>"
	    "<HostName>b</HostName></LinuxProvisioningConfigurationSet></ProvisioningSection>"
	    "</Environment>";
	static const char two_sets[] =
	    "<Environment><ProvisioningSection><LinuxProvisioningConfigurationSet>"
	    "<HostName>a</HostName></LinuxProvisioningConfigurationSet>"
	    "<LinuxProvisioningConfigurationSet><HostName>b</HostName>"
	    "</LinuxProvisioningConfigurationSet></ProvisioningSection></Environment>";
	assert_parse_fails(two_sections, -EBADMSG, "ProvisioningSection");
	assert_parse_fails(two_sets, -EBADMSG, "LinuxProvisioningConfigurationSet");
}

static char *with_password(const char *pw)
{
	_cleanup_free_ char *set = NULL;
	assert_true(asprintf(&set,
			     "<HostName>h</HostName><UserName>u</UserName>"
			     "<UserPassword>%s</UserPassword>",
			     pw) > 0);
	return doc(set, NULL);
}

static void test_password_length(void **state)
{
	char pw[200];
	OvfEnv o;
	char err[512];

	(void)state;
	/* 72 bytes: the most accepted. */
	memset(pw, 'x', 72);
	pw[72] = '\0';
	memcpy(pw, "Hunter2", 7);
	_cleanup_free_ char *ok = with_password(pw);
	assert_int_equal(parse(ok, &o, err, sizeof(err)), 0);
	assert_string_equal(o.password, pw);
	ovf_env_done(&o);

	/* 73 bytes. */
	pw[72] = 'y';
	pw[73] = '\0';
	_cleanup_free_ char *long1 = with_password(pw);
	assert_parse_fails_hiding(long1, -EBADMSG, "72", "xxxxxxxx");

	/* Bytes, not characters: 36 "é" are 72 bytes, 37 are 74. */
	pw[0] = '\0';
	for (int i = 0; i < 36; i++)
		strcat(pw, "\xc3\xa9");
	_cleanup_free_ char *ok2 = with_password(pw);
	assert_int_equal(parse(ok2, &o, err, sizeof(err)), 0);
	assert_string_equal(o.password, pw);
	ovf_env_done(&o);
	strcat(pw, "\xc3\xa9");
	_cleanup_free_ char *long2 = with_password(pw);
	assert_parse_fails_hiding(long2, -EBADMSG, "72", "\xc3\xa9\xc3\xa9");

	/* An entity counts as the character it stands for. */
	_cleanup_free_ char *amp = NULL;
	assert_true(
	    asprintf(
		&amp, "%.71s&amp;",
		"Hunter2xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") > 0);
	_cleanup_free_ char *ampdoc = with_password(amp);
	assert_int_equal(parse(ampdoc, &o, err, sizeof(err)), 0);
	assert_int_equal(strlen(o.password), 72);
	assert_int_equal(o.password[71], '&');
	ovf_env_done(&o);
}

static void test_password_content(void **state)
{
	OvfEnv o;
	char err[512];

	(void)state;
	/* Empty or absent: no password (the account gets locked). */
	static const char *const empty[] = {
	    "<HostName>h</HostName><UserPassword/>",
	    "<HostName>h</HostName><UserPassword></UserPassword>",
	    "<HostName>h</HostName><UserPassword i:nil=\"true\"/>",
	    "<HostName>h</HostName>",
	};
	for (size_t i = 0; i < ELEMENTSOF(empty); i++) {
		_cleanup_free_ char *xml = doc(empty[i], NULL);
		assert_int_equal(parse(xml, &o, err, sizeof(err)), 0);
		assert_null(o.password);
		ovf_env_done(&o);
	}

	/* XML escapes and CDATA give the characters they stand for. */
	_cleanup_free_ char *escaped = with_password("p&lt;a&amp;s&quot;s&gt;w&#39;d");
	assert_int_equal(parse(escaped, &o, err, sizeof(err)), 0);
	assert_string_equal(o.password, "p<a&s\"s>w'd");
	ovf_env_done(&o);
	_cleanup_free_ char *cdata = with_password("<![CDATA[p<a&ss]]>");
	assert_int_equal(parse(cdata, &o, err, sizeof(err)), 0);
	assert_string_equal(o.password, "p<a&ss");
	ovf_env_done(&o);

	/* Spaces around the password are part of it: trimming them would lock
	 * the user out of the password they chose. */
	_cleanup_free_ char *spaced = with_password("  My secret pw  ");
	assert_int_equal(parse(spaced, &o, err, sizeof(err)), 0);
	assert_string_equal(o.password, "  My secret pw  ");
	ovf_env_done(&o);

	/* An undefined entity's name is quoted by libxml2: it may be the secret. */
	_cleanup_free_ char *entity = with_password("&Hunter2Secret;");
	assert_parse_fails_hiding(entity, -EBADMSG, "Entity", "Hunter2Secret");

	/* Control characters (a tab or a DEL inside) are refused. */
	_cleanup_free_ char *tab = with_password("Hunter2&#9;Secret-Pw");
	_cleanup_free_ char *del = with_password("Hunter2&#127;Secret-Pw");
	_cleanup_free_ char *nl = with_password("Hunter2&#10;Secret-Pw");
	assert_parse_fails(tab, -EBADMSG, "control");
	assert_parse_fails(del, -EBADMSG, "control");
	assert_parse_fails(nl, -EBADMSG, "control");
}

static void test_custom_data(void **state)
{
	OvfEnv o;
	char err[512];

	(void)state;
	/* Binary, wrapped over lines as base64 often is. */
	static const unsigned char bin[] = {0x00, 0xff, 0x10, 0x80, 'a', 0x00, 0x7f};
	_cleanup_free_ char *b64 = base64_encode(bin, sizeof(bin));
	_cleanup_free_ char *set = NULL;
	assert_true(asprintf(&set,
			     "<HostName>h</HostName><CustomData>\n  %.4s\n  %s\n</CustomData>", b64,
			     b64 + 4) > 0);
	_cleanup_free_ char *xml = doc(set, NULL);
	assert_int_equal(parse(xml, &o, err, sizeof(err)), 0);
	assert_int_equal(o.custom_data_len, sizeof(bin));
	assert_memory_equal(o.custom_data, bin, sizeof(bin));
	ovf_env_done(&o);

	/* UserData stands in when there is no CustomData; CustomData wins otherwise. */
	_cleanup_free_ char *ud =
	    doc("<HostName>h</HostName><UserData>" CUSTOM_B64 "</UserData>", NULL);
	assert_int_equal(parse(ud, &o, err, sizeof(err)), 0);
	assert_int_equal(o.custom_data_len, strlen(CUSTOM_PLAIN));
	assert_memory_equal(o.custom_data, CUSTOM_PLAIN, strlen(CUSTOM_PLAIN));
	ovf_env_done(&o);
	_cleanup_free_ char *both = doc("<HostName>h</HostName><CustomData>YWJj</CustomData>"
					"<UserData>" CUSTOM_B64 "</UserData>",
					NULL);
	assert_int_equal(parse(both, &o, err, sizeof(err)), 0);
	assert_int_equal(o.custom_data_len, 3);
	assert_memory_equal(o.custom_data, "abc", 3);
	ovf_env_done(&o);

	/* Empty CustomData: none. */
	_cleanup_free_ char *empty = doc("<HostName>h</HostName><CustomData> </CustomData>", NULL);
	assert_int_equal(parse(empty, &o, err, sizeof(err)), 0);
	assert_null(o.custom_data);
	assert_int_equal(o.custom_data_len, 0);
	ovf_env_done(&o);

	/* Not base64: refused without echoing it. */
	static const char *const bad[] = {"c2VjcmV0!dG9rZW4=", "c2VjcmV0dG9rZW4=QUJD", "QUJDR",
					  "c2VjcmV0-dG9rZW4_"};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_free_ char *s = NULL;
		assert_true(asprintf(&s,
				     "<HostName>h</HostName><UserPassword>" PW "</UserPassword>"
				     "<CustomData>%s</CustomData>",
				     bad[i]) > 0);
		_cleanup_free_ char *x = doc(s, NULL);
		assert_parse_fails_hiding(x, -EBADMSG, "CustomData", "c2VjcmV0");
		assert_parse_fails_hiding(x, -EBADMSG, "CustomData", "QUJD");
	}
}

static char *custom_data_doc(size_t decoded_len)
{
	unsigned char *raw = malloc(decoded_len);
	assert_non_null(raw);
	for (size_t i = 0; i < decoded_len; i++)
		raw[i] = (unsigned char)(i * 7);
	_cleanup_free_ char *b64 = base64_encode(raw, decoded_len);
	free(raw);
	_cleanup_free_ char *set = NULL;
	assert_true(asprintf(&set, "<HostName>h</HostName><CustomData>%s</CustomData>", b64) > 0);
	return doc(set, NULL);
}

static void test_custom_data_limit(void **state)
{
	OvfEnv o;
	char err[512];

	(void)state;
	_cleanup_free_ char *max = custom_data_doc(65536);
	assert_int_equal(parse(max, &o, err, sizeof(err)), 0);
	assert_int_equal(o.custom_data_len, 65536);
	assert_int_equal(o.custom_data[65535], (unsigned char)(65535 * 7));
	ovf_env_done(&o);

	_cleanup_free_ char *over = custom_data_doc(65537);
	assert_parse_fails(over, -EBADMSG, "65536");
}

static void test_missing_hostname(void **state)
{
	static const char *const sets[] = {
	    "<UserName>u</UserName><UserPassword>" PW "</UserPassword>",
	    "<HostName></HostName><UserName>u</UserName><UserPassword>" PW "</UserPassword>",
	    "<HostName/><UserPassword>" PW "</UserPassword>",
	    "<HostName> \n\t </HostName><UserPassword>" PW "</UserPassword>",
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(sets); i++) {
		_cleanup_free_ char *xml = doc(sets[i], NULL);
		assert_parse_fails(xml, -EBADMSG, "HostName");
	}
}

static void test_booleans(void **state)
{
	static const struct {
		const char *text;
		int value;
	} dspa[] = {
	    {"true", 1}, {"false", 0}, {"True", 1}, {"FALSE", 0}, {" true ", 1},
	};
	OvfEnv o;
	char err[512];

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(dspa); i++) {
		_cleanup_free_ char *set = NULL;
		assert_true(asprintf(&set,
				     "<HostName>h</HostName><DisableSshPasswordAuthentication>%s"
				     "</DisableSshPasswordAuthentication>",
				     dspa[i].text) > 0);
		_cleanup_free_ char *xml = doc(set, NULL);
		assert_int_equal(parse(xml, &o, err, sizeof(err)), 0);
		assert_int_equal(o.disable_ssh_password_auth, dspa[i].value);
		ovf_env_done(&o);
	}
	_cleanup_free_ char *unset = doc("<HostName>h</HostName>"
					 "<DisableSshPasswordAuthentication/>",
					 NULL);
	assert_int_equal(parse(unset, &o, err, sizeof(err)), 0);
	assert_int_equal(o.disable_ssh_password_auth, -1);
	ovf_env_done(&o);

	_cleanup_free_ char *maybe = doc("<HostName>h</HostName><UserPassword>" PW "</UserPassword>"
					 "<DisableSshPasswordAuthentication>maybe"
					 "</DisableSshPasswordAuthentication>",
					 NULL);
	assert_parse_fails(maybe, -EBADMSG, "DisableSshPasswordAuthentication");
	_cleanup_free_ char *pv = doc("<HostName>h</HostName><UserPassword>" PW "</UserPassword>",
				      "<PreprovisionedVm>sometimes</PreprovisionedVm>");
	assert_parse_fails(pv, -EBADMSG, "PreprovisionedVm");
	_cleanup_free_ char *gpa = doc("<HostName>h</HostName><UserPassword>" PW "</UserPassword>",
				       "<ProvisionGuestProxyAgent>2</ProvisionGuestProxyAgent>");
	assert_parse_fails(gpa, -EBADMSG, "ProvisionGuestProxyAgent");
}

/* Every way to fail with a password in the document: the reason never shows it. */
static void test_errors_never_contain_password(void **state)
{
	static const char *const sets[] = {
	    "<UserPassword>" PW "</UserPassword>",
	    "<HostName>h</HostName><UserPassword>" PW PW PW PW PW "</UserPassword>",
	    "<HostName>h</HostName><UserPassword>" PW "&#1;</UserPassword>",
	    "<HostName>h</HostName><UserPassword>" PW "</UserPassword><UserName>a</UserName>"
	    "<UserName>b</UserName>",
	    "<HostName>h</HostName><UserPassword>" PW "</UserPassword><UserPassword>" PW
	    "</UserPassword>",
	    "<HostName>h</HostName><UserPassword>" PW "</UserPassword>"
	    "<DisableSshPasswordAuthentication>" PW "</DisableSshPasswordAuthentication>",
	    "<HostName>h</HostName><UserPassword>" PW "</UserPassword>"
	    "<CustomData>" PW "</CustomData>",
	    "<HostName>h</HostName><UserPassword>" PW "</UserPassWord>",
	    "<HostName>h</HostName><UserPassword>" PW "<</UserPassword>",
	    "<HostName>h</HostName><UserPassword>" PW "&amp</UserPassword>",
	    "<HostName>h</HostName><UserPassword attr=\"" PW "\">" PW "</UserPassword attr>",
	    "<HostName>h</HostName><UserPassword>Hunter2<b>Secret</b>Pw</UserPassword>",
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(sets); i++) {
		_cleanup_free_ char *xml = doc(sets[i], NULL);
		OvfEnv o;
		char err[1024];
		int r = parse(xml, &o, err, sizeof(err));
		if (r >= 0)
			fail_msg("case %zu parsed", i);
		assert_true(err[0] != '\0');
		if (strstr(err, "Hunter2") || strstr(err, "Secret"))
			fail_msg("case %zu: error '%s' shows the password", i, err);
		assert_empty_env(&o);
	}
}

/* ---- ovf_redact ------------------------------------------------------------ */

static char *redact(const char *xml)
{
	char *out = NULL;
	size_t len = 0;
	int r = ovf_redact(xml, strlen(xml), &out, &len);
	if (r < 0)
		fail_msg("ovf_redact: %d", r);
	assert_non_null(out);
	assert_int_equal(len, strlen(out));
	return out;
}

static void test_redact(void **state)
{
	_cleanup_free_ char *xml = doc(FULL_SET, FULL_PLATFORM);
	OvfEnv o;
	char err[512];

	(void)state;
	_cleanup_free_ char *out = redact(xml);
	assert_null(strstr(out, PW));
	assert_null(strstr(out, "Hunter2"));
	assert_contains(out, "REDACTED");

	int r = parse(out, &o, err, sizeof(err));
	if (r != 0)
		fail_msg("redacted document does not parse: %d %s\n%s", r, err, out);
	assert_string_equal(o.password, "REDACTED");
	assert_string_equal(o.hostname, "myvm01");
	assert_string_equal(o.username, "azureuser");
	assert_int_equal(o.disable_ssh_password_auth, 1);
	assert_int_equal(strv_length(o.ssh_keys), 2);
	assert_string_equal(o.ssh_keys[0], KEY1);
	assert_string_equal(o.ssh_keys[1], KEY2);
	assert_int_equal(o.custom_data_len, strlen(CUSTOM_PLAIN));
	assert_memory_equal(o.custom_data, CUSTOM_PLAIN, strlen(CUSTOM_PLAIN));
	assert_string_equal(o.pps_type, "Savable");
	assert_true(o.preprovisioned_vm);
	assert_true(o.provision_guest_proxy_agent);
	ovf_env_done(&o);

	/* Prefixed elements too. */
	_cleanup_free_ char *out2 = redact(ns_doc);
	assert_null(strstr(out2, PW));
	assert_contains(out2, "<ns1:UserPassword>REDACTED</ns1:UserPassword>");
	assert_int_equal(parse(out2, &o, err, sizeof(err)), 0);
	assert_string_equal(o.password, "REDACTED");
	assert_string_equal(o.hostname, "myvm01");
	assert_string_equal(o.pps_type, "Running");
	ovf_env_done(&o);
}

static void test_redact_every_form(void **state)
{
	(void)state;
	/* Escaped characters: neither the text nor its escaped form survives. */
	_cleanup_free_ char *esc = with_password("Hunter2&lt;&amp;&#x41;Secret");
	_cleanup_free_ char *out = redact(esc);
	assert_null(strstr(out, "Hunter2"));
	assert_null(strstr(out, "Secret"));
	assert_contains(out, "REDACTED");

	_cleanup_free_ char *cdata = with_password("<![CDATA[Hunter2<&>Secret]]>");
	_cleanup_free_ char *out2 = redact(cdata);
	assert_null(strstr(out2, "Hunter2"));
	assert_null(strstr(out2, "Secret"));

	_cleanup_free_ char *mixed = with_password("Hunter2<!-- c -->Secret<?pi x?>Pw");
	_cleanup_free_ char *out3 = redact(mixed);
	assert_null(strstr(out3, "Hunter2"));
	assert_null(strstr(out3, "Secret"));

	/* Every UserPassword, even in a document ovf_parse would refuse (duplicate). */
	static const char dup[] =
	    "<Environment xmlns:wa=\"urn:wa\"><wa:ProvisioningSection>"
	    "<wa:LinuxProvisioningConfigurationSet><wa:HostName>h</wa:HostName>"
	    "<wa:UserPassword>" PW "</wa:UserPassword><UserPassword>Hunter2-other</UserPassword>"
	    "</wa:LinuxProvisioningConfigurationSet></wa:ProvisioningSection>"
	    "<Other><Deep><UserPassword>Secret-deep</UserPassword></Deep></Other></Environment>";
	_cleanup_free_ char *out4 = redact(dup);
	assert_null(strstr(out4, "Hunter2"));
	assert_null(strstr(out4, "Secret"));
	assert_contains(out4, "<wa:UserPassword>REDACTED</wa:UserPassword>");
	assert_contains(out4, "<Deep><UserPassword>REDACTED</UserPassword></Deep>");
	assert_contains(out4, "<wa:HostName>h</wa:HostName>");
}

static void test_redact_without_password(void **state)
{
	_cleanup_free_ char *xml = doc("<HostName>h</HostName><UserName>u</UserName>", NULL);
	OvfEnv o;
	char err[512];

	(void)state;
	_cleanup_free_ char *out = redact(xml);
	assert_null(strstr(out, "REDACTED"));
	assert_int_equal(parse(out, &o, err, sizeof(err)), 0);
	assert_string_equal(o.hostname, "h");
	assert_string_equal(o.username, "u");
	assert_null(o.password);
	ovf_env_done(&o);

	/* An empty password stays empty: "REDACTED" would claim one was given. */
	static const char *const empty[] = {"", "<![CDATA[]]>"};
	for (size_t i = 0; i < ELEMENTSOF(empty); i++) {
		_cleanup_free_ char *e = with_password(empty[i]);
		_cleanup_free_ char *eout = redact(e);
		assert_null(strstr(eout, "REDACTED"));
		assert_int_equal(parse(eout, &o, err, sizeof(err)), 0);
		assert_null(o.password);
		assert_string_equal(o.username, "u");
		ovf_env_done(&o);
	}
}

static void test_redact_refuses(void **state)
{
	_cleanup_free_ char *body = with_password(PW);
	_cleanup_free_ char *xxe = NULL;
	char *out = (char *)"untouched";

	(void)state;
	assert_true(asprintf(&xxe,
			     "<!DOCTYPE Environment [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>%s",
			     strstr(body, "<Environment")) > 0);
	assert_true(ovf_redact(xxe, strlen(xxe), &out, NULL) < 0);
	assert_string_equal(out, "untouched");
	static const char broken[] = "<Environment><UserPassword>" PW "</Environment>";
	assert_true(ovf_redact(broken, strlen(broken), &out, NULL) < 0);
	assert_string_equal(out, "untouched");
	assert_true(ovf_redact("", 0, &out, NULL) < 0);
	assert_string_equal(out, "untouched");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_full),
	    cmocka_unit_test(test_parse_namespace_prefixes),
	    cmocka_unit_test(test_parse_minimal),
	    cmocka_unit_test(test_not_azure),
	    cmocka_unit_test(test_doctype_rejected),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_password_length),
	    cmocka_unit_test(test_password_content),
	    cmocka_unit_test(test_custom_data),
	    cmocka_unit_test(test_custom_data_limit),
	    cmocka_unit_test(test_missing_hostname),
	    cmocka_unit_test(test_booleans),
	    cmocka_unit_test(test_errors_never_contain_password),
	    cmocka_unit_test(test_redact),
	    cmocka_unit_test(test_redact_every_form),
	    cmocka_unit_test(test_redact_without_password),
	    cmocka_unit_test(test_redact_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
