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
	char *id; /* section name, unique */
	char *url;
	char *name;  /* display title override, or NULL */
	char **tags; /* ntags strings, trimmed, lower-case */
	size_t ntags;
	unsigned interval; /* seconds; 0 = the global interval */
	unsigned line;     /* line of the section header */
	int included;		/* 1: from the file include = names */
	/* Retention, seconds, 0 = forever: the global keep_read and
	 * keep_unread unless the section sets its own. */
	unsigned keep_read, keep_unread;
};

/* Lookups of feeds by id and by url (config.c): built by config_parse,
 * freed by config_free. */
struct config_index;

struct config {
	char *path;     /* the file read (as given) */
	char *database; /* expanded: ~ and $VARS resolved */
	char *socket;
	char *socket_group;    /* or NULL */
	char *include;		/* more [feed] sections, in a file herald add,
				 * import and remove edit; or NULL */
	char *allow_file_feeds; /* add over the socket may take file:// feeds
				 * under this directory; NULL: none */
	char *user_agent;      /* or NULL for "herald/VERSION" */
	char *http_listen;     /* the Reader API's address (docs/api.md), or NULL: off */
	unsigned interval;     /* default poll interval, seconds */
	unsigned min_interval; /* floor for any feed, seconds */
	unsigned timeout;      /* total per request, seconds */
	unsigned connect_timeout;
	unsigned max_connections; /* all hosts */
	unsigned max_per_host;
	size_t max_body; /* bytes after decompression */
	/* Story folding (docs/stories.md). */
	unsigned fold_window;         /* seconds */
	unsigned fold_max_items;      /* items kept for folding at most, 0: no cap */
	double fold_threshold;        /* join a story at this similarity */
	double fold_merge_threshold;  /* merge two stories at this similarity */
	unsigned fold_simhash_radius; /* near-duplicate text, in bits */
	char *fold_language;          /* stemmer language, e.g. "english" */
	/* Retention (docs/configuration.md): read and unread items older than
	 * these go, seconds; 0 keeps them forever. */
	unsigned keep_read, keep_unread;

	struct config_feed *feeds;
	size_t nfeeds;
	/* feeds by id and url for config_feed_find and config_feed_find_url:
	 * set by config_parse and valid while feeds is unchanged; NULL in a
	 * struct config filled by hand (the lookups then scan feeds). */
	struct config_index *index;
};

/* Values used when a key is absent. */
#define CONFIG_DEFAULT_INTERVAL        (30 * 60)
#define CONFIG_DEFAULT_MIN_INTERVAL    60
#define CONFIG_DEFAULT_TIMEOUT         60
#define CONFIG_DEFAULT_CONNECT_TIMEOUT 15
#define CONFIG_DEFAULT_MAX_CONNECTIONS 32
#define CONFIG_DEFAULT_MAX_PER_HOST    4
#define CONFIG_DEFAULT_MAX_BODY        (16u << 20)
/* Story folding. story.c's story_params_default() must give these same
 * values: the daemon with no fold_* keys and a bare story_new() fold alike. */
#define CONFIG_DEFAULT_FOLD_WINDOW          (72 * 3600)
#define CONFIG_DEFAULT_FOLD_MAX_ITEMS       50000
#define CONFIG_DEFAULT_FOLD_THRESHOLD       0.155
#define CONFIG_DEFAULT_FOLD_MERGE_THRESHOLD 0.20
#define CONFIG_DEFAULT_FOLD_SIMHASH_RADIUS  3
#define CONFIG_DEFAULT_FOLD_LANGUAGE        "english"
#define CONFIG_DEFAULT_KEEP_READ            (60 * 86400)
#define CONFIG_DEFAULT_KEEP_UNREAD          (180 * 86400)

/* Limits of the file format. */
#define CONFIG_MAX_LINE 4096       /* bytes per line, newline excluded */
#define CONFIG_MAX_FILE (4u << 20) /* bytes per file */
#define CONFIG_MAX_ID   64         /* bytes in a feed id */

/* Paths a user did not set: database, socket and config file, from systemd's
 * $STATE_DIRECTORY/$RUNTIME_DIRECTORY/$CONFIGURATION_DIRECTORY when set, else
 * XDG ($XDG_STATE_HOME, $XDG_RUNTIME_DIR, $XDG_CONFIG_HOME, with the XDG
 * fallbacks under $HOME). Malloc'd, caller frees; NULL when no home is known. */
char *config_default_path(void);
char *config_default_database(void);
char *config_default_socket(void);

/* Fills cfg with defaults, then reads path, and the [feed] sections of the
 * file its include key names (a missing one has none; one with global keys
 * is an error). Returns 0, or -1 with every error in *errors (malloc'd,
 * "FILE:LINE: message" lines joined by '\n', caller frees). On error cfg
 * holds nothing (config_free is still safe). The database and socket paths
 * are NULL when the file doesn't set them: the caller applies the defaults
 * above or its command-line flags. */
int config_load(const char *path, struct config *cfg, char **errors);

/* Same, from a string (for tests and fuzzing); name is used in messages. An
 * include key is kept in cfg->include but not followed. */
int config_parse(const char *name, const char *text, size_t len, struct config *cfg, char **errors);

void config_free(struct config *cfg);

/* "90s", "15m", "2h", "1d", "1h30m", or bare seconds. 0 or -1. */
int config_parse_duration(const char *s, unsigned *secs);

/* Writes secs as the shortest duration string ("90s" -> "1m30s", "1h",
 * "1d2h") into out; returns out. */
char *config_format_duration(unsigned secs, char *out, size_t outlen);

/* Returns the feed with this id, or NULL. Borrowed. O(1) on average with
 * cfg->index, a scan of the feeds without. */
const struct config_feed *config_feed_find(const struct config *cfg, const char *id);

/* Returns the feed whose url is the same as url (compared in canonical form
 * for http(s): see url_canonical), or NULL. Borrowed. O(1) on average with
 * cfg->index (one url_canonical for url, one for the feed found), a scan of
 * the feeds without. */
const struct config_feed *config_feed_find_url(const struct config *cfg, const char *url);

/* 1 when s is a valid feed id: 1..CONFIG_MAX_ID bytes of ASCII letters,
 * digits, '-', '_' and '.', starting with a letter or digit. */
int config_id_valid(const char *s);

/* A free feed id for url, derived from its host and path ("bbci-world" for
 * https://feeds.bbci.co.uk/news/world/rss.xml, "aljazeera" for
 * https://www.aljazeera.com/xml/rss/all.xml, the file name for file://),
 * made unique against cfg (may be NULL) with "-2", "-3", ... Malloc'd,
 * caller frees; NULL when memory runs out. */
char *config_feed_id_suggest(const struct config *cfg, const char *url);

/* Editing feeds.conf (add, remove, OPML import and export) is confedit.h's. */

/* http_listen's value: "HOST:PORT" with HOST an IPv4 address or
 * "localhost", "[IPv6]:PORT", or an absolute Unix socket path. */
struct config_listen {
	int family;     /* AF_INET, AF_INET6 or AF_UNIX */
	char host[64];  /* the address as inet_pton reads it (AF_UNIX: "") */
	unsigned port;  /* 1..65535 (AF_UNIX: 0) */
	char path[108]; /* AF_UNIX only */
};
/* 0 and *out, or -1 with why in err. Pure. */
int config_listen_parse(const char *v, struct config_listen *out, char *err, size_t errlen);

#endif
