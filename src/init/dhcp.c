/* SPDX-License-Identifier: MIT */
/* DHCPv4 messages and their IPv4/UDP frames (see dhcp.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dhcp.h"
#include "macros.h"

/* BOOTP header fields (RFC 2131 section 2). */
#define OFF_OP 0
#define OFF_HTYPE 1
#define OFF_HLEN 2
#define OFF_XID 4
#define OFF_SECS 8
#define OFF_CHADDR 28
#define OFF_YIADDR 16
#define OFF_SNAME 44
#define OFF_FILE 108
#define OFF_COOKIE 236
#define OFF_OPTIONS 240
#define SNAME_LEN 64
#define FILE_LEN 128
/* RFC 1542 2.1: relays may drop BOOTP messages shorter than this. */
#define BOOTP_MIN_LEN 300

enum {
	OPT_PAD = 0,
	OPT_SUBNET_MASK = 1,
	OPT_ROUTER = 3,
	OPT_MTU = 26,
	OPT_REQUESTED_ADDRESS = 50,
	OPT_LEASE_TIME = 51,
	OPT_OVERLOAD = 52,
	OPT_MESSAGE_TYPE = 53,
	OPT_SERVER_ID = 54,
	OPT_PARAMETER_REQUEST = 55,
	OPT_MAX_MESSAGE_SIZE = 57,
	OPT_CLIENT_ID = 61,
	OPT_CLASSLESS_ROUTES = 121,
	OPT_END = 255,
};

static const uint8_t cookie[4] = {99, 130, 83, 99};

static int bad(char *err, size_t errlen, const char *fmt, ...) _printf_(3, 4);
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static struct in_addr get_addr(const uint8_t *p)
{
	struct in_addr a;
	memcpy(&a.s_addr, p, 4);
	return a;
}

const char *dhcp_addr_str(struct in_addr a, char buf[16])
{
	if (!inet_ntop(AF_INET, &a, buf, 16))
		snprintf(buf, 16, "?");
	return buf;
}

int dhcp_message_build(uint8_t *buf, size_t size, uint8_t type, uint32_t xid, const uint8_t mac[6],
		       uint16_t secs, const DhcpLease *offer)
{
	static const uint8_t wanted[] = {OPT_SUBNET_MASK, OPT_ROUTER,	 OPT_MTU,
					 OPT_LEASE_TIME,  OPT_SERVER_ID, OPT_CLASSLESS_ROUTES};
	if (size < BOOTP_MIN_LEN)
		return -ENOBUFS;
	memset(buf, 0, BOOTP_MIN_LEN);
	buf[OFF_OP] = 1; /* BOOTREQUEST */
	buf[OFF_HTYPE] = 1;
	buf[OFF_HLEN] = 6;
	uint32_t nxid = htonl(xid);
	memcpy(buf + OFF_XID, &nxid, 4);
	put_be16(buf + OFF_SECS, secs);
	memcpy(buf + OFF_CHADDR, mac, 6);
	memcpy(buf + OFF_COOKIE, cookie, 4);

	uint8_t *o = buf + OFF_OPTIONS;
	*o++ = OPT_MESSAGE_TYPE;
	*o++ = 1;
	*o++ = type;
	*o++ = OPT_CLIENT_ID;
	*o++ = 7;
	*o++ = 1;
	memcpy(o, mac, 6);
	o += 6;
	if (type == DHCP_REQUEST && offer) {
		*o++ = OPT_REQUESTED_ADDRESS;
		*o++ = 4;
		memcpy(o, &offer->address.s_addr, 4);
		o += 4;
		*o++ = OPT_SERVER_ID;
		*o++ = 4;
		memcpy(o, &offer->server_id.s_addr, 4);
		o += 4;
	}
	*o++ = OPT_PARAMETER_REQUEST;
	*o++ = sizeof(wanted);
	memcpy(o, wanted, sizeof(wanted));
	o += sizeof(wanted);
	*o++ = OPT_MAX_MESSAGE_SIZE;
	*o++ = 2;
	put_be16(o, DHCP_MESSAGE_MAX + DHCP_FRAME_HEADERS);
	o += 2;
	*o++ = OPT_END;
	/* At most 240 + 3 + 9 + 12 + 8 + 4 + 1 bytes: within the minimum length. */
	return BOOTP_MIN_LEN;
}

typedef struct Area {
	const uint8_t *p;
	size_t n;
} Area;

/* Every option in the area fits in it; END (or the area's end) ends it. */
static int area_check(const Area *a, const char *what, char *err, size_t errlen)
{
	size_t i = 0;
	while (i < a->n) {
		uint8_t code = a->p[i];
		if (code == OPT_END)
			return 0;
		if (code == OPT_PAD) {
			i++;
			continue;
		}
		if (i + 1 >= a->n)
			return bad(err, errlen, "option %u in the %s field has no length", code,
				   what);
		size_t len = a->p[i + 1];
		if (i + 2 + len > a->n)
			return bad(err, errlen,
				   "option %u in the %s field is truncated (%zu bytes, %zu left)",
				   code, what, len, a->n - i - 2);
		i += 2 + len;
	}
	return 0;
}

/*
 * The option's value: all its instances concatenated in area order (RFC
 * 3396). 1 found, 0 absent, -EBADMSG longer than out.
 */
static int option_get(const Area *areas, size_t n_areas, uint8_t code, uint8_t *out, size_t outsz,
		      size_t *outlen)
{
	size_t total = 0;
	bool found = false;
	for (size_t k = 0; k < n_areas; k++) {
		const Area *a = &areas[k];
		size_t i = 0;
		while (i < a->n && a->p[i] != OPT_END) {
			if (a->p[i] == OPT_PAD) {
				i++;
				continue;
			}
			size_t len = a->p[i + 1]; /* area_check() made these reads safe */
			if (a->p[i] == code) {
				if (total + len > outsz)
					return -EBADMSG;
				memcpy(out + total, a->p + i + 2, len);
				total += len;
				found = true;
			}
			i += 2 + len;
		}
	}
	*outlen = total;
	return found;
}

static bool host_address_ok(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);
	return h != 0 && h != UINT32_MAX && (h >> 24) != 0 && (h >> 24) != 127 &&
	       (h >> 28) != 0xe && (h >> 28) != 0xf;
}

static int netmask_prefix(uint32_t mask)
{
	uint32_t inv = ~mask;
	if ((inv & (inv + 1)) != 0)
		return -1;
	return mask ? 32 - __builtin_ctz(mask) : 0;
}

/* RFC 3442: (width, significant octets of the destination, router)... */
static int parse_classless(const uint8_t *d, size_t n, DhcpLease *l, char *err, size_t errlen)
{
	size_t i = 0;
	while (i < n) {
		uint8_t width = d[i];
		if (width > 32)
			return bad(err, errlen, "classless route with a /%u prefix", width);
		size_t sig = (width + 7) / 8;
		if (i + 1 + sig + 4 > n)
			return bad(err, errlen, "classless route option truncated at byte %zu", i);
		if (l->n_routes >= DHCP_ROUTES_MAX)
			return bad(err, errlen, "more than %d classless routes", DHCP_ROUTES_MAX);
		uint8_t dest[4] = {0};
		memcpy(dest, d + i + 1, sig);
		uint32_t mask = width ? UINT32_MAX << (32 - width) : 0;
		DhcpRoute *r = &l->routes[l->n_routes++];
		r->dest.s_addr = htonl(get_be32(dest) & mask);
		r->prefixlen = width;
		r->gateway = get_addr(d + i + 1 + sig);
		i += 1 + sig + 4;
	}
	return 0;
}

static int want_addr(const Area *areas, size_t na, uint8_t code, const char *name, bool required,
		     struct in_addr *ret, char *err, size_t errlen)
{
	uint8_t v[255 * 3];
	size_t n = 0;
	int r = option_get(areas, na, code, v, sizeof(v), &n);
	if (r < 0)
		return bad(err, errlen, "option %u (%s) is too long", code, name);
	if (r == 0) {
		if (required)
			return bad(err, errlen, "no %s (option %u)", name, code);
		ret->s_addr = 0;
		return 0;
	}
	if (n < 4 || (code != OPT_ROUTER && n != 4) || n % 4 != 0)
		return bad(err, errlen, "%s (option %u) has length %zu", name, code, n);
	*ret = get_addr(v);
	return 1;
}

int dhcp_message_parse(const uint8_t *buf, size_t len, uint32_t xid, const uint8_t mac[6],
		       DhcpLease *ret, char *err, size_t errlen)
{
	char a[16];
	uint8_t v[1024];
	size_t n = 0;
	int r;

	if (len < OFF_OPTIONS)
		return bad(err, errlen, "message of %zu bytes is shorter than the %d-byte header",
			   len, OFF_OPTIONS);
	if (buf[OFF_OP] != 2 || buf[OFF_HTYPE] != 1 || buf[OFF_HLEN] != 6 ||
	    get_be32(buf + OFF_XID) != xid || memcmp(buf + OFF_CHADDR, mac, 6) != 0)
		return -ENOMSG;
	if (memcmp(buf + OFF_COOKIE, cookie, 4) != 0)
		return bad(err, errlen, "no DHCP magic cookie");

	Area areas[3] = {{buf + OFF_OPTIONS, len - OFF_OPTIONS}};
	size_t na = 1;
	r = area_check(&areas[0], "options", err, errlen);
	if (r < 0)
		return r;
	r = option_get(areas, 1, OPT_OVERLOAD, v, sizeof(v), &n);
	if (r > 0) {
		if (n != 1 || v[0] < 1 || v[0] > 3)
			return bad(err, errlen, "invalid option overload (option 52)");
		/* RFC 3396 section 7: options, then file, then sname. */
		if (v[0] & 1)
			areas[na++] = (Area){buf + OFF_FILE, FILE_LEN};
		if (v[0] & 2)
			areas[na++] = (Area){buf + OFF_SNAME, SNAME_LEN};
		for (size_t k = 1; k < na; k++) {
			r = area_check(&areas[k], areas[k].n == FILE_LEN ? "file" : "sname", err,
				       errlen);
			if (r < 0)
				return r;
		}
	}

	DhcpLease l = {0};
	r = option_get(areas, na, OPT_MESSAGE_TYPE, v, sizeof(v), &n);
	if (r == 0)
		return bad(err, errlen, "no DHCP message type (option 53)");
	if (r < 0 || n != 1)
		return bad(err, errlen, "message type (option 53) has length %zu", n);
	l.type = v[0];
	if (l.type != DHCP_OFFER && l.type != DHCP_ACK && l.type != DHCP_NAK)
		return -ENOMSG;
	r = want_addr(areas, na, OPT_SERVER_ID, "server identifier", l.type != DHCP_NAK,
		      &l.server_id, err, errlen);
	if (r < 0)
		return r;
	if (r > 0 && !host_address_ok(l.server_id))
		return bad(err, errlen, "server identifier %s cannot be a server's",
			   dhcp_addr_str(l.server_id, a));
	if (l.type == DHCP_NAK) {
		*ret = l;
		return 0;
	}

	l.address = get_addr(buf + OFF_YIADDR);
	if (!host_address_ok(l.address))
		return bad(err, errlen, "offered address %s cannot be a host's",
			   dhcp_addr_str(l.address, a));

	struct in_addr mask;
	r = want_addr(areas, na, OPT_SUBNET_MASK, "subnet mask", false, &mask, err, errlen);
	if (r < 0)
		return r;
	if (r > 0) {
		int p = netmask_prefix(ntohl(mask.s_addr));
		if (p < 0)
			return bad(err, errlen, "subnet mask %s is not contiguous",
				   dhcp_addr_str(mask, a));
		l.prefixlen = (uint8_t)p;
	} else {
		/* RFC 2131 leaves it to the client: the address's class. */
		uint32_t h = ntohl(l.address.s_addr);
		l.prefixlen = h < 0x80000000u ? 8 : h < 0xc0000000u ? 16 : 24;
	}

	r = want_addr(areas, na, OPT_ROUTER, "router", false, &l.router, err, errlen);
	if (r < 0)
		return r;

	r = option_get(areas, na, OPT_LEASE_TIME, v, sizeof(v), &n);
	if (r < 0 || (r > 0 && n != 4))
		return bad(err, errlen, "lease time (option 51) has length %zu", n);
	if (r == 0 && l.type == DHCP_ACK)
		return bad(err, errlen, "acknowledgement without a lease time (option 51)");
	l.lease_seconds = r > 0 ? get_be32(v) : 0;
	if (r > 0 && l.lease_seconds == 0)
		return bad(err, errlen, "lease time of 0 seconds");

	r = option_get(areas, na, OPT_MTU, v, sizeof(v), &n);
	if (r < 0 || (r > 0 && n != 2))
		return bad(err, errlen, "interface MTU (option 26) has length %zu", n);
	if (r > 0) {
		l.mtu = get_be16(v);
		if (l.mtu < 68)
			return bad(err, errlen, "interface MTU %u is below IPv4's minimum of 68",
				   l.mtu);
	}

	r = option_get(areas, na, OPT_CLASSLESS_ROUTES, v, sizeof(v), &n);
	if (r < 0)
		return bad(err, errlen, "classless routes (option 121) are too long");
	if (r > 0) {
		if (n < 5)
			return bad(err, errlen, "classless routes (option 121) has length %zu", n);
		r = parse_classless(v, n, &l, err, errlen);
		if (r < 0)
			return r;
		l.classless = true;
	}
	*ret = l;
	return 0;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += get_be16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The UDP checksum's pseudo-header (RFC 768) for IPv4 addresses src, dst. */
static uint32_t udp_pseudo(const uint8_t *src, const uint8_t *dst, uint16_t udp_len)
{
	uint32_t sum = csum_add(0, src, 4);
	sum = csum_add(sum, dst, 4);
	return sum + IPPROTO_UDP + udp_len;
}

size_t dhcp_frame_wrap(uint8_t *buf, size_t len)
{
	uint8_t *ip = buf, *udp = buf + 20;
	uint16_t udp_len = (uint16_t)(len + 8), total = (uint16_t)(len + DHCP_FRAME_HEADERS);

	memset(buf, 0, DHCP_FRAME_HEADERS);
	ip[0] = 0x45;
	ip[1] = 0x10; /* low delay, as DHCP clients mark it */
	put_be16(ip + 2, total);
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memset(ip + 16, 0xff, 4);
	put_be16(ip + 10, csum_fold(csum_add(0, ip, 20)));

	put_be16(udp, DHCP_CLIENT_PORT);
	put_be16(udp + 2, DHCP_SERVER_PORT);
	put_be16(udp + 4, udp_len);
	uint16_t s = csum_fold(csum_add(udp_pseudo(ip + 12, ip + 16, udp_len), udp, udp_len));
	put_be16(udp + 6, s ? s : 0xffff);
	return total;
}

int dhcp_frame_unwrap(const uint8_t *buf, size_t len, bool csum_valid, const uint8_t **payload,
		      size_t *payload_len)
{
	if (len < 20 || (buf[0] >> 4) != 4)
		return -ENOMSG;
	size_t ihl = (size_t)(buf[0] & 0xf) * 4;
	size_t total = get_be16(buf + 2);
	if (ihl < 20 || total < ihl + 8 || total > len)
		return -ENOMSG;
	if (csum_fold(csum_add(0, buf, ihl)) != 0)
		return -ENOMSG;
	if ((get_be16(buf + 6) & 0x3fff) != 0 || buf[9] != IPPROTO_UDP)
		return -ENOMSG; /* a fragment, or not UDP */
	const uint8_t *udp = buf + ihl;
	size_t udp_len = get_be16(udp + 4);
	if (get_be16(udp + 2) != DHCP_CLIENT_PORT || udp_len < 8 || udp_len > total - ihl)
		return -ENOMSG;
	if (!csum_valid && get_be16(udp + 6) != 0 &&
	    csum_fold(csum_add(udp_pseudo(buf + 12, buf + 16, (uint16_t)udp_len), udp, udp_len)) !=
		0)
		return -ENOMSG;
	*payload = udp + 8;
	*payload_len = udp_len - 8;
	return 0;
}
