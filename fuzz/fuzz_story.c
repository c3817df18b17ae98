/* fuzz_story: libFuzzer target for story folding.
 *
 * The input is a stream of items, one a line: a byte of time step (signed,
 * in quarter hours, so times also go back), then title, summary and link
 * separated by tabs. They go to one index with a six-hour window and at most
 * 64 items, so expiry, the early exits of the item cap, joins, merges
 * (shared links, near-duplicate text) and every script the text code knows
 * are all reached. After each item the index must hold what story.h
 * promises (a story id, the cap), and every term's story count must equal
 * the live stories that hold it, as IDF relies on. Build and run: see
 * mk/fuzz.am ("make fuzz"). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "story.h"
#include "story_int.h"

#define MAX_ITEMS 64

/* Splits the line at tabs into up to three NUL-terminated fields. */
static void
fields(char *line, char *f[3])
{
	f[0] = line;
	f[1] = f[2] = NULL;
	for (int k = 1; k < 3; k++) {
		char *tab = strchr(f[k - 1], '\t');
		if (tab == NULL)
			return;
		*tab = '\0';
		f[k] = tab + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct story_params p = story_params_default();
	char err[160], *copy = malloc(size + 1), *line, *next;
	struct story_index *idx;
	int64_t t = 1700000000, n = 0;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	p.window = 6 * 3600;
	p.max_items = MAX_ITEMS;
	idx = story_new(&p, err, sizeof(err));
	if (idx == NULL)
		abort();
	for (line = copy; line != NULL && *line != '\0'; line = next) {
		char *f[3];
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (*line == '\0')
			continue;
		t += (int64_t)(int8_t)line[0] * 900;
		fields(line + 1, f);
		struct story_input in = {.item_id = ++n,
					 .time = t,
					 .feed = "fuzz",
					 .title = f[0],
					 .text = f[1],
					 .link = f[2]};
		struct story_result r;
		if (story_assign(idx, &in, &r) < 0) {
			if (story_error(idx)[0] == '\0')
				abort(); /* a failure must say why */
			continue;
		}
		if (r.story_id <= 0 || story_count_items(idx) > MAX_ITEMS ||
		    (r.nmerged > 0 && r.merged == NULL))
			abort();
		if (story_check_counts(idx) == -1)
			abort();
	}
	story_free(idx);
	free(copy);
	return 0;
}
