/* store_query: what the control socket asks of the store: listings, one
 * story or item in full, search, stats, and read/star marks. */
#include "store.h"
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static int
oom(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "store: %s: out of memory", what);
	return -1;
}

#define OOM(what) oom(err, errlen, what)

const char *
store_state_name(enum store_state s)
{
	switch (s) {
	case STORE_STATE_NEW: return "new";
	case STORE_STATE_UPDATED: return "updated";
	case STORE_STATE_READ: return "read";
	}
	return "?";
}

/* Every list type has (v, n, mem): these start and end one. */
static struct store_arena *
list_start(void **v, size_t *n, void **mem)
{
	*v = NULL;
	*n = 0;
	*mem = store_arena_new();
	return *mem;
}

static void
list_abort(void **v, size_t *n, void **mem)
{
	store_arena_free(*mem);
	*v = NULL;
	*n = 0;
	*mem = NULL;
}

/* SQLite's LIMIT: -1 is none. */
static int64_t
sql_limit(unsigned limit)
{
	if (limit == STORE_NO_LIMIT)
		return -1;
	return limit ? limit : STORE_DEFAULT_LIMIT;
}

static void
bind_filter(sqlite3_stmt *s, const struct store_filter *f)
{
	sqlite3_bind_int(s, 1, f->all != 0);
	sqlite3_bind_int(s, 2, f->starred != 0);
	sqlite3_bind_int(s, 3, f->undigested != 0);
	store_bind_opt(s, 4, f->feed);
	store_bind_opt(s, 5, f->tag);
	sqlite3_bind_int64(s, 6, f->since);
	sqlite3_bind_int64(s, 7, f->before);
	sqlite3_bind_int64(s, 8, sql_limit(f->limit));
	sqlite3_bind_int64(s, 9, f->offset);
}

/* ---- Feeds ---- */

static int
feed_row(struct store_arena *a, sqlite3_stmt *s, struct store_feed *fd)
{
	fd->id = store_arena_col(a, s, 0);
	fd->url = store_arena_col(a, s, 1);
	fd->name = store_arena_col(a, s, 2);
	fd->title = store_arena_col(a, s, 3);
	fd->tags = store_arena_col(a, s, 4);
	fd->active = sqlite3_column_int(s, 5);
	fd->etag = store_arena_col(a, s, 6);
	fd->last_modified = store_arena_col(a, s, 7);
	fd->last_error = store_arena_col(a, s, 8);
	fd->last_poll = sqlite3_column_int64(s, 9);
	fd->next_poll = sqlite3_column_int64(s, 10);
	fd->last_status = sqlite3_column_int(s, 11);
	fd->failures = (unsigned)sqlite3_column_int64(s, 12);
	fd->nitems = sqlite3_column_int64(s, 13);
	fd->nunread = sqlite3_column_int64(s, 14);
	fd->moved_url = store_arena_col(a, s, 15);
	return fd->moved_url && fd->id && fd->url && fd->name && fd->title && fd->tags &&
			       fd->etag && fd->last_modified && fd->last_error
		       ? 0
		       : -1;
}

static int
feeds_query(struct store *st, enum store_stmt id, const char *feed_id, struct store_feed_list *out,
	    char *err, size_t errlen)
{
	struct store_arena *a = list_start((void **)&out->v, &out->n, &out->mem);
	sqlite3_stmt *s = store_stmt(st, id);
	size_t cap = 0;
	int rc;

	if (a == NULL)
		return OOM("feeds");
	store_bind_opt(s, 1, feed_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_feed *fd =
			store_arena_push(a, (void **)&out->v, &out->n, &cap, sizeof *fd);

		if (fd == NULL || feed_row(a, s, fd) < 0) {
			sqlite3_reset(s);
			list_abort((void **)&out->v, &out->n, &out->mem);
			return OOM("feeds");
		}
	}
	if (rc != SQLITE_DONE) {
		store_fail(st, err, errlen, "feeds");
		sqlite3_reset(s);
		list_abort((void **)&out->v, &out->n, &out->mem);
		return -1;
	}
	sqlite3_reset(s);
	if (feed_id && out->n == 0) {
		snprintf(err, errlen, "store: no feed '%s'", feed_id);
		return STORE_ENOTFOUND;
	}
	return 0;
}

int
store_feeds(struct store *st, const char *feed_id, struct store_feed_list *out, char *err,
	    size_t errlen)
{
	return feeds_query(st, S_FEEDS, feed_id, out, err, errlen);
}

int
store_feeds_state(struct store *st, struct store_feed_list *out, char *err, size_t errlen)
{
	return feeds_query(st, S_FEEDS_STATE, NULL, out, err, errlen);
}

void
store_feed_list_free(struct store_feed_list *l)
{
	list_abort((void **)&l->v, &l->n, &l->mem);
}

/* ---- Stories ---- */

/* Fills a string array from a one-column statement bound to a story id. */
static int
story_strings(struct store *st, enum store_stmt id, struct store_arena *a, int64_t story,
	      const char ***v, size_t *n)
{
	sqlite3_stmt *s = store_stmt(st, id);
	size_t cap = 0;
	int rc;

	*v = NULL;
	*n = 0;
	sqlite3_bind_int64(s, 1, story);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char **p = store_arena_push(a, (void **)v, n, &cap, sizeof *p);

		if (p == NULL || (*p = store_arena_col(a, s, 0)) == NULL)
			break;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
story_outlets(struct store *st, struct store_arena *a, struct store_story *sy, int full)
{
	sqlite3_stmt *s = store_stmt(st, S_STORY_OUTLETS);
	size_t cap = 0;
	int rc;

	sqlite3_bind_int64(s, 1, sy->id);
	sqlite3_bind_int(s, 2, full);
	sqlite3_bind_int(s, 3, STORE_STORY_OUTLET_ROWS);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_outlet *o = store_arena_push(a, (void **)&sy->outlets,
							  &sy->noutlet_rows, &cap, sizeof *o);

		if (o == NULL)
			break;
		o->item_id = sqlite3_column_int64(s, 0);
		o->time = sqlite3_column_int64(s, 1);
		o->feed = store_arena_col(a, s, 2);
		o->feed_name = store_arena_col(a, s, 3);
		o->title = store_arena_col(a, s, 4);
		o->link = store_arena_col(a, s, 5);
		o->text = store_arena_col(a, s, 6);
		o->read = sqlite3_column_int(s, 7);
		o->starred = sqlite3_column_int(s, 8);
		o->published = sqlite3_column_int64(s, 9);
		o->first_seen = sqlite3_column_int64(s, 10);
		if (!o->feed || !o->feed_name || !o->title || !o->link || !o->text)
			break;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Reads the story columns of the current row of s (see STORY_COLS). */
static int
story_row(struct store_arena *a, sqlite3_stmt *s, struct store_story *sy)
{
	sy->id = sqlite3_column_int64(s, 0);
	sy->title = store_arena_col(a, s, 1);
	sy->first_seen = sqlite3_column_int64(s, 2);
	sy->last_seen = sqlite3_column_int64(s, 3);
	sy->nitems = sqlite3_column_int64(s, 4);
	sy->noutlets = sqlite3_column_int64(s, 5);
	sy->starred = sqlite3_column_int(s, 6);
	sy->digested = sqlite3_column_int(s, 7);
	sy->nunread = sqlite3_column_int64(s, 8);
	if (sy->nunread == 0)
		sy->state = STORE_STATE_READ;
	else if (sy->nunread == sy->nitems)
		sy->state = STORE_STATE_NEW;
	else
		sy->state = STORE_STATE_UPDATED;
	return sy->title ? 0 : -1;
}

/* Steps s (a story listing) into out, then fills each story's outlets,
 * tags and feeds (after s is reset: one statement active at a time). */
static int
collect_stories(struct store *st, sqlite3_stmt *s, struct store_story_list *out, int full,
		char *err, size_t errlen)
{
	struct store_arena *a = out->mem;
	size_t cap = 0;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_story *sy =
			store_arena_push(a, (void **)&out->v, &out->n, &cap, sizeof *sy);

		if (sy == NULL || story_row(a, s, sy) < 0) {
			sqlite3_reset(s);
			return OOM("stories");
		}
	}
	if (rc != SQLITE_DONE) {
		store_fail(st, err, errlen, "stories");
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	for (size_t i = 0; i < out->n; i++) {
		struct store_story *sy = &out->v[i];

		if (story_outlets(st, a, sy, full) < 0 ||
		    story_strings(st, S_STORY_TAGS, a, sy->id, &sy->tags, &sy->ntags) < 0 ||
		    story_strings(st, S_STORY_FEEDS, a, sy->id, &sy->feeds, &sy->nfeeds) < 0)
			return store_fail(st, err, errlen, "story outlets");
	}
	return 0;
}

int
store_stories(struct store *st, const struct store_filter *f, struct store_story_list *out,
	      char *err, size_t errlen)
{
	sqlite3_stmt *s = store_stmt(st, f->all ? S_STORIES : S_STORIES_UNREAD);

	if (list_start((void **)&out->v, &out->n, &out->mem) == NULL)
		return OOM("stories");
	bind_filter(s, f);
	if (collect_stories(st, s, out, 0, err, errlen) < 0) {
		list_abort((void **)&out->v, &out->n, &out->mem);
		return -1;
	}
	return 0;
}

int
store_story_get(struct store *st, int64_t id, struct store_story_list *out, char *err,
		size_t errlen)
{
	sqlite3_stmt *s;
	int rc;

	out->v = NULL;
	out->n = 0;
	out->mem = NULL;
	if ((rc = store_story_resolve(st, id, &id, err, errlen)) < 0)
		return rc;
	if (list_start((void **)&out->v, &out->n, &out->mem) == NULL)
		return OOM("story");
	s = store_stmt(st, S_STORY_ONE);
	sqlite3_bind_int64(s, 1, id);
	if (collect_stories(st, s, out, 1, err, errlen) < 0) {
		list_abort((void **)&out->v, &out->n, &out->mem);
		return -1;
	}
	return 0;
}

void
store_story_list_free(struct store_story_list *l)
{
	list_abort((void **)&l->v, &l->n, &l->mem);
}

/* ---- Items ---- */

static int
item_row(struct store_arena *a, sqlite3_stmt *s, struct store_item_row *r)
{
	r->id = sqlite3_column_int64(s, 0);
	r->story_id = sqlite3_column_int64(s, 1);
	r->feed = store_arena_col(a, s, 2);
	r->feed_name = store_arena_col(a, s, 3);
	r->guid = store_arena_col(a, s, 4);
	r->link = store_arena_col(a, s, 5);
	r->title = store_arena_col(a, s, 6);
	r->author = store_arena_col(a, s, 7);
	r->published = sqlite3_column_int64(s, 8);
	r->updated = sqlite3_column_int64(s, 9);
	r->first_seen = sqlite3_column_int64(s, 10);
	r->time = sqlite3_column_int64(s, 11);
	r->read = sqlite3_column_int(s, 12);
	r->starred = sqlite3_column_int(s, 13);
	r->summary_text = store_arena_col(a, s, 14);
	r->summary_html = store_arena_col(a, s, 15);
	r->content_html = store_arena_col(a, s, 16);
	r->content_text = store_arena_col(a, s, 17);
	return r->feed && r->feed_name && r->guid && r->link && r->title && r->author &&
			       r->summary_text && r->summary_html && r->content_html &&
			       r->content_text
		       ? 0
		       : -1;
}

static int
collect_items(struct store *st, sqlite3_stmt *s, struct store_item_list *out, char *err,
	      size_t errlen)
{
	struct store_arena *a = list_start((void **)&out->v, &out->n, &out->mem);
	size_t cap = 0;
	int rc;

	if (a == NULL) {
		sqlite3_reset(s);
		return OOM("items");
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_item_row *r =
			store_arena_push(a, (void **)&out->v, &out->n, &cap, sizeof *r);

		if (r == NULL || item_row(a, s, r) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		if (rc == SQLITE_NOMEM)
			OOM("items");
		else
			store_fail(st, err, errlen, "items");
		sqlite3_reset(s);
		list_abort((void **)&out->v, &out->n, &out->mem);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

int
store_items(struct store *st, const struct store_filter *f, struct store_item_list *out, char *err,
	    size_t errlen)
{
	enum store_stmt id = f->story  ? S_ITEMS_STORY
			     : f->feed ? (f->all ? S_ITEMS_FEED : S_ITEMS_FEED_UNREAD)
			     : f->all  ? S_ITEMS
				       : S_ITEMS_UNREAD;
	sqlite3_stmt *s = store_stmt(st, id);

	bind_filter(s, f);
	if (f->story)
		sqlite3_bind_int64(s, 10, f->story);
	return collect_items(st, s, out, err, errlen);
}

int
store_item_get(struct store *st, int64_t id, struct store_item_list *out, char *err, size_t errlen)
{
	sqlite3_stmt *s = store_stmt(st, S_ITEM_ONE);

	sqlite3_bind_int64(s, 1, id);
	if (collect_items(st, s, out, err, errlen) < 0)
		return -1;
	if (out->n == 0) {
		snprintf(err, errlen, "store: no item %lld", (long long)id);
		return STORE_ENOTFOUND;
	}
	return 0;
}

void
store_item_list_free(struct store_item_list *l)
{
	list_abort((void **)&l->v, &l->n, &l->mem);
}

/* ---- Search ---- */

static int
is_operator(const char *w, size_t n)
{
	return (n == 3 && memcmp(w, "AND", 3) == 0) || (n == 2 && memcmp(w, "OR", 2) == 0) ||
	       (n == 3 && memcmp(w, "NOT", 3) == 0);
}

/* Appends w (n bytes) as an FTS5 string: in double quotes, quotes doubled. */
static int
put_quoted(struct buf *b, const char *w, size_t n)
{
	if (buf_putc(b, '"') < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((w[i] == '"' && buf_putc(b, '"') < 0) || buf_putc(b, w[i]) < 0)
			return -1;
	return buf_putc(b, '"');
}

/* One token of the user's query at *p: a "phrase", a paren, or a word. */
static int
put_token(struct buf *b, const char **pp)
{
	const char *p = *pp, *e;
	int rc;

	if (*p == '(' || *p == ')') {
		*pp = p + 1;
		return buf_putc(b, *p);
	}
	if (*p == '"') {
		e = strchr(p + 1, '"');
		if (e == NULL)
			e = p + strlen(p);
		*pp = *e ? e + 1 : e;
		return put_quoted(b, p + 1, (size_t)(e - p - 1));
	}
	for (e = p;
	     *e && *e != ' ' && *e != '\t' && *e != '\n' && *e != '(' && *e != ')' && *e != '"';
	     e++)
		;
	*pp = e;
	if (is_operator(p, (size_t)(e - p)))
		return buf_append(b, p, (size_t)(e - p));
	if (e - p > 1 && e[-1] == '*') {
		rc = put_quoted(b, p, (size_t)(e - p - 1));
		return rc < 0 ? rc : buf_putc(b, '*');
	}
	return put_quoted(b, p, (size_t)(e - p));
}

/* The user's query as FTS5 wants it: words and phrases quoted (so that no
 * punctuation is taken for syntax), operators and parentheses kept, and
 * each -word or -"phrase" moved after the rest as NOT word: "a -b c" is
 * (a c) NOT b. A query of exclusions only gives "". */
char *
store_fts_query(const char *query)
{
	struct buf pos = {0}, neg = {0}, *b;
	const char *p = query ? query : "";
	char *out = NULL;

	while (*p) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			p++;
			continue;
		}
		b = &pos;
		if (*p == '-' && p[1] && p[1] != ' ' && p[1] != '\t' && p[1] != '-' &&
		    p[1] != '(' && p[1] != ')') {
			b = &neg;
			p++;
			if (buf_puts(b, " NOT ") < 0)
				goto out;
		} else if (b->len && buf_putc(b, ' ') < 0) {
			goto out;
		}
		if (put_token(b, &p) < 0)
			goto out;
	}
	if (pos.len == 0) {
		out = strdup("");
	} else if (neg.len == 0) {
		out = buf_detach(&pos);
	} else {
		struct buf q = {0};

		if (buf_putc(&q, '(') == 0 && buf_append(&q, pos.data, pos.len) == 0 &&
		    buf_putc(&q, ')') == 0 && buf_append(&q, neg.data, neg.len) == 0)
			out = buf_detach(&q);
		else
			buf_free(&q);
	}
out:
	buf_free(&pos);
	buf_free(&neg);
	return out;
}

static int
hit_row(struct store_arena *a, sqlite3_stmt *s, struct store_hit *h)
{
	h->item_id = sqlite3_column_int64(s, 0);
	h->story_id = sqlite3_column_int64(s, 1);
	h->time = sqlite3_column_int64(s, 2);
	h->feed = store_arena_col(a, s, 3);
	h->feed_name = store_arena_col(a, s, 4);
	h->title = store_arena_col(a, s, 5);
	h->link = store_arena_col(a, s, 6);
	h->snippet = store_arena_col(a, s, 7);
	h->rank = sqlite3_column_double(s, 8);
	h->read = sqlite3_column_int(s, 9);
	return h->feed && h->feed_name && h->title && h->link && h->snippet ? 0 : -1;
}

static int
run_search(struct store *st, sqlite3_stmt *s, struct store_hit_list *out, char *err, size_t errlen)
{
	struct store_arena *a = out->mem;
	size_t cap = 0;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_hit *h =
			store_arena_push(a, (void **)&out->v, &out->n, &cap, sizeof *h);

		if (h == NULL || hit_row(a, s, h) < 0) {
			sqlite3_reset(s);
			return OOM("search");
		}
	}
	if (rc != SQLITE_DONE) {
		const char *msg = sqlite3_errmsg(st->db);

		/* A plain SQLITE_ERROR from FTS5's MATCH is the query's fault
		 * ("fts5: syntax error near ..."); I/O, memory and corruption
		 * have codes of their own. */
		if (rc == SQLITE_ERROR) {
			snprintf(err, errlen, "%s", strncmp(msg, "fts5: ", 6) == 0 ? msg + 6 : msg);
			sqlite3_reset(s);
			return STORE_EQUERY;
		}
		snprintf(err, errlen, "store: search: %s", msg);
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

int
store_search(struct store *st, const char *query, const char *mark_open, const char *mark_close,
	     unsigned limit, unsigned offset, struct store_hit_list *out, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	char *fts;
	int rc;

	out->v = NULL;
	out->n = 0;
	out->mem = NULL;
	if ((fts = store_fts_query(query)) == NULL)
		return OOM("search");
	if (fts[0] == '\0') {
		free(fts);
		snprintf(err, errlen, "it has no word to find (-word only excludes)");
		return STORE_EQUERY;
	}
	if (list_start((void **)&out->v, &out->n, &out->mem) == NULL) {
		free(fts);
		return OOM("search");
	}
	s = store_stmt(st, S_SEARCH);
	sqlite3_bind_text(s, 1, fts, -1, SQLITE_STATIC);
	store_bind_str(s, 2, mark_open ? mark_open : "[");
	store_bind_str(s, 3, mark_close ? mark_close : "]");
	sqlite3_bind_int64(s, 4, sql_limit(limit));
	sqlite3_bind_int64(s, 5, offset);
	rc = run_search(st, s, out, err, errlen);
	sqlite3_clear_bindings(s);
	free(fts);
	if (rc < 0)
		list_abort((void **)&out->v, &out->n, &out->mem);
	return rc;
}

void
store_hit_list_free(struct store_hit_list *l)
{
	list_abort((void **)&l->v, &l->n, &l->mem);
}

/* ---- Stats ---- */

int
store_stats(struct store *st, struct store_stats *out, char *err, size_t errlen)
{
	sqlite3_stmt *s = store_stmt(st, S_STATS);
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW) {
		out->feeds = sqlite3_column_int64(s, 0);
		out->active_feeds = sqlite3_column_int64(s, 1);
		out->items = sqlite3_column_int64(s, 2);
		out->unread = sqlite3_column_int64(s, 3);
		out->starred = sqlite3_column_int64(s, 4);
		out->stories = sqlite3_column_int64(s, 5);
		out->db_bytes = sqlite3_column_int64(s, 6);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : store_fail(st, err, errlen, "stats");
}

/* ---- Marks ---- */

static int
mark_story(struct store *st, int64_t id, enum store_mark m, char *err, size_t errlen)
{
	int read = m == STORE_MARK_READ, star = m == STORE_MARK_STAR;
	sqlite3_stmt *s;

	if (m == STORE_MARK_READ || m == STORE_MARK_UNREAD) {
		s = store_stmt(st, S_MARK_STORY_READ);
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int(s, 2, read);
		return store_exec_stmt(st, s, err, errlen, "mark story");
	}
	s = store_stmt(st, S_MARK_STORY_STAR_ITEMS);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, star);
	if (store_exec_stmt(st, s, err, errlen, "star story items") < 0)
		return -1;
	s = store_stmt(st, S_MARK_STORY_STAR);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, star);
	return store_exec_stmt(st, s, err, errlen, "star story");
}

int
store_mark_story(struct store *st, int64_t id, enum store_mark m, int64_t *resolved, char *err,
		 size_t errlen)
{
	int own, rc;

	if (store_tx_auto(st, &own, err, errlen) < 0)
		return -1;
	rc = store_story_resolve(st, id, &id, err, errlen);
	if (rc == 0)
		rc = mark_story(st, id, m, err, errlen);
	rc = store_tx_end(st, own, rc, err, errlen);
	if (rc == 0 && resolved)
		*resolved = id;
	return rc;
}

int
store_mark_item(struct store *st, int64_t id, enum store_mark m, char *err, size_t errlen)
{
	int read = m == STORE_MARK_READ || m == STORE_MARK_UNREAD;
	sqlite3_stmt *s;

	if (store_client_write(st, err, errlen) < 0)
		return -1;
	s = store_stmt(st, read ? S_MARK_ITEM_READ : S_MARK_ITEM_STAR);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, m == STORE_MARK_READ || m == STORE_MARK_STAR);
	if (store_exec_stmt(st, s, err, errlen, "mark item") < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0) {
		snprintf(err, errlen, "store: no item %lld", (long long)id);
		return STORE_ENOTFOUND;
	}
	return 0;
}

int
store_mark_all_read(struct store *st, const char *feed, int64_t before, int64_t *changed, char *err,
		    size_t errlen)
{
	sqlite3_stmt *s;

	if (store_client_write(st, err, errlen) < 0)
		return -1;
	s = store_stmt(st, S_MARK_ALL_READ);
	store_bind_opt(s, 1, feed);
	sqlite3_bind_int64(s, 2, before);
	if (store_exec_stmt(st, s, err, errlen, "mark all read") < 0)
		return -1;
	if (changed)
		*changed = sqlite3_changes(st->db);
	return 0;
}

int
store_story_set_digested(struct store *st, int64_t id, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int rc;

	if (store_client_write(st, err, errlen) < 0)
		return -1;
	if ((rc = store_story_resolve(st, id, &id, err, errlen)) < 0)
		return rc;
	s = store_stmt(st, S_STORY_DIGESTED);
	sqlite3_bind_int64(s, 1, id);
	return store_exec_stmt(st, s, err, errlen, "mark digested");
}
