/* bench_html: MB/s of html_clean (sanitize + text) next to a plain gumbo
 * parse (parse + destroy) of the same input.
 *
 * usage: bench_html [-r RUNS] [-n ITEMS] [FILE...]
 * Without files it generates ITEMS real-looking item bodies (paragraphs with
 * entities and links, nested lists, images, a table, a blockquote, the odd
 * script, style attribute and comment); each FILE is one more item. Every
 * run cleans all items once; the median run of RUNS is reported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gumbo.h>

#include "buf.h"
#include "html.h"

struct item {
	char *data;
	size_t len;
};

static unsigned
next(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) & 0x7fff;
}

static const char *const words[] = {
	"the",     "minister",  "said",        "on",         "Tuesday",
	"that",    "talks",     "would",       "resume",     "after",
	"a",       "short",     "break",       "&amp;",      "&quot;progress&quot;",
	"was",     "made",      "caf&eacute;", "na&iuml;ve", "&#8220;quoted&#8221;",
	"&mdash;", "prices",    "rose",        "3&nbsp;%",   "in",
	"March",   "according", "to",          "officials",  "r&eacute;sum&eacute;",
};

static int
sentence(struct buf *b, unsigned *seed, int n)
{
	for (int i = 0; i < n; i++) {
		const char *w = words[next(seed) % (sizeof words / sizeof words[0])];
		int r = next(seed) % 20;

		if (r == 0 && buf_printf(b, "<a href=\"/news/%u.html\">%s</a> ", next(seed), w) < 0)
			return -1;
		else if (r == 1 && buf_printf(b, "<em>%s</em> ", w) < 0)
			return -1;
		else if (r == 2 && buf_printf(b, "<strong>%s</strong> ", w) < 0)
			return -1;
		else if (r > 2 && buf_printf(b, "%s ", w) < 0)
			return -1;
	}
	return buf_puts(b, ".");
}

static int
gen_item(struct buf *b, unsigned seed)
{
	int paras = 4 + next(&seed) % 12;

	if (buf_printf(b,
		       "<div class=\"entry\"><p><img src=\"https://img.example.com/%u.jpg\" "
		       "width=\"640\" height=\"360\" alt=\"Photo &copy; Agency\" "
		       "style=\"float: right; margin: 0 0 12px 12px\"></p>",
		       next(&seed)) < 0)
		return -1;
	for (int p = 0; p < paras; p++) {
		int kind = next(&seed) % 8;

		if (kind == 0) {
			if (buf_puts(b, "<ul>") < 0)
				return -1;
			for (int i = 0; i < 3 + (int)(next(&seed) % 4); i++) {
				if (buf_puts(b, "<li>") < 0 || sentence(b, &seed, 8) < 0)
					return -1;
				if (i == 1 &&
				    (buf_puts(b, "<ol><li>") < 0 || sentence(b, &seed, 5) < 0 ||
				     buf_puts(b, "</li><li>") < 0 || sentence(b, &seed, 5) < 0 ||
				     buf_puts(b, "</li></ol>") < 0))
					return -1;
				if (buf_puts(b, "</li>\n") < 0)
					return -1;
			}
			if (buf_puts(b, "</ul>\n") < 0)
				return -1;
		} else if (kind == 1) {
			if (buf_puts(b, "<blockquote cite=\"http://example.org/q\"><p>") < 0 ||
			    sentence(b, &seed, 20) < 0 || buf_puts(b, "</p></blockquote>\n") < 0)
				return -1;
		} else if (kind == 2) {
			if (buf_printf(b,
				       "<figure><img src=\"/media/%u.png\" alt=\"chart\" "
				       "onerror=\"this.src='x'\"><figcaption>",
				       next(&seed)) < 0 ||
			    sentence(b, &seed, 6) < 0 ||
			    buf_puts(b, "</figcaption></figure>\n") < 0)
				return -1;
		} else if (kind == 3) {
			if (buf_puts(b, "<table><tr><th>Year</th><th>Value</th></tr>") < 0)
				return -1;
			for (int i = 0; i < 4; i++)
				if (buf_printf(b, "<tr><td>%d</td><td>%u&nbsp;&euro;</td></tr>",
					       2020 + i, next(&seed)) < 0)
					return -1;
			if (buf_puts(b, "</table>\n") < 0)
				return -1;
		} else if (kind == 4) {
			if (buf_puts(b, "<!-- ad slot --><script>var ad = {id: 1};</script>"
					"<p style=\"color: #333; font-size: 14px\">") < 0 ||
			    sentence(b, &seed, 25) < 0 || buf_puts(b, "</p>\n") < 0)
				return -1;
		} else {
			if (buf_puts(b, "<p>") < 0 ||
			    sentence(b, &seed, 30 + next(&seed) % 40) < 0 ||
			    buf_puts(b, "</p>\n") < 0)
				return -1;
		}
	}
	return buf_printf(b,
			  "<p><a href=\"https://example.com/story/%u?utm_source=rss\">Read "
			  "more&hellip;</a><img src=\"https://track.example.com/p.gif\" width=1 "
			  "height=1></p></div>",
			  next(&seed));
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
run_parse(struct item *items, int n)
{
	for (int i = 0; i < n; i++) {
		GumboOptions opt = kGumboDefaultOptions;
		GumboOutput *g;

		opt.fragment_context = GUMBO_TAG_BODY;
		opt.max_errors = 0;
		if ((g = gumbo_parse_with_options(&opt, items[i].data, items[i].len)) == NULL)
			return -1;
		gumbo_destroy_output(&opt, g);
	}
	return 0;
}

static int
run_clean(struct item *items, int n)
{
	for (int i = 0; i < n; i++) {
		struct html_result r;
		char err[256];

		if (html_clean(items[i].data, items[i].len, "https://example.com/feed/", &r, err,
			       sizeof err) < 0) {
			fprintf(stderr, "bench_html: %s\n", err);
			return -1;
		}
		html_result_free(&r);
	}
	return 0;
}

static int
load(const char *path, struct item *it)
{
	FILE *f = fopen(path, "rb");
	struct buf b = {0};
	char chunk[65536];
	size_t n;

	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (buf_append(&b, chunk, n) < 0) {
			fclose(f);
			buf_free(&b);
			return -1;
		}
	fclose(f);
	it->len = b.len;
	it->data = buf_detach(&b);
	return it->data ? 0 : -1;
}

int
main(int argc, char **argv)
{
	int runs = 7, nitems = 300, opt, n = 0, rc = 1;
	struct item *items;
	double *tp, *tc, bytes = 0;

	while ((opt = getopt(argc, argv, "r:n:")) != -1) {
		if (opt == 'r')
			runs = atoi(optarg);
		else if (opt == 'n')
			nitems = atoi(optarg);
		else {
			fprintf(stderr, "usage: bench_html [-r RUNS] [-n ITEMS] [FILE...]\n");
			return 2;
		}
	}
	if (runs < 1 || nitems < 0)
		return 2;
	items = calloc((size_t)(nitems + argc), sizeof *items);
	tp = calloc((size_t)runs, sizeof *tp);
	tc = calloc((size_t)runs, sizeof *tc);
	if (!items || !tp || !tc)
		goto out;
	for (int i = 0; i < nitems; i++, n++) {
		struct buf b = {0};

		if (gen_item(&b, (unsigned)i * 7919u + 1) < 0)
			goto out;
		items[n].len = b.len;
		items[n].data = buf_detach(&b);
	}
	for (int i = optind; i < argc; i++, n++)
		if (load(argv[i], &items[n]) < 0) {
			fprintf(stderr, "bench_html: cannot read %s\n", argv[i]);
			goto out;
		}
	for (int i = 0; i < n; i++)
		bytes += (double)items[i].len;
	/* One warm-up pass of each, then alternate so both see the same load. */
	if (run_parse(items, n) < 0 || run_clean(items, n) < 0)
		goto out;
	for (int r = 0; r < runs; r++) {
		double t0 = now();

		if (run_parse(items, n) < 0)
			goto out;
		tp[r] = now() - t0;
		t0 = now();
		if (run_clean(items, n) < 0)
			goto out;
		tc[r] = now() - t0;
	}
	qsort(tp, (size_t)runs, sizeof *tp, cmp_double);
	qsort(tc, (size_t)runs, sizeof *tc, cmp_double);
	printf("items %d, %.2f MB, median of %d runs\n", n, bytes / 1e6, runs);
	printf("%-34s %10s %10s\n", "", "MB/s", "ms/run");
	printf("%-34s %10.1f %10.2f\n", "gumbo parse (+ destroy)", bytes / 1e6 / tp[runs / 2],
	       tp[runs / 2] * 1e3);
	printf("%-34s %10.1f %10.2f\n", "html_clean (parse+sanitize+text)",
	       bytes / 1e6 / tc[runs / 2], tc[runs / 2] * 1e3);
	printf("overhead of html_clean over the parse: %+.0f%%\n",
	       (tc[runs / 2] / tp[runs / 2] - 1) * 100);
	rc = 0;
out:
	for (int i = 0; items && i < n; i++)
		free(items[i].data);
	free(items);
	free(tp);
	free(tc);
	return rc;
}
