/* parse_repair: make broken XML well-formed; see parse_repair.h. */
#include "parse_repair.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rstate {
	const char *s;
	size_t n, i;
	struct buf *out;
	size_t *open; /* offsets of open element names in names */
	size_t *openlen;
	int depth, max_depth;
	struct buf names;
	struct buf decls; /* xmlns:p="..." for prefixes used but never declared */
	int root_done;
};

/* URIs for prefixes feeds use without declaring them. */
static const struct {
	const char *prefix, *uri;
} known_prefixes[] = {
	{"atom", "http://www.w3.org/2005/Atom"},
	{"dc", "http://purl.org/dc/elements/1.1/"},
	{"dcterms", "http://purl.org/dc/terms/"},
	{"content", "http://purl.org/rss/1.0/modules/content/"},
	{"media", "http://search.yahoo.com/mrss/"},
	{"itunes", "http://www.itunes.com/dtds/podcast-1.0.dtd"},
	{"rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"},
	{"xhtml", "http://www.w3.org/1999/xhtml"},
};

static int
name_char(unsigned char c)
{
	return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == ':' || c == '-' || c == '.';
}

static int
name_start(unsigned char c)
{
	return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == ':';
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Text up to the next '<': '&' that starts no reference is escaped. */
static int
put_text(struct rstate *r, const char *s, size_t n, int attr)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		const char *rep = NULL;
		if (s[i] == '&') {
			size_t k = i + 1;
			int upper_x = 0;
			if (k < n && s[k] == '#') {
				k++;
				if (k < n && (s[k] == 'x' || s[k] == 'X'))
					upper_x = s[k++] == 'X';
			}
			size_t st = k;
			while (k < n && name_char((unsigned char)s[k]))
				k++;
			if (k == st || k >= n || s[k] != ';')
				rep = "&amp;";
			else if (upper_x) { /* "&#X41;": XML wants a lower-case x */
				if (buf_append(r->out, s + run, i - run) < 0 ||
				    buf_puts(r->out, "&#x") < 0)
					return -1;
				run = i + 3;
				i += 2;
				continue;
			}
		} else if (s[i] == '<') {
			rep = "&lt;";
		} else if (attr && s[i] == '"') {
			rep = "&quot;";
		}
		if (rep) {
			if (buf_append(r->out, s + run, i - run) < 0 || buf_puts(r->out, rep) < 0)
				return -1;
			run = i + 1;
		}
	}
	return buf_append(r->out, s + run, n - run);
}

/* Copies a construct that ends with term (comment, CDATA, PI, DOCTYPE). */
static int
copy_until(struct rstate *r, const char *term)
{
	const char *e = memmem(r->s + r->i, r->n - r->i, term, strlen(term));
	size_t end = e ? (size_t)(e - r->s) + strlen(term) : r->n;

	if (buf_append(r->out, r->s + r->i, end - r->i) < 0)
		return -1;
	if (e == NULL && buf_puts(r->out, term) < 0)
		return -1;
	r->i = end;
	return 0;
}

static int
close_to(struct rstate *r, int level)
{
	while (r->depth > level) {
		r->depth--;
		if (buf_puts(r->out, "</") < 0 ||
		    buf_append(r->out, r->names.data + r->open[r->depth], r->openlen[r->depth]) <
			    0 ||
		    buf_putc(r->out, '>') < 0)
			return -1;
	}
	return 0;
}

static int
end_tag(struct rstate *r)
{
	size_t st = r->i + 2, k = st;

	while (k < r->n && name_char((unsigned char)r->s[k]))
		k++;
	const char *gt = memchr(r->s + k, '>', r->n - k);
	r->i = gt ? (size_t)(gt - r->s) + 1 : r->n;
	for (int d = r->depth - 1; d >= 0; d--)
		if (r->openlen[d] == k - st &&
		    !memcmp(r->names.data + r->open[d], r->s + st, k - st))
			return close_to(r, d);
	return 0; /* closes nothing: dropped */
}

/* Attributes: names kept once, values quoted and escaped. */
static int
attributes(struct rstate *r, size_t *k)
{
	const char *s = r->s;
	size_t n = r->n, i = *k;
	struct buf seen = {0};
	int rc = -1;

	for (;;) {
		while (i < n && is_space(s[i]))
			i++;
		if (i >= n || s[i] == '>' || (s[i] == '/' && i + 1 < n && s[i + 1] == '>'))
			break;
		size_t an = i;
		while (i < n && name_char((unsigned char)s[i]))
			i++;
		if (i == an) { /* junk: skip one byte */
			i++;
			continue;
		}
		size_t alen = i - an;
		while (i < n && is_space(s[i]))
			i++;
		size_t vs = i, ve = i;
		if (i < n && s[i] == '=') {
			i++;
			while (i < n && is_space(s[i]))
				i++;
			if (i < n && (s[i] == '"' || s[i] == '\'')) {
				const char *q = memchr(s + i + 1, s[i], n - i - 1);
				vs = i + 1;
				ve = q ? (size_t)(q - s) : n;
				i = q ? ve + 1 : n;
			} else {
				vs = i;
				while (i < n && !is_space(s[i]) && s[i] != '>')
					i++;
				ve = i;
			}
		}
		/* a duplicate attribute is a fatal XML error: keep the first */
		char key[130];
		size_t kl = alen < 128 ? alen : 128;
		key[0] = '\x01';
		memcpy(key + 1, s + an, kl);
		key[kl + 1] = '\x01';
		if (seen.len && memmem(seen.data, seen.len, key, kl + 2))
			continue;
		if (buf_append(&seen, key, kl + 2) < 0 || buf_putc(r->out, ' ') < 0 ||
		    buf_append(r->out, s + an, alen) < 0 || buf_puts(r->out, "=\"") < 0 ||
		    put_text(r, s + vs, ve - vs, 1) < 0 || buf_putc(r->out, '"') < 0)
			goto out;
	}
	*k = i;
	rc = 0;
out:
	buf_free(&seen);
	return rc;
}

static int
start_tag(struct rstate *r)
{
	size_t st = r->i + 1, k = st;

	while (k < r->n && name_char((unsigned char)r->s[k]))
		k++;
	size_t nlen = k - st;

	if (buf_putc(r->out, '<') < 0 || buf_append(r->out, r->s + st, nlen) < 0)
		return -1;
	if (!r->root_done && r->decls.len && buf_append(r->out, r->decls.data, r->decls.len) < 0)
		return -1;
	r->root_done = 1;
	if (attributes(r, &k) < 0)
		return -1;
	int empty = k < r->n && r->s[k] == '/';
	r->i = k + (empty ? 2 : 1);
	if (r->i > r->n)
		r->i = r->n;
	if (empty)
		return buf_puts(r->out, "/>");
	if (buf_putc(r->out, '>') < 0)
		return -1;
	if (r->depth >= r->max_depth)
		return -1;
	r->open[r->depth] = r->names.len;
	r->openlen[r->depth] = nlen;
	r->depth++;
	return buf_append(&r->names, r->s + st, nlen);
}

static int
step(struct rstate *r)
{
	const char *s = r->s + r->i;
	size_t left = r->n - r->i;

	if (left >= 4 && !memcmp(s, "<!--", 4))
		return copy_until(r, "-->");
	if (left >= 9 && !memcmp(s, "<![CDATA[", 9))
		return copy_until(r, "]]>");
	if (left >= 2 && !memcmp(s, "<?", 2))
		return copy_until(r, "?>");
	if (left >= 2 && !memcmp(s, "<!", 2)) {
		/* DOCTYPE, possibly with an internal subset */
		const char *lb = memchr(s, '[', left), *gt = memchr(s, '>', left);
		return copy_until(r, lb && gt && lb < gt ? "]>" : ">");
	}
	if (left >= 3 && s[1] == '/' && name_start((unsigned char)s[2]))
		return end_tag(r);
	if (left >= 2 && name_start((unsigned char)s[1]))
		return start_tag(r);
	r->i++;
	return buf_puts(r->out, "&lt;");
}

/* Declarations for element prefixes the document uses but never declares
 * (undeclared prefixes are fatal to a namespace-aware parser). */
static int
undeclared(struct rstate *r)
{
	const char *s = r->s;
	size_t n = r->n;

	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] != '<' || !name_start((unsigned char)s[i + 1 + (s[i + 1] == '/')]))
			continue;
		size_t st = i + 1 + (s[i + 1] == '/'), k = st;
		while (k < n && name_char((unsigned char)s[k]) && s[k] != ':')
			k++;
		if (k >= n || s[k] != ':' || k - st > 40)
			continue;
		char pre[64], decl[80];
		memcpy(pre, s + st, k - st);
		pre[k - st] = '\0';
		snprintf(decl, sizeof decl, "xmlns:%s=", pre);
		if (!strcmp(pre, "xml") || !strcmp(pre, "xmlns") ||
		    memmem(s, n, decl, strlen(decl)))
			continue;
		snprintf(decl, sizeof decl, " xmlns:%s=", pre);
		if (r->decls.len && memmem(r->decls.data, r->decls.len, decl, strlen(decl)))
			continue;
		const char *uri = NULL;
		for (size_t j = 0; j < sizeof known_prefixes / sizeof known_prefixes[0]; j++)
			if (!strcmp(pre, known_prefixes[j].prefix))
				uri = known_prefixes[j].uri;
		if (buf_puts(&r->decls, decl) < 0 ||
		    (uri ? buf_printf(&r->decls, "\"%s\"", uri)
			 : buf_printf(&r->decls, "\"urn:x-herald:undeclared:%s\"", pre)) < 0)
			return -1;
	}
	return 0;
}

int
parse_repair(const char *in, size_t len, int max_depth, struct buf *out)
{
	struct rstate r = {.s = in, .n = len, .out = out, .max_depth = max_depth};
	int rc = -1;

	r.open = calloc((size_t)max_depth + 1, sizeof *r.open);
	r.openlen = calloc((size_t)max_depth + 1, sizeof *r.openlen);
	if (r.open == NULL || r.openlen == NULL || undeclared(&r) < 0)
		goto out;
	while (r.i < r.n) {
		const char *lt = memchr(in + r.i, '<', r.n - r.i);
		size_t end = lt ? (size_t)(lt - in) : r.n;
		if (r.depth > 0 || end > r.i) {
			if (r.depth > 0 && put_text(&r, in + r.i, end - r.i, 0) < 0)
				goto out;
		}
		r.i = end;
		if (r.i < r.n && step(&r) < 0)
			goto out;
	}
	rc = close_to(&r, 0);
out:
	free(r.open);
	free(r.openlen);
	buf_free(&r.names);
	buf_free(&r.decls);
	return rc;
}
