/* search_bench: the search index of issue 23 against its peer, in one run.
 *
 * Fills a temporary store with N items (default 20,000): four in five in
 * Latin script (the gnews headlines of ../shared/dedup when given, else
 * generated), one in five in Japanese and Chinese with no spaces between
 * words (generated from a vocabulary of common words and particles). Then
 * builds the peer, the same external-content FTS5 table with the plain
 * unicode61 tokenizer herald used before schema 4, and prints for each:
 * the index's size (the bytes of its segments) and, per query, the hits
 * and the median time of --runs searches (store_search for herald, the
 * same MATCH for the peer).
 *
 *   search_bench [--items N] [--runs N] [--tsv PATH]
 *
 * Run by bench/search (docs/performance.md has the figures). */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "store.h"

/* Words that the queries look for, each in about 1 CJK item in 50; the
 * rest of a CJK text is two-character words of random common Han
 * characters (U+4E00..U+55CF), with particles between them. */
static const char *const cjk_words[] = {"地震", "東京", "経済", "新幹線", "北京", "株価"};
static const char *const particles[] = {"で", "が", "の", "を", "に", "は", "と", "、", "。", "了"};
static const char *const latin_words[] = {
	"market", "bank",     "rates",  "storm",    "election", "court", "minister", "talks",
	"strike", "football", "health", "research", "energy",   "oil",   "climate",  "merger"};

/* Cells of a query for the table's alignment: a CJK character (3 bytes
 * here) takes two. */
static size_t
width_hint(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w += ((unsigned char)*s >= 0xe0) ? 2 : 1;
	return w;
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void
die(const char *what, const char *err)
{
	fprintf(stderr, "search_bench: %s: %s\n", what, err);
	exit(1);
}

static size_t
put_cp(char *buf, unsigned cp)
{
	buf[0] = (char)(0xe0 | (cp >> 12));
	buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	buf[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

static void
cjk_text(char *buf, size_t n, unsigned words)
{
	size_t len = 0;

	for (unsigned i = 0; i < words && len + 16 < n; i++) {
		if (rand() % (50 * (int)words / 2) == 0) {
			const char *w = cjk_words[rand() % (sizeof cjk_words / sizeof *cjk_words)];

			memcpy(buf + len, w, strlen(w));
			len += strlen(w);
		} else {
			len += put_cp(buf + len, 0x4e00 + (unsigned)(rand() % 2000));
			len += put_cp(buf + len, 0x4e00 + (unsigned)(rand() % 2000));
		}
		if (rand() % 2) {
			const char *p = particles[rand() % (sizeof particles / sizeof *particles)];

			memcpy(buf + len, p, strlen(p));
			len += strlen(p);
		}
	}
	buf[len] = '\0';
}

static void
latin_text(char *buf, size_t n, unsigned words)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < words && len + 16 < n; i++)
		len += (size_t)snprintf(
			buf + len, n - len, "%s%s", i ? " " : "",
			latin_words[rand() % (sizeof latin_words / sizeof *latin_words)]);
}

static int64_t
sql_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		die(sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* How many items of table (items_fts or peer_fts) match q. */
static int64_t
matches(sqlite3 *db, const char *table, const char *q)
{
	char *fts = store_fts_query(q), sql[128];
	sqlite3_stmt *s;
	int64_t n = -1;

	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s MATCH ?1", table, table);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		die(sql, sqlite3_errmsg(db));
	sqlite3_bind_text(s, 1, fts, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	free(fts);
	return n;
}

/* Median microseconds of runs searches of q (50 best hits, snippets
 * included); *hits gets the count. */
static double
time_herald(struct store *st, const char *q, int runs, size_t *hits)
{
	double *t = calloc((size_t)runs, sizeof *t), m;
	char err[256];

	for (int i = 0; i < runs; i++) {
		struct store_hit_list l = {0};
		double t0 = now_us();

		if (store_search(st, q, NULL, NULL, 50, 0, &l, err, sizeof err) < 0)
			die(q, err);
		t[i] = now_us() - t0;
		*hits = l.n;
		store_hit_list_free(&l);
	}
	qsort(t, (size_t)runs, sizeof *t, cmp_double);
	m = t[runs / 2];
	free(t);
	return m;
}

static double
time_peer(sqlite3 *db, const char *q, int runs, size_t *hits)
{
	double *t = calloc((size_t)runs, sizeof *t), m;
	char *fts = store_fts_query(q);
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(
		    db,
		    "SELECT i.id, snippet(peer_fts, -1, '[', ']', '…', 12)"
		    " FROM peer_fts JOIN items i ON i.id = peer_fts.rowid"
		    " WHERE peer_fts MATCH ?1 AND peer_fts.rank MATCH 'bm25(10.0, 2.0, 1.0)'"
		    " ORDER BY peer_fts.rank LIMIT 50",
		    -1, &s, NULL) != SQLITE_OK)
		die("peer query", sqlite3_errmsg(db));
	for (int i = 0; i < runs; i++) {
		double t0 = now_us();

		*hits = 0;
		sqlite3_bind_text(s, 1, fts, -1, SQLITE_STATIC);
		while (sqlite3_step(s) == SQLITE_ROW)
			(*hits)++;
		sqlite3_reset(s);
		t[i] = now_us() - t0;
	}
	sqlite3_finalize(s);
	free(fts);
	qsort(t, (size_t)runs, sizeof *t, cmp_double);
	m = t[runs / 2];
	free(t);
	return m;
}

static void
fill(struct store *st, unsigned nitems, const char *tsv)
{
	struct config_feed cf = {.id = "bench", .name = "Bench", .url = "https://bench.example/"};
	FILE *fp = tsv ? fopen(tsv, "r") : NULL;
	char err[256], guid[32], title[512], text[2048], line[8192];

	if (store_feeds_sync(st, &cf, 1, err, sizeof err) < 0 ||
	    store_begin(st, err, sizeof err) < 0)
		die("feeds", err);
	for (unsigned i = 0; i < nitems; i++) {
		struct store_item it = {.feed = "bench",
					.guid = guid,
					.title = title,
					.summary_text = text,
					.summary_html = text,
					.link = "https://bench.example/x",
					.published = 1700000000 + i,
					.fetched = 1700000000 + i};
		struct store_upsert_result r;

		snprintf(guid, sizeof guid, "g%u", i);
		if (i % 5 == 4) {
			cjk_text(title, sizeof title, 4);
			cjk_text(text, sizeof text, 40);
		} else if (fp && fgets(line, sizeof line, fp)) {
			/* item_id TAB time TAB outlet TAB title TAB summary */
			char *f[5] = {line};
			int k = 1;

			for (char *p = line; *p && k < 5; p++)
				if (*p == '\t')
					*p = '\0', f[k++] = p + 1;
			line[strcspn(line, "\n")] = '\0';
			snprintf(title, sizeof title, "%s", k > 3 ? f[3] : "");
			snprintf(text, sizeof text, "%s", k > 4 ? f[4] : "");
			text[strcspn(text, "\n")] = '\0';
		} else {
			if (fp)
				rewind(fp);
			latin_text(title, sizeof title, 8);
			latin_text(text, sizeof text, 60);
		}
		if (store_item_upsert(st, &it, &r, err, sizeof err) < 0)
			die("upsert", err);
	}
	if (store_commit(st, err, sizeof err) < 0)
		die("commit", err);
	if (fp)
		fclose(fp);
}

int
main(int argc, char **argv)
{
	static const char *const queries[] = {"bank",      "\"central bank\"", "地震", "新幹線",
					      "東京 経済", "地震 -北京",       "株*",  "震"};
	unsigned nitems = 20000;
	int runs = 21;
	const char *tsv = NULL;
	char dir[] = "/tmp/search-bench-XXXXXX", path[64], err[256];
	struct store *st;
	sqlite3 *db;
	int64_t herald_bytes, peer_bytes;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--items") == 0)
			nitems = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--runs") == 0)
			runs = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--tsv") == 0)
			tsv = argv[i + 1];
	}
	if (runs < 1 || nitems < 10 || mkdtemp(dir) == NULL)
		die("arguments", "--items >= 10, --runs >= 1");
	snprintf(path, sizeof path, "%s/herald.db", dir);
	srand(1);
	if (store_open(path, &st, err, sizeof err) < 0)
		die("open", err);
	fill(st, nitems, tsv);
	if (sqlite3_open(path, &db) != SQLITE_OK || store_fts_register(db) != SQLITE_OK ||
	    sqlite3_exec(
		    db,
		    "CREATE VIRTUAL TABLE peer_fts USING fts5(title, summary_text, content_text,"
		    " content='items', content_rowid='id',"
		    " tokenize='unicode61 remove_diacritics 2');"
		    "INSERT INTO peer_fts(peer_fts) VALUES ('rebuild');",
		    NULL, NULL, NULL) != SQLITE_OK)
		die("peer", sqlite3_errmsg(db));
	herald_bytes = sql_int(db, "SELECT sum(length(block)) FROM items_fts_data") +
		       sql_int(db, "SELECT count(*) * 16 FROM items_fts_idx");
	peer_bytes = sql_int(db, "SELECT sum(length(block)) FROM peer_fts_data") +
		     sql_int(db, "SELECT count(*) * 16 FROM peer_fts_idx");
	printf("%u items (1 in 5 Chinese/Japanese), median of %d runs\n", nitems, runs);
	printf("index: herald %.2f MB, unicode61 %.2f MB (herald/unicode61 %.2f)\n",
	       herald_bytes / 1e6, peer_bytes / 1e6, (double)herald_bytes / (double)peer_bytes);
	printf("%-14s %8s %10s %8s %10s   (matches: all items that match; us: median time of the\n"
	       "%-14s %8s %10s %8s %10s    50 best with snippets)\n",
	       "query", "matches", "herald us", "matches", "peer us", "", "herald", "", "peer", "");
	for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
		size_t h1 = 0, h2 = 0;
		double t1 = time_herald(st, queries[q], runs, &h1);
		double t2 = time_peer(db, queries[q], runs, &h2);

		printf("%-*s %8lld %10.0f %8lld %10.0f\n",
		       (int)(14 + strlen(queries[q]) - width_hint(queries[q])), queries[q],
		       (long long)matches(db, "items_fts", queries[q]), t1,
		       (long long)matches(db, "peer_fts", queries[q]), t2);
		(void)h1;
		(void)h2;
	}
	sqlite3_close(db);
	store_close(st);
	unlink(path);
	snprintf(err, sizeof err, "%s-wal", path);
	unlink(err);
	snprintf(err, sizeof err, "%s-shm", path);
	unlink(err);
	rmdir(dir);
	return 0;
}
