/* parse: one HTTP response body to feed metadata and items, streamed.
 *
 * Pure: no loop, no transfers, no SQL. Create a parser with the response's
 * Content-Type and document URL, feed it each body chunk as it arrives, and
 * receive every item through the callback as soon as its element closes; the
 * parser then forgets it, so memory is bounded by the largest item (plus, for
 * bozo recovery, a copy of the document up to PARSE_RECOVER_MAX bytes).
 *
 * Dialects: RSS 0.90, 0.91 (Netscape and UserLand), 0.92-0.94, 2.0, RSS 1.0
 * (RDF), Atom 0.3 and 1.0, with content:, dc:, dcterms:, atom: inside RSS,
 * media: and itunes:; and JSON Feed 1.0 and 1.1 (parse_json.c, on yajl). The
 * body's first byte other than white space (and a UTF-8 BOM) chooses: '<' is
 * XML, '{' or '[' is JSON; anything else is JSON when the Content-Type says
 * so (application/feed+json, application/json, +json), else XML. Text is decoded from the document's charset (HTTP charset,
 * then BOM, then XML declaration, then UTF-8; iconv for what expat lacks) and is
 * always valid UTF-8. HTML text constructs go through html_clean() (html.h)
 * with the element's xml:base. No external entity or DTD is ever loaded; the
 * HTML named entities are built in.
 *
 * Every string below is NUL-terminated UTF-8 or NULL, owned by the parser. */
#ifndef HERALD_PARSE_H
#define HERALD_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define PARSE_MAX_DEPTH   256        /* element nesting */
#define PARSE_MAX_FIELD   (2u << 20) /* bytes of one text field */
#define PARSE_MAX_ITEMS   20000      /* items delivered per document (more are counted) */
#define PARSE_MAX_LIST    256        /* links, authors, ... per item */
#define PARSE_RECOVER_MAX (8u << 20) /* document bytes kept for recovery */

enum parse_type {
	PARSE_TYPE_TEXT = 0, /* text/plain */
	PARSE_TYPE_HTML,     /* text/html: value is sanitized HTML */
	PARSE_TYPE_XHTML,    /* application/xhtml+xml: sanitized, wrapper div gone */
};

/* A text construct. For HTML types value is the sanitized markup; text is
 * always the plain-text rendering (equal to value for PARSE_TYPE_TEXT). */
struct parse_text {
	char *value;
	char *text;
	enum parse_type type;
	char *mime; /* the type as written when it is not one of the three */
	char *base; /* effective xml:base of the element */
	char *lang; /* effective xml:lang */
	char *src;  /* Atom content src, resolved */
};

struct parse_link {
	char *href, *rel, *type, *title, *length, *hreflang;
};

struct parse_person {
	char *name, *email, *uri;
};

struct parse_category {
	char *term, *scheme, *label;
};

struct parse_enclosure {
	char *url, *type, *length;
	char *duration; /* JSON Feed duration_in_seconds, as written */
};

/* Lists shared by the feed and its items. */
struct parse_lists {
	struct parse_link *links;
	size_t nlinks;
	struct parse_person *authors;
	size_t nauthors;
	struct parse_category *categories;
	size_t ncategories;
};

struct parse_item {
	char *guid; /* RSS guid / Atom id */
	char *link; /* resolved; falls back to a permalink guid */
	char *comments;
	struct parse_text title, summary, rights;
	struct parse_text *content; /* content:encoded, Atom content, ... */
	size_t ncontent;
	int64_t published, updated; /* Unix seconds UTC; 0 = unknown */
	char *published_raw, *updated_raw;
	struct parse_lists l;
	struct parse_enclosure *enclosures;
	size_t nenclosures;
	char *image;    /* itunes:image, JSON Feed image: resolved */
	char *duration; /* itunes:duration as written ("1:02:03", "3723") */
};

struct parse_meta {
	const char *format;   /* feedparser's version code: "rss20", "atom10", ... */
	char *version;        /* the version attribute as written */
	const char *encoding; /* charset used, lower case */
	struct parse_text title, subtitle, rights;
	char *id, *link, *language, *generator, *icon, *logo;
	int64_t published, updated;
	char *published_raw, *updated_raw;
	struct parse_lists l;
	char *image_url, *image_title, *image_link;
	int ttl;              /* minutes, 0 = none */
	int bozo;             /* document was not clean but was (partly) read */
	char *bozo_reason;    /* why, with line:column when from expat */
	int truncated;        /* the document ended inside its root element: the
			       * body was most likely cut short (a dropped connection
			       * under gzip with no Content-Length reports no error) */
	size_t nitems;        /* items delivered */
	size_t items_dropped; /* items after the first PARSE_MAX_ITEMS: read,
			       * not delivered */
};

/* Called once per item as it closes; it is borrowed for the call only.
 * Return 0 to go on, nonzero to stop the parse (parse_feed then fails). */
typedef int (*parse_item_cb)(const struct parse_item *it, void *user);

struct parse;

/* content_type and document_url may be NULL. NULL when memory runs out. */
struct parse *parse_new(const char *content_type, const char *document_url, parse_item_cb cb,
			void *user);

/* Feeds the next chunk of the body. Returns 0, or -1 once the document is
 * beyond repair or a limit was hit (the error is in parse_error; items that
 * closed before it were delivered). A malformed but recoverable document
 * keeps returning 0 and sets bozo. */
int parse_feed(struct parse *p, const void *chunk, size_t len);

/* Ends the document. Returns 0 when a feed was read (possibly bozo), or -1
 * when none was (parse_error says why, with line:column where known). */
int parse_finish(struct parse *p);

/* The feed's metadata, complete after parse_finish (partial before). */
const struct parse_meta *parse_meta(const struct parse *p);

/* The date herald gives an item: published (Atom <published>, RSS <pubDate>,
 * dcterms:issued; dc:date when nothing else gave one), else updated (Atom
 * <updated>, which is all GitHub releases and many blogs carry, dc:date,
 * dcterms:modified), else 0: unknown. A date at or before 1970 (a broken
 * clock, a zeroed field) counts as unknown. The parser itself keeps both
 * fields as the document says; this is the one place that chooses. */
int64_t parse_item_date(const struct parse_item *it);

/* The feed's own date, chosen the same way: the channel's pubDate, else its
 * lastBuildDate, dc:date or the Atom feed's <updated>; 0 when unknown.
 * Complete after parse_finish. */
int64_t parse_meta_date(const struct parse_meta *m);

/* The fatal error message, or NULL. Borrowed. */
const char *parse_error(const struct parse *p);

void parse_free(struct parse *p);

#endif
