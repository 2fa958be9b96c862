/* SPDX-License-Identifier: MIT */
/* lazuli-emu command line: options, signals, exit codes. The work is in libemu. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config.h"
#include "emu.h"
#include "log.h"
#include "strutil.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

static void help(void)
{
	printf("Usage: lazuli-emu [OPTION]...\n"
	       "Emulate the Azure IMDS and wireserver endpoints on loopback for tests.\n\n"
	       "  --scenario FILE        scripted responses and knobs (JSON)\n"
	       "  --vm FILE              VM fixture: IMDS instance document (+ovf, password,\n"
	       "                         customData); default: a built-in VM\n"
	       "  --imds-port PORT       IMDS port (default %d, 0: ephemeral)\n"
	       "  --wireserver-port PORT wireserver port (default %d, 0: ephemeral)\n"
	       "  --arm-port PORT        Azure Resource Manager and login port (default %d,\n"
	       "                         0: ephemeral)\n"
	       "  --arm-tls-cert FILE    serve ARM and login over HTTPS with this PEM\n"
	       "                         certificate (chain)\n"
	       "  --arm-tls-key FILE     the certificate's PEM private key\n"
	       "  --listen ADDR          numeric address to listen on (repeatable;\n"
	       "                         default 127.0.0.1; loopback only)\n"
	       "  --allow-nonloopback    accept non-loopback --listen addresses\n"
	       "  --ready-file PATH      write {\"imds\":URL,\"wireserver\":URL,\"arm\":URL,\n"
	       "                         \"pid\":N} here once listening (removed on exit)\n"
	       "  --log-requests         one line per request on stderr\n"
	       "  --verbose              debug logging\n"
	       "  --help                 show this help\n"
	       "  --version              show the version\n\n"
	       "Control API on every port: /_emu/scenario, /_emu/reset, /_emu/requests,\n"
	       "/_emu/reports, /_emu/listener, /_emu/reprovision, /_emu/ovf, /_emu/arm,\n"
	       "/_emu/info.\n"
	       "See lazuli-emu(1).\n",
	       EMU_DEFAULT_IMDS_PORT, EMU_DEFAULT_WIRESERVER_PORT, EMU_DEFAULT_ARM_PORT);
}

static int parse_port(const char *s, const char *opt, int *ret)
{
	unsigned long long v;
	if (safe_atou64(s, &v) < 0 || v > 65535) {
		log_error("%s: '%s' is not a port number (0-65535)", opt, s);
		return -EINVAL;
	}
	*ret = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	enum {
		ARG_SCENARIO = 0x100,
		ARG_VM,
		ARG_IMDS_PORT,
		ARG_WS_PORT,
		ARG_ARM_PORT,
		ARG_ARM_TLS_CERT,
		ARG_ARM_TLS_KEY,
		ARG_LISTEN,
		ARG_ALLOW_NONLOOPBACK,
		ARG_READY_FILE,
		ARG_LOG_REQUESTS,
		ARG_VERBOSE,
		ARG_HELP,
		ARG_VERSION
	};
	static const struct option options[] = {
	    {"scenario", required_argument, NULL, ARG_SCENARIO},
	    {"vm", required_argument, NULL, ARG_VM},
	    {"imds-port", required_argument, NULL, ARG_IMDS_PORT},
	    {"wireserver-port", required_argument, NULL, ARG_WS_PORT},
	    {"arm-port", required_argument, NULL, ARG_ARM_PORT},
	    {"arm-tls-cert", required_argument, NULL, ARG_ARM_TLS_CERT},
	    {"arm-tls-key", required_argument, NULL, ARG_ARM_TLS_KEY},
	    {"listen", required_argument, NULL, ARG_LISTEN},
	    {"allow-nonloopback", no_argument, NULL, ARG_ALLOW_NONLOOPBACK},
	    {"ready-file", required_argument, NULL, ARG_READY_FILE},
	    {"log-requests", no_argument, NULL, ARG_LOG_REQUESTS},
	    {"verbose", no_argument, NULL, ARG_VERBOSE},
	    {"help", no_argument, NULL, ARG_HELP},
	    {"version", no_argument, NULL, ARG_VERSION},
	    {},
	};
	EmuOptions o = {.imds_port = -1, .wireserver_port = -1, .arm_port = -1};
	_cleanup_strv_free_ char **listen = NULL;
	_cleanup_(emu_server_freep) EmuServer *s = NULL;
	_cleanup_close_ int sfd = -EBADF;
	char err[1024] = "";
	sigset_t mask;
	int c, r;

	log_set_ident("lazuli-emu");
	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		switch (c) {
		case ARG_SCENARIO:
			o.scenario_path = optarg;
			break;
		case ARG_VM:
			o.vm_path = optarg;
			break;
		case ARG_IMDS_PORT:
			if (parse_port(optarg, "--imds-port", &o.imds_port) < 0)
				return EXIT_USAGE;
			break;
		case ARG_WS_PORT:
			if (parse_port(optarg, "--wireserver-port", &o.wireserver_port) < 0)
				return EXIT_USAGE;
			break;
		case ARG_ARM_PORT:
			if (parse_port(optarg, "--arm-port", &o.arm_port) < 0)
				return EXIT_USAGE;
			break;
		case ARG_ARM_TLS_CERT:
			o.arm_tls_cert = optarg;
			break;
		case ARG_ARM_TLS_KEY:
			o.arm_tls_key = optarg;
			break;
		case ARG_LISTEN:
			if (strv_extend(&listen, optarg) < 0)
				return EXIT_RUNTIME;
			break;
		case ARG_ALLOW_NONLOOPBACK:
			o.allow_nonloopback = true;
			break;
		case ARG_READY_FILE:
			o.ready_file = optarg;
			break;
		case ARG_LOG_REQUESTS:
			o.log_requests = true;
			break;
		case ARG_VERBOSE:
			log_set_max_level(LOG_DEBUG);
			break;
		case ARG_HELP:
			help();
			return 0;
		case ARG_VERSION:
			printf("lazuli-emu " LAZULI_VERSION "\n");
			return 0;
		default:
			fprintf(stderr, "Try 'lazuli-emu --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_error("Unexpected argument '%s'. Try 'lazuli-emu --help'.", argv[optind]);
		return EXIT_USAGE;
	}
	o.listen = listen;

	r = emu_server_new(&o, &s, err, sizeof(err));
	if (r == -EINVAL || r == -EBADMSG) {
		log_error("%s", err);
		return EXIT_USAGE;
	}
	if (r < 0) {
		log_error_errno(r, "Failed to set up: %m");
		return EXIT_RUNTIME;
	}

	/* Block before the server threads exist so that they inherit the mask. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return EXIT_RUNTIME;
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		log_error_errno(errno, "signalfd() failed: %m");
		return EXIT_RUNTIME;
	}

	r = emu_server_start(s, err, sizeof(err));
	if (r < 0) {
		log_error("%s", err[0] ? err : strerror(-r));
		return EXIT_RUNTIME;
	}
	r = emu_server_run(s, sfd);
	emu_server_free(TAKE_PTR(s));
	if (o.ready_file)
		(void)unlink(o.ready_file);
	return r < 0 ? EXIT_RUNTIME : 0;
}
