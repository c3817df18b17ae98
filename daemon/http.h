/* http: the daemon's HTTP/1.1 server (issue 24), libmicrohttpd on the
 * daemon's libuv loop: no thread of its own, one uv_poll on its epoll
 * descriptor and one uv_timer on its next timeout (configure.ac says why
 * this library).
 *
 * The server parses each request (line, headers, query string, an
 * application/x-www-form-urlencoded body) and hands it to one handler,
 * which answers it with http_respond, at once or later (the request is then
 * suspended: its connection waits, the loop does not). Limits, with the
 * answers they give: request line and headers within max_header bytes
 * (414/431), a body within max_body (413), max_connections at once (more
 * are closed at accept), and an idle timeout (the connection is closed). */
#ifndef HERALD_HTTP_H
#define HERALD_HTTP_H

#include <stddef.h>
#include <uv.h>

struct http;
struct http_req;

/* Called once per request, when it arrived in full. The handler must call
 * http_respond exactly once for it, now or later. */
typedef void (*http_handler)(void *ctx, struct http_req *req);

struct http_options {
	const char *listen;       /* http_listen's value (config_listen_parse) */
	unsigned max_connections; /* 0: 256 */
	unsigned timeout;         /* idle seconds; 0: 30 */
	size_t max_header;        /* request line and headers, bytes; 0: 16 KiB */
	size_t max_body;          /* bytes; 0: 1 MiB */
};

/* Listens and serves on loop. 0 and *out, or -1 with err (the address is
 * bad or taken). ctx is passed to handler. */
int http_start(uv_loop_t *loop, const struct http_options *o, http_handler handler, void *ctx,
	       struct http **out, char *err, size_t errlen);
/* Stops listening and closes every connection. A request the handler has
 * not answered must be answered first (the owner of the handler does it
 * before calling this). Handles close as the loop runs. Safe on NULL. */
void http_stop(struct http *h);
/* The address the server listens on, as "127.0.0.1:PORT" (the port the
 * system gave when the configuration said 0), or the socket path. */
const char *http_address(const struct http *h);

/* ---- One request (borrowed by the handler until it is answered) ---- */
const char *http_req_method(const struct http_req *r);
/* The path, percent-decoded by the library, without the query string. */
const char *http_req_path(const struct http_req *r);
/* A header's value (the first), or NULL. Names are case-insensitive. */
const char *http_req_header(const struct http_req *r, const char *name);
/* The first value of a parameter, from the body's form first, then the
 * query string; NULL when absent. */
const char *http_req_arg(const struct http_req *r, const char *name);
/* Every value of a parameter (i=1&i=2), the form's then the query's; up to
 * max of them in out; returns how many there are in all. */
size_t http_req_args(const struct http_req *r, const char *name, const char **out, size_t max);
/* The client's address ("127.0.0.1", "::1", "unix"). */
const char *http_req_addr(const struct http_req *r);
/* 1 when the body could not be parsed as a form (a malformed
 * urlencoded body). */
int http_req_bad_body(const struct http_req *r);

/* Answers r: status, Content-Type, the body (copied), and extra headers as
 * NULL-terminated name, value pairs (may be NULL). r is no longer the
 * handler's afterwards. */
void http_respond(struct http_req *r, unsigned status, const char *ctype, const char *body,
		  size_t len, const char *const *headers);
/* As http_respond, taking a malloc'd body (freed by the server). */
void http_respond_take(struct http_req *r, unsigned status, const char *ctype, char *body,
		       size_t len, const char *const *headers);
/* Called if the connection goes before the handler answered r (the daemon
 * stops): the handler then forgets r. */
void http_req_on_abort(struct http_req *r, void (*cb)(void *arg), void *arg);

#endif
