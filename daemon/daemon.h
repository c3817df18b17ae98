/* daemon: the one context that owns the loop and everything hanging off it.
 *
 * struct herald holds the configuration, the store, the story index, the
 * fetcher, the scheduler, the control socket, the signal handles and the
 * runtime state of every feed. Each libuv handle belongs to exactly one of
 * those and is closed by its owner's close path during herald_stop(). */
#ifndef HERALD_DAEMON_H
#define HERALD_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "fetch.h"
#include "ingest.h"
#include "scheduler.h"

struct store;
struct story_index;
struct fetch;
struct fetch_request;
struct control;
struct ingest;

struct herald_options {
	const char *config_path; /* NULL: config_default_path() */
	const char *database;    /* overrides the config's; NULL = not set */
	const char *socket;
	int foreground;
	int once; /* poll every feed once, then exit */
	int verbose;
	int ready_fd; /* >= 0: write one status byte there once started
		       * (0) or failed (1), then close it (detach) */
};

/* A feed's place in one of the daemon's queues (struct feed_fifo). */
struct feed_link {
	struct herald_feed *next;
	int on; /* in the queue */
};

/* An intrusive FIFO of feeds; off is the offset of its struct feed_link in
 * struct herald_feed, so a feed can wait in several queues at once. */
struct feed_fifo {
	struct herald_feed *head, *tail;
	size_t off;
};

/* One configured feed's runtime state. */
struct herald_feed {
	struct herald *h;
	char *id;
	char *config_url;  /* as written in feeds.conf */
	char *url;         /* polled: config_url, or where a 301/308 moved it */
	unsigned interval; /* seconds: the feed's, else the global one */
	char *etag, *last_modified;
	unsigned failures; /* consecutive */
	unsigned ttl;      /* the feed's <ttl>, seconds; 0 = none */
	struct sched_entry entry;
	struct fetch_request *req; /* the poll in flight, or NULL */
	struct ingest *ing;        /* its body's ingest, once data arrived */
	char *ing_err;             /* why the body was refused, or NULL (owned) */
	uint64_t started_ms;
	int polled;            /* counted for --once */
	struct feed_link wait; /* due, queued behind the polls in flight */
	int slot;              /* counted in inflight until recorded */
	int host;              /* index in h->hosts of url's host, or -1 */
	const char *host_url;  /* the url host was found for (stale if not url) */

	/* A finished poll, waiting in the writer's queue to be recorded. Its
	 * strings are owned; error texts are allocated only when a poll fails,
	 * so 10,000 quiet feeds carry no message buffers. */
	struct poll_result {
		enum fetch_error error;
		long status, retry_after;
		int not_modified;
		int store;     /* a body to store */
		int truncated; /* ...that was cut short (its whole items stored) */
		int failed;    /* storing failed... */
		char *why;     /* ...and why (NULL if no text could be kept) */
		char *error_text, *etag, *last_modified, *moved_to;
	} res;
	struct feed_link done; /* in the writer's queue */
};

struct herald {
	uv_loop_t loop;
	struct herald_options opt;
	char *config_path;
	struct config cfg;
	char *db_path, *sock_path;

	struct store *store;
	struct story_index *story;
	struct fetch *fetch;
	struct sched *sched;
	struct control *control;
	uv_signal_t sig_hup, sig_term, sig_int;
	uv_timer_t watchdog;
	uv_timer_t flush_timer; /* commits the store's batch shortly after
				 * the first response stored in it */
	int flush_on;
	struct herald_feed **batch_feeds; /* whose responses the batch holds */
	size_t nbatch, batch_cap;

	/* The writer. Finished polls are recorded one at a time, in the order
	 * they finished. A response's items are stored on a worker thread
	 * (uv_queue_work), and so are batch commits, so that the loop goes on
	 * fetching, parsing and answering; while one runs, nothing on the
	 * loop thread touches the store or the story index: store requests
	 * on the socket are held (control_hold), a flush or a SIGHUP reload
	 * waits for the work to end. */
	struct feed_fifo doneq;
	uv_work_t work;
	enum { WORK_NONE, WORK_STORE, WORK_FLUSH } working;
	struct herald_feed *work_feed;
	struct ingest_counts work_counts;
	int work_rc, work_batched;
	char work_err[512];
	int pumping, flush_due, reload_due;
	size_t nstories; /* the story index's, for the status line */
	int signals_on, watchdog_on;

	struct herald_feed **feeds;
	size_t nfeeds;
	/* At most max_connections polls run at once, counting those whose
	 * response waits for the writer; due feeds wait in FIFO order, so
	 * memory (one response per poll) stays bounded whatever the number of
	 * feeds, file:// ones included, and however far storing lags behind. */
	unsigned inflight;
	struct feed_fifo waitq;
	int wait_pumping;
	/* Polls holding a slot, per host (max_per_host; see host_full). */
	struct herald_host {
		char *name;
		unsigned n;
	} * hosts;
	size_t nhosts, hosts_cap;

	uint64_t rng;    /* xorshift state for jitter */
	int64_t started; /* Unix seconds */
	int stopping;
	unsigned once_pending;
	int once_failed;
	int exit_code;
	uint64_t polls, polls_failed;
};

/* Runs the daemon until SIGTERM/SIGINT (or, with opt->once, until every feed
 * was polled once). Returns the process exit status: 0, 1 on a start-up error
 * (printed), 2 when --once saw a feed fail. */
int herald_main(const struct herald_options *opt);

/* Re-reads the configuration: added feeds start, removed ones stop (their
 * items stay), changed ones apply. A bad file is refused with its errors in
 * *errors (malloc'd, caller frees) and the running configuration stays. */
int herald_reload(struct herald *h, char **errors);

/* Polls one feed (id) or every feed (NULL) now. STORE-style: 0, or -1 when
 * the id is unknown. */
int herald_refresh(struct herald *h, const char *id);

/* Begins an orderly stop: transfers aborted, the socket closed, the loop
 * left to drain. Safe to call more than once. */
void herald_stop(struct herald *h);

/* Before writing: when the database file was deleted or replaced under the
 * daemon, logs it and reopens the file at the configured path. 0, or -1
 * (logged) when that fails. */
int herald_check_store(struct herald *h);

/* Commits the store's open batch of responses now (see daemon.c), so that
 * what a client reads is what a crash would leave. */
void herald_flush(struct herald *h);

/* Finds a feed by id, or NULL. */
struct herald_feed *herald_feed_find(struct herald *h, const char *id);

#endif
