/* daemon: heraldd's life, from reading the configuration to the last
 * commit.
 *
 * One context (private to daemon.c) owns the loop and the modules hanging
 * off it: the writer (the store, the story index, the worker thread), the
 * fetcher, the poller (the feeds) and the command socket. Each module gets
 * the narrow handles it uses; the daemon wires their callbacks together and
 * owns the configuration, the signals and the order of start and stop. */
#ifndef HERALD_DAEMON_H
#define HERALD_DAEMON_H

struct herald_options {
	const char *config_path; /* NULL: config_default_path() */
	const char *database;    /* overrides the config's; NULL = not set */
	const char *socket;
	int foreground;
	int once; /* poll every feed once, then exit */
	int verbose;
	int ready_fd; /* >= 0: write one status byte there once started
		       * (0) or failed (1), then close it (detach) */
};

/* Runs the daemon until SIGTERM/SIGINT (or, with opt->once, until every feed
 * was polled once). Returns the process exit status: 0, 1 on a start-up error
 * (printed), 2 when --once saw a feed fail. */
int herald_main(const struct herald_options *opt);

#endif
