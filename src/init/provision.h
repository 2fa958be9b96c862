/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * lazuli-init's first-boot flow: configuration, the ordered steps, the
 * per-vm_id markers, boot-time telemetry and the status record.
 */

#include <stdbool.h>
#include <stddef.h>

#include "http.h"
#include "time-util.h"

#define INIT_CONFIG_PATH SYSCONFDIR "/lazuli/init.conf"

typedef struct InitConfig {
	/* [Imds] */
	char *imds_url;
	usec_t imds_timeout;
	usec_t imds_budget;
	/* [Wireserver] */
	char *wireserver_url;
	usec_t report_timeout;
	usec_t report_budget;
	/* [Provisioning] */
	char *state_dir;
	char *kvp_pool; /* "" disables KVP */
	char *sysroot;	/* where sys/class/dmi lives; "/" */
	bool ovf_enabled;
	usec_t media_wait; /* how long to wait for the provisioning media to appear */
	char *ovf_path; /* NULL: probe the provisioning media */
	char **groups;
	char *sudoers_file;
	char *log_file; /* "" disables */
	/* [Network] */
	bool ephemeral_dhcp; /* take a lease when nothing routes to IMDS yet */
	char *interface;     /* NULL: the first Ethernet NIC */
	usec_t dhcp_timeout;
	/* [Hostname] */
	bool set_hostname;
	bool publish_hostname;
	char *networkctl;
	/* [Ssh] */
	char *sshd;
	char *sshd_dropin_dir;
	char *sshd_pidfile;
	char *sshd_unit;  /* "" never asks systemd */
	char *systemctl;
	bool configure_password_auth;
	/* For tests: replaces sleeping in retries. */
	HttpRetryPolicy policy_template;
} InitConfig;

int init_config_load(InitConfig *c, const char *path, char *err, size_t errlen);
void init_config_done(InitConfig *c);

typedef enum ProvisionOutcome {
	PROVISION_DONE,		    /* provisioned and reported ready now */
	PROVISION_ALREADY,	    /* this vm_id was provisioned before: nothing sent */
	PROVISION_REPORTED_PENDING, /* earlier run applied, this run delivered its report */
	PROVISION_FAILED,	    /* failure reported as NotReady/ProvisioningFailed */
	PROVISION_REPORT_FAILED,    /* applied or failed, but the report was not accepted */
} ProvisionOutcome;

/*
 * Run first-boot provisioning once. Returns 0 with *outcome set, or a
 * negative errno for errors outside the flow (state directory unusable).
 */
int provision_run(const InitConfig *cfg, ProvisionOutcome *outcome);

/*
 * Human-readable status of the last run (vm_id, state, each step's
 * CLOCK_BOOTTIME stamp and duration) from <state_dir>/status.json.
 */
int provision_format_status(const InitConfig *cfg, char **ret);

/* Forget that this VM was provisioned (next boot provisions again). */
int provision_clean(const InitConfig *cfg);
