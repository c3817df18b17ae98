/* opml: OPML subscription lists in and out, on expat. */
#include "opml.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <expat.h>
#include <utf8proc.h>

#include "buf.h"

#define MAX_TAGS 32

struct ostate {
	XML_Parser xp;
	const char *name;
	struct opml *out;
	size_t depth;
	char *folder[OPML_MAX_DEPTH]; /* tag pushed by the element at each depth */
	int in_title;
	struct buf title;
	char *err;
	size_t errlen;
	int failed;
	size_t cap;
};

static void fail(struct ostate *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records the first error and stops the parser. */
static void
fail(struct ostate *st, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (st->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(st->err, st->errlen, "%s:%lu: %s", st->name,
		 (unsigned long)XML_GetCurrentLineNumber(st->xp), msg);
	st->failed = 1;
	XML_StopParser(st->xp, XML_FALSE);
}

/* A trimmed, lower-cased (tolower != 0) copy of n bytes of s; "" stays "". */
static char *
clean(const char *s, size_t n, int tolower)
{
	struct buf b = {0};
	const utf8proc_uint8_t *p;
	utf8proc_int32_t cp;
	utf8proc_ssize_t k;

	while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	if (n > OPML_MAX_ATTR) {
		/* Cut on a character boundary. */
		n = OPML_MAX_ATTR;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if (!tolower)
		return strndup(s, n);
	for (p = (const utf8proc_uint8_t *)s; p < (const utf8proc_uint8_t *)s + n; p += k) {
		utf8proc_uint8_t enc[4];

		k = utf8proc_iterate(p, (utf8proc_ssize_t)((const utf8proc_uint8_t *)s + n - p),
				     &cp);
		if (k <= 0)
			break;
		if (buf_append(&b, enc, (size_t)utf8proc_encode_char(utf8proc_tolower(cp), enc)) <
		    0) {
			buf_free(&b);
			return NULL;
		}
	}
	return buf_detach(&b);
}

static const char *
attr(const XML_Char **atts, const char *name)
{
	for (size_t i = 0; atts[i]; i += 2)
		if (strcasecmp(atts[i], name) == 0)
			return atts[i + 1];
	return NULL;
}

/* Adds tag (owned) to f unless present. */
static int
add_tag(struct opml_feed *f, char *tag)
{
	if (*tag == '\0' || f->ntags == MAX_TAGS)
		goto drop;
	for (size_t i = 0; i < f->ntags; i++)
		if (strcmp(f->tags[i], tag) == 0)
			goto drop;
	if (f->tags == NULL && (f->tags = calloc(MAX_TAGS, sizeof *f->tags)) == NULL) {
		free(tag);
		return -1;
	}
	f->tags[f->ntags++] = tag;
	return 0;
drop:
	free(tag);
	return 0;
}

/* category="/News/World,Tech": every path component is a tag. */
static int
add_categories(struct opml_feed *f, const char *cat)
{
	while (*cat) {
		size_t n = strcspn(cat, ",/");
		char *t = clean(cat, n, 1);

		if (t == NULL || add_tag(f, t) < 0)
			return -1;
		cat += n;
		if (*cat)
			cat++;
	}
	return 0;
}

static void
add_feed(struct ostate *st, const XML_Char **atts, const char *url)
{
	struct opml *o = st->out;
	struct opml_feed *f;
	const char *t = attr(atts, "title"), *h = attr(atts, "htmlUrl"), *c;

	if (o->nfeeds == OPML_MAX_FEEDS) {
		fail(st, "more than %d feeds", OPML_MAX_FEEDS);
		return;
	}
	if (o->nfeeds == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 16;
		struct opml_feed *n = realloc(o->feeds, cap * sizeof *n);

		if (n == NULL)
			goto oom;
		o->feeds = n;
		st->cap = cap;
	}
	f = &o->feeds[o->nfeeds++];
	memset(f, 0, sizeof *f);
	if (t == NULL || t[strspn(t, " \t\r\n")] == '\0')
		t = attr(atts, "text");
	if ((f->url = clean(url, strlen(url), 0)) == NULL)
		goto oom;
	if (t && (f->title = clean(t, strlen(t), 0)) == NULL)
		goto oom;
	if (f->title && *f->title == '\0') {
		free(f->title);
		f->title = NULL;
	}
	if (h && *h && (f->html_url = clean(h, strlen(h), 0)) == NULL)
		goto oom;
	for (size_t d = 0; d < st->depth; d++) {
		char *tag;

		if (st->folder[d] == NULL)
			continue;
		if ((tag = strdup(st->folder[d])) == NULL || add_tag(f, tag) < 0)
			goto oom;
	}
	if ((c = attr(atts, "category")) != NULL && add_categories(f, c) < 0)
		goto oom;
	return;
oom:
	fail(st, "out of memory");
}

static void XMLCALL
on_start(void *user, const XML_Char *el, const XML_Char **atts)
{
	struct ostate *st = user;
	const char *url, *t;

	if (st->depth == 0 && strcmp(el, "opml") != 0) {
		fail(st, "not an OPML document (the root element is <%s>, not <opml>)", el);
		return;
	}
	if (st->depth == OPML_MAX_DEPTH) {
		fail(st, "elements nested deeper than %d", OPML_MAX_DEPTH);
		return;
	}
	st->folder[st->depth] = NULL;
	if (st->depth == 2 && strcmp(el, "title") == 0)
		st->in_title = 1;
	if (strcmp(el, "outline") == 0) {
		url = attr(atts, "xmlUrl");
		if (url && url[strspn(url, " \t\r\n")]) {
			add_feed(st, atts, url);
		} else {
			/* A folder: its label tags the feeds inside. */
			t = attr(atts, "text");
			if (t == NULL || t[strspn(t, " \t\r\n")] == '\0')
				t = attr(atts, "title");
			if (t && (st->folder[st->depth] = clean(t, strlen(t), 1)) == NULL)
				fail(st, "out of memory");
		}
	}
	st->depth++;
}

static void XMLCALL
on_end(void *user, const XML_Char *el)
{
	struct ostate *st = user;

	(void)el;
	if (st->depth == 0)
		return;
	st->depth--;
	free(st->folder[st->depth]);
	st->folder[st->depth] = NULL;
	st->in_title = 0;
}

static void XMLCALL
on_text(void *user, const XML_Char *s, int len)
{
	struct ostate *st = user;

	if (st->in_title && st->title.len < OPML_MAX_ATTR &&
	    buf_append(&st->title, s, (size_t)len) < 0)
		fail(st, "out of memory");
}

static void XMLCALL
on_entity(void *user, const XML_Char *name, int param, const XML_Char *value, int vlen,
	  const XML_Char *base, const XML_Char *sysid, const XML_Char *pubid,
	  const XML_Char *notation)
{
	(void)param, (void)value, (void)vlen, (void)base, (void)sysid, (void)pubid, (void)notation;
	fail(user, "entity declarations are not allowed (entity '%s')", name);
}

int
opml_parse(const char *name, const char *data, size_t len, struct opml *out, char *err,
	   size_t errlen)
{
	struct ostate st = {.name = name, .out = out, .err = err, .errlen = errlen};

	memset(out, 0, sizeof *out);
	if (len > OPML_MAX_INPUT) {
		snprintf(err, errlen, "%s: too large (%zu bytes, at most %u)", name, len,
			 OPML_MAX_INPUT);
		return -1;
	}
	if ((st.xp = XML_ParserCreate(NULL)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	st.title.limit = OPML_MAX_ATTR + 4096;
	XML_SetUserData(st.xp, &st);
	XML_SetElementHandler(st.xp, on_start, on_end);
	XML_SetCharacterDataHandler(st.xp, on_text);
	XML_SetEntityDeclHandler(st.xp, on_entity);
	/* External entities and DTDs are never loaded. */
	XML_SetParamEntityParsing(st.xp, XML_PARAM_ENTITY_PARSING_NEVER);
	if (XML_Parse(st.xp, data, (int)len, XML_TRUE) == XML_STATUS_ERROR && !st.failed) {
		snprintf(err, errlen, "%s:%lu: %s", name,
			 (unsigned long)XML_GetCurrentLineNumber(st.xp),
			 XML_ErrorString(XML_GetErrorCode(st.xp)));
		st.failed = 1;
	}
	for (size_t d = 0; d < OPML_MAX_DEPTH; d++)
		free(st.folder[d]);
	if (!st.failed && st.title.len &&
	    (out->title = clean(st.title.data, st.title.len, 0)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		st.failed = 1;
	}
	buf_free(&st.title);
	XML_ParserFree(st.xp);
	if (st.failed) {
		opml_free(out);
		return -1;
	}
	return 0;
}

void
opml_free(struct opml *o)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->nfeeds; i++) {
		struct opml_feed *f = &o->feeds[i];

		free(f->url);
		free(f->title);
		free(f->html_url);
		for (size_t t = 0; t < f->ntags; t++)
			free(f->tags[t]);
		free(f->tags);
	}
	free(o->feeds);
	free(o->title);
	memset(o, 0, sizeof *o);
}

/* ---- writing ---- */

/* s as XML attribute text: markup characters escaped, whitespace controls
 * as character references, other controls dropped, bad UTF-8 as U+FFFD. */
static int
put_escaped(struct buf *b, const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;
	int rc = 0;

	while (*p && rc == 0) {
		n = utf8proc_iterate(p, -1, &cp);
		if (n <= 0) {
			rc = buf_puts(b, "\xef\xbf\xbd");
			p++;
			continue;
		}
		switch (cp) {
		case '&': rc = buf_puts(b, "&amp;"); break;
		case '<': rc = buf_puts(b, "&lt;"); break;
		case '>': rc = buf_puts(b, "&gt;"); break;
		case '"': rc = buf_puts(b, "&quot;"); break;
		case '\t':
		case '\n':
		case '\r':
		/* DEL is a legal XML character that opml_parse keeps: dropping it
		 * changed a url between export and import (found by fuzz_opml). */
		case 0x7f: rc = buf_printf(b, "&#%d;", (int)cp); break;
		default:
			if (cp >= 0x20 && cp != 0xfffe && cp != 0xffff)
				rc = buf_append(b, p, (size_t)n);
		}
		p += n;
	}
	return rc;
}

static int
put_attr(struct buf *b, const char *name, const char *v)
{
	if (v == NULL)
		return 0;
	if (buf_printf(b, " %s=\"", name) < 0 || put_escaped(b, v) < 0)
		return -1;
	return buf_putc(b, '"');
}

static int
put_feed(struct buf *b, const struct opml_feed *f, const char *indent)
{
	const char *label = f->title && *f->title ? f->title : f->url;
	struct buf cat = {0};
	int rc = -1;

	for (size_t i = 0; i < f->ntags; i++)
		if ((i && buf_putc(&cat, ',') < 0) || buf_puts(&cat, f->tags[i]) < 0)
			goto out;
	if (buf_printf(b, "%s<outline type=\"rss\"", indent) < 0 ||
	    put_attr(b, "text", label) < 0 || put_attr(b, "title", label) < 0 ||
	    put_attr(b, "xmlUrl", f->url) < 0 || put_attr(b, "htmlUrl", f->html_url) < 0 ||
	    (f->ntags && put_attr(b, "category", cat.data) < 0) || buf_puts(b, "/>\n") < 0)
		goto out;
	rc = 0;
out:
	buf_free(&cat);
	return rc;
}

/* The folder of feed i: its first tag, or NULL. */
static const char *
folder_of(const struct opml_feed *f)
{
	return f->ntags ? f->tags[0] : NULL;
}

/* A feed and its folder, for sorting the feeds into folders. */
struct fref {
	const char *folder;
	size_t i;
};

static int
cmp_fref(const void *a, const void *b)
{
	const struct fref *x = a, *y = b;
	int c = strcmp(x->folder, y->folder);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* next[i]: the next feed after i in i's folder, n after the last (and for
 * a feed with no folder); lead[i] (i with a folder): the folder's first
 * feed. Sorting, not a scan per folder: a document of many folders is not
 * quadratic. 0 or -1. */
static int
group_folders(const struct opml_feed *feeds, size_t n, size_t *next, size_t *lead)
{
	struct fref *r = calloc(n + 1, sizeof *r);
	size_t m = 0;

	if (r == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		next[i] = n;
		if (folder_of(&feeds[i]))
			r[m++] = (struct fref){folder_of(&feeds[i]), i};
	}
	qsort(r, m, sizeof *r, cmp_fref);
	for (size_t k = 0; k < m; k++) {
		int same = k > 0 && strcmp(r[k - 1].folder, r[k].folder) == 0;

		lead[r[k].i] = same ? lead[r[k - 1].i] : r[k].i;
		if (same)
			next[r[k - 1].i] = r[k].i;
	}
	free(r);
	return 0;
}

/* Feeds in order, except that each folder is written whole where its
 * first feed is. */
static int
put_body(struct buf *b, const struct opml_feed *feeds, size_t n)
{
	size_t *next = calloc(n + 1, sizeof *next), *lead = calloc(n + 1, sizeof *lead);
	int rc = -1;

	if (next == NULL || lead == NULL || group_folders(feeds, n, next, lead) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const char *fo = folder_of(&feeds[i]);

		if (fo == NULL) {
			if (put_feed(b, &feeds[i], "    ") < 0)
				goto out;
			continue;
		}
		if (lead[i] != i)
			continue; /* written with the folder's first feed */
		if (buf_puts(b, "    <outline") < 0 || put_attr(b, "text", fo) < 0 ||
		    put_attr(b, "title", fo) < 0 || buf_puts(b, ">\n") < 0)
			goto out;
		for (size_t j = i; j < n; j = next[j])
			if (put_feed(b, &feeds[j], "      ") < 0)
				goto out;
		if (buf_puts(b, "    </outline>\n") < 0)
			goto out;
	}
	rc = 0;
out:
	free(next);
	free(lead);
	return rc;
}

char *
opml_write(const char *title, const struct opml_feed *feeds, size_t n, int64_t date)
{
	struct buf b = {0};
	char when[64];
	struct tm tm;
	time_t t = (time_t)date;

	if (buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n"
			 "  <head>\n    <title>") < 0 ||
	    put_escaped(&b, title ? title : "herald subscriptions") < 0 ||
	    buf_puts(&b, "</title>\n") < 0)
		goto fail;
	if (date && gmtime_r(&t, &tm) &&
	    strftime(when, sizeof when, "%a, %d %b %Y %H:%M:%S GMT", &tm) &&
	    buf_printf(&b, "    <dateCreated>%s</dateCreated>\n", when) < 0)
		goto fail;
	if (buf_puts(&b, "    <docs>http://opml.org/spec2.opml</docs>\n  </head>\n  <body>\n") <
		    0 ||
	    put_body(&b, feeds, n) < 0 || buf_puts(&b, "  </body>\n</opml>\n") < 0)
		goto fail;
	return buf_detach(&b);
fail:
	buf_free(&b);
	return NULL;
}
