/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The individual provisioning steps of lazuli-init. Each works on the real
 * filesystem paths (/etc, /home, ...); tests run them inside a private mount
 * and UTS namespace with their own /etc and /home. None of these prints to
 * stdout or exits; errors are negative errno with a reason in err that is
 * safe to put in a health report (it never contains a secret).
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "time-util.h"

/* ---- vm_id (vmid.c) -------------------------------------------------- */

/*
 * Read the VM id from <sysroot>/sys/class/dmi/id/product_uuid (trimmed,
 * lower-cased, validated as a UUID). If neither <sysroot>/sys/firmware/efi
 * nor <sysroot>/dev/efi exists (Gen1 VM), the first three fields are byte
 * swapped. sysroot is "" or "/" normally; tests pass a fixture directory.
 */
int vmid_read(const char *sysroot, char ret[37], char *err, size_t errlen);
/* Byte-swap the first three fields of a canonical UUID string (Gen1 rule). */
int vmid_swap_gen1(const char *in, char out[37]);

/* ---- OVF provisioning media (ovf.c, media.c) ------------------------- */

typedef struct OvfEnv {
	char *hostname;
	char *username;
	char *password;		       /* secret; NULL when absent or empty */
	int disable_ssh_password_auth; /* -1 unset, 0, 1 */
	char **ssh_keys;	       /* PublicKey/Value, NULL-terminated; may be NULL */
	unsigned char *custom_data;    /* decoded CustomData (or UserData); secret */
	size_t custom_data_len;
	char *pps_type; /* PreprovisionedVMType or NULL */
	bool preprovisioned_vm;
	bool provision_guest_proxy_agent;
} OvfEnv;

/*
 * Parse ovf-env.xml (namespace prefixes ignored). -ENOMEDIUM when it has no
 * ProvisioningSection (not Azure); -EBADMSG for malformed XML, a DOCTYPE,
 * duplicate elements, a password over 72 bytes, bad base64 CustomData (over
 * 64 KiB decoded), a missing LinuxProvisioningConfigurationSet/HostName.
 */
int ovf_parse(const char *xml, size_t len, OvfEnv *ret, char *err, size_t errlen);
void ovf_env_done(OvfEnv *o);
/* The same document with UserPassword's text replaced by "REDACTED". */
int ovf_redact(const char *xml, size_t len, char **ret, size_t *ret_len);

/*
 * Find and read ovf-env.xml. If path_override is set (config Ovf.Path: a
 * file, or a directory holding ovf-env.xml) read that. Otherwise look for an
 * iso9660/udf block device (/dev/sr0 and friends), mount it read-only at
 * /run/lazuli-init/media (0700), read ovf-env.xml, unmount (always, also on
 * error). -ENOENT when there is no media. The file is capped at 1 MiB.
 */
int ovf_media_read(const char *path_override, char **ret, size_t *ret_len, char *err,
		   size_t errlen);

/* ---- hostname (hostname.c) ------------------------------------------- */

/* RFC 1123: labels 1-63 of [A-Za-z0-9-], not starting/ending with '-', total <= 64 (Azure Linux
 * limit). */
bool hostname_is_valid(const char *name);
/*
 * sethostname() and atomically rewrite /etc/hostname (sysroot-relative
 * path etc_hostname, normally "/etc/hostname").
 */
int hostname_apply(const char *name, const char *etc_hostname, char *err, size_t errlen);
/*
 * Re-announce the new name over DHCP so Azure DNS learns it: runs
 * `<networkctl> reconfigure IFACE...` for every link systemd-networkd manages
 * (from /run/systemd/netif/links), when that directory exists. Returns 0 if
 * nothing needed doing. networkctl is a path (tests pass a fake).
 */
int hostname_publish(const char *networkctl, char *err, size_t errlen);
/*
 * hostname_publish() in two halves, so that the DHCP renewal overlaps the
 * next steps: _start forks networkctl and returns the number of links (0:
 * nothing to do, P->pid stays -1); _wait reaps it (killing it after 10 s
 * from the start) and returns what hostname_publish() would. _wait on a P
 * with nothing running returns 0.
 */
typedef struct HostnamePublish {
	pid_t pid;
	size_t links;
	usec_t deadline;
	char exe[256];
} HostnamePublish;
int hostname_publish_start(const char *networkctl, HostnamePublish *p, char *err, size_t errlen);
int hostname_publish_wait(HostnamePublish *p, char *err, size_t errlen);

/* ---- user (user.c) --------------------------------------------------- */

/*
 * Linux user name rules: ^[a-z_][a-z0-9_-]{0,31}$ (no leading '-', no
 * trailing '$' needed), not a reserved name (root, admin, administrator,
 * user, test, guest, sys, bin, daemon, ...), and not an existing system
 * account (uid < 1000) other than when it is already the provisioned user.
 */
int username_validate(const char *name, char *err, size_t errlen);

typedef struct UserSpec {
	const char *name;
	char *const *groups;	  /* supplementary groups (only existing ones are used) */
	const char *password;	  /* secret plaintext or NULL: locked */
	const char *shell;	  /* NULL: /bin/bash if it exists, else /bin/sh */
	const char *sudoers_path; /* e.g. /etc/sudoers.d/90-lazuli-init */
	const char *visudo;	  /* path of visudo, NULL: "visudo" */
} UserSpec;

/*
 * Create the user with useradd (or add missing groups to an existing one),
 * home created 0700; set the password from a SHA-512 crypt hash (16-char
 * salt from getrandom, applied with `usermod -p` never: chpasswd -e on
 * stdin) or lock it with `passwd -l`; write the sudoers fragment
 * "<name> ALL=(ALL) NOPASSWD: ALL" (or without NOPASSWD when a password was
 * given) atomically, 0440, after `visudo -cf` accepted the temp file.
 * Fills uid/gid/home of the user.
 */
int user_provision(const UserSpec *spec, uid_t *ret_uid, gid_t *ret_gid, char **ret_home, char *err,
		   size_t errlen);

/*
 * Write spec->sudoers_path as described above (visudo-checked, 0440). Kept
 * separate so provisioning can grant sudo only once everything else worked.
 */
int user_grant_sudo(const UserSpec *spec, char *err, size_t errlen);

/* SHA-512 crypt ($6$) hash of a password with a fresh random salt. */
int password_hash_sha512(const char *password, char **ret);

/* ---- SSH (ssh.c) ----------------------------------------------------- */

/*
 * Validate one OpenSSH public key line: "<type> <base64> [comment]" with a
 * known type (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521,
 * sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com), base64
 * that decodes and whose embedded type matches, no options prefix, no
 * control characters. A trailing CR/LF is stripped into *ret. Max 16 KiB.
 */
int ssh_key_sanitize(const char *in, char **ret, char *err, size_t errlen);

/* What sshd's configuration says for one user. */
typedef struct SshdSettings {
	char *authorized_keys_file; /* first entry, tokens unexpanded; "none"; NULL: not said */
	int password_auth;	    /* PasswordAuthentication: 1 yes, 0 no, -1 not said */
} SshdSettings;

/*
 * Ask sshd (`<sshd> -T -C user=...`, else `<sshd> -G`) once for both. An
 * sshd that cannot say leaves both unset.
 */
void sshd_query(const char *sshd, const char *user, SshdSettings *ret);
void sshd_settings_done(SshdSettings *s);

/*
 * The AuthorizedKeysFile of sshd for user (from sshd_query()), first entry,
 * with %h, %u, %% expanded and relative paths taken from home.
 * Falls back to "%h/.ssh/authorized_keys" if sshd cannot say. The result
 * must lie inside home (-EPERM otherwise, e.g. a global key file).
 */
int ssh_authorized_keys_path(const SshdSettings *sshd, const char *user, const char *home,
			     char **ret, char *err, size_t errlen);

/*
 * Write keys (already sanitized) to path inside home: every component
 * below home is opened with O_NOFOLLOW (openat walk); missing directories
 * are created 0700 owned by uid/gid; the file is written atomically 0600
 * owned by uid/gid. Existing keys in the file are kept (deduplicated).
 */
int ssh_write_authorized_keys(const char *home, const char *path, char *const *keys, uid_t uid,
			      gid_t gid, char *err, size_t errlen);

/*
 * Write the sshd drop-in (dropin_dir/50-lazuli-init.conf, 0644, atomic):
 * "PasswordAuthentication no|yes". If dropin_dir does not exist, nothing is
 * written and -ENOENT returned. Then reload sshd if it is running (SIGHUP to
 * the pid in pidfile, when that process exists and is sshd).
 * Returns 1 if sshd was reloaded, 0 if not running.
 */
int sshd_set_password_auth(const char *dropin_dir, bool enabled, const char *pidfile, char *err,
			   size_t errlen);

/*
 * Make the sshd of a systemd unit use the configuration on disk: wait
 * (up to timeout) while the unit is activating or reloading, then
 * `<systemctl> reload <unit>` if it is active. Returns 1 if reloaded, 0 if
 * the unit is not running (it reads the file when it starts), negative
 * with err set otherwise.
 */
int sshd_reload_unit(const char *systemctl, const char *unit, usec_t timeout, char *err,
		     size_t errlen);
