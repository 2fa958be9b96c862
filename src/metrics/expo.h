/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Prometheus text exposition 0.0.4 and OpenMetrics 1.0.0, written into one
 * growing buffer that is kept between scrapes (reset, never freed), so that
 * a scrape allocates nothing once the buffer has reached its working size.
 *
 * A family is announced once (expo_family), then its samples follow:
 *   expo_begin(e); expo_label(e, "cpu", "0"); expo_end_u64(e, 42);
 * Sample names are the family name (with "_total" for counters in both
 * formats); OpenMetrics' HELP/TYPE lines drop the "_total".
 * Errors (out of memory) are sticky: check expo_failed() once at the end.
 */

typedef enum ExpoFormat {
	EXPO_PROMETHEUS,
	EXPO_OPENMETRICS,
} ExpoFormat;

typedef enum MetricType {
	MT_COUNTER,
	MT_GAUGE,
	MT_UNTYPED,
} MetricType;

#define EXPO_CONTENT_TYPE_PROMETHEUS "text/plain; version=0.0.4; charset=utf-8"
#define EXPO_CONTENT_TYPE_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"

typedef struct Expo {
	char *buf;
	size_t len, cap;
	size_t max; /* hard cap on the output; 0: 64 MiB */
	ExpoFormat fmt;
	bool failed;
	const char *family; /* sample name of the current family */
	size_t family_len;
	char name_buf[160]; /* copy of the current family's name */
	bool in_labels;
	size_t n_samples;
} Expo;

void expo_reset(Expo *e, ExpoFormat fmt);
void expo_done(Expo *e);
static inline bool expo_failed(const Expo *e)
{
	return e->failed;
}
/* Appends "# EOF" for OpenMetrics. */
void expo_finish(Expo *e);

/* name and help are copied: they may be temporary. */
void expo_family(Expo *e, const char *name, MetricType type, const char *help);
void expo_begin(Expo *e);
void expo_label(Expo *e, const char *name, const char *value);
void expo_label_n(Expo *e, const char *name, const char *value, size_t value_len);
void expo_label_u64(Expo *e, const char *name, uint64_t value);
void expo_end_u64(Expo *e, uint64_t v);
void expo_end_i64(Expo *e, int64_t v);
/* v / 10^decimals written exactly ("1090.97" for 109097, 2). */
void expo_end_fixed(Expo *e, uint64_t v, unsigned decimals);
void expo_end_double(Expo *e, double v);
/* A number already validated by the caller (copied as it is). */
void expo_end_text(Expo *e, const char *num, size_t len);

/* Raw append (used for comments). */
void expo_append(Expo *e, const char *s, size_t n);

/*
 * Content negotiation on an Accept header: OpenMetrics when the client
 * prefers application/openmetrics-text (version 1.0.0 or unspecified) over
 * text/plain, by q-value; Prometheus text otherwise (also for NULL).
 */
ExpoFormat expo_negotiate(const char *accept);

/* Is s a valid number for the exposition (decimal, optional sign, fraction, exponent)? */
bool expo_number_valid(const char *s, size_t len);
