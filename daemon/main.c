/* heraldd: the feed aggregator daemon. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
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
		"  -f, --foreground     stay in the foreground (else detach once started)\n"
		"      --once           poll every feed once, store, exit (2 if any failed)\n"
		"      --check-config   validate the configuration and exit (0 ok, 1 not)\n"
		"  -v, --verbose        log debug messages\n"
		"      --version        print the version and exit\n"
		"  -h, --help           print this help and exit\n");
}

/* --check-config, and the configuration --fold reads. */
static int
check_config(const char *path, int quiet, struct config *cfg)
{
	char *defpath = NULL, *errors = NULL;
	int rc = 0;

	if (path == NULL && (path = defpath = config_default_path()) == NULL) {
		fprintf(stderr, "heraldd: no configuration file: use -c FILE\n");
		return 1;
	}
	if (config_load(path, cfg, &errors) < 0) {
		fprintf(stderr, "%s\n", errors ? errors : "heraldd: out of memory");
		rc = 1;
	} else if (!quiet) {
		printf("%s: OK (%zu feeds)\n", path, cfg->nfeeds);
	}
	free(errors);
	free(defpath);
	return rc;
}

/* --fold FILE.tsv [-c FILE]: the story code with the configuration's (or the
 * default) settings. */
static int
fold_cmd(int argc, char **argv)
{
	const char *conf = NULL;
	struct config cfg;
	char *errors = NULL;
	int rc;

	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0)
			conf = argv[i + 1];
	if (conf == NULL) {
		rc = config_parse("defaults", "", 0, &cfg, &errors);
		free(errors);
	} else {
		rc = check_config(conf, 1, &cfg);
	}
	if (rc != 0) {
		config_free(&cfg);
		return 1;
	}
	rc = fold_main(argc, argv, &cfg);
	config_free(&cfg);
	return rc;
}

/* Detaches after the child reports it started: the parent exits with the
 * child's start-up status, so "heraldd && echo ok" tells the truth. */
static int
detach(void)
{
	int fds[2], null;
	char status = 1;
	pid_t pid;

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(fds[1]);
		if (read(fds[0], &status, 1) != 1)
			status = 1;
		_exit(status);
	}
	close(fds[0]);
	if (setsid() < 0)
		return -1;
	if ((null = open("/dev/null", O_RDWR)) >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	return fds[1];
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
	struct herald_options o = {0};
	int check = 0, c;

	if (argc > 1 && strcmp(argv[1], "--dump") == 0)
		return dump_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "--fold") == 0)
		return fold_cmd(argc - 1, argv + 1);
#if defined(M_MMAP_THRESHOLD)
	/* glibc raises its mmap threshold each time a large block is freed,
	 * so the story index's arrays, grown by realloc, move onto the heap
	 * where the space of their old copies stays resident. A fixed
	 * threshold keeps each large array in a mapping of its own, given back
	 * when freed: 3 MB less at the peak of a cold run of 1,000 feeds
	 * (docs/performance.md), at no measured cost in time. */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
	while ((c = getopt_long(argc, argv, "c:fvh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config_path = optarg; break;
		case OPT_DATABASE: o.database = optarg; break;
		case OPT_SOCKET: o.socket = optarg; break;
		case 'f': o.foreground = 1; break;
		case OPT_ONCE: o.once = 1; break;
		case 'v': o.verbose = 1; break;
		case OPT_CHECK: check = 1; break;
		case OPT_VERSION: printf("heraldd %s\n", PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "heraldd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	log_init(o.verbose);
	if (check) {
		struct config cfg;
		int rc = check_config(o.config_path, 0, &cfg);
		config_free(&cfg);
		return rc;
	}
	if (!o.foreground && !o.once && getenv("NOTIFY_SOCKET") == NULL) {
		o.ready_fd = detach();
		if (o.ready_fd < 0) {
			fprintf(stderr, "heraldd: cannot detach: %s\n", strerror(errno));
			return 1;
		}
	} else {
		o.ready_fd = -1;
	}
	return herald_main(&o);
}
