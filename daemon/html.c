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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gumbo.h>

#include "buf.h"
#include "html_int.h"
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

static int
cmp_str(const void *key, const void *item)
{
	const unsigned char *x = key, *y = *(const unsigned char *const *)item;

	/* most probes differ in the first byte: no call for those */
	return *x != *y ? *x - *y : strcmp((const char *)x, (const char *)y);
}

int
html_in_set(const char *const *set, size_t n, const char *s)
{
	return bsearch(s, set, n, sizeof *set, cmp_str) != NULL;
}

/* ---------------------------------------------------------------- walk state
 *
 * struct html_walk is in html_int.h. */

static int
put(struct html_walk *w, struct buf *b, const char *s, size_t n)
{
	if (buf_append(b, s, n) == 0)
		return 0;
	w->error = b->len + n > HTML_MAX_OUTPUT ? "output longer than the limit" : "out of memory";
	return -1;
}

static int
puts_(struct html_walk *w, struct buf *b, const char *s)
{
	return put(w, b, s, strlen(s));
}

/* Appends s escaped for text content (quote = 0) or a quoted attribute. */
static int
put_escaped(struct html_walk *w, const char *s, size_t n, int quote)
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
text_break(struct html_walk *w, int lines)
{
	if (w->nl < lines)
		w->nl = lines;
}

/* Writes what is pending before visible text: line breaks or one space. */
static int
text_flush(struct html_walk *w)
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
 * spaces in a row, or a space as its last byte with white space, a 0xc2 or
 * the end of the text after it. */
static size_t
text_words_end(const char *s, size_t i, size_t n)
{
	for (;;) {
		size_t end;

		while (i + 8 <= n) {
			uint64_t x = swar_load(s + i), sp = swar_eq(x, ' ');

			if (swar_below(x, 0x20) | swar_eq(x, 0xc2) | (sp & (sp >> 8)) ||
			    (s[i + 7] == ' ' && (i + 8 == n || fold_ws((unsigned char)s[i + 8]) ||
						 (unsigned char)s[i + 8] == 0xc2)))
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
text_put(struct html_walk *w, const char *s, size_t n)
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
url_clean(struct html_walk *w, const char *elem, const char *attr, const char *v, int *oom)
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
		/* The same document: the base as written, with this fragment. */
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

	size_t np = strlen(prefix), nn = strlen(a->name);

	if (a->attr_namespace == GUMBO_ATTR_NAMESPACE_XMLNS || np + nn >= size)
		return -1;
	memcpy(oname, prefix, np);
	memcpy(oname + np, a->name, nn + 1);
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
attr_value(struct html_walk *w, GumboNamespaceEnum ns, const char *elem, const char *lname,
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
write_attrs(struct html_walk *w, const GumboElement *e, const char *elem)
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

		if (attr_names(a, lname, oname, sizeof oname) < 0 ||
		    !html_in_set(allow, nallow, lname))
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

static int walk_nodes(struct html_walk *w, const GumboVector *kids);
static GumboOutput *parse_bounded(struct html_walk *w, const char *in, size_t len,
				  struct buf *filtered);

static int
write_kept(struct html_walk *w, const GumboElement *e, const char *name)
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
text_open(struct html_walk *w, const GumboElement *e, int lines)
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
		char mark[24], *m = mark + sizeof mark;

		/* "%d. " by hand: snprintf cost more than the rest of the item */
		*--m = ' ';
		if (w->ol > 0 && w->ol < 1000000) {
			*--m = '.';
			for (int k = w->ol++; k > 0; k /= 10)
				*--m = (char)('0' + k % 10);
		} else {
			*--m = '-';
		}
		if (text_flush(w) < 0 || put(w, &w->text, m, (size_t)(mark + sizeof mark - m)) < 0)
			return -1;
	}
	return saved;
}

static void
text_close(struct html_walk *w, const GumboElement *e, int lines, int saved)
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
walk_reparse(struct html_walk *w, const GumboElement *e)
{
	struct buf src = {0}, filtered = {0};
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
	/* Nested fallbacks ("<iframe><iframe>...") are each parsed again:
	 * all of them together at most 4 times the input (html_walk_run). */
	if (src.len == 0 || src.len > w->reparse_left)
		goto out;
	w->reparse_left -= src.len;
	if ((g = parse_bounded(w, src.data, src.len, &filtered)) == NULL) {
		rc = -1;
		goto out;
	}
	rc = walk_nodes(w, &g->root->v.element.children);
out:
	buf_free(&src);
	buf_free(&filtered);
	return rc;
}

static int
walk_element(struct html_walk *w, const GumboNode *n)
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
walk_nodes(struct html_walk *w, const GumboVector *kids)
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

/* ---------------------------------------------------------------- API */

/* in parsed by gumbo, bounded (html_prescan): over-deep input is refused,
 * or in lenient (text only) mode cut before the deep part; past
 * HTML_MAX_ELEMENTS it is cut; attributes gumbo is not to see are left
 * out, in *filtered (the caller frees it once done with the tree, which
 * points into it). NULL with w->error set on failure. */
static GumboOutput *
parse_bounded(struct html_walk *w, const char *in, size_t len, struct buf *filtered)
{
	GumboOutput *g;
	size_t cut;
	int why = html_prescan(in, len, &cut, filtered);

	if (why < 0) {
		w->error = "out of memory";
		return NULL;
	}
	if (why == HTML_CUT_DEPTH && !w->lenient) {
		w->error = "elements nested deeper than the limit";
		return NULL;
	}
	if (filtered->data != NULL)
		in = filtered->data, cut = filtered->len;
	if ((g = html_parse_fragment(w->arena, in, cut)) == NULL)
		w->error = "parser memory over the limit";
	return g;
}

/* The arena lives in this frame: w->arena points at it only while the walk
 * runs, and is NULL again on every return. */
int
html_walk_run(struct html_walk *w, const char *in, size_t len)
{
	struct html_arena arena = {0};
	struct buf filtered = {0};
	GumboOutput *g;
	int rc = -1;

	w->arena = &arena;
	w->text.limit = HTML_MAX_OUTPUT;
	if (len > HTML_MAX_INPUT) {
		w->error = "input longer than the limit";
		goto out;
	}
	if (in == NULL)
		in = "", len = 0;
	/* iframe fallbacks parsed again: at most 4 times the input in all */
	w->reparse_left = 4 * len;
	if (!w->no_fast) {
		const GumboVector *kids = html_fast_parse(&arena, in, len);

		if (kids != NULL) {
			rc = walk_nodes(w, kids);
			goto out;
		}
		html_arena_free(&arena);
	}
	if ((g = parse_bounded(w, in, len, &filtered)) == NULL)
		goto out;
	rc = walk_nodes(w, &g->root->v.element.children);
out:
	html_arena_free(&arena);
	buf_free(&filtered);
	w->arena = NULL;
	return rc;
}

static int
clean(const char *in, size_t len, const char *base, struct html_result *out, char *err,
      size_t errlen, int no_fast)
{
	struct buf html = {.limit = HTML_MAX_OUTPUT};
	struct html_walk w = {.html = &html, .base = base, .no_fast = no_fast};

	memset(out, 0, sizeof *out);
	if (html_walk_run(&w, in, len) < 0)
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
	struct html_walk w = {.lenient = 1};

	if (len > HTML_MAX_INPUT)
		len = HTML_MAX_INPUT;
	/* Past the output limit the text is simply cut there. */
	if (html_walk_run(&w, in, len) < 0 && w.error &&
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
