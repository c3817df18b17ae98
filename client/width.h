/* width: UTF-8 text measured, cut and wrapped in terminal cells, for the
 * herald client and `herald tui` (issue 23).
 *
 * A terminal shows a grapheme cluster (a letter and its combining marks,
 * an emoji and its modifiers) in 0, 1 or 2 cells: East Asian wide and
 * fullwidth characters (CJK, kana, hangul) and emoji take 2, combining
 * marks join the cell before them. Widths come from utf8proc
 * (utf8proc_charwidth, grapheme breaks), so they do not depend on the
 * locale the client runs in.
 *
 * Every function takes text that may hold anything (it came from a feed):
 * invalid UTF-8 counts as U+FFFD (1 cell) and control characters are never
 * measured as data: callers print text through width_clean (one line) or
 * width_wrap (paragraphs) first, which make them visible instead of
 * letting them move the cursor or change the terminal.
 *
 * Output goes to a struct sb (util.h): nothing here fails (running out of
 * memory ends the client, as everywhere in it). */
#ifndef HERALD_CLIENT_WIDTH_H
#define HERALD_CLIENT_WIDTH_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Cells of one code point: 0 (combining, zero-width), 1 or 2; control
 * characters (C0, DEL, C1) count 0 (they must not reach a terminal). */
int width_cp(int32_t cp);

/* Decodes the code point at s (n > 0 bytes available) into *cp and returns
 * its byte length; an invalid sequence is one byte decoding to U+FFFD. */
size_t width_decode(const char *s, size_t n, int32_t *cp);

/* Length in bytes of the grapheme cluster at s (n > 0 bytes), and its
 * cells in *cells: the widest of its code points, 2 for an emoji
 * presentation selector (U+FE0F) or a regional-indicator pair (a flag). */
size_t width_cluster(const char *s, size_t n, int *cells);

/* Cells of s (n bytes). */
size_t width_of(const char *s, size_t n);
/* Cells of the NUL-terminated s. */
size_t width_str(const char *s);

/* Bytes of the longest prefix of s (n bytes) that fits in cols cells, cut
 * between clusters (never inside one); its cells in *used when not NULL. */
size_t width_prefix(const char *s, size_t n, size_t cols, size_t *used);

/* Appends s (n bytes) for one line of a terminal: CR, LF and TAB become a
 * space, other C0 controls and DEL caret-escaped ("^[" for ESC, "^?"),
 * C1 controls (U+0080..U+009F) and U+2028/U+2029 as "<U+009B>", invalid
 * UTF-8 as U+FFFD. The result has no byte that moves the cursor or
 * starts an escape sequence (issue 28: titles with newlines and controls
 * in `show`). */
void width_clean(struct sb *out, const char *s, size_t n);

/* Appends s (clean: see width_clean) cut to cols cells: unchanged when it
 * fits, else its longest prefix that fits in cols - 1 cells then "…"
 * (U+2026, one cell). With pad, spaces follow up to exactly cols cells.
 * Returns the cells appended. cols 0 appends nothing. */
size_t width_fit(struct sb *out, const char *s, size_t cols, int pad);

/* Appends s (clean) right-aligned in cols cells (cut like width_fit when
 * longer). Returns the cells appended. */
size_t width_rpad(struct sb *out, const char *s, size_t cols);

/* Lines of wrapped text: v[0..n), each malloc'd, NUL-terminated, clean
 * (width_clean) and at most the wrap width in cells. Free with
 * width_lines_free. */
struct width_lines {
	char **v;
	size_t n, cap;
};

/* Wraps text (n bytes) to cols cells (cols >= 1) into out, appending to
 * what it holds. Each '\n' ends a paragraph (an empty line stays an empty
 * line); inside one, runs of spaces and TABs are break points and are not
 * carried to the start of a line; a wide character (CJK) may break before
 * or after it, as may a word longer than the line (cut between clusters).
 * indent (may be NULL) starts every line and counts in its width. */
void width_wrap(struct width_lines *out, const char *text, size_t n, size_t cols,
		const char *indent);
void width_lines_free(struct width_lines *l);

/* s case-folded (Unicode: Новости and новости, İ and i̇, Straße and
 * STRASSE fold the same) and NFC-composed, malloc'd; invalid UTF-8 is
 * copied as it is. For comparing names (tags) in every script. */
char *width_casefold(const char *s);

#endif
