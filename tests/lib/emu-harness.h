/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Start the real lazuli-emu on ephemeral loopback ports with a scenario, for
 * protocol tests written data-first: the scenario says what is served
 * (including faults), the test checks the client's outcome and, through
 * /_emu/requests, what it sent.
 */

#include <stdbool.h>
#include <sys/types.h>

typedef struct EmuHarness {
	pid_t pid;
	char dir[64];
	char imds[128];
	char wireserver[128];
} EmuHarness;

/* scenario_json is written to a file and passed with --scenario. Returns 0 or -errno. */
int emu_start(EmuHarness *h, const char *scenario_json);
void emu_stop(EmuHarness *h);
/* GET a control URL (path under the IMDS base) into a malloc'd string. */
char *emu_get(EmuHarness *h, const char *path);
