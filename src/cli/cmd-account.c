/* SPDX-License-Identifier: MIT */
/* login, logout, account show|list|set|get-access-token */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "json-util.h"
#include "strutil.h"

/* az keeps only each tenant's id, and null when ARM sent no list. */
static json_object *managed_by_tenants(json_object *sub)
{
	json_object *in = json_get_path(sub, "managedByTenants"), *out;
	if (!json_object_is_type(in, json_type_array) || !(out = json_object_new_array()))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(in); i++) {
		const char *t = json_get_string(json_object_array_get_idx(in, i), "tenantId");
		json_object *o = json_object_new_object();
		if (o)
			json_object_object_add(o, "tenantId", t ? json_object_new_string(t) : NULL);
		json_object_array_add(out, o);
	}
	return out;
}

/*
 * The accounts as az login and az account list print them: az renames the
 * profile's environmentName to cloudName there (account show keeps it).
 */
static json_object *accounts_listed(json_object *subs, bool all)
{
	json_object *out = json_object_new_array();
	for (size_t i = 0; out && i < json_object_array_length(subs); i++) {
		json_object *s = json_object_array_get_idx(subs, i), *c = NULL, *env = NULL;
		const char *state = json_get_string(s, "state");
		/* Without --all, only enabled subscriptions, as az does. */
		if (!all && state && !streq(state, "Enabled"))
			continue;
		if (json_object_deep_copy(s, &c, NULL) < 0)
			continue;
		if (json_object_object_get_ex(c, "environmentName", &env)) {
			json_object_object_add(c, "cloudName", json_object_get(env));
			json_object_object_del(c, "environmentName");
		}
		json_object_array_add(out, c);
	}
	return out;
}

/* An ARM subscription as the Azure CLI lists it after login. */
static json_object *account_entry(json_object *sub, json_object *user, bool is_default)
{
	json_object *o = json_object_new_object();
	const char *tenant = json_get_string(sub, "tenantId");
	if (!o)
		return NULL;
	json_object_object_add(o, "environmentName", json_object_new_string("AzureCloud"));
	json_object_object_add(o, "homeTenantId", tenant ? json_object_new_string(tenant) : NULL);
	json_object_object_add(o, "id", json_object_new_string(strempty(json_get_string(sub, "subscriptionId"))));
	json_object_object_add(o, "isDefault", json_object_new_boolean(is_default));
	json_object_object_add(o, "managedByTenants", managed_by_tenants(sub));
	json_object_object_add(o, "name",
			       json_object_new_string(strempty(json_get_string(sub, "displayName"))));
	json_object_object_add(o, "state",
			       json_object_new_string(strempty(json_get_string(sub, "state"))));
	json_object_object_add(o, "tenantId", tenant ? json_object_new_string(tenant) : NULL);
	json_object_object_add(o, "user", json_object_get(user));
	return o;
}

static int login(Cli *cli, json_object **ret)
{
	const CliArgs *a = &cli->args;
	bool identity = cli_flag(a, "identity"), sp = cli_flag(a, "service-principal");
	const char *user = cli_arg(a, "username"), *password = cli_arg(a, "password");
	const char *tenant = cli_arg(a, "tenant");
	_cleanup_(arm_client_freep) ArmClient *arm = NULL;
	_cleanup_(arm_error_done) ArmError e = {};
	_cleanup_json_ json_object *subs = NULL, *user_obj = NULL, *login_obj = NULL;
	_cleanup_free_ char *cert_path = NULL;
	ArmEndpoints ep;
	ArmAuth auth = {};
	int r;

	if (identity == sp) {
		cli_error("Use one of --identity or --service-principal (interactive and device "
			  "code logins need a browser; lazuli does not do them).");
		return CLI_EXIT_USAGE;
	}
	user_obj = json_object_new_object();
	login_obj = json_object_new_object();
	if (!user_obj || !login_obj)
		return CLI_EXIT_ERROR;
	if (identity) {
		const char *client_id = cli_arg(a, "client-id") ?: user;
		auth.kind = ARM_AUTH_IDENTITY;
		auth.client_id = (char *)client_id;
		json_object_object_add(login_obj, "type", json_object_new_string("identity"));
		if (client_id) {
			char info[128];
			snprintf(info, sizeof(info), "MSIClient-%s", client_id);
			json_object_object_add(login_obj, "clientId", json_object_new_string(client_id));
			json_object_object_add(user_obj, "assignedIdentityInfo",
					       json_object_new_string(info));
			json_object_object_add(user_obj, "name",
					       json_object_new_string("userAssignedIdentity"));
		} else {
			json_object_object_add(user_obj, "assignedIdentityInfo",
					       json_object_new_string("MSI"));
			json_object_object_add(user_obj, "name",
					       json_object_new_string("systemAssignedIdentity"));
		}
	} else {
		const char *certificate = cli_arg(a, "certificate");
		struct stat st;
		if (certificate && password) {
			cli_error("Use one of --password (a client secret) or --certificate.");
			return CLI_EXIT_USAGE;
		}
		/* Before --certificate, az took the PEM file's path in --password. */
		if (password && stat(password, &st) == 0 && S_ISREG(st.st_mode)) {
			fprintf(stderr, "WARNING: Passing the service principal certificate with "
					"--password is deprecated; use --certificate instead.\n");
			certificate = password;
			password = NULL;
		}
		if (!certificate && !password)
			password = getenv("AZURE_CLIENT_SECRET");
		if (!user || !tenant || (!certificate && isempty(password))) {
			cli_error("--service-principal needs --username (the application id), "
				  "--tenant and --password (or AZURE_CLIENT_SECRET in the "
				  "environment) or --certificate.");
			return CLI_EXIT_USAGE;
		}
		json_object_object_add(login_obj, "type", json_object_new_string("servicePrincipal"));
		json_object_object_add(login_obj, "clientId", json_object_new_string(user));
		json_object_object_add(login_obj, "tenant", json_object_new_string(tenant));
		auth.client_id = (char *)user;
		auth.tenant = (char *)tenant;
		if (certificate) {
			/* Later commands sign again, from wherever they run: keep the full path. */
			cert_path = realpath(certificate, NULL);
			auth.kind = ARM_AUTH_CERTIFICATE;
			auth.certificate = cert_path ?: (char *)certificate;
			json_object_object_add(login_obj, "certificate",
					       json_object_new_string(auth.certificate));
		} else {
			auth.kind = ARM_AUTH_SECRET;
			auth.secret = (char *)password;
			json_object_object_add(login_obj, "secret", json_object_new_string(password));
		}
		json_object_object_add(user_obj, "name", json_object_new_string(user));
	}
	json_object_object_add(user_obj, "type", json_object_new_string("servicePrincipal"));

	/* A new login starts from nothing: no stale tokens of another identity. */
	_cleanup_free_ char *cache = cli_config_path(cli, "tokens.json");
	if (!cache)
		return CLI_EXIT_ERROR;
	(void)cli_profile_clear(cli);
	if (cli_config_dir_create(cli) < 0)
		return CLI_EXIT_ERROR;
	cli_endpoints(cli, &ep);
	r = arm_client_new(&ep, &auth, cache, "lazuli/" LAZULI_VERSION, &arm);
	if (r < 0)
		return CLI_EXIT_ERROR;
	r = arm_list(arm, "/subscriptions", CLI_API_SUBSCRIPTIONS, &subs, &e);
	if (r < 0)
		return cli_arm_error(r, &e);
	if (json_object_array_length(subs) == 0) {
		cli_error("No subscriptions found for this identity: grant it a role on a "
			  "subscription, or use --allow-no-subscriptions.");
		if (!cli_flag(a, "allow-no-subscriptions"))
			return CLI_EXIT_ERROR;
	}

	json_object *accounts = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(subs); i++)
		json_object_array_add(accounts, account_entry(json_object_array_get_idx(subs, i),
							      user_obj, i == 0));
	json_object *profile = json_object_new_object(), *endpoints = json_object_new_object();
	if (ep.arm)
		json_object_object_add(endpoints, "arm", json_object_new_string(ep.arm));
	if (ep.authority)
		json_object_object_add(endpoints, "authority", json_object_new_string(ep.authority));
	if (ep.imds)
		json_object_object_add(endpoints, "imds", json_object_new_string(ep.imds));
	json_object_object_add(profile, "endpoints", endpoints);
	json_object_object_add(profile, "login", json_object_get(login_obj));
	json_object_object_add(profile, "subscriptions", accounts);
	json_object_put(cli->profile);
	cli->profile = profile;
	if (cli_profile_save(cli) < 0)
		return CLI_EXIT_ERROR;
	*ret = accounts_listed(accounts, true);
	return *ret ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}

static int logout(Cli *cli, json_object **ret)
{
	return cli_profile_clear(cli) < 0 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
}

static int account_show(Cli *cli, json_object **ret)
{
	json_object *s;
	if (cli_profile_load(cli) < 0)
		return CLI_EXIT_ERROR;
	if (cli_arg(&cli->args, "name"))
		cli->subscription = cli_arg(&cli->args, "name");
	if (!(s = cli_subscription(cli)))
		return CLI_EXIT_ERROR;
	*ret = json_object_get(s);
	return CLI_EXIT_OK;
}

/* az account list -o table */
static json_object *account_table_row(json_object *o)
{
	static const CliColumn cols[] = {{"Name", "name"},	   {"CloudName", "cloudName"},
					 {"SubscriptionId", "id"}, {"TenantId", "tenantId"},
					 {"State", "state"},	   {"IsDefault", "isDefault"}};
	return cli_table_columns(o, cols, ELEMENTSOF(cols));
}

static int account_list(Cli *cli, json_object **ret)
{
	cli->table_row = account_table_row;
	if (cli_profile_load(cli) < 0)
		return CLI_EXIT_ERROR;
	*ret = accounts_listed(json_get_path(cli->profile, "subscriptions"),
			       cli_flag(&cli->args, "all"));
	return *ret ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}

static int account_set(Cli *cli, json_object **ret)
{
	const char *want = cli_arg(&cli->args, "name") ?: cli->subscription;
	if (!want) {
		cli_error("the following arguments are required: --subscription/-s");
		return CLI_EXIT_USAGE;
	}
	if (cli_profile_load(cli) < 0)
		return CLI_EXIT_ERROR;
	cli->subscription = want;
	json_object *sel = cli_subscription(cli);
	if (!sel)
		return CLI_EXIT_ERROR;
	json_object *subs = json_get_path(cli->profile, "subscriptions");
	for (size_t i = 0; i < json_object_array_length(subs); i++) {
		json_object *s = json_object_array_get_idx(subs, i);
		json_object_object_add(s, "isDefault", json_object_new_boolean(s == sel));
	}
	return cli_profile_save(cli) < 0 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
}

static int account_get_access_token(Cli *cli, json_object **ret)
{
	ArmClient *arm;
	_cleanup_(arm_error_done) ArmError e = {};
	const char *token;
	time_t exp;
	int r;

	if (cli_arg(&cli->args, "resource") &&
	    !streq(cli_arg(&cli->args, "resource"), ARM_DEFAULT_RESOURCE)) {
		cli_error("--resource: only %s is supported for now", ARM_DEFAULT_RESOURCE);
		return CLI_EXIT_USAGE;
	}
	if (cli_arm(cli, &arm) < 0)
		return CLI_EXIT_ERROR;
	json_object *sub = cli_subscription(cli);
	if (!sub)
		return CLI_EXIT_ERROR;
	r = arm_get_token(arm, &token, &exp, &e);
	if (r < 0)
		return cli_arm_error(r, &e);
	char when[64];
	struct tm tm;
	localtime_r(&exp, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S.000000", &tm);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "accessToken", json_object_new_string(token));
	json_object_object_add(o, "expiresOn", json_object_new_string(when));
	json_object_object_add(o, "expires_on", json_object_new_int64(exp));
	json_object_object_add(o, "subscription",
			       json_object_new_string(strempty(json_get_string(sub, "id"))));
	json_object_object_add(o, "tenant",
			       json_object_new_string(strempty(json_get_string(sub, "tenantId"))));
	json_object_object_add(o, "tokenType", json_object_new_string("Bearer"));
	*ret = o;
	return CLI_EXIT_OK;
}

static const CliOption login_options[] = {
    {"identity", NULL, false, false, NULL, "log in with the VM's managed identity"},
    {"client-id", NULL, true, false, NULL, "user-assigned identity's client id"},
    {"service-principal", NULL, false, false, NULL, "log in as a service principal"},
    {"username", "u", true, false, NULL, "service principal's application id"},
    {"password", "p", true, false, NULL, "client secret (or AZURE_CLIENT_SECRET)"},
    {"tenant", "t", true, false, NULL, "tenant id"},
    {"certificate", NULL, true, false, NULL,
     "PEM file with the service principal's private key and certificate"},
    {"allow-no-subscriptions", NULL, false, false, NULL, "log in without subscriptions"},
    {},
};

static const CliOption show_options[] = {
    {"name", "n", true, false, "subscription", "subscription name or id"},
    {},
};

static const CliOption set_options[] = {
    {"name", "n", true, false, NULL, "subscription name or id"},
    {"subscription", "s", true, false, NULL, "subscription name or id"},
    {},
};

static const CliOption list_options[] = {
    {"all", NULL, false, false, NULL, "include disabled subscriptions"},
    {"refresh", NULL, false, false, NULL, "accepted for compatibility"},
    {},
};

static const CliOption token_options[] = {
    {"resource", NULL, true, false, NULL, "token audience"},
    {"resource-type", NULL, true, false, NULL, "arm (default)"},
    {},
};

const CliCommand cli_account_commands[] = {
    {"login", login, "Log in to Azure", login_options},
    {"logout", logout, "Log out and forget tokens", NULL},
    {"account show", account_show, "Show the selected subscription", show_options},
    {"account list", account_list, "List the subscriptions", list_options},
    {"account set", account_set, "Select the default subscription", set_options},
    {"account get-access-token", account_get_access_token, "Get an ARM access token",
     token_options},
    {},
};
