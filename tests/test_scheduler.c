#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "scheduler.h"

#define N 1000

struct fixture {
	uv_loop_t loop;
	struct sched *s;
	struct sched_entry e[N];
	int fired[N];
	int order[N];
	size_t nfired;
	int readd;         /* the callback re-adds with delay 0 */
	uv_prepare_t prep; /* counts loop iterations */
	unsigned long iter;
	unsigned long last_iter[N];
};

static void
on_fire(struct sched *s, struct sched_entry *e, void *user)
{
	struct fixture *fx = user;
	int id = (int)(intptr_t)e->data;

	assert_false(sched_scheduled(e));
	fx->fired[id]++;
	if (fx->nfired < N)
		fx->order[fx->nfired++] = id;
	if (fx->readd) {
		/* An entry re-added due now fires again only on a later loop
		 * iteration: the tick never spins on it. */
		if (fx->fired[id] > 1)
			assert_true(fx->iter > fx->last_iter[id]);
		fx->last_iter[id] = fx->iter;
		if (fx->fired[id] < 3)
			assert_int_equal(sched_set(s, e, 0), 0);
		else if (fx->fired[0] == 3 && fx->fired[1] == 3)
			uv_prepare_stop(&fx->prep);
	}
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	char err[128];

	assert_non_null(fx);
	assert_int_equal(uv_loop_init(&fx->loop), 0);
	fx->s = sched_new(&fx->loop, on_fire, fx, err, sizeof err);
	assert_non_null(fx->s);
	for (int i = 0; i < N; i++)
		sched_entry_init(&fx->e[i], (void *)(intptr_t)i);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	sched_close(fx->s);
	for (int i = 0; i < N; i++)
		assert_false(sched_scheduled(&fx->e[i]));
	uv_run(&fx->loop, UV_RUN_DEFAULT);
	/* Every handle closed: the loop closes cleanly. */
	assert_int_equal(uv_loop_close(&fx->loop), 0);
	free(fx);
	return 0;
}

/* Drains the heap through peek/remove: due times must never decrease. */
static size_t
drain_sorted(struct fixture *fx)
{
	uint64_t last = 0;
	size_t n = 0;
	struct sched_entry *e;

	while ((e = sched_peek(fx->s))) {
		assert_true(e->due >= last);
		last = e->due;
		sched_remove(fx->s, e);
		assert_false(sched_scheduled(e));
		n++;
	}
	return n;
}

static void
test_heap_order(void **state)
{
	struct fixture *fx = *state;
	uint64_t base = uv_now(&fx->loop);
	unsigned x = 12345;

	for (int i = 0; i < N; i++) {
		x = x * 1103515245u + 12345u;
		assert_int_equal(sched_set_at(fx->s, &fx->e[i], base + 1000000 + (x >> 8) % 5000),
				 0);
	}
	assert_int_equal(sched_count(fx->s), N);
	assert_int_equal(drain_sorted(fx), N);
	assert_int_equal(sched_count(fx->s), 0);
	assert_null(sched_peek(fx->s));
}

static void
test_ties_fifo(void **state)
{
	struct fixture *fx = *state;
	uint64_t t = uv_now(&fx->loop) + 500000;

	for (int i = 0; i < 10; i++)
		assert_int_equal(sched_set_at(fx->s, &fx->e[i], t), 0);
	for (int i = 0; i < 10; i++) {
		struct sched_entry *e = sched_peek(fx->s);

		assert_ptr_equal(e, &fx->e[i]);
		sched_remove(fx->s, e);
	}
}

static void
test_remove(void **state)
{
	struct fixture *fx = *state;
	uint64_t base = uv_now(&fx->loop) + 100000;

	for (int i = 0; i < N; i++)
		assert_int_equal(sched_set_at(fx->s, &fx->e[i], base + (uint64_t)((i * 7919) % N)),
				 0);
	/* Remove every third entry from wherever it sits in the heap. */
	for (int i = 0; i < N; i += 3)
		sched_remove(fx->s, &fx->e[i]);
	/* Removing twice, or an entry never added, is a no-op. */
	sched_remove(fx->s, &fx->e[0]);
	assert_int_equal(sched_count(fx->s), N - (N + 2) / 3);
	for (int i = 0; i < N; i++)
		assert_int_equal(sched_scheduled(&fx->e[i]), i % 3 != 0);
	assert_int_equal(drain_sorted(fx), N - (N + 2) / 3);
}

static void
test_update(void **state)
{
	struct fixture *fx = *state;
	uint64_t base = uv_now(&fx->loop) + 100000;

	for (int i = 0; i < 100; i++)
		assert_int_equal(sched_set_at(fx->s, &fx->e[i], base + 1000 + i), 0);
	/* Moving an entry earlier makes it the head; later sends it back. */
	assert_int_equal(sched_set_at(fx->s, &fx->e[57], base), 0);
	assert_ptr_equal(sched_peek(fx->s), &fx->e[57]);
	assert_int_equal(sched_set_at(fx->s, &fx->e[57], base + 5000), 0);
	assert_ptr_equal(sched_peek(fx->s), &fx->e[0]);
	assert_int_equal(sched_set_at(fx->s, &fx->e[0], base + 4000), 0);
	assert_ptr_equal(sched_peek(fx->s), &fx->e[1]);
	assert_int_equal(sched_count(fx->s), 100);
	assert_int_equal(drain_sorted(fx), 100);
}

static void
test_fires_in_order(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(sched_set(fx->s, &fx->e[0], 40), 0);
	assert_int_equal(sched_set(fx->s, &fx->e[1], 10), 0);
	assert_int_equal(sched_set(fx->s, &fx->e[2], 25), 0);
	assert_int_equal(sched_set(fx->s, &fx->e[3], 5000), 0);
	sched_remove(fx->s, &fx->e[3]); /* the timer must re-arm, not wait 5 s */
	uv_run(&fx->loop, UV_RUN_DEFAULT);
	assert_int_equal(fx->nfired, 3);
	assert_int_equal(fx->order[0], 1);
	assert_int_equal(fx->order[1], 2);
	assert_int_equal(fx->order[2], 0);
	assert_int_equal(fx->fired[3], 0);
	/* Nothing scheduled: the timer is stopped and the loop idles out. */
	assert_int_equal(sched_count(fx->s), 0);
}

static void
on_prepare(uv_prepare_t *p)
{
	struct fixture *fx = p->data;

	fx->iter++;
}

static void
test_readd_zero_does_not_spin(void **state)
{
	struct fixture *fx = *state;

	fx->readd = 1;
	uv_prepare_init(&fx->loop, &fx->prep);
	fx->prep.data = fx;
	uv_prepare_start(&fx->prep, on_prepare);
	assert_int_equal(sched_set(fx->s, &fx->e[0], 0), 0);
	assert_int_equal(sched_set(fx->s, &fx->e[1], 0), 0);
	uv_run(&fx->loop, UV_RUN_DEFAULT);
	assert_int_equal(fx->fired[0], 3);
	assert_int_equal(fx->fired[1], 3);
	uv_close((uv_handle_t *)&fx->prep, NULL);
}

/* ---- policy ---- */

static void
test_policy_plain(void **state)
{
	(void)state;
	/* u = 0.5 is "no jitter". */
	assert_int_equal(sched_next_delay(1800, 60, 0, -1, 0, 0.5), 1800);
	/* interval 0 means the floor. */
	assert_int_equal(sched_next_delay(0, 60, 0, -1, 0, 0.5), 60);
}

static void
test_policy_jitter(void **state)
{
	unsigned lo = ~0u, hi = 0;

	(void)state;
	/* 10% of 300 s = 30 s either way. */
	for (int i = 0; i < 1000; i++) {
		unsigned d = sched_next_delay(300, 10, 0, -1, 0, i / 1000.0);

		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	assert_int_equal(lo, 270);
	assert_in_range(hi, 329, 330);
	/* Long intervals: at most SCHED_MAX_JITTER s. */
	assert_int_equal(sched_next_delay(3600, 60, 0, -1, 0, 0.0), 3600 - SCHED_MAX_JITTER);
	assert_in_range(sched_next_delay(3600, 60, 0, -1, 0, 0.999999), 3659, 3660);
	/* Out-of-range randomness is treated as no jitter. */
	assert_int_equal(sched_next_delay(3600, 60, 0, -1, 0, 7.0), 3600);
	assert_int_equal(sched_next_delay(3600, 60, 0, -1, 0, -1.0), 3600);
}

static void
test_policy_floor(void **state)
{
	(void)state;
	assert_int_equal(sched_next_delay(10, 60, 0, -1, 0, 0.5), 60);
	/* Jitter never takes a delay below the floor. */
	assert_int_equal(sched_next_delay(60, 60, 0, -1, 0, 0.0), 60);
	assert_true(sched_next_delay(60, 60, 0, -1, 0, 0.99) >= 60);
}

static void
test_policy_backoff(void **state)
{
	(void)state;
	assert_int_equal(sched_next_delay(600, 60, 1, -1, 0, 0.5), 1200);
	assert_int_equal(sched_next_delay(600, 60, 2, -1, 0, 0.5), 2400);
	assert_int_equal(sched_next_delay(600, 60, 3, -1, 0, 0.5), 4800);
	/* Capped at 24 h, also for absurd failure counts (no overflow). */
	assert_int_equal(sched_next_delay(600, 60, 8, -1, 0, 0.5), SCHED_MAX_BACKOFF);
	assert_int_equal(sched_next_delay(600, 60, 1000000, -1, 0, 0.5), SCHED_MAX_BACKOFF);
	assert_int_equal(sched_next_delay(600, 60, 1000000, -1, 0, 0.0),
			 SCHED_MAX_BACKOFF - SCHED_MAX_JITTER);
	/* An interval longer than the cap is never shortened by backoff. */
	assert_int_equal(sched_next_delay(2 * 86400, 60, 3, -1, 0, 0.5), 2 * 86400);
}

static void
test_policy_retry_after(void **state)
{
	(void)state;
	/* Never earlier than Retry-After, whatever the jitter. */
	assert_int_equal(sched_next_delay(60, 60, 0, 7200, 0, 0.0), 7200);
	assert_true(sched_next_delay(60, 60, 0, 7200, 0, 0.99) >= 7200);
	/* A short Retry-After does not shorten the interval or backoff. */
	assert_int_equal(sched_next_delay(1800, 60, 0, 30, 0, 0.5), 1800);
	assert_int_equal(sched_next_delay(600, 60, 2, 120, 0, 0.5), 2400);
	/* Absent (-1) or 0: no effect. */
	assert_int_equal(sched_next_delay(600, 60, 0, 0, 0, 0.5), 600);
	/* Absurd values are capped. */
	assert_int_equal(sched_next_delay(600, 60, 0, 999999999L, 0, 0.5), SCHED_MAX_RETRY_AFTER);
}

static void
test_policy_ttl(void **state)
{
	(void)state;
	/* A longer ttl stretches the interval; a shorter one changes nothing. */
	assert_int_equal(sched_next_delay(600, 60, 0, -1, 3600, 0.5), 3600);
	assert_int_equal(sched_next_delay(3600, 60, 0, -1, 600, 0.5), 3600);
	/* Stretched interval still backs off and is capped. */
	assert_int_equal(sched_next_delay(600, 60, 1, -1, 3600, 0.5), 7200);
	assert_int_equal(sched_next_delay(600, 60, 0, -1, 10 * 86400, 0.5), SCHED_MAX_BACKOFF);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_heap_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ties_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fires_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readd_zero_does_not_spin, setup, teardown),
		cmocka_unit_test(test_policy_plain),
		cmocka_unit_test(test_policy_jitter),
		cmocka_unit_test(test_policy_floor),
		cmocka_unit_test(test_policy_backoff),
		cmocka_unit_test(test_policy_retry_after),
		cmocka_unit_test(test_policy_ttl),
	};

	alarm(30); /* a spinning tick must fail, not hang the suite */
	return cmocka_run_group_tests_name("scheduler", tests, NULL, NULL);
}
