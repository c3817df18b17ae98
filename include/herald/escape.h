/* herald/escape.h: the protocol's escaping (herald/protocol.h), written
 * once for heraldd (daemon/proto.c) and herald (client/wire.c).
 *
 * Why static inline functions in a header: the daemon and the client share
 * include/herald/ and nothing else (no library, no object file), and each
 * has its own growable buffer (the daemon's struct buf, the client's struct
 * sb). So nothing here allocates or knows either buffer: output goes to an
 * append callback the caller supplies, input is a plain (pointer, length)
 * pair. Each program compiles its own copy of what it calls.
 *
 * Three encodings:
 * - Record values (daemon -> client): herald_escape, herald_unescape.
 *   Backslash -> \\, newline -> \n, CR -> \r, TAB -> \t, other bytes below
 *   0x20 and 0x7f -> \xHH (lower-case hex); every other byte as is.
 * - Tuples ("outlet:"): each part escaped on its own, the parts joined by
 *   literal TABs. herald_tuple_next walks the parts of a value as it came
 *   off the wire, before unescaping, so a TAB inside a part stays data.
 * - Request words (client -> daemon): herald_quote writes a word in double
 *   quotes; herald_unquote_char is the escape table the daemon's splitter
 *   (proto_split) reads them back with. */
#ifndef HERALD_ESCAPE_H
#define HERALD_ESCAPE_H

#include <stddef.h>
#include <string.h>

/* Appends p (n bytes, n > 0) to the caller's output. Returns 0, or a
 * negative number: the function writing stops and returns it. */
typedef int (*herald_put_fn)(void *ctx, const char *p, size_t n);

/* Writes s (n bytes) escaped as a record value, in as few put calls as
 * it can (one per run of plain bytes, one per escape). Returns 0, or the
 * first negative put result (the output then holds a prefix). */
static inline int
herald_escape(const char *s, size_t n, herald_put_fn put, void *ctx)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i, start = 0;
	int rc;

	for (i = 0; i < n; i++) {
		char esc[4] = {'\\', 0, 0, 0};
		size_t elen = 2;

		if (p[i] >= 0x20 && p[i] != 0x7f && p[i] != '\\')
			continue;
		switch (p[i]) {
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'x';
			esc[2] = hex[p[i] >> 4];
			esc[3] = hex[p[i] & 15];
			elen = 4;
		}
		if (i > start && (rc = put(ctx, s + start, i - start)) < 0)
			return rc;
		if ((rc = put(ctx, esc, elen)) < 0)
			return rc;
		start = i + 1;
	}
	return n > start ? put(ctx, s + start, n - start) : 0;
}

/* The value of hex digit c (either case), or -1. */
static inline int
herald_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reverses herald_escape: s (n bytes) into out, which must hold n + 1
 * bytes and may be s itself (the result is never longer than s). The
 * result is NUL-terminated; it may hold NULs of its own (\x00). Returns
 * its length, or -1 on a malformed escape: a backslash at the end, \x
 * without two hex digits, or any other letter after a backslash. */
static inline long
herald_unescape(char *out, const char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		if (++i >= n)
			return -1;
		switch (s[i]) {
		case '\\': out[o++] = '\\'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'x':
			if (i + 2 >= n || herald_hexval(s[i + 1]) < 0 ||
			    herald_hexval(s[i + 2]) < 0)
				return -1;
			out[o++] = (char)(herald_hexval(s[i + 1]) * 16 + herald_hexval(s[i + 2]));
			i += 2;
			break;
		default: return -1;
		}
	}
	out[o] = '\0';
	return (long)o;
}

/* The next part of a tuple value v (n bytes, as received: still escaped).
 * Start with *pos = 0 and call while it returns 1: each call points *part
 * at the next part (*len bytes, maybe 0) and moves *pos past it. A value
 * without a literal TAB is one part; "a<TAB>" is "a" and "". Returns 0
 * after the last part. */
static inline int
herald_tuple_next(const char *v, size_t n, size_t *pos, const char **part, size_t *len)
{
	const char *tab;

	if (*pos > n)
		return 0;
	*part = *pos ? v + *pos : v; /* v may be NULL when n is 0 */
	tab = *pos < n ? memchr(*part, '\t', n - *pos) : NULL;
	*len = tab ? (size_t)(tab - *part) : n - *pos;
	*pos += *len + 1;
	return 1;
}

/* Writes word (n bytes) in double quotes so that the daemon's splitter
 * gives it back as one word: " and \ and newline, CR, TAB are escaped,
 * every other byte is left alone (a control byte or invalid UTF-8 stays
 * as it is, and the daemon refuses the request). Returns 0, or the first
 * negative put result. */
static inline int
herald_quote(const char *word, size_t n, herald_put_fn put, void *ctx)
{
	size_t i, start = 0;
	int rc;

	if ((rc = put(ctx, "\"", 1)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		char esc[2] = {'\\', 0};

		switch (word[i]) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default: continue;
		}
		if (i > start && (rc = put(ctx, word + start, i - start)) < 0)
			return rc;
		if ((rc = put(ctx, esc, 2)) < 0)
			return rc;
		start = i + 1;
	}
	if (n > start && (rc = put(ctx, word + start, n - start)) < 0)
		return rc;
	return put(ctx, "\"", 1);
}

/* Inside double quotes in a request, the byte "\c" stands for: \\ \" \'
 * \n \t \r; -1 for any other c (an error). */
static inline int
herald_unquote_char(char c)
{
	switch (c) {
	case '\\': return '\\';
	case '"': return '"';
	case '\'': return '\'';
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	default: return -1;
	}
}

#endif
