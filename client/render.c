#include "render.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "herald/protocol.h"

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
enum ftype { T_STR, T_INT, T_BOOL, T_NUM, T_OUTLET, T_ENCLOSURE };

/* Repeated keys that become arrays, per record kind. */
struct listkey {
	const char *kind, *key, *name;
	enum ftype type; /* of each element */
};

static const struct listkey listkeys[] = {
	{"story", "outlet", "outlets", T_OUTLET}, {"story", "tag", "tags", T_STR},
	{"story", "feed", "feeds", T_STR},        {"feed", "tag", "tags", T_STR},
	{"item", "tag", "tags", T_STR},           {"item", "enclosure", "enclosures", T_ENCLOSURE},
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

/* URL<TAB>TYPE<TAB>LENGTH<TAB>DURATION as an object; length and duration
 * are numbers (issue 25). */
static void
json_enclosure(struct sb *b, const struct field *f)
{
	static const char *const names[] = {"url", "type", "length", "duration"};

	sb_putc(b, '{');
	for (size_t i = 0; i < 4; i++) {
		const char *v = part(f, i);

		sb_printf(b, "%s\"%s\":", i ? "," : "", names[i]);
		if (i >= 2 && is_int(v))
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
			else if (lk->type == T_ENCLOSURE)
				json_enclosure(b, &r->f[i]);
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

/* Prints s on one line: newlines and tabs become spaces, cut to cols
 * columns (0: no cut) with an ellipsis. */
static void
put_line(FILE *fp, const char *s, size_t cols)
{
	size_t n = strlen(s);
	int cut = 0;

	if (cols > 1 && text_width(s) > cols) {
		n = text_prefix(s, cols - 1);
		cut = 1;
	}
	for (size_t i = 0; i < n; i++)
		putc(s[i] == '\n' || s[i] == '\t' || s[i] == '\r' ? ' ' : s[i], fp);
	if (cut)
		fputs("\xe2\x80\xa6", fp);
}

static size_t
id_width(const struct response *resp)
{
	size_t w = 1;

	for (size_t i = 0; i < resp->n; i++)
		if (resp->r[i].n && strlen(resp->r[i].f[0].value) > w)
			w = strlen(resp->r[i].f[0].value);
	return w;
}

/* Distinct outlet names of a story: "nyt, bbc, guardian +2". */
static void
outlet_summary(const struct record *r, struct sb *b)
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
		if (shown < 3) {
			sb_puts(b, shown ? ", " : "");
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

static void
render_stories(const struct response *resp, const struct render_opts *o, FILE *fp)
{
	size_t w = id_width(resp);
	char when[32];

	for (size_t i = 0; i < resp->n; i++) {
		const struct record *r = &resp->r[i];
		const char *state = str(r, "state");
		struct sb outl = {0};
		int star = num(r, "starred") != 0;
		size_t used, room = 0;

		outlet_summary(r, &outl);
		reltime(num(r, "last_seen"), o->now, when, sizeof when);
		fprintf(fp, "%s%*s%s %s%s%s %s%-7s%s %8s  ", col(o, C_CYAN), (int)w, r->f[0].value,
			col(o, C_RESET), col(o, C_YELLOW), star ? "*" : " ", col(o, C_RESET),
			state_color(o, state), state, col(o, C_RESET), when);
		used = w + 1 + 1 + 1 + 7 + 1 + 8 + 2;
		if (o->width && (size_t)o->width > used + outl.len + 4 + 20)
			room = (size_t)o->width - used - text_width(sb_str(&outl)) - 3;
		else if (o->width)
			room = 20;
		put_line(fp, str(r, "title"), room);
		if (outl.len)
			fprintf(fp, "  %s(%s)%s", col(o, C_DIM), sb_str(&outl), col(o, C_RESET));
		putc('\n', fp);
		sb_free(&outl);
	}
}

static void
render_item_line(const struct record *r, size_t w, size_t fw, const struct render_opts *o, FILE *fp)
{
	char when[32];
	int unread = num(r, "read") == 0, star = num(r, "starred") != 0;
	size_t used = w + 1 + 1 + 1 + 4 + 1 + 8 + 2 + fw + 2, room = 0;

	reltime(item_time(r), o->now, when, sizeof when);
	fprintf(fp, "%s%*s%s %s%s%s %s%-4s%s %8s  %-*s  ", col(o, C_CYAN), (int)w, r->f[0].value,
		col(o, C_RESET), col(o, C_YELLOW), star ? "*" : " ", col(o, C_RESET),
		unread ? col(o, C_BOLD C_GREEN) : col(o, C_DIM), unread ? "new" : "read",
		col(o, C_RESET), when, (int)fw, str(r, "feed_name"));
	if (o->width)
		room = (size_t)o->width > used + 20 ? (size_t)o->width - used : 20;
	put_line(fp, str(r, "title"), room);
	putc('\n', fp);
}

static size_t
feed_name_width(const struct response *resp)
{
	size_t fw = 4;

	for (size_t i = 0; i < resp->n; i++) {
		size_t n = text_width(str(&resp->r[i], "feed_name"));

		if (n > fw)
			fw = n;
	}
	return fw > 20 ? 20 : fw;
}

/* Search snippets mark matches with [ and ]: bold on a terminal. */
static void
put_snippet(FILE *fp, const char *s, const struct render_opts *o)
{
	for (; *s; s++) {
		if (o->color && *s == '[')
			fputs(C_BOLD, fp);
		else if (o->color && *s == ']')
			fputs(C_RESET, fp);
		else
			putc(*s == '\n' || *s == '\t' ? ' ' : *s, fp);
	}
}

static void
render_items(const struct response *resp, int snippets, const struct render_opts *o, FILE *fp)
{
	size_t w = id_width(resp), fw = feed_name_width(resp);

	for (size_t i = 0; i < resp->n; i++) {
		const char *sn = record_get(&resp->r[i], "snippet");

		render_item_line(&resp->r[i], w, fw, o, fp);
		if (snippets && sn && *sn) {
			fprintf(fp, "%*s", (int)w + 4, "");
			put_snippet(fp, sn, o);
			putc('\n', fp);
		}
	}
}

static void
put_indented(FILE *fp, const char *text, const char *indent)
{
	int bol = 1;

	for (; *text; text++) {
		if (bol && *text != '\n')
			fputs(indent, fp);
		putc(*text, fp);
		bol = *text == '\n';
	}
	if (!bol)
		putc('\n', fp);
}

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

static void
render_show_item(const struct record *r, const struct render_opts *o, FILE *fp)
{
	char when[96];
	const char *text = str(r, "text"), *link = str(r, "link"), *author = str(r, "author");

	item_when(r, o, when, sizeof when);
	fprintf(fp, "%s%s%s\n", col(o, C_BOLD), str(r, "title"), col(o, C_RESET));
	fprintf(fp, "%sitem %s · %s · %s%s%s%s%s%s\n", col(o, C_DIM), r->f[0].value,
		str(r, "feed_name"), when, *author ? " · " : "", author,
		num(r, "read") ? " · read" : " · new", num(r, "starred") ? " · starred" : "",
		col(o, C_RESET));
	if (*link)
		fprintf(fp, "%s%s%s\n", col(o, C_CYAN), link, col(o, C_RESET));
	for (size_t i = 0; i < r->n; i++) { /* enclosures: url (type, size, duration) */
		const struct field *f = &r->f[i];
		long long len, dur;

		if (strcmp(f->key, "enclosure") != 0)
			continue;
		len = strtoll(part(f, 2), NULL, 10), dur = strtoll(part(f, 3), NULL, 10);
		fprintf(fp, "%senclosure: %s%s", col(o, C_DIM), part(f, 0),
			*part(f, 1) ? " (" : "");
		fprintf(fp, "%s", part(f, 1));
		if (len > 0)
			fprintf(fp, ", %.1f MB", (double)len / 1e6);
		if (dur > 0)
			fprintf(fp, ", %lld:%02lld:%02lld", dur / 3600, dur / 60 % 60, dur % 60);
		fprintf(fp, "%s%s\n", *part(f, 1) ? ")" : "", col(o, C_RESET));
	}
	if (*str(r, "image"))
		fprintf(fp, "%simage: %s%s\n", col(o, C_DIM), str(r, "image"), col(o, C_RESET));
	if (*text) {
		putc('\n', fp);
		put_indented(fp, text, "  ");
	}
}

static void
render_show(const struct response *resp, const struct render_opts *o, FILE *fp)
{
	const struct record *r;
	char first[32], last[32];
	struct sb tags = {0};

	if (resp->n == 0)
		return;
	r = &resp->r[0];
	if (strcmp(r->f[0].key, "story") != 0) {
		render_show_item(r, o, fp);
		return;
	}
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].key, "tag") == 0)
			sb_printf(&tags, "%s%s", tags.len ? ", " : "", r->f[i].value);
	reltime(num(r, "first_seen"), o->now, first, sizeof first);
	reltime(num(r, "last_seen"), o->now, last, sizeof last);
	fprintf(fp, "%s%s%s\n", col(o, C_BOLD), str(r, "title"), col(o, C_RESET));
	fprintf(fp, "%sstory %s · %s%s · %lld item%s, %lld unread · first seen %s · last %s%s\n",
		col(o, C_DIM), r->f[0].value, str(r, "state"),
		num(r, "starred") ? " · starred" : "", num(r, "items"),
		num(r, "items") == 1 ? "" : "s", num(r, "unread"), first, last, col(o, C_RESET));
	if (tags.len)
		fprintf(fp, "%stags: %s%s\n", col(o, C_DIM), sb_str(&tags), col(o, C_RESET));
	sb_free(&tags);
	for (size_t i = 1; i < resp->n; i++) {
		fputs("\n", fp);
		render_show_item(&resp->r[i], o, fp);
	}
	if (resp->n == 1) {
		/* No item records: list the outlets the story record names. */
		for (size_t i = 0; i < r->n; i++) {
			const struct field *f = &r->f[i];

			if (strcmp(f->key, "outlet") != 0)
				continue;
			fprintf(fp, "\n%s%s%s  %s\n%s%s%s\n", col(o, C_BOLD), part(f, 2),
				col(o, C_RESET), part(f, 3), col(o, C_CYAN), part(f, 4),
				col(o, C_RESET));
		}
	}
}

static void
render_feeds(const struct response *resp, const struct render_opts *o, FILE *fp)
{
	size_t kw = 4;
	char last[32], next[32];

	/* A feed's id is its feeds.conf section name. */
	for (size_t i = 0; i < resp->n; i++)
		if (text_width(resp->r[i].f[0].value) > kw)
			kw = text_width(resp->r[i].f[0].value);
	if (kw > 24)
		kw = 24;
	fprintf(fp, "%s%-*s  %-6s  %13s  %-9s  %-9s  %s%s\n", col(o, C_DIM), (int)kw, "FEED",
		"STATUS", "UNREAD/ITEMS", "POLLED", "NEXT", "NAME", col(o, C_RESET));
	for (size_t i = 0; i < resp->n; i++) {
		const struct record *r = &resp->r[i];
		const char *err = str(r, "error"), *name = str(r, "name");
		const char *into = str(r, "merged_into");
		char counts[48], gone[96] = "";

		snprintf(counts, sizeof counts, "%lld/%lld", num(r, "unread"), num(r, "items"));
		/* Moved onto another feed's URL, its items went there. */
		if (*into)
			snprintf(gone, sizeof gone, " (merged into %s)", into);
		else if (record_get(r, "active") && num(r, "active") == 0)
			snprintf(gone, sizeof gone, " (removed)");
		reltime(num(r, "last_poll"), o->now, last, sizeof last);
		reltime(num(r, "next_poll"), o->now, next, sizeof next);
		fprintf(fp, "%s%-*s%s  %s%-6s%s  %13s  %-9s  %-9s  %s%s%s%s\n", col(o, C_CYAN),
			(int)kw, r->f[0].value, col(o, C_RESET), *err ? col(o, C_RED) : "",
			str(r, "status"), *err ? col(o, C_RESET) : "", counts, last, next,
			*name ? name : str(r, "url"), col(o, C_DIM), gone, col(o, C_RESET));
		if (*err)
			fprintf(fp, "%*s  %serror: %s%s\n", (int)kw, "", col(o, C_RED), err,
				col(o, C_RESET));
	}
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
			fprintf(fp, "%s%-*s%s  ", col(o, C_DIM), (int)kw + 1, f->key,
				col(o, C_RESET));
			put_line(fp, v, 0);
			putc('\n', fp);
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
		fprintf(fp, "%s%-7s%s %s%s%s%s\n", ok ? col(o, C_GREEN) : col(o, C_DIM), st,
			col(o, C_RESET), str(r, "url"), *err ? " (" : "", err, *err ? ")" : "");
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
	case VIEW_SHOW: render_show(resp, o, fp); break;
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
