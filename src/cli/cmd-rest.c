/* SPDX-License-Identifier: MIT */
/* rest: any ARM request, like `az rest` */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fileio.h"
#include "json-util.h"
#include "strutil.h"

#define BODY_MAX (16u * 1024 * 1024)

/* Replace {subscriptionId} with the selected subscription, as az does. */
static char *expand_url(Cli *cli, const char *url)
{
	const char *p = strstr(url, "{subscriptionId}");
	if (!p)
		return strdup(url);
	const char *sub = cli_subscription_id(cli);
	char *out;
	if (!sub || asprintf(&out, "%.*s%s%s", (int)(p - url), url, sub,
			     p + strlen("{subscriptionId}")) < 0)
		return NULL;
	return out;
}

static int rest(Cli *cli, json_object **ret)
{
	ArmClient *arm;
	_cleanup_(arm_error_done) ArmError e = {};
	_cleanup_json_ json_object *body = NULL;
	_cleanup_free_ char *buf = NULL, *method_up = NULL, *url = NULL;
	const char *method = cli_arg(&cli->args, "method") ?: "get";
	const char *url_arg = cli_arg(&cli->args, "url"), *body_arg = cli_arg(&cli->args, "body");
	char err[256];
	int r;

	if (!url_arg) {
		cli_error("the following arguments are required: --url/--uri/-u");
		return CLI_EXIT_USAGE;
	}
	method_up = strdup(method);
	if (!method_up)
		return CLI_EXIT_ERROR;
	for (char *p = method_up; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	static const char *const methods[] = {"GET", "PUT", "PATCH", "POST", "DELETE", "HEAD"};
	bool known = false;
	for (size_t i = 0; i < ELEMENTSOF(methods); i++)
		known = known || streq(methods[i], method_up);
	if (!known) {
		cli_error("argument --method/-m: invalid choice: '%s' (choose from 'delete', 'get', "
			  "'head', 'options', 'patch', 'post', 'put')",
			  method);
		return CLI_EXIT_USAGE;
	}
	if (body_arg) {
		size_t len;
		if (body_arg[0] == '@') {
			r = read_full_file(body_arg + 1, BODY_MAX, &buf, &len);
			if (r < 0) {
				cli_error("argument --body: cannot read %s: %s", body_arg + 1,
					  strerror(-r));
				return CLI_EXIT_USAGE;
			}
		} else {
			buf = strdup(body_arg);
			if (!buf)
				return CLI_EXIT_ERROR;
			len = strlen(buf);
		}
		r = json_parse_strict(buf, len, &body, err, sizeof(err));
		if (r < 0) {
			cli_error("argument --body: not valid JSON: %s", err);
			return CLI_EXIT_USAGE;
		}
	}
	if (cli_arm(cli, &arm) < 0)
		return CLI_EXIT_ERROR;
	url = expand_url(cli, url_arg);
	if (!url)
		return CLI_EXIT_ERROR;
	/* A full URL must be on the ARM endpoint: the token goes nowhere else. */
	r = arm_request(arm, method_up, url, NULL, body, ret, NULL, &e);
	return r < 0 ? cli_arm_error(r, &e) : CLI_EXIT_OK;
}

static const CliOption rest_options[] = {
    {"method", "m", true, false, NULL, "get (default), put, patch, post, delete, head"},
    {"url", "u", true, false, "uri", "ARM URL or path; {subscriptionId} is replaced"},
    {"body", "b", true, false, NULL, "JSON body, or @FILE"},
    {"headers", NULL, true, true, NULL, "accepted for compatibility (JSON is always sent)"},
    {"resource", NULL, true, false, NULL, "accepted when it is ARM"},
    {},
};

const CliCommand cli_rest_commands[] = {
    {"rest", rest, "Send any request to Azure Resource Manager", rest_options},
    {},
};
