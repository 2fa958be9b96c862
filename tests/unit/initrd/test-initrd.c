/* SPDX-License-Identifier: MIT */
/* lazuli-initrd's parsers: the kernel command line, superblocks, the module
 * table (initrd.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "initrd.h"
#include "macros.h"

/* ---- kernel command line ------------------------------------------------ */

static void test_cmdline_azure(void **state)
{
	struct boot_args a;
	char err[256] = "";

	(void)state;
	assert_int_equal(
	    boot_args_parse("BOOT_IMAGE=/boot/vmlinuz root=UUID=C7E2A03B-516A-43BE-8B8A-"
			    "1133CCEA1F61 ro console=tty1 console=ttyS0,115200n8\n",
			    &a, err, sizeof(err)),
	    0);
	assert_int_equal(a.root_kind, ROOT_UUID);
	assert_string_equal(a.root, "c7e2a03b-516a-43be-8b8a-1133ccea1f61");
	assert_false(a.rw);
	assert_int_equal(a.rootdelay, ROOTDELAY_DEFAULT);
	assert_string_equal(a.init, "");
	assert_string_equal(a.rootfstype, "");
}

static void test_cmdline_options(void **state)
{
	struct boot_args a;
	char err[256] = "";

	(void)state;
	assert_int_equal(
	    boot_args_parse("root=LABEL=\"my root\" rw rootfstype=xfs rootflags=noatime,"
			    "nobarrier init=/usr/lib/systemd/systemd rootdelay=7",
			    &a, err, sizeof(err)),
	    0);
	assert_int_equal(a.root_kind, ROOT_LABEL);
	assert_string_equal(a.root, "my root");
	assert_true(a.rw);
	assert_string_equal(a.rootfstype, "xfs");
	assert_string_equal(a.rootflags, "noatime,nobarrier");
	assert_string_equal(a.init, "/usr/lib/systemd/systemd");
	assert_int_equal(a.rootdelay, 7);

	assert_int_equal(boot_args_parse("ro root=/dev/sda1 rootwait rw ro", &a, err, sizeof(err)),
			 0);
	assert_int_equal(a.root_kind, ROOT_DEVICE);
	assert_string_equal(a.root, "/dev/sda1");
	assert_false(a.rw); /* the last word wins, as in the kernel */
	assert_int_equal(a.rootdelay, -1);
}

static void expect_error(const char *cmdline, const char *words)
{
	struct boot_args a;
	char err[256] = "";

	assert_int_equal(boot_args_parse(cmdline, &a, err, sizeof(err)), -EINVAL);
	if (!strstr(err, words))
		fail_msg("'%s': error '%s' does not say '%s'", cmdline, err, words);
}

static void test_cmdline_errors(void **state)
{
	(void)state;
	expect_error("console=ttyS0 ro", "no root=");
	expect_error("root=PARTUUID=0868f9f5-59fd-426a-9731-2c71ea107e02",
		     "root=PARTUUID=0868f9f5-59fd-426a-9731-2c71ea107e02 is not supported");
	expect_error("root=UUID=not-a-uuid", "root=UUID=not-a-uuid: not a UUID");
	expect_error("root=UUID=c7e2a03b-516a-43be-8b8a-1133ccea1f6", "not a UUID");
	expect_error("root=LABEL=", "names no label");
	expect_error("root=/dev/../etc/passwd", "is not supported");
	expect_error("root=sda1", "is not supported");
	expect_error("root=/dev/vda2 rootdelay=soon", "rootdelay=soon is not a number");
	expect_error("root=/dev/vda2 rootdelay=-1", "rootdelay=-1");
	expect_error("root=/dev/vda2 init=sbin/init", "init=sbin/init is not an absolute path");

	char long_flags[600] = "root=/dev/vda2 rootflags=";
	memset(long_flags + strlen(long_flags), 'a', 300);
	expect_error(long_flags, "rootflags= is too long");
}

/* ---- superblocks ----------------------------------------------------------- */

static const uint8_t uuid_bytes[16] = {0xc7, 0xe2, 0xa0, 0x3b, 0x51, 0x6a, 0x43, 0xbe,
				       0x8b, 0x8a, 0x11, 0x33, 0xcc, 0xea, 0x1f, 0x61};
static const char uuid_text[] = "c7e2a03b-516a-43be-8b8a-1133ccea1f61";

static uint8_t *blank(void)
{
	uint8_t *b = calloc(1, FS_PROBE_BYTES);

	assert_non_null(b);
	return b;
}

static void test_probe_ext4(void **state)
{
	_cleanup_free_ uint8_t *b = blank();
	struct fs_info fs;

	(void)state;
	b[1024 + 0x38] = 0x53, b[1024 + 0x39] = 0xEF;
	memcpy(b + 1024 + 0x68, uuid_bytes, 16);
	memcpy(b + 1024 + 0x78, "root", 4);
	assert_int_equal(fs_probe(b, FS_PROBE_BYTES, &fs), 0);
	assert_string_equal(fs.type, "ext4");
	assert_string_equal(fs.uuid, uuid_text);
	assert_string_equal(fs.label, "root");

	/* A 16-byte label fills its field with no NUL after it. */
	memcpy(b + 1024 + 0x78, "0123456789abcdef", 16);
	assert_int_equal(fs_probe(b, FS_PROBE_BYTES, &fs), 0);
	assert_string_equal(fs.label, "0123456789abcdef");

	/* A read that ended before the superblock does. */
	assert_int_equal(fs_probe(b, 1024 + 0x40, &fs), -ENOENT);
}

static void test_probe_xfs_btrfs(void **state)
{
	_cleanup_free_ uint8_t *x = blank();
	_cleanup_free_ uint8_t *bt = blank();
	struct fs_info fs;

	(void)state;
	memcpy(x, "XFSB", 4);
	memcpy(x + 32, uuid_bytes, 16);
	memcpy(x + 108, "data", 4);
	assert_int_equal(fs_probe(x, FS_PROBE_BYTES, &fs), 0);
	assert_string_equal(fs.type, "xfs");
	assert_string_equal(fs.uuid, uuid_text);
	assert_string_equal(fs.label, "data");

	memcpy(bt + 0x10000 + 0x40, "_BHRfS_M", 8);
	memcpy(bt + 0x10000 + 0x20, uuid_bytes, 16);
	memcpy(bt + 0x10000 + 0x12b, "pool", 4);
	assert_int_equal(fs_probe(bt, FS_PROBE_BYTES, &fs), 0);
	assert_string_equal(fs.type, "btrfs");
	assert_string_equal(fs.uuid, uuid_text);
	assert_string_equal(fs.label, "pool");
	/* btrfs needs its superblock, 64 KiB in. */
	assert_int_equal(fs_probe(bt, 0x10000, &fs), -ENOENT);
}

static void test_probe_unknown(void **state)
{
	_cleanup_free_ uint8_t *b = blank();
	struct fs_info fs;

	(void)state;
	assert_int_equal(fs_probe(b, FS_PROBE_BYTES, &fs), -ENOENT);
	assert_int_equal(fs_probe(b, 0, &fs), -ENOENT);
	/* ISO 9660 (the provisioning media) is not a root this looks for. */
	memcpy(b + 0x8001, "CD001", 5);
	assert_int_equal(fs_probe(b, FS_PROBE_BYTES, &fs), -ENOENT);
}

static void test_root_matches(void **state)
{
	struct boot_args a;
	struct fs_info fs = {.type = "ext4", .label = "root"};
	char err[256];

	(void)state;
	strcpy(fs.uuid, uuid_text);
	assert_int_equal(
	    boot_args_parse("root=UUID=C7E2A03B516A43BE8B8A1133CCEA1F61", &a, err, sizeof(err)), 0);
	assert_true(root_matches(&a, "vda2", &fs));
	assert_false(root_matches(&a, "vda2", NULL));
	fs.uuid[0] = 'd';
	assert_false(root_matches(&a, "vda2", &fs));

	assert_int_equal(boot_args_parse("root=LABEL=root", &a, err, sizeof(err)), 0);
	assert_true(root_matches(&a, "sda1", &fs));
	assert_int_equal(boot_args_parse("root=LABEL=Root", &a, err, sizeof(err)), 0);
	assert_false(root_matches(&a, "sda1", &fs));

	assert_int_equal(boot_args_parse("root=/dev/nvme0n1p2", &a, err, sizeof(err)), 0);
	assert_true(root_matches(&a, "nvme0n1p2", NULL));
	assert_false(root_matches(&a, "nvme0n1p1", NULL));
}

/* ---- the module table ------------------------------------------------------ */

static const char table_text[] =
    "# lazuli-initrd module table\n"
    "load virtio_blk virtio_blk\n"
    "alias virtio:d00000002v* virtio_blk\n"
    "alias vmbus:4acc9b2f6900f34ab76b6fd0be528cda hv_storvsc\n"
    "\n"
    "load hv_storvsc hv_vmbus scsi_common scsi_mod scsi_transport_fc hv_storvsc\n"
    "load sd_mod scsi_common scsi_mod sd_mod\n"
    "alias scsi:t-0x00* sd_mod\n"
    "alias scsi:t-0x0e* sd_mod\n"
    "alias scsi:t-0x0[0e]* sd_mod\n"
    "load dm-mod dm-mod\n";

struct hits {
	size_t chains[8];
	size_t n;
};

static void record(size_t chain, void *userdata)
{
	struct hits *h = userdata;

	assert_true(h->n < 8);
	h->chains[h->n++] = chain;
}

static void test_table_parse_and_match(void **state)
{
	struct mod_table t;
	struct hits h = {0};
	char err[256] = "";

	(void)state;
	assert_int_equal(mod_table_parse(table_text, &t, err, sizeof(err)), 0);
	assert_int_equal(t.n_chains, 4);
	assert_string_equal(t.chains[1].name, "hv_storvsc");
	assert_int_equal(t.chains[1].n_modules, 5);
	assert_string_equal(t.chains[1].modules[0], "hv_vmbus");
	assert_string_equal(t.chains[1].modules[4], "hv_storvsc");

	mod_table_match(&t, "virtio:d00000002v00001AF4", record, &h);
	assert_int_equal(h.n, 1);
	assert_string_equal(t.chains[h.chains[0]].name, "virtio_blk");

	/* The alias that came before its load line counts too. */
	h.n = 0;
	mod_table_match(&t, "vmbus:4acc9b2f6900f34ab76b6fd0be528cda", record, &h);
	assert_int_equal(h.n, 1);
	assert_string_equal(t.chains[h.chains[0]].name, "hv_storvsc");

	/* Two of sd_mod's aliases match a disk: it is reported once. */
	h.n = 0;
	mod_table_match(&t, "scsi:t-0x00", record, &h);
	assert_int_equal(h.n, 1);
	assert_string_equal(t.chains[h.chains[0]].name, "sd_mod");

	h.n = 0;
	mod_table_match(&t, "scsi:t-0x05", record, &h);
	mod_table_match(&t, "pci:v00001AF4d00001042sv00001AF4sd00001100bc01sc00i00", record, &h);
	mod_table_match(&t, "", record, &h);
	assert_int_equal(h.n, 0);
	mod_table_free(&t);
	assert_int_equal(t.n_chains, 0);
}

static void expect_table_error(const char *text, const char *words)
{
	struct mod_table t;
	char err[256] = "";

	assert_int_equal(mod_table_parse(text, &t, err, sizeof(err)), -EINVAL);
	if (!strstr(err, words))
		fail_msg("table error '%s' does not say '%s'", err, words);
	assert_int_equal(t.n_chains, 0);
	assert_int_equal(t.n_aliases, 0);
}

static void test_table_errors(void **state)
{
	(void)state;
	expect_table_error("load virtio_blk virtio_blk\nmodule x\n",
			   "line 2: unknown keyword 'module'");
	expect_table_error("load sd_mod\n", "line 1: 'load' needs a name and its modules");
	expect_table_error("load sd_mod scsi_mod\n",
			   "line 1: the modules for sd_mod do not end with it");
	expect_table_error("load x ../../etc/x x\n", "line 1: '../../etc/x' is not a module name");
	expect_table_error("load x x\nload x x\n", "line 2: x is loaded twice");
	expect_table_error("alias pci:* ahci\n",
			   "line 1: alias for ahci, which no 'load' line names");
	expect_table_error("load a a\nalias pci:*\n",
			   "line 2: 'alias' needs a pattern and a module");
	expect_table_error("load a a\nalias pci:* a/b\n", "line 2: 'a/b' is not a module name");
	expect_table_error(
	    "load a b c d e f g h i j k l m n o p q r s t u v w x y z aa bb cc dd ee ff gg a\n",
	    "line 1: more than 32 modules for a");
}

static void test_module_names(void **state)
{
	(void)state;
	assert_true(module_name_valid("hv_storvsc"));
	assert_true(module_name_valid("dm-mod"));
	assert_false(module_name_valid(""));
	assert_false(module_name_valid("a/b"));
	assert_false(module_name_valid(".."));
	assert_false(module_name_valid("x y"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cmdline_azure),   cmocka_unit_test(test_cmdline_options),
	    cmocka_unit_test(test_cmdline_errors),  cmocka_unit_test(test_probe_ext4),
	    cmocka_unit_test(test_probe_xfs_btrfs), cmocka_unit_test(test_probe_unknown),
	    cmocka_unit_test(test_root_matches),    cmocka_unit_test(test_table_parse_and_match),
	    cmocka_unit_test(test_table_errors),    cmocka_unit_test(test_module_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
