/* heraldd: the feed aggregator daemon. */
#include "autoconfig.h"

#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "fold.h"
#include "log.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
		"usage: heraldd [options]\n"
		"       heraldd --dump FILE [--content-type CT] [--url URI]\n"
		"       heraldd --fold FILE.tsv [-c FILE]\n"
		"\n"
		"  -c, --config FILE    read FILE instead of the default feeds.conf\n"
		"      --database FILE  use this SQLite database\n"
		"      --socket PATH    listen on this Unix socket\n"
		"  -f, --foreground     stay in the foreground\n"
		"      --once           poll every feed once, store, exit\n"
		"      --check-config   validate the configuration and exit\n"
		"  -v, --verbose        log debug messages\n"
		"      --version        print the version and exit\n"
		"  -h, --help           print this help and exit\n");
}

int
main(int argc, char **argv)
{
	enum { OPT_DATABASE = 256, OPT_SOCKET, OPT_ONCE, OPT_CHECK, OPT_VERSION };
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"database", required_argument, NULL, OPT_DATABASE},
		{"socket", required_argument, NULL, OPT_SOCKET},
		{"foreground", no_argument, NULL, 'f'},
		{"once", no_argument, NULL, OPT_ONCE},
		{"check-config", no_argument, NULL, OPT_CHECK},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, OPT_VERSION},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config_path = NULL;
	int verbose = 0, check = 0, c;
	struct config cfg;
	char *errors = NULL, *defpath = NULL;
	int rc;

	if (argc > 1 && strcmp(argv[1], "--dump") == 0)
		return dump_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "--fold") == 0)
		return fold_main(argc - 1, argv + 1, NULL);
	while ((c = getopt_long(argc, argv, "c:fvh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config_path = optarg; break;
		case 'v': verbose = 1; break;
		case OPT_CHECK: check = 1; break;
		case OPT_VERSION: printf("heraldd %s\n", PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		case 'f': case OPT_DATABASE: case OPT_SOCKET: case OPT_ONCE: break;
		default: usage(stderr); return 2;
		}
	}
	log_init(verbose);
	if (config_path == NULL)
		config_path = defpath = config_default_path();
	if (config_path == NULL) {
		log_err("no configuration file: use -c FILE");
		return 1;
	}
	rc = config_load(config_path, &cfg, &errors);
	if (rc < 0) {
		fprintf(stderr, "%s\n", errors ? errors : "out of memory");
		free(errors);
		free(defpath);
		return 1;
	}
	if (check)
		printf("%s: OK (%zu feeds)\n", config_path, cfg.nfeeds);
	config_free(&cfg);
	free(defpath);
	return 0;
}
