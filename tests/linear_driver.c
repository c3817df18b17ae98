/* linear_driver: one generated hostile input of a given shape and size n,
 * run once through the code that must stay linear (issue 28). For
 * tests/test_linear.sh, which counts the instructions of a run at n and at
 * 4n under valgrind and checks their ratio, and for timing by hand:
 *
 *   tests/linear_driver SHAPE N      (SHAPE: see the table below; "list")
 *
 * Prints the shape, n, the input's size and what came out (a limit the
 * input passed is an answer too: exit 0 all the same; 2 on a usage error). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "html.h"
#include "parse.h"
#include "parse_repair.h"

enum target { HTML, REPAIR, PARSE };

static void
gen_attrs(struct buf *b, int n, const char *tag, int dup)
{
	buf_printf(b, "<%s", tag);
	for (int i = 0; i < n; i++)
		buf_printf(b, dup ? " a%d=x a%d=y" : " a%d=\"v\"", dup ? i % 50 : i, i % 50);
	buf_printf(b, ">text</%s>", tag);
}

/* Each generator writes the input for size n. */
static void
g_attrs_div(struct buf *b, int n)
{
	gen_attrs(b, n, "div", 0);
}
static void
g_attrs_img(struct buf *b, int n)
{
	buf_puts(b, "<p>before</p>");
	gen_attrs(b, n, "img", 0);
}
static void
g_attrs_svg(struct buf *b, int n)
{
	buf_puts(b, "<svg>");
	gen_attrs(b, n, "rect", 0);
	buf_puts(b, "</svg>");
}
static void
g_attrs_dup(struct buf *b, int n)
{
	gen_attrs(b, n, "span", 1);
}
static void
g_attrs_tags(struct buf *b, int n)
{
	for (int t = 0; t < n / 100 + 1; t++)
		gen_attrs(b, 100, t % 2 ? "b" : "a", 0);
}
static void
g_html_attrs(struct buf *b, int n)
{
	for (int i = 0; i < n; i++)
		buf_printf(b, "<%s x%d=1 y%d=2></%s>", i % 3 ? "html" : "body", i, i,
			   i % 3 ? "html" : "body");
}
static void
g_noah(struct buf *b, int n)
{
	for (int i = 0; i < n; i++) {
		buf_puts(b, "<b");
		for (int k = 0; k < 60; k++)
			buf_printf(b, " c%d", k);
		buf_printf(b, " x=%d>t", i);
	}
}
static void
g_iframes(struct buf *b, int n)
{
	for (int i = 0; i < n; i++)
		buf_puts(b, "<iframe>");
	buf_puts(b, "x");
}
static void
g_elements(struct buf *b, int n)
{
	for (int i = 0; i < 200; i++)
		buf_puts(b, "<div>");
	for (int i = 0; i < n * 5; i++)
		buf_puts(b, "<p>x");
}

/* repair shapes: a document expat refuses, repaired */
static void
g_prefixes(struct buf *b, int n)
{
	buf_puts(b, "<rss><channel>");
	for (int i = 0; i < n; i++)
		buf_printf(b, "<item><p%d:x>t</p%d:x></item>", i, i);
	buf_puts(b, "</channel></rss>");
}
static void
g_prefix_declared(struct buf *b, int n)
{
	buf_puts(b, "<rss xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>");
	for (int i = 0; i < n; i++)
		buf_printf(b, "<item><dc:creator>a</dc:creator><zz:q>b</zz:q></item>");
	buf_puts(b, "</channel></rss>");
}
static void
g_unquoted(struct buf *b, int n)
{
	buf_puts(b, "<rss><channel><item><title a=b");
	for (int i = 0; i < n; i++)
		buf_printf(b, " k%d=v%d", i, i);
	buf_puts(b, ">t</title></item></channel></rss>");
}
static void
g_dup_attrs(struct buf *b, int n)
{
	buf_puts(b, "<rss><channel><item><title");
	for (int i = 0; i < n; i++)
		buf_printf(b, " k%d='v' k%d='w'", i, i);
	buf_puts(b, ">t</title></item></channel></rss>");
}
static void
g_stray_ends(struct buf *b, int n)
{
	buf_puts(b, "<rss><channel><item>");
	for (int i = 0; i < 200; i++)
		buf_printf(b, "<e%d>", i);
	for (int i = 0; i < n * 4; i++)
		buf_puts(b, "</zz>");
	buf_puts(b, "</item></channel></rss>");
}
static void
g_doctypes(struct buf *b, int n)
{
	buf_puts(b, "<rss><channel>");
	for (int i = 0; i < n * 4; i++)
		buf_puts(b, "<!x>&");
	buf_puts(b, "[</channel></rss>");
}
static void
g_bad_refs(struct buf *b, int n)
{
	buf_puts(b, "<rss version=\"2.0\"><channel>");
	for (int i = 0; i < n; i++)
		buf_printf(b, "<item><title>t&#%d;</title><guid>%d</guid></item>", i % 9, i);
	buf_puts(b, "</channel></rss>");
}
/* the whole parser: an item whose description holds many attributes */
static void
g_feed_attrs(struct buf *b, int n)
{
	struct buf h = {0};

	gen_attrs(&h, n, "p", 0);
	buf_puts(b, "<rss version=\"2.0\"><channel><item><description><![CDATA[");
	buf_append(b, h.data, h.len);
	buf_puts(b, "]]></description></item></channel></rss>");
	buf_free(&h);
}
static void
g_feed_xhtml(struct buf *b, int n)
{
	buf_puts(b, "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>1</id>"
		    "<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\"><p");
	for (int i = 0; i < n; i++)
		buf_printf(b, " a%d=\"v\"", i);
	buf_puts(b, ">x</p></div></content></entry></feed>");
}

static const struct {
	const char *name;
	enum target target;
	void (*gen)(struct buf *, int);
} shapes[] = {
	{"html-attrs-div", HTML, g_attrs_div},
	{"html-attrs-img", HTML, g_attrs_img},
	{"html-attrs-svg", HTML, g_attrs_svg},
	{"html-attrs-dup", HTML, g_attrs_dup},
	{"html-attrs-tags", HTML, g_attrs_tags},
	{"html-root-attrs", HTML, g_html_attrs},
	{"html-noah", HTML, g_noah},
	{"html-iframes", HTML, g_iframes},
	{"html-elements", HTML, g_elements},
	{"repair-prefixes", REPAIR, g_prefixes},
	{"repair-prefix-declared", REPAIR, g_prefix_declared},
	{"repair-unquoted", REPAIR, g_unquoted},
	{"repair-dup-attrs", REPAIR, g_dup_attrs},
	{"repair-stray-ends", REPAIR, g_stray_ends},
	{"repair-doctypes", REPAIR, g_doctypes},
	{"parse-bad-refs", PARSE, g_bad_refs},
	{"parse-prefixes", PARSE, g_prefixes},
	{"parse-unquoted", PARSE, g_unquoted},
	{"parse-feed-attrs", PARSE, g_feed_attrs},
	{"parse-feed-xhtml", PARSE, g_feed_xhtml},
};

static int
count_item(const struct parse_item *it, void *user)
{
	(void)it;
	(*(size_t *)user)++;
	return 0;
}

static int
run(enum target t, const struct buf *in, char *what, size_t len)
{
	if (t == HTML) {
		struct html_result r;
		char err[200];

		if (html_clean(in->data, in->len, "http://e.x/", &r, err, sizeof err) < 0) {
			snprintf(what, len, "html_clean: %s", err);
			return -1;
		}
		snprintf(what, len, "html %zu bytes, text %zu bytes", strlen(r.html),
			 strlen(r.text));
		html_result_free(&r);
		return 0;
	}
	if (t == REPAIR) {
		struct buf out = {0};
		size_t bad = 0;
		int rc = parse_repair(in->data, in->len, PARSE_MAX_DEPTH, &out, &bad);

		snprintf(what, len, "repaired %zu bytes, %zu references replaced", out.len, bad);
		buf_free(&out);
		return rc;
	}
	size_t items = 0;
	struct parse *p = parse_new(NULL, NULL, count_item, &items);
	if (p == NULL)
		return -1;
	int rc = parse_feed(p, in->data, in->len) < 0 || parse_finish(p) < 0 ? -1 : 0;
	snprintf(what, len, "%zu items, bozo %d: %s", items, parse_meta(p)->bozo,
		 parse_error(p) ? parse_error(p) : "-");
	parse_free(p);
	return rc;
}

int
main(int argc, char **argv)
{
	size_t ns = sizeof shapes / sizeof shapes[0];
	struct buf in = {0};
	char what[400];

	if (argc == 2 && !strcmp(argv[1], "list")) {
		for (size_t i = 0; i < ns; i++)
			printf("%s\n", shapes[i].name);
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: linear_driver SHAPE N | list\n");
		return 2;
	}
	for (size_t i = 0; i < ns; i++) {
		if (strcmp(argv[1], shapes[i].name) != 0)
			continue;
		shapes[i].gen(&in, atoi(argv[2]));
		int rc = run(shapes[i].target, &in, what, sizeof what);
		printf("%s n=%s input=%zu bytes: %s%s\n", argv[1], argv[2], in.len,
		       rc < 0 ? "refused: " : "", what);
		buf_free(&in);
		return 0;
	}
	fprintf(stderr, "linear_driver: no shape %s (try: list)\n", argv[1]);
	return 2;
}
