/* util: the client's small helpers. The client links nothing of the
 * daemon's (only include/herald/ is shared), so it keeps its own string
 * builder and JSON escaper. */
#ifndef HERALD_CLIENT_UTIL_H
#define HERALD_CLIENT_UTIL_H

#include <stddef.h>

/* A growable string, always NUL-terminated after the first append. A
 * zeroed struct is empty. Running out of memory ends the client (exit 1):
 * there is nothing useful a one-shot command could do instead. */
struct sb {
	char *data;
	size_t len, cap;
};

void sb_add(struct sb *b, const char *p, size_t n);
void sb_puts(struct sb *b, const char *s);
void sb_putc(struct sb *b, char c);
void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *sb_str(const struct sb *b);
void sb_free(struct sb *b);

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Appends s (n bytes) as a JSON string literal. Invalid UTF-8 becomes
 * U+FFFD, so the output is always valid UTF-8 JSON. */
void json_string(struct sb *b, const char *s, size_t n);
/* Length of the valid UTF-8 sequence at s (n bytes available), or 0. */
size_t utf8_len(const unsigned char *s, size_t n);

#endif
