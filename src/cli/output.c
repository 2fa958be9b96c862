/* SPDX-License-Identifier: MIT */
/*
 * The Azure CLI's output formats: json (keys sorted, two-space indent, UTF-8
 * as is), jsonc (the same in colour), yaml and yamlc (PyYAML's, see
 * yaml-emit.c), table (scalar fields as columns, id, type and etag left
 * out), tsv (values only, keys sorted) and none; --query (JMESPath) runs
 * first.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "http.h"
#include "jmespath.h"
#include "json-util.h"
#include "strutil.h"
#include "yaml-emit.h"

#define C_KEY "\033[94m"
#define C_STR "\033[32m"
#define C_NUM "\033[36m"
#define C_OFF "\033[0m"

static void put_string(StrBuf *b, const char *s, size_t len)
{
	strbuf_puts(b, "\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"':
			strbuf_puts(b, "\\\"");
			break;
		case '\\':
			strbuf_puts(b, "\\\\");
			break;
		case '\n':
			strbuf_puts(b, "\\n");
			break;
		case '\r':
			strbuf_puts(b, "\\r");
			break;
		case '\t':
			strbuf_puts(b, "\\t");
			break;
		case '\b':
			strbuf_puts(b, "\\b");
			break;
		case '\f':
			strbuf_puts(b, "\\f");
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				strbuf_printf(b, "\\u%04x", c);
			else
				strbuf_append(b, (const char *)&s[i], 1);
		}
	}
	strbuf_puts(b, "\"");
}

/* A double as Python's repr() writes it: the shortest form that reads back. */
static void put_double(StrBuf *b, double d)
{
	char buf[64];
	if (!isfinite(d)) {
		strbuf_puts(b, isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	strbuf_puts(b, buf);
	if (!strpbrk(buf, ".eninf"))
		strbuf_puts(b, ".0");
}

/* Display width: one column per code point (continuation bytes do not count). */
static size_t utf8_width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static char *strstrip_right(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
	return s;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void put_json(StrBuf *b, json_object *o, int depth, bool color)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		strbuf_puts(b, "null");
		return;
	case json_type_boolean:
		strbuf_puts(b, json_object_get_boolean(o) ? "true" : "false");
		return;
	case json_type_int:
		if (color)
			strbuf_puts(b, C_NUM);
		if (json_object_get_int64(o) == INT64_MAX && json_object_get_uint64(o) > INT64_MAX)
			strbuf_printf(b, "%llu", (unsigned long long)json_object_get_uint64(o));
		else
			strbuf_printf(b, "%lld", (long long)json_object_get_int64(o));
		if (color)
			strbuf_puts(b, C_OFF);
		return;
	case json_type_double:
		if (color)
			strbuf_puts(b, C_NUM);
		put_double(b, json_object_get_double(o));
		if (color)
			strbuf_puts(b, C_OFF);
		return;
	case json_type_string:
		if (color)
			strbuf_puts(b, C_STR);
		put_string(b, json_object_get_string(o), (size_t)json_object_get_string_len(o));
		if (color)
			strbuf_puts(b, C_OFF);
		return;
	case json_type_array: {
		size_t n = json_object_array_length(o);
		if (n == 0) {
			strbuf_puts(b, "[]");
			return;
		}
		strbuf_puts(b, "[\n");
		for (size_t i = 0; i < n; i++) {
			strbuf_printf(b, "%*s", (depth + 1) * 2, "");
			put_json(b, json_object_array_get_idx(o, i), depth + 1, color);
			strbuf_puts(b, i + 1 < n ? ",\n" : "\n");
		}
		strbuf_printf(b, "%*s]", depth * 2, "");
		return;
	}
	case json_type_object: {
		size_t n = (size_t)json_object_object_length(o), k = 0;
		if (n == 0) {
			strbuf_puts(b, "{}");
			return;
		}
		const char **keys = calloc(n, sizeof(*keys));
		if (!keys)
			return;
		json_object_object_foreach(o, key, val) {
			(void)val;
			keys[k++] = key;
		}
		qsort(keys, n, sizeof(*keys), cmp_str);
		strbuf_puts(b, "{\n");
		for (size_t i = 0; i < n; i++) {
			json_object *v = NULL;
			json_object_object_get_ex(o, keys[i], &v);
			strbuf_printf(b, "%*s", (depth + 1) * 2, "");
			if (color)
				strbuf_puts(b, C_KEY);
			put_string(b, keys[i], strlen(keys[i]));
			if (color)
				strbuf_puts(b, C_OFF);
			strbuf_puts(b, ": ");
			put_json(b, v, depth + 1, color);
			strbuf_puts(b, i + 1 < n ? ",\n" : "\n");
		}
		free(keys);
		strbuf_printf(b, "%*s}", depth * 2, "");
		return;
	}
	}
}

/* A scalar as Python's str() prints it (True, False, 1.5, text). */
static char *scalar_text(json_object *v)
{
	StrBuf b = {};
	switch (json_object_get_type(v)) {
	case json_type_null:
		return strdup("None");
	case json_type_boolean:
		return strdup(json_object_get_boolean(v) ? "True" : "False");
	case json_type_string:
		return strdup(json_object_get_string(v));
	case json_type_double:
		put_double(&b, json_object_get_double(v));
		return strbuf_steal(&b);
	default:
		put_json(&b, v, 0, false);
		return strbuf_steal(&b);
	}
}

static bool is_scalar(json_object *v)
{
	return v && !json_object_is_type(v, json_type_object) &&
	       !json_object_is_type(v, json_type_array);
}

/*
 * One tsv field: a list prints its length, an object nothing, a scalar its
 * text, null as Python's str(None) ("None"), as knack's tsv does.
 */
static void put_tsv_value(StrBuf *b, json_object *v)
{
	if (json_object_is_type(v, json_type_array))
		strbuf_printf(b, "%zu", json_object_array_length(v));
	else if (!json_object_is_type(v, json_type_object)) {
		_cleanup_free_ char *t = scalar_text(v);
		strbuf_puts(b, t ? t : "");
	}
}

static void put_tsv_row(StrBuf *b, json_object *row)
{
	if (json_object_is_type(row, json_type_object)) {
		size_t n = (size_t)json_object_object_length(row), k = 0;
		const char **keys = calloc(n + 1, sizeof(*keys));
		if (!keys)
			return;
		json_object_object_foreach(row, key, val) {
			(void)val;
			keys[k++] = key;
		}
		qsort(keys, n, sizeof(*keys), cmp_str);
		for (size_t i = 0; i < n; i++) {
			json_object *v = NULL;
			json_object_object_get_ex(row, keys[i], &v);
			if (i)
				strbuf_puts(b, "\t");
			put_tsv_value(b, v);
		}
		free(keys);
	} else if (json_object_is_type(row, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(row); i++) {
			json_object *v = json_object_array_get_idx(row, i);
			if (i)
				strbuf_puts(b, "\t");
			put_tsv_value(b, v);
		}
	} else if (json_object_is_type(row, json_type_boolean))
		/* knack lowercases a boolean row; a boolean field stays True/False. */
		strbuf_puts(b, json_object_get_boolean(row) ? "true" : "false");
	else
		put_tsv_value(b, row);
	strbuf_puts(b, "\n");
}

/* Column header: the key with its first letter capitalised. */
static char *header_of(const char *key)
{
	char *h = strdup(key);
	if (h && h[0] >= 'a' && h[0] <= 'z')
		h[0] = (char)(h[0] - 'a' + 'A');
	return h;
}

static void put_table(StrBuf *b, json_object *result, bool sort_keys)
{
	_cleanup_json_ json_object *rows = json_object_new_array();
	if (json_object_is_type(result, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(result); i++)
			json_object_array_add(rows,
					      json_object_get(json_object_array_get_idx(result, i)));
	} else if (result)
		json_object_array_add(rows, json_object_get(result));

	/* Columns: scalar keys in order of first appearance (sorted without --query). */
	char **cols = NULL;
	size_t ncols = 0, nrows = json_object_array_length(rows);
	for (size_t i = 0; i < nrows; i++) {
		json_object *r = json_object_array_get_idx(rows, i);
		if (!json_object_is_type(r, json_type_object)) {
			const char *name = json_object_is_type(r, json_type_array) ? NULL : "Result";
			if (name && !strv_contains(cols, "Result")) {
				strv_extend(&cols, "Result");
				ncols++;
			}
			continue;
		}
		json_object_object_foreach(r, key, val) {
			if (streq(key, "id") || streq(key, "type") || streq(key, "etag"))
				continue;
			if (!is_scalar(val) || json_object_is_type(val, json_type_null))
				continue;
			if (!strv_contains(cols, key)) {
				strv_extend(&cols, key);
				ncols++;
			}
		}
	}
	if (sort_keys && ncols > 1)
		qsort(cols, ncols, sizeof(char *), cmp_str);
	if (ncols == 0) {
		strv_free(cols);
		return;
	}
	size_t *width = calloc(ncols, sizeof(size_t));
	char ***cells = calloc(nrows, sizeof(char **));
	if (!width || !cells)
		goto out;
	for (size_t c = 0; c < ncols; c++) {
		_cleanup_free_ char *h = header_of(cols[c]);
		/* As tabulate's: a column is at least two wider than its header. */
		width[c] = h ? utf8_width(h) + 2 : 0;
	}
	for (size_t i = 0; i < nrows; i++) {
		json_object *r = json_object_array_get_idx(rows, i);
		cells[i] = calloc(ncols, sizeof(char *));
		if (!cells[i])
			goto out;
		for (size_t c = 0; c < ncols; c++) {
			json_object *v = NULL;
			if (json_object_is_type(r, json_type_object))
				json_object_object_get_ex(r, cols[c], &v);
			else if (streq(cols[c], "Result"))
				v = r;
			cells[i][c] = v && is_scalar(v) && !json_object_is_type(v, json_type_null)
					  ? scalar_text(v)
					  : strdup("");
			if (cells[i][c])
				width[c] = MAX(width[c], utf8_width(cells[i][c]));
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		StrBuf line = {};
		for (size_t c = 0; c < ncols; c++) {
			_cleanup_free_ char *h = header_of(cols[c]);
			const char *t = pass == 0 ? h : NULL;
			if (c)
				strbuf_puts(&line, "  ");
			if (t)
				strbuf_printf(&line, "%s%*s", t, (int)(width[c] - utf8_width(t)), "");
			else
				for (size_t k = 0; k < width[c]; k++)
					strbuf_puts(&line, "-");
		}
		char *s = strbuf_steal(&line);
		if (s) {
			strbuf_puts(b, strstrip_right(s));
			strbuf_puts(b, "\n");
		}
		free(s);
	}
	for (size_t i = 0; i < nrows; i++) {
		StrBuf line = {};
		for (size_t c = 0; c < ncols; c++) {
			const char *t = cells[i][c] ? cells[i][c] : "";
			if (c)
				strbuf_puts(&line, "  ");
			strbuf_printf(&line, "%s%*s", t, (int)(width[c] - utf8_width(t)), "");
		}
		char *s = strbuf_steal(&line);
		if (s) {
			strbuf_puts(b, strstrip_right(s));
			strbuf_puts(b, "\n");
		}
		free(s);
	}
out:
	if (cells)
		for (size_t i = 0; i < nrows; i++) {
			if (cells[i])
				for (size_t c = 0; c < ncols; c++)
					free(cells[i][c]);
			free(cells[i]);
		}
	free(cells);
	free(width);
	strv_free(cols);
}

json_object *cli_table_columns(json_object *o, const CliColumn *cols, size_t n)
{
	json_object *row = json_object_new_object();
	for (size_t i = 0; row && i < n; i++) {
		json_object *v = json_get_path(o, cols[i].path);
		if (json_object_object_add(row, cols[i].header,
					   v ? json_object_get(v) : json_object_new_string("")) < 0) {
			json_object_put(row);
			return NULL;
		}
	}
	return row;
}

/* The command's table rows for a result object or list. */
static json_object *table_rows(Cli *cli, json_object *result)
{
	if (!json_object_is_type(result, json_type_array))
		return cli->table_row(result);
	json_object *rows = json_object_new_array();
	for (size_t i = 0; rows && i < json_object_array_length(result); i++) {
		json_object *row = cli->table_row(json_object_array_get_idx(result, i));
		if (!row || json_object_array_add(rows, row) < 0) {
			json_object_put(row);
			json_object_put(rows);
			return NULL;
		}
	}
	return rows;
}

/*
 * jsonc and yamlc colour only a terminal, as az: stdout and stderr both a
 * tty; otherwise they are json and yaml.
 */
static bool use_color(void)
{
	return isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
}

int cli_print(Cli *cli, json_object *result)
{
	_cleanup_json_ json_object *queried = NULL;
	StrBuf b = {};

	cli_add_resource_group(result);
	if (cli->query) {
		char err[512] = "";
		int r = jmespath_query(cli->query, result, &queried, err, sizeof(err));
		if (r < 0) {
			cli_error("argument --query: invalid jmespath_type value: '%s': %s", cli->query,
				  err);
			return CLI_EXIT_USAGE;
		}
		result = queried;
	}
	if (streq(cli->output, "none"))
		return CLI_EXIT_OK;
	/* Commands with nothing to say (vm start) print nothing, as az does. */
	if (!result && !cli->query)
		return CLI_EXIT_OK;
	if (streq(cli->output, "json") || streq(cli->output, "jsonc")) {
		put_json(&b, result, 0, streq(cli->output, "jsonc") && use_color());
		strbuf_puts(&b, "\n");
	} else if (streq(cli->output, "yaml") || streq(cli->output, "yamlc")) {
		if (yaml_emit(&b, result, streq(cli->output, "yamlc") && use_color()) < 0) {
			strbuf_free(&b);
			cli_error("out of memory");
			return CLI_EXIT_ERROR;
		}
	} else if (streq(cli->output, "tsv")) {
		if (json_object_is_type(result, json_type_array))
			for (size_t i = 0; i < json_object_array_length(result); i++)
				put_tsv_row(&b, json_object_array_get_idx(result, i));
		else if (result)
			put_tsv_row(&b, result);
	} else if (cli->table_row && !cli->query && result) {
		_cleanup_json_ json_object *rows = table_rows(cli, result);
		if (!rows)
			return CLI_EXIT_ERROR;
		put_table(&b, rows, false);
	} else
		put_table(&b, result, !cli->query);
	if (b.len > 0 && fwrite(b.data, 1, b.len, stdout) != b.len) {
		strbuf_free(&b);
		return CLI_EXIT_ERROR;
	}
	strbuf_free(&b);
	if (fflush(stdout) != 0) {
		cli_error("cannot write the output: %m");
		return CLI_EXIT_ERROR;
	}
	return CLI_EXIT_OK;
}

json_object *cli_one_or_list(json_object *all)
{
	return json_object_array_length(all) == 1
		   ? json_object_get(json_object_array_get_idx(all, 0))
		   : json_object_get(all);
}

/*
 * The group of a resource id as az finds it: split at '/', part 3 is
 * "resourceGroups" and part 4 the group, and there is a part 8 (a resource
 * in the group, not the group itself).
 */
static char *id_resource_group(const char *id)
{
	const char *part[9] = {id};
	size_t n = 1;
	for (const char *s = strchr(id, '/'); s && n < ELEMENTSOF(part); s = strchr(s + 1, '/'))
		part[n++] = s + 1;
	if (n < ELEMENTSOF(part) || strncasecmp(part[3], "resourcegroups/", 15) != 0)
		return NULL;
	return strndup(part[4], strcspn(part[4], "/"));
}

static bool has_key_no_case(json_object *o, const char *key)
{
	json_object_object_foreach(o, k, v) {
		(void)v;
		if (strcaseeq(k, key))
			return true;
	}
	return false;
}

void cli_add_resource_group(json_object *o)
{
	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			cli_add_resource_group(json_object_array_get_idx(o, i));
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, key, val) {
		if (!streq(key, "sourceVault"))
			cli_add_resource_group(val);
	}
	const char *id = json_get_string(o, "id");
	if (isempty(id) || has_key_no_case(o, "resourceGroup"))
		return;
	char *rg = id_resource_group(id);
	if (rg)
		json_object_object_add(o, "resourceGroup", json_object_new_string(rg));
	free(rg);
}

char *cli_filter_value(const char *v)
{
	/* OData doubles a quote inside a quoted string; then the query's escaping. */
	StrBuf b = {};
	for (const char *p = v; *p; p++)
		if ((*p == '\'' ? strbuf_puts(&b, "''") : strbuf_append(&b, p, 1)) < 0) {
			strbuf_free(&b);
			return NULL;
		}
	_cleanup_free_ char *quoted = strbuf_steal(&b);
	return http_url_escape(strempty(quoted));
}

int cli_parse_tags(const char *const *words, size_t n, json_object **ret)
{
	json_object *t = json_object_new_object();
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (isempty(words[i]))
			continue;
		const char *eq = strchr(words[i], '=');
		_cleanup_free_ char *k = eq ? strndup(words[i], (size_t)(eq - words[i]))
					    : strdup(words[i]);
		if (!k) {
			json_object_put(t);
			return -ENOMEM;
		}
		if (isempty(k)) {
			json_object_put(t);
			cli_error("argument --tags: '%s' has no key (use KEY[=VALUE])", words[i]);
			return -EINVAL;
		}
		json_object_object_add(t, k, json_object_new_string(eq ? eq + 1 : ""));
	}
	*ret = t;
	return 0;
}
