/* test_discover: what a fetched URL is, and the feeds a page links
 * (daemon/discover.c, issue 25). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "discover.h"

/* The links of page as "URL|TITLE|TYPE\n" lines. Caller frees. */
static char *
links(const char *page, size_t len, const char *url)
{
	struct discover_list l;
	struct buf b = {0};

	assert_int_equal(discover_links(page, len, url, &l), 0);
	buf_puts(&b, "");
	for (size_t i = 0; i < l.n; i++)
		buf_printf(&b, "%s|%s|%s\n", l.v[i].url, l.v[i].title, l.v[i].type);
	discover_list_free(&l);
	return buf_detach(&b);
}

static void
expect_links(const char *page, const char *url, const char *want)
{
	char *got = links(page, strlen(page), url);

	assert_string_equal(got, want);
	free(got);
}

static void
test_one(void **state)
{
	(void)state;
	expect_links("<!doctype html><html><head><title>Site</title>"
		     "<link rel=\"stylesheet\" href=\"/s.css\">"
		     "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"News\""
		     " href=\"https://site.example/feed.xml\">"
		     "</head><body>hi</body></html>",
		     "https://site.example/",
		     "https://site.example/feed.xml|News|application/rss+xml\n");
}

/* Several, in document order, without repeats; rel tokens in any case and
 * order; JSON Feed and Atom types; what is no feed link left out. */
static void
test_several(void **state)
{
	(void)state;
	expect_links("<html><head>"
		     "<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/atom\">"
		     "<link rel=\"Alternate home\" type=\"application/feed+json\" href=\"/f.json\""
		     " title=\"JSON\">"
		     "<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/atom\">"
		     "<link rel=\"alternate stylesheet\" type=\"application/rss+xml\" href=\"/x\">"
		     "<link rel=\"alternate\" type=\"text/html\" href=\"/fr/\" hreflang=\"fr\">"
		     "<link rel=\"alternate\" href=\"/notype\">"
		     "<link rel=\"alternate\" type=\"application/rss+xml; charset=utf-8\""
		     " href=\"/comments/feed\">"
		     "</head></html>",
		     "https://site.example/blog/",
		     "https://site.example/atom||application/atom+xml\n"
		     "https://site.example/f.json|JSON|application/feed+json\n"
		     "https://site.example/comments/feed||application/rss+xml; charset=utf-8\n");
}

/* Relative hrefs resolve against the page URL, or its <base href>, itself
 * relative to the page, wherever the base comes in the head. */
static void
test_relative_and_base(void **state)
{
	(void)state;
	expect_links("<head><link rel=alternate type=application/rss+xml href=\"../rss\"></head>",
		     "https://site.example/a/b/page.html",
		     "https://site.example/a/rss||application/rss+xml\n");
	expect_links("<head><link rel=alternate type=application/rss+xml href=\"rss\">"
		     "<base href=\"/static/\"><base href=\"/ignored/\"></head>",
		     "https://site.example/a/b/page.html",
		     "https://site.example/static/rss||application/rss+xml\n");
	expect_links("<head><base href=\"https://cdn.example/x/\">"
		     "<link rel=alternate type=application/atom+xml href=\"atom.xml\"></head>",
		     "https://site.example/",
		     "https://cdn.example/x/atom.xml||application/atom+xml\n");
}

static void
test_none(void **state)
{
	(void)state;
	expect_links("<html><head><title>x</title></head><body><a href=\"/feed\">feed</a>"
		     "<link rel=alternate type=application/rss+xml href=/late></body></html>",
		     "https://site.example/", "");
	expect_links("", "https://site.example/", "");
	expect_links("not html at all \x01\x02", "https://site.example/", "");
}

/* A huge head, or one nested without end, is cut and parsed quickly: the
 * links before the cut are found. */
static void
test_huge_and_deep(void **state)
{
	(void)state;
	struct buf b = {0};
	char *got;
	clock_t t0 = clock();

	buf_puts(&b, "<html><head><link rel=alternate type=application/rss+xml href=/a>");
	for (size_t i = 0; i < 1000000; i++)
		buf_puts(&b, "<div>");
	buf_puts(&b, "<link rel=alternate type=application/rss+xml href=/b>");
	got = links(b.data, b.len, "https://site.example/");
	assert_string_equal(got, "https://site.example/a||application/rss+xml\n");
	free(got);
	buf_reset(&b);
	buf_puts(&b, "<html><head><link rel=alternate type=application/rss+xml href=/a><title>");
	for (size_t i = 0; i < (8u << 20); i++)
		buf_putc(&b, 'x');
	got = links(b.data, b.len, "https://site.example/");
	assert_string_equal(got, "https://site.example/a||application/rss+xml\n");
	free(got);
	buf_free(&b);
	/* both together well under a second of CPU (minutes without the cut) */
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
}

static void
test_classify(void **state)
{
	(void)state;
	static const struct {
		const char *ct, *body;
		enum discover_kind want;
		const char *why;
	} v[] = {
		{"application/rss+xml",
		 "<rss version=\"2.0\"><channel><title>t</title></channel></rss>", DISCOVER_FEED,
		 NULL},
		{"text/html", "<rss version=\"2.0\"><channel><title>t</title></channel></rss>",
		 DISCOVER_FEED, NULL},
		{"application/json",
		 "{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[]}", DISCOVER_FEED,
		 NULL},
		{"text/html; charset=utf-8", "<p>hello", DISCOVER_PAGE, NULL},
		{NULL, "\n<!DOCTYPE html><title>x</title>", DISCOVER_PAGE, NULL},
		{"application/octet-stream", "<html><head>", DISCOVER_PAGE, NULL},
		{"image/png", "\x89PNG\r\n\x1a\n", DISCOVER_OTHER, "Content-Type image/png"},
		{"application/json", "{\"a\": 1}", DISCOVER_OTHER, "not a JSON Feed"},
		{NULL, "plain words", DISCOVER_OTHER, "Content-Type none"},
	};

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char why[400] = "";
		enum discover_kind k = discover_classify(v[i].ct, "https://s.example/", v[i].body,
							 strlen(v[i].body), why, sizeof why);
		if (k != v[i].want || (v[i].why && !strstr(why, v[i].why)))
			fail_msg("case %zu: kind %d, why '%s'", i, (int)k, why);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one),
		cmocka_unit_test(test_several),
		cmocka_unit_test(test_relative_and_base),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_huge_and_deep),
		cmocka_unit_test(test_classify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
