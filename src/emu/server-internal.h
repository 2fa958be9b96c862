/* SPDX-License-Identifier: MIT */
#pragma once

#include <gnutls/gnutls.h>

#include <json-c/json.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>

#include "emu.h"
#include "state.h"

#define EMU_MAX_ADDRS 4
#define EMU_LOG_CAPACITY 10000
#define EMU_LOG_BODY_MAX (64u * 1024)
#define EMU_REQUEST_BODY_MAX (1024u * 1024)

typedef struct Listener Listener;

/* One MHD daemon (one address of one listener); it dies when the listener goes down. */
typedef struct Daemon {
	Listener *listener;
	struct MHD_Daemon *mhd;
	bool dead;
} Daemon;

struct Listener {
	EmuServer *server;
	EmuPort kind;
	int port;
	bool up;
	Daemon *daemons[EMU_MAX_ADDRS];
	size_t n_daemons;
	usec_t restore_at; /* CLOCK_MONOTONIC; 0: none */
};

struct EmuServer {
	pthread_mutex_t lock;
	EmuState state;
	char *scenario_dir;
	char *addrs[EMU_MAX_ADDRS];
	size_t n_addrs;
	Listener listeners[_EMU_PORT_MAX];
	Daemon **graveyard;
	size_t n_graveyard;
	int stop_fd; /* eventfd: readable once stopping */
	int wake_fd; /* eventfd: wakes emu_server_run() */
	bool stop_requested;
	bool log_requests;
	char *ready_file;
	char *arm_tls_cert; /* PEM text; NULL: the ARM port speaks plain HTTP */
	char *arm_tls_key;
	gnutls_datum_t arm_ticket_key; /* TLS session tickets, as a real server issues */
	json_object *log[EMU_LOG_CAPACITY];
	size_t log_start, log_n;
	uint64_t log_seq;
};

/* Base URL of a listener ("http://127.0.0.1:18080", https for ARM with TLS); caller frees. */
char *emu_server_url(EmuServer *s, EmuPort p);
/* Under the lock. */
int emu_listener_set_up(Listener *l, bool up, char *err, size_t errlen);
void emu_server_log_clear(EmuServer *s);

/* /_emu/ control API (control.c); called without the lock held. */
bool emu_control_path(const char *path);
int emu_control_handle(EmuServer *s, const EmuRequest *req, EmuResponse *resp);
