#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse.h"
#include "store.h"
#include "story.h"
#include "url.h"

/* One item, copied out of the parser when it closed. */
struct pending {
	char *guid, *link, *title, *author;
	char *summary_html, *summary_text, *content_html, *content_text;
	int64_t published, updated;
	int64_t date;                /* parse_item_date: 0 when the item has none */
	struct store_enclosure *enc; /* owned strings (see pending_free) */
	size_t nenc;
	char *image;
	/* Filled while storing. */
	int64_t item_id, time;
	uint64_t key_hash;
	int is_new;
};

struct ingest {
	struct store *st; /* set during ingest_store only */
	struct story_index *idx;
	char *feed_id;
	int64_t now;
	int64_t backlog; /* the date of undated items, set by ingest_store */
	struct parse *parse;
	struct pending *v;
	size_t n, cap;
	int oom;
	/* The parse's CPU budget (ingest_set_budget): what the calls so far
	 * spent, and when the running one began (thread CPU time, ns). */
	uint64_t budget_ns, spent_ns, call_ns;
	int over; /* the budget ran out: the parse was stopped */
};

/* CPU time of the calling thread, ns: a call may run on any thread. */
static uint64_t
thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Whether the running call passed the budget (checked per item, and at
 * the end of each call). */
static int
over_budget(struct ingest *in)
{
	if (in->budget_ns == 0 || in->over)
		return in->over;
	in->over = in->spent_ns + (thread_cpu_ns() - in->call_ns) > in->budget_ns;
	return in->over;
}

static void
call_begin(struct ingest *in)
{
	if (in->budget_ns)
		in->call_ns = thread_cpu_ns();
}

/* The end of an ingest_feed or ingest_end that returned rc: -1 with the
 * budget's message when it ran out, whatever the parse said. */
static int
call_end(struct ingest *in, int rc, char *err, size_t errlen)
{
	if (in->budget_ns == 0)
		return rc;
	int over = over_budget(in);
	in->spent_ns += thread_cpu_ns() - in->call_ns;
	if (!over)
		return rc;
	snprintf(err, errlen,
		 "parsing took more than its CPU budget of %llu ms (%zu items read): "
		 "nothing stored",
		 (unsigned long long)(in->budget_ns / 1000000u), in->n);
	return -1;
}

static char *
dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

static void
pending_free(struct pending *p)
{
	free(p->guid);
	free(p->link);
	free(p->title);
	free(p->author);
	free(p->summary_html);
	free(p->summary_text);
	free(p->content_html);
	free(p->content_text);
	for (size_t i = 0; i < p->nenc; i++)
		free((char *)p->enc[i].url), free((char *)p->enc[i].type);
	free(p->enc);
	free(p->image);
}

/* Bytes as written ("12345"); 0 when it is not a plain count. */
static int64_t
enclosure_length(const char *s)
{
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return 0;
	v = strtoll(s, &end, 10);
	while (*end == ' ')
		end++;
	return *end == '\0' && v > 0 ? (int64_t)v : 0;
}

/* Seconds of an itunes:duration ("3723", "62:03", "1:02:03") or a JSON Feed
 * duration_in_seconds ("61", "61.5"); 0 when unreadable. */
int64_t
ingest_duration(const char *s)
{
	int64_t total = 0, part = 0;
	int digits = 0, parts = 0;

	if (s == NULL)
		return 0;
	while (*s == ' ')
		s++;
	for (; *s && *s != '.'; s++) {
		if (*s >= '0' && *s <= '9' && part < 1000000000) {
			part = part * 10 + (*s - '0'), digits++;
		} else if (*s == ':' && digits && ++parts < 3) {
			total = (total + part) * 60, part = 0, digits = 0;
		} else {
			return 0;
		}
	}
	if (!digits || (*s == '.' && s[1] && (s[1] < '0' || s[1] > '9')))
		return 0;
	return total + part;
}

/* The item's enclosures (an itunes:duration given to each that has none of
 * its own) and image, into p. -1 when memory runs out. */
static int
copy_enclosures(struct pending *p, const struct parse_item *it)
{
	int64_t dflt = ingest_duration(it->duration);

	if (it->image && *it->image && (p->image = strdup(it->image)) == NULL)
		return -1;
	if (it->nenclosures == 0)
		return 0;
	if ((p->enc = calloc(it->nenclosures, sizeof *p->enc)) == NULL)
		return -1;
	for (size_t i = 0; i < it->nenclosures; i++) {
		const struct parse_enclosure *e = &it->enclosures[i];
		struct store_enclosure *d = &p->enc[p->nenc];
		int dup = 0;

		if (e->url == NULL || *e->url == '\0')
			continue;
		for (size_t k = 0; k < p->nenc; k++) /* media:content repeating <enclosure> */
			dup |= strcmp(p->enc[k].url, e->url) == 0;
		if (dup)
			continue;
		d->url = strdup(e->url);
		d->type = strdup(e->type ? e->type : "");
		d->length = enclosure_length(e->length);
		d->duration = e->duration ? ingest_duration(e->duration) : dflt;
		p->nenc++;
		if (d->url == NULL || d->type == NULL)
			return -1;
	}
	return 0;
}

/* The item's first author as one display string. */
static const char *
item_author(const struct parse_item *it)
{
	for (size_t i = 0; i < it->l.nauthors; i++) {
		const struct parse_person *a = &it->l.authors[i];
		if (a->name && *a->name)
			return a->name;
		if (a->email && *a->email)
			return a->email;
	}
	return NULL;
}

static int
on_item(const struct parse_item *it, void *user)
{
	struct ingest *in = user;
	struct pending *p;
	const struct parse_text *c = it->ncontent ? &it->content[0] : NULL;
	const char *link;

	if (over_budget(in))
		return -1;
	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 32;
		struct pending *v = realloc(in->v, cap * sizeof *v);
		if (v == NULL)
			goto oom;
		in->v = v;
		in->cap = cap;
	}
	p = &in->v[in->n];
	memset(p, 0, sizeof *p);
	p->guid = dup_or_null(it->guid);
	/* A javascript:, data: or file: link is no link (issue #28). */
	link = url_link_ok(it->link) ? it->link : NULL;
	p->link = dup_or_null(link);
	p->title = dup_or_null(it->title.text);
	p->author = dup_or_null(item_author(it));
	p->summary_html = dup_or_null(it->summary.value);
	p->summary_text = dup_or_null(it->summary.text);
	p->content_html = dup_or_null(c ? c->value : NULL);
	p->content_text = dup_or_null(c ? c->text : NULL);
	p->published = it->published;
	p->updated = it->updated;
	p->date = parse_item_date(it);
	if ((it->guid && *it->guid && !p->guid) || (link && *link && !p->link) ||
	    (it->title.text && *it->title.text && !p->title) ||
	    (it->summary.value && *it->summary.value && !p->summary_html) ||
	    (c && c->value && *c->value && !p->content_html) || copy_enclosures(p, it) < 0) {
		pending_free(p);
		goto oom;
	}
	in->n++;
	return 0;
oom:
	in->oom = 1;
	return -1;
}

struct ingest *
ingest_new(const char *feed_id, const char *content_type, const char *url, int64_t now)
{
	struct ingest *in = calloc(1, sizeof *in);

	if (in == NULL)
		return NULL;
	in->now = now;
	in->feed_id = strdup(feed_id);
	in->parse = parse_new(content_type, url, on_item, in);
	if (in->feed_id == NULL || in->parse == NULL) {
		ingest_free(in);
		return NULL;
	}
	return in;
}

void
ingest_set_budget(struct ingest *in, unsigned budget_ms)
{
	in->budget_ns = (uint64_t)budget_ms * 1000000u;
}

int
ingest_feed(struct ingest *in, const char *data, size_t len, char *err, size_t errlen)
{
	int rc = 0;

	call_begin(in);
	if (in->over || parse_feed(in->parse, data, len) < 0) {
		snprintf(err, errlen, "%s", in->oom ? "out of memory" : parse_error(in->parse));
		rc = -1;
	}
	return call_end(in, rc, err, errlen);
}

int
ingest_item(struct ingest *in, const struct parse_item *it)
{
	return on_item(it, in);
}

const struct parse_meta *
ingest_meta(const struct ingest *in)
{
	return parse_meta(in->parse);
}

static int
store_one(struct ingest *in, struct pending *p, struct ingest_counts *c, char *err, size_t errlen)
{
	struct store_item si = {
		.feed = in->feed_id,
		.guid = p->guid,
		.link = p->link,
		.title = p->title,
		.author = p->author,
		.published = p->published,
		.updated = p->updated,
		.date = p->date > 0 ? p->date : in->backlog,
		.summary_html = p->summary_html,
		.summary_text = p->summary_text,
		.content_html = p->content_html,
		.content_text = p->content_text,
		.fetched = in->now,
		.enclosures = p->enc,
		.nenclosures = p->nenc,
		.image = p->image,
	};
	struct store_upsert_result res;

	if (store_item_upsert(in->st, &si, &res, err, errlen) < 0)
		return -1;
	p->item_id = res.item_id;
	p->time = res.time;
	p->key_hash = res.key_hash;
	if (res.status == STORE_ITEM_PURGED) {
		/* Removed by retention: never stored again, never folded. */
		p->is_new = 0;
		c->purged++;
		return 0;
	}
	/* An item without a story (an earlier version that crashed between the
	 * two steps cannot exist: they share a transaction) is treated as new. */
	p->is_new = res.status == STORE_ITEM_NEW || res.story_id == 0;
	if (res.status == STORE_ITEM_NEW)
		c->added++;
	else if (res.status == STORE_ITEM_CHANGED)
		c->changed++;
	else
		c->unchanged++;
	return 0;
}

/* Oldest first, so folding sees the stream in the order it happened. */
static int
by_time(const void *a, const void *b)
{
	const struct pending *x = *(struct pending *const *)a, *y = *(struct pending *const *)b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->item_id < y->item_id ? -1 : x->item_id > y->item_id;
}

static int
fold_one(struct ingest *in, const struct pending *p, struct ingest_counts *c, char *err,
	 size_t errlen)
{
	struct story_input si = {
		.item_id = p->item_id,
		.time = p->time,
		.feed = in->feed_id,
		.title = p->title,
		.text = p->summary_text ? p->summary_text : p->content_text,
		.link = p->link,
		.lang = parse_meta(in->parse)->language, /* the feed's declared language */
	};
	struct story_result r;

	if (story_assign(in->idx, &si, &r) < 0) {
		snprintf(err, errlen, "story folding: %s", story_error(in->idx));
		return -1;
	}
	c->folded++;
	if (store_item_set_story(in->st, p->item_id, r.story_id, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < r.nmerged; i++)
		if (store_story_merge(in->st, r.story_id, r.merged[i], err, errlen) < 0)
			return -1;
	c->merges += (unsigned)r.nmerged;
	return 0;
}

static int
store_all(struct ingest *in, struct ingest_counts *c, char *err, size_t errlen)
{
	struct pending **fresh = NULL;
	uint64_t *listed = NULL;
	size_t nfresh = 0;
	int rc = -1;

	if (in->n && ((fresh = calloc(in->n, sizeof *fresh)) == NULL ||
		      (listed = calloc(in->n, sizeof *listed)) == NULL)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < in->n; i++) {
		if (store_one(in, &in->v[i], c, err, errlen) < 0)
			goto out;
		listed[i] = in->v[i].key_hash;
		if (in->v[i].is_new)
			fresh[nfresh++] = &in->v[i];
	}
	/* What the feed lists now is kept by retention (store_purge_step). */
	if (store_feed_listed(in->st, in->feed_id, listed, in->n, err, errlen) < 0)
		goto out;
	if (nfresh)
		qsort(fresh, nfresh, sizeof *fresh, by_time);
	for (size_t i = 0; i < nfresh; i++)
		if (fold_one(in, fresh[i], c, err, errlen) < 0)
			goto out;
	rc = 0;
out:
	free(fresh);
	free(listed);
	return rc;
}

int
ingest_end(struct ingest *in, char *err, size_t errlen)
{
	int rc = 0;

	call_begin(in);
	if (in->over || parse_finish(in->parse) < 0) {
		snprintf(err, errlen, "%s", in->oom ? "out of memory" : parse_error(in->parse));
		rc = -1;
	}
	return call_end(in, rc, err, errlen);
}

/* Which date is an item's, decided in two places (issue 22):
 * - from the item itself, in the pure parser (parse_item_date): published,
 *   else updated (an Atom entry with only <updated>, an RSS item with only
 *   dc:date);
 * - for an item with neither, here, because only the store knows it: in a
 *   feed's first stored poll (none of its items stored yet,
 *   store_feed_has_items) the feed's own date (parse_meta_date: channel
 *   pubDate, else lastBuildDate or Atom <updated>), so a backlog is never
 *   dated "now" and folded into one story; in any later poll none, and the
 *   store dates it by the fetch (first_seen), when herald first saw it.
 * "First stored poll" rather than "never polled" (last_poll): a first poll
 * that failed records a last_poll, and the backlog that comes with the next
 * one is still a backlog. The store is asked only when an item needs it.
 * Either date is clamped to the fetch time by the store (items.time). */
static int
backlog_date(struct ingest *in, char *err, size_t errlen)
{
	int64_t feed = parse_meta_date(parse_meta(in->parse));
	int has = 0, undated = 0;

	in->backlog = 0;
	for (size_t i = 0; i < in->n && !undated; i++)
		undated = in->v[i].date <= 0;
	if (!undated || feed <= 0)
		return 0;
	if (store_feed_has_items(in->st, in->feed_id, &has, err, errlen) < 0)
		return -1;
	if (!has)
		in->backlog = feed;
	return 0;
}

int
ingest_store(struct ingest *in, struct store *st, struct story_index *idx, struct ingest_counts *c,
	     char *err, size_t errlen)
{
	int rc = -1;

	memset(c, 0, sizeof *c);
	c->items = (unsigned)in->n;
	in->st = st;
	in->idx = idx;
	/* A read only: a failure loses this response, not the open batch. */
	if (backlog_date(in, err, errlen) < 0)
		goto out;
	/* A savepoint in the daemon's open batch (store.h), or a transaction. */
	if (store_sp_begin(st, err, errlen) < 0)
		goto out;
	if (store_all(in, c, err, errlen) < 0 || store_sp_commit(st, err, errlen) < 0) {
		store_sp_rollback(st);
		goto out;
	}
	rc = 0;
out:
	in->st = NULL;
	in->idx = NULL;
	return rc;
}

void
ingest_free(struct ingest *in)
{
	if (in == NULL)
		return;
	for (size_t i = 0; i < in->n; i++)
		pending_free(&in->v[i]);
	free(in->v);
	parse_free(in->parse);
	free(in->feed_id);
	free(in);
}
