/* SPDX-License-Identifier: MIT */
/*
 * lazuli-initrd: the parts of the initramfs's /init that parse what it is
 * given (the kernel command line, the module table lazuli-mkinitrd wrote,
 * file system superblocks), kept apart from the system calls so that they
 * can be tested on any host.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define INITRD_ARG_MAX 256

enum root_kind {
	ROOT_NONE,
	ROOT_DEVICE, /* root=/dev/NAME */
	ROOT_UUID,   /* root=UUID=..., kept in lower case */
	ROOT_LABEL,  /* root=LABEL=... */
};

struct boot_args {
	enum root_kind root_kind;
	char root[INITRD_ARG_MAX];
	char rootfstype[32];
	char rootflags[INITRD_ARG_MAX];
	char init[INITRD_ARG_MAX];
	bool rw;
	/* Seconds to wait for the root device; -1 waits for ever (rootwait). */
	int rootdelay;
};

#define ROOTDELAY_DEFAULT 60

/* Parses /proc/cmdline. On a value it cannot use, returns -EINVAL and
 * says why in err. */
int boot_args_parse(const char *cmdline, struct boot_args *out, char *err, size_t errlen);

/* What a superblock says about a file system. */
struct fs_info {
	char type[8];  /* the kernel's name: ext4, xfs, btrfs */
	char uuid[37]; /* lower case, with dashes */
	char label[257];
};

/* Bytes from the start of a device that fs_probe() needs to see every file
 * system it knows (btrfs keeps its superblock at 64 KiB). */
#define FS_PROBE_BYTES (0x10000 + 0x1000)

/* 0 and *out filled when buf (the first len bytes of a device) holds a file
 * system it knows, -ENOENT otherwise. */
int fs_probe(const uint8_t *buf, size_t len, struct fs_info *out);

/* Whether the device NAME (as in /dev/NAME) with file system fs (NULL when
 * none was recognised) is the root that args ask for. */
bool root_matches(const struct boot_args *args, const char *name, const struct fs_info *fs);

/*
 * The module table (/lib/modules/initrd.conf in the image):
 *   load NAME MODULE...    the files to load for NAME, dependencies first
 *   alias PATTERN NAME     a device whose modalias matches PATTERN needs NAME
 * '#' starts a comment line.
 */
struct mod_chain {
	char *name;
	char **modules;
	size_t n_modules;
};

struct mod_alias {
	char *pattern;
	size_t literal; /* bytes before the pattern's first wildcard */
	size_t chain;
	unsigned line; /* of the table, for messages */
};

struct mod_table {
	struct mod_chain *chains;
	size_t n_chains;
	struct mod_alias *aliases;
	size_t n_aliases;
};

int mod_table_parse(const char *text, struct mod_table *out, char *err, size_t errlen);
void mod_table_free(struct mod_table *t);

/* Calls found(chain, userdata) for each chain one of whose aliases matches
 * modalias (once per chain). */
void mod_table_match(const struct mod_table *t, const char *modalias,
		     void (*found)(size_t chain, void *userdata), void *userdata);

/* Whether s is a kernel module name (letters, digits, '_' and '-'): a table
 * names files by it, so it never holds a '/'. */
bool module_name_valid(const char *s);
