#include "render.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "herald/protocol.h"
#include "textdoc.h"
#include "width.h"

#define C_BOLD   "\033[1m"
#define C_DIM    "\033[2m"
#define C_RED    "\033[31m"
#define C_GREEN  "\033[32m"
#define C_YELLOW "\033[33m"
#define C_CYAN   "\033[36m"
#define C_RESET  "\033[0m"

/* ---- JSON ---- */

/* JSON types go by key, never by the look of a value: a feed whose id is
 * "2024" is a string like "bbc", a title "1984" is a string. Numbers are
 * the keys in int_keys (story and item ids, counts, Unix times), booleans
 * those in bool_keys, "rank" a decimal; every other key (feed ids, names,
 * titles, tags, URLs, status, ...) is a string. */
enum ftype { T_STR, T_INT, T_BOOL, T_NUM, T_OUTLET };

/* Repeated keys that become arrays, per record kind. */
struct listkey {
	const char *kind, *key, *name;
	enum ftype type; /* of each element */
};

static const struct listkey listkeys[] = {
	{"story", "outlet", "outlets", T_OUTLET}, {"story", "tag", "tags", T_STR},
	{"story", "feed", "feeds", T_STR},        {"feed", "tag", "tags", T_STR},
	{"item", "tag", "tags", T_STR},
};

static const char *const int_keys[] = {
	"story",   "item",      "import",  "first_seen", "last_seen", "items",     "unread",
	"outlets", "published", "time",    "interval",   "last_poll", "next_poll", "failures",
	"marked",  "protocol",  "updated", "count",      NULL,
};
static const char *const bool_keys[] = {"starred", "read", "digested", "active", NULL};

static int
in_list(const char *const *list, const char *key)
{
	for (; *list; list++)
		if (strcmp(*list, key) == 0)
			return 1;
	return 0;
}

static enum ftype
key_type(const char *kind, const char *key)
{
	/* A stats record is counts ("starred" too), after its kind. */
	if (strcmp(kind, "stats") == 0)
		return strcmp(key, "stats") == 0 ? T_STR : T_INT;
	/* So is a purge record, after "done" or "dry-run". */
	if (strcmp(kind, "purge") == 0)
		return strcmp(key, "purge") == 0 ? T_STR : T_INT;
	if (in_list(bool_keys, key))
		return T_BOOL;
	if (in_list(int_keys, key))
		return T_INT;
	if (strcmp(key, "rank") == 0)
		return T_NUM;
	return T_STR;
}

static int
is_int(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '\0' || (*s == '0' && s[1] != '\0'))
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* A value of type t; one that does not look the part (an empty count)
 * is written as a string rather than as broken JSON. */
static void
json_value(struct sb *b, const struct field *f, enum ftype t)
{
	if (t == T_INT && is_int(f->value)) {
		sb_puts(b, f->value);
	} else if (t == T_BOOL && (strcmp(f->value, "0") == 0 || strcmp(f->value, "1") == 0)) {
		sb_puts(b, f->value[0] == '1' ? "true" : "false");
	} else if (t == T_NUM) {
		char *end;
		double d;

		errno = 0;
		d = strtod(f->value, &end);
		if (*f->value && *end == '\0' && !errno && isfinite(d))
			sb_printf(b, "%.10g", d);
		else
			json_string(b, f->value, f->len);
	} else {
		json_string(b, f->value, f->len);
	}
}

/* Part i of a tuple field ("" when missing). */
static const char *
part(const struct field *f, size_t i)
{
	if (f->parts)
		return i < f->nparts ? f->parts[i] : "";
	return i == 0 ? f->value : "";
}

/* ITEM<TAB>FEED<TAB>NAME<TAB>TITLE<TAB>LINK as an object: the item id
 * is a number, the rest (the feed's id included) strings. */
static void
json_outlet(struct sb *b, const struct field *f)
{
	static const char *const names[HERALD_OUTLET_FIELDS] = {"item", "feed", "name", "title",
								"link"};

	sb_putc(b, '{');
	for (size_t i = 0; i < HERALD_OUTLET_FIELDS; i++) {
		const char *v = part(f, i);

		sb_printf(b, "%s\"%s\":", i ? "," : "", names[i]);
		if (i == 0 && is_int(v))
			sb_puts(b, v);
		else
			json_string(b, v, strlen(v));
	}
	sb_putc(b, '}');
}

static const struct listkey *
find_listkey(const char *kind, const char *key)
{
	for (size_t i = 0; i < sizeof listkeys / sizeof *listkeys; i++)
		if (strcmp(listkeys[i].kind, kind) == 0 && strcmp(listkeys[i].key, key) == 0)
			return &listkeys[i];
	return NULL;
}

/* Whether key is also the JSON name of one of kind's arrays. */
static int
list_name_taken(const char *kind, const char *key)
{
	for (size_t i = 0; i < sizeof listkeys / sizeof *listkeys; i++)
		if (strcmp(listkeys[i].kind, kind) == 0 && strcmp(listkeys[i].name, key) == 0)
			return 1;
	return 0;
}

static int
seen_before(const struct record *r, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(r->f[j].key, r->f[i].key) == 0)
			return 1;
	return 0;
}

/* The record's object without its closing brace. */
static void
json_record_open(struct sb *b, const struct record *r)
{
	const char *kind = r->n ? r->f[0].key : "";
	int idkind = !strcmp(kind, "story") || !strcmp(kind, "item") || !strcmp(kind, "feed") ||
		     !strcmp(kind, "import");
	int first = 1;

	sb_putc(b, '{');
	for (size_t i = 0; i < r->n; i++) {
		const struct field *f = &r->f[i];

		if (find_listkey(kind, f->key) && i > 0)
			continue;
		if (seen_before(r, i))
			continue;
		sb_puts(b, first ? "" : ",");
		first = 0;
		if (i == 0 && idkind) {
			sb_puts(b, "\"id\"");
		} else if (list_name_taken(kind, f->key)) {
			/* The story's "outlets" count: the name belongs to the array. */
			sb_printf(b, "\"%s_count\"", f->key);
		} else {
			json_string(b, f->key, strlen(f->key));
		}
		sb_putc(b, ':');
		json_value(b, f, key_type(kind, f->key));
	}
	for (size_t k = 0; k < sizeof listkeys / sizeof *listkeys; k++) {
		const struct listkey *lk = &listkeys[k];
		int n = 0;

		if (strcmp(lk->kind, kind) != 0)
			continue;
		sb_printf(b, "%s\"%s\":[", first ? "" : ",", lk->name);
		first = 0;
		for (size_t i = 1; i < r->n; i++) {
			if (strcmp(r->f[i].key, lk->key) != 0)
				continue;
			sb_puts(b, n++ ? "," : "");
			if (lk->type == T_OUTLET)
				json_outlet(b, &r->f[i]);
			else
				json_value(b, &r->f[i], lk->type);
		}
		sb_putc(b, ']');
	}
}

void
render_json(const struct response *resp, enum shape shape, struct sb *out)
{
	if (shape == SHAPE_ARRAY) {
		sb_putc(out, '[');
		for (size_t i = 0; i < resp->n; i++) {
			sb_puts(out, i ? "," : "");
			json_record_open(out, &resp->r[i]);
			sb_putc(out, '}');
		}
		sb_puts(out, "]\n");
		return;
	}
	if (resp->n == 0) {
		sb_puts(out, shape == SHAPE_ACTION ? "{\"ok\":true}\n" : "{}\n");
		return;
	}
	json_record_open(out, &resp->r[0]);
	if (resp->n > 1) {
		sb_puts(out, resp->r[0].n ? ",\"entries\":[" : "\"entries\":[");
		for (size_t i = 1; i < resp->n; i++) {
			sb_puts(out, i > 1 ? "," : "");
			json_record_open(out, &resp->r[i]);
			sb_putc(out, '}');
		}
		sb_putc(out, ']');
	}
	sb_puts(out, "}\n");
}

/* ---- people ---- */

const char *
reltime(long long t, time_t now, char *buf, size_t n)
{
	long long d = (long long)now - t;
	const char *fmt = d < 0 ? "in %lld%c" : "%lld%c ago";
	long long a = d < 0 ? -d : d;

	if (t <= 0)
		snprintf(buf, n, "never");
	else if (a < 60)
		snprintf(buf, n, d < 0 ? "in %llds" : "just now", a);
	else if (a < 3600)
		snprintf(buf, n, fmt, a / 60, 'm');
	else if (a < 86400)
		snprintf(buf, n, fmt, a / 3600, 'h');
	else if (a < 30 * 86400)
		snprintf(buf, n, fmt, a / 86400, 'd');
	else {
		time_t tt = (time_t)t;
		struct tm tm;

		if (localtime_r(&tt, &tm) == NULL || strftime(buf, n, "%Y-%m-%d", &tm) == 0)
			snprintf(buf, n, "@%lld", t);
	}
	return buf;
}

static long long
num(const struct record *r, const char *key)
{
	const char *v = record_get(r, key);

	return v ? strtoll(v, NULL, 10) : 0;
}

static const char *
str(const struct record *r, const char *key)
{
	const char *v = record_get(r, key);

	return v ? v : "";
}

/* An item's age: its published time, else its time (when the daemon first
 * saw it; search records carry only "time"). */
static long long
item_time(const struct record *r)
{
	long long t = num(r, "published");

	return t > 0 ? t : num(r, "time");
}

static const char *
col(const struct render_opts *o, const char *code)
{
	return o->color ? code : "";
}

/* ---- layout helpers ---- */

/* Writes what b holds (maybe nothing: b->data NULL). */
static void
put_sb(const struct sb *b, FILE *fp)
{
	if (b->len)
		fwrite(b->data, 1, b->len, fp);
}

/* Appends s (as data: cleaned of controls) fitted to cols cells. */
static size_t
put_fit(struct sb *b, const char *s, size_t cols, int pad)
{
	struct sb c = {0};
	size_t w;

	width_clean(&c, s, strlen(s));
	w = width_fit(b, sb_str(&c), cols, pad);
	sb_free(&c);
	return w;
}

/* Appends s (as data) on one line, whole. */
static void
put_clean(struct sb *b, const char *s)
{
	width_clean(b, s, strlen(s));
}

/* A field for tab-separated output: controls and TABs cleaned. */
static void
put_tsv(struct sb *b, const char *s, int last)
{
	put_clean(b, s);
	sb_putc(b, last ? '\n' : '\t');
}

/* Unix seconds as 2026-11-20T14:05:00Z (UTC), "" for 0: stable for scripts. */
static const char *
iso_time(long long t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		buf[0] = '\0';
	return buf;
}

void
render_id(char kind, const char *id, char *buf, size_t n)
{
	snprintf(buf, n, "%c%s", kind, id);
}

static size_t
id_width(const struct response *resp)
{
	size_t w = 2;

	for (size_t i = 0; i < resp->n; i++)
		if (resp->r[i].n && strlen(resp->r[i].f[0].value) + 1 > w)
			w = strlen(resp->r[i].f[0].value) + 1;
	return w;
}

/* Distinct outlet names of a story: "nyt, bbc, guardian +2". */
static void
outlet_summary(const struct record *r, struct sb *b, int all)
{
	const char *names[64];
	size_t n = 0, shown = 0, j;

	for (size_t i = 0; i < r->n; i++) {
		const char *name;

		if (strcmp(r->f[i].key, "outlet") != 0 || !*(name = part(&r->f[i], 2)))
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(names[j], name) == 0)
				break;
		if (j < n || n == sizeof names / sizeof *names)
			continue;
		names[n++] = name;
		if (all || shown < 3) {
			sb_puts(b, shown ? (all ? "," : ", ") : "");
			sb_puts(b, name);
			shown++;
		}
	}
	if (n > shown)
		sb_printf(b, " +%zu", n - shown);
}

static const char *
state_color(const struct render_opts *o, const char *state)
{
	if (strcmp(state, "new") == 0)
		return col(o, C_BOLD C_GREEN);
	if (strcmp(state, "updated") == 0)
		return col(o, C_YELLOW);
	return col(o, C_DIM);
}

/* The left columns every listing line starts with: the id (kind-prefixed,
 * right-aligned in idw cells), the star and a state word (sw cells). */
static void
put_head(struct sb *b, char kind, const char *id, size_t idw, int star, const char *state,
	 size_t sw, const struct render_opts *o)
{
	char idb[32];

	render_id(kind, id, idb, sizeof idb);
	sb_puts(b, col(o, C_CYAN));
	width_rpad(b, idb, idw);
	sb_printf(b, "%s %s%s%s %s", col(o, C_RESET), col(o, C_YELLOW), star ? "*" : " ",
		  col(o, C_RESET), state_color(o, state));
	width_fit(b, state, sw, 1);
	sb_printf(b, "%s ", col(o, C_RESET));
}

/* Cells left for the middle of a line of width o->width once left and
 * right cells are taken: at least 1. */
static size_t
room(const struct render_opts *o, size_t left, size_t right)
{
	return (size_t)o->width > left + right + 1 ? (size_t)o->width - left - right : 1;
}

#define WHEN_CELLS 8 /* "just now", "in 59m", "2026-11-20" cut, "59m ago" */

/* "  " and the time right-aligned: the state column never touches it. */
static void
put_when(struct sb *b, long long t, const struct render_opts *o)
{
	char when[32];

	reltime(t, o->now, when, sizeof when);
	sb_printf(b, "  %s", col(o, C_DIM));
	width_rpad(b, when, WHEN_CELLS);
	sb_puts(b, col(o, C_RESET));
}

static void
flush_line(struct sb *b, FILE *fp)
{
	sb_putc(b, '\n');
	put_sb(b, fp);
	b->len = 0;
}

/* ---- stories ---- */

static void
render_stories_tsv(const struct response *resp, FILE *fp)
{
	struct sb b = {0};
	char t[32], id[32];

	for (size_t i = 0; i < resp->n; i++) {
		const struct record *r = &resp->r[i];
		struct sb outl = {0};

		outlet_summary(r, &outl, 1);
		render_id('s', r->f[0].value, id, sizeof id);
		put_tsv(&b, id, 0);
		put_tsv(&b, str(r, "state"), 0);
		put_tsv(&b, num(r, "starred") ? "starred" : "-", 0);
		put_tsv(&b, iso_time(num(r, "last_seen"), t, sizeof t), 0);
		sb_printf(&b, "%lld\t", num(r, "items"));
		put_tsv(&b, str(r, "title"), 0);
		put_tsv(&b, sb_str(&outl), 1);
		sb_free(&outl);
	}
	put_sb(&b, fp);
	sb_free(&b);
}

/* id * state  title…  (outlets)  when: exactly o->width cells. */
static void
render_stories(const struct response *resp, const struct render_opts *o, FILE *fp)
{
	size_t idw = id_width(resp), left = idw + 3 + 8, right = 2 + WHEN_CELLS, mid, ow = 0,
	       tw = 0;
	struct sb b = {0};

	if (o->width == 0) {
		render_stories_tsv(resp, fp);
		return;
	}
	mid = room(o, left, right);
	/* One outlet column for the whole list, so that titles and outlets
	 * align: as wide as the widest "(outlets)", but no wider than what
	 * the longest title leaves, or a third of the middle when that is
	 * more; none when the titles would keep less than 20 cells. */
	for (size_t i = 0; i < resp->n && mid >= 20 + 6; i++) {
		struct sb outl = {0};
		size_t w = width_str(str(&resp->r[i], "title"));

		if (w > tw)
			tw = w;
		outlet_summary(&resp->r[i], &outl, 0);
		w = outl.len ? width_str(sb_str(&outl)) + 4 : 0;
		if (w > ow)
			ow = w;
		sb_free(&outl);
	}
	if (ow > mid / 3 && ow > (mid > tw ? mid - tw : 0))
		ow = mid / 3 > (mid > tw ? mid - tw : 0) ? mid / 3 : mid - tw;
	if (ow < 6)
		ow = 0;
	for (size_t i = 0; i < resp->n; i++) {
		const struct record *r = &resp->r[i];
		struct sb outl = {0};

		outlet_summary(r, &outl, 0);
		put_head(&b, 's', r->f[0].value, idw, num(r, "starred") != 0, str(r, "state"), 7,
			 o);
		put_fit(&b, str(r, "title"), mid - ow, 1);
		if (ow) {
			struct sb paren = {0};

			if (outl.len)
				sb_printf(&paren, "(%s)", sb_str(&outl));
			sb_printf(&b, "  %s", col(o, C_DIM));
			put_fit(&b, sb_str(&paren), ow - 2, 1);
			sb_puts(&b, col(o, C_RESET));
			sb_free(&paren);
		}
		put_when(&b, num(r, "last_seen"), o);
		flush_line(&b, fp);
		sb_free(&outl);
	}
	sb_free(&b);
}

/* ---- items and search ---- */

static size_t
feed_name_width(const struct response *resp, size_t cap)
{
	size_t fw = 4;

	for (size_t i = 0; i < resp->n; i++) {
		size_t n = width_str(str(&resp->r[i], "feed_name"));

		if (n > fw)
			fw = n;
	}
	return fw > cap ? cap : fw;
}

static void
render_items_tsv(const struct response *resp, int snippets, FILE *fp)
{
	struct sb b = {0};
	char t[32], id[32], sid[32];

	for (size_t i = 0; i < resp->n; i++) {
		const struct record *r = &resp->r[i];

		render_id('i', r->f[0].value, id, sizeof id);
		render_id('s', str(r, "story"), sid, sizeof sid);
		put_tsv(&b, id, 0);
		put_tsv(&b, sid, 0);
		put_tsv(&b, num(r, "read") ? "read" : "new", 0);
		put_tsv(&b, num(r, "starred") ? "starred" : "-", 0);
		put_tsv(&b, iso_time(item_time(r), t, sizeof t), 0);
		put_tsv(&b, str(r, "feed"), 0);
		put_tsv(&b, str(r, "feed_name"), 0);
		put_tsv(&b, str(r, "title"), 0);
		put_tsv(&b, str(r, "link"), !snippets);
		if (snippets)
			put_tsv(&b, str(r, "snippet"), 1);
	}
	put_sb(&b, fp);
	sb_free(&b);
}

/* Search snippets mark matches with [ and ]: bold on a terminal. The
 * snippet is cut to cols cells first, marks counted as text. */
static void
put_snippet(struct sb *b, const char *s, size_t cols, const struct render_opts *o)
{
	struct sb cut = {0};

	put_fit(&cut, s, cols, 0);
	for (const char *p = sb_str(&cut); *p; p++) {
		if (o->color && *p == '[')
			sb_puts(b, C_BOLD);
		else if (o->color && *p == ']')
			sb_puts(b, C_RESET);
		else
			sb_putc(b, *p);
	}
	sb_free(&cut);
}

static void
render_items(const struct response *resp, int snippets, const struct render_opts *o, FILE *fp)
{
	size_t idw = id_width(resp), left = idw + 3 + 5, right = 2 + WHEN_CELLS, fw;
	struct sb b = {0};

	if (o->width == 0) {
		render_items_tsv(resp, snippets, fp);
		return;
	}
	fw = feed_name_width(resp, room(o, left, right) / 4);
	for (size_t i = 0; i < resp->n; i++) {
		const struct record *r = &resp->r[i];
		const char *sn = record_get(r, "snippet");
		int unread = num(r, "read") == 0;
		size_t mid = room(o, left, right);

		put_head(&b, 'i', r->f[0].value, idw, num(r, "starred") != 0,
			 unread ? "new" : "read", 4, o);
		if (fw + 2 + 10 <= mid) {
			put_fit(&b, str(r, "feed_name"), fw, 1);
			sb_puts(&b, "  ");
			mid -= fw + 2;
		}
		put_fit(&b, str(r, "title"), mid, 1);
		put_when(&b, item_time(r), o);
		flush_line(&b, fp);
		if (snippets && sn && *sn) {
			sb_printf(&b, "%*s", (int)left, "");
			put_snippet(&b, sn, room(o, left, 0), o);
			flush_line(&b, fp);
		}
	}
	sb_free(&b);
}

/* ---- show ---- */

/* When the item was published and, when that reads differently, when the
 * daemon first saw it: a release from months ago fetched today, a feed's
 * backlog ("2025-08-14 · first seen 2h ago"). */
static void
item_when(const struct record *r, const struct render_opts *o, char *buf, size_t n)
{
	char when[32], seen[32];
	long long first = num(r, "first_seen");

	reltime(item_time(r), o->now, when, sizeof when);
	reltime(first, o->now, seen, sizeof seen);
	if (first > 0 && strcmp(when, seen) != 0)
		snprintf(buf, n, "published %s · first seen %s", when, seen);
	else
		snprintf(buf, n, "%s", when);
}

/* Lines of text wrapped to the width (unwrapped when not a terminal). */
static void
put_wrapped(FILE *fp, const char *text, const char *indent, const struct render_opts *o)
{
	struct width_lines l = {0};

	width_wrap(&l, text, strlen(text), o->width ? (size_t)o->width : SIZE_MAX / 4, indent);
	for (size_t i = 0; i < l.n; i++)
		fprintf(fp, "%s\n", l.v[i]);
	width_lines_free(&l);
}

void
render_item_body(const struct record *item, struct textdoc *doc)
{
	const char *html = record_get(item, "html");
	const char *text = str(item, "text");

	if (html && *html && textdoc_from_html(doc, html, strlen(html)) == 0 && doc->text.len)
		return;
	textdoc_free(doc);
	sb_puts(&doc->text, text);
	sb_add(&doc->text, "", 0);
}

/* Lines of facts (plain text, cleaned) wrapped to the width in color c. */
static void
put_meta(FILE *fp, const char *text, const char *c, const struct render_opts *o)
{
	struct width_lines l = {0};

	width_wrap(&l, text, strlen(text), o->width ? (size_t)o->width : SIZE_MAX / 4, NULL);
	for (size_t i = 0; i < l.n; i++)
		fprintf(fp, "%s%s%s\n", c, l.v[i], col(o, C_RESET));
	width_lines_free(&l);
}

/* The title line after what b holds (a label): bold, fitted to the width
 * (a title is one line: never wrapped), then b is printed by put_meta's
 * caller; here the title goes out at once. */
static void
put_title(struct sb *b, const char *title, const struct render_opts *o)
{
	size_t lw = 0;

	/* The label's cells (it may hold colour codes: count the text). */
	for (const char *p = sb_str(b); *p; p++) {
		if (*p == '\033') {
			while (*p && *p != 'm')
				p++;
			continue;
		}
		lw += ((unsigned char)*p & 0xc0) != 0x80;
	}
	sb_puts(b, col(o, C_BOLD));
	if (o->width)
		put_fit(b, title, room(o, lw, 0), 0);
	else
		put_clean(b, title);
	sb_printf(b, "%s\n", col(o, C_RESET));
}

/* One item: its title, a line of facts, its link, its text wrapped with
 * the links numbered, then the list of links. full is the item's own
 * record (show --item: text and html) or NULL. */
static void
render_show_item(const struct record *r, const struct record *full, const char *label,
		 const struct render_opts *o, FILE *fp)
{
	char when[96], id[32];
	const char *link = str(r, "link"), *author = str(full ? full : r, "author");
	struct textdoc doc = {0};
	struct sb b = {0};

	item_when(r, o, when, sizeof when);
	render_id('i', r->f[0].value, id, sizeof id);
	sb_puts(&b, label);
	put_title(&b, str(r, "title"), o);
	put_sb(&b, fp);
	b.len = 0;
	sb_printf(&b, "item %s · ", id);
	put_clean(&b, str(r, "feed_name"));
	sb_printf(&b, " · %s%s", when, *author ? " · " : "");
	put_clean(&b, author);
	sb_printf(&b, "%s%s", num(r, "read") ? " · read" : " · new",
		  num(r, "starred") ? " · starred" : "");
	put_meta(fp, sb_str(&b), col(o, C_DIM), o);
	b.len = 0;
	if (*link) {
		sb_puts(&b, col(o, C_CYAN));
		put_clean(&b, link);
		sb_printf(&b, "%s\n", col(o, C_RESET));
		put_sb(&b, fp);
	}
	sb_free(&b);
	render_item_body(full ? full : r, &doc);
	if (doc.text.len) {
		putc('\n', fp);
		put_wrapped(fp, sb_str(&doc.text), "  ", o);
	}
	if (doc.nlinks) {
		putc('\n', fp);
		for (size_t i = 0; i < doc.nlinks; i++) {
			struct sb l = {0};

			sb_printf(&l, "%s[%zu] ", col(o, C_DIM), i + 1);
			put_clean(&l, doc.links[i]);
			fprintf(fp, "  %s%s\n", sb_str(&l), col(o, C_RESET));
			sb_free(&l);
		}
	}
	textdoc_free(&doc);
}

/* The record of full (show --item answers, one per entry) for item id. */
static const struct record *
full_record(const struct response *full, size_t nfull, const char *id)
{
	for (size_t i = 0; full && i < nfull; i++)
		if (full[i].n && strcmp(full[i].r[0].f[0].value, id) == 0)
			return &full[i].r[0];
	return NULL;
}

void
render_show(const struct response *resp, const struct response *full, size_t nfull,
	    const struct render_opts *o, FILE *fp)
{
	const struct record *r;
	char first[32], last[32], id[32];
	struct sb b = {0};
	size_t ntags = 0;

	if (resp->n == 0)
		return;
	r = &resp->r[0];
	if (strcmp(r->f[0].key, "story") != 0) {
		render_show_item(r, NULL, "", o, fp);
		return;
	}
	reltime(num(r, "first_seen"), o->now, first, sizeof first);
	reltime(num(r, "last_seen"), o->now, last, sizeof last);
	render_id('s', r->f[0].value, id, sizeof id);
	put_title(&b, str(r, "title"), o);
	put_sb(&b, fp);
	b.len = 0;
	sb_printf(&b, "story %s · %s%s · %lld item%s, %lld unread · first seen %s · last %s", id,
		  str(r, "state"), num(r, "starred") ? " · starred" : "", num(r, "items"),
		  num(r, "items") == 1 ? "" : "s", num(r, "unread"), first, last);
	put_meta(fp, sb_str(&b), col(o, C_DIM), o);
	b.len = 0;
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].key, "tag") == 0) {
			sb_puts(&b, ntags++ ? ", " : "tags: ");
			put_clean(&b, r->f[i].value);
		}
	if (ntags)
		put_meta(fp, sb_str(&b), col(o, C_DIM), o);
	sb_free(&b);
	for (size_t i = 1; i < resp->n; i++) {
		char label[64];

		/* The outlet's number is the one `herald open STORY N` takes. */
		snprintf(label, sizeof label, "%s%zu/%zu%s  ", col(o, C_CYAN), i, resp->n - 1,
			 col(o, C_RESET));
		fputs("\n", fp);
		render_show_item(&resp->r[i], full_record(full, nfull, resp->r[i].f[0].value),
				 label, o, fp);
	}
	if (resp->n == 1) {
		/* No item records: list the outlets the story record names. */
		for (size_t i = 0; i < r->n; i++) {
			const struct field *f = &r->f[i];

			if (strcmp(f->key, "outlet") != 0)
				continue;
			sb_printf(&b, "\n%s", col(o, C_BOLD));
			put_clean(&b, part(f, 2));
			sb_printf(&b, "%s  ", col(o, C_RESET));
			put_clean(&b, part(f, 3));
			sb_printf(&b, "\n%s", col(o, C_CYAN));
			put_clean(&b, part(f, 4));
			sb_printf(&b, "%s\n", col(o, C_RESET));
		}
		put_sb(&b, fp);
		sb_free(&b);
	}
}

static void
render_feeds_tsv(const struct response *resp, FILE *fp)
{
	struct sb b = {0};
	char t1[32], t2[32];

	for (size_t i = 0; i < resp->n; i++) {
		const struct record *r = &resp->r[i];

		put_tsv(&b, r->f[0].value, 0);
		put_tsv(&b, str(r, "status"), 0);
		sb_printf(&b, "%lld\t%lld\t", num(r, "unread"), num(r, "items"));
		put_tsv(&b, iso_time(num(r, "last_poll"), t1, sizeof t1), 0);
		put_tsv(&b, iso_time(num(r, "next_poll"), t2, sizeof t2), 0);
		put_tsv(&b, str(r, "name"), 0);
		put_tsv(&b, str(r, "url"), 0);
		put_tsv(&b, str(r, "error"), 0);
		if (*str(r, "merged_into")) {
			put_clean(&b, "merged into ");
			put_tsv(&b, str(r, "merged_into"), 1);
		} else {
			put_tsv(&b,
				record_get(r, "active") && num(r, "active") == 0 ? "removed"
										 : "active",
				1);
		}
	}
	put_sb(&b, fp);
	sb_free(&b);
}

/* FEED STATUS UNREAD/ITEMS POLLED NEXT NAME, the name cut to the width
 * (and the two times left out below 60 columns). */
static void
render_feeds(const struct response *resp, const struct render_opts *o, FILE *fp)
{
	size_t kw = 4, used;
	int times = o->width >= 60;
	struct sb b = {0};

	if (o->width == 0) {
		render_feeds_tsv(resp, fp);
		return;
	}
	/* A feed's id is its feeds.conf section name. */
	for (size_t i = 0; i < resp->n; i++)
		if (width_str(resp->r[i].f[0].value) > kw)
			kw = width_str(resp->r[i].f[0].value);
	if (kw > (size_t)o->width / 4)
		kw = (size_t)o->width / 4 > 4 ? (size_t)o->width / 4 : 4;
	used = kw + 2 + 6 + 2 + 12 + 2 + (times ? 2 * (9 + 2) : 0);
	sb_puts(&b, col(o, C_DIM));
	width_fit(&b, "FEED", kw, 1);
	sb_printf(&b, "  STATUS  %12s  ", "UNREAD/ITEMS");
	if (times)
		sb_printf(&b, "%-9s  %-9s  ", "POLLED", "NEXT");
	width_fit(&b, "NAME", room(o, used, 0), 0);
	sb_puts(&b, col(o, C_RESET));
	flush_line(&b, fp);
	for (size_t i = 0; i < resp->n; i++) {
		const struct record *r = &resp->r[i];
		const char *err = str(r, "error"), *name = str(r, "name");
		const char *into = str(r, "merged_into");
		char counts[48], last[32], next[32];
		struct sb tail = {0};

		snprintf(counts, sizeof counts, "%lld/%lld", num(r, "unread"), num(r, "items"));
		sb_puts(&tail, *name ? name : str(r, "url"));
		/* Moved onto another feed's URL, its items went there. */
		if (*into)
			sb_printf(&tail, " (merged into %s)", into);
		else if (record_get(r, "active") && num(r, "active") == 0)
			sb_puts(&tail, " (removed)");
		sb_puts(&b, col(o, C_CYAN));
		put_fit(&b, r->f[0].value, kw, 1);
		sb_printf(&b, "%s  %s", col(o, C_RESET), *err ? col(o, C_RED) : "");
		put_fit(&b, str(r, "status"), 6, 1);
		sb_printf(&b, "%s  %12s  ", *err ? col(o, C_RESET) : "", counts);
		if (times) {
			reltime(num(r, "last_poll"), o->now, last, sizeof last);
			reltime(num(r, "next_poll"), o->now, next, sizeof next);
			width_fit(&b, last, 9, 1);
			sb_puts(&b, "  ");
			width_fit(&b, next, 9, 1);
			sb_puts(&b, "  ");
		}
		put_fit(&b, sb_str(&tail), room(o, used, 0), 0);
		flush_line(&b, fp);
		sb_free(&tail);
		if (*err) {
			struct sb e = {0};

			sb_printf(&e, "error: %s", err);
			sb_printf(&b, "%*s  %s", (int)kw, "", col(o, C_RED));
			put_fit(&b, sb_str(&e), room(o, kw + 2, 0), 0);
			sb_puts(&b, col(o, C_RESET));
			flush_line(&b, fp);
			sb_free(&e);
		}
	}
	sb_free(&b);
}

static void
human_size(long long v, char *buf, size_t n)
{
	if (v >= 1 << 30)
		snprintf(buf, n, "%.1f GiB", v / 1073741824.0);
	else if (v >= 1 << 20)
		snprintf(buf, n, "%.1f MiB", v / 1048576.0);
	else if (v >= 1 << 10)
		snprintf(buf, n, "%.1f KiB", v / 1024.0);
	else
		snprintf(buf, n, "%lld bytes", v);
}

static void
human_duration(long long s, char *buf, size_t n)
{
	if (s >= 86400)
		snprintf(buf, n, "%lldd %lldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, n, "%lldh %lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, n, "%lldm %llds", s / 60, s % 60);
}

static void
render_kv(const struct response *resp, const struct render_opts *o, FILE *fp)
{
	for (size_t i = 0; i < resp->n; i++) {
		const struct record *r = &resp->r[i];
		size_t kw = 0;

		for (size_t j = 0; j < r->n; j++)
			if (strlen(r->f[j].key) > kw)
				kw = strlen(r->f[j].key);
		if (i)
			putc('\n', fp);
		for (size_t j = 0; j < r->n; j++) {
			const struct field *f = &r->f[j];
			char tmp[64];
			const char *v = f->value;

			if (j == 0 && strcmp(f->key, "stats") == 0)
				continue; /* the record's kind, not a figure */

			if (strcmp(f->key, "db_size") == 0 && is_int(v))
				human_size(strtoll(v, NULL, 10), tmp, sizeof tmp), v = tmp;
			else if (strcmp(f->key, "uptime") == 0 && is_int(v))
				human_duration(strtoll(v, NULL, 10), tmp, sizeof tmp), v = tmp;
			struct sb line = {0};

			sb_printf(&line, "%s%-*s%s  ", col(o, C_DIM), (int)kw + 1, f->key,
				  col(o, C_RESET));
			put_clean(&line, v);
			flush_line(&line, fp);
			sb_free(&line);
		}
	}
	(void)o;
}

static void
render_import(const struct response *resp, const struct render_opts *o, FILE *fp)
{
	size_t added = 0;

	for (size_t i = 0; i < resp->n; i++) {
		const struct record *r = &resp->r[i];
		const char *st = str(r, "status"), *err = str(r, "error");
		int ok = strcmp(st, "added") == 0;

		added += ok;
		struct sb line = {0};

		sb_printf(&line, "%s%-7s%s ", ok ? col(o, C_GREEN) : col(o, C_DIM), st,
			  col(o, C_RESET));
		put_clean(&line, str(r, "url"));
		if (*err) {
			sb_puts(&line, " (");
			put_clean(&line, err);
			sb_putc(&line, ')');
		}
		flush_line(&line, fp);
		sb_free(&line);
	}
	fprintf(fp, "%zu of %zu feeds added\n", added, resp->n);
}

/* "removed 120 items and 80 stories, 1.2 MiB freed" (or "would remove"). */
static void
render_purge(const struct response *resp, FILE *fp)
{
	const struct record *r;
	char size[32];

	if (resp->n == 0)
		return;
	r = &resp->r[0];
	human_size(strtoll(str(r, "bytes"), NULL, 10), size, sizeof size);
	if (strcmp(str(r, "purge"), "dry-run") == 0)
		fprintf(fp, "would remove %s items and %s stories, about %s\n", str(r, "items"),
			str(r, "stories"), size);
	else
		fprintf(fp, "removed %s items and %s stories, %s freed\n", str(r, "items"),
			str(r, "stories"), size);
}

void
render_human(const struct response *resp, enum view view, const struct render_opts *o, FILE *fp)
{
	switch (view) {
	case VIEW_STORIES: render_stories(resp, o, fp); break;
	case VIEW_ITEMS: render_items(resp, 0, o, fp); break;
	case VIEW_SEARCH: render_items(resp, 1, o, fp); break;
	case VIEW_SHOW: render_show(resp, NULL, 0, o, fp); break;
	case VIEW_FEEDS: render_feeds(resp, o, fp); break;
	case VIEW_IMPORT: render_import(resp, o, fp); break;
	case VIEW_PURGE: render_purge(resp, fp); break;
	case VIEW_EXPORT: {
		const char *opml = resp->n ? record_get(&resp->r[0], "opml") : NULL;

		if (opml) {
			fputs(opml, fp);
			if (*opml && opml[strlen(opml) - 1] != '\n')
				putc('\n', fp);
		}
		break;
	}
	case VIEW_VERSION:
		if (resp->n)
			fprintf(fp, "heraldd %s (protocol %s)\n", str(&resp->r[0], "version"),
				str(&resp->r[0], "protocol"));
		break;
	case VIEW_KV:
	case VIEW_ACTION: render_kv(resp, o, fp); break;
	}
}
