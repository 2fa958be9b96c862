/* SPDX-License-Identifier: MIT */
/* vm list|show|start|stop|deallocate|restart|get-instance-view */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json-util.h"
#include "strutil.h"

#define VM_TYPE "Microsoft.Compute/virtualMachines"

/*
 * The Azure CLI prints a VM as its SDK model: the members of "properties"
 * (hardwareProfile, vmId, provisioningState, instanceView, ...) at the top,
 * so `--query hardwareProfile.vmSize` is the same script for both.
 */
static void vm_flatten(json_object *o)
{
	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			vm_flatten(json_object_array_get_idx(o, i));
		return;
	}
	json_object *props = NULL;
	if (!json_object_object_get_ex(o, "properties", &props) ||
	    !json_object_is_type(props, json_type_object))
		return;
	json_object_get(props);
	json_object_object_del(o, "properties");
	json_object_object_foreach(props, key, val) {
		if (!json_object_object_get_ex(o, key, NULL))
			json_object_object_add(o, key, json_object_get(val));
	}
	json_object_put(props);
}

/* --ids, or -g and -n. */
static int vm_ids(Cli *cli, char ***ret)
{
	_cleanup_free_ const char **ids = NULL;
	size_t n = cli_arg_all(&cli->args, "ids", &ids);
	char **out = NULL;

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *ns = NULL, *type = NULL;
		if (arm_parse_id(ids[i], NULL, NULL, &ns, &type, NULL) < 0 || !ns || !type ||
		    !strcaseeq(ns, "Microsoft.Compute") || !strcaseeq(type, "virtualMachines")) {
			cli_error("argument --ids: '%s' is not a virtual machine id", ids[i]);
			strv_free(out);
			return -EINVAL;
		}
		if (strv_extend(&out, ids[i]) < 0)
			return -ENOMEM;
	}
	if (out) {
		*ret = out;
		return 0;
	}
	const char *g = cli_arg(&cli->args, "resource-group"), *name = cli_arg(&cli->args, "name");
	if (!g || !name) {
		cli_error("(--ids | --resource-group --name) are required");
		return -EINVAL;
	}
	const char *sub = cli_subscription_id(cli);
	if (!sub)
		return -ENOENT;
	char *id;
	if (asprintf(&id, "/subscriptions/%s/resourceGroups/%s/providers/" VM_TYPE "/%s", sub, g,
		     name) < 0)
		return -ENOMEM;
	if (strv_push(&out, id) < 0)
		return -ENOMEM;
	*ret = out;
	return 0;
}

static int vm_list(Cli *cli, json_object **ret)
{
	ArmClient *arm;
	_cleanup_(arm_error_done) ArmError e = {};
	_cleanup_free_ char *path = NULL;
	const char *sub, *g = cli_arg(&cli->args, "resource-group");
	int r;

	if (cli_arm(cli, &arm) < 0 || !(sub = cli_subscription_id(cli)))
		return CLI_EXIT_ERROR;
	if (asprintf(&path, "/subscriptions/%s%s%s/providers/" VM_TYPE, sub,
		     g ? "/resourceGroups/" : "", g ? g : "") < 0)
		return CLI_EXIT_ERROR;
	r = arm_list(arm, path, CLI_API_COMPUTE, ret, &e);
	if (r < 0)
		return cli_arm_error(r, &e);
	vm_flatten(*ret);
	cli_add_resource_group(*ret);
	return CLI_EXIT_OK;
}

static int show(Cli *cli, json_object **ret, bool instance_view)
{
	ArmClient *arm;
	_cleanup_strv_free_ char **ids = NULL;
	_cleanup_json_ json_object *all = json_object_new_array();
	int r;

	if ((r = vm_ids(cli, &ids)) < 0)
		return r == -ENOENT ? CLI_EXIT_ERROR : CLI_EXIT_USAGE;
	if (cli_arm(cli, &arm) < 0)
		return CLI_EXIT_ERROR;
	for (size_t i = 0; ids[i]; i++) {
		_cleanup_(arm_error_done) ArmError e = {};
		_cleanup_free_ char *path = NULL;
		json_object *o = NULL;
		if (asprintf(&path, "%s%s", ids[i], instance_view ? "?$expand=instanceView" : "") < 0)
			return CLI_EXIT_ERROR;
		r = arm_request(arm, "GET", path, CLI_API_COMPUTE, NULL, &o, NULL, &e);
		if (r < 0)
			return cli_arm_error(r, &e);
		vm_flatten(o);
		cli_add_resource_group(o);
		json_object_array_add(all, o);
	}
	*ret = cli_one_or_list(all);
	return CLI_EXIT_OK;
}

static int vm_show(Cli *cli, json_object **ret)
{
	return show(cli, ret, false);
}

static int vm_get_instance_view(Cli *cli, json_object **ret)
{
	return show(cli, ret, true);
}

static int power(Cli *cli, const char *action)
{
	ArmClient *arm;
	_cleanup_strv_free_ char **ids = NULL;
	bool wait = !cli_flag(&cli->args, "no-wait");
	int r;

	if ((r = vm_ids(cli, &ids)) < 0)
		return r == -ENOENT ? CLI_EXIT_ERROR : CLI_EXIT_USAGE;
	if (cli_arm(cli, &arm) < 0)
		return CLI_EXIT_ERROR;
	for (size_t i = 0; ids[i]; i++) {
		_cleanup_(arm_error_done) ArmError e = {};
		_cleanup_json_ json_object *o = NULL;
		_cleanup_free_ char *path = NULL;
		if (asprintf(&path, "%s/%s", ids[i], action) < 0)
			return CLI_EXIT_ERROR;
		r = arm_request_lro(arm, "POST", path, CLI_API_COMPUTE, NULL, wait,
				    3600 * USEC_PER_SEC, &o, &e);
		if (r < 0)
			return cli_arm_error(r, &e);
	}
	return CLI_EXIT_OK;
}

static int vm_start(Cli *cli, json_object **ret)
{
	return power(cli, "start");
}

static int vm_stop(Cli *cli, json_object **ret)
{
	int rc = power(cli, "powerOff");
	if (rc == CLI_EXIT_OK && !cli_flag(&cli->args, "only-show-errors"))
		fprintf(stderr, "WARNING: The VM is stopped but still allocated and billed; use "
				"'lazuli vm deallocate' to release its compute resources.\n");
	return rc;
}

static int vm_deallocate(Cli *cli, json_object **ret)
{
	return power(cli, "deallocate");
}

static int vm_restart(Cli *cli, json_object **ret)
{
	return power(cli, "restart");
}

#define VM_ID_OPTIONS                                                                             \
	{"ids", NULL, true, true, NULL, "one or more virtual machine ids"},                       \
	    {"resource-group", "g", true, false, NULL, "resource group"},                         \
	    {"name", "n", true, false, NULL, "virtual machine name"}

static const CliOption list_options[] = {
    {"resource-group", "g", true, false, NULL, "only this resource group"},
    {},
};

static const CliOption show_options[] = {VM_ID_OPTIONS, {}};

static const CliOption power_options[] = {
    VM_ID_OPTIONS,
    {"no-wait", NULL, false, false, NULL, "return once the operation is accepted"},
    {"skip-shutdown", NULL, false, false, NULL, "accepted for compatibility"},
    {"force", NULL, false, false, NULL, "accepted for compatibility"},
    {},
};

const CliCommand cli_vm_commands[] = {
    {"vm list", vm_list, "List virtual machines", list_options},
    {"vm show", vm_show, "Show virtual machines", show_options},
    {"vm get-instance-view", vm_get_instance_view, "Show virtual machines with instance view",
     show_options},
    {"vm start", vm_start, "Start virtual machines", power_options},
    {"vm stop", vm_stop, "Power off virtual machines (still billed)", power_options},
    {"vm deallocate", vm_deallocate, "Deallocate virtual machines", power_options},
    {"vm restart", vm_restart, "Restart virtual machines", power_options},
    {},
};
