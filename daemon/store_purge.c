/* store_purge: retention, a purge in chunks (store.h, "Retention"). The
 * SQL is in store_sql.c (PURGEABLE says which items may go). */
#include "store.h"
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum phase { P_POLICY, P_ITEMS, P_FTS, P_EXPIRE, P_VACUUM, P_DONE };

/* Pages of search index merging per item removed (step_fts). */
#define FTS_MERGE_PER_ITEM 4

/* One item a chunk removes. */
struct doomed {
	int64_t id, story, bytes;
	uint64_t hash;
};

/* Stories a dry run has counted already (open addressing, ids > 0). */
struct idset {
	int64_t *v;
	size_t n, cap;
};

struct store_purge {
	struct store *st; /* of the first chunk */
	int64_t now, spare_cut, read_cut, unread_cut, max_cut;
	int64_t span; /* purged hashes are forgotten this long after last seen; 0: never */
	int dry_run;
	struct store_keep *feeds; /* copied, names in names */
	char *names;
	size_t nfeeds;

	enum phase phase;
	size_t policy_next;
	int64_t cur_time, cur_id; /* the last item scanned */
	int64_t hash_next;        /* the next purged hash to check */
	int64_t page_size;
	int incremental;    /* auto_vacuum = INCREMENTAL */
	int64_t fts_budget; /* pages of merge work left (step_fts) */
	struct doomed *dv;
	size_t dn, dcap;
	struct idset counted;
	struct store_purge_counts c;
};

/* ---- the SQL function ---- */

static uint64_t
le64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* herald_listed(listed, feed, key): 1 when the hash of feed and key is in
 * listed (feeds.listed: sorted little-endian 64-bit hashes). */
static void
listed_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *b = sqlite3_value_blob(argv[0]);
	size_t lo = 0, hi = (size_t)sqlite3_value_bytes(argv[0]) / 8;
	const char *feed = (const char *)sqlite3_value_text(argv[1]);
	const char *key = (const char *)sqlite3_value_text(argv[2]);
	uint64_t h;

	(void)argc;
	if (b == NULL || feed == NULL || key == NULL) {
		sqlite3_result_int(ctx, 0);
		return;
	}
	h = store_key_hash(feed, key);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t v = le64(b + mid * 8);

		if (v == h) {
			sqlite3_result_int(ctx, 1);
			return;
		}
		if (v < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	sqlite3_result_int(ctx, 0);
}

int
store_purge_functions(struct store *st)
{
	return sqlite3_create_function_v2(st->db, "herald_listed", 3,
					  SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
					  NULL, listed_fn, NULL, NULL, NULL);
}

/* ---- small helpers ---- */

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The time before which items of a keep go; keep 0: none ever does. */
static int64_t
cut_of(int64_t now, unsigned keep)
{
	return keep ? now - (int64_t)keep : INT64_MIN;
}

static int
idset_add(struct idset *s, int64_t id)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		int64_t *v = calloc(cap, sizeof *v);

		if (v == NULL)
			return -1;
		for (size_t k = 0; k < s->cap; k++) {
			if (s->v[k] == 0)
				continue;
			for (i = (size_t)s->v[k] * 0x9e3779b97f4a7c15ULL & (cap - 1); v[i];
			     i = (i + 1) & (cap - 1))
				;
			v[i] = s->v[k];
		}
		free(s->v);
		s->v = v;
		s->cap = cap;
	}
	for (i = (size_t)id * 0x9e3779b97f4a7c15ULL & (s->cap - 1); s->v[i];
	     i = (i + 1) & (s->cap - 1))
		if (s->v[i] == id)
			return 0;
	s->v[i] = id;
	s->n++;
	return 1;
}

/* Runs one-value statement id (?1 = a when a_set) and returns its integer. */
static int
one_int(struct store *st, enum store_stmt id, const int64_t *a, int64_t *out, char *err,
	size_t errlen, const char *what)
{
	sqlite3_stmt *s = store_stmt(st, id);
	int rc;

	if (a)
		sqlite3_bind_int64(s, 1, *a);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : store_fail(st, err, errlen, what);
}

static int
pragma_int(struct store *st, const char *sql, int64_t *out, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, err, errlen, sql);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : store_fail(st, err, errlen, sql);
}

/* Binds the cut-offs PURGEABLE reads. */
static void
bind_policy(const struct store_purge *pg, sqlite3_stmt *s)
{
	sqlite3_bind_int64(s, 10, pg->spare_cut);
	sqlite3_bind_int64(s, 11, pg->read_cut);
	sqlite3_bind_int64(s, 12, pg->unread_cut);
}

/* ---- the run ---- */

int
store_purge_begin(const struct store_purge_policy *p, struct store_purge **out, char *err,
		  size_t errlen)
{
	struct store_purge *pg = calloc(1, sizeof *pg);
	size_t names = 0;
	unsigned longest = p->keep_read > p->keep_unread ? p->keep_read : p->keep_unread;
	char *w;

	*out = NULL;
	for (size_t i = 0; i < p->nfeeds; i++)
		names += strlen(p->feeds[i].feed) + 1;
	if (pg == NULL ||
	    (p->nfeeds && ((pg->feeds = calloc(p->nfeeds, sizeof *pg->feeds)) == NULL ||
			   (pg->names = malloc(names)) == NULL))) {
		store_purge_free(pg);
		snprintf(err, errlen, "purge: out of memory");
		return -1;
	}
	w = pg->names;
	for (size_t i = 0; i < p->nfeeds; i++) {
		size_t n = strlen(p->feeds[i].feed) + 1;

		pg->feeds[i] = p->feeds[i];
		pg->feeds[i].feed = memcpy(w, p->feeds[i].feed, n);
		w += n;
		if (p->feeds[i].keep_read > longest)
			longest = p->feeds[i].keep_read;
		if (p->feeds[i].keep_unread > longest)
			longest = p->feeds[i].keep_unread;
	}
	pg->nfeeds = p->nfeeds;
	pg->now = p->now;
	pg->dry_run = p->dry_run;
	pg->spare_cut = p->now - (int64_t)p->spare;
	pg->read_cut = cut_of(p->now, p->keep_read);
	pg->unread_cut = cut_of(p->now, p->keep_unread);
	/* Items at or after max_cut never go: the scan stops there. */
	pg->max_cut = pg->read_cut > pg->unread_cut ? pg->read_cut : pg->unread_cut;
	for (size_t i = 0; i < p->nfeeds; i++) {
		int64_t r = cut_of(p->now, p->feeds[i].keep_read);
		int64_t u = cut_of(p->now, p->feeds[i].keep_unread);

		if (r > pg->max_cut)
			pg->max_cut = r;
		if (u > pg->max_cut)
			pg->max_cut = u;
	}
	if (pg->max_cut > pg->spare_cut)
		pg->max_cut = pg->spare_cut;
	pg->span = longest;
	pg->cur_time = INT64_MIN;
	pg->cur_id = INT64_MIN;
	pg->hash_next = INT64_MIN;
	*out = pg;
	return 0;
}

/* Step 1: the feeds' cut-offs into temp.purge_keep, 8 * max_rows a chunk. */
static int
step_policy(struct store *st, struct store_purge *pg, unsigned max_rows, char *err, size_t errlen)
{
	size_t first = pg->policy_next, end = first + (size_t)max_rows * 8, i = first;
	sqlite3_stmt *s;
	int64_t mode = 0;
	int rc = -1;

	if (first == 0) {
		if (pragma_int(st, "PRAGMA page_size", &pg->page_size, err, errlen) < 0 ||
		    pragma_int(st, "PRAGMA auto_vacuum", &mode, err, errlen) < 0)
			return -1;
		pg->incremental = mode == 2;
	}
	if (store_begin(st, err, errlen) < 0)
		return -1;
	if (first == 0 && store_exec_stmt(st, store_stmt(st, S_PURGE_KEEP_CLEAR), err, errlen,
					  "purge: policy") < 0)
		goto out;
	for (i = first; i < pg->nfeeds && i < end; i++) {
		const struct store_keep *k = &pg->feeds[i];

		s = store_stmt(st, S_PURGE_KEEP_ADD);
		store_bind_str(s, 1, k->feed);
		sqlite3_bind_int64(s, 2, cut_of(pg->now, k->keep_read));
		sqlite3_bind_int64(s, 3, cut_of(pg->now, k->keep_unread));
		if (store_exec_stmt(st, s, err, errlen, "purge: policy") < 0)
			goto out;
	}
	rc = 0;
out:
	if (store_tx_end(st, 1, rc, err, errlen) < 0)
		return -1;
	pg->policy_next = i;
	if (i >= pg->nfeeds)
		pg->phase = P_ITEMS;
	return 0;
}

static struct doomed *
doom_push(struct store_purge *pg)
{
	if (pg->dn == pg->dcap) {
		size_t cap = pg->dcap ? pg->dcap * 2 : 64;
		struct doomed *v = realloc(pg->dv, cap * sizeof *v);

		if (v == NULL)
			return NULL;
		pg->dv = v;
		pg->dcap = cap;
	}
	return &pg->dv[pg->dn++];
}

/* Scans the next items in time order, at most 8 * max_rows of them, and
 * keeps those that go (at most max_rows) in pg->dv. *end: the scan reached
 * the last item old enough. */
static int
scan_items(struct store *st, struct store_purge *pg, unsigned max_rows, int *end, char *err,
	   size_t errlen)
{
	sqlite3_stmt *s = store_stmt(st, S_PURGE_SCAN);
	int64_t limit = (int64_t)max_rows * 8, rows = 0;
	int rc, full = 0;

	pg->dn = 0;
	sqlite3_bind_int64(s, 1, pg->cur_time);
	sqlite3_bind_int64(s, 2, pg->cur_id);
	sqlite3_bind_int64(s, 3, pg->max_cut);
	sqlite3_bind_int(s, 4, pg->dry_run);
	sqlite3_bind_int64(s, 5, limit);
	bind_policy(pg, s);
	while (!full && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct doomed *d;
		const char *feed, *guid;

		rows++;
		pg->cur_id = sqlite3_column_int64(s, 0);
		pg->cur_time = sqlite3_column_int64(s, 1);
		if (!sqlite3_column_int(s, 5))
			continue;
		feed = (const char *)sqlite3_column_text(s, 2);
		guid = (const char *)sqlite3_column_text(s, 3);
		if (feed == NULL || guid == NULL || (d = doom_push(pg)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		d->id = pg->cur_id;
		d->story = sqlite3_column_int64(s, 4);
		d->hash = store_key_hash(feed, guid);
		d->bytes = sqlite3_column_int64(s, 6);
		full = pg->dn >= max_rows;
	}
	if (!full && rc != SQLITE_DONE) {
		if (rc == SQLITE_NOMEM)
			snprintf(err, errlen, "purge: out of memory");
		else
			store_fail(st, err, errlen, "purge: scan items");
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	*end = !full && rows < limit;
	return 0;
}

/* Dry run: counts the chunk's items, and the stories all of whose items
 * would go (each once). */
static int
count_dry(struct store *st, struct store_purge *pg, char *err, size_t errlen)
{
	for (size_t i = 0; i < pg->dn; i++) {
		const struct doomed *d = &pg->dv[i];
		sqlite3_stmt *s;
		int rc, added;

		pg->c.items++;
		pg->c.bytes += d->bytes;
		if (d->story <= 0)
			continue;
		if ((added = idset_add(&pg->counted, d->story)) < 0) {
			snprintf(err, errlen, "purge: out of memory");
			return -1;
		}
		if (!added)
			continue;
		s = store_stmt(st, S_PURGE_STORY_GOES);
		sqlite3_bind_int64(s, 1, d->story);
		bind_policy(pg, s);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			pg->c.stories += sqlite3_column_int(s, 0);
		sqlite3_reset(s);
		if (rc != SQLITE_ROW)
			return store_fail(st, err, errlen, "purge: story");
	}
	return 0;
}

int
store_story_settle(struct store *st, int64_t id, int *deleted, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int64_t has = 0;

	*deleted = 0;
	if (one_int(st, S_PURGE_STORY_HAS_ITEMS, &id, &has, err, errlen, "purge: story") < 0)
		return -1;
	if (has) {
		s = store_stmt(st, S_STORY_REFRESH);
		sqlite3_bind_int64(s, 1, id);
		return store_exec_stmt(st, s, err, errlen, "purge: refresh story");
	}
	s = store_stmt(st, S_PURGE_STORY_STUBS);
	sqlite3_bind_int64(s, 1, id);
	if (store_exec_stmt(st, s, err, errlen, "purge: merged stories") < 0)
		return -1;
	s = store_stmt(st, S_PURGE_STORY_DELETE);
	sqlite3_bind_int64(s, 1, id);
	if (store_exec_stmt(st, s, err, errlen, "purge: delete story") < 0)
		return -1;
	s = store_stmt(st, S_PURGE_STORY_MAX);
	sqlite3_bind_int64(s, 1, id);
	if (store_exec_stmt(st, s, err, errlen, "purge: story ids") < 0)
		return -1;
	*deleted = 1;
	return 0;
}

/* Removes the chunk's items (one DELETE: FTS5 writes its markers once),
 * remembers their hashes and settles their stories. In the caller's
 * transaction. */
static int
remove_doomed(struct store *st, struct store_purge *pg, char *err, size_t errlen)
{
	int64_t *stories = NULL;
	size_t ns = 0;
	sqlite3_stmt *s;
	int rc = -1, step;

	if (store_exec_stmt(st, store_stmt(st, S_PURGE_DOOMED_CLEAR), err, errlen, "purge: chunk") <
	    0)
		return -1;
	for (size_t i = 0; i < pg->dn; i++) {
		s = store_stmt(st, S_PURGE_DOOM);
		sqlite3_bind_int64(s, 1, pg->dv[i].id);
		sqlite3_bind_int64(s, 2, pg->dv[i].story);
		sqlite3_bind_int64(s, 3, (int64_t)pg->dv[i].hash);
		if (store_exec_stmt(st, s, err, errlen, "purge: chunk") < 0)
			return -1;
	}
	s = store_stmt(st, S_PURGE_REMEMBER);
	sqlite3_bind_int64(s, 1, pg->now);
	if (store_exec_stmt(st, s, err, errlen, "purge: remember keys") < 0)
		return -1;
	if (store_exec_stmt(st, store_stmt(st, S_PURGE_DELETE), err, errlen,
			    "purge: delete items") < 0)
		return -1;
	pg->c.items += sqlite3_changes(st->db);
	if ((stories = malloc((pg->dn + 1) * sizeof *stories)) == NULL) {
		snprintf(err, errlen, "purge: out of memory");
		return -1;
	}
	s = store_stmt(st, S_PURGE_DOOMED_STORIES);
	while ((step = sqlite3_step(s)) == SQLITE_ROW && ns < pg->dn)
		stories[ns++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (step != SQLITE_DONE && step != SQLITE_ROW) {
		store_fail(st, err, errlen, "purge: stories");
		goto out;
	}
	for (size_t i = 0; i < ns; i++) {
		int gone;

		if (store_story_settle(st, stories[i], &gone, err, errlen) < 0)
			goto out;
		pg->c.stories += gone;
	}
	rc = 0;
out:
	free(stories);
	return rc;
}

/* Step 2: one chunk of items. */
static int
step_items(struct store *st, struct store_purge *pg, unsigned max_rows, char *err, size_t errlen)
{
	int64_t used0 = 0, used1 = 0, t = pg->cur_time, id = pg->cur_id;
	struct store_purge_counts saved = pg->c;
	int end = 0, rc = -1;

	if (pg->dry_run) {
		if (scan_items(st, pg, max_rows, &end, err, errlen) < 0 ||
		    count_dry(st, pg, err, errlen) < 0)
			goto fail;
		pg->phase = end ? P_DONE : P_ITEMS;
		return 0;
	}
	if (store_begin(st, err, errlen) < 0)
		return -1;
	if (one_int(st, S_USED_PAGES, NULL, &used0, err, errlen, "purge: pages") == 0 &&
	    scan_items(st, pg, max_rows, &end, err, errlen) == 0 &&
	    (pg->dn == 0 || remove_doomed(st, pg, err, errlen) == 0) &&
	    one_int(st, S_USED_PAGES, NULL, &used1, err, errlen, "purge: pages") == 0)
		rc = 0;
	if (store_tx_end(st, 1, rc, err, errlen) < 0)
		goto fail;
	if (used0 > used1)
		pg->c.bytes += (used0 - used1) * pg->page_size;
	if (end) {
		pg->phase = P_FTS;
		pg->fts_budget = pg->c.items * FTS_MERGE_PER_ITEM;
	}
	return 0;
fail:
	/* The chunk is done again from where it began. */
	pg->c = saved;
	pg->cur_time = t;
	pg->cur_id = id;
	return -1;
}

/* Step 2b: the search index merges its segments into one, dropping the
 * delete markers the chunks left: FTS5 keeps a deleted row's terms until a
 * merge passes over them, and its automatic merges seldom reach the
 * largest segments (after 120 simulated days the index was 4.6 times what
 * it holds). max_rows pages of merge work a chunk ('merge' with a
 * negative count: whatever the levels), at most FTS_MERGE_PER_ITEM pages
 * per item removed in the run (a merge left halfway goes on in the next
 * run), until a chunk does none. */
static int
step_fts(struct store *st, struct store_purge *pg, unsigned max_rows, char *err, size_t errlen)
{
	int before = sqlite3_total_changes(st->db);
	char sql[96];

	if (pg->fts_budget <= 0) {
		pg->phase = pg->span > 0 ? P_EXPIRE : P_VACUUM;
		return 0;
	}
	snprintf(sql, sizeof sql, "INSERT INTO items_fts(items_fts, rank) VALUES ('merge', -%u)",
		 max_rows);
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(st, err, errlen, "purge: merge the search index");
	pg->fts_budget -= (int64_t)max_rows;
	if (sqlite3_total_changes(st->db) - before <= 1)
		pg->fts_budget = 0;
	return 0;
}

/* Step 3: purged hashes not seen for span seconds are forgotten. */
static int
step_expire(struct store *st, struct store_purge *pg, unsigned max_rows, char *err, size_t errlen)
{
	int64_t limit = (int64_t)max_rows * 8, rows = 0, last = 0, *gone;
	size_t ngone = 0;
	sqlite3_stmt *s;
	int rc = -1, step;

	if ((gone = malloc((size_t)limit * sizeof *gone)) == NULL) {
		snprintf(err, errlen, "purge: out of memory");
		return -1;
	}
	s = store_stmt(st, S_PURGED_SCAN);
	sqlite3_bind_int64(s, 1, pg->hash_next);
	sqlite3_bind_int64(s, 2, limit);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		rows++;
		last = sqlite3_column_int64(s, 0);
		if (sqlite3_column_int64(s, 1) < pg->now - pg->span)
			gone[ngone++] = last;
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE) {
		store_fail(st, err, errlen, "purge: scan purged keys");
		goto out;
	}
	if (ngone) {
		int erc = 0;

		if (store_begin(st, err, errlen) < 0)
			goto out;
		for (size_t i = 0; i < ngone && erc == 0; i++) {
			s = store_stmt(st, S_PURGED_FORGET);
			sqlite3_bind_int64(s, 1, gone[i]);
			erc = store_exec_stmt(st, s, err, errlen, "purge: forget keys");
		}
		if (store_tx_end(st, 1, erc, err, errlen) < 0)
			goto out;
		pg->c.forgotten += (int64_t)ngone;
	}
	if (rows < limit || last == INT64_MAX)
		pg->phase = P_VACUUM;
	else
		pg->hash_next = last + 1;
	rc = 0;
out:
	free(gone);
	return rc;
}

/* Step 4: free pages back to the file system, 2 * max_rows a chunk. */
static int
step_vacuum(struct store *st, struct store_purge *pg, unsigned max_rows, char *err, size_t errlen)
{
	int64_t before = 0, after = 0;
	char sql[64];

	if (!pg->incremental) {
		pg->phase = P_DONE;
		return 0;
	}
	if (one_int(st, S_FREE_PAGES, NULL, &before, err, errlen, "purge: free pages") < 0)
		return -1;
	if (before == 0) {
		pg->phase = P_DONE;
		return 0;
	}
	snprintf(sql, sizeof sql, "PRAGMA incremental_vacuum(%u)", max_rows * 2);
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(st, err, errlen, "purge: incremental vacuum");
	if (one_int(st, S_FREE_PAGES, NULL, &after, err, errlen, "purge: free pages") < 0)
		return -1;
	if (before > after)
		pg->c.vacuumed += (before - after) * pg->page_size;
	if (after == 0 || after >= before)
		pg->phase = P_DONE;
	return 0;
}

int
store_purge_step(struct store *st, struct store_purge *pg, unsigned max_rows, char *err,
		 size_t errlen)
{
	int64_t t0 = mono_us(), dt;
	int rc = 0;

	if (pg->st == NULL)
		pg->st = st;
	if (pg->st != st) {
		snprintf(err, errlen, "purge: the database was reopened during the run");
		return -1;
	}
	if (max_rows == 0)
		max_rows = 1;
	switch (pg->phase) {
	case P_POLICY: rc = step_policy(st, pg, max_rows, err, errlen); break;
	case P_ITEMS: rc = step_items(st, pg, max_rows, err, errlen); break;
	case P_FTS: rc = step_fts(st, pg, max_rows, err, errlen); break;
	case P_EXPIRE: rc = step_expire(st, pg, max_rows, err, errlen); break;
	case P_VACUUM: rc = step_vacuum(st, pg, max_rows, err, errlen); break;
	case P_DONE: return 0;
	}
	dt = mono_us() - t0;
	pg->c.chunks++;
	if (dt > pg->c.chunk_max_us)
		pg->c.chunk_max_us = dt;
	if (rc < 0)
		return -1;
	return pg->phase != P_DONE;
}

const struct store_purge_counts *
store_purge_counts(const struct store_purge *pg)
{
	return &pg->c;
}

void
store_purge_free(struct store_purge *pg)
{
	if (pg == NULL)
		return;
	free(pg->feeds);
	free(pg->names);
	free(pg->dv);
	free(pg->counted.v);
	free(pg);
}
