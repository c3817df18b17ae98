#include "autoconfig.h"

#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "commands.h"
#include "control.h"
#include "fetch.h"
#include "ingest.h"
#include "log.h"
#include "parse.h"
#include "store.h"
#include "story.h"
#include "url.h"

static void feed_poll(struct herald_feed *f);
static void result_clear(struct poll_result *r);
static void writer_pump(struct herald *h);
static void host_take(struct herald *h, struct herald_feed *f, int delta);
static void fifo_unlink(struct feed_fifo *q, struct herald_feed *f);
static void reload_logged(struct herald *h);

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

/* xorshift64*: jitter needs spread, not secrecy. */
static double
rng_unit(struct herald *h)
{
	uint64_t x = h->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	h->rng = x;
	return (double)((x * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static void
notify(const char *state)
{
#ifdef HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

static void
notify_status(struct herald *h)
{
#ifdef HAVE_SYSTEMD
	sd_notifyf(0,
		   "STATUS=%zu feeds, %" PRIu64 " polls (%" PRIu64
		   " failed), %zu stories in window",
		   h->nfeeds, h->polls, h->polls_failed, h->nstories);
#else
	(void)h;
#endif
}

/* ---- feeds ---- */

static void
feed_free(struct herald_feed *f)
{
	if (f == NULL)
		return;
	if (f->req)
		fetch_cancel(f->req);
	if (f->slot) {
		f->h->inflight--;
		host_take(f->h, f, -1);
	}
	fifo_unlink(&f->h->waitq, f);
	fifo_unlink(&f->h->doneq, f);
	result_clear(&f->res);
	ingest_free(f->ing);
	free(f->id);
	free(f->config_url);
	free(f->url);
	free(f->etag);
	free(f->last_modified);
	free(f);
}

struct herald_feed *
herald_feed_find(struct herald *h, const char *id)
{
	for (size_t i = 0; i < h->nfeeds; i++)
		if (strcmp(h->feeds[i]->id, id) == 0)
			return h->feeds[i];
	return NULL;
}

static int
replace_str(char **dst, const char *src)
{
	char *s = src && *src ? strdup(src) : NULL;

	if (src && *src && s == NULL)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

/* Next poll after this one, in seconds, by the scheduler's policy. */
static unsigned
feed_delay(struct herald_feed *f, long retry_after)
{
	struct herald *h = f->h;

	return sched_next_delay(f->interval, h->cfg.min_interval, f->failures, retry_after, f->ttl,
				rng_unit(h));
}

static void
feed_schedule(struct herald_feed *f, uint64_t delay_ms)
{
	if (f->h->stopping || f->h->opt.once)
		return;
	if (sched_set(f->h->sched, &f->entry, delay_ms) < 0)
		log_err("feed %s: cannot schedule its next poll: out of memory", f->id);
}

/* Where a feed starts: validators and failure count from the store, and its
 * next poll from the stored time (or soon, spread out, when that is past). */
static int
feed_load(struct herald *h, struct herald_feed *f, const struct store_feed *sf)
{
	int64_t now = now_s();
	uint64_t delay;

	if (sf) {
		if (replace_str(&f->etag, sf->etag) < 0 ||
		    replace_str(&f->last_modified, sf->last_modified) < 0)
			return -1;
		f->failures = sf->failures;
		/* A permanent redirect seen earlier moved the feed. */
		f->host_url = NULL;
		if (sf->moved_url && *sf->moved_url && replace_str(&f->url, sf->moved_url) < 0)
			return -1;
	}
	if (h->opt.once) {
		delay = 0;
	} else if (sf && sf->next_poll > now) {
		delay = (uint64_t)(sf->next_poll - now) * 1000;
	} else {
		/* Due: start within a few seconds, not all at the same instant. */
		delay = (uint64_t)(rng_unit(h) * 5000.0);
	}
	if (sched_set(h->sched, &f->entry, delay) < 0)
		return -1;
	return 0;
}

static struct herald_feed *
feed_new(struct herald *h, const struct config_feed *cf)
{
	struct herald_feed *f = calloc(1, sizeof *f);

	if (f == NULL)
		return NULL;
	f->h = h;
	f->id = strdup(cf->id);
	f->config_url = strdup(cf->url);
	f->url = strdup(cf->url);
	f->interval = cf->interval ? cf->interval : h->cfg.interval;
	f->host = -1;
	sched_entry_init(&f->entry, f);
	if (f->id == NULL || f->config_url == NULL || f->url == NULL) {
		feed_free(f);
		return NULL;
	}
	return f;
}

/* ---- one poll ---- */

static int
on_data(struct fetch_request *req, const char *data, size_t len, void *user)
{
	struct herald_feed *f = user;

	if (f->ing == NULL) {
		f->ing = ingest_new(f->id, fetch_content_type(req), fetch_effective_url(req),
				    now_s());
		if (f->ing == NULL) {
			snprintf(f->ing_err, sizeof f->ing_err, "out of memory");
			return -1;
		}
	}
	if (ingest_feed(f->ing, data, len, f->ing_err, sizeof f->ing_err) < 0)
		return -1;
	return 0;
}

static int story_rebuild(struct herald *h, char *err, size_t errlen);

/* The story index took items whose transaction then failed: it is ahead of
 * the store. Drop it; the next response to store rebuilds it from what was
 * committed (on the worker thread, see writer_pump). */
static void
story_drop(struct herald *h)
{
	story_free(h->story);
	h->story = NULL;
}

/* Group commit (store.h): responses are stored as savepoints in one open
 * transaction, committed FLUSH_MS after the first or every FLUSH_MAX
 * responses. A crash loses at most that much, and nothing for good: the
 * feeds' new validators are in the same transaction, so they are polled
 * again in full. */
#define FLUSH_MS  250
#define FLUSH_MAX 64

/* Parsing runs on the loop thread as the body arrives; curl may deliver a
 * megabyte in one go, so a turn parses for about this long and the rest
 * of the body waits for the next turn (fetch_options.slice_ms). */
#define PARSE_SLICE_MS 10

static void feed_record(struct herald_feed *f, const struct fetch_outcome *out, const char *error,
			const char *title, unsigned delay);
static void log_failure(const struct herald_feed *f, const char *why, unsigned delay);
static unsigned feed_delay(struct herald_feed *f, long retry_after);
static void feed_schedule(struct herald_feed *f, uint64_t delay_ms);

/* The batch is gone (a failed commit): the store holds what it held before
 * it, so forget what we believed stored since, and tell, feed by feed. */
static void
batch_lost(struct herald *h, const char *why)
{
	struct fetch_outcome none = {.error = FETCH_ERR_TRANSFER, .retry_after = -1};
	char msg[600];

	for (size_t i = 0; i < h->nfeeds; i++) {
		replace_str(&h->feeds[i]->etag, NULL);
		replace_str(&h->feeds[i]->last_modified, NULL);
	}
	snprintf(msg, sizeof msg, "not stored: %s", why);
	for (size_t i = 0; i < h->nbatch; i++) {
		struct herald_feed *f = h->batch_feeds[i];
		unsigned delay;

		f->failures++;
		delay = feed_delay(f, -1);
		feed_record(f, &none, msg, NULL, delay);
		log_failure(f, msg, delay);
		if (!f->req && !f->wait.on)
			feed_schedule(f, (uint64_t)delay * 1000);
	}
	h->nbatch = 0;
	story_drop(h);
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
	writer_pump(h);
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
	uv_timer_start(&h->flush_timer, on_flush, FLUSH_MS, 0);
}

static int sync_feeds(struct herald *h, const struct config *cfg, char *err, size_t errlen);

/* The validators of the file now open: a new file has none, and a poll that
 * sent the old ones would get a 304 and never fill it. */
static int
reload_validators(struct herald *h, char *err, size_t errlen)
{
	struct store_feed_list sl = {0};
	int rc = -1;

	if (store_feeds_state(h->store, &sl, err, errlen) < 0)
		goto out;
	for (size_t i = 0; i < h->nfeeds; i++) {
		struct herald_feed *f = h->feeds[i];
		const struct store_feed *sf = NULL;

		for (size_t j = 0; j < sl.n && !sf; j++)
			if (strcmp(sl.v[j].id, f->id) == 0)
				sf = &sl.v[j];
		if (replace_str(&f->etag, sf ? sf->etag : NULL) < 0 ||
		    replace_str(&f->last_modified, sf ? sf->last_modified : NULL) < 0) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	store_feed_list_free(&sl);
	return rc;
}

/* Someone deleted or replaced the database file under the running daemon:
 * whatever it writes to the old inode is lost at the next start. Switch to
 * the file now at the configured path (a new empty one when it was
 * deleted) before writing. 0, or -1 when that cannot be opened (the old
 * handle stays, and the error is logged). */
int
herald_check_store(struct herald *h)
{
	struct store *ns = NULL;
	char err[512];

	/* While the worker has the store, the next write checks it. */
	if (h->working || h->store == NULL || !store_file_moved(h->store))
		return 0;
	log_err("database %s was deleted or replaced while open: reopening it", h->db_path);
	if (store_open(h->db_path, &ns, err, sizeof err) < 0) {
		log_err("database %s: cannot reopen: %s", h->db_path, err);
		return -1;
	}
	store_close(h->store);
	h->store = ns;
	h->nbatch = 0; /* the batch went with the old file */
	if (sync_feeds(h, &h->cfg, err, sizeof err) < 0 ||
	    reload_validators(h, err, sizeof err) < 0) {
		log_err("database %s: reopened, but: %s", h->db_path, err);
		return -1;
	}
	story_drop(h);
	return 0;
}

static void
feed_moved(struct herald_feed *f, const char *to)
{
	char err[256];

	log_info("feed %s: moved permanently: %s -> %s", f->id, f->url, to);
	f->host_url = NULL; /* the host is looked up again at the next poll */
	if (replace_str(&f->url, to) < 0 ||
	    store_feed_moved(f->h->store, f->id, to, err, sizeof err) < 0)
		log_err("feed %s: cannot record its new URL: %s", f->id, err);
}

static void
feed_record(struct herald_feed *f, const struct fetch_outcome *out, const char *error,
	    const char *title, unsigned delay)
{
	struct herald *h = f->h;
	struct store_feed_status fs = {
		.last_poll = now_s(),
		.last_status = (int)out->status,
		.last_error = error,
		.etag = error ? NULL : out->etag,
		.last_modified = error ? NULL : out->last_modified,
		.title = title,
		.failures = f->failures,
		.next_poll = now_s() + delay,
	};
	char err[256];

	if (!error && (replace_str(&f->etag, out->etag ? out->etag : f->etag) < 0 ||
		       replace_str(&f->last_modified,
				   out->last_modified ? out->last_modified : f->last_modified) < 0))
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
		feed_poll(f);
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
	memset(r, 0, sizeof *r);
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
		snprintf(f->ing_err, sizeof f->ing_err, "out of memory");
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
			 f->ing_err[0]   ? f->ing_err
			 : r->error_text ? r->error_text
					 : "failed");
	} else if (r->not_modified) {
		log_debug("feed %s: 304 not modified", f->id);
	} else if (r->store) {
		snprintf(why, sizeof why, "%s", r->why);
		if (r->moved_to && !why[0])
			feed_moved(f, r->moved_to);
	} else {
		snprintf(why, sizeof why, "HTTP %ld", r->status);
		if (r->status == 429 || r->status == 503)
			retry_after = r->retry_after;
	}
	f->ttl = ttl;
	f->failures = why[0] ? f->failures + 1 : 0;
	delay = feed_delay(f, retry_after);
	/* A status row alone is a transaction's worth of locking and WAL
	 * writing: 1,000 304s go into the batch like responses. */
	batch_join(h);
	/* title points into the ingest: record before freeing it. */
	feed_record(f, &out, why[0] ? why : NULL, title, delay);
	ingest_free(f->ing);
	f->ing = NULL;
	f->ing_err[0] = '\0';
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
	feed_schedule(f, (uint64_t)delay * 1000);
	notify_status(h);
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
	if (h->story == NULL && story_rebuild(h, h->work_err, sizeof h->work_err) < 0) {
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
		writer_pump(h);
		return;
	}
	h->nstories = h->story ? story_count_stories(h->story) : 0;
	if (h->work_rc < 0) {
		snprintf(f->res.why, sizeof f->res.why, "%s", h->work_err);
		if (h->work_batched && !batched)
			batch_lost(h, h->work_err); /* SQLite dropped the whole transaction */
		else if (c->folded)
			story_drop(h);
		poll_complete(f, NULL, f->ttl);
		writer_pump(h);
		return;
	}
	if (h->work_batched)
		batch_note(h, f);
	if (store_batch_count(h->store) >= FLUSH_MAX)
		h->flush_due = 1;
	m = ingest_meta(f->ing);
	if (m->bozo)
		log_debug("feed %s: not well-formed, recovered: %s", f->id,
			  m->bozo_reason ? m->bozo_reason : "?");
	log_debug("feed %s: %u items: %u new, %u changed, %u unchanged; %u merges", f->id, c->items,
		  c->added, c->changed, c->unchanged, c->merges);
	poll_complete(f, m->title.text, m->ttl > 0 ? (unsigned)m->ttl * 60 : 0);
	writer_pump(h);
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

/* Starts storing f's body; -1 (with f->res.why) when there is nothing to
 * store, and the poll is completed at once. */
static int
store_start(struct herald *h, struct herald_feed *f)
{
	if (f->ing == NULL) {
		snprintf(f->res.why, sizeof f->res.why, "empty response body");
		return -1;
	}
	if (ingest_end(f->ing, f->res.why, sizeof f->res.why) < 0)
		return -1;
	if (herald_check_store(h) < 0) {
		snprintf(f->res.why, sizeof f->res.why,
			 "database %s went away and cannot be reopened", h->db_path);
		return -1;
	}
	batch_join(h);
	h->work_batched = store_batch_is_open(h->store);
	work_start(h, WORK_STORE, f);
	return 0;
}

/* Records finished polls until one needs the worker. Between two pieces of
 * work, held socket requests run, and a reload or a flush that waited. */
static void
writer_pump(struct herald *h)
{
	struct herald_feed *f;

	if (h->pumping || h->working)
		return;
	h->pumping = 1;
	while (!h->working) {
		control_hold(h->control, 0);
		if (h->reload_due) {
			h->reload_due = 0;
			reload_logged(h);
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
	writer_pump(h);
}

static void
feed_poll(struct herald_feed *f)
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
	f->ing_err[0] = '\0';
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

static void
on_due(struct sched *s, struct sched_entry *e, void *user)
{
	(void)s;
	(void)user;
	feed_poll(e->data);
}

int
herald_refresh(struct herald *h, const char *id)
{
	struct herald_feed *f;

	if (id == NULL) {
		for (size_t i = 0; i < h->nfeeds; i++) {
			sched_remove(h->sched, &h->feeds[i]->entry);
			feed_poll(h->feeds[i]);
		}
		return 0;
	}
	if ((f = herald_feed_find(h, id)) == NULL)
		return -1;
	sched_remove(h->sched, &f->entry);
	feed_poll(f);
	return 0;
}

/* ---- story index ---- */

static struct story_params
story_params_from(const struct config *cfg)
{
	struct story_params p = story_params_default();

	p.window = cfg->fold_window;
	p.threshold = cfg->fold_threshold;
	p.merge_threshold = cfg->fold_merge_threshold;
	p.simhash_radius = cfg->fold_simhash_radius;
	p.language = cfg->fold_language;
	return p;
}

static int
restore_row(const struct store_restore_row *row, void *user)
{
	struct story_index *idx = user;
	struct story_input in = {
		.item_id = row->item_id,
		.time = row->time,
		.feed = row->feed,
		.title = row->title,
		.text = row->text,
		.link = row->link,
	};

	if (row->story_id == 0)
		return 0;
	return story_restore(idx, &in, row->story_id) < 0 ? -1 : 0;
}

/* A fresh index holding the stories of the last window, from the store. */
static int
story_rebuild(struct herald *h, char *err, size_t errlen)
{
	struct story_params p = story_params_from(&h->cfg);
	struct story_index *idx;
	int64_t max_id = 0;

	if ((idx = story_new(&p, err, errlen)) == NULL)
		return -1;
	if (store_story_max_id(h->store, &max_id, err, errlen) < 0 ||
	    store_restore_items(h->store, now_s() - (int64_t)p.window, restore_row, idx, err,
				errlen) != 0) {
		if (!*err)
			snprintf(err, errlen, "%s", story_error(idx));
		story_free(idx);
		return -1;
	}
	story_set_next_id(idx, max_id + 1);
	story_free(h->story);
	h->story = idx;
	log_debug("story index: %zu items in %zu stories restored", story_count_items(idx),
		  story_count_stories(idx));
	return 0;
}

/* ---- configuration ---- */

static int
load_config(struct herald *h, struct config *cfg, char **errors)
{
	if (config_load(h->config_path, cfg, errors) < 0)
		return -1;
	return 0;
}

/* Makes h->feeds match cfg: feeds keep their state when their URL and
 * interval carry over; removed feeds stop (a poll in flight is cancelled and
 * nothing of it is stored). */
static int
feeds_apply(struct herald *h, const struct config *cfg, const struct store_feed_list *sl)
{
	struct herald_feed **nv = calloc(cfg->nfeeds + 1, sizeof *nv);
	size_t n = 0;

	if (nv == NULL)
		return -1;
	for (size_t i = 0; i < cfg->nfeeds; i++) {
		const struct config_feed *cf = &cfg->feeds[i];
		struct herald_feed *f = herald_feed_find(h, cf->id);
		const struct store_feed *sf = NULL;

		for (size_t j = 0; sl && j < sl->n; j++)
			if (strcmp(sl->v[j].id, cf->id) == 0)
				sf = &sl->v[j];
		if (f && strcmp(f->config_url, cf->url) == 0) {
			unsigned iv = cf->interval ? cf->interval : cfg->interval;

			nv[n++] = f;
			if (iv == f->interval)
				continue;
			/* A changed interval applies from now on. */
			f->interval = iv;
			if (!f->req)
				feed_schedule(f, (uint64_t)feed_delay(f, -1) * 1000);
			continue;
		}
		if ((f = feed_new(h, cf)) == NULL || feed_load(h, f, sf) < 0) {
			feed_free(f);
			goto fail;
		}
		nv[n++] = f;
	}
	/* Whatever is left of the old set was removed or changed its URL. */
	for (size_t i = 0; i < h->nfeeds; i++) {
		int kept = 0;
		for (size_t j = 0; j < n && !kept; j++)
			kept = nv[j] == h->feeds[i];
		if (!kept) {
			sched_remove(h->sched, &h->feeds[i]->entry);
			feed_free(h->feeds[i]);
		}
	}
	free(h->feeds);
	h->feeds = nv;
	h->nfeeds = n;
	return 0;
fail:
	for (size_t j = 0; j < n; j++) {
		if (herald_feed_find(h, nv[j]->id) != nv[j]) {
			sched_remove(h->sched, &nv[j]->entry);
			feed_free(nv[j]);
		}
	}
	free(nv);
	return -1;
}

static int
sync_feeds(struct herald *h, const struct config *cfg, char *err, size_t errlen)
{
	struct store_feed_list sl = {0};
	int rc = -1;

	if (store_feeds_sync(h->store, cfg->feeds, cfg->nfeeds, err, errlen) < 0 ||
	    store_feeds_state(h->store, &sl, err, errlen) < 0)
		goto out;
	if (feeds_apply(h, cfg, &sl) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	store_feed_list_free(&sl);
	return rc;
}

int
herald_reload(struct herald *h, char **errors)
{
	struct config cfg;
	struct stat sb;
	char err[512];

	*errors = NULL;
	if (h->working) {
		/* Callers wait for the worker (writer_pump, control_hold). */
		*errors = strdup("busy storing a response, try again");
		return -1;
	}
	/* An empty file is what an editor or a script leaves when it dies
	 * halfway through rewriting it, not a wish to stop every feed. */
	if (h->nfeeds > 0 && stat(h->config_path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    sb.st_size == 0) {
		snprintf(err, sizeof err, "%s: the file is empty (half-written?)", h->config_path);
		*errors = strdup(err);
		return -1;
	}
	if (load_config(h, &cfg, errors) < 0) {
		config_free(&cfg);
		return -1;
	}
	if (sync_feeds(h, &cfg, err, sizeof err) < 0) {
		char *msg = malloc(strlen(err) + strlen(h->db_path) + 16);

		/* "database is locked" alone does not say which database. */
		if (msg)
			sprintf(msg, "database %s: %s", h->db_path, err);
		*errors = msg;
		config_free(&cfg);
		return -1;
	}
	/* The database and socket stay where they are until a restart. */
	config_free(&h->cfg);
	h->cfg = cfg;
	log_info("configuration reloaded: %zu feeds", h->nfeeds);
	return 0;
}

/* ---- lifecycle ---- */

/* SIGHUP's reload, reported in the log. */
static void
reload_logged(struct herald *h)
{
	char *errors = NULL;

	notify("RELOADING=1");
	if (herald_reload(h, &errors) < 0) {
		log_err("reload refused, the running configuration stays:\n%s",
			errors ? errors : "out of memory");
		free(errors);
	}
	notify("READY=1");
}

static void
on_signal(uv_signal_t *sig, int signum)
{
	struct herald *h = sig->data;

	if (signum == SIGHUP) {
		/* After the worker's current piece of work, if any. */
		h->reload_due = 1;
		writer_pump(h);
		return;
	}
	log_info("signal %d: stopping", signum);
	herald_stop(h);
}

static void
on_watchdog(uv_timer_t *t)
{
	(void)t;
	notify("WATCHDOG=1");
}

void
herald_stop(struct herald *h)
{
	if (h->stopping)
		return;
	h->stopping = 1;
	notify("STOPPING=1");
	for (size_t i = 0; i < h->nfeeds; i++) {
		struct herald_feed *f = h->feeds[i];
		/* An unfinished response is dropped whole: nothing half-stored. */
		if (f->req) {
			fetch_cancel(f->req);
			f->req = NULL;
		}
		fifo_unlink(&h->waitq, f);
		/* Finished responses still go into the store (the writer
		 * drains its queue before the loop ends). */
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
	/* Commit what is complete. */
	herald_flush(h);
	if (h->flush_on) {
		uv_close((uv_handle_t *)&h->flush_timer, NULL);
		h->flush_on = 0;
	}
	if (h->sched) {
		sched_close(h->sched);
		h->sched = NULL;
	}
	if (h->fetch) {
		fetch_shutdown(h->fetch, NULL, NULL);
		h->fetch = NULL;
	}
	commands_stop(h);
	if (h->signals_on) {
		uv_close((uv_handle_t *)&h->sig_hup, NULL);
		uv_close((uv_handle_t *)&h->sig_term, NULL);
		uv_close((uv_handle_t *)&h->sig_int, NULL);
	}
	if (h->watchdog_on)
		uv_close((uv_handle_t *)&h->watchdog, NULL);
}

static int
start_signals(struct herald *h)
{
	uv_signal_t *sigs[] = {&h->sig_hup, &h->sig_term, &h->sig_int};
	int nums[] = {SIGHUP, SIGTERM, SIGINT};

	for (int i = 0; i < 3; i++) {
		uv_signal_init(&h->loop, sigs[i]);
		sigs[i]->data = h;
		h->signals_on = 1;
		if (uv_signal_start(sigs[i], on_signal, nums[i]) < 0)
			return -1;
	}
	return 0;
}

static void
start_watchdog(struct herald *h)
{
#ifdef HAVE_SYSTEMD
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return;
	uv_timer_init(&h->loop, &h->watchdog);
	h->watchdog_on = 1;
	uv_timer_start(&h->watchdog, on_watchdog, usec / 2000, usec / 2000);
#else
	(void)h;
	(void)on_watchdog;
#endif
}

/* Creates the parent directory of path (0700) when it is missing. */
static int
make_parent(const char *path, char *err, size_t errlen)
{
	char *dir = strdup(path), *p;
	int rc = 0;

	if (dir == NULL)
		return -1;
	for (p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
			rc = -1;
			break;
		}
		*p = '/';
	}
	free(dir);
	return rc;
}

static int
resolve_paths(struct herald *h, char *err, size_t errlen)
{
	const char *db = h->opt.database ? h->opt.database : h->cfg.database;
	const char *sock = h->opt.socket ? h->opt.socket : h->cfg.socket;

	h->db_path = db ? strdup(db) : config_default_database();
	h->sock_path = sock ? strdup(sock) : config_default_socket();
	if (h->db_path == NULL || (!h->opt.once && h->sock_path == NULL)) {
		snprintf(err, errlen, "no %s path: set it in %s or with --%s",
			 h->db_path ? "socket" : "database", h->config_path,
			 h->db_path ? "socket" : "database");
		return -1;
	}
	return make_parent(h->db_path, err, errlen);
}

/* Descriptors kept for everything but transfers: stdio, the database and
 * its WAL and index, the loop's own, the listening socket and clients. */
#define FD_RESERVE 40

/* Transfers that fit in the descriptor limit. Past it every connect fails
 * ("Couldn't connect") and hundreds of feeds back off for hours; fewer
 * connections only make a round slower. */
static unsigned
fit_connections(unsigned want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return want;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
		/* The soft limit is only a default: take what we may. */
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (rlim_t)want + FD_RESERVE)
		return want;
	unsigned fit = rl.rlim_cur > FD_RESERVE + 8 ? (unsigned)(rl.rlim_cur - FD_RESERVE) : 8;
	if (fit < want)
		log_warn("only %llu file descriptors (ulimit -n): max_connections lowered from %u "
			 "to %u",
			 (unsigned long long)rl.rlim_cur, want, fit);
	return fit < want ? fit : want;
}

static int
start_fetch(struct herald *h, char *err, size_t errlen)
{
	struct fetch_options fo = {
		.user_agent = h->cfg.user_agent,
		.connect_timeout_ms = h->cfg.connect_timeout * 1000,
		.timeout_ms = h->cfg.timeout * 1000,
		.max_connections = fit_connections(h->cfg.max_connections),
		.max_per_host = h->cfg.max_per_host,
		.max_body = h->cfg.max_body,
		.slice_ms = PARSE_SLICE_MS,
	};

	h->fetch = fetch_new(&h->loop, &fo, err, errlen);
	if (h->fetch == NULL)
		return -1;
	h->sched = sched_new(&h->loop, on_due, h, err, errlen);
	return h->sched ? 0 : -1;
}

/* Everything up to the loop: 0, or -1 with the reason in err. */
static int
herald_start(struct herald *h, char *err, size_t errlen)
{
	char *errors = NULL;

	if (load_config(h, &h->cfg, &errors) < 0) {
		snprintf(err, errlen, "%s", errors ? errors : "out of memory");
		free(errors);
		return -1;
	}
	/* The socket first: a second daemon on the same socket must be refused
	 * before it touches the database (sync_feeds would rewrite the feeds
	 * table from its own configuration). No client is served before the
	 * loop runs. */
	if (resolve_paths(h, err, errlen) < 0 ||
	    (!h->opt.once && commands_start(h, err, errlen) < 0) ||
	    store_open(h->db_path, &h->store, err, errlen) < 0 || start_fetch(h, err, errlen) < 0 ||
	    sync_feeds(h, &h->cfg, err, errlen) < 0)
		return -1;
	if (start_signals(h) < 0) {
		snprintf(err, errlen, "cannot install signal handlers");
		return -1;
	}
	h->once_pending = (unsigned)h->nfeeds;
	uv_timer_init(&h->loop, &h->flush_timer);
	h->flush_timer.data = h;
	h->flush_on = 1;
	start_watchdog(h);
	log_info("started: %zu feeds, database %s%s%s", h->nfeeds, h->db_path,
		 h->opt.once ? "" : ", socket ", h->opt.once ? "" : h->sock_path);
	notify("READY=1");
	notify_status(h);
	return 0;
}

static void
herald_free(struct herald *h)
{
	for (size_t i = 0; i < h->nfeeds; i++)
		feed_free(h->feeds[i]);
	free(h->feeds);
	free(h->batch_feeds);
	for (size_t i = 0; i < h->nhosts; i++)
		free(h->hosts[i].name);
	free(h->hosts);
	story_free(h->story);
	if (h->store)
		store_close(h->store);
	config_free(&h->cfg);
	free(h->config_path);
	free(h->db_path);
	free(h->sock_path);
}

/* Tells a waiting parent (see detach() in main.c) how start-up went. */
static void
report_ready(struct herald *h, char status)
{
	if (h->opt.ready_fd < 0)
		return;
	if (write(h->opt.ready_fd, &status, 1) != 1)
		log_warn("cannot report start-up to the parent process: %s", strerror(errno));
	close(h->opt.ready_fd);
	h->opt.ready_fd = -1;
}

static void
close_walk(uv_handle_t *handle, void *arg)
{
	(void)arg;
	if (!uv_is_closing(handle))
		uv_close(handle, NULL);
}

int
herald_main(const struct herald_options *opt)
{
	struct herald h;
	char err[4096] = "";
	int rc;

	memset(&h, 0, sizeof h);
	h.waitq.off = offsetof(struct herald_feed, wait);
	h.doneq.off = offsetof(struct herald_feed, done);
	h.opt = *opt;
	h.started = now_s();
	h.rng = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^ 0x9e3779b97f4a7c15ULL;
	h.config_path = opt->config_path ? strdup(opt->config_path) : config_default_path();
	if (h.config_path == NULL) {
		fprintf(stderr, "heraldd: no configuration file: use -c FILE\n");
		return 1;
	}
	if (uv_loop_init(&h.loop) < 0) {
		fprintf(stderr, "heraldd: cannot create the event loop\n");
		free(h.config_path);
		return 1;
	}
	if (herald_start(&h, err, sizeof err) < 0) {
		fprintf(stderr, "heraldd: %s\n", err);
		report_ready(&h, 1);
		herald_stop(&h);
		rc = 1;
	} else {
		report_ready(&h, 0);
		if (h.opt.once && h.nfeeds == 0)
			herald_stop(&h);
		uv_run(&h.loop, UV_RUN_DEFAULT);
		rc = h.opt.once && h.once_failed ? 2 : 0;
	}
	/* Anything a failed start left open closes here. */
	uv_walk(&h.loop, close_walk, NULL);
	uv_run(&h.loop, UV_RUN_DEFAULT);
	uv_loop_close(&h.loop);
	herald_free(&h);
	log_info("stopped");
	return rc;
}
