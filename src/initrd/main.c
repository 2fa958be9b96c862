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
#include <poll.h>
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

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- drivers ---------------------------------------------------------- */

/*
 * A child process loads the drivers while /init waits for the root, so
 * that the root is mounted as soon as the OS disk's driver has found it and
 * not after every other driver in the table: AHCI's and IDE's port probes
 * (the provisioning CD-ROM) take a second under emulation, and finit_module()
 * returns only once they are done. The child goes on beside the real
 * root's init until that has started, then loads what the devices there by
 * then still need and exits: init reaps it. It holds every module file
 * and /sys open from the start, since /init empties the initramfs and moves
 * /sys before it starts init.
 */
struct loader {
	struct mod_table table;
	int **fds;	  /* per chain, per module: the open module file, or -errno */
	bool *chain_done; /* loaded, or tried */
	char **seen;	  /* "bus/device" whose modalias was matched already */
	size_t n_seen;
	int sysfd;
	char loaded[256]; /* the chains loaded, for the closing message */
};

static bool module_present(const struct loader *l, const char *name)
{
	char path[128];

	/* /sys/module lists loaded and built-in modules, with '-' as '_'. */
	snprintf(path, sizeof(path), "module/%s", name);
	for (char *c = path + 7; *c; c++)
		if (*c == '-')
			*c = '_';
	return faccessat(l->sysfd, path, F_OK, 0) == 0;
}

/* Opens every module of the table; those that will not open are reported
 * when they are wanted. */
static int open_modules(struct loader *l)
{
	l->fds = calloc(l->table.n_chains + 1, sizeof(*l->fds));
	if (!l->fds)
		return -ENOMEM;
	for (size_t c = 0; c < l->table.n_chains; c++) {
		const struct mod_chain *ch = &l->table.chains[c];

		l->fds[c] = calloc(ch->n_modules + 1, sizeof(int));
		if (!l->fds[c])
			return -ENOMEM;
		for (size_t i = 0; i < ch->n_modules; i++) {
			char path[128];

			snprintf(path, sizeof(path), MODULE_DIR "/%s.ko", ch->modules[i]);
			l->fds[c][i] = open(path, O_RDONLY | O_CLOEXEC);
			if (l->fds[c][i] < 0)
				l->fds[c][i] = -errno;
		}
	}
	return 0;
}

static void load_chain(struct loader *l, size_t chain)
{
	const struct mod_chain *c = &l->table.chains[chain];
	size_t len = strlen(l->loaded);

	if (l->chain_done[chain])
		return;
	l->chain_done[chain] = true;
	for (size_t i = 0; i < c->n_modules; i++) {
		int r = l->fds[chain][i];

		if (module_present(l, c->modules[i]))
			continue;
		if (r >= 0)
			r = syscall(SYS_finit_module, r, "", 0) < 0 && errno != EEXIST ? -errno : 0;
		if (r < 0) {
			/* The device stays without a driver here; the real root's
			 * udev tries again. */
			say("cannot load %s (for %s): %s", c->modules[i], c->name, strerror(-r));
			return;
		}
	}
	snprintf(l->loaded + len, sizeof(l->loaded) - len, "%s%s", len ? " " : "", c->name);
}

static void want_chain(size_t chain, void *userdata)
{
	bool *wanted = userdata;

	wanted[chain] = true;
}

static bool seen_before(struct loader *l, const char *key)
{
	char **p;

	for (size_t i = 0; i < l->n_seen; i++)
		if (strcmp(l->seen[i], key) == 0)
			return true;
	p = realloc(l->seen, (l->n_seen + 1) * sizeof(*l->seen));
	if (!p)
		return false;
	l->seen = p;
	l->seen[l->n_seen] = strdup(key);
	if (l->seen[l->n_seen])
		l->n_seen++;
	return false;
}

/* Marks the chains that the devices of one bus not seen before need. */
static void scan_bus(struct loader *l, const char *bus, bool *wanted)
{
	char path[320];
	int fd;
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "bus/%s/devices", bus);
	fd = openat(l->sysfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d))) {
		char alias[512], key[320];
		_cleanup_close_ int afd = -EBADF;
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/modalias", e->d_name);
		afd = openat(fd, path, O_RDONLY | O_CLOEXEC);
		if (afd < 0 || (n = read(afd, alias, sizeof(alias) - 1)) <= 0)
			continue;
		alias[n] = '\0';
		alias[strcspn(alias, "\n")] = '\0';
		snprintf(key, sizeof(key), "%s/%s", bus, e->d_name);
		if (!seen_before(l, key))
			mod_table_match(&l->table, alias, want_chain, wanted);
	}
	closedir(d);
}

/* Loads the drivers of the devices that appeared since the last call, in
 * the order of the table. */
static void load_drivers(struct loader *l)
{
	_cleanup_free_ bool *wanted = calloc(l->table.n_chains + 1, sizeof(bool));
	int fd = openat(l->sysfd, "bus", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while (wanted && (e = readdir(d)))
		if (e->d_name[0] != '.')
			scan_bus(l, e->d_name, wanted);
	closedir(d);
	for (size_t c = 0; wanted && c < l->table.n_chains; c++)
		if (wanted[c])
			load_chain(l, c);
}

/* A driver of no device (no alias names it) is wanted at every boot. */
static void load_unaliased(struct loader *l)
{
	for (size_t c = 0; c < l->table.n_chains; c++) {
		bool aliased = false;

		for (size_t i = 0; i < l->table.n_aliases && !aliased; i++)
			aliased = l->table.aliases[i].chain == c;
		if (!aliased)
			load_chain(l, c);
	}
}

/* The child: loads drivers as devices appear until init has started (the
 * pipe's write end, close-on-exec in /init, reads as closed), once more
 * then, and exits. */
_noreturn_ static void driver_loader(struct loader *l, int handover, int limit_s)
{
	double end = limit_s < 0 ? -1 : now() + limit_s;
	bool started = false;

	load_unaliased(l);
	while (!started && (end < 0 || now() < end)) {
		struct pollfd p = {.fd = handover, .events = POLLIN};

		load_drivers(l);
		started = poll(&p, 1, POLL_NS / 1000000) > 0;
	}
	load_drivers(l);
	if (l->loaded[0])
		say("drivers loaded: %s", l->loaded);
	_exit(0);
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
	int handover[2];
	pid_t child;
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
	loader.sysfd = open("/sys", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!loader.chain_done || !probe || open_modules(&loader) < 0)
		die("out of memory");
	if (loader.sysfd < 0)
		die("cannot open /sys: %m");

	/* The pipe's write end closes when init starts (close-on-exec). */
	start = now();
	deadline = args.rootdelay < 0 ? -1 : start + args.rootdelay;
	if (pipe2(handover, O_CLOEXEC) < 0)
		die("cannot make a pipe: %m");
	child = fork();
	if (child == 0) {
		close(handover[1]);
		driver_loader(&loader, handover[0], args.rootdelay < 0 ? -1 : args.rootdelay);
	}
	close(handover[0]);
	if (child < 0) {
		say("cannot start the driver loader (%m): loading drivers before the root");
		load_unaliased(&loader);
	}

	for (;;) {
		if (child < 0)
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
	if (child < 0)
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
