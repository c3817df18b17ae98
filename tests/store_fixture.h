/* Fixtures shared by the store's two test programs: test_store.c (store.c)
 * and test_store_query.c (store_query.c) both include this header. Each
 * test gets a fresh database in its own temporary directory, synced with
 * three feeds. */
#ifndef HERALD_TESTS_STORE_FIXTURE_H
#define HERALD_TESTS_STORE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "store.h"

#define T0 1700000000LL /* a fixed "now" */

struct fx {
	char dir[256];
	char path[300];
	struct store *st;
	char err[512];
};

static void
rm_db(const char *path)
{
	char p[320];

	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-journal", path);
	unlink(p);
}

static char *tag_world[] = {"world", "uk"};
static char *tag_tech[] = {"tech"};
static struct config_feed feeds3[] = {
	{.id = "bbc",
	 .url = "https://bbc.example/rss",
	 .name = "BBC News",
	 .tags = tag_world,
	 .ntags = 2},
	{.id = "dw", .url = "https://dw.example/rss", .tags = tag_world, .ntags = 1},
	{.id = "tech", .url = "https://tech.example/atom", .tags = tag_tech, .ntags = 1},
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	const char *tmp = getenv("TMPDIR");

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof f->dir, "%s/herald-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof f->path, "%s/herald.db", f->dir);
	if (store_open(f->path, &f->st, f->err, sizeof f->err) < 0) {
		fprintf(stderr, "%s\n", f->err);
		return -1;
	}
	if (store_feeds_sync(f->st, feeds3, 3, f->err, sizeof f->err) < 0) {
		fprintf(stderr, "%s\n", f->err);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	rm_db(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* An item of feed with guid, title and text, published at t. */
static struct store_item
mk(const char *feed, const char *guid, const char *title, const char *text, int64_t t)
{
	struct store_item it = {.feed = feed,
				.guid = guid,
				.title = title,
				.summary_text = text,
				.summary_html = text,
				.link = "https://example.org/x",
				.published = t,
				.fetched = t + 60};

	return it;
}

static int64_t
add(struct fx *f, const char *feed, const char *guid, const char *title, const char *text,
    int64_t t, int64_t story)
{
	struct store_item it = mk(feed, guid, title, text, t);
	struct store_upsert_result r;

	assert_int_equal(store_item_upsert(f->st, &it, &r, f->err, sizeof f->err), 0);
	assert_int_equal(r.status, STORE_ITEM_NEW);
	if (story)
		assert_int_equal(
			store_item_set_story(f->st, r.item_id, story, f->err, sizeof f->err), 0);
	return r.item_id;
}

static int64_t
sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(store_fts_register(db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Stories whose kept unread count differs from their items'. */
#define NUNREAD_DRIFT                                                                              \
	"SELECT count(*) FROM stories s WHERE nunread <>"                                          \
	" (SELECT count(*) FROM items i WHERE i.story_id = s.id AND i.read = 0)"

static void
expect_stories(struct fx *f, struct store_filter flt, size_t n, const int64_t *want)
{
	struct store_story_list l = {0};

	assert_int_equal(store_stories(f->st, &flt, &l, f->err, sizeof f->err), 0);
	assert_int_equal(l.n, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(l.v[i].id, want[i]);
	store_story_list_free(&l);
}

#endif
