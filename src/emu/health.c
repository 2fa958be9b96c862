/* SPDX-License-Identifier: MIT */
#include "health.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu-util.h"
#include "macros.h"
#include "strutil.h"

#define HEALTH_MAX (1024u * 1024)

void emu_health_report_done(EmuHealthReport *r)
{
	free(r->state);
	free(r->substatus);
	free(r->description);
	free(r->incarnation);
	free(r->container_id);
	free(r->instance_id);
	*r = (EmuHealthReport){.proto = r->proto};
}

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc);
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlParserCtxtPtr, xmlFreeParserCtxt);

/* The only element child with this local name; -ENOENT / -ENOTUNIQ. */
static int child(xmlNodePtr parent, const char *name, xmlNodePtr *ret)
{
	xmlNodePtr found = NULL;
	for (xmlNodePtr n = parent ? parent->children : NULL; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || !streq((const char *)n->name, name))
			continue;
		if (found)
			return -ENOTUNIQ;
		found = n;
	}
	if (!found)
		return -ENOENT;
	*ret = found;
	return 0;
}

static char *node_text(xmlNodePtr n, bool strip)
{
	xmlChar *c = xmlNodeGetContent(n);
	char *s = strdup(c ? (const char *)c : "");
	xmlFree(c);
	if (s && strip)
		strstrip(s);
	return s;
}

static int want(xmlNodePtr parent, const char *path, const char *name, xmlNodePtr *ret, char *err,
		size_t errlen)
{
	int r = child(parent, name, ret);
	if (r == -ENOENT)
		snprintf(err, errlen, "missing element %s%s", path, name);
	else if (r == -ENOTUNIQ)
		snprintf(err, errlen, "element %s%s appears more than once", path, name);
	return r < 0 ? -EINVAL : 0;
}

static int want_text(xmlNodePtr parent, const char *path, const char *name, bool strip, char **ret,
		     char *err, size_t errlen)
{
	xmlNodePtr n;
	int r = want(parent, path, name, &n, err, errlen);
	if (r < 0)
		return r;
	*ret = node_text(n, strip);
	return *ret ? 0 : -ENOMEM;
}

int emu_health_xml_parse(const char *buf, size_t len, EmuHealthReport *r, char *err, size_t errlen)
{
	_cleanup_(xmlFreeParserCtxtp) xmlParserCtxtPtr ctxt = NULL;
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
	xmlNodePtr root, container, list, role, health, details;
	int k;

	r->proto = "xml";
	if (!buf || len == 0) {
		snprintf(err, errlen, "empty body");
		return -EBADMSG;
	}
	if (len > HEALTH_MAX || len > INT_MAX) {
		snprintf(err, errlen, "body too large");
		return -EBADMSG;
	}
	if (memchr(buf, '\0', len)) {
		snprintf(err, errlen, "NUL byte in XML");
		return -EBADMSG;
	}
	if (memmem(buf, len, "<!DOCTYPE", 9) || memmem(buf, len, "<!ENTITY", 8)) {
		snprintf(err, errlen, "DOCTYPE/ENTITY declarations are not allowed");
		return -EBADMSG;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return -ENOMEM;
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, "health.xml", NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				    XML_PARSE_NOCDATA);
	if (!doc || !ctxt->wellFormed) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", e && e->message ? e->message : "parse error");
		strstrip(msg);
		snprintf(err, errlen, "XML not well-formed (line %d): %s", e ? e->line : 0, msg);
		return -EBADMSG;
	}
	if (doc->intSubset || doc->extSubset) {
		snprintf(err, errlen, "DOCTYPE declarations are not allowed");
		return -EBADMSG;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || !streq((const char *)root->name, "Health")) {
		snprintf(err, errlen, "root element must be Health, not %s",
			 root ? (const char *)root->name : "(none)");
		return -EINVAL;
	}
	if ((k = want_text(root, "Health/", "GoalStateIncarnation", true, &r->incarnation, err,
			   errlen)) < 0 ||
	    (k = want(root, "Health/", "Container", &container, err, errlen)) < 0 ||
	    (k = want_text(container, "Health/Container/", "ContainerId", true, &r->container_id,
			   err, errlen)) < 0 ||
	    (k = want(container, "Health/Container/", "RoleInstanceList", &list, err, errlen)) <
		0 ||
	    (k = want(list, "Health/Container/RoleInstanceList/", "Role", &role, err, errlen)) <
		0 ||
	    (k = want_text(role, "Role/", "InstanceId", true, &r->instance_id, err, errlen)) < 0 ||
	    (k = want(role, "Role/", "Health", &health, err, errlen)) < 0 ||
	    (k = want_text(health, "Role/Health/", "State", true, &r->state, err, errlen)) < 0)
		return k;

	k = child(health, "Details", &details);
	if (k == -ENOTUNIQ) {
		snprintf(err, errlen, "element Role/Health/Details appears more than once");
		return -EINVAL;
	}
	if (k == 0) {
		xmlNodePtr d;
		r->has_details = true;
		if ((k = want_text(details, "Role/Health/Details/", "SubStatus", true,
				   &r->substatus, err, errlen)) < 0)
			return k;
		k = child(details, "Description", &d);
		if (k == -ENOTUNIQ) {
			snprintf(err, errlen,
				 "element Role/Health/Details/Description appears more than once");
			return -EINVAL;
		}
		if (k == 0 && !(r->description = node_text(d, false)))
			return -ENOMEM;
	}
	return 0;
}

static int json_str(json_object *o, const char *key, const char *where, char **ret, char *err,
		    size_t errlen)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(err, errlen, "%s%s must be a string", where, key);
		return -EINVAL;
	}
	*ret = strdup(json_object_get_string(v));
	return *ret ? 0 : -ENOMEM;
}

int emu_health_json_parse(const char *buf, size_t len, EmuHealthReport *r, char *err, size_t errlen)
{
	_cleanup_jobj_ json_object *o = NULL;
	json_object *details;
	char sub[256];
	int k;

	r->proto = "json";
	if (!buf)
		buf = "", len = 0;
	if (len > HEALTH_MAX) {
		snprintf(err, errlen, "body too large");
		return -EBADMSG;
	}
	k = emu_json_parse(buf, len, &o, sub, sizeof(sub));
	if (k < 0) {
		snprintf(err, errlen, "body is not JSON: %s", sub);
		return -EBADMSG;
	}
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "body must be a JSON object");
		return -EINVAL;
	}
	if ((k = json_str(o, "state", "", &r->state, err, errlen)) < 0)
		return k;
	if (!r->state) {
		snprintf(err, errlen, "missing key state");
		return -EINVAL;
	}
	if (json_object_object_get_ex(o, "details", &details)) {
		if (!json_object_is_type(details, json_type_object)) {
			snprintf(err, errlen, "details must be an object");
			return -EINVAL;
		}
		r->has_details = true;
		if ((k = json_str(details, "subStatus", "details.", &r->substatus, err, errlen)) <
			0 ||
		    (k = json_str(details, "description", "details.", &r->description, err,
				  errlen)) < 0)
			return k;
	}
	return 0;
}

int emu_health_validate(const EmuHealthReport *r, size_t max_description, char *err, size_t errlen)
{
	bool json = r->proto && streq(r->proto, "json");

	if (!r->state || (!streq(r->state, "Ready") && !streq(r->state, "NotReady"))) {
		snprintf(err, errlen, "State must be Ready or NotReady, not '%s'",
			 strempty(r->state));
		return -EINVAL;
	}
	if (json && streq(r->state, "NotReady")) {
		if (!r->has_details) {
			snprintf(err, errlen, "NotReady requires details");
			return -EINVAL;
		}
		if (!r->description) {
			snprintf(err, errlen, "NotReady requires details.description");
			return -EINVAL;
		}
	}
	/* A JSON Ready may carry details; they are ignored, as the wireserver does. */
	if (r->has_details && !(json && streq(r->state, "Ready"))) {
		if (!r->substatus || (!streq(r->substatus, "ProvisioningFailed") &&
				      !streq(r->substatus, "Provisioning"))) {
			snprintf(err, errlen,
				 "SubStatus must be ProvisioningFailed or Provisioning, not '%s'",
				 strempty(r->substatus));
			return -EINVAL;
		}
		if (max_description > 0 && r->description &&
		    strlen(r->description) > max_description) {
			snprintf(err, errlen, "Description is %zu bytes, more than %zu",
				 strlen(r->description), max_description);
			return -EINVAL;
		}
	}
	return 0;
}
