#include "proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "herald/escape.h"

/* Rejects what no request may hold, before any quoting is looked at, so
 * the error names the byte's column whatever the quotes around it. */
static int
check_bytes(const unsigned char *p, size_t len, char *err, size_t errlen)
{
	size_t i = 0, n;

	while (i < len) {
		if (p[i] == 0) {
			snprintf(err, errlen, "NUL byte at column %zu", i + 1);
			return -1;
		}
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f) {
			snprintf(err, errlen, "control byte 0x%02x at column %zu", p[i], i + 1);
			return -1;
		}
		n = buf_utf8_len(p + i, len - i);
		if (n == 0) {
			snprintf(err, errlen, "invalid UTF-8 at column %zu", i + 1);
			return -1;
		}
		i += n;
	}
	return 0;
}

int
proto_split(const char *line, size_t len, struct proto_words *w, const char **code, char *err,
	    size_t errlen)
{
	size_t i = 0, o = 0;
	int inword = 0;
	char quote = 0;

	w->argc = 0;
	w->argv[0] = NULL;
	*code = HERALD_E_BADARG;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > HERALD_MAX_LINE) {
		*code = HERALD_E_TOOLONG;
		snprintf(err, errlen, "request longer than %d bytes", HERALD_MAX_LINE);
		return -1;
	}
	if (check_bytes((const unsigned char *)line, len, err, errlen) < 0)
		return -1;
	for (i = 0; i < len; i++) {
		char c = line[i];

		if (quote == '\'') {
			if (c == '\'')
				quote = 0;
			else
				w->store[o++] = c;
			continue;
		}
		if (quote == '"') {
			if (c == '"') {
				quote = 0;
			} else if (c == '\\') {
				int e = i + 1 < len ? herald_unquote_char(line[i + 1]) : -1;

				if (e < 0) {
					snprintf(err, errlen, "bad escape at column %zu", i + 1);
					return -1;
				}
				w->store[o++] = (char)e;
				i++;
			} else {
				w->store[o++] = c;
			}
			continue;
		}
		if (c == ' ' || c == '\t') {
			if (inword) {
				w->store[o++] = '\0';
				inword = 0;
			}
			continue;
		}
		if (!inword) {
			if (w->argc == HERALD_MAX_ARGS) {
				*code = HERALD_E_TOOLONG;
				snprintf(err, errlen, "more than %d words", HERALD_MAX_ARGS);
				return -1;
			}
			w->argv[w->argc++] = w->store + o;
			inword = 1;
		}
		if (c == '"' || c == '\'')
			quote = c;
		else
			w->store[o++] = c;
	}
	if (quote) {
		snprintf(err, errlen, "unterminated %s quote", quote == '"' ? "double" : "single");
		w->argc = 0;
		w->argv[0] = NULL;
		return -1;
	}
	/* Every word but the last gave up a separator for its NUL, so the
	 * store (len + 1 bytes) always has room for this one. */
	w->store[o] = '\0';
	w->argv[w->argc] = NULL;
	return 0;
}

/* herald_put_fn for a struct buf. */
static int
put_buf(void *ctx, const char *p, size_t n)
{
	return buf_append(ctx, p, n);
}

/* Drops what a failed append left after old. */
static int
undo(struct buf *b, size_t old)
{
	b->len = old;
	if (b->data)
		b->data[old] = '\0';
	return -1;
}

int
proto_escape(struct buf *b, const char *s, size_t n)
{
	size_t old = b->len;

	if (herald_escape(s, n, put_buf, b) < 0)
		return undo(b, old);
	return 0;
}

int
proto_valid_key(const char *key)
{
	if (*key == '\0')
		return 0;
	for (; *key; key++)
		if (!((*key >= 'a' && *key <= 'z') || (*key >= '0' && *key <= '9') || *key == '_'))
			return 0;
	return 1;
}

int
proto_field(struct buf *b, const char *key, const char *value, size_t n)
{
	size_t old = b->len;

	if (!proto_valid_key(key))
		return -1;
	if (buf_puts(b, key) < 0 || buf_append(b, ": ", 2) < 0 || proto_escape(b, value, n) < 0 ||
	    buf_putc(b, '\n') < 0)
		return undo(b, old);
	return 0;
}

int
proto_err_line(struct buf *b, const char *code, const char *message)
{
	size_t old = b->len, i;

	if (buf_printf(b, "%s %s ", HERALD_ERR, code) < 0)
		return -1;
	for (i = 0; message[i]; i++) {
		unsigned char c = (unsigned char)message[i];

		if (buf_putc(b, (c < 0x20 || c == 0x7f) ? ' ' : (char)c) < 0)
			goto fail;
	}
	if (buf_putc(b, '\n') < 0)
		goto fail;
	return 0;
fail:
	return undo(b, old);
}

int
proto_quote(struct buf *b, const char *word)
{
	size_t old = b->len;

	if (herald_quote(word, strlen(word), put_buf, b) < 0)
		return undo(b, old);
	return 0;
}

static struct proto_opt *
find_opt(struct proto_opt *opts, size_t nopts, const char *name, size_t n)
{
	for (size_t i = 0; i < nopts; i++)
		if (strlen(opts[i].name) == n && memcmp(opts[i].name, name, n) == 0)
			return &opts[i];
	return NULL;
}

int
proto_getopt(int argc, char **argv, struct proto_opt *opts, size_t nopts, char **pos, int maxpos,
	     int *npos, char *err, size_t errlen)
{
	int i, endopts = 0;

	*npos = 0;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq;
		struct proto_opt *o;

		if (!endopts && strcmp(a, "--") == 0) {
			endopts = 1;
			continue;
		}
		if (endopts || strncmp(a, "--", 2) != 0) {
			if (*npos >= maxpos) {
				snprintf(err, errlen, "too many arguments");
				return -1;
			}
			pos[(*npos)++] = argv[i];
			continue;
		}
		eq = strchr(a + 2, '=');
		o = find_opt(opts, nopts, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
		if (o == NULL) {
			snprintf(err, errlen, "unknown option %.64s", a);
			return -1;
		}
		o->seen = 1;
		if (!o->has_arg) {
			if (eq) {
				snprintf(err, errlen, "--%s takes no value", o->name);
				return -1;
			}
			continue;
		}
		if (eq) {
			o->value = eq + 1;
		} else if (i + 1 < argc) {
			o->value = argv[++i];
		} else {
			snprintf(err, errlen, "--%s needs a value", o->name);
			return -1;
		}
	}
	return 0;
}

int
proto_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

int
proto_parse_id(const char *s, int64_t *out)
{
	uint64_t v;

	if (proto_parse_uint(s, INT64_MAX, &v) < 0 || v == 0)
		return -1;
	*out = (int64_t)v;
	return 0;
}
