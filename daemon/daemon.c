/* daemon: the context that owns the loop and everything hanging off it
 * (daemon.h). Each module gets the narrow handles it uses: the writer owns
 * the store and the story index, the poller the feeds, commands the socket;
 * the daemon wires their callbacks together and owns the configuration,
 * the signals and the order of start and stop. */
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

#include "api.h"
#include "commands.h"
#include "confedit.h"
#include "config.h"
#include "fetch.h"
#include "filter.h"
#include "log.h"
#include "poller.h"
#include "retention.h"
#include "store.h"
#include "story.h"
#include "writer.h"

struct herald {
	uv_loop_t loop;
	struct herald_options opt;
	char *config_path;
	struct config cfg;
	char *db_path, *sock_path;

	struct writer *writer;
	struct fetch *fetch;
	struct poller *poller;
	struct retention *retention;
	struct commands *commands;
	struct commands_env env; /* borrowed by commands */
	struct api *api;         /* the Reader API (accounts; HTTP with http_listen) */
	uv_signal_t sigs[3];     /* SIGHUP, SIGTERM, SIGINT */
	int nsigs;               /* initialised, to be closed */
	uv_timer_t watchdog;
	int watchdog_on;

	struct reload *reload;                /* the round running, or NULL */
	struct reload_waiter *reload_waiters; /* for the next round */
	size_t nfeeds;                        /* feeds of the running configuration */
	int64_t started;                      /* Unix seconds */
	int stopping;
	size_t once_pending;
	int once_failed;
	/* What the descriptor limit leaves for transfers and for clients
	 * (fit_descriptors); 0 before it ran. */
	unsigned fit_conns, fit_clients;
};

static void
notify(const char *state)
{
#ifdef HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

static void
notify_status(struct herald *h)
{
#ifdef HAVE_SYSTEMD
	uint64_t polls, failed;

	poll_totals(h->poller, &polls, &failed);
	sd_notifyf(0,
		   "STATUS=%zu feeds, %" PRIu64 " polls (%" PRIu64
		   " failed), %zu stories in window",
		   poll_count(h->poller), polls, failed, writer_story_count(h->writer));
#else
	(void)h;
#endif
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
	if (access(HERALD_LEXICON, R_OK) == 0) /* installed with the daemon (issue 26) */
		p.lexicon = HERALD_LEXICON;
	return p;
}

/* The writer stores responses with its own copy of cfg's filter rules
 * (their regexes are used on its worker thread; the configuration's stay
 * for the loop's `filters test`). 0, or -ENOMEM (the old rules stay). */
static int
filters_to_writer(struct herald *h, const struct config *cfg)
{
	struct filter_rule *rules;

	if (filter_rules_dup(cfg->filters, cfg->nfilters, &rules) < 0)
		return -ENOMEM;
	writer_set_filters(h->writer, rules, cfg->nfilters);
	return 0;
}

static struct poll_options
poll_options_from(const struct herald *h, const struct config *cfg)
{
	struct poll_options o = {
		.max_connections = h->fit_conns && h->fit_conns < cfg->max_connections
					   ? h->fit_conns
					   : cfg->max_connections,
		.max_per_host = cfg->max_per_host,
		.min_interval = cfg->min_interval,
		.once = h->opt.once,
	};

	return o;
}

/* ---- the configuration ---- */

/* Brings the feeds table and the poller's feeds to cfg; with validators,
 * every feed also takes the stored ones (a reopened file). */
static int
sync_feeds(struct herald *h, struct store *st, const struct config *cfg, int validators, char *err,
	   size_t errlen)
{
	struct store_feed_list sl = {0};
	int rc = -1;

	if (store_feeds_sync(st, cfg->feeds, cfg->nfeeds, err, errlen) < 0 ||
	    store_feeds_state(st, &sl, err, errlen) < 0)
		goto out;
	if (poll_sync(h->poller, cfg, &sl) < 0 ||
	    (validators && poll_load_validators(h->poller, &sl) < 0)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	store_feed_list_free(&sl);
	return rc;
}

/* The writer reopened a replaced database file: it learns the feeds, and
 * they learn its validators (a new file has none, and a poll that sent the
 * old ones would get a 304 and never fill it). */
static int
on_reopened(void *user, struct store *st, char *err, size_t errlen)
{
	return sync_feeds(user, st, &((struct herald *)user)->cfg, 1, err, errlen);
}

/* ---- reloading ----
 *
 * A reload of 40,000 feeds parses a few megabytes and rewrites as many rows:
 * neither may stall the loop. The file is parsed on the thread pool (config
 * is pure), the feeds table is brought to it by a writer job on the worker
 * (in its turn, behind the responses before it), and only the poller's
 * update, a sort and a walk, runs on the loop. Reloads asked for while one
 * runs wait for the next round, which reads the file again: an edit made
 * after a round began is never missed. */

struct reload_waiter {
	commands_reload_cb cb;
	void *arg;
	struct reload_waiter *next;
};

struct reload {
	struct herald *h;
	struct reload_waiter *waiters;
	uv_work_t parse;
	struct writer_job job;
	struct config cfg;
	struct store_feed_list sl;
	int rc;
	char *errors; /* for people, malloc'd */
};

static void reload_next(struct herald *h);

/* Tells every waiter of list how its reload ended, and frees them. */
static void
waiters_answer(struct reload_waiter *list, int rc, const char *errors)
{
	struct reload_waiter *next;

	for (; list; list = next) {
		next = list->next;
		list->cb(list->arg, rc, errors);
		free(list);
	}
}

static void
reload_finish(struct reload *r, int rc, const char *errors)
{
	struct herald *h = r->h;

	waiters_answer(r->waiters, rc, errors);
	config_free(&r->cfg);
	store_feed_list_free(&r->sl);
	free(r->errors);
	free(r);
	h->reload = NULL;
	reload_next(h);
}

/* Thread pool: reads and checks the file. Touches nothing but r. */
static void
reload_parse(uv_work_t *req)
{
	struct reload *r = req->data;
	const char *path = r->h->config_path;
	struct stat sb;

	r->rc = 0;
	/* An empty file is what an editor or a script leaves when it dies
	 * halfway through rewriting it, not a wish to stop every feed. */
	if (r->h->nfeeds > 0 && stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0) {
		size_t n = strlen(path) + 64;

		if ((r->errors = malloc(n)) != NULL)
			snprintf(r->errors, n, "%s: the file is empty (half-written?)", path);
		r->rc = -EINVAL;
		return;
	}
	if (config_load(path, &r->cfg, &r->errors) < 0)
		r->rc = r->errors ? -EINVAL : -ENOMEM;
}

/* The writer's worker: the feeds table to the new file, and its state. */
static int
reload_sync(struct store *st, void *data, char *err, size_t errlen)
{
	struct reload *r = data;

	if (store_feeds_sync(st, r->cfg.feeds, r->cfg.nfeeds, err, errlen) < 0 ||
	    store_feeds_state(st, &r->sl, err, errlen) < 0)
		return -EIO;
	return 0;
}

/* Loop: the feeds table is the new file's; the poller and the running
 * configuration follow. */
static void
reload_synced(struct writer_job *job, int rc, const char *why, const struct ingest_counts *c)
{
	struct reload *r = job->data;
	struct herald *h = r->h;
	struct story_params sp;
	struct poll_options po;
	char msg[1024];

	(void)c;
	if (rc < 0) {
		/* "database is locked" alone does not say which database. */
		snprintf(msg, sizeof msg, "database %s: %s", h->db_path, why ? why : "?");
		reload_finish(r, -EIO, msg);
		return;
	}
	if (h->stopping) {
		reload_finish(r, -ECANCELED, "the daemon is stopping");
		return;
	}
	if (poll_sync(h->poller, &r->cfg, &r->sl) < 0) {
		reload_finish(r, -ENOMEM, "out of memory");
		return;
	}
	/* The database and socket stay where they are until a restart. */
	config_free(&h->cfg);
	h->cfg = r->cfg;
	memset(&r->cfg, 0, sizeof r->cfg);
	sp = story_params_from(&h->cfg);
	if (writer_set_story_params(h->writer, &sp) < 0)
		log_err("reload: out of memory keeping the folding parameters");
	if (filters_to_writer(h, &h->cfg) < 0)
		log_err("reload: out of memory: the filter rules stay as they were");
	po = poll_options_from(h, &h->cfg);
	poll_set_options(h->poller, &po);
	h->nfeeds = poll_count(h->poller);
	log_info("configuration reloaded: %zu feeds", poll_count(h->poller));
	reload_finish(r, 0, NULL);
}

static void
reload_parsed(uv_work_t *req, int status)
{
	struct reload *r = req->data;

	if (status < 0 || r->rc < 0) {
		reload_finish(r, status < 0 ? -ECANCELED : r->rc,
			      r->errors ? r->errors : "out of memory");
		return;
	}
	if (r->h->stopping) {
		reload_finish(r, -ECANCELED, "the daemon is stopping");
		return;
	}
	r->job.work = reload_sync;
	r->job.data = r;
	writer_submit(r->h->writer, &r->job, reload_synced);
}

/* Answers every reload that waits, in a round or for the next, with
 * -ECANCELED: the daemon stops, and the requests go with the socket. A
 * round that runs ends without waiters. */
static void
reload_cancel(struct herald *h)
{
	struct reload_waiter *lists[2] = {h->reload ? h->reload->waiters : NULL, h->reload_waiters};

	if (h->reload)
		h->reload->waiters = NULL;
	h->reload_waiters = NULL;
	for (int i = 0; i < 2; i++)
		waiters_answer(lists[i], -ECANCELED, "the daemon is stopping");
}

/* Starts the next round for the reloads that wait, if none runs. */
static void
reload_next(struct herald *h)
{
	struct reload *r;

	if (h->reload || h->reload_waiters == NULL)
		return;
	if (h->stopping) {
		reload_cancel(h);
		return;
	}
	if ((r = calloc(1, sizeof *r)) == NULL) {
		struct reload_waiter *list = h->reload_waiters;

		h->reload_waiters = NULL;
		waiters_answer(list, -ENOMEM, "out of memory");
		return;
	}
	r->h = h;
	r->waiters = h->reload_waiters;
	h->reload_waiters = NULL;
	h->reload = r;
	r->parse.data = r;
	if (uv_queue_work(&h->loop, &r->parse, reload_parse, reload_parsed) < 0) {
		reload_parse(&r->parse);
		reload_parsed(&r->parse, 0);
	}
}

/* Re-reads the configuration: added feeds start, removed ones stop (their
 * items stay), changed ones apply. A bad file is refused and the running
 * configuration stays. cb is called once, later, on the loop: rc 0, or
 * -EINVAL (the file: errors holds its "FILE:LINE: message" lines), -EIO
 * (the database), -ENOMEM, -ECANCELED (the daemon stops). 0 when the
 * reload was queued, -ENOMEM when it could not be (cb is not called). */
static int
herald_reload(void *daemon, commands_reload_cb cb, void *arg)
{
	struct herald *h = daemon;
	struct reload_waiter *wt = calloc(1, sizeof *wt), **pp;

	if (wt == NULL)
		return -ENOMEM;
	wt->cb = cb;
	wt->arg = arg;
	for (pp = &h->reload_waiters; *pp; pp = &(*pp)->next)
		;
	*pp = wt;
	reload_next(h);
	return 0;
}

static void
reload_logged_done(void *arg, int rc, const char *errors)
{
	(void)arg;
	if (rc < 0)
		log_err("reload refused, the running configuration stays:\n%s",
			errors ? errors : "out of memory");
	notify("READY=1");
}

/* SIGHUP's reload, reported in the log. */
static void
reload_logged(struct herald *h)
{
	notify("RELOADING=1");
	if (herald_reload(h, reload_logged_done, NULL) < 0) {
		log_err("reload refused: out of memory");
		notify("READY=1");
	}
}

/* ---- the writer's and the poller's callbacks ---- */

/* The worker took the store (on) or gave it back: requests that touch it
 * wait meanwhile. */
static void
on_busy(void *user, int on)
{
	struct herald *h = user;

	commands_hold(h->commands, on);
	api_hold(h->api, on);
}

static void
on_lost(void *user, struct writer_job *const *jobs, size_t n, const char *why)
{
	struct herald *h = user;

	poll_lost(h->poller, jobs, n, why);
}

static void herald_stop(struct herald *h);

static void
on_recorded(void *user, const struct poll_feed *f, int failed)
{
	struct herald *h = user;

	(void)f;
	if (!h->opt.once) {
		notify_status(h);
		return;
	}
	if (failed)
		h->once_failed = 1;
	if (h->once_pending > 0 && --h->once_pending == 0)
		herald_stop(h);
}

/* ---- moved feeds ----
 *
 * The poller owns the feeds and the writer's merge; the daemon owns
 * feeds.conf. A move is written there as the client's edits are
 * (confedit), then the file is reloaded (herald_reload: in the background;
 * the poller keeps the feed, validators and all, when its URL is now where
 * it moved). A failed edit is logged: the store's moved_url keeps the feed
 * at its new URL, and the poller asks again after the next reload or
 * start. */

static void
moved_reloaded(void *arg, int rc, const char *errors)
{
	(void)arg;
	if (rc < 0 && rc != -ECANCELED)
		log_err("reload after a moved feed refused, the running configuration stays:\n%s",
			errors ? errors : "out of memory");
}

/* The merged feed's section goes from feeds.conf. */
static void
on_merged(void *arg, const char *from, const char *into, int rc, const char *why,
	  const struct store_merge_counts *c)
{
	struct herald *h = arg;
	char err[1024];

	(void)why;
	(void)c;
	if (rc < 0)
		return; /* logged; its section stays, the poller asks again */
	if (confedit_remove(h->config_path, from, err, sizeof err) < 0) {
		log_err("feed %s: merged into feed %s, but its section stays in %s: %s", from, into,
			h->config_path, err);
		return;
	}
	log_info("feed %s: removed from %s: it moved to feed %s's URL and was merged into it", from,
		 h->config_path, into);
	if (herald_reload(h, moved_reloaded, NULL) < 0)
		log_err("reload after a moved feed: out of memory");
}

static void
on_moved(void *user, const char *id, const char *url)
{
	struct herald *h = user;
	const struct config_feed *to = config_feed_find_url(&h->cfg, url);
	char err[1024];

	if (to && strcmp(to->id, id) != 0) {
		log_info("feed %s: moved to the URL of feed %s: merging the two", id, to->id);
		if (poll_merge(h->poller, id, to->id, on_merged, h) < 0)
			log_err("feed %s: cannot merge it into feed %s: out of memory", id, to->id);
		return;
	}
	if (confedit_set_url(h->config_path, id, url, err, sizeof err) < 0) {
		log_err("feed %s: moved, but %s keeps its old url (it is polled at the new one): "
			"%s",
			id, h->config_path, err);
		return;
	}
	log_info("feed %s: url = %s written to %s", id, url, h->config_path);
	if (herald_reload(h, moved_reloaded, NULL) < 0)
		log_err("reload after a moved feed: out of memory");
}

/* ---- lifecycle ---- */

static void
on_signal(uv_signal_t *sig, int signum)
{
	struct herald *h = sig->data;

	if (signum == SIGHUP) {
		reload_logged(h);
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

/* Begins an orderly stop: transfers aborted, the socket closed, the loop
 * left to drain. Safe to call more than once, and after a start that failed
 * part way (each handle is closed only when it was initialised). */
static void
herald_stop(struct herald *h)
{
	if (h->stopping)
		return;
	h->stopping = 1;
	notify("STOPPING=1");
	poll_stop(h->poller);
	/* Commit what is complete. */
	writer_stop(h->writer);
	if (h->fetch) {
		fetch_shutdown(h->fetch, NULL, NULL);
		h->fetch = NULL;
	}
	reload_cancel(h);
	retention_stop(h->retention);
	commands_stop(h->commands);
	h->commands = NULL;
	api_stop(h->api);
	h->api = NULL;
	h->env.api = NULL;
	for (int i = 0; i < h->nsigs; i++)
		uv_close((uv_handle_t *)&h->sigs[i], NULL);
	h->nsigs = 0;
	if (h->watchdog_on)
		uv_close((uv_handle_t *)&h->watchdog, NULL);
	h->watchdog_on = 0;
}

static int
start_signals(struct herald *h, char *err, size_t errlen)
{
	static const int nums[] = {SIGHUP, SIGTERM, SIGINT};
	int rc;

	for (int i = 0; i < 3; i++) {
		if ((rc = uv_signal_init(&h->loop, &h->sigs[i])) < 0) {
			snprintf(err, errlen, "cannot install signal handlers: %s",
				 uv_strerror(rc));
			return -1;
		}
		/* Counted once initialised: herald_stop closes these only. */
		h->nsigs = i + 1;
		h->sigs[i].data = h;
		if ((rc = uv_signal_start(&h->sigs[i], on_signal, nums[i])) < 0) {
			snprintf(err, errlen, "cannot install signal handlers: %s",
				 uv_strerror(rc));
			return -1;
		}
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

/* Descriptors kept for everything but transfers and clients: stdio, the
 * database and its WAL and index, the loop's own, the listening socket,
 * file:// reads on the worker threads. */
#define FD_RESERVE 40
/* Clients: control's default maximum, and the fewest kept when the limit
 * is small. */
#define FD_CLIENTS     256
#define FD_MIN_CLIENTS 8
#define FD_MIN_CONNS   8

/* Splits the descriptor limit between transfers and socket clients, so that
 * neither can take the other's (issue #28: 250 idle clients made half the
 * polls fail with EMFILE). Past the limit every connect fails ("Couldn't
 * connect") and hundreds of feeds back off for hours; fewer connections
 * only make a round slower, fewer clients get "ERR busy" or make room by
 * closing an idle one. --once serves no client. */
static void
fit_descriptors(struct herald *h)
{
	unsigned want = h->cfg.max_connections, clients = h->opt.once ? 0 : FD_CLIENTS;
	unsigned long long avail;
	struct rlimit rl;

	h->fit_conns = want;
	h->fit_clients = clients;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
		/* The soft limit is only a default: take what we may. */
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (rlim_t)want + clients + FD_RESERVE)
		return;
	avail = rl.rlim_cur > FD_RESERVE + FD_MIN_CONNS + FD_MIN_CLIENTS
			? rl.rlim_cur - FD_RESERVE
			: FD_MIN_CONNS + FD_MIN_CLIENTS;
	if (clients) {
		/* A quarter for clients, at least FD_MIN_CLIENTS; the rest for
		 * transfers, and what transfers do not want back to clients. */
		clients = avail / 4 < FD_MIN_CLIENTS ? FD_MIN_CLIENTS : (unsigned)(avail / 4);
		clients = clients > FD_CLIENTS ? FD_CLIENTS : clients;
	}
	h->fit_conns = avail - clients < want ? (unsigned)(avail - clients) : want;
	if (clients && avail - h->fit_conns < FD_CLIENTS)
		clients = (unsigned)(avail - h->fit_conns);
	h->fit_clients = clients;
	if (h->fit_conns < want)
		log_warn("only %llu file descriptors (ulimit -n): max_connections lowered from %u "
			 "to %u%s",
			 (unsigned long long)rl.rlim_cur, want, h->fit_conns,
			 h->opt.once ? "" : ", room kept for socket clients");
	if (h->fit_clients < FD_CLIENTS && !h->opt.once)
		log_warn(
			"only %llu file descriptors (ulimit -n): at most %u socket clients at once",
			(unsigned long long)rl.rlim_cur, h->fit_clients);
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
		.max_connections = h->fit_conns,
		.max_per_host = h->cfg.max_per_host,
		.max_body = h->cfg.max_body,
		.slice_ms = PARSE_SLICE_MS,
	};

	h->fetch = fetch_new(&h->loop, &fo, err, errlen);
	return h->fetch ? 0 : -1;
}

/* The Reader API (docs/api.md): its accounts always (herald passwd), its
 * HTTP server when http_listen is set (a reload does not move it). */
static int
start_api(struct herald *h, char *err, size_t errlen)
{
	struct api_env ae = {.writer = h->writer,
			     .cfg = &h->cfg,
			     .config_path = h->config_path,
			     .reload = herald_reload,
			     .daemon = h};

	if (h->opt.once)
		return 0;
	if (api_new(&h->loop, &ae, &h->api, err, errlen) < 0)
		return -1;
	h->env.api = h->api;
	return h->cfg.http_listen ? api_listen(h->api, h->cfg.http_listen, err, errlen) : 0;
}

/* The writer (the database) and the poller (the feeds). */
static int
start_core(struct herald *h, char *err, size_t errlen)
{
	struct story_params sp = story_params_from(&h->cfg);
	struct poll_options po = poll_options_from(h, &h->cfg);
	struct writer_callbacks wc = {
		.lost = on_lost, .busy = on_busy, .reopened = on_reopened, .user = h};
	struct poll_callbacks pc = {.recorded = on_recorded, .moved = on_moved, .user = h};

	if (writer_new(&h->loop, h->db_path, &sp, &wc, &h->writer, err, errlen) < 0 ||
	    start_fetch(h, err, errlen) < 0)
		return -1;
	h->poller = poll_new(&h->loop, h->fetch, h->writer, &po, &pc, err, errlen);
	if (h->poller == NULL)
		return -1;
	h->retention = retention_new(&h->loop, h->writer, &h->cfg, NULL, err, errlen);
	if (h->retention == NULL)
		return -1;
	h->env.writer = h->writer;
	h->env.poller = h->poller;
	h->env.fetch = h->fetch;
	h->env.retention = h->retention;
	if (filters_to_writer(h, &h->cfg) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (sync_feeds(h, writer_store(h->writer), &h->cfg, 0, err, errlen) < 0)
		return -1;
	return start_api(h, err, errlen);
}

/* Everything up to the loop: 0, or -1 with the reason in err. */
static int
herald_start(struct herald *h, char *err, size_t errlen)
{
	char *errors = NULL;

	if (config_load(h->config_path, &h->cfg, &errors) < 0) {
		snprintf(err, errlen, "%s", errors ? errors : "out of memory");
		free(errors);
		return -1;
	}
	fit_descriptors(h);
	h->env = (struct commands_env){
		.max_clients = h->fit_clients,
		.cfg = &h->cfg,
		.config_path = h->config_path,
		.started = h->started,
		.reload = herald_reload,
		.daemon = h,
	};
	/* The socket first: a second daemon on the same socket must be refused
	 * before it touches the database (sync_feeds would rewrite the feeds
	 * table from its own configuration). No client is served before the
	 * loop runs, by when env is complete. */
	if (resolve_paths(h, err, errlen) < 0 ||
	    (!h->opt.once && commands_start(&h->loop, &h->env, h->sock_path, h->cfg.socket_group,
					    &h->commands, err, errlen) < 0) ||
	    start_core(h, err, errlen) < 0 || start_signals(h, err, errlen) < 0)
		return -1;
	h->nfeeds = poll_count(h->poller);
	h->once_pending = h->nfeeds;
	start_watchdog(h);
	log_info("started: %zu feeds, database %s%s%s", poll_count(h->poller), h->db_path,
		 h->opt.once ? "" : ", socket ", h->opt.once ? "" : h->sock_path);
	notify("READY=1");
	notify_status(h);
	return 0;
}

static void
herald_free(struct herald *h)
{
	poll_free(h->poller);
	retention_free(h->retention);
	writer_free(h->writer);
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
	h.opt = *opt;
	h.started = (int64_t)time(NULL);
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
		if (h.opt.once && h.once_pending == 0)
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
