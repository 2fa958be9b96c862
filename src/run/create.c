/* SPDX-License-Identifier: MIT */
/* create: set the container up; its process waits for start. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "container.h"
#include "strutil.h"
#include "verbs.h"

const char *single_id(const char *verb, int argc, char **argv)
{
	if (optind >= argc) {
		report_error("%s: a container id is required", verb);
		return NULL;
	}
	if (optind + 1 < argc) {
		report_error("%s: unexpected argument \"%s\"", verb, argv[optind + 1]);
		return NULL;
	}
	return argv[optind];
}

static void create_help(const char *verb, bool is_run)
{
	printf("Usage: lazuli-run %s [OPTIONS] ID\n"
	       "\n"
	       "%s\n"
	       "\n"
	       "Options:\n"
	       "  -b, --bundle DIR        the bundle (default: the current directory)\n"
	       "  --pid-file FILE         write the container's host pid to FILE\n"
	       "  --console-socket SOCK   where the pty master goes (process.terminal)\n"
	       "  --preserve-fds N        pass fds 3 .. 3+N-1 on to the container\n"
	       "  --no-pivot              move the rootfs onto / and chroot into it instead of\n"
	       "                          pivot_root (for a runtime on an initramfs; weaker)\n"
	       "  --no-new-keyring        keep our session keyring (default: a new one, _ses.ID)\n"
	       "%s"
	       "  -h, --help              show this help\n",
	       verb,
	       is_run ? "Create and start a container; wait for it unless -d, then delete it."
		      : "Set a container up; its process waits for start.",
	       is_run ? "  -d, --detach            do not wait for the container\n"
			"  --keep                  do not delete the container once it has exited\n"
		      : "");
}

int parse_create_args(const char *verb, int argc, char **argv, bool is_run, CreateArgs *ret)
{
	enum {
		ARG_PID_FILE = 0x100,
		ARG_CONSOLE,
		ARG_NO_PIVOT,
		ARG_NO_KEYRING,
		ARG_PRESERVE,
		ARG_KEEP
	};
	static const struct option options[] = {
	    {"bundle", required_argument, NULL, 'b'},
	    {"pid-file", required_argument, NULL, ARG_PID_FILE},
	    {"console-socket", required_argument, NULL, ARG_CONSOLE},
	    {"no-pivot", no_argument, NULL, ARG_NO_PIVOT},
	    {"no-new-keyring", no_argument, NULL, ARG_NO_KEYRING},
	    {"preserve-fds", required_argument, NULL, ARG_PRESERVE},
	    {"detach", no_argument, NULL, 'd'},
	    {"keep", no_argument, NULL, ARG_KEEP},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	int c;

	*ret = (CreateArgs){};
	optind = 0;
	while ((c = getopt_long(argc, argv, "+b:dh", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			create_help(verb, is_run);
			return 0;
		case 'b':
			ret->bundle = optarg;
			break;
		case ARG_PID_FILE:
			ret->pid_file = optarg;
			break;
		case ARG_CONSOLE:
			ret->console_socket = optarg;
			break;
		case ARG_NO_PIVOT:
			ret->no_pivot = true;
			break;
		case ARG_NO_KEYRING:
			ret->no_new_keyring = true;
			break;
		case ARG_PRESERVE: {
			int n = parse_preserve_fds(verb, optarg);
			if (n < 0)
				return -1;
			ret->preserve_fds = (unsigned)n;
			break;
		}
		case 'd':
			if (!is_run)
				goto bad;
			ret->detach = true;
			break;
		case ARG_KEEP:
			if (!is_run)
				goto bad;
			ret->keep = true;
			break;
		default:
		bad:
			report_error("%s: unknown option (see --help)", verb);
			return -1;
		}
	}
	return optind;
}

int parse_preserve_fds(const char *verb, const char *arg)
{
	unsigned long long n;
	if (safe_atou64(arg, &n) < 0 || n > 1024) {
		report_error("%s: --preserve-fds %s: must be a number of fds (at most 1024)", verb,
			     arg);
		return -1;
	}
	int closed = first_closed_fd((unsigned)n);
	if (closed > 0) {
		report_error("%s: --preserve-fds %s: fd %d is not open", verb, arg, closed);
		return -1;
	}
	return (int)n;
}

/*
 * Socket activation as runc does it: fds systemd passed to us (LISTEN_PID
 * is our pid) are passed on as fds 3.., before those of --preserve-fds, and
 * the container's pid 1 is told so through LISTEN_FDS and LISTEN_PID=1.
 */
int create_options(const GlobalOptions *g, const CreateArgs *a, CreateOptions *o)
{
	*o = (CreateOptions){
	    .systemd_cgroup = g->systemd_cgroup,
	    .bundle = a->bundle,
	    .pid_file = a->pid_file,
	    .console_socket = a->console_socket,
	    .preserve_fds = a->preserve_fds,
	    .no_pivot = a->no_pivot,
	    .no_new_keyring = a->no_new_keyring,
	};
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	unsigned long long p, n;
	if (!pid || !fds || safe_atou64(pid, &p) < 0 || p != (unsigned long long)getpid() ||
	    safe_atou64(fds, &n) < 0 || n == 0 || n > 1024)
		return 0;
	int closed = first_closed_fd((unsigned)n + a->preserve_fds);
	if (closed > 0) {
		report_error("LISTEN_FDS=%llu: fd %d is not open", n, closed);
		return -1;
	}
	char buf[64];
	snprintf(buf, sizeof(buf), "LISTEN_FDS=%llu", n);
	if (strv_extend(&o->extra_env, buf) < 0 || strv_extend(&o->extra_env, "LISTEN_PID=1") < 0) {
		report_error("out of memory");
		return -1;
	}
	o->preserve_fds += (unsigned)n;
	return 0;
}

int verb_create(const GlobalOptions *g, int argc, char **argv)
{
	CreateArgs a;
	RunError e = {};
	pid_t pid;

	int r = parse_create_args("create", argc, argv, false, &a);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE_ERROR : 0;
	const char *id = single_id("create", argc, argv);
	if (!id)
		return EXIT_USAGE_ERROR;
	CreateOptions o;
	if (create_options(g, &a, &o) < 0)
		return EXIT_USAGE_ERROR;
	r = container_create(g->root, id, &o, &pid, &e);
	strv_free(o.extra_env);
	if (r < 0) {
		report_run_error(r, &e);
		return EXIT_FAILURE_RUNTIME;
	}
	return 0;
}
