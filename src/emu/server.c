/* SPDX-License-Identifier: MIT */
/*
 * The HTTP side: one MHD daemon per listener address, a thread per
 * connection (so a hung or slow response never blocks another client), and
 * the fault modes of spec 8.4 written straight onto the connection's socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libxml/parser.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "fileio.h"
#include "log.h"
#include "server-internal.h"
#include "strutil.h"

/* Per request: created by the URI callback, freed when MHD completes the request. */
typedef struct Conn {
	Daemon *daemon;
	char *uri;
	StrBuf body;
	bool too_large;
	bool started;
	EmuResponse resp;
	bool has_resp;
} Conn;

static void conn_free(Conn *c)
{
	if (!c)
		return;
	free(c->uri);
	strbuf_free(&c->body);
	emu_response_done(&c->resp);
	free(c);
}

/* ---- socket helpers ---------------------------------------------------- */

/* Sleep ms, or less if the server stops; false if it is stopping. */
static bool sleep_unless_stopping(EmuServer *s, unsigned ms)
{
	struct pollfd p = {.fd = s->stop_fd, .events = POLLIN};
	int r;
	do
		r = poll(&p, 1, (int)MIN(ms, (unsigned)INT32_MAX));
	while (r < 0 && errno == EINTR);
	return r == 0;
}

static bool stopping(EmuServer *s)
{
	return !sleep_unless_stopping(s, 0);
}

static int raw_send(EmuServer *s, int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			struct pollfd pf[2] = {{.fd = fd, .events = POLLOUT},
					       {.fd = s->stop_fd, .events = POLLIN}};
			if (poll(pf, 2, 1000) < 0 && errno != EINTR)
				return -errno;
			if (pf[1].revents)
				return -ECANCELED;
			continue;
		}
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One byte every interval_ms. */
static int raw_send_slow(EmuServer *s, int fd, const char *buf, size_t len, unsigned interval_ms)
{
	for (size_t i = 0; i < len; i++) {
		int r = raw_send(s, fd, buf + i, 1);
		if (r < 0)
			return r;
		if (i + 1 < len && !sleep_unless_stopping(s, interval_ms))
			return -ECANCELED;
	}
	return 0;
}

static char *raw_head(const EmuResponse *r, size_t content_length, size_t *ret_len)
{
	StrBuf b = {};
	const char *reason = MHD_get_reason_phrase_for((unsigned)r->status);
	int k = strbuf_printf(&b, "HTTP/1.1 %d %s\r\n", r->status,
			      reason && *reason ? reason : "Unknown");
	for (size_t i = 0; k >= 0 && i < r->n_headers; i++) {
		const char *n = r->headers[i].name;
		if (strcasecmp(n, "Content-Length") == 0 || strcasecmp(n, "Connection") == 0 ||
		    strcasecmp(n, "Transfer-Encoding") == 0)
			continue;
		k = strbuf_printf(&b, "%s: %s\r\n", n, r->headers[i].value);
	}
	if (k >= 0)
		k = strbuf_printf(&b, "Content-Length: %zu\r\nConnection: close\r\n\r\n",
				  content_length);
	if (k < 0) {
		strbuf_free(&b);
		return NULL;
	}
	*ret_len = b.len;
	return strbuf_steal(&b);
}

/* Abort the connection with a TCP RST instead of a FIN. */
static void raw_reset(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	/*
	 * MHD owns fd and will shutdown()+close() it, which would send a FIN
	 * first. Replacing it with an unconnected socket closes ours now (RST
	 * thanks to the zero linger) and leaves MHD a harmless fd to close.
	 */
	int spare = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (spare >= 0) {
		(void)dup2(spare, fd);
		close(spare);
	} else
		(void)shutdown(fd, SHUT_RDWR);
}

/* Keep the connection open without answering until the client leaves or we stop. */
static void raw_hang(EmuServer *s, int fd)
{
	for (;;) {
		struct pollfd pf[2] = {{.fd = fd, .events = POLLIN | POLLRDHUP},
				       {.fd = s->stop_fd, .events = POLLIN}};
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (pf[1].revents || (pf[0].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
			return;
		if (pf[0].revents & POLLIN) {
			char buf[4096];
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
				return;
		}
	}
}

/* The status the client sees: 0 for faults that never send a status line. */
static int status_sent(const EmuResponse *r)
{
	switch (r->fault) {
	case EMU_FAULT_CLOSE_BEFORE_RESPONSE:
	case EMU_FAULT_RESET:
	case EMU_FAULT_HANG:
	case EMU_FAULT_GARBAGE:
		return 0;
	default:
		return r->status;
	}
}

static size_t partial_length(const EmuResponse *r)
{
	if (r->has_fault_arg)
		return MIN((size_t)r->fault_arg, r->body_len);
	return r->body_len / 2;
}

/* Serve a response with a fault that needs the raw socket; MHD then closes it. */
static void serve_raw_fault(EmuServer *s, int fd, const EmuResponse *r)
{
	unsigned interval = r->has_fault_arg ? r->fault_arg : 1000;
	_cleanup_free_ char *head = NULL;
	size_t head_len = 0;

	switch (r->fault) {
	case EMU_FAULT_CLOSE_BEFORE_RESPONSE:
		return;
	case EMU_FAULT_RESET:
		raw_reset(fd);
		return;
	case EMU_FAULT_HANG:
		raw_hang(s, fd);
		return;
	case EMU_FAULT_GARBAGE: {
		size_t n = r->has_fault_arg && r->fault_arg > 0 ? r->fault_arg : 64;
		_cleanup_free_ unsigned char *g = malloc(n);
		uint32_t x = 0x9e3779b9u;
		if (!g)
			return;
		/* Deterministic bytes that cannot be mistaken for an HTTP status line. */
		for (size_t i = 0; i < n; i++) {
			x = x * 1664525u + 1013904223u;
			g[i] = (unsigned char)(x >> 24);
		}
		g[0] = 0x00;
		(void)raw_send(s, fd, g, n);
		return;
	}
	case EMU_FAULT_SLOW_HEADERS: {
		head = raw_head(r, r->body_len, &head_len);
		if (!head)
			return;
		const char *eol = strstr(head, "\r\n");
		size_t first = eol ? (size_t)(eol - head) + 2 : 0;
		if (raw_send(s, fd, head, first) < 0 ||
		    raw_send_slow(s, fd, head + first, head_len - first, interval) < 0)
			return;
		(void)raw_send(s, fd, r->body, r->body_len);
		return;
	}
	case EMU_FAULT_SLOW_BODY:
		head = raw_head(r, r->body_len, &head_len);
		if (!head || raw_send(s, fd, head, head_len) < 0)
			return;
		(void)raw_send_slow(s, fd, r->body, r->body_len, interval);
		return;
	case EMU_FAULT_CLOSE_MID_BODY: {
		size_t sent = partial_length(r);
		head = raw_head(r, MAX(r->body_len, sent + 1), &head_len);
		if (!head || raw_send(s, fd, head, head_len) < 0)
			return;
		(void)raw_send(s, fd, r->body, sent);
		return;
	}
	default:
		return;
	}
}

/* ---- request log ----------------------------------------------------- */

static json_object *headers_object(const EmuRequest *req)
{
	json_object *h = json_object_new_object();
	for (size_t i = 0; h && i < req->n_headers; i++) {
		json_object *prev;
		const char *n = req->headers[i].name, *v = req->headers[i].value;
		if (json_object_object_get_ex(h, n, &prev)) {
			_cleanup_free_ char *joined = NULL;
			if (asprintf(&joined, "%s, %s", json_object_get_string(prev), v) < 0)
				continue;
			json_object_object_add(h, n, json_object_new_string(joined));
		} else
			json_object_object_add(h, n, json_object_new_string(v));
	}
	return h;
}

static void log_request(EmuServer *s, const EmuRequest *req, const EmuResponse *resp, int status,
			usec_t now_mono, usec_t now_real)
{
	json_object *o = json_object_new_object();
	size_t blen = MIN(req->body_len, (size_t)EMU_LOG_BODY_MAX);
	_cleanup_free_ char *b64 = base64_encode(req->body ? req->body : "", blen);

	if (!o || !b64) {
		json_object_put(o);
		return;
	}
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)++s->log_seq));
	json_object_object_add(o, "ts_mono", emu_json_seconds(now_mono));
	json_object_object_add(o, "ts_real", emu_json_seconds(now_real));
	json_object_object_add(o, "port", json_object_new_string(emu_port_to_string(req->port)));
	json_object_object_add(o, "method", json_object_new_string(req->method));
	json_object_object_add(o, "path", json_object_new_string(req->path));
	json_object_object_add(o, "query", json_object_new_string(strempty(req->query)));
	json_object_object_add(o, "headers", headers_object(req));
	json_object_object_add(o, "body_b64", json_object_new_string(b64));
	json_object_object_add(o, "body_len", json_object_new_int64((int64_t)req->body_len));
	json_object_object_add(o, "body_truncated", json_object_new_boolean(blen < req->body_len));
	json_object_object_add(o, "status", json_object_new_int(status));
	json_object_object_add(
	    o, "fault",
	    json_object_new_string(emu_fault_to_string(resp ? resp->fault : EMU_FAULT_NONE)));
	json_object_object_add(o, "delay_ms", json_object_new_int64(resp ? resp->delay_ms : 0));
	json_object_object_add(
	    o, "queue", resp && resp->queue_key ? json_object_new_string(resp->queue_key) : NULL);
	json_object_object_add(
	    o, "queue_index",
	    resp && resp->queue_index >= 0 ? json_object_new_int64(resp->queue_index) : NULL);

	if (s->log_n == EMU_LOG_CAPACITY) {
		json_object_put(s->log[s->log_start]);
		s->log[s->log_start] = o;
		s->log_start = (s->log_start + 1) % EMU_LOG_CAPACITY;
	} else
		s->log[(s->log_start + s->log_n++) % EMU_LOG_CAPACITY] = o;
}

void emu_server_log_clear(EmuServer *s)
{
	for (size_t i = 0; i < s->log_n; i++)
		json_object_put(s->log[(s->log_start + i) % EMU_LOG_CAPACITY]);
	s->log_start = s->log_n = 0;
}

/* ---- MHD callbacks --------------------------------------------------- */

static void *uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
	Conn *conn = calloc(1, sizeof(*conn));
	if (!conn)
		return NULL;
	conn->daemon = cls;
	conn->uri = strdup(uri ? uri : "/");
	if (!conn->uri) {
		free(conn);
		return NULL;
	}
	return conn;
}

static void completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	Conn *conn = *con_cls;
	if (!conn)
		return;
	if (conn->has_resp && conn->resp.identity_slot) {
		EmuServer *s = conn->daemon->listener->server;
		pthread_mutex_lock(&s->lock);
		emu_state_release(&s->state, &conn->resp);
		pthread_mutex_unlock(&s->lock);
	}
	conn_free(conn);
	*con_cls = NULL;
}

_printf_(2, 0) static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	if (log_get_max_level() < LOG_DEBUG)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_debug("mhd: %s", strstrip(buf));
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	EmuRequest *req = cls;
	if (emu_pairs_add(&req->headers, &req->n_headers, key ? key : "", value ? value : "") < 0)
		return MHD_NO;
	return MHD_YES;
}

static enum MHD_Result queue_plain(struct MHD_Connection *c, const EmuResponse *r, size_t body_len)
{
	struct MHD_Response *mr = MHD_create_response_from_buffer(
	    body_len, r->body ? r->body : (char *)"", MHD_RESPMEM_MUST_COPY);
	if (!mr)
		return MHD_NO;
	for (size_t i = 0; i < r->n_headers; i++)
		if (MHD_add_response_header(mr, r->headers[i].name, r->headers[i].value) != MHD_YES)
			log_debug("Header %s cannot be sent by MHD, skipped", r->headers[i].name);
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, mr);
	MHD_destroy_response(mr);
	return ret;
}

static void log_line(const EmuRequest *req, const EmuResponse *r)
{
	char extra[160] = "";
	if (r->fault != EMU_FAULT_NONE || r->delay_ms > 0)
		snprintf(extra, sizeof(extra), " [fault %s, delay %u ms]",
			 emu_fault_to_string(r->fault), r->delay_ms);
	log_info("%s %s %s%s%s -> %d%s%s%s%s", emu_port_to_string(req->port), req->method,
		 req->path, req->query ? "?" : "", strempty(req->query), status_sent(r),
		 r->queue_key ? " [queue " : "", strempty(r->queue_key), r->queue_key ? "]" : "",
		 extra);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_data_size, void **con_cls)
{
	Daemon *d = cls;
	Listener *l = d->listener;
	EmuServer *s = l->server;
	Conn *conn = *con_cls;
	EmuRequest req = {};
	_cleanup_free_ char *path = NULL;
	const char *q;
	enum MHD_Result ret = MHD_NO;
	int r;

	if (!conn)
		return MHD_NO;
	if (!conn->started) {
		conn->started = true;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (conn->body.len + *upload_data_size > EMU_REQUEST_BODY_MAX)
			conn->too_large = true;
		else if (strbuf_append(&conn->body, upload_data, *upload_data_size) < 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}

	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	int fd = ci ? ci->connect_fd : -1;

	/* A listener that was taken down: its remaining connections are cut. */
	pthread_mutex_lock(&s->lock);
	bool dead = d->dead;
	pthread_mutex_unlock(&s->lock);
	if (dead) {
		if (fd >= 0)
			raw_reset(fd);
		return MHD_NO;
	}

	q = strchr(conn->uri, '?');
	path =
	    emu_percent_decode(conn->uri, q ? (size_t)(q - conn->uri) : strlen(conn->uri), false);
	if (!path)
		return MHD_NO;
	req.port = l->kind;
	req.method = method;
	req.path = path;
	req.query = q ? q + 1 : NULL;
	req.body = conn->body.data ? conn->body.data : "";
	req.body_len = conn->body.len;
	if (emu_query_parse(req.query, &req.params, &req.n_params) < 0)
		goto out;
	MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, &req);

	if (emu_control_path(path)) {
		EmuResponse cr = {.queue_index = -1};
		if (conn->too_large)
			r = emu_response_error(&cr, 413, "Request body too large");
		else
			r = emu_control_handle(s, &req, &cr);
		if (r >= 0)
			ret = queue_plain(c, &cr, cr.body_len);
		emu_response_done(&cr);
		goto out;
	}

	usec_t now_mono = now_usec(CLOCK_MONOTONIC), now_real = now_usec(CLOCK_REALTIME);
	pthread_mutex_lock(&s->lock);
	if (conn->too_large) {
		conn->resp = (EmuResponse){.queue_index = -1};
		r = emu_response_error(&conn->resp, 413, "Request body too large");
	} else
		r = emu_state_handle(&s->state, &req, now_mono, now_real, &conn->resp);
	conn->has_resp = true;
	if (r >= 0)
		log_request(s, &req, &conn->resp, status_sent(&conn->resp), now_mono, now_real);
	bool log_it = s->log_requests;
	pthread_mutex_unlock(&s->lock);
	if (r < 0) {
		log_error_errno(r, "Failed to handle %s %s: %m", method, path);
		goto out;
	}
	if (log_it)
		log_line(&req, &conn->resp);

	if (conn->resp.delay_ms > 0 && !sleep_unless_stopping(s, conn->resp.delay_ms))
		goto out;
	if (stopping(s))
		goto out;

	switch (conn->resp.fault) {
	case EMU_FAULT_NONE:
		ret = queue_plain(c, &conn->resp, conn->resp.body_len);
		break;
	case EMU_FAULT_TRUNCATE:
		ret = queue_plain(c, &conn->resp, partial_length(&conn->resp));
		break;
	default:
		if (fd >= 0)
			serve_raw_fault(s, fd, &conn->resp);
		ret = MHD_NO;
		break;
	}
out:
	emu_pairs_free(req.params, req.n_params);
	emu_pairs_free(req.headers, req.n_headers);
	return ret;
}

/* ---- listeners ------------------------------------------------------- */

static int bind_socket(const char *addr, int port, int *ret_fd, int *ret_port, bool *ret_v6)
{
	struct sockaddr_storage ss = {};
	socklen_t sl;
	bool v6 = strchr(addr, ':');
	int one = 1;

	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, addr, &a->sin6_addr) != 1)
			return -EINVAL;
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, addr, &a->sin_addr) != 1)
			return -EINVAL;
		sl = sizeof(*a);
	}
	_cleanup_close_ int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return -errno;
	if (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		return -errno;
	if (listen(fd, 128) < 0)
		return -errno;
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -errno;
	*ret_port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
			     : ((struct sockaddr_in *)&ss)->sin_port);
	*ret_v6 = v6;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* Before the handshake of each HTTPS connection: offer tickets, and resume them. */
static void tls_connection_cb(void *cls, struct MHD_Connection *connection, void **socket_context,
			      enum MHD_ConnectionNotificationCode code)
{
	Daemon *d = cls;
	(void)socket_context;
	if (code != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci && ci->tls_session &&
	    gnutls_session_ticket_enable_server(ci->tls_session,
						&d->listener->server->arm_ticket_key) < 0)
		log_warning("cannot enable TLS session tickets");
}

static int daemon_start(Listener *l, const char *addr, int port, int *ret_port, Daemon **ret,
			char *err, size_t errlen)
{
	int fd = -1, actual = 0;
	bool v6 = false;
	int r = bind_socket(addr, port, &fd, &actual, &v6);

	if (r < 0) {
		snprintf(err, errlen, "cannot listen on %s%s%s:%d for %s: %s", v6 ? "[" : "", addr,
			 v6 ? "]" : "", port, emu_port_to_string(l->kind), strerror(-r));
		return r;
	}
	Daemon *d = calloc(1, sizeof(*d));
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	d->listener = l;
	const EmuServer *s = l->server;
	bool tls = l->kind == EMU_PORT_ARM && s->arm_tls_cert;
	struct MHD_OptionItem tls_opts[] = {
	    {MHD_OPTION_HTTPS_MEM_CERT, 0, tls ? s->arm_tls_cert : NULL},
	    {MHD_OPTION_HTTPS_MEM_KEY, 0, tls ? s->arm_tls_key : NULL},
	    {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)tls_connection_cb, d},
	    {MHD_OPTION_END, 0, NULL},
	};
	d->mhd = MHD_start_daemon(
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
		MHD_USE_ITC | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0) | (tls ? MHD_USE_TLS : 0),
	    0, NULL, NULL, handler, d, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_URI_LOG_CALLBACK,
	    uri_cb, d, MHD_OPTION_NOTIFY_COMPLETED, completed_cb, d, MHD_OPTION_EXTERNAL_LOGGER,
	    mhd_logger, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 0u, MHD_OPTION_ARRAY,
	    tls ? tls_opts : tls_opts + 3, MHD_OPTION_END);
	if (!d->mhd) {
		close(fd);
		free(d);
		snprintf(err, errlen,
			 tls ? "cannot start the HTTPS server for %s: the TLS library refused "
			       "the certificate or key (see the log above)"
			     : "cannot start HTTP server for %s",
			 emu_port_to_string(l->kind));
		return -EIO;
	}
	*ret_port = actual;
	*ret = d;
	return 0;
}

static int graveyard_add(EmuServer *s, Daemon *d)
{
	Daemon **g = realloc(s->graveyard, (s->n_graveyard + 1) * sizeof(Daemon *));
	if (!g)
		return -ENOMEM;
	s->graveyard = g;
	g[s->n_graveyard++] = d;
	return 0;
}

static void listener_down(Listener *l)
{
	for (size_t i = 0; i < l->n_daemons; i++) {
		Daemon *d = l->daemons[i];
		MHD_socket fd = MHD_quiesce_daemon(d->mhd);
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
		d->dead = true;
		if (graveyard_add(l->server, d) < 0) {
			/* Cannot keep it for a clean stop later; leak rather than block here. */
			log_warning("Out of memory while stopping the %s listener",
				    emu_port_to_string(l->kind));
		}
		l->daemons[i] = NULL;
	}
	l->n_daemons = 0;
	l->up = false;
}

static int listener_up(Listener *l, char *err, size_t errlen)
{
	EmuServer *s = l->server;
	int r;

	for (size_t i = 0; i < s->n_addrs; i++) {
		int actual;
		Daemon *d;
		r = daemon_start(l, s->addrs[i], l->port, &actual, &d, err, errlen);
		if (r < 0) {
			listener_down(l);
			return r;
		}
		l->daemons[l->n_daemons++] = d;
		l->port = actual; /* later addresses share the first one's ephemeral port */
	}
	l->up = true;
	return 0;
}

int emu_listener_set_up(Listener *l, bool up, char *err, size_t errlen)
{
	l->restore_at = 0;
	if (up == l->up)
		return 0;
	if (!up) {
		listener_down(l);
		log_info("%s listener is down", emu_port_to_string(l->kind));
		return 0;
	}
	int r = listener_up(l, err, errlen);
	if (r >= 0)
		log_info("%s listener is up again on port %d", emu_port_to_string(l->kind),
			 l->port);
	return r;
}

char *emu_server_url(EmuServer *s, EmuPort p)
{
	const char *a = s->addrs[0];
	bool v6 = strchr(a, ':');
	char *url;
	bool tls = p == EMU_PORT_ARM && s->arm_tls_cert;
	if (asprintf(&url, "%s://%s%s%s:%d", tls ? "https" : "http", v6 ? "[" : "", a,
		     v6 ? "]" : "", s->listeners[p].port) < 0)
		return NULL;
	return url;
}

int emu_server_port(EmuServer *s, bool wireserver)
{
	return s->listeners[wireserver ? EMU_PORT_WIRESERVER : EMU_PORT_IMDS].port;
}

int emu_server_arm_port(EmuServer *s)
{
	return s->listeners[EMU_PORT_ARM].port;
}

/* ---- lifecycle ------------------------------------------------------- */

/* A PEM file whose text names what it must hold ("CERTIFICATE", "PRIVATE KEY"). */
static int load_pem(const char *path, const char *opt, const char *what, char **ret, char *err,
		    size_t errlen)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = read_full_file(path, 1024 * 1024, &text, &len);
	if (r < 0) {
		snprintf(err, errlen, "%s %s: %s", opt, path, strerror(-r));
		return r == -ENOMEM ? r : -EINVAL;
	}
	const char *b = strstr(text, "-----BEGIN ");
	if (strlen(text) != len || !b || !strstr(b, what) || !strstr(b, "-----END ")) {
		snprintf(err, errlen, "%s %s: not a PEM file with a %s", opt, path, what);
		return -EINVAL;
	}
	*ret = TAKE_PTR(text);
	return 0;
}

int emu_server_new(const EmuOptions *o, EmuServer **ret, char *err, size_t errlen)
{
	_cleanup_(emu_server_freep) EmuServer *s = NULL;
	EmuScenario *scenario = NULL;
	EmuVm *vm = NULL;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	s->stop_fd = s->wake_fd = -1;
	s->log_requests = o->log_requests;

	char *const def_addrs[] = {(char *)"127.0.0.1", NULL};
	char *const *addrs = o->listen && o->listen[0] ? o->listen : def_addrs;
	for (size_t i = 0; addrs[i]; i++) {
		if (i >= EMU_MAX_ADDRS) {
			snprintf(err, errlen, "at most %d --listen addresses", EMU_MAX_ADDRS);
			return -EINVAL;
		}
		int lb = emu_address_is_loopback(addrs[i]);
		if (lb < 0) {
			snprintf(err, errlen, "--listen %s: not a numeric IPv4 or IPv6 address",
				 addrs[i]);
			return -EINVAL;
		}
		if (!lb && !o->allow_nonloopback) {
			snprintf(err, errlen,
				 "--listen %s: not a loopback address (use --allow-nonloopback)",
				 addrs[i]);
			return -EINVAL;
		}
		s->addrs[s->n_addrs] = strdup(addrs[i]);
		if (!s->addrs[s->n_addrs++])
			return -ENOMEM;
	}
	for (int i = 0; i < _EMU_PORT_MAX; i++) {
		static const int defaults[_EMU_PORT_MAX] = {
		    [EMU_PORT_IMDS] = EMU_DEFAULT_IMDS_PORT,
		    [EMU_PORT_WIRESERVER] = EMU_DEFAULT_WIRESERVER_PORT,
		    [EMU_PORT_ARM] = EMU_DEFAULT_ARM_PORT,
		};
		int port = i == EMU_PORT_IMDS	     ? o->imds_port
			   : i == EMU_PORT_WIRESERVER ? o->wireserver_port
						      : o->arm_port;
		if (port < 0)
			port = defaults[i];
		if (port > 65535) {
			snprintf(err, errlen, "port %d out of range", port);
			return -EINVAL;
		}
		s->listeners[i] = (Listener){.server = s, .kind = (EmuPort)i, .port = port};
	}

	if (o->vm_path && (r = emu_vm_load(o->vm_path, &vm, err, errlen)) < 0)
		return r == -ENOMEM ? r : -EINVAL;
	if (o->scenario_path) {
		r = emu_scenario_load(o->scenario_path, &scenario, err, errlen);
		if (r < 0) {
			emu_vm_free(vm);
			return r == -ENOMEM ? r : -EINVAL;
		}
		s->scenario_dir = strdup(scenario->base_dir);
	} else
		s->scenario_dir = realpath(".", NULL);
	if (!s->scenario_dir) {
		emu_scenario_free(scenario);
		emu_vm_free(vm);
		return -ENOMEM;
	}
	r = emu_state_init(&s->state, scenario, vm);
	if (r < 0)
		return r;
	if (o->ready_file && !(s->ready_file = strdup(o->ready_file)))
		return -ENOMEM;
	if (!o->arm_tls_cert != !o->arm_tls_key) {
		snprintf(err, errlen, "--arm-tls-cert and --arm-tls-key go together");
		return -EINVAL;
	}
	if (o->arm_tls_cert) {
		r = load_pem(o->arm_tls_cert, "--arm-tls-cert", "CERTIFICATE", &s->arm_tls_cert,
			     err, errlen);
		if (r >= 0)
			r = load_pem(o->arm_tls_key, "--arm-tls-key", "PRIVATE KEY",
				     &s->arm_tls_key, err, errlen);
		if (r < 0)
			return r;
		if (gnutls_session_ticket_key_generate(&s->arm_ticket_key) < 0) {
			snprintf(err, errlen, "cannot make a TLS session ticket key");
			return -EIO;
		}
	}

	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stop_fd < 0 || s->wake_fd < 0)
		return -errno;
	xmlInitParser();
	*ret = TAKE_PTR(s);
	return 0;
}

int emu_server_start(EmuServer *s, char *err, size_t errlen)
{
	_cleanup_free_ char *imds = NULL, *ws = NULL, *arm = NULL, *json = NULL;
	int r;

	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < _EMU_PORT_MAX; i++) {
		r = listener_up(&s->listeners[i], err, errlen);
		if (r < 0) {
			pthread_mutex_unlock(&s->lock);
			return r;
		}
	}
	imds = emu_server_url(s, EMU_PORT_IMDS);
	ws = emu_server_url(s, EMU_PORT_WIRESERVER);
	arm = emu_server_url(s, EMU_PORT_ARM);
	if (!imds || !ws || !arm) {
		pthread_mutex_unlock(&s->lock);
		return -ENOMEM;
	}
	free(s->state.wireserver_url);
	s->state.wireserver_url = strdup(ws);
	free(s->state.arm.base_url);
	s->state.arm.base_url = strdup(arm);
	pthread_mutex_unlock(&s->lock);
	if (!s->state.wireserver_url || !s->state.arm.base_url)
		return -ENOMEM;

	log_info("IMDS on %s, wireserver on %s, ARM on %s", imds, ws, arm);
	if (s->ready_file) {
		if (asprintf(&json,
			     "{\"imds\":\"%s\",\"wireserver\":\"%s\",\"arm\":\"%s\",\"pid\":%d}\n",
			     imds, ws, arm, (int)getpid()) < 0) {
			json = NULL;
			return -ENOMEM;
		}
		r = write_file_atomic(s->ready_file, json, strlen(json), 0644);
		if (r < 0) {
			snprintf(err, errlen, "cannot write ready file %s: %s", s->ready_file,
				 strerror(-r));
			return r;
		}
	}
	return 0;
}

void emu_server_request_stop(EmuServer *s)
{
	uint64_t one = 1;
	pthread_mutex_lock(&s->lock);
	s->stop_requested = true;
	pthread_mutex_unlock(&s->lock);
	(void)!write(s->wake_fd, &one, sizeof(one));
}

int emu_server_run(EmuServer *s, int signal_fd)
{
	for (;;) {
		usec_t now = now_usec(CLOCK_MONOTONIC), next = USEC_INFINITY;
		int timeout = -1;

		pthread_mutex_lock(&s->lock);
		if (s->stop_requested) {
			pthread_mutex_unlock(&s->lock);
			return 0;
		}
		for (int i = 0; i < _EMU_PORT_MAX; i++) {
			Listener *l = &s->listeners[i];
			if (l->restore_at == 0)
				continue;
			if (l->restore_at <= now) {
				char err[256];
				if (emu_listener_set_up(l, true, err, sizeof(err)) < 0)
					log_error("Cannot restore the %s listener: %s",
						  emu_port_to_string(l->kind), err);
			} else
				next = MIN(next, l->restore_at);
		}
		pthread_mutex_unlock(&s->lock);
		if (next != USEC_INFINITY)
			timeout = (int)MIN((next - now + 999) / 1000, (usec_t)INT32_MAX);

		struct pollfd pf[2] = {{.fd = s->wake_fd, .events = POLLIN},
				       {.fd = signal_fd, .events = POLLIN}};
		int n = poll(pf, signal_fd >= 0 ? 2 : 1, timeout);
		if (n < 0 && errno != EINTR)
			return log_error_errno(errno, "poll() failed: %m");
		if (n > 0 && pf[0].revents) {
			uint64_t v;
			(void)!read(s->wake_fd, &v, sizeof(v));
		}
		if (n > 0 && signal_fd >= 0 && pf[1].revents) {
			struct signalfd_siginfo si;
			if (read(signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				log_info("Received %s, shutting down",
					 strsignal((int)si.ssi_signo));
			return 0;
		}
	}
}

void emu_server_free(EmuServer *s)
{
	uint64_t one = 1;

	if (!s)
		return;
	if (s->stop_fd >= 0)
		(void)!write(s->stop_fd, &one, sizeof(one));
	/* No lock here: connection threads may be waiting for it while MHD joins them. */
	for (int i = 0; i < _EMU_PORT_MAX; i++)
		for (size_t j = 0; j < s->listeners[i].n_daemons; j++) {
			MHD_stop_daemon(s->listeners[i].daemons[j]->mhd);
			free(s->listeners[i].daemons[j]);
		}
	for (size_t i = 0; i < s->n_graveyard; i++) {
		MHD_stop_daemon(s->graveyard[i]->mhd);
		free(s->graveyard[i]);
	}
	free(s->graveyard);
	emu_server_log_clear(s);
	emu_state_done(&s->state);
	for (size_t i = 0; i < s->n_addrs; i++)
		free(s->addrs[i]);
	free(s->scenario_dir);
	free(s->ready_file);
	free(s->arm_tls_cert);
	if (s->arm_tls_key)
		explicit_bzero(s->arm_tls_key, strlen(s->arm_tls_key));
	free(s->arm_tls_key);
	if (s->arm_ticket_key.data) {
		gnutls_memset(s->arm_ticket_key.data, 0, s->arm_ticket_key.size);
		gnutls_free(s->arm_ticket_key.data);
	}
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
