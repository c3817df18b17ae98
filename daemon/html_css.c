/* html_css: the CSS rule for style attributes (html_clean_style in html.h;
 * docs/html.md "CSS"). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "html_int.h"

/* clang-format off */

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

/* clang-format on */

/* ---------------------------------------------------------------- CSS
 *
 * feedparser's rules, reproduced step by step without its regular
 * expressions so that the same style attributes survive. */

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
