/* parse_bench: the parser alone, for bench/parse. Reads FILE into memory,
 * then parses it in 4 KiB chunks as the daemon does (items counted, nothing
 * printed), so the figure excludes file I/O and JSON output. */
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "parse.h"

static int
count(const struct parse_item *it, void *user)
{
	(void)it;
	(*(size_t *)user)++;
	return 0;
}

int
main(int argc, char **argv)
{
	struct buf doc = {0};
	char tmp[65536];
	size_t n, items = 0;
	FILE *f;

	if (argc != 2 || (f = fopen(argv[1], "rb")) == NULL) {
		fprintf(stderr, "usage: parse_bench FILE\n");
		return 2;
	}
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		if (buf_append(&doc, tmp, n) < 0)
			return 1;
	fclose(f);
	struct parse *p =
		parse_new("application/rss+xml", "http://example.com/feed", count, &items);
	if (p == NULL)
		return 1;
	for (size_t off = 0; off < doc.len; off += 4096)
		if (parse_feed(p, doc.data + off, doc.len - off < 4096 ? doc.len - off : 4096) < 0)
			break;
	int rc = parse_finish(p);
	if (rc < 0)
		fprintf(stderr, "parse_bench: %s\n", parse_error(p));
	printf("%zu items\n", items);
	parse_free(p);
	buf_free(&doc);
	return rc < 0 ? 1 : 0;
}
