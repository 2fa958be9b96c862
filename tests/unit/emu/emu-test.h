/* SPDX-License-Identifier: MIT */
/* Helpers for the emu unit tests: build requests, run them through EmuState. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "state.h"
#include "strutil.h"

typedef struct TestReq {
	EmuRequest req;
	char *path;
	char *query;
} TestReq;

/* url is "path[?query]"; headers is a NULL-terminated list of "Name: value". */
static inline void test_req_init(TestReq *t, EmuPort port, const char *method, const char *url,
				 const char *const *headers, const char *body)
{
	const char *q = strchr(url, '?');
	*t = (TestReq){};
	t->path = q ? strndup(url, (size_t)(q - url)) : strdup(url);
	t->query = q ? strdup(q + 1) : NULL;
	assert_non_null(t->path);
	t->req.port = port;
	t->req.method = method;
	t->req.path = t->path;
	t->req.query = t->query;
	assert_int_equal(emu_query_parse(t->query, &t->req.params, &t->req.n_params), 0);
	for (size_t i = 0; headers && headers[i]; i++) {
		const char *colon = strchr(headers[i], ':');
		assert_non_null(colon);
		char *name = strndup(headers[i], (size_t)(colon - headers[i]));
		const char *v = colon + 1;
		while (*v == ' ')
			v++;
		assert_int_equal(emu_pairs_add(&t->req.headers, &t->req.n_headers, name, v), 0);
		free(name);
	}
	t->req.body = body ? body : "";
	t->req.body_len = body ? strlen(body) : 0;
}

static inline void test_req_done(TestReq *t)
{
	emu_pairs_free(t->req.params, t->req.n_params);
	emu_pairs_free(t->req.headers, t->req.n_headers);
	free(t->path);
	free(t->query);
}

/* Run one request; resp must be emu_response_done()'d by the caller. */
static inline void test_handle(EmuState *st, EmuPort port, const char *method, const char *url,
			       const char *const *headers, const char *body, usec_t now,
			       EmuResponse *resp)
{
	TestReq t;
	test_req_init(&t, port, method, url, headers, body);
	assert_int_equal(
	    emu_state_handle(st, &t.req, now, now + 1700000000ULL * USEC_PER_SEC, resp), 0);
	emu_state_release(st, resp);
	test_req_done(&t);
}

static inline void test_state_with(EmuState *st, const char *scenario_json)
{
	EmuScenario *sc = NULL;
	char err[512] = "";
	if (scenario_json) {
		int r = emu_scenario_parse(scenario_json, strlen(scenario_json), ".", &sc, err,
					   sizeof(err));
		if (r < 0)
			fail_msg("scenario: %s", err);
	}
	assert_int_equal(emu_state_init(st, sc, NULL), 0);
}

_unused_ static const char *const HDR_META[] = {"Metadata: true", NULL};
