/* SPDX-License-Identifier: MIT */
/* lazuli-run: global options, then one verb (create.c, start.c, ...). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "container.h"
#include "log.h"
#include "strutil.h"
#include "userns.h"
#include "verbs.h"

static void help(void)
{
	printf(
	    "Usage: lazuli-run [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
	    "\n"
	    "A hardened OCI container runtime (runtime-spec 1.2), a drop-in for runc.\n"
	    "\n"
	    "Commands:\n"
	    "  create [-b BUNDLE] [--pid-file F] [--console-socket S] [--preserve-fds N]\n"
	    "         [--no-pivot] [--no-new-keyring] ID\n"
	    "                                          set up a container, waiting for start\n"
	    "        --no-pivot        MS_MOVE the rootfs onto / and chroot, not pivot_root\n"
	    "        --no-new-keyring  keep our session keyring (default: a new _ses.ID)\n"
	    "  start ID                                run the process of a created container\n"
	    "  run [-b BUNDLE] [-d] [--keep] [CREATE OPTIONS] ID\n"
	    "                                          create and start; wait unless -d\n"
	    "  exec [OPTIONS] ID COMMAND... | exec -p PROCESS.json ID\n"
	    "                                          run another process in the container\n"
	    "        -d, --detach  -t, --tty  --console-socket S  --pid-file F  --cwd DIR\n"
	    "        -e, --env K=V  -u, --user UID[:GID]  -c, --cap CAP  --no-new-privs\n"
	    "        -g, --additional-gids GID  --preserve-fds N  --apparmor PROFILE\n"
	    "        --process-label LABEL  --cgroup PATH  --ignore-paused\n"
	    "  state ID                                print the container's state as JSON\n"
	    "  kill [-a] ID [SIGNAL]                   signal the container (default TERM)\n"
	    "  delete [-f] ID                          remove a stopped container (-f: any)\n"
	    "  list [-f table|json] [-q]               list containers\n"
	    "  pause ID / resume ID                    freeze / thaw all its processes\n"
	    "  ps [-f table|json] ID                   the container's processes\n"
	    "  update [-r FILE] [--memory N] [--pids-limit N] [--cpu-quota N] [--cpu-period N] ID\n"
	    "                                          change the container's limits\n"
	    "  features                                print the OCI features document\n"
	    "  spec [-b BUNDLE] [--rootless]           write a hardened default config.json\n"
	    "\n"
	    "Global options:\n"
	    "  --root DIR            state directory (default %s;\n"
	    "                        not as root: $XDG_RUNTIME_DIR/lazuli-run)\n"
	    "  --log FILE            also write errors to FILE\n"
	    "  --log-format FORMAT   text or json (for --log)\n"
	    "  --debug               print debug messages\n"
	    "  -h, --help            show this help\n"
	    "  -v, --version         show the version\n"
	    "\n"
	    "Exit status: 0 on success, 1 on any error; run exits with the container's\n"
	    "status (128+N if it was killed by signal N), and so does exec unless -d.\n",
	    DEFAULT_STATE_ROOT);
}

static const struct {
	const char *name;
	int (*fn)(const GlobalOptions *g, int argc, char **argv);
} verbs[] = {
    {"create", verb_create}, {"start", verb_start},	  {"run", verb_run},
    {"state", verb_state},   {"kill", verb_kill},	  {"delete", verb_delete},
    {"list", verb_list},     {"features", verb_features}, {"spec", verb_spec},
    {"pause", verb_pause},   {"resume", verb_resume},	  {"ps", verb_ps},
    {"exec", verb_exec},     {"update", verb_update},
};

/*
 * CVE-2019-5736: a process that puts itself into a container runs our
 * binary there, reachable through /proc/PID/exe; if the container's
 * program is a script whose interpreter is /proc/self/exe, the container
 * even runs our binary by itself. A process in the container can hold it
 * open and, once no process runs it any more, open it for writing and
 * replace the host's runtime. So the verbs that put processes into a
 * container run from a private, detached, read-only mount of our own
 * binary: the same file, but no write can go through that mount, and it
 * is reachable from nowhere else. One extra execve; none if the binary is
 * on a read-only file system already (the image's /usr).
 *
 * Returns only if we already run from a read-only mount, or cannot make one
 * because we lack the privilege (rootless, or root of a user namespace that
 * does not own our mount namespace: the user owns the binary anyway).
 *
 * Not skipped for a container whose user namespace maps neither the
 * binary's owner nor its group, although DAC alone would then refuse its
 * writes: the decision would need the container's maps before anything
 * else runs, and it would also have to rule out ACLs, idmapped mounts in
 * the config, joined user namespaces whose maps we cannot read from the
 * config, and file systems whose server decides permissions (FUSE, NFS).
 * A wrong guess rewrites the host's runtime; the execve costs ~4 ms.
 */
static int reexec_from_readonly_mount(char **argv)
{
	extern char **environ;
	struct statvfs sv;

	_cleanup_close_ int self = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	if (self < 0)
		return negative_errno();
	if (fstatvfs(self, &sv) < 0)
		return negative_errno();
	if (sv.f_flag & ST_RDONLY)
		return 0;
	_cleanup_close_ int tree =
	    open_tree(AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0) {
		if (errno == EPERM && (geteuid() != 0 || running_in_userns()))
			return 0;
		return negative_errno();
	}
	struct mount_attr attr = {
	    .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
	};
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return negative_errno();
	execveat(tree, "", argv, environ, AT_EMPTY_PATH);
	return negative_errno();
}

/*
 * Not as root, the state goes where runc puts it ($XDG_RUNTIME_DIR/runc):
 * the user's own runtime directory, private to them and gone at logout.
 */
static int rootless_default_root(char **ret)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	unsigned uid = (unsigned)geteuid();

	if (isempty(xdg)) {
		report_error("running rootless (uid %u): XDG_RUNTIME_DIR is not set, so there is "
			     "no default state directory; set it or pass --root DIR",
			     uid);
		return -EINVAL;
	}
	if (xdg[0] != '/') {
		report_error("running rootless (uid %u): XDG_RUNTIME_DIR=%s is not an absolute "
			     "path; fix it or pass --root DIR",
			     uid, xdg);
		return -EINVAL;
	}
	if (faccessat(AT_FDCWD, xdg, W_OK | X_OK, AT_EACCESS) < 0) {
		report_error("running rootless (uid %u): XDG_RUNTIME_DIR=%s is not writable (%s); "
			     "fix it or pass --root DIR",
			     uid, xdg, strerror(errno));
		return -EACCES;
	}
	if (asprintf(ret, "%s/lazuli-run", xdg) < 0) {
		report_error("out of memory");
		return -ENOMEM;
	}
	return 0;
}

static bool verb_needs_root_dir(const char *verb)
{
	return !streq(verb, "spec") && !streq(verb, "features");
}

static bool verb_runs_containers(const char *verb)
{
	return streq(verb, "create") || streq(verb, "run") || streq(verb, "exec");
}

int main(int argc, char **argv)
{
	enum { ARG_ROOT = 0x100, ARG_LOG, ARG_LOG_FORMAT, ARG_DEBUG, ARG_SYSTEMD_CGROUP };
	static const struct option options[] = {
	    {"root", required_argument, NULL, ARG_ROOT},
	    {"log", required_argument, NULL, ARG_LOG},
	    {"log-format", required_argument, NULL, ARG_LOG_FORMAT},
	    {"debug", no_argument, NULL, ARG_DEBUG},
	    {"systemd-cgroup", no_argument, NULL, ARG_SYSTEMD_CGROUP},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'v'},
	    {},
	};
	GlobalOptions g = {};
	_cleanup_free_ char *xdg_root = NULL;
	const char *log_path = NULL, *log_format = NULL;
	int c;

	log_set_ident("lazuli-run");
	log_set_max_level(LOG_WARNING);
	while ((c = getopt_long(argc, argv, "+hv", options, NULL)) >= 0) {
		switch (c) {
		case ARG_ROOT:
			g.root = optarg;
			break;
		case ARG_LOG:
			log_path = optarg;
			break;
		case ARG_LOG_FORMAT:
			log_format = optarg;
			break;
		case ARG_DEBUG:
			g.debug = true;
			log_set_max_level(LOG_DEBUG);
			break;
		case ARG_SYSTEMD_CGROUP:
			g.systemd_cgroup = true;
			break;
		case 'h':
			help();
			return 0;
		case 'v':
			printf("lazuli-run version %s\nspec: 1.2.0\n", LAZULI_VERSION);
			return 0;
		default:
			return EXIT_USAGE_ERROR;
		}
	}
	int r = report_setup(log_path, log_format);
	if (r < 0) {
		report_error("--log %s / --log-format %s: %s", strempty(log_path),
			     strempty(log_format), strerror(-r));
		return EXIT_USAGE_ERROR;
	}
	if (g.root && (isempty(g.root) || g.root[0] != '/')) {
		report_error("--root must be an absolute path");
		return EXIT_USAGE_ERROR;
	}
	if (optind >= argc) {
		help();
		return EXIT_USAGE_ERROR;
	}
	const char *verb = argv[optind];
	if (!g.root && geteuid() != 0 && verb_needs_root_dir(verb)) {
		if (rootless_default_root(&xdg_root) < 0)
			return EXIT_FAILURE_RUNTIME;
		g.root = xdg_root;
	}
	if (!g.root)
		g.root = DEFAULT_STATE_ROOT;
	if (verb_runs_containers(verb)) {
		r = reexec_from_readonly_mount(argv);
		if (r < 0) {
			report_error("cannot run from a read-only mount of our own binary "
				     "(CVE-2019-5736 protection): %s",
				     strerror(-r));
			return EXIT_FAILURE_RUNTIME;
		}
	}
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		if (streq(verb, verbs[i].name)) {
			optind++;
			/* Each verb parses its own options from argv[0] = verb. */
			return verbs[i].fn(&g, argc - optind + 1, argv + optind - 1);
		}
	report_error("unknown command \"%s\" (see --help)", verb);
	return EXIT_USAGE_ERROR;
}
