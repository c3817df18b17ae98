/* parse_bench: the parser alone, for bench/parse. Maps FILE into memory (as
 * xmlwf does), then parses it in 4 KiB chunks as the daemon does (items
 * counted, nothing printed), so the figure excludes file I/O and JSON
 * output. Reading the file into a growing heap buffer instead cost about a
 * fifth of the run on a virtual machine (a page fault per 4 KiB, each
 * dearer than the parse of that page). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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
	struct stat st;
	const char *doc;
	size_t items = 0, len;
	int fd;

	if (argc != 2 || (fd = open(argv[1], O_RDONLY)) < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "usage: parse_bench FILE\n");
		return 2;
	}
	len = (size_t)st.st_size;
	doc = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : "";
	close(fd);
	if (doc == MAP_FAILED) {
		perror("parse_bench: mmap");
		return 1;
	}
	struct parse *p =
		parse_new("application/rss+xml", "http://example.com/feed", count, &items);
	if (p == NULL)
		return 1;
	for (size_t off = 0; off < len; off += 4096)
		if (parse_feed(p, doc + off, len - off < 4096 ? len - off : 4096) < 0)
			break;
	int rc = parse_finish(p);
	if (rc < 0)
		fprintf(stderr, "parse_bench: %s\n", parse_error(p));
	printf("%zu items\n", items);
	parse_free(p);
	if (len)
		munmap((void *)doc, len);
	return rc < 0 ? 1 : 0;
}
