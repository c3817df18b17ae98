/* config: feeds.conf, read into a struct config. Pure: no loop, no I/O but
 * reading the file.
 *
 * Format (docs/configuration.md): global "key = value" lines, then one
 * [feed "id"] section per feed. Errors are collected, one line each, as
 * "FILE:LINE: message", so a user sees every mistake in one run. */
#ifndef HERALD_CONFIG_H
#define HERALD_CONFIG_H

#include <stddef.h>

struct config_feed {
	char *id;		/* section name, unique */
	char *url;
	char *name;		/* display title override, or NULL */
	char **tags;		/* ntags strings, trimmed, lower-case */
	size_t ntags;
	unsigned interval;	/* seconds; 0 = the global interval */
	unsigned line;		/* line of the section header */
};

struct config {
	char *path;		/* the file read (as given) */
	char *database;		/* expanded: ~ and $VARS resolved */
	char *socket;
	char *socket_group;	/* or NULL */
	char *user_agent;	/* or NULL for "herald/VERSION" */
	unsigned interval;	/* default poll interval, seconds */
	unsigned min_interval;	/* floor for any feed, seconds */
	unsigned timeout;	/* total per request, seconds */
	unsigned connect_timeout;
	unsigned max_connections;	/* all hosts */
	unsigned max_per_host;
	size_t max_body;	/* bytes after decompression */
	/* Story folding (docs/stories.md). */
	unsigned fold_window;		/* seconds */
	double fold_threshold;		/* join a story at this similarity */
	double fold_merge_threshold;	/* merge two stories at this similarity */
	unsigned fold_simhash_radius;	/* near-duplicate text, in bits */
	char *fold_language;		/* stemmer language, e.g. "english" */

	struct config_feed *feeds;
	size_t nfeeds;
};

/* Values used when a key is absent. */
#define CONFIG_DEFAULT_INTERVAL (30 * 60)
#define CONFIG_DEFAULT_MIN_INTERVAL 60
#define CONFIG_DEFAULT_TIMEOUT 60
#define CONFIG_DEFAULT_CONNECT_TIMEOUT 15
#define CONFIG_DEFAULT_MAX_CONNECTIONS 32
#define CONFIG_DEFAULT_MAX_PER_HOST 4
#define CONFIG_DEFAULT_MAX_BODY (16u << 20)

/* Paths a user did not set: database, socket and config file, from systemd's
 * $STATE_DIRECTORY/$RUNTIME_DIRECTORY/$CONFIGURATION_DIRECTORY when set, else
 * XDG ($XDG_STATE_HOME, $XDG_RUNTIME_DIR, $XDG_CONFIG_HOME, with the XDG
 * fallbacks under $HOME). Malloc'd, caller frees; NULL when no home is known. */
char *config_default_path(void);
char *config_default_database(void);
char *config_default_socket(void);

/* Fills cfg with defaults, then reads path. Returns 0, or -1 with every
 * error in *errors (malloc'd, "FILE:LINE: message" lines joined by '\n',
 * caller frees). On error cfg holds nothing (config_free is still safe).
 * The database and socket paths are NULL when the file doesn't set them:
 * the caller applies the defaults above or its command-line flags. */
int config_load(const char *path, struct config *cfg, char **errors);

/* Same, from a string (for tests and fuzzing); name is used in messages. */
int config_parse(const char *name, const char *text, size_t len, struct config *cfg,
		 char **errors);

void config_free(struct config *cfg);

/* "90s", "15m", "2h", "1d", "1h30m", or bare seconds. 0 or -1. */
int config_parse_duration(const char *s, unsigned *secs);

/* Returns the feed with this id, or NULL. Borrowed. */
const struct config_feed *config_feed_find(const struct config *cfg, const char *id);

#endif
