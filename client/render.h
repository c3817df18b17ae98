/* render: a response as JSON (the scripting contract, docs/protocol.md),
 * as aligned text for people on a terminal (fitted to its width in cells:
 * width.h), or, when not a terminal, as tab-separated full fields for
 * scripts. Every value from the daemon is printed through width_clean (or
 * width_wrap), so no control character from a feed reaches the terminal. */
#ifndef HERALD_CLIENT_RENDER_H
#define HERALD_CLIENT_RENDER_H

#include <stdio.h>
#include <time.h>

#include "util.h"
#include "wire.h"

enum view {
	VIEW_ACTION, /* nothing on success, records (if any) as key: value */
	VIEW_STORIES,
	VIEW_ITEMS,
	VIEW_SEARCH,
	VIEW_SHOW,
	VIEW_FEEDS,
	VIEW_KV,
	VIEW_EXPORT,
	VIEW_IMPORT,
	VIEW_VERSION,
	VIEW_PURGE,
};

/* JSON shapes: a listing is an array of objects; a single thing is an
 * object (more records after the first become its "entries"); an action
 * without records prints {"ok":true}. */
enum shape { SHAPE_ARRAY, SHAPE_OBJECT, SHAPE_ACTION };

struct render_opts {
	int color;
	int width; /* terminal cells; 0: not a terminal (listings tab-separated,
		    * full fields; show unwrapped) */
	time_t now;
};

struct textdoc;

void render_json(const struct response *resp, enum shape shape, struct sb *out);
void render_human(const struct response *resp, enum view view, const struct render_opts *o,
		  FILE *fp);

/* show: the story (or item) of resp, each item's text wrapped to o->width
 * with its links numbered and listed under it, the items numbered 1/N as
 * `herald open STORY N` takes them. full (nfull responses, may be NULL)
 * holds `show --item` answers for the story's items: their whole text and
 * HTML replace the summaries of resp. */
void render_show(const struct response *resp, const struct response *full, size_t nfull,
		 const struct render_opts *o, FILE *fp);

/* An item record's body as text with numbered links: from its "html" when
 * it has one, else its "text". doc is zeroed by the caller; free it with
 * textdoc_free. */
void render_item_body(const struct record *item, struct textdoc *doc);

/* An id as people see it: kind 's' (story) or 'i' (item) then the number,
 * "s12", "i345". */
void render_id(char kind, const char *id, char *buf, size_t n);

/* "3h ago", "in 5m", "just now", "never" (t == 0), or a date for old times. */
const char *reltime(long long t, time_t now, char *buf, size_t n);

#endif
