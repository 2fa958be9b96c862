/* SPDX-License-Identifier: MIT */
/*
 * Who is logged in and which subscription is selected: profile.json in the
 * configuration directory ($LAZULI_CONFIG_DIR, default ~/.lazuli), 0600,
 * with the login (identity or service principal, its secret included, as
 * the Azure CLI keeps it), the endpoints used at login and the
 * subscriptions in the Azure CLI's "account list" shape. Tokens are cached
 * beside it in tokens.json (0600).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "fileio.h"
#include "json-util.h"
#include "strutil.h"

#define PROFILE_MAX (4u * 1024 * 1024)

static const char *config_dir(Cli *cli)
{
	if (cli->config_dir)
		return cli->config_dir;
	const char *d = getenv("LAZULI_CONFIG_DIR");
	if (!isempty(d))
		cli->config_dir = strdup(d);
	else {
		const char *home = getenv("HOME");
		if (isempty(home)) {
			struct passwd *pw = getpwuid(getuid());
			home = pw ? pw->pw_dir : "/";
		}
		if (asprintf(&cli->config_dir, "%s/.lazuli", home) < 0)
			cli->config_dir = NULL;
	}
	return cli->config_dir;
}

char *cli_config_path(const Cli *cli, const char *file)
{
	char *p;
	const char *d = config_dir((Cli *)cli);
	if (!d || asprintf(&p, "%s/%s", d, file) < 0)
		return NULL;
	return p;
}

int cli_profile_load(Cli *cli)
{
	_cleanup_free_ char *path = cli_config_path(cli, "profile.json");
	_cleanup_free_ char *buf = NULL;
	char err[256];
	size_t len;
	int r;

	if (cli->profile)
		return 0;
	if (!path)
		return -ENOMEM;
	r = read_full_file(path, PROFILE_MAX, &buf, &len);
	if (r == -ENOENT) {
		cli_error("Please run 'lazuli login' to setup account.");
		return r;
	}
	if (r < 0) {
		cli_error("Cannot read %s: %s", path, strerror(-r));
		return r;
	}
	r = json_parse_strict(buf, len, &cli->profile, err, sizeof(err));
	if (r < 0 || !json_object_is_type(cli->profile, json_type_object) ||
	    !json_object_is_type(json_get_path(cli->profile, "subscriptions"), json_type_array)) {
		cli_error("%s is damaged (%s); run 'lazuli login' again.", path,
			  r < 0 ? err : "no subscriptions array");
		json_object_put(TAKE_PTR(cli->profile));
		return -EBADMSG;
	}
	return 0;
}

int cli_config_dir_create(Cli *cli)
{
	const char *dir = config_dir(cli);
	if (!dir)
		return -ENOMEM;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		int r = -errno;
		cli_error("Cannot create %s: %s", dir, strerror(-r));
		return r;
	}
	return 0;
}

int cli_profile_save(Cli *cli)
{
	_cleanup_free_ char *path = cli_config_path(cli, "profile.json");
	if (!path)
		return -ENOMEM;
	int r = cli_config_dir_create(cli);
	if (r < 0)
		return r;
	_cleanup_free_ char *s = json_to_string_compact(cli->profile);
	if (!s)
		return -ENOMEM;
	r = write_file_atomic(path, s, strlen(s), 0600);
	explicit_bzero(s, strlen(s));
	if (r < 0)
		cli_error("Cannot write %s: %s", path, strerror(-r));
	return r;
}

int cli_profile_clear(Cli *cli)
{
	static const char *const files[] = {"profile.json", "tokens.json"};
	int ret = 0;
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *p = cli_config_path(cli, files[i]);
		if (!p)
			return -ENOMEM;
		if (unlink(p) < 0 && errno != ENOENT) {
			cli_error("Cannot remove %s: %m", p);
			ret = -errno;
		}
	}
	return ret;
}

json_object *cli_subscription(Cli *cli)
{
	json_object *subs = json_get_path(cli->profile, "subscriptions");
	size_t n = subs ? json_object_array_length(subs) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(subs, i);
		const char *id = json_get_string(s, "id"), *name = json_get_string(s, "name");
		if (cli->subscription) {
			if ((id && strcaseeq(id, cli->subscription)) ||
			    (name && streq(name, cli->subscription)))
				return s;
		} else if (json_get_bool_lenient(s, "isDefault") == 1)
			return s;
	}
	if (cli->subscription)
		cli_error("Subscription '%s' not found. Check the spelling and casing and try "
			  "again.",
			  cli->subscription);
	else
		cli_error("No subscription is selected; run 'lazuli account set --subscription "
			  "ID'.");
	return NULL;
}

const char *cli_subscription_id(Cli *cli)
{
	json_object *s;
	if (cli_profile_load(cli) < 0 || !(s = cli_subscription(cli)))
		return NULL;
	return json_get_string(s, "id");
}

void cli_endpoints(Cli *cli, ArmEndpoints *ep)
{
	const char *arm = getenv("LAZULI_ARM_URL"), *auth = getenv("LAZULI_AUTHORITY_URL"),
		   *imds = getenv("LAZULI_IMDS_URL");
	*ep = (ArmEndpoints){
	    .arm = !isempty(arm) ? arm : json_get_string(cli->profile, "endpoints.arm"),
	    .authority =
		!isempty(auth) ? auth : json_get_string(cli->profile, "endpoints.authority"),
	    .imds = !isempty(imds) ? imds : json_get_string(cli->profile, "endpoints.imds"),
	};
}

int cli_arm(Cli *cli, ArmClient **ret)
{
	ArmEndpoints ep;
	ArmAuth auth = {};
	int r;

	if (cli->arm) {
		*ret = cli->arm;
		return 0;
	}
	if ((r = cli_profile_load(cli)) < 0)
		return r;
	const char *type = json_get_string(cli->profile, "login.type");
	if (type && streq(type, "identity")) {
		auth.kind = ARM_AUTH_IDENTITY;
		auth.client_id = (char *)json_get_string(cli->profile, "login.clientId");
	} else if (type && streq(type, "servicePrincipal")) {
		auth.kind = ARM_AUTH_SECRET;
		auth.client_id = (char *)json_get_string(cli->profile, "login.clientId");
		auth.tenant = (char *)json_get_string(cli->profile, "login.tenant");
		auth.secret = (char *)json_get_string(cli->profile, "login.secret");
		if (!auth.client_id || !auth.tenant || !auth.secret) {
			cli_error("The saved login is incomplete; run 'lazuli login' again.");
			return -EBADMSG;
		}
	} else {
		cli_error("Please run 'lazuli login' to setup account.");
		return -ENOKEY;
	}
	cli_endpoints(cli, &ep);
	_cleanup_free_ char *cache = cli_config_path(cli, "tokens.json");
	if (!cache)
		return -ENOMEM;
	r = arm_client_new(&ep, &auth, cache, "lazuli/" LAZULI_VERSION, &cli->arm);
	if (r < 0)
		return r;
	*ret = cli->arm;
	return 0;
}
