/* herald tui: the loop. Keys change the state (tui_draw.h) and queue
 * requests (tui_net.h); answers change the state; tdraw() shows it. The
 * loop waits in poll() on the terminal and on the request thread's pipe, so
 * a slow daemon shows a spinner and the keys keep working.
 *
 * The terminal is restored on every way out: q, SIGINT/SIGTERM/SIGHUP (the
 * loop ends and cleans up), exit() anywhere (atexit), and a crash (the
 * fatal signal's handler calls endwin, then the previous handler runs). */
#include "autoconfig.h"

#include "tui.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tui_draw.h"
#include "tui_net.h"
#include "textdoc.h"
#include "width.h"

#define RETRY_MS     2000 /* the daemon is down: try again after */
#define SPIN_AFTER   150  /* ms an answer may take before the spinner shows */
#define RELOAD_MS    3000 /* after R: reload when the polls had time to end */
#define STORIES_MAX  "1000"
#define READ_MAX     "500"
#define SEARCH_MAX   "200"
#define DOWN_MESSAGE "the daemon is not answering: retrying (start it with heraldd -f)"

enum job { J_UNREAD, J_READ, J_SHOW, J_FEEDS, J_SEARCH, J_MARK, J_REFRESH, J_ITEM };
enum mark { M_READ, M_UNREAD, M_STAR, M_UNSTAR };
static const char *const mark_cmd[] = {"read", "unread", "star", "unstar"};

struct app {
	struct tui t;
	struct tnet *net;
	unsigned gen[J_ITEM + 1]; /* answers to older loads are dropped */
	long long keep_story;     /* the stories cursor stays on it across a reload */
	long long busy_since, retry_at, reload_at;
	int quit;
};

/* Signal plumbing, the only state outside struct app: a handler can reach
 * nothing else. */
static volatile sig_atomic_t quit_signal;
static volatile sig_atomic_t curses_on;
static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
static struct sigaction fatal_old[sizeof fatal_signals / sizeof *fatal_signals];

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
restore_terminal(void)
{
	if (curses_on) {
		curses_on = 0;
		endwin();
	}
}

static void
on_quit(int sig)
{
	quit_signal = sig;
}

static void
on_fatal(int sig)
{
	restore_terminal();
	for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
		if (fatal_signals[i] == sig)
			sigaction(sig, &fatal_old[i], NULL);
	raise(sig);
}

static void
install_signals(void)
{
	struct sigaction sa = {0};

	sa.sa_handler = on_quit;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
		sigaction(fatal_signals[i], &sa, &fatal_old[i]);
	atexit(restore_terminal);
}

static void message(struct tui *t, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
message(struct tui *t, int err, const char *fmt, ...)
{
	va_list ap;
	char raw[sizeof t->msg];
	struct sb b = {0};

	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	width_clean(&b, raw, strlen(raw));
	snprintf(t->msg, sizeof t->msg, "%s", b.data ? b.data : "");
	sb_free(&b);
	t->msg_err = err;
}

/* ---- records ---- */

static void
set_field(struct record *r, const char *key, const char *value)
{
	struct field *f = NULL;

	for (size_t i = 0; i < r->n && f == NULL; i++)
		if (strcmp(r->f[i].key, key) == 0)
			f = &r->f[i];
	if (f == NULL) {
		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 8;
			r->f = xrealloc(r->f, r->cap * sizeof *r->f);
		}
		f = &r->f[r->n++];
		memset(f, 0, sizeof *f);
		f->key = xstrdup(key);
	} else {
		free(f->value);
	}
	f->value = xstrdup(value);
	f->len = strlen(value);
}

static void
clean_value(char **v)
{
	struct sb b = {0};

	width_clean(&b, *v, strlen(*v));
	sb_add(&b, "", 0);
	free(*v);
	*v = b.data;
}

/* Data shown on a terminal must not carry escape sequences or broken
 * UTF-8: width_clean on every one-line value. An item's text and html keep
 * their lines: they reach the screen through width_wrap, which cleans. */
static void
clean_response(struct response *resp)
{
	for (size_t i = 0; i < resp->n; i++)
		for (size_t j = 0; j < resp->r[i].n; j++) {
			struct field *f = &resp->r[i].f[j];

			if (strcmp(f->key, "text") != 0 && strcmp(f->key, "html") != 0) {
				clean_value(&f->value);
				f->len = strlen(f->value);
			}
			for (size_t k = 0; k < f->nparts; k++)
				clean_value(&f->parts[k]);
		}
}

/* Moves src's records to the end of dst (src is left empty). */
static void
append_records(struct response *dst, struct response *src, int (*keep)(void *, struct record *),
	       void *ctx)
{
	for (size_t i = 0; i < src->n; i++) {
		if (keep && !keep(ctx, &src->r[i])) {
			/* A response of its own frees the record's fields. */
			struct response one = {.n = 1};

			one.r = xmalloc(sizeof *one.r);
			one.r[0] = src->r[i];
			response_free(&one);
			continue;
		}
		if (dst->n == dst->cap) {
			dst->cap = dst->cap ? dst->cap * 2 : 64;
			dst->r = xrealloc(dst->r, dst->cap * sizeof *dst->r);
		}
		dst->r[dst->n++] = src->r[i];
	}
	src->n = 0;
	response_free(src);
}

static int
find_story(const struct tlist *l, long long id)
{
	for (size_t i = 0; i < l->resp.n; i++)
		if (tnum(&l->resp.r[i], "story") == id)
			return (int)i;
	return -1;
}

static struct record *
cur_record(struct tlist *l)
{
	return l->loaded && l->cur >= 0 && l->cur < (int)l->resp.n ? &l->resp.r[l->cur] : NULL;
}

/* ---- requests ---- */

static void
submit(struct app *a, enum job kind, long long id, int arg, int argc, const char *const *argv)
{
	struct tnet_tag tag = {.kind = kind, .gen = a->gen[kind], .id = id, .arg = arg};

	tnet_submit(a->net, &tag, argc, argv);
}

static void
load_stories(struct app *a)
{
	struct tui *t = &a->t;
	const char *v[6] = {"stories", "--limit", STORIES_MAX};
	const char *w[7] = {"stories", "--all", "--limit", READ_MAX};
	int n = 3, m = 4;
	struct record *r = cur_record(&t->stories);

	a->keep_story = r ? tnum(r, "story") : 0;
	if (t->feed) {
		v[n++] = "--feed", v[n++] = t->feed;
		w[m++] = "--feed", w[m++] = t->feed;
	}
	a->gen[J_UNREAD]++, a->gen[J_READ]++;
	submit(a, J_UNREAD, 0, 0, n, v);
	if (!t->hide_read)
		submit(a, J_READ, 0, 0, m, w);
}

static void
story_clear(struct tui *t)
{
	for (size_t i = 0; i < t->nbodies; i++)
		textdoc_free(&t->bodies[i]);
	free(t->bodies);
	t->bodies = NULL;
	t->nbodies = 0;
	response_free(&t->story);
	t->doc_story = -1;
}

/* Each item's HTML (show --item), for its text with the links numbered. */
static void
load_bodies(struct app *a)
{
	struct tui *t = &a->t;

	t->nbodies = t->story.n > 1 ? t->story.n - 1 : 0;
	t->bodies = xmalloc((t->nbodies ? t->nbodies : 1) * sizeof *t->bodies);
	memset(t->bodies, 0, (t->nbodies ? t->nbodies : 1) * sizeof *t->bodies);
	for (size_t i = 0; i < t->nbodies; i++) {
		const char *v[3] = {"show", "--item", tget(&t->story.r[i + 1], "item")};
		struct tnet_tag tag = {.kind = J_ITEM, .gen = a->gen[J_SHOW], .arg = (int)i};

		tnet_submit(a->net, &tag, 3, v);
	}
}

static void
load_story(struct app *a)
{
	char id[32];
	const char *v[2] = {"show", id};

	snprintf(id, sizeof id, "%lld", a->t.story_id);
	a->gen[J_SHOW]++;
	submit(a, J_SHOW, a->t.story_id, 0, 2, v);
}

static void
load_feeds(struct app *a)
{
	const char *v[1] = {"feeds"};

	a->gen[J_FEEDS]++;
	submit(a, J_FEEDS, 0, 0, 1, v);
}

static void
load_search(struct app *a)
{
	const char *v[4] = {"search", "--limit", SEARCH_MAX, a->t.query};

	a->gen[J_SEARCH]++;
	submit(a, J_SEARCH, 0, 0, 4, v);
}

/* Reloads what the current view shows. */
static void
reload(struct app *a)
{
	switch (a->t.view) {
	case TV_STORY: load_story(a); break;
	case TV_FEEDS: load_feeds(a); break;
	case TV_SEARCH: load_search(a); break;
	default: load_stories(a); break;
	}
}

static void
mark(struct app *a, enum mark m, long long id)
{
	char s[32];
	const char *v[2] = {mark_cmd[m], s};

	snprintf(s, sizeof s, "%lld", id);
	submit(a, J_MARK, id, m, 2, v);
}

/* ---- answers ---- */

/* A mark the daemon made: every copy of the story on screen follows. */
static void
apply_mark(struct tui *t, enum mark m, long long id)
{
	int i = find_story(&t->stories, id);
	const char *flag = m == M_READ || m == M_STAR ? "1" : "0";
	int star = m == M_STAR || m == M_UNSTAR;

	if (i >= 0) {
		struct record *r = &t->stories.resp.r[i];

		set_field(r, star ? "starred" : "state",
			  star           ? flag
			  : *flag == '1' ? "read"
					 : "new");
		if (!star)
			set_field(r, "unread", *flag == '1' ? "0" : tget(r, "items"));
	}
	if (t->story_id == id && t->story.n > 0) {
		set_field(&t->story.r[0], star ? "starred" : "state",
			  star           ? flag
			  : *flag == '1' ? "read"
					 : "new");
		for (size_t k = 1; k < t->story.n; k++)
			set_field(&t->story.r[k], star ? "starred" : "read", flag);
		t->doc_story = -1; /* lay it out again */
	}
	for (size_t k = 0; !star && k < t->search.resp.n; k++)
		if (tnum(&t->search.resp.r[k], "story") == id)
			set_field(&t->search.resp.r[k], "read", flag);
}

static int
keep_read_only(void *ctx, struct record *r)
{
	struct tlist *l = ctx;

	return strcmp(tget(r, "state"), "read") == 0 && find_story(l, tnum(r, "story")) < 0;
}

static void
took_list(struct app *a, struct tnet_result *res)
{
	struct tui *t = &a->t;
	struct tlist *l = res->tag.kind == J_FEEDS    ? &t->feeds
			  : res->tag.kind == J_SEARCH ? &t->search
						      : &t->stories;

	if (res->tag.kind == J_READ) {
		append_records(&l->resp, &res->resp, keep_read_only, l);
	} else {
		response_free(&l->resp);
		l->resp = res->resp;
		memset(&res->resp, 0, sizeof res->resp);
		if (res->tag.kind != J_UNREAD)
			l->cur = l->top = 0;
	}
	l->loaded = 1;
	if (res->tag.kind == J_UNREAD || res->tag.kind == J_READ) {
		int i = a->keep_story ? find_story(l, a->keep_story) : -1;

		if (i >= 0)
			l->cur = i;
	}
}

static void
took_answer(struct app *a, struct tnet_result *res)
{
	struct tui *t = &a->t;

	if (!res->resp.ok) {
		if (res->tag.kind == J_ITEM)
			return; /* the item went meanwhile: its plain text stays */
		if (res->tag.kind == J_SHOW) {
			t->story_loaded = 1;
			story_clear(t);
		}
		/* A list the daemon refused shows what it had (or nothing). */
		if (res->tag.kind == J_SEARCH)
			t->search.loaded = 1;
		if (res->tag.kind == J_FEEDS)
			t->feeds.loaded = 1;
		if (res->tag.kind == J_UNREAD || res->tag.kind == J_READ)
			t->stories.loaded = 1;
		message(t, 1, "%s (%s)", res->resp.message, res->resp.code);
		return;
	}
	switch (res->tag.kind) {
	case J_SHOW:
		story_clear(t);
		t->story = res->resp;
		memset(&res->resp, 0, sizeof res->resp);
		t->story_loaded = 1;
		if (t->sbs_pending)
			t->sbs = t->story.n > 2 && COLS >= 2 * TUI_MIN_COLUMN + 1;
		t->sbs_pending = 0;
		load_bodies(a);
		break;
	case J_ITEM: {
		const char *html = res->resp.n ? record_get(&res->resp.r[0], "html") : NULL;
		struct textdoc *d =
			(size_t)res->tag.arg < t->nbodies ? &t->bodies[res->tag.arg] : NULL;

		if (d && html && *html && textdoc_from_html(d, html, strlen(html)) == 0)
			t->doc_story = -1;
		break;
	}
	case J_MARK: apply_mark(t, (enum mark)res->tag.arg, res->tag.id); break;
	case J_REFRESH:
		message(t, 0, "polling the feeds: the list reloads in a few seconds");
		a->reload_at = now_ms() + RELOAD_MS;
		break;
	default: took_list(a, res); break;
	}
}

static void
take_answers(struct app *a)
{
	struct tnet_result res;

	while (tnet_take(a->net, &res)) {
		int stale = res.tag.kind != J_MARK && res.tag.kind != J_REFRESH &&
			    res.tag.gen != a->gen[res.tag.kind == J_ITEM ? J_SHOW : res.tag.kind];

		if (res.status != TNET_OK) {
			if (!a->t.down || res.tag.kind == J_MARK)
				message(&a->t, 1, "%s%s: %s",
					res.tag.kind == J_MARK ? "not marked: " : "", DOWN_MESSAGE,
					res.err);
			a->t.down = 1;
			a->retry_at = now_ms() + RETRY_MS;
		} else {
			if (a->t.down && strncmp(a->t.msg, DOWN_MESSAGE, strlen(DOWN_MESSAGE)) == 0)
				message(&a->t, 0, "connected again");
			a->t.down = 0;
			clean_response(&res.resp);
			if (!stale)
				took_answer(a, &res);
		}
		response_free(&res.resp);
	}
}

/* ---- opening links ---- */

/* Runs argv detached from the terminal (a graphical browser): 0, or -1
 * with a message. */
static int
spawn_detached(struct tui *t, char **argv)
{
	int p[2], err = 0, status;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return message(t, 1, "pipe: %s", strerror(errno)), -1;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		setsid();
		if (null >= 0) {
			dup2(null, 0), dup2(null, 1), dup2(null, 2);
		}
		if (fork() == 0) {
			signal(SIGINT, SIG_DFL), signal(SIGTERM, SIG_DFL), signal(SIGHUP, SIG_DFL);
			execvp(argv[0], argv);
			err = errno;
			if (write(p[1], &err, sizeof err) < 0)
				_exit(127);
		}
		_exit(127);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return message(t, 1, "fork: %s", strerror(errno)), -1;
	}
	waitpid(pid, &status, 0);
	if (read(p[0], &err, sizeof err) == (ssize_t)sizeof err) {
		close(p[0]);
		return message(t, 1, "cannot run %s: %s", argv[0], strerror(err)), -1;
	}
	close(p[0]);
	return 0;
}

/* Runs argv on the terminal (a text browser) and waits for it. */
static int
spawn_foreground(struct tui *t, char **argv)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	int status = 0;
	pid_t pid;

	def_prog_mode();
	endwin();
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old);
	pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL), signal(SIGTERM, SIG_DFL), signal(SIGHUP, SIG_DFL);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	sigaction(SIGINT, &old, NULL);
	reset_prog_mode();
	clearok(curscr, TRUE);
	if (pid < 0 || (WIFEXITED(status) && WEXITSTATUS(status) == 127))
		return message(t, 1, "cannot run %s", argv[0]), -1;
	return 0;
}

/* $BROWSER (its first entry; "%s" stands for the URL, else the URL is
 * added), else xdg-open. Detached when there is a display, on the terminal
 * otherwise. Only http, https and mailto links are opened. */
static void
open_url(struct tui *t, const char *url)
{
	const char *env = getenv("BROWSER");
	char *cmd = xstrdup(env && *env ? env : "xdg-open"), *argv[32], *save = NULL, *w;
	int argc = 0, placed = 0, rc;
	char *colon = strchr(cmd, ':');

	if (!textdoc_link_ok(url)) {
		message(t, 1, "not a web or mail link: %s", *url ? url : "(none)");
		free(cmd);
		return;
	}
	if (colon)
		*colon = '\0';
	for (w = strtok_r(cmd, " ", &save); w && argc < 30; w = strtok_r(NULL, " ", &save)) {
		if (strcmp(w, "%s") == 0) {
			argv[argc++] = (char *)url;
			placed = 1;
		} else {
			argv[argc++] = w;
		}
	}
	if (argc == 0)
		argv[argc++] = "xdg-open";
	if (!placed)
		argv[argc++] = (char *)url;
	argv[argc] = NULL;
	if (getenv("DISPLAY") || getenv("WAYLAND_DISPLAY"))
		rc = spawn_detached(t, argv);
	else
		rc = spawn_foreground(t, argv);
	if (rc == 0)
		message(t, 0, "opened %s", url);
	free(cmd);
}

/* ---- keys ---- */

static void
go(struct tui *t, enum tview v)
{
	if (t->nback < (int)(sizeof t->back / sizeof *t->back))
		t->back[t->nback++] = t->view;
	t->view = v;
}

static void
open_story(struct app *a, const struct record *r)
{
	struct tui *t = &a->t;
	long long id = tnum(r, "story");

	story_clear(t);
	tnet_drop(a->net, J_ITEM); /* the last story's texts: not wanted any more */
	t->story_id = id;
	t->story_loaded = 0;
	t->scroll = t->first_outlet = 0;
	t->sbs_pending = 1; /* side by side or not: when it arrives */
	if (t->view != TV_STORY)
		go(t, TV_STORY);
	load_story(a);
	/* A story list record knows its state; a search result its item's. */
	if (strcmp(tget(r, "state"), "read") != 0 && (*tget(r, "state") || !tnum(r, "read")))
		mark(a, M_READ, id);
}

/* q: one view back; from the stories, the end. */
static void
back(struct app *a)
{
	struct tui *t = &a->t;

	if (t->nback == 0) {
		a->quit = 1;
		return;
	}
	if (t->view == TV_STORY)
		tnet_drop(a->net, J_ITEM);
	if (t->view == TV_STORIES && t->feed) {
		free(t->feed);
		t->feed = NULL;
		t->stories.cur = t->stories.top = 0;
		load_stories(a);
	}
	t->view = t->back[--t->nback];
	if (t->view == TV_STORIES && !t->stories.loaded)
		load_stories(a);
}

/* The story the cursor (or the story view) is on, or 0. */
static long long
current_story(struct tui *t, const struct record **rec)
{
	struct record *r = NULL;

	if (t->view == TV_STORY) {
		*rec = t->story.n ? &t->story.r[0] : NULL;
		return *rec ? t->story_id : 0;
	}
	if (t->view == TV_STORIES)
		r = cur_record(&t->stories);
	*rec = r;
	return r ? tnum(r, "story") : 0;
}

static void
toggle(struct app *a, int star)
{
	const struct record *r;
	long long id = current_story(&a->t, &r);

	if (id == 0)
		return;
	if (star)
		mark(a, tnum(r, "starred") ? M_UNSTAR : M_STAR, id);
	else
		mark(a, strcmp(tget(r, "state"), "read") == 0 ? M_UNREAD : M_READ, id);
}

static void
next_unread(struct app *a)
{
	struct tlist *l = &a->t.stories;
	int from = l->cur;

	if (a->t.view == TV_STORY) {
		int i = find_story(l, a->t.story_id);

		from = i >= 0 ? i : -1;
	}
	for (int i = from + 1; i < (int)l->resp.n; i++)
		if (strcmp(tget(&l->resp.r[i], "state"), "read") != 0) {
			l->cur = i;
			open_story(a, &l->resp.r[i]);
			return;
		}
	message(&a->t, 0, "no unread story after this one");
}

/* Link n (from 1) of the text of the outlet in focus. */
static void
open_inline(struct app *a, int n)
{
	struct tui *t = &a->t;
	int f = tdraw_focused_outlet(t);

	if (f < 0 || (size_t)f >= t->nbodies || n < 1 || (size_t)n > t->bodies[f].nlinks) {
		message(t, 1, "no link [%d] in this outlet's text", n);
		return;
	}
	open_url(t, t->bodies[f].links[n - 1]);
}

static void
open_link(struct app *a)
{
	struct tui *t = &a->t;
	struct record *r;

	if (t->view == TV_STORY) {
		int f = tdraw_focused_outlet(t);

		if (f >= 0 && f + 1 < (int)t->story.n)
			open_url(t, tget(&t->story.r[f + 1], "link"));
	} else if (t->view == TV_SEARCH && (r = cur_record(&t->search))) {
		open_url(t, tget(r, "link"));
	} else if (t->view == TV_STORIES && (r = cur_record(&t->stories))) {
		for (size_t i = 0; i < r->n; i++)
			if (strcmp(r->f[i].key, "outlet") == 0) {
				open_url(t, r->f[i].nparts > 4 ? r->f[i].parts[4] : "");
				return;
			}
	}
}

/* Moves in a list (or scrolls the story, the help) by delta rows; INT_MAX
 * and -INT_MAX go to the end and the start. */
static void
move_by(struct tui *t, int delta)
{
	struct tlist *l = t->view == TV_STORIES  ? &t->stories
			  : t->view == TV_FEEDS  ? &t->feeds
			  : t->view == TV_SEARCH ? &t->search
						 : NULL;
	int *pos, max;

	if (l) {
		pos = &l->cur;
		max = (int)l->resp.n - 1;
	} else if (t->view == TV_STORY) {
		pos = &t->scroll;
		max = tdraw_story_max_scroll(t);
	} else {
		pos = &t->help_scroll;
		max = tdraw_help_lines() - tdraw_body_rows();
	}
	if (delta > 0 && *pos > max - delta)
		*pos = max;
	else if (delta < 0 && *pos < -delta)
		*pos = 0;
	else
		*pos += delta;
	if (*pos < 0)
		*pos = 0;
}

static void
enter(struct app *a)
{
	struct tui *t = &a->t;
	struct record *r;

	if (t->view == TV_STORIES && (r = cur_record(&t->stories))) {
		open_story(a, r);
	} else if (t->view == TV_SEARCH && (r = cur_record(&t->search))) {
		open_story(a, r);
	} else if (t->view == TV_FEEDS && (r = cur_record(&t->feeds))) {
		free(t->feed);
		t->feed = xstrdup(tget(r, "feed"));
		go(t, TV_STORIES);
		t->stories.cur = t->stories.top = 0;
		t->stories.loaded = 0;
		load_stories(a);
	}
}

static void
refresh_feeds(struct app *a)
{
	struct record *r = a->t.view == TV_FEEDS ? cur_record(&a->t.feeds) : NULL;
	const char *v[2] = {"refresh", r ? tget(r, "feed") : NULL};

	submit(a, J_REFRESH, 0, 0, r ? 2 : 1, v);
}

static void
start_prompt(struct tui *t, enum tprompt p, const char *init)
{
	t->prompt = p;
	sb_free(&t->input);
	sb_puts(&t->input, init);
}

/* A key while the prompt is open. */
static void
prompt_key(struct app *a, int rc, wint_t c)
{
	struct tui *t = &a->t;
	struct sb *in = &t->input;

	if (rc == OK && (c == '\r' || c == '\n')) {
		enum tprompt p = t->prompt;
		char *text = xstrdup(in->data ? in->data : "");

		t->prompt = TP_NONE;
		if (p == TP_SEARCH && *text) {
			free(t->query);
			t->query = text;
			text = NULL;
			if (t->view != TV_SEARCH)
				go(t, TV_SEARCH);
			t->search.loaded = 0;
			load_search(a);
		} else if (p == TP_LINK && *text) {
			open_inline(a, atoi(text));
		}
		free(text);
	} else if (rc == OK && (c == 27 || c == 7)) { /* Esc, Ctrl-G */
		t->prompt = TP_NONE;
	} else if ((rc == KEY_CODE_YES && c == KEY_BACKSPACE) ||
		   (rc == OK && (c == 127 || c == 8))) {
		while (in->len > 0 && ((unsigned char)in->data[--in->len] & 0xc0) == 0x80)
			;
		if (in->data)
			in->data[in->len] = '\0';
	} else if (rc == OK && c == 21) { /* Ctrl-U */
		in->len = 0;
		sb_add(in, "", 0);
	} else if (rc == OK && c >= 0x20 && c != 0x7f && (c < 0x80 || c >= 0xa0) && c <= 0x10ffff &&
		   (t->prompt != TP_LINK || (c >= '0' && c <= '9'))) {
		char u[8];
		mbstate_t st = {0};
		size_t k = wcrtomb(u, (wchar_t)c, &st);

		if (k != (size_t)-1 && in->len + k < 1000)
			sb_add(in, u, k);
	}
}

/* Keys of the story view only; 1 when taken. */
static int
story_key(struct app *a, int rc, wint_t c)
{
	struct tui *t = &a->t;
	int n = t->story.n ? (int)t->story.n - 1 : 0, f;

	if (t->view != TV_STORY)
		return 0;
	if (rc == OK && c >= '1' && c <= '9') {
		f = tdraw_focused_outlet(t);
		if (f >= 0 && (size_t)f < t->nbodies && t->bodies[f].nlinks > 9)
			start_prompt(t, TP_LINK, (char[]){(char)c, '\0'});
		else
			open_inline(a, (int)c - '0');
	} else if (rc == OK && c == 'v') {
		t->sbs = !t->sbs;
		t->scroll = 0;
	} else if ((rc == OK && c == 'h') || (rc == KEY_CODE_YES && c == KEY_LEFT)) {
		if (t->first_outlet > 0)
			t->first_outlet--;
	} else if ((rc == OK && c == 'l') || (rc == KEY_CODE_YES && c == KEY_RIGHT)) {
		if (t->sbs && t->first_outlet + 1 < n)
			t->first_outlet++;
	} else {
		return 0;
	}
	return 1;
}

static void
key(struct app *a, int rc, wint_t c)
{
	struct tui *t = &a->t;
	int page = tdraw_body_rows() / tdraw_row_height(t->view);

	t->msg[0] = '\0';
	if (rc == KEY_CODE_YES && c == KEY_RESIZE) {
		/* The terminal's old contents are whatever it made of them: paint all. */
		clearok(curscr, TRUE);
		return;
	}
	if (t->prompt != TP_NONE) {
		prompt_key(a, rc, c);
		return;
	}
	if (story_key(a, rc, c))
		return;
	if (rc == KEY_CODE_YES) {
		switch (c) {
		case KEY_DOWN: move_by(t, 1); break;
		case KEY_UP: move_by(t, -1); break;
		case KEY_NPAGE: move_by(t, page > 1 ? page - 1 : 1); break;
		case KEY_PPAGE: move_by(t, -(page > 1 ? page - 1 : 1)); break;
		case KEY_HOME: move_by(t, -1000000); break;
		case KEY_END: move_by(t, 1000000); break;
		case KEY_ENTER: enter(a); break;
		}
		return;
	}
	switch (c) {
	case 'q': back(a); break;
	case 'Q': a->quit = 1; break;
	case 'j': move_by(t, 1); break;
	case 'k': move_by(t, -1); break;
	case ' ': move_by(t, page > 1 ? page - 1 : 1); break;
	case 'b': move_by(t, -(page > 1 ? page - 1 : 1)); break;
	case 'g': move_by(t, -1000000); break;
	case 'G': move_by(t, 1000000); break;
	case '\r':
	case '\n': enter(a); break;
	case 'r':
	case 's': toggle(a, c == 's'); break;
	case 'n': next_unread(a); break;
	case 'o': open_link(a); break;
	case '/': start_prompt(t, TP_SEARCH, ""); break;
	case 'L': reload(a); break;
	case 12: clearok(curscr, TRUE); break; /* Ctrl-L */
	case 'R':
		if (t->view == TV_STORIES || t->view == TV_FEEDS)
			refresh_feeds(a);
		break;
	case 'a':
		if (t->view == TV_STORIES) {
			t->hide_read = !t->hide_read;
			load_stories(a);
		}
		break;
	case 'f':
		if (t->view == TV_STORIES || t->view == TV_SEARCH) {
			go(t, TV_FEEDS);
			load_feeds(a);
		}
		break;
	case '?':
		if (t->view != TV_HELP) {
			t->help_scroll = 0;
			go(t, TV_HELP);
		}
		break;
	}
}

/* ---- the loop ---- */

static void
tick(struct app *a)
{
	long long now = now_ms();
	int pending = tnet_pending(a->net);

	a->t.now = time(NULL);
	if (!pending)
		a->busy_since = 0;
	else if (a->busy_since == 0)
		a->busy_since = now;
	a->t.spinner = pending && now - a->busy_since >= SPIN_AFTER ? (int)(now / 100 % 4) : -1;
	if (a->t.down && a->retry_at && now >= a->retry_at && !pending) {
		a->retry_at = 0;
		reload(a);
	}
	if (a->reload_at && now >= a->reload_at) {
		a->reload_at = 0;
		if (a->t.view == TV_STORIES || a->t.view == TV_FEEDS)
			reload(a);
	}
}

/* How long poll() may sleep. */
static int
wait_ms(struct app *a)
{
	long long now = now_ms(), w = -1;

	if (tnet_pending(a->net))
		w = 100;
	if (a->t.down && a->retry_at)
		w = w < 0 || a->retry_at - now < w ? a->retry_at - now : w;
	if (a->reload_at)
		w = w < 0 || a->reload_at - now < w ? a->reload_at - now : w;
	return w < 0 ? -1 : w < 1 ? 1 : (int)w;
}

static void
loop(struct app *a)
{
	while (!a->quit && !quit_signal) {
		struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
				      {.fd = tnet_fd(a->net), .events = POLLIN}};
		wint_t c;
		int rc;

		tick(a);
		tdraw(&a->t);
		if (poll(p, 2, wait_ms(a)) < 0 && errno != EINTR)
			break;
		take_answers(a);
		while (!a->quit && (rc = get_wch(&c)) != ERR)
			key(a, rc, c);
		if (p[0].revents & (POLLHUP | POLLERR))
			break; /* the terminal went away */
	}
}

/* A UTF-8 locale for the terminal's characters: the user's, else C.UTF-8. */
static void
utf8_locale(void)
{
	setlocale(LC_CTYPE, "");
	if (strcasecmp(nl_langinfo(CODESET), "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");
}

static int
start_curses(struct tui *t, int color)
{
	const char *nc = getenv("NO_COLOR");

	if (newterm(NULL, stdout, stdin) == NULL) {
		fprintf(stderr, "herald tui: cannot use the terminal type '%s'\n",
			getenv("TERM") ? getenv("TERM") : "");
		return -1;
	}
	curses_on = 1;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(50);
	if (nc && *nc)
		color = 0;
	if (color != 0 && has_colors()) {
		tdraw_init_colors();
		t->color = 1;
	}
	return 0;
}

static void
app_free(struct app *a)
{
	struct tui *t = &a->t;

	response_free(&t->stories.resp);
	response_free(&t->feeds.resp);
	response_free(&t->search.resp);
	story_clear(t);
	tdraw_free_docs(t);
	sb_free(&t->input);
	free(t->feed);
	free(t->query);
}

int
tui_main(const struct tui_opts *o)
{
	struct app a = {0};
	char err[256], *tried = NULL, *path;
	int rc = 0;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "herald tui: needs a terminal (standard input and output)\n");
		return 2;
	}
	utf8_locale();
	path = wire_socket_path(o->socket, &tried);
	a.net = tnet_start(path, err, sizeof err);
	if (a.net == NULL) {
		fprintf(stderr, "herald tui: %s\n", err);
		rc = 1;
		goto out;
	}
	install_signals();
	if (start_curses(&a.t, o->color) < 0) {
		rc = 1;
		goto out;
	}
	a.t.spinner = -1;
	load_stories(&a);
	loop(&a);
	restore_terminal();
	if (quit_signal)
		rc = 128 + quit_signal;
out:
	tnet_stop(a.net);
	app_free(&a);
	free(path);
	free(tried);
	return rc;
}
