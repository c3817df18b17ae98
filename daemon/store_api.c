/* store_api: the Google Reader API's queries (see store_api.h). */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "store.h"
#include "store_api.h"
#include "store_int.h"

/* Migration 4 (issue 24): API accounts and their login tokens. A token is
 * kept as its BLAKE2b hash only; deleting an account or changing its
 * password deletes its tokens (ON DELETE CASCADE, and account_set). */
const char store_api_migration_sql[] =
	"CREATE TABLE api_accounts ("
	" name TEXT PRIMARY KEY,"
	" hash TEXT NOT NULL,"
	" folded INTEGER NOT NULL DEFAULT 0,"
	" mark_story INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE api_tokens ("
	" hash BLOB PRIMARY KEY,"
	" account TEXT NOT NULL REFERENCES api_accounts(name) ON DELETE CASCADE,"
	" created INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE INDEX api_tokens_account ON api_tokens(account);";

/* Item columns as store.h's ITEM_COLS (store_sql.c) gives them, the HTML
 * ones only when ?20 is set. */
#define API_COLS                                                                                   \
	"SELECT i.id, COALESCE(s.merged_into, i.story_id, 0), i.feed,"                             \
	" COALESCE(NULLIF(f.name, ''), NULLIF(f.title, ''), f.id), i.guid, i.link, i.title,"       \
	" i.author, i.published, i.updated, i.first_seen, i.time, i.read, i.starred,"              \
	" '', CASE WHEN ?20 THEN i.summary_html ELSE '' END,"                                      \
	" CASE WHEN ?20 THEN i.content_html ELSE '' END, ''"                                       \
	" FROM items i JOIN feeds f ON f.id = i.feed LEFT JOIN stories s ON s.id = i.story_id "

static const char sql_one[] = API_COLS "WHERE i.id = ?1";

static sqlite3_stmt *
prepare(struct store *st, const char *sql, char *err, size_t errlen, const char *what)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_fail(st, err, errlen, what);
		return NULL;
	}
	return s;
}

/* Steps s to the end, each row to row(s, user); finalizes s. */
static int
walk(struct store *st, sqlite3_stmt *s, int (*row)(sqlite3_stmt *, void *), void *user, char *err,
     size_t errlen, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int r = row(s, user);

		if (r != 0) {
			sqlite3_finalize(s);
			return r;
		}
	}
	if (rc != SQLITE_DONE) {
		store_fail(st, err, errlen, what);
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

static const char *
col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

/* One-shot write: flushes an open batch first (a client's write is durable
 * when it returns), binds nothing itself. */
static int
exec_write(struct store *st, sqlite3_stmt *s, char *err, size_t errlen, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE) {
		store_fail(st, err, errlen, what);
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

/* ---- Accounts ---- */

struct account_walk {
	store_api_account_cb cb;
	void *user;
};

static int
account_row(sqlite3_stmt *s, void *user)
{
	struct account_walk *w = user;
	struct store_api_account a = {
		.name = col(s, 0),
		.hash = col(s, 1),
		.folded = sqlite3_column_int(s, 2),
		.mark_story = sqlite3_column_int(s, 3),
		.created = sqlite3_column_int64(s, 4),
	};

	return w->cb(&a, w->user);
}

int
store_api_accounts(struct store *st, store_api_account_cb cb, void *user, char *err, size_t errlen)
{
	struct account_walk w = {cb, user};
	sqlite3_stmt *s = prepare(
		st,
		"SELECT name, hash, folded, mark_story, created FROM api_accounts ORDER BY name",
		err, errlen, "api accounts");

	return s ? walk(st, s, account_row, &w, err, errlen, "api accounts") : -1;
}

int
store_api_account_set(struct store *st, const char *name, const char *hash, int64_t now, char *err,
		      size_t errlen)
{
	sqlite3_stmt *s;
	int own, rc = -1;

	if (store_client_write(st, err, errlen) < 0 || store_tx_auto(st, &own, err, errlen) < 0)
		return -1;
	if ((s = prepare(st,
			 "INSERT INTO api_accounts(name, hash, created) VALUES (?1, ?2, ?3)"
			 " ON CONFLICT(name) DO UPDATE SET hash = excluded.hash",
			 err, errlen, "api set password")) == NULL)
		goto out;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	if (exec_write(st, s, err, errlen, "api set password") < 0)
		goto out;
	if ((s = prepare(st, "DELETE FROM api_tokens WHERE account = ?1", err, errlen,
			 "api revoke tokens")) == NULL)
		goto out;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = exec_write(st, s, err, errlen, "api revoke tokens");
out:
	return store_tx_end(st, own, rc, err, errlen);
}

int
store_api_account_options(struct store *st, const char *name, int folded, int mark_story, char *err,
			  size_t errlen)
{
	sqlite3_stmt *s;

	if (store_client_write(st, err, errlen) < 0)
		return -1;
	if ((s = prepare(st,
			 "UPDATE api_accounts SET"
			 " folded = CASE WHEN ?2 < 0 THEN folded ELSE ?2 END,"
			 " mark_story = CASE WHEN ?3 < 0 THEN mark_story ELSE ?3 END"
			 " WHERE name = ?1",
			 err, errlen, "api account options")) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, folded);
	sqlite3_bind_int(s, 3, mark_story);
	if (exec_write(st, s, err, errlen, "api account options") < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0) {
		snprintf(err, errlen, "no account '%s'", name);
		return STORE_ENOTFOUND;
	}
	return 0;
}

int
store_api_account_remove(struct store *st, const char *name, char *err, size_t errlen)
{
	sqlite3_stmt *s;

	if (store_client_write(st, err, errlen) < 0)
		return -1;
	if ((s = prepare(st, "DELETE FROM api_accounts WHERE name = ?1", err, errlen,
			 "api remove account")) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (exec_write(st, s, err, errlen, "api remove account") < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0) {
		snprintf(err, errlen, "no account '%s'", name);
		return STORE_ENOTFOUND;
	}
	return 0;
}

/* ---- Tokens ---- */

struct token_walk {
	store_api_token_cb cb;
	void *user;
};

static int
token_row(sqlite3_stmt *s, void *user)
{
	struct token_walk *w = user;

	return w->cb(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), col(s, 1),
		     w->user);
}

int
store_api_tokens(struct store *st, store_api_token_cb cb, void *user, char *err, size_t errlen)
{
	struct token_walk w = {cb, user};
	sqlite3_stmt *s = prepare(st, "SELECT hash, account FROM api_tokens ORDER BY created", err,
				  errlen, "api tokens");

	return s ? walk(st, s, token_row, &w, err, errlen, "api tokens") : -1;
}

int
store_api_token_add(struct store *st, const void *hash, size_t len, const char *account,
		    int64_t now, char *err, size_t errlen)
{
	sqlite3_stmt *s;

	if (store_client_write(st, err, errlen) < 0)
		return -1;
	if ((s = prepare(st,
			 "INSERT OR REPLACE INTO api_tokens(hash, account, created)"
			 " VALUES (?1, ?2, ?3)",
			 err, errlen, "api add token")) == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, hash, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, account, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	return exec_write(st, s, err, errlen, "api add token");
}

/* ---- Items ---- */

struct item_walk {
	store_api_item_cb cb;
	void *user;
};

static int
item_row(sqlite3_stmt *s, void *user)
{
	struct item_walk *w = user;
	struct store_item_row r = {
		.id = sqlite3_column_int64(s, 0),
		.story_id = sqlite3_column_int64(s, 1),
		.feed = col(s, 2),
		.feed_name = col(s, 3),
		.guid = col(s, 4),
		.link = col(s, 5),
		.title = col(s, 6),
		.author = col(s, 7),
		.published = sqlite3_column_int64(s, 8),
		.updated = sqlite3_column_int64(s, 9),
		.first_seen = sqlite3_column_int64(s, 10),
		.time = sqlite3_column_int64(s, 11),
		.read = sqlite3_column_int(s, 12),
		.starred = sqlite3_column_int(s, 13),
		.summary_text = col(s, 14),
		.summary_html = col(s, 15),
		.content_html = col(s, 16),
		.content_text = col(s, 17),
	};

	return w->cb(&r, w->user);
}

/* The page's statement, of fixed pieces for the filters it has, so that
 * the planner sees each constraint (a "?1 IS NULL OR ..." hides it): a feed
 * walks items_feed, unread walks the partial index items_unread_time, and a
 * continuation seeks its (time, id) in the index instead of walking every
 * row before it. Parameters: ?1 feed, ?2 tag, ?3 story, ?7 since, ?8 until,
 * ?9 after_id, ?10 after_time, ?11 limit, ?20 full. */
static int
items_sql(const struct store_api_query *q, struct buf *b)
{
	int bad = buf_puts(b, q->ids_only ? "SELECT i.id, 0, '', '', '', '', '', '', 0, 0, 0, i.time,"
					    " 0, 0, '', '', '', '' FROM items i WHERE 1"
					  : API_COLS "WHERE 1") < 0;

	/* A filter rule's hidden item (issue 25) is read: unread pages skip it
	 * by their index alone. */
	if (!q->unread)
		bad |= buf_puts(b, " AND NOT i.hidden") < 0;
	if (q->feed)
		bad |= buf_puts(b, " AND i.feed = ?1") < 0;
	if (q->tag)
		bad |= buf_puts(b, " AND (i.feed IN (SELECT t.feed FROM feed_tags t WHERE t.tag = ?2)"
				   " OR i.id IN (SELECT t.item FROM item_tags t WHERE t.tag = ?2))") <
		       0;
	if (q->story)
		bad |= buf_puts(b, " AND i.story_id IN (SELECT ?3 UNION ALL"
				   " SELECT m.id FROM stories m WHERE m.merged_into = ?3)") < 0;
	if (q->unread)
		bad |= buf_puts(b, " AND i.read = 0") < 0;
	if (q->read)
		bad |= buf_puts(b, " AND i.read = 1") < 0;
	if (q->starred)
		bad |= buf_puts(b, " AND i.starred = 1") < 0;
	if (q->since)
		bad |= buf_puts(b, " AND i.time >= ?7") < 0;
	if (q->until)
		bad |= buf_puts(b, " AND i.time < ?8") < 0;
	if (q->after_id && q->oldest_first)
		bad |= buf_puts(b, " AND i.time >= ?10 AND (i.time > ?10 OR i.id > ?9)") < 0;
	else if (q->after_id)
		bad |= buf_puts(b, " AND i.time <= ?10 AND (i.time < ?10 OR i.id < ?9)") < 0;
	bad |= buf_puts(b, q->oldest_first ? " ORDER BY i.time, i.id LIMIT ?11"
					   : " ORDER BY i.time DESC, i.id DESC LIMIT ?11") < 0;
	return bad ? -1 : 0;
}

int
store_api_items(struct store *st, const struct store_api_query *q, store_api_item_cb cb, void *user,
		char *err, size_t errlen)
{
	struct item_walk w = {cb, user};
	struct buf sql = {0};
	sqlite3_stmt *s;

	if (items_sql(q, &sql) < 0) {
		buf_free(&sql);
		snprintf(err, errlen, "api stream: out of memory");
		return -1;
	}
	s = prepare(st, buf_str(&sql), err, errlen, "api stream");
	buf_free(&sql);
	if (s == NULL)
		return -1;
	store_bind_opt(s, 1, q->feed);
	store_bind_opt(s, 2, q->tag);
	sqlite3_bind_int64(s, 3, q->story);
	sqlite3_bind_int64(s, 7, q->since);
	sqlite3_bind_int64(s, 8, q->until);
	sqlite3_bind_int64(s, 9, q->after_id);
	sqlite3_bind_int64(s, 10, q->after_time);
	sqlite3_bind_int64(s, 11, q->limit);
	sqlite3_bind_int(s, 20, q->full);
	return walk(st, s, item_row, &w, err, errlen, "api stream");
}

int
store_api_items_by_id(struct store *st, const int64_t *ids, size_t n, store_api_item_cb cb,
		      void *user, char *err, size_t errlen)
{
	struct item_walk w = {cb, user};
	sqlite3_stmt *s = prepare(st, sql_one, err, errlen, "api items");
	int rc = 0;

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		int step;

		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, ids[i]);
		sqlite3_bind_int(s, 20, 1);
		if ((step = sqlite3_step(s)) == SQLITE_ROW)
			rc = item_row(s, &w);
		else if (step != SQLITE_DONE)
			rc = store_fail(st, err, errlen, "api items");
	}
	sqlite3_finalize(s);
	return rc;
}

int
store_api_item_label(struct store *st, int64_t id, const char *label, int add, char *err,
		     size_t errlen)
{
	sqlite3_stmt *s = prepare(st,
				  add ? "INSERT OR IGNORE INTO item_tags(tag, item)"
					" SELECT ?2, id FROM items WHERE id = ?1"
				      : "DELETE FROM item_tags WHERE item = ?1 AND tag = ?2",
				  err, errlen, "api item label");
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, label, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		store_fail(st, err, errlen, "api item label");
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_api_item_story(struct store *st, int64_t id, int64_t *story, char *err, size_t errlen)
{
	sqlite3_stmt *s = prepare(st,
				  "SELECT COALESCE(s.merged_into, i.story_id, 0) FROM items i"
				  " LEFT JOIN stories s ON s.id = i.story_id WHERE i.id = ?1",
				  err, errlen, "api item story");
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*story = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		return 0;
	}
	if (rc != SQLITE_DONE) {
		store_fail(st, err, errlen, "api item story");
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	snprintf(err, errlen, "no item %lld", (long long)id);
	return STORE_ENOTFOUND;
}

struct count_walk {
	store_api_count_cb cb;
	void *user;
};

static int
count_row(sqlite3_stmt *s, void *user)
{
	struct count_walk *w = user;

	return w->cb(col(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2), w->user);
}

int
store_api_unread_counts(struct store *st, store_api_count_cb cb, void *user, char *err,
			size_t errlen)
{
	struct count_walk w = {cb, user};
	/* items_unread is a partial index on feed: the count reads only unread rows. */
	sqlite3_stmt *s = prepare(st,
				  "SELECT feed, COUNT(*), MAX(time) FROM items WHERE read = 0"
				  " GROUP BY feed ORDER BY feed",
				  err, errlen, "api unread counts");

	return s ? walk(st, s, count_row, &w, err, errlen, "api unread counts") : -1;
}

int
store_api_unread_stories(struct store *st, int64_t *out, char *err, size_t errlen)
{
	sqlite3_stmt *s = prepare(st,
				  "SELECT COUNT(*) FROM stories WHERE merged_into IS NULL"
				  " AND nunread > 0",
				  err, errlen, "api unread stories");

	if (s == NULL)
		return -1;
	if (sqlite3_step(s) != SQLITE_ROW) {
		store_fail(st, err, errlen, "api unread stories");
		sqlite3_finalize(s);
		return -1;
	}
	*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return 0;
}
