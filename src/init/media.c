/* SPDX-License-Identifier: MIT */
/* Reading ovf-env.xml from the provisioning CD (spec sections 3.1, 8.7). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "macros.h"
#include "steps.h"
#include "strutil.h"

#define OVF_MAX (1024u * 1024)
#define MEDIA_DIR "/run/lazuli-init/media"

static int read_ovf_file(const char *path, char **ret, size_t *ret_len, char *err, size_t errlen)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		int r = -errno;
		if (r != -ENOENT)
			snprintf(err, errlen, "cannot open %s: %s", path, strerror(-r));
		return r;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		return -EINVAL;
	}
	int r = read_full_fd(fd, OVF_MAX, ret, ret_len);
	if (r == -EFBIG)
		snprintf(err, errlen, "%s is larger than %u bytes", path, OVF_MAX);
	else if (r < 0)
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-r));
	return r;
}

/*
 * Which CD file system is on this device, from its volume descriptors:
 * "udf" when a UDF descriptor (NSR02/NSR03) is there, also on a bridge disc
 * that carries ISO 9660 as well; "iso9660" for ISO 9660 alone; NULL for
 * anything else. Mounting the right type first spares a failed mount (and
 * loading the other file system's module) at first boot.
 */
static const char *device_cd_filesystem(const char *dev)
{
	_cleanup_close_ int fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	const char *type = NULL;
	if (fd < 0)
		return NULL;
	/* Volume descriptors start at sector 16 (2048-byte sectors); the id is at byte 1. */
	for (int i = 0; i < 8; i++) {
		char id[5];
		if (pread(fd, id, sizeof(id), 32768 + 2048 * i + 1) != (ssize_t)sizeof(id))
			break;
		if (memcmp(id, "NSR02", 5) == 0 || memcmp(id, "NSR03", 5) == 0)
			return "udf";
		if (memcmp(id, "CD001", 5) == 0 && !type)
			type = "iso9660";
		else if (memcmp(id, "BEA01", 5) == 0 || memcmp(id, "TEA01", 5) == 0)
			type = type ? type : "udf";
	}
	return type;
}

static int read_from_device(const char *dev, const char *first_type, char **ret, size_t *ret_len,
			    char *err, size_t errlen)
{
	const char *types[] = {first_type, strcmp(first_type, "udf") == 0 ? "iso9660" : "udf"};
	int r = -ENODEV;

	if (mkdir_p("/run/lazuli-init", 0700) < 0 ||
	    (mkdir(MEDIA_DIR, 0700) < 0 && errno != EEXIST)) {
		snprintf(err, errlen, "cannot create %s: %m", MEDIA_DIR);
		return -errno;
	}
	for (size_t i = 0; i < ELEMENTSOF(types); i++) {
		if (mount(dev, MEDIA_DIR, types[i], MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL) < 0) {
			r = -errno;
			continue;
		}
		r = read_ovf_file(MEDIA_DIR "/ovf-env.xml", ret, ret_len, err, errlen);
		if (umount2(MEDIA_DIR, MNT_DETACH) < 0)
			log_warning_errno(errno, "Cannot unmount %s: %m", MEDIA_DIR);
		break;
	}
	(void)rmdir(MEDIA_DIR);
	if (r == -ENODEV || r == -EINVAL)
		snprintf(err, errlen, "cannot mount %s as udf or iso9660", dev);
	return r;
}

int ovf_media_read(const char *path_override, char **ret, size_t *ret_len, char *err, size_t errlen)
{
	int r;

	if (path_override) {
		struct stat st;
		if (stat(path_override, &st) < 0) {
			snprintf(err, errlen, "%s: %m", path_override);
			return -errno;
		}
		if (!S_ISDIR(st.st_mode))
			return read_ovf_file(path_override, ret, ret_len, err, errlen);
		_cleanup_free_ char *p = NULL;
		if (asprintf(&p, "%s/ovf-env.xml", path_override) < 0)
			return -ENOMEM;
		return read_ovf_file(p, ret, ret_len, err, errlen);
	}

	DIR *d = opendir("/sys/class/block");
	if (!d)
		return -ENOENT;
	r = -ENOENT;
	struct dirent *de;
	while ((de = readdir(d))) {
		char dev[300];
		if (de->d_name[0] == '.' || startswith(de->d_name, "loop") ||
		    startswith(de->d_name, "ram") || startswith(de->d_name, "dm-"))
			continue;
		snprintf(dev, sizeof(dev), "/dev/%s", de->d_name);
		const char *type = device_cd_filesystem(dev);
		if (!type)
			continue;
		log_info("Provisioning media candidate %s (%s)", dev, type);
		r = read_from_device(dev, type, ret, ret_len, err, errlen);
		if (r != -ENOENT)
			break;
	}
	closedir(d);
	return r;
}
