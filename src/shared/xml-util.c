/* SPDX-License-Identifier: MIT */
#include "xml-util.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "strutil.h"

/* Goal states, OVF documents and health reports are a few KiB; anything this
 * large is not something an agent should parse. */
#define XML_MAX_SIZE (1024u * 1024u)

typedef struct XmlParseState {
	bool doctype_seen;
	bool have_error;
	int line;
	char message[256];
} XmlParseState;

static void xml_seterr(char *err, size_t errlen, const char *fmt, ...) _printf_(3, 4);
static void xml_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Installed on the parser context only, so a hostile document never reaches
 * the process-wide libxml2 error handler (which prints to stderr). Keeps the
 * first error: later ones are usually consequences of it. */
static void xml_structured_error(void *user, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = user;
	XmlParseState *st;
	size_t n;

	if (!ctxt || !e)
		return;
	st = ctxt->_private;
	if (!st || st->have_error || e->level < XML_ERR_ERROR)
		return;
	st->have_error = true;
	st->line = e->line;
	snprintf(st->message, sizeof(st->message), "%s", e->message ? e->message : "parse error");
	n = strlen(st->message);
	while (n > 0 && (st->message[n - 1] == '\n' || st->message[n - 1] == '\r' ||
			 st->message[n - 1] == ' '))
		st->message[--n] = '\0';
}

/* Called as soon as "<!DOCTYPE name ..." is read, before any entity
 * declaration of the internal subset is parsed: stop right there. */
static void xml_on_internal_subset(void *user, const xmlChar *name _unused_,
				   const xmlChar *external_id _unused_,
				   const xmlChar *system_id _unused_)
{
	xmlParserCtxtPtr ctxt = user;
	XmlParseState *st = ctxt ? ctxt->_private : NULL;

	if (st)
		st->doctype_seen = true;
	if (ctxt)
		xmlStopParser(ctxt);
}

int xml_parse_untrusted(const char *buf, size_t len, xmlDocPtr *ret, char *err, size_t errlen)
{
	XmlParseState st = {0};
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;

	if (err && errlen > 0)
		err[0] = '\0';
	if (!ret || (!buf && len > 0)) {
		xml_seterr(err, errlen, "invalid arguments");
		return -EINVAL;
	}
	*ret = NULL;
	if (len == 0) {
		xml_seterr(err, errlen, "empty document");
		return -EBADMSG;
	}
	if (len > XML_MAX_SIZE || len > INT_MAX) {
		xml_seterr(err, errlen, "document too large (%zu bytes, limit %u)", len,
			   XML_MAX_SIZE);
		return -EFBIG;
	}

	/* Everything Azure sends is UTF-8. Other encodings (UTF-7, UTF-16,
	 * EBCDIC...) only widen what a hostile document can smuggle past text
	 * checks, and a document re-serialized in them would no longer be UTF-8. */
	if (!utf8_is_valid_n(buf, len) || memchr(buf, '\0', len)) {
		xml_seterr(err, errlen, "document is not valid UTF-8");
		return -EBADMSG;
	}

	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		xml_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ctxt->_private = &st;
	ctxt->sax->serror = xml_structured_error;
	ctxt->sax->internalSubset = xml_on_internal_subset;

	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);

	if (st.doctype_seen || (doc && (doc->intSubset || doc->extSubset))) {
		if (doc)
			xmlFreeDoc(doc);
		xmlFreeParserCtxt(ctxt);
		xml_seterr(err, errlen, "DOCTYPE not allowed");
		return -EBADMSG;
	}

	if (!doc || !ctxt->wellFormed || st.have_error) {
		if (st.have_error)
			xml_seterr(err, errlen, "line %d: %s", st.line, st.message);
		else {
			const xmlError *e = xmlCtxtGetLastError(ctxt);
			if (e && e->message)
				xml_seterr(err, errlen, "line %d: %s", e->line, e->message);
			else
				xml_seterr(err, errlen, "malformed document");
		}
		if (doc)
			xmlFreeDoc(doc);
		xmlFreeParserCtxt(ctxt);
		return -EBADMSG;
	}

	if (doc->encoding && xmlStrcasecmp(doc->encoding, BAD_CAST "UTF-8") != 0 &&
	    xmlStrcasecmp(doc->encoding, BAD_CAST "UTF8") != 0 &&
	    xmlStrcasecmp(doc->encoding, BAD_CAST "US-ASCII") != 0) {
		xml_seterr(err, errlen, "unsupported encoding \"%.32s\" (only UTF-8)",
			   (const char *)doc->encoding);
		xmlFreeDoc(doc);
		xmlFreeParserCtxt(ctxt);
		return -EBADMSG;
	}

	if (!xmlDocGetRootElement(doc)) {
		xmlFreeDoc(doc);
		xmlFreeParserCtxt(ctxt);
		xml_seterr(err, errlen, "document has no root element");
		return -EBADMSG;
	}

	xmlFreeParserCtxt(ctxt);
	*ret = doc;
	return 0;
}

xmlNodePtr xml_child(xmlNodePtr parent, const char *local_name, unsigned *count)
{
	xmlNodePtr found = NULL;
	unsigned n = 0;

	if (parent && local_name)
		for (xmlNodePtr c = parent->children; c; c = c->next) {
			if (c->type != XML_ELEMENT_NODE || !c->name)
				continue;
			if (!streq((const char *)c->name, local_name))
				continue;
			if (n < UINT_MAX)
				n++;
			if (!found)
				found = c;
		}

	if (count)
		*count = n;
	/* A duplicate is never silently resolved to one of its copies. */
	return n == 1 ? found : NULL;
}

char *xml_text(xmlNodePtr node)
{
	xmlChar *c;
	char *s;

	if (!node)
		return NULL;
	c = xmlNodeGetContent(node);
	if (!c)
		return NULL;
	s = strdup((const char *)c);
	xmlFree(c);
	return s;
}

int xml_leaf_text(xmlNodePtr node, char **ret)
{
	if (!node)
		return -EINVAL;
	for (xmlNodePtr c = node->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return -EBADMSG;
	*ret = xml_text(node);
	return *ret ? 0 : -ENOMEM;
}

char *xml_escape(const char *s)
{
	StrBuf b = {0};

	if (!s)
		return NULL;
	for (const char *p = s; *p; p++) {
		const char *rep;
		int r;

		switch (*p) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		default:
			rep = NULL;
		}
		r = rep ? strbuf_puts(&b, rep) : strbuf_append(&b, p, 1);
		if (r < 0) {
			strbuf_free(&b);
			return NULL;
		}
	}
	return strbuf_steal(&b);
}
