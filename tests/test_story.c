/* Tests for daemon/story.c: folding decisions on hand-written fixtures with
 * real timestamps, restore, determinism, and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <math.h>

#include <cmocka.h>

#include "story.h"
#include "story_int.h"
#include "story_map.h"
#include "story_pivot.h"
#include "story_post.h"
#include "story_text.h"
#include "story_vec.h"

/* 2016-12-13 10:00 UTC, the day of the Putin-Erdogan call on Aleppo. */
#define T0 1481623200LL
#define H  3600LL

struct fx {
	int64_t t;
	const char *feed, *title, *text, *link;
};

static struct story_index *
new_index(void)
{
	char err[160];
	struct story_params p = story_params_default();
	struct story_index *idx = story_new(&p, err, sizeof(err));

	assert_non_null(idx);
	return idx;
}

/* Assigns fixtures in order, each with its feed's declared language
 * langs[i] (langs may be NULL: none); ids[i] gets each item's story. */
static void
run_langs(struct story_index *idx, const struct fx *f, size_t n, int64_t *ids,
	  const char *const *langs)
{
	for (size_t i = 0; i < n; i++) {
		struct story_input in = {.item_id = (int64_t)i + 1,
					 .time = f[i].t,
					 .feed = f[i].feed,
					 .title = f[i].title,
					 .text = f[i].text,
					 .link = f[i].link,
					 .lang = langs ? langs[i] : NULL};
		struct story_result r;
		assert_int_equal(story_assign(idx, &in, &r), 0);
		assert_true(r.story_id > 0);
		ids[i] = r.story_id;
	}
}

static void
run(struct story_index *idx, const struct fx *f, size_t n, int64_t *ids)
{
	run_langs(idx, f, n, ids, NULL);
}

/* Background stories so that IDF means something, as in a real window. */
static const struct fx background[] = {
	{T0 - 5 * H, "bbc", "Storm Caroline brings snow and gales to Scotland",
	 "Heavy snow and winds of up to 90mph hit northern Scotland as Storm Caroline arrives.",
	 NULL},
	{T0 - 5 * H, "guardian", "Bank of England holds interest rates at record low",
	 "The Bank of England kept interest rates unchanged as inflation rose to 3 per cent.",
	 NULL},
	{T0 - 4 * H, "reuters", "Apple shares climb after strong iPhone sales in China",
	 "Apple stock rose 2 percent on Tuesday after data showed iPhone sales grew in China.",
	 NULL},
	{T0 - 4 * H, "ap", "Wildfire forces thousands to flee homes in California",
	 "Firefighters battled a wildfire that forced thousands of residents of Ventura to "
	 "evacuate.",
	 NULL},
	{T0 - 3 * H, "afp", "France beats Brazil in friendly football match in Paris",
	 "France defeated Brazil 3-1 in a friendly at the Stade de France on Monday night.", NULL},
	{T0 - 3 * H, "dw", "German parliament debates new coalition talks",
	 "Members of the Bundestag debated the prospects of a new grand coalition government.",
	 NULL},
};

static void
with_background(struct story_index *idx)
{
	int64_t ids[6];

	run(idx, background, 6, ids);
	for (int i = 1; i < 6; i++)
		assert_int_not_equal(ids[i], ids[i - 1]);
}

static void
test_four_outlets_fold(void **state)
{
	(void)state;
	static const struct fx f[] = {
		{T0, "presstv", "Putin, Erdogan discuss Aleppo ceasefire in phone call",
		 "Russian President Vladimir Putin and Turkish President Recep Tayyip Erdogan "
		 "discussed "
		 "the situation in Aleppo and a ceasefire in a telephone conversation.",
		 NULL},
		{T0 + 1 * H, "reuters", "Erdogan and Putin agree on Aleppo evacuation in call",
		 "Turkish President Tayyip Erdogan and Russian President Vladimir Putin agreed in "
		 "a phone "
		 "call to evacuate civilians and rebels from eastern Aleppo.",
		 NULL},
		{T0 + 2 * H, "tass", "Putin holds telephone conversation with Erdogan on Aleppo",
		 "Vladimir Putin held a telephone conversation with Recep Tayyip Erdogan; the "
		 "presidents "
		 "discussed the situation in Aleppo, Kremlin said.",
		 NULL},
		{T0 + 3 * H, "anadolu", "Erdogan, Putin talk Aleppo civilians over phone",
		 "President Recep Tayyip Erdogan spoke to Russian President Vladimir Putin by "
		 "phone about "
		 "the evacuation of civilians from Aleppo, presidential sources said.",
		 NULL},
	};
	struct story_index *idx = new_index();
	int64_t ids[4];

	with_background(idx);
	run(idx, f, 4, ids);
	assert_int_equal(ids[1], ids[0]);
	assert_int_equal(ids[2], ids[0]);
	assert_int_equal(ids[3], ids[0]);
	story_free(idx);
}

static void
test_same_city_same_day_separate(void **state)
{
	(void)state;
	static const struct fx f[] = {
		{T0, "bbc", "Fire at Paris apartment block kills three",
		 "A fire in an apartment block in the 19th arrondissement of Paris killed three "
		 "people "
		 "overnight, firefighters said.",
		 NULL},
		{T0 + 2 * H, "afp", "Paris court convicts former minister of tax fraud",
		 "A Paris court found the former budget minister guilty of tax fraud and money "
		 "laundering on Tuesday.",
		 NULL},
	};
	struct story_index *idx = new_index();
	int64_t ids[2];

	with_background(idx);
	run(idx, f, 2, ids);
	assert_int_not_equal(ids[0], ids[1]);
	story_free(idx);
}

static void
test_other_call_same_president_separate(void **state)
{
	(void)state;
	static const struct fx f[] = {
		{T0, "tass", "Putin, Erdogan discuss Aleppo in phone call",
		 "Vladimir Putin and Recep Tayyip Erdogan discussed Aleppo in a telephone "
		 "conversation.",
		 NULL},
		{T0 + 3 * H, "tass", "Putin, Merkel discuss Ukraine gas transit in phone call",
		 "Vladimir Putin and Angela Merkel discussed gas transit through Ukraine and the "
		 "Minsk "
		 "agreements in a telephone conversation.",
		 NULL},
	};
	struct story_index *idx = new_index();
	int64_t ids[2];

	with_background(idx);
	run(idx, f, 2, ids);
	assert_int_not_equal(ids[0], ids[1]);
	story_free(idx);
}

static void
test_a_met_b_a_met_c_separate(void **state)
{
	(void)state;
	static const struct fx f[] = {
		{T0, "reuters", "Obama meets Abe at APEC summit in Lima",
		 "US President Barack Obama met Japanese Prime Minister Shinzo Abe on the "
		 "sidelines of "
		 "the APEC summit in Lima.",
		 NULL},
		{T0 + 1 * H, "ap", "Obama meets Xi at APEC summit in Lima",
		 "US President Barack Obama met Chinese President Xi Jinping on the sidelines of "
		 "the "
		 "APEC summit in Lima.",
		 NULL},
	};
	struct story_index *idx = new_index();
	int64_t ids[2];

	with_background(idx);
	run(idx, f, 2, ids);
	assert_int_not_equal(ids[0], ids[1]);
	story_free(idx);
}

static void
test_four_days_earlier_separate(void **state)
{
	(void)state;
	static const struct fx f[] = {
		{T0 - 96 * H, "reuters", "Putin and Erdogan discuss Aleppo in phone call",
		 "Russian President Vladimir Putin and Turkish President Recep Tayyip Erdogan "
		 "discussed "
		 "Aleppo by phone.",
		 NULL},
		{T0, "reuters", "Putin and Erdogan discuss Aleppo in phone call",
		 "Russian President Vladimir Putin and Turkish President Recep Tayyip Erdogan "
		 "discussed "
		 "Aleppo by phone.",
		 NULL},
	};
	struct story_index *idx = new_index();
	int64_t ids[2];

	run(idx, f, 2, ids);
	assert_int_not_equal(ids[0], ids[1]);
	assert_int_equal(story_count_items(idx), 1); /* the old one expired */
	story_free(idx);
}

/* With max_items the oldest items leave early: memory stays bounded however
 * many feeds there are, and an item like one that left starts a story. */
static void
test_max_items(void **state)
{
	(void)state;
	static const struct fx same = {
		T0, "reuters", "Putin and Erdogan discuss Aleppo in phone call",
		"Russian President Vladimir Putin and Turkish President Recep Tayyip Erdogan "
		"discussed Aleppo by phone.",
		NULL};
	char err[160];
	struct story_params p = story_params_default();
	struct story_index *idx;
	int64_t ids[8], first;

	assert_int_equal(p.max_items, STORY_DEFAULT_MAX_ITEMS);
	p.max_items = 7;
	idx = story_new(&p, err, sizeof(err));
	assert_non_null(idx);
	run(idx, &same, 1, &first);
	with_background(idx); /* 7 items: the cap */
	assert_int_equal(story_count_items(idx), 7);
	run(idx, background, 1, ids); /* the Aleppo item leaves, still in time */
	assert_int_equal(story_count_items(idx), 7);
	run(idx, &same, 1, ids);
	assert_int_not_equal(ids[0], first);
	story_free(idx);

	/* Without a cap (0) the same stream keeps every item and folds. */
	p.max_items = 0;
	idx = story_new(&p, err, sizeof(err));
	assert_non_null(idx);
	run(idx, &same, 1, &first);
	with_background(idx);
	run(idx, background, 1, ids);
	run(idx, &same, 1, ids);
	assert_int_equal(ids[0], first);
	assert_int_equal(story_count_items(idx), 9);
	story_free(idx);

	p.max_items = STORY_MAX_ITEMS_LIMIT + 1;
	assert_null(story_new(&p, err, sizeof(err)));
	assert_non_null(strstr(err, "max_items"));
}

static void
test_wire_copy_folds(void **state)
{
	(void)state;
	static const char wire[] =
		"The European Central Bank extended its bond-buying programme by nine months on "
		"Thursday but cut monthly purchases to 60 billion euros from April, president "
		"Mario "
		"Draghi told reporters in Frankfurt after the governing council met.";
	const struct fx f[] = {
		{T0, "reuters", "ECB extends QE to end of 2017, trims monthly buys", wire, NULL},
		{T0 + 2 * H, "localpaper", "Frankfurt decision: what it means for your savings",
		 wire, NULL},
	};
	struct story_index *idx = new_index();
	int64_t ids[2];

	with_background(idx);
	run(idx, f, 2, ids);
	assert_int_equal(ids[0], ids[1]);
	story_free(idx);
}

/* Links and SimHash bands are chained through the items: a chain outlives
 * its oldest items, ends when its newest expires, and a link or a copy
 * seen again after that starts afresh. */
static void
test_link_chain_across_expiry(void **state)
{
	(void)state;
	const char *link = "https://www.example.com/live/blog?utm_medium=feed";
	const struct fx f[] = {
		{T0, "a", "Quarterly figures out", NULL, link},
		{T0 + 10 * H, "b", "Unrelated wording entirely", NULL, link},
		/* a expired, b (the chain's newest) still live */
		{T0 + 80 * H, "c", "Something else said again", NULL,
		 "http://example.com/live/blog"},
		/* a, b and c expired: the link's chain ended */
		{T0 + 200 * H, "d", "Later words for the page", NULL, link},
		{T0 + 201 * H, "e", "Further different phrasing", NULL, link},
	};
	struct story_index *idx = new_index();
	int64_t ids[5];

	run(idx, f, 5, ids);
	assert_int_equal(ids[1], ids[0]);
	assert_int_equal(ids[2], ids[1]);
	assert_int_not_equal(ids[3], ids[2]);
	assert_int_equal(ids[4], ids[3]);
	assert_int_equal(story_count_items(idx), 2);
	story_free(idx);
}

static void
test_wire_copy_chain_across_expiry(void **state)
{
	(void)state;
	static const char wire[] =
		"Shares in the carmaker fell sharply on Friday after it warned that supply "
		"problems with chips would cut production at three plants until the summer.";
	const struct fx f[] = {
		{T0, "reuters", "Carmaker warns on output", wire, NULL},
		{T0 + 50 * H, "paper", "Plants to idle", wire, NULL},
		{T0 + 100 * H, "blog", "Chip woes deepen", wire, NULL},
		{T0 + 300 * H, "site", "Output warning", wire, NULL},
	};
	struct story_index *idx = new_index();
	int64_t ids[4];

	run(idx, f, 4, ids);
	assert_int_equal(ids[1], ids[0]);
	assert_int_equal(ids[2], ids[0]); /* through the second copy: the first expired */
	assert_int_not_equal(ids[3], ids[0]);
	assert_int_equal(story_count_items(idx), 1);
	assert_int_equal(story_count_stories(idx), 1);
	story_free(idx);
}

static void
test_same_link_folds(void **state)
{
	(void)state;
	const struct fx f[] = {
		{T0, "a", "One headline", NULL, "https://www.example.com/news/1?utm_source=rss"},
		{T0 + H, "b", "Entirely other words here", NULL, "http://example.com/news/1#top"},
	};
	struct story_index *idx = new_index();
	int64_t ids[2];

	with_background(idx);
	run(idx, f, 2, ids);
	assert_int_equal(ids[0], ids[1]);
	story_free(idx);
}

static void
test_russian_turkish(void **state)
{
	(void)state;
	static const struct fx f[] = {
		{T0, "tass", "Путин и Эрдоган обсудили ситуацию в Алеппо",
		 "Президент России Владимир Путин и президент Турции Реджеп Тайип Эрдоган обсудили "
		 "по "
		 "телефону ситуацию в Алеппо.",
		 NULL},
		{T0 + H, "ria", "Путин и Эрдоган обсудили по телефону Алеппо",
		 "Владимир Путин и Реджеп Тайип Эрдоган в телефонном разговоре обсудили ситуацию в "
		 "Алеппо.",
		 NULL},
		{T0 + H, "ria", "В Москве открылся новый парк",
		 "В центре Москвы после реконструкции открылся новый городской парк.", NULL},
		{T0 + 2 * H, "anadolu", "Erdoğan ile Putin Halep'i görüştü",
		 "Cumhurbaşkanı Recep Tayyip Erdoğan, Rusya Devlet Başkanı Vladimir Putin ile "
		 "telefonda "
		 "Halep'teki durumu görüştü.",
		 NULL},
		{T0 + 3 * H, "hurriyet", "Erdoğan ve Putin telefonda Halep'i görüştü",
		 "Cumhurbaşkanı Erdoğan, Putin ile telefonda Halep'teki son durumu görüştü.", NULL},
		{T0 + 3 * H, "hurriyet", "İstanbul'da kar yağışı etkili oldu",
		 "İstanbul'da sabah saatlerinde başlayan kar yağışı trafiği olumsuz etkiledi.",
		 NULL},
	};
	struct story_index *idx = new_index();
	int64_t ids[6];

	with_background(idx);
	run(idx, f, 6, ids);
	assert_int_equal(ids[1], ids[0]);
	assert_int_not_equal(ids[2], ids[0]);
	assert_int_equal(ids[4], ids[3]);
	assert_int_not_equal(ids[5], ids[3]);
	assert_int_not_equal(ids[5], ids[2]);
	assert_true(story_count_stories(idx) >= 6 + 3);
	story_free(idx);
}

/* A mixed stream used for restore and determinism. */
static const struct fx stream[] = {
	{T0, "presstv", "Putin, Erdogan discuss Aleppo ceasefire in phone call",
	 "Vladimir Putin and Recep Tayyip Erdogan discussed Aleppo in a telephone conversation.",
	 NULL},
	{T0 + H, "bbc", "Fire at Paris apartment block kills three",
	 "A fire in an apartment block in Paris killed three people overnight.", NULL},
	{T0 + 2 * H, "reuters", "Erdogan and Putin agree on Aleppo evacuation in call",
	 "Tayyip Erdogan and Vladimir Putin agreed in a phone call to evacuate Aleppo.", NULL},
	{T0 + 3 * H, "afp", "Three dead in Paris apartment fire",
	 "Three people died in a fire in an apartment block in Paris, firefighters said.", NULL},
	{T0 + 4 * H, "ap", "Obama meets Abe at APEC summit in Lima",
	 "Barack Obama met Shinzo Abe on the sidelines of the APEC summit in Lima.", NULL},
	{T0 + 5 * H, "tass", "Putin holds telephone conversation with Erdogan on Aleppo",
	 "Putin held a telephone conversation with Erdogan on the situation in Aleppo.", NULL},
};

static void
test_restore_then_assign(void **state)
{
	(void)state;
	struct story_index *a = new_index(), *b = new_index();
	int64_t ids[6];
	size_t n = sizeof(stream) / sizeof(stream[0]);

	with_background(a);
	run(a, stream, n - 1, ids);
	/* b learns the same history by restore, then both see the last item. */
	int64_t bg[6];
	run(b, background, 0, bg);
	for (size_t i = 0; i < 6; i++) {
		struct story_input in = {.item_id = (int64_t)i + 1,
					 .time = background[i].t,
					 .title = background[i].title,
					 .text = background[i].text};
		assert_int_equal(story_restore(b, &in, (int64_t)i + 1), 0);
	}
	for (size_t i = 0; i < n - 1; i++) {
		struct story_input in = {.item_id = (int64_t)i + 10,
					 .time = stream[i].t,
					 .title = stream[i].title,
					 .text = stream[i].text};
		assert_int_equal(story_restore(b, &in, ids[i]), 0);
	}
	assert_int_equal(story_count_items(a), story_count_items(b));
	assert_int_equal(story_count_stories(a), story_count_stories(b));
	int64_t la, lb;
	run(a, &stream[n - 1], 1, &la);
	run(b, &stream[n - 1], 1, &lb);
	assert_int_equal(la, lb);
	assert_int_equal(la, ids[0]);
	/* A new story after restore gets a fresh id, above every restored one. */
	static const struct fx other = {T0 + 6 * H, "x", "Volcano erupts on Iceland coast",
					"Lava flows reached the sea near Grindavik.", NULL};
	run(a, &other, 1, &la);
	run(b, &other, 1, &lb);
	assert_int_equal(la, lb);
	/* Restoring again after assigning finds the stories by id again. */
	size_t nst = story_count_stories(b), nit = story_count_items(b);
	struct story_input again = {
		.item_id = 99, .time = T0 + 6 * H, .title = other.title, .text = other.text};
	assert_int_equal(story_restore(b, &again, lb), 0);
	assert_int_equal(story_count_stories(b), nst);
	assert_int_equal(story_count_items(b), nit + 1);
	again = (struct story_input){
		.item_id = 100, .time = T0 + 6 * H, .title = "Chess champion retires"};
	assert_int_equal(story_restore(b, &again, 1000), 0);
	assert_int_equal(story_count_stories(b), nst + 1);
	int64_t lc;
	run(b, &other, 1, &lc);
	assert_int_equal(lc, lb);
	static const struct fx fresh = {T0 + 6 * H, "y",
					"Orchestra opens season with new conductor",
					"The philharmonic began its season on Friday.", NULL};
	run(b, &fresh, 1, &lc);
	assert_true(lc > 1000);
	story_free(a);
	story_free(b);
}

static void
test_deterministic(void **state)
{
	(void)state;
	int64_t x[6], y[6];
	size_t n = sizeof(stream) / sizeof(stream[0]);

	for (int k = 0; k < 2; k++) {
		struct story_index *idx = new_index();
		with_background(idx);
		run(idx, stream, n, k ? y : x);
		story_free(idx);
	}
	assert_memory_equal(x, y, sizeof(x));
	assert_int_equal(x[2], x[0]);
	assert_int_equal(x[3], x[1]);
	assert_int_not_equal(x[1], x[0]);
}

static void
test_next_id_and_merge_report(void **state)
{
	(void)state;
	struct story_index *idx = new_index();
	struct story_result r;
	struct story_input in = {.item_id = 1, .time = T0, .title = "Quake hits Chile coast"};

	story_set_next_id(idx, 500);
	assert_int_equal(story_assign(idx, &in, &r), 0);
	assert_int_equal(r.story_id, 500);
	assert_int_equal(r.nmerged, 0);
	story_set_next_id(idx, 10); /* below: ignored */
	in.title = "Parliament passes budget bill";
	in.time = T0 + 60;
	assert_int_equal(story_assign(idx, &in, &r), 0);
	assert_int_equal(r.story_id, 501);
	story_free(idx);
}

/* The story counts behind IDF stay exact through joins, merges and expiry.
 * Every tenth item copies the text of one earlier item and carries the
 * link of another, of a different topic: both stories are its own, so they
 * merge. */
static void
test_story_frequency(void **state)
{
	(void)state;
	static const char *syl[] = {"ka", "lo", "mi", "ne", "ru", "so", "ti", "va"};
	static char title[400][128], text[400][160], link[400][48];
	struct story_params p = story_params_default();
	char err[160];
	struct story_index *idx;
	size_t merged = 0;
	uint32_t rng = 12345;

	p.window = 6 * 3600; /* 36 items of the stream below */
	idx = story_new(&p, err, sizeof(err));
	assert_non_null(idx);
	for (int i = 0; i < 400; i++) {
		int topic = (i / 5) % 6, o = 0;
		for (int w = 0; w < 6; w++) { /* the topic's words, and a few of any */
			rng = rng * 1103515245u + 12345u;
			unsigned x = (rng >> 16) % 8, y = w < 4 ? (unsigned)topic : (rng >> 8) % 8;
			o += snprintf(title[i] + o, sizeof(title[i]) - (size_t)o, "%s%s%s ", syl[x],
				      syl[y], syl[(x + y + (unsigned)w) % 8]);
		}
		snprintf(text[i], sizeof(text[i]), "%s%s", title[i], syl[i % 8]);
		snprintf(link[i], sizeof(link[i]), "https://example.com/%d", i);
		struct story_input in = {.item_id = i + 1, .time = T0 + (int64_t)i * 600};
		if (i % 10 == 9) {
			in.title = title[i - 3];
			in.text = text[i - 3];
			in.link = link[i - 7];
		} else {
			in.title = title[i];
			in.text = text[i];
			in.link = i % 10 == 2 ? link[i] : NULL;
		}
		struct story_result r;
		assert_int_equal(story_assign(idx, &in, &r), 0);
		merged += r.nmerged;
		if (story_check_counts(idx) != 0)
			fail_msg("%s", story_error(idx));
	}
	/* The paths this is about were taken. */
	assert_true(merged >= 10);
	assert_true(story_count_items(idx) < 400);
	story_free(idx);
}

static void
test_bad_input(void **state)
{
	(void)state;
	char err[160];
	struct story_params p = story_params_default();
	struct story_index *idx;
	struct story_result r;

	p.language = "klingon";
	assert_null(story_new(&p, err, sizeof(err)));
	assert_non_null(strstr(err, "klingon"));
	p = story_params_default();
	p.threshold = 0;
	assert_null(story_new(&p, err, sizeof(err)));
	p = story_params_default();
	p.simhash_radius = 9;
	assert_null(story_new(&p, err, sizeof(err)));
	p = story_params_default();
	p.window = 0;
	assert_null(story_new(&p, err, sizeof(err)));

	idx = new_index();
	/* Empty, NULL, invalid UTF-8 and punctuation-only items still get stories. */
	struct story_input in = {.item_id = 1, .time = T0};
	assert_int_equal(story_assign(idx, &in, &r), 0);
	in.title = "\xff\xfe\xc3 broken \x80 bytes";
	assert_int_equal(story_assign(idx, &in, &r), 0);
	in.title = "!!! ??? ...";
	in.text = "";
	assert_int_equal(story_assign(idx, &in, &r), 0);
	in.title = "مقتل ثلاثة في حريق في القاهرة";
	assert_int_equal(story_assign(idx, &in, &r), 0);
	assert_int_equal(story_restore(idx, &in, 0), -1);
	assert_non_null(strstr(story_error(idx), "story id"));
	story_free(idx);
}

/* The map: keys whose probe chains cross, deleted in an order that needs
 * the backward shift to keep the others reachable. */
static void
test_map_put_get_del(void **state)
{
	struct story_map m = {0};

	(void)state;
	assert_null(story_map_get(&m, 42));
	story_map_del(&m, 42); /* empty map: nothing happens */
	for (uint64_t k = 1; k <= 1000; k++) {
		assert_int_equal(story_map_grow(&m, m.n + 1), 0);
		story_map_put(&m, k * 7919, (uint32_t)k);
	}
	assert_int_equal(m.n, 1000);
	assert_true(m.cap >= 2000);
	for (uint64_t k = 1; k <= 1000; k += 2)
		story_map_del(&m, k * 7919);
	story_map_del(&m, 3); /* absent */
	assert_int_equal(m.n, 500);
	for (uint64_t k = 1; k <= 1000; k++) {
		uint32_t *v = story_map_get(&m, k * 7919);
		if (k % 2) {
			assert_null(v);
		} else {
			assert_non_null(v);
			assert_int_equal(*v, k);
		}
	}
	story_map_free(&m);
	assert_int_equal(story_fnv64("", 0, 0), 1); /* never the empty key */
}

/* A term's postings: the newest eight, newest first, and relabelling. */
static void
test_post_ring(void **state)
{
	struct story_post_pool pool = {0};
	struct story_posts a = {0}, b = {0};
	uint32_t seq, slot;

	(void)state;
	assert_int_equal(story_post_reserve(&pool, 2), 0);
	story_post_push(&pool, &a, 100, 7);
	assert_int_equal(a.fill, 1);
	assert_int_equal(a.blk, 0); /* one posting needs no block */
	story_post_get(&pool, &a, 0, &seq, &slot);
	assert_int_equal(seq, 100);
	assert_int_equal(slot, 7);
	for (uint32_t i = 1; i < 12; i++)
		story_post_push(&pool, &a, 100 + i, 7 + i);
	assert_int_equal(a.fill, STORY_POST_RING);
	for (unsigned k = 0; k < STORY_POST_RING; k++) {
		story_post_get(&pool, &a, k, &seq, &slot);
		assert_int_equal(seq, 111 - k);
		assert_int_equal(slot, 18 - k);
	}
	story_post_relabel(&pool, &a, 105, 99);
	story_post_relabel(&pool, &a, 100, 99); /* no longer kept: nothing */
	story_post_get(&pool, &a, 6, &seq, &slot);
	assert_int_equal(seq, 105);
	assert_int_equal(slot, 99);
	/* A cleared record's block serves the next term. */
	uint32_t used = pool.used;
	story_post_clear(&pool, &a);
	assert_int_equal(a.fill, 0);
	story_post_push(&pool, &b, 1, 1);
	story_post_push(&pool, &b, 2, 2);
	assert_int_equal(pool.used, used);
	assert_int_equal(pool.nfree, 0);
	story_post_pool_free(&pool);
}

/* Story vectors: adding and removing an item restores the vector; merge and
 * cosine agree with a hand computation. */
static void
test_vec_add_sub_merge(void **state)
{
	struct story_vec a = {0}, b = {0};
	const struct story_vdelta d1[] = {{2, 1.0f, 1}, {5, 0.5f, 0}, {9, 0.25f, 0}};
	const struct story_vdelta d2[] = {{1, 1.0f, 0}, {5, 0.5f, 1}, {7, 2.0f, 0}};
	const double ldf[10] = {0};
	uint8_t fl[40];

	(void)state;
	assert_int_equal(story_vec_reserve(&a, 3), 0);
	story_vec_add(&a, d1, 3, fl);
	assert_int_equal(story_vec_reserve(&a, 3), 0);
	story_vec_add(&a, d2, 3, fl);
	assert_int_equal(a.nv, 5);
	/* Which of the terms are new to the vector: 1 and 7, not 5. */
	assert_int_equal(fl[0], 1);
	assert_int_equal(fl[1], 0);
	assert_int_equal(fl[2], 1);
	for (uint32_t i = 1; i < a.nv; i++)
		assert_true(a.v[i - 1].tid < a.v[i].tid);
	assert_int_equal(a.v[story_vec_seek(&a, 0, 5)].tid, 5);
	assert_true(a.v[story_vec_seek(&a, 0, 5)].c == 1.0f);
	assert_int_equal(a.v[story_vec_seek(&a, 0, 5)].names, 1);
	assert_int_equal(story_vec_seek(&a, 0, 10), a.nv);
	story_vec_sub(&a, d2, 3, fl);
	assert_int_equal(a.nv, 3);
	/* Which left the vector: 1 and 7; 5 keeps d1's weight. */
	assert_int_equal(fl[0], 1);
	assert_int_equal(fl[1], 0);
	assert_int_equal(fl[2], 1);
	assert_int_equal(a.v[0].tid, 2);
	assert_int_equal(a.v[1].tid, 5);
	assert_int_equal(a.v[2].tid, 9);
	assert_int_equal(a.v[1].names, 0);
	/* With IDF 1 everywhere: a = (2:1, 5:.5, 9:.25), b = (1:1, 5:.5, 7:2). */
	assert_int_equal(story_vec_reserve(&b, 3), 0);
	story_vec_add(&b, d2, 3, fl);
	double na = sqrt(1 + 0.25 + 0.0625), nb = sqrt(1 + 0.25 + 4);
	assert_true(fabs(story_vec_norm(&a, ldf, 1.0) - na) < 1e-9);
	assert_true(fabs(story_vec_cosine(&a, &b, ldf, 1.0) - 0.25 / (na * nb)) < 1e-9);
	const uint32_t want[] = {1, 2, 3, 5, 9};
	assert_int_equal(story_vec_missing(&a, want, 5), 2); /* 1 and 3 */
	assert_int_equal(story_vec_missing(&a, want, 0), 0);
	struct story_vec m = {0}, none = {0};
	assert_int_equal(story_vec_merge(&a, &b, &m), 0);
	assert_int_equal(m.nv, 5);
	assert_int_equal(m.cv, 5); /* just its size */
	assert_true(m.v[story_vec_seek(&m, 0, 5)].c == 1.0f);
	assert_int_equal(m.v[story_vec_seek(&m, 0, 5)].names, 1);
	assert_int_equal(a.nv, 3); /* the inputs are untouched */
	assert_int_equal(b.nv, 3);
	story_vec_free(&m);
	assert_int_equal(story_vec_merge(&a, &none, &m), 0);
	assert_int_equal(m.nv, 3);
	story_vec_free(&m);
	/* Emptied below half, a vector gives its room back. */
	struct story_vec big = {0};
	struct story_vdelta d[40];
	for (uint32_t i = 0; i < 40; i++)
		d[i] = (struct story_vdelta){i, 1.0f, 0};
	assert_int_equal(story_vec_reserve(&big, 40), 0);
	assert_int_equal(big.cv, 40); /* a new vector: exactly */
	story_vec_add(&big, d, 40, fl);
	story_vec_sub(&big, d, 30, fl);
	assert_int_equal(big.nv, 10);
	assert_true(big.cv < 20);
	assert_int_equal(big.v[0].tid, 30);
	assert_int_equal(story_vec_reserve(&big, 25), 0);
	assert_true(big.cv >= 35);
	story_vec_free(&big);
	story_vec_free(&a);
	story_vec_free(&b);
}

/* Text: stems, stop words, title weight, names and numbers, SimHash only
 * with enough words; unknown languages fail. */
static void
test_text_terms(void **state)
{
	char err[160];
	struct story_text *tx = story_text_new("english", err, sizeof(err));
	struct story_term t[STORY_TEXT_TERMS], u[STORY_TEXT_TERMS];
	uint32_t n, m;
	uint64_t sh, sh2;
	int has;

	(void)state;
	assert_non_null(tx);
	assert_int_equal(story_text_analyze(tx, "The talks in Aleppo ended with 3 deals", NULL,
					    NULL, t, &n, &sh, &has),
			 0);
	assert_int_equal(n, 5); /* talk, aleppo, end, 3, deal: "the", "in", "with" dropped */
	assert_int_equal(has, 0);
	assert_int_equal(t[0].w, 2);
	assert_int_equal(t[1].flags, STORY_TEXT_NAME);
	assert_int_equal(t[3].flags, STORY_TEXT_NUM);
	assert_int_equal(story_text_analyze(tx, "talking", "ALEPPO talk", NULL, u, &m, &sh, &has),
			 0);
	assert_int_equal(m, 2);
	assert_true(u[0].key == t[0].key); /* talks, talking, talk: one stem */
	assert_int_equal(u[0].w, 3);
	assert_true(u[1].key == t[1].key); /* case folded */
	const char *wire = "one two three four five six seven eight nine ten eleven twelve";
	assert_int_equal(story_text_analyze(tx, "a", wire, NULL, t, &n, &sh, &has), 0);
	assert_int_equal(has, 1);
	assert_int_equal(story_text_analyze(tx, "b", wire, NULL, t, &n, &sh2, &has), 0);
	assert_true(sh == sh2);
	/* A title longer than one scan batch: its words in order all the same. */
	char long_title[2048] = "", word[16];
	for (int i = 0; i < 80; i++) {
		snprintf(word, sizeof(word), "%sw%dq ", i % 2 ? "X" : "y", i);
		strcat(long_title, word);
	}
	assert_int_equal(story_text_analyze(tx, long_title, NULL, NULL, t, &n, &sh, &has), 0);
	assert_int_equal(n, STORY_TEXT_TERMS);
	assert_int_equal(story_text_analyze(tx, "yw0q Xw1q", NULL, NULL, u, &m, &sh, &has), 0);
	assert_true(t[0].key == u[0].key && t[1].key == u[1].key);
	assert_int_equal(has, 0);
	story_text_free(tx);
	assert_null(story_text_new("klingon", err, sizeof(err)));
	assert_non_null(strstr(err, "klingon"));
}

/* Spellings of one name meet after normalisation; numbers stay as written. */
static void
test_pivot_norm(void **state)
{
	static const char *const same[][3] = {
		{"zelensky", "zelenskiy", "zelenskyy"},
		{"kiev", "kyiv", "kiyev"},
		{"qaddafi", "kaddafi", "kadafi"},
		{"macron", "makron", "makron"},
		{"assad", "asad", "asad"},
	};
	char a[32], b[32];

	(void)state;
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		for (int j = 1; j < 3; j++) {
			snprintf(a, sizeof(a), "%s", same[i][0]);
			snprintf(b, sizeof(b), "%s", same[i][j]);
			size_t na = story_pivot_norm(a, strlen(a)),
			       nb = story_pivot_norm(b, strlen(b));
			a[na] = b[nb] = '\0';
			assert_string_equal(a, b);
		}
	snprintf(a, sizeof(a), "3000");
	assert_int_equal(story_pivot_norm(a, 4), 4);
	assert_string_equal(a, "3000");
	snprintf(a, sizeof(a), "putin");
	assert_int_equal(story_pivot_norm(a, 5), 5); /* most words are left alone */
	assert_int_equal(story_lang_of_code("de-AT"), SL_DE);
	assert_int_equal(story_lang_of_code("RU"), SL_RU);
	assert_int_equal(story_lang_of_code(""), SL_MAIN);
	assert_int_equal(story_lang_of_code(NULL), SL_MAIN);
	assert_int_equal(story_lang_of_code("nl"), SL_OTHER);
	assert_int_equal(story_lang_of_code("deu"), SL_OTHER);
}

/* The first term of title a (language la) and of title b (lb) are one. */
static void
assert_first_term_same(struct story_text *tx, const char *a, const char *la, const char *b,
		       const char *lb)
{
	struct story_term t[STORY_TEXT_TERMS], u[STORY_TEXT_TERMS];
	uint32_t n, m;
	uint64_t sh;
	int has;

	assert_int_equal(story_text_analyze(tx, a, NULL, la, t, &n, &sh, &has), 0);
	assert_int_equal(story_text_analyze(tx, b, NULL, lb, u, &m, &sh, &has), 0);
	assert_true(n > 0 && m > 0);
	if (t[0].key != u[0].key)
		fail_msg("\"%s\" (%s) and \"%s\" (%s) differ", a, la ? la : "-", b, lb ? lb : "-");
}

/* Names across scripts and spellings, numbers with group separators, and
 * the item's language: declared, else detected from more than one letter. */
static void
test_text_scripts_languages(void **state)
{
	char err[160];
	struct story_text *tx = story_text_new("english", err, sizeof(err));
	struct story_term t[STORY_TEXT_TERMS];
	uint32_t n;
	uint64_t sh;
	int has;

	(void)state;
	assert_non_null(tx);
	assert_first_term_same(tx, "Путин", "ru", "Putin", NULL);
	assert_first_term_same(tx, "Путина", "ru", "Putin", "en");
	assert_first_term_same(tx, "Лаврова", NULL, "Lavrov", NULL);
	assert_first_term_same(tx, "Erdoğan", "tr", "Erdogan", NULL);
	assert_first_term_same(tx, "Erdoğan", NULL, "Erdogan", NULL);
	assert_first_term_same(tx, "Зеленский", "ru", "Zelenskyy", NULL);
	assert_first_term_same(tx, "3,000 troops", NULL, "3000 troops", NULL);
	assert_first_term_same(tx, "3.000 Soldaten", "de", "3000 troops", NULL);
	/* One Turkish letter in an English name is no Turkish. */
	assert_int_equal(story_text_analyze(tx, "Erdoğan visits İzmir after the vote", NULL, NULL,
					    t, &n, &sh, &has),
			 0);
	assert_int_equal(story_text_lang(tx), SL_EN);
	assert_int_equal(story_text_analyze(tx,
					    "Die Regierung hat in Berlin die neue Steuer für das "
					    "Jahr beschlossen",
					    NULL, NULL, t, &n, &sh, &has),
			 0);
	assert_int_equal(story_text_lang(tx), SL_DE);
	assert_int_equal(
		story_text_analyze(tx, "Путин прибыл в Анкару", NULL, NULL, t, &n, &sh, &has), 0);
	assert_int_equal(story_text_lang(tx), SL_RU);
	/* The declared language wins over the text. */
	assert_int_equal(
		story_text_analyze(tx, "Erdogan wins the vote", NULL, "tr", t, &n, &sh, &has), 0);
	assert_int_equal(story_text_lang(tx), SL_TR);
	story_text_free(tx);
}

/* The bilingual table maps a word of another language onto its English
 * translation's term; a bad line and a missing file are named. */
static void
test_lexicon(void **state)
{
	char err[160], path[] = "/tmp/test_story_lex.XXXXXX";
	int fd = mkstemp(path);
	struct story_text *tx = story_text_new("english", err, sizeof(err));

	(void)state;
	assert_true(fd >= 0);
	assert_non_null(tx);
	FILE *fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs("de\tgespräch\tconversation\nru\tразговор\tconversation\nfr\tséisme\tearthquake\n",
	      fp);
	fclose(fp);
	assert_int_equal(story_text_lexicon(tx, path, err, sizeof(err)), 0);
	assert_int_equal(story_text_lexicon_size(tx, NULL), 3);
	assert_first_term_same(tx, "Gespräche", "de", "conversations", "en");
	assert_first_term_same(tx, "разговора", "ru", "conversation", NULL);
	assert_first_term_same(tx, "séismes", "fr", "earthquake", NULL);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("de\tgespräch\tconversation\nde only two fields\n", fp);
	fclose(fp);
	assert_int_equal(story_text_lexicon(tx, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: expected lang"));
	unlink(path);
	assert_int_equal(story_text_lexicon(tx, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	story_text_free(tx);
}

/* One event told in English, Russian, German and Spanish is one story; the
 * same two leaders' next call, three days later on another subject, is not. */
static void
test_across_languages(void **state)
{
	(void)state;
	static const struct fx f[] = {
		{T0, "reuters", "Putin and Erdogan discuss Aleppo ceasefire by phone",
		 "Russian President Vladimir Putin and Turkish President Tayyip Erdogan discussed "
		 "a "
		 "ceasefire in Aleppo by phone, the Kremlin said.",
		 NULL},
		{T0 + H, "tass", "Путин и Эрдоган обсудили по телефону Алеппо",
		 "Владимир Путин и Реджеп Тайип Эрдоган в телефонном разговоре обсудили ситуацию в "
		 "Алеппо.",
		 NULL},
		{T0 + 2 * H, "spiegel", "Putin und Erdogan telefonieren über Aleppo",
		 "Kremlchef Wladimir Putin und der türkische Präsident Recep Tayyip Erdogan haben "
		 "über die Lage in Aleppo gesprochen.",
		 NULL},
		{T0 + 3 * H, "efe", "Putin y Erdogan hablan por teléfono sobre Alepo",
		 "El presidente ruso, Vladimir Putin, y su homólogo turco, Recep Tayyip Erdogan, "
		 "hablaron sobre un alto el fuego en Alepo.",
		 NULL},
		{T0 + 72 * H, "reuters", "Putin and Erdogan discuss gas pipeline in phone call",
		 "Vladimir Putin and Tayyip Erdogan discussed the TurkStream gas pipeline by "
		 "phone.",
		 NULL},
	};
	static const char *const langs[] = {"en", "ru", "de", "es", "en"};
	struct story_index *idx = new_index();
	int64_t ids[5];

	with_background(idx);
	run_langs(idx, f, 5, ids, langs);
	assert_true(ids[1] == ids[0]);
	assert_true(ids[2] == ids[0]);
	assert_true(ids[3] == ids[0]);
	assert_true(ids[4] != ids[0]);
	story_free(idx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_four_outlets_fold),
		cmocka_unit_test(test_same_city_same_day_separate),
		cmocka_unit_test(test_other_call_same_president_separate),
		cmocka_unit_test(test_a_met_b_a_met_c_separate),
		cmocka_unit_test(test_four_days_earlier_separate),
		cmocka_unit_test(test_max_items),
		cmocka_unit_test(test_wire_copy_folds),
		cmocka_unit_test(test_same_link_folds),
		cmocka_unit_test(test_link_chain_across_expiry),
		cmocka_unit_test(test_wire_copy_chain_across_expiry),
		cmocka_unit_test(test_russian_turkish),
		cmocka_unit_test(test_restore_then_assign),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_next_id_and_merge_report),
		cmocka_unit_test(test_story_frequency),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_map_put_get_del),
		cmocka_unit_test(test_post_ring),
		cmocka_unit_test(test_vec_add_sub_merge),
		cmocka_unit_test(test_text_terms),
		cmocka_unit_test(test_pivot_norm),
		cmocka_unit_test(test_text_scripts_languages),
		cmocka_unit_test(test_lexicon),
		cmocka_unit_test(test_across_languages),
	};
	return cmocka_run_group_tests_name("story", tests, NULL, NULL);
}
