/* control: the daemon's command socket (docs/protocol.md).
 *
 * A uv_pipe_t server on a Unix socket path, or on the socket systemd passes
 * (LISTEN_FDS). Each connection is checked with SO_PEERCRED, greeted with
 * "HERALD <version>", and then sends request lines that control splits into
 * words (daemon/proto.h) and dispatches through the caller's command table.
 * Requests of one connection are answered strictly in order: the next one
 * is dispatched only after the handler of the current one finished it with
 * control_conn_ok() or control_conn_err(), which may happen later, from
 * another callback (asynchronous handlers). Output is queued per connection
 * up to a cap; a client whose queue passes the cap (it stopped reading) is
 * dropped, the loop never blocks on a client. All clients together hold at
 * most a budget of buffered bytes, idle connections are closed after a
 * timeout, and a full server makes room by closing the one idle longest
 * (issue #28: no client can exhaust the daemon).
 *
 * Built-in commands: "help" (one "command:" record per table entry, with
 * its usage) and "quit" (OK, then the daemon closes the connection).
 *
 * control_start ignores SIGPIPE for the process: a client that went away
 * must cost a failed write, not the daemon. */
#ifndef HERALD_CONTROL_H
#define HERALD_CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "herald/protocol.h"

struct control;      /* the server */
struct control_conn; /* one client connection */

/* A request's words, parsed once by control against its command's entry
 * before the handler runs. Every pointer is borrowed until the handler
 * returns; copy what an asynchronous handler keeps. */
#define CONTROL_MAX_OPTS 16
struct control_args {
	int argc;    /* the request's words: argv[0] is the command name, */
	char **argv; /* argv[argc] is NULL */
	/* Per option of the entry's template, in its order: NULL when not
	 * given, "" for a flag given, else its value (the last one given). */
	const char *opt[CONTROL_MAX_OPTS];
	int npos; /* the other words, in order */
	char *pos[HERALD_MAX_ARGS];
	const struct control_command *cmd;
};

/* The value of option name ("limit"), "" for a flag given, or NULL when
 * absent (or not in the command's template). */
const char *control_args_get(const struct control_args *a, const char *name);

/* The handler writes records with control_conn_field*() and must finish
 * the request exactly once with control_conn_ok() or control_conn_err(),
 * now or later. Returning -1 without having finished makes control answer
 * "ERR internal". */
typedef int (*control_handler)(void *ctx, struct control_conn *conn,
			       const struct control_args *args);

/* The request ends with a byte count and that many raw bytes follow the
 * line (import). The handler gets argv without the count and reads the
 * bytes with control_conn_payload(). */
#define CONTROL_CMD_PAYLOAD 0x1
/* Dispatched even while requests are held (control_hold): the command
 * touches nothing the holder protects. */
#define CONTROL_CMD_ALWAYS 0x2

/* One entry per command, tmux-style: its name, handler, argument template
 * and usage. options lists the options it takes, space-separated, each
 * written without dashes and followed by '=' when it takes a value
 * ("all feed= limit="); they may come anywhere among the other words, as
 * "--name", "--name VALUE" or "--name=VALUE", and "--" ends them. The other
 * words are counted against min_args and max_args (-1: no maximum). A
 * request that does not fit gets "ERR usage" without reaching the handler. */
struct control_command {
	const char *name;
	control_handler handler;
	const char *options; /* NULL: none */
	int min_args;
	int max_args;
	const char *usage; /* "show [--item] ID": shown by help and in ERR usage */
	unsigned flags;    /* CONTROL_CMD_* */
};

struct control_options {
	const char *path;     /* socket path; ignored when systemd passes a socket */
	const char *group;    /* socket_group: mode 0660 + chown, members allowed; or NULL */
	size_t max_queue;     /* per-connection output cap in bytes; 0: 8 MiB */
	unsigned max_clients; /* 0: 256; over it the connection idle the longest
			       * (1 s at least) is closed for the newcomer, or,
			       * when none is, the newcomer gets "ERR busy" */
	unsigned idle_ms;     /* 0: 60000; a connection with nothing read from it
			       * and none of its output taken for this long is
			       * closed (not while a handler works on its request) */
	size_t max_buffered;  /* 0: 64 MiB; all clients' queued output and announced
			       * payloads together. A payload that does not fit is
			       * refused ("ERR busy"); output past it costs the
			       * stalled clients their connection first */
	int no_activation;    /* 1: ignore LISTEN_FDS (tests) */
};

/* Starts listening on loop. cmds (ncmds entries) and ctx are borrowed and
 * must outlive the server. Creates the socket's directory (0700) when
 * missing, replaces a stale socket file, and fails when another process is
 * listening on the path ("another heraldd is already listening on ...") or
 * the path is something other than a socket. Returns 0 and *out, or -1
 * with a message in err. */
int control_start(uv_loop_t *loop, const struct control_options *opt,
		  const struct control_command *cmds, size_t ncmds, void *ctx, struct control **out,
		  char *err, size_t errlen);

/* Closes the server and every connection through one close path and
 * removes the socket file it created (not systemd's). Memory is released
 * by the close callbacks: run the loop afterwards (uv_run) to finish. A
 * connection whose handler has not finished stays allocated until it
 * does; its output is discarded. Safe on NULL. */
void control_stop(struct control *c);

/* Whether systemd handed the socket over (then control_stop leaves it). */
int control_activated(const struct control *c);
/* Holds requests (on = 1) or lets them go (on = 0). While held, a request
 * for a command without CONTROL_CMD_ALWAYS waits, unanswered and with its
 * connection's later requests behind it, until the hold ends; the ones that
 * waited are dispatched inside control_hold(c, 0). The daemon holds while
 * its store belongs to a worker thread. Safe on NULL. */
void control_hold(struct control *c, int on);

/* Connections currently open. */
unsigned control_clients(const struct control *c);

/* Record output. Each call appends one "key: value" line to the current
 * record (a record starts with its first field); control_conn_end_record()
 * ends it (the blank line). Keys are [a-z0-9_]+. These return 0, or -1
 * when the client is gone or passed its queue cap (or on a bad key): stop
 * producing then, and still finish the request. */
int control_conn_field(struct control_conn *conn, const char *key, const char *value);
int control_conn_field_n(struct control_conn *conn, const char *key, const char *value, size_t n);
int control_conn_fieldf(struct control_conn *conn, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int control_conn_field_int(struct control_conn *conn, const char *key, int64_t v);
/* A tuple value: the n values escaped, joined by literal TABs ("outlet"). */
int control_conn_field_tuple(struct control_conn *conn, const char *key, const char *const *values,
			     size_t n);
int control_conn_end_record(struct control_conn *conn);

/* Finish the current request: closes an open record, writes "OK" or
 * "ERR code message", and lets control dispatch the connection's next
 * request. Safe to call after the client disconnected (output dropped);
 * calling either twice for one request is a bug (ignored, logged). The
 * conn may be freed inside these calls: do not touch it afterwards (an
 * asynchronous handler drops its pointer here). */
void control_conn_ok(struct control_conn *conn);
void control_conn_err(struct control_conn *conn, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The payload of a CONTROL_CMD_PAYLOAD request (borrowed until the
 * handler returns), or NULL with *len 0. */
const char *control_conn_payload(const struct control_conn *conn, size_t *len);
/* 1 while the client is connected and under its cap. */
int control_conn_alive(const struct control_conn *conn);
/* The peer's credentials from SO_PEERCRED. */
uid_t control_conn_uid(const struct control_conn *conn);
pid_t control_conn_pid(const struct control_conn *conn);

#endif
