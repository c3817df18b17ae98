/* Tests for daemon/confedit.c: adding, removing and appending sections of
 * feeds.conf, feed ids, OPML import and export. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "confedit.h"
#include "config.h"
#include "opml.h"
#include "url.h"

/* ---- helpers ---- */

static void
parse_ok(const char *text, struct config *cfg)
{
	char *errors = NULL;
	int rc = config_parse("feeds.conf", text, strlen(text), cfg, &errors);

	if (rc != 0)
		fail_msg("unexpected errors:\n%s", errors ? errors : "(null)");
	assert_null(errors);
}

static char *
tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char tmpl[PATH_MAX];

	snprintf(tmpl, sizeof tmpl, "%s/herald-confedit-XXXXXX", t && *t ? t : "/tmp");
	assert_non_null(mkdtemp(tmpl));
	return strdup(tmpl);
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static char *
read_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	struct buf b = {0};
	char chunk[4096];
	size_t n;

	assert_non_null(fp);
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		assert_int_equal(buf_append(&b, chunk, n), 0);
	fclose(fp);
	return buf_detach(&b);
}

static void
rm_rf(const char *dir)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* ---- feed ids ---- */

static void
check_slug(const struct config *cfg, const char *url, const char *want)
{
	char *got = config_feed_id_suggest(cfg, url);

	assert_non_null(got);
	assert_string_equal(got, want);
	assert_true(config_id_valid(got));
	free(got);
}

static void
test_id_suggest(void **state)
{
	struct config cfg;

	(void)state;
	check_slug(NULL, "https://feeds.bbci.co.uk/news/world/rss.xml", "bbci-world");
	check_slug(NULL, "https://www.aljazeera.com/xml/rss/all.xml", "aljazeera");
	check_slug(NULL, "https://rss.dw.com/rdf/rss-en-world", "dw-world");
	check_slug(NULL, "https://www.aa.com.tr/en/rss/default?cat=world", "aa");
	check_slug(NULL, "https://feeds.npr.org/1004/rss.xml", "npr");
	check_slug(NULL, "https://tass.com/rss/v2.xml", "tass-v2");
	check_slug(NULL, "file:///home/u/examples/northwind-herald.xml", "northwind-herald");
	check_slug(NULL, "https://example.com", "example");
	check_slug(NULL, "http://localhost:8080/feed", "localhost");
	parse_ok("[feed \"bbci-world\"]\nurl = https://a.example/\n[feed \"bbci-world-2\"]\n"
		 "url = https://b.example/\n",
		 &cfg);
	check_slug(&cfg, "https://feeds.bbci.co.uk/news/world/rss.xml", "bbci-world-3");
	config_free(&cfg);
}

/* ---- editing ---- */

static const char original[] = "# My feeds. Edited by hand and by herald.\n"
			       "interval = 30m ; global\n"
			       "\n"
			       "# The BBC world desk\n"
			       "[feed \"bbc\"]\n"
			       "url = https://feeds.bbci.co.uk/news/world/rss.xml\n"
			       "# tags = old\n"
			       "interval = 15m\n"
			       "\n"
			       "# --- Europe ---\n"
			       "\n"
			       "[feed \"dw\"]\n"
			       "url = https://rss.dw.com/rdf/rss-en-world   # English\n";

static void
test_edit_add_remove(void **state)
{
	char *dir = tmpdir(), path[PATH_MAX], err[1024], id[80];
	char *text;
	struct config cfg;
	char *errors = NULL;
	struct stat st;

	(void)state;
	snprintf(path, sizeof path, "%s/feeds.conf", dir);
	write_file(path, original);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(confedit_add(path, NULL, "https://www.aljazeera.com/xml/rss/all.xml",
				      "Al Jazeera # English", "20m", "World, Middle East", id,
				      sizeof id, err, sizeof err),
			 0);
	assert_string_equal(id, "aljazeera");
	text = read_file(path);
	assert_string_equal(text, "# My feeds. Edited by hand and by herald.\n"
				  "interval = 30m ; global\n"
				  "\n"
				  "# The BBC world desk\n"
				  "[feed \"bbc\"]\n"
				  "url = https://feeds.bbci.co.uk/news/world/rss.xml\n"
				  "# tags = old\n"
				  "interval = 15m\n"
				  "\n"
				  "# --- Europe ---\n"
				  "\n"
				  "[feed \"dw\"]\n"
				  "url = https://rss.dw.com/rdf/rss-en-world   # English\n"
				  "\n"
				  "[feed \"aljazeera\"]\n"
				  "url = https://www.aljazeera.com/xml/rss/all.xml\n"
				  "name = \"Al Jazeera # English\"\n"
				  "interval = 20m\n"
				  "tags = World, Middle East\n");
	free(text);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(config_load(path, &cfg, &errors), 0);
	assert_string_equal(cfg.feeds[2].name, "Al Jazeera # English");
	assert_string_equal(cfg.feeds[2].tags[1], "middle east");
	config_free(&cfg);
	/* Removing what was added gives back the original, byte for byte. */
	assert_int_equal(confedit_remove(path, "aljazeera", err, sizeof err), 0);
	text = read_file(path);
	assert_string_equal(text, original);
	free(text);
	/* Removing bbc takes its comment and keys, keeps the Europe banner. */
	assert_int_equal(confedit_remove(path, "bbc", err, sizeof err), 0);
	text = read_file(path);
	assert_string_equal(text, "# My feeds. Edited by hand and by herald.\n"
				  "interval = 30m ; global\n"
				  "\n"
				  "# --- Europe ---\n"
				  "\n"
				  "[feed \"dw\"]\n"
				  "url = https://rss.dw.com/rdf/rss-en-world   # English\n");
	free(text);
	/* The banner is separated by a blank line: it stays, the blank goes. */
	assert_int_equal(confedit_remove(path, "dw", err, sizeof err), 0);
	text = read_file(path);
	assert_string_equal(text, "# My feeds. Edited by hand and by herald.\n"
				  "interval = 30m ; global\n"
				  "\n"
				  "# --- Europe ---\n");
	free(text);
	assert_int_equal(confedit_remove(path, "dw", err, sizeof err), -1);
	assert_non_null(strstr(err, "no feed 'dw' in "));
	rm_rf(dir);
	free(dir);
}

static void
test_edit_errors(void **state)
{
	char *dir = tmpdir(), path[PATH_MAX], err[1024], want[2 * PATH_MAX + 128];
	char *text;

	(void)state;
	snprintf(path, sizeof path, "%s/feeds.conf", dir);
	write_file(path, original);
	/* Each refused edit leaves the file as it was. */
	assert_int_equal(confedit_add(path, NULL, "http://feeds.bbci.co.uk/news/world/rss.xml",
				      NULL, NULL, NULL, NULL, 0, err, sizeof err),
			 -1);
	assert_string_equal(err, "'http://feeds.bbci.co.uk/news/world/rss.xml' is already in "
				 "the configuration as feed 'bbc'");
	assert_int_equal(confedit_add(path, "x", "gopher://a.example/", NULL, NULL, NULL, NULL, 0,
				      err, sizeof err),
			 -1);
	assert_string_equal(err, "bad URL 'gopher://a.example/': scheme must be http or https (or "
				 "file)");
	assert_int_equal(confedit_add(path, "bbc", "https://a.example/", NULL, NULL, NULL, NULL, 0,
				      err, sizeof err),
			 -1);
	assert_string_equal(err, "feed id 'bbc' is already taken");
	assert_int_equal(confedit_add(path, "a b", "https://a.example/", NULL, NULL, NULL, NULL, 0,
				      err, sizeof err),
			 -1);
	assert_non_null(strstr(err, "bad feed id 'a b'"));
	assert_int_equal(confedit_add(path, NULL, "https://a.example/", NULL, "soon", NULL, NULL, 0,
				      err, sizeof err),
			 -1);
	assert_string_equal(err, "bad duration 'soon' (use e.g. 90s, 15m, 2h, 1d, 1h30m)");
	/* Caught only by the full reparse: below min_interval. */
	assert_int_equal(confedit_add(path, NULL, "https://a.example/", NULL, "10s", NULL, NULL, 0,
				      err, sizeof err),
			 -1);
	snprintf(want, sizeof want, "%s:17: interval 10s is below min_interval 1m", path);
	assert_string_equal(err, want);
	text = read_file(path);
	assert_string_equal(text, original);
	free(text);
	/* A broken file is never edited. */
	write_file(path, "intreval = 5m\n");
	assert_int_equal(confedit_add(path, NULL, "https://a.example/", NULL, NULL, NULL, NULL, 0,
				      err, sizeof err),
			 -1);
	snprintf(want, sizeof want,
		 "%s is not valid; fix it first:\n%s:1: unknown key 'intreval' "
		 "(did you mean 'interval'?)",
		 path, path);
	assert_string_equal(err, want);
	text = read_file(path);
	assert_string_equal(text, "intreval = 5m\n");
	free(text);
	rm_rf(dir);
	free(dir);
}

/* A permanent redirect's new URL: only the value of the section's url line
 * changes (its key, blanks and comment stay); every refused edit leaves the
 * file as it was. */
static void
test_edit_set_url(void **state)
{
	char *dir = tmpdir(), path[PATH_MAX], err[1024], want[2 * PATH_MAX + 128], *text;
	char big[CONFIG_MAX_LINE + 64];
	struct stat st;
	struct config cfg;
	char *errors = NULL;
	ino_t ino;

	(void)state;
	snprintf(path, sizeof path, "%s/feeds.conf", dir);
	write_file(path, original);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(confedit_set_url(path, "bbc", "https://feeds.bbci.co.uk/news/world/v2.xml",
					  err, sizeof err),
			 0);
	/* dw's url line ends in a comment: it stays. */
	assert_int_equal(
		confedit_set_url(path, "dw", "https://www.dw.com/en/rss?x=1;y=2", err, sizeof err),
		0);
	text = read_file(path);
	assert_string_equal(text, "# My feeds. Edited by hand and by herald.\n"
				  "interval = 30m ; global\n"
				  "\n"
				  "# The BBC world desk\n"
				  "[feed \"bbc\"]\n"
				  "url = https://feeds.bbci.co.uk/news/world/v2.xml\n"
				  "# tags = old\n"
				  "interval = 15m\n"
				  "\n"
				  "# --- Europe ---\n"
				  "\n"
				  "[feed \"dw\"]\n"
				  "url = https://www.dw.com/en/rss?x=1;y=2   # English\n");
	free(text);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(config_load(path, &cfg, &errors), 0);
	assert_string_equal(cfg.feeds[1].url, "https://www.dw.com/en/rss?x=1;y=2");
	config_free(&cfg);

	/* The key as written, quoted values, odd blanks, Windows line ends. */
	write_file(path, "[feed \"a\"]\r\n  URL\t=  \"https://a.example/old\"  ; was\r\n"
			 "name = url = not this\r\n[feed \"b\"]\r\nurl=https://b.example/\r\n");
	assert_int_equal(confedit_set_url(path, "a", "https://a.example/new", err, sizeof err), 0);
	assert_int_equal(confedit_set_url(path, "b", "https://b.example/feed", err, sizeof err), 0);
	text = read_file(path);
	assert_string_equal(text, "[feed \"a\"]\r\n  URL\t=  https://a.example/new  ; was\r\n"
				  "name = url = not this\r\n[feed \"b\"]\r\n"
				  "url=https://b.example/feed\r\n");
	free(text);
	/* Its own url again (the same bytes): no edit, not even a rewrite (a
	 * rewrite renames a new file, with a new inode, over it). */
	assert_int_equal(stat(path, &st), 0);
	ino = st.st_ino;
	assert_int_equal(confedit_set_url(path, "b", "https://b.example/feed", err, sizeof err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_ino == ino);

	/* Refused: the file stays byte for byte. */
	write_file(path, original);
	assert_int_equal(confedit_set_url(path, "bbc", "https://RSS.DW.COM/rdf/rss-en-world", err,
					  sizeof err),
			 -1);
	assert_string_equal(err, "'https://RSS.DW.COM/rdf/rss-en-world' is already in the "
				 "configuration as feed 'dw'");
	assert_int_equal(confedit_set_url(path, "nope", "https://n.example/", err, sizeof err), -1);
	snprintf(want, sizeof want, "no feed 'nope' in %s", path);
	assert_string_equal(err, want);
	assert_int_equal(confedit_set_url(path, "bbc", "file:///etc/passwd", err, sizeof err), -1);
	assert_non_null(strstr(err, "file:// URL not allowed"));
	assert_int_equal(confedit_set_url(path, "bbc", "https://a.example/a b", err, sizeof err),
			 -1);
	assert_non_null(strstr(err, "bad URL"));
	/* Past the longest line: caught by the reparse. */
	memset(big, 'x', sizeof big);
	memcpy(big, "https://a.example/", 18);
	big[sizeof big - 1] = '\0';
	assert_int_equal(confedit_set_url(path, "bbc", big, err, sizeof err), -1);
	assert_non_null(strstr(err, "line too long"));
	text = read_file(path);
	assert_string_equal(text, original);
	free(text);
	/* A broken file is never edited. */
	write_file(path, "[feed \"a\"]\nurl = https://a.example/\nintreval = 5m\n");
	assert_int_equal(confedit_set_url(path, "a", "https://a.example/new", err, sizeof err), -1);
	assert_non_null(strstr(err, "is not valid; fix it first"));
	text = read_file(path);
	assert_string_equal(text, "[feed \"a\"]\nurl = https://a.example/\nintreval = 5m\n");
	free(text);
	/* An unwritable directory: nothing left behind (not as root, which
	 * writes anyway). */
	if (geteuid() != 0) {
		write_file(path, original);
		assert_int_equal(chmod(dir, 0500), 0);
		assert_int_equal(
			confedit_set_url(path, "bbc", "https://b.example/", err, sizeof err), -1);
		assert_non_null(strstr(err, "cannot create a temporary file"));
		assert_int_equal(chmod(dir, 0700), 0);
		text = read_file(path);
		assert_string_equal(text, original);
		free(text);
	}
	rm_rf(dir);
	free(dir);
}

/* A feed's name and tags: set after the url line, replaced in place,
 * removed with their line; other keys and bad values refused. */
static void
test_edit_set_key(void **state)
{
	char *dir = tmpdir(), path[PATH_MAX], err[1024], *text;

	(void)state;
	snprintf(path, sizeof path, "%s/feeds.conf", dir);
	write_file(path, original);
	assert_int_equal(confedit_set_key(path, "bbc", "name", "BBC World", err, sizeof err), 0);
	assert_int_equal(confedit_set_key(path, "dw", "tags", "europe, world", err, sizeof err), 0);
	text = read_file(path);
	assert_non_null(strstr(text, "url = https://feeds.bbci.co.uk/news/world/rss.xml\n"
				     "name = BBC World\n# tags = old\n"));
	/* dw's url line is the file's last: the new line follows it. */
	assert_non_null(strstr(text, "# English\ntags = europe, world\n"));
	free(text);
	assert_int_equal(confedit_set_key(path, "bbc", "name", "BBC \"World\" desk", err, sizeof err),
			 0);
	assert_int_equal(confedit_set_key(path, "dw", "tags", NULL, err, sizeof err), 0);
	text = read_file(path);
	assert_non_null(strstr(text, "name = BBC \"World\" desk\n")); /* read back as written */
	assert_null(strstr(text, "tags = europe"));
	assert_non_null(strstr(text, "# tags = old\n")); /* a comment is no key */
	free(text);
	/* Removing what is not there writes nothing. */
	assert_int_equal(confedit_set_key(path, "dw", "tags", NULL, err, sizeof err), 0);
	assert_int_equal(confedit_set_key(path, "bbc", "url", "https://x.example/", err, sizeof err),
			 -1);
	assert_non_null(strstr(err, "only a feed's name and tags"));
	assert_int_equal(confedit_set_key(path, "nope", "name", "X", err, sizeof err), -1);
	assert_non_null(strstr(err, "no feed 'nope'"));
	assert_int_equal(confedit_set_key(path, "bbc", "tags", ", ,", err, sizeof err), -1);
	assert_non_null(strstr(err, "empty tag list"));
	rm_rf(dir);
	free(dir);
}

static void
test_edit_new_file_and_symlink(void **state)
{
	char *dir = tmpdir(), path[PATH_MAX], link[PATH_MAX], err[1024];
	char *text;
	struct stat st;

	(void)state;
	snprintf(path, sizeof path, "%s/feeds.conf", dir);
	snprintf(link, sizeof link, "%s/link.conf", dir);
	assert_int_equal(confedit_add(path, "a", "https://a.example/rss", NULL, NULL, NULL, NULL, 0,
				      err, sizeof err),
			 0);
	text = read_file(path);
	assert_string_equal(text, "[feed \"a\"]\nurl = https://a.example/rss\n");
	free(text);
	/* No newline at the end of the file: one is added before the section. */
	write_file(path, "interval = 1h");
	assert_int_equal(symlink("feeds.conf", link), 0);
	assert_int_equal(confedit_add(link, NULL, "file:///srv/x.xml", NULL, NULL, "local", NULL, 0,
				      err, sizeof err),
			 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	text = read_file(path);
	assert_string_equal(text, "interval = 1h\n\n[feed \"x\"]\nurl = file:///srv/x.xml\n"
				  "tags = local\n");
	free(text);
	/* A file with Windows line ends gets Windows line ends. */
	write_file(path, "interval = 1h\r\n");
	assert_int_equal(confedit_add(path, "w", "https://w.example/", NULL, NULL, NULL, NULL, 0,
				      err, sizeof err),
			 0);
	text = read_file(path);
	assert_string_equal(text,
			    "interval = 1h\r\n\r\n[feed \"w\"]\r\nurl = https://w.example/\r\n");
	free(text);
	assert_int_equal(confedit_remove(path, "w", err, sizeof err), 0);
	text = read_file(path);
	assert_string_equal(text, "interval = 1h\r\n");
	free(text);
	rm_rf(dir);
	free(dir);
}

static void
test_edit_append_batch(void **state)
{
	char *dir = tmpdir(), path[PATH_MAX], err[1024];
	const char *tags1[] = {"News", "World, Europe"};
	struct confedit_feed list[] = {
		{.url = "https://feeds.bbci.co.uk/news/world/rss.xml"}, /* already there */
		{.url = "https://www.france24.com/en/rss",
		 .name = "FRANCE 24\n(English)",
		 .tags = tags1,
		 .ntags = 2},
		{.url = "https://www.france24.com/en/rss"}, /* twice in the batch */
		{.url = "https://feeds.bbci.co.uk/news/world/rss.xml?x=1"},
	};
	struct config cfg;
	char *errors = NULL;
	size_t added = 99;

	(void)state;
	snprintf(path, sizeof path, "%s/feeds.conf", dir);
	write_file(path, original);
	assert_int_equal(
		confedit_append(path, list, 4, CONFEDIT_SKIP_EXISTING, &added, err, sizeof err), 0);
	assert_int_equal(added, 2);
	assert_int_equal(config_load(path, &cfg, &errors), 0);
	assert_int_equal(cfg.nfeeds, 4);
	assert_string_equal(cfg.feeds[2].id, "france24");
	assert_string_equal(cfg.feeds[2].name, "FRANCE 24 (English)");
	assert_int_equal(cfg.feeds[2].ntags, 2);
	assert_string_equal(cfg.feeds[2].tags[1], "world  europe");
	assert_string_equal(cfg.feeds[3].id, "bbci-world");
	config_free(&cfg);
	/* Without the skip flag a duplicate is an error; file:// needs a flag. */
	assert_int_equal(confedit_append(path, list, 1, 0, &added, err, sizeof err), -1);
	assert_int_equal(added, 0);
	list[0].url = "file:///etc/passwd";
	assert_int_equal(confedit_append(path, list, 1, 0, &added, err, sizeof err), -1);
	assert_string_equal(err, "file:// URL not allowed here: 'file:///etc/passwd'");
	rm_rf(dir);
	free(dir);
}

/* Ids suggested in a batch skip those of the file and of the batch. */
static void
test_edit_append_ids(void **state)
{
	char *dir = tmpdir(), path[PATH_MAX], err[1024];
	struct confedit_feed list[] = {
		{.url = "https://a.example.org/1"},
		{.url = "https://b.example.org/2"},
		{.url = "https://c.example.org/3", .id = "example-5"},
		{.url = "https://d.example.org/4"},
		{.url = "https://e.example.org/5"},
		{.url = "https://f.example.org/6"},
	};
	static const char *const want[] = {"example",   "example-2", "example-5",
					   "example-4", "example-6", "example-7"};
	struct config cfg;
	char *errors = NULL;
	size_t added;

	(void)state;
	snprintf(path, sizeof path, "%s/feeds.conf", dir);
	write_file(path, "[feed \"example-3\"]\nurl = https://x.example.org/\n");
	assert_int_equal(confedit_append(path, list, 6, 0, &added, err, sizeof err), 0);
	assert_int_equal(added, 6);
	assert_int_equal(config_load(path, &cfg, &errors), 0);
	assert_int_equal(cfg.nfeeds, 7);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(cfg.feeds[i + 1].id, want[i]);
	config_free(&cfg);
	rm_rf(dir);
	free(dir);
}

/* Removing any one feed of the shipped sample leaves every other feed and
 * setting as it was; adding it back then removing it again is a no-op. */
static void
test_edit_every_feed(void **state)
{
	const char *src = getenv("HERALD_SRCDIR");
	char *dir = tmpdir(), path[PATH_MAX], sample[PATH_MAX], err[1024];
	struct config orig, cfg;
	char *errors = NULL, *text, *before, *after;

	(void)state;
	snprintf(sample, sizeof sample, "%s/feeds.conf", src ? src : HERALD_SRCDIR);
	snprintf(path, sizeof path, "%s/feeds.conf", dir);
	assert_int_equal(config_load(sample, &orig, &errors), 0);
	text = read_file(sample);
	for (size_t i = 0; i < orig.nfeeds; i++) {
		const struct config_feed *f = &orig.feeds[i];

		write_file(path, text);
		assert_int_equal(confedit_remove(path, f->id, err, sizeof err), 0);
		assert_int_equal(config_load(path, &cfg, &errors), 0);
		assert_int_equal(cfg.nfeeds, orig.nfeeds - 1);
		assert_null(config_feed_find(&cfg, f->id));
		for (size_t j = 0; j < orig.nfeeds; j++)
			if (j != i)
				assert_string_equal(config_feed_find(&cfg, orig.feeds[j].id)->url,
						    orig.feeds[j].url);
		assert_int_equal(cfg.interval, orig.interval);
		assert_int_equal(cfg.min_interval, orig.min_interval);
		config_free(&cfg);
		before = read_file(path);
		assert_int_equal(confedit_add(path, f->id, f->url, f->name, NULL, NULL, NULL, 0,
					      err, sizeof err),
				 0);
		assert_int_equal(confedit_remove(path, f->id, err, sizeof err), 0);
		after = read_file(path);
		assert_string_equal(after, before);
		free(before);
		free(after);
	}
	free(text);
	config_free(&orig);
	rm_rf(dir);
	free(dir);
}

/* ---- OPML ---- */

static const char import_doc[] =
	"<?xml version=\"1.0\"?>\n<opml version=\"2.0\"><body>\n"
	"<outline text=\"World\">\n"
	"  <outline text=\"BBC\" xmlUrl=\"https://feeds.bbci.co.uk/news/world/rss.xml\"/>\n"
	"  <outline text=\"DW &amp; friends\" xmlUrl=\"https://rss.dw.com/rdf/rss-en-world\"\n"
	"           category=\"Europe\"/>\n"
	"</outline>\n"
	"<outline text=\"Local\" xmlUrl=\"file:///etc/passwd\"/>\n"
	"<outline text=\"Bad\" xmlUrl=\"javascript:alert(1)\"/>\n"
	"<outline text=\"DW again\" "
	"xmlUrl=\"http://www.rss.dw.com/rdf/rss-en-world?utm_source=x\"/>\n"
	"<outline text=\"Bad again\" xmlUrl=\"javascript:alert(1)\"/>\n"
	"<outline text=\"Added by hand\" xmlUrl=\"https://hand.example/rss\"/>\n"
	"<outline text=\"NPR\" xmlUrl=\"https://feeds.npr.org/1004/rss.xml\"/>\n"
	"</body></opml>\n";

static void
check_entry(const struct confedit_import_entry *en, const char *url, enum confedit_status status,
	    const char *id)
{
	assert_string_equal(en->url, url);
	assert_int_equal(en->status, status);
	if (id == NULL)
		assert_null(en->id);
	else
		assert_string_equal(en->id, id);
	if (status != CONFEDIT_INVALID) {
		assert_null(en->error);
	} else {
		char why[512];

		/* url_check's own words, whatever they are */
		assert_int_equal(url_check(url, 0, why, sizeof why), -1);
		assert_string_equal(en->error, why);
	}
}

/* One outcome per entry, in document order, as the daemon reports them:
 * configured feeds (in the configuration in use, or only in the file as it
 * is now) and repeats exist, file:// and other schemes are refused, the
 * rest is written in one edit. */
static void
test_import_outcomes(void **state)
{
	char *dir = tmpdir(), path[PATH_MAX], err[1024], *text;
	struct confedit_import imp;
	struct config cfg, now;
	char *errors = NULL;
	struct stat before, after;

	(void)state;
	snprintf(path, sizeof path, "%s/feeds.conf", dir);
	/* The configuration in use, then the file edited by hand since. */
	parse_ok("[feed \"bbc\"]\nurl = http://feeds.bbci.co.uk/news/world/rss.xml\n", &cfg);
	write_file(path, "[feed \"bbc\"]\nurl = http://feeds.bbci.co.uk/news/world/rss.xml\n\n"
			 "[feed \"hand\"]\nurl = https://hand.example/rss\n");
	assert_int_equal(confedit_import_opml(path, &cfg, "subs.opml", import_doc,
					      strlen(import_doc), &imp, err, sizeof err),
			 0);
	assert_int_equal(imp.n, 8);
	check_entry(&imp.entries[0], "https://feeds.bbci.co.uk/news/world/rss.xml", CONFEDIT_EXISTS,
		    "bbc");
	check_entry(&imp.entries[1], "https://rss.dw.com/rdf/rss-en-world", CONFEDIT_ADDED,
		    "dw-world");
	check_entry(&imp.entries[2], "file:///etc/passwd", CONFEDIT_INVALID, NULL);
	check_entry(&imp.entries[3], "javascript:alert(1)", CONFEDIT_INVALID, NULL);
	check_entry(&imp.entries[4], "http://www.rss.dw.com/rdf/rss-en-world?utm_source=x",
		    CONFEDIT_EXISTS, NULL);
	check_entry(&imp.entries[5], "javascript:alert(1)", CONFEDIT_INVALID, NULL);
	check_entry(&imp.entries[6], "https://hand.example/rss", CONFEDIT_EXISTS, "hand");
	check_entry(&imp.entries[7], "https://feeds.npr.org/1004/rss.xml", CONFEDIT_ADDED, "npr");
	assert_int_equal(imp.added, 2);
	assert_int_equal(imp.existing, 3);
	assert_int_equal(imp.invalid, 3);
	confedit_import_free(&imp);
	assert_null(imp.entries);
	assert_int_equal(imp.n, 0);
	text = read_file(path);
	assert_string_equal(text,
			    "[feed \"bbc\"]\nurl = http://feeds.bbci.co.uk/news/world/rss.xml\n\n"
			    "[feed \"hand\"]\nurl = https://hand.example/rss\n"
			    "\n[feed \"dw-world\"]\nurl = https://rss.dw.com/rdf/rss-en-world\n"
			    "name = DW & friends\ntags = world, europe\n"
			    "\n[feed \"npr\"]\nurl = https://feeds.npr.org/1004/rss.xml\n"
			    "name = NPR\n");
	free(text);
	assert_int_equal(config_load(path, &now, &errors), 0);
	/* Again, against the configuration now: nothing new, the file is not
	 * rewritten (a rewrite is a rename: a new inode). */
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(confedit_import_opml(path, &now, "subs.opml", import_doc,
					      strlen(import_doc), &imp, err, sizeof err),
			 0);
	assert_int_equal(imp.added, 0);
	assert_int_equal(imp.existing, 5);
	assert_int_equal(imp.invalid, 3);
	check_entry(&imp.entries[1], "https://rss.dw.com/rdf/rss-en-world", CONFEDIT_EXISTS,
		    "dw-world");
	check_entry(&imp.entries[4], "http://www.rss.dw.com/rdf/rss-en-world?utm_source=x",
		    CONFEDIT_EXISTS, "dw-world");
	confedit_import_free(&imp);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	config_free(&now);
	config_free(&cfg);
	rm_rf(dir);
	free(dir);
}

/* Without a configuration in use the file alone says what exists; a
 * malformed document or an invalid file changes nothing. */
static void
test_import_errors(void **state)
{
	static const char one[] = "<opml version=\"1.0\"><body>"
				  "<outline text=\"A\" xmlUrl=\"https://a.example/rss\"/>"
				  "<outline text=\"B\" xmlUrl=\"https://b.example/rss\"/>"
				  "</body></opml>";
	char *dir = tmpdir(), path[PATH_MAX], err[1024], want[PATH_MAX + 256], *text;
	struct confedit_import imp;
	struct config cfg;

	(void)state;
	snprintf(path, sizeof path, "%s/feeds.conf", dir);
	write_file(path, "[feed \"a\"]\nurl = https://a.example/rss\n");
	assert_int_equal(confedit_import_opml(path, NULL, "one.opml", one, strlen(one), &imp, err,
					      sizeof err),
			 0);
	assert_int_equal(imp.n, 2);
	check_entry(&imp.entries[0], "https://a.example/rss", CONFEDIT_EXISTS, "a");
	check_entry(&imp.entries[1], "https://b.example/rss", CONFEDIT_ADDED, "b");
	confedit_import_free(&imp);

	/* A malformed document: -1, and says where. */
	memset(&imp, 0xff, sizeof imp);
	assert_int_equal(confedit_import_opml(path, NULL, "bad.opml", "<opml>\n<body>", 13, &imp,
					      err, sizeof err),
			 -1);
	assert_string_equal(err, "bad.opml:2: no element found");
	assert_null(imp.entries);
	assert_int_equal(imp.n, 0);

	/* An invalid file: -2 once there is something to write... */
	write_file(path, "intreval = 5m\n");
	parse_ok("[feed \"a\"]\nurl = https://a.example/rss\n", &cfg);
	assert_int_equal(confedit_import_opml(path, &cfg, "one.opml", one, strlen(one), &imp, err,
					      sizeof err),
			 -2);
	snprintf(want, sizeof want, "%s is not valid; fix it first:\n", path);
	assert_memory_equal(err, want, strlen(want));
	assert_null(imp.entries);
	text = read_file(path);
	assert_string_equal(text, "intreval = 5m\n");
	free(text);
	/* ...but not even read when every entry exists already. */
	config_free(&cfg);
	parse_ok("[feed \"a\"]\nurl = https://a.example/rss\n[feed \"b\"]\nurl = "
		 "https://b.example/rss\n",
		 &cfg);
	assert_int_equal(confedit_import_opml(path, &cfg, "one.opml", one, strlen(one), &imp, err,
					      sizeof err),
			 0);
	assert_int_equal(imp.existing, 2);
	confedit_import_free(&imp);
	config_free(&cfg);
	rm_rf(dir);
	free(dir);
}

/* The export is the document the daemon has sent so far: opml_write with
 * the title "herald subscriptions", each feed titled by its name or id. */
static void
test_export(void **state)
{
	struct opml_feed v[3];
	struct config cfg;
	char *got, *want;

	(void)state;
	parse_ok("[feed \"bbc\"]\nurl = https://feeds.bbci.co.uk/news/world/rss.xml\n"
		 "name = BBC World\ntags = news, uk\n"
		 "[feed \"dw\"]\nurl = https://rss.dw.com/rdf/rss-en-world\n"
		 "[feed \"npr\"]\nurl = https://feeds.npr.org/1004/rss.xml\ntags = news\n",
		 &cfg);
	for (size_t i = 0; i < cfg.nfeeds; i++)
		v[i] = (struct opml_feed){.url = cfg.feeds[i].url,
					  .title = cfg.feeds[i].name ? cfg.feeds[i].name
								     : cfg.feeds[i].id,
					  .tags = cfg.feeds[i].tags,
					  .ntags = cfg.feeds[i].ntags};
	want = opml_write("herald subscriptions", v, cfg.nfeeds, 1700000000);
	got = confedit_export_opml(&cfg, 1700000000);
	assert_non_null(want);
	assert_non_null(got);
	assert_string_equal(got, want);
	assert_non_null(strstr(got, "<title>herald subscriptions</title>"));
	assert_non_null(strstr(got, "<dateCreated>Tue, 14 Nov 2023 22:13:20 GMT</dateCreated>"));
	free(got);
	free(want);
	got = confedit_export_opml(&cfg, 0);
	assert_null(strstr(got, "dateCreated"));
	free(got);
	config_free(&cfg);
}

/* A password in a feed's URL stays in feeds.conf: the export masks it,
 * whatever its length. */
static void
test_export_redacts(void **state)
{
	struct config cfg;
	char conf[512], pw[64], *got;

	(void)state;
	for (size_t n = 1; n < sizeof pw; n += 7) {
		for (size_t i = 0; i < n; i++)
			pw[i] = (char)('a' + (i * 7 + n) % 26);
		pw[0] = 'Z';
		pw[n] = '\0';
		snprintf(conf, sizeof conf,
			 "[feed \"p\"]\nurl = https://reader:%s@private.example/feed.xml\n"
			 "[feed \"t\"]\nurl = https://%s@tokens.example/rss\n"
			 "[feed \"o\"]\nurl = https://open.example/rss\n",
			 pw, pw);
		parse_ok(conf, &cfg);
		got = confedit_export_opml(&cfg, 0);
		assert_non_null(got);
		assert_null(strstr(got, pw));
		assert_non_null(strstr(got, "https://reader:***@private.example/feed.xml"));
		assert_non_null(strstr(got, "https://***@tokens.example/rss"));
		assert_non_null(strstr(got, "https://open.example/rss"));
		free(got);
		config_free(&cfg);
	}
}

/* import then export then import again gives the same feeds. */
static void
test_import_export_round_trip(void **state)
{
	char *dir = tmpdir(), path[PATH_MAX], path2[PATH_MAX], err[1024];
	struct confedit_import imp;
	struct config cfg, cfg2;
	char *errors = NULL, *xml;

	(void)state;
	snprintf(path, sizeof path, "%s/feeds.conf", dir);
	snprintf(path2, sizeof path2, "%s/again.conf", dir);
	write_file(path, "[feed \"bbc\"]\nurl = https://feeds.bbci.co.uk/news/world/rss.xml\n");
	assert_int_equal(confedit_import_opml(path, NULL, "subs.opml", import_doc,
					      strlen(import_doc), &imp, err, sizeof err),
			 0);
	confedit_import_free(&imp);
	assert_int_equal(config_load(path, &cfg, &errors), 0);
	assert_int_equal(cfg.nfeeds, 4); /* bbc, then dw-world, hand, npr */
	assert_string_equal(cfg.feeds[1].id, "dw-world");
	assert_string_equal(cfg.feeds[1].name, "DW & friends");
	assert_int_equal(cfg.feeds[1].ntags, 2);
	assert_string_equal(cfg.feeds[1].tags[0], "world");
	assert_string_equal(cfg.feeds[1].tags[1], "europe");
	xml = confedit_export_opml(&cfg, 0);
	assert_non_null(xml);
	assert_int_equal(confedit_import_opml(path2, NULL, "export.opml", xml, strlen(xml), &imp,
					      err, sizeof err),
			 0);
	assert_int_equal(imp.added, cfg.nfeeds);
	confedit_import_free(&imp);
	assert_int_equal(config_load(path2, &cfg2, &errors), 0);
	assert_int_equal(cfg2.nfeeds, cfg.nfeeds);
	for (size_t i = 0; i < cfg.nfeeds; i++) {
		const struct config_feed *a = &cfg.feeds[i];
		const struct config_feed *b = config_feed_find_url(&cfg2, a->url);

		assert_non_null(b);
		assert_string_equal(b->name, a->name ? a->name : a->id);
		assert_int_equal(b->ntags, a->ntags);
		for (size_t t = 0; t < a->ntags; t++)
			assert_string_equal(b->tags[t], a->tags[t]);
	}
	free(xml);
	config_free(&cfg);
	config_free(&cfg2);
	rm_rf(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_suggest),
		cmocka_unit_test(test_edit_add_remove),
		cmocka_unit_test(test_edit_errors),
		cmocka_unit_test(test_edit_set_url), cmocka_unit_test(test_edit_set_key),
		cmocka_unit_test(test_edit_new_file_and_symlink),
		cmocka_unit_test(test_edit_append_batch),
		cmocka_unit_test(test_edit_append_ids),
		cmocka_unit_test(test_edit_every_feed),
		cmocka_unit_test(test_import_outcomes),
		cmocka_unit_test(test_import_errors),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_export_redacts),
		cmocka_unit_test(test_import_export_round_trip),
	};

	return cmocka_run_group_tests_name("confedit", tests, NULL, NULL);
}
