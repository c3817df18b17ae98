#include "autoconfig.h"

#include "commands.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "control.h"
#include "daemon.h"
#include "herald/protocol.h"
#include "opml.h"
#include "store.h"
#include "url.h"

#define ERRLEN 512

/* ---- argument helpers ---- */

static int
parse_id(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v <= 0)
		return -1;
	*out = v;
	return 0;
}

static int
parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (*s == '-')
		return -1;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Reads the listing options shared by stories and items; *story gets
 * --story when allowed (non-NULL). 0, or -1 after answering the error. */
static int
parse_filter(struct control_conn *conn, int argc, char **argv, struct store_filter *f,
	     int64_t *story)
{
	const char *bad = NULL;

	memset(f, 0, sizeof *f);
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int64_t t;

		if (strcmp(o, "--all") == 0) {
			f->all = 1;
			continue;
		}
		if (strcmp(o, "--starred") == 0) {
			f->starred = f->all = 1;
			continue;
		}
		if (strcmp(o, "--undigested") == 0) {
			f->undigested = 1;
			continue;
		}
		bad = o;
		if (v == NULL)
			goto usage;
		i++;
		if (strcmp(o, "--feed") == 0)
			f->feed = v;
		else if (strcmp(o, "--tag") == 0)
			f->tag = v;
		else if (strcmp(o, "--since") == 0 || strcmp(o, "--before") == 0) {
			if (parse_id(v, &t) < 0) {
				control_conn_err(conn, HERALD_E_BADARG,
						 "%s wants Unix seconds, not '%s'", o, v);
				return -1;
			}
			*(o[2] == 's' ? &f->since : &f->before) = t;
		} else if (strcmp(o, "--limit") == 0 || strcmp(o, "--offset") == 0) {
			unsigned *dst = o[2] == 'l' ? &f->limit : &f->offset;
			if (parse_uint(v, o[2] == 'l' ? HERALD_MAX_LIMIT : UINT_MAX / 2, dst) < 0 ||
			    (o[2] == 'l' && *dst == 0)) {
				control_conn_err(conn, HERALD_E_BADARG, "bad %s '%s'", o, v);
				return -1;
			}
		} else if (story && strcmp(o, "--story") == 0) {
			if (parse_id(v, story) < 0) {
				control_conn_err(conn, HERALD_E_BADARG, "bad story id '%s'", v);
				return -1;
			}
		} else {
			goto usage;
		}
	}
	return 0;
usage:
	control_conn_err(conn, HERALD_E_USAGE, "unknown or incomplete option '%s'", bad);
	return -1;
}

static void
store_failed(struct control_conn *conn, int rc, const char *err)
{
	/* "store: no story 7" is for the log; a user wants "no story 7". */
	if (rc == STORE_ENOTFOUND)
		control_conn_err(conn, HERALD_E_NOTFOUND, "%s",
				 !err[0]                           ? "no such id"
				 : strncmp(err, "store: ", 7) == 0 ? err + 7
								   : err);
	else
		control_conn_err(conn, HERALD_E_INTERNAL, "%s", err);
}

/* ---- records ---- */

static void
put_story(struct control_conn *c, const struct store_story *s)
{
	control_conn_field_int(c, "story", s->id);
	control_conn_field(c, "title", s->title);
	control_conn_field(c, "state", store_state_name(s->state));
	control_conn_field_int(c, "starred", s->starred);
	control_conn_field_int(c, "digested", s->digested);
	control_conn_field_int(c, "first_seen", s->first_seen);
	control_conn_field_int(c, "last_seen", s->last_seen);
	control_conn_field_int(c, "items", s->nitems);
	control_conn_field_int(c, "unread", s->nunread);
	control_conn_field_int(c, "outlets", s->noutlets);
	for (size_t i = 0; i < s->noutlet_rows; i++) {
		const struct store_outlet *o = &s->outlets[i];
		char id[24];
		const char *v[HERALD_OUTLET_FIELDS] = {id, o->feed, o->feed_name, o->title,
						       o->link};

		snprintf(id, sizeof id, "%" PRId64, o->item_id);
		control_conn_field_tuple(c, HERALD_KEY_OUTLET, v, HERALD_OUTLET_FIELDS);
	}
	for (size_t i = 0; i < s->ntags; i++)
		control_conn_field(c, "tag", s->tags[i]);
	for (size_t i = 0; i < s->nfeeds; i++)
		control_conn_field(c, "feed", s->feeds[i]);
	control_conn_end_record(c);
}

static void
put_item(struct control_conn *c, const struct store_item_row *it, int full)
{
	control_conn_field_int(c, "item", it->id);
	control_conn_field_int(c, "story", it->story_id);
	control_conn_field(c, "feed", it->feed);
	control_conn_field(c, "feed_name", it->feed_name);
	control_conn_field(c, "title", it->title);
	control_conn_field(c, "link", it->link);
	control_conn_field(c, "author", it->author);
	control_conn_field_int(c, "published", it->published);
	control_conn_field_int(c, "time", it->time);
	control_conn_field_int(c, "read", it->read);
	control_conn_field_int(c, "starred", it->starred);
	if (full) {
		control_conn_field(c, "text",
				   *it->content_text ? it->content_text : it->summary_text);
		control_conn_field(c, "html",
				   *it->content_html ? it->content_html : it->summary_html);
	} else {
		control_conn_field(c, "summary", it->summary_text);
	}
	control_conn_end_record(c);
}

static void
put_outlet_item(struct control_conn *c, const struct store_outlet *o, int64_t story)
{
	control_conn_field_int(c, "item", o->item_id);
	control_conn_field_int(c, "story", story);
	control_conn_field(c, "feed", o->feed);
	control_conn_field(c, "feed_name", o->feed_name);
	control_conn_field(c, "title", o->title);
	control_conn_field(c, "link", o->link);
	control_conn_field_int(c, "time", o->time);
	control_conn_field_int(c, "read", o->read);
	control_conn_field_int(c, "starred", o->starred);
	if (o->text && *o->text)
		control_conn_field(c, "text", o->text);
	control_conn_end_record(c);
}

/* ---- listing ---- */

static int
cmd_stories(void *ctx, struct control_conn *c, int argc, char **argv)
{
	struct herald *h = ctx;
	struct store_filter f;
	struct store_story_list l = {0};
	char err[ERRLEN] = "";
	int rc;

	herald_flush(ctx);
	if (parse_filter(c, argc, argv, &f, NULL) < 0)
		return 0;
	if ((rc = store_stories(h->store, &f, &l, err, sizeof err)) < 0) {
		store_story_list_free(&l);
		store_failed(c, rc, err);
		return 0;
	}
	for (size_t i = 0; i < l.n && control_conn_alive(c); i++)
		put_story(c, &l.v[i]);
	store_story_list_free(&l);
	control_conn_ok(c);
	return 0;
}

static int
cmd_items(void *ctx, struct control_conn *c, int argc, char **argv)
{
	struct herald *h = ctx;
	struct store_filter f;
	struct store_item_list l = {0};
	int64_t story = 0;
	char err[ERRLEN] = "";
	int rc;

	herald_flush(ctx);
	if (parse_filter(c, argc, argv, &f, &story) < 0)
		return 0;
	if (story) {
		/* Every item of the story (merged ids lead to the survivor),
		 * read or not, in pages like any listing. */
		if ((rc = store_story_resolve(h->store, story, &f.story, err, sizeof err)) < 0) {
			store_failed(c, rc, err);
			return 0;
		}
		f.all = 1;
	}
	if ((rc = store_items(h->store, &f, &l, err, sizeof err)) < 0) {
		store_item_list_free(&l);
		store_failed(c, rc, err);
		return 0;
	}
	for (size_t i = 0; i < l.n && control_conn_alive(c); i++)
		put_item(c, &l.v[i], 0);
	store_item_list_free(&l);
	control_conn_ok(c);
	return 0;
}

static int
cmd_show(void *ctx, struct control_conn *c, int argc, char **argv)
{
	struct herald *h = ctx;
	int item = argc == 3 && strcmp(argv[1], "--item") == 0;
	char err[ERRLEN] = "";
	int64_t id;
	int rc;

	herald_flush(ctx);
	if ((argc != 2 && !item) || parse_id(argv[argc - 1], &id) < 0) {
		control_conn_err(c, HERALD_E_USAGE, "show [--item] ID");
		return 0;
	}
	if (item) {
		struct store_item_list l = {0};
		if ((rc = store_item_get(h->store, id, &l, err, sizeof err)) < 0) {
			store_item_list_free(&l);
			store_failed(c, rc, err);
			return 0;
		}
		put_item(c, &l.v[0], 1);
		store_item_list_free(&l);
	} else {
		struct store_story_list l = {0};
		if ((rc = store_story_get(h->store, id, &l, err, sizeof err)) < 0) {
			store_story_list_free(&l);
			store_failed(c, rc, err);
			return 0;
		}
		put_story(c, &l.v[0]);
		for (size_t i = 0; i < l.v[0].noutlet_rows && control_conn_alive(c); i++)
			put_outlet_item(c, &l.v[0].outlets[i], l.v[0].id);
		store_story_list_free(&l);
	}
	control_conn_ok(c);
	return 0;
}

static int
cmd_search(void *ctx, struct control_conn *c, int argc, char **argv)
{
	struct herald *h = ctx;
	struct store_hit_list l = {0};
	unsigned limit = HERALD_DEFAULT_LIMIT, offset = 0;
	char err[ERRLEN] = "";
	int i, rc;

	herald_flush(ctx);
	for (i = 1; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		unsigned *dst = strcmp(argv[i], "--limit") == 0    ? &limit
				: strcmp(argv[i], "--offset") == 0 ? &offset
								   : NULL;
		if (dst == NULL || parse_uint(argv[i + 1], HERALD_MAX_LIMIT, dst) < 0) {
			control_conn_err(c, HERALD_E_BADARG, "bad option '%s %s'", argv[i],
					 argv[i + 1]);
			return 0;
		}
	}
	if (i != argc - 1 || limit == 0) {
		control_conn_err(c, HERALD_E_USAGE, "search [--limit N] [--offset N] QUERY");
		return 0;
	}
	if ((rc = store_search(h->store, argv[i], "[", "]", limit, offset, &l, err, sizeof err)) <
	    0) {
		/* FTS5's own words ("syntax error near ...") follow the query. */
		const char *why = strstr(err, "fts5: ");

		store_hit_list_free(&l);
		if (why == NULL && strstr(err, "empty query") == NULL)
			control_conn_err(c, HERALD_E_INTERNAL, "%s", err);
		else
			control_conn_err(c, HERALD_E_BADARG, "malformed search query '%.200s': %s",
					 argv[i], why ? why + 6 : "it has no words");
		return 0;
	}
	for (size_t k = 0; k < l.n && control_conn_alive(c); k++) {
		const struct store_hit *x = &l.v[k];
		control_conn_field_int(c, "item", x->item_id);
		control_conn_field_int(c, "story", x->story_id);
		control_conn_field(c, "feed", x->feed);
		control_conn_field(c, "feed_name", x->feed_name);
		control_conn_field(c, "title", x->title);
		control_conn_field(c, "link", x->link);
		control_conn_field_int(c, "time", x->time);
		control_conn_field_int(c, "read", x->read);
		control_conn_field(c, "snippet", x->snippet);
		control_conn_fieldf(c, "rank", "%.4f", x->rank);
		control_conn_end_record(c);
	}
	store_hit_list_free(&l);
	control_conn_ok(c);
	return 0;
}

/* ---- marking ---- */

static int
mark_kind(const char *name, enum store_mark *m)
{
	static const struct {
		const char *name;
		enum store_mark m;
	} kinds[] = {{HERALD_CMD_READ, STORE_MARK_READ},
		     {HERALD_CMD_UNREAD, STORE_MARK_UNREAD},
		     {HERALD_CMD_STAR, STORE_MARK_STAR},
		     {HERALD_CMD_UNSTAR, STORE_MARK_UNSTAR}};

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(name, kinds[i].name) == 0) {
			*m = kinds[i].m;
			return 0;
		}
	return -1;
}

/* read --all [--feed F] [--before T] */
static void
read_all(struct herald *h, struct control_conn *c, int argc, char **argv)
{
	const char *feed = NULL;
	int64_t before = 0, changed = 0;
	char err[ERRLEN] = "";

	/* --all may come anywhere among the options. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0)
			continue;
		if (i + 1 >= argc)
			goto usage;
		if (strcmp(argv[i], "--feed") == 0)
			feed = argv[++i];
		else if (strcmp(argv[i], "--before") != 0 || parse_id(argv[++i], &before) < 0)
			goto usage;
	}
	if (feed && herald_feed_find(h, feed) == NULL) {
		struct store_feed_list l = {0};
		int rc = store_feeds(h->store, feed, &l, err, sizeof err);
		store_feed_list_free(&l);
		if (rc < 0) {
			control_conn_err(c, HERALD_E_NOTFOUND, "no feed '%s'", feed);
			return;
		}
	}
	if (store_mark_all_read(h->store, feed, before, &changed, err, sizeof err) < 0) {
		control_conn_err(c, HERALD_E_INTERNAL, "%s", err);
		return;
	}
	control_conn_field_int(c, "marked", changed);
	control_conn_ok(c);
	return;
usage:
	control_conn_err(c, HERALD_E_USAGE, "read --all [--feed F] [--before UNIXTIME]");
}

/* What one id of a marking command does; 0, -1 or STORE_ENOTFOUND. */
struct id_op {
	enum store_mark mark;
	int item;     /* ids are items, not stories */
	int digested; /* "digested" rather than a mark */
};

static int
id_apply(struct herald *h, const struct id_op *op, int64_t id, char *err, size_t errlen)
{
	int64_t got;

	if (op->digested)
		return store_story_set_digested(h->store, id, err, errlen);
	if (op->item)
		return store_mark_item(h->store, id, op->mark, err, errlen);
	return store_mark_story(h->store, id, op->mark, &got, err, errlen);
}

/* Applies op to argv[first..argc) in one transaction: every id is checked
 * before any is changed, and one unknown id changes nothing. */
static void
ids_apply(struct herald *h, struct control_conn *c, int argc, char **argv, int first,
	  const struct id_op *op)
{
	char err[ERRLEN] = "";
	int64_t id;
	int rc;

	for (int i = first; i < argc; i++)
		if (parse_id(argv[i], &id) < 0) {
			control_conn_err(c, HERALD_E_BADARG, "bad id '%s'", argv[i]);
			return;
		}
	/* A mark written to a database file deleted underneath would be lost. */
	herald_check_store(h);
	if (store_begin(h->store, err, sizeof err) < 0) {
		control_conn_err(c, HERALD_E_INTERNAL, "%s", err);
		return;
	}
	for (int i = first; i < argc; i++) {
		parse_id(argv[i], &id);
		if ((rc = id_apply(h, op, id, err, sizeof err)) < 0) {
			store_rollback(h->store);
			if (rc == STORE_ENOTFOUND)
				control_conn_err(c, HERALD_E_NOTFOUND, "no %s %s",
						 op->item ? "item" : "story", argv[i]);
			else
				control_conn_err(c, HERALD_E_INTERNAL, "%s", err);
			return;
		}
	}
	if (store_commit(h->store, err, sizeof err) < 0) {
		control_conn_err(c, HERALD_E_INTERNAL, "%s", err);
		return;
	}
	control_conn_ok(c);
}

static int
cmd_mark(void *ctx, struct control_conn *c, int argc, char **argv)
{
	struct herald *h = ctx;
	struct id_op op = {.item = argc > 1 && strcmp(argv[1], "--item") == 0};

	/* The store would commit the open batch itself before the mark; done
	 * here, a failed commit is handled (herald_flush) rather than lost. */
	herald_flush(h);
	if (mark_kind(argv[0], &op.mark) < 0)
		return -1;
	for (int i = 1; op.mark == STORE_MARK_READ && i < argc; i++)
		if (strcmp(argv[i], "--all") == 0) {
			herald_check_store(h);
			read_all(h, c, argc, argv);
			return 0;
		}
	if (1 + op.item >= argc) {
		control_conn_err(c, HERALD_E_USAGE, "%s [--item] ID...", argv[0]);
		return 0;
	}
	ids_apply(h, c, argc, argv, 1 + op.item, &op);
	return 0;
}

static int
cmd_digested(void *ctx, struct control_conn *c, int argc, char **argv)
{
	struct id_op op = {.digested = 1};

	herald_flush(ctx); /* as in cmd_mark */
	ids_apply(ctx, c, argc, argv, 1, &op);
	return 0;
}

/* ---- feeds and the daemon ---- */

static void
put_feed(struct control_conn *c, struct herald *h, const struct store_feed *f)
{
	const struct config_feed *cf = config_feed_find(&h->cfg, f->id);
	char status[16];
	const char *p = f->tags, *e;

	if (f->last_poll == 0)
		snprintf(status, sizeof status, "never");
	else if (f->last_status)
		snprintf(status, sizeof status, "%d", f->last_status);
	else
		snprintf(status, sizeof status, "error");
	control_conn_field(c, "feed", f->id);
	control_conn_field(c, "name", f->name);
	control_conn_field(c, "url", f->url);
	control_conn_field(c, "moved_to", f->moved_url);
	control_conn_field(c, "title", f->title);
	control_conn_field_int(c, "active", f->active);
	control_conn_field_int(c, "interval", cf && cf->interval ? cf->interval : h->cfg.interval);
	control_conn_field_int(c, "last_poll", f->last_poll);
	control_conn_field_int(c, "next_poll", f->next_poll);
	control_conn_field(c, "status", status);
	control_conn_field(c, "error", f->last_error);
	control_conn_field_int(c, "failures", f->failures);
	control_conn_field_int(c, "items", f->nitems);
	control_conn_field_int(c, "unread", f->nunread);
	for (; *p; p = *e ? e + 1 : e) {
		e = p + strcspn(p, ",");
		if (e > p)
			control_conn_field_n(c, "tag", p, (size_t)(e - p));
	}
	control_conn_end_record(c);
}

static int
cmd_feeds(void *ctx, struct control_conn *c, int argc, char **argv)
{
	struct herald *h = ctx;
	struct store_feed_list l = {0};
	char err[ERRLEN] = "";
	int rc;

	herald_flush(ctx);
	if ((rc = store_feeds(h->store, argc > 1 ? argv[1] : NULL, &l, err, sizeof err)) < 0) {
		store_feed_list_free(&l);
		store_failed(c, rc, err);
		return 0;
	}
	for (size_t i = 0; i < l.n && control_conn_alive(c); i++)
		put_feed(c, h, &l.v[i]);
	store_feed_list_free(&l);
	control_conn_ok(c);
	return 0;
}

static int
cmd_stats(void *ctx, struct control_conn *c, int argc, char **argv)
{
	struct herald *h = ctx;
	struct store_stats s;
	char err[ERRLEN] = "";

	herald_flush(ctx);
	(void)argc;
	(void)argv;
	if (store_stats(h->store, &s, err, sizeof err) < 0) {
		control_conn_err(c, HERALD_E_INTERNAL, "%s", err);
		return 0;
	}
	control_conn_field(c, "stats", "herald");
	control_conn_field_int(c, "feeds", s.feeds);
	control_conn_field_int(c, "active_feeds", s.active_feeds);
	control_conn_field_int(c, "items", s.items);
	control_conn_field_int(c, "stories", s.stories);
	control_conn_field_int(c, "unread", s.unread);
	control_conn_field_int(c, "starred", s.starred);
	control_conn_field_int(c, "db_size", s.db_bytes);
	control_conn_field_int(c, "uptime", (int64_t)time(NULL) - h->started);
	control_conn_field_int(c, "clients", control_clients(h->control));
	control_conn_field_int(c, "polls", (int64_t)h->polls);
	control_conn_field_int(c, "polls_failed", (int64_t)h->polls_failed);
	control_conn_end_record(c);
	control_conn_ok(c);
	return 0;
}

static int
cmd_version(void *ctx, struct control_conn *c, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	control_conn_field(c, "version", PACKAGE_VERSION);
	control_conn_field_int(c, "protocol", HERALD_PROTOCOL_VERSION);
	control_conn_end_record(c);
	control_conn_ok(c);
	return 0;
}

static int
cmd_refresh(void *ctx, struct control_conn *c, int argc, char **argv)
{
	struct herald *h = ctx;

	if (herald_refresh(h, argc > 1 ? argv[1] : NULL) < 0) {
		control_conn_err(c, HERALD_E_NOTFOUND, "no feed '%s'", argv[1]);
		return 0;
	}
	control_conn_ok(c);
	return 0;
}

/* Answers a reload's outcome; the errors name file and line. */

/* After an edit of feeds.conf: reload, then answer with the feed's record
 * (id non-NULL) or just OK. */
static void
reload_then_show(struct herald *h, struct control_conn *c, const char *id)
{
	struct store_feed_list l = {0};
	char *errors = NULL, err[ERRLEN] = "";

	if (herald_reload(h, &errors) < 0) {
		for (char *p = errors; p && *p; p++)
			if (*p == '\n')
				*p = ';';
		control_conn_err(c, HERALD_E_INTERNAL, "edited %s but reload failed: %s",
				 h->config_path, errors ? errors : "out of memory");
		free(errors);
		return;
	}
	if (id && store_feeds(h->store, id, &l, err, sizeof err) == 0 && l.n == 1)
		put_feed(c, h, &l.v[0]);
	store_feed_list_free(&l);
	control_conn_ok(c);
}

/* add URL [--id K] [--name N] [--interval D] [--tags T,U] */
static int
cmd_add(void *ctx, struct control_conn *c, int argc, char **argv)
{
	struct herald *h = ctx;
	const char *id = NULL, *name = NULL, *interval = NULL, *tags = NULL, *url = NULL;
	char err[ERRLEN] = "", used[CONFIG_MAX_ID + 1] = "";
	unsigned secs;

	/* The URL may come before or after the options (the client sends
	 * options first). */
	for (int i = 1; i < argc; i++) {
		const char **dst = strcmp(argv[i], "--id") == 0         ? &id
				   : strcmp(argv[i], "--name") == 0     ? &name
				   : strcmp(argv[i], "--interval") == 0 ? &interval
				   : strcmp(argv[i], "--tags") == 0     ? &tags
									: NULL;
		if (dst == NULL && url == NULL && strncmp(argv[i], "--", 2) != 0) {
			url = argv[i];
			continue;
		}
		if (dst == NULL || i + 1 >= argc)
			goto usage;
		*dst = argv[++i];
	}
	if (url == NULL)
		goto usage;
	if (interval && config_parse_duration(interval, &secs) < 0) {
		control_conn_err(c, HERALD_E_BADARG, "bad interval '%s' (use 90s, 15m, 2h, 1d)",
				 interval);
		return 0;
	}
	if (config_feed_find_url(&h->cfg, url)) {
		control_conn_err(c, HERALD_E_EXISTS, "%s is already in %s", url, h->config_path);
		return 0;
	}
	if (id && config_feed_find(&h->cfg, id)) {
		control_conn_err(c, HERALD_E_EXISTS, "a feed '%s' already exists", id);
		return 0;
	}
	if (config_edit_add(h->config_path, id, url, name, interval, tags, used, sizeof used, err,
			    sizeof err) < 0) {
		control_conn_err(c, HERALD_E_BADARG, "%s", err);
		return 0;
	}
	reload_then_show(h, c, used);
	return 0;
usage:
	control_conn_err(c, HERALD_E_USAGE,
			 "add URL [--id K] [--name N] [--interval D] [--tags T,U]");
	return 0;
}

static int
cmd_reload(void *ctx, struct control_conn *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	reload_then_show(ctx, c, NULL);
	return 0;
}

static int
cmd_remove(void *ctx, struct control_conn *c, int argc, char **argv)
{
	struct herald *h = ctx;
	char err[ERRLEN] = "";

	(void)argc;
	if (config_feed_find(&h->cfg, argv[1]) == NULL) {
		control_conn_err(c, HERALD_E_NOTFOUND, "no feed '%s' in %s", argv[1],
				 h->config_path);
		return 0;
	}
	if (config_edit_remove(h->config_path, argv[1], err, sizeof err) < 0) {
		control_conn_err(c, HERALD_E_INTERNAL, "%s", err);
		return 0;
	}
	reload_then_show(h, c, NULL);
	return 0;
}

/* Which OPML entries can be added: new, valid http(s) URLs only (an imported
 * list never brings in a file:// feed). Writes one record per entry. */
static size_t
import_select(struct herald *h, struct control_conn *c, const struct opml *o,
	      struct config_edit_feed *out)
{
	size_t n = 0;

	for (size_t i = 0; i < o->nfeeds; i++) {
		const struct opml_feed *f = &o->feeds[i];
		char why[256] = "";
		int dup = config_feed_find_url(&h->cfg, f->url) != NULL;

		for (size_t j = 0; j < n && !dup; j++)
			dup = strcmp(out[j].url, f->url) == 0;
		control_conn_field_int(c, "import", (int64_t)i + 1);
		control_conn_field(c, "url", f->url);
		if (dup) {
			control_conn_field(c, "status", "exists");
		} else if (url_check(f->url, 0, why, sizeof why) < 0) {
			control_conn_field(c, "status", "error");
			control_conn_field(c, "error", why);
		} else {
			out[n] = (struct config_edit_feed){.url = f->url,
							   .name = f->title,
							   .tags = (const char *const *)f->tags,
							   .ntags = f->ntags};
			n++;
			control_conn_field(c, "status", "added");
		}
		control_conn_end_record(c);
	}
	return n;
}

static int
cmd_import(void *ctx, struct control_conn *c, int argc, char **argv)
{
	struct herald *h = ctx;
	struct opml o = {0};
	struct config_edit_feed *sel = NULL;
	const char *data;
	size_t len, n, added = 0;
	char err[ERRLEN] = "";

	(void)argc;
	(void)argv;
	data = control_conn_payload(c, &len);
	if (opml_parse("import", data ? data : "", len, &o, err, sizeof err) < 0) {
		control_conn_err(c, HERALD_E_BADARG, "%s", err);
		return 0;
	}
	if (o.nfeeds && (sel = calloc(o.nfeeds, sizeof *sel)) == NULL) {
		opml_free(&o);
		control_conn_err(c, HERALD_E_INTERNAL, "out of memory");
		return 0;
	}
	n = import_select(h, c, &o, sel);
	if (n && config_edit_append(h->config_path, sel, n, 0, &added, err, sizeof err) < 0) {
		control_conn_err(c, HERALD_E_INTERNAL, "%s", err);
	} else if (n) {
		reload_then_show(h, c, NULL);
	} else {
		control_conn_ok(c);
	}
	free(sel);
	opml_free(&o);
	return 0;
}

static int
cmd_export(void *ctx, struct control_conn *c, int argc, char **argv)
{
	struct herald *h = ctx;
	struct opml_feed *v = calloc(h->cfg.nfeeds + 1, sizeof *v);
	char *doc;

	herald_flush(ctx);
	(void)argc;
	(void)argv;
	if (v == NULL) {
		control_conn_err(c, HERALD_E_INTERNAL, "out of memory");
		return 0;
	}
	for (size_t i = 0; i < h->cfg.nfeeds; i++) {
		const struct config_feed *f = &h->cfg.feeds[i];
		v[i] = (struct opml_feed){.url = f->url,
					  .title = f->name ? f->name : f->id,
					  .tags = f->tags,
					  .ntags = f->ntags};
	}
	doc = opml_write("herald subscriptions", v, h->cfg.nfeeds, (int64_t)time(NULL));
	free(v);
	if (doc == NULL) {
		control_conn_err(c, HERALD_E_INTERNAL, "out of memory");
		return 0;
	}
	control_conn_field(c, "opml", doc);
	control_conn_end_record(c);
	free(doc);
	control_conn_ok(c);
	return 0;
}

/* ---- the table ---- */

/* While a response is being stored on the worker thread the daemon holds
 * every request that reads or writes the store (control_hold); those
 * marked CONTROL_CMD_ALWAYS touch neither the store nor the story index. */

static const struct control_command commands[] = {
	{HERALD_CMD_STORIES, cmd_stories, 0, -1,
	 "stories [--all|--starred|--undigested] [--feed F] [--tag T] [--since T] [--limit N] "
	 "[--offset N]",
	 0},
	{HERALD_CMD_ITEMS, cmd_items, 0, -1, "items [filters as stories] [--story ID]", 0},
	{HERALD_CMD_SHOW, cmd_show, 1, 2, "show [--item] ID", 0},
	{HERALD_CMD_READ, cmd_mark, 1, -1,
	 "read [--item] ID... | read --all [--feed F] [--before T]", 0},
	{HERALD_CMD_UNREAD, cmd_mark, 1, -1, "unread [--item] ID...", 0},
	{HERALD_CMD_STAR, cmd_mark, 1, -1, "star [--item] ID...", 0},
	{HERALD_CMD_UNSTAR, cmd_mark, 1, -1, "unstar [--item] ID...", 0},
	{HERALD_CMD_SEARCH, cmd_search, 1, 5, "search [--limit N] [--offset N] QUERY", 0},
	{HERALD_CMD_FEEDS, cmd_feeds, 0, 1, "feeds [FEED]", 0},
	{HERALD_CMD_ADD, cmd_add, 1, 9, "add URL [--id K] [--name N] [--interval D] [--tags T,U]",
	 0},
	{HERALD_CMD_REMOVE, cmd_remove, 1, 1, "remove FEED", 0},
	{HERALD_CMD_IMPORT, cmd_import, 0, 0, "import LENGTH (then LENGTH bytes of OPML)",
	 CONTROL_CMD_PAYLOAD},
	{HERALD_CMD_EXPORT, cmd_export, 0, 0, "export", 0},
	{HERALD_CMD_REFRESH, cmd_refresh, 0, 1, "refresh [FEED]", CONTROL_CMD_ALWAYS},
	{HERALD_CMD_RELOAD, cmd_reload, 0, 0, "reload", 0},
	{HERALD_CMD_STATS, cmd_stats, 0, 0, "stats", 0},
	{HERALD_CMD_VERSION, cmd_version, 0, 0, "version", CONTROL_CMD_ALWAYS},
	{HERALD_CMD_DIGESTED, cmd_digested, 1, -1, "digested ID...", 0},
};

int
commands_start(struct herald *h, char *err, size_t errlen)
{
	struct control_options o = {
		.path = h->sock_path,
		.group = h->cfg.socket_group,
	};

	return control_start(&h->loop, &o, commands, sizeof commands / sizeof commands[0], h,
			     &h->control, err, errlen);
}

void
commands_stop(struct herald *h)
{
	control_stop(h->control);
	h->control = NULL;
}
