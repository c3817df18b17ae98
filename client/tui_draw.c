#include "tui_draw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textdoc.h"
#include "width.h"

#define ELLIPSIS    "\xe2\x80\xa6" /* U+2026, one cell */
#define VBAR        "\xe2\x94\x82" /* U+2502, one cell */
#define HLINE       "\xe2\x94\x80" /* U+2500, one cell */
#define NAMES_WIDTH 100            /* stories show outlet names from this width */

enum { CP_NONE, CP_STAR, CP_ERR, CP_LINK, CP_HEAD, CP_MATCH };

/* Views a key works in (bits of 1 << enum tview). */
#define V_LIST  ((1 << TV_STORIES) | (1 << TV_FEEDS) | (1 << TV_SEARCH))
#define V_ALL   0x1f
#define V_MARKS ((1 << TV_STORIES) | (1 << TV_STORY))

/* Every key, once: the help view and the hint line are drawn from here
 * (man herald and docs/tui.md say the same). hint: the short label shown in
 * the bottom line of the views in mask, or NULL. */
static const struct keyhelp {
	const char *keys, *what, *hint;
	unsigned views;
} keys[] = {
	{"q", "back; quit from the stories", "q:Back", V_ALL & ~(1 << TV_STORIES)},
	{"q", "quit", "q:Quit", 1 << TV_STORIES},
	{"Q", "quit from anywhere", NULL, V_ALL},
	{"?", "this help", "?:Help", V_ALL},
	{"j k, Down Up", "move (scroll in a story)", NULL, V_ALL},
	{"Space PgDn, b PgUp", "a page down, up", NULL, V_ALL},
	{"g G, Home End", "first, last", NULL, V_ALL},
	{"Enter", "open: a story, a feed's stories, a result's story", "Enter:Open", V_LIST},
	{"r", "toggle read (of the story)", "r:Read", V_MARKS},
	{"s", "toggle the star (the story's items)", "s:Star", V_MARKS},
	{"n", "next unread story (opens it in the story view)", "n:Next", V_MARKS},
	{"o", "open in the browser (in a story: the outlet in focus)", "o:Open",
	 (1 << TV_STORIES) | (1 << TV_STORY) | (1 << TV_SEARCH)},
	{"1-9", "in a story: open link [N] of the outlet in focus", NULL, 1 << TV_STORY},
	{"v", "in a story: outlets side by side or one after another", "v:View", 1 << TV_STORY},
	{"h l, Left Right", "side by side: the previous, next outlets", NULL, 1 << TV_STORY},
	{"a", "stories: show or hide the read ones (unread come first)", "a:All", 1 << TV_STORIES},
	{"/", "search (words, \"phrases\", OR, NOT, prefix*)", "/:Search", V_ALL},
	{"f", "the feeds: status, errors, unread", "f:Feeds", (1 << TV_STORIES) | (1 << TV_SEARCH)},
	{"R", "refresh: poll every feed now (feeds view: the feed)", "R:Refresh",
	 (1 << TV_STORIES) | (1 << TV_FEEDS)},
	{"L", "reload the view from the daemon", NULL, V_ALL},
	{"Ctrl-L", "redraw the screen", NULL, V_ALL},
};

const char *
tget(const struct record *r, const char *key)
{
	const char *v = r ? record_get(r, key) : NULL;

	return v ? v : "";
}

long long
tnum(const struct record *r, const char *key)
{
	return strtoll(tget(r, key), NULL, 10);
}

const char *
tdraw_age(long long t, time_t now, char *buf, size_t n)
{
	long long d = (long long)now - t;
	time_t tt = (time_t)t;
	struct tm tm, tn;

	if (t <= 0)
		snprintf(buf, n, "-");
	else if (d < 60)
		snprintf(buf, n, "now");
	else if (d < 3600)
		snprintf(buf, n, "%lldm", d / 60);
	else if (d < 86400)
		snprintf(buf, n, "%lldh", d / 3600);
	else if (d < 30 * 86400)
		snprintf(buf, n, "%lldd", d / 86400);
	else if (localtime_r(&tt, &tm) && localtime_r(&now, &tn) && tm.tm_year == tn.tm_year)
		strftime(buf, n, "%b %d", &tm);
	else
		snprintf(buf, n, "%d", tm.tm_year + 1900);
	return buf;
}

static attr_t
pair(const struct tui *t, int cp)
{
	return t->color && cp ? COLOR_PAIR(cp) : 0;
}

/* Draws s (n bytes, clean) at y,x in at most cols cells, an ellipsis at
 * the end when cut. The cells used. */
static int
put(int y, int x, const char *s, size_t n, int cols, attr_t a)
{
	size_t used, k;
	int cut = 0;

	if (cols <= 0)
		return 0;
	k = width_prefix(s, n, (size_t)cols, &used);
	if (k < n) {
		k = width_prefix(s, n, (size_t)cols - 1, &used);
		cut = 1;
	}
	attron(a);
	mvaddnstr(y, x, s, (int)k);
	if (cut)
		addstr(ELLIPSIS);
	attroff(a);
	return (int)used + cut;
}

static int
puts_at(int y, int x, const char *s, int cols, attr_t a)
{
	return put(y, x, s, strlen(s), cols, a);
}

int
tdraw_body_rows(void)
{
	return LINES - 3 > 0 ? LINES - 3 : 0;
}

int
tdraw_row_height(enum tview v)
{
	return v == TV_SEARCH ? 2 : 1;
}

/* ---- the story, laid out ---- */

static void
doc_add(struct tdoc *d, const char *s, size_t n, int attr, int outlet)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->l = xrealloc(d->l, (size_t)d->cap * sizeof *d->l);
	}
	d->l[d->n].s = xstrndup(s, n);
	d->l[d->n].attr = attr;
	d->l[d->n].outlet = outlet;
	d->n++;
}

static void
doc_wrap(struct tdoc *d, const char *s, int width, int attr, int outlet)
{
	struct width_lines l = {0};

	width_wrap(&l, s, strlen(s), (size_t)(width > 0 ? width : 1), NULL);
	for (size_t i = 0; i < l.n; i++)
		doc_add(d, l.v[i], strlen(l.v[i]), attr, outlet);
	width_lines_free(&l);
}

/* One outlet: "(N/M) Feed · 2h · unread", its title, its link, its text
 * (from its HTML, links numbered [1], [2]... and listed under it). */
static void
doc_outlet(struct tui *t, struct tdoc *d, int i, int width)
{
	const struct record *r = &t->story.r[i + 1];
	const struct textdoc *body =
		(size_t)i < t->nbodies && t->bodies[i].text.len ? &t->bodies[i] : NULL;
	char age[32];
	struct sb b = {0};

	sb_printf(&b, "(%d/%d) %s \xc2\xb7 %s%s%s", i + 1, (int)t->story.n - 1,
		  *tget(r, "feed_name") ? tget(r, "feed_name") : tget(r, "feed"),
		  tdraw_age(tnum(r, "time"), t->now, age, sizeof age),
		  tnum(r, "read") ? "" : " \xc2\xb7 unread",
		  tnum(r, "starred") ? " \xc2\xb7 *" : "");
	doc_wrap(d, b.data, width, TA_HEAD, i);
	doc_wrap(d, tget(r, "title"), width, TA_TITLE, i);
	if (*tget(r, "link")) { /* one line: the message line shows it whole */
		b.len = 0;
		width_fit(&b, tget(r, "link"), (size_t)width, 0);
		doc_add(d, b.data ? b.data : "", b.len, TA_LINK, i);
	}
	if (body || *tget(r, "text")) {
		doc_add(d, "", 0, TA_TEXT, i);
		doc_wrap(d, body ? body->text.data : tget(r, "text"), width, TA_TEXT, i);
	}
	if (body && body->nlinks) {
		doc_add(d, "", 0, TA_TEXT, i);
		for (size_t k = 0; k < body->nlinks; k++) {
			b.len = 0;
			sb_printf(&b, "[%zu] ", k + 1);
			width_clean(&b, body->links[k], strlen(body->links[k]));
			doc_wrap(d, b.data, width, TA_LINK, i);
		}
	}
	doc_add(d, "", 0, TA_TEXT, i);
	sb_free(&b);
}

void
tdraw_free_docs(struct tui *t)
{
	for (int k = 0; k < t->ndocs; k++) {
		for (int i = 0; i < t->docs[k].n; i++)
			free(t->docs[k].l[i].s);
		free(t->docs[k].l);
	}
	free(t->docs);
	t->docs = NULL;
	t->ndocs = 0;
}

static int
noutlets(const struct tui *t)
{
	return t->story.n > 0 ? (int)t->story.n - 1 : 0;
}

/* Columns side by side at this width (1 when they do not fit). */
static int
ncolumns(const struct tui *t)
{
	int k = (COLS + 1) / (TUI_MIN_COLUMN + 1);

	if (k > noutlets(t))
		k = noutlets(t);
	return k < 1 ? 1 : k;
}

static int
column_width(const struct tui *t)
{
	int k = ncolumns(t);

	return (COLS - (k - 1)) / k;
}

void
tdraw_layout_story(struct tui *t)
{
	int width = t->sbs ? column_width(t) : COLS;

	if (t->docs && t->doc_width == width && t->doc_sbs == t->sbs && t->doc_story == t->story_id)
		return;
	tdraw_free_docs(t);
	if (!t->story_loaded || t->story.n == 0)
		return;
	t->doc_width = width;
	t->doc_sbs = t->sbs;
	t->doc_story = t->story_id;
	if (t->sbs) {
		t->ndocs = noutlets(t);
		t->docs = xmalloc((size_t)(t->ndocs ? t->ndocs : 1) * sizeof *t->docs);
		memset(t->docs, 0, (size_t)(t->ndocs ? t->ndocs : 1) * sizeof *t->docs);
		for (int i = 0; i < t->ndocs; i++)
			doc_outlet(t, &t->docs[i], i, width);
	} else {
		const struct record *s = &t->story.r[0];
		char age[32], meta[256];

		t->ndocs = 1;
		t->docs = xmalloc(sizeof *t->docs);
		memset(t->docs, 0, sizeof *t->docs);
		doc_wrap(&t->docs[0], tget(s, "title"), width, TA_TITLE, -1);
		snprintf(meta, sizeof meta, "%lld outlet%s \xc2\xb7 %lld item%s \xc2\xb7 %s%s",
			 tnum(s, "outlets"), tnum(s, "outlets") == 1 ? "" : "s", tnum(s, "items"),
			 tnum(s, "items") == 1 ? "" : "s",
			 tdraw_age(tnum(s, "last_seen"), t->now, age, sizeof age),
			 tnum(s, "starred") ? " \xc2\xb7 starred" : "");
		doc_wrap(&t->docs[0], meta, width, TA_META, -1);
		doc_add(&t->docs[0], "", 0, TA_TEXT, -1);
		for (int i = 0; i < noutlets(t); i++)
			doc_outlet(t, &t->docs[0], i, width);
	}
}

/* Rows the story view's text has: the side-by-side header takes three. */
static int
story_rows(const struct tui *t)
{
	int h = tdraw_body_rows() - (t->sbs ? 3 : 0);

	return h > 1 ? h : 1;
}

int
tdraw_story_max_scroll(struct tui *t)
{
	int longest = 0;

	tdraw_layout_story(t);
	for (int k = 0; k < t->ndocs; k++)
		if (t->docs[k].n > longest)
			longest = t->docs[k].n;
	return longest > story_rows(t) ? longest - story_rows(t) : 0;
}

int
tdraw_focused_outlet(struct tui *t)
{
	tdraw_layout_story(t);
	if (t->sbs || t->ndocs == 0)
		return t->first_outlet;
	for (int i = t->scroll; i < t->docs[0].n; i++)
		if (t->docs[0].l[i].outlet >= 0)
			return t->docs[0].l[i].outlet;
	return 0;
}

static attr_t
line_attr(const struct tui *t, int a)
{
	switch (a) {
	case TA_TITLE: return A_BOLD;
	case TA_HEAD: return pair(t, CP_HEAD) | (t->color ? 0 : A_UNDERLINE);
	case TA_META: return A_DIM;
	case TA_LINK: return pair(t, CP_LINK);
	default: return 0;
	}
}

static void
draw_doc(struct tui *t, const struct tdoc *d, int y0, int x, int width, int rows)
{
	for (int i = 0; i < rows && t->scroll + i < d->n; i++) {
		const struct tline *l = &d->l[t->scroll + i];

		puts_at(y0 + i, x, l->s, width, line_attr(t, l->attr));
	}
}

static void
draw_story(struct tui *t)
{
	int rows = story_rows(t), k, w;
	const struct record *s;

	if (!t->story_loaded || t->story.n == 0) {
		puts_at(1, 0, t->story_loaded ? "(this story is gone)" : "loading...", COLS, A_DIM);
		return;
	}
	tdraw_layout_story(t);
	if (!t->sbs) {
		draw_doc(t, &t->docs[0], 1, 0, COLS, rows);
		return;
	}
	s = &t->story.r[0];
	k = ncolumns(t);
	w = column_width(t);
	if (t->first_outlet > noutlets(t) - k)
		t->first_outlet = noutlets(t) - k > 0 ? noutlets(t) - k : 0;
	puts_at(1, 0, tget(s, "title"), COLS, A_BOLD);
	{
		char meta[160];

		snprintf(meta, sizeof meta, "outlets %d-%d of %d side by side%s",
			 t->first_outlet + 1, t->first_outlet + k, noutlets(t),
			 noutlets(t) > k ? " (h/l: more)" : "");
		puts_at(2, 0, meta, COLS, A_DIM);
	}
	for (int c = 0; c < k && t->first_outlet + c < t->ndocs; c++) {
		int x = c * (w + 1);

		draw_doc(t, &t->docs[t->first_outlet + c], 4, x, w, rows);
		if (c > 0)
			for (int y = 3; y < 4 + rows; y++)
				mvaddstr(y, x - 1, VBAR);
	}
	for (int x = 0; x < COLS; x++)
		mvaddstr(3, x, HLINE);
}

/* ---- the lists ---- */

/* The distinct outlet names of a story, "BBC, NYT, +2" style, in b. */
static void
outlet_names(const struct record *r, struct sb *b)
{
	const char *seen[100];
	int n = 0;

	sb_add(b, "", 0);
	for (size_t i = 0; i < r->n && n < 100; i++) {
		const struct field *f = &r->f[i];
		const char *name;
		int dup = 0;

		if (strcmp(f->key, "outlet") != 0 || f->nparts < 3)
			continue;
		name = *f->parts[2] ? f->parts[2] : f->parts[1];
		for (int j = 0; j < n; j++)
			dup |= strcmp(seen[j], name) == 0;
		if (dup)
			continue;
		seen[n++] = name;
		sb_printf(b, "%s%s", b->len ? ", " : "", name);
	}
}

static void
draw_story_row(struct tui *t, const struct record *r, int y)
{
	const char *state = tget(r, "state");
	char age[32], right[64];
	int rw, nw = COLS >= NAMES_WIDTH ? 30 : 0, unread = strcmp(state, "read") != 0;

	if (tnum(r, "starred"))
		puts_at(y, 0, "*", 1, pair(t, CP_STAR) | A_BOLD);
	puts_at(y, 1,
		strcmp(state, "new") == 0       ? "N"
		: strcmp(state, "updated") == 0 ? "U"
						: " ",
		1, A_BOLD);
	snprintf(right, sizeof right, " %3lld %6s", tnum(r, "outlets"),
		 tdraw_age(tnum(r, "last_seen"), t->now, age, sizeof age));
	rw = (int)width_str(right);
	if (COLS < 3 + rw + 1)
		rw = 0;
	puts_at(y, 3, tget(r, "title"), COLS - 3 - rw - nw, unread ? A_BOLD : 0);
	if (nw) {
		struct sb names = {0};

		outlet_names(r, &names);
		puts_at(y, COLS - rw - nw + 2, names.data, nw - 2, A_DIM);
		sb_free(&names);
	}
	if (rw)
		puts_at(y, COLS - rw, right, rw, 0);
}

static void
draw_feed_row(struct tui *t, const struct record *r, int y)
{
	const char *status = tget(r, "status"), *err = tget(r, "error");
	char age[32], right[96];
	int rw, bad = *err || strcmp(status, "error") == 0 || tnum(r, "failures") > 0;

	snprintf(right, sizeof right, " %5s %4lld/%-5lld %6s", status, tnum(r, "unread"),
		 tnum(r, "items"), tdraw_age(tnum(r, "last_poll"), t->now, age, sizeof age));
	rw = (int)width_str(right);
	puts_at(y, 0, bad ? "!" : " ", 1, pair(t, CP_ERR) | A_BOLD);
	puts_at(y, 2, *tget(r, "name") ? tget(r, "name") : tget(r, "feed"), COLS - 2 - rw,
		tnum(r, "unread") ? A_BOLD : 0);
	if (COLS - rw >= 2)
		puts_at(y, COLS - rw, right, rw, bad ? pair(t, CP_ERR) : 0);
}

/* A snippet with its matches (between [ and ]) highlighted. */
static void
draw_snippet(struct tui *t, const char *s, int y, int x, int cols)
{
	int used = 0, on = 0;
	const char *p = s;

	while (*p && used < cols) {
		size_t n = strcspn(p, on ? "]" : "[");

		used += put(y, x + used, p, n, cols - used, on ? (pair(t, CP_MATCH) | A_BOLD) : 0);
		p += n;
		if (*p) {
			on = !on;
			p++;
		}
	}
}

static void
draw_search_row(struct tui *t, const struct record *r, int y)
{
	char age[32], right[160];
	int rw;

	snprintf(right, sizeof right, " %.60s %6s",
		 *tget(r, "feed_name") ? tget(r, "feed_name") : tget(r, "feed"),
		 tdraw_age(tnum(r, "time"), t->now, age, sizeof age));
	rw = (int)width_str(right);
	if (rw > COLS / 2)
		rw = COLS / 2;
	puts_at(y, 1, tget(r, "title"), COLS - 1 - rw, tnum(r, "read") ? 0 : A_BOLD);
	puts_at(y, COLS - rw, right, rw, A_DIM);
	draw_snippet(t, tget(r, "snippet"), y + 1, 3, COLS - 3);
}

static struct tlist *
view_list(struct tui *t)
{
	switch (t->view) {
	case TV_STORIES: return &t->stories;
	case TV_FEEDS: return &t->feeds;
	case TV_SEARCH: return &t->search;
	default: return NULL;
	}
}

static void
draw_list(struct tui *t)
{
	struct tlist *l = view_list(t);
	int rh = tdraw_row_height(t->view), per = tdraw_body_rows() / rh;

	if (per < 1)
		per = 1;
	if (!l->loaded) {
		puts_at(1, 0, "loading...", COLS, A_DIM);
		return;
	}
	if (l->resp.n == 0) {
		puts_at(1, 0,
			t->view == TV_SEARCH      ? "nothing matches"
			: t->view == TV_FEEDS     ? "no feeds: add one with herald add URL"
			: t->hide_read || t->feed ? "no unread story (a: show the read ones)"
						  : "no story yet",
			COLS, A_DIM);
		return;
	}
	if (l->cur >= (int)l->resp.n)
		l->cur = (int)l->resp.n - 1;
	if (l->cur < 0)
		l->cur = 0;
	if (l->cur < l->top)
		l->top = l->cur;
	if (l->cur >= l->top + per)
		l->top = l->cur - per + 1;
	for (int i = 0; i < per && l->top + i < (int)l->resp.n; i++) {
		const struct record *r = &l->resp.r[l->top + i];
		int y = 1 + i * rh, sel = l->top + i == l->cur;

		/* The cursor's row in reverse video, its colours kept. */
		if (sel) {
			attron(A_REVERSE);
			for (int k = 0; k < rh; k++)
				mvhline(y + k, 0, ' ', COLS);
		}
		if (t->view == TV_STORIES)
			draw_story_row(t, r, y);
		else if (t->view == TV_FEEDS)
			draw_feed_row(t, r, y);
		else
			draw_search_row(t, r, y);
		attroff(A_REVERSE);
	}
}

/* ---- help ---- */

int
tdraw_help_lines(void)
{
	return (int)(sizeof keys / sizeof *keys) + 4;
}

static void
draw_help(struct tui *t)
{
	int rows = tdraw_body_rows(), kw = 20;
	static const char *const legend[] = {
		"Stories: N new, U updated (a new outlet joined), * starred;",
		"the number is how many outlets told the story.",
		"",
	};
	int nlegend = 3, total = tdraw_help_lines();

	if (COLS < 60)
		kw = 12;
	if (t->help_scroll > total - rows)
		t->help_scroll = total - rows > 0 ? total - rows : 0;
	for (int i = 0; i < rows; i++) {
		int k = t->help_scroll + i, y = 1 + i;

		if (k < nlegend) {
			puts_at(y, 0, legend[k], COLS, A_DIM);
		} else if (k - nlegend < (int)(sizeof keys / sizeof *keys)) {
			const struct keyhelp *h = &keys[k - nlegend];

			puts_at(y, 0, h->keys, kw - 1, A_BOLD);
			puts_at(y, kw, h->what, COLS - kw, 0);
		}
	}
}

/* ---- bars ---- */

static const char *
view_title(struct tui *t, char *buf, size_t n)
{
	int unread = 0;

	switch (t->view) {
	case TV_STORIES:
		for (size_t i = 0; i < t->stories.resp.n; i++)
			unread += strcmp(tget(&t->stories.resp.r[i], "state"), "read") != 0;
		snprintf(buf, n, "herald: %s%sstories, %d unread%s", t->feed ? t->feed : "",
			 t->feed ? " " : "", unread, t->hide_read ? " (read ones hidden)" : "");
		break;
	case TV_STORY: snprintf(buf, n, "herald: story %lld", t->story_id); break;
	case TV_FEEDS:
		snprintf(buf, n, "herald: %zu feeds (status, unread/items, last poll)",
			 t->feeds.resp.n);
		break;
	case TV_SEARCH:
		snprintf(buf, n, "herald: search %s (%zu)", t->query ? t->query : "",
			 t->search.resp.n);
		break;
	case TV_HELP: snprintf(buf, n, "herald: keys"); break;
	}
	return buf;
}

static void
draw_title(struct tui *t)
{
	static const char spin[] = "|/-\\";
	char buf[512], right[64] = "";
	int rw;

	if (t->down)
		snprintf(right, sizeof right, " offline ");
	else if (t->spinner >= 0)
		snprintf(right, sizeof right, " %c ", spin[t->spinner % 4]);
	rw = (int)strlen(right);
	attron(A_REVERSE);
	mvhline(0, 0, ' ', COLS);
	attroff(A_REVERSE);
	puts_at(0, 0, view_title(t, buf, sizeof buf), COLS - rw, A_REVERSE | A_BOLD);
	if (rw && COLS > rw)
		puts_at(0, COLS - rw, right, rw, A_REVERSE | (t->down ? pair(t, CP_ERR) : 0));
}

/* The message line: the last message, else what the cursor is on. */
static void
draw_status(struct tui *t)
{
	const char *s = t->msg;
	attr_t a = t->msg_err ? pair(t, CP_ERR) | A_BOLD : 0;

	if (t->prompt != TP_NONE) {
		const char *label = t->prompt == TP_SEARCH ? "/" : "open link number: ";
		int lw = puts_at(LINES - 2, 0, label, COLS, A_BOLD);
		const char *in = t->input.data ? t->input.data : "";
		size_t n = strlen(in), w = width_of(in, n);

		/* The end of a long input stays in sight. */
		while (w > 0 && (int)w >= COLS - lw) {
			int cells;
			size_t k = width_cluster(in, n, &cells);

			w -= (size_t)cells;
			in += k, n -= k;
		}
		put(LINES - 2, lw, in, n, COLS - lw, 0);
		return;
	}
	if (!*s && t->view == TV_STORY && t->story.n > 1) {
		int f = tdraw_focused_outlet(t);

		if (f >= 0 && f + 1 < (int)t->story.n) {
			char buf[300];

			snprintf(buf, sizeof buf, "o: %s", tget(&t->story.r[f + 1], "link"));
			puts_at(LINES - 2, 0, buf, COLS, A_DIM);
			return;
		}
	}
	if (!*s && t->view == TV_FEEDS && t->feeds.cur < (int)t->feeds.resp.n) {
		s = tget(&t->feeds.resp.r[t->feeds.cur], "error");
		a = pair(t, CP_ERR);
	}
	puts_at(LINES - 2, 0, s, COLS, a);
}

static void
draw_hints(struct tui *t)
{
	int x = 0;

	attron(A_REVERSE);
	mvhline(LINES - 1, 0, ' ', COLS);
	attroff(A_REVERSE);
	for (size_t i = 0; i < sizeof keys / sizeof *keys && x < COLS; i++) {
		const char *h = keys[i].hint;

		if (h == NULL || !(keys[i].views & (1u << t->view)))
			continue;
		if (x + (int)strlen(h) > COLS)
			break; /* whole hints only; ? shows them all */
		x += puts_at(LINES - 1, x, h, COLS - x, A_REVERSE);
		x++;
	}
}

void
tdraw(struct tui *t)
{
	erase();
	if (LINES < 5 || COLS < 10) {
		puts_at(0, 0, "herald: the terminal is too small", COLS, A_BOLD);
		refresh();
		return;
	}
	draw_title(t);
	switch (t->view) {
	case TV_STORY: draw_story(t); break;
	case TV_HELP: draw_help(t); break;
	default: draw_list(t); break;
	}
	draw_status(t);
	draw_hints(t);
	if (t->prompt != TP_NONE) {
		curs_set(1);
	} else {
		curs_set(0);
		move(LINES - 1, COLS - 1);
	}
	refresh();
}

void
tdraw_init_colors(void)
{
	start_color();
	use_default_colors();
	init_pair(CP_STAR, COLOR_YELLOW, -1);
	init_pair(CP_ERR, COLOR_RED, -1);
	init_pair(CP_LINK, COLOR_CYAN, -1);
	init_pair(CP_HEAD, COLOR_GREEN, -1);
	init_pair(CP_MATCH, COLOR_BLACK, COLOR_YELLOW);
}
