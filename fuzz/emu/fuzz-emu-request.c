/* SPDX-License-Identifier: MIT */
/*
 * Whole request handling (validation, queues, IMDS routes, wireserver
 * reports) on arbitrary requests. Input: first byte picks the port, then
 * "METHOD\nPATH?QUERY\nName: value\n...\n\nBODY".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EmuState *state(void)
{
	static EmuState st;
	static bool init;
	if (!init) {
		EmuScenario *s = NULL;
		char err[256];
		const char *sc = "{\"rate_limit_rps\":0,\"identity_concurrency\":0,"
				 "\"imds\":{\"/metadata/q\":[{\"status\":500},{\"default\":true}]},"
				 "\"wireserver\":{\"/machine?comp=health\":[{\"status\":503},"
				 "{\"default\":true}]}}";
		if (emu_scenario_parse(sc, strlen(sc), ".", &s, err, sizeof(err)) < 0 ||
		    emu_state_init(&st, s, NULL) < 0)
			abort();
		init = true;
	}
	return &st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	EmuState *st = state();
	EmuRequest req = {};
	EmuResponse resp = {};
	char *buf, *line, *save = NULL, *body;

	if (size < 2)
		return 0;
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	req.port = (EmuPort)(data[0] % _EMU_PORT_MAX);

	body = strstr(buf, "\n\n");
	if (body) {
		*body = '\0';
		body += 2;
	}
	req.method = strtok_r(buf, "\n", &save);
	char *target = strtok_r(NULL, "\n", &save);
	if (!req.method || !target)
		goto out;
	char *q = strchr(target, '?');
	if (q)
		*q++ = '\0';
	req.path = target;
	req.query = q;
	if (emu_query_parse(q, &req.params, &req.n_params) < 0)
		goto out;
	while ((line = strtok_r(NULL, "\n", &save))) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		if (emu_pairs_add(&req.headers, &req.n_headers, line,
				  colon + 1 + (colon[1] == ' ')) < 0)
			goto out;
	}
	req.body = body ? body : "";
	req.body_len = body ? strlen(body) : 0;

	if (emu_state_handle(st, &req, 1000000, 1700000000000000ULL, &resp) >= 0) {
		if (resp.status < 100 || resp.status > 599)
			__builtin_trap();
		emu_state_release(st, &resp);
	}
	emu_response_done(&resp);
	/* Keep memory bounded across runs. */
	if (json_object_array_length(st->reports) > 1000)
		(void)emu_state_reset(st);
out:
	emu_pairs_free(req.params, req.n_params);
	emu_pairs_free(req.headers, req.n_headers);
	free(buf);
	return 0;
}
