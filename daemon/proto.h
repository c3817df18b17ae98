/* proto: the control protocol's pure parts (include/herald/protocol.h):
 * splitting a request line into words, escaping record values, quoting
 * words, and parsing options and ids in command handlers. No I/O. The
 * escaping itself is include/herald/escape.h, shared with the client;
 * these are its struct buf forms. */
#ifndef HERALD_PROTO_H
#define HERALD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "herald/protocol.h"

/* A split request. argv points into store; argv[argc] is NULL. */
struct proto_words {
	int argc;
	char *argv[HERALD_MAX_ARGS + 1];
	char store[HERALD_MAX_LINE + 1];
};

/* Splits one request line (len bytes, no newline; a trailing CR is
 * ignored) into w. Returns 0 (argc may be 0 for a blank line), or -1 with
 * *code set to HERALD_E_TOOLONG (line or word count over the limits) or
 * HERALD_E_BADARG (unterminated quote, bad escape, NUL or control byte,
 * invalid UTF-8) and a message in err. */
int proto_split(const char *line, size_t len, struct proto_words *w, const char **code, char *err,
		size_t errlen);

/* Appends s (n bytes) escaped as a record value (herald_escape in
 * herald/escape.h: \\ \n \r \t \xHH); on failure b is left as it was.
 * herald_unescape reverses it. */
int proto_escape(struct buf *b, const char *s, size_t n);
/* Appends "key: value\n", value escaped. key must be [a-z0-9_]+ (else -1). */
int proto_field(struct buf *b, const char *key, const char *value, size_t n);
/* 1 when key is [a-z0-9_]+, else 0. */
int proto_valid_key(const char *key);
/* Appends "ERR code message\n"; control bytes in message become spaces. */
int proto_err_line(struct buf *b, const char *code, const char *message);
/* Appends word double-quoted (herald_quote) so that proto_split gives it
 * back; on failure b is left as it was. */
int proto_quote(struct buf *b, const char *word);

/* Options in a handler's argv, written as on the herald command line:
 * "--name" or "--name VALUE" (also "--name=VALUE"); "--" ends options.
 * Fill name/has_arg; proto_getopt sets seen and value (borrowed from argv). */
struct proto_opt {
	const char *name; /* without the dashes: "limit" */
	int has_arg;
	int seen;
	const char *value;
};
/* Walks argv[1..argc-1] (argv[0] is the command); positional words are
 * stored in pos (capacity maxpos) and counted in *npos. Returns 0, or -1
 * with a message (unknown option, missing value, too many words). */
int proto_getopt(int argc, char **argv, struct proto_opt *opts, size_t nopts, char **pos,
		 int maxpos, int *npos, char *err, size_t errlen);
/* A positive decimal id (1..INT64_MAX): 0, or -1. */
int proto_parse_id(const char *s, int64_t *out);
/* A decimal number 0..max: 0, or -1. */
int proto_parse_uint(const char *s, uint64_t max, uint64_t *out);

#endif
