#include "textdoc.h"

#include <gumbo.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Deeper elements than this are left out (the daemon's sanitizer caps
 * nesting well below it). */
#define TEXTDOC_MAX_DEPTH 200

struct walk {
	struct textdoc *d;
	int brk;   /* pending: 0 nothing, 1 a line break, 2 a paragraph break */
	int space; /* a collapsed space is pending */
	int pre;   /* inside pre: white space kept */
};

int
textdoc_link_ok(const char *url)
{
	static const char *const ok[] = {"http://", "https://", "mailto:"};

	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		if (strncasecmp(url, ok[i], strlen(ok[i])) == 0 && url[strlen(ok[i])])
			return 1;
	return 0;
}

static void
flush_breaks(struct walk *w)
{
	struct sb *t = &w->d->text;

	if (t->len > 0 && w->brk)
		sb_puts(t, w->brk == 2 ? "\n\n" : "\n");
	else if (t->len > 0 && w->space)
		sb_putc(t, ' ');
	w->brk = 0;
	w->space = 0;
}

static void
want_break(struct walk *w, int level)
{
	if (level > w->brk)
		w->brk = level;
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static void
put_text(struct walk *w, const char *s)
{
	struct sb *t = &w->d->text;

	if (w->pre) {
		flush_breaks(w);
		sb_puts(t, s);
		return;
	}
	for (; *s; s++) {
		if (is_ws(*s)) {
			w->space = 1;
			continue;
		}
		flush_breaks(w);
		sb_putc(t, *s);
	}
}

static size_t
link_number(struct textdoc *d, const char *url)
{
	for (size_t i = 0; i < d->nlinks; i++)
		if (strcmp(d->links[i], url) == 0)
			return i + 1;
	d->links = xrealloc(d->links, (d->nlinks + 1) * sizeof *d->links);
	d->links[d->nlinks++] = xstrdup(url);
	return d->nlinks;
}

static int
block_level(GumboTag tag)
{
	switch (tag) {
	case GUMBO_TAG_P:
	case GUMBO_TAG_DIV:
	case GUMBO_TAG_H1:
	case GUMBO_TAG_H2:
	case GUMBO_TAG_H3:
	case GUMBO_TAG_H4:
	case GUMBO_TAG_H5:
	case GUMBO_TAG_H6:
	case GUMBO_TAG_BLOCKQUOTE:
	case GUMBO_TAG_PRE:
	case GUMBO_TAG_UL:
	case GUMBO_TAG_OL:
	case GUMBO_TAG_DL:
	case GUMBO_TAG_TABLE:
	case GUMBO_TAG_FIGURE:
	case GUMBO_TAG_SECTION:
	case GUMBO_TAG_ARTICLE:
	case GUMBO_TAG_HEADER:
	case GUMBO_TAG_FOOTER:
	case GUMBO_TAG_ASIDE:
	case GUMBO_TAG_HR: return 2;
	case GUMBO_TAG_LI:
	case GUMBO_TAG_DT:
	case GUMBO_TAG_DD:
	case GUMBO_TAG_TR:
	case GUMBO_TAG_FIGCAPTION: return 1;
	default: return 0;
	}
}

static void walk_node(struct walk *w, const GumboNode *n, int depth);

static void
walk_element(struct walk *w, const GumboElement *el, int depth)
{
	const GumboAttribute *a;
	int level = block_level(el->tag), pre = w->pre;

	switch (el->tag) {
	case GUMBO_TAG_SCRIPT:
	case GUMBO_TAG_STYLE:
	case GUMBO_TAG_HEAD: return;
	case GUMBO_TAG_BR: want_break(w, 1); return;
	case GUMBO_TAG_IMG:
		a = gumbo_get_attribute(&el->attributes, "alt");
		if (a && *a->value) {
			put_text(w, " [image: ");
			put_text(w, a->value);
			put_text(w, "] ");
		}
		return;
	default: break;
	}
	if (level)
		want_break(w, level);
	if (el->tag == GUMBO_TAG_LI) {
		flush_breaks(w);
		sb_puts(&w->d->text, "\xe2\x80\xa2 ");
	}
	if (el->tag == GUMBO_TAG_TD || el->tag == GUMBO_TAG_TH)
		w->space = 1;
	if (el->tag == GUMBO_TAG_PRE)
		w->pre = 1;
	for (unsigned i = 0; i < el->children.length; i++)
		walk_node(w, el->children.data[i], depth + 1);
	w->pre = pre;
	if (el->tag == GUMBO_TAG_A && (a = gumbo_get_attribute(&el->attributes, "href")) &&
	    textdoc_link_ok(a->value)) {
		size_t k = link_number(w->d, a->value);

		w->space = 0;
		if (w->d->text.len == 0 || w->brk)
			flush_breaks(w);
		else
			sb_putc(&w->d->text, ' ');
		sb_printf(&w->d->text, "[%zu]", k);
	}
	if (level)
		want_break(w, level);
}

static void
walk_node(struct walk *w, const GumboNode *n, int depth)
{
	if (depth > TEXTDOC_MAX_DEPTH)
		return;
	switch (n->type) {
	case GUMBO_NODE_DOCUMENT:
		for (unsigned i = 0; i < n->v.document.children.length; i++)
			walk_node(w, n->v.document.children.data[i], depth + 1);
		break;
	case GUMBO_NODE_ELEMENT:
	case GUMBO_NODE_TEMPLATE: walk_element(w, &n->v.element, depth); break;
	case GUMBO_NODE_TEXT:
	case GUMBO_NODE_CDATA:
	case GUMBO_NODE_WHITESPACE: put_text(w, n->v.text.text); break;
	default: break;
	}
}

int
textdoc_from_html(struct textdoc *d, const char *html, size_t n)
{
	GumboOutput *out = gumbo_parse_with_options(&kGumboDefaultOptions, html, n);
	struct walk w = {.d = d};

	if (out == NULL)
		return -1;
	walk_node(&w, out->root, 0);
	gumbo_destroy_output(&kGumboDefaultOptions, out);
	sb_add(&d->text, "", 0);
	return 0;
}

void
textdoc_free(struct textdoc *d)
{
	for (size_t i = 0; i < d->nlinks; i++)
		free(d->links[i]);
	free(d->links);
	sb_free(&d->text);
	memset(d, 0, sizeof *d);
}
