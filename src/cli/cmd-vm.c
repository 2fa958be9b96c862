/* SPDX-License-Identifier: MIT */
/* vm list|show|start|stop|deallocate|restart|get-instance-view */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json-util.h"
#include "strutil.h"
#include "model.h"

#define VM_TYPE "Microsoft.Compute/virtualMachines"

static void vm_flatten(json_object *o);

/*
 * Sub-resources (network interface references, extensions) are models too,
 * and so are network interface and IP configurations, which have no id: no
 * model in a VM has a member called "properties" of its own.
 */
static void flatten_children(json_object *o)
{
	json_object_object_foreach(o, key, val) {
		(void)key;
		if (json_object_is_type(val, json_type_array) ||
		    json_object_is_type(val, json_type_object))
			vm_flatten(val);
	}
}

/*
 * The Azure CLI prints a VM as its SDK model: the members of "properties"
 * (hardwareProfile, vmId, provisioningState, instanceView, ...) at the top,
 * and so in each sub-resource, so `--query hardwareProfile.vmSize` is the
 * same script for both.
 */
static void vm_flatten(json_object *o)
{
	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			vm_flatten(json_object_array_get_idx(o, i));
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object *props = NULL;
	if (json_object_object_get_ex(o, "properties", &props) &&
	    json_object_is_type(props, json_type_object)) {
		json_object_get(props);
		json_object_object_del(o, "properties");
		json_object_object_foreach(props, key, val) {
			if (!json_object_object_get_ex(o, key, NULL))
				json_object_object_add(o, key, json_object_get(val));
		}
		json_object_put(props);
	}
	flatten_children(o);
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

/* "a,b" of the strings found, as az joins them for -d. */
static int join_add(StrBuf *b, const char *s)
{
	if (isempty(s))
		return 0;
	if (b->len > 0 && strbuf_puts(b, ",") < 0)
		return -ENOMEM;
	return strbuf_puts(b, s);
}

static int get_resource(Cli *cli, ArmClient *arm, const char *id, json_object **ret)
{
	_cleanup_(arm_error_done) ArmError e = {};
	int r = arm_request(arm, "GET", id, CLI_API_NETWORK, NULL, ret, NULL, &e);
	if (r < 0)
		return cli_arm_error(r, &e);
	return CLI_EXIT_OK;
}

/*
 * -d (--show-details), as az adds them to a VM read with its instance view:
 * powerState, and from its network interfaces and their public IP
 * addresses privateIps, publicIps, fqdns and macAddresses, each a
 * comma-separated string. The instance view itself is dropped.
 */
static int vm_details(Cli *cli, ArmClient *arm, json_object *vm)
{
	StrBuf power = {}, priv = {}, pub = {}, fqdns = {}, macs = {};
	json_object *props = json_get_path(vm, "properties");
	json_object *statuses = json_get_path(json_get_path(props, "instanceView"), "statuses");
	json_object *nics = json_get_path(json_get_path(props, "networkProfile"), "networkInterfaces");
	int rc = CLI_EXIT_ERROR;

	for (size_t i = 0; statuses && i < json_object_array_length(statuses); i++) {
		json_object *st = json_object_array_get_idx(statuses, i);
		const char *code = json_get_string(st, "code");
		if (code && startswith(code, "PowerState/") &&
		    join_add(&power, json_get_string(st, "displayStatus")) < 0)
			goto out;
	}
	for (size_t i = 0; nics && i < json_object_array_length(nics); i++) {
		const char *id = json_get_string(json_object_array_get_idx(nics, i), "id");
		_cleanup_json_ json_object *nic = NULL;
		if (!id)
			continue;
		if ((rc = get_resource(cli, arm, id, &nic)) != CLI_EXIT_OK)
			goto out;
		rc = CLI_EXIT_ERROR;
		json_object *np = json_get_path(nic, "properties");
		if (join_add(&macs, json_get_string(np, "macAddress")) < 0)
			goto out;
		json_object *cfgs = json_get_path(np, "ipConfigurations");
		for (size_t j = 0; cfgs && j < json_object_array_length(cfgs); j++) {
			json_object *cp = json_get_path(json_object_array_get_idx(cfgs, j), "properties");
			const char *pip = json_get_string(json_get_path(cp, "publicIPAddress"), "id");
			_cleanup_json_ json_object *ip = NULL;
			if (join_add(&priv, json_get_string(cp, "privateIPAddress")) < 0)
				goto out;
			if (!pip)
				continue;
			if ((rc = get_resource(cli, arm, pip, &ip)) != CLI_EXIT_OK)
				goto out;
			rc = CLI_EXIT_ERROR;
			json_object *ipp = json_get_path(ip, "properties");
			if (join_add(&pub, json_get_string(ipp, "ipAddress")) < 0 ||
			    join_add(&fqdns, json_get_string(json_get_path(ipp, "dnsSettings"), "fqdn")) < 0)
				goto out;
		}
	}
	if (props)
		json_object_object_del(props, "instanceView");
	json_object_object_add(vm, "powerState", json_object_new_string(strempty(power.data)));
	json_object_object_add(vm, "publicIps", json_object_new_string(strempty(pub.data)));
	json_object_object_add(vm, "fqdns", json_object_new_string(strempty(fqdns.data)));
	json_object_object_add(vm, "privateIps", json_object_new_string(strempty(priv.data)));
	json_object_object_add(vm, "macAddresses", json_object_new_string(strempty(macs.data)));
	rc = CLI_EXIT_OK;
out:
	strbuf_free(&power);
	strbuf_free(&priv);
	strbuf_free(&pub);
	strbuf_free(&fqdns);
	strbuf_free(&macs);
	return rc;
}

/* A VM by id: with its instance view, or its details (-d), flattened as az prints it. */
static int get_vm(Cli *cli, ArmClient *arm, const char *id, bool instance_view, bool details,
		  json_object **ret)
{
	_cleanup_(arm_error_done) ArmError e = {};
	_cleanup_free_ char *path = NULL;
	_cleanup_json_ json_object *o = NULL;
	int r;

	if (asprintf(&path, "%s%s", id, instance_view || details ? "?$expand=instanceView" : "") < 0)
		return CLI_EXIT_ERROR;
	r = arm_request(arm, "GET", path, CLI_API_COMPUTE, NULL, &o, NULL, &e);
	if (r < 0)
		return cli_arm_error(r, &e);
	if (details && (r = vm_details(cli, arm, o)) != CLI_EXIT_OK)
		return r;
	vm_flatten(o);
	model_fill(o, model_vm);
	/* -d: az drops the instance view it read for the details, member and all. */
	if (details)
		json_object_object_del(o, "instanceView");
	*ret = TAKE_PTR(o);
	return CLI_EXIT_OK;
}

/* az's table of VMs: these columns in this order, details only with -d. */
static json_object *vm_table_row(json_object *vm)
{
	static const char *const cols[] = {"name", "resourceGroup", "powerState", "publicIps",
					   "fqdns", "location"};
	json_object *row = json_object_new_object();
	for (size_t i = 0; row && i < ELEMENTSOF(cols); i++) {
		json_object *v = json_get_path(vm, cols[i]);
		if (v)
			json_object_object_add(row, cols[i], json_object_get(v));
	}
	/* zones is a list; the table shows it joined, empty when there are none. */
	StrBuf z = {};
	json_object *zones = json_get_path(vm, "zones");
	for (size_t i = 0; zones && json_object_is_type(zones, json_type_array) &&
			   i < json_object_array_length(zones);
	     i++)
		join_add(&z, json_object_get_string(json_object_array_get_idx(zones, i)));
	if (row)
		json_object_object_add(row, "zones", json_object_new_string(strempty(z.data)));
	strbuf_free(&z);
	return row;
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
	cli->table_row = vm_table_row;
	if (!cli_flag(&cli->args, "show-details")) {
		vm_flatten(*ret);
		model_fill(*ret, model_vm);
		return CLI_EXIT_OK;
	}
	/* As az: each VM again with its instance view, then its network. */
	for (size_t i = 0; i < json_object_array_length(*ret); i++) {
		json_object *d = NULL;
		const char *id = json_get_string(json_object_array_get_idx(*ret, i), "id");
		int rc = id ? get_vm(cli, arm, id, false, true, &d) : CLI_EXIT_OK;
		if (rc != CLI_EXIT_OK)
			return rc;
		if (d)
			json_object_array_put_idx(*ret, i, d);
	}
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
	bool details = !instance_view && cli_flag(&cli->args, "show-details");
	if (!instance_view)
		cli->table_row = vm_table_row;
	for (size_t i = 0; ids[i]; i++) {
		json_object *o = NULL;
		int rc = get_vm(cli, arm, ids[i], instance_view, details, &o);
		if (rc != CLI_EXIT_OK)
			return rc;
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

#define SHOW_DETAILS_OPTION                                                                       \
	{"show-details", "d", false, false, NULL,                                                 \
	 "add powerState, publicIps, privateIps, fqdns and macAddresses"}

static const CliOption list_options[] = {
    {"resource-group", "g", true, false, NULL, "only this resource group"},
    SHOW_DETAILS_OPTION,
    {},
};

static const CliOption show_options[] = {VM_ID_OPTIONS, SHOW_DETAILS_OPTION, {}};
static const CliOption instance_view_options[] = {VM_ID_OPTIONS, {}};

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
     instance_view_options},
    {"vm start", vm_start, "Start virtual machines", power_options},
    {"vm stop", vm_stop, "Power off virtual machines (still billed)", power_options},
    {"vm deallocate", vm_deallocate, "Deallocate virtual machines", power_options},
    {"vm restart", vm_restart, "Restart virtual machines", power_options},
    {},
};
