/* SPDX-License-Identifier: MIT */
#include "intelrdt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "rootsetup.h"
#include "strutil.h"

#define MOUNTINFO_MAX (16u * 1024 * 1024)

void rdt_group_done(RdtGroup *g)
{
	free(g->path);
	free(g->mon_path);
	*g = (RdtGroup){};
}

int resctrl_mount_from_mountinfo(const char *text, char **ret)
{
	_cleanup_free_ char *copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		MountInfo m;
		if (mountinfo_parse_line(line, &m) == 0 && streq(m.fstype, "resctrl")) {
			*ret = strdup(m.mountpoint);
			return *ret ? 0 : -ENOMEM;
		}
	}
	return -ENOENT;
}

static int resctrl_root(char **ret, RunError *e)
{
	const char *env = getenv(RESCTRL_ROOT_ENV);
	if (!isempty(env)) {
		*ret = strdup(env);
		return *ret ? 0 : -ENOMEM;
	}
	_cleanup_free_ char *text = NULL;
	int r = read_full_file("/proc/self/mountinfo", MOUNTINFO_MAX, &text, NULL);
	if (r < 0)
		return run_error(e, r, "linux.intelRdt: cannot read /proc/self/mountinfo: %m");
	r = resctrl_mount_from_mountinfo(text, ret);
	if (r == -ENOENT)
		return run_error(e, -EOPNOTSUPP,
				 "linux.intelRdt: the resctrl filesystem is not mounted: Intel RDT "
				 "is not supported on this host (or resctrl is not mounted at "
				 "/sys/fs/resctrl)");
	return r;
}

static bool has_info(const char *root, const char *name)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/info/%s", root, name);
	return access(path, F_OK) == 0;
}

static bool missing(const char *path)
{
	return access(path, F_OK) < 0 && errno == ENOENT;
}

int rdt_group_plan(const RunIntelRdt *cfg, const char *id, RdtGroup *ret, RunError *e)
{
	_cleanup_free_ char *root = NULL;
	_cleanup_(rdt_group_done) RdtGroup g = {};
	int r = resctrl_root(&root, e);
	if (r < 0)
		return r;
	/* With CDP on, the kernel has L3CODE and L3DATA instead of L3. */
	if (cfg->l3_cache_schema && !has_info(root, "L3") && !has_info(root, "L3CODE"))
		return run_error(e, -EOPNOTSUPP,
				 "linux.intelRdt.l3CacheSchema: L3 cache allocation (Intel RDT "
				 "CAT) is not enabled: %s/info has no L3",
				 root);
	if (cfg->mem_bw_schema && !has_info(root, "MB"))
		return run_error(e, -EOPNOTSUPP,
				 "linux.intelRdt.memBwSchema: memory bandwidth allocation (Intel "
				 "RDT MBA) is not enabled: %s/info has no MB",
				 root);
	if (cfg->enable_monitoring && !has_info(root, "L3_MON"))
		return run_error(e, -EOPNOTSUPP,
				 "linux.intelRdt.enableMonitoring: resctrl monitoring is not "
				 "enabled: %s/info has no L3_MON",
				 root);
	if (asprintf(&g.path, "%s/%s", root, cfg->clos_id ? cfg->clos_id : id) < 0) {
		g.path = NULL;
		return -ENOMEM;
	}
	g.created = missing(g.path);
	if (cfg->enable_monitoring) {
		if (asprintf(&g.mon_path, "%s/mon_groups/%s", g.path, id) < 0) {
			g.mon_path = NULL;
			return -ENOMEM;
		}
		g.mon_created = missing(g.mon_path);
	}
	*ret = g;
	g = (RdtGroup){};
	return 0;
}

static int make_group(const char *path, bool *created, const char *field, RunError *e)
{
	if (!*created)
		return 0;
	if (mkdir(path, 0755) == 0)
		return 0;
	*created = false;
	if (errno == EEXIST)
		return 0;
	return run_error(e, errno, "%s: cannot create resctrl group %s: %m", field, path);
}

/* The kernel explains a refused schema in info/last_cmd_status. */
static const char *last_cmd_status(const char *group, char *buf, size_t len)
{
	char path[4200];
	const char *slash = strrchr(group, '/');
	int n = slash ? (int)(slash - group) : 0;
	snprintf(path, sizeof(path), "%.*s/info/last_cmd_status", n, group);
	if (read_small_file(path, buf, len) <= 0)
		return "";
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* Each non-empty line of text in a write of its own: the kernel parses one per call. */
static int write_lines(int fd, const char *group, const char *text, const char *what, RunError *e)
{
	for (const char *line = text; *line;) {
		size_t n = strcspn(line, "\n");
		if (n > 0) {
			_cleanup_free_ char *buf = malloc(n + 1);
			if (!buf)
				return -ENOMEM;
			memcpy(buf, line, n);
			buf[n] = '\n';
			ssize_t w = write(fd, buf, n + 1);
			if (w != (ssize_t)(n + 1)) {
				int r = w < 0 ? -errno : -EIO;
				char status[256];
				const char *why = last_cmd_status(group, status, sizeof(status));
				return run_error(e, r,
						 "%s: cannot write \"%.*s\" to %s/schemata: %m%s%s",
						 what, (int)n, line, group, *why ? ": " : "", why);
			}
		}
		line += n + (line[n] == '\n');
	}
	return 0;
}

static int open_schemata(const char *group, const char *what, RunError *e)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/schemata", group);
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return run_error(e, errno, "%s: %s: %m", what, path);
	return fd;
}

int rdt_write_schemata(const char *group, const RunIntelRdt *cfg, bool update, RunError *e)
{
	const struct {
		const char *text, *what;
	} parts[] = {
	    {cfg->l3_cache_schema, update ? "--l3-cache-schema" : "linux.intelRdt.l3CacheSchema"},
	    {cfg->mem_bw_schema, update ? "--mem-bw-schema" : "linux.intelRdt.memBwSchema"},
	};
	bool any = cfg->schemata && cfg->schemata[0];
	for (size_t k = 0; k < ELEMENTSOF(parts); k++)
		any = any || parts[k].text;
	if (!any)
		return 0;
	/* One open file for all: the kernel applies each write, a file stand-in keeps all. */
	_cleanup_close_ int fd = open_schemata(group, "linux.intelRdt", e);
	if (fd < 0)
		return fd;
	int r = 0;
	for (size_t k = 0; k < ELEMENTSOF(parts) && r >= 0; k++)
		if (parts[k].text)
			r = write_lines(fd, group, parts[k].text, parts[k].what, e);
	for (size_t i = 0; cfg->schemata && cfg->schemata[i] && r >= 0; i++)
		r = write_lines(fd, group, cfg->schemata[i], "linux.intelRdt.schemata", e);
	return r;
}

int rdt_group_create(RdtGroup *g, const RunIntelRdt *cfg, RunError *e)
{
	int r = make_group(g->path, &g->created, "linux.intelRdt", e);
	if (r >= 0 && g->mon_path)
		r = make_group(g->mon_path, &g->mon_created, "linux.intelRdt.enableMonitoring", e);
	if (r >= 0)
		r = rdt_write_schemata(g->path, cfg, false, e);
	if (r < 0) {
		RunError ignored = {};
		(void)rdt_group_remove(g, &ignored);
		g->created = g->mon_created = false;
	}
	return r;
}

int rdt_group_enter(const RdtGroup *g, pid_t pid, RunError *e)
{
	const char *dirs[] = {g->path, g->mon_path};
	char val[32], path[4200];
	snprintf(val, sizeof(val), "%d", (int)pid);
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		if (!dirs[i])
			continue;
		snprintf(path, sizeof(path), "%s/tasks", dirs[i]);
		int r = write_file_at(AT_FDCWD, path, val);
		if (r < 0)
			return run_error(e, r, "linux.intelRdt: cannot add pid %d to %s: %m",
					 (int)pid, path);
	}
	return 0;
}

int rdt_group_remove(const RdtGroup *g, RunError *e)
{
	/* The monitoring group first: it lies inside the group. */
	if (g->mon_path && g->mon_created && rmdir(g->mon_path) < 0 && errno != ENOENT)
		return run_error(e, errno, "cannot remove resctrl monitoring group %s: %m",
				 g->mon_path);
	if (g->path && g->created && rmdir(g->path) < 0 && errno != ENOENT)
		return run_error(e, errno, "cannot remove resctrl group %s: %m", g->path);
	return 0;
}
