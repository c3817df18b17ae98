/* discover: feed autodiscovery for `herald add URL` (issue 25).
 *
 * Pure: no loop, no transfers, no SQL. commands.c fetches the URL (at most
 * DISCOVER_MAX_BODY bytes) and asks here what it got: a feed (the parser
 * reads it as RSS, Atom or JSON Feed), an HTML page (then the feeds it links
 * with <link rel="alternate" type="...">, resolved against the page's
 * <base href> and URL), or neither (refused, with the reason). */
#ifndef HERALD_DISCOVER_H
#define HERALD_DISCOVER_H

#include <stddef.h>

#define DISCOVER_MAX_BODY  (4u << 20)   /* bytes of a response looked at */
#define DISCOVER_MAX_HEAD  (256u << 10) /* bytes of a page given to gumbo */
#define DISCOVER_MAX_DEPTH 256          /* open elements given to gumbo */
#define DISCOVER_MAX_LINKS 32           /* feeds listed from one page */

enum discover_kind {
	DISCOVER_FEED,  /* a feed: add the URL itself */
	DISCOVER_PAGE,  /* an HTML page: look at its links */
	DISCOVER_OTHER, /* neither: refuse (why says so) */
};

/* What body (len bytes, maybe cut at DISCOVER_MAX_BODY) is, served with
 * content_type (may be NULL) from url. For DISCOVER_OTHER, why gets a
 * reason for people ("neither a feed (line 1, column 1: syntax error) nor
 * an HTML page (Content-Type image/png)"). */
enum discover_kind discover_classify(const char *content_type, const char *url, const char *body,
				     size_t len, char *why, size_t whylen);

struct discover_link {
	char *url;   /* absolute */
	char *title; /* the link's title attribute, "" when none */
	char *type;  /* application/rss+xml, application/atom+xml, ... */
};

struct discover_list {
	struct discover_link *v;
	size_t n;
};

/* The feeds the page links, in document order, without repeats, at most
 * DISCOVER_MAX_LINKS: <link> elements whose rel has the token "alternate"
 * (and not "stylesheet") and whose type is RSS, Atom, RDF or JSON Feed.
 * Only the page's first DISCOVER_MAX_HEAD bytes are parsed, up to its
 * <body> and at most DISCOVER_MAX_DEPTH elements deep, which is where
 * such links are. 0 (out->n may be 0), or -1 when memory runs out. Free
 * out with discover_list_free. */
int discover_links(const char *html, size_t len, const char *page_url, struct discover_list *out);

void discover_list_free(struct discover_list *l);

#endif
