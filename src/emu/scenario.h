/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "emu-util.h"
#include "fixture.h"
#include "macros.h"

typedef enum EmuFault {
	EMU_FAULT_NONE,
	EMU_FAULT_SLOW_HEADERS,
	EMU_FAULT_SLOW_BODY,
	EMU_FAULT_CLOSE_BEFORE_RESPONSE,
	EMU_FAULT_CLOSE_MID_BODY,
	EMU_FAULT_RESET,
	EMU_FAULT_HANG,
	EMU_FAULT_GARBAGE,
	EMU_FAULT_TRUNCATE,
	_EMU_FAULT_MAX,
} EmuFault;

const char *emu_fault_to_string(EmuFault f);
/* -EINVAL if unknown. */
int emu_fault_from_string(const char *s);

/* One scripted response (spec 8.1). */
typedef struct EmuEntry {
	int status;	  /* default 200 */
	EmuPair *headers; /* in order */
	size_t n_headers;
	char *body; /* body, body_json (compact), body_b64 or body_file contents */
	size_t body_len;
	bool has_body;
	bool body_is_json; /* from body_json: default Content-Type application/json */
	bool use_default;  /* "default": true -> the built-in response */
	unsigned delay_ms;
	EmuFault fault;
	unsigned fault_arg;
	bool has_fault_arg;
} EmuEntry;

typedef struct EmuQueue {
	char *key; /* canonical, see emu_queue_key() */
	char *key_as_written;
	EmuEntry *entries;
	size_t n_entries;
} EmuQueue;

typedef enum EmuJsonHealth {
	EMU_JSON_HEALTH_OK,
	EMU_JSON_HEALTH_NOT_SUPPORTED,
} EmuJsonHealth;

typedef struct EmuIdentity {
	bool enabled;	 /* default true */
	char *client_id; /* identity the VM has; NULL: any client_id is accepted */
	char *object_id;
	char *msi_res_id;
	char *access_token;  /* fixed token; NULL: a fake JWT is minted */
	unsigned expires_in; /* default 3599 */
} EmuIdentity;

typedef struct EmuScenario {
	char *name;
	char *base_dir;		       /* where body_file / vm paths were resolved */
	double rate_limit_rps;	       /* 0 disables; default 5 */
	double identity_rps;	       /* default 20 */
	unsigned identity_concurrency; /* default 5; 0 disables */
	bool strict_headers;	       /* default true */
	bool strict_metadata_value;    /* default false */
	bool stale_goalstate;	       /* default false */
	bool version_gating;	       /* default true */
	char *incarnation;
	char *container_id;
	char *instance_id;
	EmuJsonHealth json_health;
	EmuIdentity identity;
	EmuVm *vm;		       /* NULL: the --vm fixture or the built-in VM */
	json_object *scheduled_events; /* {"DocumentIncarnation":N,"Events":[...]} */
	bool reprovision_ready;	       /* reprovisiondata served from the start */
	EmuQueue *imds;
	size_t n_imds;
	EmuQueue *wireserver;
	size_t n_wireserver;
	/* "arm": {...} */
	unsigned arm_page_size;	  /* items per page before nextLink; default 100 */
	unsigned arm_lro_polls;	  /* polls an operation stays InProgress; default 1 */
	unsigned arm_retry_after; /* Retry-After on 202 and InProgress polls; default 0 */
	char *arm_tenant;	  /* NULL: EMU_ARM_DEFAULT_TENANT */
	char *arm_client_id;	  /* the service principal the token endpoint accepts */
	char *arm_client_secret;
	char *arm_client_certificate;  /* PEM: the certificate the client's assertions are signed with */
	json_object *arm_refresh_tokens; /* strings: the users' refresh tokens the endpoint accepts */
	json_object *arm_data; /* {subscriptions, resourceGroups, resources} to add */
	EmuQueue *arm;
	size_t n_arm;
} EmuScenario;

void emu_scenario_free(EmuScenario *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(EmuScenario *, emu_scenario_free);

/* The scenario with every default and no queues. */
int emu_scenario_new_default(EmuScenario **ret);

/*
 * Parse a scenario document. body_file and vm paths are read (immediately)
 * relative to base_dir and may not escape it. On error err names the key
 * ("imds./metadata/instance[1].status: ...") and nothing is returned.
 * Returns -EINVAL for a bad scenario, -EBADMSG for invalid JSON.
 */
int emu_scenario_parse(const char *buf, size_t len, const char *base_dir, EmuScenario **ret,
		       char *err, size_t errlen);
int emu_scenario_load(const char *path, EmuScenario **ret, char *err, size_t errlen);

/* Index of the queue for this canonical key, or -ENOENT. */
int emu_scenario_find_queue(const EmuQueue *q, size_t n, const char *key);
