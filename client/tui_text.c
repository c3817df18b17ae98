#include "tui_text.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "util.h"

size_t
tt_next(const char *s, size_t n, unsigned *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len;

	if (n == 0 || *p == '\0')
		return 0;
	len = utf8_len(p, n);
	if (len == 0) {
		*cp = 0xfffd;
		return 1;
	}
	if (len == 1)
		*cp = p[0];
	else if (len == 2)
		*cp = (unsigned)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
	else if (len == 3)
		*cp = (unsigned)(p[0] & 0x0f) << 12 | (unsigned)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
	else
		*cp = (unsigned)(p[0] & 0x07) << 18 | (unsigned)(p[1] & 0x3f) << 12 |
		      (unsigned)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
	return len;
}

int
tt_cpwidth(unsigned cp)
{
	int w = wcwidth((wchar_t)cp);

	return w < 0 ? 1 : w;
}

size_t
tt_width(const char *s, size_t n)
{
	size_t i = 0, w = 0, k;
	unsigned cp;

	while ((k = tt_next(s + i, n - i, &cp)) > 0) {
		w += (size_t)tt_cpwidth(cp);
		i += k;
	}
	return w;
}

size_t
tt_fit(const char *s, size_t n, size_t cols, size_t *used)
{
	size_t i = 0, w = 0, k;
	unsigned cp;

	while ((k = tt_next(s + i, n - i, &cp)) > 0) {
		int cw = tt_cpwidth(cp);

		if (w + (size_t)cw > cols)
			break;
		w += (size_t)cw;
		i += k;
	}
	if (used)
		*used = w;
	return i;
}

char *
tt_clean(const char *s, int keep_nl)
{
	size_t n = strlen(s), i = 0, k;
	struct sb b = {0};
	unsigned cp;

	sb_add(&b, "", 0);
	while ((k = tt_next(s + i, n - i, &cp)) > 0) {
		if (cp == '\n' && keep_nl)
			sb_putc(&b, '\n');
		else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			sb_putc(&b, ' ');
		else if (cp == 0xfffd && k == 1)
			sb_puts(&b, "\xef\xbf\xbd");
		else
			sb_add(&b, s + i, k);
		i += k;
	}
	return b.data;
}

/* A wide character (CJK) may start or end a line anywhere, but for the
 * closing punctuation and small kana that never start one, and the opening
 * brackets that never end one (the core of the Japanese line-breaking
 * rules, kinsoku). */
static int
in_set(unsigned cp, const unsigned *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == cp)
			return 1;
	return 0;
}

static int
no_start(unsigned cp)
{
	static const unsigned set[] = {
		0x3001, 0x3002, 0xff0c, 0xff0e, 0x30fb, 0xff1a, 0xff1b, 0xff1f, 0xff01, 0x30fc,
		0xff09, 0x300d, 0x300f, 0x3011, 0x3015, 0x3009, 0x300b, 0x2019, 0x201d, 0x3063,
		0x3083, 0x3085, 0x3087, 0x3041, 0x3043, 0x3045, 0x3047, 0x3049, 0x30c3, 0x30e3,
		0x30e5, 0x30e7, 0x30a1, 0x30a3, 0x30a5, 0x30a7, 0x30a9, 0x309d, 0x309e, 0x3005,
		',',    '.',    ')',    ']',    '}',    '!',    '?',    ':',    ';'};

	return in_set(cp, set, sizeof set / sizeof *set);
}

static int
no_end(unsigned cp)
{
	static const unsigned set[] = {0xff08, 0x300c, 0x300e, 0x3010, 0x3014, 0x3008,
				       0x300a, 0x2018, 0x201c, '(',    '[',    '{'};

	return in_set(cp, set, sizeof set / sizeof *set);
}

static int
breaks_anywhere(unsigned cp)
{
	return tt_cpwidth(cp) == 2;
}

/* A line may end before cp (prev is the character before it). */
static int
may_break(unsigned prev, unsigned cp)
{
	if (cp == ' ')
		return 1;
	if (!breaks_anywhere(cp) && !breaks_anywhere(prev))
		return 0;
	return !no_start(cp) && !no_end(prev) && prev != ' ';
}

/* One paragraph (no newline) of n bytes. */
static void
wrap_para(const char *s, size_t n, size_t width, tt_line_fn fn, void *ctx)
{
	size_t start = 0, i, w, brk, brkw, k;
	unsigned cp, prev = 0;

	while (start < n && s[start] == ' ')
		start++;
	if (start == n) {
		fn(ctx, s, 0);
		return;
	}
	while (start < n) {
		i = start, w = 0, brk = 0, brkw = 0, prev = 0;
		while ((k = tt_next(s + i, n - i, &cp)) > 0) {
			int cw = tt_cpwidth(cp);

			if (i > start && may_break(prev, cp))
				brk = i, brkw = w;
			if (w + (size_t)cw > width && cp != ' ')
				break;
			w += (size_t)cw;
			i += k;
			prev = cp;
		}
		if (k == 0) { /* the rest fits */
			size_t e = n;

			while (e > start && s[e - 1] == ' ')
				e--;
			fn(ctx, s + start, e - start);
			return;
		}
		if (brk <= start || brkw == 0) /* one word longer than the line */
			brk = i > start ? i : start + k;
		{
			size_t e = brk;

			while (e > start && s[e - 1] == ' ')
				e--;
			fn(ctx, s + start, e - start);
		}
		start = brk;
		while (start < n && s[start] == ' ')
			start++;
	}
}

void
tt_wrap(const char *s, size_t n, size_t width, tt_line_fn fn, void *ctx)
{
	size_t i = 0;

	if (width < 1)
		width = 1;
	while (i <= n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - s) : n;

		wrap_para(s + i, e - i, width, fn, ctx);
		if (nl == NULL)
			break;
		i = e + 1;
	}
}
