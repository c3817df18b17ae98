/* writer: the single owner of the database handle, the story index, the
 * group-commit batch and the worker thread.
 *
 * Finished polls are handed over as jobs (writer_submit) and taken one at a
 * time, in the order they were submitted. A job with a body has it stored
 * and folded on a worker thread (uv_queue_work), so that the loop goes on
 * fetching, parsing and answering; a batch commit runs there too. While the
 * worker holds the store, nothing else may touch it or the story index:
 * writer_store() and writer_batch() return NULL then, writer_flush() says
 * -EBUSY, and the busy callback told the owner (which holds the socket's
 * requests) when the worker took it and tells again when it gives it back.
 *
 * Group commit (store.h): responses are stored in one open transaction,
 * committed WRITER_FLUSH_MS after the first or every WRITER_FLUSH_MAX
 * responses. A crash loses at most that much, and nothing for good: the
 * feeds' new validators are in the same transaction, so they are polled
 * again in full. A commit that fails loses the batch: the lost callback
 * names the jobs whose responses went with it, and the story index is
 * dropped (it is rebuilt from the store when next needed).
 *
 * Every callback runs on the loop thread, with the store the loop's. */
#ifndef HERALD_WRITER_H
#define HERALD_WRITER_H

#include <stddef.h>
#include <uv.h>

#include "ingest.h"

struct store;
struct story_params;
struct writer;
struct writer_job;

#define WRITER_FLUSH_MS  250
#define WRITER_FLUSH_MAX 64

/* A job's turn came: rc is 0 and c its counts when its body was stored (or
 * it had none), -1 with why (borrowed for the call) when storing failed and
 * nothing of it is in the store. The job is the caller's again. */
typedef void (*writer_done_cb)(struct writer_job *job, int rc, const char *why,
			       const struct ingest_counts *c);

/* Other work on the store (a reload's feeds table), run on the worker in
 * its job's turn, after the open batch was committed: it may begin and end
 * transactions of its own. It must touch nothing but st and data. 0, or a
 * negative code with err. */
typedef int (*writer_work_fn)(struct store *st, void *data, char *err, size_t errlen);

/* One piece of work in the queue, embedded in its owner's struct
 * (intrusive: the writer never allocates or frees it): a finished poll
 * (ing: its ended document, borrowed until done runs; NULL: nothing to
 * store) or other work (work, with ing NULL). Set those and data; the rest
 * is the writer's. */
struct writer_job {
	struct ingest *ing;
	writer_work_fn work;
	void *data;
	/* the writer's */
	writer_done_cb done;
	struct writer_job *next;
	int queued;
};

struct writer_callbacks {
	/* The open batch could not be committed: the store holds what it held
	 * before it. jobs (n, borrowed) are those whose responses went with
	 * it; the status rows written since the batch opened are gone too. */
	void (*lost)(void *user, struct writer_job *const *jobs, size_t n, const char *why);
	/* on = 1: the worker took the store; on = 0: it is the loop's again
	 * (between two pieces of work, and when the queue is empty). */
	void (*busy)(void *user, int on);
	/* The database file was deleted or replaced under the daemon and the
	 * writer reopened it at its path: the owner brings the new file up to
	 * date (feeds, validators). 0, or -1 with err. */
	int (*reopened)(void *user, struct store *st, char *err, size_t errlen);
	void *user;
};

/* Locks the database for this process (PATH.lock, flock: a second writer
 * on the same file, in any process, is refused with the first one's pid),
 * opens (creating and migrating) it and arms the flush timer on loop. params (copied, language included) are the story index's,
 * built when a response is first stored. cb is copied. 0 and *out, or -1
 * with err. */
int writer_new(uv_loop_t *loop, const char *path, const struct story_params *params,
	       const struct writer_callbacks *cb, struct writer **out, char *err, size_t errlen);

/* Queues job; done is called when its turn came and its body (if any) was
 * stored or refused. It may be called before writer_submit returns. */
void writer_submit(struct writer *w, struct writer_job *job, writer_done_cb done);

/* 1 while job is queued or being stored: its owner keeps it until done. */
int writer_job_pending(const struct writer *w, const struct writer_job *job);

/* Takes job out of the queue (it will not be stored or completed) and out
 * of the batch's list; job must not be the one the worker is storing. */
void writer_forget(struct writer *w, struct writer_job *job);

/* The store for reading and for writes that must be durable when they
 * return, after checking that the database file is still the one at the
 * path (else it is reopened, see reopened) and still an SQLite database.
 * NULL while the worker holds it, and while the file cannot be written to
 * (writer_fault says why, when it is no longer a database). */
struct store *writer_store(struct writer *w);

/* Why the database is refused, or NULL: the file at the path was
 * overwritten with something that is no SQLite database (issue #28).
 * Static. */
const char *writer_fault(const struct writer *w);

/* The store with the batch open, for a write that may wait for the next
 * commit (a poll's status row): it is lost, and reported, with the batch.
 * NULL while the worker holds it. */
struct store *writer_batch(struct writer *w);

/* Commits the open batch now, so that what a client reads is what a crash
 * would leave. 0 (also when no batch is open), -EBUSY while the worker
 * holds the store (the commit then follows the worker's piece of work), or
 * -EIO when the commit failed (reported through lost). */
int writer_flush(struct writer *w);

/* 1 while the worker holds the store. */
int writer_busy(const struct writer *w);

/* Story parameters for the next rebuild of the index (copied). 0, -EBUSY
 * while the worker holds the store (it may be rebuilding from them), or
 * -ENOMEM (the old ones stay). */
int writer_set_story_params(struct writer *w, const struct story_params *params);

/* Stories in the index's window (0 before it was built). */
size_t writer_story_count(const struct writer *w);

/* Drops the story index, to be rebuilt from the store when next needed:
 * after work that deleted items or gave them another feed (a work job's
 * done callback, when the worker is idle). 0, or -EBUSY while the worker
 * holds the store (it may be using the index). */
int writer_drop_index(struct writer *w);

/* Begins an orderly stop: the batch is committed (now, or after the
 * worker's piece of work), the flush timer closed, and later responses are
 * committed one by one. Queued jobs are still stored. Safe to call twice. */
void writer_stop(struct writer *w);

/* Closes the store and frees the index. The loop must have ended (no work
 * in flight) and the flush timer be closed (writer_stop, or uv_walk). */
void writer_free(struct writer *w);

#endif
