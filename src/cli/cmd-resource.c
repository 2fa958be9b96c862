/* SPDX-License-Identifier: MIT */
/* resource list|show|delete|tag, and tag create|update|list|delete */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json-util.h"
#include "model.h"
#include "strutil.h"

/* The newest stable api-version of the id's resource type, from its provider. */
static int api_version_for(Cli *cli, ArmClient *arm, const char *id, char **ret, ArmError *e)
{
	_cleanup_free_ char *sub = NULL, *group = NULL, *ns = NULL, *type = NULL, *path = NULL;
	_cleanup_json_ json_object *prov = NULL;
	const char *given = cli_arg(&cli->args, "api-version");
	int r;

	if (given) {
		*ret = strdup(given);
		return *ret ? 0 : -ENOMEM;
	}
	if (arm_parse_id(id, &sub, &group, &ns, &type, NULL) < 0 || !ns) {
		if (group && !ns) {
			*ret = strdup(CLI_API_RESOURCES);
			return *ret ? 0 : -ENOMEM;
		}
		cli_error("'%s' is not a valid resource id", id);
		return -EINVAL;
	}
	if (asprintf(&path, "/subscriptions/%s/providers/%s", sub, ns) < 0)
		return -ENOMEM;
	r = arm_request(arm, "GET", path, CLI_API_RESOURCES, NULL, &prov, NULL, e);
	if (r < 0)
		return r;
	json_object *types = json_get_path(prov, "resourceTypes");
	for (size_t i = 0; types && i < json_object_array_length(types); i++) {
		json_object *t = json_object_array_get_idx(types, i);
		const char *rt = json_get_string(t, "resourceType");
		if (!rt || !strcaseeq(rt, type))
			continue;
		json_object *v = json_get_path(t, "apiVersions");
		const char *best = NULL;
		for (size_t j = 0; v && j < json_object_array_length(v); j++) {
			const char *s = json_object_get_string(json_object_array_get_idx(v, j));
			if (s && !strstr(s, "preview") && (!best || strcmp(s, best) > 0))
				best = s;
		}
		if (!best && v && json_object_array_length(v) > 0)
			best = json_object_get_string(json_object_array_get_idx(v, 0));
		if (best) {
			*ret = strdup(best);
			return *ret ? 0 : -ENOMEM;
		}
	}
	cli_error("The resource type '%s' could not be found in the namespace '%s'; pass "
		  "--api-version.",
		  type, ns);
	return -ENOENT;
}

/* The ids a command acts on: --ids, or -g/-n/--resource-type (with --namespace). */
static int target_ids(Cli *cli, char ***ret)
{
	_cleanup_free_ const char **ids = NULL;
	size_t n = cli_arg_all(&cli->args, "ids", &ids);
	char **out = NULL;

	if (n > 0) {
		for (size_t i = 0; i < n; i++)
			if (!isempty(ids[i]) && strv_extend(&out, ids[i]) < 0)
				return -ENOMEM;
		if (!out) {
			cli_error("argument --ids: expected at least one resource id");
			return -EINVAL;
		}
		*ret = out;
		return 0;
	}
	const char *g = cli_arg(&cli->args, "resource-group"), *name = cli_arg(&cli->args, "name");
	const char *type = cli_arg(&cli->args, "resource-type"),
		   *ns = cli_arg(&cli->args, "namespace");
	if (!g || !name || !type) {
		cli_error("(--ids | --resource-group --name --resource-type) are required");
		return -EINVAL;
	}
	const char *sub = cli_subscription_id(cli);
	if (!sub)
		return -ENOENT;
	char *id;
	if (asprintf(&id, "/subscriptions/%s/resourceGroups/%s/providers/%s%s%s/%s", sub, g,
		     ns ? ns : "", ns ? "/" : "", type, name) < 0)
		return -ENOMEM;
	if (strv_push(&out, id) < 0)
		return -ENOMEM;
	*ret = out;
	return 0;
}

/* az resource list -o table (az reads properties.provisioningStatus, which a list lacks) */
static json_object *resource_table_row(json_object *o)
{
	static const CliColumn cols[] = {{"Name", "name"},
					 {"ResourceGroup", "resourceGroup"},
					 {"Location", "location"},
					 {"Type", "type"},
					 {"Status", "properties.provisioningStatus"}};
	return cli_table_columns(o, cols, ELEMENTSOF(cols));
}

static int resource_list(Cli *cli, json_object **ret)
{
	ArmClient *arm;
	_cleanup_(arm_error_done) ArmError e = {};
	const char *sub, *g = cli_arg(&cli->args, "resource-group");
	StrBuf path = {}, filter = {};
	static const struct {
		const char *arg, *field;
	} eqs[] = {{"resource-type", "resourceType"}, {"name", "name"}, {"location", "location"}};
	int r;

	if (cli_arm(cli, &arm) < 0 || !(sub = cli_subscription_id(cli)))
		return CLI_EXIT_ERROR;
	strbuf_printf(&path, "/subscriptions/%s", sub);
	if (g)
		strbuf_printf(&path, "/resourceGroups/%s", g);
	strbuf_puts(&path, "/resources");
	for (size_t i = 0; i < ELEMENTSOF(eqs); i++) {
		const char *v = cli_arg(&cli->args, eqs[i].arg);
		if (!v)
			continue;
		_cleanup_free_ char *ev = cli_filter_value(v);
		strbuf_printf(&filter, "%s%s%%20eq%%20%%27%s%%27", filter.len ? "%20and%20" : "",
			      eqs[i].field, ev ? ev : "");
	}
	const char *tag = cli_arg(&cli->args, "tag");
	if (tag) {
		const char *eq = strchr(tag, '=');
		_cleanup_free_ char *k = eq ? strndup(tag, (size_t)(eq - tag)) : strdup(tag);
		_cleanup_free_ char *ek = k ? cli_filter_value(k) : NULL;
		_cleanup_free_ char *ev = eq ? cli_filter_value(eq + 1) : NULL;
		if (filter.len) {
			cli_error("--tag cannot be combined with other filters");
			strbuf_free(&path);
			strbuf_free(&filter);
			return CLI_EXIT_USAGE;
		}
		strbuf_printf(&filter, "tagName%%20eq%%20%%27%s%%27", ek ? ek : "");
		if (ev)
			strbuf_printf(&filter, "%%20and%%20tagValue%%20eq%%20%%27%s%%27", ev);
	}
	/* As az asks: real ARM leaves these three out of a list otherwise. */
	strbuf_puts(&path, "?$expand=createdTime%2CchangedTime%2CprovisioningState");
	if (filter.len)
		strbuf_printf(&path, "&$filter=%s", filter.data);
	strbuf_free(&filter);
	if (!path.data)
		return CLI_EXIT_ERROR;
	r = arm_list(arm, path.data, CLI_API_RESOURCES_LIST, ret, &e);
	strbuf_free(&path);
	if (r < 0)
		return cli_arm_error(r, &e);
	model_fill(*ret, model_resource_expanded);
	cli->table_row = resource_table_row;
	return CLI_EXIT_OK;
}

static int resource_show(Cli *cli, json_object **ret)
{
	ArmClient *arm;
	_cleanup_strv_free_ char **ids = NULL;
	_cleanup_json_ json_object *all = json_object_new_array();
	int r;

	if (target_ids(cli, &ids) < 0)
		return CLI_EXIT_USAGE;
	if (cli_arm(cli, &arm) < 0)
		return CLI_EXIT_ERROR;
	for (size_t i = 0; ids[i]; i++) {
		_cleanup_(arm_error_done) ArmError e = {};
		_cleanup_free_ char *api = NULL;
		json_object *o = NULL;
		r = api_version_for(cli, arm, ids[i], &api, &e);
		if (r < 0)
			return e.message ? cli_arm_error(r, &e) : CLI_EXIT_ERROR;
		r = arm_request(arm, "GET", ids[i], api, NULL, &o, NULL, &e);
		if (r < 0)
			return cli_arm_error(r, &e);
		json_object_array_add(all, o);
	}
	model_fill(all, model_resource);
	*ret = cli_one_or_list(all);
	return CLI_EXIT_OK;
}

static int resource_delete(Cli *cli, json_object **ret)
{
	ArmClient *arm;
	_cleanup_strv_free_ char **ids = NULL;
	int r;

	if (target_ids(cli, &ids) < 0)
		return CLI_EXIT_USAGE;
	if (cli_arm(cli, &arm) < 0)
		return CLI_EXIT_ERROR;
	for (size_t i = 0; ids[i]; i++) {
		_cleanup_(arm_error_done) ArmError e = {};
		_cleanup_free_ char *api = NULL;
		_cleanup_json_ json_object *o = NULL;
		r = api_version_for(cli, arm, ids[i], &api, &e);
		if (r < 0)
			return e.message ? cli_arm_error(r, &e) : CLI_EXIT_ERROR;
		r = arm_request_lro(arm, "DELETE", ids[i], api, NULL, !cli_flag(&cli->args, "no-wait"),
				    3600 * USEC_PER_SEC, &o, &e);
		if (r < 0)
			return cli_arm_error(r, &e);
	}
	return CLI_EXIT_OK;
}

/* PUT/PATCH {id}/providers/Microsoft.Resources/tags/default */
static int tags_call(Cli *cli, const char *id, const char *method, const char *operation,
		     json_object *tags, json_object **ret)
{
	ArmClient *arm;
	_cleanup_(arm_error_done) ArmError e = {};
	_cleanup_free_ char *path = NULL;
	_cleanup_json_ json_object *body = NULL;
	int r;

	if (cli_arm(cli, &arm) < 0)
		return CLI_EXIT_ERROR;
	if (asprintf(&path, "%s/providers/Microsoft.Resources/tags/default", id) < 0)
		return CLI_EXIT_ERROR;
	if (tags) {
		json_object *props = json_object_new_object();
		body = json_object_new_object();
		json_object_object_add(props, "tags", json_object_get(tags));
		json_object_object_add(body, "properties", props);
		if (operation)
			json_object_object_add(body, "operation", json_object_new_string(operation));
	}
	r = arm_request(arm, method, path, CLI_API_TAGS, body, ret, NULL, &e);
	if (r < 0)
		return cli_arm_error(r, &e);
	model_fill(*ret, model_tags);
	return CLI_EXIT_OK;
}

static int parse_tags_arg(Cli *cli, json_object **ret)
{
	_cleanup_free_ const char **words = NULL;
	size_t n = cli_arg_all(&cli->args, "tags", &words);
	if (!words)
		return -ENOMEM;
	if (n == 0) {
		cli_error("the following arguments are required: --tags");
		return -EINVAL;
	}
	return cli_parse_tags(words, n, ret);
}

static int resource_tag(Cli *cli, json_object **ret)
{
	_cleanup_strv_free_ char **ids = NULL;
	_cleanup_json_ json_object *tags = NULL, *all = json_object_new_array();
	bool incremental = cli_flag(&cli->args, "is-incremental");

	if (parse_tags_arg(cli, &tags) < 0 || target_ids(cli, &ids) < 0)
		return CLI_EXIT_USAGE;
	for (size_t i = 0; ids[i]; i++) {
		_cleanup_json_ json_object *t = NULL;
		int rc = tags_call(cli, ids[i], incremental ? "PATCH" : "PUT",
				   incremental ? "Merge" : NULL, tags, &t);
		if (rc != CLI_EXIT_OK)
			return rc;
	}
	/* What az prints: the resources as they are now. */
	for (size_t i = 0; ids[i]; i++) {
		ArmClient *arm;
		_cleanup_(arm_error_done) ArmError e = {};
		_cleanup_free_ char *api = NULL;
		json_object *o = NULL;
		int r;
		if (cli_arm(cli, &arm) < 0)
			return CLI_EXIT_ERROR;
		if ((r = api_version_for(cli, arm, ids[i], &api, &e)) < 0 ||
		    (r = arm_request(arm, "GET", ids[i], api, NULL, &o, NULL, &e)) < 0)
			return e.message ? cli_arm_error(r, &e) : CLI_EXIT_ERROR;
		json_object_array_add(all, o);
	}
	model_fill(all, model_resource);
	*ret = cli_one_or_list(all);
	return CLI_EXIT_OK;
}

static const char *need_resource_id(Cli *cli)
{
	const char *id = cli_arg(&cli->args, "resource-id");
	if (!id)
		cli_error("the following arguments are required: --resource-id");
	return id;
}

static int tag_create(Cli *cli, json_object **ret)
{
	_cleanup_json_ json_object *tags = NULL;
	const char *id = need_resource_id(cli);
	if (!id || parse_tags_arg(cli, &tags) < 0)
		return CLI_EXIT_USAGE;
	return tags_call(cli, id, "PUT", NULL, tags, ret);
}

static int tag_update(Cli *cli, json_object **ret)
{
	_cleanup_json_ json_object *tags = NULL;
	const char *id = need_resource_id(cli), *op = cli_arg(&cli->args, "operation");
	if (!id || parse_tags_arg(cli, &tags) < 0)
		return CLI_EXIT_USAGE;
	if (!op || (!streq(op, "Merge") && !streq(op, "Replace") && !streq(op, "Delete"))) {
		cli_error("argument --operation: invalid choice: '%s' (choose from 'Merge', "
			  "'Replace', 'Delete')",
			  strempty(op));
		return CLI_EXIT_USAGE;
	}
	return tags_call(cli, id, "PATCH", op, tags, ret);
}

static int tag_list(Cli *cli, json_object **ret)
{
	const char *id = need_resource_id(cli);
	if (!id)
		return CLI_EXIT_USAGE;
	return tags_call(cli, id, "GET", NULL, NULL, ret);
}

static int tag_delete(Cli *cli, json_object **ret)
{
	const char *id = need_resource_id(cli);
	if (!id)
		return CLI_EXIT_USAGE;
	if (!cli_flag(&cli->args, "yes")) {
		cli_error("Deleting every tag of '%s' needs --yes.", id);
		return CLI_EXIT_USAGE;
	}
	return tags_call(cli, id, "DELETE", NULL, NULL, ret);
}

#define ID_OPTIONS                                                                                \
	{"ids", NULL, true, true, NULL, "one or more resource ids"},                              \
	    {"resource-group", "g", true, false, NULL, "resource group"},                         \
	    {"name", "n", true, false, NULL, "resource name"},                                    \
	    {"resource-type", NULL, true, false, NULL, "Namespace/type, or type with --namespace"}, \
	    {"namespace", NULL, true, false, NULL, "provider namespace"},                         \
	    {"api-version", NULL, true, false, NULL, "api-version (default: the provider's newest)"}

static const CliOption list_options[] = {
    {"resource-group", "g", true, false, NULL, "only this resource group"},
    {"resource-type", NULL, true, false, NULL, "only this type (Namespace/type)"},
    {"name", "n", true, false, NULL, "only this name"},
    {"location", "l", true, false, NULL, "only this location"},
    {"tag", NULL, true, false, NULL, "KEY[=VALUE]: only resources with this tag"},
    {},
};

static const CliOption show_options[] = {ID_OPTIONS, {}};

static const CliOption delete_options[] = {
    ID_OPTIONS,
    {"no-wait", NULL, false, false, NULL, "do not wait for the deletion"},
    {},
};

static const CliOption rtag_options[] = {
    ID_OPTIONS,
    {"tags", NULL, true, true, NULL, "space-separated KEY[=VALUE] tags"},
    {"is-incremental", "i", false, false, NULL, "merge with the existing tags"},
    {},
};

static const CliOption tag_options[] = {
    {"resource-id", NULL, true, false, NULL, "the scope: a subscription, group or resource id"},
    {"tags", NULL, true, true, NULL, "space-separated KEY[=VALUE] tags"},
    {"operation", NULL, true, false, NULL, "Merge, Replace or Delete (update)"},
    {"yes", "y", false, false, NULL, "do not ask (delete)"},
    {},
};

const CliCommand cli_resource_commands[] = {
    {"resource list", resource_list, "List resources", list_options},
    {"resource show", resource_show, "Show resources", show_options},
    {"resource delete", resource_delete, "Delete resources", delete_options},
    {"resource tag", resource_tag, "Tag resources", rtag_options},
    {},
};

const CliCommand cli_tag_commands[] = {
    {"tag create", tag_create, "Replace the tags at a scope", tag_options},
    {"tag update", tag_update, "Merge, replace or delete tags at a scope", tag_options},
    {"tag list", tag_list, "Show the tags at a scope", tag_options},
    {"tag delete", tag_delete, "Delete every tag at a scope", tag_options},
    {},
};
