/* config_bench: the CPU time of config_load on each FILE, as the daemon's
 * loop spends it at every reload, add, remove and import, without process
 * start-up; as the part of it config.c does not own, the time of the URL
 * calls it makes per feed (url_check and url_canonical: daemon/url.c); and
 * the time of the OPML export of the configuration (confedit_export_opml).
 *
 * usage: config_bench [-r RUNS] FILE...
 * Prints, per file, the median of RUNS runs (process CPU time) of each, in
 * milliseconds. bench/config runs it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "confedit.h"
#include "config.h"
#include "url.h"

static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return v[n / 2];
}

/* One run of the URL calls config_parse makes for cfg's feeds. */
static int
url_calls(const struct config *cfg)
{
	char err[512];

	for (size_t i = 0; i < cfg->nfeeds; i++) {
		char *k;

		if (url_check(cfg->feeds[i].url, 1, err, sizeof err) < 0)
			return -1;
		k = url_canonical(cfg->feeds[i].url);
		free(k);
	}
	return 0;
}

static int
bench(const char *path, int runs)
{
	double *load = calloc((size_t)runs, sizeof *load);
	double *url = calloc((size_t)runs, sizeof *url);
	double *opml = calloc((size_t)runs, sizeof *opml);
	struct config cfg;
	char *errors = NULL, *doc;
	size_t nfeeds = 0;
	int rc = -1;

	if (load == NULL || url == NULL || opml == NULL) {
		fprintf(stderr, "config_bench: out of memory\n");
		goto out;
	}
	for (int r = 0; r < runs; r++) {
		double t0 = cpu_ms();

		if (config_load(path, &cfg, &errors) < 0) {
			fprintf(stderr, "%s\n", errors ? errors : "config_bench: out of memory");
			goto out;
		}
		load[r] = cpu_ms() - t0;
		nfeeds = cfg.nfeeds;
		t0 = cpu_ms();
		if (url_calls(&cfg) < 0) {
			fprintf(stderr, "config_bench: %s: a url fails url_check\n", path);
			config_free(&cfg);
			goto out;
		}
		url[r] = cpu_ms() - t0;
		t0 = cpu_ms();
		doc = confedit_export_opml(&cfg, 0);
		opml[r] = cpu_ms() - t0;
		config_free(&cfg);
		if (doc == NULL) {
			fprintf(stderr, "config_bench: out of memory\n");
			goto out;
		}
		free(doc);
	}
	printf("%s: %zu feeds, config_load %.2f ms CPU, of which url.c about %.2f ms; "
	       "OPML export %.2f ms\n",
	       path, nfeeds, median(load, runs), median(url, runs), median(opml, runs));
	rc = 0;
out:
	free(errors);
	free(load);
	free(url);
	free(opml);
	return rc;
}

int
main(int argc, char **argv)
{
	int runs = 5, c;

	while ((c = getopt(argc, argv, "r:")) != -1) {
		if (c == 'r' && atoi(optarg) > 0) {
			runs = atoi(optarg);
			continue;
		}
		fprintf(stderr, "usage: config_bench [-r RUNS] FILE...\n");
		return 2;
	}
	if (optind == argc) {
		fprintf(stderr, "usage: config_bench [-r RUNS] FILE...\n");
		return 2;
	}
	for (int i = optind; i < argc; i++)
		if (bench(argv[i], runs) < 0)
			return 1;
	return 0;
}
