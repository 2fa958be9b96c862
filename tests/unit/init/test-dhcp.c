/* SPDX-License-Identifier: MIT */
/* DHCPv4 messages and frames (dhcp.c): what lazuli-init sends, what it takes from a server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "dhcp.h"

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
#define XID 0x1badcafeu

/* ---- a server's message, built independently of dhcp.c ------------------- */

typedef struct Msg {
	uint8_t b[DHCP_MESSAGE_MAX];
	size_t n;
} Msg;

static void msg_init(Msg *m, uint8_t op, uint32_t xid, const char *yiaddr)
{
	memset(m, 0, sizeof(*m));
	m->b[0] = op;
	m->b[1] = 1;
	m->b[2] = 6;
	m->b[4] = xid >> 24;
	m->b[5] = (xid >> 16) & 0xff;
	m->b[6] = (xid >> 8) & 0xff;
	m->b[7] = xid & 0xff;
	assert_int_equal(inet_pton(AF_INET, yiaddr, m->b + 16), 1);
	memcpy(m->b + 28, MAC, 6);
	m->b[236] = 99;
	m->b[237] = 130;
	m->b[238] = 83;
	m->b[239] = 99;
	m->n = 240;
}

static void opt(Msg *m, uint8_t code, const void *data, uint8_t len)
{
	m->b[m->n++] = code;
	m->b[m->n++] = len;
	memcpy(m->b + m->n, data, len);
	m->n += len;
}

static void opt_u8(Msg *m, uint8_t code, uint8_t v)
{
	opt(m, code, &v, 1);
}

static void opt_addr(Msg *m, uint8_t code, const char *a)
{
	uint8_t v[4];
	assert_int_equal(inet_pton(AF_INET, a, v), 1);
	opt(m, code, v, 4);
}

static void opt_u32(Msg *m, uint8_t code, uint32_t x)
{
	uint8_t v[4] = {x >> 24, (x >> 16) & 0xff, (x >> 8) & 0xff, x & 0xff};
	opt(m, code, v, 4);
}

static void end(Msg *m)
{
	m->b[m->n++] = 255;
}

/* A plain offer as QEMU's user network sends it. */
static void offer(Msg *m, uint8_t type)
{
	msg_init(m, 2, XID, "10.0.2.15");
	opt_u8(m, 53, type);
	opt_addr(m, 54, "10.0.2.2");
	opt_addr(m, 1, "255.255.255.0");
	opt_addr(m, 3, "10.0.2.2");
	opt_u32(m, 51, 86400);
}

static const char *str(struct in_addr a)
{
	static char buf[4][16];
	static int k;
	k = (k + 1) % 4;
	return inet_ntop(AF_INET, &a, buf[k], 16);
}

static int parse(const Msg *m, DhcpLease *l, char *err)
{
	return dhcp_message_parse(m->b, m->n, XID, MAC, l, err, 256);
}

/* Where option code starts in a client message, or -1. */
static long find_option(const uint8_t *b, size_t n, uint8_t code)
{
	for (size_t i = 240; i < n && b[i] != 255;) {
		if (b[i] == 0) {
			i++;
			continue;
		}
		if (b[i] == code)
			return (long)i;
		i += 2 + b[i + 1];
	}
	return -1;
}

/* ---- what the client sends ------------------------------------------------- */

static void test_discover(void **state)
{
	(void)state;
	uint8_t b[DHCP_MESSAGE_MAX];
	int n = dhcp_message_build(b, sizeof(b), DHCP_DISCOVER, XID, MAC, 3, NULL);
	assert_true(n >= 300);
	assert_int_equal(b[0], 1);
	assert_int_equal(b[1], 1);
	assert_int_equal(b[2], 6);
	assert_memory_equal(b + 4, "\x1b\xad\xca\xfe", 4);
	assert_memory_equal(b + 8, "\x00\x03", 2);
	assert_memory_equal(b + 28, MAC, 6);
	assert_memory_equal(b + 236, "\x63\x82\x53\x63", 4);
	long i = find_option(b, (size_t)n, 53);
	assert_true(i > 0);
	assert_int_equal(b[i + 1], 1);
	assert_int_equal(b[i + 2], DHCP_DISCOVER);
	i = find_option(b, (size_t)n, 61);
	assert_true(i > 0);
	assert_memory_equal(b + i + 1, "\x07\x01", 2);
	assert_memory_equal(b + i + 3, MAC, 6);
	i = find_option(b, (size_t)n, 55);
	assert_true(i > 0);
	assert_non_null(memchr(b + i + 2, 121, b[i + 1]));
	assert_non_null(memchr(b + i + 2, 1, b[i + 1]));
	assert_non_null(memchr(b + i + 2, 3, b[i + 1]));
	assert_int_equal(find_option(b, (size_t)n, 50), -1);
	assert_int_equal(find_option(b, (size_t)n, 54), -1);
	assert_int_equal(dhcp_message_build(b, 299, DHCP_DISCOVER, XID, MAC, 0, NULL), -ENOBUFS);
}

static void test_request(void **state)
{
	(void)state;
	Msg m;
	DhcpLease l;
	char err[256];
	offer(&m, DHCP_OFFER);
	end(&m);
	assert_int_equal(parse(&m, &l, err), 0);

	uint8_t b[DHCP_MESSAGE_MAX];
	int n = dhcp_message_build(b, sizeof(b), DHCP_REQUEST, XID, MAC, 0, &l);
	assert_true(n >= 300);
	long i = find_option(b, (size_t)n, 53);
	assert_int_equal(b[i + 2], DHCP_REQUEST);
	i = find_option(b, (size_t)n, 50);
	assert_true(i > 0);
	assert_memory_equal(b + i + 1, "\x04\x0a\x00\x02\x0f", 5);
	i = find_option(b, (size_t)n, 54);
	assert_true(i > 0);
	assert_memory_equal(b + i + 1, "\x04\x0a\x00\x02\x02", 5);
	/* ciaddr stays 0 in the SELECTING state (RFC 2131 4.3.2). */
	assert_memory_equal(b + 12, "\0\0\0\0", 4);
}

/* ---- frames ------------------------------------------------------------------ */

static uint16_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void test_frame_wrap(void **state)
{
	(void)state;
	uint8_t f[DHCP_FRAME_HEADERS + DHCP_MESSAGE_MAX];
	int n = dhcp_message_build(f + DHCP_FRAME_HEADERS, DHCP_MESSAGE_MAX, DHCP_DISCOVER, XID,
				   MAC, 0, NULL);
	size_t len = dhcp_frame_wrap(f, (size_t)n);
	assert_int_equal(len, (size_t)n + 28);
	assert_int_equal(f[0], 0x45);
	assert_int_equal(f[2] << 8 | f[3], len);
	assert_int_equal(f[9], 17);
	assert_memory_equal(f + 12, "\0\0\0\0", 4);
	assert_memory_equal(f + 16, "\xff\xff\xff\xff", 4);
	assert_int_equal(sum16(f, 20, 0), 0); /* header checksum checks out */
	assert_memory_equal(f + 20, "\x00\x44\x00\x43", 4);
	assert_int_equal(f[24] << 8 | f[25], n + 8);
	/* UDP checksum over the pseudo-header: 0.0.0.0, 255.255.255.255, 17, length. */
	uint32_t pseudo = 0xffff + 0xffff + 17 + (uint32_t)(n + 8);
	assert_int_equal(sum16(f + 20, (size_t)n + 8, pseudo), 0);
}

/* A server's frame to the client port, checksums done by the test. */
static size_t server_frame(uint8_t *f, const Msg *m, bool udp_csum)
{
	size_t total = 28 + m->n;
	memset(f, 0, 28);
	memcpy(f + 28, m->b, m->n);
	f[0] = 0x45;
	f[2] = total >> 8;
	f[3] = total & 0xff;
	f[8] = 64;
	f[9] = 17;
	memcpy(f + 12, "\x0a\x00\x02\x02", 4);
	memcpy(f + 16, "\xff\xff\xff\xff", 4);
	uint16_t c = sum16(f, 20, 0);
	f[10] = c >> 8;
	f[11] = c & 0xff;
	f[20] = 0;
	f[21] = 67;
	f[22] = 0;
	f[23] = 68;
	f[24] = (m->n + 8) >> 8;
	f[25] = (m->n + 8) & 0xff;
	if (udp_csum) {
		uint32_t pseudo = 0x0a00 + 0x0202 + 0xffff + 0xffff + 17 + (uint32_t)(m->n + 8);
		c = sum16(f + 20, m->n + 8, pseudo);
		f[26] = c >> 8;
		f[27] = c & 0xff;
	}
	return total;
}

static void test_frame_unwrap(void **state)
{
	(void)state;
	Msg m;
	uint8_t f[2048];
	const uint8_t *p;
	size_t plen;
	offer(&m, DHCP_OFFER);
	end(&m);

	size_t len = server_frame(f, &m, true);
	assert_int_equal(dhcp_frame_unwrap(f, len, false, &p, &plen), 0);
	assert_ptr_equal(p, f + 28);
	assert_int_equal(plen, m.n);
	/* Ethernet pads short frames: bytes past the IP length are not the message's. */
	assert_int_equal(dhcp_frame_unwrap(f, len + 18, false, &p, &plen), 0);
	assert_int_equal(plen, m.n);
	/* No UDP checksum at all is allowed over IPv4. */
	len = server_frame(f, &m, false);
	assert_int_equal(dhcp_frame_unwrap(f, len, false, &p, &plen), 0);

	len = server_frame(f, &m, true);
	f[28 + 100] ^= 1; /* a bit flipped in transit */
	assert_int_equal(dhcp_frame_unwrap(f, len, false, &p, &plen), -ENOMSG);
	/* ... unless the NIC vouched for it (checksum offload) */
	assert_int_equal(dhcp_frame_unwrap(f, len, true, &p, &plen), 0);

	len = server_frame(f, &m, true);
	f[8] = 1; /* TTL changed without the header checksum */
	assert_int_equal(dhcp_frame_unwrap(f, len, true, &p, &plen), -ENOMSG);

	len = server_frame(f, &m, true);
	assert_int_equal(dhcp_frame_unwrap(f, len - 1, false, &p, &plen), -ENOMSG);
	assert_int_equal(dhcp_frame_unwrap(f, 19, false, &p, &plen), -ENOMSG);

	len = server_frame(f, &m, true);
	f[6] = 0x20; /* more fragments, with the header checksum redone */
	f[10] = f[11] = 0;
	uint16_t c = sum16(f, 20, 0);
	f[10] = c >> 8;
	f[11] = c & 0xff;
	assert_int_equal(dhcp_frame_unwrap(f, len, true, &p, &plen), -ENOMSG);

	len = server_frame(f, &m, false);
	f[23] = 67; /* to the server port */
	assert_int_equal(dhcp_frame_unwrap(f, len, true, &p, &plen), -ENOMSG);

	len = server_frame(f, &m, false);
	f[24] = 0xff; /* UDP length past the datagram */
	assert_int_equal(dhcp_frame_unwrap(f, len, true, &p, &plen), -ENOMSG);
}

/* ---- what the client takes from a server -------------------------------------- */

static void test_offer(void **state)
{
	(void)state;
	Msg m;
	DhcpLease l;
	char err[256] = "";
	offer(&m, DHCP_OFFER);
	opt(&m, 26, "\x05\xdc", 2);
	end(&m);
	assert_int_equal(parse(&m, &l, err), 0);
	assert_int_equal(l.type, DHCP_OFFER);
	assert_string_equal(str(l.address), "10.0.2.15");
	assert_string_equal(str(l.server_id), "10.0.2.2");
	assert_string_equal(str(l.router), "10.0.2.2");
	assert_int_equal(l.prefixlen, 24);
	assert_int_equal(l.lease_seconds, 86400);
	assert_int_equal(l.mtu, 1500);
	assert_false(l.classless);
	assert_int_equal(l.n_routes, 0);
}

static void test_classless_routes(void **state)
{
	(void)state;
	Msg m;
	DhcpLease l;
	char err[256] = "";
	/* Azure's: IMDS and the wireserver through the gateway, a default route, the subnet on the
	 * link. */
	static const uint8_t routes[] = {
	    32, 169, 254, 169, 254, 10, 0, 2, 1, /* 169.254.169.254/32 via 10.0.2.1 */
	    32, 168, 63,  129, 16,  10, 0, 2, 1, /* 168.63.129.16/32 via 10.0.2.1 */
	    0,	10,  0,	  2,   1,		 /* default via 10.0.2.1 */
	    24, 10,  0,	  2,   0,   0,	0, 0,	 /* 10.0.2.0/24 on the link */
	    12, 172, 31,  1,   2,   3,	4,	 /* 172.16.0.0/12 (host bits dropped) via 1.2.3.4 */
	};
	offer(&m, DHCP_ACK);
	opt(&m, 121, routes, sizeof(routes));
	end(&m);
	assert_int_equal(parse(&m, &l, err), 0);
	assert_true(l.classless);
	assert_int_equal(l.n_routes, 5);
	assert_string_equal(str(l.routes[0].dest), "169.254.169.254");
	assert_int_equal(l.routes[0].prefixlen, 32);
	assert_string_equal(str(l.routes[0].gateway), "10.0.2.1");
	assert_string_equal(str(l.routes[1].dest), "168.63.129.16");
	assert_string_equal(str(l.routes[2].dest), "0.0.0.0");
	assert_int_equal(l.routes[2].prefixlen, 0);
	assert_string_equal(str(l.routes[2].gateway), "10.0.2.1");
	assert_string_equal(str(l.routes[3].dest), "10.0.2.0");
	assert_string_equal(str(l.routes[3].gateway), "0.0.0.0");
	assert_string_equal(str(l.routes[4].dest), "172.16.0.0");
	assert_int_equal(l.routes[4].prefixlen, 12);
	assert_string_equal(str(l.routes[4].gateway), "1.2.3.4");

	/* RFC 3396: a long option split in two is one value. */
	offer(&m, DHCP_ACK);
	opt(&m, 121, routes, 14);
	opt_addr(&m, 6, "10.0.2.3");
	opt(&m, 121, routes + 14, sizeof(routes) - 14);
	end(&m);
	assert_int_equal(parse(&m, &l, err), 0);
	assert_int_equal(l.n_routes, 5);
	assert_string_equal(str(l.routes[1].dest), "168.63.129.16");
	assert_string_equal(str(l.routes[1].gateway), "10.0.2.1");
}

static void test_overload(void **state)
{
	(void)state;
	Msg m;
	DhcpLease l;
	char err[256] = "";
	msg_init(&m, 2, XID, "192.168.7.9");
	opt_u8(&m, 53, DHCP_ACK);
	opt_u8(&m, 52, 3); /* file, then sname, carry options too */
	end(&m);
	/* file field: server id and lease time; sname field: the mask. */
	uint8_t *file = m.b + 108, *sname = m.b + 44;
	memcpy(file, "\x36\x04\xc0\xa8\x07\x01\x33\x04\x00\x00\x0e\x10\xff", 13);
	memcpy(sname, "\x01\x04\xff\xff\xff\xf0\xff", 7);
	assert_int_equal(parse(&m, &l, err), 0);
	assert_string_equal(str(l.server_id), "192.168.7.1");
	assert_int_equal(l.lease_seconds, 3600);
	assert_int_equal(l.prefixlen, 28);

	/* An option in the file field that runs past it. */
	memcpy(file + 125, "\x01\x04\xff", 3);
	memset(file + 12, 0, 113); /* no END before it */
	assert_int_equal(parse(&m, &l, err), -EBADMSG);
	assert_non_null(strstr(err, "file"));
}

static void test_defaults(void **state)
{
	(void)state;
	Msg m;
	DhcpLease l;
	char err[256] = "";
	/* No mask: the address's class; no router: no route; an OFFER may omit the lease time. */
	msg_init(&m, 2, XID, "172.20.1.5");
	opt_u8(&m, 53, DHCP_OFFER);
	opt_addr(&m, 54, "172.20.0.1");
	end(&m);
	assert_int_equal(parse(&m, &l, err), 0);
	assert_int_equal(l.prefixlen, 16);
	assert_int_equal(l.router.s_addr, 0);
	assert_int_equal(l.lease_seconds, 0);

	msg_init(&m, 2, XID, "0.0.0.0");
	opt_u8(&m, 53, DHCP_NAK);
	opt_addr(&m, 54, "172.20.0.1");
	end(&m);
	assert_int_equal(parse(&m, &l, err), 0);
	assert_int_equal(l.type, DHCP_NAK);
	assert_string_equal(str(l.server_id), "172.20.0.1");
}

static void test_not_ours(void **state)
{
	(void)state;
	Msg m;
	DhcpLease l;
	char err[256] = "";
	offer(&m, DHCP_OFFER);
	end(&m);
	assert_int_equal(dhcp_message_parse(m.b, m.n, XID + 1, MAC, &l, err, sizeof(err)), -ENOMSG);
	static const uint8_t other[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x57};
	assert_int_equal(dhcp_message_parse(m.b, m.n, XID, other, &l, err, sizeof(err)), -ENOMSG);
	m.b[0] = 1; /* another client's request */
	assert_int_equal(parse(&m, &l, err), -ENOMSG);
	offer(&m, DHCP_DISCOVER);
	end(&m);
	assert_int_equal(parse(&m, &l, err), -ENOMSG);
}

/* Each case: what the server sent, and a word the error must contain. */
static void expect_bad(const Msg *m, const char *word)
{
	DhcpLease l;
	char err[256] = "";
	assert_int_equal(parse(m, &l, err), -EBADMSG);
	if (!strstr(err, word))
		fail_msg("error '%s' does not mention '%s'", err, word);
}

static void test_malformed(void **state)
{
	(void)state;
	Msg m;
	offer(&m, DHCP_OFFER);
	end(&m);
	Msg t = m;
	t.n = 239;
	expect_bad(&t, "shorter");
	t = m;
	t.b[236] = 98;
	expect_bad(&t, "cookie");

	/* An option whose length runs past the message. */
	offer(&m, DHCP_OFFER);
	m.b[m.n++] = 121;
	m.b[m.n++] = 200;
	m.b[m.n++] = 0;
	expect_bad(&m, "option 121");
	offer(&m, DHCP_OFFER);
	m.b[m.n++] = 26; /* a code with no length byte at the end */
	expect_bad(&m, "no length");

	msg_init(&m, 2, XID, "10.0.2.15");
	opt_addr(&m, 54, "10.0.2.2");
	end(&m);
	expect_bad(&m, "message type");
	msg_init(&m, 2, XID, "10.0.2.15");
	opt(&m, 53, "\x02\x02", 2);
	end(&m);
	expect_bad(&m, "option 53");

	msg_init(&m, 2, XID, "10.0.2.15");
	opt_u8(&m, 53, DHCP_ACK);
	opt_u32(&m, 51, 60);
	end(&m);
	expect_bad(&m, "server identifier");
	msg_init(&m, 2, XID, "10.0.2.15");
	opt_u8(&m, 53, DHCP_ACK);
	opt(&m, 54, "\x0a\x00\x02", 3);
	end(&m);
	expect_bad(&m, "length 3");

	msg_init(&m, 2, XID, "10.0.2.15");
	opt_u8(&m, 53, DHCP_OFFER);
	opt_addr(&m, 54, "0.0.0.0");
	end(&m);
	expect_bad(&m, "server identifier 0.0.0.0");

	offer(&m, DHCP_ACK);
	m.n -= 6; /* drop option 51 */
	end(&m);
	expect_bad(&m, "lease time");
	offer(&m, DHCP_ACK);
	opt_u32(&m, 51, 0);
	end(&m);
	expect_bad(&m, "lease time");

	static const char *const not_hosts[] = {"0.0.0.0",	   "127.0.0.1", "224.0.0.1",
						"255.255.255.255", "0.1.2.3",	"240.0.0.1"};
	for (size_t i = 0; i < sizeof(not_hosts) / sizeof(*not_hosts); i++) {
		offer(&m, DHCP_OFFER);
		assert_int_equal(inet_pton(AF_INET, not_hosts[i], m.b + 16), 1);
		end(&m);
		expect_bad(&m, not_hosts[i]);
	}

	msg_init(&m, 2, XID, "10.0.2.15");
	opt_u8(&m, 53, DHCP_OFFER);
	opt_addr(&m, 54, "10.0.2.2");
	opt_addr(&m, 1, "255.0.255.0");
	end(&m);
	expect_bad(&m, "not contiguous");

	offer(&m, DHCP_OFFER);
	opt(&m, 26, "\x00\x10", 2);
	end(&m);
	expect_bad(&m, "MTU");

	offer(&m, DHCP_OFFER);
	opt(&m, 121, "\x21\x0a\x00\x00\x00\x00\x0a\x00\x02\x01", 10); /* a /33 */
	end(&m);
	expect_bad(&m, "/33");
	offer(&m, DHCP_OFFER);
	opt(&m, 121, "\x18\x0a\x00\x02\x0a\x00\x02", 7); /* router cut short */
	end(&m);
	expect_bad(&m, "truncated");

	offer(&m, DHCP_OFFER);
	opt_u8(&m, 52, 7);
	end(&m);
	expect_bad(&m, "overload");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_discover),   cmocka_unit_test(test_request),
	    cmocka_unit_test(test_frame_wrap), cmocka_unit_test(test_frame_unwrap),
	    cmocka_unit_test(test_offer),      cmocka_unit_test(test_classless_routes),
	    cmocka_unit_test(test_overload),   cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_not_ours),   cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
