/* fuzz_api: libFuzzer target for daemon/api_parse.c (the Reader API's
 * request parameters: item ids, stream ids, continuations).
 *
 * The input, cut at its first NUL, is "ID\nSTREAM\nCONTINUATION" (missing
 * parts are empty). An id that parses is positive, and its long form
 * parses back to it; a stream that parses has a kind and, for a feed or a
 * label, a non-empty argument inside the input (a story, a positive id); a
 * continuation that parses names a positive item id or an offset. Build
 * and run: see mk/fuzz.am ("make fuzz"). */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *stream = "", *cont = "", *nl;
	char again[64];
	int64_t id, back, a, b;
	struct api_stream st;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if ((nl = strchr(s, '\n')) != NULL) {
		*nl = '\0';
		stream = nl + 1;
		if ((nl = strchr(stream, '\n')) != NULL) {
			*nl = '\0';
			cont = nl + 1;
		}
	}
	if (api_parse_item_id(s, &id) == 0) {
		if (id <= 0)
			abort();
		snprintf(again, sizeof again, "tag:google.com,2005:reader/item/%016" PRIx64,
			 (uint64_t)id);
		if (api_parse_item_id(again, &back) < 0 || back != id)
			abort();
		snprintf(again, sizeof again, "%" PRId64, id);
		if (api_parse_item_id(again, &back) == 0 && strlen(again) != 16 && back != id)
			abort();
	}
	if (api_parse_stream(stream, &st) == 0) {
		if ((st.kind == API_STREAM_FEED || st.kind == API_STREAM_LABEL) &&
		    (st.arg == NULL || *st.arg == '\0' || st.arg < stream ||
		     st.arg > stream + strlen(stream)))
			abort();
		if (st.kind == API_STREAM_STORY && st.story <= 0)
			abort();
	}
	for (int folded = 0; folded < 2; folded++)
		if (api_parse_continuation(cont, folded, &a, &b) == 0 && (folded ? a < 0 : b <= 0))
			abort();
	free(s);
	return 0;
}
