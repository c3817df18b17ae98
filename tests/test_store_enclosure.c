/* Tests for store_enclosure.c (issue 25): enclosures of every format parsed,
 * ingested and stored into a real store, read back with
 * store_item_enclosures; replaced when the item changes, gone with the
 * item; the schema 3 -> 4 migration; ingest_duration. */
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
#include "ingest.h"
#include "store.h"
#include "store_int.h"
#include "story.h"

#define T0 1700000000LL

struct fx {
	char dir[256];
	char path[300];
	struct store *st;
	struct story_index *idx;
	char err[512];
};

static struct config_feed feeds[] = {{.id = "pod", .url = "https://pod.example/rss"}};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	const char *tmp = getenv("TMPDIR");
	struct story_params p = story_params_default();

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof f->dir, "%s/herald-enc-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof f->path, "%s/herald.db", f->dir);
	if (store_open(f->path, &f->st, f->err, sizeof f->err) < 0 ||
	    store_feeds_sync(f->st, feeds, 1, f->err, sizeof f->err) < 0 ||
	    (f->idx = story_new(&p, f->err, sizeof f->err)) == NULL) {
		fprintf(stderr, "%s\n", f->err);
		return -1;
	}
	*state = f;
	return 0;
}

static void
rm_db(const char *path)
{
	char p[320];

	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	story_free(f->idx);
	store_close(f->st);
	rm_db(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
poll_doc(struct fx *f, const char *ct, const char *doc, int64_t now)
{
	struct ingest *in = ingest_new("pod", ct, "https://pod.example/feed", now);
	struct ingest_counts c;

	assert_non_null(in);
	assert_int_equal(ingest_feed(in, doc, strlen(doc), f->err, sizeof f->err), 0);
	assert_int_equal(ingest_end(in, f->err, sizeof f->err), 0);
	if (ingest_store(in, f->st, f->idx, &c, f->err, sizeof f->err) < 0)
		fail_msg("%s", f->err);
	ingest_free(in);
}

/* The enclosures of the one item titled title, as "url type length
 * duration;..." then " image=URL". */
static void
expect(struct fx *f, const char *title, const char *want)
{
	struct store_filter flt = {.all = 1, .feed = "pod", .limit = STORE_NO_LIMIT};
	struct store_item_list l = {0};
	struct store_enclosure_list e;
	char got[1024] = "";
	int64_t id = 0;

	assert_int_equal(store_items(f->st, &flt, &l, f->err, sizeof f->err), 0);
	for (size_t i = 0; i < l.n; i++)
		if (strcmp(l.v[i].title, title) == 0)
			id = l.v[i].id;
	store_item_list_free(&l);
	if (id == 0)
		fail_msg("no item '%s'", title);
	assert_int_equal(store_item_enclosures(f->st, id, &e, f->err, sizeof f->err), 0);
	for (size_t i = 0; i < e.n; i++)
		snprintf(got + strlen(got), sizeof got - strlen(got), "%s %s %lld %lld;",
			 e.v[i].url, e.v[i].type, (long long)e.v[i].length,
			 (long long)e.v[i].duration);
	snprintf(got + strlen(got), sizeof got - strlen(got), " image=%s", e.image);
	store_enclosure_list_free(&e);
	assert_string_equal(got, want);
}

static const char rss[] =
	"<rss version=\"2.0\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\""
	" xmlns:media=\"http://search.yahoo.com/mrss/\"><channel><title>Pod</title>"
	"<item><title>Ep 1</title><guid>ep1</guid>"
	"<enclosure url=\"/media/ep1.mp3\" type=\"audio/mpeg\" length=\"12345678\"/>"
	"<itunes:duration>1:02:03</itunes:duration>"
	"<itunes:image href=\"https://pod.example/ep1.jpg\"/></item>"
	"<item><title>Clip</title><guid>clip</guid>"
	"<media:content url=\"https://pod.example/clip.mp4\" type=\"video/mp4\""
	" fileSize=\"999\" duration=\"42\"/>"
	"<enclosure url=\"https://pod.example/clip.mp4\" type=\"video/mp4\" length=\"999\"/>"
	"</item>"
	"<item><title>Bad length</title><guid>bad</guid>"
	"<enclosure url=\"https://pod.example/b.ogg\" length=\"huge\"/>"
	"<itunes:duration>soon</itunes:duration></item>"
	"</channel></rss>";

/* RSS <enclosure> with iTunes duration and image; media:content repeating
 * an <enclosure> is one enclosure; a length or duration that is no number
 * is unknown (0). */
static void
test_rss(void **state)
{
	struct fx *f = *state;

	poll_doc(f, "application/rss+xml", rss, T0);
	expect(f, "Ep 1",
	       "https://pod.example/media/ep1.mp3 audio/mpeg 12345678 3723; "
	       "image=https://pod.example/ep1.jpg");
	expect(f, "Clip", "https://pod.example/clip.mp4 video/mp4 999 42; image=");
	expect(f, "Bad length", "https://pod.example/b.ogg  0 0; image=");
}

static void
test_atom(void **state)
{
	struct fx *f = *state;
	static const char atom[] =
		"<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>A</title><id>a</id>"
		"<entry><title>Talk</title><id>t1</id><updated>2023-01-01T00:00:00Z</updated>"
		"<link rel=\"alternate\" href=\"https://a.example/t1\"/>"
		"<link rel=\"enclosure\" href=\"https://a.example/t1.ogg\" type=\"audio/ogg\""
		" length=\"2048\"/></entry></feed>";

	poll_doc(f, "application/atom+xml", atom, T0);
	expect(f, "Talk", "https://a.example/t1.ogg audio/ogg 2048 0; image=");
}

static const char json1[] =
	"{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"J\",\"items\":["
	"{\"id\":\"j1\",\"title\":\"Show\",\"image\":\"/j1.png\",\"attachments\":["
	"{\"url\":\"/j1.m4a\",\"mime_type\":\"audio/x-m4a\",\"size_in_bytes\":89970236,"
	"\"duration_in_seconds\":6629.5},{\"url\":\"/j1.mp3\",\"mime_type\":\"audio/mpeg\"}]}]}";

/* JSON Feed attachments keep their order, size and duration; the item's
 * image is kept. A changed item's enclosures are replaced whole, and an
 * item that loses them loses them in the store too. */
static void
test_json_and_changes(void **state)
{
	struct fx *f = *state;
	static const char json2[] =
		"{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"J\",\"items\":["
		"{\"id\":\"j1\",\"title\":\"Show\",\"attachments\":["
		"{\"url\":\"/j1.opus\",\"mime_type\":\"audio/opus\"}]}]}";
	static const char json3[] = "{\"version\":\"https://jsonfeed.org/version/1.1\","
				    "\"items\":[{\"id\":\"j1\",\"title\":\"Show\"}]}";

	poll_doc(f, "application/feed+json", json1, T0);
	expect(f, "Show",
	       "https://pod.example/j1.m4a audio/x-m4a 89970236 6629;"
	       "https://pod.example/j1.mp3 audio/mpeg 0 0; image=https://pod.example/j1.png");
	poll_doc(f, "application/feed+json", json1, T0 + 60); /* unchanged */
	expect(f, "Show",
	       "https://pod.example/j1.m4a audio/x-m4a 89970236 6629;"
	       "https://pod.example/j1.mp3 audio/mpeg 0 0; image=https://pod.example/j1.png");
	poll_doc(f, "application/feed+json", json2, T0 + 120);
	expect(f, "Show", "https://pod.example/j1.opus audio/opus 0 0; image=");
	poll_doc(f, "application/feed+json", json3, T0 + 180);
	expect(f, "Show", " image=");
}

static long long
sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long long v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Enclosure rows go with their item, whatever deletes it. */
static void
test_gone_with_item(void **state)
{
	struct fx *f = *state;

	char err[256];
	int64_t n = 0;

	poll_doc(f, "application/feed+json", json1, T0);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM enclosures"), 2);
	/* Through the store: items_fts's tokenizer is the store's to register. */
	if (store_feed_delete(f->st, "pod", 1, &n, err, sizeof err) < 0)
		fail_msg("%s", err);
	assert_true(n > 0);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM enclosures"), 0);
}

/* A schema 3 database with items opens at the current schema, its items
 * kept, and takes enclosures. */
static void
test_migration(void **state)
{
	struct fx *f = *state;
	char err[256];
	sqlite3 *db;

	store_close(f->st);
	f->st = NULL;
	rm_db(f->path);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sqlite3_exec(db, store_migrations[i], NULL, NULL, NULL),
				 SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(db,
			     "INSERT INTO feeds(id, url) VALUES ('pod', 'https://pod.example/rss');"
			     "INSERT INTO items(feed, guid, title, first_seen, time, hash)"
			     " VALUES ('pod', 'old', 'Old', 1, 1, 1);"
			     "PRAGMA user_version = 3;",
			     NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(db);
	if (store_open(f->path, &f->st, err, sizeof err) < 0)
		fail_msg("%s", err);
	assert_int_equal(sql_int(f->path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_true(STORE_SCHEMA_VERSION >= 5); /* enclosures came with 5 */
	assert_int_equal(store_feeds_sync(f->st, feeds, 1, err, sizeof err), 0);
	expect(f, "Old", " image=");
	poll_doc(f, "application/rss+xml", rss, T0);
	expect(f, "Clip", "https://pod.example/clip.mp4 video/mp4 999 42; image=");
}

static void
test_duration(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int64_t want;
	} v[] = {
		{"3723", 3723}, {"62:03", 3723}, {"1:02:03", 3723}, {" 61.5", 61}, {"61.", 61},
		{"", 0},        {NULL, 0},       {"1:2:3:4", 0},    {"soon", 0},   {"1:", 0},
		{":5", 0},      {"-3", 0},       {"12 min", 0},
	};

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		if (ingest_duration(v[i].in) != v[i].want)
			fail_msg("'%s': %lld, want %lld", v[i].in ? v[i].in : "(null)",
				 (long long)ingest_duration(v[i].in), (long long)v[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atom, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_and_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gone_with_item, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration, setup, teardown),
		cmocka_unit_test(test_duration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
