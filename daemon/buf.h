/* buf: a growable byte buffer, always NUL-terminated.
 *
 * A zeroed struct buf is an empty buffer. The buffer owns its memory:
 * buf_free() releases it, buf_detach() hands it to the caller (who frees it
 * with free()). Appends return 0, or -1 when memory runs out or the buffer
 * would pass its limit (buf.limit, 0 = none); on failure the buffer keeps
 * what it held before the call. */
#ifndef HERALD_BUF_H
#define HERALD_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data; /* NUL-terminated when len > 0 or after any append */
	size_t len;
	size_t cap;
	size_t limit; /* max len, 0 = unlimited */
};

int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Appends s (n bytes) as a JSON string literal, quotes included. Invalid
 * UTF-8 is replaced by U+FFFD so the output is always valid JSON. */
int buf_json_string(struct buf *b, const char *s, size_t n);
/* Length of the valid UTF-8 sequence at s (n bytes available): 1 to 4, or 0
 * for an invalid, overlong, surrogate or truncated sequence. */
size_t buf_utf8_len(const unsigned char *s, size_t n);
/* The same, with the code point in *cp when the sequence is valid. */
size_t buf_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
void buf_reset(struct buf *b);
/* Returns the data (never NULL: "" for an empty buffer, or NULL when even
 * that allocation fails) and leaves the buffer empty. Caller frees. */
char *buf_detach(struct buf *b);
void buf_free(struct buf *b);
/* The contents as a C string: "" for an empty buffer. Borrowed. */
const char *buf_str(const struct buf *b);

#endif
