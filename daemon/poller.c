/* poller: each feed's polls, from admission to the recorded outcome
 * (poller.h).
 *
 * The wait queue and the per-host gate decide when a due feed starts; fetch
 * streams the body into the feed's ingest; the writer takes finished polls
 * in the order they finished and calls back when a poll's response is
 * stored, which is when its outcome is recorded (docs/design.md). */
#include "autoconfig.h"

#include "poller.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "fetch.h"
#include "ingest.h"
#include "log.h"
#include "parse.h"
#include "scheduler.h"
#include "store.h"
#include "url.h"
#include "writer.h"

/* A feed's place in the wait queue. */
struct poll_link {
	struct poll_feed *next;
	int on;
};

/* A finished poll, waiting for the writer to be recorded. Its strings are
 * owned; error texts are allocated only when a poll fails, so 10,000 quiet
 * feeds carry no message buffers. */
struct poll_result {
	enum fetch_error error;
	long status, retry_after;
	int not_modified;
	int store;     /* a body to store */
	int truncated; /* ...that was cut short (its whole items stored) */
	int failed;    /* storing failed... */
	char *why;     /* ...and why (NULL if no text could be kept) */
	char *error_text, *etag, *last_modified, *moved_to;
};

/* One configured feed's runtime state. */
/* A feed's HTTP settings as fetch takes them (config.h): copies, kept
 * from one configuration to the next. */
struct feed_http {
	char *proxy, *user_agent, *cookie, *username, *password;
	char **headers;
	size_t nheaders;
};

struct poll_feed {
	struct poller *p;
	char *id;
	char *config_url;  /* as written in feeds.conf */
	char *url;         /* polled: config_url, or where a 301/308 moved it */
	unsigned interval; /* seconds: the feed's, else the global one */
	char *etag, *last_modified;
	unsigned failures; /* consecutive */
	unsigned ttl;      /* the feed's <ttl>, seconds; 0 = none */
	struct sched_entry entry;
	struct fetch_request *req; /* the poll in flight, or NULL */
	struct poll_parse *pj;     /* its body's parse, once data arrived */
	struct ingest *ing;        /* the parsed body, handed to the writer */
	char *ing_err;             /* why the body was refused, or NULL (owned) */
	struct poll_link wait;     /* due, queued behind the polls in flight */
	int slot;                  /* counted in inflight until recorded */
	int host;                  /* index in p->hosts of url's host, or -1 */
	const char *host_url;      /* the url host was found for (stale if not url) */
	int kept;                  /* poll_sync's mark */
	int announce;              /* moved, feeds.conf not told: tell moved at its next turn */
	int merging;               /* poll_merge took it: never polled again */
	uint64_t started_ms;       /* uv_now when its last poll started; 0: never */
	int bad_validators;        /* stored ones fetch will not send: the store forgets them */
	struct poll_result res;
	struct writer_job job; /* handed to the writer when finished */
	struct feed_http http;
};

/* Polls holding a slot, per host (max_per_host; see host_full). */
struct poll_host {
	char *name;
	unsigned n;
	uint64_t paused_until; /* uv_now (ms): a 429 or 503 said to wait */
};

struct poller {
	uv_loop_t *loop;
	struct fetch *fetch;
	struct writer *writer;
	struct sched *sched;
	struct poll_options opt;
	struct poll_callbacks cb;

	struct poll_feed **feeds;
	size_t nfeeds;
	/* At most max_connections polls run at once, counting those whose
	 * response waits for the writer; due feeds wait in FIFO order, so
	 * memory (one response per poll) stays bounded whatever the number of
	 * feeds, file:// ones included, and however far storing lags behind. */
	unsigned inflight;
	struct poll_feed *wait_head, *wait_tail;
	int wait_pumping;
	struct poll_host *hosts;
	size_t nhosts, hosts_cap;

	uint64_t rng; /* xorshift state for jitter */
	int stopping;
	uint64_t polls, polls_failed;
};

static void poll_start(struct poll_feed *f);
static void pjob_detach(struct poll_feed *f);
static void ingest_drop(struct poller *p, struct ingest *in);

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

/* *dst = a copy of src (NULL or "" gives NULL); the old value is freed.
 * 0, or -1 when memory runs out (*dst unchanged). */
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

/* xorshift64*: jitter needs spread, not secrecy. */
static double
rng_unit(struct poller *p)
{
	uint64_t x = p->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	p->rng = x;
	return (double)((x * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* Next poll after this one, in seconds, by the scheduler's policy. */
static unsigned
feed_delay(struct poll_feed *f, long retry_after)
{
	return sched_next_delay(f->interval, f->p->opt.min_interval, f->failures, retry_after,
				f->ttl, rng_unit(f->p));
}

static void
feed_schedule(struct poll_feed *f, uint64_t delay_ms)
{
	if (f->p->stopping || f->p->opt.once || f->merging)
		return;
	if (sched_set(f->p->sched, &f->entry, delay_ms) < 0)
		log_err("feed %s: cannot schedule its next poll: out of memory", f->id);
}

/* ---- the wait queue and the per-host gate ---- */

static void
wait_push(struct poller *p, struct poll_feed *f)
{
	f->wait.on = 1;
	f->wait.next = NULL;
	if (p->wait_tail)
		p->wait_tail->wait.next = f;
	else
		p->wait_head = f;
	p->wait_tail = f;
}

static void
wait_unlink(struct poller *p, struct poll_feed *f)
{
	struct poll_feed **pp = &p->wait_head, *prev = NULL;

	if (!f->wait.on)
		return;
	while (*pp && *pp != f) {
		prev = *pp;
		pp = &(*pp)->wait.next;
	}
	if (*pp) {
		*pp = f->wait.next;
		if (p->wait_tail == f)
			p->wait_tail = prev;
	}
	f->wait.on = 0;
	f->wait.next = NULL;
}

static unsigned
poll_cap(const struct poller *p)
{
	return p->opt.max_connections ? p->opt.max_connections : CONFIG_DEFAULT_MAX_CONNECTIONS;
}

/* The index of host in p->hosts, added with a count of 0 when new; -1
 * when memory runs out (the host then goes unlimited here; curl's own
 * per-host limit still holds). */
static int
host_index(struct poller *p, const char *host)
{
	for (size_t i = 0; i < p->nhosts; i++)
		if (strcmp(p->hosts[i].name, host) == 0)
			return (int)i;
	if (p->nhosts == p->hosts_cap) {
		size_t cap = p->hosts_cap ? p->hosts_cap * 2 : 16;
		struct poll_host *v = realloc(p->hosts, cap * sizeof *v);

		if (v == NULL)
			return -1;
		p->hosts = v;
		p->hosts_cap = cap;
	}
	if ((p->hosts[p->nhosts].name = strdup(host)) == NULL)
		return -1;
	p->hosts[p->nhosts].n = 0;
	p->hosts[p->nhosts].paused_until = 0;
	return (int)p->nhosts++;
}

/* libcurl queues a transfer over the per-host limit inside the multi
 * handle, and counts its connect and total timeouts from then on
 * (curl/curl#4486): a feed queued behind 500 others on one host fails.
 * So the poller keeps the per-host limit itself and hands curl only
 * transfers that can start. file:// has no host and no limit. Called only
 * for a feed that holds no slot, so its host can be looked up afresh when
 * its URL changed. */
static int
host_full(struct poller *p, struct poll_feed *f)
{
	unsigned per = p->opt.max_per_host ? p->opt.max_per_host : CONFIG_DEFAULT_MAX_PER_HOST;

	if (f->host_url != f->url) {
		char *host = url_host(f->url);

		f->host = host && *host ? host_index(p, host) : -1;
		f->host_url = f->url;
		free(host);
	}
	return f->host >= 0 && p->hosts[f->host].n >= per;
}

/* A 429 or 503 with Retry-After speaks for the whole host: none of its
 * feeds is polled before the time it gave (capped as a feed's is). */
static void
host_pause(struct poll_feed *f, long retry_after)
{
	struct poller *p = f->p;
	long ra = retry_after < (long)SCHED_MAX_RETRY_AFTER ? retry_after
							    : (long)SCHED_MAX_RETRY_AFTER;
	uint64_t until;

	if (ra <= 0 || f->host < 0)
		return;
	until = uv_now(p->loop) + (uint64_t)ra * 1000;
	if (until <= p->hosts[f->host].paused_until)
		return;
	p->hosts[f->host].paused_until = until;
	log_warn("host %s asked for a pause of %lds (feed %s): its feeds wait", p->hosts[f->host].name,
		 ra, f->id);
}

static void feed_record(struct poll_feed *f, const struct poll_result *r, const char *error,
			const char *title, unsigned delay, int forget);
static void log_failure(const struct poll_feed *f, const char *why, unsigned delay);

/* When f's host is paused: f is scheduled for the end of the pause; with
 * --once, whose run must end, it fails saying why. */
static int
host_paused(struct poll_feed *f)
{
	struct poller *p = f->p;
	uint64_t now = uv_now(p->loop);
	struct poll_result none = {.error = FETCH_ERR_TRANSFER, .retry_after = -1};
	unsigned wait_s;
	char msg[300];

	host_full(p, f); /* finds f's host */
	if (f->host < 0 || p->hosts[f->host].paused_until <= now)
		return 0;
	wait_s = (unsigned)((p->hosts[f->host].paused_until - now + 999) / 1000);
	if (!p->opt.once) {
		feed_schedule(f, p->hosts[f->host].paused_until - now);
		return 1;
	}
	snprintf(msg, sizeof msg, "not polled: host %s asked for a pause (Retry-After)",
		 p->hosts[f->host].name);
	f->failures++;
	p->polls_failed++;
	feed_record(f, &none, msg, NULL, wait_s, 0);
	log_failure(f, msg, wait_s);
	if (p->cb.recorded)
		p->cb.recorded(p->cb.user, f, 1);
	return 1;
}

/* Takes (1) or gives back (0) f's slot. */
static void
slot_take(struct poll_feed *f, int take)
{
	struct poller *p = f->p;
	unsigned *n = f->host >= 0 ? &p->hosts[f->host].n : NULL;

	if (take) {
		f->slot = 1;
		p->inflight++;
		if (n)
			(*n)++;
		return;
	}
	if (!f->slot)
		return;
	f->slot = 0;
	p->inflight--;
	if (n && *n > 0)
		(*n)--;
}

/* Starts waiting feeds, in order, as slots free up; a feed whose host is
 * at its limit lets the ones behind it (other hosts) go first. */
static void
wait_pump(struct poller *p)
{
	struct poll_feed *f, *next;

	if (p->wait_pumping)
		return;
	p->wait_pumping = 1;
	for (f = p->wait_head; f && p->inflight < poll_cap(p) && !p->stopping; f = next) {
		next = f->wait.next;
		if (host_full(p, f))
			continue;
		wait_unlink(p, f);
		poll_start(f);
	}
	p->wait_pumping = 0;
}

/* ---- recording a poll's outcome ---- */

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
static void __attribute__((format(printf, 2, 3)))
result_fail(struct poll_result *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	replace_str(&r->why, buf);
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

/* The outcome's strings live only during on_done: the poll keeps copies. */
static void
result_take(struct poll_feed *f, const struct fetch_outcome *out)
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
		replace_str(&f->ing_err, "out of memory");
		r->store = 0;
	}
}

/* A permanent redirect moved f to to: it is polled there from now on, and
 * the store says so. 0, or -1 when f's url could not change. */
static int
feed_moved(struct poll_feed *f, const char *to)
{
	struct store *st = writer_store(f->p->writer);
	char err[256] = "the database is busy";

	log_info("feed %s: moved permanently: %s -> %s", f->id, f->url, to);
	f->host_url = NULL; /* the host is looked up again at the next poll */
	if (replace_str(&f->url, to) < 0) {
		log_err("feed %s: cannot record its new URL: out of memory", f->id);
		return -1;
	}
	if (st == NULL || store_feed_moved(st, f->id, to, err, sizeof err) < 0)
		log_err("feed %s: cannot record its new URL: %s", f->id, err);
	return 0;
}

/* Writes f's status row into the batch. forget: drop the feed's
 * validators, so that its next poll is not answered by a 304 for a body we
 * only got part of. */
static void
feed_record(struct poll_feed *f, const struct poll_result *r, const char *error, const char *title,
	    unsigned delay, int forget)
{
	/* A status row alone is a transaction's worth of locking and WAL
	 * writing: 1,000 304s go into the batch like responses. */
	struct store *st = writer_batch(f->p->writer);
	struct store_feed_status fs = {
		.last_poll = now_s(),
		.last_status = (int)r->status,
		.last_error = error,
		.etag = error ? NULL : r->etag,
		.last_modified = error ? NULL : r->last_modified,
		.forget_validators = forget,
		.title = title,
		.failures = f->failures,
		.next_poll = now_s() + delay,
	};
	char err[256] = "the database is busy";

	if (forget) {
		replace_str(&f->etag, NULL);
		replace_str(&f->last_modified, NULL);
	} else if (!error &&
		   (replace_str(&f->etag, r->etag ? r->etag : f->etag) < 0 ||
		    replace_str(&f->last_modified,
				r->last_modified ? r->last_modified : f->last_modified) < 0))
		log_err("feed %s: out of memory keeping its validators", f->id);
	if (st == NULL || store_feed_status(st, f->id, &fs, err, sizeof err) < 0)
		log_err("feed %s: cannot record its status: %s", f->id, err);
}

/* One line per failing poll: which feed, why, and when it is tried again. */
static void
log_failure(const struct poll_feed *f, const char *why, unsigned delay)
{
	log_warn("feed %s (%s): %s; retry in %um%02us", f->id, f->url, why, delay / 60, delay % 60);
}

/* Why the poll failed into why (empty: it did not), and the Retry-After
 * that applies. */
static long
outcome_why(struct poll_feed *f, char *why, size_t len)
{
	const struct poll_result *r = &f->res;

	why[0] = '\0';
	if (r->error != FETCH_OK) {
		snprintf(why, len, "%s",
			 f->ing_err      ? f->ing_err
			 : r->error_text ? r->error_text
					 : "failed");
	} else if (r->not_modified) {
		log_debug("feed %s: 304 not modified", f->id);
	} else if (r->store) {
		if (r->failed)
			snprintf(why, len, "%s", r->why ? r->why : "storing failed");
	} else {
		snprintf(why, len, "HTTP %ld", r->status);
		if (r->status == 429 || r->status == 503)
			return r->retry_after;
	}
	return -1;
}

/* The rest of a poll once its response is stored (or was not to be):
 * status row, log line, next poll. */
static void
poll_complete(struct poll_feed *f, const char *title, unsigned ttl)
{
	struct poller *p = f->p;
	char why[512];
	long retry_after = outcome_why(f, why, sizeof why);
	unsigned delay;
	int moved = 0;

	if ((f->res.store || f->res.not_modified) && f->res.moved_to && !why[0] &&
	    (moved = feed_moved(f, f->res.moved_to) == 0) && f->res.not_modified) {
		/* A 304 there: the validators sent are the new URL's too (the
		 * store forgot them with the old URL). */
		if (f->res.etag == NULL)
			replace_str(&f->res.etag, f->etag);
		if (f->res.last_modified == NULL)
			replace_str(&f->res.last_modified, f->last_modified);
	}
	f->ttl = ttl;
	f->failures = why[0] ? f->failures + 1 : 0;
	host_pause(f, retry_after);
	delay = feed_delay(f, retry_after);
	/* title points into the ingest: record before freeing it. */
	feed_record(f, &f->res, why[0] ? why : NULL, title, delay,
		    f->res.truncated || f->bad_validators);
	f->bad_validators = 0;
	ingest_drop(p, f->ing);
	f->ing = NULL;
	replace_str(&f->ing_err, NULL);
	result_clear(&f->res);
	if (f->slot) {
		/* Its slot is free: the next waiting feed takes it. */
		slot_take(f, 0);
		wait_pump(p);
	}
	if (why[0]) {
		p->polls_failed++;
		log_failure(f, why, delay);
	}
	feed_schedule(f, (uint64_t)delay * 1000);
	/* After the status row: the owner may hand the writer work. */
	if (moved && p->cb.moved)
		p->cb.moved(p->cb.user, f->id, f->url);
	if (p->cb.recorded)
		p->cb.recorded(p->cb.user, f, why[0] != '\0');
}

/* The writer's turn for f's poll came: its body is stored, or not. */
static void
on_stored(struct writer_job *job, int rc, const char *why, const struct ingest_counts *c)
{
	struct poll_feed *f = job->data;
	const struct parse_meta *m;

	if (rc < 0) {
		result_fail(&f->res, "%s", why);
		poll_complete(f, NULL, f->ttl);
		return;
	}
	if (job->ing == NULL) {
		poll_complete(f, NULL, f->ttl);
		return;
	}
	m = ingest_meta(f->ing);
	if (m->truncated) {
		/* libcurl reports no error for a gzip body whose connection
		 * closed early without a Content-Length: the document tells. */
		f->res.truncated = 1;
		result_fail(&f->res,
			    "the document ends early (%s): cut short? %u whole items stored",
			    m->bozo_reason ? m->bozo_reason : "?", c->items);
	} else if (m->bozo) {
		/* stored, but not quite as sent: said once per poll */
		log_info("feed %s: not well-formed, recovered: %s", f->id,
			 m->bozo_reason ? m->bozo_reason : "?");
	}
	if (m->items_dropped > 0)
		log_warn("feed %s: %zu items in the document: the first %d stored, the other %zu "
			 "dropped (at most %d per document)",
			 f->id, m->nitems + m->items_dropped, PARSE_MAX_ITEMS, m->items_dropped,
			 PARSE_MAX_ITEMS);
	log_debug("feed %s: %u items: %u new, %u changed, %u unchanged; %u merges", f->id, c->items,
		  c->added, c->changed, c->unchanged, c->merges);
	if (c->limited)
		log_warn("feed %s: a filter rule's regular expression hit its match limit on %u "
			 "items (taken as not matching)",
			 f->id, c->limited);
	poll_complete(f, m->title.text, m->ttl > 0 ? (unsigned)m->ttl * 60 : 0);
}

/* ---- parsing, off the loop ---- */

/* A response's parse: the body goes through the parser (and the HTML
 * sanitizer, and the repair of a broken document) on libuv's thread pool,
 * one piece of work at a time, so the loop only copies bytes (issue 28:
 * one hostile item froze the daemon for minutes). While a piece runs, the
 * worker alone touches ing and doing; the loop appends what arrives to
 * todo and starts the next piece when this one is back. The feed may go
 * (removed, merged, stopped) while a piece runs: f is then NULL and the
 * piece frees the parse when it is back. */
struct poll_parse {
	uv_work_t work;
	/* The loop's: */
	struct poller *p;
	struct poll_feed *f; /* NULL: orphaned */
	struct buf todo;     /* arrived while a piece ran */
	int running;
	int end_due; /* the body is complete: ingest_end after the data */
	/* The running piece's; the loop reads them once it is back: */
	struct ingest *ing;
	struct buf doing;
	int end_now; /* this piece ends the document */
	int ended;   /* ...and did, successfully */
	int failed;  /* a piece failed: err says why; nothing more is parsed */
	char err[512];
};

static void pjob_kick(struct poll_parse *pj);

/* Freeing a big response's items and parser costs the loop a third of a
 * second at 20,000 items (page faults, mostly): that is done on the
 * thread pool too. */
struct ingest_free_job {
	uv_work_t work;
	struct ingest *in;
};

static void
ingest_free_work(uv_work_t *req)
{
	ingest_free(((struct ingest_free_job *)req->data)->in);
}

static void
ingest_free_after(uv_work_t *req, int status)
{
	(void)status;
	free(req->data);
}

static void
ingest_drop(struct poller *p, struct ingest *in)
{
	struct ingest_free_job *j;

	if (in == NULL)
		return;
	if (ingest_meta(in)->nitems < 256 || (j = malloc(sizeof *j)) == NULL) {
		ingest_free(in);
		return;
	}
	j->in = in;
	j->work.data = j;
	if (uv_queue_work(p->loop, &j->work, ingest_free_work, ingest_free_after) < 0) {
		ingest_free(in);
		free(j);
	}
}

static void
pjob_free(struct poll_parse *pj)
{
	ingest_drop(pj->p, pj->ing);
	buf_free(&pj->todo);
	buf_free(&pj->doing);
	free(pj);
}

/* The worker: what arrived, then the end of the document when it is due.
 * Pieces of at most 256 KiB, so the budget is checked between them too. */
static void
pjob_work(uv_work_t *req)
{
	struct poll_parse *pj = req->data;
	size_t piece = 256u << 10;

	for (size_t off = 0; off < pj->doing.len && !pj->failed; off += piece) {
		size_t n = pj->doing.len - off < piece ? pj->doing.len - off : piece;

		if (ingest_feed(pj->ing, pj->doing.data + off, n, pj->err, sizeof pj->err) < 0)
			pj->failed = 1;
	}
	buf_reset(&pj->doing);
	if (!pj->failed && pj->end_now) {
		if (ingest_end(pj->ing, pj->err, sizeof pj->err) < 0)
			pj->failed = 1;
		else
			pj->ended = 1;
	}
}

static void on_parsed(struct poll_feed *f);

/* The loop: the piece is back. */
static void
pjob_after(uv_work_t *req, int status)
{
	struct poll_parse *pj = req->data;

	(void)status;
	pj->running = 0;
	if (pj->f == NULL) {
		pjob_free(pj);
		return;
	}
	if (pj->failed) {
		/* Why the body was refused: the transfer is stopped at its next
		 * chunk, or its end records it (on_parsed). */
		if (pj->f->ing_err == NULL)
			replace_str(&pj->f->ing_err, pj->err);
		buf_free(&pj->todo);
	}
	if (!pj->failed && (pj->todo.len > 0 || (pj->end_due && !pj->ended))) {
		pjob_kick(pj);
		return;
	}
	if (pj->end_due)
		on_parsed(pj->f);
}

/* Starts a piece with what arrived (the loop; no piece running). */
static void
pjob_kick(struct poll_parse *pj)
{
	struct buf t = pj->doing;

	pj->doing = pj->todo;
	pj->todo = t;
	buf_reset(&pj->todo);
	pj->end_now = pj->end_due;
	pj->running = 1;
	pj->work.data = pj;
	if (uv_queue_work(pj->f->p->loop, &pj->work, pjob_work, pjob_after) < 0) {
		/* no thread pool: the piece runs here, as before issue 28 */
		pjob_work(&pj->work);
		pjob_after(&pj->work, 0);
	}
}

/* f's parse, made when the first body bytes arrive. NULL when memory runs
 * out. */
static struct poll_parse *
pjob_open(struct poll_feed *f, struct fetch_request *req)
{
	struct poll_parse *pj = calloc(1, sizeof *pj);

	if (pj == NULL)
		return NULL;
	pj->f = f;
	pj->p = f->p;
	pj->ing = ingest_new(f->id, fetch_content_type(req), fetch_effective_url(req), now_s());
	if (pj->ing == NULL) {
		free(pj);
		return NULL;
	}
	ingest_set_budget(pj->ing, f->p->opt.parse_budget_ms ? f->p->opt.parse_budget_ms
							     : POLL_PARSE_BUDGET_MS);
	return pj;
}

/* f lets go of its parse: freed now, or by the piece running when it is
 * back. */
static void
pjob_detach(struct poll_feed *f)
{
	struct poll_parse *pj = f->pj;

	if (pj == NULL)
		return;
	f->pj = NULL;
	if (pj->running)
		pj->f = NULL;
	else
		pjob_free(pj);
}

/* ---- fetching ---- */

/* The body's bytes go to the parse's queue; a piece of parsing starts
 * when none runs. Returns -1 (the transfer stops) once the parse refused
 * the body: f->ing_err says why, for the failure's log line and status. */
static int
on_data(struct fetch_request *req, const char *data, size_t len, void *user)
{
	struct poll_feed *f = user;

	if (f->ing_err != NULL) /* set when a failed piece came back */
		return -1;
	if (f->pj == NULL && (f->pj = pjob_open(f, req)) == NULL) {
		replace_str(&f->ing_err, "out of memory");
		return -1;
	}
	if (buf_append(&f->pj->todo, data, len) < 0) {
		replace_str(&f->ing_err, "out of memory");
		return -1;
	}
	if (!f->pj->running)
		pjob_kick(f->pj);
	return 0;
}

/* A poll finished: its document is ended here (the parser's last items
 * close) and the poll goes to the writer, to be stored in its turn. */
static void
on_done(struct fetch_request *req, const struct fetch_outcome *out, void *user)
{
	struct poll_feed *f = user;

	(void)req;
	f->req = NULL;
	f->p->polls++;
	result_take(f, out);
	f->job.ing = NULL;
	if (f->res.store && f->pj != NULL && (f->pj->running || !f->pj->failed)) {
		/* the end of the document, on the worker after the data;
		 * on_parsed then submits the poll */
		f->pj->end_due = 1;
		if (!f->pj->running)
			pjob_kick(f->pj);
		return;
	}
	if (f->res.store)
		result_fail(&f->res, "%s",
			    f->ing_err      ? f->ing_err
			    : f->pj == NULL ? "empty response body"
					    : f->pj->err);
	pjob_detach(f);
	writer_submit(f->p->writer, &f->job, on_stored);
}

/* The whole body was parsed (or refused): the poll goes to the writer. */
static void
on_parsed(struct poll_feed *f)
{
	struct poll_parse *pj = f->pj;

	if (pj->ended) {
		f->ing = pj->ing;
		pj->ing = NULL;
		f->job.ing = f->ing;
	} else {
		result_fail(&f->res, "%s", pj->err);
	}
	pjob_detach(f);
	writer_submit(f->p->writer, &f->job, on_stored);
}

/* Polls f now, or queues it behind the polls in flight (max_connections,
 * max_per_host); does nothing while f is polled or being recorded. */
static void
poll_start(struct poll_feed *f)
{
	struct poller *p = f->p;
	char err[256];
	struct fetch_request_opts ro = {
		.url = f->url,
		/* file:// only for the URL the user wrote, never where a server
		 * moved the feed. */
		.allow_file = strcmp(f->url, f->config_url) == 0,
		.proxy = f->http.proxy,
		.user_agent = f->http.user_agent,
		.cookie = f->http.cookie,
		.username = f->http.username,
		.password = f->http.password,
		.headers = f->http.headers,
		.nheaders = f->http.nheaders,
		.data_cb = on_data,
		.done_cb = on_done,
		.user = f,
	};

	/* Still being recorded (the writer has its response): this poll
	 * would come too soon anyway. */
	if (f->req || f->pj || f->wait.on || writer_job_pending(p->writer, &f->job) ||
	    p->stopping || f->merging)
		return;
	if (f->announce) {
		/* Moved before, and feeds.conf still says otherwise: the owner
		 * tries again, and may merge it away instead of this poll. */
		f->announce = 0;
		if (p->cb.moved)
			p->cb.moved(p->cb.user, f->id, f->url);
		if (f->merging) {
			/* --once counts it done: it will not be polled. */
			if (p->opt.once && p->cb.recorded)
				p->cb.recorded(p->cb.user, f, 0);
			return;
		}
	}
	if (host_paused(f))
		return;
	if (p->inflight >= poll_cap(p) || host_full(p, f)) {
		wait_push(p, f);
		return;
	}
	/* A reopened database brings its own validators (the old strings are
	 * freed): take them after the writer checked the file. */
	writer_store(p->writer);
	if ((f->etag && !fetch_validator_ok(f->etag)) ||
	    (f->last_modified && !fetch_validator_ok(f->last_modified))) {
		/* stored before validators were checked (issue 28): it made
		 * every poll fail; now it is dropped, here and in the store */
		log_warn("feed %s: its stored ETag or Last-Modified is too long or holds a "
			 "control character: dropped, this poll is a full GET",
			 f->id);
		replace_str(&f->etag, NULL);
		replace_str(&f->last_modified, NULL);
		f->bad_validators = 1;
	}
	ro.etag = f->etag;
	ro.last_modified = f->last_modified;
	replace_str(&f->ing_err, NULL);
	f->req = fetch_start(p->fetch, &ro, err, sizeof err);
	f->started_ms = uv_now(p->loop);
	if (f->req == NULL) {
		struct fetch_outcome out = {
			.error = FETCH_ERR_TRANSFER, .error_text = err, .retry_after = -1};
		on_done(NULL, &out, f);
		return;
	}
	slot_take(f, 1);
}

static void
on_due(struct sched *s, struct sched_entry *e, void *user)
{
	(void)s;
	(void)user;
	poll_start(e->data);
}

int
poll_refresh(struct poller *p, const char *id)
{
	uint64_t now = uv_now(p->loop), floor = (uint64_t)p->opt.min_interval * 1000;
	int found = 0;

	for (size_t i = 0; i < p->nfeeds; i++) {
		struct poll_feed *f = p->feeds[i];

		if (id && strcmp(f->id, id) != 0)
			continue;
		found = 1;
		/* min_interval holds for refresh too (issue #28: a client in a
		 * loop made 15,669 requests to one host in 10 s): a feed polled
		 * less than that ago is polled once it has passed. */
		if (f->started_ms && now - f->started_ms < floor) {
			if (!f->req && !f->wait.on)
				feed_schedule(f, floor - (now - f->started_ms));
			continue;
		}
		sched_remove(p->sched, &f->entry);
		poll_start(f);
	}
	return found || id == NULL ? 0 : -ENOENT;
}

void
poll_lost(struct poller *p, struct writer_job *const *jobs, size_t n, const char *why)
{
	char msg[600];

	for (size_t i = 0; i < p->nfeeds; i++) {
		replace_str(&p->feeds[i]->etag, NULL);
		replace_str(&p->feeds[i]->last_modified, NULL);
	}
	snprintf(msg, sizeof msg, "not stored: %s", why);
	for (size_t i = 0; i < n; i++) {
		struct poll_feed *f = jobs[i]->data;
		struct poll_result none = {.error = FETCH_ERR_TRANSFER, .retry_after = -1};
		unsigned delay;

		f->failures++;
		delay = feed_delay(f, -1);
		feed_record(f, &none, msg, NULL, delay, 0);
		log_failure(f, msg, delay);
		if (!f->req && !f->wait.on)
			feed_schedule(f, (uint64_t)delay * 1000);
	}
}

/* ---- merging a feed into another ---- */

struct poll_merge {
	struct writer_job job;
	struct poller *p;
	char *from, *into;
	struct store_merge_counts counts;
	poll_merge_cb done;
	void *arg;
};

static void
merge_free(struct poll_merge *m)
{
	free(m->from);
	free(m->into);
	free(m);
}

/* The worker: nothing but the store and m. */
static int
merge_work(struct store *st, void *data, char *err, size_t errlen)
{
	struct poll_merge *m = data;

	return store_feeds_merge(st, m->from, m->into, &m->counts, err, errlen);
}

/* The loop, the worker idle: the index held the deleted copies and the
 * old feed's name for the items that moved. */
static void
merge_done(struct writer_job *job, int rc, const char *why, const struct ingest_counts *c)
{
	struct poll_merge *m = job->data;
	const struct store_merge_counts *mc = &m->counts;

	(void)c;
	if (rc == 0) {
		writer_drop_index(m->p->writer);
		log_info("feed %s: merged into feed %s: %lld items moved, %lld duplicates dropped "
			 "(read and starred marks kept), %lld stories merged",
			 m->from, m->into, (long long)mc->moved, (long long)mc->duplicates,
			 (long long)mc->stories_merged);
	} else {
		log_err("feed %s: cannot merge it into feed %s: %s", m->from, m->into,
			why ? why : "?");
	}
	if (m->done)
		m->done(m->arg, m->from, m->into, rc, why ? why : "?", mc);
	merge_free(m);
}

/* f is merged away: no poll of it starts again, and one in flight stops
 * (nothing of it stored). */
static void
feed_park(struct poll_feed *f)
{
	struct poller *p = f->p;

	f->merging = 1;
	f->announce = 0;
	if (p->sched)
		sched_remove(p->sched, &f->entry);
	wait_unlink(p, f);
	if (f->req || f->pj) {
		if (f->req)
			fetch_cancel(f->req);
		f->req = NULL;
		pjob_detach(f);
		slot_take(f, 0);
		wait_pump(p);
	}
}

int
poll_merge(struct poller *p, const char *from, const char *into, poll_merge_cb done, void *arg)
{
	struct poll_merge *m = calloc(1, sizeof *m);

	if (m == NULL || (m->from = strdup(from)) == NULL || (m->into = strdup(into)) == NULL) {
		if (m)
			merge_free(m);
		return -ENOMEM;
	}
	m->p = p;
	m->done = done;
	m->arg = arg;
	m->job.work = merge_work;
	m->job.data = m;
	for (size_t i = 0; i < p->nfeeds; i++)
		if (strcmp(p->feeds[i]->id, from) == 0)
			feed_park(p->feeds[i]);
	writer_submit(p->writer, &m->job, merge_done);
	return 0;
}

/* ---- the feed set ---- */

static void
http_clear(struct feed_http *h)
{
	free(h->proxy);
	free(h->user_agent);
	free(h->cookie);
	free(h->username);
	if (h->password)
		explicit_bzero(h->password, strlen(h->password));
	free(h->password);
	for (size_t i = 0; i < h->nheaders; i++)
		free(h->headers[i]);
	free(h->headers);
	memset(h, 0, sizeof *h);
}

static void
feed_free(struct poll_feed *f)
{
	if (f == NULL)
		return;
	if (f->req)
		fetch_cancel(f->req);
	pjob_detach(f);
	slot_take(f, 0);
	wait_unlink(f->p, f);
	writer_forget(f->p->writer, &f->job);
	sched_remove(f->p->sched, &f->entry);
	result_clear(&f->res);
	ingest_free(f->ing);
	free(f->ing_err);
	free(f->id);
	free(f->config_url);
	free(f->url);
	free(f->etag);
	free(f->last_modified);
	http_clear(&f->http);
	free(f);
}

static int
dup_opt(char **to, const char *from)
{
	return from && (*to = strdup(from)) == NULL ? -1 : 0;
}

/* f takes cf's HTTP settings (the global proxy and user agent where cf
 * sets none). 0, or -1 when memory runs out (f keeps the old ones). */
static int
feed_http_set(struct poll_feed *f, const struct config_feed *cf, const struct config *cfg)
{
	struct feed_http h = {0};

	if (dup_opt(&h.proxy, cf->proxy ? cf->proxy : cfg->proxy) < 0 ||
	    dup_opt(&h.user_agent, cf->user_agent) < 0 || dup_opt(&h.cookie, cf->cookie) < 0 ||
	    dup_opt(&h.username, cf->username) < 0 || dup_opt(&h.password, cf->password) < 0 ||
	    (cf->nheaders && (h.headers = calloc(cf->nheaders, sizeof *h.headers)) == NULL))
		goto fail;
	for (; h.nheaders < cf->nheaders; h.nheaders++)
		if ((h.headers[h.nheaders] = strdup(cf->headers[h.nheaders])) == NULL)
			goto fail;
	http_clear(&f->http);
	f->http = h;
	return 0;
fail:
	http_clear(&h);
	return -1;
}

static struct poll_feed *
feed_new(struct poller *p, const struct config_feed *cf, unsigned interval)
{
	struct poll_feed *f = calloc(1, sizeof *f);

	if (f == NULL)
		return NULL;
	f->p = p;
	f->id = strdup(cf->id);
	f->config_url = strdup(cf->url);
	f->url = strdup(cf->url);
	f->interval = interval;
	f->host = -1;
	f->job.data = f;
	sched_entry_init(&f->entry, f);
	if (f->id == NULL || f->config_url == NULL || f->url == NULL) {
		feed_free(f);
		return NULL;
	}
	return f;
}

/* Where a feed starts: validators and failure count from the store, and its
 * next poll from the stored time (or soon, spread out, when that is past). */
static int
feed_load(struct poll_feed *f, const struct store_feed *sf)
{
	struct poller *p = f->p;
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
	if (p->opt.once)
		delay = 0;
	else if (sf && sf->next_poll > now)
		delay = (uint64_t)(sf->next_poll - now) * 1000;
	else /* Due: start within a few seconds, not all at the same instant. */
		delay = (uint64_t)(rng_unit(p) * 5000.0);
	return sched_set(p->sched, &f->entry, delay);
}

static int
cmp_feed_id(const void *a, const void *b)
{
	return strcmp((*(struct poll_feed *const *)a)->id, (*(struct poll_feed *const *)b)->id);
}

static int
cmp_state_id(const void *a, const void *b)
{
	return strcmp((*(const struct store_feed *const *)a)->id,
		      (*(const struct store_feed *const *)b)->id);
}

/* The element of sorted v (n) whose id is id, or NULL. */
static const void *
find_sorted(const void *v, size_t n, size_t size, const char *id,
	    const char *(*key)(const void *elem))
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const void *e = (const char *)v + mid * size;
		int c = strcmp(id, key(e));

		if (c == 0)
			return e;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static const char *
feed_key(const void *e)
{
	return (*(struct poll_feed *const *)e)->id;
}

static const char *
state_key(const void *e)
{
	return (*(const struct store_feed *const *)e)->id;
}

/* sl's rows by id, sorted, for lookups in O(log n). NULL when memory
 * runs out. */
static const struct store_feed **
states_sorted(const struct store_feed_list *sl)
{
	size_t n = sl ? sl->n : 0;
	const struct store_feed **v = malloc((n + 1) * sizeof *v);

	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = &sl->v[i];
	qsort(v, n, sizeof *v, cmp_state_id);
	return v;
}

static const struct store_feed *
state_find(const struct store_feed **v, size_t n, const char *id)
{
	const struct store_feed *const *e = find_sorted(v, n, sizeof *v, id, state_key);

	return e ? *e : NULL;
}

/* Linear in the feeds (and n log n to sort): a reload of 40,000 feeds
 * must not stall the loop. */
int
poll_sync(struct poller *p, const struct config *cfg, const struct store_feed_list *sl)
{
	struct poll_feed **nv = calloc(cfg->nfeeds + 1, sizeof *nv);
	struct poll_feed **old = malloc((p->nfeeds + 1) * sizeof *old);
	const struct store_feed **st = states_sorted(sl);
	size_t n = 0, nst = sl ? sl->n : 0;
	int rc = -1;

	if (nv == NULL || old == NULL || st == NULL)
		goto out;
	if (p->nfeeds > 0) /* p->feeds is NULL before the first sync */
		memcpy(old, p->feeds, p->nfeeds * sizeof *old);
	qsort(old, p->nfeeds, sizeof *old, cmp_feed_id);
	for (size_t i = 0; i < p->nfeeds; i++)
		p->feeds[i]->kept = 0;
	for (size_t i = 0; i < cfg->nfeeds; i++) {
		const struct config_feed *cf = &cfg->feeds[i];
		struct poll_feed *const *e =
			find_sorted(old, p->nfeeds, sizeof *old, cf->id, feed_key);
		struct poll_feed *f = e ? *e : NULL;
		unsigned iv = cf->interval ? cf->interval : cfg->interval;

		/* The same URL, or feeds.conf caught up with a move: the same
		 * feed, validators and all. */
		if (f && (strcmp(f->config_url, cf->url) == 0 || strcmp(f->url, cf->url) == 0)) {
			if ((strcmp(f->config_url, cf->url) != 0 &&
			     replace_str(&f->config_url, cf->url) < 0) ||
			    feed_http_set(f, cf, cfg) < 0)
				goto fail;
			nv[n++] = f;
			f->kept = 1;
			if (iv == f->interval)
				continue;
			/* A changed interval applies from now on. */
			f->interval = iv;
			if (!f->req)
				feed_schedule(f, (uint64_t)feed_delay(f, -1) * 1000);
			continue;
		}
		if ((f = feed_new(p, cf, iv)) == NULL || feed_http_set(f, cf, cfg) < 0 ||
		    feed_load(f, state_find(st, nst, cf->id)) < 0) {
			feed_free(f);
			goto fail;
		}
		nv[n++] = f;
	}
	/* Whatever is left of the old set was removed or changed its URL. */
	for (size_t i = 0; i < p->nfeeds; i++)
		if (!p->feeds[i]->kept)
			feed_free(p->feeds[i]);
	/* Polled elsewhere than cfg says: moved, and the file was not
	 * rewritten (or is not yet). */
	for (size_t i = 0; i < n; i++)
		nv[i]->announce = !nv[i]->merging && strcmp(nv[i]->url, nv[i]->config_url) != 0;
	free(p->feeds);
	p->feeds = nv;
	p->nfeeds = n;
	nv = NULL;
	rc = 0;
	goto out;
fail:
	for (size_t j = 0; j < n; j++)
		if (!nv[j]->kept)
			feed_free(nv[j]);
out:
	free(nv);
	free(old);
	free(st);
	return rc;
}

int
poll_load_validators(struct poller *p, const struct store_feed_list *sl)
{
	const struct store_feed **st = states_sorted(sl);
	int rc = 0;

	if (st == NULL)
		return -1;
	for (size_t i = 0; i < p->nfeeds && rc == 0; i++) {
		struct poll_feed *f = p->feeds[i];
		const struct store_feed *sf = state_find(st, sl->n, f->id);

		if (replace_str(&f->etag, sf ? sf->etag : NULL) < 0 ||
		    replace_str(&f->last_modified, sf ? sf->last_modified : NULL) < 0)
			rc = -1;
	}
	free(st);
	return rc;
}

size_t
poll_count(const struct poller *p)
{
	return p->nfeeds;
}

void
poll_totals(const struct poller *p, uint64_t *polls, uint64_t *failed)
{
	*polls = p->polls;
	*failed = p->polls_failed;
}

const char *
poll_feed_id(const struct poll_feed *f)
{
	return f->id;
}

/* ---- life ---- */

struct poller *
poll_new(uv_loop_t *loop, struct fetch *fetch, struct writer *w, const struct poll_options *o,
	 const struct poll_callbacks *cb, char *err, size_t errlen)
{
	struct poller *p = calloc(1, sizeof *p);

	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->loop = loop;
	p->fetch = fetch;
	p->writer = w;
	p->opt = *o;
	p->cb = *cb;
	p->rng = ((uint64_t)time(NULL) << 20) ^ (uint64_t)uv_os_getpid() ^ 0x9e3779b97f4a7c15ULL;
	if ((p->sched = sched_new(loop, on_due, p, err, errlen)) == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

void
poll_set_options(struct poller *p, const struct poll_options *o)
{
	p->opt = *o;
}

void
poll_stop(struct poller *p)
{
	if (p == NULL || p->stopping)
		return;
	p->stopping = 1;
	for (size_t i = 0; i < p->nfeeds; i++) {
		struct poll_feed *f = p->feeds[i];

		/* An unfinished response is dropped whole: nothing half-stored. */
		if (f->req) {
			fetch_cancel(f->req);
			f->req = NULL;
		}
		/* ...and so is one still being parsed */
		pjob_detach(f);
		wait_unlink(p, f);
		/* Finished responses still go into the store (the writer
		 * drains its queue before the loop ends). */
		if (!writer_job_pending(p->writer, &f->job)) {
			ingest_free(f->ing);
			f->ing = NULL;
			slot_take(f, 0);
		}
	}
	sched_close(p->sched);
	p->sched = NULL;
}

void
poll_free(struct poller *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nfeeds; i++)
		feed_free(p->feeds[i]);
	free(p->feeds);
	for (size_t i = 0; i < p->nhosts; i++)
		free(p->hosts[i].name);
	free(p->hosts);
	free(p);
}
