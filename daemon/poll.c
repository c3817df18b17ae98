/* poll: one feed's poll, from the request to its recorded outcome.
 *
 * The wait queue and the per-host gate decide when a due feed starts; fetch
 * streams the body into the feed's ingest; the writer records finished polls
 * in the order they finished, storing response bodies and committing batches
 * on a worker thread (docs/design.md). Part of the daemon: it works on
 * struct herald and shares daemon_int.h with daemon.c. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "daemon.h"
#include "daemon_int.h"
#include "fetch.h"
#include "ingest.h"
#include "log.h"
#include "parse.h"
#include "store.h"
#include "story.h"
#include "url.h"

static void result_clear(struct poll_result *r);
static void result_fail(struct poll_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void host_take(struct herald *h, struct herald_feed *f, int delta);
static void fifo_unlink(struct feed_fifo *q, struct herald_feed *f);

static int
on_data(struct fetch_request *req, const char *data, size_t len, void *user)
{
	struct herald_feed *f = user;

	if (f->ing == NULL) {
		f->ing = ingest_new(f->id, fetch_content_type(req), fetch_effective_url(req),
				    herald_now());
		if (f->ing == NULL) {
			herald_replace_str(&f->ing_err, "out of memory");
			return -1;
		}
	}
	char err[256];
	if (ingest_feed(f->ing, data, len, err, sizeof err) < 0) {
		/* Why the body was refused, for the failure's log line and
		 * status. A copy that cannot be made leaves the transfer's own
		 * error to tell. */
		herald_replace_str(&f->ing_err, err);
		return -1;
	}
	return 0;
}

/* Group commit (store.h): responses are stored as savepoints in one open
 * transaction, committed FLUSH_MS after the first or every FLUSH_MAX
 * responses. A crash loses at most that much, and nothing for good: the
 * feeds' new validators are in the same transaction, so they are polled
 * again in full. */
#define FLUSH_MS  250
#define FLUSH_MAX 64

static void feed_record(struct herald_feed *f, const struct fetch_outcome *out, const char *error,
			const char *title, unsigned delay, int forget);
static void log_failure(const struct herald_feed *f, const char *why, unsigned delay);

/* The batch is gone (a failed commit): the store holds what it held before
 * it, so forget what we believed stored since, and tell, feed by feed. */
static void
batch_lost(struct herald *h, const char *why)
{
	struct fetch_outcome none = {.error = FETCH_ERR_TRANSFER, .retry_after = -1};
	char msg[600];

	for (size_t i = 0; i < h->nfeeds; i++) {
		herald_replace_str(&h->feeds[i]->etag, NULL);
		herald_replace_str(&h->feeds[i]->last_modified, NULL);
	}
	snprintf(msg, sizeof msg, "not stored: %s", why);
	for (size_t i = 0; i < h->nbatch; i++) {
		struct herald_feed *f = h->batch_feeds[i];
		unsigned delay;

		f->failures++;
		delay = herald_feed_delay(f, -1);
		feed_record(f, &none, msg, NULL, delay, 0);
		log_failure(f, msg, delay);
		if (!f->req && !f->wait.on)
			herald_feed_schedule(f, (uint64_t)delay * 1000);
	}
	h->nbatch = 0;
	herald_story_drop(h);
}

/* Remembers that f's response is in the open batch. */
static void
batch_note(struct herald *h, struct herald_feed *f)
{
	if (h->nbatch == h->batch_cap) {
		size_t cap = h->batch_cap ? h->batch_cap * 2 : 64;
		struct herald_feed **v = realloc(h->batch_feeds, cap * sizeof *v);

		if (v == NULL) {
			/* Without the note a failed commit cannot name this
			 * feed; commit now instead. */
			herald_flush(h);
			return;
		}
		h->batch_feeds = v;
		h->batch_cap = cap;
	}
	h->batch_feeds[h->nbatch++] = f;
}

static void
flush_done(struct herald *h, int rc, const char *err)
{
	if (rc < 0) {
		log_err("database %s: cannot commit %zu responses, they will be fetched again: %s",
			h->db_path, h->nbatch, err);
		batch_lost(h, err);
		return;
	}
	h->nbatch = 0;
}

void
herald_flush(struct herald *h)
{
	char err[512];
	int rc;

	if (h->working) {
		h->flush_due = 1; /* the worker has the store: after it */
		return;
	}
	h->flush_due = 0;
	if (h->store == NULL || !store_batch_is_open(h->store))
		return;
	rc = store_batch_flush(h->store, err, sizeof err);
	flush_done(h, rc, err);
}

static void
on_flush(uv_timer_t *t)
{
	struct herald *h = t->data;

	/* A commit costs as much as the batch holds: on the worker. */
	h->flush_due = 1;
	poll_writer_pump(h);
}

/* Opens the batch a response joins; without it, a transaction of its own. */
static void
batch_join(struct herald *h)
{
	char err[256];

	if (!h->flush_on || store_batch_is_open(h->store))
		return;
	if (store_batch_open(h->store, err, sizeof err) < 0) {
		log_warn("database %s: %s", h->db_path, err);
		return;
	}
	/* A client's write or a reload may have committed the last batch
	 * inside the store (store_client_write): its list is stale, and may
	 * name feeds a reload has freed since. */
	h->nbatch = 0;
	uv_timer_start(&h->flush_timer, on_flush, FLUSH_MS, 0);
}

static void
feed_moved(struct herald_feed *f, const char *to)
{
	char err[256];

	log_info("feed %s: moved permanently: %s -> %s", f->id, f->url, to);
	f->host_url = NULL; /* the host is looked up again at the next poll */
	if (herald_replace_str(&f->url, to) < 0 ||
	    store_feed_moved(f->h->store, f->id, to, err, sizeof err) < 0)
		log_err("feed %s: cannot record its new URL: %s", f->id, err);
}

/* forget: drop the feed's validators, so that its next poll is not
 * answered by a 304 for a body we only got part of. */
static void
feed_record(struct herald_feed *f, const struct fetch_outcome *out, const char *error,
	    const char *title, unsigned delay, int forget)
{
	struct herald *h = f->h;
	struct store_feed_status fs = {
		.last_poll = herald_now(),
		.last_status = (int)out->status,
		.last_error = error,
		.etag = error ? NULL : out->etag,
		.last_modified = error ? NULL : out->last_modified,
		.forget_validators = forget,
		.title = title,
		.failures = f->failures,
		.next_poll = herald_now() + delay,
	};
	char err[256];

	if (forget) {
		herald_replace_str(&f->etag, NULL);
		herald_replace_str(&f->last_modified, NULL);
	} else if (!error && (herald_replace_str(&f->etag, out->etag ? out->etag : f->etag) < 0 ||
			      herald_replace_str(&f->last_modified,
						 out->last_modified ? out->last_modified
								    : f->last_modified) < 0))
		log_err("feed %s: out of memory keeping its validators", f->id);
	if (store_feed_status(h->store, f->id, &fs, err, sizeof err) < 0)
		log_err("feed %s: cannot record its status: %s", f->id, err);
}

/* One line per failing poll: which feed, why, and when it is tried again. */
static void
log_failure(const struct herald_feed *f, const char *why, unsigned delay)
{
	log_warn("feed %s (%s): %s; retry in %um%02us", f->id, f->url, why, delay / 60, delay % 60);
}

static unsigned
poll_cap(const struct herald *h)
{
	return h->cfg.max_connections ? h->cfg.max_connections : CONFIG_DEFAULT_MAX_CONNECTIONS;
}

static struct feed_link *
fifo_link(const struct feed_fifo *q, struct herald_feed *f)
{
	return (struct feed_link *)((char *)f + q->off);
}

static void
fifo_push(struct feed_fifo *q, struct herald_feed *f)
{
	struct feed_link *l = fifo_link(q, f);

	l->on = 1;
	l->next = NULL;
	if (q->tail)
		fifo_link(q, q->tail)->next = f;
	else
		q->head = f;
	q->tail = f;
}

static struct herald_feed *
fifo_pop(struct feed_fifo *q)
{
	struct herald_feed *f = q->head;

	if (f == NULL)
		return NULL;
	q->head = fifo_link(q, f)->next;
	if (q->head == NULL)
		q->tail = NULL;
	fifo_link(q, f)->on = 0;
	fifo_link(q, f)->next = NULL;
	return f;
}

static void
fifo_unlink(struct feed_fifo *q, struct herald_feed *f)
{
	struct herald_feed **pp = &q->head, *prev = NULL;

	if (!fifo_link(q, f)->on)
		return;
	while (*pp && *pp != f) {
		prev = *pp;
		pp = &fifo_link(q, *pp)->next;
	}
	if (*pp == NULL)
		return;
	*pp = fifo_link(q, f)->next;
	if (q->tail == f)
		q->tail = prev;
	fifo_link(q, f)->on = 0;
	fifo_link(q, f)->next = NULL;
}

/* The index of host in h->hosts, added with a count of 0 when new; -1
 * when memory runs out (the host then goes unlimited here; curl's own
 * per-host limit still holds). */
static int
host_index(struct herald *h, const char *host)
{
	for (size_t i = 0; i < h->nhosts; i++)
		if (strcmp(h->hosts[i].name, host) == 0)
			return (int)i;
	if (h->nhosts == h->hosts_cap) {
		size_t cap = h->hosts_cap ? h->hosts_cap * 2 : 16;
		struct herald_host *v = realloc(h->hosts, cap * sizeof *v);

		if (v == NULL)
			return -1;
		h->hosts = v;
		h->hosts_cap = cap;
	}
	if ((h->hosts[h->nhosts].name = strdup(host)) == NULL)
		return -1;
	h->hosts[h->nhosts].n = 0;
	return (int)h->nhosts++;
}

/* libcurl queues a transfer over the per-host limit inside the multi
 * handle, and counts its connect and total timeouts from then on
 * (curl/curl#4486): a feed queued behind 500 others on one host fails.
 * So the daemon keeps the per-host limit itself and hands curl only
 * transfers that can start. file:// has no host and no limit. Called only
 * for a feed that holds no slot, so its host can be looked up afresh when
 * its URL changed. */
static int
host_full(struct herald *h, struct herald_feed *f)
{
	unsigned per = h->cfg.max_per_host ? h->cfg.max_per_host : CONFIG_DEFAULT_MAX_PER_HOST;

	if (f->host_url != f->url) {
		char *host = url_host(f->url);

		f->host = host && *host ? host_index(h, host) : -1;
		f->host_url = f->url;
		free(host);
	}
	return f->host >= 0 && h->hosts[f->host].n >= per;
}

static void
host_take(struct herald *h, struct herald_feed *f, int delta)
{
	unsigned *n = f->host >= 0 ? &h->hosts[f->host].n : NULL;

	if (n == NULL)
		return;
	if (delta > 0)
		(*n)++;
	else if (*n > 0)
		(*n)--;
}

/* Starts waiting feeds, in order, as slots free up; a feed whose host is
 * at its limit lets the ones behind it (other hosts) go first. */
static void
wait_pump(struct herald *h)
{
	struct herald_feed *f, *next;

	if (h->wait_pumping)
		return;
	h->wait_pumping = 1;
	for (f = h->waitq.head; f && h->inflight < poll_cap(h) && !h->stopping; f = next) {
		next = f->wait.next;
		if (host_full(h, f))
			continue;
		fifo_unlink(&h->waitq, f);
		poll_start(f);
	}
	h->wait_pumping = 0;
}

/* ---- the writer: finished polls, recorded in the order they finished ---- */

static void
result_clear(struct poll_result *r)
{
	free(r->error_text);
	free(r->etag);
	free(r->last_modified);
	free(r->moved_to);
	free(r->why);
	memset(r, 0, sizeof *r);
}

/* Storing the response failed: the poll counts as failed. */
static void
result_fail(struct poll_result *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	herald_replace_str(&r->why, buf);
	r->failed = 1;
}

static char *
dup_noted(const char *s, int *oom)
{
	char *d = s ? strdup(s) : NULL;

	if (s && d == NULL)
		*oom = 1;
	return d;
}

/* The outcome's strings live only during on_done: the writer keeps copies. */
static void
result_take(struct herald_feed *f, const struct fetch_outcome *out)
{
	struct poll_result *r = &f->res;
	int oom = 0;

	result_clear(r);
	r->error = out->error;
	r->status = out->status;
	r->retry_after = out->retry_after;
	r->not_modified = out->not_modified;
	r->error_text = dup_noted(out->error_text, &oom);
	r->etag = dup_noted(out->etag, &oom);
	r->last_modified = dup_noted(out->last_modified, &oom);
	r->moved_to = dup_noted(out->moved_to, &oom);
	r->store = out->error == FETCH_OK && !out->not_modified && out->status >= 200 &&
		   out->status < 300;
	if (oom && out->error == FETCH_OK) {
		r->error = FETCH_ERR_TRANSFER;
		herald_replace_str(&f->ing_err, "out of memory");
		r->store = 0;
	}
}

/* The rest of a poll once its response is stored (or was not to be):
 * status row, log line, next poll. */
static void
poll_complete(struct herald_feed *f, const char *title, unsigned ttl)
{
	struct herald *h = f->h;
	struct poll_result *r = &f->res;
	struct fetch_outcome out = {
		.error = r->error,
		.status = r->status,
		.not_modified = r->not_modified,
		.etag = r->etag,
		.last_modified = r->last_modified,
		.retry_after = r->retry_after,
	};
	char why[512] = "";
	long retry_after = -1;
	unsigned delay;

	if (r->error != FETCH_OK) {
		snprintf(why, sizeof why, "%s",
			 f->ing_err      ? f->ing_err
			 : r->error_text ? r->error_text
					 : "failed");
	} else if (r->not_modified) {
		log_debug("feed %s: 304 not modified", f->id);
	} else if (r->store) {
		if (r->failed)
			snprintf(why, sizeof why, "%s", r->why ? r->why : "storing failed");
		if (r->moved_to && !why[0])
			feed_moved(f, r->moved_to);
	} else {
		snprintf(why, sizeof why, "HTTP %ld", r->status);
		if (r->status == 429 || r->status == 503)
			retry_after = r->retry_after;
	}
	f->ttl = ttl;
	f->failures = why[0] ? f->failures + 1 : 0;
	delay = herald_feed_delay(f, retry_after);
	/* A status row alone is a transaction's worth of locking and WAL
	 * writing: 1,000 304s go into the batch like responses. */
	batch_join(h);
	/* title points into the ingest: record before freeing it. */
	feed_record(f, &out, why[0] ? why : NULL, title, delay, r->truncated);
	ingest_free(f->ing);
	f->ing = NULL;
	herald_replace_str(&f->ing_err, NULL);
	result_clear(r);
	if (f->slot) {
		/* Its slot is free: the next waiting feed takes it. */
		f->slot = 0;
		h->inflight--;
		host_take(h, f, -1);
		wait_pump(h);
	}
	if (why[0]) {
		h->polls_failed++;
		log_failure(f, why, delay);
	}
	if (h->opt.once) {
		if (why[0])
			h->once_failed = 1;
		if (--h->once_pending == 0)
			herald_stop(h);
		return;
	}
	herald_feed_schedule(f, (uint64_t)delay * 1000);
	herald_notify_status(h);
}

/* Worker thread: the loop thread leaves the store and the story index
 * alone until work_after runs. */
static void
work_run(uv_work_t *w)
{
	struct herald *h = w->data;

	h->work_err[0] = '\0';
	if (h->working == WORK_FLUSH) {
		h->work_rc = store_batch_flush(h->store, h->work_err, sizeof h->work_err);
		return;
	}
	/* The index is built when first needed: a warm start whose polls are
	 * all 304 never reads the window back. */
	if (h->story == NULL && herald_story_rebuild(h, h->work_err, sizeof h->work_err) < 0) {
		h->work_rc = -1;
		return;
	}
	h->work_rc = ingest_store(h->work_feed->ing, h->store, h->story, &h->work_counts,
				  h->work_err, sizeof h->work_err);
}

/* Loop thread, after work_run: the store is the loop's again. */
static void
work_after(uv_work_t *w, int status)
{
	struct herald *h = w->data;
	struct herald_feed *f = h->work_feed;
	const struct ingest_counts *c = &h->work_counts;
	const struct parse_meta *m;
	int batched = store_batch_is_open(h->store);

	(void)status; /* uv_cancel is never called on it */
	h->working = WORK_NONE;
	h->work_feed = NULL;
	if (f == NULL) {
		flush_done(h, h->work_rc, h->work_err);
		poll_writer_pump(h);
		return;
	}
	h->nstories = h->story ? story_count_stories(h->story) : 0;
	if (h->work_rc < 0) {
		result_fail(&f->res, "%s", h->work_err);
		if (h->work_batched && !batched)
			batch_lost(h, h->work_err); /* SQLite dropped the whole transaction */
		else if (c->folded)
			herald_story_drop(h);
		poll_complete(f, NULL, f->ttl);
		poll_writer_pump(h);
		return;
	}
	if (h->work_batched)
		batch_note(h, f);
	if (store_batch_count(h->store) >= FLUSH_MAX)
		h->flush_due = 1;
	m = ingest_meta(f->ing);
	if (m->truncated) {
		/* libcurl reports no error for a gzip body whose connection
		 * closed early without a Content-Length: the document tells. */
		f->res.truncated = 1;
		result_fail(&f->res,
			    "the document ends early (%s): cut short? %u whole items stored",
			    m->bozo_reason ? m->bozo_reason : "?", c->items);
	} else if (m->bozo) {
		log_debug("feed %s: not well-formed, recovered: %s", f->id,
			  m->bozo_reason ? m->bozo_reason : "?");
	}
	log_debug("feed %s: %u items: %u new, %u changed, %u unchanged; %u merges", f->id, c->items,
		  c->added, c->changed, c->unchanged, c->merges);
	poll_complete(f, m->title.text, m->ttl > 0 ? (unsigned)m->ttl * 60 : 0);
	poll_writer_pump(h);
}

/* Hands work to the thread pool (or, when that fails, does it here). */
static void
work_start(struct herald *h, int kind, struct herald_feed *f)
{
	h->working = kind;
	h->work_feed = f;
	h->work.data = h;
	control_hold(h->control, 1);
	if (uv_queue_work(&h->loop, &h->work, work_run, work_after) < 0) {
		work_run(&h->work);
		work_after(&h->work, 0);
	}
}

/* Starts storing f's body; -1 (with f->res failed) when there is nothing
 * to store, and the poll is completed at once. */
static int
store_start(struct herald *h, struct herald_feed *f)
{
	char err[512];

	if (f->ing == NULL) {
		result_fail(&f->res, "empty response body");
		return -1;
	}
	if (ingest_end(f->ing, err, sizeof err) < 0) {
		result_fail(&f->res, "%s", err);
		return -1;
	}
	if (herald_check_store(h) < 0) {
		result_fail(&f->res, "database %s went away and cannot be reopened", h->db_path);
		return -1;
	}
	batch_join(h);
	h->work_batched = store_batch_is_open(h->store);
	work_start(h, WORK_STORE, f);
	return 0;
}

/* Records finished polls until one needs the worker. Between two pieces of
 * work, held socket requests run, and a reload or a flush that waited. */
void
poll_writer_pump(struct herald *h)
{
	struct herald_feed *f;

	if (h->pumping || h->working)
		return;
	h->pumping = 1;
	while (!h->working) {
		control_hold(h->control, 0);
		if (h->reload_due) {
			h->reload_due = 0;
			herald_reload_logged(h);
		}
		if (h->flush_due) {
			h->flush_due = 0;
			if (h->store && store_batch_is_open(h->store)) {
				work_start(h, WORK_FLUSH, NULL);
				continue;
			}
		}
		if ((f = fifo_pop(&h->doneq)) == NULL)
			break;
		if (!f->res.store || store_start(h, f) < 0)
			poll_complete(f, NULL, f->ttl);
	}
	h->pumping = 0;
}

static void
on_done(struct fetch_request *req, const struct fetch_outcome *out, void *user)
{
	struct herald_feed *f = user;
	struct herald *h = f->h;

	(void)req;
	f->req = NULL;
	h->polls++;
	result_take(f, out);
	fifo_push(&h->doneq, f);
	poll_writer_pump(h);
}

void
poll_start(struct herald_feed *f)
{
	struct herald *h = f->h;
	char err[256];
	struct fetch_request_opts ro = {
		.url = f->url,
		.etag = f->etag,
		.last_modified = f->last_modified,
		/* file:// only for the URL the user wrote, never where a server
		 * moved the feed. */
		.allow_file = strcmp(f->url, f->config_url) == 0,
		.data_cb = on_data,
		.done_cb = on_done,
		.user = f,
	};

	/* Still being recorded (the writer has its response): this poll
	 * would come too soon anyway. */
	if (f->req || f->wait.on || f->done.on || f == h->work_feed || h->stopping)
		return;
	if (h->inflight >= poll_cap(h) || host_full(h, f)) {
		fifo_push(&h->waitq, f);
		return;
	}
	/* A reopened database brings its own validators (the old strings are
	 * freed): take them after the check. */
	herald_check_store(h);
	ro.etag = f->etag;
	ro.last_modified = f->last_modified;
	f->started_ms = uv_now(&h->loop);
	herald_replace_str(&f->ing_err, NULL);
	f->req = fetch_start(h->fetch, &ro, err, sizeof err);
	if (f->req == NULL) {
		struct fetch_outcome out = {
			.error = FETCH_ERR_TRANSFER, .error_text = err, .retry_after = -1};
		on_done(NULL, &out, f);
		return;
	}
	f->slot = 1;
	h->inflight++;
	host_take(h, f, 1);
}

void
poll_on_due(struct sched *s, struct sched_entry *e, void *user)
{
	(void)s;
	(void)user;
	poll_start(e->data);
}

int
herald_refresh(struct herald *h, const char *id)
{
	struct herald_feed *f;

	if (id == NULL) {
		for (size_t i = 0; i < h->nfeeds; i++) {
			sched_remove(h->sched, &h->feeds[i]->entry);
			poll_start(h->feeds[i]);
		}
		return 0;
	}
	if ((f = herald_feed_find(h, id)) == NULL)
		return -1;
	sched_remove(h->sched, &f->entry);
	poll_start(f);
	return 0;
}

void
poll_forget(struct herald_feed *f)
{
	if (f->req)
		fetch_cancel(f->req);
	if (f->slot) {
		f->h->inflight--;
		host_take(f->h, f, -1);
	}
	fifo_unlink(&f->h->waitq, f);
	fifo_unlink(&f->h->doneq, f);
	result_clear(&f->res);
	herald_replace_str(&f->ing_err, NULL);
}

void
poll_abandon(struct herald_feed *f)
{
	struct herald *h = f->h;

	/* An unfinished response is dropped whole: nothing half-stored. */
	if (f->req) {
		fetch_cancel(f->req);
		f->req = NULL;
	}
	fifo_unlink(&h->waitq, f);
	/* Finished responses still go into the store (the writer drains its
	 * queue before the loop ends). */
	if (!f->done.on && f != h->work_feed) {
		ingest_free(f->ing);
		f->ing = NULL;
		if (f->slot) {
			h->inflight--;
			host_take(h, f, -1);
		}
		f->slot = 0;
	}
}
