/* store: the SQLite database, the only module that speaks SQL.
 *
 * Tables (schema and rationale in store_sql.c): feeds (one row per config
 * section, kept when the section goes away), items (UNIQUE(feed, key)),
 * stories (folded items; a merged story keeps its row with merged_into set
 * so an id a client holds still resolves), feed_tags, and items_fts, an
 * external-content FTS5 index over item title, summary and content text kept
 * in sync by triggers.
 *
 * Sources: store.c (open, migrations, transactions, ingest writes),
 * store_query.c (listings, search, marks), store_purge.c (retention),
 * store_sql.c (all SQL text).
 *
 * One struct store per process (not thread-safe; the daemon runs one loop).
 * Calls are synchronous; a listing of 50 stories with their outlets takes a
 * few milliseconds, a 304 status update tens of microseconds.
 * Every function returns 0 on success, -1 on error (message in err, naming
 * the operation), or STORE_ENOTFOUND where an id does not exist. Strings
 * passed in are borrowed for the call only. Results come back in list
 * structs whose strings all live in the list's own memory: free the list
 * with its *_free function, and nothing else (strings are never NULL: a
 * missing value reads ""). A failed call leaves the list empty; free it
 * after every call, success or not (a zeroed list is safe to free).
 *
 * Ingest, per feed response: store_begin; for each parsed item
 * store_item_upsert; for a NEW item ask the story index, then
 * store_story_merge for each story it merged and store_item_set_story;
 * store_feed_status; store_commit (store_rollback on any error: the database
 * keeps its previous state, and the story index must be rebuilt or the
 * response's assignments forgotten).
 *
 * Times are int64 Unix seconds, 0 = unknown. An item keeps apart when it was
 * published ("published": the date ingest gave it, see struct store_item)
 * and when herald first saw it ("first_seen": the fetch that inserted it).
 * Its "time" is the published time, or first_seen when the published time
 * is unknown or in the future of the fetch; stories order (and the story
 * index folds) by their items' times.
 *
 * Read state of a story is derived from its items: "new" when no item is
 * read, "read" when all are, "updated" otherwise (a late item joined a story
 * the user had read, or a read story merged with an unread one: the items
 * keep their own read marks across a merge). */
#ifndef HERALD_STORE_H
#define HERALD_STORE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct config_feed;

/* Codes a caller may act on; the message in err is for people. */
#define STORE_ENOTFOUND (-2) /* no row with that id */
#define STORE_EQUERY                                                                               \
	(-3) /* store_search: the query is malformed or                                            \
	      * has no words; err says why, alone */
/* The schema version this build writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 4

struct store;

/* Opens (creating if needed) and migrates the database at path: WAL,
 * busy_timeout, foreign keys, synchronous=NORMAL, every statement prepared.
 * A newer schema, a file that is not SQLite or a corrupt file gives -1 with
 * a message naming the file. */
int store_open(const char *path, struct store **out, char *err, size_t errlen);
void store_close(struct store *st);

/* 1 when the database file was deleted, renamed or replaced by another file
 * since store_open (writes would go to a file nobody will open again), else
 * 0. */
int store_file_moved(struct store *st);

/* The path given to store_open (borrowed). */
const char *store_path(const struct store *st);

/* ---- Transactions: everything for one feed response is atomic. ---- */
int store_begin(struct store *st, char *err, size_t errlen);
int store_commit(struct store *st, char *err, size_t errlen);
/* Safe to call with no transaction open. */
void store_rollback(struct store *st);

/* ---- Group commit ----
 * A cold start stores thousands of responses; one transaction each writes
 * the same index pages again and again. The daemon therefore opens a batch
 * (one transaction) and stores each response in it between
 * store_sp_begin and store_sp_commit. These are not SQL savepoints: inside
 * one, every statement that needs a statement journal (an UPDATE of a
 * column with a foreign key, an INSERT that fires a trigger) makes SQLite
 * walk the whole in-memory sub-journal when it ends, so a response of n
 * items cost O(n^2), 25 % of a cold start's CPU. store_sp_rollback (a
 * response failed halfway) therefore rolls the whole batch back and closes
 * it: the caller treats it as a failed flush. Failures inside a response are
 * rare (disk full, I/O errors, out of memory); most come at the commit,
 * which loses the batch anyway. store_batch_flush commits the batch. Single-statement writes (feed
 * status) join an open batch; store_begin and every write a client asks for
 * flush the batch first, so a mark is durable when its call returns.
 * Without an open batch the savepoint calls are plain transactions. */
int store_batch_open(struct store *st, char *err, size_t errlen);
/* Commits the open batch (no-op without one). On failure everything in it is
 * rolled back and -1 returned: the caller must forget what it believed
 * stored (validators, story assignments). */
int store_batch_flush(struct store *st, char *err, size_t errlen);
int store_batch_is_open(const struct store *st);
/* Savepoints released into the open batch since it began. */
unsigned store_batch_count(const struct store *st);
int store_sp_begin(struct store *st, char *err, size_t errlen);
int store_sp_commit(struct store *st, char *err, size_t errlen);
void store_sp_rollback(struct store *st);

/* ---- Feeds ---- */

/* Makes the feeds table match the configuration, in its own transaction
 * (fails if the caller holds one): new sections are added, existing rows get
 * the config's url/name/tags (a changed url drops the stored ETag and
 * Last-Modified, unless it is the feed's moved_url: feeds.conf now says
 * where a 301/308 moved it, and the move is over), rows whose section is
 * gone are marked inactive and keep their items. */
int store_feeds_sync(struct store *st, const struct config_feed *feeds, size_t nfeeds, char *err,
		     size_t errlen);

/* The outcome of one poll. One UPDATE (a 304 is cheap). */
struct store_feed_status {
	int64_t last_poll;
	int last_status;        /* HTTP status, 0 when the transfer failed */
	const char *last_error; /* NULL on success */
	const char *etag;       /* new validators; NULL keeps the stored one */
	const char *last_modified;
	int forget_validators; /* 1: drop the stored ones (the body was cut short) */
	const char *title;     /* the feed's own title; NULL keeps it */
	unsigned failures;     /* consecutive failures after this poll */
	int64_t next_poll;
};
int store_feed_status(struct store *st, const char *feed_id, const struct store_feed_status *fs,
		      char *err, size_t errlen);

/* *out = 1 when feed_id has stored items, else 0: ingest dates the undated
 * items of a feed's first stored poll (none yet) by the feed's own date.
 * One primary-key lookup (feeds.nitems, kept by trigger). STORE_ENOTFOUND. */
int store_feed_has_items(struct store *st, const char *feed_id, int *out, char *err, size_t errlen);

/* Records that a permanent redirect (301/308 only) moved the feed: it is
 * polled there from now on, until feeds.conf gives it a URL (the new one,
 * once the daemon rewrote the file, or another). The old URL's validators
 * are dropped. STORE_ENOTFOUND. */
/* A feed taken out of the configuration for good (herald remove): its items
 * go (the starred ones too with purge_starred), with their search index
 * rows; the stories they leave empty go, the others are recounted; the
 * feed's row and tags go once it has no item left. *deleted gets the items
 * deleted. In its own transaction (or the caller's). STORE_ENOTFOUND when
 * there is no such feed. The story index must then be rebuilt. */
int store_feed_delete(struct store *st, const char *feed_id, int purge_starred, int64_t *deleted,
		      char *err, size_t errlen);

int store_feed_moved(struct store *st, const char *feed_id, const char *url, char *err,
		     size_t errlen);

/* What store_feeds_merge did. */
struct store_merge_counts {
	int64_t moved;          /* items that became the other feed's */
	int64_t duplicates;     /* items both had: the moved feed's copy deleted */
	int64_t stories_merged; /* stories a deleted copy left empty, merged away */
};

/* Feed from moved onto feed into's URL (a permanent redirect to a feed
 * already subscribed): its items become into's, in one transaction. An
 * item both have (the same key: store_item_key) keeps into's row, read if
 * either copy was read and starred if either was starred; from's copy is
 * deleted, and a story that leaves empty is merged into the story of the
 * row kept (as store_story_merge: its id still resolves, its star and
 * digest carry over). Items that move keep their ids and stories (whose
 * outlets are recounted). from's row stays, with no items. The story
 * index is stale afterwards (items deleted, feeds changed): the caller
 * rebuilds it. out (may be NULL) gets the counts. 0; STORE_ENOTFOUND when
 * either feed does not exist; -1 when from is into or on error (nothing
 * changed). */
int store_feeds_merge(struct store *st, const char *from, const char *into,
		      struct store_merge_counts *out, char *err, size_t errlen);

struct store_feed {
	const char *id, *url;
	const char *name;  /* display name: config name, else feed title, else id */
	const char *title; /* the feed's own title, "" if unknown */
	const char *tags;  /* "world,uk" */
	int active;        /* 0 when no longer in the config */
	const char *etag, *last_modified, *last_error;
	int64_t last_poll, next_poll;
	int last_status;
	unsigned failures;
	int64_t nitems, nunread;
	const char *moved_url; /* where a 301/308 chain moved the feed, or "" */
};
struct store_feed_list {
	struct store_feed *v;
	size_t n;
	void *mem;
};
/* Every feed, active ones first, by id. feed_id non-NULL: only that feed
 * (STORE_ENOTFOUND if absent). */
int store_feeds(struct store *st, const char *feed_id, struct store_feed_list *out, char *err,
		size_t errlen);
/* Every feed as store_feeds gives them, but unread left 0: the daemon's
 * own view at start-up and reload, which must not read every item (with
 * 50,000 items that was 117,000 page reads on each warm start). */
int store_feeds_state(struct store *st, struct store_feed_list *out, char *err, size_t errlen);
void store_feed_list_free(struct store_feed_list *l);

/* ---- Items (ingest) ---- */

/* One parsed item. NULL strings are stored as "". */
struct store_item {
	const char *feed; /* feed id; the feed must exist */
	const char *guid; /* may be NULL/empty: see store_item_key */
	const char *link, *title, *author;
	int64_t published, updated; /* as the document says: part of the key
				     * and of the content hash */
	/* The item's publication date as ingest chose it (its published, else
	 * updated, else the feed's own date for a feed's first items); 0: use
	 * published. Stored as the published column. Not part of the key or
	 * hash: a feed's date changes with every poll. On a changed item it
	 * replaces the stored date only when the document gives a published
	 * date of its own or none was stored (an Atom <updated> moves with
	 * every edit; the date the item was first given stays). */
	int64_t date;
	const char *summary_html, *summary_text, *content_html, *content_text;
	int64_t fetched; /* fetch time: first_seen of a new item */
};

/* The item's identity within its feed: the guid, else the link, else "h:"
 * and a 64-bit hash of title and published time (and of the text when the
 * title is empty). Malloc'd, caller frees; NULL when memory runs out. */
char *store_item_key(const struct store_item *it);

/* The 64-bit hash that names an item (feed id and key) in the purged
 * table and in a feed's listed keys. */
uint64_t store_key_hash(const char *feed, const char *key);

enum store_upsert_status {
	STORE_ITEM_NEW,     /* inserted */
	STORE_ITEM_CHANGED, /* same key, new content: text updated, read/starred kept */
	STORE_ITEM_UNCHANGED,
	STORE_ITEM_PURGED, /* not stored: a purge removed it (item_id 0) */
};
struct store_upsert_result {
	enum store_upsert_status status;
	int64_t item_id;
	int64_t story_id;  /* current (resolved) story, 0 if none yet */
	int64_t time;      /* the item's time (see above) */
	uint64_t key_hash; /* store_key_hash of the item's feed and key */
};
int store_item_upsert(struct store *st, const struct store_item *it,
		      struct store_upsert_result *res, char *err, size_t errlen);

/* Records the items (their key hashes, in any order, repeats allowed) that
 * the feed's latest successful response listed: a purge keeps them. One
 * UPDATE, which writes only when the list changed; n = 0 (an empty
 * document, more likely a broken one) keeps the last list. */
int store_feed_listed(struct store *st, const char *feed_id, const uint64_t *hashes, size_t n,
		      char *err, size_t errlen);

/* ---- Stories (ingest) ---- */

/* Puts the item in story story_id (ids come from the story index), creating
 * the story row if needed and refreshing title/times/counts of the old and
 * new story. An id that was merged resolves to its survivor. */
int store_item_set_story(struct store *st, int64_t item_id, int64_t story_id, char *err,
			 size_t errlen);
/* Creates story id if missing and recomputes its title (earliest item's),
 * first/last seen, item and outlet counts from its items. */
int store_story_upsert(struct store *st, int64_t story_id, char *err, size_t errlen);
/* Merges story from into story into: from's items move, from.merged_into =
 * into (and stories merged into from now point at into), starred and
 * digested become the OR of both (a digest never repeats a story id),
 * aggregates recomputed. Merging a story into itself is a no-op. */
int store_story_merge(struct store *st, int64_t into, int64_t from, char *err, size_t errlen);
/* The surviving story for id (itself when not merged). STORE_ENOTFOUND. */
int store_story_resolve(struct store *st, int64_t id, int64_t *out, char *err, size_t errlen);
/* The largest story id ever stored (0 for none): seed for the story index. */
int store_story_max_id(struct store *st, int64_t *out, char *err, size_t errlen);

/* Restore: the items whose time is >= since (only the newest `newest` of
 * them unless it is 0), in time order (then id), with their resolved story
 * ids (0 = none). The row is borrowed for the callback; a non-zero return
 * from cb stops the walk and is returned. */
struct store_restore_row {
	int64_t item_id, time, story_id;
	const char *feed, *title, *link;
	const char *text; /* summary text, else content text */
};
typedef int (*store_restore_cb)(const struct store_restore_row *row, void *user);
int store_restore_items(struct store *st, int64_t since, size_t newest, store_restore_cb cb,
			void *user, char *err, size_t errlen);

/* ---- Reading (control socket) ---- */

/* Filters shared by stories and items listings. A zeroed filter lists
 * unread entries, any feed, newest first, STORE_DEFAULT_LIMIT of them. */
struct store_filter {
	int all;          /* 0: only entries with unread items */
	int starred;      /* only starred ones */
	int undigested;   /* only stories not yet digested (items: of such stories) */
	const char *feed; /* feed id or NULL */
	const char *tag;  /* a feed tag or NULL */
	int64_t since;    /* last_seen (items: time) >= since; 0 = any */
	int64_t before;   /* last_seen (items: time) < before; 0 = any */
	unsigned limit;   /* 0 = STORE_DEFAULT_LIMIT; STORE_NO_LIMIT = all */
	unsigned offset;
	int64_t story; /* items only: of this story (a surviving id, see
			* store_story_resolve); 0 = any */
};
#define STORE_DEFAULT_LIMIT 50
#define STORE_NO_LIMIT      UINT_MAX

enum store_state { STORE_STATE_NEW, STORE_STATE_UPDATED, STORE_STATE_READ };
const char *store_state_name(enum store_state s); /* "new", "updated", "read" */

/* A story lists at most this many of its items as outlets, the earliest
 * first: a story folded from tens of thousands of items would otherwise
 * make one listing megabytes long (bench/soak found it). Its items are all
 * reachable with store_items (filter story). */
#define STORE_STORY_OUTLET_ROWS 100

/* One item of a story, as an outlet that carried it. */
struct store_outlet {
	int64_t item_id, time, published, first_seen;
	const char *feed, *feed_name;
	const char *title, *link;
	const char *text; /* plain text; filled by store_story_get only, else "" */
	int read, starred;
};
struct store_story {
	int64_t id;
	const char *title;
	enum store_state state;
	int starred, digested;
	int64_t first_seen, last_seen;
	int64_t nitems, nunread, noutlets; /* noutlets: distinct feeds */
	struct store_outlet *outlets;      /* by time; nitems of them, at most
					    * STORE_STORY_OUTLET_ROWS */
	size_t noutlet_rows;
	const char **tags; /* distinct tags of its feeds, sorted */
	size_t ntags;
	const char **feeds; /* distinct feed ids, sorted */
	size_t nfeeds;
};
struct store_story_list {
	struct store_story *v;
	size_t n;
	void *mem;
};
/* Stories (not merged ones) matching f, newest first by last_seen. */
int store_stories(struct store *st, const struct store_filter *f, struct store_story_list *out,
		  char *err, size_t errlen);
/* One story in full (merged ids resolve; out->v[0].id is the survivor),
 * outlets with their text. STORE_ENOTFOUND. */
int store_story_get(struct store *st, int64_t id, struct store_story_list *out, char *err,
		    size_t errlen);
void store_story_list_free(struct store_story_list *l);

struct store_item_row {
	int64_t id, story_id;
	const char *feed, *feed_name, *guid, *link, *title, *author;
	int64_t published, updated, first_seen, time;
	int read, starred;
	const char *summary_text;
	/* Filled by store_item_get only, else "". */
	const char *summary_html, *content_html, *content_text;
};
struct store_item_list {
	struct store_item_row *v;
	size_t n;
	void *mem;
};
/* Items matching f, newest first by time. */
int store_items(struct store *st, const struct store_filter *f, struct store_item_list *out,
		char *err, size_t errlen);
/* One item in full. STORE_ENOTFOUND. */
int store_item_get(struct store *st, int64_t id, struct store_item_list *out, char *err,
		   size_t errlen);
void store_item_list_free(struct store_item_list *l);

/* Full-text search. The query is the user's words: each bare word is
 * quoted (so punctuation never breaks the syntax), "a phrase" stays a
 * phrase, word* is a prefix search, AND/OR/NOT and parentheses are kept as
 * operators. A query FTS5 still cannot parse ("AND x", "(x") gives -1 with
 * the reason. limit as in struct store_filter. Hits are ranked by bm25 (title weighs most); the
 * snippet marks matches with mark_open/mark_close (NULL: "[" and "]"). */
struct store_hit {
	int64_t item_id, story_id, time;
	const char *feed, *feed_name, *title, *link;
	const char *snippet;
	double rank; /* bm25: lower is better */
	int read;
};
struct store_hit_list {
	struct store_hit *v;
	size_t n;
	void *mem;
};
int store_search(struct store *st, const char *query, const char *mark_open, const char *mark_close,
		 unsigned limit, unsigned offset, struct store_hit_list *out, char *err,
		 size_t errlen);
void store_hit_list_free(struct store_hit_list *l);

/* The FTS5 expression store_search runs for query; malloc'd (tests, logs).
 * -word (or -"a phrase") excludes: "a b -c -d" is (a b) NOT c NOT d. A
 * query of exclusions only gives "" (store_search: "nothing to find"). */
char *store_fts_query(const char *query);

/* Registers the "herald" FTS5 tokenizer of items_fts (store_fts.c) on db:
 * store_open does; a connection opened another way (tests, tools) must
 * before it touches items_fts. SQLITE_OK or an SQLite error code. */
struct sqlite3;
int store_fts_register(struct sqlite3 *db);

struct store_stats {
	int64_t feeds, active_feeds, items, unread, starred, stories;
	int64_t db_bytes; /* page_count * page_size */
};
int store_stats(struct store *st, struct store_stats *out, char *err, size_t errlen);

/* ---- Retention (store_purge.c) ----
 *
 * A purge removes the items the policy lets go, with their search rows
 * (items_fts's triggers), the stories left without items (and the ids
 * merged into them), and remembers each item's key hash in purged, so that
 * store_item_upsert never stores it again (STORE_ITEM_PURGED). It runs in
 * chunks (store_purge_step), each its own transaction of at most max_rows
 * items, so that the daemon's worker gives the store back between them:
 *
 *   1. the policy: each feed's cut-off times into a temporary table;
 *   2. items, in time order: a chunk deletes up to max_rows of them (and
 *      scans at most 8 times as many), then refreshes or deletes their
 *      stories;
 *   3. the search index merges away the removed items' terms (FTS5 keeps
 *      them as delete markers until a merge), max_rows pages a chunk, at
 *      most 4 pages per item removed;
 *   4. the purged hashes not seen for the longest keep of the run expire
 *      (8 * max_rows scanned a chunk);
 *   5. PRAGMA incremental_vacuum gives the freed pages back to the file
 *      system, 2 * max_rows pages a chunk.
 *
 * An item goes when it is not starred (nor its story), was first seen
 * before now - spare, is older (by its time) than its feed's keep_read
 * when read or keep_unread when unread (0: kept forever), and its feed's
 * latest successful response did not list it (store_feed_listed), or the
 * feed is no longer in the configuration. A dry run (dry_run) runs steps 1
 * and 2 without changing anything and counts what would go. The purged
 * hashes are forgotten once unseen (neither purged nor listed again) for
 * the longest keep of the run: an item a feed lists again after that comes
 * back as new. */

/* The keeps of one feed, in seconds; 0 keeps forever. */
struct store_keep {
	const char *feed;
	unsigned keep_read, keep_unread;
};

struct store_purge_policy {
	int64_t now;                     /* Unix seconds */
	unsigned keep_read, keep_unread; /* feeds not in feeds[] (gone from the config) */
	const struct store_keep *feeds;  /* borrowed for store_purge_begin only */
	size_t nfeeds;
	/* Seconds: nothing first seen since now - spare goes. The daemon
	 * gives the story index's window and a day, so the index never
	 * holds a purged item. */
	unsigned spare;
	int dry_run;
};

struct store_purge_counts {
	int64_t items;   /* removed (dry run: would be) */
	int64_t stories; /* removed, all their items gone (dry run: would be) */
	/* Database pages no longer used, in bytes (page_count - freelist_count
	 * before and after each chunk's deletes); a dry run gives the size of
	 * the items' text instead (their index and search rows come on top). */
	int64_t bytes;
	int64_t forgotten; /* purged hashes expired */
	int64_t vacuumed;  /* bytes given back to the file system */
	unsigned chunks;
	int64_t chunk_max_us; /* the longest chunk */
};

struct store_purge;

/* A run of the policy (copied, feeds included). 0 and *out, or -1. */
int store_purge_begin(const struct store_purge_policy *p, struct store_purge **out, char *err,
		      size_t errlen);
/* One chunk on st (the same store for every chunk of a run): 1 when there
 * is more to do, 0 when the run is over, -1 with err (what the chunk did is
 * rolled back; the run may be stepped again or freed). */
int store_purge_step(struct store *st, struct store_purge *pg, unsigned max_rows, char *err,
		     size_t errlen);
/* What the run did so far. Borrowed. */
const struct store_purge_counts *store_purge_counts(const struct store_purge *pg);
void store_purge_free(struct store_purge *pg);

/* ---- Marking (control socket) ---- */

enum store_mark { STORE_MARK_READ, STORE_MARK_UNREAD, STORE_MARK_STAR, STORE_MARK_UNSTAR };

/* Marks every item of the story (star/unstar also mark the story itself).
 * A merged id resolves to its survivor, returned in *resolved (may be NULL).
 * STORE_ENOTFOUND. */
int store_mark_story(struct store *st, int64_t id, enum store_mark m, int64_t *resolved, char *err,
		     size_t errlen);
int store_mark_item(struct store *st, int64_t id, enum store_mark m, char *err, size_t errlen);
/* Marks read every unread item, of one feed when feed is non-NULL, with
 * time < before when before is non-zero. *changed (may be NULL) gets the
 * count. */
int store_mark_all_read(struct store *st, const char *feed, int64_t before, int64_t *changed,
			char *err, size_t errlen);
/* Marks a story digested (merged ids resolve). STORE_ENOTFOUND. */
int store_story_set_digested(struct store *st, int64_t id, char *err, size_t errlen);

#endif
