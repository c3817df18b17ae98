#include "autoconfig.h"

#include "control.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "buf.h"
#include "log.h"
#include "proto.h"
#include "url.h"

#define CONTROL_DEFAULT_QUEUE   (8u << 20)
#define CONTROL_DEFAULT_CLIENTS 256
#define CONTROL_DEFAULT_IDLE_MS 60000
#define CONTROL_DEFAULT_BUDGET  (64u << 20)
/* A full server makes room for a newcomer by closing the connection idle
 * the longest, if it has been idle at least this long. */
#define CONTROL_EVICT_IDLE_MS 1000
/* A client whose output made no progress for this long is stalled: the
 * first to go when the buffers of all clients pass their budget. */
#define CONTROL_STALLED_MS 1000
/* Output is handed to the kernel as it grows past this, so a long response
 * only counts against the cap for what the client has not read yet. */
#define CONTROL_FLUSH_AT (64u << 10)

struct control {
	uv_loop_t *loop;
	uv_pipe_t server;
	const struct control_command *cmds;
	size_t ncmds;
	void *ctx;
	char *unlink_path; /* the socket file we made, removed at stop */
	int activated;
	int has_group;
	gid_t gid;
	size_t max_queue;
	unsigned max_clients;
	uint64_t idle_ms;
	size_t budget;   /* all clients' buffered input and output */
	size_t buffered; /* the sum of every connection's accounted */
	uv_timer_t idle_timer;
	int timer_closed;
	unsigned nconns;   /* open handles */
	unsigned nclosing; /* of which closing */
	struct control_conn *conns;
	int stopping;
	int server_closed;
	int held;          /* control_hold */
	unsigned nwaiting; /* connections with a request held back */
};

struct control_conn {
	struct control *ctl;
	struct control_conn *prev, *next;
	uv_pipe_t pipe;
	struct ucred cred;
	unsigned closing : 1; /* uv_close called: no more I/O */
	unsigned closed : 1;  /* its close callback ran */
	unsigned pending : 1; /* a handler has not finished */
	unsigned processing : 1;
	unsigned reading : 1;
	unsigned eof : 1;
	unsigned skipping : 1; /* dropping the rest of an overlong line */
	unsigned in_record : 1;
	size_t payload_need; /* bytes of payload still to come */
	int payload_discard; /* the payload is skipped, not dispatched */
	const struct control_command *payload_cmd;
	const struct control_command *held_cmd; /* dispatched when the hold ends */
	struct buf payload;
	struct buf out;  /* not yet handed to libuv */
	size_t inflight; /* bytes in uv_write requests */
	size_t accounted;       /* out + inflight + payload reserve, counted in ctl->buffered */
	size_t payload_reserve; /* bytes of budget held for the payload coming */
	uint64_t active;        /* uv_now of the last read or write progress */
	uint64_t out_progress;  /* uv_now of the last write progress, or of the
				 * moment output started waiting */
	size_t inlen;
	struct proto_words words;
	struct control_args args;     /* words parsed against the command's entry */
	char in[HERALD_MAX_LINE + 2]; /* a full line, CR and LF */
};

struct write_req {
	uv_write_t req;
	struct control_conn *conn;
	size_t len;
	char *data;
};

static void conn_process(struct control_conn *conn);

/* ---- the budget of buffered bytes across clients ---- */

/* Brings conn's share of ctl->buffered up to date: its queued and in-flight
 * output and the payload it may still send. Called after each change. */
static void
conn_account(struct control_conn *conn)
{
	struct control *c = conn->ctl;
	size_t now = conn->out.len + conn->inflight +
		     (conn->payload_reserve > conn->payload.len ? conn->payload_reserve
								: conn->payload.len);

	/* A closing connection's memory goes within this loop iteration (its
	 * writes are cancelled by the close): it no longer counts. */
	if (conn->closing)
		now = 0;
	c->buffered = c->buffered - conn->accounted + now;
	conn->accounted = now;
}

/* ---- teardown: one close path for every handle ---- */

static void
ctl_maybe_free(struct control *c)
{
	if (!c->stopping || !c->server_closed || !c->timer_closed || c->conns)
		return;
	free(c->unlink_path);
	free(c);
}

static void
conn_maybe_free(struct control_conn *conn)
{
	struct control *c = conn->ctl;

	if (!conn->closed || conn->pending || conn->processing)
		return;
	if (conn->prev)
		conn->prev->next = conn->next;
	else
		c->conns = conn->next;
	if (conn->next)
		conn->next->prev = conn->prev;
	buf_free(&conn->out);
	buf_free(&conn->payload);
	conn->payload_reserve = 0;
	conn_account(conn);
	free(conn);
	ctl_maybe_free(c);
}

static void
on_conn_close(uv_handle_t *h)
{
	struct control_conn *conn = h->data;

	conn->closed = 1;
	conn->ctl->nconns--;
	conn->ctl->nclosing--;
	conn_maybe_free(conn);
}

static void
conn_close(struct control_conn *conn)
{
	if (conn->closing)
		return;
	conn->closing = 1;
	conn->ctl->nclosing++;
	buf_free(&conn->out);
	conn_account(conn);
	uv_close((uv_handle_t *)&conn->pipe, on_conn_close);
}

/* ---- output ---- */

static void
on_write(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct control_conn *conn = w->conn;

	conn->inflight -= w->len;
	conn->active = conn->out_progress = uv_now(conn->ctl->loop);
	free(w->data);
	free(w);
	conn_account(conn);
	if (status < 0) {
		if (status != UV_ECANCELED)
			log_debug("control: client pid %d: write: %s", (int)conn->cred.pid,
				  uv_strerror(status));
		conn_close(conn);
		return;
	}
	conn_process(conn);
}

/* Hands queued output to the kernel: directly when it takes it, else as
 * one uv_write at a time so that order is kept. */
static void
conn_flush(struct control_conn *conn)
{
	struct write_req *w;
	uv_buf_t b;
	int n;

	if (conn->closing || conn->inflight || conn->out.len == 0)
		return;
	b = uv_buf_init(conn->out.data, (unsigned)conn->out.len);
	n = uv_try_write((uv_stream_t *)&conn->pipe, &b, 1);
	if (n == UV_EAGAIN || n == UV_ENOSYS)
		n = 0;
	if (n < 0) {
		log_debug("control: client pid %d: write: %s", (int)conn->cred.pid, uv_strerror(n));
		conn_close(conn);
		return;
	}
	if (n > 0)
		conn->active = conn->out_progress = uv_now(conn->ctl->loop);
	if ((size_t)n == conn->out.len) {
		buf_reset(&conn->out);
		conn_account(conn);
		return;
	}
	memmove(conn->out.data, conn->out.data + n, conn->out.len - (size_t)n);
	conn->out.len -= (size_t)n;
	w = calloc(1, sizeof *w);
	if (w == NULL)
		goto fail;
	w->conn = conn;
	w->len = conn->out.len;
	w->data = buf_detach(&conn->out);
	if (w->data == NULL) {
		free(w);
		goto fail;
	}
	b = uv_buf_init(w->data, (unsigned)w->len);
	n = uv_write(&w->req, (uv_stream_t *)&conn->pipe, &b, 1, on_write);
	if (n < 0) {
		free(w->data);
		free(w);
		goto fail;
	}
	conn->inflight += w->len;
	/* It waits from now; a client that never reads keeps this stamp. */
	conn->out_progress = uv_now(conn->ctl->loop);
	conn_account(conn);
	return;
fail:
	log_err("control: client pid %d: cannot queue output", (int)conn->cred.pid);
	conn_close(conn);
}

/* When the clients together hold more than the budget: closes the
 * stalled connection (no output taken for CONTROL_STALLED_MS) with the most
 * output waiting. 0 when one went, -1 when none is stalled. */
static int
evict_stalled(struct control *c)
{
	struct control_conn *conn, *worst = NULL;
	uint64_t now = uv_now(c->loop);

	for (conn = c->conns; conn; conn = conn->next) {
		size_t held = conn->out.len + conn->inflight;

		if (conn->closing || held == 0 || now - conn->out_progress < CONTROL_STALLED_MS)
			continue;
		if (worst == NULL || held > worst->out.len + worst->inflight)
			worst = conn;
	}
	if (worst == NULL)
		return -1;
	log_warn("control: dropping client pid %d uid %u: %zu bytes unread for %llu ms while "
		 "the clients' buffers passed %zu bytes",
		 (int)worst->cred.pid, (unsigned)worst->cred.uid, worst->out.len + worst->inflight,
		 (unsigned long long)(now - worst->out_progress), c->budget);
	conn_close(worst);
	return 0;
}

/* After every append: a client that stopped reading is dropped once its
 * queue passes the cap, so it costs bounded memory and nothing else; and
 * all clients together stay within the budget: stalled clients go first,
 * else the one whose answer pushed the sum over. */
static int
conn_check_queue(struct control_conn *conn)
{
	struct control *c = conn->ctl;

	if (conn->out.len >= CONTROL_FLUSH_AT)
		conn_flush(conn);
	if (conn->closing)
		return -1;
	conn_account(conn);
	if (conn->out.len + conn->inflight > c->max_queue) {
		log_warn("control: dropping client pid %d uid %u: %zu bytes unread",
			 (int)conn->cred.pid, (unsigned)conn->cred.uid,
			 conn->out.len + conn->inflight);
		conn_close(conn);
		return -1;
	}
	while (c->buffered > c->budget && !conn->closing) {
		if (evict_stalled(c) == 0)
			continue;
		log_warn("control: dropping client pid %d uid %u: its answer (%zu bytes) took the "
			 "clients' buffers past %zu bytes",
			 (int)conn->cred.pid, (unsigned)conn->cred.uid,
			 conn->out.len + conn->inflight, c->budget);
		conn_close(conn);
	}
	return conn->closing ? -1 : 0;
}

int
control_conn_alive(const struct control_conn *conn)
{
	return !conn->closing;
}

int
control_conn_field_n(struct control_conn *conn, const char *key, const char *value, size_t n)
{
	if (conn->closing || !conn->pending)
		return -1;
	if (proto_field(&conn->out, key, value, n) < 0) {
		log_err("control: cannot add field '%s'", key);
		return -1;
	}
	conn->in_record = 1;
	return conn_check_queue(conn);
}

int
control_conn_field(struct control_conn *conn, const char *key, const char *value)
{
	return control_conn_field_n(conn, key, value ? value : "", value ? strlen(value) : 0);
}

int
control_conn_fieldf(struct control_conn *conn, const char *key, const char *fmt, ...)
{
	struct buf b = {0};
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (rc == 0)
		rc = control_conn_field_n(conn, key, buf_str(&b), b.len);
	buf_free(&b);
	return rc;
}

int
control_conn_field_int(struct control_conn *conn, const char *key, int64_t v)
{
	char tmp[32];

	snprintf(tmp, sizeof tmp, "%lld", (long long)v);
	return control_conn_field(conn, key, tmp);
}

int
control_conn_field_tuple(struct control_conn *conn, const char *key, const char *const *values,
			 size_t n)
{
	struct buf b = {0};
	size_t i;
	int rc = -1;

	if (conn->closing || !conn->pending)
		return -1;
	if (!proto_valid_key(key) || buf_printf(&b, "%s: ", key) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		const char *v = values[i] ? values[i] : "";

		if ((i && buf_putc(&b, '\t') < 0) || proto_escape(&b, v, strlen(v)) < 0)
			goto out;
	}
	if (buf_putc(&b, '\n') < 0 || buf_append(&conn->out, b.data, b.len) < 0)
		goto out;
	conn->in_record = 1;
	rc = conn_check_queue(conn);
out:
	buf_free(&b);
	return rc;
}

int
control_conn_end_record(struct control_conn *conn)
{
	if (conn->closing || !conn->pending)
		return -1;
	if (!conn->in_record)
		return 0;
	conn->in_record = 0;
	if (buf_putc(&conn->out, '\n') < 0)
		return -1;
	return conn_check_queue(conn);
}

static void
conn_finish(struct control_conn *conn)
{
	conn->pending = 0;
	conn->in_record = 0;
	buf_free(&conn->payload);
	conn->payload_reserve = 0;
	conn->active = uv_now(conn->ctl->loop);
	conn_account(conn);
	if (conn->processing)
		return; /* the dispatch loop goes on with the next request */
	conn_process(conn);
}

void
control_conn_ok(struct control_conn *conn)
{
	if (!conn->pending) {
		log_err("control: request finished twice");
		return;
	}
	if (!conn->closing) {
		control_conn_end_record(conn);
		if (buf_puts(&conn->out, HERALD_OK "\n") < 0)
			conn_close(conn);
		else
			conn_check_queue(conn);
	}
	conn_finish(conn);
}

static void
conn_verr(struct control_conn *conn, const char *code, const char *fmt, va_list ap)
{
	char msg[512], *clean;

	vsnprintf(msg, sizeof msg, fmt, ap);
	/* An error may quote a feed's URL, and its password (issue #28). */
	clean = strchr(msg, '@') ? url_redact(msg) : NULL;
	if (clean) {
		snprintf(msg, sizeof msg, "%s", clean);
		free(clean);
	}
	if (!conn->closing) {
		control_conn_end_record(conn);
		if (proto_err_line(&conn->out, code, msg) < 0)
			conn_close(conn);
		else
			conn_check_queue(conn);
	}
}

void
control_conn_err(struct control_conn *conn, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (!conn->pending) {
		log_err("control: request finished twice");
		return;
	}
	va_start(ap, fmt);
	conn_verr(conn, code, fmt, ap);
	va_end(ap);
	conn_finish(conn);
}

/* An error for a request that never reached a handler. */
static void conn_reply_err(struct control_conn *conn, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
conn_reply_err(struct control_conn *conn, const char *code, const char *fmt, ...)
{
	va_list ap;

	conn->pending = 1;
	va_start(ap, fmt);
	conn_verr(conn, code, fmt, ap);
	va_end(ap);
	conn->pending = 0;
}

const char *
control_conn_payload(const struct control_conn *conn, size_t *len)
{
	*len = conn->payload.len;
	return conn->payload.len ? conn->payload.data : NULL;
}

uid_t
control_conn_uid(const struct control_conn *conn)
{
	return conn->cred.uid;
}

pid_t
control_conn_pid(const struct control_conn *conn)
{
	return conn->cred.pid;
}

int
control_activated(const struct control *c)
{
	return c->activated;
}

unsigned
control_clients(const struct control *c)
{
	return c->nconns;
}

/* ---- requests ---- */

static void
builtin_help(struct control_conn *conn)
{
	const struct control *c = conn->ctl;

	for (size_t i = 0; i < c->ncmds; i++) {
		control_conn_field(conn, "command", c->cmds[i].name);
		control_conn_field(conn, "usage",
				   c->cmds[i].usage ? c->cmds[i].usage : c->cmds[i].name);
		control_conn_end_record(conn);
	}
	control_conn_ok(conn);
}

static const struct control_command *
find_command(const struct control *c, const char *name)
{
	for (size_t i = 0; i < c->ncmds; i++)
		if (strcmp(c->cmds[i].name, name) == 0)
			return &c->cmds[i];
	return NULL;
}

/* Fills opts (capacity max) from a template ("all feed= limit="); the
 * names point into names (a copy of the template). Returns the count, or
 * -1 when the template is too long (a bug in the table). */
static int
template_opts(const char *template, char *names, size_t nameslen, struct proto_opt *opts, int max)
{
	int n = 0;
	char *p, *save = NULL;

	if (template == NULL)
		return 0;
	if (strlen(template) >= nameslen)
		return -1;
	strcpy(names, template);
	for (p = strtok_r(names, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
		size_t len = strlen(p);

		if (n == max)
			return -1;
		opts[n].has_arg = len > 1 && p[len - 1] == '=';
		if (opts[n].has_arg)
			p[len - 1] = '\0';
		opts[n].name = p;
		opts[n].seen = 0;
		opts[n].value = NULL;
		n++;
	}
	return n;
}

/* Parses the words against cmd's entry into conn->args: 0, or -1 with the
 * reason in err. */
static int
args_parse(struct control_conn *conn, const struct control_command *cmd, char *err, size_t errlen)
{
	struct control_args *a = &conn->args;
	struct proto_opt opts[CONTROL_MAX_OPTS];
	char names[512];
	int n = template_opts(cmd->options, names, sizeof names, opts, CONTROL_MAX_OPTS);

	memset(a, 0, sizeof *a);
	a->argc = conn->words.argc;
	a->argv = conn->words.argv;
	a->cmd = cmd;
	if (n < 0) {
		snprintf(err, errlen, "%s: bad option template", cmd->name);
		return -1;
	}
	if (proto_getopt(a->argc, a->argv, opts, (size_t)n, a->pos, HERALD_MAX_ARGS, &a->npos, err,
			 errlen) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		a->opt[i] = !opts[i].seen ? NULL : opts[i].has_arg ? opts[i].value : "";
	if (a->npos < cmd->min_args || (cmd->max_args >= 0 && a->npos > cmd->max_args)) {
		snprintf(err, errlen, "%s",
			 a->npos < cmd->min_args ? "too few arguments" : "too many arguments");
		return -1;
	}
	return 0;
}

const char *
control_args_get(const struct control_args *a, const char *name)
{
	const char *t = a->cmd ? a->cmd->options : NULL;
	size_t len = strlen(name);

	/* The template's i-th option is opt[i]. */
	for (int i = 0; t && *t && i < CONTROL_MAX_OPTS; i++) {
		size_t n = strcspn(t, " =");

		if (n == len && memcmp(t, name, n) == 0)
			return a->opt[i];
		t += strcspn(t, " ");
		t += strspn(t, " ");
	}
	return NULL;
}

static void
conn_call(struct control_conn *conn, const struct control_command *cmd)
{
	int rc;

	conn->pending = 1;
	if (conn->ctl->held && !(cmd->flags & CONTROL_CMD_ALWAYS)) {
		/* pending stops the connection's dispatch; the words (and any
		 * payload) stay until control_hold(c, 0) calls the handler. */
		conn->held_cmd = cmd;
		conn->ctl->nwaiting++;
		return;
	}
	rc = cmd->handler(conn->ctl->ctx, conn, &conn->args);
	if (rc < 0 && conn->pending)
		control_conn_err(conn, HERALD_E_INTERNAL, "%s failed", cmd->name);
}

/* Dispatches the words of one request line; payload commands wait for
 * their bytes first. */
static void
conn_dispatch(struct control_conn *conn)
{
	struct proto_words *w = &conn->words;
	const struct control_command *cmd;
	uint64_t len;
	int nargs = w->argc - 1;
	char why[128];

	if (strcmp(w->argv[0], HERALD_CMD_HELP) == 0) {
		conn->pending = 1;
		builtin_help(conn);
		return;
	}
	if (strcmp(w->argv[0], HERALD_CMD_QUIT) == 0) {
		/* Answered, then closed once the output is out. */
		if (buf_puts(&conn->out, HERALD_OK "\n") < 0) {
			conn_close(conn);
			return;
		}
		conn->eof = 1;
		conn->inlen = 0;
		conn->payload_need = 0;
		return;
	}
	cmd = find_command(conn->ctl, w->argv[0]);
	if (cmd == NULL) {
		conn_reply_err(conn, HERALD_E_UNKNOWN, "unknown command '%.64s' (try: help)",
			       w->argv[0]);
		return;
	}
	if (cmd->flags & CONTROL_CMD_PAYLOAD) {
		if (nargs < 1 || proto_parse_uint(w->argv[w->argc - 1], UINT64_MAX, &len) < 0) {
			conn_reply_err(conn, HERALD_E_BADARG,
				       "%s: the last word must be the byte count", cmd->name);
			return;
		}
		w->argv[--w->argc] = NULL;
		conn->payload_need = len;
		conn->payload_discard = 0;
		if (len > HERALD_MAX_PAYLOAD) {
			conn->payload_discard = 1;
			conn_reply_err(conn, HERALD_E_TOOLONG, "payload over %u bytes",
				       HERALD_MAX_PAYLOAD);
			return;
		}
		conn->payload.limit = HERALD_MAX_PAYLOAD;
	}
	if (args_parse(conn, cmd, why, sizeof why) < 0) {
		if (conn->payload_need)
			conn->payload_discard = 1;
		conn_reply_err(conn, HERALD_E_USAGE, "%s; usage: %s", why,
			       cmd->usage ? cmd->usage : cmd->name);
		return;
	}
	if (conn->payload_need && conn->ctl->buffered + conn->payload_need > conn->ctl->budget) {
		/* Room for the payload is taken before its first byte: a
		 * hundred clients that announce 8 MiB cannot hold 800 MB. */
		conn->payload_discard = 1;
		conn_reply_err(conn, HERALD_E_BUSY,
			       "the daemon holds too much client data to take %llu more bytes; "
			       "try again later",
			       (unsigned long long)conn->payload_need);
		return;
	}
	if (conn->payload_need == 0) {
		conn_call(conn, cmd);
	} else {
		conn->payload_cmd = cmd;
		conn->payload_reserve = conn->payload_need;
		conn_account(conn);
	}
}

static void
conn_consume(struct control_conn *conn, size_t n)
{
	memmove(conn->in, conn->in + n, conn->inlen - n);
	conn->inlen -= n;
}

/* Moves buffered input into the payload. 1 when it is complete. */
static int
conn_take_payload(struct control_conn *conn)
{
	size_t take = conn->inlen < conn->payload_need ? conn->inlen : conn->payload_need;

	if (!conn->payload_discard && buf_append(&conn->payload, conn->in, take) < 0) {
		log_err("control: out of memory for a payload");
		conn_close(conn);
		return 0;
	}
	conn_consume(conn, take);
	conn->payload_need -= take;
	return conn->payload_need == 0;
}

/* Splits the line at the head of the input, consumes it (the words are
 * copied), then answers or dispatches it. */
static void
conn_line(struct control_conn *conn, size_t len, size_t consumed)
{
	const char *code;
	char err[160];
	int rc;

	rc = proto_split(conn->in, len, &conn->words, &code, err, sizeof err);
	conn_consume(conn, consumed);
	if (rc < 0)
		conn_reply_err(conn, code, "%s", err);
	else if (conn->words.argc > 0)
		conn_dispatch(conn);
}

/* One step of the dispatch loop: 1 to go on, 0 when more input is needed. */
static int
conn_step(struct control_conn *conn)
{
	char *nl;
	size_t len;

	if (conn->payload_need) {
		if (!conn_take_payload(conn))
			return 0;
		if (conn->payload_discard) {
			buf_free(&conn->payload);
			conn->payload_reserve = 0;
			conn_account(conn);
		} else
			conn_call(conn, conn->payload_cmd);
		return 1;
	}
	nl = memchr(conn->in, '\n', conn->inlen);
	if (nl == NULL) {
		if (conn->inlen == sizeof conn->in) {
			if (!conn->skipping)
				conn_reply_err(conn, HERALD_E_TOOLONG,
					       "request longer than %d bytes", HERALD_MAX_LINE);
			conn->skipping = 1;
			conn->inlen = 0;
			return 1;
		}
		if (!conn->eof || conn->inlen == 0)
			return 0;
		/* The last request may lack its newline. */
		len = conn->inlen;
	} else {
		len = (size_t)(nl - conn->in);
	}
	if (conn->skipping) {
		conn->skipping = 0;
		conn_consume(conn, nl ? len + 1 : len);
	} else {
		conn_line(conn, len, nl ? len + 1 : len);
	}
	return 1;
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct control_conn *conn = h->data;

	*b = uv_buf_init(conn->in + conn->inlen, (unsigned)(sizeof conn->in - conn->inlen));
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct control_conn *conn = s->data;

	if (nread == UV_EOF) {
		conn->eof = 1;
	} else if (nread < 0) {
		log_debug("control: client pid %d: read: %s", (int)conn->cred.pid,
			  uv_strerror((int)nread));
		conn_close(conn);
		return;
	}
	conn->inlen += nread > 0 ? (size_t)nread : 0;
	if (nread > 0)
		conn->active = uv_now(conn->ctl->loop);
	conn_process(conn);
}

/* Runs the connection's queued requests, then decides whether to read on,
 * pause (a handler is busy or the buffer is full) or close (EOF and all
 * answered). Every path that changes a connection's state ends here. */
static void
conn_process(struct control_conn *conn)
{
	if (conn->processing)
		return;
	conn->processing = 1;
	/* The next pipelined request waits until the kernel took the previous
	 * answer: a client that stops reading stops costing work, and one
	 * client's backlog cannot hold the loop (on_write resumes here). */
	while (!conn->closing && !conn->pending && !conn->inflight && conn_step(conn))
		conn_flush(conn);
	conn_flush(conn);
	conn->processing = 0;
	if (!conn->closing) {
		int want = !conn->eof && !conn->pending && conn->inlen < sizeof conn->in;

		if (want && !conn->reading) {
			if (uv_read_start((uv_stream_t *)&conn->pipe, on_alloc, on_read) == 0)
				conn->reading = 1;
		} else if (!want && conn->reading) {
			uv_read_stop((uv_stream_t *)&conn->pipe);
			conn->reading = 0;
		}
		if (conn->eof && !conn->pending && conn->out.len == 0 && conn->inflight == 0)
			conn_close(conn);
	}
	conn_maybe_free(conn);
}

/* ---- accepting ---- */

static int
uid_in_group(uid_t uid, gid_t gid)
{
	struct passwd pw, *res = NULL;
	gid_t groups[256];
	int n = (int)(sizeof groups / sizeof *groups);
	char tmp[4096];

	if (getpwuid_r(uid, &pw, tmp, sizeof tmp, &res) != 0 || res == NULL)
		return 0;
	if (pw.pw_gid == gid)
		return 1;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		return 0;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

static int
peer_allowed(const struct control *c, const struct ucred *cr)
{
	if (cr->uid == geteuid() || cr->uid == 0)
		return 1;
	return c->has_group && (cr->gid == c->gid || uid_in_group(cr->uid, c->gid));
}

/* Refusals are one best-effort line: the peer is not worth a queue. */
static void
conn_refuse(struct control_conn *conn, const char *line)
{
	uv_buf_t b = uv_buf_init((char *)line, (unsigned)strlen(line));

	(void)uv_try_write((uv_stream_t *)&conn->pipe, &b, 1);
	conn_close(conn);
}

/* A full server makes room: the connection idle the longest (nothing
 * asked, nothing owed) goes if it has been idle CONTROL_EVICT_IDLE_MS.
 * 0 when one went. */
static int
evict_idle(struct control *c, const struct control_conn *newcomer)
{
	struct control_conn *conn, *oldest = NULL;
	uint64_t now = uv_now(c->loop);

	for (conn = c->conns; conn; conn = conn->next) {
		if (conn == newcomer || conn->closing || conn->pending || conn->inlen ||
		    conn->out.len || conn->inflight)
			continue;
		/* The list is newest first: on a tie the later one is older. */
		if (oldest == NULL || conn->active <= oldest->active)
			oldest = conn;
	}
	if (oldest == NULL || now - oldest->active < CONTROL_EVICT_IDLE_MS)
		return -1;
	log_info("control: %u clients: closing pid %d, idle for %llu ms, for pid %d",
		 c->max_clients, (int)oldest->cred.pid, (unsigned long long)(now - oldest->active),
		 (int)newcomer->cred.pid);
	conn_close(oldest);
	return 0;
}

/* Closes the connections idle past the timeout: nothing read from them
 * and none of their output taken for idle_ms. A request a handler is
 * still working on (or that waits for a hold) keeps its connection, unless
 * its answer stopped moving. */
static void
on_idle_timer(uv_timer_t *t)
{
	struct control *c = t->data;
	struct control_conn *conn, *next;
	uint64_t now = uv_now(c->loop);

	for (conn = c->conns; conn; conn = next) {
		next = conn->next;
		if (conn->closing || (conn->pending && !conn->inflight))
			continue;
		if (now - conn->active < c->idle_ms)
			continue;
		log_info("control: closing client pid %d uid %u: idle for %llu ms",
			 (int)conn->cred.pid, (unsigned)conn->cred.uid,
			 (unsigned long long)(now - conn->active));
		conn_close(conn);
	}
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct control *c = server->data;
	struct control_conn *conn;
	socklen_t len = sizeof conn->cred;
	uv_os_fd_t fd;
	char greet[32];

	/* A connection that arrives as the server closes is no error. */
	if (c->stopping)
		return;
	if (status < 0) {
		log_warn("control: accept: %s", uv_strerror(status));
		return;
	}
	conn = calloc(1, sizeof *conn);
	if (conn == NULL || uv_pipe_init(c->loop, &conn->pipe, 0) < 0) {
		log_err("control: out of memory for a client");
		free(conn);
		return;
	}
	conn->ctl = c;
	conn->pipe.data = conn;
	conn->active = conn->out_progress = uv_now(c->loop);
	conn->next = c->conns;
	if (c->conns)
		c->conns->prev = conn;
	c->conns = conn;
	c->nconns++;
	if (uv_accept(server, (uv_stream_t *)&conn->pipe) < 0 ||
	    uv_fileno((uv_handle_t *)&conn->pipe, &fd) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &conn->cred, &len) < 0) {
		log_warn("control: cannot accept a client or read its credentials");
		conn_close(conn);
		return;
	}
	if (!peer_allowed(c, &conn->cred)) {
		log_warn("control: refused client pid %d uid %u gid %u", (int)conn->cred.pid,
			 (unsigned)conn->cred.uid, (unsigned)conn->cred.gid);
		conn_refuse(conn, HERALD_ERR " " HERALD_E_DENIED " permission denied\n");
		return;
	}
	if (c->nconns - c->nclosing > c->max_clients && evict_idle(c, conn) < 0) {
		log_warn("control: %u clients: refusing pid %d", c->max_clients,
			 (int)conn->cred.pid);
		conn_refuse(conn, HERALD_ERR " " HERALD_E_BUSY " too many clients\n");
		return;
	}
	log_debug("control: client pid %d uid %u", (int)conn->cred.pid, (unsigned)conn->cred.uid);
	snprintf(greet, sizeof greet, "%s %d\n", HERALD_GREETING, HERALD_PROTOCOL_VERSION);
	if (buf_puts(&conn->out, greet) < 0) {
		conn_close(conn);
		return;
	}
	conn_process(conn);
}

/* ---- the listening socket ---- */

/* mkdir -p for the socket's directory; what we create is 0700. */
static int
make_parent(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	char *slash;
	size_t n;

	slash = strrchr(path, '/');
	if (slash == NULL || slash == path)
		return 0;
	n = (size_t)(slash - path);
	if (n >= sizeof dir) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char save = *p;

		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create directory %s: %s", dir,
				 strerror(errno));
			return -1;
		}
		*p = save;
		if (save == '\0')
			break;
	}
	return 0;
}

/* A socket file left by a crashed daemon is removed; one with a live
 * listener means another heraldd owns the path. */
static int
clear_stale(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, rc, saved;

	if (lstat(path, &st) < 0)
		return errno == ENOENT
			       ? 0
			       : (snprintf(err, errlen, "%s: %s", path, strerror(errno)), -1);
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket: not replacing it", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	saved = errno;
	close(fd);
	if (rc == 0) {
		snprintf(err, errlen, "another heraldd is already listening on %s", path);
		return -1;
	}
	if (saved != ECONNREFUSED) {
		snprintf(err, errlen, "cannot check %s: %s", path, strerror(saved));
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove stale socket %s: %s", path, strerror(errno));
		return -1;
	}
	log_info("control: removed stale socket %s", path);
	return 0;
}

/* The fd systemd passed (LISTEN_FDS), or -1. The variables are consumed
 * so that children never see them. */
static int
activation_fd(char *err, size_t errlen)
{
#ifdef HAVE_SYSTEMD
	int n = sd_listen_fds(1);

	if (n <= 0)
		return n < 0 ? (snprintf(err, errlen, "sd_listen_fds: %s", strerror(-n)), -2) : -1;
	if (n > 1)
		log_warn("control: %d sockets passed, using the first", n);
	if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) <= 0) {
		snprintf(err, errlen,
			 "the socket passed by systemd is not a listening Unix stream socket");
		return -2;
	}
	return SD_LISTEN_FDS_START;
#else
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int ok =
		pid && fds && strtol(pid, NULL, 10) == (long)getpid() && strtol(fds, NULL, 10) >= 1;

	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	(void)err, (void)errlen;
	return ok ? 3 : -1;
#endif
}

static int
bind_path(struct control *c, const char *path, const char *group, char *err, size_t errlen)
{
	mode_t old;
	int rc;

	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errlen, "socket path too long (max %zu bytes): %s",
			 sizeof(((struct sockaddr_un *)0)->sun_path) - 1, path);
		return -1;
	}
	if (make_parent(path, err, errlen) < 0 || clear_stale(path, err, errlen) < 0)
		return -1;
	/* The umask makes the socket private from its first moment, before
	 * the chmod below widens it for a group. */
	old = umask(0177);
	rc = uv_pipe_bind(&c->server, path);
	umask(old);
	if (rc < 0) {
		snprintf(err, errlen, "cannot bind %s: %s", path, uv_strerror(rc));
		return -1;
	}
	c->unlink_path = strdup(path);
	if (c->unlink_path == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (group && (chown(path, (uid_t)-1, c->gid) < 0 || chmod(path, 0660) < 0)) {
		snprintf(err, errlen, "cannot give %s to group %s: %s", path, group,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int
lookup_group(struct control *c, const char *group, char *err, size_t errlen)
{
	struct group gr, *res = NULL;
	char tmp[8192];
	int rc = getgrnam_r(group, &gr, tmp, sizeof tmp, &res);

	if (rc != 0 || res == NULL) {
		snprintf(err, errlen, "socket_group '%s': %s", group,
			 rc ? strerror(rc) : "no such group");
		return -1;
	}
	c->gid = gr.gr_gid;
	c->has_group = 1;
	return 0;
}

static void
on_timer_close(uv_handle_t *h)
{
	struct control *c = h->data;

	c->timer_closed = 1;
	ctl_maybe_free(c);
}

static void
on_server_close(uv_handle_t *h)
{
	struct control *c = h->data;

	c->server_closed = 1;
	ctl_maybe_free(c);
}

int
control_start(uv_loop_t *loop, const struct control_options *opt,
	      const struct control_command *cmds, size_t ncmds, void *ctx, struct control **out,
	      char *err, size_t errlen)
{
	struct control *c;
	int fd = -1, rc;

	*out = NULL;
	signal(SIGPIPE, SIG_IGN);
	c = calloc(1, sizeof *c);
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->loop = loop;
	c->cmds = cmds;
	c->ncmds = ncmds;
	c->ctx = ctx;
	c->max_queue = opt->max_queue ? opt->max_queue : CONTROL_DEFAULT_QUEUE;
	c->max_clients = opt->max_clients ? opt->max_clients : CONTROL_DEFAULT_CLIENTS;
	c->idle_ms = opt->idle_ms ? opt->idle_ms : CONTROL_DEFAULT_IDLE_MS;
	c->budget = opt->max_buffered ? opt->max_buffered : CONTROL_DEFAULT_BUDGET;
	c->timer_closed = 1; /* until it is initialised */
	if (opt->group && lookup_group(c, opt->group, err, errlen) < 0) {
		free(c);
		return -1;
	}
	if (!opt->no_activation && (fd = activation_fd(err, errlen)) == -2) {
		free(c);
		return -1;
	}
	if (fd < 0 && (opt->path == NULL || opt->path[0] == '\0')) {
		snprintf(err, errlen, "no socket path");
		free(c);
		return -1;
	}
	if ((rc = uv_pipe_init(loop, &c->server, 0)) < 0) {
		snprintf(err, errlen, "uv_pipe_init: %s", uv_strerror(rc));
		free(c);
		return -1;
	}
	c->server.data = c;
	uv_timer_init(loop, &c->idle_timer); /* cannot fail */
	c->idle_timer.data = c;
	c->timer_closed = 0;
	{
		uint64_t every = c->idle_ms / 4;

		every = every < 50 ? 50 : every > 1000 ? 1000 : every;
		uv_timer_start(&c->idle_timer, on_idle_timer, every, every);
		uv_unref((uv_handle_t *)&c->idle_timer);
	}
	if (fd >= 0) {
		c->activated = 1;
		if ((rc = uv_pipe_open(&c->server, fd)) < 0) {
			snprintf(err, errlen, "socket from systemd: %s", uv_strerror(rc));
			goto fail;
		}
	} else if (bind_path(c, opt->path, opt->group, err, errlen) < 0) {
		goto fail;
	}
	if ((rc = uv_listen((uv_stream_t *)&c->server, 128, on_connection)) < 0) {
		snprintf(err, errlen, "listen on %s: %s",
			 c->activated ? "systemd's socket" : opt->path, uv_strerror(rc));
		goto fail;
	}
	*out = c;
	return 0;
fail:
	control_stop(c);
	return -1;
}

void
control_hold(struct control *c, int on)
{
	struct control_conn *conn, *next;

	if (c == NULL)
		return;
	c->held = on;
	if (on)
		return;
	/* A handler may close or free its connection, or (through the
	 * daemon) hold again: walk with care and stop when held again. */
	for (conn = c->conns; conn && c->nwaiting && !c->held; conn = next) {
		const struct control_command *cmd = conn->held_cmd;

		next = conn->next;
		if (cmd == NULL)
			continue;
		conn->held_cmd = NULL;
		c->nwaiting--;
		if (conn->closing) {
			conn->pending = 0;
			conn_maybe_free(conn);
			continue;
		}
		conn->processing = 1; /* keeps conn allocated inside the handler */
		conn_call(conn, cmd);
		conn->processing = 0;
		if (!conn->pending)
			conn_process(conn);
		else
			conn_maybe_free(conn);
	}
}

void
control_stop(struct control *c)
{
	struct control_conn *conn, *next;

	if (c == NULL || c->stopping)
		return;
	c->stopping = 1;
	for (conn = c->conns; conn; conn = next) {
		next = conn->next;
		if (conn->held_cmd) {
			/* Never to be answered: the request goes with the socket. */
			conn->held_cmd = NULL;
			conn->pending = 0;
			c->nwaiting--;
		}
		conn_close(conn);
	}
	if (c->unlink_path && unlink(c->unlink_path) < 0 && errno != ENOENT)
		log_warn("control: cannot remove %s: %s", c->unlink_path, strerror(errno));
	if (!c->timer_closed)
		uv_close((uv_handle_t *)&c->idle_timer, on_timer_close);
	uv_close((uv_handle_t *)&c->server, on_server_close);
}
