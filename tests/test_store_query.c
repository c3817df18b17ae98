/* Tests for the store's queries for clients (store_query.c): listings,
 * filters, paging, derived state, marks and search, against real SQLite
 * files in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_fixture.h"

/* ---- Derived state and marks ---- */

static void
test_derived_state(void **state)
{
	struct fx *f = *state;
	struct store_story_list l = {0};
	struct store_filter all = {.all = 1};
	int64_t i1;

	i1 = add(f, "bbc", "s1", "Story", "x", T0, 30);
	add(f, "dw", "s2", "Story too", "x", T0 + 10, 30);
	assert_int_equal(store_story_get(f->st, 30, &l, f->err, sizeof f->err), 0);
	assert_int_equal(l.v[0].state, STORE_STATE_NEW);
	assert_string_equal(store_state_name(l.v[0].state), "new");
	store_story_list_free(&l);
	assert_int_equal(store_mark_item(f->st, i1, STORE_MARK_READ, f->err, sizeof f->err), 0);
	assert_int_equal(store_story_get(f->st, 30, &l, f->err, sizeof f->err), 0);
	assert_int_equal(l.v[0].state, STORE_STATE_UPDATED);
	store_story_list_free(&l);
	assert_int_equal(store_mark_story(f->st, 30, STORE_MARK_READ, NULL, f->err, sizeof f->err),
			 0);
	assert_int_equal(store_stories(f->st, &all, &l, f->err, sizeof f->err), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].state, STORE_STATE_READ);
	assert_string_equal(store_state_name(l.v[0].state), "read");
	store_story_list_free(&l);
	/* A late item joins the read story: updated, and listed as unread. */
	add(f, "tech", "s3", "Story again", "x", T0 + 20, 30);
	assert_int_equal(store_stories(f->st, &(struct store_filter){0}, &l, f->err, sizeof f->err),
			 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].state, STORE_STATE_UPDATED);
	assert_string_equal(store_state_name(l.v[0].state), "updated");
	assert_int_equal(l.v[0].nunread, 1);
	store_story_list_free(&l);
	assert_int_equal(
		store_mark_story(f->st, 30, STORE_MARK_UNREAD, NULL, f->err, sizeof f->err), 0);
	assert_int_equal(store_story_get(f->st, 30, &l, f->err, sizeof f->err), 0);
	assert_int_equal(l.v[0].state, STORE_STATE_NEW);
	store_story_list_free(&l);
	assert_int_equal(sql_int(f->path, NUNREAD_DRIFT), 0);
	int64_t changed = 0;
	assert_int_equal(store_mark_all_read(f->st, NULL, 0, &changed, f->err, sizeof f->err), 0);
	assert_int_equal(changed, 3);
	assert_int_equal(sql_int(f->path, "SELECT nunread FROM stories WHERE id = 30"), 0);
	expect_stories(f, (struct store_filter){0}, 0, NULL);
}

/* ---- Listings ---- */

/* Three stories: 40 (bbc+dw, world), 41 (tech), 42 (dw), oldest first. */
static void
listing_data(struct fx *f, int64_t ids[4])
{
	ids[0] = add(f, "bbc", "l1", "Election results", "vote count", T0, 40);
	ids[1] = add(f, "dw", "l2", "Results of the election", "counting", T0 + 100, 40);
	ids[2] = add(f, "tech", "l3", "New chip", "silicon", T0 + 200, 41);
	ids[3] = add(f, "dw", "l4", "Storm warning", "wind", T0 + 300, 42);
}

/* A story folded from many items lists only the first
 * STORE_STORY_OUTLET_ROWS of them; its counts and items stay whole. */
static void
test_story_outlet_cap(void **state)
{
	struct fx *f = *state;
	struct store_story_list l = {0};
	struct store_item_list il = {0};
	struct store_filter flt = {.story = 42, .limit = STORE_NO_LIMIT, .all = 1};
	int64_t first = 0;
	int n = STORE_STORY_OUTLET_ROWS + 50;

	for (int i = 0; i < n; i++) {
		char guid[32];
		int64_t id;

		snprintf(guid, sizeof guid, "big%d", i);
		id = add(f, i % 2 ? "bbc" : "dw", guid, "Giant story", "text", T0 + i, 42);
		if (i == 0)
			first = id;
	}
	assert_int_equal(store_story_get(f->st, 42, &l, f->err, sizeof f->err), 0);
	assert_int_equal(l.v[0].nitems, n);
	assert_int_equal(l.v[0].noutlets, 2);
	assert_int_equal(l.v[0].noutlet_rows, STORE_STORY_OUTLET_ROWS);
	assert_int_equal(l.v[0].outlets[0].item_id, first);
	store_story_list_free(&l);
	assert_int_equal(store_items(f->st, &flt, &il, f->err, sizeof f->err), 0);
	assert_int_equal(il.n, n);
	store_item_list_free(&il);
}

static void
test_story_listing(void **state)
{
	struct fx *f = *state;
	struct store_story_list l = {0};
	int64_t ids[4];

	listing_data(f, ids);
	expect_stories(f, (struct store_filter){0}, 3, (int64_t[]){42, 41, 40});
	assert_int_equal(store_stories(f->st, &(struct store_filter){0}, &l, f->err, sizeof f->err),
			 0);
	assert_int_equal(l.v[2].noutlet_rows, 2);
	assert_string_equal(l.v[2].outlets[0].feed, "bbc");
	assert_string_equal(l.v[2].outlets[0].feed_name, "BBC News");
	assert_string_equal(l.v[2].outlets[0].title, "Election results");
	assert_string_equal(l.v[2].outlets[0].link, "https://example.org/x");
	assert_string_equal(l.v[2].outlets[0].text, ""); /* listings leave text out */
	assert_string_equal(l.v[2].outlets[1].feed_name, "dw");
	assert_int_equal(l.v[2].ntags, 2);
	assert_string_equal(l.v[2].tags[0], "uk");
	assert_string_equal(l.v[2].tags[1], "world");
	assert_int_equal(l.v[2].nfeeds, 2);
	assert_string_equal(l.v[2].feeds[0], "bbc");
	assert_string_equal(l.v[2].feeds[1], "dw");
	store_story_list_free(&l);

	assert_int_equal(store_mark_story(f->st, 41, STORE_MARK_READ, NULL, f->err, sizeof f->err),
			 0);
	assert_int_equal(store_mark_item(f->st, ids[3], STORE_MARK_STAR, f->err, sizeof f->err), 0);
	assert_int_equal(store_story_set_digested(f->st, 40, f->err, sizeof f->err), 0);
	expect_stories(f, (struct store_filter){0}, 2, (int64_t[]){42, 40});
	expect_stories(f, (struct store_filter){.all = 1}, 3, (int64_t[]){42, 41, 40});
	expect_stories(f, (struct store_filter){.starred = 1}, 1, (int64_t[]){42});
	expect_stories(f, (struct store_filter){.all = 1, .undigested = 1}, 2, (int64_t[]){42, 41});
	expect_stories(f, (struct store_filter){.all = 1, .feed = "dw"}, 2, (int64_t[]){42, 40});
	expect_stories(f, (struct store_filter){.all = 1, .tag = "uk"}, 1, (int64_t[]){40});
	expect_stories(f, (struct store_filter){.all = 1, .tag = "UK"}, 1, (int64_t[]){40});
	expect_stories(f, (struct store_filter){.all = 1, .tag = "world"}, 2, (int64_t[]){42, 40});
	expect_stories(f, (struct store_filter){.all = 1, .tag = "none"}, 0, NULL);
	expect_stories(f, (struct store_filter){.all = 1, .since = T0 + 200}, 2,
		       (int64_t[]){42, 41});
	expect_stories(f, (struct store_filter){.all = 1, .before = T0 + 300}, 2,
		       (int64_t[]){41, 40});
	expect_stories(f, (struct store_filter){.all = 1, .limit = 1, .offset = 1}, 1,
		       (int64_t[]){41});
	expect_stories(f, (struct store_filter){.all = 1, .limit = 2, .offset = 2}, 1,
		       (int64_t[]){40});
	expect_stories(f, (struct store_filter){.all = 1, .limit = STORE_NO_LIMIT, .offset = 1}, 2,
		       (int64_t[]){41, 40});
	/* Merged stories are not listed on their own. */
	assert_int_equal(store_story_merge(f->st, 40, 42, f->err, sizeof f->err), 0);
	expect_stories(f, (struct store_filter){.all = 1}, 2, (int64_t[]){40, 41});
}

static void
expect_items(struct fx *f, struct store_filter flt, size_t n, const int64_t *want)
{
	struct store_item_list l = {0};

	assert_int_equal(store_items(f->st, &flt, &l, f->err, sizeof f->err), 0);
	assert_int_equal(l.n, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(l.v[i].id, want[i]);
	store_item_list_free(&l);
}

static void
test_item_listing(void **state)
{
	struct fx *f = *state;
	struct store_item_list l = {0};
	int64_t id[4], n;

	listing_data(f, id);
	expect_items(f, (struct store_filter){0}, 4, (int64_t[]){id[3], id[2], id[1], id[0]});
	assert_int_equal(
		store_items(f->st, &(struct store_filter){.limit = 1}, &l, f->err, sizeof f->err),
		0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].title, "Storm warning");
	assert_string_equal(l.v[0].summary_text, "wind");
	assert_string_equal(l.v[0].content_text, "");
	assert_int_equal(l.v[0].story_id, 42);
	store_item_list_free(&l);
	assert_int_equal(store_mark_item(f->st, id[0], STORE_MARK_READ, f->err, sizeof f->err), 0);
	assert_int_equal(store_mark_item(f->st, id[2], STORE_MARK_STAR, f->err, sizeof f->err), 0);
	assert_int_equal(store_story_set_digested(f->st, 42, f->err, sizeof f->err), 0);
	expect_items(f, (struct store_filter){0}, 3, (int64_t[]){id[3], id[2], id[1]});
	expect_items(f, (struct store_filter){.starred = 1}, 1, (int64_t[]){id[2]});
	expect_items(f, (struct store_filter){.all = 1, .undigested = 1}, 3,
		     (int64_t[]){id[2], id[1], id[0]});
	expect_items(f, (struct store_filter){.all = 1, .feed = "dw"}, 2,
		     (int64_t[]){id[3], id[1]});
	/* Unread of one feed: its own statement (items_unread). */
	expect_items(f, (struct store_filter){.feed = "dw"}, 2, (int64_t[]){id[3], id[1]});
	expect_items(f, (struct store_filter){.feed = "bbc"}, 0, NULL);
	expect_stories(f, (struct store_filter){.feed = "bbc"}, 1, (int64_t[]){40});
	expect_items(f, (struct store_filter){.all = 1, .tag = "tech"}, 1, (int64_t[]){id[2]});
	expect_items(f, (struct store_filter){.all = 1, .since = T0 + 100, .before = T0 + 300}, 2,
		     (int64_t[]){id[2], id[1]});
	expect_items(f, (struct store_filter){.all = 1, .limit = 2, .offset = 3}, 1,
		     (int64_t[]){id[0]});

	/* read --all with filters. */
	assert_int_equal(store_mark_all_read(f->st, "dw", T0 + 200, &n, f->err, sizeof f->err), 0);
	assert_int_equal(n, 1);
	expect_items(f, (struct store_filter){0}, 2, (int64_t[]){id[3], id[2]});
	expect_items(f, (struct store_filter){.feed = "dw"}, 1, (int64_t[]){id[3]});
	assert_int_equal(store_mark_all_read(f->st, NULL, 0, &n, f->err, sizeof f->err), 0);
	assert_int_equal(n, 2);
	expect_items(f, (struct store_filter){0}, 0, NULL);
	assert_int_equal(store_mark_item(f->st, 9999, STORE_MARK_READ, f->err, sizeof f->err),
			 STORE_ENOTFOUND);
	assert_int_equal(store_mark_item(f->st, id[2], STORE_MARK_UNSTAR, f->err, sizeof f->err),
			 0);
	expect_items(f, (struct store_filter){.starred = 1, .all = 1}, 0, NULL);
}

static void
test_default_limit(void **state)
{
	struct fx *f = *state;
	struct store_story_list l = {0};
	struct store_item_list il = {0};
	char guid[16];

	assert_int_equal(store_begin(f->st, f->err, sizeof f->err), 0);
	for (int i = 0; i < STORE_DEFAULT_LIMIT + 5; i++) {
		snprintf(guid, sizeof guid, "d%d", i);
		add(f, "dw", guid, guid, "", T0 + i, 100 + i);
	}
	assert_int_equal(store_commit(f->st, f->err, sizeof f->err), 0);
	assert_int_equal(store_stories(f->st, &(struct store_filter){0}, &l, f->err, sizeof f->err),
			 0);
	assert_int_equal(l.n, STORE_DEFAULT_LIMIT);
	assert_int_equal(l.v[0].id, 100 + STORE_DEFAULT_LIMIT + 4);
	store_story_list_free(&l);
	assert_int_equal(store_stories(f->st, &(struct store_filter){.limit = STORE_NO_LIMIT}, &l,
				       f->err, sizeof f->err),
			 0);
	assert_int_equal(l.n, STORE_DEFAULT_LIMIT + 5);
	store_story_list_free(&l);
	assert_int_equal(store_items(f->st, &(struct store_filter){0}, &il, f->err, sizeof f->err),
			 0);
	assert_int_equal(il.n, STORE_DEFAULT_LIMIT);
	store_item_list_free(&il);
}

/* ---- Search ---- */

static void
test_search(void **state)
{
	struct fx *f = *state;
	struct store_hit_list h = {0};
	int64_t in_title, in_text;
	char *q;

	in_text = add(f, "bbc", "q1", "Markets today", "The central bank raised rates again.", T0,
		      50);
	in_title = add(f, "dw", "q2", "Central bank raises rates", "Borrowing costs go up.",
		       T0 + 10, 51);
	add(f, "tech", "q3", "Café opens", "Crème brûlée for all", T0 + 20, 52);
	assert_int_equal(
		store_search(f->st, "central bank", "<b>", "</b>", 0, 0, &h, f->err, sizeof f->err),
		0);
	assert_int_equal(h.n, 2);
	assert_int_equal(h.v[0].item_id, in_title); /* the title weighs most */
	assert_int_equal(h.v[1].item_id, in_text);
	assert_true(h.v[0].rank <= h.v[1].rank);
	assert_int_equal(h.v[1].story_id, 50);
	assert_string_equal(h.v[1].feed_name, "BBC News");
	assert_non_null(strstr(h.v[1].snippet, "<b>central</b>"));
	store_hit_list_free(&h);

	/* Diacritics fold; prefixes; phrases; operators. */
	assert_int_equal(store_search(f->st, "cafe", NULL, NULL, 0, 0, &h, f->err, sizeof f->err),
			 0);
	assert_int_equal(h.n, 1);
	assert_non_null(strstr(h.v[0].snippet, "[Café]"));
	store_hit_list_free(&h);
	assert_int_equal(
		store_search(f->st, "borrow*", NULL, NULL, 0, 0, &h, f->err, sizeof f->err), 0);
	assert_int_equal(h.n, 1);
	store_hit_list_free(&h);
	assert_int_equal(
		store_search(f->st, "\"rates again\"", NULL, NULL, 0, 0, &h, f->err, sizeof f->err),
		0);
	assert_int_equal(h.n, 1);
	store_hit_list_free(&h);
	assert_int_equal(store_search(f->st, "rates NOT borrowing", NULL, NULL, 0, 0, &h, f->err,
				      sizeof f->err),
			 0);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.v[0].item_id, in_text);
	store_hit_list_free(&h);
	/* Punctuation that is FTS5 syntax is just text. */
	assert_int_equal(store_search(f->st, "bank: rates-again ^x {y} c++ \"open", NULL, NULL, 0,
				      0, &h, f->err, sizeof f->err),
			 0);
	store_hit_list_free(&h);
	/* Malformed: an error, not a crash. */
	/* Malformed: STORE_EQUERY, and the reason alone for people. */
	assert_int_equal(
		store_search(f->st, "AND bank", NULL, NULL, 0, 0, &h, f->err, sizeof f->err),
		STORE_EQUERY);
	assert_non_null(strstr(f->err, "syntax error"));
	assert_null(strstr(f->err, "fts5:"));
	assert_int_equal(h.n, 0);
	store_hit_list_free(&h);
	assert_int_equal(store_search(f->st, "(bank", NULL, NULL, 0, 0, &h, f->err, sizeof f->err),
			 STORE_EQUERY);
	store_hit_list_free(&h);
	assert_int_equal(store_search(f->st, "   ", NULL, NULL, 0, 0, &h, f->err, sizeof f->err),
			 STORE_EQUERY);
	assert_string_equal(f->err, "it has no word to find (-word only excludes)");
	store_hit_list_free(&h);
	/* The statement is usable after an error. */
	assert_int_equal(store_search(f->st, "rates", NULL, NULL, 1, 1, &h, f->err, sizeof f->err),
			 0);
	assert_int_equal(h.n, 1);
	store_hit_list_free(&h);

	/* Equal scores come in item order, so pages neither repeat nor skip. */
	int64_t twin[3];
	for (int i = 0; i < 3; i++) {
		char guid[8];
		snprintf(guid, sizeof guid, "t%d", i);
		twin[i] = add(f, "bbc", guid, "Walrus sighted", "", T0 + 30 + i, 60 + i);
	}
	for (unsigned page = 0; page < 3; page++) {
		assert_int_equal(store_search(f->st, "walrus", NULL, NULL, 1, page, &h, f->err,
					      sizeof f->err),
				 0);
		assert_int_equal(h.n, 1);
		assert_int_equal(h.v[0].item_id, twin[page]);
		store_hit_list_free(&h);
	}

	q = store_fts_query("a \"b c\" d* (e OR f) g\"h");
	assert_string_equal(q, "\"a\" \"b c\" \"d\"* ( \"e\" OR \"f\" ) \"g\" \"h\"");
	free(q);
	q = store_fts_query("say \"hi");
	assert_string_equal(q, "\"say\" \"hi\"");
	free(q);
}

/* The ids of the hits of query, in order, as "1 2 3". */
static const char *
hit_ids(struct fx *f, const char *query, char *buf, size_t n)
{
	struct store_hit_list h = {0};
	size_t len = 0;

	buf[0] = '\0';
	assert_int_equal(store_search(f->st, query, NULL, NULL, 0, 0, &h, f->err, sizeof f->err),
			 0);
	for (size_t i = 0; i < h.n && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%lld", i ? " " : "",
					(long long)h.v[i].item_id);
	store_hit_list_free(&h);
	return buf;
}

/* Search in every script (issue 23): Chinese and Japanese words inside
 * runs with no spaces (the "herald" tokenizer), Cyrillic and Turkish with
 * case folded, -word, NOT, phrases, prefixes. */
static void
test_search_scripts(void **state)
{
	struct fx *f = *state;
	struct store_hit_list h = {0};
	char ids[128], want[128];
	int64_t ja, zh, ru, tr, ko, mix;
	char *q;

	ja = add(f, "bbc", "j1", "東京で震度5強の地震", "新幹線が一時運転を見合わせ", T0, 70);
	zh = add(f, "dw", "c1", "北京发生地震", "暂无人员伤亡报告", T0 + 1, 71);
	ru = add(f, "tech", "r1", "Землетрясение в Москве", "Новости дня", T0 + 2, 72);
	tr = add(f, "bbc", "t1", "İstanbul'da deprem", "Şiddetli yağış", T0 + 3, 73);
	ko = add(f, "dw", "k1", "서울에서 지진 발생", "피해 없음", T0 + 4, 74);
	mix = add(f, "tech", "m1", "iPhone発売 in Tokyo", "Apple の新製品", T0 + 5, 75);

	/* Both, the shorter text first (bm25). */
	snprintf(want, sizeof want, "%lld %lld", (long long)zh, (long long)ja);
	assert_string_equal(hit_ids(f, "地震", ids, sizeof ids), want);
	snprintf(want, sizeof want, "%lld", (long long)ja);
	assert_string_equal(hit_ids(f, "新幹線", ids, sizeof ids), want);
	assert_string_equal(hit_ids(f, "地震 -北京", ids, sizeof ids), want);
	assert_string_equal(hit_ids(f, "地震 NOT 北京", ids, sizeof ids), want);
	snprintf(want, sizeof want, "%lld", (long long)zh);
	assert_string_equal(hit_ids(f, "\"北京发生\"", ids, sizeof ids), want);
	/* The characters of a word, in order: 震地 is not 地震. */
	assert_string_equal(hit_ids(f, "震地", ids, sizeof ids), "");
	snprintf(want, sizeof want, "%lld", (long long)ko);
	assert_string_equal(hit_ids(f, "지진", ids, sizeof ids), want);
	snprintf(want, sizeof want, "%lld", (long long)ru);
	assert_string_equal(hit_ids(f, "новости", ids, sizeof ids), want);
	assert_string_equal(hit_ids(f, "ЗЕМЛЕТРЯС*", ids, sizeof ids), want);
	snprintf(want, sizeof want, "%lld", (long long)tr);
	assert_string_equal(hit_ids(f, "siddetli", ids, sizeof ids), want);
	/* Latin and CJK in one token: both halves are found. */
	snprintf(want, sizeof want, "%lld", (long long)mix);
	assert_string_equal(hit_ids(f, "iphone", ids, sizeof ids), want);
	assert_string_equal(hit_ids(f, "発売", ids, sizeof ids), want);
	assert_string_equal(hit_ids(f, "新製品 -\"in tokyo\"", ids, sizeof ids), "");

	/* The snippet marks exactly the matched characters. */
	assert_int_equal(store_search(f->st, "地震", NULL, NULL, 0, 0, &h, f->err, sizeof f->err),
			 0);
	assert_int_equal(h.n, 2);
	assert_non_null(strstr(h.v[0].snippet, "[地震]") ? h.v[0].snippet
							 : strstr(h.v[0].snippet, "[地][震]"));
	store_hit_list_free(&h);

	q = store_fts_query("a -b c -\"d e\"");
	assert_string_equal(q, "(\"a\" \"c\") NOT \"b\" NOT \"d e\"");
	free(q);
	q = store_fts_query("-a -b");
	assert_string_equal(q, "");
	free(q);
	assert_int_equal(store_search(f->st, "-地震", NULL, NULL, 0, 0, &h, f->err, sizeof f->err),
			 STORE_EQUERY);
	store_hit_list_free(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_derived_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_scripts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_story_listing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_story_outlet_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_item_listing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search, setup, teardown),
	};

	return cmocka_run_group_tests_name("store_query", tests, NULL, NULL);
}
