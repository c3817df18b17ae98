/* parse_text: text constructs (see parse_int.h). The text of an element the
 * parser keeps is captured into one buffer; for markup (inline xhtml, Atom
 * 0.3 xml mode) child elements are serialized back as HTML. When the element
 * closes the construct gets its type (Atom's attributes, or feedparser's
 * guess for RSS), base64 is decoded, an xhtml wrapper div removed, and HTML
 * goes through html_clean with the element's xml:base. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html.h"
#include "parse_int.h"

/* ---------------------------------------------------------------- text constructs */

static const char *const html_elements[] = {
	"a",          "abbr",
	"acronym",    "address",
	"area",       "article",
	"aside",      "audio",
	"b",          "big",
	"blockquote", "br",
	"button",     "canvas",
	"caption",    "center",
	"cite",       "code",
	"col",        "colgroup",
	"command",    "datagrid",
	"datalist",   "dd",
	"del",        "details",
	"dfn",        "dialog",
	"dir",        "div",
	"dl",         "dt",
	"em",         "event-source",
	"fieldset",   "figcaption",
	"figure",     "footer",
	"font",       "form",
	"header",     "h1",
	"h2",         "h3",
	"h4",         "h5",
	"h6",         "hr",
	"i",          "img",
	"input",      "ins",
	"keygen",     "kbd",
	"label",      "legend",
	"li",         "m",
	"map",        "menu",
	"meter",      "multicol",
	"nav",        "nextid",
	"ol",         "output",
	"optgroup",   "option",
	"p",          "pre",
	"progress",   "q",
	"s",          "samp",
	"section",    "select",
	"small",      "sound",
	"source",     "spacer",
	"span",       "strike",
	"strong",     "sub",
	"sup",        "table",
	"tbody",      "td",
	"textarea",   "time",
	"tfoot",      "th",
	"thead",      "tr",
	"tt",         "u",
	"ul",         "var",
	"video",      "noscript",
};

static int
html_element(const char *s, size_t n)
{
	char low[16];

	if (n == 0 || n >= sizeof low)
		return 0;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[n] = '\0';
	for (size_t i = 0; i < sizeof html_elements / sizeof html_elements[0]; i++)
		if (!strcmp(low, html_elements[i]))
			return 1;
	return 0;
}

/* feedparser's guess for RSS text (n bytes at s): an end tag or an entity,
 * and only known HTML elements. */
static int
looks_like_html(const char *s, size_t n)
{
	const char *end = s + n;
	int sign = 0;

	for (const char *p = s; p < end && !sign; p++) {
		if (p[0] == '<' && end - p > 2 && p[1] == '/' && isalnum((unsigned char)p[2]))
			sign = 1;
		if (p[0] == '&') {
			const char *q = p + 1 + (end - p > 1 && p[1] == '#');
			size_t k = 0;
			while (q + k < end && (isalnum((unsigned char)q[k]) || q[k] == '_'))
				k++;
			if (k && q + k < end && q[k] == ';')
				sign = 1;
		}
	}
	if (!sign)
		return 0;
	for (const char *p = s; (p = memchr(p, '<', (size_t)(end - p))) != NULL; p++) {
		const char *q = p + 1 + (end - p > 1 && p[1] == '/');
		size_t k = 0;
		while (q + k < end && (isalnum((unsigned char)q[k]) || q[k] == '_'))
			k++;
		if (k && !html_element(q, k))
			return 0;
	}
	return 1;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes base64 in place; the result is cleaned as UTF-8 by the caller. */
static size_t
b64decode(char *s, size_t n)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		int v = b64val((unsigned char)s[i]);
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			s[o++] = (char)((acc >> bits) & 0xFF);
		}
	}
	s[o] = '\0';
	return o;
}

/* s[0..*n) without leading and trailing white space. */
static const char *
trim(const char *s, size_t *n)
{
	while (*n && isspace((unsigned char)*s))
		s++, (*n)--;
	while (*n && isspace((unsigned char)s[*n - 1]))
		(*n)--;
	return s;
}

/* Base64 text decoded in place (s holds n bytes), as clean UTF-8 in out. */
static int
base64_text(char *s, size_t n, struct buf *out)
{
	struct pdec d;

	n = b64decode(s, n);
	pdec_init(&d, "application/xml; charset=utf-8");
	d.sniffed = 1;
	snprintf(d.encoding, sizeof d.encoding, "utf-8");
	int rc = pdec_feed(&d, s, n, 1, out);
	pdec_free(&d);
	return rc;
}

/* The captured construct into t (replacing what t held). HTML goes to
 * html_clean straight from the capture buffer, without a copy. */
int
parse_text_finish(struct parse *p, struct parse_text *t)
{
	struct parse_capture *c = &p->cap;
	struct buf clean = {0};
	const char *v;
	char err[160];
	size_t n;
	int rc = -1;

	/* an empty capture has no storage yet; base64 decodes in place */
	if (c->b.data == NULL && buf_puts(&c->b, "") < 0)
		return -1;
	v = c->b.data, n = c->b.len;
	if (c->base64) {
		if (base64_text(c->b.data, c->b.len, &clean) < 0)
			goto out;
		v = buf_str(&clean), n = clean.len;
	} else if (c->type == PARSE_TYPE_XHTML && c->atom10 && c->top_elems == 1 && !c->top_text &&
		   c->div_first && c->div_out > c->div_in) {
		v += c->div_in, n = c->div_out - c->div_in;
	}
	v = trim(v, &n);
	parse_text_free(t);
	t->type = c->type;
	t->mime = c->mime, c->mime = NULL;
	t->src = c->src, c->src = NULL;
	t->base = dup0(frame_base(p));
	t->lang = dup0(frame_lang(p));
	if (t->type == PARSE_TYPE_TEXT && !c->atom && !t->mime && looks_like_html(v, n))
		t->type = PARSE_TYPE_HTML;
	if (t->type == PARSE_TYPE_TEXT) {
		t->value = t->text = dupn(v, n);
		rc = t->value ? 0 : -1;
		goto out;
	}
	struct html_result r;
	if (html_clean(v, n, frame_base(p), &r, err, sizeof err) < 0) {
		parse_fail(p, "HTML: %s", err);
		goto out;
	}
	t->value = r.html;
	t->text = r.text;
	rc = 0;
out:
	buf_free(&clean);
	return rc;
}

/* ---------------------------------------------------------------- capture */

void
parse_begin(struct parse *p, enum parse_field f)
{
	parse_cap_reset(&p->cap);
	p->cap.depth = p->depth;
	p->cap.field = f;
}

/* A text construct: type from Atom's type/mode, else RSS's conventions. */
void
parse_begin_construct(struct parse *p, enum parse_field f, enum parse_ns ns, const XML_Char **atts,
		      enum parse_type dflt)
{
	const char *type = parse_attr(atts, "type"), *mode = parse_attr(atts, "mode");
	struct parse_capture *c = &p->cap;

	parse_begin(p, f);
	c->construct = 1;
	c->type = dflt;
	c->atom = ns == NS_ATOM10 || ns == NS_ATOM03;
	c->atom10 = ns == NS_ATOM10;
	if (c->atom) {
		c->type = PARSE_TYPE_TEXT;
		if (type) {
			if (!strcasecmp(type, "html") || !strcasecmp(type, "text/html"))
				c->type = PARSE_TYPE_HTML;
			else if (!strcasecmp(type, "xhtml") ||
				 !strcasecmp(type, "application/xhtml+xml"))
				c->type = PARSE_TYPE_XHTML;
			else if (*type && strcasecmp(type, "text") &&
				 strcasecmp(type, "text/plain"))
				c->mime = dup0(type);
		}
		if (mode && !strcasecmp(mode, "base64"))
			c->base64 = 1;
		else if (c->mime && (!strncasecmp(c->mime, "image/", 6) ||
				     !strncasecmp(c->mime, "audio/", 6) ||
				     !strncasecmp(c->mime, "video/", 6) ||
				     !strcasecmp(c->mime, "application/octet-stream")))
			c->base64 = 1; /* RFC 4287 4.1.3.3: binary types are base64 */
		if (c->type != PARSE_TYPE_TEXT && !(mode && !strcasecmp(mode, "escaped")) &&
		    (c->type == PARSE_TYPE_XHTML || ns == NS_ATOM03))
			c->markup = 1;
		const char *src = parse_attr(atts, "src");
		if (src)
			c->src = parse_resolve(frame_base(p), src);
	}
	if (c->type == PARSE_TYPE_XHTML)
		c->markup = 1;
}

static int
cap_append(struct parse *p, const char *s, size_t n)
{
	if (p->cap.b.len + n > PARSE_MAX_FIELD) {
		parse_fail(p, "text field longer than %s bytes", "2097152");
		return -1;
	}
	if (buf_append(&p->cap.b, s, n) < 0) {
		parse_fail(p, "%s", "out of memory");
		return -1;
	}
	return 0;
}

static int
cap_escaped(struct parse *p, const char *s, size_t n, int quote)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		const char *rep = s[i] == '&'            ? "&amp;"
				  : s[i] == '<'          ? "&lt;"
				  : s[i] == '>'          ? "&gt;"
				  : quote && s[i] == '"' ? "&quot;"
							 : NULL;
		if (rep) {
			if (cap_append(p, s + run, i - run) < 0 ||
			    cap_append(p, rep, strlen(rep)) < 0)
				return -1;
			run = i + 1;
		}
	}
	return cap_append(p, s + run, n - run);
}

/* TypePad wraps escaped HTML (type="html") in a real xhtml <div>: the div is
 * not part of the HTML the construct declares, so its tags go (as feedparser
 * drops them); the escaped HTML inside is kept. */
static int
stray_div(const struct parse_capture *c, enum parse_ns ns, const char *local)
{
	return !c->markup && c->type != PARSE_TYPE_XHTML && (ns == NS_XHTML || ns == NS_CORE) &&
	       !strcmp(local, "div");
}

/* A child element inside captured text, written back as markup. */
void
parse_cap_start(struct parse *p, const XML_Char *name, const XML_Char **atts)
{
	struct parse_capture *c = &p->cap;
	const char *local;
	enum parse_ns ns = parse_ns_of(name, &local);

	if (stray_div(c, ns, local))
		return;
	if (p->depth == c->depth + 1) {
		c->top_elems++;
		c->div_first = c->top_elems == 1 && !strcmp(local, "div") &&
			       (ns == NS_XHTML || ns == NS_CORE);
	}
	if (cap_append(p, "<", 1) < 0 || cap_append(p, local, strlen(local)) < 0)
		return;
	/* SVG and MathML keep their namespace, declared where it starts */
	if (ns == NS_OTHER) {
		struct parse_frame *f = &p->stack[p->depth], *up = &p->stack[p->depth - 1];
		f->xmlns = dupn(name, (size_t)(local - name - 1));
		if (f->xmlns && (up->xmlns == NULL || strcmp(up->xmlns, f->xmlns) != 0) &&
		    (cap_append(p, " xmlns=\"", 8) < 0 ||
		     cap_escaped(p, f->xmlns, strlen(f->xmlns), 1) < 0 ||
		     cap_append(p, "\"", 1) < 0))
			return;
	}
	int xlink = 0;
	for (int i = 0; atts[i]; i += 2) {
		const char *al;
		enum parse_ns ans = parse_ns_of(atts[i], &al);
		if (ans == NS_XML)
			continue;
		if (ans == NS_OTHER && !strncmp(atts[i], "http://www.w3.org/1999/xlink", 28)) {
			static const char decl[] = " xmlns:xlink=\"http://www.w3.org/1999/xlink\"";
			if (!xlink && cap_append(p, decl, sizeof decl - 1) < 0)
				return;
			xlink = 1;
			if (cap_append(p, " xlink:", 7) < 0 || cap_append(p, al, strlen(al)) < 0 ||
			    cap_append(p, "=\"", 2) < 0 ||
			    cap_escaped(p, atts[i + 1], strlen(atts[i + 1]), 1) < 0 ||
			    cap_append(p, "\"", 1) < 0)
				return;
			continue;
		}
		if (cap_append(p, " ", 1) < 0 || cap_append(p, al, strlen(al)) < 0 ||
		    cap_append(p, "=\"", 2) < 0 ||
		    cap_escaped(p, atts[i + 1], strlen(atts[i + 1]), 1) < 0 ||
		    cap_append(p, "\"", 1) < 0)
			return;
	}
	cap_append(p, ">", 1);
	if (p->depth == c->depth + 1 && c->top_elems == 1)
		c->div_in = c->b.len;
}

void
parse_cap_end(struct parse *p, const XML_Char *name)
{
	struct parse_capture *c = &p->cap;
	const char *local;
	static const char *const voids[] = {"br",     "hr",   "img",  "input", "meta",
					    "link",   "area", "base", "col",   "param",
					    "source", "wbr",  "embed"};

	enum parse_ns ns = parse_ns_of(name, &local);

	if (stray_div(c, ns, local))
		return;
	if (p->depth == c->depth + 1 && c->top_elems == 1)
		c->div_out = c->b.len;
	/* "<br></br>" would read as two breaks in HTML */
	for (size_t i = 0; i < sizeof voids / sizeof voids[0]; i++)
		if (!strcasecmp(local, voids[i]) && c->b.len && c->b.data[c->b.len - 1] == '>') {
			c->b.data[--c->b.len] = '\0';
			cap_append(p, " />", 3);
			return;
		}
	if (cap_append(p, "</", 2) < 0 || cap_append(p, local, strlen(local)) < 0)
		return;
	cap_append(p, ">", 1);
}

static void
on_text_raw(struct parse *p, const XML_Char *s, int len)
{
	struct parse_capture *c = &p->cap;

	if (p->depth == c->depth) {
		for (int i = 0; i < len && !c->top_text; i++)
			if (!isspace((unsigned char)s[i]))
				c->top_text = 1;
	}
	if (c->markup)
		cap_escaped(p, s, (size_t)len, 0);
	else
		cap_append(p, s, (size_t)len);
}

/* U+0080..U+009F as windows-1252 means them (feeds write "&#146;" for ’). */
static const char *const cp1252[32] = {
	"\u20ac", NULL,     "\u201a", "\u0192", "\u201e", "\u2026", "\u2020", "\u2021",
	"\u02c6", "\u2030", "\u0160", "\u2039", "\u0152", NULL,     "\u017d", NULL,
	NULL,     "\u2018", "\u2019", "\u201c", "\u201d", "\u2022", "\u2013", "\u2014",
	"\u02dc", "\u2122", "\u0161", "\u203a", "\u0153", NULL,     "\u017e", "\u0178",
};

static void
demoronize(struct parse *p, const char *s, int len)
{
	int run = 0;

	for (int i = 0; i + 1 < len; i++) {
		unsigned char b = (unsigned char)s[i + 1];
		if ((unsigned char)s[i] != 0xC2 || b < 0x80 || b > 0x9F || !cp1252[b - 0x80])
			continue;
		on_text_raw(p, s + run, i - run);
		on_text_raw(p, cp1252[b - 0x80], (int)strlen(cp1252[b - 0x80]));
		run = i + 2;
		i++;
	}
	on_text_raw(p, s + run, len - run);
}

void XMLCALL
parse_on_text(void *u, const XML_Char *s, int len)
{
	struct parse *p = u;

	if (p->cap.depth == 0 || p->fatal)
		return;
	if (memchr(s, 0xC2, (size_t)len))
		demoronize(p, s, len);
	else
		on_text_raw(p, s, len);
}

/* Bytes of s's first max bytes that end on a UTF-8 character boundary. */
static int
utf8_prefix(const char *s, int max)
{
	int n = (int)strnlen(s, (size_t)max + 1);

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

void XMLCALL
parse_on_skipped(void *u, const XML_Char *name, int is_param)
{
	struct parse *p = u;

	if (is_param)
		return;
	int n = utf8_prefix(name, 60);

	p->meta.bozo = 1;
	if (p->meta.bozo_reason == NULL) {
		char msg[160];
		snprintf(msg, sizeof msg, "line %lu: undefined entity &%.*s;",
			 (unsigned long)XML_GetCurrentLineNumber(p->xp), n, name);
		p->meta.bozo_reason = dup0(msg);
	}
	if (p->cap.depth) { /* keep it as written, as a forgiving reader would */
		char ent[80];
		snprintf(ent, sizeof ent, "&%.*s;", n, name);
		if (p->cap.markup)
			cap_escaped(p, ent, strlen(ent), 0);
		else
			cap_append(p, ent, strlen(ent));
	}
}
