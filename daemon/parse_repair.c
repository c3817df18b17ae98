/* parse_repair: make broken XML well-formed; see parse_repair.h. */
#include "parse_repair.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A set of byte strings (or a count per string), open addressing: keys
 * point into memory that outlives the set. A generation number empties it
 * in O(1), so one set serves every start tag's attributes however large
 * it grew for one of them. Everything the repair looks up goes through one,
 * so the repair is linear in its input (issue 28: the scans it replaced
 * made 1 MB of undeclared prefixes or repeated attributes take a minute). */
struct rset_slot {
	const char *key; /* the key, or NULL when it is at off in *base */
	size_t off, len;
	unsigned gen; /* the entry is in the set when gen is the set's */
	int used;
	long count;
};

struct rset {
	struct rset_slot *v;
	size_t cap, n; /* cap a power of two, or 0 */
	unsigned gen;
	char *const *base; /* where offsets point (a buffer that may move) */
};

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
	struct rset attrs;      /* the current start tag's attribute names */
	struct rset open_names; /* open elements per name (keys offsets into names) */
	size_t bad_refs;        /* character references replaced by U+FFFD */
};

static uint64_t
rset_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return h;
}

static const char *
rset_key(const struct rset *t, const struct rset_slot *e)
{
	return e->key ? e->key : *t->base + e->off;
}

/* The slot for key (n bytes): its own, or the empty one it would take. */
static struct rset_slot *
rset_slot(struct rset *t, const char *key, size_t n)
{
	size_t i = (size_t)rset_hash(key, n) & (t->cap - 1);

	for (;; i = (i + 1) & (t->cap - 1)) {
		struct rset_slot *e = &t->v[i];

		if (!e->used || e->gen != t->gen)
			return e;
		if (e->len == n && !memcmp(rset_key(t, e), key, n))
			return e;
	}
}

static int
rset_grow(struct rset *t)
{
	struct rset old = *t;
	size_t cap = t->cap ? t->cap * 2 : 64;

	if ((t->v = calloc(cap, sizeof *t->v)) == NULL) {
		t->v = old.v;
		return -1;
	}
	t->cap = cap;
	t->n = 0;
	for (size_t i = 0; i < old.cap; i++) {
		struct rset_slot *e = &old.v[i];

		if (e->used && e->gen == old.gen) {
			*rset_slot(t, rset_key(&old, e), e->len) = *e;
			t->n++;
		}
	}
	free(old.v);
	return 0;
}

/* The entry for key (n bytes): found, or added with a count of 0. An
 * added key is kept as the pointer key, or as offset off into *t->base
 * when the set has a base. NULL when memory runs out. */
static struct rset_slot *
rset_get(struct rset *t, const char *key, size_t n, size_t off)
{
	struct rset_slot *e;

	if ((t->n + 1) * 2 > t->cap && rset_grow(t) < 0)
		return NULL;
	e = rset_slot(t, key, n);
	if (e->used && e->gen == t->gen)
		return e;
	*e = (struct rset_slot){
		.key = t->base ? NULL : key, .off = off, .len = n, .gen = t->gen, .used = 1};
	t->n++;
	return e;
}

/* The entry for key, or NULL when it is not in the set. */
static struct rset_slot *
rset_find(struct rset *t, const char *key, size_t n)
{
	struct rset_slot *e;

	if (t->cap == 0)
		return NULL;
	e = rset_slot(t, key, n);
	return e->used && e->gen == t->gen ? e : NULL;
}

static void
rset_clear(struct rset *t)
{
	t->gen++;
	t->n = 0;
	if (t->gen == 0) /* wrapped: the stamps of old entries could match */
		memset(t->v, 0, t->cap * sizeof *t->v);
}

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

/* Whether cp is a character XML 1.0 allows. */
static int
xml_char(unsigned long cp)
{
	return cp == 0x9 || cp == 0xa || cp == 0xd || (cp >= 0x20 && cp <= 0xd7ff) ||
	       (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/* The digits s[0..n) of a numeric reference: 1 when they are digits of
 * the base and name an XML character, 0 when they are digits naming none
 * (NUL, a control, a surrogate, past U+10FFFF), -1 when they are not
 * digits. */
static int
char_ref_ok(const char *s, size_t n, int hex)
{
	unsigned long cp = 0;

	for (size_t i = 0; i < n; i++) {
		int d = s[i] >= '0' && s[i] <= '9'          ? s[i] - '0'
			: hex && s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
			: hex && s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10
							    : -1;
		if (d < 0)
			return -1;
		if (cp <= 0x10ffff) /* past it stays past it: no overflow */
			cp = cp * (hex ? 16 : 10) + (unsigned long)d;
	}
	return xml_char(cp);
}

/* Text up to the next '<': '&' that starts no reference is escaped; a
 * numeric reference to a character XML forbids (&#0;, &#xD800;, ...)
 * becomes U+FFFD, so one bad reference costs one character, not the rest
 * of the document. */
static int
put_text(struct rstate *r, const char *s, size_t n, int attr)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		const char *rep = NULL;
		if (s[i] == '&') {
			size_t k = i + 1;
			int upper_x = 0, num = 0, hex = 0;
			if (k < n && s[k] == '#') {
				k++;
				num = 1;
				if (k < n && (s[k] == 'x' || s[k] == 'X'))
					hex = 1, upper_x = s[k++] == 'X';
			}
			size_t st = k;
			while (k < n && name_char((unsigned char)s[k]))
				k++;
			int ok = num && k > st && k < n && s[k] == ';'
					 ? char_ref_ok(s + st, k - st, hex)
					 : 1;
			if (k == st || k >= n || s[k] != ';' || ok < 0)
				rep = "&amp;";
			else if (ok == 0) {
				if (buf_append(r->out, s + run, i - run) < 0 ||
				    buf_puts(r->out, "\xef\xbf\xbd") < 0)
					return -1;
				r->bad_refs++;
				run = k + 1;
				i = k;
				continue;
			} else if (upper_x) { /* "&#X41;": XML wants a lower-case x */
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

/* The count of open elements named like names[off..off+len). */
static struct rset_slot *
open_count(struct rstate *r, const char *name, size_t len, size_t off)
{
	return rset_get(&r->open_names, name, len, off);
}

static int
close_to(struct rstate *r, int level)
{
	while (r->depth > level) {
		r->depth--;
		struct rset_slot *c = open_count(r, r->names.data + r->open[r->depth],
						 r->openlen[r->depth], r->open[r->depth]);
		if (c == NULL)
			return -1;
		c->count--;
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
	/* an end tag that closes nothing costs one lookup, not a walk of the
	 * open elements; one that does walks only what it closes */
	struct rset_slot *c = rset_find(&r->open_names, r->s + st, k - st);
	if (c == NULL || c->count <= 0)
		return 0;
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

	rset_clear(&r->attrs);
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
		/* a duplicate attribute is a fatal XML error: keep the first
		 * (names compared on their first 128 bytes) */
		size_t kl = alen < 128 ? alen : 128;
		size_t before = r->attrs.n;
		if (rset_get(&r->attrs, s + an, kl, 0) == NULL)
			return -1;
		if (r->attrs.n == before)
			continue;
		if (buf_putc(r->out, ' ') < 0 || buf_append(r->out, s + an, alen) < 0 ||
		    buf_puts(r->out, "=\"") < 0 || put_text(r, s + vs, ve - vs, 1) < 0 ||
		    buf_putc(r->out, '"') < 0)
			return -1;
	}
	*k = i;
	return 0;
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
	if (buf_append(&r->names, r->s + st, nlen) < 0)
		return -1;
	struct rset_slot *c = open_count(r, r->s + st, nlen, r->open[r->depth]);
	if (c == NULL)
		return -1;
	c->count++;
	r->depth++;
	return 0;
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
	if (left >= 6 && !memcmp(s, "<?xml", 5) && (is_space(s[5]) || s[5] == '?')) {
		/* the XML declaration: the text is UTF-8 by now, and a broken
		 * declaration would stop the parser again */
		const char *e = memmem(s, left, "?>", 2);
		r->i = e ? (size_t)(e - r->s) + 2 : r->n;
		return 0;
	}
	if (left >= 2 && !memcmp(s, "<?", 2))
		return copy_until(r, "?>");
	if (left >= 2 && !memcmp(s, "<!", 2)) {
		/* DOCTYPE, possibly with an internal subset */
		const char *gt = memchr(s, '>', left);
		const char *lb = gt ? memchr(s, '[', (size_t)(gt - s)) : NULL;
		return copy_until(r, lb ? "]>" : ">");
	}
	if (left >= 3 && s[1] == '/' && name_start((unsigned char)s[2]))
		return end_tag(r);
	if (left >= 2 && name_start((unsigned char)s[1]))
		return start_tag(r);
	r->i++;
	return buf_puts(r->out, "&lt;");
}

/* The length of the prefix at s[0..n) (name characters up to a ':'). */
static size_t
prefix_len(const char *s, size_t n)
{
	size_t k = 0;

	while (k < n && name_char((unsigned char)s[k]) && s[k] != ':')
		k++;
	return k;
}

/* Every prefix the document declares anywhere ("xmlns:p=") into *set, in
 * one pass. */
static int
declared(const char *s, size_t n, struct rset *set)
{
	const char *p = s, *end = s + n;

	while ((p = memmem(p, (size_t)(end - p), "xmlns:", 6)) != NULL) {
		p += 6;
		size_t k = prefix_len(p, (size_t)(end - p));
		if (p + k < end && p[k] == '=' && rset_get(set, p, k, 0) == NULL)
			return -1;
		p += k;
	}
	return 0;
}

/* Declarations for element prefixes the document uses but never declares
 * (undeclared prefixes are fatal to a namespace-aware parser). Two sets
 * (declared, and already added) make it one pass. */
static int
undeclared(struct rstate *r)
{
	const char *s = r->s;
	size_t n = r->n;
	struct rset have = {0};
	int rc = -1;

	if (declared(s, n, &have) < 0)
		goto out;
	for (size_t i = 0; i + 1 < n; i++) {
		size_t st = i + 1 + (s[i + 1] == '/');
		if (s[i] != '<' || st >= n || !name_start((unsigned char)s[st]))
			continue;
		size_t k = st + prefix_len(s + st, n - st);
		if (k >= n || s[k] != ':' || k - st > 40)
			continue;
		char pre[64];
		memcpy(pre, s + st, k - st);
		pre[k - st] = '\0';
		if (!strcmp(pre, "xml") || !strcmp(pre, "xmlns"))
			continue;
		size_t before = have.n;
		if (rset_get(&have, s + st, k - st, 0) == NULL)
			goto out;
		if (have.n == before) /* declared, or added already */
			continue;
		const char *uri = NULL;
		for (size_t j = 0; j < sizeof known_prefixes / sizeof known_prefixes[0]; j++)
			if (!strcmp(pre, known_prefixes[j].prefix))
				uri = known_prefixes[j].uri;
		if ((uri ? buf_printf(&r->decls, " xmlns:%s=\"%s\"", pre, uri)
			 : buf_printf(&r->decls, " xmlns:%s=\"urn:x-herald:undeclared:%s\"", pre,
				      pre)) < 0)
			goto out;
	}
	rc = 0;
out:
	free(have.v);
	return rc;
}

int
parse_repair(const char *in, size_t len, int max_depth, struct buf *out, size_t *bad_refs)
{
	struct rstate r = {.s = in, .n = len, .out = out, .max_depth = max_depth};
	int rc = -1;

	r.open_names.base = &r.names.data;
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
	if (bad_refs)
		*bad_refs = r.bad_refs;
out:
	free(r.open);
	free(r.openlen);
	buf_free(&r.names);
	buf_free(&r.decls);
	free(r.attrs.v);
	free(r.open_names.v);
	return rc;
}
