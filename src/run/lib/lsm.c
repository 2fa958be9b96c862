/* SPDX-License-Identifier: MIT */
/*
 * AppArmor profiles and SELinux labels (process.apparmorProfile,
 * process.selinuxLabel, linux.mountLabel). Both LSMs take the label of the
 * next program through the thread's attr files in /proc; the kernel applies
 * it at execve(2), so what runs in the container is confined from its first
 * instruction and the runtime's own code never is.
 */
#include "lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "macros.h"
#include "strutil.h"

bool lsm_apparmor_enabled(void)
{
	char buf[8];
	return access("/sys/kernel/security/apparmor", F_OK) == 0 &&
	       read_small_file("/sys/module/apparmor/parameters/enabled", buf, sizeof(buf)) >= 0 &&
	       buf[0] == 'Y';
}

bool lsm_selinux_enabled(void)
{
	struct statfs sf;
	return statfs("/sys/fs/selinux", &sf) == 0 && (uint32_t)sf.f_type == SELINUX_MAGIC;
}

/* config.json's names of the two, for messages. */
static const char *const config_names[2] = {"process.apparmorProfile", "process.selinuxLabel"};

int lsm_check(const RunConfig *cfg, const char *const *names, RunError *e)
{
	const char *what_apparmor = (names ? names : config_names)[0];
	const char *what_selinux = (names ? names : config_names)[1];

	if (cfg->apparmor_profile && !lsm_apparmor_enabled())
		return run_error(e, -EOPNOTSUPP, "%s %s: AppArmor is not enabled on this host",
				 what_apparmor, cfg->apparmor_profile);
	if (cfg->selinux_label && !lsm_selinux_enabled())
		return run_error(e, -EOPNOTSUPP, "%s %s: SELinux is not enabled on this host",
				 what_selinux, cfg->selinux_label);
	return 0;
}

int lsm_apply(const RunConfig *cfg, const char *const *names, RunError *e)
{
	const char *what_apparmor = (names ? names : config_names)[0];
	const char *what_selinux = (names ? names : config_names)[1];
	if (!cfg->apparmor_profile && !cfg->selinux_label)
		return 0;
	_cleanup_close_ int attr = open("/proc/thread-self/attr", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct statfs sf;
	if (attr < 0 || fstatfs(attr, &sf) < 0)
		return run_error(e, errno, "%s: /proc/thread-self/attr: %m",
				 cfg->apparmor_profile ? what_apparmor : what_selinux);
	if ((uint32_t)sf.f_type != PROC_SUPER_MAGIC)
		return run_error(e, -EXDEV, "%s: /proc/thread-self/attr is not on procfs",
				 cfg->apparmor_profile ? what_apparmor : what_selinux);

	if (cfg->apparmor_profile) {
		_cleanup_free_ char *v = NULL;
		if (asprintf(&v, "exec %s", cfg->apparmor_profile) < 0)
			return -ENOMEM;
		/*
		 * attr/apparmor/exec since Linux 5.8, the shared attr/exec before.
		 * Either answers ENOENT for a profile that is not loaded.
		 */
		bool own = faccessat(attr, "apparmor", F_OK, 0) == 0;
		int r = write_file_at(attr, own ? "apparmor/exec" : "exec", v);
		if (r == -ENOENT)
			return run_error(e, r, "%s %s: no such AppArmor profile is loaded",
					 what_apparmor, cfg->apparmor_profile);
		if (r < 0)
			return run_error(e, r, "%s %s: %m", what_apparmor, cfg->apparmor_profile);
	}
	if (cfg->selinux_label) {
		int r = write_file_at(attr, "exec", cfg->selinux_label);
		if (r < 0)
			return run_error(e, r, "%s %s: %m", what_selinux, cfg->selinux_label);
	}
	return 0;
}

int lsm_mount_data(const char *fstype, const char *data, const char *mount_label, char **ret)
{
	/* File systems without xattr labels of their own take a context= (as runc labels them). */
	static const char *const labelled[] = {"tmpfs", "mqueue", "devpts", "shm"};
	bool add = mount_label && fstype;
	if (add) {
		add = false;
		for (size_t i = 0; i < ELEMENTSOF(labelled); i++)
			add = add || streq(fstype, labelled[i]);
	}
	/* A context the caller gave wins. */
	if (add && data && (startswith(data, "context=") || strstr(data, ",context=")))
		add = false;
	char *s = NULL;
	if (!add) {
		if (data && !(s = strdup(data)))
			return -ENOMEM;
	} else if (asprintf(&s, "%s%scontext=\"%s\"", data ? data : "", data && *data ? "," : "",
			    mount_label) < 0)
		return -ENOMEM;
	*ret = s;
	return 0;
}
