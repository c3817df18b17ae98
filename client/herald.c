/* herald: the command-line client of heraldd (man herald, docs/protocol.md).
 *
 * Checks the command line, sends its request over the daemon's socket (with
 * the few look-ups around it that make it safe: which of a story and an
 * item a bare number names, whether --feed and --tag name something, what
 * read --all would change) and prints the answer for people (fitted to the
 * terminal, relative times, colour), for scripts (tab-separated when not a
 * terminal) or, with --json, as JSON, errors included. Exit codes: 0 ok, 1
 * error from the daemon, 2 usage, 3 daemon not running. */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "herald/protocol.h"
#include "render.h"
#include "textdoc.h"
#include "tui.h"
#include "undo.h"
#include "util.h"
#include "width.h"
#include "wire.h"

enum { EXIT_OK = 0, EXIT_DAEMON = 1, EXIT_USAGE = 2, EXIT_DOWN = 3 };

enum argkind { A_FLAG, A_UINT, A_LIMIT, A_TIME, A_STR, A_DURATION, A_ID };
enum poskind { P_NONE, P_ID, P_STR, P_URL, P_FILE, P_QUERY, P_PASSWD, P_RULE };

/* Client-side error codes of --json errors, beside the daemon's
 * (herald/protocol.h): docs/protocol.md, "The client's JSON". */
#define E_DOWN       "down"       /* the daemon is not running */
#define E_CONNECTION "connection" /* the socket failed */
#define E_AMBIGUOUS  "ambiguous"  /* a bare number names a story and an item */
#define E_CANCELLED  "cancelled"  /* a confirmation was answered no */
#define E_IO         "io"         /* a local file or program failed */

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
static const struct copt o_item[] = {{"item", A_FLAG, "bare IDs are items, not stories"},
				     {NULL, 0, NULL}};
static const struct copt o_mark[] = {{"item", A_FLAG, "bare IDs are items, not stories"},
				     {"yes", A_FLAG, "do not ask before marking several"},
				     {NULL, 0, NULL}};
static const struct copt o_read[] = {
	{"item", A_FLAG, "the IDs are items, not stories"},
	{"all", A_FLAG, "everything (no IDs), optionally narrowed by --feed and --before"},
	{"feed", A_STR, "with --all: only feed F"},
	{"before", A_TIME, "with --all: only items published before T"},
	{"yes", A_FLAG, "do not ask for confirmation (needed by --all off a terminal)"},
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
static const struct copt o_filters[] = {
	{"feed", A_STR, "test against feed F's items only"},
	{"limit", A_LIMIT, "test the newest N stored items (default 200)"},
	{NULL, 0, NULL}};
static const struct copt o_purge[] = {{"dry-run", A_FLAG, "change nothing: say what would go"},
				      {NULL, 0, NULL}};
static const struct copt o_passwd[] = {
	{"remove", A_FLAG, "remove the account and end its sessions"},
	{"list", A_FLAG, "list the accounts"},
	{"folded", A_STR, "yes|no: the reading list shows one entry per story"},
	{"mark-story", A_STR, "yes|no: marking an item read marks its story read"},
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
	 o_item, 1, 1, P_ID, VIEW_SHOW, SHAPE_OBJECT,
	 "The text is wrapped to the terminal with its links numbered and listed under\n"
	 "it, through $PAGER (less -R) when longer than the screen.\n"},
	{"open", "ID [N]", "open a story's link (or its Nth outlet's) in the browser", o_item, 1, 2,
	 P_ID, VIEW_ACTION, SHAPE_OBJECT,
	 "Runs $BROWSER, else xdg-open, with the link (http, https or mailto only).\n"
	 "N counts the story's outlets as show numbers them (1/3, 2/3...).\n"},
	{HERALD_CMD_READ, "[--item] ID... | --all [--feed F] [--before T]", "mark as read", o_read,
	 0, -1, P_ID, VIEW_ACTION, SHAPE_ACTION,
	 "On a story, marks all its items. With --all, marks everything (of feed F,\n"
	 "published before T) and takes no IDs: on a terminal it asks first, in a\n"
	 "script it needs --yes.\n"},
	{HERALD_CMD_UNREAD, "[--item] ID...", "mark as unread", o_mark, 1, -1, P_ID, VIEW_ACTION,
	 SHAPE_ACTION, NULL},
	{HERALD_CMD_STAR, "[--item] ID...", "star (a story: all its items too)", o_mark, 1, -1,
	 P_ID, VIEW_ACTION, SHAPE_ACTION, NULL},
	{HERALD_CMD_UNSTAR, "[--item] ID...", "remove the star", o_mark, 1, -1, P_ID, VIEW_ACTION,
	 SHAPE_ACTION, NULL},
	{"undo", "", "undo the last read, unread, star or unstar (read --all too)", o_none, 0, 0,
	 P_NONE, VIEW_ACTION, SHAPE_ACTION,
	 "Puts back the marks the items had before the last marking command, which\n"
	 "herald remembers in $XDG_STATE_HOME/herald/undo (one level).\n"},
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
	{HERALD_CMD_PASSWD,
	 "USER | --remove USER | --list | [--folded yes|no] [--mark-story yes|no] USER",
	 "set the password of a Reader API account (docs/api.md)", o_passwd, 0, 1, P_PASSWD,
	 VIEW_ACTION, SHAPE_ACTION,
	 "Reads the password, one line, from standard input (8 to 1024 bytes), creates\n"
	 "the account if needed and ends its sessions: apps log in again. Apps such as\n"
	 "NetNewsWire, ReadYou or FeedMe reach herald through http_listen in feeds.conf.\n"},
	{HERALD_CMD_FILTERS, "[test RULE...] [--feed F] [--limit N]",
	 "list the filter rules, or the stored items a rule matches", o_filters, 0, -1, P_RULE,
	 VIEW_FILTERS, SHAPE_ARRAY,
	 "Without arguments, the [filter] sections of feeds.conf: name, action, match\n"
	 "and scope. With test RULE (a rule's name, or an expression such as\n"
	 "'title ~ /^Sponsored/i'), the stored items it matches, newest first, among\n"
	 "the newest N (200) of every feed or of --feed F: try a rule before putting\n"
	 "it in feeds.conf. Categories are not stored: a category condition sees none.\n"},
	{HERALD_CMD_PURGE, "[--dry-run]", "remove old items now, as the daemon does once a day",
	 o_purge, 0, 0, P_NONE, VIEW_PURGE, SHAPE_OBJECT,
	 "Read items older than keep_read and unread ones older than keep_unread go\n"
	 "(feeds.conf; 60 and 180 days by default), with the stories left empty.\n"
	 "Starred items stay, and so do those the feed still lists. Prints what went\n"
	 "(or, with --dry-run, what would) and the space freed.\n"},
	{"tui", "", "the interactive reader: stories, every outlet side by side, feeds, search",
	 o_none, 0, 0, P_NONE, VIEW_ACTION, SHAPE_ACTION,
	 "Keys as in newsboat: j/k, Enter, q, r read, s star, o open, / search, n next\n"
	 "unread, f feeds, R refresh, ? all the keys. See man herald, HERALD TUI.\n"},
};

struct cli {
	const char *socket;
	int json;
	int color;                  /* -1 auto, 0 never, 1 always */
	int width;                  /* --width N, 0: the terminal's */
	int yes;                    /* --yes: no confirmation */
	int item;                   /* --item: bare ids are items */
	char *ids[HERALD_MAX_ARGS]; /* P_ID commands: the ids as given */
	int nids;
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
		    "  --json          print JSON for scripts (errors too)\n"
		    "  --color=WHEN    auto (default), always or never; NO_COLOR turns it off\n"
		    "  --width N       lay lists out for N columns (default: the terminal's;\n"
		    "                  not a terminal: tab-separated full fields)\n"
		    "  -h, --help      this help; 'herald COMMAND --help' for one command\n"
		    "  --version       print the client's version\n\n"
		    "IDs: s12 is story 12, i345 item 345; a bare number is refused when it names\n"
		    "both a story and an item.\n\n"
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
	if (strcmp(c->name, "tui") != 0) /* the reader has no JSON */
		fprintf(fp, "  %-16s %s\n", "--json", "print JSON");
}

/* --json anywhere on the command line (before "--"): errors found while
 * reading it are JSON too. Set once in main. */
static int json_errors;

static void
verror(const char *code, const char *fmt, va_list ap)
{
	struct sb msg = {0}, out = {0};
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n >= 0) {
		char *tmp = xmalloc((size_t)n + 1);

		vsnprintf(tmp, (size_t)n + 1, fmt, ap);
		sb_add(&msg, tmp, (size_t)n);
		free(tmp);
	}
	if (json_errors) {
		sb_puts(&out, "{\"error\":{\"code\":");
		json_string(&out, code, strlen(code));
		sb_puts(&out, ",\"message\":");
		json_string(&out, sb_str(&msg), msg.len);
		sb_puts(&out, "}}\n");
		fwrite(out.data, 1, out.len, stdout);
		fflush(stdout);
	} else {
		fprintf(stderr, "herald: %s\n", sb_str(&msg));
	}
	sb_free(&msg);
	sb_free(&out);
}

/* Says what went wrong (JSON on stdout with --json, else on stderr) and
 * returns rc. */
static int fail(int rc, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(int rc, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(code, fmt, ap);
	va_end(ap);
	return rc;
}

static int usage_error(const struct ccmd *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
usage_error(const struct ccmd *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(HERALD_E_USAGE, fmt, ap);
	va_end(ap);
	if (json_errors)
		return EXIT_USAGE;
	if (c)
		fprintf(stderr, "usage: herald %s %s\nTry 'herald %s --help'.\n", c->name, c->args,
			c->name);
	else
		fputs("Try 'herald --help'.\n", stderr);
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

/* An id as people write it: "s12" (story), "i345" (item), or a bare
 * number (kind 0). Points *num at the digits; -1 when it is no id. */
static int
id_parse(const char *s, char *kind, const char **num)
{
	*kind = 0;
	if ((s[0] == 's' || s[0] == 'i' || s[0] == 'S' || s[0] == 'I') && s[1]) {
		*kind = (char)(s[0] | 0x20);
		s++;
	}
	*num = s;
	return valid_id(s) ? 0 : -1;
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
	} else if (strcmp(a, "--width") == 0 || strncmp(a, "--width=", 8) == 0) {
		const char *v = a[7] == '=' ? a + 8 : *i + 1 < argc ? argv[++*i] : "";

		if (strspn(v, "0123456789") != strlen(v) || strlen(v) > 4 || atoi(v) < 20)
			*rc = usage_error(cli->cmd,
					  "--width takes a number of columns (20 or more)");
		else
			cli->width = atoi(v);
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
		char kind;
		const char *num;

		if (c->pos == P_ID && i == 1 && strcmp(c->name, "open") == 0) {
			if (!valid_id(pos[i]) || strlen(pos[i]) > 6)
				return usage_error(c, "'%s' is not an outlet number (1, 2...)",
						   pos[i]);
			continue;
		}
		if (c->pos == P_ID && id_parse(pos[i], &kind, &num) < 0)
			return usage_error(c,
					   "'%s' is not an ID (s12 for a story, i345 for an "
					   "item, or a positive number)",
					   pos[i]);
		if (c->pos == P_ID && kind == 'i' && strcmp(c->name, HERALD_CMD_DIGESTED) == 0)
			return usage_error(c, "digested takes story IDs, not item %s", pos[i]);
		if (c->pos == P_URL && !valid_url(pos[i]))
			return usage_error(c, "'%s' is not an http, https or file URL", pos[i]);
		if (c->pos == P_STR && pos[i][0] == '\0')
			return usage_error(c, "empty argument");
	}
	return EXIT_OK;
}

/* passwd: with no option, the account name and the password, read as one
 * line from standard input (never from the command line, where ps shows
 * it). */
static int
passwd_words(struct cli *cli, char **pos, int npos)
{
	const struct ccmd *c = cli->cmd;
	char line[HERALD_MAX_LINE / 2];
	size_t n;

	if (cli->wargc > 1) { /* options: --list, --remove, --folded... */
		if (npos > 1 || (npos == 1 && push(cli, pos[0]) < 0))
			return usage_error(c, "too many arguments");
		return EXIT_OK;
	}
	if (npos != 1)
		return usage_error(c, "which account? give USER");
	if (isatty(STDIN_FILENO))
		fprintf(stderr, "password for %s: ", pos[0]);
	if (fgets(line, sizeof line, stdin) == NULL) {
		fprintf(stderr, "herald: passwd: no password on standard input\n");
		return EXIT_USAGE;
	}
	n = strcspn(line, "\r\n");
	if (line[n] == 0 && !feof(stdin)) {
		fprintf(stderr, "herald: passwd: the password is too long\n");
		return EXIT_USAGE;
	}
	line[n] = 0;
	if (push(cli, pos[0]) < 0 || push(cli, keep(cli, xstrndup(line, n))) < 0)
		return usage_error(c, "too many arguments");
	return EXIT_OK;
}

/* read's own rules: --feed and --before go with --all, which takes no
 * --item and, from a script, needs --yes. */
static int
check_read(struct cli *cli, int seen_all)
{
	const struct ccmd *c = cli->cmd;

	for (int i = 1; i < cli->wargc; i++)
		if (!seen_all &&
		    (!strcmp(cli->wargv[i], "--feed") || !strcmp(cli->wargv[i], "--before")))
			return usage_error(c, "%s needs --all", cli->wargv[i]);
	if (seen_all && cli->item)
		return usage_error(c, "read --all takes no --item");
	/* Everything unread, from a script: it must say so. */
	if (seen_all && !cli->yes && !isatty(STDIN_FILENO))
		return usage_error(c, "read --all marks every unread item read: confirm "
				      "with --yes when not on a terminal");
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
		    ((c->pos == P_QUERY || c->pos == P_RULE) && strncmp(a, "--", 2) != 0)) {
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
			if (strcmp(o->name, "yes") == 0) {
				cli->yes = 1;
				continue;
			}
			if (strcmp(o->name, "item") == 0 && c->pos == P_ID) {
				cli->item = 1;
				continue;
			}
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
	if (strcmp(c->name, HERALD_CMD_READ) == 0 && (rc = check_read(cli, seen_all)) != EXIT_OK)
		return rc;
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
	if (c->pos == P_ID) {
		for (int i = 0; i < npos; i++)
			cli->ids[cli->nids++] = pos[i];
		return EXIT_OK;
	}
	if (c->pos == P_PASSWD)
		return passwd_words(cli, pos, npos);
	if (c->pos == P_RULE && npos > 0) {
		/* test, then the rule: one word, however many it was typed as. */
		struct sb q = {0};

		if (strcmp(pos[0], "test") != 0 || npos < 2)
			return usage_error(c, "filters takes nothing, or test RULE");
		for (int i = 1; i < npos; i++)
			sb_printf(&q, "%s%s", i > 1 ? " " : "", pos[i]);
		return push(cli, pos[0]) < 0 || push(cli, keep(cli, q.data)) < 0
			       ? usage_error(c, "too many arguments")
			       : EXIT_OK;
	}
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
	if (json_errors)
		return fail(EXIT_DOWN, E_DOWN, "the daemon is not running (no socket at %s)", path);
	fprintf(stderr, "herald: the daemon is not running (no socket at %s)\n", path);
	if (tried && !cli->socket)
		fprintf(stderr, "herald: looked at %s\n", tried);
	fprintf(stderr, "start it with: heraldd -f\n"
			"   or as a service: systemctl --user start heraldd\n");
	return EXIT_DOWN;
}

/* Data meant for a terminal must not carry broken UTF-8: bad bytes become
 * U+FFFD (render prints every value through width_clean, which makes
 * control characters visible). Replaces *s (n bytes) with a clean copy. */
static size_t
sanitize_str(char **s, size_t n)
{
	const unsigned char *p = (const unsigned char *)*s;
	struct sb b = {0};
	size_t k = 0, len;

	while (k < n) {
		if ((len = utf8_len(p + k, n - k)) == 0) {
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

/* ---- talking to the daemon ---- */

struct session {
	struct cli *cli;
	int fd;
	const char *path; /* the socket's */
};

/* Sends argv, reads the answer into resp. 0 with resp->ok 1; on an ERR
 * answer, with report, says it and returns EXIT_DAEMON (resp kept, for the
 * callers that look at the code), without, returns 0 and leaves it to the
 * caller; EXIT_DAEMON when the connection failed. */
static int
ask(struct session *ss, int argc, char **argv, struct response *resp, int report)
{
	char err[512];

	if (wire_request(ss->fd, argc, argv, ss->cli->payload, ss->cli->payload_len, resp, err,
			 sizeof err) < 0)
		return fail(EXIT_DAEMON, E_CONNECTION, "%s", err);
	if (!resp->ok && report)
		return fail(EXIT_DAEMON, resp->code ? resp->code : HERALD_E_INTERNAL, "%s",
			    resp->message ? resp->message : "error");
	return 0;
}

/* Asks a yes/no question on the terminal; 1 for yes. */
static int confirm(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
confirm(const char *fmt, ...)
{
	char line[64];
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" [y/N] ", stderr);
	fflush(stderr);
	if (fgets(line, sizeof line, stdin) == NULL)
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

/* ---- --feed and --tag: names that exist ---- */

/* Edit distance of a and b (case-folded), for did-you-mean; capped. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), *row, best;

	if (la > 64 || lb > 64)
		return 99;
	row = xmalloc((lb + 1) * sizeof *row);
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], v = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			diag = up;
		}
	}
	best = row[lb];
	free(row);
	return best;
}

/* Finds want among the values of key in every record of feeds (case-
 * folded when fold). Returns the stored spelling, or NULL with
 * suggestions in *hint ("; did you mean 'nyt'?"). */
static const char *
find_name(const struct response *feeds, const char *key, const char *want, int fold,
	  struct sb *hint)
{
	char *w = fold ? width_casefold(want) : xstrdup(want);
	const char *found = NULL, *close[3];
	size_t nclose = 0, limit = strlen(want) / 3 + 1;

	for (size_t i = 0; i < feeds->n && !found; i++) {
		const struct record *r = &feeds->r[i];

		for (size_t j = 0; j < r->n && !found; j++) {
			char *v;

			if (strcmp(r->f[j].key, key) != 0)
				continue;
			v = fold ? width_casefold(r->f[j].value) : xstrdup(r->f[j].value);
			if (strcmp(v, w) == 0)
				found = r->f[j].value;
			else if (nclose < 3 && distance(v, w) <= (limit < 3 ? limit : 3)) {
				size_t k;

				for (k = 0; k < nclose && strcmp(close[k], r->f[j].value); k++)
					;
				if (k == nclose)
					close[nclose++] = r->f[j].value;
			}
			free(v);
		}
	}
	free(w);
	for (size_t k = 0; !found && k < nclose; k++)
		sb_printf(hint, "%s'%s'", k ? " or " : "; did you mean ", close[k]);
	if (!found && nclose)
		sb_putc(hint, '?');
	return found;
}

/* --feed F and --tag T of a listing (or read --all) must name a feed and a
 * tag that exist: an unknown one is an error with did-you-mean, not an
 * empty list. Tags compare case-folded in every script (Новости is
 * новости); the request gets the spelling the daemon stores. */
static int
check_names(struct session *ss)
{
	struct cli *cli = ss->cli;
	char *words[] = {HERALD_CMD_FEEDS, NULL}, *fwords[] = {HERALD_CMD_FILTERS, NULL};
	struct response feeds = {0}, rules = {0};
	int rc = EXIT_OK, asked = 0, asked_rules = 0;

	for (int i = 1; i + 1 < cli->wargc && rc == EXIT_OK; i++) {
		int tag = strcmp(cli->wargv[i], "--tag") == 0;
		const char *got;
		struct sb hint = {0};

		if (!tag && strcmp(cli->wargv[i], "--feed") != 0)
			continue;
		if (!asked++ && (rc = ask(ss, 1, words, &feeds, 1)) != EXIT_OK)
			break;
		got = find_name(&feeds, tag ? "tag" : "feed", cli->wargv[i + 1], tag, &hint);
		/* A tag filter rules give items (feeds.conf's "action = tag T"). */
		if (got == NULL && tag &&
		    (asked_rules++ || ask(ss, 1, fwords, &rules, 1) == EXIT_OK)) {
			struct sb none = {0};

			got = find_name(&rules, "tag", cli->wargv[i + 1], tag, &none);
			sb_free(&none);
		}
		if (got == NULL)
			rc = fail(EXIT_DAEMON, HERALD_E_NOTFOUND, "no %s '%s'%s",
				  tag ? "tag" : "feed", cli->wargv[i + 1], sb_str(&hint));
		else
			cli->wargv[i + 1] = keep(cli, xstrdup(got));
		sb_free(&hint);
		i++;
	}
	response_free(&feeds);
	response_free(&rules);
	return rc;
}

/* ---- ids ---- */

struct idref {
	char kind; /* 's' or 'i' */
	const char *num;
};

/* Whether story or item (kind) num exists: 1, 0 (notfound), or -1 after
 * saying why not. *title gets its title (malloc'd) when it does. */
static int
id_exists(struct session *ss, char kind, const char *num, char **title)
{
	char *words[] = {HERALD_CMD_SHOW, "--item", (char *)num, NULL};
	struct response r = {0};
	int rc;

	if (kind == 's')
		words[1] = (char *)num, words[2] = NULL;
	rc = ask(ss, kind == 's' ? 2 : 3, words, &r, 0);
	if (rc == EXIT_OK && !r.ok && (r.code == NULL || strcmp(r.code, HERALD_E_NOTFOUND))) {
		fail(EXIT_DAEMON, r.code ? r.code : HERALD_E_INTERNAL, "%s", r.message);
		rc = -1;
	} else if (rc == EXIT_OK) {
		rc = r.ok;
		if (rc && r.n) {
			const char *t = record_get(&r.r[0], "title");
			struct sb c = {0};

			sb_putc(&c, '"');
			if (t) {
				struct sb tmp = {0};

				width_clean(&tmp, t, strlen(t));
				width_fit(&c, sb_str(&tmp), 40, 0);
				sb_free(&tmp);
			}
			sb_putc(&c, '"');
			*title = c.data;
		}
	} else {
		rc = -1;
	}
	response_free(&r);
	return rc;
}

/* Gives every id of the command its kind: s12 and i345 say it, --item
 * makes bare numbers items, digested takes stories; any other bare number
 * is looked up as both, and refused when it is both. */
static int
resolve_ids(struct session *ss, struct idref *out, int n)
{
	struct cli *cli = ss->cli;

	for (int i = 0; i < n; i++) {
		char kind, *st = NULL, *it = NULL;
		const char *num;
		int s, t, rc = EXIT_OK;

		id_parse(cli->ids[i], &kind, &num);
		out[i].num = num;
		out[i].kind = kind                                               ? kind
			      : cli->item                                        ? 'i'
			      : strcmp(cli->cmd->name, HERALD_CMD_DIGESTED) == 0 ? 's'
										 : 0;
		if (out[i].kind)
			continue;
		if ((s = id_exists(ss, 's', num, &st)) < 0 ||
		    (t = id_exists(ss, 'i', num, &it)) < 0)
			rc = EXIT_DAEMON;
		else if (s && t)
			rc = fail(EXIT_USAGE, E_AMBIGUOUS,
				  "%s is both story s%s (%s) and item i%s (%s): say s%s or i%s",
				  num, num, st, num, it, num, num);
		else if (!s && !t)
			rc = fail(EXIT_DAEMON, HERALD_E_NOTFOUND, "no story or item %s", num);
		else
			out[i].kind = s ? 's' : 'i';
		free(st);
		free(it);
		if (rc != EXIT_OK)
			return rc;
	}
	return EXIT_OK;
}

/* ---- commands with ids ---- */

/* Saves u for `herald undo`; a failure is said, and costs the mark
 * nothing. */
static void
undo_keep(struct undo *u, const char *sock)
{
	char err[512];

	undo_unique(u);
	snprintf(u->socket, sizeof u->socket, "%s", sock);
	if (undo_save(u, err, sizeof err) < 0)
		fprintf(stderr, "herald: cannot remember this for undo: %s\n", err);
}

/* The marks of every item the ids name, before they change: a story's
 * items (all of them), an item itself. */
static int
undo_record(struct session *ss, const struct idref *ids, int n, struct undo *u)
{
	const char *cmd = ss->cli->cmd->name;
	int rc = EXIT_OK;

	u->starring = !strcmp(cmd, HERALD_CMD_STAR) || !strcmp(cmd, HERALD_CMD_UNSTAR);
	for (int i = 0; i < n && rc == EXIT_OK; i++) {
		char limit[16];
		char *st[] = {HERALD_CMD_ITEMS, "--story", (char *)ids[i].num,
			      "--limit",        limit,     NULL};
		char *it[] = {HERALD_CMD_SHOW, "--item", (char *)ids[i].num, NULL};
		struct response resp = {0};

		snprintf(limit, sizeof limit, "%d", HERALD_MAX_LIMIT);
		rc = ids[i].kind == 's' ? ask(ss, 5, st, &resp, 1) : ask(ss, 3, it, &resp, 1);
		if (rc == EXIT_OK)
			undo_add(u, &resp);
		response_free(&resp);
	}
	return rc;
}

static const char *
mark_done(const char *cmd)
{
	if (strcmp(cmd, HERALD_CMD_READ) == 0)
		return "marked read";
	if (strcmp(cmd, HERALD_CMD_UNREAD) == 0)
		return "marked unread";
	if (strcmp(cmd, HERALD_CMD_STAR) == 0)
		return "starred";
	return "unstarred";
}

/* read, unread, star, unstar, digested: the stories in one request, the
 * items in another; says what it changed. */
static int
run_mark(struct session *ss, const struct idref *ids, int n)
{
	struct cli *cli = ss->cli;
	int rc = EXIT_OK;
	struct sb said = {0};
	struct undo u = {0};

	if (n > 1 && !cli->yes && !cli->json && isatty(STDIN_FILENO) &&
	    strcmp(cli->cmd->name, HERALD_CMD_DIGESTED) != 0) {
		struct sb list = {0};
		int yes;

		for (int i = 0; i < n; i++)
			sb_printf(&list, "%s%c%s", i ? ", " : "", ids[i].kind, ids[i].num);
		yes = confirm("%s: %s?", mark_done(cli->cmd->name), sb_str(&list));
		sb_free(&list);
		if (!yes)
			return fail(EXIT_DAEMON, E_CANCELLED, "nothing changed");
	}
	if (strcmp(cli->cmd->name, HERALD_CMD_DIGESTED) != 0 &&
	    (rc = undo_record(ss, ids, n, &u)) != EXIT_OK)
		return rc;
	for (int pass = 0; pass < 2 && rc == EXIT_OK; pass++) {
		char kind = pass ? 'i' : 's';
		char *words[HERALD_MAX_ARGS + 1];
		int nw = 0;
		struct response resp = {0};

		words[nw++] = (char *)cli->cmd->name;
		if (kind == 'i')
			words[nw++] = "--item";
		for (int i = 0; i < n; i++)
			if (ids[i].kind == kind && nw < HERALD_MAX_ARGS)
				words[nw++] = (char *)ids[i].num;
		if (nw == 1 + (kind == 'i'))
			continue;
		words[nw] = NULL;
		rc = ask(ss, nw, words, &resp, 1);
		response_free(&resp);
		for (int i = 0; i < n && rc == EXIT_OK; i++)
			if (ids[i].kind == kind)
				sb_printf(&said, "%s%c%s", said.len ? ", " : "", kind, ids[i].num);
	}
	if (said.len && (rc == EXIT_OK || said.len) && !cli->json &&
	    strcmp(cli->cmd->name, HERALD_CMD_DIGESTED) != 0)
		printf("%s: %s\n", mark_done(cli->cmd->name), sb_str(&said));
	if (rc == EXIT_OK && cli->json)
		fputs("{\"ok\":true}\n", stdout);
	if (rc == EXIT_OK && strcmp(cli->cmd->name, HERALD_CMD_DIGESTED) != 0) {
		snprintf(u.what, sizeof u.what, "%s %s", cli->cmd->name, sb_str(&said));
		undo_keep(&u, ss->path);
	}
	undo_free(&u);
	sb_free(&said);
	return rc;
}

/* read --all: asks first on a terminal (what it would change), says what
 * it changed. */
static int
run_read_all(struct session *ss, const struct render_opts *ro)
{
	struct cli *cli = ss->cli;
	struct response resp = {0};
	const char *feed = NULL, *before = NULL;
	struct undo u = {0};
	int rc;

	for (int i = 1; i + 1 < cli->wargc; i++) {
		if (strcmp(cli->wargv[i], "--feed") == 0)
			feed = cli->wargv[i + 1];
		if (strcmp(cli->wargv[i], "--before") == 0)
			before = cli->wargv[i + 1];
	}
	if (!cli->yes) {
		char *words[] = {feed ? HERALD_CMD_FEEDS : HERALD_CMD_STATS, (char *)feed, NULL};
		char when[32] = "";
		const char *unread;

		if ((rc = ask(ss, feed ? 2 : 1, words, &resp, 1)) != EXIT_OK)
			goto out;
		unread = resp.n ? record_get(&resp.r[0], "unread") : NULL;
		if (before)
			reltime(strtoll(before, NULL, 10), ro->now, when, sizeof when);
		if (!confirm("Mark %s unread item%s%s%s%s%s read?", unread ? unread : "every",
			     unread && strcmp(unread, "1") == 0 ? "" : "s", feed ? " of " : "",
			     feed ? feed : "", before ? " published before " : "", when)) {
			rc = fail(EXIT_DAEMON, E_CANCELLED, "nothing changed");
			goto out;
		}
		response_free(&resp);
	}
	/* What it will mark, for undo: the unread items of the same filter. */
	{
		char limit[16], *words[8] = {HERALD_CMD_ITEMS, "--limit", limit};
		int nw = 3;

		snprintf(limit, sizeof limit, "%d", HERALD_MAX_LIMIT);
		if (feed)
			words[nw++] = "--feed", words[nw++] = (char *)feed;
		if (before)
			words[nw++] = "--before", words[nw++] = (char *)before;
		words[nw] = NULL;
		if ((rc = ask(ss, nw, words, &resp, 1)) != EXIT_OK)
			goto out;
		undo_add(&u, &resp);
		response_free(&resp);
	}
	if ((rc = ask(ss, cli->wargc, cli->wargv, &resp, 1)) != EXIT_OK)
		goto out;
	snprintf(u.what, sizeof u.what, "read --all%s%s", feed ? " --feed " : "", feed ? feed : "");
	undo_keep(&u, ss->path);
	if (cli->json) {
		struct sb o = {0};

		render_json(&resp, SHAPE_OBJECT, &o);
		fwrite(o.data, 1, o.len, stdout);
		sb_free(&o);
	} else {
		const char *m = resp.n ? record_get(&resp.r[0], "marked") : NULL;

		printf("marked %s item%s read\n", m ? m : "0", m && !strcmp(m, "1") ? "" : "s");
	}
out:
	undo_free(&u);
	response_free(&resp);
	return rc;
}

/* Sends cmd --item for ids (n of them) in requests of at most 60; a batch
 * the daemon refuses (an item purged since) goes again one by one, the
 * missing ones skipped. Counts what was set back in *done. */
static int
undo_send(struct session *ss, const char *cmd, char **ids, size_t n, size_t *done)
{
	char *words[HERALD_MAX_ARGS + 1];
	int rc = EXIT_OK;

	for (size_t i = 0; i < n && rc == EXIT_OK; i += 60) {
		size_t k = n - i < 60 ? n - i : 60;
		struct response resp = {0};
		int nw = 0;

		words[nw++] = (char *)cmd;
		words[nw++] = "--item";
		for (size_t j = 0; j < k; j++)
			words[nw++] = ids[i + j];
		words[nw] = NULL;
		rc = ask(ss, nw, words, &resp, 0);
		if (rc == EXIT_OK && resp.ok)
			*done += k;
		for (size_t j = 0; rc == EXIT_OK && !resp.ok && k > 1 && j < k; j++) {
			char *one[] = {(char *)cmd, "--item", ids[i + j], NULL};
			struct response r1 = {0};

			rc = ask(ss, 3, one, &r1, 0);
			*done += rc == EXIT_OK && r1.ok;
			response_free(&r1);
		}
		response_free(&resp);
	}
	return rc;
}

/* undo: every item recorded gets its mark back; the record goes. */
static int
run_undo(struct session *ss)
{
	struct undo u = {0};
	char err[512], **on = NULL, **off = NULL;
	size_t non = 0, noff = 0, done = 0;
	int rc = undo_load(&u, err, sizeof err);

	if (rc < 0)
		return fail(EXIT_DAEMON, E_IO, "%s", err);
	if (rc > 0)
		return fail(EXIT_DAEMON, HERALD_E_NOTFOUND, "nothing to undo");
	if (strcmp(u.socket, ss->path) != 0) {
		rc = fail(EXIT_DAEMON, HERALD_E_NOTFOUND,
			  "the last mark (%s) was on the daemon at %s, not this one (%s)", u.what,
			  u.socket, ss->path);
		undo_free(&u);
		return rc;
	}
	on = xmalloc((u.n + 1) * sizeof *on);
	off = xmalloc((u.n + 1) * sizeof *off);
	for (size_t i = 0; i < u.n; i++) {
		if (u.starring ? u.v[i].starred : u.v[i].read)
			on[non++] = u.v[i].id;
		else
			off[noff++] = u.v[i].id;
	}
	rc = undo_send(ss, u.starring ? HERALD_CMD_STAR : HERALD_CMD_READ, on, non, &done);
	if (rc == EXIT_OK)
		rc = undo_send(ss, u.starring ? HERALD_CMD_UNSTAR : HERALD_CMD_UNREAD, off, noff,
			       &done);
	if (rc == EXIT_OK) {
		if (undo_save(NULL, err, sizeof err) < 0)
			fprintf(stderr, "herald: %s\n", err);
		if (ss->cli->json)
			printf("{\"undone\":%zu}\n", done);
		else
			printf("undone: %s (%zu item%s set back)\n", u.what, done,
			       done == 1 ? "" : "s");
	}
	free(on);
	free(off);
	undo_free(&u);
	return rc;
}

/* Runs $BROWSER (its first program, as the convention lists several with
 * ':'), else xdg-open, with url. */
static int
launch(const char *url)
{
	const char *env = getenv("BROWSER");
	char *prog = env && *env ? xstrndup(env, strcspn(env, ":")) : xstrdup("xdg-open");
	int status = 0, rc = EXIT_OK;
	pid_t pid;

	fflush(stdout);
	if ((pid = fork()) < 0) {
		rc = fail(EXIT_DAEMON, E_IO, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		execlp(prog, prog, url, (char *)NULL);
		fprintf(stderr, "herald: cannot run %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		rc = fail(EXIT_DAEMON, E_IO, "%s %s failed (status %d)", prog, url,
			  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
out:
	free(prog);
	return rc;
}

/* open ID [N]: the story's Nth item's link (the first by default), or the
 * item's. */
static int
run_open(struct session *ss, const struct idref *id)
{
	struct cli *cli = ss->cli;
	char *words[] = {HERALD_CMD_SHOW, "--item", (char *)id->num, NULL};
	struct response resp = {0};
	long n = cli->nids > 1 ? atol(cli->ids[1]) : 1;
	const char *link = NULL;
	int rc;

	if (id->kind == 's')
		words[1] = (char *)id->num, words[2] = NULL;
	if ((rc = ask(ss, id->kind == 's' ? 2 : 3, words, &resp, 1)) != EXIT_OK)
		goto out;
	if (id->kind == 's' && (n < 1 || (size_t)n >= resp.n)) {
		rc = fail(EXIT_USAGE, HERALD_E_BADARG, "story s%s has %zu outlet%s, not %ld",
			  id->num, resp.n ? resp.n - 1 : 0, resp.n == 2 ? "" : "s", n);
		goto out;
	}
	if (id->kind == 'i' && cli->nids > 1) {
		rc = fail(EXIT_USAGE, HERALD_E_USAGE,
			  "N counts a story's outlets: not for an item");
		goto out;
	}
	link = resp.n ? record_get(&resp.r[id->kind == 's' ? n : 0], "link") : NULL;
	if (link == NULL || !textdoc_link_ok(link)) {
		rc = fail(EXIT_DAEMON, HERALD_E_BADARG,
			  "%c%s has no http, https or mailto link%s%s", id->kind, id->num,
			  link && *link ? ": " : "", link ? link : "");
		goto out;
	}
	if ((rc = launch(link)) == EXIT_OK) {
		if (cli->json) {
			struct sb o = {0};

			sb_puts(&o, "{\"opened\":");
			json_string(&o, link, strlen(link));
			sb_puts(&o, "}\n");
			fwrite(o.data, 1, o.len, stdout);
			sb_free(&o);
		} else {
			printf("opened %s\n", link);
		}
	}
out:
	response_free(&resp);
	return rc;
}

static int
term_rows(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		return ws.ws_row;
	return 24;
}

/* Writes text (n bytes) to the terminal, through $PAGER (default less -R)
 * when it has more lines than the screen. */
static void
page(const char *text, size_t n, int paging)
{
	size_t lines = 0;
	const char *pager = getenv("PAGER");
	FILE *p;

	for (size_t i = 0; i < n; i++)
		lines += text[i] == '\n';
	if (paging && lines >= (size_t)term_rows()) {
		if (pager == NULL || *pager == '\0')
			pager = "less -R";
		fflush(stdout);
		if ((p = popen(pager, "w")) != NULL) {
			fwrite(text, 1, n, p);
			pclose(p);
			return;
		}
	}
	fwrite(text, 1, n, stdout);
}

/* show ID: the story with each item's whole text (a `show --item` each),
 * wrapped, paged. */
static int
run_show(struct session *ss, const struct idref *id, const struct render_opts *ro)
{
	struct cli *cli = ss->cli;
	char *words[] = {HERALD_CMD_SHOW, "--item", (char *)id->num, NULL};
	struct response resp = {0}, *full = NULL;
	size_t nfull = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int rc;

	if (id->kind == 's')
		words[1] = (char *)id->num, words[2] = NULL;
	if ((rc = ask(ss, id->kind == 's' ? 2 : 3, words, &resp, 1)) != EXIT_OK)
		goto out;
	if (cli->json) {
		struct sb o = {0};

		render_json(&resp, SHAPE_OBJECT, &o);
		fwrite(o.data, 1, o.len, stdout);
		sb_free(&o);
		goto out;
	}
	if (id->kind == 's' && resp.n > 1) {
		full = xmalloc((resp.n - 1) * sizeof *full);
		memset(full, 0, (resp.n - 1) * sizeof *full);
		for (size_t i = 1; i < resp.n; i++) {
			char *w[] = {HERALD_CMD_SHOW, "--item", resp.r[i].f[0].value, NULL};

			if (ask(ss, 3, w, &full[nfull], 0) != EXIT_OK)
				break;
			sanitize(&full[nfull++]);
		}
	}
	sanitize(&resp);
	if ((mem = open_memstream(&buf, &len)) == NULL) {
		rc = fail(EXIT_DAEMON, E_IO, "open_memstream: %s", strerror(errno));
		goto out;
	}
	render_show(&resp, full, nfull, ro, mem);
	fclose(mem);
	page(buf, len, ro->width > 0 && isatty(STDOUT_FILENO));
	free(buf);
out:
	for (size_t i = 0; i < nfull; i++)
		response_free(&full[i]);
	free(full);
	response_free(&resp);
	return rc;
}

static int
run_ids(struct session *ss, const struct render_opts *ro)
{
	struct cli *cli = ss->cli;
	struct idref ids[HERALD_MAX_ARGS];
	int n = strcmp(cli->cmd->name, "open") == 0 ? 1 : cli->nids, rc;

	if ((rc = resolve_ids(ss, ids, n)) != EXIT_OK)
		return rc;
	if (strcmp(cli->cmd->name, HERALD_CMD_SHOW) == 0)
		return run_show(ss, &ids[0], ro);
	if (strcmp(cli->cmd->name, "open") == 0)
		return run_open(ss, &ids[0]);
	return run_mark(ss, ids, n);
}

/* ---- listings ---- */

static const char *
word_after(const struct cli *cli, const char *opt)
{
	for (int i = 1; i + 1 < cli->wargc; i++)
		if (strcmp(cli->wargv[i], opt) == 0)
			return cli->wargv[i + 1];
	return NULL;
}

/* The listing's request with --offset k --limit 1 (the other words as
 * given): 1 when record k exists, 0 when not, -1 when the daemon failed. */
static int
exists_at(struct session *ss, unsigned long k)
{
	struct cli *cli = ss->cli;
	char *words[HERALD_MAX_ARGS + 1], at[24];
	struct response resp = {0};
	int nw = 0, rc;

	for (int i = 0; i < cli->wargc; i++) {
		if (i > 0 && (strcmp(cli->wargv[i], "--limit") == 0 ||
			      strcmp(cli->wargv[i], "--offset") == 0)) {
			i++;
			continue;
		}
		words[nw++] = cli->wargv[i];
	}
	snprintf(at, sizeof at, "%lu", k);
	/* The query word of search stays last. */
	if (cli->cmd->pos == P_QUERY)
		nw--;
	words[nw++] = "--offset";
	words[nw++] = at;
	words[nw++] = "--limit";
	words[nw++] = "1";
	if (cli->cmd->pos == P_QUERY)
		words[nw++] = cli->wargv[cli->wargc - 1];
	words[nw] = NULL;
	rc = ask(ss, nw, words, &resp, 0) == EXIT_OK && resp.ok ? resp.n > 0 : -1;
	response_free(&resp);
	return rc;
}

#define COUNT_PROBES 40 /* look-ups to count a long list, at most */

/* A full page (as many as --limit): whether more exist and how many in all,
 * asked with the same filters one record at a time (past the page, then
 * doubling the step, then halving it: about 2 log2(total / page) look-ups).
 * Says "50 of 312 shown" (on the terminal after the list, else on
 * stderr). */
static void
more_hint(struct session *ss, size_t shown)
{
	struct cli *cli = ss->cli;
	const char *l = word_after(cli, "--limit"), *o = word_after(cli, "--offset");
	unsigned long limit = l ? strtoul(l, NULL, 10) : HERALD_DEFAULT_LIMIT;
	unsigned long offset = o ? strtoul(o, NULL, 10) : 0, last, step, found;
	int probes = 0, e;
	char total[48];

	if (shown != limit)
		return;
	fflush(stdout);
	if (exists_at(ss, offset + limit) != 1)
		return;
	/* Record `last` exists; find the first that does not. */
	last = offset + limit;
	for (step = limit; probes < COUNT_PROBES; step *= 2, probes++) {
		if ((e = exists_at(ss, last + step)) < 0)
			return;
		if (!e)
			break;
		last += step;
	}
	/* Record last exists, last + step does not: bisect. */
	for (unsigned long hi = last + step; hi - last > 1 && probes < COUNT_PROBES; probes++) {
		unsigned long mid = last + (hi - last) / 2;

		if ((e = exists_at(ss, mid)) < 0)
			return;
		if (e)
			last = mid;
		else
			hi = mid;
	}
	found = last + 1;
	if (probes >= COUNT_PROBES)
		snprintf(total, sizeof total, "more than %lu", found);
	else
		snprintf(total, sizeof total, "%lu", found);
	fprintf(isatty(STDOUT_FILENO) ? stdout : stderr,
		"%lu of %s shown (%lu-%lu); more with --offset %lu, or --limit N (up to %d)\n",
		limit, total, offset + 1, offset + limit, offset + limit, HERALD_MAX_LIMIT);
}

static int
run_request(struct session *ss, const struct render_opts *ro)
{
	struct cli *cli = ss->cli;
	struct response resp = {0};
	int rc;

	if ((rc = ask(ss, cli->wargc, cli->wargv, &resp, 1)) != EXIT_OK)
		goto out;
	if (strcmp(cli->cmd->name, HERALD_CMD_VERSION) == 0 && cli->json)
		add_client_version(&resp);
	if (cli->json) {
		struct sb out = {0};

		render_json(&resp, cli->cmd->shape, &out);
		fwrite(out.data, 1, out.len, stdout);
		sb_free(&out);
	} else {
		sanitize(&resp);
		render_human(&resp, cli->cmd->view, ro, stdout);
		if (resp.n == 0 && cli->cmd->shape == SHAPE_ARRAY && isatty(STDOUT_FILENO))
			printf("(nothing to show)\n");
	}
	if (cli->cmd->shape == SHAPE_ARRAY && !cli->json && cli->cmd->pos != P_FILE &&
	    strcmp(cli->cmd->name, HERALD_CMD_FEEDS) != 0)
		more_hint(ss, resp.n);
out:
	response_free(&resp);
	return rc;
}

static int
run(struct cli *cli)
{
	struct render_opts ro = {.color = use_color(cli), .width = term_width(), .now = time(NULL)};
	struct session ss = {.cli = cli, .fd = -1};
	char err[512], *tried = NULL, *path;
	int rc = EXIT_DAEMON;

	if (cli->width)
		ro.width = cli->width;
	else if (ro.width == 0 && cli->color == 1) {
		/* --color=always into a pipe (less -R): the terminal layout. */
		const char *cols = getenv("COLUMNS");

		ro.width = cols && atoi(cols) >= 20 && atoi(cols) < 10000 ? atoi(cols) : 80;
	}
	if (!cli->json && strcmp(cli->cmd->name, HERALD_CMD_VERSION) == 0)
		printf("herald %s\n", PACKAGE_VERSION);
	path = wire_socket_path(cli->socket, &tried);
	ss.path = path;
	ss.fd = wire_connect(path, err, sizeof err);
	if (ss.fd == WIRE_DOWN) {
		rc = not_running(cli, path, tried);
		goto out;
	}
	if (ss.fd < 0) {
		rc = fail(EXIT_DAEMON, E_CONNECTION, "%s", err);
		goto out;
	}
	if ((rc = check_names(&ss)) != EXIT_OK)
		goto out;
	if (cli->cmd->pos == P_ID && cli->nids > 0)
		rc = run_ids(&ss, &ro);
	else if (strcmp(cli->cmd->name, "undo") == 0)
		rc = run_undo(&ss);
	else if (strcmp(cli->cmd->name, HERALD_CMD_READ) == 0)
		rc = run_read_all(&ss, &ro);
	else
		rc = run_request(&ss, &ro);
	if (rc == EXIT_OK && fflush(stdout) != 0)
		rc = EXIT_DAEMON;
out:
	if (ss.fd >= 0)
		close(ss.fd);
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

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		json_errors |= strcmp(argv[i], "--json") == 0;

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
	if (rc == EXIT_OK && strcmp(cli.cmd->name, "tui") == 0)
		rc = cli.json ? usage_error(cli.cmd, "tui has no --json")
			      : tui_main(&(struct tui_opts){cli.socket, cli.color});
	else if (rc == EXIT_OK)
		rc = run(&cli);
	cli_free(&cli);
	return rc;
}
