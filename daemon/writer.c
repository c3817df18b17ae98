/* writer: the store, the story index, the batch and the worker (writer.h). */
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "ingest.h"
#include "log.h"
#include "store.h"
#include "story.h"

enum writer_work { WORK_NONE, WORK_STORE, WORK_FLUSH };

struct writer {
	uv_loop_t *loop;
	char *path;
	int lock_fd; /* PATH.lock, flock'd for the writer's life, or -1 */
	struct store *store;
	struct story_index *story; /* NULL until first needed, or dropped */
	struct story_params params;
	char *language; /* params.language's copy */
	struct writer_callbacks cb;

	/* The queue of jobs, in submission order. */
	struct writer_job *head, *tail;
	int pumping;

	/* The open batch: the jobs whose responses it holds. */
	uv_timer_t flush_timer;
	int flush_on;  /* the timer is initialised (not closed) */
	int flush_due; /* commit after the worker's piece of work */
	struct writer_job **batch;
	size_t nbatch, batch_cap;

	/* The worker's piece of work; the loop thread leaves store and story
	 * alone from work_start until work_after. */
	uv_work_t work;
	enum writer_work working;
	struct writer_job *work_job;
	struct ingest_counts work_counts;
	int work_rc, work_batched, work_folded;
	char work_err[512];
	size_t nstories;
	int seen_header; /* the file at the path was an SQLite database */
	int foreign;     /* it is something else now: nothing is written */
};

static void writer_pump(struct writer *w);

static const struct ingest_counts no_counts;

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

/* ---- the story index ---- */

static void
story_drop(struct writer *w)
{
	story_free(w->story);
	w->story = NULL;
	w->nstories = 0;
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

/* A fresh index holding the stories of the last window, read from the
 * store. Runs on the worker. 0, or -1 with err. */
static int
story_rebuild(struct writer *w, char *err, size_t errlen)
{
	struct story_index *idx;
	int64_t max_id = 0;

	if ((idx = story_new(&w->params, err, errlen)) == NULL)
		return -1;
	if (store_story_max_id(w->store, &max_id, err, errlen) < 0 ||
	    store_restore_items(w->store, now_s() - (int64_t)w->params.window, w->params.max_items,
				restore_row, idx, err, errlen) != 0) {
		if (!*err)
			snprintf(err, errlen, "%s", story_error(idx));
		story_free(idx);
		return -1;
	}
	story_set_next_id(idx, max_id + 1);
	story_free(w->story);
	w->story = idx;
	log_debug("story index: %zu items in %zu stories restored", story_count_items(idx),
		  story_count_stories(idx));
	return 0;
}

int
writer_set_story_params(struct writer *w, const struct story_params *params)
{
	char *lang;

	/* The worker may be rebuilding the index from these. */
	if (w->working)
		return -EBUSY;
	if ((lang = params->language ? strdup(params->language) : NULL) == NULL && params->language)
		return -ENOMEM;
	free(w->language);
	w->language = lang;
	w->params = *params;
	w->params.language = lang;
	return 0;
}

size_t
writer_story_count(const struct writer *w)
{
	return w->nstories;
}

int
writer_drop_index(struct writer *w)
{
	if (w->working)
		return -EBUSY;
	story_drop(w);
	return 0;
}

/* ---- the database file ---- */

/* Someone deleted or replaced the database file under the running daemon:
 * whatever it writes to the old inode is lost at the next start. Switch to
 * the file now at the path (a new empty one when it was deleted) before
 * writing. 0, or -1 when that cannot be opened (the old handle stays, and
 * the error is logged). */
/* 1 when the file at the path now holds something other than an SQLite
 * database: overwritten or cut in place (same inode), which SQLite, with
 * the file open, does not notice; it would go on acknowledging writes that
 * no restart can read (issue #28). */
static int
file_foreign(struct writer *w)
{
	static const char magic[16] = "SQLite format 3"; /* with its NUL */
	char head[16];
	ssize_t n;
	int fd = open(w->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return 0; /* gone: store_file_moved's case */
	n = pread(fd, head, sizeof head, 0);
	close(fd);
	if (n == (ssize_t)sizeof head && memcmp(head, magic, sizeof head) == 0) {
		w->seen_header = 1;
		return 0;
	}
	return n == (ssize_t)sizeof head || (n >= 0 && w->seen_header);
}

static int
check_file(struct writer *w)
{
	struct store *ns = NULL;
	char err[512] = "";

	if (w->working)
		return 0;
	if (file_foreign(w)) {
		if (!w->foreign)
			log_err("database %s is no longer an SQLite database (overwritten in "
				"place?): refusing every write until it is one again",
				w->path);
		w->foreign = 1;
		return -1;
	}
	if (w->foreign)
		log_warn("database %s is an SQLite database again: writing to it", w->path);
	w->foreign = 0;
	if (!store_file_moved(w->store))
		return 0;
	log_err("database %s was deleted or replaced while open: reopening it", w->path);
	if (store_open(w->path, &ns, err, sizeof err) < 0) {
		log_err("database %s: cannot reopen: %s", w->path, err);
		return -1;
	}
	store_close(w->store);
	w->store = ns;
	w->nbatch = 0; /* the batch went with the old file */
	story_drop(w);
	if (w->cb.reopened && w->cb.reopened(w->cb.user, ns, err, sizeof err) < 0) {
		log_err("database %s: reopened, but: %s", w->path, err);
		return -1;
	}
	return 0;
}

struct store *
writer_store(struct writer *w)
{
	if (w->working || check_file(w) < 0)
		return NULL; /* a file that cannot be written to: no store */
	return w->store;
}

const char *
writer_fault(const struct writer *w)
{
	return w->foreign ? "the database file is no longer an SQLite database: nothing is "
			    "written until it is one again"
			  : NULL;
}

int
writer_busy(const struct writer *w)
{
	return w->working != WORK_NONE;
}

/* ---- the batch ---- */

/* The batch is gone (a failed commit): the store holds what it held before
 * it; the owner forgets what it believed stored since. */
static void
batch_lost(struct writer *w, const char *why)
{
	size_t n = w->nbatch;

	w->nbatch = 0;
	story_drop(w);
	if (w->cb.lost)
		w->cb.lost(w->cb.user, w->batch, n, why);
}

static void
batch_note(struct writer *w, struct writer_job *job)
{
	if (w->nbatch == w->batch_cap) {
		size_t cap = w->batch_cap ? w->batch_cap * 2 : 64;
		struct writer_job **v = realloc(w->batch, cap * sizeof *v);

		if (v == NULL) {
			/* Without the note a failed commit cannot name this
			 * job; commit now instead. */
			writer_flush(w);
			return;
		}
		w->batch = v;
		w->batch_cap = cap;
	}
	w->batch[w->nbatch++] = job;
}

static int
flush_done(struct writer *w, int rc, const char *err)
{
	if (rc < 0) {
		log_err("database %s: cannot commit %zu responses, they will be fetched again: %s",
			w->path, w->nbatch, err);
		batch_lost(w, err);
		return -EIO;
	}
	w->nbatch = 0;
	return 0;
}

int
writer_flush(struct writer *w)
{
	char err[512] = "";

	if (w->working) {
		w->flush_due = 1; /* the worker has the store: after it */
		return -EBUSY;
	}
	w->flush_due = 0;
	if (!store_batch_is_open(w->store))
		return 0;
	return flush_done(w, store_batch_flush(w->store, err, sizeof err), err);
}

static void
on_flush(uv_timer_t *t)
{
	struct writer *w = t->data;

	/* A commit costs as much as the batch holds: on the worker. */
	w->flush_due = 1;
	writer_pump(w);
}

/* Opens the batch a write joins; without it, a transaction of its own. */
static void
batch_join(struct writer *w)
{
	char err[256] = "";

	if (!w->flush_on || store_batch_is_open(w->store))
		return;
	if (store_batch_open(w->store, err, sizeof err) < 0) {
		log_warn("database %s: %s", w->path, err);
		return;
	}
	/* A client's write or a reload may have committed the last batch
	 * inside the store (store_begin flushes it): its list is stale. */
	w->nbatch = 0;
	uv_timer_start(&w->flush_timer, on_flush, WRITER_FLUSH_MS, 0);
}

struct store *
writer_batch(struct writer *w)
{
	if (w->working || w->foreign)
		return NULL;
	batch_join(w);
	return w->store;
}

/* ---- the worker ---- */

static void
work_run(uv_work_t *req)
{
	struct writer *w = req->data;

	w->work_err[0] = '\0';
	memset(&w->work_counts, 0, sizeof w->work_counts);
	if (w->working == WORK_FLUSH) {
		w->work_rc = store_batch_flush(w->store, w->work_err, sizeof w->work_err);
		return;
	}
	if (w->work_job->work) {
		w->work_rc = w->work_job->work(w->store, w->work_job->data, w->work_err,
					       sizeof w->work_err);
		return;
	}
	/* The index is built when first needed: a warm start whose polls are
	 * all 304 never reads the window back. */
	if (w->story == NULL && story_rebuild(w, w->work_err, sizeof w->work_err) < 0) {
		w->work_rc = -1;
		return;
	}
	w->work_rc = ingest_store(w->work_job->ing, w->store, w->story, &w->work_counts,
				  w->work_err, sizeof w->work_err);
}

static void
work_after(uv_work_t *req, int status)
{
	struct writer *w = req->data;
	struct writer_job *job = w->work_job;
	const struct ingest_counts *c = &w->work_counts;

	(void)status; /* uv_cancel is never called on it */
	w->working = WORK_NONE;
	w->work_job = NULL;
	if (job == NULL) {
		flush_done(w, w->work_rc, w->work_err);
		writer_pump(w);
		return;
	}
	if (job->work) {
		job->done(job, w->work_rc, w->work_rc < 0 ? w->work_err : NULL, c);
		writer_pump(w);
		return;
	}
	w->nstories = w->story ? story_count_stories(w->story) : 0;
	if (w->work_rc < 0) {
		if (w->work_batched && !store_batch_is_open(w->store))
			batch_lost(w, w->work_err); /* SQLite dropped the whole transaction */
		else if (c->folded)
			story_drop(w); /* the index is ahead of the store */
		job->done(job, -1, w->work_err, c);
		writer_pump(w);
		return;
	}
	if (w->work_batched)
		batch_note(w, job);
	if (store_batch_count(w->store) >= WRITER_FLUSH_MAX)
		w->flush_due = 1;
	job->done(job, 0, NULL, c);
	writer_pump(w);
}

/* Hands work to the thread pool (or, when that fails, does it here). */
static void
work_start(struct writer *w, enum writer_work kind, struct writer_job *job)
{
	w->working = kind;
	w->work_job = job;
	w->work.data = w;
	if (w->cb.busy)
		w->cb.busy(w->cb.user, 1);
	if (uv_queue_work(w->loop, &w->work, work_run, work_after) < 0) {
		work_run(&w->work);
		work_after(&w->work, 0);
	}
}

/* Starts storing job's body; -1 when it cannot (the job was completed). */
static int
store_start(struct writer *w, struct writer_job *job)
{
	char why[600];

	if (check_file(w) < 0) {
		snprintf(why, sizeof why, "database %s %s", w->path,
			 w->foreign ? "is no longer an SQLite database"
				    : "went away and cannot be reopened");
		job->done(job, -1, why, &no_counts);
		return -1;
	}
	batch_join(w);
	w->work_batched = store_batch_is_open(w->store);
	work_start(w, WORK_STORE, job);
	return 0;
}

static struct writer_job *
queue_pop(struct writer *w)
{
	struct writer_job *job = w->head;

	if (job == NULL)
		return NULL;
	w->head = job->next;
	if (w->head == NULL)
		w->tail = NULL;
	job->next = NULL;
	job->queued = 0;
	return job;
}

/* Takes jobs until one needs the worker. Between two pieces of work the
 * owner gets the store back (busy 0): held requests run then, and a reload
 * that waited; then a flush that waited. */
static void
writer_pump(struct writer *w)
{
	struct writer_job *job;

	if (w->pumping || w->working)
		return;
	w->pumping = 1;
	while (!w->working) {
		if (w->cb.busy)
			w->cb.busy(w->cb.user, 0);
		if (w->working)
			break;
		if (w->flush_due) {
			w->flush_due = 0;
			if (store_batch_is_open(w->store)) {
				work_start(w, WORK_FLUSH, NULL);
				continue;
			}
		}
		/* Other work may begin a transaction of its own, which would
		 * commit the batch inside the store, where a failure would go
		 * unreported: the batch is committed first, as a piece of its
		 * own. */
		if (w->head && w->head->work && store_batch_is_open(w->store)) {
			work_start(w, WORK_FLUSH, NULL);
			continue;
		}
		if ((job = queue_pop(w)) == NULL)
			break;
		if (job->work)
			work_start(w, WORK_STORE, job);
		else if (job->ing == NULL)
			job->done(job, 0, NULL, &no_counts);
		else
			store_start(w, job);
	}
	w->pumping = 0;
}

void
writer_submit(struct writer *w, struct writer_job *job, writer_done_cb done)
{
	job->done = done;
	job->next = NULL;
	job->queued = 1;
	if (w->tail)
		w->tail->next = job;
	else
		w->head = job;
	w->tail = job;
	writer_pump(w);
}

int
writer_job_pending(const struct writer *w, const struct writer_job *job)
{
	return job->queued || job == w->work_job;
}

void
writer_forget(struct writer *w, struct writer_job *job)
{
	struct writer_job **pp = &w->head, *prev = NULL;

	for (size_t i = 0; i < w->nbatch; i++)
		if (w->batch[i] == job)
			w->batch[i--] = w->batch[--w->nbatch];
	if (!job->queued)
		return;
	while (*pp && *pp != job) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (*pp) {
		*pp = job->next;
		if (w->tail == job)
			w->tail = prev;
	}
	job->next = NULL;
	job->queued = 0;
}

/* ---- life ---- */

/* One daemon per database: an exclusive flock on PATH.lock, held until the
 * process ends. A second daemon, whatever its socket, is refused with the
 * first one's pid; the kernel drops the lock of a killed daemon, so a stale
 * lock file never blocks a start. (SQLite's own EXCLUSIVE locking mode
 * would also shut out the readers a user or a test opens on the file.) */
static int
lock_database(struct writer *w, char *err, size_t errlen)
{
	size_t n = strlen(w->path) + sizeof ".lock";
	char *lock = malloc(n), pid[32] = "";
	ssize_t got;
	int len;

	if (lock == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(lock, n, "%s.lock", w->path);
	w->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (w->lock_fd < 0) {
		snprintf(err, errlen, "database %s: cannot open its lock file %s: %s", w->path,
			 lock, strerror(errno));
		goto fail;
	}
	if (flock(w->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		if (e != EWOULDBLOCK) {
			snprintf(err, errlen, "database %s: cannot lock %s: %s", w->path, lock,
				 strerror(e));
			goto fail;
		}
		got = pread(w->lock_fd, pid, sizeof pid - 1, 0);
		pid[got > 0 ? got : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		snprintf(err, errlen,
			 "database %s is in use by another heraldd (pid %s): one daemon per "
			 "database",
			 w->path, pid[0] ? pid : "unknown");
		goto fail;
	}
	len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(w->lock_fd, 0) < 0 || pwrite(w->lock_fd, pid, (size_t)len, 0) != len)
		log_warn("database %s: cannot write the pid into %s: %s", w->path, lock,
			 strerror(errno));
	free(lock);
	return 0;
fail:
	if (w->lock_fd >= 0)
		close(w->lock_fd);
	w->lock_fd = -1;
	free(lock);
	return -1;
}

int
writer_new(uv_loop_t *loop, const char *path, const struct story_params *params,
	   const struct writer_callbacks *cb, struct writer **out, char *err, size_t errlen)
{
	struct writer *w = calloc(1, sizeof *w);

	*out = NULL;
	if (w != NULL)
		w->lock_fd = -1;
	if (w == NULL || (w->path = strdup(path)) == NULL ||
	    writer_set_story_params(w, params) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	w->loop = loop;
	w->cb = *cb;
	if (lock_database(w, err, errlen) < 0 || store_open(path, &w->store, err, errlen) < 0)
		goto fail;
	if (uv_timer_init(loop, &w->flush_timer) < 0) {
		snprintf(err, errlen, "cannot create the commit timer");
		goto fail;
	}
	w->flush_timer.data = w;
	w->flush_on = 1;
	*out = w;
	return 0;
fail:
	writer_free(w);
	return -1;
}

void
writer_stop(struct writer *w)
{
	if (w == NULL)
		return;
	/* Commit what is complete. */
	writer_flush(w);
	if (w->flush_on) {
		uv_close((uv_handle_t *)&w->flush_timer, NULL);
		w->flush_on = 0;
	}
}

void
writer_free(struct writer *w)
{
	if (w == NULL)
		return;
	story_free(w->story);
	if (w->store)
		store_close(w->store);
	/* The lock goes with the descriptor; the file stays, harmless. */
	if (w->lock_fd >= 0)
		close(w->lock_fd);
	free(w->batch);
	free(w->language);
	free(w->path);
	free(w);
}
