/* parse_json: JSON Feed on yajl's event parser; see parse_json.h.
 *
 * yajl calls back for each value as the bytes arrive. A stack of frames says
 * where a value is (the feed object, the items array, an item, an author, the
 * tags, an attachment, or a subtree we skip), and the key last seen in the
 * enclosing object says what it is. Only strings are ever buffered (by
 * yajl's lexer, until the string ends), so the body is fed in slices and a
 * token growing past JSON_MAX_TOKEN without an event ends the parse: a huge
 * string costs a bounded amount of memory. */
#include "parse_json.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_parse.h>

#include "date.h"
#include "html.h"
#include "parse_int.h"

/* A string token may be escaped (\uXXXX: 6 bytes for 1 to 3 of UTF-8). */
#define JSON_MAX_TOKEN (6u * PARSE_MAX_FIELD + 64)
#define JSON_SLICE     (64u << 10)

enum jctx {
	J_ROOT,
	J_ITEMS,
	J_ITEM,
	J_AUTHORS,
	J_AUTHOR,
	J_TAGS,
	J_ATTACHMENTS,
	J_ATTACHMENT,
	J_SKIP,
};

/* The keys we read; K_OTHER for the rest. */
enum jkey {
	K_OTHER,
	K_VERSION,
	K_TITLE,
	K_HOME_PAGE_URL,
	K_FEED_URL,
	K_DESCRIPTION,
	K_ICON,
	K_FAVICON,
	K_LANGUAGE,
	K_AUTHOR,
	K_AUTHORS,
	K_ITEMS,
	K_ID,
	K_URL,
	K_EXTERNAL_URL,
	K_CONTENT_HTML,
	K_CONTENT_TEXT,
	K_SUMMARY,
	K_IMAGE,
	K_DATE_PUBLISHED,
	K_DATE_MODIFIED,
	K_TAGS,
	K_ATTACHMENTS,
	K_NAME,
	K_MIME_TYPE,
	K_SIZE_IN_BYTES,
	K_DURATION,
};

static const struct {
	const char *name;
	enum jkey key;
} key_table[] = {
	{"version", K_VERSION},
	{"title", K_TITLE},
	{"home_page_url", K_HOME_PAGE_URL},
	{"feed_url", K_FEED_URL},
	{"description", K_DESCRIPTION},
	{"icon", K_ICON},
	{"favicon", K_FAVICON},
	{"language", K_LANGUAGE},
	{"author", K_AUTHOR},
	{"authors", K_AUTHORS},
	{"items", K_ITEMS},
	{"id", K_ID},
	{"url", K_URL},
	{"external_url", K_EXTERNAL_URL},
	{"content_html", K_CONTENT_HTML},
	{"content_text", K_CONTENT_TEXT},
	{"summary", K_SUMMARY},
	{"image", K_IMAGE},
	{"date_published", K_DATE_PUBLISHED},
	{"date_modified", K_DATE_MODIFIED},
	{"tags", K_TAGS},
	{"attachments", K_ATTACHMENTS},
	{"name", K_NAME},
	{"mime_type", K_MIME_TYPE},
	{"size_in_bytes", K_SIZE_IN_BYTES},
	{"duration_in_seconds", K_DURATION},
};

struct jframe {
	enum jctx ctx;
	unsigned char item; /* an author list or author: the item's, not the feed's */
	enum jkey key;      /* the key last seen, in an object */
	char name[24];      /* that key as written (cut), for messages */
};

struct parse_json {
	struct parse *p;
	yajl_handle h;
	struct jframe stack[PARSE_MAX_DEPTH + 1];
	int depth;                   /* frames in use; 0 before the root */
	int root_seen;               /* a top-level value began */
	int root_object;             /* ... and it was an object */
	int items_seen;              /* the root had an "items" array */
	int feed_authors;            /* the feed's 1.1 "authors" array was seen */
	int item_authors;            /* the same for the current item */
	size_t index;                /* items begun, for messages */
	size_t since_event;          /* bytes fed since yajl last called back */
	size_t offset;               /* bytes fed before the current slice */
	int started;                 /* a byte other than a BOM's was fed */
	struct parse_enclosure *att; /* the attachment being read */
	struct parse_person *who;    /* the author being read */
};

int
parse_json_type(const char *ct)
{
	size_t n;

	if (ct == NULL)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	n = strcspn(ct, "; \t");
	if ((n == 16 && !strncasecmp(ct, "application/json", 16)) ||
	    (n == 9 && !strncasecmp(ct, "text/json", 9)))
		return 1;
	return n > 5 && !strncasecmp(ct + n - 5, "+json", 5);
}

/* ---------------------------------------------------------------- helpers */

static struct jframe *
top(struct parse_json *j)
{
	return j->depth ? &j->stack[j->depth - 1] : NULL;
}

static void
fail(struct parse_json *j, const char *fmt, const char *what)
{
	struct parse *p = j->p;

	if (p->err[0] == '\0') {
		char msg[200];
		snprintf(msg, sizeof msg, fmt, what);
		snprintf(p->err, sizeof p->err, "JSON byte %zu: %s",
			 j->offset + (j->h ? yajl_get_bytes_consumed(j->h) : 0), msg);
	}
	p->fatal = 1;
}

/* Where a value sits, for messages: "items[3].title", "authors[0].name". */
static void
where(struct parse_json *j, char *out, size_t len)
{
	struct jframe *f = top(j);
	const char *key = f ? f->name : "";

	if (f && f->ctx == J_ROOT)
		snprintf(out, len, "%s", key);
	else if (j->stack[1].ctx == J_ITEMS && j->depth >= 3)
		snprintf(out, len, "items[%zu]%s%s", j->index - 1, *key ? "." : "", key);
	else
		snprintf(out, len, "%s", key);
}

/* A value of the wrong type for a field we read: left out, and noted. */
static void
wrong_type(struct parse_json *j, const char *got)
{
	struct parse *p = j->p;
	char at[80], msg[160];

	p->meta.bozo = 1;
	if (p->meta.bozo_reason)
		return;
	where(j, at, sizeof at);
	snprintf(msg, sizeof msg, "JSON Feed: %s is %s, not what JSON Feed says it is", at, got);
	p->meta.bozo_reason = dup0(msg);
}

/* A malloc'd copy of s[0..n) with any NUL (JSON "\u0000") left out. */
static char *
jdup(const unsigned char *s, size_t n)
{
	char *d = malloc(n + 1);
	size_t k = 0;

	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '\0')
			d[k++] = (char)s[i];
	d[k] = '\0';
	return d;
}

static const char *
base(struct parse_json *j)
{
	return j->p->docurl;
}

static int
oom(struct parse_json *j)
{
	fail(j, "%s", "out of memory");
	return 0;
}

static int
set_text(struct parse_json *j, struct parse_text *t, char *v, enum parse_type type)
{
	parse_text_free(t);
	t->type = type;
	if (type == PARSE_TYPE_TEXT) {
		t->value = t->text = v;
		return 0;
	}
	struct html_result r;
	char err[160];
	int rc = html_clean(v, strlen(v), base(j), &r, err, sizeof err);
	free(v);
	if (rc < 0) {
		fail(j, "HTML: %s", err);
		return -1;
	}
	t->value = r.html;
	t->text = r.text;
	t->base = dup0(base(j));
	return 0;
}

static int
add_link(struct parse_json *j, struct parse_lists *l, const char *href, const char *rel,
	 const char *type)
{
	if (parse_grow((void **)&l->links, &l->nlinks, sizeof *l->links) < 0)
		return 0; /* past PARSE_MAX_LIST: left out */
	struct parse_link *k = &l->links[l->nlinks - 1];
	k->href = dup0(href);
	k->rel = dup0(rel);
	k->type = dup0(type);
	if (k->href == NULL || k->rel == NULL || (type && k->type == NULL))
		return -1;
	(void)j;
	return 0;
}

static void
set_date(char **raw, int64_t *t, char *v)
{
	int64_t when = 0;

	if (date_parse(v, &when) < 0)
		when = 0;
	set_str(raw, v);
	*t = when;
}

/* ---------------------------------------------------------------- values */

static int
feed_string(struct parse_json *j, enum jkey k, char *v)
{
	struct parse_meta *m = &j->p->meta;

	switch (k) {
	case K_VERSION:
		set_str(&m->version, v);
		if (strstr(v, "jsonfeed.org/version/1.1") || !strcmp(v, "1.1"))
			m->format = "json11";
		else if (strstr(v, "jsonfeed.org/version/1") || !strcmp(v, "1") ||
			 !strcmp(v, "1.0"))
			m->format = "json1";
		return 0;
	case K_TITLE: return set_text(j, &m->title, v, PARSE_TYPE_TEXT);
	case K_DESCRIPTION: return set_text(j, &m->subtitle, v, PARSE_TYPE_TEXT);
	case K_LANGUAGE: set_str(&m->language, v); return 0;
	case K_HOME_PAGE_URL:
		set_str(&m->link, v);
		return add_link(j, &m->l, v, "alternate", "text/html");
	case K_FEED_URL:
		set_str(&m->id, v);
		return add_link(j, &m->l, v, "self", "application/feed+json");
	case K_ICON:
		set_str(&m->logo, v);
		set_str(&m->image_url, dup0(v));
		return m->image_url ? 0 : -1;
	case K_FAVICON: set_str(&m->icon, v); return 0;
	default: free(v); return 0;
	}
}

static int
add_content(struct parse_json *j, struct parse_item *it, char *v, enum parse_type type)
{
	if (parse_grow((void **)&it->content, &it->ncontent, sizeof *it->content) < 0) {
		free(v);
		return 0;
	}
	struct parse_text *t = &it->content[it->ncontent - 1];
	if (set_text(j, t, v, type) < 0)
		return -1;
	/* content_html comes first, whichever the document wrote first */
	if (type == PARSE_TYPE_HTML && it->ncontent > 1) {
		struct parse_text tmp = *t;
		memmove(&it->content[1], &it->content[0], (it->ncontent - 1) * sizeof tmp);
		it->content[0] = tmp;
	}
	return 0;
}

static int
item_string(struct parse_json *j, enum jkey k, char *v)
{
	struct parse_item *it = &j->p->item;
	int rc;

	switch (k) {
	case K_ID: set_str(&it->guid, v); return 0;
	case K_TITLE: return set_text(j, &it->title, v, PARSE_TYPE_TEXT);
	case K_SUMMARY: return set_text(j, &it->summary, v, PARSE_TYPE_TEXT);
	case K_CONTENT_HTML: return add_content(j, it, v, PARSE_TYPE_HTML);
	case K_CONTENT_TEXT: return add_content(j, it, v, PARSE_TYPE_TEXT);
	case K_DATE_PUBLISHED: set_date(&it->published_raw, &it->published, v); return 0;
	case K_DATE_MODIFIED: set_date(&it->updated_raw, &it->updated, v); return 0;
	case K_IMAGE: set_str(&it->image, v); return 0;
	case K_URL:
	case K_EXTERNAL_URL:
		if (k == K_URL || it->link == NULL)
			set_str(&it->link, dup0(v));
		rc = it->link ? add_link(j, &it->l, v, k == K_URL ? "alternate" : "related",
					 "text/html")
			      : -1;
		free(v);
		return rc;
	default: free(v); return 0;
	}
}

static int
person_string(struct parse_json *j, enum jkey k, char *v)
{
	struct parse_person *a = j->who;

	if (a == NULL) {
		free(v);
		return 0;
	}
	if (k == K_NAME) {
		set_str(&a->name, v);
	} else if (k == K_URL) {
		set_str(&a->uri, v);
	} else {
		free(v);
	}
	return 0;
}

static int
attachment_string(struct parse_json *j, enum jkey k, char *v)
{
	struct parse_enclosure *e = j->att;

	if (e == NULL) {
		free(v);
		return 0;
	}
	switch (k) {
	case K_URL: set_str(&e->url, v); return 0;
	case K_MIME_TYPE: set_str(&e->type, v); return 0;
	case K_SIZE_IN_BYTES: set_str(&e->length, v); return 0;
	case K_DURATION: set_str(&e->duration, v); return 0;
	default: free(v); return 0;
	}
}

static int
tag_string(struct parse_json *j, char *v)
{
	struct parse_lists *l = &j->p->item.l;

	if (*v == '\0' ||
	    parse_grow((void **)&l->categories, &l->ncategories, sizeof *l->categories) < 0) {
		free(v);
		return 0;
	}
	l->categories[l->ncategories - 1].term = v;
	return 0;
}

/* What each key expects besides a string: a number (as written), an object
 * or an array. Everything else is a string. */
static int
wants_number(enum jctx c, enum jkey k)
{
	return (c == J_ITEM && k == K_ID) ||
	       (c == J_ATTACHMENT && (k == K_SIZE_IN_BYTES || k == K_DURATION));
}

static int
known(enum jctx c, enum jkey k)
{
	switch (c) {
	case J_ROOT: return k >= K_VERSION && k <= K_ITEMS;
	case J_ITEM:
		return k == K_ID || k == K_URL || k == K_EXTERNAL_URL || k == K_TITLE ||
		       (k >= K_CONTENT_HTML && k <= K_ATTACHMENTS) || k == K_AUTHOR ||
		       k == K_AUTHORS;
	case J_AUTHOR: return k == K_NAME || k == K_URL;
	case J_ATTACHMENT:
		return k == K_URL || k == K_MIME_TYPE || k == K_SIZE_IN_BYTES || k == K_DURATION;
	default: return 0;
	}
}

static int
is_url(enum jkey k)
{
	return k == K_URL || k == K_EXTERNAL_URL || k == K_IMAGE || k == K_HOME_PAGE_URL ||
	       k == K_FEED_URL || k == K_ICON || k == K_FAVICON;
}

static int
is_container_key(enum jkey k)
{
	return k == K_AUTHOR || k == K_AUTHORS || k == K_ITEMS || k == K_TAGS || k == K_ATTACHMENTS;
}

/* A scalar: s[0..n) as written (a string's value, a number's digits), kind
 * "a string", "a number", "true or false" or "null". */
static int
scalar(struct parse_json *j, const unsigned char *s, size_t n, const char *kind, int is_string)
{
	struct jframe *f = top(j);
	char *v;
	int rc;

	j->since_event = 0;
	if (j->p->fatal)
		return 0;
	if (f == NULL) { /* the whole document is one scalar */
		j->root_seen = 1;
		return 1;
	}
	if (f->ctx == J_SKIP || f->ctx == J_ITEMS || f->ctx == J_AUTHORS ||
	    f->ctx == J_ATTACHMENTS || (f->ctx == J_TAGS && !is_string)) {
		if (f->ctx != J_SKIP && strcmp(kind, "null") != 0)
			wrong_type(j, kind);
		return 1;
	}
	if (!strcmp(kind, "null") || (f->ctx != J_TAGS && !known(f->ctx, f->key)))
		return 1;
	if (f->ctx != J_TAGS &&
	    (is_container_key(f->key) || (!is_string && !wants_number(f->ctx, f->key)))) {
		wrong_type(j, kind);
		return 1;
	}
	if (n > PARSE_MAX_FIELD) {
		fail(j, "a string longer than %s bytes", "2097152");
		return 0;
	}
	if ((v = jdup(s, n)) == NULL)
		return oom(j);
	if (f->ctx != J_TAGS && is_url(f->key)) { /* resolved against the document */
		char *u = parse_resolve(base(j), v);
		free(v);
		if ((v = u) == NULL)
			return oom(j);
	}
	switch (f->ctx) {
	case J_ROOT: rc = feed_string(j, f->key, v); break;
	case J_ITEM: rc = item_string(j, f->key, v); break;
	case J_AUTHOR: rc = person_string(j, f->key, v); break;
	case J_ATTACHMENT: rc = attachment_string(j, f->key, v); break;
	case J_TAGS: rc = tag_string(j, v); break;
	default: free(v), rc = 0;
	}
	if (rc < 0 && !j->p->fatal)
		return oom(j);
	return !j->p->fatal;
}

static int
on_null(void *u)
{
	return scalar(u, (const unsigned char *)"", 0, "null", 0);
}

static int
on_bool(void *u, int b)
{
	(void)b;
	return scalar(u, (const unsigned char *)"", 0, "true or false", 0);
}

static int
on_number(void *u, const char *s, size_t n)
{
	return scalar(u, (const unsigned char *)s, n, "a number", 0);
}

static int
on_string(void *u, const unsigned char *s, size_t n)
{
	return scalar(u, s, n, "a string", 1);
}

/* ---------------------------------------------------------------- containers */

static struct parse_lists *
owner_lists(struct parse_json *j, int item)
{
	return item ? &j->p->item.l : &j->p->meta.l;
}

/* An author object begins in a list of the item's or the feed's. */
static void
author_begin(struct parse_json *j, int item)
{
	struct parse_lists *l = owner_lists(j, item);

	j->who = NULL;
	if (parse_grow((void **)&l->authors, &l->nauthors, sizeof *l->authors) == 0)
		j->who = &l->authors[l->nauthors - 1];
}

static void
authors_clear(struct parse_lists *l)
{
	for (size_t i = 0; i < l->nauthors; i++)
		free(l->authors[i].name), free(l->authors[i].email), free(l->authors[i].uri);
	l->nauthors = 0;
}

/* Which frame a container opens: where it is and under which key. */
static enum jctx
child(struct parse_json *j, int is_map, unsigned char *item)
{
	struct jframe *f = top(j);

	*item = 0;
	if (f == NULL)
		return is_map ? J_ROOT : J_SKIP;
	switch (f->ctx) {
	case J_ROOT:
	case J_ITEM:
		*item = f->ctx == J_ITEM;
		if (f->key == K_ITEMS && f->ctx == J_ROOT)
			return is_map ? J_SKIP : J_ITEMS;
		if (f->key == K_AUTHOR)
			return is_map ? J_AUTHOR : J_SKIP;
		if (f->key == K_AUTHORS)
			return is_map ? J_SKIP : J_AUTHORS;
		if (f->key == K_TAGS && f->ctx == J_ITEM)
			return is_map ? J_SKIP : J_TAGS;
		if (f->key == K_ATTACHMENTS && f->ctx == J_ITEM)
			return is_map ? J_SKIP : J_ATTACHMENTS;
		return J_SKIP;
	case J_ITEMS: return is_map ? J_ITEM : J_SKIP;
	case J_AUTHORS: *item = f->item; return is_map ? J_AUTHOR : J_SKIP;
	case J_ATTACHMENTS: return is_map ? J_ATTACHMENT : J_SKIP;
	default: return J_SKIP;
	}
}

static int
open_container(struct parse_json *j, int is_map)
{
	unsigned char item;
	struct jframe *f = top(j);
	enum jctx c;

	j->since_event = 0;
	if (j->p->fatal)
		return 0;
	if (j->depth >= PARSE_MAX_DEPTH) {
		fail(j, "values nested deeper than %s", "256");
		return 0;
	}
	c = child(j, is_map, &item);
	/* in an object, a key we read holding the wrong kind of container; in
	 * one of our arrays, an element that is not what the array holds */
	if (c == J_SKIP && f && f->ctx != J_SKIP &&
	    (f->ctx == J_ROOT || f->ctx == J_ITEM || f->ctx == J_AUTHOR || f->ctx == J_ATTACHMENT
		     ? known(f->ctx, f->key)
		     : 1))
		wrong_type(j, is_map ? "an object" : "an array");
	if (f == NULL) {
		j->root_seen = 1;
		j->root_object = is_map;
	}
	if (c == J_ITEMS)
		j->items_seen = 1;
	if (c == J_ITEM) {
		parse_item_free(&j->p->item);
		j->p->initem = 1;
		j->item_authors = 0;
		j->index++;
	}
	if (c == J_AUTHORS) { /* 1.1 "authors" replaces 1.0 "author" */
		authors_clear(owner_lists(j, item));
		*(item ? &j->item_authors : &j->feed_authors) = 1;
	}
	if (c == J_AUTHOR && f->ctx != J_AUTHORS && (item ? j->item_authors : j->feed_authors))
		c = J_SKIP; /* "author" after "authors": the 1.1 list wins */
	if (c == J_AUTHOR)
		author_begin(j, item);
	if (c == J_ATTACHMENT) {
		struct parse_item *it = &j->p->item;
		j->att = NULL;
		if (parse_grow((void **)&it->enclosures, &it->nenclosures,
			       sizeof *it->enclosures) == 0)
			j->att = &it->enclosures[it->nenclosures - 1];
	}
	j->stack[j->depth++] = (struct jframe){.ctx = c, .item = item};
	return 1;
}

static int
on_start_map(void *u)
{
	return open_container(u, 1);
}

static int
on_start_array(void *u)
{
	return open_container(u, 0);
}

static int
on_key(void *u, const unsigned char *s, size_t n)
{
	struct parse_json *j = u;
	struct jframe *f = top(j);

	j->since_event = 0;
	if (f == NULL)
		return 1;
	f->key = K_OTHER;
	for (size_t i = 0; i < sizeof key_table / sizeof key_table[0]; i++)
		if (strlen(key_table[i].name) == n && !memcmp(key_table[i].name, s, n))
			f->key = key_table[i].key;
	if (n >= sizeof f->name) /* cut on a character boundary */
		for (n = sizeof f->name - 1; n > 0 && (s[n] & 0xC0) == 0x80; n--)
			;
	memcpy(f->name, s, n);
	f->name[n] = '\0';
	return 1;
}

/* An attachment closes: without a url it is no enclosure. It is also a link,
 * as RSS's <enclosure> is. */
static int
attachment_end(struct parse_json *j)
{
	struct parse_item *it = &j->p->item;
	struct parse_enclosure *e = j->att;

	j->att = NULL;
	if (e == NULL)
		return 0;
	if (e->url == NULL || *e->url == '\0') {
		free(e->url), free(e->type), free(e->length), free(e->duration);
		it->nenclosures--;
		return 0;
	}
	if (parse_grow((void **)&it->l.links, &it->l.nlinks, sizeof *it->l.links) < 0)
		return 0;
	struct parse_link *k = &it->l.links[it->l.nlinks - 1];
	k->href = dup0(e->url);
	k->rel = dup0("enclosure");
	k->type = dup0(e->type);
	k->length = dup0(e->length);
	return k->href && k->rel ? 0 : -1;
}

static void
item_end(struct parse_json *j)
{
	struct parse *p = j->p;
	struct parse_item *it = &p->item;

	p->initem = 0;
	if (it->summary.value == NULL && it->ncontent > 0) {
		const struct parse_text *c = &it->content[0];
		it->summary.type = c->type;
		it->summary.value = dup0(c->value);
		it->summary.text = c->text == c->value ? it->summary.value : dup0(c->text);
		it->summary.base = dup0(c->base);
	}
	if (p->meta.nitems >= PARSE_MAX_ITEMS)
		fail(j, "more than %s items in one document", "20000");
	else if (p->cb && p->cb(it, p->user) != 0)
		fail(j, "%s", "stopped by the item callback");
	else
		p->meta.nitems++;
	parse_item_free(it);
}

static int
close_container(struct parse_json *j)
{
	struct jframe *f = top(j);

	j->since_event = 0;
	if (j->p->fatal || f == NULL)
		return 0;
	if (f->ctx == J_ITEM)
		item_end(j);
	else if (f->ctx == J_ATTACHMENT && attachment_end(j) < 0)
		oom(j);
	else if (f->ctx == J_AUTHOR)
		j->who = NULL;
	j->depth--;
	return !j->p->fatal;
}

static int
on_end(void *u)
{
	return close_container(u);
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_bool,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_key,
	.yajl_end_map = on_end,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end,
};

/* ---------------------------------------------------------------- public */

struct parse_json *
parse_json_new(struct parse *p)
{
	struct parse_json *j = calloc(1, sizeof *j);

	if (j == NULL)
		return NULL;
	j->p = p;
	j->h = yajl_alloc(&callbacks, NULL, j);
	if (j->h == NULL) {
		free(j);
		return NULL;
	}
	return j;
}

/* yajl's reason for a status other than ok, into p's error. */
static void
syntax_error(struct parse_json *j, const unsigned char *s, size_t n)
{
	unsigned char *msg = yajl_get_error(j->h, 0, s, n);
	char *nl;

	if (msg && (nl = strchr((char *)msg, '\n')) != NULL)
		*nl = '\0';
	fail(j, "%s", msg ? (const char *)msg : "not valid JSON");
	if (msg)
		yajl_free_error(j->h, msg);
}

int
parse_json_feed(struct parse_json *j, const char *s, size_t n)
{
	if (j->p->fatal)
		return -1;
	/* a UTF-8 BOM, maybe split across chunks */
	while (!j->started && n > 0 && (s[0] == '\xEF' || s[0] == '\xBB' || s[0] == '\xBF'))
		s++, n--, j->offset++;
	j->started |= n > 0;
	while (n > 0) {
		size_t m = n > JSON_SLICE ? JSON_SLICE : n;
		yajl_status st = yajl_parse(j->h, (const unsigned char *)s, m);

		if (st != yajl_status_ok) {
			if (st == yajl_status_error)
				syntax_error(j, (const unsigned char *)s, m);
			j->p->fatal = 1;
			return -1;
		}
		j->since_event += m;
		if (j->since_event > JSON_MAX_TOKEN) {
			fail(j, "a token longer than %s bytes", "12 MiB");
			return -1;
		}
		j->offset += m, s += m, n -= m;
	}
	return 0;
}

int
parse_json_finish(struct parse_json *j)
{
	struct parse *p = j->p;
	struct parse_meta *m = &p->meta;

	if (!p->fatal && !j->root_seen) {
		snprintf(p->err, sizeof p->err, "empty JSON document");
		return -1;
	}
	if (!p->fatal && yajl_complete_parse(j->h) != yajl_status_ok) {
		if (j->depth > 0 && j->root_object && (m->format || j->items_seen)) {
			/* the document ended inside the feed: keep what was read */
			m->bozo = m->truncated = 1;
			if (m->bozo_reason == NULL)
				m->bozo_reason = dup0("JSON: the document ends early");
		} else {
			syntax_error(j, (const unsigned char *)"", 0);
		}
	}
	m->encoding = "utf-8";
	if (p->fatal)
		return -1;
	if (!j->root_object) {
		snprintf(p->err, sizeof p->err, "JSON, but not a JSON Feed: not an object");
		return -1;
	}
	if (m->format == NULL && !j->items_seen) {
		snprintf(p->err, sizeof p->err,
			 "JSON, but not a JSON Feed: no jsonfeed.org \"version\" and no \"items\"");
		return -1;
	}
	if (m->format == NULL) {
		m->format = "json1";
		m->bozo = 1;
		if (m->bozo_reason == NULL)
			m->bozo_reason = dup0("JSON Feed: no jsonfeed.org \"version\"");
	}
	p->err[0] = '\0';
	return 0;
}

void
parse_json_free(struct parse_json *j)
{
	if (j == NULL)
		return;
	if (j->h)
		yajl_free(j->h);
	free(j);
}
