/* Tests for retention: the purge (store_purge.c) on temporary databases,
 * ingest's side of it (a purged item is never stored again, the listed
 * items are kept), the keep_read and keep_unread keys (config.c), and the
 * schedule (retention.c) on a loop and writer of the test's own. Times are
 * given: the purge measures ages from the policy's now, never the clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "config.h"
#include "ingest.h"
#include "parse.h"
#include "retention.h"
#include "store.h"
#include "store_fixture.h"
#include "store_int.h"
#include "story.h"
#include "writer.h"

#define DAY 86400LL
#define NOW (T0 + 400 * DAY)

/* An item of feed first seen `age` days before NOW (published then), read
 * or not, starred or not, in story story (0: none). Its id. */
static int64_t
item(struct fx *f, const char *feed, const char *guid, int age, int read, int starred,
     int64_t story)
{
	char title[64], text[128];
	int64_t id;

	snprintf(title, sizeof title, "Title of %s", guid);
	snprintf(text, sizeof text, "uniqueword%s and some text", guid);
	for (char *p = text; *p; p++)
		if (*p == '-')
			*p = 'x';
	id = add(f, feed, guid, title, text, NOW - age * DAY, story);
	if (read)
		assert_int_equal(store_mark_item(f->st, id, STORE_MARK_READ, f->err, sizeof f->err),
				 0);
	if (starred)
		assert_int_equal(store_mark_item(f->st, id, STORE_MARK_STAR, f->err, sizeof f->err),
				 0);
	return id;
}

static int
exists(struct fx *f, int64_t id)
{
	struct store_item_list l = {0};
	int rc = store_item_get(f->st, id, &l, f->err, sizeof f->err);

	store_item_list_free(&l);
	assert_true(rc == 0 || rc == STORE_ENOTFOUND);
	return rc == 0;
}

static int
story_exists(struct fx *f, int64_t id)
{
	struct store_story_list l = {0};
	int rc = store_story_get(f->st, id, &l, f->err, sizeof f->err);
	int64_t n = rc == 0 ? l.v[0].nitems : -1;

	store_story_list_free(&l);
	assert_true(rc == 0 || rc == STORE_ENOTFOUND);
	return rc == 0 ? (int)n : -1;
}

/* The default policy of feeds.conf (60 d read, 180 d unread, every feed),
 * with the given overrides. */
static struct store_purge_policy
policy(int dry_run)
{
	struct store_purge_policy p = {.now = NOW,
				       .keep_read = 60 * DAY,
				       .keep_unread = 180 * DAY,
				       .spare = 4 * DAY,
				       .dry_run = dry_run};

	return p;
}

/* Runs p to the end in chunks of max_rows; the counts. */
static struct store_purge_counts
purge(struct fx *f, const struct store_purge_policy *p, unsigned max_rows)
{
	struct store_purge *pg;
	struct store_purge_counts c;
	int rc, n = 0;

	assert_int_equal(store_purge_begin(p, &pg, f->err, sizeof f->err), 0);
	while ((rc = store_purge_step(f->st, pg, max_rows, f->err, sizeof f->err)) > 0)
		assert_true(++n < 100000);
	if (rc < 0)
		fail_msg("%s", f->err);
	c = *store_purge_counts(pg);
	store_purge_free(pg);
	return c;
}

static int64_t
count(struct fx *f, const char *sql)
{
	return sql_int(f->path, sql);
}

static void
reopen_fx(struct fx *f)
{
	assert_int_equal(store_open(f->path, &f->st, f->err, sizeof f->err), 0);
}

static void
sql_exec_fx(struct fx *f, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(store_fts_register(db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int
fts_hits(struct fx *f, const char *word)
{
	struct store_hit_list l = {0};
	int n;

	assert_int_equal(store_search(f->st, word, NULL, NULL, 50, 0, &l, f->err, sizeof f->err),
			 0);
	n = (int)l.n;
	store_hit_list_free(&l);
	return n;
}

/* The integrity of what a purge touches: the search index against the
 * items, the counts kept by triggers. */
static void
consistent(struct fx *f)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(store_fts_register(db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "INSERT INTO items_fts(items_fts, rank)"
				      " VALUES ('integrity-check', 1)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(count(f, NUNREAD_DRIFT), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM feeds f WHERE nitems <>"
				  " (SELECT count(*) FROM items i WHERE i.feed = f.id)"),
			 0);
	assert_int_equal(count(f, "SELECT count(*) FROM stories s WHERE merged_into IS NULL"
				  " AND nitems <> (SELECT count(*) FROM items i"
				  " WHERE i.story_id = s.id)"),
			 0);
	assert_int_equal(count(f, "PRAGMA foreign_key_check"), -1); /* no row */
}

/* ---- the policy ---- */

/* Starred, unread, read, still listed and story-spanning items: what goes
 * and what stays, with the stories, the search rows and the counts. */
static void
test_purge_policy(void **state)
{
	struct fx *f = *state;
	struct store_purge_policy p = policy(0);
	struct store_purge_counts c;
	int64_t read_old, unread_mid, unread_old, starred, recent, listed, a_old, a_new, b1, b2;
	int64_t in_starred_story, max_before, max_after;
	uint64_t h;

	read_old = item(f, "bbc", "read-old", 70, 1, 0, 1);
	unread_mid = item(f, "bbc", "unread-mid", 100, 0, 0, 2);
	unread_old = item(f, "bbc", "unread-old", 200, 0, 0, 3);
	starred = item(f, "bbc", "starred", 390, 1, 1, 4);
	recent = item(f, "bbc", "recent", 10, 1, 0, 5);
	listed = item(f, "tech", "listed", 300, 1, 0, 6);
	/* Story 7 spans an old and a new item; story 8 has only old ones. */
	a_old = item(f, "bbc", "a-old", 90, 1, 0, 7);
	a_new = item(f, "dw", "a-new", 2, 0, 0, 7);
	b1 = item(f, "bbc", "b1", 95, 1, 0, 8);
	b2 = item(f, "dw", "b2", 99, 1, 0, 8);
	/* Story 9 is starred (a merge kept the star), its item is not. */
	in_starred_story = item(f, "dw", "starred-story", 150, 1, 0, 9);
	sql_exec_fx(f, "UPDATE stories SET starred = 1 WHERE id = 9");
	/* The feed still lists "listed". */
	h = store_key_hash("tech", "listed");
	assert_int_equal(store_feed_listed(f->st, "tech", &h, 1, f->err, sizeof f->err), 0);
	assert_int_equal(fts_hits(f, "uniquewordreadxold"), 1);
	assert_int_equal(store_story_max_id(f->st, &max_before, f->err, sizeof f->err), 0);

	c = purge(f, &p, 3);
	assert_int_equal(c.items, 5);
	assert_int_equal(c.stories, 3); /* 1, 3 and 8 */
	assert_false(exists(f, read_old));
	assert_false(exists(f, unread_old));
	assert_false(exists(f, a_old));
	assert_false(exists(f, b1));
	assert_false(exists(f, b2));
	assert_true(exists(f, unread_mid));
	assert_true(exists(f, starred));
	assert_true(exists(f, recent));
	assert_true(exists(f, listed));
	assert_true(exists(f, a_new));
	assert_true(exists(f, in_starred_story));
	assert_int_equal(story_exists(f, 7), 1); /* refreshed: one item left */
	assert_int_equal(story_exists(f, 8), -1);
	assert_int_equal(story_exists(f, 1), -1);
	assert_int_equal(story_exists(f, 3), -1);
	assert_int_equal(story_exists(f, 9), 1);
	expect_stories(f, (struct store_filter){0}, 2, (int64_t[]){7, 2});
	/* The search rows went with the items. */
	assert_int_equal(fts_hits(f, "uniquewordreadxold"), 0);
	assert_int_equal(fts_hits(f, "uniquewordb1"), 0);
	assert_int_equal(fts_hits(f, "uniquewordrecent"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM purged"), 5);
	consistent(f);
	/* New stories never take a removed one's id. */
	sql_exec_fx(f, "DELETE FROM stories WHERE id > 8");
	sql_exec_fx(f, "DELETE FROM items WHERE story_id > 8");
	assert_int_equal(store_story_max_id(f->st, &max_after, f->err, sizeof f->err), 0);
	assert_int_equal(max_after, 8);
	(void)max_before;
	/* A second run finds nothing more. */
	c = purge(f, &p, 3);
	assert_int_equal(c.items, 0);
	assert_int_equal(c.stories, 0);
}

/* What a purge removed never comes back: not through the upsert, not
 * through ingest (whose listed items a purge then keeps). */
static void
test_purged_not_stored_again(void **state)
{
	struct fx *f = *state;
	struct store_purge_policy p = policy(0);
	struct store_upsert_result r;
	struct store_item it;
	struct story_index *idx;
	struct story_params sp = story_params_default();
	struct ingest_counts ic;
	struct ingest *in;
	struct parse_item pi;
	int64_t gone = item(f, "bbc", "gone", 100, 1, 0, 1);
	int64_t kept = item(f, "bbc", "kept", 100, 1, 0, 2);
	uint64_t h = store_key_hash("bbc", "kept");

	assert_int_equal(store_feed_listed(f->st, "bbc", &h, 1, f->err, sizeof f->err), 0);
	assert_int_equal(purge(f, &p, 16).items, 1);
	assert_false(exists(f, gone));
	assert_true(exists(f, kept));

	/* The upsert: not stored, said so. */
	it = mk("bbc", "gone", "Title of gone", "text", NOW - 100 * DAY);
	it.fetched = NOW + DAY;
	assert_int_equal(store_item_upsert(f->st, &it, &r, f->err, sizeof f->err), 0);
	assert_int_equal(r.status, STORE_ITEM_PURGED);
	assert_int_equal(r.item_id, 0);
	assert_int_equal(count(f, "SELECT count(*) FROM items WHERE guid = 'gone'"), 0);
	/* Another feed's item with the same guid is another item. */
	it.feed = "dw";
	assert_int_equal(store_item_upsert(f->st, &it, &r, f->err, sizeof f->err), 0);
	assert_int_equal(r.status, STORE_ITEM_NEW);

	/* A poll listing both again: "gone" is skipped, "kept" unchanged. */
	assert_non_null(idx = story_new(&sp, f->err, sizeof f->err));
	assert_non_null(in = ingest_new("bbc", "application/rss+xml", "https://bbc.example/",
					NOW + 2 * DAY));
	memset(&pi, 0, sizeof pi);
	pi.guid = "gone";
	pi.title.text = "Title of gone";
	pi.published = NOW - 100 * DAY;
	assert_int_equal(ingest_item(in, &pi), 0);
	pi.guid = "kept";
	pi.title.text = "Title of kept";
	assert_int_equal(ingest_item(in, &pi), 0);
	pi.guid = "fresh";
	pi.title.text = "A fresh item about something else entirely";
	pi.published = NOW + DAY;
	assert_int_equal(ingest_item(in, &pi), 0);
	assert_int_equal(ingest_store(in, f->st, idx, &ic, f->err, sizeof f->err), 0);
	assert_int_equal(ic.purged, 1);
	assert_int_equal(ic.added, 1);
	assert_int_equal(
		count(f, "SELECT count(*) FROM items WHERE feed = 'bbc' AND guid = 'gone'"), 0);
	/* The listed items are now this poll's: "kept" is still kept. */
	assert_int_equal(purge(f, &p, 16).items, 0);
	assert_true(exists(f, kept));
	ingest_free(in);
	story_free(idx);
	consistent(f);
}

/* A poll's listed items replace the last poll's; an empty document (more
 * likely broken than empty) keeps them. */
static void
test_listed_replaced(void **state)
{
	struct fx *f = *state;
	struct store_purge_policy p = policy(0);
	int64_t a = item(f, "bbc", "a", 100, 1, 0, 1), b = item(f, "bbc", "b", 100, 1, 0, 2);
	uint64_t ha = store_key_hash("bbc", "a"), hb = store_key_hash("bbc", "b");
	uint64_t both[] = {hb, ha, hb};

	assert_int_equal(store_feed_listed(f->st, "bbc", both, 3, f->err, sizeof f->err), 0);
	assert_int_equal(count(f, "SELECT length(listed) FROM feeds WHERE id = 'bbc'"), 16);
	assert_int_equal(store_feed_listed(f->st, "bbc", NULL, 0, f->err, sizeof f->err), 0);
	assert_int_equal(purge(f, &p, 16).items, 0);
	assert_int_equal(store_feed_listed(f->st, "bbc", &hb, 1, f->err, sizeof f->err), 0);
	assert_int_equal(purge(f, &p, 16).items, 1);
	assert_false(exists(f, a));
	assert_true(exists(f, b));
}

/* Per-feed keeps override the global ones; 0 keeps forever. */
static void
test_per_feed_keep(void **state)
{
	struct fx *f = *state;
	struct store_keep keeps[] = {
		{"bbc", 60 * DAY, 180 * DAY}, {"dw", 5 * DAY, 180 * DAY}, {"tech", 0, 0}};
	struct store_purge_policy p = policy(0);
	int64_t bbc = item(f, "bbc", "x", 10, 1, 0, 1), dw = item(f, "dw", "x", 10, 1, 0, 2);
	int64_t dw_unread = item(f, "dw", "y", 10, 0, 0, 3);
	int64_t tech = item(f, "tech", "x", 3000, 1, 0, 4);
	int64_t tech_unread = item(f, "tech", "y", 3000, 0, 0, 5);

	p.feeds = keeps;
	p.nfeeds = 3;
	assert_int_equal(purge(f, &p, 16).items, 1);
	assert_true(exists(f, bbc));
	assert_false(exists(f, dw));
	assert_true(exists(f, dw_unread));
	assert_true(exists(f, tech));
	assert_true(exists(f, tech_unread));
	/* Global 0 keeps forever too. */
	p = policy(0);
	p.keep_read = p.keep_unread = 0;
	assert_int_equal(purge(f, &p, 16).items, 0);
	assert_true(exists(f, tech));
}

/* Nothing first seen within the story index's window (and a day) goes,
 * however old its date: a backlog first seen yesterday. */
static void
test_spare_window(void **state)
{
	struct fx *f = *state;
	struct store_purge_policy p = policy(0);
	struct store_item it = mk("bbc", "backlog", "An old post", "text", NOW - 900 * DAY);
	struct store_upsert_result r;

	it.fetched = NOW - DAY;
	assert_int_equal(store_item_upsert(f->st, &it, &r, f->err, sizeof f->err), 0);
	assert_int_equal(r.time, NOW - 900 * DAY);
	assert_int_equal(store_mark_item(f->st, r.item_id, STORE_MARK_READ, f->err, sizeof f->err),
			 0);
	assert_int_equal(purge(f, &p, 16).items, 0);
	p.now = NOW + 4 * DAY;
	assert_int_equal(purge(f, &p, 16).items, 1);
}

/* A feed gone from the configuration is polled no more: what it last
 * listed is not kept for it. */
static void
test_inactive_feed(void **state)
{
	struct fx *f = *state;
	struct store_purge_policy p = policy(0);
	int64_t a = item(f, "tech", "a", 100, 1, 0, 1);
	uint64_t h = store_key_hash("tech", "a");

	assert_int_equal(store_feed_listed(f->st, "tech", &h, 1, f->err, sizeof f->err), 0);
	assert_int_equal(purge(f, &p, 16).items, 0);
	assert_int_equal(store_feeds_sync(f->st, feeds3, 2, f->err, sizeof f->err), 0);
	assert_int_equal(purge(f, &p, 16).items, 1);
	assert_false(exists(f, a));
}

/* A dry run counts what a purge would remove and changes nothing. */
static void
test_dry_run(void **state)
{
	struct fx *f = *state;
	struct store_purge_policy dry = policy(1), real = policy(0);
	struct store_purge_counts d, c;
	int64_t before;

	for (int i = 0; i < 40; i++) {
		char g[16];

		snprintf(g, sizeof g, "old%d", i);
		item(f, i % 2 ? "bbc" : "dw", g, 70 + i, 1, 0, 1 + i / 2); /* 2 a story */
		snprintf(g, sizeof g, "new%d", i);
		item(f, "bbc", g, i % 10, 0, 0, 100 + i);
	}
	item(f, "dw", "span-new", 1, 0, 0, 5); /* story 5 stays */
	before = count(f, "SELECT count(*) FROM items");
	d = purge(f, &dry, 7);
	assert_int_equal(d.items, 40);
	assert_int_equal(d.stories, 19);
	assert_true(d.bytes > 40 * 20);
	assert_int_equal(count(f, "SELECT count(*) FROM items"), before);
	assert_int_equal(count(f, "SELECT count(*) FROM stories"), 60);
	assert_int_equal(count(f, "SELECT count(*) FROM purged"), 0);
	c = purge(f, &real, 7);
	assert_int_equal(c.items, d.items);
	assert_int_equal(c.stories, d.stories);
	assert_true(c.chunks >= 40 / 7);
	consistent(f);
}

/* Chunks are bounded: max_rows items a chunk at most. */
static void
test_chunks_bounded(void **state)
{
	struct fx *f = *state;
	struct store_purge_policy p = policy(0);
	struct store_purge *pg;
	int64_t left = 0, prev;
	int rc, nitems = 0;

	assert_int_equal(store_begin(f->st, f->err, sizeof f->err), 0);
	for (int i = 0; i < 300; i++) {
		char g[16];

		snprintf(g, sizeof g, "i%d", i);
		item(f, "bbc", g, 61 + i % 50, 1, 0, 1 + i);
	}
	assert_int_equal(store_commit(f->st, f->err, sizeof f->err), 0);
	assert_int_equal(store_purge_begin(&p, &pg, f->err, sizeof f->err), 0);
	prev = 300;
	while ((rc = store_purge_step(f->st, pg, 16, f->err, sizeof f->err)) > 0) {
		left = count(f, "SELECT count(*) FROM items");
		assert_true(prev - left <= 16);
		nitems += (int)(prev - left);
		prev = left;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(count(f, "SELECT count(*) FROM items"), 0);
	assert_int_equal(store_purge_counts(pg)->items, 300);
	store_purge_free(pg);
	consistent(f);
}

/* Purged keys are forgotten once unseen for the longest keep; one the
 * feed lists again is seen, and remembered on. */
static void
test_purged_expire(void **state)
{
	struct fx *f = *state;
	struct store_purge_policy p = policy(0);
	struct store_item it;
	struct store_upsert_result r;

	item(f, "bbc", "a", 100, 1, 0, 1);
	item(f, "bbc", "b", 100, 1, 0, 2);
	assert_int_equal(purge(f, &p, 16).items, 2);
	assert_int_equal(count(f, "SELECT count(*) FROM purged"), 2);
	/* "b" is listed again 170 days later: seen. */
	it = mk("bbc", "b", "Title of b", "uniquewordb and some text", NOW - 100 * DAY);
	it.fetched = NOW + 170 * DAY;
	assert_int_equal(store_item_upsert(f->st, &it, &r, f->err, sizeof f->err), 0);
	assert_int_equal(r.status, STORE_ITEM_PURGED);
	p.now = NOW + 181 * DAY;
	assert_int_equal(purge(f, &p, 16).forgotten, 1);
	assert_int_equal(count(f, "SELECT count(*) FROM purged"), 1);
	/* "a" was forgotten: listed again now, it is a new item. */
	it = mk("bbc", "a", "Title of a", "uniqueworda and some text", NOW - 100 * DAY);
	it.fetched = NOW + 182 * DAY;
	assert_int_equal(store_item_upsert(f->st, &it, &r, f->err, sizeof f->err), 0);
	assert_int_equal(r.status, STORE_ITEM_NEW);
}

/* Disk space comes back: new databases are incremental, the file shrinks
 * after a purge. */
static void
test_vacuum(void **state)
{
	struct fx *f = *state;
	struct store_purge_policy p = policy(0);
	struct store_purge_counts c;
	char big[4096];
	int64_t pages;

	assert_int_equal(count(f, "PRAGMA auto_vacuum"), 2);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(store_begin(f->st, f->err, sizeof f->err), 0);
	for (int i = 0; i < 400; i++) {
		char g[16];

		snprintf(g, sizeof g, "v%d", i);
		add(f, "bbc", g, g, big, NOW - 300 * DAY, 1 + i);
	}
	assert_int_equal(store_commit(f->st, f->err, sizeof f->err), 0);
	pages = count(f, "PRAGMA page_count");
	c = purge(f, &p, 32);
	assert_int_equal(c.items, 400);
	assert_true(c.bytes > 400 * 4096);
	assert_true(c.vacuumed > 400 * 4096);
	assert_true(count(f, "PRAGMA page_count") < pages / 4);
	assert_int_equal(count(f, "PRAGMA freelist_count"), 0);
}

/* A version 2 database gains the purged table and switches to incremental
 * vacuum (one VACUUM) when opened. */
static void
test_migrate_v2(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	char path[320];
	sqlite3 *db;

	snprintf(path, sizeof path, "%s/v2.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(store_fts_register(db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, store_migrations[0], NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, store_migrations[1], NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(db,
			     "INSERT INTO feeds(id, url) VALUES ('f', 'http://x/');"
			     "INSERT INTO stories(id, nitems) VALUES (5, 1);"
			     "INSERT INTO items(feed, guid, first_seen, time, story_id, hash)"
			     " VALUES ('f', 'a', 1, 1, 5, 1);"
			     "PRAGMA user_version = 2;",
			     NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(sql_int(path, "PRAGMA auto_vacuum"), 0);
	assert_int_equal(store_open(path, &st, f->err, sizeof f->err), 0);
	assert_int_equal(sql_int(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(sql_int(path, "PRAGMA auto_vacuum"), 2);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM purged"), 0);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM items"), 1);
	store_close(st);
	rm_db(path);
}

/* ---- the keys ---- */

static void
test_config_keys(void **state)
{
	static const char text[] = "keep_read = 30d\nkeep_unread = 0\n"
				   "[feed \"a\"]\nurl = https://a.example/\n"
				   "[feed \"b\"]\nurl = https://b.example/\nkeep_read = 2w\n"
				   "keep_unread = 1d12h\n";
	struct config cfg;
	char *errors = NULL;

	(void)state;
	assert_int_equal(config_parse("t.conf", "", 0, &cfg, &errors), 0);
	assert_int_equal(cfg.keep_read, 60 * 86400);
	assert_int_equal(cfg.keep_unread, 180 * 86400);
	config_free(&cfg);
	assert_int_equal(config_parse("t.conf", text, sizeof text - 1, &cfg, &errors), 0);
	assert_int_equal(cfg.keep_read, 30 * 86400);
	assert_int_equal(cfg.keep_unread, 0);
	assert_int_equal(cfg.feeds[0].keep_read, 30 * 86400);
	assert_int_equal(cfg.feeds[0].keep_unread, 0);
	assert_int_equal(cfg.feeds[1].keep_read, 14 * 86400);
	assert_int_equal(cfg.feeds[1].keep_unread, 86400 + 12 * 3600);
	config_free(&cfg);
	assert_int_equal(config_parse("t.conf", "keep_read = soon\n", 17, &cfg, &errors), -1);
	assert_non_null(strstr(errors, "t.conf:1: bad duration 'soon' for 'keep_read'"));
	free(errors);
	config_free(&cfg);
}

/* ---- the schedule ---- */

struct sched {
	uv_loop_t loop;
	struct writer *w;
	struct retention *r;
	uv_timer_t wait;
	int ndone, rc[8];
	struct store_purge_counts c[8];
	int64_t now;
};

static int64_t
sched_clock(void *user)
{
	return ((struct sched *)user)->now;
}

static void
on_purged(void *arg, int rc, const char *why, const struct store_purge_counts *c)
{
	struct sched *s = arg;

	(void)why;
	s->rc[s->ndone] = rc;
	s->c[s->ndone++] = *c;
	if (s->ndone == 3 || rc < 0)
		uv_stop(&s->loop);
}

/* The timer's run goes: a dry run and two purges are asked for. The dry
 * run waits for the next run, the purges join the one going. */
static void
on_wait(uv_timer_t *t)
{
	struct sched *s = t->data;

	if (!retention_running(s->r))
		return;
	uv_close((uv_handle_t *)t, NULL);
	assert_int_equal(retention_run(s->r, 1, on_purged, s), 0);
	assert_int_equal(retention_run(s->r, 0, on_purged, s), 0);
	assert_int_equal(retention_run(s->r, 0, on_purged, s), 0);
}

static void
test_schedule(void **state)
{
	struct fx *f = *state;
	struct sched s = {.now = NOW};
	struct retention_options o = {.first_delay_ms = 1,
				      .period_ms = 3600 * 1000,
				      .chunk_rows = 4,
				      .clock = sched_clock,
				      .clock_user = &s};
	struct writer_callbacks wc = {0};
	struct story_params sp = story_params_default();
	struct config cfg;
	char *errors = NULL;
	static const char conf[] =
		"keep_read = 30d\n[feed \"bbc\"]\nurl = https://bbc.example/rss\n";

	for (int i = 0; i < 20; i++) {
		char g[16];

		snprintf(g, sizeof g, "s%d", i);
		item(f, "bbc", g, 40, 1, 0, 1 + i);
	}
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(config_parse("t.conf", conf, sizeof conf - 1, &cfg, &errors), 0);
	assert_int_equal(uv_loop_init(&s.loop), 0);
	assert_int_equal(writer_new(&s.loop, f->path, &sp, &wc, &s.w, f->err, sizeof f->err), 0);
	assert_non_null(s.r = retention_new(&s.loop, s.w, &cfg, &o, f->err, sizeof f->err));
	/* The retention's timer does not keep the loop alive: this one
	 * does, until the run it starts (in 1 ms) goes. */
	assert_int_equal(uv_timer_init(&s.loop, &s.wait), 0);
	s.wait.data = &s;
	assert_int_equal(uv_timer_start(&s.wait, on_wait, 1, 1), 0);
	uv_run(&s.loop, UV_RUN_DEFAULT);
	assert_int_equal(s.ndone, 3);
	assert_int_equal(s.rc[0], 0);
	assert_int_equal(s.c[0].items, 20); /* the running purge, joined */
	assert_true(s.c[0].chunks >= 5);
	assert_int_equal(s.rc[1], 0);
	assert_int_equal(s.c[1].items, 20);
	assert_int_equal(s.rc[2], 0); /* the dry run after it: nothing left */
	assert_int_equal(s.c[2].items, 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM items"), 0);
	/* Stopped: requests are refused, nothing is left running. */
	retention_stop(s.r);
	assert_int_equal(retention_run(s.r, 0, on_purged, &s), -ECANCELED);
	writer_stop(s.w);
	uv_run(&s.loop, UV_RUN_DEFAULT);
	retention_free(s.r);
	writer_free(s.w);
	assert_int_equal(uv_loop_close(&s.loop), 0);
	config_free(&cfg);
	reopen_fx(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_purge_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purged_not_stored_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listed_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_per_feed_keep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spare_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inactive_feed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunks_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purged_expire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vacuum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v2, setup, teardown),
		cmocka_unit_test(test_config_keys),
		cmocka_unit_test_setup_teardown(test_schedule, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
