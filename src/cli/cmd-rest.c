/* SPDX-License-Identifier: MIT */
/* rest: any ARM request, like `az rest` */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "fileio.h"
#include "http.h"
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

/* "https://host:port/path?q" -> "https://host:port". */
static char *url_origin(const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	return strndup(url, (size_t)(p - url) + strcspn(p, "/?#"));
}

static bool url_under(const char *url, const char *base)
{
	const char *rest = startswith(url, base);
	return rest && (*rest == '\0' || *rest == '/' || *rest == '?');
}

static int add_header(char ***lines, const char *name, size_t nlen, const char *value)
{
	char *l;
	if (nlen == 0 || memchr(name, ':', nlen) || strpbrk(value, "\r\n") ||
	    strcspn(name, "\r\n \t") < nlen) {
		cli_error("argument --headers: '%.*s' is not a valid header", (int)nlen, name);
		return -EINVAL;
	}
	if (asprintf(&l, "%.*s: %s", (int)nlen, name, value) < 0 || strv_push(lines, l) < 0)
		return -ENOMEM;
	return 0;
}

/*
 * --headers as az takes it: KEY=VALUE words, or one JSON object (or
 * @FILE holding one). Returns "Name: value" lines.
 */
static int parse_headers(Cli *cli, char ***ret)
{
	_cleanup_free_ const char **words = NULL;
	size_t n = cli_arg_all(&cli->args, "headers", &words);
	char **lines = NULL;
	int r = 0;

	for (size_t i = 0; i < n && r >= 0; i++) {
		const char *w = words[i];
		if (w[0] == '{' || w[0] == '@') {
			_cleanup_free_ char *buf = NULL;
			_cleanup_json_ json_object *o = NULL;
			char err[256];
			size_t len;
			if (w[0] == '@') {
				r = read_full_file(w + 1, BODY_MAX, &buf, &len);
				if (r < 0) {
					cli_error("argument --headers: cannot read %s: %s", w + 1,
						  strerror(-r));
					break;
				}
			} else {
				buf = strdup(w);
				if (!buf) {
					r = -ENOMEM;
					break;
				}
				len = strlen(buf);
			}
			if (json_parse_strict(buf, len, &o, err, sizeof(err)) < 0 ||
			    !json_object_is_type(o, json_type_object)) {
				cli_error("argument --headers: not a JSON object of headers%s%s",
					  *err ? ": " : "", err);
				r = -EINVAL;
				break;
			}
			json_object_object_foreach(o, key, val) {
				if (r < 0)
					break;
				r = add_header(&lines, key, strlen(key),
					       json_object_is_type(val, json_type_string)
						   ? json_object_get_string(val)
						   : json_object_to_json_string_ext(
							 val, JSON_C_TO_STRING_PLAIN));
			}
			continue;
		}
		const char *eq = strchr(w, '=');
		if (!eq) {
			cli_error("argument --headers: '%s' is not KEY=VALUE or a JSON object", w);
			r = -EINVAL;
			break;
		}
		r = add_header(&lines, w, (size_t)(eq - w), eq + 1);
	}
	if (r < 0) {
		strv_free(lines);
		return r;
	}
	*ret = lines;
	return 0;
}

/*
 * A URL off ARM without --resource: like az, send it without a token (what
 * the server then says is the user's to read), and say why.
 */
static int send_unauthenticated(const char *method, const char *url, json_object *body,
				char *const *extra, json_object **ret)
{
	_cleanup_(arm_error_done) ArmError e = {};
	_cleanup_free_ char *body_s = NULL;
	HttpResponse resp = {};
	const char *ours[] = {"Content-Type: application/json", "User-Agent: lazuli/" LAZULI_VERSION};
	_cleanup_free_ const char **headers =
	    http_headers_merge(ours, ELEMENTSOF(ours), (const char *const *)extra);
	char err[256];

	if (!headers)
		return CLI_EXIT_ERROR;

	fprintf(stderr, "WARNING: no resource is known for %s, so no access token is sent; "
			"give --resource for one.\n",
		url);
	if (body && !(body_s = strdup(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN))))
		return CLI_EXIT_ERROR;
	HttpRequest req = {
	    .method = method,
	    .url = url,
	    .headers = headers,
	    .body = body_s,
	    .body_len = body_s ? strlen(body_s) : 0,
	    .max_response = 64u * 1024 * 1024,
	};
	int r = http_send(&req, &resp);
	if (r < 0) {
		cli_error("%s: %s", url, resp.error ? resp.error : strerror(-r));
		http_response_done(&resp);
		return CLI_EXIT_ERROR;
	}
	if (resp.status < 200 || resp.status > 299) {
		arm_error_from_body(&e, resp.body, resp.body_len);
		e.status = resp.status;
		if (!e.code && !e.message && asprintf(&e.message, "%ld from %s", resp.status, url) < 0)
			e.message = NULL;
		r = resp.status == 404 ? -ENOENT : -EIO;
		http_response_done(&resp);
		return cli_arm_error(r, &e);
	}
	if (resp.body_len > 0 &&
	    json_parse_strict(resp.body, resp.body_len, ret, err, sizeof(err)) < 0) {
		/* Not JSON: print it as it came, like az. */
		fwrite(resp.body, 1, resp.body_len, stdout);
		*ret = NULL;
	}
	http_response_done(&resp);
	return CLI_EXIT_OK;
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
	_cleanup_strv_free_ char **headers = NULL;
	r = parse_headers(cli, &headers);
	if (r < 0)
		return r == -ENOMEM ? CLI_EXIT_ERROR : CLI_EXIT_USAGE;
	if (cli_arm(cli, &arm) < 0)
		return CLI_EXIT_ERROR;
	url = expand_url(cli, url_arg);
	if (!url)
		return CLI_EXIT_ERROR;
	/*
	 * ARM's token goes to ARM only. Another host gets a token only for the
	 * resource --resource names, and none without it.
	 */
	const char *resource = cli_arg(&cli->args, "resource");
	bool on_arm = !(startswith(url, "http://") || startswith(url, "https://")) ||
		      url_under(url, arm_client_url(arm));
	if (!on_arm && !resource)
		return send_unauthenticated(method_up, url, body, headers, ret);
	if (resource) {
		_cleanup_(arm_client_freep) ArmClient *other = NULL;
		_cleanup_free_ char *origin = on_arm ? NULL : url_origin(url);
		if ((!on_arm && !origin) || cli_arm_for(cli, origin, resource, &other) < 0 ||
		    arm_client_set_headers(other, headers) < 0)
			return CLI_EXIT_ERROR;
		r = arm_request(other, method_up, url, NULL, body, ret, NULL, &e);
	} else {
		if (arm_client_set_headers(arm, headers) < 0)
			return CLI_EXIT_ERROR;
		r = arm_request(arm, method_up, url, NULL, body, ret, NULL, &e);
	}
	return r < 0 ? cli_arm_error(r, &e) : CLI_EXIT_OK;
}

static const CliOption rest_options[] = {
    {"method", "m", true, false, NULL, "get (default), put, patch, post, delete, head"},
    {"url", "u", true, false, "uri", "ARM URL or path; {subscriptionId} is replaced"},
    {"body", "b", true, false, NULL, "JSON body, or @FILE"},
    {"headers", NULL, true, true, NULL,
     "KEY=VALUE headers or a JSON object (@FILE); they replace the defaults"},
    {"resource", NULL, true, false, NULL,
     "the token's resource (audience); needed for a URL off ARM"},
    {},
};

const CliCommand cli_rest_commands[] = {
    {"rest", rest, "Send a request to Azure Resource Manager or another Azure endpoint",
     rest_options},
    {},
};
