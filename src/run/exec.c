/* SPDX-License-Identifier: MIT */
/* exec: run another process in a running container; wait for it unless --detach. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "strutil.h"
#include "verbs.h"

static int parse_user(const char *s, ExecOptions *o)
{
	unsigned long long uid, gid;
	_cleanup_free_ char *copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	char *colon = strchr(copy, ':');
	if (colon)
		*colon = '\0';
	if (safe_atou64(copy, &uid) < 0 || uid >= UINT32_MAX)
		return -EINVAL;
	if (colon && (safe_atou64(colon + 1, &gid) < 0 || gid >= UINT32_MAX))
		return -EINVAL;
	o->has_user = true;
	o->uid = (uid_t)uid;
	if (colon)
		o->gid = (gid_t)gid;
	o->has_gid = colon != NULL;
	return 0;
}

static int add_gid(const char *s, ExecOptions *o)
{
	unsigned long long gid;
	if (safe_atou64(s, &gid) < 0 || gid >= UINT32_MAX)
		return -EINVAL;
	gid_t *g = reallocarray(o->additional_gids, o->n_additional_gids + 1, sizeof(gid_t));
	if (!g)
		return -ENOMEM;
	g[o->n_additional_gids++] = (gid_t)gid;
	o->additional_gids = g;
	return 0;
}

static void exec_help(void)
{
	printf("Usage: lazuli-run exec [OPTIONS] ID COMMAND [ARG...]\n"
	       "       lazuli-run exec [OPTIONS] -p PROCESS.json ID\n"
	       "\n"
	       "Run another process in a created or running container.\n"
	       "\n"
	       "Options:\n"
	       "  -p, --process FILE       a runtime-spec Process (the options below are ignored)\n"
	       "  -d, --detach             do not wait for the process\n"
	       "  -t, --tty                give it a pty\n"
	       "  --console-socket SOCK    where the pty master goes\n"
	       "  --pid-file FILE          write its host pid to FILE\n"
	       "  --cwd DIR                its working directory\n"
	       "  -e, --env KEY=VALUE      set an environment variable (repeatable)\n"
	       "  -u, --user UID[:GID]     its user and group (numbers)\n"
	       "  -g, --additional-gids GID\n"
	       "                           a supplementary group (repeatable)\n"
	       "  -c, --cap CAP            add a capability (repeatable)\n"
	       "  --no-new-privs           set no_new_privs\n"
	       "  --preserve-fds N         pass fds 3 .. 3+N-1 on\n"
	       "  --apparmor PROFILE       confine it by PROFILE (hosts with AppArmor only)\n"
	       "  --process-label LABEL    its SELinux label (hosts with SELinux only)\n"
	       "  --cgroup [CONTROLLERS:]PATH\n"
	       "                           run it in PATH, an existing sub-cgroup of the\n"
	       "                           container's; on cgroup v1 for the listed\n"
	       "                           controllers only (repeatable)\n"
	       "  --ignore-paused          exec in a paused container too (the process\n"
	       "                           starts when the container is resumed)\n"
	       "  -h, --help               show this help\n");
}

int verb_exec(const GlobalOptions *g, int argc, char **argv)
{
	enum {
		ARG_CONSOLE = 0x100,
		ARG_PID_FILE,
		ARG_CWD,
		ARG_NO_NEW_PRIVS,
		ARG_PRESERVE,
		ARG_APPARMOR,
		ARG_PROCESS_LABEL,
		ARG_CGROUP,
		ARG_IGNORE_PAUSED,
	};
	static const struct option options[] = {
	    {"process", required_argument, NULL, 'p'},
	    {"detach", no_argument, NULL, 'd'},
	    {"tty", no_argument, NULL, 't'},
	    {"console-socket", required_argument, NULL, ARG_CONSOLE},
	    {"pid-file", required_argument, NULL, ARG_PID_FILE},
	    {"cwd", required_argument, NULL, ARG_CWD},
	    {"env", required_argument, NULL, 'e'},
	    {"user", required_argument, NULL, 'u'},
	    {"cap", required_argument, NULL, 'c'},
	    {"no-new-privs", no_argument, NULL, ARG_NO_NEW_PRIVS},
	    {"preserve-fds", required_argument, NULL, ARG_PRESERVE},
	    {"apparmor", required_argument, NULL, ARG_APPARMOR},
	    {"process-label", required_argument, NULL, ARG_PROCESS_LABEL},
	    {"additional-gids", required_argument, NULL, 'g'},
	    {"cgroup", required_argument, NULL, ARG_CGROUP},
	    {"ignore-paused", no_argument, NULL, ARG_IGNORE_PAUSED},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_strv_free_ char **env = NULL, **caps = NULL, **cgroups = NULL;
	_cleanup_free_ gid_t *gids = NULL;
	ExecOptions o = {};
	bool detach = false;
	RunError e = {};
	int c, n;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+p:dte:u:c:g:h", options, NULL)) >= 0) {
		switch (c) {
		case 'p':
			o.process_file = optarg;
			break;
		case 'd':
			detach = true;
			break;
		case 't':
			o.tty = true;
			break;
		case ARG_CONSOLE:
			o.console_socket = optarg;
			break;
		case ARG_PID_FILE:
			o.pid_file = optarg;
			break;
		case ARG_CWD:
			o.cwd = optarg;
			break;
		case 'e':
			if (strv_extend(&env, optarg) < 0)
				return EXIT_FAILURE_RUNTIME;
			break;
		case 'u':
			if (parse_user(optarg, &o) < 0) {
				report_error("exec: --user %s: must be uid[:gid] (numbers)",
					     optarg);
				return EXIT_USAGE_ERROR;
			}
			break;
		case 'c':
			if (strv_extend(&caps, optarg) < 0)
				return EXIT_FAILURE_RUNTIME;
			break;
		case ARG_NO_NEW_PRIVS:
			o.no_new_privs = true;
			break;
		case ARG_PRESERVE:
			n = parse_preserve_fds("exec", optarg);
			if (n < 0)
				return EXIT_USAGE_ERROR;
			o.preserve_fds = (unsigned)n;
			break;
		case 'g': {
			int r = add_gid(optarg, &o);
			gids = o.additional_gids;
			if (r == -ENOMEM)
				return EXIT_FAILURE_RUNTIME;
			if (r < 0) {
				report_error("exec: --additional-gids %s: must be a gid (a number)",
					     optarg);
				return EXIT_USAGE_ERROR;
			}
			break;
		}
		case ARG_APPARMOR:
			o.apparmor_profile = optarg;
			break;
		case ARG_PROCESS_LABEL:
			o.process_label = optarg;
			break;
		case ARG_CGROUP:
			if (strv_extend(&cgroups, optarg) < 0)
				return EXIT_FAILURE_RUNTIME;
			break;
		case ARG_IGNORE_PAUSED:
			o.ignore_paused = true;
			break;
		case 'h':
			exec_help();
			return 0;
		default:
			report_error("exec: unknown option (see --help)");
			return EXIT_USAGE_ERROR;
		}
	}
	if (optind >= argc) {
		report_error("exec: a container id is required");
		return EXIT_USAGE_ERROR;
	}
	const char *id = argv[optind++];
	if (o.process_file && optind < argc) {
		report_error("exec: --process and a command exclude each other");
		return EXIT_USAGE_ERROR;
	}
	if (!o.process_file && optind >= argc) {
		report_error("exec: a command is required (or --process FILE)");
		return EXIT_USAGE_ERROR;
	}
	o.args = argv + optind;
	o.env = env;
	o.caps = caps;
	o.cgroups = cgroups;

	int pty = -EBADF;
	pid_t pid;
	if (!detach && !o.console_socket)
		o.ret_terminal = &pty;
	int r = container_exec(g->root, id, &o, &pid, &e);
	if (r < 0) {
		report_run_error(r, &e);
		return EXIT_FAILURE_RUNTIME;
	}
	if (detach)
		return 0;
	return wait_foreground(pid, pty);
}
