/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The hooks of config.json: each runs with the state JSON on its stdin, its
 * own args and env, in a process group of its own, and is killed (with its
 * group) when its timeout expires.
 */

#include "oci-config.h"
#include "util.h"

/*
 * Run the hooks of this kind in order and stop at the first that fails
 * (non-zero exit, killed, timed out, or not executable); the error names
 * it: "hooks.createRuntime[1]: /path: timed out after 2 s".
 */
int hooks_run(const RunConfig *cfg, HookKind kind, const char *state_json, RunError *e);
