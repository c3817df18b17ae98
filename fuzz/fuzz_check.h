/* fuzz_check: what the parser targets (fuzz_parse, fuzz_json) check of every
 * string the parser hands out: valid UTF-8 without NUL (the sanitizers
 * catch the rest). Header-only: each target is one translation unit. */
#ifndef HERALD_FUZZ_CHECK_H
#define HERALD_FUZZ_CHECK_H

#include <stdlib.h>

#include "parse.h"

static void
check_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (s == NULL)
		return;
	while (*p) {
		size_t n = *p < 0x80             ? 1
			   : (*p & 0xE0) == 0xC0 ? 2
			   : (*p & 0xF0) == 0xE0 ? 3
			   : (*p & 0xF8) == 0xF0 ? 4
						 : 0;
		if (n == 0)
			abort();
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xC0) != 0x80)
				abort();
		p += n;
	}
}

static void
check_text(const struct parse_text *t)
{
	check_str(t->value);
	check_str(t->text);
	check_str(t->base);
	check_str(t->src);
}

static void
check_lists(const struct parse_lists *l)
{
	for (size_t i = 0; i < l->nlinks; i++)
		check_str(l->links[i].href), check_str(l->links[i].title);
	for (size_t i = 0; i < l->nauthors; i++)
		check_str(l->authors[i].name), check_str(l->authors[i].email);
	for (size_t i = 0; i < l->ncategories; i++)
		check_str(l->categories[i].term), check_str(l->categories[i].label);
}

#endif
