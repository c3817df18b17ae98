/* store_sql: the schema migrations and every statement's SQL text.
 *
 * Schema notes:
 * - items.guid holds the item's key (store_item_key): the guid, else the
 *   link, else a hash; UNIQUE(feed, guid) makes a re-poll idempotent.
 * - items.published is the item's publication date as ingest chose it
 *   (struct store_item's date: published, else updated, else the feed's
 *   date for a feed's first items), first_seen when herald first fetched it.
 * - items.time is the item's ordering time (published, clamped to the fetch
 *   time: a future date is the fetch time); stories take first/last seen
 *   from their items' times, and the story index folds by it.
 * - items.hash is a 64-bit hash of the item's content, so a re-poll of an
 *   unchanged item costs one indexed SELECT and no write.
 * - stories.id comes from the story index (not AUTOINCREMENT): the daemon
 *   seeds the index with MAX(id). A merged story keeps its row with
 *   merged_into pointing at the survivor (always one hop: merges repoint).
 * - items_fts is an external-content FTS5 table over items, kept in step by
 *   triggers, so the text is stored once.
 * - Every column a listing filters or orders on has an index; the listing
 *   statements use "(?N IS NULL OR ...)" so each is prepared once.
 * - items_story and items_story_feed let a story's aggregates (earliest
 *   title, first/last seen, distinct feeds, unread count) be read from
 *   indexes without temporary b-trees: refreshing a story on every new item
 *   must stay a few microseconds. */
#include "store.h"
#include "store_int.h"

/* Migration N (0-based) takes user_version N to N + 1. Append only. */
const char *const store_migrations[] = {
	/* 1: the initial schema. */
	"CREATE TABLE feeds ("
	" id TEXT PRIMARY KEY,"
	" url TEXT NOT NULL,"
	" moved_url TEXT,"
	" name TEXT,"
	" title TEXT NOT NULL DEFAULT '',"
	" tags TEXT NOT NULL DEFAULT '',"
	" active INTEGER NOT NULL DEFAULT 1,"
	" etag TEXT,"
	" last_modified TEXT,"
	" last_poll INTEGER NOT NULL DEFAULT 0,"
	" last_status INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT,"
	" failures INTEGER NOT NULL DEFAULT 0,"
	" next_poll INTEGER NOT NULL DEFAULT 0,"
	" nitems INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE feed_tags ("
	" tag TEXT NOT NULL COLLATE NOCASE,"
	" feed TEXT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,"
	" PRIMARY KEY (tag, feed)) WITHOUT ROWID;"
	"CREATE INDEX feed_tags_feed ON feed_tags(feed);"
	"CREATE TABLE stories ("
	" id INTEGER PRIMARY KEY,"
	" title TEXT NOT NULL DEFAULT '',"
	" first_seen INTEGER NOT NULL DEFAULT 0,"
	" last_seen INTEGER NOT NULL DEFAULT 0,"
	" nitems INTEGER NOT NULL DEFAULT 0,"
	" noutlets INTEGER NOT NULL DEFAULT 0,"
	" starred INTEGER NOT NULL DEFAULT 0,"
	" digested INTEGER NOT NULL DEFAULT 0,"
	" merged_into INTEGER REFERENCES stories(id));"
	"CREATE INDEX stories_live ON stories(last_seen, id) WHERE merged_into IS NULL;"
	"CREATE INDEX stories_merged ON stories(merged_into) WHERE merged_into IS NOT NULL;"
	"CREATE TABLE items ("
	" id INTEGER PRIMARY KEY,"
	" feed TEXT NOT NULL REFERENCES feeds(id),"
	" guid TEXT NOT NULL,"
	" link TEXT NOT NULL DEFAULT '',"
	" title TEXT NOT NULL DEFAULT '',"
	" author TEXT NOT NULL DEFAULT '',"
	" published INTEGER NOT NULL DEFAULT 0,"
	" updated INTEGER NOT NULL DEFAULT 0,"
	" summary_html TEXT NOT NULL DEFAULT '',"
	" summary_text TEXT NOT NULL DEFAULT '',"
	" content_html TEXT NOT NULL DEFAULT '',"
	" content_text TEXT NOT NULL DEFAULT '',"
	" first_seen INTEGER NOT NULL,"
	" time INTEGER NOT NULL,"
	" read INTEGER NOT NULL DEFAULT 0,"
	" starred INTEGER NOT NULL DEFAULT 0,"
	" story_id INTEGER REFERENCES stories(id),"
	" hash INTEGER NOT NULL,"
	" UNIQUE (feed, guid));"
	"CREATE INDEX items_story ON items(story_id, time);"
	"CREATE INDEX items_story_feed ON items(story_id, feed, read);"
	"CREATE INDEX items_time ON items(time, id);"
	"CREATE INDEX items_feed ON items(feed, time);"
	/* Small partial indexes for the counts of feeds and stats. */
	"CREATE INDEX items_unread ON items(feed) WHERE read = 0;"
	"CREATE INDEX items_starred ON items(story_id) WHERE starred = 1;"
	"CREATE VIRTUAL TABLE items_fts USING fts5(title, summary_text, content_text,"
	" content='items', content_rowid='id', tokenize='unicode61 remove_diacritics 2');"
	/* New items reach items_fts in one statement per transaction
	 * (S_FTS_CATCHUP, see store.c): FTS5 flushes its pending terms at
	 * every statement that writes it, so a row at a time costs a segment
	 * per item. */
	"CREATE TRIGGER items_ai AFTER INSERT ON items BEGIN"
	" UPDATE feeds SET nitems = nitems + 1 WHERE id = new.feed;"
	"END;"
	"CREATE TRIGGER items_ad AFTER DELETE ON items BEGIN"
	" INSERT INTO items_fts(items_fts, rowid, title, summary_text, content_text)"
	"  VALUES ('delete', old.id, old.title, old.summary_text, old.content_text);"
	" UPDATE feeds SET nitems = nitems - 1 WHERE id = old.feed;"
	"END;"
	"CREATE TRIGGER items_au AFTER UPDATE OF title, summary_text, content_text ON items BEGIN"
	" INSERT INTO items_fts(items_fts, rowid, title, summary_text, content_text)"
	"  VALUES ('delete', old.id, old.title, old.summary_text, old.content_text);"
	" INSERT INTO items_fts(rowid, title, summary_text, content_text)"
	"  VALUES (new.id, new.title, new.summary_text, new.content_text);"
	"END;",
	/* 2: unread listings that stay fast after months. Listing unread
	 * stories or items walked the time index past every read row newer
	 * than the page (0.3-0.5 s at 500,000 items, all read): stories now
	 * count their unread items and partial indexes hold only what is
	 * unread. The count is recomputed with the other counts when a story
	 * is refreshed (every change of an item's story passes there); marks
	 * keep it by trigger. */
	"ALTER TABLE stories ADD COLUMN nunread INTEGER NOT NULL DEFAULT 0;"
	"UPDATE stories SET nunread = (SELECT COUNT(*) FROM items i"
	" WHERE i.story_id = stories.id AND i.read = 0)"
	" WHERE id IN (SELECT story_id FROM items WHERE read = 0);"
	"CREATE INDEX stories_unread ON stories(last_seen, id)"
	" WHERE merged_into IS NULL AND nunread > 0;"
	"CREATE INDEX items_unread_time ON items(time, id) WHERE read = 0;"
	"CREATE TRIGGER items_unread_au AFTER UPDATE OF read ON items"
	" WHEN old.read <> new.read AND new.story_id IS NOT NULL BEGIN"
	" UPDATE stories SET nunread = nunread + CASE WHEN new.read = 0 THEN 1 ELSE -1 END"
	"  WHERE id = new.story_id;"
	"END;"
	"CREATE TRIGGER items_unread_ad AFTER DELETE ON items"
	" WHEN old.read = 0 AND old.story_id IS NOT NULL BEGIN"
	" UPDATE stories SET nunread = nunread - 1 WHERE id = old.story_id;"
	"END;",
	/* 3: retention (store_purge.c). purged remembers the items a purge
	 * removed, as one 64-bit hash of feed and key each (store_key_hash)
	 * and when a purge or a poll last saw it, so that a poll never stores
	 * them again; feeds.listed holds the key hashes of the feed's latest
	 * successful response (sorted, 8 bytes each, little-endian): those
	 * items are never purged, so nothing the feed still lists comes back
	 * as new. meta keeps the largest story id a purge removed: new stories
	 * must never reuse the id of one a client may still hold. The switch
	 * to incremental auto-vacuum (a VACUUM, outside any transaction) is
	 * store.c's, after the migrations. */
	"CREATE TABLE purged (hash INTEGER PRIMARY KEY, seen INTEGER NOT NULL);"
	"ALTER TABLE feeds ADD COLUMN listed BLOB;"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;",
	/* 4 (issue 23, search in every script): items_fts with the "herald"
	 * tokenizer (store_fts.c: unicode61, each CJK character a token, so
	 * that 地震 is found inside 東京で地震が発生), rebuilt from items. The
	 * triggers name the table, not its tokenizer: they stay. */
	"DROP TABLE items_fts;"
	"CREATE VIRTUAL TABLE items_fts USING fts5(title, summary_text, content_text,"
	" content='items', content_rowid='id', tokenize='" STORE_FTS_TOKENIZER "');"
	"INSERT INTO items_fts(items_fts) VALUES ('rebuild');",
};
const size_t store_nmigrations = sizeof store_migrations / sizeof store_migrations[0];
_Static_assert(sizeof store_migrations / sizeof store_migrations[0] == STORE_SCHEMA_VERSION,
	       "STORE_SCHEMA_VERSION must count the migrations");

/* The display name of feed f. */
#define FEED_NAME "COALESCE(NULLIF(f.name, ''), NULLIF(f.title, ''), f.id)"

/* Story columns: id, title, first_seen, last_seen, nitems, noutlets,
 * starred, digested, unread. */
#define STORY_COLS                                                                                 \
	"SELECT s.id, s.title, s.first_seen, s.last_seen, s.nitems, s.noutlets,"                   \
	" (s.starred OR EXISTS (SELECT 1 FROM items i WHERE i.story_id = s.id AND i.starred = "    \
	"1)),"                                                                                     \
	" s.digested,"                                                                             \
	" s.nunread FROM stories s "

/* The story listings; read is the unread condition (parameters below). */
#define STORIES_WHERE(read)                                                                        \
	STORY_COLS                                                                                 \
	"WHERE s.merged_into IS NULL AND s.nitems > 0 AND " read " AND (NOT ?2 OR s.starred"       \
	"  OR EXISTS (SELECT 1 FROM items i WHERE i.story_id = s.id AND i.starred = 1))"           \
	" AND (NOT ?3 OR NOT s.digested)"                                                          \
	" AND (?4 IS NULL"                                                                         \
	"  OR EXISTS (SELECT 1 FROM items i WHERE i.story_id = s.id AND i.feed = ?4))"             \
	" AND (?5 IS NULL OR EXISTS (SELECT 1 FROM items i JOIN feed_tags t"                       \
	"  ON t.feed = i.feed WHERE i.story_id = s.id AND t.tag = ?5))"                            \
	" AND s.last_seen >= ?6 AND (?7 = 0 OR s.last_seen < ?7)"                                  \
	" ORDER BY s.last_seen DESC, s.id DESC LIMIT ?8 OFFSET ?9"

/* Item columns (see item_row in store_query.c); ?X selects full text. */
#define ITEM_COLS(full)                                                                            \
	"SELECT i.id, COALESCE(i.story_id, 0), i.feed, " FEED_NAME ", i.guid, i.link, i.title,"    \
	" i.author, i.published, i.updated, i.first_seen, i.time, i.read, i.starred,"              \
	" i.summary_text, " full " FROM items i JOIN feeds f ON f.id = i.feed "

/* Whether the retention policy lets item i (of feed f, with its cut-offs p
 * from temp.purge_keep, NULL for a feed the run does not name) go: not
 * starred, nor in a starred story; first seen before ?10 (the story
 * index's window and a day, so the index holds no purged item); older than
 * its feed's cut-off for read (?11 when none) or unread (?12) items; and
 * no longer listed by its feed (a feed gone from feeds.conf is polled no
 * more, so what it listed cannot come back). A cut-off of INT64_MIN keeps
 * forever. */
#define PURGEABLE                                                                                  \
	"(i.starred = 0 AND i.first_seen < ?10"                                                    \
	" AND i.time < CASE WHEN i.read THEN COALESCE(p.read_cut, ?11)"                            \
	"  ELSE COALESCE(p.unread_cut, ?12) END"                                                   \
	" AND (f.active = 0 OR NOT herald_listed(f.listed, i.feed, i.guid))"                       \
	" AND NOT EXISTS (SELECT 1 FROM stories s WHERE s.id = i.story_id AND s.starred))"

const char store_purge_temp_sql[] =
	"CREATE TEMP TABLE IF NOT EXISTS purge_keep (feed TEXT PRIMARY KEY,"
	" read_cut INTEGER NOT NULL, unread_cut INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TEMP TABLE IF NOT EXISTS purge_doomed (id INTEGER PRIMARY KEY,"
	" story INTEGER NOT NULL, hash INTEGER NOT NULL);";

/* clang-format off */
/* The item listing; feed is the condition on ?4. */
#define ITEMS_WHERE(read, feed)							\
	ITEM_COLS("'', '', ''")							\
	"WHERE " read " AND (NOT ?2 OR i.starred)"				\
	" AND (NOT ?3 OR NOT EXISTS (SELECT 1 FROM stories s"			\
	"  WHERE s.id = i.story_id AND s.digested))"				\
	" AND " feed								\
	" AND (?5 IS NULL"							\
	"  OR EXISTS (SELECT 1 FROM feed_tags t WHERE t.feed = i.feed AND t.tag = ?5))" \
	" AND i.time >= ?6 AND (?7 = 0 OR i.time < ?7)"				\
	" ORDER BY i.time DESC, i.id DESC LIMIT ?8 OFFSET ?9"

#define ANY_READ "(?1 OR i.read = 0)"

/* Parameters of the listings: ?1 all, ?2 starred, ?3 undigested, ?4 feed,
 * ?5 tag, ?6 since, ?7 before, ?8 limit, ?9 offset. */
const char *const store_stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_FEED_DEACTIVATE_ALL] = "UPDATE feeds SET active = 0 WHERE active",
	[S_FEED_SYNC] =
		"INSERT INTO feeds(id, url, name, tags, active) VALUES (?1, ?2, ?3, ?4, 1)"
		" ON CONFLICT(id) DO UPDATE SET"
		" etag = CASE WHEN url = excluded.url OR moved_url = excluded.url THEN etag END,"
		" last_modified = CASE WHEN url = excluded.url OR moved_url = excluded.url"
		"  THEN last_modified END,"
		" moved_url = CASE WHEN url = excluded.url THEN moved_url END,"
		" url = excluded.url, name = excluded.name, tags = excluded.tags, active = 1",
	[S_FEED_TAGS_CLEAR] = "DELETE FROM feed_tags WHERE feed = ?1",
	[S_FEED_TAG_ADD] = "INSERT OR IGNORE INTO feed_tags(tag, feed) VALUES (?1, ?2)",
	[S_FEED_STATUS] =
		"UPDATE feeds SET last_poll = ?2, last_status = ?3, last_error = ?4,"
		" etag = CASE WHEN ?10 THEN NULL ELSE COALESCE(?5, etag) END,"
		" last_modified = CASE WHEN ?10 THEN NULL ELSE COALESCE(?6, last_modified) END,"
		" title = COALESCE(?7, title), failures = ?8, next_poll = ?9 WHERE id = ?1",
	[S_FEED_MOVED] = "UPDATE feeds SET moved_url = ?2, etag = NULL, last_modified = NULL"
			  " WHERE id = ?1",
	[S_FEED_HAS_ITEMS] = "SELECT nitems > 0 FROM feeds WHERE id = ?1",
	[S_FEED_EXISTS] = "SELECT 1 FROM feeds WHERE id = ?1",
	/* Deleting feed ?1's items, its starred ones too when ?2
	 * (store_feed_delete): the stories they are in... */
	[S_FEED_DEL_STORIES] = "SELECT DISTINCT story_id FROM items WHERE feed = ?1"
			       " AND (?2 OR starred = 0) AND story_id IS NOT NULL",
	/* ...the items (the triggers take them out of items_fts and the counts;
	 * their stories are then settled, store_story_settle)... */
	[S_FEED_DEL_ITEMS] = "DELETE FROM items WHERE feed = ?1 AND (?2 OR starred = 0)",
	/* ...and the feed's row, its tags with it, once it has no item left. */
	[S_FEED_DEL_ROW] = "DELETE FROM feeds WHERE id = ?1"
			   " AND NOT EXISTS (SELECT 1 FROM items WHERE feed = ?1)",
	/* Merging feed ?1 into feed ?2 (store_feeds_merge): the items both
	 * have (same key), with their resolved stories... */
	[S_MERGE_DUPS] = "SELECT d.id, COALESCE(sd.merged_into, d.story_id, 0),"
			 " COALESCE(sk.merged_into, k.story_id, 0)"
			 " FROM items d JOIN items k ON k.feed = ?2 AND k.guid = d.guid"
			 " LEFT JOIN stories sd ON sd.id = d.story_id"
			 " LEFT JOIN stories sk ON sk.id = k.story_id"
			 " WHERE d.feed = ?1 ORDER BY d.id",
	/* ...whose marks the kept row takes (read or starred if either is)... */
	[S_MERGE_READ] = "UPDATE items SET read = 1 WHERE feed = ?2 AND read = 0 AND guid IN"
			 " (SELECT guid FROM items WHERE feed = ?1 AND read = 1)",
	[S_MERGE_STAR] = "UPDATE items SET starred = 1 WHERE feed = ?2 AND starred = 0 AND guid IN"
			 " (SELECT guid FROM items WHERE feed = ?1 AND starred = 1)",
	/* ...the stories of the items that move (their outlets change)... */
	[S_MERGE_STORIES] = "SELECT DISTINCT story_id FROM items"
			    " WHERE feed = ?1 AND story_id IS NOT NULL",
	/* ...and the move. No trigger counts it: the feeds are recounted. */
	[S_MERGE_MOVE] = "UPDATE items SET feed = ?2 WHERE feed = ?1",
	[S_FEED_RECOUNT] = "UPDATE feeds SET nitems = (SELECT COUNT(*) FROM items i"
			   " WHERE i.feed = feeds.id) WHERE id IN (?1, ?2)",
	[S_ITEM_DELETE] = "DELETE FROM items WHERE id = ?1",
	[S_STORY_NITEMS] = "SELECT COUNT(*) FROM items WHERE story_id = ?1",
	[S_FEEDS] = "SELECT f.id, f.url, " FEED_NAME ", f.title, f.tags, f.active, f.etag,"
		    " f.last_modified, f.last_error, f.last_poll, f.next_poll, f.last_status,"
		    " f.failures, f.nitems,"
		    " (SELECT COUNT(*) FROM items i WHERE i.feed = f.id AND i.read = 0),"
		    " COALESCE(f.moved_url, '')"
		    " FROM feeds f WHERE ?1 IS NULL OR f.id = ?1 ORDER BY f.active DESC, f.id",
	/* As S_FEEDS without the unread count, which reads every item. */
	[S_FEEDS_STATE] = "SELECT f.id, f.url, " FEED_NAME ", f.title, f.tags, f.active, f.etag,"
			  " f.last_modified, f.last_error, f.last_poll, f.next_poll,"
			  " f.last_status, f.failures, f.nitems, 0, COALESCE(f.moved_url, '')"
			  " FROM feeds f WHERE ?1 IS NULL ORDER BY f.active DESC, f.id",
	[S_ITEM_BY_KEY] = "SELECT i.id, i.hash, COALESCE(s.merged_into, i.story_id, 0), i.time"
			  " FROM items i LEFT JOIN stories s ON s.id = i.story_id"
			  " WHERE i.feed = ?1 AND i.guid = ?2",
	[S_ITEM_INSERT] = "INSERT INTO items(feed, guid, link, title, author, published, updated,"
			  " summary_html, summary_text, content_html, content_text, first_seen,"
			  " time, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
			  " ?13, ?14)",
	/* ?12: the document's own published date (struct store_item's date). */
	[S_ITEM_UPDATE] = "UPDATE items SET link = ?2, title = ?3, author = ?4,"
			  " published = CASE WHEN ?12 > 0 OR published <= 0 THEN ?5"
			  " ELSE published END,"
			  " updated = ?6, summary_html = ?7, summary_text = ?8, content_html = ?9,"
			  " content_text = ?10, hash = ?11 WHERE id = ?1",
	[S_ITEM_STORY] = "SELECT COALESCE(story_id, 0) FROM items WHERE id = ?1",
	[S_FTS_CATCHUP] = "INSERT INTO items_fts(rowid, title, summary_text, content_text)"
			  " SELECT id, title, summary_text, content_text FROM items WHERE id >= ?1"
			  " ORDER BY id",
	[S_ITEM_SET_STORY] = "UPDATE items SET story_id = ?2 WHERE id = ?1",
	[S_STORY_ENSURE] = "INSERT OR IGNORE INTO stories(id) VALUES (?1)",
	[S_STORY_REFRESH] =
		"UPDATE stories SET"
		" title = COALESCE((SELECT title FROM items WHERE story_id = ?1 AND title <> ''"
		"  ORDER BY time, id LIMIT 1), title),"
		" first_seen = COALESCE((SELECT MIN(time) FROM items WHERE story_id = ?1), 0),"
		" last_seen = COALESCE((SELECT MAX(time) FROM items WHERE story_id = ?1), 0),"
		" nitems = (SELECT COUNT(*) FROM items WHERE story_id = ?1),"
		" noutlets = (SELECT COUNT(DISTINCT feed) FROM items WHERE story_id = ?1),"
		" nunread = (SELECT COUNT(*) FROM items WHERE story_id = ?1 AND read = 0)"
		" WHERE id = ?1",
	[S_STORY_RESOLVE] = "SELECT COALESCE(merged_into, id) FROM stories WHERE id = ?1",
	[S_STORY_MOVE_ITEMS] = "UPDATE items SET story_id = ?1 WHERE story_id = ?2",
	[S_STORY_MERGE_FLAGS] =
		"UPDATE stories SET"
		" starred = starred OR (SELECT starred FROM stories WHERE id = ?2),"
		" digested = digested OR (SELECT digested FROM stories WHERE id = ?2)"
		" WHERE id = ?1",
	[S_STORY_SET_MERGED] =
		"UPDATE stories SET merged_into = ?1, nitems = 0, noutlets = 0, nunread = 0"
		" WHERE id = ?2",
	[S_STORY_REPOINT] = "UPDATE stories SET merged_into = ?1 WHERE merged_into = ?2",
	/* A purge may have removed the stories with the largest ids. */
	[S_STORY_MAX_ID] = "SELECT MAX(COALESCE((SELECT MAX(id) FROM stories), 0),"
			   " COALESCE((SELECT value FROM meta WHERE key = 'story_id_max'), 0))",
	/* The newest ?2 (-1: all) items since ?1, oldest first. */
	[S_RESTORE] =
		"SELECT * FROM (SELECT i.id AS id, i.time AS time,"
		" COALESCE(s.merged_into, i.story_id, 0), i.feed, i.title,"
		" i.link, CASE WHEN i.summary_text <> '' THEN i.summary_text"
		" ELSE i.content_text END"
		" FROM items i LEFT JOIN stories s ON s.id = i.story_id"
		" WHERE i.time >= ?1 ORDER BY i.time DESC, i.id DESC LIMIT ?2) ORDER BY time, id",
	[S_STORIES] = STORIES_WHERE("(?1 OR s.nunread > 0)"),
	/* Unread only: walks the partial index stories_unread. */
	[S_STORIES_UNREAD] = STORIES_WHERE("s.nunread > 0"),

	[S_STORY_ONE] = STORY_COLS "WHERE s.id = ?1",
	[S_STORY_OUTLETS] = "SELECT i.id, i.time, i.feed, " FEED_NAME ", i.title, i.link,"
			    " CASE WHEN NOT ?2 THEN '' WHEN i.summary_text <> ''"
			    " THEN i.summary_text ELSE i.content_text END, i.read, i.starred,"
			    " i.published, i.first_seen"
			    " FROM items i JOIN feeds f ON f.id = i.feed"
			    " WHERE i.story_id = ?1 ORDER BY i.time, i.id LIMIT ?3",
	[S_STORY_TAGS] = "SELECT DISTINCT t.tag FROM items i JOIN feed_tags t ON t.feed = i.feed"
			 " WHERE i.story_id = ?1 ORDER BY t.tag",
	[S_STORY_FEEDS] = "SELECT DISTINCT feed FROM items WHERE story_id = ?1 ORDER BY feed",
	[S_ITEMS] = ITEMS_WHERE(ANY_READ, "(?4 IS NULL OR i.feed = ?4)"),
	/* Unread only: walks the partial index items_unread_time. */
	[S_ITEMS_UNREAD] = ITEMS_WHERE("i.read = 0", "(?4 IS NULL OR i.feed = ?4)"),
	/* With a feed: its own statement, so the planner walks items_feed... */
	[S_ITEMS_FEED] = ITEMS_WHERE(ANY_READ, "i.feed = ?4"),
	/* ...or, unread only, items_unread. */
	[S_ITEMS_FEED_UNREAD] = ITEMS_WHERE("i.read = 0", "i.feed = ?4"),
	/* One story's items (?10, the surviving id): walks items_story. */
	[S_ITEMS_STORY] =
		ITEMS_WHERE(ANY_READ, "i.story_id = ?10 AND (?4 IS NULL OR i.feed = ?4)"),
	[S_ITEM_ONE] =
		ITEM_COLS("i.summary_html, i.content_html, i.content_text") "WHERE i.id = ?1",
	/* Ranked by FTS5 itself (ORDER BY its rank column, set to bm25 with
	 * the title weighing most): it sorts row ids and scores only, so the
	 * snippet and the joins cost only the page, where ORDER BY bm25()
	 * built every match's whole row into a temporary b-tree (half the
	 * time of a search matching 30,000 items). Ties keep row id order. */
	[S_SEARCH] = "SELECT i.id, COALESCE(i.story_id, 0), i.time, i.feed, " FEED_NAME ","
		     " i.title, i.link, snippet(items_fts, -1, ?2, ?3, '…', 12),"
		     " items_fts.rank, i.read"
		     " FROM items_fts JOIN items i ON i.id = items_fts.rowid"
		     " JOIN feeds f ON f.id = i.feed"
		     " WHERE items_fts MATCH ?1 AND items_fts.rank MATCH 'bm25(10.0, 2.0, 1.0)'"
		     " ORDER BY items_fts.rank LIMIT ?4 OFFSET ?5",
	[S_STATS] =
		"SELECT (SELECT COUNT(*) FROM feeds), (SELECT COUNT(*) FROM feeds WHERE active),"
		" (SELECT COUNT(*) FROM items), (SELECT COUNT(*) FROM items WHERE read = 0),"
		" (SELECT COUNT(*) FROM items WHERE starred = 1),"
		" (SELECT COUNT(*) FROM stories WHERE merged_into IS NULL AND nitems > 0),"
		" (SELECT page_count FROM pragma_page_count())"
		" * (SELECT page_size FROM pragma_page_size())",
	[S_MARK_STORY_READ] = "UPDATE items SET read = ?2 WHERE story_id = ?1 AND read <> ?2",
	[S_MARK_STORY_STAR_ITEMS] = "UPDATE items SET starred = ?2 WHERE story_id = ?1",
	[S_MARK_STORY_STAR] = "UPDATE stories SET starred = ?2 WHERE id = ?1",
	[S_MARK_ITEM_READ] = "UPDATE items SET read = ?2 WHERE id = ?1",
	[S_MARK_ITEM_STAR] = "UPDATE items SET starred = ?2 WHERE id = ?1",
	[S_MARK_ALL_READ] = "UPDATE items SET read = 1 WHERE read = 0"
			    " AND (?1 IS NULL OR feed = ?1) AND (?2 = 0 OR time < ?2)",
	[S_STORY_DIGESTED] = "UPDATE stories SET digested = 1 WHERE id = ?1",
	[S_PURGED_GET] = "SELECT seen FROM purged WHERE hash = ?1",
	[S_PURGED_TOUCH] = "UPDATE purged SET seen = ?2 WHERE hash = ?1",
	/* Writes the row only when the list changed. */
	[S_FEED_LISTED] = "UPDATE feeds SET listed = ?2 WHERE id = ?1 AND listed IS NOT ?2",
	[S_PURGE_KEEP_CLEAR] = "DELETE FROM temp.purge_keep",
	[S_PURGE_KEEP_ADD] = "INSERT OR REPLACE INTO temp.purge_keep(feed, read_cut, unread_cut)"
			     " VALUES (?1, ?2, ?3)",
	/* The next ?5 items in time order after (?1, ?2) older than ?3, each
	 * with whether the policy lets it go and (?4) its text's size. */
	[S_PURGE_SCAN] = "SELECT i.id, i.time, i.feed, i.guid, COALESCE(i.story_id, 0), " PURGEABLE ","
			 " CASE WHEN ?4 THEN length(CAST(i.guid AS BLOB)) + length(CAST(i.link AS BLOB))"
			 " + length(CAST(i.title AS BLOB)) + length(CAST(i.author AS BLOB))"
			 " + length(CAST(i.summary_html AS BLOB)) + length(CAST(i.summary_text AS BLOB))"
			 " + length(CAST(i.content_html AS BLOB))"
			 " + length(CAST(i.content_text AS BLOB)) ELSE 0 END"
			 " FROM items i CROSS JOIN feeds f ON f.id = i.feed"
			 " LEFT JOIN temp.purge_keep p ON p.feed = i.feed"
			 " WHERE (i.time, i.id) > (?1, ?2) AND i.time < ?3"
			 " ORDER BY i.time, i.id LIMIT ?5",
	[S_PURGE_DOOMED_CLEAR] = "DELETE FROM temp.purge_doomed",
	[S_PURGE_DOOM] = "INSERT INTO temp.purge_doomed(id, story, hash) VALUES (?1, ?2, ?3)",
	/* "WHERE true": an upsert's SELECT needs one (SQLite's parser). */
	[S_PURGE_REMEMBER] = "INSERT INTO purged(hash, seen) SELECT hash, ?1 FROM temp.purge_doomed"
			     " WHERE true ON CONFLICT(hash) DO UPDATE SET seen = excluded.seen",
	/* One statement for the chunk: FTS5 writes its delete markers once. */
	[S_PURGE_DELETE] = "DELETE FROM items WHERE id IN (SELECT id FROM temp.purge_doomed)",
	[S_PURGE_DOOMED_STORIES] = "SELECT DISTINCT story FROM temp.purge_doomed WHERE story > 0",
	[S_PURGE_STORY_HAS_ITEMS] = "SELECT EXISTS (SELECT 1 FROM items WHERE story_id = ?1)",
	[S_PURGE_STORY_STUBS] = "DELETE FROM stories WHERE merged_into = ?1",
	[S_PURGE_STORY_DELETE] = "DELETE FROM stories WHERE id = ?1",
	[S_PURGE_STORY_MAX] = "INSERT INTO meta(key, value) VALUES ('story_id_max', ?1)"
			      " ON CONFLICT(key) DO UPDATE SET value = MAX(value, excluded.value)",
	/* Dry run: would every item of story ?1 go? */
	[S_PURGE_STORY_GOES] = "SELECT NOT EXISTS (SELECT 1 FROM items i"
			       " JOIN feeds f ON f.id = i.feed"
			       " LEFT JOIN temp.purge_keep p ON p.feed = i.feed"
			       " WHERE i.story_id = ?1 AND NOT " PURGEABLE ")",
	[S_PURGED_SCAN] = "SELECT hash, seen FROM purged WHERE hash >= ?1 ORDER BY hash LIMIT ?2",
	[S_PURGED_FORGET] = "DELETE FROM purged WHERE hash = ?1",
	[S_USED_PAGES] = "SELECT (SELECT page_count FROM pragma_page_count())"
			 " - (SELECT freelist_count FROM pragma_freelist_count())",
	[S_FREE_PAGES] = "SELECT freelist_count FROM pragma_freelist_count()",
};
/* clang-format on */
