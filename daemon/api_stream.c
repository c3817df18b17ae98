/* api_stream: the Reader API's stream endpoints (see api.h): contents,
 * item ids, items by id, unread counts, marks, and the Atom form. Each
 * call borrows the writer's store for its own duration only (the session's
 * st); a page is bounded by n, so no call holds the loop for long. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "api_int.h"
#include "buf.h"
#include "confedit.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "store.h"
#include "store_api.h"
#include "url.h"

#define ITEM_PREFIX "tag:google.com,2005:reader/item/"
#define S_READING   "user/-/state/com.google/reading-list"
#define S_READ      "user/-/state/com.google/read"
#define S_STARRED   "user/-/state/com.google/starred"
#define S_KEPT      "user/-/state/com.google/kept-unread"

#define N_DEFAULT      20
#define N_MAX_CONTENTS 1000  /* items of one stream/contents page */
#define N_MAX_IDS      10000 /* ids of one stream/items/ids page */
#define MAX_IDS_IN     1000  /* i= of one stream/items/contents or edit-tag */

/* ---- JSON and HTML pieces ---- */

static int
json_str(struct buf *b, const char *s)
{
	return buf_json_string(b, s, strlen(s));
}

int
api_json_label(struct buf *b, const char *tag)
{
	struct buf t = {0};
	int rc = buf_printf(&t, "user/-/label/%s", tag) < 0 ? -1 : json_str(b, buf_str(&t));

	buf_free(&t);
	return rc;
}

int
api_json_feed_id(struct buf *b, const char *url)
{
	struct buf t = {0};
	int rc = buf_printf(&t, "feed/%s", url) < 0 ? -1 : json_str(b, buf_str(&t));

	buf_free(&t);
	return rc;
}

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

const char **
api_config_tags(const struct config *cfg, size_t *n)
{
	size_t total = 0, k = 0;
	const char **v;

	*n = 0;
	for (size_t i = 0; i < cfg->nfeeds; i++)
		total += cfg->feeds[i].ntags;
	if (total == 0 || (v = malloc(total * sizeof *v)) == NULL)
		return NULL;
	for (size_t i = 0; i < cfg->nfeeds; i++)
		for (size_t t = 0; t < cfg->feeds[i].ntags; t++)
			v[k++] = cfg->feeds[i].tags[t];
	qsort(v, k, sizeof *v, cmp_str);
	*n = 0;
	for (size_t i = 0; i < k; i++)
		if (*n == 0 || strcmp(v[*n - 1], v[i]) != 0)
			v[(*n)++] = v[i];
	return v;
}

/* HTML text: & < > " escaped (what we write is markup around the store's
 * text, never parsed). */
static int
html_esc(struct buf *b, const char *s)
{
	int bad = 0;

	for (; *s && !bad; s++) {
		switch (*s) {
		case '&': bad = buf_puts(b, "&amp;") < 0; break;
		case '<': bad = buf_puts(b, "&lt;") < 0; break;
		case '>': bad = buf_puts(b, "&gt;") < 0; break;
		case '"': bad = buf_puts(b, "&quot;") < 0; break;
		default: bad = buf_putc(b, *s) < 0;
		}
	}
	return bad ? -1 : 0;
}

/* ---- the request's parameters ---- */

struct page {
	struct api_stream stream;
	const char *stream_id; /* as asked */
	struct store_api_query q;
	unsigned n;
	int folded;      /* one entry per story (the account's reading list) */
	unsigned offset; /* folded: stories skipped */
	char why[256];
};

static int
parse_int(const char *v, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long x;

	if (v == NULL || *v == 0)
		return -1;
	x = strtoll(v, &end, 10);
	if (*end || x < min || x > max)
		return -1;
	*out = x;
	return 0;
}

/* Continuation: "TIME_ID" of the last item given, or "fOFFSET" folded. */
static int
parse_continuation(const char *c, struct page *p)
{
	int64_t a, b;

	if (api_parse_continuation(c, p->folded, &a, &b) < 0)
		return -1;
	if (p->folded) {
		p->offset = (unsigned)a;
	} else {
		p->q.after_time = a;
		p->q.after_id = b;
	}
	return 0;
}

static int
parse_page(const struct api_session *s, struct http_req *req, const char *stream, unsigned nmax,
	   struct page *p)
{
	const char *v, *xt[8], *it[8];
	size_t nxt = http_req_args(req, "xt", xt, 8), nit = http_req_args(req, "it", it, 8);
	int64_t x;

	memset(p, 0, sizeof *p);
	p->stream_id = stream ? stream : http_req_arg(req, "s");
	if (p->stream_id == NULL || *p->stream_id == 0)
		p->stream_id = S_READING;
	if (api_parse_stream(p->stream_id, &p->stream) < 0) {
		snprintf(p->why, sizeof p->why, "unknown stream '%.200s'", p->stream_id);
		return -1;
	}
	p->n = N_DEFAULT;
	if ((v = http_req_arg(req, "n")) != NULL) {
		if (parse_int(v, 1, nmax, &x) < 0) {
			snprintf(p->why, sizeof p->why, "n must be 1 to %u, not '%.40s'", nmax, v);
			return -1;
		}
		p->n = (unsigned)x;
	}
	p->q.limit = p->n;
	if ((v = http_req_arg(req, "r")) != NULL)
		p->q.oldest_first = strcmp(v, "o") == 0;
	if ((v = http_req_arg(req, "ot")) != NULL &&
	    parse_int(v, 0, INT64_MAX / 2, &p->q.since) < 0) {
		snprintf(p->why, sizeof p->why, "ot must be Unix seconds, not '%.40s'", v);
		return -1;
	}
	if ((v = http_req_arg(req, "nt")) != NULL &&
	    parse_int(v, 0, INT64_MAX / 2, &p->q.until) < 0) {
		snprintf(p->why, sizeof p->why, "nt must be Unix seconds, not '%.40s'", v);
		return -1;
	}
	for (size_t i = 0; i < nxt && i < 8; i++)
		if (strcmp(xt[i], S_READ) == 0 ||
		    (strncmp(xt[i], "user/", 5) == 0 && strstr(xt[i], "/state/com.google/read") &&
		     strcmp(strstr(xt[i], "/state/com.google/read"), "/state/com.google/read") ==
			     0))
			p->q.unread = 1;
	for (size_t i = 0; i < nit && i < 8; i++) {
		struct api_stream is;

		if (api_parse_stream(it[i], &is) == 0 && is.kind == API_STREAM_STARRED)
			p->q.starred = 1;
		else if (api_parse_stream(it[i], &is) == 0 && is.kind == API_STREAM_READ)
			p->q.read = 1;
	}
	switch (p->stream.kind) {
	case API_STREAM_READING_LIST: p->folded = s->folded; break;
	case API_STREAM_STARRED: p->q.starred = 1; break;
	case API_STREAM_READ: p->q.read = 1; break;
	case API_STREAM_LABEL: p->q.tag = p->stream.arg; break;
	case API_STREAM_STORY: p->q.story = p->stream.story; break;
	case API_STREAM_FEED: {
		const struct config_feed *f = config_feed_find_url(s->cfg, p->stream.arg);

		if (f == NULL) {
			snprintf(p->why, sizeof p->why, "no subscription '%.200s'", p->stream.arg);
			return -2;
		}
		p->q.feed = f->id;
		break;
	}
	}
	if ((v = http_req_arg(req, "c")) != NULL && *v && parse_continuation(v, p) < 0) {
		snprintf(p->why, sizeof p->why, "bad continuation '%.60s'", v);
		return -1;
	}
	return 0;
}

/* ---- items ---- */

struct out {
	const struct api_session *s;
	struct buf b;
	size_t n;
	int bad, ids_only, atom;
	int64_t last_time, last_id;
	const int64_t *want; /* items_contents: the id to write for the story */
};

static const char *
feed_url(const struct config *cfg, const char *feed, const struct config_feed **cf)
{
	*cf = config_feed_find(cfg, feed);
	return *cf ? (*cf)->url : feed;
}

static int
put_categories(struct out *o, int read, int starred, const struct config_feed *cf, int64_t story)
{
	struct buf *b = &o->b;
	int bad = buf_puts(b, "[\"" S_READING "\"") < 0;

	if (read)
		bad |= buf_puts(b, ",\"" S_READ "\"") < 0;
	if (starred)
		bad |= buf_puts(b, ",\"" S_STARRED "\"") < 0;
	for (size_t t = 0; cf && t < cf->ntags; t++) {
		bad |= buf_putc(b, ',') < 0;
		bad |= api_json_label(b, cf->tags[t]) < 0;
	}
	if (story)
		bad |= buf_printf(b, ",\"user/-/label/story/%" PRId64 "\"", story) < 0;
	bad |= buf_putc(b, ']') < 0;
	return bad ? -1 : 0;
}

/* One item as the Reader API's JSON. */
static int
put_item_json(struct out *o, int64_t id, const char *title, const char *link, const char *author,
	      int64_t time_, int64_t first_seen, int64_t published, int64_t updated,
	      const char *html, const char *feed, const char *fname, int read, int starred,
	      int64_t story)
{
	struct buf *b = &o->b;
	const struct config_feed *cf;
	const char *url = feed_url(o->s->cfg, feed, &cf);
	int bad = 0;

	bad |= buf_printf(b, "%s{\"id\":\"" ITEM_PREFIX "%016" PRIx64 "\",", o->n ? "," : "",
			  (uint64_t)id) < 0;
	bad |= buf_printf(b,
			  "\"crawlTimeMsec\":\"%" PRId64 "\",\"timestampUsec\":\"%" PRId64 "\","
			  "\"published\":%" PRId64 ",\"updated\":%" PRId64 ",\"title\":",
			  first_seen * 1000, time_ * 1000000, published ? published : time_,
			  updated ? updated : (published ? published : time_)) < 0;
	bad |= json_str(b, title) < 0;
	bad |= buf_puts(b, ",\"author\":") < 0 || json_str(b, author) < 0;
	bad |= buf_puts(b, ",\"canonical\":[{\"href\":") < 0 || json_str(b, link) < 0;
	bad |= buf_puts(b, "}],\"alternate\":[{\"href\":") < 0 || json_str(b, link) < 0;
	bad |= buf_puts(b, ",\"type\":\"text/html\"}],\"summary\":{\"direction\":\"ltr\","
			   "\"content\":") < 0;
	bad |= json_str(b, html) < 0;
	bad |= buf_puts(b, "},\"categories\":") < 0 ||
	       put_categories(o, read, starred, cf, story) < 0;
	bad |= buf_puts(b, ",\"origin\":{\"streamId\":") < 0 || api_json_feed_id(b, url) < 0;
	bad |= buf_puts(b, ",\"title\":") < 0 || json_str(b, fname) < 0;
	bad |= buf_puts(b, ",\"htmlUrl\":") < 0 || json_str(b, url) < 0;
	bad |= buf_puts(b, "}}") < 0;
	return bad ? -1 : 0;
}

static int
xml_esc(struct buf *b, const char *s)
{
	return html_esc(b, s);
}

static void
iso_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

/* One item as an Atom entry with the Reader API's categories. */
static int
put_item_atom(struct out *o, const struct store_item_row *r)
{
	struct buf *b = &o->b;
	const struct config_feed *cf;
	const char *url = feed_url(o->s->cfg, r->feed, &cf);
	const char *html = *r->content_html ? r->content_html : r->summary_html;
	char pub[32], upd[32];
	int bad = 0;

	iso_time(r->published ? r->published : r->time, pub);
	iso_time(r->updated ? r->updated : (r->published ? r->published : r->time), upd);
	bad |= buf_printf(b,
			  "<entry gr:crawl-timestamp-msec=\"%" PRId64 "\"><id>" ITEM_PREFIX
			  "%016" PRIx64 "</id><title type=\"html\">",
			  r->first_seen * 1000, (uint64_t)r->id) < 0;
	bad |= xml_esc(b, r->title) < 0;
	bad |= buf_printf(b, "</title><published>%s</published><updated>%s</updated>", pub, upd) <
	       0;
	bad |= buf_puts(b, "<link rel=\"alternate\" type=\"text/html\" href=\"") < 0;
	bad |= xml_esc(b, r->link) < 0 || buf_puts(b, "\"/><author><name>") < 0;
	bad |= xml_esc(b, r->author) < 0 || buf_puts(b, "</name></author>") < 0;
	bad |= buf_puts(b,
			"<category term=\"" S_READING
			"\" scheme=\"http://www.google.com/reader/\" label=\"reading-list\"/>") < 0;
	if (r->read)
		bad |= buf_puts(b,
				"<category term=\"" S_READ
				"\" scheme=\"http://www.google.com/reader/\" label=\"read\"/>") < 0;
	if (r->starred)
		bad |= buf_puts(b,
				"<category term=\"" S_STARRED
				"\" scheme=\"http://www.google.com/reader/\" label=\"starred\"/>") <
		       0;
	if (r->story_id)
		bad |= buf_printf(b,
				  "<category term=\"user/-/label/story/%" PRId64
				  "\" label=\"story/%" PRId64 "\"/>",
				  r->story_id, r->story_id) < 0;
	bad |= buf_puts(b, "<content type=\"html\">") < 0 || xml_esc(b, html) < 0;
	bad |= buf_puts(b, "</content><source gr:stream-id=\"feed/") < 0 || xml_esc(b, url) < 0;
	bad |= buf_puts(b, "\"><id>tag:google.com,2005:reader/feed/") < 0 || xml_esc(b, url) < 0;
	bad |= buf_puts(b, "</id><title type=\"html\">") < 0;
	bad |= xml_esc(b, r->feed_name) < 0;
	bad |= buf_puts(b, "</title><link rel=\"alternate\" href=\"") < 0 || xml_esc(b, url) < 0;
	bad |= buf_puts(b, "\" type=\"text/html\"/></source></entry>") < 0;
	return bad ? -1 : 0;
}

static int
on_item(const struct store_item_row *r, void *user)
{
	struct out *o = user;
	int rc;

	if (o->ids_only)
		rc = buf_printf(&o->b,
				"%s{\"id\":\"%" PRId64 "\",\"directStreamIds\":[],"
				"\"timestampUsec\":\"%" PRId64 "\"}",
				o->n ? "," : "", r->id, r->time * 1000000) < 0
			     ? -1
			     : 0;
	else if (o->atom)
		rc = put_item_atom(o, r);
	else
		rc = put_item_json(o, r->id, r->title, r->link, r->author, r->time, r->first_seen,
				   r->published, r->updated,
				   *r->content_html ? r->content_html : r->summary_html, r->feed,
				   r->feed_name, r->read, r->starred, r->story_id);
	if (rc < 0) {
		o->bad = 1;
		return 1;
	}
	o->n++;
	o->last_time = r->time;
	o->last_id = r->id;
	return 0;
}

/* ---- folded: one entry per story ---- */

static int
story_html(struct buf *h, const struct store_story *st)
{
	int bad = buf_printf(h, "<p>Told by %" PRId64 " outlet%s:</p><ul>", st->noutlets,
			     st->noutlets == 1 ? "" : "s") < 0;

	for (size_t i = 0; i < st->noutlet_rows; i++) {
		const struct store_outlet *ol = &st->outlets[i];

		bad |= buf_puts(h, "<li><a href=\"") < 0 || html_esc(h, ol->link) < 0;
		bad |= buf_puts(h, "\">") < 0 || html_esc(h, ol->title) < 0;
		bad |= buf_puts(h, "</a> — ") < 0 || html_esc(h, ol->feed_name) < 0;
		bad |= buf_puts(h, "</li>") < 0;
	}
	bad |= buf_puts(h, "</ul>") < 0;
	return bad ? -1 : 0;
}

/* A story as one entry, named by its earliest item (or by id). */
static int
put_story(struct out *o, const struct store_story *st, int64_t id)
{
	const struct store_outlet *first = st->noutlet_rows ? &st->outlets[0] : NULL;
	struct buf h = {0};
	int rc;

	if (first == NULL)
		return 0;
	if (id == 0)
		id = first->item_id;
	if (o->ids_only) {
		rc = buf_printf(&o->b,
				"%s{\"id\":\"%" PRId64 "\",\"directStreamIds\":[],"
				"\"timestampUsec\":\"%" PRId64 "\"}",
				o->n ? "," : "", id, st->last_seen * 1000000) < 0
			     ? -1
			     : 0;
	} else {
		rc = story_html(&h, st);
		if (rc == 0)
			rc = put_item_json(o, id, st->title, first->link, "", st->last_seen,
					   st->first_seen, first->published, st->last_seen,
					   buf_str(&h), first->feed, first->feed_name,
					   st->state == STORE_STATE_READ, st->starred, st->id);
		buf_free(&h);
	}
	if (rc < 0)
		o->bad = 1;
	else
		o->n++;
	return rc;
}

static int
folded_page(const struct api_session *s, const struct page *p, struct out *o, char *err,
	    size_t errlen)
{
	struct store_filter f = {.all = !p->q.unread,
				 .limit = p->n,
				 .offset = p->offset,
				 .since = p->q.since,
				 .before = p->q.until,
				 .starred = p->q.starred};
	struct store_story_list l = {0};
	int rc = store_stories(s->st, &f, &l, err, errlen);

	for (size_t i = 0; rc == 0 && i < l.n && !o->bad; i++)
		put_story(o, &l.v[i], 0);
	store_story_list_free(&l);
	return rc;
}

/* ---- stream/contents, stream/items/ids, /reader/atom/ ---- */

static void
page_error(struct http_req *req, int rc, const char *why)
{
	struct buf b = {0};

	if (buf_printf(&b, "%s\n", why) < 0) {
		api_text(req, 500, "out of memory\n");
		return;
	}
	api_buf(req, rc == -2 ? 404 : 400, "text/plain; charset=utf-8", &b, 0);
}

static int
put_continuation(struct out *o, const struct page *p)
{
	if (o->n < p->n)
		return 0;
	if (p->folded)
		return buf_printf(&o->b, ",\"continuation\":\"f%u\"", p->offset + p->n) < 0 ? -1
											    : 0;
	return buf_printf(&o->b, ",\"continuation\":\"%" PRId64 "_%" PRId64 "\"", o->last_time,
			  o->last_id) < 0
		       ? -1
		       : 0;
}

static int
run_page(const struct api_session *s, struct page *p, struct out *o, char *err, size_t errlen)
{
	if (p->folded)
		return folded_page(s, p, o, err, errlen);
	return store_api_items(s->st, &p->q, on_item, o, err, errlen) < 0 && !o->bad ? -1 : 0;
}

/* A feed stream's title is the feed's display name (newsboat shows it);
 * other streams are named by their id. */
static const char *
stream_title(const struct api_session *s, struct page *p)
{
	struct store_feed_list l = {0};
	char err[256];

	if (p->q.feed && store_feeds(s->st, p->q.feed, &l, err, sizeof err) == 0 && l.n)
		snprintf(p->why, sizeof p->why, "%s", l.v[0].name);
	else
		snprintf(p->why, sizeof p->why, "%s", p->stream_id);
	store_feed_list_free(&l);
	return p->why;
}

void
api_stream_contents(const struct api_session *s, struct http_req *req, const char *stream, int atom)
{
	struct page p;
	struct out o = {.s = s, .atom = atom};
	char err[256] = "";
	int rc;

	if ((rc = parse_page(s, req, stream, N_MAX_CONTENTS, &p)) < 0) {
		page_error(req, rc, p.why);
		return;
	}
	p.q.full = 1;
	if (atom) {
		o.bad |= buf_puts(&o.b, "<?xml version=\"1.0\"?>\n<feed "
					"xmlns=\"http://www.w3.org/2005/Atom\" "
					"xmlns:gr=\"http://www.google.com/schemas/reader/atom/\">"
					"<id>tag:google.com,2005:reader/") < 0;
		o.bad |= xml_esc(&o.b, p.stream_id) < 0;
		o.bad |= buf_puts(&o.b, "</id><title>") < 0 ||
			 xml_esc(&o.b, stream_title(s, &p)) < 0;
		o.bad |= buf_puts(&o.b, "</title><generator>herald</generator>") < 0;
		p.folded = 0; /* Atom readers get items */
	} else {
		o.bad |= buf_puts(&o.b, "{\"direction\":\"ltr\",\"id\":") < 0 ||
			 json_str(&o.b, p.stream_id) < 0;
		o.bad |= buf_printf(&o.b, ",\"title\":\"herald\",\"updated\":%lld,\"items\":[",
				    (long long)time(NULL)) < 0;
	}
	/* The first item's position, for the Atom continuation. */
	if (run_page(s, &p, &o, err, sizeof err) < 0) {
		buf_free(&o.b);
		api_store_error(req, err);
		return;
	}
	if (atom) {
		if (o.n == p.n && !p.folded)
			o.bad |= buf_printf(&o.b,
					    "<gr:continuation>%" PRId64 "_%" PRId64
					    "</gr:continuation>",
					    o.last_time, o.last_id) < 0;
		o.bad |= buf_puts(&o.b, "</feed>\n") < 0;
		api_buf(req, 200, "application/atom+xml; charset=utf-8", &o.b, o.bad);
		return;
	}
	o.bad |= buf_putc(&o.b, ']') < 0 || put_continuation(&o, &p) < 0 || buf_putc(&o.b, '}') < 0;
	api_buf(req, 200, API_JSON, &o.b, o.bad);
}

void
api_atom(const struct api_session *s, struct http_req *req, const char *stream)
{
	api_stream_contents(s, req, *stream ? stream : NULL, 1);
}

void
api_stream_ids(const struct api_session *s, struct http_req *req)
{
	struct page p;
	struct out o = {.s = s, .ids_only = 1};
	char err[256] = "";
	int rc;

	if ((rc = parse_page(s, req, NULL, N_MAX_IDS, &p)) < 0) {
		page_error(req, rc, p.why);
		return;
	}
	p.q.ids_only = 1;
	o.bad |= buf_puts(&o.b, "{\"items\":[],\"itemRefs\":[") < 0;
	if (run_page(s, &p, &o, err, sizeof err) < 0) {
		buf_free(&o.b);
		api_store_error(req, err);
		return;
	}
	o.bad |= buf_putc(&o.b, ']') < 0 || put_continuation(&o, &p) < 0 || buf_putc(&o.b, '}') < 0;
	api_buf(req, 200, API_JSON, &o.b, o.bad);
}

/* ---- items by id ---- */

/* The i= ids, parsed; -1 (answered 400) when one is malformed. */
static int
read_ids(struct http_req *req, int64_t *ids, size_t *n)
{
	const char *v[MAX_IDS_IN];
	size_t total = http_req_args(req, "i", v, MAX_IDS_IN);

	if (total > MAX_IDS_IN) {
		api_text(req, 400, "too many ids (at most 1000 a request)\n");
		return -1;
	}
	for (size_t i = 0; i < total; i++) {
		if (api_parse_item_id(v[i], &ids[i]) < 0) {
			struct buf b = {0};

			if (buf_printf(&b, "malformed item id '%.80s'\n", v[i]) < 0) {
				api_text(req, 500, "out of memory\n");
				return -1;
			}
			api_buf(req, 400, "text/plain; charset=utf-8", &b, 0);
			return -1;
		}
	}
	*n = total;
	return 0;
}

void
api_items_contents(const struct api_session *s, struct http_req *req)
{
	int64_t *ids = malloc(MAX_IDS_IN * sizeof *ids);
	struct out o = {.s = s};
	char err[256] = "";
	size_t n = 0;
	int rc = 0;

	if (ids == NULL) {
		api_text(req, 500, "out of memory\n");
		return;
	}
	if (read_ids(req, ids, &n) < 0) {
		free(ids);
		return;
	}
	o.bad |= buf_printf(&o.b, "{\"id\":\"" S_READING "\",\"updated\":%lld,\"items\":[",
			    (long long)time(NULL)) < 0;
	if (!s->folded) {
		rc = store_api_items_by_id(s->st, ids, n, on_item, &o, err, sizeof err);
	} else {
		for (size_t i = 0; i < n && rc >= 0 && !o.bad; i++) {
			struct store_story_list l = {0};
			int64_t story = 0;

			rc = store_api_item_story(s->st, ids[i], &story, err, sizeof err);
			if (rc == STORE_ENOTFOUND || (rc == 0 && story == 0)) {
				rc = 0;
				continue;
			}
			if (rc == 0 &&
			    (rc = store_story_get(s->st, story, &l, err, sizeof err)) == 0)
				put_story(&o, &l.v[0], ids[i]);
			store_story_list_free(&l);
			if (rc == STORE_ENOTFOUND)
				rc = 0;
		}
	}
	free(ids);
	if (rc < 0 && !o.bad) {
		buf_free(&o.b);
		api_store_error(req, err);
		return;
	}
	o.bad |= buf_puts(&o.b, "]}") < 0;
	api_buf(req, 200, API_JSON, &o.b, o.bad);
}

/* ---- unread counts ---- */

struct counts {
	const struct api_session *s;
	struct buf *b;
	int bad;
	size_t n;
	int64_t total, newest;
	const char **tags;
	int64_t *tag_count, *tag_newest;
	size_t ntags;
};

static int
on_count(const char *feed, int64_t unread, int64_t newest, void *user)
{
	struct counts *c = user;
	const struct config_feed *cf = config_feed_find(c->s->cfg, feed);

	c->total += unread;
	if (newest > c->newest)
		c->newest = newest;
	if (cf == NULL)
		return 0; /* no longer subscribed */
	for (size_t t = 0; t < cf->ntags; t++)
		for (size_t k = 0; k < c->ntags; k++)
			if (strcmp(c->tags[k], cf->tags[t]) == 0) {
				c->tag_count[k] += unread;
				if (newest > c->tag_newest[k])
					c->tag_newest[k] = newest;
			}
	c->bad |= buf_puts(c->b, c->n++ ? ",{\"id\":" : "{\"id\":") < 0;
	c->bad |= api_json_feed_id(c->b, cf->url) < 0;
	c->bad |= buf_printf(c->b,
			     ",\"count\":%" PRId64 ",\"newestItemTimestampUsec\":\"%" PRId64 "\"}",
			     unread, newest * 1000000) < 0;
	return 0;
}

void
api_unread_count(const struct api_session *s, struct http_req *req)
{
	struct buf b = {0};
	struct counts c = {.s = s, .b = &b};
	char err[256] = "";
	int rc;

	c.tags = api_config_tags(s->cfg, &c.ntags);
	c.tag_count = calloc(c.ntags + 1, sizeof *c.tag_count);
	c.tag_newest = calloc(c.ntags + 1, sizeof *c.tag_newest);
	if ((c.ntags && c.tags == NULL) || c.tag_count == NULL || c.tag_newest == NULL) {
		api_text(req, 500, "out of memory\n");
		goto out;
	}
	c.bad |= buf_puts(&b, "{\"max\":1000000,\"unreadcounts\":[") < 0;
	if ((rc = store_api_unread_counts(s->st, on_count, &c, err, sizeof err)) < 0) {
		api_store_error(req, err);
		goto out;
	}
	for (size_t k = 0; k < c.ntags; k++) {
		c.bad |= buf_puts(&b, c.n++ ? ",{\"id\":" : "{\"id\":") < 0;
		c.bad |= api_json_label(&b, c.tags[k]) < 0;
		c.bad |= buf_printf(&b,
				    ",\"count\":%" PRId64 ",\"newestItemTimestampUsec\":\"%" PRId64
				    "\"}",
				    c.tag_count[k], c.tag_newest[k] * 1000000) < 0;
	}
	if (s->folded && store_api_unread_stories(s->st, &c.total, err, sizeof err) < 0) {
		api_store_error(req, err);
		goto out;
	}
	c.bad |= buf_printf(&b,
			    "%s{\"id\":\"" S_READING "\",\"count\":%" PRId64
			    ",\"newestItemTimestampUsec\":\"%" PRId64 "\"}]}",
			    c.n ? "," : "", c.total, c.newest * 1000000) < 0;
	api_buf(req, 200, API_JSON, &b, c.bad);
	b = (struct buf){0};
out:
	buf_free(&b);
	free(c.tags);
	free(c.tag_count);
	free(c.tag_newest);
}

/* ---- marks ---- */

/* Marks item id: through its story when the account folds or asks for it
 * (read, unread, star of a folded entry), else the item alone. */
static int
mark(const struct api_session *s, int64_t id, enum store_mark m, char *err, size_t errlen)
{
	int64_t story = 0;
	int whole = s->folded || (s->mark_story && m == STORE_MARK_READ);
	int rc;

	if (whole) {
		rc = store_api_item_story(s->st, id, &story, err, errlen);
		if (rc < 0)
			return rc;
		if (story)
			return store_mark_story(s->st, story, m, NULL, err, errlen);
	}
	return store_mark_item(s->st, id, m, err, errlen);
}

static int
tag_mark(const char *tag, int add, enum store_mark *m)
{
	struct api_stream st;

	if (strcmp(tag, S_KEPT) == 0) {
		*m = STORE_MARK_UNREAD; /* removing it changes nothing */
		return add ? 0 : 1;
	}
	if (api_parse_stream(tag, &st) < 0)
		return -1;
	if (st.kind == API_STREAM_READ) {
		*m = add ? STORE_MARK_READ : STORE_MARK_UNREAD;
		return 0;
	}
	if (st.kind == API_STREAM_STARRED) {
		*m = add ? STORE_MARK_STAR : STORE_MARK_UNSTAR;
		return 0;
	}
	if (st.kind == API_STREAM_LABEL)
		return 2; /* an item tag */
	return 1; /* a reading list, a story's label: nothing kept per item */
}

/* Applies edit-tag's a= and r= to ids. Answers req. */
static void
edit_tags(const struct api_session *s, struct http_req *req, const int64_t *ids, size_t n)
{
	const char *add[8], *rem[8];
	size_t nadd = http_req_args(req, "a", add, 8), nrem = http_req_args(req, "r", rem, 8);
	char err[256] = "";

	if (n == 0 || nadd + nrem == 0 || nadd > 8 || nrem > 8) {
		api_text(req, 400, "edit-tag needs i= and a= or r=\n");
		return;
	}
	for (size_t k = 0; k < nadd + nrem; k++) {
		const char *tag = k < nadd ? add[k] : rem[k - nadd];
		enum store_mark m;
		int rc = tag_mark(tag, k < nadd, &m);

		if (rc < 0) {
			struct buf b = {0};

			if (buf_printf(&b, "unknown tag '%.100s'\n", tag) < 0)
				api_text(req, 500, "out of memory\n");
			else
				api_buf(req, 400, "text/plain; charset=utf-8", &b, 0);
			return;
		}
		for (size_t i = 0; rc == 2 && i < n; i++)
			if (store_api_item_label(s->st, ids[i], strstr(tag, "/label/") + 7, k < nadd, err,
						 sizeof err) < 0) {
				api_store_error(req, err);
				return;
			}
		for (size_t i = 0; rc == 0 && i < n; i++) {
			int r = mark(s, ids[i], m, err, sizeof err);

			if (r < 0 && r != STORE_ENOTFOUND) {
				api_store_error(req, err);
				return;
			}
		}
	}
	api_text(req, 200, "OK");
}

void
api_edit_tag(const struct api_session *s, struct http_req *req)
{
	int64_t *ids = malloc(MAX_IDS_IN * sizeof *ids);
	size_t n = 0;

	if (ids == NULL)
		api_text(req, 500, "out of memory\n");
	else if (read_ids(req, ids, &n) == 0)
		edit_tags(s, req, ids, n);
	free(ids);
}

void
api_mark_all_read(const struct api_session *s, struct http_req *req)
{
	const char *sid = http_req_arg(req, "s"), *ts = http_req_arg(req, "ts");
	struct api_stream st;
	int64_t usec = 0, before = 0;
	char err[256] = "";
	int rc = 0;

	if (sid == NULL || api_parse_stream(sid, &st) < 0) {
		api_text(req, 400, "mark-all-as-read needs s= a stream id\n");
		return;
	}
	if (ts && *ts && parse_int(ts, 0, INT64_MAX, &usec) < 0) {
		api_text(req, 400, "ts must be microseconds since the epoch\n");
		return;
	}
	if (usec)
		before = usec / 1000000 + 1; /* items stamped at or before ts */
	switch (st.kind) {
	case API_STREAM_READING_LIST:
		rc = store_mark_all_read(s->st, NULL, before, NULL, err, sizeof err);
		break;
	case API_STREAM_FEED: {
		const struct config_feed *f = config_feed_find_url(s->cfg, st.arg);

		if (f == NULL) {
			api_text(req, 404, "no such subscription\n");
			return;
		}
		rc = store_mark_all_read(s->st, f->id, before, NULL, err, sizeof err);
		break;
	}
	case API_STREAM_LABEL:
		for (size_t i = 0; i < s->cfg->nfeeds && rc == 0; i++)
			for (size_t t = 0; t < s->cfg->feeds[i].ntags; t++)
				if (strcasecmp(s->cfg->feeds[i].tags[t], st.arg) == 0) {
					rc = store_mark_all_read(s->st, s->cfg->feeds[i].id, before,
								 NULL, err, sizeof err);
					break;
				}
		break;
	case API_STREAM_STORY:
		rc = store_mark_story(s->st, st.story, STORE_MARK_READ, NULL, err, sizeof err);
		if (rc == STORE_ENOTFOUND) {
			api_text(req, 404, "no such story\n");
			return;
		}
		break;
	case API_STREAM_STARRED:
	case API_STREAM_READ: break;
	}
	if (rc < 0) {
		api_store_error(req, err);
		return;
	}
	api_text(req, 200, "OK");
}

/* ---- subscriptions ---- */

/* quickadd=URL, or s=feed/URL with ac=subscribe (t= a title, a= a
 * label): a new [feed] section, as `herald add URL --name T --tags L`. */
static void
subscribe(const struct api_session *s, struct http_req *req, const char *url, const char *title,
	  const char *label)
{
	const struct config_feed *f = config_feed_find_url(s->cfg, url);
	char err[512] = "", used[CONFIG_MAX_ID + 1] = "";
	struct buf b = {0};
	int bad;

	if (label && strncmp(label, "user/", 5) == 0 && strstr(label, "/label/"))
		label = strstr(label, "/label/") + 7;
	bad = buf_puts(&b, "{\"query\":") < 0 || json_str(&b, url) < 0;
	bad |= buf_puts(&b, ",\"numResults\":1,\"streamId\":") < 0 || api_json_feed_id(&b, url) < 0;
	if (f) { /* already there: what it is */
		bad |= buf_puts(&b, ",\"streamName\":") < 0 ||
		       json_str(&b, f->name ? f->name : f->id) < 0;
		bad |= buf_putc(&b, '}') < 0;
		api_buf(req, 200, API_JSON, &b, bad);
		return;
	}
	if (confedit_add(api_edit_path(s), NULL, url, title, NULL, label && *label ? label : NULL,
			 used, sizeof used, err, sizeof err) < 0) {
		buf_free(&b);
		b = (struct buf){0};
		if (buf_printf(&b, "cannot add %s: %s\n", url, err) < 0)
			api_text(req, 500, "out of memory\n");
		else
			api_buf(req, 400, "text/plain; charset=utf-8", &b, 0);
		return;
	}
	log_info("api: '%s' subscribed to %s (feed '%s')", s->account_name, url, used);
	bad |= buf_puts(&b, ",\"streamName\":") < 0 || json_str(&b, title ? title : used) < 0;
	bad |= buf_putc(&b, '}') < 0;
	if (bad) {
		buf_free(&b);
		api_text(req, 500, "out of memory\n");
		return;
	}
	api_reload_then(s, req, buf_detach(&b));
}

static void
unsubscribe(const struct api_session *s, struct http_req *req, const char *url)
{
	const struct config_feed *f = config_feed_find_url(s->cfg, url);
	char err[512] = "", *ok;
	struct buf b = {0};

	if (f == NULL) {
		api_text(req, 404, "no such subscription\n");
		return;
	}
	if (confedit_remove(api_edit_path(s), f->id, err, sizeof err) < 0) {
		if (buf_printf(&b, "cannot remove feed '%s' from %s: %s\n", f->id, api_edit_path(s),
			       err) < 0)
			api_text(req, 500, "out of memory\n");
		else
			api_buf(req, 400, "text/plain; charset=utf-8", &b, 0);
		return;
	}
	log_info("api: '%s' unsubscribed from %s (feed '%s'; its items stay)", s->account_name, url,
		 f->id);
	if ((ok = strdup("\"OK\"")) == NULL) {
		api_text(req, 500, "out of memory\n");
		return;
	}
	api_reload_then(s, req, ok);
}

/* A label stream's name ("user/-/label/NAME" -> NAME); NULL stays. */
static const char *
label_name(const char *label)
{
	if (label && strncmp(label, "user/", 5) == 0 && strstr(label, "/label/"))
		return strstr(label, "/label/") + 7;
	return label;
}

/* The feed's tags as feeds.conf writes them, with add (when not there)
 * and without rm; "" when none are left. NULL when memory runs out. */
static char *
tags_edited(const struct config_feed *f, const char *add, const char *rm)
{
	struct buf b = {0};
	int bad = 0, has = 0;

	for (size_t i = 0; i < f->ntags; i++) {
		if (rm && strcasecmp(f->tags[i], rm) == 0)
			continue;
		has |= add && strcasecmp(f->tags[i], add) == 0;
		bad |= (b.len && buf_puts(&b, ", ") < 0) || buf_puts(&b, f->tags[i]) < 0;
	}
	if (add && *add && !has && !(rm && strcasecmp(add, rm) == 0))
		bad |= (b.len && buf_puts(&b, ", ") < 0) || buf_puts(&b, add) < 0;
	bad |= buf_puts(&b, "") < 0;
	if (bad) {
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* ac=edit: t= renames the feed (its name =), a= and r= add and remove a
 * label (its tags =), in the file the daemon edits; then a reload. */
static void
edit_subscription(const struct api_session *s, struct http_req *req, const char *url)
{
	const struct config_feed *f = config_feed_find_url(s->cfg, url);
	const char *t = http_req_arg(req, "t"), *add = label_name(http_req_arg(req, "a"));
	const char *rm = label_name(http_req_arg(req, "r"));
	char err[512] = "", *tags = NULL, *ok = NULL;
	struct buf b = {0};
	int rc = 0;

	if (f == NULL) {
		api_text(req, 404, "no such subscription\n");
		return;
	}
	if (t == NULL && add == NULL && rm == NULL) {
		api_text(req, 400, "subscription/edit ac=edit needs t= (a name), a= or r= (a label)\n");
		return;
	}
	if (t)
		rc = confedit_set_key(api_edit_path(s), f->id, "name", *t ? t : NULL, err, sizeof err);
	if (rc == 0 && (add || rm)) {
		if ((tags = tags_edited(f, add, rm)) == NULL) {
			api_text(req, 500, "out of memory\n");
			return;
		}
		rc = confedit_set_key(api_edit_path(s), f->id, "tags", *tags ? tags : NULL, err,
				      sizeof err);
		free(tags);
	}
	if (rc < 0) {
		if (buf_printf(&b, "cannot edit feed '%s' in %s: %s\n", f->id, api_edit_path(s),
			       err) < 0)
			api_text(req, 500, "out of memory\n");
		else
			api_buf(req, 400, "text/plain; charset=utf-8", &b, 0);
		return;
	}
	log_info("api: '%s' edited %s (feed '%s')", s->account_name, url, f->id);
	if ((ok = strdup("\"OK\"")) == NULL) {
		api_text(req, 500, "out of memory\n");
		return;
	}
	api_reload_then(s, req, ok);
}

void
api_subscription_edit(const struct api_session *s, struct http_req *req, int quickadd)
{
	const char *ac = quickadd ? "subscribe" : http_req_arg(req, "ac");
	const char *url = quickadd ? http_req_arg(req, "quickadd") : NULL, *sid;
	char err[256], scheme[16];
	struct api_stream st;

	if (!api_can_edit(s)) {
		api_text(req, 501, "subscriptions cannot be edited here: use herald add\n");
		return;
	}
	if (!quickadd && (sid = http_req_arg(req, "s")) != NULL &&
	    api_parse_stream(sid, &st) == 0 && st.kind == API_STREAM_FEED)
		url = st.arg;
	if (ac == NULL || url == NULL) {
		api_text(req, 400,
			 quickadd ? "quickadd needs quickadd=URL\n"
				  : "subscription/edit needs ac= and s=feed/URL\n");
		return;
	}
	if (strcmp(ac, "subscribe") == 0 &&
	    (url_check(url, 0, err, sizeof err) < 0 || url_scheme(url, scheme, sizeof scheme) < 0 ||
	     (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))) {
		api_text(req, 400, "only http and https feeds can be added here\n");
		return;
	}
	if (strcmp(ac, "subscribe") == 0)
		subscribe(s, req, url, quickadd ? NULL : http_req_arg(req, "t"),
			  quickadd ? NULL : http_req_arg(req, "a"));
	else if (strcmp(ac, "unsubscribe") == 0)
		unsubscribe(s, req, url);
	else if (strcmp(ac, "edit") == 0)
		edit_subscription(s, req, url);
	else
		api_text(req, 400, "subscription/edit: ac is subscribe, unsubscribe or edit\n");
}
