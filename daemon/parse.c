/* parse: streaming RSS/Atom parser on expat; see parse.h.
 *
 * Elements are named by (namespace, local name); the namespaces feeds use are
 * folded to a small set so "dc:creator" is the same whatever prefix a feed
 * picked. Text of interesting elements is captured into one buffer at a time
 * (child markup serialized back, for inline HTML and xhtml; parse_text.c),
 * and stored into the current item or the feed when the element closes
 * (parse_vocab.c). This file holds expat's set-up and callbacks, the element
 * stack, the public API and recovery. */
#include "parse.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse_entities.h"
#include "parse_int.h"
#include "parse_json.h"
#include "parse_repair.h"
#include "url.h"

#define NSURI(u) u, sizeof u - 1
static const struct {
	const char *uri;
	size_t len;
	enum parse_ns ns;
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

/* ---------------------------------------------------------------- helpers */

/* Trimmed copy of a buffer's contents. */
char *
parse_trimmed(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return dupn(s, n);
}

void
parse_fail(struct parse *p, const char *fmt, const char *what)
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
char *
parse_resolve(const char *base, const char *ref)
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

enum parse_ns
parse_ns_of(const char *name, const char **local)
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

const char *
parse_attr(const XML_Char **atts, const char *want)
{
	for (int i = 0; atts[i]; i += 2) {
		const char *local;
		enum parse_ns ns = parse_ns_of(atts[i], &local);
		if ((ns == NS_CORE || ns == NS_ATOM10 || ns == NS_ATOM03) && !strcmp(local, want))
			return atts[i + 1];
	}
	return NULL;
}

int
parse_grow(void **arr, size_t *n, size_t size)
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

void
parse_text_free(struct parse_text *t)
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

void
parse_item_free(struct parse_item *it)
{
	free(it->guid), free(it->link), free(it->comments);
	parse_text_free(&it->title), parse_text_free(&it->summary), parse_text_free(&it->rights);
	for (size_t i = 0; i < it->ncontent; i++)
		parse_text_free(&it->content[i]);
	free(it->content);
	free(it->published_raw), free(it->updated_raw);
	lists_free(&it->l);
	for (size_t i = 0; i < it->nenclosures; i++)
		free(it->enclosures[i].url), free(it->enclosures[i].type),
			free(it->enclosures[i].length), free(it->enclosures[i].duration);
	free(it->enclosures);
	free(it->image), free(it->duration);
	memset(it, 0, sizeof *it);
}

static void
meta_free(struct parse_meta *m)
{
	free(m->version);
	parse_text_free(&m->title), parse_text_free(&m->subtitle), parse_text_free(&m->rights);
	free(m->id), free(m->link), free(m->language), free(m->generator), free(m->icon),
		free(m->logo);
	free(m->published_raw), free(m->updated_raw);
	lists_free(&m->l);
	free(m->image_url), free(m->image_title), free(m->image_link);
	free(m->bozo_reason);
}

void
parse_cap_reset(struct parse_capture *c)
{
	struct buf b = c->b;

	free(c->mime), free(c->src), free(c->scheme), free(c->label);
	memset(c, 0, sizeof *c);
	buf_reset(&b);
	c->b = b;
}

/* ---------------------------------------------------------------- expat callbacks */

static int
push_frame(struct parse *p, const XML_Char **atts)
{
	struct parse_frame *up = &p->stack[p->depth], *f = &p->stack[p->depth + 1];

	f->base = up->base;
	f->lang = up->lang;
	f->base_owned = f->lang_owned = 0;
	for (int i = 0; atts[i]; i += 2) {
		const char *l;
		if (parse_ns_of(atts[i], &l) != NS_XML)
			continue;
		if (!strcmp(l, "base")) {
			char *b = parse_resolve(up->base, atts[i + 1]);
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
	struct parse_frame *f = &p->stack[p->depth];

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
		parse_fail(p, "elements nested deeper than %s", "256");
		return;
	}
	if (push_frame(p, atts) < 0) {
		parse_fail(p, "%s", "out of memory");
		return;
	}
	if (p->cap.depth) {
		parse_cap_start(p, name, atts);
		return;
	}
	parse_vocab_start(p, name, atts);
}

static void XMLCALL
on_end(void *u, const XML_Char *name)
{
	struct parse *p = u;

	if (p->fatal)
		return;
	if (p->cap.depth) {
		if (p->depth == p->cap.depth) {
			parse_vocab_store(p);
			parse_cap_reset(&p->cap);
		} else {
			parse_cap_end(p, name);
		}
	} else {
		parse_vocab_end(p, name);
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
	XML_SetCharacterDataHandler(xp, parse_on_text);
	XML_SetSkippedEntityHandler(xp, parse_on_skipped);
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
	p->json_type = parse_json_type(content_type);
	p->cb = cb;
	p->user = user;
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

#define PARSE_KEEP_BLOCK (64u << 10)

static void
keep_free(struct parse_keep *k)
{
	for (size_t i = 0; i < k->nblocks; i++)
		free(k->blocks[i]);
	free(k->blocks);
	k->blocks = NULL;
	k->nblocks = k->len = 0;
}

/* Keeps s[0..n) after what is kept. Past PARSE_RECOVER_MAX, or when memory
 * runs out, all of it is dropped: a document that cannot be kept whole is not
 * recovered. */
static void
keep_append(struct parse_keep *k, const char *s, size_t n)
{
	if (k->full)
		return;
	if (n > PARSE_RECOVER_MAX - k->len)
		goto drop;
	while (n > 0) {
		size_t used = k->len % PARSE_KEEP_BLOCK, m = PARSE_KEEP_BLOCK - used;

		if (k->len / PARSE_KEEP_BLOCK == k->nblocks) {
			char **b = realloc(k->blocks, (k->nblocks + 1) * sizeof *b);
			if (b == NULL)
				goto drop;
			k->blocks = b;
			if ((b[k->nblocks] = malloc(PARSE_KEEP_BLOCK)) == NULL)
				goto drop;
			k->nblocks++;
		}
		if (m > n)
			m = n;
		memcpy(k->blocks[k->len / PARSE_KEEP_BLOCK] + used, s, m);
		k->len += m, s += m, n -= m;
	}
	return;
drop:
	keep_free(k);
	k->full = 1;
}

/* The kept document in one piece (malloc'd, k->len bytes and a NUL), or NULL
 * when memory runs out. */
static char *
keep_join(const struct parse_keep *k)
{
	char *doc = malloc(k->len + 1);

	if (doc == NULL)
		return NULL;
	for (size_t i = 0, off = 0; off < k->len; i++) {
		size_t m = k->len - off < PARSE_KEEP_BLOCK ? k->len - off : PARSE_KEEP_BLOCK;
		memcpy(doc + off, k->blocks[i], m);
		off += m;
	}
	doc[k->len] = '\0';
	return doc;
}

static int
push(struct parse *p, const char *s, size_t n, int final)
{
	keep_append(&p->keep, s, n);
	if (p->broken || p->fatal)
		return p->fatal ? -1 : 0;
	if (XML_Parse(p->xp, s, (int)n, final) == XML_STATUS_ERROR) {
		if (p->fatal)
			return -1;
		enum XML_Error code = XML_GetErrorCode(p->xp);
		char msg[256];
		snprintf(msg, sizeof msg, "line %lu, column %lu: %s",
			 (unsigned long)XML_GetErrorLineNumber(p->xp),
			 (unsigned long)XML_GetErrorColumnNumber(p->xp) + 1, XML_ErrorString(code));
		p->broken = 1;
		p->meta.bozo = 1;
		/* Well-formed up to the end of the input: the end came early. */
		p->meta.truncated = final && (code == XML_ERROR_NO_ELEMENTS ||
					      code == XML_ERROR_UNCLOSED_TOKEN ||
					      code == XML_ERROR_PARTIAL_CHAR ||
					      code == XML_ERROR_UNCLOSED_CDATA_SECTION);
		set_str(&p->meta.bozo_reason, dup0(msg));
		if (p->err[0] == '\0')
			snprintf(p->err, sizeof p->err, "%s", msg);
	}
	return 0;
}

/* Chooses XML or JSON by the first significant byte of the body (parse.h);
 * until one comes (white space, a BOM), nothing is chosen. 0, or -1 when
 * memory runs out. */
static int
sniff(struct parse *p, const unsigned char *s, size_t len)
{
	size_t i = 0;

	/* white space and a UTF-8 BOM (whose bytes may come one at a time) */
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n' ||
			   s[i] == 0xEF || s[i] == 0xBB || s[i] == 0xBF))
		i++;
	if (i == len)
		return 0;
	p->sniffed = 1;
	if (s[i] == '{' || s[i] == '[' || (s[i] != '<' && p->json_type)) {
		p->json = parse_json_new(p);
		if (p->json == NULL) {
			snprintf(p->err, sizeof p->err, "out of memory");
			p->fatal = 1;
			return -1;
		}
	}
	return 0;
}

int
parse_feed(struct parse *p, const void *chunk, size_t len)
{
	if (p->fatal)
		return -1;
	if (!p->sniffed && sniff(p, chunk, len) < 0)
		return -1;
	if (p->json)
		return parse_json_feed(p->json, chunk, len);
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
	char *doc = keep_join(&p->keep);
	size_t bad_refs = 0;

	if (doc == NULL || parse_repair(doc, p->keep.len, PARSE_MAX_DEPTH, &fixed, &bad_refs) < 0)
		goto out;
	if (bad_refs > 0) { /* say it: the text is not quite what was sent */
		char *why = NULL;
		size_t n = strlen(keep.bozo_reason ? keep.bozo_reason : "") + 96;
		if ((why = malloc(n)) != NULL) {
			snprintf(why, n, "%s; %zu character reference%s replaced by U+FFFD",
				 keep.bozo_reason ? keep.bozo_reason : "", bad_refs,
				 bad_refs == 1 ? "" : "s");
			free(keep.bozo_reason);
			keep.bozo_reason = why;
		}
	}
	XML_ParserFree(p->xp);
	p->xp = NULL;
	while (p->depth > 0)
		pop_frame(p);
	parse_item_free(&p->item);
	parse_cap_reset(&p->cap);
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
	p->meta.truncated = keep.truncated;
	p->meta.nitems = keep.nitems;
	p->meta.items_dropped = 0; /* counted again by the second reading */
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
	free(doc);
	buf_free(&fixed);
}

int
parse_finish(struct parse *p)
{
	if (!p->sniffed && p->json_type && !p->fatal && (p->json = parse_json_new(p)) == NULL) {
		snprintf(p->err, sizeof p->err, "out of memory");
		return -1;
	}
	if (p->json)
		return parse_json_finish(p->json);
	if (!p->fatal) {
		buf_reset(&p->chunk);
		if (pdec_feed(&p->dec, "", 0, 1, &p->chunk) < 0) {
			snprintf(p->err, sizeof p->err, "out of memory");
			p->fatal = 1;
		} else {
			push(p, p->chunk.data ? p->chunk.data : "", p->chunk.len, 1);
		}
	}
	/* A document cut short was read to its end already: repairing it would
	 * only close, and deliver, the item it was cut in. */
	if (p->broken && !p->fatal && p->meta.truncated && p->meta.format)
		p->err[0] = '\0';
	else if (p->broken && !p->fatal && !p->keep.full && p->keep.len > 0)
		recover(p);
	keep_free(&p->keep);
	p->keep.full = 1;
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

/* Published, else updated: Atom's <published> is optional and <updated>
 * required, so an entry with only <updated> is dated by it and not by when
 * herald fetched it (issue 22). */
static int64_t
first_known(int64_t published, int64_t updated)
{
	if (published > 0)
		return published;
	return updated > 0 ? updated : 0;
}

int64_t
parse_item_date(const struct parse_item *it)
{
	return first_known(it->published, it->updated);
}

int64_t
parse_meta_date(const struct parse_meta *m)
{
	return first_known(m->published, m->updated);
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
	parse_json_free(p->json);
	while (p->depth > 0)
		pop_frame(p);
	parse_item_free(&p->item);
	parse_cap_reset(&p->cap);
	buf_free(&p->cap.b);
	meta_free(&p->meta);
	pdec_free(&p->dec);
	buf_free(&p->chunk);
	keep_free(&p->keep);
	free(p->docurl);
	free(p->alias_uri);
	free(p);
}
