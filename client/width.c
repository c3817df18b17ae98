#include "width.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, one cell */

static int
is_control(int32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

int
width_cp(int32_t cp)
{
	int w;

	if (is_control(cp))
		return 0;
	w = utf8proc_charwidth(cp);
	return w < 0 ? 0 : w > 2 ? 2 : w;
}

size_t
width_decode(const char *s, size_t n, int32_t *cp)
{
	utf8proc_int32_t c;
	utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &c);

	if (k <= 0) {
		*cp = 0xfffd;
		return 1;
	}
	*cp = c;
	return (size_t)k;
}

static int
is_regional(int32_t cp)
{
	return cp >= 0x1f1e6 && cp <= 0x1f1ff;
}

size_t
width_cluster(const char *s, size_t n, int *cells)
{
	utf8proc_int32_t state = 0;
	int32_t first, cp;
	size_t i = width_decode(s, n, &first);
	int w = width_cp(first), regional = is_regional(first);

	while (i < n) {
		size_t k = width_decode(s + i, n - i, &cp);
		int cw;

		/* A control character is always a cluster of its own. */
		if (is_control(cp) || is_control(first) ||
		    utf8proc_grapheme_break_stateful(first, cp, &state))
			break;
		cw = width_cp(cp);
		if (cp == 0xfe0f || (regional && is_regional(cp)))
			cw = 2;
		if (cw > w)
			w = cw;
		first = cp;
		i += k;
	}
	*cells = w;
	return i;
}

size_t
width_of(const char *s, size_t n)
{
	size_t i = 0, w = 0;

	while (i < n) {
		int c;

		i += width_cluster(s + i, n - i, &c);
		w += (size_t)c;
	}
	return w;
}

size_t
width_str(const char *s)
{
	return width_of(s, strlen(s));
}

size_t
width_prefix(const char *s, size_t n, size_t cols, size_t *used)
{
	size_t i = 0, w = 0;

	while (i < n) {
		int c;
		size_t k = width_cluster(s + i, n - i, &c);

		if (w + (size_t)c > cols)
			break;
		w += (size_t)c;
		i += k;
	}
	if (used)
		*used = w;
	return i;
}

void
width_clean(struct sb *out, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		int32_t cp;
		size_t k = width_decode(s + i, n - i, &cp);

		if (cp == '\n' || cp == '\r' || cp == '\t' || cp == 0x2028 || cp == 0x2029) {
			sb_putc(out, ' ');
		} else if (cp < 0x20 || cp == 0x7f) {
			sb_putc(out, '^');
			sb_putc(out, cp == 0x7f ? '?' : (char)(cp + 0x40));
		} else if (cp >= 0x80 && cp < 0xa0) {
			sb_printf(out, "<U+%04X>", (unsigned)cp);
		} else if (cp == 0xfffd && k == 1) {
			sb_puts(out, "\xef\xbf\xbd");
		} else {
			sb_add(out, s + i, k);
		}
		i += k;
	}
	sb_add(out, "", 0);
}

static void
spaces(struct sb *out, size_t n)
{
	while (n--)
		sb_putc(out, ' ');
}

size_t
width_fit(struct sb *out, const char *s, size_t cols, int pad)
{
	size_t n = strlen(s), w = width_of(s, n), used;

	if (cols == 0)
		return 0;
	if (w <= cols) {
		sb_add(out, s, n);
		used = w;
	} else {
		sb_add(out, s, width_prefix(s, n, cols - 1, &used));
		sb_puts(out, ELLIPSIS);
		used++;
	}
	if (pad && used < cols) {
		spaces(out, cols - used);
		used = cols;
	}
	return used;
}

size_t
width_rpad(struct sb *out, const char *s, size_t cols)
{
	size_t w = width_str(s);

	if (w >= cols)
		return width_fit(out, s, cols, 0);
	spaces(out, cols - w);
	sb_puts(out, s);
	return cols;
}

/* ---- wrapping ---- */

struct wrap {
	struct width_lines *out;
	const char *indent;
	size_t cols, indent_w;
	struct sb line;
	size_t w;        /* cells in line, the indent included */
	int content;     /* line holds more than the indent */
	const char *gap; /* the spaces before the next word, or NULL */
	size_t gap_n;
};

static void
lines_push(struct width_lines *l, char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = s;
}

static void
wrap_start(struct wrap *w)
{
	w->line.len = 0;
	sb_add(&w->line, "", 0);
	sb_puts(&w->line, w->indent);
	w->w = w->indent_w;
	w->content = 0;
	w->gap = NULL;
	w->gap_n = 0;
}

static void
wrap_emit(struct wrap *w)
{
	/* No trailing spaces. */
	while (w->line.len && w->line.data[w->line.len - 1] == ' ')
		w->line.data[--w->line.len] = '\0';
	lines_push(w->out, xstrdup(sb_str(&w->line)));
	wrap_start(w);
}

/* Places the word s (n bytes, wcells wide, no spaces) on the line. */
static void
wrap_word(struct wrap *w, const char *s, size_t n, size_t wcells)
{
	size_t room = w->cols > w->indent_w ? w->cols - w->indent_w : 1;

	if (w->content && w->w + w->gap_n + wcells > w->cols)
		wrap_emit(w);
	if (w->content && w->gap) {
		sb_add(&w->line, w->gap, w->gap_n);
		w->w += w->gap_n;
	}
	w->gap = NULL;
	w->gap_n = 0;
	/* Longer than a whole line: cut between clusters. */
	while (w->w + wcells > w->cols && wcells > 0) {
		size_t fit = w->cols > w->w ? w->cols - w->w : 0, used;
		size_t k = width_prefix(s, n, fit, &used);

		if (k == 0 && !w->content) /* one cluster wider than the room */
			k = width_prefix(s, n, room + 2, &used);
		if (k == 0) {
			wrap_emit(w);
			continue;
		}
		sb_add(&w->line, s, k);
		w->content = 1;
		w->w += used;
		wrap_emit(w);
		s += k, n -= k, wcells -= used;
	}
	if (n) {
		sb_add(&w->line, s, n);
		w->w += wcells;
		w->content = 1;
	}
}

/* A paragraph (clean, one line) into lines. */
static void
wrap_paragraph(struct wrap *w, const char *p, size_t n)
{
	size_t i = 0;

	wrap_start(w);
	while (i < n) {
		size_t start = i, cells = 0;
		int c;

		if (p[i] == ' ') {
			while (i < n && p[i] == ' ')
				i++;
			if (w->content) {
				w->gap = p + start;
				w->gap_n = i - start;
			} else if (start == 0) {
				/* A paragraph's own indent stays. */
				sb_add(&w->line, p, i);
				w->w += i;
				if (w->w >= w->cols) {
					w->line.len = 0;
					sb_puts(&w->line, w->indent);
					w->w = w->indent_w;
				}
			}
			continue;
		}
		/* A word: clusters up to a space; a wide cluster is a word of
		 * its own (CJK breaks anywhere). */
		while (i < n && p[i] != ' ') {
			size_t k = width_cluster(p + i, n - i, &c);

			if (c == 2 && i > start)
				break;
			i += k;
			cells += (size_t)c;
			if (c == 2)
				break;
		}
		wrap_word(w, p + start, i - start, cells);
	}
	wrap_emit(w);
}

void
width_wrap(struct width_lines *out, const char *text, size_t n, size_t cols, const char *indent)
{
	struct wrap w = {.out = out, .indent = indent ? indent : "", .cols = cols ? cols : 1};
	struct sb clean = {0};
	size_t i = 0;

	w.indent_w = width_str(w.indent);
	while (i <= n) {
		const char *nl = i < n ? memchr(text + i, '\n', n - i) : NULL;
		size_t end = nl ? (size_t)(nl - text) : n;

		clean.len = 0;
		width_clean(&clean, text + i, end - i);
		wrap_paragraph(&w, sb_str(&clean), clean.len);
		if (nl == NULL)
			break;
		i = end + 1;
	}
	sb_free(&clean);
	sb_free(&w.line);
}

void
width_lines_free(struct width_lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

char *
width_casefold(const char *s)
{
	utf8proc_uint8_t *out = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &out,
					  UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
						  UTF8PROC_CASEFOLD);

	if (n < 0) {
		free(out);
		return xstrdup(s);
	}
	return (char *)out;
}
