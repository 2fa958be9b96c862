/* SPDX-License-Identifier: MIT */
#include "provision.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "config.h"
#include "ephemeral.h"
#include "fileio.h"
#include "http.h"
#include "imds.h"
#include "json-util.h"
#include "kvp.h"
#include "log.h"
#include "macros.h"
#include "report.h"
#include "steps.h"
#include "strutil.h"

#define AGENT_NAME "lazuli-init/" LAZULI_VERSION
#define MAX_STEPS 16
#define MAX_KEYS 64
#define ERRLEN 512

/* ---- configuration ------------------------------------------------------ */

static const char *const known_keys[] = {
    "Imds.Url",
    "Imds.RequestTimeout",
    "Imds.Budget",
    "Wireserver.Url",
    "Wireserver.RequestTimeout",
    "Wireserver.Budget",
    "Provisioning.StateDirectory",
    "Provisioning.KvpPool",
    "Provisioning.SysRoot",
    "Provisioning.Ovf",
    "Provisioning.OvfPath",
    "Provisioning.MediaWait",
    "Provisioning.Groups",
    "Provisioning.SudoersFile",
    "Provisioning.LogFile",
    "Network.EphemeralDhcp",
    "Network.Interface",
    "Network.DhcpTimeout",
    "Hostname.Set",
    "Hostname.Publish",
    "Hostname.Networkctl",
    "Ssh.Sshd",
    "Ssh.DropInDirectory",
    "Ssh.PidFile",
    "Ssh.Unit",
    "Ssh.Systemctl",
    "Ssh.ConfigurePasswordAuthentication",
    NULL,
};

static int set_str(char **dst, const Conf *conf, const char *section, const char *key,
		   const char *def)
{
	const char *v = conf_get(conf, section, key);
	char *n = strdup(v ? v : def);
	if (!n)
		return -ENOMEM;
	free(*dst);
	*dst = n;
	return 0;
}

void init_config_done(InitConfig *c)
{
	free(c->imds_url);
	free(c->wireserver_url);
	free(c->state_dir);
	free(c->kvp_pool);
	free(c->sysroot);
	free(c->ovf_path);
	strv_free(c->groups);
	free(c->sudoers_file);
	free(c->log_file);
	free(c->interface);
	free(c->networkctl);
	free(c->sshd);
	free(c->sshd_dropin_dir);
	free(c->sshd_pidfile);
	free(c->sshd_unit);
	free(c->systemctl);
	*c = (InitConfig){0};
}

int init_config_load(InitConfig *c, const char *path, char *err, size_t errlen)
{
	Conf conf = {0};
	int r;

	*c = (InitConfig){
	    .imds_timeout = 5 * USEC_PER_SEC,
	    .imds_budget = 300 * USEC_PER_SEC,
	    .report_timeout = 30 * USEC_PER_SEC,
	    .report_budget = 1200 * USEC_PER_SEC,
	    .ovf_enabled = true,
	    .set_hostname = true,
	    .publish_hostname = true,
	    .configure_password_auth = true,
	    .ephemeral_dhcp = true,
	    .dhcp_timeout = 60 * USEC_PER_SEC,
	};

	r = conf_load(&conf, path, err, errlen);
	if (r < 0)
		goto out;
	r = conf_check_known(&conf, known_keys, err, errlen);
	if (r < 0)
		goto out;

	if ((r = set_str(&c->imds_url, &conf, "Imds", "Url", IMDS_DEFAULT_URL)) < 0 ||
	    (r = set_str(&c->wireserver_url, &conf, "Wireserver", "Url", "http://168.63.129.16")) <
		0 ||
	    (r = set_str(&c->state_dir, &conf, "Provisioning", "StateDirectory",
			 "/var/lib/lazuli-init")) < 0 ||
	    (r = set_str(&c->kvp_pool, &conf, "Provisioning", "KvpPool", KVP_DEFAULT_POOL)) < 0 ||
	    (r = set_str(&c->sysroot, &conf, "Provisioning", "SysRoot", "/")) < 0 ||
	    (r = set_str(&c->sudoers_file, &conf, "Provisioning", "SudoersFile",
			 "/etc/sudoers.d/90-lazuli-init")) < 0 ||
	    (r = set_str(&c->log_file, &conf, "Provisioning", "LogFile",
			 "/var/log/lazuli-init.log")) < 0 ||
	    (r = set_str(&c->networkctl, &conf, "Hostname", "Networkctl", "networkctl")) < 0 ||
	    (r = set_str(&c->sshd, &conf, "Ssh", "Sshd", "/usr/sbin/sshd")) < 0 ||
	    (r = set_str(&c->sshd_dropin_dir, &conf, "Ssh", "DropInDirectory",
			 "/etc/ssh/sshd_config.d")) < 0 ||
	    (r = set_str(&c->sshd_pidfile, &conf, "Ssh", "PidFile", "/run/sshd.pid")) < 0 ||
	    (r = set_str(&c->sshd_unit, &conf, "Ssh", "Unit", "ssh.service")) < 0 ||
	    (r = set_str(&c->systemctl, &conf, "Ssh", "Systemctl", "/usr/bin/systemctl")) < 0)
		goto out;

	const char *v = conf_get(&conf, "Provisioning", "OvfPath");
	if (v && *v) {
		c->ovf_path = strdup(v);
		if (!c->ovf_path) {
			r = -ENOMEM;
			goto out;
		}
	}
	v = conf_get(&conf, "Network", "Interface");
	if (v && *v) {
		c->interface = strdup(v);
		if (!c->interface) {
			r = -ENOMEM;
			goto out;
		}
	}
	v = conf_get(&conf, "Provisioning", "Groups");
	r = strv_split(v ? v : "", ", ", &c->groups);
	if (r < 0)
		goto out;

	if ((r = conf_get_usec(&conf, "Imds", "RequestTimeout", &c->imds_timeout, err, errlen)) <
		0 ||
	    (r = conf_get_usec(&conf, "Imds", "Budget", &c->imds_budget, err, errlen)) < 0 ||
	    (r = conf_get_usec(&conf, "Wireserver", "RequestTimeout", &c->report_timeout, err,
			       errlen)) < 0 ||
	    (r = conf_get_usec(&conf, "Wireserver", "Budget", &c->report_budget, err, errlen)) <
		0 ||
	    (r = conf_get_bool(&conf, "Provisioning", "Ovf", &c->ovf_enabled, err, errlen)) < 0 ||
	    (r = conf_get_usec(&conf, "Provisioning", "MediaWait", &c->media_wait, err, errlen)) <
		0 ||
	    (r = conf_get_bool(&conf, "Network", "EphemeralDhcp", &c->ephemeral_dhcp, err,
			       errlen)) < 0 ||
	    (r = conf_get_usec(&conf, "Network", "DhcpTimeout", &c->dhcp_timeout, err, errlen)) <
		0 ||
	    (r = conf_get_bool(&conf, "Hostname", "Set", &c->set_hostname, err, errlen)) < 0 ||
	    (r = conf_get_bool(&conf, "Hostname", "Publish", &c->publish_hostname, err, errlen)) <
		0 ||
	    (r = conf_get_bool(&conf, "Ssh", "ConfigurePasswordAuthentication",
			       &c->configure_password_auth, err, errlen)) < 0)
		goto out;
	r = 0;
out:
	conf_done(&conf);
	if (r < 0)
		init_config_done(c);
	return r;
}

/* ---- telemetry ---------------------------------------------------------- */

typedef struct Stamp {
	const char *name;
	usec_t boottime;
} Stamp;

typedef struct Run {
	const InitConfig *cfg;
	char vm_id[37];
	Stamp stamps[MAX_STEPS];
	size_t n_stamps;
	ReportContext report;
	char err[ERRLEN];
	const char *failed_step;
	HostnamePublish publish; /* networkctl reconfigure, running beside the next steps */
	bool network_tried;	 /* network_up() ran */
} Run;

static void stamp(Run *run, const char *name)
{
	usec_t t = now_usec(CLOCK_BOOTTIME);
	usec_t prev = run->n_stamps > 0 ? run->stamps[run->n_stamps - 1].boottime : t;

	if (run->n_stamps < MAX_STEPS)
		run->stamps[run->n_stamps++] = (Stamp){name, t};
	log_info("step %s at %llu.%06llus since boot (+%.1f ms)", name,
		 (unsigned long long)(t / USEC_PER_SEC), (unsigned long long)(t % USEC_PER_SEC),
		 (double)(t - prev) / 1000.0);
}

/*
 * Early in boot nothing routes to IMDS yet: take an ephemeral lease rather
 * than wait for the network manager's. Once per run, before the first
 * request; if it fails, the route wait that follows decides.
 */
static void network_up(Run *run)
{
	const InitConfig *cfg = run->cfg;
	char ifname[IF_NAMESIZE], err[ERRLEN] = "", a[16], b[16];
	EphemeralLease e;

	if (!cfg->ephemeral_dhcp || run->network_tried)
		return;
	run->network_tried = true;
	if (http_wait_for_route(cfg->imds_url, 0, NULL) != -ENETUNREACH)
		return;
	usec_t start = now_usec(CLOCK_MONOTONIC);
	int r = ephemeral_pick_link("/sys/class/net", cfg->interface, cfg->dhcp_timeout, ifname,
				    err, sizeof(err));
	if (r >= 0) {
		usec_t spent = now_usec(CLOCK_MONOTONIC) - start;
		r = ephemeral_dhcp(ifname,
				   cfg->dhcp_timeout > spent ? cfg->dhcp_timeout - spent : 0, &e,
				   err, sizeof(err));
	}
	if (r < 0)
		log_warning("No ephemeral DHCP lease: %s; waiting for the network manager's", err);
	else
		log_info("Ephemeral DHCP lease on %s: %s/%u from %s for %u s, %zu %s route(s), "
			 "after %u message(s) in %llu ms",
			 e.ifname, dhcp_addr_str(e.lease.address, a), e.lease.prefixlen,
			 dhcp_addr_str(e.lease.server_id, b), e.lease.lease_seconds,
			 e.lease.classless ? e.lease.n_routes
					   : (size_t)(e.lease.router.s_addr != 0),
			 e.lease.classless ? "classless" : "default", e.attempts,
			 (unsigned long long)((now_usec(CLOCK_MONOTONIC) - start) / USEC_PER_MSEC));
	stamp(run, "dhcp");
}

static bool kvp_enabled(const Run *run)
{
	return !isempty(run->cfg->kvp_pool);
}

/* One KVP record per step, so the host sees where first boot spent its time. */
static void telemetry_to_kvp(Run *run)
{
	if (!kvp_enabled(run) || run->n_stamps == 0)
		return;
	usec_t t0 = run->stamps[0].boottime;
	for (size_t i = 0; i < run->n_stamps; i++) {
		char key[KVP_SAFE_KEY_MAX + 1], value[128];
		snprintf(key, sizeof(key), "lazuli-init|%s|telemetry|%s", run->vm_id,
			 run->stamps[i].name);
		snprintf(value, sizeof(value), "boottime_us=%llu|since_start_us=%llu",
			 (unsigned long long)run->stamps[i].boottime,
			 (unsigned long long)(run->stamps[i].boottime - t0));
		int r = kvp_append(run->cfg->kvp_pool, key, value);
		if (r < 0) {
			log_warning_errno(r, "Failed to write telemetry to KVP pool %s: %m",
					  run->cfg->kvp_pool);
			return;
		}
	}
}

static int write_status(Run *run, const char *state, const char *reason)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *steps = json_object_new_array();
	char ts[40], path[4096];

	if (!o || !steps) {
		json_object_put(steps);
		return -ENOMEM;
	}
	json_object_object_add(o, "vm_id", json_object_new_string(run->vm_id));
	json_object_object_add(o, "state", json_object_new_string(state));
	if (reason)
		json_object_object_add(o, "reason", json_object_new_string(reason));
	json_object_object_add(
	    o, "updated",
	    json_object_new_string(format_rfc3339(ts, sizeof(ts), now_usec(CLOCK_REALTIME))));
	json_object_object_add(o, "agent", json_object_new_string(AGENT_NAME));
	for (size_t i = 0; i < run->n_stamps; i++) {
		json_object *s = json_object_new_object();
		json_object_object_add(s, "name", json_object_new_string(run->stamps[i].name));
		json_object_object_add(s, "boottime_us",
				       json_object_new_int64((int64_t)run->stamps[i].boottime));
		json_object_array_add(steps, s);
	}
	json_object_object_add(o, "steps", steps);

	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE);
	snprintf(path, sizeof(path), "%s/status.json", run->cfg->state_dir);
	int r = write_file_atomic(path, text, strlen(text), 0644);
	if (r < 0)
		log_warning_errno(r, "Failed to write %s: %m", path);
	return r;
}

/* ---- markers ------------------------------------------------------------ */

static void marker_path(const Run *run, const char *suffix, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.%s", run->cfg->state_dir, run->vm_id, suffix);
}

static int write_marker(Run *run, const char *suffix, const char *content)
{
	char path[4096];
	marker_path(run, suffix, path, sizeof(path));
	int r = write_file_atomic(path, content, strlen(content), 0600);
	if (r < 0)
		return log_error_errno(r, "Failed to write marker %s: %m", path);
	return 0;
}

/* ---- metadata ----------------------------------------------------------- */

typedef struct Metadata {
	char *username;
	char *hostname;
	int disable_password_auth; /* -1 unset */
	char **keys;		   /* raw keyData, unsanitized */
	char *pps_type;
	unsigned char *user_data; /* secret */
	size_t user_data_len;
	bool from_imds;
} Metadata;

static void metadata_done(Metadata *m)
{
	free(m->username);
	free(m->hostname);
	strv_free(m->keys);
	free(m->pps_type);
	if (m->user_data) {
		explicit_bzero(m->user_data, m->user_data_len);
		free(m->user_data);
	}
	*m = (Metadata){0};
}

static int dup_json_string(json_object *root, const char *path, char **ret, char *err,
			   size_t errlen)
{
	json_object *o = json_get_path(root, path);
	if (!o)
		return 0;
	if (!json_object_is_type(o, json_type_string)) {
		snprintf(err, errlen, "IMDS %s: expected a string, got %s", path,
			 json_type_to_name(json_object_get_type(o)));
		return -EBADMSG;
	}
	char *s = strdup(json_object_get_string(o));
	if (!s)
		return -ENOMEM;
	free(*ret);
	*ret = s;
	return 1;
}

/* Take what provisioning needs from the IMDS instance document, checking types. */
static int metadata_from_imds(json_object *doc, Metadata *m, char *err, size_t errlen)
{
	int r;

	if (!json_object_is_type(doc, json_type_object) || !json_get_path(doc, "compute")) {
		snprintf(err, errlen, "IMDS instance document has no compute object");
		return -EBADMSG;
	}
	if ((r = dup_json_string(doc, "compute.osProfile.adminUsername", &m->username, err,
				 errlen)) < 0 ||
	    (r = dup_json_string(doc, "compute.osProfile.computerName", &m->hostname, err,
				 errlen)) < 0 ||
	    (r = dup_json_string(doc, "extended.compute.ppsType", &m->pps_type, err, errlen)) < 0)
		return r;

	r = json_get_bool_lenient(doc, "compute.osProfile.disablePasswordAuthentication");
	if (r == -EINVAL) {
		snprintf(err, errlen,
			 "IMDS compute.osProfile.disablePasswordAuthentication: expected true or "
			 "false");
		return -EBADMSG;
	}
	m->disable_password_auth = r >= 0 ? r : -1;

	json_object *keys = json_get_path(doc, "compute.publicKeys");
	if (keys) {
		if (!json_object_is_type(keys, json_type_array)) {
			snprintf(err, errlen, "IMDS compute.publicKeys: expected an array, got %s",
				 json_type_to_name(json_object_get_type(keys)));
			return -EBADMSG;
		}
		size_t n = json_object_array_length(keys);
		for (size_t i = 0; i < n; i++) {
			json_object *k = json_object_array_get_idx(keys, i);
			json_object *data;
			if (!json_object_is_type(k, json_type_object) ||
			    !json_object_object_get_ex(k, "keyData", &data) ||
			    !json_object_is_type(data, json_type_string)) {
				snprintf(err, errlen,
					 "IMDS compute.publicKeys[%zu]: expected an object with a "
					 "string keyData",
					 i);
				return -EBADMSG;
			}
			r = strv_extend(&m->keys, json_object_get_string(data));
			if (r < 0)
				return r;
		}
	}

	const char *ud = json_get_string(doc, "compute.userData");
	if (ud && *ud) {
		r = base64_decode(ud, strlen(ud), &m->user_data, &m->user_data_len);
		if (r < 0) {
			snprintf(err, errlen, "IMDS compute.userData: not valid base64");
			return -EBADMSG;
		}
	}
	m->from_imds = true;
	return 0;
}

/* Fill what IMDS did not say from the OVF environment. */
static int metadata_merge_ovf(Metadata *m, const OvfEnv *ovf)
{
	if (!m->username && ovf->username && !(m->username = strdup(ovf->username)))
		return -ENOMEM;
	if (isempty(m->hostname) && ovf->hostname) {
		free(m->hostname);
		if (!(m->hostname = strdup(ovf->hostname)))
			return -ENOMEM;
	}
	if (m->disable_password_auth < 0)
		m->disable_password_auth = ovf->disable_ssh_password_auth;
	if (!m->keys && ovf->ssh_keys)
		for (char **k = ovf->ssh_keys; *k; k++)
			if (strv_extend(&m->keys, *k) < 0)
				return -ENOMEM;
	if (!m->pps_type && ovf->pps_type && !(m->pps_type = strdup(ovf->pps_type)))
		return -ENOMEM;
	return 0;
}

static int save_secret_file(const Run *run, const char *name, const void *data, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", run->cfg->state_dir, name);
	int r = write_file_atomic(path, data, len, 0600);
	if (r < 0)
		return log_error_errno(r, "Failed to save %s: %m", path);
	return 0;
}

/* ---- the flow ----------------------------------------------------------- */

static int fail(Run *run, const char *step, int r, const char *fmt, ...) _printf_(4, 5);
static int fail(Run *run, const char *step, int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(run->err, sizeof(run->err), fmt, ap);
	va_end(ap);
	run->failed_step = step;
	log_error("Provisioning failed in step %s: %s", step, run->err);
	return r < 0 ? r : -EINVAL;
}

static int read_ovf(Run *run, OvfEnv *ovf, bool *have)
{
	const InitConfig *cfg = run->cfg;
	_cleanup_free_ char *xml = NULL;
	size_t len = 0;
	char err[ERRLEN] = "";
	int r;

	*have = false;
	if (!cfg->ovf_enabled)
		return 0;
	/* lazuli-init starts early in boot: the CD-ROM's driver may still be
	 * probing it. Azure attaches the media to every new VM, so wait a while. */
	usec_t deadline = now_usec(CLOCK_MONOTONIC) + cfg->media_wait;
	bool waited = false;
	while ((r = ovf_media_read(cfg->ovf_path, &xml, &len, err, sizeof(err))) == -ENOENT &&
	       !cfg->ovf_path && now_usec(CLOCK_MONOTONIC) < deadline) {
		if (!waited)
			log_info("No provisioning media yet, waiting up to %llu s for it",
				 (unsigned long long)(cfg->media_wait / USEC_PER_SEC));
		waited = true;
		sleep_usec(100 * USEC_PER_MSEC);
	}
	if (r == -ENOENT) {
		log_info("No provisioning media with ovf-env.xml found");
		return 0;
	}
	if (r < 0)
		return fail(run, "ovf", r, "reading provisioning media: %s", err);

	r = ovf_parse(xml, len, ovf, err, sizeof(err));
	if (r == -ENOMEDIUM) {
		log_info("ovf-env.xml has no Azure provisioning section, ignoring it");
		explicit_bzero(xml, len);
		return 0;
	}
	if (r < 0) {
		explicit_bzero(xml, len);
		return fail(run, "ovf", r, "ovf-env.xml: %s", err);
	}

	_cleanup_free_ char *redacted = NULL;
	size_t rlen = 0;
	r = ovf_redact(xml, len, &redacted, &rlen);
	explicit_bzero(xml, len);
	if (r < 0)
		return fail(run, "ovf", r, "ovf-env.xml: cannot redact the password");
	r = save_secret_file(run, "ovf-env.xml", redacted, rlen);
	if (r < 0)
		return fail(run, "ovf", r, "cannot save ovf-env.xml in %s", cfg->state_dir);
	if (ovf->custom_data) {
		r = save_secret_file(run, "custom_data", ovf->custom_data, ovf->custom_data_len);
		if (r < 0)
			return fail(run, "ovf", r, "cannot save custom data in %s", cfg->state_dir);
	}
	*have = true;
	return 0;
}

static int fetch_metadata(Run *run, Metadata *m, const OvfEnv *ovf, bool have_ovf)
{
	const InitConfig *cfg = run->cfg;
	ImdsClient imds = {0};
	_cleanup_json_ json_object *doc = NULL;
	char err[ERRLEN] = "";
	int r;

	r = imds_client_init(&imds, cfg->imds_url, AGENT_NAME);
	if (r < 0)
		return fail(run, "imds", r, "cannot set up the IMDS client");
	imds.request_timeout = cfg->imds_timeout;
	imds.budget = cfg->imds_budget;
	imds.policy_template = cfg->policy_template;

	/* The unit starts before the network is online, so that reading the
	 * provisioning media overlaps DHCP; IMDS waits for a route here. */
	network_up(run);
	usec_t waited = 0;
	r = http_wait_for_route(cfg->imds_url, cfg->imds_budget, &waited);
	if (r == -ENETUNREACH)
		log_warning("No route to %s after %llu s, trying anyway", cfg->imds_url,
			    (unsigned long long)(waited / USEC_PER_SEC));
	else if (waited >= USEC_PER_MSEC)
		log_info("Waited %llu ms for a route to %s", (unsigned long long)(waited / USEC_PER_MSEC),
			 cfg->imds_url);

	r = imds_get_instance(&imds, &doc, err, sizeof(err));
	imds_client_done(&imds);
	if (r >= 0)
		r = metadata_from_imds(doc, m, err, sizeof(err));
	if (r < 0) {
		if (!have_ovf)
			return fail(run, "imds", r, "instance metadata: %s", err);
		log_warning("Instance metadata unusable (%s), provisioning from ovf-env.xml", err);
		metadata_done(m);
		m->disable_password_auth = -1;
	}
	if (have_ovf) {
		r = metadata_merge_ovf(m, ovf);
		if (r < 0)
			return fail(run, "imds", r, "out of memory");
	}
	if (m->user_data) {
		r = save_secret_file(run, "user_data", m->user_data, m->user_data_len);
		if (r < 0)
			return fail(run, "imds", r, "cannot save user data in %s", cfg->state_dir);
	}
	return 0;
}

static int apply_hostname(Run *run, const Metadata *m)
{
	const InitConfig *cfg = run->cfg;
	char err[ERRLEN] = "";
	int r;

	if (!cfg->set_hostname)
		return 0;
	r = hostname_apply(m->hostname, "/etc/hostname", err, sizeof(err));
	if (r < 0)
		return fail(run, "hostname", r, "setting the host name: %s", err);
	/* The renewal runs beside the user steps; publish_done() reaps it. */
	if (cfg->publish_hostname &&
	    hostname_publish_start(cfg->networkctl, &run->publish, err, sizeof(err)) < 0)
		/* The name is set; DNS registration catches up at the next lease. */
		log_warning("Could not re-announce the host name over DHCP: %s", err);
	return 0;
}

/* Before the Ready report, so that DNS has the new name when the VM is up. */
static void publish_done(Run *run)
{
	char err[ERRLEN] = "";
	if (hostname_publish_wait(&run->publish, err, sizeof(err)) < 0)
		log_warning("Could not re-announce the host name over DHCP: %s", err);
}

static int apply_user(Run *run, const Metadata *m, const char *password, uid_t *uid, gid_t *gid,
		      char **home)
{
	const InitConfig *cfg = run->cfg;
	char err[ERRLEN] = "";
	int r;

	UserSpec spec = {
	    .name = m->username,
	    .groups = cfg->groups,
	    .password = password,
	};
	r = user_provision(&spec, uid, gid, home, err, sizeof(err));
	if (r < 0)
		return fail(run, "user", r, "creating user: %s", err);
	return 0;
}

/* Under systemd (sd_booted()): sshd's unit is asked, not its pid file. */
static bool systemd_booted(void)
{
	struct stat st;
	return lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

#define SSHD_START_WAIT (90 * USEC_PER_SEC)

static int apply_sshd(Run *run, const SshdSettings *sshd, bool password_auth)
{
	const InitConfig *cfg = run->cfg;
	char err[ERRLEN] = "";

	if (!cfg->configure_password_auth)
		return 0;
	/*
	 * sshd starts beside lazuli-init. The settings were read before the
	 * drop-in is written, from the files a running sshd read: when they
	 * already say the same, there is nothing to reload.
	 */
	bool reload = sshd->password_auth != (int)password_auth;
	bool via_unit = reload && !isempty(cfg->sshd_unit) && systemd_booted();
	int r = sshd_set_password_auth(cfg->sshd_dropin_dir, password_auth,
				       reload && !via_unit ? cfg->sshd_pidfile : NULL, err,
				       sizeof(err));
	if (r == -ENOENT) {
		log_warning("%s does not exist, not configuring sshd PasswordAuthentication",
			    cfg->sshd_dropin_dir);
		return 0;
	}
	if (r < 0)
		return fail(run, "sshd", r, "configuring sshd: %s", err);
	if (via_unit) {
		r = sshd_reload_unit(cfg->systemctl, cfg->sshd_unit, SSHD_START_WAIT, err,
				     sizeof(err));
		if (r < 0)
			return fail(run, "sshd", r, "reloading sshd for PasswordAuthentication %s: %s",
				    password_auth ? "yes" : "no", err);
	}
	if (r > 0)
		log_info("Reloaded sshd for PasswordAuthentication %s",
			 password_auth ? "yes" : "no");
	return 0;
}

/*
 * Everything the metadata asks for is checked before anything is changed, so
 * hostile metadata ends in a failure report and an untouched system.
 */
static int validate_metadata(Run *run, const Metadata *m, bool have_password, char ***ret_keys)
{
	const InitConfig *cfg = run->cfg;
	_cleanup_strv_free_ char **good = NULL;
	char err[ERRLEN] = "";
	size_t i = 0;
	int r;

	if (cfg->set_hostname) {
		if (isempty(m->hostname))
			return fail(run, "hostname", -EINVAL, "metadata has no computer name");
		if (!hostname_is_valid(m->hostname))
			return fail(run, "hostname", -EINVAL,
				    "computer name is not a valid RFC 1123 host name (%zu bytes)",
				    strlen(m->hostname));
	}
	if (isempty(m->username))
		return fail(run, "user", -EINVAL, "metadata has no admin user name");
	r = username_validate(m->username, err, sizeof(err));
	if (r < 0)
		return fail(run, "user", r, "admin user name rejected: %s", err);

	for (char **k = m->keys; k && *k; k++, i++) {
		char *clean = NULL;
		r = ssh_key_sanitize(*k, &clean, err, sizeof(err));
		if (r < 0) {
			/* Other keys still let the owner in; a bad one is dropped, not obeyed. */
			log_warning("Ignoring public key %zu: %s", i, err);
			continue;
		}
		r = strv_push(&good, clean);
		if (r < 0)
			return fail(run, "ssh-keys", r, "out of memory");
	}
	if (!good && !have_password) {
		if (i > 0)
			return fail(
			    run, "ssh-keys", -EINVAL,
			    "none of the %zu public keys is valid and no password was given", i);
		return fail(run, "ssh-keys", -EINVAL,
			    "no public key and no password: nobody could log in");
	}
	*ret_keys = TAKE_PTR(good);
	return 0;
}

static int apply_keys(Run *run, const Metadata *m, const SshdSettings *sshd, char *const *keys,
		      uid_t uid, gid_t gid, const char *home)
{
	_cleanup_free_ char *path = NULL;
	char err[ERRLEN] = "";
	int r;

	if (!keys)
		return 0;
	r = ssh_authorized_keys_path(sshd, m->username, home, &path, err, sizeof(err));
	if (r < 0)
		return fail(run, "ssh-keys", r, "authorized keys location: %s", err);
	r = ssh_write_authorized_keys(home, path, keys, uid, gid, err, sizeof(err));
	if (r < 0)
		return fail(run, "ssh-keys", r, "writing %s: %s", path, err);
	log_info("Installed %zu public key(s) for %s in %s", strv_length(keys), m->username, path);
	return 0;
}

static int apply_sudo(Run *run, const Metadata *m, const char *password)
{
	char err[ERRLEN] = "";
	UserSpec spec = {
	    .name = m->username,
	    .password = password,
	    .sudoers_path = run->cfg->sudoers_file,
	};
	int r = user_grant_sudo(&spec, err, sizeof(err));
	if (r < 0)
		return fail(run, "sudo", r, "sudoers: %s", err);
	return 0;
}

/* Returns 0 on delivery, negative otherwise (already logged). */
static int deliver(Run *run, bool ready, const char *description)
{
	char err[ERRLEN] = "";
	network_up(run);
	int r = report_send(&run->report, ready, description, err, sizeof(err));
	if (r < 0)
		return log_error_errno(r, "Provisioning report was not accepted: %s", err);
	return 0;
}

static int report_failure(Run *run)
{
	const char *kv[] = {"step", run->failed_step, "error", run->err, NULL};
	_cleanup_free_ char *desc =
	    report_failure_description(&run->report, "provisioning failed", kv);
	if (!desc)
		return -ENOMEM;
	stamp(run, "report");
	return deliver(run, false, desc);
}

static int provision_apply(Run *run)
{
	OvfEnv ovf = {.disable_ssh_password_auth = -1};
	Metadata m = {.disable_password_auth = -1};
	SshdSettings sshd = {.password_auth = -1};
	_cleanup_free_ char *home = NULL, *desc = NULL;
	_cleanup_strv_free_ char **keys = NULL;
	bool have_ovf = false;
	uid_t uid = 0;
	gid_t gid = 0;
	int r;

	r = read_ovf(run, &ovf, &have_ovf);
	stamp(run, "ovf");
	if (r < 0)
		goto out;
	r = fetch_metadata(run, &m, &ovf, have_ovf);
	stamp(run, "imds");
	if (r < 0)
		goto out;

	const char *password = have_ovf ? ovf.password : NULL;
	/* Password logins only when the owner gave a password and did not turn them off. */
	bool password_auth = password && m.disable_password_auth != 1;

	r = validate_metadata(run, &m, password != NULL, &keys);
	if (r < 0)
		goto out;

	r = apply_hostname(run, &m);
	stamp(run, "hostname");
	if (r < 0)
		goto out;
	r = apply_user(run, &m, password, &uid, &gid, &home);
	stamp(run, "user");
	if (r < 0)
		goto out;
	if (keys || run->cfg->configure_password_auth)
		sshd_query(run->cfg->sshd, m.username, &sshd);
	r = apply_sshd(run, &sshd, password_auth);
	stamp(run, "sshd");
	if (r < 0)
		goto out;
	r = apply_keys(run, &m, &sshd, keys, uid, gid, home);
	stamp(run, "ssh-keys");
	if (r < 0)
		goto out;
	/* Last: a provisioning that failed half way never grants root. */
	r = apply_sudo(run, &m, password);
	if (r < 0)
		goto out;

	desc = report_success_description(&run->report, m.pps_type);
	if (!desc) {
		r = -ENOMEM;
		goto out;
	}
	/* Applied: a crash or an unreachable wireserver from here on only re-sends the report. */
	r = write_marker(run, "applied", desc);
	if (r < 0) {
		fail(run, "state", r, "cannot write the applied marker in %s", run->cfg->state_dir);
		goto out;
	}
	r = 0;
out:
	/* On every path, and before the caller sends any report. */
	publish_done(run);
	sshd_settings_done(&sshd);
	ovf_env_done(&ovf);
	metadata_done(&m);
	return r;
}

static int finish_report(Run *run, const char *desc, ProvisionOutcome ok, ProvisionOutcome *out)
{
	stamp(run, "report");
	if (deliver(run, true, desc) < 0) {
		*out = PROVISION_REPORT_FAILED;
		telemetry_to_kvp(run);
		write_status(run, "report-failed", "the ready report was not accepted");
		return 0;
	}
	int r = write_marker(run, "provisioned", desc);
	if (r < 0)
		return r;
	char path[4096];
	marker_path(run, "applied", path, sizeof(path));
	(void)unlink(path);
	stamp(run, "done");
	telemetry_to_kvp(run);
	write_status(run, "provisioned", NULL);
	*out = ok;
	return 0;
}

int provision_run(const InitConfig *cfg, ProvisionOutcome *outcome)
{
	Run run = {.cfg = cfg, .publish = {.pid = -1}};
	char path[4096], err[ERRLEN] = "";
	int r;

	stamp(&run, "start");

	r = vmid_read(cfg->sysroot, run.vm_id, err, sizeof(err));
	if (r < 0) {
		log_warning("Cannot read the VM id (%s), using the nil UUID", err);
		strcpy(run.vm_id, "00000000-0000-0000-0000-000000000000");
	}
	stamp(&run, "vmid");
	log_info("VM id %s", run.vm_id);

	r = mkdir_p(cfg->state_dir, 0700);
	if (r < 0)
		return log_error_errno(r, "Cannot create state directory %s: %m", cfg->state_dir);

	marker_path(&run, "provisioned", path, sizeof(path));
	if (file_exists(path)) {
		log_info("VM %s was provisioned already (%s), nothing to do", run.vm_id, path);
		*outcome = PROVISION_ALREADY;
		return 0;
	}

	run.report = (ReportContext){
	    .wireserver_url = cfg->wireserver_url,
	    .agent_name = AGENT_NAME,
	    .kvp_path = isempty(cfg->kvp_pool) ? NULL : cfg->kvp_pool,
	    .vm_id = run.vm_id,
	    .request_timeout = cfg->report_timeout,
	    .budget = cfg->report_budget,
	    .policy_template = cfg->policy_template,
	};
	if (kvp_enabled(&run)) {
		r = kvp_truncate_if_stale(cfg->kvp_pool);
		if (r < 0 && r != -ENOENT)
			log_warning_errno(r, "Cannot check KVP pool %s: %m", cfg->kvp_pool);
	}

	/* An earlier boot applied everything but its report was not accepted: send that one. */
	marker_path(&run, "applied", path, sizeof(path));
	_cleanup_free_ char *pending = NULL;
	if (read_full_file(path, 4096, &pending, NULL) >= 0) {
		log_info("Configuration was applied on an earlier boot; sending its report");
		return finish_report(&run, pending, PROVISION_REPORTED_PENDING, outcome);
	}

	r = provision_apply(&run);
	if (r < 0) {
		r = report_failure(&run);
		*outcome = r < 0 ? PROVISION_REPORT_FAILED : PROVISION_FAILED;
		telemetry_to_kvp(&run);
		write_status(&run, "failed", run.err);
		return 0;
	}
	marker_path(&run, "applied", path, sizeof(path));
	_cleanup_free_ char *desc = NULL;
	r = read_full_file(path, 4096, &desc, NULL);
	if (r < 0)
		return log_error_errno(r, "Cannot read back %s: %m", path);
	return finish_report(&run, desc, PROVISION_DONE, outcome);
}

/* ---- status and clean --------------------------------------------------- */

int provision_format_status(const InitConfig *cfg, char **ret)
{
	char path[4096], err[256] = "";
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ json_object *o = NULL;
	size_t len;
	StrBuf b = {0};
	int r;

	snprintf(path, sizeof(path), "%s/status.json", cfg->state_dir);
	r = read_full_file(path, 1024 * 1024, &text, &len);
	if (r < 0)
		return r;
	r = json_parse_strict(text, len, &o, err, sizeof(err));
	if (r < 0)
		return r;

	const char *reason = json_get_string(o, "reason");
	strbuf_printf(&b, "vm_id:   %s\nstate:   %s\n", strempty(json_get_string(o, "vm_id")),
		      strempty(json_get_string(o, "state")));
	if (reason)
		strbuf_printf(&b, "reason:  %s\n", reason);
	strbuf_printf(&b, "updated: %s\nagent:   %s\n", strempty(json_get_string(o, "updated")),
		      strempty(json_get_string(o, "agent")));

	json_object *steps = json_get_path(o, "steps");
	size_t n = steps && json_object_is_type(steps, json_type_array)
		       ? json_object_array_length(steps)
		       : 0;
	if (n > 0)
		strbuf_puts(&b, "\nstep        since boot    since start   duration\n");
	int64_t t0 = 0, prev = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(steps, i);
		const char *name = json_get_string(s, "name");
		json_object *t = json_get_path(s, "boottime_us");
		if (!name || !t || !json_object_is_type(t, json_type_int))
			continue;
		int64_t us = json_object_get_int64(t);
		if (i == 0)
			t0 = prev = us;
		strbuf_printf(&b, "%-10s %9.3f s  %9.1f ms  %7.1f ms\n", name, (double)us / 1e6,
			      (double)(us - t0) / 1e3, (double)(us - prev) / 1e3);
		prev = us;
	}
	*ret = strbuf_steal(&b);
	return *ret ? 0 : -ENOMEM;
}

int provision_clean(const InitConfig *cfg)
{
	static const char *const names[] = {"status.json", "ovf-env.xml", "custom_data",
					    "user_data"};
	char path[4096];
	int r = 0;

	_cleanup_close_ int dfd = open(cfg->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (unlinkat(dfd, names[i], 0) < 0 && errno != ENOENT)
			r = -errno;

	/* Markers are "<vm_id>.provisioned" and "<vm_id>.applied". */
	_cleanup_close_ int dfd2 = dup(dfd);
	DIR *d = dfd2 >= 0 ? fdopendir(TAKE_FD(dfd2)) : NULL;
	if (!d)
		return -errno;
	struct dirent *de;
	while ((de = readdir(d)))
		if (endswith(de->d_name, ".provisioned") || endswith(de->d_name, ".applied")) {
			snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, de->d_name);
			if (unlink(path) < 0 && errno != ENOENT)
				r = -errno;
		}
	closedir(d);
	return r;
}
