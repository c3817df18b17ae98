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
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "filter.h"
#include "story.h"

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

/* The whole error text must be want. */
static void
parse_err(const char *text, const char *want)
{
	struct config cfg;
	char *errors = NULL;
	int rc = config_parse("feeds.conf", text, strlen(text), &cfg, &errors);

	assert_int_equal(rc, -1);
	assert_non_null(errors);
	assert_string_equal(errors, want);
	assert_null(cfg.feeds);
	assert_null(cfg.path);
	free(errors);
	config_free(&cfg);
}

static char *
tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char tmpl[PATH_MAX];

	snprintf(tmpl, sizeof tmpl, "%s/herald-config-XXXXXX", t && *t ? t : "/tmp");
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

static void
rm_rf(const char *dir)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* ---- reading ---- */

static void
test_defaults(void **state)
{
	struct config cfg;

	(void)state;
	parse_ok("# nothing but a comment\n\n", &cfg);
	assert_string_equal(cfg.path, "feeds.conf");
	assert_null(cfg.database);
	assert_null(cfg.socket);
	assert_null(cfg.socket_group);
	assert_null(cfg.user_agent);
	assert_int_equal(cfg.interval, 1800);
	assert_int_equal(cfg.min_interval, 60);
	assert_int_equal(cfg.timeout, 60);
	assert_int_equal(cfg.connect_timeout, 15);
	assert_int_equal(cfg.max_connections, 32);
	assert_int_equal(cfg.max_per_host, 4);
	assert_int_equal(cfg.max_body, 16u << 20);
	assert_int_equal(cfg.fold_window, 72 * 3600);
	/* The daemon without fold_* keys folds exactly as story.c's defaults
	 * (what the yardsticks measure). */
	assert_int_equal(cfg.fold_window, story_params_default().window);
	assert_int_equal(cfg.fold_max_items, story_params_default().max_items);
	assert_true(cfg.fold_threshold == story_params_default().threshold);
	assert_true(cfg.fold_merge_threshold == story_params_default().merge_threshold);
	assert_int_equal(cfg.fold_simhash_radius, story_params_default().simhash_radius);
	assert_string_equal(cfg.fold_language, story_params_default().language);
	assert_int_equal(cfg.nfeeds, 0);
	config_free(&cfg);
	/* An empty file is a valid, empty configuration. */
	parse_ok("", &cfg);
	assert_int_equal(cfg.nfeeds, 0);
	config_free(&cfg);
}

static void
test_full(void **state)
{
	const char *text = "\xef\xbb\xbf# herald\r\n"
			   "database = /var/lib/herald/h.db ; trailing comment\r\n"
			   "socket=/run/herald/s.sock\n"
			   "  socket_group = herald\n"
			   "user_agent = \"herald-test/1 (+https://example.org/#bot)\"  # c\n"
			   "Interval = 1h30m\n"
			   "min_interval = 2m\n"
			   "timeout = 45\n"
			   "connect_timeout = 10s\n"
			   "max_connections = 8\n"
			   "max_per_host = 2\n"
			   "max_body = 512k\n"
			   "fold_window = 2d\n"
			   "fold_max_items = 0\n"
			   "fold_threshold = .45\n"
			   "fold_merge_threshold = 1\n"
			   "fold_simhash_radius = 0\n"
			   "fold_language = french\n"
			   "\n"
			   "[feed \"bbc-world\"]   # the BBC\n"
			   "\turl      = https://feeds.bbci.co.uk/news/world/rss.xml\n"
			   "\tinterval = 15m\n"
			   "\ttags     = World, UK ,, world\n"
			   "[ feed \"Local.file_1\" ]\n"
			   "url = file:///srv/feeds/local.xml#frag\n"
			   "name = \"A \\\"quoted\\\" name; with \\\\ and # inside\"\n";
	struct config cfg;

	(void)state;
	parse_ok(text, &cfg);
	assert_string_equal(cfg.database, "/var/lib/herald/h.db");
	assert_string_equal(cfg.socket, "/run/herald/s.sock");
	assert_string_equal(cfg.socket_group, "herald");
	assert_string_equal(cfg.user_agent, "herald-test/1 (+https://example.org/#bot)");
	assert_int_equal(cfg.interval, 5400);
	assert_int_equal(cfg.min_interval, 120);
	assert_int_equal(cfg.timeout, 45);
	assert_int_equal(cfg.connect_timeout, 10);
	assert_int_equal(cfg.max_connections, 8);
	assert_int_equal(cfg.max_per_host, 2);
	assert_int_equal(cfg.max_body, 512 * 1024);
	assert_int_equal(cfg.fold_window, 2 * 86400);
	assert_int_equal(cfg.fold_max_items, 0);
	assert_true(cfg.fold_threshold == 0.45);
	assert_true(cfg.fold_merge_threshold == 1.0);
	assert_int_equal(cfg.fold_simhash_radius, 0);
	assert_string_equal(cfg.fold_language, "french");
	assert_int_equal(cfg.nfeeds, 2);
	assert_string_equal(cfg.feeds[0].id, "bbc-world");
	assert_string_equal(cfg.feeds[0].url, "https://feeds.bbci.co.uk/news/world/rss.xml");
	assert_null(cfg.feeds[0].name);
	assert_int_equal(cfg.feeds[0].interval, 900);
	assert_int_equal(cfg.feeds[0].line, 20);
	assert_int_equal(cfg.feeds[0].ntags, 2);
	assert_string_equal(cfg.feeds[0].tags[0], "world");
	assert_string_equal(cfg.feeds[0].tags[1], "uk");
	assert_string_equal(cfg.feeds[1].id, "Local.file_1");
	assert_string_equal(cfg.feeds[1].url, "file:///srv/feeds/local.xml#frag");
	assert_string_equal(cfg.feeds[1].name, "A \"quoted\" name; with \\ and # inside");
	assert_int_equal(cfg.feeds[1].interval, 0);
	assert_int_equal(cfg.feeds[1].ntags, 0);
	assert_ptr_equal(config_feed_find(&cfg, "bbc-world"), &cfg.feeds[0]);
	assert_null(config_feed_find(&cfg, "bbc"));
	assert_ptr_equal(config_feed_find_url(&cfg, "http://www.feeds.bbci.co.uk/news/world/"
						    "rss.xml?utm_source=x"),
			 &cfg.feeds[0]);
	assert_null(config_feed_find_url(&cfg, "https://example.org/"));
	config_free(&cfg);
	config_free(&cfg); /* safe twice */
}

static void
test_tags_unicode(void **state)
{
	struct config cfg;

	(void)state;
	parse_ok("[feed \"a\"]\nurl = https://a.example/\ntags = Welt, \xc3\x89\x43ONOMIE, "
		 "\xd0\x9c\xd0\xb8\xd1\x80\n",
		 &cfg);
	assert_int_equal(cfg.feeds[0].ntags, 3);
	assert_string_equal(cfg.feeds[0].tags[0], "welt");
	assert_string_equal(cfg.feeds[0].tags[1], "\xc3\xa9\x63onomie");
	assert_string_equal(cfg.feeds[0].tags[2], "\xd0\xbc\xd0\xb8\xd1\x80");
	config_free(&cfg);
}

static void
check_duration(const char *s, int rc, unsigned want)
{
	unsigned got = 12345;

	assert_int_equal(config_parse_duration(s, &got), rc);
	if (rc == 0)
		assert_int_equal(got, want);
	else
		assert_int_equal(got, 12345);
}

static void
test_durations(void **state)
{
	char out[32];

	(void)state;
	check_duration("90s", 0, 90);
	check_duration("15m", 0, 900);
	check_duration("2h", 0, 7200);
	check_duration("1d", 0, 86400);
	check_duration("1w", 0, 604800);
	check_duration("1h30m", 0, 5400);
	check_duration("1d2h3m4s", 0, 93784);
	check_duration("600", 0, 600);
	check_duration("0", 0, 0);
	check_duration("0s", 0, 0);
	check_duration("", -1, 0);
	check_duration("m", -1, 0);
	check_duration("15", 0, 15);
	check_duration("15x", -1, 0);
	check_duration("15M", -1, 0);
	check_duration("1m1h", -1, 0); /* units in decreasing order */
	check_duration("1h1h", -1, 0); /* each once */
	check_duration("1h 30m", -1, 0);
	check_duration("-5m", -1, 0);
	check_duration("1h30", -1, 0);
	check_duration("4294967295", 0, 4294967295u);
	check_duration("4294967296", -1, 0);
	check_duration("99999999d", -1, 0);
	assert_string_equal(config_format_duration(90, out, sizeof out), "1m30s");
	assert_string_equal(config_format_duration(3600, out, sizeof out), "1h");
	assert_string_equal(config_format_duration(93784, out, sizeof out), "1d2h3m4s");
	assert_string_equal(config_format_duration(0, out, sizeof out), "0s");
}

/* ---- every error ---- */

static void
test_err_keys(void **state)
{
	(void)state;
	parse_err("interval = 30m\n\n[feed \"a\"]\nurl = https://a.example/\nintreval = 5m\n",
		  "feeds.conf:5: unknown key 'intreval' (did you mean 'interval'?)");
	parse_err("tiemout = 5s\n",
		  "feeds.conf:1: unknown key 'tiemout' (did you mean 'timeout'?)");
	parse_err("max_conections = 5\n",
		  "feeds.conf:1: unknown key 'max_conections' (did you mean 'max_connections'?)");
	parse_err("frobnicate = 1\n", "feeds.conf:1: unknown key 'frobnicate'");
	/* Suggested from anywhere when nothing here is close. */
	parse_err("urll = https://a.example/\n",
		  "feeds.conf:1: unknown key 'urll' (did you mean 'url'?)");
	parse_err("url = https://a.example/\n",
		  "feeds.conf:1: 'url' is a feed key: put it in a [feed \"ID\"] section");
	parse_err("tags = a\n",
		  "feeds.conf:1: 'tags' is a feed key: put it in a [feed \"ID\"] section");
	parse_err("[feed \"a\"]\nurl = https://a.example/\ndatabase = /x.db\n",
		  "feeds.conf:3: 'database' is a global key: put it before the first [feed] "
		  "section");
	parse_err("interval = 5m\ninterval = 10m\n",
		  "feeds.conf:2: duplicate key 'interval' (already set on line 1)");
	parse_err("[feed \"a\"]\nurl = https://a.example/\nurl = https://b.example/\n",
		  "feeds.conf:3: duplicate key 'url' (already set on line 2)");
}

static void
test_err_feeds(void **state)
{
	(void)state;
	parse_err("[feed \"a\"]\nurl = https://a.example/x\n\n[feed \"a\"]\nurl = "
		  "https://b.example/\n",
		  "feeds.conf:4: duplicate feed id 'a' (first defined on line 1)");
	parse_err("[feed \"a\"]\nurl = https://www.a.example/x?utm_source=rss\n[feed \"b\"]\n"
		  "url = http://a.example/x\n",
		  "feeds.conf:4: feed 'b' has the same url as feed 'a' (line 2)");
	parse_err("[feed \"a\"]\nurl = file:///tmp/x.xml\n[feed \"b\"]\nurl = file:///tmp/x.xml\n",
		  "feeds.conf:4: feed 'b' has the same url as feed 'a' (line 2)");
	parse_err("[feed \"a\"]\nurl = ftp://a.example/x\n",
		  "feeds.conf:2: bad URL 'ftp://a.example/x': scheme must be http or https (or "
		  "file)");
	parse_err("[feed \"a\"]\nurl = not a url\n",
		  "feeds.conf:2: bad URL 'not a url': Bad scheme");
	parse_err("[feed \"a\"]\nname = A\n\n[feed \"b\"]\nurl = https://b.example/\n",
		  "feeds.conf:1: feed 'a' has no url");
	parse_err("[feed \"a b\"]\nurl = https://b.example/\n",
		  "feeds.conf:1: bad feed id 'a b' (1 to 64 letters, digits, '-', '_' or '.', "
		  "starting with a letter or digit)");
	parse_err("[feed \"\"]\n", "feeds.conf:1: bad feed id '' (1 to 64 letters, digits, '-', "
				   "'_' or '.', starting with a letter or digit)");
	parse_err("[feeds]\nurl = x\n",
		  "feeds.conf:1: unknown section 'feeds' (expected [feed \"ID\"] or [filter "
		  "\"NAME\"])");
	parse_err("[feed a]\n", "feeds.conf:1: malformed section header (expected [feed \"ID\"])");
	parse_err("[feed \"a\"\n",
		  "feeds.conf:1: malformed section header (expected [feed \"ID\"])");
	parse_err("[feed \"a\"] x\n",
		  "feeds.conf:1: malformed section header (expected [feed \"ID\"])");
	parse_err("[feed \"a\"]\nurl = https://a.example/\ntags = , ,\n",
		  "feeds.conf:3: empty tag list in 'tags'");
}

/* [filter "NAME"] sections: parsed and compiled in file order. */
static void
test_filters(void **state)
{
	struct config cfg;

	(void)state;
	parse_ok("[feed \"a\"]\nurl = https://a.example/\n\n"
		 "[filter \"no-ads\"]\nmatch = title ~ /^(AD|Sponsored):/i or link contains "
		 "\"/promo/\"\naction = drop\n\n"
		 "[filter \"mine\"]  # a comment\nmatch = author = \"Jane Doe\"\nfeeds = a\n"
		 "tags = World, Tech\naction = tag  jane\n",
		 &cfg);
	assert_int_equal(cfg.nfeeds, 1);
	assert_int_equal(cfg.nfilters, 2);
	assert_string_equal(cfg.filters[0].name, "no-ads");
	assert_int_equal(cfg.filters[0].action, FILTER_DO_DROP);
	assert_int_equal(cfg.filters[0].line, 4);
	assert_non_null(cfg.filters[0].match);
	assert_string_equal(cfg.filters[1].name, "mine");
	assert_int_equal(cfg.filters[1].action, FILTER_DO_TAG);
	assert_string_equal(cfg.filters[1].tag, "jane");
	assert_int_equal(cfg.filters[1].nfeeds, 1);
	assert_string_equal(cfg.filters[1].feeds[0], "a");
	assert_int_equal(cfg.filters[1].ntags, 2);
	assert_string_equal(cfg.filters[1].tags[0], "world");
	assert_string_equal(cfg.filters[1].tags[1], "tech");
	config_free(&cfg);
}

static void
test_err_filters(void **state)
{
	(void)state;
	parse_err("[filter \"f\"]\nmatch = title ~ /(ad/\naction = drop\n",
		  "feeds.conf:2: filter 'f': match, column 13: bad regular expression: missing "
		  "closing parenthesis");
	parse_err("[filter \"f\"]\nmatch = titel = x\naction = drop\n",
		  "feeds.conf:2: filter 'f': match, column 1: a field expected (title, summary, "
		  "content, author, category, link, feed or tag)");
	parse_err(
		"[filter \"f\"]\nmatch = title = x\naction = delete\n",
		"feeds.conf:3: filter 'f': unknown action 'delete' (drop, read, star, hide or tag "
		"NAME)");
	parse_err("[filter \"f\"]\nmatch = title = x\nurl = https://a.example/\naction = drop\n",
		  "feeds.conf:3: unknown key 'url' in filter 'f' (match, feeds, tags or action)");
	parse_err("[filter \"f\"]\naction = drop\n", "feeds.conf:1: filter 'f' has no match");
	parse_err("[filter \"f\"]\nmatch = title = x\n", "feeds.conf:1: filter 'f' has no action");
	parse_err("[filter \"f\"]\nmatch = title = x\nfeeds = nope\naction = read\n",
		  "feeds.conf:1: filter 'f' names feed 'nope', which is not defined");
	parse_err("[filter \"f\"]\nmatch = title = x\naction = read\n[filter \"f\"]\n"
		  "match = title = y\naction = star\n",
		  "feeds.conf:4: duplicate filter 'f' (first defined on line 1)");
	parse_err("[filter \"f\"]\nmatch = title = x\nmatch = title = y\naction = star\n",
		  "feeds.conf:3: duplicate key 'match' (already set on line 2)");
	parse_err("[filter f]\n", "feeds.conf:1: malformed section header (expected [filter "
				  "\"NAME\"])");
}

static void
test_err_values(void **state)
{
	(void)state;
	parse_err("interval = soon\n", "feeds.conf:1: bad duration 'soon' for 'interval' (use e.g. "
				       "90s, 15m, 2h, 1d, 1h30m)");
	parse_err("interval = 0\n", "feeds.conf:1: interval must be between 1s and 30d, got 0");
	parse_err("interval = 30s\n", "feeds.conf:1: interval 30s is below min_interval 1m");
	parse_err("min_interval = 1h\n", "feeds.conf:1: interval 30m is below min_interval 1h");
	parse_err("min_interval = 5m\n[feed \"a\"]\nurl = https://a.example/\ninterval = 2m\n",
		  "feeds.conf:4: interval 2m is below min_interval 5m");
	parse_err("timeout = 2h\n", "feeds.conf:1: timeout must be between 1s and 1h, got 2h");
	parse_err("timeout = 10s\n",
		  "feeds.conf:1: connect_timeout 15s is longer than timeout 10s");
	parse_err("max_connections = 0\n", "feeds.conf:1: max_connections must be a whole number "
					   "between 1 and 1024, got '0'");
	parse_err("max_connections = -3\n", "feeds.conf:1: max_connections must be a whole number "
					    "between 1 and 1024, got '-3'");
	parse_err("max_connections = 2\n",
		  "feeds.conf:1: max_per_host 4 is above max_connections 2");
	parse_err("max_body = 2k\n", "feeds.conf:1: max_body must be between 4k and 1G, got '2k'");
	parse_err("max_body = 2G\n", "feeds.conf:1: max_body must be between 4k and 1G, got '2G'");
	parse_err("max_body = lots\n",
		  "feeds.conf:1: bad size 'lots' for 'max_body' (use e.g. 512k, 16M, 1G)");
	parse_err("fold_threshold = 1.5\n",
		  "feeds.conf:1: fold_threshold must be a number between 0 and 1, got '1.5'");
	parse_err("fold_merge_threshold = -0.1\n", "feeds.conf:1: fold_merge_threshold must be a "
						   "number between 0 and 1, got '-0.1'");
	parse_err("fold_threshold = nan\n",
		  "feeds.conf:1: fold_threshold must be a number between 0 and 1, got 'nan'");
	parse_err("fold_simhash_radius = 40\n", "feeds.conf:1: fold_simhash_radius must be a whole "
						"number between 0 and 16, got '40'");
	parse_err("fold_max_items = 20000000\n", "feeds.conf:1: fold_max_items must be a whole "
						 "number between 0 and 10000000, got '20000000'");
	parse_err("fold_window = 1m\n",
		  "feeds.conf:1: fold_window must be between 10m and 90d, got 1m");
	parse_err("fold_language = englsh\n",
		  "feeds.conf:1: unknown fold_language 'englsh' (did you mean 'english'?)");
	parse_err("fold_language = klingon\n",
		  "feeds.conf:1: unknown fold_language 'klingon' (Snowball stemmer names such as "
		  "'english', 'french', 'german', 'russian', 'turkish')");
	parse_err("socket_group = wheel users\n",
		  "feeds.conf:1: bad group name 'wheel users' in 'socket_group'");
	parse_err("socket_group = -x\n", "feeds.conf:1: bad group name '-x' in 'socket_group'");
	parse_err("user_agent =\n", "feeds.conf:1: empty value for 'user_agent'");
	parse_err("user_agent = \"\"\n", "feeds.conf:1: empty value for 'user_agent'");
	parse_err("user_agent = # only a comment\n", "feeds.conf:1: empty value for 'user_agent'");
}

static void
test_err_syntax(void **state)
{
	struct buf b = {0};
	char *text;

	(void)state;
	parse_err("interval 30m\n", "feeds.conf:1: malformed line (expected 'key = value' or "
				    "'[feed \"ID\"]')");
	parse_err("= 30m\n",
		  "feeds.conf:1: malformed line (expected 'key = value' or '[feed \"ID\"]')");
	parse_err("user_agent = \"abc\n", "feeds.conf:1: unterminated quoted value");
	parse_err("user_agent = \"abc\" def\n", "feeds.conf:1: text after the closing quote");
	parse_err("user_agent = \"a\\qb\"\n",
		  "feeds.conf:1: bad escape '\\q' in quoted value (use \\\" or \\\\)");
	parse_err("# ok\nuser_agent = caf\xe9\n",
		  "feeds.conf:2: invalid UTF-8 (byte 0xe9 at column 17)");
	parse_err("user_agent = \xc0\xaf\n",
		  "feeds.conf:1: invalid UTF-8 (byte 0xc0 at column 14)");
	parse_err("user_agent = \xed\xa0\x80\n",
		  "feeds.conf:1: invalid UTF-8 (byte 0xed at column 14)");
	parse_err("user_agent = a\x01\n", "feeds.conf:1: control character 0x01 at column 15");
	/* An embedded NUL is a control character, not the end of the text. */
	{
		struct config cfg;
		char *errors = NULL;

		assert_int_equal(config_parse("f", "a = 1\0\n", 7, &cfg, &errors), -1);
		assert_string_equal(errors, "f:1: control character 0x00 at column 6");
		free(errors);
	}
	/* Overlong line. */
	assert_int_equal(buf_puts(&b, "# short\nuser_agent = "), 0);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(buf_putc(&b, 'x'), 0);
	assert_int_equal(buf_puts(&b, "\n"), 0);
	text = buf_detach(&b);
	parse_err(text, "feeds.conf:2: line too long (5013 bytes, at most 4096)");
	free(text);
}

static void
test_err_many_sorted(void **state)
{
	(void)state;
	/* Every mistake in one run, in line order (missing url and range
	 * checks are found at the end but reported at their lines). */
	parse_err("[feed \"a\"]\n"
		  "name = A\n"
		  "[feed \"b\"]\n"
		  "url = https://b.example/\n"
		  "interval = 10s\n"
		  "intervl = 5m\n"
		  "[feed \"b\"]\n",
		  "feeds.conf:1: feed 'a' has no url\n"
		  "feeds.conf:5: interval 10s is below min_interval 1m\n"
		  "feeds.conf:6: unknown key 'intervl' (did you mean 'interval'?)\n"
		  "feeds.conf:7: duplicate feed id 'b' (first defined on line 3)");
}

static void
test_err_limit(void **state)
{
	struct buf b = {0};
	struct config cfg;
	char *text, *errors = NULL, *last;

	(void)state;
	for (int i = 0; i < 500; i++)
		assert_int_equal(buf_puts(&b, "bogus = 1\n"), 0);
	text = buf_detach(&b);
	assert_int_equal(config_parse("f", text, strlen(text), &cfg, &errors), -1);
	last = strrchr(errors, '\n');
	assert_non_null(last);
	assert_string_equal(last + 1, "f: too many errors, stopped after 100");
	free(errors);
	free(text);
}

/* ---- lookups ---- */

/* url_canonical is wrapped (-Wl,--wrap=url_canonical in mk/config.am) so a
 * test can count the calls config.c makes: a lookup must not canonicalize
 * every feed's url. */
char *__real_url_canonical(const char *s);
char *__wrap_url_canonical(const char *s);
static size_t canonical_calls;

char *
__wrap_url_canonical(const char *s)
{
	canonical_calls++;
	return __real_url_canonical(s);
}

#define MANY 3000

/* MANY feeds; every 7th with a name, hosts shared by ten feeds each. */
static char *
many_feeds(void)
{
	struct buf b = {0};

	for (int i = 0; i < MANY; i++) {
		assert_int_equal(buf_printf(&b,
					    "[feed \"f%d\"]\nurl = https://h%d.example/feed/%d\n",
					    i, i / 10, i),
				 0);
		if (i % 7 == 0)
			assert_int_equal(buf_printf(&b, "name = Feed %d\n", i), 0);
		assert_int_equal(buf_puts(&b, "\n"), 0);
	}
	return buf_detach(&b);
}

static void
test_lookup_index(void **state)
{
	char *text = many_feeds(), id[32], url[96];
	struct config cfg, hand = {0};
	const struct config_feed *f;

	(void)state;
	parse_ok(text, &cfg);
	assert_int_equal(cfg.nfeeds, MANY);
	assert_non_null(cfg.index);
	for (int i = 0; i < MANY; i += 37) {
		snprintf(id, sizeof id, "f%d", i);
		f = config_feed_find(&cfg, id);
		assert_non_null(f);
		assert_ptr_equal(f, &cfg.feeds[i]);
		/* The same url as written, and in other spellings of it. */
		snprintf(url, sizeof url, "https://h%d.example/feed/%d", i / 10, i);
		assert_ptr_equal(config_feed_find_url(&cfg, url), f);
		snprintf(url, sizeof url, "http://www.H%d.example/feed/%d?utm_source=x#top", i / 10,
			 i);
		assert_ptr_equal(config_feed_find_url(&cfg, url), f);
	}
	assert_null(config_feed_find(&cfg, "f3000"));
	assert_null(config_feed_find(&cfg, "F1"));
	assert_null(config_feed_find(&cfg, ""));
	assert_null(config_feed_find_url(&cfg, "https://h0.example/feed/11"));
	assert_null(config_feed_find_url(&cfg, "file:///h0.example/feed/1"));
	assert_null(config_feed_find(NULL, "f1"));
	assert_null(config_feed_find_url(NULL, "https://h0.example/feed/1"));

	/* A struct config filled by hand has no index: the lookups scan. */
	hand.feeds = cfg.feeds;
	hand.nfeeds = cfg.nfeeds;
	assert_ptr_equal(config_feed_find(&hand, "f2999"), &cfg.feeds[2999]);
	assert_ptr_equal(config_feed_find_url(&hand, "https://www.h299.example/feed/2999"),
			 &cfg.feeds[2999]);
	assert_null(config_feed_find(&hand, "nope"));
	config_free(&cfg);
	assert_null(cfg.index);
	free(text);
}

/* config_feed_find_url is O(1): one url_canonical for the url asked, one
 * for the feed it finds, whatever the number of feeds; the parse makes one
 * per feed. (The scan it replaces made MANY + 1 per lookup.) */
static void
test_lookup_cost(void **state)
{
	char *text = many_feeds();
	struct config cfg;

	(void)state;
	canonical_calls = 0;
	parse_ok(text, &cfg);
	assert_int_equal(canonical_calls, MANY);
	canonical_calls = 0;
	assert_ptr_equal(config_feed_find_url(&cfg, "https://h299.example/feed/2990"),
			 &cfg.feeds[2990]);
	assert_in_range(canonical_calls, 1, 2);
	canonical_calls = 0;
	assert_null(config_feed_find_url(&cfg, "https://h299.example/feed/nope"));
	assert_in_range(canonical_calls, 1, 2);
	config_free(&cfg);
	free(text);
}

/* Duplicates among many feeds: each reported once, against the first feed
 * with that id or url, in line order, with the messages of a short file. */
static void
test_lookup_duplicates(void **state)
{
	struct buf b = {0};
	struct config cfg;
	char *text, *errors = NULL;

	(void)state;
	for (int i = 0; i < MANY; i++)
		assert_int_equal(
			buf_printf(&b, "[feed \"f%d\"]\nurl = https://h.example/%d\n", i, i), 0);
	/* lines 6001..: a repeated id, a url repeated twice, a canonical twin */
	assert_int_equal(buf_puts(&b,
				  "[feed \"f17\"]\nurl = https://h.example/new\n"
				  "[feed \"g1\"]\nurl = https://h.example/2000\n"
				  "[feed \"g2\"]\nurl = https://h.example/2000\n"
				  "[feed \"g3\"]\nurl = http://www.h.example/5?utm_medium=rss\n"),
			 0);
	text = buf_detach(&b);
	assert_int_equal(config_parse("feeds.conf", text, strlen(text), &cfg, &errors), -1);
	assert_string_equal(
		errors, "feeds.conf:6001: duplicate feed id 'f17' (first defined on line 35)\n"
			"feeds.conf:6004: feed 'g1' has the same url as feed 'f2000' (line 4002)\n"
			"feeds.conf:6006: feed 'g2' has the same url as feed 'f2000' (line 4002)\n"
			"feeds.conf:6008: feed 'g3' has the same url as feed 'f5' (line 12)");
	free(errors);
	free(text);
}

/* ---- paths ---- */

static void
test_expansion(void **state)
{
	struct config cfg;
	char *errors = NULL;
	const char *text = "database = $HERALD_T_DIR/h.db\nsocket = ${HERALD_T_DIR}x/s.sock\n";

	(void)state;
	setenv("HERALD_T_DIR", "/srv/t", 1);
	setenv("HOME", "/home/tester", 1);
	parse_ok(text, &cfg);
	assert_string_equal(cfg.database, "/srv/t/h.db");
	assert_string_equal(cfg.socket, "/srv/tx/s.sock");
	config_free(&cfg);
	parse_ok("database = ~/state/h.db\nsocket = ~\n", &cfg);
	assert_string_equal(cfg.database, "/home/tester/state/h.db");
	assert_string_equal(cfg.socket, "/home/tester");
	config_free(&cfg);
	/* $ not followed by a name is literal. */
	parse_ok("database = /a$/b$1.db\n", &cfg);
	assert_string_equal(cfg.database, "/a$/b$1.db");
	config_free(&cfg);
	/* Relative paths are relative to the configuration file. */
	assert_int_equal(config_parse("/etc/herald/feeds.conf", "database = state/h.db\n", 22, &cfg,
				      &errors),
			 0);
	assert_string_equal(cfg.database, "/etc/herald/state/h.db");
	config_free(&cfg);
	unsetenv("HERALD_T_UNSET");
	parse_err("database = $HERALD_T_UNSET/h.db\n",
		  "feeds.conf:1: variable 'HERALD_T_UNSET' is not set (in 'database')");
	parse_err("socket = ${HERALD_T_UNSET}/s\n",
		  "feeds.conf:1: variable 'HERALD_T_UNSET' is not set (in 'socket')");
	setenv("HERALD_T_EMPTY", "", 1);
	parse_err("socket = $HERALD_T_EMPTY/s\n",
		  "feeds.conf:1: variable 'HERALD_T_EMPTY' is not set (in 'socket')");
	parse_err("socket = ${HERALD_T_DIR/s\n", "feeds.conf:1: unterminated '${' in 'socket'");
	parse_err("database = ~root/h.db\n",
		  "feeds.conf:1: '~user' is not supported in 'database': write the full path");
	parse_err(
		"socket = "
		"/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		"feeds.conf:1: socket path too long (122 bytes, at most 107): '/tmp/"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'");
	unsetenv("HERALD_T_DIR");
	unsetenv("HERALD_T_EMPTY");
}

static void
check_default(char *(*fn)(void), const char *want)
{
	char *got = fn();

	if (want == NULL) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_default_paths(void **state)
{
	static const char *const vars[] = {"CONFIGURATION_DIRECTORY", "STATE_DIRECTORY",
					   "RUNTIME_DIRECTORY",       "XDG_CONFIG_HOME",
					   "XDG_STATE_HOME",          "XDG_RUNTIME_DIR"};

	(void)state;
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
	setenv("HOME", "/home/u", 1);
	check_default(config_default_path, "/home/u/.config/herald/feeds.conf");
	check_default(config_default_database, "/home/u/.local/state/herald/herald.db");
	/* No runtime dir at all: beside the database. */
	check_default(config_default_socket, "/home/u/.local/state/herald/heraldd.sock");
	setenv("XDG_CONFIG_HOME", "/x/conf", 1);
	setenv("XDG_STATE_HOME", "/x/state", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	check_default(config_default_path, "/x/conf/herald/feeds.conf");
	check_default(config_default_database, "/x/state/herald/herald.db");
	check_default(config_default_socket, "/run/user/1000/herald/heraldd.sock");
	/* A relative XDG value is ignored, as the spec says. */
	setenv("XDG_STATE_HOME", "rel", 1);
	check_default(config_default_database, "/home/u/.local/state/herald/herald.db");
	/* systemd's directories win. */
	setenv("CONFIGURATION_DIRECTORY", "/etc/herald", 1);
	setenv("STATE_DIRECTORY", "/var/lib/herald:/var/lib/other", 1);
	setenv("RUNTIME_DIRECTORY", "/run/herald", 1);
	check_default(config_default_path, "/etc/herald/feeds.conf");
	check_default(config_default_database, "/var/lib/herald/herald.db");
	check_default(config_default_socket, "/run/herald/heraldd.sock");
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
}

static void
test_load_file(void **state)
{
	char *dir = tmpdir(), path[PATH_MAX], want[PATH_MAX + 64];
	struct config cfg;
	char *errors = NULL;

	(void)state;
	snprintf(path, sizeof path, "%s/feeds.conf", dir);
	assert_int_equal(config_load(path, &cfg, &errors), -1);
	snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
	assert_string_equal(errors, want);
	free(errors);
	write_file(path, "[feed \"x\"]\nurl = https://x.example/\nbad = 1\n");
	assert_int_equal(config_load(path, &cfg, &errors), -1);
	snprintf(want, sizeof want, "%s:3: unknown key 'bad'", path);
	assert_string_equal(errors, want);
	free(errors);
	write_file(path, "[feed \"x\"]\nurl = https://x.example/\n");
	assert_int_equal(config_load(path, &cfg, &errors), 0);
	assert_string_equal(cfg.path, path);
	assert_int_equal(cfg.nfeeds, 1);
	config_free(&cfg);
	rm_rf(dir);
	free(dir);
}

/* include = FILE: its [feed] sections join the file's (a missing one has
 * none), each feed knows its file, and every error names the file it is in. */
static void
test_include(void **state)
{
	char *dir = tmpdir(), path[PATH_MAX / 4], inc[PATH_MAX / 4], want[3 * PATH_MAX];
	char text[PATH_MAX];
	struct config cfg;
	char *errors = NULL;

	(void)state;
	snprintf(path, sizeof path, "%s/feeds.conf", dir);
	snprintf(inc, sizeof inc, "%s/state/added.conf", dir);
	snprintf(text, sizeof text, "include = %s\n\n[feed \"a\"]\nurl = https://a.example/\n",
		 inc);
	write_file(path, text);
	/* Missing: no feeds of its own, no error (the first add creates it). */
	assert_int_equal(config_load(path, &cfg, &errors), 0);
	assert_string_equal(cfg.include, inc);
	assert_int_equal(cfg.nfeeds, 1);
	config_free(&cfg);
	/* config_parse (tests, fuzzing) reads no other file. */
	assert_int_equal(config_parse(path, text, strlen(text), &cfg, &errors), 0);
	assert_int_equal(cfg.nfeeds, 1);
	config_free(&cfg);

	snprintf(want, sizeof want, "%s/state", dir);
	assert_int_equal(mkdir(want, 0700), 0);
	write_file(inc, "# added by herald\n[feed \"b\"]\nurl = https://b.example/\ntags = x\n");
	assert_int_equal(config_load(path, &cfg, &errors), 0);
	assert_int_equal(cfg.nfeeds, 2);
	assert_string_equal(cfg.feeds[0].id, "a");
	assert_int_equal(cfg.feeds[0].included, 0);
	assert_string_equal(cfg.feeds[1].id, "b");
	assert_int_equal(cfg.feeds[1].included, 1);
	assert_int_equal(cfg.feeds[1].line, 2);
	assert_ptr_equal(config_feed_find(&cfg, "b"), &cfg.feeds[1]);
	assert_ptr_equal(config_feed_find_url(&cfg, "https://b.example/"), &cfg.feeds[1]);
	config_free(&cfg);

	/* Errors name their own file; duplicates across the two name both. */
	write_file(inc, "interval = 5m\n[feed \"a\"]\nurl = https://c.example/\n"
			"[feed \"d\"]\nurl = https://a.example/\nbad = 1\n");
	assert_int_equal(config_load(path, &cfg, &errors), -1);
	snprintf(want, sizeof want,
		 "%s:1: only [feed] sections may be in a file included by %s ('interval' belongs "
		 "there)\n"
		 "%s:2: duplicate feed id 'a' (first defined in %s, line 3)\n"
		 "%s:5: feed 'd' has the same url as feed 'a' (%s, line 4)\n"
		 "%s:6: unknown key 'bad'",
		 inc, path, inc, path, inc, path, inc);
	assert_string_equal(errors, want);
	free(errors);
	/* An include that cannot be read is an error, not an empty file. */
	assert_int_equal(chmod(inc, 0), 0);
	if (access(inc, R_OK) != 0) { /* root reads anything */
		assert_int_equal(config_load(path, &cfg, &errors), -1);
		snprintf(want, sizeof want, "%s: cannot open: Permission denied", inc);
		assert_string_equal(errors, want);
		free(errors);
	}
	rm_rf(dir);
	free(dir);
}

/* ---- shipped files ---- */

static void
test_shipped_feeds_conf(void **state)
{
	const char *src = getenv("HERALD_SRCDIR");
	char path[PATH_MAX];
	struct config cfg;
	char *errors = NULL;
	size_t https = 0;

	(void)state;
	if (src == NULL)
		src = HERALD_SRCDIR;
	snprintf(path, sizeof path, "%s/feeds.conf", src);
	if (config_load(path, &cfg, &errors) != 0)
		fail_msg("%s", errors);
	assert_true(cfg.nfeeds >= 8);
	for (size_t i = 0; i < cfg.nfeeds; i++) {
		assert_non_null(cfg.feeds[i].url);
		https += strncmp(cfg.feeds[i].url, "https://", 8) == 0;
		assert_true(cfg.feeds[i].ntags > 0);
	}
	assert_true(https >= cfg.nfeeds - 2);
	assert_non_null(config_feed_find(&cfg, "bbc-world"));
	config_free(&cfg);
}

static void
test_demo_conf(void **state)
{
	const char *bld = getenv("HERALD_BUILDDIR");
	char path[PATH_MAX];
	struct config cfg;
	char *errors = NULL;
	struct stat st;

	(void)state;
	if (bld == NULL)
		skip();
	snprintf(path, sizeof path, "%s/examples/demo.conf", bld);
	if (config_load(path, &cfg, &errors) != 0)
		fail_msg("%s", errors);
	assert_true(cfg.nfeeds >= 6);
	assert_non_null(cfg.database);
	assert_non_null(cfg.socket);
	assert_true(strncmp(cfg.database, bld, strlen(bld)) == 0);
	/* Every feed is a local file that exists. */
	for (size_t i = 0; i < cfg.nfeeds; i++) {
		assert_true(strncmp(cfg.feeds[i].url, "file:///", 8) == 0);
		if (stat(cfg.feeds[i].url + 7, &st) != 0)
			fail_msg("%s: %s", cfg.feeds[i].url, strerror(errno));
	}
	config_free(&cfg);
}

/* ---- ids ---- */

static void
test_id_valid(void **state)
{
	(void)state;
	assert_true(config_id_valid("a"));
	assert_true(config_id_valid("A.b_c-9"));
	assert_false(config_id_valid(""));
	assert_false(config_id_valid("-a"));
	assert_false(config_id_valid("a b"));
	assert_false(config_id_valid("a\"b"));
	assert_false(config_id_valid(
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

/* http_listen (issue 24): the forms it takes, and why the others fail. */
static void
test_http_listen(void **state)
{
	struct config_listen l;
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(config_listen_parse("127.0.0.1:8080", &l, err, sizeof err), 0);
	assert_int_equal(l.family, AF_INET);
	assert_string_equal(l.host, "127.0.0.1");
	assert_int_equal(l.port, 8080);
	assert_int_equal(config_listen_parse("localhost:1", &l, err, sizeof err), 0);
	assert_string_equal(l.host, "127.0.0.1");
	assert_int_equal(config_listen_parse("[::1]:65535", &l, err, sizeof err), 0);
	assert_int_equal(l.family, AF_INET6);
	assert_string_equal(l.host, "::1");
	assert_int_equal(l.port, 65535);
	assert_int_equal(config_listen_parse("/run/herald/api.sock", &l, err, sizeof err), 0);
	assert_int_equal(l.family, AF_UNIX);
	assert_string_equal(l.path, "/run/herald/api.sock");
	assert_int_equal(config_listen_parse("8080", &l, err, sizeof err), -1);
	assert_non_null(strstr(err, "HOST:PORT"));
	assert_int_equal(config_listen_parse("example.com:80", &l, err, sizeof err), -1);
	assert_non_null(strstr(err, "not an IPv4 address"));
	assert_int_equal(config_listen_parse("127.0.0.1:0", &l, err, sizeof err), -1);
	assert_int_equal(config_listen_parse("127.0.0.1:70000", &l, err, sizeof err), -1);
	assert_int_equal(config_listen_parse("127.0.0.1:80x", &l, err, sizeof err), -1);
	assert_int_equal(config_listen_parse("[::1:80", &l, err, sizeof err), -1);
	assert_int_equal(config_listen_parse(":80", &l, err, sizeof err), -1);
	parse_ok("http_listen = [::1]:8080\n", &cfg);
	assert_string_equal(cfg.http_listen, "[::1]:8080");
	config_free(&cfg);
	parse_err("http_listen = 8080\n",
		  "feeds.conf:1: http_listen: '8080': write HOST:PORT, [IPv6]:PORT or /path");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_tags_unicode),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_err_keys),
		cmocka_unit_test(test_err_feeds),
		cmocka_unit_test(test_err_values),
		cmocka_unit_test(test_err_syntax),
		cmocka_unit_test(test_err_many_sorted),
		cmocka_unit_test(test_err_limit),
		cmocka_unit_test(test_lookup_index),
		cmocka_unit_test(test_lookup_cost),
		cmocka_unit_test(test_lookup_duplicates),
		cmocka_unit_test(test_expansion),
		cmocka_unit_test(test_default_paths),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_shipped_feeds_conf),
		cmocka_unit_test(test_demo_conf),
		cmocka_unit_test(test_id_valid),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_err_filters),
		cmocka_unit_test(test_http_listen),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
