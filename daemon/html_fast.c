/* html_fast: the fast path of html_clean (see html_int.h, docs/html.md). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "html_int.h"

/* ---------------------------------------------------------------- fast path */

/* Most item HTML is a few well-nested paragraphs, links, lists and images,
 * and a title is often plain text. For such input the tree gumbo builds is
 * exactly the nesting of the tags as written, so it is built here directly,
 * from the same node types in the same arena, and walked by the same
 * sanitizer: the output is the same, at a fraction of gumbo's cost. Anything
 * outside that subset makes html_fast_parse give up (NULL) and gumbo parses the
 * input: comments, doctypes, unknown elements and every element with its own
 * tree-building rules (tables, forms, raw text, pre, foreign content), an end
 * tag that does not close the current element, an element HTML5 would close
 * implicitly (a block inside <p>, <li> outside a list, <a> inside <a>),
 * unclosed elements, character references other than &amp; &lt; &gt; &quot;
 * &apos; &nbsp; and plain numeric ones, control characters, CR, NUL, invalid
 * UTF-8, duplicate or oddly written attributes. */

enum {
	FF_OK = 1,
	FF_VOID = 2,  /* no end tag */
	FF_BLOCK = 4, /* closes an open <p> in HTML5: refused inside one */
	FF_HEAD = 8,  /* h1-h6: refused inside another heading */
	FF_LI = 16,   /* only directly in ul/ol */
	FF_DDT = 32,  /* only directly in dl */
	FF_A = 64,    /* never inside another <a> */
};

#define FAST_DEPTH 64
#define FAST_ATTRS 16

static unsigned
fast_flags(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_A: return FF_OK | FF_A;
	case GUMBO_TAG_ABBR:
	case GUMBO_TAG_B:
	case GUMBO_TAG_BIG:
	case GUMBO_TAG_CITE:
	case GUMBO_TAG_CODE:
	case GUMBO_TAG_DEL:
	case GUMBO_TAG_DFN:
	case GUMBO_TAG_EM:
	case GUMBO_TAG_I:
	case GUMBO_TAG_INS:
	case GUMBO_TAG_KBD:
	case GUMBO_TAG_MARK:
	case GUMBO_TAG_Q:
	case GUMBO_TAG_S:
	case GUMBO_TAG_SAMP:
	case GUMBO_TAG_SMALL:
	case GUMBO_TAG_SPAN:
	case GUMBO_TAG_STRIKE:
	case GUMBO_TAG_STRONG:
	case GUMBO_TAG_SUB:
	case GUMBO_TAG_SUP:
	case GUMBO_TAG_TIME:
	case GUMBO_TAG_TT:
	case GUMBO_TAG_U:
	case GUMBO_TAG_VAR: return FF_OK;
	case GUMBO_TAG_BR:
	case GUMBO_TAG_IMG:
	case GUMBO_TAG_WBR: return FF_OK | FF_VOID;
	case GUMBO_TAG_HR: return FF_OK | FF_VOID | FF_BLOCK;
	case GUMBO_TAG_ADDRESS:
	case GUMBO_TAG_ARTICLE:
	case GUMBO_TAG_ASIDE:
	case GUMBO_TAG_BLOCKQUOTE:
	case GUMBO_TAG_DIV:
	case GUMBO_TAG_DL:
	case GUMBO_TAG_FIGCAPTION:
	case GUMBO_TAG_FIGURE:
	case GUMBO_TAG_FOOTER:
	case GUMBO_TAG_HEADER:
	case GUMBO_TAG_NAV:
	case GUMBO_TAG_OL:
	case GUMBO_TAG_P:
	case GUMBO_TAG_SECTION:
	case GUMBO_TAG_UL: return FF_OK | FF_BLOCK;
	case GUMBO_TAG_H1:
	case GUMBO_TAG_H2:
	case GUMBO_TAG_H3:
	case GUMBO_TAG_H4:
	case GUMBO_TAG_H5:
	case GUMBO_TAG_H6: return FF_OK | FF_BLOCK | FF_HEAD;
	case GUMBO_TAG_LI: return FF_OK | FF_LI;
	case GUMBO_TAG_DD:
	case GUMBO_TAG_DT: return FF_OK | FF_DDT;
	default: return 0;
	}
}

struct fnode {
	GumboNode n;
	struct fnode *kid, *last, *next;
	unsigned nkids;
};

struct fast {
	struct html_arena *a;
	const char *s;
	size_t n, i;
	struct fnode *stack[FAST_DEPTH + 1]; /* [0] is the root */
	int depth, np, nh, na;               /* open elements, of them p, h1-h6, a */
	size_t elements;                     /* start tags so far */
};

/* A code point gumbo passes through unchanged (no replacement, no error
 * that could change it). */
static int
hexdig(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int
fast_cp_ok(unsigned long cp)
{
	if (cp < 0x80)
		return cp == '\t' || cp == '\n' || cp == '\f' || (cp >= 0x20 && cp < 0x7f);
	return (cp >= 0xa0 && cp < 0xd800) ||
	       (cp >= 0xe000 && cp <= 0x10ffff && !(cp >= 0xfdd0 && cp <= 0xfdef) &&
		(cp & 0xfffe) != 0xfffe);
}

static size_t
fast_put_cp(char *o, unsigned long cp)
{
	if (cp < 0x80)
		return o[0] = (char)cp, 1;
	if (cp < 0x800)
		return o[0] = (char)(0xc0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3f)), 2;
	if (cp < 0x10000)
		return o[0] = (char)(0xe0 | cp >> 12), o[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
		       o[2] = (char)(0x80 | (cp & 0x3f)), 3;
	return o[0] = (char)(0xf0 | cp >> 18), o[1] = (char)(0x80 | ((cp >> 12) & 0x3f)),
	       o[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), o[3] = (char)(0x80 | (cp & 0x3f)), 4;
}

/* One UTF-8 sequence at s (n bytes left, s[0] >= 0x80): its length, or 0
 * when it is invalid or a code point gumbo would not pass through. */
static size_t
fast_utf8(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len = buf_utf8_decode(s, n, &cp);

	return len > 1 && fast_cp_ok(cp) ? len : 0;
}

/* A character reference at s[0] == '&' (n bytes left) decoded into o: the
 * bytes consumed (0: not one we decode) and *olen the bytes written. A '&'
 * that starts no reference at all is itself. */
static size_t
fast_ref(const char *s, size_t n, char *o, size_t *olen)
{
	static const struct {
		const char *name, *val;
	} named[] = {{"amp;", "&"},   {"lt;", "<"},   {"gt;", ">"},
		     {"quot;", "\""}, {"apos;", "'"}, {"nbsp;", "\xc2\xa0"}};

	if (n > 1 && s[1] == '#') {
		unsigned long cp = 0;
		size_t k = 2, nd = 0;
		int hex = k < n && (s[k] == 'x' || s[k] == 'X');

		k += (size_t)hex;
		for (; k < n && nd < 7; k++, nd++) {
			int d = hex                            ? hexdig((unsigned char)s[k])
				: isdigit((unsigned char)s[k]) ? s[k] - '0'
							       : -1;
			if (d < 0)
				break;
			cp = cp * (hex ? 16 : 10) + (unsigned long)d;
		}
		if (nd == 0 || k >= n || s[k] != ';' || !fast_cp_ok(cp))
			return 0;
		*olen = fast_put_cp(o, cp);
		return k + 1;
	}
	if (n > 1 && isalnum((unsigned char)s[1])) {
		for (size_t k = 0; k < NITEMS(named); k++) {
			size_t l = strlen(named[k].name);
			if (n - 1 >= l && memcmp(s + 1, named[k].name, l) == 0) {
				*olen = strlen(named[k].val);
				memcpy(o, named[k].val, *olen);
				return l + 1;
			}
		}
		return 0;
	}
	*o = '&';
	*olen = 1;
	return 1;
}

/* The end of the run of printable ASCII other than '&' from i. */
static size_t
fast_plain_end(const char *s, size_t i, size_t n)
{
	while (i + 8 <= n) {
		uint64_t x = swar_load(s + i);

		if (swar_below(x, 0x20) | (x & SWAR_HIGHS) | swar_eq(x, 0x7f) | swar_eq(x, '&'))
			break;
		i += 8;
	}
	while (i < n && (unsigned char)(s[i] - ' ') < 0x5f && s[i] != '&')
		i++;
	return i;
}

/* s[0..n) decoded into a new arena string; NULL to give up. *ws: all of it
 * HTML whitespace. */
static char *
fast_decode(struct fast *f, const char *s, size_t n, int *ws)
{
	char *out = html_arena_alloc(f->a, n + 1);
	size_t i = 0, j = 0, k, olen;
	int allws = 1;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c >= ' ' && c < 0x7f && c != '&') {
			/* a run of printable ASCII is copied as it is */
			k = fast_plain_end(s, i + 1, n);
			for (size_t m = i; allws && m < k; m++)
				allws = s[m] == ' ';
			memcpy(out + j, s + i, k - i);
			j += k - i, i = k;
			continue;
		}
		if (c == '&') {
			if ((k = fast_ref(s + i, n - i, out + j, &olen)) == 0)
				return NULL;
			allws = allws && olen == 1 &&
				(out[j] == ' ' || out[j] == '\t' || out[j] == '\n' ||
				 out[j] == '\f');
			i += k, j += olen;
		} else if (c < 0x80) {
			if (!fast_cp_ok(c))
				return NULL;
			allws = allws && (c == ' ' || c == '\t' || c == '\n' || c == '\f');
			out[j++] = (char)c, i++;
		} else {
			if ((k = fast_utf8((const unsigned char *)s + i, n - i)) == 0)
				return NULL;
			memcpy(out + j, s + i, k);
			allws = 0, i += k, j += k;
		}
	}
	out[j] = '\0';
	if (ws)
		*ws = allws;
	return out;
}

static struct fnode *
fast_node(struct fast *f, GumboNodeType type)
{
	struct fnode *x = html_arena_alloc(f->a, sizeof *x), *up = f->stack[f->depth];

	memset(x, 0, sizeof *x);
	x->n.type = type;
	x->n.parent = &up->n;
	if (up->last)
		up->last->next = x;
	else
		up->kid = x;
	up->last = x;
	up->nkids++;
	return x;
}

/* The element is complete: its children into a gumbo vector. */
static void
fast_close(struct fast *f, struct fnode *x)
{
	GumboVector *v = &x->n.v.element.children;
	unsigned i = 0;

	v->length = v->capacity = x->nkids;
	v->data = x->nkids ? html_arena_alloc(f->a, x->nkids * sizeof(void *)) : NULL;
	for (struct fnode *k = x->kid; k; k = k->next) {
		k->n.index_within_parent = i;
		v->data[i++] = &k->n;
	}
}

static int
fast_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f';
}

/* One attribute at f->i into *out; -1 to give up. */
static int
fast_attr(struct fast *f, GumboAttribute **out)
{
	const char *s = f->s;
	size_t n = f->n, i = f->i, start = i, ne, vs, ve;
	GumboAttribute *a;
	char *name;

	while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_' ||
			 s[i] == ':' || s[i] == '.'))
		i++;
	if (i == start || i - start > 63)
		return -1;
	name = html_arena_alloc(f->a, i - start + 1);
	for (size_t k = start; k < i; k++)
		name[k - start] = (char)tolower((unsigned char)s[k]);
	name[i - start] = '\0';
	ne = i;
	while (i < n && fast_ws(s[i]))
		i++;
	vs = ve = i;
	if (i < n && s[i] == '=') {
		i++;
		while (i < n && fast_ws(s[i]))
			i++;
		if (i < n && (s[i] == '"' || s[i] == '\'')) {
			const char *q = memchr(s + i + 1, s[i], n - i - 1);
			if (q == NULL)
				return -1;
			vs = i + 1, ve = (size_t)(q - s), i = ve + 1;
			if (i < n && !fast_ws(s[i]) && s[i] != '>' && s[i] != '/')
				return -1;
		} else {
			vs = i;
			while (i < n && !fast_ws(s[i]) && s[i] != '>') {
				if (strchr("\"'<=`", s[i]))
					return -1;
				i++;
			}
			ve = i;
			if (vs == ve)
				return -1;
		}
	} else {
		i = ne; /* no value: the spaces belong to the next attribute */
		if (i < n && !fast_ws(s[i]) && s[i] != '>' && s[i] != '/')
			return -1;
	}
	a = html_arena_alloc(f->a, sizeof *a);
	memset(a, 0, sizeof *a);
	a->attr_namespace = GUMBO_ATTR_NAMESPACE_NONE;
	a->name = name;
	if ((a->value = fast_decode(f, s + vs, ve - vs, NULL)) == NULL)
		return -1;
	f->i = i;
	*out = a;
	return 0;
}

/* The attributes of a start tag up to its '>'; *selfclose for "/>". */
static int
fast_attrs(struct fast *f, GumboVector *v, int *selfclose)
{
	GumboAttribute *at[FAST_ATTRS];
	unsigned na = 0;
	const char *s = f->s;

	*selfclose = 0;
	for (;;) {
		int ws = 0;

		while (f->i < f->n && fast_ws(s[f->i]))
			f->i++, ws = 1;
		if (f->i >= f->n)
			return -1;
		if (s[f->i] == '>') {
			f->i++;
			break;
		}
		if (s[f->i] == '/') {
			if (f->i + 1 >= f->n || s[f->i + 1] != '>')
				return -1;
			f->i += 2;
			*selfclose = 1;
			break;
		}
		if (!ws || na == FAST_ATTRS || fast_attr(f, &at[na]) < 0)
			return -1;
		for (unsigned k = 0; k < na; k++)
			if (strcmp(at[k]->name, at[na]->name) == 0)
				return -1; /* gumbo keeps the first; not worth doing here */
		na++;
	}
	v->length = v->capacity = na;
	v->data = na ? html_arena_alloc(f->a, na * sizeof(void *)) : NULL;
	for (unsigned k = 0; k < na; k++)
		v->data[k] = at[k];
	return 0;
}

static int
fast_count(struct fast *f, GumboTag t, int d)
{
	f->np += t == GUMBO_TAG_P ? d : 0;
	f->na += t == GUMBO_TAG_A ? d : 0;
	f->nh += fast_flags(t) & FF_HEAD ? d : 0;
	return 0;
}

/* The tag at f->s[f->i] == '<'; -1 to give up. */
static int
fast_tag(struct fast *f)
{
	const char *s = f->s;
	size_t n = f->n, i = f->i + 1, k = 0;
	int end = i < n && s[i] == '/', selfclose;
	char name[16];
	struct fnode *top = f->stack[f->depth], *x;
	GumboTag t, cur = f->depth ? top->n.v.element.tag : GUMBO_TAG_HTML;
	unsigned fl;

	i += (size_t)end;
	if (i >= n || !isalpha((unsigned char)s[i]))
		return -1; /* <!, <?, </> */
	while (i < n && isalnum((unsigned char)s[i]) && k < sizeof name - 1)
		name[k++] = (char)tolower((unsigned char)s[i++]);
	name[k] = '\0';
	if (i >= n || isalnum((unsigned char)s[i]))
		return -1;
	t = gumbo_tag_enum(name);
	if ((fl = fast_flags(t)) == 0)
		return -1;
	if (end) {
		while (i < n && fast_ws(s[i]))
			i++;
		if (i >= n || s[i] != '>' || (fl & FF_VOID) || f->depth == 0 || cur != t)
			return -1;
		fast_close(f, top);
		f->depth--;
		f->i = i + 1;
		return fast_count(f, t, -1);
	}
	/* past the element limit gumbo's path cuts the input: so does it */
	if (++f->elements > HTML_MAX_ELEMENTS)
		return -1;
	if (((fl & FF_BLOCK) && f->np) || ((fl & FF_HEAD) && f->nh) || ((fl & FF_A) && f->na) ||
	    ((fl & FF_LI) && cur != GUMBO_TAG_UL && cur != GUMBO_TAG_OL) ||
	    ((fl & FF_DDT) && cur != GUMBO_TAG_DL))
		return -1;
	x = fast_node(f, GUMBO_NODE_ELEMENT);
	x->n.v.element.tag = t;
	x->n.v.element.tag_namespace = GUMBO_NAMESPACE_HTML;
	f->i = i;
	if (fast_attrs(f, &x->n.v.element.attributes, &selfclose) < 0)
		return -1;
	if (fl & FF_VOID) {
		fast_close(f, x);
		return 0;
	}
	if (selfclose || f->depth == FAST_DEPTH)
		return -1;
	f->stack[++f->depth] = x;
	return fast_count(f, t, 1);
}

static int
fast_tag_start(const char *s, size_t i, size_t n)
{
	return i + 1 < n && (isalpha((unsigned char)s[i + 1]) || s[i + 1] == '/' ||
			     s[i + 1] == '!' || s[i + 1] == '?');
}

static const GumboVector *
fast_run(struct html_arena *a, const char *s, size_t n)
{
	struct fast f = {.a = a, .s = s, .n = n};
	struct fnode *root = html_arena_alloc(a, sizeof *root);

	memset(root, 0, sizeof *root);
	root->n.type = GUMBO_NODE_ELEMENT;
	root->n.v.element.tag = GUMBO_TAG_HTML;
	f.stack[0] = root;
	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		return NULL; /* gumbo skips a byte order mark */
	while (f.i < n) {
		size_t j = f.i;
		int ws;

		if (s[j] == '<' && fast_tag_start(s, j, n)) {
			if (fast_tag(&f) < 0)
				return NULL;
			continue;
		}
		while (j < n) {
			const char *lt = memchr(s + j, '<', n - j);

			j = lt ? (size_t)(lt - s) : n;
			if (j == n || fast_tag_start(s, j, n))
				break;
			j++;
		}
		struct fnode *t = fast_node(&f, GUMBO_NODE_TEXT);
		if ((t->n.v.text.text = fast_decode(&f, s + f.i, j - f.i, &ws)) == NULL)
			return NULL;
		if (ws)
			t->n.type = GUMBO_NODE_WHITESPACE;
		f.i = j;
	}
	if (f.depth != 0)
		return NULL;
	fast_close(&f, root);
	return &root->n.v.element.children;
}

/* The tree of in when it is simple (see above), else NULL; the arena runs
 * out the same way as with gumbo. */
const GumboVector *
html_fast_parse(struct html_arena *a, const char *in, size_t len)
{
	jmp_buf jump;
	const GumboVector *kids;

	a->jump = &jump;
	a->allocs = 0;
	if (setjmp(jump) != 0) {
		a->jump = NULL;
		return NULL;
	}
	kids = fast_run(a, in, len);
	/* jump dies with this frame: the arena outlives it. */
	a->jump = NULL;
	return kids;
}
