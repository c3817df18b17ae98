/* opml: reading and writing OPML subscription lists, for import and export.
 * Pure: works on memory only.
 *
 * Reading takes OPML 1.0 and 2.0: every <outline> with an xmlUrl is a feed;
 * an <outline> without one is a folder, and the folders around a feed become
 * its tags, with the entries of its OPML 2.0 category attribute
 * ("/News/World,Tech" gives "news", "world", "tech"). Tags are lower-cased
 * and deduplicated. The document must be well-formed XML; DTD entity
 * declarations (entity bombs) and documents past the limits below are
 * refused. */
#ifndef HERALD_OPML_H
#define HERALD_OPML_H

#include <stddef.h>
#include <stdint.h>

#define OPML_MAX_INPUT (16u << 20) /* bytes */
#define OPML_MAX_DEPTH 64          /* nested elements */
#define OPML_MAX_FEEDS 10000
#define OPML_MAX_ATTR  8192 /* bytes in one attribute value we keep */

struct opml_feed {
	char *url;      /* xmlUrl, trimmed */
	char *title;    /* title, else text; or NULL */
	char *html_url; /* htmlUrl, or NULL */
	char **tags;    /* ntags, lower-case, outermost folder first */
	size_t ntags;
};

struct opml {
	char *title; /* <head><title>, or NULL */
	struct opml_feed *feeds;
	size_t nfeeds;
};

/* Parses len bytes. Returns 0, or -1 with "NAME:LINE: message" in err
 * (name is the file name for messages); on error out holds nothing.
 * opml_free() releases out either way. */
int opml_parse(const char *name, const char *data, size_t len, struct opml *out, char *err,
	       size_t errlen);

void opml_free(struct opml *o);

/* Writes an OPML 2.0 document: each feed as <outline type="rss"> with text,
 * title, xmlUrl, htmlUrl (when known) and its tags in category; feeds with
 * tags sit in a folder named after their first tag, so readers that show
 * folders group them. date is the Unix time for dateCreated (0: omitted).
 * Returns a malloc'd string (caller frees), or NULL when memory runs out. */
char *opml_write(const char *title, const struct opml_feed *feeds, size_t n, int64_t date);

#endif
