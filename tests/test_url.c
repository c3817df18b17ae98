#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

static void
check_resolve(const char *base, const char *ref, const char *want)
{
	char *got = url_resolve(base, ref);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_resolve(void **state)
{
	(void)state;
	check_resolve("http://example.com/a/b.xml", "c.html", "http://example.com/a/c.html");
	check_resolve("http://example.com/a/b.xml", "/x", "http://example.com/x");
	check_resolve("http://example.com/a/", "../up", "http://example.com/up");
	check_resolve("http://example.com/a/", "https://other.org/p", "https://other.org/p");
	check_resolve(NULL, "rel/only", "rel/only");
	check_resolve("", "rel/only", "rel/only");
	check_resolve("http://example.com/", "mailto:a@b.c", "mailto:a@b.c");
}

static void
check_iri(const char *base, const char *ref, const char *want)
{
	char *got = url_resolve_iri(base, ref);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_resolve_iri(void **state)
{
	(void)state;
	/* Non-ASCII stays as written; url_resolve encodes it. */
	check_iri("http://any.test/", "\xc3\x80", "http://any.test/\xc3\x80");
	check_iri("http://any.test/a/b", "../\xe2\x82\xac?q=\xc3\xa9#\xc3\xa9",
		  "http://any.test/\xe2\x82\xac?q=\xc3\xa9#\xc3\xa9");
	check_resolve("http://any.test/", "\xc3\x80", "http://any.test/%c3%80");
	/* A space is still encoded; ASCII results equal url_resolve's. */
	check_iri("http://any.test/", "a b", "http://any.test/a%20b");
	check_iri("http://example.com/a/", "../up", "http://example.com/up");
	/* Escapes already written: url_resolve's result, untouched. */
	check_iri("http://any.test/", "%C3%80/\xc3\x80", "http://any.test/%C3%80/%c3%80");
	check_iri("http://any.test/%7e/", "\xc3\x80", "http://any.test/%7e/%c3%80");
	check_iri(NULL, "\xc3\x80", "\xc3\x80");
}

/* url_resolve's own simple cases give exactly libcurl's result. */
static void
test_resolve_same_as_curl(void **state)
{
	static const char *const bases[] = {
		"http://example.com/feed",
		"https://example.com/a/b.xml",
		"http://example.com/a/",
		"http://example.com",
		"http://example.com/",
		"http://ex-1.example.org/a/b/c?x=1#f",
		"http://EXAMPLE.com/a/b",
		"http://example.com:8080/a/b",
		"http://u@example.com/a",
		"http://example.com/a/./b",
		"http://example.com/a/../b",
		"http://example.com/a%20b/c",
		"ftp://example.com/a/b",
		"http://example.com/a b/c",
		"http://example.com/.",
		"http://example.com/a/b/..",
		"http://example.com?q",
		"http://example.com#f",
		"http://example.com/~u/x_y-z.html",
		"http://127.0.0.1/x/y",
		"http://example.com./a",
		"http://example.com/a/.b/c",
		"http://example.com/a/..b/c",
	};
	static const char *const refs[] = {
		"/rel/1",  "img/1.jpg", "x",         "x/",        "/",         "/a/./b",
		"/a/../b", "../x",      "./x",       ".",         "..",        "//other.org/p",
		"?q=1",    "#f",        "x?a=1&b=2", "/x?a=b/c",  "x?a=..",    "a.b/c..d",
		"a/.../b", "x y",       "x%20y",     "\xc3\x80",  "HTTP://x/", "mailto:a@b",
		"x:y",     "~u/p",      "-a",        "_b",        "a//b",      "/a/",
		"x?",      "x?a=1#f",   ".hidden",   "a/.hidden", "a/..x",
	};

	(void)state;
	for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++)
		for (size_t j = 0; j < sizeof refs / sizeof refs[0]; j++) {
			char *a = url_resolve(bases[i], refs[j]);
			char *b = url_resolve_curl(bases[i], refs[j]);

			assert_non_null(a);
			assert_non_null(b);
			if (strcmp(a, b) != 0)
				fail_msg("resolve(%s, %s): %s, libcurl: %s", bases[i], refs[j], a,
					 b);
			free(a);
			free(b);
		}
}

static void
test_check(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(url_check("https://feeds.bbci.co.uk/news/rss.xml", 0, err, sizeof err), 0);
	assert_int_equal(url_check("ftp://x.org/f", 0, err, sizeof err), -1);
	assert_non_null(strstr(err, "scheme"));
	assert_int_equal(url_check("file:///tmp/x.xml", 0, err, sizeof err), -1);
	assert_int_equal(url_check("file:///tmp/x.xml", 1, err, sizeof err), 0);
	assert_int_equal(url_check("not a url", 0, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a url"));
}

static void
test_canonical(void **state)
{
	char *a = url_canonical("https://www.Example.com/news/1?utm_source=rss&id=7#top");
	char *b = url_canonical("http://example.com/news/1?id=7&fbclid=zz");
	char *c = url_canonical("file:///tmp/x");

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, "example.com/news/1?id=7");
	assert_string_equal(a, b);
	assert_null(c);
	free(a);
	free(b);
}

static void
test_host_scheme(void **state)
{
	char sch[16];
	char *h = url_host("https://Feeds.BBCI.co.uk:8443/x");

	(void)state;
	assert_string_equal(h, "feeds.bbci.co.uk");
	free(h);
	assert_int_equal(url_scheme("HTTPS://a.b/", sch, sizeof sch), 0);
	assert_string_equal(sch, "https");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_resolve_iri),
		cmocka_unit_test(test_resolve_same_as_curl),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_host_scheme),
	};
	return cmocka_run_group_tests_name("url", tests, NULL, NULL);
}
