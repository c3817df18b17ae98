/* discover: what a fetched URL is, and the feeds a page links; see
 * discover.h.
 *
 * A page's links are read from gumbo's tree. gumbo's tree builder slows
 * down with the nesting depth (each start tag walks the open elements), so
 * it is given only the page's head: the bytes up to <body> or </head>, at
 * most DISCOVER_MAX_HEAD, cut where a light scan of the tags counts more
 * than DISCOVER_MAX_DEPTH open elements. The scan only chooses where to
 * cut; gumbo parses. */
#include "discover.h"

#include <ctype.h>
#include <gumbo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse.h"
#include "url.h"

/* ---------------------------------------------------------------- classify */

static int
starts_ci(const char *s, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len >= n && strncasecmp(s, word, n) == 0;
}

/* Whether s[0..len) contains word, ignoring case. */
static int
has_ci(const char *s, size_t len, const char *word)
{
	size_t n = strlen(word);

	for (size_t i = 0; i + n <= len; i++)
		if (strncasecmp(s + i, word, n) == 0)
			return 1;
	return 0;
}

static int
html_type(const char *ct)
{
	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	return starts_ci(ct, strlen(ct), "text/html") ||
	       starts_ci(ct, strlen(ct), "application/xhtml+xml");
}

static int
looks_like_html(const char *s, size_t len)
{
	size_t i = 0;

	if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
		i = 3;
	while (i < len && isspace((unsigned char)s[i]))
		i++;
	s += i, len -= i;
	if (starts_ci(s, len, "<!doctype html") || starts_ci(s, len, "<html"))
		return 1;
	len = len < 1024 ? len : 1024;
	return has_ci(s, len, "<head") || has_ci(s, len, "<body");
}

enum discover_kind
discover_classify(const char *ct, const char *url, const char *body, size_t len, char *why,
		  size_t whylen)
{
	struct parse *p = parse_new(ct, url, NULL, NULL);
	char reason[200] = "out of memory";
	int feed = 0;

	if (p) {
		feed = parse_feed(p, body, len) == 0 && parse_finish(p) == 0 &&
		       parse_meta(p)->format != NULL;
		snprintf(reason, sizeof reason, "%s", parse_error(p) ? parse_error(p) : "no feed");
		parse_free(p);
	}
	if (feed)
		return DISCOVER_FEED;
	if (html_type(ct) || looks_like_html(body, len))
		return DISCOVER_PAGE;
	snprintf(why, whylen, "neither a feed (%s) nor an HTML page (Content-Type %s)", reason,
		 ct && *ct ? ct : "none");
	return DISCOVER_OTHER;
}

/* ---------------------------------------------------------------- the head */

static const char *const void_tags[] = {"area",  "base",   "br",    "col",  "embed",
					"hr",    "img",    "input", "link", "meta",
					"param", "source", "track", "wbr",  NULL};

static int
is_void(const char *name, size_t n)
{
	for (size_t i = 0; void_tags[i]; i++)
		if (strlen(void_tags[i]) == n && strncasecmp(void_tags[i], name, n) == 0)
			return 1;
	return 0;
}

/* Where the page's head ends for our purpose (see the top of the file). */
static size_t
head_len(const char *s, size_t len)
{
	size_t i = 0;
	int depth = 0;

	if (len > DISCOVER_MAX_HEAD)
		len = DISCOVER_MAX_HEAD;
	while (i < len) {
		const char *lt = memchr(s + i, '<', len - i);
		if (lt == NULL)
			return len;
		i = (size_t)(lt - s);
		if (starts_ci(s + i, len - i, "<body") || starts_ci(s + i, len - i, "</head"))
			return i;
		if (starts_ci(s + i, len - i, "<!--")) {
			const char *end = NULL;
			for (size_t k = i + 4; k + 3 <= len && !end; k++)
				if (!memcmp(s + k, "-->", 3))
					end = s + k + 3;
			if (end == NULL)
				return i;
			i = (size_t)(end - s);
			continue;
		}
		int close = i + 1 < len && s[i + 1] == '/';
		size_t b = i + 1 + (size_t)close, e = b;
		while (e < len && isalnum((unsigned char)s[e]))
			e++;
		if (e > b && !is_void(s + b, e - b)) {
			depth += close ? (depth > 0 ? -1 : 0) : 1;
			if (depth > DISCOVER_MAX_DEPTH)
				return i;
			/* raw text: skip to its end tag */
			if (!close && ((e - b == 6 && !strncasecmp(s + b, "script", 6)) ||
				       (e - b == 5 && !strncasecmp(s + b, "style", 5)))) {
				size_t k = e;
				while (k < len && !(s[k] == '<' && k + 1 < len && s[k + 1] == '/'))
					k++;
				e = k;
			}
		}
		i = e > i + 1 ? e : i + 1;
	}
	return len;
}

/* ---------------------------------------------------------------- links */

static const char *const feed_types[] = {"application/rss+xml",    "application/atom+xml",
					 "application/rdf+xml",    "application/feed+json",
					 "application/json",       "application/x.atom+xml",
					 "application/x-atom+xml", "text/xml",
					 "application/xml",        NULL};

static int
feed_type(const char *t)
{
	size_t n;

	while (*t == ' ')
		t++;
	n = strcspn(t, "; ");
	for (size_t i = 0; feed_types[i]; i++)
		if (strlen(feed_types[i]) == n && strncasecmp(feed_types[i], t, n) == 0)
			return 1;
	return 0;
}

/* Whether the space-separated list has token tok (ASCII case-insensitive). */
static int
has_token(const char *list, const char *tok)
{
	size_t n = strlen(tok);

	while (*list) {
		while (isspace((unsigned char)*list))
			list++;
		size_t k = strcspn(list, " \t\r\n\f");
		if (k == n && strncasecmp(list, tok, n) == 0)
			return 1;
		list += k;
	}
	return 0;
}

static const char *
attr(const GumboElement *el, const char *name)
{
	const GumboAttribute *a = gumbo_get_attribute(&el->attributes, name);

	return a ? a->value : NULL;
}

static int
add(struct discover_list *out, const char *base, const GumboElement *el)
{
	const char *rel = attr(el, "rel"), *type = attr(el, "type"), *href = attr(el, "href");
	const char *title = attr(el, "title");
	char *u;

	if (!rel || !type || !href || !*href || !has_token(rel, "alternate") ||
	    has_token(rel, "stylesheet") || !feed_type(type) || out->n >= DISCOVER_MAX_LINKS)
		return 0;
	while (isspace((unsigned char)*href))
		href++;
	if ((u = url_resolve(base, href)) == NULL)
		return -1;
	for (size_t i = 0; i < out->n; i++)
		if (strcmp(out->v[i].url, u) == 0) {
			free(u);
			return 0;
		}
	struct discover_link *v = realloc(out->v, (out->n + 1) * sizeof *v);
	if (v == NULL) {
		free(u);
		return -1;
	}
	out->v = v;
	v[out->n].url = u;
	v[out->n].title = strdup(title ? title : "");
	v[out->n].type = strdup(type);
	out->n++;
	return v[out->n - 1].title && v[out->n - 1].type ? 0 : -1;
}

/* The elements of the tree in document order, without recursion. */
static int
walk(GumboNode *root, const char *page_url, struct discover_list *out)
{
	GumboNode **stack = NULL;
	size_t n = 0, cap = 0;
	char *base = NULL;
	int rc = 0;

	/* the first <base href> sets the base of every link (HTML's rule) */
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		n = 0;
		if (cap == 0 && (stack = malloc((cap = 64) * sizeof *stack)) == NULL)
			return -1;
		stack[n++] = root;
		while (n > 0 && rc == 0) {
			GumboNode *node = stack[--n];
			if (node->type != GUMBO_NODE_ELEMENT)
				continue;
			GumboElement *el = &node->v.element;
			if (pass == 0 && el->tag == GUMBO_TAG_BASE && base == NULL &&
			    attr(el, "href")) {
				base = url_resolve(page_url, attr(el, "href"));
				rc = base ? 0 : -1;
			} else if (pass == 1 && el->tag == GUMBO_TAG_LINK) {
				rc = add(out, base ? base : page_url, el);
			}
			for (size_t i = el->children.length; i > 0 && rc == 0; i--) {
				if (n == cap) {
					GumboNode **s = realloc(stack, (cap *= 2) * sizeof *s);
					if (s == NULL) {
						rc = -1;
						break;
					}
					stack = s;
				}
				stack[n++] = el->children.data[i - 1];
			}
		}
	}
	free(stack);
	free(base);
	return rc;
}

int
discover_links(const char *html, size_t len, const char *page_url, struct discover_list *out)
{
	GumboOutput *g;
	int rc;

	memset(out, 0, sizeof *out);
	g = gumbo_parse_with_options(&kGumboDefaultOptions, html, head_len(html, len));
	if (g == NULL)
		return -1;
	rc = walk(g->root, page_url, out);
	gumbo_destroy_output(&kGumboDefaultOptions, g);
	if (rc < 0)
		discover_list_free(out);
	return rc;
}

void
discover_list_free(struct discover_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].url), free(l->v[i].title), free(l->v[i].type);
	free(l->v);
	memset(l, 0, sizeof *l);
}
