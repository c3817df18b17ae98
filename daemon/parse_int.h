/* parse_int: what the parser's files share (internal to parse; see parse.h).
 *
 * parse.c      expat set-up, the element stack (xml:base, xml:lang), the
 *              public API, recovery, and the helpers below;
 * parse_text.c text constructs: capturing an element's text and markup,
 *              types, base64, the HTML guess, html_clean;
 * parse_vocab.c what each element of RSS, Atom and the extension
 *              namespaces means: where its text is stored, links, authors,
 *              categories, enclosures, items.
 *
 * Strings returned by the helpers are malloc'd and owned by the caller (in
 * practice: stored into the item or the metadata, freed by
 * parse_item_free / parse_free). */
#ifndef HERALD_PARSE_INT_H
#define HERALD_PARSE_INT_H

/* Debian's libexpat is built with DTD support; its amplification limits are
 * declared only under XML_DTD. */
#ifndef XML_DTD
#define XML_DTD 1
#endif
#include <expat.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "parse.h"
#include "parse_decode.h"

#define NS_SEP '\x01'

enum parse_ns {
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

/* What a captured element's text becomes. */
enum parse_field {
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
	F_DURATION, /* itunes:duration of an item, as written */
};

struct parse_frame {
	char *xmlns; /* inside captured markup: a foreign namespace (SVG, MathML) */
	char *base;  /* effective xml:base; owned when base_owned */
	char *lang;
	unsigned base_owned : 1, lang_owned : 1;
	unsigned char ns;
};

struct parse_capture {
	int depth; /* element depth of the captured element; 0 = none */
	enum parse_field field;
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

/* The decoded document, kept for recovery (parse.c): fixed-size blocks, so
 * that keeping it never copies what was kept before (a buffer growing by
 * realloc copied each byte about twice more). */
struct parse_keep {
	char **blocks; /* PARSE_KEEP_BLOCK bytes each, the last one partly used */
	size_t nblocks;
	size_t len;
	int full; /* past PARSE_RECOVER_MAX or out of memory: nothing kept */
};

struct parse {
	XML_Parser xp;
	struct pdec dec;
	struct buf chunk; /* decoded bytes of the current feed call */
	struct parse_keep keep;
	parse_item_cb cb;
	void *user;
	char *docurl;
	struct parse_frame stack[PARSE_MAX_DEPTH + 2];
	int depth;
	int root_seen, infeed, initem, inimage, intextinput, insource, inperson;
	int netscape;  /* DOCTYPE of RSS 0.91 Netscape */
	int rss090;    /* the RSS 0.90 namespace was declared */
	int core_atom; /* root <feed> without namespace: core names are Atom */
	struct parse_item item;
	size_t person; /* 1 + index of the Atom author being read; 0 = none */
	int person_initem;
	struct parse_meta meta;
	struct parse_capture cap;
	char *alias_uri; /* namespace of a root <feed> we did not know */
	enum parse_ns alias_ns;
	int broken;        /* expat gave up: stop feeding it */
	int fatal;         /* a limit or the caller stopped us: no recovery */
	struct parse_json *json; /* JSON Feed: the body is JSON (parse_json.h) */
	int json_type;           /* the Content-Type says JSON */
	int sniffed;             /* the first significant byte chose XML or JSON */
	size_t skip_items; /* recovery: items already delivered */
	size_t seen_items;
	char err[256];
};

/* ---------------------------------------------------------------- small helpers */

static inline char *
dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static inline char *
dup0(const char *s)
{
	return s ? dupn(s, strlen(s)) : NULL;
}

static inline void
set_str(char **dst, char *v)
{
	free(*dst);
	*dst = v;
}

static inline const char *
frame_base(struct parse *p)
{
	return p->stack[p->depth].base;
}

static inline const char *
frame_lang(struct parse *p)
{
	const char *l = p->stack[p->depth].lang;
	return l ? l : p->meta.language;
}

/* ---------------------------------------------------------------- parse.c */

/* Trimmed (isspace) malloc'd copy of s[0..n); NULL when memory runs out. */
char *parse_trimmed(const char *s, size_t n);
/* Ends the parse with a fatal error fmt % what, with the line and column. */
void parse_fail(struct parse *p, const char *fmt, const char *what);
/* ref resolved against base (an absolute ref is kept as written); malloc'd,
 * NULL for a NULL ref or when memory runs out. */
char *parse_resolve(const char *base, const char *ref);
/* The folded namespace of an expat name "URI\x01local"; *local borrowed. */
enum parse_ns parse_ns_of(const char *name, const char **local);
/* The value of attribute want (no namespace, or Atom's); borrowed or NULL. */
const char *parse_attr(const XML_Char **atts, const char *want);
/* Appends a zeroed element of size bytes to *arr; -1 past PARSE_MAX_LIST or
 * when memory runs out. */
int parse_grow(void **arr, size_t *n, size_t size);
void parse_text_free(struct parse_text *t);
void parse_item_free(struct parse_item *it);
/* Empties the capture, keeping its buffer's memory. */
void parse_cap_reset(struct parse_capture *c);

/* ---------------------------------------------------------------- parse_text.c */

/* Starts capturing the current element's text for field f. */
void parse_begin(struct parse *p, enum parse_field f);
/* The same for a text construct, its type from Atom's type/mode attributes
 * or dflt (RSS). */
void parse_begin_construct(struct parse *p, enum parse_field f, enum parse_ns ns,
			   const XML_Char **atts, enum parse_type dflt);
/* The captured construct into t, replacing what t held; -1 on failure (a
 * fatal error is set when html_clean refused the HTML). */
int parse_text_finish(struct parse *p, struct parse_text *t);
/* A child element of captured markup: written back into the capture. */
void parse_cap_start(struct parse *p, const XML_Char *name, const XML_Char **atts);
void parse_cap_end(struct parse *p, const XML_Char *name);
/* expat's character data and skipped entity handlers. */
void XMLCALL parse_on_text(void *u, const XML_Char *s, int len);
void XMLCALL parse_on_skipped(void *u, const XML_Char *name, int is_param);

/* ---------------------------------------------------------------- parse_vocab.c */

/* An element starts or ends outside any capture. */
void parse_vocab_start(struct parse *p, const char *name, const XML_Char **atts);
void parse_vocab_end(struct parse *p, const char *name);
/* The capture is complete (its element closed): store it where it goes. */
void parse_vocab_store(struct parse *p);

#endif
