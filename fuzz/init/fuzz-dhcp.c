/* SPDX-License-Identifier: MIT */
/*
 * A DHCP server's answer on arbitrary bytes: the frame around it, then the
 * message. The transaction id and hardware address are taken from the input
 * itself so that the parser gets past "not ours". What it accepts must be
 * usable as it stands (a known type, prefixes within 32 bits, a bounded
 * route table); what it refuses it must name.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "dhcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_message(const uint8_t *m, size_t n)
{
	DhcpLease l;
	char err[256] = "";
	uint8_t mac[6] = {0};
	uint32_t xid = 0;

	if (n >= 34) {
		xid = (uint32_t)m[4] << 24 | (uint32_t)m[5] << 16 | (uint32_t)m[6] << 8 | m[7];
		memcpy(mac, m + 28, 6);
	}
	int r = dhcp_message_parse(m, n, xid, mac, &l, err, sizeof(err));
	if (r == -EBADMSG) {
		if (!err[0])
			__builtin_trap();
		return;
	}
	if (r == -ENOMSG)
		return;
	if (r != 0)
		__builtin_trap();
	if (l.type != DHCP_OFFER && l.type != DHCP_ACK && l.type != DHCP_NAK)
		__builtin_trap();
	if (l.type == DHCP_NAK)
		return;
	if (l.prefixlen > 32 || l.n_routes > DHCP_ROUTES_MAX || (l.n_routes && !l.classless) ||
	    l.address.s_addr == 0 || l.server_id.s_addr == 0)
		__builtin_trap();
	for (size_t i = 0; i < l.n_routes; i++)
		if (l.routes[i].prefixlen > 32)
			__builtin_trap();
	if (l.type == DHCP_ACK && l.lease_seconds == 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* First byte: bit 0 says the frame is IPv4/UDP around it, bit 1 that the NIC checked it. */
	uint8_t mode = data[0];
	data++;
	size--;
	if (mode & 1) {
		const uint8_t *p;
		size_t n;
		if (dhcp_frame_unwrap(data, size, mode & 2, &p, &n) == 0) {
			if (p < data || p + n > data + size)
				__builtin_trap();
			check_message(p, n);
		}
		return 0;
	}
	check_message(data, size);
	return 0;
}
