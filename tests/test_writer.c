/* Tests for writer.c alone: a real libuv loop of the test's own (the writer
 * stores on the thread pool and commits on a timer), a temporary database
 * and responses built here as small RSS 2.0 documents, without the rest of
 * the daemon. What reaches the disk is checked through a second SQLite
 * connection to the same file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "buf.h"
#include "config.h"
#include "ingest.h"
#include "store.h"
#include "story.h"
#include "writer.h"

#define MAXJOBS 16
#define MAXBUSY 64

/* One item of a generated feed document. */
struct titem {
	const char *guid, *title, *text;
	int64_t age; /* seconds before now */
};

struct fx;

/* A finished poll as the test hands it over. */
struct tjob {
	struct writer_job job; /* job.data points back here */
	struct fx *f;
	const char *name;
	int ndone, rc;
	struct ingest_counts c;
	char why[256];                /* when rc < 0 */
	void (*then)(struct tjob *j); /* runs inside done, on the loop */
};

struct fx {
	char dir[256];
	char path[300];
	char err[512];
	uv_loop_t loop;
	struct writer *w;
	struct tjob jobs[MAXJOBS]; /* the writer holds pointers: not on a test's stack */
	size_t njobs;
	struct ingest *ings[MAXJOBS];
	size_t nings;
	/* What the callbacks saw, in order. */
	struct tjob *order[MAXJOBS];
	size_t ndone;
	int busy[MAXBUSY];
	size_t nbusy;
	size_t nlost_calls;
	struct writer_job *lost[MAXJOBS];
	size_t nlost;
	char lost_why[512];
	size_t nreopened;
	struct store *reopened_st;
	int flush_rc; /* writer_flush from a done callback */
	/* The file size limit, while one is set. */
	int limited;
	struct rlimit saved_fsize;
	void (*saved_xfsz)(int);
};

static char *tags_world[] = {"world"};
static struct config_feed feeds[] = {
	{.id = "alpha", .url = "https://alpha.example/rss", .tags = tags_world, .ntags = 1},
	{.id = "beta", .url = "https://beta.example/rss", .tags = tags_world, .ntags = 1},
	{.id = "gamma", .url = "https://gamma.example/rss"},
};
#define NFEEDS (sizeof feeds / sizeof feeds[0])

/* Distinct events, but for the deliberate pair: beta tells alpha's volcano
 * story in the same words. */
#define VOLCANO_TITLE "Volcano erupts near Iceland fishing town, residents evacuated"
#define VOLCANO_TEXT                                                                               \
	"Lava fountains lit up the night sky as authorities moved families out of Grindavik"       \
	" and closed the road to the Blue Lagoon."
static const struct titem alpha_items[] = {
	{"a1", "Parliament passes budget after overnight session",
	 "Lawmakers approved the spending plan by a narrow margin after debating through the"
	 " night.",
	 3000},
	{"a2", VOLCANO_TITLE, VOLCANO_TEXT, 2400},
	{"a3", "Chess champion retains title in tense final game",
	 "The defending champion held a difficult endgame to keep the crown for a third year.",
	 1800},
};
static const struct titem beta_items[] = {
	{"b1", VOLCANO_TITLE, VOLCANO_TEXT, 2300},
	{"b2", "Central bank holds interest rates steady amid inflation worries",
	 "Policymakers kept borrowing costs unchanged and signalled caution about price growth.",
	 1200},
};
static const struct titem gamma_items[] = {
	{"g1", "Startup claims smartphone battery lasts a week",
	 "A young company says its solid state cell powers a phone for seven days on one charge.",
	 900},
	{"g2", "Football club appoints new coach after poor season",
	 "The club ended months of speculation by hiring a former youth team manager.", 600},
};
#define NALPHA (sizeof alpha_items / sizeof alpha_items[0])
#define NBETA  (sizeof beta_items / sizeof beta_items[0])
#define NGAMMA (sizeof gamma_items / sizeof gamma_items[0])

/* ---- the database file ---- */

static void
rm_db(const char *path)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char p[320];

	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		snprintf(p, sizeof p, "%s%s", path, suffix[i]);
		unlink(p);
	}
}

static off_t
file_size(const char *path, const char *suffix)
{
	char p[320];
	struct stat sb;

	snprintf(p, sizeof p, "%s%s", path, suffix);
	return stat(p, &sb) == 0 ? sb.st_size : 0;
}

/* One value read through a connection of its own: what another process
 * (or the daemon's next start) finds in the file. */
static int64_t
disk_int(const struct fx *f, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(store_fts_register(db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void
disk_text(const struct fx *f, const char *sql, char *out, size_t n)
{
	sqlite3 *db;
	sqlite3_stmt *s;

	snprintf(out, n, "(no row)");
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(store_fts_register(db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* Makes writes past the database's current size (the main file's or the
 * WAL's, whichever is larger) plus slack fail with EFBIG instead of
 * killing the process. */
static void
limit_file_size(struct fx *f, off_t slack)
{
	off_t db = file_size(f->path, ""), wal = file_size(f->path, "-wal");
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &f->saved_fsize), 0);
	rl = f->saved_fsize;
	rl.rlim_cur = (rlim_t)((db > wal ? db : wal) + slack);
	assert_true(rl.rlim_max == RLIM_INFINITY || rl.rlim_cur <= rl.rlim_max);
	f->saved_xfsz = signal(SIGXFSZ, SIG_IGN);
	assert_true(f->saved_xfsz != SIG_ERR);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
	f->limited = 1;
}

static void
unlimit_file_size(struct fx *f)
{
	if (!f->limited)
		return;
	f->limited = 0;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &f->saved_fsize), 0);
	signal(SIGXFSZ, f->saved_xfsz);
}

/* ---- responses ---- */

static void
put_date(struct buf *b, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[64];

	assert_non_null(gmtime_r(&tt, &tm));
	assert_true(strftime(s, sizeof s, "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0);
	assert_int_equal(buf_puts(b, s), 0);
}

/* An RSS 2.0 document of the items (malloc'd). */
static char *
rss(const struct titem *v, size_t n, int64_t now)
{
	struct buf b = {0};

	assert_int_equal(buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				      "<rss version=\"2.0\"><channel><title>Test feed</title>"
				      "<link>https://example.org/</link>\n"),
			 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(
			buf_printf(&b,
				   "<item><guid isPermaLink=\"false\">%s</guid><title>%s</title>"
				   "<link>https://example.org/%s</link>"
				   "<description>%s</description><pubDate>",
				   v[i].guid, v[i].title, v[i].guid, v[i].text),
			0);
		put_date(&b, now - v[i].age);
		assert_int_equal(buf_puts(&b, "</pubDate></item>\n"), 0);
	}
	assert_int_equal(buf_puts(&b, "</channel></rss>\n"), 0);
	return buf_detach(&b);
}

/* A parsed response of feed_id, kept by the fixture until teardown. */
static struct ingest *
response(struct fx *f, const char *feed_id, const char *xml)
{
	struct ingest *in = ingest_new(feed_id, "application/rss+xml", "https://example.org/rss",
				       (int64_t)time(NULL));

	assert_non_null(in);
	assert_true(f->nings < MAXJOBS);
	f->ings[f->nings++] = in;
	assert_int_equal(ingest_feed(in, xml, strlen(xml), f->err, sizeof f->err), 0);
	assert_int_equal(ingest_end(in, f->err, sizeof f->err), 0);
	return in;
}

static struct ingest *
response_of(struct fx *f, const char *feed_id, const struct titem *v, size_t n)
{
	char *xml = rss(v, n, (int64_t)time(NULL));
	struct ingest *in = response(f, feed_id, xml);

	free(xml);
	return in;
}

/* A made-up word, different for each seed: generated items share no
 * vocabulary, so each is a story of its own. */
static void
put_word(struct buf *b, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 0x9e3779b9u;
	char w[12];
	size_t n;

	x ^= x >> 15;
	n = 5 + x % 6;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		w[i] = (char)('a' + (x >> 16) % 26);
	}
	w[n] = '\0';
	assert_int_equal(buf_printf(b, "%s%s", b->len ? " " : "", w), 0);
}

/* Item i of the generated feed: a title of 6 words, a text of 100. */
static void
gen_item(unsigned i, struct buf *title, struct buf *text)
{
	buf_reset(title);
	buf_reset(text);
	for (unsigned k = 0; k < 6; k++)
		put_word(title, i * 1000 + k);
	for (unsigned k = 0; k < 100; k++)
		put_word(text, i * 1000 + 100 + k);
}

/* A response of n generated items (guids prefix-0 ...). */
static struct ingest *
generated(struct fx *f, const char *feed_id, const char *prefix, unsigned n)
{
	int64_t now = (int64_t)time(NULL);
	struct buf doc = {0}, title = {0}, text = {0};
	struct ingest *in;

	assert_int_equal(buf_puts(&doc, "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel>"
					"<title>Generated</title>\n"),
			 0);
	for (unsigned i = 0; i < n; i++) {
		gen_item(i, &title, &text);
		assert_int_equal(
			buf_printf(&doc,
				   "<item><guid isPermaLink=\"false\">%s-%u</guid><title>%s</title>"
				   "<description>%s</description><pubDate>",
				   prefix, i, buf_str(&title), buf_str(&text)),
			0);
		put_date(&doc, now - 7200 + i);
		assert_int_equal(buf_puts(&doc, "</pubDate></item>\n"), 0);
	}
	assert_int_equal(buf_puts(&doc, "</channel></rss>\n"), 0);
	in = response(f, feed_id, buf_str(&doc));
	buf_free(&doc);
	buf_free(&title);
	buf_free(&text);
	return in;
}

/* ---- jobs and callbacks ---- */

static void
on_done(struct writer_job *job, int rc, const char *why, const struct ingest_counts *c)
{
	struct tjob *j = job->data;
	struct fx *f = j->f;

	j->ndone++;
	j->rc = rc;
	j->c = *c;
	snprintf(j->why, sizeof j->why, "%s", why ? why : "");
	if (f->ndone < MAXJOBS)
		f->order[f->ndone] = j;
	f->ndone++;
	if (j->then)
		j->then(j);
}

/* A job storing ing (NULL: nothing to store). */
static struct tjob *
job_new(struct fx *f, const char *name, struct ingest *ing)
{
	struct tjob *j;

	assert_true(f->njobs < MAXJOBS);
	j = &f->jobs[f->njobs++];
	j->f = f;
	j->name = name;
	j->job.ing = ing;
	j->job.data = j;
	return j;
}

static struct tjob *
submit(struct fx *f, const char *name, struct ingest *ing)
{
	struct tjob *j = job_new(f, name, ing);

	writer_submit(f->w, &j->job, on_done);
	return j;
}

static void
on_busy(void *user, int on)
{
	struct fx *f = user;

	if (f->nbusy < MAXBUSY)
		f->busy[f->nbusy] = on;
	f->nbusy++;
}

static void
on_lost(void *user, struct writer_job *const *jobs, size_t n, const char *why)
{
	struct fx *f = user;

	f->nlost_calls++;
	for (size_t i = 0; i < n && f->nlost < MAXJOBS; i++)
		f->lost[f->nlost++] = jobs[i];
	snprintf(f->lost_why, sizeof f->lost_why, "%s", why ? why : "");
}

/* The owner brings the new file up to date: here, its feeds. */
static int
on_reopened(void *user, struct store *st, char *err, size_t errlen)
{
	struct fx *f = user;

	f->nreopened++;
	f->reopened_st = st;
	return store_feeds_sync(st, feeds, NFEEDS, err, errlen);
}

static int
last_busy(const struct fx *f)
{
	assert_true(f->nbusy > 0 && f->nbusy <= MAXBUSY);
	return f->busy[f->nbusy - 1];
}

/* Runs the loop until n jobs completed and the worker gave the store back
 * (a commit may follow the last job). Fails when the loop has nothing left
 * to do before that. */
static void
run_until_done(struct fx *f, size_t n)
{
	while (f->ndone < n || writer_busy(f->w))
		if (uv_run(&f->loop, UV_RUN_ONCE) == 0 && (f->ndone < n || writer_busy(f->w)))
			fail_msg("the loop ran dry with %zu of %zu jobs done", f->ndone, n);
}

/* The same, until job j completed. */
static void
run_until_job(struct fx *f, const struct tjob *j)
{
	while (j->ndone == 0 || writer_busy(f->w))
		if (uv_run(&f->loop, UV_RUN_ONCE) == 0 && (j->ndone == 0 || writer_busy(f->w)))
			fail_msg("the loop ran dry before job %s was done", j->name);
}

/* Job j completed once, its body stored with added new items. */
static void
expect_stored(const struct tjob *j, unsigned added)
{
	assert_int_equal(j->ndone, 1);
	if (j->rc != 0)
		fail_msg("job %s: %s", j->name, j->why);
	assert_int_equal(j->c.added, added);
}

static void
stop_timer(uv_handle_t *h, void *arg)
{
	int *n = arg;

	if (h->type == UV_TIMER && uv_is_active(h)) {
		uv_timer_stop((uv_timer_t *)h);
		(*n)++;
	}
}

/* Stops the writer's flush timer (the loop's only timer), so that a commit
 * happens only when the test asks for it. The number of timers stopped. */
static int
stop_flush_timer(struct fx *f)
{
	int n = 0;

	uv_walk(&f->loop, stop_timer, &n);
	return n;
}

/* ---- reading back ---- */

static struct store *
store_of(struct fx *f)
{
	struct store *st = writer_store(f->w);

	assert_non_null(st);
	return st;
}

static struct store_stats
stats(struct fx *f)
{
	struct store_stats s;

	assert_int_equal(store_stats(store_of(f), &s, f->err, sizeof f->err), 0);
	return s;
}

/* The story of the item with guid (through the writer's store); fails when
 * the item is absent or has no story. */
static int64_t
story_of(struct fx *f, const char *guid)
{
	struct store_filter flt = {.all = 1, .limit = STORE_NO_LIMIT};
	struct store_item_list l = {0};
	int64_t story = 0;
	int found = 0;

	assert_int_equal(store_items(store_of(f), &flt, &l, f->err, sizeof f->err), 0);
	for (size_t i = 0; i < l.n; i++)
		if (strcmp(l.v[i].guid, guid) == 0) {
			found = 1;
			story = l.v[i].story_id;
		}
	store_item_list_free(&l);
	if (!found)
		fail_msg("item %s is not in the store", guid);
	assert_true(story > 0);
	return story;
}

static void
expect_etag(struct fx *f, const char *feed_id, const char *etag)
{
	struct store_feed_list l = {0};
	char sql[128], disk[64];

	assert_int_equal(store_feeds(store_of(f), feed_id, &l, f->err, sizeof f->err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].etag, etag);
	store_feed_list_free(&l);
	snprintf(sql, sizeof sql, "SELECT etag FROM feeds WHERE id = '%s'", feed_id);
	disk_text(f, sql, disk, sizeof disk);
	assert_string_equal(disk, etag);
}

/* ---- fixture ---- */

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	const char *tmp = getenv("TMPDIR");
	struct story_params sp = story_params_default();
	struct writer_callbacks cb = {
		.lost = on_lost, .busy = on_busy, .reopened = on_reopened, .user = f};
	struct store *st;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof f->dir, "%s/herald-writer-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof f->path, "%s/herald.db", f->dir);
	if (uv_loop_init(&f->loop) != 0)
		return -1;
	if (writer_new(&f->loop, f->path, &sp, &cb, &f->w, f->err, sizeof f->err) < 0 ||
	    (st = writer_store(f->w)) == NULL ||
	    store_feeds_sync(st, feeds, NFEEDS, f->err, sizeof f->err) < 0) {
		fprintf(stderr, "setup: %s\n", f->err);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	int rc = 0;

	unlimit_file_size(f);
	if (f->w) {
		writer_stop(f->w);
		uv_run(&f->loop, UV_RUN_DEFAULT); /* work in flight, the timer's close */
		writer_free(f->w);
	}
	if (uv_loop_close(&f->loop) != 0) {
		fprintf(stderr, "teardown: the loop still has handles\n");
		rc = -1;
	}
	for (size_t i = 0; i < f->nings; i++)
		ingest_free(f->ings[i]);
	rm_db(f->path);
	rmdir(f->dir);
	free(f);
	return rc;
}

/* ---- 1. a batch of responses ---- */

static void
test_store_batch(void **state)
{
	struct fx *f = *state;
	struct tjob *a, *none, *b, *g;
	struct store_stats s;
	struct store_story_list l = {0};
	struct store_filter flt = {.all = 1, .limit = STORE_NO_LIMIT};
	const size_t nitems = NALPHA + NBETA + NGAMMA;
	int64_t ids[NALPHA + NBETA + NGAMMA];
	const char *guids[] = {"a1", "a2", "a3", "b1", "b2", "g1", "g2"};

	a = submit(f, "alpha", response_of(f, "alpha", alpha_items, NALPHA));
	none = submit(f, "none", NULL);
	b = submit(f, "beta", response_of(f, "beta", beta_items, NBETA));
	g = submit(f, "gamma", response_of(f, "gamma", gamma_items, NGAMMA));
	/* The worker has alpha: the job without a body waits for its turn. */
	assert_int_equal(none->ndone, 0);
	assert_int_equal(writer_job_pending(f->w, &none->job), 1);
	run_until_done(f, 4);

	assert_int_equal(f->ndone, 4);
	assert_ptr_equal(f->order[0], a);
	assert_ptr_equal(f->order[1], none);
	assert_ptr_equal(f->order[2], b);
	assert_ptr_equal(f->order[3], g);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(writer_job_pending(f->w, &f->order[i]->job), 0);
	expect_stored(a, NALPHA);
	expect_stored(none, 0);
	expect_stored(b, NBETA);
	expect_stored(g, NGAMMA);
	assert_int_equal(a->c.items, NALPHA);
	assert_int_equal(none->c.items, 0);
	assert_int_equal(b->c.items, NBETA);

	assert_int_equal(writer_flush(f->w), 0);
	assert_int_equal(f->nlost_calls, 0);
	s = stats(f);
	assert_int_equal(s.items, nitems);
	assert_int_equal(disk_int(f, "SELECT count(*) FROM items"), nitems);
	for (size_t i = 0; i < nitems; i++)
		ids[i] = story_of(f, guids[i]);
	/* The pair folded into one story; every other item is a story alone. */
	assert_int_equal(ids[1], ids[3]);
	for (size_t i = 0; i < nitems; i++)
		for (size_t k = i + 1; k < nitems; k++)
			if (!(i == 1 && k == 3))
				assert_int_not_equal(ids[i], ids[k]);
	assert_int_equal(store_stories(store_of(f), &flt, &l, f->err, sizeof f->err), 0);
	assert_int_equal(l.n, nitems - 1);
	store_story_list_free(&l);
	assert_int_equal(s.stories, nitems - 1);
	assert_int_equal(writer_story_count(f->w), nitems - 1);
}

/* ---- 2. the store while the worker holds it ---- */

static void
test_busy(void **state)
{
	struct fx *f = *state;
	struct ingest *in = response_of(f, "alpha", alpha_items, NALPHA);
	struct tjob *j;
	size_t nbusy, n1 = 0;
	struct store *st;

	j = submit(f, "alpha", in);
	nbusy = f->nbusy;
	assert_int_equal(writer_busy(f->w), 1);
	assert_int_equal(writer_job_pending(f->w, &j->job), 1);
	assert_null(writer_store(f->w));
	assert_null(writer_batch(f->w));
	assert_int_equal(last_busy(f), 1);
	/* Only the flush asked for below may commit the batch. */
	assert_int_equal(stop_flush_timer(f), 1);
	assert_int_equal(writer_flush(f->w), -EBUSY);
	assert_int_equal(j->ndone, 0);

	run_until_job(f, j);
	expect_stored(j, NALPHA);
	assert_int_equal(last_busy(f), 0);
	/* The commit took the worker right after the store gave it back. */
	for (size_t i = nbusy; i < f->nbusy && i < MAXBUSY; i++)
		n1 += f->busy[i] == 1;
	assert_int_equal(n1, 1);
	st = writer_store(f->w);
	assert_non_null(st);
	assert_int_equal(store_batch_is_open(st), 0);
	assert_int_equal(disk_int(f, "SELECT count(*) FROM items"), NALPHA);
	assert_int_equal(disk_int(f, "SELECT count(*) FROM items WHERE story_id IS NULL"), 0);
	assert_int_equal(writer_flush(f->w), 0);
	assert_int_equal(f->nlost_calls, 0);
}

/* ---- 3. a commit that fails ---- */

/* The poller's way: the status row with the new validators joins the
 * batch, then the commit is asked for. */
static void
record_and_flush(struct tjob *j)
{
	struct fx *f = j->f;
	struct store *st = writer_batch(f->w);
	struct store_feed_status fs = {.last_poll = (int64_t)time(NULL),
				       .last_status = 200,
				       .etag = "new-etag",
				       .last_modified = "new-date",
				       .next_poll = (int64_t)time(NULL) + 600};

	f->flush_rc = 1;
	if (st == NULL || store_feed_status(st, "beta", &fs, f->err, sizeof f->err) < 0)
		return;
	f->flush_rc = writer_flush(f->w);
}

#define NBIG 120u

/* Commits alpha's items and beta's old validators; the largest story id. */
static int64_t
commit_before(struct fx *f)
{
	struct store_feed_status old = {
		.last_poll = (int64_t)time(NULL), .last_status = 200, .etag = "old-etag"};
	struct tjob *a = submit(f, "alpha", response_of(f, "alpha", alpha_items, NALPHA));
	int64_t max_story;

	run_until_job(f, a);
	expect_stored(a, NALPHA);
	assert_int_equal(writer_flush(f->w), 0);
	assert_int_equal(store_feed_status(store_of(f), "beta", &old, f->err, sizeof f->err), 0);
	assert_int_equal(disk_int(f, "SELECT count(*) FROM items"), NALPHA);
	expect_etag(f, "beta", "old-etag");
	max_story = disk_int(f, "SELECT max(id) FROM stories");
	assert_int_equal(max_story, NALPHA);
	return max_story;
}

/* The store holds what it held before the lost batch: none of its items,
 * stories or validators, in the writer's connection and on disk. */
static void
expect_as_before(struct fx *f, int64_t max_story)
{
	char check[64];

	assert_int_equal(store_batch_is_open(store_of(f)), 0);
	assert_int_equal(stats(f).items, NALPHA);
	assert_int_equal(disk_int(f, "SELECT count(*) FROM items"), NALPHA);
	assert_int_equal(disk_int(f, "SELECT count(*) FROM items WHERE feed = 'beta'"), 0);
	assert_int_equal(disk_int(f, "SELECT max(id) FROM stories"), max_story);
	expect_etag(f, "beta", "old-etag");
	disk_text(f, "PRAGMA integrity_check", check, sizeof check);
	assert_string_equal(check, "ok");
}

/* The writer recovers. Its story index went with the batch: rebuilt from
 * the store, it folds the twins of a1 and a2 into their stories, and the
 * twin of a lost item starts the next story (a kept index would fold it
 * into the lost one, whose id the store never saw). */
static void
expect_recovery(struct fx *f, int64_t max_story)
{
	struct buf title = {0}, text = {0};
	struct titem again[3];
	struct tjob *g;

	gen_item(NBIG - 1, &title, &text);
	again[0] = (struct titem){"again-a2", VOLCANO_TITLE, VOLCANO_TEXT, 100};
	again[1] = (struct titem){"again-big", buf_str(&title), buf_str(&text), 90};
	again[2] = alpha_items[0];
	again[2].guid = "again-a1";
	g = submit(f, "gamma", response_of(f, "gamma", again, 3));
	buf_free(&title);
	buf_free(&text);
	run_until_job(f, g);
	expect_stored(g, 3);
	assert_int_equal(writer_flush(f->w), 0);
	assert_int_equal(disk_int(f, "SELECT count(*) FROM items"), NALPHA + 3);
	assert_int_equal(story_of(f, "again-a2"), story_of(f, "a2"));
	assert_int_equal(story_of(f, "again-a1"), story_of(f, "a1"));
	assert_int_equal(story_of(f, "again-big"), max_story + 1);
	assert_int_equal(disk_int(f, "SELECT max(id) FROM stories"), max_story + 1);
}

static void
test_failed_commit(void **state)
{
	struct fx *f = *state;
	int64_t max_story = commit_before(f);
	struct tjob *big = job_new(f, "big", generated(f, "beta", "big", NBIG));

	/* A response far larger than the file may grow: storing it fills the
	 * batch in memory, its commit cannot be written. */
	big->then = record_and_flush;
	f->flush_rc = 1;
	limit_file_size(f, 16 << 10);
	writer_submit(f->w, &big->job, on_done);
	run_until_job(f, big);
	unlimit_file_size(f);

	expect_stored(big, NBIG);
	assert_int_equal(f->flush_rc, -EIO);
	assert_int_equal(f->nlost_calls, 1);
	assert_int_equal(f->nlost, 1);
	assert_ptr_equal(f->lost[0], &big->job);
	assert_true(f->lost_why[0] != '\0');
	expect_as_before(f, max_story);

	expect_recovery(f, max_story);
	assert_int_equal(f->nlost_calls, 1);
}

/* ---- 4. stopping with work in flight ---- */

static void
test_stop_in_flight(void **state)
{
	struct fx *f = *state;
	struct tjob *j[3];
	const size_t nitems = NALPHA + NBETA + NGAMMA;

	j[0] = submit(f, "alpha", response_of(f, "alpha", alpha_items, NALPHA));
	j[1] = submit(f, "beta", response_of(f, "beta", beta_items, NBETA));
	j[2] = submit(f, "gamma", response_of(f, "gamma", gamma_items, NGAMMA));
	assert_int_equal(writer_busy(f->w), 1);
	writer_stop(f->w);
	writer_stop(f->w);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);

	assert_int_equal(f->ndone, 3);
	for (size_t i = 0; i < 3; i++)
		assert_ptr_equal(f->order[i], j[i]);
	expect_stored(j[0], NALPHA);
	expect_stored(j[1], NBETA);
	expect_stored(j[2], NGAMMA);
	assert_int_equal(writer_busy(f->w), 0);
	assert_int_equal(store_batch_is_open(store_of(f)), 0);
	assert_int_equal(disk_int(f, "SELECT count(*) FROM items"), nitems);
	assert_int_equal(disk_int(f, "SELECT count(*) FROM stories"), nitems - 1);
	assert_int_equal(f->nlost_calls, 0);
	/* Nothing is left on the loop: the timer was closed. */
	writer_free(f->w);
	f->w = NULL;
	assert_int_equal(uv_loop_close(&f->loop), 0);
	assert_int_equal(uv_loop_init(&f->loop), 0); /* for teardown */
}

/* ---- 5. a forgotten job ---- */

static void
test_forget(void **state)
{
	struct fx *f = *state;
	struct tjob *a, *b, *g, *d;
	static const struct titem more[] = {
		{"d1", "Museum returns looted bronze statues to Nigeria",
		 "Curators handed over the artefacts at a ceremony in Benin City.", 300},
	};

	a = submit(f, "alpha", response_of(f, "alpha", alpha_items, NALPHA));
	b = submit(f, "beta", response_of(f, "beta", beta_items, NBETA));
	g = submit(f, "gamma", response_of(f, "gamma", gamma_items, NGAMMA));
	assert_int_equal(writer_job_pending(f->w, &b->job), 1);
	assert_int_equal(writer_job_pending(f->w, &g->job), 1);
	writer_forget(f->w, &b->job); /* in the middle of the queue */
	writer_forget(f->w, &g->job); /* its tail */
	assert_int_equal(writer_job_pending(f->w, &b->job), 0);
	assert_int_equal(writer_job_pending(f->w, &g->job), 0);
	assert_int_equal(writer_job_pending(f->w, &a->job), 1);
	/* Queued after the forgotten tail: it must still come. */
	d = submit(f, "beta again", response_of(f, "beta", more, 1));
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);

	assert_int_equal(f->ndone, 2);
	assert_ptr_equal(f->order[0], a);
	assert_ptr_equal(f->order[1], d);
	expect_stored(a, NALPHA);
	expect_stored(d, 1);
	assert_int_equal(b->ndone, 0);
	assert_int_equal(g->ndone, 0);
	assert_int_equal(writer_flush(f->w), 0);
	assert_int_equal(disk_int(f, "SELECT count(*) FROM items"), NALPHA + 1);
	assert_int_equal(disk_int(f, "SELECT count(*) FROM items WHERE guid IN ('b1', 'b2')"), 0);
	assert_int_equal(disk_int(f, "SELECT count(*) FROM items WHERE feed = 'gamma'"), 0);
}

/* ---- 6. the file deleted underneath ---- */

static void
test_reopened(void **state)
{
	struct fx *f = *state;
	struct tjob *a, *b;
	struct store *st;
	struct store_stats s;
	struct stat sb;

	a = submit(f, "alpha", response_of(f, "alpha", alpha_items, NALPHA));
	run_until_job(f, a);
	expect_stored(a, NALPHA);
	assert_int_equal(writer_flush(f->w), 0);
	assert_int_equal(disk_int(f, "SELECT count(*) FROM items"), NALPHA);
	assert_int_equal(f->nreopened, 0);

	rm_db(f->path);
	st = writer_store(f->w);
	assert_non_null(st);
	assert_int_equal(f->nreopened, 1);
	assert_ptr_equal(f->reopened_st, st);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(store_stats(st, &s, f->err, sizeof f->err), 0);
	assert_int_equal(s.feeds, NFEEDS);
	assert_int_equal(s.items, 0);

	/* Responses go to the new file. */
	b = submit(f, "beta", response_of(f, "beta", beta_items, NBETA));
	run_until_job(f, b);
	expect_stored(b, NBETA);
	assert_int_equal(writer_flush(f->w), 0);
	assert_ptr_equal(writer_store(f->w), st);
	assert_int_equal(f->nreopened, 1);
	assert_int_equal(disk_int(f, "SELECT count(*) FROM items"), NBETA);
	assert_int_equal(disk_int(f, "SELECT count(*) FROM items WHERE feed = 'beta'"), NBETA);
	assert_int_equal(disk_int(f, "SELECT count(*) FROM feeds"), NFEEDS);
}

/* ---- other work on the store ---- */

/* What the work function saw, on the worker. */
static int work_saw_batch = -1;
static int work_rc;

static int
count_feeds_work(struct store *st, void *data, char *err, size_t errlen)
{
	struct tjob *j = data;

	(void)j;
	work_saw_batch = store_batch_is_open(st);
	if (work_rc < 0)
		snprintf(err, errlen, "the work failed on purpose");
	return work_rc;
}

/* A work job runs in its turn, on the worker, after the batch the
 * responses before it opened was committed (so it may begin transactions of
 * its own), and its done gets its code and message. */
static void
test_work_job(void **state)
{
	struct fx *f = *state;
	struct tjob *a, *wk, *b, *bad;

	a = submit(f, "alpha", response_of(f, "alpha", alpha_items, NALPHA));
	wk = job_new(f, "work", NULL);
	wk->job.work = count_feeds_work;
	work_saw_batch = -1;
	work_rc = 0;
	writer_submit(f->w, &wk->job, on_done);
	b = submit(f, "beta", response_of(f, "beta", beta_items, NBETA));
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(f->ndone, 3);
	assert_ptr_equal(f->order[0], a);
	assert_ptr_equal(f->order[1], wk);
	assert_ptr_equal(f->order[2], b);
	assert_int_equal(wk->rc, 0);
	assert_int_equal(work_saw_batch, 0); /* alpha's batch was committed first */
	/* Alpha is on disk before beta's batch is committed. */
	assert_int_equal(disk_int(f, "SELECT count(*) FROM items WHERE feed = 'alpha'"), NALPHA);

	bad = job_new(f, "failing work", NULL);
	bad->job.work = count_feeds_work;
	work_rc = -EIO;
	writer_submit(f->w, &bad->job, on_done);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(bad->rc, -EIO);
	assert_string_equal(bad->why, "the work failed on purpose");
	/* A failed piece of other work loses no response: beta stays. */
	assert_int_equal(writer_flush(f->w), 0);
	assert_int_equal(disk_int(f, "SELECT count(*) FROM items"), NALPHA + NBETA);
}

/* writer_drop_index: refused while the worker may use the index; once
 * dropped, the next response rebuilds it from the store. */
static void
test_drop_index(void **state)
{
	struct fx *f = *state;
	struct tjob *a, *b;

	a = submit(f, "alpha", response_of(f, "alpha", alpha_items, NALPHA));
	assert_int_equal(writer_drop_index(f->w), -EBUSY);
	run_until_job(f, a);
	assert_int_equal(writer_story_count(f->w), NALPHA);
	assert_int_equal(writer_drop_index(f->w), 0);
	assert_int_equal(writer_story_count(f->w), 0);
	b = submit(f, "beta", response_of(f, "beta", beta_items, NBETA));
	run_until_job(f, b);
	expect_stored(b, NBETA);
	/* Rebuilt with alpha's stories: beta's volcano item joined a2's. */
	assert_int_equal(writer_story_count(f->w), NALPHA + NBETA - 1);
	assert_int_equal(story_of(f, "b1"), story_of(f, "a2"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopened, setup, teardown),
		cmocka_unit_test_setup_teardown(test_work_job, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_index, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
