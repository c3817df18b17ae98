/* html_gumbo: gumbo, bounded (see html_int.h): its memory comes from an
 * arena with a hard cap, and a light pre-scan refuses input whose nesting
 * would make gumbo's tree builder take minutes. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html_int.h"

/* Each block starts with its size class, kept in a 16-byte header. The
 * first blocks of a parse are zeroed: gumbo 0.10.1 reads a field of a
 * structure it allocates on entry to gumbo_parse_with_options without having
 * written it, while closing table sections (valgrind shows it on a plain
 * "<table><tbody><tr><td>" with malloc); zeroed, that read is at least
 * deterministic. */
/* Out of arena memory: back to the parse that is running, or NULL when
 * none is (a->jump is set only while a parse runs). */
static void *
arena_fail(struct html_arena *a)
{
	if (a->jump != NULL)
		longjmp(*a->jump, 1);
	return NULL;
}

void *
html_arena_alloc(void *ud, size_t n)
{
	struct html_arena *a = ud;
	struct html_chunk *c = a->head;
	unsigned cls = 4;
	unsigned char *p;

	while (((size_t)1 << cls) < n && cls < ARENA_CLASSES - 1)
		cls++;
	if (((size_t)1 << cls) < n)
		return arena_fail(a);
	if (a->free[cls] != NULL) {
		p = a->free[cls];
		memcpy(&a->free[cls], p, sizeof(void *));
		return a->allocs++ < 16 ? memset(p, 0, n) : p;
	}
	n = ((size_t)1 << cls) + 16;
	if (c == NULL || c->size - c->used < n) {
		size_t size = n > 65536 ? n : 65536;

		if (a->total + size > HTML_MAX_PARSE_MEM || (c = malloc(sizeof *c + size)) == NULL)
			return arena_fail(a);
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
		a->total += size;
	}
	p = c->data + c->used;
	c->used += n;
	memcpy(p, &cls, sizeof cls);
	return a->allocs++ < 16 ? memset(p + 16, 0, n - 16) : p + 16;
}

void
html_arena_free_one(void *ud, void *ptr)
{
	struct html_arena *a = ud;
	unsigned cls;

	if (ptr == NULL)
		return;
	memcpy(&cls, (unsigned char *)ptr - 16, sizeof cls);
	memcpy(ptr, &a->free[cls], sizeof(void *));
	a->free[cls] = ptr;
}

void
html_arena_free(struct html_arena *a)
{
	while (a->head) {
		struct html_chunk *next = a->head->next;
		free(a->head);
		a->head = next;
	}
	a->total = 0;
	memset(a->free, 0, sizeof a->free);
}

/* Parses in as the children of a <body>; NULL when the arena ran out. */
GumboOutput *
html_parse_fragment(struct html_arena *a, const char *in, size_t len)
{
	jmp_buf jump;
	GumboOptions opt = kGumboDefaultOptions;
	GumboOutput *g;

	opt.allocator = html_arena_alloc;
	opt.deallocator = html_arena_free_one;
	opt.userdata = a;
	opt.fragment_context = GUMBO_TAG_BODY;
	opt.fragment_namespace = GUMBO_NAMESPACE_HTML;
	opt.max_errors = 0;
	a->jump = &jump;
	a->allocs = 0;
	if (setjmp(jump) != 0) {
		a->jump = NULL;
		return NULL;
	}
	g = gumbo_parse_with_options(&opt, in, len);
	/* jump dies with this frame: the arena outlives it. */
	a->jump = NULL;
	return g;
}

/* ---------------------------------------------------------------- pre-scan
 *
 * What reaches gumbo is bounded first. gumbo's tokenizer looks for a
 * duplicate of each attribute among the ones before it in the same tag, and
 * an <html> or <body> tag merges its attributes into the root element's
 * looking each up in all the root has: both are quadratic (80,000
 * attributes on one element took 16 s). The scan reads each start tag's
 * attributes as the tokenizer does and leaves out, in the copy gumbo
 * parses, those past HTML_MAX_ATTRS and every attribute of html and body
 * (which are never written). It also stops the input at the start tag past
 * HTML_MAX_ELEMENTS, since each start tag costs gumbo time in proportion to
 * the depth.
 *
 * gumbo checks element scopes by walking its stack of open elements, so a
 * start tag costs time in proportion to the nesting depth and 1 MB of
 * "<div>" takes minutes. Before parsing, a light tag scan estimates the depth
 * the tree builder will reach (voids, raw text, end tags matched by name and
 * the common implied end tags: p, li, dt/dd, table parts, option; formatting
 * elements reopened after an implied close) and
 * stops at the first byte where it passes PRESCAN_DEPTH. The estimate
 * follows the input loosely, hence the margin over HTML_MAX_DEPTH. */
#define PRESCAN_DEPTH (HTML_MAX_DEPTH * 4)

/* What the scan needs to know of a tag, by gumbo's tag number. */
enum {
	T_VOID = 1,        /* never has children */
	T_RAW = 2,         /* text up to its end tag */
	T_CLOSES_P = 4,    /* implies </p> */
	T_FORMATTING = 8,  /* reopened after an implied close */
	T_P_BOUNDARY = 16, /* a <p> above it is out of reach */
	T_LIST_BOUNDARY = 32,
};

/* clang-format off */
static const unsigned char tag_flags[GUMBO_TAG_LAST + 1] = {
	[GUMBO_TAG_AREA] = T_VOID, [GUMBO_TAG_BASE] = T_VOID, [GUMBO_TAG_BASEFONT] = T_VOID,
	[GUMBO_TAG_BGSOUND] = T_VOID, [GUMBO_TAG_BR] = T_VOID, [GUMBO_TAG_COL] = T_VOID,
	[GUMBO_TAG_EMBED] = T_VOID, [GUMBO_TAG_FRAME] = T_VOID, [GUMBO_TAG_HR] = T_VOID | T_CLOSES_P,
	[GUMBO_TAG_IMAGE] = T_VOID, [GUMBO_TAG_IMG] = T_VOID, [GUMBO_TAG_INPUT] = T_VOID,
	[GUMBO_TAG_KEYGEN] = T_VOID, [GUMBO_TAG_LINK] = T_VOID, [GUMBO_TAG_META] = T_VOID,
	[GUMBO_TAG_PARAM] = T_VOID, [GUMBO_TAG_SOURCE] = T_VOID, [GUMBO_TAG_TRACK] = T_VOID,
	[GUMBO_TAG_WBR] = T_VOID,
	[GUMBO_TAG_IFRAME] = T_RAW, [GUMBO_TAG_NOEMBED] = T_RAW, [GUMBO_TAG_NOFRAMES] = T_RAW,
	[GUMBO_TAG_SCRIPT] = T_RAW, [GUMBO_TAG_STYLE] = T_RAW, [GUMBO_TAG_TEXTAREA] = T_RAW,
	[GUMBO_TAG_TITLE] = T_RAW, [GUMBO_TAG_XMP] = T_RAW,
	[GUMBO_TAG_ADDRESS] = T_CLOSES_P, [GUMBO_TAG_ARTICLE] = T_CLOSES_P,
	[GUMBO_TAG_ASIDE] = T_CLOSES_P, [GUMBO_TAG_BLOCKQUOTE] = T_CLOSES_P,
	[GUMBO_TAG_CENTER] = T_CLOSES_P, [GUMBO_TAG_DD] = T_CLOSES_P,
	[GUMBO_TAG_DETAILS] = T_CLOSES_P, [GUMBO_TAG_DIR] = T_CLOSES_P,
	[GUMBO_TAG_DIV] = T_CLOSES_P, [GUMBO_TAG_DL] = T_CLOSES_P | T_LIST_BOUNDARY,
	[GUMBO_TAG_DT] = T_CLOSES_P, [GUMBO_TAG_FIELDSET] = T_CLOSES_P,
	[GUMBO_TAG_FIGCAPTION] = T_CLOSES_P, [GUMBO_TAG_FIGURE] = T_CLOSES_P,
	[GUMBO_TAG_FOOTER] = T_CLOSES_P, [GUMBO_TAG_FORM] = T_CLOSES_P,
	[GUMBO_TAG_H1] = T_CLOSES_P, [GUMBO_TAG_H2] = T_CLOSES_P, [GUMBO_TAG_H3] = T_CLOSES_P,
	[GUMBO_TAG_H4] = T_CLOSES_P, [GUMBO_TAG_H5] = T_CLOSES_P, [GUMBO_TAG_H6] = T_CLOSES_P,
	[GUMBO_TAG_HEADER] = T_CLOSES_P, [GUMBO_TAG_HGROUP] = T_CLOSES_P,
	[GUMBO_TAG_LI] = T_CLOSES_P, [GUMBO_TAG_MAIN] = T_CLOSES_P, [GUMBO_TAG_MENU] = T_CLOSES_P,
	[GUMBO_TAG_NAV] = T_CLOSES_P, [GUMBO_TAG_OL] = T_CLOSES_P | T_LIST_BOUNDARY,
	[GUMBO_TAG_P] = T_CLOSES_P, [GUMBO_TAG_PRE] = T_CLOSES_P, [GUMBO_TAG_SECTION] = T_CLOSES_P,
	[GUMBO_TAG_SUMMARY] = T_CLOSES_P,
	[GUMBO_TAG_TABLE] = T_CLOSES_P | T_P_BOUNDARY | T_LIST_BOUNDARY,
	[GUMBO_TAG_UL] = T_CLOSES_P | T_LIST_BOUNDARY,
	[GUMBO_TAG_A] = T_FORMATTING, [GUMBO_TAG_B] = T_FORMATTING, [GUMBO_TAG_BIG] = T_FORMATTING,
	[GUMBO_TAG_CODE] = T_FORMATTING, [GUMBO_TAG_EM] = T_FORMATTING,
	[GUMBO_TAG_FONT] = T_FORMATTING, [GUMBO_TAG_I] = T_FORMATTING,
	[GUMBO_TAG_NOBR] = T_FORMATTING, [GUMBO_TAG_S] = T_FORMATTING,
	[GUMBO_TAG_SMALL] = T_FORMATTING, [GUMBO_TAG_STRIKE] = T_FORMATTING,
	[GUMBO_TAG_STRONG] = T_FORMATTING, [GUMBO_TAG_TT] = T_FORMATTING,
	[GUMBO_TAG_U] = T_FORMATTING,
	[GUMBO_TAG_BUTTON] = T_P_BOUNDARY, [GUMBO_TAG_TD] = T_P_BOUNDARY,
	[GUMBO_TAG_TH] = T_P_BOUNDARY, [GUMBO_TAG_CAPTION] = T_P_BOUNDARY,
	[GUMBO_TAG_OBJECT] = T_P_BOUNDARY, [GUMBO_TAG_APPLET] = T_P_BOUNDARY,
	[GUMBO_TAG_MARQUEE] = T_P_BOUNDARY, [GUMBO_TAG_TEMPLATE] = T_P_BOUNDARY,
};
/* clang-format on */

struct scan {
	unsigned short stack[PRESCAN_DEPTH + 1];
	int top;
	int foreign; /* open svg/math elements: "/>" closes there */
	/* Formatting elements closed implicitly stay active: the tree builder
	 * opens them again before the next text or tag ("reconstruct"). */
	unsigned short active[PRESCAN_DEPTH + 1];
	int nactive;
	size_t elements; /* start tags so far */
	/* The input without the attributes the parser is not to see: built
	 * only when some tag has any (out.data NULL otherwise); s[0..copied)
	 * is in it. */
	struct buf out;
	size_t copied;
	size_t mark_src, mark_out; /* where the last drop began, in s and out */
	int oom;
	int why; /* HTML_CUT_* of the cut */
};

static int
flags(unsigned t)
{
	return t <= GUMBO_TAG_LAST ? tag_flags[t] : 0;
}

/* The topmost entry that is a or b, or -1 (also when an element with a
 * boundary flag is met first). */
static int
scan_find(const struct scan *sc, unsigned a, unsigned b, int boundary)
{
	for (int i = sc->top - 1; i >= 0; i--) {
		if (sc->stack[i] == a || sc->stack[i] == b)
			return i;
		if (flags(sc->stack[i]) & boundary)
			return -1;
	}
	return -1;
}

/* Pops the stack down to entry i (inclusive); formatting elements above i
 * become active again (see struct scan). */
static void
scan_pop_to(struct scan *sc, int i)
{
	if (i < 0)
		return;
	for (int k = i; k < sc->top; k++) {
		if (sc->stack[k] == GUMBO_TAG_SVG || sc->stack[k] == GUMBO_TAG_MATH)
			sc->foreign--;
		if (k > i && (flags(sc->stack[k]) & T_FORMATTING) && sc->nactive < PRESCAN_DEPTH)
			sc->active[sc->nactive++] = sc->stack[k];
	}
	sc->top = i;
}

/* Opens the active formatting elements again; -1 past the depth. */
static int
scan_reconstruct(struct scan *sc)
{
	for (int k = 0; k < sc->nactive; k++) {
		if (sc->top >= PRESCAN_DEPTH)
			return -1;
		sc->stack[sc->top++] = sc->active[k];
	}
	sc->nactive = 0;
	return 0;
}

/* An end tag: closes the element by name, or forgets an active one. */
static void
scan_end(struct scan *sc, unsigned t)
{
	int i = scan_find(sc, t, t, 0);

	if (i >= 0) {
		scan_pop_to(sc, i);
		return;
	}
	for (int k = sc->nactive - 1; k >= 0; k--)
		if (sc->active[k] == t) {
			memmove(sc->active + k, sc->active + k + 1,
				(size_t)(sc->nactive - k - 1) * sizeof sc->active[0]);
			sc->nactive--;
			return;
		}
}

/* The implied end tags a start tag brings. */
static void
scan_implied(struct scan *sc, unsigned t)
{
	if (flags(t) & T_CLOSES_P)
		scan_pop_to(sc, scan_find(sc, GUMBO_TAG_P, GUMBO_TAG_P, T_P_BOUNDARY));
	switch (t) {
	case GUMBO_TAG_LI:
		scan_pop_to(sc, scan_find(sc, GUMBO_TAG_LI, GUMBO_TAG_LI, T_LIST_BOUNDARY));
		break;
	case GUMBO_TAG_DD:
	case GUMBO_TAG_DT:
		scan_pop_to(sc, scan_find(sc, GUMBO_TAG_DD, GUMBO_TAG_DT, T_LIST_BOUNDARY));
		break;
	case GUMBO_TAG_TR:
		scan_pop_to(sc, scan_find(sc, GUMBO_TAG_TR, GUMBO_TAG_TR, T_LIST_BOUNDARY));
		break;
	case GUMBO_TAG_TD:
	case GUMBO_TAG_TH:
		scan_pop_to(sc, scan_find(sc, GUMBO_TAG_TD, GUMBO_TAG_TH, T_LIST_BOUNDARY));
		break;
	case GUMBO_TAG_TBODY:
	case GUMBO_TAG_THEAD:
	case GUMBO_TAG_TFOOT: {
		int i = scan_find(sc, GUMBO_TAG_TBODY, GUMBO_TAG_THEAD, T_LIST_BOUNDARY);

		scan_pop_to(sc, i >= 0 ? i
				       : scan_find(sc, GUMBO_TAG_TFOOT, GUMBO_TAG_TFOOT,
						   T_LIST_BOUNDARY));
		break;
	}
	case GUMBO_TAG_OPTION: scan_pop_to(sc, scan_find(sc, t, t, 0)); break;
	default: break;
	}
}

/* Reads a tag name at s[i..n); returns its end and gumbo's tag number. */
static size_t
scan_name(const char *s, size_t i, size_t n, unsigned *tag)
{
	size_t start = i;

	while (i < n && !is_ws((unsigned char)s[i]) && s[i] != '/' && s[i] != '>')
		i++;
	*tag = i - start < 16 ? gumbo_tagn_enum(s + start, (unsigned)(i - start))
			      : GUMBO_TAG_UNKNOWN;
	return i;
}

/* A start tag's attributes, read as the HTML tokenizer reads them: the
 * index after its '>' (or n) is returned; *selfclose says whether it ended
 * in "/>", *count is the number of attributes, *keep_end the end of the
 * HTML_MAX_ATTRS-th one and *last_end the end of the last one (both the
 * name's start when there are none). */
static size_t
scan_attrs(const char *s, size_t i, size_t n, int *selfclose, unsigned *count, size_t *keep_end,
	   size_t *last_end)
{
	*selfclose = 0;
	*count = 0;
	*keep_end = *last_end = i;
	while (i < n) {
		while (i < n && (is_ws((unsigned char)s[i]) || s[i] == '/')) {
			*selfclose = s[i] == '/';
			i++;
		}
		if (i >= n || s[i] == '>')
			break;
		*selfclose = 0;
		i++; /* the name's first character may be anything, even '=' */
		while (i < n && !is_ws((unsigned char)s[i]) && s[i] != '/' && s[i] != '>' &&
		       s[i] != '=')
			i++;
		size_t j = i;
		while (j < n && is_ws((unsigned char)s[j]))
			j++;
		if (j < n && s[j] == '=') {
			for (i = j + 1; i < n && is_ws((unsigned char)s[i]);)
				i++;
			if (i < n && (s[i] == '"' || s[i] == '\'')) {
				const char *q = memchr(s + i + 1, s[i], n - i - 1);

				i = q ? (size_t)(q - s) + 1 : n;
			} else {
				while (i < n && !is_ws((unsigned char)s[i]) && s[i] != '>')
					i++;
			}
		}
		if (++*count <= HTML_MAX_ATTRS)
			*keep_end = i;
		*last_end = i;
	}
	return i < n ? i + 1 : n;
}

static size_t
scan_skip(const char *s, size_t i, size_t n, const char *until)
{
	size_t ul = strlen(until);

	for (; i + ul <= n; i++)
		if ((s[i] == until[0] || s[i] == toupper((unsigned char)until[0])) &&
		    strncasecmp(s + i, until, ul) == 0)
			return i + ul;
	return n;
}

/* Text between tags reopens active formatting elements. */
static int
scan_text(struct scan *sc, const char *s, size_t from, size_t to)
{
	for (size_t k = from; k < to && sc->nactive > 0; k++)
		if (!is_ws((unsigned char)s[k]) && scan_reconstruct(sc) < 0)
			return -1;
	return 0;
}

/* Formatting elements open or active. Each new one is compared, attribute
 * by attribute, with every one in the tree builder's list of active
 * formatting elements (the "Noah's Ark" clause): 1,000 nested <b> with 60
 * attributes took 5 s. Past PRESCAN_FORMATTING of them a formatting
 * element reaches gumbo without attributes. */
#define PRESCAN_FORMATTING 64

static int
scan_formatting(const struct scan *sc)
{
	int n = 0;

	for (int i = 0; i < sc->top; i++)
		n += (flags(sc->stack[i]) & T_FORMATTING) != 0;
	return n + sc->nactive;
}

/* Leaves s[from..to) out of the copy the parser sees. */
static void
scan_drop(struct scan *sc, const char *s, size_t from, size_t to)
{
	sc->mark_src = sc->copied;
	sc->mark_out = sc->out.len;
	if (buf_append(&sc->out, s + sc->copied, from - sc->copied) < 0)
		sc->oom = 1;
	sc->copied = to;
}

/* The length of the prefix of s the parser may take: n, or the offset of
 * the tag or text that would nest past PRESCAN_DEPTH, or of the start tag
 * past HTML_MAX_ELEMENTS. */
static size_t
depth_prescan(struct scan *sc, const char *s, size_t n)
{
	size_t i = 0;

	sc->top = sc->foreign = sc->nactive = 0;
	sc->elements = 0;
	while (i < n) {
		const char *lt = memchr(s + i, '<', n - i);
		size_t tag, end = lt ? (size_t)(lt - s) : n;
		unsigned t;
		int selfclose;
		char close[24];

		if (scan_text(sc, s, i, end) < 0) {
			sc->why = HTML_CUT_DEPTH;
			return i;
		}
		if (lt == NULL)
			break;
		i = tag = end + 1;
		if (i < n && s[i] == '!') {
			i = scan_skip(s, i, n,
				      i + 2 < n && s[i + 1] == '-' && s[i + 2] == '-' ? "-->"
										      : ">");
			continue;
		}
		if (i + 1 < n && s[i] == '/' && isalpha((unsigned char)s[i + 1])) {
			i = scan_skip(s, scan_name(s, i + 1, n, &t), n, ">");
			scan_end(sc, t);
			continue;
		}
		if (i >= n || !isalpha((unsigned char)s[i]))
			continue;
		if (sc->elements++ == HTML_MAX_ELEMENTS) {
			sc->why = HTML_CUT_ELEMENTS;
			return tag - 1;
		}
		size_t name_end = scan_name(s, i, n, &t), keep_end, last_end;
		unsigned nattrs;
		i = scan_attrs(s, name_end, n, &selfclose, &nattrs, &keep_end, &last_end);
		/* html and body merge their attributes into the root's, one
		 * lookup in all it has for each: none of them is ever written */
		if (t == GUMBO_TAG_HTML || t == GUMBO_TAG_BODY ||
		    ((flags(t) & T_FORMATTING) && scan_formatting(sc) >= PRESCAN_FORMATTING))
			keep_end = name_end;
		if (last_end > keep_end)
			scan_drop(sc, s, keep_end, last_end);
		if (t == GUMBO_TAG_PLAINTEXT)
			break;
		if (flags(t) & T_RAW) {
			snprintf(close, sizeof close, "</%s", gumbo_normalized_tagname(t));
			i = scan_skip(s, i, n, close);
			continue;
		}
		if (scan_reconstruct(sc) < 0) {
			sc->why = HTML_CUT_DEPTH;
			return tag - 1;
		}
		/* html and body in a fragment only merge their attributes */
		if ((flags(t) & T_VOID) || (selfclose && sc->foreign > 0) || t == GUMBO_TAG_HTML ||
		    t == GUMBO_TAG_BODY)
			continue;
		scan_implied(sc, t);
		if (sc->top >= PRESCAN_DEPTH) {
			sc->why = HTML_CUT_DEPTH;
			return tag - 1;
		}
		sc->stack[sc->top++] = (unsigned short)t;
		sc->foreign += t == GUMBO_TAG_SVG || t == GUMBO_TAG_MATH;
	}
	return n;
}

int
html_prescan(const char *s, size_t n, size_t *cut, struct buf *filtered)
{
	struct scan *sc = calloc(1, sizeof *sc);
	int rc = -1;

	if (sc == NULL)
		return -1;
	*cut = depth_prescan(sc, s, n);
	if (sc->copied > *cut) { /* cut at the tag whose attributes were dropped */
		sc->out.len = sc->mark_out + (*cut - sc->mark_src);
		sc->copied = *cut;
	}
	if (sc->oom ||
	    (sc->out.data != NULL && buf_append(&sc->out, s + sc->copied, *cut - sc->copied) < 0)) {
		buf_free(&sc->out);
		goto out;
	}
	*filtered = sc->out;
	rc = *cut < n ? sc->why : HTML_CUT_NONE;
out:
	free(sc);
	return rc;
}
