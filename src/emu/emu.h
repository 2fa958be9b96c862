/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macros.h"

/* lazuli-emu: loopback emulator of Azure IMDS and wireserver (spec section 8). */

#define EMU_DEFAULT_IMDS_PORT 18080
#define EMU_DEFAULT_WIRESERVER_PORT 18081
#define EMU_DEFAULT_ARM_PORT 18082

typedef struct EmuOptions {
	const char *scenario_path; /* NULL: defaults only */
	const char *vm_path;	   /* NULL: the built-in VM */
	char **listen;		   /* numeric addresses; NULL: {"127.0.0.1"} */
	int imds_port;		   /* < 0: EMU_DEFAULT_IMDS_PORT; 0: ephemeral */
	int wireserver_port;	   /* < 0: EMU_DEFAULT_WIRESERVER_PORT; 0: ephemeral */
	int arm_port;		   /* < 0: EMU_DEFAULT_ARM_PORT; 0: ephemeral */
	const char *arm_tls_cert;  /* PEM certificate chain: ARM and login over HTTPS */
	const char *arm_tls_key;   /* its PEM private key; both or neither */
	bool allow_nonloopback;
	const char *ready_file; /* written atomically once both listeners are up */
	bool log_requests;	/* one line per request to stderr */
} EmuOptions;

typedef struct EmuServer EmuServer;

/*
 * Load the scenario and VM fixture and check the options. -EINVAL (or
 * -EBADMSG) means the user's input is wrong; err says which key or option.
 */
int emu_server_new(const EmuOptions *o, EmuServer **ret, char *err, size_t errlen);
/* Bind both listeners and write the ready file. */
int emu_server_start(EmuServer *s, char *err, size_t errlen);
/*
 * Serve until signal_fd (a signalfd, or -1) becomes readable or
 * emu_server_request_stop() is called. Runs timed listener restores.
 */
int emu_server_run(EmuServer *s, int signal_fd);
void emu_server_request_stop(EmuServer *s);
/* Actual ports after start. */
int emu_server_port(EmuServer *s, bool wireserver);
int emu_server_arm_port(EmuServer *s);
/* Stops every listener (hung responses are released) and frees. */
void emu_server_free(EmuServer *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(EmuServer *, emu_server_free);
