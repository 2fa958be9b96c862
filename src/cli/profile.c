/* SPDX-License-Identifier: MIT */
/*
 * Who is logged in and which subscription is selected: profile.json in the
 * configuration directory ($LAZULI_CONFIG_DIR, default ~/.lazuli), 0600,
 * with the login (identity or service principal, its secret included, as
 * the Azure CLI keeps it), the endpoints used at login and the
 * subscriptions in the Azure CLI's "account list" shape. Tokens are cached
 * beside it in tokens.json (0600).
 */
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "fileio.h"
#include "http.h"
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

/* Read a JSON file the Azure CLI wrote: UTF-8 with a byte-order mark. */
static int read_azcli_json(const char *dir, const char *file, json_object **ret)
{
	_cleanup_free_ char *path = NULL, *buf = NULL;
	size_t len;
	int r;

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return -ENOMEM;
	r = read_full_file(path, PROFILE_MAX, &buf, &len);
	if (r < 0)
		return r;
	const char *p = buf;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		len -= 3;
	}
	char err[256];
	r = json_parse_strict(p, len, ret, err, sizeof(err));
	if (r < 0 || (!json_object_is_type(*ret, json_type_object) &&
		      !json_object_is_type(*ret, json_type_array))) {
		cli_error("%s is not the Azure CLI's JSON (%s)", path,
			  r < 0 ? err : "not an object or array");
		json_object_put(TAKE_PTR(*ret));
		return -EBADMSG;
	}
	return 0;
}

static char *azcli_dir(void)
{
	const char *d = getenv("AZURE_CONFIG_DIR"), *home = getenv("HOME");
	char *p;
	if (!isempty(d))
		return strdup(d);
	if (isempty(home) || asprintf(&p, "%s/.azure", home) < 0)
		return NULL;
	return p;
}

/* The newest unexpired ARM access token of the tenant in MSAL's cache. */
static const char *msal_arm_token(json_object *cache, const char *tenant, time_t *ret_exp)
{
	json_object *ats = json_get_path(cache, "AccessToken");
	const char *best = NULL;
	time_t best_exp = 0, now = time(NULL);
	if (!ats || !json_object_is_type(ats, json_type_object))
		return NULL;
	json_object_object_foreach(ats, k, at) {
		(void)k;
		const char *target = json_get_string(at, "target"), *realm = json_get_string(at, "realm");
		const char *secret = json_get_string(at, "secret"), *exp = json_get_string(at, "expires_on");
		if (!target || !secret || !exp ||
		    (!strstr(target, "management.core.windows.net/") &&
		     !strstr(target, "management.azure.com/")))
			continue;
		if (tenant && realm && !strcaseeq(realm, tenant))
			continue;
		time_t e = (time_t)strtoll(exp, NULL, 10);
		if (e > now + 60 && e > best_exp) {
			best = secret;
			best_exp = e;
		}
	}
	*ret_exp = best_exp;
	return best;
}

/* The Azure CLI's public client id: its users' tokens are issued to it. */
#define AZCLI_CLIENT_ID "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
#define AZCLI_RESOURCE "https://management.core.windows.net/"

/*
 * The user's refresh token in MSAL's cache: the account of that user name
 * gives its home_account_id, which names the refresh token issued to the
 * Azure CLI (or to its family of Microsoft clients).
 */
static const char *msal_refresh_token(json_object *cache, const char *username,
				      const char **ret_account)
{
	json_object *accounts = json_get_path(cache, "Account"),
		    *rts = json_get_path(cache, "RefreshToken");
	const char *best = NULL;
	if (!username || !accounts || !rts || !json_object_is_type(accounts, json_type_object) ||
	    !json_object_is_type(rts, json_type_object))
		return NULL;
	json_object_object_foreach(accounts, ak, acct) {
		(void)ak;
		const char *name = json_get_string(acct, "username"),
			   *home = json_get_string(acct, "home_account_id");
		if (!name || !home || !strcaseeq(name, username))
			continue;
		json_object_object_foreach(rts, rk, rt) {
			(void)rk;
			const char *h = json_get_string(rt, "home_account_id"),
				   *cid = json_get_string(rt, "client_id"),
				   *fam = json_get_string(rt, "family_id"),
				   *secret = json_get_string(rt, "secret");
			if (!h || !secret || !streq(h, home))
				continue;
			if (cid && strcaseeq(cid, AZCLI_CLIENT_ID)) {
				*ret_account = home;
				return secret;
			}
			if (fam && streq(fam, "1") && !best) {
				*ret_account = home;
				best = secret;
			}
		}
	}
	return best;
}

/*
 * A profile from the Azure CLI's ~/.azure: its subscriptions as they are,
 * and a login of the same kind (managed identity, a service principal
 * with its secret or certificate, or a user's cached access token, else
 * the user's refresh token to get a new one). Returns 1 if there
 * is one, 0 if there is none, or a negative errno after printing why not.
 */
static int azcli_profile(Cli *cli, json_object **ret)
{
	_cleanup_free_ char *dir = azcli_dir();
	_cleanup_json_ json_object *prof = NULL, *p = NULL;
	int r;

	if (!dir)
		return 0;
	r = read_azcli_json(dir, "azureProfile.json", &prof);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	json_object *subs = json_get_path(prof, "subscriptions");
	if (!subs || !json_object_is_type(subs, json_type_array) ||
	    json_object_array_length(subs) == 0)
		return 0;
	json_object *def = json_object_array_get_idx(subs, 0);
	for (size_t i = 0; i < json_object_array_length(subs); i++)
		if (json_get_bool_lenient(json_object_array_get_idx(subs, i), "isDefault") == 1)
			def = json_object_array_get_idx(subs, i);
	const char *user = json_get_string(def, "user.name"), *type = json_get_string(def, "user.type");
	const char *tenant = json_get_string(def, "tenantId");
	const char *info = json_get_string(def, "user.assignedIdentityInfo");
	json_object *login = json_object_new_object();

	p = json_object_new_object();
	if (!p || !login)
		return -ENOMEM;
	json_object_object_add(p, "login", login);
	json_object_object_add(p, "subscriptions", json_object_get(subs));
	json_object_object_add(p, "source", json_object_new_string(dir));
	if (info && startswith(info, "MSI")) {
		json_object_object_add(login, "type", json_object_new_string("identity"));
		if (startswith(info, "MSIClient-"))
			json_object_object_add(login, "clientId",
					       json_object_new_string(info + strlen("MSIClient-")));
	} else if (type && streq(type, "servicePrincipal")) {
		_cleanup_json_ json_object *entries = NULL;
		const char *secret = NULL, *certificate = NULL;
		(void)read_azcli_json(dir, "service_principal_entries.json", &entries);
		json_object *list = entries;
		if (list && !json_object_is_type(list, json_type_array))
			list = NULL;
		for (size_t i = 0; list && i < json_object_array_length(list); i++) {
			json_object *e = json_object_array_get_idx(list, i);
			/* Since az 2.30 (MSAL): client_id/client_secret; before: servicePrincipalId/accessToken. */
			const char *cid = json_get_string(e, "client_id") ?: json_get_string(e, "servicePrincipalId");
			if (cid && user && strcaseeq(cid, user)) {
				secret = json_get_string(e, "client_secret") ?: json_get_string(e, "accessToken");
				certificate = json_get_string(e, "client_certificate");
			}
		}
		if (!secret && !certificate) {
			cli_error("The Azure CLI's login of service principal %s has no client secret "
				  "lazuli can use; run 'lazuli login --service-principal'.",
				  strempty(user));
			return -ENOKEY;
		}
		json_object_object_add(login, "type", json_object_new_string("servicePrincipal"));
		json_object_object_add(login, "clientId", json_object_new_string(user));
		json_object_object_add(login, "tenant", json_object_new_string(strempty(tenant)));
		if (secret)
			json_object_object_add(login, "secret", json_object_new_string(secret));
		else
			json_object_object_add(login, "certificate", json_object_new_string(certificate));
	} else {
		_cleanup_json_ json_object *cache = NULL;
		time_t exp = 0;
		r = read_azcli_json(dir, "msal_token_cache.json", &cache);
		const char *tok = r >= 0 ? msal_arm_token(cache, tenant, &exp) : NULL, *account = NULL;
		const char *refresh = r >= 0 && !tok ? msal_refresh_token(cache, user, &account) : NULL;
		if (tok) {
			json_object_object_add(login, "type", json_object_new_string("token"));
			json_object_object_add(login, "token", json_object_new_string(tok));
			json_object_object_add(login, "expiresOn", json_object_new_int64(exp));
		} else if (refresh) {
			/* A new token from the refresh token, kept in lazuli's cache; az's files stay as they are. */
			json_object_object_add(login, "type", json_object_new_string("azcliUser"));
			json_object_object_add(login, "refreshToken", json_object_new_string(refresh));
			json_object_object_add(login, "account", json_object_new_string(account));
			json_object_object_add(login, "tenant", json_object_new_string(strempty(tenant)));
		} else {
			cli_error("The Azure CLI's login of %s has no unexpired ARM token and no "
				  "refresh token in %s; run 'az login' or 'lazuli login'.",
				  strempty(user), dir);
			return -EKEYEXPIRED;
		}
	}
	*ret = TAKE_PTR(p);
	return 1;
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
		/* No login of ours: the Azure CLI's, if it left one. */
		r = azcli_profile(cli, &cli->profile);
		if (r > 0)
			return 0;
		if (r == 0)
			cli_error("Please run 'lazuli login' to setup account.");
		return r < 0 ? r : -ENOENT;
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

/* The TLS sessions the HTTPS client kept (http_set_tls_session_dir()): a login starts without them. */
static void tls_sessions_clear(Cli *cli)
{
	const char *dir = config_dir(cli);
	DIR *d = dir ? opendir(dir) : NULL;
	if (!d)
		return;
	for (struct dirent *de; (de = readdir(d));)
		if (startswith(de->d_name, "tls-session-"))
			(void)unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
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
	tls_sessions_clear(cli);
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

/* A client of the saved login; arm_url and resource override the profile's when not NULL. */
static int client_new(Cli *cli, const char *arm_url, const char *resource, ArmClient **ret)
{
	ArmEndpoints ep;
	ArmAuth auth = {};
	int r;

	if ((r = cli_profile_load(cli)) < 0)
		return r;
	const char *type = json_get_string(cli->profile, "login.type");
	if (type && streq(type, "identity")) {
		auth.kind = ARM_AUTH_IDENTITY;
		auth.client_id = (char *)json_get_string(cli->profile, "login.clientId");
	} else if (type && streq(type, "servicePrincipal")) {
		auth.client_id = (char *)json_get_string(cli->profile, "login.clientId");
		auth.tenant = (char *)json_get_string(cli->profile, "login.tenant");
		auth.secret = (char *)json_get_string(cli->profile, "login.secret");
		auth.certificate = (char *)json_get_string(cli->profile, "login.certificate");
		auth.kind = auth.certificate ? ARM_AUTH_CERTIFICATE : ARM_AUTH_SECRET;
		if (!auth.client_id || !auth.tenant || (!auth.secret && !auth.certificate)) {
			cli_error("The saved login is incomplete; run 'lazuli login' again.");
			return -EBADMSG;
		}
	} else if (type && streq(type, "token")) {
		json_object *exp = json_get_path(cli->profile, "login.expiresOn");
		auth.kind = ARM_AUTH_TOKEN;
		auth.token = (char *)json_get_string(cli->profile, "login.token");
		auth.token_expires_on = exp ? (time_t)json_object_get_int64(exp) : 0;
	} else if (type && streq(type, "azcliUser")) {
		auth.kind = ARM_AUTH_REFRESH;
		auth.client_id = (char *)AZCLI_CLIENT_ID;
		auth.tenant = (char *)json_get_string(cli->profile, "login.tenant");
		auth.refresh_token = (char *)json_get_string(cli->profile, "login.refreshToken");
		auth.account = (char *)json_get_string(cli->profile, "login.account");
		if (isempty(auth.tenant) || !auth.refresh_token) {
			cli_error("The Azure CLI's login has no tenant or refresh token; run 'az "
				  "login'.");
			return -EBADMSG;
		}
	} else {
		cli_error("Please run 'lazuli login' to setup account.");
		return -ENOKEY;
	}
	if (resource && auth.kind == ARM_AUTH_TOKEN) {
		cli_error("The saved login is an access token for Azure Resource Manager only; it "
			  "gives no token for %s. Log in with 'lazuli login' (or 'az login').",
			  resource);
		return -ENOKEY;
	}
	cli_endpoints(cli, &ep);
	/* The scope the Azure CLI asks for its users: the classic ARM audience. */
	if (auth.kind == ARM_AUTH_REFRESH)
		ep.resource = AZCLI_RESOURCE;
	if (arm_url)
		ep.arm = arm_url;
	if (resource)
		ep.resource = resource;
	_cleanup_free_ char *cache = cli_config_path(cli, "tokens.json");
	if (!cache)
		return -ENOMEM;
	/* With the Azure CLI's login there may be no directory of ours yet. */
	(void)mkdir(config_dir(cli), 0700);
	/* TLS sessions too are kept there, and resumed by the next command. */
	if (http_set_tls_session_dir(config_dir(cli)) < 0)
		return -ENOMEM;
	return arm_client_new(&ep, &auth, cache, "lazuli/" LAZULI_VERSION, ret);
}

int cli_arm(Cli *cli, ArmClient **ret)
{
	if (!cli->arm) {
		int r = client_new(cli, NULL, NULL, &cli->arm);
		if (r < 0)
			return r;
	}
	*ret = cli->arm;
	return 0;
}

int cli_arm_for(Cli *cli, const char *origin, const char *resource, ArmClient **ret)
{
	return client_new(cli, origin, resource, ret);
}
