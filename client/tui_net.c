#include "tui_net.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

struct job {
	struct job *next;
	struct tnet_tag tag;
	int argc;
	char **argv;
	struct tnet_result res;
};

struct tnet {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *todo, *todo_tail; /* queued by the reader */
	struct job *done, *done_tail; /* answered by the worker */
	int busy;                     /* the worker holds a job */
	int stop;
	int fd;      /* the connection, -1 when none; the worker's */
	int wake[2]; /* worker -> reader: an answer waits */
	char *path;
};

static void
job_free(struct job *j)
{
	for (int i = 0; i < j->argc; i++)
		free(j->argv[i]);
	free(j->argv);
	response_free(&j->res.resp);
	free(j);
}

static void
free_list(struct job *j)
{
	while (j) {
		struct job *next = j->next;

		job_free(j);
		j = next;
	}
}

/* Sends one job, reconnecting once when the connection was lost. */
static void
run_job(struct tnet *t, struct job *j)
{
	struct tnet_result *r = &j->res;

	for (int attempt = 0; attempt < 2; attempt++) {
		int fd;

		pthread_mutex_lock(&t->mu);
		fd = t->fd;
		pthread_mutex_unlock(&t->mu);
		if (fd < 0) {
			fd = wire_connect(t->path, r->err, sizeof r->err);
			if (fd == WIRE_DOWN) {
				r->status = TNET_DOWN;
				snprintf(r->err, sizeof r->err, "the daemon is not running (%s)",
					 t->path);
				return;
			}
			if (fd < 0) {
				r->status = TNET_ERROR;
				return;
			}
			pthread_mutex_lock(&t->mu);
			t->fd = fd;
			pthread_mutex_unlock(&t->mu);
		}
		response_free(&r->resp);
		if (wire_request(fd, j->argc, j->argv, NULL, 0, &r->resp, r->err, sizeof r->err) ==
		    0) {
			r->status = TNET_OK;
			return;
		}
		pthread_mutex_lock(&t->mu);
		close(t->fd);
		t->fd = -1;
		pthread_mutex_unlock(&t->mu);
		r->status = TNET_ERROR;
	}
}

static void *
worker(void *arg)
{
	struct tnet *t = arg;

	pthread_mutex_lock(&t->mu);
	for (;;) {
		struct job *j;

		while (!t->stop && t->todo == NULL)
			pthread_cond_wait(&t->cv, &t->mu);
		if (t->stop)
			break;
		j = t->todo;
		t->todo = j->next;
		if (t->todo == NULL)
			t->todo_tail = NULL;
		t->busy = 1;
		pthread_mutex_unlock(&t->mu);
		run_job(t, j);
		pthread_mutex_lock(&t->mu);
		t->busy = 0;
		j->next = NULL;
		if (t->done_tail)
			t->done_tail->next = j;
		else
			t->done = j;
		t->done_tail = j;
		/* Full pipe: the reader has bytes to read already. */
		if (write(t->wake[1], "x", 1) < 0 && errno != EAGAIN)
			break;
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

/* What tnet_start made before the thread: the pipe, the lock, t itself. */
static void
release(struct tnet *t)
{
	close(t->wake[0]);
	close(t->wake[1]);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	free(t->path);
	free(t);
}

struct tnet *
tnet_start(const char *path, char *err, size_t errlen)
{
	struct tnet *t = xmalloc(sizeof *t);
	sigset_t all, old;
	int rc;

	memset(t, 0, sizeof *t);
	t->fd = -1;
	t->path = xstrdup(path);
	if (pipe2(t->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		free(t->path);
		free(t);
		return NULL;
	}
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	/* Signals (SIGWINCH, SIGINT, ...) are the reader's: the worker blocks them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&t->thread, NULL, worker, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start a thread: %s", strerror(rc));
		release(t);
		return NULL;
	}
	return t;
}

int
tnet_fd(const struct tnet *t)
{
	return t->wake[0];
}

void
tnet_submit(struct tnet *t, const struct tnet_tag *tag, int argc, const char *const *argv)
{
	struct job *j = xmalloc(sizeof *j);

	memset(j, 0, sizeof *j);
	j->tag = *tag;
	j->res.tag = *tag;
	j->argc = argc;
	j->argv = xmalloc((size_t)(argc + 1) * sizeof *j->argv);
	for (int i = 0; i < argc; i++)
		j->argv[i] = xstrdup(argv[i]);
	j->argv[argc] = NULL;
	pthread_mutex_lock(&t->mu);
	if (t->todo_tail)
		t->todo_tail->next = j;
	else
		t->todo = j;
	t->todo_tail = j;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

void
tnet_drop(struct tnet *t, int kind)
{
	struct job **pp, *gone = NULL;

	pthread_mutex_lock(&t->mu);
	t->todo_tail = NULL;
	for (pp = &t->todo; *pp;) {
		struct job *j = *pp;

		if (j->tag.kind == kind) {
			*pp = j->next;
			j->next = gone;
			gone = j;
		} else {
			t->todo_tail = j;
			pp = &j->next;
		}
	}
	pthread_mutex_unlock(&t->mu);
	free_list(gone);
}

int
tnet_take(struct tnet *t, struct tnet_result *out)
{
	struct job *j;
	char buf[64];

	while (read(t->wake[0], buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&t->mu);
	j = t->done;
	if (j) {
		t->done = j->next;
		if (t->done == NULL)
			t->done_tail = NULL;
	}
	pthread_mutex_unlock(&t->mu);
	if (j == NULL)
		return 0;
	*out = j->res;
	memset(&j->res.resp, 0, sizeof j->res.resp);
	job_free(j);
	return 1;
}

int
tnet_pending(struct tnet *t)
{
	int n = 0;

	pthread_mutex_lock(&t->mu);
	for (struct job *j = t->todo; j; j = j->next)
		n++;
	n += t->busy;
	pthread_mutex_unlock(&t->mu);
	return n;
}

void
tnet_stop(struct tnet *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	t->stop = 1;
	/* Cuts off an answer being read: the worker's recv returns at once. */
	if (t->fd >= 0)
		shutdown(t->fd, SHUT_RDWR);
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->thread, NULL);
	if (t->fd >= 0)
		close(t->fd);
	free_list(t->todo);
	free_list(t->done);
	release(t);
}
