/* libFuzzer target for daemon/html.c: bytes in, sanitized HTML out.
 *
 * Aborts when html_clean's output is not well-formed (every tag it wrote is
 * closed in order, text and attributes escaped), or when parsing it again
 * with gumbo yields anything the policy drops: a dropped element, an on*
 * attribute, a URL with another scheme than http, https, mailto (or a data:
 * image on img src), a style that could load or run something. The checks
 * are written independently of html.c's tables on purpose.
 *
 * Build: make fuzz/fuzz_html (see mk/html.am); run: fuzz/fuzz_html -max_len=65536 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gumbo.h>

#include "html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *why, const char *detail, const char *out)
{
	fprintf(stderr, "fuzz_html: %s: %s\noutput: %s\n", why, detail, out);
	abort();
}

/* Well-formedness of html_clean's own output grammar. */
static void
check_wellformed(const char *s)
{
	char stack[HTML_MAX_DEPTH + 8][32];
	int top = 0;

	for (const char *p = s; *p;) {
		if (*p == '>')
			fail("raw '>' in text", p, s);
		if (*p == '&') {
			size_t n = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz");
			if (n == 0 || p[1 + n] != ';')
				fail("raw '&' in text", p, s);
			p += n + 2;
			continue;
		}
		if (*p != '<') {
			p++;
			continue;
		}
		int close = p[1] == '/';
		const char *name = p + 1 + close;
		size_t n = strspn(
			name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
		if (n == 0 || n >= 32)
			fail("bad tag name", p, s);
		p = name + n;
		if (close) {
			if (*p != '>' || top == 0 || strncmp(stack[top - 1], name, n) != 0 ||
			    stack[top - 1][n] != '\0')
				fail("unbalanced end tag", name, s);
			top--;
			p++;
			continue;
		}
		while (*p == ' ') {
			p++;
			if (*p == '/')
				break;
			p += strspn(
				p,
				"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-:");
			if (p[0] != '=' || p[1] != '"')
				fail("bad attribute", p, s);
			const char *q = strchr(p + 2, '"');
			if (q == NULL || memchr(p + 2, '<', (size_t)(q - p - 2)) ||
			    memchr(p + 2, '>', (size_t)(q - p - 2)))
				fail("bad attribute value", p, s);
			p = q + 1;
		}
		if (p[0] == '/' && p[1] == '>') {
			p += 2;
			continue;
		}
		if (*p != '>')
			fail("bad start tag", p, s);
		if (top >= HTML_MAX_DEPTH + 8)
			fail("nesting over the limit", p, s);
		memcpy(stack[top], name, n);
		stack[top++][n] = '\0';
		p++;
	}
	if (top != 0)
		fail("unclosed element", stack[top - 1], s);
}

static const char *const forbidden[] = {
	"script",    "style",    "iframe",        "object",
	"embed",     "applet",   "frame",         "frameset",
	"form",      "input",    "button",        "select",
	"option",    "textarea", "meta",          "link",
	"base",      "noscript", "template",      "xmp",
	"plaintext", "title",    "noembed",       "noframes",
	"param",     "keygen",   "foreignobject", "animate",
	"set",       "use",      "animatemotion", "animatetransform",
	"image",     NULL,
};

static void
check_url(const char *elem, const char *attr, const char *v, const char *out)
{
	char scheme[16];
	size_t i = 0, j = 0;

	while (v[i] && (unsigned char)v[i] <= ' ')
		i++;
	for (; v[i] && v[i] != ':' && v[i] != '/' && v[i] != '?' && v[i] != '#' && j < 15; i++)
		if (v[i] != '\t' && v[i] != '\n' && v[i] != '\r')
			scheme[j++] = (char)tolower((unsigned char)v[i]);
	scheme[j] = '\0';
	if (v[i] != ':' || !isalpha((unsigned char)scheme[0]) ||
	    strspn(scheme, "abcdefghijklmnopqrstuvwxyz0123456789+-.") != j)
		return; /* relative: a browser reads no scheme */
	if (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0 ||
	    strcmp(scheme, "mailto") == 0)
		return;
	if (strcmp(scheme, "data") == 0 && strcmp(elem, "img") == 0 && strcmp(attr, "src") == 0 &&
	    strncasecmp(v + i, ":image/", 7) == 0 && strncasecmp(v + i, ":image/svg", 10) != 0)
		return;
	fail("URL with a dropped scheme", v, out);
}

/* A kept style is a list of "property: value;" with a harmless property and
 * a value of plain words, numbers, colours and parenthesised numbers only. */
static void
check_style(const char *v, const char *out)
{
	static const char *const props[] = {"azimuth",
					    "background-color",
					    "border-bottom-color",
					    "border-collapse",
					    "border-color",
					    "border-left-color",
					    "border-right-color",
					    "border-top-color",
					    "clear",
					    "color",
					    "cursor",
					    "direction",
					    "display",
					    "elevation",
					    "float",
					    "font",
					    "font-family",
					    "font-size",
					    "font-style",
					    "font-variant",
					    "font-weight",
					    "height",
					    "letter-spacing",
					    "line-height",
					    "overflow",
					    "pause",
					    "pause-after",
					    "pause-before",
					    "pitch",
					    "pitch-range",
					    "richness",
					    "speak",
					    "speak-header",
					    "speak-numeral",
					    "speak-punctuation",
					    "speech-rate",
					    "stress",
					    "text-align",
					    "text-decoration",
					    "text-indent",
					    "unicode-bidi",
					    "vertical-align",
					    "voice-family",
					    "volume",
					    "white-space",
					    "width",
					    NULL};
	char buf[8192], *save = NULL;

	snprintf(buf, sizeof buf, "%s", v);
	for (char *d = strtok_r(buf, ";", &save); d; d = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(d, ':'), prop[64];
		size_t n;
		int ok = 0;

		d += strspn(d, " \t\n\r\f\v");
		if (*d == '\0')
			continue;
		if (colon == NULL || (n = strcspn(d, " \t\n\r\f\v:")) >= sizeof prop)
			fail("style declaration without a property", d, out);
		for (size_t i = 0; i < n; i++)
			prop[i] = (char)tolower((unsigned char)d[i]);
		prop[n] = '\0';
		for (int i = 0; props[i]; i++)
			ok |= strcmp(prop, props[i]) == 0;
		ok |= strncmp(prop, "background", 10) == 0 || strncmp(prop, "border", 6) == 0 ||
		      strncmp(prop, "margin", 6) == 0 || strncmp(prop, "padding", 7) == 0;
		if (!ok)
			fail("style property not allowed", prop, out);
		for (const char *p = colon + 1; *p; p++) {
			unsigned char c = (unsigned char)*p;

			if (c == '(') {
				p += 1 + strspn(p + 1, "0123456789, \t\n\r\f\v");
				if (*p != ')')
					fail("style value with a call", colon, out);
				continue;
			}
			if (!(c >= 0x80 || isalnum(c) || strchr(" \t\n\r\f\v,#%.!'\"_-", c)))
				fail("style value with a special character", colon, out);
		}
	}
}

static void
check_tree(const GumboNode *n, const char *out)
{
	if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE)
		return;
	const GumboElement *e = &n->v.element;
	char name[64] = "";
	if (e->tag != GUMBO_TAG_UNKNOWN) {
		snprintf(name, sizeof name, "%s", gumbo_normalized_tagname(e->tag));
	} else {
		GumboStringPiece p = e->original_tag;
		gumbo_tag_from_original_text(&p);
		for (size_t i = 0; i < p.length && i < sizeof name - 1; i++)
			name[i] = (char)tolower((unsigned char)p.data[i]), name[i + 1] = '\0';
	}
	for (int i = 0; forbidden[i]; i++)
		if (strcmp(name, forbidden[i]) == 0 &&
		    (e->tag_namespace == GUMBO_NAMESPACE_HTML || strcmp(name, "title") != 0))
			fail("dropped element survived", name, out);
	for (unsigned i = 0; i < e->attributes.length; i++) {
		const GumboAttribute *a = e->attributes.data[i];
		char an[64];
		snprintf(an, sizeof an, "%s", a->name);
		for (char *p = an; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (strncmp(an, "on", 2) == 0 || strcmp(an, "srcdoc") == 0 ||
		    strcmp(an, "formaction") == 0 || strcmp(an, "srcset") == 0)
			fail("dropped attribute survived", an, out);
		if (strcmp(an, "href") == 0 || strcmp(an, "src") == 0 ||
		    strcmp(an, "action") == 0 || strcmp(an, "background") == 0 ||
		    strcmp(an, "poster") == 0 || strcmp(an, "cite") == 0 ||
		    strcmp(an, "data") == 0 || strcmp(an, "lowsrc") == 0 ||
		    strcmp(an, "dynsrc") == 0)
			check_url(name, an, a->value, out);
		if (strcmp(an, "style") == 0)
			check_style(a->value, out);
		if (e->tag_namespace == GUMBO_NAMESPACE_SVG && strcmp(an, "href") != 0 &&
		    strstr(a->value, "url(") && !strstr(a->value, "url(#"))
			fail("url() in a presentation attribute", a->value, out);
	}
	for (unsigned i = 0; i < e->children.length; i++)
		check_tree(e->children.data[i], out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct html_result r, ref;
	char err[256], err2[256];
	GumboOptions opt = kGumboDefaultOptions;
	GumboOutput *g;
	int rc = html_clean((const char *)data, size, "http://example.com/feed/", &r, err,
			    sizeof err);
	/* html_clean's own tree for simple markup must be exactly gumbo's */
	int rc2 = html_clean_gumbo((const char *)data, size, "http://example.com/feed/", &ref, err2,
				   sizeof err2);

	if (rc != rc2 || (rc < 0 && strcmp(err, err2) != 0) ||
	    (rc == 0 && (strcmp(r.html, ref.html) != 0 || strcmp(r.text, ref.text) != 0)))
		fail("fast path differs from gumbo", rc2 == 0 ? ref.html : err2,
		     rc == 0 ? r.html : err);
	if (rc2 == 0)
		html_result_free(&ref);
	if (rc < 0) {
		if (err[0] == '\0')
			fail("error without a reason", "", "");
		return 0;
	}
	check_wellformed(r.html);
	opt.fragment_context = GUMBO_TAG_BODY;
	opt.fragment_namespace = GUMBO_NAMESPACE_HTML;
	g = gumbo_parse_with_options(&opt, r.html, strlen(r.html));
	if (g == NULL)
		fail("output does not parse", "", r.html);
	check_tree(g->root, r.html);
	gumbo_destroy_output(&opt, g);
	/* The sanitized output is accepted again. */
	struct html_result again;
	if (html_clean(r.html, strlen(r.html), NULL, &again, err, sizeof err) < 0)
		fail("output refused when cleaned again", err, r.html);
	html_result_free(&again);
	char *text = html_to_text((const char *)data, size);
	if (text == NULL)
		fail("html_to_text failed", "", r.html);
	free(text);
	html_result_free(&r);
	return 0;
}
