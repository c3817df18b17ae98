/* scheduler (public prefix sched_; the file is not called sched.h because
 * that would shadow the system <sched.h> on our include path): when each
 * feed is polled next.
 *
 * A binary min-heap of entries ordered by due time drives one uv_timer_t
 * armed for the earliest deadline, so an idle daemon costs nothing per feed
 * and a tick costs O(log n) per due entry. Entries are embedded in the
 * caller's own structs (intrusive): the scheduler never allocates or frees
 * them, it only stores a pointer and keeps each entry's heap index up to
 * date, which makes add, remove and reschedule O(log n).
 *
 * sched_next_delay() is the polling policy, a pure function (no libuv). */
#ifndef HERALD_SCHEDULER_H
#define HERALD_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define SCHED_NONE ((size_t)-1)
/* Backoff never waits longer than this (unless the interval itself does). */
#define SCHED_MAX_BACKOFF (24u * 3600u)
/* Retry-After values beyond this are treated as this: a broken header must
 * not silence a feed for years. */
#define SCHED_MAX_RETRY_AFTER (7u * 24u * 3600u)
/* Jitter is +/- 10% of the delay, at most this many seconds. */
#define SCHED_MAX_JITTER 60u

struct sched_entry {
	uint64_t due; /* loop time (uv_now, ms) when it fires */
	uint64_t seq; /* insertion order: ties fire first-in first-out */
	size_t index; /* heap position, SCHED_NONE when not scheduled */
	void *data;   /* the caller's, untouched */
};

struct sched;

/* Called for each due entry. The entry is already off the heap: re-add it
 * with sched_set() to poll again. The callback may set or remove any entry
 * (entries set during a tick fire at the earliest on the next loop turn). */
typedef void (*sched_fire_cb)(struct sched *s, struct sched_entry *e, void *user);

/* Call before first use of an entry (or zero it and set index = SCHED_NONE). */
void sched_entry_init(struct sched_entry *e, void *data);

/* Returns NULL with a message in err when memory runs out. */
struct sched *sched_new(uv_loop_t *loop, sched_fire_cb cb, void *user, char *err, size_t errlen);

/* Schedules e to fire delay_ms from now (loop time), adding it or moving it
 * if already scheduled. 0, or -1 when memory runs out (e stays as it was). */
int sched_set(struct sched *s, struct sched_entry *e, uint64_t delay_ms);
/* Same, at an absolute loop time (uv_now() base). */
int sched_set_at(struct sched *s, struct sched_entry *e, uint64_t due_ms);
/* Unschedules e; a no-op when it isn't scheduled. */
void sched_remove(struct sched *s, struct sched_entry *e);
int sched_scheduled(const struct sched_entry *e);

/* Entries scheduled, and the earliest (NULL when none). */
size_t sched_count(const struct sched *s);
struct sched_entry *sched_peek(const struct sched *s);

/* Unschedules every entry (their index becomes SCHED_NONE) and closes the
 * timer; the memory is freed by its close callback, so the loop must run
 * once more. s must not be used afterwards. */
void sched_close(struct sched *s);

/* The next poll's delay in seconds.
 *   interval     the feed's interval (0 = use min_interval)
 *   min_interval the floor: never poll more often (after jitter, backoff)
 *   failures     consecutive failed polls: delay = interval * 2^failures,
 *                capped at SCHED_MAX_BACKOFF (or interval, if longer)
 *   retry_after  server's Retry-After in seconds, -1 = none: never earlier
 *                (capped at SCHED_MAX_RETRY_AFTER)
 *   ttl          the feed's <ttl> in seconds (0 = none): stretches the
 *                interval when longer, up to SCHED_MAX_BACKOFF
 *   jitter_unit_random  a uniform random number in [0, 1): adds
 *                +/- min(10%, SCHED_MAX_JITTER s) so feeds don't stampede
 */
unsigned sched_next_delay(unsigned interval, unsigned min_interval, unsigned failures,
			  long retry_after, unsigned ttl, double jitter_unit_random);

#endif
