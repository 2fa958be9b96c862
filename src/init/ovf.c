/* SPDX-License-Identifier: MIT */
/* ovf-env.xml from the Azure provisioning media (spec section 3). */
#include <errno.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "steps.h"
#include "strutil.h"
#include "xml-util.h"

#define OVF_PASSWORD_MAX 72
#define OVF_CUSTOM_DATA_MAX 65536

void ovf_env_done(OvfEnv *o)
{
	if (!o)
		return;
	free(o->hostname);
	free(o->username);
	if (o->password) {
		explicit_bzero(o->password, strlen(o->password));
		free(o->password);
	}
	strv_free(o->ssh_keys);
	if (o->custom_data) {
		explicit_bzero(o->custom_data, o->custom_data_len);
		free(o->custom_data);
	}
	free(o->pps_type);
	*o = (OvfEnv){.disable_ssh_password_auth = -1};
}

/* The single child called name, or NULL; -EBADMSG (naming it) when there are several. */
static int one_child(xmlNodePtr parent, const char *name, xmlNodePtr *ret, char *err, size_t errlen)
{
	unsigned n = 0;
	xmlNodePtr c = parent ? xml_child(parent, name, &n) : NULL;
	if (n > 1) {
		snprintf(err, errlen, "ovf-env.xml: element %s appears %u times", name, n);
		return -EBADMSG;
	}
	*ret = c;
	return 0;
}

/* Replace every '...' and "..." span in s by '*'. */
static void redact_quoted(char *s)
{
	char *w = s;
	for (const char *p = s; *p;) {
		if (*p == '\'' || *p == '"') {
			const char *end = strchr(p + 1, *p);
			if (end && end > p + 1) { /* never grows: the span is >= 3 bytes */
				*w++ = *p;
				*w++ = '*';
				*w++ = *p;
				p = end + 1;
				continue;
			}
		}
		*w++ = *p++;
	}
	*w = '\0';
}

static int child_text_full(xmlNodePtr parent, const char *name, bool strip, char **ret, char *err,
			   size_t errlen)
{
	xmlNodePtr c;
	int r = one_child(parent, name, &c, err, errlen);
	if (r < 0)
		return r;
	*ret = NULL;
	if (!c)
		return 0;
	char *t = NULL;
	r = xml_leaf_text(c, &t);
	if (r == -EBADMSG) {
		snprintf(err, errlen, "ovf-env.xml: %s contains elements, expected text", name);
		return r;
	}
	if (r < 0)
		return r;
	*ret = strip ? strstrip(t) : t;
	return 1;
}

static int child_text(xmlNodePtr parent, const char *name, char **ret, char *err, size_t errlen)
{
	return child_text_full(parent, name, true, ret, err, errlen);
}

static int parse_bool_text(const char *s, const char *name, int *ret, char *err, size_t errlen)
{
	int b = parse_boolean(s);
	if (b < 0) {
		snprintf(err, errlen, "ovf-env.xml: %s is neither true nor false", name);
		return -EBADMSG;
	}
	*ret = b;
	return 0;
}

static int parse_keys(xmlNodePtr set, OvfEnv *o, char *err, size_t errlen)
{
	xmlNodePtr ssh, keys;
	int r;

	if ((r = one_child(set, "SSH", &ssh, err, errlen)) < 0 ||
	    (r = one_child(ssh, "PublicKeys", &keys, err, errlen)) < 0)
		return r;
	if (!keys)
		return 0;
	for (xmlNodePtr k = keys->children; k; k = k->next) {
		if (k->type != XML_ELEMENT_NODE || !xmlStrEqual(k->name, BAD_CAST "PublicKey"))
			continue;
		_cleanup_free_ char *value = NULL;
		r = child_text(k, "Value", &value, err, errlen);
		if (r < 0)
			return r;
		/* A key known only by fingerprint lives in the wireserver's certificates: not
		 * supported. */
		if (isempty(value))
			continue;
		r = strv_push(&o->ssh_keys, TAKE_PTR(value));
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_custom_data(xmlNodePtr set, OvfEnv *o, char *err, size_t errlen)
{
	_cleanup_free_ char *cd = NULL, *ud = NULL;
	int r;

	if ((r = child_text(set, "CustomData", &cd, err, errlen)) < 0 ||
	    (r = child_text(set, "UserData", &ud, err, errlen)) < 0)
		return r;
	const char *b64 = !isempty(cd) ? cd : ud;
	if (isempty(b64))
		return 0;
	r = base64_decode(b64, strlen(b64), &o->custom_data, &o->custom_data_len);
	if (cd)
		explicit_bzero(cd, strlen(cd));
	if (ud)
		explicit_bzero(ud, strlen(ud));
	if (r < 0) {
		snprintf(err, errlen, "ovf-env.xml: CustomData is not valid base64");
		return -EBADMSG;
	}
	if (o->custom_data_len > OVF_CUSTOM_DATA_MAX) {
		snprintf(err, errlen, "ovf-env.xml: CustomData is %zu bytes, more than %u",
			 o->custom_data_len, OVF_CUSTOM_DATA_MAX);
		return -EBADMSG;
	}
	return 0;
}

static int parse_platform(xmlNodePtr root, OvfEnv *o, char *err, size_t errlen)
{
	xmlNodePtr section, settings;
	_cleanup_free_ char *pv = NULL, *gpa = NULL;
	int r, b;

	if ((r = one_child(root, "PlatformSettingsSection", &section, err, errlen)) < 0 ||
	    (r = one_child(section, "PlatformSettings", &settings, err, errlen)) < 0)
		return r;
	if (!settings)
		return 0;
	if ((r = child_text(settings, "PreprovisionedVMType", &o->pps_type, err, errlen)) < 0 ||
	    (r = child_text(settings, "PreprovisionedVm", &pv, err, errlen)) < 0 ||
	    (r = child_text(settings, "ProvisionGuestProxyAgent", &gpa, err, errlen)) < 0)
		return r;
	if (!isempty(pv)) {
		if ((r = parse_bool_text(pv, "PreprovisionedVm", &b, err, errlen)) < 0)
			return r;
		o->preprovisioned_vm = b;
	}
	if (!isempty(gpa)) {
		if ((r = parse_bool_text(gpa, "ProvisionGuestProxyAgent", &b, err, errlen)) < 0)
			return r;
		o->provision_guest_proxy_agent = b;
	}
	return 0;
}

int ovf_parse(const char *xml, size_t len, OvfEnv *ret, char *err, size_t errlen)
{
	_cleanup_xmldoc_ xmlDocPtr doc = NULL;
	OvfEnv o = {.disable_ssh_password_auth = -1};
	xmlNodePtr root, prov, set;
	_cleanup_free_ char *dspa = NULL;
	int r;

	*ret = (OvfEnv){.disable_ssh_password_auth = -1};
	r = xml_parse_untrusted(xml, len, &doc, err, errlen);
	if (r < 0) {
		/* libxml2 quotes names and text in its messages ("Entity 'x' not
		 * defined"); in this document they may be a password. */
		redact_quoted(err);
		return r == -ENOMEM ? r : -EBADMSG;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || !xmlStrEqual(root->name, BAD_CAST "Environment")) {
		snprintf(err, errlen, "ovf-env.xml: root element is not Environment");
		return -ENOMEDIUM;
	}
	if ((r = one_child(root, "ProvisioningSection", &prov, err, errlen)) < 0)
		return r;
	if (!prov) {
		snprintf(err, errlen, "ovf-env.xml has no ProvisioningSection");
		return -ENOMEDIUM;
	}
	if ((r = one_child(prov, "LinuxProvisioningConfigurationSet", &set, err, errlen)) < 0)
		return r;
	if (!set) {
		snprintf(err, errlen, "ovf-env.xml has no LinuxProvisioningConfigurationSet");
		return -EBADMSG;
	}

	if ((r = child_text(set, "HostName", &o.hostname, err, errlen)) < 0 ||
	    (r = child_text(set, "UserName", &o.username, err, errlen)) < 0 ||
	    (r = child_text_full(set, "UserPassword", false, &o.password, err, errlen)) < 0 ||
	    (r = child_text(set, "DisableSshPasswordAuthentication", &dspa, err, errlen)) < 0)
		goto fail;
	if (isempty(o.hostname)) {
		snprintf(err, errlen, "ovf-env.xml has no HostName");
		r = -EBADMSG;
		goto fail;
	}
	if (o.password && !*o.password) {
		free(o.password);
		o.password = NULL;
	}
	if (o.password && strlen(o.password) > OVF_PASSWORD_MAX) {
		snprintf(err, errlen, "ovf-env.xml: UserPassword is longer than %d bytes",
			 OVF_PASSWORD_MAX);
		r = -EBADMSG;
		goto fail;
	}
	if (o.password && has_control_chars(o.password)) {
		snprintf(err, errlen, "ovf-env.xml: UserPassword contains control characters");
		r = -EBADMSG;
		goto fail;
	}
	if (!isempty(dspa) && (r = parse_bool_text(dspa, "DisableSshPasswordAuthentication",
						   &o.disable_ssh_password_auth, err, errlen)) < 0)
		goto fail;
	if ((r = parse_keys(set, &o, err, errlen)) < 0 ||
	    (r = parse_custom_data(set, &o, err, errlen)) < 0 ||
	    (r = parse_platform(root, &o, err, errlen)) < 0)
		goto fail;

	*ret = o;
	return 0;
fail:
	ovf_env_done(&o);
	return r;
}

/* Every UserPassword, wherever it is and whatever its namespace prefix. */
static void redact_passwords(xmlNodePtr n)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrEqual(n->name, BAD_CAST "UserPassword")) {
			/* An empty element stays empty: "REDACTED" would claim a
			 * password was given when none was. */
			xmlChar *c = xmlNodeGetContent(n);
			if (c && *c)
				xmlNodeSetContent(n, BAD_CAST "REDACTED");
			xmlFree(c);
		} else
			redact_passwords(n->children);
	}
}

int ovf_redact(const char *xml, size_t len, char **ret, size_t *ret_len)
{
	_cleanup_xmldoc_ xmlDocPtr doc = NULL;
	char err[256];
	int r;

	r = xml_parse_untrusted(xml, len, &doc, err, sizeof(err));
	if (r < 0)
		return r;
	redact_passwords(xmlDocGetRootElement(doc));

	xmlChar *out = NULL;
	int n = 0;
	xmlDocDumpMemory(doc, &out, &n);
	if (!out || n < 0)
		return -ENOMEM;
	*ret = strndup((const char *)out, (size_t)n);
	xmlFree(out);
	if (!*ret)
		return -ENOMEM;
	if (ret_len)
		*ret_len = (size_t)n;
	return 0;
}
