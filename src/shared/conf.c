/* SPDX-License-Identifier: MIT */
#include "conf.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macros.h"
#include "strutil.h"

#define CONF_FILE_MAX (1024u * 1024u)
#define CONF_LINE_MAX 4096u
#define CONF_DROPIN_MAX 1024u

static void conf_seterr(char *err, size_t errlen, const char *fmt, ...) _printf_(3, 4);
static void conf_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void conf_entry_done(ConfEntry *e)
{
	free(e->section);
	free(e->key);
	free(e->value);
	free(e->origin);
}

void conf_done(Conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_entries; i++)
		conf_entry_done(&c->entries[i]);
	free(c->entries);
	c->entries = NULL;
	c->n_entries = 0;
}

static bool conf_name_valid(const char *s)
{
	if (isempty(s))
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			return false;
	return true;
}

static bool conf_value_has_bad_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return true;
	return false;
}

static int conf_add(Conf *c, const char *section, const char *key, const char *value,
		    const char *path, unsigned line)
{
	ConfEntry e = {0};
	ConfEntry *n;

	n = realloc(c->entries, (c->n_entries + 1) * sizeof(ConfEntry));
	if (!n)
		return -ENOMEM;
	c->entries = n;

	e.section = strdup(section);
	e.key = strdup(key);
	e.value = strdup(value);
	if (asprintf(&e.origin, "%s:%u", path, line) < 0)
		e.origin = NULL;
	if (!e.section || !e.key || !e.value || !e.origin) {
		conf_entry_done(&e);
		return -ENOMEM;
	}
	c->entries[c->n_entries++] = e;
	return 0;
}

/* Moves all entries of src to the end of dst; src is emptied. */
static int conf_merge(Conf *dst, Conf *src)
{
	ConfEntry *n;

	if (src->n_entries == 0)
		return 0;
	n = realloc(dst->entries, (dst->n_entries + src->n_entries) * sizeof(ConfEntry));
	if (!n)
		return -ENOMEM;
	dst->entries = n;
	memcpy(dst->entries + dst->n_entries, src->entries, src->n_entries * sizeof(ConfEntry));
	dst->n_entries += src->n_entries;
	free(src->entries);
	src->entries = NULL;
	src->n_entries = 0;
	return 0;
}

static int conf_parse_line(Conf *c, char **section, char *l, const char *path, unsigned line,
			   char *err, size_t errlen)
{
	char *eq, *key, *value;

	l = strstrip(l);
	if (*l == '\0' || *l == '#' || *l == ';')
		return 0;

	if (*l == '[') {
		size_t n = strlen(l);
		char *name, *copy;

		if (l[n - 1] != ']') {
			conf_seterr(err, errlen, "%s:%u: section header not closed with ']'", path,
				    line);
			return -EINVAL;
		}
		l[n - 1] = '\0';
		name = strstrip(l + 1);
		if (!conf_name_valid(name)) {
			conf_seterr(
			    err, errlen,
			    "%s:%u: invalid section name '%.64s' (allowed: A-Z a-z 0-9 _ . -)",
			    path, line, name);
			return -EINVAL;
		}
		copy = strdup(name);
		if (!copy)
			return -ENOMEM;
		free(*section);
		*section = copy;
		return 0;
	}

	eq = strchr(l, '=');
	if (!eq) {
		conf_seterr(err, errlen, "%s:%u: expected 'Key = value' or '[Section]'", path,
			    line);
		return -EINVAL;
	}
	*eq = '\0';
	key = strstrip(l);
	value = strstrip(eq + 1);

	if (!conf_name_valid(key)) {
		conf_seterr(err, errlen,
			    "%s:%u: invalid key name '%.64s' (allowed: A-Z a-z 0-9 _ . -)", path,
			    line, key);
		return -EINVAL;
	}
	if (!*section) {
		conf_seterr(err, errlen, "%s:%u: assignment to %s outside of any [Section]", path,
			    line, key);
		return -EINVAL;
	}
	if (!utf8_is_valid_n(value, strlen(value))) {
		conf_seterr(err, errlen, "%s:%u: value of %s is not valid UTF-8", path, line, key);
		return -EINVAL;
	}
	if (conf_value_has_bad_control(value)) {
		conf_seterr(err, errlen, "%s:%u: value of %s contains a control character", path,
			    line, key);
		return -EINVAL;
	}
	return conf_add(c, *section, key, value, path, line);
}

static int conf_parse_buffer(Conf *c, char *data, size_t len, const char *path, char *err,
			     size_t errlen)
{
	_cleanup_free_ char *section = NULL;
	unsigned line = 0;
	size_t off = 0;
	int r;

	while (off < len) {
		char *l = data + off, *nl;
		size_t n;

		line++;
		nl = memchr(l, '\n', len - off);
		n = nl ? (size_t)(nl - l) : len - off;
		off += n + (nl ? 1 : 0);

		if (memchr(l, '\0', n)) {
			conf_seterr(err, errlen, "%s:%u: NUL byte in line", path, line);
			return -EINVAL;
		}
		if (n > CONF_LINE_MAX) {
			conf_seterr(err, errlen, "%s:%u: line longer than %u bytes", path, line,
				    CONF_LINE_MAX);
			return -EINVAL;
		}
		l[n] = '\0';
		r = conf_parse_line(c, &section, l, path, line, err, errlen);
		if (r < 0) {
			if (r == -ENOMEM)
				conf_seterr(err, errlen, "%s:%u: out of memory", path, line);
			return r;
		}
	}
	return 0;
}

int conf_load_file(Conf *c, const char *path, char *err, size_t errlen)
{
	_cleanup_free_ char *data = NULL;
	Conf tmp = {0};
	size_t len;
	int r;

	if (err && errlen > 0)
		err[0] = '\0';
	if (!c || isempty(path)) {
		conf_seterr(err, errlen, "invalid arguments");
		return -EINVAL;
	}

	r = read_full_file(path, CONF_FILE_MAX, &data, &len);
	if (r == -EFBIG) {
		conf_seterr(err, errlen, "%s: file larger than %u bytes", path, CONF_FILE_MAX);
		return r;
	}
	if (r < 0) {
		conf_seterr(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}

	/* Parse into a scratch set so a bad file adds nothing to c. */
	r = conf_parse_buffer(&tmp, data, len, path, err, errlen);
	if (r >= 0)
		r = conf_merge(c, &tmp);
	conf_done(&tmp);
	return r < 0 ? r : 0;
}

static int strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int conf_list_dropins(const char *dir, char ***ret, char *err, size_t errlen)
{
	_cleanup_strv_free_ char **names = NULL;
	DIR *d;
	struct dirent *de;
	size_t n = 0;
	int r = 0;

	*ret = NULL;
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		r = -errno;
		conf_seterr(err, errlen, "%s: %s", dir, strerror(-r));
		return r;
	}
	while ((errno = 0, de = readdir(d))) {
		if (de->d_name[0] == '.' || !endswith(de->d_name, ".conf"))
			continue;
		if (++n > CONF_DROPIN_MAX) {
			r = -E2BIG;
			conf_seterr(err, errlen, "%s: more than %u drop-in files", dir,
				    CONF_DROPIN_MAX);
			break;
		}
		r = strv_extend(&names, de->d_name);
		if (r < 0)
			break;
	}
	if (r == 0 && errno != 0)
		r = -errno;
	closedir(d);
	if (r < 0) {
		if (err && errlen > 0 && !err[0])
			conf_seterr(err, errlen, "%s: %s", dir, strerror(-r));
		return r;
	}
	if (names)
		qsort(names, strv_length(names), sizeof(char *), strcmp_ptr);
	*ret = TAKE_PTR(names);
	return 0;
}

int conf_load(Conf *c, const char *main_path, char *err, size_t errlen)
{
	_cleanup_strv_free_ char **dropins = NULL;
	_cleanup_free_ char *dir = NULL;
	Conf tmp = {0};
	int r;

	if (err && errlen > 0)
		err[0] = '\0';
	if (!c || isempty(main_path)) {
		conf_seterr(err, errlen, "invalid arguments");
		return -EINVAL;
	}

	r = conf_load_file(&tmp, main_path, err, errlen);
	if (r == -ENOENT) {
		if (err && errlen > 0)
			err[0] = '\0';
		r = 0;
	}
	if (r < 0)
		goto out;

	if (asprintf(&dir, "%s.d", main_path) < 0) {
		dir = NULL;
		r = -ENOMEM;
		goto out;
	}
	r = conf_list_dropins(dir, &dropins, err, errlen);
	if (r < 0)
		goto out;

	for (char **p = dropins; p && *p; p++) {
		_cleanup_free_ char *path = NULL;
		struct stat st;

		if (asprintf(&path, "%s/%s", dir, *p) < 0) {
			path = NULL;
			r = -ENOMEM;
			goto out;
		}
		/* Symlinks to /dev/null (masking) and directories are skipped. */
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		r = conf_load_file(&tmp, path, err, errlen);
		if (r < 0)
			goto out;
	}

	r = conf_merge(c, &tmp);
out:
	conf_done(&tmp);
	if (r == -ENOMEM && err && errlen > 0 && !err[0])
		conf_seterr(err, errlen, "out of memory");
	return r;
}

static const ConfEntry *conf_find(const Conf *c, const char *section, const char *key)
{
	if (!c || !section || !key)
		return NULL;
	for (size_t i = c->n_entries; i > 0; i--) {
		const ConfEntry *e = &c->entries[i - 1];
		if (streq(e->section, section) && streq(e->key, key))
			return e;
	}
	return NULL;
}

const char *conf_get(const Conf *c, const char *section, const char *key)
{
	const ConfEntry *e = conf_find(c, section, key);
	return e ? e->value : NULL;
}

int conf_get_bool(const Conf *c, const char *section, const char *key, bool *ret, char *err,
		  size_t errlen)
{
	const ConfEntry *e = conf_find(c, section, key);
	int b;

	if (!e)
		return 0;
	b = parse_boolean(e->value);
	if (b < 0) {
		conf_seterr(err, errlen,
			    "%s: %s.%s: '%.64s' is not a boolean (yes/no/true/false/1/0/on/off)",
			    e->origin, section, key, e->value);
		return -EINVAL;
	}
	if (ret)
		*ret = b;
	return 1;
}

int conf_get_uint(const Conf *c, const char *section, const char *key, unsigned *ret, char *err,
		  size_t errlen)
{
	const ConfEntry *e = conf_find(c, section, key);
	unsigned long long v;

	if (!e)
		return 0;
	if (safe_atou64(e->value, &v) < 0 || v > UINT_MAX) {
		conf_seterr(err, errlen, "%s: %s.%s: '%.64s' is not an unsigned integer <= %u",
			    e->origin, section, key, e->value, UINT_MAX);
		return -EINVAL;
	}
	if (ret)
		*ret = (unsigned)v;
	return 1;
}

int conf_get_usec(const Conf *c, const char *section, const char *key, usec_t *ret, char *err,
		  size_t errlen)
{
	const ConfEntry *e = conf_find(c, section, key);
	usec_t v;

	if (!e)
		return 0;
	if (parse_timespan(e->value, &v) < 0) {
		conf_seterr(err, errlen,
			    "%s: %s.%s: '%.64s' is not a time span (e.g. 30, 30s, 500ms, 2min, 1h)",
			    e->origin, section, key, e->value);
		return -EINVAL;
	}
	if (ret)
		*ret = v;
	return 1;
}

int conf_check_known(const Conf *c, const char *const *known, char *err, size_t errlen)
{
	if (!c)
		return -EINVAL;
	for (size_t i = 0; i < c->n_entries; i++) {
		const ConfEntry *e = &c->entries[i];
		bool found = false;
		size_t sl = strlen(e->section);

		for (const char *const *k = known; k && *k && !found; k++)
			found = strneq(*k, e->section, sl) && (*k)[sl] == '.' &&
				streq(*k + sl + 1, e->key);
		if (!found) {
			conf_seterr(err, errlen, "%s: unknown key %s.%s", e->origin, e->section,
				    e->key);
			return -EINVAL;
		}
	}
	return 0;
}

static const struct {
	const char *suffix;
	usec_t usec;
} timespan_units[] = {
    {"us", 1},
    {"usec", 1},
    {"ms", USEC_PER_MSEC},
    {"msec", USEC_PER_MSEC},
    {"s", USEC_PER_SEC},
    {"sec", USEC_PER_SEC},
    {"m", 60 * USEC_PER_SEC},
    {"min", 60 * USEC_PER_SEC},
    {"h", 3600 * USEC_PER_SEC},
    {"hr", 3600 * USEC_PER_SEC},
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int add_overflow(usec_t a, usec_t b, usec_t *ret)
{
	if (a > USEC_INFINITY - b)
		return -ERANGE;
	*ret = a + b;
	return 0;
}

int parse_timespan(const char *s, usec_t *ret)
{
	usec_t total = 0;
	bool any = false;
	const char *p = s;

	if (!s || !ret)
		return -EINVAL;

	for (;;) {
		usec_t ipart = 0, frac = 0, frac_div = 1, mult = USEC_PER_SEC, part;
		const char *unit;
		size_t ulen, k;
		bool digits = false, found = false;

		while (is_space(*p))
			p++;
		if (!*p)
			break;

		while (is_digit(*p)) {
			if (ipart > (USEC_INFINITY - 9) / 10)
				return -ERANGE;
			ipart = ipart * 10 + (usec_t)(*p - '0');
			digits = true;
			p++;
		}
		if (*p == '.') {
			p++;
			while (is_digit(*p)) {
				/* Six digits are plenty and keep frac * mult far from overflow. */
				if (frac_div < USEC_PER_SEC) {
					frac = frac * 10 + (usec_t)(*p - '0');
					frac_div *= 10;
				}
				digits = true;
				p++;
			}
		}
		if (!digits)
			return -EINVAL;

		while (is_space(*p))
			p++;
		unit = p;
		while (is_alpha(*p))
			p++;
		ulen = (size_t)(p - unit);
		if (ulen > 0) {
			for (k = 0; k < ELEMENTSOF(timespan_units); k++)
				if (strlen(timespan_units[k].suffix) == ulen &&
				    strneq(timespan_units[k].suffix, unit, ulen)) {
					mult = timespan_units[k].usec;
					found = true;
					break;
				}
			if (!found)
				return -EINVAL;
		}

		if (ipart > USEC_INFINITY / mult)
			return -ERANGE;
		part = ipart * mult;
		if (add_overflow(part, frac * mult / frac_div, &part) < 0 ||
		    add_overflow(total, part, &total) < 0)
			return -ERANGE;
		any = true;

		/* "1min30s" and "1min 30s" both work; a number without unit
		 * (seconds) only ends the span. */
		if (ulen == 0 ? *p != '\0' : (*p && !is_space(*p) && !is_digit(*p)))
			return -EINVAL;
	}

	if (!any)
		return -EINVAL;
	*ret = total;
	return 0;
}
