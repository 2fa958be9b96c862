/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * An ephemeral DHCPv4 lease on the primary NIC, taken before the network
 * manager runs so that IMDS and the wireserver are reachable early in boot
 * (as cloud-init's Azure data source does in its local stage). The link is
 * brought up, the lease's address (with the lease's lifetime) and routes
 * (protocol "dhcp", option 121 when given, else the router) are added and
 * left in place: systemd-networkd keeps them (KeepConfiguration=dynamic) and
 * renews the same lease itself.
 */

#include <net/if.h>
#include <stddef.h>

#include "dhcp.h"
#include "time-util.h"

typedef struct EphemeralLease {
	char ifname[IF_NAMESIZE];
	int ifindex;
	DhcpLease lease;
	unsigned attempts; /* DISCOVER and REQUEST messages sent */
} EphemeralLease;

/*
 * The NIC to use: ifname if given (it must exist by the deadline), else the
 * Ethernet device with the lowest ifindex that is not a loopback, virtual
 * (no device behind it), enslaved (a master link), or an accelerated
 * networking VF (drivers mlx4_core, mlx5_core, mana: on Azure they carry the
 * synthetic NIC's traffic, not their own DHCP). sysfs_net is
 * "/sys/class/net". Waits up to timeout for one to appear. -ENODEV when
 * none did.
 */
int ephemeral_pick_link(const char *sysfs_net, const char *ifname, usec_t timeout,
			char ret[IF_NAMESIZE], char *err, size_t errlen);

/*
 * Bring ifname up, run DISCOVER/OFFER/REQUEST/ACK on it (retransmitting
 * with back-off, starting over on a NAK) until timeout, and configure the
 * lease. -ETIMEDOUT when no server answered; other negative errno on
 * socket or netlink errors; err says which.
 */
int ephemeral_dhcp(const char *ifname, usec_t timeout, EphemeralLease *ret, char *err,
		   size_t errlen);
