/* api_parse: the Reader API's pure parsing (see api.h): item ids, stream
 * ids and continuations. No libuv, HTTP or SQLite: fuzz/fuzz_api.c runs it
 * alone. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

int
api_parse_item_id(const char *s, int64_t *id)
{
	static const char prefix[] = "tag:google.com,2005:reader/item/";
	uint64_t v = 0;
	size_t n;
	int hex;

	if (strncmp(s, prefix, sizeof prefix - 1) == 0) {
		s += sizeof prefix - 1;
		hex = 1;
	} else {
		hex = strlen(s) == 16;
	}
	n = strlen(s);
	if (n == 0 || n > (hex ? 16u : 19u))
		return -1;
	for (size_t i = 0; i < n; i++) {
		int d;

		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (hex && s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (hex && s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return -1;
		if (!hex && v > (uint64_t)(INT64_MAX - d) / 10)
			return -1;
		v = hex ? v << 4 | (uint64_t)d : v * 10 + (uint64_t)d;
	}
	if (v == 0 || v > INT64_MAX)
		return -1;
	*id = (int64_t)v;
	return 0;
}

int
api_parse_stream(const char *s, struct api_stream *out)
{
	const char *p;

	memset(out, 0, sizeof *out);
	if (strncmp(s, "feed/", 5) == 0) {
		if (s[5] == 0)
			return -1;
		out->kind = API_STREAM_FEED;
		out->arg = s + 5;
		return 0;
	}
	if (strncmp(s, "user/", 5) != 0 || (p = strchr(s + 5, '/')) == NULL || p == s + 5)
		return -1;
	p++;
	if (strncmp(p, "state/com.google/", 17) == 0) {
		p += 17;
		if (strcmp(p, "reading-list") == 0)
			out->kind = API_STREAM_READING_LIST;
		else if (strcmp(p, "starred") == 0)
			out->kind = API_STREAM_STARRED;
		else if (strcmp(p, "read") == 0)
			out->kind = API_STREAM_READ;
		else
			return -1;
		return 0;
	}
	if (strncmp(p, "label/", 6) != 0 || p[6] == 0)
		return -1;
	p += 6;
	if (strncmp(p, "story/", 6) == 0) {
		int64_t id = 0;

		for (const char *q = p + 6; *q; q++) {
			if (*q < '0' || *q > '9' || id > (INT64_MAX - 9) / 10)
				return -1;
			id = id * 10 + (*q - '0');
		}
		if (id == 0)
			return -1;
		out->kind = API_STREAM_STORY;
		out->story = id;
		return 0;
	}
	out->kind = API_STREAM_LABEL;
	out->arg = p;
	return 0;
}

int
api_parse_continuation(const char *c, int folded, int64_t *a, int64_t *b)
{
	char *end;

	if (folded) {
		unsigned long long off;

		if (c[0] != 'f' || c[1] < '0' || c[1] > '9')
			return -1;
		off = strtoull(c + 1, &end, 10);
		if (*end || off > 10000000)
			return -1;
		*a = (int64_t)off;
		*b = 0;
		return 0;
	}
	if ((c[0] < '0' || c[0] > '9') && c[0] != '-')
		return -1;
	*a = strtoll(c, &end, 10);
	if (end == c || *end != '_' || end[1] < '0' || end[1] > '9')
		return -1;
	c = end + 1;
	*b = strtoll(c, &end, 10);
	return *end || *b <= 0 || *b == INT64_MAX ? -1 : 0;
}
