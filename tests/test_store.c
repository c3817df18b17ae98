/* Tests for store.c: opening and migrations, feeds, items, transactions,
 * stories and restore, against real SQLite files in a temporary directory.
 * The queries for clients (store_query.c) are tested in test_store_query.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "store_int.h"
#include "store_fixture.h"

#define STR_(x) #x
#define STR(x)  STR_(x)

static void
reopen(struct fx *f)
{
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(store_open(f->path, &f->st, f->err, sizeof f->err), 0);
}

static void
sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(store_fts_register(db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int64_t
nitems(struct fx *f)
{
	struct store_stats s;

	assert_int_equal(store_stats(f->st, &s, f->err, sizeof f->err), 0);
	return s.items;
}

/* ---- Opening and migrations ---- */

static void
test_migrate_empty(void **state)
{
	struct fx *f = *state;
	struct store_stats s;

	assert_int_equal(sql_int(f->path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM sqlite_master WHERE name IN "
					  "('feeds','items','stories','items_fts','feed_tags')"),
			 5);
	assert_int_equal(sql_int(f->path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"),
			 1);
	assert_int_equal(store_stats(f->st, &s, f->err, sizeof f->err), 0);
	assert_int_equal(s.feeds, 3);
	assert_int_equal(s.items, 0);
	assert_int_equal(s.stories, 0);
	assert_true(s.db_bytes > 0);
	assert_string_equal(store_path(f->st), f->path);
	reopen(f);
	assert_int_equal(store_stats(f->st, &s, f->err, sizeof f->err), 0);
	assert_int_equal(s.feeds, 3);
}

static void
test_zero_byte_file(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	char path[320];
	FILE *fp;

	/* An empty file (touch) is an empty database: migrated, not refused. */
	snprintf(path, sizeof path, "%s/empty.db", f->dir);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(store_open(path, &st, f->err, sizeof f->err), 0);
	store_close(st);
	assert_int_equal(sql_int(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	/* Reopening a current database changes nothing. */
	assert_int_equal(store_open(path, &st, f->err, sizeof f->err), 0);
	store_close(st);
	rm_db(path);
}

/* A migration that fails half-way leaves nothing behind: one transaction. */
static void
test_migration_atomic(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	char path[320];

	snprintf(path, sizeof path, "%s/half.db", f->dir);
	/* "items" is in the way: the tables before it are created, then it fails. */
	sql_exec(path, "CREATE TABLE items (x)");
	assert_int_equal(store_open(path, &st, f->err, sizeof f->err), -1);
	assert_null(st);
	assert_non_null(strstr(f->err, path));
	assert_non_null(strstr(f->err, "migration 1"));
	assert_int_equal(sql_int(path, "PRAGMA user_version"), 0);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE name IN "
				       "('feeds', 'stories', 'feed_tags')"),
			 0);
	sql_exec(path, "DROP TABLE items");
	assert_int_equal(store_open(path, &st, f->err, sizeof f->err), 0);
	store_close(st);
	assert_int_equal(sql_int(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	rm_db(path);
}

static void
test_newer_version_refused(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;

	store_close(f->st);
	f->st = NULL;
	sql_exec(f->path, "PRAGMA user_version = 99");
	assert_int_equal(store_open(f->path, &st, f->err, sizeof f->err), -1);
	assert_null(st);
	assert_non_null(strstr(f->err, f->path));
	assert_non_null(strstr(f->err, "version 99 is newer"));
	/* Refusing must not touch it. */
	assert_int_equal(sql_int(f->path, "PRAGMA user_version"), 99);
	sql_exec(f->path, "PRAGMA user_version = " STR(STORE_SCHEMA_VERSION));
	reopen(f);
}

/* A version 1 database (before stories counted their unread items) gains
 * the counts of what it holds, and its unread listings use them. */
static void
test_migrate_unread(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	struct store_item_list il = {0};
	char path[320];

	snprintf(path, sizeof path, "%s/v1.db", f->dir);
	sql_exec(path, store_migrations[0]);
	sql_exec(path,
		 "INSERT INTO feeds(id, url) VALUES ('f', 'http://x/');"
		 "INSERT INTO stories(id, last_seen, nitems, noutlets) VALUES"
		 " (1, 10, 3, 1), (2, 20, 1, 1), (3, 5, 1, 1);"
		 "INSERT INTO items(feed, guid, first_seen, time, read, story_id, hash) VALUES"
		 " ('f', 'a', 1, 1, 0, 1, 1), ('f', 'b', 2, 2, 0, 1, 2),"
		 " ('f', 'c', 3, 10, 1, 1, 3), ('f', 'd', 4, 20, 1, 2, 4),"
		 " ('f', 'e', 5, 5, 0, 3, 5);"
		 "PRAGMA user_version = 1;");
	assert_int_equal(store_open(path, &st, f->err, sizeof f->err), 0);
	assert_int_equal(sql_int(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(sql_int(path, "SELECT nunread FROM stories WHERE id = 1"), 2);
	assert_int_equal(sql_int(path, NUNREAD_DRIFT), 0);
	store_close(f->st);
	f->st = st;
	expect_stories(f, (struct store_filter){0}, 2, (int64_t[]){1, 3});
	assert_int_equal(store_mark_story(f->st, 1, STORE_MARK_READ, NULL, f->err, sizeof f->err),
			 0);
	expect_stories(f, (struct store_filter){0}, 1, (int64_t[]){3});
	assert_int_equal(store_items(f->st, &(struct store_filter){0}, &il, f->err, sizeof f->err),
			 0);
	assert_int_equal(il.n, 1);
	assert_string_equal(il.v[0].guid, "e");
	store_item_list_free(&il);
	assert_int_equal(sql_int(path, NUNREAD_DRIFT), 0);
	store_close(f->st);
	f->st = NULL;
	rm_db(path);
	reopen(f);
}

static void
test_garbage_file(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	char path[320], junk[8192];
	FILE *fp;

	snprintf(path, sizeof path, "%s/garbage.db", f->dir);
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (char)(i * 7 + 3);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(junk, 1, sizeof junk, fp), sizeof junk);
	fclose(fp);
	assert_int_equal(store_open(path, &st, f->err, sizeof f->err), -1);
	assert_null(st);
	assert_non_null(strstr(f->err, path));
	assert_non_null(strstr(f->err, "not an SQLite database"));
	rm_db(path);
}

static void
test_corrupt_file(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	char junk[4096];
	FILE *fp;
	long psize;

	add(f, "bbc", "g1", "Title", "text", T0, 1);
	store_close(f->st);
	f->st = NULL;
	psize = (long)sql_int(f->path, "PRAGMA page_size");
	/* Keep the 100-byte header, smash the rest of page 1 (the schema). */
	memset(junk, 0xA5, sizeof junk);
	fp = fopen(f->path, "r+b");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 100, SEEK_SET), 0);
	assert_int_equal(fwrite(junk, 1, (size_t)psize - 100, fp), (size_t)psize - 100);
	fclose(fp);
	assert_int_equal(store_open(f->path, &st, f->err, sizeof f->err), -1);
	assert_null(st);
	assert_non_null(strstr(f->err, f->path));
	assert_non_null(strstr(f->err, "corrupt"));
	/* Leave a fresh database for the teardown. */
	rm_db(f->path);
	assert_int_equal(store_open(f->path, &f->st, f->err, sizeof f->err), 0);
}

/* Damage found after open (the pages a listing reads): the error names
 * the file too. */
static void
test_corrupt_later(void **state)
{
	struct fx *f = *state;
	struct store_stats s;
	char guid[32], text[300];
	long psize, npages;
	FILE *fp;

	memset(text, 'w', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	assert_int_equal(store_begin(f->st, f->err, sizeof f->err), 0);
	for (int i = 0; i < 300; i++) {
		snprintf(guid, sizeof guid, "g%d", i);
		add(f, "bbc", guid, guid, text, T0 + i, 1 + i / 3);
	}
	assert_int_equal(store_commit(f->st, f->err, sizeof f->err), 0);
	reopen(f); /* checkpointed, and nothing but the schema read since */
	psize = (long)sql_int(f->path, "PRAGMA page_size");
	npages = (long)sql_int(f->path, "PRAGMA page_count");
	assert_true(npages > 40);
	fp = fopen(f->path, "r+b");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 30 * psize, SEEK_SET), 0);
	for (long i = 30 * psize; i < npages * psize; i++)
		fputc((int)(i * 31 % 251), fp);
	fclose(fp);
	assert_int_equal(store_stats(f->st, &s, f->err, sizeof f->err), -1);
	assert_non_null(strstr(f->err, f->path));
	assert_non_null(strstr(f->err, "corrupt"));
	store_close(f->st);
	rm_db(f->path);
	assert_int_equal(store_open(f->path, &f->st, f->err, sizeof f->err), 0);
}

static void
test_unopenable_path(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	char path[320];

	snprintf(path, sizeof path, "%s/no/such/dir/x.db", f->dir);
	assert_int_equal(store_open(path, &st, f->err, sizeof f->err), -1);
	assert_null(st);
	assert_non_null(strstr(f->err, path));
}

/* ---- Feeds ---- */

static void
test_feeds_sync_and_status(void **state)
{
	struct fx *f = *state;
	struct store_feed_list l = {0};
	struct store_feed_status fs = {.last_poll = T0,
				       .last_status = 200,
				       .etag = "\"e1\"",
				       .last_modified = "Tue, 14 Nov 2023 22:13:20 GMT",
				       .title = "DW World",
				       .next_poll = T0 + 900};
	struct config_feed two[2];

	assert_int_equal(store_feed_status(f->st, "dw", &fs, f->err, sizeof f->err), 0);
	assert_int_equal(store_feed_status(f->st, "nope", &fs, f->err, sizeof f->err),
			 STORE_ENOTFOUND);
	add(f, "tech", "t1", "Chips", "text", T0, 0);
	assert_int_equal(store_feeds(f->st, "dw", &l, f->err, sizeof f->err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "DW World"); /* no config name: the feed's title */
	assert_string_equal(l.v[0].etag, "\"e1\"");
	assert_int_equal(l.v[0].last_status, 200);
	assert_int_equal(l.v[0].next_poll, T0 + 900);
	store_feed_list_free(&l);

	/* A 304: validators kept, error cleared; then a failure. */
	memset(&fs, 0, sizeof fs);
	fs.last_poll = T0 + 900;
	fs.last_status = 304;
	assert_int_equal(store_feed_status(f->st, "dw", &fs, f->err, sizeof f->err), 0);
	fs.last_status = 0;
	fs.last_error = "Could not resolve host";
	fs.failures = 1;
	assert_int_equal(store_feed_status(f->st, "dw", &fs, f->err, sizeof f->err), 0);
	assert_int_equal(store_feeds(f->st, "dw", &l, f->err, sizeof f->err), 0);
	assert_string_equal(l.v[0].etag, "\"e1\"");
	assert_string_equal(l.v[0].last_error, "Could not resolve host");
	assert_int_equal(l.v[0].failures, 1);
	store_feed_list_free(&l);

	/* Drop "tech", change dw's url: tech stays with its items, inactive;
	 * dw's validators go with the old url. */
	two[0] = feeds3[0];
	two[1] = feeds3[1];
	two[1].url = "https://dw.example/rss2";
	assert_int_equal(store_feeds_sync(f->st, two, 2, f->err, sizeof f->err), 0);
	assert_int_equal(store_feeds(f->st, NULL, &l, f->err, sizeof f->err), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].id, "bbc");
	assert_string_equal(l.v[0].name, "BBC News");
	assert_string_equal(l.v[0].tags, "world,uk");
	assert_string_equal(l.v[1].id, "dw");
	assert_string_equal(l.v[1].url, "https://dw.example/rss2");
	assert_string_equal(l.v[1].etag, "");
	assert_string_equal(l.v[2].id, "tech");
	assert_int_equal(l.v[2].active, 0);
	assert_int_equal(l.v[2].nitems, 1);
	assert_int_equal(l.v[2].nunread, 1);
	store_feed_list_free(&l);
	/* The daemon's view: the same feeds and state, no unread count. */
	assert_int_equal(store_feeds_state(f->st, &l, f->err, sizeof f->err), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[1].url, "https://dw.example/rss2");
	assert_string_equal(l.v[2].id, "tech");
	assert_int_equal(l.v[2].active, 0);
	assert_int_equal(l.v[2].nitems, 1);
	assert_int_equal(l.v[2].nunread, 0);
	store_feed_list_free(&l);
	assert_int_equal(nitems(f), 1);
	assert_int_equal(store_feeds(f->st, "gone", &l, f->err, sizeof f->err), STORE_ENOTFOUND);
	store_feed_list_free(&l);
	/* Back in the config: active again. */
	assert_int_equal(store_feeds_sync(f->st, feeds3, 3, f->err, sizeof f->err), 0);
	assert_int_equal(store_feeds(f->st, "tech", &l, f->err, sizeof f->err), 0);
	assert_int_equal(l.v[0].active, 1);
	store_feed_list_free(&l);
}

/* A 301/308 move: polled at the new URL across reopen and a re-sync of the
 * same config; a new URL in the config ends it. */
static void
test_feed_moved(void **state)
{
	struct fx *f = *state;
	struct store_feed_list l = {0};
	struct store_feed_status fs = {.last_poll = T0, .last_status = 200, .etag = "\"e1\""};
	struct config_feed one[1];

	assert_int_equal(store_feed_status(f->st, "dw", &fs, f->err, sizeof f->err), 0);
	assert_int_equal(
		store_feed_moved(f->st, "dw", "https://dw.example/new", f->err, sizeof f->err), 0);
	assert_int_equal(
		store_feed_moved(f->st, "nope", "https://x.example/", f->err, sizeof f->err),
		STORE_ENOTFOUND);
	assert_int_equal(store_feeds_sync(f->st, feeds3, 3, f->err, sizeof f->err), 0);
	assert_int_equal(store_feeds(f->st, "dw", &l, f->err, sizeof f->err), 0);
	assert_string_equal(l.v[0].moved_url, "https://dw.example/new");
	assert_string_equal(l.v[0].etag, ""); /* the old URL's validators are gone */
	store_feed_list_free(&l);
	/* The new URL's answer brings its own; feeds.conf then says the new
	 * URL (the daemon rewrote it): the feed carries on with them. */
	fs.etag = "\"e2\"";
	assert_int_equal(store_feed_status(f->st, "dw", &fs, f->err, sizeof f->err), 0);
	one[0] = feeds3[1];
	one[0].url = "https://dw.example/new";
	assert_int_equal(store_feeds_sync(f->st, one, 1, f->err, sizeof f->err), 0);
	assert_int_equal(store_feeds(f->st, "dw", &l, f->err, sizeof f->err), 0);
	assert_string_equal(l.v[0].url, "https://dw.example/new");
	assert_string_equal(l.v[0].moved_url, "");
	assert_string_equal(l.v[0].etag, "\"e2\"");
	store_feed_list_free(&l);
	one[0].url = "https://dw.example/edited";
	assert_int_equal(store_feeds_sync(f->st, one, 1, f->err, sizeof f->err), 0);
	assert_int_equal(store_feeds(f->st, "dw", &l, f->err, sizeof f->err), 0);
	assert_string_equal(l.v[0].moved_url, "");
	assert_string_equal(l.v[0].url, "https://dw.example/edited");
	assert_string_equal(l.v[0].etag, ""); /* another URL: not the same document */
	store_feed_list_free(&l);
}

/* ---- Merging feeds ---- */

/* Stories whose counts differ from their items'. */
#define STORY_DRIFT                                                                                \
	"SELECT count(*) FROM stories s WHERE merged_into IS NULL AND (nitems <>"                  \
	" (SELECT count(*) FROM items i WHERE i.story_id = s.id) OR noutlets <>"                   \
	" (SELECT count(DISTINCT feed) FROM items i WHERE i.story_id = s.id))"

static int64_t
item_col(struct fx *f, const char *col, int64_t id)
{
	char sql[128];

	snprintf(sql, sizeof sql, "SELECT %s FROM items WHERE id = %lld", col, (long long)id);
	return sql_int(f->path, sql);
}

/* dw moved onto bbc's URL: dw's items become bbc's, each guid once, with
 * the marks of both copies; no story is left empty; a failed merge changes
 * nothing. */
static void
test_feeds_merge(void **state)
{
	struct fx *f = *state;
	struct store_merge_counts c;
	struct store_story_list l = {0};
	struct store_feed_list fl = {0};
	struct store_hit_list h = {0};
	int64_t k1, k2, k3, k5, k6, d1, d2, d4, d6, t6, res;

	/* bbc (kept) and dw (moved) both have g1, g2 and g6. */
	k1 = add(f, "bbc", "g1", "Harbour reopens", "quay text", T0, 30);
	d1 = add(f, "dw", "g1", "Harbour reopens", "quay text", T0 + 5, 30);
	k2 = add(f, "bbc", "g2", "Bridge closed", "girder text", T0 + 10, 31);
	d2 = add(f, "dw", "g2", "Bridge closed", "girder text", T0 + 15, 33);
	k3 = add(f, "bbc", "only-bbc", "Tram strike", "tram text", T0 + 20, 32);
	d4 = add(f, "dw", "only-dw", "Ferry late", "ferry text", T0 + 30, 34);
	k5 = add(f, "bbc", "g5", "Ferry very late", "ferry text", T0 + 35, 34);
	d6 = add(f, "dw", "g6", "Snow warning", "snow text", T0 + 40, 36);
	t6 = add(f, "tech", "t6", "Snow and servers", "snow text", T0 + 41, 36);
	k6 = add(f, "bbc", "g6", "Snow warning", "snow text", T0 + 45, 37);
	/* Marks on either copy. */
	assert_int_equal(store_mark_item(f->st, d1, STORE_MARK_READ, f->err, sizeof f->err), 0);
	assert_int_equal(store_mark_story(f->st, 33, STORE_MARK_STAR, NULL, f->err, sizeof f->err),
			 0);
	assert_int_equal(store_mark_item(f->st, d4, STORE_MARK_READ, f->err, sizeof f->err), 0);
	assert_int_equal(store_mark_item(f->st, k6, STORE_MARK_READ, f->err, sizeof f->err), 0);

	/* Bad paths first: nothing changes. */
	assert_int_equal(store_feeds_merge(f->st, "dw", "nope", &c, f->err, sizeof f->err),
			 STORE_ENOTFOUND);
	assert_non_null(strstr(f->err, "no feed 'nope'"));
	assert_int_equal(store_feeds_merge(f->st, "nope", "bbc", &c, f->err, sizeof f->err),
			 STORE_ENOTFOUND);
	assert_int_equal(store_feeds_merge(f->st, "dw", "dw", &c, f->err, sizeof f->err), -1);
	/* A failure halfway (deleting a duplicate) rolls the whole merge back. */
	sql_exec(f->path, "CREATE TRIGGER boom BEFORE DELETE ON items BEGIN"
			  " SELECT RAISE(ABORT, 'boom'); END");
	assert_int_equal(store_feeds_merge(f->st, "dw", "bbc", &c, f->err, sizeof f->err), -1);
	assert_non_null(strstr(f->err, "boom"));
	assert_int_equal(c.moved + c.duplicates + c.stories_merged, 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM items WHERE feed = 'dw'"), 4);
	assert_int_equal(item_col(f, "read", k1), 0);
	assert_int_equal(item_col(f, "starred", k2), 0);
	sql_exec(f->path, "DROP TRIGGER boom");

	assert_int_equal(store_feeds_merge(f->st, "dw", "bbc", &c, f->err, sizeof f->err), 0);
	assert_int_equal(c.duplicates, 3);
	assert_int_equal(c.moved, 1);
	assert_int_equal(c.stories_merged, 1);
	/* One row per guid, all bbc's; dw keeps its row, with no items. */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM items WHERE feed = 'dw'"), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM items WHERE feed = 'bbc'"), 6);
	assert_int_equal(sql_int(f->path, "SELECT count(*) - count(DISTINCT guid) FROM items"
					  " WHERE feed = 'bbc'"),
			 0);
	assert_int_equal(item_col(f, "count(*)", d1) + item_col(f, "count(*)", d2) +
				 item_col(f, "count(*)", d6),
			 0);
	assert_int_equal(store_feeds(f->st, NULL, &fl, f->err, sizeof f->err), 0);
	assert_string_equal(fl.v[0].id, "bbc");
	assert_int_equal(fl.v[0].nitems, 6);
	assert_string_equal(fl.v[1].id, "dw");
	assert_int_equal(fl.v[1].nitems, 0);
	assert_int_equal(fl.v[1].nunread, 0);
	store_feed_list_free(&fl);
	/* The marks of both copies: read if either was, starred if either. */
	assert_int_equal(item_col(f, "read", k1), 1);
	assert_int_equal(item_col(f, "starred", k2), 1);
	assert_int_equal(item_col(f, "read", k6), 1);
	assert_int_equal(item_col(f, "read", k3), 0);
	/* The item that moved keeps its id, marks and story. */
	assert_int_equal(item_col(f, "feed = 'bbc'", d4), 1);
	assert_int_equal(item_col(f, "read", d4), 1);
	assert_int_equal(item_col(f, "story_id", d4), 34);
	/* Story 33 held only d2: merged into k2's story 31, its star with it. */
	assert_int_equal(store_story_resolve(f->st, 33, &res, f->err, sizeof f->err), 0);
	assert_int_equal(res, 31);
	assert_int_equal(store_story_get(f->st, 33, &l, f->err, sizeof f->err), 0);
	assert_int_equal(l.v[0].id, 31);
	assert_int_equal(l.v[0].nitems, 1);
	assert_int_equal(l.v[0].starred, 1);
	store_story_list_free(&l);
	/* Story 30 had both copies of g1; 36 keeps tech's item; 34 is now one
	 * outlet's. */
	assert_int_equal(sql_int(f->path, "SELECT nitems FROM stories WHERE id = 30"), 1);
	assert_int_equal(sql_int(f->path, "SELECT nunread FROM stories WHERE id = 30"), 0);
	assert_int_equal(sql_int(f->path, "SELECT nitems FROM stories WHERE id = 36"), 1);
	assert_int_equal(sql_int(f->path, "SELECT noutlets FROM stories WHERE id = 34"), 1);
	assert_int_equal(sql_int(f->path, "SELECT nitems FROM stories WHERE id = 34"), 2);
	assert_int_equal(item_col(f, "story_id", t6), 36);
	assert_int_equal(item_col(f, "story_id", k5), 34);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM stories"
					  " WHERE merged_into IS NULL AND nitems = 0"),
			 0);
	assert_int_equal(sql_int(f->path, STORY_DRIFT), 0);
	assert_int_equal(sql_int(f->path, NUNREAD_DRIFT), 0);
	/* The deleted copies are not found... */
	assert_int_equal(
		store_search(f->st, "girder", NULL, NULL, 10, 0, &h, f->err, sizeof f->err), 0);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.v[0].item_id, k2);
	store_hit_list_free(&h);
	/* ...and the index matches the items exactly. */
	sql_exec(f->path, "INSERT INTO items_fts(items_fts) VALUES ('integrity-check')");
	/* Again: nothing left to merge. */
	assert_int_equal(store_feeds_merge(f->st, "dw", "bbc", &c, f->err, sizeof f->err), 0);
	assert_int_equal(c.moved + c.duplicates + c.stories_merged, 0);
}

/* Group commit: responses share one open transaction; a failed one takes
 * the batch with it (store.h says why); a client's write flushes the batch
 * first; nothing is durable (seen by another connection) before the flush. */
static void
test_batch(void **state)
{
	struct fx *f = *state;
	struct store_hit_list h = {0};
	int64_t a, b, c;

	assert_int_equal(store_batch_open(f->st, f->err, sizeof f->err), 0);
	assert_int_equal(store_sp_begin(f->st, f->err, sizeof f->err), 0);
	a = add(f, "bbc", "b1", "Lost headline", "zebra text", T0, 0);
	assert_int_equal(store_item_set_story(f->st, a, 7, f->err, sizeof f->err), 0);
	assert_int_equal(store_sp_commit(f->st, f->err, sizeof f->err), 0);
	assert_int_equal(store_batch_count(f->st), 1);
	assert_int_equal(store_sp_begin(f->st, f->err, sizeof f->err), 0);
	b = add(f, "bbc", "b2", "Undone headline", "yak text", T0 + 1, 0);
	assert_true(b > a);
	store_sp_rollback(f->st);
	assert_false(store_batch_is_open(f->st));
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM items"), 0);
	/* A new batch: the rolled-back rowids come again and must be indexed. */
	assert_int_equal(store_batch_open(f->st, f->err, sizeof f->err), 0);
	assert_int_equal(store_sp_begin(f->st, f->err, sizeof f->err), 0);
	a = add(f, "bbc", "b1", "Kept headline", "zebra text", T0, 0);
	assert_int_equal(store_item_set_story(f->st, a, 7, f->err, sizeof f->err), 0);
	assert_int_equal(store_sp_commit(f->st, f->err, sizeof f->err), 0);
	assert_int_equal(store_sp_begin(f->st, f->err, sizeof f->err), 0);
	c = add(f, "bbc", "b3", "Third headline", "walrus text", T0 + 2, 0);
	assert_int_equal(store_sp_commit(f->st, f->err, sizeof f->err), 0);
	assert_int_equal(store_batch_count(f->st), 2);
	/* Not yet visible to another connection. */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM items"), 0);
	/* A client's mark flushes the batch, then is durable itself. */
	assert_int_equal(store_mark_item(f->st, a, STORE_MARK_READ, f->err, sizeof f->err), 0);
	assert_false(store_batch_is_open(f->st));
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM items"), 2);
	assert_int_equal(sql_int(f->path, "SELECT read FROM items WHERE guid = 'b1'"), 1);
	assert_int_equal(sql_int(f->path, "SELECT nitems FROM stories WHERE id = 7"), 1);
	assert_int_equal(
		store_search(f->st, "walrus", NULL, NULL, 10, 0, &h, f->err, sizeof f->err), 0);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.v[0].item_id, c);
	store_hit_list_free(&h);
	assert_int_equal(store_search(f->st, "yak", NULL, NULL, 10, 0, &h, f->err, sizeof f->err),
			 0);
	assert_int_equal(h.n, 0);
	store_hit_list_free(&h);
	/* The FTS index matches the items table exactly. */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM items_fts"), 2);
}

/* ---- Items ---- */

static void
test_insert_reinsert_edit(void **state)
{
	struct fx *f = *state;
	struct store_item it = mk("bbc", "urn:1", "Quake hits city", "A strong quake hit.", T0);
	struct store_upsert_result r1, r2;
	struct store_item_list l = {0};
	struct store_hit_list h = {0};

	assert_int_equal(store_item_upsert(f->st, &it, &r1, f->err, sizeof f->err), 0);
	assert_int_equal(r1.status, STORE_ITEM_NEW);
	assert_true(r1.item_id > 0);
	assert_int_equal(r1.story_id, 0);
	assert_int_equal(r1.time, T0);
	assert_int_equal(store_item_set_story(f->st, r1.item_id, 5, f->err, sizeof f->err), 0);

	/* The same guid again: nothing changes, the story comes back. */
	it.fetched = T0 + 3600;
	assert_int_equal(store_item_upsert(f->st, &it, &r2, f->err, sizeof f->err), 0);
	assert_int_equal(r2.status, STORE_ITEM_UNCHANGED);
	assert_int_equal(r2.item_id, r1.item_id);
	assert_int_equal(r2.story_id, 5);
	assert_int_equal(nitems(f), 1);

	/* Edited: text changes, read and starred stay, first_seen stays. */
	assert_int_equal(store_mark_item(f->st, r1.item_id, STORE_MARK_READ, f->err, sizeof f->err),
			 0);
	assert_int_equal(store_mark_item(f->st, r1.item_id, STORE_MARK_STAR, f->err, sizeof f->err),
			 0);
	it.summary_text = "A magnitude 7 earthquake struck.";
	it.title = "Earthquake hits city";
	assert_int_equal(store_item_upsert(f->st, &it, &r2, f->err, sizeof f->err), 0);
	assert_int_equal(r2.status, STORE_ITEM_CHANGED);
	assert_int_equal(r2.item_id, r1.item_id);
	assert_int_equal(r2.story_id, 5);
	assert_int_equal(store_item_get(f->st, r1.item_id, &l, f->err, sizeof f->err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].summary_text, "A magnitude 7 earthquake struck.");
	assert_string_equal(l.v[0].guid, "urn:1");
	assert_string_equal(l.v[0].feed_name, "BBC News");
	assert_int_equal(l.v[0].read, 1);
	assert_int_equal(l.v[0].starred, 1);
	assert_int_equal(l.v[0].first_seen, T0 + 60);
	assert_int_equal(l.v[0].story_id, 5);
	store_item_list_free(&l);
	assert_int_equal(nitems(f), 1);

	/* The story's title follows the edit; the index follows the text. */
	{
		struct store_story_list sl = {0};

		assert_int_equal(store_story_get(f->st, 5, &sl, f->err, sizeof f->err), 0);
		assert_string_equal(sl.v[0].title, "Earthquake hits city");
		store_story_list_free(&sl);
	}
	assert_int_equal(
		store_search(f->st, "magnitude", NULL, NULL, 0, 0, &h, f->err, sizeof f->err), 0);
	assert_int_equal(h.n, 1);
	store_hit_list_free(&h);
	assert_int_equal(store_search(f->st, "strong", NULL, NULL, 0, 0, &h, f->err, sizeof f->err),
			 0);
	assert_int_equal(h.n, 0);
	store_hit_list_free(&h);

	/* Same guid in another feed is another item. */
	it.feed = "dw";
	assert_int_equal(store_item_upsert(f->st, &it, &r2, f->err, sizeof f->err), 0);
	assert_int_equal(r2.status, STORE_ITEM_NEW);
	assert_int_equal(nitems(f), 2);

	/* An unknown feed is an error naming it. */
	it.feed = "nosuch";
	assert_int_equal(store_item_upsert(f->st, &it, &r2, f->err, sizeof f->err), -1);
	assert_non_null(strstr(f->err, "nosuch"));
	assert_int_equal(store_item_get(f->st, 9999, &l, f->err, sizeof f->err), STORE_ENOTFOUND);
	store_item_list_free(&l);
}

static void
test_fallback_keys(void **state)
{
	struct fx *f = *state;
	struct store_item a = mk("bbc", NULL, "Title A", "x", T0);
	struct store_item b = mk("bbc", "", "Title A", "x", T0);
	struct store_upsert_result r1, r2;
	char *k1, *k2;

	/* No guid: the link. */
	a.link = "https://bbc.example/a";
	k1 = store_item_key(&a);
	assert_string_equal(k1, "https://bbc.example/a");
	free(k1);
	assert_int_equal(store_item_upsert(f->st, &a, &r1, f->err, sizeof f->err), 0);
	b.link = "https://bbc.example/a";
	assert_int_equal(store_item_upsert(f->st, &b, &r2, f->err, sizeof f->err), 0);
	assert_int_equal(r2.status, STORE_ITEM_UNCHANGED);
	assert_int_equal(r2.item_id, r1.item_id);

	/* No guid, no link: title and date. */
	a.link = NULL;
	b.link = "";
	k1 = store_item_key(&a);
	k2 = store_item_key(&b);
	assert_string_equal(k1, k2);
	assert_int_equal(strncmp(k1, "h:", 2), 0);
	assert_int_equal(strlen(k1), 18);
	free(k2);
	b.published = T0 + 1;
	k2 = store_item_key(&b);
	assert_string_not_equal(k1, k2);
	free(k2);
	b.published = T0;
	b.title = "Title B";
	k2 = store_item_key(&b);
	assert_string_not_equal(k1, k2);
	free(k2);
	free(k1);
	b.title = "Title A";
	assert_int_equal(store_item_upsert(f->st, &a, &r1, f->err, sizeof f->err), 0);
	assert_int_equal(r1.status, STORE_ITEM_NEW);
	assert_int_equal(store_item_upsert(f->st, &b, &r2, f->err, sizeof f->err), 0);
	assert_int_equal(r2.status, STORE_ITEM_UNCHANGED);
	assert_int_equal(r2.item_id, r1.item_id);
	/* The guid wins over the link. */
	a.guid = "tag:1";
	a.link = "https://bbc.example/a";
	k1 = store_item_key(&a);
	assert_string_equal(k1, "tag:1");
	free(k1);
	/* Untitled items differ by text. */
	a.guid = a.link = NULL;
	a.title = b.title = b.link = NULL;
	b.summary_text = "other text";
	k1 = store_item_key(&a);
	k2 = store_item_key(&b);
	assert_string_not_equal(k1, k2);
	free(k1);
	free(k2);
	assert_int_equal(nitems(f), 2);
}

static void
test_item_time(void **state)
{
	struct fx *f = *state;
	struct store_item it = mk("bbc", "fut", "From the future", "", T0 + 7200);
	struct store_upsert_result r;

	it.fetched = T0;
	assert_int_equal(store_item_upsert(f->st, &it, &r, f->err, sizeof f->err), 0);
	assert_int_equal(r.time, T0);
	it = mk("bbc", "undated", "No date", "", 0);
	it.fetched = T0 + 5;
	assert_int_equal(store_item_upsert(f->st, &it, &r, f->err, sizeof f->err), 0);
	assert_int_equal(r.time, T0 + 5);
}

/* The stored published, first_seen and time of item id. */
static void
expect_dates(struct fx *f, int64_t id, int64_t published, int64_t first_seen, int64_t t)
{
	struct store_item_list l = {0};

	assert_int_equal(store_item_get(f->st, id, &l, f->err, sizeof f->err), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].published, published);
	assert_int_equal(l.v[0].first_seen, first_seen);
	assert_int_equal(l.v[0].time, t);
	store_item_list_free(&l);
}

/* The date ingest chose is the item's published date and its time (clamped
 * to the fetch); first_seen stays the fetch. It is not part of the key or
 * hash, and a later poll does not move it unless the document gives a
 * published date of its own. */
static void
test_item_date(void **state)
{
	struct fx *f = *state;
	struct store_item it = mk("tech", "rel-1", "herald 1.2.0 released", "", 0);
	struct store_upsert_result r, r2;
	struct store_story_list sl = {0};
	char *k1, *k2;

	/* An Atom entry with only <updated>: ingest's date. */
	it.updated = T0 - 90 * 86400;
	it.date = T0 - 90 * 86400;
	it.fetched = T0;
	assert_int_equal(store_item_upsert(f->st, &it, &r, f->err, sizeof f->err), 0);
	assert_int_equal(r.status, STORE_ITEM_NEW);
	assert_int_equal(r.time, T0 - 90 * 86400);
	expect_dates(f, r.item_id, T0 - 90 * 86400, T0, T0 - 90 * 86400);

	/* The next poll chose another date (a feed's date moves): unchanged. */
	it.date = T0 - 3600;
	it.fetched = T0 + 3600;
	assert_int_equal(store_item_upsert(f->st, &it, &r2, f->err, sizeof f->err), 0);
	assert_int_equal(r2.status, STORE_ITEM_UNCHANGED);
	assert_int_equal(r2.time, T0 - 90 * 86400);
	/* Edited, and its <updated> moved: the date it was given stays. */
	it.summary_text = "Now with notes.";
	it.updated = it.date = T0 - 60;
	assert_int_equal(store_item_upsert(f->st, &it, &r2, f->err, sizeof f->err), 0);
	assert_int_equal(r2.status, STORE_ITEM_CHANGED);
	expect_dates(f, r.item_id, T0 - 90 * 86400, T0, T0 - 90 * 86400);
	/* Undated now: still kept, never zeroed. */
	it.summary_text = "Notes again.";
	it.updated = it.date = 0;
	assert_int_equal(store_item_upsert(f->st, &it, &r2, f->err, sizeof f->err), 0);
	assert_int_equal(r2.status, STORE_ITEM_CHANGED);
	expect_dates(f, r.item_id, T0 - 90 * 86400, T0, T0 - 90 * 86400);
	/* A published date of the document's own replaces it. */
	it.summary_text = "Published at last.";
	it.published = it.date = T0 - 80 * 86400;
	assert_int_equal(store_item_upsert(f->st, &it, &r2, f->err, sizeof f->err), 0);
	assert_int_equal(r2.status, STORE_ITEM_CHANGED);
	expect_dates(f, r.item_id, T0 - 80 * 86400, T0, T0 - 90 * 86400);

	/* A date in the future of the fetch is stored, time is the fetch. */
	it = mk("tech", "rel-2", "Scheduled", "", 0);
	it.date = T0 + 7200;
	it.fetched = T0;
	assert_int_equal(store_item_upsert(f->st, &it, &r, f->err, sizeof f->err), 0);
	expect_dates(f, r.item_id, T0 + 7200, T0, T0);

	/* No date from ingest: the document's published, as before. */
	it = mk("tech", "rel-3", "Plain", "", T0 - 500);
	it.fetched = T0;
	assert_int_equal(store_item_upsert(f->st, &it, &r, f->err, sizeof f->err), 0);
	expect_dates(f, r.item_id, T0 - 500, T0, T0 - 500);
	assert_int_equal(store_item_set_story(f->st, r.item_id, 9, f->err, sizeof f->err), 0);

	/* Nothing known: published 0, time and first_seen the fetch. */
	it = mk("tech", "rel-4", "Undated", "", 0);
	it.fetched = T0 + 5;
	assert_int_equal(store_item_upsert(f->st, &it, &r, f->err, sizeof f->err), 0);
	expect_dates(f, r.item_id, 0, T0 + 5, T0 + 5);

	/* A keyless item's key does not take the chosen date. */
	it.guid = it.link = NULL;
	it.date = T0 - 100;
	k1 = store_item_key(&it);
	it.date = T0 - 200;
	k2 = store_item_key(&it);
	assert_non_null(k1);
	assert_non_null(k2);
	assert_string_equal(k1, k2);
	free(k1);
	free(k2);

	/* A story's outlets carry both dates. */
	assert_int_equal(store_item_set_story(f->st, r.item_id, 9, f->err, sizeof f->err), 0);
	assert_int_equal(store_story_get(f->st, 9, &sl, f->err, sizeof f->err), 0);
	assert_int_equal(sl.v[0].noutlet_rows, 2);
	assert_int_equal(sl.v[0].outlets[0].published, T0 - 500);
	assert_int_equal(sl.v[0].outlets[0].first_seen, T0);
	assert_int_equal(sl.v[0].outlets[1].published, 0);
	assert_int_equal(sl.v[0].outlets[1].first_seen, T0 + 5);
	store_story_list_free(&sl);
}

/* Whether a feed has items yet: ingest's "first poll". */
static void
test_feed_has_items(void **state)
{
	struct fx *f = *state;
	int has = -1;

	assert_int_equal(store_feed_has_items(f->st, "dw", &has, f->err, sizeof f->err), 0);
	assert_int_equal(has, 0);
	add(f, "dw", "urn:dw-1", "A story", "", T0, 0);
	assert_int_equal(store_feed_has_items(f->st, "dw", &has, f->err, sizeof f->err), 0);
	assert_int_equal(has, 1);
	assert_int_equal(store_feed_has_items(f->st, "bbc", &has, f->err, sizeof f->err), 0);
	assert_int_equal(has, 0);
	assert_int_equal(store_feed_has_items(f->st, "nosuch", &has, f->err, sizeof f->err),
			 STORE_ENOTFOUND);
	assert_non_null(strstr(f->err, "nosuch"));
}

/* ---- Transactions ---- */

static void
test_rollback_leaves_nothing(void **state)
{
	struct fx *f = *state;
	int64_t max;

	assert_int_equal(store_begin(f->st, f->err, sizeof f->err), 0);
	assert_int_equal(store_begin(f->st, f->err, sizeof f->err), -1); /* no nesting */
	add(f, "bbc", "r1", "One", "x", T0, 7);
	add(f, "dw", "r2", "Two", "x", T0, 8);
	assert_int_equal(store_story_merge(f->st, 7, 8, f->err, sizeof f->err), 0);
	assert_int_equal(nitems(f), 2);
	store_rollback(f->st);
	store_rollback(f->st); /* harmless without a transaction */
	assert_int_equal(nitems(f), 0);
	assert_int_equal(store_story_max_id(f->st, &max, f->err, sizeof f->err), 0);
	assert_int_equal(max, 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM items_fts"), 0);
	reopen(f);
	assert_int_equal(nitems(f), 0);
}

static void
test_commit_survives_reopen(void **state)
{
	struct fx *f = *state;
	struct store_item it = mk("bbc", "c1", "Kept", "x", T0);
	struct store_upsert_result r;
	pid_t pid;
	int status, fds[2];
	char c;

	assert_int_equal(store_begin(f->st, f->err, sizeof f->err), 0);
	add(f, "bbc", "c0", "Committed", "x", T0, 3);
	assert_int_equal(store_commit(f->st, f->err, sizeof f->err), 0);

	/* A process killed inside a transaction leaves the previous state. */
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *st;
		char err[256];

		close(fds[0]);
		if (store_open(f->path, &st, err, sizeof err) < 0 ||
		    store_begin(st, err, sizeof err) < 0 ||
		    store_item_upsert(st, &it, &r, err, sizeof err) < 0 ||
		    store_item_set_story(st, r.item_id, 4, err, sizeof err) < 0)
			_exit(1);
		if (write(fds[1], "w", 1) != 1)
			_exit(1);
		for (;;) /* killed by the parent: no commit, no close */
			pause();
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1); /* the child wrote, uncommitted */
	close(fds[0]);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	reopen(f);
	assert_int_equal(nitems(f), 1);
	{
		int64_t max;

		assert_int_equal(store_story_max_id(f->st, &max, f->err, sizeof f->err), 0);
		assert_int_equal(max, 3);
	}
	assert_int_equal(store_item_upsert(f->st, &it, &r, f->err, sizeof f->err), 0);
	assert_int_equal(r.status, STORE_ITEM_NEW);
	assert_int_equal(nitems(f), 2);
}

/* ---- Stories ---- */

static void
test_story_merge(void **state)
{
	struct fx *f = *state;
	struct store_story_list l = {0};
	int64_t a1, a2, b1, res;

	a1 = add(f, "bbc", "a1", "Leaders meet in Ankara", "text a1", T0, 10);
	a2 = add(f, "dw", "a2", "Ankara summit opens", "text a2", T0 + 100, 10);
	b1 = add(f, "tech", "b1", "Summit in Ankara: leaders talk", "text b1", T0 + 50, 11);
	assert_int_equal(store_mark_story(f->st, 10, STORE_MARK_READ, &res, f->err, sizeof f->err),
			 0);
	assert_int_equal(res, 10);
	assert_int_equal(store_mark_story(f->st, 11, STORE_MARK_STAR, NULL, f->err, sizeof f->err),
			 0);
	assert_int_equal(store_story_set_digested(f->st, 10, f->err, sizeof f->err), 0);

	assert_int_equal(store_story_merge(f->st, 10, 11, f->err, sizeof f->err), 0);
	assert_int_equal(store_story_resolve(f->st, 11, &res, f->err, sizeof f->err), 0);
	assert_int_equal(res, 10);
	/* The old id shows the survivor with all three items, read marks kept. */
	assert_int_equal(store_story_get(f->st, 11, &l, f->err, sizeof f->err), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].id, 10);
	assert_int_equal(l.v[0].nitems, 3);
	assert_int_equal(l.v[0].noutlets, 3);
	assert_int_equal(l.v[0].nunread, 1);
	assert_int_equal(l.v[0].state, STORE_STATE_UPDATED);
	assert_int_equal(l.v[0].starred, 1);
	assert_int_equal(l.v[0].digested, 1);
	assert_int_equal(l.v[0].first_seen, T0);
	assert_int_equal(l.v[0].last_seen, T0 + 100);
	assert_string_equal(l.v[0].title, "Leaders meet in Ankara");
	assert_int_equal(l.v[0].noutlet_rows, 3);
	assert_int_equal(l.v[0].outlets[0].item_id, a1);
	assert_int_equal(l.v[0].outlets[1].item_id, b1);
	assert_int_equal(l.v[0].outlets[2].item_id, a2);
	assert_int_equal(l.v[0].outlets[1].read, 0);
	assert_string_equal(l.v[0].outlets[1].text, "text b1");
	store_story_list_free(&l);

	/* Marks on the old id reach every item of the survivor. */
	assert_int_equal(store_mark_story(f->st, 11, STORE_MARK_READ, &res, f->err, sizeof f->err),
			 0);
	assert_int_equal(res, 10);
	assert_int_equal(store_story_get(f->st, 10, &l, f->err, sizeof f->err), 0);
	assert_int_equal(l.v[0].state, STORE_STATE_READ);
	store_story_list_free(&l);

	/* A chain: 10 into 12; 11 now resolves to 12 in one hop. */
	add(f, "bbc", "c1", "Other", "x", T0 + 10, 12);
	assert_int_equal(store_story_merge(f->st, 12, 10, f->err, sizeof f->err), 0);
	assert_int_equal(store_story_resolve(f->st, 11, &res, f->err, sizeof f->err), 0);
	assert_int_equal(res, 12);
	assert_int_equal(sql_int(f->path, "SELECT merged_into FROM stories WHERE id = 11"), 12);
	/* Assigning to a merged id lands in the survivor. */
	add(f, "dw", "late", "Late item", "x", T0 + 500, 11);
	assert_int_equal(store_story_get(f->st, 12, &l, f->err, sizeof f->err), 0);
	assert_int_equal(l.v[0].nitems, 5);
	assert_int_equal(l.v[0].last_seen, T0 + 500);
	store_story_list_free(&l);
	assert_int_equal(store_story_merge(f->st, 12, 11, f->err, sizeof f->err), 0); /* no-op */
	assert_int_equal(store_story_get(f->st, 77, &l, f->err, sizeof f->err), STORE_ENOTFOUND);
	store_story_list_free(&l);
	assert_int_equal(store_mark_story(f->st, 77, STORE_MARK_READ, NULL, f->err, sizeof f->err),
			 STORE_ENOTFOUND);
	assert_int_equal(store_story_set_digested(f->st, 77, f->err, sizeof f->err),
			 STORE_ENOTFOUND);
	assert_int_equal(store_item_set_story(f->st, 9999, 12, f->err, sizeof f->err),
			 STORE_ENOTFOUND);
	assert_int_equal(store_item_set_story(f->st, a1, 0, f->err, sizeof f->err), -1);
	assert_int_equal(sql_int(f->path, NUNREAD_DRIFT), 0);
}

static void
test_reassign_refreshes_old(void **state)
{
	struct fx *f = *state;
	struct store_story_list l = {0};
	int64_t i1;

	i1 = add(f, "bbc", "x1", "First", "x", T0, 20);
	add(f, "dw", "x2", "Second", "x", T0 + 10, 20);
	assert_int_equal(store_item_set_story(f->st, i1, 21, f->err, sizeof f->err), 0);
	assert_int_equal(store_story_get(f->st, 20, &l, f->err, sizeof f->err), 0);
	assert_int_equal(l.v[0].nitems, 1);
	assert_string_equal(l.v[0].title, "Second");
	assert_int_equal(l.v[0].first_seen, T0 + 10);
	store_story_list_free(&l);
}

/* ---- Restore ---- */

struct seen {
	int64_t item[8], story[8], time[8];
	int n;
};

static int
collect(const struct store_restore_row *row, void *user)
{
	struct seen *s = user;

	if (s->n == 8)
		return 42;
	s->item[s->n] = row->item_id;
	s->story[s->n] = row->story_id;
	s->time[s->n] = row->time;
	s->n++;
	return 0;
}

static void
test_restore(void **state)
{
	struct fx *f = *state;
	struct seen s = {0};
	int64_t a, b, c, max;

	c = add(f, "bbc", "r3", "Third", "t3", T0 + 300, 62);
	a = add(f, "dw", "r1", "First", "t1", T0 + 100, 60);
	b = add(f, "tech", "r2", "Second", "t2", T0 + 200, 61);
	add(f, "dw", "r0", "Old", "t0", T0 - 100000, 59);
	add(f, "dw", "none", "No story yet", "", T0 + 400, 0);
	assert_int_equal(store_story_merge(f->st, 60, 61, f->err, sizeof f->err), 0);
	assert_int_equal(store_restore_items(f->st, T0, 0, collect, &s, f->err, sizeof f->err), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.item[0], a);
	assert_int_equal(s.item[1], b);
	assert_int_equal(s.item[2], c);
	assert_int_equal(s.story[0], 60);
	assert_int_equal(s.story[1], 60);
	assert_int_equal(s.story[2], 62);
	assert_int_equal(s.story[3], 0);
	assert_int_equal(s.time[2], T0 + 300);
	assert_int_equal(store_story_max_id(f->st, &max, f->err, sizeof f->err), 0);
	assert_int_equal(max, 62);
	/* Only the newest two, still oldest first. */
	s = (struct seen){0};
	assert_int_equal(store_restore_items(f->st, T0, 2, collect, &s, f->err, sizeof f->err), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.item[0], c);
	assert_int_equal(s.time[1], T0 + 400);
	/* A callback can stop the walk. */
	s.n = 8;
	assert_int_equal(store_restore_items(f->st, 0, 0, collect, &s, f->err, sizeof f->err), 42);
	assert_int_equal(nitems(f), 5);
}

/* herald remove: a feed's items go (the starred ones stay unless asked),
 * with their search rows; a story they alone made goes, a story shared with
 * another feed is recounted; the row goes once no item is left. */
static void
test_feed_delete(void **state)
{
	struct fx *f = *state;
	struct store_hit_list h = {0};
	struct store_story_list l = {0};
	int64_t n = -1, starred;

	add(f, "bbc", "b1", "Walrus colony found on remote island", "Scientists counted.", T0, 10);
	add(f, "dw", "d1", "Walrus colony discovered on island", "Researchers counted.", T0 + 5,
	    10);
	add(f, "dw", "d2", "Yak festival draws record crowds", "Herders celebrated.", T0 + 9, 11);
	starred = add(f, "dw", "d3", "Glacier retreat measured", "Ice lost.", T0 + 20, 12);
	assert_int_equal(store_mark_item(f->st, starred, STORE_MARK_STAR, f->err, sizeof f->err),
			 0);

	assert_int_equal(store_feed_delete(f->st, "nosuch", 0, &n, f->err, sizeof f->err),
			 STORE_ENOTFOUND);
	assert_int_equal(store_feed_delete(f->st, "dw", 0, &n, f->err, sizeof f->err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM items WHERE feed = 'dw'"), 1);
	/* The shared story keeps bbc's item, recounted; yak's story is gone. */
	assert_int_equal(sql_int(f->path, "SELECT nitems FROM stories WHERE id = 10"), 1);
	assert_int_equal(sql_int(f->path, "SELECT noutlets FROM stories WHERE id = 10"), 1);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM stories WHERE id = 11"), 0);
	assert_int_equal(store_story_get(f->st, 12, &l, f->err, sizeof f->err), 0);
	store_story_list_free(&l);
	/* The search index lost the deleted items' rows, not the others'. */
	assert_int_equal(store_search(f->st, "yak", NULL, NULL, 10, 0, &h, f->err, sizeof f->err),
			 0);
	assert_int_equal(h.n, 0);
	store_hit_list_free(&h);
	assert_int_equal(
		store_search(f->st, "walrus", NULL, NULL, 10, 0, &h, f->err, sizeof f->err), 0);
	assert_int_equal(h.n, 1);
	store_hit_list_free(&h);
	/* The row stays while the starred item does. */
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM feeds WHERE id = 'dw'"), 1);
	assert_int_equal(store_feed_delete(f->st, "dw", 1, &n, f->err, sizeof f->err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM feeds WHERE id = 'dw'"), 0);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM feed_tags WHERE feed = 'dw'"), 0);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM stories WHERE id = 12"), 0);
	/* The largest story id that went is never given again. */
	{
		int64_t max = 0;

		assert_int_equal(store_story_max_id(f->st, &max, f->err, sizeof f->err), 0);
		assert_true(max >= 12);
	}
	assert_int_equal(
		sql_int(f->path, "SELECT COUNT(*) FROM items_fts WHERE items_fts MATCH 'glacier'"),
		0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_byte_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_version_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_unread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_later, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unopenable_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feeds_sync_and_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_moved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feeds_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insert_reinsert_edit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fallback_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_item_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_item_date, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_has_items, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_survives_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_story_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reassign_refreshes_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_delete, setup, teardown),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
