/* SPDX-License-Identifier: MIT */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "macros.h"
#include "strutil.h"

#define MAX_HOOKS 4

struct MetricsServer {
	const MetricsConfig *cfg;
	Scrape *scrape;
	struct MHD_Daemon *mhd;
	unsigned port;
	uint64_t scrapes;
	bool out_in_flight; /* MHD is still sending scrape->out */
};

static void out_sent(void *cls)
{
	MetricsServer *s = cls;
	s->out_in_flight = false;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     const void *body, size_t len)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	enum MHD_Result r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	MetricsServer *s = cls;
	static int first_call;

	/* MHD calls twice per request: once for the headers, once to get a reply. */
	if (*req_cls == NULL) {
		*req_cls = &first_call;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		*upload_data_size = 0; /* bodies are not used: discard */
		return MHD_YES;
	}
	if (!streq(method, "GET") && !streq(method, "HEAD")) {
		static const char msg[] = "Only GET and HEAD are supported.\n";
		struct MHD_Response *resp = MHD_create_response_from_buffer(
		    sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
		if (!resp)
			return MHD_NO;
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
		enum MHD_Result r = MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, resp);
		MHD_destroy_response(resp);
		return r;
	}
	if (streq(url, "/metrics")) {
		const char *accept =
		    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
		ExpoFormat fmt = expo_negotiate(accept);
		const char *type = fmt == EXPO_OPENMETRICS ? EXPO_CONTENT_TYPE_OPENMETRICS
							   : EXPO_CONTENT_TYPE_PROMETHEUS;
		s->scrapes++;
		/*
		 * The scrape buffer is handed to MHD without a copy; a second
		 * scrape while it is still being sent gets a buffer of its own.
		 */
		if (s->out_in_flight) {
			Expo saved = s->scrape->out;
			s->scrape->out = (Expo){0};
			int r = scrape_run(s->scrape, fmt);
			enum MHD_Result mr =
			    r < 0 ? MHD_NO
				  : reply(conn, MHD_HTTP_OK, type, s->scrape->out.buf, s->scrape->out.len);
			expo_done(&s->scrape->out);
			s->scrape->out = saved;
			return mr;
		}
		int r = scrape_run(s->scrape, fmt);
		if (r < 0) {
			static const char msg[] = "The scrape failed: out of memory.\n";
			log_error_errno(r, "Scrape failed: %m");
			return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", msg,
				     sizeof(msg) - 1);
		}
		struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback_cls(
		    s->scrape->out.len, s->scrape->out.buf, out_sent, s);
		if (!resp)
			return MHD_NO;
		s->out_in_flight = true;
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
		enum MHD_Result mr = MHD_queue_response(conn, MHD_HTTP_OK, resp);
		MHD_destroy_response(resp);
		return mr;
	}
	if (streq(url, "/")) {
		static const char msg[] = "lazuli-metrics: metrics are at /metrics\n";
		return reply(conn, MHD_HTTP_OK, "text/plain; charset=utf-8", msg, sizeof(msg) - 1);
	}
	static const char msg[] = "Not found: metrics are at /metrics\n";
	return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", msg, sizeof(msg) - 1);
}

int metrics_server_new(const MetricsConfig *cfg, Scrape *scrape, MetricsServer **ret)
{
	char host[64], err[256];
	uint16_t port;
	struct sockaddr_storage ss = {0};
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	int r;

	r = parse_listen_address(cfg->listen, host, sizeof(host), &port, err, sizeof(err));
	if (r < 0) {
		log_error("Invalid listen address: %s", err);
		return r;
	}
	if (cfg->listen[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		inet_pton(AF_INET6, host, &a->sin6_addr);
		flags |= MHD_USE_IPv6;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		inet_pton(AF_INET, host, &a->sin_addr);
	}

	MetricsServer *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = cfg;
	s->scrape = scrape;
	errno = 0;
	s->mhd = MHD_start_daemon(flags, port, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR,
				  (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT,
				  (unsigned)15, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
				  MHD_OPTION_END);
	if (!s->mhd) {
		r = errno > 0 ? -errno : -EADDRINUSE;
		free(s);
		return log_error_errno(r, "Cannot listen on %s: %m", cfg->listen);
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : port;
	*ret = s;
	return 0;
}

void metrics_server_free(MetricsServer *s)
{
	if (!s)
		return;
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	free(s);
}

unsigned metrics_server_port(const MetricsServer *s)
{
	return s->port;
}

int metrics_server_run(MetricsServer *s, int stop_fd, const ServerHook *hooks, size_t n_hooks)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	struct pollfd pfd[2 + MAX_HOOKS];
	size_t n;

	if (!info)
		return -EIO;
	if (n_hooks > MAX_HOOKS)
		return -EINVAL;
	for (;;) {
		MHD_UNSIGNED_LONG_LONG to;
		int timeout = -1;
		if (MHD_get_timeout(s->mhd, &to) == MHD_YES)
			timeout = to > INT32_MAX ? INT32_MAX : (int)to;
		n = 0;
		pfd[n++] = (struct pollfd){.fd = info->epoll_fd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = stop_fd, .events = POLLIN};
		for (size_t i = 0; i < n_hooks; i++)
			pfd[n++] = (struct pollfd){.fd = hooks[i].fd, .events = POLLIN};
		int r = poll(pfd, n, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return log_error_errno(errno, "poll() failed: %m");
		}
		if (pfd[1].revents)
			return 0;
		for (size_t i = 0; i < n_hooks; i++)
			if (pfd[2 + i].revents)
				hooks[i].ready(hooks[i].userdata);
		MHD_run(s->mhd);
	}
}
