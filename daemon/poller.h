/* poller (public prefix poll_; the file is not called poll.h because that
 * would shadow the system <poll.h> on our include path): every configured
 * feed's polls, from admission to the recorded outcome.
 *
 * The poller keeps the runtime state of each feed of the configuration
 * (poll_sync), fires each on its schedule (a sched timer heap), admits due
 * feeds behind max_connections and a per-host gate (a FIFO wait queue),
 * streams each body into the feed's ingest as fetch delivers it (parsed on
 * the thread pool, one piece at a time, with a CPU budget), hands the
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
struct store_merge_counts;
struct writer;
struct writer_job;

struct poll_options {
	unsigned max_connections; /* polls at once, counting those waiting for
				   * the writer; 0: the configuration's default */
	unsigned max_per_host;    /* 0: the configuration's default */
	unsigned min_interval;    /* seconds: no feed is polled more often */
	int once;                 /* poll every feed once, schedule nothing */
	unsigned parse_budget_ms; /* CPU time one response's parse may take;
				   * 0: POLL_PARSE_BUDGET_MS */
};

/* A response is parsed (XML, HTML sanitizing, repair) on libuv's thread
 * pool, never on the loop thread; past this much CPU time it fails ("parsing
 * took more than its CPU budget"), nothing of it is stored and the feed
 * backs off like any failed poll. 16 MiB of ordinary feed parse in well
 * under 2 s. */
#define POLL_PARSE_BUDGET_MS 10000

struct poll_callbacks {
	/* f's poll was recorded; failed says whether it counts as failed. */
	void (*recorded)(void *user, const struct poll_feed *f, int failed);
	/* Feed id was moved to url by a permanent redirect (every hop 301 or
	 * 308): the store says so (its moved_url) and the feed is polled there
	 * from now on, but feeds.conf does not know yet. The owner makes it
	 * last: rewrites the feed's url there and reloads, or, when url is
	 * another configured feed's, calls poll_merge. Called once the poll
	 * was recorded (before recorded), and again at the feed's next turn
	 * after a poll_sync that still finds it moved (the file could not be
	 * written then, or the daemon stopped before); a feed that poll_merge
	 * took is then not polled. id and url are borrowed for the call; it
	 * may submit writer jobs, not call poll_sync. May be NULL. */
	void (*moved)(void *user, const char *id, const char *url);
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
 * carries over, or when cfg's URL is where a permanent redirect moved
 * them (feeds.conf caught up with the move: the same feed, validators and
 * all); a changed interval applies from now on. New ones start from their
 * stored state in sl (validators, failures, next poll, where a redirect
 * moved them), or soon when they have none; removed ones stop (a poll in
 * flight is cancelled and nothing of it is stored). A feed still moved
 * (polled elsewhere than cfg says) is announced again (moved) at its next
 * turn. 0, or -1 when memory runs out (nothing changed). */
int poll_sync(struct poller *p, const struct config *cfg, const struct store_feed_list *sl);

/* Every feed takes its validators from sl (a reopened database file). 0,
 * or -1 when memory runs out. */
int poll_load_validators(struct poller *p, const struct store_feed_list *sl);

/* The end of a poll_merge: rc 0 and what the store did (c), or a negative
 * code and why (borrowed for the call). from and into are borrowed too. */
typedef void (*poll_merge_cb)(void *arg, const char *from, const char *into, int rc,
			      const char *why, const struct store_merge_counts *c);

/* Feed from was moved onto the URL of feed into: from is not polled again
 * (a poll in flight is cancelled; a response already finished is still
 * stored, first), and a writer job merges its items into into's in its
 * turn (store_feeds_merge: one row per item key, the marks of both),
 * then drops the story index, which held the deleted copies (it is
 * rebuilt from the store). The outcome is logged, and done (may be NULL)
 * hears it on the loop. 0, or -ENOMEM (nothing done, done not called). */
int poll_merge(struct poller *p, const char *from, const char *into, poll_merge_cb done, void *arg);

/* Polls one feed (id) or every feed (NULL) now; a feed whose last poll
 * started less than min_interval ago is polled once min_interval has passed
 * (its next poll is moved there). 0, or -ENOENT. */
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
