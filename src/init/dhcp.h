/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * DHCPv4 messages (RFC 2131, options RFC 2132, classless static routes RFC
 * 3442, long options RFC 3396) and the IPv4/UDP frame around them, for the
 * ephemeral lease lazuli-init takes before the network manager runs. Pure
 * functions over byte buffers: nothing here touches a socket.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_DECLINE = 4,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
	DHCP_RELEASE = 7,
};

#define DHCP_CLIENT_PORT 68
#define DHCP_SERVER_PORT 67
/* The largest message we send or accept (without the IPv4 and UDP headers). */
#define DHCP_MESSAGE_MAX 1472
/* Headers a frame adds: IPv4 without options and UDP. */
#define DHCP_FRAME_HEADERS 28
#define DHCP_ROUTES_MAX 64

typedef struct DhcpRoute {
	struct in_addr dest;
	uint8_t prefixlen;
	struct in_addr gateway; /* 0.0.0.0: on the link */
} DhcpRoute;

typedef struct DhcpLease {
	uint8_t type; /* DHCP_OFFER, DHCP_ACK or DHCP_NAK */
	struct in_addr address;
	struct in_addr server_id;
	uint8_t prefixlen;
	struct in_addr router;	/* option 3's first router; 0 if none */
	uint32_t lease_seconds; /* UINT32_MAX: infinite */
	uint16_t mtu;		/* 0 if not given */
	/* Option 121 when the server sent it (then option 3 does not count). */
	bool classless;
	size_t n_routes;
	DhcpRoute routes[DHCP_ROUTES_MAX];
} DhcpLease;

/*
 * A client message: DISCOVER (lease NULL) or REQUEST for the offer in lease
 * (requested address and server id), from the hardware address mac, with a
 * client identifier of type 1 (Ethernet) and a parameter request list that
 * asks for the subnet mask, routers, classless routes, lease time and MTU.
 * Returns the length written, or -ENOBUFS when size is too small.
 */
int dhcp_message_build(uint8_t *buf, size_t size, uint8_t type, uint32_t xid, const uint8_t mac[6],
		       uint16_t secs, const DhcpLease *offer);

/*
 * Parse a server's reply to the client with this xid and mac. 0 and the
 * lease; -ENOMSG for a well-formed message that is not ours (a request, an
 * other transaction or client, a message type we do not take); -EBADMSG for
 * a malformed one (truncated header or option, bad cookie, invalid
 * classless route, a netmask that is not contiguous, an address that
 * cannot be a host's, an ACK without lease time), with the reason in err.
 */
int dhcp_message_parse(const uint8_t *buf, size_t len, uint32_t xid, const uint8_t mac[6],
		       DhcpLease *ret, char *err, size_t errlen);

/*
 * The IPv4 and UDP headers (checksums included) for a message of len bytes
 * already at buf + DHCP_FRAME_HEADERS, from 0.0.0.0:68 to
 * 255.255.255.255:67. Returns the frame's length.
 */
size_t dhcp_frame_wrap(uint8_t *buf, size_t len);

/*
 * The UDP payload of an IPv4 frame if it is a complete, unfragmented
 * datagram to port 68 with valid header checksums (the UDP checksum only
 * when the sender set one and csum_valid is false: a NIC that offloaded it
 * leaves it unfinished). -ENOMSG for anything else.
 */
int dhcp_frame_unwrap(const uint8_t *buf, size_t len, bool csum_valid, const uint8_t **payload,
		      size_t *payload_len);

/* "a.b.c.d/n" of a prefix length, "a.b.c.d" of an address (static buffers per call site). */
const char *dhcp_addr_str(struct in_addr a, char buf[16]);
