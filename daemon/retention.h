/* retention: when the purge runs (store.h, "Retention", says what it
 * removes). Shortly after start and then once a day by itself, and when a
 * client asks (`herald purge [--dry-run]`). A run is a chain of writer jobs
 * (writer.h), one chunk of at most chunk_rows items each, run on the
 * worker in their turn; the loop only schedules the next one when one
 * ends. Between two chunks the writer gives the store back, so responses
 * are stored and held requests answered meanwhile: a request waits at most
 * one chunk (a few milliseconds, docs/performance.md).
 *
 * Runs happen one at a time. A request joins the run of its kind (dry or
 * not) that is going, or waits for the next one; the daily run is skipped
 * when one is going or waiting. Every callback runs on the loop thread. */
#ifndef HERALD_RETENTION_H
#define HERALD_RETENTION_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct config;
struct store_purge_counts;
struct writer;
struct retention;

#define RETENTION_FIRST_DELAY_MS (5 * 60 * 1000)    /* after start */
#define RETENTION_PERIOD_MS      (24 * 3600 * 1000) /* then */
#define RETENTION_CHUNK_ROWS     32                 /* items per chunk */
/* Nothing first seen within the story index's window and this long is
 * purged, so the index never holds a purged item (docs/configuration.md). */
#define RETENTION_SPARE_EXTRA (24 * 3600)

struct retention_options {
	unsigned first_delay_ms; /* 0: RETENTION_FIRST_DELAY_MS */
	unsigned period_ms;      /* 0: RETENTION_PERIOD_MS */
	unsigned chunk_rows;     /* 0: RETENTION_CHUNK_ROWS */
	/* The time a run measures ages from, Unix seconds; NULL: time().
	 * Tests and the benchmark move it. */
	int64_t (*clock)(void *user);
	void *clock_user;
};

/* A run ended: rc 0 and its counts, or a negative code with why (borrowed
 * for the call): -ECANCELED (the daemon stops), -EIO (the database; what
 * the chunks before committed stays done), -ENOMEM. */
typedef void (*retention_done_cb)(void *arg, int rc, const char *why,
				  const struct store_purge_counts *c);

/* Arms the timer on loop. w and cfg are borrowed for the retention's life
 * (cfg: the running configuration, whose contents a reload replaces; a
 * run copies the keeps it needs when it starts). o may be NULL. NULL with
 * err when memory runs out. */
struct retention *retention_new(uv_loop_t *loop, struct writer *w, const struct config *cfg,
				const struct retention_options *o, char *err, size_t errlen);

/* Runs the purge (dry_run: counts only) and calls cb with what it did. 0,
 * -ENOMEM, or -ECANCELED once stopped (cb is not called then). */
int retention_run(struct retention *r, int dry_run, retention_done_cb cb, void *arg);

/* 1 while a run is going. */
int retention_running(const struct retention *r);

/* Closes the timer, answers every waiting request with -ECANCELED and
 * starts no further chunk (one that is queued in the writer still runs,
 * and ends the run). Safe on NULL and twice. */
void retention_stop(struct retention *r);

/* After the loop ended. Safe on NULL. */
void retention_free(struct retention *r);

#endif
