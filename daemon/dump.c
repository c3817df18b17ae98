/* dump: "heraldd --dump FILE [--content-type CT] [--url URI]": the parse of one
 * document (RSS, Atom or JSON Feed) as feeddump/1 JSON (shape:
 * ../shared/corpora/compare.py), plus herald's own entry keys "date", "image"
 * and "duration" (itunes:image/duration, JSON Feed image) and an enclosure's
 * "duration" (JSON Feed duration_in_seconds). The file
 * is fed in 4 KiB chunks through the same parser the daemon uses, and each
 * entry is printed as its item closes. */
#include "dump.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "date.h"
#include "parse.h"

#define DUMP_CHUNK 4096

struct dump {
	struct buf out;
	FILE *fp;
	size_t nentries;
};

static int
key(struct buf *b, int *first, const char *k)
{
	if (!*first && buf_putc(b, ',') < 0)
		return -1;
	*first = 0;
	if (buf_json_string(b, k, strlen(k)) < 0)
		return -1;
	return buf_putc(b, ':');
}

static int
str(struct buf *b, int *first, const char *k, const char *v)
{
	if (v == NULL)
		return 0;
	if (key(b, first, k) < 0)
		return -1;
	return buf_json_string(b, v, strlen(v));
}

static const char *
mime(const struct parse_text *t)
{
	if (t->mime)
		return t->mime;
	return t->type == PARSE_TYPE_HTML    ? "text/html"
	       : t->type == PARSE_TYPE_XHTML ? "application/xhtml+xml"
					     : "text/plain";
}

static int
text(struct buf *b, int *first, const char *k, const struct parse_text *t)
{
	char tk[32];

	if (t->value == NULL)
		return 0;
	snprintf(tk, sizeof tk, "%s_type", k);
	if (str(b, first, k, t->value) < 0)
		return -1;
	return str(b, first, tk, mime(t));
}

static int
when(struct buf *b, int *first, const char *k, int64_t t, const char *raw)
{
	char iso[32], rk[32];

	snprintf(rk, sizeof rk, "%s_raw", k);
	if (raw && str(b, first, rk, raw) < 0)
		return -1;
	if (raw == NULL || date_format(t, iso, sizeof iso) < 0 || (t == 0 && raw == NULL))
		return 0;
	if (t == 0 && date_parse(raw, &(int64_t){0}) < 0)
		return 0;
	return str(b, first, k, iso);
}

/* "date": the date herald gives the item or feed (parse_item_date), when it
 * has one. Not part of feeddump/1: compare.py reads published and updated,
 * which stay as the document says. */
static int
herald_date(struct buf *b, int *first, int64_t t)
{
	char iso[32];

	if (t <= 0 || date_format(t, iso, sizeof iso) < 0)
		return 0;
	return str(b, first, "date", iso);
}

static int
lists(struct buf *b, int *first, const struct parse_lists *l)
{
	int f;

	if (key(b, first, "links") < 0 || buf_putc(b, '[') < 0)
		return -1;
	for (size_t i = 0; i < l->nlinks; i++) {
		const struct parse_link *k = &l->links[i];
		f = 1;
		if ((i && buf_putc(b, ',') < 0) || buf_putc(b, '{') < 0 ||
		    str(b, &f, "href", k->href) < 0 || str(b, &f, "rel", k->rel) < 0 ||
		    str(b, &f, "type", k->type) < 0 || str(b, &f, "title", k->title) < 0 ||
		    str(b, &f, "length", k->length) < 0 ||
		    str(b, &f, "hreflang", k->hreflang) < 0 || buf_putc(b, '}') < 0)
			return -1;
	}
	if (buf_puts(b, "]") < 0 || key(b, first, "authors") < 0 || buf_putc(b, '[') < 0)
		return -1;
	for (size_t i = 0; i < l->nauthors; i++) {
		const struct parse_person *a = &l->authors[i];
		f = 1;
		if ((i && buf_putc(b, ',') < 0) || buf_putc(b, '{') < 0 ||
		    str(b, &f, "name", a->name) < 0 || str(b, &f, "email", a->email) < 0 ||
		    str(b, &f, "uri", a->uri) < 0 || buf_putc(b, '}') < 0)
			return -1;
	}
	if (buf_puts(b, "]") < 0 || key(b, first, "categories") < 0 || buf_putc(b, '[') < 0)
		return -1;
	for (size_t i = 0; i < l->ncategories; i++) {
		const struct parse_category *c = &l->categories[i];
		f = 1;
		if ((i && buf_putc(b, ',') < 0) || buf_putc(b, '{') < 0 ||
		    str(b, &f, "term", c->term) < 0 || str(b, &f, "scheme", c->scheme) < 0 ||
		    str(b, &f, "label", c->label) < 0 || buf_putc(b, '}') < 0)
			return -1;
	}
	return buf_putc(b, ']');
}

static int
entry(struct buf *b, const struct parse_item *it)
{
	int first = 1, f;

	if (buf_putc(b, '{') < 0 || str(b, &first, "id", it->guid) < 0 ||
	    str(b, &first, "link", it->link) < 0 || str(b, &first, "comments", it->comments) < 0 ||
	    text(b, &first, "title", &it->title) < 0 ||
	    text(b, &first, "summary", &it->summary) < 0 ||
	    text(b, &first, "rights", &it->rights) < 0 ||
	    when(b, &first, "published", it->published, it->published_raw) < 0 ||
	    when(b, &first, "updated", it->updated, it->updated_raw) < 0 ||
	    herald_date(b, &first, parse_item_date(it)) < 0 || key(b, &first, "content") < 0 ||
	    buf_putc(b, '[') < 0)
		return -1;
	for (size_t i = 0; i < it->ncontent; i++) {
		const struct parse_text *c = &it->content[i];
		f = 1;
		if ((i && buf_putc(b, ',') < 0) || buf_putc(b, '{') < 0 ||
		    str(b, &f, "value", c->value) < 0 || str(b, &f, "type", mime(c)) < 0 ||
		    str(b, &f, "base", c->base) < 0 || str(b, &f, "language", c->lang) < 0 ||
		    str(b, &f, "src", c->src) < 0 || buf_putc(b, '}') < 0)
			return -1;
	}
	if (buf_putc(b, ']') < 0 || lists(b, &first, &it->l) < 0 ||
	    key(b, &first, "enclosures") < 0 || buf_putc(b, '[') < 0)
		return -1;
	for (size_t i = 0; i < it->nenclosures; i++) {
		const struct parse_enclosure *e = &it->enclosures[i];
		f = 1;
		if ((i && buf_putc(b, ',') < 0) || buf_putc(b, '{') < 0 ||
		    str(b, &f, "url", e->url) < 0 || str(b, &f, "type", e->type) < 0 ||
		    str(b, &f, "length", e->length) < 0 ||
		    str(b, &f, "duration", e->duration) < 0 || buf_putc(b, '}') < 0)
			return -1;
	}
	if (buf_putc(b, ']') < 0 || str(b, &first, "image", it->image) < 0 ||
	    str(b, &first, "duration", it->duration) < 0)
		return -1;
	return buf_putc(b, '}');
}

static int
on_item(const struct parse_item *it, void *user)
{
	struct dump *d = user;

	buf_reset(&d->out);
	if ((d->nentries++ && buf_putc(&d->out, ',') < 0) || entry(&d->out, it) < 0)
		return -1;
	return fwrite(d->out.data, 1, d->out.len, d->fp) == d->out.len ? 0 : -1;
}

static int
feed(struct buf *b, const struct parse_meta *m)
{
	int first = 1;

	if (key(b, &first, "feed") < 0 || buf_putc(b, '{') < 0)
		return -1;
	first = 1;
	if (text(b, &first, "title", &m->title) < 0 ||
	    text(b, &first, "subtitle", &m->subtitle) < 0 ||
	    text(b, &first, "rights", &m->rights) < 0 || str(b, &first, "id", m->id) < 0 ||
	    str(b, &first, "link", m->link) < 0 || str(b, &first, "language", m->language) < 0 ||
	    str(b, &first, "generator", m->generator) < 0 || str(b, &first, "icon", m->icon) < 0 ||
	    str(b, &first, "logo", m->logo) < 0 ||
	    when(b, &first, "published", m->published, m->published_raw) < 0 ||
	    when(b, &first, "updated", m->updated, m->updated_raw) < 0 ||
	    herald_date(b, &first, parse_meta_date(m)) < 0 || lists(b, &first, &m->l) < 0)
		return -1;
	if (m->image_url || m->image_title || m->image_link) {
		int f = 1;
		if (key(b, &first, "image") < 0 || buf_putc(b, '{') < 0 ||
		    str(b, &f, "url", m->image_url) < 0 ||
		    str(b, &f, "title", m->image_title) < 0 ||
		    str(b, &f, "link", m->image_link) < 0 || buf_putc(b, '}') < 0)
			return -1;
	}
	if (m->ttl && (key(b, &first, "ttl") < 0 || buf_printf(b, "%d", m->ttl) < 0))
		return -1;
	return buf_putc(b, '}');
}

static int
trailer(struct buf *b, struct parse *p, int ok)
{
	const struct parse_meta *m = parse_meta(p);
	const char *err = ok ? NULL : parse_error(p);

	if (buf_puts(b, "],\"error\":") < 0 ||
	    (err ? buf_json_string(b, err, strlen(err)) : buf_puts(b, "null")) < 0 ||
	    buf_printf(b, ",\"bozo\":%s", m->bozo ? "true" : "false") < 0)
		return -1;
	int first = 0;
	if (str(b, &first, "bozo_exception", m->bozo_reason) < 0 ||
	    str(b, &first, "encoding", m->encoding) < 0 ||
	    str(b, &first, "format", m->format ? m->format : "") < 0 ||
	    str(b, &first, "version", m->version ? m->version : "") < 0 ||
	    buf_printf(b, ",\"schema\":\"feeddump/1\",") < 0 || feed(b, m) < 0)
		return -1;
	return buf_puts(b, "}\n");
}

static int
usage(void)
{
	fprintf(stderr, "usage: heraldd --dump FILE [--content-type CT] [--url URI]\n");
	return 2;
}

int
dump_stream(FILE *in, const char *ct, const char *url, FILE *out)
{
	struct dump d = {.fp = out};
	struct parse *p = parse_new(ct, url, on_item, &d);
	char chunk[DUMP_CHUNK];
	size_t n;
	int rc = -1, ok = 0;

	if (p == NULL) {
		fprintf(stderr, "heraldd: out of memory\n");
		return -1;
	}
	fputs("{\"entries\":[", out);
	while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
		if (parse_feed(p, chunk, n) < 0)
			break;
	if (ferror(in)) {
		fprintf(stderr, "heraldd: read error: %s\n", strerror(errno));
		goto out;
	}
	ok = parse_finish(p) == 0;
	buf_reset(&d.out);
	if (trailer(&d.out, p, ok) < 0 || fwrite(d.out.data, 1, d.out.len, out) != d.out.len)
		goto out;
	rc = fflush(out) == 0 ? (ok ? 0 : 1) : -1;
	if (!ok && parse_error(p))
		fprintf(stderr, "heraldd: %s\n", parse_error(p));
out:
	parse_free(p);
	buf_free(&d.out);
	return rc;
}

int
dump_main(int argc, char **argv)
{
	const char *file = NULL, *ct = NULL, *url = NULL;
	FILE *in;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--content-type") && i + 1 < argc)
			ct = argv[++i];
		else if (!strcmp(argv[i], "--url") && i + 1 < argc)
			url = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return usage();
		else if (file == NULL)
			file = argv[i];
		else
			return usage();
	}
	if (file == NULL)
		return usage();
	in = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
	if (in == NULL) {
		fprintf(stderr, "heraldd: %s: %s\n", file, strerror(errno));
		return 1;
	}
	rc = dump_stream(in, ct, url, stdout) == 0 ? 0 : 1;
	if (in != stdin)
		fclose(in);
	return rc;
}
