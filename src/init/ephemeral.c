/* SPDX-License-Identifier: MIT */
/* The ephemeral DHCPv4 lease: a packet socket for the exchange, rtnetlink for the result. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ephemeral.h"
#include "fileio.h"
#include "log.h"
#include "macros.h"
#include "random-util.h"
#include "strutil.h"

static int fail(int r, char *err, size_t errlen, const char *fmt, ...) _printf_(4, 5);
static int fail(int r, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

/* ---- which NIC ----------------------------------------------------------- */

static int read_attr(const char *sysfs_net, const char *ifname, const char *attr, char *buf,
		     size_t size)
{
	char path[512];
	_cleanup_free_ char *s = NULL;
	snprintf(path, sizeof(path), "%s/%s/%s", sysfs_net, ifname, attr);
	int r = read_full_file(path, 256, &s, NULL);
	if (r < 0)
		return r;
	snprintf(buf, size, "%s", s);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static bool link_exists(const char *sysfs_net, const char *ifname, const char *link)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s/%s", sysfs_net, ifname, link);
	return access(path, F_OK) == 0;
}

/* Accelerated networking VFs: the synthetic NIC with the same MAC takes DHCP. */
static bool is_vf_driver(const char *sysfs_net, const char *ifname)
{
	static const char *const vf_drivers[] = {"mlx4_core", "mlx5_core", "mana"};
	char path[512], target[512];
	snprintf(path, sizeof(path), "%s/%s/device/driver", sysfs_net, ifname);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	const char *base = strrchr(target, '/');
	base = base ? base + 1 : target;
	for (size_t i = 0; i < ELEMENTSOF(vf_drivers); i++)
		if (streq(base, vf_drivers[i]))
			return true;
	return false;
}

/* 1 and the NIC's name, 0 none yet. */
static int pick_once(const char *sysfs_net, char ret[IF_NAMESIZE])
{
	DIR *d = opendir(sysfs_net);
	long best = -1;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	for (struct dirent *de; (de = readdir(d));) {
		char v[64];
		if (de->d_name[0] == '.' || streq(de->d_name, "lo") ||
		    strlen(de->d_name) >= IF_NAMESIZE)
			continue;
		if (read_attr(sysfs_net, de->d_name, "type", v, sizeof(v)) < 0 || !streq(v, "1"))
			continue;
		if (!link_exists(sysfs_net, de->d_name, "device") ||
		    link_exists(sysfs_net, de->d_name, "master") ||
		    is_vf_driver(sysfs_net, de->d_name))
			continue;
		if (read_attr(sysfs_net, de->d_name, "ifindex", v, sizeof(v)) < 0)
			continue;
		long idx = strtol(v, NULL, 10);
		if (idx > 0 && (best < 0 || idx < best)) {
			best = idx;
			snprintf(ret, IF_NAMESIZE, "%s", de->d_name);
		}
	}
	closedir(d);
	return best > 0;
}

int ephemeral_pick_link(const char *sysfs_net, const char *ifname, usec_t timeout,
			char ret[IF_NAMESIZE], char *err, size_t errlen)
{
	usec_t deadline = now_usec(CLOCK_MONOTONIC) + timeout;
	if (!isempty(ifname) && strlen(ifname) >= IF_NAMESIZE)
		return fail(-EINVAL, err, errlen, "interface name '%s' is too long", ifname);
	for (;;) {
		int r;
		if (!isempty(ifname)) {
			r = link_exists(sysfs_net, ifname, "ifindex");
			if (r)
				snprintf(ret, IF_NAMESIZE, "%s", ifname);
		} else {
			r = pick_once(sysfs_net, ret);
			if (r < 0)
				return fail(r, err, errlen, "cannot list %s: %s", sysfs_net,
					    strerror(-r));
		}
		if (r > 0)
			return 0;
		if (now_usec(CLOCK_MONOTONIC) >= deadline)
			break;
		sleep_usec(50 * USEC_PER_MSEC);
	}
	if (!isempty(ifname))
		return fail(-ENODEV, err, errlen, "interface %s did not appear", ifname);
	return fail(-ENODEV, err, errlen, "no Ethernet interface appeared in %s", sysfs_net);
}

/* ---- rtnetlink ----------------------------------------------------------- */

typedef struct NlReq {
	struct nlmsghdr h;
	union {
		struct ifinfomsg link;
		struct ifaddrmsg addr;
		struct rtmsg route;
	};
	uint8_t attrs[128];
} NlReq;

static void nl_attr(NlReq *q, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((uint8_t *)q + NLMSG_ALIGN(q->h.nlmsg_len));
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	q->h.nlmsg_len = NLMSG_ALIGN(q->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Send one request and wait for its acknowledgement: 0 or the kernel's -errno. */
static int nl_call(int fd, NlReq *q)
{
	static uint32_t seq;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	q->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	q->h.nlmsg_seq = ++seq;
	if (sendto(fd, q, q->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		uint8_t buf[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		size_t left = (size_t)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != q->h.nlmsg_seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				return -EBADMSG;
			return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		}
	}
}

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct timeval tv = {.tv_sec = 5};
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static int link_set_up(int nl, int ifindex)
{
	NlReq q = {
	    .h = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)), .nlmsg_type = RTM_NEWLINK},
	    .link = {.ifi_family = AF_UNSPEC,
		     .ifi_index = ifindex,
		     .ifi_flags = IFF_UP,
		     .ifi_change = IFF_UP}};
	return nl_call(nl, &q);
}

static bool in_subnet(struct in_addr a, const DhcpLease *l)
{
	uint32_t mask = l->prefixlen ? UINT32_MAX << (32 - l->prefixlen) : 0;
	return ((ntohl(a.s_addr) ^ ntohl(l->address.s_addr)) & mask) == 0;
}

static int address_add(int nl, int ifindex, const DhcpLease *l)
{
	NlReq q = {.h = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
			 .nlmsg_type = RTM_NEWADDR,
			 .nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE},
		   .addr = {.ifa_family = AF_INET,
			    .ifa_prefixlen = l->prefixlen,
			    .ifa_scope = RT_SCOPE_UNIVERSE,
			    .ifa_index = (unsigned)ifindex}};
	nl_attr(&q, IFA_LOCAL, &l->address, 4);
	nl_attr(&q, IFA_ADDRESS, &l->address, 4);
	if (l->prefixlen < 31) {
		uint32_t host = l->prefixlen ? UINT32_MAX >> l->prefixlen : UINT32_MAX;
		struct in_addr b = {.s_addr = l->address.s_addr | htonl(host)};
		nl_attr(&q, IFA_BROADCAST, &b, 4);
	}
	/* The lease's lifetime: a finite one marks the address as DHCP's to networkd. */
	struct ifa_cacheinfo ci = {.ifa_prefered = l->lease_seconds, .ifa_valid = l->lease_seconds};
	nl_attr(&q, IFA_CACHEINFO, &ci, sizeof(ci));
	return nl_call(nl, &q);
}

static int route_add(int nl, int ifindex, const DhcpLease *l, struct in_addr dest,
		     uint8_t prefixlen, struct in_addr gw)
{
	NlReq q = {.h = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)),
			 .nlmsg_type = RTM_NEWROUTE,
			 .nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE},
		   .route = {.rtm_family = AF_INET,
			     .rtm_dst_len = prefixlen,
			     .rtm_table = RT_TABLE_MAIN,
			     .rtm_protocol = RTPROT_DHCP,
			     .rtm_scope = gw.s_addr ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK,
			     .rtm_type = RTN_UNICAST}};
	uint32_t oif = (uint32_t)ifindex;
	if (prefixlen > 0)
		nl_attr(&q, RTA_DST, &dest, 4);
	if (gw.s_addr) {
		nl_attr(&q, RTA_GATEWAY, &gw, 4);
		/* A router outside the subnet (RFC 3442 allows it) is on the link all the same. */
		if (!in_subnet(gw, l))
			q.route.rtm_flags |= RTNH_F_ONLINK;
	}
	nl_attr(&q, RTA_PREFSRC, &l->address, 4);
	nl_attr(&q, RTA_OIF, &oif, 4);
	return nl_call(nl, &q);
}

static int configure(int nl, const EphemeralLease *e, char *err, size_t errlen)
{
	const DhcpLease *l = &e->lease;
	char a[16], g[16];
	int r = address_add(nl, e->ifindex, l);
	if (r < 0)
		return fail(r, err, errlen, "cannot add %s/%u to %s: %s",
			    dhcp_addr_str(l->address, a), l->prefixlen, e->ifname, strerror(-r));
	if (!l->classless) {
		if (!l->router.s_addr)
			return 0;
		r = route_add(nl, e->ifindex, l, (struct in_addr){0}, 0, l->router);
		if (r < 0)
			return fail(r, err, errlen, "cannot add the default route via %s on %s: %s",
				    dhcp_addr_str(l->router, g), e->ifname, strerror(-r));
		return 0;
	}
	/* Routes on the link first: a router may be reachable only through one. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < l->n_routes; i++) {
			const DhcpRoute *rt = &l->routes[i];
			if ((rt->gateway.s_addr != 0) != (pass == 1))
				continue;
			r = route_add(nl, e->ifindex, l, rt->dest, rt->prefixlen, rt->gateway);
			if (r < 0)
				return fail(r, err, errlen,
					    "cannot add the route to %s/%u via %s on %s: %s",
					    dhcp_addr_str(rt->dest, a), rt->prefixlen,
					    dhcp_addr_str(rt->gateway, g), e->ifname, strerror(-r));
		}
	return 0;
}

/* ---- the exchange --------------------------------------------------------- */

static int packet_open(int ifindex)
{
	/* IPv4, UDP, not a fragment, destination port 68 (offsets from the IP header). */
	static struct sock_filter code[] = {
	    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 6),
	    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
	    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 4, 0),
	    BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
	    BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, DHCP_CLIENT_PORT, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, 0xffff),
	    BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = {.len = ELEMENTSOF(code), .filter = code};
	int one = 1;
	/* Protocol 0 receives nothing until bind(), which comes after the filter. */
	_cleanup_close_ int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0)
		return -errno;
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = ifindex};
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

static int packet_send(int fd, int ifindex, uint8_t type, uint32_t xid, const uint8_t mac[6],
		       uint16_t secs, const DhcpLease *offer)
{
	uint8_t buf[DHCP_FRAME_HEADERS + DHCP_MESSAGE_MAX];
	int n = dhcp_message_build(buf + DHCP_FRAME_HEADERS, DHCP_MESSAGE_MAX, type, xid, mac, secs,
				   offer);
	if (n < 0)
		return n;
	size_t len = dhcp_frame_wrap(buf, (size_t)n);
	struct sockaddr_ll to = {.sll_family = AF_PACKET,
				 .sll_protocol = htons(ETH_P_IP),
				 .sll_ifindex = ifindex,
				 .sll_halen = ETH_ALEN};
	memset(to.sll_addr, 0xff, ETH_ALEN);
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

/* One frame: 0 and its DHCP payload parsed for (xid, mac); -ENOMSG not ours; -EAGAIN none. */
static int packet_recv(int fd, uint32_t xid, const uint8_t mac[6], DhcpLease *ret, char *why,
		       size_t whylen)
{
	uint8_t buf[DHCP_FRAME_HEADERS + DHCP_MESSAGE_MAX + 64];
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = sizeof(ctl)};
	ssize_t n = recvmsg(fd, &msg, MSG_TRUNC);
	if (n < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	if ((size_t)n > sizeof(buf))
		return -ENOMSG;
	bool csum_valid = false;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
			struct tpacket_auxdata aux;
			memcpy(&aux, CMSG_DATA(c), sizeof(aux));
			/* Not yet computed (offload), or checked by the NIC. */
			csum_valid =
			    aux.tp_status & (TP_STATUS_CSUMNOTREADY | TP_STATUS_CSUM_VALID);
		}
	const uint8_t *payload;
	size_t plen;
	int r = dhcp_frame_unwrap(buf, (size_t)n, csum_valid, &payload, &plen);
	if (r < 0)
		return r;
	return dhcp_message_parse(payload, plen, xid, mac, ret, why, whylen);
}

static usec_t backoff(unsigned tries)
{
	/* Fast at first (a local server answers within milliseconds), then RFC 2131's doubling. */
	usec_t base = (usec_t)500 * USEC_PER_MSEC << MIN(tries, 4u);
	return base + random_below(base / 4 + 1);
}

static int read_mac(const char *ifname, uint8_t mac[6], char *err, size_t errlen)
{
	char v[64];
	unsigned b[6];
	int r = read_attr("/sys/class/net", ifname, "address", v, sizeof(v));
	if (r < 0)
		return fail(r, err, errlen, "cannot read the hardware address of %s: %s", ifname,
			    strerror(-r));
	if (sscanf(v, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return fail(-EINVAL, err, errlen, "%s has hardware address '%s', not Ethernet's",
			    ifname, v);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int exchange(int fd, EphemeralLease *e, const uint8_t mac[6], usec_t deadline, char *err,
		    size_t errlen)
{
	char why[256] = "", a[16], b[16];
	DhcpLease offer = {0}, got;
	bool requesting = false;
	unsigned tries = 0;
	uint32_t xid = (uint32_t)random_below(UINT64_C(1) << 32);
	usec_t start = now_usec(CLOCK_MONOTONIC);

	for (;;) {
		usec_t now = now_usec(CLOCK_MONOTONIC);
		if (now >= deadline)
			return fail(-ETIMEDOUT, err, errlen,
				    "no DHCP %s on %s after %u messages%s%s",
				    requesting ? "acknowledgement" : "offer", e->ifname,
				    e->attempts, *why ? "; last malformed answer: " : "", why);
		uint16_t secs = (uint16_t)MIN((now - start) / USEC_PER_SEC, 65535);
		int r = packet_send(fd, e->ifindex, requesting ? DHCP_REQUEST : DHCP_DISCOVER, xid,
				    mac, secs, requesting ? &offer : NULL);
		if (r < 0)
			return fail(r, err, errlen, "cannot send a DHCP message on %s: %s",
				    e->ifname, strerror(-r));
		e->attempts++;
		usec_t until = MIN(deadline, now + backoff(tries));
		bool restart = false;
		while (!restart) {
			now = now_usec(CLOCK_MONOTONIC);
			if (now >= until)
				break;
			struct pollfd p = {.fd = fd, .events = POLLIN};
			int timeout_ms = (int)((until - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC);
			if (poll(&p, 1, timeout_ms) < 0 && errno != EINTR)
				return fail(-errno, err, errlen, "poll: %m");
			char w[256] = "";
			r = packet_recv(fd, xid, mac, &got, w, sizeof(w));
			if (r == -EBADMSG) {
				log_warning("Ignoring a malformed DHCP answer on %s: %s", e->ifname,
					    w);
				snprintf(why, sizeof(why), "%s", w);
				continue;
			}
			if (r == -EAGAIN || r == -ENOMSG)
				continue;
			if (r < 0)
				return fail(r, err, errlen, "cannot receive on %s: %s", e->ifname,
					    strerror(-r));
			if (!requesting && got.type == DHCP_OFFER) {
				log_debug("DHCP offer of %s from %s on %s",
					  dhcp_addr_str(got.address, a),
					  dhcp_addr_str(got.server_id, b), e->ifname);
				*why = '\0';
				offer = got;
				requesting = true;
				tries = 0;
				restart = true;
			} else if (requesting && got.server_id.s_addr == offer.server_id.s_addr) {
				if (got.type == DHCP_ACK) {
					e->lease = got;
					return 0;
				}
				if (got.type == DHCP_NAK) {
					log_info("DHCP server %s declined %s on %s, starting over",
						 dhcp_addr_str(offer.server_id, a),
						 dhcp_addr_str(offer.address, b), e->ifname);
					*why = '\0';
					requesting = false;
					tries = 0;
					xid = (uint32_t)random_below(UINT64_C(1) << 32);
					restart = true;
				}
			}
		}
		if (restart)
			continue;
		/* A silent server after a few REQUESTs may have forgotten us: DISCOVER again. */
		if (++tries >= 4 && requesting) {
			requesting = false;
			tries = 0;
			xid = (uint32_t)random_below(UINT64_C(1) << 32);
		}
	}
}

int ephemeral_dhcp(const char *ifname, usec_t timeout, EphemeralLease *ret, char *err,
		   size_t errlen)
{
	usec_t deadline = now_usec(CLOCK_MONOTONIC) + timeout;
	EphemeralLease e = {0};
	uint8_t mac[6];
	int r;

	snprintf(e.ifname, sizeof(e.ifname), "%s", ifname);
	e.ifindex = (int)if_nametoindex(ifname);
	if (e.ifindex <= 0)
		return fail(-ENODEV, err, errlen, "no interface %s", ifname);
	r = read_mac(ifname, mac, err, errlen);
	if (r < 0)
		return r;

	_cleanup_close_ int nl = nl_open();
	if (nl < 0)
		return fail(nl, err, errlen, "cannot open rtnetlink: %s", strerror(-nl));
	r = link_set_up(nl, e.ifindex);
	if (r < 0)
		return fail(r, err, errlen, "cannot bring %s up: %s", ifname, strerror(-r));
	_cleanup_close_ int fd = packet_open(e.ifindex);
	if (fd < 0)
		return fail(fd, err, errlen, "cannot open a packet socket on %s: %s", ifname,
			    strerror(-fd));
	r = exchange(fd, &e, mac, deadline, err, errlen);
	if (r < 0)
		return r;
	r = configure(nl, &e, err, errlen);
	if (r < 0)
		return r;
	*ret = e;
	return 0;
}
