/* SPDX-License-Identifier: MIT */
/* group list|show|create|delete|exists */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "json-util.h"
#include "model.h"
#include "strutil.h"

static char *group_path(Cli *cli, const char *name)
{
	const char *sub = cli_subscription_id(cli);
	char *p = NULL;
	if (!sub)
		return NULL;
	if (!name || strpbrk(name, "/?#")) {
		cli_error("argument --name/-n/--resource-group/-g: '%s' is not a resource group name",
			  strempty(name));
		return NULL;
	}
	if (asprintf(&p, "/subscriptions/%s/resourcegroups/%s", sub, name) < 0)
		return NULL;
	return p;
}

static const char *need_name(Cli *cli)
{
	const char *n = cli_arg(&cli->args, "name");
	if (!n)
		cli_error("the following arguments are required: --name/--resource-group/-n/-g");
	return n;
}

/* az group list -o table */
static json_object *group_table_row(json_object *g)
{
	static const CliColumn cols[] = {
	    {"Name", "name"}, {"Location", "location"}, {"Status", "properties.provisioningState"}};
	return cli_table_columns(g, cols, ELEMENTSOF(cols));
}

static int group_list(Cli *cli, json_object **ret)
{
	ArmClient *arm;
	_cleanup_(arm_error_done) ArmError e = {};
	_cleanup_free_ char *path = NULL;
	const char *tag = cli_arg(&cli->args, "tag");
	const char *sub;
	int r;

	if (cli_arm(cli, &arm) < 0 || !(sub = cli_subscription_id(cli)))
		return CLI_EXIT_ERROR;
	if (asprintf(&path, "/subscriptions/%s/resourcegroups", sub) < 0)
		return CLI_EXIT_ERROR;
	if (tag) {
		/* tagName eq 'k' [and tagValue eq 'v'], quotes doubled. */
		StrBuf f = {};
		const char *eq = strchr(tag, '=');
		_cleanup_free_ char *k = eq ? strndup(tag, (size_t)(eq - tag)) : strdup(tag);
		char *ek = k ? cli_filter_value(k) : NULL, *ev = eq ? cli_filter_value(eq + 1) : NULL;
		strbuf_printf(&f, "%s?$filter=tagName%%20eq%%20%%27%s%%27", path, ek ? ek : "");
		if (ev)
			strbuf_printf(&f, "%%20and%%20tagValue%%20eq%%20%%27%s%%27", ev);
		free(ek);
		free(ev);
		free(path);
		path = strbuf_steal(&f);
		if (!path)
			return CLI_EXIT_ERROR;
	}
	r = arm_list(arm, path, CLI_API_RESOURCES, ret, &e);
	if (r < 0)
		return cli_arm_error(r, &e);
	model_fill(*ret, model_group);
	cli->table_row = group_table_row;
	return CLI_EXIT_OK;
}

static int group_show(Cli *cli, json_object **ret)
{
	ArmClient *arm;
	_cleanup_(arm_error_done) ArmError e = {};
	const char *name = need_name(cli);
	if (!name)
		return CLI_EXIT_USAGE;
	if (cli_arm(cli, &arm) < 0)
		return CLI_EXIT_ERROR;
	_cleanup_free_ char *path = group_path(cli, name);
	if (!path)
		return CLI_EXIT_ERROR;
	int r = arm_request(arm, "GET", path, CLI_API_RESOURCES, NULL, ret, NULL, &e);
	if (r < 0)
		return cli_arm_error(r, &e);
	model_fill(*ret, model_group);
	return CLI_EXIT_OK;
}

static int group_exists(Cli *cli, json_object **ret)
{
	ArmClient *arm;
	_cleanup_(arm_error_done) ArmError e = {};
	HttpResponse resp = {};
	const char *name = need_name(cli);
	if (!name)
		return CLI_EXIT_USAGE;
	if (cli_arm(cli, &arm) < 0)
		return CLI_EXIT_ERROR;
	_cleanup_free_ char *path = group_path(cli, name);
	if (!path)
		return CLI_EXIT_ERROR;
	int r = arm_request(arm, "HEAD", path, CLI_API_RESOURCES, NULL, NULL, &resp, &e);
	http_response_done(&resp);
	if (r < 0 && r != -ENOENT)
		return cli_arm_error(r, &e);
	*ret = json_object_new_boolean(r == 0);
	return CLI_EXIT_OK;
}

static int group_create(Cli *cli, json_object **ret)
{
	ArmClient *arm;
	_cleanup_(arm_error_done) ArmError e = {};
	_cleanup_json_ json_object *body = json_object_new_object(), *tags = NULL;
	_cleanup_free_ const char **words = NULL;
	const char *name = need_name(cli), *location = cli_arg(&cli->args, "location");
	if (!name)
		return CLI_EXIT_USAGE;
	if (!location) {
		cli_error("the following arguments are required: --location/-l");
		return CLI_EXIT_USAGE;
	}
	size_t n = cli_arg_all(&cli->args, "tags", &words);
	if (n > 0 && cli_parse_tags(words, n, &tags) < 0)
		return CLI_EXIT_USAGE;
	if (cli_arm(cli, &arm) < 0)
		return CLI_EXIT_ERROR;
	_cleanup_free_ char *path = group_path(cli, name);
	if (!path || !body)
		return CLI_EXIT_ERROR;
	json_object_object_add(body, "location", json_object_new_string(location));
	if (tags)
		json_object_object_add(body, "tags", json_object_get(tags));
	int r = arm_request(arm, "PUT", path, CLI_API_RESOURCES, body, ret, NULL, &e);
	if (r < 0)
		return cli_arm_error(r, &e);
	model_fill(*ret, model_group);
	return CLI_EXIT_OK;
}

static int group_delete(Cli *cli, json_object **ret)
{
	ArmClient *arm;
	_cleanup_(arm_error_done) ArmError e = {};
	const char *name = need_name(cli);
	if (!name)
		return CLI_EXIT_USAGE;
	if (!cli_flag(&cli->args, "yes")) {
		if (!isatty(STDIN_FILENO)) {
			cli_error("Deleting resource group '%s' and all its resources needs --yes "
				  "when not interactive.",
				  name);
			return CLI_EXIT_USAGE;
		}
		fprintf(stderr, "Are you sure you want to perform this operation? (y/n): ");
		char line[16] = "";
		if (!fgets(line, sizeof(line), stdin) || (line[0] != 'y' && line[0] != 'Y'))
			return CLI_EXIT_OK;
	}
	if (cli_arm(cli, &arm) < 0)
		return CLI_EXIT_ERROR;
	_cleanup_free_ char *path = group_path(cli, name);
	if (!path)
		return CLI_EXIT_ERROR;
	_cleanup_json_ json_object *o = NULL;
	int r = arm_request_lro(arm, "DELETE", path, CLI_API_RESOURCES, NULL,
				!cli_flag(&cli->args, "no-wait"), 3600 * USEC_PER_SEC, &o, &e);
	return r < 0 ? cli_arm_error(r, &e) : CLI_EXIT_OK;
}

static const CliOption name_options[] = {
    {"name", "ng", true, false, "resource-group", "resource group name"},
    {},
};

static const CliOption list_options[] = {
    {"tag", NULL, true, false, NULL, "KEY[=VALUE]: only groups with this tag"},
    {},
};

static const CliOption create_options[] = {
    {"name", "ng", true, false, "resource-group", "resource group name"},
    {"location", "l", true, false, NULL, "location, e.g. westeurope"},
    {"tags", NULL, true, true, NULL, "space-separated KEY[=VALUE] tags"},
    {"managed-by", NULL, true, false, NULL, "accepted for compatibility"},
    {},
};

static const CliOption delete_options[] = {
    {"name", "ng", true, false, "resource-group", "resource group name"},
    {"yes", "y", false, false, NULL, "do not ask for confirmation"},
    {"no-wait", NULL, false, false, NULL, "do not wait for the deletion to finish"},
    {"force-deletion-types", "f", true, false, NULL, "accepted for compatibility"},
    {},
};

const CliCommand cli_group_commands[] = {
    {"group list", group_list, "List resource groups", list_options},
    {"group show", group_show, "Show a resource group", name_options},
    {"group exists", group_exists, "Check whether a resource group exists", name_options},
    {"group create", group_create, "Create or update a resource group", create_options},
    {"group delete", group_delete, "Delete a resource group and its resources",
     delete_options},
    {},
};
