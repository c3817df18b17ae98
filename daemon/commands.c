#include "autoconfig.h"

#include "commands.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "buf.h"
#include "confedit.h"
#include "config.h"
#include "control.h"
#include "discover.h"
#include "fetch.h"
#include "filter.h"
#include "herald/protocol.h"
#include "log.h"
#include "poller.h"
#include "proto.h"
#include "retention.h"
#include "store.h"
#include "url.h"
#include "writer.h"

#define ERRLEN 512

struct commands {
	const struct commands_env *env;
	struct control *control;
};

/* ---- argument helpers ---- */

/* The store for a command, the open batch committed first (so that what a
 * client reads is what a crash would leave, and a client's write does not
 * commit the batch inside the store, where a failure would go unseen).
 * NULL, answered "ERR busy", while the worker holds it: requests wait for
 * it (commands_hold), so that is a bug's or a race's answer, not a rule. */
static struct store *
cmd_store(struct commands *cs, struct control_conn *c)
{
	struct store *st;

	writer_flush(cs->env->writer);
	if ((st = writer_store(cs->env->writer)) == NULL && writer_fault(cs->env->writer))
		control_conn_err(c, HERALD_E_INTERNAL, "%s", writer_fault(cs->env->writer));
	else if (st == NULL)
		control_conn_err(c, HERALD_E_BUSY, "busy storing a response, try again");
	return st;
}

/* Reads the listing options shared by stories and items (the command's
 * template holds them). 0, or -1 after answering the error. */
static int
parse_filter(struct control_conn *conn, const struct control_args *a, struct store_filter *f)
{
	static const char *const times[] = {"since", "before"};
	const char *v;
	uint64_t n;

	memset(f, 0, sizeof *f);
	f->starred = control_args_get(a, "starred") != NULL;
	f->all = f->starred || control_args_get(a, "all") != NULL;
	f->undigested = control_args_get(a, "undigested") != NULL;
	f->feed = control_args_get(a, "feed");
	f->tag = control_args_get(a, "tag");
	for (size_t i = 0; i < 2; i++) {
		if ((v = control_args_get(a, times[i])) == NULL)
			continue;
		if (proto_parse_id(v, i == 0 ? &f->since : &f->before) < 0) {
			control_conn_err(conn, HERALD_E_BADARG, "--%s wants Unix seconds, not '%s'",
					 times[i], v);
			return -1;
		}
	}
	if ((v = control_args_get(a, "limit")) != NULL) {
		if (proto_parse_uint(v, HERALD_MAX_LIMIT, &n) < 0 || n == 0) {
			control_conn_err(conn, HERALD_E_BADARG, "bad --limit '%s'", v);
			return -1;
		}
		f->limit = (unsigned)n;
	}
	if ((v = control_args_get(a, "offset")) != NULL) {
		if (proto_parse_uint(v, UINT_MAX / 2, &n) < 0) {
			control_conn_err(conn, HERALD_E_BADARG, "bad --offset '%s'", v);
			return -1;
		}
		f->offset = (unsigned)n;
	}
	return 0;
}

/* A failed store call: rc says what happened; notfound names the missing
 * thing for people ("story 7"). */
static void
store_failed(struct control_conn *conn, int rc, const char *err, const char *notfound)
{
	if (rc == STORE_ENOTFOUND)
		control_conn_err(conn, HERALD_E_NOTFOUND, "no %s", notfound);
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

/* An item's image and enclosures (issue 25), for show: "image", then one
 * "enclosure: URL<TAB>TYPE<TAB>LENGTH<TAB>DURATION" each. Nothing when the
 * item has none or they cannot be read (the rest of the record stands). */
static void
put_enclosures(struct control_conn *c, struct store *st, int64_t item_id)
{
	struct store_enclosure_list l;
	char err[ERRLEN], len[24], dur[24];

	if (st == NULL || store_item_enclosures(st, item_id, &l, err, sizeof err) < 0)
		return;
	if (*l.image)
		control_conn_field(c, "image", l.image);
	for (size_t i = 0; i < l.n; i++) {
		snprintf(len, sizeof len, "%lld", (long long)l.v[i].length);
		snprintf(dur, sizeof dur, "%lld", (long long)l.v[i].duration);
		const char *v[4] = {l.v[i].url, l.v[i].type, len, dur};
		control_conn_field_tuple(c, "enclosure", v, 4);
	}
	store_enclosure_list_free(&l);
}

static void
put_item_full(struct control_conn *c, const struct store_item_row *it, int full, struct store *st)
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
	control_conn_field_int(c, "first_seen", it->first_seen);
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
	put_enclosures(c, st, it->id);
	control_conn_end_record(c);
}

static void
put_item(struct control_conn *c, const struct store_item_row *it, int full)
{
	put_item_full(c, it, full, NULL);
}

static void
put_outlet_item(struct control_conn *c, const struct store_outlet *o, int64_t story,
		struct store *st)
{
	control_conn_field_int(c, "item", o->item_id);
	control_conn_field_int(c, "story", story);
	control_conn_field(c, "feed", o->feed);
	control_conn_field(c, "feed_name", o->feed_name);
	control_conn_field(c, "title", o->title);
	control_conn_field(c, "link", o->link);
	control_conn_field_int(c, "published", o->published);
	control_conn_field_int(c, "time", o->time);
	control_conn_field_int(c, "first_seen", o->first_seen);
	control_conn_field_int(c, "read", o->read);
	control_conn_field_int(c, "starred", o->starred);
	if (o->text && *o->text)
		control_conn_field(c, "text", o->text);
	put_enclosures(c, st, o->item_id);
	control_conn_end_record(c);
}

/* ---- listing ---- */

static int
cmd_stories(void *ctx, struct control_conn *c, const struct control_args *a)
{
	struct store_filter f;
	struct store_story_list l = {0};
	struct store *st;
	char err[ERRLEN] = "", what[CONFIG_MAX_ID + 16];
	int rc;

	if (parse_filter(c, a, &f) < 0 || (st = cmd_store(ctx, c)) == NULL)
		return 0;
	if ((rc = store_stories(st, &f, &l, err, sizeof err)) < 0) {
		store_story_list_free(&l);
		snprintf(what, sizeof what, "feed '%.*s'", CONFIG_MAX_ID, f.feed ? f.feed : "");
		store_failed(c, rc, err, what);
		return 0;
	}
	for (size_t i = 0; i < l.n && control_conn_alive(c); i++)
		put_story(c, &l.v[i]);
	store_story_list_free(&l);
	control_conn_ok(c);
	return 0;
}

static int
cmd_items(void *ctx, struct control_conn *c, const struct control_args *a)
{
	const char *story = control_args_get(a, "story");
	struct store_filter f;
	struct store_item_list l = {0};
	struct store *st;
	int64_t id = 0;
	char err[ERRLEN] = "", what[CONFIG_MAX_ID + 16];
	int rc;

	if (parse_filter(c, a, &f) < 0)
		return 0;
	if (story && proto_parse_id(story, &id) < 0) {
		control_conn_err(c, HERALD_E_BADARG, "bad story id '%s'", story);
		return 0;
	}
	if ((st = cmd_store(ctx, c)) == NULL)
		return 0;
	if (story) {
		/* Every item of the story (merged ids lead to the survivor),
		 * read or not, in pages like any listing. */
		snprintf(what, sizeof what, "story %s", story);
		if ((rc = store_story_resolve(st, id, &f.story, err, sizeof err)) < 0) {
			store_failed(c, rc, err, what);
			return 0;
		}
		f.all = 1;
	}
	if ((rc = store_items(st, &f, &l, err, sizeof err)) < 0) {
		store_item_list_free(&l);
		snprintf(what, sizeof what, "feed '%.*s'", CONFIG_MAX_ID, f.feed ? f.feed : "");
		store_failed(c, rc, err, what);
		return 0;
	}
	for (size_t i = 0; i < l.n && control_conn_alive(c); i++)
		put_item(c, &l.v[i], 0);
	store_item_list_free(&l);
	control_conn_ok(c);
	return 0;
}

static int
cmd_show(void *ctx, struct control_conn *c, const struct control_args *a)
{
	int item = control_args_get(a, "item") != NULL;
	char err[ERRLEN] = "", what[64];
	struct store *st;
	int64_t id;
	int rc;

	if (proto_parse_id(a->pos[0], &id) < 0) {
		control_conn_err(c, HERALD_E_USAGE, "%s", a->cmd->usage);
		return 0;
	}
	if ((st = cmd_store(ctx, c)) == NULL)
		return 0;
	snprintf(what, sizeof what, "%s %s", item ? "item" : "story", a->pos[0]);
	if (item) {
		struct store_item_list l = {0};

		if ((rc = store_item_get(st, id, &l, err, sizeof err)) < 0) {
			store_item_list_free(&l);
			store_failed(c, rc, err, what);
			return 0;
		}
		put_item_full(c, &l.v[0], 1, st);
		store_item_list_free(&l);
	} else {
		struct store_story_list l = {0};

		if ((rc = store_story_get(st, id, &l, err, sizeof err)) < 0) {
			store_story_list_free(&l);
			store_failed(c, rc, err, what);
			return 0;
		}
		put_story(c, &l.v[0]);
		for (size_t i = 0; i < l.v[0].noutlet_rows && control_conn_alive(c); i++)
			put_outlet_item(c, &l.v[0].outlets[i], l.v[0].id, st);
		store_story_list_free(&l);
	}
	control_conn_ok(c);
	return 0;
}

static void
put_hit(struct control_conn *c, const struct store_hit *x)
{
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

static int
cmd_search(void *ctx, struct control_conn *c, const struct control_args *a)
{
	static const char *const names[] = {"limit", "offset"};
	uint64_t v[2] = {HERALD_DEFAULT_LIMIT, 0};
	const char *query = a->pos[0];
	struct store_hit_list l = {0};
	struct store *st;
	char err[ERRLEN] = "";
	int rc;

	for (size_t i = 0; i < 2; i++) {
		const char *s = control_args_get(a, names[i]);

		if (s &&
		    (proto_parse_uint(s, HERALD_MAX_LIMIT, &v[i]) < 0 || (i == 0 && v[i] == 0))) {
			control_conn_err(c, HERALD_E_BADARG, "bad --%s '%s'", names[i], s);
			return 0;
		}
	}
	if ((st = cmd_store(ctx, c)) == NULL)
		return 0;
	rc = store_search(st, query, "[", "]", (unsigned)v[0], (unsigned)v[1], &l, err, sizeof err);
	if (rc < 0) {
		store_hit_list_free(&l);
		if (rc == STORE_EQUERY)
			control_conn_err(c, HERALD_E_BADARG, "malformed search query '%.200s': %s",
					 query, err);
		else
			control_conn_err(c, HERALD_E_INTERNAL, "%s", err);
		return 0;
	}
	for (size_t k = 0; k < l.n && control_conn_alive(c); k++)
		put_hit(c, &l.v[k]);
	store_hit_list_free(&l);
	control_conn_ok(c);
	return 0;
}

/* ---- marking ---- */

/* read --all [--feed F] [--before T] */
static void
read_all(struct store *st, struct control_conn *c, const struct control_args *a)
{
	const char *feed = control_args_get(a, "feed"), *b = control_args_get(a, "before");
	int64_t before = 0, changed = 0;
	char err[ERRLEN] = "", what[CONFIG_MAX_ID + 16];
	int rc;

	if (a->npos > 0 || control_args_get(a, "item") || (b && proto_parse_id(b, &before) < 0)) {
		control_conn_err(c, HERALD_E_USAGE, "read --all [--feed F] [--before UNIXTIME]");
		return;
	}
	if (feed) {
		struct store_feed_list l = {0};

		rc = store_feeds(st, feed, &l, err, sizeof err);
		store_feed_list_free(&l);
		if (rc < 0) {
			snprintf(what, sizeof what, "feed '%.*s'", CONFIG_MAX_ID, feed);
			store_failed(c, rc, err, what);
			return;
		}
	}
	if (store_mark_all_read(st, feed, before, &changed, err, sizeof err) < 0) {
		control_conn_err(c, HERALD_E_INTERNAL, "%s", err);
		return;
	}
	control_conn_field_int(c, "marked", changed);
	control_conn_ok(c);
}

/* What one id of a marking command does. */
struct id_op {
	enum store_mark mark;
	int item;     /* ids are items, not stories */
	int digested; /* "digested" rather than a mark */
};

/* 0, -1 or STORE_ENOTFOUND. */
static int
id_apply(struct store *st, const struct id_op *op, int64_t id, char *err, size_t errlen)
{
	int64_t got;

	if (op->digested)
		return store_story_set_digested(st, id, err, errlen);
	if (op->item)
		return store_mark_item(st, id, op->mark, err, errlen);
	return store_mark_story(st, id, op->mark, &got, err, errlen);
}

/* Applies op to every id in one transaction: every id is checked before
 * any is changed, and one unknown id changes nothing. */
static void
ids_apply(struct commands *cs, struct control_conn *c, const struct control_args *a,
	  const struct id_op *op)
{
	char err[ERRLEN] = "", what[64];
	struct store *st;
	int64_t id;
	int rc;

	for (int i = 0; i < a->npos; i++)
		if (proto_parse_id(a->pos[i], &id) < 0) {
			control_conn_err(c, HERALD_E_BADARG, "bad id '%s'", a->pos[i]);
			return;
		}
	if ((st = cmd_store(cs, c)) == NULL)
		return;
	if (store_begin(st, err, sizeof err) < 0) {
		control_conn_err(c, HERALD_E_INTERNAL, "%s", err);
		return;
	}
	for (int i = 0; i < a->npos; i++) {
		proto_parse_id(a->pos[i], &id);
		if ((rc = id_apply(st, op, id, err, sizeof err)) < 0) {
			store_rollback(st);
			snprintf(what, sizeof what, "%s %s", op->item ? "item" : "story",
				 a->pos[i]);
			store_failed(c, rc, err, what);
			return;
		}
	}
	if (store_commit(st, err, sizeof err) < 0) {
		control_conn_err(c, HERALD_E_INTERNAL, "%s", err);
		return;
	}
	control_conn_ok(c);
}

static int
cmd_mark(void *ctx, struct control_conn *c, const struct control_args *a)
{
	static const struct {
		const char *name;
		enum store_mark m;
	} kinds[] = {{HERALD_CMD_READ, STORE_MARK_READ},
		     {HERALD_CMD_UNREAD, STORE_MARK_UNREAD},
		     {HERALD_CMD_STAR, STORE_MARK_STAR},
		     {HERALD_CMD_UNSTAR, STORE_MARK_UNSTAR}};
	struct id_op op = {.item = control_args_get(a, "item") != NULL};
	struct store *st;
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(a->argv[0], kinds[i].name) == 0)
			break;
	if (i == sizeof kinds / sizeof kinds[0])
		return -1;
	op.mark = kinds[i].m;
	if (control_args_get(a, "all")) {
		if ((st = cmd_store(ctx, c)) != NULL)
			read_all(st, c, a);
		return 0;
	}
	if (a->npos == 0 || control_args_get(a, "feed") || control_args_get(a, "before")) {
		control_conn_err(c, HERALD_E_USAGE, "%s", a->cmd->usage);
		return 0;
	}
	ids_apply(ctx, c, a, &op);
	return 0;
}

static int
cmd_digested(void *ctx, struct control_conn *c, const struct control_args *a)
{
	struct id_op op = {.digested = 1};

	ids_apply(ctx, c, a, &op);
	return 0;
}

/* ---- feeds and the daemon ---- */

/* A field that may hold a URL with a password (issue #28): masked. */
static void
field_redacted(struct control_conn *c, const char *key, const char *value)
{
	char *v = value && strchr(value, '@') ? url_redact(value) : NULL;

	if (value && strchr(value, '@') && v == NULL)
		control_conn_field(c, key, "(withheld: out of memory)");
	else
		control_conn_field(c, key, v ? v : value);
	free(v);
}

static void
put_feed(struct control_conn *c, const struct config *cfg, const struct store_feed *f)
{
	const struct config_feed *cf = config_feed_find(cfg, f->id);
	/* Moved onto another feed's URL: its items went there (poll_merge). */
	const struct config_feed *into =
		*f->moved_url ? config_feed_find_url(cfg, f->moved_url) : NULL;
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
	field_redacted(c, "url", f->url);
	field_redacted(c, "moved_to", f->moved_url);
	control_conn_field(c, "merged_into", into && strcmp(into->id, f->id) != 0 ? into->id : "");
	control_conn_field(c, "title", f->title);
	control_conn_field_int(c, "active", f->active);
	control_conn_field_int(c, "interval", cf && cf->interval ? cf->interval : cfg->interval);
	control_conn_field_int(c, "last_poll", f->last_poll);
	control_conn_field_int(c, "next_poll", f->next_poll);
	control_conn_field(c, "status", status);
	field_redacted(c, "error", f->last_error);
	control_conn_field_int(c, "failures", f->failures);
	control_conn_field_int(c, "items", f->nitems);
	control_conn_field_int(c, "unread", f->nunread);
	control_conn_field_int(c, "dropped", f->dropped);
	for (; *p; p = *e ? e + 1 : e) {
		e = p + strcspn(p, ",");
		if (e > p)
			control_conn_field_n(c, "tag", p, (size_t)(e - p));
	}
	control_conn_end_record(c);
}

static int
cmd_feeds(void *ctx, struct control_conn *c, const struct control_args *a)
{
	struct commands *cs = ctx;
	const char *id = a->npos > 0 ? a->pos[0] : NULL;
	struct store_feed_list l = {0};
	struct store *st;
	char err[ERRLEN] = "", what[CONFIG_MAX_ID + 16];
	int rc;

	if ((st = cmd_store(cs, c)) == NULL)
		return 0;
	if ((rc = store_feeds(st, id, &l, err, sizeof err)) < 0) {
		store_feed_list_free(&l);
		snprintf(what, sizeof what, "feed '%.*s'", CONFIG_MAX_ID, id ? id : "");
		store_failed(c, rc, err, what);
		return 0;
	}
	for (size_t i = 0; i < l.n && control_conn_alive(c); i++) {
		const struct store_feed *f = &l.v[i];

		/* The list is the configured feeds, and those merged into one
		 * (the user is told where they went); a feed taken out of
		 * feeds.conf by hand is asked for by its id. */
		if (id == NULL && !f->active &&
		    !(*f->moved_url && config_feed_find_url(cs->env->cfg, f->moved_url)))
			continue;
		put_feed(c, cs->env->cfg, f);
	}
	store_feed_list_free(&l);
	control_conn_ok(c);
	return 0;
}

static int
cmd_stats(void *ctx, struct control_conn *c, const struct control_args *a)
{
	struct commands *cs = ctx;
	struct store_stats s;
	struct store *st;
	uint64_t polls, failed;
	char err[ERRLEN] = "";

	(void)a;
	if ((st = cmd_store(cs, c)) == NULL)
		return 0;
	if (store_stats(st, &s, err, sizeof err) < 0) {
		control_conn_err(c, HERALD_E_INTERNAL, "%s", err);
		return 0;
	}
	poll_totals(cs->env->poller, &polls, &failed);
	control_conn_field(c, "stats", "herald");
	control_conn_field_int(c, "feeds", s.feeds);
	control_conn_field_int(c, "active_feeds", s.active_feeds);
	control_conn_field_int(c, "items", s.items);
	control_conn_field_int(c, "stories", s.stories);
	control_conn_field_int(c, "unread", s.unread);
	control_conn_field_int(c, "starred", s.starred);
	control_conn_field_int(c, "db_size", s.db_bytes);
	control_conn_field_int(c, "uptime", (int64_t)time(NULL) - cs->env->started);
	control_conn_field_int(c, "clients", control_clients(cs->control));
	control_conn_field_int(c, "polls", (int64_t)polls);
	control_conn_field_int(c, "polls_failed", (int64_t)failed);
	control_conn_end_record(c);
	control_conn_ok(c);
	return 0;
}

static int
cmd_version(void *ctx, struct control_conn *c, const struct control_args *a)
{
	(void)ctx;
	(void)a;
	control_conn_field(c, "version", PACKAGE_VERSION);
	control_conn_field_int(c, "protocol", HERALD_PROTOCOL_VERSION);
	control_conn_end_record(c);
	control_conn_ok(c);
	return 0;
}

static int
cmd_refresh(void *ctx, struct control_conn *c, const struct control_args *a)
{
	struct commands *cs = ctx;
	const char *id = a->npos > 0 ? a->pos[0] : NULL;

	if (poll_refresh(cs->env->poller, id) == -ENOENT) {
		control_conn_err(c, HERALD_E_NOTFOUND, "no feed '%s'", id);
		return 0;
	}
	control_conn_ok(c);
	return 0;
}

/* A request that waits for a reload to end. */
/* A request that waits for a reload to end (and for remove, then for its
 * items to be deleted). It keeps env, the daemon's, which outlives the
 * commands: a job in the writer's queue may end after commands_stop. */
struct reload_wait {
	const struct commands_env *env;
	struct control_conn *conn;
	char id[CONFIG_MAX_ID + 1]; /* the feed to answer with, or "" */
	int plain;                  /* a reload asked for, not after an edit */
	int remove;                 /* delete id's items after the reload... */
	int purge_starred;          /* ...the starred ones too */
	struct writer_job job;
	int64_t deleted;
};

static int
delete_work(struct store *st, void *data, char *err, size_t errlen)
{
	struct reload_wait *rw = data;
	int rc = store_feed_delete(st, rw->id, rw->purge_starred, &rw->deleted, err, errlen);

	/* Already gone (it had no row): nothing to delete. */
	return rc == STORE_ENOTFOUND ? 0 : rc;
}

static void
deleted(struct writer_job *job, int rc, const char *why, const struct ingest_counts *c)
{
	struct reload_wait *rw = job->data;

	(void)c;
	if (rc < 0) {
		control_conn_err(rw->conn, HERALD_E_INTERNAL,
				 "removed '%s' from the configuration, but its items stay: %s",
				 rw->id, why ? why : "?");
	} else {
		/* The story index may hold the items that went. */
		writer_drop_index(rw->env->writer);
		log_info("feed %s removed: %lld items deleted%s", rw->id, (long long)rw->deleted,
			 rw->purge_starred ? "" : " (starred ones kept)");
		control_conn_ok(rw->conn);
	}
	free(rw);
}

static void
reloaded(void *arg, int rc, const char *errors)
{
	struct reload_wait *rw = arg;
	const struct commands_env *env = rw->env;
	struct store_feed_list l = {0};
	struct store *st;
	char err[ERRLEN] = "", *msg;

	if (rc < 0) {
		/* One line: the file's errors joined. */
		msg = strdup(errors ? errors : "out of memory");
		for (char *p = msg; p && *p; p++)
			if (*p == '\n')
				*p = ';';
		if (rw->plain)
			control_conn_err(rw->conn, HERALD_E_INTERNAL, "reload failed: %s",
					 msg ? msg : "out of memory");
		else
			control_conn_err(rw->conn, HERALD_E_INTERNAL,
					 "edited %s but reload failed: %s", env->config_path,
					 msg ? msg : "out of memory");
		free(msg);
		free(rw);
		return;
	}
	if (rw->remove) {
		rw->job.work = delete_work;
		rw->job.data = rw;
		writer_submit(env->writer, &rw->job, deleted);
		return;
	}
	if (rw->id[0] && (st = writer_store(env->writer)) != NULL &&
	    store_feeds(st, rw->id, &l, err, sizeof err) == 0 && l.n == 1)
		put_feed(rw->conn, env->cfg, &l.v[0]);
	store_feed_list_free(&l);
	control_conn_ok(rw->conn);
	free(rw);
}

/* After an edit of feeds.conf: reload, then answer with the feed's record
 * (id non-NULL) or just OK, when the reload ended (the request waits). */
static struct reload_wait *
reload_wait_new(struct commands *cs, struct control_conn *c, const char *id)
{
	struct reload_wait *rw = calloc(1, sizeof *rw);

	if (rw == NULL) {
		control_conn_err(c, HERALD_E_INTERNAL, "out of memory");
		return NULL;
	}
	rw->env = cs->env;
	rw->conn = c;
	snprintf(rw->id, sizeof rw->id, "%s", id ? id : "");
	return rw;
}

static void
reload_wait_start(struct reload_wait *rw)
{
	if (rw->env->reload(rw->env->daemon, reloaded, rw) < 0) {
		control_conn_err(rw->conn, HERALD_E_INTERNAL, "out of memory");
		free(rw);
	}
}

static void
reload_then_show(struct commands *cs, struct control_conn *c, const char *id)
{
	struct reload_wait *rw = reload_wait_new(cs, c, id);

	if (rw)
		reload_wait_start(rw);
}

/* The file add and import write: the one feeds.conf includes, when it does
 * (a read-only /etc under the system unit: docs/systemd.md). */
static const char *
edit_path(const struct commands_env *env)
{
	return env->cfg->include ? env->cfg->include : env->config_path;
}

/* A file:// feed added over the socket is read with the daemon's rights, so
 * a client (any member of socket_group) could have it read any file into
 * an item: only the files under allow_file_feeds may be added (feeds.conf
 * itself may name any file, as its writer has those rights). The check is
 * on the real path, links and ".." resolved, so the file must exist. 0, or
 * -1 with why. */
static int
file_feed_allowed(const struct commands_env *env, const char *url, char *why, size_t len)
{
	char scheme[16], *path = NULL, *real = NULL, *dir = NULL;
	size_t n;
	int rc = -1;

	if (url_scheme(url, scheme, sizeof scheme) < 0 || strcmp(scheme, "file") != 0)
		return 0;
	if (env->cfg->allow_file_feeds == NULL) {
		snprintf(
			why, len,
			"file:// feeds cannot be added over the socket: set allow_file_feeds = DIR "
			"in %s to allow the files under DIR",
			env->config_path);
		return -1;
	}
	if ((path = url_file_path(url)) == NULL) {
		snprintf(why, len, "'%s' names no local file", url);
		goto out;
	}
	if ((dir = realpath(env->cfg->allow_file_feeds, NULL)) == NULL) {
		snprintf(why, len, "allow_file_feeds = %s: %s", env->cfg->allow_file_feeds,
			 strerror(errno));
		goto out;
	}
	if ((real = realpath(path, NULL)) == NULL) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		goto out;
	}
	n = strlen(dir);
	if (strncmp(real, dir, n) != 0 || (real[n] != '/' && !(n == 1 && dir[0] == '/'))) {
		snprintf(why, len, "%s is not under allow_file_feeds = %s", real, dir);
		goto out;
	}
	rc = 0;
out:
	free(path);
	free(real);
	free(dir);
	return rc;
}

/* ---- add, with autodiscovery (issue 25) ---- */

/* What an add needs once the URL has been fetched: the request's words,
 * copied (the request's own die with the handler's return). */
struct add_job {
	struct commands *cs;
	struct control_conn *conn;
	char *url, *id, *name, *interval, *tags;
	unsigned long pick; /* --pick N, 0 when not given */
	struct buf body;    /* the response, at most DISCOVER_MAX_BODY bytes */
	int capped;         /* we stopped reading there */
};

static void
add_job_free(struct add_job *j)
{
	free(j->url), free(j->id), free(j->name), free(j->interval), free(j->tags);
	buf_free(&j->body);
	free(j);
}

/* Refuses url when it or id is taken; 0 when neither is. */
static int
add_taken(const struct commands_env *env, struct control_conn *c, const char *url, const char *id)
{
	if (config_feed_find_url(env->cfg, url)) {
		control_conn_err(c, HERALD_E_EXISTS, "%s is already in %s", url, env->config_path);
		return -1;
	}
	if (id && config_feed_find(env->cfg, id)) {
		control_conn_err(c, HERALD_E_EXISTS, "a feed '%s' already exists", id);
		return -1;
	}
	return 0;
}

/* Writes the feed into the file add edits and answers once reloaded. */
static void
add_write(struct commands *cs, struct control_conn *c, const char *url, const char *id,
	  const char *name, const char *interval, const char *tags)
{
	const struct commands_env *env = cs->env;
	char err[ERRLEN] = "", used[CONFIG_MAX_ID + 1] = "", *suggested = NULL;
	int rc;

	if (add_taken(env, c, url, id) < 0)
		return;
	/* An id free in the whole configuration, not only in the file edited. */
	if (id == NULL && (id = suggested = config_feed_id_suggest(env->cfg, url)) == NULL) {
		control_conn_err(c, HERALD_E_INTERNAL, "out of memory");
		return;
	}
	rc = confedit_add(edit_path(env), id, url, name, interval, tags, used, sizeof used, err,
			  sizeof err);
	free(suggested);
	if (rc < 0) {
		control_conn_err(c, HERALD_E_BADARG, "%s", err);
		return;
	}
	reload_then_show(cs, c, used);
}

static int
add_data(struct fetch_request *req, const char *data, size_t len, void *user)
{
	struct add_job *j = user;

	(void)req;
	if (len > DISCOVER_MAX_BODY - j->body.len) {
		len = DISCOVER_MAX_BODY - j->body.len;
		j->capped = 1;
	}
	if (buf_append(&j->body, data, len) < 0)
		return 1;
	return j->capped; /* a page that never ends: what we have is enough */
}

/* "N) URL "TITLE"" for each link, "; " between, into b. */
static void
add_list_links(struct buf *b, const struct discover_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		buf_printf(b, "%s%zu) %s%s%s%s", i ? "; " : "", i + 1, l->v[i].url,
			   *l->v[i].title ? " \"" : "", l->v[i].title, *l->v[i].title ? "\"" : "");
}

/* The page at j->url links the feeds in l: add the one, or the one picked. */
static void
add_from_page(struct add_job *j, const struct discover_list *l)
{
	struct buf msg = {0};

	if (l->n == 0) {
		control_conn_err(j->conn, HERALD_E_BADARG, "%s: this page links no feed", j->url);
		return;
	}
	if ((l->n > 1 && j->pick == 0) || j->pick > l->n) {
		add_list_links(&msg, l);
		control_conn_err(j->conn, HERALD_E_BADARG,
				 l->n > 1 ? "%s links %zu feeds: add one with --pick N: %s"
					  : "%s links %zu feed, no more: %s",
				 j->url, l->n, msg.data ? msg.data : "out of memory");
		buf_free(&msg);
		return;
	}
	const struct discover_link *k = &l->v[j->pick ? j->pick - 1 : 0];
	log_info("add %s: the page links %zu feed(s); adding %s", j->url, l->n, k->url);
	add_write(j->cs, j->conn, k->url, j->id, j->name, j->interval, j->tags);
}

static void
add_fetched(struct fetch_request *req, const struct fetch_outcome *out, void *user)
{
	struct add_job *j = user;
	const char *url = out->final_url ? out->final_url : j->url;
	char why[400];

	(void)req;
	/* a body past our cap or fetch's max_body: the start of it will do */
	int enough = (out->error == FETCH_ERR_ABORTED && j->capped) ||
		     (out->error == FETCH_ERR_TOO_BIG && j->body.len > 0);

	if (out->error != FETCH_OK && !enough) {
		control_conn_err(j->conn, HERALD_E_BADARG, "cannot add %s: %s", j->url,
				 out->error_text ? out->error_text : "fetch failed");
	} else if (out->status < 200 || out->status > 299) {
		control_conn_err(j->conn, HERALD_E_BADARG, "cannot add %s: HTTP status %ld", j->url,
				 out->status);
	} else {
		const char *body = j->body.data ? j->body.data : "";
		switch (discover_classify(out->content_type, url, body, j->body.len, why,
					  sizeof why)) {
		case DISCOVER_FEED:
			add_write(j->cs, j->conn, j->url, j->id, j->name, j->interval, j->tags);
			break;
		case DISCOVER_OTHER:
			control_conn_err(j->conn, HERALD_E_BADARG, "cannot add %s: it is %s",
					 j->url, why);
			break;
		case DISCOVER_PAGE: {
			struct discover_list l;
			if (discover_links(body, j->body.len, url, &l) < 0)
				control_conn_err(j->conn, HERALD_E_INTERNAL, "out of memory");
			else
				add_from_page(j, &l);
			discover_list_free(&l);
			break;
		}
		}
	}
	add_job_free(j);
}

static char *
dup_opt(const char *s, int *oom)
{
	char *d = s ? strdup(s) : NULL;

	*oom |= s && !d;
	return d;
}

/* add URL [--id K] [--name N] [--interval D] [--tags T,U] [--pick N]: the
 * URL is fetched first (not a file:// one): a feed is added as it is, an
 * HTML page's linked feed instead (discover.h), anything else refused. */
static int
cmd_add(void *ctx, struct control_conn *c, const struct control_args *a)
{
	struct commands *cs = ctx;
	const struct commands_env *env = cs->env;
	const char *id = control_args_get(a, "id"), *interval = control_args_get(a, "interval");
	const char *pick = control_args_get(a, "pick"), *url = a->pos[0];
	char err[ERRLEN] = "", scheme[16] = "", *end;
	struct add_job *j;
	unsigned secs;
	int oom = 0;

	if (interval && config_parse_duration(interval, &secs) < 0) {
		control_conn_err(c, HERALD_E_BADARG, "bad interval '%s' (use 90s, 15m, 2h, 1d)",
				 interval);
		return 0;
	}
	unsigned long n = pick ? strtoul(pick, &end, 10) : 0;
	if (pick && (*pick < '1' || *pick > '9' || *end != '\0' || n > DISCOVER_MAX_LINKS)) {
		control_conn_err(c, HERALD_E_BADARG, "bad --pick '%s' (a number from 1)", pick);
		return 0;
	}
	if (file_feed_allowed(env, url, err, sizeof err) < 0) {
		control_conn_err(c, HERALD_E_BADARG, "%s", err);
		return 0;
	}
	if (add_taken(env, c, url, id) < 0)
		return 0;
	url_scheme(url, scheme, sizeof scheme);
	if (env->fetch == NULL || strcmp(scheme, "file") == 0 ||
	    url_check(url, 0, err, sizeof err) < 0) {
		/* nothing to fetch: confedit_add says what is wrong with the URL */
		add_write(cs, c, url, id, control_args_get(a, "name"), interval,
			  control_args_get(a, "tags"));
		return 0;
	}
	if ((j = calloc(1, sizeof *j)) == NULL) {
		control_conn_err(c, HERALD_E_INTERNAL, "out of memory");
		return 0;
	}
	j->cs = cs, j->conn = c, j->pick = n;
	j->url = dup_opt(url, &oom), j->id = dup_opt(id, &oom);
	j->name = dup_opt(control_args_get(a, "name"), &oom);
	j->interval = dup_opt(interval, &oom), j->tags = dup_opt(control_args_get(a, "tags"), &oom);
	struct fetch_request_opts ro = {
		.url = url, .data_cb = add_data, .done_cb = add_fetched, .user = j};
	if (oom || fetch_start(env->fetch, &ro, err, sizeof err) == NULL) {
		control_conn_err(c, oom ? HERALD_E_INTERNAL : HERALD_E_BADARG, "%s",
				 oom ? "out of memory" : err);
		add_job_free(j);
	}
	return 0;
}

static int
cmd_reload(void *ctx, struct control_conn *c, const struct control_args *a)
{
	struct reload_wait *rw = reload_wait_new(ctx, c, NULL);

	(void)a;
	if (rw) {
		rw->plain = 1;
		reload_wait_start(rw);
	}
	return 0;
}

/* remove FEED [--purge-starred]: out of the file it is in, then, once
 * reloaded, its items (starred ones kept) out of the store. */
static int
cmd_remove(void *ctx, struct control_conn *c, const struct control_args *a)
{
	struct commands *cs = ctx;
	const struct commands_env *env = cs->env;
	const struct config_feed *f = config_feed_find(env->cfg, a->pos[0]);
	struct reload_wait *rw;
	char err[ERRLEN] = "";

	if (f == NULL) {
		control_conn_err(c, HERALD_E_NOTFOUND, "no feed '%s' in %s", a->pos[0],
				 env->config_path);
		return 0;
	}
	/* The section goes from the file it is in. */
	if (confedit_remove(f->included ? env->cfg->include : env->config_path, a->pos[0], err,
			    sizeof err) < 0) {
		control_conn_err(c, HERALD_E_INTERNAL, "%s", err);
		return 0;
	}
	if ((rw = reload_wait_new(cs, c, a->pos[0])) == NULL)
		return 0;
	rw->remove = 1;
	rw->purge_starred = control_args_get(a, "purge-starred") != NULL;
	reload_wait_start(rw);
	return 0;
}

/* import LENGTH, then an OPML document: one record per entry (added,
 * exists, error), the file edited once (confedit_import_opml), then a
 * reload when anything was added. */
static int
cmd_import(void *ctx, struct control_conn *c, const struct control_args *a)
{
	static const char *const status[] = {[CONFEDIT_ADDED] = "added",
					     [CONFEDIT_EXISTS] = "exists",
					     [CONFEDIT_INVALID] = "error"};
	struct commands *cs = ctx;
	struct confedit_import imp = {0};
	const char *data;
	size_t len;
	char err[ERRLEN] = "";
	int rc;

	(void)a;
	data = control_conn_payload(c, &len);
	rc = confedit_import_opml(edit_path(cs->env), cs->env->cfg, "import", data ? data : "", len,
				  &imp, err, sizeof err);
	if (rc < 0) {
		/* -1: the document is malformed; else the file cannot be edited. */
		control_conn_err(c, rc == -1 ? HERALD_E_BADARG : HERALD_E_INTERNAL, "%s", err);
		confedit_import_free(&imp);
		return 0;
	}
	for (size_t i = 0; i < imp.n && control_conn_alive(c); i++) {
		const struct confedit_import_entry *e = &imp.entries[i];

		control_conn_field_int(c, "import", (int64_t)i + 1);
		control_conn_field(c, "url", e->url);
		control_conn_field(c, "status", status[e->status]);
		if (e->error)
			control_conn_field(c, "error", e->error);
		control_conn_end_record(c);
	}
	if (imp.added > 0)
		reload_then_show(cs, c, NULL);
	else
		control_conn_ok(c);
	confedit_import_free(&imp);
	return 0;
}

static int
cmd_export(void *ctx, struct control_conn *c, const struct control_args *a)
{
	struct commands *cs = ctx;
	char *doc;

	(void)a;
	if ((doc = confedit_export_opml(cs->env->cfg, (long long)time(NULL))) == NULL) {
		control_conn_err(c, HERALD_E_INTERNAL, "out of memory");
		return 0;
	}
	control_conn_field(c, "opml", doc);
	control_conn_end_record(c);
	free(doc);
	control_conn_ok(c);
	return 0;
}

/* ---- retention ---- */

/* A purge request that waits for its run to end. */
struct purge_wait {
	struct control_conn *conn;
	int dry_run;
};

static void
purged(void *arg, int rc, const char *why, const struct store_purge_counts *c)
{
	struct purge_wait *pw = arg;
	struct control_conn *conn = pw->conn;

	if (rc < 0) {
		control_conn_err(conn, rc == -ECANCELED ? HERALD_E_BUSY : HERALD_E_INTERNAL,
				 "purge: %s", why ? why : "failed");
		free(pw);
		return;
	}
	control_conn_field(conn, "purge", pw->dry_run ? "dry-run" : "done");
	control_conn_field_int(conn, "items", c->items);
	control_conn_field_int(conn, "stories", c->stories);
	control_conn_field_int(conn, "bytes", c->bytes);
	control_conn_field_int(conn, "vacuumed", c->vacuumed);
	control_conn_field_int(conn, "chunks", c->chunks);
	control_conn_field_int(conn, "longest_chunk_us", c->chunk_max_us);
	control_conn_end_record(conn);
	control_conn_ok(conn);
	free(pw);
}

/* purge [--dry-run]: answered when the run ended (retention.h). */
static int
cmd_purge(void *ctx, struct control_conn *c, const struct control_args *a)
{
	struct commands *cs = ctx;
	struct purge_wait *pw = calloc(1, sizeof *pw);
	int rc;

	if (pw == NULL) {
		control_conn_err(c, HERALD_E_INTERNAL, "out of memory");
		return 0;
	}
	pw->conn = c;
	pw->dry_run = control_args_get(a, "dry-run") != NULL;
	if ((rc = retention_run(cs->env->retention, pw->dry_run, purged, pw)) < 0) {
		control_conn_err(c, rc == -ECANCELED ? HERALD_E_BUSY : HERALD_E_INTERNAL,
				 "purge: %s",
				 rc == -ECANCELED ? "the daemon is stopping" : "out of memory");
		free(pw);
	}
	return 0;
}

/* ---- passwd: the Reader API's accounts (daemon/api.c) ---- */

static void
passwd_done(void *arg, int rc, const char *msg)
{
	if (rc < 0)
		control_conn_err(arg, HERALD_E_INTERNAL, "%s", msg);
	else
		control_conn_ok(arg);
}

static int
put_account(void *arg, const char *name, int folded, int mark_story, size_t sessions)
{
	struct control_conn *c = arg;

	control_conn_field(c, "account", name);
	control_conn_field_int(c, "folded", folded);
	control_conn_field_int(c, "mark_story", mark_story);
	control_conn_field_int(c, "sessions", (int64_t)sessions);
	return control_conn_end_record(c) < 0 ? 1 : 0;
}

/* "yes"/"no" of an option: 1, 0, -1 when absent; -2 when bad. */
static int
yes_no(const struct control_args *a, const char *name)
{
	const char *v = control_args_get(a, name);

	if (v == NULL)
		return -1;
	return strcmp(v, "yes") == 0 ? 1 : strcmp(v, "no") == 0 ? 0 : -2;
}

static int
cmd_passwd(void *ctx, struct control_conn *c, const struct control_args *a)
{
	struct api *api = ((struct commands *)ctx)->env->api;
	int folded = yes_no(a, "folded"), mark = yes_no(a, "mark-story");
	char err[ERRLEN] = "";
	int rc;

	if (api == NULL) {
		control_conn_err(c, HERALD_E_INTERNAL, "the Reader API is not running");
		return 0;
	}
	if (control_args_get(a, "list")) {
		if (a->npos)
			control_conn_err(c, HERALD_E_USAGE, "%s", a->cmd->usage);
		else if (api_accounts(api, put_account, c) == 0)
			control_conn_ok(c);
		else
			control_conn_err(c, HERALD_E_INTERNAL, "cannot list the accounts");
		return 0;
	}
	if (folded == -2 || mark == -2) {
		control_conn_err(c, HERALD_E_BADARG, "--folded and --mark-story take yes or no");
		return 0;
	}
	if (a->npos == 1 && (control_args_get(a, "remove") || folded >= 0 || mark >= 0)) {
		rc = control_args_get(a, "remove")
			     ? api_account_remove(api, a->pos[0], err, sizeof err)
			     : api_account_options(api, a->pos[0], folded, mark, err, sizeof err);
		if (rc == STORE_ENOTFOUND)
			control_conn_err(c, HERALD_E_NOTFOUND, "%s", err);
		else if (rc < 0)
			control_conn_err(c, HERALD_E_INTERNAL, "%s", err);
		else
			control_conn_ok(c);
		return 0;
	}
	if (a->npos != 2 || control_args_get(a, "remove") || folded >= 0 || mark >= 0) {
		control_conn_err(c, HERALD_E_USAGE, "%s", a->cmd->usage);
		return 0;
	}
	if (api_passwd(api, a->pos[0], a->pos[1], passwd_done, c, err, sizeof err) < 0)
		control_conn_err(c, HERALD_E_BADARG, "%s", err);
	return 0;
}

/* ---- filter rules ---- */

/* One rule of feeds.conf as a record. */
static void
put_rule(struct control_conn *c, const struct filter_rule *r)
{
	control_conn_field(c, "filter", r->name);
	control_conn_field(c, "match", r->text);
	control_conn_field(c, "action", filter_action_name(r->action));
	control_conn_field(c, "tag", r->tag ? r->tag : "");
	for (size_t i = 0; i < r->nfeeds; i++)
		control_conn_field(c, "feed", r->feeds[i]);
	for (size_t i = 0; i < r->ntags; i++)
		control_conn_field(c, "scope_tag", r->tags[i]);
	control_conn_field_int(c, "line", r->line);
	control_conn_end_record(c);
}

/* Whether stored item row (in full: its text) matches e. */
static int
rule_matches(struct store *st, struct filter_expr *e, const struct store_item_row *row,
	     int *limited)
{
	struct store_item_list full = {0};
	char **tags = NULL, err[ERRLEN];
	size_t ntags = 0;
	const struct store_item_row *it = row;
	int hit;

	if (store_item_get(st, row->id, &full, err, sizeof err) == 0 && full.n == 1)
		it = &full.v[0];
	if (store_feed_tags(st, row->feed, &tags, &ntags, err, sizeof err) < 0)
		ntags = 0;
	hit = filter_expr_match(e,
				&(struct filter_item){.title = it->title,
						      .summary = it->summary_text,
						      .content = it->content_text,
						      .author = it->author,
						      .link = it->link,
						      .feed = it->feed,
						      .tags = (const char *const *)tags,
						      .ntags = ntags},
				limited);
	store_strings_free(tags, ntags);
	store_item_list_free(&full);
	return hit;
}

/* filters: the rules of feeds.conf; filters test RULE: the stored items
 * (of --feed, the newest --limit, 200 by default) that RULE, a rule's
 * name or an expression, matches. Categories are not stored: a category
 * condition sees none here. */
static int
cmd_filters(void *ctx, struct control_conn *c, const struct control_args *a)
{
	struct commands *cs = ctx;
	const struct config *cfg = cs->env->cfg;
	struct filter_expr *own = NULL, *e = NULL;
	struct filter_error fe;
	struct store_filter f;
	struct store_item_list l = {0};
	struct store *st;
	char err[ERRLEN];
	int rc, limited = 0, cut = 0;

	if (a->npos == 0) {
		for (size_t i = 0; i < cfg->nfilters; i++)
			put_rule(c, &cfg->filters[i]);
		control_conn_ok(c);
		return 0;
	}
	if (a->npos != 2 || strcmp(a->pos[0], "test") != 0) {
		control_conn_err(c, HERALD_E_USAGE, "%s", a->cmd->usage);
		return 0;
	}
	for (size_t i = 0; i < cfg->nfilters && e == NULL; i++)
		if (strcmp(cfg->filters[i].name, a->pos[1]) == 0)
			e = cfg->filters[i].match;
	if (e == NULL) {
		if ((rc = filter_expr_compile(a->pos[1], &own, &fe)) < 0) {
			control_conn_err(c, HERALD_E_BADARG,
					 "no filter '%s', and as an expression: "
					 "column %zu: %s",
					 a->pos[1], fe.pos + 1, fe.msg);
			return 0;
		}
		e = own;
	}
	if (parse_filter(c, a, &f) < 0)
		goto out;
	f.all = 1;
	if (f.limit == 0)
		f.limit = 200;
	if ((st = cmd_store(cs, c)) == NULL)
		goto out;
	if ((rc = store_items(st, &f, &l, err, sizeof err)) < 0) {
		store_failed(c, rc, err, "such feed");
		goto out;
	}
	for (size_t i = 0; i < l.n && control_conn_alive(c); i++) {
		if (rule_matches(st, e, &l.v[i], &limited))
			put_item(c, &l.v[i], 0);
		cut |= limited;
	}
	if (cut)
		log_warn("filters test '%s': a regular expression hit its match limit", a->pos[1]);
	control_conn_ok(c);
out:
	store_item_list_free(&l);
	filter_expr_free(own);
	return 0;
}

/* ---- the table ---- */

#define FILTER_OPTS "all starred undigested feed= tag= since= before= limit= offset="

/* While a response is being stored on the worker thread the daemon holds
 * every request that reads or writes the store (commands_hold); those
 * marked CONTROL_CMD_ALWAYS touch neither the store nor the story index. */
static const struct control_command commands[] = {
	{HERALD_CMD_STORIES, cmd_stories, FILTER_OPTS, 0, 0,
	 "stories [--all|--starred|--undigested] [--feed F] [--tag T] [--since T] [--limit N] "
	 "[--offset N]",
	 0},
	{HERALD_CMD_ITEMS, cmd_items, FILTER_OPTS " story=", 0, 0,
	 "items [filters as stories] [--story ID]", 0},
	{HERALD_CMD_SHOW, cmd_show, "item", 1, 1, "show [--item] ID", 0},
	{HERALD_CMD_READ, cmd_mark, "item all feed= before=", 0, -1,
	 "read [--item] ID... | read --all [--feed F] [--before T]", 0},
	{HERALD_CMD_UNREAD, cmd_mark, "item", 1, -1, "unread [--item] ID...", 0},
	{HERALD_CMD_STAR, cmd_mark, "item", 1, -1, "star [--item] ID...", 0},
	{HERALD_CMD_UNSTAR, cmd_mark, "item", 1, -1, "unstar [--item] ID...", 0},
	{HERALD_CMD_SEARCH, cmd_search, "limit= offset=", 1, 1,
	 "search [--limit N] [--offset N] QUERY", 0},
	{HERALD_CMD_FEEDS, cmd_feeds, NULL, 0, 1, "feeds [FEED]", 0},
	{HERALD_CMD_ADD, cmd_add, "id= name= interval= tags= pick=", 1, 1,
	 "add URL [--id K] [--name N] [--interval D] [--tags T,U] [--pick N]", 0},
	{HERALD_CMD_REMOVE, cmd_remove, "purge-starred", 1, 1, "remove FEED [--purge-starred]", 0},
	{HERALD_CMD_IMPORT, cmd_import, NULL, 0, 0, "import LENGTH (then LENGTH bytes of OPML)",
	 CONTROL_CMD_PAYLOAD},
	{HERALD_CMD_EXPORT, cmd_export, NULL, 0, 0, "export", 0},
	{HERALD_CMD_REFRESH, cmd_refresh, NULL, 0, 1, "refresh [FEED]", CONTROL_CMD_ALWAYS},
	{HERALD_CMD_RELOAD, cmd_reload, NULL, 0, 0, "reload", 0},
	{HERALD_CMD_STATS, cmd_stats, NULL, 0, 0, "stats", 0},
	{HERALD_CMD_VERSION, cmd_version, NULL, 0, 0, "version", CONTROL_CMD_ALWAYS},
	{HERALD_CMD_DIGESTED, cmd_digested, NULL, 1, -1, "digested ID...", 0},
	/* The handler only queues the run (on the writer's worker). */
	{HERALD_CMD_FILTERS, cmd_filters, "feed= limit=", 0, 2,
	 "filters [test RULE [--feed F] [--limit N]]", 0},
	{HERALD_CMD_PURGE, cmd_purge, "dry-run", 0, 0, "purge [--dry-run]", CONTROL_CMD_ALWAYS},
	{HERALD_CMD_PASSWD, cmd_passwd, "remove list folded= mark-story=", 0, 2,
	 "passwd USER PASSWORD | passwd --remove USER | passwd --list | "
	 "passwd [--folded yes|no] [--mark-story yes|no] USER",
	 0},
};

int
commands_start(uv_loop_t *loop, const struct commands_env *env, const char *sock_path,
	       const char *group, struct commands **out, char *err, size_t errlen)
{
	struct control_options o = {
		.path = sock_path, .group = group, .max_clients = env->max_clients};
	struct commands *cs = calloc(1, sizeof *cs);

	*out = NULL;
	if (cs == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cs->env = env;
	if (control_start(loop, &o, commands, sizeof commands / sizeof commands[0], cs,
			  &cs->control, err, errlen) < 0) {
		free(cs);
		return -1;
	}
	*out = cs;
	return 0;
}

void
commands_hold(struct commands *cs, int on)
{
	if (cs)
		control_hold(cs->control, on);
}

void
commands_stop(struct commands *cs)
{
	if (cs == NULL)
		return;
	control_stop(cs->control);
	free(cs);
}
