/* SPDX-License-Identifier: MIT */
/* lazuli-init: command-line front end. The flow itself is in provision.c. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "http.h"
#include "log.h"
#include "provision.h"
#include "strutil.h"

enum {
	EXIT_PROVISIONED = 0,
	EXIT_PROVISION_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_REPORT_FAILED = 3,
};

static void help(void)
{
	printf("Usage: lazuli-init [OPTIONS]\n"
	       "\n"
	       "First-boot provisioning of an Azure VM: instance metadata, host name, admin\n"
	       "user, SSH keys, and the ready report to the platform.\n"
	       "\n"
	       "  -c, --config FILE     configuration file (default %s)\n"
	       "      --status          print the last run's state and boot-time telemetry\n"
	       "      --clean           forget that this VM was provisioned\n"
	       "  -l, --log-level LEVEL debug, info, notice, warning, err (default info)\n"
	       "  -h, --help            show this help\n"
	       "      --version         show the version\n"
	       "\n"
	       "Exit status: 0 provisioned (now or before), 1 provisioning failed and was\n"
	       "reported, 2 usage or configuration error, 3 the report was not accepted.\n",
	       INIT_CONFIG_PATH);
}

static int open_log_file(const char *path)
{
	if (isempty(path))
		return -1;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		log_warning_errno(errno, "Cannot open log file %s: %m", path);
	return fd;
}

int main(int argc, char **argv)
{
	enum { ARG_STATUS = 0x100, ARG_CLEAN, ARG_VERSION };
	static const struct option options[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"status", no_argument, NULL, ARG_STATUS},
	    {"clean", no_argument, NULL, ARG_CLEAN},
	    {"log-level", required_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, ARG_VERSION},
	    {},
	};
	const char *config = getenv("LAZULI_INIT_CONFIG");
	bool status = false, clean = false;
	int c, r;

	log_set_ident("lazuli-init");
	while ((c = getopt_long(argc, argv, "c:l:h", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'l':
			r = log_level_from_string(optarg);
			if (r < 0) {
				log_error("Unknown log level '%s'", optarg);
				return EXIT_USAGE;
			}
			log_set_max_level(r);
			break;
		case ARG_STATUS:
			status = true;
			break;
		case ARG_CLEAN:
			clean = true;
			break;
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("lazuli-init %s\n", LAZULI_VERSION);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_error("Unexpected argument '%s' (see --help)", argv[optind]);
		return EXIT_USAGE;
	}

	InitConfig cfg;
	char err[512] = "";
	if (!config)
		config = INIT_CONFIG_PATH;
	r = init_config_load(&cfg, config, err, sizeof(err));
	if (r < 0) {
		log_error_errno(r, "Invalid configuration: %s", *err ? err : strerror(-r));
		return EXIT_USAGE;
	}

	if (status) {
		char *text = NULL;
		r = provision_format_status(&cfg, &text);
		if (r == -ENOENT) {
			printf("lazuli-init has not run on this VM yet (no %s/status.json)\n",
			       cfg.state_dir);
			r = 0;
		} else if (r < 0)
			log_error_errno(r, "Cannot read status from %s: %m", cfg.state_dir);
		else
			fputs(text, stdout);
		free(text);
		init_config_done(&cfg);
		return r < 0 ? 1 : 0;
	}
	if (clean) {
		r = provision_clean(&cfg);
		if (r < 0)
			log_error_errno(r, "Cannot clean %s: %m", cfg.state_dir);
		init_config_done(&cfg);
		return r < 0 ? 1 : 0;
	}

	int logfd = open_log_file(cfg.log_file);
	log_set_extra_fd(logfd);
	/*
	 * No http_global_init(): IMDS and the wireserver are plain HTTP, which
	 * the built-in client sends, so libcurl is opened only if a request
	 * needs it (a proxy, https), and that request reports it if it cannot be.
	 */
	ProvisionOutcome outcome;
	r = provision_run(&cfg, &outcome);
	init_config_done(&cfg);
	if (r < 0)
		return EXIT_PROVISION_FAILED;
	switch (outcome) {
	case PROVISION_DONE:
		log_info("Provisioning complete, ready report accepted");
		return EXIT_PROVISIONED;
	case PROVISION_ALREADY:
		return EXIT_PROVISIONED;
	case PROVISION_REPORTED_PENDING:
		log_info("Pending ready report accepted");
		return EXIT_PROVISIONED;
	case PROVISION_FAILED:
		return EXIT_PROVISION_FAILED;
	case PROVISION_REPORT_FAILED:
	default:
		return EXIT_REPORT_FAILED;
	}
}
