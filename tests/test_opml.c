#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "opml.h"

static void
parse_ok(const char *text, struct opml *o)
{
	char err[512] = "";

	if (opml_parse("subs.opml", text, strlen(text), o, err, sizeof err) != 0)
		fail_msg("unexpected error: %s", err);
}

static void
parse_err(const char *text, size_t len, const char *want)
{
	struct opml o;
	char err[512] = "";

	assert_int_equal(opml_parse("subs.opml", text, len, &o, err, sizeof err), -1);
	assert_string_equal(err, want);
	assert_int_equal(o.nfeeds, 0);
	assert_null(o.feeds);
	opml_free(&o);
}

static void
test_opml1_flat(void **state)
{
	struct opml o;

	(void)state;
	parse_ok("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
		 "<opml version=\"1.0\"><head><title>My \xe9 feeds</title></head><body>\n"
		 "<outline text=\"BBC\" type=\"rss\" xmlUrl=\" "
		 "https://feeds.bbci.co.uk/news/rss.xml "
		 "\" htmlUrl=\"https://www.bbc.co.uk/news\"/>\n"
		 "<outline title=\"\" text=\"Only text\" xmlurl=\"https://a.example/feed\"/>\n"
		 "<outline text=\"no url, no children\"/>\n"
		 "<outline type=\"link\" text=\"A link\" url=\"https://example.org/\"/>\n"
		 "<outline text=\"Empty url\" xmlUrl=\"  \"/>\n"
		 "</body></opml>",
		 &o);
	assert_string_equal(o.title, "My \xc3\xa9 feeds");
	assert_int_equal(o.nfeeds, 2);
	assert_string_equal(o.feeds[0].url, "https://feeds.bbci.co.uk/news/rss.xml");
	assert_string_equal(o.feeds[0].title, "BBC");
	assert_string_equal(o.feeds[0].html_url, "https://www.bbc.co.uk/news");
	assert_int_equal(o.feeds[0].ntags, 0);
	assert_string_equal(o.feeds[1].url, "https://a.example/feed");
	assert_string_equal(o.feeds[1].title, "Only text");
	assert_null(o.feeds[1].html_url);
	opml_free(&o);
	opml_free(&o); /* safe twice */
}

static void
test_opml2_nested(void **state)
{
	struct opml o;

	(void)state;
	parse_ok("<?xml version=\"1.0\"?>\n"
		 "<opml version=\"2.0\">\n"
		 "  <head><title>Subs &amp; more</title></head>\n"
		 "  <body>\n"
		 "    <outline text=\"News\">\n"
		 "      <outline text=\"World &amp; Europe\">\n"
		 "        <outline text=\"DW\" title=\"DW English\" type=\"rss\"\n"
		 "                 xmlUrl=\"https://rss.dw.com/rdf/rss-en-world\"\n"
		 "                 category=\"/Germany/Public,news\"/>\n"
		 "      </outline>\n"
		 "      <outline text=\"Top\" xmlUrl=\"https://top.example/rss?a=1&amp;b=2\"/>\n"
		 "    </outline>\n"
		 "    <outline title=\"T\xc3\x9crk\xc3\xa7\x65\" text=\"\">\n"
		 "      <outline text=\"AA\" "
		 "xmlUrl=\"https://www.aa.com.tr/en/rss/default?cat=world\"/>\n"
		 "    </outline>\n"
		 "    <outline text=\"Loose\" xmlUrl=\"https://loose.example/atom\"/>\n"
		 "  </body>\n"
		 "</opml>\n",
		 &o);
	assert_string_equal(o.title, "Subs & more");
	assert_int_equal(o.nfeeds, 4);
	assert_string_equal(o.feeds[0].title, "DW English");
	assert_int_equal(o.feeds[0].ntags, 4);
	assert_string_equal(o.feeds[0].tags[0], "news");
	assert_string_equal(o.feeds[0].tags[1], "world & europe");
	assert_string_equal(o.feeds[0].tags[2], "germany");
	assert_string_equal(o.feeds[0].tags[3], "public");
	assert_string_equal(o.feeds[1].url, "https://top.example/rss?a=1&b=2");
	assert_int_equal(o.feeds[1].ntags, 1);
	assert_string_equal(o.feeds[1].tags[0], "news");
	assert_int_equal(o.feeds[2].ntags, 1);
	assert_string_equal(o.feeds[2].tags[0], "t\xc3\xbcrk\xc3\xa7\x65");
	assert_int_equal(o.feeds[3].ntags, 0);
	opml_free(&o);
}

static void
test_malformed(void **state)
{
	const char *rss = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel/></rss>";

	(void)state;
	parse_err("<opml><body>\n<outline text=\"a\">\n</body></opml>", 47,
		  "subs.opml:3: mismatched tag");
	parse_err("", 0, "subs.opml:1: no element found");
	parse_err("<opml><body><outline text=\"a & b\"/></body></opml>", 50,
		  "subs.opml:1: not well-formed (invalid token)");
	parse_err("<opml><body><outline text=\"&nbsp;\"/></body></opml>", 51,
		  "subs.opml:1: undefined entity");
	parse_err(rss, strlen(rss),
		  "subs.opml:2: not an OPML document (the root element is <rss>, not <opml>)");
	parse_err("<opml>\n<body>\n</body>\n</opml>\ntrailing", 37,
		  "subs.opml:5: junk after document element");
	/* Embedded NUL. */
	parse_err("<opml>\0</opml>", 14, "subs.opml:1: not well-formed (invalid token)");
}

static void
test_entity_bomb(void **state)
{
	const char *bomb =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE opml [\n"
		"  <!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n"
		"  <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
		"  <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
		"  <!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
		"]>\n"
		"<opml><body><outline text=\"&d;\" xmlUrl=\"https://x.example/\"/></body></opml>";
	const char *ext =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE opml [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n"
		"<opml><body><outline text=\"&xxe;\" xmlUrl=\"https://x.example/\"/></body>"
		"</opml>";
	const char *doctype = "<?xml version=\"1.0\"?>\n<!DOCTYPE opml>\n"
			      "<opml><body><outline xmlUrl=\"https://x.example/\"/></body></opml>";
	struct opml o;

	(void)state;
	parse_err(bomb, strlen(bomb),
		  "subs.opml:3: entity declarations are not allowed (entity 'a')");
	parse_err(ext, strlen(ext),
		  "subs.opml:2: entity declarations are not allowed (entity 'xxe')");
	/* A DOCTYPE without entities is fine. */
	parse_ok(doctype, &o);
	assert_int_equal(o.nfeeds, 1);
	assert_null(o.feeds[0].title);
	opml_free(&o);
}

static void
test_huge(void **state)
{
	struct buf b = {0};
	struct opml o;
	char err[256];
	char *text;
	size_t len;

	(void)state;
	/* Too many feeds. */
	assert_int_equal(buf_puts(&b, "<opml version=\"2.0\"><body>\n"), 0);
	for (int i = 0; i <= OPML_MAX_FEEDS; i++)
		assert_int_equal(
			buf_printf(&b, "<outline text=\"f%d\" xmlUrl=\"https://f%d.example/\"/>\n",
				   i, i),
			0);
	assert_int_equal(buf_puts(&b, "</body></opml>\n"), 0);
	len = b.len;
	text = buf_detach(&b);
	assert_int_equal(opml_parse("big.opml", text, len, &o, err, sizeof err), -1);
	assert_string_equal(err, "big.opml:10002: more than 10000 feeds");
	/* Exactly the limit is fine. */
	*strstr(text, "<outline text=\"f10000\"") = '\0';
	assert_int_equal(buf_puts(&b, text), 0);
	assert_int_equal(buf_puts(&b, "</body></opml>\n"), 0);
	free(text);
	len = b.len;
	text = buf_detach(&b);
	assert_int_equal(opml_parse("big.opml", text, len, &o, err, sizeof err), 0);
	assert_int_equal(o.nfeeds, OPML_MAX_FEEDS);
	assert_string_equal(o.feeds[9999].url, "https://f9999.example/");
	opml_free(&o);
	free(text);
	/* Too deep. */
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf_puts(&b, i ? "<outline text=\"x\">" : "<opml>"), 0);
	len = b.len;
	text = buf_detach(&b);
	assert_int_equal(opml_parse("deep.opml", text, len, &o, err, sizeof err), -1);
	assert_string_equal(err, "deep.opml:1: elements nested deeper than 64");
	free(text);
	/* Too large. */
	assert_int_equal(
		opml_parse("huge.opml", "", (size_t)OPML_MAX_INPUT + 1, &o, err, sizeof err), -1);
	assert_string_equal(err, "huge.opml: too large (16777217 bytes, at most 16777216)");
	/* A very long attribute is cut, on a character boundary. */
	assert_int_equal(
		buf_puts(&b, "<opml><body><outline xmlUrl=\"https://l.example/\" title=\""), 0);
	for (int i = 0; i < OPML_MAX_ATTR; i++)
		assert_int_equal(buf_puts(&b, "\xc3\xa9"), 0);
	assert_int_equal(buf_puts(&b, "\"/></body></opml>"), 0);
	len = b.len;
	text = buf_detach(&b);
	assert_int_equal(opml_parse("long.opml", text, len, &o, err, sizeof err), 0);
	assert_int_equal(strlen(o.feeds[0].title), OPML_MAX_ATTR);
	opml_free(&o);
	free(text);
}

static void
test_write_roundtrip(void **state)
{
	char *t1[] = {"world", "uk"}, *t2[] = {"tech"}, *t3[] = {"world"};
	const struct opml_feed feeds[] = {
		{.url = "https://feeds.bbci.co.uk/news/world/rss.xml",
		 .title = "BBC \"World\"",
		 .tags = t1,
		 .ntags = 2},
		{.url = "https://a.example/rss?x=1&y=<2>", .title = NULL},
		{.url = "https://tech.example/atom",
		 .title = "Tech & Co\ttabs\x01",
		 .tags = t2,
		 .ntags = 1,
		 .html_url = "https://tech.example/"},
		{.url = "https://dw.example/rdf", .title = "DW \xff bad", .tags = t3, .ntags = 1},
	};
	struct opml o;
	char *xml;

	(void)state;
	xml = opml_write("herald <export>", feeds, 4, 1795000000);
	assert_non_null(xml);
	assert_non_null(strstr(xml, "<opml version=\"2.0\">"));
	assert_non_null(strstr(xml, "<title>herald &lt;export&gt;</title>"));
	assert_non_null(strstr(xml, "<dateCreated>Wed, 18 Nov 2026 11:06:40 GMT</dateCreated>"));
	assert_non_null(strstr(xml, "title=\"BBC &quot;World&quot;\""));
	assert_non_null(strstr(xml, "xmlUrl=\"https://a.example/rss?x=1&amp;y=&lt;2&gt;\""));
	assert_non_null(strstr(xml, "category=\"world,uk\""));
	assert_non_null(strstr(xml, "title=\"Tech &amp; Co&#9;tabs\""));
	assert_non_null(strstr(xml, "DW \xef\xbf\xbd bad"));
	/* The world folder holds both world feeds, in order. */
	assert_true(strstr(xml, "<outline text=\"world\" title=\"world\">") <
		    strstr(xml, "https://feeds.bbci.co.uk/news/world/rss.xml"));
	parse_ok(xml, &o);
	assert_string_equal(o.title, "herald <export>");
	assert_int_equal(o.nfeeds, 4);
	assert_string_equal(o.feeds[0].url, feeds[0].url);
	assert_string_equal(o.feeds[0].title, "BBC \"World\"");
	assert_int_equal(o.feeds[0].ntags, 2);
	assert_string_equal(o.feeds[0].tags[0], "world");
	assert_string_equal(o.feeds[0].tags[1], "uk");
	assert_string_equal(o.feeds[1].url, feeds[3].url);
	assert_string_equal(o.feeds[1].tags[0], "world");
	assert_string_equal(o.feeds[2].url, feeds[1].url);
	assert_string_equal(o.feeds[2].title, feeds[1].url); /* untitled: text is the url */
	assert_int_equal(o.feeds[2].ntags, 0);
	assert_string_equal(o.feeds[3].title, "Tech & Co\ttabs");
	assert_string_equal(o.feeds[3].html_url, "https://tech.example/");
	opml_free(&o);
	free(xml);
	/* An empty list is a valid document. */
	xml = opml_write(NULL, NULL, 0, 0);
	assert_non_null(xml);
	assert_null(strstr(xml, "dateCreated"));
	parse_ok(xml, &o);
	assert_int_equal(o.nfeeds, 0);
	assert_string_equal(o.title, "herald subscriptions");
	opml_free(&o);
	free(xml);
}

/* Found by fuzz_opml: DEL is legal in XML and opml_parse keeps it, so
 * opml_write must too, or export then import changes a url. */
static void
test_write_del(void **state)
{
	const struct opml_feed feed = {.url = "http://example.\x7forg/feed"};
	struct opml o;
	char *xml;

	(void)state;
	xml = opml_write(NULL, &feed, 1, 0);
	assert_non_null(xml);
	assert_non_null(strstr(xml, "xmlUrl=\"http://example.&#127;org/feed\""));
	parse_ok(xml, &o);
	assert_int_equal(o.nfeeds, 1);
	assert_string_equal(o.feeds[0].url, feed.url);
	opml_free(&o);
	free(xml);
}

/* Folders: each written whole where its first feed is, its feeds in
 * order; feeds without a folder stay where they are. Many folders are
 * grouped the same way (by sorting, not by a scan per folder). */
static void
test_write_folders(void **state)
{
	static char *a[] = {"a"}, *b[] = {"b", "x"}, *c[] = {"c"};
	const struct opml_feed feeds[] = {
		{.url = "https://1.example/", .tags = b, .ntags = 2},
		{.url = "https://2.example/"},
		{.url = "https://3.example/", .tags = a, .ntags = 1},
		{.url = "https://4.example/", .tags = b, .ntags = 1},
		{.url = "https://5.example/", .tags = c, .ntags = 1},
		{.url = "https://6.example/", .tags = a, .ntags = 1},
		{.url = "https://7.example/"},
	};
	static const char *const order[] = {"1", "4", "2", "3", "6", "5", "7"};
	struct opml_feed *many;
	struct opml o;
	char *xml, url[64];
	size_t n = 5000;

	(void)state;
	xml = opml_write(NULL, feeds, 7, 0);
	assert_non_null(xml);
	assert_non_null(strstr(xml, "  <body>\n"
				    "    <outline text=\"b\" title=\"b\">\n"
				    "      <outline type=\"rss\" text=\"https://1.example/\" "
				    "title=\"https://1.example/\" xmlUrl=\"https://1.example/\" "
				    "category=\"b,x\"/>\n"
				    "      <outline type=\"rss\" text=\"https://4.example/\" "
				    "title=\"https://4.example/\" xmlUrl=\"https://4.example/\" "
				    "category=\"b\"/>\n"
				    "    </outline>\n"
				    "    <outline type=\"rss\" text=\"https://2.example/\""));
	parse_ok(xml, &o);
	assert_int_equal(o.nfeeds, 7);
	for (size_t i = 0; i < 7; i++) {
		snprintf(url, sizeof url, "https://%s.example/", order[i]);
		assert_string_equal(o.feeds[i].url, url);
	}
	opml_free(&o);
	free(xml);

	/* n feeds in n / 2 folders, each folder's two feeds far apart. */
	many = calloc(n, sizeof *many);
	assert_non_null(many);
	for (size_t i = 0; i < n; i++) {
		char tag[32];

		snprintf(url, sizeof url, "https://%zu.example/", i);
		snprintf(tag, sizeof tag, "t%zu", i % (n / 2));
		many[i].url = strdup(url);
		many[i].tags = calloc(1, sizeof *many[i].tags);
		assert_non_null(many[i].tags);
		many[i].tags[0] = strdup(tag);
		many[i].ntags = 1;
	}
	xml = opml_write(NULL, many, n, 0);
	assert_non_null(xml);
	parse_ok(xml, &o);
	assert_int_equal(o.nfeeds, n);
	for (size_t k = 0; k < n; k++) /* i, then i + n / 2 */
		assert_string_equal(o.feeds[k].url, many[k / 2 + (k % 2) * (n / 2)].url);
	opml_free(&o);
	free(xml);
	for (size_t i = 0; i < n; i++) {
		free(many[i].url);
		free(many[i].tags[0]);
		free(many[i].tags);
	}
	free(many);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opml1_flat), cmocka_unit_test(test_opml2_nested),
		cmocka_unit_test(test_malformed),  cmocka_unit_test(test_entity_bomb),
		cmocka_unit_test(test_huge),       cmocka_unit_test(test_write_roundtrip),
		cmocka_unit_test(test_write_del),  cmocka_unit_test(test_write_folders),
	};

	return cmocka_run_group_tests_name("opml", tests, NULL, NULL);
}
