/* parse: streaming RSS/Atom parser on expat; see parse.h.
 *
 * Elements are named by (namespace, local name); the namespaces feeds use are
 * folded to a small set so "dc:creator" is the same whatever prefix a feed
 * picked. Text of interesting elements is captured into one buffer at a time
 * (child markup serialized back, for inline HTML and xhtml), and stored into
 * the current item or the feed when the element closes. */
#include "parse.h"

#include <ctype.h>
/* Debian's libexpat is built with DTD support; its amplification limits are
 * declared only under XML_DTD. */
#ifndef XML_DTD
#define XML_DTD 1
#endif
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "date.h"
#include "html.h"
#include "parse_decode.h"
#include "parse_entities.h"
#include "parse_repair.h"
#include "url.h"

#define NS_SEP '\x01'

enum ns {
	NS_CORE, /* no namespace, RSS 0.9x/1.0/2.0 namespaces */
	NS_ATOM10,
	NS_ATOM03,
	NS_RDF,
	NS_DC,
	NS_DCTERMS,
	NS_CONTENT,
	NS_MEDIA,
	NS_ITUNES,
	NS_XHTML,
	NS_XML,
	NS_OTHER,
};

#define NSURI(u) u, sizeof u - 1
static const struct {
	const char *uri;
	size_t len;
	enum ns ns;
} ns_table[] = {
	{NSURI("http://www.w3.org/2005/Atom"), NS_ATOM10},
	{NSURI("http://purl.org/atom/ns#"), NS_ATOM03},
	{NSURI("http://purl.org/rss/1.0/"), NS_CORE},
	{NSURI("http://my.netscape.com/rdf/simple/0.9/"), NS_CORE},
	{NSURI("http://channel.netscape.com/rdf/simple/0.9/"), NS_CORE},
	{NSURI("http://backend.userland.com/rss2"), NS_CORE},
	{NSURI("http://backend.userland.com/rss"), NS_CORE},
	{NSURI("http://blogs.law.harvard.edu/tech/rss"), NS_CORE},
	{NSURI("http://www.w3.org/1999/02/22-rdf-syntax-ns#"), NS_RDF},
	{NSURI("http://purl.org/dc/elements/1.1/"), NS_DC},
	{NSURI("http://purl.org/dc/terms/"), NS_DCTERMS},
	{NSURI("http://purl.org/rss/1.0/modules/content/"), NS_CONTENT},
	{NSURI("http://search.yahoo.com/mrss/"), NS_MEDIA},
	{NSURI("http://search.yahoo.com/mrss"), NS_MEDIA},
	{NSURI("http://www.itunes.com/dtds/podcast-1.0.dtd"), NS_ITUNES},
	{NSURI("http://www.itunes.com/dtds/podcast-1.0.dtd/"), NS_ITUNES},
	{NSURI("http://www.w3.org/1999/xhtml"), NS_XHTML},
	{NSURI("http://www.w3.org/XML/1998/namespace"), NS_XML},
};

/* What a captured element's text becomes. */
enum field {
	F_NONE,
	F_TITLE,
	F_SUBTITLE,
	F_RIGHTS,
	F_SUMMARY,
	F_CONTENT,
	F_LINK,
	F_ID,
	F_GUID,
	F_COMMENTS,
	F_PUBLISHED,
	F_UPDATED,
	F_LANGUAGE,
	F_GENERATOR,
	F_ICON,
	F_LOGO,
	F_TTL,
	F_AUTHOR, /* RSS-style "email (Name)" string */
	F_PNAME,
	F_PEMAIL,
	F_PURI,
	F_CATEGORY,
	F_IMG_URL,
	F_IMG_TITLE,
	F_IMG_LINK,
	F_DCDATE,   /* dc:date: updated, and published when none is given */
	F_KEYWORDS, /* itunes:keywords, comma-separated categories */
	F_TAGS,     /* <tags>: comma-separated categories (a made-up element
		     * some feeds use; feedparser reads it the same way) */
};

struct frame {
	char *xmlns; /* inside captured markup: a foreign namespace (SVG, MathML) */
	char *base;  /* effective xml:base; owned when base_owned */
	char *lang;
	unsigned base_owned : 1, lang_owned : 1;
	unsigned char ns;
};

struct capture {
	int depth; /* element depth of the captured element; 0 = none */
	enum field field;
	int construct; /* a text construct: title, summary, content... */
	int markup;    /* serialize child elements, escape text */
	int base64;
	int atom;   /* Atom element: type is as declared, no guessing */
	int atom10; /* Atom 1.0: an xhtml construct's wrapper div goes */
	enum parse_type type;
	char *mime; /* declared type other than text/html/xhtml */
	char *src;
	char *scheme, *label; /* category attributes */
	int permalink;        /* RSS guid isPermaLink */
	/* xhtml wrapper div */
	int top_elems, top_text, div_first;
	size_t div_in, div_out;
	struct buf b;
};

struct parse {
	XML_Parser xp;
	struct pdec dec;
	struct buf chunk; /* decoded bytes of the current feed call */
	struct buf keep;  /* the decoded document, for recovery */
	int keep_full;
	parse_item_cb cb;
	void *user;
	char *docurl;
	struct frame stack[PARSE_MAX_DEPTH + 2];
	int depth;
	int root_seen, infeed, initem, inimage, intextinput, insource, inperson;
	int netscape;  /* DOCTYPE of RSS 0.91 Netscape */
	int rss090;    /* the RSS 0.90 namespace was declared */
	int core_atom; /* root <feed> without namespace: core names are Atom */
	struct parse_item item;
	size_t person; /* 1 + index of the Atom author being read; 0 = none */
	int person_initem;
	struct parse_meta meta;
	struct capture cap;
	char *alias_uri; /* namespace of a root <feed> we did not know */
	enum ns alias_ns;
	int broken;        /* expat gave up: stop feeding it */
	int fatal;         /* a limit or the caller stopped us: no recovery */
	size_t skip_items; /* recovery: items already delivered */
	size_t seen_items;
	char err[256];
};

/* ---------------------------------------------------------------- helpers */

static char *
dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static char *
dup0(const char *s)
{
	return s ? dupn(s, strlen(s)) : NULL;
}

static void
set_str(char **dst, char *v)
{
	free(*dst);
	*dst = v;
}

/* Trimmed copy of a buffer's contents. */
static char *
trimmed(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return dupn(s, n);
}

static void
fail(struct parse *p, const char *fmt, const char *what)
{
	if (p->err[0] == '\0') {
		char msg[200];
		snprintf(msg, sizeof msg, fmt, what);
		snprintf(p->err, sizeof p->err, "line %lu, column %lu: %s",
			 (unsigned long)XML_GetCurrentLineNumber(p->xp),
			 (unsigned long)XML_GetCurrentColumnNumber(p->xp) + 1, msg);
	}
	p->fatal = 1;
	XML_StopParser(p->xp, XML_FALSE);
}

/* A URI as written when absolute (urljoin keeps it verbatim), else resolved. */
static char *
resolve(const char *base, const char *ref)
{
	size_t i = 0;

	if (ref == NULL)
		return NULL;
	while (isspace((unsigned char)*ref))
		ref++;
	while (isalnum((unsigned char)ref[i]) || ref[i] == '+' || ref[i] == '-' || ref[i] == '.')
		i++;
	if (i > 0 && ref[i] == ':' && isalpha((unsigned char)ref[0]))
		return dup0(ref);
	if (base == NULL || *base == '\0')
		return dup0(ref);
	if (*ref == '\0')
		return dup0(base);
	return url_resolve(base, ref);
}

static enum ns
ns_of(const char *name, const char **local)
{
	const char *sep = strchr(name, NS_SEP);

	if (sep == NULL) {
		*local = name;
		return NS_CORE;
	}
	*local = sep + 1;
	size_t n = (size_t)(sep - name);
	for (size_t i = 0; i < sizeof ns_table / sizeof ns_table[0]; i++)
		if (ns_table[i].len == n && strncasecmp(name, ns_table[i].uri, n) == 0)
			return ns_table[i].ns;
	if (n >= 28 && strncasecmp(name, "http://purl.org/dc/elements/", 28) == 0)
		return NS_DC;
	if (n >= 31 && strncasecmp(name, "http://backend.userland.com/rss", 31) == 0)
		return NS_CORE;
	return NS_OTHER;
}

static const char *
attr(const XML_Char **atts, const char *want)
{
	for (int i = 0; atts[i]; i += 2) {
		const char *local;
		enum ns ns = ns_of(atts[i], &local);
		if ((ns == NS_CORE || ns == NS_ATOM10 || ns == NS_ATOM03) && !strcmp(local, want))
			return atts[i + 1];
	}
	return NULL;
}

static int
grow(void **arr, size_t *n, size_t size)
{
	if (*n >= PARSE_MAX_LIST)
		return -1;
	void *a = realloc(*arr, (*n + 1) * size);
	if (a == NULL)
		return -1;
	memset((char *)a + *n * size, 0, size);
	*arr = a;
	(*n)++;
	return 0;
}

/* ---------------------------------------------------------------- freeing */

static void
text_free(struct parse_text *t)
{
	if (t->text != t->value)
		free(t->text);
	free(t->value);
	free(t->mime);
	free(t->base);
	free(t->lang);
	free(t->src);
	memset(t, 0, sizeof *t);
}

static void
lists_free(struct parse_lists *l)
{
	for (size_t i = 0; i < l->nlinks; i++) {
		struct parse_link *k = &l->links[i];
		free(k->href), free(k->rel), free(k->type), free(k->title), free(k->length),
			free(k->hreflang);
	}
	for (size_t i = 0; i < l->nauthors; i++)
		free(l->authors[i].name), free(l->authors[i].email), free(l->authors[i].uri);
	for (size_t i = 0; i < l->ncategories; i++)
		free(l->categories[i].term), free(l->categories[i].scheme),
			free(l->categories[i].label);
	free(l->links);
	free(l->authors);
	free(l->categories);
	memset(l, 0, sizeof *l);
}

static void
item_free(struct parse_item *it)
{
	free(it->guid), free(it->link), free(it->comments);
	text_free(&it->title), text_free(&it->summary), text_free(&it->rights);
	for (size_t i = 0; i < it->ncontent; i++)
		text_free(&it->content[i]);
	free(it->content);
	free(it->published_raw), free(it->updated_raw);
	lists_free(&it->l);
	for (size_t i = 0; i < it->nenclosures; i++)
		free(it->enclosures[i].url), free(it->enclosures[i].type),
			free(it->enclosures[i].length);
	free(it->enclosures);
	memset(it, 0, sizeof *it);
}

static void
meta_free(struct parse_meta *m)
{
	free(m->version);
	text_free(&m->title), text_free(&m->subtitle), text_free(&m->rights);
	free(m->id), free(m->link), free(m->language), free(m->generator), free(m->icon),
		free(m->logo);
	free(m->published_raw), free(m->updated_raw);
	lists_free(&m->l);
	free(m->image_url), free(m->image_title), free(m->image_link);
	free(m->bozo_reason);
}

static void
cap_reset(struct capture *c)
{
	struct buf b = c->b;

	free(c->mime), free(c->src), free(c->scheme), free(c->label);
	memset(c, 0, sizeof *c);
	buf_reset(&b);
	c->b = b;
}

/* ---------------------------------------------------------------- text constructs */

static void on_text_raw(struct parse *p, const XML_Char *s, int len);

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

static const char *
frame_base(struct parse *p)
{
	return p->stack[p->depth].base;
}

static const char *
frame_lang(struct parse *p)
{
	const char *l = p->stack[p->depth].lang;
	return l ? l : p->meta.language;
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
static int
finish_text(struct parse *p, struct parse_text *t)
{
	struct capture *c = &p->cap;
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
	text_free(t);
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
		fail(p, "HTML: %s", err);
		goto out;
	}
	t->value = r.html;
	t->text = r.text;
	rc = 0;
out:
	buf_free(&clean);
	return rc;
}

/* ---------------------------------------------------------------- authors, links */

static void begin(struct parse *p, enum field f);

/* "email (Name)", "Name <email>", "email" or "Name". */
static int
split_author(const char *s, struct parse_person *who)
{
	const char *at = strchr(s, '@');
	char *name = NULL, *email = NULL;

	if (at) {
		const char *st = at, *en = at;
		while (st > s && !isspace((unsigned char)st[-1]) && st[-1] != '(' && st[-1] != '<')
			st--;
		while (*en && !isspace((unsigned char)*en) && *en != ')' && *en != '>')
			en++;
		email = dupn(st, (size_t)(en - st));
		if (st > s && (st[-1] == '<' || st[-1] == '('))
			st--;
		if (*en == '>' || *en == ')')
			en++;
		struct buf b = {0};
		if (buf_append(&b, s, (size_t)(st - s)) < 0 || buf_puts(&b, en) < 0) {
			buf_free(&b);
			free(email);
			return -1;
		}
		/* what is left, without the parentheses around a name */
		char *rest = buf_detach(&b);
		if (rest == NULL) {
			free(email);
			return -1;
		}
		char *r = rest;
		size_t n = strlen(r);
		while (n && (isspace((unsigned char)*r) || *r == '('))
			r++, n--;
		while (n && (isspace((unsigned char)r[n - 1]) || r[n - 1] == ')'))
			n--;
		name = n ? dupn(r, n) : NULL;
		free(rest);
	} else {
		name = dup0(s);
	}
	who->name = name;
	who->email = email;
	return 0;
}

static int
add_author_string(struct parse *p, struct parse_lists *l, const char *s)
{
	if (*s == '\0')
		return 0;
	if (grow((void **)&l->authors, &l->nauthors, sizeof *l->authors) < 0)
		return 0; /* past the list limit: ignored */
	return split_author(s, &l->authors[l->nauthors - 1]);
	(void)p;
}

static struct parse_lists *
lists(struct parse *p)
{
	return p->initem ? &p->item.l : &p->meta.l;
}

/* Sets the item's or feed's link from an alternate HTML link. */
static void
maybe_link(struct parse *p, const struct parse_link *k)
{
	char **link = p->initem ? &p->item.link : &p->meta.link;

	if (k->href && *k->href && !strcmp(k->rel, "alternate") &&
	    (!strcmp(k->type, "text/html") || !strcmp(k->type, "application/xhtml+xml")))
		set_str(link, dup0(k->href));
}

static void
add_enclosure_of(struct parse *p, const struct parse_link *k)
{
	if (!p->initem || strcmp(k->rel, "enclosure") != 0 || k->href == NULL || !*k->href ||
	    grow((void **)&p->item.enclosures, &p->item.nenclosures, sizeof *p->item.enclosures) <
		    0)
		return;
	struct parse_enclosure *e = &p->item.enclosures[p->item.nenclosures - 1];
	e->url = dup0(k->href);
	e->type = dup0(k->type);
	e->length = dup0(k->length);
}

/* A link element; without href its text gives the href (F_LINK). */
static void
add_link(struct parse *p, const XML_Char **atts, const char *href, int atom)
{
	struct parse_lists *l = lists(p);
	const char *rel = attr(atts, "rel"), *type = attr(atts, "type");
	char *h = href ? resolve(frame_base(p), href) : dup0("");

	if (h == NULL)
		return;
	if (rel == NULL || *rel == '\0')
		rel = "alternate";
	if (type == NULL)
		type = !strcmp(rel, "self") ? "application/atom+xml" : "text/html";
	if (grow((void **)&l->links, &l->nlinks, sizeof *l->links) < 0) {
		free(h);
		return;
	}
	struct parse_link *k = &l->links[l->nlinks - 1];
	k->href = h;
	k->rel = dup0(rel);
	k->type = dup0(type);
	k->title = dup0(attr(atts, "title"));
	k->length = dup0(attr(atts, "length"));
	k->hreflang = dup0(attr(atts, "hreflang"));
	if (href) {
		maybe_link(p, k);
		add_enclosure_of(p, k);
	} else {
		begin(p, F_LINK);
		p->cap.permalink = (int)l->nlinks; /* which link the text completes */
	}
	(void)atom;
}

static void
add_enclosure(struct parse *p, const XML_Char **atts)
{
	const char *url = attr(atts, "url");

	if (url == NULL || !p->initem)
		return;
	char *u = resolve(frame_base(p), url);
	if (u == NULL)
		return;
	if (grow((void **)&p->item.enclosures, &p->item.nenclosures, sizeof *p->item.enclosures) <
	    0) {
		free(u);
		return;
	}
	struct parse_enclosure *e = &p->item.enclosures[p->item.nenclosures - 1];
	e->url = u;
	e->type = dup0(attr(atts, "type"));
	e->length = dup0(attr(atts, "length"));
	struct parse_lists *l = &p->item.l;
	if (grow((void **)&l->links, &l->nlinks, sizeof *l->links) == 0) {
		struct parse_link *k = &l->links[l->nlinks - 1];
		k->href = dup0(u);
		k->rel = dup0("enclosure");
		k->type = dup0(e->type);
		k->length = dup0(e->length);
	}
}

static void
add_category(struct parse *p, const char *term, const char *scheme, const char *label)
{
	struct parse_lists *l = lists(p);

	if ((term == NULL || *term == '\0') && (label == NULL || *label == '\0') &&
	    (scheme == NULL || *scheme == '\0'))
		return;
	if (grow((void **)&l->categories, &l->ncategories, sizeof *l->categories) < 0)
		return;
	struct parse_category *c = &l->categories[l->ncategories - 1];
	c->term = dup0(term && *term ? term : NULL);
	c->scheme = dup0(scheme && *scheme ? scheme : NULL);
	c->label = dup0(label && *label ? label : NULL);
}

/* ---------------------------------------------------------------- capture */

static void
begin(struct parse *p, enum field f)
{
	cap_reset(&p->cap);
	p->cap.depth = p->depth;
	p->cap.field = f;
}

/* A text construct: type from Atom's type/mode, else RSS's conventions. */
static void
begin_construct(struct parse *p, enum field f, enum ns ns, const XML_Char **atts,
		enum parse_type dflt)
{
	const char *type = attr(atts, "type"), *mode = attr(atts, "mode");
	struct capture *c = &p->cap;

	begin(p, f);
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
		const char *src = attr(atts, "src");
		if (src)
			c->src = resolve(frame_base(p), src);
	}
	if (c->type == PARSE_TYPE_XHTML)
		c->markup = 1;
}

static int
cap_append(struct parse *p, const char *s, size_t n)
{
	if (p->cap.b.len + n > PARSE_MAX_FIELD) {
		fail(p, "text field longer than %s bytes", "2097152");
		return -1;
	}
	if (buf_append(&p->cap.b, s, n) < 0) {
		fail(p, "%s", "out of memory");
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
stray_div(const struct capture *c, enum ns ns, const char *local)
{
	return !c->markup && c->type != PARSE_TYPE_XHTML && (ns == NS_XHTML || ns == NS_CORE) &&
	       !strcmp(local, "div");
}

/* A child element inside captured text, written back as markup. */
static void
cap_start(struct parse *p, const XML_Char *name, const XML_Char **atts)
{
	struct capture *c = &p->cap;
	const char *local;
	enum ns ns = ns_of(name, &local);

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
		struct frame *f = &p->stack[p->depth], *up = &p->stack[p->depth - 1];
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
		enum ns ans = ns_of(atts[i], &al);
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

static void
cap_end(struct parse *p, const XML_Char *name)
{
	struct capture *c = &p->cap;
	const char *local;
	static const char *const voids[] = {"br",     "hr",   "img",  "input", "meta",
					    "link",   "area", "base", "col",   "param",
					    "source", "wbr",  "embed"};

	enum ns ns = ns_of(name, &local);

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

static void XMLCALL
on_text(void *u, const XML_Char *s, int len)
{
	struct parse *p = u;

	if (p->cap.depth == 0 || p->fatal)
		return;
	if (memchr(s, 0xC2, (size_t)len))
		demoronize(p, s, len);
	else
		on_text_raw(p, s, len);
}

static void
on_text_raw(struct parse *p, const XML_Char *s, int len)
{
	struct capture *c = &p->cap;

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

static void XMLCALL
on_skipped(void *u, const XML_Char *name, int is_param)
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

/* ---------------------------------------------------------------- storing */

static struct parse_text *
construct_target(struct parse *p, enum field f)
{
	if (p->initem) {
		switch (f) {
		case F_TITLE: return &p->item.title;
		case F_SUMMARY: return &p->item.summary;
		case F_RIGHTS: return &p->item.rights;
		default: return NULL;
		}
	}
	switch (f) {
	case F_TITLE: return &p->meta.title;
	case F_SUBTITLE: return &p->meta.subtitle;
	case F_RIGHTS: return &p->meta.rights;
	default: return NULL;
	}
}

static void
store_date(char *v, char **raw, int64_t *when)
{
	int64_t t;

	set_str(raw, v);
	*when = date_parse(v, &t) == 0 ? t : 0;
}

static void
store_link_text(struct parse *p, char *v)
{
	struct parse_lists *l = lists(p);
	size_t i = (size_t)p->cap.permalink;

	if (i == 0 || i > l->nlinks) {
		free(v);
		return;
	}
	struct parse_link *k = &l->links[i - 1];
	set_str(&k->href, resolve(frame_base(p), v));
	free(v);
	if (k->href == NULL)
		return;
	maybe_link(p, k);
	add_enclosure_of(p, k);
}

/* The author being read, looked up each time: the list may have moved. */
static struct parse_person *
cur_person(struct parse *p)
{
	struct parse_lists *l = p->person_initem ? &p->item.l : &p->meta.l;

	if (p->person == 0 || p->person > l->nauthors || p->person_initem != p->initem)
		return NULL;
	return &l->authors[p->person - 1];
}

static void
store_person(struct parse *p, enum field f, char *v)
{
	struct parse_person *who = cur_person(p);

	if (who == NULL) {
		free(v);
		return;
	}
	if (f == F_PNAME)
		set_str(&who->name, v);
	else if (f == F_PEMAIL)
		set_str(&who->email, v);
	else {
		set_str(&who->uri, resolve(frame_base(p), v));
		free(v);
	}
}

/* Plain (non-construct) fields. */
static void
store_plain(struct parse *p, enum field f, char *v)
{
	struct parse_item *it = &p->item;
	struct parse_meta *m = &p->meta;
	int in = p->initem;

	switch (f) {
	case F_LINK: store_link_text(p, v); return;
	case F_ID:
	case F_GUID:
		set_str(in ? &it->guid : &m->id,
			f == F_GUID && !p->cap.permalink ? dup0(v) : resolve(frame_base(p), v));
		if (f == F_GUID && in && p->cap.permalink && it->link == NULL)
			it->link = dup0(it->guid);
		break;
	case F_COMMENTS:
		if (in)
			set_str(&it->comments, resolve(frame_base(p), v));
		break;
	case F_PUBLISHED:
		store_date(v, in ? &it->published_raw : &m->published_raw,
			   in ? &it->published : &m->published);
		return;
	case F_UPDATED:
		store_date(v, in ? &it->updated_raw : &m->updated_raw,
			   in ? &it->updated : &m->updated);
		return;
	case F_DCDATE:
		if ((in ? it->published_raw : m->published_raw) == NULL)
			store_date(dup0(v), in ? &it->published_raw : &m->published_raw,
				   in ? &it->published : &m->published);
		store_date(v, in ? &it->updated_raw : &m->updated_raw,
			   in ? &it->updated : &m->updated);
		return;
	case F_LANGUAGE:
		if (!in)
			set_str(&m->language, v), v = NULL;
		break;
	case F_GENERATOR: set_str(&m->generator, v); return;
	case F_ICON: set_str(&m->icon, resolve(frame_base(p), v)); break;
	case F_LOGO: set_str(&m->logo, resolve(frame_base(p), v)); break;
	case F_TTL: m->ttl = atoi(v); break;
	case F_AUTHOR: add_author_string(p, lists(p), v); break;
	case F_PNAME:
	case F_PEMAIL:
	case F_PURI: store_person(p, f, v); return;
	case F_CATEGORY: add_category(p, v, p->cap.scheme, p->cap.label); break;
	case F_KEYWORDS:
	case F_TAGS:
		for (char *k = strtok(v, ","); k; k = strtok(NULL, ",")) {
			char *t = trimmed(k, strlen(k));
			if (t && *t)
				add_category(p, t, f == F_TAGS ? NULL : "http://www.itunes.com/",
					     NULL);
			free(t);
		}
		break;
	case F_IMG_URL: set_str(&m->image_url, resolve(frame_base(p), v)); break;
	case F_IMG_TITLE: set_str(&m->image_title, v); return;
	case F_IMG_LINK: set_str(&m->image_link, resolve(frame_base(p), v)); break;
	default: break;
	}
	free(v);
}

static void
store_capture(struct parse *p)
{
	struct capture *c = &p->cap;

	if (c->construct) {
		/* RSS with both description and summary: the second is content */
		if (c->field == F_SUMMARY && p->initem && !c->atom && p->item.summary.value)
			c->field = F_CONTENT;
		struct parse_text *t = construct_target(p, c->field);
		if (c->field == F_CONTENT && p->initem) {
			if (grow((void **)&p->item.content, &p->item.ncontent,
				 sizeof *p->item.content) < 0)
				return;
			t = &p->item.content[p->item.ncontent - 1];
		}
		if (t)
			finish_text(p, t);
		return;
	}
	char *v = trimmed(buf_str(&c->b), c->b.len);
	if (v == NULL) {
		fail(p, "%s", "out of memory");
		return;
	}
	store_plain(p, c->field, v);
}

/* ---------------------------------------------------------------- items */

static int
text_copy(struct parse_text *dst, const struct parse_text *src)
{
	dst->type = src->type;
	dst->value = dup0(src->value);
	dst->text = src->text == src->value ? dst->value : dup0(src->text);
	dst->mime = dup0(src->mime);
	dst->base = dup0(src->base);
	dst->lang = dup0(src->lang);
	return dst->value && dst->text ? 0 : -1;
}

static void
item_begin(struct parse *p)
{
	item_free(&p->item);
	p->initem = 1;
}

static void
item_end(struct parse *p)
{
	struct parse_item *it = &p->item;

	p->initem = 0;
	if (it->summary.value == NULL && it->ncontent > 0 && it->content[0].mime == NULL)
		text_copy(&it->summary, &it->content[0]);
	if (++p->seen_items > p->skip_items) {
		if (p->meta.nitems >= PARSE_MAX_ITEMS) {
			fail(p, "more than %s items in one document", "20000");
		} else if (p->cb && p->cb(it, p->user) != 0) {
			fail(p, "%s", "stopped by the item callback");
		} else {
			p->meta.nitems++;
		}
	}
	item_free(it);
}

/* ---------------------------------------------------------------- dispatch */

static const struct {
	const char *attr, *format;
} rss_versions[] = {
	{"0.91", "rss091u"}, {"0.92", "rss092"}, {"0.93", "rss093"}, {"0.94", "rss094"},
	{"2.0", "rss20"},    {"2.00", "rss20"},  {"2", "rss20"},
};

/* CDF (Microsoft's Channel Definition Format) keeps link and date in
 * attributes of CHANNEL and ITEM. */
static void
cdf_attrs(struct parse *p, const XML_Char **atts)
{
	int in = p->initem;

	for (int i = 0; atts[i]; i += 2) {
		if (!strcasecmp(atts[i], "href"))
			add_link(p, atts, atts[i + 1], 0);
		else if (!strcasecmp(atts[i], "lastmod"))
			store_date(dup0(atts[i + 1]),
				   in ? &p->item.updated_raw : &p->meta.updated_raw,
				   in ? &p->item.updated : &p->meta.updated);
	}
}

static void
root(struct parse *p, const char *name, enum ns ns, const char *local, const XML_Char **atts)
{
	const char *v = attr(atts, "version");
	struct parse_meta *m = &p->meta;

	if (ns == NS_CORE && !strcmp(local, "rss")) {
		m->format = "rss";
		for (size_t i = 0; v && i < sizeof rss_versions / sizeof rss_versions[0]; i++)
			if (!strcmp(v, rss_versions[i].attr))
				m->format = rss_versions[i].format;
		if (v && !strncmp(v, "2.", 2))
			m->format = "rss20";
		if (p->netscape && !strcmp(m->format, "rss091u"))
			m->format = "rss091n";
		m->version = dup0(v ? v : "");
	} else if (ns == NS_RDF && !strcmp(local, "RDF")) {
		m->format = p->rss090 ? "rss090" : "rss10";
		m->version = dup0(p->rss090 ? "0.9" : "1.0");
	} else if ((ns == NS_ATOM10 || ns == NS_ATOM03 || ns == NS_CORE) &&
		   !strcmp(local, "feed")) {
		int a03 = ns == NS_ATOM03 || (ns == NS_CORE && v && !strcmp(v, "0.3"));
		m->format = a03 ? "atom03" : ns == NS_ATOM10 ? "atom10" : "atom";
		m->version = dup0(v ? v : a03 ? "0.3" : "1.0");
		p->infeed = 1;
		if (ns == NS_CORE)
			p->core_atom = a03 ? NS_ATOM03 : NS_ATOM10;
	} else if (ns == NS_CORE && !strcasecmp(local, "channel")) {
		m->format = "cdf";
		m->version = dup0("");
		p->infeed = 1;
		cdf_attrs(p, atts);
	}
	(void)name;
}

/* The local names of the core vocabularies, matched without case (feeds
 * write pubdate, PubDate, ...): looked up once per element. Sorted. */
/* clang-format off */
#define PARSE_KEYS(X) \
	X(abstract) X(author) X(body) X(category) X(channel) X(comments) X(content) \
	X(contributor) X(copyright) X(description) X(email) X(enclosure) X(entry) \
	X(fullitem) X(generator) X(guid) X(homepage) X(icon) X(id) X(image) X(issued) \
	X(item) X(language) X(lastbuilddate) X(link) X(logo) X(managingeditor) \
	X(modified) X(name) X(pubdate) X(published) X(rights) X(source) X(subtitle) \
	X(summary) X(tagline) X(tags) X(textinput) X(title) X(ttl) X(updated) X(uri) \
	X(url) X(webmaster)
#define PARSE_KEY_ENUM(n) K_##n,
#define PARSE_KEY_NAME(n) #n,
enum key { K_NONE = -1, PARSE_KEYS(PARSE_KEY_ENUM) };
static const char *const key_names[] = {PARSE_KEYS(PARSE_KEY_NAME)};
/* clang-format on */

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(a, *(const char *const *)b);
}

static enum key
key_of(const char *l)
{
	char low[16];
	size_t n = 0;

	for (; l[n]; n++) {
		if (n == sizeof low - 1)
			return K_NONE;
		low[n] = (char)(l[n] >= 'A' && l[n] <= 'Z' ? l[n] + 32 : l[n]);
	}
	low[n] = '\0';
	const char *const *hit = bsearch(low, key_names, sizeof key_names / sizeof key_names[0],
					 sizeof key_names[0], key_cmp);
	return hit ? (enum key)(hit - key_names) : K_NONE;
}

static int
atomish(enum ns ns)
{
	return ns == NS_ATOM10 || ns == NS_ATOM03;
}

/* Elements of the core vocabularies (RSS, Atom). */
static int
start_core(struct parse *p, enum ns ns, enum key k, const XML_Char **atts)
{
	int in = p->initem;

	if (k == K_title)
		begin_construct(p, F_TITLE, ns, atts, PARSE_TYPE_TEXT);
	else if (k == K_description)
		begin_construct(p, in ? F_SUMMARY : F_SUBTITLE, ns, atts, PARSE_TYPE_HTML);
	else if (k == K_subtitle || k == K_tagline)
		begin_construct(p, F_SUBTITLE, ns, atts, PARSE_TYPE_TEXT);
	else if (k == K_summary && in)
		begin_construct(p, F_SUMMARY, ns, atts, PARSE_TYPE_TEXT);
	else if (k == K_content && in)
		begin_construct(p, F_CONTENT, ns, atts, PARSE_TYPE_TEXT);
	else if (k == K_rights || k == K_copyright)
		begin_construct(p, F_RIGHTS, ns, atts, PARSE_TYPE_TEXT);
	else if (k == K_link)
		add_link(p, atts, attr(atts, "href"), atomish(ns));
	else if (k == K_id)
		begin(p, F_ID);
	else if (k == K_guid) {
		const char *perma = attr(atts, "isPermaLink");
		begin(p, F_GUID);
		p->cap.permalink = perma == NULL || strcasecmp(perma, "false") != 0;
	} else if (k == K_comments)
		begin(p, F_COMMENTS);
	else if (k == K_pubdate || k == K_published || k == K_issued)
		begin(p, F_PUBLISHED);
	else if (k == K_updated || k == K_modified || k == K_lastbuilddate)
		begin(p, F_UPDATED);
	else if (k == K_language)
		begin(p, F_LANGUAGE);
	else if (k == K_generator)
		begin(p, F_GENERATOR);
	else if (k == K_icon)
		begin(p, F_ICON);
	else if (k == K_logo)
		begin(p, F_LOGO);
	else if (k == K_ttl)
		begin(p, F_TTL);
	else if (!atomish(ns) && (k == K_author || (!in && k == K_managingeditor)))
		begin(p, F_AUTHOR);
	else if (k == K_category) {
		const char *term = attr(atts, "term");
		if (atomish(ns) || term)
			add_category(p, term, attr(atts, "scheme"), attr(atts, "label"));
		else {
			begin(p, F_CATEGORY);
			p->cap.scheme = dup0(attr(atts, "domain"));
		}
	} else if (k == K_tags && !atomish(ns))
		begin(p, F_TAGS);
	else if (k == K_enclosure)
		add_enclosure(p, atts);
	else if (k == K_webmaster && !in && p->meta.l.nauthors == 0)
		begin(p, F_AUTHOR);
	else if (k == K_body && in && !atomish(ns))
		begin_construct(p, F_CONTENT, ns, atts, PARSE_TYPE_XHTML);
	else if (k == K_abstract)
		begin_construct(p, in ? F_SUMMARY : F_SUBTITLE, ns, atts, PARSE_TYPE_TEXT);
	else if (k == K_fullitem && in)
		begin_construct(p, F_CONTENT, ns, atts, PARSE_TYPE_HTML);
	else
		return -1;
	return 0;
}

static void
start_ext(struct parse *p, enum ns ns, const char *l, const XML_Char **atts)
{
	struct parse_lists *ls = lists(p);

	switch (ns) {
	case NS_DC:
		if (!strcmp(l, "title"))
			begin_construct(p, F_TITLE, ns, atts, PARSE_TYPE_TEXT);
		else if (!strcmp(l, "description"))
			begin_construct(p, p->initem ? F_SUMMARY : F_SUBTITLE, ns, atts,
					PARSE_TYPE_HTML);
		else if (!strcmp(l, "creator") || !strcmp(l, "author"))
			begin(p, F_AUTHOR);
		else if (!strcmp(l, "date"))
			begin(p, F_DCDATE);
		else if (!strcmp(l, "subject"))
			begin(p, F_CATEGORY);
		else if (!strcmp(l, "rights"))
			begin_construct(p, F_RIGHTS, ns, atts, PARSE_TYPE_TEXT);
		else if (!strcmp(l, "language"))
			begin(p, F_LANGUAGE);
		break;
	case NS_DCTERMS:
		if (!strcmp(l, "modified"))
			begin(p, F_UPDATED);
		else if (!strcmp(l, "issued"))
			begin(p, F_PUBLISHED);
		break;
	case NS_CONTENT:
		if (!strcmp(l, "encoded") && p->initem)
			begin_construct(p, F_CONTENT, ns, atts, PARSE_TYPE_HTML);
		break;
	case NS_XHTML:
		if (!strcmp(l, "body") && p->initem)
			begin_construct(p, F_CONTENT, ns, atts, PARSE_TYPE_XHTML);
		break;
	case NS_ITUNES:
		if (!strcmp(l, "author") && ls->nauthors == 0)
			begin(p, F_AUTHOR);
		else if (!strcmp(l, "category"))
			add_category(p, attr(atts, "text"), "http://www.itunes.com/", NULL);
		else if (!strcmp(l, "summary") &&
			 !(p->initem ? p->item.summary.value : p->meta.subtitle.value))
			begin_construct(p, p->initem ? F_SUMMARY : F_SUBTITLE, ns, atts,
					PARSE_TYPE_TEXT);
		else if (!strcmp(l, "keywords"))
			begin(p, F_KEYWORDS);
		else if (!strcmp(l, "link") && !p->initem && !p->meta.image_url &&
			 attr(atts, "rel") && !strcmp(attr(atts, "rel"), "image") &&
			 attr(atts, "href"))
			p->meta.image_url = resolve(frame_base(p), attr(atts, "href"));
		else if (!strcmp(l, "subtitle") && !p->initem && !p->meta.subtitle.value)
			begin_construct(p, F_SUBTITLE, ns, atts, PARSE_TYPE_TEXT);
		else if (!strcmp(l, "image") && !p->initem && !p->meta.image_url &&
			 (attr(atts, "href") || attr(atts, "url")))
			p->meta.image_url =
				resolve(frame_base(p), attr(atts, "href") ? attr(atts, "href")
									  : attr(atts, "url"));
		break;
	case NS_MEDIA:
		if ((!strcmp(l, "content") || !strcmp(l, "thumbnail")) && !p->initem &&
		    !p->meta.image_url && attr(atts, "url")) {
			const char *medium = attr(atts, "medium"), *type = attr(atts, "type");
			if (!strcmp(l, "thumbnail") || (medium && !strcmp(medium, "image")) ||
			    (type && !strncmp(type, "image/", 6)))
				p->meta.image_url = resolve(frame_base(p), attr(atts, "url"));
		} else if (!strcmp(l, "category")) {
			const char *sc = attr(atts, "scheme");
			begin(p, F_CATEGORY);
			p->cap.scheme =
				dup0(sc ? sc : "http://search.yahoo.com/mrss/category_schema");
			p->cap.label = dup0(attr(atts, "label"));
		} else if (!strcmp(l, "title") && p->initem && !p->item.title.value) {
			begin_construct(p, F_TITLE, ns, atts, PARSE_TYPE_TEXT);
		} else if (!strcmp(l, "description") && p->initem && !p->item.summary.value) {
			begin_construct(p, F_SUMMARY, ns, atts, PARSE_TYPE_TEXT);
		}
		break;
	default: break;
	}
}

static void
start_person(struct parse *p, enum key k)
{
	if (k == K_name)
		begin(p, F_PNAME);
	else if (k == K_email)
		begin(p, F_PEMAIL);
	else if (k == K_uri || k == K_url || k == K_homepage)
		begin(p, F_PURI);
}

/* ns_of, with the namespace of an unknown Atom-like root taken as Atom. */
static enum ns
ns_of_p(struct parse *p, const char *name, const char **local)
{
	enum ns ns = ns_of(name, local);

	if (ns == NS_CORE && p->core_atom)
		return (enum ns)p->core_atom;
	if (ns == NS_OTHER && p->alias_uri && *local - name - 1 == (long)strlen(p->alias_uri) &&
	    !strncmp(name, p->alias_uri, strlen(p->alias_uri)))
		return p->alias_ns;
	return ns;
}

static void
dispatch_start(struct parse *p, const char *name, const XML_Char **atts)
{
	const char *l;
	enum ns ns = ns_of_p(p, name, &l);
	int core = ns == NS_CORE || atomish(ns);

	if (!p->root_seen) {
		p->root_seen = 1;
		if (ns == NS_OTHER && !strcmp(l, "feed")) {
			const char *v = attr(atts, "version");
			p->alias_ns = v && !strcmp(v, "0.3") ? NS_ATOM03 : NS_ATOM10;
			p->alias_uri = dupn(name, (size_t)(l - name - 1));
			ns = p->alias_ns;
		}
		root(p, name, ns, l, atts);
		if (p->stack[p->depth].lang && p->meta.language == NULL)
			p->meta.language = dup0(p->stack[p->depth].lang);
		return;
	}
	if (p->insource)
		return;
	enum key k = key_of(l);
	if (core && k == K_channel) {
		p->infeed = 1;
		if (p->meta.format && !strcmp(p->meta.format, "rss10") &&
		    strstr(name, "netscape")) {
			p->meta.format = "rss090";
			set_str(&p->meta.version, dup0("0.9"));
		}
	} else if (core && (k == K_item || (atomish(ns) && k == K_entry))) {
		item_begin(p);
		for (int i = 0; atts[i]; i += 2) {
			const char *al;
			if (ns_of(atts[i], &al) == NS_RDF && !strcmp(al, "about"))
				p->item.guid = resolve(frame_base(p), atts[i + 1]);
		}
		if (p->meta.format && !strcmp(p->meta.format, "cdf"))
			cdf_attrs(p, atts);
	} else if (atomish(ns) && k == K_source && p->initem) {
		p->insource = p->depth;
	} else if (core && !atomish(ns) && k == K_image) {
		p->inimage = p->depth;
	} else if (core && k == K_textinput) {
		p->intextinput = p->depth;
	} else if (p->intextinput) {
		return;
	} else if (atomish(ns) && (k == K_author || k == K_contributor)) {
		struct parse_lists *ls = lists(p);
		p->inperson = p->depth;
		p->person = 0;
		p->person_initem = p->initem;
		if (k == K_author &&
		    grow((void **)&ls->authors, &ls->nauthors, sizeof *ls->authors) == 0)
			p->person = ls->nauthors;
	} else if (p->inperson) {
		if (core)
			start_person(p, k);
	} else if (p->inimage) {
		if (k == K_url)
			begin(p, F_IMG_URL);
		else if (k == K_title)
			begin(p, F_IMG_TITLE);
		else if (k == K_link)
			begin(p, F_IMG_LINK);
	} else if (core) {
		/* an unknown element's children are not the item's or feed's */
		if (start_core(p, ns, k, atts) < 0 && (p->initem || p->infeed))
			p->insource = p->depth;
	} else {
		start_ext(p, ns, l, atts);
	}
}

static void
dispatch_end(struct parse *p, const char *name)
{
	const char *l;
	enum ns ns;
	enum key k;

	if (p->insource) {
		if (p->depth == p->insource)
			p->insource = 0;
		return;
	}
	if (p->inperson == p->depth) {
		struct parse_lists *ls = lists(p);
		struct parse_person *who = cur_person(p);
		p->inperson = 0;
		/* an author element with nothing in it is no author */
		if (who && p->person == ls->nauthors && !who->name && !who->email && !who->uri)
			ls->nauthors--;
		p->person = 0;
	} else if (p->inimage == p->depth) {
		p->inimage = 0;
	} else if (p->intextinput == p->depth) {
		p->intextinput = 0;
	} else if (p->initem && ((ns = ns_of_p(p, name, &l)) == NS_CORE || atomish(ns)) &&
		   ((k = key_of(l)) == K_item || k == K_entry)) {
		item_end(p);
	}
}

/* ---------------------------------------------------------------- expat callbacks */

static int
push_frame(struct parse *p, const XML_Char **atts)
{
	struct frame *up = &p->stack[p->depth], *f = &p->stack[p->depth + 1];

	f->base = up->base;
	f->lang = up->lang;
	f->base_owned = f->lang_owned = 0;
	for (int i = 0; atts[i]; i += 2) {
		const char *l;
		if (ns_of(atts[i], &l) != NS_XML)
			continue;
		if (!strcmp(l, "base")) {
			char *b = resolve(up->base, atts[i + 1]);
			if (b == NULL)
				return -1;
			if (f->base_owned)
				free(f->base);
			f->base = b;
			f->base_owned = 1;
		} else if (!strcmp(l, "lang")) {
			char *g = dup0(atts[i + 1]);
			if (g == NULL)
				return -1;
			for (char *c = g; *c; c++)
				if (*c == '_')
					*c = '-';
			if (f->lang_owned)
				free(f->lang);
			f->lang = g;
			f->lang_owned = 1;
		}
	}
	p->depth++;
	return 0;
}

static void
pop_frame(struct parse *p)
{
	struct frame *f = &p->stack[p->depth];

	if (f->base_owned)
		free(f->base);
	if (f->lang_owned)
		free(f->lang);
	free(f->xmlns);
	f->xmlns = NULL;
	f->base = f->lang = NULL;
	f->base_owned = f->lang_owned = 0;
	p->depth--;
}

static void XMLCALL
on_start(void *u, const XML_Char *name, const XML_Char **atts)
{
	struct parse *p = u;

	if (p->fatal)
		return;
	if (p->depth >= PARSE_MAX_DEPTH) {
		fail(p, "elements nested deeper than %s", "256");
		return;
	}
	if (push_frame(p, atts) < 0) {
		fail(p, "%s", "out of memory");
		return;
	}
	if (p->cap.depth) {
		cap_start(p, name, atts);
		return;
	}
	dispatch_start(p, name, atts);
}

static void XMLCALL
on_end(void *u, const XML_Char *name)
{
	struct parse *p = u;

	if (p->fatal)
		return;
	if (p->cap.depth) {
		if (p->depth == p->cap.depth) {
			store_capture(p);
			cap_reset(&p->cap);
		} else {
			cap_end(p, name);
		}
	} else {
		dispatch_end(p, name);
	}
	pop_frame(p);
}

static void XMLCALL
on_nsdecl(void *u, const XML_Char *prefix, const XML_Char *uri)
{
	struct parse *p = u;

	(void)prefix;
	if (uri && strstr(uri, "netscape.com/rdf/simple/0.9"))
		p->rss090 = 1;
}

static void XMLCALL
on_doctype(void *u, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
	   int has_internal)
{
	struct parse *p = u;

	(void)name, (void)has_internal;
	if ((pubid && strstr(pubid, "Netscape")) || (sysid && strstr(sysid, "netscape")))
		p->netscape = 1;
}

/* The document's DTD is replaced by the built-in HTML entities; external
 * general entities are never fetched (they expand to nothing). */
static int XMLCALL
on_external(XML_Parser xp, const XML_Char *context, const XML_Char *base, const XML_Char *sysid,
	    const XML_Char *pubid)
{
	(void)base, (void)sysid, (void)pubid;
	if (context != NULL)
		return XML_STATUS_OK;
	XML_Parser ep = XML_ExternalEntityParserCreate(xp, NULL, NULL);
	if (ep == NULL)
		return XML_STATUS_ERROR;
	enum XML_Status st =
		XML_Parse(ep, parse_html_entities_dtd, (int)parse_html_entities_dtd_len, 1);
	XML_ParserFree(ep);
	return st;
}

static int
xml_new(struct parse *p)
{
	XML_Parser xp = XML_ParserCreateNS("UTF-8", NS_SEP);

	if (xp == NULL)
		return -1;
	XML_SetUserData(xp, p);
	XML_SetElementHandler(xp, on_start, on_end);
	XML_SetCharacterDataHandler(xp, on_text);
	XML_SetSkippedEntityHandler(xp, on_skipped);
	XML_SetStartDoctypeDeclHandler(xp, on_doctype);
	XML_SetStartNamespaceDeclHandler(xp, on_nsdecl);
	XML_SetExternalEntityRefHandler(xp, on_external);
	XML_SetParamEntityParsing(xp, XML_PARAM_ENTITY_PARSING_UNLESS_STANDALONE);
	XML_UseForeignDTD(xp, XML_TRUE);
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 4)
	XML_SetBillionLaughsAttackProtectionMaximumAmplification(xp, 100.0f);
	XML_SetBillionLaughsAttackProtectionActivationThreshold(xp, 4u << 20);
#endif
	p->xp = xp;
	return 0;
}

/* ---------------------------------------------------------------- public */

struct parse *
parse_new(const char *content_type, const char *document_url, parse_item_cb cb, void *user)
{
	struct parse *p = calloc(1, sizeof *p);

	if (p == NULL)
		return NULL;
	pdec_init(&p->dec, content_type);
	p->cb = cb;
	p->user = user;
	p->keep.limit = PARSE_RECOVER_MAX;
	if (document_url && *document_url) {
		p->docurl = dup0(document_url);
		if (p->docurl == NULL)
			goto fail;
	}
	p->stack[0].base = p->docurl;
	if (xml_new(p) < 0)
		goto fail;
	return p;
fail:
	parse_free(p);
	return NULL;
}

static int
push(struct parse *p, const char *s, size_t n, int final)
{
	if (!p->keep_full && buf_append(&p->keep, s, n) < 0) {
		p->keep_full = 1; /* too big to keep: no retry on error */
		buf_free(&p->keep);
	}
	if (p->broken || p->fatal)
		return p->fatal ? -1 : 0;
	if (XML_Parse(p->xp, s, (int)n, final) == XML_STATUS_ERROR) {
		if (p->fatal)
			return -1;
		char msg[256];
		snprintf(msg, sizeof msg, "line %lu, column %lu: %s",
			 (unsigned long)XML_GetErrorLineNumber(p->xp),
			 (unsigned long)XML_GetErrorColumnNumber(p->xp) + 1,
			 XML_ErrorString(XML_GetErrorCode(p->xp)));
		p->broken = 1;
		p->meta.bozo = 1;
		set_str(&p->meta.bozo_reason, dup0(msg));
		if (p->err[0] == '\0')
			snprintf(p->err, sizeof p->err, "%s", msg);
	}
	return 0;
}

int
parse_feed(struct parse *p, const void *chunk, size_t len)
{
	if (p->fatal)
		return -1;
	buf_reset(&p->chunk);
	while (len > 0) { /* expat takes an int length */
		size_t n = len > (1u << 30) ? (1u << 30) : len;
		if (pdec_feed(&p->dec, chunk, n, 0, &p->chunk) < 0) {
			snprintf(p->err, sizeof p->err, "out of memory");
			p->fatal = 1;
			return -1;
		}
		chunk = (const char *)chunk + n;
		len -= n;
	}
	return push(p, p->chunk.data, p->chunk.len, 0);
}

/* Parses the repaired document again; items already delivered are skipped. */
static void
recover(struct parse *p)
{
	struct buf fixed = {0};
	struct parse_meta keep = p->meta;

	if (parse_repair(p->keep.data, p->keep.len, PARSE_MAX_DEPTH, &fixed) < 0)
		goto out;
	XML_ParserFree(p->xp);
	p->xp = NULL;
	while (p->depth > 0)
		pop_frame(p);
	item_free(&p->item);
	cap_reset(&p->cap);
	p->root_seen = p->infeed = p->initem = p->inimage = p->intextinput = p->insource = 0;
	p->inperson = 0;
	p->person = 0;
	p->skip_items = p->meta.nitems;
	p->seen_items = 0;
	/* metadata is read again from the start; the bozo verdict stays */
	p->meta.bozo_reason = NULL;
	p->meta.version = NULL;
	meta_free(&p->meta);
	memset(&p->meta, 0, sizeof p->meta);
	p->meta.bozo = 1;
	p->meta.bozo_reason = keep.bozo_reason;
	p->meta.nitems = keep.nitems;
	free(keep.version);
	if (xml_new(p) < 0) {
		p->fatal = 1;
		goto out;
	}
	p->broken = 0;
	if (XML_Parse(p->xp, fixed.data ? fixed.data : "", (int)fixed.len, 1) == XML_STATUS_ERROR)
		p->broken = 1;
	else if (p->meta.format)
		p->err[0] = '\0'; /* recovered: a bozo feed, not a failure */
out:
	buf_free(&fixed);
}

int
parse_finish(struct parse *p)
{
	if (!p->fatal) {
		buf_reset(&p->chunk);
		if (pdec_feed(&p->dec, "", 0, 1, &p->chunk) < 0) {
			snprintf(p->err, sizeof p->err, "out of memory");
			p->fatal = 1;
		} else {
			push(p, p->chunk.data ? p->chunk.data : "", p->chunk.len, 1);
		}
	}
	if (p->broken && !p->fatal && !p->keep_full && p->keep.len > 0)
		recover(p);
	buf_free(&p->keep);
	p->keep_full = 1;
	p->meta.encoding = pdec_encoding(&p->dec);
	if (p->dec.bozo) {
		p->meta.bozo = 1;
		if (p->meta.bozo_reason == NULL)
			p->meta.bozo_reason = dup0(p->dec.reason);
	}
	if (p->fatal)
		return -1;
	if (p->meta.format == NULL) {
		if (p->err[0] == '\0')
			snprintf(p->err, sizeof p->err, "%s",
				 p->root_seen ? "not an RSS or Atom document" : "no XML document");
		return -1;
	}
	return 0;
}

const struct parse_meta *
parse_meta(const struct parse *p)
{
	return &p->meta;
}

const char *
parse_error(const struct parse *p)
{
	return p->err[0] ? p->err : NULL;
}

void
parse_free(struct parse *p)
{
	if (p == NULL)
		return;
	if (p->xp)
		XML_ParserFree(p->xp);
	while (p->depth > 0)
		pop_frame(p);
	item_free(&p->item);
	cap_reset(&p->cap);
	buf_free(&p->cap.b);
	meta_free(&p->meta);
	pdec_free(&p->dec);
	buf_free(&p->chunk);
	buf_free(&p->keep);
	free(p->docurl);
	free(p->alias_uri);
	free(p);
}
