/* Tests for daemon/html.c: hostile markup, URL resolution, CSS, text, limits.
 *
 * Every sanitized output is also parsed again with gumbo and walked
 * (assert_inert): nothing that can run, load a form or change the page may
 * survive, whatever the exact serialization. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gumbo.h>

#include "buf.h"
#include "html.h"
#include "html_int.h"

static const char *const dropped_elements[] = {
	"script",   "style",         "iframe",    "object",  "embed",    "applet",
	"frame",    "frameset",      "form",      "input",   "button",   "select",
	"option",   "textarea",      "meta",      "link",    "base",     "noscript",
	"template", "xmp",           "plaintext", "noembed", "noframes", "param",
	"keygen",   "foreignobject", "animate",   "set",     "use",      NULL,
};

static void
lower(char *dst, const char *src, size_t size)
{
	size_t i = 0;

	for (; src[i] && i + 1 < size; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

/* A URL's scheme as a browser reads it, lower case ("" when relative). */
static void
scheme_of(const char *v, char *out, size_t size)
{
	size_t j = 0;

	while (*v && (unsigned char)*v <= ' ')
		v++;
	for (; *v && *v != ':' && j + 1 < size; v++)
		if (*v != '\t' && *v != '\n' && *v != '\r')
			out[j++] = (char)tolower((unsigned char)*v);
	out[j] = '\0';
	if (*v != ':' || !isalpha((unsigned char)out[0]) ||
	    strspn(out, "abcdefghijklmnopqrstuvwxyz0123456789+-.") != j)
		out[0] = '\0';
}

static void
inert_node(const GumboNode *n, const char *html)
{
	const GumboElement *e;
	char name[64] = "";

	if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE)
		return;
	e = &n->v.element;
	if (e->tag != GUMBO_TAG_UNKNOWN) {
		lower(name, gumbo_normalized_tagname(e->tag), sizeof name);
	} else {
		GumboStringPiece p = e->original_tag;

		gumbo_tag_from_original_text(&p);
		if (p.length < sizeof name) {
			memcpy(name, p.data, p.length);
			name[p.length] = '\0';
			lower(name, name, sizeof name);
		}
	}
	for (int i = 0; dropped_elements[i]; i++)
		if (strcmp(name, dropped_elements[i]) == 0)
			fail_msg("<%s> survived in: %s", name, html);
	for (unsigned i = 0; i < e->attributes.length; i++) {
		const GumboAttribute *a = e->attributes.data[i];
		char an[64], scheme[32];

		lower(an, a->name, sizeof an);
		if (strncmp(an, "on", 2) == 0 || strcmp(an, "srcdoc") == 0 ||
		    strcmp(an, "formaction") == 0)
			fail_msg("attribute %s survived in: %s", an, html);
		if (strcmp(an, "href") == 0 || strcmp(an, "src") == 0 ||
		    strcmp(an, "action") == 0 || strcmp(an, "background") == 0 ||
		    strcmp(an, "poster") == 0 || strcmp(an, "cite") == 0) {
			scheme_of(a->value, scheme, sizeof scheme);
			if (*scheme && strcmp(scheme, "http") && strcmp(scheme, "https") &&
			    strcmp(scheme, "mailto") &&
			    !(strcmp(scheme, "data") == 0 && strcmp(name, "img") == 0 &&
			      strncasecmp(a->value, "data:image/svg", 14) != 0))
				fail_msg("%s=\"%s\" survived in: %s", an, a->value, html);
		}
		if (strcmp(an, "style") == 0) {
			char v[1024];

			lower(v, a->value, sizeof v);
			if (strstr(v, "url") || strstr(v, "expression") || strchr(v, '\\') ||
			    strstr(v, "script"))
				fail_msg("style \"%s\" survived in: %s", a->value, html);
		}
	}
	for (unsigned i = 0; i < e->children.length; i++)
		inert_node(e->children.data[i], html);
}

/* gumbo 0.10.1 reads heap memory it never wrote while closing table
 * sections; zeroed memory keeps valgrind runs clean (daemon/html.c's arena
 * does the same). */
static void *
zalloc(void *ud, size_t n)
{
	(void)ud;
	return calloc(1, n);
}

static void
zfree(void *ud, void *p)
{
	(void)ud;
	free(p);
}

/* Parses html again as a browser would and fails on anything executable. */
static void
assert_inert(const char *html)
{
	GumboOptions opt = kGumboDefaultOptions;
	GumboOutput *g;

	opt.allocator = zalloc;
	opt.deallocator = zfree;

	opt.fragment_context = GUMBO_TAG_BODY;
	opt.fragment_namespace = GUMBO_NAMESPACE_HTML;
	g = gumbo_parse_with_options(&opt, html, strlen(html));
	assert_non_null(g);
	inert_node(g->root, html);
	gumbo_destroy_output(&opt, g);
}

/* html_clean (its own tree for simple markup) and html_clean_gumbo agree
 * exactly: same HTML, same text, same error. */
static void
same_as_gumbo(const char *in, size_t len, const char *base)
{
	struct html_result a, b;
	char ea[256] = "", eb[256] = "";
	int ra = html_clean(in, len, base, &a, ea, sizeof ea);
	int rb = html_clean_gumbo(in, len, base, &b, eb, sizeof eb);

	if (ra != rb || strcmp(ea, eb) != 0 ||
	    (ra == 0 && (strcmp(a.html, b.html) != 0 || strcmp(a.text, b.text) != 0)))
		fail_msg("fast path differs on [%.*s]\n fast: %d %s | %s | %s\ngumbo: %d %s | %s | "
			 "%s",
			 (int)len, in, ra, ea, ra ? "" : a.html, ra ? "" : a.text, rb, eb,
			 rb ? "" : b.html, rb ? "" : b.text);
	if (ra == 0)
		html_result_free(&a);
	if (rb == 0)
		html_result_free(&b);
}

/* Cleans in against base; checks it is inert and returns the result. */
static struct html_result
clean(const char *in, const char *base)
{
	struct html_result r;
	char err[256] = "";

	if (html_clean(in, strlen(in), base, &r, err, sizeof err) != 0)
		fail_msg("html_clean(%s): %s", in, err);
	assert_non_null(r.html);
	assert_non_null(r.text);
	assert_inert(r.html);
	same_as_gumbo(in, strlen(in), base);
	return r;
}

static void
expect_html(const char *in, const char *base, const char *want)
{
	struct html_result r = clean(in, base);

	if (strcmp(r.html, want) != 0)
		fail_msg("html_clean(%s)\n got: %s\nwant: %s", in, r.html, want);
	html_result_free(&r);
}

static void
expect_text(const char *in, const char *want)
{
	struct html_result r = clean(in, NULL);
	char *t = html_to_text(in, strlen(in));

	assert_non_null(t);
	if (strcmp(r.text, want) != 0)
		fail_msg("text of (%s)\n got: [%s]\nwant: [%s]", in, r.text, want);
	/* html_to_text renders the same text as html_clean. */
	assert_string_equal(t, r.text);
	free(t);
	html_result_free(&r);
}

/* Every attack, alone and wrapped in benign markup, leaves nothing
 * executable and none of the payload's markers in the output. */
static void
test_attacks(void **state)
{
	static const char *const attacks[] = {
		"<script>alert(1)</script>",
		"<SCRIPT SRC=http://x/x.js></SCRIPT>",
		"<scr<script>ipt>alert(1)</scr</script>ipt>",
		"<script>alert(1)",
		"<style>body{background:url(javascript:alert(1))}</style>",
		"<img src=x onerror=alert(1)>",
		"<img src=\"x\" ONERROR=\"alert(1)\">",
		"<img/src=x/onerror=alert(1)>",
		"<svg onload=alert(1)>",
		"<svg><script>alert(1)</script></svg>",
		"<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
		"<svg><animate attributeName=href values=javascript:alert(1) /></svg>",
		"<svg><set attributeName=onmouseover to=alert(1) /></svg>",
		"<svg><use href=\"data:image/svg+xml,<svg onload=alert(1)>\" /></svg>",
		"<svg><foreignObject><iframe srcdoc=x></iframe></foreignObject></svg>",
		"<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
		"<math href=\"javascript:alert(1)\">x</math>",
		"<a href=\"javascript:alert(1)\">x</a>",
		"<a href=\"&#106;avascript:alert(1)\">x</a>",
		"<a href=\"&#x6A;&#x61;vascript:alert(1)\">x</a>",
		"<a href=\"&#0000106avascript:alert(1)\">x</a>",
		"<a href=\"java\tscript:alert(1)\">x</a>",
		"<a href=\"java&#9;script:alert(1)\">x</a>",
		"<a href=\"java&#10;script:alert(1)\">x</a>",
		"<a href=\"JaVaScRiPt:alert(1)\">x</a>",
		"<a href=\"  javascript:alert(1)\">x</a>",
		"<a href=\"&#1;javascript:alert(1)\">x</a>",
		"<a href=\"javascript&colon;alert(1)\">x</a>",
		"<a href=\"vbscript:msgbox(1)\">x</a>",
		"<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
		"<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
		"<img src=\"jav&#x09;ascript:alert(1)\">",
		"<img lowsrc=\"javascript:alert(1)\" dynsrc=\"javascript:alert(1)\">",
		"<table background=\"javascript:alert(1)\"><tr><td>x</td></tr></table>",
		"<blockquote cite=\"javascript:alert(1)\">x</blockquote>",
		"<video poster=\"javascript:alert(1)\"></video>",
		"<div style=\"width: expression(alert(1))\">x</div>",
		"<div style=\"background: url(javascript:alert(1))\">x</div>",
		"<div style=\"background-image: url('javascript:alert(1)')\">x</div>",
		"<div style=\"behavior: url(x.htc)\">x</div>",
		"<div style=\"-moz-binding: url(x.xml#xss)\">x</div>",
		"<div style=\"color: red; background: u\\72l(javascript:alert(1))\">x</div>",
		"<iframe src=\"javascript:alert(1)\"></iframe>",
		"<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
		"<iframe><script>alert(1)</script></iframe>",
		"<object data=\"javascript:alert(1)\"></object>",
		"<embed src=\"javascript:alert(1)\">",
		"<applet code=\"x.class\">x</applet>",
		"<frameset><frame src=\"javascript:alert(1)\"></frameset>",
		"<form action=\"javascript:alert(1)\"><input type=submit></form>",
		"<button formaction=\"javascript:alert(1)\">x</button>",
		"<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
		"<link rel=stylesheet href=\"javascript:alert(1)\">",
		"<base href=\"javascript:alert(1)//\">",
		"<!--<script>alert(1)</script>-->",
		"<!--[if IE]><script>alert(1)</script><![endif]-->",
		"<!-- --!><script>alert(1)</script> -->",
		"<![CDATA[<script>alert(1)</script>]]>",
		"<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
		"<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
		"<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>\">",
		"<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
		"<template><script>alert(1)</script></template>",
		"<xmp><script>alert(1)</script></xmp>",
		"<textarea></textarea><script>alert(1)</script>",
		"<title></title><script>alert(1)</script>",
		"<plaintext><script>alert(1)</script>",
		"<div onmouseover=\"alert(1)\" onclick='alert(1)' onfocus=alert(1)>x</div>",
		"<a href=\"http://ok/\" onclick=\"alert(1)\">x</a>",
		"<p \"onclick=alert(1)\">x</p>",
		"<div <script>alert(1)</script>>",
		"<<script>script>alert(1)<</script>/script>",
	};
	static const char *const wraps[][2] = {
		{"", ""},
		{"<div><p><b>", "</b></p></div>"},
		{"<ul><li><table><tr><td>", ""},
		{"<a href=\"http://ok/\">", "</a>"},
		{"<svg><g>", "</g></svg>"},
	};
	char in[1024];

	(void)state;
	for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
		for (size_t k = 0; k < sizeof wraps / sizeof wraps[0]; k++) {
			struct html_result r;
			char low[4096];

			snprintf(in, sizeof in, "%s%s%s", wraps[k][0], attacks[i], wraps[k][1]);
			r = clean(in, "http://example.com/feed/");
			lower(low, r.html, sizeof low);
			/* Text may mention alert(1) (escaped), but no attribute or
			 * element may carry it. */
			if (strstr(low, "javascript:") || strstr(low, "vbscript") ||
			    strstr(low, "<script") || strstr(low, "expression") ||
			    strstr(low, "url("))
				fail_msg("attack survived: %s\n  -> %s", in, r.html);
			html_result_free(&r);
		}
	}
}

static void
test_obfuscated_schemes_dropped_exactly(void **state)
{
	(void)state;
	expect_html("<a href=\"&#106;avascript:alert(1)\">x</a>", NULL, "<a href=\"\">x</a>");
	expect_html("<a href=\"java\tscript:alert(1)\">x</a>", NULL, "<a href=\"\">x</a>");
	expect_html("<a href=\"JaVaScRiPt:alert(1)\">x</a>", NULL, "<a href=\"\">x</a>");
	expect_html("<a href=\"  javascript:alert(1)\">x</a>", NULL, "<a href=\"\">x</a>");
	expect_html("<a href=\"mailto:a@b.c\">m</a>", NULL, "<a href=\"mailto:a@b.c\">m</a>");
	expect_html("<a href=\" HTTPS://x.test/a \">s</a>", NULL,
		    "<a href=\"HTTPS://x.test/a\">s</a>");
	/* Not a scheme for a browser either: stays a relative reference. */
	expect_html("<a href=\"javascript&colon;x\">r</a>", NULL, "<a href=\"\">r</a>");
}

static void
test_dropped_elements(void **state)
{
	(void)state;
	/* Active content goes with its contents... */
	expect_html("safe<script>alert(1)</script> <b>description</b>", NULL,
		    "safe <b>description</b>");
	expect_html("safe<applet code=x><b>x</b></applet> <b>description</b>", NULL,
		    "safe <b>description</b>");
	expect_html("safe <object data=x><param name=a></object><b>description</b>", NULL,
		    "safe <b>description</b>");
	/* An object's children are its fallback: kept, sanitized. */
	expect_html("<object data=\"x.swf\"><embed src=x.swf><b>no flash</b></object>", NULL,
		    "<b>no flash</b>");
	expect_html("a<select><option>one</option></select>b", NULL, "ab");
	/* ...unknown and presentational tags only lose the tag... */
	expect_html("safe <blink>description</blink>", NULL, "safe description");
	expect_html("<form action=\"/x\"><p>in a form</p><input name=q></form>", NULL,
		    "<p>in a form</p>");
	/* ...and an iframe's fallback text is markup, sanitized in turn. */
	expect_html("safe<iframe src=\"http://example.com/\"> <b>description</b></iframe>", NULL,
		    "safe <b>description</b>");
	expect_html("<iframe><iframe><script>x</script><i>deep</i></iframe></iframe>", NULL,
		    "<i>deep</i>");
	expect_html("<!-- a comment --><p>x<!-- another --></p>", NULL, "<p>x</p>");
	expect_html("safe<!--", NULL, "safe");
}

static void
test_kept_markup(void **state)
{
	(void)state;
	expect_html("<p>a <em>b</em> <strong>c</strong><br>d</p>", NULL,
		    "<p>a <em>b</em> <strong>c</strong><br />d</p>");
	expect_html("<img src=\"http://x.test/i.png\" alt=\"A &amp; B\" width=10 onload=x>", NULL,
		    "<img src=\"http://x.test/i.png\" alt=\"A &amp; B\" width=\"10\" />");
	expect_html("<figure><img src=\"http://x/i\"><figcaption>c</figcaption></figure>", NULL,
		    "<figure><img src=\"http://x/i\" /><figcaption>c</figcaption></figure>");
	expect_html("<table><tr><td colspan=2>x</td></tr></table>", NULL,
		    "<table><tbody><tr><td colspan=\"2\">x</td></tr></tbody></table>");
	expect_html("<pre><code>a &lt; b</code></pre>", NULL, "<pre><code>a &lt; b</code></pre>");
	expect_html("<span title='say \"hi\" &lt;3'>x</span>", NULL,
		    "<span title=\"say &quot;hi&quot; &lt;3\">x</span>");
	expect_html("<a rel=\"NoFollow\" href=\"http://x/\">x</a>", NULL,
		    "<a rel=\"nofollow\" href=\"http://x/\">x</a>");
	/* data: raster images on img src only. */
	expect_html("<img src=\"data:image/png;base64,iVBORw0KGgo=\">", NULL,
		    "<img src=\"data:image/png;base64,iVBORw0KGgo=\" />");
	expect_html("<a href=\"data:image/png;base64,iVBORw0KGgo=\">x</a>", NULL,
		    "<a href=\"\">x</a>");
	/* SVG and MathML keep their vocabulary and namespaces. */
	expect_html(
		"<svg version=\"1.1\" baseProfile=\"full\"><circle cx=\"1\" "
		"fill=\"url(#g)\" stroke=\"url(http://x/)\"/></svg>",
		NULL,
		"<svg version=\"1.1\" baseProfile=\"full\" xmlns=\"http://www.w3.org/2000/svg\">"
		"<circle cx=\"1\" fill=\"url(#g)\"></circle></svg>");
	expect_html(
		"<math><mi xlink:href=\"http://a/\">x</mi></math>", NULL,
		"<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mi xlink:href=\"http://a/\" "
		"xmlns:xlink=\"http://www.w3.org/1999/xlink\">x</mi></math>");
}

static void
test_malformed(void **state)
{
	(void)state;
	expect_html("<b><i>x</b>y</i>", NULL, "<b><i>x</i></b><i>y</i>");
	expect_html("<p>unclosed <b>bold", NULL, "<p>unclosed <b>bold</b></p>");
	expect_html("</div></p>text<div", NULL, "<p></p>text");
	expect_html("a < b && c > d", NULL, "a &lt; b &amp;&amp; c &gt; d");
	expect_html("<p a=\"1\" a=\"2\" b>x", NULL, "<p>x</p>");
	expect_html("\xff\xfe<b>\xc3</b>", NULL, "\xef\xbf\xbd\xef\xbf\xbd<b>\xef\xbf\xbd</b>");
	{
		static const char nul[] = "a\0b<i>c</i>";
		struct html_result r;
		char err[128];

		assert_int_equal(html_clean(nul, sizeof nul - 1, NULL, &r, err, sizeof err), 0);
		assert_string_equal(r.html, "ab<i>c</i>");
		html_result_free(&r);
	}
	expect_html("", NULL, "");
}

static void
test_relative_urls(void **state)
{
	const char *base = "http://example.com/dir/page.html";

	(void)state;
	expect_html("<a href=\"../x?a=1&amp;b=2\">x</a>", base,
		    "<a href=\"http://example.com/x?a=1&amp;b=2\">x</a>");
	expect_html("<img src=\"/i.png\">", base, "<img src=\"http://example.com/i.png\" />");
	expect_html("<img src=\"i.png\">", base, "<img src=\"http://example.com/dir/i.png\" />");
	expect_html("<a href=\"//cdn.test/x\">x</a>", base, "<a href=\"http://cdn.test/x\">x</a>");
	expect_html("<a href=\"#frag\">x</a>", base,
		    "<a href=\"http://example.com/dir/page.html#frag\">x</a>");
	expect_html("<blockquote cite=\"q.html\">x</blockquote>", base,
		    "<blockquote cite=\"http://example.com/dir/q.html\">x</blockquote>");
	expect_html("<a href=\"relative/uri\">click here</a>", "http://127.0.0.1:8097/",
		    "<a href=\"http://127.0.0.1:8097/relative/uri\">click here</a>");
	/* Absolute URLs are written as they came. */
	expect_html("<a href=\"http://other.test/a b\">x</a>", base,
		    "<a href=\"http://other.test/a b\">x</a>");
	/* Without a usable base a relative reference stays relative. */
	expect_html("<a href=\"x.html\">x</a>", NULL, "<a href=\"x.html\">x</a>");
	expect_html("<a href=\"x.html\">x</a>", "", "<a href=\"x.html\">x</a>");
	expect_html("<a href=\"x.html\">x</a>", "file:///tmp/feed.xml", "<a href=\"x.html\">x</a>");
	/* A hostile base cannot turn a reference into script. */
	expect_html("<a href=\"x\">x</a>", "javascript:alert(1)//", "<a href=\"x\">x</a>");
	expect_html("<a href=\"\">x</a>", base, "<a href=\"\">x</a>");
}

static void
test_css(void **state)
{
	static const char *const cases[][2] = {
		{"color: red", "color: red;"},
		{"display: block; width: 100%; height: 100%; background-color: black; "
		 "background-x: center; background-y: center;",
		 "display: block; width: 100%; height: 100%; background-color: black; "
		 "background-x: center; background-y: center;"},
		{"border: medium none ;", "border: medium none ;"},
		{"border: 1px solid rgb(0, 0, 0);", "border: 1px solid rgb(0, 0, 0);"},
		{"color: rgb(0, 128, 0);", "color: rgb(0, 128, 0);"},
		{"font-family: 'Lucida Console';", "font-family: 'Lucida Console';"},
		{"font-family: arial,sans-serif;", "font-family: arial,sans-serif;"},
		{"TEXT-INDENT: 0.5in;", "TEXT-INDENT: 0.5in;"},
		{"margin: 0 15px 0 0;", "margin: 0 15px 0 0;"},
		{"margin: 99999em;", ""},
		{"padding: 0 0 12px 12px", "padding: 0 0 12px 12px;"},
		{"background: url(http://x/y.png) #000", "background: #000;"},
		{"background-color: #000; background-image: url(http://x/y.png)",
		 "background-color: #000;"},
		{"position: absolute; top: 0", ""},
		{"mso-ansi-language: NL", ""},
		{"-moz-background-clip: initial", ""},
		{"width: expression(alert(1))", ""},
		{"background: url(javascript:alert(1))", ""},
		{"color: red; x: y: z", ""},
		{"color: \\72 ed", ""},
		{"color: red /* comment */", ""},
		{"", ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = html_clean_style(cases[i][0]);

		assert_non_null(got);
		if (strcmp(got, cases[i][1]) != 0)
			fail_msg("style \"%s\"\n got: \"%s\"\nwant: \"%s\"", cases[i][0], got,
				 cases[i][1]);
		free(got);
	}
	expect_html("<span style=\"position: absolute\">x</span>", NULL, "<span>x</span>");
	expect_html("<span style=\"color: red\">x</span>", NULL,
		    "<span style=\"color: red;\">x</span>");
}

static void
test_text(void **state)
{
	(void)state;
	expect_text("<p>Hello,   <b>world</b>!</p><p>Second\n\tparagraph.</p>",
		    "Hello, world!\n\nSecond paragraph.");
	expect_text("Fish &amp; chips &lt;3 &eacute;t&eacute;&nbsp;&nbsp;x",
		    "Fish & chips <3 été x");
	expect_text("<ul><li>one</li><li>two<ul><li>nested</li></ul></li></ul>after",
		    "- one\n- two\n\n- nested\n\nafter");
	expect_text("<ol start=\"3\"><li>c<li>d</ol>", "3. c\n4. d");
	expect_text("line<br>next<br><br>para", "line\nnext\n\npara");
	expect_text("a<script>var x = 1;</script>b<style>p{}</style>c", "abc");
	expect_text("<pre>  keep\n    this</pre>after", "  keep\n    this\n\nafter");
	expect_text("<h1>Title</h1><div>one</div><div>two</div>", "Title\n\none\ntwo");
	expect_text("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc");
	expect_text("  leading and trailing  ", "leading and trailing");
	expect_text("in<span>line</span>", "inline");
	expect_text("<iframe>fallback <b>text</b></iframe>", "fallback text");
	expect_text("", "");
}

/* The reference for text_scan_offsets: white space (and no-break spaces)
 * folded to one space, ends trimmed. */
static void
fold_ref(const char *d, char *out)
{
	size_t o = 0;
	int sp = 0;

	for (size_t i = 0; d[i];) {
		int nbsp = (unsigned char)d[i] == 0xc2 && (unsigned char)d[i + 1] == 0xa0;

		if (nbsp || strchr(" \t\n\f", d[i])) {
			sp = 1;
			i += nbsp ? 2 : 1;
			continue;
		}
		if (sp && o > 0)
			out[o++] = ' ';
		sp = 0;
		out[o++] = d[i++];
	}
	out[o] = '\0';
}

/* Text is escaped and folded a word (8 bytes) at a time: every piece that
 * needs work, at every offset around the word edges, alone and doubled,
 * between ordinary words, gives the byte-at-a-time result. */
static void
test_text_scan_offsets(void **state)
{
	static const struct {
		const char *in, *dec, *esc; /* as written, decoded, escaped again */
	} piece[] = {
		{" ", " ", " "},
		{"  ", "  ", "  "},
		{"\t", "\t", "\t"},
		{"\n", "\n", "\n"},
		{" \n", " \n", " \n"},
		{"&nbsp;", "\xc2\xa0", "\xc2\xa0"},
		{" &nbsp;", " \xc2\xa0", " \xc2\xa0"},
		{"\xc2\xa0", "\xc2\xa0", "\xc2\xa0"},
		{"&amp;", "&", "&amp;"},
		{"&lt;", "<", "&lt;"},
		{"&gt;", ">", "&gt;"},
		{"\"", "\"", "\""},
		{"'$=?", "'$=?", "'$=?"},
		{"\xc3\xa9", "\xc3\xa9", "\xc3\xa9"},
		{"&#233;", "\xc3\xa9", "\xc3\xa9"},
	};
	static const char filler[] = "lorem ipsum dolor sit amet consectetur";
	char in[160], dec[160], esc[200], want[160], err[200];
	struct html_result r;

	(void)state;
	for (size_t k = 0; k < sizeof piece / sizeof piece[0]; k++)
		for (int twice = 0; twice < 2; twice++)
			for (int pre = 0; pre < 18; pre++)
				for (int post = 0; post < 18; post++) {
					const char *pi = piece[k].in, *pd = piece[k].dec,
						   *pe = piece[k].esc;
					snprintf(in, sizeof in, "%.*s%s%s%.*s", pre, filler, pi,
						 twice ? pi : "", post, filler + 6);
					snprintf(dec, sizeof dec, "%.*s%s%s%.*s", pre, filler, pd,
						 twice ? pd : "", post, filler + 6);
					snprintf(esc, sizeof esc, "%.*s%s%s%.*s", pre, filler, pe,
						 twice ? pe : "", post, filler + 6);
					fold_ref(dec, want);
					assert_int_equal(html_clean(in, strlen(in), NULL, &r, err,
								    sizeof err),
							 0);
					if (strcmp(r.html, esc) != 0 || strcmp(r.text, want) != 0)
						fail_msg("%s: html \"%s\" text \"%s\", want \"%s\" "
							 "/ "
							 "\"%s\"",
							 in, r.html, r.text, esc, want);
					html_result_free(&r);
				}
}

/* Deep nesting, direct or through the tree builder's repairs, is refused
 * before gumbo spends quadratic time on it. */
/* The fast path's edges, and random documents built from the pieces it
 * must accept or refuse, give exactly gumbo's result. */
static void
test_fast_path_same_as_gumbo(void **state)
{
	static const char *const edges[] = {
		"plain text",
		"",
		" \n\t",
		"a < b > c",
		"a <3 b",
		"x<",
		"x</",
		"x</>y",
		"<!-- c -->x",
		"<p>a</p><p>b</p>",
		"<p>a<p>b",
		"<p><div>x</div></p>",
		"<p>x</p></p>",
		"</br>",
		"<br/><br /><br>",
		"<img src=a.png alt=\"x\"/>",
		"<a href=\"/r\">x</a>",
		"<a href=/r/1>x</a>",
		"<a href=x/>y</a>",
		"<a><a>x</a></a>",
		"<b><i>x</b></i>",
		"<ul><li>a</li><li>b</li></ul>",
		"<ul><li>a<li>b</ul>",
		"<li>x</li>",
		"<ol start=\"3\"><li>a</li></ol>",
		"<dl><dt>t</dt><dd>d</dd></dl>",
		"<dd>x</dd>",
		"<h1>a<h2>b</h2></h1>",
		"<h1><b>a</b></h1>",
		"<p><hr></p>",
		"<div><p>x</p></div>",
		"&amp;&lt;&gt;&quot;&apos;&nbsp;",
		"&amp",
		"&ampx;",
		"AT&T",
		"&#65;&#x42;&#X43;",
		"&#0;",
		"&#128;",
		"&#x80;",
		"&#xd800;",
		"&#x110000;",
		"&#12345678;",
		"&#;",
		"&#x;",
		"a\rb",
		"a\r\nb",
		"a\x01b",
		"a\x7f",
		"\xc2\x80",
		"\xef\xbf\xbe",
		"\xed\xa0\x80",
		"\xc0\xaf",
		"\xef\xbb\xbf"
		"bom",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		"<p class=\"a\" class=\"b\">x</p>",
		"<p CLASS=X>x</P>",
		"<P>x</p>",
		"<a href=\"x\"title=\"y\">z</a>",
		"<a href = \"x\" >z</a>",
		"<a href>z</a>",
		"<img alt='it&apos;s' src='a.png'>",
		"<a href=\"javascript:alert(1)\">x</a>",
		"<a href=\"&#106;avascript:x\">x</a>",
		"<p style=\"color: red\">x</p>",
		"<p onclick=\"x()\">x</p>",
		"<span title=\"a&b\">x</span>",
		"<a href=\"?a=1&b=2\">x</a>",
		"<p>x",
		"<p>x</div>",
		"<pre>\nx</pre>",
		"<table><tr><td>x</td></tr></table>",
		"<script>x</script>",
		"<p>a</p >",
		"<p/>x",
		"<p>a</ p>",
		"<sub>1</sub><sup>2</sup>",
		"<figure><img src=a><figcaption>c</figcaption></figure>",
		"<b>a<b>b<b>c<b>d</b></b></b></b>",
		"<div><li>x</li></div>",
		"<ul> <li>a</li> </ul>",
		"<blockquote><p>q</p></blockquote>",
		"<p><span><a href=\"#x\">y</a></span></p>",
		"<wbr>",
		"<wbr/>",
		"<hr/>",
		"<x-y>z</x-y>",
	};
	static const char *const pieces[] = {
		"<p>",
		"</p>",
		"<div>",
		"</div>",
		"<b>",
		"</b>",
		"<i>",
		"</i>",
		"<a href=\"/x\">",
		"</a>",
		"<ul>",
		"</ul>",
		"<li>",
		"</li>",
		"<br>",
		"<img src=\"i.png\">",
		"<h2>",
		"</h2>",
		"<span class=\"c\">",
		"</span>",
		"<dl>",
		"<dt>",
		"</dt>",
		"</dl>",
		"text",
		" ",
		"\n",
		"&amp;",
		"&nbsp;",
		"&#233;",
		"&lt;",
		"&",
		"<",
		">",
		"caf\xc3\xa9",
		"<!--c-->",
		"<hr>",
		"<em>",
		"</em>",
		"<ol>",
		"</ol>",
		"<table>",
		"<td>",
		"<blockquote>",
		"</blockquote>",
	};
	unsigned long r = 12345;
	char doc[512];

	(void)state;
	for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
		same_as_gumbo(edges[i], strlen(edges[i]), "http://example.com/a/");
		same_as_gumbo(edges[i], strlen(edges[i]), NULL);
	}
	for (int n = 0; n < 20000; n++) {
		size_t len = 0;
		int k = 1 + (int)((r >> 16) % 12);

		for (int j = 0; j < k; j++) {
			r = r * 1103515245 + 12345;
			const char *p = pieces[(r >> 16) % (sizeof pieces / sizeof pieces[0])];
			size_t pl = strlen(p);
			if (len + pl >= sizeof doc)
				break;
			memcpy(doc + len, p, pl);
			len += pl;
		}
		r = r * 1103515245 + 12345;
		same_as_gumbo(doc, len, "http://example.com/");
	}
}

static void
test_deep_nesting(void **state)
{
	struct html_result r;
	char err[256];
	size_t n;
	char *in;

	(void)state;
	{
		static const char *const deep[] = {"<a><div>", "<div><b>x</div>y", "<div/>",
						   "<p><b>x",  "<li><ul>",         "<div></span>"};

		for (size_t k = 0; k < sizeof deep / sizeof deep[0]; k++) {
			size_t pl = strlen(deep[k]);

			n = 200000 / pl * pl;
			in = malloc(n + 1);
			assert_non_null(in);
			for (size_t i = 0; i < n; i += pl)
				memcpy(in + i, deep[k], pl);
			assert_int_equal(html_clean(in, n, NULL, &r, err, sizeof err), -1);
			assert_non_null(strstr(err, "deeper"));
			free(in);
		}
	}
	/* ...while long flat or sloppy documents pass (one unclosed <b> up
	 * front, reopened in every paragraph). */
	{
		static const char *const flat[] = {
			"<p><b>x</b> y</p>",   "<li>item",           "<p>para", "<tr><td>a<td>b",
			"<a href=x>link</a> ", "<div><i>a</i></div>"};
		static const char pre[] = "<p><b>Title";

		for (size_t k = 0; k < sizeof flat / sizeof flat[0]; k++) {
			size_t pl = strlen(flat[k]);

			n = sizeof pre - 1 + 100000 / pl * pl;
			in = malloc(n + 1);
			assert_non_null(in);
			memcpy(in, pre, sizeof pre - 1);
			for (size_t i = sizeof pre - 1; i < n; i += pl)
				memcpy(in + i, flat[k], pl);
			if (html_clean(in, n, NULL, &r, err, sizeof err) != 0)
				fail_msg("%s x %zu: %s", flat[k], n / pl, err);
			html_result_free(&r);
			free(in);
		}
	}
}

static void
test_limits(void **state)
{
	struct html_result r;
	char err[256];
	size_t n;
	char *in;

	(void)state;
	/* Nesting: a clear error past the limit, fine below it. */
	n = (HTML_MAX_DEPTH + 10) * 5;
	in = malloc(n + 1);
	assert_non_null(in);
	for (size_t i = 0; i < n; i += 5)
		memcpy(in + i, "<div>", 5);
	in[n] = '\0';
	assert_int_equal(html_clean(in, n, NULL, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "deeper"));
	assert_null(r.html);
	assert_null(r.text);
	{
		char *t = html_to_text(in, n); /* text only: cut, not refused */

		assert_non_null(t);
		free(t);
	}
	assert_int_equal(html_clean(in, (HTML_MAX_DEPTH - 2) * 5, NULL, &r, err, sizeof err), 0);
	html_result_free(&r);
	free(in);

	/* Input over the limit. */
	n = HTML_MAX_INPUT + 1;
	in = malloc(n);
	assert_non_null(in);
	memset(in, 'a', n);
	assert_int_equal(html_clean(in, n, NULL, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "input"));
	free(in);

	/* Output over the limit: '<' grows fourfold when escaped. */
	n = HTML_MAX_OUTPUT / 4 + 16;
	in = malloc(n);
	assert_non_null(in);
	memset(in, '<', n);
	assert_int_equal(html_clean(in, n, NULL, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "output"));
	free(in);

	/* A short error buffer is still terminated. */
	assert_int_equal(html_clean("<div>", 1u << 30, NULL, &r, err, 8), -1);
	assert_int_equal(strlen(err), 7);
}

/* The arena outlives a parse; the jmp_buf a parse sets up for it (in the
 * parse's frame) does not, so the arena must not keep its address. An
 * allocation after the parse then fails with NULL instead of jumping into a
 * frame that is gone. */
static void
check_no_jump(struct html_arena *a)
{
	assert_null(a->jump);
	assert_null(html_arena_alloc(a, (size_t)HTML_MAX_PARSE_MEM + 1));
}

static void
test_fast_parse_keeps_no_stack_pointer(void **state)
{
	struct html_arena a = {0};

	(void)state;
	assert_non_null(html_fast_parse(&a, "<p>plain <b>text</b></p>", 24));
	check_no_jump(&a);
	html_arena_free(&a);
	assert_null(html_fast_parse(&a, "<table><td>x", 12)); /* gives up: gumbo's */
	check_no_jump(&a);
	html_arena_free(&a);
}

static void
test_gumbo_parse_keeps_no_stack_pointer(void **state)
{
	struct html_arena a = {0};
	GumboOutput *g;

	(void)state;
	g = html_parse_fragment(&a, "<table><td>x", 12);
	assert_non_null(g);
	assert_int_equal(g->root->v.element.children.length, 1);
	check_no_jump(&a);
	html_arena_free(&a);
}

/* The walk's arena lives in html_walk_run's frame: w->arena must not point
 * at it once the run is over, whichever way it ends. */
static void
test_walk_keeps_no_stack_pointer(void **state)
{
	static const char *const inputs[] = {
		"<p>fast path</p>",                   /* fast path */
		"<table><td>gumbo</table>",           /* gumbo */
		"<iframe>&lt;b&gt;reparsed</iframe>", /* gumbo, twice */
	};
	struct buf html = {0};
	size_t n = (HTML_MAX_DEPTH + 10) * 5;
	char *deep = malloc(n + 1);

	(void)state;
	for (size_t i = 0; i < NITEMS(inputs); i++) {
		struct html_walk w = {.html = &html};

		assert_int_equal(html_walk_run(&w, inputs[i], strlen(inputs[i])), 0);
		assert_null(w.arena);
		buf_free(&w.text);
		buf_free(&html);
	}
	/* Failures: too deep, too long. */
	assert_non_null(deep);
	for (size_t i = 0; i < n; i += 5)
		memcpy(deep + i, "<div>", 5);
	deep[n] = '\0';
	{
		struct html_walk w = {.html = &html};

		assert_int_equal(html_walk_run(&w, deep, n), -1);
		assert_string_equal(w.error, "elements nested deeper than the limit");
		assert_null(w.arena);
		buf_free(&w.text);
		buf_free(&html);
	}
	{
		struct html_walk w = {.lenient = 1};

		/* refused before a byte is read */
		assert_int_equal(html_walk_run(&w, deep, (size_t)HTML_MAX_INPUT + 1), -1);
		assert_null(w.arena);
		buf_free(&w.text);
	}
	free(deep);
}

/* html_clean and html_clean_gumbo on in: both succeed with the same
 * output; returns html_clean's (free with html_result_free). */
static struct html_result
clean_both(const char *in, size_t n)
{
	struct html_result a, b;
	char err[256];

	if (html_clean(in, n, "http://e.x/", &a, err, sizeof err) != 0)
		fail_msg("html_clean: %s", err);
	if (html_clean_gumbo(in, n, "http://e.x/", &b, err, sizeof err) != 0)
		fail_msg("html_clean_gumbo: %s", err);
	assert_string_equal(a.html, b.html);
	assert_string_equal(a.text, b.text);
	html_result_free(&b);
	return a;
}

/* Issue 28: what reaches gumbo is capped. Past HTML_MAX_ATTRS attributes
 * on one element the rest are left out (the first ones, as written, stay:
 * an allowlisted one among them is kept), whatever the element, the
 * quoting and the sizes; html and body lose their attributes (never
 * written); the input stops before the start tag past HTML_MAX_ELEMENTS.
 * The output is the one of the input with exactly that left out. */
static void
test_caps(void **state)
{
	static const char *const tags[] = {"p", "img", "b", "a", "span", "div"};
	static const char *const quotes[] = {"\"v\"", "'v'", "v", ""};
	static const int counts[] = {HTML_MAX_ATTRS + 1, HTML_MAX_ATTRS + 7, 3 * HTML_MAX_ATTRS,
				     5000};

	(void)state;
	for (size_t t = 0; t < sizeof tags / sizeof tags[0]; t++) {
		for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
			struct buf big = {0}, capped = {0};
			const char *q = quotes[(t + c) % 4];

			for (int k = 0; k < 2; k++) {
				struct buf *b = k ? &capped : &big;
				int n = k ? HTML_MAX_ATTRS : counts[c];

				buf_printf(b, "<%s title=\"first\"", tags[t]);
				for (int i = 1; i < n; i++)
					buf_printf(b, " data-%d%s%s", i, *q ? "=" : "", q);
				buf_printf(b, " href=\"/late\" alt=\"late\">x</%s>y", tags[t]);
			}
			struct html_result r1 = clean_both(big.data, big.len);
			struct html_result r2 = clean_both(capped.data, capped.len);
			assert_string_equal(r1.html, r2.html);
			assert_non_null(strstr(r1.html, "title=\"first\""));
			assert_null(strstr(r1.html, "late"));
			html_result_free(&r1);
			html_result_free(&r2);
			buf_free(&big);
			buf_free(&capped);
		}
	}
	/* html and body: their attributes are never written, and now never
	 * reach the parser either */
	{
		struct buf b = {0};
		for (int i = 0; i < 3000; i++)
			buf_printf(&b, "<%s a%d=x>", i % 2 ? "html" : "body", i);
		buf_puts(&b, "<p title=t>x</p>");
		struct html_result r = clean_both(b.data, b.len);
		assert_string_equal(r.html, "<p title=\"t\">x</p>");
		html_result_free(&r);
		buf_free(&b);
	}
	/* elements: the first HTML_MAX_ELEMENTS, fast path or not */
	for (int k = 0; k < 2; k++) {
		struct buf b = {0};
		size_t n = 0;
		for (int i = 0; i < HTML_MAX_ELEMENTS + 10; i++)
			buf_puts(&b, k ? "<br>" : "<i>x</i>");
		struct html_result r = clean_both(b.data, b.len);
		for (const char *p = r.html; (p = strstr(p, k ? "<br" : "<i>")) != NULL; p++)
			n++;
		assert_int_equal(n, HTML_MAX_ELEMENTS);
		html_result_free(&r);
		buf_free(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attacks),
		cmocka_unit_test(test_obfuscated_schemes_dropped_exactly),
		cmocka_unit_test(test_dropped_elements),
		cmocka_unit_test(test_kept_markup),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_relative_urls),
		cmocka_unit_test(test_css),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_scan_offsets),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_fast_path_same_as_gumbo),
		cmocka_unit_test(test_fast_parse_keeps_no_stack_pointer),
		cmocka_unit_test(test_gumbo_parse_keeps_no_stack_pointer),
		cmocka_unit_test(test_walk_keeps_no_stack_pointer),
		cmocka_unit_test(test_caps),
	};

	return cmocka_run_group_tests_name("html", tests, NULL, NULL);
}
