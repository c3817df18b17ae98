/* http: libmicrohttpd on the daemon's loop (see http.h). */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <microhttpd.h>

#include "config.h"
#include "log.h"

#define HTTP_MAX_FORM_ARGS 4096 /* form values of one request */

struct http {
	uv_loop_t *loop;
	struct MHD_Daemon *d;
	uv_poll_t poll;   /* MHD's epoll descriptor */
	uv_poll_t listen; /* the listening socket: we accept, MHD serves */
	uv_timer_t timer;
	int fd;      /* the listening socket */
	int handles; /* initialised, to be closed */
	unsigned max_connections;
	unsigned long refused;
	http_handler handler;
	void *ctx;
	size_t max_body;
	char address[160];
	char unlink_path[108]; /* a Unix socket we created */
};

struct arg {
	char *name, *value;
	size_t len;
};

enum req_state { R_READING, R_HANDLER, R_ANSWERED };

struct http_req {
	struct http *h;
	struct MHD_Connection *conn;
	struct MHD_PostProcessor *pp;
	char *method, *path;
	char addr[INET6_ADDRSTRLEN];
	size_t body;
	int too_big, bad_body, suspended;
	enum req_state state;
	struct arg *form;
	size_t nform, capform;
	struct MHD_Response *resp;
	unsigned status;
	void (*abort_cb)(void *);
	void *abort_arg;
};

static void arm(struct http *h);

static void
run(struct http *h)
{
	MHD_run(h->d);
	arm(h);
}

static void
on_timer(uv_timer_t *t)
{
	run(t->data);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
	(void)status;
	(void)events;
	run(p->data);
}

/* The timer fires at MHD's next deadline, or at once when a resumed
 * connection has an answer to send. */
static void
arm(struct http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(h->d, &ms) == MHD_YES)
		uv_timer_start(&h->timer, on_timer, ms > 86400000 ? 86400000 : ms, 0);
	else
		uv_timer_stop(&h->timer);
}

/* ---- requests ---- */

static int
form_add(struct http_req *r, const char *key, const char *data, uint64_t off, size_t size)
{
	struct arg *a;

	if (off > 0 && r->nform > 0 && strcmp(r->form[r->nform - 1].name, key) == 0) {
		a = &r->form[r->nform - 1];
	} else {
		if (r->nform == HTTP_MAX_FORM_ARGS)
			return -1;
		if (r->nform == r->capform) {
			size_t cap = r->capform ? 2 * r->capform : 16;
			struct arg *v = realloc(r->form, cap * sizeof *v);

			if (v == NULL)
				return -1;
			r->form = v;
			r->capform = cap;
		}
		a = &r->form[r->nform];
		if ((a->name = strdup(key)) == NULL || (a->value = strdup("")) == NULL) {
			free(a->name);
			return -1;
		}
		a->len = 0;
		r->nform++;
	}
	if (size) {
		char *v = realloc(a->value, a->len + size + 1);

		if (v == NULL)
			return -1;
		memcpy(v + a->len, data, size);
		a->len += size;
		v[a->len] = 0;
		a->value = v;
	}
	return 0;
}

static enum MHD_Result
on_form(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
	const char *content_type, const char *transfer_encoding, const char *data, uint64_t off,
	size_t size)
{
	(void)kind;
	(void)filename;
	(void)content_type;
	(void)transfer_encoding;
	return form_add(cls, key, data, off, size) == 0 ? MHD_YES : MHD_NO;
}

static void
req_free(struct http_req *r)
{
	if (r->pp)
		MHD_destroy_post_processor(r->pp);
	for (size_t i = 0; i < r->nform; i++) {
		free(r->form[i].name);
		free(r->form[i].value);
	}
	free(r->form);
	if (r->resp)
		MHD_destroy_response(r->resp);
	free(r->method);
	free(r->path);
	free(r);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct http_req *r = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (r == NULL)
		return;
	*con_cls = NULL;
	if (r->state == R_HANDLER && r->abort_cb)
		r->abort_cb(r->abort_arg);
	req_free(r);
}

static void
client_addr(struct http_req *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(r->addr, sizeof r->addr, "unix");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
			  r->addr, sizeof r->addr);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  r->addr, sizeof r->addr);
}

static struct http_req *
req_new(struct http *h, struct MHD_Connection *conn, const char *url, const char *method)
{
	struct http_req *r = calloc(1, sizeof *r);
	const char *cl;

	if (r == NULL)
		return NULL;
	r->h = h;
	r->conn = conn;
	r->method = strdup(method);
	r->path = strdup(url);
	if (r->method == NULL || r->path == NULL) {
		req_free(r);
		return NULL;
	}
	client_addr(r);
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > h->max_body)
		r->too_big = 1;
	if (strcmp(method, MHD_HTTP_METHOD_POST) == 0 && !r->too_big)
		r->pp = MHD_create_post_processor(conn, 8192, on_form, r);
	return r;
}

static enum MHD_Result
send_plain(struct MHD_Connection *conn, unsigned status, const char *text)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	   const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct http *h = cls;
	struct http_req *r = *con_cls;

	(void)version;
	if (r == NULL) {
		if ((r = req_new(h, conn, url, method)) == NULL)
			return MHD_NO;
		*con_cls = r;
		if (r->too_big)
			return send_plain(conn, MHD_HTTP_CONTENT_TOO_LARGE,
					  "request body too large\n");
		return MHD_YES;
	}
	if (*upload_size) {
		r->body += *upload_size;
		if (r->body > h->max_body)
			r->too_big = 1;
		else if (r->pp && !r->bad_body &&
			 MHD_post_process(r->pp, upload, *upload_size) != MHD_YES)
			r->bad_body = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->state == R_ANSWERED) {
		r->suspended = 0;
		return r->resp ? MHD_queue_response(conn, r->status, r->resp) : MHD_NO;
	}
	if (r->state == R_HANDLER)
		return MHD_YES; /* not answered yet (should not happen: suspended) */
	if (r->too_big)
		return send_plain(conn, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large\n");
	r->state = R_HANDLER;
	h->handler(h->ctx, r);
	if (r->state == R_ANSWERED)
		return MHD_queue_response(conn, r->status, r->resp);
	MHD_suspend_connection(conn);
	r->suspended = 1;
	return MHD_YES;
}

/* ---- the request's accessors ---- */

const char *
http_req_method(const struct http_req *r)
{
	return r->method;
}

const char *
http_req_path(const struct http_req *r)
{
	return r->path;
}

const char *
http_req_header(const struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *
http_req_addr(const struct http_req *r)
{
	return r->addr;
}

int
http_req_bad_body(const struct http_req *r)
{
	return r->bad_body;
}

struct args_walk {
	const char *name;
	const char **out;
	size_t max, n;
};

static enum MHD_Result
on_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct args_walk *w = cls;

	(void)kind;
	if (key && strcmp(key, w->name) == 0) {
		if (w->n < w->max)
			w->out[w->n] = value ? value : "";
		w->n++;
	}
	return MHD_YES;
}

size_t
http_req_args(const struct http_req *r, const char *name, const char **out, size_t max)
{
	struct args_walk w = {name, out, max, 0};

	for (size_t i = 0; i < r->nform; i++)
		on_arg(&w, MHD_POSTDATA_KIND, r->form[i].name, r->form[i].value);
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, on_arg, &w);
	return w.n;
}

const char *
http_req_arg(const struct http_req *r, const char *name)
{
	const char *v = NULL;

	return http_req_args(r, name, &v, 1) ? v : NULL;
}

void
http_req_on_abort(struct http_req *r, void (*cb)(void *arg), void *arg)
{
	r->abort_cb = cb;
	r->abort_arg = arg;
}

static void
answer(struct http_req *r, unsigned status, const char *ctype, struct MHD_Response *resp,
       const char *const *headers)
{
	if (r->state != R_HANDLER) {
		log_err("http: a request answered twice");
		if (resp)
			MHD_destroy_response(resp);
		return;
	}
	if (resp) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
		MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
		for (size_t i = 0; headers && headers[i] && headers[i + 1]; i += 2)
			MHD_add_response_header(resp, headers[i], headers[i + 1]);
	} else {
		log_err("http: out of memory for a response");
	}
	r->resp = resp;
	r->status = status;
	r->state = R_ANSWERED;
	r->abort_cb = NULL;
	if (r->suspended) {
		MHD_resume_connection(r->conn);
		/* MHD sends it at its next run: on the next loop turn. */
		uv_timer_start(&r->h->timer, on_timer, 0, 0);
	}
}

void
http_respond(struct http_req *r, unsigned status, const char *ctype, const char *body, size_t len,
	     const char *const *headers)
{
	answer(r, status, ctype,
	       MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY), headers);
}

void
http_respond_take(struct http_req *r, unsigned status, const char *ctype, char *body, size_t len,
		  const char *const *headers)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer_with_free_callback(len, body, free);

	if (resp == NULL)
		free(body);
	answer(r, status, ctype, resp, headers);
}

/* ---- accepting ---- */

/* Over the cap a client is told so (503) and closed, at once: left in the
 * kernel's backlog it would wait for seconds of SYN retries. */
static void
refuse(struct http *h, int fd)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
				   "Content-Type: text/plain\r\nRetry-After: 1\r\n"
				   "Connection: close\r\nContent-Length: 32\r\n\r\n"
				   "too many connections, try again\n";
	ssize_t n = send(fd, busy, sizeof busy - 1, MSG_DONTWAIT | MSG_NOSIGNAL);

	(void)n; /* best effort: the close says the rest */
	close(fd);
	if (h->refused++ % 1000 == 0)
		log_warn("http: %u connections open: refusing more (%lu so far)",
			 h->max_connections, h->refused);
}

static void
on_listen(uv_poll_t *p, int status, int events)
{
	struct http *h = p->data;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	(void)status;
	(void)events;
	/* A bounded batch per loop turn: a flood cannot hold the loop. */
	for (int i = 0; i < 256; i++) {
		const union MHD_DaemonInfo *di;

		len = sizeof ss;
		fd = accept4(h->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("http: accept: %s", strerror(errno));
			break;
		}
		di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (di && di->num_connections >= h->max_connections) {
			refuse(h, fd);
			continue;
		}
		/* MHD owns fd from here, and closes it on failure. */
		if (MHD_add_connection(h->d, fd, (struct sockaddr *)&ss, len) != MHD_YES)
			log_warn("http: cannot take a connection: %s", strerror(errno));
	}
	run(h);
}

/* ---- the server ---- */

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = 0;
	log_debug("http: %s", msg);
}

/* A bound, listening, non-blocking socket for l; -1 with err. */
static int
listen_socket(struct http *h, const struct config_listen *l, char *err, size_t errlen)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_un un;
	} a;
	socklen_t alen;
	int fd, one = 1;
	struct stat sb;

	memset(&a, 0, sizeof a);
	if (l->family == AF_UNIX) {
		a.un.sun_family = AF_UNIX;
		snprintf(a.un.sun_path, sizeof a.un.sun_path, "%s", l->path);
		alen = sizeof a.un;
		/* A stale socket of an earlier run; any other file stays. */
		if (lstat(l->path, &sb) == 0 && S_ISSOCK(sb.st_mode))
			unlink(l->path);
	} else if (l->family == AF_INET) {
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons((uint16_t)l->port);
		inet_pton(AF_INET, l->host, &a.in.sin_addr);
		alen = sizeof a.in;
	} else {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons((uint16_t)l->port);
		inet_pton(AF_INET6, l->host, &a.in6.sin6_addr);
		alen = sizeof a.in6;
	}
	fd = socket(l->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "http_listen: socket: %s", strerror(errno));
		return -1;
	}
	if (l->family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (l->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, &a.sa, alen) < 0 || listen(fd, 511) < 0) {
		snprintf(err, errlen, "http_listen: cannot listen on %s: %s", h->address,
			 strerror(errno));
		close(fd);
		return -1;
	}
	if (l->family == AF_UNIX) {
		snprintf(h->unlink_path, sizeof h->unlink_path, "%s", l->path);
		/* Anyone who can reach the directory may connect (a proxy's
		 * user): every request still needs a login. */
		if (chmod(l->path, 0666) < 0)
			log_warn("http_listen: chmod %s: %s", l->path, strerror(errno));
	} else if (getsockname(fd, &a.sa, &alen) == 0) {
		unsigned port = ntohs(l->family == AF_INET ? a.in.sin_port : a.in6.sin6_port);

		snprintf(h->address, sizeof h->address, l->family == AF_INET ? "%s:%u" : "[%s]:%u",
			 l->host, port);
	}
	return fd;
}

int
http_start(uv_loop_t *loop, const struct http_options *o, http_handler handler, void *ctx,
	   struct http **out, char *err, size_t errlen)
{
	struct config_listen l;
	struct http *h;
	const union MHD_DaemonInfo *di;
	char why[256];

	*out = NULL;
	if (config_listen_parse(o->listen, &l, why, sizeof why) < 0) {
		snprintf(err, errlen, "http_listen: %s", why);
		return -1;
	}
	if ((h = calloc(1, sizeof *h)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->loop = loop;
	h->handler = handler;
	h->ctx = ctx;
	h->max_body = o->max_body ? o->max_body : 1 << 20;
	snprintf(h->address, sizeof h->address, "%s", o->listen);
	if ((h->fd = listen_socket(h, &l, err, errlen)) < 0)
		goto fail;
	h->max_connections = o->max_connections ? o->max_connections : 256;
	h->d = MHD_start_daemon(
		MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_NO_LISTEN_SOCKET |
			MHD_USE_ERROR_LOG,
		0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
		MHD_OPTION_CONNECTION_LIMIT, h->max_connections + 1, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)(o->timeout ? o->timeout : 30), MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)(o->max_header ? o->max_header : 16384), MHD_OPTION_NOTIFY_COMPLETED,
		on_completed, h, MHD_OPTION_END);
	if (h->d == NULL) {
		snprintf(err, errlen, "http_listen: cannot start the HTTP server on %s",
			 h->address);
		close(h->fd);
		goto fail;
	}
	h->poll.data = h->listen.data = h->timer.data = h;
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (di == NULL || uv_timer_init(loop, &h->timer) < 0) {
		snprintf(err, errlen, "http_listen: cannot watch the HTTP server's descriptors");
		MHD_stop_daemon(h->d);
		close(h->fd);
		goto fail;
	}
	if (uv_poll_init(loop, &h->poll, di->epoll_fd) < 0 ||
	    uv_poll_init(loop, &h->listen, h->fd) < 0) {
		/* Rare (a bad descriptor); the closes free h. */
		snprintf(err, errlen, "http_listen: cannot watch the HTTP server's descriptors");
		http_stop(h);
		return -1;
	}
	uv_poll_start(&h->poll, UV_READABLE, on_poll);
	uv_poll_start(&h->listen, UV_READABLE, on_listen);
	arm(h);
	*out = h;
	return 0;
fail:
	if (h->unlink_path[0])
		unlink(h->unlink_path);
	free(h);
	return -1;
}

const char *
http_address(const struct http *h)
{
	return h->address;
}

static void
on_closed(uv_handle_t *hd)
{
	struct http *h = hd->data;

	if (--h->handles == 0)
		free(h);
}

void
http_stop(struct http *h)
{
	if (h == NULL)
		return;
	/* The polls first: their descriptors close below. A poll whose
	 * init failed was never the loop's (http_start). */
	h->handles = 1;
	uv_close((uv_handle_t *)&h->timer, on_closed);
	if (h->poll.loop == h->loop) {
		h->handles++;
		uv_close((uv_handle_t *)&h->poll, on_closed);
	}
	if (h->listen.loop == h->loop) {
		h->handles++;
		uv_close((uv_handle_t *)&h->listen, on_closed);
	}
	MHD_stop_daemon(h->d); /* closes the connections */
	close(h->fd);
	if (h->unlink_path[0])
		unlink(h->unlink_path);
}
