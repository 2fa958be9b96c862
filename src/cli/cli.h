/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "arm.h"
#include "macros.h"

/* Exit codes as the Azure CLI's. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_ERROR 1
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_MISSING 3

#define CLI_API_RESOURCES "2024-11-01"
#define CLI_API_RESOURCES_LIST "2021-04-01"
#define CLI_API_SUBSCRIPTIONS "2022-12-01"
#define CLI_API_COMPUTE "2024-11-01"
#define CLI_API_TAGS "2021-04-01"
#define CLI_API_NETWORK "2024-05-01"

/* Parsed arguments of one command: "--name value" pairs and flags. */
typedef struct CliArgs {
	char **names; /* canonical long names, without "--" */
	char **values;
	size_t n;
} CliArgs;

const char *cli_arg(const CliArgs *a, const char *name);
bool cli_flag(const CliArgs *a, const char *name);
/* Every value of a repeatable or space-separated option (e.g. --tags a=1 b=2). */
size_t cli_arg_all(const CliArgs *a, const char *name, const char ***ret);

typedef struct Cli {
	CliArgs args;
	const char *output; /* json, jsonc, table, tsv, none */
	const char *query;  /* JMESPath or NULL */
	const char *subscription;
	char *config_dir;
	bool debug;
	/* Set up on first use. */
	json_object *profile;
	ArmClient *arm;
	/*
	 * Set by a command: what -o table shows of one result object, as the
	 * Azure CLI's table transformer for the command (not with --query).
	 */
	json_object *(*table_row)(json_object *o);
} Cli;

/* A column of a table_row: its header, and the field (a dotted path) it shows. */
typedef struct CliColumn {
	const char *header;
	const char *path;
} CliColumn;

/* A table row of these columns for o: fields o lacks, or null, show empty. */
json_object *cli_table_columns(json_object *o, const CliColumn *cols, size_t n);

/* A command: returns an exit code; *ret is what to print (may stay NULL). */
typedef int (*CliHandler)(Cli *cli, json_object **ret);

typedef struct CliOption {
	const char *name;   /* long name without "--" */
	const char *shorts; /* one-letter names ("ng" for -n and -g), or NULL */
	bool takes_value;
	bool multi;	   /* takes every following word up to the next option */
	const char *alias; /* another long name for the same option, or NULL */
	const char *help;
} CliOption;

typedef struct CliCommand {
	const char *path; /* "group list" */
	CliHandler handler;
	const char *summary;
	const CliOption *options; /* terminated by {} */
} CliCommand;

/* Errors, printed as the Azure CLI prints them: "ERROR: ..." on stderr. */
_printf_(1, 2) void cli_error(const char *fmt, ...);
/* ARM's error: "(Code) Message" plus code, message and correlation id; returns the exit code. */
int cli_arm_error(int r, const ArmError *e);

/* The logged-in profile and an ARM client for the selected subscription. */
int cli_profile_load(Cli *cli);
int cli_profile_save(Cli *cli);
int cli_profile_clear(Cli *cli);
/* The selected subscription entry (--subscription, else the default). */
json_object *cli_subscription(Cli *cli);
const char *cli_subscription_id(Cli *cli);
int cli_arm(Cli *cli, ArmClient **ret);
/*
 * A client whose token is for another resource (az rest --resource), sent
 * to origin (scheme://host[:port]) instead of ARM; NULL keeps ARM's. The
 * caller frees it.
 */
int cli_arm_for(Cli *cli, const char *origin, const char *resource, ArmClient **ret);
char *cli_config_path(const Cli *cli, const char *file);
int cli_config_dir_create(Cli *cli);
/* Endpoints from the environment, else the profile, else the defaults. */
void cli_endpoints(Cli *cli, ArmEndpoints *ep);

/* Output */
int cli_print(Cli *cli, json_object *result);
/* One id's result alone, several ids' as the list (a new reference), as az does. */
json_object *cli_one_or_list(json_object *all);
/*
 * Add "resourceGroup" (from the id) to every object in o with the id of a
 * resource in a group, at any depth, as az does to every command's result.
 */
void cli_add_resource_group(json_object *o);
/* A $filter string value: quotes doubled, then percent-encoded. Caller frees. */
char *cli_filter_value(const char *v);
/* Parse "a=1 b c=" tags into an object. */
int cli_parse_tags(const char *const *words, size_t n, json_object **ret);

/* Command groups */
extern const CliCommand cli_account_commands[];
extern const CliCommand cli_group_commands[];
extern const CliCommand cli_resource_commands[];
extern const CliCommand cli_tag_commands[];
extern const CliCommand cli_vm_commands[];
extern const CliCommand cli_rest_commands[];
