#include "autoconfig.h"

#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "commands.h"
#include "daemon_int.h"
#include "control.h"
#include "fetch.h"
#include "ingest.h"
#include "log.h"
#include "store.h"
#include "story.h"

int64_t
herald_now(void)
{
	return (int64_t)time(NULL);
}

/* xorshift64*: jitter needs spread, not secrecy. */
static double
rng_unit(struct herald *h)
{
	uint64_t x = h->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	h->rng = x;
	return (double)((x * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static void
notify(const char *state)
{
#ifdef HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

void
herald_notify_status(struct herald *h)
{
#ifdef HAVE_SYSTEMD
	sd_notifyf(0,
		   "STATUS=%zu feeds, %" PRIu64 " polls (%" PRIu64
		   " failed), %zu stories in window",
		   h->nfeeds, h->polls, h->polls_failed, h->nstories);
#else
	(void)h;
#endif
}

/* ---- feeds ---- */

static void
feed_free(struct herald_feed *f)
{
	if (f == NULL)
		return;
	poll_forget(f);
	ingest_free(f->ing);
	free(f->id);
	free(f->config_url);
	free(f->url);
	free(f->etag);
	free(f->last_modified);
	free(f);
}

struct herald_feed *
herald_feed_find(struct herald *h, const char *id)
{
	for (size_t i = 0; i < h->nfeeds; i++)
		if (strcmp(h->feeds[i]->id, id) == 0)
			return h->feeds[i];
	return NULL;
}

int
herald_replace_str(char **dst, const char *src)
{
	char *s = src && *src ? strdup(src) : NULL;

	if (src && *src && s == NULL)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

/* Next poll after this one, in seconds, by the scheduler's policy. */
unsigned
herald_feed_delay(struct herald_feed *f, long retry_after)
{
	struct herald *h = f->h;

	return sched_next_delay(f->interval, h->cfg.min_interval, f->failures, retry_after, f->ttl,
				rng_unit(h));
}

void
herald_feed_schedule(struct herald_feed *f, uint64_t delay_ms)
{
	if (f->h->stopping || f->h->opt.once)
		return;
	if (sched_set(f->h->sched, &f->entry, delay_ms) < 0)
		log_err("feed %s: cannot schedule its next poll: out of memory", f->id);
}

/* Where a feed starts: validators and failure count from the store, and its
 * next poll from the stored time (or soon, spread out, when that is past). */
static int
feed_load(struct herald *h, struct herald_feed *f, const struct store_feed *sf)
{
	int64_t now = herald_now();
	uint64_t delay;

	if (sf) {
		if (herald_replace_str(&f->etag, sf->etag) < 0 ||
		    herald_replace_str(&f->last_modified, sf->last_modified) < 0)
			return -1;
		f->failures = sf->failures;
		/* A permanent redirect seen earlier moved the feed. */
		f->host_url = NULL;
		if (sf->moved_url && *sf->moved_url &&
		    herald_replace_str(&f->url, sf->moved_url) < 0)
			return -1;
	}
	if (h->opt.once) {
		delay = 0;
	} else if (sf && sf->next_poll > now) {
		delay = (uint64_t)(sf->next_poll - now) * 1000;
	} else {
		/* Due: start within a few seconds, not all at the same instant. */
		delay = (uint64_t)(rng_unit(h) * 5000.0);
	}
	if (sched_set(h->sched, &f->entry, delay) < 0)
		return -1;
	return 0;
}

static struct herald_feed *
feed_new(struct herald *h, const struct config_feed *cf)
{
	struct herald_feed *f = calloc(1, sizeof *f);

	if (f == NULL)
		return NULL;
	f->h = h;
	f->id = strdup(cf->id);
	f->config_url = strdup(cf->url);
	f->url = strdup(cf->url);
	f->interval = cf->interval ? cf->interval : h->cfg.interval;
	f->host = -1;
	sched_entry_init(&f->entry, f);
	if (f->id == NULL || f->config_url == NULL || f->url == NULL) {
		feed_free(f);
		return NULL;
	}
	return f;
}

static int sync_feeds(struct herald *h, const struct config *cfg, char *err, size_t errlen);

/* The validators of the file now open: a new file has none, and a poll that
 * sent the old ones would get a 304 and never fill it. */
/* The stored state of feed id in sl, or NULL (sl may be NULL). */
static const struct store_feed *
feed_state(const struct store_feed_list *sl, const char *id)
{
	for (size_t j = 0; sl && j < sl->n; j++)
		if (strcmp(sl->v[j].id, id) == 0)
			return &sl->v[j];
	return NULL;
}

static int
reload_validators(struct herald *h, char *err, size_t errlen)
{
	struct store_feed_list sl = {0};
	int rc = -1;

	if (store_feeds_state(h->store, &sl, err, errlen) < 0)
		goto out;
	for (size_t i = 0; i < h->nfeeds; i++) {
		struct herald_feed *f = h->feeds[i];
		const struct store_feed *sf = feed_state(&sl, f->id);

		if (herald_replace_str(&f->etag, sf ? sf->etag : NULL) < 0 ||
		    herald_replace_str(&f->last_modified, sf ? sf->last_modified : NULL) < 0) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	store_feed_list_free(&sl);
	return rc;
}

/* Someone deleted or replaced the database file under the running daemon:
 * whatever it writes to the old inode is lost at the next start. Switch to
 * the file now at the configured path (a new empty one when it was
 * deleted) before writing. 0, or -1 when that cannot be opened (the old
 * handle stays, and the error is logged). */
int
herald_check_store(struct herald *h)
{
	struct store *ns = NULL;
	char err[512];

	/* While the worker has the store, the next write checks it. */
	if (h->working || h->store == NULL || !store_file_moved(h->store))
		return 0;
	log_err("database %s was deleted or replaced while open: reopening it", h->db_path);
	if (store_open(h->db_path, &ns, err, sizeof err) < 0) {
		log_err("database %s: cannot reopen: %s", h->db_path, err);
		return -1;
	}
	store_close(h->store);
	h->store = ns;
	h->nbatch = 0; /* the batch went with the old file */
	if (sync_feeds(h, &h->cfg, err, sizeof err) < 0 ||
	    reload_validators(h, err, sizeof err) < 0) {
		log_err("database %s: reopened, but: %s", h->db_path, err);
		return -1;
	}
	herald_story_drop(h);
	return 0;
}

/* ---- story index ---- */

void
herald_story_drop(struct herald *h)
{
	story_free(h->story);
	h->story = NULL;
}

static struct story_params
story_params_from(const struct config *cfg)
{
	struct story_params p = story_params_default();

	p.window = cfg->fold_window;
	p.max_items = cfg->fold_max_items;
	p.threshold = cfg->fold_threshold;
	p.merge_threshold = cfg->fold_merge_threshold;
	p.simhash_radius = cfg->fold_simhash_radius;
	p.language = cfg->fold_language;
	return p;
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

/* A fresh index holding the stories of the last window, from the store. */
int
herald_story_rebuild(struct herald *h, char *err, size_t errlen)
{
	struct story_params p = story_params_from(&h->cfg);
	struct story_index *idx;
	int64_t max_id = 0;

	if ((idx = story_new(&p, err, errlen)) == NULL)
		return -1;
	if (store_story_max_id(h->store, &max_id, err, errlen) < 0 ||
	    store_restore_items(h->store, herald_now() - (int64_t)p.window, p.max_items,
				restore_row, idx, err, errlen) != 0) {
		if (!*err)
			snprintf(err, errlen, "%s", story_error(idx));
		story_free(idx);
		return -1;
	}
	story_set_next_id(idx, max_id + 1);
	story_free(h->story);
	h->story = idx;
	log_debug("story index: %zu items in %zu stories restored", story_count_items(idx),
		  story_count_stories(idx));
	return 0;
}

/* ---- configuration ---- */

static int
load_config(struct herald *h, struct config *cfg, char **errors)
{
	if (config_load(h->config_path, cfg, errors) < 0)
		return -1;
	return 0;
}

/* Makes h->feeds match cfg: feeds keep their state when their URL and
 * interval carry over; removed feeds stop (a poll in flight is cancelled and
 * nothing of it is stored). */
static int
feeds_apply(struct herald *h, const struct config *cfg, const struct store_feed_list *sl)
{
	struct herald_feed **nv = calloc(cfg->nfeeds + 1, sizeof *nv);
	size_t n = 0;

	if (nv == NULL)
		return -1;
	for (size_t i = 0; i < cfg->nfeeds; i++) {
		const struct config_feed *cf = &cfg->feeds[i];
		struct herald_feed *f = herald_feed_find(h, cf->id);
		const struct store_feed *sf = feed_state(sl, cf->id);
		if (f && strcmp(f->config_url, cf->url) == 0) {
			unsigned iv = cf->interval ? cf->interval : cfg->interval;

			nv[n++] = f;
			if (iv == f->interval)
				continue;
			/* A changed interval applies from now on. */
			f->interval = iv;
			if (!f->req)
				herald_feed_schedule(f, (uint64_t)herald_feed_delay(f, -1) * 1000);
			continue;
		}
		if ((f = feed_new(h, cf)) == NULL || feed_load(h, f, sf) < 0) {
			feed_free(f);
			goto fail;
		}
		nv[n++] = f;
	}
	/* Whatever is left of the old set was removed or changed its URL. */
	for (size_t i = 0; i < h->nfeeds; i++) {
		int kept = 0;
		for (size_t j = 0; j < n && !kept; j++)
			kept = nv[j] == h->feeds[i];
		if (!kept) {
			sched_remove(h->sched, &h->feeds[i]->entry);
			feed_free(h->feeds[i]);
		}
	}
	free(h->feeds);
	h->feeds = nv;
	h->nfeeds = n;
	return 0;
fail:
	for (size_t j = 0; j < n; j++) {
		if (herald_feed_find(h, nv[j]->id) != nv[j]) {
			sched_remove(h->sched, &nv[j]->entry);
			feed_free(nv[j]);
		}
	}
	free(nv);
	return -1;
}

static int
sync_feeds(struct herald *h, const struct config *cfg, char *err, size_t errlen)
{
	struct store_feed_list sl = {0};
	int rc = -1;

	if (store_feeds_sync(h->store, cfg->feeds, cfg->nfeeds, err, errlen) < 0 ||
	    store_feeds_state(h->store, &sl, err, errlen) < 0)
		goto out;
	if (feeds_apply(h, cfg, &sl) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	store_feed_list_free(&sl);
	return rc;
}

int
herald_reload(struct herald *h, char **errors)
{
	struct config cfg;
	struct stat sb;
	char err[512];

	*errors = NULL;
	if (h->working) {
		/* Callers wait for the worker (poll_writer_pump, control_hold). */
		*errors = strdup("busy storing a response, try again");
		return -1;
	}
	/* An empty file is what an editor or a script leaves when it dies
	 * halfway through rewriting it, not a wish to stop every feed. */
	if (h->nfeeds > 0 && stat(h->config_path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    sb.st_size == 0) {
		snprintf(err, sizeof err, "%s: the file is empty (half-written?)", h->config_path);
		*errors = strdup(err);
		return -1;
	}
	if (load_config(h, &cfg, errors) < 0) {
		config_free(&cfg);
		return -1;
	}
	/* sync_feeds begins a transaction, which would commit the open batch
	 * inside the store; a failure there must reach batch_lost. */
	herald_flush(h);
	if (sync_feeds(h, &cfg, err, sizeof err) < 0) {
		char *msg = malloc(strlen(err) + strlen(h->db_path) + 16);

		/* "database is locked" alone does not say which database. */
		if (msg)
			sprintf(msg, "database %s: %s", h->db_path, err);
		*errors = msg;
		config_free(&cfg);
		return -1;
	}
	/* The database and socket stay where they are until a restart. */
	config_free(&h->cfg);
	h->cfg = cfg;
	log_info("configuration reloaded: %zu feeds", h->nfeeds);
	return 0;
}

/* ---- lifecycle ---- */

/* SIGHUP's reload, reported in the log. */
void
herald_reload_logged(struct herald *h)
{
	char *errors = NULL;

	notify("RELOADING=1");
	if (herald_reload(h, &errors) < 0) {
		log_err("reload refused, the running configuration stays:\n%s",
			errors ? errors : "out of memory");
		free(errors);
	}
	notify("READY=1");
}

static void
on_signal(uv_signal_t *sig, int signum)
{
	struct herald *h = sig->data;

	if (signum == SIGHUP) {
		/* After the worker's current piece of work, if any. */
		h->reload_due = 1;
		poll_writer_pump(h);
		return;
	}
	log_info("signal %d: stopping", signum);
	herald_stop(h);
}

static void
on_watchdog(uv_timer_t *t)
{
	(void)t;
	notify("WATCHDOG=1");
}

void
herald_stop(struct herald *h)
{
	if (h->stopping)
		return;
	h->stopping = 1;
	notify("STOPPING=1");
	for (size_t i = 0; i < h->nfeeds; i++)
		poll_abandon(h->feeds[i]);
	/* Commit what is complete. */
	herald_flush(h);
	if (h->flush_on) {
		uv_close((uv_handle_t *)&h->flush_timer, NULL);
		h->flush_on = 0;
	}
	if (h->sched) {
		sched_close(h->sched);
		h->sched = NULL;
	}
	if (h->fetch) {
		fetch_shutdown(h->fetch, NULL, NULL);
		h->fetch = NULL;
	}
	commands_stop(h);
	if (h->signals_on) {
		uv_close((uv_handle_t *)&h->sig_hup, NULL);
		uv_close((uv_handle_t *)&h->sig_term, NULL);
		uv_close((uv_handle_t *)&h->sig_int, NULL);
	}
	if (h->watchdog_on)
		uv_close((uv_handle_t *)&h->watchdog, NULL);
}

static int
start_signals(struct herald *h)
{
	uv_signal_t *sigs[] = {&h->sig_hup, &h->sig_term, &h->sig_int};
	int nums[] = {SIGHUP, SIGTERM, SIGINT};

	for (int i = 0; i < 3; i++) {
		uv_signal_init(&h->loop, sigs[i]);
		sigs[i]->data = h;
		h->signals_on = 1;
		if (uv_signal_start(sigs[i], on_signal, nums[i]) < 0)
			return -1;
	}
	return 0;
}

static void
start_watchdog(struct herald *h)
{
#ifdef HAVE_SYSTEMD
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return;
	uv_timer_init(&h->loop, &h->watchdog);
	h->watchdog_on = 1;
	uv_timer_start(&h->watchdog, on_watchdog, usec / 2000, usec / 2000);
#else
	(void)h;
	(void)on_watchdog;
#endif
}

/* Creates the parent directory of path (0700) when it is missing. */
static int
make_parent(const char *path, char *err, size_t errlen)
{
	char *dir = strdup(path), *p;
	int rc = 0;

	if (dir == NULL)
		return -1;
	for (p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
			rc = -1;
			break;
		}
		*p = '/';
	}
	free(dir);
	return rc;
}

static int
resolve_paths(struct herald *h, char *err, size_t errlen)
{
	const char *db = h->opt.database ? h->opt.database : h->cfg.database;
	const char *sock = h->opt.socket ? h->opt.socket : h->cfg.socket;

	h->db_path = db ? strdup(db) : config_default_database();
	h->sock_path = sock ? strdup(sock) : config_default_socket();
	if (h->db_path == NULL || (!h->opt.once && h->sock_path == NULL)) {
		snprintf(err, errlen, "no %s path: set it in %s or with --%s",
			 h->db_path ? "socket" : "database", h->config_path,
			 h->db_path ? "socket" : "database");
		return -1;
	}
	return make_parent(h->db_path, err, errlen);
}

/* Descriptors kept for everything but transfers: stdio, the database and
 * its WAL and index, the loop's own, the listening socket and clients. */
#define FD_RESERVE 40

/* Transfers that fit in the descriptor limit. Past it every connect fails
 * ("Couldn't connect") and hundreds of feeds back off for hours; fewer
 * connections only make a round slower. */
static unsigned
fit_connections(unsigned want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return want;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
		/* The soft limit is only a default: take what we may. */
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (rlim_t)want + FD_RESERVE)
		return want;
	unsigned fit = rl.rlim_cur > FD_RESERVE + 8 ? (unsigned)(rl.rlim_cur - FD_RESERVE) : 8;
	if (fit < want)
		log_warn("only %llu file descriptors (ulimit -n): max_connections lowered from %u "
			 "to %u",
			 (unsigned long long)rl.rlim_cur, want, fit);
	return fit < want ? fit : want;
}

/* Parsing runs on the loop thread as the body arrives; curl may deliver a
 * megabyte in one go, so a turn parses for about this long and the rest
 * of the body waits for the next turn (fetch_options.slice_ms). */
#define PARSE_SLICE_MS 10

static int
start_fetch(struct herald *h, char *err, size_t errlen)
{
	struct fetch_options fo = {
		.user_agent = h->cfg.user_agent,
		.connect_timeout_ms = h->cfg.connect_timeout * 1000,
		.timeout_ms = h->cfg.timeout * 1000,
		.max_connections = fit_connections(h->cfg.max_connections),
		.max_per_host = h->cfg.max_per_host,
		.max_body = h->cfg.max_body,
		.slice_ms = PARSE_SLICE_MS,
	};

	h->fetch = fetch_new(&h->loop, &fo, err, errlen);
	if (h->fetch == NULL)
		return -1;
	h->sched = sched_new(&h->loop, poll_on_due, h, err, errlen);
	return h->sched ? 0 : -1;
}

/* Everything up to the loop: 0, or -1 with the reason in err. */
static int
herald_start(struct herald *h, char *err, size_t errlen)
{
	char *errors = NULL;

	if (load_config(h, &h->cfg, &errors) < 0) {
		snprintf(err, errlen, "%s", errors ? errors : "out of memory");
		free(errors);
		return -1;
	}
	/* The socket first: a second daemon on the same socket must be refused
	 * before it touches the database (sync_feeds would rewrite the feeds
	 * table from its own configuration). No client is served before the
	 * loop runs. */
	if (resolve_paths(h, err, errlen) < 0 ||
	    (!h->opt.once && commands_start(h, err, errlen) < 0) ||
	    store_open(h->db_path, &h->store, err, errlen) < 0 || start_fetch(h, err, errlen) < 0 ||
	    sync_feeds(h, &h->cfg, err, errlen) < 0)
		return -1;
	if (start_signals(h) < 0) {
		snprintf(err, errlen, "cannot install signal handlers");
		return -1;
	}
	h->once_pending = (unsigned)h->nfeeds;
	uv_timer_init(&h->loop, &h->flush_timer);
	h->flush_timer.data = h;
	h->flush_on = 1;
	start_watchdog(h);
	log_info("started: %zu feeds, database %s%s%s", h->nfeeds, h->db_path,
		 h->opt.once ? "" : ", socket ", h->opt.once ? "" : h->sock_path);
	notify("READY=1");
	herald_notify_status(h);
	return 0;
}

static void
herald_free(struct herald *h)
{
	for (size_t i = 0; i < h->nfeeds; i++)
		feed_free(h->feeds[i]);
	free(h->feeds);
	free(h->batch_feeds);
	for (size_t i = 0; i < h->nhosts; i++)
		free(h->hosts[i].name);
	free(h->hosts);
	story_free(h->story);
	if (h->store)
		store_close(h->store);
	config_free(&h->cfg);
	free(h->config_path);
	free(h->db_path);
	free(h->sock_path);
}

/* Tells a waiting parent (see detach() in main.c) how start-up went. */
static void
report_ready(struct herald *h, char status)
{
	if (h->opt.ready_fd < 0)
		return;
	if (write(h->opt.ready_fd, &status, 1) != 1)
		log_warn("cannot report start-up to the parent process: %s", strerror(errno));
	close(h->opt.ready_fd);
	h->opt.ready_fd = -1;
}

static void
close_walk(uv_handle_t *handle, void *arg)
{
	(void)arg;
	if (!uv_is_closing(handle))
		uv_close(handle, NULL);
}

int
herald_main(const struct herald_options *opt)
{
	struct herald h;
	char err[4096] = "";
	int rc;

	memset(&h, 0, sizeof h);
	h.waitq.off = offsetof(struct herald_feed, wait);
	h.doneq.off = offsetof(struct herald_feed, done);
	h.opt = *opt;
	h.started = herald_now();
	h.rng = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^ 0x9e3779b97f4a7c15ULL;
	h.config_path = opt->config_path ? strdup(opt->config_path) : config_default_path();
	if (h.config_path == NULL) {
		fprintf(stderr, "heraldd: no configuration file: use -c FILE\n");
		return 1;
	}
	if (uv_loop_init(&h.loop) < 0) {
		fprintf(stderr, "heraldd: cannot create the event loop\n");
		free(h.config_path);
		return 1;
	}
	if (herald_start(&h, err, sizeof err) < 0) {
		fprintf(stderr, "heraldd: %s\n", err);
		report_ready(&h, 1);
		herald_stop(&h);
		rc = 1;
	} else {
		report_ready(&h, 0);
		if (h.opt.once && h.nfeeds == 0)
			herald_stop(&h);
		uv_run(&h.loop, UV_RUN_DEFAULT);
		rc = h.opt.once && h.once_failed ? 2 : 0;
	}
	/* Anything a failed start left open closes here. */
	uv_walk(&h.loop, close_walk, NULL);
	uv_run(&h.loop, UV_RUN_DEFAULT);
	uv_loop_close(&h.loop);
	herald_free(&h);
	log_info("stopped");
	return rc;
}
