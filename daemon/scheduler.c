/* scheduler (sched_*): a binary min-heap of intrusive entries and one uv_timer_t. */
#include "scheduler.h"

#include <stdio.h>
#include <stdlib.h>

struct sched {
	uv_loop_t *loop;
	uv_timer_t timer;
	struct sched_entry **heap;
	size_t n, cap;
	uint64_t seq;
	int in_tick; /* firing: re-arm once at the end */
	sched_fire_cb cb;
	void *user;
};

void
sched_entry_init(struct sched_entry *e, void *data)
{
	e->due = 0;
	e->seq = 0;
	e->index = SCHED_NONE;
	e->data = data;
}

int
sched_scheduled(const struct sched_entry *e)
{
	return e->index != SCHED_NONE;
}

size_t
sched_count(const struct sched *s)
{
	return s->n;
}

struct sched_entry *
sched_peek(const struct sched *s)
{
	return s->n ? s->heap[0] : NULL;
}

/* ---- heap ---- */

static int
before(const struct sched_entry *a, const struct sched_entry *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void
place(struct sched *s, size_t i, struct sched_entry *e)
{
	s->heap[i] = e;
	e->index = i;
}

static void
sift_up(struct sched *s, size_t i)
{
	struct sched_entry *e = s->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!before(e, s->heap[parent]))
			break;
		place(s, i, s->heap[parent]);
		i = parent;
	}
	place(s, i, e);
}

static void
sift_down(struct sched *s, size_t i)
{
	struct sched_entry *e = s->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->n)
			break;
		if (c + 1 < s->n && before(s->heap[c + 1], s->heap[c]))
			c++;
		if (!before(s->heap[c], e))
			break;
		place(s, i, s->heap[c]);
		i = c;
	}
	place(s, i, e);
}

static void
heap_remove(struct sched *s, struct sched_entry *e)
{
	size_t i = e->index;
	struct sched_entry *last = s->heap[--s->n];

	e->index = SCHED_NONE;
	if (last == e)
		return;
	place(s, i, last);
	if (i > 0 && before(last, s->heap[(i - 1) / 2]))
		sift_up(s, i);
	else
		sift_down(s, i);
}

/* ---- timer ---- */

static void on_timer(uv_timer_t *t);

/* Points the timer at the earliest entry. min_ms is 1 when called from the
 * timer's own callback: libuv would run a 0 ms timer restarted there again in
 * the same loop turn, starving everything else. */
static void
arm(struct sched *s, uint64_t min_ms)
{
	uint64_t now, due, delay;

	if (s->in_tick)
		return;
	if (s->n == 0) {
		uv_timer_stop(&s->timer);
		return;
	}
	now = uv_now(s->loop);
	due = s->heap[0]->due;
	delay = due > now ? due - now : 0;
	uv_timer_start(&s->timer, on_timer, delay > min_ms ? delay : min_ms, 0);
}

static void
on_timer(uv_timer_t *t)
{
	struct sched *s = t->data;
	uint64_t now = uv_now(s->loop), limit = s->seq;

	/* Only entries queued before this tick fire now, so a callback that
	 * re-adds with delay 0 cannot keep the tick spinning. */
	s->in_tick = 1;
	while (s->n > 0 && s->heap[0]->due <= now && s->heap[0]->seq < limit) {
		struct sched_entry *e = s->heap[0];

		heap_remove(s, e);
		s->cb(s, e, s->user);
	}
	s->in_tick = 0;
	arm(s, 1);
}

struct sched *
sched_new(uv_loop_t *loop, sched_fire_cb cb, void *user, char *err, size_t errlen)
{
	struct sched *s = calloc(1, sizeof *s);

	if (!s) {
		snprintf(err, errlen, "sched: out of memory");
		return NULL;
	}
	s->loop = loop;
	s->cb = cb;
	s->user = user;
	uv_timer_init(loop, &s->timer); /* cannot fail */
	s->timer.data = s;
	return s;
}

int
sched_set_at(struct sched *s, struct sched_entry *e, uint64_t due_ms)
{
	int was_top = s->n > 0 && s->heap[0] == e;

	if (e->index == SCHED_NONE) {
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 64;
			struct sched_entry **h = realloc(s->heap, cap * sizeof *h);

			if (!h)
				return -1;
			s->heap = h;
			s->cap = cap;
		}
		e->due = due_ms;
		e->seq = s->seq++;
		place(s, s->n++, e);
		sift_up(s, e->index);
	} else {
		e->due = due_ms;
		e->seq = s->seq++;
		sift_up(s, e->index);
		sift_down(s, e->index);
	}
	if (was_top || s->heap[0] == e)
		arm(s, 0);
	return 0;
}

int
sched_set(struct sched *s, struct sched_entry *e, uint64_t delay_ms)
{
	return sched_set_at(s, e, uv_now(s->loop) + delay_ms);
}

void
sched_remove(struct sched *s, struct sched_entry *e)
{
	int was_top;

	if (e->index == SCHED_NONE || e->index >= s->n || s->heap[e->index] != e)
		return;
	was_top = e->index == 0;
	heap_remove(s, e);
	if (was_top)
		arm(s, 0);
}

static void
on_closed(uv_handle_t *h)
{
	struct sched *s = h->data;

	free(s->heap);
	free(s);
}

void
sched_close(struct sched *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		s->heap[i]->index = SCHED_NONE;
	s->n = 0;
	uv_close((uv_handle_t *)&s->timer, on_closed);
}

/* ---- policy ---- */

unsigned
sched_next_delay(unsigned interval, unsigned min_interval, unsigned failures, long retry_after,
		 unsigned ttl, double jitter_unit_random)
{
	double d, cap, j, u = jitter_unit_random;

	d = interval ? interval : min_interval;
	if (ttl > d)
		d = ttl < SCHED_MAX_BACKOFF ? ttl : (d > SCHED_MAX_BACKOFF ? d : SCHED_MAX_BACKOFF);
	cap = d > SCHED_MAX_BACKOFF ? d : SCHED_MAX_BACKOFF;
	for (unsigned i = 0; i < failures && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	if (!(u >= 0.0 && u < 1.0)) /* also catches NaN */
		u = 0.5;
	j = d / 10 < SCHED_MAX_JITTER ? d / 10 : SCHED_MAX_JITTER;
	d += (2 * u - 1) * j;
	if (d < min_interval)
		d = min_interval;
	if (retry_after > 0) {
		double ra = retry_after < (long)SCHED_MAX_RETRY_AFTER ? (double)retry_after
								      : SCHED_MAX_RETRY_AFTER;
		if (d < ra)
			d = ra;
	}
	if (d < 1)
		d = 1;
	return (unsigned)(d + 0.5);
}
