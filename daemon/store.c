/* store: opening and migrating the database, transactions, and the writes
 * of ingest (feeds, items, stories). Listings, search and marks are in
 * store_query.c; the SQL text is in store_sql.c. */
#include "store.h"
#include "store_int.h"

#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "config.h"

#define BUSY_TIMEOUT_MS 5000

/* ---- Small helpers shared with store_query.c ---- */

sqlite3_stmt *
store_stmt(struct store *st, enum store_stmt id)
{
	sqlite3_stmt *s = st->stmt[id];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

int
store_fail(struct store *st, char *err, size_t errlen, const char *what)
{
	int code = sqlite3_extended_errcode(st->db) & 0xff;

	/* Damage found while running is named with the file, as at open. */
	if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
		snprintf(err, errlen, "store: %s: %s: database is corrupt (%s)", what, st->path,
			 sqlite3_errmsg(st->db));
	else if ((code == SQLITE_IOERR || code == SQLITE_FULL || code == SQLITE_CANTOPEN) &&
		 sqlite3_system_errno(st->db) != 0)
		/* "disk I/O error" alone does not say the disk is full (EFBIG,
		 * ENOSPC, EDQUOT) or the file went away. */
		snprintf(err, errlen, "store: %s: %s: %s (%s)", what, st->path,
			 sqlite3_errmsg(st->db), strerror(sqlite3_system_errno(st->db)));
	else
		snprintf(err, errlen, "store: %s: %s", what, sqlite3_errmsg(st->db));
	return -1;
}

int
store_exec_stmt(struct store *st, sqlite3_stmt *s, char *err, size_t errlen, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		store_fail(st, err, errlen, what);
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

int
store_bind_str(sqlite3_stmt *s, int i, const char *v)
{
	return sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_STATIC);
}

int
store_bind_opt(sqlite3_stmt *s, int i, const char *v)
{
	return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(s, i);
}

int
store_tx_auto(struct store *st, int *own, char *err, size_t errlen)
{
	*own = 0;
	if (store_client_write(st, err, errlen) < 0)
		return -1;
	if (!sqlite3_get_autocommit(st->db))
		return 0;
	if (store_exec_stmt(st, store_stmt(st, S_BEGIN), err, errlen, "begin") < 0)
		return -1;
	*own = 1;
	return 0;
}

int
store_tx_end(struct store *st, int own, int rc, char *err, size_t errlen)
{
	if (!own)
		return rc;
	/* store_commit runs the deferred work first (and rolls back on error). */
	if (rc == 0)
		return store_commit(st, err, errlen);
	store_rollback(st);
	return rc;
}

static int touch_story(struct store *st, int64_t story_id, char *err, size_t errlen);

/* ---- Arena ---- */

struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	alignas(16) unsigned char data[];
};

struct store_arena {
	struct arena_block *head;
};

#define ARENA_BLOCK 8192

struct store_arena *
store_arena_new(void)
{
	return calloc(1, sizeof(struct store_arena));
}

void
store_arena_free(struct store_arena *a)
{
	struct arena_block *b, *next;

	if (a == NULL)
		return;
	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

void *
store_arena_alloc(struct store_arena *a, size_t n)
{
	struct arena_block *b = a->head;
	size_t cap;

	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + 15) & ~(size_t)15;
	if (b == NULL || b->cap - b->used < n) {
		cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		b = malloc(sizeof *b + cap);
		if (b == NULL)
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = a->head;
		a->head = b;
	}
	b->used += n;
	return b->data + b->used - n;
}

const char *
store_arena_col(struct store_arena *a, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	size_t n = (size_t)sqlite3_column_bytes(s, col);
	char *p;

	if (t == NULL)
		return "";
	p = store_arena_alloc(a, n + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, t, n);
	p[n] = '\0';
	return p;
}

void *
store_arena_push(struct store_arena *a, void **v, size_t *n, size_t *cap, size_t sz)
{
	unsigned char *p;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;

		p = store_arena_alloc(a, ncap * sz);
		if (p == NULL)
			return NULL;
		if (*n)
			memcpy(p, *v, *n * sz);
		*v = p;
		*cap = ncap;
	}
	p = (unsigned char *)*v + *n * sz;
	memset(p, 0, sz);
	(*n)++;
	return p;
}

/* ---- Open, migrate, close ---- */

/* A message for a failure while opening: names the file, and says plainly
 * when it is not a database or is damaged. */
static int
open_error(struct store *st, char *err, size_t errlen, const char *what)
{
	int code = sqlite3_extended_errcode(st->db) & 0xff;

	if (code == SQLITE_NOTADB)
		snprintf(err, errlen, "%s: not an SQLite database (%s)", st->path,
			 sqlite3_errmsg(st->db));
	else if (code == SQLITE_CORRUPT)
		snprintf(err, errlen,
			 "%s: database is corrupt (%s): restore a backup or move it away", st->path,
			 sqlite3_errmsg(st->db));
	else
		snprintf(err, errlen, "%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
	return -1;
}

static int
exec_sql(struct store *st, const char *sql, char *err, size_t errlen, const char *what)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return open_error(st, err, errlen, what);
	return 0;
}

/* Runs a one-value PRAGMA (or SELECT) and returns its integer in *v, or its
 * text in txt when txt is non-NULL. */
static int
pragma_value(struct store *st, const char *sql, long long *v, char *txt, size_t txtlen, char *err,
	     size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return open_error(st, err, errlen, sql);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		open_error(st, err, errlen, sql);
		sqlite3_finalize(s);
		return -1;
	}
	if (v)
		*v = sqlite3_column_int64(s, 0);
	if (txt)
		snprintf(txt, txtlen, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return 0;
}

static int
newer_error(struct store *st, long long v, char *err, size_t errlen)
{
	snprintf(err, errlen,
		 "%s: database schema version %lld is newer than this herald supports (%zu): "
		 "upgrade herald or use another database",
		 st->path, v, store_nmigrations);
	return -1;
}

static int
configure(struct store *st, char *err, size_t errlen)
{
	char mode[16];
	long long v;

	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	/* The first read of the file: garbage shows up here as NOTADB. A newer
	 * schema is refused before anything (even the journal mode) changes. */
	if (pragma_value(st, "PRAGMA user_version", &v, NULL, 0, err, errlen) < 0)
		return -1;
	if (v < 0 || v > (long long)store_nmigrations)
		return newer_error(st, v, err, errlen);
	/* A new database frees pages at the end of its file as a purge frees
	 * them (store_purge_step); it must be said before the first table. */
	if (v == 0 &&
	    exec_sql(st, "PRAGMA auto_vacuum = INCREMENTAL", err, errlen, "auto_vacuum") < 0)
		return -1;
	if (pragma_value(st, "PRAGMA journal_mode = WAL", NULL, mode, sizeof mode, err, errlen) < 0)
		return -1;
	if (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0) {
		snprintf(err, errlen, "%s: cannot enable WAL (journal mode is %s)", st->path, mode);
		return -1;
	}
	/* Statement and savepoint journals in memory: each response is a
	 * savepoint (store_sp_begin), and on disk its journal cost a few
	 * small writes per page it touched. */
	if (exec_sql(st,
		     "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
		     " PRAGMA temp_store = MEMORY",
		     err, errlen, "pragmas") < 0)
		return -1;
	return 0;
}

static int
migrate(struct store *st, char *err, size_t errlen)
{
	long long v;
	char sql[64];

	if (pragma_value(st, "PRAGMA user_version", &v, NULL, 0, err, errlen) < 0)
		return -1;
	if (v == (long long)store_nmigrations)
		return 0;
	if (exec_sql(st, "BEGIN IMMEDIATE", err, errlen, "begin migration") < 0)
		return -1;
	/* Another process may have migrated while we waited for the lock. */
	if (pragma_value(st, "PRAGMA user_version", &v, NULL, 0, err, errlen) < 0)
		goto fail;
	if (v < 0 || v > (long long)store_nmigrations) {
		newer_error(st, v, err, errlen);
		goto fail;
	}
	for (size_t i = (size_t)v; i < store_nmigrations; i++) {
		snprintf(sql, sizeof sql, "migration %zu", i + 1);
		if (exec_sql(st, store_migrations[i], err, errlen, sql) < 0)
			goto fail;
	}
	/* An older database has rows and maybe statistics that predate the
	 * new indexes: by those the planner would pass them over. */
	if (v > 0 && exec_sql(st, "ANALYZE", err, errlen, "analyze after migration") < 0)
		goto fail;
	snprintf(sql, sizeof sql, "PRAGMA user_version = %zu", store_nmigrations);
	if (exec_sql(st, sql, err, errlen, "set user_version") < 0 ||
	    exec_sql(st, "COMMIT", err, errlen, "commit migration") < 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* A database made before schema 3 keeps its freed pages inside the file:
 * switching it to incremental auto-vacuum takes one VACUUM (a copy of the
 * whole file, once; about 10 s per GB). When that fails (the disk is too
 * full for the copy) the database works as before and the switch is tried
 * again at the next open: a purge's freed pages are then reused by SQLite
 * but the file does not shrink. */
static void
switch_vacuum(struct store *st)
{
	long long mode = 0;
	char err[256];

	if (pragma_value(st, "PRAGMA auto_vacuum", &mode, NULL, 0, err, sizeof err) < 0 ||
	    mode == 2)
		return;
	sqlite3_exec(st->db, "PRAGMA auto_vacuum = INCREMENTAL; VACUUM", NULL, NULL, NULL);
}

/* The purge's temporary tables and SQL function, which its statements name. */
static int
purge_setup(struct store *st, char *err, size_t errlen)
{
	if (store_purge_functions(st) != SQLITE_OK)
		return open_error(st, err, errlen, "register functions");
	return exec_sql(st, store_purge_temp_sql, err, errlen, "temporary tables");
}

static int
prepare_all(struct store *st, char *err, size_t errlen)
{
	for (int i = 0; i < S_COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, store_stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &st->stmt[i], NULL) != SQLITE_OK) {
			char what[48];

			snprintf(what, sizeof what, "prepare statement %d", i);
			return open_error(st, err, errlen, what);
		}
	}
	return 0;
}

int
store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	struct store *st;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

	*out = NULL;
	st = calloc(1, sizeof *st);
	if (st == NULL || (st->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(st);
		return -1;
	}
	/* Memory statistics take a global mutex on every SQLite allocation;
	 * nothing reads them. Only possible before SQLite initialises (the first
	 * open); later calls fail harmlessly. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		if (st->db == NULL)
			snprintf(err, errlen, "%s: cannot open database: out of memory", path);
		else
			snprintf(err, errlen, "%s: cannot open database: %s", path,
				 sqlite3_errmsg(st->db));
		goto fail;
	}
	/* items_fts's tokenizer, before anything may touch the table. */
	if (store_fts_register(st->db) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot register the search tokenizer: %s", path,
			 sqlite3_errmsg(st->db));
		goto fail;
	}
	if (configure(st, err, errlen) < 0 || migrate(st, err, errlen) < 0)
		goto fail;
	switch_vacuum(st);
	if (purge_setup(st, err, errlen) < 0 || prepare_all(st, err, errlen) < 0)
		goto fail;
	*out = st;
	return 0;
fail:
	store_close(st);
	return -1;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	/* Keeps the planner's statistics fresh; cheap when nothing changed. */
	if (st->stmt[S_COUNT - 1])
		sqlite3_exec(st->db, "PRAGMA optimize", NULL, NULL, NULL);
	sqlite3_close(st->db);
	free(st->path);
	free(st->dirty);
	free(st);
}

int
store_file_moved(struct store *st)
{
	int moved = 0;

	if (sqlite3_file_control(st->db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) != SQLITE_OK)
		return 0;
	return moved != 0;
}

const char *
store_path(const struct store *st)
{
	return st->path;
}

/* ---- Transactions ---- */

int
store_begin(struct store *st, char *err, size_t errlen)
{
	if (store_client_write(st, err, errlen) < 0)
		return -1;
	if (!sqlite3_get_autocommit(st->db)) {
		snprintf(err, errlen, "store: begin: a transaction is already open");
		return -1;
	}
	return store_exec_stmt(st, store_stmt(st, S_BEGIN), err, errlen, "begin");
}

static void
deferred_drop(struct store *st)
{
	st->fts_from = 0;
	st->ndirty = 0;
}

/* Indexes the items inserted since st->fts_from in one statement. */
static int
fts_catchup(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s;

	if (st->fts_from == 0)
		return 0;
	s = store_stmt(st, S_FTS_CATCHUP);
	sqlite3_bind_int64(s, 1, st->fts_from);
	if (store_exec_stmt(st, s, err, errlen, "index new items") < 0)
		return -1;
	st->fts_from = 0;
	return 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Recomputes each story touched in this transaction once, however many of
 * its items arrived. */
static int
dirty_refresh(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s;

	if (st->ndirty > 1) /* dirty is NULL until the first story */
		qsort(st->dirty, st->ndirty, sizeof *st->dirty, cmp_i64);
	for (size_t i = 0; i < st->ndirty; i++) {
		if (i && st->dirty[i] == st->dirty[i - 1])
			continue;
		s = store_stmt(st, S_STORY_REFRESH);
		sqlite3_bind_int64(s, 1, st->dirty[i]);
		if (store_exec_stmt(st, s, err, errlen, "refresh story") < 0)
			return -1;
	}
	st->ndirty = 0;
	return 0;
}

int
store_commit(struct store *st, char *err, size_t errlen)
{
	if (fts_catchup(st, err, errlen) < 0 || dirty_refresh(st, err, errlen) < 0 ||
	    store_exec_stmt(st, store_stmt(st, S_COMMIT), err, errlen, "commit") < 0) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

int
store_client_write(struct store *st, char *err, size_t errlen)
{
	if (st->batch && st->sp_depth == 0)
		return store_batch_flush(st, err, errlen);
	return 0;
}

int
store_batch_open(struct store *st, char *err, size_t errlen)
{
	if (st->batch)
		return 0;
	if (store_begin(st, err, errlen) < 0)
		return -1;
	st->batch = 1;
	st->batch_count = 0;
	return 0;
}

int
store_batch_is_open(const struct store *st)
{
	return st->batch;
}

unsigned
store_batch_count(const struct store *st)
{
	return st->batch_count;
}

int
store_batch_flush(struct store *st, char *err, size_t errlen)
{
	if (!st->batch)
		return 0;
	st->batch = 0;
	st->sp_depth = 0;
	return store_commit(st, err, errlen);
}

int
store_sp_begin(struct store *st, char *err, size_t errlen)
{
	if (!st->batch)
		return store_begin(st, err, errlen);
	if (st->sp_depth) {
		snprintf(err, errlen, "store: savepoint: one is already open");
		return -1;
	}
	st->sp_depth = 1;
	return 0;
}

int
store_sp_commit(struct store *st, char *err, size_t errlen)
{
	if (!st->batch)
		return store_commit(st, err, errlen);
	st->sp_depth = 0;
	st->batch_count++;
	return 0;
}

void
store_sp_rollback(struct store *st)
{
	if (!st->batch) {
		store_rollback(st);
		return;
	}
	if (!st->sp_depth)
		return;
	/* No SQL savepoint marks where the response began (see store.h): the
	 * batch goes, and the caller is told by store_batch_is_open(). */
	st->sp_depth = 0;
	st->batch = 0;
	store_rollback(st);
}

void
store_rollback(struct store *st)
{
	char err[16];

	st->batch = 0;
	st->sp_depth = 0;
	deferred_drop(st);
	if (!sqlite3_get_autocommit(st->db))
		store_exec_stmt(st, store_stmt(st, S_ROLLBACK), err, sizeof err, "rollback");
}

/* ---- Feeds ---- */

static int
feed_sync_one(struct store *st, const struct config_feed *cf, char *err, size_t errlen)
{
	struct buf tags = {0};
	sqlite3_stmt *s;
	int rc = -1;

	for (size_t i = 0; i < cf->ntags; i++)
		if ((i && buf_putc(&tags, ',') < 0) || buf_puts(&tags, cf->tags[i]) < 0) {
			snprintf(err, errlen, "store: feed %s: out of memory", cf->id);
			goto out;
		}
	s = store_stmt(st, S_FEED_SYNC);
	store_bind_str(s, 1, cf->id);
	store_bind_str(s, 2, cf->url);
	store_bind_opt(s, 3, cf->name);
	store_bind_str(s, 4, buf_str(&tags));
	if (store_exec_stmt(st, s, err, errlen, "sync feed") < 0)
		goto out;
	s = store_stmt(st, S_FEED_TAGS_CLEAR);
	store_bind_str(s, 1, cf->id);
	if (store_exec_stmt(st, s, err, errlen, "clear feed tags") < 0)
		goto out;
	for (size_t i = 0; i < cf->ntags; i++) {
		s = store_stmt(st, S_FEED_TAG_ADD);
		store_bind_str(s, 1, cf->tags[i]);
		store_bind_str(s, 2, cf->id);
		if (store_exec_stmt(st, s, err, errlen, "add feed tag") < 0)
			goto out;
	}
	rc = 0;
out:
	buf_free(&tags);
	return rc;
}

int
store_feeds_sync(struct store *st, const struct config_feed *feeds, size_t nfeeds, char *err,
		 size_t errlen)
{
	int rc = -1;

	if (store_begin(st, err, errlen) < 0)
		return -1;
	if (store_exec_stmt(st, store_stmt(st, S_FEED_DEACTIVATE_ALL), err, errlen,
			    "deactivate feeds") < 0)
		goto out;
	for (size_t i = 0; i < nfeeds; i++)
		if (feed_sync_one(st, &feeds[i], err, errlen) < 0)
			goto out;
	rc = 0;
out:
	return store_tx_end(st, 1, rc, err, errlen);
}

int
store_feed_status(struct store *st, const char *feed_id, const struct store_feed_status *fs,
		  char *err, size_t errlen)
{
	sqlite3_stmt *s = store_stmt(st, S_FEED_STATUS);

	store_bind_str(s, 1, feed_id);
	sqlite3_bind_int64(s, 2, fs->last_poll);
	sqlite3_bind_int(s, 3, fs->last_status);
	store_bind_opt(s, 4, fs->last_error);
	store_bind_opt(s, 5, fs->etag);
	store_bind_opt(s, 6, fs->last_modified);
	store_bind_opt(s, 7, fs->title);
	sqlite3_bind_int64(s, 8, fs->failures);
	sqlite3_bind_int64(s, 9, fs->next_poll);
	sqlite3_bind_int(s, 10, fs->forget_validators != 0);
	if (store_exec_stmt(st, s, err, errlen, "feed status") < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0) {
		snprintf(err, errlen, "store: feed status: no feed '%s'", feed_id);
		return STORE_ENOTFOUND;
	}
	return 0;
}

int
store_feed_moved(struct store *st, const char *feed_id, const char *url, char *err, size_t errlen)
{
	sqlite3_stmt *s = store_stmt(st, S_FEED_MOVED);

	store_bind_str(s, 1, feed_id);
	store_bind_str(s, 2, url);
	if (store_exec_stmt(st, s, err, errlen, "feed moved") < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0) {
		snprintf(err, errlen, "store: feed moved: no feed '%s'", feed_id);
		return STORE_ENOTFOUND;
	}
	return 0;
}

static int lookup_feed(struct store *st, enum store_stmt sid, const char *feed_id, int64_t *out,
		       const char *what, char *err, size_t errlen);

int
store_feed_has_items(struct store *st, const char *feed_id, int *out, char *err, size_t errlen)
{
	int64_t v = 0;
	int rc = lookup_feed(st, S_FEED_HAS_ITEMS, feed_id, &v, "feed items", err, errlen);

	*out = rc == 0 && v != 0;
	return rc;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
store_feed_listed(struct store *st, const char *feed_id, const uint64_t *hashes, size_t n,
		  char *err, size_t errlen)
{
	uint64_t *v;
	unsigned char *blob;
	size_t m = 0;
	sqlite3_stmt *s;
	int rc;

	if (n == 0)
		return 0;
	if (n > INT_MAX / 16 || (v = malloc(n * sizeof *v)) == NULL ||
	    (blob = malloc(n * 8)) == NULL) {
		if (n <= INT_MAX / 16)
			free(v);
		snprintf(err, errlen, "store: listed items: out of memory");
		return -1;
	}
	memcpy(v, hashes, n * sizeof *v);
	qsort(v, n, sizeof *v, cmp_u64);
	for (size_t i = 0; i < n; i++) {
		if (i && v[i] == v[i - 1])
			continue;
		for (int b = 0; b < 8; b++)
			blob[m * 8 + (size_t)b] = (unsigned char)(v[i] >> (8 * b));
		m++;
	}
	s = store_stmt(st, S_FEED_LISTED);
	store_bind_str(s, 1, feed_id);
	sqlite3_bind_blob(s, 2, blob, (int)(m * 8), SQLITE_STATIC);
	rc = store_exec_stmt(st, s, err, errlen, "listed items");
	free(v);
	free(blob);
	return rc;
}

/* ---- Items ---- */

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

static uint64_t
fnv_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* Hashes a length-prefixed field, so ("ab","c") and ("a","bc") differ. */
static uint64_t
fnv_str(uint64_t h, const char *s)
{
	uint64_t n = s ? strlen(s) : 0;

	h = fnv_bytes(h, &n, sizeof n);
	return fnv_bytes(h, s, n);
}

static uint64_t
fnv_i64(uint64_t h, int64_t v)
{
	return fnv_bytes(h, &v, sizeof v);
}

uint64_t
store_key_hash(const char *feed, const char *key)
{
	uint64_t h = fnv_str(fnv_str(FNV_OFFSET, feed), key);

	/* FNV's last bytes reach only the low bits well: mix (splitmix64's
	 * finaliser), so that the hash orders and spreads evenly. */
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

char *
store_item_key(const struct store_item *it)
{
	uint64_t h = FNV_OFFSET;
	char *key;

	if (it->guid && it->guid[0])
		return strdup(it->guid);
	if (it->link && it->link[0])
		return strdup(it->link);
	h = fnv_str(h, it->title);
	h = fnv_i64(h, it->published);
	if (it->title == NULL || it->title[0] == '\0') {
		h = fnv_str(h, it->summary_text);
		h = fnv_str(h, it->content_text);
	}
	key = malloc(24);
	if (key)
		snprintf(key, 24, "h:%016llx", (unsigned long long)h);
	return key;
}

static int64_t
content_hash(const struct store_item *it)
{
	uint64_t h = FNV_OFFSET;
	int64_t v;

	h = fnv_str(h, it->link);
	h = fnv_str(h, it->title);
	h = fnv_str(h, it->author);
	h = fnv_i64(h, it->published);
	h = fnv_i64(h, it->updated);
	h = fnv_str(h, it->summary_html);
	h = fnv_str(h, it->summary_text);
	h = fnv_str(h, it->content_html);
	h = fnv_str(h, it->content_text);
	memcpy(&v, &h, sizeof v);
	return v;
}

/* The item's publication date: the one ingest chose, else the document's. */
static int64_t
item_date(const struct store_item *it)
{
	return it->date > 0 ? it->date : it->published;
}

/* The item's ordering time: its publication date, unless unknown or later
 * than the fetch (a feed's clock or a scheduled post must not jump the
 * queue). */
static int64_t
item_time(const struct store_item *it, int64_t fetched)
{
	int64_t t = item_date(it);

	if (t > 0 && t <= fetched)
		return t;
	return fetched;
}

/* Binds the content columns shared by insert and update, from index i. */
static void
bind_content(sqlite3_stmt *s, int i, const struct store_item *it)
{
	store_bind_str(s, i, it->link);
	store_bind_str(s, i + 1, it->title);
	store_bind_str(s, i + 2, it->author);
	sqlite3_bind_int64(s, i + 3, item_date(it));
	sqlite3_bind_int64(s, i + 4, it->updated);
	store_bind_str(s, i + 5, it->summary_html);
	store_bind_str(s, i + 6, it->summary_text);
	store_bind_str(s, i + 7, it->content_html);
	store_bind_str(s, i + 8, it->content_text);
}

static int
item_insert(struct store *st, const struct store_item *it, const char *key, int64_t hash,
	    struct store_upsert_result *res, char *err, size_t errlen)
{
	sqlite3_stmt *s = store_stmt(st, S_ITEM_INSERT);
	int64_t fetched = it->fetched > 0 ? it->fetched : (int64_t)time(NULL);

	store_bind_str(s, 1, it->feed);
	store_bind_str(s, 2, key);
	bind_content(s, 3, it);
	sqlite3_bind_int64(s, 12, fetched);
	sqlite3_bind_int64(s, 13, item_time(it, fetched));
	sqlite3_bind_int64(s, 14, hash);
	if (store_exec_stmt(st, s, err, errlen, "insert item") < 0) {
		if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
			snprintf(err, errlen, "store: insert item: no feed '%s'",
				 it->feed ? it->feed : "");
		return -1;
	}
	res->status = STORE_ITEM_NEW;
	res->item_id = sqlite3_last_insert_rowid(st->db);
	res->story_id = 0;
	res->time = item_time(it, fetched);
	/* Rowids only grow within a transaction: every id from the first
	 * new one on is a new item. Outside one, index it now. */
	if (st->fts_from == 0)
		st->fts_from = res->item_id;
	if (sqlite3_get_autocommit(st->db))
		return fts_catchup(st, err, errlen);
	return 0;
}

static int
item_update(struct store *st, const struct store_item *it, int64_t hash,
	    struct store_upsert_result *res, char *err, size_t errlen)
{
	sqlite3_stmt *s;

	/* items_au replaces the item's FTS row: it must exist first. */
	if (st->fts_from && res->item_id >= st->fts_from && fts_catchup(st, err, errlen) < 0)
		return -1;
	s = store_stmt(st, S_ITEM_UPDATE);
	sqlite3_bind_int64(s, 1, res->item_id);
	bind_content(s, 2, it);
	sqlite3_bind_int64(s, 11, hash);
	sqlite3_bind_int64(s, 12, it->published);
	if (store_exec_stmt(st, s, err, errlen, "update item") < 0)
		return -1;
	res->status = STORE_ITEM_CHANGED;
	/* The title may be the story's. */
	if (res->story_id > 0)
		return touch_story(st, res->story_id, err, errlen);
	return 0;
}

/* A purged item the feed lists again is seen at most this often: its
 * memory lasts while the feed keeps listing it (store_purge_step). */
#define PURGED_TOUCH_EVERY 86400

/* 1 when the item with this key hash was purged (and is not to be stored
 * again), 0 when not, -1 on error. */
static int
was_purged(struct store *st, uint64_t key_hash, int64_t fetched, char *err, size_t errlen)
{
	sqlite3_stmt *s = store_stmt(st, S_PURGED_GET);
	int64_t seen;
	int rc;

	sqlite3_bind_int64(s, 1, (int64_t)key_hash);
	rc = sqlite3_step(s);
	seen = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return store_fail(st, err, errlen, "look up purged item");
	if (fetched - seen < PURGED_TOUCH_EVERY)
		return 1;
	s = store_stmt(st, S_PURGED_TOUCH);
	sqlite3_bind_int64(s, 1, (int64_t)key_hash);
	sqlite3_bind_int64(s, 2, fetched);
	return store_exec_stmt(st, s, err, errlen, "purged item seen") < 0 ? -1 : 1;
}

int
store_item_upsert(struct store *st, const struct store_item *it, struct store_upsert_result *res,
		  char *err, size_t errlen)
{
	int64_t hash = content_hash(it);
	char *key = store_item_key(it);
	sqlite3_stmt *s;
	int rc = -1, step;

	memset(res, 0, sizeof *res);
	if (key == NULL) {
		snprintf(err, errlen, "store: item key: out of memory");
		return -1;
	}
	res->key_hash = store_key_hash(it->feed, key);
	s = store_stmt(st, S_ITEM_BY_KEY);
	store_bind_str(s, 1, it->feed);
	store_bind_str(s, 2, key);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		int64_t old = sqlite3_column_int64(s, 1);

		res->item_id = sqlite3_column_int64(s, 0);
		res->story_id = sqlite3_column_int64(s, 2);
		res->time = sqlite3_column_int64(s, 3);
		sqlite3_reset(s);
		res->status = STORE_ITEM_UNCHANGED;
		rc = old == hash ? 0 : item_update(st, it, hash, res, err, errlen);
	} else if (step == SQLITE_DONE) {
		sqlite3_reset(s);
		rc = was_purged(st, res->key_hash,
				it->fetched > 0 ? it->fetched : (int64_t)time(NULL), err, errlen);
		if (rc == 1) {
			res->status = STORE_ITEM_PURGED;
			rc = 0;
		} else if (rc == 0) {
			rc = item_insert(st, it, key, hash, res, err, errlen);
		}
	} else {
		store_fail(st, err, errlen, "look up item");
		sqlite3_reset(s);
	}
	free(key);
	return rc;
}

/* ---- Stories ---- */

/* Runs statement sid with ?1 = the feed's id and reads one integer.
 * STORE_ENOTFOUND ("WHAT: no feed 'ID'") when there is no row. */
static int
lookup_feed(struct store *st, enum store_stmt sid, const char *feed_id, int64_t *out,
	    const char *what, char *err, size_t errlen)
{
	sqlite3_stmt *s = store_stmt(st, sid);
	int rc;

	store_bind_str(s, 1, feed_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE) {
		snprintf(err, errlen, "store: %s: no feed '%s'", what, feed_id);
		return STORE_ENOTFOUND;
	}
	return store_fail(st, err, errlen, what);
}

/* Runs statement sid with ?1 = id and reads one integer. STORE_ENOTFOUND
 * ("no KIND ID") when there is no row. */
static int
lookup_int(struct store *st, enum store_stmt sid, int64_t id, int64_t *out, const char *kind,
	   char *err, size_t errlen)
{
	sqlite3_stmt *s = store_stmt(st, sid);
	int rc;

	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE) {
		snprintf(err, errlen, "store: no %s %lld", kind, (long long)id);
		return STORE_ENOTFOUND;
	}
	return store_fail(st, err, errlen, kind);
}

int
store_story_resolve(struct store *st, int64_t id, int64_t *out, char *err, size_t errlen)
{
	return lookup_int(st, S_STORY_RESOLVE, id, out, "story", err, errlen);
}

static int
story_ensure(struct store *st, int64_t id, char *err, size_t errlen)
{
	sqlite3_stmt *s;

	if (id <= 0) {
		snprintf(err, errlen, "store: invalid story id %lld", (long long)id);
		return -1;
	}
	s = store_stmt(st, S_STORY_ENSURE);
	sqlite3_bind_int64(s, 1, id);
	return store_exec_stmt(st, s, err, errlen, "create story");
}

/* Marks a story's aggregates for recomputation at commit; outside a
 * transaction, recomputes them now. The row itself exists from here on. */
static int
touch_story(struct store *st, int64_t story_id, char *err, size_t errlen)
{
	if (sqlite3_get_autocommit(st->db))
		return store_story_upsert(st, story_id, err, errlen);
	if (story_ensure(st, story_id, err, errlen) < 0)
		return -1;
	if (st->ndirty == st->dirty_cap) {
		size_t cap = st->dirty_cap ? st->dirty_cap * 2 : 64;
		int64_t *v = realloc(st->dirty, cap * sizeof *v);

		if (v == NULL) {
			snprintf(err, errlen, "store: refresh story: out of memory");
			return -1;
		}
		st->dirty = v;
		st->dirty_cap = cap;
	}
	st->dirty[st->ndirty++] = story_id;
	return 0;
}

int
store_story_upsert(struct store *st, int64_t story_id, char *err, size_t errlen)
{
	sqlite3_stmt *s;

	if (story_ensure(st, story_id, err, errlen) < 0)
		return -1;
	s = store_stmt(st, S_STORY_REFRESH);
	sqlite3_bind_int64(s, 1, story_id);
	return store_exec_stmt(st, s, err, errlen, "refresh story");
}

static int
item_story(struct store *st, int64_t item_id, int64_t *story, char *err, size_t errlen)
{
	return lookup_int(st, S_ITEM_STORY, item_id, story, "item", err, errlen);
}

static int
set_story(struct store *st, int64_t item_id, int64_t story_id, char *err, size_t errlen)
{
	int64_t old = 0, target = 0;
	sqlite3_stmt *s;
	int rc;

	if ((rc = item_story(st, item_id, &old, err, errlen)) < 0)
		return rc;
	if (story_ensure(st, story_id, err, errlen) < 0 ||
	    store_story_resolve(st, story_id, &target, err, errlen) < 0)
		return -1;
	s = store_stmt(st, S_ITEM_SET_STORY);
	sqlite3_bind_int64(s, 1, item_id);
	sqlite3_bind_int64(s, 2, target);
	if (store_exec_stmt(st, s, err, errlen, "set item story") < 0 ||
	    touch_story(st, target, err, errlen) < 0)
		return -1;
	if (old > 0 && old != target)
		return touch_story(st, old, err, errlen);
	return 0;
}

int
store_item_set_story(struct store *st, int64_t item_id, int64_t story_id, char *err, size_t errlen)
{
	int own, rc;

	if (store_tx_auto(st, &own, err, errlen) < 0)
		return -1;
	rc = set_story(st, item_id, story_id, err, errlen);
	return store_tx_end(st, own, rc, err, errlen);
}

/* Runs statement id with ?1 = a and ?2 = b. */
static int
exec_pair(struct store *st, enum store_stmt id, int64_t a, int64_t b, char *err, size_t errlen,
	  const char *what)
{
	sqlite3_stmt *s = store_stmt(st, id);

	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	return store_exec_stmt(st, s, err, errlen, what);
}

static int
merge(struct store *st, int64_t into, int64_t from, char *err, size_t errlen)
{
	if (story_ensure(st, into, err, errlen) < 0 || story_ensure(st, from, err, errlen) < 0 ||
	    store_story_resolve(st, into, &into, err, errlen) < 0 ||
	    store_story_resolve(st, from, &from, err, errlen) < 0)
		return -1;
	if (into == from)
		return 0;
	if (exec_pair(st, S_STORY_MOVE_ITEMS, into, from, err, errlen, "merge: move items") < 0 ||
	    exec_pair(st, S_STORY_MERGE_FLAGS, into, from, err, errlen, "merge: flags") < 0 ||
	    exec_pair(st, S_STORY_SET_MERGED, into, from, err, errlen, "merge: mark merged") < 0 ||
	    exec_pair(st, S_STORY_REPOINT, into, from, err, errlen, "merge: repoint") < 0)
		return -1;
	return touch_story(st, into, err, errlen) < 0 ? -1 : touch_story(st, from, err, errlen);
}

int
store_story_merge(struct store *st, int64_t into, int64_t from, char *err, size_t errlen)
{
	int own, rc;

	if (into == from)
		return 0;
	if (store_tx_auto(st, &own, err, errlen) < 0)
		return -1;
	rc = merge(st, into, from, err, errlen);
	return store_tx_end(st, own, rc, err, errlen);
}

/* ---- Merging feeds ---- */

static int
feed_exists(struct store *st, const char *id, const char *what, char *err, size_t errlen)
{
	int64_t one;

	return lookup_feed(st, S_FEED_EXISTS, id, &one, what, err, errlen);
}

/* Runs statement id with ?1 = from and ?2 = into. */
static int
exec_feeds(struct store *st, enum store_stmt id, const char *from, const char *into, char *err,
	   size_t errlen, const char *what)
{
	sqlite3_stmt *s = store_stmt(st, id);

	store_bind_str(s, 1, from);
	store_bind_str(s, 2, into);
	return store_exec_stmt(st, s, err, errlen, what);
}

/* The first ncol (at most 64) integer columns of every row of s, bound and
 * ready, in *v (malloc'd, *n values): read whole before anything changes
 * the rows. */
static int
read_ints(struct store *st, sqlite3_stmt *s, int ncol, int64_t **v, size_t *n, char *err,
	  size_t errlen, const char *what)
{
	size_t cap = 0;
	int rc;

	*v = NULL;
	*n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n + (size_t)ncol > cap) {
			size_t ncap = cap ? cap * 2 : 64;
			int64_t *nv = realloc(*v, ncap * sizeof *nv);

			if (nv == NULL) {
				sqlite3_reset(s);
				snprintf(err, errlen, "store: %s: out of memory", what);
				return -1;
			}
			*v = nv;
			cap = ncap;
		}
		for (int c = 0; c < ncol; c++)
			(*v)[(*n)++] = sqlite3_column_int64(s, c);
	}
	if (rc != SQLITE_DONE) {
		store_fail(st, err, errlen, what);
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

/* A story that lost a deleted duplicate: refreshed, or, left empty, merged
 * into the story of the copy kept (kept: 0 for none). */
static int
dup_story(struct store *st, int64_t story, int64_t kept, struct store_merge_counts *c, char *err,
	  size_t errlen)
{
	int64_t now, left;

	if (store_story_resolve(st, story, &now, err, errlen) < 0)
		return -1;
	/* Merged away for an earlier duplicate: its survivor is not empty. */
	if (now != story)
		return 0;
	if (lookup_int(st, S_STORY_NITEMS, story, &left, "story", err, errlen) < 0)
		return -1;
	if (left > 0 || kept == 0 || kept == story)
		return touch_story(st, story, err, errlen);
	if (merge(st, kept, story, err, errlen) < 0)
		return -1;
	c->stories_merged++;
	return 0;
}

/* The items both feeds have: into's copy takes the marks of from's, which
 * is deleted. */
static int
merge_dups(struct store *st, const char *from, const char *into, struct store_merge_counts *c,
	   char *err, size_t errlen)
{
	sqlite3_stmt *s = store_stmt(st, S_MERGE_DUPS);
	int64_t *v = NULL;
	size_t n = 0;
	int rc = -1;

	store_bind_str(s, 1, from);
	store_bind_str(s, 2, into);
	if (read_ints(st, s, 3, &v, &n, err, errlen, "merge feeds: duplicates") < 0 ||
	    exec_feeds(st, S_MERGE_READ, from, into, err, errlen, "merge feeds: read marks") < 0 ||
	    exec_feeds(st, S_MERGE_STAR, from, into, err, errlen, "merge feeds: stars") < 0)
		goto out;
	for (size_t i = 0; i < n; i += 3) {
		s = store_stmt(st, S_ITEM_DELETE);
		sqlite3_bind_int64(s, 1, v[i]);
		if (store_exec_stmt(st, s, err, errlen, "merge feeds: delete duplicate") < 0)
			goto out;
		c->duplicates++;
	}
	for (size_t i = 0; i < n; i += 3)
		if (v[i + 1] && dup_story(st, v[i + 1], v[i + 2], c, err, errlen) < 0)
			goto out;
	rc = 0;
out:
	free(v);
	return rc;
}

/* The rest of from's items become into's; their stories count outlets
 * again, the feeds their items. */
static int
merge_move(struct store *st, const char *from, const char *into, struct store_merge_counts *c,
	   char *err, size_t errlen)
{
	sqlite3_stmt *s = store_stmt(st, S_MERGE_STORIES);
	int64_t *v = NULL;
	size_t n = 0;
	int rc = -1;

	store_bind_str(s, 1, from);
	if (read_ints(st, s, 1, &v, &n, err, errlen, "merge feeds: stories") < 0 ||
	    exec_feeds(st, S_MERGE_MOVE, from, into, err, errlen, "merge feeds: move items") < 0)
		goto out;
	c->moved = sqlite3_changes(st->db);
	for (size_t i = 0; i < n; i++)
		if (touch_story(st, v[i], err, errlen) < 0)
			goto out;
	rc = exec_feeds(st, S_FEED_RECOUNT, from, into, err, errlen, "merge feeds: count items");
out:
	free(v);
	return rc;
}

int
store_feeds_merge(struct store *st, const char *from, const char *into,
		  struct store_merge_counts *out, char *err, size_t errlen)
{
	struct store_merge_counts c = {0};
	int own, rc;

	if (out)
		memset(out, 0, sizeof *out);
	if (strcmp(from, into) == 0) {
		snprintf(err, errlen, "store: merge feeds: '%s' into itself", from);
		return -1;
	}
	if (store_tx_auto(st, &own, err, errlen) < 0)
		return -1;
	if ((rc = feed_exists(st, from, "merge feeds", err, errlen)) == 0 &&
	    (rc = feed_exists(st, into, "merge feeds", err, errlen)) == 0 &&
	    (rc = merge_dups(st, from, into, &c, err, errlen)) == 0)
		rc = merge_move(st, from, into, &c, err, errlen);
	rc = store_tx_end(st, own, rc, err, errlen);
	if (rc == 0 && out)
		*out = c;
	return rc;
}

/* The stories of the items store_feed_delete removed, settled as a purge
 * settles its own (store_story_settle). */
static int
feed_delete_stories(struct store *st, const int64_t *v, size_t n, char *err, size_t errlen)
{
	int gone;

	for (size_t i = 0; i < n; i++)
		if (store_story_settle(st, v[i], &gone, err, errlen) < 0)
			return -1;
	return 0;
}

int
store_feed_delete(struct store *st, const char *feed_id, int purge_starred, int64_t *deleted,
		  char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int64_t *stories = NULL;
	size_t n = 0, cap = 0;
	int own, rc;

	*deleted = 0;
	if (store_tx_auto(st, &own, err, errlen) < 0)
		return -1;
	if ((rc = feed_exists(st, feed_id, "delete feed", err, errlen)) != 0)
		goto out;
	s = store_stmt(st, S_FEED_DEL_STORIES);
	store_bind_str(s, 1, feed_id);
	sqlite3_bind_int(s, 2, purge_starred != 0);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			int64_t *v = realloc(stories, (cap = cap ? cap * 2 : 64) * sizeof *v);

			if (v == NULL) {
				sqlite3_reset(s);
				snprintf(err, errlen, "store: delete feed: out of memory");
				rc = -1;
				goto out;
			}
			stories = v;
		}
		stories[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		rc = store_fail(st, err, errlen, "delete feed");
		goto out;
	}
	s = store_stmt(st, S_FEED_DEL_ITEMS);
	store_bind_str(s, 1, feed_id);
	sqlite3_bind_int(s, 2, purge_starred != 0);
	if ((rc = store_exec_stmt(st, s, err, errlen, "delete feed: items")) < 0)
		goto out;
	*deleted = sqlite3_changes(st->db);
	if ((rc = feed_delete_stories(st, stories, n, err, errlen)) < 0)
		goto out;
	s = store_stmt(st, S_FEED_DEL_ROW);
	store_bind_str(s, 1, feed_id);
	rc = store_exec_stmt(st, s, err, errlen, "delete feed");
out:
	free(stories);
	rc = store_tx_end(st, own, rc, err, errlen);
	if (rc < 0)
		*deleted = 0;
	return rc;
}

int
store_story_max_id(struct store *st, int64_t *out, char *err, size_t errlen)
{
	sqlite3_stmt *s = store_stmt(st, S_STORY_MAX_ID);
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : store_fail(st, err, errlen, "max story id");
}

int
store_restore_items(struct store *st, int64_t since, size_t newest, store_restore_cb cb, void *user,
		    char *err, size_t errlen)
{
	sqlite3_stmt *s = store_stmt(st, S_RESTORE);
	struct store_restore_row row;
	int rc;

	sqlite3_bind_int64(s, 1, since);
	sqlite3_bind_int64(s, 2, newest > 0 && newest < INT64_MAX ? (int64_t)newest : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row.item_id = sqlite3_column_int64(s, 0);
		row.time = sqlite3_column_int64(s, 1);
		row.story_id = sqlite3_column_int64(s, 2);
		row.feed = (const char *)sqlite3_column_text(s, 3);
		row.title = (const char *)sqlite3_column_text(s, 4);
		row.link = (const char *)sqlite3_column_text(s, 5);
		row.text = (const char *)sqlite3_column_text(s, 6);
		if (!row.feed || !row.title || !row.link || !row.text) {
			rc = SQLITE_NOMEM;
			break;
		}
		if ((rc = cb(&row, user)) != 0) {
			sqlite3_reset(s);
			return rc;
		}
	}
	if (rc != SQLITE_DONE) {
		store_fail(st, err, errlen, "restore items");
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}
