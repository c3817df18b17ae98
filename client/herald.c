/* herald: the command-line client of heraldd (man herald, docs/protocol.md).
 *
 * Checks the command line, sends one request over the daemon's socket and
 * prints the answer for people (aligned, relative times, colour on a
 * terminal) or, with --json, for scripts. Exit codes: 0 ok, 1 error from
 * the daemon, 2 usage, 3 daemon not running. */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "herald/protocol.h"
#include "render.h"
#include "util.h"
#include "wire.h"

enum { EXIT_OK = 0, EXIT_DAEMON = 1, EXIT_USAGE = 2, EXIT_DOWN = 3 };

enum argkind { A_FLAG, A_UINT, A_LIMIT, A_TIME, A_STR, A_DURATION, A_ID };
enum poskind { P_NONE, P_ID, P_STR, P_URL, P_FILE, P_QUERY };

struct copt {
	const char *name;
	enum argkind kind;
	const char *help;
};

struct ccmd {
	const char *name;
	const char *args; /* usage after the name */
	const char *summary;
	const struct copt *opts;
	int minpos, maxpos; /* maxpos -1: any number */
	enum poskind pos;
	enum view view;
	enum shape shape;
	const char *details;
};

#define FILTERS                                                                                    \
	{"all", A_FLAG, "include read ones"}, {"starred", A_FLAG, "only starred ones"},            \
		{"feed", A_STR, "only from feed F (its feeds.conf id)"},                           \
		{"tag", A_STR, "only from feeds tagged T"},                                        \
		{"since", A_TIME, "only seen since T (2h, 3d, 2026-11-20, @EPOCH)"},               \
		{"limit", A_LIMIT, "at most N (default 50)"},                                      \
	{                                                                                          \
		"offset", A_UINT, "skip the first N"                                               \
	}

static const struct copt o_stories[] = {
	FILTERS, {"undigested", A_FLAG, "only stories not yet marked digested"}, {NULL, 0, NULL}};
static const struct copt o_items[] = {
	FILTERS, {"story", A_ID, "only the items of story ID"}, {NULL, 0, NULL}};
static const struct copt o_item[] = {{"item", A_FLAG, "the IDs are items, not stories"},
				     {NULL, 0, NULL}};
static const struct copt o_read[] = {
	{"item", A_FLAG, "the IDs are items, not stories"},
	{"all", A_FLAG, "everything (no IDs), optionally narrowed by --feed and --before"},
	{"feed", A_STR, "with --all: only feed F"},
	{"before", A_TIME, "with --all: only items published before T"},
	{NULL, 0, NULL}};
static const struct copt o_search[] = {{"limit", A_LIMIT, "at most N results (default 50)"},
				       {"offset", A_UINT, "skip the first N"},
				       {NULL, 0, NULL}};
static const struct copt o_add[] = {
	{"id", A_STR, "the feeds.conf section id (default: derived from the host)"},
	{"name", A_STR, "display name"},
	{"interval", A_DURATION, "poll interval (90s, 15m, 2h, 1d)"},
	{"tags", A_STR, "comma-separated tags"},
	{"pick", A_UINT, "URL is a page linking several feeds: add the Nth it lists"},
	{NULL, 0, NULL}};
static const struct copt o_remove[] = {{"purge-starred", A_FLAG, "delete its starred items too"},
				       {NULL, 0, NULL}};
static const struct copt o_purge[] = {{"dry-run", A_FLAG, "change nothing: say what would go"},
				      {NULL, 0, NULL}};
static const struct copt o_none[] = {{NULL, 0, NULL}};

static const struct ccmd commands[] = {
	{HERALD_CMD_STORIES, "[OPTIONS]", "list folded stories, newest first (unread by default)",
	 o_stories, 0, 0, P_NONE, VIEW_STORIES, SHAPE_ARRAY,
	 "A story is one event as told by every outlet that carried it. Each line shows\n"
	 "the story id, a star, its state (new, updated: a new item joined a story you\n"
	 "had read, read), when it was last seen, its title and its outlets.\n"},
	{HERALD_CMD_ITEMS, "[OPTIONS]", "list single items, newest first (unread by default)",
	 o_items, 0, 0, P_NONE, VIEW_ITEMS, SHAPE_ARRAY, NULL},
	{HERALD_CMD_SHOW, "[--item] ID", "show one story (every outlet, its text and link) or item",
	 o_item, 1, 1, P_ID, VIEW_SHOW, SHAPE_OBJECT, NULL},
	{HERALD_CMD_READ, "[--item] ID... | --all [--feed F] [--before T]", "mark as read", o_read,
	 0, -1, P_ID, VIEW_ACTION, SHAPE_ACTION,
	 "On a story, marks all its items. With --all, marks everything (of feed F,\n"
	 "published before T) and takes no IDs.\n"},
	{HERALD_CMD_UNREAD, "[--item] ID...", "mark as unread", o_item, 1, -1, P_ID, VIEW_ACTION,
	 SHAPE_ACTION, NULL},
	{HERALD_CMD_STAR, "[--item] ID...", "star (a story: all its items too)", o_item, 1, -1,
	 P_ID, VIEW_ACTION, SHAPE_ACTION, NULL},
	{HERALD_CMD_UNSTAR, "[--item] ID...", "remove the star", o_item, 1, -1, P_ID, VIEW_ACTION,
	 SHAPE_ACTION, NULL},
	{HERALD_CMD_SEARCH, "[--limit N] QUERY...", "full-text search, best matches first",
	 o_search, 1, -1, P_QUERY, VIEW_SEARCH, SHAPE_ARRAY,
	 "The words form one SQLite FTS5 query: words, \"exact phrases\", OR, NOT,\n"
	 "prefix*. Matches are marked in the snippets.\n"},
	{HERALD_CMD_FEEDS, "[FEED]",
	 "list feeds (or FEED): status, last and next poll, unread and item counts", o_none, 0, 1,
	 P_STR, VIEW_FEEDS, SHAPE_ARRAY, NULL},
	{HERALD_CMD_ADD, "URL [--id K] [--name N] [--interval D] [--tags T,U] [--pick N]",
	 "add a feed to feeds.conf and poll it", o_add, 1, 1, P_URL, VIEW_FEEDS, SHAPE_OBJECT,
	 "feeds.conf is rewritten atomically, keeping your comments and order.\n"
	 "The daemon fetches URL first: a feed (RSS, Atom, JSON Feed) is added as it is;\n"
	 "a web page's linked feed is added instead (with several, --pick N chooses);\n"
	 "anything else is refused with the reason.\n"},
	{HERALD_CMD_REMOVE, "FEED",
	 "remove a feed from feeds.conf and delete its items (starred ones stay)", o_remove, 1, 1,
	 P_STR, VIEW_ACTION, SHAPE_ACTION, NULL},
	{HERALD_CMD_IMPORT, "FILE.opml", "add the feeds of an OPML file (- for standard input)",
	 o_none, 1, 1, P_FILE, VIEW_IMPORT, SHAPE_ARRAY,
	 "The client reads the file and sends its content, so the daemon never needs\n"
	 "access to your files.\n"},
	{HERALD_CMD_EXPORT, "", "print every feed as OPML 2.0", o_none, 0, 0, P_NONE, VIEW_EXPORT,
	 SHAPE_OBJECT, NULL},
	{HERALD_CMD_REFRESH, "[FEED]", "poll every feed (or FEED) now", o_none, 0, 1, P_STR,
	 VIEW_ACTION, SHAPE_ACTION, NULL},
	{HERALD_CMD_RELOAD, "", "re-read feeds.conf", o_none, 0, 0, P_NONE, VIEW_ACTION,
	 SHAPE_ACTION, NULL},
	{HERALD_CMD_STATS, "", "counts, database size, uptime", o_none, 0, 0, P_NONE, VIEW_KV,
	 SHAPE_OBJECT, NULL},
	{HERALD_CMD_VERSION, "", "print the client's and the daemon's versions", o_none, 0, 0,
	 P_NONE, VIEW_VERSION, SHAPE_OBJECT, NULL},
	{HERALD_CMD_DIGESTED, "ID...", "mark stories as sent in a digest (herald-digest)", o_none,
	 1, -1, P_ID, VIEW_ACTION, SHAPE_ACTION, NULL},
	{HERALD_CMD_PURGE, "[--dry-run]", "remove old items now, as the daemon does once a day",
	 o_purge, 0, 0, P_NONE, VIEW_PURGE, SHAPE_OBJECT,
	 "Read items older than keep_read and unread ones older than keep_unread go\n"
	 "(feeds.conf; 60 and 180 days by default), with the stories left empty.\n"
	 "Starred items stay, and so do those the feed still lists. Prints what went\n"
	 "(or, with --dry-run, what would) and the space freed.\n"},
};

struct cli {
	const char *socket;
	int json;
	int color; /* -1 auto, 0 never, 1 always */
	const struct ccmd *cmd;
	char *wargv[HERALD_MAX_ARGS + 1];
	int wargc;
	char *payload;
	size_t payload_len;
	struct sb store; /* owns converted option values */
	char *owned[2 * HERALD_MAX_ARGS + 2];
	int nowned;
};

static void
usage_main(FILE *fp)
{
	fprintf(fp, "usage: herald [--socket PATH] [--json] [--color=WHEN] COMMAND [ARGS]\n\n"
		    "Commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(fp, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(fp, "\nOptions (before or after the command):\n"
		    "  --socket PATH   the daemon's socket (default: $HERALD_SOCKET, then\n"
		    "                  $XDG_RUNTIME_DIR/herald/heraldd.sock, "
		    "/run/herald/heraldd.sock)\n"
		    "  --json          print JSON for scripts\n"
		    "  --color=WHEN    auto (default), always or never; NO_COLOR turns it off\n"
		    "  -h, --help      this help; 'herald COMMAND --help' for one command\n"
		    "  --version       print the client's version\n\n"
		    "Exit status: 0 ok, 1 error from the daemon, 2 usage, 3 daemon not running.\n");
}

static void
usage_cmd(const struct ccmd *c, FILE *fp)
{
	fprintf(fp, "usage: herald %s %s\n\n%s.\n", c->name, c->args, c->summary);
	if (c->details)
		fprintf(fp, "\n%s", c->details);
	if (c->opts[0].name) {
		fprintf(fp, "\nOptions:\n");
		for (const struct copt *o = c->opts; o->name; o++) {
			char left[40];

			snprintf(left, sizeof left, "--%s%s", o->name,
				 o->kind == A_FLAG                         ? ""
				 : o->kind == A_TIME                       ? " T"
				 : o->kind == A_UINT || o->kind == A_LIMIT ? " N"
				 : o->kind == A_ID                         ? " ID"
				 : o->kind == A_DURATION                   ? " D"
									   : " VALUE");
			fprintf(fp, "  %-16s %s\n", left, o->help);
		}
	}
	fprintf(fp, "  %-16s %s\n", "--json", "print JSON");
}

static int usage_error(const struct ccmd *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
usage_error(const struct ccmd *c, const char *fmt, ...)
{
	va_list ap;

	fputs("herald: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (c)
		fprintf(stderr, "\nusage: herald %s %s\nTry 'herald %s --help'.\n", c->name,
			c->args, c->name);
	else
		fputs("\nTry 'herald --help'.\n", stderr);
	return EXIT_USAGE;
}

/* "90s", "15m", "1h30m", "2d", "1w": seconds, or -1. */
static long long
parse_duration(const char *s)
{
	long long total = 0;

	if (*s == '\0')
		return -1;
	while (*s) {
		char *end;
		long long v;

		if (*s < '0' || *s > '9')
			return -1;
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno || v > 100000000)
			return -1;
		switch (*end) {
		case 's': v *= 1; break;
		case 'm': v *= 60; break;
		case 'h': v *= 3600; break;
		case 'd': v *= 86400; break;
		case 'w': v *= 7 * 86400; break;
		case '\0': break; /* bare seconds */
		default: return -1;
		}
		total += v;
		s = *end ? end + 1 : end;
	}
	return total;
}

/* --since/--before: "2h" (ago), "today", "yesterday", "YYYY-MM-DD[THH:MM[:SS]]"
 * (local time), "@EPOCH" or a bare epoch. Unix seconds, or -1. */
static long long
parse_time(const char *s, time_t now)
{
	struct tm tm;
	const char *end;
	long long d;

	if (*s == '@' || (strlen(s) >= 9 && strspn(s, "0123456789") == strlen(s)))
		return strtoll(s + (*s == '@'), NULL, 10);
	if (strcmp(s, "today") == 0 || strcmp(s, "yesterday") == 0) {
		localtime_r(&now, &tm);
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_isdst = -1;
		return (long long)mktime(&tm) - (s[0] == 'y' ? 86400 : 0);
	}
	if ((d = parse_duration(s)) >= 0 && strpbrk(s, "smhdw"))
		return (long long)now - d;
	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end && (*end == 'T' || *end == ' ')) {
		const char *e2 = strptime(end + 1, "%H:%M:%S", &tm);

		end = e2 ? e2 : strptime(end + 1, "%H:%M", &tm);
	}
	if (end == NULL || *end != '\0')
		return -1;
	tm.tm_isdst = -1;
	return (long long)mktime(&tm);
}

static int
valid_id(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n <= 18 && s[n] == '\0' && s[0] != '0';
}

static int
valid_url(const char *s)
{
	static const char *const schemes[] = {"http://", "https://", "file://"};

	for (size_t i = 0; i < 3; i++)
		if (strncasecmp(s, schemes[i], strlen(schemes[i])) == 0 && s[strlen(schemes[i])])
			return 1;
	return 0;
}

static char *
keep(struct cli *cli, char *s)
{
	if (cli->nowned < (int)(sizeof cli->owned / sizeof *cli->owned))
		cli->owned[cli->nowned++] = s;
	return s;
}

static int
push(struct cli *cli, char *w)
{
	if (cli->wargc >= HERALD_MAX_ARGS - 1)
		return -1;
	cli->wargv[cli->wargc++] = w;
	cli->wargv[cli->wargc] = NULL;
	return 0;
}

/* Global options may also follow the command. 1 when argv[*i] was one. */
static int
global_opt(struct cli *cli, int argc, char **argv, int *i, int *rc)
{
	const char *a = argv[*i];

	*rc = 0;
	if (strcmp(a, "--json") == 0) {
		cli->json = 1;
	} else if (strcmp(a, "--no-color") == 0 || strcmp(a, "--color=never") == 0) {
		cli->color = 0;
	} else if (strcmp(a, "--color=always") == 0) {
		cli->color = 1;
	} else if (strcmp(a, "--color=auto") == 0 || strcmp(a, "--color") == 0) {
		cli->color = -1;
	} else if (strncmp(a, "--color=", 8) == 0) {
		*rc = usage_error(cli->cmd, "--color takes auto, always or never");
	} else if (strcmp(a, "--socket") == 0) {
		if (*i + 1 >= argc)
			*rc = usage_error(cli->cmd, "--socket needs a path");
		else
			cli->socket = argv[++*i];
	} else if (strncmp(a, "--socket=", 9) == 0) {
		cli->socket = a + 9;
	} else {
		return 0;
	}
	return 1;
}

static const struct copt *
find_opt(const struct ccmd *c, const char *name, size_t n)
{
	for (const struct copt *o = c->opts; o->name; o++)
		if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
			return o;
	return NULL;
}

/* Checks one option value and returns what goes on the wire. */
static const char *
option_value(struct cli *cli, const struct copt *o, const char *v, time_t now)
{
	char tmp[32];
	long long t;

	switch (o->kind) {
	case A_UINT:
	case A_LIMIT:
		if (v[0] < '0' || v[0] > '9' || strspn(v, "0123456789") != strlen(v) ||
		    strlen(v) > 9 ||
		    (o->kind == A_LIMIT && (atol(v) < 1 || atol(v) > HERALD_MAX_LIMIT)))
			return NULL;
		return v;
	case A_ID: return valid_id(v) ? v : NULL;
	case A_DURATION: return parse_duration(v) > 0 ? v : NULL;
	case A_TIME:
		t = parse_time(v, now);
		if (t < 0)
			return NULL;
		snprintf(tmp, sizeof tmp, "%lld", t);
		return keep(cli, xstrdup(tmp));
	default: return *v ? v : NULL;
	}
}

static int
read_payload(struct cli *cli, const char *path)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	struct sb b = {0};
	char chunk[65536];
	size_t n;

	if (fp == NULL) {
		fprintf(stderr, "herald: %s: %s\n", path, strerror(errno));
		return EXIT_DAEMON;
	}
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
		sb_add(&b, chunk, n);
		if (b.len > HERALD_MAX_PAYLOAD) {
			fprintf(stderr, "herald: %s: larger than %u bytes\n", path,
				HERALD_MAX_PAYLOAD);
			goto fail;
		}
	}
	if (ferror(fp)) {
		fprintf(stderr, "herald: %s: %s\n", path, strerror(errno));
		goto fail;
	}
	if (fp != stdin)
		fclose(fp);
	sb_add(&b, "", 0);
	cli->payload = b.data;
	cli->payload_len = b.len;
	return EXIT_OK;
fail:
	if (fp != stdin)
		fclose(fp);
	sb_free(&b);
	return EXIT_DAEMON;
}

static int
check_positionals(struct cli *cli, char **pos, int npos, int seen_all)
{
	const struct ccmd *c = cli->cmd;

	if (strcmp(c->name, HERALD_CMD_READ) == 0) {
		if (seen_all && npos)
			return usage_error(c, "read --all takes no IDs");
		if (!seen_all && npos == 0)
			return usage_error(c, "which story? give an ID or --all");
	} else if (npos < c->minpos) {
		return usage_error(c, "missing %s", c->pos == P_ID ? "ID" : c->args);
	}
	if (c->maxpos >= 0 && npos > c->maxpos)
		return usage_error(c, "too many arguments");
	for (int i = 0; i < npos; i++) {
		if (c->pos == P_ID && !valid_id(pos[i]))
			return usage_error(c, "'%s' is not an ID (a positive number)", pos[i]);
		if (c->pos == P_URL && !valid_url(pos[i]))
			return usage_error(c, "'%s' is not an http, https or file URL", pos[i]);
		if (c->pos == P_STR && pos[i][0] == '\0')
			return usage_error(c, "empty argument");
	}
	return EXIT_OK;
}

/* Turns the command's arguments into the request words (options first,
 * then positionals), checking everything the daemon would reject. */
static int
parse_command(struct cli *cli, int argc, char **argv, int first)
{
	const struct ccmd *c = cli->cmd;
	char *pos[HERALD_MAX_ARGS];
	int npos = 0, rc, seen_all = 0, endopts = 0;
	time_t now = time(NULL);

	push(cli, (char *)c->name);
	for (int i = first; i < argc; i++) {
		const char *a = argv[i], *eq, *v;
		const struct copt *o;

		if (!endopts && strcmp(a, "--") == 0) {
			endopts = 1;
			continue;
		}
		if (endopts || a[0] != '-' || strcmp(a, "-") == 0 ||
		    (c->pos == P_QUERY && strncmp(a, "--", 2) != 0)) {
			if (npos == HERALD_MAX_ARGS - 1)
				return usage_error(c, "too many arguments");
			pos[npos++] = argv[i];
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage_cmd(c, stdout);
			exit(EXIT_OK);
		}
		if (global_opt(cli, argc, argv, &i, &rc)) {
			if (rc)
				return rc;
			continue;
		}
		eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
		o = strncmp(a, "--", 2) == 0
			    ? find_opt(c, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2))
			    : NULL;
		if (o == NULL)
			return usage_error(c, "unknown option '%s'", a);
		if (o->kind == A_FLAG) {
			if (eq)
				return usage_error(c, "--%s takes no value", o->name);
			seen_all |= strcmp(o->name, "all") == 0;
			if (push(cli, (char *)a) < 0)
				return usage_error(c, "too many arguments");
			continue;
		}
		if (!eq && i + 1 >= argc)
			return usage_error(c, "--%s needs a value", o->name);
		v = eq ? eq + 1 : argv[++i];
		if ((v = option_value(cli, o, v, now)) == NULL)
			return usage_error(c, "bad value for --%s: '%s'", o->name,
					   eq ? eq + 1 : argv[i]);
		if (push(cli, keep(cli, xstrndup(a, eq ? (size_t)(eq - a) : strlen(a)))) < 0 ||
		    push(cli, (char *)v) < 0)
			return usage_error(c, "too many arguments");
	}
	if (strcmp(c->name, HERALD_CMD_READ) == 0) {
		for (int i = 1; i < cli->wargc; i++)
			if (!seen_all && (!strcmp(cli->wargv[i], "--feed") ||
					  !strcmp(cli->wargv[i], "--before")))
				return usage_error(c, "%s needs --all", cli->wargv[i]);
	}
	if ((rc = check_positionals(cli, pos, npos, seen_all)) != EXIT_OK)
		return rc;
	if (c->pos == P_QUERY) {
		struct sb q = {0};

		for (int i = 0; i < npos; i++)
			sb_printf(&q, "%s%s", i ? " " : "", pos[i]);
		return push(cli, keep(cli, q.data)) < 0 ? usage_error(c, "too many arguments") : 0;
	}
	if (c->pos == P_FILE)
		return read_payload(cli, pos[0]);
	for (int i = 0; i < npos; i++)
		if (push(cli, pos[i]) < 0)
			return usage_error(c, "too many arguments");
	return EXIT_OK;
}

static int
use_color(const struct cli *cli)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if (nc && *nc)
		return 0;
	if (cli->color >= 0)
		return cli->color;
	return isatty(STDOUT_FILENO) && !(term && strcmp(term, "dumb") == 0);
}

static int
term_width(void)
{
	struct winsize ws;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static int
not_running(const struct cli *cli, const char *path, const char *tried)
{
	fprintf(stderr, "herald: the daemon is not running (no socket at %s)\n", path);
	if (tried && !cli->socket)
		fprintf(stderr, "herald: looked at %s\n", tried);
	fprintf(stderr, "start it with: heraldd -f\n"
			"   or as a service: systemctl --user start heraldd\n");
	return EXIT_DOWN;
}

/* Data meant for a terminal must not carry escape sequences or broken
 * UTF-8: control bytes but newline and TAB become spaces, bad bytes
 * U+FFFD. Replaces *s (n bytes) with a clean copy. */
static size_t
sanitize_str(char **s, size_t n)
{
	const unsigned char *p = (const unsigned char *)*s;
	struct sb b = {0};
	size_t k = 0, len;

	while (k < n) {
		if ((p[k] < 0x20 && p[k] != '\n' && p[k] != '\t') || p[k] == 0x7f) {
			sb_putc(&b, ' ');
			k++;
		} else if ((len = utf8_len(p + k, n - k)) == 0) {
			sb_puts(&b, "\xef\xbf\xbd");
			k++;
		} else {
			sb_add(&b, *s + k, len);
			k += len;
		}
	}
	sb_add(&b, "", 0);
	free(*s);
	*s = b.data;
	return b.len;
}

static void
sanitize(struct response *resp)
{
	for (size_t i = 0; i < resp->n; i++) {
		for (size_t j = 0; j < resp->r[i].n; j++) {
			struct field *f = &resp->r[i].f[j];

			f->len = sanitize_str(&f->value, f->len);
			for (size_t k = 0; k < f->nparts; k++)
				sanitize_str(&f->parts[k], strlen(f->parts[k]));
		}
	}
}

/* version answers for the client even when the daemon is down. */
static void
add_client_version(struct response *resp)
{
	struct record *r;

	if (resp->n == 0) {
		resp->r = xrealloc(resp->r, sizeof *resp->r);
		memset(resp->r, 0, sizeof *resp->r);
		resp->n = resp->cap = 1;
	}
	r = &resp->r[0];
	r->f = xrealloc(r->f, (r->n + 1) * sizeof *r->f);
	r->cap = r->n + 1;
	memset(&r->f[r->n], 0, sizeof r->f[r->n]);
	r->f[r->n].key = xstrdup("client");
	r->f[r->n].value = xstrdup(PACKAGE_VERSION);
	r->f[r->n].len = strlen(PACKAGE_VERSION);
	r->n++;
}

static int
run(struct cli *cli)
{
	struct response resp = {0};
	struct render_opts ro = {.color = use_color(cli), .width = term_width(), .now = time(NULL)};
	char err[512], *tried = NULL, *path;
	int fd, rc = EXIT_DAEMON;

	if (!cli->json && strcmp(cli->cmd->name, HERALD_CMD_VERSION) == 0)
		printf("herald %s\n", PACKAGE_VERSION);
	path = wire_socket_path(cli->socket, &tried);
	fd = wire_connect(path, err, sizeof err);
	if (fd == WIRE_DOWN) {
		rc = not_running(cli, path, tried);
		goto out;
	}
	if (fd < 0) {
		fprintf(stderr, "herald: %s\n", err);
		goto out;
	}
	if (wire_request(fd, cli->wargc, cli->wargv, cli->payload, cli->payload_len, &resp, err,
			 sizeof err) < 0) {
		fprintf(stderr, "herald: %s\n", err);
		close(fd);
		goto out;
	}
	close(fd);
	if (!resp.ok) {
		fprintf(stderr, "herald: %s (%s)\n", resp.message, resp.code);
		goto out;
	}
	if (strcmp(cli->cmd->name, HERALD_CMD_VERSION) == 0 && cli->json)
		add_client_version(&resp);
	if (cli->json) {
		struct sb out = {0};

		render_json(&resp, cli->cmd->shape, &out);
		fwrite(out.data, 1, out.len, stdout);
		sb_free(&out);
	} else {
		sanitize(&resp);
		render_human(&resp, cli->cmd->view, &ro, stdout);
		if (resp.n == 0 && cli->cmd->shape == SHAPE_ARRAY && isatty(STDOUT_FILENO))
			printf("(nothing to show)\n");
	}
	rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_DAEMON;
out:
	response_free(&resp);
	free(path);
	free(tried);
	return rc;
}

static void
cli_free(struct cli *cli)
{
	for (int i = 0; i < cli->nowned; i++)
		free(cli->owned[i]);
	free(cli->payload);
}

int
main(int argc, char **argv)
{
	struct cli cli = {.color = -1};
	int i, rc;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage_main(stdout);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("herald %s (protocol %d)\n", PACKAGE_VERSION,
			       HERALD_PROTOCOL_VERSION);
			return EXIT_OK;
		}
		if (!global_opt(&cli, argc, argv, &i, &rc))
			return usage_error(NULL, "unknown option '%s'", argv[i]);
		if (rc)
			return rc;
	}
	if (i == argc) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[i], HERALD_CMD_HELP) == 0) {
		if (i + 1 == argc) {
			usage_main(stdout);
			return EXIT_OK;
		}
		i++;
		for (size_t k = 0; k < sizeof commands / sizeof *commands; k++)
			if (strcmp(commands[k].name, argv[i]) == 0) {
				usage_cmd(&commands[k], stdout);
				return EXIT_OK;
			}
	}
	for (size_t k = 0; k < sizeof commands / sizeof *commands; k++)
		if (strcmp(commands[k].name, argv[i]) == 0)
			cli.cmd = &commands[k];
	if (cli.cmd == NULL)
		return usage_error(NULL, "unknown command '%s'", argv[i]);
	rc = parse_command(&cli, argc, argv, i + 1);
	if (rc == EXIT_OK)
		rc = run(&cli);
	cli_free(&cli);
	return rc;
}
