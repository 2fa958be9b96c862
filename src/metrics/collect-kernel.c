/* SPDX-License-Identifier: MIT */
/* Kernel identity and socket counts: the uname and sockstat collectors. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "macros.h"
#include "scrape.h"

/* ---- uname: /proc/sys/kernel files, so that --root and the fixtures apply ----- */

int parse_uname_line(const char *buf, size_t len, char *out, size_t outlen)
{
	/* a field of uname(2) is never empty; an empty sysfs attribute may be */
	if (line_end(buf, buf + len) == buf)
		return -EBADMSG;
	return parse_netclass_str(buf, len, out, outlen);
}

static int read_uname_field(Scrape *s, const char *path, char *out, size_t outlen)
{
	ssize_t n = scrape_read_cached(s, s->proc_fd, path, true);
	if (n < 0)
		return (int)n;
	return parse_uname_line(s->buf, (size_t)n, out, outlen);
}

static int collect_uname(Scrape *s)
{
	/* node_exporter's label order, which is also the order of the output */
	static const struct {
		const char *label, *path;
	} fields[] = {
	    {"domainname", "sys/kernel/domainname"}, {"machine", "sys/kernel/arch"},
	    {"nodename", "sys/kernel/hostname"},     {"release", "sys/kernel/osrelease"},
	    {"sysname", "sys/kernel/ostype"},	     {"version", "sys/kernel/version"},
	};
	char v[ELEMENTSOF(fields)][128];

	for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
		int r = read_uname_field(s, fields[i].path, v[i], sizeof(v[i]));
		/* kernel/arch is newer (5.x) than the others: uname(2) knows the same */
		if (r == -ENOENT && strcmp(fields[i].label, "machine") == 0) {
			struct utsname u;
			if (uname(&u) < 0)
				return -errno;
			r = parse_uname_line(u.machine, strlen(u.machine), v[i], sizeof(v[i]));
		}
		if (r < 0)
			return r;
	}
	expo_family(&s->out, "node_uname_info", MT_GAUGE,
		    "Labeled system information as provided by the uname system call.");
	expo_begin(&s->out);
	for (size_t i = 0; i < ELEMENTSOF(fields); i++)
		expo_label(&s->out, fields[i].label, v[i]);
	expo_end_u64(&s->out, 1);
	return 0;
}

/* ---- sockstat: /proc/net/sockstat and sockstat6 -------------------------- */

static void sockstat_gauge(Scrape *s, const char *proto, size_t pl, const char *key, size_t kl,
			   const char *suffix, uint64_t v)
{
	char name[128], help[160];
	size_t sl = strlen(suffix);

	/* "sockets: used" is the IPv4 total, named and explained apart */
	if (pl == 7 && memcmp(proto, "sockets", 7) == 0) {
		if (!(kl == 4 && memcmp(key, "used", 4) == 0))
			return;
		expo_family(&s->out, "node_sockstat_sockets_used", MT_GAUGE,
			    "Number of IPv4 sockets in use.");
	} else {
		if (14 + pl + 1 + kl + sl + 1 > sizeof(name))
			return;
		int hl = snprintf(help, sizeof(help), "Number of %.*s sockets in state %.*s%s.",
				  (int)pl, proto, (int)kl, key, suffix);
		if (hl < 0 || (size_t)hl >= sizeof(help))
			return;
		memcpy(name, "node_sockstat_", 14);
		memcpy(name + 14, proto, pl);
		name[14 + pl] = '_';
		memcpy(name + 15 + pl, key, kl);
		memcpy(name + 15 + pl + kl, suffix, sl + 1);
		expo_family(&s->out, name, MT_GAUGE, help);
	}
	expo_begin(&s->out);
	expo_end_u64(&s->out, v);
}

/*
 * "PROTO: key value key value ...". "mem" counts pages, so it is also
 * given in bytes as node_exporter does; FRAG's "memory" is bytes already.
 */
int parse_sockstat(Scrape *s, const char *buf, size_t len)
{
	const char *end = buf + len;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	int n = 0;

	for (const char *p = buf; p < end; p = next_line(p, end)) {
		const char *le = line_end(p, end), *q = p, *proto, *key, *val;
		size_t pl, kl, vl;
		uint64_t v;

		if (!take_word(&q, le, &proto, &pl) || pl < 2 || proto[pl - 1] != ':' ||
		    !name_chars_ok(proto, pl - 1))
			continue;
		pl--;
		while (take_word(&q, le, &key, &kl) && take_word(&q, le, &val, &vl)) {
			if (!name_chars_ok(key, kl) || parse_u64_n(val, vl, &v) < 0)
				continue;
			sockstat_gauge(s, proto, pl, key, kl, "", v);
			if (kl == 3 && memcmp(key, "mem", 3) == 0 && v <= UINT64_MAX / page)
				sockstat_gauge(s, proto, pl, key, kl, "_bytes", v * page);
			n++;
		}
	}
	return n > 0 ? n : -EBADMSG;
}

static int collect_sockstat(Scrape *s)
{
	ssize_t n = scrape_read_cached(s, s->proc_fd, "net/sockstat", true);
	if (n < 0)
		return (int)n;
	int r = parse_sockstat(s, s->buf, (size_t)n);
	if (r < 0)
		return r;
	/* no IPv6 in the kernel: no sockstat6, and nothing wrong */
	n = scrape_read_cached(s, s->proc_fd, "net/sockstat6", true);
	if (n == -ENOENT)
		return 0;
	if (n < 0)
		return (int)n;
	r = parse_sockstat(s, s->buf, (size_t)n);
	return r < 0 ? r : 0;
}

int collect_kernel(Scrape *s, CollectorId id)
{
	switch (id) {
	case COLLECTOR_UNAME:
		return collect_uname(s);
	case COLLECTOR_SOCKSTAT:
		return collect_sockstat(s);
	default:
		return -EOPNOTSUPP;
	}
}
