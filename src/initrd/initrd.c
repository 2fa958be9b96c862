/* SPDX-License-Identifier: MIT */
#include "initrd.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"

_printf_(3, 4) static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Copies the next space-separated word of *p into buf, without the double
 * quotes the kernel allows around a value with spaces. 0 at the end. */
static int next_word(const char **p, char *buf, size_t len)
{
	const char *s = *p;
	size_t n = 0;
	bool quoted = false;

	while (*s && isspace((unsigned char)*s))
		s++;
	if (!*s)
		return 0;
	for (; *s && (quoted || !isspace((unsigned char)*s)); s++) {
		if (*s == '"') {
			quoted = !quoted;
			continue;
		}
		if (n + 1 >= len)
			return -E2BIG;
		buf[n++] = *s;
	}
	buf[n] = '\0';
	*p = s;
	return 1;
}

static bool uuid_valid(const char *s)
{
	size_t hex = 0;

	for (; *s; s++) {
		if (isxdigit((unsigned char)*s))
			hex++;
		else if (*s != '-')
			return false;
	}
	return hex == 32;
}

static int set_value(char *dst, size_t dstlen, const char *name, const char *value, char *err,
		     size_t errlen)
{
	if (strlen(value) >= dstlen)
		return fail(err, errlen, "%s= is too long (%zu bytes, at most %zu)", name,
			    strlen(value), dstlen - 1);
	strcpy(dst, value);
	return 0;
}

static int parse_root(const char *v, struct boot_args *a, char *err, size_t errlen)
{
	if (strncmp(v, "UUID=", 5) == 0) {
		if (!uuid_valid(v + 5))
			return fail(err, errlen, "root=%s: not a UUID (32 hex digits)", v);
		a->root_kind = ROOT_UUID;
		(void)set_value(a->root, sizeof(a->root), "root", v + 5, NULL, 0);
		for (char *c = a->root; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		return 0;
	}
	if (strncmp(v, "LABEL=", 6) == 0) {
		if (!v[6])
			return fail(err, errlen, "root=LABEL= names no label");
		a->root_kind = ROOT_LABEL;
		return set_value(a->root, sizeof(a->root), "root", v + 6, err, errlen);
	}
	if (strncmp(v, "/dev/", 5) == 0 && v[5] && !strstr(v, "/../") && !strstr(v, "/./")) {
		a->root_kind = ROOT_DEVICE;
		return set_value(a->root, sizeof(a->root), "root", v, err, errlen);
	}
	return fail(err, errlen,
		    "root=%s is not supported by lazuli-initrd (UUID=, LABEL= or /dev/NAME are)",
		    v);
}

int boot_args_parse(const char *cmdline, struct boot_args *out, char *err, size_t errlen)
{
	char w[4096];
	const char *p = cmdline;
	int r;

	*out = (struct boot_args){.rootdelay = ROOTDELAY_DEFAULT};
	while ((r = next_word(&p, w, sizeof(w))) != 0) {
		if (r < 0)
			return fail(err, errlen, "a kernel command line argument is too long");
		if (strncmp(w, "root=", 5) == 0) {
			r = parse_root(w + 5, out, err, errlen);
		} else if (strncmp(w, "rootfstype=", 11) == 0) {
			r = set_value(out->rootfstype, sizeof(out->rootfstype), "rootfstype",
				      w + 11, err, errlen);
		} else if (strncmp(w, "rootflags=", 10) == 0) {
			r = set_value(out->rootflags, sizeof(out->rootflags), "rootflags", w + 10,
				      err, errlen);
		} else if (strncmp(w, "init=", 5) == 0) {
			if (w[5] != '/')
				return fail(err, errlen, "init=%s is not an absolute path", w + 5);
			r = set_value(out->init, sizeof(out->init), "init", w + 5, err, errlen);
		} else if (strncmp(w, "rootdelay=", 10) == 0) {
			char *end;
			long v;

			errno = 0;
			v = strtol(w + 10, &end, 10);
			if (errno || end == w + 10 || *end || v < 0 || v > 86400)
				return fail(err, errlen,
					    "rootdelay=%s is not a number of seconds (0-86400)",
					    w + 10);
			out->rootdelay = (int)v;
		} else if (strcmp(w, "rootwait") == 0) {
			out->rootdelay = -1;
		} else if (strcmp(w, "ro") == 0) {
			out->rw = false;
		} else if (strcmp(w, "rw") == 0) {
			out->rw = true;
		}
		if (r < 0)
			return r;
	}
	if (out->root_kind == ROOT_NONE)
		return fail(err, errlen, "no root= on the kernel command line");
	return 0;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void format_uuid(const uint8_t *u, char out[37])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[u[i] >> 4];
		out[o++] = hex[u[i] & 15];
	}
	out[o] = '\0';
}

/* A label field of at most max bytes, NUL-padded or not. */
static void copy_label(char *dst, const uint8_t *src, size_t max)
{
	size_t n = strnlen((const char *)src, max);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

int fs_probe(const uint8_t *buf, size_t len, struct fs_info *out)
{
	/* ext2/3/4: superblock at 1 KiB, magic 0xEF53 at 0x38, UUID at 0x68,
	 * label at 0x78 (16 bytes). The ext4 driver mounts all three. */
	if (len >= 1024 + 0x88 && le16(buf + 1024 + 0x38) == 0xEF53) {
		*out = (struct fs_info){.type = "ext4"};
		format_uuid(buf + 1024 + 0x68, out->uuid);
		copy_label(out->label, buf + 1024 + 0x78, 16);
		return 0;
	}
	/* XFS: "XFSB" at 0, UUID at 32, label at 108 (12 bytes). */
	if (len >= 120 && memcmp(buf, "XFSB", 4) == 0) {
		*out = (struct fs_info){.type = "xfs"};
		format_uuid(buf + 32, out->uuid);
		copy_label(out->label, buf + 108, 12);
		return 0;
	}
	/* btrfs: superblock at 64 KiB, magic at 0x40, fsid at 0x20, label at
	 * 0x12b (256 bytes). */
	if (len >= 0x10000 + 0x12b + 256 && memcmp(buf + 0x10000 + 0x40, "_BHRfS_M", 8) == 0) {
		*out = (struct fs_info){.type = "btrfs"};
		format_uuid(buf + 0x10000 + 0x20, out->uuid);
		copy_label(out->label, buf + 0x10000 + 0x12b, 256);
		return 0;
	}
	return -ENOENT;
}

/* UUIDs compare without their dashes (case was folded when parsed). */
static bool uuid_equal(const char *a, const char *b)
{
	for (;;) {
		while (*a == '-')
			a++;
		while (*b == '-')
			b++;
		if (*a != *b)
			return false;
		if (!*a)
			return true;
		a++, b++;
	}
}

bool root_matches(const struct boot_args *args, const char *name, const struct fs_info *fs)
{
	switch (args->root_kind) {
	case ROOT_DEVICE:
		return strncmp(args->root, "/dev/", 5) == 0 && strcmp(args->root + 5, name) == 0;
	case ROOT_UUID:
		return fs && uuid_equal(args->root, fs->uuid);
	case ROOT_LABEL:
		return fs && strcmp(args->root, fs->label) == 0;
	case ROOT_NONE:
		break;
	}
	return false;
}

bool module_name_valid(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

void mod_table_free(struct mod_table *t)
{
	for (size_t i = 0; i < t->n_chains; i++) {
		free(t->chains[i].name);
		for (size_t j = 0; j < t->chains[i].n_modules; j++)
			free(t->chains[i].modules[j]);
		free(t->chains[i].modules);
	}
	for (size_t i = 0; i < t->n_aliases; i++)
		free(t->aliases[i].pattern);
	free(t->chains);
	free(t->aliases);
	*t = (struct mod_table){0};
}

static ssize_t find_chain(const struct mod_table *t, const char *name)
{
	for (size_t i = 0; i < t->n_chains; i++)
		if (strcmp(t->chains[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

/* Splits line (modified) into at most max words. */
static size_t split(char *line, char **words, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return max + 1;
		words[n++] = w;
	}
	return n;
}

#define CHAIN_MAX 32

static int add_chain(struct mod_table *t, char **w, size_t n, unsigned lineno, char *err,
		     size_t errlen)
{
	struct mod_chain *c;
	void *p;

	if (n < 3)
		return fail(err, errlen, "line %u: 'load' needs a name and its modules", lineno);
	if (n > CHAIN_MAX + 2)
		return fail(err, errlen, "line %u: more than %d modules for %s", lineno, CHAIN_MAX,
			    w[1]);
	for (size_t i = 1; i < n; i++)
		if (!module_name_valid(w[i]))
			return fail(err, errlen, "line %u: '%s' is not a module name", lineno,
				    w[i]);
	if (strcmp(w[1], w[n - 1]) != 0)
		return fail(err, errlen, "line %u: the modules for %s do not end with it", lineno,
			    w[1]);
	if (find_chain(t, w[1]) >= 0)
		return fail(err, errlen, "line %u: %s is loaded twice", lineno, w[1]);
	p = realloc(t->chains, (t->n_chains + 1) * sizeof(*t->chains));
	if (!p)
		return -ENOMEM;
	t->chains = p;
	c = &t->chains[t->n_chains];
	*c = (struct mod_chain){.name = strdup(w[1]), .modules = calloc(n - 2, sizeof(char *))};
	if (!c->name || !c->modules)
		goto oom;
	for (size_t i = 2; i < n; i++) {
		c->modules[i - 2] = strdup(w[i]);
		if (!c->modules[i - 2])
			goto oom;
		c->n_modules++;
	}
	t->n_chains++;
	return 0;
oom:
	for (size_t i = 0; i < c->n_modules; i++)
		free(c->modules[i]);
	free(c->modules);
	free(c->name);
	return -ENOMEM;
}

/* Aliases name their module before or after its load line: the chain is
 * resolved once the whole table is read. */
static int add_alias(struct mod_table *t, char **w, size_t n, unsigned lineno, char *err,
		     size_t errlen)
{
	void *p;

	if (n != 3)
		return fail(err, errlen, "line %u: 'alias' needs a pattern and a module", lineno);
	if (!module_name_valid(w[2]))
		return fail(err, errlen, "line %u: '%s' is not a module name", lineno, w[2]);
	p = realloc(t->aliases, (t->n_aliases + 1) * sizeof(*t->aliases));
	if (!p)
		return -ENOMEM;
	t->aliases = p;
	/* The module's name goes after the pattern, in the same allocation. */
	size_t lp = strlen(w[1]), lm = strlen(w[2]);
	char *s = malloc(lp + lm + 2);
	if (!s)
		return -ENOMEM;
	memcpy(s, w[1], lp + 1);
	memcpy(s + lp + 1, w[2], lm + 1);
	t->aliases[t->n_aliases++] = (struct mod_alias){.pattern = s, .line = lineno};
	return 0;
}

static int alias_cmp(const void *a, const void *b)
{
	const struct mod_alias *x = a, *y = b;

	return x->chain < y->chain ? -1 : x->chain > y->chain;
}

int mod_table_parse(const char *text, struct mod_table *out, char *err, size_t errlen)
{
	_cleanup_free_ char *copy = strdup(text);
	char *line;
	unsigned lineno = 0;
	int r = 0;

	*out = (struct mod_table){0};
	if (!copy)
		return -ENOMEM;
	for (char *p = copy; p; p = line) {
		char *words[CHAIN_MAX + 3];
		size_t n;

		line = strchr(p, '\n');
		if (line)
			*line++ = '\0';
		lineno++;
		n = split(p, words, ELEMENTSOF(words));
		if (n == 0 || words[0][0] == '#')
			continue;
		if (strcmp(words[0], "load") == 0)
			r = n > ELEMENTSOF(words)
				? fail(err, errlen, "line %u: too many modules", lineno)
				: add_chain(out, words, n, lineno, err, errlen);
		else if (strcmp(words[0], "alias") == 0)
			r = add_alias(out, words, n, lineno, err, errlen);
		else
			r = fail(err, errlen, "line %u: unknown keyword '%s'", lineno, words[0]);
		if (r < 0)
			goto fail;
	}
	for (size_t i = 0; i < out->n_aliases; i++) {
		struct mod_alias *a = &out->aliases[i];
		const char *module = a->pattern + strlen(a->pattern) + 1;
		ssize_t c = find_chain(out, module);

		if (c < 0) {
			r = fail(err, errlen, "line %u: alias for %s, which no 'load' line names",
				 a->line, module);
			goto fail;
		}
		a->chain = (size_t)c;
		a->literal = strcspn(a->pattern, "*?[\\");
	}
	if (out->n_aliases > 1)
		qsort(out->aliases, out->n_aliases, sizeof(*out->aliases), alias_cmp);
	return 0;
fail:
	mod_table_free(out);
	return r;
}

void mod_table_match(const struct mod_table *t, const char *modalias,
		     void (*found)(size_t chain, void *userdata), void *userdata)
{
	/* The aliases are sorted by chain: once one of a chain's matches, the
	 * rest of its are skipped. A pattern's literal start (the bus and most
	 * of the ids) rules out nearly all of them before fnmatch() runs. */
	size_t last = SIZE_MAX;

	for (size_t i = 0; i < t->n_aliases; i++) {
		const struct mod_alias *a = &t->aliases[i];

		if (a->chain == last || strncmp(a->pattern, modalias, a->literal) != 0 ||
		    fnmatch(a->pattern, modalias, 0) != 0)
			continue;
		last = a->chain;
		found(a->chain, userdata);
	}
}
