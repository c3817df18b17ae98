/* parse_repair: rewrites a not-well-formed XML document into a well-formed
 * one, for the parser's bozo recovery (internal to parse).
 *
 * A forgiving tokenizer: bare '&' and '<' in text are escaped, attribute
 * values are quoted, end tags that close nothing are dropped, end tags that
 * close an outer element close the inner ones first, and whatever is open at
 * the end is closed. Input is UTF-8. */
#ifndef HERALD_PARSE_REPAIR_H
#define HERALD_PARSE_REPAIR_H

#include <stddef.h>

#include "buf.h"

/* Appends the repaired document to out. Returns 0, or -1 when memory runs
 * out or nesting passes max_depth. */
int parse_repair(const char *in, size_t len, int max_depth, struct buf *out);

#endif
