/* test_parse: the streaming feed parser (daemon/parse.c). */
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

/* Everything the parser reported, flattened to one string for comparing. */
struct seen {
	struct buf out;
	int nitems;
	int stop_after; /* stop the parse after this many items (0 = never) */
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
	put(&s->out, "summary_text", it->summary.text);
	for (size_t i = 0; i < it->ncontent; i++)
		put(&s->out, "content", it->content[i].value);
	for (size_t i = 0; i < it->l.nauthors; i++)
		put(&s->out, "author", it->l.authors[i].name),
			put(&s->out, "email", it->l.authors[i].email);
	for (size_t i = 0; i < it->l.ncategories; i++)
		put(&s->out, "cat", it->l.categories[i].term);
	for (size_t i = 0; i < it->nenclosures; i++)
		put(&s->out, "enc", it->enclosures[i].url);
	buf_puts(&s->out, "\n");
	s->nitems++;
	return s->stop_after && s->nitems >= s->stop_after;
}

/* Parses doc in chunks of chunk bytes (0 = all at once); returns
 * parse_finish's result and fills s (caller frees s->out). */
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
	buf_printf(&s->out, "FEED format=%s version=%s enc=%s bozo=%d|", m->format ? m->format : "",
		   m->version ? m->version : "", m->encoding, m->bozo);
	put(&s->out, "title", m->title.value);
	put(&s->out, "link", m->link);
	put(&s->out, "subtitle", m->subtitle.value);
	if (err)
		snprintf(err, errlen, "%s", parse_error(p) ? parse_error(p) : "");
	parse_free(p);
	return rc < 0 ? -1 : fin;
}

static const char rss2[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	"<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
	"xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n"
	"<channel><title>Caf&eacute; news</title><link>http://example.com/</link>\n"
	"<description>All the &amp; news</description>\n"
	"<item><title>First &amp; best</title><link>/one</link><guid "
	"isPermaLink=\"false\">id-1</guid>"
	"<description><![CDATA[<p>Hello <b>world</b></p>]]></description>"
	"<content:encoded>&lt;p&gt;Body&lt;/p&gt;</content:encoded>"
	"<pubDate>Thu, 01 Jan 2004 19:48:21 GMT</pubDate><author>joe@example.com (Joe "
	"Bloggs)</author>"
	"<category>tech</category><dc:subject>misc</dc:subject>"
	"<enclosure url=\"a.mp3\" type=\"audio/mpeg\" length=\"42\"/></item>\n"
	"<item><title>Second</title><guid>http://example.com/two</guid>"
	"<dc:date>2004-01-02T00:00:00Z</dc:date></item>\n"
	"</channel></rss>\n";

static const char atom10[] =
	"<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"http://example.org/blog/\">"
	"<title type=\"html\">A &lt;em&gt;blog&lt;/em&gt;</title>"
	"<link rel=\"alternate\" href=\"index.html\"/><id>urn:x</id>"
	"<entry xml:base=\"2024/\"><title>Post</title><id>tag:x,2024:1</id>"
	"<link href=\"post.html\"/><updated>2024-01-02T03:04:05+01:00</updated>"
	"<author><name>Ann</name><email>ann@example.org</email></author>"
	"<content type=\"xhtml\"><div "
	"xmlns=\"http://www.w3.org/1999/xhtml\"><p>Hi</p></div></content>"
	"<category term=\"t1\" scheme=\"s\" label=\"T one\"/>"
	"<source><title>Not me</title><id>nope</id></source>"
	"</entry></feed>";

static const char rdf[] =
	"<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
	"xmlns=\"http://purl.org/rss/1.0/\"><channel rdf:about=\"http://x/\"><title>R</title>"
	"<link>http://x/</link></channel>"
	"<item rdf:about=\"http://x/1\"><title>One</title><link>http://x/1</link></item></rdf:RDF>";

static const char atom03[] =
	"<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><title>Old</title>"
	"<entry><title mode=\"escaped\" type=\"text/html\">&lt;b&gt;B&lt;/b&gt;</title>"
	"<summary mode=\"base64\" type=\"text/plain\">SGVsbG8=</summary>"
	"<issued>2003-12-31T10:14:55Z</issued></entry></feed>";

static const char rss091[] =
	"<!DOCTYPE rss PUBLIC \"-//Netscape Communications//DTD RSS 0.91//EN\" "
	"\"http://my.netscape.com/publish/formats/rss-0.91.dtd\">"
	"<rss version=\"0.91\"><channel><title>N &copy; 1999</title><item><title>I</title>"
	"</item></channel></rss>";

static void
expect(const char *doc, size_t len, const char *ct, const char *want_sub)
{
	struct seen s = {0};
	int rc = run(ct, "http://example.com/feed.xml", doc, len, 0, &s, NULL, 0);

	assert_int_equal(rc, 0);
	if (strstr(buf_str(&s.out), want_sub) == NULL)
		fail_msg("missing '%s' in:\n%s", want_sub, buf_str(&s.out));
	buf_free(&s.out);
}

static void
test_dialects(void **state)
{
	(void)state;
	expect(rss2, strlen(rss2), NULL, "format=rss20 version=2.0 enc=utf-8 bozo=0");
	expect(rss2, strlen(rss2), NULL, "title=Caf\xc3\xa9 news");
	expect(rss2, strlen(rss2), NULL,
	       "guid=id-1|link=http://example.com/one|title=First & best");
	expect(rss2, strlen(rss2), NULL,
	       "author=Joe Bloggs|email=joe@example.com|cat=tech|cat=misc|"
	       "enc=http://example.com/a.mp3");
	expect(rss2, strlen(rss2), NULL, "ITEM pub=1072986501");
	/* a permalink guid is the link; dc:date is a date */
	expect(rss2, strlen(rss2), NULL,
	       "ITEM pub=1073001600 upd=1073001600|guid=http://example.com/two|"
	       "link=http://example.com/two");
	expect(atom10, strlen(atom10), NULL, "format=atom10 version=1.0");
	expect(atom10, strlen(atom10), NULL, "link=http://example.org/blog/index.html");
	expect(atom10, strlen(atom10), NULL,
	       "ITEM pub=0 upd=1704161045|guid=tag:x,2024:1|"
	       "link=http://example.org/blog/2024/post.html|title=Post");
	expect(atom10, strlen(atom10), NULL, "author=Ann|email=ann@example.org|cat=t1");
	expect(rdf, strlen(rdf), NULL, "format=rss10");
	expect(rdf, strlen(rdf), NULL, "guid=http://x/1|link=http://x/1|title=One");
	expect(atom03, strlen(atom03), NULL, "format=atom03 version=0.3");
	expect(atom03, strlen(atom03), NULL, "ITEM pub=1072865695");
	expect(atom03, strlen(atom03), NULL, "summary=Hello|");
	expect(rss091, strlen(rss091), NULL, "format=rss091n");
	/* found by fuzz_parse: an empty base64 construct */
	expect("<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><entry><summary "
	       "mode=\"base64\"></summary></entry></feed>",
	       108, NULL, "summary=|");
	expect(rss091, strlen(rss091), NULL, "title=N \xc2\xa9 1999");
	/* <tags>: comma-separated categories, empty ones skipped */
	expect("<rss><channel><item><tags>one, two,, </tags><category>c</category>"
	       "</item></channel></rss>",
	       89, NULL, "cat=one|cat=two|cat=c|");
	/* TypePad: escaped HTML in a real xhtml div; the div is not content */
	expect("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><content type=\"html\">"
	       "<div xmlns=\"http://www.w3.org/1999/xhtml\">A &lt;b&gt;B&lt;/b&gt;</div>"
	       "</content></entry></feed>",
	       165, NULL, "content=A <b>B</b>|");
	/* but an xhtml construct keeps inline divs below its wrapper */
	expect("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><content type=\"xhtml\">"
	       "<div xmlns=\"http://www.w3.org/1999/xhtml\"><div>x</div></div>"
	       "</content></entry></feed>",
	       156, NULL, "content=<div>x</div>|");
}

/* The same parse whole and one byte at a time. */
static void
same_streamed(const char *doc, size_t len, const char *ct)
{
	struct seen a = {0}, b = {0};
	int ra = run(ct, "http://example.com/f", doc, len, 0, &a, NULL, 0);
	int rb = run(ct, "http://example.com/f", doc, len, 1, &b, NULL, 0);

	assert_int_equal(ra, rb);
	assert_string_equal(buf_str(&a.out), buf_str(&b.out));
	assert_true(a.nitems > 0);
	buf_free(&a.out);
	buf_free(&b.out);
}

static const char cp1251[] =
	"<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss version=\"2.0\">"
	"<channel><title>\xcf\xf0\xe8\xe2\xe5\xf2</title><item><title>"
	"\xcc\xe8\xf0</title></item></channel></rss>";
static const char koi8[] = "<?xml version=\"1.0\" encoding=\"KOI8-R\"?><rss version=\"2.0\">"
			   "<channel><title>\xf0\xd2\xc9\xd7\xc5\xd4</title><item><title>"
			   "\xed\xc9\xd2</title></item></channel></rss>";

/* rss2 as UTF-16LE with a BOM. */
static char *
utf16le(const char *s, size_t *len)
{
	size_t n = strlen(s);
	char *o = malloc(2 + 2 * n);

	assert_non_null(o);
	o[0] = (char)0xFF, o[1] = (char)0xFE;
	for (size_t i = 0; i < n; i++)
		o[2 + 2 * i] = s[i], o[3 + 2 * i] = 0;
	*len = 2 + 2 * n;
	return o;
}

static void
test_streaming(void **state)
{
	size_t n;
	char *u16 = utf16le(rdf, &n);

	(void)state;
	same_streamed(rss2, strlen(rss2), NULL);
	same_streamed(atom10, strlen(atom10), "application/atom+xml");
	same_streamed(rdf, strlen(rdf), NULL);
	same_streamed(atom03, strlen(atom03), NULL);
	same_streamed(cp1251, strlen(cp1251), NULL);
	same_streamed(koi8, strlen(koi8), NULL);
	same_streamed(u16, n, NULL);
	free(u16);
}

static void
test_charsets(void **state)
{
	size_t n;
	char *u16 =
		utf16le("<?xml version=\"1.0\" encoding=\"utf-16\"?><rss version=\"2.0\"><channel>"
			"<title>Caf&#233;</title><item><title>x</title></item></channel></rss>",
			&n);

	(void)state;
	/* "Привет" and "Мир" */
	expect(cp1251, strlen(cp1251), NULL,
	       "enc=windows-1251 bozo=0|title=\xd0\x9f\xd1\x80\xd0\xb8"
	       "\xd0\xb2\xd0\xb5\xd1\x82|");
	expect(cp1251, strlen(cp1251), NULL, "title=\xd0\x9c\xd0\xb8\xd1\x80|");
	expect(koi8, strlen(koi8), NULL,
	       "enc=koi8-r bozo=0|title=\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2"
	       "\xd0\xb5\xd1\x82|");
	expect(u16, n, NULL, "enc=utf-16le bozo=0|title=Caf\xc3\xa9|");
	/* the HTTP charset wins over the declaration */
	expect(cp1251, strlen(cp1251), "text/xml; charset=\"windows-1251\"", "enc=windows-1251");
	/* RFC 3023: text/xml without charset is us-ascii while the bytes are ASCII */
	expect(rdf, strlen(rdf), "text/xml", "enc=us-ascii");
	/* an unknown charset is read as UTF-8, with bozo */
	static const char bogus[] = "<?xml version=\"1.0\" encoding=\"x-nonsense\"?><rss><channel>"
				    "<title>t</title></channel></rss>";
	expect(bogus, sizeof bogus - 1, NULL, "enc=utf-8 bozo=1|title=t|");
	/* found by fuzz_parse: a name of junk bytes (glibc's iconv takes "???") */
	static const char junk[] = "<?xml version=\"1.0\" encoding=\"\xc6\x0c\x0c\"?><rss><channel>"
				   "<title>t</title></channel></rss>";
	expect(junk, sizeof junk - 1, NULL, "enc=utf-8 bozo=1|title=t|");
	free(u16);
}

/* Every byte of what the parser reports is valid UTF-8. */
static int
valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80             ? 1
			: (*p & 0xE0) == 0xC0 ? 2
			: (*p & 0xF0) == 0xE0 ? 3
			: (*p & 0xF8) == 0xF0 ? 4
					      : 0;
		if (n == 0)
			return 0;
		for (int i = 1; i < n; i++)
			if ((p[i] & 0xC0) != 0x80)
				return 0;
		p += n;
	}
	return 1;
}

static void
test_invalid_utf8(void **state)
{
	static const char doc[] =
		"<rss version=\"2.0\"><channel><title>bad \xff\xfe here \xc3</title>"
		"<item><title>\xed\xa0\x80 surrogate \x01 ctl</title></item>"
		"</channel></rss>";
	struct seen s = {0};

	(void)state;
	for (size_t chunk = 0; chunk < 4; chunk++) {
		assert_int_equal(run(NULL, NULL, doc, sizeof doc - 1, chunk, &s, NULL, 0), 0);
		assert_true(valid_utf8(buf_str(&s.out)));
		assert_non_null(strstr(buf_str(&s.out), "bozo=1"));
		assert_non_null(strstr(buf_str(&s.out), "bad \xef\xbf\xbd\xef\xbf\xbd here"));
		buf_free(&s.out);
		s.nitems = 0;
	}
	/* found by fuzz_parse: an undefined entity with a long non-ASCII name is
	 * kept as written, and must not be cut inside a character */
	struct buf d = {0};
	buf_puts(&d, "<rss version=\"2.0\"><channel><title>&a");
	for (int i = 0; i < 45; i++)
		buf_puts(&d, "\xd1\x8f");
	buf_puts(&d, ";</title></channel></rss>");
	assert_int_equal(run(NULL, NULL, d.data, d.len, 0, &s, NULL, 0), 0);
	assert_true(valid_utf8(buf_str(&s.out)));
	assert_non_null(strstr(buf_str(&s.out), "bozo=1|title=&a\xd1\x8f"));
	buf_free(&s.out);
	buf_free(&d);
}

static void
test_entity_bomb(void **state)
{
	struct buf doc = {0};
	struct seen s = {0};
	char err[256];

	(void)state;
	buf_puts(&doc,
		 "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY a \"aaaaaaaaaaaaaaaaaaaa\">");
	for (char c = 'b'; c <= 'k'; c++)
		buf_printf(&doc, "<!ENTITY %c \"&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;\">", c,
			   c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
	buf_puts(&doc,
		 "]><rss version=\"2.0\"><channel><item><title>&k;</title></item></channel></rss>");
	int rc = run(NULL, NULL, doc.data, doc.len, 0, &s, err, sizeof err);
	/* 20 * 10^10 bytes would be needed: expat's amplification limit stops it */
	assert_int_equal(s.nitems, 0);
	assert_true(rc == -1 || strstr(buf_str(&s.out), "bozo=1") != NULL);
	assert_true(s.out.len < 4096);
	buf_free(&s.out);
	buf_free(&doc);
}

static void
test_external_entity(void **state)
{
	static const char doc[] = "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY x SYSTEM "
				  "\"file:///etc/passwd\">]><rss version=\"2.0\"><channel><item>"
				  "<title>a&x;b</title></item></channel></rss>";
	struct seen s = {0};

	(void)state;
	assert_int_equal(run(NULL, NULL, doc, sizeof doc - 1, 0, &s, NULL, 0), 0);
	assert_null(strstr(buf_str(&s.out), "root:"));
	assert_non_null(strstr(buf_str(&s.out), "title=ab|"));
	buf_free(&s.out);
}

static void
test_limits(void **state)
{
	struct buf doc = {0};
	struct seen s = {0};
	char err[256];

	(void)state;
	buf_puts(&doc, "<rss version=\"2.0\"><channel><item><title>ok</title></item>");
	for (int i = 0; i < PARSE_MAX_DEPTH + 10; i++)
		buf_puts(&doc, "<x>");
	assert_int_equal(run(NULL, NULL, doc.data, doc.len, 0, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "nested deeper than 256"));
	assert_non_null(strstr(err, "line 1, column"));
	assert_int_equal(s.nitems, 1); /* the item before the error was delivered */
	buf_free(&s.out);
	buf_reset(&doc);

	buf_puts(&doc, "<rss version=\"2.0\"><channel><item><description>");
	for (size_t i = 0; i < PARSE_MAX_FIELD / 64 + 2; i++)
		buf_puts(&doc, "0123456789012345678901234567890123456789012345678901234567890123");
	buf_puts(&doc, "</description></item></channel></rss>");
	s = (struct seen){0};
	assert_int_equal(run(NULL, NULL, doc.data, doc.len, 65536, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "text field longer than"));
	buf_free(&s.out);
	buf_free(&doc);

	/* the callback can stop the parse */
	s = (struct seen){.stop_after = 1};
	assert_int_equal(run(NULL, NULL, rss2, strlen(rss2), 0, &s, err, sizeof err), -1);
	assert_int_equal(s.nitems, 1);
	assert_non_null(strstr(err, "stopped"));
	buf_free(&s.out);
}

/* Parses doc whole; returns the meta's truncated flag (-1: no feed read). */
static int
truncated_of(const char *doc, size_t *nitems)
{
	struct seen s = {0};
	struct parse *p = parse_new(NULL, NULL, on_item, &s);
	int t;

	assert_non_null(p);
	assert_int_equal(parse_feed(p, doc, strlen(doc)), 0);
	t = parse_finish(p) == 0 ? parse_meta(p)->truncated : -1;
	*nitems = s.nitems;
	parse_free(p);
	buf_free(&s.out);
	return t;
}

static void
test_truncated(void **state)
{
	/* cut in text, inside a tag, a CDATA section, an entity, a character */
	static const char *const cut[] = {
		"<rss version=\"2.0\"><channel><item><title>one</title></item><item><title>tw",
		"<rss version=\"2.0\"><channel><item><title>one</title></item><ite",
		"<rss version=\"2.0\"><channel><item><title>one</title></item><item>"
		"<description><![CDATA[<p>half",
		"<rss version=\"2.0\"><channel><item><title>one</title></item><item><title>&am",
		"<rss version=\"2.0\"><channel><item><title>one</title></item><item><title>caf\xc3",
		"<rss version=\"2.0\"><channel><item><title>one</title></item></channel>",
	};
	/* broken but complete: the end came where it should */
	static const char *const whole[] = {
		"<rss version=\"2.0\"><channel><item><title>one</title></item>"
		"<item><title>A & B</title></item></channel></rss>",
		"<rss version=\"2.0\"><channel><item><title>one</titel></item></channel></rss>",
		"<rss version=\"2.0\"><channel><item><title>one</title></item></channel></rss>junk",
		"<rss version=\"2.0\"><channel><item><title>one</title></item></channel></rss>",
	};
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof cut / sizeof *cut; i++) {
		assert_int_equal(truncated_of(cut[i], &n), 1);
		assert_int_equal(n, 1); /* the item that closed, and only it */
	}
	for (size_t i = 0; i < sizeof whole / sizeof *whole; i++) {
		assert_int_equal(truncated_of(whole[i], &n), 0);
		assert_true(n >= 1);
	}
}

static void
test_malformed(void **state)
{
	struct seen s = {0};
	char err[256];
	/* a bare '&', a mismatched end tag and an unclosed document */
	static const char doc[] = "<rss version=\"2.0\"><channel><title>A & B</title>"
				  "<item><title>one</title></item>"
				  "<item><title>two</titel><link>http://x/2</link></item>"
				  "<item><title>three</title>";

	(void)state;
	assert_int_equal(run(NULL, NULL, doc, sizeof doc - 1, 7, &s, err, sizeof err), 0);
	assert_non_null(strstr(buf_str(&s.out), "bozo=1"));
	assert_non_null(strstr(buf_str(&s.out), "title=one|"));
	assert_non_null(strstr(buf_str(&s.out), "title=three|"));
	assert_non_null(strstr(buf_str(&s.out), "FEED format=rss20"));
	assert_non_null(strstr(buf_str(&s.out), "title=A & B|"));
	/* each item once, though "one" closed before the error and the rest after */
	assert_int_equal(s.nitems, 3);
	buf_free(&s.out);

	/* repaired tags keep their attributes and close by name */
	static const char doc2[] =
		"<rss version=\"2.0\"><channel><item><title type=\"x\">one</titl>"
		"</item><item><guid isPermaLink=\"false\">g2</guid></item></channel></rss>";
	s = (struct seen){0};
	assert_int_equal(run(NULL, NULL, doc2, sizeof doc2 - 1, 0, &s, err, sizeof err), 0);
	assert_int_equal(s.nitems, 2);
	assert_non_null(strstr(buf_str(&s.out), "guid=g2|link=(null)|"));
	buf_free(&s.out);

	/* recovery re-reads the whole document as kept, here across several of
	 * the parser's 64 KiB blocks and in chunks that straddle them */
	struct buf big = {0};
	buf_puts(&big, "<rss version=\"2.0\"><channel><title>big</title>");
	for (int i = 0; i < 4000; i++)
		buf_printf(&big, "<item><title>item %s%d</title><guid>g%d</guid></item>",
			   i == 2000 ? "& " : "", i, i);
	buf_puts(&big, "</channel></rss>");
	assert_true(big.len > 3 * 65536);
	s = (struct seen){0};
	assert_int_equal(run(NULL, NULL, big.data, big.len, 4093, &s, err, sizeof err), 0);
	assert_int_equal(s.nitems, 4000);
	assert_non_null(strstr(buf_str(&s.out), "bozo=1"));
	assert_non_null(strstr(buf_str(&s.out), "guid=g1999|"));
	assert_non_null(strstr(buf_str(&s.out), "title=item & 2000|"));
	assert_non_null(strstr(buf_str(&s.out), "guid=g2001|link=g2001|title=item 2001|"));
	assert_non_null(strstr(buf_str(&s.out), "guid=g3999|link=g3999|title=item 3999|"));
	buf_free(&s.out);
	buf_free(&big);

	/* not XML at all */
	s = (struct seen){0};
	assert_int_equal(run(NULL, NULL, "hello", 5, 0, &s, err, sizeof err), -1);
	assert_true(err[0] != '\0');
	buf_free(&s.out);
	s = (struct seen){0};
	assert_int_equal(run(NULL, NULL, "<html><body>x</body></html>", 27, 0, &s, err, sizeof err),
			 -1);
	assert_non_null(strstr(err, "not an RSS or Atom"));
	buf_free(&s.out);
	s = (struct seen){0};
	assert_int_equal(run(NULL, NULL, "", 0, 0, &s, err, sizeof err), -1);
	buf_free(&s.out);
}

static void
test_base(void **state)
{
	static const char doc[] =
		"<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"http://a.example/x/\">"
		"<entry xml:base=\"../y/\"><link href=\"z.html\"/><id>rel-id</id></entry>"
		"<entry xml:base=\"http://b.example/\"><link href=\"/abs\"/></entry></feed>";

	(void)state;
	expect(doc, sizeof doc - 1, NULL, "link=http://a.example/y/z.html");
	expect(doc, sizeof doc - 1, NULL, "link=http://b.example/abs");
	/* non-ASCII in a relative link inside HTML stays as written */
	expect("<rss xml:base=\"http://any.test/\"><channel><item><description>"
	       "&lt;a href=&quot;&#192;&quot;&gt;u&lt;/a&gt;</description></item></channel></rss>",
	       142, NULL, "summary=<a href=\"http://any.test/\xc3\x80\">u</a>|");
	/* without any xml:base, the document URL */
	expect(rss2, strlen(rss2), NULL, "enc=http://example.com/a.mp3");
}

/* ---- the item's date (parse_item_date, parse_meta_date) ---- */

struct dates {
	int64_t v[8];
	int n;
};

static int
on_date(const struct parse_item *it, void *user)
{
	struct dates *d = user;

	if (d->n < 8)
		d->v[d->n++] = parse_item_date(it);
	return 0;
}

/* Parses doc; fills each item's date and returns the feed's. */
static int64_t
dates_of(const char *doc, struct dates *d)
{
	struct parse *p = parse_new(NULL, "http://example.com/feed.xml", on_date, d);
	int64_t feed;

	assert_non_null(p);
	memset(d, 0, sizeof *d);
	assert_int_equal(parse_feed(p, doc, strlen(doc)), 0);
	assert_int_equal(parse_finish(p), 0);
	feed = parse_meta_date(parse_meta(p));
	parse_free(p);
	return feed;
}

#define ATOM_HEAD "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><id>urn:f</id>"
#define RSS_HEAD                                                                                   \
	"<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\""                       \
	" xmlns:dcterms=\"http://purl.org/dc/terms/\"><channel><title>t</title>"

/* 2024-03-01T10:00:00Z and 2024-06-01T10:00:00Z. */
#define MAR 1709287200
#define JUN 1717236000

static void
test_item_date(void **state)
{
	struct dates d;

	(void)state;
	/* Atom: <updated> alone dates the entry (GitHub releases); with both,
	 * <published> wins whichever comes first; the feed's <updated> is the
	 * feed's date. */
	assert_int_equal(dates_of(ATOM_HEAD "<updated>2024-06-01T10:00:00Z</updated>"
					    "<entry><id>1</id><title>a</title>"
					    "<updated>2024-03-01T10:00:00Z</updated></entry>"
					    "<entry><id>2</id><title>b</title>"
					    "<updated>2024-06-01T10:00:00Z</updated>"
					    "<published>2024-03-01T10:00:00Z</published></entry>"
					    "<entry><id>3</id><title>c</title></entry></feed>",
				  &d),
			 JUN);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.v[0], MAR);
	assert_int_equal(d.v[1], MAR);
	/* no date at all: unknown, the caller decides (never a made-up "now") */
	assert_int_equal(d.v[2], 0);

	/* RSS: pubDate, else dc:date, in either order; an unreadable pubDate
	 * leaves the dc:date; dcterms:issued is a pubDate. */
	assert_int_equal(
		dates_of(RSS_HEAD
			 "<item><title>a</title><dc:date>2024-03-01T10:00:00Z</dc:date></item>"
			 "<item><title>b</title><dc:date>2024-06-01T10:00:00Z</dc:date>"
			 "<pubDate>Fri, 01 Mar 2024 10:00:00 GMT</pubDate></item>"
			 "<item><title>c</title><pubDate>Fri, 01 Mar 2024 10:00:00 GMT"
			 "</pubDate><dc:date>2024-06-01T10:00:00Z</dc:date></item>"
			 "<item><title>d</title><pubDate>someday</pubDate>"
			 "<dc:date>2024-06-01T10:00:00Z</dc:date></item>"
			 "<item><title>e</title><dcterms:issued>2024-03-01T10:00:00Z"
			 "</dcterms:issued><dcterms:modified>2024-06-01T10:00:00Z"
			 "</dcterms:modified></item>"
			 "<item><title>f</title></item></channel></rss>",
			 &d),
		0);
	assert_int_equal(d.n, 6);
	assert_int_equal(d.v[0], MAR);
	assert_int_equal(d.v[1], MAR);
	assert_int_equal(d.v[2], MAR);
	assert_int_equal(d.v[3], JUN);
	assert_int_equal(d.v[4], MAR);
	assert_int_equal(d.v[5], 0);

	/* The feed's own date: channel pubDate, else lastBuildDate. */
	assert_int_equal(dates_of(RSS_HEAD "<lastBuildDate>Sat, 01 Jun 2024 10:00:00 GMT"
					   "</lastBuildDate><item><title>a</title></item>"
					   "</channel></rss>",
				  &d),
			 JUN);
	assert_int_equal(d.v[0], 0);
	assert_int_equal(dates_of(RSS_HEAD "<pubDate>Fri, 01 Mar 2024 10:00:00 GMT</pubDate>"
					   "<lastBuildDate>Sat, 01 Jun 2024 10:00:00 GMT"
					   "</lastBuildDate></channel></rss>",
				  &d),
			 MAR);

	/* Bad paths: a 1970 date is a broken clock, not a date; a feed with no
	 * date has none. */
	assert_int_equal(dates_of(ATOM_HEAD
				  "<entry><id>1</id><title>a</title>"
				  "<published>1970-01-01T00:00:00Z</published>"
				  "<updated>2024-03-01T10:00:00Z</updated></entry>"
				  "<entry><id>2</id><title>b</title>"
				  "<updated>1970-01-01T00:00:00Z</updated></entry></feed>",
				  &d),
			 0);
	assert_int_equal(d.v[0], MAR);
	assert_int_equal(d.v[1], 0);
}

/* Issue 28: a numeric reference to a character XML forbids, anywhere in a
 * document (text, attribute, title, summary; first item, middle, last),
 * costs that character, not the item and every item after it: it becomes
 * U+FFFD, the rest is read, and the feed is flagged as recovered. */
static void
test_bad_char_refs(void **state)
{
	static const char *const refs[] = {
		"&#0;",       "&#1;",  "&#x0;",    "&#xD800;", "&#xdfff;",
		"&#x110000;", "&#11;", "&#xFFFE;", "&#65535;", "&#99999999999999999999;",
		"&#X1f;"};

	(void)state;
	for (size_t r = 0; r < sizeof refs / sizeof refs[0]; r++) {
		for (size_t w = 0; w < 3; w++) {
			int n = 3 + (int)(r * 7 + w * 3) % 40, bad = (int)(r + w * 5) % n;
			struct buf doc = {0};
			struct seen s = {0};
			char err[256];

			buf_puts(&doc, "<rss version=\"2.0\"><channel><title>t</title>");
			for (int i = 0; i < n; i++) {
				const char *ref = i == bad ? refs[r] : "";
				buf_printf(&doc, "<item><guid>g%d</guid>", i);
				if (w == 0)
					buf_printf(&doc, "<title>a%sb %d</title>", ref, i);
				else if (w == 1)
					buf_printf(&doc, "<description>x%sy</description>", ref);
				else
					buf_printf(&doc,
						   "<atom:link "
						   "xmlns:atom=\"http://www.w3.org/2005/Atom\""
						   " href=\"http://e.x/%s%d\"/>",
						   ref, i);
				buf_puts(&doc, "</item>");
			}
			buf_puts(&doc, "</channel></rss>");
			assert_int_equal(
				run(NULL, NULL, doc.data, doc.len, 1 + r * 37, &s, err, sizeof err),
				0);
			assert_int_equal(s.nitems, n);
			assert_non_null(strstr(s.out.data, "bozo=1"));
			if (w == 0)
				assert_non_null(strstr(s.out.data, "a\xef\xbf\xbd"
								   "b"));
			buf_free(&s.out);
			buf_free(&doc);
		}
	}
}

/* The recovered feed says why, and how many references were replaced. */
static void
test_bad_char_refs_reason(void **state)
{
	static const char doc[] = "<rss version=\"2.0\"><channel><item><title>a&#0;b&#1;c</title>"
				  "</item><item><title>d</title></item></channel></rss>";
	struct seen s = {0};
	struct parse *p = parse_new(NULL, NULL, on_item, &s);

	(void)state;
	assert_non_null(p);
	assert_int_equal(parse_feed(p, doc, sizeof doc - 1), 0);
	assert_int_equal(parse_finish(p), 0);
	assert_int_equal(s.nitems, 2);
	assert_int_equal(parse_meta(p)->bozo, 1);
	assert_non_null(strstr(parse_meta(p)->bozo_reason, "2 character references replaced"));
	assert_non_null(strstr(s.out.data, "title=a\xef\xbf\xbd"
					   "b\xef\xbf\xbd"
					   "c|"));
	parse_free(p);
	buf_free(&s.out);
}

/* More than PARSE_MAX_ITEMS items: the first ones are delivered and the
 * rest counted, not a failure that stores nothing. */
static void
test_item_cap(void **state)
{
	static const int extra[] = {1, 7, 2500};

	(void)state;
	for (size_t k = 0; k < sizeof extra / sizeof extra[0]; k++) {
		struct buf doc = {0};
		struct seen s = {0};
		struct parse *p;
		int n = PARSE_MAX_ITEMS + extra[k];

		buf_puts(&doc, k == 1 ? "<feed xmlns=\"http://www.w3.org/2005/Atom\">"
				      : "<rss version=\"2.0\"><channel>");
		for (int i = 0; i < n; i++)
			buf_printf(&doc,
				   k == 1 ? "<entry><id>%d</id></entry>"
					  : "<item><guid>%d</guid></item>",
				   i);
		buf_puts(&doc, k == 1 ? "</feed>" : "</channel></rss>");
		p = parse_new(NULL, NULL, on_item, &s);
		assert_non_null(p);
		assert_int_equal(parse_feed(p, doc.data, doc.len), 0);
		assert_int_equal(parse_finish(p), 0);
		assert_int_equal(s.nitems, PARSE_MAX_ITEMS);
		assert_int_equal(parse_meta(p)->nitems, PARSE_MAX_ITEMS);
		assert_int_equal(parse_meta(p)->items_dropped, (size_t)extra[k]);
		parse_free(p);
		buf_free(&s.out);
		buf_free(&doc);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dialects),
		cmocka_unit_test(test_streaming),
		cmocka_unit_test(test_charsets),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_entity_bomb),
		cmocka_unit_test(test_external_entity),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_base),
		cmocka_unit_test(test_item_date),
		cmocka_unit_test(test_bad_char_refs),
		cmocka_unit_test(test_bad_char_refs_reason),
		cmocka_unit_test(test_item_cap),
	};
	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
