/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "emu-util.h"
#include "fixture.h"
#include "health.h"
#include "ratelimit.h"
#include "scenario.h"
#include "time-util.h"

/*
 * The emulator's behaviour without sockets: a request goes in, the response
 * to send (status, headers, body, delay and fault) comes out. The server
 * serialises calls with its mutex; nothing here blocks.
 */

typedef enum EmuPort {
	EMU_PORT_IMDS,
	EMU_PORT_WIRESERVER,
	EMU_PORT_ARM, /* Azure Resource Manager and the identity platform's token endpoint */
	_EMU_PORT_MAX,
} EmuPort;

const char *emu_port_to_string(EmuPort p);

typedef struct EmuRequest {
	EmuPort port;
	const char *method;
	const char *path;  /* percent-decoded, without the query */
	const char *query; /* raw, without '?'; NULL if none */
	EmuPair *params;   /* decoded query, duplicates kept */
	size_t n_params;
	EmuPair *headers;
	size_t n_headers;
	const char *body;
	size_t body_len;
} EmuRequest;

typedef struct EmuResponse {
	int status;
	EmuPair *headers;
	size_t n_headers;
	char *body;
	size_t body_len;
	unsigned delay_ms;
	EmuFault fault;
	unsigned fault_arg;
	bool has_fault_arg;
	char *queue_key;    /* the queue that answered, or NULL for the built-in response */
	long queue_index;   /* entry used, -1 if none */
	bool identity_slot; /* holds an identity concurrency slot: call emu_state_release() */
} EmuResponse;

void emu_response_done(EmuResponse *r);
int emu_response_set(EmuResponse *r, int status, const char *content_type, const char *body,
		     size_t len);
/* Takes ownership of o. */
int emu_response_json(EmuResponse *r, int status, json_object *o);
/* {"error":"<msg>"} */
int emu_response_error(EmuResponse *r, int status, const char *msg);
int emu_response_header(EmuResponse *r, const char *name, const char *value);
const char *emu_response_get_header(const EmuResponse *r, const char *name);

#define EMU_ARM_DEFAULT_SUBSCRIPTION "00000000-0000-0000-0000-0000000e4a5b"
#define EMU_ARM_DEFAULT_TENANT "00000000-0000-0000-0000-0000000e4a7e"
#define EMU_ARM_DEFAULT_CLIENT_ID "00000000-0000-0000-0000-0000000e4ac1"
#define EMU_ARM_DEFAULT_CLIENT_SECRET "lazuli-emu-client-secret"

/* ARM's data; every map is keyed by the lower-cased resource id. */
typedef struct EmuArm {
	json_object *subscriptions;
	json_object *groups;
	json_object *resources;
	json_object *operations; /* by operation id: action, target, status, polls_left */
	json_object *power;	 /* VM id -> running | stopped | deallocated */
	char *base_url;		 /* for nextLink and operation URLs */
} EmuArm;

typedef struct EmuState {
	EmuScenario *scenario; /* owned */
	EmuVm *base_vm;	       /* --vm fixture or the built-in VM; owned */
	size_t *imds_pos;      /* next entry per queue */
	size_t *ws_pos;
	RateLimiter imds_rl;
	RateLimiter identity_rl;
	unsigned identity_inflight;
	bool reprovision_armed;
	bool ready_accepted;
	json_object *scheduled_events; /* live copy */
	char *wireserver_url;	       /* base for goal-state URLs */
	json_object *reports;	       /* array of parsed health reports */
	uint64_t report_seq;
	size_t *arm_pos;
	EmuArm arm;
	json_object *monitor; /* array of Azure Monitor posts (monitor.c) */
	uint64_t monitor_seq;
} EmuState;

/* Takes ownership of scenario and base_vm (either may be NULL for the defaults). */
int emu_state_init(EmuState *st, EmuScenario *scenario, EmuVm *base_vm);
void emu_state_done(EmuState *st);
/* Replace the scenario (taken): queues rewind, limiters and per-scenario state restart. */
int emu_state_set_scenario(EmuState *st, EmuScenario *s);
/* Rewind queues and limiters, forget reports; keep the scenario. */
int emu_state_reset(EmuState *st);
const EmuVm *emu_state_vm(const EmuState *st);

/* Compute the response to req. Never fails except on ENOMEM. */
int emu_state_handle(EmuState *st, const EmuRequest *req, usec_t now_mono, usec_t now_real,
		     EmuResponse *resp);
/* Give back what a finished response held (identity concurrency slot). */
void emu_state_release(EmuState *st, EmuResponse *resp);

/* IMDS pieces (imds.c). */
/* Rules 1-5 of spec 8.2; returns 1 and fills resp if the request is rejected. */
int emu_imds_validate(const EmuState *st, const EmuRequest *req, EmuResponse *resp);
int emu_imds_default(EmuState *st, const EmuRequest *req, usec_t now_real, EmuResponse *resp);
/* The instance document for api-version v (NULL: newest), with or without "extended". */
json_object *emu_imds_instance_document(const EmuState *st, const char *v, bool extended);
bool emu_imds_is_identity_path(const char *path);

/* A JWT-shaped token (not signed) with aud, exp, appid, oid, sub, xms_mirid. */
char *emu_fake_jwt(const EmuState *st, const char *resource, const char *client_id,
		   const char *object_id, const char *msi_res_id, time_t now, time_t exp);

/* ARM pieces (arm.c). */
int emu_arm_default(EmuState *st, const EmuRequest *req, usec_t now_real, EmuResponse *resp);
/* Reseed ARM's data from the VM fixture and the scenario (keeps base_url). */
int emu_arm_restart(EmuState *st);
void emu_arm_done(EmuArm *a);
/* Finish every operation still running (scenario arm_lro_polls = 0). */
void emu_arm_complete_pending(EmuState *st);
json_object *emu_arm_dump(const EmuState *st);
/* {"error":{"code":..,"message":..}} */
int emu_arm_error(EmuResponse *resp, int status, const char *code, const char *fmt, ...)
    _printf_(4, 5);

/* Wireserver pieces (wireserver.c). */
int emu_ws_default(EmuState *st, const EmuRequest *req, usec_t now_mono, EmuResponse *resp);
char *emu_ws_goalstate_xml(const EmuState *st);
char *emu_ws_versions_xml(void);
/* Is this request a health report (XML or JSON)? */
bool emu_ws_is_health_post(const EmuRequest *req);
/* Append a report to st->reports. error may be NULL. */
int emu_state_record_report(EmuState *st, const EmuHealthReport *r, const EmuRequest *req,
			    int status, const char *error, usec_t now_mono);

/* Azure Monitor custom metrics (monitor.c), served on the IMDS listener. */
bool emu_monitor_is_path(const EmuRequest *req);
int emu_monitor_handle(EmuState *st, const EmuRequest *req, usec_t now_real, EmuResponse *resp);
/* Record a post; takes docs (may be NULL). */
int emu_monitor_record(EmuState *st, const EmuRequest *req, int status, const char *code,
		       const char *error, json_object *docs, usec_t now_real);
int emu_monitor_validate(json_object *doc, time_t now, const char **code, char *err,
			 size_t errlen);
