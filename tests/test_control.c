/* control: a real server on a temporary socket, driven by raw clients.
 *
 * The server runs its uv loop in a thread; clients are plain blocking
 * sockets in the test thread (or forked children for another uid). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "control.h"

#define QUEUE_CAP (256u << 10)

struct server {
	uv_loop_t loop;
	uv_timer_t release;
	char events[256]; /* what ran, in order (hold test) */
	uv_async_t stop;
	struct control *ctl;
	pthread_t thread;
	char dir[64];
	char path[128];
};

/* ---- the test command table ---- */

static void
event(struct server *srv, const char *what)
{
	size_t n = strlen(srv->events);

	snprintf(srv->events + n, sizeof srv->events - n, "%s;", what);
}

static int
cmd_echo(void *ctx, struct control_conn *conn, const struct control_args *a)
{
	event(ctx, a->argc > 1 ? a->argv[1] : "echo");
	for (int i = 1; i < a->argc; i++)
		control_conn_field(conn, "arg", a->argv[i]);
	control_conn_ok(conn);
	return 0;
}

static int
cmd_count(void *ctx, struct control_conn *conn, const struct control_args *a)
{
	long n = strtol(a->argv[1], NULL, 10);

	for (long i = 0; i < n; i++) {
		if (control_conn_field_int(conn, "n", i) < 0 ||
		    control_conn_field(conn, "pad", "0123456789abcdef0123456789abcdef") < 0 ||
		    control_conn_end_record(conn) < 0)
			break; /* the client is gone: stop producing */
	}
	control_conn_ok(conn);
	return 0;
}

struct slow {
	uv_timer_t timer;
	struct control_conn *conn;
	uint64_t ms;
};

static void
slow_free(uv_handle_t *h)
{
	free(h->data);
}

static void
slow_done(uv_timer_t *t)
{
	struct slow *s = t->data;

	control_conn_field_int(s->conn, "slept", (int64_t)s->ms);
	control_conn_ok(s->conn);
	uv_close((uv_handle_t *)t, slow_free);
}

static int
cmd_slow(void *ctx, struct control_conn *conn, const struct control_args *a)
{
	struct server *srv = ctx;
	struct slow *s = calloc(1, sizeof *s);

	if (s == NULL)
		return -1;
	s->conn = conn;
	s->ms = strtoull(a->argv[1], NULL, 10);
	uv_timer_init(&srv->loop, &s->timer);
	s->timer.data = s;
	uv_timer_start(&s->timer, slow_done, s->ms, 0);
	return 0;
}

static int
cmd_fail(void *ctx, struct control_conn *conn, const struct control_args *a)
{
	return -1;
}

static int
cmd_missing(void *ctx, struct control_conn *conn, const struct control_args *a)
{
	control_conn_field(conn, "partial", "record");
	control_conn_err(conn, HERALD_E_NOTFOUND, "no story %s", a->argv[1]);
	return 0;
}

static int
cmd_clients(void *ctx, struct control_conn *conn, const struct control_args *a)
{
	struct server *srv = ctx;

	control_conn_field_int(conn, "clients", control_clients(srv->ctl));
	control_conn_ok(conn);
	return 0;
}

static int
cmd_upload(void *ctx, struct control_conn *conn, const struct control_args *a)
{
	size_t len;
	const char *p = control_conn_payload(conn, &len);
	const char *tuple[] = {"a\tb", "c"};

	control_conn_field_int(conn, "bytes", (int64_t)len);
	if (len <= 4096) /* large ones (the budget test) are only counted */
		control_conn_field_n(conn, "data", p ? p : "", len);
	control_conn_field_int(conn, "args", a->argc);
	control_conn_field_tuple(conn, "outlet", tuple, 2);
	control_conn_ok(conn);
	return 0;
}

static void
on_release(uv_timer_t *t)
{
	struct server *srv = t->data;

	event(srv, "release");
	control_hold(srv->ctl, 0);
}

/* hold MS: holds requests, let go MS later. */
static int
cmd_hold(void *ctx, struct control_conn *conn, const struct control_args *a)
{
	struct server *srv = ctx;

	control_hold(srv->ctl, 1);
	srv->release.data = srv;
	uv_timer_start(&srv->release, on_release, strtoull(a->argv[1], NULL, 10), 0);
	control_conn_ok(conn);
	return 0;
}

static int
cmd_always(void *ctx, struct control_conn *conn, const struct control_args *a)
{
	event(ctx, "always");
	control_conn_ok(conn);
	return 0;
}

/* Options and their values, as the table's template parsed them. */
static int
cmd_opts(void *ctx, struct control_conn *conn, const struct control_args *a)
{
	const char *v = control_args_get(a, "val");

	(void)ctx;
	control_conn_field(conn, "flag", control_args_get(a, "flag") ? "yes" : "no");
	control_conn_field(conn, "val", v ? v : "(none)");
	for (int i = 0; i < a->npos; i++)
		control_conn_field(conn, "pos", a->pos[i]);
	control_conn_ok(conn);
	return 0;
}

static const struct control_command commands[] = {
	{"hold", cmd_hold, NULL, 1, 1, "hold MS", CONTROL_CMD_ALWAYS},
	{"always", cmd_always, NULL, 0, 0, "always", CONTROL_CMD_ALWAYS},
	{"echo", cmd_echo, NULL, 0, -1, "echo WORD...", 0},
	{"count", cmd_count, NULL, 1, 1, "count N", 0},
	{"slow", cmd_slow, NULL, 1, 1, "slow MS", 0},
	{"fail", cmd_fail, NULL, 0, 0, "fail", 0},
	{"missing", cmd_missing, NULL, 1, 1, "missing ID", 0},
	{"clients", cmd_clients, NULL, 0, 0, "clients", 0},
	{"upload", cmd_upload, NULL, 0, 2, "upload [ARG] LENGTH", CONTROL_CMD_PAYLOAD},
	{"opts", cmd_opts, "flag val=", 1, 2, "opts [--flag] [--val V] A [B]", 0},
};

/* ---- the server thread ---- */

static void
on_stop(uv_async_t *a)
{
	struct server *srv = a->data;

	control_stop(srv->ctl);
	uv_close((uv_handle_t *)a, NULL);
	uv_close((uv_handle_t *)&srv->release, NULL);
}

static void *
server_main(void *arg)
{
	struct server *srv = arg;

	uv_run(&srv->loop, UV_RUN_DEFAULT);
	return NULL;
}

static int
setup_with(void **state, struct control_options opt)
{
	struct server *srv = calloc(1, sizeof *srv);
	char err[256];
	const char *tmp = getenv("TMPDIR");

	assert_non_null(srv);
	snprintf(srv->dir, sizeof srv->dir, "%s/hctlXXXXXX",
		 tmp && strlen(tmp) < 30 ? tmp : "/tmp");
	assert_non_null(mkdtemp(srv->dir));
	snprintf(srv->path, sizeof srv->path, "%s/run/heraldd.sock", srv->dir);
	opt.path = srv->path;
	assert_int_equal(uv_loop_init(&srv->loop), 0);
	assert_int_equal(uv_async_init(&srv->loop, &srv->stop, on_stop), 0);
	assert_int_equal(uv_timer_init(&srv->loop, &srv->release), 0);
	srv->stop.data = srv;
	if (control_start(&srv->loop, &opt, commands, sizeof commands / sizeof *commands, srv,
			  &srv->ctl, err, sizeof err) < 0)
		fail_msg("control_start: %s", err);
	assert_int_equal(pthread_create(&srv->thread, NULL, server_main, srv), 0);
	*state = srv;
	return 0;
}

static int
setup(void **state)
{
	return setup_with(state,
			  (struct control_options){.max_queue = QUEUE_CAP, .no_activation = 1});
}

/* Limits small enough to reach in a test (issue #28). */
#define TIGHT_CLIENTS 6
#define TIGHT_BUDGET  (1u << 20)

static int
setup_idle(void **state)
{
	return setup_with(state, (struct control_options){.max_queue = QUEUE_CAP,
							  .idle_ms = 300,
							  .no_activation = 1});
}

static int
setup_full(void **state)
{
	return setup_with(state, (struct control_options){.max_queue = QUEUE_CAP,
							  .max_clients = TIGHT_CLIENTS,
							  .no_activation = 1});
}

static int
setup_budget(void **state)
{
	return setup_with(state, (struct control_options){.max_queue = 512u << 10,
							  .max_buffered = TIGHT_BUDGET,
							  .no_activation = 1});
}

static int
teardown(void **state)
{
	struct server *srv = *state;
	char sub[160];

	uv_async_send(&srv->stop);
	pthread_join(srv->thread, NULL);
	assert_int_equal(uv_loop_close(&srv->loop), 0);
	/* control_stop removed the socket file. */
	assert_int_equal(access(srv->path, F_OK), -1);
	snprintf(sub, sizeof sub, "%s/run", srv->dir);
	rmdir(sub);
	rmdir(srv->dir);
	free(srv);
	return 0;
}

/* ---- client helpers ---- */

static int
client_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 10};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

static void
send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		assert_true(w > 0);
		s += w, n -= (size_t)w;
	}
}

static void
send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/* Reads one line (without the newline) into b; -1 on EOF or error. */
static int
read_line(int fd, struct buf *b)
{
	char c;

	buf_reset(b);
	for (;;) {
		ssize_t r = read(fd, &c, 1);

		if (r <= 0)
			return -1;
		if (c == '\n')
			return 0;
		assert_int_equal(buf_putc(b, c), 0);
	}
}

/* Reads one response up to its terminator; returns it whole (records and
 * terminator line, newlines kept) in out. */
static int
read_response(int fd, struct buf *out)
{
	struct buf line = {0};
	int rc = -1;

	buf_reset(out);
	while (read_line(fd, &line) == 0) {
		buf_printf(out, "%s\n", buf_str(&line));
		if (strcmp(buf_str(&line), "OK") == 0 || strncmp(buf_str(&line), "ERR ", 4) == 0) {
			rc = 0;
			break;
		}
	}
	buf_free(&line);
	return rc;
}

static int
client_open(const char *path)
{
	struct buf line = {0};
	int fd = client_connect(path);

	assert_true(fd >= 0);
	assert_int_equal(read_line(fd, &line), 0);
	assert_string_equal(buf_str(&line), "HERALD 1");
	buf_free(&line);
	return fd;
}

static void
expect(int fd, const char *want)
{
	struct buf r = {0};

	assert_int_equal(read_response(fd, &r), 0);
	assert_string_equal(buf_str(&r), want);
	buf_free(&r);
}

/* ---- tests ---- */

static void
test_greeting_and_quoting(void **state)
{
	struct server *srv = *state;
	int fd = client_open(srv->path);

	send_str(fd, "echo a \"b c\" 'd \"e\"' \"x\\ty\\nz\"\n");
	expect(fd, "arg: a\narg: b c\narg: d \"e\"\narg: x\\ty\\nz\n\nOK\n");
	send_str(fd, "echo\r\n");
	expect(fd, "OK\n");
	/* Blank lines are ignored, not answered. */
	send_str(fd, "\n   \necho x\n");
	expect(fd, "arg: x\n\nOK\n");
	close(fd);
}

static void
test_pipelined_in_order(void **state)
{
	struct server *srv = *state;
	int fd = client_open(srv->path);

	/* The slow request finishes after the ones behind it would have. */
	send_str(fd, "echo 1\nslow 80\necho 2\ncount 2\nmissing 7\necho 3\n");
	expect(fd, "arg: 1\n\nOK\n");
	expect(fd, "slept: 80\n\nOK\n");
	expect(fd, "arg: 2\n\nOK\n");
	expect(fd, "n: 0\npad: 0123456789abcdef0123456789abcdef\n\n"
		   "n: 1\npad: 0123456789abcdef0123456789abcdef\n\nOK\n");
	expect(fd, "partial: record\n\nERR notfound no story 7\n");
	expect(fd, "arg: 3\n\nOK\n");
	close(fd);
}

/* While held, requests wait (their connection's later ones behind them),
 * CONTROL_CMD_ALWAYS ones do not, and a client that leaves while its
 * request waits costs nothing. */
static void
test_hold(void **state)
{
	struct server *srv = *state;
	int a = client_open(srv->path), b = client_open(srv->path), c = client_open(srv->path);

	send_str(a, "hold 300\n");
	expect(a, "OK\n");
	send_str(a, "echo a1\necho a2\n");
	send_str(c, "echo c\n");
	close(c);
	send_str(b, "always\n");
	expect(b, "OK\n");
	send_str(b, "echo b\n");
	expect(a, "arg: a1\n\nOK\n");
	expect(a, "arg: a2\n\nOK\n");
	expect(b, "arg: b\n\nOK\n");
	/* c's request may have run before its close was seen, or not at all. */
	assert_true(strncmp(srv->events, "always;release;", 15) == 0);
	assert_non_null(strstr(srv->events, "a1;"));
	assert_true(strstr(srv->events, "a1;") < strstr(srv->events, "a2;"));
	close(a);
	close(b);
}

/* One template per command, parsed by control before the handler: options
 * anywhere, "--name VALUE" and "--name=VALUE", "--" ends them; an unknown
 * option, a missing value or a wrong count of words never reaches it. */
static void
test_command_template(void **state)
{
	struct server *srv = *state;
	int fd = client_open(srv->path);

	send_str(fd, "opts x --val 3 --flag\n");
	expect(fd, "flag: yes\nval: 3\npos: x\n\nOK\n");
	send_str(fd, "opts --val=a=b x y\n");
	expect(fd, "flag: no\nval: a=b\npos: x\npos: y\n\nOK\n");
	send_str(fd, "opts -- --flag\n");
	expect(fd, "flag: no\nval: (none)\npos: --flag\n\nOK\n");
	send_str(fd, "opts x --bogus\n");
	expect(fd, "ERR usage unknown option --bogus; usage: opts [--flag] [--val V] A [B]\n");
	send_str(fd, "opts x --val\n");
	expect(fd, "ERR usage --val needs a value; usage: opts [--flag] [--val V] A [B]\n");
	send_str(fd, "opts x --flag=1\n");
	expect(fd, "ERR usage --flag takes no value; usage: opts [--flag] [--val V] A [B]\n");
	send_str(fd, "opts a b c\n");
	expect(fd, "ERR usage too many arguments; usage: opts [--flag] [--val V] A [B]\n");
	send_str(fd, "opts --flag\n");
	expect(fd, "ERR usage too few arguments; usage: opts [--flag] [--val V] A [B]\n");
	close(fd);
}

static void
test_errors_keep_connection(void **state)
{
	struct server *srv = *state;
	int fd = client_open(srv->path);
	struct buf r = {0};
	char *big;

	send_str(fd, "frobnicate 1\n");
	expect(fd, "ERR unknown unknown command 'frobnicate' (try: help)\n");
	send_str(fd, "count\n");
	expect(fd, "ERR usage too few arguments; usage: count N\n");
	send_str(fd, "fail\n");
	expect(fd, "ERR internal fail failed\n");
	send_str(fd, "echo \"open\n");
	expect(fd, "ERR badarg unterminated double quote\n");
	send_all(fd, "echo a\0b\n", 9);
	expect(fd, "ERR badarg NUL byte at column 7\n");
	send_str(fd, "echo \xff\n");
	expect(fd, "ERR badarg invalid UTF-8 at column 6\n");
	/* An overlong line: one error, the rest of the line skipped. */
	big = malloc(3 * HERALD_MAX_LINE);
	memset(big, 'a', 3 * HERALD_MAX_LINE);
	send_all(fd, big, 3 * HERALD_MAX_LINE);
	send_str(fd, "\necho after\n");
	expect(fd, "ERR toolong request longer than 8192 bytes\n");
	expect(fd, "arg: after\n\nOK\n");
	free(big);
	send_str(fd, "help\n");
	assert_int_equal(read_response(fd, &r), 0);
	assert_non_null(strstr(buf_str(&r), "command: upload\nusage: upload [ARG] LENGTH\n\n"));
	buf_free(&r);
	close(fd);
}

static void
test_payload(void **state)
{
	struct server *srv = *state;
	int fd = client_open(srv->path);

	send_str(fd, "upload x 11\nline1\nline2echo after\n");
	expect(fd, "bytes: 11\ndata: line1\\nline2\nargs: 2\noutlet: a\\tb\tc\n\nOK\n");
	expect(fd, "arg: after\n\nOK\n");
	send_str(fd, "upload 0\necho z\n");
	expect(fd, "bytes: 0\ndata: \nargs: 1\noutlet: a\\tb\tc\n\nOK\n");
	expect(fd, "arg: z\n\nOK\n");
	/* Too big: refused, and the bytes that follow are skipped. */
	send_str(fd, "upload 9999999999\n");
	expect(fd, "ERR toolong payload over 8388608 bytes\n");
	close(fd);
	fd = client_open(srv->path);
	send_str(fd, "upload a b c 3\nxyzecho ok\n");
	expect(fd, "ERR usage too many arguments; usage: upload [ARG] LENGTH\n");
	expect(fd, "arg: ok\n\nOK\n");
	send_str(fd, "upload nonumber\n");
	expect(fd, "ERR badarg upload: the last word must be the byte count\n");
	send_str(fd, "quit\n");
	expect(fd, "OK\n");
	{
		char c;
		assert_int_equal(read(fd, &c, 1), 0); /* closed by the daemon */
	}
	close(fd);
}

static void
test_many_clients(void **state)
{
	struct server *srv = *state;
	enum { N = 50, RECORDS = 300 };
	int fds[N];
	struct buf r = {0};

	for (int i = 0; i < N; i++)
		fds[i] = client_open(srv->path);
	for (int i = 0; i < N; i++) {
		char req[64];

		snprintf(req, sizeof req, "count %d\necho %d\n", RECORDS, i);
		send_str(fds[i], req);
	}
	for (int i = N - 1; i >= 0; i--) {
		char want[64];
		const char *p;
		int n = 0;

		assert_int_equal(read_response(fds[i], &r), 0);
		for (p = buf_str(&r); (p = strstr(p, "\npad: ")) != NULL; p++)
			n++;
		assert_int_equal(n, RECORDS);
		snprintf(want, sizeof want, "arg: %d\n\nOK\n", i);
		expect(fds[i], want);
		close(fds[i]);
	}
	buf_free(&r);
}

static void
wait_clients(const char *path, int want)
{
	struct buf r = {0};
	char expect_s[64];

	snprintf(expect_s, sizeof expect_s, "clients: %d\n\nOK\n", want);
	for (int tries = 0; tries < 200; tries++) {
		int fd = client_open(path);

		send_str(fd, "clients\n");
		assert_int_equal(read_response(fd, &r), 0);
		close(fd);
		if (strcmp(buf_str(&r), expect_s) == 0)
			break;
		usleep(20000);
	}
	assert_string_equal(buf_str(&r), expect_s);
	buf_free(&r);
}

static void
test_stalled_client_dropped(void **state)
{
	struct server *srv = *state;
	int stalled = client_open(srv->path), other;
	struct buf line = {0};
	size_t got = 0;
	int saw_ok = 0;
	char chunk[65536];
	ssize_t r;

	/* ~5 MB of records, far over the 256 KiB cap, and nobody reads. */
	send_str(stalled, "count 100000\n");
	usleep(100000);
	other = client_open(srv->path);
	send_str(other, "echo alive\n");
	expect(other, "arg: alive\n\nOK\n");
	close(other);
	/* The stalled client finds a truncated response, then EOF. */
	while ((r = read(stalled, chunk, sizeof chunk)) > 0) {
		got += (size_t)r;
		if (r >= 3 && memcmp(chunk + r - 3, "OK\n", 3) == 0)
			saw_ok = 1;
	}
	assert_false(saw_ok);
	assert_true(got < 5000000);
	close(stalled);
	buf_free(&line);
	wait_clients(srv->path, 1);
}

static void
test_disconnect_mid_response(void **state)
{
	struct server *srv = *state;
	int fd;

	/* Gone while an asynchronous handler works. */
	fd = client_open(srv->path);
	send_str(fd, "slow 100\necho never\n");
	close(fd);
	/* Gone in the middle of a long synchronous response. */
	fd = client_open(srv->path);
	send_str(fd, "count 50000\n");
	{
		char c[100];
		assert_true(read(fd, c, sizeof c) > 0);
	}
	close(fd);
	usleep(200000);
	wait_clients(srv->path, 1);
	fd = client_open(srv->path);
	send_str(fd, "echo still\n");
	expect(fd, "arg: still\n\nOK\n");
	close(fd);
}

static void
test_eof_after_request(void **state)
{
	struct server *srv = *state;
	int fd = client_open(srv->path);

	/* Like `echo ... | socat`: the write side closes before the answer,
	 * and the last line has no newline. */
	send_str(fd, "slow 30\necho last");
	shutdown(fd, SHUT_WR);
	expect(fd, "slept: 30\n\nOK\n");
	expect(fd, "arg: last\n\nOK\n");
	close(fd);
}

static void
test_socket_mode(void **state)
{
	struct server *srv = *state;
	struct stat st;
	char dir[160];

	assert_int_equal(stat(srv->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(dir, sizeof dir, "%s/run", srv->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
}

static void
test_second_server_refused(void **state)
{
	struct server *srv = *state;
	struct control_options opt = {.path = srv->path, .no_activation = 1};
	struct control *c = NULL;
	uv_loop_t loop;
	char err[256];

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(control_start(&loop, &opt, commands, 1, NULL, &c, err, sizeof err), -1);
	assert_null(c);
	assert_non_null(strstr(err, "another heraldd is already listening on"));
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	/* The live daemon's socket is untouched. */
	close(client_open(srv->path));
}

static void
test_other_uid_refused(void **state)
{
	struct server *srv = *state;
	pid_t pid;
	int status;

	if (geteuid() != 0)
		skip();
	/* nobody must reach the socket to be refused by SO_PEERCRED rather
	 * than by the file mode. */
	assert_int_equal(chmod(srv->dir, 0755), 0);
	{
		char dir[160];
		snprintf(dir, sizeof dir, "%s/run", srv->dir);
		assert_int_equal(chmod(dir, 0755), 0);
	}
	assert_int_equal(chmod(srv->path, 0666), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct buf line = {0};
		int fd;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		fd = client_connect(srv->path);
		if (fd < 0)
			_exit(11);
		if (read_line(fd, &line) < 0)
			_exit(12);
		if (strcmp(buf_str(&line), "ERR denied permission denied") != 0)
			_exit(13);
		if (read_line(fd, &line) == 0)
			_exit(14); /* must be closed */
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(chmod(srv->path, 0600), 0);
}

/* ---- start-up cases, each on its own loop in this thread ---- */

static void
pump(uv_loop_t *loop, int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	for (int i = 0; i < 500 && poll(&p, 1, 0) == 0; i++) {
		uv_run(loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
}

static void
test_stale_socket_replaced(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct control_options opt = {.no_activation = 1};
	struct control *c = NULL;
	struct buf line = {0};
	char dir[] = "/tmp/hstaleXXXXXX", path[64], err[256];
	uv_loop_t loop;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/s.sock", dir);
	strcpy(sa.sun_path, path);
	/* A socket file nobody listens on: what a crash leaves behind. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	close(fd);
	opt.path = path;
	assert_int_equal(uv_loop_init(&loop), 0);
	if (control_start(&loop, &opt, commands, 1, NULL, &c, err, sizeof err) < 0)
		fail_msg("%s", err);
	fd = client_connect(path);
	assert_true(fd >= 0);
	pump(&loop, fd);
	assert_int_equal(read_line(fd, &line), 0);
	assert_string_equal(buf_str(&line), "HERALD 1");
	close(fd);
	control_stop(c);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(access(path, F_OK), -1);

	/* A regular file is never replaced. */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(control_start(&loop, &opt, commands, 1, NULL, &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a socket"));
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
	rmdir(dir);
	buf_free(&line);
}

static void
test_bad_options(void **state)
{
	struct control_options opt = {.no_activation = 1};
	struct control *c = NULL;
	char err[256], longpath[200];
	uv_loop_t loop;

	assert_int_equal(uv_loop_init(&loop), 0);
	memset(longpath, 'x', sizeof longpath - 1);
	longpath[0] = '/';
	longpath[sizeof longpath - 1] = '\0';
	opt.path = longpath;
	assert_int_equal(control_start(&loop, &opt, commands, 1, NULL, &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "too long"));
	uv_run(&loop, UV_RUN_DEFAULT);
	opt.path = "/tmp/hnogroup.sock";
	opt.group = "no-such-group-herald";
	assert_int_equal(control_start(&loop, &opt, commands, 1, NULL, &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "no-such-group-herald"));
	opt.path = NULL;
	opt.group = NULL;
	assert_int_equal(control_start(&loop, &opt, commands, 1, NULL, &c, err, sizeof err), -1);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void
test_group_socket(void **state)
{
	struct control_options opt = {.no_activation = 1, .group = "nogroup"};
	struct control *c = NULL;
	char dir[] = "/tmp/hgrpXXXXXX", path[64], err[256];
	struct stat st;
	uv_loop_t loop;

	if (geteuid() != 0)
		skip(); /* chown to a group needs membership or root */
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/g.sock", dir);
	opt.path = path;
	assert_int_equal(uv_loop_init(&loop), 0);
	if (control_start(&loop, &opt, commands, 1, NULL, &c, err, sizeof err) < 0)
		fail_msg("%s", err);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(st.st_gid, 65534);
	control_stop(c);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	rmdir(dir);
}

static void
test_socket_activation(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct control_options opt = {0};
	struct control *c = NULL;
	struct buf line = {0};
	char dir[] = "/tmp/hactXXXXXX", path[64], err[256], pid[32];
	uv_loop_t loop;
	int lfd, fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/act.sock", dir);
	strcpy(sa.sun_path, path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(lfd, 8), 0);
	if (lfd != 3) {
		assert_int_equal(dup2(lfd, 3), 3);
		close(lfd);
	}
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "1", 1);
	assert_int_equal(uv_loop_init(&loop), 0);
	if (control_start(&loop, &opt, commands, 1, NULL, &c, err, sizeof err) < 0)
		fail_msg("%s", err);
	assert_true(control_activated(c));
	assert_null(getenv("LISTEN_FDS"));
	fd = client_connect(path);
	assert_true(fd >= 0);
	pump(&loop, fd);
	assert_int_equal(read_line(fd, &line), 0);
	assert_string_equal(buf_str(&line), "HERALD 1");
	close(fd);
	control_stop(c);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	/* systemd's socket file is systemd's to remove. */
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
	rmdir(dir);
	buf_free(&line);
}

/* 1 when the daemon closed fd (EOF or reset) within ms, reading and
 * dropping whatever came before; *saw_ok tells whether an "OK" line did. */
static int
closed_within(int fd, int ms, int *saw_ok)
{
	char chunk[65536];
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (saw_ok)
		*saw_ok = 0;
	for (;;) {
		ssize_t r;

		if (poll(&p, 1, ms) <= 0)
			return 0;
		r = read(fd, chunk, sizeof chunk);
		if (r <= 0)
			return 1;
		if (saw_ok && r >= 3 && memcmp(chunk + r - 3, "OK\n", 3) == 0)
			*saw_ok = 1;
	}
}

/* Idle connections are closed after the timeout (300 ms here); one that
 * keeps asking stays, and so does one whose request a handler works on. */
static void
test_idle_timeout(void **state)
{
	struct server *srv = *state;
	int idle[3], busy = client_open(srv->path), slow = client_open(srv->path);

	for (int i = 0; i < 3; i++)
		idle[i] = client_open(srv->path);
	send_str(slow, "slow 900\n");
	/* 1.2 s of requests every 100 ms: never idle for 300 ms. */
	for (int i = 0; i < 12; i++) {
		usleep(100000);
		send_str(busy, "echo x\n");
		expect(busy, "arg: x\n\nOK\n");
	}
	for (int i = 0; i < 3; i++) {
		assert_true(closed_within(idle[i], 2000, NULL));
		close(idle[i]);
	}
	/* The slow request outlived the timeout, and was answered. */
	expect(slow, "slept: 900\n\nOK\n");
	assert_true(closed_within(slow, 2000, NULL));
	close(slow);
	send_str(busy, "echo still\n");
	expect(busy, "arg: still\n\nOK\n");
	close(busy);
}

/* A full server closes the connection idle the longest for a newcomer;
 * when every connection is at work, the newcomer is refused. */
static void
test_full_evicts_idle(void **state)
{
	struct server *srv = *state;
	int fds[TIGHT_CLIENTS], extra[3], fd;
	struct buf line = {0};

	for (int i = 0; i < TIGHT_CLIENTS; i++)
		fds[i] = client_open(srv->path);
	usleep(1100000); /* all idle for a second */
	/* Each newcomer takes the place of an idle connection. */
	for (int k = 0; k < 3; k++) {
		extra[k] = client_open(srv->path);
		send_str(extra[k], "echo in\n");
		expect(extra[k], "arg: in\n\nOK\n");
	}
	/* Three of the first ones were closed; the others are kept. */
	{
		int closed = 0, kept = 0;

		for (int k = 0; k < TIGHT_CLIENTS; k++) {
			if (closed_within(fds[k], 300, NULL)) {
				close(fds[k]);
				closed++;
				continue;
			}
			send_str(fds[k], "echo kept\n");
			expect(fds[k], "arg: kept\n\nOK\n");
			fds[kept++] = fds[k];
		}
		assert_int_equal(closed, 3);
		assert_int_equal(kept, TIGHT_CLIENTS - 3);
	}
	/* Now every connection is busy: the next one is refused. */
	for (int k = 0; k < TIGHT_CLIENTS - 3; k++)
		send_str(fds[k], "slow 1500\n");
	for (int k = 0; k < 3; k++)
		send_str(extra[k], "slow 1500\n");
	usleep(100000);
	fd = client_connect(srv->path);
	assert_true(fd >= 0);
	assert_int_equal(read_line(fd, &line), 0);
	assert_string_equal(buf_str(&line), "ERR busy too many clients");
	close(fd);
	for (int k = 0; k < TIGHT_CLIENTS - 3; k++) {
		expect(fds[k], "slept: 1500\n\nOK\n");
		close(fds[k]);
	}
	for (int k = 0; k < 3; k++) {
		expect(extra[k], "slept: 1500\n\nOK\n");
		close(extra[k]);
	}
	buf_free(&line);
}

/* Announced payloads count against the budget from their first byte: one
 * that does not fit is refused (its bytes skipped), and fits once the
 * other is done. Sizes vary around the budget (1 MiB). */
static void
test_payload_budget(void **state)
{
	static const size_t sizes[] = {600000, 700000, 1000000};
	struct server *srv = *state;
	char req[64], *data;

	data = malloc(1u << 20);
	assert_non_null(data);
	memset(data, 'x', 1u << 20);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t n = sizes[i];
		int a = client_open(srv->path), b = client_open(srv->path);

		snprintf(req, sizeof req, "upload %zu\n", n);
		send_str(a, req);
		send_all(a, data, n / 2);
		usleep(50000);
		send_str(b, req);
		send_all(b, data, n);
		send_str(b, "echo after\n");
		{
			struct buf r = {0};

			assert_int_equal(read_response(b, &r), 0);
			assert_non_null(strstr(buf_str(&r), "ERR busy"));
			buf_free(&r);
		}
		expect(b, "arg: after\n\nOK\n");
		send_all(a, data + n / 2, n - n / 2);
		{
			struct buf r = {0};

			assert_int_equal(read_response(a, &r), 0);
			snprintf(req, sizeof req, "bytes: %zu\n", n);
			assert_non_null(strstr(buf_str(&r), req));
			buf_free(&r);
		}
		/* a's payload is gone: b's fits now. */
		snprintf(req, sizeof req, "upload %zu\n", n);
		send_str(b, req);
		send_all(b, data, n);
		{
			struct buf r = {0};

			assert_int_equal(read_response(b, &r), 0);
			snprintf(req, sizeof req, "bytes: %zu\n", n);
			assert_non_null(strstr(buf_str(&r), req));
			buf_free(&r);
		}
		close(a);
		close(b);
	}
	free(data);
}

/* Output across clients stays within the budget: clients that asked for
 * large answers and never read lose their connections, a client that
 * reads gets its whole answer. */
static void
test_output_budget(void **state)
{
	struct server *srv = *state;
	enum { STALLED = 4 };
	int st[STALLED], reader, dropped = 0, ok;
	struct buf r = {0};
	const char *p;
	int n = 0;

	for (int i = 0; i < STALLED; i++) {
		st[i] = client_open(srv->path);
		send_str(st[i], i % 2 ? "count 9000\n" : "count 12000\n");
	}
	usleep(1200000); /* stalled: no progress for a second */
	reader = client_open(srv->path);
	send_str(reader, "count 12000\n");
	assert_int_equal(read_response(reader, &r), 0);
	for (p = buf_str(&r); (p = strstr(p, "\npad: ")) != NULL; p++)
		n++;
	assert_int_equal(n, 12000);
	close(reader);
	for (int i = 0; i < STALLED; i++) {
		if (closed_within(st[i], 300, &ok) && !ok)
			dropped++;
		close(st[i]);
	}
	assert_true(dropped >= 1);
	buf_free(&r);
	wait_clients(srv->path, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_greeting_and_quoting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_keep_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_template, setup, teardown),
		cmocka_unit_test_setup_teardown(test_payload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stalled_client_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disconnect_mid_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eof_after_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup_idle, teardown),
		cmocka_unit_test_setup_teardown(test_full_evicts_idle, setup_full, teardown),
		cmocka_unit_test_setup_teardown(test_payload_budget, setup_budget, teardown),
		cmocka_unit_test_setup_teardown(test_output_budget, setup_budget, teardown),
		cmocka_unit_test_setup_teardown(test_socket_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_server_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_uid_refused, setup, teardown),
		cmocka_unit_test(test_stale_socket_replaced),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_group_socket),
		cmocka_unit_test(test_socket_activation),
	};
	return cmocka_run_group_tests_name("control", tests, NULL, NULL);
}
