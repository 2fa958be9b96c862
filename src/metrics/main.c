/* SPDX-License-Identifier: MIT */
/* lazuli-metrics: command-line front end over scrape.c, server.c and monitor.c. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config.h"
#include "fileio.h"
#include "log.h"
#include "macros.h"
#include "metrics-config.h"
#include "monitor.h"
#include "scrape.h"
#include "server.h"
#include "strutil.h"

enum {
	EXIT_OK = 0,
	EXIT_FAILURE_RUNTIME = 1,
	EXIT_USAGE = 2,
};

static void help(void)
{
	printf("Usage: lazuli-metrics [OPTIONS]\n"
	       "\n"
	       "Host and container metrics for Prometheus (node_exporter's names) and\n"
	       "Azure Monitor.\n"
	       "\n"
	       "  -c, --config FILE     configuration file (default %s)\n"
	       "      --root DIR        read DIR/proc and DIR/sys, statvfs below DIR (for tests)\n"
	       "      --listen ADDR     listen on ADDR:PORT (default %s)\n"
	       "      --once            print one scrape to stdout and exit\n"
	       "      --openmetrics     with --once: OpenMetrics 1.0.0 instead of text 0.0.4\n"
	       "  -l, --log-level LEVEL debug, info, notice, warning, err (default info)\n"
	       "  -h, --help            show this help\n"
	       "      --version         show the version\n"
	       "\n"
	       "Exit status: 0 success, 1 runtime failure, 2 usage or configuration error.\n",
	       METRICS_CONFIG_PATH, METRICS_DEFAULT_LISTEN);
}

static int once(const MetricsConfig *cfg, ExpoFormat fmt)
{
	Scrape s;
	int r = scrape_init(&s, cfg);
	if (r < 0)
		return EXIT_FAILURE_RUNTIME;
	r = scrape_run(&s, fmt);
	if (r < 0) {
		log_error_errno(r, "Scrape failed: %m");
		scrape_done(&s);
		return EXIT_FAILURE_RUNTIME;
	}
	r = loop_write(STDOUT_FILENO, s.out.buf, s.out.len);
	scrape_done(&s);
	if (r < 0) {
		log_error_errno(r, "Cannot write to stdout: %m");
		return EXIT_FAILURE_RUNTIME;
	}
	return EXIT_OK;
}

/*
 * The daemon keeps kernel files open between scrapes (a quarter of the
 * descriptor limit goes to cgroup files), and polls, never select()s: so
 * it takes a soft limit of up to 8192 when the hard limit allows (systemd
 * gives services 1024 and 524288).
 */
static void raise_nofile_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= 8192 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = MIN(rl.rlim_max, (rlim_t)8192);
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_debug_errno(errno, "Cannot raise RLIMIT_NOFILE: %m");
}

static int serve(const MetricsConfig *cfg, const char *config_path)
{
	Scrape s;
	MetricsServer *srv = NULL;
	sigset_t mask;
	int sfd, r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return log_error_errno(errno, "signalfd failed: %m"), EXIT_FAILURE_RUNTIME;

	raise_nofile_limit();
	r = scrape_init(&s, cfg);
	if (r < 0) {
		close(sfd);
		return EXIT_FAILURE_RUNTIME;
	}
	r = metrics_server_new(cfg, &s, &srv);
	if (r < 0) {
		scrape_done(&s);
		close(sfd);
		return EXIT_FAILURE_RUNTIME;
	}
	Monitor *mon = NULL;
	ServerHook hooks[1];
	size_t n_hooks = 0;
	if (cfg->monitor) {
		r = monitor_new(cfg, config_path, &mon);
		if (r < 0) {
			metrics_server_free(srv);
			scrape_done(&s);
			close(sfd);
			return EXIT_FAILURE_RUNTIME;
		}
		hooks[n_hooks++] = (ServerHook){monitor_timer_fd(mon), monitor_on_timer, mon};
		s.extra = monitor_emit_vm_info;
		s.extra_userdata = mon;
	}
	{
		char host[64], err[256];
		uint16_t port;
		(void)parse_listen_address(cfg->listen, host, sizeof(host), &port, err, sizeof(err));
		log_info("Serving metrics on http://%s%s%s:%u/metrics", cfg->listen[0] == '[' ? "[" : "",
			 host, cfg->listen[0] == '[' ? "]" : "", metrics_server_port(srv));
	}
	r = metrics_server_run(srv, sfd, hooks, n_hooks);
	if (mon) {
		/* the period so far goes to the spool: a restart loses no collected minute */
		monitor_flush(mon);
		monitor_free(mon);
	}
	metrics_server_free(srv);
	scrape_done(&s);
	close(sfd);
	return r < 0 ? EXIT_FAILURE_RUNTIME : EXIT_OK;
}

int main(int argc, char **argv)
{
	enum { ARG_ROOT = 0x100, ARG_LISTEN, ARG_ONCE, ARG_OPENMETRICS, ARG_VERSION };
	static const struct option options[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"root", required_argument, NULL, ARG_ROOT},
	    {"listen", required_argument, NULL, ARG_LISTEN},
	    {"once", no_argument, NULL, ARG_ONCE},
	    {"openmetrics", no_argument, NULL, ARG_OPENMETRICS},
	    {"log-level", required_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, ARG_VERSION},
	    {},
	};
	const char *config = getenv("LAZULI_METRICS_CONFIG"), *root = NULL, *listen = NULL;
	bool do_once = false, openmetrics = false;
	int c, r;

	log_set_ident("lazuli-metrics");
	while ((c = getopt_long(argc, argv, "c:l:h", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case ARG_ROOT:
			root = optarg;
			break;
		case ARG_LISTEN:
			listen = optarg;
			break;
		case ARG_ONCE:
			do_once = true;
			break;
		case ARG_OPENMETRICS:
			openmetrics = true;
			break;
		case 'l':
			r = log_level_from_string(optarg);
			if (r < 0) {
				log_error("Unknown log level '%s'", optarg);
				return EXIT_USAGE;
			}
			log_set_max_level(r);
			break;
		case 'h':
			help();
			return EXIT_OK;
		case ARG_VERSION:
			printf("lazuli-metrics %s\n", LAZULI_VERSION);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_error("Unexpected argument '%s' (see --help)", argv[optind]);
		return EXIT_USAGE;
	}
	if (openmetrics && !do_once) {
		log_error("--openmetrics only applies to --once (the server negotiates with Accept)");
		return EXIT_USAGE;
	}

	MetricsConfig cfg;
	char err[512] = "";
	r = metrics_config_load(&cfg, config ? config : METRICS_CONFIG_PATH, err, sizeof(err));
	if (r < 0) {
		log_error_errno(r, "Invalid configuration: %s", *err ? err : strerror(-r));
		return EXIT_USAGE;
	}
	if (root) {
		if (access(root, F_OK) < 0) {
			log_error_errno(errno, "--root %s: %m", root);
			metrics_config_done(&cfg);
			return EXIT_USAGE;
		}
		if (metrics_config_set_root(&cfg, root) < 0) {
			metrics_config_done(&cfg);
			return EXIT_FAILURE_RUNTIME;
		}
	}
	if (listen) {
		char host[64];
		uint16_t port;
		if (parse_listen_address(listen, host, sizeof(host), &port, err, sizeof(err)) < 0) {
			log_error("--listen: %s", err);
			metrics_config_done(&cfg);
			return EXIT_USAGE;
		}
		free(cfg.listen);
		cfg.listen = strdup(listen);
		if (!cfg.listen) {
			metrics_config_done(&cfg);
			return EXIT_FAILURE_RUNTIME;
		}
	}

	r = do_once ? once(&cfg, openmetrics ? EXPO_OPENMETRICS : EXPO_PROMETHEUS) : serve(&cfg, config ? config : METRICS_CONFIG_PATH);
	metrics_config_done(&cfg);
	return r;
}
