/* textdoc: an item's sanitized HTML (the daemon's `html` field) as plain
 * text for a terminal, its links numbered inline ("the ruling [1]") and
 * listed, for `herald show` and `herald tui` (issue 23).
 *
 * Block elements (p, div, h1-h6, blockquote, pre, tables, lists) become
 * paragraphs separated by one empty line, li a "• " paragraph, br a line
 * break; white space is collapsed as a browser does (kept inside pre);
 * an image with alt text is "[image: ALT]". A link (a href) to http, https
 * or mailto gets " [N]" after its text, N counting from 1 in the document
 * (the same URL twice keeps its first number); other schemes (javascript:,
 * data:, file:) are never listed. The text is meant for width_wrap
 * (width.h): paragraphs are separated by "\n\n", line breaks by "\n". */
#ifndef HERALD_CLIENT_TEXTDOC_H
#define HERALD_CLIENT_TEXTDOC_H

#include <stddef.h>

#include "util.h"

struct textdoc {
	struct sb text; /* the text, NUL-terminated (may be empty) */
	char **links;   /* links[i] is link [i + 1], malloc'd */
	size_t nlinks;
};

/* Fills d (zeroed by the caller) from html (n bytes). Returns 0, or -1 when
 * the HTML parser failed (d then holds nothing). */
int textdoc_from_html(struct textdoc *d, const char *html, size_t n);
void textdoc_free(struct textdoc *d);

/* Whether url is one a terminal user may be sent to: http, https or
 * mailto (case-insensitive scheme). */
int textdoc_link_ok(const char *url);

#endif
