/* SPDX-License-Identifier: MIT */
/* The netclass collector: per-interface attributes of /sys/class/net/<if>/. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macros.h"
#include "scrape.h"

typedef struct NetClassRow {
	char device[64];
	char address[64], broadcast[64], duplex[16], operstate[16];
	char ifalias[256];
	uint64_t carrier, mtu, speed, txqlen;
	bool has_carrier, has_mtu, has_speed, has_txqlen;
} NetClassRow;

#define NETCLASS_MAX_IFACES 1024

/*
 * The first line of a sysfs attribute into out. An attribute the kernel does
 * not have for this interface (ENOENT) or refuses to read (EINVAL: speed and
 * duplex of a virtual device, carrier of a device that is down) is "".
 */
int parse_netclass_str(const char *buf, size_t len, char *out, size_t outlen)
{
	const char *le = line_end(buf, buf + len);
	size_t n = (size_t)(le - buf);

	if (memchr(buf, '\0', n))
		return -EBADMSG;
	if (n >= outlen)
		return -ENAMETOOLONG;
	memcpy(out, buf, n);
	out[n] = '\0';
	return 0;
}

/* A non-negative decimal attribute; "-1" (speed of a link that is down) is -ERANGE. */
int parse_netclass_u64(const char *buf, size_t len, uint64_t *ret)
{
	const char *le = line_end(buf, buf + len);
	if (le > buf && buf[0] == '-')
		return -ERANGE;
	return parse_u64_n(buf, (size_t)(le - buf), ret) < 0 ? -EBADMSG : 0;
}

static void read_str(Scrape *s, int dfd, const char *attr, char *out, size_t outlen)
{
	ssize_t n = scrape_read_single(s, dfd, attr);
	out[0] = '\0';
	if (n >= 0 && parse_netclass_str(s->buf, (size_t)n, out, outlen) < 0)
		out[0] = '\0';
}

static bool read_u64(Scrape *s, int dfd, const char *attr, uint64_t *ret)
{
	ssize_t n = scrape_read_single(s, dfd, attr);
	return n >= 0 && parse_netclass_u64(s->buf, (size_t)n, ret) == 0;
}

static void read_row(Scrape *s, int dfd, NetClassRow *r)
{
	read_str(s, dfd, "address", r->address, sizeof(r->address));
	read_str(s, dfd, "broadcast", r->broadcast, sizeof(r->broadcast));
	read_str(s, dfd, "duplex", r->duplex, sizeof(r->duplex));
	read_str(s, dfd, "ifalias", r->ifalias, sizeof(r->ifalias));
	read_str(s, dfd, "operstate", r->operstate, sizeof(r->operstate));
	r->has_carrier = read_u64(s, dfd, "carrier", &r->carrier);
	r->has_mtu = read_u64(s, dfd, "mtu", &r->mtu);
	r->has_speed = read_u64(s, dfd, "speed", &r->speed) && r->speed <= UINT64_MAX / 125000;
	r->has_txqlen = read_u64(s, dfd, "tx_queue_len", &r->txqlen);
}

static int cmp_row(const void *a, const void *b)
{
	return strcmp(((const NetClassRow *)a)->device, ((const NetClassRow *)b)->device);
}

static void emit_u64(Scrape *s, const NetClassRow *rows, size_t n, const char *name,
		     const char *help, size_t has_off, size_t val_off, uint64_t mul)
{
	bool family = false;
	for (size_t i = 0; i < n; i++) {
		const char *row = (const char *)&rows[i];
		if (!*(const bool *)(row + has_off))
			continue;
		if (!family) {
			expo_family(&s->out, name, MT_GAUGE, help);
			family = true;
		}
		expo_begin(&s->out);
		expo_label(&s->out, "device", rows[i].device);
		expo_end_u64(&s->out, *(const uint64_t *)(row + val_off) * mul);
	}
}

static void emit_rows(Scrape *s, const NetClassRow *rows, size_t n)
{
	if (n == 0)
		return;
	emit_u64(s, rows, n, "node_network_carrier", "Network device property: carrier",
		 offsetof(NetClassRow, has_carrier), offsetof(NetClassRow, carrier), 1);
	expo_family(&s->out, "node_network_info", MT_GAUGE,
		    "Non-numeric data from /sys/class/net/<iface>, value is always 1.");
	for (size_t i = 0; i < n; i++) {
		expo_begin(&s->out);
		expo_label(&s->out, "address", rows[i].address);
		expo_label(&s->out, "broadcast", rows[i].broadcast);
		expo_label(&s->out, "device", rows[i].device);
		expo_label(&s->out, "duplex", rows[i].duplex);
		expo_label(&s->out, "ifalias", rows[i].ifalias);
		expo_label(&s->out, "operstate", rows[i].operstate);
		expo_end_u64(&s->out, 1);
	}
	emit_u64(s, rows, n, "node_network_mtu_bytes", "Network device property: mtu_bytes",
		 offsetof(NetClassRow, has_mtu), offsetof(NetClassRow, mtu), 1);
	emit_u64(s, rows, n, "node_network_speed_bytes", "Network device property: speed_bytes",
		 offsetof(NetClassRow, has_speed), offsetof(NetClassRow, speed), 125000);
	emit_u64(s, rows, n, "node_network_transmit_queue_length",
		 "Network device property: transmit_queue_length",
		 offsetof(NetClassRow, has_txqlen), offsetof(NetClassRow, txqlen), 1);
	expo_family(&s->out, "node_network_up", MT_GAUGE,
		    "Value is 1 if operstate is 'up', 0 otherwise.");
	for (size_t i = 0; i < n; i++) {
		expo_begin(&s->out);
		expo_label(&s->out, "device", rows[i].device);
		expo_end_u64(&s->out, strcmp(rows[i].operstate, "up") == 0);
	}
}

int collect_netclass(Scrape *s)
{
	if (s->sys_fd < 0)
		return -ENOENT;
	int dfd = openat(s->sys_fd, "class/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	DIR *d = fdopendir(dfd);
	if (!d) {
		int r = -errno;
		close(dfd);
		return r;
	}
	NetClassRow *rows = NULL;
	size_t n = 0, cap = 0;
	int r = 0;
	struct dirent *de;

	while ((de = readdir(d)) && n < NETCLASS_MAX_IFACES) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(rows->device))
			continue;
		int ifd = openat(dfd, de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (ifd < 0)
			continue; /* not a directory, or gone since readdir */
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			NetClassRow *nr = realloc(rows, ncap * sizeof(*rows));
			if (!nr) {
				close(ifd);
				r = -ENOMEM;
				break;
			}
			rows = nr;
			cap = ncap;
		}
		NetClassRow *row = &rows[n++];
		memset(row, 0, sizeof(*row));
		strcpy(row->device, de->d_name);
		read_row(s, ifd, row);
		close(ifd);
	}
	closedir(d);
	if (r == 0) {
		qsort(rows, n, sizeof(*rows), cmp_row);
		emit_rows(s, rows, n);
	}
	free(rows);
	return r;
}
