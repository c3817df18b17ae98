/* Tests for daemon/filter.c: expressions, their errors, rules. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../daemon/filter.h"

static const char *const cats[] = {"Politics", "Europe"};
static const char *const tags[] = {"news", "world"};

static const struct filter_item item = {
	.title = "Storm warning issued for the WEST coast",
	.summary = "Forecasters expect winds of 120 km/h. Read more…",
	.content = "<p>Full text</p>",
	.author = "Jane Doe",
	.link = "https://example.com/weather/storm?utm_source=rss",
	.feed = "coastal-wire",
	.categories = cats,
	.ncategories = 2,
	.tags = tags,
	.ntags = 2,
};

/* 1 or 0 for text against item; fails the test when text does not compile. */
static int
matches(const char *text, const struct filter_item *it)
{
	struct filter_expr *e;
	struct filter_error err;
	int hit;

	if (filter_expr_compile(text, &e, &err) != 0)
		fail_msg("'%s' did not compile: %s (at %zu)", text, err.msg, err.pos);
	hit = filter_expr_match(e, it, NULL);
	filter_expr_free(e);
	return hit;
}

static void
test_operators(void **state)
{
	(void)state;
	assert_int_equal(matches("title contains storm", &item), 1);
	assert_int_equal(matches("title contains \"west coast\"", &item), 1);
	assert_int_equal(matches("title contains hurricane", &item), 0);
	assert_int_equal(matches("author = \"jane doe\"", &item), 1);
	assert_int_equal(matches("author = jane", &item), 0); /* whole value */
	assert_int_equal(matches("feed = coastal-wire", &item), 1);
	assert_int_equal(matches("link ~ /utm_source=/", &item), 1);
	assert_int_equal(matches("title ~ /west/", &item), 0); /* case-sensitive */
	assert_int_equal(matches("title ~ /west/i", &item), 1);
	assert_int_equal(matches("summary ~ /\\d+ km\\/h/", &item), 1);
	assert_int_equal(matches("content contains \"full text\"", &item), 1);
	/* Multi-valued fields: one value is enough. */
	assert_int_equal(matches("category = europe", &item), 1);
	assert_int_equal(matches("category = asia", &item), 0);
	assert_int_equal(matches("tag = world", &item), 1);
	assert_int_equal(matches("tag ~ /^wor/", &item), 1);
	/* Keywords and field names in any case. */
	assert_int_equal(matches("TITLE CONTAINS storm AND NOT Tag = sport", &item), 1);
}

static void
test_unicode_and_missing(void **state)
{
	struct filter_item it = {.title = "ÉCOLE fermée à Straße", .author = NULL};

	(void)state;
	assert_int_equal(matches("title contains école", &it), 1);
	assert_int_equal(matches("title contains STRASSE", &it), 1); /* full case folding */
	assert_int_equal(matches("title ~ /^\\p{Lu}/", &it), 1);
	/* A missing field is the empty string. */
	assert_int_equal(matches("author = \"\"", &it), 1);
	assert_int_equal(matches("author contains x", &it), 0);
	assert_int_equal(matches("category ~ /^$/", &it), 1);
	assert_int_equal(matches("not tag = news", &it), 1);
}

static void
test_precedence(void **state)
{
	(void)state;
	/* and binds tighter than or; not tighter than and. */
	assert_int_equal(matches("title contains storm or title contains x and tag = none", &item),
			 1);
	assert_int_equal(
		matches("(title contains storm or title contains x) and tag = none", &item), 0);
	assert_int_equal(matches("not title contains x and tag = news", &item), 1);
	assert_int_equal(matches("not (title contains storm and tag = news)", &item), 0);
	assert_int_equal(matches("not not title contains storm", &item), 1);
	assert_int_equal(matches("((((title contains storm))))", &item), 1);
}

struct bad {
	const char *text;
	size_t pos;
	const char *says;
};

static void
test_errors(void **state)
{
	static const struct bad cases[] = {
		{"", 0, "ends where a condition"},
		{"titel = x", 0, "a field expected"},
		{"title", 5, "an operator expected"},
		{"title contains", 14, "a value expected"},
		{"title = \"open", 8, "unterminated string"},
		{"title ~ storm", 8, "a regular expression expected"},
		{"title ~ /storm", 8, "unterminated regular expression"},
		{"title ~ /storm/q", 15, "unknown regular expression flag 'q'"},
		{"title ~ /(storm/", 15, "bad regular expression"},
		{"title = a and", 13, "ends where a condition"},
		{"(title = a", 10, "')' expected"},
		{"title = a b", 10, "'and', 'or' or the end expected"},
		{"title = a or (feed = b", 22, "')' expected to close the '(' at column 14"},
	};
	struct filter_expr *e;
	struct filter_error err;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int rc = filter_expr_compile(cases[i].text, &e, &err);

		if (rc != -EINVAL || e != NULL || err.pos != cases[i].pos ||
		    strstr(err.msg, cases[i].says) == NULL)
			fail_msg("'%s': rc %d, at %zu: %s (want %zu: %s)", cases[i].text, rc,
				 err.pos, err.msg, cases[i].pos, cases[i].says);
	}
}

static void
test_nesting_capped(void **state)
{
	char text[400];
	struct filter_expr *e;
	struct filter_error err;
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 100; i++)
		text[n++] = '(';
	snprintf(text + n, sizeof text - n, "title = x");
	assert_int_equal(filter_expr_compile(text, &e, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "nested more than 64"));
	/* 60 levels are fine. */
	n = 0;
	for (int i = 0; i < 60; i++)
		text[n++] = '(';
	n += (size_t)snprintf(text + n, sizeof text - n, "title contains storm");
	for (int i = 0; i < 60; i++)
		text[n++] = ')';
	text[n] = '\0';
	assert_int_equal(matches(text, &item), 1);
}

/* A pattern that backtracks exponentially is stopped by the match limit: the
 * condition does not hold, and the match says it was cut short. */
static void
test_catastrophic_regex(void **state)
{
	char title[64];
	struct filter_item it = {.title = title};
	struct filter_expr *e;
	struct filter_error err;
	int limited = 0;

	(void)state;
	memset(title, 'a', 40);
	strcpy(title + 40, "!");
	assert_int_equal(filter_expr_compile("title ~ /^(a|aa)+$/", &e, &err), 0);
	assert_int_equal(filter_expr_match(e, &it, &limited), 0);
	assert_int_equal(limited, 1);
	/* The same expression on a short title matches, uncut. */
	strcpy(title, "aaaa");
	assert_int_equal(filter_expr_match(e, &it, &limited), 1);
	assert_int_equal(limited, 0);
	filter_expr_free(e);
}

static void
test_actions(void **state)
{
	enum filter_action a;
	char *tag;

	(void)state;
	assert_int_equal(filter_action_parse("drop", &a, &tag), 0);
	assert_int_equal(a, FILTER_DO_DROP);
	assert_null(tag);
	assert_int_equal(filter_action_parse("hide", &a, &tag), 0);
	assert_int_equal(a, FILTER_DO_HIDE);
	assert_int_equal(filter_action_parse("tag  ads", &a, &tag), 0);
	assert_int_equal(a, FILTER_DO_TAG);
	assert_string_equal(tag, "ads");
	free(tag);
	assert_int_equal(filter_action_parse("tag", &a, &tag), -EINVAL);
	assert_int_equal(filter_action_parse("tag a b", &a, &tag), -EINVAL);
	assert_int_equal(filter_action_parse("dropped", &a, &tag), -EINVAL);
	assert_int_equal(filter_action_parse("delete", &a, &tag), -EINVAL);
	assert_string_equal(filter_action_name(FILTER_DO_STAR), "star");
}

static void
rule(struct filter_rule *r, const char *name, const char *text, const char *action,
     const char *feed, const char *tag)
{
	struct filter_error err;

	memset(r, 0, sizeof *r);
	r->name = strdup(name);
	assert_int_equal(filter_expr_compile(text, &r->match, &err), 0);
	assert_int_equal(filter_action_parse(action, &r->action, &r->tag), 0);
	if (feed) {
		r->feeds = calloc(1, sizeof *r->feeds);
		r->feeds[0] = strdup(feed);
		r->nfeeds = 1;
	}
	if (tag) {
		r->tags = calloc(1, sizeof *r->tags);
		r->tags[0] = strdup(tag);
		r->ntags = 1;
	}
}

static void
test_apply(void **state)
{
	struct filter_rule rules[5];
	struct filter_verdict v;
	struct filter_item other = item;

	(void)state;
	rule(&rules[0], "weather", "title contains storm", "tag weather", NULL, NULL);
	rule(&rules[1], "starred", "author = \"jane doe\"", "star", "coastal-wire", NULL);
	rule(&rules[2], "seen", "link ~ /utm_/", "read", NULL, "world");
	rule(&rules[3], "sport", "category = sport", "drop", NULL, NULL);
	rule(&rules[4], "noise", "title contains warning", "hide", "elsewhere", "sport");
	filter_apply(rules, 5, &item, &v);
	assert_false(v.drop);
	assert_true(v.star);
	assert_true(v.read);
	assert_false(v.hide); /* out of its scope */
	assert_int_equal(v.ntags, 1);
	assert_string_equal(v.tags[0], "weather");
	assert_string_equal(v.by, "weather");
	/* Scoped rules leave other feeds alone. */
	other.feed = "meridian-post";
	other.tags = NULL;
	other.ntags = 0;
	filter_apply(rules, 5, &other, &v);
	assert_false(v.star);
	assert_false(v.read);
	assert_int_equal(v.ntags, 1);
	/* A drop ends the walk. */
	other.categories = (const char *const[]){"Sport"};
	other.ncategories = 1;
	filter_apply(rules, 5, &other, &v);
	assert_true(v.drop);
	for (int i = 0; i < 5; i++)
		filter_rule_clear(&rules[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operators),      cmocka_unit_test(test_unicode_and_missing),
		cmocka_unit_test(test_precedence),     cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nesting_capped), cmocka_unit_test(test_catastrophic_regex),
		cmocka_unit_test(test_actions),        cmocka_unit_test(test_apply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
