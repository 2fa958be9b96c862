/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "strutil.h"

/*
 * A JSON value as YAML, the way PyYAML's
 * safe_dump(v, default_flow_style=False, allow_unicode=True) writes it (what
 * the Azure CLI prints for -o yaml): keys sorted, block style, strings
 * quoted only where a plain scalar would read back as something else,
 * lines folded past 80 columns, "..." after a plain scalar at the top.
 * With color, the escapes that pygments' YAML lexer and terminal formatter
 * add (az -o yamlc). Returns 0 or -ENOMEM.
 */
int yaml_emit(StrBuf *b, json_object *o, bool color);

/* Would a plain scalar with this text read back as a string (YAML 1.1, as PyYAML resolves)? */
bool yaml_plain_is_str(const char *s);

/* A double as Python's repr() writes it: the shortest digits that read back. */
void python_float_repr(char *buf, size_t size, double d);
