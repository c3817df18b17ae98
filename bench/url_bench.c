/* url_bench: url_resolve on feed-like links, for instruction counts.
 *
 * Resolves every reference of a list against every base of another, REPS
 * times (default 1000), and prints the number of calls and a checksum of
 * the results. It links libherald.a alone, without libcurl: the build fails
 * if url.o ever needs curl again. Instructions per call, stable on a noisy
 * host (the difference of two runs removes start-up):
 *   valgrind --tool=callgrind --callgrind-out-file=/dev/null bench/url_bench 1
 *   valgrind --tool=callgrind --callgrind-out-file=/dev/null bench/url_bench 101
 *   (second - first) / 100 / calls */
#include <stdio.h>
#include <stdlib.h>

#include "url.h"

static const char *const bases[] = {
	"https://www.example.com/news/rss.xml",
	"http://feeds.example.org/blog/atom.xml",
	"https://example.net/",
	"https://www.theguardian.example/world/rss",
	"http://example.com/blog/2024/01/",
};

static const char *const refs[] = {
	"/2024/01/15/some-story-name.html",
	"images/photo-1.jpg",
	"../archive/",
	"?page=2",
	"story.html?id=12345&ref=rss",
	"/tag/politics/",
	"https://cdn.example.com/img/a.png",
	"./feed/",
	"a b.html",
	"caf\xc3\xa9/menu",
	"../../up/x.html",
	"/search?q=a&b=c",
};

int
main(int argc, char **argv)
{
	long reps = argc > 1 ? atol(argv[1]) : 1000, calls = 0;
	unsigned long sum = 0;

	for (long k = 0; k < reps; k++)
		for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++)
			for (size_t j = 0; j < sizeof refs / sizeof refs[0]; j++) {
				char *r = url_resolve(bases[i], refs[j]);

				if (r == NULL)
					return 1;
				for (const char *p = r; *p; p++)
					sum = sum * 31 + (unsigned char)*p;
				free(r);
				calls++;
			}
	printf("%ld calls, checksum %lu\n", calls, sum);
	return 0;
}
