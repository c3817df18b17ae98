/* tui_text: UTF-8 text measured in terminal cells, and word wrapping, for
 * herald tui. Widths are libc's wcwidth() under the UTF-8 locale the reader
 * sets up (a CJK ideograph or an emoji takes two cells, a combining mark
 * none); text is cleaned first (tt_clean), so no control byte reaches the
 * terminal. */
#ifndef HERALD_CLIENT_TUI_TEXT_H
#define HERALD_CLIENT_TUI_TEXT_H

#include <stddef.h>

/* The code point at s (n bytes available) into *cp; its byte length, or 0
 * at the end. Invalid UTF-8 reads as one byte of U+FFFD. */
size_t tt_next(const char *s, size_t n, unsigned *cp);
/* Cells of one code point: 0, 1 or 2 (non-printable: 1, it is drawn as
 * U+FFFD after tt_clean). */
int tt_cpwidth(unsigned cp);
/* Cells of the n bytes at s. */
size_t tt_width(const char *s, size_t n);
/* Bytes of the longest prefix of s (n bytes) at most cols cells wide, cut
 * between code points (a combining mark stays with its base); its width in
 * *used when used is not NULL. */
size_t tt_fit(const char *s, size_t n, size_t cols, size_t *used);

/* A malloc'd copy of s safe for the screen: newline kept when keep_nl,
 * every other control byte (and newline otherwise) a space, bad UTF-8
 * U+FFFD. */
char *tt_clean(const char *s, int keep_nl);

/* Cuts text (n bytes) into lines of at most width cells: at spaces, and
 * anywhere between two wide (CJK) characters; a word longer than the line is
 * cut where it fills it. A newline ends a line; blank lines are kept,
 * spaces at a break dropped. Calls fn for each line (bytes of s, not
 * NUL-terminated). */
typedef void (*tt_line_fn)(void *ctx, const char *line, size_t len);
void tt_wrap(const char *s, size_t n, size_t width, tt_line_fn fn, void *ctx);

#endif
