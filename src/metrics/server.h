/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "metrics-config.h"
#include "scrape.h"

/*
 * The HTTP endpoint: our own small HTTP/1.1 server in the caller's poll loop (one
 * thread, no timers of its own), so that nothing runs between requests.
 * GET /metrics scrapes on demand; HEAD is answered like GET without a body.
 */

typedef struct MetricsServer MetricsServer;

typedef struct ServerHook {
	int fd;					/* polled for POLLIN; -1: none */
	void (*ready)(void *userdata);		/* called when fd is readable */
	void *userdata;
} ServerHook;

int metrics_server_new(const MetricsConfig *cfg, Scrape *scrape, MetricsServer **ret);
void metrics_server_free(MetricsServer *s);
/* The port actually bound (useful with port 0 in tests). */
unsigned metrics_server_port(const MetricsServer *s);
/*
 * Serve until stop_fd is readable. hooks (n of them) are polled in the same
 * loop. Returns 0 on a requested stop, negative errno on failure.
 */
int metrics_server_run(MetricsServer *s, int stop_fd, const ServerHook *hooks, size_t n_hooks);
