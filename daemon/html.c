/* html: sanitize item HTML and render its text in one walk of a gumbo tree.
 *
 * The policy (what is kept, why) is written down in docs/html.md; the tables
 * below are that policy. gumbo builds the tree a browser would build, so the
 * sanitizer judges what a reader will actually render, then writes it out
 * again itself: only allowlisted elements and attributes are ever written,
 * every text and attribute value is escaped, and no raw-text element (script,
 * style, xmp, iframe, noscript, ...) is ever emitted, so the output cannot be
 * re-parsed into anything other than what was written. */
#include "html.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gumbo.h>

#include "buf.h"
#include "url.h"

/* ---------------------------------------------------------------- policy */

/* clang-format off */

/* HTML elements written out with their allowlisted attributes. Sorted. */
static const char *const html_keep[] = {
	"a", "abbr", "acronym", "address", "area", "article", "aside", "audio", "b", "bdi",
	"bdo", "big", "blockquote", "br", "canvas", "caption", "center", "cite", "code", "col",
	"colgroup", "command", "datagrid", "dd", "del", "details", "dfn", "dialog", "dir",
	"div", "dl", "dt", "em", "event-source", "fieldset", "figcaption", "figure", "font",
	"footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "i", "img",
	"ins", "kbd", "label", "legend", "li", "m", "main", "map", "mark", "menu", "meter",
	"multicol", "nav", "nextid", "ol", "output", "p", "picture", "pre", "progress", "q",
	"rp", "rt", "ruby", "s", "samp", "section", "small", "sound", "source", "spacer",
	"span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot",
	"th", "thead", "time", "tr", "track", "tt", "u", "ul", "var", "video", "wbr",
};

/* Elements dropped together with everything inside them, in any namespace:
 * active content, document metadata, form controls; in SVG also animation
 * (it can rewrite an href to javascript:), use and foreignObject. (object is not here:
 * its children are the fallback a reader without plugins sees, so it is
 * unwrapped like any unknown element, and its param children dropped.)
 * Sorted. */
static const char *const drop_all[] = {
	"applet", "base", "basefont", "bgsound", "datalist", "embed", "frame", "frameset",
	"head", "input", "keygen", "link", "meta", "optgroup", "option", "param", "script",
	"select", "style", "template", "textarea",
};
static const char *const svg_drop[] = {
	"animate", "animatecolor", "animatemotion", "animatetransform", "foreignobject", "set",
	"use",
};

/* Raw-text elements whose text a browser never shows but feed authors meant
 * as fallback markup: the text is parsed again as HTML and sanitized. */
static const char *const reparse[] = {"iframe", "noembed", "noframes"};

static const char *const html_attrs[] = {
	"abbr", "accept", "accept-charset", "accesskey", "action", "align", "alt",
	"autocomplete", "autofocus", "axis", "background", "balance", "bgcolor", "bgproperties",
	"border", "bordercolor", "bordercolordark", "bordercolorlight", "bottompadding",
	"cellpadding", "cellspacing", "ch", "challenge", "char", "charoff", "charset",
	"checked", "choff", "cite", "class", "clear", "color", "cols", "colspan", "compact",
	"contenteditable", "controls", "coords", "data", "datafld", "datapagesize", "datasrc",
	"datetime", "default", "delay", "dir", "disabled", "draggable", "dynsrc", "enctype",
	"end", "face", "for", "form", "frame", "galleryimg", "gutter", "headers", "height",
	"hidden", "hidefocus", "high", "href", "hreflang", "hspace", "icon", "id", "inputmode",
	"ismap", "keytype", "label", "lang", "leftspacing", "list", "longdesc", "loop",
	"loopcount", "loopend", "loopstart", "low", "lowsrc", "max", "maxlength", "media",
	"method", "min", "multiple", "name", "nohref", "noshade", "nowrap", "open", "optimum",
	"pattern", "ping", "point-size", "poster", "pqg", "preload", "prompt", "radiogroup",
	"readonly", "rel", "repeat-max", "repeat-min", "replace", "required", "rev",
	"rightspacing", "rows", "rowspan", "rules", "scope", "selected", "shape", "size",
	"span", "src", "start", "step", "style", "summary", "suppress", "tabindex", "target",
	"template", "title", "toppadding", "type", "unselectable", "urn", "usemap", "valign",
	"value", "variable", "volume", "vrml", "vspace", "width", "wrap", "xml:lang",
};

/* Attributes holding a URL: checked and resolved (url_clean). Sorted. */
static const char *const url_attrs[] = {
	"action", "background", "cite", "data", "datasrc", "dynsrc", "href", "icon", "longdesc",
	"lowsrc", "ping", "poster", "src", "template", "usemap", "vrml", "xlink:href",
};

/* SVG Tiny minus animation, foreignObject and use (see drop_all). Lower case
 * for lookup; gumbo gives the camelCase spelling for output. Sorted. */
static const char *const svg_keep[] = {
	"a", "circle", "defs", "desc", "ellipse", "font-face", "font-face-name",
	"font-face-src", "g", "glyph", "hkern", "line", "lineargradient", "marker", "metadata",
	"missing-glyph", "mpath", "path", "polygon", "polyline", "radialgradient", "rect",
	"stop", "svg", "switch", "text", "title", "tspan",
};

static const char *const svg_attrs[] = {
	"accent-height", "accumulate", "additive", "alphabetic", "arabic-form", "ascent",
	"baseprofile", "bbox", "begin", "by", "calcmode", "cap-height", "class", "color",
	"color-rendering", "content", "cx", "cy", "d", "descent", "display", "dur", "dx", "dy",
	"end", "fill", "fill-opacity", "fill-rule", "font-family", "font-size", "font-stretch",
	"font-style", "font-variant", "font-weight", "fx", "fy", "g1", "g2", "glyph-name",
	"gradientunits", "hanging", "height", "horiz-adv-x", "horiz-origin-x", "id",
	"ideographic", "k", "keypoints", "keysplines", "keytimes", "lang", "marker-end",
	"marker-mid", "marker-start", "markerheight", "markerunits", "markerwidth",
	"mathematical", "max", "min", "name", "offset", "opacity", "orient", "origin",
	"overline-position", "overline-thickness", "panose-1", "path", "pathlength", "points",
	"preserveaspectratio", "r", "refx", "refy", "repeatcount", "repeatdur",
	"requiredextensions", "requiredfeatures", "restart", "rotate", "rx", "ry", "slope",
	"stemh", "stemv", "stop-color", "stop-opacity", "strikethrough-position",
	"strikethrough-thickness", "stroke", "stroke-dasharray", "stroke-dashoffset",
	"stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-opacity",
	"stroke-width", "systemlanguage", "target", "text-anchor", "transform", "type", "u1",
	"u2", "underline-position", "underline-thickness", "unicode", "unicode-range",
	"units-per-em", "version", "viewbox", "visibility", "width", "widths", "x", "x-height",
	"x1", "x2", "xlink:actuate", "xlink:arcrole", "xlink:href", "xlink:role", "xlink:show",
	"xlink:title", "xlink:type", "xml:lang", "xml:space", "y", "y1", "y2", "zoomandpan",
};

static const char *const math_keep[] = {
	"annotation", "annotation-xml", "maction", "maligngroup", "malignmark", "math",
	"menclose", "merror", "mfenced", "mfrac", "mglyph", "mi", "mlabeledtr", "mlongdiv",
	"mmultiscripts", "mn", "mo", "mover", "mpadded", "mphantom", "mprescripts", "mroot",
	"mrow", "ms", "mscarries", "mscarry", "msgroup", "msline", "mspace", "msqrt", "msrow",
	"mstack", "mstyle", "msub", "msubsup", "msup", "mtable", "mtd", "mtext", "mtr",
	"munder", "munderover", "none", "semantics",
};

static const char *const math_attrs[] = {
	"accent", "accentunder", "actiontype", "align", "alignmentscope", "altimg",
	"altimg-height", "altimg-valign", "altimg-width", "alttext", "bevelled", "charalign",
	"close", "columnalign", "columnlines", "columnspacing", "columnspan", "columnwidth",
	"crossout", "decimalpoint", "denomalign", "depth", "dir", "display", "displaystyle",
	"edge", "encoding", "equalcolumns", "equalrows", "fence", "fontstyle", "fontweight",
	"form", "frame", "framespacing", "groupalign", "height", "href", "id", "indentalign",
	"indentalignfirst", "indentalignlast", "indentshift", "indentshiftfirst",
	"indentshiftlast", "indenttarget", "infixlinebreakstyle", "largeop", "length",
	"linebreak", "linebreakmultchar", "linebreakstyle", "lineleading", "linethickness",
	"location", "longdivstyle", "lquote", "lspace", "mathbackground", "mathcolor",
	"mathsize", "mathvariant", "maxsize", "minlabelspacing", "minsize", "movablelimits",
	"notation", "numalign", "open", "other", "overflow", "position", "rowalign", "rowlines",
	"rowspacing", "rowspan", "rquote", "rspace", "scriptlevel", "scriptminsize",
	"scriptsizemultiplier", "selection", "separator", "separators", "shift", "side", "src",
	"stackalign", "stretchy", "subscriptshift", "superscriptshift", "symmetric", "voffset",
	"width", "xlink:href", "xlink:show", "xlink:type",
};

static const char *const css_props[] = {
	"azimuth", "background-color", "border-bottom-color", "border-collapse", "border-color",
	"border-left-color", "border-right-color", "border-top-color", "clear", "color",
	"cursor", "direction", "display", "elevation", "float", "font", "font-family",
	"font-size", "font-style", "font-variant", "font-weight", "height", "letter-spacing",
	"line-height", "overflow", "pause", "pause-after", "pause-before", "pitch",
	"pitch-range", "richness", "speak", "speak-header", "speak-numeral",
	"speak-punctuation", "speech-rate", "stress", "text-align", "text-decoration",
	"text-indent", "unicode-bidi", "vertical-align", "voice-family", "volume",
	"white-space", "width",
};

/* Case-sensitive, as in feedparser. */
static const char *const css_keywords[] = {
	"!important", "aqua", "auto", "black", "block", "blue", "bold", "both", "bottom",
	"brown", "center", "collapse", "dashed", "dotted", "fuchsia", "gray", "green", "italic",
	"left", "lime", "maroon", "medium", "navy", "none", "normal", "nowrap", "olive",
	"pointer", "purple", "red", "right", "silver", "solid", "teal", "top", "transparent",
	"underline", "white", "yellow",
};

/* Elements that start a new line in the text rendering; "para" ones leave a
 * blank line around them. Sorted. */
static const char *const text_blocks[] = {
	"address", "article", "aside", "caption", "center", "dd", "details", "dialog", "dir",
	"div", "dt", "fieldset", "figcaption", "footer", "form", "header", "hgroup", "hr",
	"legend", "li", "main", "menu", "nav", "section", "summary", "tr",
};
static const char *const text_paras[] = {
	"blockquote", "dl", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "ol", "p", "pre",
	"table", "ul",
};

/* clang-format on */

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

static int
cmp_str(const void *key, const void *item)
{
	return strcmp(key, *(const char *const *)item);
}

static int
in_set(const char *const *set, size_t n, const char *s)
{
	return bsearch(s, set, n, sizeof *set, cmp_str) != NULL;
}

#define IN(set, s) in_set(set, NITEMS(set), s)

/* ---------------------------------------------------------------- byte scans */

/* Text is scanned a word (8 bytes) at a time for the bytes that need a
 * closer look, which are then looked at one by one. A test may flag a byte
 * that needs nothing (a false alarm only costs the closer look), never
 * miss one; it says only whether the word holds such a byte, not where, so
 * byte order does not matter. */
#define SWAR_ONES  0x0101010101010101ULL
#define SWAR_HIGHS 0x8080808080808080ULL

static uint64_t
swar_load(const char *s)
{
	uint64_t w;

	memcpy(&w, s, sizeof w);
	return w;
}

/* Nonzero when some byte of w is below c (c <= 0x80). */
static uint64_t
swar_below(uint64_t w, unsigned char c)
{
	return (w - SWAR_ONES * c) & ~w & SWAR_HIGHS;
}

/* Nonzero when some byte of w is c. */
static uint64_t
swar_eq(uint64_t w, unsigned char c)
{
	return swar_below(w ^ (SWAR_ONES * c), 1);
}

/* ---------------------------------------------------------------- arena */

/* gumbo's memory comes from an arena: parsing makes many small allocations,
 * freeing the whole tree is one walk of the chunk list instead of gumbo's
 * recursive destroy (which a deep tree would overflow), and the arena caps
 * the parser's memory. gumbo cannot report a failed allocation, so a failure
 * jumps back out of gumbo_parse to parse_fragment; gumbo holds nothing but
 * arena memory, so nothing leaks. */
struct chunk {
	struct chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

/* Freed blocks go to a free list per power-of-two size class, so gumbo's
 * grow-by-copy buffers reuse memory as they would with malloc. */
#define ARENA_CLASSES 48

struct arena {
	struct chunk *head;
	size_t total;
	jmp_buf *jump;
	void *free[ARENA_CLASSES];
	unsigned allocs; /* since the parse started */
};

/* Each block starts with its size class, kept in a 16-byte header. The
 * first blocks of a parse are zeroed: gumbo 0.10.1 reads a field of a
 * structure it allocates on entry to gumbo_parse_with_options without having
 * written it, while closing table sections (valgrind shows it on a plain
 * "<table><tbody><tr><td>" with malloc); zeroed, that read is at least
 * deterministic. */
static void *
arena_alloc(void *ud, size_t n)
{
	struct arena *a = ud;
	struct chunk *c = a->head;
	unsigned cls = 4;
	unsigned char *p;

	while (((size_t)1 << cls) < n && cls < ARENA_CLASSES - 1)
		cls++;
	if (((size_t)1 << cls) < n)
		longjmp(*a->jump, 1);
	if (a->free[cls] != NULL) {
		p = a->free[cls];
		memcpy(&a->free[cls], p, sizeof(void *));
		return a->allocs++ < 16 ? memset(p, 0, n) : p;
	}
	n = ((size_t)1 << cls) + 16;
	if (c == NULL || c->size - c->used < n) {
		size_t size = n > 65536 ? n : 65536;

		if (a->total + size > HTML_MAX_PARSE_MEM || (c = malloc(sizeof *c + size)) == NULL)
			longjmp(*a->jump, 1);
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

static void
arena_free_one(void *ud, void *ptr)
{
	struct arena *a = ud;
	unsigned cls;

	if (ptr == NULL)
		return;
	memcpy(&cls, (unsigned char *)ptr - 16, sizeof cls);
	memcpy(ptr, &a->free[cls], sizeof(void *));
	a->free[cls] = ptr;
}

static void
arena_free(struct arena *a)
{
	while (a->head) {
		struct chunk *next = a->head->next;
		free(a->head);
		a->head = next;
	}
	a->total = 0;
	memset(a->free, 0, sizeof a->free);
}

/* Parses in as the children of a <body>; NULL when the arena ran out. */
static GumboOutput *
parse_fragment(struct arena *a, const char *in, size_t len)
{
	jmp_buf jump;
	GumboOptions opt = kGumboDefaultOptions;

	opt.allocator = arena_alloc;
	opt.deallocator = arena_free_one;
	opt.userdata = a;
	opt.fragment_context = GUMBO_TAG_BODY;
	opt.fragment_namespace = GUMBO_NAMESPACE_HTML;
	opt.max_errors = 0;
	a->jump = &jump;
	a->allocs = 0;
	if (setjmp(jump) != 0)
		return NULL;
	return gumbo_parse_with_options(&opt, in, len);
}

/* ---------------------------------------------------------------- walk state */

struct walk {
	struct buf *html; /* NULL: text only */
	int no_fast;      /* always parse with gumbo (html_clean_gumbo) */
	struct buf text;
	const char *base;
	struct arena *arena;
	int depth;
	int lenient;       /* text only: skip what is too deep instead of failing */
	int pre;           /* inside <pre>: text whitespace kept */
	int nl, sp;        /* pending newlines (0..2) and space in the text */
	int ol;            /* next number in the innermost <ol>, 0 in a <ul> */
	const char *error; /* why the walk stopped */
};

static int
put(struct walk *w, struct buf *b, const char *s, size_t n)
{
	if (buf_append(b, s, n) == 0)
		return 0;
	w->error = b->len + n > HTML_MAX_OUTPUT ? "output longer than the limit" : "out of memory";
	return -1;
}

static int
puts_(struct walk *w, struct buf *b, const char *s)
{
	return put(w, b, s, strlen(s));
}

/* Appends s escaped for text content (quote = 0) or a quoted attribute. */
static int
put_escaped(struct walk *w, const char *s, size_t n, int quote)
{
	size_t run = 0, i = 0;

	while (i < n) {
		size_t end;

		/* Most text holds none of the four. '<' 0x3c and '>' 0x3e are
		 * 0x3e with bit 1 set, '"' 0x22 and '&' 0x26 are 0x26 with bit 2
		 * set (no other byte is); a '"' in text is only a false alarm. */
		while (i + 8 <= n) {
			uint64_t x = swar_load(s + i);

			if (swar_eq(x | SWAR_ONES * 2, 0x3e) | swar_eq(x | SWAR_ONES * 4, 0x26))
				break;
			i += 8;
		}
		for (end = i + 8 < n ? i + 8 : n; i < end; i++) {
			const char *e;

			switch (s[i]) {
			case '&': e = "&amp;"; break;
			case '<': e = "&lt;"; break;
			case '>': e = "&gt;"; break;
			case '"': e = quote ? "&quot;" : NULL; break;
			default: e = NULL;
			}
			if (e == NULL)
				continue;
			if (put(w, w->html, s + run, i - run) < 0 || puts_(w, w->html, e) < 0)
				return -1;
			run = i + 1;
		}
	}
	return put(w, w->html, s + run, n - run);
}

/* ---------------------------------------------------------------- text rendering */

static void
text_break(struct walk *w, int lines)
{
	if (w->nl < lines)
		w->nl = lines;
}

/* Writes what is pending before visible text: line breaks or one space. */
static int
text_flush(struct walk *w)
{
	static const char nls[] = "\n\n";
	int rc = 0;

	if (w->text.len > 0) {
		if (w->nl > 0)
			rc = put(w, &w->text, nls, (size_t)w->nl);
		else if (w->sp)
			rc = put(w, &w->text, " ", 1);
	}
	w->nl = w->sp = 0;
	return rc;
}

static int
fold_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int
text_nbsp(const char *s, size_t i, size_t n)
{
	return (unsigned char)s[i] == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] == 0xa0;
}

/* The end of the run of words starting at i: the first whitespace (or
 * no-break space) that is not a lone ' ' between two words. A word of 8
 * bytes cannot hold that end unless it has a control character, a 0xc2, two
 * spaces in a row or a space as its last byte. */
static size_t
text_words_end(const char *s, size_t i, size_t n)
{
	for (;;) {
		size_t end;

		while (i + 8 <= n) {
			uint64_t x = swar_load(s + i), sp = swar_eq(x, ' ');

			if (swar_below(x, 0x20) | swar_eq(x, 0xc2) | (sp & (sp >> 8)) ||
			    s[i + 7] == ' ')
				break;
			i += 8;
		}
		for (end = i + 8; i < end; i++) {
			if (i >= n)
				return n;
			if (!fold_ws((unsigned char)s[i]) && !text_nbsp(s, i, n))
				continue;
			if (s[i] == ' ' && i + 1 < n && !fold_ws((unsigned char)s[i + 1]) &&
			    !text_nbsp(s, i + 1, n))
				continue;
			return i;
		}
	}
}

/* Text content: whitespace runs (and no-break spaces) fold into one space,
 * except inside <pre>. */
static int
text_put(struct walk *w, const char *s, size_t n)
{
	size_t i = 0;

	if (w->pre && n > 0) {
		if (text_flush(w) < 0)
			return -1;
		return put(w, &w->text, s, n);
	}
	while (i < n) {
		size_t start = i;

		if (fold_ws((unsigned char)s[i])) {
			w->sp = 1;
			i++;
			continue;
		}
		if (text_nbsp(s, i, n)) {
			w->sp = 1;
			i += 2;
			continue;
		}
		/* Words and the single spaces between them are written as they
		 * are, in one piece: a lone ' ' folds to itself. */
		i = text_words_end(s, i, n);
		if (text_flush(w) < 0 || put(w, &w->text, s + start, i - start) < 0)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- URLs */

static int
scheme_is(const char *s, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(s, want, n) == 0;
}

/* Length of s's scheme (before ':'), 0 when s has none: a browser then
 * reads it as a relative reference. */
static size_t
scheme_len(const char *s)
{
	size_t i = 0;

	if (!isalpha((unsigned char)s[0]))
		return 0;
	while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
		i++;
	return s[i] == ':' ? i : 0;
}

static int
data_image_ok(const char *v)
{
	static const char *const types[] = {"data:image/png", "data:image/gif",  "data:image/jpeg",
					    "data:image/jpg", "data:image/webp", "data:image/bmp"};

	for (size_t i = 0; i < NITEMS(types); i++) {
		size_t n = strlen(types[i]);

		if (strncasecmp(v, types[i], n) == 0 && (v[n] == ';' || v[n] == ','))
			return 1;
	}
	return 0;
}

/* The URL as it is written out, "" for a scheme the policy refuses (as
 * feedparser does: an empty reference only points at the page itself), or
 * NULL to drop the attribute (*oom set when memory ran out). Removes what a browser ignores before
 * reading the scheme (leading and trailing spaces and controls, tabs and newlines anywhere), so
 * "java\tscript:" and " javascript:" are seen for what they are; gumbo has already decoded
 * character references. */
static char *
url_clean(struct walk *w, const char *elem, const char *attr, const char *v, int *oom)
{
	size_t n = strlen(v), i = 0, j = 0;
	char *s, *res;
	size_t sl;

	*oom = 0;
	while (n > 0 && (unsigned char)v[n - 1] <= ' ')
		n--;
	while (i < n && (unsigned char)v[i] <= ' ')
		i++;
	if ((s = malloc(n - i + 1)) == NULL)
		goto nomem;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c < ' ' || c == 0x7f) {
			*s = '\0';
			return s;
		}
		s[j++] = (char)c;
	}
	s[j] = '\0';
	sl = scheme_len(s);
	if (sl > 0) {
		if (scheme_is(s, sl, "http") || scheme_is(s, sl, "https") ||
		    scheme_is(s, sl, "mailto"))
			return s;
		if (scheme_is(s, sl, "data") && strcmp(elem, "img") == 0 &&
		    strcmp(attr, "src") == 0 && data_image_ok(s))
			return s;
		*s = '\0';
		return s;
	}
	if (*s == '\0' || w->base == NULL || *w->base == '\0')
		return s;
	if (*s == '#') {
		/* The same document: libcurl would drop the base's last segment. */
		size_t bl = strcspn(w->base, "#");

		res = malloc(bl + j + 1);
		if (res != NULL) {
			memcpy(res, w->base, bl);
			memcpy(res + bl, s, j + 1);
		}
	} else {
		res = url_resolve_iri(w->base, s);
	}
	if (res == NULL) {
		free(s);
		goto nomem;
	}
	sl = scheme_len(res);
	if (sl > 0 && (scheme_is(res, sl, "http") || scheme_is(res, sl, "https"))) {
		free(s);
		return res;
	}
	/* Resolved to something else (a file: or odd base): keep the reference
	 * relative, as written, which no browser reads as a scheme. */
	free(res);
	return s;
nomem:
	*oom = 1;
	return NULL;
}

/* ---------------------------------------------------------------- CSS
 *
 * feedparser's rules, reproduced step by step without its regular
 * expressions so that the same style attributes survive. */

static int
is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A "word" character: ASCII letters, digits, '_', and any non-ASCII byte
 * (Python's \w on str matches letters in every script). */
static int
is_word(int c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

/* url(...) references are replaced by a space: a style never loads. */
static int
css_strip_urls(const char *s, struct buf *out)
{
	size_t i = 0, n = strlen(s);

	while (i < n) {
		size_t j = i + 3, k;

		if (strncmp(s + i, "url", 3) != 0)
			goto literal;
		while (j < n && is_ws((unsigned char)s[j]))
			j++;
		if (j >= n || s[j] != '(')
			goto literal;
		j++;
		while (j < n && is_ws((unsigned char)s[j]))
			j++;
		k = j;
		while (j < n && !is_ws((unsigned char)s[j]) && s[j] != ')')
			j++;
		if (j == k)
			goto literal;
		while (j < n && is_ws((unsigned char)s[j]))
			j++;
		if (j >= n || s[j] != ')')
			goto literal;
		j++;
		while (j < n && is_ws((unsigned char)s[j]))
			j++;
		if (buf_putc(out, ' ') < 0)
			return -1;
		i = j;
		continue;
	literal:
		if (buf_putc(out, s[i]) < 0)
			return -1;
		i++;
	}
	return buf_putc(out, '\0') < 0 ? -1 : 0;
}

/* The gauntlet: the whole value must be made of harmless characters,
 * word-hyphen-word, simple quoted words and parentheses of numbers. A
 * reachability pass over positions gives the regular expression's answer. */
static int
css_gauntlet(const char *s)
{
	size_t n = strlen(s);
	unsigned char *ok = calloc(n + 1, 1);
	int res;

	if (ok == NULL)
		return -1;
	ok[0] = 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!ok[i])
			continue;
		if (strchr(":,;#%.!", c) != NULL || is_ws(c) || (c < 0x80 && isalnum(c)))
			ok[i + 1] = 1;
		if (i + 2 < n && is_word(c) && s[i + 1] == '-' && is_word((unsigned char)s[i + 2]))
			ok[i + 3] = 1;
		if (c == '\'' || c == '"') {
			size_t j = i + 1;

			while (j < n &&
			       (is_word((unsigned char)s[j]) || is_ws((unsigned char)s[j])))
				j++;
			if (j > i + 1 && j < n && s[j] == (char)c)
				ok[j + 1] = 1;
		}
		if (c == '(') {
			size_t j = i + 1;

			while (j < n && (isdigit((unsigned char)s[j]) || s[j] == ',' ||
					 is_ws((unsigned char)s[j])))
				j++;
			if (j > i + 1 && j < n && s[j] == ')')
				ok[j + 1] = 1;
		}
	}
	res = ok[n];
	free(ok);
	return res;
}

/* Matches `\s*[-\w]+\s*:\s*[^:;]*` at s; returns its end (before any ';')
 * or NULL, with the property and value spans. */
static const char *
css_decl(const char *s, const char **prop, size_t *plen, const char **val, size_t *vlen)
{
	while (is_ws((unsigned char)*s))
		s++;
	*prop = s;
	while (*s == '-' || is_word((unsigned char)*s))
		s++;
	*plen = (size_t)(s - *prop);
	if (*plen == 0)
		return NULL;
	while (is_ws((unsigned char)*s))
		s++;
	if (*s != ':')
		return NULL;
	s++;
	while (is_ws((unsigned char)*s))
		s++;
	*val = s;
	while (*s && *s != ':' && *s != ';')
		s++;
	*vlen = (size_t)(s - *val);
	return s;
}

/* feedparser's valid_css_values for one keyword of a shorthand. */
static int
css_value_ok(const char *k, size_t n)
{
	static const char *const units[] = {"cm", "em", "ex", "in", "mm", "pc", "pt", "px"};
	size_t i = 0, d;

	if (n > 1 && k[0] == '#') {
		for (i = 1; i < n; i++)
			if (!strchr("0123456789abcdef", k[i]))
				return 0;
		return 1;
	}
	if (n >= 5 && strncmp(k, "rgb(", 4) == 0) {
		i = 4;
		for (d = i; i < n && isdigit((unsigned char)k[i]); i++)
			;
		if (i == d)
			return 0;
		i += i < n && k[i] == '%';
		if (i >= n || k[i++] != ',')
			return 0;
		while (i < n && isdigit((unsigned char)k[i]))
			i++;
		i += i < n && k[i] == '%';
		i += i < n && k[i] == ',';
		while (i < n && isdigit((unsigned char)k[i]))
			i++;
		i += i < n && k[i] == '%';
		i += i < n && k[i] == ')';
		return i == n;
	}
	for (d = 0; d < 2 && i < n && isdigit((unsigned char)k[i]); d++)
		i++;
	i += i < n && k[i] == '.';
	for (d = 0; d < 2 && i < n && isdigit((unsigned char)k[i]); d++)
		i++;
	if (i == n)
		return 1;
	if (n - i == 1 && strchr("%,)", k[i]))
		return 1;
	for (size_t u = 0; u < NITEMS(units); u++)
		if (n - i == 2 && strncmp(k + i, units[u], 2) == 0)
			return 1;
	return 0;
}

/* A shorthand (background, border, margin, padding) is kept only when every
 * keyword is a known keyword or a plain size, colour or number. */
static int
css_shorthand_ok(const char *v, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start;
		char kw[16];

		while (i < n && is_ws((unsigned char)v[i]))
			i++;
		start = i;
		while (i < n && !is_ws((unsigned char)v[i]))
			i++;
		if (i == start)
			break;
		if (i - start < sizeof kw) {
			memcpy(kw, v + start, i - start);
			kw[i - start] = '\0';
			if (IN(css_keywords, kw))
				continue;
		}
		if (!css_value_ok(v + start, i - start))
			return 0;
	}
	return 1;
}

static int
css_keep(const char *prop, size_t plen, const char *val, size_t vlen)
{
	char p[32];
	static const char *const shorthands[] = {"background", "border", "margin", "padding"};
	size_t first;

	if (plen >= sizeof p)
		return 0;
	for (size_t i = 0; i < plen; i++)
		p[i] = (char)tolower((unsigned char)prop[i]);
	p[plen] = '\0';
	if (IN(css_props, p))
		return 1;
	first = strcspn(p, "-");
	for (size_t i = 0; i < NITEMS(shorthands); i++)
		if (strlen(shorthands[i]) == first && strncmp(p, shorthands[i], first) == 0)
			return css_shorthand_ok(val, vlen);
	return 0;
}

static int
css_filter(const char *s, struct buf *out)
{
	const char *p = s, *prop, *val, *end;
	size_t plen, vlen;

	/* Nothing may remain outside well-formed declarations. */
	while (*p) {
		end = css_decl(p, &prop, &plen, &val, &vlen);
		if (end == NULL) {
			if (!is_ws((unsigned char)*p))
				return 0;
			p++;
			continue;
		}
		p = end + (*end == ';');
	}
	for (p = s; *p;) {
		end = css_decl(p, &prop, &plen, &val, &vlen);
		if (end == NULL || (prop != p && !is_word((unsigned char)*p) && *p != '-')) {
			p++;
			continue;
		}
		p = end;
		if (vlen == 0 || !css_keep(prop, plen, val, vlen))
			continue;
		if ((out->len > 0 && buf_putc(out, ' ') < 0) || buf_append(out, prop, plen) < 0 ||
		    buf_puts(out, ": ") < 0 || buf_append(out, val, vlen) < 0 ||
		    buf_putc(out, ';') < 0)
			return -1;
	}
	return 1;
}

char *
html_clean_style(const char *style)
{
	struct buf nourl = {0}, out = {0};
	char *res = NULL;
	int ok;

	if (css_strip_urls(style, &nourl) < 0)
		goto out;
	ok = css_gauntlet(nourl.data);
	if (ok < 0)
		goto out;
	if (ok && css_filter(nourl.data, &out) < 0)
		goto out;
	res = ok && out.len ? buf_detach(&out) : strdup("");
out:
	buf_free(&nourl);
	buf_free(&out);
	return res;
}

/* ---------------------------------------------------------------- depth pre-scan
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

/* Skips a start tag's attributes; returns the index after '>' (or n) and
 * whether the tag ended in "/>". */
static size_t
scan_attrs(const char *s, size_t i, size_t n, int *selfclose)
{
	*selfclose = 0;
	while (i < n && s[i] != '>') {
		if (s[i] == '=') {
			i++;
			while (i < n && is_ws((unsigned char)s[i]))
				i++;
			if (i < n && (s[i] == '"' || s[i] == '\'')) {
				const char *q = memchr(s + i + 1, s[i], n - i - 1);

				i = q ? (size_t)(q - s) + 1 : n;
			}
			continue;
		}
		*selfclose = s[i] == '/';
		i++;
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

/* The length of the prefix of s the parser may take: n, or the offset of
 * the tag or text that would nest past PRESCAN_DEPTH. */
static size_t
depth_prescan(struct scan *sc, const char *s, size_t n)
{
	size_t i = 0;

	sc->top = sc->foreign = sc->nactive = 0;
	while (i < n) {
		const char *lt = memchr(s + i, '<', n - i);
		size_t tag, end = lt ? (size_t)(lt - s) : n;
		unsigned t;
		int selfclose;
		char close[24];

		if (scan_text(sc, s, i, end) < 0)
			return i;
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
		i = scan_attrs(s, scan_name(s, i, n, &t), n, &selfclose);
		if (t == GUMBO_TAG_PLAINTEXT)
			break;
		if (flags(t) & T_RAW) {
			snprintf(close, sizeof close, "</%s", gumbo_normalized_tagname(t));
			i = scan_skip(s, i, n, close);
			continue;
		}
		if (scan_reconstruct(sc) < 0)
			return tag - 1;
		if ((flags(t) & T_VOID) || (selfclose && sc->foreign > 0))
			continue;
		scan_implied(sc, t);
		if (sc->top >= PRESCAN_DEPTH)
			return tag - 1;
		sc->stack[sc->top++] = (unsigned short)t;
		sc->foreign += t == GUMBO_TAG_SVG || t == GUMBO_TAG_MATH;
	}
	return n;
}

/* ---------------------------------------------------------------- elements */

enum act { KEEP, UNWRAP, DROP, REPARSE };

/* The element's name in lower case, "" when gumbo kept none (an element the
 * parser made up) or it is too long to be in any list. */
static void
elem_name(const GumboElement *e, char *name, size_t size)
{
	GumboStringPiece p = e->original_tag;

	name[0] = '\0';
	if (e->tag != GUMBO_TAG_UNKNOWN) {
		const char *t = gumbo_normalized_tagname(e->tag);
		size_t n = strlen(t);

		if (n < size)
			memcpy(name, t, n + 1);
		return;
	}
	if (p.data == NULL || p.length == 0)
		return;
	gumbo_tag_from_original_text(&p);
	if (p.length >= size)
		return;
	for (size_t i = 0; i < p.length; i++)
		name[i] = (char)tolower((unsigned char)p.data[i]);
	name[p.length] = '\0';
}

static enum act
classify(GumboNamespaceEnum ns, const char *name)
{
	if (IN(drop_all, name))
		return DROP;
	if (ns == GUMBO_NAMESPACE_SVG)
		return IN(svg_drop, name) ? DROP : IN(svg_keep, name) ? KEEP : UNWRAP;
	if (ns == GUMBO_NAMESPACE_MATHML)
		return IN(math_keep, name) ? KEEP : UNWRAP;
	if (IN(reparse, name))
		return REPARSE;
	return IN(html_keep, name) ? KEEP : UNWRAP;
}

static int
is_void(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_AREA:
	case GUMBO_TAG_BR:
	case GUMBO_TAG_COL:
	case GUMBO_TAG_HR:
	case GUMBO_TAG_IMG:
	case GUMBO_TAG_SOURCE:
	case GUMBO_TAG_TRACK:
	case GUMBO_TAG_WBR: return 1;
	default: return 0;
	}
}

/* The attribute's full name ("xlink:href") in lower case into lname, and
 * as written out into oname; 0, or -1 to skip it. */
static int
attr_names(const GumboAttribute *a, char *lname, char *oname, size_t size)
{
	const char *prefix = a->attr_namespace == GUMBO_ATTR_NAMESPACE_XLINK ? "xlink:"
			     : a->attr_namespace == GUMBO_ATTR_NAMESPACE_XML ? "xml:"
									     : "";

	if (a->attr_namespace == GUMBO_ATTR_NAMESPACE_XMLNS ||
	    (size_t)snprintf(oname, size, "%s%s", prefix, a->name) >= size)
		return -1;
	for (size_t i = 0; (lname[i] = (char)tolower((unsigned char)oname[i])) != '\0'; i++)
		;
	if (strncmp(lname, "on", 2) == 0 || strcmp(lname, "xmlns") == 0)
		return -1;
	return 0;
}

/* An SVG presentation value may point at a paint server in the same
 * document (url(#id)), never at another resource. */
static int
svg_value_ok(const char *v)
{
	for (const char *p = strstr(v, "url("); p; p = strstr(p + 4, "url(")) {
		const char *q = p + 4;

		while (is_ws((unsigned char)*q))
			q++;
		if (*q != '#')
			return 0;
	}
	return 1;
}

/* The value to write for an allowlisted attribute, or NULL to drop it; a
 * malloc'd copy in *own when it differs from the source. */
static int
attr_value(struct walk *w, GumboNamespaceEnum ns, const char *elem, const char *lname,
	   const char *v, const char **out, char **own)
{
	int oom = 0;

	*own = NULL;
	*out = v;
	if (strcmp(lname, "style") == 0) {
		if ((*own = html_clean_style(v)) == NULL)
			goto nomem;
		*out = **own ? *own : NULL;
	} else if (strcmp(lname, "ping") == 0) {
		if (*v)
			*out = NULL; /* a tracking beacon, not content */
	} else if (IN(url_attrs, lname)) {
		*own = url_clean(w, elem, lname, v, &oom);
		if (oom)
			goto nomem;
		*out = *own;
	} else if (ns == GUMBO_NAMESPACE_SVG && !svg_value_ok(v)) {
		*out = NULL;
	} else if (strcmp(lname, "rel") == 0 || strcmp(lname, "type") == 0) {
		if ((*own = strdup(v)) == NULL)
			goto nomem;
		for (char *p = *own; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		*out = *own;
	}
	return 0;
nomem:
	w->error = "out of memory";
	return -1;
}

static int
write_attrs(struct walk *w, const GumboElement *e, const char *elem)
{
	const GumboVector *attrs = &e->attributes;
	const char *const *allow = html_attrs;
	size_t nallow = NITEMS(html_attrs);
	int xlink = 0;

	if (e->tag_namespace == GUMBO_NAMESPACE_SVG)
		allow = svg_attrs, nallow = NITEMS(svg_attrs);
	else if (e->tag_namespace == GUMBO_NAMESPACE_MATHML)
		allow = math_attrs, nallow = NITEMS(math_attrs);
	for (unsigned i = 0; i < attrs->length; i++) {
		const GumboAttribute *a = attrs->data[i];
		char lname[64], oname[64];
		const char *v;
		char *own;
		int rc = 0;

		if (attr_names(a, lname, oname, sizeof oname) < 0 || !in_set(allow, nallow, lname))
			continue;
		if (attr_value(w, e->tag_namespace, elem, lname, a->value, &v, &own) < 0)
			return -1;
		if (v != NULL) {
			xlink |= strncmp(lname, "xlink:", 6) == 0;
			rc = puts_(w, w->html, " ") < 0 || puts_(w, w->html, oname) < 0 ||
					     puts_(w, w->html, "=\"") < 0 ||
					     put_escaped(w, v, strlen(v), 1) < 0 ||
					     puts_(w, w->html, "\"") < 0
				     ? -1
				     : 0;
		}
		free(own);
		if (rc < 0)
			return -1;
	}
	if (xlink && puts_(w, w->html, " xmlns:xlink=\"http://www.w3.org/1999/xlink\"") < 0)
		return -1;
	return 0;
}

/* The name as written out: SVG's camelCase where it has one. */
static const char *
out_name(const GumboElement *e, const char *name)
{
	if (e->tag_namespace == GUMBO_NAMESPACE_SVG) {
		GumboStringPiece p = {name, strlen(name)};
		const char *svg = gumbo_normalize_svg_tagname(&p);

		if (svg)
			return svg;
	}
	return name;
}

static int walk_nodes(struct walk *w, const GumboVector *kids);

static int
write_kept(struct walk *w, const GumboElement *e, const char *name)
{
	const char *oname = out_name(e, name);
	int root_ns = (e->tag_namespace == GUMBO_NAMESPACE_SVG && strcmp(name, "svg") == 0) ||
		      (e->tag_namespace == GUMBO_NAMESPACE_MATHML && strcmp(name, "math") == 0);

	if (puts_(w, w->html, "<") < 0 || puts_(w, w->html, oname) < 0 ||
	    write_attrs(w, e, name) < 0)
		return -1;
	if (root_ns && puts_(w, w->html,
			     e->tag_namespace == GUMBO_NAMESPACE_SVG
				     ? " xmlns=\"http://www.w3.org/2000/svg\""
				     : " xmlns=\"http://www.w3.org/1998/Math/MathML\"") < 0)
		return -1;
	if (e->tag_namespace == GUMBO_NAMESPACE_HTML && is_void(e->tag))
		return puts_(w, w->html, " />");
	if (puts_(w, w->html, ">") < 0 || walk_nodes(w, &e->children) < 0)
		return -1;
	return puts_(w, w->html, "</") < 0 || puts_(w, w->html, oname) < 0 ||
			       puts_(w, w->html, ">") < 0
		       ? -1
		       : 0;
}

/* Text layout around an element: line breaks for blocks, a marker for list
 * items, kept whitespace in <pre>. Returns what text_close restores. */
static int
text_open(struct walk *w, const GumboElement *e, int lines)
{
	int saved = w->ol;

	text_break(w, lines);
	if (e->tag == GUMBO_TAG_BR) {
		if (w->text.len > 0)
			w->nl = w->nl < 2 ? w->nl + 1 : 2;
	} else if (e->tag == GUMBO_TAG_TD || e->tag == GUMBO_TAG_TH) {
		w->sp = 1;
	} else if (e->tag == GUMBO_TAG_PRE) {
		w->pre++;
	} else if (e->tag == GUMBO_TAG_UL) {
		w->ol = 0;
	} else if (e->tag == GUMBO_TAG_OL) {
		GumboAttribute *start = gumbo_get_attribute(&e->attributes, "start");

		w->ol = start ? atoi(start->value) : 1;
		if (w->ol <= 0 || w->ol > 1000000)
			w->ol = 1;
	} else if (e->tag == GUMBO_TAG_LI) {
		char mark[24];

		if (w->ol > 0 && w->ol < 1000000)
			snprintf(mark, sizeof mark, "%d. ", w->ol++);
		else
			snprintf(mark, sizeof mark, "- ");
		if (text_flush(w) < 0 || puts_(w, &w->text, mark) < 0)
			return -1;
	}
	return saved;
}

static void
text_close(struct walk *w, const GumboElement *e, int lines, int saved)
{
	text_break(w, lines);
	if (e->tag == GUMBO_TAG_PRE)
		w->pre--;
	if (e->tag == GUMBO_TAG_UL || e->tag == GUMBO_TAG_OL)
		w->ol = saved;
}

/* iframe, noembed, noframes: their text is fallback markup; parse it as
 * HTML and sanitize that (it is smaller than the input, so this ends). */
static int
walk_reparse(struct walk *w, const GumboElement *e)
{
	struct buf src = {0};
	GumboOutput *g;
	int rc = -1;

	for (unsigned i = 0; i < e->children.length; i++) {
		const GumboNode *k = e->children.data[i];

		if ((k->type == GUMBO_NODE_TEXT || k->type == GUMBO_NODE_WHITESPACE) &&
		    buf_puts(&src, k->v.text.text) < 0) {
			w->error = "out of memory";
			goto out;
		}
	}
	rc = 0;
	if (src.len == 0)
		goto out;
	if ((g = parse_fragment(w->arena, src.data, src.len)) == NULL) {
		w->error = "parser memory over the limit";
		rc = -1;
		goto out;
	}
	rc = walk_nodes(w, &g->root->v.element.children);
out:
	buf_free(&src);
	return rc;
}

static int
walk_element(struct walk *w, const GumboNode *n)
{
	const GumboElement *e = &n->v.element;
	char name[32];
	enum act act;
	int saved, rc, lines;

	if (w->depth >= HTML_MAX_DEPTH) {
		if (w->lenient)
			return 0;
		w->error = "elements nested deeper than the limit";
		return -1;
	}
	elem_name(e, name, sizeof name);
	act = classify(e->tag_namespace, name);
	if (act == DROP)
		return 0;
	w->depth++;
	if (act == REPARSE) {
		rc = walk_reparse(w, e);
		w->depth--;
		return rc;
	}
	lines = IN(text_paras, name) ? 2 : IN(text_blocks, name) ? 1 : 0;
	if ((saved = text_open(w, e, lines)) < 0)
		return -1;
	if (act == KEEP && w->html)
		rc = write_kept(w, e, name);
	else
		rc = walk_nodes(w, &e->children);
	text_close(w, e, lines, saved);
	w->depth--;
	return rc;
}

static int
walk_nodes(struct walk *w, const GumboVector *kids)
{
	for (unsigned i = 0; i < kids->length; i++) {
		const GumboNode *n = kids->data[i];
		int rc = 0;

		switch (n->type) {
		case GUMBO_NODE_TEXT:
		case GUMBO_NODE_WHITESPACE:
		case GUMBO_NODE_CDATA: {
			size_t len = strlen(n->v.text.text);

			if (w->html)
				rc = put_escaped(w, n->v.text.text, len, 0);
			if (rc == 0)
				rc = text_put(w, n->v.text.text, len);
			break;
		}
		case GUMBO_NODE_ELEMENT:
		case GUMBO_NODE_TEMPLATE: rc = walk_element(w, n); break;
		default: break; /* comments are dropped */
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- fast path */

/* Most item HTML is a few well-nested paragraphs, links, lists and images,
 * and a title is often plain text. For such input the tree gumbo builds is
 * exactly the nesting of the tags as written, so it is built here directly,
 * from the same node types in the same arena, and walked by the same
 * sanitizer: the output is the same, at a fraction of gumbo's cost. Anything
 * outside that subset makes fast_parse give up (NULL) and gumbo parses the
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
	struct arena *a;
	const char *s;
	size_t n, i;
	struct fnode *stack[FAST_DEPTH + 1]; /* [0] is the root */
	int depth, np, nh, na;               /* open elements, of them p, h1-h6, a */
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
	unsigned long cp;
	size_t len;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
		return 0; /* overlong */
	return fast_cp_ok(cp) ? len : 0;
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
	char *out = arena_alloc(f->a, n + 1);
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
	struct fnode *x = arena_alloc(f->a, sizeof *x), *up = f->stack[f->depth];

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
	v->data = x->nkids ? arena_alloc(f->a, x->nkids * sizeof(void *)) : NULL;
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
	name = arena_alloc(f->a, i - start + 1);
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
	a = arena_alloc(f->a, sizeof *a);
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
	v->data = na ? arena_alloc(f->a, na * sizeof(void *)) : NULL;
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
fast_run(struct arena *a, const char *s, size_t n)
{
	struct fast f = {.a = a, .s = s, .n = n};
	struct fnode *root = arena_alloc(a, sizeof *root);

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
static const GumboVector *
fast_parse(struct arena *a, const char *in, size_t len)
{
	jmp_buf jump;

	a->jump = &jump;
	a->allocs = 0;
	if (setjmp(jump) != 0)
		return NULL;
	return fast_run(a, in, len);
}

/* ---------------------------------------------------------------- API */

static int
run(struct walk *w, const char *in, size_t len)
{
	struct arena arena = {0};
	struct scan *sc;
	GumboOutput *g;
	size_t cut;
	int rc = -1;

	w->arena = &arena;
	w->text.limit = HTML_MAX_OUTPUT;
	if (len > HTML_MAX_INPUT) {
		w->error = "input longer than the limit";
		return -1;
	}
	if (in == NULL)
		in = "", len = 0;
	if (!w->no_fast) {
		const GumboVector *kids = fast_parse(&arena, in, len);

		if (kids != NULL) {
			rc = walk_nodes(w, kids);
			goto out;
		}
		arena_free(&arena);
	}
	if ((sc = malloc(sizeof *sc)) == NULL) {
		w->error = "out of memory";
		return -1;
	}
	cut = depth_prescan(sc, in, len);
	free(sc);
	if (cut < len) {
		if (!w->lenient) {
			w->error = "elements nested deeper than the limit";
			return -1;
		}
		len = cut; /* text only: what comes before the deep part */
	}
	if ((g = parse_fragment(&arena, in, len)) == NULL) {
		w->error = "parser memory over the limit";
		goto out;
	}
	rc = walk_nodes(w, &g->root->v.element.children);
out:
	arena_free(&arena);
	return rc;
}

static int
clean(const char *in, size_t len, const char *base, struct html_result *out, char *err,
      size_t errlen, int no_fast)
{
	struct buf html = {.limit = HTML_MAX_OUTPUT};
	struct walk w = {.html = &html, .base = base, .no_fast = no_fast};

	memset(out, 0, sizeof *out);
	if (run(&w, in, len) < 0)
		goto fail;
	if ((out->html = buf_detach(&html)) == NULL || (out->text = buf_detach(&w.text)) == NULL) {
		w.error = "out of memory";
		goto fail;
	}
	return 0;
fail:
	if (errlen > 0)
		snprintf(err, errlen,
			 "html: %s (input %zu bytes; limits: depth %d, output %u bytes)",
			 w.error ? w.error : "failed", len, HTML_MAX_DEPTH, HTML_MAX_OUTPUT);
	html_result_free(out);
	buf_free(&html);
	buf_free(&w.text);
	return -1;
}

int
html_clean(const char *in, size_t len, const char *base, struct html_result *out, char *err,
	   size_t errlen)
{
	return clean(in, len, base, out, err, errlen, 0);
}

int
html_clean_gumbo(const char *in, size_t len, const char *base, struct html_result *out, char *err,
		 size_t errlen)
{
	return clean(in, len, base, out, err, errlen, 1);
}

char *
html_to_text(const char *in, size_t len)
{
	struct walk w = {.lenient = 1};

	if (len > HTML_MAX_INPUT)
		len = HTML_MAX_INPUT;
	/* Past the output limit the text is simply cut there. */
	if (run(&w, in, len) < 0 && w.error &&
	    strcmp(w.error, "output longer than the limit") != 0) {
		buf_free(&w.text);
		return NULL;
	}
	return buf_detach(&w.text);
}

void
html_result_free(struct html_result *r)
{
	free(r->html);
	free(r->text);
	r->html = r->text = NULL;
}
