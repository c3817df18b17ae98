/* Tests for ingest.c: responses parsed and stored through ingest into a real
 * store (a temporary SQLite file) and a real story index, and read back
 * through the store's listings. Dates (issue 22): which date an item gets,
 * the feed's own date for a first poll's backlog, the fetch time for an
 * undated item later on, and folding by the publication time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "ingest.h"
#include "parse.h"
#include "store.h"
#include "story.h"

#define T0  1700000000LL /* a fixed fetch time */
#define DAY 86400LL

struct fx {
	char dir[256];
	char path[300];
	struct store *st;
	struct story_index *idx;
	char err[512];
};

static struct config_feed feeds[] = {
	{.id = "news", .url = "https://news.example/rss"},
	{.id = "releases", .url = "https://github.example/herald/releases.atom"},
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	const char *tmp = getenv("TMPDIR");
	struct story_params p = story_params_default();

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof f->dir, "%s/herald-ingest-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof f->path, "%s/herald.db", f->dir);
	if (store_open(f->path, &f->st, f->err, sizeof f->err) < 0 ||
	    store_feeds_sync(f->st, feeds, 2, f->err, sizeof f->err) < 0 ||
	    (f->idx = story_new(&p, f->err, sizeof f->err)) == NULL) {
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
	char p[320];

	story_free(f->idx);
	store_close(f->st);
	unlink(f->path);
	snprintf(p, sizeof p, "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* One poll of feed at fetch time now: doc parsed and stored. Returns
 * ingest_store's result; the counts in *c. */
static int
poll_doc(struct fx *f, const char *feed, const char *ct, const char *doc, int64_t now,
	 struct ingest_counts *c)
{
	struct ingest *in = ingest_new(feed, ct, "https://example.org/feed", now);
	int rc;

	assert_non_null(in);
	assert_int_equal(ingest_feed(in, doc, strlen(doc), f->err, sizeof f->err), 0);
	assert_int_equal(ingest_end(in, f->err, sizeof f->err), 0);
	rc = ingest_store(in, f->st, f->idx, c, f->err, sizeof f->err);
	ingest_free(in);
	return rc;
}

/* The stored item of feed titled title (exactly one). The caller frees l. */
static const struct store_item_row *
item_titled(struct fx *f, const char *feed, const char *title, struct store_item_list *l)
{
	struct store_filter flt = {.all = 1, .feed = feed, .limit = STORE_NO_LIMIT};
	const struct store_item_row *hit = NULL;

	store_item_list_free(l);
	assert_int_equal(store_items(f->st, &flt, l, f->err, sizeof f->err), 0);
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].title, title) == 0) {
			assert_null(hit);
			hit = &l->v[i];
		}
	if (hit == NULL)
		fail_msg("no item '%s' in feed %s", title, feed);
	return hit;
}

/* published, first_seen and time of the item titled title. */
static void
expect_item(struct fx *f, const char *feed, const char *title, int64_t published,
	    int64_t first_seen, int64_t t)
{
	struct store_item_list l = {0};
	const struct store_item_row *r = item_titled(f, feed, title, &l);

	assert_int_equal(r->published, published);
	assert_int_equal(r->first_seen, first_seen);
	assert_int_equal(r->time, t);
	store_item_list_free(&l);
}

static int64_t
story_of(struct fx *f, const char *feed, const char *title)
{
	struct store_item_list l = {0};
	int64_t id = item_titled(f, feed, title, &l)->story_id;

	store_item_list_free(&l);
	assert_true(id > 0);
	return id;
}

#define RSS_HEAD "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>News</title>"
/* Thu, 02 Nov 2023 22:13:20 GMT = T0 - 12 days. */
#define BUILT_12D "<lastBuildDate>Thu, 02 Nov 2023 22:13:20 GMT</lastBuildDate>"

/* A feed's first poll: undated items get the feed's own date, never "now";
 * an item with a date of its own keeps it. A later poll's undated item is
 * dated by when herald first saw it. */
static void
test_backlog_dated_by_feed(void **state)
{
	struct fx *f = *state;
	struct ingest_counts c;
	struct store_feed_status fs = {
		.last_poll = T0 - 600, .last_status = 500, .last_error = "HTTP 500", .failures = 1};

	/* A first poll that failed records a poll, but stores no item: the
	 * next one still brings the backlog. */
	assert_int_equal(store_feed_status(f->st, "news", &fs, f->err, sizeof f->err), 0);
	assert_int_equal(poll_doc(f, "news", "application/rss+xml",
				  RSS_HEAD BUILT_12D
				  "<item><guid>n1</guid><title>Old undated one</title></item>"
				  "<item><guid>n2</guid><title>Old undated two</title></item>"
				  "<item><guid>n3</guid><title>Dated</title>"
				  "<pubDate>Mon, 30 Oct 2023 22:13:20 GMT</pubDate></item>"
				  "</channel></rss>",
				  T0, &c),
			 0);
	assert_int_equal(c.added, 3);
	expect_item(f, "news", "Old undated one", T0 - 12 * DAY, T0, T0 - 12 * DAY);
	expect_item(f, "news", "Old undated two", T0 - 12 * DAY, T0, T0 - 12 * DAY);
	expect_item(f, "news", "Dated", T0 - 15 * DAY, T0, T0 - 15 * DAY);

	/* Later: the feed's date moved; the old items keep theirs, the new
	 * undated one is dated by the fetch (first_seen), not the feed. */
	assert_int_equal(poll_doc(f, "news", "application/rss+xml",
				  RSS_HEAD
				  "<lastBuildDate>Tue, 14 Nov 2023 22:00:00 GMT"
				  "</lastBuildDate>"
				  "<item><guid>n4</guid><title>Fresh undated</title></item>"
				  "<item><guid>n1</guid><title>Old undated one</title></item>"
				  "<item><guid>n2</guid><title>Old undated two</title></item>"
				  "</channel></rss>",
				  T0 + 3600, &c),
			 0);
	assert_int_equal(c.added, 1);
	assert_int_equal(c.unchanged, 2);
	expect_item(f, "news", "Fresh undated", 0, T0 + 3600, T0 + 3600);
	expect_item(f, "news", "Old undated one", T0 - 12 * DAY, T0, T0 - 12 * DAY);
}

/* Bad paths: a first poll whose feed has no date at all is dated by the
 * fetch; a feed date in the future of the fetch is clamped to it (kept as
 * published); an unknown feed fails naming it and stores nothing. */
static void
test_backlog_bad_paths(void **state)
{
	struct fx *f = *state;
	struct ingest_counts c;
	int has = 1;

	assert_int_equal(poll_doc(f, "news", "application/rss+xml",
				  RSS_HEAD "<item><guid>u1</guid><title>No date anywhere</title>"
					   "</item></channel></rss>",
				  T0, &c),
			 0);
	expect_item(f, "news", "No date anywhere", 0, T0, T0);

	assert_int_equal(
		poll_doc(f, "releases", "application/atom+xml",
			 "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>R</title>"
			 "<id>urn:r</id><updated>2023-11-15T22:13:20Z</updated>"
			 "<entry><id>urn:r:1</id><title>From tomorrow</title></entry></feed>",
			 T0, &c),
		0);
	expect_item(f, "releases", "From tomorrow", T0 + DAY, T0, T0);

	assert_int_equal(poll_doc(f, "nosuch", "application/rss+xml",
				  RSS_HEAD BUILT_12D "<item><guid>x</guid><title>X</title></item>"
						     "</channel></rss>",
				  T0, &c),
			 -1);
	assert_non_null(strstr(f->err, "nosuch"));
	assert_int_equal(store_feed_has_items(f->st, "nosuch", &has, f->err, sizeof f->err),
			 STORE_ENOTFOUND);
}

#define ATOM_HEAD                                                                                  \
	"<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Release notes from herald</title>"     \
	"<id>tag:github.com,2008:https://github.com/herald/herald/releases</id>"                   \
	"<updated>2023-11-14T22:13:20Z</updated>"
#define RELEASE(ver, when)                                                                         \
	"<entry><id>tag:github.com,2008:Repository/1/v" ver "</id>"                                \
	"<updated>" when "</updated>"                                                              \
	"<link rel=\"alternate\" href=\"https://github.com/herald/herald/releases/tag/v" ver       \
	"\"/><title>herald " ver " released</title>"                                               \
	"<content type=\"html\">&lt;p&gt;herald " ver " is out: bug fixes and faster folding."     \
	" Upgrade with your package manager.&lt;/p&gt;</content></entry>"

/* GitHub releases carry only <updated>: each is dated by it, so releases
 * three months apart are two stories, not one folded "just now". */
static void
test_releases_not_folded(void **state)
{
	struct fx *f = *state;
	struct ingest_counts c;
	int64_t s1, s2;

	assert_int_equal(poll_doc(f, "releases", "application/atom+xml",
				  ATOM_HEAD RELEASE("1.3.0", "2023-11-14T10:00:00Z")
					  RELEASE("1.2.0", "2023-08-14T10:00:00Z") "</feed>",
				  T0, &c),
			 0);
	assert_int_equal(c.added, 2);
	/* 2023-11-14T10:00:00Z = T0 - 44000 s; 2023-08-14T10:00:00Z 92 days before. */
	expect_item(f, "releases", "herald 1.3.0 released", T0 - 44000, T0, T0 - 44000);
	expect_item(f, "releases", "herald 1.2.0 released", T0 - 44000 - 92 * DAY, T0,
		    T0 - 44000 - 92 * DAY);
	s1 = story_of(f, "releases", "herald 1.2.0 released");
	s2 = story_of(f, "releases", "herald 1.3.0 released");
	assert_int_not_equal(s1, s2);
	assert_int_equal(c.merges, 0);

	/* The stories are placed by those dates too. */
	{
		struct store_story_list sl = {0};

		assert_int_equal(store_story_get(f->st, s1, &sl, f->err, sizeof f->err), 0);
		assert_int_equal(sl.v[0].first_seen, T0 - 44000 - 92 * DAY);
		assert_int_equal(sl.v[0].last_seen, T0 - 44000 - 92 * DAY);
		store_story_list_free(&sl);
	}
}

/* Issue 28: a response's parse has a CPU budget. Past it the parse stops
 * and ingest_feed or ingest_end fails with a message saying so (nothing is
 * to be stored); within it nothing changes. */
static void
test_cpu_budget(void **state)
{
	struct buf doc = {0};
	char err[512];
	int rc = 0;

	(void)state;
	buf_puts(&doc, "<rss version=\"2.0\"><channel><title>t</title>");
	for (int i = 0; i < 20000; i++)
		buf_printf(&doc,
			   "<item><guid>%d</guid><title>t %d</title><description>&lt;p&gt;a "
			   "&lt;b&gt;b&lt;/b&gt; c&lt;/p&gt;</description></item>",
			   i, i);
	buf_puts(&doc, "</channel></rss>");

	struct ingest *in = ingest_new("f", NULL, "https://example.org/feed", 1);
	assert_non_null(in);
	ingest_set_budget(in, 1); /* 1 ms: far less than 20,000 items take */
	for (size_t off = 0; off < doc.len && rc == 0; off += 65536)
		rc = ingest_feed(in, doc.data + off, doc.len - off < 65536 ? doc.len - off : 65536,
				 err, sizeof err);
	if (rc == 0)
		rc = ingest_end(in, err, sizeof err);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "CPU budget of 1 ms"));
	ingest_free(in);

	in = ingest_new("f", NULL, "https://example.org/feed", 1);
	assert_non_null(in);
	ingest_set_budget(in, 60000);
	assert_int_equal(ingest_feed(in, doc.data, doc.len, err, sizeof err), 0);
	assert_int_equal(ingest_end(in, err, sizeof err), 0);
	assert_int_equal(ingest_meta(in)->nitems, 20000);
	ingest_free(in);
	buf_free(&doc);
}

/* Item links with a scheme no reader should follow (javascript:, data:,
 * file:, however written) are not stored; http(s) and mailto links are. */
static void
test_unsafe_links_dropped(void **state)
{
	static const struct {
		const char *link; /* as written in the XML */
		const char *want; /* NULL: no link stored */
	} cases[] = {
		{"https://news.example/a", "https://news.example/a"},
		{"mailto:desk@news.example", "mailto:desk@news.example"},
		{"javascript:alert(document.cookie)", NULL},
		{"JaVaScRiPt:alert(1)", NULL},
		{"java&#9;script:alert(1)", NULL},
		{"  javascript:alert(1)", NULL},
		{"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", NULL},
		{"file:///etc/passwd", NULL},
		{"vbscript:msgbox", NULL},
	};
	struct fx *f = *state;
	struct ingest_counts c;
	char doc[4096], title[32];
	size_t len = 0;

	len += (size_t)snprintf(doc, sizeof doc, "%s", RSS_HEAD);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		len += (size_t)snprintf(doc + len, sizeof doc - len,
					"<item><title>link %zu</title><guid>g%zu</guid>"
					"<link>%s</link></item>",
					i, i, cases[i].link);
	snprintf(doc + len, sizeof doc - len, "</channel></rss>");
	assert_int_equal(poll_doc(f, "news", "application/rss+xml", doc, T0, &c), 0);
	assert_int_equal(c.added, sizeof cases / sizeof cases[0]);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct store_item_list l = {0};
		const struct store_item_row *r;

		snprintf(title, sizeof title, "link %zu", i);
		r = item_titled(f, "news", title, &l);
		if (cases[i].want == NULL) {
			if (r->link && *r->link)
				fail_msg("link '%s' stored as '%s'", cases[i].link, r->link);
		} else {
			assert_non_null(r->link);
			assert_string_equal(r->link, cases[i].want);
		}
		store_item_list_free(&l);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_backlog_dated_by_feed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backlog_bad_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_releases_not_folded, setup, teardown),
		cmocka_unit_test(test_cpu_budget),
		cmocka_unit_test_setup_teardown(test_unsafe_links_dropped, setup, teardown),
	};
	return cmocka_run_group_tests_name("ingest", tests, NULL, NULL);
}
