#include "wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "herald/escape.h"
#include "herald/protocol.h"
#include "util.h"

#define WIRE_TIMEOUT 300 /* seconds without a byte from the daemon */

const char *
record_get(const struct record *r, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].key, key) == 0)
			return r->f[i].value;
	return NULL;
}

void
response_free(struct response *resp)
{
	for (size_t i = 0; i < resp->n; i++) {
		for (size_t j = 0; j < resp->r[i].n; j++) {
			struct field *f = &resp->r[i].f[j];

			for (size_t k = 0; k < f->nparts; k++)
				free(f->parts[k]);
			free(f->parts);
			free(f->key);
			free(f->value);
		}
		free(resp->r[i].f);
	}
	free(resp->r);
	free(resp->code);
	free(resp->message);
	memset(resp, 0, sizeof *resp);
}

char *
wire_socket_path(const char *opt, char **tried)
{
	const char *env = getenv(HERALD_SOCKET_ENV), *rt = getenv("RUNTIME_DIRECTORY"),
		   *xdg = getenv("XDG_RUNTIME_DIR");
	struct sb cand[3] = {{0}};
	struct sb list = {0};
	char *out = NULL;
	size_t n = 0, i;
	struct stat st;

	*tried = NULL;
	if (opt && *opt)
		return xstrdup(opt);
	if (env && *env)
		return xstrdup(env);
	/* Same defaults as the daemon: systemd's RuntimeDirectory, then XDG. */
	if (rt && *rt)
		sb_printf(&cand[n++], "%s/%s", rt, HERALD_SOCKET_NAME);
	if (xdg && *xdg == '/') {
		sb_printf(&cand[n++], "%s/%s/%s", xdg, HERALD_SOCKET_SUBDIR, HERALD_SOCKET_NAME);
	} else {
		/* No runtime directory: the daemon puts its socket beside its state. */
		const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

		if (state && *state == '/')
			sb_printf(&cand[n++], "%s/%s/%s", state, HERALD_SOCKET_SUBDIR,
				  HERALD_SOCKET_NAME);
		else if (home && *home)
			sb_printf(&cand[n++], "%s/.local/state/%s/%s", home, HERALD_SOCKET_SUBDIR,
				  HERALD_SOCKET_NAME);
	}
	sb_puts(&cand[n++], HERALD_SYSTEM_SOCKET);
	for (i = 0; i < n; i++) {
		sb_printf(&list, "%s%s", i ? ", " : "", sb_str(&cand[i]));
		if (out == NULL && stat(sb_str(&cand[i]), &st) == 0)
			out = xstrdup(sb_str(&cand[i]));
	}
	if (out == NULL)
		out = xstrdup(sb_str(&cand[0]));
	for (i = 0; i < n; i++)
		sb_free(&cand[i]);
	*tried = list.data;
	return out;
}

/* Reads one line into b (newline dropped). 0, or -1 at EOF/error. */
static int
read_line(FILE *fp, struct sb *b)
{
	int c;

	b->len = 0;
	sb_add(b, "", 0);
	while ((c = getc(fp)) != EOF) {
		if (c == '\n')
			return 0;
		sb_putc(b, (char)c);
	}
	return -1;
}

/* Undoes the daemon's value escaping (herald_unescape) into a new
 * string, or NULL on a malformed escape. */
static char *
unescape(const char *s, size_t n, size_t *outlen)
{
	char *o = xmalloc(n + 1);
	long k = herald_unescape(o, s, n);

	if (k < 0) {
		free(o);
		return NULL;
	}
	*outlen = (size_t)k;
	return o;
}

static FILE *
conn_file(int fd)
{
	int dupfd = dup(fd);
	FILE *fp = dupfd < 0 ? NULL : fdopen(dupfd, "r");

	if (fp == NULL && dupfd >= 0)
		close(dupfd);
	return fp;
}

int
wire_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = WIRE_TIMEOUT};
	struct sb line = {0};
	FILE *fp = NULL;
	char want[32];
	int fd, rc = WIRE_ERROR;

	if (strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return WIRE_ERROR;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return WIRE_ERROR;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;

		close(fd);
		if (e == ENOENT || e == ECONNREFUSED || e == ENOTDIR)
			return WIRE_DOWN;
		snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(e));
		return WIRE_ERROR;
	}
	/* A daemon that hangs must not hang a cron job with it. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	fp = conn_file(fd);
	if (fp == NULL || read_line(fp, &line) < 0) {
		snprintf(err, errlen, "%s: the daemon closed the connection", path);
		goto out;
	}
	snprintf(want, sizeof want, "%s %d", HERALD_GREETING, HERALD_PROTOCOL_VERSION);
	if (strncmp(sb_str(&line), HERALD_ERR " ", 4) == 0) {
		snprintf(err, errlen, "the daemon refused the connection: %s", sb_str(&line) + 4);
		goto out;
	}
	if (strcmp(sb_str(&line), want) != 0) {
		snprintf(err, errlen, "%s: unexpected greeting '%.40s' (want '%s')", path,
			 sb_str(&line), want);
		goto out;
	}
	rc = fd;
out:
	if (fp)
		fclose(fp);
	if (rc < 0)
		close(fd);
	sb_free(&line);
	return rc;
}

static int
send_all(int fd, const char *p, size_t n, char *err, size_t errlen)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "sending the request: %s", strerror(errno));
			return -1;
		}
		p += w, n -= (size_t)w;
	}
	return 0;
}

/* herald_put_fn for a struct sb (which never fails: out of memory ends
 * the client). */
static int
put_sb(void *ctx, const char *p, size_t n)
{
	sb_add(ctx, p, n);
	return 0;
}

static struct record *
new_record(struct response *resp)
{
	if (resp->n == resp->cap) {
		resp->cap = resp->cap ? resp->cap * 2 : 16;
		resp->r = xrealloc(resp->r, resp->cap * sizeof *resp->r);
	}
	memset(&resp->r[resp->n], 0, sizeof resp->r[0]);
	return &resp->r[resp->n++];
}

/* Splits a raw tuple value (n bytes) into its parts, unescaping each. */
static int
split_tuple(struct field *f, const char *v, size_t n)
{
	const char *p;
	size_t pos = 0, plen, len;

	while (herald_tuple_next(v, n, &pos, &p, &plen)) {
		char *part = unescape(p, plen, &len);

		if (part == NULL)
			return -1;
		f->parts = xrealloc(f->parts, (f->nparts + 1) * sizeof *f->parts);
		f->parts[f->nparts++] = part;
	}
	return 0;
}

static int
add_field(struct record *rec, const char *line, size_t n)
{
	const char *colon = memchr(line, ':', n);
	struct field *f;
	size_t vlen;
	char *v;

	if (colon == NULL || colon == line || colon + 1 >= line + n || colon[1] != ' ')
		return -1;
	v = unescape(colon + 2, (size_t)(line + n - colon - 2), &vlen);
	if (v == NULL)
		return -1;
	if (rec->n == rec->cap) {
		rec->cap = rec->cap ? rec->cap * 2 : 8;
		rec->f = xrealloc(rec->f, rec->cap * sizeof *rec->f);
	}
	f = &rec->f[rec->n++];
	memset(f, 0, sizeof *f);
	f->key = xstrndup(line, (size_t)(colon - line));
	f->value = v;
	f->len = vlen;
	if (memchr(colon + 2, '\t', (size_t)(line + n - colon - 2)))
		return split_tuple(f, colon + 2, (size_t)(line + n - colon - 2));
	return 0;
}

/* Reads records up to the terminator. */
static int
read_response(FILE *fp, struct response *resp, char *err, size_t errlen)
{
	struct sb line = {0};
	struct record *rec = NULL;
	int rc = -1;

	while (read_line(fp, &line) == 0) {
		const char *s = sb_str(&line);

		if (rec == NULL && strcmp(s, HERALD_OK) == 0) {
			resp->ok = 1;
			rc = 0;
			break;
		}
		if (rec == NULL && strncmp(s, HERALD_ERR " ", 4) == 0) {
			const char *sp = strchr(s + 4, ' ');

			resp->code = sp ? xstrndup(s + 4, (size_t)(sp - s - 4)) : xstrdup(s + 4);
			resp->message = xstrdup(sp ? sp + 1 : "");
			rc = 0;
			break;
		}
		if (line.len == 0) {
			rec = NULL;
			continue;
		}
		if (rec == NULL)
			rec = new_record(resp);
		if (add_field(rec, s, line.len) < 0) {
			snprintf(err, errlen, "malformed response line: %.60s", s);
			goto out;
		}
	}
	if (rc < 0 && ferror(fp) && (errno == EAGAIN || errno == EWOULDBLOCK))
		snprintf(err, errlen, "no answer from the daemon in %d seconds", WIRE_TIMEOUT);
	else if (rc < 0)
		snprintf(err, errlen, "the daemon closed the connection before answering");
out:
	sb_free(&line);
	return rc;
}

int
wire_request(int fd, int argc, char **argv, const char *payload, size_t len, struct response *resp,
	     char *err, size_t errlen)
{
	struct sb req = {0};
	FILE *fp;
	int rc = -1;

	memset(resp, 0, sizeof *resp);
	for (int i = 0; i < argc; i++) {
		if (i)
			sb_putc(&req, ' ');
		herald_quote(argv[i], strlen(argv[i]), put_sb, &req);
	}
	if (payload)
		sb_printf(&req, " %zu", len);
	sb_putc(&req, '\n');
	if (req.len > HERALD_MAX_LINE + 1) {
		snprintf(err, errlen, "request too long (max %d bytes)", HERALD_MAX_LINE);
		goto out;
	}
	if (send_all(fd, req.data, req.len, err, errlen) < 0 ||
	    (payload && send_all(fd, payload, len, err, errlen) < 0))
		goto out;
	fp = conn_file(fd);
	if (fp == NULL) {
		snprintf(err, errlen, "fdopen: %s", strerror(errno));
		goto out;
	}
	rc = read_response(fp, resp, err, errlen);
	fclose(fp);
out:
	sb_free(&req);
	return rc;
}
