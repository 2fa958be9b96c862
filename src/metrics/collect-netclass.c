/* SPDX-License-Identifier: MIT */
/* The netclass collector: per-interface attributes of /sys/class/net/<if>/. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macros.h"
#include "scrape.h"

/* The attributes read for each interface, in the order of the table below. */
typedef enum NetAttr {
	NA_ADDRESS,
	NA_BROADCAST,
	NA_DUPLEX,
	NA_IFALIAS,
	NA_OPERSTATE,
	_NA_STRINGS,
	NA_ADDR_ASSIGN_TYPE = _NA_STRINGS,
	NA_CARRIER,
	NA_CARRIER_CHANGES,
	NA_CARRIER_DOWN_COUNT,
	NA_CARRIER_UP_COUNT,
	NA_DEV_ID,
	NA_DORMANT,
	NA_FLAGS,
	NA_IFINDEX,
	NA_IFLINK,
	NA_LINK_MODE,
	NA_MTU,
	NA_NAME_ASSIGN_TYPE,
	NA_NETDEV_GROUP,
	NA_SPEED,
	NA_TX_QUEUE_LEN,
	NA_TYPE,
	_NA_MAX,
} NetAttr;

static const char *const attr_files[_NA_MAX] = {
    [NA_ADDRESS] = "address",
    [NA_BROADCAST] = "broadcast",
    [NA_DUPLEX] = "duplex",
    [NA_IFALIAS] = "ifalias",
    [NA_OPERSTATE] = "operstate",
    [NA_ADDR_ASSIGN_TYPE] = "addr_assign_type",
    [NA_CARRIER] = "carrier",
    [NA_CARRIER_CHANGES] = "carrier_changes",
    [NA_CARRIER_DOWN_COUNT] = "carrier_down_count",
    [NA_CARRIER_UP_COUNT] = "carrier_up_count",
    [NA_DEV_ID] = "dev_id",
    [NA_DORMANT] = "dormant",
    [NA_FLAGS] = "flags",
    [NA_IFINDEX] = "ifindex",
    [NA_IFLINK] = "iflink",
    [NA_LINK_MODE] = "link_mode",
    [NA_MTU] = "mtu",
    [NA_NAME_ASSIGN_TYPE] = "name_assign_type",
    [NA_NETDEV_GROUP] = "netdev_group",
    [NA_SPEED] = "speed",
    [NA_TX_QUEUE_LEN] = "tx_queue_len",
    [NA_TYPE] = "type",
};

/* node_exporter's numeric families, in its (alphabetical) order; "info" and "up" go between. */
typedef struct NetFamily {
	const char *name, *help;
	NetAttr attr;
	MetricType type;
	uint64_t mul;
} NetFamily;

#define PROP(n) "node_network_" n, "Network device property: " n
static const NetFamily families_before_info[] = {
    {PROP("address_assign_type"), NA_ADDR_ASSIGN_TYPE, MT_GAUGE, 1},
    {PROP("carrier"), NA_CARRIER, MT_GAUGE, 1},
    {PROP("carrier_changes_total"), NA_CARRIER_CHANGES, MT_COUNTER, 1},
    {PROP("carrier_down_changes_total"), NA_CARRIER_DOWN_COUNT, MT_COUNTER, 1},
    {PROP("carrier_up_changes_total"), NA_CARRIER_UP_COUNT, MT_COUNTER, 1},
    {PROP("device_id"), NA_DEV_ID, MT_GAUGE, 1},
    {PROP("dormant"), NA_DORMANT, MT_GAUGE, 1},
    {PROP("flags"), NA_FLAGS, MT_GAUGE, 1},
    {PROP("iface_id"), NA_IFINDEX, MT_GAUGE, 1},
    {PROP("iface_link"), NA_IFLINK, MT_GAUGE, 1},
    {PROP("iface_link_mode"), NA_LINK_MODE, MT_GAUGE, 1},
};
static const NetFamily families_after_info[] = {
    {PROP("mtu_bytes"), NA_MTU, MT_GAUGE, 1},
    {PROP("name_assign_type"), NA_NAME_ASSIGN_TYPE, MT_GAUGE, 1},
    {PROP("net_dev_group"), NA_NETDEV_GROUP, MT_GAUGE, 1},
    {PROP("protocol_type"), NA_TYPE, MT_GAUGE, 1},
    {PROP("speed_bytes"), NA_SPEED, MT_GAUGE, 125000}, /* Mbit/s to bytes/s */
    {PROP("transmit_queue_length"), NA_TX_QUEUE_LEN, MT_GAUGE, 1},
};
#undef PROP

typedef struct NetClassRow {
	char device[64];
	char str[_NA_STRINGS][256];
	uint64_t val[_NA_MAX];
	uint32_t has; /* bit per numeric attribute read */
	bool speed_unknown; /* speed "-1": a link that is down, or no speed to tell */
} NetClassRow;

/*
 * The attribute files of the first NETCLASS_CACHED interfaces stay open
 * between scrapes, so that a scrape costs one pread() per attribute rather
 * than open, read and close. An entry is keyed by the interface's name and
 * the inode of its /sys/class/net entry: an interface deleted and created
 * again under the same name gets a new entry, so a recycled name never
 * reads the old device's files. Interfaces beyond the cache (a host with
 * many container veths) are read the plain way.
 */
#define NETCLASS_MAX_IFACES 1024
#define NETCLASS_CACHED 16

typedef struct NetClassEntry {
	char device[64];
	ino_t ino;
	int fd[_NA_MAX]; /* -1: not opened yet; -2: the file does not exist */
	bool seen;
} NetClassEntry;

struct NetClassCache {
	DIR *dir; /* class/net, rewound on every scrape */
	NetClassEntry e[NETCLASS_CACHED];
	size_t n;
};

static void entry_close(NetClassEntry *e)
{
	for (size_t i = 0; i < _NA_MAX; i++)
		if (e->fd[i] >= 0)
			close(e->fd[i]);
}

void netclass_cache_free(NetClassCache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		entry_close(&c->e[i]);
	if (c->dir)
		closedir(c->dir);
	free(c);
}

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

/*
 * A non-negative decimal attribute, or a hexadecimal one written "0x..."
 * (dev_id, flags); "-1" (speed of a link that is down) is -ERANGE.
 */
int parse_netclass_u64(const char *buf, size_t len, uint64_t *ret)
{
	const char *le = line_end(buf, buf + len);
	size_t n = (size_t)(le - buf);

	if (n > 0 && buf[0] == '-')
		return -ERANGE;
	if (n > 2 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X')) {
		uint64_t v = 0;
		for (size_t i = 2; i < n; i++) {
			int d = buf[i] >= '0' && buf[i] <= '9'	 ? buf[i] - '0'
				: buf[i] >= 'a' && buf[i] <= 'f' ? buf[i] - 'a' + 10
				: buf[i] >= 'A' && buf[i] <= 'F' ? buf[i] - 'A' + 10
								 : -1;
			if (d < 0 || v > UINT64_MAX >> 4)
				return -EBADMSG;
			v = v << 4 | (uint64_t)d;
		}
		*ret = v;
		return 0;
	}
	return parse_u64_n(buf, n, ret) < 0 ? -EBADMSG : 0;
}

/*
 * Read one attribute of dev into s->buf: through the entry's descriptor
 * when the interface is cached, else open, read and close.
 */
static ssize_t read_attr(Scrape *s, int dfd, const char *dev, NetClassEntry *e, NetAttr a)
{
	char path[64 + 32];

	if (e && e->fd[a] >= 0)
		return scrape_read_fd(s, e->fd[a], true); /* the common case: no path to format */
	if (e && e->fd[a] == -2)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/%s", dev, attr_files[a]);
	if (!e)
		return scrape_read_single(s, dfd, path);
	int fd = openat(dfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			e->fd[a] = -2; /* this kernel or device has no such file */
		return -errno;
	}
	e->fd[a] = fd;
	return scrape_read_fd(s, fd, true);
}

static void read_row(Scrape *s, int dfd, NetClassEntry *e, NetClassRow *r)
{
	for (NetAttr a = 0; a < _NA_MAX; a++) {
		ssize_t n = read_attr(s, dfd, r->device, e, a);
		if (n < 0)
			continue; /* e.g. EINVAL: speed and duplex of a virtual device, carrier of a device that is down */
		if (a < _NA_STRINGS) {
			if (parse_netclass_str(s->buf, (size_t)n, r->str[a], sizeof(r->str[a])) < 0)
				r->str[a][0] = '\0';
		} else {
			int k = parse_netclass_u64(s->buf, (size_t)n, &r->val[a]);
			if (k == 0 && (a != NA_SPEED || r->val[a] <= INT64_MAX / 125000))
				r->has |= 1u << a;
			else if (k == -ERANGE && a == NA_SPEED && n >= 2 && memcmp(s->buf, "-1", 2) == 0)
				r->speed_unknown = true; /* node_exporter reports -1 Mbit/s as -125000 */
		}
	}
}

static int cmp_row(const void *a, const void *b)
{
	return strcmp(((const NetClassRow *)a)->device, ((const NetClassRow *)b)->device);
}

static int cmp_info(const void *a, const void *b)
{
	const NetClassRow *x = a, *y = b;
	int c = strcmp(x->str[NA_ADDRESS], y->str[NA_ADDRESS]);
	if (c == 0)
		c = strcmp(x->str[NA_BROADCAST], y->str[NA_BROADCAST]);
	return c ? c : strcmp(x->device, y->device);
}

static void emit_families(Scrape *s, const NetClassRow *rows, size_t n, const NetFamily *f, size_t nf)
{
	for (; nf > 0; f++, nf--) {
		bool family = false;
		for (size_t i = 0; i < n; i++) {
			bool unknown = f->attr == NA_SPEED && rows[i].speed_unknown;
			if (!(rows[i].has & (1u << f->attr)) && !unknown)
				continue;
			if (!family) {
				expo_family(&s->out, f->name, f->type, f->help);
				family = true;
			}
			expo_begin(&s->out);
			expo_label(&s->out, "device", rows[i].device);
			if (unknown)
				expo_end_i64(&s->out, -(int64_t)f->mul);
			else
				expo_end_u64(&s->out, rows[i].val[f->attr] * f->mul);
		}
	}
}

static void emit_rows(Scrape *s, NetClassRow *rows, size_t n)
{
	if (n == 0)
		return;
	qsort(rows, n, sizeof(*rows), cmp_row);
	emit_families(s, rows, n, families_before_info, ELEMENTSOF(families_before_info));
	expo_family(&s->out, "node_network_info", MT_GAUGE,
		    "Non-numeric data from /sys/class/net/<iface>, value is always 1.");
	/* node_exporter orders these by their labels, address first; the rest by device */
	qsort(rows, n, sizeof(*rows), cmp_info);
	for (size_t j = 0; j < n; j++) {
		const NetClassRow *r = &rows[j];
		expo_begin(&s->out);
		expo_label(&s->out, "address", r->str[NA_ADDRESS]);
		expo_label(&s->out, "broadcast", r->str[NA_BROADCAST]);
		expo_label(&s->out, "device", r->device);
		expo_label(&s->out, "duplex", r->str[NA_DUPLEX]);
		expo_label(&s->out, "ifalias", r->str[NA_IFALIAS]);
		expo_label(&s->out, "operstate", r->str[NA_OPERSTATE]);
		expo_end_u64(&s->out, 1);
	}
	qsort(rows, n, sizeof(*rows), cmp_row);
	emit_families(s, rows, n, families_after_info, ELEMENTSOF(families_after_info));
	expo_family(&s->out, "node_network_up", MT_GAUGE,
		    "Value is 1 if operstate is 'up', 0 otherwise.");
	for (size_t i = 0; i < n; i++) {
		expo_begin(&s->out);
		expo_label(&s->out, "device", rows[i].device);
		expo_end_u64(&s->out, strcmp(rows[i].str[NA_OPERSTATE], "up") == 0);
	}
}

/* The cache entry for an interface seen now, or NULL to read it uncached. */
static NetClassEntry *cache_entry(NetClassCache *c, const char *dev, ino_t ino)
{
	NetClassEntry *e = NULL;

	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->e[i].device, dev) == 0) {
			e = &c->e[i];
			break;
		}
	if (e && e->ino != ino) {
		entry_close(e); /* the name now belongs to another device */
		e->ino = ino;
		for (size_t i = 0; i < _NA_MAX; i++)
			e->fd[i] = -1;
	} else if (!e) {
		if (c->n >= NETCLASS_CACHED)
			return NULL;
		e = &c->e[c->n++];
		strcpy(e->device, dev);
		e->ino = ino;
		for (size_t i = 0; i < _NA_MAX; i++)
			e->fd[i] = -1;
	}
	e->seen = true;
	return e;
}

static int open_cache(Scrape *s)
{
	if (s->netclass) {
		rewinddir(s->netclass->dir);
		return 0;
	}
	NetClassCache *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	int dfd = openat(s->sys_fd, "class/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || !(c->dir = fdopendir(dfd))) {
		int r = -errno;
		if (dfd >= 0)
			close(dfd);
		free(c);
		return r;
	}
	s->netclass = c;
	return 0;
}

int collect_netclass(Scrape *s)
{
	if (s->sys_fd < 0)
		return -ENOENT;
	int r = open_cache(s);
	if (r < 0)
		return r;
	NetClassCache *c = s->netclass;
	int dfd = dirfd(c->dir);
	NetClassRow *rows = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	for (size_t i = 0; i < c->n; i++)
		c->e[i].seen = false;
	while ((de = readdir(c->dir)) && n < NETCLASS_MAX_IFACES) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(rows->device))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			NetClassRow *nr = realloc(rows, ncap * sizeof(*rows));
			if (!nr) {
				r = -ENOMEM;
				break;
			}
			rows = nr;
			cap = ncap;
		}
		NetClassRow *row = &rows[n++];
		memset(row, 0, sizeof(*row));
		strcpy(row->device, de->d_name);
		read_row(s, dfd, cache_entry(c, de->d_name, de->d_ino), row);
	}
	/* interfaces that are gone */
	for (size_t i = 0; i < c->n;)
		if (!c->e[i].seen) {
			entry_close(&c->e[i]);
			c->e[i] = c->e[--c->n];
		} else {
			i++;
		}
	if (r == 0)
		emit_rows(s, rows, n);
	free(rows);
	return r;
}
