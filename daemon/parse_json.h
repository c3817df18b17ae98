/* parse_json: JSON Feed 1.0 and 1.1 (jsonfeed.org), streamed with yajl
 * (internal to parse; see parse.h).
 *
 * parse.c chooses it by Content-Type or by the first byte of the body (see
 * parse.h) and hands it every chunk. Items are mapped to the same struct
 * parse_item as RSS and Atom and delivered through the parser's callback as
 * each item's object closes; the feed's fields go to the parser's
 * parse_meta. Limits are the parser's: PARSE_MAX_DEPTH nesting,
 * PARSE_MAX_FIELD bytes of one string, PARSE_MAX_ITEMS, PARSE_MAX_LIST.
 * A value of the wrong type for a field it names ("title": 5) is left out
 * and makes the feed bozo, with the field's path in the reason. */
#ifndef HERALD_PARSE_JSON_H
#define HERALD_PARSE_JSON_H

#include <stddef.h>

struct parse;
struct parse_json;

/* 1 when the Content-Type names JSON (application/feed+json, application/json,
 * any +json suffix, text/json), else 0. NULL is 0. */
int parse_json_type(const char *content_type);

/* A JSON reader writing into p (its meta, callback, error). NULL when memory
 * runs out. Freed with parse_json_free; p must outlive it. */
struct parse_json *parse_json_new(struct parse *p);

/* The next chunk of the body. 0, or -1 once the document failed (a JSON
 * syntax error, a limit, the callback stopped it): p's error says why. */
int parse_json_feed(struct parse_json *j, const char *s, size_t n);

/* Ends the document: 0 when a JSON Feed was read (possibly bozo, possibly
 * truncated), -1 with p's error set when none was. */
int parse_json_finish(struct parse_json *j);

void parse_json_free(struct parse_json *j);

#endif
