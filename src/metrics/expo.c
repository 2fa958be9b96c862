/* SPDX-License-Identifier: MIT */
#include "expo.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macros.h"

#define EXPO_DEFAULT_MAX (64u * 1024 * 1024)

void expo_reset(Expo *e, ExpoFormat fmt)
{
	e->len = 0;
	if (e->buf)
		e->buf[0] = '\0';
	e->fmt = fmt;
	e->failed = false;
	e->family = NULL;
	e->family_len = 0;
	e->in_labels = false;
	e->n_samples = 0;
}

void expo_done(Expo *e)
{
	free(e->buf);
	*e = (Expo){0};
}

static bool __attribute__((noinline)) reserve_slow(Expo *e, size_t n)
{
	size_t max = e->max ? e->max : EXPO_DEFAULT_MAX;

	if (e->failed)
		return false;
	if (e->len + n + 1 <= e->cap)
		return true;
	if (e->len + n + 1 > max) {
		e->failed = true;
		return false;
	}
	/* untouched pages cost no memory: start big rather than realloc (and touch) a chain */
	size_t ncap = e->cap ? e->cap : 256u * 1024;
	while (ncap < e->len + n + 1)
		ncap *= 2;
	if (ncap > max)
		ncap = max;
	char *b = realloc(e->buf, ncap);
	if (!b) {
		e->failed = true;
		return false;
	}
	e->buf = b;
	e->cap = ncap;
	return true;
}

/* Called for every piece of output: the common case stays inline. */
static inline bool reserve(Expo *e, size_t n)
{
	if (!e->failed && e->len + n + 1 <= e->cap)
		return true;
	return reserve_slow(e, n);
}

void expo_append(Expo *e, const char *s, size_t n)
{
	if (!reserve(e, n))
		return;
	memcpy(e->buf + e->len, s, n);
	e->len += n;
	e->buf[e->len] = '\0';
}

static void puts_(Expo *e, const char *s)
{
	expo_append(e, s, strlen(s));
}

static void putc_(Expo *e, char c)
{
	if (!reserve(e, 1))
		return;
	e->buf[e->len++] = c;
	e->buf[e->len] = '\0';
}

void expo_finish(Expo *e)
{
	if (e->fmt == EXPO_OPENMETRICS)
		puts_(e, "# EOF\n");
}

/* The HELP/TYPE name: OpenMetrics names a counter family without "_total". */
static void put_family_name(Expo *e, MetricType type)
{
	size_t n = e->family_len;
	if (e->fmt == EXPO_OPENMETRICS && type == MT_COUNTER && n > 6 &&
	    memcmp(e->family + n - 6, "_total", 6) == 0)
		n -= 6;
	expo_append(e, e->family, n);
}

static const char *type_name(const Expo *e, MetricType type)
{
	switch (type) {
	case MT_COUNTER:
		return "counter";
	case MT_GAUGE:
		return "gauge";
	default:
		return e->fmt == EXPO_OPENMETRICS ? "unknown" : "untyped";
	}
}

/*
 * Text with some characters escaped, copied in runs between them: a HELP
 * text or label value rarely has any, and a scrape writes hundreds.
 */
static void put_escaped(Expo *e, const char *s, size_t n, bool quote)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		const char *esc;
		if (s[i] == '\\')
			esc = "\\\\";
		else if (s[i] == '\n')
			esc = "\\n";
		else if (s[i] == '"' && quote)
			esc = "\\\"";
		else
			continue;
		expo_append(e, s + start, i - start);
		expo_append(e, esc, 2);
		start = i + 1;
	}
	expo_append(e, s + start, n - start);
}

static void put_help_text(Expo *e, const char *s, size_t n)
{
	put_escaped(e, s, n, e->fmt == EXPO_OPENMETRICS);
}

static void header(Expo *e, MetricType type, const char *help_prefix, const char *help_middle,
		   size_t help_middle_len)
{
	puts_(e, "# HELP ");
	put_family_name(e, type);
	putc_(e, ' ');
	put_help_text(e, help_prefix, strlen(help_prefix));
	if (help_middle)
		put_help_text(e, help_middle, help_middle_len);
	puts_(e, "\n# TYPE ");
	put_family_name(e, type);
	putc_(e, ' ');
	puts_(e, type_name(e, type));
	putc_(e, '\n');
}

void expo_family(Expo *e, const char *name, MetricType type, const char *help)
{
	size_t n = strlen(name);
	if (n >= sizeof(e->name_buf)) {
		e->failed = true;
		return;
	}
	memcpy(e->name_buf, name, n + 1);
	e->family = e->name_buf;
	e->family_len = n;
	header(e, type, help, NULL, 0);
}

static void put_family_sample_name(Expo *e)
{
	expo_append(e, e->family, e->family_len);
}

void expo_begin(Expo *e)
{
	put_family_sample_name(e);
	e->in_labels = false;
}

static void put_label_value(Expo *e, const char *v, size_t n)
{
	put_escaped(e, v, n, true);
}

void expo_label_n(Expo *e, const char *name, const char *value, size_t value_len)
{
	putc_(e, e->in_labels ? ',' : '{');
	e->in_labels = true;
	puts_(e, name);
	puts_(e, "=\"");
	put_label_value(e, value, value_len);
	putc_(e, '"');
}

void expo_label(Expo *e, const char *name, const char *value)
{
	expo_label_n(e, name, value, strlen(value));
}

static size_t fmt_u64(char *out, uint64_t v)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

void expo_label_u64(Expo *e, const char *name, uint64_t value)
{
	char b[24];
	size_t n = fmt_u64(b, value);
	expo_label_n(e, name, b, n);
}

static void end_value(Expo *e, const char *num, size_t n)
{
	if (!reserve(e, n + 3))
		return;
	if (e->in_labels)
		e->buf[e->len++] = '}';
	e->buf[e->len++] = ' ';
	memcpy(e->buf + e->len, num, n);
	e->len += n;
	e->buf[e->len++] = '\n';
	e->buf[e->len] = '\0';
	e->in_labels = false;
	e->n_samples++;
}

void expo_end_u64(Expo *e, uint64_t v)
{
	char b[24];
	end_value(e, b, fmt_u64(b, v));
}

void expo_end_i64(Expo *e, int64_t v)
{
	char b[24];
	if (v < 0) {
		b[0] = '-';
		end_value(e, b, 1 + fmt_u64(b + 1, (uint64_t)0 - (uint64_t)v));
	} else
		end_value(e, b, fmt_u64(b, (uint64_t)v));
}

void expo_end_fixed(Expo *e, uint64_t v, unsigned decimals)
{
	static const uint64_t pow10[] = {1,	  10,	    100,       1000,	  10000,
					 100000, 1000000, 10000000, 100000000, 1000000000};
	char b[48];
	if (decimals == 0 || decimals >= ELEMENTSOF(pow10))
		decimals = decimals >= ELEMENTSOF(pow10) ? ELEMENTSOF(pow10) - 1 : 0;
	if (decimals == 0) {
		expo_end_u64(e, v);
		return;
	}
	uint64_t whole = v / pow10[decimals], frac = v % pow10[decimals];
	size_t n = fmt_u64(b, whole);
	if (frac == 0) {
		end_value(e, b, n);
		return;
	}
	b[n++] = '.';
	/* leading zeros of the fraction, then drop trailing zeros */
	char f[16];
	for (unsigned i = 0; i < decimals; i++) {
		f[decimals - 1 - i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	unsigned fl = decimals;
	while (fl > 0 && f[fl - 1] == '0')
		fl--;
	memcpy(b + n, f, fl);
	n += fl;
	end_value(e, b, n);
}

void expo_end_double(Expo *e, double v)
{
	char b[40];
	int n;
	if (isnan(v))
		n = snprintf(b, sizeof(b), "NaN");
	else if (isinf(v))
		n = snprintf(b, sizeof(b), v > 0 ? "+Inf" : "-Inf");
	else if (v == (double)(int64_t)v && fabs(v) < 1e15)
		n = snprintf(b, sizeof(b), "%lld", (long long)v);
	else {
		n = snprintf(b, sizeof(b), "%.15g", v);
		if (strtod(b, NULL) != v)
			n = snprintf(b, sizeof(b), "%.17g", v);
	}
	end_value(e, b, (size_t)n);
}

void expo_end_text(Expo *e, const char *num, size_t len)
{
	end_value(e, num, len);
}

bool expo_number_valid(const char *s, size_t len)
{
	size_t i = 0, digits = 0;
	if (len == 0 || len > 40)
		return false;
	if (s[i] == '-' || s[i] == '+')
		i++;
	while (i < len && isdigit((unsigned char)s[i]))
		i++, digits++;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && isdigit((unsigned char)s[i]))
			i++, digits++;
	}
	if (digits == 0)
		return false;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		size_t ed = 0;
		while (i < len && isdigit((unsigned char)s[i]))
			i++, ed++;
		if (ed == 0)
			return false;
	}
	return i == len;
}

/* q-value of one media range's parameters ("; q=0.5; version=1.0.0"); version check for OM. */
static double parse_params(const char *p, const char *end, bool *version_ok)
{
	double q = 1.0;
	*version_ok = true;
	while (p < end) {
		while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
			p++;
		const char *k = p;
		while (p < end && *p != '=' && *p != ';')
			p++;
		size_t kl = (size_t)(p - k);
		while (kl > 0 && (k[kl - 1] == ' ' || k[kl - 1] == '\t'))
			kl--;
		if (p >= end || *p != '=')
			continue;
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *v = p;
		while (p < end && *p != ';')
			p++;
		size_t vl = (size_t)(p - v);
		while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		if (kl == 1 && (*k == 'q' || *k == 'Q')) {
			char tmp[16];
			if (vl == 0 || vl >= sizeof(tmp)) {
				q = 0;
				continue;
			}
			memcpy(tmp, v, vl);
			tmp[vl] = '\0';
			char *ep;
			q = strtod(tmp, &ep);
			if (*ep != '\0' || q < 0 || q > 1)
				q = 0;
		} else if (kl == 7 && strncasecmp(k, "version", 7) == 0)
			*version_ok = vl == 5 && memcmp(v, "1.0.0", 5) == 0;
	}
	return q;
}

ExpoFormat expo_negotiate(const char *accept)
{
	double best_om = -1, best_text = -1;

	if (!accept)
		return EXPO_PROMETHEUS;
	for (const char *p = accept; *p;) {
		const char *end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		const char *t = p;
		while (t < end && (*t == ' ' || *t == '\t'))
			t++;
		const char *semi = NULL;
		for (const char *x = t; x < end; x++)
			if (*x == ';') {
				semi = x;
				break;
			}
		const char *te = semi ? semi : end;
		while (te > t && (te[-1] == ' ' || te[-1] == '\t'))
			te--;
		size_t tl = (size_t)(te - t);
		bool version_ok;
		double q = parse_params(semi ? semi : end, end, &version_ok);
		if (tl == 28 && strncasecmp(t, "application/openmetrics-text", 28) == 0) {
			if (version_ok && q > best_om)
				best_om = q;
		} else if ((tl == 10 && strncasecmp(t, "text/plain", 10) == 0) ||
			   (tl == 6 && strncasecmp(t, "text/*", 6) == 0) ||
			   (tl == 3 && strncmp(t, "*/*", 3) == 0)) {
			if (q > best_text)
				best_text = q;
		}
		p = *end ? end + 1 : end;
	}
	return best_om > 0 && best_om > best_text ? EXPO_OPENMETRICS : EXPO_PROMETHEUS;
}
