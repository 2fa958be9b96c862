/* SPDX-License-Identifier: MIT */
/* netdev (/proc/net/dev) and netstat (/proc/net/{netstat,snmp,snmp6}) collectors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "scrape.h"

#define MAX_NETDEVS 4096

static const char *const netdev_fields[16] = {
    "receive_bytes",	  "receive_packets",	 "receive_errs",     "receive_drop",
    "receive_fifo",	  "receive_frame",	 "receive_compressed", "receive_multicast",
    "transmit_bytes",	  "transmit_packets",	 "transmit_errs",    "transmit_drop",
    "transmit_fifo",	  "transmit_colls",	 "transmit_carrier", "transmit_compressed",
};

static NetRow *net_row_new(Scrape *s)
{
	if (s->n_nets == s->cap_nets) {
		if (s->cap_nets >= MAX_NETDEVS)
			return NULL;
		size_t n = s->cap_nets ? s->cap_nets * 2 : 16;
		NetRow *d = reallocarray(s->nets, n, sizeof(NetRow));
		if (!d)
			return NULL;
		s->nets = d;
		s->cap_nets = n;
	}
	return &s->nets[s->n_nets++];
}

int parse_netdev(Scrape *s, const char *buf, size_t len)
{
	const char *end = buf + len;

	s->n_nets = 0;
	for (const char *p = buf; p < end; p = next_line(p, end)) {
		const char *le = line_end(p, end), *colon = memchr(p, ':', (size_t)(le - p));
		const char *name = p, *q;
		if (!colon)
			continue; /* the two header lines have no colon */
		while (name < colon && is_blank(*name))
			name++;
		size_t nl = (size_t)(colon - name);
		if (nl == 0 || nl >= sizeof(((NetRow *)0)->device) || memchr(name, ' ', nl) ||
		    memchr(name, '|', nl))
			continue;
		/* Debian's default --collector.netdev.device-exclude=^lo$ */
		if (nl == 2 && memcmp(name, "lo", 2) == 0)
			continue;
		uint64_t f[16];
		unsigned n = 0;
		q = colon + 1;
		while (n < 16 && take_u64(&q, le, &f[n]) == 0)
			n++;
		if (n < 16)
			continue;
		NetRow *r = net_row_new(s);
		if (!r)
			break;
		memcpy(r->device, name, nl);
		r->device[nl] = '\0';
		memcpy(r->f, f, sizeof(f));
	}
	if (s->n_nets == 0)
		return -EBADMSG;
	for (unsigned i = 0; i < 16; i++) {
		char fam[96], help[128];
		size_t fl = strlen(netdev_fields[i]); /* all short: no bounds to check */
		char *f = mempcpy(mempcpy(fam, "node_network_", 13), netdev_fields[i], fl);
		memcpy(f, "_total", 7);
		char *h = mempcpy(mempcpy(help, "Network device statistic ", 25), netdev_fields[i], fl);
		memcpy(h, ".", 2);
		expo_family(&s->out, fam, MT_COUNTER, help);
		for (size_t j = 0; j < s->n_nets; j++) {
			expo_begin(&s->out);
			expo_label(&s->out, "device", s->nets[j].device);
			expo_end_u64(&s->out, s->nets[j].f[i]);
		}
	}
	return (int)s->n_nets;
}

static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

/* A value may be negative (Tcp MaxConn is -1); written back normalised, not copied. */
static bool parse_value(const char *s, size_t n, bool *neg, uint64_t *v)
{
	*neg = n > 0 && s[0] == '-';
	if (*neg) {
		s++;
		n--;
	}
	return parse_u64_n(s, n, v) == 0 && (!*neg || *v <= (uint64_t)INT64_MAX);
}

static void emit_netstat(Scrape *s, const char *proto, size_t pl, const char *name, size_t nl,
			 const char *val, size_t vl)
{
	char fam[160], help[192];
	bool neg;
	uint64_t v;
	if (!netstat_field_wanted(proto, pl, name, nl) || !parse_value(val, vl, &neg, &v))
		return;
	if (13 + pl + 1 + nl + 1 > sizeof(fam) || 10 + pl + nl + 2 > sizeof(help))
		return; /* netstat_field_wanted() knows only short names */
	char *f = mempcpy(mempcpy(fam, "node_netstat_", 13), proto, pl);
	*f++ = '_';
	*(char *)mempcpy(f, name, nl) = '\0';
	char *h = mempcpy(mempcpy(mempcpy(help, "Statistic ", 10), proto, pl), name, nl);
	memcpy(h, ".", 2);
	expo_family(&s->out, fam, MT_UNTYPED, help);
	expo_begin(&s->out);
	if (neg)
		expo_end_i64(&s->out, -(int64_t)v);
	else
		expo_end_u64(&s->out, v);
}

/*
 * "Tcp: RtoAlgorithm RtoMin ...\nTcp: 1 200 ...": a header line and a value
 * line with the same prefix. A pair whose counts differ is skipped whole.
 */
int parse_netstat_pairs(Scrape *s, const char *buf, size_t len)
{
	const char *end = buf + len;
	int pairs = 0;

	for (const char *p = buf; p < end;) {
		const char *h = p, *he = line_end(h, end);
		const char *v = next_line(h, end);
		if (v >= end)
			break;
		const char *ve = line_end(v, end);
		p = next_line(v, end);
		const char *hc = memchr(h, ':', (size_t)(he - h)), *vc = memchr(v, ':', (size_t)(ve - v));
		if (!hc || !vc || hc - h != vc - v || memcmp(h, v, (size_t)(hc - h)) != 0) {
			/* out of step: resynchronise on the value line */
			p = v;
			continue;
		}
		const char *proto = h;
		size_t pl = (size_t)(hc - h);
		if (!name_ok(proto, pl))
			continue;
		const char *hq = hc + 1, *vq = vc + 1, *hw, *vw;
		size_t hwl, vwl;
		/* count first: a pair with a missing value is refused as a whole */
		const char *hq2 = hq, *vq2 = vq;
		size_t nh = 0, nv = 0;
		while (take_word(&hq2, he, &hw, &hwl))
			nh++;
		while (take_word(&vq2, ve, &vw, &vwl))
			nv++;
		if (nh != nv || nh == 0)
			continue;
		pairs++;
		while (take_word(&hq, he, &hw, &hwl) && take_word(&vq, ve, &vw, &vwl))
			if (name_ok(hw, hwl))
				emit_netstat(s, proto, pl, hw, hwl, vw, vwl);
	}
	return pairs > 0 ? pairs : -EBADMSG;
}

/* "Ip6InReceives 123": the protocol is the name up to its first '6' (Ip6, Icmp6, Udp6, UdpLite6). */
int parse_snmp6(Scrape *s, const char *buf, size_t len)
{
	const char *end = buf + len;
	int n = 0;

	for (const char *p = buf; p < end; p = next_line(p, end)) {
		const char *le = line_end(p, end), *q = p, *k, *v;
		size_t kl, vl;
		if (!take_word(&q, le, &k, &kl) || !take_word(&q, le, &v, &vl) || !name_ok(k, kl))
			continue;
		const char *six = memchr(k, '6', kl);
		if (!six || six + 1 >= k + kl)
			continue;
		size_t pl = (size_t)(six - k) + 1;
		emit_netstat(s, k, pl, k + pl, kl - pl, v, vl);
		n++;
	}
	return n > 0 ? n : -EBADMSG;
}

int collect_netdev(Scrape *s)
{
	ssize_t n = scrape_read_cached(s, s->proc_fd, "net/dev", false);
	if (n < 0)
		return (int)n;
	int r = parse_netdev(s, s->buf, (size_t)n);
	return r < 0 ? r : 0;
}

int collect_netstat(Scrape *s)
{
	int ok = 0, r = -ENOENT;
	ssize_t n;

	if ((n = scrape_read_cached(s, s->proc_fd, "net/netstat", true)) >= 0 &&
	    parse_netstat_pairs(s, s->buf, (size_t)n) >= 0)
		ok++;
	else if (n < 0)
		r = (int)n;
	if ((n = scrape_read_cached(s, s->proc_fd, "net/snmp", true)) >= 0 &&
	    parse_netstat_pairs(s, s->buf, (size_t)n) >= 0)
		ok++;
	else if (n < 0)
		r = (int)n;
	/* no IPv6: fine */
	if ((n = scrape_read_cached(s, s->proc_fd, "net/snmp6", true)) >= 0)
		(void)parse_snmp6(s, s->buf, (size_t)n);
	return ok > 0 ? 0 : (r == -ENOENT ? -EBADMSG : r);
}
