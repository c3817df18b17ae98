/* fuzz_date: libFuzzer target for the date parser.
 *
 * The input, NUL-terminated, goes to date_parse. date.h promises that a
 * parsed time lies within years 1..9999 (checked after zone conversion), so
 * on success the time must be in that range, date_format must accept it,
 * and its RFC 3339 text must parse back to the very same second.
 * Build and run: see mk/fuzz.am ("make fuzz"). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"

#define YEAR1_START  (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define YEAR9999_END 253402300799LL   /* 9999-12-31T23:59:59Z */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char text[32];
	int64_t t = 0, back = 0;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (date_parse(s, &t) == 0) {
		if (t < YEAR1_START || t > YEAR9999_END)
			abort();
		if (date_format(t, text, sizeof text) < 0)
			abort();
		if (date_parse(text, &back) < 0 || back != t)
			abort();
	}
	free(s);
	return 0;
}
