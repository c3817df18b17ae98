/* fuzz_opml: libFuzzer target for OPML import.
 *
 * On success every feed has a non-empty url and its tags are present; the
 * document opml_write makes of the result must parse again with the same
 * number of feeds and the same urls (export groups feeds by folder, so
 * order may change; export then import loses no subscription). On failure err names the input
 * ("fuzz.opml:"). Build and run: see mk/fuzz.am ("make fuzz"). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "opml.h"

static void
check_feeds(const struct opml *o)
{
	if (o->nfeeds > 0 && o->feeds == NULL)
		abort();
	for (size_t i = 0; i < o->nfeeds; i++) {
		const struct opml_feed *f = &o->feeds[i];

		if (f->url == NULL || f->url[0] == '\0')
			abort();
		if (f->ntags > 0 && f->tags == NULL)
			abort();
		for (size_t t = 0; t < f->ntags; t++)
			if (f->tags[t] == NULL || f->tags[t][0] == '\0')
				abort();
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The same urls, as multisets. */
static void
check_same_urls(const struct opml *a, const struct opml *b)
{
	char **ua, **ub;

	if (a->nfeeds != b->nfeeds)
		abort();
	if (a->nfeeds == 0)
		return;
	ua = malloc(a->nfeeds * sizeof *ua);
	ub = malloc(b->nfeeds * sizeof *ub);
	if (ua == NULL || ub == NULL)
		abort();
	for (size_t i = 0; i < a->nfeeds; i++)
		ua[i] = a->feeds[i].url, ub[i] = b->feeds[i].url;
	qsort(ua, a->nfeeds, sizeof *ua, cmp_str);
	qsort(ub, b->nfeeds, sizeof *ub, cmp_str);
	for (size_t i = 0; i < a->nfeeds; i++)
		if (strcmp(ua[i], ub[i]) != 0)
			abort();
	free(ua);
	free(ub);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opml o, o2;
	char err[512], err2[512];
	char *doc;

	memset(&o, 0, sizeof o);
	memset(&o2, 0, sizeof o2);
	err[0] = '\0';
	if (opml_parse("fuzz.opml", (const char *)data, size, &o, err, sizeof err) < 0) {
		if (strncmp(err, "fuzz.opml:", 10) != 0)
			abort();
		opml_free(&o);
		return 0;
	}
	check_feeds(&o);
	doc = opml_write(o.title, o.feeds, o.nfeeds, 0);
	if (doc == NULL)
		abort();
	if (opml_parse("again.opml", doc, strlen(doc), &o2, err2, sizeof err2) < 0)
		abort();
	check_same_urls(&o, &o2);
	free(doc);
	opml_free(&o2);
	opml_free(&o);
	return 0;
}
