/* SPDX-License-Identifier: MIT */
/*
 * lazuli: the Azure Resource Manager from the command line, with the Azure
 * CLI's command names, flags, output and exit codes. This file finds the
 * command, parses its options and prints its result; the commands are in
 * cmd-*.c, the ARM client in src/shared/arm.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "http.h"
#include "json-util.h"
#include "log.h"
#include "strutil.h"

static const CliCommand *const groups[] = {
    cli_account_commands, cli_group_commands, cli_resource_commands,
    cli_tag_commands,	  cli_vm_commands,    cli_rest_commands,
};

static const char *const output_formats[] = {"json", "jsonc", "none", "table",
					      "tsv",  "yaml",  "yamlc", NULL};

static const CliOption global_options[] = {
    {"output", "o", true, false, NULL, "json, jsonc, table, tsv, yaml, yamlc or none (default json)"},
    {"query", NULL, true, false, NULL, "JMESPath query applied to the result"},
    {"subscription", NULL, true, false, NULL, "subscription name or id"},
    {"debug", NULL, false, false, NULL, "log every request"},
    {"verbose", NULL, false, false, NULL, "more output"},
    {"only-show-errors", NULL, false, false, NULL, "no warnings"},
    {"help", "h", false, false, NULL, "show help"},
    {},
};

void cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("ERROR: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_arm_error(int r, const ArmError *e)
{
	if (e && e->code) {
		fprintf(stderr, "ERROR: (%s) %s\nCode: %s\nMessage: %s\n", e->code,
			strempty(e->message), e->code, strempty(e->message));
	} else
		cli_error("%s", e && e->message ? e->message : strerror(-r));
	if (e && e->correlation_id)
		fprintf(stderr, "Correlation ID: %s\n", e->correlation_id);
	/* Only the Azure CLI's user login is refreshed, and only az can log the user in again. */
	if (r == -EKEYREJECTED && e && e->code && streq(e->code, "invalid_grant"))
		fprintf(stderr, "Interactive authentication is needed. Please run:\naz login\n");
	if (r == -ENOENT)
		return CLI_EXIT_MISSING;
	return CLI_EXIT_ERROR;
}

const char *cli_arg(const CliArgs *a, const char *name)
{
	for (size_t i = a->n; i > 0; i--)
		if (streq(a->names[i - 1], name))
			return a->values[i - 1];
	return NULL;
}

bool cli_flag(const CliArgs *a, const char *name)
{
	const char *v = cli_arg(a, name);
	return v && !streq(v, "false");
}

size_t cli_arg_all(const CliArgs *a, const char *name, const char ***ret)
{
	size_t n = 0;
	const char **out = calloc(a->n + 1, sizeof(*out));
	if (!out) {
		*ret = NULL;
		return 0;
	}
	for (size_t i = 0; i < a->n; i++)
		if (streq(a->names[i], name))
			out[n++] = a->values[i];
	*ret = out;
	return n;
}

static int args_add(CliArgs *a, const char *name, const char *value)
{
	char **nn = realloc(a->names, (a->n + 1) * sizeof(char *));
	if (!nn)
		return -ENOMEM;
	a->names = nn;
	char **nv = realloc(a->values, (a->n + 1) * sizeof(char *));
	if (!nv)
		return -ENOMEM;
	a->values = nv;
	a->names[a->n] = strdup(name);
	a->values[a->n] = strdup(value);
	if (!a->names[a->n] || !a->values[a->n])
		return -ENOMEM;
	a->n++;
	return 0;
}

static void args_done(CliArgs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->names[i]);
		free(a->values[i]);
	}
	free(a->names);
	free(a->values);
	*a = (CliArgs){};
}

/* Levenshtein distance, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return SIZE_MAX;
	size_t d[65][65];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			d[i][j] = MIN(MIN(d[i - 1][j] + 1, d[i][j - 1] + 1), sub);
		}
	return d[la][lb];
}

/* The words of a command path after `depth` words, e.g. ("vm start", 1) -> "start". */
static const char *word_at(const char *path, size_t depth, size_t *len)
{
	const char *p = path;
	for (size_t i = 0; i < depth; i++) {
		p = strchr(p, ' ');
		if (!p)
			return NULL;
		p++;
	}
	*len = strcspn(p, " ");
	return p;
}

static bool path_has_prefix(const char *path, char *const *words, size_t n)
{
	const char *p = path;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(words[i]);
		if (strncmp(p, words[i], l) != 0 || (p[l] != ' ' && p[l] != '\0'))
			return false;
		p += l;
		if (*p == ' ')
			p++;
	}
	return true;
}

static const CliCommand *find_command(char *const *words, size_t n)
{
	for (size_t g = 0; g < ELEMENTSOF(groups); g++)
		for (const CliCommand *c = groups[g]; c->path; c++) {
			size_t words_in_path = 1;
			for (const char *p = c->path; *p; p++)
				words_in_path += *p == ' ';
			if (words_in_path == n && path_has_prefix(c->path, words, n))
				return c;
		}
	return NULL;
}

/* Commands under a prefix, for help and suggestions. */
static void list_subcommands(FILE *f, char *const *words, size_t n)
{
	char last[64] = "";
	for (size_t g = 0; g < ELEMENTSOF(groups); g++)
		for (const CliCommand *c = groups[g]; c->path; c++) {
			size_t len;
			if (!path_has_prefix(c->path, words, n))
				continue;
			const char *w = word_at(c->path, n, &len);
			if (!w || (strlen(last) == len && strncmp(last, w, len) == 0))
				continue;
			snprintf(last, sizeof(last), "%.*s", (int)len, w);
			bool leaf = w[len] == '\0';
			fprintf(f, "    %-22s%s\n", last, leaf ? c->summary : "(group)");
		}
}

static int unknown_command(char *const *words, size_t n)
{
	/* The longest known prefix, and the nearest word after it. */
	size_t known = 0;
	while (known < n) {
		bool any = false;
		for (size_t g = 0; g < ELEMENTSOF(groups) && !any; g++)
			for (const CliCommand *c = groups[g]; c->path && !any; c++)
				any = path_has_prefix(c->path, words, known + 1);
		if (!any)
			break;
		known++;
	}
	if (known == n) {
		/* A group without a command: show what it has. */
		fprintf(stderr, "ERROR: '");
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "%s%s", i ? " " : "", words[i]);
		fprintf(stderr, "' needs a command. Commands:\n");
		list_subcommands(stderr, words, n);
		return CLI_EXIT_USAGE;
	}
	const char *bad = words[known];
	char best[64] = "";
	size_t best_d = SIZE_MAX;
	for (size_t g = 0; g < ELEMENTSOF(groups); g++)
		for (const CliCommand *c = groups[g]; c->path; c++) {
			size_t len;
			if (!path_has_prefix(c->path, words, known))
				continue;
			const char *w = word_at(c->path, known, &len);
			char cand[64];
			if (!w || len >= sizeof(cand))
				continue;
			snprintf(cand, sizeof(cand), "%.*s", (int)len, w);
			size_t d = distance(bad, cand);
			if (d < best_d) {
				best_d = d;
				snprintf(best, sizeof(best), "%s", cand);
			}
		}
	fprintf(stderr, "ERROR: '%s' is misspelled or not recognized by the system.\n", bad);
	if (best_d <= MAX(strlen(bad) / 2, (size_t)2)) {
		fprintf(stderr, "\nDid you mean 'lazuli ");
		for (size_t i = 0; i < known; i++)
			fprintf(stderr, "%s ", words[i]);
		fprintf(stderr, "%s' ?\n", best);
	}
	fprintf(stderr, "\nSee 'lazuli --help' for the commands there are.\n");
	return CLI_EXIT_USAGE;
}

static const CliOption *match_option(const CliOption *opts, const char *name, char short_name)
{
	for (const CliOption *o = opts; o && o->name; o++)
		if ((short_name && o->shorts && strchr(o->shorts, short_name)) ||
		    (name && (streq(o->name, name) || (o->alias && streq(o->alias, name)))))
			return o;
	return NULL;
}

static void command_help(const CliCommand *c)
{
	printf("\nCommand\n    lazuli %s : %s\n\nArguments\n", c->path, c->summary);
	for (const CliOption *o = c->options; o && o->name; o++) {
		char names[80];
		StrBuf nb = {};
		strbuf_printf(&nb, "--%s", o->name);
		if (o->alias)
			strbuf_printf(&nb, " --%s", o->alias);
		for (const char *sh = o->shorts; sh && *sh; sh++)
			strbuf_printf(&nb, " -%c", *sh);
		snprintf(names, sizeof(names), "%s", nb.data ? nb.data : "");
		strbuf_free(&nb);
		printf("    %-34s: %s\n", names, o->help);
	}
	printf("\nGlobal Arguments\n");
	for (const CliOption *o = global_options; o->name; o++) {
		char names[80];
		snprintf(names, sizeof(names), "--%s%s%s", o->name, o->shorts ? " -" : "",
			 o->shorts ? o->shorts : "");
		printf("    %-34s: %s\n", names, o->help);
	}
}

static void main_help(void)
{
	printf("\nlazuli: Azure Resource Manager from the command line, with the Azure CLI's\n"
	       "commands, flags, output and exit codes.\n\nGroups and commands:\n");
	list_subcommands(stdout, NULL, 0);
	printf("\nlazuli GROUP --help lists a group's commands; lazuli GROUP COMMAND --help\n"
	       "its arguments. Endpoints: LAZULI_ARM_URL, LAZULI_AUTHORITY_URL, LAZULI_IMDS_URL.\n"
	       "State: $LAZULI_CONFIG_DIR (default ~/.lazuli). See lazuli(1).\n");
}

/*
 * "lazuli __complete WORD..." prints what may follow the words: the
 * commands of a group, or a command's options. The bash and zsh completion
 * scripts call it, so that they never disagree with the command table.
 */
static int complete(int argc, char **argv)
{
	size_t n = 0;
	while ((int)n < argc && argv[n][0] != '-')
		n++;
	const CliCommand *c = n > 0 ? find_command(argv, n) : NULL;
	if (c) {
		for (const CliOption *o = c->options; o && o->name; o++)
			printf("--%s\n", o->name);
		for (const CliOption *o = global_options; o->name; o++)
			printf("--%s\n", o->name);
		return CLI_EXIT_OK;
	}
	char last[64] = "";
	for (size_t g = 0; g < ELEMENTSOF(groups); g++)
		for (const CliCommand *cmd = groups[g]; cmd->path; cmd++) {
			size_t len;
			if (!path_has_prefix(cmd->path, argv, n))
				continue;
			const char *w = word_at(cmd->path, n, &len);
			if (!w || (strlen(last) == len && strncmp(last, w, len) == 0))
				continue;
			snprintf(last, sizeof(last), "%.*s", (int)len, w);
			printf("%s\n", last);
		}
	return CLI_EXIT_OK;
}

/* Parse argv[start..] as options of c (and the global ones) into cli. */
static int parse_options(Cli *cli, const CliCommand *c, int argc, char **argv, int start)
{
	for (int i = start; i < argc; i++) {
		const char *a = argv[i];
		const CliOption *o = NULL;
		_cleanup_free_ char *name = NULL;
		const char *inline_value = NULL;

		if (startswith(a, "--")) {
			const char *eq = strchr(a, '=');
			name = eq ? strndup(a + 2, (size_t)(eq - a - 2)) : strdup(a + 2);
			if (!name)
				return -ENOMEM;
			inline_value = eq ? eq + 1 : NULL;
			o = match_option(c ? c->options : NULL, name, 0);
			if (!o)
				o = match_option(global_options, name, 0);
		} else if (a[0] == '-' && a[1] && !a[2]) {
			o = match_option(c ? c->options : NULL, NULL, a[1]);
			if (!o)
				o = match_option(global_options, NULL, a[1]);
		} else {
			cli_error("unrecognized arguments: %s", a);
			return -EINVAL;
		}
		if (!o) {
			cli_error("unrecognized arguments: %s", a);
			return -EINVAL;
		}
		if (!o->takes_value) {
			if (inline_value) {
				cli_error("argument --%s: ignored explicit argument '%s'", o->name,
					  inline_value);
				return -EINVAL;
			}
			if (args_add(&cli->args, o->name, "true") < 0)
				return -ENOMEM;
			continue;
		}
		if (inline_value) {
			if (args_add(&cli->args, o->name, inline_value) < 0)
				return -ENOMEM;
			continue;
		}
		if (i + 1 >= argc) {
			cli_error("argument --%s: expected one argument", o->name);
			return -EINVAL;
		}
		if (o->multi) {
			/* Every following word that is not an option. */
			int got = 0;
			while (i + 1 < argc && !(argv[i + 1][0] == '-' && argv[i + 1][1])) {
				if (args_add(&cli->args, o->name, argv[++i]) < 0)
					return -ENOMEM;
				got++;
			}
			if (got == 0 && args_add(&cli->args, o->name, "") < 0)
				return -ENOMEM;
			continue;
		}
		if (args_add(&cli->args, o->name, argv[++i]) < 0)
			return -ENOMEM;
	}
	return 0;
}

int main(int argc, char **argv)
{
	Cli cli = {};
	_cleanup_json_ json_object *result = NULL;
	int i, r, rc;

	log_set_ident("lazuli");
	log_set_max_level(LOG_WARNING);
	if (argc >= 2 && streq(argv[1], "__complete"))
		return complete(argc - 2, argv + 2);
	if (argc >= 2 && streq(argv[1], "--version")) {
		printf("lazuli %s\n", LAZULI_VERSION);
		return CLI_EXIT_OK;
	}
	/* The command's words come first, its options after. */
	for (i = 1; i < argc && argv[i][0] != '-'; i++)
		;
	size_t n = (size_t)(i - 1);
	if (n == 0) {
		if (argc == 1 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
			main_help();
			return CLI_EXIT_OK;
		}
		cli_error("unrecognized arguments: %s", argv[1]);
		return CLI_EXIT_USAGE;
	}
	const CliCommand *c = find_command(argv + 1, n);
	if (!c) {
		bool help = false;
		for (int j = i; j < argc; j++)
			help = help || streq(argv[j], "--help") || streq(argv[j], "-h");
		if (help) {
			printf("\nCommands:\n");
			list_subcommands(stdout, argv + 1, n);
			return CLI_EXIT_OK;
		}
		return unknown_command(argv + 1, n);
	}
	r = parse_options(&cli, c, argc, argv, i);
	if (r < 0) {
		fprintf(stderr, "Try 'lazuli %s --help'.\n", c->path);
		args_done(&cli.args);
		return r == -ENOMEM ? CLI_EXIT_ERROR : CLI_EXIT_USAGE;
	}
	if (cli_flag(&cli.args, "help")) {
		command_help(c);
		args_done(&cli.args);
		return CLI_EXIT_OK;
	}
	cli.output = cli_arg(&cli.args, "output") ?: "json";
	cli.query = cli_arg(&cli.args, "query");
	cli.subscription = cli_arg(&cli.args, "subscription");
	cli.debug = cli_flag(&cli.args, "debug");
	if (cli.debug)
		log_set_max_level(LOG_DEBUG);
	if (!strv_contains((char **)output_formats, cli.output)) {
		cli_error("argument --output/-o: invalid choice: '%s' (choose from 'json', "
			  "'jsonc', 'none', 'table', 'tsv', 'yaml', 'yamlc')",
			  cli.output);
		args_done(&cli.args);
		return CLI_EXIT_USAGE;
	}
	rc = c->handler(&cli, &result);
	if (rc == CLI_EXIT_OK)
		rc = cli_print(&cli, result);
	args_done(&cli.args);
	json_object_put(cli.profile);
	arm_client_free(cli.arm);
	free(cli.config_dir);
	return rc;
}
