/* ingest: one response's items into the store, with their stories.
 *
 * The body streams through the parser as it arrives (on the thread pool,
 * one call at a time, never on the loop thread: docs/design.md); each
 * item is copied as it closes (the parser forgets it) and the whole response
 * is written at the end, atomically, so a failed or interrupted poll leaves
 * the store as it was. Holding a response's items until its end lets other
 * feeds' responses be stored while this one is still arriving, and lets the
 * daemon store it on a worker thread (docs/design.md). */
#ifndef HERALD_INGEST_H
#define HERALD_INGEST_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct story_index;
struct parse_item;
struct parse_meta;

struct ingest_counts {
	unsigned items; /* in the document */
	unsigned added, changed, unchanged;
	unsigned purged; /* not stored: retention removed them before */
	unsigned merges; /* stories merged into others */
	unsigned folded; /* items the story index took: when storing then
			  * fails, the index is ahead of the store and
			  * must be rebuilt from it */
};

struct ingest;

/* feed_id, content_type and url are copied. now is the fetch time (Unix
 * seconds). NULL when memory runs out. */
struct ingest *ingest_new(const char *feed_id, const char *content_type, const char *url,
			  int64_t now);

/* The parse of this response may take at most budget_ms of CPU time (0,
 * the default: no limit), counted over the ingest_feed and ingest_end calls
 * on whichever threads they run. Once past it (checked as each item closes
 * and at the end of each call) the parse stops and those calls fail with
 * "parsing took more than its CPU budget...": nothing is to be stored. */
void ingest_set_budget(struct ingest *in, unsigned budget_ms);

/* Feeds one body chunk to the parser. 0, or -1 with the reason in err (the
 * document is beyond repair or a limit was hit). */
int ingest_feed(struct ingest *in, const char *data, size_t len, char *err, size_t errlen);

/* Hands over one item as the parser would (copied): for the retention
 * benchmark and tests, which make items without writing a document. 0, or
 * -1 when memory runs out. */
int ingest_item(struct ingest *in, const struct parse_item *it);

/* Ends the document (the parser's last items close here). 0, or -1 with
 * the reason in err: nothing is to be stored then. */
int ingest_end(struct ingest *in, char *err, size_t errlen);

/* Stores every item of an ended document atomically: one savepoint in the
 * store's open batch (store_batch_open), else one transaction; new items
 * are folded into stories in time order. Each item is dated by its own
 * published, else updated date; undated items of a feed's first stored
 * poll by the feed's own date; others by now (ingest.c says why). st and idx are borrowed for the
 * call only: the daemon may replace its story index (after a failed
 * commit) or its store (a database file replaced underneath) while a
 * response is still arriving. Touches nothing but in, st and idx, so the
 * daemon runs it on a worker thread. 0, or -1 with the reason in err;
 * nothing of this response is stored then. */
int ingest_store(struct ingest *in, struct store *st, struct story_index *idx,
		 struct ingest_counts *counts, char *err, size_t errlen);

/* The feed's metadata (title, ttl, bozo), valid until ingest_free. */
const struct parse_meta *ingest_meta(const struct ingest *in);

void ingest_free(struct ingest *in);

/* Seconds of an itunes:duration ("3723", "62:03", "1:02:03") or a JSON Feed
 * duration_in_seconds ("61.5" is 61); 0 when unreadable. */
int64_t ingest_duration(const char *s);

#endif
