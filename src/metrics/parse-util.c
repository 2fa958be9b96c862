/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "macros.h"
#include "scrape.h"

const char *line_end(const char *p, const char *end)
{
	const char *n = memchr(p, '\n', (size_t)(end - p));
	return n ? n : end;
}

const char *next_line(const char *p, const char *end)
{
	const char *n = memchr(p, '\n', (size_t)(end - p));
	return n ? n + 1 : end;
}

bool take_word(const char **p, const char *end, const char **w, size_t *wlen)
{
	const char *q = *p;
	while (q < end && is_blank(*q))
		q++;
	if (q >= end || *q == '\n') {
		*p = q;
		return false;
	}
	const char *s = q;
	while (q < end && !is_blank(*q) && *q != '\n')
		q++;
	*w = s;
	*wlen = (size_t)(q - s);
	*p = q;
	return true;
}

int parse_u64_n(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;
	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';
		if (d > 9)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

int take_u64(const char **p, const char *end, uint64_t *ret)
{
	const char *w;
	size_t n;
	if (!take_word(p, end, &w, &n))
		return -EINVAL;
	return parse_u64_n(w, n, ret);
}

/* A small matcher for the fixed alternatives of node_exporter's default regexps. */
static bool word_in(const char *s, size_t n, const char *const *list)
{
	for (; *list; list++)
		if (strlen(*list) == n && memcmp(*list, s, n) == 0)
			return true;
	return false;
}

bool filesystem_type_ignored(const char *t, size_t n)
{
	static const char *const types[] = {
	    "autofs",	"binfmt_misc", "bpf",	   "cgroup",	 "cgroup2",    "configfs",
	    "debugfs",	"devpts",      "devtmpfs", "fusectl",	 "hugetlbfs",  "iso9660",
	    "mqueue",	"nsfs",	       "overlay",  "proc",	 "procfs",     "pstore",
	    "rpc_pipefs", "securityfs", "selinuxfs", "squashfs", "sysfs",      "tracefs",
	    NULL};
	return word_in(t, n, types);
}

/* Debian's default: ^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/containers/storage/.+)($|/) */
bool filesystem_mountpoint_ignored(const char *mp, size_t n)
{
	static const char *const whole[] = {"/dev", "/proc", "/run", "/sys", "/mnt", "/media", NULL};
	static const char *const below[] = {"/var/lib/docker/", "/var/lib/containers/storage/", NULL};
	for (const char *const *w = whole; *w; w++) {
		size_t l = strlen(*w);
		if (n >= l && memcmp(mp, *w, l) == 0 && (n == l || mp[l] == '/'))
			return true;
	}
	for (const char *const *b = below; *b; b++) {
		size_t l = strlen(*b);
		/* ".+" needs at least one more character */
		if (n > l && memcmp(mp, *b, l) == 0)
			return true;
	}
	return false;
}

static size_t digits_at(const char *s, size_t n, size_t i)
{
	size_t k = 0;
	while (i + k < n && s[i + k] >= '0' && s[i + k] <= '9')
		k++;
	return k;
}

/* ^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$ */
bool diskstats_device_ignored(const char *d, size_t n)
{
	static const char *const plain[] = {"ram", "loop", "fd", NULL};
	size_t i;

	for (const char *const *p = plain; *p; p++) {
		size_t l = strlen(*p);
		if (n > l && memcmp(d, *p, l) == 0 && digits_at(d, n, l) == n - l)
			return true;
	}
	i = 0;
	if (n > 2 && d[0] == 'x' && d[1] == 'v')
		i = 2;
	else if (n > 1 && (d[0] == 'h' || d[0] == 's' || d[0] == 'v'))
		i = 1;
	if (i > 0 && i + 2 < n + 0 && d[i] == 'd' && d[i + 1] >= 'a' && d[i + 1] <= 'z') {
		size_t k = digits_at(d, n, i + 2);
		if (k > 0 && i + 2 + k == n)
			return true;
	}
	if (n > 4 && memcmp(d, "nvme", 4) == 0) {
		size_t k = digits_at(d, n, 4);
		i = 4 + k;
		if (k > 0 && i < n && d[i] == 'n') {
			k = digits_at(d, n, i + 1);
			i += 1 + k;
			if (k > 0 && i < n && d[i] == 'p') {
				k = digits_at(d, n, i + 1);
				if (k > 0 && i + 1 + k == n)
					return true;
			}
		}
	}
	return false;
}

static bool has_prefix(const char *s, size_t n, const char *p)
{
	size_t l = strlen(p);
	return n >= l && memcmp(s, p, l) == 0;
}

bool netstat_field_wanted(const char *proto, size_t pl, const char *name, size_t nl)
{
#define IS(s, n, lit) ((n) == STRLEN(lit) && memcmp((s), (lit), (n)) == 0)
	if (IS(name, nl, "InErrors") || IS(name, nl, "InErrs"))
		return true;
	if (IS(proto, pl, "Ip") && IS(name, nl, "Forwarding"))
		return true;
	if ((IS(proto, pl, "Ip6") || IS(proto, pl, "IpExt")) &&
	    (IS(name, nl, "InOctets") || IS(name, nl, "OutOctets")))
		return true;
	if ((IS(proto, pl, "Icmp") || IS(proto, pl, "Icmp6")) &&
	    (IS(name, nl, "InMsgs") || IS(name, nl, "OutMsgs")))
		return true;
	if (IS(proto, pl, "TcpExt") &&
	    (has_prefix(name, nl, "Listen") || has_prefix(name, nl, "Syncookies") ||
	     IS(name, nl, "TCPSynRetrans") || IS(name, nl, "TCPTimeouts")))
		return true;
	if (IS(proto, pl, "Tcp") &&
	    (IS(name, nl, "ActiveOpens") || IS(name, nl, "InSegs") || IS(name, nl, "OutSegs") ||
	     IS(name, nl, "OutRsts") || IS(name, nl, "PassiveOpens") ||
	     IS(name, nl, "RetransSegs") || IS(name, nl, "CurrEstab")))
		return true;
	if ((IS(proto, pl, "Udp") || IS(proto, pl, "Udp6")) &&
	    (IS(name, nl, "InDatagrams") || IS(name, nl, "OutDatagrams") ||
	     IS(name, nl, "NoPorts") || IS(name, nl, "RcvbufErrors") ||
	     IS(name, nl, "SndbufErrors")))
		return true;
	return false;
#undef IS
}
