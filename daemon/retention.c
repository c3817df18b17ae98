/* retention: the purge's schedule, a chain of writer jobs (retention.h). */
#include "retention.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "store.h"
#include "writer.h"

/* A request that waits for a run's end. */
struct waiter {
	retention_done_cb cb;
	void *arg;
	struct waiter *next;
};

struct run {
	struct retention *r;
	int dry_run;
	struct waiter *waiters;
	struct store_purge *pg; /* created when the run starts */
	struct writer_job job;
	/* Set by the chunk on the worker. */
	int more;
	int64_t started_ms;
};

struct retention {
	uv_loop_t *loop;
	struct writer *w;
	const struct config *cfg;
	struct retention_options o;
	uv_timer_t timer;
	int timer_on;
	int stopping;
	struct run *cur;     /* the run going, or NULL */
	struct run *next[2]; /* waiting: [0] a purge, [1] a dry run */
};

static int64_t
now_s(const struct retention *r)
{
	return r->o.clock ? r->o.clock(r->o.clock_user) : (int64_t)time(NULL);
}

static void start_next(struct retention *r);

static void
run_free(struct run *run)
{
	if (run == NULL)
		return;
	store_purge_free(run->pg);
	free(run);
}

/* Answers the run's waiters and frees it. */
static void
run_end(struct run *run, int rc, const char *why)
{
	const struct store_purge_counts *c = run->pg ? store_purge_counts(run->pg) : NULL;
	struct store_purge_counts zero = {0};
	struct waiter *wt, *next;

	for (wt = run->waiters; wt; wt = next) {
		next = wt->next;
		wt->cb(wt->arg, rc, why, c ? c : &zero);
		free(wt);
	}
	run_free(run);
}

static void
log_run(const struct run *run, int rc, const char *why)
{
	const struct store_purge_counts *c = store_purge_counts(run->pg);
	int64_t ms = (int64_t)uv_now(run->r->loop) - run->started_ms;

	if (rc < 0) {
		log_err("purge%s failed after %lld items: %s", run->dry_run ? " --dry-run" : "",
			(long long)c->items, why);
		return;
	}
	if (run->dry_run || c->items == 0) {
		log_debug("purge%s: %lld items, %lld stories, %lld bytes (%u chunks, the longest "
			  "%lld us, %lld ms in all)",
			  run->dry_run ? " --dry-run" : "", (long long)c->items,
			  (long long)c->stories, (long long)c->bytes, c->chunks,
			  (long long)c->chunk_max_us, (long long)ms);
		return;
	}
	log_info("purge: removed %lld items and %lld stories, %lld bytes freed, %lld given back "
		 "to the file system, %lld purged keys forgotten (%u chunks, the longest %lld us, "
		 "%lld ms in all)",
		 (long long)c->items, (long long)c->stories, (long long)c->bytes,
		 (long long)c->vacuumed, (long long)c->forgotten, c->chunks,
		 (long long)c->chunk_max_us, (long long)ms);
}

/* The worker: one chunk. Touches nothing but st and the run. */
static int
chunk_work(struct store *st, void *data, char *err, size_t errlen)
{
	struct run *run = data;
	int rc = store_purge_step(st, run->pg, run->r->o.chunk_rows, err, errlen);

	run->more = rc > 0;
	return rc < 0 ? -EIO : 0;
}

/* The loop: the chunk ended; the next one is queued, or the run ends. */
static void
chunk_done(struct writer_job *job, int rc, const char *why, const struct ingest_counts *c)
{
	struct run *run = job->data;
	struct retention *r = run->r;

	(void)c;
	if (rc < 0 || !run->more || r->stopping) {
		if (rc >= 0 && run->more) {
			rc = -ECANCELED;
			why = "the daemon is stopping";
		}
		log_run(run, rc, why ? why : "?");
		r->cur = NULL;
		run_end(run, rc < 0 ? rc : 0, rc < 0 ? why : NULL);
		start_next(r);
		return;
	}
	writer_submit(r->w, &run->job, chunk_done);
}

/* The keeps of every feed in the running configuration. */
static int
policy_of(const struct retention *r, int dry_run, struct store_purge **out, char *err,
	  size_t errlen)
{
	const struct config *cfg = r->cfg;
	struct store_keep *keeps = NULL;
	struct store_purge_policy p = {
		.now = now_s(r),
		.keep_read = cfg->keep_read,
		.keep_unread = cfg->keep_unread,
		.spare = cfg->fold_window + RETENTION_SPARE_EXTRA,
		.dry_run = dry_run,
	};
	int rc;

	if (cfg->nfeeds && (keeps = calloc(cfg->nfeeds, sizeof *keeps)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < cfg->nfeeds; i++)
		keeps[i] = (struct store_keep){cfg->feeds[i].id, cfg->feeds[i].keep_read,
					       cfg->feeds[i].keep_unread};
	p.feeds = keeps;
	p.nfeeds = cfg->nfeeds;
	rc = store_purge_begin(&p, out, err, errlen);
	free(keeps);
	return rc;
}

/* Starts the run that waits, a purge before a dry run, if none is going. */
static void
start_next(struct retention *r)
{
	struct run *run;
	char err[256];

	if (r->cur || r->stopping)
		return;
	for (int k = 0; k < 2 && !r->cur; k++) {
		if ((run = r->next[k]) == NULL)
			continue;
		r->next[k] = NULL;
		if (policy_of(r, run->dry_run, &run->pg, err, sizeof err) < 0) {
			run_end(run, -ENOMEM, err);
			continue;
		}
		r->cur = run;
		run->started_ms = (int64_t)uv_now(r->loop);
		run->job.work = chunk_work;
		run->job.data = run;
		writer_submit(r->w, &run->job, chunk_done);
	}
}

static struct run *
run_new(struct retention *r, int dry_run)
{
	struct run *run = calloc(1, sizeof *run);

	if (run) {
		run->r = r;
		run->dry_run = dry_run;
	}
	return run;
}

int
retention_run(struct retention *r, int dry_run, retention_done_cb cb, void *arg)
{
	struct waiter *wt, **pp;
	struct run *run;

	dry_run = dry_run != 0;
	if (r->stopping)
		return -ECANCELED;
	if ((wt = calloc(1, sizeof *wt)) == NULL)
		return -ENOMEM;
	if (r->cur && r->cur->dry_run == dry_run) {
		run = r->cur;
	} else if ((run = r->next[dry_run]) == NULL &&
		   (run = r->next[dry_run] = run_new(r, dry_run)) == NULL) {
		free(wt);
		return -ENOMEM;
	}
	wt->cb = cb;
	wt->arg = arg;
	for (pp = &run->waiters; *pp; pp = &(*pp)->next)
		;
	*pp = wt;
	start_next(r);
	return 0;
}

int
retention_running(const struct retention *r)
{
	return r->cur != NULL;
}

static void
on_timer(uv_timer_t *t)
{
	struct retention *r = t->data;

	if (r->cur || r->next[0])
		return;
	if ((r->next[0] = run_new(r, 0)) == NULL) {
		log_err("purge: out of memory, trying again tomorrow");
		return;
	}
	start_next(r);
}

struct retention *
retention_new(uv_loop_t *loop, struct writer *w, const struct config *cfg,
	      const struct retention_options *o, char *err, size_t errlen)
{
	struct retention *r = calloc(1, sizeof *r);

	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->loop = loop;
	r->w = w;
	r->cfg = cfg;
	if (o)
		r->o = *o;
	if (r->o.first_delay_ms == 0)
		r->o.first_delay_ms = RETENTION_FIRST_DELAY_MS;
	if (r->o.period_ms == 0)
		r->o.period_ms = RETENTION_PERIOD_MS;
	if (r->o.chunk_rows == 0)
		r->o.chunk_rows = RETENTION_CHUNK_ROWS;
	if (uv_timer_init(loop, &r->timer) < 0) {
		snprintf(err, errlen, "cannot create the purge timer");
		free(r);
		return NULL;
	}
	r->timer.data = r;
	r->timer_on = 1;
	uv_timer_start(&r->timer, on_timer, r->o.first_delay_ms, r->o.period_ms);
	/* The timer alone does not keep the loop running (--once). */
	uv_unref((uv_handle_t *)&r->timer);
	return r;
}

void
retention_stop(struct retention *r)
{
	if (r == NULL || r->stopping)
		return;
	r->stopping = 1;
	if (r->timer_on) {
		uv_close((uv_handle_t *)&r->timer, NULL);
		r->timer_on = 0;
	}
	for (int k = 0; k < 2; k++) {
		struct run *run = r->next[k];

		r->next[k] = NULL;
		if (run)
			run_end(run, -ECANCELED, "the daemon is stopping");
	}
	/* The run going ends when its queued chunk does (chunk_done). */
	if (r->cur) {
		struct waiter *wt = r->cur->waiters, *next;

		r->cur->waiters = NULL;
		for (; wt; wt = next) {
			next = wt->next;
			wt->cb(wt->arg, -ECANCELED, "the daemon is stopping",
			       store_purge_counts(r->cur->pg));
			free(wt);
		}
	}
}

void
retention_free(struct retention *r)
{
	if (r == NULL)
		return;
	/* The loop ended: no chunk is queued any more. */
	run_free(r->cur);
	free(r);
}
