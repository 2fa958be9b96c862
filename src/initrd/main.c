/* SPDX-License-Identifier: MIT */
/*
 * lazuli-initrd's /init: loads the drivers of the devices present from the
 * module table lazuli-mkinitrd wrote, waits for the root file system named
 * on the kernel command line, mounts it and hands over to its init. No
 * shell, no udev: the real root's udev handles every device again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "initrd.h"
#include "macros.h"

#define TABLE_PATH "/lib/modules/initrd.conf"
#define MODULE_DIR "/lib/modules"
#define NEWROOT "/root"
#define TABLE_MAX (16 * 1024 * 1024)
#define POLL_NS (10 * 1000 * 1000)

extern char **environ;

_printf_(1, 0) static void vsay(const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	dprintf(STDERR_FILENO, "lazuli-initrd: %s\n", buf);
}

_printf_(1, 2) static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

/* PID 1 exiting panics the kernel, which shows the message and reboots as
 * panic= says. */
_printf_(1, 2) _noreturn_ static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	exit(1);
}

/* Reads a small file into buf; the length, or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

/* ---- drivers ---------------------------------------------------------- */

struct loader {
	struct mod_table table;
	bool *chain_done;
	char **seen; /* modalias files already matched */
	size_t n_seen;
};

static bool module_present(const char *name)
{
	char path[128];

	/* /sys/module lists loaded and built-in modules, with '-' as '_'. */
	snprintf(path, sizeof(path), "/sys/module/%s", name);
	for (char *c = path + 12; *c; c++)
		if (*c == '-')
			*c = '_';
	return access(path, F_OK) == 0;
}

static int load_module(const char *name)
{
	char path[128];
	_cleanup_close_ int fd = -EBADF;

	if (module_present(name))
		return 0;
	snprintf(path, sizeof(path), MODULE_DIR "/%s.ko", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static void load_chain(struct loader *l, size_t chain)
{
	const struct mod_chain *c = &l->table.chains[chain];

	if (l->chain_done[chain])
		return;
	l->chain_done[chain] = true;
	for (size_t i = 0; i < c->n_modules; i++) {
		int r = load_module(c->modules[i]);
		if (r < 0) {
			/* The device stays without a driver here; the real root's
			 * udev tries again. */
			say("cannot load %s (for %s): %s", c->modules[i], c->name, strerror(-r));
			return;
		}
	}
}

static void want_chain(size_t chain, void *userdata)
{
	bool *wanted = userdata;

	wanted[chain] = true;
}

static bool seen_before(struct loader *l, const char *path)
{
	char **p;

	for (size_t i = 0; i < l->n_seen; i++)
		if (strcmp(l->seen[i], path) == 0)
			return true;
	p = realloc(l->seen, (l->n_seen + 1) * sizeof(*l->seen));
	if (!p)
		return false;
	l->seen = p;
	l->seen[l->n_seen] = strdup(path);
	if (l->seen[l->n_seen])
		l->n_seen++;
	return false;
}

/* Loads the drivers of the devices that appeared since the last call, in
 * the order of the table (the OS disk's first: a controller that probes
 * slowly, such as AHCI's, does not hold up the root). */
static void load_drivers(struct loader *l)
{
	_cleanup_free_ bool *wanted = NULL;
	glob_t g;

	if (l->table.n_chains == 0 || glob("/sys/bus/*/devices/*/modalias", 0, NULL, &g) != 0)
		return;
	wanted = calloc(l->table.n_chains, sizeof(bool));
	for (size_t i = 0; wanted && i < g.gl_pathc; i++) {
		char alias[512];

		if (seen_before(l, g.gl_pathv[i]) ||
		    read_small(g.gl_pathv[i], alias, sizeof(alias)) <= 0)
			continue;
		alias[strcspn(alias, "\n")] = '\0';
		mod_table_match(&l->table, alias, want_chain, wanted);
	}
	globfree(&g);
	for (size_t c = 0; wanted && c < l->table.n_chains; c++)
		if (wanted[c])
			load_chain(l, c);
}

/* ---- the root device ---------------------------------------------------- */

struct probed {
	char name[64];
	char type[8];
	char uuid[37];
};

/* Looks through the block devices once; the name of the root's in found. */
static bool find_root(const struct boot_args *args, uint8_t buf[static FS_PROBE_BYTES],
		      char found[64], struct fs_info *fs, struct probed **probed, size_t *n_probed)
{
	DIR *d = opendir("/sys/class/block");
	struct dirent *e;
	bool ok = false;

	if (!d)
		return false;
	while (!ok && (e = readdir(d))) {
		char path[128], size[32];
		struct fs_info info;
		bool known = false, have_fs;
		ssize_t n;

		if (e->d_name[0] == '.' || strlen(e->d_name) >= 64)
			continue;
		/* A device's file system does not change while we wait. */
		for (size_t i = 0; i < *n_probed && !known; i++)
			known = strcmp((*probed)[i].name, e->d_name) == 0;
		if (known ||
		    (args->root_kind == ROOT_DEVICE && !root_matches(args, e->d_name, NULL)))
			continue;
		snprintf(path, sizeof(path), "/sys/class/block/%s/size", e->d_name);
		if (read_small(path, size, sizeof(size)) <= 0 || strtoull(size, NULL, 10) == 0)
			continue; /* no medium (yet) */
		snprintf(path, sizeof(path), "/dev/%s", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue;
		n = pread(fd, buf, FS_PROBE_BYTES, 0);
		close(fd);
		if (n < 0)
			continue;
		have_fs = fs_probe(buf, (size_t)n, &info) == 0;
		struct probed *p = realloc(*probed, (*n_probed + 1) * sizeof(**probed));
		if (p) {
			*probed = p;
			p += *n_probed;
			*p = (struct probed){0};
			snprintf(p->name, sizeof(p->name), "%s", e->d_name);
			if (have_fs) {
				memcpy(p->type, info.type, sizeof(p->type));
				memcpy(p->uuid, info.uuid, sizeof(p->uuid));
			}
			(*n_probed)++;
		}
		if (root_matches(args, e->d_name, have_fs ? &info : NULL)) {
			snprintf(found, 64, "%s", e->d_name);
			*fs = have_fs ? info : (struct fs_info){0};
			ok = true;
		}
	}
	closedir(d);
	return ok;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *root_text(const struct boot_args *a)
{
	static char buf[INITRD_ARG_MAX + 8];

	snprintf(buf, sizeof(buf), "%s%s",
		 a->root_kind == ROOT_UUID    ? "UUID="
		 : a->root_kind == ROOT_LABEL ? "LABEL="
					      : "",
		 a->root);
	return buf;
}

/* ---- switching root -------------------------------------------------------- */

/* Empties the initramfs (it stays in memory otherwise), without crossing
 * into anything mounted on it. */
static void remove_tree(int dirfd, dev_t dev)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;

	if (!d) {
		close(dirfd);
		return;
	}
	while ((e = readdir(d))) {
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int fd = openat(dirfd, e->d_name,
					O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			if (fd >= 0)
				remove_tree(fd, dev);
			(void)unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
		} else {
			(void)unlinkat(dirfd, e->d_name, 0);
		}
	}
	closedir(d);
}

static void mount_api(const char *type, const char *where, unsigned long flags, const char *data)
{
	if (mount(type, where, type, flags, data) < 0 && errno != EBUSY)
		die("cannot mount %s on %s: %m", type, where);
}

int main(int argc, char *argv[])
{
	struct boot_args args;
	struct loader loader = {0};
	struct fs_info fs = {0};
	struct probed *probed = NULL;
	size_t n_probed = 0;
	char cmdline[4096], err[256], root[64], dev[80];
	const char *init, *fstype;
	_cleanup_free_ char *table = NULL;
	_cleanup_free_ uint8_t *probe = NULL;
	double start, deadline;
	struct stat st;
	int r;

	(void)argc;
	mount_api("devtmpfs", "/dev", MS_NOSUID, "mode=0755");
	mount_api("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_api("sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);

	if (read_small("/proc/cmdline", cmdline, sizeof(cmdline)) < 0)
		die("cannot read /proc/cmdline: %m");
	if (boot_args_parse(cmdline, &args, err, sizeof(err)) < 0)
		die("%s", err);

	r = read_full_file(TABLE_PATH, TABLE_MAX, &table, NULL);
	if (r < 0)
		say("cannot read the module table %s: %s: loading no drivers", TABLE_PATH,
		    strerror(-r));
	else if ((r = mod_table_parse(table, &loader.table, err, sizeof(err))) < 0)
		say("%s: %s: loading no drivers", TABLE_PATH, r == -ENOMEM ? "out of memory" : err);
	loader.chain_done = calloc(loader.table.n_chains + 1, sizeof(bool));
	probe = malloc(FS_PROBE_BYTES);
	if (!loader.chain_done || !probe)
		die("out of memory");

	/* A driver of no device (no alias names it) is wanted at every boot. */
	for (size_t c = 0; c < loader.table.n_chains; c++) {
		bool aliased = false;

		for (size_t i = 0; i < loader.table.n_aliases && !aliased; i++)
			aliased = loader.table.aliases[i].chain == c;
		if (!aliased)
			load_chain(&loader, c);
	}

	/* Drivers load as their devices appear (a disk behind a SCSI or VMBus
	 * controller appears only once the controller's driver runs). */
	start = now();
	deadline = args.rootdelay < 0 ? -1 : start + args.rootdelay;
	for (;;) {
		load_drivers(&loader);
		if (find_root(&args, probe, root, &fs, &probed, &n_probed))
			break;
		if (deadline >= 0 && now() > deadline) {
			say("the root file system %s did not appear within %d s (rootdelay=)",
			    root_text(&args), args.rootdelay);
			say("block devices seen, with the file systems on them:%s",
			    n_probed ? "" : " none");
			for (size_t i = 0; i < n_probed; i++)
				say("  /dev/%s %s%s%s", probed[i].name,
				    probed[i].type[0] ? probed[i].type : "(none known)",
				    probed[i].uuid[0] ? " UUID=" : "", probed[i].uuid);
			die("cannot mount the root file system");
		}
		nanosleep(&(struct timespec){.tv_nsec = POLL_NS}, NULL);
	}
	/* The NIC's driver too, when its device came after the disk's. */
	load_drivers(&loader);

	fstype = args.rootfstype[0] ? args.rootfstype : fs.type;
	snprintf(dev, sizeof(dev), "/dev/%s", root);
	if (!fstype[0])
		die("cannot tell the file system on %s: name it with rootfstype=", dev);
	if (mount(dev, NEWROOT, fstype, args.rw ? 0 : MS_RDONLY,
		  args.rootflags[0] ? args.rootflags : NULL) < 0)
		die("cannot mount %s (%s) on " NEWROOT ": %m", dev, fstype);
	say("root %s (%s, %s) after %.2f s", dev, fstype, args.rw ? "rw" : "ro", now() - start);

	init = args.init[0] ? args.init : "/sbin/init";
	{
		char path[INITRD_ARG_MAX + 8];

		snprintf(path, sizeof(path), NEWROOT "%s", init);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
			die("%s on %s is not an executable file", init, dev);
	}
	if (mount("/dev", NEWROOT "/dev", NULL, MS_MOVE, NULL) < 0 ||
	    mount("/proc", NEWROOT "/proc", NULL, MS_MOVE, NULL) < 0 ||
	    mount("/sys", NEWROOT "/sys", NULL, MS_MOVE, NULL) < 0)
		die("cannot move /dev, /proc and /sys to the root file system: %m");

	if (stat("/", &st) == 0) {
		int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			remove_tree(fd, st.st_dev);
	}
	if (chdir(NEWROOT) < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0)
		die("cannot switch to the root file system: %m");

	/* The kernel's words for init (single, emergency, ...) follow. */
	argv[0] = (char *)init;
	execve(init, argv, environ);
	die("cannot run %s: %m", init);
}
