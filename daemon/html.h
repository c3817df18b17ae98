/* html: item HTML made safe and readable in one parse (docs/html.md).
 *
 * Pure: no loop, no I/O. Input is UTF-8 HTML as found in a feed (a fragment:
 * summary, content, or an Atom html/xhtml text construct). */
#ifndef HERALD_HTML_H
#define HERALD_HTML_H

#include <stddef.h>

/* Limits (docs/html.md "Limits"). Input longer than HTML_MAX_INPUT, a tree
 * deeper than HTML_MAX_DEPTH, an output (HTML or text) longer than
 * HTML_MAX_OUTPUT or a parse needing more than HTML_MAX_PARSE_MEM bytes of
 * parser memory makes html_clean fail with a reason. */
#define HTML_MAX_INPUT     (4u << 20)
#define HTML_MAX_DEPTH     256
#define HTML_MAX_OUTPUT    (4u << 20)
#define HTML_MAX_PARSE_MEM (256u << 20)
/* What reaches the HTML5 parser (docs/html.md "Limits"): attributes past
 * HTML_MAX_ATTRS on one element are left out, and the input ends before
 * the start tag past HTML_MAX_ELEMENTS; html_clean does not fail on
 * either. */
#define HTML_MAX_ATTRS    64
#define HTML_MAX_ELEMENTS 100000

struct html_result {
	char *html; /* sanitized HTML, well-formed, UTF-8; malloc'd */
	char *text; /* plain text: tags gone, blocks as line breaks, entities
		     * decoded, whitespace folded; malloc'd */
};

/* Sanitizes in (len bytes) with the allowlist policy and renders its text.
 * Relative href/src are resolved against base (may be NULL). Returns 0 and
 * fills out (free it with html_result_free), or -1 with a reason in err
 * (nesting or output limits, out of memory); out is then empty. */
int html_clean(const char *in, size_t len, const char *base, struct html_result *out, char *err,
	       size_t errlen);

/* html_clean always through gumbo. html_clean builds the tree of simple,
 * well-nested markup itself (the tree gumbo would build) and gives the same
 * result faster; tests and the fuzzer check the two agree. */
int html_clean_gumbo(const char *in, size_t len, const char *base, struct html_result *out,
		     char *err, size_t errlen);

/* Plain text of an HTML fragment only (no sanitized copy kept). Malloc'd;
 * NULL when memory runs out. Past the limits above the text is cut short
 * rather than refused: parts nested deeper than HTML_MAX_DEPTH are left out,
 * and the text stops at HTML_MAX_OUTPUT bytes. */
char *html_to_text(const char *in, size_t len);

void html_result_free(struct html_result *r);

/* The style attribute's value as the policy keeps it (the feedparser CSS
 * rules, docs/html.md "CSS"): malloc'd, "" when nothing is kept, NULL when
 * memory runs out. Exposed for tests. */
char *html_clean_style(const char *style);

#endif
