/* poller (public prefix poll_; the file is not called poll.h because that
 * would shadow the system <poll.h> on our include path): every configured
 * feed's polls, from admission to the recorded outcome.
 *
 * The poller keeps the runtime state of each feed of the configuration
 * (poll_sync), fires each on its schedule (a sched timer heap), admits due
 * feeds behind max_connections and a per-host gate (a FIFO wait queue),
 * streams each body into the feed's ingest as fetch delivers it, hands the
 * finished poll to the writer, and, when the writer's turn for it came,
 * records its outcome (status row, validators, backoff, log line, next
 * poll). It knows the writer and fetch, nothing of the socket or the
 * daemon: the daemon hears of each recorded poll through a callback. */
#ifndef HERALD_POLLER_H
#define HERALD_POLLER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct config;
struct fetch;
struct poller;
struct poll_feed;
struct store;
struct store_feed_list;
struct writer;
struct writer_job;

struct poll_options {
	unsigned max_connections; /* polls at once, counting those waiting for
				   * the writer; 0: the configuration's default */
	unsigned max_per_host;    /* 0: the configuration's default */
	unsigned min_interval;    /* seconds: no feed is polled more often */
	int once;                 /* poll every feed once, schedule nothing */
};

struct poll_callbacks {
	/* f's poll was recorded; failed says whether it counts as failed. */
	void (*recorded)(void *user, const struct poll_feed *f, int failed);
	void *user;
};

/* loop, fetch and w are borrowed and must outlive the poller; o and cb are
 * copied. NULL with err when memory runs out. */
struct poller *poll_new(uv_loop_t *loop, struct fetch *fetch, struct writer *w,
			const struct poll_options *o, const struct poll_callbacks *cb, char *err,
			size_t errlen);

/* New limits (a reload); the polls in flight keep their slots. */
void poll_set_options(struct poller *p, const struct poll_options *o);

/* Makes the feed set match cfg: feeds keep their state when their URL
 * carries over (a changed interval applies from now on); new ones start
 * from their stored state in sl (validators, failures, next poll), or soon
 * when they have none; removed ones stop (a poll in flight is cancelled and
 * nothing of it is stored). 0, or -1 when memory runs out (nothing
 * changed). */
int poll_sync(struct poller *p, const struct config *cfg, const struct store_feed_list *sl);

/* Every feed takes its validators from sl (a reopened database file). 0,
 * or -1 when memory runs out. */
int poll_load_validators(struct poller *p, const struct store_feed_list *sl);

/* Polls one feed (id) or every feed (NULL) now. 0, or -ENOENT. */
int poll_refresh(struct poller *p, const char *id);

/* The writer's lost callback: the batch holding the responses of jobs went
 * with a failed commit (writer.h). Every feed forgets its validators; those
 * whose responses were lost count a failure and are polled again. */
void poll_lost(struct poller *p, struct writer_job *const *jobs, size_t n, const char *why);

size_t poll_count(const struct poller *p);
/* Polls finished since the start, and of those the failed ones. */
void poll_totals(const struct poller *p, uint64_t *polls, uint64_t *failed);

/* The feed's id (borrowed). */
const char *poll_feed_id(const struct poll_feed *f);

/* Begins an orderly stop: transfers in flight cancelled (nothing of them
 * stored), schedule closed; finished responses still waiting for the
 * writer are kept and stored. Call before fetch_shutdown. */
void poll_stop(struct poller *p);

/* Frees every feed; the loop must have ended. Safe on NULL. */
void poll_free(struct poller *p);

#endif
