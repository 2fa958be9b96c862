/* SPDX-License-Identifier: MIT */
#pragma once

#include <libxml/tree.h>
#include <stddef.h>

#include "macros.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc);
#define _cleanup_xmldoc_ _cleanup_(xmlFreeDocp)

/*
 * Parse untrusted XML: no network, no entity substitution, no external DTD,
 * any DOCTYPE rejected (XXE, billion laughs), size capped by the caller.
 * err names the line and libxml2's message.
 */
int xml_parse_untrusted(const char *buf, size_t len, xmlDocPtr *ret, char *err, size_t errlen);

/*
 * Children of parent with this local name (namespace ignored, as agents
 * must accept ns0:/ns1:/wa: prefixes). Returns the only match, NULL if none;
 * *count (optional) receives how many there were, so callers can reject
 * duplicates.
 */
xmlNodePtr xml_child(xmlNodePtr parent, const char *local_name, unsigned *count);

/* Text content of a node (caller frees with free(), not xmlFree), or NULL. */
char *xml_text(xmlNodePtr node);
/*
 * Text of an element that must hold only text (and comments/CDATA): -EBADMSG
 * when it has child elements, whose text xml_text() would splice in.
 */
int xml_leaf_text(xmlNodePtr node, char **ret);

/* Escape &, <, >, ", ' for element text or attribute. Caller frees. */
char *xml_escape(const char *s);
