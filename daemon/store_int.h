/* store_int: what store.c and store_query.c share. Not for other modules. */
#ifndef HERALD_STORE_INT_H
#define HERALD_STORE_INT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* Every statement the store runs, prepared once at open (SQL in store_sql.c). */
enum store_stmt {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_FEED_DEACTIVATE_ALL,
	S_FEED_SYNC,
	S_FEED_TAGS_CLEAR,
	S_FEED_TAG_ADD,
	S_FEED_STATUS,
	S_FEED_MOVED,
	S_FEED_HAS_ITEMS,
	S_FEED_EXISTS,
	S_FEED_DEL_STORIES,
	S_FEED_DEL_ITEMS,
	S_FEED_DEL_ROW,
	S_MERGE_DUPS,
	S_MERGE_READ,
	S_MERGE_STAR,
	S_MERGE_STORIES,
	S_MERGE_MOVE,
	S_FEED_RECOUNT,
	S_ITEM_DELETE,
	S_STORY_NITEMS,
	S_FTS_CATCHUP,
	S_FEEDS,
	S_FEEDS_STATE,
	S_ITEM_BY_KEY,
	S_ITEM_INSERT,
	S_ITEM_UPDATE,
	S_ITEM_STORY,
	S_ITEM_SET_STORY,
	S_STORY_ENSURE,
	S_STORY_REFRESH,
	S_STORY_RESOLVE,
	S_STORY_MOVE_ITEMS,
	S_STORY_MERGE_FLAGS,
	S_STORY_SET_MERGED,
	S_STORY_REPOINT,
	S_STORY_MAX_ID,
	S_RESTORE,
	S_STORIES,
	S_STORIES_UNREAD,
	S_STORY_ONE,
	S_STORY_OUTLETS,
	S_STORY_TAGS,
	S_STORY_FEEDS,
	S_ITEMS,
	S_ITEMS_UNREAD,
	S_ITEMS_FEED,
	S_ITEMS_FEED_UNREAD,
	S_ITEMS_STORY,
	S_ITEM_ONE,
	S_SEARCH,
	S_STATS,
	S_MARK_STORY_READ,
	S_MARK_STORY_STAR_ITEMS,
	S_MARK_STORY_STAR,
	S_MARK_ITEM_READ,
	S_MARK_ITEM_STAR,
	S_MARK_ALL_READ,
	S_STORY_DIGESTED,
	/* retention: ingest's side (store.c) */
	S_PURGED_GET,
	S_PURGED_TOUCH,
	S_FEED_LISTED,
	/* retention: the purge (store_purge.c) */
	S_PURGE_KEEP_CLEAR,
	S_PURGE_KEEP_ADD,
	S_PURGE_SCAN,
	S_PURGE_DOOMED_CLEAR,
	S_PURGE_DOOM,
	S_PURGE_REMEMBER,
	S_PURGE_DELETE,
	S_PURGE_DOOMED_STORIES,
	S_PURGE_STORY_HAS_ITEMS,
	S_PURGE_STORY_STUBS,
	S_PURGE_STORY_DELETE,
	S_PURGE_STORY_MAX,
	S_PURGE_STORY_GOES,
	S_PURGED_SCAN,
	S_PURGED_FORGET,
	S_USED_PAGES,
	S_FREE_PAGES,
	S_COUNT
};

extern const char *const store_stmt_sql[S_COUNT];
extern const char *const store_migrations[];
extern const size_t store_nmigrations;

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[S_COUNT];
	/* Work deferred to the end of the open transaction (store_commit):
	 * the first item id not yet in items_fts (0 = none), and the stories
	 * whose aggregates must be recomputed. */
	int64_t fts_from;
	int64_t *dirty;
	size_t ndirty, dirty_cap;
	/* Group commit (store_batch_open): a transaction left open across
	 * responses, each response a savepoint in it. */
	int batch, sp_depth;
	unsigned batch_count;
};

/* The temporary tables of a purge (store_purge.c), created at open: each
 * feed's cut-off times for one run, and one chunk's items. */
extern const char store_purge_temp_sql[];

/* Registers herald_listed(listed, feed, key) on st's handle (store_purge.c):
 * 1 when store_key_hash(feed, key) is in the blob feeds.listed. */
int store_purge_functions(struct store *st);

/* Reset and unbound statement id, ready to bind. */
sqlite3_stmt *store_stmt(struct store *st, enum store_stmt id);
/* Formats "what: sqlite's message" into err; returns -1. */
int store_fail(struct store *st, char *err, size_t errlen, const char *what);
/* Runs a statement with no result rows to completion (and resets it). */
int store_exec_stmt(struct store *st, sqlite3_stmt *s, char *err, size_t errlen, const char *what);
/* Binds s as text, "" for NULL (column values) / SQL NULL (filters). */
int store_bind_str(sqlite3_stmt *s, int i, const char *v);
int store_bind_opt(sqlite3_stmt *s, int i, const char *v);

/* Before a write a client asked for: commits an open batch (outside a
 * response's savepoint), so the write is durable when it returns. */
int store_client_write(struct store *st, char *err, size_t errlen);
/* Begins a transaction unless one is open; *own says whether to end it. */
int store_tx_auto(struct store *st, int *own, char *err, size_t errlen);
/* After some of its items went (store_purge.c): story id is refreshed, or,
 * with none left, deleted with the ids merged into it, its id kept as the
 * largest gone so that it is never given again (*deleted 1). In the
 * caller's transaction. */
int store_story_settle(struct store *st, int64_t id, int *deleted, char *err, size_t errlen);
int store_tx_end(struct store *st, int own, int rc, char *err, size_t errlen);

/* A bump allocator owning every string and array of one result list. */
struct store_arena;
struct store_arena *store_arena_new(void);
void store_arena_free(struct store_arena *a);
void *store_arena_alloc(struct store_arena *a, size_t n);
/* Copies column col of s (text, "" for NULL); NULL when memory runs out. */
const char *store_arena_col(struct store_arena *a, sqlite3_stmt *s, int col);
/* Appends one element of size sz to the growable array *v (n, *cap):
 * returns it zeroed, or NULL. Arrays live in the arena. */
void *store_arena_push(struct store_arena *a, void **v, size_t *n, size_t *cap, size_t sz);

/* store_fts.c: the "herald" FTS5 tokenizer of items_fts (unicode61 with
 * each CJK character a token). */
#define STORE_FTS_TOKENIZER "herald"
/* Whether code point cp is one the tokenizer makes a token of its own. */
int store_fts_is_cjk(unsigned cp);

#endif
