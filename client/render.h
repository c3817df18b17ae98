/* render: a response as JSON (the scripting contract in CONTRACTS.md) or as
 * aligned text for people. */
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
	int width; /* terminal columns, 0: don't truncate */
	time_t now;
};

void render_json(const struct response *resp, enum shape shape, struct sb *out);
void render_human(const struct response *resp, enum view view, const struct render_opts *o,
		  FILE *fp);

/* "3h ago", "in 5m", "just now", "never" (t == 0), or a date for old times. */
const char *reltime(long long t, time_t now, char *buf, size_t n);

#endif
