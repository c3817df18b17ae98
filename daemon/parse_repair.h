/* parse_repair: rewrites a not-well-formed XML document into a well-formed
 * one, for the parser's bozo recovery (internal to parse).
 *
 * A forgiving tokenizer: bare '&' and '<' in text are escaped, attribute
 * values are quoted, end tags that close nothing are dropped, end tags that
 * close an outer element close the inner ones first, whatever is open at the
 * end is closed, and a numeric character reference to a character XML
 * forbids (&#0;, &#xD800;, &#x110000;) becomes U+FFFD. Input is UTF-8. Time
 * and memory are linear in the input (tests/test_repair_linear.sh). */
#ifndef HERALD_PARSE_REPAIR_H
#define HERALD_PARSE_REPAIR_H

#include <stddef.h>

#include "buf.h"

/* Appends the repaired document to out; *bad_refs (may be NULL) is the
 * count of character references replaced. Returns 0, or -1 when memory
 * runs out or nesting passes max_depth. */
int parse_repair(const char *in, size_t len, int max_depth, struct buf *out, size_t *bad_refs);

#endif
