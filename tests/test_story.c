/* Tests for daemon/story.c: folding decisions on hand-written fixtures with
 * real timestamps, restore, determinism, and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "story.h"

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

/* Assigns fixtures in order; ids[i] gets each item's story. */
static void
run(struct story_index *idx, const struct fx *f, size_t n, int64_t *ids)
{
	for (size_t i = 0; i < n; i++) {
		struct story_input in = {.item_id = (int64_t)i + 1,
					 .time = f[i].t,
					 .feed = f[i].feed,
					 .title = f[i].title,
					 .text = f[i].text,
					 .link = f[i].link};
		struct story_result r;
		assert_int_equal(story_assign(idx, &in, &r), 0);
		assert_true(r.story_id > 0);
		ids[i] = r.story_id;
	}
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_four_outlets_fold),
		cmocka_unit_test(test_same_city_same_day_separate),
		cmocka_unit_test(test_other_call_same_president_separate),
		cmocka_unit_test(test_a_met_b_a_met_c_separate),
		cmocka_unit_test(test_four_days_earlier_separate),
		cmocka_unit_test(test_wire_copy_folds),
		cmocka_unit_test(test_same_link_folds),
		cmocka_unit_test(test_russian_turkish),
		cmocka_unit_test(test_restore_then_assign),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_next_id_and_merge_report),
		cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests_name("story", tests, NULL, NULL);
}
