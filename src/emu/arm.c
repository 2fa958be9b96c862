/* SPDX-License-Identifier: MIT */
/*
 * Azure Resource Manager and the Microsoft identity platform's token
 * endpoint, as far as the lazuli CLI and library use them: subscriptions,
 * resource groups, generic resources, virtual machines with instance view
 * and power operations (long-running, polled through Azure-AsyncOperation
 * and Location), tags, providers, paging through nextLink, ARM's error
 * bodies and headers. Resource ids are case-insensitive as in ARM: every
 * lookup goes through a lower-cased key, the stored object keeps the id as
 * it was written.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client-assertion.h"
#include "http.h"
#include "log.h"
#include "random-util.h"
#include "state.h"
#include "strutil.h"

#define ARM_MAX_SEGMENTS 32
#define ARM_PROVIDER_API_VERSIONS "[\"2024-11-01\",\"2024-07-01\",\"2024-03-01\",\"2023-09-01\"]"

static const char *param(const EmuRequest *req, const char *name)
{
	return emu_pairs_get(req->params, req->n_params, name, false);
}

static const char *header(const EmuRequest *req, const char *name)
{
	return emu_pairs_get(req->headers, req->n_headers, name, true);
}

static char *lower_dup(const char *s)
{
	char *d = strdup(s);
	if (d)
		for (char *p = d; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return d;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v = get(o, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static char *strjoin(const char *a, const char *b)
{
	char *s;
	return asprintf(&s, "%s%s", a, b) < 0 ? NULL : s;
}

/* ---- errors --------------------------------------------------------- */

int emu_arm_error(EmuResponse *resp, int status, const char *code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	json_object *o = json_object_new_object(), *e = json_object_new_object();
	if (!o || !e) {
		json_object_put(o);
		json_object_put(e);
		return -ENOMEM;
	}
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(o, "error", e);
	return emu_response_json(resp, status, o);
}

/* ---- the data --------------------------------------------------------- */

static int add_keyed(json_object *map, json_object *obj)
{
	_cleanup_free_ char *key = lower_dup(get_str(obj, "id"));
	if (!key)
		return -ENOMEM;
	json_object_object_add(map, key, obj);
	return 0;
}

static json_object *lookup(json_object *map, const char *id)
{
	_cleanup_free_ char *key = lower_dup(id);
	return key ? get(map, key) : NULL;
}

static json_object *vm_compute(const EmuState *st, const char *key)
{
	return get(get(emu_state_vm(st)->instance, "compute"), key);
}

static const char *vm_compute_str(const EmuState *st, const char *key, const char *def)
{
	json_object *v = vm_compute(st, key);
	const char *s = v && json_object_is_type(v, json_type_string) ? json_object_get_string(v)
								      : NULL;
	return isempty(s) ? def : s;
}

static json_object *new_subscription(const char *id, const char *name, const char *tenant)
{
	json_object *o = json_object_new_object();
	char buf[256];
	if (!o)
		return NULL;
	snprintf(buf, sizeof(buf), "/subscriptions/%s", id);
	json_object_object_add(o, "id", json_object_new_string(buf));
	json_object_object_add(o, "subscriptionId", json_object_new_string(id));
	json_object_object_add(o, "tenantId", json_object_new_string(tenant));
	json_object_object_add(o, "displayName", json_object_new_string(name));
	json_object_object_add(o, "state", json_object_new_string("Enabled"));
	json_object *pol = json_object_new_object();
	json_object_object_add(pol, "locationPlacementId",
			       json_object_new_string("Public_2014-09-01"));
	json_object_object_add(pol, "quotaId", json_object_new_string("PayAsYouGo_2014-09-01"));
	json_object_object_add(pol, "spendingLimit", json_object_new_string("Off"));
	json_object_object_add(o, "subscriptionPolicies", pol);
	json_object_object_add(o, "authorizationSource", json_object_new_string("RoleBased"));
	json_object_object_add(o, "tags", json_object_new_object());
	return o;
}

static json_object *new_group(const char *sub, const char *name, const char *location,
			      json_object *tags)
{
	json_object *o = json_object_new_object(), *p = json_object_new_object();
	char buf[512];
	if (!o || !p) {
		json_object_put(o);
		json_object_put(p);
		return NULL;
	}
	snprintf(buf, sizeof(buf), "/subscriptions/%s/resourceGroups/%s", sub, name);
	json_object_object_add(o, "id", json_object_new_string(buf));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "type", json_object_new_string("Microsoft.Resources/resourceGroups"));
	json_object_object_add(o, "location", json_object_new_string(location));
	json_object_object_add(o, "tags", tags ? tags : json_object_new_object());
	json_object_object_add(p, "provisioningState", json_object_new_string("Succeeded"));
	json_object_object_add(o, "properties", p);
	return o;
}

static json_object *new_resource(const char *sub, const char *rg, const char *type,
				 const char *name, const char *location, json_object *tags,
				 json_object *properties)
{
	json_object *o = json_object_new_object();
	char buf[1024];
	if (!o)
		return NULL;
	snprintf(buf, sizeof(buf), "/subscriptions/%s/resourceGroups/%s/providers/%s/%s", sub, rg,
		 type, name);
	json_object_object_add(o, "id", json_object_new_string(buf));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "location", json_object_new_string(location));
	json_object_object_add(o, "tags", tags ? tags : json_object_new_object());
	if (!properties)
		properties = json_object_new_object();
	if (!get(properties, "provisioningState"))
		json_object_object_add(properties, "provisioningState",
				       json_object_new_string("Succeeded"));
	json_object_object_add(o, "properties", properties);
	return o;
}

static bool is_vm_type(const char *type)
{
	return type && strcaseeq(type, "Microsoft.Compute/virtualMachines");
}

static json_object *vm_properties(const char *name, const char *size, const char *vm_id,
				  const char *admin)
{
	json_object *p = json_object_new_object(), *hw = json_object_new_object(),
		    *os = json_object_new_object(), *lin = json_object_new_object(),
		    *sp = json_object_new_object(), *disk = json_object_new_object();
	json_object_object_add(p, "vmId", json_object_new_string(vm_id));
	json_object_object_add(hw, "vmSize", json_object_new_string(size));
	json_object_object_add(p, "hardwareProfile", hw);
	json_object_object_add(disk, "osType", json_object_new_string("Linux"));
	json_object_object_add(disk, "name", json_object_new_string(name));
	json_object_object_add(disk, "createOption", json_object_new_string("FromImage"));
	json_object_object_add(sp, "osDisk", disk);
	json_object_object_add(p, "storageProfile", sp);
	json_object_object_add(os, "computerName", json_object_new_string(name));
	json_object_object_add(os, "adminUsername", json_object_new_string(admin));
	json_object_object_add(lin, "disablePasswordAuthentication", json_object_new_boolean(1));
	json_object_object_add(os, "linuxConfiguration", lin);
	json_object_object_add(p, "osProfile", os);
	return p;
}

/* IMDS's "000D3A123456" as ARM writes a MAC address: "00-0D-3A-12-34-56". */
static void arm_mac(const char *imds, char *buf, size_t size)
{
	size_t o = 0, n = strlen(strempty(imds));
	buf[0] = '\0';
	for (size_t i = 0; i < n && o + 4 <= size; i += 2) {
		o += (size_t)snprintf(buf + o, size - o, "%s%c%c", i ? "-" : "",
				      toupper((unsigned char)imds[i]),
				      i + 1 < n ? toupper((unsigned char)imds[i + 1]) : '0');
	}
}

static json_object *new_ref(const char *id)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	return o;
}

/*
 * The network of the IMDS fixture as ARM resources: a network interface per
 * IMDS interface (MAC address, an IP configuration per address), a public
 * IP address resource per public address, and the VM's networkProfile
 * naming the interfaces, which is what `vm show -d` follows.
 */
static int seed_network(EmuState *st, json_object *vm, const char *sub, const char *rg,
			const char *name, const char *loc)
{
	json_object *ifs = get(get(emu_state_vm(st)->instance, "network"), "interface");
	json_object *refs = json_object_new_array(), *np = json_object_new_object();
	size_t n = ifs && json_object_is_type(ifs, json_type_array) ? json_object_array_length(ifs) : 0;
	int r;

	if (!refs || !np) {
		json_object_put(refs);
		json_object_put(np);
		return -ENOMEM;
	}
	json_object_object_add(np, "networkInterfaces", refs);
	json_object_object_add(get(vm, "properties"), "networkProfile", np);
	for (size_t i = 0; i < MAX(n, (size_t)1); i++) {
		json_object *itf = i < n ? json_object_array_get_idx(ifs, i) : NULL;
		json_object *addrs = get(get(itf, "ipv4"), "ipAddress");
		size_t na = addrs && json_object_is_type(addrs, json_type_array)
				? json_object_array_length(addrs)
				: 0;
		char nic[256], mac[64];
		if (i == 0)
			snprintf(nic, sizeof(nic), "%s-nic", name);
		else
			snprintf(nic, sizeof(nic), "%s-nic%zu", name, i);
		json_object *props = json_object_new_object(), *cfgs = json_object_new_array();
		json_object *o = new_resource(sub, rg, "Microsoft.Network/networkInterfaces", nic, loc,
					      NULL, props);
		if (!o || !cfgs) {
			json_object_put(o);
			json_object_put(cfgs);
			return -ENOMEM;
		}
		const char *nic_id = get_str(o, "id");
		arm_mac(get_str(itf, "macAddress"), mac, sizeof(mac));
		if (*mac)
			json_object_object_add(props, "macAddress", json_object_new_string(mac));
		json_object_object_add(props, "primary", json_object_new_boolean(i == 0));
		json_object_object_add(props, "virtualMachine", new_ref(get_str(vm, "id")));
		json_object_object_add(props, "ipConfigurations", cfgs);
		for (size_t j = 0; j < na; j++) {
			json_object *ad = json_object_array_get_idx(addrs, j);
			json_object *c = json_object_new_object(), *cp = json_object_new_object();
			char cname[32], cid[512];
			snprintf(cname, sizeof(cname), "ipconfig%zu", j + 1);
			snprintf(cid, sizeof(cid), "%s/ipConfigurations/%s", nic_id, cname);
			json_object_object_add(c, "id", json_object_new_string(cid));
			json_object_object_add(c, "name", json_object_new_string(cname));
			json_object_object_add(c, "properties", cp);
			json_object_array_add(cfgs, c);
			json_object_object_add(cp, "privateIPAddress",
					       json_object_new_string(strempty(get_str(ad, "privateIpAddress"))));
			json_object_object_add(cp, "privateIPAllocationMethod",
					       json_object_new_string("Dynamic"));
			json_object_object_add(cp, "primary", json_object_new_boolean(j == 0));
			json_object_object_add(cp, "provisioningState", json_object_new_string("Succeeded"));
			const char *pub = get_str(ad, "publicIpAddress");
			if (isempty(pub))
				continue;
			char pname[300];
			snprintf(pname, sizeof(pname), "%s-ip%zu", nic, j + 1);
			json_object *pp = json_object_new_object();
			json_object *pip = new_resource(sub, rg, "Microsoft.Network/publicIPAddresses",
							pname, loc, NULL, pp);
			if (!pip)
				return -ENOMEM;
			json_object_object_add(pp, "ipAddress", json_object_new_string(pub));
			json_object_object_add(pp, "publicIPAllocationMethod",
					       json_object_new_string("Static"));
			json_object_object_add(pp, "ipConfiguration", new_ref(cid));
			json_object_object_add(cp, "publicIPAddress", new_ref(get_str(pip, "id")));
			if ((r = add_keyed(st->arm.resources, pip)) < 0)
				return r;
		}
		json_object *ref = new_ref(nic_id), *rp = json_object_new_object();
		json_object_object_add(rp, "primary", json_object_new_boolean(i == 0));
		json_object_object_add(ref, "properties", rp);
		json_object_array_add(refs, ref);
		if ((r = add_keyed(st->arm.resources, o)) < 0)
			return r;
	}
	return 0;
}

/* Seed data: the VM of the IMDS fixture in its subscription and group, plus the scenario's. */
static int seed(EmuState *st)
{
	EmuArm *a = &st->arm;
	const char *sub = vm_compute_str(st, "subscriptionId", EMU_ARM_DEFAULT_SUBSCRIPTION);
	const char *rg = vm_compute_str(st, "resourceGroupName", "lazuli-rg");
	const char *name = vm_compute_str(st, "name", "lazuli-vm");
	const char *loc = vm_compute_str(st, "location", "westeurope");
	const char *size = vm_compute_str(st, "vmSize", "Standard_B2s");
	const char *vm_id = vm_compute_str(st, "vmId", "00000000-0000-0000-0000-000000000000");
	const char *admin = get_str(get(vm_compute(st, "osProfile"), "adminUsername")
					? vm_compute(st, "osProfile")
					: NULL,
				    "adminUsername");
	const EmuScenario *sc = st->scenario;
	int r;

	a->subscriptions = json_object_new_object();
	a->groups = json_object_new_object();
	a->resources = json_object_new_object();
	a->operations = json_object_new_object();
	a->power = json_object_new_object();
	if (!a->subscriptions || !a->groups || !a->resources || !a->operations || !a->power)
		return -ENOMEM;

	if ((r = add_keyed(a->subscriptions,
			   new_subscription(sub, "Lazuli Emulated Subscription",
					    sc->arm_tenant ? sc->arm_tenant
							   : EMU_ARM_DEFAULT_TENANT))) < 0)
		return r;
	json_object *tags = json_object_new_object();
	json_object_object_add(tags, "env", json_object_new_string("test"));
	if ((r = add_keyed(a->groups, new_group(sub, rg, loc, tags))) < 0)
		return r;
	json_object *vm = new_resource(sub, rg, "Microsoft.Compute/virtualMachines", name, loc,
				       NULL, vm_properties(name, size, vm_id, admin ? admin : "azureuser"));
	if (!vm || (r = add_keyed(a->resources, vm)) < 0)
		return -ENOMEM;
	_cleanup_free_ char *vkey = lower_dup(get_str(vm, "id"));
	json_object_object_add(a->power, vkey, json_object_new_string("running"));

	if ((r = seed_network(st, vm, sub, rg, name, loc)) < 0)
		return r;

	/* The scenario's own subscriptions, groups and resources. */
	json_object *d = sc->arm_data;
	json_object *arr;
	if ((arr = get(d, "subscriptions")))
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *s = json_object_array_get_idx(arr, i);
			json_object *n = new_subscription(get_str(s, "subscriptionId"),
							  get_str(s, "displayName") ?: "Subscription",
							  get_str(s, "tenantId") ?: EMU_ARM_DEFAULT_TENANT);
			if (!n || (r = add_keyed(a->subscriptions, n)) < 0)
				return -ENOMEM;
		}
	if ((arr = get(d, "resourceGroups")))
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *g = json_object_array_get_idx(arr, i), *t = NULL;
			if (get(g, "tags"))
				json_object_deep_copy(get(g, "tags"), &t, NULL);
			json_object *n = new_group(get_str(g, "subscriptionId") ?: sub,
						   get_str(g, "name"), get_str(g, "location") ?: loc, t);
			if (!n || (r = add_keyed(a->groups, n)) < 0)
				return -ENOMEM;
		}
	if ((arr = get(d, "resources")))
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *x = json_object_array_get_idx(arr, i), *t = NULL, *p = NULL;
			const char *type = get_str(x, "type"), *n = get_str(x, "name");
			if (get(x, "tags"))
				json_object_deep_copy(get(x, "tags"), &t, NULL);
			if (get(x, "properties"))
				json_object_deep_copy(get(x, "properties"), &p, NULL);
			else if (is_vm_type(type)) {
				char id[37];
				uuid4_string(id);
				p = vm_properties(n, "Standard_B1s", id, "azureuser");
			}
			json_object *o = new_resource(get_str(x, "subscriptionId") ?: sub,
						      get_str(x, "resourceGroup") ?: rg, type, n,
						      get_str(x, "location") ?: loc, t, p);
			if (!o || (r = add_keyed(a->resources, o)) < 0)
				return -ENOMEM;
			if (is_vm_type(type)) {
				_cleanup_free_ char *k = lower_dup(get_str(o, "id"));
				const char *ps = get_str(x, "powerState") ?: "running";
				json_object_object_add(a->power, k, json_object_new_string(ps));
			}
		}
	return 0;
}

void emu_arm_done(EmuArm *a)
{
	json_object_put(a->subscriptions);
	json_object_put(a->groups);
	json_object_put(a->resources);
	json_object_put(a->operations);
	json_object_put(a->power);
	free(a->base_url);
	*a = (EmuArm){};
}

int emu_arm_restart(EmuState *st)
{
	char *url = TAKE_PTR(st->arm.base_url);
	emu_arm_done(&st->arm);
	st->arm.base_url = url ? url : strdup("http://127.0.0.1");
	if (!st->arm.base_url)
		return -ENOMEM;
	return seed(st);
}

json_object *emu_arm_dump(const EmuState *st)
{
	json_object *o = json_object_new_object(), *c = NULL;
	if (!o)
		return NULL;
#define COPY(name, field)                                                                         \
	do {                                                                                      \
		c = NULL;                                                                         \
		json_object_deep_copy(st->arm.field, &c, NULL);                                   \
		json_object_object_add(o, name, c);                                               \
	} while (0)
	COPY("subscriptions", subscriptions);
	COPY("resourceGroups", groups);
	COPY("resources", resources);
	COPY("powerStates", power);
	COPY("operations", operations);
#undef COPY
	return o;
}

/* ---- authentication --------------------------------------------------- */

static bool audience_is_arm(const char *aud)
{
	static const char *const ok[] = {
	    "https://management.azure.com/", "https://management.azure.com",
	    "https://management.core.windows.net/", "https://management.core.windows.net"};
	for (size_t i = 0; aud && i < ELEMENTSOF(ok); i++)
		if (strcaseeq(aud, ok[i]))
			return true;
	return false;
}

/* 0 if the bearer token is one ARM accepts, else fills resp with ARM's 401. */
static int check_auth(const EmuState *st, const EmuRequest *req, usec_t now_real,
		      EmuResponse *resp)
{
	const char *h = header(req, "Authorization");
	if (!h)
		return emu_arm_error(resp, 401, "AuthenticationFailed",
				     "Authentication failed. The 'Authorization' header is "
				     "missing.") ?: 1;
	if (strncasecmp(h, "Bearer ", 7) != 0)
		return emu_arm_error(resp, 401, "AuthenticationFailed",
				     "Authentication failed. The 'Authorization' header is "
				     "provided in an invalid format.") ?: 1;
	const char *tok = h + 7;
	if (st->scenario->identity.access_token && streq(tok, st->scenario->identity.access_token))
		return 0;
	_cleanup_jobj_ json_object *p = emu_jwt_payload(tok);
	if (!p)
		return emu_arm_error(resp, 401, "InvalidAuthenticationToken",
				     "The access token is invalid.") ?: 1;
	if (!audience_is_arm(get_str(p, "aud")))
		return emu_arm_error(resp, 401, "InvalidAuthenticationTokenAudience",
				     "The access token has been obtained for wrong audience or "
				     "resource '%s'. It should exactly match with one of the "
				     "allowed audiences 'https://management.core.windows.net/',"
				     "'https://management.azure.com/'.",
				     strempty(get_str(p, "aud"))) ?: 1;
	json_object *exp = get(p, "exp");
	if (!exp || json_object_get_int64(exp) <= (int64_t)(now_real / USEC_PER_SEC))
		return emu_arm_error(resp, 401, "ExpiredAuthenticationToken",
				     "The access token expiry UTC time is earlier than current "
				     "UTC time.") ?: 1;
	return 0;
}

/* The Microsoft identity platform's token endpoint: v2.0 (scope) and v1 (resource). */
static int identity_error(EmuResponse *resp, int status, const char *error, int code,
			  const char *desc)
{
	json_object *o = json_object_new_object(), *codes = json_object_new_array();
	char buf[512];
	if (!o || !codes) {
		json_object_put(o);
		json_object_put(codes);
		return -ENOMEM;
	}
	snprintf(buf, sizeof(buf), "AADSTS%d: %s", code, desc);
	json_object_object_add(o, "error", json_object_new_string(error));
	json_object_object_add(o, "error_description", json_object_new_string(buf));
	json_object_array_add(codes, json_object_new_int(code));
	json_object_object_add(o, "error_codes", codes);
	return emu_response_json(resp, status, o);
}

static int login_with_form(EmuState *st, const EmuPair *fp, size_t fn, const char *tenant,
			   const char *host, bool v2, usec_t now_real, EmuResponse *resp);

/* 0 if the tenant in the path is ours (or "organizations"), 1 once resp holds the error. */
static int check_tenant(const EmuScenario *sc, const char *tenant, EmuResponse *resp)
{
	const char *want = sc->arm_tenant ? sc->arm_tenant : EMU_ARM_DEFAULT_TENANT;
	if (strcaseeq(tenant, want) || strcaseeq(tenant, "organizations"))
		return 0;
	return identity_error(resp, 400, "invalid_request", 90002,
			      "Tenant not found. Check to make sure you have the correct "
			      "tenant ID and are signing into the correct cloud.") ?: 1;
}

/*
 * OpenID Connect discovery, /{tenant}[/v2.0]/.well-known/openid-configuration:
 * MSAL (the Azure CLI's login library) reads the token endpoint from here
 * before its first token request.
 */
static int serve_openid_configuration(EmuState *st, const EmuRequest *req, const char *tenant,
				      bool v2, EmuResponse *resp)
{
	const char *want = st->scenario->arm_tenant ? st->scenario->arm_tenant
						    : EMU_ARM_DEFAULT_TENANT;
	const char *base = st->arm.base_url, *ver = v2 ? "/v2.0" : "";
	_cleanup_free_ char *issuer = NULL, *authz = NULL, *token = NULL, *keys = NULL;
	int r;

	if (!streq(req->method, "GET") && !streq(req->method, "HEAD"))
		return identity_error(resp, 405, "invalid_request", 900561,
				      "The endpoint only accepts GET requests.");
	if ((r = check_tenant(st->scenario, tenant, resp)) != 0)
		return r < 0 ? r : 0;
	if (asprintf(&issuer, "%s/%s%s", base, want, ver) < 0 ||
	    asprintf(&authz, "%s/%s/oauth2%s/authorize", base, tenant, ver) < 0 ||
	    asprintf(&token, "%s/%s/oauth2%s/token", base, tenant, ver) < 0 ||
	    asprintf(&keys, "%s/%s/discovery%s/keys", base, tenant, ver) < 0)
		return -ENOMEM;
	json_object *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "issuer", json_object_new_string(issuer));
	json_object_object_add(o, "authorization_endpoint", json_object_new_string(authz));
	json_object_object_add(o, "token_endpoint", json_object_new_string(token));
	json_object_object_add(o, "jwks_uri", json_object_new_string(keys));
	json_object_object_add(o, "tenant_region_scope", json_object_new_string("WW"));
	json_object *methods = json_object_new_array(), *grants = json_object_new_array();
	json_object_array_add(methods, json_object_new_string("client_secret_post"));
	json_object_array_add(methods, json_object_new_string("private_key_jwt"));
	json_object_array_add(grants, json_object_new_string("client_credentials"));
	json_object_array_add(grants, json_object_new_string("refresh_token"));
	json_object_object_add(o, "token_endpoint_auth_methods_supported", methods);
	json_object_object_add(o, "grant_types_supported", grants);
	return emu_response_json(resp, 200, o);
}

static int serve_login(EmuState *st, const EmuRequest *req, const char *tenant, bool v2,
		       usec_t now_real, EmuResponse *resp)
{
	EmuPair *fp = NULL;
	size_t fn = 0;
	int r;

	if (!streq(req->method, "POST"))
		return identity_error(resp, 405, "invalid_request", 900561,
				      "The endpoint only accepts POST requests.");
	_cleanup_free_ char *body = strndup(req->body, req->body_len);
	if (!body)
		return -ENOMEM;
	if ((r = emu_query_parse(body, &fp, &fn)) < 0)
		return r;
	r = login_with_form(st, fp, fn, tenant, header(req, "Host"), v2, now_real, resp);
	emu_pairs_free(fp, fn);
	return r;
}

#define JWT_BEARER "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

/*
 * A certificate credential: the client assertion, checked against the
 * registered certificate. 0 if good, 1 once resp holds the error.
 */
static int check_client_assertion(const EmuScenario *sc, const char *type, const char *assertion,
				  const char *client_id, const char *tenant, const char *host,
				  time_t now, EmuResponse *resp)
{
	if (!type || !streq(type, JWT_BEARER))
		return identity_error(resp, 400, "invalid_request", 50027,
				      "JWT token is invalid or malformed: client_assertion_type "
				      "must be " JWT_BEARER ".") ?: 1;
	if (!assertion)
		return identity_error(resp, 400, "invalid_request", 900144,
				      "The request body must contain the following parameter: "
				      "'client_assertion'.") ?: 1;
	/* The token endpoint as the client addressed it, v2.0 or v1. */
	_cleanup_free_ char *a0 = NULL, *a1 = NULL, *a2 = NULL, *a3 = NULL;
	const char *h = strempty(host);
	if (asprintf(&a0, "http://%s/%s/oauth2/v2.0/token", h, tenant) < 0 ||
	    asprintf(&a1, "http://%s/%s/oauth2/token", h, tenant) < 0 ||
	    asprintf(&a2, "https://%s/%s/oauth2/v2.0/token", h, tenant) < 0 ||
	    asprintf(&a3, "https://%s/%s/oauth2/token", h, tenant) < 0)
		return -ENOMEM;
	const char *const auds[] = {a0, a1, a2, a3, NULL};
	const char *error = NULL;
	char desc[512];
	int code = emu_client_assertion_check(assertion, sc->arm_client_certificate, client_id, auds,
					      now, &error, desc, sizeof(desc));
	if (code <= 0)
		return code;
	return identity_error(resp, streq(error, "invalid_client") ? 401 : 400, error, code, desc) ?: 1;
}

/* The resource a v2.0 scope names: its first "<resource>/.default" word. */
static bool scope_resource(const char *scope, char *aud, size_t size)
{
	static const char suffix[] = "/.default";
	const size_t sl = sizeof(suffix) - 1;
	for (const char *w = scope; w && *w;) {
		size_t n = strcspn(w, " ");
		if (n > sl && strncmp(w + n - sl, suffix, sl) == 0) {
			/* "https://management.core.windows.net//.default" names "...net/". */
			size_t al = n - sl;
			snprintf(aud, size, "%.*s%s", (int)al, w, w[al - 1] == '/' ? "" : "/");
			return true;
		}
		w += n;
		w += strspn(w, " ");
	}
	return false;
}

static bool refresh_token_known(const EmuScenario *sc, const char *token)
{
	json_object *l = sc->arm_refresh_tokens;
	for (size_t i = 0; l && i < json_object_array_length(l); i++)
		if (streq(json_object_get_string(json_object_array_get_idx(l, i)), token))
			return true;
	return false;
}

static int login_with_form(EmuState *st, const EmuPair *fp, size_t fn, const char *tenant,
			   const char *host, bool v2, usec_t now_real, EmuResponse *resp)
{
	const EmuScenario *sc = st->scenario;
#define FORM(k) emu_pairs_get(fp, fn, k, false)
	const char *grant = FORM("grant_type"), *client_id = FORM("client_id");
	const char *secret = FORM("client_secret"), *scope = FORM("scope"),
		   *resource = FORM("resource");
	const char *assertion_type = FORM("client_assertion_type"),
		   *assertion = FORM("client_assertion"), *refresh = FORM("refresh_token");
#undef FORM
	time_t now = (time_t)(now_real / USEC_PER_SEC);
	bool user = grant && streq(grant, "refresh_token");
	int r;

	if ((r = check_tenant(sc, tenant, resp)) != 0)
		return r < 0 ? r : 0;
	if (!grant || (!streq(grant, "client_credentials") && !user))
		return identity_error(resp, 400, "unsupported_grant_type", 70003,
				      "The app requested an unsupported grant type.");
	if (user) {
		/* A public client (the Azure CLI's): no secret, the refresh token is the grant. */
		if (!client_id)
			return identity_error(resp, 400, "invalid_request", 900144,
					      "The request body must contain the following "
					      "parameter: 'client_id'.");
		if (!refresh)
			return identity_error(resp, 400, "invalid_request", 900144,
					      "The request body must contain the following "
					      "parameter: 'refresh_token'.");
		if (!refresh_token_known(sc, refresh))
			return identity_error(resp, 400, "invalid_grant", 70000,
					      "Provided grant is invalid or malformed.");
	} else {
		const char *want_id = sc->arm_client_id ? sc->arm_client_id
							: EMU_ARM_DEFAULT_CLIENT_ID;
		const char *want_secret = sc->arm_client_secret ? sc->arm_client_secret
								: EMU_ARM_DEFAULT_CLIENT_SECRET;
		if (!client_id || !strcaseeq(client_id, want_id))
			return identity_error(resp, 400, "unauthorized_client", 700016,
					      "Application was not found in the directory.");
		if (assertion_type || assertion) {
			r = check_client_assertion(sc, assertion_type, assertion, client_id, tenant,
						   host, now, resp);
			if (r != 0)
				return r < 0 ? r : 0;
		} else if (!secret || !streq(secret, want_secret))
			return identity_error(resp, 401, "invalid_client", 7000215,
					      "Invalid client secret provided. Ensure the secret "
					      "being sent in the request is the client secret value, "
					      "not the client secret ID.");
	}
	char aud[512];
	if (v2) {
		if (!scope || !scope_resource(scope, aud, sizeof(aud)))
			return identity_error(resp, 400, "invalid_scope", 1002012,
					      "The provided value for scope is not valid. Client "
					      "credential flows must have a scope value with "
					      "/.default suffixed to the resource identifier.");
	} else {
		if (!resource)
			return identity_error(resp, 400, "invalid_request", 900144,
					      "The request body must contain the following "
					      "parameter: 'resource'.");
		snprintf(aud, sizeof(aud), "%s", resource);
	}
	unsigned expires_in = sc->identity.expires_in;
	_cleanup_free_ char *token = emu_fake_jwt(st, aud, client_id, NULL, "", now,
						  now + (time_t)expires_in);
	if (!token)
		return -ENOMEM;
	json_object *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "token_type", json_object_new_string("Bearer"));
	if (v2) {
		if (user)
			json_object_object_add(o, "scope", json_object_new_string(scope));
		json_object_object_add(o, "expires_in", json_object_new_int(expires_in));
		json_object_object_add(o, "ext_expires_in", json_object_new_int(expires_in));
	} else {
		char buf[32];
		snprintf(buf, sizeof(buf), "%u", expires_in);
		json_object_object_add(o, "expires_in", json_object_new_string(buf));
		snprintf(buf, sizeof(buf), "%lld", (long long)now + expires_in);
		json_object_object_add(o, "expires_on", json_object_new_string(buf));
		json_object_object_add(o, "resource", json_object_new_string(aud));
	}
	json_object_object_add(o, "access_token", json_object_new_string(token));
	/* The same refresh token back: the scenario's list stays the truth. */
	if (user)
		json_object_object_add(o, "refresh_token", json_object_new_string(refresh));
	return emu_response_json(resp, 200, o);
}

/* ---- paging and filters ----------------------------------------------- */

typedef struct Filter {
	char *field; /* resourceType, name, location, resourceGroup, tagName */
	char *value;
	char *tag_value; /* with tagName */
	bool substring;	 /* substringof('v', name) */
} Filter;

static void filters_free(Filter *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].field);
		free(f[i].value);
		free(f[i].tag_value);
	}
	free(f);
}

/* "a eq 'b'" with quotes doubled inside; returns the end or NULL. */
static const char *parse_quoted(const char *p, char **ret)
{
	StrBuf b = {};
	if (*p != '\'')
		return NULL;
	for (p++;; p++) {
		if (!*p) {
			strbuf_free(&b);
			return NULL;
		}
		if (*p == '\'') {
			if (p[1] == '\'') {
				p++;
			} else
				break;
		}
		if (strbuf_append(&b, p, 1) < 0) {
			strbuf_free(&b);
			return NULL;
		}
	}
	*ret = b.data ? b.data : strdup("");
	return p + 1;
}

static int parse_filter(const char *s, Filter **ret, size_t *ret_n, char *err, size_t errlen)
{
	Filter *f = NULL;
	size_t n = 0;
	const char *p = s;

	for (;;) {
		while (*p == ' ')
			p++;
		Filter *nf = realloc(f, (n + 1) * sizeof(*f));
		if (!nf) {
			filters_free(f, n);
			return -ENOMEM;
		}
		f = nf;
		f[n] = (Filter){};
		if (strncasecmp(p, "substringof(", 12) == 0) {
			p = parse_quoted(p + 12, &f[n].value);
			if (!p ||
			    (strncasecmp(p, ", name)", 7) != 0 && strncasecmp(p, ",name)", 6) != 0))
				goto bad;
			p += p[1] == ' ' ? 7 : 6;
			f[n].field = strdup("name");
			f[n].substring = true;
		} else {
			const char *sp = strchr(p, ' ');
			if (!sp || strncmp(sp, " eq ", 4) != 0)
				goto bad;
			f[n].field = strndup(p, (size_t)(sp - p));
			p = parse_quoted(sp + 4, &f[n].value);
			if (!p || !f[n].field)
				goto bad;
			static const char *const known[] = {"resourceType", "name", "location",
							     "resourceGroup", "tagName"};
			bool ok = false;
			for (size_t i = 0; i < ELEMENTSOF(known); i++)
				ok = ok || strcaseeq(f[n].field, known[i]);
			if (!ok)
				goto bad;
			if (strcaseeq(f[n].field, "tagName") && strncasecmp(p, " and tagValue eq ", 17) == 0) {
				p = parse_quoted(p + 17, &f[n].tag_value);
				if (!p)
					goto bad;
			}
		}
		n++;
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (strncasecmp(p, "and ", 4) != 0)
			goto bad_n;
		p += 4;
	}
	*ret = f;
	*ret_n = n;
	return 0;
bad:
	n++;
bad_n:
	filters_free(f, n);
	snprintf(err, errlen, "Invalid $filter '%s' specified in the query string.", s);
	return -EINVAL;
}

static bool filter_match(const Filter *f, size_t n, json_object *o)
{
	for (size_t i = 0; i < n; i++) {
		const char *field = f[i].field;
		if (strcaseeq(field, "tagName")) {
			json_object *t = get(get(o, "tags"), f[i].value);
			if (!t)
				return false;
			if (f[i].tag_value && !streq(json_object_get_string(t), f[i].tag_value))
				return false;
			continue;
		}
		const char *v;
		_cleanup_free_ char *rg = NULL;
		if (strcaseeq(field, "resourceType"))
			v = get_str(o, "type");
		else if (strcaseeq(field, "resourceGroup")) {
			const char *id = get_str(o, "id"), *g = id ? strcasestr(id, "/resourceGroups/") : NULL;
			if (g) {
				g += strlen("/resourceGroups/");
				rg = strndup(g, strcspn(g, "/"));
			}
			v = rg;
		} else
			v = get_str(o, field);
		if (!v)
			return false;
		if (f[i].substring ? !strcasestr(v, f[i].value) : !strcaseeq(v, f[i].value))
			return false;
	}
	return true;
}

static int cmp_by_id(const void *a, const void *b)
{
	json_object *const *x = a, *const *y = b;
	return strcasecmp(get_str(*x, "id"), get_str(*y, "id"));
}

/*
 * A page of items whose id starts with prefix (lower-cased, NULL: all),
 * filtered and sorted, with a nextLink to the next page.
 */
static int serve_list(EmuState *st, const EmuRequest *req, json_object *map, const char *prefix,
		      bool (*want)(json_object *o, const char *prefix), bool strip_properties,
		      EmuResponse *resp)
{
	_cleanup_free_ json_object **items = NULL;
	size_t n = 0, cap = 0, skip = 0, top = SIZE_MAX;
	Filter *f = NULL;
	size_t nf = 0;
	const char *filter = param(req, "$filter"), *sk = param(req, "$skiptoken"),
		   *top_s = param(req, "$top"), *expand = param(req, "$expand");
	/* A resource list leaves properties out; $expand asks for its provisioningState. */
	bool with_state = strip_properties && expand && strcasestr(expand, "provisioningState");
	char err[512];
	int r;

	/* az resource list sends an empty $filter when given none; ARM takes it as no filter. */
	if (isempty(filter))
		filter = NULL;
	if (filter && (r = parse_filter(filter, &f, &nf, err, sizeof(err))) < 0)
		return r == -ENOMEM ? r : emu_arm_error(resp, 400, "InvalidFilterInQueryString", "%s", err);
	unsigned long long v;
	if (sk && safe_atou64(sk, &v) == 0)
		skip = (size_t)v;
	if (top_s) {
		if (safe_atou64(top_s, &v) < 0 || v == 0 || v > 1000) {
			filters_free(f, nf);
			return emu_arm_error(resp, 400, "InvalidTopInQueryString",
					     "The $top query parameter value '%s' is invalid.",
					     top_s);
		}
		top = (size_t)v;
	}
	json_object_object_foreach(map, key, val) {
		if (prefix && !startswith(key, prefix))
			continue;
		if (want && !want(val, prefix))
			continue;
		if (!filter_match(f, nf, val))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			json_object **ni = realloc(items, cap * sizeof(*items));
			if (!ni) {
				filters_free(f, nf);
				return -ENOMEM;
			}
			items = ni;
		}
		items[n++] = val;
	}
	filters_free(f, nf);
	if (n > 0)
		qsort(items, n, sizeof(*items), cmp_by_id);
	if (top < n)
		n = top;

	size_t page = st->scenario->arm_page_size ? st->scenario->arm_page_size : 100;
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	if (!o || !arr) {
		json_object_put(o);
		json_object_put(arr);
		return -ENOMEM;
	}
	for (size_t i = skip; i < n && i < skip + page; i++) {
		json_object *c = NULL;
		json_object_deep_copy(items[i], &c, NULL);
		json_object *state = get(get(c, "properties"), "provisioningState");
		if (with_state && state)
			json_object_object_add(c, "provisioningState", json_object_get(state));
		if (strip_properties)
			json_object_object_del(c, "properties");
		json_object_array_add(arr, c);
	}
	json_object_object_add(o, "value", arr);
	if (skip + page < n) {
		StrBuf b = {};
		char num[32];
		strbuf_puts(&b, st->arm.base_url);
		strbuf_puts(&b, req->path);
		strbuf_puts(&b, "?api-version=");
		strbuf_puts(&b, param(req, "api-version"));
		if (filter) {
			_cleanup_free_ char *esc = http_url_escape(filter);
			strbuf_puts(&b, "&%24filter=");
			strbuf_puts(&b, strempty(esc));
		}
		if (expand) {
			_cleanup_free_ char *esc = http_url_escape(expand);
			strbuf_puts(&b, "&%24expand=");
			strbuf_puts(&b, strempty(esc));
		}
		if (top_s) {
			strbuf_puts(&b, "&%24top=");
			strbuf_puts(&b, top_s);
		}
		snprintf(num, sizeof(num), "%zu", skip + page);
		strbuf_puts(&b, "&%24skiptoken=");
		strbuf_puts(&b, num);
		if (!b.data) {
			json_object_put(o);
			return -ENOMEM;
		}
		json_object_object_add(o, "nextLink", json_object_new_string(b.data));
		strbuf_free(&b);
	}
	return emu_response_json(resp, 200, o);
}

/* ---- long-running operations ------------------------------------------ */

static int start_operation(EmuState *st, const char *sub, const char *location,
			   const char *action, const char *target, EmuResponse *resp)
{
	char id[37], buf[1024];
	json_object *op = json_object_new_object();
	int r;

	if (!op)
		return -ENOMEM;
	uuid4_string(id);
	json_object_object_add(op, "id", json_object_new_string(id));
	json_object_object_add(op, "action", json_object_new_string(action));
	json_object_object_add(op, "target", json_object_new_string(target));
	json_object_object_add(op, "polls_left",
			       json_object_new_int((int)st->scenario->arm_lro_polls));
	json_object_object_add(op, "status", json_object_new_string("InProgress"));
	json_object_object_add(st->arm.operations, id, op);

	snprintf(buf, sizeof(buf),
		 "%s/subscriptions/%s/providers/Lazuli.Emulator/locations/%s/operations/%s"
		 "?api-version=2024-11-01",
		 st->arm.base_url, sub, location, id);
	if ((r = emu_response_header(resp, "Azure-AsyncOperation", buf)) < 0)
		return r;
	snprintf(buf, sizeof(buf),
		 "%s/subscriptions/%s/providers/Lazuli.Emulator/locations/%s/operationResults/%s"
		 "?api-version=2024-11-01",
		 st->arm.base_url, sub, location, id);
	if ((r = emu_response_header(resp, "Location", buf)) < 0)
		return r;
	snprintf(buf, sizeof(buf), "%u", st->scenario->arm_retry_after);
	if ((r = emu_response_header(resp, "Retry-After", buf)) < 0)
		return r;
	/* Last: finishing it may free the resource that location and target point into. */
	if (st->scenario->arm_lro_polls == 0)
		emu_arm_complete_pending(st);
	return emu_response_set(resp, 202, NULL, "", 0);
}

static void apply_operation(EmuState *st, json_object *op)
{
	const char *action = get_str(op, "action"), *target = get_str(op, "target");
	_cleanup_free_ char *key = lower_dup(target);
	if (!key)
		return;
	if (streq(action, "delete-group")) {
		/* The group and everything in it. */
		size_t kl = strlen(key);
		for (bool again = true; again;) {
			again = false;
			json_object_object_foreach(st->arm.resources, k, v) {
				(void)v;
				if (strncmp(k, key, kl) == 0 && k[kl] == '/') {
					json_object_object_del(st->arm.power, k);
					json_object_object_del(st->arm.resources, k);
					again = true;
					break;
				}
			}
		}
		json_object_object_del(st->arm.groups, key);
	} else if (streq(action, "delete")) {
		json_object_object_del(st->arm.power, key);
		json_object_object_del(st->arm.resources, key);
	} else {
		const char *state = streq(action, "start") || streq(action, "restart") ? "running"
				    : streq(action, "powerOff")			     ? "stopped"
										     : "deallocated";
		if (lookup(st->arm.resources, target))
			json_object_object_add(st->arm.power, key, json_object_new_string(state));
	}
	json_object_object_add(op, "status", json_object_new_string("Succeeded"));
}

void emu_arm_complete_pending(EmuState *st)
{
	json_object_object_foreach(st->arm.operations, k, op) {
		(void)k;
		const char *s = get_str(op, "status");
		if (s && streq(s, "InProgress"))
			apply_operation(st, op);
	}
}

/* One poll: counts down, and completes the operation when it reaches zero. */
static json_object *poll_operation(EmuState *st, const char *id)
{
	json_object *op = get(st->arm.operations, id);
	if (!op)
		return NULL;
	const char *s = get_str(op, "status");
	if (s && streq(s, "InProgress")) {
		int left = json_object_get_int(get(op, "polls_left"));
		if (left <= 1)
			apply_operation(st, op);
		json_object_object_add(op, "polls_left", json_object_new_int(MAX(left - 1, 0)));
	}
	return op;
}

static int serve_operation(EmuState *st, const char *id, bool result, EmuResponse *resp)
{
	json_object *op = poll_operation(st, id);
	char buf[32];
	int r;

	if (!op)
		return emu_arm_error(resp, 404, "OperationNotFound", "Operation '%s' was not found.",
				     id);
	const char *status = get_str(op, "status");
	bool running = streq(status, "InProgress");
	if (running) {
		snprintf(buf, sizeof(buf), "%u", st->scenario->arm_retry_after);
		if ((r = emu_response_header(resp, "Retry-After", buf)) < 0)
			return r;
	}
	if (result)
		return emu_response_set(resp, running ? 202 : 200, NULL, "", 0);
	json_object *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "name", json_object_new_string(id));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "startTime", json_object_new_string("2026-01-01T00:00:00Z"));
	return emu_response_json(resp, 200, o);
}

/* ---- resources -------------------------------------------------------- */

static json_object *instance_view(EmuState *st, json_object *vm)
{
	_cleanup_free_ char *key = lower_dup(get_str(vm, "id"));
	const char *power = get_str(st->arm.power, key);
	json_object *iv = json_object_new_object(), *statuses = json_object_new_array();
	json_object *p = json_object_new_object(), *s = json_object_new_object();
	const char *pending = NULL;

	/* A power operation still running shows its transitional state. */
	json_object_object_foreach(st->arm.operations, k, op) {
		(void)k;
		const char *t = get_str(op, "target"), *stt = get_str(op, "status");
		if (t && key && strcaseeq(t, get_str(vm, "id")) && streq(stt, "InProgress"))
			pending = get_str(op, "action");
	}
	json_object_object_add(iv, "computerName", json_object_new_string(get_str(vm, "name")));
	json_object_object_add(iv, "osName", json_object_new_string("lazuli"));
	json_object_object_add(iv, "osVersion", json_object_new_string("4.0"));
	json_object_object_add(p, "code", json_object_new_string("ProvisioningState/succeeded"));
	json_object_object_add(p, "level", json_object_new_string("Info"));
	json_object_object_add(p, "displayStatus", json_object_new_string("Provisioning succeeded"));
	json_object_array_add(statuses, p);
	static const struct {
		const char *state, *code, *display;
	} states[] = {
	    {"running", "PowerState/running", "VM running"},
	    {"stopped", "PowerState/stopped", "VM stopped"},
	    {"deallocated", "PowerState/deallocated", "VM deallocated"},
	    {"start", "PowerState/starting", "VM starting"},
	    {"restart", "PowerState/starting", "VM starting"},
	    {"powerOff", "PowerState/stopping", "VM stopping"},
	    {"deallocate", "PowerState/deallocating", "VM deallocating"},
	};
	const char *want = pending ? pending : power ? power : "running";
	for (size_t i = 0; i < ELEMENTSOF(states); i++)
		if (streq(states[i].state, want)) {
			json_object_object_add(s, "code", json_object_new_string(states[i].code));
			json_object_object_add(s, "level", json_object_new_string("Info"));
			json_object_object_add(s, "displayStatus",
					       json_object_new_string(states[i].display));
		}
	json_object_array_add(statuses, s);
	json_object_object_add(iv, "statuses", statuses);
	return iv;
}

static json_object *resource_view(EmuState *st, json_object *res, bool expand_iv)
{
	json_object *c = NULL;
	json_object_deep_copy(res, &c, NULL);
	if (c && expand_iv && is_vm_type(get_str(res, "type")))
		json_object_object_add(get(c, "properties"), "instanceView", instance_view(st, res));
	return c;
}

static bool api_version_ok(const char *v)
{
	/* YYYY-MM-DD with an optional -preview/-beta suffix. */
	if (!v || strlen(v) < 10)
		return false;
	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? v[i] != '-' : !isdigit((unsigned char)v[i]))
			return false;
	return v[10] == '\0' || v[10] == '-';
}

static const char *group_location(EmuState *st, const char *sub, const char *rg)
{
	char id[512];
	snprintf(id, sizeof(id), "/subscriptions/%s/resourceGroups/%s", sub, rg);
	return get_str(lookup(st->arm.groups, id), "location");
}

static int body_object(const EmuRequest *req, json_object **ret, EmuResponse *resp)
{
	char err[256];
	if (req->body_len == 0)
		return emu_arm_error(resp, 400, "InvalidRequestContent",
				     "The request content was invalid and could not be "
				     "deserialized: the body is empty.") ?: 1;
	if (emu_json_parse(req->body, req->body_len, ret, err, sizeof(err)) < 0)
		return emu_arm_error(resp, 400, "InvalidRequestContent",
				     "The request content was invalid and could not be "
				     "deserialized: %s.", err) ?: 1;
	if (!json_object_is_type(*ret, json_type_object)) {
		json_object_put(TAKE_PTR(*ret));
		return emu_arm_error(resp, 400, "InvalidRequestContent",
				     "The request content was invalid: expected an object.") ?: 1;
	}
	return 0;
}

static int merge_tags(json_object *target, json_object *tags, const char *op)
{
	json_object *cur = get(target, "tags");
	if (!cur || streq(op, "Replace")) {
		json_object *c = NULL;
		json_object_deep_copy(tags, &c, NULL);
		json_object_object_add(target, "tags", c ? c : json_object_new_object());
		return 0;
	}
	json_object_object_foreach(tags, k, v) {
		if (streq(op, "Delete")) {
			json_object *have = get(cur, k);
			/* Delete removes a key only when the values match (or none is given). */
			if (have && (!v || streq(json_object_get_string(v), "") ||
				     streq(json_object_get_string(v), json_object_get_string(have))))
				json_object_object_del(cur, k);
		} else
			json_object_object_add(cur, k, json_object_get(v));
	}
	return 0;
}

static int tags_response(json_object *scope_obj, const char *scope, EmuResponse *resp)
{
	char id[1024];
	json_object *o = json_object_new_object(), *p = json_object_new_object(), *t = NULL;
	if (!o || !p) {
		json_object_put(o);
		json_object_put(p);
		return -ENOMEM;
	}
	snprintf(id, sizeof(id), "%s/providers/Microsoft.Resources/tags/default", scope);
	json_object_deep_copy(get(scope_obj, "tags"), &t, NULL);
	json_object_object_add(p, "tags", t ? t : json_object_new_object());
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "name", json_object_new_string("default"));
	json_object_object_add(o, "type", json_object_new_string("Microsoft.Resources/tags"));
	json_object_object_add(o, "properties", p);
	return emu_response_json(resp, 200, o);
}

static int serve_tags(EmuState *st, const EmuRequest *req, const char *scope,
		      EmuResponse *resp)
{
	json_object *obj = lookup(st->arm.resources, scope);
	if (!obj)
		obj = lookup(st->arm.groups, scope);
	if (!obj)
		obj = lookup(st->arm.subscriptions, scope);
	if (!obj)
		return emu_arm_error(resp, 404, "ResourceNotFound",
				     "The scope '%s' was not found.", scope);
	if (streq(req->method, "GET"))
		return tags_response(obj, scope, resp);
	if (streq(req->method, "DELETE")) {
		json_object_object_add(obj, "tags", json_object_new_object());
		return emu_response_set(resp, 200, NULL, "", 0);
	}
	_cleanup_jobj_ json_object *body = NULL;
	int r = body_object(req, &body, resp);
	if (r != 0)
		return r < 0 ? r : 0;
	json_object *tags = get(get(body, "properties"), "tags");
	if (!tags || !json_object_is_type(tags, json_type_object))
		return emu_arm_error(resp, 400, "InvalidRequestContent",
				     "The request content must have 'properties.tags' as an "
				     "object.");
	if (streq(req->method, "PUT"))
		merge_tags(obj, tags, "Replace");
	else if (streq(req->method, "PATCH")) {
		const char *op = get_str(body, "operation");
		if (!op || (!streq(op, "Merge") && !streq(op, "Replace") && !streq(op, "Delete")))
			return emu_arm_error(resp, 400, "InvalidRequestContent",
					     "'operation' must be Merge, Replace or Delete.");
		merge_tags(obj, tags, op);
	} else
		return emu_arm_error(resp, 405, "MethodNotAllowed",
				     "The method '%s' is not allowed on tags.", req->method);
	return tags_response(obj, scope, resp);
}

static int serve_provider(EmuState *st, const char *sub, const char *ns, EmuResponse *resp)
{
	static const struct {
		const char *ns, *type;
	} known[] = {
	    {"Microsoft.Compute", "virtualMachines"},
	    {"Microsoft.Compute", "disks"},
	    {"Microsoft.Network", "networkInterfaces"},
	    {"Microsoft.Network", "virtualNetworks"},
	    {"Microsoft.Network", "publicIPAddresses"},
	    {"Microsoft.Storage", "storageAccounts"},
	    {"Microsoft.Resources", "resourceGroups"},
	    {"Microsoft.KeyVault", "vaults"},
	};
	json_object *o = json_object_new_object(), *types = json_object_new_array();
	char id[512];
	const char *canonical = NULL;

	if (!o || !types) {
		json_object_put(o);
		json_object_put(types);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ELEMENTSOF(known); i++)
		if (strcaseeq(known[i].ns, ns)) {
			json_object *t = json_object_new_object();
			canonical = known[i].ns;
			json_object_object_add(t, "resourceType",
					       json_object_new_string(known[i].type));
			json_object_object_add(t, "apiVersions",
					       json_tokener_parse(ARM_PROVIDER_API_VERSIONS));
			json_object_array_add(types, t);
		}
	if (!canonical) {
		json_object_put(o);
		json_object_put(types);
		return emu_arm_error(resp, 404, "InvalidResourceNamespace",
				     "The resource namespace '%s' is invalid.", ns);
	}
	snprintf(id, sizeof(id), "/subscriptions/%s/providers/%s", sub, canonical);
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "namespace", json_object_new_string(canonical));
	json_object_object_add(o, "registrationState", json_object_new_string("Registered"));
	json_object_object_add(o, "resourceTypes", types);
	(void)st;
	return emu_response_json(resp, 200, o);
}

static bool in_group(json_object *o, const char *prefix)
{
	(void)o;
	(void)prefix;
	return true;
}

static bool is_vm(json_object *o, const char *prefix)
{
	(void)prefix;
	return is_vm_type(get_str(o, "type"));
}

static int serve_group(EmuState *st, const EmuRequest *req, const char *sub, const char *rg,
		       EmuResponse *resp)
{
	char id[512];
	snprintf(id, sizeof(id), "/subscriptions/%s/resourceGroups/%s", sub, rg);
	json_object *g = lookup(st->arm.groups, id);
	int r;

	if (streq(req->method, "HEAD"))
		return emu_response_set(resp, g ? 204 : 404, NULL, "", 0);
	if (streq(req->method, "GET")) {
		if (!g)
			return emu_arm_error(resp, 404, "ResourceGroupNotFound",
					     "Resource group '%s' could not be found.", rg);
		return emu_response_json(resp, 200, json_object_get(g));
	}
	if (streq(req->method, "DELETE")) {
		if (!g)
			return emu_arm_error(resp, 404, "ResourceGroupNotFound",
					     "Resource group '%s' could not be found.", rg);
		json_object_object_add(get(g, "properties"), "provisioningState",
				       json_object_new_string("Deleting"));
		return start_operation(st, sub, get_str(g, "location"), "delete-group",
				       get_str(g, "id"), resp);
	}
	_cleanup_jobj_ json_object *body = NULL;
	if (streq(req->method, "PUT") || streq(req->method, "PATCH")) {
		r = body_object(req, &body, resp);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	if (streq(req->method, "PUT")) {
		const char *loc = get_str(body, "location");
		if (isempty(loc))
			return emu_arm_error(resp, 400, "LocationRequired",
					     "The location property is required for this "
					     "definition.");
		if (g && !strcaseeq(get_str(g, "location"), loc))
			return emu_arm_error(resp, 409, "InvalidResourceGroupLocation",
					     "Invalid resource group location '%s'. The Resource "
					     "group already exists in location '%s'.",
					     loc, get_str(g, "location"));
		json_object *tags = NULL;
		if (get(body, "tags"))
			json_object_deep_copy(get(body, "tags"), &tags, NULL);
		bool created = !g;
		json_object *n = new_group(sub, g ? get_str(g, "name") : rg, loc, tags);
		if (!n || (r = add_keyed(st->arm.groups, n)) < 0)
			return -ENOMEM;
		return emu_response_json(resp, created ? 201 : 200, json_object_get(n));
	}
	if (streq(req->method, "PATCH")) {
		if (!g)
			return emu_arm_error(resp, 404, "ResourceGroupNotFound",
					     "Resource group '%s' could not be found.", rg);
		if (get(body, "tags"))
			merge_tags(g, get(body, "tags"), "Replace");
		return emu_response_json(resp, 200, json_object_get(g));
	}
	return emu_arm_error(resp, 405, "MethodNotAllowed",
			     "The requested method '%s' is not allowed.", req->method);
}

static int serve_resource(EmuState *st, const EmuRequest *req, char **seg, size_t n,
			  EmuResponse *resp)
{
	/* subscriptions/S/resourceGroups/RG/providers/NS/TYPE/NAME[/ACTION] */
	const char *sub = seg[1], *rg = seg[3], *ns = seg[5], *type = seg[6], *name = seg[7];
	char id[1024], full_type[512];
	int r;

	snprintf(full_type, sizeof(full_type), "%s/%s", ns, type);
	snprintf(id, sizeof(id), "/subscriptions/%s/resourceGroups/%s/providers/%s/%s", sub, rg,
		 full_type, name);
	json_object *res = lookup(st->arm.resources, id);
	const char *glocation = group_location(st, sub, rg);

	if (!glocation)
		return emu_arm_error(resp, 404, "ResourceGroupNotFound",
				     "Resource group '%s' could not be found.", rg);
	if (n == 9) {
		const char *action = seg[8];
		if (!res || !is_vm_type(full_type))
			return emu_arm_error(resp, 404, "ResourceNotFound",
					     "The Resource '%s/%s' under resource group '%s' was "
					     "not found.",
					     full_type, name, rg);
		if (streq(req->method, "GET") && strcaseeq(action, "instanceView"))
			return emu_response_json(resp, 200, instance_view(st, res));
		static const char *const actions[] = {"start", "powerOff", "deallocate",
						       "restart"};
		for (size_t i = 0; i < ELEMENTSOF(actions); i++)
			if (strcaseeq(action, actions[i])) {
				if (!streq(req->method, "POST"))
					break;
				_cleanup_free_ char *k = lower_dup(get_str(res, "id"));
				const char *power = get_str(st->arm.power, k);
				if (streq(actions[i], "restart") && power &&
				    !streq(power, "running"))
					return emu_arm_error(
					    resp, 409, "OperationNotAllowed",
					    "Operation 'restart' is not allowed on VM '%s' since "
					    "the VM is %s.",
					    name, power);
				return start_operation(st, sub, get_str(res, "location"),
						       actions[i], get_str(res, "id"), resp);
			}
		return emu_arm_error(resp, 404, "InvalidResourceType",
				     "The resource type '%s' could not be found in the "
				     "namespace '%s'.",
				     action, ns);
	}

	if (streq(req->method, "GET")) {
		if (!res)
			return emu_arm_error(resp, 404, "ResourceNotFound",
					     "The Resource '%s/%s' under resource group '%s' was "
					     "not found. For more details please go to "
					     "https://aka.ms/ARMResourceNotFoundFix",
					     full_type, name, rg);
		const char *expand = param(req, "$expand");
		return emu_response_json(
		    resp, 200, resource_view(st, res, expand && strcaseeq(expand, "instanceView")));
	}
	if (streq(req->method, "DELETE")) {
		if (!res)
			return emu_response_set(resp, 204, NULL, "", 0);
		return start_operation(st, sub, get_str(res, "location"), "delete",
				       get_str(res, "id"), resp);
	}
	_cleanup_jobj_ json_object *body = NULL;
	if (!streq(req->method, "PUT") && !streq(req->method, "PATCH"))
		return emu_arm_error(resp, 405, "MethodNotAllowed",
				     "The requested method '%s' is not allowed.", req->method);
	r = body_object(req, &body, resp);
	if (r != 0)
		return r < 0 ? r : 0;
	if (streq(req->method, "PATCH")) {
		if (!res)
			return emu_arm_error(resp, 404, "ResourceNotFound",
					     "The Resource '%s/%s' under resource group '%s' was "
					     "not found.",
					     full_type, name, rg);
		if (get(body, "tags"))
			merge_tags(res, get(body, "tags"), "Replace");
		json_object *props = get(body, "properties");
		if (props && json_object_is_type(props, json_type_object)) {
			json_object_object_foreach(props, k, v)
				json_object_object_add(get(res, "properties"), k,
						       json_object_get(v));
		}
		return emu_response_json(resp, 200, resource_view(st, res, false));
	}
	const char *loc = get_str(body, "location");
	if (isempty(loc))
		return emu_arm_error(resp, 400, "LocationRequired",
				     "The location property is required for this definition.");
	json_object *tags = NULL, *props = NULL;
	if (get(body, "tags"))
		json_object_deep_copy(get(body, "tags"), &tags, NULL);
	if (get(body, "properties"))
		json_object_deep_copy(get(body, "properties"), &props, NULL);
	if (is_vm_type(full_type) && !props) {
		char vid[37];
		uuid4_string(vid);
		props = vm_properties(name, "Standard_B1s", vid, "azureuser");
	}
	bool created = !res;
	json_object *o = new_resource(sub, rg, full_type, name, loc, tags, props);
	if (!o)
		return -ENOMEM;
	/* The resource-level members a PUT may set beside properties, kept as sent. */
	static const char *const top[] = {"identity",  "plan",	    "zones", "extendedLocation",
					  "placement", "managedBy", "etag",  "resources",
					  "sku",       "kind"};
	for (size_t i = 0; i < ELEMENTSOF(top); i++) {
		json_object *v = NULL, *copy = NULL;
		if (json_object_object_get_ex(body, top[i], &v) &&
		    json_object_deep_copy(v, &copy, NULL) == 0)
			json_object_object_add(o, top[i], copy);
	}
	if ((r = add_keyed(st->arm.resources, o)) < 0)
		return -ENOMEM;
	if (created && is_vm_type(full_type)) {
		_cleanup_free_ char *k = lower_dup(get_str(o, "id"));
		json_object_object_add(st->arm.power, k, json_object_new_string("running"));
	}
	return emu_response_json(resp, created ? 201 : 200, resource_view(st, o, false));
}

/* ---- dispatch --------------------------------------------------------- */

static size_t split_path(char *path, char **seg, size_t max)
{
	size_t n = 0;
	char *save = NULL;
	for (char *p = strtok_r(path, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (n == max)
			return max + 1;
		seg[n++] = p;
	}
	return n;
}

static int add_arm_headers(const EmuRequest *req, EmuResponse *resp)
{
	char id[37];
	int r;
	uuid4_string(id);
	if ((r = emu_response_header(resp, "x-ms-request-id", id)) < 0)
		return r;
	const char *corr = header(req, "x-ms-correlation-request-id");
	if (!corr) {
		uuid4_string(id);
		corr = id;
	}
	if ((r = emu_response_header(resp, "x-ms-correlation-request-id", corr)) < 0)
		return r;
	const char *client = header(req, "x-ms-client-request-id");
	if (client && (r = emu_response_header(resp, "x-ms-client-request-id", client)) < 0)
		return r;
	return emu_response_header(resp, "x-ms-routing-request-id", "WESTEUROPE:20260101T000000Z:lazuli-emu");
}

static int not_found(const EmuRequest *req, EmuResponse *resp)
{
	return emu_arm_error(resp, 404, "InvalidRequestUri",
			     "The request URI '%s' is not valid for Azure Resource Manager.",
			     req->path);
}

static int not_allowed(const EmuRequest *req, EmuResponse *resp)
{
	return emu_arm_error(resp, 405, "MethodNotAllowed",
			     "The requested method '%s' is not allowed on '%s'.", req->method,
			     req->path);
}

static void add_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
}

/*
 * GET /metadata/endpoints: the cloud's endpoints, without a token, as the
 * Azure CLI and SDKs read them to register a cloud (`az cloud register
 * --endpoint-resource-manager`). Login and ARM point at this emulator; the
 * suffixes are the public cloud's. api-version 2019-05-01 and older answer a
 * list of clouds, newer ones the cloud itself.
 */
static int serve_cloud_metadata(EmuState *st, const EmuRequest *req, EmuResponse *resp)
{
	static const char *const suffixes[][2] = {
	    {"acrLoginServer", "azurecr.io"},
	    {"attestationEndpoint", "attest.azure.net"},
	    {"azureDataLakeAnalyticsCatalogAndJob", "azuredatalakeanalytics.net"},
	    {"azureDataLakeStoreFileSystem", "azuredatalakestore.net"},
	    {"keyVaultDns", "vault.azure.net"},
	    {"mhsmDns", "managedhsm.azure.net"},
	    {"sqlServerHostname", "database.windows.net"},
	    {"storage", "core.windows.net"},
	    {"synapseAnalytics", "dev.azuresynapse.net"},
	};
	const char *api = param(req, "api-version");
	_cleanup_free_ char *rm = NULL;

	if (!streq(req->method, "GET") && !streq(req->method, "HEAD"))
		return not_allowed(req, resp);
	if (!api)
		return emu_arm_error(resp, 400, "MissingApiVersionParameter",
				     "The api-version query parameter (?api-version=) is required "
				     "for all requests.");
	if (asprintf(&rm, "%s/", st->arm.base_url) < 0)
		return -ENOMEM;
	json_object *o = json_object_new_object(), *auth = json_object_new_object(),
		    *aud = json_object_new_array(), *suf = json_object_new_object();
	if (!o || !auth || !aud || !suf) {
		json_object_put(o);
		json_object_put(auth);
		json_object_put(aud);
		json_object_put(suf);
		return -ENOMEM;
	}
	add_str(o, "name", "AzureCloud");
	add_str(o, "resourceManager", rm);
	add_str(o, "portal", "https://portal.azure.com");
	add_str(o, "graphAudience", "https://graph.windows.net/");
	add_str(o, "microsoftGraphResourceId", "https://graph.microsoft.com/");
	add_str(o, "sqlManagement", "https://management.core.windows.net:8443/");
	add_str(o, "batch", "https://batch.core.windows.net/");
	add_str(o, "activeDirectoryDataLake", "https://datalake.azure.net/");
	add_str(auth, "loginEndpoint", st->arm.base_url);
	json_object_array_add(aud, json_object_new_string("https://management.core.windows.net/"));
	json_object_array_add(aud, json_object_new_string("https://management.azure.com/"));
	json_object_object_add(auth, "audiences", aud);
	add_str(auth, "tenant", "common");
	add_str(auth, "identityProvider", "AAD");
	json_object_object_add(o, "authentication", auth);
	for (size_t i = 0; i < ELEMENTSOF(suffixes); i++)
		add_str(suf, suffixes[i][0], suffixes[i][1]);
	json_object_object_add(o, "suffixes", suf);
	if (api_version_ok(api) && strncmp(api, "2022", 4) < 0) {
		json_object *list = json_object_new_array();
		if (!list) {
			json_object_put(o);
			return -ENOMEM;
		}
		json_object_array_add(list, o);
		o = list;
	}
	return emu_response_json(resp, 200, o);
}

static int route(EmuState *st, const EmuRequest *req, usec_t now_real, EmuResponse *resp)
{
	_cleanup_free_ char *path = strdup(req->path);
	char *seg[ARM_MAX_SEGMENTS];
	size_t n;
	int r;

	if (!path)
		return -ENOMEM;
	n = split_path(path, seg, ARM_MAX_SEGMENTS);

	/* The identity platform: discovery, /{tenant}/oauth2/v2.0/token and /{tenant}/oauth2/token. */
	if (n == 4 && streq(seg[1], "v2.0") && streq(seg[2], ".well-known") &&
	    streq(seg[3], "openid-configuration"))
		return serve_openid_configuration(st, req, seg[0], true, resp);
	if (n == 3 && streq(seg[1], ".well-known") && streq(seg[2], "openid-configuration"))
		return serve_openid_configuration(st, req, seg[0], false, resp);
	if (n == 4 && streq(seg[1], "oauth2") && streq(seg[2], "v2.0") && streq(seg[3], "token"))
		return serve_login(st, req, seg[0], true, now_real, resp);
	if (n == 3 && streq(seg[1], "oauth2") && streq(seg[2], "token"))
		return serve_login(st, req, seg[0], false, now_real, resp);

	if (n == 2 && streq(seg[0], "metadata") && streq(seg[1], "endpoints"))
		return serve_cloud_metadata(st, req, resp);

	r = check_auth(st, req, now_real, resp);
	if (r != 0)
		return r < 0 ? r : 0;
	const char *api = param(req, "api-version");
	if (!api)
		return emu_arm_error(resp, 400, "MissingApiVersionParameter",
				     "The api-version query parameter (?api-version=) is required "
				     "for all requests.");
	if (!api_version_ok(api))
		return emu_arm_error(resp, 400, "InvalidApiVersionParameter",
				     "The api-version '%s' is invalid. The supported versions are "
				     "'2024-11-01,2024-07-01,2024-03-01,2023-09-01'.",
				     api);
	if (n == 0 || n > ARM_MAX_SEGMENTS || !strcaseeq(seg[0], "subscriptions"))
		return not_found(req, resp);

	if (n == 1) {
		if (!streq(req->method, "GET"))
			return not_allowed(req, resp);
		return serve_list(st, req, st->arm.subscriptions, NULL, NULL, false, resp);
	}
	char sub_id[256];
	snprintf(sub_id, sizeof(sub_id), "/subscriptions/%s", seg[1]);
	if (!lookup(st->arm.subscriptions, sub_id))
		return emu_arm_error(resp, 404, "SubscriptionNotFound",
				     "The subscription '%s' could not be found.", seg[1]);
	_cleanup_free_ char *sub_key = lower_dup(sub_id);
	if (!sub_key)
		return -ENOMEM;

	/* Tags at any scope: {scope}/providers/Microsoft.Resources/tags/default */
	if (n >= 6 && strcaseeq(seg[n - 4], "providers") &&
	    strcaseeq(seg[n - 3], "Microsoft.Resources") && strcaseeq(seg[n - 2], "tags") &&
	    strcaseeq(seg[n - 1], "default")) {
		const char *end = strcasestr(req->path, "/providers/Microsoft.Resources/tags/default");
		_cleanup_free_ char *scope = strndup(req->path, (size_t)(end - req->path));
		if (!scope)
			return -ENOMEM;
		return serve_tags(st, req, scope, resp);
	}

	if (n == 2) {
		if (!streq(req->method, "GET"))
			return not_allowed(req, resp);
		return emu_response_json(resp, 200,
					 json_object_get(lookup(st->arm.subscriptions, sub_id)));
	}
	/* Operations: /subscriptions/S/providers/Lazuli.Emulator/locations/L/operations[Results]/ID */
	if (n == 8 && strcaseeq(seg[2], "providers") && strcaseeq(seg[3], "Lazuli.Emulator") &&
	    strcaseeq(seg[4], "locations")) {
		if (streq(seg[6], "operations"))
			return serve_operation(st, seg[7], false, resp);
		if (streq(seg[6], "operationResults"))
			return serve_operation(st, seg[7], true, resp);
		return not_found(req, resp);
	}
	if (n == 4 && strcaseeq(seg[2], "providers")) {
		if (!streq(req->method, "GET"))
			return not_allowed(req, resp);
		return serve_provider(st, seg[1], seg[3], resp);
	}
	if (n == 5 && strcaseeq(seg[2], "providers") &&
	    strcaseeq(seg[3], "Microsoft.Compute") && strcaseeq(seg[4], "virtualMachines")) {
		_cleanup_free_ char *prefix = strjoin(sub_key, "/");
		return serve_list(st, req, st->arm.resources, prefix, is_vm, false, resp);
	}
	if (n == 3 && strcaseeq(seg[2], "resources")) {
		_cleanup_free_ char *prefix = strjoin(sub_key, "/");
		return serve_list(st, req, st->arm.resources, prefix, in_group, true, resp);
	}
	if (!strcaseeq(seg[2], "resourceGroups"))
		return not_found(req, resp);
	if (n == 3) {
		if (!streq(req->method, "GET"))
			return not_allowed(req, resp);
		_cleanup_free_ char *prefix = strjoin(sub_key, "/");
		return serve_list(st, req, st->arm.groups, prefix, NULL, false, resp);
	}
	if (n == 4)
		return serve_group(st, req, seg[1], seg[3], resp);
	if (!group_location(st, seg[1], seg[3]))
		return emu_arm_error(resp, 404, "ResourceGroupNotFound",
				     "Resource group '%s' could not be found.", seg[3]);
	char rg_id[512];
	snprintf(rg_id, sizeof(rg_id), "/subscriptions/%s/resourcegroups/%s/", seg[1], seg[3]);
	_cleanup_free_ char *rg_key = lower_dup(rg_id);
	if (!rg_key)
		return -ENOMEM;
	if (n == 5 && strcaseeq(seg[4], "resources"))
		return serve_list(st, req, st->arm.resources, rg_key, in_group, true, resp);
	if (n == 7 && strcaseeq(seg[4], "providers") && strcaseeq(seg[5], "Microsoft.Compute") &&
	    strcaseeq(seg[6], "virtualMachines"))
		return serve_list(st, req, st->arm.resources, rg_key, is_vm, false, resp);
	if ((n == 8 || n == 9) && strcaseeq(seg[4], "providers"))
		return serve_resource(st, req, seg, n, resp);
	return not_found(req, resp);
}

int emu_arm_default(EmuState *st, const EmuRequest *req, usec_t now_real, EmuResponse *resp)
{
	int r = route(st, req, now_real, resp);
	if (r < 0)
		return r;
	return add_arm_headers(req, resp);
}
