/* test_parse_json: JSON Feed through the parser (daemon/parse_json.c, chosen
 * by daemon/parse.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "parse.h"

struct seen {
	struct buf out;
	int nitems;
	int stop_after;
};

static void
put(struct buf *b, const char *k, const char *v)
{
	buf_printf(b, "%s=%s|", k, v ? v : "(null)");
}

static int
on_item(const struct parse_item *it, void *user)
{
	struct seen *s = user;

	buf_printf(&s->out, "ITEM pub=%lld upd=%lld|", (long long)it->published,
		   (long long)it->updated);
	put(&s->out, "guid", it->guid);
	put(&s->out, "link", it->link);
	put(&s->out, "title", it->title.value);
	put(&s->out, "summary", it->summary.value);
	for (size_t i = 0; i < it->ncontent; i++)
		put(&s->out, "content", it->content[i].value);
	for (size_t i = 0; i < it->l.nlinks; i++)
		buf_printf(&s->out, "link[%s]=%s|", it->l.links[i].rel, it->l.links[i].href);
	for (size_t i = 0; i < it->l.nauthors; i++)
		put(&s->out, "author", it->l.authors[i].name),
			put(&s->out, "uri", it->l.authors[i].uri);
	for (size_t i = 0; i < it->l.ncategories; i++)
		put(&s->out, "tag", it->l.categories[i].term);
	for (size_t i = 0; i < it->nenclosures; i++)
		buf_printf(&s->out, "enc=%s %s %s %s|", it->enclosures[i].url,
			   it->enclosures[i].type ? it->enclosures[i].type : "-",
			   it->enclosures[i].length ? it->enclosures[i].length : "-",
			   it->enclosures[i].duration ? it->enclosures[i].duration : "-");
	put(&s->out, "image", it->image);
	buf_puts(&s->out, "\n");
	s->nitems++;
	return s->stop_after && s->nitems >= s->stop_after;
}

/* Parses doc in chunks of chunk bytes (0 = all at once); parse_finish's
 * result. s->out gets the items then the feed; err the error, if any. */
static int
run(const char *ct, const char *url, const char *doc, size_t len, size_t chunk, struct seen *s,
    char *err, size_t errlen)
{
	struct parse *p = parse_new(ct, url, on_item, s);
	int rc = 0;

	assert_non_null(p);
	if (chunk == 0)
		chunk = len ? len : 1;
	for (size_t off = 0; off < len && rc == 0; off += chunk)
		rc = parse_feed(p, doc + off, len - off < chunk ? len - off : chunk);
	int fin = parse_finish(p);
	const struct parse_meta *m = parse_meta(p);
	buf_printf(&s->out, "FEED format=%s version=%s bozo=%d trunc=%d|",
		   m->format ? m->format : "", m->version ? m->version : "", m->bozo, m->truncated);
	put(&s->out, "title", m->title.value);
	put(&s->out, "link", m->link);
	put(&s->out, "subtitle", m->subtitle.value);
	put(&s->out, "logo", m->logo);
	put(&s->out, "icon", m->icon);
	put(&s->out, "lang", m->language);
	for (size_t i = 0; i < m->l.nauthors; i++)
		put(&s->out, "author", m->l.authors[i].name);
	put(&s->out, "reason", m->bozo_reason);
	if (err)
		snprintf(err, errlen, "%s", parse_error(p) ? parse_error(p) : "");
	parse_free(p);
	return rc < 0 ? -1 : fin;
}

static const char full[] =
	"\xEF\xBB\xBF  {\n"
	"\"version\": \"https://jsonfeed.org/version/1.1\",\n"
	"\"title\": \"Caf\\u00e9 \\\"news\\\"\", \"home_page_url\": \"/\",\n"
	"\"feed_url\": \"feed.json\", \"description\": \"d\", \"icon\": \"i.png\",\n"
	"\"favicon\": \"f.ico\", \"language\": \"en\", \"expired\": false,\n"
	"\"_ext\": {\"deep\": [1, {\"title\": 5}]},\n"
	"\"author\": {\"name\": \"old\"},\n"
	"\"authors\": [{\"name\": \"Ann\", \"url\": \"/ann\", \"avatar\": \"a.png\"}],\n"
	"\"items\": [\n"
	" {\"id\": \"1\", \"url\": \"p/1\", \"external_url\": \"https://else.example/x\",\n"
	"  \"title\": \"One\", \"content_html\": \"<p>hi<script>x()</script></p>\",\n"
	"  \"content_text\": \"hi\", \"summary\": \"s1\", \"image\": \"img/1.png\",\n"
	"  \"date_published\": \"2020-01-02T03:04:05Z\",\n"
	"  \"date_modified\": \"2020-01-03T00:00:00+01:00\",\n"
	"  \"tags\": [\"a\", \"b\"],\n"
	"  \"authors\": [{\"name\": \"Bo\"}], \"author\": {\"name\": \"ignored\"},\n"
	"  \"attachments\": [{\"url\": \"ep1.mp3\", \"mime_type\": \"audio/mpeg\",\n"
	"    \"size_in_bytes\": 12345, \"duration_in_seconds\": 61, \"title\": \"t\"},\n"
	"    {\"mime_type\": \"no/url\"}]},\n"
	" {\"id\": 42, \"content_text\": \"only text\", \"title\": null}\n"
	"]}\n";

static const char full_want[] =
	"ITEM pub=1577934245 upd=1578006000|guid=1|link=https://h.example/f/p/1|title=One|"
	"summary=s1|content=<p>hi</p>|content=hi|"
	"link[alternate]=https://h.example/f/p/1|link[related]=https://else.example/x|"
	"link[enclosure]=https://h.example/f/ep1.mp3|author=Bo|uri=(null)|tag=a|tag=b|"
	"enc=https://h.example/f/ep1.mp3 audio/mpeg 12345 61|"
	"image=https://h.example/f/img/1.png|\n"
	"ITEM pub=0 upd=0|guid=42|link=(null)|title=(null)|summary=only text|content=only text|"
	"image=(null)|\n"
	"FEED format=json11 version=https://jsonfeed.org/version/1.1 bozo=0 trunc=0|"
	"title=Caf\xC3\xA9 \"news\"|link=https://h.example/|subtitle=d|"
	"logo=https://h.example/f/i.png|icon=https://h.example/f/f.ico|lang=en|author=Ann|"
	"reason=(null)|";

/* Every field mapped, relative URLs resolved against the document, HTML
 * sanitized; the same whether the body comes whole or a byte at a time. */
static void
test_full(void **state)
{
	(void)state;
	size_t chunks[] = {0, 1, 7};

	for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		struct seen s = {0};
		char err[256];
		if (run("application/feed+json", "https://h.example/f/feed.json", full,
			sizeof full - 1, chunks[i], &s, err, sizeof err) != 0)
			fail_msg("chunk %zu: %s", chunks[i], err);
		assert_string_equal(s.out.data, full_want);
		assert_int_equal(s.nitems, 2);
		buf_free(&s.out);
	}
}

/* JSON Feed 1.0's "author" is read when there is no "authors". */
static void
test_author_10(void **state)
{
	(void)state;
	static const char doc[] = "{\"version\":\"https://jsonfeed.org/version/1\",\"title\":\"t\","
				  "\"author\":{\"name\":\"Solo\",\"url\":\"https://s.example/\"},"
				  "\"items\":[{\"id\":\"x\",\"author\":{\"name\":\"It\"}}]}";
	struct seen s = {0};

	assert_int_equal(run(NULL, NULL, doc, sizeof doc - 1, 0, &s, NULL, 0), 0);
	assert_non_null(strstr(s.out.data, "format=json1 "));
	assert_non_null(strstr(s.out.data, "author=It|uri=(null)"));
	assert_non_null(strstr(s.out.data, "|author=Solo|"));
	buf_free(&s.out);
}

/* The body chooses: '{' is JSON whatever the Content-Type says, '<' is XML
 * even when the Content-Type says JSON. */
static void
test_sniff(void **state)
{
	(void)state;
	static const char json[] = "\n\n  {\"version\":\"1.1\",\"items\":[{\"id\":\"a\"}]}";
	static const char rss[] = "<rss version=\"2.0\"><channel><title>x</title>"
				  "<item><guid>g</guid></item></channel></rss>";
	struct seen s = {0};

	assert_int_equal(run("text/xml", NULL, json, sizeof json - 1, 3, &s, NULL, 0), 0);
	assert_non_null(strstr(s.out.data, "format=json11"));
	buf_free(&s.out);
	memset(&s, 0, sizeof s);
	assert_int_equal(run("application/feed+json", NULL, rss, sizeof rss - 1, 0, &s, NULL, 0),
			 0);
	assert_non_null(strstr(s.out.data, "format=rss20"));
	buf_free(&s.out);
}

/* A value of the wrong type is left out and named in the bozo reason; the
 * rest of the feed is read. */
static void
test_wrong_types(void **state)
{
	(void)state;
	static const struct {
		const char *doc, *reason;
	} cases[] = {
		{"{\"version\":\"1.1\",\"title\":5,\"items\":[{\"id\":\"a\"}]}",
		 "title is a number"},
		{"{\"version\":\"1.1\",\"items\":[{\"id\":\"a\",\"tags\":\"x\"}]}",
		 "items[0].tags is a string"},
		{"{\"version\":\"1.1\",\"items\":[{\"id\":\"a\",\"title\":[\"x\"]}]}",
		 "items[0].title is an array"},
		{"{\"version\":\"1.1\",\"authors\":\"me\",\"items\":[{\"id\":\"a\"}]}",
		 "authors is a string"},
		{"{\"version\":\"1.1\",\"items\":[\"nope\",{\"id\":\"a\"}]}", "is a string"},
		{"{\"version\":\"1.1\",\"items\":[{\"id\":\"a\",\"tags\":[1,\"t\"]}]}",
		 "is a number"},
		{"{\"version\":\"1.1\",\"items\":[{\"id\":\"a\",\"date_published\":true}]}",
		 "items[0].date_published is true or false"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct seen s = {0};
		assert_int_equal(
			run(NULL, NULL, cases[i].doc, strlen(cases[i].doc), 0, &s, NULL, 0), 0);
		assert_int_equal(s.nitems, 1);
		assert_non_null(strstr(s.out.data, "bozo=1"));
		if (strstr(s.out.data, cases[i].reason) == NULL)
			fail_msg("case %zu: %s", i, s.out.data);
		buf_free(&s.out);
	}
	/* items: an object is not the items array, but the feed still is one */
	struct seen s = {0};
	static const char obj[] = "{\"version\":\"1.1\",\"title\":\"t\",\"items\":{\"id\":\"a\"}}";
	assert_int_equal(run(NULL, NULL, obj, sizeof obj - 1, 0, &s, NULL, 0), 0);
	assert_int_equal(s.nitems, 0);
	assert_non_null(strstr(s.out.data, "items is an object"));
	buf_free(&s.out);
}

/* Documents that are no JSON Feed fail with a reason saying why. */
static void
test_not_a_feed(void **state)
{
	(void)state;
	static const struct {
		const char *ct, *doc, *err;
	} cases[] = {
		{NULL, "[1, 2]", "not an object"},
		{NULL, "{\"a\": 1}", "no jsonfeed.org \"version\" and no \"items\""},
		{"application/json", "\"x\"", "not an object"},
		{"application/feed+json", "", "empty JSON document"},
		{NULL, "{\"version\": \"1.1\", \"items\": [}", "JSON byte"},
		{NULL, "{\"version\": \"1.1\" \"items\": []}", "I expect ',' or '}'"},
		{NULL, "{\"verion\": \"1.0\"", "premature EOF"},
		{"application/json", "nope", "JSON byte"},
		{NULL, "{\"title\": \"\xC3\x28\"}", "JSON byte"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct seen s = {0};
		char err[256];
		assert_int_equal(run(cases[i].ct, NULL, cases[i].doc, strlen(cases[i].doc), 0, &s,
				     err, sizeof err),
				 -1);
		if (strstr(err, cases[i].err) == NULL)
			fail_msg("case %zu: error '%s', want '%s'", i, err, cases[i].err);
		buf_free(&s.out);
	}
}

/* A body cut short keeps the items that closed: bozo and truncated. */
static void
test_truncated(void **state)
{
	(void)state;
	static const char doc[] = "{\"version\":\"1.1\",\"title\":\"t\",\"items\":[{\"id\":\"a\"},"
				  "{\"id\":\"b\",\"title\":\"cut";
	struct seen s = {0};

	assert_int_equal(run(NULL, NULL, doc, sizeof doc - 1, 5, &s, NULL, 0), 0);
	assert_int_equal(s.nitems, 1);
	assert_non_null(strstr(s.out.data, "bozo=1 trunc=1"));
	buf_free(&s.out);
}

/* Nesting past PARSE_MAX_DEPTH ends the parse, wherever it is. */
static void
test_deep(void **state)
{
	(void)state;
	size_t n = 100000;
	struct buf b = {0};
	struct seen s = {0};
	char err[256];

	buf_puts(&b, "{\"version\":\"1.1\",\"items\":[{\"id\":\"a\"}],\"x\":");
	for (size_t i = 0; i < n; i++)
		buf_putc(&b, i % 2 ? '[' : '{'), i % 2 ? 0 : buf_puts(&b, "\"k\":");
	assert_int_equal(run(NULL, NULL, b.data, b.len, 4096, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "nested deeper than 256"));
	assert_int_equal(s.nitems, 1);
	buf_free(&s.out);
	buf_free(&b);
}

/* A string past PARSE_MAX_FIELD is refused; one that never ends is stopped
 * once it has grown past the token limit, before the body ends. */
static void
test_huge_strings(void **state)
{
	(void)state;
	size_t big = PARSE_MAX_FIELD + 10;
	struct buf b = {0};
	struct seen s = {0};
	char err[256];

	buf_puts(&b, "{\"version\":\"1.1\",\"items\":[{\"id\":\"a\",\"title\":\"");
	for (size_t i = 0; i < big; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "\"}]}");
	assert_int_equal(run(NULL, NULL, b.data, b.len, 65536, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "a string longer than 2097152 bytes"));
	buf_free(&s.out);

	/* never-ending: fed 64 KiB at a time until the parser says no */
	struct parse *p = parse_new(NULL, NULL, on_item, &s);
	static char chunk[65536];
	size_t fed = 0;
	memset(chunk, 'y', sizeof chunk);
	assert_int_equal(parse_feed(p, "{\"title\":\"", 10), 0);
	while (parse_feed(p, chunk, sizeof chunk) == 0 && fed < (64u << 20))
		fed += sizeof chunk;
	assert_true(fed < (20u << 20));
	assert_non_null(strstr(parse_error(p), "a token longer than"));
	assert_int_equal(parse_finish(p), -1);
	parse_free(p);
	memset(&s, 0, sizeof s);
	buf_free(&b);
}

/* The item callback can stop the parse; items past PARSE_MAX_ITEMS fail it. */
static void
test_stop_and_limit(void **state)
{
	(void)state;
	static const char doc[] = "{\"version\":\"1.1\",\"items\":[{\"id\":\"a\"},{\"id\":\"b\"}]}";
	struct seen s = {.stop_after = 1};
	char err[256];

	assert_int_equal(run(NULL, NULL, doc, sizeof doc - 1, 0, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "stopped by the item callback"));
	assert_int_equal(s.nitems, 1);
	buf_free(&s.out);

	struct buf b = {0};
	memset(&s, 0, sizeof s);
	buf_puts(&b, "{\"version\":\"1.1\",\"items\":[");
	for (int i = 0; i <= PARSE_MAX_ITEMS; i++)
		buf_printf(&b, "%s{\"id\":\"%d\"}", i ? "," : "", i);
	buf_puts(&b, "]}");
	assert_int_equal(run(NULL, NULL, b.data, b.len, 0, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "more than 20000 items"));
	assert_int_equal(s.nitems, PARSE_MAX_ITEMS);
	buf_free(&s.out);
	buf_free(&b);
}

/* "\u0000" inside a string is dropped, not a truncation point. */
static void
test_nul(void **state)
{
	(void)state;
	static const char doc[] = "{\"version\":\"1.1\",\"items\":[{\"id\":\"a\\u0000b\"}]}";
	struct seen s = {0};

	assert_int_equal(run(NULL, NULL, doc, sizeof doc - 1, 0, &s, NULL, 0), 0);
	assert_non_null(strstr(s.out.data, "guid=ab|"));
	buf_free(&s.out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),           cmocka_unit_test(test_author_10),
		cmocka_unit_test(test_sniff),          cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_not_a_feed),     cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_deep),           cmocka_unit_test(test_huge_strings),
		cmocka_unit_test(test_stop_and_limit), cmocka_unit_test(test_nul),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
