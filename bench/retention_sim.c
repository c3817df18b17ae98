/* retention_sim: months of a reader's life on the store, with a clock the
 * simulation moves (no network, no daemon): every feed publishes a few items
 * a day and lists only its latest ones, some outlets tell the same events
 * (stories fold), a few feeds list an old item again now and then, and the
 * user reads most items the next day and stars a few. Once a simulated day
 * the purge runs (store_purge_*, the chunks the daemon's worker runs), unless
 * --no-retention. Prints the database's size as the months pass, and with
 * --check verifies that no mark is lost (every starred item, every item the
 * policy keeps and every item a feed still lists is there) and no purged
 * item comes back; exits 1 when one is.
 *
 *   retention_sim [--feeds N] [--days N] [--keep-read D] [--keep-unread D]
 *                 [--window D] [--listed N] [--chunk N] [--no-retention]
 *                 [--check] [--report D,D,...] [--level PCT] [--db PATH]
 *
 * Durations in days. --level PCT: also fail unless the database at the end
 * is at most PCT % larger than at two thirds of the run (it levels off).
 * Run by tests/retention_sim.sh (scaled down) and bench/retention (a year
 * of 1,000 feeds, with and without retention). */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ingest.h"
#include "parse.h"
#include "store.h"
#include "story.h"

#define DAY      86400
#define VOCAB    20000
#define EVENTS   60 /* a day's events that several outlets tell */
#define MAXWORDS 80

struct sitem {
	int64_t id, time;
	uint32_t seq;
	uint8_t read, starred, gone;
};

struct sfeed {
	char id[16];
	struct sitem *v;
	size_t n, cap;
	unsigned rate;      /* items a day, on average */
	unsigned keep_read; /* days, 0 = the global one */
	int flaps;          /* lists an old item again now and then */
	int64_t flapped;    /* the index listed again today, or -1 */
};

static struct {
	unsigned feeds, days, listed, chunk, keep_read, keep_unread, window, level;
	int retention, check;
	const char *db;
	unsigned report[32];
	size_t nreport;
} opt = {1000, 365, 20, 32, 60, 180, 3, 0, 1, 0, NULL, {30, 182, 365}, 3};

static char vocab[VOCAB][12];
static uint64_t
mix(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void
make_vocab(void)
{
	for (size_t i = 0; i < VOCAB; i++) {
		uint64_t x = mix(i + 1);
		size_t n = 4 + x % 7;

		for (size_t k = 0; k < n; k++, x /= 26)
			vocab[i][k] = (char)('a' + x % 26);
		vocab[i][n] = '\0';
	}
}

/* n words from seed, joined by spaces, into out. */
static void
words(char *out, size_t outlen, uint64_t seed, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && len + 13 < outlen; i++) {
		const char *w = vocab[mix(seed * 131 + i) % VOCAB];

		len += (size_t)snprintf(out + len, outlen - len, "%s%s", i ? " " : "", w);
	}
}

static int
die(const char *what, const char *err)
{
	fprintf(stderr, "retention_sim: %s: %s\n", what, err);
	exit(2);
}

static struct sitem *
push(struct sfeed *f)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		if ((f->v = realloc(f->v, f->cap * sizeof *f->v)) == NULL)
			die("memory", "out of memory");
	}
	memset(&f->v[f->n], 0, sizeof f->v[f->n]);
	return &f->v[f->n++];
}

/* Item k of feed fi: its words come from its event when it tells one. */
static void
item_text(unsigned fi, const struct sitem *it, char *title, char *text, size_t len)
{
	uint64_t h = mix((uint64_t)fi << 32 | it->seq);
	char own[256];

	if (h % 10 < 3) { /* one of the day's events */
		uint64_t ev = (uint64_t)(it->time / DAY) * EVENTS + h / 10 % EVENTS + 1;

		words(title, len, ev, 7);
		words(text, len, ev * 7 + 3, 60);
		words(own, sizeof own, h, 8);
		strncat(text, " ", len - strlen(text) - 1);
		strncat(text, own, len - strlen(text) - 1);
	} else {
		words(title, len, h, 7);
		words(text, len, h * 3 + 1, 70);
	}
}

static void
ingest_doc(struct store *st, struct story_index *idx, unsigned fi, struct sfeed *f, int64_t now,
	   struct ingest_counts *tot)
{
	struct ingest *in = ingest_new(f->id, "application/rss+xml", "https://sim.example/", now);
	char title[256], text[1024], html[1100], guid[48], link[80], err[512];
	size_t first = f->n > opt.listed ? f->n - opt.listed : 0;
	struct ingest_counts c;

	if (in == NULL)
		die("ingest", "out of memory");
	for (size_t k = first; k <= f->n; k++) {
		const struct sitem *it;
		struct parse_item pi;

		if (k == f->n) { /* an old item listed again */
			if (f->flapped < 0)
				break;
			it = &f->v[f->flapped];
		} else {
			it = &f->v[k];
		}
		item_text(fi, it, title, text, sizeof text);
		snprintf(html, sizeof html, "<p>%s</p>", text);
		snprintf(guid, sizeof guid, "%s-%u", f->id, it->seq);
		snprintf(link, sizeof link, "https://sim.example/%s/%u", f->id, it->seq);
		memset(&pi, 0, sizeof pi);
		pi.guid = guid;
		pi.link = link;
		pi.title.text = title;
		pi.summary.value = html;
		pi.summary.text = text;
		pi.published = it->time;
		if (ingest_item(in, &pi) < 0)
			die("ingest", "out of memory");
	}
	if (ingest_store(in, st, idx, &c, err, sizeof err) < 0)
		die("ingest", err);
	tot->added += c.added;
	tot->purged += c.purged;
	ingest_free(in);
}

/* The item ids of a feed's new items: looked up by key once after ingest. */
static sqlite3 *chk;
static sqlite3_stmt *by_key;

static int64_t
lookup(const struct sfeed *f, const struct sitem *it)
{
	char guid[48];
	int64_t id = 0;

	snprintf(guid, sizeof guid, "%s-%u", f->id, it->seq);
	sqlite3_reset(by_key);
	sqlite3_bind_text(by_key, 1, f->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(by_key, 2, guid, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(by_key) == SQLITE_ROW)
		id = sqlite3_column_int64(by_key, 0);
	sqlite3_reset(by_key);
	return id;
}

struct tally {
	int64_t lost, resurrected, gone;
};

/* Every item the simulation made: present when it must be, never back once
 * gone. */
static void
check_all(struct sfeed *feeds, int64_t now, struct tally *t)
{
	for (unsigned fi = 0; fi < opt.feeds; fi++) {
		struct sfeed *f = &feeds[fi];
		size_t first = f->n > opt.listed ? f->n - opt.listed : 0;
		unsigned kr = f->keep_read ? f->keep_read : opt.keep_read;

		for (size_t k = 0; k < f->n; k++) {
			struct sitem *it = &f->v[k];
			int64_t id = lookup(f, it);
			int listed = k >= first || (int64_t)k == f->flapped;
			int64_t keep = it->read ? (int64_t)kr : (int64_t)opt.keep_unread;

			if (it->gone) {
				if (id != 0 && t->resurrected++ < 5)
					printf("back: %s-%u, %.1f days old\n", f->id, it->seq,
					       (double)(now - it->time) / DAY);
				continue;
			}
			if (id == it->id)
				continue;
			if (id != 0) { /* back under another id */
				t->resurrected++;
				continue;
			}
			if (it->starred || listed || !opt.retention || keep == 0 ||
			    it->time >= now - keep * DAY ||
			    it->time >= now - (int64_t)(opt.window + 1) * DAY) {
				if (t->lost++ < 5)
					printf("lost: %s-%u, %.1f days old, read %d, starred %d, "
					       "listed %d\n",
					       f->id, it->seq, (double)(now - it->time) / DAY,
					       it->read, it->starred, listed);
				continue;
			}
			it->gone = 1;
			t->gone++;
		}
	}
}

static int64_t
file_bytes(const char *path)
{
	struct stat sb;
	char wal[512];
	int64_t n = 0;

	if (stat(path, &sb) == 0)
		n += sb.st_size;
	snprintf(wal, sizeof wal, "%s-wal", path);
	if (stat(wal, &sb) == 0)
		n += sb.st_size;
	return n;
}

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct purge_tally {
	unsigned runs, chunks;
	int64_t chunk_max_us, run_max_us, items, stories, vacuumed;
	int64_t *us; /* every chunk's time */
	size_t nus, capus;
};

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
purge(struct store *st, struct sfeed *feeds, int64_t now, struct purge_tally *pt)
{
	struct store_keep *keeps = calloc(opt.feeds, sizeof *keeps);
	struct store_purge_policy p = {.now = now,
				       .keep_read = opt.keep_read * DAY,
				       .keep_unread = opt.keep_unread * DAY,
				       .spare = (opt.window + 1) * DAY};
	struct store_purge *pg;
	const struct store_purge_counts *c;
	char err[512];
	int64_t t0 = mono_us();
	int rc;

	for (unsigned i = 0; i < opt.feeds; i++)
		keeps[i] = (struct store_keep){
			feeds[i].id,
			(feeds[i].keep_read ? feeds[i].keep_read : opt.keep_read) * DAY,
			opt.keep_unread * DAY};
	p.feeds = keeps;
	p.nfeeds = opt.feeds;
	if (store_purge_begin(&p, &pg, err, sizeof err) < 0)
		die("purge", err);
	free(keeps);
	do {
		int64_t c0 = mono_us();

		rc = store_purge_step(st, pg, opt.chunk, err, sizeof err);
		if (pt->nus == pt->capus) {
			pt->capus = pt->capus ? pt->capus * 2 : 1024;
			if ((pt->us = realloc(pt->us, pt->capus * sizeof *pt->us)) == NULL)
				die("memory", "out of memory");
		}
		pt->us[pt->nus++] = mono_us() - c0;
	} while (rc > 0);
	if (rc < 0)
		die("purge", err);
	c = store_purge_counts(pg);
	pt->runs++;
	pt->chunks += c->chunks;
	pt->items += c->items;
	pt->stories += c->stories;
	pt->vacuumed += c->vacuumed;
	if (c->chunk_max_us > pt->chunk_max_us)
		pt->chunk_max_us = c->chunk_max_us;
	if (mono_us() - t0 > pt->run_max_us)
		pt->run_max_us = mono_us() - t0;
	store_purge_free(pg);
}

static void
usage(void)
{
	fprintf(stderr, "usage: retention_sim [--feeds N] [--days N] [--keep-read D] "
			"[--keep-unread D] [--window D] [--listed N] [--chunk N] "
			"[--no-retention] [--check] [--report D,D,...] [--level PCT] "
			"[--db PATH]\n");
	exit(2);
}

static void
parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned *u = NULL;

		if (!strcmp(a, "--no-retention")) {
			opt.retention = 0;
			continue;
		}
		if (!strcmp(a, "--check")) {
			opt.check = 1;
			continue;
		}
		if (v == NULL)
			usage();
		i++;
		if (!strcmp(a, "--feeds"))
			u = &opt.feeds;
		else if (!strcmp(a, "--days"))
			u = &opt.days;
		else if (!strcmp(a, "--keep-read"))
			u = &opt.keep_read;
		else if (!strcmp(a, "--keep-unread"))
			u = &opt.keep_unread;
		else if (!strcmp(a, "--window"))
			u = &opt.window;
		else if (!strcmp(a, "--listed"))
			u = &opt.listed;
		else if (!strcmp(a, "--chunk"))
			u = &opt.chunk;
		else if (!strcmp(a, "--level"))
			u = &opt.level;
		else if (!strcmp(a, "--db"))
			opt.db = v;
		else if (!strcmp(a, "--report")) {
			char *dup = strdup(v), *save = NULL;

			opt.nreport = 0;
			for (char *t = strtok_r(dup, ",", &save); t && opt.nreport < 32;
			     t = strtok_r(NULL, ",", &save))
				opt.report[opt.nreport++] = (unsigned)atoi(t);
			free(dup);
		} else
			usage();
		if (u)
			*u = (unsigned)strtoul(v, NULL, 10);
	}
	if (opt.db == NULL || opt.feeds == 0 || opt.days == 0)
		usage();
}

/* An old item a flapping feed lists again today: one it stopped listing,
 * at most the feed's keep_read + keep_unread days old (a purge remembers an
 * item for the longest keep, keep_unread here, after it went, so these must
 * all stay away; an item listed again after its memory expired comes back,
 * docs/configuration.md), or -1. */
static int64_t
flap_pick(const struct sfeed *f, int64_t now, uint64_t h)
{
	size_t lo = f->n, hi = f->n > opt.listed + 1 ? f->n - opt.listed - 1 : 0;
	unsigned kr = f->keep_read ? f->keep_read : opt.keep_read;
	int64_t oldest = now - (int64_t)(kr + opt.keep_unread) * DAY;

	while (lo > 0 && f->v[lo - 1].time >= oldest)
		lo--;
	if (lo >= hi)
		return -1;
	return (int64_t)(lo + h / 7 % (hi - lo));
}

/* The user: yesterday's items are read (9 in 10) and a few starred. */
static void
mark_yesterday(struct store *st, struct sfeed *f, int64_t now)
{
	char err[512];

	for (size_t k = f->n; k-- > 0;) {
		struct sitem *it = &f->v[k];
		uint64_t h = mix((uint64_t)it->id * 7919);

		if (it->time < now - 2 * DAY)
			break;
		if (it->time >= now - DAY || it->id == 0)
			continue;
		if (h % 10 != 0 && !it->read) {
			it->read = 1;
			if (store_mark_item(st, it->id, STORE_MARK_READ, err, sizeof err) < 0)
				die("mark", err);
		}
		if (h / 10 % 100 == 0 && !it->starred) {
			it->starred = 1;
			if (store_mark_item(st, it->id, STORE_MARK_STAR, err, sizeof err) < 0)
				die("star", err);
		}
	}
}

int
main(int argc, char **argv)
{
	struct story_params sp = story_params_default();
	struct sfeed *feeds;
	struct story_index *idx;
	struct store *st;
	struct ingest_counts tot = {0};
	struct purge_tally pt = {0};
	struct tally t = {0};
	struct store_stats ss;
	char err[512];
	int64_t t0, level_bytes = 0, level_items = 0, start_us = mono_us();
	size_t rep = 0;
	int fail = 0;

	parse_args(argc, argv);
	make_vocab();
	t0 = (int64_t)time(NULL) / DAY * DAY - (int64_t)opt.days * DAY;
	if (store_open(opt.db, &st, err, sizeof err) < 0)
		die("open", err);
	sp.window = opt.window * DAY;
	if ((idx = story_new(&sp, err, sizeof err)) == NULL)
		die("story index", err);
	if ((feeds = calloc(opt.feeds, sizeof *feeds)) == NULL)
		die("memory", "out of memory");
	{
		struct config_feed *cf = calloc(opt.feeds, sizeof *cf);

		for (unsigned i = 0; i < opt.feeds; i++) {
			snprintf(feeds[i].id, sizeof feeds[i].id, "f%05u", i);
			feeds[i].rate = 1 + i % 10; /* 1..10 a day, 5.5 on average */
			feeds[i].keep_read = i % 7 == 0 ? 14 : 0;
			feeds[i].flaps = i % 25 == 0;
			feeds[i].flapped = -1;
			cf[i].id = feeds[i].id;
			cf[i].url = "https://sim.example/";
		}
		if (store_feeds_sync(st, cf, opt.feeds, err, sizeof err) < 0)
			die("feeds", err);
		free(cf);
	}
	if (sqlite3_open_v2(opt.db, &chk, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(chk, "SELECT id FROM items WHERE feed = ?1 AND guid = ?2", -1,
			       &by_key, NULL) != SQLITE_OK)
		die("check connection", sqlite3_errmsg(chk));
	printf("%s: %u feeds, %u days, keep_read %ud (1 feed in 7: 14d), keep_unread %ud, "
	       "%u listed%s\n",
	       opt.retention ? "retention" : "no retention", opt.feeds, opt.days, opt.keep_read,
	       opt.keep_unread, opt.listed, opt.chunk ? "" : "");
	for (unsigned d = 1; d <= opt.days; d++) {
		int64_t now = t0 + (int64_t)d * DAY;

		if (store_batch_open(st, err, sizeof err) < 0)
			die("batch", err);
		for (unsigned fi = 0; fi < opt.feeds; fi++) {
			struct sfeed *f = &feeds[fi];
			uint64_t h = mix((uint64_t)fi << 32 | d);
			unsigned k = (unsigned)(h % (2 * f->rate + 1));

			for (unsigned j = 0; j < k; j++) {
				struct sitem *it = push(f);

				it->seq = (uint32_t)(f->n - 1);
				it->time = now - DAY + (int64_t)(mix(h + j) % DAY);
			}
			f->flapped = -1;
			if (f->flaps && h / 1000 % 5 == 0)
				f->flapped = flap_pick(f, now, h);
			/* Gone before it is listed again: the check must find it
			 * gone, not lost. */
			if (f->flapped >= 0 && opt.check && !f->v[f->flapped].gone &&
			    lookup(f, &f->v[f->flapped]) == 0) {
				f->v[f->flapped].gone = 1;
				t.gone++;
			}
			ingest_doc(st, idx, fi, f, now, &tot);
			if ((fi + 1) % 64 == 0 && (store_batch_flush(st, err, sizeof err) < 0 ||
						   store_batch_open(st, err, sizeof err) < 0))
				die("commit", err);
		}
		if (store_batch_flush(st, err, sizeof err) < 0)
			die("commit", err);
		/* The new items' ids. */
		for (unsigned fi = 0; fi < opt.feeds; fi++)
			for (size_t k = feeds[fi].n; k-- > 0 && feeds[fi].v[k].id == 0;)
				feeds[fi].v[k].id = lookup(&feeds[fi], &feeds[fi].v[k]);
		if (store_begin(st, err, sizeof err) < 0)
			die("begin", err);
		for (unsigned fi = 0; fi < opt.feeds; fi++)
			mark_yesterday(st, &feeds[fi], now);
		if (store_commit(st, err, sizeof err) < 0)
			die("commit", err);
		if (opt.retention)
			purge(st, feeds, now, &pt);
		if (opt.check && (d % 10 == 0 || d == opt.days))
			check_all(feeds, now, &t);
		if (d == opt.days * 2 / 3 || d == opt.days ||
		    (rep < opt.nreport && opt.report[rep] == d)) {
			if (store_stats(st, &ss, err, sizeof err) < 0)
				die("stats", err);
			if (d == opt.days * 2 / 3) {
				level_bytes = ss.db_bytes;
				level_items = ss.items;
			}
			if (rep < opt.nreport && opt.report[rep] == d) {
				rep++;
				printf("day %3u: %8lld items %8lld stories, database %7.1f MB "
				       "(file %7.1f MB)\n",
				       d, (long long)ss.items, (long long)ss.stories,
				       ss.db_bytes / 1e6, file_bytes(opt.db) / 1e6);
				fflush(stdout);
			}
		}
	}
	if (store_stats(st, &ss, err, sizeof err) < 0)
		die("stats", err);
	printf("end: %lld items, %lld stories, %lld starred, %lld unread; database %.1f MB; %u "
	       "items added, %u purged items not stored again; %.0f s\n",
	       (long long)ss.items, (long long)ss.stories, (long long)ss.starred,
	       (long long)ss.unread, ss.db_bytes / 1e6, tot.added, tot.purged,
	       (mono_us() - start_us) / 1e6);
	if (opt.retention && pt.nus) {
		qsort(pt.us, pt.nus, sizeof *pt.us, cmp_i64);
		printf("purge: %u runs, %lld items and %lld stories removed, %.1f MB given back; "
		       "the longest run %.1f ms\n",
		       pt.runs, (long long)pt.items, (long long)pt.stories, pt.vacuumed / 1e6,
		       pt.run_max_us / 1e3);
		printf("chunks: %zu of at most %u items; median %.2f ms, 90%% %.2f ms, 99%% %.2f "
		       "ms, the longest %.2f ms\n",
		       pt.nus, opt.chunk, pt.us[pt.nus / 2] / 1e3, pt.us[pt.nus * 9 / 10] / 1e3,
		       pt.us[pt.nus * 99 / 100] / 1e3, pt.us[pt.nus - 1] / 1e3);
	}
	free(pt.us);
	if (opt.check) {
		printf("check: %lld items gone by the policy, %lld lost marks, %lld resurrected\n",
		       (long long)t.gone, (long long)t.lost, (long long)t.resurrected);
		fail |= t.lost != 0 || t.resurrected != 0;
		if (opt.retention && (t.gone == 0 || tot.purged == 0)) {
			printf("check: FAIL nothing was purged, or no purged item was listed "
			       "again\n");
			fail = 1;
		}
	}
	if (opt.level && level_bytes > 0) {
		int ok = ss.db_bytes * 100 <= level_bytes * (100 + opt.level) &&
			 ss.items * 100 <= level_items * (100 + opt.level);

		printf("level: %s: database %.1f MB at day %u, %.1f MB at day %u; items %lld, "
		       "%lld\n",
		       ok ? "ok" : "FAIL", level_bytes / 1e6, opt.days * 2 / 3, ss.db_bytes / 1e6,
		       opt.days, (long long)level_items, (long long)ss.items);
		fail |= !ok;
	}
	sqlite3_finalize(by_key);
	sqlite3_close(chk);
	story_free(idx);
	store_close(st);
	for (unsigned i = 0; i < opt.feeds; i++)
		free(feeds[i].v);
	free(feeds);
	return fail;
}
