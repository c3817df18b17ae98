/* daemon_int: what daemon.c and poll.c share; no other module includes it.
 * Both work on the one struct herald (daemon.h). */
#ifndef HERALD_DAEMON_INT_H
#define HERALD_DAEMON_INT_H

#include <stddef.h>
#include <stdint.h>

#include "daemon.h"

/* ---- daemon.c ---- */

int64_t herald_now(void); /* Unix seconds */
void herald_notify_status(struct herald *h);
/* *dst = a copy of src (NULL or "" gives NULL); the old value is freed.
 * 0, or -1 when memory runs out (*dst unchanged). */
int herald_replace_str(char **dst, const char *src);
/* Seconds until f's next poll, by the scheduler's policy. */
unsigned herald_feed_delay(struct herald_feed *f, long retry_after);
void herald_feed_schedule(struct herald_feed *f, uint64_t delay_ms);
/* A fresh story index holding the stories of the last window, read from
 * the store. 0, or -1 with err. */
int herald_story_rebuild(struct herald *h, char *err, size_t errlen);
/* Drops the story index; the next response to store rebuilds it. */
void herald_story_drop(struct herald *h);
/* SIGHUP's reload, its outcome logged. */
void herald_reload_logged(struct herald *h);

/* ---- poll.c ---- */

/* Polls f now, or queues it behind the polls in flight (max_connections,
 * max_per_host); does nothing while f is polled or being recorded. */
void poll_start(struct herald_feed *f);
/* Records finished polls in order until one needs the worker thread; between
 * two pieces of work it lets held socket requests run and does a due reload
 * (h->reload_due) or flush (h->flush_due). Safe to call at any time. */
void poll_writer_pump(struct herald *h);
/* The scheduler's callback (sched_new): e->data is the feed. */
void poll_on_due(struct sched *s, struct sched_entry *e, void *user);
/* Before f is freed: its transfer cancelled, its slot given back, out of
 * every queue. */
void poll_forget(struct herald_feed *f);
/* herald_stop: f's transfer cancelled; a finished response still waiting
 * for the writer is kept and stored. */
void poll_abandon(struct herald_feed *f);

#endif
